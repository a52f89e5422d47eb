#!/bin/sh
# bench/api.sh - the REST API (api service, port api_port) under wrk, with a
# hello-world libmicrohttpd server (bench/baseline_mhd) as the ceiling,
# measured in the same run with the same wrk settings:
#
#   get       GET  /api/executions/{id}             (one execution, with its
#                                                   inputs and outputs)
#   list      GET  /api/executions?status=Pending&num_limit=100
#                                                   (a page of 100 of ~200
#                                                   Pending executions)
#   create    POST /api/executions/create           (JSON body; each request
#                                                   writes an execution and
#                                                   its two IOData records)
#   login     POST /api/login                       (form body; Argon2id in
#                                                   the auth service)
#   ceiling   GET  / of bench/baseline_mhd          (no broker, no db)
#
# each at 1, 16 and 64 connections (C="1 16 64"), D seconds each (D=10):
# requests/s, p50/p99 latency (wrk --latency), the count of answers that
# were not 2xx (a figure with errors is not a throughput), the ratio to the
# ceiling at the same connection count, and VmRSS/VmHWM of every node
# process from /proc after the load.
#
# Every request but login carries the bearer token of one admin (created
# with `mupif-central user add`); the data is seeded through the API: one
# workflow uploaded (tests/integration/workflows/, inspected by the
# scheduler's sandbox), N_PENDING (200) executions created and scheduled.
# Failed logins are rate limited per user and address by design
# (docs/authorization.md row 4): the bench node sets login_rate_user and
# login_rate_addr high so that the limit is not what is measured (the
# bench's logins all succeed anyway).
#
# Binaries from B (build-bench: release flags plus the test hooks, as the
# other benchmarks; `B=/some/dir sh bench/api.sh` for another build).
# wrk (2 threads at most) shares the 2 cores with the node, so figures are
# lower bounds; compare ratios.  Loopback only; every wrk run is bounded by
# D seconds, the seeding by N_PENDING requests.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
D=${D:-10}
C=${C:-"1 16 64"}
N_PENDING=${N_PENDING:-200}
B=${B:-build-bench}
# The policy of this tree, also for a build directory outside it.
export MUPIF_POLICY_DIR="${MUPIF_POLICY_DIR:-$top/policy}"
command -v wrk >/dev/null 2>&1 || {
	[ "$(id -u)" -eq 0 ] || { echo "bench: needs wrk (apt-get install wrk)"; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
}
if [ "$B" = build-bench ]; then make -s bench-build; fi
[ -x "$B/mupif-api" ] || { echo "bench: no $B/mupif-api (the api is not built)"; exit 1; }
mkdir -p "$B/bench"
gcc -O2 -Wall -Wextra -Werror $(pkg-config --cflags libmicrohttpd) \
    bench/baseline_mhd.c -o "$B/bench/baseline_mhd" \
    $(pkg-config --libs libmicrohttpd)

tmp=$(mktemp -d)
# The scheduler (its own user, not chrooted) reaches its directory under
# the persistent one by path: the 0700 of mktemp would stop it.
chmod 755 "$tmp"
lpid=
bpid=
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
	wait 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "bench: kept $tmp"; else rm -rf "$tmp"; fi
	rm -f "$portlog"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# A free loopback port not handed out before in this run (each call is a
# subshell: the ports given out are remembered in a file).
portlog=$(mktemp)
port() {
	while :; do
		p=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
		grep -qx "$p" "$portlog" || { echo "$p" >> "$portlog"; echo "$p"; return; }
	done
}

bp=$(port)
"$B/bench/baseline_mhd" "$bp" & bpid=$!
sp=$(port)
ap=$(port)
cat > "$tmp/conf" <<CONF
safeapi_port = $sp
api_port = $ap
web_port = $(port)
ns_port = $(port)
# Measure the whole path, not the limits: no broker rate limit, and the
# login limits (per user, per address, per minute) far above what the
# login scenario sends.
broker_rate = 10000000
broker_timeout_ms = 10000
login_rate_user = 1000000
login_rate_addr = 1000000
# The scheduled executions stay Pending (the list scenario reads them):
# this node's scheduler runs nothing.
run_slots = 0
CONF
central() { "$B/mupif-central" --config "$tmp/conf" --persistent "$tmp/p" "$@"; }
# Not through the function: $! must be the launcher itself.
"$B/mupif-central" --config "$tmp/conf" --persistent "$tmp/p" run \
    > "$tmp/node.out" 2>&1 & lpid=$!
api="http://127.0.0.1:$ap"
ok=
for _ in $(seq 150); do
	if curl -s -o /dev/null -w '%{http_code}' "$api/api/openapi.json" | grep -q 200 &&
	    curl -s "http://127.0.0.1:$sp/status2/" | grep -q '"dms":"OK"'; then
		ok=1; break
	fi
	kill -0 "$lpid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$ok" ] || { echo "bench: the node did not come up"; cat "$tmp/node.out"; exit 1; }

user=bench@example.org
pass=bench-password-$$
printf '%s\n' "$pass" | central user add "$user" --admin > "$tmp/useradd.out" 2>&1 ||
    { echo "bench: user add failed"; cat "$tmp/useradd.out"; exit 1; }

# Log in, upload a workflow, create N_PENDING executions and schedule them,
# create one more (the id of the get scenario); print "token wid id
# pending-count".
wf=tests/integration/workflows/workflowdemo01.py
[ -f "$wf" ] || { echo "bench: no $wf"; exit 1; }
seed=$(python3 - "$api" "$user" "$pass" "$wf" "$N_PENDING" <<'PY'
import json, sys, urllib.error, urllib.parse, urllib.request, uuid
api, user, pw, wf, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

def call(method, path, body=None, ctype="application/json", tok=None):
    r = urllib.request.Request(api + path, data=body, method=method)
    if body is not None:
        r.add_header("Content-Type", ctype)
    if tok:
        r.add_header("Authorization", "Bearer " + tok)
    try:
        with urllib.request.urlopen(r, timeout=60) as a:
            return json.loads(a.read())
    except urllib.error.HTTPError as e:
        sys.exit(f"bench: {method} {path}: {e.code} {e.read()[:500]!r}")

tok = call("POST", "/api/login", urllib.parse.urlencode(
    {"username": user, "password": pw}).encode(),
    "application/x-www-form-urlencoded")["access_token"]
b = uuid.uuid4().hex
name = wf.rsplit("/", 1)[-1]
body = (f"--{b}\r\nContent-Disposition: form-data; name=\"workflow_file\"; "
        f"filename=\"{name}\"\r\nContent-Type: text/x-python\r\n\r\n").encode() \
    + open(wf, "rb").read() + f"\r\n--{b}--\r\n".encode()
wid = call("POST", "/api/usecases/Demo/workflows", body,
           f"multipart/form-data; boundary={b}", tok)["wid"]
create = json.dumps({"wid": wid, "version": -1, "ip": "", "no_edm": False}).encode()
for _ in range(n):
    eid = call("POST", "/api/executions/create", create, tok=tok)["inserted_id"]
    call("PATCH", f"/api/executions/{eid}/schedule", tok=tok)
eid = call("POST", "/api/executions/create", create, tok=tok)["inserted_id"]
pending = call("GET", "/api/executions?status=Pending&num_limit=0", tok=tok)
print(tok, wid, eid, pending["pagination"]["totalCount"])
PY
)
# shellcheck disable=SC2086
set -- $seed
tok=$1; wid=$2; eid=$3; npend=$4
printf '{"wid":"%s","version":-1,"ip":"","no_edm":false}' "$wid" > "$tmp/create.json"
printf 'username=%s&password=%s' "$(printf %s "$user" | sed 's/@/%40/')" "$pass" > "$tmp/login.form"
echo "seeded: workflow $wid, $npend Pending executions"

# wrk --latency -> "req/s p50 p99 non2xx sockerr" (sockerr: connect, read,
# write errors and time-outs); -t at most 2 and at most -c.
measure() {	# $1 connections, rest: wrk arguments
	c=$1; shift
	t=2; [ "$c" -lt 2 ] && t=1
	wrk -t"$t" -c"$c" -d"${D}s" --timeout 10s --latency "$@" 2>&1 | awk '
	    /Requests\/sec/ { rps = $2 }
	    /Non-2xx or 3xx responses/ { bad = $NF }
	    /Socket errors/ { gsub(",", ""); se = $4 + $6 + $8 + $10 }
	    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
	    END { printf "%s %s %s %s %s\n", rps, p50, p99, (bad == "" ? 0 : bad),
		(se == "" ? 0 : se) }'
}
auth="Authorization: Bearer $tok"
res="$tmp/results"
: > "$res"
for c in $C; do
	echo "ceiling $c $(measure "$c" "http://127.0.0.1:$bp/")" >> "$res"
	echo "get $c $(measure "$c" -H "$auth" "$api/api/executions/$eid")" >> "$res"
	echo "list $c $(measure "$c" -H "$auth" "$api/api/executions?status=Pending&num_limit=100")" >> "$res"
	echo "create $c $(BENCH_BODY="$tmp/create.json" BENCH_CTYPE=application/json \
	    measure "$c" -H "$auth" -s bench/api_post.lua "$api/api/executions/create")" >> "$res"
	echo "login $c $(BENCH_BODY="$tmp/login.form" BENCH_CTYPE=application/x-www-form-urlencoded \
	    measure "$c" -s bench/api_post.lua "$api/api/login")" >> "$res"
done

python3 - "$res" "$D" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
ceil = {r[1]: float(r[2]) for r in rows if r[0] == "ceiling"}
label = {
    "ceiling": "ceiling: libmicrohttpd hello world",
    "get": "GET /api/executions/{id}",
    "list": "GET /api/executions?status=Pending&num_limit=100",
    "create": "POST /api/executions/create",
    "login": "POST /api/login",
}
print(f"\n{'scenario (wrk, ' + sys.argv[2] + ' s each)':<50} {'conns':>5} {'req/s':>10} "
      f"{'p50':>9} {'p99':>9} {'non-2xx':>8} {'sockerr':>8} {'/ceiling':>9}")
for name in label:
    for r in rows:
        if r[0] != name:
            continue
        rps = float(r[2])
        print(f"{label[name]:<50} {r[1]:>5} {rps:>10.1f} {r[3]:>9} {r[4]:>9} "
              f"{r[5]:>8} {r[6]:>8} {rps / ceil[r[1]]:>9.3g}")
PY

echo
printf '%-12s %7s %10s %10s\n' process pid VmRSS VmHWM
python3 - "$tmp/p/run/status.json" "$lpid" "$bpid" <<'PY'
import json, sys
def show(name, pid):
    f = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        f[k] = v.strip()
    print(f"{name:<12} {pid:>7} {f['VmRSS']:>10} {f['VmHWM']:>10}")
show("launcher", int(sys.argv[2]))
for s in json.load(open(sys.argv[1]))["services"]:
    if s.get("pid"):
        show(s["name"], s["pid"])
show("baseline", int(sys.argv[3]))
PY
