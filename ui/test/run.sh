#!/usr/bin/env bash
# Runs the dashboard tests: unit checks in Node, then the browser test in headless Chromium with
# a fake window.__TAURI__. Installs what is missing (Node/npm and Chromium from apt, playwright-core
# and uplot from package-lock.json). Exits non-zero on any failure. Screenshots: ui/test/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# The committed vendor/ copy must be the pinned npm version (see README.md).
if ! cmp -s node_modules/uplot/dist/uPlot.esm.js vendor/uPlot.esm.js || ! cmp -s node_modules/uplot/dist/uPlot.min.css vendor/uPlot.min.css; then
  echo "vendor/ differs from node_modules/uplot: run ./vendor.sh and commit" >&2
  exit 1
fi

node test/unit.mjs
node test/e2e.mjs
