/*
 * parse_multipart.c - a streaming multipart/form-data parser (RFC 7578,
 * RFC 2046 section 5.1) for the api's two upload endpoints.
 *
 * Trust: everything here is client input from the network (the request's
 * Content-Type header and body), parsed in the unprivileged api process
 * before anything is stored.  The parser never allocates after
 * multipart_new(): one fixed structure holds the delimiter, one part's
 * header block (at most MP_HDR_MAX bytes) and the decoded names.  Part
 * bodies are never buffered: bytes go to the part_data callback as they
 * arrive, except for at most one delimiter's worth that might be the
 * start of the next boundary; those are replayed from the delimiter
 * itself when they turn out to be data.  Any chunking of the same input
 * gives the same callbacks (fuzz/fuzz_api_multipart.c checks it).
 *
 * What is accepted:
 *  - Content-Type "multipart/form-data" (any case) with one boundary
 *    parameter, a token or a quoted-string, 1..70 RFC 2046 bchars, not
 *    ending in a space; other parameters are ignored.
 *  - A preamble before the first boundary (which may also open the body
 *    without a CRLF before it) and an epilogue after the closing one are
 *    ignored.  After a boundary: optional spaces/tabs, then CRLF; the
 *    closing boundary is exactly "--" after the delimiter.  A body that
 *    ends before the closing boundary fails in multipart_finish().
 *  - Part headers end with CRLF (a bare CR or LF, NUL, and obsolete line
 *    folding are refused), a header block is at most MP_HDR_MAX bytes, a
 *    body at most MP_PARTS_MAX parts.  Content-Disposition is required,
 *    once, of type form-data, with a name parameter; filename is
 *    optional; both as token or quoted-string.  Inside quotes, \\ and \"
 *    are unescaped and any other backslash is kept, as Python's email
 *    package (Starlette's python-multipart) does; %22 (how browsers and
 *    urllib3 2 send a quote) is not decoded, as there.  filename* (RFC
 *    5987) is ignored: RFC 7578 4.2 forbids it in form-data.
 *    Content-Type is optional, once; Content-Transfer-Encoding, when
 *    present, must be 7bit, 8bit or binary (nothing is decoded); other
 *    headers are ignored.  Names and values are at most MP_NAME_MAX - 1
 *    bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "parse_http.h"
#include "util.h"
#include "banned.h"

#define MP_BOUNDARY_MAX	70
#define MP_DELIM_MAX	(4 + MP_BOUNDARY_MAX)	/* CRLF "--" boundary */
#define MP_HDR_MAX	8192	/* one part's header block, CRLFs included */
#define MP_PARTS_MAX	128

enum mp_state {
	MS_PREAMBLE,	/* looking for the first delimiter */
	MS_AFTER,	/* a delimiter matched: "--", padding or CRLF next */
	MS_DASH2,	/* one '-' after the delimiter: the second must come */
	MS_PAD,		/* transport padding after a delimiter */
	MS_LF,		/* CR after a delimiter: LF must come */
	MS_HEADERS,	/* a part's header block */
	MS_BODY,	/* a part's body */
	MS_EPILOGUE,	/* after the closing delimiter */
	MS_ERROR,
};

struct multipart {
	struct mp_callbacks	 cb;
	void			*arg;
	enum mp_state		 st;
	const char		*err;
	uint8_t			 delim[MP_DELIM_MAX];
	size_t			 dlen;
	size_t			 match;		/* delimiter bytes matched */
	size_t			 nparts;
	size_t			 hlen;
	char			 hdr[MP_HDR_MAX];
	char			 name[MP_NAME_MAX];
	char			 filename[MP_NAME_MAX];
	char			 ctype[MP_NAME_MAX];
};

/* ---- small lexical helpers ------------------------------------------ */

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 7230 tchar. */
static int
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2046 bchars (the space is checked separately). */
static int
is_bchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

static void
skip_ows(const char *s, size_t len, size_t *i)
{
	while (*i < len && is_ows(s[*i]))
		(*i)++;
}

/* A token at s[*i]: its length (0 if none); *i moves past it. */
static size_t
lex_token(const char *s, size_t len, size_t *i)
{
	size_t start = *i;

	while (*i < len && is_tchar((unsigned char)s[*i]))
		(*i)++;
	return *i - start;
}

/*
 * A parameter value at s[*i]: a quoted-string (\\ and \" unescaped, other
 * backslashes kept) or an unquoted run up to ';' or white space, into out
 * (NUL-terminated).  0, or -1 when unterminated, holding a NUL, or too
 * long for out.
 */
static int
lex_value(const char *s, size_t len, size_t *i, char *out, size_t outlen)
{
	size_t	o = 0;
	char	c;

	if (*i < len && s[*i] == '"') {
		(*i)++;
		for (;;) {
			if (*i >= len)
				return -1;	/* no closing quote */
			c = s[(*i)++];
			if (c == '"')
				break;
			if (c == '\\' && *i < len &&
			    (s[*i] == '\\' || s[*i] == '"'))
				c = s[(*i)++];
			if (c == '\0' || o + 1 >= outlen)
				return -1;
			out[o++] = c;
		}
	} else {
		while (*i < len && s[*i] != ';' && !is_ows(s[*i])) {
			c = s[(*i)++];
			if (c == '\0' || c == '"' || o + 1 >= outlen)
				return -1;
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return 0;
}

/* ---- the Content-Type header ---------------------------------------- */

/*
 * The boundary of a Content-Type header value ctype into out (at least
 * MP_BOUNDARY_MAX + 1 bytes).  NULL, or the reason for refusing.
 */
static const char *
ctype_boundary(const char *ctype, char *out, size_t outlen)
{
	static const char	 mf[] = "multipart/form-data";
	char			 pname[64], val[MP_NAME_MAX];
	size_t			 len, i = 0, start, n, bl;
	int			 seen = 0;

	if (ctype == NULL)
		return "no Content-Type";
	len = strlen(ctype);
	skip_ows(ctype, len, &i);
	start = i;
	while (i < len && ctype[i] != ';' && !is_ows(ctype[i]))
		i++;
	if (i - start != sizeof(mf) - 1 ||
	    strncasecmp(ctype + start, mf, sizeof(mf) - 1) != 0)
		return "Content-Type is not multipart/form-data";
	for (;;) {
		skip_ows(ctype, len, &i);
		if (i >= len)
			break;
		if (ctype[i++] != ';')
			return "malformed Content-Type parameters";
		skip_ows(ctype, len, &i);
		if (i >= len)
			break;		/* a trailing ';' */
		start = i;
		if ((n = lex_token(ctype, len, &i)) == 0)
			return "malformed Content-Type parameters";
		if (n >= sizeof(pname))
			return "malformed Content-Type parameters";
		memcpy(pname, ctype + start, n);
		pname[n] = '\0';
		skip_ows(ctype, len, &i);
		if (i >= len || ctype[i++] != '=')
			return "malformed Content-Type parameters";
		skip_ows(ctype, len, &i);
		if (lex_value(ctype, len, &i, val, sizeof(val)) == -1)
			return "malformed Content-Type parameters";
		if (strcasecmp(pname, "boundary") != 0)
			continue;
		if (seen++)
			return "more than one boundary parameter";
		bl = strlen(val);
		if (bl < 1 || bl > MP_BOUNDARY_MAX || bl >= outlen)
			return "boundary must be 1 to 70 characters";
		for (n = 0; n < bl; n++)
			if (!is_bchar((unsigned char)val[n]))
				return "boundary holds a character RFC 2046 "
				    "does not allow";
		if (val[bl - 1] == ' ')
			return "boundary ends in a space";
		memcpy(out, val, bl + 1);
	}
	if (!seen)
		return "Content-Type has no boundary";
	return NULL;
}

/* ---- part headers ---------------------------------------------------- */

/* Content-Disposition: form-data; name=...; filename=... */
static const char *
parse_disposition(struct multipart *mp, const char *v, size_t len,
    int *has_filename)
{
	char	pname[64], val[MP_NAME_MAX];
	size_t	i = 0, start, n;
	int	has_name = 0;

	start = i;
	n = lex_token(v, len, &i);
	if (n != 9 || strncasecmp(v + start, "form-data", 9) != 0)
		return "part is not form-data";
	for (;;) {
		skip_ows(v, len, &i);
		if (i >= len)
			break;
		if (v[i++] != ';')
			return "malformed Content-Disposition";
		skip_ows(v, len, &i);
		if (i >= len)
			break;
		start = i;
		if ((n = lex_token(v, len, &i)) == 0 || n >= sizeof(pname))
			return "malformed Content-Disposition";
		memcpy(pname, v + start, n);
		pname[n] = '\0';
		skip_ows(v, len, &i);
		if (i >= len || v[i++] != '=')
			return "malformed Content-Disposition";
		skip_ows(v, len, &i);
		if (lex_value(v, len, &i, val, sizeof(val)) == -1)
			return "malformed or too long Content-Disposition "
			    "parameter";
		if (strcasecmp(pname, "name") == 0) {
			if (has_name++)
				return "part has two names";
			(void)strlcpy(mp->name, val, sizeof(mp->name));
		} else if (strcasecmp(pname, "filename") == 0) {
			if ((*has_filename)++)
				return "part has two file names";
			(void)strlcpy(mp->filename, val, sizeof(mp->filename));
		}
		/* Anything else (filename* included) is ignored. */
	}
	if (!has_name)
		return "part has no name";
	return NULL;
}

/* The header block hdr[0..hlen), every line ending in CRLF, the empty
 * line excluded.  NULL, or the reason for refusing. */
static const char *
parse_headers(struct multipart *mp, int *has_filename)
{
	const char	*h = mp->hdr, *line, *v, *why;
	size_t		 end = mp->hlen - 2, i = 0, llen, nlen, vlen, k;
	int		 has_cd = 0, has_ct = 0;

	mp->name[0] = mp->filename[0] = mp->ctype[0] = '\0';
	*has_filename = 0;
	while (i < end) {
		line = h + i;
		for (llen = 0; i + llen < end; llen++) {
			char c = line[llen];

			if (c == '\r' && i + llen + 1 < mp->hlen &&
			    line[llen + 1] == '\n')
				break;
			if (c == '\r' || c == '\n')
				return "bare CR or LF in part headers";
			if (c == '\0')
				return "NUL in part headers";
		}
		i += llen + 2;
		if (llen == 0 || is_ows(line[0]))
			return "malformed part header line";
		for (nlen = 0; nlen < llen && line[nlen] != ':'; nlen++)
			if (!is_tchar((unsigned char)line[nlen]))
				return "malformed part header name";
		if (nlen == 0 || nlen == llen)
			return "malformed part header line";
		v = line + nlen + 1;
		vlen = llen - nlen - 1;
		while (vlen > 0 && is_ows(v[0])) {
			v++;
			vlen--;
		}
		while (vlen > 0 && is_ows(v[vlen - 1]))
			vlen--;
		if (nlen == 19 &&
		    strncasecmp(line, "Content-Disposition", 19) == 0) {
			if (has_cd++)
				return "two Content-Disposition headers";
			if ((why = parse_disposition(mp, v, vlen,
			    has_filename)) != NULL)
				return why;
		} else if (nlen == 12 &&
		    strncasecmp(line, "Content-Type", 12) == 0) {
			if (has_ct++)
				return "two Content-Type headers";
			if (vlen >= sizeof(mp->ctype))
				return "part Content-Type too long";
			memcpy(mp->ctype, v, vlen);
			mp->ctype[vlen] = '\0';
		} else if (nlen == 25 &&
		    strncasecmp(line, "Content-Transfer-Encoding", 25) == 0) {
			static const char *const ok[] = { "7bit", "8bit",
			    "binary" };

			for (k = 0; k < 3; k++)
				if (vlen == strlen(ok[k]) &&
				    strncasecmp(v, ok[k], vlen) == 0)
					break;
			if (k == 3)
				return "unsupported Content-Transfer-Encoding";
		}
	}
	if (!has_cd)
		return "part without Content-Disposition";
	return NULL;
}

/* ---- the state machine ---------------------------------------------- */

static int
fail(struct multipart *mp, const char *why)
{
	mp->st = MS_ERROR;
	if (mp->err == NULL)
		mp->err = why;
	return -1;
}

static int
emit(struct multipart *mp, const uint8_t *p, size_t n)
{
	if (n == 0 || mp->cb.part_data == NULL)
		return 0;
	if (mp->cb.part_data(mp->arg, p, n) != 0)
		return fail(mp, "part data refused");
	return 0;
}

/* The end of a header block: tell the receiver a part begins. */
static int
headers_done(struct multipart *mp)
{
	const char	*why;
	int		 has_fn;

	if ((why = parse_headers(mp, &has_fn)) != NULL)
		return fail(mp, why);
	if (mp->cb.part_begin != NULL && mp->cb.part_begin(mp->arg,
	    mp->name, has_fn ? mp->filename : NULL, mp->ctype) != 0)
		return fail(mp, "part refused");
	mp->st = MS_BODY;
	mp->match = 0;
	return 0;
}

/* Body bytes: data up to a delimiter.  Returns the bytes consumed (all
 * of them unless a delimiter ended the part), or -1. */
static ssize_t
feed_body(struct multipart *mp, const uint8_t *p, size_t n)
{
	size_t		 i = 0;
	const uint8_t	*cr;

	while (i < n) {
		if (mp->match == 0) {
			cr = memchr(p + i, '\r', n - i);
			if (cr == NULL) {
				if (emit(mp, p + i, n - i) == -1)
					return -1;
				return (ssize_t)n;
			}
			if (emit(mp, p + i, (size_t)(cr - (p + i))) == -1)
				return -1;
			i = (size_t)(cr - p) + 1;
			mp->match = 1;
			continue;
		}
		if (p[i] == mp->delim[mp->match]) {
			i++;
			if (++mp->match == mp->dlen) {
				mp->match = 0;
				mp->st = MS_AFTER;
				if (mp->cb.part_end != NULL &&
				    mp->cb.part_end(mp->arg) != 0)
					return fail(mp, "part end refused");
				return (ssize_t)i;
			}
			continue;
		}
		/*
		 * Not a delimiter after all: the held-back bytes were data.
		 * '\r' occurs in the delimiter only at its start, so no
		 * later delimiter can begin inside them; p[i] is looked at
		 * again from state 0.
		 */
		if (emit(mp, mp->delim, mp->match) == -1)
			return -1;
		mp->match = 0;
	}
	return (ssize_t)i;
}

/* Preamble bytes: the same search, everything discarded. */
static size_t
feed_preamble(struct multipart *mp, const uint8_t *p, size_t n)
{
	size_t		 i = 0;
	const uint8_t	*cr;

	while (i < n) {
		if (mp->match == 0) {
			if ((cr = memchr(p + i, '\r', n - i)) == NULL)
				return n;
			i = (size_t)(cr - p) + 1;
			mp->match = 1;
			continue;
		}
		if (p[i] == mp->delim[mp->match]) {
			i++;
			if (++mp->match == mp->dlen) {
				mp->match = 0;
				mp->st = MS_AFTER;
				return i;
			}
			continue;
		}
		mp->match = 0;
	}
	return i;
}

int
multipart_feed(struct multipart *mp, const uint8_t *p, size_t n)
{
	size_t	i = 0;
	ssize_t	r;
	uint8_t	c;

	if (mp->st == MS_ERROR)
		return -1;
	while (i < n) {
		switch (mp->st) {
		case MS_PREAMBLE:
			i += feed_preamble(mp, p + i, n - i);
			break;
		case MS_BODY:
			if ((r = feed_body(mp, p + i, n - i)) == -1)
				return -1;
			i += (size_t)r;
			break;
		case MS_AFTER:
			c = p[i++];
			if (c == '-')
				mp->st = MS_DASH2;
			else if (c == '\r')
				mp->st = MS_LF;
			else if (is_ows((char)c))
				mp->st = MS_PAD;
			else
				return fail(mp, "junk after a boundary");
			break;
		case MS_DASH2:
			if (p[i++] != '-')
				return fail(mp, "junk after a boundary");
			mp->st = MS_EPILOGUE;
			break;
		case MS_PAD:
			c = p[i++];
			if (c == '\r')
				mp->st = MS_LF;
			else if (!is_ows((char)c))
				return fail(mp, "junk after a boundary");
			break;
		case MS_LF:
			if (p[i++] != '\n')
				return fail(mp, "boundary line not ended by "
				    "CRLF");
			if (++mp->nparts > MP_PARTS_MAX)
				return fail(mp, "too many parts");
			mp->st = MS_HEADERS;
			mp->hlen = 0;
			break;
		case MS_HEADERS:
			if (mp->hlen >= sizeof(mp->hdr))
				return fail(mp, "part headers too large");
			c = p[i++];
			mp->hdr[mp->hlen++] = (char)c;
			if (c == '\n' && mp->hlen >= 2 &&
			    mp->hdr[mp->hlen - 2] == '\r' && (mp->hlen == 2 ||
			    (mp->hlen >= 4 && mp->hdr[mp->hlen - 3] == '\n' &&
			    mp->hdr[mp->hlen - 4] == '\r'))) {
				if (mp->hlen == 2)
					return fail(mp, "part without "
					    "Content-Disposition");
				if (headers_done(mp) == -1)
					return -1;
			}
			break;
		case MS_EPILOGUE:
			return 0;	/* ignored */
		case MS_ERROR:
			return -1;
		}
	}
	return 0;
}

struct multipart *
multipart_new(const char *ctype, const struct mp_callbacks *cb, void *arg,
    const char **why)
{
	struct multipart	*mp;
	char			 b[MP_BOUNDARY_MAX + 1];
	const char		*w;
	size_t			 bl;

	if ((w = ctype_boundary(ctype, b, sizeof(b))) != NULL) {
		if (why != NULL)
			*why = w;
		return NULL;
	}
	if ((mp = calloc(1, sizeof(*mp))) == NULL) {
		if (why != NULL)
			*why = "out of memory";
		return NULL;
	}
	if (cb != NULL)
		mp->cb = *cb;
	mp->arg = arg;
	bl = strlen(b);
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, b, bl);
	mp->dlen = 4 + bl;
	/* The first boundary may open the body: act as if a CRLF came. */
	mp->st = MS_PREAMBLE;
	mp->match = 2;
	return mp;
}

int
multipart_finish(struct multipart *mp)
{
	if (mp->st == MS_EPILOGUE)
		return 0;
	return fail(mp, "body ended before the closing boundary");
}

const char *
multipart_error(const struct multipart *mp)
{
	if (mp == NULL)
		return "no parser";
	return mp->err != NULL ? mp->err : "no error";
}

void
multipart_free(struct multipart *mp)
{
	free(mp);
}
