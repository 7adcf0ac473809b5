#!/usr/bin/env bash
# Warm reports on the bench's ledger and on a ledger ten times its rollup (issue 12).
#
#   bench/warm.sh
#
# Two ledgers, each scanned by the real `tokenworth scan` (the writer every ledger is made by):
#   normal  the bench's corpus (`tokenworth-corpus --size 1GB --seed 1`: 60 days from 2026-02-20,
#           the one bench/run.sh uses, shared in bench/work/home), scanned into an empty data dir.
#   ten     a heavy user's two years: the same corpus as the last 60 days, after OLD_CHUNKS (9)
#           older corpora of CHUNK_SIZE (1GB) each over CHUNK_DAYS (74) days, back to back. Each
#           older chunk is generated, scanned into the data dir and deleted before the next (one
#           chunk on disk at a time); the bench corpus is scanned last and stays, so warm runs
#           look at the same logs on disk as on the normal ledger, and only the history differs.
#           Built once and reused while its stamp matches (REBUILD=1 builds it again).
# Measures on each ledger, nothing new in the logs (hyperfine: RUNS runs after WARMUP; median):
#   daily      tokenworth daily --json
#   session30  tokenworth session --json --since <the corpus's last day - 29 days>
#   overview   the dashboard's Overview call as the app makes it (a read-only connection, the
#              price table, dashboard::overview for 30 days) at 18:00 UTC on the corpus's last
#              day: `overview` from crates/core/examples, a process per call; also the median of
#              OVERVIEW_REPEAT calls inside one process (the call alone, as the running app pays it)
# Each: wall time (median, min–max), CPU time (user + system, mean) and, with valgrind, the
# instructions of one run (callgrind), which other processes on the machine do not move.
# Prints a markdown table, also written to bench/work/warm/results.md.
#
# Environment (defaults): RUNS=20 WARMUP=3 OVERVIEW_REPEAT=200 TIMEZONE=Europe/Berlin
# OLD_CHUNKS=9 CHUNK_DAYS=74 CHUNK_SIZE=1GB SKIP_BUILD=0 REBUILD=0
# TOKENWORTH=<target>/release/tokenworth OVERVIEW=<target>/release/examples/overview.
# CARGO_TARGET_DIR is honoured.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
WORK=$BENCH/work/warm
CORPUS=$BENCH/work/home
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
OVERVIEW_REPEAT=${OVERVIEW_REPEAT:-200}
TIMEZONE=${TIMEZONE:-Europe/Berlin}
OLD_CHUNKS=${OLD_CHUNKS:-9}
CHUNK_DAYS=${CHUNK_DAYS:-74}
CHUNK_SIZE=${CHUNK_SIZE:-1GB}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEN=$TARGET/release/tokenworth-corpus
TW=${TOKENWORTH:-$TARGET/release/tokenworth}
OV=${OVERVIEW:-$TARGET/release/examples/overview}
# The bench corpus: bench/run.sh's defaults.
SIZE=1GB
SEED=1
FIRST_DAY=2026-02-20
DAYS=60
LAST_DAY=$(date -u -d "$FIRST_DAY + $((DAYS - 1)) days" +%F)
SINCE=$(date -u -d "$LAST_DAY - 29 days" +%F)
NOW=${LAST_DAY}T18:00:00Z

log() { echo "== $*" >&2; }
mkdir -p "$WORK"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release -p tokenworth-corpus -p tokenworth-cli; --example overview"
    (cd "$ROOT" && cargo build --release -p tokenworth-corpus -p tokenworth-cli &&
        cargo build --release -p tokenworth-core --example overview)
fi
for b in "$GEN" "$TW" "$OV"; do
    [ -x "$b" ] || { echo "error: $b not found (build it, or set TOKENWORTH / OVERVIEW)" >&2; exit 2; }
done
command -v hyperfine >/dev/null || log "hyperfine not found: timing with a python loop instead"

# The zone is the user's own (TZ), as for a user who has not asked for another with
# --timezone: the ledger keeps its per-day sums in it (migration 8). A report asked for in
# another zone sums the quarter-hour rollup instead.
# Set here rather than by an `env` process in front of each timed command: `env` is a process
# start of its own (about a millisecond on a 2-core VM), which is no part of the report.
unset CLAUDE_CONFIG_DIR CODEX_HOME XDG_CONFIG_HOME TOKENWORTH_DATA_DIR
export NO_COLOR=1 "TZ=$TIMEZONE"
RUN_ENV=(env)

# ---------------------------------------------------------------- the bench corpus
GEN_SRC=$(find "$ROOT/crates/corpus/src" "$ROOT/crates/corpus/Cargo.toml" -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
STAMP="size=$SIZE seed=$SEED gen-src=$GEN_SRC"
if [ -f "$BENCH/work/home.stamp" ] && [ "$(cat "$BENCH/work/home.stamp")" = "$STAMP" ] && [ -f "$CORPUS/expected.json" ]; then
    log "reusing corpus in $CORPUS ($STAMP)"
else
    log "generating corpus ($SIZE, seed $SEED) into $CORPUS"
    rm -rf "$CORPUS" "$BENCH/work/home.stamp"
    "$GEN" --out "$CORPUS" --size "$SIZE" --seed "$SEED" --start "$FIRST_DAY" --days "$DAYS" >&2
    echo "$STAMP" >"$BENCH/work/home.stamp"
fi

scan() { # DATA_DIR HOME
    "${RUN_ENV[@]}" "HOME=$2" "$TW" --data-dir "$1" scan --json >/dev/null
}

# ---------------------------------------------------------------- the ledgers
log "normal ledger: scanning $CORPUS into $WORK/normal"
rm -rf "$WORK/normal"
scan "$WORK/normal" "$CORPUS"

TEN_STAMP="$STAMP old-chunks=$OLD_CHUNKS x $CHUNK_SIZE over $CHUNK_DAYS days"
if [ "${REBUILD:-0}" != 1 ] && [ -f "$WORK/ten.stamp" ] && [ "$(cat "$WORK/ten.stamp")" = "$TEN_STAMP" ]; then
    log "reusing the ten-times ledger in $WORK/ten ($TEN_STAMP)"
else
    rm -rf "$WORK/ten" "$WORK/ten.stamp" "$WORK/chunk"
    for ((i = 0; i < OLD_CHUNKS; i++)); do
        start=$(date -u -d "$FIRST_DAY - $(((OLD_CHUNKS - i) * CHUNK_DAYS)) days" +%F)
        log "ten-times ledger: chunk $((i + 1))/$OLD_CHUNKS ($CHUNK_SIZE, $CHUNK_DAYS days from $start, seed $((1001 + i)))"
        "$GEN" --out "$WORK/chunk" --size "$CHUNK_SIZE" --seed $((1001 + i)) --start "$start" --days "$CHUNK_DAYS" >&2
        scan "$WORK/ten" "$WORK/chunk"
        rm -rf "$WORK/chunk"
    done
    log "ten-times ledger: the bench corpus last"
    scan "$WORK/ten" "$CORPUS"
    echo "$TEN_STAMP" >"$WORK/ten.stamp"
fi

describe() { # DATA_DIR -> "rollup rows, events, sessions, files, MB"
    python3 - "$1/ledger.db" <<'PY'
import os, sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
n = lambda t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
lo, hi = c.execute("SELECT min(ts), max(ts) FROM events").fetchone()
mb = sum(os.path.getsize(sys.argv[1] + s) for s in ("", "-wal") if os.path.exists(sys.argv[1] + s)) / 1e6
print(f"{n('rollup'):,} rollup rows, {n('events'):,} events, {n('sessions'):,} sessions, "
      f"{n('files'):,} files, {(hi - lo) / 86400000:.0f} days, {mb:.0f} MB")
PY
}

# ---------------------------------------------------------------- timing
# measure KEY CMD... -> "wall median ms (min, max); CPU ms" on stdout. CPU is user + system, the
# mean over the runs: it holds better than wall time while other processes load the machine.
measure() {
    local key=$1
    shift
    local json=$WORK/$key.json
    if command -v hyperfine >/dev/null; then
        hyperfine --style none --shell=none --runs "$RUNS" --warmup "$WARMUP" --export-json "$json" \
            "$(printf '%q ' "$@")" >&2
    else
        python3 - "$json" "$RUNS" "$WARMUP" "$@" <<'PY'
import json, os, statistics, subprocess, sys, time
out, runs, warmup, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
for _ in range(warmup):
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
t, u, s = [], [], []
for _ in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    t.append(time.perf_counter() - t0)
    u.append(ru.ru_utime)
    s.append(ru.ru_stime)
    assert status == 0, cmd
json.dump({"results": [{"median": statistics.median(t), "min": min(t), "max": max(t), "times": t,
                        "user": statistics.mean(u), "system": statistics.mean(s)}]}, open(out, "w"))
PY
    fi
    python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{r['median'] * 1e3:.1f} ms ({r['min'] * 1e3:.1f}–{r['max'] * 1e3:.1f}); CPU {(r['user'] + r['system']) * 1e3:.1f} ms")
PY
}

# instructions CMD... -> instructions of one run (valgrind's callgrind; "-" without valgrind):
# the figure other processes on the machine do not move.
instructions() {
    command -v valgrind >/dev/null || { echo "-"; return; }
    "${RUN_ENV[@]}" "HOME=$CORPUS" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' | python3 -c 'import sys; print(f"{int(sys.stdin.read()) / 1e6:.1f} M")'
}

declare -A RES
for led in normal ten; do
    data=$WORK/$led
    RES[$led.desc]=$(describe "$data")
    log "$led: ${RES[$led.desc]}"
    tw=("$TW" --data-dir "$data")
    ov=("$OV" --data-dir "$data" --timezone "$TIMEZONE" --now "$NOW" --days 30)
    RES[$led.daily]=$(HOME=$CORPUS measure "$led-daily" "${tw[@]}" daily --json)
    RES[$led.daily_i]=$(instructions "${tw[@]}" daily --json)
    RES[$led.session30]=$(HOME=$CORPUS measure "$led-session30" "${tw[@]}" session --json --since "$SINCE")
    RES[$led.session30_i]=$(instructions "${tw[@]}" session --json --since "$SINCE")
    RES[$led.overview]=$(measure "$led-overview" "${ov[@]}")
    RES[$led.overview_i]=$(instructions "${ov[@]}")
    RES[$led.overview_in]=$("${ov[@]}" --repeat "$OVERVIEW_REPEAT" 2>&1 >/dev/null | sed 's/^overview x[0-9]*: //')
done

{
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(date -u +%FT%TZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "tokenworth: $TW; zone $TIMEZONE; $RUNS runs after $WARMUP warm-up runs: wall median (min–max); CPU mean; instructions of one run"
    echo
    for led in normal ten; do
        echo "- $led: ${RES[$led.desc]}"
    done
    echo
    echo "| ledger | daily --json | session --json --since $SINCE | Overview, a process per call | Overview call in one process (x$OVERVIEW_REPEAT, median) |"
    echo "|---|---|---|---|---|"
    for led in normal ten; do
        echo "| $led | ${RES[$led.daily]}; ${RES[$led.daily_i]} | ${RES[$led.session30]}; ${RES[$led.session30_i]} | ${RES[$led.overview]}; ${RES[$led.overview_i]} | ${RES[$led.overview_in]} |"
    done
} | tee "$WORK/results.md"
