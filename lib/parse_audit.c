/*
 * parse_audit.c - reader of audit log records (see audit.h).  Fuzzed by
 * fuzz/fuzz_audit.c.  The log is written by the broker but read back by
 * `mupif-central audit` after an attacker may have edited it, so every
 * field is checked.  Also the reader of the launcher's signed checkpoint
 * lines (audit_ckpt_parse, fuzzed by fuzz/fuzz_checkpoint.c).
 */
#include <string.h>
#include <sodium.h>

#include "audit.h"
#include "banned.h"

static int
field(const char **p, const char *end, char *dst, size_t cap, size_t *flen)
{
	const char *t = memchr(*p, '\t', (size_t)(end - *p));
	size_t n;

	if (t == NULL)
		return -1;
	n = (size_t)(t - *p);
	if (dst != NULL) {
		if (n == 0 || n >= cap)
			return -1;
		memcpy(dst, *p, n);
		dst[n] = '\0';
	}
	if (flen != NULL)
		*flen = n;
	*p = t + 1;
	return 0;
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;	/* the broker writes ASCII only */
	return 1;
}

/* The hash is not covered by itself, so only the exact form the writer
 * emits (lower-case hex) is accepted: otherwise "ab" -> "AB" would edit the
 * file without breaking the chain. */
static int
lowerhex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
audit_parse(const char *line, size_t len, struct audit_rec *r,
    size_t *bodylen, const char **why)
{
	const char	*p = line, *end = line + len, *f;
	size_t		 n;

	memset(r, 0, sizeof(*r));
	*why = "malformed record";
	if (len > AUDIT_LINE_MAX || memchr(line, '\0', len) != NULL ||
	    memchr(line, '\n', len) != NULL)
		return -1;
	f = p;
	if (field(&p, end, NULL, 0, &n) == -1 ||
	    util_parse_u64(f, n, 1, UINT64_MAX, &r->seq) == -1) {
		*why = "bad sequence number";
		return -1;
	}
	if (field(&p, end, r->time, sizeof(r->time), NULL) == -1 ||
	    field(&p, end, r->caller, sizeof(r->caller), NULL) == -1 ||
	    field(&p, end, r->op, sizeof(r->op), NULL) == -1 ||
	    field(&p, end, r->target, sizeof(r->target), NULL) == -1 ||
	    field(&p, end, r->result, sizeof(r->result), NULL) == -1)
		return -1;
	if (!printable(r->time) || !printable(r->caller) ||
	    !printable(r->op) || !printable(r->target) ||
	    !printable(r->result))
		return -1;
	f = p;
	if (field(&p, end, NULL, 0, &n) == -1 ||
	    util_parse_u64(f, n, 0, UINT64_MAX, &r->bytes) == -1) {
		*why = "bad byte count";
		return -1;
	}
	*bodylen = (size_t)(p - line) - 1;
	if ((size_t)(end - p) != AUDIT_HASH_LEN * 2 ||
	    !lowerhex(p, AUDIT_HASH_LEN * 2) ||
	    util_unhex(p, AUDIT_HASH_LEN, r->hash) == -1) {
		*why = "bad hash field";
		return -1;
	}
	return 0;
}

/* The characters of an ISO 8601 UTC time as util_iso_time() writes it. */
static int
timechars(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == ':' ||
		    *s == '.' || *s == 'T' || *s == 'Z'))
			return 0;
	return 1;
}

/*
 * One checkpoint line: seq, time, hash, signature.  The signature covers
 * only the first three fields, so the fourth must have exactly one
 * spelling: canonical base64 (re-encoding gives the same text).
 */
int
audit_ckpt_parse(const char *line, size_t len, struct audit_ckpt *c,
    size_t *bodylen, const char **why)
{
	const char	*p = line, *end = line + len, *f;
	char		 b64[AUDIT_CKPT_SIG_LEN * 2];
	size_t		 n, siglen;

	memset(c, 0, sizeof(*c));
	*why = "malformed checkpoint";
	if (len > AUDIT_CKPT_LINE_MAX || memchr(line, '\0', len) != NULL ||
	    memchr(line, '\n', len) != NULL)
		return -1;
	f = p;
	if (field(&p, end, NULL, 0, &n) == -1 || (n > 1 && f[0] == '0') ||
	    util_parse_u64(f, n, 1, UINT64_MAX, &c->seq) == -1) {
		*why = "bad sequence number";
		return -1;
	}
	if (field(&p, end, c->time, sizeof(c->time), NULL) == -1 ||
	    !timechars(c->time)) {
		*why = "bad time";
		return -1;
	}
	f = p;
	if (field(&p, end, NULL, 0, &n) == -1 || n != AUDIT_HASH_LEN * 2 ||
	    !lowerhex(f, n) || util_unhex(f, AUDIT_HASH_LEN, c->hash) == -1) {
		*why = "bad hash field";
		return -1;
	}
	*bodylen = (size_t)(p - line) - 1;
	n = (size_t)(end - p);
	if (n != sodium_base64_ENCODED_LEN(AUDIT_CKPT_SIG_LEN,
	    sodium_base64_VARIANT_ORIGINAL) - 1 ||
	    sodium_base642bin(c->sig, sizeof(c->sig), p, n, NULL, &siglen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    siglen != AUDIT_CKPT_SIG_LEN) {
		*why = "bad signature field";
		return -1;
	}
	(void)sodium_bin2base64(b64, sizeof(b64), c->sig, sizeof(c->sig),
	    sodium_base64_VARIANT_ORIGINAL);
	if (memcmp(b64, p, n) != 0) {
		*why = "bad signature field";
		return -1;
	}
	return 0;
}
