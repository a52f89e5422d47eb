#!/bin/sh
# bench/ns.sh - our nameserver against the real pyro5-ns (sql storage,
# multiplex server as in production), same load, same run: lookups/s and
# yplookups/s with 1, 4 and 32 concurrent clients (bench/ns_load.c replaying
# captured Pyro5 requests over persistent connections, D seconds each),
# and the memory of each server.  Loopback only; bounded by D.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
D=${D:-5}
VEC=${MUPIF_VECTORS:-$(cd "$top/.." && pwd)/shared/vectors}/pyro5/serpent
[ -f "$VEC/00-handshake.client.bin" ] || { echo "bench: no vectors at $VEC"; exit 1; }
make -s all
mkdir -p build/bench
gcc -O2 -Wall -Wextra -Werror bench/ns_load.c -o build/bench/ns_load
tmp=$(mktemp -d)
lpid=
ppid_=
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp" "$portlog"
}
trap cleanup EXIT
# A free loopback port not handed out before in this run (each call is a
# subshell: the ports given out are remembered in a file).
portlog=$(mktemp)
port() {
	while :; do
		p=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
		grep -qx "$p" "$portlog" || { echo "$p" >> "$portlog"; echo "$p"; return; }
	done
}
wait_port() { for _ in $(seq 100); do python3 -c "import socket,sys;socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# Ours: the whole node, release build.
np=$(port)
cat > "$tmp/conf" <<CONF
safeapi_port = $(port)
api_port = $(port)
web_port = $(port)
ns_port = $np
CONF
./build/mupif-central --config "$tmp/conf" --persistent "$tmp/p" run \
    > "$tmp/node.out" 2>&1 &
lpid=$!
# Theirs: pyro5-ns from the test venv.
pp=$(port)
PYRO_SERVERTYPE=multiplex .venv/bin/python -m Pyro5.nameserver -n 127.0.0.1 \
    -p "$pp" --storage="sql:$tmp/pyro5ns.sqlite" > "$tmp/pyro5ns.out" 2>&1 &
ppid_=$!
wait_port "$np"
wait_port "$pp"

setup="$VEC/03-register-plain.client.bin $VEC/04-register-scheduler.client.bin \
$VEC/05-register-jobman.client.bin $VEC/06-register-appserver.client.bin"
load() {	# $1 port, $2 conns, $3 request file
	# shellcheck disable=SC2086
	./build/bench/ns_load "$1" "$2" "$D" "$VEC/00-handshake.client.bin" \
	    "$3" $setup | awk '{print $2}'
}
rss() { awk '/^VmRSS/ {print $2 " kB"}' "/proc/$1/status"; }

printf '\n%-10s %-8s %12s %12s %8s\n' "op" "clients" "ours/s" "pyro5-ns/s" "ratio"
for op in lookup yplookup; do
	case $op in
	lookup)	  req="$VEC/10-lookup.client.bin" ;;
	yplookup) req="$VEC/17-yplookup-any-jobmanager.client.bin" ;;
	esac
	for c in 1 4 32; do
		a=$(load "$np" "$c" "$req")
		b=$(load "$pp" "$c" "$req")
		python3 -c "import sys; a,b=float('$a'),float('$b'); print(f'{\"$op\":<10} {$c:<8} {a:>12.0f} {b:>12.0f} {a/b:>7.1f}x')"
	done
done
nspid=$(python3 -c "import json;print([s['pid'] for s in json.load(open('$tmp/p/run/status.json'))['services'] if s['name']=='nameserver'][0])")
printf '\nmemory: ours %s, pyro5-ns %s\n' "$(rss "$nspid")" "$(rss "$ppid_")"
