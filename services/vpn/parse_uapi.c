/*
 * parse_uapi.c - strict parser of wireguard-go's answer to "get=1" on its
 * UAPI socket (/var/run/wireguard/<iface>.sock), into the struct wgdump
 * that parse_wgdump.c renders as /vpn-status2/.
 *
 * Trust: the answer comes from the hub daemon but is parsed as untrusted
 * bytes: at most WG_DUMP_MAX bytes, WG_LINE_MAX per line, known keys only,
 * each at most once per section (allowed_ip repeats), WG_PEERS_MAX peers,
 * numbers range-checked, addresses through inet_pton.  The launcher's
 * relay (launcher/vpn_relay.c) drops the private_key and preshared_key
 * lines before the answer reaches the vpn service, so both are optional
 * here; should one arrive all the same (a raw answer, the fuzzer), its
 * value is skipped by length alone, never looked at or copied, and no
 * error message quotes a value (line numbers and key names only).  The
 * caller wipes its buffer.  No allocation, no system calls.
 *
 * Format (wireguard.com/xplatform, checked against wireguard-go
 * 0.0.20220316): "key=value\n" lines, the interface's first
 * (private_key, listen_port, fwmark), then per peer public_key
 * (starts a peer), preshared_key, protocol_version, endpoint,
 * last_handshake_time_sec, last_handshake_time_nsec, tx_bytes, rx_bytes,
 * persistent_keepalive_interval, allowed_ip (repeated); then "errno=N\n"
 * and an empty line.  Keys are 64 hex digits.
 */
#include <stdio.h>
#include <string.h>

#include "vpn.h"
#include "banned.h"

#define HEXKEY_LEN	64

/* Keys a section may hold once; bit numbers for the "seen" masks. */
enum { I_PRIV, I_PORT, I_FWMARK };
enum { P_PSK, P_PROTO, P_EP, P_HSEC, P_HNSEC, P_TX, P_RX, P_KA };

static int
fail(char *err, size_t errlen, size_t line, const char *what)
{
	(void)snprintf(err, errlen, "line %zu: %s", line, what);
	return -1;
}

static int
is_lit(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex digits (a public key) into base64 in out (WG_KEY_LEN + 1). */
static int
hexkey_b64(const char *p, size_t n, char out[WG_KEY_LEN + 1])
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char		 k[32];
	size_t			 i, o = 0;

	if (n != HEXKEY_LEN)
		return -1;
	for (i = 0; i < 32; i++) {
		int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		k[i] = (unsigned char)(hi << 4 | lo);
	}
	for (i = 0; i + 3 <= 30; i += 3) {
		out[o++] = b64[k[i] >> 2];
		out[o++] = b64[(k[i] & 3) << 4 | k[i + 1] >> 4];
		out[o++] = b64[(k[i + 1] & 15) << 2 | k[i + 2] >> 6];
		out[o++] = b64[k[i + 2] & 63];
	}
	/* 30 bytes done: the last two give three characters and '='. */
	out[o++] = b64[k[30] >> 2];
	out[o++] = b64[(k[30] & 3) << 4 | k[31] >> 4];
	out[o++] = b64[(k[31] & 15) << 2];
	out[o++] = '=';
	out[o] = '\0';
	return 0;
}

/* "errno=N" with N a decimal, maybe negative: 0 and *code, or -1. */
static int
get_errno(const char *p, size_t n, long long *code)
{
	uint64_t	v;
	int		neg = 0;

	if (n > 0 && p[0] == '-') {
		neg = 1;
		p++;
		n--;
	}
	if (wg_get_uint(p, n, 1000000, &v) == -1)
		return -1;
	*code = neg ? -(long long)v : (long long)v;
	return 0;
}

int
uapi_parse(struct wgdump *d, const char *buf, size_t len, const char *iface,
    char *err, size_t errlen)
{
	const char	*p = buf, *end = buf + len;
	struct wg_peer	*pe = NULL;
	unsigned	 seen = 0;	/* I_* bits, then P_* bits per peer */
	size_t		 line = 0, i;
	int		 done = 0;

	d->nif = 0;
	d->npeer = 0;
	d->named = 0;
	if (len > WG_DUMP_MAX)
		return fail(err, errlen, 0, "answer too large");
	if (len == 0)
		return fail(err, errlen, 0, "empty answer");
	(void)snprintf(d->ifs[0].name, sizeof(d->ifs[0].name), "%s", iface);
	d->nif = 1;
	while (p < end) {
		const char	*nl, *eq, *v;
		size_t		 kn, vn;
		uint64_t	 u;

		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return fail(err, errlen, line, "unterminated line");
		if ((size_t)(nl - p) > WG_LINE_MAX)
			return fail(err, errlen, line, "line too long");
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL ||
		    memchr(p, '\r', (size_t)(nl - p)) != NULL)
			return fail(err, errlen, line, "bad character");
		if (done) {
			/* After errno only the empty line, then the end. */
			if (nl != p || nl + 1 != end)
				return fail(err, errlen, line,
				    "data after the status");
			return 0;
		}
		if ((eq = memchr(p, '=', (size_t)(nl - p))) == NULL)
			return fail(err, errlen, line, "not key=value");
		kn = (size_t)(eq - p);
		v = eq + 1;
		vn = (size_t)(nl - v);
#define KEY(s)	is_lit(p, kn, s)
#define ONCE(bit, what) do {						\
		if (seen & (1U << (bit)))					\
			return fail(err, errlen, line, "repeated " what);	\
		seen |= 1U << (bit);						\
	} while (0)
		if (KEY("errno")) {
			long long code;

			if (get_errno(v, vn, &code) == -1)
				return fail(err, errlen, line, "bad errno");
			if (code != 0) {
				(void)snprintf(err, errlen, "line %zu: "
				    "wireguard-go answered errno %lld", line,
				    code);
				return -1;
			}
			done = 1;
		} else if (KEY("public_key")) {
			if (d->npeer == WG_PEERS_MAX)
				return fail(err, errlen, line,
				    "too many peers");
			pe = &d->peers[d->npeer];
			memset(pe, 0, sizeof(*pe));
			if (hexkey_b64(v, vn, pe->pub) == -1)
				return fail(err, errlen, line,
				    "bad public_key");
			for (i = 0; i < d->npeer; i++)
				if (memcmp(d->peers[i].pub, pe->pub,
				    WG_KEY_LEN) == 0)
					return fail(err, errlen, line,
					    "duplicate peer");
			d->npeer++;
			seen = 0;
		} else if (pe == NULL) {
			/* Interface section. */
			if (KEY("private_key")) {
				/* Secret: its length only, never its text. */
				ONCE(I_PRIV, "private_key");
				if (vn != HEXKEY_LEN)
					return fail(err, errlen, line,
					    "bad private_key length");
			} else if (KEY("listen_port")) {
				ONCE(I_PORT, "listen_port");
				if (wg_get_uint(v, vn, 65535, &u) == -1)
					return fail(err, errlen, line,
					    "bad listen_port");
			} else if (KEY("fwmark")) {
				ONCE(I_FWMARK, "fwmark");
				if (wg_get_uint(v, vn, UINT32_MAX, &u) == -1)
					return fail(err, errlen, line,
					    "bad fwmark");
			} else
				return fail(err, errlen, line,
				    "unknown interface key");
		} else if (KEY("preshared_key")) {
			/* Secret: its length only, never its text. */
			ONCE(P_PSK, "preshared_key");
			if (vn != HEXKEY_LEN)
				return fail(err, errlen, line,
				    "bad preshared_key length");
		} else if (KEY("protocol_version")) {
			ONCE(P_PROTO, "protocol_version");
			if (!is_lit(v, vn, "1"))
				return fail(err, errlen, line,
				    "unknown protocol_version");
		} else if (KEY("endpoint")) {
			ONCE(P_EP, "endpoint");
			if (wg_get_endpoint(v, vn, pe) == -1)
				return fail(err, errlen, line, "bad endpoint");
		} else if (KEY("last_handshake_time_sec")) {
			ONCE(P_HSEC, "last_handshake_time_sec");
			/* Up to 9999-12-31: gmtime_r stays in range. */
			if (wg_get_uint(v, vn, 253402300799ULL, &u) == -1)
				return fail(err, errlen, line,
				    "bad last_handshake_time_sec");
			pe->handshake = (int64_t)u;
		} else if (KEY("last_handshake_time_nsec")) {
			ONCE(P_HNSEC, "last_handshake_time_nsec");
			if (wg_get_uint(v, vn, 999999999, &u) == -1)
				return fail(err, errlen, line,
				    "bad last_handshake_time_nsec");
		} else if (KEY("tx_bytes")) {
			ONCE(P_TX, "tx_bytes");
			if (wg_get_uint(v, vn, INT64_MAX, &pe->tx) == -1)
				return fail(err, errlen, line, "bad tx_bytes");
		} else if (KEY("rx_bytes")) {
			ONCE(P_RX, "rx_bytes");
			if (wg_get_uint(v, vn, INT64_MAX, &pe->rx) == -1)
				return fail(err, errlen, line, "bad rx_bytes");
		} else if (KEY("persistent_keepalive_interval")) {
			ONCE(P_KA, "persistent_keepalive_interval");
			if (wg_get_uint(v, vn, 65535, &u) == -1)
				return fail(err, errlen, line,
				    "bad persistent_keepalive_interval");
		} else if (KEY("allowed_ip")) {
			if (!wg_is_cidr(v, vn))
				return fail(err, errlen, line,
				    "bad allowed_ip");
			if (pe->addr[0] == '\0') {
				if (vn >= sizeof(pe->addr))
					return fail(err, errlen, line,
					    "bad allowed_ip");
				memcpy(pe->addr, v, vn);
				pe->addr[vn] = '\0';
			}
		} else
			return fail(err, errlen, line, "unknown peer key");
#undef KEY
#undef ONCE
		p = nl + 1;
	}
	return fail(err, errlen, line, done ? "no empty line after the status" :
	    "no status line");
}
