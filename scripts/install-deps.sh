#!/usr/bin/env bash
# Installs what Fatoora Onboard needs to build, run and test, skipping what is
# already there: Debian packages, Rust (through rustup, only when cargo is
# missing), the Node packages of package-lock.json, and tauri-driver.
# Works as root, or as a user with sudo. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "install-deps: run as root, or install sudo, to install Debian packages" >&2
  exit 1
fi

# Tauri 2 on Linux (WebKitGTK 4.1), the OS keychain (Secret Service), the
# end-to-end tests (Xvfb, WebKitWebDriver, Selenium), screenshots, and the
# tools the team's tests check their outputs with (openssl, xmllint, Saxon,
# network-namespace labs, sqlite3 to read the store from outside, Chromium
# to render the saved diagnostics report as a mail client would, xdotool and
# AT-SPI's bindings to drive the native GTK file chooser).
apt_packages=(
  libwebkit2gtk-4.1-dev libjavascriptcoregtk-4.1-dev libgtk-3-dev libsoup-3.0-dev
  librsvg2-dev libayatana-appindicator3-dev libdbus-1-dev build-essential pkg-config
  libssl-dev xvfb webkit2gtk-driver gnome-keyring dbus dbus-x11 imagemagick
  libxml2-utils libsaxonhe-java default-jre-headless openssl iproute2 iptables socat
  dnsmasq-base curl ca-certificates git python3 python3-selenium python3-pytest
  php-cli python3-gi gir1.2-secret-1 desktop-file-utils file
  sqlite3 chromium xdotool gir1.2-atspi-2.0
)
# Node.js 18.18 or newer from wherever it came; Debian's own (18.19+) is enough.
if ! command -v npm >/dev/null; then
  apt_packages+=(nodejs npm)
fi

missing=()
for package in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  log "Debian packages: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "install-deps: Node.js $(node --version) is too old; 18.18 or newer is needed" >&2
  exit 1
fi

# Rust: the workspace uses edition 2024 (Rust 1.85+). Debian's rustc is older,
# so Rust comes from rustup.
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
  log "Rust toolchain (rustup, stable, minimal profile)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi

# npm ci wipes node_modules; skip it when the lockfile has not changed since.
stamp=node_modules/.installed-package-lock.json
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  log "Node packages (npm ci)"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

tauri_driver_version=2.1.0
# tauri-driver has no --version; cargo's own list of installed crates tells.
if ! cargo install --list | grep -qx "tauri-driver v$tauri_driver_version:"; then
  log "tauri-driver $tauri_driver_version"
  cargo install tauri-driver --version "$tauri_driver_version" --locked
fi

# cargo-deny checks advisories, licences, bans and sources offline
# (scripts/check-supply-chain.sh); 0.18+ reads the RustSec snapshot as is.
cargo_deny_version=0.20.2
if ! cargo install --list | grep -qx "cargo-deny v$cargo_deny_version:"; then
  log "cargo-deny $cargo_deny_version"
  cargo install cargo-deny --version "$cargo_deny_version" --locked
fi
