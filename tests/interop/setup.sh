#!/usr/bin/env bash
# Installs what the interop tests need: Node.js with npm (from Debian, when run as root) and the pinned SDKs.
# Safe to run again; does nothing when everything is already in place. Without root and without node, the
# interop tests are skipped and say why.
set -uo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "interop setup: node/npm not found and not root; install nodejs and npm, then run tests/interop/setup.sh" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq nodejs npm >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1
        if ! apt-get install -y -qq nodejs npm >/dev/null 2>&1; then
            echo "interop setup: apt-get install nodejs npm failed" >&2
            exit 1
        fi
    fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
        echo "interop setup: npm ci failed in tests/interop" >&2
        exit 1
    fi
    # npm ci leaves node_modules with its own time; mark it newer than the lock file it came from.
    touch node_modules
fi
