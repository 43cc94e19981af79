#!/usr/bin/env bash
# Sizes of what a user downloads, for the README (a measure, not a test).
#
#   scripts/measure-size.sh              # report what has been built
#   scripts/measure-size.sh --release    # first bundle a .deb from the release binary
#
# Reports whatever has been built: the app binary (debug and, when someone
# built it, release), the same binary stripped (the release profile strips
# already; a debug bundle carries the unstripped file), the bundles under
# target/*/bundle (.deb from scripts/bundle-smoke.sh, from --release or from
# `npx tauri build`, .AppImage) and the web UI the binary embeds.
#
# --release bundles the release binary as scripts/bundle-smoke.sh bundles the
# debug one: Tauri's bundler on a copy in target/measure-size (no second
# compile), and prints the package's Installed-Size. Build the binary first
# (well over ten minutes on 2 cores, so never started here):
#   npm run build && cargo build --release -p fatoora-app --bins --features tauri/custom-protocol
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

app=fatoora-onboard-app
mb() { awk -v bytes="$1" 'BEGIN { printf "%.1f MB", bytes / 1e6 }'; }
show() { printf '%-70s %s\n' "$1" "$(mb "$2")"; }

if [ "${1:-}" = --release ]; then
  built=target/release/$app
  [ -x "$built" ] || { echo "no release binary at $built (see the build command above)" >&2; exit 1; }
  # The bundler writes its bundle-type marker into the binary it packages:
  # it gets a copy, and its own target folder.
  staging=$PWD/target/measure-size
  rm -rf "$staging"
  mkdir -p "$staging/release"
  cp "$built" "$staging/release/$app"
  CARGO_TARGET_DIR=$staging TAURI_APP_PATH=src-tauri npx --no-install tauri bundle --bundles deb --ci >&2
  for deb in "$staging"/release/bundle/deb/*.deb; do
    echo "$deb: Installed-Size $(dpkg-deb --field "$deb" Installed-Size) KiB"
  done
fi

for profile in debug release; do
  binary=target/$profile/$app
  [ -f "$binary" ] || continue
  show "$binary" "$(stat -c %s "$binary")"
  stripped=$(mktemp)
  strip -o "$stripped" "$binary"
  show "$binary, stripped" "$(stat -c %s "$stripped")"
  rm -f "$stripped"
done

find target -path '*/bundle/*' \( -name '*.deb' -o -name '*.AppImage' -o -name '*.rpm' \) -print0 2>/dev/null |
  while IFS= read -r -d '' bundle; do
    show "$bundle" "$(stat -c %s "$bundle")"
  done

if [ -d ui/dist ]; then
  show "ui/dist (embedded in the binary)" "$(du -sb ui/dist | cut -f1)"
fi
