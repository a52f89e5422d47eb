/*
 * parse_cidr.c - CIDR network lists (see cidr.h).  Strict: numeric
 * addresses through inet_pton (dotted quads only for IPv4), an explicit
 * prefix length, no host bits, no /0 (it would allow every address, which
 * is what the list exists to prevent).  Fuzzed through the config parser's
 * checks; unit-tested in tests/unit/test_cidr.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "banned.h"

static int
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

static int
parse_one(const char *p, size_t n, struct cidr *c, char *err, size_t errlen)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*slash = memchr(p, '/', n);
	uint64_t	 len;
	unsigned	 bits, i;

	if (slash == NULL) {
		(void)snprintf(err, errlen, "\"%.*s\": a network needs a "
		    "prefix length (e.g. 10.0.0.0/24)", (int)(n > 64 ? 64 : n),
		    p);
		return -1;
	}
	if ((size_t)(slash - p) >= sizeof(host) || slash == p) {
		(void)snprintf(err, errlen, "\"%.*s\": not a network",
		    (int)(n > 64 ? 64 : n), p);
		return -1;
	}
	memcpy(host, p, (size_t)(slash - p));
	host[slash - p] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		bits = 128;
	} else {
		(void)snprintf(err, errlen, "\"%s\": not a numeric IPv4 or "
		    "IPv6 address", host);
		return -1;
	}
	if (util_parse_u64(slash + 1, n - (size_t)(slash - p) - 1, 0, bits,
	    &len) == -1) {
		(void)snprintf(err, errlen, "\"%.*s\": prefix length must be "
		    "0-%u", (int)(n > 64 ? 64 : n), p, bits);
		return -1;
	}
	if (len == 0) {
		(void)snprintf(err, errlen, "\"%.*s\": /0 would allow every "
		    "address", (int)(n > 64 ? 64 : n), p);
		return -1;
	}
	c->prefix = (unsigned)len;
	for (i = c->prefix; i < bits; i++)
		if (c->addr[i / 8] & (0x80u >> (i % 8))) {
			(void)snprintf(err, errlen, "\"%.*s\": host bits set "
			    "(the network address is meant)",
			    (int)(n > 64 ? 64 : n), p);
			return -1;
		}
	return 0;
}

int
cidr_parse_list(const char *s, size_t len, struct cidr_set *set, char *err,
    size_t errlen)
{
	const char	*p = s, *e = s + len, *q;

	memset(set, 0, sizeof(*set));
	if (len > CIDR_MAX_TEXT) {
		(void)snprintf(err, errlen, "list too long (at most %d bytes)",
		    CIDR_MAX_TEXT);
		return -1;
	}
	if (memchr(s, '\0', len) != NULL) {
		(void)snprintf(err, errlen, "NUL in list");
		return -1;
	}
	for (;;) {
		while (p < e && is_sep(*p))
			p++;
		if (p == e)
			return 0;
		for (q = p; q < e && !is_sep(*q); q++)
			;
		if (set->n == CIDR_MAX) {
			(void)snprintf(err, errlen, "too many networks (at "
			    "most %d)", CIDR_MAX);
			return -1;
		}
		if (parse_one(p, (size_t)(q - p), &set->net[set->n], err,
		    errlen) == -1)
			return -1;
		set->n++;
		p = q;
	}
}

int
cidr_contains(const struct cidr_set *set, int family, const void *addr)
{
	const uint8_t	*a = addr;
	size_t		 k;
	unsigned	 full, rest;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	for (k = 0; k < set->n; k++) {
		const struct cidr *c = &set->net[k];

		if (c->family != family)
			continue;
		full = c->prefix / 8;
		rest = c->prefix % 8;
		if (memcmp(c->addr, a, full) != 0)
			continue;
		if (rest != 0 && ((a[full] ^ c->addr[full]) &
		    (uint8_t)(0xffu << (8 - rest))) != 0)
			continue;
		return 1;
	}
	return 0;
}

void
cidr_format(const struct cidr_set *set, char *out, size_t cap)
{
	char	 host[INET6_ADDRSTRLEN];
	size_t	 k, used = 0;
	int	 n;

	if (cap == 0)
		return;
	out[0] = '\0';
	for (k = 0; k < set->n; k++) {
		if (inet_ntop(set->net[k].family, set->net[k].addr, host,
		    sizeof(host)) == NULL)
			continue;
		n = snprintf(out + used, cap - used, "%s%s/%u",
		    k > 0 ? ", " : "", host, set->net[k].prefix);
		if (n < 0 || (size_t)n >= cap - used)
			return;
		used += (size_t)n;
	}
}
