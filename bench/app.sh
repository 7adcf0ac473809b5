#!/usr/bin/env bash
# Benchmarks of the tray app on the ~1 GB corpus of bench/run.sh (generated there): launch → tray
# with totals, idle CPU and wake-ups over 60 s, memory of the app with its webview. Runs the
# release build under Xvfb with a D-Bus session. Not a test: numbers go to docs/performance.md.
#
#   bash bench/app.sh        (env: RUNS=5 IDLE=60 SKIP_BUILD=0)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/setup-app.sh --test
  cargo build --release -q -p tokenworth-app
fi
HOME_DIR=$ROOT/bench/work/home
[ -d "$HOME_DIR/.claude" ] || { echo "no corpus in $HOME_DIR: run bench/run.sh first" >&2; exit 1; }
. scripts/xvfb-session.sh tw-appbench 80
echo "machine: $(nproc) cores, $(uname -r); load: $(uptime | sed 's/.*load average: //')"
APP=$TARGET/release/tokenworth-app HOME_DIR=$HOME_DIR DATA=$WORK/data python3 bench/app_bench.py
