/*
 * spawn.c - fork and exec one service with the first stage of its
 * confinement (STYLE.md 3.5, steps done before exec): a fresh process
 * group, parent-death signal, the fixed descriptor layout of sandbox.h,
 * rlimits, the profile's namespaces, and the coarse deny-list
 * (policy/coarse.seccomp).  The service itself then chroots, drops ids and
 * capabilities, sets no_new_privs and installs its own allowlist.
 *
 * Runs in the launcher; the child part runs between fork and exec and only
 * calls async-signal-safe functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"
#include "log.h"
#include "sandbox.h"
#include "banned.h"

extern char **environ;

/* Child: write a fixed message and exit (no stdio after fork). */
static void __attribute__((noreturn))
child_fail(const char *what)
{
	char	buf[256];
	int	n, e = errno;

	n = snprintf(buf, sizeof(buf), "launcher: cannot start service: "
	    "%s: %s\n", what, strerror(e));
	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) == -1)
		_exit(126);
	_exit(127);
}

/*
 * chan becomes fd 3, the broker channel (-1: none, for the one-shot db
 * commands).  logw becomes fd 2, and fd 1 unless out is given; in, if
 * given, becomes fd 0 instead of /dev/null (-1: not given).
 */
pid_t
spawn_service(struct service *s, int chan, const char *startdoc,
    size_t startlen, const uint8_t *coarse, size_t coarselen, int logw,
    int privileged, int in, int out)
{
	int		 fdstart, fdbpf, devnull, src[7], i;
	char		*envp[8];	/* 4 sanitizer settings, TZ, mongoc, NULL */
	char		 envbuf[4][512];
	int		 nenv = 0;
	char		*argv[2];
	pid_t		 pid;
	sigset_t	 all;

	if ((fdstart = util_sealed_memfd("start", startdoc, startlen)) == -1)
		return -1;
	if ((fdbpf = util_sealed_memfd("seccomp", s->bpf, s->bpflen)) == -1) {
		(void)close(fdstart);
		return -1;
	}
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		(void)close(fdstart);
		(void)close(fdbpf);
		return -1;
	}
	/* Sanitizer settings pass through (test builds); nothing else. */
	for (i = 0; environ[i] != NULL && nenv < 4; i++)
		if (strncmp(environ[i], "ASAN_OPTIONS=", 13) == 0 ||
		    strncmp(environ[i], "UBSAN_OPTIONS=", 14) == 0 ||
		    strncmp(environ[i], "LSAN_OPTIONS=", 13) == 0) {
			(void)strlcpy(envbuf[nenv], environ[i],
			    sizeof(envbuf[nenv]));
			envp[nenv] = envbuf[nenv];
			nenv++;
		}
	/* UTC: time stamps never need /etc/localtime inside a jail. */
	envp[nenv++] = (char *)(uintptr_t)"TZ=UTC0";
	/* libmongoc's constructor would otherwise create a file in
	 * /dev/shm before main(), which RLIMIT_FSIZE 0 kills. */
	envp[nenv++] = (char *)(uintptr_t)"MONGOC_DISABLE_SHM=1";
	envp[nenv] = NULL;
	argv[0] = (char *)(uintptr_t)s->name;
	argv[1] = NULL;

	if ((pid = fork()) == -1) {
		(void)close(fdstart);
		(void)close(fdbpf);
		(void)close(devnull);
		return -1;
	}
	if (pid > 0) {
		(void)close(fdstart);
		(void)close(fdbpf);
		(void)close(devnull);
		return pid;
	}

	/* Child. */
	(void)sigemptyset(&all);
	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	(void)setsid();
	(void)umask(077);	/* files a service creates are its own */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		child_fail("PR_SET_PDEATHSIG");

	/* Descriptor layout: move sources above the targets, then place. */
	src[0] = in != -1 ? in : devnull;
	src[1] = out != -1 ? out : logw;
	src[2] = logw;
	src[FD_BROKER] = chan;
	src[FD_START] = fdstart;
	src[FD_SECCOMP] = fdbpf;
	src[FD_LISTEN] = s->listen_fd;
	for (i = 0; i < 7; i++)
		if (src[i] != -1 &&
		    (src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 64)) == -1)
			child_fail("F_DUPFD");
	for (i = 0; i < 7; i++) {
		if (src[i] == -1)
			continue;
		if (dup2(src[i], i) == -1)
			child_fail("dup2");
	}
	if (syscall(SYS_close_range, FD_FIRST_FREE, ~0U, 0) == -1)
		child_fail("close_range");

	for (i = 0; i < PROFILE_NLIMITS; i++) {
		struct rlimit rl;

		/* RLIMIT_NPROC counts every process of the uid: without
		 * our own users (not root) it would count the operator's. */
		if (!s->prof.rlim[i].set || (!privileged && i == RLIMIT_NPROC))
			continue;
		rl.rlim_cur = rl.rlim_max = (rlim_t)s->prof.rlim[i].value;
		if (setrlimit(i, &rl) == -1)
			child_fail("setrlimit");
	}
	if (privileged && s->prof.namespaces != 0 &&
	    unshare(s->prof.namespaces) == -1)
		child_fail("unshare");

	/* Coarse deny-list, inherited across exec. */
	if (coarselen > 0) {
		struct sock_fprog prog;

		if (!privileged && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			child_fail("PR_SET_NO_NEW_PRIVS");
		prog.len = (unsigned short)(coarselen /
		    sizeof(struct sock_filter));
		prog.filter = (struct sock_filter *)(uintptr_t)coarse;
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
			child_fail("seccomp (coarse)");
	}
	execve(s->exe, argv, envp);
	child_fail(s->exe);
}
