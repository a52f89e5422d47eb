/*
 * serpent.c - the value tree of serpent.h: arena, builders, and the two
 * writers (serpent as Python's serpent library writes it, and JSON as
 * Python's json.dumps(ensure_ascii=False) writes it).
 *
 * Trust: writes values the nameserver built, some holding strings from
 * clients; every byte goes through a capped sbuf, recursion is bounded by
 * SV_WRITE_MAX_DEPTH.  No I/O.
 *
 * The serpent writer follows serpent 1.41-1.43 in compact mode: repr() for
 * None/bool/int/str, float repr with 1e30000 for infinities and a class
 * dict for NaN, "(re+imj)" for complex, base64 dicts for bytes, "()" for
 * an empty set, no spaces, no trailing comma except in a one-tuple.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serpent.h"
#include "uniprint.h"
#include "banned.h"

#define CHUNK_SIZE	8192

struct sv_chunk {
	struct sv_chunk	*next;
	size_t		 size;
	size_t		 off;
	max_align_t	 data[];
};

void
sv_arena_init(struct sv_arena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max = max;
}

void
sv_arena_reset(struct sv_arena *a)
{
	struct sv_chunk *c, *n;

	for (c = a->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
}

void *
sv_alloc(struct sv_arena *a, size_t n)
{
	struct sv_chunk	*c = a->head;
	size_t		 al = sizeof(max_align_t), sz;
	void		*p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - al)
		return NULL;
	n = (n + al - 1) / al * al;
	if (a->used > a->max || n > a->max - a->used)
		return NULL;
	if (c == NULL || c->size - c->off < n) {
		sz = n > CHUNK_SIZE / 2 ? n : CHUNK_SIZE;
		if ((c = malloc(sizeof(*c) + sz)) == NULL)
			return NULL;
		c->size = sz;
		c->off = 0;
		if (n > CHUNK_SIZE / 2 && a->head != NULL) {
			/* A big block goes behind the current chunk so
			 * the current one keeps filling. */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = (char *)c->data + c->off;
	c->off += n;
	a->used += n;
	return p;
}

struct sval *
sv_new(struct sv_arena *a, enum sv_type t)
{
	struct sval *v;

	if ((v = sv_alloc(a, sizeof(*v))) == NULL)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

struct sval *
sv_bool(struct sv_arena *a, int b)
{
	struct sval *v;

	if ((v = sv_new(a, SV_BOOL)) != NULL)
		v->u.b = b != 0;
	return v;
}

struct sval *
sv_int(struct sv_arena *a, int64_t i)
{
	struct sval *v;

	if ((v = sv_new(a, SV_INT)) != NULL)
		v->u.i = i;
	return v;
}

struct sval *
sv_str(struct sv_arena *a, const char *s, size_t len)
{
	struct sval	*v;
	char		*p;

	if ((v = sv_new(a, SV_STR)) == NULL ||
	    (p = sv_alloc(a, len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	v->u.s.p = p;
	v->u.s.len = len;
	return v;
}

struct sval *
sv_cstr(struct sv_arena *a, const char *s)
{
	return sv_str(a, s, strlen(s));
}

void
sv_append(struct sval *c, struct sval *item)
{
	item->next = NULL;
	if (c->u.l.last == NULL)
		c->u.l.first = item;
	else
		c->u.l.last->next = item;
	c->u.l.last = item;
	if (c->type != SV_DICT)
		c->n++;		/* a dict's n counts pairs: callers add */
}

int
sv_dict_set(struct sv_arena *a, struct sval *d, const char *key,
    struct sval *val)
{
	struct sval *k;

	if (val == NULL || (k = sv_cstr(a, key)) == NULL)
		return -1;
	sv_append(d, k);
	sv_append(d, val);
	d->n++;
	return 0;
}

struct sval *
sv_dict_get(const struct sval *d, const char *key)
{
	const struct sval *k;

	if (d == NULL || d->type != SV_DICT)
		return NULL;
	for (k = d->u.l.first; k != NULL && k->next != NULL;
	    k = k->next->next)
		if (sv_is_str(k, key))
			return k->next;
	return NULL;
}

int
sv_is_str(const struct sval *v, const char *s)
{
	size_t n = strlen(s);

	return v != NULL && v->type == SV_STR && v->u.s.len == n &&
	    memcmp(v->u.s.p, s, n) == 0;
}

int
sv_equal(const struct sval *x, const struct sval *y)
{
	const struct sval *a, *b;

	if (x->type != y->type)
		return 0;
	switch (x->type) {
	case SV_NONE:
		return 1;
	case SV_BOOL:
		return x->u.b == y->u.b;
	case SV_INT:
		return x->u.i == y->u.i;
	case SV_FLOAT:
		return x->u.f == y->u.f || (isnan(x->u.f) && isnan(y->u.f));
	case SV_COMPLEX:
		return x->u.c.re == y->u.c.re && x->u.c.im == y->u.c.im;
	case SV_BIGINT:
	case SV_STR:
	case SV_BYTES:
		return x->u.s.len == y->u.s.len && (x->u.s.len == 0 ||
		    memcmp(x->u.s.p, y->u.s.p, x->u.s.len) == 0);
	default:
		if (x->n != y->n)
			return 0;
		for (a = x->u.l.first, b = y->u.l.first; a != NULL && b != NULL;
		    a = a->next, b = b->next)
			if (!sv_equal(a, b))
				return 0;
		return a == NULL && b == NULL;
	}
}

/* sbuf */

void
sbuf_init(struct sbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
sbuf_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	size_t	 ncap;
	char	*np;

	if (b->failed || n == 0)
		return;
	if (n > b->max || b->len > b->max - n) {
		b->failed = 1;
		return;
	}
	if (b->cap - b->len < n) {
		ncap = b->cap < 256 ? 256 : b->cap;
		while (ncap - b->len < n)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
sbuf_addc(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_addch(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

/* UTF-8 and Unicode properties */

size_t
utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t	c;
	size_t		len, i;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
utf8_valid(const void *buf, size_t n)
{
	const uint8_t	*p = buf;
	uint32_t	 cp;
	size_t		 k;

	while (n > 0) {
		if (*p < 0x80) {
			p++;
			n--;
			continue;
		}
		if ((k = utf8_decode(p, n, &cp)) == 0)
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

size_t
utf8_encode(uint32_t c, char o[4])
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

int
uni_isprintable(uint32_t c)
{
	size_t lo = 0, hi = sizeof(uni_nonprint) / sizeof(uni_nonprint[0]);

	if (c < 0x80)
		return c >= 0x20 && c < 0x7f;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c < uni_nonprint[mid][0])
			hi = mid;
		else if (c > uni_nonprint[mid][1])
			lo = mid + 1;
		else
			return 0;
	}
	return 1;
}

int
uni_isspace(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) ||
	    c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000;
}

/* repr() */

void
sv_repr_str(struct sbuf *b, const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s, *end = p + len, *run;
	char		 quote = '\'', esc[16];
	int		 sq = 0, dq = 0;
	uint32_t	 c;
	size_t		 k;

	for (k = 0; k < len; k++) {
		if (s[k] == '\'')
			sq = 1;
		else if (s[k] == '"')
			dq = 1;
	}
	if (sq && !dq)
		quote = '"';
	sbuf_addch(b, quote);
	run = p;
	while (p < end) {
		c = *p;
		if (c >= 0x20 && c < 0x7f && c != (uint32_t)quote &&
		    c != '\\') {
			p++;
			continue;
		}
		if (c >= 0x80) {
			if ((k = utf8_decode(p, (size_t)(end - p), &c)) == 0) {
				/* Not UTF-8: cannot happen for our values;
				 * escape the byte rather than copy it. */
				k = 1;
				c = 0xdc00 | *p;
			}
			if (uni_isprintable(c)) {
				p += k;
				continue;
			}
		} else
			k = 1;
		sbuf_add(b, run, (size_t)(p - run));
		if (c == (uint32_t)quote || c == '\\')
			(void)snprintf(esc, sizeof(esc), "\\%c", (char)c);
		else if (c == '\t')
			(void)snprintf(esc, sizeof(esc), "\\t");
		else if (c == '\n')
			(void)snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\r')
			(void)snprintf(esc, sizeof(esc), "\\r");
		else if (c <= 0xff)
			(void)snprintf(esc, sizeof(esc), "\\x%02x", c);
		else if (c <= 0xffff)
			(void)snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			(void)snprintf(esc, sizeof(esc), "\\U%08x", c);
		sbuf_addc(b, esc);
		p += k;
		run = p;
	}
	sbuf_add(b, run, (size_t)(p - run));
	sbuf_addch(b, quote);
}

/*
 * float repr(): the shortest digit string that reads back as the same
 * double (glibc's printf and strtod are correctly rounded), laid out as
 * CPython's 'r' format: exponent form when the decimal point would sit
 * before -4 or after 16 digits, else positional with at least ".0".
 */
void
sv_repr_float(struct sbuf *b, double d)
{
	char	 e[40], digits[24], out[64];
	int	 prec, exp10, nd, i, o = 0;
	char	*ep;

	if (isnan(d)) {
		sbuf_addc(b, "nan");
		return;
	}
	if (isinf(d)) {
		sbuf_addc(b, d < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		(void)snprintf(e, sizeof(e), "%.*e", prec, d);
		if (strtod(e, NULL) == d)
			break;
	}
	/* e = [-]D[.DDD]e[+-]XX */
	ep = strchr(e, 'e');
	if (ep == NULL)
		return;
	exp10 = (int)strtol(ep + 1, NULL, 10);
	nd = 0;
	for (i = 0; e + i < ep; i++)
		if (e[i] >= '0' && e[i] <= '9' && nd < (int)sizeof(digits))
			digits[nd++] = e[i];
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (signbit(d))
		out[o++] = '-';
	if (exp10 < -4 || exp10 >= 16) {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			for (i = 1; i < nd; i++)
				out[o++] = digits[i];
		}
		o += snprintf(out + o, sizeof(out) - (size_t)o, "e%c%02d",
		    exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
	} else if (exp10 < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = -1; i > exp10; i--)
			out[o++] = '0';
		for (i = 0; i < nd; i++)
			out[o++] = digits[i];
	} else {
		for (i = 0; i <= exp10; i++)
			out[o++] = i < nd ? digits[i] : '0';
		out[o++] = '.';
		if (nd > exp10 + 1)
			for (i = exp10 + 1; i < nd; i++)
				out[o++] = digits[i];
		else
			out[o++] = '0';
	}
	sbuf_add(b, out, (size_t)o);
}

/* serpent writer */

static void
ser_float(struct sbuf *b, double d)
{
	if (isnan(d))
		sbuf_addc(b, "{'__class__':'float','value':'nan'}");
	else if (isinf(d))
		sbuf_addc(b, d > 0 ? "1e30000" : "-1e30000");
	else
		sv_repr_float(b, d);
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
ser_base64(struct sbuf *b, const uint8_t *p, size_t n)
{
	char	q[4];
	size_t	i;

	for (i = 0; i + 3 <= n; i += 3) {
		q[0] = b64chars[p[i] >> 2];
		q[1] = b64chars[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = b64chars[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = b64chars[p[i + 2] & 63];
		sbuf_add(b, q, 4);
	}
	if (n - i == 1) {
		q[0] = b64chars[p[i] >> 2];
		q[1] = b64chars[(p[i] & 3) << 4];
		q[2] = q[3] = '=';
		sbuf_add(b, q, 4);
	} else if (n - i == 2) {
		q[0] = b64chars[p[i] >> 2];
		q[1] = b64chars[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = b64chars[(p[i + 1] & 15) << 2];
		q[3] = '=';
		sbuf_add(b, q, 4);
	}
}

static int
ser_value(struct sbuf *b, const struct sval *v, int depth)
{
	const struct sval	*it;
	char			 num[32];

	if (depth > SV_WRITE_MAX_DEPTH) {
		b->failed = 1;
		return -1;
	}
	switch (v->type) {
	case SV_NONE:
		sbuf_addc(b, "None");
		break;
	case SV_BOOL:
		sbuf_addc(b, v->u.b ? "True" : "False");
		break;
	case SV_INT:
		(void)snprintf(num, sizeof(num), "%lld", (long long)v->u.i);
		sbuf_addc(b, num);
		break;
	case SV_BIGINT:
		sbuf_add(b, v->u.s.p, v->u.s.len);
		break;
	case SV_FLOAT:
		ser_float(b, v->u.f);
		break;
	case SV_COMPLEX:
		if (isnan(v->u.c.re) || isnan(v->u.c.im)) {
			sbuf_addc(b, "{'__class__':'complex','real':");
			ser_float(b, v->u.c.re);
			sbuf_addc(b, ",'imag':");
			ser_float(b, v->u.c.im);
			sbuf_addch(b, '}');
			break;
		}
		sbuf_addch(b, '(');
		ser_float(b, v->u.c.re);
		if (!signbit(v->u.c.im))
			sbuf_addch(b, '+');
		ser_float(b, v->u.c.im);
		sbuf_addc(b, "j)");
		break;
	case SV_STR:
		sv_repr_str(b, v->u.s.p, v->u.s.len);
		break;
	case SV_BYTES:
		/* repr() of serpent's dict, so with spaces. */
		sbuf_addc(b, "{'data': '");
		ser_base64(b, (const uint8_t *)v->u.s.p, v->u.s.len);
		sbuf_addc(b, "', 'encoding': 'base64'}");
		break;
	case SV_TUPLE:
		sbuf_addch(b, '(');
		for (it = v->u.l.first; it != NULL; it = it->next) {
			if (ser_value(b, it, depth + 1) == -1)
				return -1;
			if (it->next != NULL || v->n == 1)
				sbuf_addch(b, ',');
		}
		sbuf_addch(b, ')');
		break;
	case SV_LIST:
	case SV_SET:
		if (v->type == SV_SET && v->n == 0) {
			sbuf_addc(b, "()");
			break;
		}
		sbuf_addch(b, v->type == SV_LIST ? '[' : '{');
		for (it = v->u.l.first; it != NULL; it = it->next) {
			if (ser_value(b, it, depth + 1) == -1)
				return -1;
			if (it->next != NULL)
				sbuf_addch(b, ',');
		}
		sbuf_addch(b, v->type == SV_LIST ? ']' : '}');
		break;
	case SV_DICT:
		sbuf_addch(b, '{');
		for (it = v->u.l.first; it != NULL && it->next != NULL;
		    it = it->next->next) {
			if (ser_value(b, it, depth + 1) == -1)
				return -1;
			sbuf_addch(b, ':');
			if (ser_value(b, it->next, depth + 1) == -1)
				return -1;
			if (it->next->next != NULL)
				sbuf_addch(b, ',');
		}
		sbuf_addch(b, '}');
		break;
	}
	return b->failed ? -1 : 0;
}

int
serpent_write(struct sbuf *b, const struct sval *v, int header)
{
	if (header)
		sbuf_addc(b, SERPENT_HEADER);
	if (ser_value(b, v, 0) == -1 || b->failed)
		return -1;
	return 0;
}

/* JSON writer, Python's json.dumps(ensure_ascii=False) layout. */

static void
json_str(struct sbuf *b, const char *s, size_t len)
{
	const char	*run = s, *end = s + len, *p;
	char		 esc[8];

	sbuf_addch(b, '"');
	for (p = s; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_add(b, run, (size_t)(p - run));
		switch (c) {
		case '"':
			sbuf_addc(b, "\\\"");
			break;
		case '\\':
			sbuf_addc(b, "\\\\");
			break;
		case '\n':
			sbuf_addc(b, "\\n");
			break;
		case '\r':
			sbuf_addc(b, "\\r");
			break;
		case '\t':
			sbuf_addc(b, "\\t");
			break;
		case '\b':
			sbuf_addc(b, "\\b");
			break;
		case '\f':
			sbuf_addc(b, "\\f");
			break;
		default:
			(void)snprintf(esc, sizeof(esc), "\\u%04x", c);
			sbuf_addc(b, esc);
		}
		run = p + 1;
	}
	sbuf_add(b, run, (size_t)(end - run));
	sbuf_addch(b, '"');
}

static void
json_float(struct sbuf *b, double d)
{
	if (isnan(d))
		sbuf_addc(b, "NaN");
	else if (isinf(d))
		sbuf_addc(b, d > 0 ? "Infinity" : "-Infinity");
	else
		sv_repr_float(b, d);
}

static int
json_value(struct sbuf *b, const struct sval *v, int depth)
{
	const struct sval	*it;
	char			 num[32];

	if (depth > SV_WRITE_MAX_DEPTH) {
		b->failed = 1;
		return -1;
	}
	switch (v->type) {
	case SV_NONE:
		sbuf_addc(b, "null");
		break;
	case SV_BOOL:
		sbuf_addc(b, v->u.b ? "true" : "false");
		break;
	case SV_INT:
		(void)snprintf(num, sizeof(num), "%lld", (long long)v->u.i);
		sbuf_addc(b, num);
		break;
	case SV_BIGINT:
		sbuf_add(b, v->u.s.p, v->u.s.len);
		break;
	case SV_FLOAT:
		json_float(b, v->u.f);
		break;
	case SV_STR:
		json_str(b, v->u.s.p, v->u.s.len);
		break;
	case SV_COMPLEX:
	case SV_BYTES:
		b->failed = 1;	/* json.dumps cannot either */
		return -1;
	case SV_TUPLE:
	case SV_LIST:
	case SV_SET:
		sbuf_addch(b, '[');
		for (it = v->u.l.first; it != NULL; it = it->next) {
			if (json_value(b, it, depth + 1) == -1)
				return -1;
			if (it->next != NULL)
				sbuf_addc(b, ", ");
		}
		sbuf_addch(b, ']');
		break;
	case SV_DICT:
		sbuf_addch(b, '{');
		for (it = v->u.l.first; it != NULL && it->next != NULL;
		    it = it->next->next) {
			/* json.dumps turns scalar keys into strings. */
			switch (it->type) {
			case SV_STR:
				json_str(b, it->u.s.p, it->u.s.len);
				break;
			case SV_NONE:
			case SV_BOOL:
			case SV_INT:
			case SV_BIGINT:
			case SV_FLOAT:
				sbuf_addch(b, '"');
				if (json_value(b, it, depth + 1) == -1)
					return -1;
				sbuf_addch(b, '"');
				break;
			default:
				b->failed = 1;
				return -1;
			}
			sbuf_addc(b, ": ");
			if (json_value(b, it->next, depth + 1) == -1)
				return -1;
			if (it->next->next != NULL)
				sbuf_addc(b, ", ");
		}
		sbuf_addch(b, '}');
		break;
	}
	return b->failed ? -1 : 0;
}

int
pyjson_write(struct sbuf *b, const struct sval *v)
{
	if (json_value(b, v, 0) == -1 || b->failed)
		return -1;
	return 0;
}
