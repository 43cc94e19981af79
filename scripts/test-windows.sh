#!/usr/bin/env bash
# The Windows check, from Debian's archive and the Rust registry alone: builds
# the CLI, the app (UI embedded) and the per-user installer for
# x86_64-pc-windows-gnu, then under Wine (headless) runs the CLI's journeys,
# the workspace's tests and a silent install and uninstall.
#
#   ./scripts/test-windows.sh [build] [journeys] [tests] [installer]
#
# No step named: all of them. Needs root (debootstrap, chroot, mounts).
# The toolchain (a Debian sid chroot: rustc, cargo, rust-src, MinGW-w64,
# Wine, makensis) and cargo's registry cache and target folder stay in
# /var/cache/fatoora-onboard/windows (FATOORA_WINDOWS_CACHE), so a later run
# on the same machine rebuilds only what changed; a fresh machine makes them
# (about 4 minutes for the chroot). Ends with `windows: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    exec sudo --preserve-env=FATOORA_REQUIRE_ALL,FATOORA_WINDOWS_CACHE,ZATCA_REFERENCE_DIR "$0" "$@"
  fi
  echo "test-windows: run as root, or install sudo (it makes a chroot and mounts into it)" >&2
  exit 1
fi
./scripts/windows/toolchain.sh || exit 1

# The app embeds ui/dist at compile time (scripts/test.sh builds it first).
if [ ! -f ui/dist/index.html ]; then
  npm run build || exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
./scripts/windows/chroot.sh /src/scripts/windows/inside.sh "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The totals of the journeys', tests' and installer's closing lines.
awk '/^(journeys|tests|installer): [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
  END { printf "windows: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
