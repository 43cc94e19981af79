#!/usr/bin/env bash
# A fatoora-onboard for old shared and VPS hosts: linked against glibc 2.17
# (CentOS 7 era) with cargo-zigbuild, zig taken from PyPI's `ziglang`, so no
# rustup target download is needed. Checks the highest GLIBC symbol version
# the binary needs and that it runs `diagnose --help` here.
#
#   scripts/build-portable.sh            # -> target/portable/fatoora-onboard-linux-x86_64-glibc2.17
#
# A release build: minutes on a small machine; not part of the test run.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
glibc=2.17
out=target/portable/fatoora-onboard-linux-x86_64-glibc${glibc}
log() { printf '[build-portable] %s\n' "$*" >&2; }

if ! python3 -c 'import ziglang' 2>/dev/null; then
  log "installing zig from PyPI (ziglang)"
  python3 -m pip install --quiet ziglang
fi
if ! command -v cargo-zigbuild >/dev/null; then
  log "installing cargo-zigbuild"
  cargo install --locked cargo-zigbuild
fi

started=$(date +%s)
cargo zigbuild --release --locked -p fatoora-onboard-cli --bin fatoora-onboard --target "${target}.${glibc}"
log "build took $(( $(date +%s) - started )) s"

binary=target/${target}/release/fatoora-onboard
highest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
log "highest GLIBC symbol version needed: ${highest}"
if [ "$(printf '%s\n%s\n' "$highest" "$glibc" | sort -V | tail -1)" != "$glibc" ]; then
  log "FAIL: needs GLIBC_${highest}, newer than ${glibc}"
  exit 1
fi
"$binary" diagnose --help >/dev/null
# keyring's Secret Service backend links libdbus-1 dynamically; a bare
# server without it cannot start the binary, so say so up front.
log "shared libraries needed: $(objdump -p "$binary" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')"
mkdir -p target/portable
cp "$binary" "$out"
log "OK: ${out} ($(du -h "$out" | cut -f1)); copy it to the server and run: ./$(basename "$out") diagnose --report report.html"
