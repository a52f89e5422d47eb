/*
 * parse_seccomp.c - parser for policy/<name>.seccomp (see scpolicy.h).
 * Fuzzed by fuzz/fuzz_seccomp.c.  Syscall names are resolved by libseccomp
 * for the native architecture; an unknown name is an error, never skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/futex.h>
#include <seccomp.h>

#include "scpolicy.h"
#include "banned.h"

static const struct {
	const char	*name;
	uint64_t	 value;
} sc_consts[] = {
#define C(x) { #x, (uint64_t)(x) }
	C(PROT_NONE), C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC),
	C(MAP_SHARED), C(MAP_PRIVATE), C(MAP_FIXED), C(MAP_ANONYMOUS),
	C(MAP_NORESERVE), C(MAP_STACK),
	C(O_RDONLY), C(O_WRONLY), C(O_RDWR), C(O_ACCMODE), C(O_CREAT),
	C(O_EXCL), C(O_TRUNC), C(O_APPEND), C(O_NONBLOCK), C(O_CLOEXEC),
	C(O_DIRECTORY), C(O_NOFOLLOW), C(O_PATH),
	C(F_DUPFD), C(F_DUPFD_CLOEXEC), C(F_GETFD), C(F_SETFD), C(F_GETFL),
	C(F_SETFL), C(F_GETLK), C(F_SETLK), C(F_SETLKW), C(F_OFD_GETLK),
	C(F_OFD_SETLK), C(F_OFD_SETLKW), C(F_ADD_SEALS), C(F_GET_SEALS),
	C(AF_UNIX), C(AF_INET), C(AF_INET6), C(AF_NETLINK),
	C(SOCK_STREAM), C(SOCK_DGRAM), C(SOCK_SEQPACKET), C(SOCK_NONBLOCK),
	C(SOCK_CLOEXEC),
	C(CLONE_VM), C(CLONE_FS), C(CLONE_FILES), C(CLONE_SIGHAND),
	C(CLONE_THREAD), C(CLONE_SYSVSEM), C(CLONE_SETTLS),
	C(CLONE_PARENT_SETTID), C(CLONE_CHILD_CLEARTID),
	C(FUTEX_WAIT), C(FUTEX_WAKE), C(FUTEX_PRIVATE_FLAG),
	C(FUTEX_CLOCK_REALTIME), C(FUTEX_WAIT_BITSET), C(FUTEX_WAKE_BITSET),
	C(FUTEX_CMD_MASK),
	C(PR_SET_NAME), C(PR_GET_NAME), C(PR_SET_VMA),
	C(MADV_DONTNEED), C(MADV_FREE), C(MADV_HUGEPAGE), C(MADV_NOHUGEPAGE),
	C(MSG_NOSIGNAL), C(MSG_DONTWAIT), C(MSG_CMSG_CLOEXEC),
	C(SOL_SOCKET), C(SO_ERROR), C(SO_REUSEADDR), C(SO_SNDBUF),
	C(SO_RCVBUF),
#undef C
};

static const struct {
	const char	*name;
	int		 value;
} sc_errnos[] = {
#define E(x) { #x, x }
	E(EPERM), E(EACCES), E(ENOSYS), E(EINVAL), E(ENOENT), E(EAFNOSUPPORT),
	E(ENOTSUP), E(EOPNOTSUPP),
#undef E
};

struct scp {
	struct sc_policy	*pol;
	const char		*fname;
	size_t			 lineno;
	sc_include_fn		 inc;
	void			*arg;
	int			 depth;
	char			*err;
	size_t			 errlen;
};

static int
perr(struct scp *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
perr(struct scp *s, const char *fmt, ...)
{
	va_list	ap;
	size_t	n;

	(void)snprintf(s->err, s->errlen, "%s:%zu: ", s->fname, s->lineno);
	n = strnlen(s->err, s->errlen);
	va_start(ap, fmt);
	(void)vsnprintf(s->err + n, s->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
skip(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static int
tok_is(const char *p, const char *e, const char *t)
{
	size_t n = strlen(t);

	return (size_t)(e - p) >= n && memcmp(p, t, n) == 0;
}

/* VALUE: ['~'] atom ('|' atom)* ; atom = number | CONSTANT */
static int
parse_value(struct scp *s, const char **pp, const char *e, uint64_t *out)
{
	const char	*p = skip(*pp, e), *a;
	uint64_t	 v = 0, x;
	int		 neg = 0;
	size_t		 i, al;

	if (p < e && *p == '~') {
		neg = 1;
		p = skip(p + 1, e);
	}
	for (;;) {
		a = p;
		while (p < e && (isalnum((unsigned char)*p) || *p == '_'))
			p++;
		al = (size_t)(p - a);
		if (al == 0)
			return perr(s, "expected a value");
		if (isdigit((unsigned char)a[0])) {
			char	 buf[32], *end;

			if (al >= sizeof(buf))
				return perr(s, "number too long");
			memcpy(buf, a, al);
			buf[al] = '\0';
			errno = 0;
			x = strtoull(buf, &end, 0);
			if (errno != 0 || *end != '\0')
				return perr(s, "bad number \"%s\"", buf);
		} else {
			for (i = 0; i < sizeof(sc_consts) / sizeof(sc_consts[0]);
			    i++)
				if (strlen(sc_consts[i].name) == al &&
				    memcmp(sc_consts[i].name, a, al) == 0)
					break;
			if (i == sizeof(sc_consts) / sizeof(sc_consts[0]))
				return perr(s, "unknown constant \"%.*s\"",
				    (int)al, a);
			x = sc_consts[i].value;
		}
		v |= x;
		p = skip(p, e);
		if (p < e && *p == '|' && !(p + 1 < e && p[1] == '|')) {
			p = skip(p + 1, e);
			continue;
		}
		break;
	}
	*out = neg ? ~v : v;
	*pp = p;
	return 0;
}

/* One condition: argN OP VALUE */
static int
parse_cond(struct scp *s, const char **pp, const char *e, struct sc_cond *c)
{
	const char	*p = skip(*pp, e);
	uint64_t	 v;

	if (!tok_is(p, e, "arg") || p + 3 >= e || p[3] < '0' || p[3] > '5')
		return perr(s, "expected argN (N = 0..5)");
	c->arg = (unsigned)(p[3] - '0');
	p = skip(p + 4, e);
	if (tok_is(p, e, "==")) { c->op = SC_EQ; p += 2; }
	else if (tok_is(p, e, "!=")) { c->op = SC_NE; p += 2; }
	else if (tok_is(p, e, "<=")) { c->op = SC_LE; p += 2; }
	else if (tok_is(p, e, ">=")) { c->op = SC_GE; p += 2; }
	else if (tok_is(p, e, "<")) { c->op = SC_LT; p += 1; }
	else if (tok_is(p, e, ">")) { c->op = SC_GT; p += 1; }
	else if (tok_is(p, e, "&") && !tok_is(p, e, "&&")) {
		c->op = SC_MASKED_EQ; p += 1;
		if (parse_value(s, &p, e, &v) == -1)
			return -1;
		c->mask = v;
		c->value = v;
		*pp = p;
		return 0;
	} else if (tok_is(p, e, "in") && p + 2 < e &&
	    (p[2] == ' ' || p[2] == '\t' || p[2] == '~')) {
		c->op = SC_MASKED_EQ; p += 2;
		if (parse_value(s, &p, e, &v) == -1)
			return -1;
		c->mask = ~v;
		c->value = 0;
		*pp = p;
		return 0;
	} else
		return perr(s, "expected an operator");
	if (parse_value(s, &p, e, &v) == -1)
		return -1;
	c->value = v;
	c->mask = 0;
	*pp = p;
	return 0;
}

static struct sc_rule *
new_rule(struct scp *s, int nr, const char *name, size_t nl)
{
	struct sc_rule *r;

	if (s->pol->nrules >= SC_MAX_RULES) {
		(void)perr(s, "too many rules");
		return NULL;
	}
	r = &s->pol->rules[s->pol->nrules++];
	memset(r, 0, sizeof(*r));
	r->nr = nr;
	(void)snprintf(r->name, sizeof(r->name), "%.*s", (int)nl, name);
	return r;
}

/*
 * A syscall may have several conditional rules with the same action (the
 * clauses of "||"); anything else would be silently resolved by libseccomp
 * in favour of one rule, so it is an error here.
 */
static int
check_conflict(struct scp *s, const struct sc_rule *r)
{
	size_t i;

	for (i = 0; i < s->pol->nrules; i++) {
		const struct sc_rule *o = &s->pol->rules[i];

		if (o == r || o->nr != r->nr)
			continue;
		if (o->ncond == 0 || r->ncond == 0 || o->action != r->action ||
		    o->err != r->err)
			return perr(s, "conflicting rules for \"%s\"", r->name);
	}
	return 0;
}

static int
parse_errno(struct scp *s, const char *p, const char *e, int *out)
{
	size_t		i, l;
	uint64_t	v;

	p = skip(p, e);
	l = (size_t)(e - p);
	while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t' ||
	    p[l - 1] == '\r'))
		l--;
	if (util_parse_u64(p, l, 1, 4095, &v) == 0) {
		*out = (int)v;
		return 0;
	}
	for (i = 0; i < sizeof(sc_errnos) / sizeof(sc_errnos[0]); i++)
		if (strlen(sc_errnos[i].name) == l &&
		    memcmp(sc_errnos[i].name, p, l) == 0) {
			*out = sc_errnos[i].value;
			return 0;
		}
	return perr(s, "bad errno \"%.*s\"", (int)l, p);
}

static int	parse_text(struct scp *, const char *, size_t);

static int
parse_line(struct scp *s, const char *p, const char *e)
{
	const char	*n, *ne;
	char		 name[32];
	size_t		 nl;
	int		 nr;
	struct sc_rule	*r;
	enum sc_action	 act;

	p = skip(p, e);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (p == e)
		return 0;
	if (*p == '@') {
		if (tok_is(p, e, "@include") && p + 8 < e &&
		    (p[8] == ' ' || p[8] == '\t')) {
			char	*text = NULL, incname[128];
			size_t	 tl, saveline = s->lineno;
			const char *savef = s->fname;
			int	 rv;

			p = skip(p + 8, e);
			nl = (size_t)(e - p);
			if (nl == 0 || nl >= sizeof(incname))
				return perr(s, "bad @include");
			memcpy(incname, p, nl);
			incname[nl] = '\0';
			for (size_t i = 0; i < nl; i++)
				if (!(isalnum((unsigned char)incname[i]) ||
				    incname[i] == '/' || incname[i] == '-' ||
				    incname[i] == '_' || incname[i] == '.'))
					return perr(s, "bad @include name");
			if (strstr(incname, "..") != NULL || incname[0] == '/')
				return perr(s, "@include must stay in the "
				    "policy directory");
			if (s->depth >= SC_MAX_INCLUDE)
				return perr(s, "@include nested too deep");
			if (s->inc == NULL ||
			    s->inc(s->arg, incname, &text, &tl) == -1)
				return perr(s, "cannot read @include %s",
				    incname);
			s->depth++;
			s->fname = incname;
			s->lineno = 0;
			rv = parse_text(s, text, tl);
			s->depth--;
			free(text);
			if (rv == -1)
				return -1;
			s->fname = savef;
			s->lineno = saveline;
			return 0;
		}
		if (tok_is(p, e, "@default") && p + 8 < e &&
		    (p[8] == ' ' || p[8] == '\t')) {
			p = skip(p + 8, e);
			if (s->depth != 0)
				return perr(s, "@default only in the top file");
			if (tok_is(p, e, "allow") && e - p == 5)
				s->pol->defact = SC_ALLOW;
			else if (tok_is(p, e, "kill") && e - p == 4)
				s->pol->defact = SC_KILL;
			else if (tok_is(p, e, "return")) {
				s->pol->defact = SC_ERRNO;
				return parse_errno(s, p + 6, e,
				    &s->pol->deferr);
			} else
				return perr(s, "bad @default");
			return 0;
		}
		return perr(s, "unknown directive");
	}
	n = p;
	while (p < e && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	ne = p;
	nl = (size_t)(ne - n);
	if (nl == 0 || nl >= sizeof(name))
		return perr(s, "expected a syscall name");
	memcpy(name, n, nl);
	name[nl] = '\0';
	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR ||
	    nr < 0)
		return perr(s, "unknown syscall \"%s\"", name);
	p = skip(p, e);
	if (p == e || *p != ':')
		return perr(s, "expected ':' after \"%s\"", name);
	p = skip(p + 1, e);
	if (e - p == 1 && *p == '1') {
		if ((r = new_rule(s, nr, name, nl)) == NULL)
			return -1;
		r->action = SC_ALLOW;
		return check_conflict(s, r);
	}
	if (e - p == 4 && tok_is(p, e, "kill")) {
		if ((r = new_rule(s, nr, name, nl)) == NULL)
			return -1;
		r->action = SC_KILL;
		return check_conflict(s, r);
	}
	if (tok_is(p, e, "return ")) {
		if ((r = new_rule(s, nr, name, nl)) == NULL)
			return -1;
		r->action = SC_ERRNO;
		if (parse_errno(s, p + 7, e, &r->err) == -1)
			return -1;
		return check_conflict(s, r);
	}
	/* [kill when] cond && cond ... || cond && ... */
	act = SC_ALLOW;
	if (tok_is(p, e, "kill when ")) {
		act = SC_KILL;
		p = skip(p + 10, e);
	}
	for (;;) {
		if ((r = new_rule(s, nr, name, nl)) == NULL)
			return -1;
		r->action = act;
		for (;;) {
			if (r->ncond >= SC_MAX_CONDS)
				return perr(s, "too many conditions");
			if (parse_cond(s, &p, e, &r->cond[r->ncond]) == -1)
				return -1;
			for (size_t i = 0; i < r->ncond; i++)
				if (r->cond[i].arg == r->cond[r->ncond].arg)
					return perr(s, "arg%u tested twice in "
					    "one clause",
					    r->cond[r->ncond].arg);
			r->ncond++;
			p = skip(p, e);
			if (tok_is(p, e, "&&")) {
				p += 2;
				continue;
			}
			break;
		}
		if (check_conflict(s, r) == -1)
			return -1;
		if (p == e)
			return 0;
		if (!tok_is(p, e, "||"))
			return perr(s, "unexpected \"%.*s\"", (int)(e - p), p);
		p += 2;
	}
}

static int
parse_text(struct scp *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *eol, *c;

	if (len > SC_MAX_FILE)
		return perr(s, "file too large");
	for (; p < end; p = eol + 1) {
		s->lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((c = memchr(p, '#', (size_t)(eol - p))) == NULL)
			c = eol;
		if (memchr(p, '\0', (size_t)(c - p)) != NULL)
			return perr(s, "NUL byte");
		if (parse_line(s, p, c) == -1)
			return -1;
	}
	return 0;
}

int
sc_parse(struct sc_policy *pol, const char *text, size_t len,
    const char *fname, sc_include_fn inc, void *arg, char *err, size_t errlen)
{
	struct scp s;

	memset(pol, 0, sizeof(*pol));
	pol->defact = SC_KILL;
	memset(&s, 0, sizeof(s));
	s.pol = pol;
	s.fname = fname;
	s.inc = inc;
	s.arg = arg;
	s.err = err;
	s.errlen = errlen;
	return parse_text(&s, text, len);
}
