/*
 * parse_audit.c - reader of audit log records (see audit.h).  Fuzzed by
 * fuzz/fuzz_audit.c.  The log is written by the broker but read back by
 * `mupif-central audit` after an attacker may have edited it, so every
 * field is checked.
 */
#include <string.h>

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
