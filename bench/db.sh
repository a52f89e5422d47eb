#!/bin/sh
# bench/db.sh - db operations through the broker on both backends:
# execution.insert, execution.get by id, execution.list of a page of 100
# and execution.claim, each timed from inside the safe API process (so the
# figures are broker + db + backend, not HTTP), with the benchmark build
# (build-bench/: release flags plus the test hooks that drive it) and a
# copy of the policy that lets safeapi ask for these operations.
#
# MongoDB runs against the MongoDB-wire test server (jongodb), whose
# insert cost grows steeply with collection size (ENVIRONMENT.md 2): N is
# kept small, and its figures say little about a real MongoDB.
# Loopback only; bounded by N.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
N=${N:-1000}
B=build-bench
[ -x $B/mupif-central ] || make -s bench-build
tmp=$(mktemp -d)
jpid=
lpid=
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$jpid" ] && kill "$jpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp" "$portlog"
}
trap cleanup EXIT
KEEP=${KEEP:-}
cp -R policy "$tmp/policy"
echo "safeapi -> db: execution.insert, execution.get, execution.list(fd), execution.claim  # bench only" \
    >> "$tmp/policy/broker.policy"
# A free loopback port not handed out before in this run (each call is a
# subshell: the ports given out are remembered in a file).
portlog=$(mktemp)
port() {
	while :; do
		p=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
		grep -qx "$p" "$portlog" || { echo "$p" >> "$portlog"; echo "$p"; return; }
	done
}

run() {	# $1 = label, rest = extra config lines
	label=$1
	shift
	d="$tmp/$label"
	mkdir -p "$d"
	sp=$(port)
	{
		echo "safeapi_port = $sp"
		echo "api_port = $(port)"
		echo "web_port = $(port)"
		echo "ns_port = $(port)"
		echo "broker_rate = 10000000"
		echo "broker_timeout_ms = 10000"
		for l in "$@"; do echo "$l"; done
	} > "$d/conf"
	MUPIF_POLICY_DIR="$tmp/policy" ./$B/mupif-central --config "$d/conf" \
	    --persistent "$d/p" run > "$d/out" 2>&1 &
	lpid=$!
	for _ in $(seq 100); do
		curl -s "http://127.0.0.1:$sp/status2/" | grep -q '"dms":"OK"' && break
		sleep 0.1
	done
	curl -s --max-time 600 "http://127.0.0.1:$sp/__test/dbbench/$N" > "$d/res"
	kill "$lpid"
	wait "$lpid" 2>/dev/null || true
	lpid=
	python3 - "$label" "$d/res" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
for op in ("insert", "get", "list100", "claim"):
    x = r[op]
    print(f"{label:<10} {op:<9} {x['n']:>7} {x['ok']:>7} {x['ops_per_s']:>10} "
          f"{x['p50_us']:>9} {x['p99_us']:>9}")
PY
}

printf '%-10s %-9s %7s %7s %10s %9s %9s\n' backend op n ok ops/s p50_us p99_us
run sqlite
jbin=.jongodb/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb
if [ -x "$jbin" ]; then
	"$jbin" --host=127.0.0.1 --port=0 > "$tmp/jongodb.log" 2>&1 &
	jpid=$!
	uri=
	for _ in $(seq 100); do
		uri=$(sed -n 's/^JONGODB_URI=//p' "$tmp/jongodb.log")
		[ -n "$uri" ] && break
		sleep 0.1
	done
	run jongodb "db_backend = mongo" "mongo_uri = $uri" "mongo_db = bench"
else
	echo "jongodb not installed (scripts/setup.sh): MongoDB figures skipped"
fi
