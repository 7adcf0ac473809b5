#!/usr/bin/env bash
# Soak (issue 15): a generated history of many small sessions (20,000 files, 5 GB by default),
# its cold-scan figures from the CLI, then the tray app started hidden on an empty data dir: it
# ingests the history, then watches DURATION seconds of steady appends while its RSS is read
# every second (bench/soak.py). Fails when the RSS passes LIMIT_MB while watching or when the
# app's ledger differs from a cold scan of the final logs.
#
#   bash bench/soak.sh                                  (5 GB, an hour: the recorded benchmark)
#   SIZE=1GB DURATION=300 PROFILE=dev bash bench/soak.sh (what CI runs)
#
# Environment: SIZE (5GB), MAX_TURNS (3: small sessions, many files), DURATION (3600), RATE
# (records a second, 20), LIMIT_MB (150), PROFILE (release; dev reuses the test build),
# SOAK_DIR (bench/work/soak; the history is kept there between runs of the same SIZE), KEEP=0
# deletes it afterwards, SKIP_BUILD=1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
SIZE=${SIZE:-5GB}
MAX_TURNS=${MAX_TURNS:-3}
PROFILE=${PROFILE:-release}
case "$PROFILE" in dev) PROFILE_DIR=debug ;; *) PROFILE_DIR=$PROFILE ;; esac
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SOAK_DIR=${SOAK_DIR:-$ROOT/bench/work/soak}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/setup-app.sh --test >/dev/null
  # The e2e step's package set (the same features, so no dependency is built twice), then the
  # corpus generator on its own.
  cargo build -q --profile "$PROFILE" -p tokenworth-app -p tokenworth-cli -p tokenworth-board
  cargo build -q --profile "$PROFILE" -p tokenworth-corpus
fi
CLI=$TARGET/$PROFILE_DIR/tokenworth
APP=$TARGET/$PROFILE_DIR/tokenworth-app

HIST=$SOAK_DIR/home
if [ "$(cat "$SOAK_DIR/home.stamp" 2>/dev/null)" != "$SIZE $MAX_TURNS" ]; then
  rm -rf "$SOAK_DIR"
  mkdir -p "$SOAK_DIR"
  echo "== generating $SIZE of history (at most $MAX_TURNS turns a session)"
  "$TARGET/$PROFILE_DIR/tokenworth-corpus" --out "$HIST" --size "$SIZE" --max-turns "$MAX_TURNS" --seed 15 >/dev/null
  echo "$SIZE $MAX_TURNS" >"$SOAK_DIR/home.stamp"
fi
rm -rf "$HIST/.claude/projects/-soak-live"
files=$(find "$HIST" -name '*.jsonl' | wc -l)
bytes=$(du -sb --exclude=expected.json "$HIST" | cut -f1)
echo "machine: $(nproc) cores, $(uname -r); load: $(uptime | sed 's/.*load average: //'); build: $PROFILE"
echo "history: $files files, $((bytes / 1000000)) MB"

cold=$(mktemp -d)
for run in 1 2; do
  rm -rf "$cold" && mkdir -p "$cold"
  /usr/bin/time -f "%e %M" -o "$cold.time" env HOME="$HIST" "$CLI" daily --json --data-dir "$cold" >/dev/null
  read -r secs kb <"$cold.time"
  echo "cold scan $run (empty data dir, page cache warm after run 1): $secs s, peak RSS $((kb / 1024)) MB, ledger $(du -m "$cold/ledger.db" | cut -f1) MB"
done
rm -rf "$cold" "$cold.time"

. scripts/xvfb-session.sh tw-soak 170
if [ "${KEEP:-1}" = 0 ]; then trap 'cleanup; rm -rf "$SOAK_DIR"' EXIT; fi
mkdir -p "$WORK/data"
APP=$APP CLI=$CLI HOME_DIR=$HIST DATA=$WORK/data DURATION=${DURATION:-3600} RATE=${RATE:-20} \
  LIMIT_MB=${LIMIT_MB:-150} OUT=$SOAK_DIR/rss.csv python3 bench/soak.py
