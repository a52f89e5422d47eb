#!/bin/sh
# policy-check.sh - `make policy-check`: compile every seccomp policy with
# the project's own compiler (mupif-central policy pfc), diff the result
# against policy/golden/<name>.pfc, and lint the allowlists for dangerous
# syscalls (STYLE.md 3.6).  A reviewed exception carries "# lint-ok: why"
# on its line.  UPDATE=1 rewrites the golden files after a reviewed change.
# Prints "policy: N passed, N failed"; exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
bin=${MUPIF_BUILD:-$top/build}/mupif-central
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

if ! "$bin" policy check >/dev/null; then
	echo "policy-check: 'mupif-central policy check' failed"
	fail=$((fail + 1))
fi
for f in policy/*.seccomp; do
	name=$(basename "$f" .seccomp)
	gold=policy/golden/$name.pfc
	if ! "$bin" policy pfc "$name.seccomp" > "$tmp"; then
		echo "policy-check: $f does not compile"
		fail=$((fail + 1))
		continue
	fi
	if [ "${UPDATE:-0}" = 1 ]; then
		mkdir -p policy/golden
		cp "$tmp" "$gold"
	fi
	if diff -u "$gold" "$tmp"; then
		pass=$((pass + 1))
	else
		echo "policy-check: $f compiles differently from $gold" \
		    "(review, then UPDATE=1 make policy-check)"
		fail=$((fail + 1))
	fi
done

# Lint: dangerous syscalls allowed (": 1" or a condition) in allowlists.
danger='clone|clone3|fork|vfork|execve|execveat|ptrace|mount|umount2|bpf|ioctl|prctl|socket|connect|bind|listen|setuid|setgid|setresuid|setresgid|chroot|unshare|setns|kill|tgkill'
hits=$(grep -HnE "^[[:space:]]*($danger)[[:space:]]*:" policy/*.seccomp \
    policy/groups/*.seccomp | grep -v '^policy/coarse.seccomp' |
    grep -vE ':[[:space:]]*(return|kill)[[:space:]]' | grep -v 'lint-ok:')
if [ -n "$hits" ]; then
	echo "policy-check: dangerous syscalls allowed without a lint-ok reason:"
	echo "$hits"
	fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
echo "policy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
