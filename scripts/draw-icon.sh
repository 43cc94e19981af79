#!/usr/bin/env bash
# Draws the app icon (an invoice with a seal of approval) with ImageMagick and
# derives every platform size from it with the Tauri CLI. The results are
# committed; rerun this only to change the icon.
set -euo pipefail
cd "$(dirname "$0")/.."

convert -size 1024x1024 xc:none \
  -fill '#0f6b4a' -draw 'roundrectangle 64,64 960,960 180,180' \
  -fill white -draw 'polygon 300,200 620,200 744,324 744,824 300,824' \
  -fill '#cfe8dc' -draw 'polygon 620,200 620,324 744,324' \
  -stroke '#0f6b4a' -strokewidth 36 \
  -draw 'line 370,380 560,380' -draw 'line 370,470 670,470' -draw 'line 370,560 600,560' \
  -stroke none -fill '#d4a017' -draw 'circle 690,740 690,610' \
  -stroke white -strokewidth 40 -fill none \
  -draw 'stroke-linecap round stroke-linejoin round polyline 630,745 675,790 755,690' \
  icons/app-icon.png

npx tauri icon icons/app-icon.png --output icons
# Only desktop installers (deb, NSIS, MSI, macOS) are built: drop the mobile
# and Microsoft Store sizes.
rm -rf icons/android icons/ios icons/Square*Logo.png icons/StoreLogo.png
