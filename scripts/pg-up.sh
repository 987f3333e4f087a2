#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on 127.0.0.1:$PGPORT for the tests and prints its Npgsql connection string.
# Installs Debian's postgresql when it is missing and we are root; re-running it is a no-op.
# Stop: runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$PGROOT/data" -m fast stop; wipe: rm -rf "$PGROOT".
set -euo pipefail
PGPORT="${PGPORT:-55432}"; PGROOT="${PGROOT:-/tmp/isthmus-pg}"; PGDB="${PGDB:-isthmus_test}"
export DEBIAN_FRONTEND=noninteractive
if ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "PostgreSQL is not installed and installing it needs root" >&2; exit 1; fi
  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends postgresql >/dev/null </dev/null
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); else AS=(); fi   # initdb refuses to run as root
mkdir -p "$PGROOT"; if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGROOT"; fi
if [ ! -s "$PGROOT/data/PG_VERSION" ]; then
  "${AS[@]}" "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$PGROOT/initdb.log"
fi
if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
  : # a server (ours, or another throwaway one on this port) is already up: use it
elif ! "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" status >/dev/null 2>&1; then
  # Loopback only, no durability: the data is thrown away.
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$PGROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
fi
PSQL=("${AS[@]}" "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
"${PSQL[@]}" -d postgres -c "select 1 from pg_database where datname='$PGDB'" | grep -q 1 \
  || "${PSQL[@]}" -d postgres -c "create database \"$PGDB\"" >/dev/null
echo "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=$PGDB"   # trust auth on loopback: no password
