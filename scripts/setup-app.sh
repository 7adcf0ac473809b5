#!/usr/bin/env bash
# Installs what building, running and end-to-end testing the tray app needs on Debian/Ubuntu:
# WebKitGTK and AppIndicator (build and run), Xvfb, a tray host, WebKitWebDriver and X tools
# (tests), and tauri-driver (cargo). Safe to run again: it installs only what is missing.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
bash "$(dirname "$0")/setup.sh"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
pkgs=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev
  build-essential pkg-config file)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(xvfb xauth dbus-x11 imagemagick webkit2gtk-driver xdotool x11-utils trayer strace
    python3 python3-venv groff-base dunst)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "${1:-}" = "--test" ] && ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked --version 2.1.0
fi
