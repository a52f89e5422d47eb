/*
 * sched_stat.c - the scheduler's statistics in the shapes mupifDB's
 * readers expect (spec scheduler.md 8 and 9): counters, the last five
 * jobs, the 48-hour histogram; as the raw SchedulerStat JSON (the file
 * scheduler-stat.json) and as getStatistics()'s "old format" (the safe
 * API's /scheduler-status2/ and the monitor).
 *
 * Trust: the file is ours but is read back with the capped JSON parser
 * and every value checked; a bad file is ignored (start from zero).  The
 * running and scheduled counters are never taken from the file: they are
 * recomputed from what this process runs (spec 12.5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "sched_stat.h"
#include "banned.h"

static const char *const hist_names[SCHED_HIST_ARRAYS] = {
	"processed", "pooled", "finished", "failed", "load"
};

void
sched_stat_iso(int64_t ms, char *out, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000) * 1000) >= (int)len)
		(void)strlcpy(out, "1970-01-01T00:00:00.000000", len);
}

/* Shift the histogram so that its last bucket is the hour of now. */
static void
advance(struct sched_stat *s, int64_t now_s)
{
	int64_t	head = now_s / SCHED_HIST_INTERVAL, d;
	size_t	a, i;

	if (s->head == 0 || head < s->head) {
		s->head = head;
		return;
	}
	d = head - s->head;
	if (d == 0)
		return;
	for (a = 0; a < SCHED_HIST_ARRAYS; a++) {
		if (d >= SCHED_HIST_COUNT) {
			memset(s->hist[a], 0, sizeof(s->hist[a]));
			continue;
		}
		for (i = 0; i + (size_t)d < SCHED_HIST_COUNT; i++)
			s->hist[a][i] = s->hist[a][i + (size_t)d];
		for (; i < SCHED_HIST_COUNT; i++)
			s->hist[a][i] = 0;
	}
	s->head = head;
}

static void
sync_load(struct sched_stat *s)
{
	s->load = s->slots > 0 ? (int)(100 * s->running / s->slots) : 0;
	s->hist[SCHED_H_LOAD][SCHED_HIST_COUNT - 1] = s->load;
}

void
sched_stat_scheduled(struct sched_stat *s, int64_t now_ms, long long n)
{
	advance(s, now_ms / 1000);
	s->scheduled = n;
	s->hist[SCHED_H_POOLED][SCHED_HIST_COUNT - 1] += n;
	sync_load(s);
}

void
sched_stat_running(struct sched_stat *s, int64_t now_ms, const char *weid,
    const char *wid)
{
	struct sched_job *j;

	advance(s, now_ms / 1000);
	if (s->scheduled > 0)
		s->scheduled--;
	s->running++;
	if (s->nlast == SCHED_LAST_JOBS) {
		memmove(&s->last[0], &s->last[1],
		    sizeof(s->last[0]) * (SCHED_LAST_JOBS - 1));
		s->nlast--;
	}
	j = &s->last[s->nlast++];
	memset(j, 0, sizeof(*j));
	(void)strlcpy(j->we_id, weid, sizeof(j->we_id));
	(void)strlcpy(j->wid, wid, sizeof(j->wid));
	(void)strlcpy(j->status, "Running", sizeof(j->status));
	sched_stat_iso(now_ms, j->started, sizeof(j->started));
	sync_load(s);
}

void
sched_stat_finished(struct sched_stat *s, int64_t now_ms, const char *weid,
    int ok)
{
	size_t	i;

	advance(s, now_ms / 1000);
	if (s->running > 0)
		s->running--;
	s->processed++;
	s->hist[SCHED_H_PROCESSED][SCHED_HIST_COUNT - 1]++;
	if (ok) {
		s->finished++;
		s->hist[SCHED_H_FINISHED][SCHED_HIST_COUNT - 1]++;
	} else {
		s->failed++;
		s->hist[SCHED_H_FAILED][SCHED_HIST_COUNT - 1]++;
	}
	for (i = 0; i < s->nlast; i++)
		if (strcmp(s->last[i].we_id, weid) == 0) {
			(void)strlcpy(s->last[i].status, ok ? "Finished" :
			    "Failed", sizeof(s->last[i].status));
			sched_stat_iso(now_ms, s->last[i].finished,
			    sizeof(s->last[i].finished));
		}
	sync_load(s);
}

void
sched_stat_tick(struct sched_stat *s, int64_t now_ms)
{
	advance(s, now_ms / 1000);
	sync_load(s);
}

static void
gen_hist_array(yajl_gen g, const long long *v)
{
	size_t i;

	(void)yajl_gen_array_open(g);
	for (i = 0; i < SCHED_HIST_COUNT; i++)
		(void)yajl_gen_integer(g, v[i]);
	(void)yajl_gen_array_close(g);
}

static void
gen_opt_str(yajl_gen g, const char *s)
{
	if (s[0] == '\0')
		(void)yajl_gen_null(g);
	else
		json_gen_cstr(g, s);
}

void
sched_stat_gen_raw(const struct sched_stat *s, yajl_gen g)
{
	size_t i;

	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "tasks");
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "running", s->running);
	json_gen_kv_int(g, "scheduled", s->scheduled);
	json_gen_kv_int(g, "processed", s->processed);
	json_gen_kv_int(g, "finished", s->finished);
	json_gen_kv_int(g, "failed", s->failed);
	(void)yajl_gen_map_close(g);
	json_gen_kv_int(g, "load", s->load);
	json_gen_cstr(g, "lastJobs");
	(void)yajl_gen_array_open(g);
	for (i = 0; i < s->nlast; i++) {
		(void)yajl_gen_map_open(g);
		json_gen_kv_str(g, "we_id", s->last[i].we_id);
		json_gen_kv_str(g, "wid", s->last[i].wid);
		json_gen_kv_str(g, "status", s->last[i].status);
		json_gen_kv_str(g, "started", s->last[i].started);
		json_gen_cstr(g, "finished");
		gen_opt_str(g, s->last[i].finished);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_array_close(g);
	json_gen_cstr(g, "hist48h");
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "interval", SCHED_HIST_INTERVAL);
	json_gen_kv_int(g, "count", SCHED_HIST_COUNT);
	json_gen_kv_int(g, "headPeriod", s->head);
	for (i = 0; i < SCHED_HIST_ARRAYS; i++) {
		json_gen_cstr(g, hist_names[i]);
		gen_hist_array(g, s->hist[i]);
	}
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_map_close(g);
}

void
sched_stat_gen_old(const struct sched_stat *s, yajl_gen g)
{
	static const char *const k48[SCHED_HIST_ARRAYS] = {
		"processedTasks48", "pooledTasks48", "finishedTasks48",
		"failedTasks48", "load48"
	};
	size_t i;

	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "runningTasks", s->running);
	json_gen_kv_int(g, "scheduledTasks", s->scheduled);
	json_gen_kv_int(g, "processedTasks", s->processed);
	json_gen_kv_int(g, "finishedTasks", s->finished);
	json_gen_kv_int(g, "failedTasks", s->failed);
	json_gen_cstr(g, "lastJobs");
	(void)yajl_gen_array_open(g);
	for (i = 0; i < s->nlast; i++) {
		(void)yajl_gen_array_open(g);
		json_gen_cstr(g, s->last[i].we_id);
		json_gen_cstr(g, s->last[i].wid);
		json_gen_cstr(g, s->last[i].status);
		json_gen_cstr(g, s->last[i].started);
		gen_opt_str(g, s->last[i].finished);
		(void)yajl_gen_array_close(g);
	}
	(void)yajl_gen_array_close(g);
	json_gen_kv_int(g, "currentLoad", s->load);
	for (i = 0; i < SCHED_HIST_ARRAYS; i++) {
		json_gen_cstr(g, k48[i]);
		gen_hist_array(g, s->hist[i]);
	}
	(void)yajl_gen_map_close(g);
}

int
sched_stat_save(const struct sched_stat *s, const char *path)
{
	yajl_gen		 g;
	const unsigned char	*b;
	size_t			 l;
	char			 tmp[300];
	int			 fd, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp) ||
	    (g = json_gen_new()) == NULL)
		return -1;
	sched_stat_gen_raw(s, g);
	(void)yajl_gen_get_buf(g, &b, &l);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) != -1) {
		if (util_write_all(fd, b, l) == 0 && fsync(fd) == 0)
			rc = 0;
		if (close(fd) == -1)
			rc = -1;
		if (rc == 0 && rename(tmp, path) == -1)
			rc = -1;
		if (rc == -1)
			(void)unlink(tmp);
	}
	yajl_gen_free(g);
	return rc;
}

/* A non-negative integer of v, or -1. */
static long long
nonneg(yajl_val v)
{
	if (v == NULL || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
		return -1;
	return YAJL_GET_INTEGER(v);
}

int
sched_stat_parse(struct sched_stat *s, const char *text, size_t len)
{
	struct sched_stat	 n;
	yajl_val		 d, t, h, lj;
	char			 err[64];
	size_t			 i, a;
	long long		 v;
	int			 rc = -1;

	if ((d = json_parse(text, len, 256 * 1024, 6, err, sizeof(err))) ==
	    NULL)
		return -1;
	memset(&n, 0, sizeof(n));
	n.slots = s->slots;
	t = json_get(d, "tasks");
	h = json_get(d, "hist48h");
	lj = json_get(d, "lastJobs");
	if (t == NULL || h == NULL || lj == NULL || !YAJL_IS_ARRAY(lj) ||
	    lj->u.array.len > SCHED_LAST_JOBS)
		goto out;
	if ((n.processed = nonneg(json_get(t, "processed"))) < 0 ||
	    (n.finished = nonneg(json_get(t, "finished"))) < 0 ||
	    (n.failed = nonneg(json_get(t, "failed"))) < 0 ||
	    nonneg(json_get(h, "interval")) != SCHED_HIST_INTERVAL ||
	    nonneg(json_get(h, "count")) != SCHED_HIST_COUNT ||
	    (n.head = nonneg(json_get(h, "headPeriod"))) < 0)
		goto out;
	for (a = 0; a < SCHED_HIST_ARRAYS; a++) {
		yajl_val arr = json_get(h, hist_names[a]);

		if (arr == NULL || !YAJL_IS_ARRAY(arr) ||
		    arr->u.array.len != SCHED_HIST_COUNT)
			goto out;
		for (i = 0; i < SCHED_HIST_COUNT; i++) {
			if ((v = nonneg(arr->u.array.values[i])) < 0)
				goto out;
			n.hist[a][i] = v;
		}
	}
	for (i = 0; i < lj->u.array.len; i++) {
		yajl_val	 j = lj->u.array.values[i];
		const char	*we = json_get_str(j, "we_id");
		const char	*wid = json_get_str(j, "wid");
		const char	*st = json_get_str(j, "status");
		const char	*sd = json_get_str(j, "started");
		const char	*fd = json_get_str(j, "finished");
		struct sched_job *o = &n.last[n.nlast];

		if (we == NULL || wid == NULL || st == NULL || sd == NULL ||
		    strlcpy(o->we_id, we, sizeof(o->we_id)) >=
		    sizeof(o->we_id) ||
		    strlcpy(o->wid, wid, sizeof(o->wid)) >= sizeof(o->wid) ||
		    strlcpy(o->status, st, sizeof(o->status)) >=
		    sizeof(o->status) ||
		    strlcpy(o->started, sd, sizeof(o->started)) >=
		    sizeof(o->started) ||
		    (fd != NULL && strlcpy(o->finished, fd,
		    sizeof(o->finished)) >= sizeof(o->finished)))
			goto out;
		/* A job that was running when we stopped did not finish
		 * here: recovery recorded it as Failed. */
		if (strcmp(o->status, "Running") == 0)
			(void)strlcpy(o->status, "Failed", sizeof(o->status));
		n.nlast++;
	}
	*s = n;
	rc = 0;
out:
	yajl_tree_free(d);
	return rc;
}

void
sched_stat_load(struct sched_stat *s, const char *path)
{
	char	*text;
	size_t	 len;

	if (util_read_file(path, 256 * 1024, &text, &len) == -1) {
		if (errno != ENOENT)
			log_warn("%s", path);
		return;
	}
	if (sched_stat_parse(s, text, len) == -1)
		log_warnx("%s is not a statistics file; starting from zero",
		    path);
	else
		log_info("statistics from %s: %lld processed", path,
		    s->processed);
	free(text);
}
