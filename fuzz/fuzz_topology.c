/*
 * fuzz_topology.c - fuzzes topo_parse() (lib/parse_topology.c), the
 * parser of the VPN topology JSON read by `mupif-central vpn keys`.
 *
 * Input: the document.  An accepted topology must have a valid interface
 * name, a prefix in 8..30, at most WG_MAX_PEERS peers, each inside the
 * network, none the hub, names and addresses unique, every
 * "<iface>_<peer>" within 15 characters.  A refused one must leave a
 * NUL-terminated reason.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wg.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The address as one number. */
static uint32_t
u32(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct topo	*t;
	char		 err[512];
	size_t		 i, j;
	uint32_t	 mask;

	if (size > WG_MAX_FILE || (t = malloc(sizeof(*t))) == NULL)
		return 0;
	memset(err, 'x', sizeof(err));
	if (topo_parse(t, (const char *)data, size, err, sizeof(err)) == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		free(t);
		return 0;
	}
	if (t->iface[0] == '\0' || strlen(t->iface) > WG_IFNAME_MAX ||
	    t->prefix < 8 || t->prefix > 30 || t->npeers > WG_MAX_PEERS ||
	    t->extport < 1 || t->extport > 65535 || t->keepalive > 65535)
		abort();
	mask = 0xffffffffU << (32 - t->prefix);
	if ((u32(t->addr) & mask) != u32(t->net))
		abort();
	for (i = 0; i < t->npeers; i++) {
		const struct topo_peer *p = &t->peers[i];

		if (p->name[0] == '\0' ||
		    strlen(t->iface) + 1 + strlen(p->name) > WG_IFNAME_MAX ||
		    (u32(p->ip) & mask) != u32(t->net) ||
		    u32(p->ip) == u32(t->addr))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(t->peers[j].name, p->name) == 0 ||
			    u32(t->peers[j].ip) == u32(p->ip))
				abort();
	}
	free(t);
	return 0;
}
