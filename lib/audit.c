/*
 * audit.c - hash chain of the audit log: format, verify, resume (audit.h).
 * BLAKE2b from libsodium.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "audit.h"
#include "banned.h"

static void
chain_hash(const uint8_t prev[AUDIT_HASH_LEN], const char *body, size_t len,
    uint8_t out[AUDIT_HASH_LEN])
{
	crypto_generichash_state st;

	(void)crypto_generichash_init(&st, NULL, 0, AUDIT_HASH_LEN);
	(void)crypto_generichash_update(&st, prev, AUDIT_HASH_LEN);
	(void)crypto_generichash_update(&st, (const unsigned char *)body, len);
	(void)crypto_generichash_final(&st, out, AUDIT_HASH_LEN);
}

static int
clean(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

int
audit_format(struct audit_chain *ch, struct audit_rec *r, char *line,
    size_t cap)
{
	char	hex[AUDIT_HASH_LEN * 2 + 1];
	int	n, m;

	if (!clean(r->time) || !clean(r->caller) || !clean(r->op) ||
	    !clean(r->target) || !clean(r->result))
		return -1;
	r->seq = ch->seq + 1;
	n = snprintf(line, cap, "%llu\t%s\t%s\t%s\t%s\t%s\t%llu",
	    (unsigned long long)r->seq, r->time, r->caller, r->op, r->target,
	    r->result, (unsigned long long)r->bytes);
	if (n < 0 || (size_t)n + 2 + sizeof(hex) > cap ||
	    (size_t)n + 1 + AUDIT_HASH_LEN * 2 > AUDIT_LINE_MAX)
		return -1;
	chain_hash(ch->hash, line, (size_t)n, r->hash);
	util_hex(r->hash, AUDIT_HASH_LEN, hex);
	m = snprintf(line + n, cap - (size_t)n, "\t%s\n", hex);
	if (m < 0 || (size_t)(n + m) >= cap)
		return -1;
	ch->seq = r->seq;
	memcpy(ch->hash, r->hash, AUDIT_HASH_LEN);
	return n + m;
}

int
audit_verify(const char *buf, size_t len, struct audit_verdict *v)
{
	struct audit_rec	 r;
	const char		*p = buf, *end = buf + len, *eol, *why;
	uint8_t			 h[AUDIT_HASH_LEN];
	size_t			 body;
	uint64_t		 line = 0;

	memset(v, 0, sizeof(*v));
	for (; p < end; p = eol + 1) {
		line++;
		/* Only a sequence number read from this line may be reported
		 * with it, never the previous line's. */
		v->bad_seq = 0;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			v->bad_line = line;
			(void)snprintf(v->why, sizeof(v->why),
			    "incomplete last line (no newline)");
			return -1;
		}
		if (audit_parse(p, (size_t)(eol - p), &r, &body, &why) == -1) {
			v->bad_line = line;
			(void)snprintf(v->why, sizeof(v->why), "%s", why);
			return -1;
		}
		v->bad_seq = r.seq;
		if (r.seq != v->last.seq + 1) {
			v->bad_line = line;
			(void)snprintf(v->why, sizeof(v->why),
			    "sequence number %llu where %llu was expected "
			    "(records deleted, inserted or reordered)",
			    (unsigned long long)r.seq,
			    (unsigned long long)v->last.seq + 1);
			return -1;
		}
		chain_hash(v->last.hash, p, body, h);
		if (sodium_memcmp(h, r.hash, AUDIT_HASH_LEN) != 0) {
			v->bad_line = line;
			(void)snprintf(v->why, sizeof(v->why),
			    "hash mismatch: record %llu was edited, or the "
			    "chain before it was rewritten",
			    (unsigned long long)r.seq);
			return -1;
		}
		v->last.seq = r.seq;
		memcpy(v->last.hash, r.hash, AUDIT_HASH_LEN);
		v->records++;
	}
	v->bad_seq = 0;
	return 0;
}

int
audit_tail(const char *buf, size_t len, struct audit_chain *ch)
{
	struct audit_rec	 r;
	const char		*end = buf + len, *eol, *start, *why;
	size_t			 body;

	/* Find the last '\n'-terminated line that parses. */
	while (end > buf) {
		eol = end - 1;
		if (*eol != '\n') {
			/* Skip an unterminated tail. */
			while (end > buf && end[-1] != '\n')
				end--;
			continue;
		}
		start = eol;
		while (start > buf && start[-1] != '\n')
			start--;
		if (audit_parse(start, (size_t)(eol - start), &r, &body,
		    &why) == 0) {
			ch->seq = r.seq;
			memcpy(ch->hash, r.hash, AUDIT_HASH_LEN);
			return 0;
		}
		end = start;
	}
	return -1;
}
