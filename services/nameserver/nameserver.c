/*
 * nameserver.c - the Pyro5 nameserver service (port 10000): a drop-in for
 * `pyro5-ns --storage=sql:nameserver.sqlite` that MuPIF job managers,
 * models and tools reach over the VPN.
 *
 * Trust: faces every VPN peer, unauthenticated (as the original).  Holds
 * only its listening socket (bound by the launcher, fd 6), its broker
 * channel and nameserver.sqlite in its jail (persistent/nameserver, owned
 * by mupif-ns).  Confined by policy/nameserver.profile and
 * policy/nameserver.seccomp (its own, empty network namespace: no
 * outbound connection at all); with autoclean on (ns_autoclean_s) by
 * nameserver-autoclean.profile/.seccomp instead: the host's network
 * namespace and TCP connects, made only by ns_clean.c and only to
 * addresses inside ns_autoclean_nets (checked in C).  ns_probe (the
 * safe API's /jobmans-status2/, /scheduler-status2/ and /status2/'s
 * "scheduler") picks the same profile: ns_rounds.c then speaks Pyro5 as
 * a client to registered job managers and schedulers inside those
 * networks (parse_jobman.c and parse_sched.c read their answers).
 *
 * It also serves the read-only mupif.scheduler object (ns_methods.c),
 * whose getStatistics() asks the node's scheduler sched.stats through the
 * broker: the one call this service makes, at most NS_SCHED_TIMEOUT_MS,
 * inside the loop.
 *
 * One thread, one epoll loop.  Connections are long-lived and are never
 * closed for being idle (Python clients keep theirs for hours and do not
 * reconnect); what is bounded instead: the number of connections, the
 * size of a message (header-announced, checked before buffering), the time
 * a half-received message or an unread reply may hang (STALL_MS), and the
 * number of registrations.  A client that pipelines receives no more replies
 * queued than OUT_HIGH before we stop reading from it.  Autoclean's probes
 * (ns_clean.c) are non-blocking connects in the same loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bchan.h"
#include "json.h"
#include "log.h"
#include "nameserver.h"
#include "sandbox.h"
#include "banned.h"

#define READ_CHUNK	16384
#define OUT_HIGH	(256 * 1024)	/* stop reading above this */
#define STALL_MS	60000		/* half a message, or unread output */
#define MAX_EVENTS	64

struct conn {
	int		 fd;
	struct nsconn	 pc;
	uint8_t		*in;
	size_t		 inlen, incap;
	struct sbuf	 out;
	size_t		 outoff;
	int64_t		 in_since;	/* partial message since (mono ms) */
	int64_t		 out_since;	/* unsent output since (mono ms) */
	int		 closing;	/* close once out is sent */
	uint32_t	 events;	/* what epoll watches now */
	char		 peer[64];
	struct conn	*prev, *next;
};

static struct {
	struct ns		 ns;
	struct bchan		 bc;
	int			 ep;
	size_t			 max_conns;
	size_t			 nconns;
	struct conn		*conns;
	int64_t			 refused_logged;
	long long		 autoclean_s;	/* 0: off */
	char			 autoclean_nets[CIDR_MAX_TEXT + 1];
	struct ns_clean		 clean;
	int			 probe;		/* ns_probe */
	long long		 probe_budget_ms;
	struct ns_round		 jobmans;	/* ns.jobmans */
	struct ns_round		 scheds;	/* ns.schedulers */
	volatile sig_atomic_t	 quit;
} S;

static void
on_term(int sig)
{
	(void)sig;
	S.quit = 1;
}

static void
conn_close(struct conn *c, const char *why)
{
	if (why != NULL)
		log_debug("%s: closed (%s)", c->peer, why);
	(void)epoll_ctl(S.ep, EPOLL_CTL_DEL, c->fd, NULL);
	(void)close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		S.conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c->in);
	sbuf_free(&c->out);
	free(c);
	S.nconns--;
	S.ns.nconn = S.nconns;
}

static int
watch(struct conn *c, uint32_t ev)
{
	struct epoll_event e;

	if (c->events == ev)
		return 0;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(S.ep, EPOLL_CTL_MOD, c->fd, &e) == -1)
		return -1;
	c->events = ev;
	return 0;
}

/* Send what is queued.  0 when all is out, 1 when the socket is full,
 * -1 when the peer is gone. */
static int
flush_out(struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->out.len) {
		n = send(c->fd, c->out.p + c->outoff, c->out.len - c->outoff,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		return -1;
	}
	c->out.len = 0;
	c->outoff = 0;
	c->out_since = 0;
	if (c->out.cap > READ_CHUNK)
		sbuf_free(&c->out);
	return 0;
}

/* Handle the complete messages buffered so far.  1 if it stopped only
 * because enough replies are queued. */
static int
process(struct conn *c)
{
	size_t	used, need;
	int	close, full = 0;

	while (c->inlen > 0 && !c->closing) {
		if (c->out.len >= OUT_HIGH) {
			full = 1;
			break;
		}
		used = ns_proto_input(&S.ns, &c->pc, c->in, c->inlen, &c->out,
		    &close, &need);
		if (close)
			c->closing = 1;
		if (used == 0) {
			if (need > c->incap) {
				uint8_t *n = realloc(c->in, need);

				if (n == NULL) {
					c->closing = 1;
					break;
				}
				c->in = n;
				c->incap = need;
			}
			break;
		}
		if (used > c->inlen)
			used = c->inlen;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
	if (c->inlen == 0) {
		/* Idle connections are many and long-lived: they keep no
		 * buffers. */
		c->in_since = 0;
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	} else if (c->in_since == 0 && !full)
		c->in_since = util_mono_ms();
	return full;
}

/* Bring the connection forward: write, read more, decide what to watch. */
static void
pump(struct conn *c, int readable)
{
	ssize_t	n;
	int	rc, full;

	if (readable && !c->closing) {
		if (c->incap - c->inlen < READ_CHUNK) {
			size_t	 ncap = c->inlen + READ_CHUNK;
			uint8_t	*nb;

			if ((nb = realloc(c->in, ncap)) == NULL) {
				conn_close(c, "out of memory");
				return;
			}
			c->in = nb;
			c->incap = ncap;
		}
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
		if (n == 0) {
			conn_close(c, "peer closed");
			return;
		}
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				conn_close(c, strerror(errno));
				return;
			}
		} else
			c->inlen += (size_t)n;
	}
	for (;;) {
		full = process(c);
		if (c->out.failed) {
			conn_close(c, "reply too large");
			return;
		}
		if ((rc = flush_out(c)) == -1) {
			conn_close(c, "send failed");
			return;
		}
		if (rc == 1) {
			/* Socket full: wait for room, read nothing more. */
			if (c->out_since == 0)
				c->out_since = util_mono_ms();
			if (watch(c, EPOLLOUT) == -1)
				conn_close(c, "epoll");
			return;
		}
		if (c->closing) {
			conn_close(c, "protocol");
			return;
		}
		/* All sent: more complete messages may be waiting. */
		if (!full)
			break;
	}
	if (watch(c, EPOLLIN | EPOLLRDHUP) == -1)
		conn_close(c, "epoll");
}

static void
accept_all(void)
{
	struct sockaddr_storage	 ss;
	struct epoll_event	 e;
	struct conn		*c;
	socklen_t		 sl;
	char			 host[INET6_ADDRSTRLEN];
	int			 fd, port = 0;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(FD_LISTEN, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept");
			return;
		}
		if (S.nconns >= S.max_conns) {
			int64_t now = util_mono_ms();

			if (now - S.refused_logged > 10000) {
				log_warnx("connection limit (%zu) reached, "
				    "refusing new connections", S.max_conns);
				S.refused_logged = now;
			}
			(void)close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			(void)close(fd);
			continue;
		}
		c->fd = fd;
		sbuf_init(&c->out, 2 * (size_t)NS_MAX_REPLY);
		host[0] = '\0';
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			(void)inet_ntop(AF_INET, &s4->sin_addr, host,
			    sizeof(host));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			(void)inet_ntop(AF_INET6, &s6->sin6_addr, host,
			    sizeof(host));
			port = ntohs(s6->sin6_port);
		}
		(void)snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
		c->pc.state = NSC_HANDSHAKE;
		c->pc.peer = c->peer;
		memset(&e, 0, sizeof(e));
		e.events = c->events = EPOLLIN | EPOLLRDHUP;
		e.data.ptr = c;
		if (epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &e) == -1) {
			log_warn("epoll_ctl");
			(void)close(fd);
			free(c);
			continue;
		}
		c->next = S.conns;
		if (S.conns != NULL)
			S.conns->prev = c;
		S.conns = c;
		S.nconns++;
		S.ns.nconn = S.nconns;
	}
}

/* Half-sent messages and unread replies may not hang forever; idle
 * connections (nothing pending) may. */
static void
sweep(void)
{
	struct conn	*c, *next;
	int64_t		 now = util_mono_ms();

	for (c = S.conns; c != NULL; c = next) {
		next = c->next;
		if ((c->in_since != 0 && now - c->in_since > STALL_MS) ||
		    (c->out_since != 0 && now - c->out_since > STALL_MS)) {
			log_info("%s: stalled mid-message for %d s, closing",
			    c->peer, STALL_MS / 1000);
			conn_close(c, NULL);
		}
	}
}

/*
 * ns.list: every registration as {"name": [uri, [metadata...]], ...} in
 * list() order (the safe API's /ns-status2/ "names").  An answer too big
 * for a frame goes back as a sealed memfd.
 */
static void
reply_list(const struct msg *m)
{
	yajl_gen		 g = json_gen_new();
	const unsigned char	*buf;
	size_t			 len, i, k;
	int			 fd;

	if (g == NULL) {
		bchan_reply(&S.bc, m, MST_INTERNAL, "{}", 2);
		return;
	}
	(void)yajl_gen_map_open(g);
	for (i = 0; i < S.ns.st.n; i++) {
		const struct ns_ent *e = S.ns.st.ents[i];

		(void)yajl_gen_string(g, (const unsigned char *)e->name,
		    e->namelen);
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_string(g, (const unsigned char *)e->uri,
		    e->urilen);
		(void)yajl_gen_array_open(g);
		for (k = 0; k < e->nmeta; k++)
			(void)yajl_gen_string(g,
			    (const unsigned char *)e->meta[k], e->metalen[k]);
		(void)yajl_gen_array_close(g);
		(void)yajl_gen_array_close(g);
	}
	(void)yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		bchan_reply(&S.bc, m, MST_INTERNAL, "{}", 2);
	else if (len <= MSG_MAX - MSG_HDR_LEN)
		bchan_reply(&S.bc, m, MST_OK, buf, len);
	else if ((fd = util_sealed_memfd("ns.list", buf, len)) == -1) {
		log_warn("ns.list: memfd");
		bchan_reply(&S.bc, m, MST_INTERNAL, "{}", 2);
	} else {
		bchan_reply_fd(&S.bc, m, MST_OK, NULL, 0, fd);
		(void)close(fd);
	}
	yajl_gen_free(g);
}

/*
 * ns->sched_stats: mupif.scheduler.getStatistics() asks the node's
 * scheduler (sched.stats, broker.policy: nameserver -> scheduler) and
 * waits at most NS_SCHED_TIMEOUT_MS, inside the event loop (bchan_call
 * queues any broker request arriving meanwhile; the loop serves them
 * after its events).  A reply too big for a frame comes as a memfd,
 * which bchan reads.
 */
static int
sched_stats(struct ns *ns, char **reply, size_t *len, char *why,
    size_t whylen)
{
	int st;

	(void)ns;
	*reply = NULL;
	*len = 0;
	st = bchan_call(&S.bc, MSG_SCHED_STATS, NULL, "{}", 2,
	    NS_SCHED_TIMEOUT_MS, reply, len);
	if (st == MST_OK && *reply != NULL)
		return 0;
	free(*reply);
	*reply = NULL;
	(void)snprintf(why, whylen, "the scheduler did not answer: %s",
	    msg_status_name((unsigned)st));
	return st == MST_TIMEOUT ? NS_SCHED_TIMEDOUT : -1;
}

/* What the broker may ask: ns.ping (the safe API's "nameserver" status:
 * we are up and serving), ns.list, ns.jobmans and ns.schedulers (answered
 * when their round ends, ns_rounds.c).  Anything else is refused. */
static int
broker_event(void)
{
	struct msg	m;
	int		noargs;

	if (bchan_serve_one(&S.bc, &m) != 1)
		return -1;
	if (m.fd != -1)
		(void)close(m.fd);
	noargs = m.datalen == 0 ||
	    (m.datalen == 2 && memcmp(m.data, "{}", 2) == 0);
	if (m.hdr.type == MSG_NS_PING && noargs)
		bchan_reply(&S.bc, &m, MST_OK, "{\"ok\":true}", 11);
	else if (m.hdr.type == MSG_NS_LIST && noargs)
		reply_list(&m);
	else if (m.hdr.type == MSG_NS_JOBMANS && noargs)
		ns_round_request(&S.jobmans, &m);
	else if (m.hdr.type == MSG_NS_SCHEDULERS && noargs)
		ns_round_request(&S.scheds, &m);
	else
		bchan_reply(&S.bc, &m, MST_BADREQ, "{}", 2);
	return 0;
}

static void
config(struct sandbox *sb)
{
	const char	*s;
	long long	 v;

	if (json_get_int(sb->config, "ns_port", &v) == -1 || v < 1 ||
	    v > 65535)
		fatalx("bad ns_port");
	S.ns.port = (int)v;
	if ((s = json_get_str(sb->config, "bind_address")) == NULL ||
	    strlcpy(S.ns.bind_host, s, sizeof(S.ns.bind_host)) >=
	    sizeof(S.ns.bind_host))
		fatalx("bad bind_address");
	if ((s = json_get_str(sb->config, "ns_host")) == NULL || *s == '\0' ||
	    strlcpy(S.ns.adv_host, s, sizeof(S.ns.adv_host)) >=
	    sizeof(S.ns.adv_host))
		fatalx("bad ns_host");
	if (json_get_int(sb->config, "max_message", &v) == -1 || v < 4096 ||
	    v > 256 * 1024 * 1024)
		fatalx("bad max_message");
	S.ns.max_msg = (size_t)v;
	if (json_get_int(sb->config, "max_entries", &v) == -1 || v < 1 ||
	    v > 10000000)
		fatalx("bad max_entries");
	S.ns.st.max_entries = (size_t)v;
	if (json_get_int(sb->config, "max_connections", &v) == -1 || v < 1 ||
	    v > 1000000)
		fatalx("bad max_connections");
	S.max_conns = (size_t)v;
	/* Autoclean and write protection: absent means off. */
	if (json_get_int(sb->config, "autoclean_s", &v) == 0) {
		if (v != 0 && (v < 3 || v > 86400))
			fatalx("bad autoclean_s");
		S.autoclean_s = v;
	}
	if ((s = json_get_str(sb->config, "autoclean_nets")) != NULL &&
	    strlcpy(S.autoclean_nets, s, sizeof(S.autoclean_nets)) >=
	    sizeof(S.autoclean_nets))
		fatalx("bad autoclean_nets");
	{
		int b;

		if (json_get_bool(sb->config, "write_protect", &b) == 0)
			S.ns.write_protect = b;
		if (json_get_bool(sb->config, "probe", &b) == 0)
			S.probe = b;
	}
	S.probe_budget_ms = 1000;
	if (json_get_int(sb->config, "probe_budget_ms", &v) == 0) {
		if (v < 100 || v > 60000)
			fatalx("bad probe_budget_ms");
		S.probe_budget_ms = v;
	}
}

int
main(int argc, char *argv[])
{
	struct sandbox		 sb;
	struct sigaction	 sa;
	struct epoll_event	 ev[MAX_EVENTS], e;
	char			 err[512], summary[128];
	size_t			 max_entries;
	int			 n, i, fl;
	int64_t			 last_sweep = 0;

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "nameserver");
	config(&sb);
	max_entries = S.ns.st.max_entries;
	if (bchan_init(&S.bc, FD_BROKER) == -1)
		fatal("bchan_init");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: epoll_wait returns */
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signals");

	sandbox_jail(&sb);
	/* In the jail: the file is ours (persistent/nameserver). */
	if (store_open(&S.ns.st, NS_FILE, max_entries, err, sizeof(err)) == -1)
		fatalx("nameserver storage: %s", err);
	log_info("%s: %zu registrations", NS_FILE, S.ns.st.n);
	/* mupif.scheduler first: Pyro.NameServer stays the last entry.
	 * A full store only costs the scheduler its name (logged). */
	if (ns_register_sched(&S.ns) == 0)
		S.ns.sched_stats = sched_stats;
	if (ns_register_self(&S.ns) == -1)
		fatalx("cannot register %s", NS_NAME);
	ns_proto_init(&S.ns);
	if ((fl = fcntl(FD_LISTEN, F_GETFL)) == -1 ||
	    fcntl(FD_LISTEN, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("listening socket on fd %d", FD_LISTEN);
	if ((S.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = &S.ep;		/* marks the listener */
	if (epoll_ctl(S.ep, EPOLL_CTL_ADD, FD_LISTEN, &e) == -1)
		fatal("epoll_ctl listen");
	e.events = EPOLLIN;
	e.data.ptr = &S.bc;		/* marks the broker */
	if (epoll_ctl(S.ep, EPOLL_CTL_ADD, FD_BROKER, &e) == -1)
		fatal("epoll_ctl broker");
	if (S.autoclean_s > 0) {
		char nets[CIDR_MAX_TEXT + 64];

		if (ns_clean_init(&S.clean, &S.ns, S.ep, S.autoclean_s,
		    S.autoclean_nets, err, sizeof(err)) == -1)
			fatalx("autoclean: %s", err);
		cidr_format(&S.clean.nets, nets, sizeof(nets));
		log_info("autoclean every %lld s, probing only %s (an entry "
		    "is removed after %d s without a connection)",
		    S.autoclean_s, nets, NS_CLEAN_GRACE_MS / 1000);
	} else
		log_info("autoclean off");
	if (ns_round_init(&S.jobmans, JM_KIND_JOBMAN, &S.ns, &S.bc, S.ep,
	    S.probe, S.probe ? S.autoclean_nets : "", S.probe_budget_ms, err,
	    sizeof(err)) == -1 ||
	    ns_round_init(&S.scheds, JM_KIND_SCHED, &S.ns, &S.bc, S.ep,
	    S.probe, S.probe ? S.autoclean_nets : "", S.probe_budget_ms, err,
	    sizeof(err)) == -1)
		fatalx("ns_probe: %s", err);
	if (S.probe) {
		char nets[CIDR_MAX_TEXT + 64];

		cidr_format(&S.jobmans.nets, nets, sizeof(nets));
		log_info("job manager status (ns.jobmans): Pyro5 calls to "
		    "registered job managers inside %s, %lld ms per round",
		    nets, S.probe_budget_ms);
		log_info("scheduler status (ns.schedulers): Pyro5 calls to "
		    "registered schedulers inside %s, %lld ms per round",
		    nets, S.probe_budget_ms);
	} else
		log_info("job manager and scheduler status off (ns_probe): "
		    "ns.jobmans and ns.schedulers answer null for each");
	if (S.ns.write_protect)
		log_info("write protection on: a name may only be "
		    "overwritten or removed from the address that "
		    "registered it");
	sandbox_seal(&sb);
	sandbox_free(&sb);
	(void)snprintf(summary, sizeof(summary), "pyro5 port %d, %zu entries",
	    S.ns.port, S.ns.st.n);
	bchan_ready(&S.bc, summary);
	log_info("serving Pyro5 on port %d (max %zu connections, messages "
	    "of %zu bytes, %zu registrations)", S.ns.port, S.max_conns,
	    S.ns.max_msg, S.ns.st.max_entries);

	while (!S.quit) {
		int64_t now = util_mono_ms();

		if ((n = epoll_wait(S.ep, ev, MAX_EVENTS,
		    ns_round_timeout(&S.jobmans, now,
		    ns_round_timeout(&S.scheds, now, 1000)))) == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;

			if (p == &S.ep) {
				accept_all();
				continue;
			}
			if (ns_round_owns(&S.jobmans, p)) {
				ns_round_event(&S.jobmans, p, ev[i].events);
				continue;
			}
			if (ns_round_owns(&S.scheds, p)) {
				ns_round_event(&S.scheds, p, ev[i].events);
				continue;
			}
			if (S.autoclean_s > 0 && ns_clean_owns(&S.clean, p)) {
				ns_clean_event(&S.clean, p, ev[i].events,
				    util_mono_ms());
				continue;
			}
			if (p == &S.bc) {
				if ((ev[i].events & (EPOLLHUP | EPOLLERR)) ||
				    broker_event() == -1) {
					log_info("broker went away, exiting");
					S.quit = 1;
					break;
				}
				continue;
			}
			{
				struct conn *c = p;

				if (ev[i].events & EPOLLERR) {
					conn_close(c, "socket error");
					continue;
				}
				pump(c, (ev[i].events & (EPOLLIN | EPOLLHUP |
				    EPOLLRDHUP)) != 0);
			}
		}
		/* Broker requests queued while getStatistics() waited. */
		while (!S.quit && bchan_queued(&S.bc) > 0)
			if (broker_event() == -1) {
				log_info("broker went away, exiting");
				S.quit = 1;
			}
		if (S.autoclean_s > 0)
			ns_clean_tick(&S.clean, util_mono_ms());
		ns_round_tick(&S.jobmans, util_mono_ms());
		ns_round_tick(&S.scheds, util_mono_ms());
		if (util_mono_ms() - last_sweep >= 1000) {
			sweep();
			last_sweep = util_mono_ms();
		}
	}
	while (S.conns != NULL)
		conn_close(S.conns, NULL);
	if (S.autoclean_s > 0)
		ns_clean_free(&S.clean);
	ns_round_free(&S.jobmans);
	ns_round_free(&S.scheds);
	ns_proto_free(&S.ns);
	ns_sched_free(&S.ns);
	store_close(&S.ns.st);
	log_info("exiting");
	return 0;
}
