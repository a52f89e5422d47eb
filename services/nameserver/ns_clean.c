/*
 * ns_clean.c - autoclean (spec/pyro-nameserver.md section 6.1): remove
 * registrations whose endpoint has not accepted a TCP connection for
 * NS_CLEAN_GRACE_MS (20 s, as pyro5-ns), probing each registration every
 * ns_autoclean_s seconds.
 *
 * Like pyro5-ns, a probe is a plain TCP connect, closed at once: no Pyro
 * handshake, so nothing a probed peer sends is ever read or parsed.  A
 * connect tells whether something listens on the registered port, which
 * is all pyro5-ns's autoclean knows too.
 *
 * Unlike pyro5-ns:
 * - only a URI whose host is a numeric IPv4 or IPv6 address inside
 *   ns_autoclean_nets is probed.  Host names (no resolver in the jail, and
 *   a name could point anywhere), Unix sockets, PYRONAME/PYROMETA URIs,
 *   ports outside 1-65535, unspecified (0.0.0.0, ::) and IPv4-mapped or
 *   -compatible IPv6 addresses are never probed, and so never removed.
 *   Seccomp cannot see a sockaddr, so this check (ns_clean_target) is the
 *   only thing standing between a registered URI and a connect(2);
 * - probes are non-blocking connects in the nameserver's one epoll loop,
 *   at most NS_CLEAN_MAX at once, each given NS_CLEAN_TIMEOUT_MS, so dead
 *   or black-holed peers never hold up requests;
 * - a URI that cannot be probed is skipped and the sweep goes on (in
 *   pyro5-ns it killed the autoclean thread for good).
 *
 * Trust: the URIs are client strings, stored after ns_methods.c checked
 * them; they are parsed again here and nothing is assumed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "nameserver.h"
#include "banned.h"

int
ns_clean_init(struct ns_clean *cl, struct ns *ns, int ep, long long period_s,
    const char *nets, char *err, size_t errlen)
{
	size_t i;

	memset(cl, 0, sizeof(*cl));
	cl->ns = ns;
	cl->ep = ep;
	if (period_s < 3 || period_s > 86400) {
		(void)snprintf(err, errlen, "autoclean period %lld s: 3-86400",
		    period_s);
		return -1;
	}
	cl->period_ms = period_s * 1000;
	if (cidr_parse_list(nets, strlen(nets), &cl->nets, err, errlen) == -1)
		return -1;
	if (cl->nets.n == 0) {
		(void)snprintf(err, errlen, "autoclean without networks to "
		    "probe");
		return -1;
	}
	for (i = 0; i < NS_CLEAN_MAX; i++)
		cl->probes[i].fd = -1;
	return 0;
}

static void
probe_end(struct ns_clean *cl, struct ns_probe *p)
{
	if (cl->ep != -1)
		(void)epoll_ctl(cl->ep, EPOLL_CTL_DEL, p->fd, NULL);
	(void)close(p->fd);
	p->fd = -1;
	cl->inflight--;
}

void
ns_clean_free(struct ns_clean *cl)
{
	size_t i;

	for (i = 0; i < NS_CLEAN_MAX; i++)
		if (cl->probes[i].fd != -1)
			probe_end(cl, &cl->probes[i]);
}

int
ns_clean_target(const struct ns_clean *cl, const char *uri, size_t len,
    struct sockaddr_storage *ss, const char **why)
{
	return ns_net_target(&cl->nets, uri, len, ss, why);
}

int
ns_net_target(const struct cidr_set *nets, const char *uri, size_t len,
    struct sockaddr_storage *ss, const char **why)
{
	struct pyro_uri	 u;
	char		 host[INET6_ADDRSTRLEN + 1], err[256];
	uint8_t		 a[16];

	memset(ss, 0, sizeof(*ss));
	if (pyro_uri_parse(uri, len, &u, err, sizeof(err)) == -1) {
		*why = "not a valid URI";
		return 0;
	}
	if (strcmp(u.protocol, "PYRO") != 0) {
		*why = "not a PYRO: URI";
		return 0;
	}
	if (u.sockname != NULL || u.host == NULL || !u.has_port) {
		*why = "no TCP address";
		return 0;
	}
	if (u.port < 1 || u.port > 65535) {
		*why = "port outside 1-65535";
		return 0;
	}
	if (u.hostlen == 0 || u.hostlen >= sizeof(host)) {
		*why = "host is not a numeric address";
		return 0;
	}
	memcpy(host, u.host, u.hostlen);
	host[u.hostlen] = '\0';
	if (inet_pton(AF_INET, host, a) == 1) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (memcmp(a, "\0\0\0\0", 4) == 0) {
			*why = "unspecified address";
			return 0;
		}
		if (!cidr_contains(nets, AF_INET, a)) {
			*why = "address outside the configured networks";
			return 0;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)u.port);
		memcpy(&s4->sin_addr, a, 4);
		return 1;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
		struct in6_addr		 i6;

		memcpy(&i6, a, sizeof(i6));
		if (IN6_IS_ADDR_UNSPECIFIED(&i6) || IN6_IS_ADDR_V4MAPPED(&i6) ||
		    IN6_IS_ADDR_V4COMPAT(&i6)) {
			*why = "unspecified or IPv4-mapped IPv6 address";
			return 0;
		}
		if (!cidr_contains(nets, AF_INET6, a)) {
			*why = "address outside the configured networks";
			return 0;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)u.port);
		s6->sin6_addr = i6;
		return 1;
	}
	*why = "host is not a numeric address";
	return 0;
}

void
ns_clean_result(struct ns_clean *cl, int64_t id, const char *uri,
    size_t urilen, int ok, int64_t now)
{
	struct ns_ent	*e = store_find_id(&cl->ns->st, id);
	long		 n;

	/* Removed or re-registered meanwhile: the result is stale. */
	if (e == NULL || e->urilen != urilen ||
	    memcmp(e->uri, uri, urilen) != 0)
		return;
	if (ok) {
		if (e->dead_since != 0)
			log_info("autoclean: %.*s answers again",
			    (int)(e->namelen > 200 ? 200 : e->namelen),
			    e->name);
		e->dead_since = 0;
		return;
	}
	cl->failed++;
	if (e->dead_since == 0) {
		e->dead_since = now != 0 ? now : 1;
		return;
	}
	if (now - e->dead_since < NS_CLEAN_GRACE_MS)
		return;
	log_info("autoclean: unregistering %.*s; cannot connect uri %.*s for "
	    "%d sec", (int)(e->namelen > 200 ? 200 : e->namelen), e->name,
	    (int)(e->urilen > 200 ? 200 : e->urilen), e->uri,
	    NS_CLEAN_GRACE_MS / 1000);
	if ((n = store_delete(&cl->ns->st, &e, 1)) == -1)
		log_warnx("autoclean: %s", cl->ns->st.err);
	else
		cl->removed += (size_t)n;
}

/* The first entry with an id above cursor, or NULL. */
static struct ns_ent *
next_entry(const struct ns_store *st, int64_t cursor)
{
	size_t lo = 0, hi = st->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (st->ents[mid]->id <= cursor)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->n ? st->ents[lo] : NULL;
}

static int
is_name(const struct ns_ent *e, const char *n)
{
	return e->namelen == strlen(n) && memcmp(e->name, n, e->namelen) == 0;
}

/*
 * Start a probe of e.  1: started (or already decided), 0: out of
 * descriptors or slots, try later.
 */
static int
probe_start(struct ns_clean *cl, const struct ns_ent *e, int64_t now)
{
	struct sockaddr_storage	 ss;
	struct epoll_event	 ev;
	struct ns_probe		*p = NULL;
	const char		*why;
	size_t			 i;
	int			 fd;

	if (!ns_clean_target(cl, e->uri, e->urilen, &ss, &why)) {
		log_debug("autoclean: not probing %.*s (%s)",
		    (int)(e->namelen > 200 ? 200 : e->namelen), e->name, why);
		cl->skipped++;
		return 1;
	}
	for (i = 0; i < NS_CLEAN_MAX && p == NULL; i++)
		if (cl->probes[i].fd == -1)
			p = &cl->probes[i];
	if (p == NULL)
		return 0;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_warn("autoclean: socket");
		return 0;
	}
	p->fd = fd;
	p->id = e->id;
	p->started = now;
	memcpy(p->uri, e->uri, e->urilen);
	p->urilen = e->urilen;
	cl->inflight++;
	cl->probed++;
	if (connect(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) == 0) {
		probe_end(cl, p);
		ns_clean_result(cl, e->id, p->uri, p->urilen, 1, now);
		return 1;
	}
	if (errno == EAGAIN || errno == EADDRNOTAVAIL || errno == ENOBUFS ||
	    errno == ENOMEM) {
		/* Our side's trouble (no local port, no memory): says
		 * nothing about the peer.  Not a result; the sweep goes on. */
		log_warn("autoclean: connect");
		probe_end(cl, p);
		cl->probed--;
		cl->skipped++;
		return 1;
	}
	if (errno != EINPROGRESS && errno != EINTR) {
		/* Refused, unreachable, ...: a failed probe. */
		probe_end(cl, p);
		ns_clean_result(cl, p->id, p->uri, p->urilen, 0, now);
		return 1;
	}
	if (cl->ep != -1) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLOUT;
		ev.data.ptr = p;
		if (epoll_ctl(cl->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("autoclean: epoll_ctl");
			(void)close(fd);
			p->fd = -1;
			cl->inflight--;
			return 0;
		}
	}
	return 1;
}

void
ns_clean_event(struct ns_clean *cl, void *ptr, uint32_t events, int64_t now)
{
	struct ns_probe	*p = ptr;
	int		 soerr = 0, ok;
	socklen_t	 sl = sizeof(soerr);

	if (p->fd == -1)
		return;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		soerr = errno;
	ok = soerr == 0 && (events & (EPOLLERR | EPOLLHUP)) == 0;
	probe_end(cl, p);
	ns_clean_result(cl, p->id, p->uri, p->urilen, ok, now);
}

int
ns_clean_owns(const struct ns_clean *cl, const void *ptr)
{
	const char *p = ptr, *lo = (const char *)cl->probes;

	return p >= lo && p < lo + sizeof(cl->probes);
}

void
ns_clean_tick(struct ns_clean *cl, int64_t now)
{
	struct ns_ent	*e;
	int64_t		 id;
	size_t		 i;

	/* Probes that neither connected nor failed in time have failed. */
	for (i = 0; i < NS_CLEAN_MAX; i++) {
		struct ns_probe *p = &cl->probes[i];

		if (p->fd != -1 && now - p->started >= NS_CLEAN_TIMEOUT_MS) {
			probe_end(cl, p);
			ns_clean_result(cl, p->id, p->uri, p->urilen, 0, now);
		}
	}
	if (!cl->sweeping) {
		if (cl->last_sweep == 0)
			cl->last_sweep = now;	/* first sweep one period in */
		if (now - cl->last_sweep < cl->period_ms)
			return;
		cl->sweeping = 1;
		cl->cursor = INT64_MIN;
		cl->probed = cl->failed = cl->removed = cl->skipped = 0;
	}
	while (cl->inflight < NS_CLEAN_MAX &&
	    (e = next_entry(&cl->ns->st, cl->cursor)) != NULL) {
		/* A probe that fails at once may remove e: keep its id. */
		id = e->id;
		if (!is_name(e, NS_NAME) && !is_name(e, NS_DAEMON) &&
		    !probe_start(cl, e, now))
			return;		/* again at the next tick */
		cl->cursor = id;
	}
	if (cl->inflight == 0 && next_entry(&cl->ns->st, cl->cursor) == NULL) {
		cl->sweeping = 0;
		cl->last_sweep = now;
		if (cl->failed > 0 || cl->removed > 0)
			log_info("autoclean: %zu probed, %zu unreachable, %zu "
			    "removed, %zu not probeable", cl->probed,
			    cl->failed, cl->removed, cl->skipped);
	}
}
