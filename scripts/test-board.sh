#!/usr/bin/env bash
# The team board's checks: its API and CLI suites on SQLite and on a throwaway PostgreSQL
# cluster (installed from apt when missing), then its page in headless Chromium against the
# real server, once per engine. Run by scripts/test.sh; runs on its own too.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
# The board binary is where cargo puts it (CARGO_TARGET_DIR honoured).
export BOARD_TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
bash scripts/with-postgres.sh bash -c '
  set -euo pipefail
  echo "== board: API and CLI tests (SQLite and PostgreSQL)"
  cargo test -p tokenworth-board
  cargo build -q -p tokenworth-board
  echo "== board: page in headless Chromium (SQLite)"
  BOARD_BIN="$BOARD_TARGET/debug/tokenworth-board" bash crates/board/page/test/run.sh
  echo "== board: page in headless Chromium (PostgreSQL)"
  psql "$TOKENWORTH_TEST_DATABASE_URL" -qc "CREATE DATABASE board_page"
  (cd crates/board/page/test && BOARD_BIN="$BOARD_TARGET/debug/tokenworth-board" \
     DATABASE_URL="${TOKENWORTH_TEST_DATABASE_URL%/*}/board_page" node page.mjs | tail -3)
'
