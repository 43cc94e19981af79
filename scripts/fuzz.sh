#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time (FUZZ_SECONDS,
# default 60 each) and prints libFuzzer's numbers: executions, coverage
# (edges), features, corpus size. Not part of CI: run it by hand after
# changing a parser, and before a release.
#
#   ./scripts/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=600 ./scripts/fuzz.sh csr_lint gateway_answer
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --version 0.13.2 --locked`) and
# a nightly toolchain for -Zsanitizer; without one, stable is used with
# RUSTC_BOOTSTRAP=1, as is common for sanitizer builds.
#
# Seeds: ZATCA's samples in ../shared/zatca (ZATCA_REFERENCE_DIR), given to
# libFuzzer as read-only corpus directories (prefixed where a target reads a
# selector byte first) from a temporary folder, never copied into the
# repository. What the fuzzer finds grows fuzz/corpus/<target> (git-ignored);
# a crash is saved under fuzz/artifacts/<target>/, ends that target, and makes
# the script fail once the other targets have run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

seconds=${FUZZ_SECONDS:-60}
reference=${ZATCA_REFERENCE_DIR:-../shared/zatca}
mapfile -t all_targets < <(sed -n 's/^name = "\([a-z_]*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^fatoora-fuzz$')
targets=("${@:-${all_targets[@]}}")

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is missing: cargo install cargo-fuzz --version 0.13.2 --locked" >&2
  exit 1
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  echo "fuzz: no nightly toolchain; building with stable and RUSTC_BOOTSTRAP=1" >&2
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
if [ -d "$reference/samples" ]; then
  REFERENCE="$reference" SEEDS="$seeds" python3 - <<'EOF'
import json, os, re
from pathlib import Path

reference, seeds = Path(os.environ["REFERENCE"]), Path(os.environ["SEEDS"])
def put(target, name, data):
    folder = seeds / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)

samples = reference / "samples"
for path in sorted((samples / "csr").glob("*")):
    put("csr_lint", path.name, b"\x03" + path.read_bytes())  # 3 = production
for path in sorted((samples / "keys").glob("*")) + sorted((reference / "sdk/Certificates").glob("*priv*")):
    put("key_import", path.name, path.read_bytes())
for path in sorted((samples / "sdk").glob("*.properties")):
    put("sdk_properties", path.name, b"\x00" + path.read_bytes())
for path in sorted((samples / "certs").glob("*")) + sorted((reference / "sdk/Certificates").glob("cert*")):
    put("token_certificate", path.name, path.read_bytes())
# Gateway bodies: two bytes of status and one of endpoint (fuzz_targets/gateway_answer.rs),
# the status and the call taken from the sample's file name.
endpoints = [("compliance_invoice", 1), ("02-compliance-invoices", 1), ("compliance", 0), ("01-", 0),
             ("onboarding", 2), ("03-", 2), ("renewal", 3), ("04-", 3)]
for path in sorted(list((samples / "api").glob("*")) + list((samples / "api-examples").glob("*"))):
    status = re.search(r"[.-]([1-5]\d\d)[.-]", path.name)
    status = int(status.group(1)) if status else 200
    endpoint = next((index for prefix, index in endpoints if path.name.startswith(prefix)), 0)
    body = path.read_bytes()
    put("gateway_answer", path.name, status.to_bytes(2, "big") + bytes([endpoint]) + body)
    try:
        token = json.loads(body).get("binarySecurityToken")
    except (ValueError, AttributeError):
        token = None
    if token:
        put("token_certificate", path.name + ".token", token.encode())
EOF
else
  echo "fuzz: no ZATCA reference at $reference: starting from empty corpora" >&2
fi

# Our own seed for the unit import: the header and one row in the shape of
# the template (`import-units --template`), ZATCA's sandbox VAT number.
mkdir -p "$seeds/csv_import"
printf '\000%s\n%s\n' \
  "organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country" \
  'Maximum Speed Tech Supply LTD,399999999900003,Riyadh Branch,TST-886431145-399999999900003,1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f,1100,RRRD2929,Supply activities,SA' \
  > "$seeds/csv_import/template.csv"

# A diagnostics report in the PHP page's shape, and backups: a header with
# a cheap KDF (reaches decryption) and a payload (sealed by the target) with
# a small SQLite database; made here, no crypto needed.
mkdir -p "$seeds/report_import" "$seeds/backup_restore"
printf '%s' '{"tool":"fatoora-onboard probe.php","source":"php","target":{"host":"gw-fatoora.zatca.gov.sa","port":443},"dns":[{"record":"A","outcome":"resolved","addresses":["127.0.0.1"]}],"tcp":[{"address":"127.0.0.1:443","outcome":"connected","elapsed_ms":3}],"tls":[{"address":"127.0.0.1:443","offered":"1.3","outcome":"handshake","trusted":false,"chain":[{"subject":"CN=proxy","issuer":"CN=Corp CA"}],"elapsed_ms":9}],"http":[{"url":"https://gw-fatoora.zatca.gov.sa/","outcome":"answered","status":404,"elapsed_ms":30}],"degraded":[{"function":"dns_get_record","reason":"disabled","effect":"no AAAA"}]}' \
  > "$seeds/report_import/php.json"
SEEDS="$seeds" python3 - <<'EOF'
import base64, json, os, sqlite3, tempfile
from pathlib import Path
folder = Path(os.environ["SEEDS"]) / "backup_restore"
header = {"format": "fatoora-onboard-backup", "version": 1, "cipher": "xchacha20poly1305",
          "kdf": {"algorithm": "argon2id", "memory_kib": 8, "iterations": 1, "parallelism": 1, "salt": base64.b64encode(bytes(16)).decode()},
          "nonce": base64.b64encode(bytes(24)).decode(), "ciphertext": base64.b64encode(bytes(32)).decode()}
(folder / "header").write_bytes(b"\x00" + json.dumps(header, indent=2).encode())
with tempfile.TemporaryDirectory() as scratch:
    database = Path(scratch) / "db.sqlite3"
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE units (id TEXT PRIMARY KEY, name TEXT)")
    connection.commit()
    connection.close()
    payload = {"createdAt": "2026-01-01T00:00:00Z", "schemaVersion": 1,
               "database": base64.b64encode(database.read_bytes()).decode(),
               "secrets": {"onboarding/otp-salt": base64.b64encode(b"salt").decode()}}
(folder / "payload").write_bytes(b"\x01" + json.dumps(payload).encode())
# An empty database: restore brings it up to this version's schema.
(folder / "payload-empty").write_bytes(b"\x01" + json.dumps(dict(payload, database="")).encode())
EOF

mkdir -p test-output/fuzz
summary=test-output/fuzz/summary.txt
: > "$summary"
failed=()
for target in "${targets[@]}"; do
  echo "==> $target: building, then ${seconds}s" >&2
  mkdir -p "fuzz/corpus/$target"
  extra=()
  [ -d "$seeds/$target" ] && extra=("$seeds/$target")
  log=test-output/fuzz/$target.log
  # -max_len: larger than every real input (a CSR, a key, a gateway body);
  # -rss_limit_mb: an allocation that a capped parser should never make fails
  # the run; -timeout: one input taking 10 s is a hang.
  if ! (cd fuzz && "${fuzz[@]}" run "$target" "corpus/$target" "${extra[@]}" -- \
      -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1) >"$log" 2>&1; then
    grep -E '^(==[0-9]+==|SUMMARY|thread .* panicked|artifact_prefix|Test unit written)' "$log" | head -8 >&2
    crash=$(grep -E '^#[0-9]+' "$log" | tail -1)
    printf '%-18s CRASH after: %s (see %s)\n' "$target" "$crash" "$log" | tee -a "$summary" >&2
    failed+=("$target")
    continue
  fi
  done_line=$(grep -E '^#[0-9]+\s+DONE' "$log" | tail -1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  printf '%-18s %s  executions=%s\n' "$target" "$done_line" "$runs" | tee -a "$summary" >&2
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}; inputs under fuzz/artifacts/; numbers in $summary" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds}s without a crash; numbers in $summary" >&2
