/*
 * test_token.c - unit tests for lib/token.c: a signed token verifies and
 * gives back its claims; a changed payload, header or signature, another
 * key, an expired token, malformed pieces (dots, base64, padding, JSON
 * with extra, missing or mistyped claims) and an over-long token are
 * refused; token_sign refuses claims token_verify would refuse.  The
 * execution token (sub "exec", an "exec" claim, a run id as session_id)
 * round-trips, and only its exact shape is accepted: an access token
 * with an "exec" claim, an exec token without one, a bad run id or
 * execution id are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "util.h"

#define SID	"0b7c6c8e-3f1a-4d2b-9c5e-1a2b3c4d5e6f"
#define UID	"5f0c1a2b3c4d5e6f7a8b9c0d"
#define HDR	"eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9"
#define RUN	"Run_0123456789-abcDEF"
#define EID	"64b0c1a2b3c4d5e6f7a8b9c0"

static uint8_t pk[32], sk[64], pk2[32], sk2[64];

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	return 0;
}

static void
claims(struct token_claims *c, int64_t iat, int64_t exp)
{
	memset(c, 0, sizeof(*c));
	(void)snprintf(c->sid, sizeof(c->sid), "%s", SID);
	(void)snprintf(c->uid, sizeof(c->uid), "%s", UID);
	c->iat = iat;
	c->exp = exp;
}

/* Sign an arbitrary payload text with sk (to build hostile tokens that
 * carry a valid signature). */
static void
sign_raw(const char *payload, char *out, size_t outlen)
{
	char	 b64[512], sigb[128];
	uint8_t	 sig[64];
	int	 n;

	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)payload,
	    strlen(payload), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	n = snprintf(out, outlen, "%s.%s", HDR, b64);
	assert_true(n > 0 && (size_t)n < outlen);
	crypto_sign_detached(sig, NULL, (const unsigned char *)out,
	    (size_t)n, sk);
	sodium_bin2base64(sigb, sizeof(sigb), sig, sizeof(sig),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_true(strlen(out) + 1 + strlen(sigb) < outlen);
	(void)strlcat(out, ".", outlen);
	(void)strlcat(out, sigb, outlen);
}

static int
verify(const char *t, int64_t now, struct token_claims *c)
{
	return token_verify(pk, t, strlen(t), now, c);
}

static void
test_round_trip(void **state)
{
	struct token_claims	 c, got;
	char			 tok[TOKEN_MAX];

	claims(&c, 1000, 4600);
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), 0);
	assert_true(strncmp(tok, HDR ".", strlen(HDR) + 1) == 0);
	assert_int_equal(verify(tok, 1000, &got), TOKEN_OK);
	assert_string_equal(got.sid, SID);
	assert_string_equal(got.uid, UID);
	assert_int_equal(got.iat, 1000);
	assert_int_equal(got.exp, 4600);
	/* Not NUL-terminated: only len bytes count. */
	tok[strlen(tok) + 1] = 'x';
	assert_int_equal(token_verify(pk, tok, strlen(tok), 4599, &got),
	    TOKEN_OK);
	/* One byte short. */
	assert_int_equal(token_verify(pk, tok, strlen(tok) - 1, 1000, &got),
	    TOKEN_BAD);
}

static void
test_expiry(void **state)
{
	struct token_claims	 c, got;
	char			 tok[TOKEN_MAX];

	claims(&c, 1000, 4600);
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), 0);
	assert_int_equal(verify(tok, 4600, &got), TOKEN_EXPIRED);
	/* Claims are filled for an expired token (logout needs the sid). */
	assert_string_equal(got.sid, SID);
	assert_int_equal(verify(tok, 99999, &got), TOKEN_EXPIRED);
}

static void
test_wrong_key(void **state)
{
	struct token_claims	 c, got;
	char			 tok[TOKEN_MAX];

	claims(&c, 1000, 4600);
	assert_int_equal(token_sign(sk2, &c, tok, sizeof(tok)), 0);
	assert_int_equal(verify(tok, 1000, &got), TOKEN_BAD);
	assert_string_equal(got.sid, "");
}

static void
test_tampered(void **state)
{
	struct token_claims	 c, got;
	char			 tok[TOKEN_MAX], t2[TOKEN_MAX + 8];
	size_t			 i, n;

	claims(&c, 1000, 4600);
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), 0);
	n = strlen(tok);
	/* Flipping any single character breaks it. */
	for (i = 0; i < n; i++) {
		memcpy(t2, tok, n + 1);
		t2[i] = t2[i] == 'A' ? 'B' : 'A';
		assert_int_equal(verify(t2, 1000, &got), TOKEN_BAD);
	}
	/* Truncated anywhere. */
	for (i = 0; i < n; i++)
		assert_int_equal(token_verify(pk, tok, i, 1000, &got),
		    TOKEN_BAD);
	/* Padding appended to the signature, or a trailing dot. */
	(void)snprintf(t2, sizeof(t2), "%s==", tok);
	assert_int_equal(verify(t2, 1000, &got), TOKEN_BAD);
	(void)snprintf(t2, sizeof(t2), "%s.", tok);
	assert_int_equal(verify(t2, 1000, &got), TOKEN_BAD);
}

static void
test_other_header(void **state)
{
	struct token_claims	 c, got;
	char			 tok[TOKEN_MAX], t2[TOKEN_MAX];
	const char		*p;

	claims(&c, 1000, 4600);
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), 0);
	p = strchr(tok, '.');
	/* {"alg":"none","typ":"JWT"} with the same payload and signature. */
	(void)snprintf(t2, sizeof(t2), "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0%s",
	    p);
	assert_int_equal(verify(t2, 1000, &got), TOKEN_BAD);
	/* alg none with no signature. */
	(void)snprintf(t2, sizeof(t2), "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0%.*s.",
	    (int)(strrchr(tok, '.') - p), p);
	assert_int_equal(verify(t2, 1000, &got), TOKEN_BAD);
}

static void
test_bad_payloads(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"not json",
		/* missing claim */
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1}",
		/* extra claim */
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000,\"x\":1}",
		/* duplicate claim */
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000,\"exp\":9001}",
		/* wrong sub */
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"refresh\",\"iat\":1,\"exp\":9000}",
		/* exp not an integer */
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":\"9000\"}",
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000.5}",
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":99999999999999999999}",
		/* exp before iat, negative iat */
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":9001,\"exp\":9000}",
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":-1,\"exp\":9000}",
		/* bad session id characters, empty, too long */
		"{\"session_id\":\"../etc\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}",
		"{\"session_id\":\"ABCDEF\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}",
		"{\"session_id\":\"\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}",
		"{\"session_id\":\"0123456789012345678901234567890123456789"
		    "012345678901234567890123\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}",
		/* bad uid: short, upper case, not a string */
		"{\"session_id\":\"" SID "\",\"uid\":\"5f0c\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}",
		"{\"session_id\":\"" SID "\",\"uid\":\"5F0C1A2B3C4D5E6F7A8B9C0D\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}",
		"{\"session_id\":\"" SID "\",\"uid\":5,"
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}",
		/* nested */
		"{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":{}}",
		/* NUL escape */
		"{\"session_id\":\"ab\\u0000cd\",\"uid\":\"" UID "\","
		    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}",
		NULL,
	};
	struct token_claims	 got;
	char			 tok[TOKEN_MAX];
	size_t			 i;

	/* The baseline is accepted. */
	sign_raw("{\"session_id\":\"" SID "\",\"uid\":\"" UID "\","
	    "\"sub\":\"access\",\"iat\":1,\"exp\":9000}", tok, sizeof(tok));
	assert_int_equal(verify(tok, 1, &got), TOKEN_OK);
	for (i = 0; bad[i] != NULL; i++) {
		sign_raw(bad[i], tok, sizeof(tok));
		if (verify(tok, 1, &got) != TOKEN_BAD)
			fail_msg("accepted payload %zu: %s", i, bad[i]);
		assert_string_equal(got.sid, "");
	}
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		".",
		"..",
		HDR,
		HDR ".",
		HDR "..",
		HDR ".e30.",
		"a.b.c",
		HDR ".e30." "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		HDR ".e3 0." "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		HDR ".e30=." "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		NULL,
	};
	struct token_claims	 got;
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++)
		if (verify(bad[i], 1, &got) != TOKEN_BAD)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(token_verify(pk, NULL, 0, 1, &got), TOKEN_BAD);
}

static void
test_too_long(void **state)
{
	struct token_claims	 got;
	char			*t;
	size_t			 n = TOKEN_MAX + 100;

	t = malloc(n + 1);
	assert_non_null(t);
	memset(t, 'A', n);
	memcpy(t, HDR ".", strlen(HDR) + 1);
	t[n] = '\0';
	assert_int_equal(verify(t, 1, &got), TOKEN_BAD);
	free(t);
}

static void
test_sign_refuses(void **state)
{
	struct token_claims	c;
	char			tok[TOKEN_MAX];

	claims(&c, 10, 5);
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	claims(&c, 1, 5);
	(void)snprintf(c.uid, sizeof(c.uid), "xyz");
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	claims(&c, 1, 5);
	(void)snprintf(c.sid, sizeof(c.sid), "A\"B");
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	claims(&c, 1, 5);
	memset(c.sid, 'a', sizeof(c.sid));	/* not terminated */
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	/* Output buffer too small. */
	claims(&c, 1, 5);
	assert_int_equal(token_sign(sk, &c, tok, 100), -1);
	assert_string_equal(tok, "");
	/* The longest claims still fit in TOKEN_MAX. */
	claims(&c, INT64_MAX - 1, INT64_MAX);
	memset(c.sid, 'f', TOKEN_ACCESS_SID_MAX);
	c.sid[TOKEN_ACCESS_SID_MAX] = '\0';
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), 0);
	assert_true(strlen(tok) < TOKEN_MAX);
	{
		struct token_claims got;

		assert_int_equal(verify(tok, 1, &got), TOKEN_OK);
		assert_int_equal(got.exp, INT64_MAX);
	}
}

/* Claims of an execution token. */
static void
exec_claims(struct token_claims *c, int64_t iat, int64_t exp)
{
	claims(c, iat, exp);
	(void)snprintf(c->sid, sizeof(c->sid), "%s", RUN);
	(void)snprintf(c->exec, sizeof(c->exec), "%s", EID);
}

static void
test_exec_round_trip(void **state)
{
	struct token_claims	 c, got;
	char			 tok[TOKEN_MAX];

	exec_claims(&c, 1000, 4600);
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), 0);
	assert_int_equal(verify(tok, 1000, &got), TOKEN_OK);
	assert_string_equal(got.sid, RUN);
	assert_string_equal(got.uid, UID);
	assert_string_equal(got.exec, EID);
	assert_int_equal(got.iat, 1000);
	assert_int_equal(got.exp, 4600);
	assert_int_equal(verify(tok, 4600, &got), TOKEN_EXPIRED);
	assert_string_equal(got.exec, EID);
	/* An access token comes back with no execution. */
	claims(&c, 1000, 4600);
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), 0);
	assert_int_equal(verify(tok, 1000, &got), TOKEN_OK);
	assert_string_equal(got.exec, "");
	/* The exact wire payloads: the baseline shapes are accepted. */
	sign_raw("{\"session_id\":\"" RUN "\",\"uid\":\"" UID "\","
	    "\"sub\":\"exec\",\"exec\":\"" EID "\",\"iat\":1,\"exp\":9000}",
	    tok, sizeof(tok));
	assert_int_equal(verify(tok, 1, &got), TOKEN_OK);
	assert_string_equal(got.exec, EID);
	/* Key order does not matter. */
	sign_raw("{\"exec\":\"" EID "\",\"exp\":9000,\"iat\":1,"
	    "\"sub\":\"exec\",\"uid\":\"" UID "\",\"session_id\":\"" RUN "\"}",
	    tok, sizeof(tok));
	assert_int_equal(verify(tok, 1, &got), TOKEN_OK);
	/* The longest exec claims still fit in TOKEN_MAX. */
	exec_claims(&c, INT64_MAX - 1, INT64_MAX);
	memset(c.sid, 'Z', TOKEN_RUN_MAX);
	c.sid[TOKEN_RUN_MAX] = '\0';
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), 0);
	assert_true(strlen(tok) < TOKEN_MAX);
	assert_int_equal(verify(tok, 1, &got), TOKEN_OK);
	assert_int_equal(strlen(got.sid), TOKEN_RUN_MAX);
}

static void
test_exec_bad_payloads(void **state)
{
#define EXEC_P(sid, sub, ex)	"{\"session_id\":\"" sid "\",\"uid\":\"" \
	UID "\",\"sub\":\"" sub "\"" ex ",\"iat\":1,\"exp\":9000}"
	static const char *const bad[] = {
		/* exec claim on an access token, and the reverse */
		EXEC_P(SID, "access", ",\"exec\":\"" EID "\""),
		EXEC_P(RUN, "exec", ""),
		EXEC_P(SID, "exec", ""),
		/* an access session id is not a run id (too short, no
		 * upper case needed but 16 characters are) */
		EXEC_P("0123456789abcde", "exec", ",\"exec\":\"" EID "\""),
		/* a run id as an access token's session id */
		EXEC_P(RUN, "access", ""),
		/* run id: bad characters, too long */
		EXEC_P("Run.0123456789abcdef", "exec", ",\"exec\":\"" EID "\""),
		EXEC_P("Run/0123456789abcdef", "exec", ",\"exec\":\"" EID "\""),
		EXEC_P("Run 0123456789abcdef", "exec", ",\"exec\":\"" EID "\""),
		EXEC_P("01234567890123456789012345678901234567890123456789"
		    "012345678901234", "exec", ",\"exec\":\"" EID "\""),
		/* execution id: short, upper case, a number, null, empty */
		EXEC_P(RUN, "exec", ",\"exec\":\"64b0c1\""),
		EXEC_P(RUN, "exec", ",\"exec\":\"64B0C1A2B3C4D5E6F7A8B9C0\""),
		EXEC_P(RUN, "exec", ",\"exec\":5"),
		EXEC_P(RUN, "exec", ",\"exec\":null"),
		EXEC_P(RUN, "exec", ",\"exec\":\"\""),
		/* duplicate or extra claims */
		EXEC_P(RUN, "exec", ",\"exec\":\"" EID "\","
		    "\"exec\":\"" EID "\""),
		EXEC_P(RUN, "exec", ",\"exec\":\"" EID "\",\"x\":1"),
		EXEC_P(RUN, "exec", ",\"x\":\"" EID "\""),
		/* another sub */
		EXEC_P(RUN, "Exec", ",\"exec\":\"" EID "\""),
		EXEC_P(RUN, "runner", ",\"exec\":\"" EID "\""),
		NULL,
	};
#undef EXEC_P
	struct token_claims	 got;
	char			 tok[TOKEN_MAX];
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++) {
		sign_raw(bad[i], tok, sizeof(tok));
		if (verify(tok, 1, &got) != TOKEN_BAD)
			fail_msg("accepted payload %zu: %s", i, bad[i]);
		assert_string_equal(got.sid, "");
		assert_string_equal(got.exec, "");
	}
}

static void
test_exec_sign_refuses(void **state)
{
	struct token_claims	c;
	char			tok[TOKEN_MAX];

	/* Run id too short, too long, bad character. */
	exec_claims(&c, 1, 5);
	(void)snprintf(c.sid, sizeof(c.sid), "short");
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	exec_claims(&c, 1, 5);
	memset(c.sid, 'a', sizeof(c.sid));	/* 65: not terminated */
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	exec_claims(&c, 1, 5);
	(void)snprintf(c.sid, sizeof(c.sid), "Run\"0123456789abcdef");
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	/* Execution id not 24 lower-case hex digits. */
	exec_claims(&c, 1, 5);
	(void)snprintf(c.exec, sizeof(c.exec), "64B0C1A2B3C4D5E6F7A8B9C0");
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	exec_claims(&c, 1, 5);
	memset(c.exec, 'a', sizeof(c.exec));	/* not terminated */
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	/* Expiry before issue. */
	exec_claims(&c, 10, 5);
	assert_int_equal(token_sign(sk, &c, tok, sizeof(tok)), -1);
	assert_string_equal(tok, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_other_header),
		cmocka_unit_test(test_bad_payloads),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_sign_refuses),
		cmocka_unit_test(test_exec_round_trip),
		cmocka_unit_test(test_exec_bad_payloads),
		cmocka_unit_test(test_exec_sign_refuses),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
