#!/usr/bin/env bash
# Makes sure the client layer's libraries are installed under target/, so
# nothing outside the checkout changes: the Python ones
# (tests/clients/requirements.txt, redis-py, RQ, Celery) in a virtual
# environment, the Node ones (tests/clients/package.json, ioredis, BullMQ)
# with npm. Sidekiq is the exception: it comes from Debian's packages
# (ruby-sidekiq, 6.4.1 in bookworm, with ruby and ruby-redis), installed with
# apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "ensure-clients: $*" >&2
    exit 1
}

venv=target/clients-venv
req=tests/clients/requirements.txt
stamp="$venv/.installed"

command -v python3 >/dev/null 2>&1 || die "python3 is missing (apt-get install python3 python3-venv)"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" 2>/dev/null || {
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
            echo "ensure-clients: installing python3-venv with apt-get" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv python3-pip ||
                die "apt-get install python3-venv failed"
            rm -rf "$venv"
            python3 -m venv "$venv" || die "python3 -m venv failed"
        else
            die "python3 -m venv failed; install python3-venv"
        fi
    }
fi
if [ ! -f "$stamp" ] || ! cmp -s "$req" "$stamp"; then
    echo "ensure-clients: installing $(grep -v '^#' "$req" | tr '\n' ' ')" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" ||
        die "pip install -r $req failed (PyPI must be reachable)"
    cp "$req" "$stamp"
fi

node_dir=target/clients-node
pkg=tests/clients/package.json
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        echo "ensure-clients: installing nodejs and npm with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm ||
            die "apt-get install nodejs npm failed"
    else
        die "node and npm are missing (apt-get install nodejs npm)"
    fi
}
mkdir -p "$node_dir"
if [ ! -d "$node_dir/node_modules" ] || ! cmp -s "$pkg" "$node_dir/package.json"; then
    echo "ensure-clients: installing the Node packages of $pkg" >&2
    cp "$pkg" "$node_dir/package.json"
    (cd "$node_dir" && npm install --no-audit --no-fund --silent) ||
        { rm -f "$node_dir/package.json"; die "npm install failed (the npm registry must be reachable)"; }
fi

# Sidekiq: the round trip requires the library and runs the `sidekiq` command.
sidekiq_ok() {
    command -v sidekiq >/dev/null 2>&1 && ruby -e 'require "sidekiq"' >/dev/null 2>&1
}
if ! sidekiq_ok; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        echo "ensure-clients: installing ruby and ruby-sidekiq with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends ruby ruby-sidekiq >/dev/null ||
            die "apt-get install ruby ruby-sidekiq failed (Debian's package archive must be reachable)"
        sidekiq_ok || die "ruby-sidekiq is installed but \`ruby -e 'require \"sidekiq\"'\` or \`sidekiq\` fails"
    else
        die "Sidekiq is missing: apt-get install ruby ruby-sidekiq (as root)"
    fi
fi
