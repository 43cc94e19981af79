#!/usr/bin/env bash
# Times `fatoora-onboard diagnose` against
#  1. the local simulator on loopback, next to one `curl` to one endpoint
#     (goal: the full diagnosis in at most 1.5x the curl), and
#  2. a black-holed address (iptables DROP inside a network namespace made
#     here; goal: at most --timeout + 0.5 s). Needs root and `ip netns`;
#     skipped with a reason otherwise.
# All traffic stays on loopback and in the namespace. Usage:
#   scripts/bench-diagnose.sh [RUNS]      (default 7; reports the median)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
BLACKHOLE_TIMEOUT=3

cargo build -q -p fatoora-onboard-cli
BIN=$PWD/target/debug/fatoora-onboard
WORK=$(mktemp -d)
NS=fdiag-bench-$$
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "/etc/netns/$NS" "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$BIN" --data-dir "$WORK" --json simulator >"$WORK/sim.json" 2>"$WORK/sim.err" &
SIM_PID=$!
for _ in $(seq 100); do [ -s "$WORK/sim.json" ] && break; sleep 0.1; done
[ -s "$WORK/sim.json" ] || { echo "the simulator did not start:"; cat "$WORK/sim.err"; exit 1; }
ORIGIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["origin"])' "$WORK/sim.json")
CA=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["caCertPath"])' "$WORK/sim.json")
echo "simulator at $ORIGIN"

# Warm-up, so neither side pays for a cold page cache.
curl -sS -o /dev/null --cacert "$CA" -H 'Accept-Version: V2' "$ORIGIN/e-invoicing/core/compliance"
"$BIN" --data-dir "$WORK" diagnose --url "$ORIGIN" --ca-file "$CA" --control-url "$ORIGIN/" --json >/dev/null 2>&1 || true

for _ in $(seq "$RUNS"); do
    start=$(now)
    curl -sS -o /dev/null --cacert "$CA" -H 'Accept-Version: V2' "$ORIGIN/e-invoicing/core/compliance"
    echo "$(now) - $start" | bc >>"$WORK/curl.txt"
    start=$(now)
    "$BIN" --data-dir "$WORK" diagnose --url "$ORIGIN" --ca-file "$CA" --control-url "$ORIGIN/" --json >"$WORK/report.json" 2>/dev/null || {
        echo "diagnose found a problem with the simulator:"; python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"]["headline"]["en"])' "$WORK/report.json"; exit 1; }
    echo "$(now) - $start" | bc >>"$WORK/diagnose.txt"
done
CURL=$(median <"$WORK/curl.txt")
DIAG=$(median <"$WORK/diagnose.txt")
PROBES=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["tcp"])+len(r["tls"])+len(r["http"])+(1 if r["control"] else 0))' "$WORK/report.json")
RATIO=$(echo "scale=2; $DIAG / $CURL" | bc)
printf 'healthy (median of %s): one curl %.3f s | full diagnosis (%s network probes + process start) %.3f s | ratio %sx (goal <= 1.5x)\n' \
    "$RUNS" "$CURL" "$PROBES" "$DIAG" "$RATIO"

if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    echo "black hole: SKIPPED (needs root and ip netns)"
    exit 0
fi
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" iptables -A INPUT -p tcp --dport 443 -j DROP
start=$(now)
set +e
ip netns exec "$NS" "$BIN" --data-dir "$WORK" diagnose --url https://127.0.0.1 --no-control --timeout "$BLACKHOLE_TIMEOUT" --json >"$WORK/bh.json" 2>/dev/null
CODE=$?
set -e
BH=$(echo "$(now) - $start" | bc)
CLASS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"]["class"])' "$WORK/bh.json")
printf 'black hole: --timeout %s s, total %.3f s, overshoot %.3f s (goal <= 0.5 s), verdict %s, exit %s\n' \
    "$BLACKHOLE_TIMEOUT" "$BH" "$(echo "$BH - $BLACKHOLE_TIMEOUT" | bc)" "$CLASS" "$CODE"
