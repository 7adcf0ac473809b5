#!/usr/bin/env bash
# Sets up and runs Tokenworth on this machine's real logs with the default data dir
# (~/.local/share/tokenworth/ledger.db): the tray app when there is a display, else the CLI.
#   bash scripts/run.sh                 the tray app (extra arguments go to tokenworth-app)
#   bash scripts/run.sh cli [ARGS…]     the CLI (default: daily)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-app.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -q -p tokenworth-app -p tokenworth-cli
if [ "${1:-}" = cli ] || { [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; }; then
  [ "${1:-}" = cli ] && shift || echo "no display: running the CLI (bash scripts/run.sh cli --help)" >&2
  [ $# -eq 0 ] && set -- daily
  exec ./target/release/tokenworth "$@"
fi
exec ./target/release/tokenworth-app "$@"
