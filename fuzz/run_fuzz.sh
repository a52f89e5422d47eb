#!/bin/sh
# run_fuzz.sh - fuzz each named libFuzzer harness for a fixed time.
#
#   sh fuzz/run_fuzz.sh SECONDS name...
#
# Runs build-fuzz/fuzz_<name> (from `make fuzz-build`) for SECONDS on a
# temporary copy of fuzz/corpus/<name>, so the committed corpus does not
# grow, with fuzz/dict/<name>.dict when there is one.  Prints one line per
# harness with the executions, the rate and the result; the full libFuzzer
# output is kept in build-fuzz/fuzz_<name>.log and any crash, leak, timeout
# or out-of-memory input in build-fuzz/fuzz_<name>-*.  Exits 1 if any
# harness failed or was missing.
set -u

usage() {
	echo "usage: sh fuzz/run_fuzz.sh SECONDS name..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
secs=$1
shift
case $secs in
''|*[!0-9]*) usage ;;
esac

cd "$(dirname "$0")/.." || exit 1
out=build-fuzz
tmproot=$(mktemp -d "${TMPDIR:-/tmp}/mupif-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmproot"' EXIT
trap 'exit 130' INT TERM

failed=0
for name in "$@"; do
	bin=$out/fuzz_$name
	log=$out/fuzz_$name.log
	if [ ! -x "$bin" ]; then
		echo "fuzz_$name: MISSING ($bin; run make fuzz-build)"
		failed=1
		continue
	fi
	corpus=$tmproot/$name
	mkdir -p "$corpus"
	if [ -d "fuzz/corpus/$name" ]; then
		cp -pR "fuzz/corpus/$name/." "$corpus/" || exit 1
	fi
	# The loop's word list was expanded once, so "$@" is free to reuse.
	set -- -max_total_time="$secs" -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/fuzz_$name-"
	dict=fuzz/dict/$name.dict
	[ -f "$dict" ] && set -- "$@" -dict="$dict"
	"$bin" "$@" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" |
	    tail -n 1)
	ncorp=$(ls "$corpus" | wc -l | tr -d ' ')
	if [ $rc -eq 0 ]; then
		result=ok
	else
		failed=1
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
		    tail -n 1)
		why=$(grep -m 1 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error' \
		    "$log")
		[ -n "$why" ] || why=$(grep -m 1 -E \
		    'ALARM|out-of-memory|deadly signal|leak' "$log")
		[ -n "$why" ] || why=$(tail -n 1 "$log")
		result="FAILED (exit $rc${art:+, input $art}): ${why:-see $log}"
	fi
	printf 'fuzz_%s: %s execs, %s exec/s, corpus %s, %s\n' "$name" \
	    "${execs:-?}" "${rate:-?}" "$ncorp" "$result"
done
exit $failed
