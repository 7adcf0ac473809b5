#!/usr/bin/env bash
# The team board's checks: its API and CLI suites on SQLite and on a throwaway PostgreSQL
# cluster (installed from apt when missing), then its page in headless Chromium against the
# real server, once per engine. Runs on its own; scripts/test.sh, whose `cargo test --workspace`
# already ran the API and CLI suites on both engines, runs only the page part:
#
#   bash scripts/test-board.sh               (API and CLI suites, then the page)
#   SKIP_BUILD=1 bash scripts/test-board.sh --page-only   (the page, on the board binary built)
set -euo pipefail
cd "$(dirname "$0")/.."
PAGE_ONLY=0
case "${1:-}" in
  --page-only) PAGE_ONLY=1 ;;
  "") ;;
  *) echo "usage: bash scripts/test-board.sh [--page-only]" >&2; exit 2 ;;
esac
export PAGE_ONLY SKIP_BUILD="${SKIP_BUILD:-0}"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
# The board binary is where cargo puts it (CARGO_TARGET_DIR honoured).
export BOARD_TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
bash scripts/with-postgres.sh bash -c '
  set -euo pipefail
  if [ "$PAGE_ONLY" != 1 ]; then
    echo "== board: API and CLI tests (SQLite and PostgreSQL)"
    cargo test -p tokenworth-board
  fi
  [ "$SKIP_BUILD" = 1 ] || cargo build -q -p tokenworth-board
  echo "== board: page in headless Chromium (SQLite)"
  BOARD_BIN="$BOARD_TARGET/debug/tokenworth-board" bash crates/board/page/test/run.sh
  echo "== board: page in headless Chromium (PostgreSQL)"
  psql "$TOKENWORTH_TEST_DATABASE_URL" -qc "CREATE DATABASE board_page"
  (cd crates/board/page/test && BOARD_BIN="$BOARD_TARGET/debug/tokenworth-board" \
     DATABASE_URL="${TOKENWORTH_TEST_DATABASE_URL%/*}/board_page" node page.mjs | tail -3)
'
