/*
 * fuzz_vpn_wgdump.c - fuzzes wgdump_parse() and wgdump_json()
 * (services/vpn/parse_wgdump.c), the vpn service's parser of `wg show
 * dump` output.  An accepted dump must render into JSON that parses
 * again, with both endpoint settings.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "json.h"
#include "vpn.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct wgdump	 d;
	yajl_gen		 g;
	const unsigned char	*b;
	size_t			 l;
	char			 err[256];
	yajl_val		 v;
	int			 show;

	if (len > WG_DUMP_MAX)
		return 0;
	if (wgdump_parse(&d, (const char *)data, len, "wg0", err,
	    sizeof(err)) == -1)
		return 0;
	for (show = 0; show < 2; show++) {
		if ((g = json_gen_new()) == NULL)
			return 0;
		if (wgdump_json(&d, show, 1800000000, g) == 0) {
			(void)yajl_gen_get_buf(g, &b, &l);
			if ((v = json_parse(b, l, 4 * WG_DUMP_MAX, 8, err,
			    sizeof(err))) == NULL || !YAJL_IS_OBJECT(v))
				__builtin_trap();
			yajl_tree_free(v);
		}
		yajl_gen_free(g);
	}
	return 0;
}
