/*
 * test_audit.c - unit tests for the audit log hash chain: audit_format
 * (lib/audit.c) builds a chain of records in memory, audit_verify accepts
 * it and, after each kind of tampering (editing a body byte or a hash
 * character, deleting, duplicating or swapping records, joining two lines,
 * re-hashing one edited record), fails and names exactly the first
 * affected line; audit_tail finds the resume point past an unterminated
 * or malformed tail; audit_format refuses unfit fields and audit_parse
 * (lib/parse_audit.c) rejects malformed lines.
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

#define NREC	6		/* records in the test log */
#define MID	3		/* the "middle" record, 1-based */

/* A log in memory: text, and where each line starts (line i at off[i-1],
 * off[NREC] is the end). */
struct log {
	char			*buf;
	size_t			 len;
	size_t			 off[NREC + 1];
	struct audit_chain	 ch;
};

static void
fill_rec(struct audit_rec *r, int i)
{
	memset(r, 0, sizeof(*r));
	(void)snprintf(r->time, sizeof(r->time), "2026-11-25T08:00:%02d.%03dZ",
	    i, i * 7);
	(void)snprintf(r->caller, sizeof(r->caller), "%s",
	    i % 2 ? "api" : "web");
	(void)snprintf(r->op, sizeof(r->op), "settings.get");
	if (i % 3 == 0)
		(void)snprintf(r->target, sizeof(r->target), "-");
	else
		(void)snprintf(r->target, sizeof(r->target), "key-%d", i);
	(void)snprintf(r->result, sizeof(r->result), "%s",
	    i == 2 ? "denied" : "ok");
	r->bytes = (uint64_t)i * 10;
}

static int
log_setup(void **state)
{
	struct log		*l;
	struct audit_rec	 r;
	int			 i, n;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->buf = malloc(NREC * AUDIT_LINE_MAX)) == NULL) {
		free(l);
		return -1;
	}
	for (i = 1; i <= NREC; i++) {
		fill_rec(&r, i);
		l->off[i - 1] = l->len;
		n = audit_format(&l->ch, &r, l->buf + l->len, AUDIT_LINE_MAX);
		if (n <= 0 || r.seq != (uint64_t)i)
			return -1;
		l->len += (size_t)n;
	}
	l->off[NREC] = l->len;
	*state = l;
	return 0;
}

static int
log_teardown(void **state)
{
	struct log *l = *state;

	free(l->buf);
	free(l);
	return 0;
}

/* Start of line i (1-based) and its length with the newline. */
static const char *
line_at(const struct log *l, int i, size_t *len)
{
	*len = l->off[i] - l->off[i - 1];
	return l->buf + l->off[i - 1];
}

/* A growable copy to tamper with. */
struct copy {
	char	*buf;
	size_t	 len;
};

static void
cp_init(struct copy *c)
{
	c->buf = malloc(2 * NREC * AUDIT_LINE_MAX);
	assert_non_null(c->buf);
	c->len = 0;
}

static void
cp_add(struct copy *c, const char *p, size_t n)
{
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

/* Copy lines [from, to] of l (1-based, inclusive) into c. */
static void
cp_lines(struct copy *c, const struct log *l, int from, int to)
{
	if (from > to)
		return;
	cp_add(c, l->buf + l->off[from - 1], l->off[to] - l->off[from - 1]);
}

/* Verify c, expect failure at line bad with bad_seq seq and a reason
 * containing why; free c. */
static void
expect_fail(struct copy *c, uint64_t bad, uint64_t seq, const char *why)
{
	struct audit_verdict v;

	memset(&v, 0xaa, sizeof(v));
	if (audit_verify(c->buf, c->len, &v) != -1)
		fail_msg("tampered log verified (%llu records)",
		    (unsigned long long)v.records);
	if (v.bad_line != bad)
		fail_msg("bad_line %llu, want %llu (%s)",
		    (unsigned long long)v.bad_line, (unsigned long long)bad,
		    v.why);
	assert_int_equal(v.records, bad - 1);
	assert_int_equal(v.bad_seq, seq);
	if (strstr(v.why, why) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", v.why, why);
	free(c->buf);
	c->buf = NULL;
}

static void
test_intact(void **state)
{
	struct log		*l = *state;
	struct audit_verdict	 v;

	memset(&v, 0xaa, sizeof(v));
	assert_int_equal(audit_verify(l->buf, l->len, &v), 0);
	assert_int_equal(v.records, NREC);
	assert_int_equal(v.bad_line, 0);
	assert_int_equal(v.bad_seq, 0);
	assert_int_equal(v.last.seq, NREC);
	assert_memory_equal(v.last.hash, l->ch.hash, AUDIT_HASH_LEN);
	assert_int_equal(l->ch.seq, NREC);

	/* An empty log is intact, with no records. */
	assert_int_equal(audit_verify("", 0, &v), 0);
	assert_int_equal(v.records, 0);
	assert_int_equal(v.last.seq, 0);

	/* Cutting whole records off the end is not detected here (that is
	 * what signed checkpoints are for, audit.h). */
	assert_int_equal(audit_verify(l->buf, l->off[NREC - 2], &v), 0);
	assert_int_equal(v.records, NREC - 2);
}

static void
test_format_layout(void **state)
{
	static const char		 first[] =
	    "1\t2026-11-25T08:00:01.007Z\tapi\tsettings.get\tkey-1\tok\t10\t";
	struct log			*l = *state;
	struct audit_rec		 r;
	crypto_generichash_state	 hs;
	uint8_t				 zero[AUDIT_HASH_LEN];
	uint8_t				 h[AUDIT_HASH_LEN];
	char				 hex[2 * AUDIT_HASH_LEN + 1];
	const char			*p, *tab;
	size_t				 len, body, tabs = 0, i;

	/* Line 1: eight tab-separated fields, newline-terminated. */
	p = line_at(l, 1, &len);
	assert_int_equal(p[len - 1], '\n');
	for (i = 0; i < len; i++)
		tabs += p[i] == '\t';
	assert_int_equal(tabs, 7);
	assert_memory_equal(p, first, sizeof(first) - 1);
	/* hash = BLAKE2b-256(32 zero bytes || body), body up to the last
	 * tab. */
	tab = memrchr(p, '\t', len);
	assert_non_null(tab);
	body = (size_t)(tab - p);
	memset(zero, 0, sizeof(zero));
	assert_int_equal(crypto_generichash_init(&hs, NULL, 0,
	    AUDIT_HASH_LEN), 0);
	assert_int_equal(crypto_generichash_update(&hs, zero, sizeof(zero)), 0);
	assert_int_equal(crypto_generichash_update(&hs,
	    (const unsigned char *)p, body), 0);
	assert_int_equal(crypto_generichash_final(&hs, h, sizeof(h)), 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	assert_int_equal(len, body + 1 + 64 + 1);
	assert_memory_equal(tab + 1, hex, 64);

	/* audit_parse reads back what audit_format wrote. */
	{
		const char *why;

		assert_int_equal(audit_parse(p, len - 1, &r, &body, &why), 0);
		assert_int_equal(r.seq, 1);
		assert_string_equal(r.time, "2026-11-25T08:00:01.007Z");
		assert_string_equal(r.caller, "api");
		assert_string_equal(r.op, "settings.get");
		assert_string_equal(r.target, "key-1");
		assert_string_equal(r.result, "ok");
		assert_int_equal(r.bytes, 10);
		assert_memory_equal(r.hash, h, AUDIT_HASH_LEN);
		assert_int_equal(body, (size_t)(tab - p));
	}
}

static void
test_edit_body(void **state)
{
	struct log	*l = *state;
	struct copy	 c;
	char		*q;
	size_t		 len;

	/* One byte of the operation name of the middle record. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	(void)line_at(l, MID, &len);
	q = memmem(c.buf + l->off[MID - 1], len, "settings", 8);
	assert_non_null(q);
	*q = 'S';
	expect_fail(&c, MID, MID, "hash mismatch");

	/* One digit of the byte count. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	q = memmem(c.buf + l->off[MID - 1], len, "\t30\t", 4);
	assert_non_null(q);
	q[2] = '1';
	expect_fail(&c, MID, MID, "hash mismatch");

	/* The first and the last record. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	c.buf[2] = 'X';			/* "1\t2026" -> "1\tX026" */
	expect_fail(&c, 1, 1, "hash mismatch");
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	q = memmem(c.buf + l->off[NREC - 1], l->off[NREC] - l->off[NREC - 1],
	    "web", 3);
	assert_non_null(q);
	q[0] = 'w';
	q[1] = 'e';
	q[2] = 'B';
	expect_fail(&c, NREC, NREC, "hash mismatch");

	/* The sequence number itself. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	assert_int_equal(c.buf[l->off[MID - 1]], '0' + MID);
	c.buf[l->off[MID - 1]] = '0' + MID + 1;
	expect_fail(&c, MID, MID + 1, "sequence number");
}

static void
test_edit_hash(void **state)
{
	struct log	*l = *state;
	struct copy	 c;
	char		*h;
	size_t		 i;

	/* One hex digit of the middle record's hash, to another digit. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	h = c.buf + l->off[MID] - 1 - 64;
	assert_int_equal(h[-1], '\t');
	h[10] = h[10] == '0' ? '1' : '0';
	expect_fail(&c, MID, MID, "hash mismatch");

	/* The last hash character of the last record. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	h = c.buf + l->off[NREC] - 2;
	*h = *h == 'f' ? 'e' : 'f';
	expect_fail(&c, NREC, NREC, "hash mismatch");

	/* A hex letter changed to upper case is still an edit of the file:
	 * the writer only emits lower case, so it must not verify. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	h = c.buf + l->off[MID] - 1 - 64;
	for (i = 0; i < 64 && !(h[i] >= 'a' && h[i] <= 'f'); i++)
		;
	assert_true(i < 64);
	h[i] = (char)(h[i] - 'a' + 'A');
	expect_fail(&c, MID, 0, "hash");

	/* A non-hex character. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	h = c.buf + l->off[MID] - 1 - 64;
	h[0] = 'g';
	expect_fail(&c, MID, 0, "bad hash field");
}

static void
test_delete(void **state)
{
	struct log	*l = *state;
	struct copy	 c;

	cp_init(&c);
	cp_lines(&c, l, 1, MID - 1);
	cp_lines(&c, l, MID + 1, NREC);
	expect_fail(&c, MID, MID + 1, "sequence number 4 where 3 was expected");

	/* Deleting the first record. */
	cp_init(&c);
	cp_lines(&c, l, 2, NREC);
	expect_fail(&c, 1, 2, "sequence number 2 where 1 was expected");
}

static void
test_insert_duplicate(void **state)
{
	struct log	*l = *state;
	struct copy	 c;

	cp_init(&c);
	cp_lines(&c, l, 1, MID);
	cp_lines(&c, l, MID, NREC);
	expect_fail(&c, MID + 1, MID, "sequence number 3 where 4 was expected");

	/* Appending a copy of the last record. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	cp_lines(&c, l, NREC, NREC);
	expect_fail(&c, NREC + 1, NREC, "sequence number");
}

static void
test_swap(void **state)
{
	struct log	*l = *state;
	struct copy	 c;

	cp_init(&c);
	cp_lines(&c, l, 1, MID - 1);
	cp_lines(&c, l, MID + 1, MID + 1);
	cp_lines(&c, l, MID, MID);
	cp_lines(&c, l, MID + 2, NREC);
	expect_fail(&c, MID, MID + 1, "sequence number");

	/* The last two. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC - 2);
	cp_lines(&c, l, NREC, NREC);
	cp_lines(&c, l, NREC - 1, NREC - 1);
	expect_fail(&c, NREC - 1, NREC, "sequence number");
}

static void
test_join_lines(void **state)
{
	struct log	*l = *state;
	struct copy	 c;

	/* Drop the newline that ends the middle record: lines MID and MID+1
	 * become one line MID. */
	cp_init(&c);
	cp_add(&c, l->buf, l->off[MID] - 1);
	cp_lines(&c, l, MID + 1, NREC);
	expect_fail(&c, MID, 0, "bad hash field");

	/* Drop the final newline: the last line is incomplete. */
	cp_init(&c);
	cp_add(&c, l->buf, l->len - 1);
	expect_fail(&c, NREC, 0, "incomplete last line");

	/* Cut in the middle of the middle record. */
	cp_init(&c);
	cp_add(&c, l->buf, l->off[MID - 1] + 20);
	expect_fail(&c, MID, 0, "incomplete last line");

	/* A CR before the newline (as a Windows editor would save it). */
	cp_init(&c);
	cp_add(&c, l->buf, l->off[MID] - 1);
	cp_add(&c, "\r\n", 2);
	cp_lines(&c, l, MID + 1, NREC);
	expect_fail(&c, MID, 0, "bad hash field");

	/* An empty line in the middle. */
	cp_init(&c);
	cp_lines(&c, l, 1, MID);
	cp_add(&c, "\n", 1);
	cp_lines(&c, l, MID + 1, NREC);
	expect_fail(&c, MID + 1, 0, "bad sequence number");
}

static void
test_rehashed_edit(void **state)
{
	struct log		*l = *state;
	struct audit_chain	 ch;
	struct audit_rec	 r;
	struct copy		 c;
	char			 line[AUDIT_LINE_MAX];
	int			 n;

	/*
	 * The attacker edits the middle record and gives it a correct hash
	 * for its new body (chained from the record before it).  The chain
	 * then breaks at the next record, whose hash covers the old one.
	 */
	assert_int_equal(audit_tail(l->buf, l->off[MID - 1], &ch), 0);
	assert_int_equal(ch.seq, MID - 1);
	fill_rec(&r, MID);
	(void)snprintf(r.result, sizeof(r.result), "denied");
	n = audit_format(&ch, &r, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(r.seq, MID);
	cp_init(&c);
	cp_lines(&c, l, 1, MID - 1);
	cp_add(&c, line, (size_t)n);
	cp_lines(&c, l, MID + 1, NREC);
	expect_fail(&c, MID + 1, MID + 1, "hash mismatch");
}

static void
test_tail(void **state)
{
	static const char partial[] = "7\t2026-11-25T08:00:07.049Z\tapi\tset";
	struct log		*l = *state;
	struct audit_chain	 ch;
	struct audit_rec	 r;
	struct audit_verdict	 v;
	struct copy		 c;
	int			 n;

	memset(&ch, 0, sizeof(ch));
	assert_int_equal(audit_tail(l->buf, l->len, &ch), 0);
	assert_int_equal(ch.seq, NREC);
	assert_memory_equal(ch.hash, l->ch.hash, AUDIT_HASH_LEN);

	/* An unterminated tail (a crash mid-write) is skipped. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	cp_add(&c, partial, sizeof(partial) - 1);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(audit_tail(c.buf, c.len, &ch), 0);
	assert_int_equal(ch.seq, NREC);
	assert_memory_equal(ch.hash, l->ch.hash, AUDIT_HASH_LEN);
	/* So is the unterminated rest of a real record. */
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(audit_tail(c.buf, l->off[NREC] - 1, &ch), 0);
	assert_int_equal(ch.seq, NREC - 1);
	/* And a terminated but malformed line. */
	cp_add(&c, "\ngarbage\n", 9);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(audit_tail(c.buf, c.len, &ch), 0);
	assert_int_equal(ch.seq, NREC);
	assert_memory_equal(ch.hash, l->ch.hash, AUDIT_HASH_LEN);
	free(c.buf);

	/* Nothing usable. */
	assert_int_equal(audit_tail("", 0, &ch), -1);
	assert_int_equal(audit_tail("garbage\n", 8, &ch), -1);
	assert_int_equal(audit_tail(partial, sizeof(partial) - 1, &ch), -1);
	assert_int_equal(audit_tail("\n\n\n", 3, &ch), -1);
	assert_int_equal(audit_tail(l->buf, l->off[1] - 1, &ch), -1);
	assert_int_equal(audit_tail(l->buf, l->off[1], &ch), 0);
	assert_int_equal(ch.seq, 1);

	/* Resuming from the tail continues one valid chain. */
	cp_init(&c);
	cp_lines(&c, l, 1, NREC);
	assert_int_equal(audit_tail(c.buf, c.len, &ch), 0);
	fill_rec(&r, NREC + 1);
	n = audit_format(&ch, &r, c.buf + c.len, AUDIT_LINE_MAX);
	assert_true(n > 0);
	c.len += (size_t)n;
	assert_int_equal(audit_verify(c.buf, c.len, &v), 0);
	assert_int_equal(v.records, NREC + 1);
	assert_int_equal(v.last.seq, NREC + 1);
	free(c.buf);
}

static void
test_format_refuses(void **state)
{
	struct audit_chain	 ch;
	struct audit_rec	 r;
	char			 line[AUDIT_LINE_MAX];
	int			 i;

	(void)state;
	memset(&ch, 0, sizeof(ch));
	for (i = 0; i < 8; i++) {
		fill_rec(&r, 1);
		switch (i) {
		case 0: (void)snprintf(r.op, sizeof(r.op), "a\tb"); break;
		case 1: (void)snprintf(r.target, sizeof(r.target), "x\ny");
			break;
		case 2: (void)snprintf(r.result, sizeof(r.result), "ok\r");
			break;
		case 3: (void)snprintf(r.caller, sizeof(r.caller), "a\x7f");
			break;
		case 4: r.time[0] = '\0'; break;
		case 5: r.target[0] = '\0'; break;
		case 6: (void)snprintf(r.time, sizeof(r.time), "\x1b[2J");
			break;
		case 7: (void)snprintf(r.op, sizeof(r.op), "\t"); break;
		}
		if (audit_format(&ch, &r, line, sizeof(line)) != -1)
			fail_msg("case %d accepted", i);
		/* The chain does not advance on refusal. */
		assert_int_equal(ch.seq, 0);
	}
	/* Too small a buffer. */
	fill_rec(&r, 1);
	assert_int_equal(audit_format(&ch, &r, line, 40), -1);
	assert_int_equal(audit_format(&ch, &r, line, 100), -1);
	assert_int_equal(ch.seq, 0);
	/* And the same record in a big enough buffer is fine. */
	i = audit_format(&ch, &r, line, sizeof(line));
	assert_true(i > 0);
	assert_int_equal(strlen(line), (size_t)i);
	assert_int_equal(ch.seq, 1);
	assert_int_equal(audit_format(&ch, &r, line, (size_t)i + 1), i);
	assert_int_equal(ch.seq, 2);
	assert_int_equal(audit_format(&ch, &r, line, (size_t)i), -1);
	assert_int_equal(ch.seq, 2);
}

static void
test_parse_rejects(void **state)
{
	static const char hash[] =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	static const struct {
		const char	*line;
		const char	*why;
	} bad[] = {
		{ "", "bad sequence number" },
		{ "garbage", "bad sequence number" },
		{ "0\tt\tc\to\tx\tok\t1\t%s", "bad sequence number" },
		{ "-1\tt\tc\to\tx\tok\t1\t%s", "bad sequence number" },
		{ "x\tt\tc\to\tx\tok\t1\t%s", "bad sequence number" },
		{ "\tt\tc\to\tx\tok\t1\t%s", "bad sequence number" },
		{ "18446744073709551616\tt\tc\to\tx\tok\t1\t%s",
		  "bad sequence number" },
		{ "1\tt\tc\to\tx\tok", "malformed record" },
		{ "1\t\tc\to\tx\tok\t1\t%s", "malformed record" },
		{ "1\tt\t\to\tx\tok\t1\t%s", "malformed record" },
		{ "1\tt\tc\to\t\tok\t1\t%s", "malformed record" },
		{ "1\tt\tc\to\tx\t\t1\t%s", "malformed record" },
		{ "1\tt\tcaller-far-too-long\to\tx\tok\t1\t%s",
		  "malformed record" },
		{ "1\tt\tc\to\x01p\tx\tok\t1\t%s", "malformed record" },
		{ "1\tt\tc\to\tx\tok\x7f\t1\t%s", "malformed record" },
		{ "1\tt\tc\to\tx\tok\tx\t%s", "bad byte count" },
		{ "1\tt\tc\to\tx\tok\t\t%s", "bad byte count" },
		{ "1\tt\tc\to\tx\tok\t1", "bad byte count" },
		{ "1\tt\tc\to\tx\tok\t1\t", "bad hash field" },
		{ "1\tt\tc\to\tx\tok\t1\t%s0", "bad hash field" },
		{ "1\tt\tc\to\tx\tok\t1\t%s\textra", "bad hash field" },
		{ "1\tt\tc\to\tx\tok\t1\t%.63s", "bad hash field" },
		{ "1\tt\tc\to\tx\tok\t1\tz%.63s", "bad hash field" },
		{ "1\tt\tc\to\tx\tok\t1\tA%.63s", "bad hash field" },
	};
	struct audit_rec	 r;
	const char		*why;
	char			 line[1024];
	size_t			 body, i;

	(void)state;
	/* The template itself is fine. */
	(void)snprintf(line, sizeof(line), "1\tt\tc\to\tx\tok\t1\t%s", hash);
	assert_int_equal(audit_parse(line, strlen(line), &r, &body, &why), 0);
	assert_int_equal(body, strlen(line) - 65);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		(void)snprintf(line, sizeof(line), bad[i].line, hash);
#pragma GCC diagnostic pop
		why = NULL;
		if (audit_parse(line, strlen(line), &r, &body, &why) != -1)
			fail_msg("case %zu accepted: %s", i, line);
		if (why == NULL || strcmp(why, bad[i].why) != 0)
			fail_msg("case %zu: why \"%s\", want \"%s\"", i,
			    why ? why : "(null)", bad[i].why);
	}

	/* Embedded NUL and newline, and over-long lines. */
	(void)snprintf(line, sizeof(line), "1\tt\tc\to\tx\tok\t1\t%s", hash);
	body = strlen(line);
	line[5] = '\0';
	assert_int_equal(audit_parse(line, body, &r, &body, &why), -1);
	(void)snprintf(line, sizeof(line), "1\tt\tc\to\tx\tok\t1\t%s", hash);
	line[3] = '\n';
	assert_int_equal(audit_parse(line, strlen(line), &r, &body, &why), -1);
	memset(line, 'a', sizeof(line));
	(void)snprintf(line, sizeof(line), "1\tt\tc\to\t");
	line[strlen(line)] = 'a';
	(void)snprintf(line + 600, sizeof(line) - 600, "\tok\t1\t%s", hash);
	assert_int_equal(audit_parse(line, strlen(line), &r, &body, &why), -1);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, log_setup, log_teardown)
	const struct CMUnitTest tests[] = {
		T(test_intact),
		T(test_format_layout),
		T(test_edit_body),
		T(test_edit_hash),
		T(test_delete),
		T(test_insert_duplicate),
		T(test_swap),
		T(test_join_lines),
		T(test_rehashed_edit),
		T(test_tail),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_parse_rejects),
	};
#undef T

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
