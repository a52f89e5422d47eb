/*
 * vpn_relay.c - the get-only relay between the vpn service and
 * wireguard-go's UAPI socket (vpn_uapi_socket).
 *
 * Trust: the UAPI socket has no read-only mode: whoever holds a
 * connection can write "set=1" and reconfigure the hub, and the answer
 * to "get=1" holds the hub's private key and every preshared key.  So
 * the vpn service never holds that connection.  For each start of the
 * vpn service the launcher connects the socket (as root) and forks this
 * relay, which alone keeps it; the service gets one end of a socketpair
 * to the relay as its fd 0.
 *
 * Protocol: the service writes one byte (any value) meaning "get".  The
 * relay writes exactly "get=1\n\n" to the UAPI socket (never anything
 * else), reads the answer up to its first empty line ("errno=N\n\n"),
 * at most RELAY_MAX bytes within timeout_ms, and forwards it with every
 * line starting "private_key=" or "preshared_key=" dropped; it parses
 * nothing else (the service does, parse_uapi.c).  Its buffer is wiped
 * after every answer.  Any error (time-out, too large, data after the
 * answer, either side closing, data from wireguard-go while idle) ends
 * the relay; the service then sees its fd 0 closed, answers errors and
 * exits to be restarted (with a new connection and a new relay).
 *
 * Confinement, before the first byte is read: only the two sockets stay
 * open; parent-death signal; the vpn service's user (setgroups,
 * setresgid, setresuid through libcap-ng, bounding and ambient sets
 * cleared), no capability, no_new_privs, and a libseccomp allowlist of
 * read, write, poll, close, clock_gettime and exit.  A fork of the
 * launcher without exec: it wipes its copy of the launcher's
 * configuration (mongo_uri is a secret) before anything else, and calls
 * no allocator after the filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cap-ng.h>

#include "launcher.h"
#include "log.h"
#include "banned.h"

/* Largest answer: WG_DUMP_MAX of services/vpn/vpn.h. */
#define RELAY_MAX	(1024 * 1024)

#define RELAY_UAPI	3		/* the relay's fds after the fork */
#define RELAY_SVC	4

/* Relay exit codes, named in the launcher's log. */
#define RX_DONE		0	/* the service closed its end */
#define RX_SETUP	1	/* confinement failed */
#define RX_UAPI		2	/* UAPI socket closed, broken or out of step */
#define RX_TIMEOUT	5	/* no full answer within timeout_ms (not 3:
				 * that is the service's reconnect exit) */
#define RX_SVC		4	/* writing to the service failed */

/* Is line p (n bytes, without its newline) one the service must not see? */
static int
secret_line(const char *p, size_t n)
{
	static const char	 pk[] = "private_key=", psk[] = "preshared_key=";

	return (n >= sizeof(pk) - 1 && memcmp(p, pk, sizeof(pk) - 1) == 0) ||
	    (n >= sizeof(psk) - 1 && memcmp(p, psk, sizeof(psk) - 1) == 0);
}

/*
 * Write len bytes of buf to fd (non-blocking) before deadline: 0, or -1.
 */
static int
write_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	struct pollfd	pfd;
	size_t		off = 0;
	ssize_t		r;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (off < len) {
		int64_t left = deadline - util_mono_ms();

		if (left <= 0)
			return -1;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd.revents == 0)
			continue;
		r = write(fd, buf + off, len - off);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/*
 * One exchange: the fixed request, the answer into buf (RELAY_MAX),
 * its key lines dropped in place, the rest to the service.  0, or an RX_
 * code.  buf is wiped either way.
 */
static int
relay_one(char *buf, int64_t timeout_ms)
{
	static const char	 req[] = "get=1\n\n";
	int64_t			 deadline = util_mono_ms() + timeout_ms;
	struct pollfd		 pfd;
	size_t			 n = 0, r0, w, nl;
	ssize_t			 r;
	const char		*e = NULL;
	int			 rc = RX_UAPI;

	if (write_all(RELAY_UAPI, req, sizeof(req) - 1, deadline) == -1)
		goto out;
	pfd.fd = RELAY_UAPI;
	pfd.events = POLLIN;
	while (e == NULL) {
		int64_t left = deadline - util_mono_ms();

		if (left <= 0) {
			rc = RX_TIMEOUT;
			goto out;
		}
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (pfd.revents == 0)
			continue;
		if (n == RELAY_MAX)
			goto out;		/* too large */
		r = read(RELAY_UAPI, buf + n, RELAY_MAX - n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			goto out;
		r0 = n > 0 ? n - 1 : 0;
		n += (size_t)r;
		/* The answer ends with its first empty line. */
		e = memmem(buf + r0, n - r0, "\n\n", 2);
	}
	if ((size_t)(e - buf) + 2 != n)
		goto out;			/* data after the answer */
	/* Drop the key lines in place (w never passes r0). */
	for (r0 = 0, w = 0; r0 < n; r0 += nl) {
		const char *p = memchr(buf + r0, '\n', n - r0);

		nl = (size_t)(p - (buf + r0)) + 1;
		if (secret_line(buf + r0, nl - 1))
			continue;
		if (w != r0)
			memmove(buf + w, buf + r0, nl);
		w += nl;
	}
	rc = write_all(RELAY_SVC, buf, w, deadline) == -1 ? RX_SVC : 0;
out:
	explicit_bzero(buf, n);
	return rc;
}

/* The relay's confinement; uid/gid only applied when privileged. */
static int
relay_confine(uid_t uid, gid_t gid, int privileged)
{
	static const int	 allow[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(poll),
		SCMP_SYS(ppoll), SCMP_SYS(close), SCMP_SYS(clock_gettime),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(exit), SCMP_SYS(exit_group),
	};
	scmp_filter_ctx		 ctx;
	size_t			 i;
	int			 ok;

	if (privileged) {
		capng_clear(CAPNG_SELECT_ALL);
		if (capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP |
		    CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT) != 0)
			return -1;
		if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
			return -1;
		if (getuid() != uid || geteuid() != uid || getgid() != gid ||
		    getegid() != gid || getgroups(0, NULL) != 0)
			return -1;
		/* Cleared by the change of ids: ask again. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
			return -1;
	} else {
		capng_clear(CAPNG_SELECT_CAPS);
		if (capng_apply(CAPNG_SELECT_CAPS) != 0)
			return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -1;
	ok = 1;
	for (i = 0; i < sizeof(allow) / sizeof(allow[0]) && ok; i++)
		ok = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0) == 0;
	ok = ok && seccomp_load(ctx) == 0;
	seccomp_release(ctx);
	return ok ? 0 : -1;
}

/* The relay process: never returns. */
static void __attribute__((noreturn))
relay_main(int uapi, int svc, uid_t uid, gid_t gid, int privileged,
    int64_t timeout_ms, pid_t launcher, void *wipe, size_t wipelen)
{
	struct pollfd	 pfd[2];
	sigset_t	 none;
	char		*buf, b;
	ssize_t		 r;
	int		 i, rc;

	(void)sigemptyset(&none);
	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != launcher)
		_exit(RX_SETUP);
	(void)prctl(PR_SET_NAME, "vpn-relay", 0, 0, 0);
	/* Only the two sockets stay: move them to 3 and 4, close the rest
	 * (0, 1 and 2 included: the relay logs nothing, its exit code
	 * says why it ended). */
	if ((uapi = fcntl(uapi, F_DUPFD, 64)) == -1 ||
	    (svc = fcntl(svc, F_DUPFD, 64)) == -1 ||
	    dup2(uapi, RELAY_UAPI) == -1 || dup2(svc, RELAY_SVC) == -1 ||
	    syscall(SYS_close_range, 0, RELAY_UAPI - 1, 0) == -1 ||
	    syscall(SYS_close_range, RELAY_SVC + 1, ~0U, 0) == -1 ||
	    fcntl(RELAY_UAPI, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(RELAY_SVC, F_SETFL, O_NONBLOCK) == -1)
		_exit(RX_SETUP);
	/* The launcher's secrets in our copy of its memory. */
	explicit_bzero(wipe, wipelen);
	if ((buf = malloc(RELAY_MAX)) == NULL ||
	    relay_confine(uid, gid, privileged) == -1)
		_exit(RX_SETUP);

	pfd[0].fd = RELAY_SVC;
	pfd[1].fd = RELAY_UAPI;
	for (;;) {
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			_exit(RX_SETUP);
		}
		/* wireguard-go speaks only when asked: anything else while
		 * idle (data, hang-up) ends the relay. */
		if (pfd[1].revents != 0)
			_exit(RX_UAPI);
		if (pfd[0].revents == 0)
			continue;
		r = read(RELAY_SVC, &b, 1);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			_exit(r == 0 ? RX_DONE : RX_SVC);
		if ((rc = relay_one(buf, timeout_ms)) != 0)
			_exit(rc);
	}
}

/*
 * Fork the relay for the connected UAPI socket uapi (which the caller
 * still closes); the relay wipes its copy of wipe (wipelen bytes: the
 * launcher's configuration, which holds mongo_uri) first.  Returns the
 * relay's pid and in *svc the service's end of the socketpair
 * (close-on-exec; spawn_service makes it fd 0), or -1.
 */
pid_t
vpn_relay_start(int uapi, int *svc, uid_t uid, gid_t gid, int privileged,
    int64_t timeout_ms, void *wipe, size_t wipelen)
{
	int	sp[2];
	pid_t	pid, self = getpid();

	*svc = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		(void)close(sp[0]);
		(void)close(sp[1]);
		return -1;
	}
	if (pid == 0)
		relay_main(uapi, sp[1], uid, gid, privileged, timeout_ms, self,
		    wipe, wipelen);
	(void)close(sp[1]);
	*svc = sp[0];
	return pid;
}
