/*
 * fuzz_audit.c - fuzzes the audit log readers: audit_verify() and
 * audit_tail() (lib/audit.c) over the whole input, and audit_parse()
 * (lib/parse_audit.c) over each '\n'-separated line of it.  The log is
 * read back by `mupif-central audit` and by the broker on restart after an
 * attacker may have edited it.
 *
 * Consistency checks: a log that verifies must resume (audit_tail) at the
 * same chain state verify ended in; a failure names the line after the
 * good records and only that line's sequence number; a parsed record's
 * hash has exactly the writer's spelling, and the record formatted again
 * with audit_format() parses to the same fields.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse one line; if it is well-formed, format it again and compare. */
static void
check_line(const char *line, size_t len)
{
	struct audit_rec	 r, r2;
	struct audit_chain	 ch;
	char			 out[AUDIT_LINE_MAX + 2];
	char			 hex[AUDIT_HASH_LEN * 2 + 1];
	const char		*why = NULL;
	size_t			 body, body2;
	int			 n;

	if (audit_parse(line, len, &r, &body, &why) == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		return;
	}
	if (body >= len || line[body] != '\t' || r.seq == 0)
		abort();
	/* The hash field is not covered by the chain, so it must have one
	 * spelling only: exactly what the writer emits. */
	util_hex(r.hash, AUDIT_HASH_LEN, hex);
	if (len - body - 1 != AUDIT_HASH_LEN * 2 ||
	    memcmp(line + body + 1, hex, AUDIT_HASH_LEN * 2) != 0)
		abort();
	/* Round trip: audit_format() writes seq = chain.seq + 1. */
	memset(&ch, 0, sizeof(ch));
	ch.seq = r.seq - 1;
	r2 = r;
	if ((n = audit_format(&ch, &r2, out, sizeof(out))) == -1)
		abort();
	if (n < 2 || (size_t)n >= sizeof(out) || out[n - 1] != '\n' ||
	    ch.seq != r.seq)
		abort();
	if (audit_parse(out, (size_t)n - 1, &r2, &body2, &why) == -1)
		abort();
	if (r2.seq != r.seq || r2.bytes != r.bytes ||
	    strcmp(r2.time, r.time) != 0 || strcmp(r2.caller, r.caller) != 0 ||
	    strcmp(r2.op, r.op) != 0 || strcmp(r2.target, r.target) != 0 ||
	    strcmp(r2.result, r.result) != 0 ||
	    memcmp(r2.hash, ch.hash, AUDIT_HASH_LEN) != 0)
		abort();
}

/* A reported sequence number must be the one on the reported line. */
static void
check_bad_seq(const char *buf, size_t size, const struct audit_verdict *v)
{
	struct audit_rec	 r;
	const char		*p = buf, *end = buf + size, *eol, *why;
	size_t			 body;
	uint64_t		 line;

	for (line = 1; line < v->bad_line; line++) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			abort();
		p = eol + 1;
	}
	if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL) {
		/* An unterminated last line is not read at all. */
		if (v->bad_seq != 0)
			abort();
		return;
	}
	if (audit_parse(p, (size_t)(eol - p), &r, &body, &why) == -1) {
		if (v->bad_seq != 0)
			abort();
	} else if (v->bad_seq != r.seq)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_verdict	 v;
	struct audit_chain	 tail;
	const char		*buf = (const char *)data, *p, *end, *eol;
	int			 vr, tr;

	if (size > 64 * 1024)
		return 0;

	vr = audit_verify(buf, size, &v);
	if (memchr(v.why, '\0', sizeof(v.why)) == NULL)
		abort();
	if (vr == -1 && (v.bad_line == 0 || v.why[0] == '\0' ||
	    v.bad_line != v.records + 1))
		abort();
	if (vr == 0 && (v.bad_line != 0 || v.bad_seq != 0))
		abort();
	if (vr == -1)
		check_bad_seq(buf, size, &v);

	memset(&tail, 0, sizeof(tail));
	tr = audit_tail(buf, size, &tail);
	if (vr == 0 && v.records > 0 &&
	    (tr != 0 || tail.seq != v.last.seq ||
	    memcmp(tail.hash, v.last.hash, AUDIT_HASH_LEN) != 0))
		abort();
	if (vr == 0 && v.records == 0 && tr != -1)
		abort();

	for (p = buf, end = buf + size; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		check_line(p, (size_t)(eol - p));
	}
	return 0;
}
