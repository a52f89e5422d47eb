/*
 * fuzz_vpn_peermap.c - fuzzes peermap_parse() (services/vpn/
 * parse_peermap.c), the vpn service's reader of the peer map JSON that
 * `mupif-central vpn keys` writes ({"<public key>": "<name>", ...}; the
 * launcher opens it, its contents are not trusted).  An accepted map
 * stays within its bounds, and applying it to an empty dump is safe.
 * (fuzz_vpn_uapi.c also reaches it, behind a selector byte.)
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vpn.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct peermap	 m;
	static struct wgdump	 d;
	char			 err[256];
	size_t			 i;

	if (peermap_parse(&m, (const char *)data, len, err,
	    sizeof(err)) == -1)
		return 0;
	if (m.n > WG_PEERS_MAX)
		__builtin_trap();
	for (i = 0; i < m.n; i++)
		if (m.e[i].name[0] == '\0')
			__builtin_trap();
	memset(&d, 0, sizeof(d));
	peermap_apply(&m, &d);
	return 0;
}
