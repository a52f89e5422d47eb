/*
 * parse_topology.c - the VPN topology JSON (spec infrastructure.md 6.1),
 * input of `mupif-central vpn keys`.
 *
 * Trust: the operator's file, read by the launcher as root.  Strict: the
 * document is capped (json_parse), unknown fields are errors (the old
 * spelling `net` gets a hint), every value is checked and every error
 * names its field.  No I/O, no global state; fuzzed by
 * fuzz/fuzz_topology.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "wg.h"
#include "banned.h"

#define TOPO_MAX_DOC	WG_MAX_FILE

/* printf into err; always returns -1. */
static int __attribute__((format(printf, 3, 4)))
terr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
topo_parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
	size_t		 i = 0, part;
	unsigned	 v, digits;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		v = 0;
		digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits > 0 && v == 0)	/* leading zero */
				return -1;
			v = v * 10 + (unsigned)(s[i] - '0');
			if (v > 255)
				return -1;
			digits++;
			i++;
		}
		if (digits == 0)
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == len ? 0 : -1;
}

static uint32_t
ip_u32(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
}

static uint32_t
prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffU << (32 - prefix);
}

/* RFC 1918. */
static int
ip_private(const uint8_t a[4])
{
	return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168);
}

/* A string member as a bounded C string; 1 set, 0 absent, -1 error. */
static int
get_str(yajl_val root, const char *key, char *out, size_t outlen,
    char *err, size_t errlen)
{
	yajl_val	v = json_get(root, key);

	if (v == NULL)
		return 0;
	if (!YAJL_IS_STRING(v))
		return terr(err, errlen, "field \"%s\": not a string", key);
	if (strlcpy(out, YAJL_GET_STRING(v), outlen) >= outlen)
		return terr(err, errlen, "field \"%s\": too long (at most "
		    "%zu characters)", key, outlen - 1);
	return 1;
}

/* A boolean that may also be written 0 or 1 (production files do). */
static int
get_bool(yajl_val root, const char *key, int *out, char *err,
    size_t errlen)
{
	yajl_val	v = json_get(root, key);

	if (v == NULL)
		return 0;
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		*out = YAJL_IS_TRUE(v);
		return 0;
	}
	if (YAJL_IS_INTEGER(v) && (YAJL_GET_INTEGER(v) == 0 ||
	    YAJL_GET_INTEGER(v) == 1)) {
		*out = (int)YAJL_GET_INTEGER(v);
		return 0;
	}
	return terr(err, errlen, "field \"%s\": not a boolean (true, false, "
	    "0 or 1)", key);
}

/* An integer in [min,max], or its decimal text when strok. */
static int
get_uint(yajl_val root, const char *key, unsigned min, unsigned max,
    int strok, unsigned *out, char *err, size_t errlen)
{
	yajl_val	v = json_get(root, key);
	uint64_t	u;

	if (v == NULL)
		return 0;
	if (YAJL_IS_INTEGER(v)) {
		long long i = YAJL_GET_INTEGER(v);

		if (i < (long long)min || i > (long long)max)
			return terr(err, errlen, "field \"%s\": out of range "
			    "(%u..%u)", key, min, max);
		*out = (unsigned)i;
		return 0;
	}
	if (strok && YAJL_IS_STRING(v)) {
		const char *s = YAJL_GET_STRING(v);

		if (util_parse_u64(s, strlen(s), min, max, &u) == -1)
			return terr(err, errlen, "field \"%s\": not a number "
			    "in %u..%u", key, min, max);
		*out = (unsigned)u;
		return 0;
	}
	return terr(err, errlen, "field \"%s\": not an integer", key);
}

/* "a.b.c.d/len": the hub address and the VPN prefix. */
static int
parse_addr(struct topo *t, const char *s, char *err, size_t errlen)
{
	const char	*slash = strchr(s, '/');
	uint64_t	 len;
	uint32_t	 a, m;

	if (slash == NULL)
		return terr(err, errlen, "field \"addr\": not a.b.c.d/len "
		    "(the prefix length is missing)");
	if (topo_parse_ipv4(s, (size_t)(slash - s), t->addr) == -1)
		return terr(err, errlen, "field \"addr\": not an IPv4 "
		    "address before the '/'");
	if (util_parse_u64(slash + 1, strlen(slash + 1), 8, 30, &len) == -1)
		return terr(err, errlen, "field \"addr\": bad prefix length "
		    "(8..30)");
	t->prefix = (unsigned)len;
	if (!ip_private(t->addr))
		return terr(err, errlen, "field \"addr\": not a private "
		    "address (10/8, 172.16/12, 192.168/16)");
	a = ip_u32(t->addr);
	m = prefix_mask(t->prefix);
	if ((a & ~m) == 0 || (a & ~m) == ~m)
		return terr(err, errlen, "field \"addr\": the network or "
		    "broadcast address of its prefix, not a host address");
	a &= m;
	t->net[0] = (uint8_t)(a >> 24);
	t->net[1] = (uint8_t)(a >> 16);
	t->net[2] = (uint8_t)(a >> 8);
	t->net[3] = (uint8_t)a;
	return 0;
}

/* peers: a list of [name, ip]. */
static int
parse_peers(struct topo *t, yajl_val v, char *err, size_t errlen)
{
	size_t		 i, j;
	uint32_t	 m = prefix_mask(t->prefix), net = ip_u32(t->net);

	if (!YAJL_IS_ARRAY(v))
		return terr(err, errlen, "field \"peers\": not a list of "
		    "[name, ip]");
	if (v->u.array.len > WG_MAX_PEERS)
		return terr(err, errlen, "field \"peers\": more than %d "
		    "peers", WG_MAX_PEERS);
	for (i = 0; i < v->u.array.len; i++) {
		yajl_val		 p = v->u.array.values[i];
		struct topo_peer	*tp = &t->peers[i];
		const char		*name, *ip;
		uint32_t		 a;

		if (!YAJL_IS_ARRAY(p) || p->u.array.len != 2 ||
		    !YAJL_IS_STRING(p->u.array.values[0]) ||
		    !YAJL_IS_STRING(p->u.array.values[1]))
			return terr(err, errlen, "field \"peers[%zu]\": not "
			    "a pair [\"name\", \"ip\"]", i);
		name = YAJL_GET_STRING(p->u.array.values[0]);
		ip = YAJL_GET_STRING(p->u.array.values[1]);
		if (!wg_name_ok(name, strlen(name)))
			return terr(err, errlen, "field \"peers[%zu][0]\": "
			    "bad peer name (1..15 of A-Z a-z 0-9 _ = + . -)",
			    i);
		if (strlen(t->iface) + 1 + strlen(name) > WG_IFNAME_MAX)
			return terr(err, errlen, "field \"peers[%zu][0]\": "
			    "\"%s_%s\" is longer than %d characters (the "
			    "clients' interface name)", i, t->iface, name,
			    WG_IFNAME_MAX);
		(void)strlcpy(tp->name, name, sizeof(tp->name));
		if (topo_parse_ipv4(ip, strlen(ip), tp->ip) == -1)
			return terr(err, errlen, "field \"peers[%zu][1]\" "
			    "(peer \"%s\"): not an IPv4 address (a.b.c.d, "
			    "no prefix)", i, name);
		a = ip_u32(tp->ip);
		if ((a & m) != net)
			return terr(err, errlen, "field \"peers[%zu][1]\" "
			    "(peer \"%s\"): address outside the network "
			    "%u.%u.%u.%u/%u", i, name, t->net[0], t->net[1],
			    t->net[2], t->net[3], t->prefix);
		if ((a & ~m) == 0 || (a & ~m) == ~m)
			return terr(err, errlen, "field \"peers[%zu][1]\" "
			    "(peer \"%s\"): the network or broadcast "
			    "address", i, name);
		if (a == ip_u32(t->addr))
			return terr(err, errlen, "field \"peers[%zu][1]\" "
			    "(peer \"%s\"): the hub's own address", i, name);
		for (j = 0; j < i; j++) {
			if (strcmp(t->peers[j].name, name) == 0)
				return terr(err, errlen, "field \"peers[%zu]"
				    "[0]\": duplicate peer name \"%s\" (also "
				    "peers[%zu])", i, name, j);
			if (memcmp(t->peers[j].ip, tp->ip, 4) == 0)
				return terr(err, errlen, "field \"peers[%zu]"
				    "[1]\" (peer \"%s\"): duplicate address "
				    "(also peers[%zu], \"%s\")", i, name, j,
				    t->peers[j].name);
		}
	}
	t->npeers = v->u.array.len;
	return 0;
}

int
topo_parse(struct topo *t, const char *doc, size_t len, char *err,
    size_t errlen)
{
	static const char *const keys[] = {
		"iface", "addr", "keepalive", "extAddr", "extPort", "hubDir",
		"peerDir", "iptables", "restart", "peerMap", "peers", NULL
	};
	char		 perr[256], buf[64];
	yajl_val	 root, v;
	const char	*bad = NULL;
	int		 rc = -1, r;

	memset(t, 0, sizeof(*t));
	t->extport = 56789;
	t->ext[0] = 1; t->ext[1] = 2; t->ext[2] = 3; t->ext[3] = 4;
	(void)strlcpy(t->hubdir, "/etc/wireguard/", sizeof(t->hubdir));
	(void)strlcpy(t->peerdir, "./peers", sizeof(t->peerdir));
	(void)strlcpy(t->peermap, "./peers.json", sizeof(t->peermap));
	if (errlen > 0)
		err[0] = '\0';

	if ((root = json_parse(doc, len, TOPO_MAX_DOC, 8, perr,
	    sizeof(perr))) == NULL)
		return terr(err, errlen, "not valid JSON: %s", perr);
	if (!YAJL_IS_OBJECT(root)) {
		(void)terr(err, errlen, "the topology is not a JSON object");
		goto out;
	}
	if (json_only_keys(root, keys, &bad) == -1) {
		if (strcmp(bad, "net") == 0)
			(void)terr(err, errlen, "unknown field \"net\": it "
			    "was renamed \"addr\" in January 2022 (the old "
			    "generator silently ignored it); rename it");
		else
			(void)terr(err, errlen, "unknown field \"%.64s\" "
			    "(known: iface, addr, keepalive, extAddr, "
			    "extPort, hubDir, peerDir, iptables, restart, "
			    "peerMap, peers)", bad);
		goto out;
	}
	if ((r = get_str(root, "iface", t->iface, sizeof(t->iface), err,
	    errlen)) == -1)
		goto out;
	if (r == 0) {
		(void)terr(err, errlen, "field \"iface\": missing (required)");
		goto out;
	}
	if (!wg_name_ok(t->iface, strlen(t->iface))) {
		(void)terr(err, errlen, "field \"iface\": bad interface name "
		    "(1..15 of A-Z a-z 0-9 _ = + . -)");
		goto out;
	}
	(void)strlcpy(buf, "172.16.0.1/12", sizeof(buf));
	if (get_str(root, "addr", buf, sizeof(buf), err, errlen) == -1 ||
	    parse_addr(t, buf, err, errlen) == -1)
		goto out;
	if (get_uint(root, "keepalive", 0, 65535, 0, &t->keepalive, err,
	    errlen) == -1 ||
	    get_uint(root, "extPort", 1, 65535, 1, &t->extport, err,
	    errlen) == -1)
		goto out;
	if ((r = get_str(root, "extAddr", buf, sizeof(buf), err,
	    errlen)) == -1)
		goto out;
	if (r == 1 && topo_parse_ipv4(buf, strlen(buf), t->ext) == -1) {
		(void)terr(err, errlen, "field \"extAddr\": not an IPv4 "
		    "address (a.b.c.d)");
		goto out;
	}
	if (get_str(root, "hubDir", t->hubdir, sizeof(t->hubdir), err,
	    errlen) == -1 ||
	    get_str(root, "peerDir", t->peerdir, sizeof(t->peerdir), err,
	    errlen) == -1 ||
	    get_str(root, "peerMap", t->peermap, sizeof(t->peermap), err,
	    errlen) == -1)
		goto out;
	if (t->hubdir[0] == '\0' || t->peerdir[0] == '\0' ||
	    t->peermap[0] == '\0') {
		(void)terr(err, errlen, "field \"%s\": empty path",
		    t->hubdir[0] == '\0' ? "hubDir" : t->peerdir[0] == '\0' ?
		    "peerDir" : "peerMap");
		goto out;
	}
	if (get_bool(root, "iptables", &t->iptables, err, errlen) == -1 ||
	    get_bool(root, "restart", &t->restart, err, errlen) == -1)
		goto out;
	if ((v = json_get(root, "peers")) != NULL &&
	    parse_peers(t, v, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	yajl_tree_free(root);
	return rc;
}
