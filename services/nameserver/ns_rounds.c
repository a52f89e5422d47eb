/*
 * ns_rounds.c - the broker operations ns.jobmans and ns.schedulers, one
 * engine for both (the safe API's /jobmans-status2/, /scheduler-status2/
 * and /status2/'s "scheduler", spec/web-and-monitor.md C.2): for every
 * registration tagged type:jobmanager (or type:scheduler), call it over
 * Pyro5 (parse_jobman.c: a job manager's signature and status, a
 * scheduler's getStatistics()) and answer the array of
 * {ns, numJobs, jobs, status, signature} (or
 * {ns, numTasks, history, lastExecutions, running}) or null, in
 * registration order.
 *
 * A round: the registrations are copied when the request arrives; up to
 * `parallel` non-blocking connections run at once inside the
 * nameserver's one epoll loop, so a silent or slow peer never holds up a
 * Pyro client of the nameserver; the whole round has budget_ms
 * (ns_probe_budget_ms, 1 s as the original's job manager round); what has
 * not answered by then is null.  Requests arriving meanwhile join the
 * round (at most JM_WAITERS; more get "busy").  The two operations are
 * two independent rounds (struct ns_round each).
 *
 * Trust: the URIs are client strings (any VPN peer registers them).  A
 * connection is made only when ns_net_target() accepts the URI: a PYRO:
 * URI whose host is a numeric address inside the configured networks
 * (ns_autoclean_nets), port 1-65535; anything else is null and never
 * connected to.  Seccomp cannot see the sockaddr of connect(2): this
 * check is the only one.  With ns_probe off the nameserver has no
 * network at all and every element is null.  What the peers send is read
 * by parse_jobman.c and parse_sched.c (capped, type-checked, never
 * unpickled).
 */
#include <errno.h>
#include <netinet/in.h>
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
#include "serpent.h"
#include "banned.h"

#define JM_READ_CHUNK	16384

/* One registration of the round, copied when it started. */
struct jm_ent {
	char		*name, *uri;
	char		**meta;
	size_t		 nmeta;
	int		 state;		/* 0 pending, 1 running, 2 done */
	int		 ok;		/* answered: the element is not null */
	struct jm_info	 info;		/* a job manager's answer */
	struct sch_info	 sinfo;		/* a scheduler's answer */
};

int
ns_round_init(struct ns_round *jm, int kind, struct ns *ns,
    struct bchan *bc, int ep, int enabled, const char *nets,
    int64_t budget_ms, char *err, size_t errlen)
{
	size_t i;

	memset(jm, 0, sizeof(*jm));
	jm->kind = kind;
	if (kind == JM_KIND_SCHED) {
		jm->name = "ns.schedulers";
		jm->tag = "type:scheduler";
		jm->parallel = SCH_PARALLEL;
		jm->max_entries = SCH_MAX_ENTRIES;
	} else {
		jm->name = "ns.jobmans";
		jm->tag = "type:jobmanager";
		jm->parallel = JM_PARALLEL;
		jm->max_entries = JM_MAX_ENTRIES;
	}
	jm->ns = ns;
	jm->bc = bc;
	jm->ep = ep;
	jm->enabled = enabled;
	jm->budget_ms = budget_ms;
	for (i = 0; i < JM_PARALLEL; i++)
		jm->slots[i].fd = -1;
	if (budget_ms < 100 || budget_ms > 60000) {
		(void)snprintf(err, errlen, "probe budget %lld ms: 100-60000",
		    (long long)budget_ms);
		return -1;
	}
	if (cidr_parse_list(nets, strlen(nets), &jm->nets, err, errlen) ==
	    -1)
		return -1;
	if (enabled && jm->nets.n == 0) {
		(void)snprintf(err, errlen, "probing without networks");
		return -1;
	}
	return 0;
}

static void
slot_end(struct ns_round *jm, struct jm_slot *s)
{
	struct jm_ent *e = &jm->ents[s->ent];

	if (jm->ep != -1)
		(void)epoll_ctl(jm->ep, EPOLL_CTL_DEL, s->fd, NULL);
	(void)close(s->fd);
	s->fd = -1;
	if (jm_conn_ok(&s->c)) {
		e->ok = 1;
		e->info = s->c.info;		/* moved */
		memset(&s->c.info, 0, sizeof(s->c.info));
		e->sinfo = s->c.sinfo;
		memset(&s->c.sinfo, 0, sizeof(s->c.sinfo));
	} else
		log_debug("%s: %s: null (%s)", jm->name, e->name,
		    s->c.state == JM_S_FAIL ? s->c.why : "no answer in time");
	jm_conn_free(&s->c);
	free(s->in);
	s->in = NULL;
	s->inlen = s->incap = s->outoff = 0;
	e->state = 2;
	jm->left--;
}

static void
round_free(struct ns_round *jm)
{
	size_t i, k;

	for (i = 0; i < JM_PARALLEL; i++)
		if (jm->slots[i].fd != -1)
			slot_end(jm, &jm->slots[i]);
	for (i = 0; i < jm->n; i++) {
		free(jm->ents[i].name);
		free(jm->ents[i].uri);
		for (k = 0; k < jm->ents[i].nmeta; k++)
			free(jm->ents[i].meta[k]);
		free(jm->ents[i].meta);
		jm_info_free(&jm->ents[i].info);
		sch_info_free(&jm->ents[i].sinfo);
	}
	free(jm->ents);
	jm->ents = NULL;
	jm->n = jm->next = jm->left = 0;
	jm->active = 0;
}

void
ns_round_free(struct ns_round *jm)
{
	round_free(jm);
}

static void
gen_str(yajl_gen g, const char *s)
{
	(void)yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* "ns": {name, uri, metadata}, the registration as it was copied. */
static void
gen_ns(yajl_gen g, const struct jm_ent *e)
{
	size_t i;

	json_gen_cstr(g, "ns");
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "name", e->name);
	json_gen_kv_str(g, "uri", e->uri);
	json_gen_cstr(g, "metadata");
	(void)yajl_gen_array_open(g);
	for (i = 0; i < e->nmeta; i++)
		gen_str(g, e->meta[i]);
	(void)yajl_gen_array_close(g);
	(void)yajl_gen_map_close(g);
}

/* A number as Python's json writes it: an int, or repr() of a float. */
static void
gen_num(yajl_gen g, struct sbuf *f, int isint, int64_t i, double d)
{
	if (isint) {
		(void)yajl_gen_integer(g, (long long)i);
		return;
	}
	f->len = 0;
	f->failed = 0;
	sv_repr_float(f, d);
	(void)yajl_gen_number(g, f->p != NULL && !f->failed ? f->p : "0",
	    f->p != NULL && !f->failed ? f->len : 1);
}

/* One scheduler (spec C.2 /scheduler-status2/, the keys in its order). */
static void
gen_sched(yajl_gen g, const struct jm_ent *e)
{
	static const char *const hists[SCH_NHIST] = {
		"pooledTasks48", "processedTasks48", "finishedTasks48",
		"failedTasks48"
	};
	const struct sch_info	*in = &e->sinfo;
	struct sbuf		 f;
	size_t			 i, k;

	sbuf_init(&f, 64);
	(void)yajl_gen_map_open(g);
	gen_ns(g, e);
	json_gen_cstr(g, "numTasks");
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "running", (long long)in->running);
	json_gen_kv_int(g, "scheduled", (long long)in->scheduled);
	json_gen_kv_int(g, "processed", (long long)in->processed);
	json_gen_kv_int(g, "finished", (long long)in->finished);
	json_gen_kv_int(g, "failed", (long long)in->failed);
	json_gen_cstr(g, "currentLoad");
	gen_num(g, &f, in->load.isint, in->load.i, in->load.f);
	(void)yajl_gen_map_close(g);
	json_gen_cstr(g, "history");
	(void)yajl_gen_map_open(g);
	for (k = 0; k < SCH_NHIST; k++) {
		json_gen_cstr(g, hists[k]);
		(void)yajl_gen_array_open(g);
		for (i = 0; i < in->nhist[k]; i++)
			(void)yajl_gen_integer(g, (long long)in->hist[k][i]);
		(void)yajl_gen_array_close(g);
	}
	json_gen_cstr(g, "load48");
	(void)yajl_gen_array_open(g);
	for (i = 0; i < in->nload48; i++)
		gen_num(g, &f, in->load48[i].isint, in->load48[i].i,
		    in->load48[i].f);
	(void)yajl_gen_array_close(g);
	(void)yajl_gen_map_close(g);
	json_gen_cstr(g, "lastExecutions");
	(void)yajl_gen_array_open(g);
	for (i = 0; i < in->nlast; i++) {
		const struct sch_exec *x = &in->last[i];

		(void)yajl_gen_map_open(g);
		json_gen_kv_str(g, "weid", x->weid);
		json_gen_kv_str(g, "wid", x->wid);
		json_gen_kv_str(g, "status", x->status);
		json_gen_kv_str(g, "started", x->started);
		json_gen_cstr(g, "finished");
		if (x->finished != NULL)
			gen_str(g, x->finished);
		else
			(void)yajl_gen_null(g);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_array_close(g);
	/* Live log tails of running executions: the original fetched them
	 * through getExecutions() and unpickled them (and a key typo kept
	 * the map empty).  Never asked for here: always {}. */
	json_gen_cstr(g, "running");
	(void)yajl_gen_map_open(g);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_map_close(g);
	sbuf_free(&f);
}

/* One element of the answer. */
static void
gen_ent(yajl_gen g, int kind, const struct jm_ent *e)
{
	const struct jm_info	*in = &e->info;
	struct sbuf		 f;
	size_t			 i;

	if (!e->ok) {
		(void)yajl_gen_null(g);
		return;
	}
	if (kind == JM_KIND_SCHED) {
		gen_sched(g, e);
		return;
	}
	(void)yajl_gen_map_open(g);
	gen_ns(g, e);
	json_gen_cstr(g, "numJobs");
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "max", (long long)in->max);
	json_gen_kv_int(g, "curr", (long long)in->curr);
	json_gen_kv_int(g, "total", (long long)in->total);
	(void)yajl_gen_map_close(g);
	json_gen_cstr(g, "jobs");
	(void)yajl_gen_array_open(g);
	sbuf_init(&f, 64);
	for (i = 0; i < in->njobs; i++) {
		const struct jm_job *j = &in->jobs[i];

		(void)yajl_gen_map_open(g);
		json_gen_kv_str(g, "key", j->key);
		/* A float as Python's json writes it (repr). */
		json_gen_cstr(g, "running");
		gen_num(g, &f, 0, 0, j->running);
		json_gen_kv_str(g, "user", j->user);
		json_gen_kv_str(g, "uri", j->uri);
		json_gen_cstr(g, "remoteLogUri");
		if (j->log_uri != NULL)
			gen_str(g, j->log_uri);
		else
			(void)yajl_gen_null(g);
		/* Log tails are never fetched (they were pickles). */
		json_gen_cstr(g, "tail");
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_array_close(g);
		(void)yajl_gen_map_close(g);
	}
	sbuf_free(&f);
	(void)yajl_gen_array_close(g);
	json_gen_cstr(g, "status");
	(void)yajl_gen_bool(g, in->status);
	json_gen_kv_str(g, "signature", in->signature);
	(void)yajl_gen_map_close(g);
}

static void
answer(struct ns_round *jm, const struct msg_hdr *h, unsigned status,
    const void *p, size_t len)
{
	struct msg m;

	memset(&m, 0, sizeof(m));
	m.hdr = *h;
	m.fd = -1;
	bchan_reply(jm->bc, &m, status, p, len);
}

/* The round is over: answer everyone who asked. */
static void
round_finish(struct ns_round *jm)
{
	yajl_gen		 g = json_gen_new();
	const unsigned char	*buf = NULL;
	size_t			 len = 0, i, ok = 0;
	int			 fd = -1, st = MST_OK;

	for (i = 0; i < JM_PARALLEL; i++)
		if (jm->slots[i].fd != -1)
			slot_end(jm, &jm->slots[i]);
	if (g == NULL)
		st = MST_INTERNAL;
	else {
		(void)yajl_gen_array_open(g);
		for (i = 0; i < jm->n; i++) {
			gen_ent(g, jm->kind, &jm->ents[i]);
			ok += jm->ents[i].ok != 0;
		}
		(void)yajl_gen_array_close(g);
		if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
			st = MST_INTERNAL;
		else if (len > MSG_MAX - MSG_HDR_LEN &&
		    (fd = util_sealed_memfd(jm->name, buf, len)) == -1) {
			log_warn("%s: memfd", jm->name);
			st = MST_INTERNAL;
		}
	}
	log_debug("%s: %zu of %zu answered", jm->name, ok, jm->n);
	for (i = 0; i < jm->nwait; i++) {
		if (st != MST_OK)
			answer(jm, &jm->waiters[i], (unsigned)st, "[]", 2);
		else if (fd != -1) {
			struct msg m;

			memset(&m, 0, sizeof(m));
			m.hdr = jm->waiters[i];
			m.fd = -1;
			bchan_reply_fd(jm->bc, &m, MST_OK, NULL, 0, fd);
		} else
			answer(jm, &jm->waiters[i], MST_OK, buf, len);
	}
	if (fd != -1)
		(void)close(fd);
	if (g != NULL)
		yajl_gen_free(g);
	jm->nwait = 0;
	round_free(jm);
}

static int
has_tag(const struct ns_ent *e, const char *tag)
{
	size_t k, n = strlen(tag);

	for (k = 0; k < e->nmeta; k++)
		if (e->metalen[k] == n && memcmp(e->meta[k], tag, n) == 0)
			return 1;
	return 0;
}

static char *
dup_n(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/*
 * Whether a round calls e: tagged, and not the mupif.scheduler object
 * this nameserver hosts itself (the safe API already has the node's own
 * scheduler first, from sched.stats; a peer's registration of that name
 * at another URI is called as any other).
 */
static int
round_wants(const struct ns_round *jm, const struct ns_ent *e)
{
	return has_tag(e, jm->tag) &&
	    !(jm->kind == JM_KIND_SCHED && ns_sched_is_own(jm->ns, e));
}

/* Copy the tagged registrations.  0 or -1 (out of memory). */
static int
round_start(struct ns_round *jm, int64_t now)
{
	const struct ns_store	*st = &jm->ns->st;
	size_t			 i, k, n = 0;

	for (i = 0; i < st->n; i++)
		n += round_wants(jm, st->ents[i]);
	if (n > jm->max_entries) {
		log_warnx("%s: %zu registrations tagged %s, calling the first "
		    "%zu", jm->name, n, jm->tag, jm->max_entries);
		n = jm->max_entries;
	}
	jm->active = 1;
	jm->deadline = now + jm->budget_ms;
	if (n > 0 && (jm->ents = calloc(n, sizeof(*jm->ents))) == NULL)
		return -1;
	for (i = 0; i < st->n && jm->n < n; i++) {
		const struct ns_ent	*e = st->ents[i];
		struct jm_ent		*je;

		if (!round_wants(jm, e))
			continue;
		je = &jm->ents[jm->n++];
		if ((je->name = dup_n(e->name, e->namelen)) == NULL ||
		    (je->uri = dup_n(e->uri, e->urilen)) == NULL ||
		    (e->nmeta > 0 && (je->meta = calloc(e->nmeta,
		    sizeof(*je->meta))) == NULL))
			return -1;
		for (k = 0; k < e->nmeta; k++) {
			if ((je->meta[k] = dup_n(e->meta[k], e->metalen[k])) ==
			    NULL)
				return -1;
			je->nmeta = k + 1;
		}
	}
	jm->left = jm->n;
	return 0;
}

void
ns_round_request(struct ns_round *jm, const struct msg *m)
{
	if (jm->nwait == JM_WAITERS) {
		answer(jm, &m->hdr, MST_BUSY, "{}", 2);
		return;
	}
	jm->waiters[jm->nwait++] = m->hdr;
	if (jm->active)
		return;			/* joins the running round */
	if (round_start(jm, util_mono_ms()) == -1) {
		log_warnx("%s: out of memory", jm->name);
		/* The waiters get an internal error below. */
		for (size_t i = 0; i < jm->nwait; i++)
			answer(jm, &jm->waiters[i], MST_INTERNAL, "[]", 2);
		jm->nwait = 0;
		round_free(jm);
		return;
	}
	ns_round_tick(jm, util_mono_ms());
}

static int
slot_watch(struct ns_round *jm, struct jm_slot *s, uint32_t ev)
{
	struct epoll_event e;

	if (jm->ep == -1 || s->events == ev)
		return 0;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = s;
	if (epoll_ctl(jm->ep, EPOLL_CTL_MOD, s->fd, &e) == -1)
		return -1;
	s->events = ev;
	return 0;
}

/*
 * Start entry i: 1 when decided or started, 0 when no descriptor or
 * local port was free (try again at the next tick).
 */
static int
slot_start(struct ns_round *jm, size_t i, struct jm_slot *s)
{
	struct jm_ent		*e = &jm->ents[i];
	struct sockaddr_storage	 ss;
	struct epoll_event	 ev;
	struct pyro_uri		 u;
	const char		*why = "not a valid URI";
	char			 err[256];
	int			 fd;

	if (!jm->enabled) {
		e->state = 2;		/* no network: null */
		jm->left--;
		return 1;
	}
	if (!ns_net_target(&jm->nets, e->uri, strlen(e->uri), &ss, &why) ||
	    pyro_uri_parse(e->uri, strlen(e->uri), &u, err, sizeof(err)) ==
	    -1) {
		log_debug("%s: not calling %s (%s)", jm->name, e->name, why);
		e->state = 2;
		jm->left--;
		return 1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_warn("%s: socket", jm->name);
		return 0;
	}
	if ((jm->kind == JM_KIND_SCHED ? sch_conn_init(&s->c, u.object,
	    u.objlen) : jm_conn_init(&s->c, u.object, u.objlen)) == -1) {
		jm_conn_free(&s->c);
		(void)close(fd);
		e->state = 2;
		jm->left--;
		return 1;
	}
	s->fd = fd;
	s->ent = i;
	s->connecting = 1;
	e->state = 1;
	if (connect(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) == -1 &&
	    errno != EINPROGRESS && errno != EINTR) {
		s->c.state = JM_S_FAIL;
		(void)snprintf(s->c.why, sizeof(s->c.why), "connect: %s",
		    strerror(errno));
		s->events = 0;
		slot_end(jm, s);	/* not in the epoll set: DEL fails */
		return 1;
	}
	if (jm->ep != -1) {
		memset(&ev, 0, sizeof(ev));
		ev.events = s->events = EPOLLOUT;
		ev.data.ptr = s;
		if (epoll_ctl(jm->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("%s: epoll_ctl", jm->name);
			(void)close(fd);
			s->fd = -1;
			jm_conn_free(&s->c);
			e->state = 2;
			jm->left--;
			return 1;
		}
	}
	return 1;
}

void
ns_round_tick(struct ns_round *jm, int64_t now)
{
	size_t i;

	if (!jm->active)
		return;
	if (now >= jm->deadline) {
		round_finish(jm);
		return;
	}
	for (i = 0; i < jm->parallel && jm->next < jm->n; i++) {
		if (jm->slots[i].fd != -1)
			continue;
		if (!slot_start(jm, jm->next, &jm->slots[i]))
			break;		/* again at the next tick */
		jm->next++;
	}
	if (jm->left == 0)
		round_finish(jm);
}

int
ns_round_timeout(const struct ns_round *jm, int64_t now, int max)
{
	int64_t left;

	if (!jm->active)
		return max;
	left = jm->deadline - now;
	if (left < 0)
		left = 0;
	/* Probes waiting for a free slot: look again soon. */
	if (jm->next < jm->n && left > 20)
		left = 20;
	return left < max ? (int)left : max;
}

int
ns_round_owns(const struct ns_round *jm, const void *ptr)
{
	const char *p = ptr, *lo = (const char *)jm->slots;

	return p >= lo && p < lo + sizeof(jm->slots);
}

/* Send what is queued: 0 all sent, 1 would block, -1 failed. */
static int
slot_flush(struct jm_slot *s)
{
	ssize_t n;

	while (s->outoff < s->c.out.len) {
		n = send(s->fd, s->c.out.p + s->outoff,
		    s->c.out.len - s->outoff, MSG_NOSIGNAL);
		if (n > 0) {
			s->outoff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		return -1;
	}
	s->c.out.len = 0;
	s->outoff = 0;
	return 0;
}

/* Read what arrived and feed it to the conversation.  -1: end the slot. */
static int
slot_read(struct jm_slot *s)
{
	size_t	used;
	ssize_t	n;

	if (s->incap - s->inlen < JM_READ_CHUNK) {
		size_t	 ncap = s->inlen + JM_READ_CHUNK;
		uint8_t	*nb;

		/* A reply is at most header + JM_MAX_MSG: the header check
		 * in jm_conn_input() fails anything longer before this
		 * grows past it. */
		if (ncap > PYRO_HDR_LEN + JM_MAX_MSG + JM_READ_CHUNK ||
		    (nb = realloc(s->in, ncap)) == NULL) {
			s->c.state = JM_S_FAIL;
			(void)snprintf(s->c.why, sizeof(s->c.why),
			    "reply too large");
			return -1;
		}
		s->in = nb;
		s->incap = ncap;
	}
	n = recv(s->fd, s->in + s->inlen, s->incap - s->inlen, 0);
	if (n == 0) {
		if (s->c.state != JM_S_DONE) {
			s->c.state = JM_S_FAIL;
			(void)snprintf(s->c.why, sizeof(s->c.why),
			    "closed by the peer");
		}
		return -1;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		s->c.state = JM_S_FAIL;
		(void)snprintf(s->c.why, sizeof(s->c.why), "recv: %s",
		    strerror(errno));
		return -1;
	}
	s->inlen += (size_t)n;
	while (s->inlen > 0 && (used = jm_conn_input(&s->c, s->in,
	    s->inlen)) > 0) {
		if (used > s->inlen)
			used = s->inlen;
		memmove(s->in, s->in + used, s->inlen - used);
		s->inlen -= used;
		if (s->c.state == JM_S_DONE || s->c.state == JM_S_FAIL)
			return -1;
	}
	return 0;
}

void
ns_round_event(struct ns_round *jm, void *ptr, uint32_t events)
{
	struct jm_slot	*s = ptr;
	int		 soerr = 0, rc;
	socklen_t	 sl = sizeof(soerr);

	if (s->fd == -1)
		return;
	if (s->connecting) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ==
		    -1)
			soerr = errno;
		if (soerr != 0 || (events & EPOLLERR)) {
			s->c.state = JM_S_FAIL;
			(void)snprintf(s->c.why, sizeof(s->c.why),
			    "connect: %s", strerror(soerr != 0 ? soerr :
			    ECONNREFUSED));
			slot_end(jm, s);
			return;
		}
		s->connecting = 0;
	}
	if ((events & EPOLLIN) || (events & (EPOLLHUP | EPOLLRDHUP))) {
		if (slot_read(s) == -1) {
			slot_end(jm, s);
			return;
		}
	}
	if ((rc = slot_flush(s)) == -1) {
		s->c.state = JM_S_FAIL;
		(void)snprintf(s->c.why, sizeof(s->c.why), "send failed");
		slot_end(jm, s);
		return;
	}
	if (slot_watch(jm, s, rc == 1 ? (EPOLLOUT | EPOLLIN | EPOLLRDHUP) :
	    (EPOLLIN | EPOLLRDHUP)) == -1) {
		s->c.state = JM_S_FAIL;
		(void)snprintf(s->c.why, sizeof(s->c.why), "epoll");
		slot_end(jm, s);
	}
}
