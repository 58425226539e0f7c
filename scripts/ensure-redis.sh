#!/usr/bin/env bash
# Makes sure real Redis 7.0 (redis-server, redis-cli, redis-benchmark) is on
# PATH: the test suite compares ferrodis against it and drives it with the
# real client tools. Installs the Debian packages when something is missing.
set -euo pipefail

die() {
    echo "ensure-redis: $*" >&2
    exit 1
}

missing() {
    local tool
    for tool in redis-server redis-cli redis-benchmark; do
        command -v "$tool" >/dev/null 2>&1 || return 0
    done
    return 1
}

if missing; then
    command -v apt-get >/dev/null 2>&1 ||
        die "redis-server/redis-cli/redis-benchmark are missing and apt-get is not available; install Redis 7.0.x by hand"
    [ "$(id -u)" -eq 0 ] ||
        die "redis-server/redis-cli/redis-benchmark are missing; run as root (or: sudo apt-get install redis-server redis-tools)"
    echo "ensure-redis: installing redis-server and redis-tools with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    # The package's service (port 6379) may or may not start; the tests only
    # ever use free ephemeral ports, so it does not matter either way.
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends redis-server redis-tools ||
        die "apt-get install redis-server redis-tools failed"
    if missing; then
        die "redis tools still missing after apt-get install"
    fi
fi

version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
case "$version" in
    7.0.*) ;;
    *) die "need Redis 7.0.x for the differential tests, found '${version:-unknown}' ($(command -v redis-server))" ;;
esac
cli_version=$(redis-cli --version | awk '{print $2}')
case "$cli_version" in
    7.0.*) ;;
    *) die "need redis-cli 7.0.x, found '${cli_version:-unknown}'" ;;
esac
echo "ensure-redis: using redis-server $version ($(command -v redis-server))" >&2
