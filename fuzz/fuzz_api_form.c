/*
 * fuzz_api_form.c - fuzzes form_parse(), form_get() and form_free()
 * (services/api/parse_form.c), the application/x-www-form-urlencoded
 * reader of POST /api/login and /api/register.
 *
 * The input is the body.  On success: at most FORM_FIELDS_MAX fields,
 * names NUL-terminated with no NUL inside, values NUL-terminated at vlen,
 * no more decoded bytes than input bytes, form_get() finds the first
 * field of each name.  Then every field is percent-encoded again and the
 * result must parse to the same fields (a round trip).  On failure the
 * form is left empty.  form_free() wipes.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse_http.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Percent-encode p[0..n) into out (3n bytes at most); its length. */
static size_t
enc(const char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_')
			out[o++] = (char)c;
		else if (c == ' ')
			out[o++] = '+';
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form	 f, g;
	const char	*v;
	char		*re;
	size_t		 i, j, total = 0, vl, o = 0;

	if (size > 64 * 1024)
		return 0;
	if (form_parse((const char *)data, size, &f) != 0) {
		if (f.n != 0)
			abort();
		return 0;
	}
	if (f.n > FORM_FIELDS_MAX)
		abort();
	for (i = 0; i < f.n; i++) {
		if (f.f[i].name == NULL || f.f[i].value == NULL ||
		    f.f[i].value[f.f[i].vlen] != '\0')
			abort();
		total += strlen(f.f[i].name) + f.f[i].vlen;
		v = form_get(&f, f.f[i].name, &vl);
		for (j = 0; j < i; j++)
			if (strcmp(f.f[j].name, f.f[i].name) == 0)
				break;
		if (v != f.f[j].value || vl != f.f[j].vlen)
			abort();
	}
	if (total > size)
		abort();
	/* Round trip: encode every field, parse again, same fields. */
	if ((re = malloc(3 * size + 2 * f.n + 1)) == NULL)
		abort();
	for (i = 0; i < f.n; i++) {
		if (i > 0)
			re[o++] = '&';
		o += enc(f.f[i].name, strlen(f.f[i].name), re + o);
		re[o++] = '=';
		o += enc(f.f[i].value, f.f[i].vlen, re + o);
	}
	if (form_parse(re, o, &g) != 0)
		abort();
	/* "a" and "a=" both give ("a", ""), but an empty pair is skipped:
	 * a field with an empty name and value comes back as "=". */
	if (g.n != f.n)
		abort();
	for (i = 0; i < f.n; i++)
		if (strcmp(g.f[i].name, f.f[i].name) != 0 ||
		    g.f[i].vlen != f.f[i].vlen ||
		    memcmp(g.f[i].value, f.f[i].value, f.f[i].vlen) != 0)
			abort();
	free(re);
	form_free(&g);
	form_free(&f);
	if (f.n != 0)
		abort();
	form_free(&f);		/* twice is fine */
	return 0;
}
