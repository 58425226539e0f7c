#!/usr/bin/env bash
# Makes sure the client layer's Python libraries (tests/clients/requirements.txt)
# are installed, in a virtual environment under target/ so nothing outside the
# checkout changes.
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
