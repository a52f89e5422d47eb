/*
 * cidr.h - a short list of IPv4/IPv6 networks in CIDR notation, and the
 * test whether an address lies inside one of them.  Used for the
 * nameserver's ns_autoclean_nets: the launcher checks the setting, the
 * nameserver parses it again from its start-up document and never probes
 * an address outside these networks.
 *
 * Trust: the text comes from the operator's configuration (or the
 * launcher's start-up document); it is parsed strictly and bounded.
 */
#ifndef CIDR_H
#define CIDR_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CIDR_MAX	16	/* networks in one list */
#define CIDR_MAX_TEXT	512	/* bytes of the list's text */

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network address, host bits zero */
	unsigned	prefix;		/* 1..32 or 1..128 */
};

struct cidr_set {
	size_t		n;
	struct cidr	net[CIDR_MAX];
};

/*
 * Parse "10.0.0.0/24, 172.22.2.0/24 fd00::/64" (separated by commas
 * and/or blanks; empty: no network).  Every item needs an explicit
 * prefix length, numeric addresses only, no host bits set, no /0.
 * 0, or -1 with the reason in err.
 */
int	 cidr_parse_list(const char *, size_t, struct cidr_set *, char *err,
	    size_t errlen) WUR;
/* Whether addr (4 bytes for AF_INET, 16 for AF_INET6) is in the set.
 * An IPv4 address never matches an IPv6 network and the other way
 * round (IPv4-mapped IPv6 addresses included). */
int	 cidr_contains(const struct cidr_set *, int family, const void *addr);
/* The set as text ("10.0.0.0/24, fd00::/64"), for logs. */
void	 cidr_format(const struct cidr_set *, char *, size_t);

#endif /* CIDR_H */
