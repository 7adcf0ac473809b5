#!/usr/bin/env bash
# Sets up and runs Tokenworth on this machine's real logs with the default data dir
# (~/.local/share/tokenworth/ledger.db). Extra arguments go to `tokenworth` (default: daily).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -q -p tokenworth-cli
if [ $# -eq 0 ]; then set -- daily; fi
exec ./target/release/tokenworth "$@"
