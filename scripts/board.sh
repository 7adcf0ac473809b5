#!/usr/bin/env bash
# Sets up and starts a Tokenworth team board on this machine, on one SQLite file (no other
# server): installs Rust and a C compiler when missing (scripts/setup.sh), builds
# tokenworth-board, creates the store on first start (printing the admin token once) and serves
# it on http://127.0.0.1:8787.
#   bash scripts/board.sh                         start (data in ~/.local/share/tokenworth-board)
#   bash scripts/board.sh --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem
#   TOKENWORTH_BOARD_DATA=/srv/board bash scripts/board.sh
# Admin commands then run beside it: ./target/release/tokenworth-board admin team create NAME
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -q -p tokenworth-board
BIN=./target/release/tokenworth-board
export TOKENWORTH_BOARD_DATA="${TOKENWORTH_BOARD_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/tokenworth-board}"
if [ ! -f "$TOKENWORTH_BOARD_DATA/board.sqlite" ]; then
  "$BIN" init
  echo "next: $BIN admin team create NAME && $BIN admin invite NAME"
fi
exec "$BIN" serve "$@"
