#!/usr/bin/env bash
# Sizes of what a user downloads, for the README (a measure, not a test).
#
#   scripts/measure-size.sh
#
# Reports whatever has been built: the app binary (debug and, when someone
# built it, release), the same binary stripped of its debug symbols (what a
# bundle would carry is closer to this), the bundles under target/*/bundle
# (.deb from scripts/bundle-smoke.sh or `npm run tauri build`, .AppImage) and
# the web UI the binary embeds. A release build of the app is not started
# here: on a 2-core machine it takes well over ten minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

app=fatoora-onboard-app
mb() { awk -v bytes="$1" 'BEGIN { printf "%.1f MB", bytes / 1e6 }'; }
show() { printf '%-70s %s\n' "$1" "$(mb "$2")"; }

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
