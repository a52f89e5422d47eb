/*
 * parse_sched.c - the value a registered scheduler's getStatistics()
 * returns, for ns.schedulers (the safe API's /scheduler-status2/ and
 * /status2/'s "scheduler", spec/web-and-monitor.md C.2): mupifDB's "old
 * format" dict (spec/scheduler.md 9), the fields mupif.monitor's
 * schedulerInfo() reads:
 *
 *   runningTasks, scheduledTasks, processedTasks, finishedTasks,
 *   failedTasks		ints
 *   currentLoad		a number (an int in practice, declared float)
 *   pooledTasks48, processedTasks48, finishedTasks48, failedTasks48
 *				lists of ints, oldest hour first
 *   load48			a list of numbers
 *   lastJobs			lists [weid, wid, status, started, finished]
 *
 * Trust: the peer is whatever listens at an address someone registered
 * with the tag type:scheduler, inside the configured networks: untrusted.
 * The serpent tree comes from parse_jobman.c (capped there); here every
 * field is required and type-checked: counters are ints in
 * SCH_COUNT_MIN..SCH_COUNT_MAX (scheduledTasks may go negative in
 * mupifDB), numbers finite, histograms at most SCH_HIST_LEN long, at most
 * SCH_MAX_LAST lastJobs of exactly five elements, strings at most
 * JM_MAX_STR bytes without NUL (datetimes arrive as serpent's ISO
 * strings).  Other keys (a __class__ among them) are ignored, never
 * resolved; anything else makes the scheduler null.
 *
 * Also the other direction, for the mupif.scheduler object this
 * nameserver hosts (sch_stats_value, at the end): the node's scheduler's
 * sched.stats JSON into the value its getStatistics() returns.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nameserver.h"
#include "banned.h"

static int
get_count(const struct sval *v, int64_t *out)
{
	if (v == NULL || v->type != SV_INT || v->u.i < SCH_COUNT_MIN ||
	    v->u.i > SCH_COUNT_MAX)
		return -1;
	*out = v->u.i;
	return 0;
}

static int
get_num(const struct sval *v, struct sch_num *out)
{
	memset(out, 0, sizeof(*out));
	if (v != NULL && v->type == SV_INT && v->u.i >= SCH_COUNT_MIN &&
	    v->u.i <= SCH_COUNT_MAX) {
		out->isint = 1;
		out->i = v->u.i;
		return 0;
	}
	if (v != NULL && v->type == SV_FLOAT && isfinite(v->u.f)) {
		out->f = v->u.f;
		return 0;
	}
	return -1;
}

static int
is_seq(const struct sval *v)
{
	return v != NULL && (v->type == SV_LIST || v->type == SV_TUPLE);
}

void
sch_info_free(struct sch_info *in)
{
	size_t i;

	for (i = 0; i < in->nlast; i++) {
		free(in->last[i].weid);
		free(in->last[i].wid);
		free(in->last[i].status);
		free(in->last[i].started);
		free(in->last[i].finished);
	}
	free(in->last);
	memset(in, 0, sizeof(*in));
}

/* One of lastJobs: [weid, wid, status, started, finished|None]. */
static int
parse_exec(const struct sval *l, struct sch_exec *e, char *why,
    size_t whylen)
{
	const struct sval *it;

	if (!is_seq(l) || l->n != 5) {
		(void)snprintf(why, whylen, "a lastJobs entry is not a list "
		    "of five");
		return -1;
	}
	it = l->u.l.first;
	if ((e->weid = jm_keep_str(it)) == NULL ||
	    (e->wid = jm_keep_str(it->next)) == NULL ||
	    (e->status = jm_keep_str(it->next->next)) == NULL ||
	    (e->started = jm_keep_str(it->next->next->next)) == NULL) {
		(void)snprintf(why, whylen, "a lastJobs entry's weid, wid, "
		    "status or started is not a short string");
		return -1;
	}
	it = it->next->next->next->next;
	if (it->type != SV_NONE && (e->finished = jm_keep_str(it)) == NULL) {
		(void)snprintf(why, whylen, "a lastJobs entry's finished is "
		    "not a short string or None");
		return -1;
	}
	return 0;
}

int
sch_parse_stats(const struct sval *v, struct sch_info *in, char *why,
    size_t whylen)
{
	static const char *const counters[] = {
		"runningTasks", "scheduledTasks", "processedTasks",
		"finishedTasks", "failedTasks"
	};
	static const char *const hists[SCH_NHIST] = {
		"pooledTasks48", "processedTasks48", "finishedTasks48",
		"failedTasks48"
	};
	int64_t			*cdst[5];
	const struct sval	*l, *it;
	size_t			 i, k;

	memset(in, 0, sizeof(*in));
	if (v == NULL || v->type != SV_DICT) {
		(void)snprintf(why, whylen, "statistics are not a dict");
		return -1;
	}
	cdst[0] = &in->running;
	cdst[1] = &in->scheduled;
	cdst[2] = &in->processed;
	cdst[3] = &in->finished;
	cdst[4] = &in->failed;
	for (i = 0; i < 5; i++)
		if (get_count(sv_dict_get(v, counters[i]), cdst[i]) == -1) {
			(void)snprintf(why, whylen, "%s is not a count",
			    counters[i]);
			return -1;
		}
	if (get_num(sv_dict_get(v, "currentLoad"), &in->load) == -1) {
		(void)snprintf(why, whylen, "currentLoad is not a finite "
		    "number");
		return -1;
	}
	for (k = 0; k < SCH_NHIST; k++) {
		l = sv_dict_get(v, hists[k]);
		if (!is_seq(l) || l->n > SCH_HIST_LEN) {
			(void)snprintf(why, whylen, "%s is not a list of at "
			    "most %d", hists[k], SCH_HIST_LEN);
			return -1;
		}
		for (i = 0, it = l->u.l.first; it != NULL && i < l->n;
		    it = it->next, i++)
			if (get_count(it, &in->hist[k][i]) == -1) {
				(void)snprintf(why, whylen, "%s holds a "
				    "non-count", hists[k]);
				return -1;
			}
		in->nhist[k] = i;
	}
	l = sv_dict_get(v, "load48");
	if (!is_seq(l) || l->n > SCH_HIST_LEN) {
		(void)snprintf(why, whylen, "load48 is not a list of at most "
		    "%d", SCH_HIST_LEN);
		return -1;
	}
	for (i = 0, it = l->u.l.first; it != NULL && i < l->n;
	    it = it->next, i++)
		if (get_num(it, &in->load48[i]) == -1) {
			(void)snprintf(why, whylen, "load48 holds a "
			    "non-number");
			return -1;
		}
	in->nload48 = i;
	l = sv_dict_get(v, "lastJobs");
	if (!is_seq(l) || l->n > SCH_MAX_LAST) {
		(void)snprintf(why, whylen, "lastJobs is not a list of at "
		    "most %d", SCH_MAX_LAST);
		return -1;
	}
	if (l->n > 0 && (in->last = calloc(l->n, sizeof(*in->last))) ==
	    NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (i = 0, it = l->u.l.first; it != NULL && i < l->n;
	    it = it->next, i++) {
		in->nlast = i + 1;
		if (parse_exec(it, &in->last[i], why, whylen) == -1)
			return -1;
	}
	return 0;
}

/*
 * The hosted mupif.scheduler object's side (sch_stats_value): the
 * scheduler's own sched.stats reply, from the broker, into a value tree.
 * The scheduler is trusted more than a VPN peer, but it is a separate,
 * sandboxed process: its JSON is still taken only in the shapes
 * getStatistics() returns, within the SCHO_* caps.
 */

struct scho {
	struct sv_arena	*a;
	size_t		 nodes;
	const char	*why;
};

/* One JSON value into the tree (d: its depth). */
static struct sval *
scho_conv(struct scho *c, yajl_val j, size_t d)
{
	struct sval	*v, *k, *item;
	size_t		 i, n;

	if (++c->nodes > SCHO_MAX_NODES) {
		c->why = "too many values";
		return NULL;
	}
	if (d > SCHO_MAX_DEPTH) {
		c->why = "nested too deep";
		return NULL;
	}
	if (YAJL_IS_STRING(j)) {
		n = strlen(j->u.string);
		if (n > SCHO_MAX_STR || !utf8_valid(j->u.string, n)) {
			c->why = "a string is too long or not UTF-8";
			return NULL;
		}
		if ((v = sv_str(c->a, j->u.string, n)) == NULL)
			c->why = "out of memory";
		return v;
	}
	if (YAJL_IS_INTEGER(j)) {
		if ((v = sv_int(c->a, j->u.number.i)) == NULL)
			c->why = "out of memory";
		return v;
	}
	if (YAJL_IS_NULL(j)) {
		if ((v = sv_new(c->a, SV_NONE)) == NULL)
			c->why = "out of memory";
		return v;
	}
	if (YAJL_IS_ARRAY(j)) {
		if (j->u.array.len > SCHO_MAX_ITEMS) {
			c->why = "a list is too long";
			return NULL;
		}
		if ((v = sv_new(c->a, SV_LIST)) == NULL) {
			c->why = "out of memory";
			return NULL;
		}
		for (i = 0; i < j->u.array.len; i++) {
			if ((item = scho_conv(c, j->u.array.values[i],
			    d + 1)) == NULL)
				return NULL;
			sv_append(v, item);
		}
		return v;
	}
	if (YAJL_IS_OBJECT(j)) {
		if (j->u.object.len > SCHO_MAX_KEYS) {
			c->why = "a dict has too many keys";
			return NULL;
		}
		if ((v = sv_new(c->a, SV_DICT)) == NULL) {
			c->why = "out of memory";
			return NULL;
		}
		for (i = 0; i < j->u.object.len; i++) {
			const char *key = j->u.object.keys[i];

			n = strlen(key);
			if (n > SCHO_MAX_STR || !utf8_valid(key, n)) {
				c->why = "a key is too long or not UTF-8";
				return NULL;
			}
			if ((k = sv_str(c->a, key, n)) == NULL) {
				c->why = "out of memory";
				return NULL;
			}
			if ((item = scho_conv(c, j->u.object.values[i],
			    d + 1)) == NULL)
				return NULL;
			sv_append(v, k);
			sv_append(v, item);
			v->n++;
		}
		return v;
	}
	/* Floats, integers beyond int64, booleans: not in either form. */
	c->why = "a value is not an int, string, null, list or dict";
	return NULL;
}

/* The old format: sch_parse_stats() plus exactly 48 hours each. */
static int
scho_check_old(const struct sval *v, char *why, size_t whylen)
{
	struct sch_info	in;
	size_t		k;
	int		rc;

	rc = sch_parse_stats(v, &in, why, whylen);
	if (rc == 0) {
		for (k = 0; k < SCH_NHIST; k++)
			if (in.nhist[k] != SCH_HIST_LEN)
				rc = -1;
		if (in.nload48 != SCH_HIST_LEN)
			rc = -1;
		if (rc == -1)
			(void)snprintf(why, whylen, "a histogram is not %d "
			    "long", SCH_HIST_LEN);
	}
	sch_info_free(&in);
	return rc;
}

/* The SchedulerStat: the four members getStatistics(raw=True) has. */
static int
scho_check_raw(const struct sval *v, char *why, size_t whylen)
{
	const struct sval *x;

	if (v == NULL || v->type != SV_DICT) {
		(void)snprintf(why, whylen, "raw statistics are not a dict");
		return -1;
	}
	if ((x = sv_dict_get(v, "tasks")) == NULL || x->type != SV_DICT ||
	    (x = sv_dict_get(v, "load")) == NULL || x->type != SV_INT ||
	    (x = sv_dict_get(v, "lastJobs")) == NULL || x->type != SV_LIST ||
	    (x = sv_dict_get(v, "hist48h")) == NULL || x->type != SV_DICT) {
		(void)snprintf(why, whylen, "raw statistics lack tasks, load, "
		    "lastJobs or hist48h");
		return -1;
	}
	return 0;
}

struct sval *
sch_stats_value(struct sv_arena *a, const char *json, size_t len, int raw,
    char *why, size_t whylen)
{
	struct scho	 c;
	yajl_val	 j;
	struct sval	*top, *v;
	char		 err[128];

	if ((j = json_parse(json, len, SCHO_MAX_JSON, SCHO_MAX_DEPTH + 1,
	    err, sizeof(err))) == NULL) {
		(void)snprintf(why, whylen, "sched.stats: %s", err);
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.a = a;
	top = scho_conv(&c, j, 0);
	yajl_tree_free(j);
	if (top == NULL) {
		(void)snprintf(why, whylen, "sched.stats: %s", c.why != NULL ?
		    c.why : "unreadable");
		return NULL;
	}
	if (top->type != SV_DICT ||
	    (v = sv_dict_get(top, raw ? "raw" : "stats")) == NULL) {
		(void)snprintf(why, whylen, "sched.stats: no \"%s\"",
		    raw ? "raw" : "stats");
		return NULL;
	}
	if ((raw ? scho_check_raw(v, why, whylen) :
	    scho_check_old(v, why, whylen)) == -1)
		return NULL;
	return v;
}
