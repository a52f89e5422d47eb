/*
 * audit.c - hash chain of the audit log: format, verify, resume; signed
 * checkpoints of its head: format, signature check, verification against
 * the log (audit.h).  BLAKE2b and Ed25519 from libsodium.
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

/* AUDIT_CKPT_DOMAIN || body into msg (cap bytes): its length, or 0. */
static size_t
ckpt_message(const char *body, size_t len, unsigned char *msg, size_t cap)
{
	size_t dl = sizeof(AUDIT_CKPT_DOMAIN) - 1;

	if (dl + len > cap)
		return 0;
	memcpy(msg, AUDIT_CKPT_DOMAIN, dl);
	memcpy(msg + dl, body, len);
	return dl + len;
}

/* Sign and format one checkpoint line (audit.h). */
int
audit_ckpt_format(struct audit_ckpt *c, const uint8_t *sk, char *line,
    size_t cap)
{
	unsigned char	 msg[sizeof(AUDIT_CKPT_DOMAIN) + AUDIT_CKPT_LINE_MAX];
	char		 hex[AUDIT_HASH_LEN * 2 + 1];
	char		 b64[AUDIT_CKPT_SIG_LEN * 2];
	size_t		 ml;
	int		 n, m;

	if (c->seq == 0 || memchr(c->time, '\0', sizeof(c->time)) == NULL ||
	    !clean(c->time) || strchr(c->time, '\t') != NULL)
		return -1;
	util_hex(c->hash, AUDIT_HASH_LEN, hex);
	n = snprintf(line, cap, "%llu\t%s\t%s", (unsigned long long)c->seq,
	    c->time, hex);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	if ((ml = ckpt_message(line, (size_t)n, msg, sizeof(msg))) == 0)
		return -1;
	if (crypto_sign_detached(c->sig, NULL, msg, ml, sk) != 0)
		return -1;
	(void)sodium_bin2base64(b64, sizeof(b64), c->sig, sizeof(c->sig),
	    sodium_base64_VARIANT_ORIGINAL);
	m = snprintf(line + n, cap - (size_t)n, "\t%s\n", b64);
	if (m < 0 || (size_t)(n + m) >= cap ||
	    (size_t)(n + m) > AUDIT_CKPT_LINE_MAX + 1)
		return -1;
	return n + m;
}

/* Check a parsed checkpoint's signature (audit.h). */
int
audit_ckpt_sigok(const struct audit_ckpt *c, const uint8_t *pk)
{
	unsigned char	 msg[sizeof(AUDIT_CKPT_DOMAIN) + AUDIT_CKPT_LINE_MAX];
	char		 body[AUDIT_CKPT_LINE_MAX];
	char		 hex[AUDIT_HASH_LEN * 2 + 1];
	size_t		 ml;
	int		 n;

	/* The signed text is rebuilt from the parsed fields, which the
	 * parser accepts in their one canonical spelling only. */
	util_hex(c->hash, AUDIT_HASH_LEN, hex);
	n = snprintf(body, sizeof(body), "%llu\t%s\t%s",
	    (unsigned long long)c->seq, c->time, hex);
	if (n < 0 || (size_t)n >= sizeof(body))
		return 0;
	if ((ml = ckpt_message(body, (size_t)n, msg, sizeof(msg))) == 0)
		return 0;
	return crypto_sign_verify_detached(c->sig, msg, ml, pk) == 0;
}

/*
 * Find the record with sequence number seq in the log, scanning forward
 * from *p (records are in increasing order; unreadable lines are skipped,
 * audit_verify reports them).  *p stays at the first line not yet passed.
 */
static int
find_record(const char **p, const char *end, uint64_t seq,
    struct audit_rec *r)
{
	const char	*eol, *why;
	size_t		 body;

	for (; *p < end; *p = eol + 1) {
		if ((eol = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
			eol = end;
		if (audit_parse(*p, (size_t)(eol - *p), r, &body, &why) == -1)
			continue;
		if (r->seq == seq)
			return 0;
		if (r->seq > seq)
			return -1;
	}
	return -1;
}

/*
 * Check a checkpoint file against a log (audit.h): the first fault stops
 * the check, with the checkpoint file's line in bad_line.
 */
int
audit_ckpt_verify(const char *log, size_t loglen, const char *ck,
    size_t cklen, const uint8_t *pk, struct audit_ckpt_verdict *v)
{
	struct audit_chain	 tail;
	struct audit_ckpt	 c;
	struct audit_rec	 r;
	const char		*p = ck, *end = ck + cklen, *eol, *why;
	const char		*lp = log, *lend = log + loglen;
	uint64_t		 line = 0, prev = 0;
	size_t			 body;

	memset(v, 0, sizeof(*v));
	memset(&tail, 0, sizeof(tail));
	if (audit_tail(log, loglen, &tail) == 0)
		v->log_last = tail.seq;
	for (; p < end; p = eol + 1) {
		line++;
		v->bad_line = line;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			(void)snprintf(v->why, sizeof(v->why),
			    "incomplete last checkpoint (no newline)");
			return -1;
		}
		if (audit_ckpt_parse(p, (size_t)(eol - p), &c, &body,
		    &why) == -1) {
			(void)snprintf(v->why, sizeof(v->why), "%s", why);
			return -1;
		}
		if (!audit_ckpt_sigok(&c, pk)) {
			(void)snprintf(v->why, sizeof(v->why), "the signature "
			    "of the checkpoint of %s (record %llu) is not "
			    "valid under this node's public key", c.time,
			    (unsigned long long)c.seq);
			return -1;
		}
		if (c.seq <= prev) {
			(void)snprintf(v->why, sizeof(v->why), "checkpoint of "
			    "record %llu after one of record %llu "
			    "(checkpoints reordered or duplicated)",
			    (unsigned long long)c.seq,
			    (unsigned long long)prev);
			return -1;
		}
		prev = c.seq;
		if (c.seq > v->log_last) {
			(void)snprintf(v->why, sizeof(v->why), "records cut "
			    "off after %llu: the signed checkpoint of %s "
			    "covers record %llu",
			    (unsigned long long)v->log_last, c.time,
			    (unsigned long long)c.seq);
			return -1;
		}
		if (find_record(&lp, lend, c.seq, &r) == -1) {
			(void)snprintf(v->why, sizeof(v->why), "record %llu "
			    "is missing but covered by the signed checkpoint "
			    "of %s: the chain was rewritten",
			    (unsigned long long)c.seq, c.time);
			return -1;
		}
		if (sodium_memcmp(r.hash, c.hash, AUDIT_HASH_LEN) != 0) {
			(void)snprintf(v->why, sizeof(v->why), "record %llu "
			    "does not match the signed checkpoint of %s: the "
			    "chain was rewritten", (unsigned long long)c.seq,
			    c.time);
			return -1;
		}
		v->checked++;
	}
	v->bad_line = 0;
	return 0;
}
