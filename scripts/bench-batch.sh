#!/usr/bin/env bash
# Batch onboarding benchmark (not a test): BENCH_UNITS units (default 100),
# CSV import with keys and CSRs, then CCSID → compliance checks → PCSID for
# each against the in-process simulator over HTTPS on loopback.
# Goal: 100 units within 15 s on 2 cores.
#   scripts/bench-batch.sh            # release profile
#   PROFILE=dev scripts/bench-batch.sh  # debug build (slower; when the machine is busy)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-release}"
flag=()
[ "$profile" = release ] && flag=(--release)
echo "profile=$profile cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
cargo run -q "${flag[@]}" -p fatoora-batch --example bench_batch
