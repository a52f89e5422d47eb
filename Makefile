# Makefile - build, test, fuzz and run MuPIF Central.
#
#   make            release binaries in build/ (gcc, hardening flags)
#   make run        set up, build and start a whole node in the foreground
#   make test       set up, build with ASan+UBSan, run every test, print
#                   one line "N passed, N failed"
#   make fuzz       libFuzzer harnesses (clang), each for FUZZ_TIME seconds
#   make policy-check  compile every seccomp policy, diff against golden PFC
#   make schemathesis  schemathesis against the api, long (ST_EXAMPLES=200)
#   make setup      install dependencies (idempotent; needs root for apt)

BUILD	?= build
ifeq ($(origin CC),default)
CC	 = gcc
endif
CLANG	?= clang-14
PKGS	 = libseccomp libcap-ng libsodium yajl libmicrohttpd sqlite3 libbsd \
	   libmongoc-1.0 zlib libzip libxcrypt
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN	 = -Wall -Wextra -Wformat=2 -Werror -Wshadow -Wpointer-arith \
	   -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
BASE	 = -std=c17 -D_GNU_SOURCE -Ilib $(PKG_CFLAGS) $(WARN) -g
HARDEN	 = -O2 -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	   -fstack-clash-protection -fcf-protection -fPIE
SANITIZE = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer -fstack-protector-strong -fPIE \
	   -DMUPIF_TEST_HOOKS
LDHARDEN = -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed

ifeq ($(SAN),1)
CFLAGS	?= $(BASE) $(SANITIZE) $(EXTRA_CFLAGS)
LDFLAGS	?= -fsanitize=address,undefined $(LDHARDEN)
else
CFLAGS	?= $(BASE) $(HARDEN) $(EXTRA_CFLAGS)
LDFLAGS	?= $(LDHARDEN)
endif

LIB_SRCS = lib/log.c lib/util.c lib/msg.c lib/msg_types.c lib/parse_frame.c \
	   lib/json.c lib/parse_config.c lib/parse_policy.c lib/parse_profile.c \
	   lib/parse_seccomp.c lib/seccomp_compile.c lib/sandbox.c \
	   lib/audit.c lib/parse_audit.c lib/bchan.c lib/token.c \
	   lib/parse_cidr.c lib/ratelimit.c \
	   lib/wgkey.c lib/parse_topology.c lib/parse_wgconf.c
LAUNCHER_SRCS = launcher/main.c launcher/run.c launcher/spawn.c \
	   launcher/logs.c launcher/status.c launcher/audit_cmd.c \
	   launcher/checkpoint.c launcher/vpn_cmd.c launcher/vpn_relay.c
BROKER_SRCS = broker/broker.c
DB_SRCS	 = services/db/db.c services/db/db_sqlite.c services/db/db_ops.c \
	   services/db/db_export.c \
	   services/db/db_util.c services/db/db_mongo.c
SAFEAPI_SRCS = services/safeapi/safeapi.c
# The db service minus its main(): linked into tests/unit/test_db_*.c and
# fuzz/fuzz_db*.c.
DB_LIB_SRCS = $(filter-out services/db/db.c,$(DB_SRCS))
NS_SRCS	 = services/nameserver/nameserver.c services/nameserver/ns_proto.c \
	   services/nameserver/ns_methods.c services/nameserver/ns_store.c \
	   services/nameserver/serpent.c services/nameserver/parse_serpent.c \
	   services/nameserver/parse_pyro.c services/nameserver/parse_regex.c \
	   services/nameserver/parse_pyro4.c services/nameserver/ns_proto4.c \
	   services/nameserver/ns_clean.c services/nameserver/ns_rounds.c \
	   services/nameserver/parse_jobman.c \
	   services/nameserver/parse_sched.c
# The nameserver minus its main(): linked into its unit tests
# (tests/unit/test_serpent.c, test_nameserver.c) and fuzz harnesses.
NS_LIB_SRCS = $(filter-out services/nameserver/nameserver.c,$(NS_SRCS))
NS_TESTS = test_serpent test_nameserver test_ns_clean test_ns_probe
# The REST API, the auth service and the scheduler: every .c of their
# directory; *_LIB_SRCS (all but the file with main()) go into their unit
# tests and fuzz harnesses (tests/unit/test_api_*.c, fuzz/fuzz_api_*.c ...).
API_SRCS = $(wildcard services/api/*.c)
API_LIB_SRCS = $(filter-out services/api/api.c,$(API_SRCS))
# The api's parsers alone: all that its fuzz harnesses (fuzz_api_*.c) use.
API_PARSE_SRCS = $(wildcard services/api/parse_*.c)
AUTH_SRCS = $(wildcard services/auth/*.c)
AUTH_LIB_SRCS = $(filter-out services/auth/auth.c,$(AUTH_SRCS))
SCHED_SRCS = $(wildcard services/scheduler/*.c)
SCHED_LIB_SRCS = $(filter-out services/scheduler/scheduler.c,$(SCHED_SRCS))
VPN_SRCS = $(wildcard services/vpn/*.c)
VPN_LIB_SRCS = $(filter-out services/vpn/vpn.c,$(VPN_SRCS))
NS_FUZZ	 = serpent pyro5 pyro4 nsregex jobman
HEADERS	 = $(wildcard lib/*.h launcher/*.h services/*/*.h)

# `make V=1` shows the full commands.
ifeq ($(V),1)
Q	 =
say	 = @true
else
Q	 = @
say	 = @printf '  %-6s %s\n'
endif

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
BINS	 = $(BUILD)/mupif-central $(BUILD)/mupif-broker $(BUILD)/mupif-db \
	   $(BUILD)/mupif-safeapi $(BUILD)/mupif-nameserver \
	   $(if $(API_SRCS),$(BUILD)/mupif-api) \
	   $(if $(AUTH_SRCS),$(BUILD)/mupif-auth) \
	   $(if $(SCHED_SRCS),$(BUILD)/mupif-scheduler) \
	   $(if $(VPN_SRCS),$(BUILD)/mupif-vpn)

UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
FUZZ_HARNESSES = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY = $(patsubst %,$(BUILD)/fuzz/replay_%,$(FUZZ_HARNESSES))

.PHONY: bench bench-build fuzz-replay-build all asan setup run test unit fuzz fuzz-build policy-check clean schemathesis
.DEFAULT_GOAL := all

all: $(BINS)

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libmupif.a: $(call obj,$(LIB_SRCS))
	$(say) AR $@
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/mupif-central: $(call obj,$(LAUNCHER_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/mupif-broker: $(call obj,$(BROKER_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/mupif-db: $(call obj,$(DB_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/mupif-safeapi: $(call obj,$(SAFEAPI_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/mupif-nameserver: $(call obj,$(NS_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/mupif-api: $(call obj,$(API_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
# The OpenAPI document is embedded with .incbin (api_openapi.c).
$(BUILD)/obj/services/api/api_openapi.o: services/api/openapi.json
$(BUILD)/mupif-auth: $(call obj,$(AUTH_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/mupif-scheduler: $(call obj,$(SCHED_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/mupif-vpn: $(call obj,$(VPN_SRCS)) $(BUILD)/libmupif.a
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
# Unit tests and fuzz replays of api, auth and scheduler get that
# service's objects (test_api_*.c, test_auth_*.c, test_sched_*.c and
# fuzz_api_*.c, fuzz_auth_*.c, fuzz_sched_*.c).
# The service's objects go in through an archive, so a test or harness
# pulls in only the files it uses (a parser test does not need the
# globals that the service's main file defines).
define svc_test_rules
$$(BUILD)/libsvc_$(1).a: $$(call obj,$(2))
	$$(say) AR $$@
	$$(Q)rm -f $$@
	$$(Q)ar rcs $$@ $$^
$$(BUILD)/tests/test_$(1)_%: tests/unit/test_$(1)_%.c \
    $$(BUILD)/libsvc_$(1).a $$(BUILD)/libmupif.a $$(HEADERS)
	@mkdir -p $$(dir $$@)
	$$(say) TEST $$@
	$$(Q)$$(CC) $$(CFLAGS) -Itests/unit -I$(3) -o $$@ $$< \
	    $$(BUILD)/libsvc_$(1).a $$(BUILD)/libmupif.a \
	    $$(LDFLAGS) $$(PKG_LIBS) $$(shell pkg-config --libs cmocka)
$$(BUILD)/fuzz/replay_$(1)_%: fuzz/fuzz_$(1)_%.c fuzz/standalone_runner.c \
    $$(BUILD)/libsvc_$(1).a $$(BUILD)/libmupif.a
	@mkdir -p $$(dir $$@)
	$$(say) FUZZ $$@
	$$(Q)$$(CC) $$(CFLAGS) -I$(3) -o $$@ $$< fuzz/standalone_runner.c \
	    $$(BUILD)/libsvc_$(1).a $$(BUILD)/libmupif.a $$(LDFLAGS) \
	    $$(PKG_LIBS)
endef
$(eval $(call svc_test_rules,api,$(API_LIB_SRCS),services/api))
$(eval $(call svc_test_rules,auth,$(AUTH_LIB_SRCS),services/auth))
$(eval $(call svc_test_rules,sched,$(SCHED_LIB_SRCS),services/scheduler))
$(eval $(call svc_test_rules,vpn,$(VPN_LIB_SRCS),services/vpn))
# The scheduler carries its Python inspector and runner inside (.incbin).
$(call obj,services/scheduler/inspect_script.c): \
    services/scheduler/inspect_workflow.py runner/mupif_runner.py \
    runner/mupif_standin.py
# The nameserver's unit tests get its objects too.
$(patsubst %,$(BUILD)/tests/%,$(NS_TESTS)): $(BUILD)/tests/%: \
    tests/unit/%.c $(call obj,$(NS_LIB_SRCS)) $(BUILD)/libmupif.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(say) TEST $@
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Iservices/nameserver -o $@ $< \
	    $(call obj,$(NS_LIB_SRCS)) $(BUILD)/libmupif.a \
	    $(LDFLAGS) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# Unit tests (cmocka), one binary per tests/unit/test_*.c; test_db_*
# also get the db service's objects.
$(BUILD)/tests/test_db_%: tests/unit/test_db_%.c $(call obj,$(DB_LIB_SRCS)) \
    $(BUILD)/libmupif.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(say) TEST $@
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Iservices/db -o $@ $< \
	    $(call obj,$(DB_LIB_SRCS)) $(BUILD)/libmupif.a \
	    $(LDFLAGS) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# Unit tests (cmocka), one binary per tests/unit/test_*.c.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmupif.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(say) TEST $@
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libmupif.a \
	    $(LDFLAGS) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# Fuzz harnesses linked with the standalone runner, for corpus replay.
$(BUILD)/fuzz/replay_db%: fuzz/fuzz_db%.c fuzz/standalone_runner.c \
    $(call obj,$(DB_LIB_SRCS)) $(BUILD)/libmupif.a
	@mkdir -p $(dir $@)
	$(say) FUZZ $@
	$(Q)$(CC) $(CFLAGS) -Iservices/db -o $@ $< fuzz/standalone_runner.c \
	    $(call obj,$(DB_LIB_SRCS)) $(BUILD)/libmupif.a $(LDFLAGS) $(PKG_LIBS)
$(patsubst %,$(BUILD)/fuzz/replay_%,$(NS_FUZZ)): $(BUILD)/fuzz/replay_%: \
    fuzz/fuzz_%.c fuzz/standalone_runner.c $(call obj,$(NS_LIB_SRCS)) \
    $(BUILD)/libmupif.a
	@mkdir -p $(dir $@)
	$(say) FUZZ $@
	$(Q)$(CC) $(CFLAGS) -Iservices/nameserver -o $@ $< \
	    fuzz/standalone_runner.c $(call obj,$(NS_LIB_SRCS)) \
	    $(BUILD)/libmupif.a $(LDFLAGS) $(PKG_LIBS)
$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/standalone_runner.c $(BUILD)/libmupif.a
	@mkdir -p $(dir $@)
	$(say) FUZZ $@
	$(Q)$(CC) $(CFLAGS) -o $@ $< fuzz/standalone_runner.c \
	    $(BUILD)/libmupif.a $(LDFLAGS) $(PKG_LIBS)

unit: $(UNIT_TESTS)

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 all unit fuzz-replay-build

fuzz-replay-build: $(FUZZ_REPLAY)

setup:
	@sh scripts/setup.sh

run: setup all
	./build/mupif-central run --persistent $(or $(MUPIF_PERSIST_DIR),var)

test: setup
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory asan
	@sh tests/run_all.sh

# libFuzzer builds: the library sources compiled into each harness.
FUZZ_TIME ?= 30
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -Ilib $(PKG_CFLAGS) -g -O1 \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz-build:
	@mkdir -p build-fuzz
	@for h in $(FUZZ_HARNESSES); do \
	    $(CLANG) $(FUZZ_CFLAGS) -Iservices/db -Iservices/nameserver \
	        -Iservices/api -Iservices/auth -Iservices/scheduler \
	        -Iservices/vpn \
	        -o build-fuzz/fuzz_$$h fuzz/fuzz_$$h.c $(LIB_SRCS) \
	        $$(case $$h in db*) echo $(DB_LIB_SRCS);; \
	        serpent|pyro5|pyro4|nsregex|jobman) echo $(NS_LIB_SRCS);; \
	        api_*) echo $(API_PARSE_SRCS);; \
	        auth_*) echo $(AUTH_LIB_SRCS);; \
	        sched_*) echo $(SCHED_LIB_SRCS);; \
	        vpn_*) echo $(VPN_LIB_SRCS);; esac) \
	        $(PKG_LIBS) || exit 1; done

fuzz: setup fuzz-build
	@sh fuzz/run_fuzz.sh $(FUZZ_TIME) $(FUZZ_HARNESSES)

policy-check: all
	@sh scripts/policy-check.sh

clean:
	rm -rf build build-asan build-fuzz build-bench

# The benchmark build: release flags plus the test hooks that drive the
# db benchmark from inside the node.
bench-build:
	@$(MAKE) --no-print-directory BUILD=build-bench \
	    EXTRA_CFLAGS=-DMUPIF_TEST_HOOKS all

bench: setup bench-build
	@sh bench/run.sh
	@sh bench/db.sh
	@sh bench/ns.sh
	@sh bench/api.sh
	@sh bench/sched.sh

# schemathesis against the api's OpenAPI document, long: every phase,
# ST_EXAMPLES examples per operation, a new seed each run (make test runs
# the same test short; see tests/integration/test_18_schemathesis.py).
ST_EXAMPLES ?= 200
schemathesis: setup
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 all
	@MUPIF_ST_EXAMPLES=$(ST_EXAMPLES) MUPIF_ST_SEED= \
	    MUPIF_ST_PHASES=examples,coverage,fuzzing,stateful \
	    MUPIF_ST_TIMEOUT=7200 MUPIF_BUILD=$(CURDIR)/build-asan \
	    .venv/bin/python -m pytest -q tests/integration/test_18_schemathesis.py
