#!/usr/bin/env bash
# Installs what is missing, then runs every test: the UI's type check and unit
# tests, every Rust crate's tests (against a real Secret Service), a debug
# build and .deb of the app, and the end-to-end tests that drive that binary
# in WebKit under Xvfb. Screenshots and logs land in test-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

timings=()
step() {
  local name=$1 started=$SECONDS
  shift
  printf '\n==> %s\n' "$name" >&2
  "$@"
  timings+=("$(printf '%5ss  %s' $((SECONDS - started)) "$name")")
}

step "install dependencies" ./scripts/install-deps.sh
step "supply chain: cargo deny (offline advisories, licences, bans, sources), npm lockfile" ./scripts/check-supply-chain.sh
# The app embeds ui/dist at compile time, so the UI is built before any cargo
# command that compiles src-tauri.
step "UI: type check and build" npm run build
step "UI: unit tests (vitest)" npm test
step "Rust: cargo test --workspace (real Secret Service)" \
  ./scripts/with-secret-service.sh cargo test --workspace
step "app: tauri build --debug (.deb)" \
  env TAURI_APP_PATH=src-tauri npx tauri build --debug --bundles deb
step "end to end: the app over WebDriver under Xvfb" \
  xvfb-run -a -s "-screen 0 1280x800x24" ./scripts/with-secret-service.sh \
  /usr/bin/python3 -m pytest -p no:cacheprovider -v tests/e2e

printf '\nAll tests passed. Durations:\n' >&2
printf '%s\n' "${timings[@]}" >&2
echo "Screenshots: test-output/e2e/home-en.png, test-output/e2e/home-ar.png" >&2
