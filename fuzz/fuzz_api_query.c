/*
 * fuzz_api_query.c - fuzzes the query and path value readers of
 * services/api/parse_form.c: query_int() (page, pageSize, num_limit,
 * version), query_bool() and util_hex24(), each against an independent
 * reference written here.
 *
 * Input: the string (up to the first NUL, at most 256 bytes).  query_int is tried with a few ranges; its result must
 * agree with the reference (optional sign, digits only, value computed
 * with overflow checks, inside the range), and *out must be untouched on
 * failure.  No I/O, no global state.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse_http.h"
#include "util.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The reference: 0 with *out, or -1. */
static int
ref_int(const char *s, long long min, long long max, long long *out)
{
	const char	*p = s;
	long long	 v = 0;
	int		 neg = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (*p == '\0')
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, neg ? -(*p - '0') : *p - '0', &v))
			return -1;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int
ref_bool(const char *s, int *out)
{
	static const char *const w[] = { "true", "1", "yes", "on", "false",
	    "0", "no", "off" };
	char	l[8];
	size_t	i, n = strlen(s);

	if (n == 0 || n >= sizeof(l))
		return -1;
	for (i = 0; i <= n; i++)
		l[i] = lower(s[i]);
	for (i = 0; i < 8; i++)
		if (strcmp(l, w[i]) == 0) {
			*out = i < 4;
			return 0;
		}
	return -1;
}

static int
ref_hex24(const char *s)
{
	size_t i;

	if (strlen(s) != 24)
		return 0;
	for (i = 0; i < 24; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long long ranges[][2] = { { LLONG_MIN, LLONG_MAX },
	    { 1, 1000 }, { -1, INT_MAX }, { 0, 0 }, { -5, -2 } };
	char		 s[257];
	long long	 v, rv;
	size_t		 n, i;
	int		 a, b, ba, bb;

	n = strnlen((const char *)data, size);
	if (n > 256)
		n = 256;
	memcpy(s, data, n);
	s[n] = '\0';
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		v = rv = 0x5a5a5a5a;
		a = query_int(s, ranges[i][0], ranges[i][1], &v);
		b = ref_int(s, ranges[i][0], ranges[i][1], &rv);
		if (a != b || v != rv)
			abort();
	}
	ba = bb = 7;
	a = query_bool(s, &ba);
	b = ref_bool(s, &bb);
	if (a != b || ba != bb)
		abort();
	if (util_hex24(s) != ref_hex24(s))
		abort();
	return 0;
}
