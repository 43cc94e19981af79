#!/usr/bin/env bash
# Installs what is missing, then runs every test: the UI's type check and unit
# tests, every Rust crate's tests (against a real Secret Service), a debug
# build and .deb of the app, and the end-to-end tests that drive that binary
# in WebKit under Xvfb. Screenshots and logs land in test-output/.
#
# A failing test suite does not stop the others (one CI run shows every
# failure); a failed install or build stops what depends on it. The exit code
# is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

results=()
failed=0

# run NAME COMMAND...: runs one step, records its outcome and duration.
run() {
  local name=$1 started=$SECONDS status=0
  shift
  printf '\n==> %s\n' "$name" >&2
  "$@" || status=$?
  local outcome=ok
  if [ "$status" -ne 0 ]; then
    outcome="FAILED (exit $status)"
    failed=1
  fi
  results+=("$(printf '%5ss  %-8s %s' $((SECONDS - started)) "${outcome%% *}" "$name")")
  printf '<== %s: %s in %ss\n' "$name" "$outcome" $((SECONDS - started)) >&2
  return "$status"
}

summary() {
  printf '\nSteps (duration, outcome):\n' >&2
  printf '%s\n' "${results[@]}" >&2
  echo "Screenshots and logs: test-output/e2e/" >&2
}
trap summary EXIT

run "install dependencies" ./scripts/install-deps.sh || exit 1
run "supply chain: cargo deny (offline advisories, licences, bans, sources), npm lockfile" \
  ./scripts/check-supply-chain.sh
# The app embeds ui/dist at compile time, so the UI is built before any cargo
# command that compiles src-tauri.
run "UI: type check and build" npm run build || exit 1
run "UI: unit tests (vitest)" npm test
# Tests and the app binary are built with the same feature set
# (tauri/custom-protocol: serve the embedded ui/dist, as `tauri build` does),
# so the second command reuses the first one's dependencies instead of
# compiling the GTK/WebKit stack again, which `tauri build` did.
app_features=(--features tauri/custom-protocol)
run "Rust: cargo test --workspace (real Secret Service)" \
  ./scripts/with-secret-service.sh cargo test --workspace --no-fail-fast "${app_features[@]}"
if run "app: cargo build (the binary the end-to-end tests drive)" \
  cargo build --workspace --bins "${app_features[@]}"; then
  run "end to end: the app over WebDriver under Xvfb" \
    xvfb-run -a -s "-screen 0 1280x800x24" ./scripts/with-secret-service.sh \
    /usr/bin/python3 -m pytest -p no:cacheprovider -v tests/e2e
  run "bundle: .deb from that binary, checked, installed with dpkg, started (scripts/bundle-smoke.sh)" \
    ./scripts/bundle-smoke.sh
fi

exit "$failed"
