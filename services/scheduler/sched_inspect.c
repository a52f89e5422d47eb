/*
 * sched_inspect.c - one workflow inspection: unpack the upload into a
 * fresh directory, run the Python inspector there in a throw-away sandbox,
 * collect and check its answer, remove the directory.
 *
 * Trust: the child runs uploaded code.  Before exec it gets its own
 * process group, default signal handlers, /dev/null on stdin and two pipes
 * (capped here) on stdout and stderr, nothing else open; cwd = its
 * directory; a Landlock layer of its own (read-only system paths, regular
 * files of its directory, nothing else: not even the sibling directories
 * the scheduler's own layer allows); rlimits: CPU, address space, file
 * size, descriptors, no processes (nproc 0), no core; a scrubbed
 * environment.  It inherits the scheduler's seccomp filter (no sockets),
 * the empty network namespace and the unprivileged user.  The parent
 * enforces the wall-clock limit by killing the whole process group.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "log.h"
#include "scheduler.h"
#include "banned.h"

#define CHILD_FSIZE	(16ULL * 1024 * 1024)	/* files it writes itself */
#define CHILD_NOFILE	64
#define RM_DEPTH	64	/* runs may make directories */

/* Remove dir (a name in dfd) and what is in it, at most RM_DEPTH deep.
 * The child cannot make directories (its Landlock layer), so this only
 * meets our own flat files; the bound is defence in depth. */
static int
rm_tree(int dfd, const char *name, int depth)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, rc = 0;

	if (unlinkat(dfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return errno == ENOENT ? 0 : -1;
	if (depth >= RM_DEPTH)
		return -1;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_tree(dirfd(d), de->d_name, depth + 1) == -1)
			rc = -1;
	}
	(void)closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) == -1)
		rc = -1;
	return rc;
}

void
sched_cleanup_all(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(".")) == NULL) {
		log_warn("cannot list the work directory");
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "inspect-", 8) == 0 ||
		    strncmp(de->d_name, "run-", 4) == 0 ||
		    strncmp(de->d_name, "log-", 4) == 0) {
			if (rm_tree(dirfd(d), de->d_name, 0) == -1)
				log_warn("cannot remove %s", de->d_name);
			else
				n++;
		}
	(void)closedir(d);
	if (n > 0)
		log_info("removed %d directories left by an earlier run", n);
}

/* Write one file of the runner, read-only. */
static void
install_one(int dfd, const char *name, const char *text)
{
	int fd;

	if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0444)) == -1 ||
	    util_write_all(fd, text, strlen(text)) == -1 || close(fd) == -1)
		fatal("writing %s/%s", SCHED_RUNNER_DIR, name);
}

void
sched_install_runner(void)
{
	int dfd;

	if (rm_tree(AT_FDCWD, SCHED_RUNNER_DIR, 0) == -1)
		fatal("removing the old %s", SCHED_RUNNER_DIR);
	if (mkdirat(AT_FDCWD, SCHED_RUNNER_DIR, 0755) == -1 ||
	    (dfd = openat(AT_FDCWD, SCHED_RUNNER_DIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		fatal("making %s", SCHED_RUNNER_DIR);
	install_one(dfd, "mupif_runner.py", sched_runner_py);
	install_one(dfd, "mupif_standin.py", sched_standin_py);
	/* Read-only for runs and inspections by their Landlock layers. */
	(void)close(dfd);
}

int
sched_rm_tree(int dfd, const char *name)
{
	return rm_tree(dfd, name, 0);
}

static void
remove_dir(struct inspection *ins)
{
	if (ins->dir[0] != '\0' && rm_tree(AT_FDCWD, ins->dir, 0) == -1)
		log_warn("cannot remove %s", ins->dir);
	ins->dir[0] = '\0';
}

/* In the child: never returns. */
static void
child(const struct sched_conf *c, const struct inspection *ins, int out,
    int err)
{
	struct rlimit	 rl;
	struct sandbox_ll l;
	char		 modname[SCHED_MAIN_MAX + 1], home[4200], msg[512];
	char		*argv[9], *envp[6], standin[SCHED_PATH_MAX + 64];
	size_t		 ml;
	int		 s, n;

	(void)setpgid(0, 0);
	for (s = 1; s < NSIG; s++)
		(void)signal(s, SIG_DFL);
	{
		sigset_t none;

		(void)sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
	}
	if (dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(127);
	(void)close_range(3, ~0U, 0);
	if (chdir(ins->dir) == -1) {
		n = snprintf(msg, sizeof(msg), "cannot enter the work "
		    "directory\n");
		(void)!write(2, msg, (size_t)n);
		_exit(127);
	}
	memset(&l, 0, sizeof(l));
	l.ro = (const char (*)[SANDBOX_RO_LEN])c->ro;
	l.nro = c->nro;
	l.rw[0] = ".";
	l.rw_mode[0] = SANDBOX_LL_FILES;
	l.rw[1] = c->runner_dir;	/* the mupif stand-in */
	l.rw_mode[1] = SANDBOX_LL_RO;
	l.nrw = 2;
	if (sandbox_landlock_ex(&l, msg, sizeof(msg) - 1) == -1) {
		(void)strlcat(msg, "\n", sizeof(msg));
		(void)!write(2, msg, strlen(msg));
		_exit(127);
	}
	rl.rlim_cur = (rlim_t)c->cpu_s;
	rl.rlim_max = (rlim_t)c->cpu_s + 1;	/* SIGXCPU, then SIGKILL */
	if (setrlimit(RLIMIT_CPU, &rl) == -1)
		_exit(127);
	rl.rlim_cur = rl.rlim_max = CHILD_FSIZE;
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		_exit(127);
	rl.rlim_cur = rl.rlim_max = CHILD_NOFILE;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		_exit(127);
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_NPROC, &rl) == -1 ||
	    setrlimit(RLIMIT_CORE, &rl) == -1)
		_exit(127);
	ml = strlen(ins->main) - 3;	/* ".py" */
	memcpy(modname, ins->main, ml);
	modname[ml] = '\0';
	(void)snprintf(home, sizeof(home), "HOME=%s/%s", c->jail, ins->dir);
	(void)snprintf(standin, sizeof(standin), "%s/mupif_standin.py",
	    c->runner_dir);
	argv[0] = (char *)"python3";
	argv[1] = (char *)"-I";		/* no PYTHON* variables, no user site */
	argv[2] = (char *)"-S";		/* site: the inspector adds it */
	argv[3] = (char *)"-B";		/* no .pyc files */
	argv[4] = (char *)"-c";
	argv[5] = (char *)sched_inspect_py;
	argv[6] = modname;
	argv[7] = standin;
	argv[8] = NULL;
	envp[0] = (char *)"PATH=/usr/bin:/bin";
	envp[1] = (char *)"LANG=C.UTF-8";
	envp[2] = (char *)"TZ=UTC0";
	envp[3] = home;
	envp[4] = (char *)"PYTHONDONTWRITEBYTECODE=1";
	envp[5] = NULL;
	/* Last: an ASan parent's allocator needs its address space until
	 * exec; the limit counts from the new image on. */
	rl.rlim_cur = rl.rlim_max = (rlim_t)c->mem_mb * 1024 * 1024;
	if (setrlimit(RLIMIT_AS, &rl) == -1)
		_exit(127);
	execve(c->python, argv, envp);
	n = snprintf(msg, sizeof(msg), "cannot start runner_python %s: %s\n",
	    c->python, strerror(errno));
	(void)!write(2, msg, n > 0 ? (size_t)n : 0);
	_exit(127);
}

int
sched_inspect_start(const struct sched_conf *c, struct inspection *ins,
    int memfd, const char *mainname, int *bad, char *err, size_t errlen)
{
	struct stat	 st;
	uint8_t		 rnd[8];
	char		 hex[17], *data = NULL;
	size_t		 len;
	int		 dfd = -1, po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	pid_t		 pid;

	*bad = 1;
	ins->dir[0] = '\0';
	ins->outfd = ins->errfd = -1;
	/* A private copy: the sender could change a memfd it did not seal
	 * between our checks and the unpacking. */
	if (fstat(memfd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "the upload is not a file");
		return -1;
	}
	if ((uint64_t)st.st_size > SCHED_UPLOAD_MAX) {
		(void)snprintf(err, errlen, "the upload is larger than %llu "
		    "bytes", (unsigned long long)SCHED_UPLOAD_MAX);
		return -1;
	}
	if (lseek(memfd, 0, SEEK_SET) == -1 ||
	    util_read_fd(memfd, SCHED_UPLOAD_MAX, &data, &len) == -1) {
		(void)snprintf(err, errlen, "cannot read the upload");
		return -1;
	}
	randombytes_buf(rnd, sizeof(rnd));
	util_hex(rnd, sizeof(rnd), hex);
	(void)snprintf(ins->dir, sizeof(ins->dir), "inspect-%s", hex);
	if (mkdirat(AT_FDCWD, ins->dir, 0700) == -1 ||
	    (dfd = openat(AT_FDCWD, ins->dir, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		*bad = 0;
		(void)snprintf(err, errlen, "cannot make a work directory: %s",
		    strerror(errno));
		goto fail;
	}
	if (sched_zip_extract(data, len, mainname, (uint64_t)c->max_bytes,
	    dfd, err, errlen) == -1)
		goto fail;
	(void)close(dfd);
	dfd = -1;
	free(data);
	data = NULL;
	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1) {
		*bad = 0;
		(void)snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	(void)strlcpy(ins->main, mainname, sizeof(ins->main));
	if ((pid = fork()) == -1) {
		*bad = 0;
		(void)snprintf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(c, ins, po[1], pe[1]);
	/* Both sides: no race with the child's own setpgid. */
	(void)setpgid(pid, pid);
	(void)close(po[1]);
	(void)close(pe[1]);
	ins->pid = pid;
	ins->outfd = po[0];
	ins->errfd = pe[0];
	(void)fcntl(po[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(pe[0], F_SETFL, O_NONBLOCK);
	ins->out = NULL;
	ins->outlen = 0;
	ins->out_over = 0;
	ins->errlen = 0;
	ins->timed_out = 0;
	ins->reaped = 0;
	ins->status = 0;
	ins->deadline = util_mono_ms() + c->timeout_s * 1000;
	ins->used = 1;
	return 0;
fail:
	if (dfd != -1)
		(void)close(dfd);
	free(data);
	if (po[0] != -1) {
		(void)close(po[0]);
		(void)close(po[1]);
	}
	if (pe[0] != -1) {
		(void)close(pe[0]);
		(void)close(pe[1]);
	}
	remove_dir(ins);
	return -1;
}

void
sched_inspect_read(struct inspection *ins, int fd)
{
	char	buf[8192];
	ssize_t	r;

	for (;;) {
		if ((r = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			r = 0;		/* treat as EOF */
		}
		if (r == 0) {
			(void)close(fd);
			if (fd == ins->outfd)
				ins->outfd = -1;
			else
				ins->errfd = -1;
			return;
		}
		if (fd == ins->outfd) {
			char *p;

			if (ins->outlen + (size_t)r > SCHED_OUT_MAX) {
				ins->out_over = 1;
				continue;	/* drain, keep nothing more */
			}
			if ((p = realloc(ins->out, ins->outlen +
			    (size_t)r)) == NULL) {
				ins->out_over = 1;
				continue;
			}
			ins->out = p;
			memcpy(ins->out + ins->outlen, buf, (size_t)r);
			ins->outlen += (size_t)r;
		} else {
			/* Keep the last SCHED_ERR_KEEP bytes or more. */
			if ((size_t)r > SCHED_ERR_KEEP) {
				memcpy(ins->errbuf, buf + r - SCHED_ERR_KEEP,
				    SCHED_ERR_KEEP);
				ins->errlen = SCHED_ERR_KEEP;
				continue;
			}
			if (ins->errlen + (size_t)r > sizeof(ins->errbuf)) {
				size_t keep = ins->errlen < SCHED_ERR_KEEP ?
				    ins->errlen : SCHED_ERR_KEEP;

				memmove(ins->errbuf, ins->errbuf +
				    ins->errlen - keep, keep);
				ins->errlen = keep;
			}
			memcpy(ins->errbuf + ins->errlen, buf, (size_t)r);
			ins->errlen += (size_t)r;
		}
	}
}

void
sched_inspect_kill(struct inspection *ins)
{
	if (ins->reaped)
		return;
	ins->timed_out = 1;
	(void)kill(-ins->pid, SIGKILL);
	(void)kill(ins->pid, SIGKILL);
}

int
sched_inspect_done(struct inspection *ins)
{
	pid_t r;

	if (!ins->reaped) {
		r = waitpid(ins->pid, &ins->status, WNOHANG);
		if (r == ins->pid)
			ins->reaped = 1;
		else if (r == -1 && errno == ECHILD)
			ins->reaped = 1;
	}
	if (ins->reaped && (ins->outfd != -1 || ins->errfd != -1)) {
		/* Gone: whatever is left in the pipes is all there is
		 * (nothing else holds their write ends: nproc 0). */
		if (ins->outfd != -1)
			sched_inspect_read(ins, ins->outfd);
		if (ins->errfd != -1)
			sched_inspect_read(ins, ins->errfd);
	}
	return ins->reaped && ins->outfd == -1 && ins->errfd == -1;
}

/* The last non-empty line of the child's stderr, printable, cut. */
static void
last_line(const struct inspection *ins, char *out, size_t outlen)
{
	size_t e = ins->errlen, b, i, o = 0;

	while (e > 0 && (ins->errbuf[e - 1] == '\n' ||
	    ins->errbuf[e - 1] == '\r' || ins->errbuf[e - 1] == ' '))
		e--;
	b = e;
	while (b > 0 && ins->errbuf[b - 1] != '\n')
		b--;
	for (i = b; i < e && o + 1 < outlen && o < 400; i++) {
		unsigned char ch = (unsigned char)ins->errbuf[i];

		out[o++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	out[o] = '\0';
}

int
sched_inspect_finish(const struct sched_conf *c, struct inspection *ins,
    yajl_gen g, char *detail, size_t detaillen)
{
	char	reason[512], line[512], modname[SCHED_MAIN_MAX + 1];
	size_t	ml = strlen(ins->main);
	int	incomplete = 0, st = MST_BADREQ;

	reason[0] = '\0';
	ml = ml > 3 ? ml - 3 : 0;		/* ".py" */
	memcpy(modname, ins->main, ml);
	modname[ml] = '\0';
	last_line(ins, line, sizeof(line));
	if (ins->timed_out)
		(void)snprintf(reason, sizeof(reason), "inspection timed out "
		    "after %lld s", c->timeout_s);
	else if (WIFSIGNALED(ins->status)) {
		int sig = WTERMSIG(ins->status);

		if (sig == SIGXCPU || sig == SIGKILL)
			(void)snprintf(reason, sizeof(reason), "inspection "
			    "used more than %lld s of CPU time (killed by "
			    "signal %d)", c->cpu_s, sig);
		else if (sig == SIGSYS)
			(void)snprintf(reason, sizeof(reason), "the workflow "
			    "made a forbidden system call (killed by signal "
			    "31)");
		else
			(void)snprintf(reason, sizeof(reason), "the inspector "
			    "was killed by signal %d (%s)", sig,
			    strsignal(sig));
	} else if (WEXITSTATUS(ins->status) != 0)
		(void)snprintf(reason, sizeof(reason), "%s", line[0] != '\0' ?
		    line : "the inspector failed without a message");
	else if (ins->out_over)
		(void)snprintf(reason, sizeof(reason), "the metadata is larger "
		    "than %d bytes", SCHED_OUT_MAX);
	else if (sched_meta_build(ins->out, ins->outlen, modname, g, &incomplete, reason, sizeof(reason)) == 0)
		st = MST_OK;
	if (st != MST_OK) {
		if (incomplete)
			(void)snprintf(detail, detaillen, "Incomplete workflow "
			    "metadata. Cannot register workflow.");
		else
			(void)snprintf(detail, detaillen, "Error processing "
			    "workflow file '%s': %s", ins->main, reason);
	}
	remove_dir(ins);
	free(ins->out);
	ins->out = NULL;
	if (ins->outfd != -1)
		(void)close(ins->outfd);
	if (ins->errfd != -1)
		(void)close(ins->errfd);
	ins->outfd = ins->errfd = -1;
	ins->used = 0;
	return st;
}
