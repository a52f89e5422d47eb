/*
 * parse_form.c - the api's small parsers of untrusted HTTP input (see
 * parse_http.h): application/x-www-form-urlencoded bodies (login and
 * register), the Cookie header, query-string integers and booleans, and
 * 24-hex-digit ids in paths.
 *
 * Trust: everything here comes straight from a VPN peer's request.  No
 * allocation without a cap (the body is already capped by api_max_body
 * and FORM_FIELDS_MAX bounds the fields), no unbounded copy.  Fuzzed by
 * fuzz/fuzz_api_form.c and friends.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_http.h"
#include "banned.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) ('+' as space, %XX) into a new NUL-terminated string;
 * *outlen gets the decoded length.  NULL on a bad escape or no memory. */
static char *
form_decode(const char *s, size_t n, size_t *outlen)
{
	char	*out;
	size_t	 i, o = 0;
	int	 hi, lo;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= n || (hi = hexval((unsigned char)s[i +
			    1])) < 0 || (lo = hexval((unsigned char)s[i +
			    2])) < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

int
form_parse(const char *body, size_t len, struct form *f)
{
	size_t	i = 0, start, eq, nlen, vlen;
	char	*name, *value;

	memset(f, 0, sizeof(*f));
	while (i < len) {
		start = i;
		while (i < len && body[i] != '&')
			i++;
		/* body[start..i) is one "name=value" (empty pairs skipped,
		 * as every form decoder does). */
		if (i > start) {
			for (eq = start; eq < i && body[eq] != '='; eq++)
				;
			if (f->n == FORM_FIELDS_MAX)
				goto bad;
			name = form_decode(body + start, eq - start, &nlen);
			if (name == NULL)
				goto bad;
			if (strlen(name) != nlen) {	/* NUL in a name */
				free(name);
				goto bad;
			}
			value = form_decode(body + (eq < i ? eq + 1 : i),
			    eq < i ? i - eq - 1 : 0, &vlen);
			if (value == NULL) {
				free(name);
				goto bad;
			}
			f->f[f->n].name = name;
			f->f[f->n].value = value;
			f->f[f->n].vlen = vlen;
			f->n++;
		}
		if (i < len)
			i++;	/* the '&' */
	}
	return 0;
bad:
	form_free(f);
	return -1;
}

const char *
form_get(const struct form *f, const char *name, size_t *vlen)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, name) == 0) {
			if (vlen != NULL)
				*vlen = f->f[i].vlen;
			return f->f[i].value;
		}
	return NULL;
}

void
form_free(struct form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n && i < FORM_FIELDS_MAX; i++) {
		if (f->f[i].value != NULL) {
			explicit_bzero(f->f[i].value, f->f[i].vlen);
			free(f->f[i].value);
		}
		free(f->f[i].name);
	}
	memset(f, 0, sizeof(*f));
}

/*
 * Cookie: name=value; name2=value2 (RFC 6265 5.4; values may be
 * double-quoted).  Malformed pairs (no '=') are skipped as browsers do,
 * but a matching value that does not fit out is an error.
 */
int
cookie_get(const char *hdr, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t	i = 0, ks, ke, vs, ve, nl = strlen(name);

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	while (i < len) {
		while (i < len && (hdr[i] == ' ' || hdr[i] == '\t' ||
		    hdr[i] == ';'))
			i++;
		ks = i;
		while (i < len && hdr[i] != '=' && hdr[i] != ';')
			i++;
		if (i >= len || hdr[i] != '=') {
			continue;	/* no value: skip this pair */
		}
		ke = i;
		while (ke > ks && (hdr[ke - 1] == ' ' || hdr[ke - 1] == '\t'))
			ke--;
		vs = ++i;
		while (i < len && hdr[i] != ';')
			i++;
		ve = i;
		while (vs < ve && (hdr[vs] == ' ' || hdr[vs] == '\t'))
			vs++;
		while (ve > vs && (hdr[ve - 1] == ' ' || hdr[ve - 1] == '\t'))
			ve--;
		if (ve - vs >= 2 && hdr[vs] == '"' && hdr[ve - 1] == '"') {
			vs++;
			ve--;
		}
		if (ke - ks == nl && memcmp(hdr + ks, name, nl) == 0) {
			size_t k;

			if (ve - vs >= outlen)
				return -1;
			for (k = vs; k < ve; k++)
				if (hdr[k] == '\0' || (unsigned char)hdr[k] <
				    0x20 || hdr[k] == 0x7f)
					return -1;
			memcpy(out, hdr + vs, ve - vs);
			out[ve - vs] = '\0';
			return 1;
		}
	}
	return 0;
}

int
query_int(const char *s, long long min, long long max, long long *out)
{
	const char	*p = s;
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return -1;
	if (*p == '+' || *p == '-')
		p++;
	if (*p == '\0')
		return -1;
	for (; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
query_bool(const char *s, int *out)
{
	static const char *const t[] = { "true", "1", "yes", "on", NULL };
	static const char *const f[] = { "false", "0", "no", "off", NULL };
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; t[i] != NULL; i++)
		if (strcasecmp(s, t[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; f[i] != NULL; i++)
		if (strcasecmp(s, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	return -1;
}

/* n decimal digits at s in [lo, hi]: the value, or -1. */
static int
digits(const char *s, int n, int lo, int hi)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

int
iso_datetime(const char *s, char *out, size_t outlen)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	size_t	n = strnlen(s, 40), i = 16;
	int	y, mo, d, f;

	if (n < 16 || n >= 40 || n + 1 > outlen)
		return -1;
	if ((y = digits(s, 4, 1, 9999)) == -1 || s[4] != '-' ||
	    (mo = digits(s + 5, 2, 1, 12)) == -1 || s[7] != '-' ||
	    (d = digits(s + 8, 2, 1, mdays[mo - 1])) == -1 ||
	    (s[10] != 'T' && s[10] != ' ') ||
	    digits(s + 11, 2, 0, 23) == -1 || s[13] != ':' ||
	    digits(s + 14, 2, 0, 59) == -1)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	if (i < n && s[i] == ':') {
		if (digits(s + i + 1, 2, 0, 59) == -1)
			return -1;
		i += 3;
		if (i < n && s[i] == '.') {
			for (f = 0, i++; i < n && s[i] >= '0' && s[i] <= '9';
			    i++)
				f++;
			if (f < 1 || f > 6)
				return -1;
		}
	}
	if (i < n && s[i] == 'Z')
		i++;
	else if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (i + 6 > n || digits(s + i + 1, 2, 0, 23) == -1 ||
		    s[i + 3] != ':' || digits(s + i + 4, 2, 0, 59) == -1)
			return -1;
		i += 6;
	}
	if (i != n)
		return -1;
	memcpy(out, s, n);
	out[10] = 'T';
	out[n] = '\0';
	return 0;
}
