#!/usr/bin/env bash
# Coverage-guided fuzzing on the stable toolchain: builds the three targets in fuzz/ with
# cargo-fuzz (`--sanitizer none`: no nightly needed) and runs each for FUZZ_SECONDS (default 60)
# on the corpus kept in fuzz/corpus/<target>/, failing on any panic, hang (an input taking over
# 10 s) or input that makes the code hold more than ten times its size (checked by the targets'
# own allocator; see docs/reliability.md for the limits and for longer local runs).
# The kept corpus is only read: what a run finds goes to a temporary folder, crashes to
# fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
SECS="${FUZZ_SECONDS:-60}"
cargo fuzz build --sanitizer none
# The three targets run side by side (a minute of wall time, not three).
declare -A PIDS LOGS
for target in sources skim config; do
  case "$target" in
    sources) max_len=65536 ;;
    *) max_len=16384 ;;
  esac
  found="$(mktemp -d)"
  LOGS[$target]="$found.log"
  echo "== fuzz $target ${SECS}s"
  cargo fuzz run --sanitizer none "$target" "$found" "corpus/$target" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 -max_len="$max_len" \
    -print_final_stats=1 >"${LOGS[$target]}" 2>&1 &
  PIDS[$target]=$!
done
failed=0
for target in sources skim config; do
  log="${LOGS[$target]}"
  if ! wait "${PIDS[$target]}"; then
    tail -n 60 "$log" >&2
    echo "fuzz $target failed: the input is in fuzz/artifacts/$target/" >&2
    failed=1
    continue
  fi
  echo "== fuzz $target:"
  grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|cov:' "$log" | tail -n 5
  rm -rf "${log%.log}" "$log"
done
exit "$failed"
