#!/usr/bin/env bash
# inside.sh [STEP...]: the Windows check's steps, run inside the toolchain's
# chroot by scripts/test-windows.sh, with the clone at /src. Steps: build,
# journeys, tests, installer (all by default). Cargo's home and target
# folder live in the chroot (/build), so a later run reuses the registry
# cache and every dependency that did not change.
set -uo pipefail
target=x86_64-pc-windows-gnu
export CARGO_HOME=/build/cargo-home CARGO_TARGET_DIR=/build/target
# Debian ships no prebuilt std for Windows: cargo builds it from rust-src
# (-Zbuild-std), which needs RUSTC_BOOTSTRAP on a stable rustc.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
# No Gecko or Mono: Wine would offer to download them.
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# Debian keeps wineserver out of PATH.
export PATH=$PATH:/usr/lib/x86_64-linux-gnu/wine
export ZATCA_REFERENCE_DIR=/shared/zatca
windows=(-Zbuild-std=std,panic_abort --target "$target")
# One feature set for the binaries and the tests (as scripts/test.sh does on
# Linux), so no crate is compiled twice.
features=(--workspace --features tauri/custom-protocol)
bin=$CARGO_TARGET_DIR/$target/debug
cd /src

# Cargo's whole output goes to test-output/windows/ in the clone; the screen
# gets one line per step and per test binary.
logs=/src/test-output/windows
mkdir -p "$logs"

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(build journeys tests installer)
failed=0
step() { printf '\n--> windows: %s\n' "$1"; }

for s in "${steps[@]}"; do
  case $s in
  build)
    step "cargo build --bins --tests for $target (std from source)"
    started=$SECONDS
    if ! cargo build "${windows[@]}" --bins --tests "${features[@]}" --message-format short >"$logs/build.log" 2>&1; then
      grep -E '(^error|: error)' -A5 "$logs/build.log" | head -60 >&2
      echo "windows: the Windows build failed (test-output/windows/build.log)" >&2
      exit 1
    fi
    grep -E ': warning' "$logs/build.log" | sort -u
    echo "built in $((SECONDS - started)) s: $(ls "$bin"/*.exe | xargs -n1 basename | tr '\n' ' ')"
    ;;
  journeys)
    step "the CLI's journeys under Wine"
    /src/scripts/windows/journeys.sh "$bin" || failed=1
    ;;
  tests)
    step "cargo test for $target under Wine"
    prefix=$(mktemp -d /tmp/tests-prefix.XXXXXX)
    export XDG_RUNTIME_DIR=$prefix
    WINEPREFIX=$prefix/wine wineboot -i >/dev/null 2>&1
    # The app's test binaries sit in deps/, away from the WebView2Loader.dll
    # they load: Wine finds it through WINEPATH.
    WINEPATH="Z:${bin//\//\\}" WINEPREFIX=$prefix/wine \
      cargo test "${windows[@]}" "${features[@]}" --no-fail-fast >"$logs/cargo-test.log" 2>&1 || failed=1
    WINEPREFIX=$prefix/wine wineserver -k 2>/dev/null
    rm -rf "$prefix"
    # One line per test binary, its failures in full; a binary that dies
    # before its summary counts as one failure.
    awk '/^     Running / { b = $NF; sub(/.*\//, "", b); sub(/-[0-9a-f]+\.exe\)$/, "", b); binary = b " (" ($2 == "unittests" ? $3 : $2) ")" }
      /^   Doc-tests / { binary = $2 " (doc-tests)" }
      /^---- .* stdout ----$/ { show = 1 }
      /^failures:$/ && show { show = 0 }
      show { print "    | " $0 }
      /^test result:/ { n = 0; m = 0; for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) { p += $i; n = $i } if ($(i+1) ~ /^failed/) { f += $i; m = $i } }
        printf "  %-7s %s: %d passed, %d failed\n", (m ? "FAILED" : "ok"), binary, n, m }
      /test exited abnormally/ { f++; printf "  FAILED  %s: exited before its summary\n", binary }
      END { printf "tests: %d passed, %d failed\n", p, f }' "$logs/cargo-test.log"
    ;;
  installer)
    step "installer: makensis, then a silent install and uninstall under Wine"
    /src/scripts/windows/installer.sh "$bin" || failed=1
    ;;
  *)
    echo "inside.sh: unknown step $s" >&2
    exit 2
    ;;
  esac
done
exit "$failed"
