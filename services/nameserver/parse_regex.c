/*
 * parse_regex.c - compiles a Python re pattern (the subset of nsregex.h)
 * into a Pike VM program and runs it anchored at the start of a name.
 *
 * Trust: the pattern is client input; so is the subject, which is a
 * stored name (also client input, capped in length).  The parser works
 * on decoded code points with positions as Python counts them; the
 * program is bounded by NSRE_MAX_PROG and matching keeps at most one
 * thread per instruction, so the work per name is O(pattern * name).
 * Nothing here recurses deeper than the group nesting, which is capped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsregex.h"
#include "serpent.h"
#include "banned.h"

#define MAXREPEAT	4294967295ULL
#define MAX_GROUP_DEPTH	100
#define MAX_CLASS_RANGES 256
#define INF		(-1)

enum op { I_CHAR, I_ANY, I_ANYNL, I_CLASS, I_SPLIT, I_JMP, I_ASSERT,
    I_MATCH };
enum at { AT_BOL, AT_BOL_M, AT_EOL, AT_EOL_M, AT_BOT, AT_EOT, AT_WORDB,
    AT_NWORDB };

struct range {
	uint32_t	lo, hi;
};

struct cls {
	struct range	*r;
	size_t		 n;
	int		 neg;
};

struct insn {
	enum op		 op;
	uint32_t	 c;		/* I_CHAR; I_CLASS index; I_ASSERT */
	int		 x, y;		/* I_SPLIT / I_JMP targets */
};

struct nsre {
	struct insn	*prog;
	size_t		 n;
	struct cls	*cls;
	size_t		 ncls;
};

/* Parse tree. */
enum nt { N_EMPTY, N_CHAR, N_ANY, N_CLASS, N_CAT, N_ALT, N_REPEAT,
    N_ASSERT };

struct node {
	enum nt		 t;
	uint32_t	 c;		/* char, assertion, or dotall */
	struct cls	 cl;
	struct node	*kid;		/* first child */
	struct node	*next;		/* sibling */
	long long	 min, max;
};

#define F_I	1
#define F_M	2
#define F_S	4

struct rp {
	const uint32_t	*s;
	size_t		 n, i;
	struct sv_arena	 a;
	int		 depth;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static struct node *
rfail(struct rp *p, size_t pos, const char *msg, const char *arg)
{
	size_t	k, line = 1, col = pos + 1, nl = 0;

	if (p->failed)
		return NULL;
	p->failed = 1;
	for (k = 0; k < p->n; k++)
		if (p->s[k] == '\n')
			nl = 1;
	(void)snprintf(p->err, p->errlen, "%s%s at position %zu", msg,
	    arg != NULL ? arg : "", pos);
	if (nl) {
		/* Python adds the line and column when there are lines. */
		for (k = 0; k < pos && k < p->n; k++)
			if (p->s[k] == '\n') {
				line++;
				col = pos - k;
			}
		k = strlen(p->err);
		(void)snprintf(p->err + k, p->errlen > k ? p->errlen - k : 0,
		    " (line %zu, column %zu)", line, col);
	}
	return NULL;
}

/* Pattern text from a to b (code points) as UTF-8, for messages. */
static void
ptext(const struct rp *p, size_t a, size_t b, char *out, size_t len)
{
	size_t	o = 0, k;
	char	u[4];

	for (; a < b && a < p->n; a++) {
		k = utf8_encode(p->s[a] <= 0x10ffff ? p->s[a] : '?', u);
		if (o + k + 1 > len)
			break;
		memcpy(out + o, u, k);
		o += k;
	}
	out[o] = '\0';
}

static struct node *
nnew(struct rp *p, enum nt t)
{
	struct node *n;

	if ((n = sv_alloc(&p->a, sizeof(*n))) == NULL) {
		p->failed = 1;
		(void)snprintf(p->err, p->errlen, "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->t = t;
	return n;
}

static int
rpeek(const struct rp *p)
{
	return p->i < p->n ? (int)p->s[p->i] : -1;
}

static int
add_range(struct rp *p, struct cls *c, uint32_t lo, uint32_t hi)
{
	struct range *nr;

	if (c->n == MAX_CLASS_RANGES) {
		rfail(p, p->i, "character set too large", NULL);
		return -1;
	}
	if (c->n % 16 == 0) {
		if ((nr = sv_alloc(&p->a, (c->n + 16) * sizeof(*nr))) == NULL) {
			p->failed = 1;
			(void)snprintf(p->err, p->errlen, "out of memory");
			return -1;
		}
		if (c->n > 0)
			memcpy(nr, c->r, c->n * sizeof(*nr));
		c->r = nr;
	}
	c->r[c->n].lo = lo;
	c->r[c->n].hi = hi;
	c->n++;
	return 0;
}

/* Add [lo,hi] and, with IGNORECASE, its other ASCII case. */
static int
add_range_fold(struct rp *p, struct cls *c, uint32_t lo, uint32_t hi,
    int icase)
{
	uint32_t a, b;

	if (add_range(p, c, lo, hi) == -1)
		return -1;
	if (!icase)
		return 0;
	a = lo < 'a' ? 'a' : lo;
	b = hi > 'z' ? 'z' : hi;
	if (a <= b && add_range(p, c, a - 32, b - 32) == -1)
		return -1;
	a = lo < 'A' ? 'A' : lo;
	b = hi > 'Z' ? 'Z' : hi;
	if (a <= b && add_range(p, c, a + 32, b + 32) == -1)
		return -1;
	return 0;
}

static const uint32_t ws[][2] = {
	{ 0x09, 0x0d }, { 0x1c, 0x20 }, { 0x85, 0x85 }, { 0xa0, 0xa0 },
	{ 0x1680, 0x1680 }, { 0x2000, 0x200a }, { 0x2028, 0x2029 },
	{ 0x202f, 0x202f }, { 0x205f, 0x205f }, { 0x3000, 0x3000 },
};
static const uint32_t digits[][2] = { { '0', '9' } };
static const uint32_t word[][2] = {
	{ '0', '9' }, { 'A', 'Z' }, { '_', '_' }, { 'a', 'z' }
};

/* Add a category (d, w, s) or its complement (D, W, S). */
static int
add_category(struct rp *p, struct cls *c, int cat)
{
	const uint32_t	(*t)[2];
	size_t		 n, i;
	uint32_t	 from = 0;

	switch (cat) {
	case 'd': case 'D':
		t = digits;
		n = 1;
		break;
	case 'w': case 'W':
		t = word;
		n = 4;
		break;
	default:
		t = ws;
		n = sizeof(ws) / sizeof(ws[0]);
		break;
	}
	if (cat >= 'a') {
		for (i = 0; i < n; i++)
			if (add_range(p, c, t[i][0], t[i][1]) == -1)
				return -1;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (t[i][0] > from && add_range(p, c, from, t[i][0] - 1) == -1)
			return -1;
		from = t[i][1] + 1;
	}
	return add_range(p, c, from, 0x10ffff);
}

static int
hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
is_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * An escape after the backslash at p->i - 1.  Returns the literal code
 * point (>= 0), or -2 with *cat set for a category, -3 with *at set for
 * an anchor (outside classes), -1 on error.
 */
static long
parse_escape(struct rp *p, int inclass, int *cat, int *at)
{
	size_t	 start = p->i - 1, k, nd;
	int	 c = rpeek(p);
	long	 v;
	char	 esc[16];

	if (c == -1) {
		rfail(p, start, "bad escape (end of pattern)", NULL);
		return -1;
	}
	p->i++;
	switch (c) {
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		*cat = c;
		return -2;
	case 'a':
		return 7;
	case 'f':
		return 12;
	case 'n':
		return 10;
	case 'r':
		return 13;
	case 't':
		return 9;
	case 'v':
		return 11;
	case 'b':
		if (inclass)
			return 8;
		*at = AT_WORDB;
		return -3;
	case 'B':
	case 'A':
	case 'Z':
		if (inclass)
			break;
		*at = c == 'B' ? AT_NWORDB : c == 'A' ? AT_BOT : AT_EOT;
		return -3;
	case 'x':
	case 'u':
	case 'U':
		nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		for (k = 0, v = 0; k < nd; k++) {
			if (hexdig(rpeek(p)) < 0) {
				ptext(p, start, p->i, esc, sizeof(esc));
				rfail(p, start, "incomplete escape ", esc);
				return -1;
			}
			v = v * 16 + hexdig((int)p->s[p->i++]);
		}
		if (v > 0x10ffff) {
			rfail(p, start, "bad escape ", c == 'U' ? "\\U" :
			    "\\u");
			return -1;
		}
		return v;
	case 'N':
		rfail(p, start, "unsupported: \\N{...} escapes", NULL);
		return -1;
	default:
		break;
	}
	if (c == '0' || (c >= '1' && c <= '7' && inclass)) {
		/* Octal: up to three digits (\0 takes two more). */
		v = c - '0';
		for (k = 0; k < 2 && rpeek(p) >= '0' && rpeek(p) <= '7'; k++)
			v = v * 8 + (rpeek(p) - '0'), p->i++;
		if (v > 0377) {
			rfail(p, start, "octal escape value outside of range "
			    "0-0o377", NULL);
			return -1;
		}
		return v;
	}
	if (c >= '1' && c <= '9') {
		/* Three octal digits are a character, else a group. */
		if (c <= '7' && rpeek(p) >= '0' && rpeek(p) <= '7' &&
		    p->i + 1 < p->n && p->s[p->i + 1] >= '0' &&
		    p->s[p->i + 1] <= '7') {
			v = (c - '0') * 64 + (long)(p->s[p->i] - '0') * 8 +
			    (long)(p->s[p->i + 1] - '0');
			p->i += 2;
			if (v > 0377) {
				rfail(p, start, "octal escape value outside "
				    "of range 0-0o377", NULL);
				return -1;
			}
			return v;
		}
		rfail(p, start, "unsupported: backreferences", NULL);
		return -1;
	}
	if (c < 0x80 && (is_letter(c) || (c >= '0' && c <= '9'))) {
		esc[0] = '\\';
		esc[1] = (char)c;
		esc[2] = '\0';
		rfail(p, start, "bad escape ", esc);
		return -1;
	}
	return c;
}

static struct node *
parse_class(struct rp *p, int flags)
{
	struct node	*n;
	size_t		 start = p->i - 1, here;
	long		 lo, hi;
	int		 cat, at, first = 1;

	if ((n = nnew(p, N_CLASS)) == NULL)
		return NULL;
	if (rpeek(p) == '^') {
		n->cl.neg = 1;
		p->i++;
	}
	for (;;) {
		here = p->i;
		if (rpeek(p) == -1)
			return rfail(p, start, "unterminated character set",
			    NULL);
		if (rpeek(p) == ']' && !first) {
			p->i++;
			break;
		}
		first = 0;
		cat = 0;
		if (rpeek(p) == '\\') {
			p->i++;
			if ((lo = parse_escape(p, 1, &cat, &at)) == -1)
				return NULL;
		} else
			lo = (long)p->s[p->i++];
		if (rpeek(p) == '-' && p->i + 1 < p->n &&
		    p->s[p->i + 1] != ']') {
			char	 what[32];
			int	 cat2 = 0;

			p->i++;
			if (rpeek(p) == '\\') {
				p->i++;
				if ((hi = parse_escape(p, 1, &cat2, &at)) == -1)
					return NULL;
			} else
				hi = (long)p->s[p->i++];
			if (cat != 0 || cat2 != 0 || hi < lo) {
				ptext(p, here, p->i, what, sizeof(what));
				return rfail(p, here, "bad character range ",
				    what);
			}
			if (add_range_fold(p, &n->cl, (uint32_t)lo,
			    (uint32_t)hi, flags & F_I) == -1)
				return NULL;
			continue;
		}
		if (cat != 0) {
			if (add_category(p, &n->cl, cat) == -1)
				return NULL;
		} else if (add_range_fold(p, &n->cl, (uint32_t)lo,
		    (uint32_t)lo, flags & F_I) == -1)
			return NULL;
	}
	return n;
}

static struct node	*parse_alt(struct rp *, int *flags, int top);

static int
flag_bit(int c)
{
	switch (c) {
	case 'i':
		return F_I;
	case 'm':
		return F_M;
	case 's':
		return F_S;
	case 'a':
	case 'u':
		return 0;	/* ASCII/Unicode: see nsregex.h */
	default:
		return -1;
	}
}

/* After "(?": flags, then ")" (global) or ":" (scoped).  Returns the
 * group node for a scoped group, a N_EMPTY node for global flags. */
static struct node *
parse_flags(struct rp *p, int *flags, size_t start, int atstart)
{
	int	 on = 0, off = 0, b, c, neg = 0;

	while ((c = rpeek(p)) != -1 && c != ')' && c != ':') {
		if (c == '-' && !neg) {
			neg = 1;
			p->i++;
			continue;
		}
		if (c == 'L')
			return rfail(p, p->i + 1, "bad inline flags: cannot use "
			    "'L' flag with a str pattern", NULL);
		if (c == 'x')
			return rfail(p, p->i, "unsupported: verbose mode",
			    NULL);
		if ((b = flag_bit(c)) < 0) {
			return rfail(p, p->i, c < 0x80 && is_letter(c) ?
			    "unknown flag" : "missing -, : or )", NULL);
		}
		if (neg)
			off |= b;
		else
			on |= b;
		p->i++;
	}
	if (c == -1)
		return rfail(p, p->i, "missing -, : or )", NULL);
	p->i++;
	if (c == ')') {
		if (neg)
			return rfail(p, p->i - 1, "missing :", NULL);
		if (!atstart)
			return rfail(p, start, "global flags not at the start "
			    "of the expression", NULL);
		*flags |= on;
		return nnew(p, N_EMPTY);
	}
	{
		int		 sub = (*flags | on) & ~off;
		struct node	*g;

		if ((g = parse_alt(p, &sub, 0)) == NULL)
			return NULL;
		if (rpeek(p) != ')')
			return rfail(p, start,
			    "missing ), unterminated subpattern", NULL);
		p->i++;
		return g;
	}
}

static struct node *
parse_group(struct rp *p, int *flags)
{
	size_t		 start = p->i - 1;
	struct node	*g;
	int		 c, sub;

	if (++p->depth > MAX_GROUP_DEPTH)
		return rfail(p, start, "too many nested groups", NULL);
	sub = *flags;
	if (rpeek(p) == '?') {
		p->i++;
		c = rpeek(p);
		if (c == ':') {
			p->i++;
		} else if (c == 'P') {
			p->i++;
			if (rpeek(p) == '=')
				return rfail(p, start,
				    "unsupported: backreferences", NULL);
			if (rpeek(p) != '<')
				return rfail(p, p->i, "unknown extension ?P",
				    NULL);
			p->i++;
			{
				size_t ns = p->i;

				while (rpeek(p) != -1 && rpeek(p) != '>')
					p->i++;
				if (rpeek(p) == -1)
					return rfail(p, ns,
					    "missing >, unterminated name",
					    NULL);
				if (p->i == ns)
					return rfail(p, ns,
					    "missing group name", NULL);
				for (size_t k = ns; k < p->i; k++) {
					uint32_t ch = p->s[k];

					if (!(ch == '_' || is_letter((int)ch) ||
					    ch >= 0x80 || (k > ns && ch >= '0' &&
					    ch <= '9'))) {
						char nm[80];

						nm[0] = '\'';
						ptext(p, ns, p->i, nm + 1,
						    sizeof(nm) - 2);
						(void)strlcat(nm, "'",
						    sizeof(nm));
						return rfail(p, ns, "bad "
						    "character in group name ",
						    nm);
					}
				}
				p->i++;
			}
		} else if (c == '#') {
			while (rpeek(p) != -1 && rpeek(p) != ')')
				p->i++;
			if (rpeek(p) == -1)
				return rfail(p, start,
				    "missing ), unterminated comment", NULL);
			p->i++;
			p->depth--;
			return nnew(p, N_EMPTY);
		} else if (c == '=' || c == '!' || c == '<')
			return rfail(p, start,
			    "unsupported: lookaround assertions", NULL);
		else if (c == '>')
			return rfail(p, start, "unsupported: atomic groups",
			    NULL);
		else if (c == '(')
			return rfail(p, start,
			    "unsupported: conditional groups", NULL);
		else if (c != -1 && (flag_bit(c) >= 0 || c == '-' ||
		    c == 'L' || c == 'x')) {
			g = parse_flags(p, flags, start, start == 0);
			p->depth--;
			return g;
		} else {
			char	e[4] = "?";

			if (c > 0 && c < 0x80)
				e[1] = (char)c;
			return rfail(p, c == -1 ? p->i : start + 1,
			    c == -1 ? "unexpected end of pattern" :
			    "unknown extension ", c == -1 ? NULL : e);
		}
	}
	if ((g = parse_alt(p, &sub, 0)) == NULL)
		return NULL;
	if (rpeek(p) != ')')
		return rfail(p, start, "missing ), unterminated subpattern",
		    NULL);
	p->i++;
	p->depth--;
	return g;
}

/* {m}, {m,}, {,n}, {m,n}; 0 and the bounds, or 1 if "{" is a literal. */
static int
parse_braces(struct rp *p, long long *min, long long *max, int *bad)
{
	size_t		 save = p->i;
	long long	 lo = -1, hi = -1;
	int		 comma = 0;

	*bad = 0;
	p->i++;
	if (rpeek(p) == '}') {
		p->i = save;
		return 1;
	}
	while (rpeek(p) >= '0' && rpeek(p) <= '9') {
		lo = (lo < 0 ? 0 : lo) * 10 + (rpeek(p) - '0');
		if (lo > (long long)MAXREPEAT)
			lo = (long long)MAXREPEAT;
		p->i++;
	}
	if (rpeek(p) == ',') {
		comma = 1;
		p->i++;
		while (rpeek(p) >= '0' && rpeek(p) <= '9') {
			hi = (hi < 0 ? 0 : hi) * 10 + (rpeek(p) - '0');
			if (hi > (long long)MAXREPEAT)
				hi = (long long)MAXREPEAT;
			p->i++;
		}
	} else
		hi = lo;
	if (rpeek(p) != '}') {
		p->i = save;
		return 1;
	}
	p->i++;
	*min = lo < 0 ? 0 : lo;
	*max = hi < 0 ? INF : hi;
	if (*min >= (long long)MAXREPEAT || *max >= (long long)MAXREPEAT)
		*bad = 1;
	(void)comma;
	return 0;
}

static int
is_quant(int c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

static struct node *
parse_atom(struct rp *p, int *flags, int *isanchor)
{
	struct node	*n;
	long		 v;
	int		 c = rpeek(p), cat = 0, at = 0;

	*isanchor = 0;
	p->i++;
	switch (c) {
	case '(':
		return parse_group(p, flags);
	case '[':
		return parse_class(p, *flags);
	case '.':
		if ((n = nnew(p, N_ANY)) != NULL)
			n->c = (*flags & F_S) != 0;
		return n;
	case '^':
	case '$':
		*isanchor = 1;
		if ((n = nnew(p, N_ASSERT)) != NULL)
			n->c = c == '^' ? ((*flags & F_M) ? AT_BOL_M : AT_BOL) :
			    ((*flags & F_M) ? AT_EOL_M : AT_EOL);
		return n;
	case '\\':
		if ((v = parse_escape(p, 0, &cat, &at)) == -1)
			return NULL;
		if (v == -3) {
			*isanchor = 1;
			if ((n = nnew(p, N_ASSERT)) != NULL)
				n->c = (uint32_t)at;
			return n;
		}
		if (v == -2) {
			if ((n = nnew(p, N_CLASS)) == NULL ||
			    add_category(p, &n->cl, cat) == -1)
				return NULL;
			return n;
		}
		break;
	default:
		v = c;
		break;
	}
	if ((*flags & F_I) && v < 0x80 && is_letter((int)v)) {
		if ((n = nnew(p, N_CLASS)) == NULL ||
		    add_range_fold(p, &n->cl, (uint32_t)v, (uint32_t)v, 1) == -1)
			return NULL;
		return n;
	}
	if ((n = nnew(p, N_CHAR)) != NULL)
		n->c = (uint32_t)v;
	return n;
}

static struct node *
parse_concat(struct rp *p, int *flags, int top)
{
	struct node	*cat, *last = NULL, *a, *r;
	long long	 min, max;
	int		 c, anchor, bad;
	size_t		 qpos;

	if ((cat = nnew(p, N_CAT)) == NULL)
		return NULL;
	for (;;) {
		c = rpeek(p);
		if (c == -1 || c == '|' || c == ')')
			break;
		qpos = p->i;
		if (c == '*' || c == '+' || c == '?' ||
		    (c == '{' && parse_braces(p, &min, &max, &bad) == 0)) {
			/* A quantifier with nothing before it. */
			return rfail(p, qpos, "nothing to repeat", NULL);
		}
		if ((a = parse_atom(p, flags, &anchor)) == NULL)
			return NULL;
		if (a->t == N_EMPTY && !anchor) {
			/* (?#...) or global flags: no atom to repeat. */
			continue;
		}
		for (;;) {
			c = rpeek(p);
			qpos = p->i;
			if (!is_quant(c))
				break;
			if (c == '{') {
				if (parse_braces(p, &min, &max, &bad) == 1)
					break;
				if (bad)
					return rfail(p, qpos, "the repetition "
					    "number is too large", NULL);
				if (max != INF && max < min)
					return rfail(p, qpos + 1, "min repeat "
					    "greater than max repeat", NULL);
			} else {
				p->i++;
				min = c == '+' ? 1 : 0;
				max = c == '?' ? 1 : INF;
			}
			if (anchor)
				return rfail(p, qpos, "nothing to repeat",
				    NULL);
			if (a->t == N_REPEAT)
				return rfail(p, qpos, "multiple repeat",
				    NULL);
			if (rpeek(p) == '?')
				p->i++;		/* lazy: same language */
			else if (rpeek(p) == '+') {
				size_t	 pp = ++p->i;
				long long mn, mx;
				int	 b2;

				c = rpeek(p);
				if (c == '*' || c == '+' || c == '?' ||
				    (c == '{' && parse_braces(p, &mn, &mx,
				    &b2) == 0))
					return rfail(p, pp, "multiple repeat",
					    NULL);
				return rfail(p, pp - 1, "unsupported: "
				    "possessive quantifiers", NULL);
			}
			if ((r = nnew(p, N_REPEAT)) == NULL)
				return NULL;
			r->kid = a;
			r->min = min;
			r->max = max;
			a = r;
		}
		if (last == NULL)
			cat->kid = a;
		else
			last->next = a;
		last = a;
	}
	(void)top;
	return cat;
}

static struct node *
parse_alt(struct rp *p, int *flags, int top)
{
	struct node	*alt, *br, *last = NULL;

	if ((alt = nnew(p, N_ALT)) == NULL)
		return NULL;
	for (;;) {
		if ((br = parse_concat(p, flags, top)) == NULL)
			return NULL;
		if (last == NULL)
			alt->kid = br;
		else
			last->next = br;
		last = br;
		if (rpeek(p) != '|')
			break;
		p->i++;
	}
	return alt;
}

/* Code generation. */

struct gen {
	struct insn	*prog;
	size_t		 n, cap;
	struct cls	*cls;
	size_t		 ncls, clscap;
	int		 failed;
};

static int
emit(struct gen *g, enum op op, uint32_t c, int x, int y)
{
	struct insn *np;

	if (g->failed)
		return -1;
	if (g->n == NSRE_MAX_PROG) {
		g->failed = 1;
		return -1;
	}
	if (g->n == g->cap) {
		g->cap = g->cap == 0 ? 64 : g->cap * 2;
		if ((np = reallocarray(g->prog, g->cap, sizeof(*np))) == NULL) {
			g->failed = 1;
			return -1;
		}
		g->prog = np;
	}
	g->prog[g->n].op = op;
	g->prog[g->n].c = c;
	g->prog[g->n].x = x;
	g->prog[g->n].y = y;
	return (int)g->n++;
}

static int
add_cls(struct gen *g, const struct cls *c)
{
	struct cls	*nc;
	struct range	*r;

	if (g->ncls == g->clscap) {
		g->clscap = g->clscap == 0 ? 8 : g->clscap * 2;
		if ((nc = reallocarray(g->cls, g->clscap, sizeof(*nc))) ==
		    NULL)
			return -1;
		g->cls = nc;
	}
	if ((r = reallocarray(NULL, c->n > 0 ? c->n : 1, sizeof(*r))) == NULL)
		return -1;
	if (c->n > 0)
		memcpy(r, c->r, c->n * sizeof(*r));
	g->cls[g->ncls].r = r;
	g->cls[g->ncls].n = c->n;
	g->cls[g->ncls].neg = c->neg;
	return (int)g->ncls++;
}

static void
gen_node(struct gen *g, const struct node *n)
{
	const struct node	*k;
	int			 split, jmp, ci, top;
	long long		 i;

	if (g->failed)
		return;
	switch (n->t) {
	case N_EMPTY:
		break;
	case N_CHAR:
		(void)emit(g, I_CHAR, n->c, 0, 0);
		break;
	case N_ANY:
		(void)emit(g, n->c ? I_ANYNL : I_ANY, 0, 0, 0);
		break;
	case N_CLASS:
		/* Each use receives its own copy; classes are small. */
		if ((ci = add_cls(g, &n->cl)) < 0) {
			g->failed = 1;
			return;
		}
		(void)emit(g, I_CLASS, (uint32_t)ci, 0, 0);
		break;
	case N_ASSERT:
		(void)emit(g, I_ASSERT, n->c, 0, 0);
		break;
	case N_CAT:
		for (k = n->kid; k != NULL; k = k->next)
			gen_node(g, k);
		break;
	case N_ALT:
		if (n->kid != NULL && n->kid->next == NULL) {
			gen_node(g, n->kid);
			break;
		}
		{
			/* The exit jumps are chained through x (-1 ends
			 * the chain) and patched once the end is known. */
			int chain = -1, next;

			for (k = n->kid; k != NULL; k = k->next) {
				if (k->next != NULL) {
					split = emit(g, I_SPLIT, 0, 0, 0);
					if (split < 0)
						return;
					g->prog[split].x = (int)g->n;
					gen_node(g, k);
					if ((jmp = emit(g, I_JMP, 0, chain,
					    0)) < 0)
						return;
					chain = jmp;
					g->prog[split].y = (int)g->n;
				} else
					gen_node(g, k);
			}
			if (g->failed)
				return;
			for (; chain != -1; chain = next) {
				next = g->prog[chain].x;
				g->prog[chain].x = (int)g->n;
			}
		}
		break;
	case N_REPEAT:
		{
			/* A kid that matches only the empty string and
			 * emits nothing (e.g. "(?:)") repeats to nothing:
			 * do not loop a billion times over it. */
			size_t before = g->n;

			gen_node(g, n->kid);
			if (g->n == before)
				break;
			if (n->min == 0)
				g->n = before;	/* that copy was a probe */
		}
		for (i = n->min > 0 ? 1 : 0; i < n->min && !g->failed; i++)
			gen_node(g, n->kid);
		if (n->max == INF) {
			top = emit(g, I_SPLIT, 0, 0, 0);
			if (top < 0)
				return;
			g->prog[top].x = (int)g->n;
			gen_node(g, n->kid);
			(void)emit(g, I_JMP, 0, top, 0);
			if (!g->failed)
				g->prog[top].y = (int)g->n;
			break;
		}
		{
			/* Optional copies: skipping one skips the rest.
			 * The exits are chained through y until the end
			 * is known. */
			int chain = -1, next;

			for (i = n->min; i < n->max && !g->failed; i++) {
				split = emit(g, I_SPLIT, 0, 0, chain);
				if (split < 0)
					return;
				chain = split;
				g->prog[split].x = (int)g->n;
				gen_node(g, n->kid);
			}
			if (g->failed)
				return;
			for (; chain != -1; chain = next) {
				next = g->prog[chain].y;
				g->prog[chain].y = (int)g->n;
			}
		}
		break;
	}
}

struct nsre *
nsre_compile(const char *pat, size_t len, char *err, size_t errlen)
{
	struct rp	 p;
	struct gen	 g;
	struct node	*root;
	struct nsre	*re = NULL;
	uint32_t	*cps = NULL;
	size_t		 n = 0, k, off = 0;
	int		 flags = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (len > NSRE_MAX_PATTERN) {
		(void)snprintf(err, errlen, "pattern too long (over %d bytes)",
		    NSRE_MAX_PATTERN);
		return NULL;
	}
	if ((cps = reallocarray(NULL, len + 1, sizeof(*cps))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (off < len) {
		if ((k = utf8_decode((const uint8_t *)pat + off, len - off,
		    &cps[n])) == 0) {
			(void)snprintf(err, errlen, "pattern is not UTF-8");
			free(cps);
			return NULL;
		}
		off += k;
		n++;
	}
	memset(&p, 0, sizeof(p));
	p.s = cps;
	p.n = n;
	p.err = err;
	p.errlen = errlen;
	sv_arena_init(&p.a, 4 * 1024 * 1024);
	root = parse_alt(&p, &flags, 1);
	if (root != NULL && p.i < p.n) {
		/* Only a ')' stops the top level early. */
		root = rfail(&p, p.i, "unbalanced parenthesis", NULL);
	}
	memset(&g, 0, sizeof(g));
	if (root != NULL) {
		gen_node(&g, root);
		(void)emit(&g, I_MATCH, 0, 0, 0);
		if (g.failed)
			(void)snprintf(err, errlen, "pattern too large");
		else if ((re = calloc(1, sizeof(*re))) == NULL)
			(void)snprintf(err, errlen, "out of memory");
		else {
			re->prog = g.prog;
			re->n = g.n;
			re->cls = g.cls;
			re->ncls = g.ncls;
			g.prog = NULL;
			g.cls = NULL;
			g.ncls = 0;
		}
	}
	for (k = 0; k < g.ncls; k++)
		free(g.cls[k].r);
	free(g.cls);
	free(g.prog);
	sv_arena_reset(&p.a);
	free(cps);
	return re;
}

void
nsre_free(struct nsre *re)
{
	size_t k;

	if (re == NULL)
		return;
	for (k = 0; k < re->ncls; k++)
		free(re->cls[k].r);
	free(re->cls);
	free(re->prog);
	free(re);
}

/* Matching: a Pike VM without captures. */

struct tlist {
	int	*pc;
	size_t	 n;
};

static int
is_word(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || c == '_';
}

struct vmpos {
	uint32_t	prev, cur;	/* 0x110000 = none */
	int		has_prev, has_cur;
	int		at_end, before_final_nl;
};

static int
assert_ok(uint32_t kind, const struct vmpos *v)
{
	int wp, wc;

	switch (kind) {
	case AT_BOL:
	case AT_BOT:
		return !v->has_prev;
	case AT_BOL_M:
		return !v->has_prev || v->prev == '\n';
	case AT_EOL:
		return v->at_end || v->before_final_nl;
	case AT_EOL_M:
		return v->at_end || v->cur == '\n';
	case AT_EOT:
		return v->at_end;
	case AT_WORDB:
	case AT_NWORDB:
		wp = v->has_prev && is_word(v->prev);
		wc = v->has_cur && is_word(v->cur);
		return kind == AT_WORDB ? wp != wc : (wp == wc &&
		    (v->has_prev || v->has_cur));
	}
	return 0;
}

/* Add pc and its epsilon closure; 1 if MATCH is reachable. */
static int
addthread(const struct nsre *re, struct tlist *l, uint8_t *mark, int pc,
    const struct vmpos *v, int *stack)
{
	size_t	sp = 0;
	int	matched = 0;

	stack[sp++] = pc;
	while (sp > 0) {
		pc = stack[--sp];
		if (mark[pc])
			continue;
		mark[pc] = 1;
		switch (re->prog[pc].op) {
		case I_JMP:
			stack[sp++] = re->prog[pc].x;
			break;
		case I_SPLIT:
			stack[sp++] = re->prog[pc].y;
			stack[sp++] = re->prog[pc].x;
			break;
		case I_ASSERT:
			if (assert_ok(re->prog[pc].c, v))
				stack[sp++] = pc + 1;
			break;
		case I_MATCH:
			matched = 1;
			break;
		default:
			l->pc[l->n++] = pc;
			break;
		}
	}
	return matched;
}

static int
step_ok(const struct nsre *re, int pc, uint32_t c)
{
	const struct insn	*in = &re->prog[pc];
	const struct cls	*cl;
	size_t			 k;
	int			 hit = 0;

	switch (in->op) {
	case I_CHAR:
		return c == in->c;
	case I_ANY:
		return c != '\n';
	case I_ANYNL:
		return 1;
	case I_CLASS:
		cl = &re->cls[in->c];
		for (k = 0; k < cl->n && !hit; k++)
			hit = c >= cl->r[k].lo && c <= cl->r[k].hi;
		return hit != cl->neg;
	default:
		return 0;
	}
}

int
nsre_match(const struct nsre *re, const char *s, size_t len)
{
	struct tlist	 cur, nxt, tmp;
	uint8_t		*mark;
	int		*stack, *buf;
	const uint8_t	*p = (const uint8_t *)s, *e = p + len;
	struct vmpos	 v;
	uint32_t	 c = 0;
	size_t		 k, i;
	int		 matched = 0;

	if (!utf8_valid(s, len))
		return 0;
	if ((buf = reallocarray(NULL, re->n * 4 + 2, sizeof(int))) == NULL ||
	    (mark = calloc(re->n, 1)) == NULL) {
		free(buf);
		return 0;
	}
	cur.pc = buf;
	nxt.pc = buf + re->n;
	stack = buf + 2 * re->n;
	cur.n = nxt.n = 0;
	memset(&v, 0, sizeof(v));
	for (;;) {
		v.has_cur = p < e;
		k = v.has_cur ? utf8_decode(p, (size_t)(e - p), &c) : 0;
		v.cur = v.has_cur ? c : 0;
		v.at_end = !v.has_cur;
		v.before_final_nl = v.has_cur && c == '\n' && p + 1 == e;
		if (v.has_prev == 0 && cur.n == 0) {
			/* The start: one thread at pc 0. */
			if (addthread(re, &cur, mark, 0, &v, stack)) {
				matched = 1;
				break;
			}
		}
		if (cur.n == 0 || !v.has_cur)
			break;
		memset(mark, 0, re->n);
		nxt.n = 0;
		{
			struct vmpos nv;
			const uint8_t *np = p + k;
			uint32_t nc = 0;
			size_t nk;

			nv.has_prev = 1;
			nv.prev = c;
			nv.has_cur = np < e;
			nk = nv.has_cur ? utf8_decode(np, (size_t)(e - np),
			    &nc) : 0;
			(void)nk;
			nv.cur = nv.has_cur ? nc : 0;
			nv.at_end = !nv.has_cur;
			nv.before_final_nl = nv.has_cur && nc == '\n' &&
			    np + 1 == e;
			for (i = 0; i < cur.n; i++)
				if (step_ok(re, cur.pc[i], c) &&
				    addthread(re, &nxt, mark, cur.pc[i] + 1,
				    &nv, stack))
					matched = 1;
		}
		if (matched)
			break;
		tmp = cur;
		cur = nxt;
		nxt = tmp;
		p += k;
		v.has_prev = 1;
		v.prev = c;
	}
	free(mark);
	free(buf);
	return matched;
}
