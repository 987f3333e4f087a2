#!/usr/bin/env bash
# Runs the whole test suite and ends with "N passed, N failed". Needs the .NET SDK; Node.js and npm for the interop tests and PostgreSQL for the sql connector tests (both installed when root).
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The interop tests run official platform SDKs from npm; without them they are skipped, so a failed set-up only says so.
bash tests/interop/setup.sh || echo "interop setup failed: the interop tests will be skipped"
# The sql connector's PostgreSQL tests need a server; without one they are skipped, saying why.
if [ -z "${ISTHMUS_TEST_POSTGRES:-}" ]; then
  if pg=$(bash scripts/pg-up.sh); then export ISTHMUS_TEST_POSTGRES="$pg"; else echo "PostgreSQL set-up failed: the PostgreSQL tests will be skipped"; fi
fi
log=$(mktemp)
dotnet test Isthmus.slnx "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(awk '/^Test run summary:/{m=1} m&&/^ *succeeded:/{p=$2} m&&/^ *failed:/{f=$2} m&&/^ *skipped:/{s=$2} END{printf "%d passed, %d failed, %d skipped\n",p,f,s}' "$log")
rm -f "$log"
echo "$summary"
exit "$rc"
