#!/usr/bin/env bash
# Builds isthmus and the benchmark in Release, runs every phase, prints the report and writes it to
# bench/results/latest.md.
#   bench/run.sh                  full run (~3 minutes)
#   bench/run.sh --quick          3 s phases (~1 minute)
#   bench/run.sh --isthmus <dll>  benchmark another isthmus build (no isthmus build step)
#   bench/run.sh --stand-in       check the harness against its in-memory stand-in (not isthmus)
#   bench/run.sh --synchronous normal   SQLite without an fsync per commit (survives kill -9, not power loss)
#   bench/run.sh sync [--quick] [--records N] [--no-postgres] [--load-only]
#                                 two-way sync: initial load SQL table → records emulator, then reconciliation;
#                                 report in bench/results/sync-latest.md (PostgreSQL too when scripts/pg-up.sh gives one)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

if [ "${1:-}" = sync ]; then
  shift
  args=()
  postgres=1
  for arg in "$@"; do
    if [ "$arg" = --no-postgres ]; then postgres=0; else args+=("$arg"); fi
  done
  echo "building the benchmark (Release)…" >&2
  dotnet build bench/Isthmus.Benchmarks/Isthmus.Benchmarks.csproj -c Release -v quiet -nologo >&2
  if [ "$postgres" = 1 ]; then
    # Its own database on the test server, so the benchmark's tables never meet the tests'.
    if pg=$(PGDB=isthmus_bench bash scripts/pg-up.sh); then args+=(--postgres "$pg"); else echo "no PostgreSQL: the sqlite source only" >&2; fi
  fi
  label="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then label="$label+changes"; fi
  mkdir -p bench/results
  # The sync engine runs inside the benchmark process: give it the runtime settings isthmus runs with
  # (src/Isthmus/Isthmus.csproj: background GC, tiered PGO off).
  export DOTNET_gcConcurrent=1 DOTNET_TieredPGO=0
  exec dotnet artifacts/bin/Isthmus.Benchmarks/release/Isthmus.Benchmarks.dll sync \
    --label "commit $label" --out bench/results/sync-latest.md ${args[@]+"${args[@]}"}
fi

build_isthmus=1
for arg in "$@"; do
  case "$arg" in
    --isthmus|--stand-in) build_isthmus=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  esac
done

if [ "$build_isthmus" = 1 ]; then
  # Published as it is deployed (README: dotnet publish): ReadyToRun, so start-up is measured without most of the JIT.
  echo "publishing isthmus (Release, ReadyToRun)…" >&2
  dotnet publish src/Isthmus/Isthmus.csproj -c Release -v quiet -nologo >&2
fi
echo "building the benchmark (Release)…" >&2
dotnet build bench/Isthmus.Benchmarks/Isthmus.Benchmarks.csproj -c Release -v quiet -nologo >&2

label="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then label="$label+changes"; fi

mkdir -p bench/results
# A 64 MB gen0 budget for the load generator and sink: 4-7x less time in GC pauses while measuring.
# The benchmark removes this variable from the environment of the servers it starts.
export DOTNET_GCgen0size=0x4000000
exec dotnet artifacts/bin/Isthmus.Benchmarks/release/Isthmus.Benchmarks.dll \
  --repo "$root" --label "commit $label" --out bench/results/latest.md "$@"
