#!/bin/sh
# bench/run.sh - `make bench`: throughput, latency percentiles and memory
# of the safe API, against a baseline measured in the same run.
#
#   1. baseline: bench/baseline_mhd (libmicrohttpd alone, same mode)
#   2. safeapi GET /status2/ from its 2 s cache (HTTP path + sandbox)
#   3. safeapi GET /status2/ with Cache-Control: no-cache: every request
#      crosses safeapi -> broker -> db -> SQLite -> back, and is audited
#      ("uncached").  safeapi honours no-cache at most once per
#      status_min_refresh_ms (default 250 ms, so by default a public
#      client gets the cached figure); the bench node sets it to 0, so
#      this row is the full path on every request, the worst case.
#
# The bench node turns the per-client rate limit off (safeapi_rate = 0):
# wrk is one client address and would otherwise measure 429s.
#
# wrk (keep-alive, 2 threads, 64 connections, D seconds each) shares the 2
# cores with the server, so figures are lower bounds; compare ratios.
# Memory: VmRSS/VmHWM of each service from /proc after the load.
# Only loopback addresses are used; every run is bounded by D seconds.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
D=${D:-10}
command -v wrk >/dev/null 2>&1 || {
	[ "$(id -u)" -eq 0 ] || { echo "bench: needs wrk (apt-get install wrk)"; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
}
# BUILD=dir: binaries from there (default build/).
B=${BUILD:-build}
make -s BUILD="$B" all
mkdir -p "$B/bench"
gcc -O2 -Wall -Wextra -Werror $(pkg-config --cflags libmicrohttpd) \
    bench/baseline_mhd.c -o "$B/bench/baseline_mhd" \
    $(pkg-config --libs libmicrohttpd)

# A free loopback port not handed out before in this run (each call is a
# subshell: the ports given out are remembered in a file).
portlog=$(mktemp)
port() {
	while :; do
		p=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
		grep -qx "$p" "$portlog" || { echo "$p" >> "$portlog"; echo "$p"; return; }
	done
}
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; return 1; }
# wrk --latency output -> "req/s p50 p90 p99"
measure() {
	wrk -t2 -c64 -d"${D}s" --latency "$@" 2>&1 | awk '
	    /Requests\/sec/ { rps = $2 }
	    $1 == "50%" { p50 = $2 } $1 == "90%" { p90 = $2 } $1 == "99%" { p99 = $2 }
	    END { printf "%s %s %s %s\n", rps, p50, p90, p99 }'
}

bp=$(port)
"$B/bench/baseline_mhd" "$bp" & BPID=$!
tmp=$(mktemp -d)
sp=$(port)
cat > "$tmp/bench.conf" <<CONF
safeapi_port = $sp
api_port = $(port)
web_port = $(port)
ns_port = $(port)
# Measure the whole path: no refresh limit, no broker rate limit, no
# per-client limits (wrk is one address with 64 connections).
status_min_refresh_ms = 0
broker_rate = 10000000
safeapi_rate = 0
safeapi_max_conn_per_addr = 0
CONF
"$B/mupif-central" --config "$tmp/bench.conf" --persistent "$tmp/p" run \
    > "$tmp/launcher.out" 2>&1 & LPID=$!
trap 'kill $BPID $LPID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp" "$portlog"' EXIT
wait_http "http://127.0.0.1:$bp/"
wait_http "http://127.0.0.1:$sp/status2/"

set -- $(measure "http://127.0.0.1:$bp/status2/"); b_rps=$1; b50=$2; b90=$3; b99=$4
set -- $(measure "http://127.0.0.1:$sp/status2/"); c_rps=$1; c50=$2; c90=$3; c99=$4
set -- $(measure -H 'Cache-Control: no-cache' "http://127.0.0.1:$sp/status2/"); u_rps=$1; u50=$2; u90=$3; u99=$4

printf '\n%-44s %10s %9s %9s %9s\n' "scenario (wrk -t2 -c64 -d${D}s)" "req/s" "p50" "p90" "p99"
printf '%-44s %10s %9s %9s %9s\n' "baseline: libmicrohttpd alone" "$b_rps" "$b50" "$b90" "$b99"
printf '%-44s %10s %9s %9s %9s\n' "safeapi /status2/ (cached)" "$c_rps" "$c50" "$c90" "$c99"
printf '%-44s %10s %9s %9s %9s\n' "safeapi /status2/ no-cache (broker+db+audit)" "$u_rps" "$u50" "$u90" "$u99"
python3 - "$b_rps" "$c_rps" "$u_rps" <<'PY'
import sys
b, c, u = (float(x) for x in sys.argv[1:])
print(f"\nratios: cached/baseline = {c/b:.2f}, no-cache/baseline = {u/b:.2f}, no-cache/cached = {u/c:.2f}")
PY

echo
printf '%-10s %10s %10s\n' service VmRSS VmHWM
python3 - "$tmp/p/run/status.json" <<'PY'
import json, sys
for s in json.load(open(sys.argv[1]))["services"]:
    f = {}
    for line in open(f"/proc/{s['pid']}/status"):
        k, _, v = line.partition(":")
        f[k] = v.strip()
    print(f"{s['name']:<10} {f['VmRSS']:>10} {f['VmHWM']:>10}")
PY
records=$(wc -l < "$tmp/p/audit/audit.log")
echo "audit records written during the run: $records"
"$B/mupif-central" --config "$tmp/bench.conf" --persistent "$tmp/p" audit verify
