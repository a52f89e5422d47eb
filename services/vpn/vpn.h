/*
 * vpn.h - the vpn service's parsers: `wg show <iface> dump` and `wg show
 * all dump` output (parse_wgdump.c), the answer of wireguard-go's UAPI
 * socket to "get=1" (parse_uapi.c), and the peer map of `mupif-central
 * vpn keys` (parse_peermap.c).
 *
 * Trust: the dump and the UAPI answer hold the hub's private key and the
 * preshared keys; both are parsed as untrusted (bounded, strict) and those
 * keys are never copied: the parsers skip them without reading them, and
 * no error message quotes any field.  The peer map (public keys and
 * names) is untrusted too, and bounded.
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
#define WG_PEERNAME_MAX	64		/* a peer map name, with its NUL */
#define WG_PEERMAP_MAX	(256 * 1024)	/* bytes of a peer map file */

struct wg_peer {
	char		 pub[WG_KEY_LEN + 1];
	char		 addr[64];	/* first allowed IP with prefix, or "" */
	char		 host[48];	/* endpoint address, "" if none */
	unsigned	 port;
	uint64_t	 rx, tx;
	int64_t		 handshake;	/* unix seconds, 0: never */
	unsigned	 iface;		/* index in ifs[] */
	char		 name[WG_PEERNAME_MAX];	/* from the peer map, or "" */
};

struct wg_iface {
	char		 name[16];
};

struct wgdump {
	size_t		 nif, npeer;
	int		 named;		/* names from a peer map (peermap_apply) */
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

/*
 * Parse wireguard-go's answer to "get=1\n\n" (len bytes, up to and
 * including the empty line that ends it) as the one interface iface.
 * 0, or -1 with a reason in err that names a line number, never a value.
 */
int	 uapi_parse(struct wgdump *, const char *buf, size_t len,
	    const char *iface, char *err, size_t errlen);

/* The /vpn-status2/ object (web-and-monitor.md C.2): active peers only
 * (rx > 0); "remote" null unless show_endpoints; "name" the peer map's
 * name ("" if unknown) after peermap_apply, else the key's first
 * WG_NAME_LEN characters; "online" (ours) true when the latest handshake
 * is at most WG_ONLINE_S seconds before now (seconds since the epoch).
 * -1: a time stamp out of range. */
#define WG_ONLINE_S	180
int	 wgdump_json(const struct wgdump *, int show_endpoints, int64_t now,
	    yajl_gen);

/* Shared by the parsers: a base64 WireGuard key; a decimal of at most
 * max; "ip:port" or "[ip6]:port" into pe->host and pe->port; one
 * "address/bits" (IPv4 or IPv6). */
int	 wg_is_key(const char *, size_t);
int	 wg_get_uint(const char *, size_t, uint64_t max, uint64_t *);
int	 wg_get_endpoint(const char *, size_t, struct wg_peer *);
int	 wg_is_cidr(const char *, size_t);

/* The peer map: public key (base64) -> name, sorted by key. */
struct peermap_ent {
	char		 pub[WG_KEY_LEN + 1];
	char		 name[WG_PEERNAME_MAX];
};
struct peermap {
	size_t			 n;
	struct peermap_ent	 e[WG_PEERS_MAX];
};

/*
 * Parse a peer map (`{"<public key>":"<name>",...}`, WG_PEERMAP_MAX bytes
 * at most, WG_PEERS_MAX entries, keys checked, names 1-63 bytes without
 * control characters, no duplicate key).  0, or -1 with a reason in err.
 */
int	 peermap_parse(struct peermap *, const char *buf, size_t len,
	    char *err, size_t errlen);
/* Name every peer of d from m ("" when m does not know it). */
void	 peermap_apply(const struct peermap *, struct wgdump *);

#endif
