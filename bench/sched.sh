#!/bin/sh
# bench/sched.sh - the scheduling loop: schedule -> Running latency on an
# idle scheduler, and the drain of N (1000) trivial executions with
# run_slots 1 and 8, against the runner run by hand without scheduler or
# sandbox as the baseline (bench/sched.py says how each figure is taken).
#
# Knobs: N (executions to drain, 1000), LAT_N (latency samples, 50),
# BASE_N (baseline runs, 50), SLOTS ("1 8"), B (binaries, build-bench).
# Loopback only; each phase is bounded (N * 2 s at most per drain).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
B=${B:-build-bench}
export MUPIF_POLICY_DIR="${MUPIF_POLICY_DIR:-$top/policy}"
if [ "$B" = build-bench ]; then make -s bench-build; fi
[ -x "$B/mupif-scheduler" ] || { echo "bench: no $B/mupif-scheduler"; exit 1; }
export MUPIF_BUILD="$top/$B"
case "$B" in /*) export MUPIF_BUILD="$B" ;; esac
exec "$top/.venv/bin/python" "$top/bench/sched.py"
