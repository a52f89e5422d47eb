/*
 * fuzz_nsregex.c - fuzzes the nameserver's regular expressions
 * (services/nameserver/parse_regex.c): compile a pattern a client sent
 * to list()/remove(), then match it against a name.
 *
 * Input: one byte n, then n bytes of pattern, then the subject.  The
 * compiler must either fail with a message or give a program; matching
 * must finish (the Pike VM is linear, so the per-input timeout catches
 * any blow-up).  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsregex.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsre	*re;
	char		 err[256];
	size_t		 n;
	int		 m;

	if (size < 1 || size > 8192)
		return 0;
	n = data[0];
	if (n > size - 1)
		n = size - 1;
	memset(err, 'x', sizeof(err));
	re = nsre_compile((const char *)data + 1, n, err, sizeof(err));
	if (re == NULL) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	m = nsre_match(re, (const char *)data + 1 + n, size - 1 - n);
	if (m != 0 && m != 1)
		abort();
	nsre_free(re);
	return 0;
}
