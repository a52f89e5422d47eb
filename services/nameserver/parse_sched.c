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
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
