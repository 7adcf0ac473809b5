#!/usr/bin/env bash
# The team board's benchmark (issue 10) on both engines: builds the bench in release, seeds a
# team of 100,000 members × 90 days in bulk on SQLite (WAL, synchronous=NORMAL, as the server
# runs) and on a throwaway PostgreSQL cluster with fsync ON (scripts/with-postgres.sh with
# TW_PG_FAST=0), then measures sends per second from 100 concurrent clients on loopback and the
# team page for a month, and prints a table. Numbers are printed, never asserted.
#
# Usage: bash bench/board.sh [extra bench args, e.g. --members 20000 --seconds 10]
# Env: BENCH_DIR (default target/board-bench: the SQLite store and results.jsonl),
#      ENGINES ("sqlite postgres"), SKIP_BUILD=1, REUSE=1 (keep a SQLite store seeded before;
#      the PostgreSQL cluster is always new).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-target/board-bench}
ENGINES=${ENGINES:-"sqlite postgres"}
mkdir -p "$DIR"
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -p tokenworth-board --example bench
BIN=target/release/examples/bench
OUT="$DIR/results.jsonl"
: > "$OUT"
REUSE_ARG=""; [ "${REUSE:-0}" = 1 ] && REUSE_ARG="--reuse"
for e in $ENGINES; do
  case $e in
    sqlite) "$BIN" --engine sqlite --data "$DIR/sqlite" $REUSE_ARG --json "$OUT" "$@" ;;
    postgres)
      # fsync on, synchronous_commit on (the defaults): a throwaway cluster, removed afterwards.
      TW_PG_FAST=0 TW_PG_PORT=${TW_PG_PORT:-55433} bash scripts/with-postgres.sh \
        bash -c '"$0" --engine postgres --database-url "$TOKENWORTH_TEST_DATABASE_URL" --json "$1" "${@:2}"' \
        "$BIN" "$OUT" "$@" ;;
    *) echo "unknown engine $e" >&2; exit 2 ;;
  esac
done
echo
echo "| engine | members | clients | sends/s | send p50 | send p99 | failed | page cold | page p50 / p95 quiet | page p50 / p95 under sends | page p50 / p95 after |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
jq -r '"| \(.engine) | \(.members) | \(.clients) | \(.sends_per_s|floor) | \(.send_p50_ms*100|round/100) ms | \(.send_p99_ms*100|round/100) ms | \(.errors) | \(.page_cold_ms*10|round/10) ms | \(.page_quiet_p50_ms*10|round/10) / \(.page_quiet_p95_ms*10|round/10) ms | \(.page_load_p50_ms*10|round/10) / \(.page_load_p95_ms*10|round/10) ms (n=\(.page_load_n)) | \(.page_after_p50_ms*10|round/10) / \(.page_after_p95_ms*10|round/10) ms |"' "$OUT"
