/*
 * vpn.h - the vpn service's parser of `wg show <iface> dump` and
 * `wg show all dump` output (parse_wgdump.c).
 *
 * Trust: the dump is written by the operator or a cron job, and holds the
 * hub's private key and the preshared keys; it is parsed as untrusted
 * (bounded, strict) and those keys are never copied: the parser skips
 * them without reading them, and no error message quotes any field.
 */
#ifndef MUPIF_VPN_H
#define MUPIF_VPN_H

#include <stddef.h>
#include <stdint.h>
#include "json.h"

#define WG_DUMP_MAX	(1024 * 1024)	/* bytes of one dump */
#define WG_LINE_MAX	4096		/* bytes of one line */
#define WG_IFACES_MAX	16
#define WG_PEERS_MAX	1024		/* over all interfaces */
#define WG_KEY_LEN	44		/* base64 of 32 bytes */
#define WG_NAME_LEN	8		/* "name": this many key characters */

struct wg_peer {
	char		 pub[WG_KEY_LEN + 1];
	char		 addr[64];	/* first allowed IP with prefix, or "" */
	char		 host[48];	/* endpoint address, "" if none */
	unsigned	 port;
	uint64_t	 rx, tx;
	int64_t		 handshake;	/* unix seconds, 0: never */
	unsigned	 iface;		/* index in ifs[] */
};

struct wg_iface {
	char		 name[16];
};

struct wgdump {
	size_t		 nif, npeer;
	struct wg_iface	 ifs[WG_IFACES_MAX];
	struct wg_peer	 peers[WG_PEERS_MAX];
};

/*
 * Parse a dump of len bytes.  A dump of one interface (`wg show IF dump`)
 * has no interface column: its interface is called defiface.  0, or -1
 * with a reason in err that names a line number, never a field's text.
 */
int	 wgdump_parse(struct wgdump *, const char *buf, size_t len,
	    const char *defiface, char *err, size_t errlen);

/* The /vpn-status2/ object (web-and-monitor.md C.2): active peers only
 * (rx > 0); "remote" null unless show_endpoints.  -1: a time stamp out of
 * range. */
int	 wgdump_json(const struct wgdump *, int show_endpoints, yajl_gen);

#endif
