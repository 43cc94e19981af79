#!/usr/bin/env bash
# Installs what is missing, then runs every test: the UI's type check and unit
# tests, every Rust crate's tests (against a real Secret Service), a debug
# build and .deb of the app, and the end-to-end tests that drive that binary
# in WebKit under Xvfb. Screenshots and logs land in test-output/.
#
# Every test must run: FATOORA_REQUIRE_ALL=1 turns a test's skip (no root, no
# PHP, no ZATCA reference files, ...) into its failure, so a green run means
# that every test ran. `FATOORA_REQUIRE_ALL=0 ./scripts/test.sh` lets them
# skip with their reasons instead, listed in the summary.
#
# A failing test suite does not stop the others (one CI run shows every
# failure); a failed install or build stops what depends on it. The exit code
# is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

reference=${ZATCA_REFERENCE_DIR:-$PWD/../shared/zatca}
if [ ! -f "$reference/SPEC.md" ]; then
  cat >&2 <<EOF
test.sh: ZATCA's reference files are not at $reference.
About 50 tests (the schematrons and XSDs, the byte-identical CSR, the SDK's
samples, the simulator's invoice checks) need them. Put the shared/zatca
folder beside this clone (../shared/zatca) or set ZATCA_REFERENCE_DIR to it.
EOF
  exit 1
fi
export ZATCA_REFERENCE_DIR=$reference
export FATOORA_REQUIRE_ALL=${FATOORA_REQUIRE_ALL:-1}

logs=$PWD/test-output/logs
rm -rf "$logs"
mkdir -p "$logs"
export FATOORA_SKIP_LOG=$logs/skips.log
: >"$FATOORA_SKIP_LOG"

steps=()
counts=()
failed=0
total_passed=0
total_failed=0
total_skipped=0

# run NAME COMMAND...: runs one step with its output also in test-output/logs,
# records its outcome and duration.
run() {
  local name=$1 started=$SECONDS status=0
  shift
  printf '\n==> %s\n' "$name" >&2
  "$@" 2>&1 | tee "$logs/$(step_log "$name")" || status=$?
  local outcome=ok
  if [ "$status" -ne 0 ]; then
    outcome="FAILED (exit $status)"
    failed=1
  fi
  steps+=("$(printf '%5ss  %-8s %s' $((SECONDS - started)) "${outcome%% *}" "$name")")
  printf '<== %s: %s in %ss\n' "$name" "$outcome" $((SECONDS - started)) >&2
  return "$status"
}

step_log() { printf '%s.log' "$(printf '%s' "$1" | tr -cs 'A-Za-z0-9' '-' | cut -c1-40)"; }

# count SUITE PASSED FAILED SKIPPED: one summary line per suite.
count() {
  counts+=("$(printf '%s: %s passed, %s failed, %s skipped' "$@")")
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
  total_skipped=$((total_skipped + $4))
}

# The runners' own closing lines, summed: cargo's "test result:" lines,
# vitest's "Tests N passed", pytest's "N passed, N failed, N skipped".
sum_cargo() {
  local log=$logs/$(step_log "$1") skipped
  skipped=$(grep -c '^SKIPPED ' "$FATOORA_SKIP_LOG")
  awk -v skipped="$skipped" '
    /^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    END { printf "%d %d %d", p - skipped, f, skipped }' "$log"
}
sum_vitest() {
  sed 's/\x1b\[[0-9;]*m//g' "$logs/$(step_log "$1")" | awk '
    /^ *Tests / { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } }
    END { printf "%d %d %d", p, f, s }'
}
sum_pytest() {
  grep -E '^(=+ )?[0-9]+ (passed|failed|errors?).* in [0-9.]+s' "$logs/$(step_log "$1")" | tail -1 | awk '
    { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^(failed|errors?)/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } }
    END { printf "%d %d %d", p, f, s }'
}

# test-windows.sh's closing line, "windows: N passed, N failed".
sum_windows() {
  sed -n 's/^windows: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2 0/p' "$logs/$(step_log "$1")" | tail -1 | grep . || echo "0 1 0"
}

summary() {
  printf '\nSteps (duration, outcome):\n' >&2
  printf '%s\n' "${steps[@]}" >&2
  if [ -s "$FATOORA_SKIP_LOG" ]; then
    printf '\nSkipped tests, with their reasons:\n' >&2
    sed 's/^/  /' "$FATOORA_SKIP_LOG" >&2
  fi
  echo "Screenshots and logs: test-output/e2e/, test-output/logs/" >&2
  if [ ${#counts[@]} -gt 0 ]; then
    printf '\nTests per suite:\n'
    printf '%s\n' "${counts[@]}"
    printf 'total: %d passed, %d failed, %d skipped\n' "$total_passed" "$total_failed" "$total_skipped"
  fi
}
trap summary EXIT

run "install dependencies" ./scripts/install-deps.sh || exit 1
run "supply chain: cargo deny (offline advisories, licences, bans, sources), npm lockfile" \
  ./scripts/check-supply-chain.sh
# The app embeds ui/dist at compile time, so the UI is built before any cargo
# command that compiles src-tauri.
run "UI: type check and build" npm run build || exit 1
ui_tests="UI: unit tests (vitest)"
run "$ui_tests" npm test
count vitest $(sum_vitest "$ui_tests")
# Tests and the app binary are built by one cargo command with one feature
# set (tauri/custom-protocol: serve the embedded ui/dist, as `tauri build`
# does). Building the binaries with `--tests` makes cargo resolve features
# with the dev-dependencies, as `cargo test` does, so the test step reuses
# every crate instead of compiling the GTK/WebKit stack a second time.
app_features=(--features tauri/custom-protocol)
if run "app and tests: cargo build --workspace --bins --tests" \
  cargo build --workspace --bins --tests "${app_features[@]}"; then
  rust_tests="Rust: cargo test --workspace (real Secret Service)"
  run "$rust_tests" \
    ./scripts/with-secret-service.sh cargo test --workspace --no-fail-fast "${app_features[@]}"
  count rust $(sum_cargo "$rust_tests")
  e2e_tests="end to end: the app over WebDriver under Xvfb"
  run "$e2e_tests" \
    xvfb-run -a -s "-screen 0 1280x800x24" ./scripts/with-secret-service.sh \
    /usr/bin/python3 -m pytest -p no:cacheprovider -v -rs tests/e2e
  count e2e $(sum_pytest "$e2e_tests")
  deb_smoke="bundle: .deb from that binary, checked, installed with dpkg, started (scripts/bundle-smoke.sh)"
  run "$deb_smoke" ./scripts/bundle-smoke.sh
  count deb $(sum_pytest "$deb_smoke")
else
  count rust 0 1 0
fi
# Windows: the CLI, the app and the installer built from Debian's archive,
# run under Wine (journeys, the workspace's tests, silent install).
windows="windows: build for Windows, journeys, tests and installer under Wine (scripts/test-windows.sh)"
run "$windows" ./scripts/test-windows.sh
count windows $(sum_windows "$windows")

exit "$failed"
