/*
 * test_audit_checkpoint.c - unit tests for the signed checkpoints of the
 * audit log (audit.h): audit_ckpt_format (lib/audit.c) writes the
 * documented line whose Ed25519 signature covers AUDIT_CKPT_DOMAIN and
 * the first three fields (checked here with libsodium directly);
 * audit_ckpt_parse (lib/parse_audit.c) reads it back and rejects every
 * other spelling; audit_ckpt_sigok fails for each edited field and for
 * another key; audit_ckpt_verify accepts a matching log and names the
 * record when the chain was rewritten with correct hashes, when records
 * were cut off the end, or when checkpoints were reordered or damaged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "audit.h"

#define NREC	8		/* records in the test log */
#define TIME	"2026-11-25T08:00:00.123Z"

static uint8_t	pk[AUDIT_CKPT_PK_LEN], sk[AUDIT_CKPT_SK_LEN];
static uint8_t	pk2[AUDIT_CKPT_PK_LEN], sk2[AUDIT_CKPT_SK_LEN];

/* Record i of the test log; caller overrides the caller field. */
static void
fill_rec(struct audit_rec *r, int i, const char *caller)
{
	memset(r, 0, sizeof(*r));
	(void)snprintf(r->time, sizeof(r->time), "2026-11-25T08:00:%02d.000Z",
	    i);
	(void)snprintf(r->caller, sizeof(r->caller), "%s", caller);
	(void)snprintf(r->op, sizeof(r->op), "status.get");
	(void)snprintf(r->target, sizeof(r->target), "-");
	(void)snprintf(r->result, sizeof(r->result), "ok");
	r->bytes = (uint64_t)i;
}

/*
 * Build a log of n records into buf (cap bytes); records from "from" on
 * get caller "evil" (a rewrite with correct hashes).  heads[i] is the
 * chain state after record i.  Returns the length.
 */
static size_t
make_log(char *buf, size_t cap, int n, int from,
    struct audit_chain heads[NREC + 1])
{
	struct audit_chain	ch;
	struct audit_rec	r;
	size_t			len = 0;
	int			i, m;

	memset(&ch, 0, sizeof(ch));
	for (i = 1; i <= n; i++) {
		fill_rec(&r, i, from != 0 && i >= from ? "evil" : "safeapi");
		m = audit_format(&ch, &r, buf + len, cap - len);
		assert_true(m > 0);
		len += (size_t)m;
		heads[i] = ch;
	}
	return len;
}

/* Append a checkpoint of head h (signed with key) to ck at *cklen. */
static void
add_ckpt(char *ck, size_t cap, size_t *cklen, const struct audit_chain *h,
    const uint8_t *key)
{
	struct audit_ckpt	c;
	int			n;

	memset(&c, 0, sizeof(c));
	c.seq = h->seq;
	memcpy(c.hash, h->hash, AUDIT_HASH_LEN);
	(void)snprintf(c.time, sizeof(c.time), "%s", TIME);
	n = audit_ckpt_format(&c, key, ck + *cklen, cap - *cklen);
	assert_true(n > 0);
	*cklen += (size_t)n;
}

static void
test_format_and_signature(void **state)
{
	struct audit_ckpt	 c, p;
	char			 line[AUDIT_CKPT_LINE_MAX + 2], hex[65];
	char			 want[256], msg[512];
	const char		*why = NULL, *tab;
	uint8_t			 sig[AUDIT_CKPT_SIG_LEN];
	size_t			 body, siglen, ml;
	int			 n, i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.seq = 42;
	(void)snprintf(c.time, sizeof(c.time), "%s", TIME);
	for (i = 0; i < AUDIT_HASH_LEN; i++)
		c.hash[i] = (uint8_t)(i * 7 + 1);
	n = audit_ckpt_format(&c, sk, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	/* seq TAB time TAB hash_hex TAB sig_b64 (88 characters) */
	util_hex(c.hash, AUDIT_HASH_LEN, hex);
	(void)snprintf(want, sizeof(want), "42\t%s\t%s\t", TIME, hex);
	assert_int_equal(strncmp(line, want, strlen(want)), 0);
	assert_int_equal((size_t)n, strlen(want) + 88 + 1);
	/* The signature, checked with libsodium alone, covers the domain
	 * string followed by the first three fields. */
	tab = line + strlen(want);
	assert_int_equal(sodium_base642bin(sig, sizeof(sig), tab, 88, NULL,
	    &siglen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(siglen, sizeof(sig));
	ml = (size_t)snprintf(msg, sizeof(msg), "mupif-audit-checkpoint v1\n"
	    "%.*s", (int)(strlen(want) - 1), want);
	assert_int_equal(crypto_sign_verify_detached(sig,
	    (const unsigned char *)msg, ml, pk), 0);
	assert_int_not_equal(crypto_sign_verify_detached(sig,
	    (const unsigned char *)msg + 26, ml - 26, pk), 0);
	/* Parse it back. */
	assert_int_equal(audit_ckpt_parse(line, (size_t)n - 1, &p, &body,
	    &why), 0);
	assert_int_equal(body, strlen(want) - 1);
	assert_int_equal(p.seq, 42);
	assert_string_equal(p.time, TIME);
	assert_memory_equal(p.hash, c.hash, AUDIT_HASH_LEN);
	assert_memory_equal(p.sig, sig, sizeof(sig));
	assert_int_equal(audit_ckpt_sigok(&p, pk), 1);
	assert_int_equal(audit_ckpt_sigok(&p, pk2), 0);
}

static void
test_edited_fields_fail_signature(void **state)
{
	struct audit_ckpt	c, p;
	char			line[AUDIT_CKPT_LINE_MAX + 2];
	const char		*why;
	size_t			body;
	int			n;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.seq = 7;
	(void)snprintf(c.time, sizeof(c.time), "%s", TIME);
	memset(c.hash, 0x5a, sizeof(c.hash));
	n = audit_ckpt_format(&c, sk, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(audit_ckpt_parse(line, (size_t)n - 1, &p, &body,
	    &why), 0);
	assert_int_equal(audit_ckpt_sigok(&p, pk), 1);
	p.seq = 8;
	assert_int_equal(audit_ckpt_sigok(&p, pk), 0);
	p.seq = 7;
	p.time[18] = '9';
	assert_int_equal(audit_ckpt_sigok(&p, pk), 0);
	p.time[18] = TIME[18];
	p.hash[31] ^= 1;
	assert_int_equal(audit_ckpt_sigok(&p, pk), 0);
	p.hash[31] ^= 1;
	p.sig[10] ^= 0x40;
	assert_int_equal(audit_ckpt_sigok(&p, pk), 0);
	p.sig[10] ^= 0x40;
	assert_int_equal(audit_ckpt_sigok(&p, pk), 1);
	/* A flipped character of the base64 text: refused or invalid. */
	line[body + 20] = line[body + 20] == 'A' ? 'B' : 'A';
	if (audit_ckpt_parse(line, (size_t)n - 1, &p, &body, &why) == 0)
		assert_int_equal(audit_ckpt_sigok(&p, pk), 0);
}

static void
test_parse_rejects(void **state)
{
	struct audit_ckpt	 c, p;
	char			 good[AUDIT_CKPT_LINE_MAX + 2];
	char			 bad[AUDIT_CKPT_LINE_MAX * 2];
	const char		*why, *sigp;
	size_t			 body, len;
	int			 n;
	const char		*hash = "00112233445566778899aabbccddeeff"
				    "00112233445566778899aabbccddeeff";

	(void)state;
	memset(&c, 0, sizeof(c));
	c.seq = 5;
	(void)snprintf(c.time, sizeof(c.time), "%s", TIME);
	assert_int_equal(util_unhex(hash, AUDIT_HASH_LEN, c.hash), 0);
	n = audit_ckpt_format(&c, sk, good, sizeof(good));
	assert_true(n > 0);
	len = (size_t)n - 1;
	sigp = strrchr(good, '\t') + 1;
#define REJECT(...) do {						\
	int k = snprintf(bad, sizeof(bad), __VA_ARGS__);		\
	assert_true(k >= 0 && (size_t)k < sizeof(bad));			\
	why = NULL;							\
	if (audit_ckpt_parse(bad, (size_t)k, &p, &body, &why) != -1)	\
		fail_msg("accepted: %s", bad);				\
	assert_non_null(why);						\
} while (0)
	REJECT("%s", "");
	REJECT("5\t%s\t%s", TIME, hash);			/* no sig */
	REJECT("05\t%s\t%s\t%.88s", TIME, hash, sigp);		/* 0 prefix */
	REJECT("0\t%s\t%s\t%.88s", TIME, hash, sigp);		/* seq 0 */
	REJECT("+5\t%s\t%s\t%.88s", TIME, hash, sigp);
	REJECT("5\t\t%s\t%.88s", hash, sigp);			/* no time */
	REJECT("5\t2026 11 25\t%s\t%.88s", hash, sigp);
	REJECT("5\t%s\t%.63s\t%.88s", TIME, hash, sigp);	/* short */
	REJECT("5\t%s\t%.62sAB\t%.88s", TIME, hash, sigp);	/* upper */
	REJECT("5\t%s\t%s\t%.87s", TIME, hash, sigp);		/* short sig */
	REJECT("5\t%s\t%s\t%.88s=", TIME, hash, sigp);
	REJECT("5\t%s\t%s\t%.86sA=", TIME, hash, sigp);	/* padding */
	REJECT("5\t%s\t%s\t%.86s", TIME, hash, sigp);	/* none */
	REJECT("5\t%s\t%s\t%.88s\tx", TIME, hash, sigp);	/* extra */
	REJECT("5\t%s\t%s\t%.88s ", TIME, hash, sigp);
	/* Non-canonical base64: the last character before "==" carries
	 * four unused bits (canonical: 'A', 'Q', 'g' or 'w'); setting one
	 * decodes to the same bytes but must still be refused. */
	memcpy(bad, good, len);
	assert_non_null(strchr("AQgw", bad[len - 3]));
	bad[len - 3]++;
	assert_int_equal(audit_ckpt_parse(bad, len, &p, &body, &why), -1);
	/* Embedded NUL or newline, and an overlong line. */
	memcpy(bad, good, len);
	bad[3] = '\0';
	assert_int_equal(audit_ckpt_parse(bad, len, &p, &body, &why), -1);
	bad[3] = '\n';
	assert_int_equal(audit_ckpt_parse(bad, len, &p, &body, &why), -1);
	memset(bad, '1', sizeof(bad));
	assert_int_equal(audit_ckpt_parse(bad, AUDIT_CKPT_LINE_MAX + 1, &p,
	    &body, &why), -1);
	/* The good line itself parses. */
	assert_int_equal(audit_ckpt_parse(good, len, &p, &body, &why), 0);
#undef REJECT
}

/* audit_ckpt_verify over log/ck must fail at checkpoint line bad with a
 * reason containing what. */
static void
expect_ckpt_fail(const char *log, size_t loglen, const char *ck,
    size_t cklen, const uint8_t *key, uint64_t bad, const char *what)
{
	struct audit_ckpt_verdict v;

	if (audit_ckpt_verify(log, loglen, ck, cklen, key, &v) != -1)
		fail_msg("verified (%llu checked), want \"%s\"",
		    (unsigned long long)v.checked, what);
	if (v.bad_line != bad)
		fail_msg("bad_line %llu, want %llu (%s)",
		    (unsigned long long)v.bad_line, (unsigned long long)bad,
		    v.why);
	assert_int_equal(v.checked, bad - 1);
	if (strstr(v.why, what) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", v.why, what);
}

static void
test_verify(void **state)
{
	struct audit_chain		 heads[NREC + 1], evil[NREC + 1];
	struct audit_ckpt_verdict	 v;
	struct audit_verdict		 av;
	char				*log, *log2, *ck, *ck2;
	size_t				 loglen, log2len, cklen = 0, ck2len;
	size_t				 cap = NREC * (AUDIT_LINE_MAX + 1);
	size_t				 ckcap = 8 * (AUDIT_CKPT_LINE_MAX + 2);

	(void)state;
	log = malloc(cap);
	log2 = malloc(cap);
	ck = malloc(ckcap);
	ck2 = malloc(ckcap);
	assert_true(log != NULL && log2 != NULL && ck != NULL && ck2 != NULL);
	loglen = make_log(log, cap, NREC, 0, heads);
	add_ckpt(ck, ckcap, &cklen, &heads[3], sk);
	add_ckpt(ck, ckcap, &cklen, &heads[6], sk);
	add_ckpt(ck, ckcap, &cklen, &heads[NREC], sk);

	/* Intact, and no checkpoints at all. */
	assert_int_equal(audit_ckpt_verify(log, loglen, ck, cklen, pk, &v), 0);
	assert_int_equal(v.checked, 3);
	assert_int_equal(v.bad_line, 0);
	assert_int_equal(v.log_last, NREC);
	assert_int_equal(audit_ckpt_verify(log, loglen, ck, 0, pk, &v), 0);
	assert_int_equal(v.checked, 0);

	/* Rewritten from record 5 on with correct hashes: the chain alone
	 * verifies, the checkpoint of record 6 does not match. */
	log2len = make_log(log2, cap, NREC, 5, evil);
	assert_int_equal(audit_verify(log2, log2len, &av), 0);
	expect_ckpt_fail(log2, log2len, ck, cklen, pk, 2,
	    "record 6 does not match the signed checkpoint of " TIME
	    ": the chain was rewritten");

	/* Cut off after record 7, the chain still valid. */
	log2len = make_log(log2, cap, NREC - 1, 0, evil);
	assert_int_equal(audit_verify(log2, log2len, &av), 0);
	expect_ckpt_fail(log2, log2len, ck, cklen, pk, 3,
	    "records cut off after 7");
	/* Deleted and restarted from 1. */
	log2len = make_log(log2, cap, 2, 0, evil);
	expect_ckpt_fail(log2, log2len, ck, cklen, pk, 1,
	    "records cut off after 2");

	/* Signed with another key. */
	expect_ckpt_fail(log, loglen, ck, cklen, pk2, 1, "signature");
	ck2len = 0;
	add_ckpt(ck2, ckcap, &ck2len, &heads[3], sk);
	add_ckpt(ck2, ckcap, &ck2len, &heads[6], sk2);
	expect_ckpt_fail(log, loglen, ck2, ck2len, pk, 2, "signature");

	/* Reordered or duplicated checkpoints. */
	ck2len = 0;
	add_ckpt(ck2, ckcap, &ck2len, &heads[6], sk);
	add_ckpt(ck2, ckcap, &ck2len, &heads[3], sk);
	expect_ckpt_fail(log, loglen, ck2, ck2len, pk, 2, "reordered");
	ck2len = 0;
	add_ckpt(ck2, ckcap, &ck2len, &heads[6], sk);
	add_ckpt(ck2, ckcap, &ck2len, &heads[6], sk);
	expect_ckpt_fail(log, loglen, ck2, ck2len, pk, 2, "duplicated");

	/* A flipped byte of a signature, an incomplete last line. */
	memcpy(ck2, ck, cklen);
	ck2[cklen - 30] = ck2[cklen - 30] == 'A' ? 'B' : 'A';
	expect_ckpt_fail(log, loglen, ck2, cklen, pk, 3, "signature");
	expect_ckpt_fail(log, loglen, ck, cklen - 1, pk, 3, "incomplete");

	free(log);
	free(log2);
	free(ck);
	free(ck2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_signature),
		cmocka_unit_test(test_edited_fields_fail_signature),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_verify),
	};
	uint8_t seed[crypto_sign_SEEDBYTES];

	if (sodium_init() < 0)
		return 1;
	memset(seed, 1, sizeof(seed));
	(void)crypto_sign_seed_keypair(pk, sk, seed);
	memset(seed, 2, sizeof(seed));
	(void)crypto_sign_seed_keypair(pk2, sk2, seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
