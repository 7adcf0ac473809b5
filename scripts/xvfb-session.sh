# Sourced by tests/e2e/run.sh and bench/app.sh: a virtual X display (Xvfb, 1280x800) on a free
# display number and a D-Bus session, both stopped on exit with whatever the caller added to
# PIDS. Sets WORK (a temp dir, removed on exit), DISPLAY and DBUS_SESSION_BUS_ADDRESS.
#   . scripts/xvfb-session.sh <work-dir prefix> <first display number to try>
WORK=$(mktemp -d "/tmp/$1.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${DBUS_SESSION_BUS_PID:-}" ] && kill "$DBUS_SESSION_BUS_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
DISP=$2
while [ -e "/tmp/.X11-unix/X$DISP" ] || [ -e "/tmp/.X$DISP-lock" ]; do DISP=$((DISP + 1)); done
Xvfb ":$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY=":$DISP" NO_AT_BRIDGE=1
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
eval "$(dbus-launch --sh-syntax)"
export DBUS_SESSION_BUS_ADDRESS
