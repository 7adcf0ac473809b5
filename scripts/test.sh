#!/usr/bin/env bash
# Sets up and runs every check: formatting, clippy, the Rust test suites (the watcher on real
# notify events included), a minute of fuzzing per fuzz target, the side-by-side comparison with
# ccusage 20 on a generated corpus, the dashboard's browser tests, the team board on SQLite and
# PostgreSQL (API, CLI, its page in headless Chromium), the tray app end to end in its real WebKit
# webview under Xvfb, the .deb installed, started from /usr/bin, seen in the tray and removed, and
# a soak of the tray app (bench/soak.sh: 1 GB of history, five minutes of appends, RSS ≤ 150 MB)
# that runs in the background beside the steps after `cargo test` (its checks are the ledger
# against a cold scan and the memory; the CPU it prints is for information).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-app.sh --test
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! command -v npm >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends nodejs npm python3
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# One build per run: no incremental caches (they were 3 GB of the run's disk). What a step no
# longer needs is deleted after it (the test executables, the fuzz build), as CI machines can
# have little disk; KEEP_BUILDS=1 keeps them.
export CARGO_INCREMENTAL=0
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
free_disk() {
  [ "${KEEP_BUILDS:-0}" = 1 ] && return 0
  rm -rf "$@"
  echo "   (freed; $(df -h --output=avail "$TARGET" | tail -n 1 | tr -d ' ') available)"
}

# Each step's heading says when it started (seconds into the run), so a slow step shows.
step() { echo "== $* (at ${SECONDS}s)"; }
step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
# One build for every step: `cargo test --workspace` builds every package's tests and the binaries
# the later steps run (tokenworth, tokenworth-app, tokenworth-board, tokenworth-corpus) with one
# set of features; a later `cargo build -p …` would resolve other features and build much of the
# tree again, so those steps get SKIP_BUILD=1. The board's suite runs on SQLite and on a throwaway
# PostgreSQL cluster (scripts/with-postgres.sh).
step "cargo test (the board's suite on SQLite and PostgreSQL)"
bash scripts/with-postgres.sh cargo test --workspace
free_disk $(find "$TARGET/debug/deps" -maxdepth 1 -type f -executable ! -name '*.so')
step "soak: started in the background (1 GB of history, the app watching 5 minutes of appends)"
SOAK_LOG=$(mktemp /tmp/tokenworth-soak.XXXXXX)
# The soak runs its own copies of the binaries: the .deb step patches the app binary in place
# (Tauri's bundler writes the package type into it), which fails on a file being executed.
SOAK_BIN=$(mktemp -d /tmp/tokenworth-soak-bin.XXXXXX)
mkdir -p "$SOAK_BIN/debug"
cp "$TARGET/debug/tokenworth" "$TARGET/debug/tokenworth-app" "$TARGET/debug/tokenworth-corpus" "$SOAK_BIN/debug/"
CARGO_TARGET_DIR="$SOAK_BIN" SKIP_BUILD=1 SIZE=1GB DURATION=300 PROFILE=dev KEEP=0 \
  SOAK_DIR=$(mktemp -d /tmp/tokenworth-soak-dir.XXXXXX) setsid bash bench/soak.sh >"$SOAK_LOG" 2>&1 &
SOAK_PID=$!
# A step failing ends the run: the soak (its own process group) with it.
trap 'kill -- -"$SOAK_PID" 2>/dev/null || true' EXIT
step "fuzz (cargo-fuzz on stable, 60 s a target)"
bash scripts/test-fuzz.sh
free_disk fuzz/target
step "team board's page (SQLite and PostgreSQL)"
SKIP_BUILD=1 bash scripts/test-board.sh --page-only
step "ccusage 20 side by side"
SKIP_BUILD=1 PROFILE=dev bash tests/ccusage/run.sh
step "dashboard in headless Chromium (fake bridge)"
bash ui/test/run.sh
step "tray app end to end (real webview, tauri-driver, Xvfb, trayer)"
SKIP_BUILD=1 bash tests/e2e/run.sh
step ".deb: build (the binaries built above), apt-get install, the installed app's tray, apt-get remove"
SKIP_BUILD=1 bash scripts/test-deb.sh
step "soak (started after cargo test)"
soak_rc=0
wait "$SOAK_PID" || soak_rc=$?
cat "$SOAK_LOG"
rm -rf "$SOAK_BIN"
[ "$soak_rc" = 0 ] || { echo "soak: failed (exit $soak_rc)" >&2; exit 1; }
step "all passed"
