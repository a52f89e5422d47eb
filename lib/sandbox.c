/*
 * sandbox.c - confinement steps run by each service after exec (see
 * sandbox.h), in the order of minijail_enter() and STYLE.md 3.5:
 * filesystem jail, identity, capabilities, no_new_privs, seccomp.
 *
 * Trust: runs as root between exec and sandbox_jail() when the launcher is
 * root; everything it reads comes from the launcher.  When the launcher is
 * not root it cannot chroot or change ids; it says so and still applies
 * no_new_privs and seccomp.
 */
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/securebits.h>
#include <linux/landlock.h>
#include <fcntl.h>
#include <cap-ng.h>

#include "json.h"
#include "log.h"
#include "sandbox.h"
#include "banned.h"

#ifdef MUPIF_TEST_HOOKS
/*
 * Test builds only: SIGUSR2 makes the process call a syscall that no
 * service allowlist contains, so the integration suite can prove that the
 * filter kills.  Release builds have no such handler.
 */
static void
test_forbidden(int sig)
{
	(void)sig;
	(void)syscall(SYS_mknodat, -1, "", 0, 0);
}
#endif

void
sandbox_start(struct sandbox *sb, const char *expect)
{
	char		*text, err[256];
	size_t		 len;
	long long	 v;
	int		 b;
	const char	*s;
	yajl_val	 ll;

	memset(sb, 0, sizeof(*sb));
	log_init(NULL, 0);	/* the launcher prefixes our name */
	/* Load the time zone (TZ=UTC0 from the launcher) now: glibc reads
	 * it on the first gmtime_r() and caches it, and after the jail
	 * there is no file to read and no open(2) to read it with. */
	tzset();
	if (lseek(FD_START, 0, SEEK_SET) == -1 ||
	    util_read_fd(FD_START, START_MAX, &text, &len) == -1)
		fatal("cannot read start-up document on fd %d "
		    "(run me through mupif-central)", FD_START);
	(void)close(FD_START);
	sb->doc = json_parse(text, len, START_MAX, 8, err, sizeof(err));
	free(text);
	if (sb->doc == NULL)
		fatalx("start-up document: %s", err);
	if ((s = json_get_str(sb->doc, "service")) == NULL ||
	    strcmp(s, expect) != 0)
		fatalx("start-up document is for \"%s\", not \"%s\"",
		    s != NULL ? s : "?", expect);
	(void)strlcpy(sb->service, s, sizeof(sb->service));
	if (json_get_bool(sb->doc, "privileged", &sb->privileged) == -1 ||
	    json_get_int(sb->doc, "uid", &v) == -1 || v < 0 || v > 0xfffffffe)
		fatalx("start-up document: bad privileged/uid");
	sb->uid = (uid_t)v;
	if (json_get_int(sb->doc, "gid", &v) == -1 || v < 0 || v > 0xfffffffe)
		fatalx("start-up document: bad gid");
	sb->gid = (gid_t)v;
	if (json_get_int(sb->doc, "caps", &v) == -1 || v < 0)
		fatalx("start-up document: bad caps");
	sb->caps = (uint64_t)v;
	if ((s = json_get_str(sb->doc, "chroot")) == NULL ||
	    strlcpy(sb->chroot, s, sizeof(sb->chroot)) >= sizeof(sb->chroot))
		fatalx("start-up document: bad chroot");
	if (json_get_int(sb->doc, "launcher_pid", &v) == -1 || v < 1)
		fatalx("start-up document: bad launcher_pid");
	sb->launcher = (pid_t)v;
	if (json_get_bool(sb->doc, "debug", &b) == 0)
		sb->debug = b;
	if ((ll = json_get(sb->doc, "landlock")) != NULL) {
		size_t i;

		if (!YAJL_IS_ARRAY(ll) || ll->u.array.len > SANDBOX_MAX_RO)
			fatalx("start-up document: bad landlock");
		sb->landlock = 1;
		for (i = 0; i < ll->u.array.len; i++) {
			yajl_val p = ll->u.array.values[i];

			if (!YAJL_IS_STRING(p) || p->u.string[0] != '/' ||
			    strlcpy(sb->ro[i], p->u.string, SANDBOX_RO_LEN) >=
			    SANDBOX_RO_LEN)
				fatalx("start-up document: bad landlock path");
		}
		sb->nro = ll->u.array.len;
	}
	if ((ll = json_get(sb->doc, "landlock_net")) != NULL) {
		yajl_val	ports = json_get(ll, "connect");
		size_t		i;

		if (!YAJL_IS_OBJECT(ll) || ports == NULL ||
		    !YAJL_IS_ARRAY(ports) ||
		    ports->u.array.len > SANDBOX_LL_MAX_PORTS ||
		    json_get_bool(ll, "bind_ephemeral", &b) == -1)
			fatalx("start-up document: bad landlock_net");
		for (i = 0; i < ports->u.array.len; i++) {
			yajl_val p = ports->u.array.values[i];

			if (!YAJL_IS_INTEGER(p) || YAJL_GET_INTEGER(p) < 1 ||
			    YAJL_GET_INTEGER(p) > 65535)
				fatalx("start-up document: bad port in "
				    "landlock_net");
			sb->connect[i] = (uint16_t)YAJL_GET_INTEGER(p);
		}
		sb->nconnect = ports->u.array.len;
		sb->bind_ephemeral = b;
	}
	log_setverbose(sb->debug);
	sb->config = json_get(sb->doc, "config");
	if (sb->config == NULL || !YAJL_IS_OBJECT(sb->config))
		fatalx("start-up document: no config object");
}

void
sandbox_free(struct sandbox *sb)
{
	if (sb->doc != NULL)
		yajl_tree_free(sb->doc);
	sb->doc = NULL;
	sb->config = NULL;
}

/* The jail directory must belong to root or to the service's own user
 * and must not be writable by group or others (ntpd's check). */
static void
check_jail(const struct sandbox *sb)
{
	struct stat st;

	if (stat(sb->chroot, &st) == -1)
		fatal("jail %s", sb->chroot);
	if (!S_ISDIR(st.st_mode))
		fatalx("jail %s: not a directory", sb->chroot);
	if (st.st_uid != 0 && st.st_uid != sb->uid)
		fatalx("jail %s: owned by uid %u, not root or the service",
		    sb->chroot, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		fatalx("jail %s: writable by group or others", sb->chroot);
}

void
sandbox_jail(struct sandbox *sb)
{
	int c;

	if (sb->privileged) {
		/* 1. Filesystem. */
		check_jail(sb);
		if (sb->landlock) {
			/* Landlock (below) instead of chroot. */
			if (chdir(sb->chroot) == -1)
				fatal("chdir %s", sb->chroot);
		} else {
			if (chroot(sb->chroot) == -1)
				fatal("chroot %s", sb->chroot);
			if (chdir("/") == -1)
				fatal("chdir /");
		}
		/* Root in the jail receives no capabilities back through exec
		 * or setuid; locked so it cannot be undone. */
		if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT |
		    SECBIT_NOROOT_LOCKED, 0, 0, 0) == -1)
			fatal("PR_SET_SECUREBITS");
		/* 2+3. Identity and capabilities: libcap-ng clears the
		 * bounding set and supplementary groups, sets all three
		 * gids and uids, then applies exactly the declared set. */
		capng_clear(CAPNG_SELECT_ALL);
		for (c = 0; c < 64; c++)
			if (sb->caps & (1ULL << c))
				if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE |
				    CAPNG_PERMITTED, (unsigned)c) == -1)
					fatalx("capng_update %d", c);
		if (capng_change_id((int)sb->uid, (int)sb->gid,
		    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING |
		    CAPNG_CLEAR_AMBIENT) != 0)
			fatalx("cannot change to uid %u gid %u",
			    (unsigned)sb->uid, (unsigned)sb->gid);
		/* Prove the drop (uidswap.c): the old ids are gone. */
		if (sb->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
			fatalx("could regain uid 0 after dropping privileges");
		if (sb->gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
			fatalx("could regain gid 0 after dropping privileges");
		if (getuid() != sb->uid || geteuid() != sb->uid ||
		    getgid() != sb->gid || getegid() != sb->gid)
			fatalx("ids not what was asked for");
		if (getgroups(0, NULL) != 0)
			fatalx("supplementary groups left");
		/* The kernel cleared the parent-death signal when our ids
		 * changed: ask again, then make sure the launcher did not die
		 * in between (we would have been re-parented). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
			fatal("PR_SET_PDEATHSIG");
		if (getppid() != sb->launcher)
			fatalx("the launcher went away");
	} else {
		log_info("not started by root: no chroot to %s, no change "
		    "of user; applying no_new_privs and seccomp only",
		    sb->chroot);
		/* Services name their files relative to the jail. */
		if (chdir(sb->chroot) == -1)
			fatal("chdir %s", sb->chroot);
		capng_clear(CAPNG_SELECT_CAPS);
		if (capng_apply(CAPNG_SELECT_CAPS) != 0)
			fatalx("cannot clear capabilities");
	}
	/* 4. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	/* 5. */
	if (sb->landlock) {
		char err[256];

		struct sandbox_ll l;

		memset(&l, 0, sizeof(l));
		l.ro = (const char (*)[SANDBOX_RO_LEN])sb->ro;
		l.nro = sb->nro;
		l.rw[0] = ".";
		l.rw_mode[0] = SANDBOX_LL_ALL;
		/* The one device a child's stdin (or Python) may need. */
		l.rw[1] = "/dev/null";
		l.rw_mode[1] = SANDBOX_LL_RW_FILE;
		l.nrw = 2;
		l.connect = sb->connect;
		l.nconnect = sb->nconnect;
		l.bind_ephemeral = sb->bind_ephemeral;
		if (sandbox_landlock_ex(&l, err, sizeof(err)) == -1)
			fatalx("landlock: %s", err);
		log_info("landlock ABI %d: %s read-write, %zu paths read-only, "
		    "%zu TCP ports to connect to%s", sandbox_landlock_abi(),
		    sb->chroot, sb->nro, sb->nconnect, sb->bind_ephemeral ?
		    ", ephemeral bind" : "");
	}
}

/*
 * Landlock, without libc wrappers.  The rights are defined here because
 * the build host's headers may predate the running kernel's ABI.
 */
#define LL_FS_EXECUTE		(1ULL << 0)
#define LL_FS_WRITE_FILE	(1ULL << 1)
#define LL_FS_READ_FILE		(1ULL << 2)
#define LL_FS_READ_DIR		(1ULL << 3)
#define LL_FS_REMOVE_DIR	(1ULL << 4)
#define LL_FS_REMOVE_FILE	(1ULL << 5)
#define LL_FS_MAKE_REG		(1ULL << 8)
#define LL_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)
#define LL_FS_MAKE_CHAR		(1ULL << 6)
#define LL_FS_MAKE_BLOCK	(1ULL << 11)
#define LL_FS_MAKE_FIFO		(1ULL << 10)
#define LL_FS_MAKE_SOCK		(1ULL << 9)
#define LL_FS_MAKE_SYM		(1ULL << 12)
/* What a work tree may not do: devices, fifos, sockets, symlinks. */
#define LL_FS_EXECUTE_DEV_MASK	(LL_FS_MAKE_CHAR | LL_FS_MAKE_BLOCK | \
				 LL_FS_MAKE_FIFO | LL_FS_MAKE_SOCK | \
				 LL_FS_MAKE_SYM | LL_FS_IOCTL_DEV)
#define LL_FILE_RIGHTS		(LL_FS_EXECUTE | LL_FS_WRITE_FILE | \
				 LL_FS_READ_FILE | LL_FS_TRUNCATE | \
				 LL_FS_IOCTL_DEV)

struct ll_ruleset_attr {
	uint64_t	fs;
	uint64_t	net;
	uint64_t	scoped;
};

struct ll_path_beneath {
	uint64_t	allowed;
	int32_t		parent_fd;
} __attribute__((packed));

int
sandbox_landlock_abi(void)
{
	long abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static int
ll_add(int rfd, const char *path, uint64_t rights, uint64_t handled,
    int optional, char *err, size_t errlen)
{
	struct ll_path_beneath	pb;
	struct stat		st;
	int			fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (optional && errno == ENOENT)
			return 0;
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		rights &= LL_FILE_RIGHTS;
	pb.allowed = rights & handled;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) == -1) {
		(void)snprintf(err, errlen, "rule for %s: %s", path,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	return 0;
}

struct ll_net_port {
	uint64_t	allowed;
	uint64_t	port;
} __attribute__((packed));

#define LL_RULE_NET_PORT	2

/* Allow the TCP rights on one port. */
static int
ll_port(int rfd, uint64_t rights, uint16_t port, char *err, size_t errlen)
{
	struct ll_net_port np;

	np.allowed = rights;
	np.port = port;
	if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_NET_PORT, &np,
	    0) == -1) {
		(void)snprintf(err, errlen, "rule for TCP port %u: %s",
		    (unsigned)port, strerror(errno));
		return -1;
	}
	return 0;
}

/* The rights of a SANDBOX_LL_* mode, within the handled ones. */
static uint64_t
ll_rights(int mode, uint64_t handled)
{
	if (mode == SANDBOX_LL_ALL)
		return handled;
	if (mode == SANDBOX_LL_FILES)
		return LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_WRITE_FILE |
		    LL_FS_MAKE_REG | LL_FS_REMOVE_FILE | LL_FS_TRUNCATE;
	if (mode == SANDBOX_LL_TREE)
		return handled & ~(LL_FS_EXECUTE_DEV_MASK);
	if (mode == SANDBOX_LL_RW_FILE)
		return LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
	return LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR;
}

int
sandbox_landlock_ex(const struct sandbox_ll *l, char *err, size_t errlen)
{
	struct ll_ruleset_attr	 a;
	size_t			 asz, i;
	int			 abi, rfd;

	if ((abi = sandbox_landlock_abi()) < 1) {
		(void)snprintf(err, errlen, "the kernel has no Landlock "
		    "(needs Linux 5.13 with lsm=landlock)");
		return -1;
	}
	if ((l->nconnect > 0 || l->bind_ephemeral) && abi < 4) {
		(void)snprintf(err, errlen, "Landlock ABI %d cannot limit TCP "
		    "ports (needs ABI 4, Linux 6.7)", abi);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.fs = (1ULL << 13) - 1;
	if (abi >= 2)
		a.fs |= LL_FS_REFER;
	if (abi >= 3)
		a.fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		a.fs |= LL_FS_IOCTL_DEV;
	asz = sizeof(a.fs);
	if (abi >= 4) {
		a.net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		asz = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		asz = sizeof(a);
	}
	if ((rfd = (int)syscall(SYS_landlock_create_ruleset, &a, asz,
	    0)) == -1) {
		(void)snprintf(err, errlen, "landlock_create_ruleset: %s",
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < l->nro; i++)
		if (ll_add(rfd, l->ro[i], ll_rights(SANDBOX_LL_RO, a.fs),
		    a.fs, 1, err, errlen) == -1)
			goto fail;
	for (i = 0; i < l->nrw && i < SANDBOX_LL_MAX_RW; i++)
		if (l->rw[i] != NULL && ll_add(rfd, l->rw[i],
		    ll_rights(l->rw_mode[i], a.fs), a.fs, 0, err,
		    errlen) == -1)
			goto fail;
	for (i = 0; i < l->nconnect; i++)
		if (ll_port(rfd, LL_NET_CONNECT_TCP, l->connect[i], err,
		    errlen) == -1)
			goto fail;
	if (l->bind_ephemeral && ll_port(rfd, LL_NET_BIND_TCP, 0, err,
	    errlen) == -1)
		goto fail;
	if (syscall(SYS_landlock_restrict_self, rfd, 0) == -1) {
		(void)snprintf(err, errlen, "landlock_restrict_self: %s",
		    strerror(errno));
		goto fail;
	}
	(void)close(rfd);
	return 0;
fail:
	(void)close(rfd);
	return -1;
}

int
sandbox_landlock(const char (*ro)[SANDBOX_RO_LEN], size_t nro,
    const char *rw, int rw_mode, char *err, size_t errlen)
{
	struct sandbox_ll l;

	memset(&l, 0, sizeof(l));
	l.ro = ro;
	l.nro = nro;
	l.rw[0] = rw;
	l.rw_mode[0] = rw_mode;
	l.nrw = rw != NULL;
	return sandbox_landlock_ex(&l, err, errlen);
}

void
sandbox_seal(struct sandbox *sb)
{
	struct sock_fprog	 prog;
	char			*bpf;
	size_t			 len;

	(void)sb;
	if (lseek(FD_SECCOMP, 0, SEEK_SET) == -1 ||
	    util_read_fd(FD_SECCOMP, 256 * 1024, &bpf, &len) == -1)
		fatal("cannot read seccomp program on fd %d", FD_SECCOMP);
	(void)close(FD_SECCOMP);
	if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		fatalx("seccomp program has a bad size (%zu)", len);
#ifdef MUPIF_TEST_HOOKS
	if (signal(SIGUSR2, test_forbidden) == SIG_ERR)
		fatal("signal");
#endif
	prog.len = (unsigned short)(len / sizeof(struct sock_filter));
	prog.filter = (struct sock_filter *)(void *)bpf;
	/* 6. On every thread, or fail (TSYNC returns the offending tid). */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
		fatal("seccomp");
	free(bpf);
	log_info("confined: seccomp filter of %u instructions, uid %u",
	    (unsigned)prog.len, (unsigned)getuid());
}
