/*
 * fuzz_vpn_uapi.c - fuzzes uapi_parse() (services/vpn/parse_uapi.c), the
 * vpn service's parser of wireguard-go's "get=1" answer, and
 * peermap_parse()/peermap_apply() (parse_peermap.c).  The first byte
 * picks the parser.  An accepted answer must render into JSON that
 * parses again, with and without a peer map.  No I/O, no global state
 * (the static structures are fully reset by the parsers).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "json.h"
#include "vpn.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
render(const struct wgdump *d, int show)
{
	yajl_gen		 g;
	const unsigned char	*b;
	size_t			 l;
	char			 err[256];
	yajl_val		 v;

	if ((g = json_gen_new()) == NULL)
		return;
	if (wgdump_json(d, show, 1800000000, g) == 0) {
		(void)yajl_gen_get_buf(g, &b, &l);
		if ((v = json_parse(b, l, 4 * WG_DUMP_MAX, 8, err,
		    sizeof(err))) == NULL || !YAJL_IS_OBJECT(v))
			__builtin_trap();
		yajl_tree_free(v);
	}
	yajl_gen_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct wgdump	 d;
	static struct peermap	 m;
	char			 err[256];

	if (len < 1 || len - 1 > WG_DUMP_MAX)
		return 0;
	if (data[0] & 1) {
		if (peermap_parse(&m, (const char *)data + 1, len - 1, err,
		    sizeof(err)) == 0 && m.n > WG_PEERS_MAX)
			__builtin_trap();
		return 0;
	}
	if (uapi_parse(&d, (const char *)data + 1, len - 1, "wg0", err,
	    sizeof(err)) == -1)
		return 0;
	if (d.nif != 1 || d.npeer > WG_PEERS_MAX)
		__builtin_trap();
	render(&d, data[0] & 2);
	m.n = 0;
	peermap_apply(&m, &d);
	render(&d, 1);
	return 0;
}
