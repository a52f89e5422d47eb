/*
 * parse_jobman.c - the client side of one Pyro5 conversation with a
 * registered MuPIF job manager (model server), for ns.jobmans (the safe
 * API's /jobmans-status2/, spec/web-and-monitor.md C.2): CONNECT, then
 * getApplicationSignature(), then getStatusExtended() - or getStatus()
 * for an old server whose handshake does not list getStatusExtended or
 * which raises AttributeError for it, as mupif.monitor falls back.  Or
 * with a registered scheduler, for ns.schedulers (/scheduler-status2/ and
 * /status2/'s "scheduler"): CONNECT, then getStatistics(), whose value
 * parse_sched.c reads (as mupif.monitor.schedulerInfo; its getExecutions()
 * and the pickled log tails behind it are never asked for).  No sockets
 * here: ns_rounds.c moves the bytes, and the unit tests and
 * fuzz/fuzz_jobman.c drive it the same way.
 *
 * Trust: the peer is whatever listens at an address someone registered,
 * inside the configured networks: untrusted.  Replies are checked before
 * use: the 40-byte header (tag, version 502, magic, our sequence number,
 * the message type we wait for, serpent), payload + annotations capped at
 * JM_MAX_MSG before anything is buffered (the caller reads no further),
 * annotation chunks must tile their area, inflated payloads get the same
 * cap, serpent is read by our strict reader with smaller caps (JM_MAX_NODES
 * values, depth JM_MAX_DEPTH); every value we keep is type-checked,
 * strings are at most JM_MAX_STR bytes without NUL, jobs at most
 * JM_MAX_JOBS, numbers finite.  Anything else fails the conversation (the
 * element becomes null).
 *
 * Never unpickled: the original fetched each job's log tail with
 * tail(10, raw=True) and passed it to pickle.loads() in the public-facing
 * safe API (remote code execution for any model server in the VPN).  We
 * fetch no tails: "tail" is always [].  Class dicts ({'__class__': ...})
 * are read as plain dicts; the class name is ignored, never resolved.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nameserver.h"
#include "banned.h"

#define JM_ARENA_MAX	(16 * 1024 * 1024)

static void
fail(struct jm_conn *c, const char *why)
{
	c->state = JM_S_FAIL;
	(void)snprintf(c->why, sizeof(c->why), "%s", why);
}

/* Append one message (header + payload) to c->out. */
static int
emit(struct jm_conn *c, uint8_t type, const struct sval *v)
{
	struct pyro_hdr	h;
	struct sbuf	p;
	uint8_t		hb[PYRO_HDR_LEN];
	int		rc = -1;

	sbuf_init(&p, 64 * 1024);
	if (serpent_write(&p, v, 1) == 0 && !p.failed) {
		memset(&h, 0, sizeof(h));
		h.type = type;
		h.serializer = PYRO_SER_SERPENT;
		h.seq = c->seq;
		h.datalen = (uint32_t)p.len;
		pyro_hdr_build(hb, &h);
		sbuf_add(&c->out, hb, sizeof(hb));
		sbuf_add(&c->out, p.p, p.len);
		rc = c->out.failed ? -1 : 0;
	}
	sbuf_free(&p);
	return rc;
}

/* INVOKE objid.method() with no arguments: (objid, method, (), {}). */
static int
invoke(struct jm_conn *c, const char *method)
{
	struct sval	*t, *o, *m, *a, *k;
	int		 rc;

	c->seq = (uint16_t)(c->seq + 1);
	if ((t = sv_new(&c->arena, SV_TUPLE)) == NULL ||
	    (o = sv_cstr(&c->arena, c->objid)) == NULL ||
	    (m = sv_cstr(&c->arena, method)) == NULL ||
	    (a = sv_new(&c->arena, SV_TUPLE)) == NULL ||
	    (k = sv_new(&c->arena, SV_DICT)) == NULL)
		return -1;
	sv_append(t, o);
	sv_append(t, m);
	sv_append(t, a);
	sv_append(t, k);
	rc = emit(c, PYRO_INVOKE, t);
	return rc;
}

static int
conn_init(struct jm_conn *c, int kind, const char *objid, size_t len)
{
	struct sval	*d, *hs, *o;
	int		 rc;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	sbuf_init(&c->out, 64 * 1024);
	sv_arena_init(&c->arena, JM_ARENA_MAX);
	c->state = JM_S_HANDSHAKE;
	if (len == 0 || len >= sizeof(c->objid) ||
	    memchr(objid, '\0', len) != NULL)
		return -1;
	memcpy(c->objid, objid, len);
	c->objid[len] = '\0';
	/* What Pyro5's proxy sends: {"handshake": "hello", "object": id},
	 * sequence number 0. */
	if ((d = sv_new(&c->arena, SV_DICT)) == NULL ||
	    (hs = sv_cstr(&c->arena, "hello")) == NULL ||
	    (o = sv_cstr(&c->arena, c->objid)) == NULL ||
	    sv_dict_set(&c->arena, d, "handshake", hs) == -1 ||
	    sv_dict_set(&c->arena, d, "object", o) == -1)
		return -1;
	rc = emit(c, PYRO_CONNECT, d);
	sv_arena_reset(&c->arena);
	return rc;
}

int
jm_conn_init(struct jm_conn *c, const char *objid, size_t len)
{
	return conn_init(c, JM_KIND_JOBMAN, objid, len);
}

int
sch_conn_init(struct jm_conn *c, const char *objid, size_t len)
{
	return conn_init(c, JM_KIND_SCHED, objid, len);
}

int
jm_conn_ok(const struct jm_conn *c)
{
	return c->state == JM_S_DONE && (c->kind == JM_KIND_SCHED ?
	    c->sinfo.ok : c->info.ok);
}

void
jm_info_free(struct jm_info *in)
{
	size_t i;

	for (i = 0; i < in->njobs; i++) {
		free(in->jobs[i].key);
		free(in->jobs[i].user);
		free(in->jobs[i].uri);
		free(in->jobs[i].log_uri);
	}
	free(in->jobs);
	free(in->signature);
	memset(in, 0, sizeof(*in));
}

void
jm_conn_free(struct jm_conn *c)
{
	sbuf_free(&c->out);
	sv_arena_reset(&c->arena);
	jm_info_free(&c->info);
	sch_info_free(&c->sinfo);
}

char *
jm_keep_str(const struct sval *v)
{
	char *s;

	if (v == NULL || v->type != SV_STR || v->u.s.len > JM_MAX_STR ||
	    memchr(v->u.s.p, '\0', v->u.s.len) != NULL)
		return NULL;
	if ((s = malloc(v->u.s.len + 1)) == NULL)
		return NULL;
	memcpy(s, v->u.s.p, v->u.s.len);
	s[v->u.s.len] = '\0';
	return s;
}

/* An int in -1 .. 2^31 (counts). */
static int
get_count(const struct sval *v, int64_t *out)
{
	if (v == NULL || v->type != SV_INT || v->u.i < -1 ||
	    v->u.i > INT32_MAX)
		return -1;
	*out = v->u.i;
	return 0;
}

static int
is_seq(const struct sval *v)
{
	return v != NULL && (v->type == SV_LIST || v->type == SV_TUPLE);
}

/* One job: {key, running, user, uri, remoteLogUri} (more keys, such as
 * __class__ or tail, are ignored). */
static int
parse_job(const struct sval *d, struct jm_job *j, char *why, size_t whylen)
{
	const struct sval *run, *lu;

	if (d == NULL || d->type != SV_DICT) {
		(void)snprintf(why, whylen, "a job is not a dict");
		return -1;
	}
	run = sv_dict_get(d, "running");
	if (run != NULL && run->type == SV_INT)
		j->running = (double)run->u.i;
	else if (run != NULL && run->type == SV_FLOAT && isfinite(run->u.f))
		j->running = run->u.f;
	else {
		(void)snprintf(why, whylen, "a job's running is not a "
		    "finite number");
		return -1;
	}
	if ((j->key = jm_keep_str(sv_dict_get(d, "key"))) == NULL ||
	    (j->user = jm_keep_str(sv_dict_get(d, "user"))) == NULL ||
	    (j->uri = jm_keep_str(sv_dict_get(d, "uri"))) == NULL) {
		(void)snprintf(why, whylen, "a job's key, user or uri is not "
		    "a short string");
		return -1;
	}
	lu = sv_dict_get(d, "remoteLogUri");
	if (lu != NULL && lu->type != SV_NONE &&
	    (j->log_uri = jm_keep_str(lu)) == NULL) {
		(void)snprintf(why, whylen, "a job's remoteLogUri is not a "
		    "short string or None");
		return -1;
	}
	return 0;
}

int
jm_parse_status(const struct sval *v, int extended, struct jm_info *in,
    char *why, size_t whylen)
{
	const struct sval	*jobs, *it;
	size_t			 i;

	in->status = extended;
	in->max = in->total = -1;
	if (extended) {
		/* {'currJobs': [...], 'totalJobs': n, 'maxJobs': n}, maybe
		 * as a class dict (mupif's pydantic model). */
		if (v == NULL || v->type != SV_DICT) {
			(void)snprintf(why, whylen, "status is not a dict");
			return -1;
		}
		jobs = sv_dict_get(v, "currJobs");
		if (get_count(sv_dict_get(v, "totalJobs"), &in->total) == -1) {
			(void)snprintf(why, whylen, "totalJobs is not a count");
			return -1;
		}
		/* Older servers have no maxJobs (the monitor's -1). */
		if (sv_dict_get(v, "maxJobs") != NULL &&
		    get_count(sv_dict_get(v, "maxJobs"), &in->max) == -1) {
			(void)snprintf(why, whylen, "maxJobs is not a count");
			return -1;
		}
	} else
		jobs = v;
	if (!is_seq(jobs)) {
		(void)snprintf(why, whylen, "the jobs are not a list");
		return -1;
	}
	if (jobs->n > JM_MAX_JOBS) {
		(void)snprintf(why, whylen, "more than %d jobs", JM_MAX_JOBS);
		return -1;
	}
	if (jobs->n > 0 &&
	    (in->jobs = calloc(jobs->n, sizeof(*in->jobs))) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (i = 0, it = jobs->u.l.first; it != NULL && i < jobs->n;
	    it = it->next, i++) {
		in->njobs = i + 1;
		if (parse_job(it, &in->jobs[i], why, whylen) == -1)
			return -1;
	}
	in->curr = (int64_t)in->njobs;
	return 0;
}

/* The handshake's method names: meta.methods, a set/list/tuple of str,
 * which must name the method we call first (getApplicationSignature of a
 * model server, getStatistics of a scheduler). */
static int
handshake_ok(struct jm_conn *c, const struct sval *v)
{
	const struct sval	*meta, *m, *it;
	const char		*first = c->kind == JM_KIND_SCHED ?
				    "getStatistics" : "getApplicationSignature";

	if (v == NULL || v->type != SV_DICT)
		return -1;
	if ((meta = sv_dict_get(v, "meta")) == NULL) {
		c->meta = 0;		/* nothing listed: just try */
		return 0;
	}
	if (meta->type != SV_DICT || (m = sv_dict_get(meta, "methods")) ==
	    NULL || (m->type != SV_SET && !is_seq(m)))
		return -1;
	c->meta = 1;
	for (it = m->u.l.first; it != NULL; it = it->next) {
		if (sv_is_str(it, "getStatusExtended"))
			c->has_ext = 1;
		else if (sv_is_str(it, "getStatus"))
			c->has_old = 1;
	}
	for (it = m->u.l.first; it != NULL; it = it->next)
		if (sv_is_str(it, first))
			return 0;
	return -1;			/* not what its tag says */
}

/* An exception reply whose class is builtins.AttributeError. */
static int
is_attribute_error(const struct sval *v)
{
	return sv_is_str(sv_dict_get(v, "__class__"),
	    "builtins.AttributeError");
}

/* A scheduler's reply: the handshake, then getStatistics()'s value. */
static void
sched_step(struct jm_conn *c, const struct sval *v, int exc)
{
	char why[128];

	switch (c->state) {
	case JM_S_HANDSHAKE:
		if (handshake_ok(c, v) == -1) {
			fail(c, "handshake: not a scheduler");
			return;
		}
		/* getStatistics(raw=False): the "old format" dict. */
		if (invoke(c, "getStatistics") == -1) {
			fail(c, "out of memory");
			return;
		}
		c->state = JM_S_STATS;
		return;
	case JM_S_STATS:
		if (exc) {
			fail(c, "getStatistics: exception");
			return;
		}
		if (sch_parse_stats(v, &c->sinfo, why, sizeof(why)) == -1) {
			sch_info_free(&c->sinfo);
			fail(c, why);
			return;
		}
		c->sinfo.ok = 1;
		c->state = JM_S_DONE;
		return;
	default:
		fail(c, "reply after the end");
		return;
	}
}

/* The value of one reply, in state c->state. */
static void
step(struct jm_conn *c, const struct sval *v, int exc)
{
	char why[128];

	if (c->kind == JM_KIND_SCHED) {
		sched_step(c, v, exc);
		return;
	}

	switch (c->state) {
	case JM_S_HANDSHAKE:
		if (handshake_ok(c, v) == -1) {
			fail(c, "handshake: not a model server");
			return;
		}
		if (invoke(c, "getApplicationSignature") == -1) {
			fail(c, "out of memory");
			return;
		}
		c->state = JM_S_SIG;
		return;
	case JM_S_SIG:
		if (exc || (c->info.signature = jm_keep_str(v)) == NULL) {
			fail(c, "getApplicationSignature: not a short string");
			return;
		}
		if (!c->meta || c->has_ext) {
			c->state = JM_S_STATUS;
			if (invoke(c, "getStatusExtended") == -1)
				fail(c, "out of memory");
		} else if (c->has_old) {
			c->state = JM_S_OLDSTATUS;
			if (invoke(c, "getStatus") == -1)
				fail(c, "out of memory");
		} else
			fail(c, "no getStatusExtended or getStatus");
		return;
	case JM_S_STATUS:
		if (exc && is_attribute_error(v)) {
			/* An old server: mupif.monitor falls back too. */
			c->state = JM_S_OLDSTATUS;
			if (invoke(c, "getStatus") == -1)
				fail(c, "out of memory");
			return;
		}
		/* FALLTHROUGH */
	case JM_S_OLDSTATUS:
		if (exc) {
			fail(c, "status: exception");
			return;
		}
		if (jm_parse_status(v, c->state == JM_S_STATUS, &c->info, why,
		    sizeof(why)) == -1) {
			fail(c, why);
			return;
		}
		c->info.ok = 1;
		c->state = JM_S_DONE;
		return;
	default:
		fail(c, "reply after the end");
		return;
	}
}

size_t
jm_conn_input(struct jm_conn *c, const uint8_t *buf, size_t len)
{
	static const struct serpent_limits lim = {
		JM_MAX_MSG, JM_MAX_DEPTH, JM_MAX_NODES
	};
	struct pyro_hdr	 h;
	struct pyro_ann	 ann[PYRO_MAX_ANN];
	struct sval	*v;
	const uint8_t	*p;
	uint8_t		*inflated = NULL;
	size_t		 total, nann, plen;
	char		 err[128];
	int		 want;

	if (c->state == JM_S_DONE || c->state == JM_S_FAIL) {
		if (len > 0 && c->state == JM_S_DONE)
			fail(c, "bytes after the end");
		return len;
	}
	if (len < PYRO_HDR_LEN)
		return 0;
	if (pyro_hdr_parse(buf, JM_MAX_MSG, &h) != PYRO_OK) {
		fail(c, "not a Pyro5 message, or too large");
		return len;
	}
	want = c->state == JM_S_HANDSHAKE ? PYRO_CONNECTOK : PYRO_RESULT;
	if (h.type != want || h.seq != c->seq ||
	    h.serializer != PYRO_SER_SERPENT ||
	    (h.flags & (PYRO_F_ONEWAY | PYRO_F_BATCH | PYRO_F_ITEMSTREAM |
	    PYRO_F_KEEPSERIALIZED)) != 0 ||
	    (want == PYRO_CONNECTOK && (h.flags & PYRO_F_EXCEPTION))) {
		fail(c, h.type == PYRO_CONNECTFAIL ? "connection refused "
		    "(CONNECTFAIL)" : "unexpected reply");
		return len;
	}
	total = PYRO_HDR_LEN + (size_t)h.annlen + h.datalen;
	if (len < total)
		return 0;
	if (pyro_ann_parse(buf + PYRO_HDR_LEN, h.annlen, ann, PYRO_MAX_ANN,
	    &nann) != PYRO_OK) {
		fail(c, "malformed annotations");
		return total;
	}
	p = buf + PYRO_HDR_LEN + h.annlen;
	plen = h.datalen;
	if (h.flags & PYRO_F_COMPRESSED) {
		if (pyro_inflate(p, plen, JM_MAX_MSG, &inflated, &plen) !=
		    PYRO_OK) {
			fail(c, "bad or oversized compressed payload");
			return total;
		}
		p = inflated;
	}
	if (serpent_parse(p, plen, &lim, &c->arena, &v, err, sizeof(err),
	    NULL) != SERPENT_OK)
		fail(c, "payload is not serpent we take");
	else
		step(c, v, (h.flags & PYRO_F_EXCEPTION) != 0);
	free(inflated);
	sv_arena_reset(&c->arena);
	return total;
}
