/*
 * test_policy.c - unit tests for lib/parse_policy.c: policy_parse on a good
 * policy/broker.policy (comments, blank lines, CRLF, globs such as
 * "execution.*", the "(fd)" flag) and the resulting policy_check answers;
 * default deny; and every parse error, checked by its exact message with
 * the file name and line number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define FNAME	"broker.policy"

static int
parse(struct policy *pol, const char *text, char *err, size_t errlen)
{
	return policy_parse(pol, text, strlen(text), FNAME, err, errlen);
}

static void
test_good(void **state)
{
	static const char text[] =
	    "# broker.policy: who may call what\n"
	    "\n"
	    "api -> db: settings.get, db.ping   # read-only\n"
	    "   safeapi->db:execution.*\n"
	    "launcher -> db: settings.put(fd)\n"
	    "\t# indented comment\n"
	    "web\t->\tdb :\texecution.*(fd) ,db.ping\n"
	    "scheduler -> db: db.ping, db.ping\n"
	    "nameserver -> db: settings.*";	/* no final newline */
	struct policy	pol;
	char		err[256] = "";

	(void)state;
	assert_int_equal(parse(&pol, text, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(pol.nrules, 6);

	assert_int_equal(policy_check(&pol, SVC_API, MSG_SETTINGS_GET),
	    POLICY_ALLOW);
	assert_int_equal(policy_check(&pol, SVC_API, MSG_DB_PING),
	    POLICY_ALLOW);
	assert_int_equal(policy_check(&pol, SVC_API, MSG_SETTINGS_PUT), 0);
	assert_int_equal(policy_check(&pol, SVC_API, MSG_EXEC_COUNT), 0);

	assert_int_equal(policy_check(&pol, SVC_SAFEAPI, MSG_EXEC_COUNT),
	    POLICY_ALLOW);
	assert_int_equal(policy_check(&pol, SVC_SAFEAPI, MSG_DB_PING), 0);

	assert_int_equal(policy_check(&pol, SVC_LAUNCHER, MSG_SETTINGS_PUT),
	    POLICY_ALLOW | POLICY_FD);
	assert_int_equal(policy_check(&pol, SVC_LAUNCHER, MSG_SETTINGS_GET),
	    0);

	assert_int_equal(policy_check(&pol, SVC_WEB, MSG_EXEC_COUNT),
	    POLICY_ALLOW | POLICY_FD);
	assert_int_equal(policy_check(&pol, SVC_WEB, MSG_DB_PING),
	    POLICY_ALLOW);

	assert_int_equal(policy_check(&pol, SVC_SCHEDULER, MSG_DB_PING),
	    POLICY_ALLOW);

	/* "settings.*" expands to both settings operations and no other. */
	assert_int_equal(policy_check(&pol, SVC_NAMESERVER, MSG_SETTINGS_GET),
	    POLICY_ALLOW);
	assert_int_equal(policy_check(&pol, SVC_NAMESERVER, MSG_SETTINGS_PUT),
	    POLICY_ALLOW);
	assert_int_equal(policy_check(&pol, SVC_NAMESERVER, MSG_DB_PING), 0);
	assert_int_equal(policy_check(&pol, SVC_NAMESERVER, MSG_EXEC_COUNT),
	    0);
}

static void
test_crlf_and_flags_merge(void **state)
{
	static const char text[] =
	    "api -> db: db.ping\r\n"
	    "api -> db: db.ping(fd)\r\n"
	    "\r\n";
	struct policy	pol;
	char		err[256];

	(void)state;
	assert_int_equal(parse(&pol, text, err, sizeof(err)), 0);
	assert_int_equal(pol.nrules, 2);
	assert_int_equal(policy_check(&pol, SVC_API, MSG_DB_PING),
	    POLICY_ALLOW | POLICY_FD);
}

static void
test_default_deny(void **state)
{
	struct policy	pol;
	char		err[256];
	unsigned	c, t;

	(void)state;
	/* Empty and comment-only files allow nothing. */
	assert_int_equal(parse(&pol, "", err, sizeof(err)), 0);
	assert_int_equal(pol.nrules, 0);
	for (c = 0; c < SVC_COUNT; c++)
		for (t = 0; t < MSG_TYPE_COUNT; t++)
			assert_int_equal(policy_check(&pol, c, t), 0);
	assert_int_equal(parse(&pol, "# nothing\n\n   \n", err, sizeof(err)),
	    0);
	assert_int_equal(pol.nrules, 0);

	/* One rule allows exactly one pair. */
	assert_int_equal(parse(&pol, "auth -> db: db.ping\n", err,
	    sizeof(err)), 0);
	for (c = 0; c < SVC_COUNT; c++)
		for (t = 0; t < MSG_TYPE_COUNT; t++)
			assert_int_equal(policy_check(&pol, c, t),
			    c == SVC_AUTH && t == MSG_DB_PING ?
			    POLICY_ALLOW : 0);

	/* Control types and out-of-range ids are never allowed. */
	assert_int_equal(policy_check(&pol, SVC_AUTH, MSG_NONE), 0);
	assert_int_equal(policy_check(&pol, SVC_AUTH, MSG_READY), 0);
	assert_int_equal(policy_check(&pol, SVC_AUTH, MSG_OP_FIRST), 0);
	assert_int_equal(policy_check(&pol, SVC_AUTH, MSG_TYPE_COUNT), 0);
	assert_int_equal(policy_check(&pol, SVC_AUTH, 0xffffffffu), 0);
	assert_int_equal(policy_check(&pol, SVC_COUNT, MSG_DB_PING), 0);
	assert_int_equal(policy_check(&pol, 0xffffffffu, MSG_DB_PING), 0);
}

/* Each case: the text and the exact error it must produce. */
static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	/* unknown caller */
	{ "# c\napi -> db: db.ping\nbogus -> db: db.ping\n",
	  FNAME ":3: unknown caller \"bogus\"" },
	{ "broker -> db: db.ping\n",
	  FNAME ":1: unknown caller \"broker\"" },
	{ "-> db: db.ping\n", FNAME ":1: unknown caller \"\"" },
	/* unknown callee */
	{ "\n\napi -> nosuch: db.ping\n",
	  FNAME ":3: unknown callee \"nosuch\"" },
	{ "api -> broker: db.ping\n", FNAME ":1: unknown callee \"broker\"" },
	{ "api -> launcher: db.ping\n",
	  FNAME ":1: unknown callee \"launcher\"" },
	/* missing "->" */
	{ "api -> db: db.ping\n\n# x\napi db: db.ping\n",
	  FNAME ":4: expected \"caller -> callee: ops\"" },
	{ "api - > db: db.ping\n",
	  FNAME ":1: expected \"caller -> callee: ops\"" },
	{ "api\n", FNAME ":1: expected \"caller -> callee: ops\"" },
	/* missing ':' */
	{ "api -> db db.ping\n", FNAME ":1: expected ':' after callee" },
	{ "api -> db\n", FNAME ":1: expected ':' after callee" },
	{ "api -> db # : db.ping\n", FNAME ":1: expected ':' after callee" },
	/* unknown operation */
	{ "api -> db: db.ping\napi -> db: db.pong\n",
	  FNAME ":2: operation \"db.pong\" matches no operation of db" },
	{ "api -> db: db\n",
	  FNAME ":1: operation \"db\" matches no operation of db" },
	{ "api -> db: ready\n",
	  FNAME ":1: operation \"ready\" matches no operation of db" },
	/* operation served by another callee */
	{ "api -> safeapi: db.ping\n",
	  FNAME ":1: operation \"db.ping\" is served by db, not safeapi" },
	{ "\napi -> auth: settings.get(fd)\n",
	  FNAME ":2: operation \"settings.get\" is served by db, not auth" },
	/* glob matching nothing */
	{ "api -> db: nothing.*\n",
	  FNAME ":1: pattern \"nothing.*\" matches no operation of db" },
	{ "api -> safeapi: db.*\n",
	  FNAME ":1: pattern \"db.*\" matches no operation of safeapi" },
	{ "api -> db: op.*\n",
	  FNAME ":1: pattern \"op.*\" matches no operation of db" },
	/* trailing comma, empty list */
	{ "api -> db: db.ping,\n",
	  FNAME ":1: expected an operation name" },
	{ "api -> db: db.ping, # comment\n",
	  FNAME ":1: expected an operation name" },
	{ "api -> db:\n", FNAME ":1: expected an operation name" },
	{ "api -> db: , db.ping\n", FNAME ":1: expected an operation name" },
	/* bad characters */
	{ "api -> db: db.ping!\n",
	  FNAME ":1: expected ',' between operations" },
	{ "api -> db: db.ping db.ping\n",
	  FNAME ":1: expected ',' between operations" },
	{ "api -> db: db.ping;settings.get\n",
	  FNAME ":1: expected ',' between operations" },
	{ "api -> db: db*.ping\n", FNAME ":1: bad operation \"db*.ping\"" },
	{ "api -> db: *\n", FNAME ":1: bad operation \"*\"" },
	{ "api -> db: (fd)\n", FNAME ":1: bad operation \"(fd)\"" },
	{ "api -> db: db(fd).ping\n",
	  FNAME ":1: bad operation \"db(fd).ping\"" },
	{ "api -> db: db.ping(fd)(fd)\n",
	  FNAME ":1: bad operation \"db.ping(fd)(fd)\"" },
	{ "api -> db: db.**\n", FNAME ":1: bad operation \"db.**\"" },
	{ "api$ -> db: db.ping\n",
	  FNAME ":1: expected \"caller -> callee: ops\"" },
};

static void
test_errors(void **state)
{
	struct policy	pol;
	char		err[256];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 0, sizeof(err));
		if (parse(&pol, bad[i].text, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    bad[i].err);
	}
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "api -> db: db.ping\n"
	    "api -> db: db\0.ping\n";
	struct policy	pol;
	char		err[256];

	(void)state;
	assert_int_equal(policy_parse(&pol, text, sizeof(text) - 1, FNAME, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ":2: NUL byte");
	/* A NUL as the very first byte. */
	assert_int_equal(policy_parse(&pol, "\0api", 4, FNAME, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ":1: NUL byte");
}

static void
test_too_large(void **state)
{
	struct policy	 pol;
	char		 err[256], *text;
	size_t		 len = POLICY_MAX_FILE + 1;

	(void)state;
	text = malloc(len);
	assert_non_null(text);
	memset(text, '\n', len);
	assert_int_equal(policy_parse(&pol, text, len, FNAME, err, sizeof(err)),
	    -1);
	assert_string_equal(err, FNAME ": file too large");
	/* Exactly the cap is fine. */
	assert_int_equal(policy_parse(&pol, text, len - 1, FNAME, err,
	    sizeof(err)), 0);
	free(text);
}

static void
test_error_truncated(void **state)
{
	struct policy	pol;
	char		err[12];

	(void)state;
	/* A small error buffer is truncated, never overrun. */
	assert_int_equal(parse(&pol, "bogus -> db: db.ping\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "broker.poli");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_crlf_and_flags_merge),
		cmocka_unit_test(test_default_deny),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_error_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
