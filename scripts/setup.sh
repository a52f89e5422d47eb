#!/bin/sh
# setup.sh - install everything MuPIF Central needs to build, run and test.
#
# Idempotent: packages already present are not reinstalled, users that exist
# are kept, the Python venv is reused.  Called by `make run` and `make test`
# (through the `setup` target), so a fresh Debian 12 machine needs nothing
# installed by hand.  Needs root for apt and useradd; as non-root it checks
# and tells what is missing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
stamp="$top/.setup-stamp"

# Debian packages: build libraries, compilers and fuzzing runtime, test tools.
PKGS="gcc make pkg-config libc6-dev \
 libseccomp-dev libcap-ng-dev libsodium-dev libbearssl-dev \
 libmongoc-dev libbson-dev libyajl-dev libmicrohttpd-dev libsqlite3-dev \
 clang-14 libclang-rt-14-dev llvm-14 libcmocka-dev \
 libbsd-dev libzip-dev libcrypt-dev wrk python3 python3-venv curl procps passwd \
 apache2 openssl chromium \
 wireguard-go wireguard-tools iproute2 iputils-ping"

# One unprivileged user per service (see policy/<svc>.profile).
USERS="mupif-broker mupif-db mupif-safeapi mupif-api mupif-web mupif-auth \
 mupif-ns mupif-sched mupif-vpn"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages:$missing" >&2
		echo "setup: run 'sudo $0' once, or install them with apt-get" >&2
		exit 1
	fi
	echo "setup: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then
	for u in $USERS; do
		if ! getent passwd "$u" >/dev/null; then
			useradd --system --no-create-home --home-dir /nonexistent \
			    --shell /usr/sbin/nologin --user-group "$u"
			echo "setup: created system user $u"
		fi
	done
else
	for u in $USERS; do
		getent passwd "$u" >/dev/null ||
		    echo "setup: note: user $u does not exist; services will run as $(id -un)" >&2
	done
fi

# Test-only Python packages, in a venv under the repository.
venv="$top/.venv"
req="$top/tests/requirements.txt"
if [ ! -x "$venv/bin/python" ]; then
	python3 -m venv "$venv"
fi
if [ ! -f "$venv/.req-stamp" ] || ! cmp -s "$req" "$venv/.req-stamp"; then
	"$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
	cp "$req" "$venv/.req-stamp"
fi

# The MongoDB-wire test server of the db conformance stage (jongodb 0.1.6,
# ../shared/ENVIRONMENT.md section 2): one native binary in an npm package,
# kept under .jongodb/.  Without it that stage fails; it is not skipped.
jbin="$top/.jongodb/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb"
if [ ! -x "$jbin" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "setup: npm not found: cannot install jongodb; the MongoDB" \
		    "test stage will fail" >&2
	elif ! npm install --prefix "$top/.jongodb" --no-audit --no-fund \
	    --loglevel=error @jongodb/memory-server-bin-linux-x64-gnu@0.1.6 \
	    >/dev/null; then
		echo "setup: installing jongodb failed; the MongoDB test" \
		    "stage will fail" >&2
	fi
fi

# playwright-core (no bundled browser: it drives Debian's chromium) for the
# monitor page's browser test, kept under .npm-tools/.
if [ ! -f "$top/.npm-tools/node_modules/playwright-core/package.json" ]; then
	if ! command -v npm >/dev/null 2>&1 || \
	    ! npm install --prefix "$top/.npm-tools" --no-audit --no-fund \
	    --loglevel=error playwright-core@1.65.1 >/dev/null; then
		echo "setup: installing playwright-core failed; the monitor" \
		    "browser test will be skipped" >&2
	fi
fi

date -u +%Y-%m-%dT%H:%M:%SZ > "$stamp"
