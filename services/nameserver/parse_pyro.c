/*
 * parse_pyro.c - Pyro5 messages from the network: header, annotation
 * chunks, zlib payloads, serpent/JSON payloads into the value tree, the
 * INVOKE 4-tuple, and Pyro URIs (see pyro.h).
 *
 * Trust: the first code that touches a peer's bytes.  The header is
 * checked (tag, version, magic) and its two lengths capped before the
 * caller reads or allocates anything; annotation chunks must tile their
 * area exactly; inflated payloads are capped; JSON goes through
 * lib/json.c (length, depth, no NUL, no duplicate keys) and serpent
 * through parse_serpent.c.  URIs are parsed with code points so that
 * whitespace is Python's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "json.h"
#include "pyro.h"
#include "banned.h"

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
pyro_hdr_check6(const uint8_t *p, uint16_t *version)
{
	if (memcmp(p, "PYRO", 4) != 0)
		return PYRO_E_TAG;
	*version = be16(p + 4);
	return *version == PYRO_VERSION ? PYRO_OK : PYRO_E_VERSION;
}

int
pyro_hdr_parse(const uint8_t *p, size_t max, struct pyro_hdr *h)
{
	int rc;

	memset(h, 0, sizeof(*h));
	if ((rc = pyro_hdr_check6(p, &h->version)) != PYRO_OK)
		return rc;
	h->type = p[6];
	h->serializer = p[7];
	h->flags = be16(p + 8);
	h->seq = be16(p + 10);
	h->datalen = be32(p + 12);
	h->annlen = be32(p + 16);
	memcpy(h->corr, p + 20, 16);
	if (be16(p + 38) != PYRO_MAGIC)
		return PYRO_E_MAGIC;
	if ((uint64_t)h->datalen + h->annlen > max)
		return PYRO_E_TOOBIG;
	return PYRO_OK;
}

void
pyro_hdr_build(uint8_t o[PYRO_HDR_LEN], const struct pyro_hdr *h)
{
	memcpy(o, "PYRO", 4);
	put16(o + 4, PYRO_VERSION);
	o[6] = h->type;
	o[7] = h->serializer;
	put16(o + 8, h->flags);
	put16(o + 10, h->seq);
	put32(o + 12, h->datalen);
	put32(o + 16, h->annlen);
	memcpy(o + 20, h->corr, 16);
	put16(o + 36, 0);
	put16(o + 38, PYRO_MAGIC);
}

int
pyro_ann_parse(const uint8_t *p, size_t annlen, struct pyro_ann *out,
    size_t max, size_t *n)
{
	size_t	off = 0, len;
	int	i;

	*n = 0;
	while (off < annlen) {
		if (annlen - off < 8 || *n == max)
			return PYRO_E_ANN;
		for (i = 0; i < 4; i++)
			if (p[off + i] < 0x20 || p[off + i] > 0x7e)
				return PYRO_E_ANN;
		len = be32(p + off + 4);
		if (len > annlen - off - 8)
			return PYRO_E_ANN;
		memcpy(out[*n].id, p + off, 4);
		out[*n].id[4] = '\0';
		out[*n].data = p + off + 8;
		out[*n].len = len;
		(*n)++;
		off += 8 + len;
	}
	return PYRO_OK;
}

int
pyro_inflate(const uint8_t *in, size_t len, size_t max, uint8_t **out,
    size_t *outlen)
{
	z_stream	 z;
	uint8_t		*buf;
	size_t		 cap = len * 4 < 4096 ? 4096 : len * 4;
	int		 rc;

	*out = NULL;
	*outlen = 0;
	if (len > UINT32_MAX || max > UINT32_MAX)
		return PYRO_E_ZLIB;
	if (cap > max)
		cap = max;
	if ((buf = malloc(cap + 1)) == NULL)
		return PYRO_E_ZLIB;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		free(buf);
		return PYRO_E_ZLIB;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	for (;;) {
		z.next_out = buf + z.total_out;
		/* One byte more than the cap, to notice going over it. */
		z.avail_out = (uInt)(cap + 1 - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			goto bad;
		if (z.avail_out > 0)		/* input ran out */
			goto bad;
		if (cap == max)
			goto bad;		/* over the cap */
		cap = cap > max / 2 ? max : cap * 2;
		{
			uint8_t *nb = realloc(buf, cap + 1);

			if (nb == NULL)
				goto bad;
			buf = nb;
		}
	}
	if (z.avail_in != 0 || z.total_out > max)
		goto bad;
	*outlen = z.total_out;
	*out = buf;
	(void)inflateEnd(&z);
	return PYRO_OK;
bad:
	(void)inflateEnd(&z);
	free(buf);
	return PYRO_E_ZLIB;
}

/* JSON into the value tree. */

struct jconv {
	struct sv_arena	*a;
	size_t		 nodes;
	const char	*why;
};

static struct sval *
jnode(struct jconv *jc, enum sv_type t)
{
	struct sval *v;

	if (++jc->nodes > SERPENT_MAX_NODES) {
		jc->why = "too many values";
		return NULL;
	}
	if ((v = sv_new(jc->a, t)) == NULL)
		jc->why = "out of memory";
	return v;
}

static struct sval *
jtext(struct jconv *jc, enum sv_type t, const char *s, size_t n)
{
	struct sval	*v, *tmp;

	if ((v = jnode(jc, t)) == NULL)
		return NULL;
	if ((tmp = sv_str(jc->a, s, n)) == NULL) {
		jc->why = "out of memory";
		return NULL;
	}
	v->u.s = tmp->u.s;
	return v;
}

static struct sval *
jconv(struct jconv *jc, yajl_val j)
{
	struct sval	*v, *k, *item;
	const char	*r;
	size_t		 i;

	if (YAJL_IS_STRING(j))
		return jtext(jc, SV_STR, j->u.string, strlen(j->u.string));
	if (YAJL_IS_INTEGER(j)) {
		if ((v = jnode(jc, SV_INT)) != NULL)
			v->u.i = j->u.number.i;
		return v;
	}
	if (YAJL_IS_NUMBER(j)) {
		r = j->u.number.r;
		if (r[strcspn(r, ".eE")] == '\0') {
			/* An integer beyond int64: keep its digits. */
			if (strlen(r) > SERPENT_MAX_DIGITS + 1) {
				jc->why = "integer has more than 4300 digits";
				return NULL;
			}
			return jtext(jc, SV_BIGINT, r, strlen(r));
		}
		if ((v = jnode(jc, SV_FLOAT)) != NULL)
			v->u.f = YAJL_IS_DOUBLE(j) ? j->u.number.d :
			    strtod(r, NULL);
		return v;
	}
	if (YAJL_IS_TRUE(j) || YAJL_IS_FALSE(j)) {
		if ((v = jnode(jc, SV_BOOL)) != NULL)
			v->u.b = YAJL_IS_TRUE(j);
		return v;
	}
	if (YAJL_IS_NULL(j))
		return jnode(jc, SV_NONE);
	if (YAJL_IS_ARRAY(j)) {
		if ((v = jnode(jc, SV_LIST)) == NULL)
			return NULL;
		for (i = 0; i < j->u.array.len; i++) {
			if ((item = jconv(jc, j->u.array.values[i])) == NULL)
				return NULL;
			sv_append(v, item);
		}
		return v;
	}
	if (YAJL_IS_OBJECT(j)) {
		if ((v = jnode(jc, SV_DICT)) == NULL)
			return NULL;
		for (i = 0; i < j->u.object.len; i++) {
			const char *key = j->u.object.keys[i];

			if ((k = jtext(jc, SV_STR, key, strlen(key))) == NULL ||
			    (item = jconv(jc, j->u.object.values[i])) == NULL)
				return NULL;
			sv_append(v, k);
			sv_append(v, item);
			v->n++;
		}
		return v;
	}
	jc->why = "unsupported JSON value";
	return NULL;
}

int
pyro_decode(int ser, const void *p, size_t len, struct sv_arena *a,
    struct sval **out, char *err, size_t errlen)
{
	struct jconv	 jc;
	yajl_val	 j;

	*out = NULL;
	if (ser == PYRO_SER_SERPENT) {
		if (serpent_parse(p, len, NULL, a, out, err, errlen, NULL) != 0)
			return PYRO_E_PAYLOAD;
		return PYRO_OK;
	}
	if (ser != PYRO_SER_JSON) {
		(void)snprintf(err, errlen, "unsupported serializer %d", ser);
		return PYRO_E_PAYLOAD;
	}
	if (!utf8_valid(p, len)) {
		(void)snprintf(err, errlen, "not UTF-8");
		return PYRO_E_PAYLOAD;
	}
	if ((j = json_parse(p, len, SERPENT_MAX_LEN, SERPENT_MAX_DEPTH, err,
	    errlen)) == NULL)
		return PYRO_E_PAYLOAD;
	memset(&jc, 0, sizeof(jc));
	jc.a = a;
	*out = jconv(&jc, j);
	yajl_tree_free(j);
	if (*out == NULL) {
		(void)snprintf(err, errlen, "%s", jc.why != NULL ? jc.why :
		    "bad JSON");
		return PYRO_E_PAYLOAD;
	}
	return PYRO_OK;
}

int
pyro_encode(int ser, const struct sval *v, struct sbuf *b)
{
	if (ser == PYRO_SER_SERPENT)
		return serpent_write(b, v, 1);
	if (ser == PYRO_SER_JSON)
		return pyjson_write(b, v);
	return -1;
}

int
pyro_call_parse(int ser, const struct sval *v, struct pyro_call *c,
    const char **missing)
{
	static const char *const keys[] = { "object", "method", "params",
	    "kwargs" };
	const struct sval	*it, *parts[4];
	size_t			 i;

	*missing = NULL;
	memset(c, 0, sizeof(*c));
	if (ser == PYRO_SER_JSON) {
		if (v->type != SV_DICT)
			return -1;
		for (i = 0; i < 4; i++)
			if ((parts[i] = sv_dict_get(v, keys[i])) == NULL) {
				*missing = keys[i];
				return -1;
			}
	} else {
		if ((v->type != SV_TUPLE && v->type != SV_LIST) || v->n != 4)
			return -1;
		for (i = 0, it = v->u.l.first; i < 4; i++, it = it->next)
			parts[i] = it;
	}
	c->object = parts[0];
	c->method = parts[1];
	c->args = parts[2];
	c->kwargs = parts[3];
	return 0;
}

void
pyro_marshal_str(struct sbuf *b, const char *s, size_t n)
{
	uint8_t	hdr[5];
	size_t	i;
	int	ascii = 1;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = 0;
	if (ascii && n < 256) {
		/* TYPE_SHORT_ASCII with FLAG_REF, as CPython writes it. */
		hdr[0] = 0xfa;
		hdr[1] = (uint8_t)n;
		sbuf_add(b, hdr, 2);
	} else {
		hdr[0] = 'u';
		hdr[1] = (uint8_t)n;
		hdr[2] = (uint8_t)(n >> 8);
		hdr[3] = (uint8_t)(n >> 16);
		hdr[4] = (uint8_t)(n >> 24);
		sbuf_add(b, hdr, 5);
	}
	sbuf_add(b, s, n);
}

/* URIs */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Python int() of a port text: blanks around, a sign, ASCII digits with
 * single underscores between them.  0 or -1.
 */
static int
py_int(const char *s, size_t n, int64_t *out)
{
	const uint8_t	*p = (const uint8_t *)s, *e = p + n;
	uint32_t	 cp;
	size_t		 k;
	int		 neg = 0, nd = 0;
	uint64_t	 u = 0;

	while (p < e && (k = utf8_decode(p, (size_t)(e - p), &cp)) > 0 &&
	    uni_isspace(cp))
		p += k;
	while (e > p) {
		const uint8_t *q = e - 1;

		while (q > p && (*q & 0xc0) == 0x80)
			q--;
		if ((k = utf8_decode(q, (size_t)(e - q), &cp)) == 0 ||
		    !uni_isspace(cp))
			break;
		e = q;
	}
	if (p < e && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	for (; p < e; p++) {
		if (*p == '_' && nd > 0 && p + 1 < e && is_digit(p[1]))
			continue;
		if (!is_digit(*p))
			return -1;
		if (u > (uint64_t)INT64_MAX / 10)
			return -1;
		u = u * 10 + (uint64_t)(*p - '0');
		if (u > (uint64_t)INT64_MAX)
			return -1;
		nd++;
	}
	if (nd == 0)
		return -1;
	*out = neg ? -(int64_t)u : (int64_t)u;
	return 0;
}

static int
bad_uri(char *why, size_t len, const char *text)
{
	(void)snprintf(why, len, "%s", text);
	return -1;
}

static int
parse_location(const char *loc, size_t n, int defport, struct pyro_uri *u,
    char *why, size_t whylen)
{
	const char	*colon, *port = NULL;
	size_t		 i, plen = 0;

	if (n >= 4 && memcmp(loc, "./u:", 4) == 0) {
		u->sockname = loc + 4;
		u->socklen = n - 4;
		if (u->socklen == 0 || memchr(u->sockname, ':', u->socklen))
			return bad_uri(why, whylen, "invalid uri (location)");
		return 0;
	}
	if (n > 0 && loc[0] == '[') {
		if (n > 1 && loc[1] == '[')
			return bad_uri(why, whylen, "invalid ipv6 address: "
			    "enclosed in too many brackets");
		for (i = 1; i < n && (isxdigit((unsigned char)loc[i]) ||
		    loc[i] == ':' || loc[i] == '%'); i++)
			;
		if (i == 1 || i >= n || loc[i] != ']')
			return bad_uri(why, whylen, "invalid ipv6 address: the "
			    "part between brackets must be a numeric ipv6 "
			    "address");
		u->host = loc + 1;
		u->hostlen = i - 1;
		i++;
		if (i + 1 < n && loc[i] == ':' && is_digit(loc[i + 1])) {
			port = loc + i + 1;
			for (plen = 0; i + 1 + plen < n &&
			    is_digit(port[plen]); plen++)
				;
		}
	} else {
		colon = memchr(loc, ':', n);
		u->host = loc;
		u->hostlen = colon != NULL ? (size_t)(colon - loc) : n;
		if (colon != NULL && (size_t)(colon - loc) + 1 < n) {
			port = colon + 1;
			plen = n - (size_t)(colon - loc) - 1;
		}
	}
	u->portstr = port;
	u->portlen = plen;
	if (port == NULL) {
		if (defport < 0) {
			(void)snprintf(why, whylen,
			    "invalid port in uri, port=None");
			return -1;
		}
		u->has_port = 1;
		u->port = defport;
		return 0;
	}
	if (py_int(port, plen, &u->port) == -1) {
		(void)snprintf(why, whylen, "invalid port in uri, port=%.*s",
		    (int)(plen > 200 ? 200 : plen), port);
		return -1;
	}
	u->has_port = 1;
	return 0;
}

int
pyro_uri_parse(const char *s, size_t n, struct pyro_uri *u, char *why,
    size_t whylen)
{
	const uint8_t	*r, *e;
	size_t		 i, k, rlen, end2;
	uint32_t	 cp;
	const char	*loc = NULL;
	size_t		 loclen = 0;

	memset(u, 0, sizeof(*u));
	if (!utf8_valid(s, n))
		return bad_uri(why, whylen, "invalid uri");
	/* (?P<protocol>[Pp][Yy][Rr][Oo][a-zA-Z]*): */
	if (n < 5 || (s[0] != 'P' && s[0] != 'p') ||
	    (s[1] != 'Y' && s[1] != 'y') || (s[2] != 'R' && s[2] != 'r') ||
	    (s[3] != 'O' && s[3] != 'o'))
		return bad_uri(why, whylen, "invalid uri");
	for (i = 4; i < n && is_alpha(s[i]); i++)
		;
	if (i >= n || s[i] != ':')
		return bad_uri(why, whylen, "invalid uri");
	if (i >= sizeof(u->protocol)) {
		/* Longer than any valid protocol: not one of them. */
		return bad_uri(why, whylen, "invalid uri (protocol)");
	}
	for (k = 0; k < i; k++)
		u->protocol[k] = (char)(s[k] >= 'a' && s[k] <= 'z' ?
		    s[k] - 32 : s[k]);
	u->protocol[i] = '\0';
	r = (const uint8_t *)s + i + 1;
	e = (const uint8_t *)s + n;
	rlen = (size_t)(e - r);
	/* "$" matches at the end and before a final newline. */
	end2 = rlen > 0 && r[rlen - 1] == '\n' ? rlen - 1 : rlen;
	/*
	 * (?P<object>\S+?)(@(?P<location>.+))?$ : the shortest run of
	 * non-blanks after which either "@" and one or more non-newline
	 * characters reach "$", or "$" itself.
	 */
	for (i = 0; i < rlen;) {
		if ((k = utf8_decode(r + i, rlen - i, &cp)) == 0 ||
		    uni_isspace(cp))
			return bad_uri(why, whylen, "invalid uri");
		i += k;
		if (i < rlen && r[i] == '@' && i + 1 < rlen) {
			const uint8_t *nl = memchr(r + i + 1, '\n',
			    rlen - i - 1);
			size_t j = nl != NULL ? (size_t)(nl - r) : rlen;

			if (j > i + 1 && (j == rlen || j == end2)) {
				loc = (const char *)r + i + 1;
				loclen = j - i - 1;
				break;
			}
		}
		if (i == rlen || i == end2)
			break;
	}
	if (i == 0)
		return bad_uri(why, whylen, "invalid uri");
	u->object = (const char *)r;
	u->objlen = i;
	if (strcmp(u->protocol, "PYRONAME") == 0 ||
	    strcmp(u->protocol, "PYROMETA") == 0) {
		if (loc == NULL)
			return 0;
		return parse_location(loc, loclen, PYRO_NS_PORT, u, why,
		    whylen);
	}
	if (strcmp(u->protocol, "PYRO") == 0) {
		if (loc == NULL)
			return bad_uri(why, whylen, "invalid uri");
		return parse_location(loc, loclen, -1, u, why, whylen);
	}
	return bad_uri(why, whylen, "invalid uri (protocol)");
}

static struct sval *
opt_str(struct sv_arena *a, const char *p, size_t n)
{
	return p != NULL ? sv_str(a, p, n) : sv_new(a, SV_NONE);
}

struct sval *
pyro_uri_value(struct sv_arena *a, const struct pyro_uri *u)
{
	return pyro_uri_value_cls(a, u, "Pyro5.core.URI");
}

struct sval *
pyro_uri_value_cls(struct sv_arena *a, const struct pyro_uri *u,
    const char *cls)
{
	struct sval	*d, *st, *obj, *m, *x;
	const char	*p, *c, *end;

	if ((d = sv_new(a, SV_DICT)) == NULL ||
	    (st = sv_new(a, SV_TUPLE)) == NULL ||
	    sv_dict_set(a, d, "__class__", sv_cstr(a, cls)) == -1 ||
	    sv_dict_set(a, d, "state", st) == -1)
		return NULL;
	if ((x = sv_cstr(a, u->protocol)) == NULL)
		return NULL;
	sv_append(st, x);
	if (strcmp(u->protocol, "PYROMETA") == 0) {
		/* set(m.strip() for m in object.split(",")) */
		if ((obj = sv_new(a, SV_SET)) == NULL)
			return NULL;
		for (p = u->object, end = p + u->objlen; p <= end; p = c + 1) {
			const char *b, *q;
			struct sval *it;
			int dup = 0;

			c = memchr(p, ',', (size_t)(end - p));
			if (c == NULL)
				c = end;
			for (b = p; b < c && (*b == ' ' || *b == '\t' ||
			    *b == '\n' || *b == '\r' || *b == '\f' ||
			    *b == '\v'); b++)
				;
			for (q = c; q > b && (q[-1] == ' ' || q[-1] == '\t' ||
			    q[-1] == '\n' || q[-1] == '\r' || q[-1] == '\f' ||
			    q[-1] == '\v'); q--)
				;
			for (it = obj->u.l.first; it != NULL; it = it->next)
				if (it->u.s.len == (size_t)(q - b) &&
				    memcmp(it->u.s.p, b, it->u.s.len) == 0)
					dup = 1;
			if (!dup) {
				if ((m = sv_str(a, b, (size_t)(q - b))) == NULL)
					return NULL;
				sv_append(obj, m);
			}
		}
	} else if ((obj = sv_str(a, u->object, u->objlen)) == NULL)
		return NULL;
	sv_append(st, obj);
	if ((x = opt_str(a, u->sockname, u->socklen)) == NULL)
		return NULL;
	sv_append(st, x);
	if ((x = opt_str(a, u->host, u->hostlen)) == NULL)
		return NULL;
	sv_append(st, x);
	if ((x = u->has_port ? sv_int(a, u->port) : sv_new(a, SV_NONE)) == NULL)
		return NULL;
	sv_append(st, x);
	return d;
}

int
pyro_uri_state_str(const struct sval *st, struct sbuf *b, char *why,
    size_t whylen)
{
	const struct sval	*proto, *obj, *sock, *host, *port, *it;
	char			 num[32];

	if (st == NULL || (st->type != SV_TUPLE && st->type != SV_LIST) ||
	    st->n != 5) {
		(void)snprintf(why, whylen, "URI state must be a "
		    "(protocol, object, sockname, host, port) tuple");
		return -1;
	}
	proto = st->u.l.first;
	obj = proto->next;
	sock = obj->next;
	host = sock->next;
	port = host->next;
	if (proto->type != SV_STR) {
		(void)snprintf(why, whylen, "URI protocol must be a str");
		return -1;
	}
	sbuf_add(b, proto->u.s.p, proto->u.s.len);
	sbuf_addch(b, ':');
	if (sv_is_str(proto, "PYROMETA") && obj->type != SV_STR) {
		if (obj->type != SV_SET && obj->type != SV_TUPLE &&
		    obj->type != SV_LIST) {
			(void)snprintf(why, whylen, "can only join an iterable");
			return -1;
		}
		for (it = obj->u.l.first; it != NULL; it = it->next) {
			if (it->type != SV_STR) {
				(void)snprintf(why, whylen,
				    "sequence item: expected str instance");
				return -1;
			}
			sbuf_add(b, it->u.s.p, it->u.s.len);
			if (it->next != NULL)
				sbuf_addch(b, ',');
		}
	} else if (obj->type == SV_STR)
		sbuf_add(b, obj->u.s.p, obj->u.s.len);
	else {
		(void)snprintf(why, whylen, "can only concatenate str to str");
		return -1;
	}
	if (host->type == SV_STR && host->u.s.len > 0) {
		if (port->type != SV_INT) {
			(void)snprintf(why, whylen, "%%d format: a real number "
			    "is required");
			return -1;
		}
		sbuf_addch(b, '@');
		if (memchr(host->u.s.p, ':', host->u.s.len) != NULL) {
			sbuf_addch(b, '[');
			sbuf_add(b, host->u.s.p, host->u.s.len);
			sbuf_addch(b, ']');
		} else
			sbuf_add(b, host->u.s.p, host->u.s.len);
		(void)snprintf(num, sizeof(num), ":%lld",
		    (long long)port->u.i);
		sbuf_addc(b, num);
	} else if (sock->type == SV_STR && sock->u.s.len > 0) {
		sbuf_addc(b, "@./u:");
		sbuf_add(b, sock->u.s.p, sock->u.s.len);
	} else if (host->type != SV_NONE && host->type != SV_STR) {
		(void)snprintf(why, whylen, "URI host must be a str or None");
		return -1;
	}
	return b->failed ? -1 : 0;
}
