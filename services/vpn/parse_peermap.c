/*
 * parse_peermap.c - the peer map of `mupif-central vpn keys` (and of the
 * original easier-wg-quick.py): one JSON object, public key -> friendly
 * name, used to name the peers of /vpn-status2/.
 *
 * Trust: the file is opened by the launcher (root, regular file, no
 * symbolic link) and read by the vpn service before it jails itself; its
 * content is untrusted: at most WG_PEERMAP_MAX bytes, depth 2, at most
 * WG_PEERS_MAX members, every key a WireGuard public key (no duplicate),
 * every name 1-63 bytes of valid UTF-8 (yajl checks) without control
 * characters.  It holds no secret.  Entries are kept sorted by key so a
 * lookup is a binary search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "vpn.h"
#include "banned.h"

static int
ent_cmp(const void *a, const void *b)
{
	return memcmp(((const struct peermap_ent *)a)->pub,
	    ((const struct peermap_ent *)b)->pub, WG_KEY_LEN);
}

int
peermap_parse(struct peermap *m, const char *buf, size_t len, char *err,
    size_t errlen)
{
	yajl_val	 v;
	char		 jerr[128];
	size_t		 i, k;

	m->n = 0;
	if (len > WG_PEERMAP_MAX) {
		(void)snprintf(err, errlen, "peer map too large");
		return -1;
	}
	/* Unique keys are checked below (json.c tracks at most 256). */
	if ((v = json_parse_flags(buf, len, WG_PEERMAP_MAX, 2,
	    JSON_F_KEYS_UNIQUE, jerr, sizeof(jerr))) == NULL) {
		(void)snprintf(err, errlen, "peer map: %s", jerr);
		return -1;
	}
	if (!YAJL_IS_OBJECT(v)) {
		(void)snprintf(err, errlen, "peer map: not an object");
		goto bad;
	}
	if (v->u.object.len > WG_PEERS_MAX) {
		(void)snprintf(err, errlen, "peer map: too many peers");
		goto bad;
	}
	for (i = 0; i < v->u.object.len; i++) {
		const char		*key = v->u.object.keys[i];
		yajl_val		 nv = v->u.object.values[i];
		const char		*name;
		size_t			 nl;
		struct peermap_ent	*e = &m->e[m->n];

		if (!wg_is_key(key, strlen(key))) {
			(void)snprintf(err, errlen, "peer map: member %zu: "
			    "not a public key", i + 1);
			goto bad;
		}
		if (!YAJL_IS_STRING(nv) || (name = YAJL_GET_STRING(nv)) ==
		    NULL || (nl = strlen(name)) == 0 ||
		    nl >= sizeof(e->name)) {
			(void)snprintf(err, errlen, "peer map: member %zu: "
			    "the name must be a string of 1-%zu bytes", i + 1,
			    sizeof(e->name) - 1);
			goto bad;
		}
		for (k = 0; k < nl; k++)
			if ((unsigned char)name[k] < 0x20 || name[k] == 0x7f) {
				(void)snprintf(err, errlen, "peer map: member "
				    "%zu: control character in the name",
				    i + 1);
				goto bad;
			}
		memcpy(e->pub, key, WG_KEY_LEN + 1);
		memcpy(e->name, name, nl + 1);
		m->n++;
	}
	qsort(m->e, m->n, sizeof(m->e[0]), ent_cmp);
	for (i = 1; i < m->n; i++)
		if (ent_cmp(&m->e[i - 1], &m->e[i]) == 0) {
			(void)snprintf(err, errlen, "peer map: duplicate "
			    "public key");
			goto bad;
		}
	yajl_tree_free(v);
	return 0;
bad:
	m->n = 0;
	yajl_tree_free(v);
	return -1;
}

void
peermap_apply(const struct peermap *m, struct wgdump *d)
{
	size_t i;

	for (i = 0; i < d->npeer; i++) {
		struct peermap_ent		 key;
		const struct peermap_ent	*e;

		memcpy(key.pub, d->peers[i].pub, sizeof(key.pub));
		e = bsearch(&key, m->e, m->n, sizeof(m->e[0]), ent_cmp);
		(void)snprintf(d->peers[i].name, sizeof(d->peers[i].name),
		    "%s", e != NULL ? e->name : "");
	}
	d->named = 1;
}
