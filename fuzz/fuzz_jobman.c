/*
 * fuzz_jobman.c - fuzzes the client side of ns.jobmans and
 * ns.schedulers: what a registered job manager or scheduler (any host
 * someone registered inside the configured networks) sends back to the
 * nameserver (services/nameserver/parse_jobman.c: reply headers,
 * annotations, zlib, serpent with the smaller caps, the handshake's
 * method list, the signature, getStatusExtended()/getStatus() values;
 * parse_sched.c: getStatistics() values).
 *
 * Input: one selector byte, then bytes.
 *   bit 0 clear: the bytes are the server's stream, fed to a fresh
 *     conversation (bit 1 clear: with a job manager, set: with a
 *     scheduler) in chunks of (selector >> 2) + 1 bytes.  It must
 *     consume what it is given, never want more than it was given, end
 *     in a consistent state (DONE with every kept string within
 *     JM_MAX_STR, at most JM_MAX_JOBS jobs, histograms and lastJobs
 *     within their caps, finite numbers; or FAIL with a reason), and its
 *     requests must be well-formed Pyro5 INVOKEs/CONNECTs.
 *   bit 0 set: the bytes are one serpent value given to
 *     jm_parse_status() (bit 1: as getStatusExtended()'s), or with bit 2
 *     set to sch_parse_stats().
 *   bits 0 and 3 set: the bytes are a sched.stats reply (JSON from the
 *     scheduler) given to sch_stats_value() for the hosted
 *     mupif.scheduler object (bit 1: raw=True).  A value it returns
 *     holds only None, ints, strings within SCHO_MAX_STR, lists and
 *     dicts within their caps, and writes as serpent and as JSON.
 * No files, no network.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nameserver.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_info(const struct jm_info *in)
{
	size_t i;

	if (!in->ok || in->signature == NULL ||
	    strlen(in->signature) > JM_MAX_STR || in->njobs > JM_MAX_JOBS ||
	    in->curr != (int64_t)in->njobs)
		abort();
	for (i = 0; i < in->njobs; i++) {
		const struct jm_job *j = &in->jobs[i];

		if (j->key == NULL || j->user == NULL || j->uri == NULL ||
		    strlen(j->key) > JM_MAX_STR ||
		    strlen(j->user) > JM_MAX_STR ||
		    strlen(j->uri) > JM_MAX_STR || !isfinite(j->running) ||
		    (j->log_uri != NULL && strlen(j->log_uri) > JM_MAX_STR))
			abort();
	}
}

static int
bad_str(const char *s)
{
	return s == NULL || strlen(s) > JM_MAX_STR;
}

static void
check_num(const struct sch_num *n)
{
	if (n->isint ? (n->i < SCH_COUNT_MIN || n->i > SCH_COUNT_MAX) :
	    !isfinite(n->f))
		abort();
}

static void
check_sinfo(const struct sch_info *in)
{
	size_t i, k;

	if (!in->ok || in->nlast > SCH_MAX_LAST || in->nload48 > SCH_HIST_LEN)
		abort();
	check_num(&in->load);
	for (i = 0; i < in->nload48; i++)
		check_num(&in->load48[i]);
	for (k = 0; k < SCH_NHIST; k++) {
		if (in->nhist[k] > SCH_HIST_LEN)
			abort();
		for (i = 0; i < in->nhist[k]; i++)
			if (in->hist[k][i] < SCH_COUNT_MIN ||
			    in->hist[k][i] > SCH_COUNT_MAX)
				abort();
	}
	for (i = 0; i < in->nlast; i++) {
		const struct sch_exec *x = &in->last[i];

		if (bad_str(x->weid) || bad_str(x->wid) ||
		    bad_str(x->status) || bad_str(x->started) ||
		    (x->finished != NULL && bad_str(x->finished)))
			abort();
	}
}

static void
check_requests(const struct sbuf *out)
{
	struct pyro_hdr	h;
	size_t		off = 0;

	while (off < out->len) {
		if (out->len - off < PYRO_HDR_LEN ||
		    pyro_hdr_parse((const uint8_t *)out->p + off, 1 << 20,
		    &h) != PYRO_OK ||
		    (h.type != PYRO_CONNECT && h.type != PYRO_INVOKE) ||
		    h.serializer != PYRO_SER_SERPENT || h.annlen != 0)
			abort();
		off += PYRO_HDR_LEN + h.datalen;
	}
	if (off != out->len)
		abort();
}

static void
stream(const uint8_t *data, size_t size, size_t chunk, int sched)
{
	struct jm_conn	c;
	size_t		have = 0, used, len;

	if ((sched ? sch_conn_init(&c, "obj_fuzz", 8) :
	    jm_conn_init(&c, "obj_fuzz", 8)) != 0)
		abort();
	while (have < size && c.state != JM_S_DONE && c.state != JM_S_FAIL) {
		size_t avail = size - have;

		len = 0;
		for (;;) {
			len += chunk;
			if (len > avail)
				len = avail;
			used = jm_conn_input(&c, data + have, len);
			if (used > 0 || len == avail)
				break;
		}
		if (used == 0)
			break;
		if (used > len)
			abort();
		have += used;
	}
	check_requests(&c.out);
	if (c.state == JM_S_DONE) {
		if (!jm_conn_ok(&c))
			abort();
		if (sched) {
			if (c.info.ok)
				abort();
			check_sinfo(&c.sinfo);
		} else {
			if (c.sinfo.ok)
				abort();
			check_info(&c.info);
		}
	} else if (c.info.ok || c.sinfo.ok || jm_conn_ok(&c) ||
	    (c.state == JM_S_FAIL && c.why[0] == '\0'))
		abort();
	jm_conn_free(&c);
}

static void
value(const uint8_t *data, size_t size, int extended, int sched)
{
	static const struct serpent_limits lim = {
		JM_MAX_MSG, JM_MAX_DEPTH, JM_MAX_NODES
	};
	struct sv_arena	 a;
	struct sval	*v;
	struct jm_info	 in;
	struct sch_info	 sin;
	char		 err[128];

	sv_arena_init(&a, 16 * 1024 * 1024);
	if (serpent_parse(data, size, &lim, &a, &v, err, sizeof(err), NULL) !=
	    0) {
		sv_arena_reset(&a);
		return;
	}
	if (sched) {
		err[0] = '\0';
		if (sch_parse_stats(v, &sin, err, sizeof(err)) == 0) {
			sin.ok = 1;
			check_sinfo(&sin);
		} else if (err[0] == '\0')
			abort();
		sch_info_free(&sin);
	} else {
		memset(&in, 0, sizeof(in));
		if (jm_parse_status(v, extended, &in, err, sizeof(err)) == 0) {
			in.ok = 1;
			in.signature = strdup("s");
			if (in.signature == NULL)
				abort();
			check_info(&in);
		} else if (err[0] == '\0')
			abort();
		jm_info_free(&in);
	}
	sv_arena_reset(&a);
}

/* A value getStatistics() would send: only the kinds and sizes taken. */
static void
check_hosted(const struct sval *v, size_t depth, size_t *nodes)
{
	const struct sval *it;

	if (++*nodes > SCHO_MAX_NODES || depth > SCHO_MAX_DEPTH)
		abort();
	switch (v->type) {
	case SV_NONE:
	case SV_INT:
		return;
	case SV_STR:
		if (v->u.s.len > SCHO_MAX_STR ||
		    memchr(v->u.s.p, '\0', v->u.s.len) != NULL)
			abort();
		return;
	case SV_LIST:
		if (v->n > SCHO_MAX_ITEMS)
			abort();
		break;
	case SV_DICT:
		if (v->n > SCHO_MAX_KEYS)
			abort();
		break;
	default:
		abort();
	}
	for (it = v->u.l.first; it != NULL; it = it->next)
		check_hosted(it, depth + 1, nodes);
}

static void
hosted(const uint8_t *data, size_t size, int raw)
{
	struct sv_arena	 a;
	struct sval	*v;
	struct sbuf	 b;
	char		 why[256];
	size_t		 nodes = 0;

	sv_arena_init(&a, 16 * 1024 * 1024);
	why[0] = '\0';
	v = sch_stats_value(&a, (const char *)data, size, raw, why,
	    sizeof(why));
	if (v == NULL) {
		if (why[0] == '\0')
			abort();
	} else {
		check_hosted(v, 1, &nodes);
		if (v->type != SV_DICT)
			abort();
		sbuf_init(&b, 4 * 1024 * 1024);
		if (serpent_write(&b, v, 1) != 0)
			abort();
		b.len = 0;
		if (pyjson_write(&b, v) != 0)
			abort();
		sbuf_free(&b);
	}
	sv_arena_reset(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 512 * 1024)
		return 0;
	if ((data[0] & 9) == 9)
		hosted(data + 1, size - 1, (data[0] & 2) != 0);
	else if (data[0] & 1)
		value(data + 1, size - 1, (data[0] & 2) != 0,
		    (data[0] & 4) != 0);
	else
		stream(data + 1, size - 1, (size_t)(data[0] >> 2) + 1,
		    (data[0] & 2) != 0);
	return 0;
}
