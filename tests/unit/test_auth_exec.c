/*
 * test_auth_exec.c - unit tests for auth.exec_token (auth_ops.c), driven
 * through auth_dispatch() with a fake db: a good request gives a bearer
 * execution token (sub "exec", the execution, user and run asked for,
 * exp = now + ttl, expires_at in the login reply's form) and asks the
 * db nothing (no session); malformed requests (missing, extra or
 * mistyped keys, bad ids, a bad run id, ttl out of 60..604800) are
 * refused with bad-request; an execution token cannot be refreshed and
 * its logout deletes no session.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "json.h"
#include "msg_types.h"
#include "token.h"

#define NOW_S	1764000000LL
#define EID	"64b0c1a2b3c4d5e6f7a8b9c0"
#define UID	"5f0c1a2b3c4d5e6f7a8b9c0d"
#define RUN	"run-0123456789ABCDEF_x"

static struct auth	 A;
static int		 db_calls;

/* The fake db: counts calls, knows nothing. */
static int
fake_call(void *arg, unsigned type, const char *req, size_t len,
    char **reply)
{
	(void)arg;
	(void)type;
	(void)req;
	(void)len;
	db_calls++;
	*reply = NULL;
	return MST_NOTFOUND;
}

static int64_t
fake_now(void)
{
	return NOW_S * 1000;
}

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	memset(&A, 0, sizeof(A));
	crypto_sign_keypair(A.pk, A.sk);
	A.call = fake_call;
	A.now_ms = fake_now;
	return auth_init(&A, 5, 5);
}

static int
teardown(void **state)
{
	(void)state;
	auth_free(&A);
	return 0;
}

/* Dispatch type with payload req; the status, the reply parsed in *v. */
static int
run(unsigned type, const char *req, yajl_val *v)
{
	yajl_gen		 g = json_gen_new();
	const unsigned char	*buf;
	size_t			 len;
	char			 err[64];
	int			 st;

	assert_non_null(g);
	st = auth_dispatch(&A, type, req, strlen(req), g);
	assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
	*v = json_parse(buf, len, 4096, 4, err, sizeof(err));
	assert_non_null(*v);
	yajl_gen_free(g);
	return st;
}

static void
test_exec_token_ok(void **state)
{
	struct token_claims	 c;
	yajl_val		 v;
	const char		*tok;

	(void)state;
	db_calls = 0;
	assert_int_equal(run(MSG_AUTH_EXEC_TOKEN, "{\"_id\":\"" EID "\","
	    "\"run\":\"" RUN "\",\"uid\":\"" UID "\",\"ttl\":3600}", &v),
	    MST_OK);
	assert_int_equal(db_calls, 0);
	assert_string_equal(json_get_str(v, "token_type"), "bearer");
	assert_string_equal(json_get_str(v, "expires_at"),
	    "2025-11-24T17:00:00+00:00");
	assert_null(json_get(v, "message"));
	assert_int_equal(v->u.object.len, 3);
	tok = json_get_str(v, "access_token");
	assert_non_null(tok);
	assert_int_equal(token_verify(A.pk, tok, strlen(tok), NOW_S, &c),
	    TOKEN_OK);
	assert_string_equal(c.exec, EID);
	assert_string_equal(c.uid, UID);
	assert_string_equal(c.sid, RUN);
	assert_int_equal(c.iat, NOW_S);
	assert_int_equal(c.exp, NOW_S + 3600);
	assert_int_equal(token_verify(A.pk, tok, strlen(tok), NOW_S + 3600,
	    &c), TOKEN_EXPIRED);
	yajl_tree_free(v);

	/* The bounds of ttl are accepted. */
	assert_int_equal(run(MSG_AUTH_EXEC_TOKEN, "{\"_id\":\"" EID "\","
	    "\"run\":\"" RUN "\",\"uid\":\"" UID "\",\"ttl\":60}", &v),
	    MST_OK);
	yajl_tree_free(v);
	assert_int_equal(run(MSG_AUTH_EXEC_TOKEN, "{\"ttl\":604800,"
	    "\"uid\":\"" UID "\",\"run\":\"" RUN "\",\"_id\":\"" EID "\"}", &v),
	    MST_OK);
	yajl_tree_free(v);
}

static void
test_exec_token_refused(void **state)
{
#define REQ(id, run, uid, ttl)	"{\"_id\":" id ",\"run\":" run ",\"uid\":" \
	uid ",\"ttl\":" ttl "}"
	static const char *const bad[] = {
		"",
		"{}",
		"[]",
		"not json",
		REQ("\"" EID "\"", "\"" RUN "\"", "\"" UID "\"", "59"),
		REQ("\"" EID "\"", "\"" RUN "\"", "\"" UID "\"", "604801"),
		REQ("\"" EID "\"", "\"" RUN "\"", "\"" UID "\"", "-1"),
		REQ("\"" EID "\"", "\"" RUN "\"", "\"" UID "\"", "\"3600\""),
		REQ("\"" EID "\"", "\"" RUN "\"", "\"" UID "\"", "3600.5"),
		REQ("\"" EID "\"", "\"" RUN "\"", "\"" UID "\"", "null"),
		/* ids: short, upper case, not strings */
		REQ("\"64b0c1\"", "\"" RUN "\"", "\"" UID "\"", "3600"),
		REQ("\"64B0C1A2B3C4D5E6F7A8B9C0\"", "\"" RUN "\"",
		    "\"" UID "\"", "3600"),
		REQ("5", "\"" RUN "\"", "\"" UID "\"", "3600"),
		REQ("\"" EID "\"", "\"" RUN "\"", "\"5F0C1A2B3C4D5E6F7A8B9C0D\"",
		    "3600"),
		REQ("\"" EID "\"", "\"" RUN "\"", "null", "3600"),
		/* run id: short, bad characters, too long, not a string */
		REQ("\"" EID "\"", "\"run-short\"", "\"" UID "\"", "3600"),
		REQ("\"" EID "\"", "\"run.0123456789abcdef\"", "\"" UID "\"",
		    "3600"),
		REQ("\"" EID "\"", "\"run\\\"0123456789abcdef\"", "\"" UID "\"",
		    "3600"),
		REQ("\"" EID "\"", "\"0123456789012345678901234567890123456789"
		    "01234567890123456789012345\"", "\"" UID "\"", "3600"),
		REQ("\"" EID "\"", "7", "\"" UID "\"", "3600"),
		/* missing, extra, duplicate keys */
		"{\"_id\":\"" EID "\",\"run\":\"" RUN "\",\"uid\":\"" UID "\"}",
		"{\"_id\":\"" EID "\",\"run\":\"" RUN "\",\"uid\":\"" UID "\","
		    "\"ttl\":3600,\"sub\":\"access\"}",
		"{\"_id\":\"" EID "\",\"run\":\"" RUN "\",\"uid\":\"" UID "\","
		    "\"ttl\":3600,\"ttl\":60}",
		NULL,
	};
#undef REQ
	yajl_gen	g;
	yajl_val	v;
	size_t		i;
	int		st;

	(void)state;
	db_calls = 0;
	for (i = 0; bad[i] != NULL; i++) {
		g = json_gen_new();
		assert_non_null(g);
		st = auth_dispatch(&A, MSG_AUTH_EXEC_TOKEN, bad[i],
		    strlen(bad[i]), g);
		if (st != MST_BADREQ)
			fail_msg("accepted %zu: %s", i, bad[i]);
		yajl_gen_free(g);
	}
	assert_int_equal(db_calls, 0);
	/* The refusal names no token. */
	assert_int_equal(run(MSG_AUTH_EXEC_TOKEN, "{\"_id\":\"" EID "\","
	    "\"run\":\"" RUN "\",\"uid\":\"" UID "\",\"ttl\":1}", &v),
	    MST_BADREQ);
	assert_null(json_get(v, "access_token"));
	assert_non_null(json_get_str(v, "detail"));
	yajl_tree_free(v);
}

/* An execution token is not a session's: no refresh, no session.delete. */
static void
test_exec_token_no_session(void **state)
{
	yajl_val	 v;
	char		 req[TOKEN_MAX + 32];
	const char	*tok;

	(void)state;
	assert_int_equal(run(MSG_AUTH_EXEC_TOKEN, "{\"_id\":\"" EID "\","
	    "\"run\":\"" RUN "\",\"uid\":\"" UID "\",\"ttl\":3600}", &v),
	    MST_OK);
	tok = json_get_str(v, "access_token");
	assert_non_null(tok);
	(void)snprintf(req, sizeof(req), "{\"token\":\"%s\"}", tok);
	yajl_tree_free(v);
	db_calls = 0;
	assert_int_equal(run(MSG_AUTH_REFRESH, req, &v), MST_NOTFOUND);
	assert_null(json_get(v, "access_token"));
	yajl_tree_free(v);
	assert_int_equal(run(MSG_AUTH_LOGOUT, req, &v), MST_OK);
	yajl_tree_free(v);
	assert_int_equal(db_calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_token_ok),
		cmocka_unit_test(test_exec_token_refused),
		cmocka_unit_test(test_exec_token_no_session),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
