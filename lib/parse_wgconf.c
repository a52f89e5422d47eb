/*
 * parse_wgconf.c - wg-quick config files read back by `vpn keys` (the
 * hub's, to keep its private key and the existing peers' public and
 * preshared keys; each peer's, to keep its private key) and by `vpn
 * reload` (to hand `wg syncconf` only the keys wg knows).
 *
 * Trust: files we or the old Python generator (wgconfig) wrote, maybe
 * edited by hand; read by root.  Strict and bounded: 1 MiB, 4096-byte
 * lines, 1024 peers, known keys only, every key checked as canonical
 * base64 of 32 bytes.  Errors name a line, never a value.  No I/O, no
 * global state; fuzzed by fuzz/fuzz_wgconf.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "json.h"
#include "wg.h"
#include "banned.h"

enum sect { S_NONE, S_IFACE, S_PEER };

/* printf "line N: ..." into err; always returns -1. */
static int __attribute__((format(printf, 4, 5)))
lerr(char *err, size_t errlen, size_t line, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(err, errlen, "line %zu: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trim blanks around [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*s)[*n - 1]))
		(*n)--;
}

/* Case-insensitive compare of a counted string with a C string. */
static int
eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* "# friendly_json = {...}": 1 and the name in out, 0 when the comment
 * is another one, -1 (err set) when it is a bad friendly_json. */
static int
friendly(const char *s, size_t n, size_t line, char out[WG_IFNAME_MAX + 1],
    char *err, size_t errlen)
{
	static const char	 tag[] = "friendly_json";
	char			 perr[128];
	yajl_val		 root, v;
	const char		*name;
	int			 rc = -1;

	s++;			/* the '#' */
	n--;
	trim(&s, &n);
	if (n < sizeof(tag) - 1 || memcmp(s, tag, sizeof(tag) - 1) != 0)
		return 0;
	s += sizeof(tag) - 1;
	n -= sizeof(tag) - 1;
	trim(&s, &n);
	if (n == 0 || *s != '=')
		return 0;
	s++;
	n--;
	trim(&s, &n);
	if ((root = json_parse(s, n, WG_MAX_LINE, 4, perr,
	    sizeof(perr))) == NULL)
		return lerr(err, errlen, line, "friendly_json: not valid "
		    "JSON");
	if (!YAJL_IS_OBJECT(root) || (v = json_get(root, "name")) == NULL ||
	    !YAJL_IS_STRING(v)) {
		(void)lerr(err, errlen, line, "friendly_json: no \"name\" "
		    "string");
		goto out;
	}
	name = YAJL_GET_STRING(v);
	if (!wg_name_ok(name, strlen(name))) {
		(void)lerr(err, errlen, line, "friendly_json: bad name");
		goto out;
	}
	(void)strlcpy(out, name, WG_IFNAME_MAX + 1);
	rc = 1;
out:
	yajl_tree_free(root);
	return rc;
}

/* A key value; 0 or -1 (err set, the value not quoted). */
static int
key_val(const char *v, size_t n, uint8_t k[WGKEY_LEN], int *has,
    size_t line, const char *what, char *err, size_t errlen)
{
	if (*has)
		return lerr(err, errlen, line, "%s given twice", what);
	if (wgkey_from_b64(v, n, k) == -1)
		return lerr(err, errlen, line, "%s: not a key (base64 of 32 "
		    "bytes)", what);
	*has = 1;
	return 0;
}

/* Append a list value (Address, AllowedIPs on several lines). */
static int
append(char *dst, size_t dstlen, const char *v, size_t n, size_t line,
    const char *what, char *err, size_t errlen)
{
	size_t	have = strlen(dst), i;

	for (i = 0; i < n; i++)
		if (v[i] == '\0' || (unsigned char)v[i] < 0x20 ||
		    (unsigned char)v[i] > 0x7e)
			return lerr(err, errlen, line, "%s: bad character",
			    what);
	if (have + (have > 0 ? 2 : 0) + n >= dstlen)
		return lerr(err, errlen, line, "%s: too long", what);
	if (have > 0) {
		dst[have++] = ',';
		dst[have++] = ' ';
	}
	memcpy(dst + have, v, n);
	dst[have + n] = '\0';
	return 0;
}

/* A number in [0, 65535], or "off" (0) when offok. */
static int
port_val(const char *v, size_t n, int offok, unsigned *out, size_t line,
    const char *what, char *err, size_t errlen)
{
	uint64_t	u;

	if (offok && eq(v, n, "off")) {
		*out = 0;
		return 0;
	}
	if (util_parse_u64(v, n, 0, 65535, &u) == -1)
		return lerr(err, errlen, line, "%s: not a number in 0..65535",
		    what);
	*out = (unsigned)u;
	return 0;
}

/* One "Key = Value" line of the [Interface] section. */
static int
iface_kv(struct wgconf *c, const char *k, size_t kn, const char *v,
    size_t vn, size_t line, char *err, size_t errlen)
{
	static const char *const quick[] = {
		"FwMark", "DNS", "MTU", "Table", "PreUp", "PostUp",
		"PreDown", "PostDown", "SaveConfig", NULL
	};
	size_t	i;

	if (eq(k, kn, "PrivateKey"))
		return key_val(v, vn, c->priv, &c->has_priv, line,
		    "PrivateKey", err, errlen);
	if (eq(k, kn, "ListenPort"))
		return port_val(v, vn, 0, &c->listenport, line, "ListenPort",
		    err, errlen);
	if (eq(k, kn, "Address"))
		return append(c->address, sizeof(c->address), v, vn, line,
		    "Address", err, errlen);
	for (i = 0; quick[i] != NULL; i++)
		if (eq(k, kn, quick[i]))
			return 0;	/* wg-quick only; not kept */
	return lerr(err, errlen, line, "unknown key in [Interface]");
}

/* One "Key = Value" line of a [Peer] section. */
static int
peer_kv(struct wgconf_peer *p, const char *k, size_t kn, const char *v,
    size_t vn, size_t line, char *err, size_t errlen)
{
	if (eq(k, kn, "PublicKey"))
		return key_val(v, vn, p->pub, &p->has_pub, line, "PublicKey",
		    err, errlen);
	if (eq(k, kn, "PresharedKey"))
		return key_val(v, vn, p->psk, &p->has_psk, line,
		    "PresharedKey", err, errlen);
	if (eq(k, kn, "AllowedIPs"))
		return append(p->allowed, sizeof(p->allowed), v, vn, line,
		    "AllowedIPs", err, errlen);
	if (eq(k, kn, "Endpoint")) {
		if (p->endpoint[0] != '\0')
			return lerr(err, errlen, line, "Endpoint given twice");
		return append(p->endpoint, sizeof(p->endpoint), v, vn, line,
		    "Endpoint", err, errlen);
	}
	if (eq(k, kn, "PersistentKeepalive"))
		return port_val(v, vn, 1, &p->keepalive, line,
		    "PersistentKeepalive", err, errlen);
	return lerr(err, errlen, line, "unknown key in [Peer]");
}

/* The [Peer] that just ended must have a public key. */
static int
peer_done(const struct wgconf *c, enum sect s, char *err, size_t errlen)
{
	if (s == S_PEER && !c->peers[c->npeers - 1].has_pub)
		return lerr(err, errlen, c->peers[c->npeers - 1].line,
		    "[Peer] without PublicKey");
	return 0;
}

int
wgconf_parse(struct wgconf *c, const char *text, size_t len, char *err,
    size_t errlen)
{
	enum sect	 s = S_NONE;
	size_t		 pos = 0, line = 0, n, kn, vn;
	const char	*l, *eol, *hash, *eqs, *k, *v;
	char		 name[WG_IFNAME_MAX + 1];
	int		 r;

	memset(c, 0, sizeof(*c));
	if (errlen > 0)
		err[0] = '\0';
	if (len > WG_MAX_FILE)
		return lerr(err, errlen, 0, "file larger than 1 MiB");
	if (memchr(text, '\0', len) != NULL)
		return lerr(err, errlen, 0, "NUL byte in the file");
	while (pos < len) {
		line++;
		l = text + pos;
		eol = memchr(l, '\n', len - pos);
		n = eol != NULL ? (size_t)(eol - l) : len - pos;
		pos += n + (eol != NULL ? 1 : 0);
		if (n > WG_MAX_LINE)
			goto fail_long;
		trim(&l, &n);
		if (n == 0)
			continue;
		if (*l == '#') {
			if ((r = friendly(l, n, line, name, err,
			    errlen)) == -1)
				goto fail;
			if (r == 0)
				continue;
			if (s == S_NONE && !c->has_name && !c->has_iface) {
				(void)strlcpy(c->name, name, sizeof(c->name));
				c->has_name = 1;
			} else if (s == S_PEER &&
			    !c->peers[c->npeers - 1].has_name) {
				struct wgconf_peer *p;

				p = &c->peers[c->npeers - 1];
				(void)strlcpy(p->name, name, sizeof(p->name));
				p->has_name = 1;
			} else {
				(void)lerr(err, errlen, line, "friendly_json "
				    "out of place or given twice");
				goto fail;
			}
			continue;
		}
		/* An inline comment ends the line, as in wg-quick. */
		if ((hash = memchr(l, '#', n)) != NULL) {
			n = (size_t)(hash - l);
			trim(&l, &n);
		}
		if (*l == '[') {
			if (peer_done(c, s, err, errlen) == -1)
				goto fail;
			if (eq(l, n, "[Interface]")) {
				if (c->has_iface) {
					(void)lerr(err, errlen, line,
					    "[Interface] given twice");
					goto fail;
				}
				c->has_iface = 1;
				s = S_IFACE;
			} else if (eq(l, n, "[Peer]")) {
				if (c->npeers == WG_MAX_PEERS) {
					(void)lerr(err, errlen, line, "more "
					    "than %d peers", WG_MAX_PEERS);
					goto fail;
				}
				c->peers[c->npeers++].line = line;
				s = S_PEER;
			} else {
				(void)lerr(err, errlen, line, "unknown "
				    "section");
				goto fail;
			}
			continue;
		}
		if ((eqs = memchr(l, '=', n)) == NULL) {
			(void)lerr(err, errlen, line, "not \"Key = Value\"");
			goto fail;
		}
		k = l;
		kn = (size_t)(eqs - l);
		v = eqs + 1;
		vn = n - kn - 1;
		trim(&k, &kn);
		trim(&v, &vn);
		if (vn == 0) {
			(void)lerr(err, errlen, line, "empty value");
			goto fail;
		}
		if (s == S_IFACE)
			r = iface_kv(c, k, kn, v, vn, line, err, errlen);
		else if (s == S_PEER)
			r = peer_kv(&c->peers[c->npeers - 1], k, kn, v, vn,
			    line, err, errlen);
		else
			r = lerr(err, errlen, line, "key outside a section");
		if (r == -1)
			goto fail;
	}
	if (peer_done(c, s, err, errlen) == -1)
		goto fail;
	return 0;
fail_long:
	(void)lerr(err, errlen, line, "line longer than %d bytes",
	    WG_MAX_LINE);
fail:
	wgconf_wipe(c);
	return -1;
}

void
wgconf_wipe(struct wgconf *c)
{
	size_t	i;

	if (c == NULL)
		return;
	sodium_memzero(c->priv, sizeof(c->priv));
	for (i = 0; i < WG_MAX_PEERS; i++)
		sodium_memzero(c->peers[i].psk, sizeof(c->peers[i].psk));
}
