/*
 * sched_run.c - one workflow run in its own sandbox: start it, collect its
 * output into the log file and the live-log ring, kill it, learn how it
 * ended.  The scheduling decisions (claim, record, statistics) are in
 * sched_loop.c.
 *
 * Trust: the run executes uploaded code.  The scheduler clones a process
 * into new user, PID, IPC, UTS and mount namespaces (no mapping: outside
 * it is still mupif-sched, inside it is nobody and holds no capability
 * after exec).  That process is PID 1 of the run: it forks the runner,
 * reaps every process of the namespace, and when the runner ends kills
 * what is left (kill(-1) from PID 1 reaches the whole namespace) and
 * reports the runner's wait status on a pipe.  PR_SET_PDEATHSIG kills it
 * when the scheduler dies, and with it the namespace: no run outlives the
 * scheduler, which crash recovery relies on (sched_loop.c).
 *
 * The runner, before exec: default signals, stdin /dev/null, stdout and
 * stderr one pipe (read here, capped by run_log_max), nothing else open;
 * cwd its work directory; rlimits (CPU, address space, processes of its
 * own namespace, file size, descriptors, no core); every capability and
 * the bounding set dropped; a Landlock layer of its own (read-only system
 * paths and the runner, read-write only its work directory and /dev/null,
 * TCP connect only to the configured ports, bind only an ephemeral port,
 * signals and abstract sockets scoped); the runner seccomp deny list
 * stacked on the scheduler's allowlist; an environment built from
 * scratch.  The wall-clock limit is enforced here by SIGKILL to PID 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "scheduler.h"
#include "banned.h"

#define RUN_NS_FLAGS	(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC | \
			 CLONE_NEWUTS | CLONE_NEWNS)

/* Write a line to fd 2 of the child (best effort) and leave. */
static void __attribute__((noreturn))
child_die(const char *what, int err)
{
	char	msg[512];
	int	n;

	n = snprintf(msg, sizeof(msg), "mupif-scheduler: cannot start the "
	    "run: %s: %s\n", what, strerror(err));
	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n :
		    sizeof(msg) - 1);
	_exit(127);
}

/* Set a limit, never above the scheduler's own hard limit (which only
 * root could raise). */
static void
set_limit(int res, rlim_t v, const char *what)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    v > rl.rlim_max)
		v = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(res, &rl) == -1)
		child_die(what, errno);
}

/* Drop every capability of the (new) user namespace, for good. */
static void
drop_caps(void)
{
	struct __user_cap_header_struct	 h;
	struct __user_cap_data_struct	 d[2];
	int				 i;

	for (i = 0; i <= 63; i++)
		if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) == -1 &&
		    errno != EINVAL)
			child_die("PR_CAPBSET_DROP", errno);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capset, &h, d) == -1)
		child_die("capset", errno);
}

/* The runner process: confine, then exec Python.  Never returns. */
static void __attribute__((noreturn))
runner(const struct sched_conf *c, const struct run *r, int outw)
{
	struct sandbox_ll	 l;
	struct sock_fprog	 prog;
	char			 dir[SCHED_PATH_MAX], home[SCHED_PATH_MAX + 8];
	char			 tmp[SCHED_PATH_MAX + 16];
	char			 tok[SCHED_PATH_MAX + 32];
	char			 script[SCHED_PATH_MAX + 64];
	char			 standin[SCHED_PATH_MAX + 64];
	char			 url[360], ns[200], err[512];
	char			*argv[8], *envp[14];
	int			 s, fd;
	sigset_t		 none;

	for (s = 1; s < NSIG; s++)
		(void)signal(s, SIG_DFL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)setsid();
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    dup2(fd, 0) == -1 || dup2(outw, 1) == -1 || dup2(outw, 2) == -1)
		_exit(127);
	(void)close_range(3, ~0U, 0);
	if (snprintf(dir, sizeof(dir), "%s/%s", c->jail, r->dir) >=
	    (int)sizeof(dir) || chdir(dir) == -1)
		child_die("the work directory", errno != 0 ? errno : ENAMETOOLONG);
	memset(&l, 0, sizeof(l));
	l.ro = (const char (*)[SANDBOX_RO_LEN])c->ro;
	l.nro = c->nro;
	l.rw[0] = dir;
	l.rw_mode[0] = SANDBOX_LL_TREE;
	l.rw[1] = "/dev/null";
	l.rw_mode[1] = SANDBOX_LL_RW_FILE;
	l.rw[2] = c->runner_dir;
	l.rw_mode[2] = SANDBOX_LL_RO;
	l.nrw = 3;
	l.connect = c->connect;
	l.nconnect = c->nconnect;
	l.bind_ephemeral = 1;
	if (sandbox_landlock_ex(&l, err, sizeof(err)) == -1) {
		errno = EPERM;
		child_die(err, EPERM);
	}
	{
		struct rlimit rl;

		/* SIGXCPU at the limit, SIGKILL a second later. */
		rl.rlim_cur = (rlim_t)r->cpu_s;
		rl.rlim_max = (rlim_t)r->cpu_s + 1;
		if (setrlimit(RLIMIT_CPU, &rl) == -1)
			child_die("RLIMIT_CPU", errno);
	}
	set_limit(RLIMIT_FSIZE, (rlim_t)c->run_fsize_mb * 1024 * 1024,
	    "RLIMIT_FSIZE");
	set_limit(RLIMIT_NOFILE, (rlim_t)c->run_nofile, "RLIMIT_NOFILE");
	set_limit(RLIMIT_NPROC, (rlim_t)c->run_nproc, "RLIMIT_NPROC");
	set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE");
	drop_caps();
	(void)snprintf(home, sizeof(home), "HOME=%s", dir);
	(void)snprintf(tmp, sizeof(tmp), "TMPDIR=%s/tmp", dir);
	(void)snprintf(tok, sizeof(tok), "API_TOKEN_FILE=%s/.token", dir);
	(void)snprintf(script, sizeof(script), "%s/mupif_runner.py",
	    c->runner_dir);
	(void)snprintf(standin, sizeof(standin),
	    "MUPIF_RUNNER_STANDIN=%s/mupif_standin.py", c->runner_dir);
	(void)snprintf(url, sizeof(url), "MUPIFDB_REST_SERVER=%s", c->api_url);
	(void)snprintf(ns, sizeof(ns), "MUPIF_NS=%s", c->ns);
	argv[0] = (char *)"python3";
	argv[1] = (char *)"-I";		/* no PYTHON* variables, no user site */
	argv[2] = (char *)"-S";		/* the runner adds site-packages */
	argv[3] = (char *)"-B";		/* no .pyc files */
	argv[4] = script;
	argv[5] = (char *)"-eid";
	argv[6] = (char *)r->id;
	argv[7] = NULL;
	envp[0] = (char *)"PATH=/usr/bin:/bin";
	envp[1] = (char *)"LANG=C.UTF-8";
	envp[2] = (char *)"TZ=UTC0";
	envp[3] = home;
	envp[4] = tmp;
	envp[5] = tok;
	envp[6] = url;
	envp[7] = ns;
	envp[8] = standin;
	envp[9] = (char *)"PYTHONUNBUFFERED=1";
	envp[10] = (char *)"PYTHONDONTWRITEBYTECODE=1";
	envp[11] = NULL;
	/* The deny list on top of the scheduler's allowlist. */
	prog.len = (unsigned short)(c->runner_bpflen /
	    sizeof(struct sock_filter));
	prog.filter = (struct sock_filter *)(void *)c->runner_bpf;
	/* Last but one: an ASan parent's allocator needs its address space
	 * until exec. */
	set_limit(RLIMIT_AS, (rlim_t)c->run_mem_mb * 1024 * 1024,
	    "RLIMIT_AS");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		child_die("seccomp", errno);
	execve(c->python, argv, envp);
	child_die(c->python, errno);
}

/*
 * PID 1 of the run: start the runner, reap everything, report the
 * runner's wait status on stw when it ends (after killing the rest).
 */
static void __attribute__((noreturn))
init(const struct sched_conf *c, const struct run *r, int outw, int stw)
{
	pid_t	 rpid, p;
	int	 st, rst = 0, have = 0;
	sigset_t none;

	/* Dies with the scheduler (and then the namespace dies). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		_exit(127);
	for (st = 1; st < NSIG; st++)
		(void)signal(st, SIG_DFL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if ((rpid = fork()) == -1)
		child_die("fork", errno);
	if (rpid == 0) {
		(void)close(stw);
		runner(c, r, outw);
	}
	(void)close(outw);
	for (;;) {
		p = waitpid(-1, &st, 0);
		if (p == -1 && errno == EINTR)
			continue;
		if (p == -1)
			break;
		if (p == rpid) {
			rst = st;
			have = 1;
			/* Whatever the run left behind goes now. */
			(void)kill(-1, SIGKILL);
		}
	}
	if (have)
		(void)!write(stw, &rst, sizeof(rst));
	_exit(0);
}

int
sched_run_start(const struct sched_conf *c, struct run *r, char *err,
    size_t errlen)
{
	int	 po[2] = { -1, -1 }, ps[2] = { -1, -1 };
	pid_t	 pid;

	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(ps, O_CLOEXEC) == -1) {
		(void)snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	/* fork() with namespaces: the child shares nothing but copies. */
	pid = (pid_t)syscall(SYS_clone, RUN_NS_FLAGS | SIGCHLD, NULL, NULL,
	    NULL, 0);
	if (pid == -1) {
		(void)snprintf(err, errlen, "clone with new namespaces: %s",
		    strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		(void)close(po[0]);
		(void)close(ps[0]);
		init(c, r, po[1], ps[1]);
	}
	(void)close(po[1]);
	(void)close(ps[1]);
	r->pid = pid;
	r->outfd = po[0];
	r->stfd = ps[0];
	(void)fcntl(r->outfd, F_SETFL, O_NONBLOCK);
	(void)fcntl(r->stfd, F_SETFL, O_NONBLOCK);
	r->reaped = 0;
	r->have_status = 0;
	return 0;
fail:
	if (po[0] != -1) {
		(void)close(po[0]);
		(void)close(po[1]);
	}
	if (ps[0] != -1) {
		(void)close(ps[0]);
		(void)close(ps[1]);
	}
	return -1;
}

/* Append len bytes of output to the log file (capped) and the ring. */
static void
take_output(const struct sched_conf *c, struct run *r, const char *b,
    size_t len)
{
	size_t	i, keep;

	if (r->logfd != -1 && !r->log_over) {
		keep = len;
		if (r->logbytes + keep > (uint64_t)c->run_log_max)
			keep = (size_t)((uint64_t)c->run_log_max -
			    r->logbytes);
		if (keep > 0 && util_write_all(r->logfd, b, keep) == 0)
			r->logbytes += keep;
		if (keep < len) {
			char	m[128];
			int	n;

			n = snprintf(m, sizeof(m), "\n[log truncated at %llu "
			    "bytes]\n", (unsigned long long)c->run_log_max);
			if (n > 0 && util_write_all(r->logfd, m,
			    (size_t)n) == -1)
				log_warn("log of %s", r->id);
			r->log_over = 1;
		}
	}
	for (i = 0; i < len; i++) {
		if (b[i] == '\n' || r->partlen == SCHED_LINE_MAX) {
			sched_ring_push(r, r->part, r->partlen);
			r->partlen = 0;
			if (b[i] == '\n')
				continue;
		}
		r->part[r->partlen++] = b[i];
	}
}

void
sched_run_read(const struct sched_conf *c, struct run *r, int fd)
{
	char	buf[16384];
	ssize_t	n;
	int	i;

	if (fd == r->stfd) {
		n = read(fd, &i, sizeof(i));
		if (n == (ssize_t)sizeof(i)) {
			r->wstatus = i;
			r->have_status = 1;
		}
		if (n == 0 || n == (ssize_t)sizeof(i) ||
		    (n == -1 && errno != EAGAIN && errno != EINTR)) {
			(void)close(r->stfd);
			r->stfd = -1;
		}
		return;
	}
	for (i = 0; i < 16; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			take_output(c, r, buf, (size_t)n);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF or error: flush a last partial line. */
		if (r->partlen > 0) {
			sched_ring_push(r, r->part, r->partlen);
			r->partlen = 0;
		}
		(void)close(r->outfd);
		r->outfd = -1;
		return;
	}
}

void
sched_run_kill(struct run *r, const char *reason)
{
	if (r->killed)
		return;
	r->killed = 1;
	(void)strlcpy(r->reason, reason, sizeof(r->reason));
	if (r->pid > 0 && !r->reaped)
		(void)kill(r->pid, SIGKILL);
}

int
sched_run_done(struct run *r)
{
	int	st;
	pid_t	p;

	if (!r->reaped) {
		p = waitpid(r->pid, &st, WNOHANG);
		if (p == r->pid || (p == -1 && errno == ECHILD)) {
			r->reaped = 1;
			r->initstatus = st;
		}
	}
	/* PID 1 gone: the namespace is gone, so is every writer of the
	 * pipe.  The status pipe may still hold its 4 bytes. */
	if (r->reaped && r->stfd != -1)
		sched_run_read(NULL, r, r->stfd);
	return r->reaped && r->outfd == -1 && r->stfd == -1;
}

/* Push one line (len bytes, no newline) into the live-log ring. */
void
sched_ring_push(struct run *r, const char *s, size_t len)
{
	char	*line;
	size_t	 slot;

	if ((line = malloc(len + 1)) == NULL)
		return;
	memcpy(line, s, len);
	line[len] = '\0';
	slot = (r->ring_head + r->ring_n) % SCHED_RING;
	if (r->ring_n == SCHED_RING) {
		free(r->ring[r->ring_head]);
		r->ring[r->ring_head] = line;
		r->ring_head = (r->ring_head + 1) % SCHED_RING;
	} else {
		r->ring[slot] = line;
		r->ring_n++;
	}
}

void
sched_ring_free(struct run *r)
{
	size_t	i;

	for (i = 0; i < r->ring_n; i++) {
		free(r->ring[(r->ring_head + i) % SCHED_RING]);
		r->ring[(r->ring_head + i) % SCHED_RING] = NULL;
	}
	r->ring_n = r->ring_head = 0;
}

/* The last non-empty line of the ring (for a failure reason), or "". */
const char *
sched_ring_last(const struct run *r)
{
	size_t	i;

	for (i = r->ring_n; i > 0; i--) {
		const char *l = r->ring[(r->ring_head + i - 1) % SCHED_RING];

		if (l != NULL && l[strspn(l, " \t")] != '\0' &&
		    strncmp(l, "===", 3) != 0)
			return l;
	}
	return "";
}
