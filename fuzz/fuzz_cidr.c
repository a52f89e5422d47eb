/*
 * fuzz_cidr.c - fuzzes cidr_parse_list() (lib/parse_cidr.c), the parser
 * of ns_autoclean_nets, the networks the nameserver may ever connect to.
 *
 * Input: the list's text.  An accepted list must hold at most CIDR_MAX
 * networks, each with a prefix in range and no host bits set; its
 * formatted text must parse again to the same set (round trip); every
 * network must contain its own address.  A refused one must leave a
 * NUL-terminated reason.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr_set	 set, again;
	char		 err[256], text[CIDR_MAX * 48];
	size_t		 i, j, bits;

	memset(err, 'x', sizeof(err));
	if (cidr_parse_list((const char *)data, size, &set, err,
	    sizeof(err)) == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (set.n > CIDR_MAX)
		abort();
	for (i = 0; i < set.n; i++) {
		const struct cidr *c = &set.net[i];

		bits = c->family == AF_INET ? 32 : 128;
		if ((c->family != AF_INET && c->family != AF_INET6) ||
		    c->prefix < 1 || c->prefix > bits)
			abort();
		for (j = c->prefix; j < bits; j++)	/* host bits zero */
			if (c->addr[j / 8] & (0x80 >> (j % 8)))
				abort();
		if (!cidr_contains(&set, c->family, c->addr))
			abort();
	}
	cidr_format(&set, text, sizeof(text));
	if (cidr_parse_list(text, strlen(text), &again, err,
	    sizeof(err)) == -1 || again.n != set.n)
		abort();
	for (i = 0; i < set.n; i++)
		if (again.net[i].family != set.net[i].family ||
		    again.net[i].prefix != set.net[i].prefix ||
		    memcmp(again.net[i].addr, set.net[i].addr, 16) != 0)
			abort();
	return 0;
}
