/*
 * wg.h - WireGuard material for `mupif-central vpn keys` and `vpn reload`:
 * X25519 keys as wireguard-tools makes them (wgkey.c), the topology JSON
 * of spec infrastructure.md 6.1 (parse_topology.c) and wg-quick config
 * files read back (parse_wgconf.c).
 *
 * Trust: the topology is the operator's file, the configs were written
 * by us or by the old Python generator and may have been edited by hand;
 * both parsers are strict, bounded and fuzzed (fuzz/fuzz_topology.c,
 * fuzz/fuzz_wgconf.c).  Private and preshared keys live only in the
 * structures below; wgconf_free() wipes them, error messages name a line
 * or a field, never a value of a key.
 */
#ifndef WG_H
#define WG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define WGKEY_LEN	32
#define WGKEY_B64	45		/* 44 characters and the NUL */
#define WG_IFNAME_MAX	15		/* Linux IFNAMSIZ - 1 */
#define WG_MAX_PEERS	1024
#define WG_MAX_FILE	((size_t)1 << 20)
#define WG_MAX_LINE	4096
#define TOPO_PATH_MAX	1024

/* wgkey.c: wg genkey (random, clamped), wg genpsk, wg pubkey. */
/* 1 if the n bytes at s are an interface or peer name wg-quick accepts
 * in a file name: 1..WG_IFNAME_MAX of [A-Za-z0-9_=+.-]. */
int	 wg_name_ok(const char *s, size_t n);
void	 wgkey_generate(uint8_t sk[WGKEY_LEN]);
void	 wgkey_psk(uint8_t psk[WGKEY_LEN]);
/* 0, or -1 if the result would be the all-zero point. */
int	 wgkey_public(const uint8_t sk[WGKEY_LEN],
	    uint8_t pk[WGKEY_LEN]) WUR;
/* Base64 (original alphabet, padded) of 32 bytes: 44 characters. */
void	 wgkey_to_b64(const uint8_t k[WGKEY_LEN], char out[WGKEY_B64]);
/* Exactly 44 characters of canonical base64 of 32 bytes; 0 or -1. */
int	 wgkey_from_b64(const char *, size_t, uint8_t k[WGKEY_LEN]) WUR;

/* parse_topology.c */
struct topo_peer {
	char		 name[WG_IFNAME_MAX + 1];
	uint8_t		 ip[4];
};

struct topo {
	char		 iface[WG_IFNAME_MAX + 1];
	uint8_t		 addr[4];	/* hub address */
	unsigned	 prefix;	/* VPN prefix length */
	uint8_t		 net[4];	/* network address */
	unsigned	 keepalive;	/* 0: none */
	uint8_t		 ext[4];	/* extAddr */
	unsigned	 extport;
	char		 hubdir[TOPO_PATH_MAX];
	char		 peerdir[TOPO_PATH_MAX];
	char		 peermap[TOPO_PATH_MAX];
	int		 iptables;
	int		 restart;	/* set true: the caller warns */
	size_t		 npeers;
	struct topo_peer peers[WG_MAX_PEERS];
};

/*
 * Parse and validate a topology document of len bytes.  Defaults of spec
 * 6.1, except restart (false).  0, or -1 with a message naming the field
 * in err.
 */
int	 topo_parse(struct topo *, const char *, size_t len, char *err,
	    size_t errlen) WUR;
/* "a.b.c.d" strictly (no leading zeros, no blanks); 0 or -1. */
int	 topo_parse_ipv4(const char *, size_t, uint8_t out[4]) WUR;

/* parse_wgconf.c */
struct wgconf_peer {
	char		 name[WG_IFNAME_MAX + 1];	/* friendly_json */
	int		 has_name;
	size_t		 line;		/* of its [Peer] */
	uint8_t		 pub[WGKEY_LEN];
	int		 has_pub;
	uint8_t		 psk[WGKEY_LEN];
	int		 has_psk;
	char		 allowed[256];
	char		 endpoint[128];
	unsigned	 keepalive;
};

struct wgconf {
	char		 name[WG_IFNAME_MAX + 1];	/* comment before
							 * [Interface] */
	int		 has_name;
	int		 has_iface;
	uint8_t		 priv[WGKEY_LEN];
	int		 has_priv;
	char		 address[128];
	unsigned	 listenport;			/* 0: none */
	size_t		 npeers;
	struct wgconf_peer peers[WG_MAX_PEERS];
};

/*
 * Parse a wg-quick config (hub or peer, ours or the Python generator's).
 * Known wg and wg-quick keys only (case-insensitive, like wg); keys
 * base64 of 32 bytes; the "# friendly_json = {"name":...}" comment names
 * the file (before [Interface]) or the current [Peer].  c is overwritten.
 * 0, or -1 with "line N: why" in err (never a key's value).
 */
int	 wgconf_parse(struct wgconf *c, const char *, size_t len, char *err,
	    size_t errlen) WUR;
/* Wipe the keys of c (then c may be freed by the caller). */
void	 wgconf_wipe(struct wgconf *);

#endif /* WG_H */
