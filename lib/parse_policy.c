/*
 * parse_policy.c - parser for policy/broker.policy (see policy.h).
 * Fuzzed by fuzz/fuzz_policy.c.  Parsed by the launcher at start (so a bad
 * file stops the node before anything runs) and again by the broker from
 * the same bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "banned.h"

static int
sp(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static const char *
skip_sp(const char *p, const char *end)
{
	while (p < end && sp(*p))
		p++;
	return p;
}

static int
name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' ||
	    c == '*' || c == '(' || c == ')';
}

int
policy_parse(struct policy *pol, const char *text, size_t len,
    const char *fname, char *err, size_t errlen)
{
	const char	*p = text, *end = text + len, *eol, *q, *t, *te;
	size_t		 lineno = 0;
	int		 caller, callee, op, matched;

	memset(pol, 0, sizeof(*pol));
	if (len > POLICY_MAX_FILE) {
		(void)snprintf(err, errlen, "%s: file too large", fname);
		return -1;
	}
	for (; p < end; p = eol + 1) {
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		/* Strip the comment. */
		if ((q = memchr(p, '#', (size_t)(eol - p))) != NULL)
			te = q;
		else
			te = eol;
		if (memchr(p, '\0', (size_t)(te - p)) != NULL) {
			(void)snprintf(err, errlen, "%s:%zu: NUL byte", fname,
			    lineno);
			return -1;
		}
		q = skip_sp(p, te);
		if (q == te)
			continue;
		/* caller */
		t = q;
		while (q < te && (isalnum((unsigned char)*q) || *q == '_'))
			q++;
		if ((caller = svc_lookup(t, (size_t)(q - t))) < 0 ||
		    caller == SVC_BROKER) {
			(void)snprintf(err, errlen,
			    "%s:%zu: unknown caller \"%.*s\"", fname, lineno,
			    (int)(q - t), t);
			return -1;
		}
		q = skip_sp(q, te);
		if (te - q < 2 || q[0] != '-' || q[1] != '>') {
			(void)snprintf(err, errlen,
			    "%s:%zu: expected \"caller -> callee: ops\"",
			    fname, lineno);
			return -1;
		}
		q = skip_sp(q + 2, te);
		t = q;
		while (q < te && (isalnum((unsigned char)*q) || *q == '_'))
			q++;
		if ((callee = svc_lookup(t, (size_t)(q - t))) < 0 ||
		    callee == SVC_LAUNCHER || callee == SVC_BROKER) {
			(void)snprintf(err, errlen,
			    "%s:%zu: unknown callee \"%.*s\"", fname, lineno,
			    (int)(q - t), t);
			return -1;
		}
		q = skip_sp(q, te);
		if (q == te || *q != ':') {
			(void)snprintf(err, errlen,
			    "%s:%zu: expected ':' after callee", fname, lineno);
			return -1;
		}
		q++;
		/* Comma-separated operations. */
		for (;;) {
			const char	*o, *oe;
			size_t		 olen;
			int		 flags = POLICY_ALLOW, glob = 0;

			q = skip_sp(q, te);
			o = q;
			while (q < te && name_char(*q))
				q++;
			oe = q;
			if (oe == o) {
				(void)snprintf(err, errlen,
				    "%s:%zu: expected an operation name",
				    fname, lineno);
				return -1;
			}
			olen = (size_t)(oe - o);
			if (olen > 4 && memcmp(oe - 4, "(fd)", 4) == 0) {
				flags |= POLICY_FD;
				olen -= 4;
			}
			if (olen > 0 && o[olen - 1] == '*') {
				glob = 1;
				olen--;
			}
			if (olen == 0 || memchr(o, '*', olen) != NULL ||
			    memchr(o, '(', olen) != NULL ||
			    memchr(o, ')', olen) != NULL) {
				(void)snprintf(err, errlen,
				    "%s:%zu: bad operation \"%.*s\"", fname,
				    lineno, (int)(oe - o), o);
				return -1;
			}
			matched = 0;
			for (op = MSG_OP_FIRST + 1; op < MSG_TYPE_COUNT; op++) {
				const char *n = msg_type_name((unsigned)op);

				if (glob ? strncmp(n, o, olen) != 0 :
				    (strlen(n) != olen ||
				    memcmp(n, o, olen) != 0))
					continue;
				if (msg_type_callee((unsigned)op) != callee) {
					if (glob)
						continue;
					(void)snprintf(err, errlen,
					    "%s:%zu: operation \"%s\" is served "
					    "by %s, not %s", fname, lineno, n,
					    svc_name((unsigned)msg_type_callee(
					    (unsigned)op)),
					    svc_name((unsigned)callee));
					return -1;
				}
				pol->rule[caller][op] |= (uint8_t)flags;
				matched++;
			}
			if (matched == 0) {
				(void)snprintf(err, errlen,
				    "%s:%zu: %s \"%.*s\" matches no operation "
				    "of %s", fname, lineno,
				    glob ? "pattern" : "operation",
				    (int)(oe - o), o, svc_name((unsigned)callee));
				return -1;
			}
			q = skip_sp(q, te);
			if (q == te)
				break;
			if (*q != ',') {
				(void)snprintf(err, errlen,
				    "%s:%zu: expected ',' between operations",
				    fname, lineno);
				return -1;
			}
			q++;
		}
		pol->nrules++;
	}
	return 0;
}

int
policy_check(const struct policy *pol, unsigned caller, unsigned type)
{
	if (caller >= SVC_COUNT || type >= MSG_TYPE_COUNT ||
	    type <= MSG_OP_FIRST)
		return 0;
	return pol->rule[caller][type];
}
