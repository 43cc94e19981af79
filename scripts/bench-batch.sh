#!/usr/bin/env bash
# Batch onboarding benchmark (not a test), as an accountant runs it: the
# release CLI against the standalone simulator on loopback (`fatoora-onboard
# simulator`) and the real Secret Service (a throwaway gnome-keyring in a
# private D-Bus session, as scripts/with-secret-service.sh starts it).
#   1. `import-units` of TAXPAYERS x UNITS units (keys into the keychain, CSRs);
#   2. `batch onboard` of all of them with OTPs minted by the simulator's admin
#      API, one OTP per unit (CCSID, 6 compliance documents, PCSID each);
#   3. `csr new` (key into the keychain, CSR written) against the equivalent
#      `openssl ecparam -genkey` + `openssl req -new` + `secret-tool store`
#      pipeline, side by side (interleaved rounds), and the Secret Service
#      sessions one `csr new` opens (dbus-monitor).
# Prints wall time, the CPU seconds of our process, the simulator and the
# keyring daemon, and the load average with each phase.
# Goals (issue 16, 2 cores): batch of 100 <= 4 s, import of 100 <= 1 s,
# csr new <= 0.8x the pipeline with one Secret Service session.
#
#   scripts/bench-batch.sh
#   BENCH_TAXPAYERS=10 BENCH_UNITS=10 BENCH_CONCURRENCY=8 BENCH_CSR_RUNS=30 scripts/bench-batch.sh
#   BENCH_BIN=/path/to/fatoora-onboard scripts/bench-batch.sh   # another build, not rebuilt
#   BENCH_SIMULATOR_BIN=/path/to/fatoora-onboard ...   # the simulator from another build,
#                                          # to compare two CLIs against the same gateway
#   BENCH_GATEWAY_RULES=skip scripts/bench-batch.sh   # the simulator without ZATCA's XSD and
#                                          # business rules (`simulator --skip-rules`): the client
#                                          # apart from the gateway's work, which the real
#                                          # gateway does on its own machines
#   BENCH_KEEP=1 scripts/bench-batch.sh   # keep the data folder (store, logs) for a look afterwards
#   BENCH_DBUS=1 scripts/bench-batch.sh   # also count the D-Bus calls of import and batch
#                                          # (dbus-monitor slows the bus: times not comparable)
# Needs: dbus, gnome-keyring, libsecret-tools (secret-tool), openssl, python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# Always a throwaway keyring, never the caller's own; its daemon's CPU time
# is then this benchmark's alone.
if [ -z "${BENCH_BATCH_IN_SESSION:-}" ]; then
  BENCH_BATCH_IN_SESSION=1 exec "$root/scripts/with-secret-service.sh" "$0" "$@"
fi
for tool in secret-tool openssl dbus-monitor dbus-send; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found (Debian: libsecret-tools, openssl, dbus)" >&2; exit 1; }
done

taxpayers="${BENCH_TAXPAYERS:-10}"
per_taxpayer="${BENCH_UNITS:-10}"
concurrency="${BENCH_CONCURRENCY:-8}"
csr_runs="${BENCH_CSR_RUNS:-40}"
units=$((taxpayers * per_taxpayer))

if [ -n "${BENCH_BIN:-}" ]; then
  bin="$BENCH_BIN"
else
  cargo build --release --quiet -p fatoora-onboard-cli --manifest-path "$root/Cargo.toml"
  bin="$root/target/release/fatoora-onboard"
fi
work="$(mktemp -d)"
data="$work/data"
sim_pid=""
monitor_pid=""
cleanup() {
  [ -n "$monitor_pid" ] && kill "$monitor_pid" 2>/dev/null
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
export FATOORA_ONBOARD_SECRET_STORE=keychain
onboard() { "$bin" --data-dir "$data" "$@"; }

load() { cut -d' ' -f1-3 /proc/loadavg; }
ticks_per_second="$(getconf CLK_TCK)"
# utime + stime of a live process, in clock ticks (fields 14 and 15; the
# command name in field 2 has no spaces for these processes).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
seconds() { awk -v t="$1" -v hz="$ticks_per_second" 'BEGIN { printf "%.2f", t / hz }'; }
# The daemon may still be claiming its bus name.
keyring_pid=""
for _ in $(seq 50); do
  keyring_pid="$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk '/uint32/ { print $2 }')"
  [ -n "$keyring_pid" ] && break
  sleep 0.1
done
[ -n "$keyring_pid" ] || { echo "$0: no Secret Service on the bus" >&2; exit 1; }

# One phase: wall time and our process's CPU (bash's `time`), the CPU the
# simulator and the keyring daemon spent meanwhile.
phase() {
  local name="$1"; shift
  local sim_before keyring_before timing
  sim_before="$(cpu_ticks "$sim_pid")"
  keyring_before="$(cpu_ticks "$keyring_pid")"
  timing="$( { TIMEFORMAT='%R %U %S'; time "$@" >"$work/$name.out" 2>"$work/$name.err"; } 2>&1 )" || {
    echo "$name failed:" >&2; cat "$work/$name.out" "$work/$name.err" >&2; exit 1
  }
  read -r wall user sys <<<"$timing"
  printf '%-8s wall %6.2f s   cpu: ours %5.2f s, simulator %5s s, keyring %5s s   load %s\n' \
    "$name" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
    "$(seconds $(( $(cpu_ticks "$sim_pid") - sim_before )))" \
    "$(seconds $(( $(cpu_ticks "$keyring_pid") - keyring_before )))" "$(load)"
}

# Counts the Secret Service calls (and new bus connections) while "$@" runs.
dbus_counted() {
  local log="$1"; shift
  dbus-monitor --session "type='method_call',destination='org.freedesktop.secrets'" \
    "type='method_call',interface='org.freedesktop.DBus',member='Hello'" >"$log" 2>&1 &
  monitor_pid=$!
  sleep 0.5   # the monitor must be listening before the first call
  "$@"
  sleep 0.2
  kill "$monitor_pid"; wait "$monitor_pid" 2>/dev/null || true; monitor_pid=""
}
dbus_summary() {
  printf '%s: %s bus connections, %s Secret Service sessions, %s Secret Service calls in all\n' "$2" \
    "$(grep -c 'member=Hello' "$1" || true)" "$(grep -c 'member=OpenSession' "$1" || true)" \
    "$(grep -c 'destination=org.freedesktop.secrets' "$1" || true)"
}

echo "fatoora-onboard $("$bin" --version | cut -d' ' -f2), $units units ($taxpayers taxpayers x $per_taxpayer), concurrency $concurrency, $(nproc) cores, gateway rules ${BENCH_GATEWAY_RULES:-zatca}, load $(load)"

simulator_flags=()
case "${BENCH_GATEWAY_RULES:-zatca}" in
  zatca) ;;
  skip) simulator_flags=(--skip-rules) ;;
  *) echo "$0: BENCH_GATEWAY_RULES is zatca or skip, not ${BENCH_GATEWAY_RULES}" >&2; exit 2 ;;
esac
"${BENCH_SIMULATOR_BIN:-$bin}" --data-dir "$data" simulator "${simulator_flags[@]}" >"$work/simulator.out" 2>&1 &
sim_pid=$!
for _ in $(seq 300); do [ -s "$data/simulator/simulator.json" ] && break; sleep 0.1; done
[ -s "$data/simulator/simulator.json" ] || { echo "the simulator did not start:" >&2; cat "$work/simulator.out" >&2; exit 1; }

# Ten taxpayers: VAT numbers 3999999999NN003 (15 digits, 3 first and last, not a VAT group).
vat() { printf '3999999999%02d003' "$1"; }
{
  echo "organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country"
  for t in $(seq 0 $((taxpayers - 1))); do
    for u in $(seq 0 $((per_taxpayer - 1))); do
      echo "شركة المثال $t,$(vat "$t"),فرع $u,POS-$t-$u,1-POS|2-V1|3-$t-$u,1100,RRRD2929,Retail,SA"
    done
  done
} >"$work/units.csv"

run_phase() {
  if [ -n "${BENCH_DBUS:-}" ]; then
    dbus_counted "$work/$1.dbus" phase "$@"
    dbus_summary "$work/$1.dbus" "    $1"
  else
    phase "$@"
  fi
}
run_phase import onboard import-units --env local "$work/units.csv"

# One OTP per unit, minted for its taxpayer, on the unit's line.
onboard --json units list >"$work/units.json"
for t in $(seq 0 $((taxpayers - 1))); do
  onboard simulator otp --env local --vat "$(vat "$t")" --count "$per_taxpayer" >"$work/otps-$t.txt"
done
python3 - "$work" "$taxpayers" >"$work/otps.txt" <<'PY'
import json, sys
work, taxpayers = sys.argv[1], int(sys.argv[2])
units = json.load(open(f"{work}/units.json"))
for t in range(taxpayers):
    vat = f"3999999999{t:02d}003"
    ids = sorted(u["id"] for u in units if u["profile"]["vatNumber"] == vat)
    otps = open(f"{work}/otps-{t}.txt").read().split()
    assert len(ids) == len(otps), (vat, len(ids), len(otps))
    for unit, otp in zip(ids, otps):
        print(f"{unit},{otp}")
PY
run_phase batch onboard --json batch onboard --otps "$work/otps.txt" --env local --otp-age 1 --concurrency "$concurrency"
issued="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issued"])' "$work/batch.out")"
[ "$issued" = "$units" ] || { echo "only $issued of $units units issued" >&2; head -c 2000 "$work/batch.out" >&2; exit 1; }
echo "         $issued of $units units issued"

# csr new vs the openssl + secret-tool pipeline: same subject and SAN.
cp "$root/scripts/csr-openssl.cnf" "$work/req.cnf"
ours="$bin --data-dir $data csr new --env production --replace-key --out $work/ours.csr --vat 399999999900003 \
  --common-name TST-886431145-399999999900003 --org 'Maximum Speed Tech Supply LTD' --unit 'Riyadh Branch' \
  --serial '1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f' --invoice-types 1100 --address RRRD2929 --category 'Supply activities'"
theirs="openssl ecparam -name secp256k1 -genkey -noout -out $work/theirs.key \
  && openssl req -new -key $work/theirs.key -sha256 -config $work/req.cnf -out $work/theirs.csr \
  && secret-tool store --label=bench-pipeline service sa.fatoora-onboard.bench account pipeline < $work/theirs.key"
eval "$ours" >/dev/null   # creates the unit: later runs replace its key
eval "$theirs"
dbus_counted "$work/csr.dbus" eval "$ours >/dev/null"
dbus_summary "$work/csr.dbus" "csr new (one process)"
# Interleaved, one of each per round, so a change in the machine's load
# hits both alike; the medians and the median of the rounds' ratios.
echo "csr new vs openssl + secret-tool, $csr_runs rounds, load $(load)"
python3 - "$csr_runs" "$ours" "$theirs" <<'PY'
import statistics, subprocess, sys, time
rounds, ours, theirs = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def run(command):
    start = time.perf_counter()
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start
for _ in range(3):
    run(ours), run(theirs)
pairs = [(run(ours), run(theirs)) for _ in range(rounds)]
for label, times in (("csr new", [a for a, _ in pairs]), ("openssl + secret-tool", [b for _, b in pairs])):
    print(f"  {label:<22} median {statistics.median(times) * 1000:6.1f} ms (mean {statistics.mean(times) * 1000:6.1f}, min {min(times) * 1000:6.1f})")
ratios = [a / b for a, b in pairs]
print(f"  ratio csr new / pipeline: median of rounds {statistics.median(ratios):.2f}x, of medians {statistics.median(a for a, _ in pairs) / statistics.median(b for _, b in pairs):.2f}x")
PY
openssl req -verify -noout -in "$work/ours.csr" 2>&1 | tail -1
echo "load at the end: $(load)"
