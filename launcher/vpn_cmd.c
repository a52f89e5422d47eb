/*
 * vpn_cmd.c - `mupif-central vpn keys` and `vpn reload`: the WireGuard
 * topology (spec infrastructure.md 6) turned into keys and configs, and
 * the hub's new peer set applied to its running interface.
 *
 *   vpn keys   --topology FILE
 *   vpn reload --topology FILE [--netns NAME]
 *
 * Trust: run by root in the launcher, never in a service.  Inputs are the
 * operator's topology and config files we wrote before (parsed strictly,
 * lib/parse_topology.c, lib/parse_wgconf.c).  Holds private and preshared
 * keys while it runs: never printed or logged, compared with
 * sodium_memcmp, wiped before exit; files holding them are 0600, written
 * atomically (temp file, fsync, rename, fsync of the directory) in
 * directories created 0700.  `reload` hands the stripped hub config to
 * `wg syncconf` through a memfd, so no extra copy lands on disk.
 * docs/vpn.md describes both commands.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "launcher.h"
#include "wg.h"
#include "banned.h"

/* Where `wg` and `ip` may be; the first executable one is used. */
static const char *const wg_paths[] = {
	"/usr/bin/wg", "/usr/sbin/wg", "/bin/wg", NULL
};
static const char *const ip_paths[] = {
	"/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip", NULL
};

/* A growing text buffer; may hold secrets, so growth wipes the old
 * copy and sb_free() wipes the whole. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
};

/* Resolved locations of one topology's files. */
struct vpaths {
	char	 base[PATH_MAX];	/* the topology's directory */
	char	 hubdir[PATH_MAX];
	char	 peerdir[PATH_MAX];
	char	 peermap[PATH_MAX];
	char	 hubconf[PATH_MAX];
};

/* What `keys` decided for one peer of the topology. */
struct vpeer {
	uint8_t		 priv[WGKEY_LEN];
	uint8_t		 pub[WGKEY_LEN];
	uint8_t		 psk[WGKEY_LEN];
	const char	*status;
};

/* One error line on stderr, "mupif-central: vpn: ..."; returns 1. */
static int __attribute__((format(printf, 1, 2)))
verr(const char *fmt, ...)
{
	va_list	ap;

	(void)fputs("mupif-central: vpn: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	return 1;
}

/* Append formatted text; 0 or -1 (ENOMEM, ERANGE). */
static int __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*np;
	size_t	 ncap;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (b->len + (size_t)n + 1 > b->cap) {
		ncap = b->cap == 0 ? 4096 : b->cap;
		while (ncap < b->len + (size_t)n + 1)
			ncap *= 2;
		if (ncap > WG_MAX_FILE * 4 || (np = malloc(ncap)) == NULL)
			return -1;
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = ncap;
	}
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* Wipe and free a text buffer. */
static void
sb_free(struct sbuf *b)
{
	if (b->p != NULL) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}

/* Wipe and free a heap buffer read from a file. */
static void
wipe_free(char *p, size_t len)
{
	if (p != NULL) {
		sodium_memzero(p, len);
		free(p);
	}
}

/* p relative to base unless absolute; 0 or -1 (too long). */
static int
resolve(const char *base, const char *p, char *out, size_t len)
{
	int	n;

	if (p[0] == '/')
		n = snprintf(out, len, "%s", p);
	else
		n = snprintf(out, len, "%s/%s", base, p);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The directory part of path ("." when none); 0 or -1. */
static int
dir_of(const char *path, char *out, size_t len)
{
	const char	*slash = strrchr(path, '/');
	size_t		 n;

	if (slash == NULL)
		return strlcpy(out, ".", len) >= len ? -1 : 0;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -1;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

/* mkdir -p, missing components created 0700; 0 or -1 with errno. */
static int
mkdirs(const char *path)
{
	char	 tmp[PATH_MAX];
	size_t	 i, n;

	if ((n = strlcpy(tmp, path, sizeof(tmp))) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
			return -1;
		if (i < n)
			tmp[i] = '/';
	}
	return 0;
}

/*
 * Replace path with len bytes of data, mode mode, atomically.  When the
 * file already holds exactly these bytes with this mode nothing is
 * written and *changed is 0.  0, or -1 with errno.
 */
static int
write_atomic(const char *path, const char *data, size_t len, mode_t mode,
    int *changed)
{
	char		*old = NULL;
	size_t		 oldlen = 0;
	struct stat	 st;
	int		 same = 0;

	*changed = 0;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 07777) == mode &&
	    util_read_file(path, WG_MAX_FILE * 4, &old, &oldlen) == 0) {
		same = oldlen == len && sodium_memcmp(old, data, len) == 0;
		wipe_free(old, oldlen);
		if (same)
			return 0;
	}
	if (util_write_atomic(path, data, len, mode) == -1)
		return -1;
	*changed = 1;
	return 0;
}

/*
 * Read and parse a wg-quick config.  1 parsed, 0 absent, -1 error (one
 * line printed).  c is wiped on error.
 */
static int
read_wgconf(const char *path, struct wgconf *c)
{
	char	*text = NULL, err[256];
	size_t	 len = 0;
	int	 rc;

	if (util_read_file(path, WG_MAX_FILE, &text, &len) == -1) {
		if (errno == ENOENT)
			return 0;
		(void)verr("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = wgconf_parse(c, text, len, err, sizeof(err));
	wipe_free(text, len);
	if (rc == -1) {
		(void)verr("%s: %s", path, err);
		return -1;
	}
	return 1;
}

/* Read and check the topology, resolve its paths.  0, or the exit code
 * (2: bad topology, 1: cannot read it). */
static int
load_topology(const char *file, struct topo *t, struct vpaths *vp)
{
	char	*text = NULL, err[512];
	size_t	 len = 0;
	int	 rc;

	if (file == NULL) {
		(void)verr("--topology FILE is required");
		return 2;
	}
	if (util_read_file(file, WG_MAX_FILE, &text, &len) == -1) {
		(void)verr("topology %s: %s", file, strerror(errno));
		return 1;
	}
	rc = topo_parse(t, text, len, err, sizeof(err));
	free(text);
	if (rc == -1) {
		(void)verr("topology %s: %s", file, err);
		return 2;
	}
	if (dir_of(file, vp->base, sizeof(vp->base)) == -1 ||
	    resolve(vp->base, t->hubdir, vp->hubdir, sizeof(vp->hubdir)) ||
	    resolve(vp->base, t->peerdir, vp->peerdir,
	    sizeof(vp->peerdir)) ||
	    resolve(vp->base, t->peermap, vp->peermap,
	    sizeof(vp->peermap)) ||
	    snprintf(vp->hubconf, sizeof(vp->hubconf), "%s/%s.conf",
	    vp->hubdir, t->iface) >= (int)sizeof(vp->hubconf)) {
		(void)verr("topology %s: a path is too long", file);
		return 2;
	}
	return 0;
}

/* <peerDir>/<iface>_<name>.conf; 0 or -1. */
static int
peer_path(const struct topo *t, const struct vpaths *vp, const char *name,
    char *out, size_t len)
{
	int	n;

	n = snprintf(out, len, "%s/%s_%s.conf", vp->peerdir, t->iface, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The hub config text (spec 6.2 order). */
static int
hub_text(struct sbuf *b, const struct topo *t, const uint8_t *hubpriv,
    const struct vpeer *vp)
{
	char	 k[WGKEY_B64], p[WGKEY_B64];
	size_t	 i;
	int	 rc = 0;

	wgkey_to_b64(hubpriv, k);
	rc |= sb_printf(b, "[Interface]\nAddress = %u.%u.%u.%u/%u\n"
	    "ListenPort = %u\nPrivateKey = %s\n", t->addr[0], t->addr[1],
	    t->addr[2], t->addr[3], t->prefix, t->extport, k);
	if (t->iptables)
		rc |= sb_printf(b, "PostUp = iptables -A INPUT -p udp "
		    "--dport %u -j ACCEPT\n", t->extport);
	for (i = 0; i < t->npeers; i++) {
		const struct topo_peer *tp = &t->peers[i];

		wgkey_to_b64(vp[i].pub, k);
		wgkey_to_b64(vp[i].psk, p);
		rc |= sb_printf(b, "\n[Peer]\nPublicKey = %s\n"
		    "# friendly_json = {\"name\":\"%s\"}\n"
		    "PresharedKey = %s\nAllowedIPs = %u.%u.%u.%u/32\n", k,
		    tp->name, p, tp->ip[0], tp->ip[1], tp->ip[2], tp->ip[3]);
	}
	sodium_memzero(k, sizeof(k));
	sodium_memzero(p, sizeof(p));
	return rc;
}

/* One peer's config text (spec 6.2). */
static int
peer_text(struct sbuf *b, const struct topo *t, const uint8_t *hubpub,
    const struct topo_peer *tp, const struct vpeer *v)
{
	char	 k[WGKEY_B64], h[WGKEY_B64], p[WGKEY_B64];
	int	 rc = 0;

	wgkey_to_b64(v->priv, k);
	wgkey_to_b64(hubpub, h);
	wgkey_to_b64(v->psk, p);
	rc |= sb_printf(b, "# friendly_json = {\"name\":\"%s\"}\n"
	    "[Interface]\nAddress = %u.%u.%u.%u/%u\nPrivateKey = %s\n\n"
	    "[Peer]\nPublicKey = %s\nPresharedKey = %s\n"
	    "AllowedIPs = %u.%u.%u.%u/%u\nEndpoint = %u.%u.%u.%u:%u\n",
	    tp->name, tp->ip[0], tp->ip[1], tp->ip[2], tp->ip[3], t->prefix,
	    k, h, p, t->net[0], t->net[1], t->net[2], t->net[3], t->prefix,
	    t->ext[0], t->ext[1], t->ext[2], t->ext[3], t->extport);
	if (t->keepalive > 0)
		rc |= sb_printf(b, "PersistentKeepalive = %u\n", t->keepalive);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(p, sizeof(p));
	return rc;
}

/* The peer map: {"<public key>":"<name>",...} on one line.  Names are
 * [A-Za-z0-9_=+.-] and keys base64: nothing to escape. */
static int
map_text(struct sbuf *b, const struct topo *t, const struct vpeer *vp)
{
	char	 k[WGKEY_B64];
	size_t	 i;
	int	 rc = 0;

	rc |= sb_printf(b, "{");
	for (i = 0; i < t->npeers; i++) {
		wgkey_to_b64(vp[i].pub, k);
		rc |= sb_printf(b, "%s\"%s\":\"%s\"", i > 0 ? "," : "", k,
		    t->peers[i].name);
	}
	rc |= sb_printf(b, "}\n");
	return rc;
}

/* Keys of topology peer i: kept from the hub config and its peer
 * config, taken from its peer config alone, or new.  0 or 1 (printed). */
static int
peer_keys(const struct topo *t, const struct vpaths *vp,
    const struct wgconf *hub, size_t i, struct wgconf *pc, struct vpeer *v)
{
	const struct topo_peer		*tp = &t->peers[i];
	const struct wgconf_peer	*hp = NULL;
	char				 path[PATH_MAX];
	uint8_t				 pub[WGKEY_LEN];
	size_t				 j;
	int				 have;

	if (hub != NULL)
		for (j = 0; j < hub->npeers; j++)
			if (strcmp(hub->peers[j].name, tp->name) == 0)
				hp = &hub->peers[j];
	if (peer_path(t, vp, tp->name, path, sizeof(path)) == -1)
		return verr("peer \"%s\": path too long", tp->name);
	if ((have = read_wgconf(path, pc)) == -1)
		return 1;
	if (have && !pc->has_priv)
		return verr("%s: no PrivateKey in [Interface]", path);
	if (hp != NULL) {
		if (!have)
			return verr("peer \"%s\" is in the hub config %s but "
			    "its config %s is missing: remove its [Peer] "
			    "block from the hub config by hand to give it "
			    "new keys", tp->name, vp->hubconf, path);
		if (wgkey_public(pc->priv, pub) == -1 ||
		    sodium_memcmp(pub, hp->pub, WGKEY_LEN) != 0)
			return verr("peer \"%s\": the private key in %s does "
			    "not match its public key in the hub config %s",
			    tp->name, path, vp->hubconf);
		memcpy(v->priv, pc->priv, WGKEY_LEN);
		memcpy(v->pub, hp->pub, WGKEY_LEN);
		if (hp->has_psk)
			memcpy(v->psk, hp->psk, WGKEY_LEN);
		else
			wgkey_psk(v->psk);
		v->status = "kept";
	} else if (have) {
		memcpy(v->priv, pc->priv, WGKEY_LEN);
		if (wgkey_public(v->priv, v->pub) == -1)
			return verr("%s: unusable private key", path);
		if (pc->npeers == 1 && pc->peers[0].has_psk)
			memcpy(v->psk, pc->peers[0].psk, WGKEY_LEN);
		else
			wgkey_psk(v->psk);
		v->status = "kept (from its peer config)";
	} else {
		do {
			wgkey_generate(v->priv);
		} while (wgkey_public(v->priv, v->pub) == -1);
		wgkey_psk(v->psk);
		v->status = "new";
	}
	sodium_memzero(pub, sizeof(pub));
	wgconf_wipe(pc);
	return 0;
}

/* Write one file, report it; 0 or 1 (printed). */
static int
put_file(const char *path, const struct sbuf *b, mode_t mode,
    const char *what)
{
	int	changed;

	if (b->p == NULL)
		return verr("%s: out of memory", path);
	if (write_atomic(path, b->p, b->len, mode, &changed) == -1)
		return verr("%s: %s", path, strerror(errno));
	(void)printf("%-12s %s: %s\n", what, path,
	    changed ? "written" : "unchanged");
	return 0;
}

/* Check the hub config's peer blocks: each named, names unique. */
static int
check_hub(const struct vpaths *vp, const struct wgconf *hub)
{
	size_t	i, j;

	if (!hub->has_iface || !hub->has_priv)
		return verr("%s: no [Interface] PrivateKey", vp->hubconf);
	for (i = 0; i < hub->npeers; i++) {
		if (!hub->peers[i].has_name)
			return verr("%s: line %zu: [Peer] without a "
			    "\"# friendly_json\" name: cannot tell whose it "
			    "is; name it or remove it", vp->hubconf,
			    hub->peers[i].line);
		for (j = 0; j < i; j++)
			if (strcmp(hub->peers[j].name,
			    hub->peers[i].name) == 0)
				return verr("%s: line %zu: peer \"%s\" "
				    "appears twice", vp->hubconf,
				    hub->peers[i].line, hub->peers[i].name);
	}
	return 0;
}

/* `vpn keys --topology FILE`. */
static int
vpn_keys(const struct opts *o)
{
	struct topo	*t = NULL;
	struct wgconf	*hub = NULL, *pc = NULL;
	struct vpeer	*vpe = NULL;
	struct vpaths	 vp;
	struct sbuf	 b;
	char		 dir[PATH_MAX], path[PATH_MAX];
	uint8_t		 hubpriv[WGKEY_LEN], hubpub[WGKEY_LEN];
	size_t		 i, j, nremoved = 0;
	int		 rc = 1, have, found;

	memset(&b, 0, sizeof(b));
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (hub = calloc(1, sizeof(*hub))) == NULL ||
	    (pc = calloc(1, sizeof(*pc))) == NULL ||
	    (vpe = calloc(WG_MAX_PEERS, sizeof(*vpe))) == NULL) {
		(void)verr("out of memory");
		goto out;
	}
	if ((rc = load_topology(o->topology, t, &vp)) != 0)
		goto out;
	rc = 1;
	if (t->restart)
		(void)fprintf(stderr, "mupif-central: vpn: warning: "
		    "\"restart\" is not supported and is ignored; apply "
		    "the new peers with `mupif-central vpn reload`\n");
	if (dir_of(vp.peermap, dir, sizeof(dir)) == -1 ||
	    mkdirs(vp.hubdir) == -1 || mkdirs(vp.peerdir) == -1 ||
	    mkdirs(dir) == -1) {
		(void)verr("creating directories: %s", strerror(errno));
		goto out;
	}
	if ((have = read_wgconf(vp.hubconf, hub)) == -1)
		goto out;
	if (have) {
		if (check_hub(&vp, hub) != 0)
			goto out;
		memcpy(hubpriv, hub->priv, WGKEY_LEN);
		if (wgkey_public(hubpriv, hubpub) == -1) {
			(void)verr("%s: unusable private key", vp.hubconf);
			goto out;
		}
	} else {
		do {
			wgkey_generate(hubpriv);
		} while (wgkey_public(hubpriv, hubpub) == -1);
	}
	for (i = 0; i < t->npeers; i++)
		if (peer_keys(t, &vp, have ? hub : NULL, i, pc, &vpe[i]) != 0)
			goto out;

	/* Peer configs first, so the hub never names a peer without one. */
	for (i = 0; i < t->npeers; i++) {
		sb_free(&b);
		if (peer_path(t, &vp, t->peers[i].name, path,
		    sizeof(path)) == -1 ||
		    peer_text(&b, t, hubpub, &t->peers[i], &vpe[i]) == -1 ||
		    put_file(path, &b, 0600, "peer config") != 0)
			goto out;
	}
	sb_free(&b);
	if (hub_text(&b, t, hubpriv, vpe) == -1 ||
	    put_file(vp.hubconf, &b, 0600, "hub config") != 0)
		goto out;
	sb_free(&b);
	if (map_text(&b, t, vpe) == -1 ||
	    put_file(vp.peermap, &b, 0644, "peer map") != 0)
		goto out;

	/* Peers gone from the topology: out of the hub config (above) and
	 * their now useless secret config deleted. */
	for (j = 0; have && j < hub->npeers; j++) {
		found = 0;
		for (i = 0; i < t->npeers; i++)
			if (strcmp(t->peers[i].name, hub->peers[j].name) == 0)
				found = 1;
		if (found)
			continue;
		nremoved++;
		if (peer_path(t, &vp, hub->peers[j].name, path,
		    sizeof(path)) == 0 && unlink(path) == -1 &&
		    errno != ENOENT) {
			(void)verr("%s: %s", path, strerror(errno));
			goto out;
		}
		(void)printf("peer %-15s removed (hub block and %s "
		    "deleted)\n", hub->peers[j].name, path);
	}
	for (i = 0; i < t->npeers; i++)
		(void)printf("peer %-15s %u.%u.%u.%u  %s\n", t->peers[i].name,
		    t->peers[i].ip[0], t->peers[i].ip[1], t->peers[i].ip[2],
		    t->peers[i].ip[3], vpe[i].status);
	(void)printf("%zu peers, %zu removed; apply with `mupif-central vpn "
	    "reload --topology %s`\n", t->npeers, nremoved, o->topology);
	rc = 0;
out:
	sb_free(&b);
	sodium_memzero(hubpriv, sizeof(hubpriv));
	if (vpe != NULL) {
		sodium_memzero(vpe, WG_MAX_PEERS * sizeof(*vpe));
		free(vpe);
	}
	wgconf_wipe(hub);
	wgconf_wipe(pc);
	free(hub);
	free(pc);
	free(t);
	return rc;
}

/* The first executable of a candidate list, or NULL. */
static const char *
find_bin(const char *const *paths)
{
	size_t	i;

	for (i = 0; paths[i] != NULL; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* A network namespace name as `ip netns` accepts; 1 if fine. */
static int
netns_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/* The hub config as `wg` knows it (wg-quick keys left out). */
static int
strip_text(struct sbuf *b, const struct wgconf *hub)
{
	char	 k[WGKEY_B64];
	size_t	 i;
	int	 rc = 0;

	wgkey_to_b64(hub->priv, k);
	rc |= sb_printf(b, "[Interface]\nPrivateKey = %s\n", k);
	if (hub->listenport != 0)
		rc |= sb_printf(b, "ListenPort = %u\n", hub->listenport);
	for (i = 0; i < hub->npeers; i++) {
		const struct wgconf_peer *p = &hub->peers[i];

		wgkey_to_b64(p->pub, k);
		rc |= sb_printf(b, "\n[Peer]\nPublicKey = %s\n", k);
		if (p->has_psk) {
			wgkey_to_b64(p->psk, k);
			rc |= sb_printf(b, "PresharedKey = %s\n", k);
		}
		if (p->allowed[0] != '\0')
			rc |= sb_printf(b, "AllowedIPs = %s\n", p->allowed);
		if (p->endpoint[0] != '\0')
			rc |= sb_printf(b, "Endpoint = %s\n", p->endpoint);
		if (p->keepalive != 0)
			rc |= sb_printf(b, "PersistentKeepalive = %u\n",
			    p->keepalive);
	}
	sodium_memzero(k, sizeof(k));
	return rc;
}

/* `vpn reload --topology FILE [--netns NAME]`: wg syncconf. */
static int
vpn_reload(const struct opts *o)
{
	static char *const env[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL
	};
	struct topo	*t = NULL;
	struct wgconf	*hub = NULL;
	struct vpaths	 vp;
	struct sbuf	 b;
	const char	*wg, *ip = NULL;
	char		 fdpath[32], *argv[10];
	int		 rc = 1, fd = -1, st, n = 0, have;
	pid_t		 pid;

	memset(&b, 0, sizeof(b));
	if (o->netns != NULL && !netns_ok(o->netns))
		return verr("--netns: bad namespace name") + 1;
	if ((wg = find_bin(wg_paths)) == NULL)
		return verr("wg (wireguard-tools) not found");
	if (o->netns != NULL && (ip = find_bin(ip_paths)) == NULL)
		return verr("ip (iproute2) not found");
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (hub = calloc(1, sizeof(*hub))) == NULL) {
		(void)verr("out of memory");
		goto out;
	}
	if ((rc = load_topology(o->topology, t, &vp)) != 0)
		goto out;
	rc = 1;
	if ((have = read_wgconf(vp.hubconf, hub)) == -1)
		goto out;
	if (have == 0) {
		(void)verr("%s: missing; run `mupif-central vpn keys` first",
		    vp.hubconf);
		goto out;
	}
	if (check_hub(&vp, hub) != 0 || strip_text(&b, hub) == -1)
		goto out;
	/* No CLOEXEC: wg reads it as /dev/fd/N. */
	if ((fd = memfd_create("wg-syncconf", 0)) == -1 ||
	    util_write_all(fd, b.p, b.len) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		(void)verr("memfd: %s", strerror(errno));
		goto out;
	}
	(void)snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	if (ip != NULL) {
		argv[n++] = (char *)ip;
		argv[n++] = "netns";
		argv[n++] = "exec";
		argv[n++] = (char *)o->netns;
	}
	argv[n++] = (char *)wg;
	argv[n++] = "syncconf";
	argv[n++] = t->iface;
	argv[n++] = fdpath;
	argv[n] = NULL;
	(void)fflush(stdout);
	if ((pid = fork()) == -1) {
		(void)verr("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		(void)execve(argv[0], argv, env);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			(void)verr("waitpid: %s", strerror(errno));
			goto out;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		(void)verr("wg syncconf %s failed (%s %d)", t->iface,
		    WIFEXITED(st) ? "exit" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		goto out;
	}
	(void)printf("reloaded %s: %zu peers (wg syncconf%s%s)\n", t->iface,
	    hub->npeers, ip != NULL ? " in netns " : "",
	    ip != NULL ? o->netns : "");
	rc = 0;
out:
	if (fd != -1) {
		if (ftruncate(fd, 0) == -1)	/* drop the pages now */
			(void)verr("memfd: %s", strerror(errno));
		close(fd);
	}
	sb_free(&b);
	wgconf_wipe(hub);
	free(hub);
	free(t);
	return rc;
}

int
cmd_vpn(const struct opts *o, int argc, char **argv)
{
	if (argc != 2)
		return verr("usage: vpn keys --topology FILE | vpn reload "
		    "--topology FILE [--netns NAME]") + 1;
	if (sodium_init() == -1)
		return verr("sodium_init failed");
	(void)umask(077);
	if (strcmp(argv[1], "keys") == 0) {
		if (o->netns != NULL)
			return verr("--netns is for `vpn reload`") + 1;
		return vpn_keys(o);
	}
	if (strcmp(argv[1], "reload") == 0)
		return vpn_reload(o);
	return verr("unknown vpn command \"%s\" (keys, reload)", argv[1]) + 1;
}
