#!/usr/bin/env bash
# Runs the board page's browser test in headless Chromium: fixture mode always, full mode against
# the real server when BOARD_BIN is set (DATABASE_URL, when set, is passed on as --database-url).
# Installs what is missing (Node/npm and Chromium from apt, playwright-core from package-lock.json).
# Exits non-zero on any failure. Screenshots: crates/board/page/test/out/.
set -euo pipefail
if [ -n "${BOARD_BIN:-}" ]; then
  BOARD_BIN="$(cd "$(dirname "$BOARD_BIN")" && pwd)/$(basename "$BOARD_BIN")"
  export BOARD_BIN
fi
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
need_apt=()
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== board page: fixture mode"
node page.mjs --fixture
if [ -n "${BOARD_BIN:-}" ]; then
  echo "== board page: full mode ($BOARD_BIN)"
  node page.mjs
else
  echo "== board page: full mode skipped (BOARD_BIN not set)"
fi
