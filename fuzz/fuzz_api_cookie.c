/*
 * fuzz_api_cookie.c - fuzzes cookie_get() (services/api/parse_form.c),
 * which reads the access_token cookie from a client's Cookie header.
 *
 * Input: one byte choosing the cookie name (a few fixed ones, or the
 * next 1..8 input bytes up to a NUL), one byte for the output size, then
 * the header (not NUL-terminated).  Checks: the result is -1, 0 or 1; on
 * 1 the value is NUL-terminated within out, holds no control character
 * and occurs in the header; on 0 out is ""; a larger buffer never turns
 * a found value into another one.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse_http.h"
#include "util.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = { "access_token", "t", "a b", "",
	    "=", ";" };
	char		 name[16], small[256], big[4096 + 1];
	const char	*hdr;
	size_t		 len, outlen, i, nl;
	int		 r, r2;

	if (size < 2 || size > 64 * 1024)
		return 0;
	if (data[0] < 6 * 32) {
		(void)strlcpy(name, fixed[data[0] / 32], sizeof(name));
		data++;
		size--;
	} else {
		data++;
		size--;
		for (nl = 0; nl < 8 && nl < size && data[nl] != 0; nl++)
			name[nl] = (char)data[nl];
		name[nl] = '\0';
		if (nl < size)
			nl++;
		data += nl;
		size -= nl;
		if (size == 0)
			return 0;
	}
	outlen = 1 + data[0] % sizeof(small);
	hdr = (const char *)data + 1;
	len = size - 1;
	memset(small, 'x', sizeof(small));
	r = cookie_get(hdr, len, name, small, outlen);
	if (r < -1 || r > 1)
		abort();
	if (r == 1) {
		size_t vl = strnlen(small, outlen);

		if (vl == outlen)
			abort();
		for (i = 0; i < vl; i++)
			if ((unsigned char)small[i] < 0x20 || small[i] == 0x7f)
				abort();
		if (vl > len || (vl > 0 && memmem(hdr, len, small, vl) == NULL))
			abort();
	} else if (r == 0 && small[0] != '\0')
		abort();
	r2 = cookie_get(hdr, len, name, big, sizeof(big));
	if (r == 1 && (r2 != 1 || strcmp(small, big) != 0))
		abort();
	if (r == 0 && r2 != 0)
		abort();
	if (cookie_get(hdr, len, name, big, 0) != -1)
		abort();
	return 0;
}
