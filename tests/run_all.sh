#!/bin/sh
# run_all.sh - the body of `make test`: every unit test binary (cmocka),
# the db conformance suites again on a MongoDB-wire server (jongodb),
# the compiled seccomp policies against policy/golden/, the integration
# suite (pytest against real nodes), and a replay of every
# fuzz corpus, all built with ASan+UBSan in build-asan/.  Prints one count
# per stage and ends with the single line "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
B=${MUPIF_BUILD:-build-asan}
export MUPIF_BUILD="$top/$B"
# The captured protocol vectors are the project's shared ones, beside the
# repository (as on every developer machine and in CI); not copied here.
export MUPIF_VECTORS="${MUPIF_VECTORS:-$(cd "$top/.." && pwd)/shared/vectors}"
if [ ! -d "$MUPIF_VECTORS/serpent" ]; then
	echo "run_all: no vectors at $MUPIF_VECTORS (set MUPIF_VECTORS): the nameserver tests will fail"
fi
# Test binaries linking libmongoc: no /dev/shm/mongoc-<pid> counter files
# (Debian's libmongoc makes one before main(); a crashed test leaves it).
export MONGOC_DISABLE_SHM=1
pass=0
fail=0
add() { pass=$((pass + $1)); fail=$((fail + $2)); }

# 1. Unit tests: cmocka prints "[  PASSED  ] N test(s)." and
#    "[  FAILED  ] N test(s)" (on stderr).
up=0; uf=0
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1); rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$f" -ne 0 ]; then printf '%s\n' "$out" | tail -40; echo "FAILED: $t"; fi
	up=$((up + p)); uf=$((uf + f))
done
echo "unit: $up passed, $uf failed"
add $up $uf

# 1b. The db backend conformance suite again (the unit stage ran it on
#     SQLite), on the MongoDB wire protocol: a fresh jongodb (ENVIRONMENT.md
#     section 2, installed by scripts/setup.sh) on a free loopback port,
#     stopped afterwards.  A server that does not start is a failure, never
#     a skip.  MUPIF_TEST_MONGO_SERVER=jongodb tells the suite which of
#     MongoDB's features this server lacks (see test_db_backend.c).
cm_count() {	# $1 = cmocka output, $2 = exit status -> "passed failed"
	_p=$(printf '%s\n' "$1" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	_f=$(printf '%s\n' "$1" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	_p=${_p:-0}; _f=${_f:-0}
	if [ "$2" -ne 0 ] && [ "$_f" -eq 0 ]; then _f=1; fi
	echo "$_p $_f"
}
mp=0; mf=0
jbin="$top/.jongodb/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb"
jlog="$B/jongodb.log"
if [ ! -x "$B/tests/test_db_backend" ] || [ ! -x "$B/tests/test_db_ops" ] ||
    [ ! -x "$B/tests/test_db_export" ]; then
	echo "FAILED: the db suites were not built"; mf=1
elif [ ! -x "$jbin" ]; then
	echo "FAILED: jongodb is not installed (run scripts/setup.sh)"; mf=1
else
	rm -f "$jlog"
	"$jbin" --host=127.0.0.1 --port=0 >"$jlog" 2>&1 &
	jpid=$!
	uri=; i=0
	# Up in ~0.1 s; on a failure it prints JONGODB_START_FAILURE and
	# keeps running, so watch the log, not the process.
	while [ $i -lt 100 ]; do
		grep -q '^JONGODB_START_FAILURE' "$jlog" && break
		uri=$(sed -n 's/^JONGODB_URI=//p' "$jlog")
		[ -n "$uri" ] && break
		kill -0 "$jpid" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	if [ -z "$uri" ]; then
		tail -20 "$jlog"; echo "FAILED: jongodb did not start"; mf=1
	else
		# The suites: the backend primitives, the typed operations,
		# export/import.  A server that stops answering must not hang
		# `make test`.
		for t in "$B/tests/test_db_backend" "$B/tests/test_db_ops" \
		    "$B/tests/test_db_export"; do
			out=$(MUPIF_TEST_DB=mongo MUPIF_TEST_MONGO_SERVER=jongodb \
			    MUPIF_TEST_MONGO_URI="$uri" timeout 300 "$t" 2>&1); rc=$?
			set -- $(cm_count "$out" $rc)
			mp=$((mp + $1)); mf=$((mf + $2))
			if [ "$2" -ne 0 ]; then printf '%s\n' "$out" | tail -40; echo "FAILED: $t on jongodb"; fi
		done
	fi
	# SIGTERM; it takes about 1.5 s to exit.
	kill "$jpid" 2>/dev/null
	i=0
	while kill -0 "$jpid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$jpid" 2>/dev/null
	wait "$jpid" 2>/dev/null
fi
echo "db conformance on MongoDB-wire: $mp passed, $mf failed"
add $mp $mf

# 2. Policies: compile, compare with policy/golden/, lint.
out=$(sh scripts/policy-check.sh 2>&1); rc=$?
set -- $(printf '%s\n' "$out" | sed -n 's/^policy: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pp=${1:-0}; pf=${2:-1}
[ "$rc" -ne 0 ] && [ "$pf" -eq 0 ] && pf=1
[ "$pf" -ne 0 ] && printf '%s\n' "$out"
echo "policy: $pp passed, $pf failed"
add $pp $pf

# 3. Integration tests: the whole suite on the test build (ASan+UBSan,
# test hooks); then the REST API's client exchanges and user story again
# on the release build, whose glibc allocator and missing hooks behave
# differently (a seccomp kill seen only there once: SECURITY.md).
pytest_stage() {	# name junit-xml pytest-args...
	name=$1; xml=$2; shift 2
	rm -f "$xml"
	"$top/.venv/bin/python" -m pytest -p no:cacheprovider -q -rs \
	    --junitxml="$xml" "$@"
	sp=0; sf=1
	if [ -f "$xml" ]; then
		set -- $("$top/.venv/bin/python" - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r if r.tag == "testsuite" else r.find("testsuite")
t, f, e, k = (int(s.get(x, 0)) for x in ("tests", "failures", "errors", "skipped"))
print(t - f - e - k, f + e)
PY
)
		sp=$1; sf=$2
	fi
	echo "$name: $sp passed, $sf failed"
	add $sp $sf
}
pytest_stage integration "$B/pytest.xml" tests/integration
MUPIF_BUILD="$top/build"
pytest_stage "integration (release build)" "$B/pytest-release.xml" \
    tests/integration/test_13_api_client.py \
    tests/integration/test_15_api_story.py
MUPIF_BUILD="$top/$B"

# 4. Fuzz corpora replayed through each harness (one test per input).
fp=0; ff=0
for r in "$B"/fuzz/replay_*; do
	[ -x "$r" ] || continue
	name=${r##*/replay_}
	out=$("$r" "fuzz/corpus/$name" 2>&1); rc=$?
	n=$(printf '%s\n' "$out" | sed -n 's/^replayed \([0-9]*\) inputs.*/\1/p' | tail -1)
	if [ "$rc" -eq 0 ] && [ -n "$n" ]; then
		fp=$((fp + n))
	else
		printf '%s\n' "$out" | tail -30
		echo "FAILED: corpus replay of $name"
		ff=$((ff + 1))
	fi
done
echo "fuzz corpus replay: $fp passed, $ff failed"
add $fp $ff

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
