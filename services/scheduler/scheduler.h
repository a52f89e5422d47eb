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

/* sched_inspect.c */
struct sched_conf {
	char		 python[256];
	long long	 cpu_s, mem_mb, timeout_s, max_bytes;
	char		 jail[4096];	/* absolute, our cwd */
	size_t		 nro;
	char		 ro[SANDBOX_MAX_RO][SANDBOX_RO_LEN];
};

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

/* Remove leftovers of earlier runs (inspect-* in the cwd). */
void	sched_cleanup_all(void);
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

/* inspect_script.c: services/scheduler/inspect_workflow.py, NUL-ended. */
extern const char sched_inspect_py[];

#endif /* SCHEDULER_H */
