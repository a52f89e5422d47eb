/*
 * parse_wgdump.c - strict parser of `wg show <iface> dump` and `wg show
 * all dump` output, and the /vpn-status2/ rendering shared with
 * parse_uapi.c.
 *
 * Trust: the input is untrusted bytes (a file an operator or a cron job
 * wrote).  Bounded: WG_DUMP_MAX bytes, WG_LINE_MAX per line, a fixed
 * number of tab-separated fields per line, WG_IFACES_MAX interfaces and
 * WG_PEERS_MAX peers.  The interface line's private key and every peer's
 * preshared key are skipped without being looked at or copied; error
 * messages give line numbers only, never field text.  No allocation, no
 * system calls (gmtime_r does not read the time zone).
 *
 * Format (wg(8), "dump"): one line per interface, "private-key
 * public-key listen-port fwmark", then one per peer, "public-key
 * preshared-key endpoint allowed-ips latest-handshake transfer-rx
 * transfer-tx persistent-keepalive", tab-separated; `wg show all dump`
 * prefixes every line with the interface name.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vpn.h"
#include "banned.h"

#define NFIELDS	10

struct field {
	const char	*p;
	size_t		 n;
};

static int
is_lit(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* A WireGuard key: 43 base64 characters and '='. */
int
wg_is_key(const char *p, size_t n)
{
	size_t i;

	if (n != WG_KEY_LEN || p[WG_KEY_LEN - 1] != '=')
		return 0;
	for (i = 0; i < WG_KEY_LEN - 1; i++) {
		char c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

static int
is_key(const struct field *f)
{
	return wg_is_key(f->p, f->n);
}

/* Decimal, at most max. */
int
wg_get_uint(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
get_uint(const struct field *f, uint64_t max, uint64_t *out)
{
	return wg_get_uint(f->p, f->n, max, out);
}

/* fwmark: "off", decimal or 0x hex (wg prints "off" or hex). */
static int
is_fwmark(const struct field *f)
{
	size_t i;

	if (is_lit(f, "off"))
		return 1;
	if (f->n > 2 && f->n <= 10 && f->p[0] == '0' && f->p[1] == 'x') {
		for (i = 2; i < f->n; i++)
			if (!((f->p[i] >= '0' && f->p[i] <= '9') ||
			    (f->p[i] >= 'a' && f->p[i] <= 'f')))
				return 0;
		return 1;
	}
	{
		uint64_t v;

		return get_uint(f, UINT32_MAX, &v) == 0;
	}
}

static int
is_ifname(const struct field *f)
{
	size_t i;

	if (f->n == 0 || f->n >= sizeof(((struct wg_iface *)0)->name))
		return 0;
	for (i = 0; i < f->n; i++) {
		char c = f->p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.' || c == '=' || c == '+'))
			return 0;
	}
	return 1;
}

/* An address (inet_pton) of at most cap - 1 characters into out. */
static int
get_addr(const char *p, size_t n, int af, char *out, size_t cap)
{
	unsigned char	bin[16];

	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	if (inet_pton(af, out, bin) != 1)
		return -1;
	return 0;
}

/* "a.b.c.d:port" or "[v6]:port". */
int
wg_get_endpoint(const char *p, size_t n, struct wg_peer *pe)
{
	const char	*colon;
	uint64_t	 v;
	size_t		 hl;
	int		 af = AF_INET, off = 0;

	if (n < 4)
		return -1;
	if (p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb == NULL || (size_t)(rb - p) + 1 >= n || rb[1] != ':')
			return -1;
		colon = rb + 1;
		hl = (size_t)(rb - p) - 1;
		af = AF_INET6;
		off = 1;
	} else {
		colon = memchr(p, ':', n);
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - p);
	}
	if (wg_get_uint(colon + 1, n - (size_t)(colon + 1 - p), 65535,
	    &v) == -1 || v == 0 ||
	    get_addr(p + off, hl, af, pe->host, sizeof(pe->host)) == -1) {
		pe->host[0] = '\0';
		return -1;
	}
	pe->port = (unsigned)v;
	return 0;
}

/* "(none)", or an endpoint. */
static int
get_endpoint(const struct field *f, struct wg_peer *pe)
{
	if (is_lit(f, "(none)"))
		return 0;
	return wg_get_endpoint(f->p, f->n, pe);
}

/* One "address/bits". */
int
wg_is_cidr(const char *p, size_t n)
{
	const char	*sl;
	char		 tmp[64];
	uint64_t	 v;
	int		 af;

	if ((sl = memchr(p, '/', n)) == NULL)
		return 0;
	af = memchr(p, ':', (size_t)(sl - p)) != NULL ? AF_INET6 : AF_INET;
	if (get_addr(p, (size_t)(sl - p), af, tmp, sizeof(tmp)) == -1 ||
	    wg_get_uint(sl + 1, n - (size_t)(sl + 1 - p),
	    af == AF_INET ? 32 : 128, &v) == -1)
		return 0;
	return 1;
}

/* "(none)" or "cidr,cidr,...": each one checked, the first kept. */
static int
get_allowed(const struct field *f, struct wg_peer *pe)
{
	const char	*p = f->p, *end = f->p + f->n, *c;
	int		 first = 1;

	if (is_lit(f, "(none)"))
		return 0;
	while (p < end) {
		size_t n;

		c = memchr(p, ',', (size_t)(end - p));
		n = c != NULL ? (size_t)(c - p) : (size_t)(end - p);
		if (!wg_is_cidr(p, n))
			return -1;
		if (first) {
			if (n >= sizeof(pe->addr))
				return -1;
			memcpy(pe->addr, p, n);
			pe->addr[n] = '\0';
			first = 0;
		}
		if (c == NULL)
			break;
		p = c + 1;
		if (p == end)
			return -1;	/* trailing comma */
	}
	return 0;
}

static int
fail(char *err, size_t errlen, size_t line, const char *what)
{
	(void)snprintf(err, errlen, "line %zu: %s", line, what);
	return -1;
}

int
wgdump_parse(struct wgdump *d, const char *buf, size_t len,
    const char *defiface, char *err, size_t errlen)
{
	struct field	 f[NFIELDS];
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 line = 0, nf, i, o;
	int		 all = -1;	/* unknown, 0 one interface, 1 all */

	d->nif = 0;
	d->npeer = 0;
	d->named = 0;
	if (len > WG_DUMP_MAX)
		return fail(err, errlen, 0, "dump too large");
	if (len == 0)
		return fail(err, errlen, 0, "empty dump");
	while (p < end) {
		const char *q, *eol;

		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		eol = nl != NULL ? nl : end;
		if ((size_t)(eol - p) > WG_LINE_MAX)
			return fail(err, errlen, line, "line too long");
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL ||
		    memchr(p, '\r', (size_t)(eol - p)) != NULL)
			return fail(err, errlen, line, "bad character");
		/* Split on tabs. */
		nf = 0;
		q = p;
		for (;;) {
			const char *t = memchr(q, '\t', (size_t)(eol - q));

			if (nf == NFIELDS)
				return fail(err, errlen, line,
				    "too many fields");
			f[nf].p = q;
			f[nf].n = (size_t)((t != NULL ? t : eol) - q);
			nf++;
			if (t == NULL)
				break;
			q = t + 1;
		}
		p = nl != NULL ? nl + 1 : end;
		if (all == -1) {
			if (nf == 4)
				all = 0;
			else if (nf == 5)
				all = 1;
			else
				return fail(err, errlen, line,
				    "not an interface line");
		}
		o = (size_t)all;	/* fields after the interface name */
		if (nf == 4 + o) {
			/* Interface: f[o] is the private key, skipped. */
			struct wg_iface *w;

			if (d->nif == WG_IFACES_MAX)
				return fail(err, errlen, line,
				    "too many interfaces");
			w = &d->ifs[d->nif];
			if (all) {
				if (!is_ifname(&f[0]))
					return fail(err, errlen, line,
					    "bad interface name");
				memcpy(w->name, f[0].p, f[0].n);
				w->name[f[0].n] = '\0';
			} else {
				if (d->nif > 0)
					return fail(err, errlen, line,
					    "second interface line");
				(void)snprintf(w->name, sizeof(w->name), "%s",
				    defiface);
			}
			for (i = 0; i < d->nif; i++)
				if (strcmp(d->ifs[i].name, w->name) == 0)
					return fail(err, errlen, line,
					    "duplicate interface");
			{
				uint64_t v;

				if (!is_key(&f[o + 1]) &&
				    !is_lit(&f[o + 1], "(none)"))
					return fail(err, errlen, line,
					    "bad public key");
				if (get_uint(&f[o + 2], 65535, &v) == -1)
					return fail(err, errlen, line,
					    "bad listen port");
				if (!is_fwmark(&f[o + 3]))
					return fail(err, errlen, line,
					    "bad fwmark");
			}
			d->nif++;
		} else if (nf == 8 + o) {
			/* Peer: f[o + 1] is the preshared key, skipped. */
			struct wg_peer	*pe;
			uint64_t	 v;

			if (d->nif == 0)
				return fail(err, errlen, line,
				    "peer before interface");
			if (all && (f[0].n != strlen(d->ifs[d->nif - 1].name) ||
			    memcmp(f[0].p, d->ifs[d->nif - 1].name,
			    f[0].n) != 0))
				return fail(err, errlen, line,
				    "peer of another interface");
			if (d->npeer == WG_PEERS_MAX)
				return fail(err, errlen, line,
				    "too many peers");
			pe = &d->peers[d->npeer];
			memset(pe, 0, sizeof(*pe));
			pe->iface = (unsigned)(d->nif - 1);
			if (!is_key(&f[o]))
				return fail(err, errlen, line,
				    "bad peer public key");
			memcpy(pe->pub, f[o].p, WG_KEY_LEN);
			pe->pub[WG_KEY_LEN] = '\0';
			if (get_endpoint(&f[o + 2], pe) == -1)
				return fail(err, errlen, line, "bad endpoint");
			if (get_allowed(&f[o + 3], pe) == -1)
				return fail(err, errlen, line,
				    "bad allowed ips");
			/* Up to 9999-12-31: gmtime_r stays in range. */
			if (get_uint(&f[o + 4], 253402300799ULL, &v) == -1)
				return fail(err, errlen, line,
				    "bad latest handshake");
			pe->handshake = (int64_t)v;
			if (get_uint(&f[o + 5], INT64_MAX, &pe->rx) == -1 ||
			    get_uint(&f[o + 6], INT64_MAX, &pe->tx) == -1)
				return fail(err, errlen, line,
				    "bad transfer counter");
			if (!is_lit(&f[o + 7], "off") &&
			    get_uint(&f[o + 7], 65535, &v) == -1)
				return fail(err, errlen, line,
				    "bad persistent keepalive");
			d->npeer++;
		} else
			return fail(err, errlen, line, "wrong number of fields");
	}
	return 0;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > (uint64_t)INT64_MAX - b ? (uint64_t)INT64_MAX : a + b;
}

static void
gen_bytes(yajl_gen g, uint64_t tx, uint64_t rx)
{
	json_gen_cstr(g, "bytes");
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "tx", (long long)tx);
	json_gen_kv_int(g, "rx", (long long)rx);
	(void)yajl_gen_map_close(g);
}

int
wgdump_json(const struct wgdump *d, int show_endpoints, int64_t now,
    yajl_gen g)
{
	size_t	i, k;
	char	ts[32], name[WG_PEERNAME_MAX];

	(void)yajl_gen_map_open(g);
	for (i = 0; i < d->nif; i++) {
		uint64_t tx = 0, rx = 0;

		for (k = 0; k < d->npeer; k++)
			if (d->peers[k].iface == i && d->peers[k].rx > 0) {
				tx = sat_add(tx, d->peers[k].tx);
				rx = sat_add(rx, d->peers[k].rx);
			}
		json_gen_cstr(g, d->ifs[i].name);
		(void)yajl_gen_map_open(g);
		/* The dump has no interface address (that needs netlink). */
		json_gen_cstr(g, "ipAddr");
		(void)yajl_gen_null(g);
		gen_bytes(g, tx, rx);
		json_gen_cstr(g, "peers");
		(void)yajl_gen_array_open(g);
		for (k = 0; k < d->npeer; k++) {
			const struct wg_peer	*pe = &d->peers[k];
			struct tm		 tm;
			time_t			 t = (time_t)pe->handshake;

			if (pe->iface != i || pe->rx == 0)
				continue;
			if (gmtime_r(&t, &tm) == NULL ||
			    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S",
			    &tm) == 0)
				return -1;
			if (d->named)
				(void)snprintf(name, sizeof(name), "%s",
				    pe->name);
			else {
				memcpy(name, pe->pub, WG_NAME_LEN);
				name[WG_NAME_LEN] = '\0';
			}
			(void)yajl_gen_map_open(g);
			json_gen_cstr(g, "vpnAddr");
			if (pe->addr[0] != '\0')
				json_gen_cstr(g, pe->addr);
			else
				(void)yajl_gen_null(g);
			gen_bytes(g, pe->tx, pe->rx);
			json_gen_kv_str(g, "publicKey", pe->pub);
			json_gen_kv_str(g, "name", name);
			json_gen_kv_str(g, "lastHandshake", ts);
			/* WireGuard drops a session 180 s after its handshake
			 * (REJECT_AFTER_TIME) unless it renews it. */
			json_gen_cstr(g, "online");
			(void)yajl_gen_bool(g, pe->handshake != 0 &&
			    (int64_t)pe->handshake + WG_ONLINE_S >= now);
			json_gen_cstr(g, "remote");
			if (show_endpoints && pe->host[0] != '\0') {
				(void)yajl_gen_map_open(g);
				json_gen_kv_str(g, "host", pe->host);
				json_gen_kv_int(g, "port", pe->port);
				(void)yajl_gen_map_close(g);
			} else
				(void)yajl_gen_null(g);
			(void)yajl_gen_map_close(g);
		}
		(void)yajl_gen_array_close(g);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_map_close(g);
	return 0;
}
