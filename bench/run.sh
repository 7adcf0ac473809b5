#!/usr/bin/env bash
# Tokenworth vs ccusage 20 on a generated ~1 GB fake $HOME, same machine, same run.
#
#   bench/run.sh
#
# Measures
#   1. cold         tokenworth daily --json, empty data dir each run (scan + report)
#   2. warm         tokenworth daily --json, nothing new since the last run
#   3. incremental  append N bytes of new Claude lines to 3 files, then report
#   4. peak RSS     of the cold scan (/usr/bin/time -v), ccusage's for comparison
#   5. ccusage      daily --json --offline (covers Claude and Codex), plus the
#                   per-agent commands and the native binary without the node launcher
#   6. pairs        cold and warm daily --json against ccusage's native binary as PAIRS
#                   interleaved pairs (bench/pairs.py): the median of the paired ratios, with
#                   min and max, which the machine's drift between separate runs does not move
# and prints a markdown table, also written to bench/results-<date>.md.
#
# Environment (defaults): SIZE=1GB SEED=1 COLD_RUNS=5 WARM_RUNS=20 INC_RUNS=5
# CC_RUNS=5 PAIRS=10 APPEND_SIZES="1MB 10MB" SKIP_BUILD=0 TOKENWORTH=<target>/release/tokenworth
# CARGO_TARGET_DIR is honoured. The corpus in bench/work/home is reused when
# seed, size and generator binary are unchanged. The page cache is warmed
# before timing: numbers are CPU/parse cost, not disk reads.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
WORK=$BENCH/work
CORPUS=$WORK/home
RES=$WORK/results
SIZE=${SIZE:-1GB}
SEED=${SEED:-1}
COLD_RUNS=${COLD_RUNS:-5}
WARM_RUNS=${WARM_RUNS:-20}
INC_RUNS=${INC_RUNS:-5}
CC_RUNS=${CC_RUNS:-5}
PAIRS=${PAIRS:-10}
APPEND_SIZES=${APPEND_SIZES:-"1MB 10MB"}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GEN=$TARGET/release/tokenworth-corpus
TW_FROM_ENV=${TOKENWORTH:+1}
TW=${TOKENWORTH:-$TARGET/release/tokenworth}
CC=$BENCH/node_modules/.bin/ccusage
CC_NATIVE=$BENCH/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage
DATE=$(date +%Y-%m-%d)
OUT=$BENCH/results-$DATE.md

log() { echo "== $*" >&2; }
NOTES=()
note() { NOTES+=("$*"); log "NOTE: $*"; }

mkdir -p "$WORK" "$RES"
rm -f "$RES"/*.json "$RES"/*.rss

# ---------------------------------------------------------------- build
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release -p tokenworth-corpus"
    (cd "$ROOT" && cargo build --release -p tokenworth-corpus)
    if [ -z "$TW_FROM_ENV" ]; then
        log "cargo build --release -p tokenworth-cli"
        (cd "$ROOT" && cargo build --release -p tokenworth-cli) || note "tokenworth-cli failed to build"
    fi
fi
[ -x "$GEN" ] || { echo "error: corpus generator not found at $GEN" >&2; exit 2; }
HAVE_TW=1
if [ ! -x "$TW" ]; then
    HAVE_TW=0
    note "tokenworth binary not found at $TW: the tokenworth rows (cold, warm, incremental, RSS) are skipped"
fi

# ---------------------------------------------------------------- tools
if ! command -v hyperfine >/dev/null || [ ! -x /usr/bin/time ]; then
    if command -v apt-get >/dev/null; then
        SUDO=
        [ "$(id -u)" = 0 ] || SUDO="sudo -n"
        log "installing hyperfine and time from Debian"
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq hyperfine time; } >&2 || true
    fi
fi
HAVE_HF=1
command -v hyperfine >/dev/null || { HAVE_HF=0; note "hyperfine unavailable: using a plain timing loop"; }
HAVE_TIME=1
[ -x /usr/bin/time ] || { HAVE_TIME=0; note "/usr/bin/time unavailable: no peak RSS"; }
if [ ! -x "$CC" ]; then
    log "installing ccusage into bench/node_modules (npm ci)"
    npm ci --prefix "$BENCH" --no-audit --no-fund >&2
fi
# npm unpacks the native binary without its execute bit (ccusage's launcher sets it when it
# first runs it); the pairs run it directly.
[ -x "$CC_NATIVE" ] || chmod +x "$CC_NATIVE"
CC_VERSION=$("$CC" --version 2>/dev/null || echo "?")

# ---------------------------------------------------------------- corpus
# Undo appends left by an interrupted run, before deciding on reuse.
restore_appends() {
    if [ -f "$WORK/appended.list" ]; then
        while read -r size file; do
            [ -f "$file" ] && truncate -s "$size" "$file"
        done <"$WORK/appended.list"
        rm -f "$WORK/appended.list"
    fi
}
restore_appends
# The generator's sources decide the corpus (its binary changes with every dependency build).
GEN_SRC=$(find "$ROOT/crates/corpus/src" "$ROOT/crates/corpus/Cargo.toml" -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
STAMP="size=$SIZE seed=$SEED gen-src=$GEN_SRC"
if [ -f "$WORK/home.stamp" ] && [ "$(cat "$WORK/home.stamp")" = "$STAMP" ] && [ -f "$CORPUS/expected.json" ]; then
    log "reusing corpus in $CORPUS ($STAMP)"
else
    log "generating corpus ($SIZE, seed $SEED) into $CORPUS"
    rm -rf "$CORPUS" "$WORK/home.stamp"
    "$GEN" --out "$CORPUS" --size "$SIZE" --seed "$SEED" >&2
    echo "$STAMP" >"$WORK/home.stamp"
fi
log "warming the page cache"
find "$CORPUS" -name '*.jsonl' -exec cat {} + >/dev/null

RUN_ENV=(env -u CLAUDE_CONFIG_DIR -u CODEX_HOME -u XDG_CONFIG_HOME "HOME=$CORPUS" NO_COLOR=1)
q() { printf '%q ' "$@"; }

# measure KEY RUNS PREPARE WARMUP CMD... -> $RES/KEY.json (hyperfine's export shape)
measure() {
    local key=$1 runs=$2 prepare=$3 warmup=$4
    shift 4
    local cmd
    cmd=$(q "$@")
    log "timing $key ($runs runs)"
    if [ "$HAVE_HF" = 1 ]; then
        local args=(--style basic --runs "$runs" --warmup "$warmup" --export-json "$RES/$key.json")
        [ -n "$prepare" ] && args+=(--prepare "$prepare")
        hyperfine "${args[@]}" "$cmd" >&2 || { note "$key: command failed: $cmd"; rm -f "$RES/$key.json"; }
    else
        local times=() i t0 t1
        for ((i = 0; i < warmup; i++)); do
            [ -n "$prepare" ] && bash -c "$prepare"
            "$@" >/dev/null || true
        done
        for ((i = 0; i < runs; i++)); do
            [ -n "$prepare" ] && bash -c "$prepare"
            t0=$(date +%s%N)
            "$@" >/dev/null || { note "$key: command failed: $cmd"; return 0; }
            t1=$(date +%s%N)
            times+=("$(((t1 - t0) / 1000))")
        done
        python3 - "$RES/$key.json" "${times[@]}" <<'PY'
import json, statistics, sys
t = [int(x) / 1e6 for x in sys.argv[2:]]
json.dump({"results": [{"mean": statistics.mean(t), "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
                        "min": min(t), "max": max(t), "times": t}]}, open(sys.argv[1], "w"))
PY
    fi
}

# peak_rss KEY PREPARE CMD... -> $RES/KEY.rss (kB)
peak_rss() {
    local key=$1 prepare=$2
    shift 2
    [ "$HAVE_TIME" = 1 ] || return 0
    [ -n "$prepare" ] && bash -c "$prepare"
    /usr/bin/time -v "$@" 2>"$RES/$key.time" >/dev/null || { note "$key: command failed under /usr/bin/time"; return 0; }
    sed -n 's/.*Maximum resident set size (kbytes): *//p' "$RES/$key.time" >"$RES/$key.rss"
}

# ---------------------------------------------------------------- tokenworth
if [ "$HAVE_TW" = 1 ]; then
    DD_COLD=$WORK/data-cold
    DD_WARM=$WORK/data-warm
    TWCMD() { "${RUN_ENV[@]}" "$TW" daily --json --data-dir "$1"; }
    measure tw_cold "$COLD_RUNS" "rm -rf $(q "$DD_COLD")" 0 "${RUN_ENV[@]}" "$TW" daily --json --data-dir "$DD_COLD"
    peak_rss tw_cold "rm -rf $(q "$DD_COLD")" "${RUN_ENV[@]}" "$TW" daily --json --data-dir "$DD_COLD"

    rm -rf "$DD_WARM"
    TWCMD "$DD_WARM" >/dev/null || note "tokenworth failed to build the warm data dir"
    measure tw_warm "$WARM_RUNS" "" 1 "${RUN_ENV[@]}" "$TW" daily --json --data-dir "$DD_WARM"
    peak_rss tw_warm "" "${RUN_ENV[@]}" "$TW" daily --json --data-dir "$DD_WARM"

    # Incremental: new, distinct Claude lines (from a second generated corpus)
    # appended to the three largest Claude session files, then a report.
    APPEND_SRC=$WORK/append-src
    need=$(python3 - "$INC_RUNS" $APPEND_SIZES <<'PY'
import sys
units = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "b": 1}
def parse(s):
    s = s.strip().lower()
    for u in ("kb", "mb", "gb", "b"):
        if s.endswith(u):
            return float(s[: -len(u)]) * units[u]
    return float(s)
runs = int(sys.argv[1])
print(int(sum(parse(s) for s in sys.argv[2:]) * (runs + 1) * 1.6) + 2_000_000)
PY
)
    rm -rf "$APPEND_SRC"
    "$GEN" --out "$APPEND_SRC" --size "$need" --seed "$((SEED + 1000))" --without codex_reemit >/dev/null
    mapfile -t TARGETS < <(find "$CORPUS/.claude/projects" -maxdepth 2 -name '*.jsonl' -printf '%s %p\n' | sort -rn | head -3 | cut -d' ' -f2-)
    : >"$WORK/appended.list"
    for f in "${TARGETS[@]}"; do echo "$(stat -c %s "$f") $f" >>"$WORK/appended.list"; done
    trap restore_appends EXIT
    # chunks: whole Claude lines, ~SIZE/3 per target file, distinct for every run
    python3 - "$APPEND_SRC" "$WORK/chunks" "$INC_RUNS" $APPEND_SIZES <<'PY'
import os, sys
src, out, runs, sizes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
units = {"kb": 1e3, "mb": 1e6, "gb": 1e9}
def parse(s):
    s = s.lower()
    for u in units:
        if s.endswith(u):
            return int(float(s[:-2]) * units[u])
    return int(s)
lines = []
for d, _, fs in sorted(os.walk(os.path.join(src, ".claude", "projects"))):
    for f in sorted(fs):
        if f.endswith(".jsonl"):
            with open(os.path.join(d, f), "rb") as fh:
                lines.extend(fh.read().splitlines(keepends=True))
os.makedirs(out, exist_ok=True)
pos = 0
for s in sizes:
    for r in range(runs + 1):
        for part in range(3):
            want, buf = parse(s) // 3, []
            got = 0
            while got < want:
                line = lines[pos % len(lines)]
                pos += 1
                buf.append(line)
                got += len(line)
            with open(os.path.join(out, "%s-%d-%d.jsonl" % (s, r, part)), "wb") as fh:
                fh.write(b"".join(buf))
PY
    cat >"$WORK/append.sh" <<EOF
#!/usr/bin/env bash
# append.sh SIZE: appends the next unused chunk of SIZE to the three target files
set -e
n=\$(cat "$WORK/chunks/\$1.next" 2>/dev/null || echo 0)
$(i=0; for f in "${TARGETS[@]}"; do echo "cat \"$WORK/chunks/\$1-\$n-$i.jsonl\" >> $(q "$f")"; i=$((i + 1)); done)
echo \$((n + 1)) > "$WORK/chunks/\$1.next"
EOF
    chmod +x "$WORK/append.sh"
    for s in $APPEND_SIZES; do
        rm -f "$WORK/chunks/$s.next"
        measure "tw_inc_$s" "$INC_RUNS" "$(q "$WORK/append.sh" "$s")" 1 "${RUN_ENV[@]}" "$TW" daily --json --data-dir "$DD_WARM"
    done
    restore_appends
    trap - EXIT
    rm -rf "$DD_COLD" "$DD_WARM" "$APPEND_SRC" "$WORK/chunks" "$WORK/append.sh"
fi

# ---------------------------------------------------------------- ccusage
measure cc_daily "$CC_RUNS" "" 1 "${RUN_ENV[@]}" "$CC" daily --json --offline
peak_rss cc_daily "" "${RUN_ENV[@]}" "$CC" daily --json --offline
measure cc_native_daily "$CC_RUNS" "" 1 "${RUN_ENV[@]}" "$CC_NATIVE" daily --json --offline
measure cc_claude_daily "$CC_RUNS" "" 1 "${RUN_ENV[@]}" "$CC" claude daily --json --offline
measure cc_codex_daily "$CC_RUNS" "" 1 "${RUN_ENV[@]}" "$CC" codex daily --json --offline

# ---------------------------------------------------------------- pairs
if [ "$HAVE_TW" = 1 ] && [ "$PAIRS" -gt 0 ]; then
    log "interleaved pairs against ccusage's native binary ($PAIRS cold, $PAIRS warm)"
    python3 "$BENCH/pairs.py" --home "$CORPUS" --tokenworth "$TW" --ccusage "$CC_NATIVE" \
        --pairs "$PAIRS" --data "$WORK/data-pairs" --json "$RES/pairs.json" >&2 \
        || note "the paired runs failed"
    rm -rf "$WORK/data-pairs"
fi

# ---------------------------------------------------------------- report
TW_VERSION="not built"
if [ "$HAVE_TW" = 1 ]; then
    TW_VERSION=$("$TW" --version 2>/dev/null | head -1) || true
    [ -n "$TW_VERSION" ] || TW_VERSION="$TW (no --version)"
fi
NOTES_TEXT=$(printf '%s\n' "${NOTES[@]+"${NOTES[@]}"}")
python3 - "$RES" "$CORPUS" "$OUT" "$CC_VERSION" "$TW_VERSION" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$HAVE_HF" "$APPEND_SIZES" "$NOTES_TEXT" <<'PY'
import json, os, platform, sys, datetime
res, corpus, out, cc_version, tw_version, commit, have_hf, append_sizes, notes = sys.argv[1:10]

def load(key):
    p = os.path.join(res, key + ".json")
    if not os.path.exists(p):
        return None
    r = json.load(open(p))["results"][0]
    return r

def rss(key):
    p = os.path.join(res, key + ".rss")
    if os.path.exists(p):
        t = open(p).read().strip()
        if t:
            return "%.0f MB" % (int(t) / 1024)
    return ""

def fmt(s):
    return "%.3f s" % s if s >= 1 else "%.1f ms" % (s * 1000)

exp = json.load(open(os.path.join(corpus, "expected.json")))
gen = exp["generator"]
cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
mem = "?"
try:
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = "%.1f GB" % (int(line.split()[1]) / 1024 / 1024)
except OSError:
    pass

rows = [
    ("tw_cold", "tokenworth daily --json, cold (empty data dir: full scan + report)"),
    ("tw_warm", "tokenworth daily --json, warm (nothing new)"),
]
for s in append_sizes.split():
    rows.append(("tw_inc_" + s, "tokenworth daily --json after appending %s (3 files)" % s))
rows += [
    ("cc_daily", "ccusage daily --json --offline (Claude + Codex)"),
    ("cc_native_daily", "ccusage native binary daily --json --offline (no node launcher)"),
    ("cc_claude_daily", "ccusage claude daily --json --offline"),
    ("cc_codex_daily", "ccusage codex daily --json --offline"),
]
lines = []
lines.append("# Tokenworth vs ccusage benchmark, %s" % datetime.date.today().isoformat())
lines.append("")
lines.append("- machine: %s, %d cores, %s RAM, %s %s" % (cpu, os.cpu_count() or 0, mem, platform.system(), platform.release()))
lines.append("- corpus: %.1f MB in %d files (seed %s, %s days from %s, all traps), %d Claude + %d Codex usage records"
             % (gen["bytes_written"] / 1e6, gen["files"], gen["seed"], gen["days"], gen["start"],
                exp["events"]["claude-code"], exp["events"]["codex"]))
lines.append("- tokenworth: %s (commit %s); ccusage: %s" % (tw_version, commit, cc_version))
lines.append("- timing: %s; page cache warm (corpus read before timing)" % ("hyperfine" if have_hf == "1" else "plain loop"))
lines.append("")
lines.append("| measurement | runs | mean | ± σ | min | max | peak RSS |")
lines.append("|---|---:|---:|---:|---:|---:|---:|")
for key, label in rows:
    r = load(key)
    if r is None:
        lines.append("| %s | – | not run | | | | |" % label)
        continue
    n = len(r.get("times", [])) or "?"
    lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
        label, n, fmt(r["mean"]), fmt(r.get("stddev") or 0.0), fmt(r["min"]), fmt(r["max"]), rss(key)))
cold, warm = load("tw_cold"), load("tw_warm")
if cold and warm:
    lines.append("")
    lines.append("Incremental cost should follow appended bytes, not history: cold scan throughput %.0f MB/s;"
                 % (gen["bytes_written"] / 1e6 / cold["mean"]))
    for s in append_sizes.split():
        r = load("tw_inc_" + s)
        if r:
            lines.append("- +%s: %s (warm no-op %s, extra %s)" % (s, fmt(r["mean"]), fmt(warm["mean"]), fmt(max(0.0, r["mean"] - warm["mean"]))))
pairs_path = os.path.join(res, "pairs.json")
if os.path.exists(pairs_path):
    pairs = json.load(open(pairs_path))
    lines.append("")
    lines.append("Interleaved pairs against ccusage's native binary (`daily --json --offline`), order alternating:")
    lines.append("")
    lines.append("| pairs | tokenworth median | ccusage median | paired ratio median | min | max |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for key, label in (("cold", "cold daily --json (empty data dir)"), ("warm", "warm daily --json (nothing new)")):
        p = pairs[key]
        lines.append("| %s, %d | %s | %s | **%.3f×** | %.3f× | %.3f× |" % (
            label, p["pairs"], fmt(p["tokenworth_median_ms"] / 1e3), fmt(p["ccusage_median_ms"] / 1e3),
            p["ratio_median"], p["ratio_min"], p["ratio_max"]))
if notes.strip():
    lines.append("")
    lines.append("Notes:")
    for n in notes.strip().splitlines():
        lines.append("- " + n)
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PY
log "written $OUT"
