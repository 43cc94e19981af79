#!/usr/bin/env bash
# A fatoora-onboard for old shared and VPS hosts: linked against glibc 2.17
# (CentOS 7 era) with cargo-zigbuild, zig taken from PyPI's `ziglang`, so no
# rustup target download is needed. The `portable` feature compiles libdbus
# (keyring's Secret Service client) into the binary, so a bare server needs
# no libdbus-1.so.3. Checks the highest GLIBC symbol version the binary needs,
# that it needs no shared library beyond glibc's own and libgcc_s, that it
# runs `diagnose --help` here, and that the built-in libdbus reaches a real
# Secret Service (scripts/with-secret-service.sh).
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
cargo zigbuild --release --locked -p fatoora-onboard-cli --features portable --bin fatoora-onboard --target "${target}.${glibc}"
log "build took $(( $(date +%s) - started )) s"

binary=target/${target}/release/fatoora-onboard
highest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
log "highest GLIBC symbol version needed: ${highest}"
if [ "$(printf '%s\n%s\n' "$highest" "$glibc" | sort -V | tail -1)" != "$glibc" ]; then
  log "FAIL: needs GLIBC_${highest}, newer than ${glibc}"
  exit 1
fi
needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
log "shared libraries needed: ${needed}"
for library in $needed; do
  case "$library" in
    libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | ld-linux-x86-64.so.2 | libgcc_s.so.1) ;;
    *) log "FAIL: needs ${library}, which a bare server may lack"; exit 1 ;;
  esac
done
"$binary" diagnose --help >/dev/null
# The keychain through the built-in libdbus: a key stored in a real Secret Service.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
FATOORA_ONBOARD_HOME=$scratch ./scripts/with-secret-service.sh "$binary" csr new --env simulation \
  --vat 399999999900003 --common-name TST-portable-1 --org "Portable Build Check" --unit "Riyadh Branch" \
  --serial "1-TST|2-TST|3-portable" --invoice-types 1100 --address RRRD2929 --category "Supply activities" \
  --out "$scratch/unit.csr" >/dev/null 2>"$scratch/stderr" || { cat "$scratch/stderr" >&2; log "FAIL: csr new through the Secret Service"; exit 1; }
log "keychain: csr new stored its key in the Secret Service through the built-in libdbus"
mkdir -p target/portable
cp "$binary" "$out"
log "OK: ${out} ($(du -h "$out" | cut -f1)); copy it to the server and run: ./$(basename "$out") diagnose --report report.html"
