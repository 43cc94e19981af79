#!/usr/bin/env bash
# Installs what is missing, builds the UI and the app, and starts the app.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

./scripts/install-deps.sh
npm run build
TAURI_APP_PATH=src-tauri npx tauri build --debug --no-bundle

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display to open the window on; on a headless machine try" \
    "xvfb-run -a ./scripts/run.sh" >&2
  exit 1
fi
exec "${CARGO_TARGET_DIR:-target}/debug/fatoora-onboard-app"
