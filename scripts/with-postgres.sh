#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: installs PostgreSQL from apt when it is
# missing, starts a cluster in a temp dir on a free loopback port (as the postgres user when run
# as root, since initdb refuses root), exports TOKENWORTH_TEST_DATABASE_URL for the board's
# tests, runs "$@", and stops and removes the cluster afterwards, whatever happened.
# Usage: bash scripts/with-postgres.sh cargo test -p tokenworth-board
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
B=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
D=$(mktemp -d /tmp/tw-pg.XXXXXX)
PORT=${TW_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$D"
as_pg "$B/initdb" -D "$D/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
stop() { as_pg "$B/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$D"; }
trap stop EXIT
# Durability as in production (fsync on) unless TW_PG_FAST=1 (tests only).
EXTRA=""; [ "${TW_PG_FAST:-1}" = 1 ] && EXTRA="-c fsync=off -c synchronous_commit=off"
as_pg "$B/pg_ctl" -D "$D/data" -l "$D/log" -w -o "-p $PORT -k $D -c listen_addresses=127.0.0.1 -c max_connections=300 $EXTRA" start >/dev/null
export TOKENWORTH_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "PostgreSQL $("$B/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (throwaway, $D)"
"$@"
