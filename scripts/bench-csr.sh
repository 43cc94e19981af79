#!/usr/bin/env bash
# Times `fatoora-onboard csr new` against `openssl req -new` with an
# equivalent config (same subject, template and SAN; fresh secp256k1 key
# each run), side by side, as whole processes. Uses hyperfine when present
# (Debian package hyperfine), else a plain loop.
# Our runs store the key as a user's would: in the OS keychain (a throwaway
# gnome-keyring via scripts/with-secret-service.sh, never the caller's own),
# and in the encrypted-file store (whose Argon2id unlock is paid per process).
#
#   scripts/bench-csr.sh [RUNS]        (default 50; builds the release binary)
set -euo pipefail
runs="${1:-50}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${BENCH_CSR_NO_KEYCHAIN:-}" ] \
   && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  exec "$root/scripts/with-secret-service.sh" "$0" "$@"
fi
cargo build --release --quiet -p fatoora-onboard-cli --manifest-path "$root/Cargo.toml"
bin="$root/target/release/fatoora-onboard"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$root/scripts/csr-openssl.cnf" "$work/req.cnf"

export FATOORA_ONBOARD_PASSPHRASE=bench-only-passphrase
# A new key each run: --replace-key lets the same unit be prepared again.
new_csr="$bin --data-dir $work/data csr new --env production --replace-key --out $work/ours.csr \
  --vat 399999999900003 --common-name TST-886431145-399999999900003 --org 'Maximum Speed Tech Supply LTD' \
  --unit 'Riyadh Branch' --serial '1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f' --invoice-types 1100 \
  --address RRRD2929 --category 'Supply activities'"
ours_file="FATOORA_ONBOARD_SECRET_STORE=file $new_csr"
ours_keychain="FATOORA_ONBOARD_SECRET_STORE=keychain $new_csr"
commands=("$ours_file")
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && commands=("$ours_keychain" "$ours_file")
# openssl needs a key first: generating it is part of the same job.
theirs="openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:secp256k1 -nodes -keyout $work/theirs.key \
  -sha256 -config $work/req.cnf -out $work/theirs.csr"
for command in "${commands[@]}"; do eval "$command" >/dev/null; done   # creates the stores and the unit
eval "$theirs" 2>/dev/null

echo "fatoora-onboard $("$bin" --version | cut -d' ' -f2) vs $(openssl version), $runs runs each, $(nproc) cores"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 3 --runs "$runs" --export-markdown "$work/result.md" "${commands[@]}" "$theirs"
  cat "$work/result.md"
else
  time_it() {
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do eval "$1" >/dev/null 2>&1; done
    end=$(date +%s%N)
    echo "$(( (end - start) / runs / 1000 )) us per run"
  }
  for command in "${commands[@]}"; do printf '%s\n    %s\n' "$command" "$(time_it "$command")"; done
  printf 'openssl req -new: %s\n' "$(time_it "$theirs")"
fi
openssl req -verify -noout -in "$work/ours.csr" 2>&1 | tail -1
