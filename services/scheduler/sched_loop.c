/*
 * sched_loop.c - the scheduling loop: claim Pending executions into free
 * slots, prepare each run (workflow files, token, work directory), start
 * it (sched_run.c), and record how it ended: log file, status, attempts,
 * statistics.  Also crash recovery at start, cancel, the live log.
 *
 * Trust: the db's answers are trusted data but parsed with caps; the
 * workflow archive is hostile (sched_zip.c unpacks it); what a run prints
 * is hostile text that only goes into its own log.  Every change of an
 * execution is one compare-and-set in the db (execution.claim, .start,
 * .finish, .requeue, .recover) naming this scheduler as the owner, so
 * several schedulers on one database never run the same execution twice
 * and one never records another's.
 *
 * Exit codes (spec scheduler.md 5 and 12.4): 0 Finished; 1 Failed; 2 back
 * to Pending with the attempt counted, until run_max_attempts starts have
 * been made, then Failed with that reason; killed by us (time-out,
 * cancel) or by a signal (seccomp SIGSYS, CPU limit, out of memory):
 * Failed with the reason.  Recovery (12.5): at start every execution this
 * owner left Scheduled goes back to Pending and every one left Running
 * becomes Failed ("the scheduler restarted while it ran"): no run outlives
 * the scheduler (sched_run.c), so none is still going.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sodium.h>

#include "bchan.h"
#include "json.h"
#include "log.h"
#include "sched_stat.h"
#include "scheduler.h"
#include "banned.h"

#define CALL_MS		10000		/* an ordinary db or auth call */
#define FILE_CALL_MS	60000		/* file.get, file.put */
#define STAT_FILE	"scheduler-stat.json"
#define TOKEN_MARGIN_S	300		/* token outlives the time-out */
#define ZERO_UID	"000000000000000000000000"

static struct {
	const struct sched_conf	*c;
	struct bchan		*bc;
	struct run		 runs[SCHED_SLOTS_MAX];
	struct sched_stat	 st;
	int			 wake;
	int64_t			 next_poll;	/* mono ms */
	int			 stopping;
	long long		 pushed[4];	/* last values sent to Stat */
	int			 pushed_ok;
} L;

/* A db/auth call with a JSON request built by g; reply parsed into *out
 * (may be NULL).  Returns the MST_* status; *out set only on MST_OK. */
static int
call(unsigned type, const char *target, yajl_gen g, int fd_in, int ms,
    yajl_val *out, int *fd_out)
{
	const unsigned char	*b;
	size_t			 l, rl = 0;
	char			*reply = NULL, err[128];
	int			 st;

	if (out != NULL)
		*out = NULL;
	(void)yajl_gen_get_buf(g, &b, &l);
	st = bchan_call_fd(L.bc, type, target, b, l, fd_in, ms, &reply, &rl,
	    fd_out);
	if (st == MST_OK && out != NULL &&
	    (*out = json_parse(reply, rl, BCHAN_REPLY_MAX, 64, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s: unreadable answer: %s", msg_type_name(type),
		    err);
		st = MST_INTERNAL;
	} else if (st != MST_OK)
		log_warnx("%s: %s%s%.200s", msg_type_name(type),
		    msg_status_name((unsigned)st), reply != NULL ? ": " : "",
		    reply != NULL ? reply : "");
	free(reply);
	return st;
}

static yajl_gen
req_new(void)
{
	yajl_gen g;

	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	(void)yajl_gen_map_open(g);
	return g;
}

static yajl_gen
req_end(yajl_gen g)
{
	(void)yajl_gen_map_close(g);
	return g;
}

/* execution.finish as this owner; 1 if it matched. */
static int
finish(const char *id, const char *status, const char *logid,
    const char *reason)
{
	yajl_gen	g = req_new();
	yajl_val	v;
	int		ok = 0, b;

	json_gen_kv_str(g, "_id", id);
	json_gen_kv_str(g, "owner", L.c->owner);
	json_gen_kv_str(g, "status", status);
	json_gen_cstr(g, "log");
	if (logid != NULL)
		json_gen_cstr(g, logid);
	else
		(void)yajl_gen_null(g);
	json_gen_cstr(g, "reason");
	if (reason != NULL && reason[0] != '\0')
		json_gen_cstr(g, reason);
	else
		(void)yajl_gen_null(g);
	if (call(MSG_EXEC_FINISH, "db", req_end(g), -1, CALL_MS, &v,
	    NULL) == MST_OK) {
		ok = json_get_bool(v, "ok", &b) == 0 && b;
		yajl_tree_free(v);
	}
	yajl_gen_free(g);
	if (!ok)
		log_warnx("execution %s: could not record %s (no longer ours?)",
		    id, status);
	return ok;
}

/* execution.requeue (exit code 2). */
static int
requeue(const char *id, const char *logid, const char *reason)
{
	yajl_gen	g = req_new();
	yajl_val	v;
	int		ok = 0, b;

	json_gen_kv_str(g, "_id", id);
	json_gen_kv_str(g, "owner", L.c->owner);
	json_gen_cstr(g, "log");
	if (logid != NULL)
		json_gen_cstr(g, logid);
	else
		(void)yajl_gen_null(g);
	json_gen_kv_str(g, "reason", reason);
	if (call(MSG_EXEC_REQUEUE, "db", req_end(g), -1, CALL_MS, &v,
	    NULL) == MST_OK) {
		ok = json_get_bool(v, "ok", &b) == 0 && b;
		yajl_tree_free(v);
	}
	yajl_gen_free(g);
	return ok;
}

/* Push the four Stat counters when they changed (spec 8.3). */
static void
push_stat(void)
{
	static const char *const keys[4] = { "scheduler.runningTasks",
	    "scheduler.scheduledTasks", "scheduler.processedTasks",
	    "scheduler.load" };
	long long	v[4];
	size_t		i;

	v[0] = L.st.running;
	v[1] = L.st.scheduled;
	v[2] = L.st.processed;
	v[3] = L.st.load;
	for (i = 0; i < 4; i++) {
		yajl_gen g;

		if (L.pushed_ok && L.pushed[i] == v[i])
			continue;
		g = req_new();
		json_gen_kv_str(g, "key", keys[i]);
		json_gen_kv_int(g, "value", v[i]);
		(void)call(MSG_STAT_UPDATE, "db", req_end(g), -1, CALL_MS,
		    NULL, NULL);
		yajl_gen_free(g);
		L.pushed[i] = v[i];
	}
	L.pushed_ok = 1;
	if (sched_stat_save(&L.st, STAT_FILE) == -1)
		log_warn("cannot write %s", STAT_FILE);
}

void
sched_loop_init(const struct sched_conf *c, struct bchan *bc)
{
	yajl_gen	g;
	yajl_val	v, p, f;
	size_t		i;

	L.c = c;
	L.bc = bc;
	for (i = 0; i < SCHED_SLOTS_MAX; i++)
		L.runs[i].outfd = L.runs[i].stfd = L.runs[i].logfd = -1;
	L.st.slots = c->run_slots;
	sched_stat_load(&L.st, STAT_FILE);
	L.st.running = L.st.scheduled = 0;
	sched_stat_tick(&L.st, util_wall_ms());
	/* Crash recovery: what we left Scheduled is Pending again, what we
	 * left Running failed (its sandbox died with us). */
	g = req_new();
	json_gen_kv_str(g, "owner", c->owner);
	if (call(MSG_EXEC_RECOVER, "db", req_end(g), -1, CALL_MS, &v,
	    NULL) == MST_OK) {
		p = json_get(v, "pending");
		f = json_get(v, "failed");
		if (p != NULL && YAJL_IS_ARRAY(p) && f != NULL &&
		    YAJL_IS_ARRAY(f))
			log_info("recovery as %s: %zu Scheduled execution(s) "
			    "back to Pending, %zu left Running marked Failed",
			    c->owner, p->u.array.len, f->u.array.len);
		for (i = 0; f != NULL && YAJL_IS_ARRAY(f) &&
		    i < f->u.array.len; i++)
			if (YAJL_IS_STRING(f->u.array.values[i]))
				log_info("execution %s: Failed (the scheduler "
				    "restarted while it ran)",
				    f->u.array.values[i]->u.string);
		yajl_tree_free(v);
	} else
		log_warnx("recovery as %s did not run; executions this "
		    "scheduler left behind stay as they are until the next "
		    "start", c->owner);
	yajl_gen_free(g);
	push_stat();
	L.wake = 1;
	if (c->run_slots == 0)
		log_info("run_slots is 0: this node runs no executions "
		    "(schedulers elsewhere on the same database do)");
	log_info("scheduling as %s: %lld slots, runs limited to %lld s, "
	    "%lld MiB, %lld processes; poll every %lld s", c->owner,
	    c->run_slots, c->run_timeout_s, c->run_mem_mb, c->run_nproc,
	    c->run_poll_s);
}

static struct run *
find_run(const char *id)
{
	size_t i;

	for (i = 0; i < (size_t)L.c->run_slots; i++)
		if (L.runs[i].used && strcmp(L.runs[i].id, id) == 0)
			return &L.runs[i];
	return NULL;
}

static struct run *
free_slot(void)
{
	size_t i;

	if (L.stopping)
		return NULL;
	for (i = 0; i < (size_t)L.c->run_slots; i++)
		if (!L.runs[i].used)
			return &L.runs[i];
	return NULL;
}

/* Stored Attempts: a number or a numeric string; else 0. */
static long long
attempts_of(yajl_val d)
{
	yajl_val	 a = json_get(d, "Attempts");
	uint64_t	 n;

	if (a != NULL && YAJL_IS_INTEGER(a) && YAJL_GET_INTEGER(a) >= 0)
		return YAJL_GET_INTEGER(a);
	if (a != NULL && YAJL_IS_STRING(a) && util_parse_u64(a->u.string,
	    strlen(a->u.string), 0, 1000000, &n) == 0)
		return (long long)n;
	return 0;
}

/* Write the whole buffer as dir/name (new file, mode). */
static int
write_new(int dfd, const char *name, const void *p, size_t len, int mode)
{
	int fd, rc;

	if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, mode)) == -1)
		return -1;
	rc = util_write_all(fd, p, len);
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

/*
 * The workflow's files into the run's directory: the record by
 * WorkflowID and WorkflowVersion, its GridFSID file (files.zip, or a bare
 * .py written as <modulename>.py, spec 12.8).  Also reads the per-workflow
 * time-out ("Timeout", seconds) when the record has one.  0, or -1 with a
 * reason.
 */
static int
fetch_workflow(struct run *r, yajl_val ex, int dfd, char *why, size_t wl)
{
	yajl_gen	 g;
	yajl_val	 wf = NULL, meta = NULL;
	const char	*wid, *mod, *gid;
	char		 mainname[SCHED_MAIN_MAX + 1], *data = NULL;
	size_t		 len;
	long long	 ver, to;
	int		 fd = -1, st, rc = -1;

	wid = json_get_str(ex, "WorkflowID");
	if (wid == NULL || json_get_int(ex, "WorkflowVersion", &ver) == -1) {
		(void)snprintf(why, wl, "the execution names no workflow");
		return -1;
	}
	(void)strlcpy(r->wid, wid, sizeof(r->wid));
	g = req_new();
	json_gen_kv_str(g, "wid", wid);
	json_gen_kv_int(g, "version", ver);
	st = call(MSG_WORKFLOW_GET_VERSION, "db", req_end(g), -1, CALL_MS,
	    &wf, NULL);
	yajl_gen_free(g);
	if (st != MST_OK) {
		(void)snprintf(why, wl, "workflow %.200s version %lld: %s",
		    wid, ver, msg_status_name((unsigned)st));
		return -1;
	}
	mod = json_get_str(wf, "modulename");
	gid = json_get_str(wf, "GridFSID");
	if (mod == NULL || snprintf(mainname, sizeof(mainname), "%s.py",
	    mod) >= (int)sizeof(mainname) || !sched_main_name_ok(mainname)) {
		(void)snprintf(why, wl, "workflow %.200s has no usable "
		    "modulename", wid);
		goto out;
	}
	if (gid == NULL) {
		(void)snprintf(why, wl, "workflow %.200s has no file (GridFSID)",
		    wid);
		goto out;
	}
	if (json_get_int(wf, "Timeout", &to) == 0 && to > 0)
		r->timeout_s = to < 30LL * 86400 ? to : 30LL * 86400;
	g = req_new();
	json_gen_kv_str(g, "_id", gid);
	st = call(MSG_FILE_GET, "db", req_end(g), -1, FILE_CALL_MS, &meta,
	    &fd);
	yajl_gen_free(g);
	if (st != MST_OK || fd == -1) {
		(void)snprintf(why, wl, "the workflow's file %.40s: %s", gid,
		    st != MST_OK ? msg_status_name((unsigned)st) : "no data");
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) == -1 ||
	    util_read_fd(fd, SCHED_UPLOAD_MAX, &data, &len) == -1) {
		(void)snprintf(why, wl, "cannot read the workflow's file");
		goto out;
	}
	if (len >= 4 && memcmp(data, "PK\003\004", 4) == 0) {
		if (sched_zip_extract(data, len, mainname,
		    (uint64_t)L.c->max_bytes, dfd, why, wl) == -1)
			goto out;
	} else if (write_new(dfd, mainname, data, len, 0600) == -1) {
		(void)snprintf(why, wl, "cannot write %s: %s", mainname,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	free(data);
	yajl_tree_free(meta);
	yajl_tree_free(wf);
	return rc;
}

/* A short-lived token for this run only (auth.exec_token). */
static int
make_token(struct run *r, int dfd, char *why, size_t wl)
{
	yajl_gen	 g = req_new();
	yajl_val	 v;
	const char	*tok;
	int		 st, rc = -1;

	json_gen_kv_str(g, "_id", r->id);
	json_gen_kv_str(g, "run", r->runid);
	json_gen_kv_str(g, "uid", ZERO_UID);
	json_gen_kv_int(g, "ttl", r->timeout_s + TOKEN_MARGIN_S);
	st = call(MSG_AUTH_EXEC_TOKEN, "auth", req_end(g), -1, CALL_MS, &v,
	    NULL);
	yajl_gen_free(g);
	if (st != MST_OK) {
		(void)snprintf(why, wl, "no execution token: %s",
		    msg_status_name((unsigned)st));
		return -1;
	}
	if ((tok = json_get_str(v, "access_token")) == NULL ||
	    write_new(dfd, ".token", tok, strlen(tok), 0400) == -1)
		(void)snprintf(why, wl, "cannot store the execution token");
	else {
		sodium_memzero((char *)(uintptr_t)tok, strlen(tok));
		rc = 0;
	}
	yajl_tree_free(v);
	return rc;
}

/* Release a slot: directory, log file, ring, descriptors. */
static void
release(struct run *r)
{
	if (r->outfd != -1)
		(void)close(r->outfd);
	if (r->stfd != -1)
		(void)close(r->stfd);
	if (r->logfd != -1)
		(void)close(r->logfd);
	if (r->dir[0] != '\0' && sched_rm_tree(AT_FDCWD, r->dir) == -1)
		log_warn("cannot remove %s", r->dir);
	if (r->logname[0] != '\0')
		(void)unlink(r->logname);
	sched_ring_free(r);
	memset(r, 0, sizeof(*r));
	r->outfd = r->stfd = r->logfd = -1;
}

/* Start one claimed execution (doc ex) in slot r. */
static void
start_one(struct run *r, yajl_val ex)
{
	yajl_gen	 g;
	yajl_val	 sv = NULL;
	const char	*id = json_get_str(ex, "_id");
	uint8_t		 rnd[16];
	char		 why[SCHED_REASON_MAX], banner[512], iso[40], hex[33];
	int		 dfd = -1, st, cancel = 0, n;

	memset(r, 0, sizeof(*r));
	r->outfd = r->stfd = r->logfd = -1;
	r->used = 1;
	(void)strlcpy(r->id, id, sizeof(r->id));
	randombytes_buf(rnd, sizeof(rnd));
	util_hex(rnd, sizeof(rnd), hex);
	(void)strlcpy(r->runid, hex, sizeof(r->runid));
	(void)snprintf(r->dir, sizeof(r->dir), "run-%s", hex);
	(void)snprintf(r->logname, sizeof(r->logname), "log-%s", hex);
	r->timeout_s = L.c->run_timeout_s;
	if (json_get_bool(ex, "CancelRequested", &cancel) == 0 && cancel) {
		(void)finish(r->id, "Failed", NULL, "cancelled before it "
		    "started");
		goto fail_quiet;
	}
	if (mkdirat(AT_FDCWD, r->dir, 0700) == -1 ||
	    (dfd = openat(AT_FDCWD, r->dir, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1 || mkdirat(dfd, "tmp", 0700) == -1) {
		(void)snprintf(why, sizeof(why), "cannot make a work "
		    "directory: %s", strerror(errno));
		goto fail;
	}
	if (fetch_workflow(r, ex, dfd, why, sizeof(why)) == -1)
		goto fail;
	r->cpu_s = L.c->run_cpu_s < r->timeout_s ? L.c->run_cpu_s :
	    r->timeout_s;
	if (make_token(r, dfd, why, sizeof(why)) == -1)
		goto fail;
	if ((r->logfd = open(r->logname, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		(void)snprintf(why, sizeof(why), "cannot make the log file: "
		    "%s", strerror(errno));
		goto fail;
	}
	/* Scheduled -> Running, Attempts + 1, RunId: only if still ours. */
	g = req_new();
	json_gen_kv_str(g, "_id", r->id);
	json_gen_kv_str(g, "owner", L.c->owner);
	json_gen_kv_str(g, "run", r->runid);
	st = call(MSG_EXEC_START, "db", req_end(g), -1, CALL_MS, &sv, NULL);
	yajl_gen_free(g);
	if (st != MST_OK) {
		log_warnx("execution %s: not started (%s)", r->id,
		    msg_status_name((unsigned)st));
		goto fail_quiet;
	}
	r->attempts = attempts_of(sv);
	yajl_tree_free(sv);
	sv = NULL;
	r->started_wall = util_wall_ms();
	r->started_ms = util_mono_ms();
	r->deadline = r->started_ms + r->timeout_s * 1000;
	util_iso_time(r->started_wall, iso, sizeof(iso));
	n = snprintf(banner, sizeof(banner), "=== %s: execution %s, workflow "
	    "%s, attempt %lld, run %s, limits %lld s, %lld MiB\n", iso,
	    r->id, r->wid, r->attempts, r->runid, r->timeout_s,
	    L.c->run_mem_mb);
	if (n > 0 && util_write_all(r->logfd, banner, (size_t)n) == 0)
		r->logbytes += (uint64_t)n;
	if (sched_run_start(L.c, r, why, sizeof(why)) == -1) {
		log_warnx("execution %s: %s", r->id, why);
		(void)finish(r->id, "Failed", NULL, why);
		sched_stat_running(&L.st, util_wall_ms(), r->id, r->wid);
		sched_stat_finished(&L.st, util_wall_ms(), r->id, 0);
		goto fail_quiet;
	}
	(void)close(dfd);
	sched_stat_running(&L.st, util_wall_ms(), r->id, r->wid);
	log_info("execution %s: running (workflow %s, attempt %lld, pid %ld)",
	    r->id, r->wid, r->attempts, (long)r->pid);
	return;
fail:
	log_warnx("execution %s: Failed before it ran: %s", r->id, why);
	(void)finish(r->id, "Failed", NULL, why);
fail_quiet:
	if (dfd != -1)
		(void)close(dfd);
	yajl_tree_free(sv);
	release(r);
}

/* Claim into free slots while there is Pending work. */
static void
fill_slots(void)
{
	struct run	*r;
	yajl_gen	 g;
	yajl_val	 ex;
	int		 st;
	long long	 a;

	while ((r = free_slot()) != NULL) {
		g = req_new();
		json_gen_kv_str(g, "owner", L.c->owner);
		st = call(MSG_EXEC_CLAIM, "db", req_end(g), -1, CALL_MS, &ex,
		    NULL);
		yajl_gen_free(g);
		if (st != MST_OK)
			break;		/* not-found: nothing Pending */
		if (!util_hex24(json_get_str(ex, "_id"))) {
			log_warnx("execution.claim: answer without an id");
			yajl_tree_free(ex);
			break;
		}
		/* Given up on: as many starts as allowed were made. */
		if ((a = attempts_of(ex)) >= L.c->run_max_attempts) {
			char why[160];

			(void)snprintf(why, sizeof(why), "gave up after %lld "
			    "attempts (run_max_attempts)", a);
			log_info("execution %s: %s", json_get_str(ex, "_id"),
			    why);
			(void)finish(json_get_str(ex, "_id"), "Failed", NULL,
			    why);
			yajl_tree_free(ex);
			continue;
		}
		start_one(r, ex);
		yajl_tree_free(ex);
	}
}

/* How many are Pending (the "scheduled" statistic of spec 8.1). */
static void
count_pending(void)
{
	yajl_gen	g = req_new();
	yajl_val	v;
	long long	n;

	if (call(MSG_EXEC_COUNT, "db", req_end(g), -1, CALL_MS, &v, NULL) ==
	    MST_OK) {
		if (json_get_int(v, "pendingExecutions", &n) == 0)
			sched_stat_scheduled(&L.st, util_wall_ms(), n);
		yajl_tree_free(v);
	}
	yajl_gen_free(g);
}

/* Ask the db whether another node (or the api) asked to cancel ours. */
static void
check_cancels(void)
{
	size_t		i;
	yajl_gen	g;
	yajl_val	v;
	int		b;

	for (i = 0; i < (size_t)L.c->run_slots; i++) {
		struct run *r = &L.runs[i];

		if (!r->used || r->killed)
			continue;
		g = req_new();
		json_gen_kv_str(g, "_id", r->id);
		if (call(MSG_EXEC_GET, "db", req_end(g), -1, CALL_MS, &v,
		    NULL) == MST_OK) {
			const char *s = json_get_str(v, "Status");

			if (json_get_bool(v, "CancelRequested", &b) == 0 && b)
				sched_run_kill(r, "cancelled by a user");
			else if (s != NULL && strcmp(s, "Running") != 0)
				sched_run_kill(r, "the execution left Running "
				    "while it ran");
			yajl_tree_free(v);
		}
		yajl_gen_free(g);
	}
}

/* The log file into the db; its file id in out (or "" on failure). */
static void
store_log(struct run *r, char *out, size_t outlen)
{
	yajl_gen	 g;
	yajl_val	 v;
	char		*data = NULL;
	size_t		 len;
	int		 fd, mfd;

	out[0] = '\0';
	if ((fd = open(r->logname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if (util_read_fd(fd, (size_t)L.c->run_log_max + 65536, &data,
	    &len) == -1) {
		(void)close(fd);
		return;
	}
	(void)close(fd);
	mfd = util_sealed_memfd("workflow.log", data, len);
	free(data);
	if (mfd == -1)
		return;
	g = req_new();
	json_gen_kv_str(g, "filename", "workflow.log");
	json_gen_kv_str(g, "content_type", "text/plain");
	if (call(MSG_FILE_PUT, "db", req_end(g), mfd, FILE_CALL_MS, &v,
	    NULL) == MST_OK) {
		const char *id = json_get_str(v, "_id");

		if (id != NULL)
			(void)strlcpy(out, id, outlen);
		yajl_tree_free(v);
	}
	yajl_gen_free(g);
	(void)close(mfd);
}

/* Why a run that did not exit 0, 1 or 2 ended, in words. */
static void
describe(const struct run *r, char *out, size_t len)
{
	int s;

	if (r->killed) {
		(void)strlcpy(out, r->reason, len);
		return;
	}
	if (!r->have_status) {
		(void)snprintf(out, len, "the sandbox ended without a status "
		    "(pid 1 wait status %d)", r->initstatus);
		return;
	}
	if (WIFSIGNALED(r->wstatus)) {
		s = WTERMSIG(r->wstatus);
		if (s == SIGSYS)
			(void)snprintf(out, len, "killed by signal %d "
			    "(SIGSYS): a forbidden system call (seccomp)", s);
		else if (s == SIGXCPU)
			(void)snprintf(out, len, "killed by signal %d: CPU time "
			    "limit of %lld s", s, r->cpu_s);
		else if (s == SIGKILL)
			(void)snprintf(out, len, "killed by signal %d "
			    "(SIGKILL): out of memory or past the CPU time "
			    "limit of %lld s", s, r->cpu_s);
		else
			(void)snprintf(out, len, "killed by signal %d (%s)", s,
			    strsignal(s));
		return;
	}
	(void)snprintf(out, len, "exit code %d", WEXITSTATUS(r->wstatus));
}

/* A run ended: footer, log into the db, status, statistics. */
static void
conclude(struct run *r)
{
	char		 reason[SCHED_REASON_MAX], logid[32], foot[1024];
	char		 iso[40], last[300];
	int64_t		 secs;
	int		 code = -1, n, ok = 0;

	if (!r->killed && r->have_status && WIFEXITED(r->wstatus))
		code = WEXITSTATUS(r->wstatus);
	(void)strlcpy(last, sched_ring_last(r), sizeof(last));
	reason[0] = '\0';
	if (code == 1) {
		/* The workflow's own last word, e.g. MemoryError. */
		if (strstr(last, "MemoryError") != NULL)
			(void)snprintf(reason, sizeof(reason), "out of memory "
			    "(run_mem_mb %lld): %s", L.c->run_mem_mb, last);
		else
			(void)snprintf(reason, sizeof(reason), "the workflow "
			    "failed (exit code 1): %s", last);
	} else if (code == 2)
		(void)snprintf(reason, sizeof(reason), "the workflow asked "
		    "to run again later (exit code 2): %s", last);
	else if (code != 0)
		describe(r, reason, sizeof(reason));
	secs = (util_mono_ms() - r->started_ms) / 1000;
	util_iso_time(util_wall_ms(), iso, sizeof(iso));
	n = snprintf(foot, sizeof(foot), "\n=== %s: finished after "
	    "%lld:%02lld:%02lld, %s%s%s\n", iso, (long long)(secs / 3600),
	    (long long)(secs / 60 % 60), (long long)(secs % 60),
	    code == 0 ? "SUCCESS" : "ERROR", reason[0] != '\0' ? ": " : "",
	    reason);
	if (r->logfd != -1 && n > 0 &&
	    util_write_all(r->logfd, foot, (size_t)n < sizeof(foot) ?
	    (size_t)n : sizeof(foot) - 1) == -1)
		log_warn("log of %s", r->id);
	if (r->logfd != -1) {
		(void)close(r->logfd);
		r->logfd = -1;
	}
	store_log(r, logid, sizeof(logid));
	if (code == 0)
		ok = finish(r->id, "Finished", logid[0] ? logid : NULL, NULL);
	else if (code == 2 && r->attempts < L.c->run_max_attempts)
		(void)requeue(r->id, logid[0] ? logid : NULL, reason);
	else {
		if (code == 2) {
			size_t l = strlen(reason);

			(void)snprintf(reason + l, sizeof(reason) - l, "; gave "
			    "up after %lld attempts", r->attempts);
		}
		(void)finish(r->id, "Failed", logid[0] ? logid : NULL, reason);
	}
	sched_stat_finished(&L.st, util_wall_ms(), r->id, code == 0 && ok);
	log_info("execution %s: %s after %lld s%s%s", r->id, code == 0 ?
	    "Finished" : code == 2 && r->attempts < L.c->run_max_attempts ?
	    "back to Pending" : "Failed", (long long)secs,
	    reason[0] ? ": " : "", reason);
	release(r);
}

void
sched_loop_wake(void)
{
	L.wake = 1;
}

int
sched_loop_cancel(const char *id)
{
	struct run *r = find_run(id);

	if (r == NULL)
		return 0;
	sched_run_kill(r, "cancelled by a user");
	return 1;
}

int
sched_loop_livelog(const char *id, long long n, yajl_gen g)
{
	const struct run	*r = find_run(id);
	size_t			 i, from;

	if (r == NULL)
		return -1;
	from = n <= 0 || (size_t)n >= r->ring_n ? 0 : r->ring_n - (size_t)n;
	(void)yajl_gen_array_open(g);
	for (i = from; i < r->ring_n; i++)
		json_gen_cstr(g, r->ring[(r->ring_head + i) % SCHED_RING]);
	(void)yajl_gen_array_close(g);
	return 0;
}

void
sched_loop_stats(yajl_gen g)
{
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "owner", L.c->owner);
	json_gen_cstr(g, "stats");
	sched_stat_gen_old(&L.st, g);
	json_gen_cstr(g, "raw");
	sched_stat_gen_raw(&L.st, g);
	(void)yajl_gen_map_close(g);
}

int
sched_loop_fds(struct pollfd *pfd, struct run **who, int max, int *timeout)
{
	int64_t	now = util_mono_ms(), left;
	size_t	i;
	int	n = 0;

	for (i = 0; i < (size_t)L.c->run_slots; i++) {
		struct run *r = &L.runs[i];

		if (!r->used)
			continue;
		if (r->outfd != -1 && n < max) {
			pfd[n].fd = r->outfd;
			pfd[n].events = POLLIN;
			who[n++] = r;
		}
		if (r->stfd != -1 && n < max) {
			pfd[n].fd = r->stfd;
			pfd[n].events = POLLIN;
			who[n++] = r;
		}
		left = r->killed ? 20 : r->deadline - now;
		if (left < 0)
			left = 0;
		if (left < *timeout)
			*timeout = (int)left;
		/* PID 1 gone but not reaped yet: look again soon. */
		if ((r->outfd == -1 || r->stfd == -1) && *timeout > 20)
			*timeout = 20;
	}
	left = L.next_poll - now;
	if (left < 0 || L.wake)
		left = 0;
	if (left < *timeout)
		*timeout = (int)left;
	return n;
}

void
sched_loop_read(struct run *r, int fd)
{
	sched_run_read(L.c, r, fd);
}

void
sched_loop_step(void)
{
	int64_t	now = util_mono_ms();
	size_t	i;
	int	changed = 0, polled = 0;

	for (i = 0; i < (size_t)L.c->run_slots; i++) {
		struct run *r = &L.runs[i];
		char why[160];

		if (!r->used)
			continue;
		if (!r->killed && now >= r->deadline) {
			(void)snprintf(why, sizeof(why), "timed out after %lld "
			    "s (run_timeout_s or the workflow's Timeout)",
			    r->timeout_s);
			sched_run_kill(r, why);
		}
		if (sched_run_done(r)) {
			conclude(r);
			changed = 1;
			L.wake = 1;	/* a slot is free */
		}
	}
	if (now >= L.next_poll) {
		L.next_poll = now + L.c->run_poll_s * 1000;
		L.wake = 1;
		polled = 1;
		check_cancels();
	}
	if (L.wake && !L.stopping) {
		L.wake = 0;
		fill_slots();
		count_pending();
		changed = 1;
	}
	if (changed || polled) {
		sched_stat_tick(&L.st, util_wall_ms());
		push_stat();
	}
}

void
sched_loop_stop(void)
{
	size_t	i;
	int	left;

	L.stopping = 1;
	for (i = 0; i < (size_t)L.c->run_slots; i++)
		if (L.runs[i].used)
			sched_run_kill(&L.runs[i], "the scheduler was stopped "
			    "while it ran");
	do {
		left = 0;
		for (i = 0; i < (size_t)L.c->run_slots; i++) {
			struct run *r = &L.runs[i];

			if (!r->used)
				continue;
			if (r->outfd != -1)
				sched_run_read(L.c, r, r->outfd);
			if (sched_run_done(r))
				conclude(r);
			else
				left = 1;
		}
		if (left)
			(void)usleep(10000);
	} while (left);
	L.st.running = L.st.scheduled = 0;
	push_stat();
}
