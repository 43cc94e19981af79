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

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(build journeys tests installer)
failed=0
step() { printf '\n--> windows: %s\n' "$1"; }

for s in "${steps[@]}"; do
  case $s in
  build)
    step "cargo build --bins --tests for $target (std from source)"
    started=$SECONDS
    if ! cargo build "${windows[@]}" --bins --tests "${features[@]}" --message-format short; then
      echo "windows: the Windows build failed" >&2
      exit 1
    fi
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
      cargo test "${windows[@]}" "${features[@]}" --no-fail-fast 2>&1 | tee /tmp/windows-tests.log
    [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
    WINEPREFIX=$prefix/wine wineserver -k 2>/dev/null
    rm -rf "$prefix"
    # A test binary that dies before its summary counts as one failure.
    awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
      /test exited abnormally/ { f++ }
      END { printf "tests: %d passed, %d failed\n", p, f }' /tmp/windows-tests.log
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
