#!/usr/bin/env bash
# Copies the pinned uPlot build from node_modules into vendor/ (committed, so a clean clone
# builds the Tauri app without npm). Run after changing the uplot version in package.json.
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules/uplot ] || npm ci --no-audit --no-fund
mkdir -p vendor
cp node_modules/uplot/dist/uPlot.esm.js vendor/uPlot.esm.js
cp node_modules/uplot/dist/uPlot.min.css vendor/uPlot.min.css
cp node_modules/uplot/LICENSE vendor/uPlot.LICENSE
node -e 'const p=require("./node_modules/uplot/package.json");console.log(`uplot ${p.version} (npm), copied by vendor.sh from node_modules/uplot/dist`)' > vendor/VERSION
cat vendor/VERSION
