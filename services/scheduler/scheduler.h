/*
 * scheduler.h - the scheduler service (services/scheduler/).  Today its one
 * real job is sched.inspect: read the metadata of an uploaded workflow by
 * running the Python inspector on it in a throw-away sandbox (README.md).
 *
 * Trust: every byte of an upload and everything the inspector prints is
 * hostile.  sched_zip.c checks and unpacks the archive, sched_meta.c
 * re-checks and rebuilds the inspector's answer, sched_inspect.c starts
 * and bounds the child.
 */
#ifndef SCHEDULER_H
#define SCHEDULER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl_gen.h>

#include "msg.h"
#include "sandbox.h"
#include "util.h"

#define SCHED_MAIN_MAX		128	/* main module file name */
#define SCHED_ENTRY_MAX		255	/* any file name in the upload */
#define SCHED_ZIP_MAX_ENTRIES	1000
#define SCHED_UPLOAD_MAX	(1024ULL * 1024 * 1024)	/* files.zip itself */
#define SCHED_OUT_MAX		(1024 * 1024)	/* inspector's stdout */
#define SCHED_ERR_KEEP		4096		/* tail of its stderr */
#define SCHED_MAX_CHILDREN	4		/* inspections at once */
#define SCHED_WID_MAX		256
#define SCHED_ITEMS_MAX		1000	/* Inputs, Outputs, Models, ... */
#define SCHED_DESC_MAX		65536

/* sched_zip.c */
/* 1 if name is [A-Za-z_][A-Za-z0-9_]*\.py of at most SCHED_MAIN_MAX. */
int	sched_main_name_ok(const char *name);
/* 1 if the len bytes are a flat file name: 1..SCHED_ENTRY_MAX bytes, no
 * '/', '\\', "..", NUL or control character, not "." */
int	sched_entry_name_ok(const char *name, size_t len);
/*
 * Check the ZIP archive in (data, len): at most SCHED_ZIP_MAX_ENTRIES
 * entries, each a regular, unencrypted file with a good, unique name,
 * mainname among them, and at most max_total bytes once unpacked (counted
 * while inflating, not taken from the headers).  With dirfd >= 0 the files
 * are written there (O_EXCL|O_NOFOLLOW, mode 0600); with -1 they are only
 * inflated and counted.  0, or -1 with a one-line reason in err.
 */
int	sched_zip_extract(const void *data, size_t len, const char *mainname,
	    uint64_t max_total, int dirfd, char *err, size_t errlen) WUR;

/* sched_meta.c */
/*
 * The inspector's stdout (len bytes) for module modname -> the reply
 * {"wid", "Description", "classname", "modulename", "IOCard": {"Inputs",
 * "Outputs"}, "Models", "EDMMapping"} written to g.  0; -1 with
 * *incomplete = 1 when ID, Inputs or Outputs are missing; -1 with
 * *incomplete = 0 and a one-line reason in err for anything malformed.
 */
int	sched_meta_build(const char *out, size_t len, const char *modname,
	    yajl_gen g, int *incomplete, char *err, size_t errlen) WUR;

#define SCHED_PATH_MAX		4096
#define SCHED_SLOTS_MAX		64
#define SCHED_RING		1000	/* live-log lines kept per run */
#define SCHED_LINE_MAX		4096	/* a longer line is split */
#define SCHED_REASON_MAX	512

/* sched_inspect.c */
struct sched_conf {
	char		 python[256];
	long long	 cpu_s, mem_mb, timeout_s, max_bytes;
	char		 jail[SCHED_PATH_MAX];	/* absolute, our cwd */
	size_t		 nro;
	char		 ro[SANDBOX_MAX_RO][SANDBOX_RO_LEN];
	/* The scheduling loop. */
	long long	 run_slots, run_timeout_s, run_cpu_s, run_mem_mb;
	long long	 run_nproc, run_fsize_mb, run_nofile, run_log_max;
	long long	 run_max_attempts, run_poll_s;
	char		 runner_dir[SCHED_PATH_MAX + 16];	/* <jail>/runner */
	char		 owner[65];
	char		 api_url[320];
	char		 ns[160];
	uint8_t		*runner_bpf;
	size_t		 runner_bpflen;
	size_t		 nconnect;
	uint16_t	 connect[SANDBOX_LL_MAX_PORTS];
};

/* One execution being run (sched_run.c, sched_loop.c). */
struct run {
	int		 used;
	char		 id[25];		/* execution */
	char		 runid[33];		/* this attempt */
	char		 wid[SCHED_WID_MAX + 1];
	char		 dir[48];		/* run-<runid>, under the jail */
	char		 logname[48];		/* log-<runid>, under the jail */
	long long	 cpu_s, timeout_s;
	long long	 attempts;		/* after this start */
	pid_t		 pid;			/* PID 1 of its namespace */
	int		 outfd, stfd, logfd;	/* -1 when closed */
	uint64_t	 logbytes;
	int		 log_over;
	char		*ring[SCHED_RING];
	size_t		 ring_head, ring_n;
	char		 part[SCHED_LINE_MAX];
	size_t		 partlen;
	int64_t		 started_ms, deadline;	/* monotonic */
	int64_t		 started_wall;		/* seconds */
	int		 killed;		/* by us: reason says why */
	char		 reason[SCHED_REASON_MAX];
	int		 have_status, wstatus;	/* the runner's */
	int		 reaped, initstatus;
};

/* sched_run.c */
int	sched_run_start(const struct sched_conf *, struct run *, char *err,
	    size_t errlen) WUR;
void	sched_run_read(const struct sched_conf *, struct run *, int fd);
void	sched_run_kill(struct run *, const char *reason);
/* 1 once PID 1 is reaped and both pipes are closed. */
int	sched_run_done(struct run *);
void	sched_ring_push(struct run *, const char *, size_t);
void	sched_ring_free(struct run *);
const char *sched_ring_last(const struct run *);

struct inspection {
	int		 used;
	struct msg_hdr	 req;		/* to answer */
	char		 main[SCHED_MAIN_MAX + 1];
	char		 dir[64];	/* under the jail */
	pid_t		 pid;
	int		 outfd, errfd;	/* -1 once at EOF */
	char		*out;
	size_t		 outlen;
	int		 out_over;
	char		 errbuf[SCHED_ERR_KEEP * 2];
	size_t		 errlen;
	int64_t		 deadline;	/* mono ms */
	int		 timed_out;
	int		 status;	/* wait status, once reaped */
	int		 reaped;
};

/* Remove leftovers of earlier runs (inspect-*, run-*, log-* in the cwd). */
void	sched_cleanup_all(void);
/* Remove name (in dfd) and what is in it (at most 64 levels deep). */
int	sched_rm_tree(int dfd, const char *name);
/*
 * Unpack the upload (memfd) for mainname and start the inspector.  0 with
 * the child running (ins filled); -1 with a one-line reason in err (bad
 * upload: *bad = 1; our own failure: *bad = 0).
 */
int	sched_inspect_start(const struct sched_conf *, struct inspection *,
	    int memfd, const char *mainname, int *bad, char *err,
	    size_t errlen) WUR;
/* Read what the child wrote (fd became readable). */
void	sched_inspect_read(struct inspection *, int fd);
/* Kill the child's process group (time-out). */
void	sched_inspect_kill(struct inspection *);
/* 1 once both pipes are at EOF and the child is reaped. */
int	sched_inspect_done(struct inspection *);
/*
 * Build the answer into g (on success) or the "detail" text; removes the
 * directory and frees everything.  Returns the reply status (MST_OK or
 * MST_BADREQ).
 */
int	sched_inspect_finish(const struct sched_conf *, struct inspection *,
	    yajl_gen g, char *detail, size_t detaillen);

/* sched_loop.c */
struct bchan;
struct pollfd;
/* Load statistics, recover what this owner left behind. */
void	sched_loop_init(const struct sched_conf *, struct bchan *);
/* The runs' descriptors into pfd/who (at most max); lowers *timeout to
 * the next deadline or poll.  Returns how many were added. */
int	sched_loop_fds(struct pollfd *, struct run **who, int max,
	    int *timeout);
void	sched_loop_read(struct run *, int fd);
/* Deadlines, ended runs, claims; call after every poll. */
void	sched_loop_step(void);
void	sched_loop_wake(void);
/* 1 if it ran here (and is being killed), 0 if not ours. */
int	sched_loop_cancel(const char *id);
/* The last n lines (all if n <= 0) as a JSON array; -1 if not ours. */
int	sched_loop_livelog(const char *id, long long n, yajl_gen);
/* {"owner", "stats": old format, "raw": SchedulerStat}. */
void	sched_loop_stats(yajl_gen);
/* Kill every run, record them, write statistics. */
void	sched_loop_stop(void);

/* inspect_script.c: services/scheduler/inspect_workflow.py,
 * runner/mupif_runner.py and runner/mupif_standin.py, NUL-ended. */
extern const char sched_inspect_py[];
extern const char sched_runner_py[];
extern const char sched_standin_py[];
/* Where the scheduler writes the runner, read-only, under its directory. */
#define SCHED_RUNNER_DIR	"runner"
/* Write the runner files there (at start, after the jail). */
void	sched_install_runner(void);

#endif /* SCHEDULER_H */
