#!/usr/bin/env bash
# Side-by-side check of Tokenworth, ccusage 20 and the corpus truth (CI entry).
#
#   tests/ccusage/run.sh                 # build, generate ~30 MB, compare 5 zones
#   tests/ccusage/run.sh --ccusage-only  # no tokenworth: check ccusage vs truth
#
# Two corpora are generated from the same seed:
#   agree  every trap except the ones ccusage 20.0.24 gets wrong
#          (claude_no_request_id, broken_lines): tokenworth must equal the truth
#          AND ccusage exactly, and its cost must be within 2% of ccusage's.
#   full   all traps: tokenworth must equal the truth; differences to ccusage
#          are printed for information only.
#
# Environment: SIZE (default 30MB), SEED (default 20260220), ZONES (comma list),
# PROFILE (cargo profile of the binaries: release by default, dev in CI where the test build
# already made the dependencies), TOKENWORTH (binary, default <target>/<profile dir>/tokenworth),
# SKIP_BUILD=1, CARGO_TARGET_DIR (honoured), KEEP=1 (keep the temp dir).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

CCUSAGE_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --ccusage-only) CCUSAGE_ONLY=1 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

SIZE=${SIZE:-30MB}
SEED=${SEED:-20260220}
ZONES=${ZONES:-UTC,America/New_York,Europe/Berlin,Asia/Kolkata,Australia/Lord_Howe}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${PROFILE:-release}
case "$PROFILE" in dev) PROFILE_DIR=debug ;; *) PROFILE_DIR=$PROFILE ;; esac
CORPUS_BIN=$TARGET/$PROFILE_DIR/tokenworth-corpus
TOKENWORTH_FROM_ENV=${TOKENWORTH:+1}
TOKENWORTH=${TOKENWORTH:-$TARGET/$PROFILE_DIR/tokenworth}
CCUSAGE=$ROOT/bench/node_modules/.bin/ccusage
CCUSAGE_VERSION=20.0.24

# 1. ccusage, pinned by bench/package-lock.json (npm registry only)
if [ ! -x "$CCUSAGE" ]; then
    echo "== installing ccusage $CCUSAGE_VERSION into bench/node_modules (npm ci)"
    npm ci --prefix "$ROOT/bench" --no-audit --no-fund
fi
got=$("$CCUSAGE" --version 2>/dev/null || true)
case "$got" in
    *"$CCUSAGE_VERSION"*) ;;
    *) echo "error: expected ccusage $CCUSAGE_VERSION, got '$got' (run: npm ci --prefix bench)" >&2; exit 2 ;;
esac

# 2. binaries
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== cargo build --profile $PROFILE -p tokenworth-corpus"
    cargo build --profile "$PROFILE" -p tokenworth-corpus
    if [ "$CCUSAGE_ONLY" = 0 ] && [ -z "$TOKENWORTH_FROM_ENV" ]; then
        echo "== cargo build --profile $PROFILE -p tokenworth-cli"
        cargo build --profile "$PROFILE" -p tokenworth-cli
    fi
fi
[ -x "$CORPUS_BIN" ] || { echo "error: corpus generator not found at $CORPUS_BIN" >&2; exit 2; }
if [ "$CCUSAGE_ONLY" = 0 ] && [ ! -x "$TOKENWORTH" ]; then
    echo "error: tokenworth binary not found at $TOKENWORTH" >&2
    echo "       build it (cargo build --release -p tokenworth-cli), set TOKENWORTH=..., or pass --ccusage-only" >&2
    exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tokenworth-ccusage.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    echo "== keeping $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi

if [ "$CCUSAGE_ONLY" = 1 ]; then
    TW_ARGS=(--tokenworth "")
else
    TW_ARGS=(--tokenworth "$TOKENWORTH")
fi

status=0
echo "== corpus 'agree' ($SIZE, seed $SEED, without claude_no_request_id,broken_lines)"
"$CORPUS_BIN" --out "$WORK/agree" --size "$SIZE" --seed "$SEED" --without claude_no_request_id,broken_lines
python3 "$ROOT/tests/ccusage/compare.py" --home "$WORK/agree" "${TW_ARGS[@]}" \
    --ccusage "$CCUSAGE" --zones "$ZONES" || status=$?

echo "== corpus 'full' ($SIZE, seed $SEED, all traps)"
"$CORPUS_BIN" --out "$WORK/full" --size "$SIZE" --seed "$SEED"
python3 "$ROOT/tests/ccusage/compare.py" --home "$WORK/full" "${TW_ARGS[@]}" \
    --ccusage "$CCUSAGE" --zones "$ZONES" --ccusage-informational || { rc=$?; [ "$rc" -gt "$status" ] && status=$rc; }

if [ "$CCUSAGE_ONLY" = 0 ] && ls "$ROOT"/tests/ccusage/gen/*.py >/dev/null 2>&1; then
    echo "== the other tools ccusage reads (tests/ccusage/gen/*.py, UTC days)"
    python3 "$ROOT/tests/ccusage/tools.py" --tokenworth "$TOKENWORTH" --ccusage "$CCUSAGE" \
        || { rc=$?; [ "$rc" -gt "$status" ] && status=$rc; }
fi

if [ "$status" = 0 ]; then
    echo "== all comparisons passed"
else
    echo "== FAILED (see above)"
fi
exit "$status"
