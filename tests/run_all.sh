#!/bin/sh
# run_all.sh - the body of `make test`: every unit test binary (cmocka),
# the compiled seccomp policies against policy/golden/, the integration
# suite (pytest against real nodes), and a replay of every
# fuzz corpus, all built with ASan+UBSan in build-asan/.  Prints one count
# per stage and ends with the single line "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
B=${MUPIF_BUILD:-build-asan}
export MUPIF_BUILD="$top/$B"
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

# 2. Policies: compile, compare with policy/golden/, lint.
out=$(sh scripts/policy-check.sh 2>&1); rc=$?
set -- $(printf '%s\n' "$out" | sed -n 's/^policy: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pp=${1:-0}; pf=${2:-1}
[ "$rc" -ne 0 ] && [ "$pf" -eq 0 ] && pf=1
[ "$pf" -ne 0 ] && printf '%s\n' "$out"
echo "policy: $pp passed, $pf failed"
add $pp $pf

# 3. Integration tests.
xml="$B/pytest.xml"
rm -f "$xml"
"$top/.venv/bin/python" -m pytest -p no:cacheprovider -q -rs \
    --junitxml="$xml" tests/integration
ip=0; if_=1
if [ -f "$xml" ]; then
	set -- $("$top/.venv/bin/python" - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r if r.tag == "testsuite" else r.find("testsuite")
t, f, e, k = (int(s.get(x, 0)) for x in ("tests", "failures", "errors", "skipped"))
print(t - f - e - k, f + e)
PY
)
	ip=$1; if_=$2
fi
echo "integration: $ip passed, $if_ failed"
add $ip $if_

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
