/*
 * launcher.h - the parent process (mupif-central) and its subcommands.
 *
 * Trust: the only process that starts with privilege.  It reads the
 * configuration and the policies, creates the persistent layout, binds the
 * listening sockets, creates one socketpair per service and fork+execs each
 * service with its confinement.  After that it only supervises (restarts,
 * logs, stop); it never sees request data.
 */
#ifndef LAUNCHER_H
#define LAUNCHER_H

#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "profile.h"
#include "scpolicy.h"

/* Options common to every subcommand. */
struct opts {
	const char	*config;	/* --config FILE */
	const char	*persistent;	/* --persistent DIR */
	int		 json;		/* --json (status, audit show) */
	int		 admin;		/* --admin (user add) */
	const char	*topology;	/* --topology FILE (vpn) */
	const char	*netns;		/* --netns NAME (vpn reload) */
};

enum svc_state { ST_STOPPED, ST_WAITING, ST_RUNNING, ST_FAILED };

struct logsink {
	char		 path[4200];
	int		 fd;
	uint64_t	 size;
	char		 pending[2048];	/* partial line from the pipe */
	size_t		 plen;
};

struct service {
	const char	*name;
	int		 id;			/* enum svc_id */
	struct profile	 prof;
	uid_t		 uid;
	gid_t		 gid;
	char		 exe[4200];
	char		 jail[4200];
	uint8_t		*bpf;			/* compiled allowlist */
	size_t		 bpflen;
	int		 listen_fd;		/* -1 if none */
	/* run time */
	enum svc_state	 state;
	pid_t		 pid;
	int64_t		 started;		/* wall ms */
	int64_t		 started_mono;
	int64_t		 next_start;		/* mono ms, when WAITING */
	unsigned	 restarts;
	unsigned	 consecutive;
	int64_t		 recent[1000];		/* mono ms of recent restarts */
	size_t		 nrecent;
	char		 last_exit[64];
	int		 collateral;		/* killed because the broker died */
	int		 logpipe;		/* read end, -1 if none */
	struct logsink	 log;
};

/* main.c */
int	 load_conf(const struct opts *, struct conf *, int quiet);
int	 persistent_path(const struct conf *, const char *sub, char *out,
	    size_t len);

/* run.c */
int	 cmd_run(const struct opts *, int argc, char **argv);
int	 cmd_policy(const struct opts *, int argc, char **argv);
int	 cmd_db(const struct opts *, int argc, char **argv);
int	 cmd_user(const struct opts *, int argc, char **argv);

/* spawn.c: fork and exec one service; returns its pid or -1.  in and
 * out (-1: /dev/null and logw) become its fds 0 and 1. */
pid_t	 spawn_service(struct service *, int chan, const char *startdoc,
	    size_t startlen, const uint8_t *coarse, size_t coarselen,
	    int logw, int privileged, int in, int out);

/* logs.c */
int	 logsink_open(struct logsink *, const char *path);
void	 logsink_line(struct logsink *, const char *who, const char *line,
	    size_t len, uint64_t maxbytes, unsigned keep, int echo);
void	 logsink_feed(struct logsink *, const char *who, const char *buf,
	    size_t len, uint64_t maxbytes, unsigned keep, int echo);
void	 logsink_close(struct logsink *);

/* status.c */
int	 cmd_status(const struct opts *, int argc, char **argv);
void	 status_write(const char *path, pid_t launcher, int64_t started,
	    const struct service *, size_t n);

/* checkpoint.c: signed checkpoints of the audit log (audit.h). */
struct ckpt_state {
	uint64_t	 last_seq;	/* last record signed */
	uint64_t	 back_seq;	/* head last reported as gone back */
	int		 created;	/* the key was made by ckpt_setup */
};
/* Make or check the key, write the public key, find the last checkpoint:
 * 0, or -1 with one line in err. */
int	 ckpt_setup(const struct conf *, struct ckpt_state *, char *err,
	    size_t errlen);
/* Sign the audit log's head if it advanced: 1 done, 0 nothing new, -1 not
 * possible; msg says what happened (never key material). */
int	 ckpt_take(const struct conf *, struct ckpt_state *, char *msg,
	    size_t msglen);

/* audit_cmd.c */
int	 cmd_audit(const struct opts *, int argc, char **argv);

/* vpn_cmd.c: vpn keys, vpn reload */
int	 cmd_vpn(const struct opts *, int argc, char **argv);

/* vpn_relay.c: fork the get-only relay that alone holds the connected
 * UAPI socket (it first wipes its copy of wipe, wipelen bytes); returns
 * its pid, or -1, and in *svc the vpn service's end of the socketpair. */
pid_t	 vpn_relay_start(int uapi, int *svc, uid_t uid, gid_t gid,
	    int privileged, int64_t timeout_ms, void *wipe, size_t wipelen);

#endif /* LAUNCHER_H */
