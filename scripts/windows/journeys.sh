#!/usr/bin/env bash
# journeys.sh BIN: the CLI's user journeys, run by the Windows build under
# Wine (inside the toolchain's chroot, see scripts/test-windows.sh), with the
# outcomes asserted as the Linux tests assert them. The data folder is the
# default one (%LOCALAPPDATA%\fatoora-onboard\data) under a Windows user whose
# name has Arabic letters and a space; keys go to Wine's Credential Manager.
# Then the app: it starts, finds no WebView2 (Wine has none) and says so.
# Prints one line per journey and `journeys: N passed, N failed`.
set -uo pipefail
bin=$1
exe=$bin/fatoora-onboard.exe
work=$(mktemp -d /tmp/journeys.XXXXXX)
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" XDG_RUNTIME_DIR=$work
# Wine names the profile folder after $USER: C:\users\<user>\AppData\Local.
export USER="محاسب الشركة"
unset DISPLAY
VAT=399999999900003
CN=TST-886431145-399999999900003
BACKUP_PASSPHRASE="backup passphrase 2026"
EXPORT_PASSPHRASE="export passphrase 2026"

passed=0 failed=0
cleanup() {
  [ -f "$work/simulator.pid" ] && kill "$(cat "$work/simulator.pid")" 2>/dev/null
  for prefix in "$work"/prefix-*; do
    [ -d "$prefix" ] && WINEPREFIX=$prefix wineserver -k 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh Windows user profile and credential store: one Wine prefix.
use_prefix() {
  export WINEPREFIX=$work/prefix-$1
  if [ ! -d "$WINEPREFIX" ]; then
    wineboot -i >/dev/null 2>&1 || { echo "wineboot failed for $WINEPREFIX" >&2; return 1; }
  fi
  profile=$WINEPREFIX/drive_c/users/$USER
  data=$profile/AppData/Local/fatoora-onboard/data
  docs="$profile/Documents/ملفات الفوترة"
  mkdir -p "$docs"
}
# The Windows path of a file under the prefix's C: drive.
win() { printf 'C:%s' "${1#"$WINEPREFIX"/drive_c}" | tr / '\\'; }

# run ARGS...: the Windows CLI under Wine; sets $code, $out (stdout), $text
# (stdout and stderr).
run() {
  wine "$exe" "$@" </dev/null >"$work/out" 2>"$work/err"
  code=$?
  out=$(cat "$work/out")
  text="$out"$'\n'"$(cat "$work/err")"
}
fail() { printf '    %s\n' "$*" >&2; printf '%s\n' "$text" | tail -15 | sed 's/^/    | /' >&2; return 1; }
expect_code() { [ "$code" = "$1" ] || fail "exit $code, expected $1 (wine $exe ${*:2})"; }
expect_text() { grep -qF -- "$1" <<<"$text" || fail "output lacks: $1"; }

# journey NAME FUNCTION: runs one journey in a subshell (its first failed
# check ends it) and prints its outcome.
journey() {
  local started=$SECONDS
  if ( set -e; "$2" ); then
    passed=$((passed + 1))
    printf '  ok      %-58s %3ss\n' "$1" $((SECONDS - started))
  else
    failed=$((failed + 1))
    printf '  FAILED  %-58s %3ss\n' "$1" $((SECONDS - started))
  fi
}

new_unit() { # COMMON_NAME SERIAL
  run csr new --env local --vat "$VAT" --common-name "$1" --org "مؤسسة السرعة القصوى للتجارة" \
    --unit "فرع الرياض" --serial "$2" --invoice-types 1100 --address "RRRD2929" \
    --category "Supply activities" --out "$(win "$docs/$1.csr")"
}
pubkey_of_csr() { openssl req -in "$1" -pubkey -noout; }

j_info() {
  run info
  expect_code 0
  # The README's data folder, under the Arabic user name with its space.
  expect_text "C:\\users\\$USER\\AppData\\Local\\fatoora-onboard\\data"
}

j_csr_new() {
  new_unit "$CN" "1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f"
  expect_code 0
  expect_text "kept in"
  [ -s "$docs/$CN.csr" ] || fail "no CSR file in $docs"
  openssl req -in "$docs/$CN.csr" -verify -noout >/dev/null 2>&1 || fail "openssl does not verify the CSR"
  # The key is in Wine's Credential Manager (its registry key), not on disk.
  wine reg query 'HKCU\Software\Wine\Credential Manager' /s >"$work/creds" 2>/dev/null
  grep -qaF "sa.fatoora-onboard" "$work/creds" || fail "no sa.fatoora-onboard credential in Credential Manager"
  if grep -rqaF -- "PRIVATE KEY" "$data"; then fail "private key material in the data folder"; fi
  # Read back: the same key signs a second CSR.
  cp "$docs/$CN.csr" "$work/first.csr"
  run csr new --env local --vat "$VAT" --common-name "$CN" --org "مؤسسة السرعة القصوى للتجارة" \
    --unit "فرع الرياض" --serial "1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f" \
    --invoice-types 1100 --address "RRRD2929" --category "Supply activities" --reuse-key \
    --out "$(win "$docs/$CN.csr")"
  expect_code 0
  [ "$(pubkey_of_csr "$work/first.csr")" = "$(pubkey_of_csr "$docs/$CN.csr")" ] || fail "--reuse-key made a CSR with another key"
}

j_units_list() {
  run --json units list
  expect_code 0
  expect_text "\"$CN\""
  expect_text "فرع الرياض"
}

j_simulator() {
  # Journeys run in subshells: the simulator outlives this one, and the
  # later journeys find it through the data folder.
  wine "$exe" --json simulator --listen 127.0.0.1:0 </dev/null >"$work/simulator.out" 2>"$work/simulator.err" &
  local simulator=$!
  echo "$simulator" >"$work/simulator.pid"
  local deadline=$((SECONDS + 60))
  until grep -q baseUrl "$work/simulator.out" 2>/dev/null; do
    kill -0 "$simulator" 2>/dev/null || { text=$(cat "$work/simulator.err"); fail "the simulator ended"; }
    [ $SECONDS -lt $deadline ] || { text=$(cat "$work/simulator.err"); fail "no address within 60 s"; }
    sleep 0.2
  done
  text=$(head -1 "$work/simulator.out")
  expect_text '"baseUrl":"https://127.0.0.1:'
  run simulator otp --env local --vat "$VAT" --count 3
  expect_code 0
  [ "$(grep -cE '^[0-9]{6}\r?$' <<<"$out")" = 3 ] || fail "not three 6-digit OTPs"
  run simulator otp --env local --vat 12345
  expect_code 2
  expect_text "15 digits"
}

otp() { # PURPOSE
  run simulator otp --env local --vat "$VAT" --purpose "$1"
  [ "$code" = 0 ] || fail "minting an OTP failed"
  out=$(tr -d '\r' <<<"$out")
  printf '%s\n' "$out" >>"$work/minted"
  printf '%s' "$out"
}

j_onboard() {
  local code_otp
  code_otp=$(otp onboard)
  run onboard --unit "$CN" --env local --otp "$code_otp" --otp-age 1 --otp-portal local
  expect_code 0
  expect_text "Onboarded"
  expect_text "تم ربط الوحدة"
  run --json units list
  expect_text '"csidIssuedAt"'
}

j_renew() {
  local code_otp
  code_otp=$(otp renew)
  run renew --unit "$CN" --env local --otp "$code_otp" --otp-age 1 --otp-portal local
  expect_code 0
  expect_text "Onboarded"
}

j_journal() {
  run journal
  expect_code 0
  expect_text "times in UTC"
  expect_text "/compliance"
  expect_text "/production/csids"
  # No OTP ever reaches the journal.
  local minted
  while read -r minted; do
    if grep -qF -- "$minted" <<<"$text"; then fail "an OTP in the journal"; fi
  done <"$work/minted"
}

j_support_message() {
  run support-message --unit "$CN" --env local
  expect_code 0
  expect_text "$VAT"
  # In local the message is a rehearsal's, addressed to no one.
  expect_text "تدريب مع المحاكي المحلي"
}

j_diagnose() {
  local origin ca report="$docs/تقرير التشخيص.html"
  origin=$(sed -n 's/.*"origin":"\([^"]*\)".*/\1/p' "$work/simulator.out" | head -1)
  ca=$(sed -n 's/.*"caCertPath":"\([^"]*\)".*/\1/p' "$work/simulator.out" | head -1 | sed 's/\\\\/\\/g')
  run diagnose --env local --url "$origin" --ca-file "$ca" --no-control --report "$(win "$report")"
  expect_code 0
  grep -qi "<html" "$report" || fail "no HTML report at $report"
}

j_backup_restore() {
  local backup="$docs/نسخة احتياطية.fobak"
  FATOORA_ONBOARD_BACKUP_PASSPHRASE=$BACKUP_PASSPHRASE run backup --to "$(win "$backup")"
  expect_code 0
  [ -s "$backup" ] || fail "no backup file"
  cp "$backup" "$work/backup.fobak"
  # Another Windows profile: a fresh data folder and credential store.
  use_prefix restored
  cp "$work/backup.fobak" "$docs/backup.fobak"
  FATOORA_ONBOARD_BACKUP_PASSPHRASE="not the passphrase" run restore --from "$(win "$docs/backup.fobak")"
  expect_code 2
  expect_text "Nothing was restored"
  FATOORA_ONBOARD_BACKUP_PASSPHRASE=$BACKUP_PASSPHRASE run restore --from "$(win "$docs/backup.fobak")"
  expect_code 0
  run --json units list
  expect_text "\"$CN\""
}

# export_key PREFIX: exports the unit from that profile; the key it holds,
# read by openssl from the PKCS#12 file, lands in $work/key-PREFIX.pem.
export_key() {
  use_prefix "$1"
  local dir="$docs/تصدير $CN"
  run export "$CN" --env local --out "$(win "$dir")"
  expect_code 2
  expect_text "--i-understand"
  FATOORA_ONBOARD_EXPORT_PASSPHRASE=$EXPORT_PASSPHRASE run export "$CN" --env local --out "$(win "$dir")" --i-understand
  expect_code 0
  openssl pkcs12 -in "$dir/certificate-and-key.p12" -passin "pass:$EXPORT_PASSPHRASE" -nodes \
    -out "$work/p12-$1.pem" 2>/dev/null || fail "openssl cannot open the PKCS#12 file"
  openssl pkey -in "$work/p12-$1.pem" -out "$work/key-$1.pem" || fail "no key in the PKCS#12 file"
  # The key is the production CSID's.
  [ "$(openssl pkey -in "$work/key-$1.pem" -pubout)" = "$(openssl x509 -in "$dir/certificate.pem" -pubkey -noout)" ] \
    || fail "the exported key does not match the certificate"
}

j_export() {
  export_key main
  # The restored profile's Credential Manager gives back the same key, byte
  # for byte.
  export_key restored
  cmp -s "$work/key-main.pem" "$work/key-restored.pem" || fail "the restored key differs from the original"
}

j_import_batch() {
  use_prefix main
  run import-units --template
  expect_code 0
  {
    head -1 <<<"$out" | tr -d '\r'
    for n in 1 2; do
      printf 'مؤسسة الفرع %s,%s,Branch %s,TST-batch-%s,1-TST|2-TST|3-batch-%s,1100,RRRD2929,Retail,SA\n' "$n" "$VAT" "$n" "$n" "$n"
    done
  } >"$docs/وحدات الفروع.csv"
  run import-units "$(win "$docs/وحدات الفروع.csv")" --env local
  expect_code 0
  expect_text "2 unit(s) imported"
  for n in 1 2; do otp onboard; echo; done >"$docs/otps.txt"
  run batch onboard --otps "$(win "$docs/otps.txt")" --env local --otp-age 1
  expect_code 0
  run --json units list
  [ "$(grep -o '"csidIssuedAt"' <<<"$out" | wc -l)" = 3 ] || fail "not every unit is issued"
}

j_app() {
  # As installed: the app with WebView2Loader.dll beside it.
  mkdir -p "$work/app"
  cp "$bin/fatoora-onboard-app.exe" "$bin/WebView2Loader.dll" "$work/app/"
  wine "$work/app/fatoora-onboard-app.exe" </dev/null >"$work/out" 2>"$work/err"
  code=$?
  text=$(cat "$work/out" "$work/err")
  expect_code 3
  expect_text "Microsoft Edge WebView2 Runtime is not installed"
  expect_text "غير مثبّت"
  expect_text "https://developer.microsoft.com/microsoft-edge/webview2/"
}

use_prefix main || exit 1
journey "info: data under %LOCALAPPDATA% (Arabic user name, space)" j_info
journey "csr new: key into Credential Manager and back (--reuse-key)" j_csr_new
journey "units list" j_units_list
journey "simulator: serves on loopback, mints OTPs" j_simulator
journey "onboard to issued (local simulator over HTTPS)" j_onboard
journey "renew" j_renew
journey "journal" j_journal
journey "support-message" j_support_message
journey "diagnose --env local --report (HTML written)" j_diagnose
journey "backup, restore into a fresh profile and credential store" j_backup_restore
journey "export: PKCS#12 that openssl opens, the same key" j_export
journey "import-units + batch onboard" j_import_batch
journey "app: no WebView2 under Wine, says so in both languages" j_app
printf 'journeys: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
