/*
 * sched_stat.h - the scheduler's statistics (sched_stat.c): the model of
 * mupifDB's SchedulerStat (spec scheduler.md 8.1) and its two JSON forms.
 * Kept apart from scheduler.h so the fuzz harness of the file reader and
 * the unit tests link only this.
 */
#ifndef SCHED_STAT_H
#define SCHED_STAT_H

#include <stddef.h>
#include <stdint.h>
#include <yajl_gen.h>

#define SCHED_LAST_JOBS		5
#define SCHED_HIST_COUNT	48
#define SCHED_HIST_INTERVAL	3600
#define SCHED_HIST_ARRAYS	5
enum { SCHED_H_PROCESSED, SCHED_H_POOLED, SCHED_H_FINISHED, SCHED_H_FAILED,
    SCHED_H_LOAD };

struct sched_job {
	char	we_id[25];
	char	wid[257];
	char	status[16];		/* Running, Finished, Failed */
	char	started[32];		/* ISO, microseconds */
	char	finished[32];		/* "" while running */
};

struct sched_stat {
	long long	 slots;		/* for the load percentage */
	long long	 running, scheduled, processed, finished, failed;
	int		 load;
	struct sched_job last[SCHED_LAST_JOBS];
	size_t		 nlast;
	long long	 head;		/* hour of the newest bucket */
	long long	 hist[SCHED_HIST_ARRAYS][SCHED_HIST_COUNT];
};

/* Events (spec 8.1): each first advances the histogram to now. */
void	sched_stat_scheduled(struct sched_stat *, int64_t now_ms, long long n);
void	sched_stat_running(struct sched_stat *, int64_t now_ms,
	    const char *weid, const char *wid);
void	sched_stat_finished(struct sched_stat *, int64_t now_ms,
	    const char *weid, int ok);
void	sched_stat_tick(struct sched_stat *, int64_t now_ms);
/* The SchedulerStat JSON (scheduler-stat.json, getStatistics(raw=True)). */
void	sched_stat_gen_raw(const struct sched_stat *, yajl_gen);
/* getStatistics()'s old format (runningTasks, ..., load48). */
void	sched_stat_gen_old(const struct sched_stat *, yajl_gen);
/* Parse a SchedulerStat text into s (keeps s->slots; running and
 * scheduled start at zero).  0, or -1 leaving s untouched. */
int	sched_stat_parse(struct sched_stat *, const char *, size_t);
/* Read path into s if it is a good file (else log and keep s). */
void	sched_stat_load(struct sched_stat *, const char *path);
/* Write atomically: path.tmp, fsync, rename.  0 or -1. */
int	sched_stat_save(const struct sched_stat *, const char *path);
/* ms since the epoch -> "YYYY-MM-DDTHH:MM:SS.ffffff" (UTC). */
void	sched_stat_iso(int64_t ms, char *out, size_t len);

#endif /* SCHED_STAT_H */
