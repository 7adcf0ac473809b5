#!/usr/bin/env bash
# The Debian package, as a user gets it: builds it (scripts/build-deb.sh --debug, which reuses the
# e2e step's build), installs it with `apt-get install ./tokenworth_*.deb`, starts the installed
# app from its .desktop entry's command (/usr/bin/tokenworth-app) under Xvfb with a throwaway
# HOME and a tray host (trayer), waits for its icon in the tray as tests/e2e does, stops it,
# removes the package and checks that its files are gone. Exits non-zero on any failure (the icon
# never showing included). Prints how long each step took.
#
#   bash scripts/test-deb.sh            (refuses to run where a tokenworth package is installed)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
bash scripts/setup-app.sh --test
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
export PATH="$HOME/.cargo/bin:$PATH"
step() { echo "== deb: $1 (${SECONDS}s)"; }
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }

if dpkg-query -W -f='${Status}' tokenworth 2>/dev/null | grep -q "install ok installed"; then
  fail "a tokenworth package is installed here already; this test installs and removes its own"
fi

step "build"
deb=$(bash scripts/build-deb.sh --debug | tail -n 1)
echo "$deb ($(du -m "$deb" | cut -f1) MB)"
[ "$(dpkg-deb -f "$deb" Package)" = tokenworth ] || fail "Package: is not tokenworth"
depends=$(dpkg-deb -f "$deb" Depends)
for d in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1; do
  [[ ", $depends," == *", $d,"* ]] || fail "Depends: lacks $d: $depends"
done

step "install"
installed=0
. scripts/xvfb-session.sh tw-deb 120
cleanup_deb() {
  if [ "$installed" = 1 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq tokenworth >/dev/null 2>&1 || true
  fi
  cleanup
}
trap cleanup_deb EXIT
(cd "$(dirname "$deb")" && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "./$(basename "$deb")")
installed=1
for f in /usr/bin/tokenworth-app /usr/bin/tokenworth /usr/share/applications/Tokenworth.desktop \
  /usr/share/icons/hicolor/256x256/apps/tokenworth-app.png /usr/share/man/man1/tokenworth.1.gz \
  /usr/share/bash-completion/completions/tokenworth; do
  [ -f "$f" ] || fail "the package did not install $f"
done
exec_line=$(sed -n 's/^Exec=//p' /usr/share/applications/Tokenworth.desktop)
app=$(command -v "${exec_line%% *}") || fail "the .desktop entry's Exec=$exec_line is not on PATH"
[ "$app" = /usr/bin/tokenworth-app ] || fail "Exec=$exec_line resolves to $app"
/usr/bin/tokenworth --version | grep -q "^tokenworth .* (prices [0-9-]*)$" || fail "tokenworth --version: $(/usr/bin/tokenworth --version)"
zcat /usr/share/man/man1/tokenworth.1.gz | groff -k -man -Tutf8 2>/dev/null | grep -q "completions" || fail "man tokenworth does not render"

step "start the installed app under Xvfb"
trayer --edge bottom --align right --widthtype pixel --width 160 --heighttype pixel --height 32 \
  --transparent false --tint 0x333333 >"$WORK/trayer.log" 2>&1 &
PIDS+=($!)
home=$WORK/home
mkdir -p "$home"
# A throwaway HOME and nothing from the caller's XDG dirs: the app's data goes to $home.
env -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u TOKENWORTH_DATA_DIR HOME="$home" \
  "$app" >"$WORK/app.log" 2>&1 &
APP_PID=$!
PIDS+=($APP_PID)

panel=$(timeout 20 xdotool search --sync --onlyvisible --limit 1 --class trayer | head -n 1) ||
  fail "trayer's panel never appeared"
# Seen as tests/e2e sees it: the icon is an XEmbed window named after the program in the panel.
seen=""
for _ in $(seq 150); do
  kill -0 "$APP_PID" 2>/dev/null || break
  if xwininfo -tree -id "$panel" 2>/dev/null | grep -q '"tokenworth-app"'; then seen=1; break; fi
  sleep 0.2
done
if [ -z "$seen" ]; then
  echo "-- panel:"; xwininfo -tree -id "$panel" || true
  echo "-- app output:"; tail -n 40 "$WORK/app.log" || true
  log=$home/.local/share/tokenworth/tokenworth-app.log
  [ -f "$log" ] && { echo "-- $log:"; tail -n 40 "$log"; }
  kill -0 "$APP_PID" 2>/dev/null || fail "the installed app exited before its icon showed"
  fail "the installed app's icon never showed in the tray (30 s)"
fi
xwininfo -tree -id "$panel" | grep '"tokenworth-app"'
[ -f "$home/.local/share/tokenworth/ledger.db" ] || fail "the app kept no ledger in the throwaway HOME"
import -display "$DISPLAY" -window root "$(dirname "$deb")/installed-app.png" || true

step "stop"
kill "$APP_PID"
for _ in $(seq 100); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$APP_PID" 2>/dev/null && fail "the app did not exit on SIGTERM within 10 s"
wait "$APP_PID" 2>/dev/null || true

step "remove"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq tokenworth
installed=0
for f in /usr/bin/tokenworth-app /usr/bin/tokenworth /usr/share/applications/Tokenworth.desktop \
  /usr/share/man/man1/tokenworth.1.gz; do
  [ ! -e "$f" ] || fail "$f is still there after apt-get remove"
done
if dpkg-query -W -f='${Status}' tokenworth 2>/dev/null | grep -q "install ok installed"; then
  fail "dpkg still lists tokenworth as installed"
fi
step "passed"
