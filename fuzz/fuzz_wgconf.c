/*
 * fuzz_wgconf.c - fuzzes wgconf_parse() (lib/parse_wgconf.c), the reader
 * of wg-quick config files (hub and peer) used by `mupif-central vpn
 * keys` and `vpn reload`.
 *
 * Input: a config file.  An accepted one must have at most WG_MAX_PEERS
 * peers, each with a public key, NUL-terminated names and lists; written
 * back as `wg` would see it (keys, port, AllowedIPs, Endpoint,
 * keepalive) it must parse again to the same keys and values (round
 * trip).  A refused one must leave a NUL-terminated reason.  No I/O, no
 * global state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define OUT_MAX	(WG_MAX_PEERS * 640 + 256)

/* Append to out; aborts if it would not fit (it always should). */
static void __attribute__((format(printf, 3, 4)))
put(char *out, size_t *len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(out + *len, OUT_MAX - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= OUT_MAX - *len)
		abort();
	*len += (size_t)n;
}

/* The parsed config as text again. */
static size_t
render(const struct wgconf *c, char *out)
{
	char	k[WGKEY_B64];
	size_t	len = 0, i;

	if (c->has_name)
		put(out, &len, "# friendly_json = {\"name\":\"%s\"}\n",
		    c->name);
	if (c->has_iface) {
		put(out, &len, "[Interface]\n");
		if (c->has_priv) {
			wgkey_to_b64(c->priv, k);
			put(out, &len, "PrivateKey = %s\n", k);
		}
		if (c->listenport != 0)
			put(out, &len, "ListenPort = %u\n", c->listenport);
	}
	for (i = 0; i < c->npeers; i++) {
		const struct wgconf_peer *p = &c->peers[i];

		wgkey_to_b64(p->pub, k);
		put(out, &len, "[Peer]\nPublicKey = %s\n", k);
		if (p->has_name)
			put(out, &len, "# friendly_json = {\"name\":\"%s\"}\n",
			    p->name);
		if (p->has_psk) {
			wgkey_to_b64(p->psk, k);
			put(out, &len, "PresharedKey = %s\n", k);
		}
		if (p->allowed[0] != '\0')
			put(out, &len, "AllowedIPs = %s\n", p->allowed);
		if (p->endpoint[0] != '\0')
			put(out, &len, "Endpoint = %s\n", p->endpoint);
		if (p->keepalive != 0)
			put(out, &len, "PersistentKeepalive = %u\n",
			    p->keepalive);
	}
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wgconf	*c = NULL, *d = NULL;
	char		 err[256], *out = NULL;
	size_t		 i, len;

	if (size > WG_MAX_FILE || (c = malloc(sizeof(*c))) == NULL ||
	    (d = malloc(sizeof(*d))) == NULL ||
	    (out = malloc(OUT_MAX)) == NULL)
		goto out;
	memset(err, 'x', sizeof(err));
	if (wgconf_parse(c, (const char *)data, size, err,
	    sizeof(err)) == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		goto out;
	}
	if (c->npeers > WG_MAX_PEERS)
		abort();
	for (i = 0; i < c->npeers; i++)
		if (!c->peers[i].has_pub ||
		    memchr(c->peers[i].allowed, '\0',
		    sizeof(c->peers[i].allowed)) == NULL ||
		    memchr(c->peers[i].endpoint, '\0',
		    sizeof(c->peers[i].endpoint)) == NULL)
			abort();
	/* Address and the wg-quick keys are not kept: compare the rest. */
	len = render(c, out);
	if (wgconf_parse(d, out, len, err, sizeof(err)) == -1)
		abort();
	if (d->npeers != c->npeers || d->has_priv != c->has_priv ||
	    d->has_name != c->has_name || d->listenport != c->listenport ||
	    memcmp(d->priv, c->priv, WGKEY_LEN) != 0 ||
	    strcmp(d->name, c->name) != 0)
		abort();
	for (i = 0; i < c->npeers; i++) {
		const struct wgconf_peer *p = &c->peers[i], *q = &d->peers[i];

		if (memcmp(p->pub, q->pub, WGKEY_LEN) != 0 ||
		    p->has_psk != q->has_psk ||
		    memcmp(p->psk, q->psk, WGKEY_LEN) != 0 ||
		    p->has_name != q->has_name ||
		    strcmp(p->name, q->name) != 0 ||
		    strcmp(p->allowed, q->allowed) != 0 ||
		    strcmp(p->endpoint, q->endpoint) != 0 ||
		    p->keepalive != q->keepalive)
			abort();
	}
out:
	if (c != NULL)
		wgconf_wipe(c);
	if (d != NULL)
		wgconf_wipe(d);
	free(c);
	free(d);
	free(out);
	return 0;
}
