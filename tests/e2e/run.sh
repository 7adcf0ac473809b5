#!/usr/bin/env bash
# End-to-end tests of the tray app in its real WebKit webview: builds tokenworth-app and the CLI,
# starts Xvfb, a D-Bus session, a tray host (trayer) and a notification service (dunst), then runs tests/e2e/test_app.py, which
# starts tauri-driver + WebKitWebDriver per scenario. Screenshots go to docs/screenshots/.
#
#   bash tests/e2e/run.sh            (installs what it needs: scripts/setup-app.sh --test)
#   bash tests/e2e/run.sh Sharing    (one test class or method, as unittest names them)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
bash scripts/setup-app.sh --test
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
export PATH="$HOME/.cargo/bin:$PATH"

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
# SKIP_BUILD=1: use the binaries already built (scripts/test.sh's `cargo test --workspace`).
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build -q -p tokenworth-app -p tokenworth-cli -p tokenworth-board
export APP=$TARGET/debug/tokenworth-app CLI=$TARGET/debug/tokenworth BOARD=$TARGET/debug/tokenworth-board
export TAURI_DRIVER=${TAURI_DRIVER:-$(command -v tauri-driver)}
export SHOTS=$ROOT/docs/screenshots
export E2E_LOGS=$TARGET/e2e-logs
rm -rf "$E2E_LOGS"
mkdir -p "$SHOTS" "$E2E_LOGS"

VENV=$ROOT/tests/e2e/.venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q -r tests/e2e/requirements.txt

. scripts/xvfb-session.sh tw-e2e 90
trayer --edge bottom --align right --widthtype pixel --width 160 --heighttype pixel --height 32 \
  --transparent false --tint 0x333333 >"$WORK/trayer.log" 2>&1 &
PIDS+=($!)
# A real notification service on the test's D-Bus (the Alerts tests watch the calls to it).
dunst >"$WORK/dunst.log" 2>&1 &
PIDS+=($!)

export TZ=${TZ:-Europe/Berlin}
# The C locale, as on CI machines and in services: the webview must still get a usable language.
export LANG=C.UTF-8
unset LANGUAGE LC_ALL LC_MESSAGES
# Each App in the test gets its own fake HOME through tauri-driver's environment.
cd tests/e2e
# A hung WebDriver call must not hang CI: bound the whole run, and show the drivers' logs on failure.
if ! timeout 900 "$VENV/bin/python" test_app.py "$@"; then
  for f in "$E2E_LOGS"/tauri-driver-*.log; do echo "== $f"; tail -n 30 "$f"; done
  exit 1
fi
