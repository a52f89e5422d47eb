/*
 * parse_serpent.c - the serpent reader: Python literal syntax as
 * ast.literal_eval() accepts it, into the value tree of serpent.h.
 *
 * Trust: every byte comes from an unauthenticated network peer.  Caps:
 * input length, nesting depth (each bracket, grouping and sign counts),
 * node count, arena bytes, 4300 digits per integer (Python's own limit),
 * 1024 bits per hex/octal/binary integer.  The whole input must be UTF-8
 * without raw NUL bytes (serpent refuses those too).
 *
 * Accepted: comments and blank lines around the value, whitespace (and
 * newlines inside brackets) between tokens, backslash continuations;
 * None, True, False, set(); ints (underscores, 0x/0o/0b), floats (".5",
 * "5.", exponents; 1e30000 reads as infinity), imaginary literals; one
 * unary sign on a number; real +/- imaginary; str and bytes literals with
 * r/b/u prefixes, both quotes, triple quotes, adjacent literals joined and
 * every escape except \N{...}; tuples, lists, dicts, sets with an optional
 * trailing comma; dict keys and set items must be hashable.
 *
 * Refused although literal_eval takes them (no Pyro client sends them):
 * a bare top-level tuple ("1, 2"), \N{name} escapes, escapes that make a
 * lone surrogate (not representable in UTF-8), octal escapes above \377 in
 * bytes.  Duplicate set items and dict keys are kept in the tree; the
 * consumers (kwargs binding, metadata sets) deal with them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serpent.h"
#include "banned.h"

#define NUM_MAX		(SERPENT_MAX_DIGITS + 64) /* literal chars */
#define BASE_MAX_BITS	1024

enum kind { K_OTHER, K_NUM, K_SIGNED, K_BINOP };

struct sp {
	const uint8_t	*start, *p, *end;
	struct sv_arena	*a;
	size_t		 maxdepth, maxnodes;
	size_t		 depth, nodes;
	int		 brackets;	/* open: newlines are blanks */
	int		 err;
	const char	*why;
	size_t		 erroff;
};

static struct sval	*parse_value(struct sp *, enum kind *);

static struct sval *
fail(struct sp *sp, int err, const char *why)
{
	if (sp->err == 0) {
		sp->err = err;
		sp->why = why;
		sp->erroff = (size_t)(sp->p - sp->start);
	}
	return NULL;
}

static int
peek(const struct sp *sp)
{
	return sp->p < sp->end ? *sp->p : -1;
}

static int
peek_at(const struct sp *sp, size_t i)
{
	return (size_t)(sp->end - sp->p) > i ? sp->p[i] : -1;
}

static struct sval *
node(struct sp *sp, enum sv_type t)
{
	struct sval *v;

	if (++sp->nodes > sp->maxnodes)
		return fail(sp, SERPENT_E_SIZE, "too many values");
	if ((v = sv_new(sp->a, t)) == NULL)
		return fail(sp, SERPENT_E_NOMEM, "out of memory");
	return v;
}

/* Blanks between tokens; newlines only inside brackets (or if all). */
static void
skip_ws(struct sp *sp, int all)
{
	int c;

	while ((c = peek(sp)) != -1) {
		if (c == ' ' || c == '\t' || c == '\f')
			sp->p++;
		else if (c == '#') {
			while ((c = peek(sp)) != -1 && c != '\n' && c != '\r')
				sp->p++;
		} else if (c == '\\' && (peek_at(sp, 1) == '\n' ||
		    peek_at(sp, 1) == '\r')) {
			sp->p += 2;
			if (sp->p[-1] == '\r' && peek(sp) == '\n')
				sp->p++;
		} else if ((c == '\n' || c == '\r') &&
		    (all || sp->brackets > 0))
			sp->p++;
		else
			break;
	}
}

static int
is_ident(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* A number must not run into a name, a digit or a dot. */
static int
num_end_ok(const struct sp *sp)
{
	int c = peek(sp);

	return c == -1 || !(is_ident(c) || c == '.' || c >= 0x80);
}

static int
hashable(const struct sval *v)
{
	const struct sval *it;

	switch (v->type) {
	case SV_LIST:
	case SV_SET:
	case SV_DICT:
		return 0;
	case SV_TUPLE:
		for (it = v->u.l.first; it != NULL; it = it->next)
			if (!hashable(it))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/* Numbers */

static int
digit_val(int c, int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < base ? d : -1;
}

/* digit (['_'] digit)* into buf; the count of digits, -1 on a bad '_'. */
static int
digitpart(struct sp *sp, int base, char *buf, size_t *blen, int need_first)
{
	int n = 0, c;

	for (;;) {
		c = peek(sp);
		if (c == '_') {
			if (n == 0 && need_first)
				return -1;
			if (digit_val(peek_at(sp, 1), base) < 0)
				return -1;
			sp->p++;
			continue;
		}
		if (digit_val(c, base) < 0)
			break;
		if (*blen >= NUM_MAX - 1)
			return -2;
		buf[(*blen)++] = (char)c;
		sp->p++;
		n++;
	}
	return n;
}

/* Give v a copy of n bytes of text. */
static struct sval *
set_text(struct sp *sp, struct sval *v, const char *t, size_t n)
{
	char *p;

	if (v == NULL)
		return NULL;
	if ((p = sv_alloc(sp->a, n + 1)) == NULL)
		return fail(sp, SERPENT_E_NOMEM, "out of memory");
	if (n > 0)
		memcpy(p, t, n);
	p[n] = '\0';
	v->u.s.p = p;
	v->u.s.len = n;
	return v;
}

/* Decimal text of a base-2^k digit string (at most BASE_MAX_BITS). */
static struct sval *
base_to_bigint(struct sp *sp, const char *dig, size_t n, int base)
{
	uint32_t	 limb[48];	/* base 1e9, enough for 1024 bits */
	size_t		 nl = 1, i, j;
	char		 out[48 * 9 + 2];
	int		 o = 0, bits = base == 16 ? 4 : base == 8 ? 3 : 1;

	while (n > 0 && *dig == '0') {
		dig++;
		n--;
	}
	if (n * (size_t)bits > BASE_MAX_BITS + 3)
		return fail(sp, SERPENT_E_SIZE, "integer literal too large");
	limb[0] = 0;
	for (i = 0; i < n; i++) {
		uint64_t carry = (uint64_t)digit_val(dig[i], base);

		for (j = 0; j < nl; j++) {
			uint64_t t = (uint64_t)limb[j] * (uint64_t)base + carry;

			limb[j] = (uint32_t)(t % 1000000000u);
			carry = t / 1000000000u;
		}
		if (carry != 0) {
			if (nl == sizeof(limb) / sizeof(limb[0]))
				return fail(sp, SERPENT_E_SIZE,
				    "integer literal too large");
			limb[nl++] = (uint32_t)carry;
		}
	}
	o = snprintf(out, sizeof(out), "%u", limb[nl - 1]);
	for (j = nl - 1; j-- > 0;)
		o += snprintf(out + o, sizeof(out) - (size_t)o, "%09u",
		    limb[j]);
	return set_text(sp, node(sp, SV_BIGINT), out, (size_t)o);
}

/* Decimal digits (no sign) into an INT or a BIGINT. */
static struct sval *
dec_to_int(struct sp *sp, const char *dig, size_t n)
{
	struct sval	*v;
	uint64_t	 u = 0;
	size_t		 i;

	while (n > 1 && *dig == '0') {
		dig++;
		n--;
	}
	if (n > SERPENT_MAX_DIGITS)
		return fail(sp, SERPENT_E_SIZE,
		    "integer has more than 4300 digits");
	if (n < 19 || (n == 19 && memcmp(dig, "9223372036854775807", 19) <= 0)) {
		for (i = 0; i < n; i++)
			u = u * 10 + (uint64_t)(dig[i] - '0');
		if ((v = node(sp, SV_INT)) != NULL)
			v->u.i = (int64_t)u;
		return v;
	}
	return set_text(sp, node(sp, SV_BIGINT), dig, n);
}

static struct sval *
parse_number(struct sp *sp)
{
	char		 buf[NUM_MAX];
	size_t		 blen = 0;
	int		 base = 10, isfloat = 0, n, c;
	struct sval	*v;

	c = peek_at(sp, 1);
	if (peek(sp) == '0' && (c == 'x' || c == 'X' || c == 'o' ||
	    c == 'O' || c == 'b' || c == 'B')) {
		base = (c == 'x' || c == 'X') ? 16 : (c == 'o' || c == 'O') ?
		    8 : 2;
		sp->p += 2;
		if ((n = digitpart(sp, base, buf, &blen, 0)) <= 0)
			return fail(sp, n == -2 ? SERPENT_E_SIZE :
			    SERPENT_E_SYNTAX, "invalid integer literal");
		if (!num_end_ok(sp))
			return fail(sp, SERPENT_E_SYNTAX,
			    "invalid integer literal");
		/* An int64 if it fits, else decimal text. */
		{
			uint64_t	u = 0;
			size_t		i;
			int		over = 0;

			for (i = 0; i < blen && !over; i++) {
				uint64_t d = (uint64_t)digit_val(buf[i], base);

				if (u > ((uint64_t)INT64_MAX - d) /
				    (uint64_t)base)
					over = 1;
				else
					u = u * (uint64_t)base + d;
			}
			if (!over) {
				if ((v = node(sp, SV_INT)) != NULL)
					v->u.i = (int64_t)u;
				return v;
			}
		}
		return base_to_bigint(sp, buf, blen, base);
	}
	if ((n = digitpart(sp, 10, buf, &blen, 1)) < 0)
		return fail(sp, n == -2 ? SERPENT_E_SIZE : SERPENT_E_SYNTAX,
		    "invalid decimal literal");
	if (peek(sp) == '.') {
		isfloat = 1;
		buf[blen++] = '.';
		sp->p++;
		if (digitpart(sp, 10, buf, &blen, 1) < 0)
			return fail(sp, SERPENT_E_SYNTAX,
			    "invalid decimal literal");
		if (n == 0 && blen == 1)
			return fail(sp, SERPENT_E_SYNTAX, "invalid syntax");
	}
	if (peek(sp) == 'e' || peek(sp) == 'E') {
		isfloat = 1;
		if (blen >= NUM_MAX - 2)
			return fail(sp, SERPENT_E_SIZE, "number too long");
		buf[blen++] = 'e';
		sp->p++;
		if (peek(sp) == '+' || peek(sp) == '-')
			buf[blen++] = (char)*sp->p++;
		if (digitpart(sp, 10, buf, &blen, 1) <= 0)
			return fail(sp, SERPENT_E_SYNTAX,
			    "invalid decimal literal");
	}
	if (peek(sp) == 'j' || peek(sp) == 'J') {
		sp->p++;
		if (!num_end_ok(sp))
			return fail(sp, SERPENT_E_SYNTAX,
			    "invalid imaginary literal");
		buf[blen] = '\0';
		if ((v = node(sp, SV_COMPLEX)) != NULL) {
			v->u.c.re = 0.0;
			v->u.c.im = strtod(buf, NULL);
		}
		return v;
	}
	if (!num_end_ok(sp))
		return fail(sp, SERPENT_E_SYNTAX, "invalid decimal literal");
	buf[blen] = '\0';
	if (isfloat) {
		if ((v = node(sp, SV_FLOAT)) != NULL)
			v->u.f = strtod(buf, NULL);
		return v;
	}
	if (blen > 1 && buf[0] == '0' && strspn(buf, "0") != blen)
		return fail(sp, SERPENT_E_SYNTAX, "leading zeros in decimal "
		    "integer literals are not permitted");
	return dec_to_int(sp, buf, blen);
}

/* Strings */

static int
hexval(int c)
{
	return digit_val(c, 16);
}

/* One literal (prefix already read: raw, bytes) appended to out. */
static int
string_body(struct sp *sp, int raw, int bytes, struct sbuf *out)
{
	int		 q = peek(sp), triple = 0, c;
	uint32_t	 cp;
	char		 u8[4];
	size_t		 k, i;

	sp->p++;
	if (peek(sp) == q && peek_at(sp, 1) == q) {
		triple = 1;
		sp->p += 2;
	}
	for (;;) {
		c = peek(sp);
		if (c == -1) {
			fail(sp, SERPENT_E_SYNTAX, "unterminated string literal");
			return -1;
		}
		if (c == q && (!triple ||
		    (peek_at(sp, 1) == q && peek_at(sp, 2) == q))) {
			sp->p += triple ? 3 : 1;
			return 0;
		}
		if (c == '\n' || c == '\r') {
			if (!triple) {
				fail(sp, SERPENT_E_SYNTAX,
				    "unterminated string literal");
				return -1;
			}
			/* The tokenizer reads \r\n and \r as \n. */
			sp->p++;
			if (c == '\r' && peek(sp) == '\n')
				sp->p++;
			sbuf_addch(out, '\n');
			continue;
		}
		if (c >= 0x80) {
			if (bytes) {
				fail(sp, SERPENT_E_SYNTAX, "bytes can only "
				    "contain ASCII literal characters");
				return -1;
			}
			k = utf8_decode(sp->p, (size_t)(sp->end - sp->p), &cp);
			sbuf_add(out, sp->p, k);
			sp->p += k;
			continue;
		}
		if (c != '\\') {
			sbuf_addch(out, (char)c);
			sp->p++;
			continue;
		}
		/* A backslash. */
		c = peek_at(sp, 1);
		if (c == -1) {
			sp->p++;
			fail(sp, SERPENT_E_SYNTAX, "unterminated string literal");
			return -1;
		}
		if (raw) {
			/* Kept as written; it only stops the next quote
			 * or newline from ending the literal. */
			sbuf_addch(out, '\\');
			sp->p++;
			if (c == '\r' && peek_at(sp, 1) == '\n') {
				sbuf_addch(out, '\n');
				sp->p += 2;
			} else if (c < 0x80) {
				sbuf_addch(out, c == '\r' ? '\n' : (char)c);
				sp->p++;
			}
			continue;
		}
		sp->p += 2;
		switch (c) {
		case '\n':
			continue;
		case '\r':
			if (peek(sp) == '\n')
				sp->p++;
			continue;
		case '\\': case '\'': case '"':
			sbuf_addch(out, (char)c);
			continue;
		case 'a':
			sbuf_addch(out, '\a');
			continue;
		case 'b':
			sbuf_addch(out, '\b');
			continue;
		case 'f':
			sbuf_addch(out, '\f');
			continue;
		case 'n':
			sbuf_addch(out, '\n');
			continue;
		case 'r':
			sbuf_addch(out, '\r');
			continue;
		case 't':
			sbuf_addch(out, '\t');
			continue;
		case 'v':
			sbuf_addch(out, '\v');
			continue;
		case 'x':
			if (hexval(peek(sp)) < 0 || hexval(peek_at(sp, 1)) < 0) {
				fail(sp, SERPENT_E_SYNTAX,
				    "truncated \\xXX escape");
				return -1;
			}
			cp = (uint32_t)(hexval(sp->p[0]) * 16 +
			    hexval(sp->p[1]));
			sp->p += 2;
			goto emit;
		case 'u':
		case 'U':
		case 'N':
			if (bytes) {
				sbuf_addch(out, '\\');
				sbuf_addch(out, (char)c);
				continue;
			}
			if (c == 'N') {
				fail(sp, SERPENT_E_VALUE,
				    "\\N{...} escapes are not supported");
				return -1;
			}
			cp = 0;
			for (i = 0; i < (c == 'u' ? 4u : 8u); i++) {
				if (hexval(peek(sp)) < 0) {
					fail(sp, SERPENT_E_SYNTAX, c == 'u' ?
					    "truncated \\uXXXX escape" :
					    "truncated \\UXXXXXXXX escape");
					return -1;
				}
				cp = cp * 16 + (uint32_t)hexval(*sp->p++);
			}
			if (cp > 0x10ffff) {
				fail(sp, SERPENT_E_SYNTAX,
				    "illegal Unicode character");
				return -1;
			}
			goto emit;
		default:
			if (c >= '0' && c <= '7') {
				cp = (uint32_t)(c - '0');
				for (i = 0; i < 2 && peek(sp) >= '0' &&
				    peek(sp) <= '7'; i++)
					cp = cp * 8 + (uint32_t)(*sp->p++ - '0');
				if (bytes && cp > 0xff) {
					fail(sp, SERPENT_E_VALUE,
					    "octal escape above \\377");
					return -1;
				}
				goto emit;
			}
			/* Unknown escape: Python keeps both characters. */
			sp->p--;
			sbuf_addch(out, '\\');
			continue;
		}
emit:
		if (bytes) {
			sbuf_addch(out, (char)cp);
			continue;
		}
		if (cp >= 0xd800 && cp <= 0xdfff) {
			fail(sp, SERPENT_E_VALUE, "lone surrogate in a string");
			return -1;
		}
		k = utf8_encode(cp, u8);
		sbuf_add(out, u8, k);
	}
}

/*
 * Is there a string literal at p (optional prefix, then a quote)?
 * Returns the prefix length (0..2) or -1; sets raw and bytes.
 */
static int
string_start(const struct sp *sp, int *raw, int *bytes)
{
	int	i, c, r = 0, b = 0, u = 0;

	for (i = 0; i < 3; i++) {
		c = peek_at(sp, (size_t)i);
		if (c == '\'' || c == '"')
			break;
		if (i == 2)
			return -1;
		if (c == 'r' || c == 'R')
			r++;
		else if (c == 'b' || c == 'B')
			b++;
		else if (c == 'u' || c == 'U')
			u++;
		else
			return -1;
	}
	if (r > 1 || b > 1 || u > 1 || (u && (r || b)))
		return -1;
	*raw = r;
	*bytes = b;
	return i;
}

static struct sval *
parse_strings(struct sp *sp)
{
	struct sbuf	 out;
	struct sval	*v;
	int		 raw, bytes, kind = -1, pre;

	sbuf_init(&out, sp->a->max);
	for (;;) {
		if ((pre = string_start(sp, &raw, &bytes)) < 0)
			break;
		if (kind != -1 && kind != bytes) {
			sbuf_free(&out);
			return fail(sp, SERPENT_E_SYNTAX,
			    "cannot mix bytes and nonbytes literals");
		}
		kind = bytes;
		sp->p += pre;
		if (string_body(sp, raw, bytes, &out) == -1) {
			sbuf_free(&out);
			return NULL;
		}
		if (out.failed) {
			sbuf_free(&out);
			return fail(sp, SERPENT_E_SIZE, "string too long");
		}
		skip_ws(sp, 0);
	}
	v = set_text(sp, node(sp, kind ? SV_BYTES : SV_STR),
	    out.p != NULL ? out.p : "", out.len);
	sbuf_free(&out);
	return v;
}

/* Containers */

static struct sval *
parse_seq(struct sp *sp, struct sval *c, int close)
{
	struct sval	*item;
	enum kind	 k;

	for (;;) {
		skip_ws(sp, 0);
		if (peek(sp) == close)
			break;
		if ((item = parse_value(sp, &k)) == NULL)
			return NULL;
		if (c->type == SV_SET && !hashable(item))
			return fail(sp, SERPENT_E_VALUE,
			    "unhashable type in a set");
		sv_append(c, item);
		skip_ws(sp, 0);
		if (peek(sp) == ',') {
			sp->p++;
			continue;
		}
		if (peek(sp) != close)
			return fail(sp, SERPENT_E_SYNTAX,
			    peek(sp) == -1 ? "unexpected end of input" :
			    "expected ',' or a closing bracket");
		break;
	}
	sp->p++;
	sp->brackets--;
	return c;
}

static struct sval *
parse_brace(struct sp *sp)
{
	struct sval	*c, *first, *val;
	enum kind	 k;

	sp->p++;
	sp->brackets++;
	skip_ws(sp, 0);
	if (peek(sp) == '}') {
		sp->p++;
		sp->brackets--;
		return node(sp, SV_DICT);
	}
	if ((first = parse_value(sp, &k)) == NULL)
		return NULL;
	skip_ws(sp, 0);
	if (peek(sp) != ':') {
		if ((c = node(sp, SV_SET)) == NULL)
			return NULL;
		if (!hashable(first))
			return fail(sp, SERPENT_E_VALUE,
			    "unhashable type in a set");
		sv_append(c, first);
		if (peek(sp) == ',')
			sp->p++;
		else if (peek(sp) != '}')
			return fail(sp, SERPENT_E_SYNTAX,
			    "expected ',' or '}'");
		return parse_seq(sp, c, '}');
	}
	if ((c = node(sp, SV_DICT)) == NULL)
		return NULL;
	for (;;) {
		/* first is a key and p is at its ':' */
		if (!hashable(first))
			return fail(sp, SERPENT_E_VALUE,
			    "unhashable type as a dict key");
		sp->p++;
		if ((val = parse_value(sp, &k)) == NULL)
			return NULL;
		sv_append(c, first);
		sv_append(c, val);
		c->n++;
		skip_ws(sp, 0);
		if (peek(sp) == ',') {
			sp->p++;
			skip_ws(sp, 0);
		} else if (peek(sp) != '}')
			return fail(sp, SERPENT_E_SYNTAX,
			    peek(sp) == -1 ? "unexpected end of input" :
			    "expected ',' or '}'");
		if (peek(sp) == '}')
			break;
		if ((first = parse_value(sp, &k)) == NULL)
			return NULL;
		skip_ws(sp, 0);
		if (peek(sp) != ':')
			return fail(sp, SERPENT_E_SYNTAX, "expected ':'");
	}
	sp->p++;
	sp->brackets--;
	return c;
}

static struct sval *
parse_paren(struct sp *sp, enum kind *kind)
{
	struct sval	*c, *first;
	enum kind	 k;

	sp->p++;
	sp->brackets++;
	skip_ws(sp, 0);
	if (peek(sp) == ')') {
		sp->p++;
		sp->brackets--;
		return node(sp, SV_TUPLE);
	}
	if ((first = parse_value(sp, &k)) == NULL)
		return NULL;
	skip_ws(sp, 0);
	if (peek(sp) == ')') {
		/* Grouping: the value keeps its kind, so "(1)+2j" and
		 * "-(1)" read as Python reads them. */
		sp->p++;
		sp->brackets--;
		*kind = k;
		return first;
	}
	if (peek(sp) != ',')
		return fail(sp, SERPENT_E_SYNTAX, peek(sp) == -1 ?
		    "unexpected end of input" : "expected ',' or ')'");
	sp->p++;
	if ((c = node(sp, SV_TUPLE)) == NULL)
		return NULL;
	sv_append(c, first);
	return parse_seq(sp, c, ')');
}

static struct sval *
parse_name(struct sp *sp)
{
	const uint8_t	*s = sp->p;
	size_t		 n;

	while (sp->p < sp->end && is_ident(*sp->p))
		sp->p++;
	n = (size_t)(sp->p - s);
	if (sp->p < sp->end && *sp->p >= 0x80)
		return fail(sp, SERPENT_E_SYNTAX, "names are not literals");
	if (n == 4 && memcmp(s, "None", 4) == 0)
		return node(sp, SV_NONE);
	if (n == 4 && memcmp(s, "True", 4) == 0) {
		struct sval *v = node(sp, SV_BOOL);

		if (v != NULL)
			v->u.b = 1;
		return v;
	}
	if (n == 5 && memcmp(s, "False", 5) == 0)
		return node(sp, SV_BOOL);
	if (n == 3 && memcmp(s, "set", 3) == 0) {
		/* literal_eval's one call: set() */
		skip_ws(sp, 0);
		if (peek(sp) == '(') {
			sp->p++;
			sp->brackets++;
			skip_ws(sp, 0);
			if (peek(sp) == ')') {
				sp->p++;
				sp->brackets--;
				return node(sp, SV_SET);
			}
		}
	}
	sp->p = s;
	return fail(sp, SERPENT_E_SYNTAX, "names are not literals");
}

static struct sval *
parse_atom(struct sp *sp, enum kind *kind)
{
	int	c = peek(sp), raw, bytes;

	*kind = K_OTHER;
	switch (c) {
	case -1:
		return fail(sp, SERPENT_E_SYNTAX, "unexpected end of input");
	case '(':
		return parse_paren(sp, kind);
	case '[':
		sp->p++;
		sp->brackets++;
		{
			struct sval *l = node(sp, SV_LIST);

			return l == NULL ? NULL : parse_seq(sp, l, ']');
		}
	case '{':
		return parse_brace(sp);
	case '\'':
	case '"':
		return parse_strings(sp);
	default:
		break;
	}
	if ((c >= '0' && c <= '9') || (c == '.' && peek_at(sp, 1) >= '0' &&
	    peek_at(sp, 1) <= '9')) {
		*kind = K_NUM;
		return parse_number(sp);
	}
	if (string_start(sp, &raw, &bytes) > 0)
		return parse_strings(sp);
	if (is_ident(c))
		return parse_name(sp);
	return fail(sp, SERPENT_E_SYNTAX, "invalid syntax");
}

/* -v for a number (v comes from a literal, so never INT64_MIN). */
static struct sval *
negate(struct sp *sp, struct sval *v)
{
	char *t;

	switch (v->type) {
	case SV_INT:
		v->u.i = -v->u.i;
		break;
	case SV_FLOAT:
		v->u.f = -v->u.f;
		break;
	case SV_COMPLEX:
		v->u.c.re = -v->u.c.re;
		v->u.c.im = -v->u.c.im;
		break;
	case SV_BIGINT:
		if (v->u.s.len == 19 &&
		    memcmp(v->u.s.p, "9223372036854775808", 19) == 0) {
			v->type = SV_INT;
			v->u.i = INT64_MIN;
			break;
		}
		if ((t = sv_alloc(sp->a, v->u.s.len + 2)) == NULL)
			return fail(sp, SERPENT_E_NOMEM, "out of memory");
		t[0] = '-';
		memcpy(t + 1, v->u.s.p, v->u.s.len);
		t[v->u.s.len + 1] = '\0';
		v->u.s.p = t;
		v->u.s.len++;
		break;
	default:
		return fail(sp, SERPENT_E_SYNTAX, "sign before a non-number");
	}
	return v;
}

static struct sval *
parse_value(struct sp *sp, enum kind *kind)
{
	struct sval	*v, *r;
	enum kind	 rk;
	int		 c, op;
	double		 l;

	if (++sp->depth > sp->maxdepth)
		return fail(sp, SERPENT_E_DEPTH, "nesting too deep");
	skip_ws(sp, 0);
	c = peek(sp);
	if (c == '+' || c == '-') {
		sp->p++;
		skip_ws(sp, 0);
		if ((v = parse_atom(sp, &rk)) == NULL)
			return NULL;
		if (rk != K_NUM)
			return fail(sp, SERPENT_E_SYNTAX,
			    "sign before a non-number");
		if (c == '-' && negate(sp, v) == NULL)
			return NULL;
		*kind = K_SIGNED;
	} else if ((v = parse_atom(sp, kind)) == NULL)
		return NULL;
	skip_ws(sp, 0);
	op = peek(sp);
	if ((op == '+' || op == '-') && (*kind == K_NUM || *kind == K_SIGNED)) {
		/* real +/- imaginary, and nothing else. */
		if (v->type != SV_INT && v->type != SV_BIGINT &&
		    v->type != SV_FLOAT)
			return fail(sp, SERPENT_E_SYNTAX, "malformed complex");
		sp->p++;
		skip_ws(sp, 0);
		if ((r = parse_atom(sp, &rk)) == NULL)
			return NULL;
		if (rk != K_NUM || r->type != SV_COMPLEX)
			return fail(sp, SERPENT_E_SYNTAX, "malformed complex");
		if (v->type == SV_INT)
			l = (double)v->u.i;
		else if (v->type == SV_FLOAT)
			l = v->u.f;
		else {
			l = strtod(v->u.s.p, NULL);
			if (isinf(l))
				return fail(sp, SERPENT_E_VALUE,
				    "int too large to convert to float");
		}
		v->type = SV_COMPLEX;
		v->u.c.re = op == '+' ? l + r->u.c.re : l - r->u.c.re;
		v->u.c.im = op == '+' ? 0.0 + r->u.c.im : 0.0 - r->u.c.im;
		*kind = K_BINOP;
	}
	sp->depth--;
	return v;
}

int
serpent_parse(const void *buf, size_t len, const struct serpent_limits *lim,
    struct sv_arena *a, struct sval **out, char *err, size_t errlen,
    size_t *erroff)
{
	static const struct serpent_limits def = {
		SERPENT_MAX_LEN, SERPENT_MAX_DEPTH, SERPENT_MAX_NODES
	};
	struct sp	 sp;
	struct sval	*v = NULL;
	enum kind	 k;
	const uint8_t	*z;

	if (lim == NULL)
		lim = &def;
	*out = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.start = sp.p = buf;
	sp.end = sp.start + len;
	sp.a = a;
	sp.maxdepth = lim->max_depth;
	sp.maxnodes = lim->max_nodes;
	if (len > lim->max_len)
		(void)fail(&sp, SERPENT_E_SIZE, "document too large");
	else if ((z = memchr(buf, '\0', len)) != NULL) {
		sp.p = z;
		(void)fail(&sp, SERPENT_E_NUL, "NUL byte in the document");
	} else if (!utf8_valid(buf, len)) {
		(void)fail(&sp, SERPENT_E_UTF8, "not UTF-8");
		sp.erroff = 0;
	} else {
		skip_ws(&sp, 1);
		if (sp.p == sp.end)
			(void)fail(&sp, SERPENT_E_SYNTAX, "no value");
		else if ((v = parse_value(&sp, &k)) != NULL) {
			skip_ws(&sp, 1);
			if (sp.p != sp.end)
				v = fail(&sp, SERPENT_E_SYNTAX,
				    "unexpected text after the value");
		}
	}
	if (sp.err != 0) {
		if (err != NULL && errlen > 0)
			(void)snprintf(err, errlen, "%s at offset %zu",
			    sp.why, sp.erroff);
		if (erroff != NULL)
			*erroff = sp.erroff;
		return sp.err;
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	*out = v;
	return SERPENT_OK;
}
