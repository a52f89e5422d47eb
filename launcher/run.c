/*
 * run.c - `mupif-central run`: set up and supervise the node.
 *
 * Start: configuration and every policy file are parsed and compiled first
 * (a mistake stops here, exit 2, naming file and line); then the persistent
 * layout is created, the listening sockets bound, the broker started, and
 * each service started with its own socketpair handed to the broker.
 *
 * Supervision: a service that dies is restarted with exponential backoff
 * (100 ms doubling to 30 s; reset after 10 s of good running), at most
 * restart_max times in restart_window seconds, after which it is left
 * stopped and reported.  If the broker dies every service is restarted
 * with it (their channels died with it).  SIGTERM or SIGINT stop every
 * service within 5 seconds.  State goes to run/status.json for
 * `mupif-central status`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>

#include "audit.h"
#include "json.h"
#include "launcher.h"
#include "log.h"
#include "msg.h"
#include "policy.h"
#include "sandbox.h"
#include "banned.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	30000
#define GOOD_RUN_MS	10000
#define STOP_GRACE_MS	4500

/* The services this node runs, in start order (broker first). */
static struct service services[] = {
	{ .name = "broker",	.id = SVC_BROKER },
	{ .name = "db",		.id = SVC_DB },
	{ .name = "auth",	.id = SVC_AUTH },
	{ .name = "api",		.id = SVC_API },
	{ .name = "safeapi",	.id = SVC_SAFEAPI },
	{ .name = "nameserver",	.id = SVC_NAMESERVER },
	{ .name = "scheduler",	.id = SVC_SCHEDULER },
	{ .name = "vpn",	.id = SVC_VPN },
};
#define NSERVICES	(sizeof(services) / sizeof(services[0]))

static struct {
	struct conf	 c;
	int		 privileged;
	char		 exedir[PATH_MAX];
	char		 policy_dir[PATH_MAX];
	char		*policy_text;
	uint8_t		*coarse;
	size_t		 coarselen;
	uint8_t		*runnerbpf;	/* runner.seccomp, for the scheduler */
	size_t		 runnerbpflen;
	char		 sched_id[65];
	int		 ctl;		/* control channel to the broker */
	int		 sigfd;
	int64_t		 started;
	struct logsink	 log;
	char		 statuspath[PATH_MAX + 32];
	int		 stopping;
	int64_t		 stop_deadline;
	int		 echo;
	int		 lockfd;
	const char	*db_mode;	/* the db's "mode"; NULL: serve */
	struct ckpt_state ckpt;		/* signed audit checkpoints */
	int64_t		 next_ckpt;	/* mono ms */
} L = { .ctl = -1, .sigfd = -1, .lockfd = -1 };

static void
llog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A launcher line: logs/launcher.log and stderr. */
static void
llog(const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (L.log.fd >= 0)
		logsink_line(&L.log, "launcher", buf, (size_t)n,
		    L.c.log_max_bytes, (unsigned)L.c.log_keep, 1);
	else
		log_info("%s", buf);
}

static struct service *
svc_by_id(int id)
{
	size_t i;

	for (i = 0; i < NSERVICES; i++)
		if (services[i].id == id)
			return &services[i];
	return NULL;
}

static void
save_status(void)
{
	status_write(L.statuspath, getpid(), L.started, services, NSERVICES);
}

/*
 * The launcher runs as root and trusts its policies, its configuration
 * and the service binaries next to it: each must belong to root or to the
 * owner of the launcher binary itself (who could replace the launcher
 * anyway), and must not be writable by group or others.
 */
static int
check_owner(const char *path)
{
	static uid_t	 owner = (uid_t)-1;
	struct stat	 st;

	if (!L.privileged)
		return 0;
	if (owner == (uid_t)-1) {
		if (stat("/proc/self/exe", &st) == -1)
			fatal("stat /proc/self/exe");
		owner = st.st_uid;
	}
	if (stat(path, &st) == -1) {
		(void)fprintf(stderr, "mupif-central: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != owner) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		(void)fprintf(stderr, "mupif-central: refusing %s: owned by "
		    "uid %u with mode %04o; it must belong to root or uid %u "
		    "and not be writable by group or others\n", path,
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
		    (unsigned)owner);
		return -1;
	}
	return 0;
}

/* Read one file of the policy directory (also the @include loader). */
static int
policy_read(void *arg, const char *name, char **text, size_t *len)
{
	char path[PATH_MAX + 128];

	(void)arg;
	if (snprintf(path, sizeof(path), "%s/%s", L.policy_dir, name) >=
	    (int)sizeof(path))
		return -1;
	if (check_owner(path) == -1) {
		errno = EPERM;
		return -1;
	}
	return util_read_file(path, SC_MAX_FILE, text, len);
}

/* Parse and compile a seccomp policy into a heap buffer. */
static int
compile_seccomp(const char *name, uint8_t **out, size_t *outlen)
{
	struct sc_policy	*pol;
	char			*text, *bpf, err[512];
	size_t			 len;
	int			 fd;

	if (policy_read(NULL, name, &text, &len) == -1) {
		(void)fprintf(stderr, "mupif-central: policy %s/%s: %s\n",
		    L.policy_dir, name, strerror(errno));
		return -1;
	}
	if ((pol = malloc(sizeof(*pol))) == NULL)
		fatal("malloc");
	if (sc_parse(pol, text, len, name, policy_read, NULL, err,
	    sizeof(err)) == -1) {
		(void)fprintf(stderr, "mupif-central: policy %s\n", err);
		free(text);
		free(pol);
		return -1;
	}
	free(text);
	if ((fd = memfd_create("bpf", MFD_CLOEXEC)) == -1)
		fatal("memfd_create");
	if (sc_compile(pol, fd, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "mupif-central: policy %s: %s\n", name,
		    err);
		free(pol);
		(void)close(fd);
		return -1;
	}
	free(pol);
	if (lseek(fd, 0, SEEK_SET) == -1 ||
	    util_read_fd(fd, 1024 * 1024, &bpf, &len) == -1)
		fatal("reading compiled policy");
	(void)close(fd);
	*out = (uint8_t *)bpf;
	*outlen = len;
	return 0;
}

static int
load_policies(void)
{
	char		*text, err[512], path[PATH_MAX + 64];
	size_t		 len, i;
	struct policy	 pol;
	struct passwd	*pw;

	if (policy_read(NULL, "broker.policy", &L.policy_text, &len) == -1) {
		(void)fprintf(stderr, "mupif-central: policy %s/broker.policy:"
		    " %s\n", L.policy_dir, strerror(errno));
		return -1;
	}
	if (policy_parse(&pol, L.policy_text, len, "broker.policy", err,
	    sizeof(err)) == -1) {
		(void)fprintf(stderr, "mupif-central: policy %s\n", err);
		return -1;
	}
	if (compile_seccomp("coarse.seccomp", &L.coarse, &L.coarselen) == -1)
		return -1;
	/* The scheduler stacks it on each workflow run (a deny list). */
	if (compile_seccomp("runner.seccomp", &L.runnerbpf,
	    &L.runnerbpflen) == -1)
		return -1;
	for (i = 0; i < NSERVICES; i++) {
		struct service *s = &services[i];

		/* The db on MongoDB, and the nameserver connecting to
		 * registered endpoints (autoclean, ns_probe), need the
		 * network: their own profiles. */
		(void)snprintf(path, sizeof(path), "%s%s.profile", s->name,
		    s->id == SVC_DB && strcmp(L.c.db_backend, "mongo") == 0 ?
		    "-mongo" : s->id == SVC_NAMESERVER &&
		    (L.c.ns_autoclean_s > 0 || L.c.ns_probe) ? "-autoclean" :
		    "");
		if (policy_read(NULL, path, &text, &len) == -1) {
			(void)fprintf(stderr, "mupif-central: policy %s/%s: "
			    "%s\n", L.policy_dir, path, strerror(errno));
			return -1;
		}
		if (profile_parse(&s->prof, text, len, path, err,
		    sizeof(err)) == -1) {
			(void)fprintf(stderr, "mupif-central: policy %s\n",
			    err);
			free(text);
			return -1;
		}
		free(text);
		if (compile_seccomp(s->prof.seccomp, &s->bpf, &s->bpflen) == -1)
			return -1;
		if (L.privileged) {
			if ((pw = getpwnam(s->prof.user)) == NULL) {
				(void)fprintf(stderr, "mupif-central: user "
				    "\"%s\" (policy/%s.profile) does not "
				    "exist; run scripts/setup.sh\n",
				    s->prof.user, s->name);
				return -1;
			}
			if (pw->pw_uid == 0) {
				(void)fprintf(stderr, "mupif-central: user "
				    "\"%s\" is root\n", s->prof.user);
				return -1;
			}
			s->uid = pw->pw_uid;
			s->gid = pw->pw_gid;
		} else {
			s->uid = getuid();
			s->gid = getgid();
		}
		(void)snprintf(s->exe, sizeof(s->exe), "%s/mupif-%s",
		    L.exedir, s->name);
		if (access(s->exe, X_OK) == -1) {
			(void)fprintf(stderr, "mupif-central: %s: %s\n", s->exe,
			    strerror(errno));
			return -1;
		}
		if (check_owner(s->exe) == -1)
			return -1;
		s->listen_fd = -1;
		s->logpipe = -1;
		s->log.fd = -1;
	}
	return 0;
}

/* mkdir -p style for one level, then ownership and mode. */
static int
make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		(void)fprintf(stderr, "mupif-central: mkdir %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		(void)fprintf(stderr, "mupif-central: %s: not a directory\n",
		    path);
		return -1;
	}
	if (L.privileged && (st.st_uid != uid || st.st_gid != gid) &&
	    lchown(path, uid, gid) == -1) {
		(void)fprintf(stderr, "mupif-central: chown %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) == -1) {
		(void)fprintf(stderr, "mupif-central: chmod %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
make_layout(void)
{
	char		 path[PATH_MAX + 64], real[PATH_MAX];
	size_t		 i;
	struct service	*db = svc_by_id(SVC_DB), *br = svc_by_id(SVC_BROKER);
	struct service	*ns = svc_by_id(SVC_NAMESERVER);
	struct service	*sc = svc_by_id(SVC_SCHEDULER);
	struct service	*au = svc_by_id(SVC_AUTH);
	uid_t		 me = geteuid();
	gid_t		 mg = getegid();

	if (mkdir(L.c.persistent, 0755) == -1 && errno != EEXIST) {
		(void)fprintf(stderr, "mupif-central: mkdir %s: %s\n",
		    L.c.persistent, strerror(errno));
		return -1;
	}
	if (realpath(L.c.persistent, real) == NULL) {
		(void)fprintf(stderr, "mupif-central: %s: %s\n",
		    L.c.persistent, strerror(errno));
		return -1;
	}
	(void)strlcpy(L.c.persistent, real, sizeof(L.c.persistent));
#define P(sub) (persistent_path(&L.c, sub, path, sizeof(path)) == -1 ? \
	(fprintf(stderr, "mupif-central: path too long\n"), -1) : 0)
	if (P("logs") || make_dir(path, 0750, me, mg) == -1 ||
	    P("run") || make_dir(path, 0755, me, mg) == -1 ||
	    P("run/empty") || make_dir(path, 0755, me, mg) == -1 ||
	    P("db") || make_dir(path, 0700, db->uid, db->gid) == -1 ||
	    P("audit") || make_dir(path, 0700, br->uid, br->gid) == -1 ||
	    P("nameserver") || make_dir(path, 0700, ns->uid, ns->gid) == -1 ||
	    P("scheduler") || make_dir(path, 0700, sc->uid, sc->gid) == -1 ||
	    P("auth") || make_dir(path, 0700, au->uid, au->gid) == -1 ||
	    P("backup") || make_dir(path, 0700, me, mg) == -1 ||
	    P("keys") || make_dir(path, 0700, me, mg) == -1)
		return -1;
#undef P
	for (i = 0; i < NSERVICES; i++) {
		struct service *s = &services[i];

		if (strcmp(s->prof.chroot, "empty") == 0)
			(void)persistent_path(&L.c, "run/empty", s->jail,
			    sizeof(s->jail));
		else if (persistent_path(&L.c, s->prof.chroot, s->jail,
		    sizeof(s->jail)) == -1)
			return -1;
	}
	return 0;
}

static int
port_of(const char *listen, uint64_t *port)
{
	if (strcmp(listen, "safeapi") == 0)
		*port = L.c.safeapi_port;
	else if (strcmp(listen, "api") == 0)
		*port = L.c.api_port;
	else if (strcmp(listen, "web") == 0)
		*port = L.c.web_port;
	else if (strcmp(listen, "nameserver") == 0)
		*port = L.c.ns_port;
	else
		return -1;
	return 0;
}

static int
bind_listener(struct service *s)
{
	struct addrinfo	 hints, *ai;
	uint64_t	 port;
	char		 pstr[8];
	int		 fd, one = 1, rc;

	if (s->prof.listen[0] == '\0')
		return 0;
	if (port_of(s->prof.listen, &port) == -1) {
		(void)fprintf(stderr, "mupif-central: policy/%s.profile: "
		    "unknown listener \"%s\"\n", s->name, s->prof.listen);
		return -1;
	}
	(void)snprintf(pstr, sizeof(pstr), "%u", (unsigned)port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(L.c.bind_address, pstr, &hints, &ai)) != 0) {
		(void)fprintf(stderr, "mupif-central: bind_address \"%s\": "
		    "%s\n", L.c.bind_address, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 128) == -1) {
		(void)fprintf(stderr, "mupif-central: cannot listen on "
		    "%s:%s for %s: %s\n", L.c.bind_address, pstr, s->name,
		    strerror(errno));
		freeaddrinfo(ai);
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	freeaddrinfo(ai);
	s->listen_fd = fd;
	llog("%s listens on %s port %s", s->name, L.c.bind_address, pstr);
	return 0;
}

/* The scheduler's part of its start-up document: the run limits, who it
 * is, where the REST API and the nameserver are, and the runner filter. */
static void
sched_doc(yajl_gen g)
{
	char		*b64;
	size_t		 b64len;
	const char	*host;
	char		 url[320], ns[320];

	json_gen_kv_int(g, "run_slots", (long long)L.c.run_slots);
	json_gen_kv_int(g, "run_timeout_s", (long long)L.c.run_timeout_s);
	json_gen_kv_int(g, "run_cpu_s", (long long)(L.c.run_cpu_s != 0 ?
	    L.c.run_cpu_s : L.c.run_timeout_s));
	json_gen_kv_int(g, "run_mem_mb", (long long)L.c.run_mem_mb);
	json_gen_kv_int(g, "run_nproc", (long long)L.c.run_nproc);
	json_gen_kv_int(g, "run_fsize_mb", (long long)L.c.run_fsize_mb);
	json_gen_kv_int(g, "run_nofile", (long long)L.c.run_nofile);
	json_gen_kv_int(g, "run_log_max", (long long)L.c.run_log_max);
	json_gen_kv_int(g, "run_max_attempts",
	    (long long)L.c.run_max_attempts);
	json_gen_kv_int(g, "run_poll_s", (long long)L.c.run_poll_s);
	json_gen_kv_str(g, "owner", L.sched_id);
	/* The api listens on bind_address; a wildcard is reached on the
	 * loopback. */
	host = L.c.bind_address;
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 ||
	    host[0] == '\0')
		host = "127.0.0.1";
	(void)snprintf(url, sizeof(url), strchr(host, ':') != NULL ?
	    "http://[%s]:%llu/" : "http://%s:%llu/", host,
	    (unsigned long long)L.c.api_port);
	json_gen_kv_str(g, "api_url", url);
	(void)snprintf(ns, sizeof(ns), "%s:%llu", L.c.ns_host,
	    (unsigned long long)L.c.ns_port);
	json_gen_kv_str(g, "ns", ns);
	b64len = sodium_base64_ENCODED_LEN(L.runnerbpflen,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = malloc(b64len)) == NULL)
		fatal("malloc");
	(void)sodium_bin2base64(b64, b64len, L.runnerbpf, L.runnerbpflen,
	    sodium_base64_VARIANT_ORIGINAL);
	json_gen_kv_str(g, "runner_bpf", b64);
	free(b64);
}

/* The vpn service's fd 0 and fd 1 while start_service starts it (-1:
 * none), for its start-up document; and the pid of its UAPI relay
 * (vpn_relay.c; 0: none), which reap() knows is no service. */
static struct {
	int	in, map;
	pid_t	relay;
} vpn_fds = { -1, -1, 0 };

/* The time-out of one UAPI exchange, for the vpn service and its relay:
 * well before the broker gives up. */
static long long
vpn_timeout_ms(void)
{
	return (long long)(L.c.broker_timeout_ms / 2 > 0 ?
	    L.c.broker_timeout_ms / 2 : 1);
}

/* The start-up document of sandbox.h for service s. */
static char *
start_doc(const struct service *s, size_t *len)
{
	yajl_gen		 g;
	const unsigned char	*buf;
	char			*out;

	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "service", s->name);
	json_gen_cstr(g, "privileged");
	(void)yajl_gen_bool(g, L.privileged);
	json_gen_kv_int(g, "uid", s->uid);
	json_gen_kv_int(g, "gid", s->gid);
	json_gen_kv_int(g, "caps", (long long)(s->prof.caps & INT64_MAX));
	json_gen_kv_str(g, "chroot", s->jail);
	json_gen_kv_int(g, "launcher_pid", getpid());
	if (s->prof.landlock) {
		size_t i;

		/* Not chrooted: Landlock to the jail and these paths. */
		json_gen_cstr(g, "landlock");
		(void)yajl_gen_array_open(g);
		for (i = 0; i < s->prof.nlandlock; i++)
			json_gen_cstr(g, s->prof.landlock_ro[i]);
		(void)yajl_gen_array_close(g);
	}
	if (s->id == SVC_SCHEDULER) {
		uint16_t	ports[CONF_RUN_PORTS_MAX];
		int		n, i;

		/* Workflow runs reach the REST API, the nameserver and the
		 * ports configured (job managers), and may bind an
		 * ephemeral port (their Pyro daemon); nothing else. */
		json_gen_cstr(g, "landlock_net");
		(void)yajl_gen_map_open(g);
		json_gen_cstr(g, "connect");
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_integer(g, (long long)L.c.api_port);
		(void)yajl_gen_integer(g, (long long)L.c.ns_port);
		n = conf_ports(L.c.run_net_ports, ports, CONF_RUN_PORTS_MAX);
		for (i = 0; i < n; i++)
			(void)yajl_gen_integer(g, ports[i]);
		(void)yajl_gen_array_close(g);
		json_gen_cstr(g, "bind_ephemeral");
		(void)yajl_gen_bool(g, 1);
		(void)yajl_gen_map_close(g);
	}
	json_gen_cstr(g, "debug");
	(void)yajl_gen_bool(g, L.c.debug != 0);
	json_gen_cstr(g, "config");
	(void)yajl_gen_map_open(g);
	switch (s->id) {
	case SVC_BROKER:
		json_gen_kv_str(g, "policy", L.policy_text);
		json_gen_kv_int(g, "timeout_ms",
		    (long long)L.c.broker_timeout_ms);
		json_gen_kv_int(g, "rate", (long long)L.c.broker_rate);
		/* sched.inspect runs a workflow for up to inspect_timeout_s:
		 * the broker waits that long plus extraction and start-up. */
		json_gen_kv_int(g, "inspect_timeout_ms",
		    (long long)(L.c.inspect_timeout_s * 1000 + 5000));
		/* ns.jobmans and ns.schedulers answer when their probe
		 * round ends. */
		json_gen_kv_int(g, "jobmans_timeout_ms",
		    (long long)L.c.ns_probe_budget_ms + 1000);
		break;
	case SVC_DB:
		json_gen_kv_str(g, "mode", L.db_mode != NULL ? L.db_mode :
		    "serve");
		json_gen_kv_str(g, "backend", L.c.db_backend);
		json_gen_kv_str(g, "mongo_uri", L.c.mongo_uri);
		json_gen_kv_str(g, "mongo_db", L.c.mongo_db);
		json_gen_kv_int(g, "file_max_bytes",
		    (long long)L.c.file_max_bytes);
		break;
	case SVC_AUTH:
		json_gen_cstr(g, "registration");
		(void)yajl_gen_bool(g, L.c.registration != 0);
		json_gen_kv_int(g, "login_rate_user",
		    (long long)L.c.login_rate_user);
		json_gen_kv_int(g, "login_rate_addr",
		    (long long)L.c.login_rate_addr);
		/* Its db calls must end before the broker gives up on the
		 * api's call to it. */
		json_gen_kv_int(g, "call_timeout_ms",
		    (long long)L.c.broker_timeout_ms);
		break;
	case SVC_SAFEAPI:
		json_gen_kv_str(g, "vpn_name", L.c.vpn_name);
		json_gen_kv_int(g, "status_cache_ms",
		    (long long)L.c.status_cache_ms);
		json_gen_kv_int(g, "status_min_refresh_ms",
		    (long long)L.c.status_min_refresh_ms);
		json_gen_kv_str(g, "ns_host", L.c.ns_host);
		json_gen_kv_int(g, "ns_port", (long long)L.c.ns_port);
		json_gen_kv_int(g, "call_timeout_ms",
		    (long long)L.c.broker_timeout_ms + 1000);
		json_gen_kv_int(g, "jobmans_timeout_ms",
		    (long long)L.c.ns_probe_budget_ms + 2000);
		json_gen_kv_int(g, "rate", (long long)L.c.safeapi_rate);
		json_gen_kv_int(g, "burst", (long long)L.c.safeapi_burst);
		json_gen_kv_str(g, "trusted_proxy", L.c.trusted_proxy);
		json_gen_kv_int(g, "timeout_s",
		    (long long)L.c.safeapi_timeout_s);
		json_gen_kv_int(g, "max_conn_per_addr",
		    (long long)L.c.safeapi_max_conn_per_addr);
		json_gen_kv_int(g, "max_request",
		    (long long)L.c.safeapi_max_request);
		break;
	case SVC_API:
		json_gen_kv_int(g, "call_timeout_ms",
		    (long long)L.c.broker_timeout_ms + 1000);
		json_gen_kv_int(g, "max_body", (long long)L.c.api_max_body);
		json_gen_kv_int(g, "file_max_bytes",
		    (long long)L.c.file_max_bytes);
		json_gen_kv_int(g, "threads", (long long)L.c.api_threads);
		json_gen_kv_int(g, "auth_cache_ms",
		    (long long)L.c.api_auth_cache_ms);
		json_gen_kv_int(g, "max_conn_per_addr",
		    (long long)L.c.api_max_conn_per_addr);
		json_gen_cstr(g, "cookie_secure");
		(void)yajl_gen_bool(g, L.c.cookie_secure != 0);
		json_gen_cstr(g, "registration");
		(void)yajl_gen_bool(g, L.c.registration != 0);
		break;
	case SVC_NAMESERVER:
		json_gen_kv_int(g, "ns_port", (long long)L.c.ns_port);
		json_gen_kv_str(g, "bind_address", L.c.bind_address);
		json_gen_kv_str(g, "ns_host", L.c.ns_host);
		json_gen_kv_int(g, "max_message",
		    (long long)L.c.ns_max_message);
		json_gen_kv_int(g, "max_entries",
		    (long long)L.c.ns_max_entries);
		json_gen_kv_int(g, "max_connections",
		    (long long)L.c.ns_max_connections);
		json_gen_kv_int(g, "autoclean_s",
		    (long long)L.c.ns_autoclean_s);
		json_gen_kv_str(g, "autoclean_nets", L.c.ns_autoclean_nets);
		json_gen_cstr(g, "write_protect");
		(void)yajl_gen_bool(g, L.c.ns_write_protect != 0);
		json_gen_cstr(g, "probe");
		(void)yajl_gen_bool(g, L.c.ns_probe != 0);
		json_gen_kv_int(g, "probe_budget_ms",
		    (long long)L.c.ns_probe_budget_ms);
		break;
	case SVC_SCHEDULER:
		json_gen_kv_str(g, "runner_python", L.c.runner_python);
		json_gen_kv_int(g, "inspect_cpu_s",
		    (long long)L.c.inspect_cpu_s);
		json_gen_kv_int(g, "inspect_mem_mb",
		    (long long)L.c.inspect_mem_mb);
		json_gen_kv_int(g, "inspect_timeout_s",
		    (long long)L.c.inspect_timeout_s);
		json_gen_kv_int(g, "inspect_max_bytes",
		    (long long)L.c.inspect_max_bytes);
		sched_doc(g);
		break;
	case SVC_VPN:
		/* "source": what fd 0 is (start_service opens it first):
		 * the connected UAPI socket ("connected" false if the connect
		 * failed), vpn_dump_file, or nothing.  The interface of a
		 * UAPI answer or a one-interface dump is the VPN name.
		 * "peer_map": fd 1 is the opened vpn_peer_map. */
		json_gen_kv_str(g, "source", L.c.vpn_uapi_socket[0] != '\0' ?
		    "uapi" : L.c.vpn_dump_file[0] != '\0' ? "dump" : "none");
		json_gen_cstr(g, "connected");
		(void)yajl_gen_bool(g, vpn_fds.in != -1);
		json_gen_cstr(g, "peer_map");
		(void)yajl_gen_bool(g, vpn_fds.map != -1);
		json_gen_cstr(g, "show_endpoints");
		(void)yajl_gen_bool(g, L.c.vpn_show_endpoints != 0);
		json_gen_kv_str(g, "iface", L.c.vpn_name);
		/* One exchange must end well before the broker gives up. */
		json_gen_kv_int(g, "uapi_timeout_ms", vpn_timeout_ms());
		/* Exits to reconnect come at most this often: each counts
		 * as a good run (no back-off growth), and at most
		 * restart_max - 1 fit in restart_window, so a hub that is
		 * down for long never makes the launcher give up. */
		{
			uint64_t rec = L.c.restart_window * 1000 /
			    L.c.restart_max + 1000;

			if (rec < GOOD_RUN_MS + 1000)
				rec = GOOD_RUN_MS + 1000;
			json_gen_kv_int(g, "reconnect_ms", (long long)rec);
		}
		break;
	default:
		break;
	}
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, len) != yajl_gen_status_ok ||
	    (out = malloc(*len)) == NULL)
		fatal("start document");
	memcpy(out, buf, *len);
	yajl_gen_free(g);
	return out;
}

/*
 * Open path (the value of config key key) read-only as root for a
 * service that cannot open it itself: a regular file only (no FIFO,
 * device or symbolic link).  The descriptor, or -1 (logged) when the key
 * is unset or the file unusable.
 */
static int
open_regular(const char *key, const char *path)
{
	struct stat	st;
	int		fd;

	if (path[0] == '\0')
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		llog("%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		llog("%s %s: not a regular file", key, path);
		(void)close(fd);
		return -1;
	}
	return fd;
}

/*
 * vpn_dump_file, opened read-only for the vpn service's fd 0: the service
 * has no open(2) and no access to the path.  Opened by root because the
 * dump holds the hub's private key and should be readable by root only.
 * A regular file only (no FIFO, device or symbolic link).  -1 (fd 0 is
 * then /dev/null, which the service reports as an empty dump) when unset
 * or unreadable.
 */
static int
open_vpn_dump(void)
{
	return open_regular("vpn_dump_file", L.c.vpn_dump_file);
}

/*
 * vpn_uapi_socket: connected here, as root, and given to a new get-only
 * relay (vpn_relay.c, running as the vpn service's user); the vpn service
 * gets the relay's socketpair end as its fd 0, so it needs no capability,
 * no socket(2) and no path (wireguard-go's /var/run/wireguard/<iface>.sock
 * is root's 0700), and it can neither send "set=1" nor see a key.
 * The path must name a socket (lstat: no symbolic link).  Non-blocking:
 * a listener with a full backlog fails now instead of hanging the
 * launcher (the relay polls).  -1 when unset or unreachable; the
 * service then answers errors and exits after a while to be restarted,
 * which reconnects (a new connection and a new relay).
 */
static int
open_vpn_uapi(const struct service *s)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, svc;
	pid_t			 pid;

	if (L.c.vpn_uapi_socket[0] == '\0')
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, L.c.vpn_uapi_socket, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		llog("vpn_uapi_socket %s: path too long", L.c.vpn_uapi_socket);
		return -1;
	}
	if (lstat(L.c.vpn_uapi_socket, &st) == -1) {
		llog("vpn_uapi_socket %s: %s", L.c.vpn_uapi_socket,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		llog("vpn_uapi_socket %s: not a socket", L.c.vpn_uapi_socket);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		llog("vpn_uapi_socket: socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		llog("vpn_uapi_socket %s: %s", L.c.vpn_uapi_socket,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	/* A relay of an earlier start ends when its service's end closes;
	 * one still there is not needed any more. */
	if (vpn_fds.relay > 0)
		(void)kill(vpn_fds.relay, SIGKILL);
	pid = vpn_relay_start(fd, &svc, s->uid, s->gid, L.privileged,
	    vpn_timeout_ms(), &L.c, sizeof(L.c));
	(void)close(fd);
	if (pid == -1) {
		llog("vpn relay: %s", strerror(errno));
		return -1;
	}
	vpn_fds.relay = pid;
	llog("started vpn relay, pid %d", (int)pid);
	return svc;
}

/*
 * vpn_peer_map, opened read-only for the vpn service's fd 1 (the service
 * reads and checks it before jailing itself, then fd 1 is its log pipe
 * again).  A regular file only, no symbolic link.  -1 when unset or
 * unreadable (the service then names peers by key prefix).
 */
static int
open_vpn_peer_map(void)
{
	return open_regular("vpn_peer_map", L.c.vpn_peer_map);
}

static void
start_service(struct service *s)
{
	struct service	*br = svc_by_id(SVC_BROKER);
	struct msg_hdr	 h;
	int		 sp[2], lp[2];
	char		*doc, payload[64];
	size_t		 doclen;
	pid_t		 pid;
	int		 in;

	if (s->id != SVC_BROKER && br->state != ST_RUNNING) {
		s->state = ST_WAITING;
		s->next_start = util_mono_ms() + BACKOFF_MIN_MS;
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1 ||
	    pipe2(lp, O_CLOEXEC) == -1)
		fatal("socketpair/pipe");
	if (s->id == SVC_BROKER) {
		if (L.ctl != -1)
			(void)close(L.ctl);
		L.ctl = sp[0];
	} else {
		(void)snprintf(payload, sizeof(payload), "{\"service\":\"%s\"}",
		    s->name);
		if (msg_hdr_init(&h, MSG_CTL_ATTACH, 0, 0, MST_OK, NULL) == -1 ||
		    msg_send(L.ctl, &h, payload, strlen(payload), sp[0]) == -1) {
			llog("cannot hand %s's channel to the broker: %s",
			    s->name, strerror(errno));
			(void)close(sp[0]);
			(void)close(sp[1]);
			(void)close(lp[0]);
			(void)close(lp[1]);
			s->state = ST_WAITING;
			s->next_start = util_mono_ms() + BACKOFF_MIN_MS;
			return;
		}
		(void)close(sp[0]);
	}
	/* The vpn service's fds first: its start-up document says which
	 * of them could be opened. */
	vpn_fds.in = vpn_fds.map = -1;
	if (s->id == SVC_VPN) {
		vpn_fds.in = L.c.vpn_uapi_socket[0] != '\0' ? open_vpn_uapi(s) :
		    open_vpn_dump();
		vpn_fds.map = open_vpn_peer_map();
	}
	in = vpn_fds.in;
	doc = start_doc(s, &doclen);
	pid = spawn_service(s, sp[1], doc, doclen, L.coarse, L.coarselen,
	    lp[1], L.privileged, in, vpn_fds.map);
	free(doc);
	if (in != -1)
		(void)close(in);
	if (vpn_fds.map != -1)
		(void)close(vpn_fds.map);
	vpn_fds.in = vpn_fds.map = -1;
	(void)close(sp[1]);
	(void)close(lp[1]);
	if (pid == -1) {
		llog("cannot start %s: %s", s->name, strerror(errno));
		(void)close(lp[0]);
		s->state = ST_WAITING;
		s->next_start = util_mono_ms() + BACKOFF_MAX_MS;
		return;
	}
	if (fcntl(lp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	if (s->logpipe != -1)
		(void)close(s->logpipe);
	s->logpipe = lp[0];
	s->pid = pid;
	s->state = ST_RUNNING;
	s->started = util_wall_ms();
	s->started_mono = util_mono_ms();
	llog("started %s, pid %d", s->name, (int)pid);
	save_status();
}

static void
drain_log(struct service *s)
{
	char	buf[4096], who[48];
	ssize_t	n;

	if (s->logpipe == -1)
		return;
	(void)snprintf(who, sizeof(who), "%s[%d]", s->name, (int)s->pid);
	for (;;) {
		n = read(s->logpipe, buf, sizeof(buf));
		if (n > 0) {
			logsink_feed(&s->log, who, buf, (size_t)n,
			    L.c.log_max_bytes, (unsigned)L.c.log_keep, L.echo);
			continue;
		}
		if (n == 0) {
			(void)close(s->logpipe);
			s->logpipe = -1;
			if (s->log.plen > 0) {
				logsink_line(&s->log, who, s->log.pending,
				    s->log.plen, L.c.log_max_bytes,
				    (unsigned)L.c.log_keep, L.echo);
				s->log.plen = 0;
			}
		}
		break;
	}
}

static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		(void)snprintf(buf, len, "exited with code %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		(void)snprintf(buf, len, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		(void)snprintf(buf, len, "stopped (status %d)", status);
}

static void
schedule_restart(struct service *s, int collateral)
{
	int64_t		now = util_mono_ms(), delay;
	size_t		i, k;

	if (L.stopping) {
		s->state = ST_STOPPED;
		return;
	}
	if (!collateral) {
		if (now - s->started_mono >= GOOD_RUN_MS)
			s->consecutive = 0;
		s->consecutive++;
		/* Forget restarts outside the window, then count. */
		for (i = 0, k = 0; i < s->nrecent; i++)
			if (now - s->recent[i] <
			    (int64_t)L.c.restart_window * 1000)
				s->recent[k++] = s->recent[i];
		s->nrecent = k;
		if (s->nrecent >= L.c.restart_max) {
			s->state = ST_FAILED;
			llog("giving up on %s: %zu restarts in %llu s",
			    s->name, s->nrecent,
			    (unsigned long long)L.c.restart_window);
			return;
		}
		if (s->nrecent < sizeof(s->recent) / sizeof(s->recent[0]))
			s->recent[s->nrecent++] = now;
	}
	delay = BACKOFF_MIN_MS;
	for (i = 1; i < s->consecutive && delay < BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	s->restarts++;
	s->state = ST_WAITING;
	s->next_start = now + delay;
	llog("restarting %s in %lld ms", s->name, (long long)delay);
}

static void
reap(void)
{
	struct service	*s;
	char		 why[64];
	size_t		 i;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		s = NULL;
		for (i = 0; i < NSERVICES; i++)
			if (services[i].state == ST_RUNNING &&
			    services[i].pid == pid)
				s = &services[i];
		if (s == NULL && pid == vpn_fds.relay) {
			/* Not a service: the vpn service's UAPI relay
			 * (vpn_relay.c); its service sees the end and
			 * restarts, which starts a new relay. */
			vpn_fds.relay = 0;
			describe_exit(status, why, sizeof(why));
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
				llog("vpn relay[%d] %s", (int)pid, why);
			continue;
		}
		if (s == NULL)
			continue;
		drain_log(s);
		describe_exit(status, why, sizeof(why));
		(void)strlcpy(s->last_exit, why, sizeof(s->last_exit));
		/* While stopping, an exit 0 or our own SIGTERM is the
		 * expected end: only anything else is worth a line. */
		if (!L.stopping || !((WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0) || (WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGTERM)))
			llog("%s[%d] %s", s->name, (int)pid, why);
		s->pid = 0;
		schedule_restart(s, s->collateral);
		s->collateral = 0;
		if (s->id == SVC_BROKER) {
			/* Every channel died with the broker. */
			if (L.ctl != -1)
				(void)close(L.ctl);
			L.ctl = -1;
			for (i = 0; i < NSERVICES; i++)
				if (services[i].id != SVC_BROKER &&
				    services[i].state == ST_RUNNING) {
					(void)kill(services[i].pid, SIGTERM);
					services[i].collateral = 1;
				}
		}
		save_status();
	}
}

static void
begin_stop(const char *why)
{
	size_t i;

	if (L.stopping)
		return;
	L.stopping = 1;
	L.stop_deadline = util_mono_ms() + STOP_GRACE_MS;
	llog("stopping (%s)", why);
	if (vpn_fds.relay > 0)
		(void)kill(vpn_fds.relay, SIGTERM);
	for (i = 0; i < NSERVICES; i++) {
		if (services[i].state == ST_RUNNING &&
		    services[i].id != SVC_BROKER)
			(void)kill(services[i].pid, SIGTERM);
		else if (services[i].state != ST_RUNNING)
			services[i].state = ST_STOPPED;
	}
}

static int
stop_progress(void)
{
	size_t	i;
	int	others = 0, any = 0;

	for (i = 0; i < NSERVICES; i++)
		if (services[i].state == ST_RUNNING) {
			any = 1;
			if (services[i].id != SVC_BROKER)
				others = 1;
		}
	if (!any)
		return 1;
	if (!others) {
		struct service *br = svc_by_id(SVC_BROKER);

		if (br->state == ST_RUNNING)
			(void)kill(br->pid, SIGTERM);
	}
	if (util_mono_ms() >= L.stop_deadline)
		for (i = 0; i < NSERVICES; i++)
			if (services[i].state == ST_RUNNING) {
				llog("%s did not stop in time, killing",
				    services[i].name);
				(void)kill(services[i].pid, SIGKILL);
			}
	return 0;
}

/* Sign the audit log's head if it advanced (checkpoint.c). */
static void
audit_checkpoint(void)
{
	char msg[PATH_MAX + 256];

	if (ckpt_take(&L.c, &L.ckpt, msg, sizeof(msg)) != 0 &&
	    msg[0] != '\0')
		llog("%s", msg);
}

static int
lock_persistent(void)
{
	char	path[PATH_MAX + 32], buf[32];
	int	n;

	(void)persistent_path(&L.c, "run/launcher.pid", path, sizeof(path));
	if ((L.lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) == -1) {
		(void)fprintf(stderr, "mupif-central: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (flock(L.lockfd, LOCK_EX | LOCK_NB) == -1) {
		n = (int)read(L.lockfd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		(void)fprintf(stderr, "mupif-central: another launcher (pid "
		    "%s) runs on %s\n", buf, L.c.persistent);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(L.lockfd, 0) == -1 ||
	    pwrite(L.lockfd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}

static void	sched_owner(void);

/* Where the service binaries (next to ours) and the policies are. */
static void
find_dirs(void)
{
	char	exe[PATH_MAX];
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	(void)strlcpy(L.exedir, dirname(exe), sizeof(L.exedir));
	if (L.c.policy_dir[0] != '\0')
		(void)strlcpy(L.policy_dir, L.c.policy_dir,
		    sizeof(L.policy_dir));
	else if (strlcpy(L.policy_dir, L.exedir, sizeof(L.policy_dir)) >=
	    sizeof(L.policy_dir) || strlcat(L.policy_dir, "/../policy",
	    sizeof(L.policy_dir)) >= sizeof(L.policy_dir))
		fatalx("policy directory path too long");
	sched_owner();
}

/*
 * The scheduler's claim owner: scheduler_id, or this host's name and a
 * digest of the persistent directory, so two nodes sharing one database
 * never take each other's executions for their own (and one node keeps
 * its name across restarts, which crash recovery relies on).
 */
static void
sched_owner(void)
{
	unsigned char	 h[4];
	char		 host[64], dir[PATH_MAX];
	size_t		 i;

	if (L.c.scheduler_id[0] != '\0') {
		(void)strlcpy(L.sched_id, L.c.scheduler_id,
		    sizeof(L.sched_id));
		return;
	}
	if (gethostname(host, sizeof(host)) == -1)
		(void)strlcpy(host, "host", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if (strchr("._-", host[i]) == NULL &&
		    !((host[i] >= 'a' && host[i] <= 'z') ||
		    (host[i] >= 'A' && host[i] <= 'Z') ||
		    (host[i] >= '0' && host[i] <= '9')))
			host[i] = '_';
	if (realpath(L.c.persistent, dir) == NULL)
		(void)strlcpy(dir, L.c.persistent, sizeof(dir));
	(void)crypto_generichash(h, sizeof(h), (const unsigned char *)dir,
	    strlen(dir), NULL, 0);
	(void)snprintf(L.sched_id, sizeof(L.sched_id), "%.40s:%02x%02x%02x%02x",
	    host, h[0], h[1], h[2], h[3]);
}

/*
 * `mupif-central policy check`: parse and compile every policy exactly as
 * `run` would.  `policy pfc FILE`: print FILE (a .seccomp in the policy
 * directory) compiled, as libseccomp's readable PFC.
 */
/*
 * What every command that starts services (run, db, user add) does
 * first: the configuration, the log level, who we are, where the
 * binaries and policies are, and every policy parsed and compiled.  0, or
 * -1 with the reason printed.
 */
static int
prepare(const struct opts *o)
{
	L.log.fd = -1;
	if (load_conf(o, &L.c, 0) == -1)
		return -1;
	log_setverbose((int)L.c.debug);
	L.privileged = geteuid() == 0;
	find_dirs();
	if (check_owner(L.policy_dir) == -1 || load_policies() == -1)
		return -1;
	return 0;
}

int
cmd_policy(const struct opts *o, int argc, char **argv)
{
	struct sc_policy	*pol;
	char			*text, err[512];
	size_t			 len, i;

	L.log.fd = -1;
	if (load_conf(o, &L.c, 0) == -1)
		return 2;
	L.privileged = geteuid() == 0;
	find_dirs();
	if (argc == 2 && strcmp(argv[1], "check") == 0) {
		if (load_policies() == -1)
			return 2;
		(void)printf("policy %s: broker.policy, coarse.seccomp",
		    L.policy_dir);
		for (i = 0; i < NSERVICES; i++)
			(void)printf(", %s.profile, %s (%zu bytes of BPF)",
			    services[i].name, services[i].prof.seccomp,
			    services[i].bpflen);
		(void)printf(": ok\n");
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "pfc") != 0) {
		(void)fprintf(stderr, "usage: mupif-central policy check | "
		    "policy pfc FILE.seccomp\n");
		return 2;
	}
	if (policy_read(NULL, argv[2], &text, &len) == -1) {
		(void)fprintf(stderr, "mupif-central: policy %s/%s: %s\n",
		    L.policy_dir, argv[2], strerror(errno));
		return 2;
	}
	if ((pol = malloc(sizeof(*pol))) == NULL)
		fatal("malloc");
	if (sc_parse(pol, text, len, argv[2], policy_read, NULL, err,
	    sizeof(err)) == -1 ||
	    sc_export_pfc(pol, STDOUT_FILENO, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "mupif-central: policy %s\n", err);
		free(text);
		free(pol);
		return 2;
	}
	free(text);
	free(pol);
	return 0;
}

/*
 * `mupif-central db export` / `db import`: the db binary once, in the
 * mode of that name, confined exactly as the db service (the same
 * profile and allowlist for the configured backend, jail, user, coarse
 * filter), with this command's stdin as its fd 0 (import) or our stdout
 * as its fd 1 (export), and its log lines on our stderr; no broker.  It
 * does not take the launcher lock: it works on a persistent directory
 * that a node runs on (the SQLite file in WAL mode has one writer at a
 * time and readers beside it; an import is one write transaction) as
 * well as on one that no node uses.  Exits with the db process's status.
 */
int
cmd_db(const struct opts *o, int argc, char **argv)
{
	struct service	*db;
	struct stat	 st;
	char		*doc, why[64];
	size_t		 doclen;
	pid_t		 pid;
	int		 status, fd, import;

	if (argc != 2 || (strcmp(argv[1], "export") != 0 &&
	    strcmp(argv[1], "import") != 0)) {
		(void)fprintf(stderr, "usage: mupif-central db export > FILE | "
		    "db import < FILE\n");
		return 2;
	}
	if (prepare(o) == -1)
		return 2;
	if (make_layout() == -1)
		return 1;
	/*
	 * The jailed process receives the one descriptor it uses as it is: our
	 * stdin to import from, or our stdout to export to (the other is
	 * /dev/null, or stderr for fd 1).  Not a directory: openat(2)
	 * relative to it would reach outside the jail.
	 */
	import = strcmp(argv[1], "import") == 0;
	fd = import ? STDIN_FILENO : STDOUT_FILENO;
	errno = 0;
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		(void)fprintf(stderr, "mupif-central: db %s: standard %s is "
		    "%s\n", argv[1], import ? "input" : "output",
		    errno == EBADF ? "not open" : "a directory");
		return 2;
	}
	db = svc_by_id(SVC_DB);
	L.db_mode = argv[1];
	doc = start_doc(db, &doclen);
	pid = spawn_service(db, -1, doc, doclen, L.coarse, L.coarselen,
	    STDERR_FILENO, L.privileged, import ? STDIN_FILENO : -1,
	    import ? -1 : STDOUT_FILENO);
	/* It holds mongo_uri. */
	explicit_bzero(doc, doclen);
	free(doc);
	if (pid == -1) {
		(void)fprintf(stderr, "mupif-central: db %s: cannot start %s: "
		    "%s\n", argv[1], db->exe, strerror(errno));
		return 1;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 0 ? 0 : 1;
	describe_exit(status, why, sizeof(why));
	(void)fprintf(stderr, "mupif-central: db %s: the db process %s\n",
	    argv[1], why);
	return 1;
}

/*
 * Read one line (the password) from standard input into pw (cap bytes,
 * NUL-terminated), without echo on a terminal; the newline (and a CR
 * before it) is not part of it.  0, or -1 with the reason in why.
 */
static int
read_password(char *pw, size_t cap, const char **why)
{
	struct termios	 old, quiet;
	size_t		 n = 0;
	ssize_t		 r;
	char		 ch;
	int		 echo_off = 0, rc = 0, got_nl = 0;

	if (isatty(STDIN_FILENO)) {
		(void)fputs("password: ", stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH,
			    &quiet) == 0;
		}
	}
	for (;;) {
		r = read(STDIN_FILENO, &ch, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (ch == '\n') {
			got_nl = 1;
			break;
		}
		if (ch == '\0') {
			*why = "the password contains a NUL byte";
			rc = -1;
			break;
		}
		if (n + 1 >= cap) {
			*why = "the password is too long (1024 bytes at most)";
			rc = -1;
			break;
		}
		pw[n++] = ch;
	}
	if (echo_off) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		(void)fputc('\n', stderr);
	}
	if (n > 0 && pw[n - 1] == '\r')
		n--;
	pw[n] = '\0';
	if (rc == 0 && n == 0 && !got_nl) {
		*why = "no password on standard input";
		rc = -1;
	}
	return rc;
}

/* Characters (UTF-8 sequences) in s, as the auth service counts them. */
static size_t
utf8_chars(const char *s)
{
	size_t i, n = 0;

	for (i = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * `mupif-central user add EMAIL [--admin]`: a REST API account.  The
 * password comes from standard input and is hashed here (Argon2id, as
 * the auth service does); the document {"mail", "name": mail, "surname":
 * "User", "password": hash, "rights_admin"} goes, in a sealed memfd as
 * its fd 0, to a one-shot db process in mode "user-add", confined as for
 * `db export|import` (and, like them, fine beside a running node).  The
 * password never leaves this process; the hash is wiped after the send.
 */
int
cmd_user(const struct opts *o, int argc, char **argv)
{
	struct service		*db;
	yajl_gen		 g;
	const unsigned char	*buf;
	const char		*mail, *why = NULL;
	char			 pw[1025], hash[crypto_pwhash_STRBYTES];
	char			*doc, what[64];
	size_t			 doclen, len, i;
	pid_t			 pid;
	int			 status, mfd;

	if (argc != 3 || strcmp(argv[1], "add") != 0) {
		(void)fprintf(stderr, "usage: mupif-central user add EMAIL "
		    "[--admin] < PASSWORD\n");
		return 2;
	}
	mail = argv[2];
	len = strlen(mail);
	for (i = 0; i < len; i++)
		if ((unsigned char)mail[i] <= 0x20 || mail[i] == 0x7f)
			break;
	if (len == 0 || len > 320 || i != len) {
		(void)fprintf(stderr, "mupif-central: user add: EMAIL must be "
		    "1 to 320 bytes without spaces or control characters\n");
		return 2;
	}
	if (prepare(o) == -1)
		return 2;
	if (read_password(pw, sizeof(pw), &why) == -1) {
		sodium_memzero(pw, sizeof(pw));
		(void)fprintf(stderr, "mupif-central: user add: %s\n", why);
		return 1;
	}
	if (utf8_chars(pw) < 6) {
		sodium_memzero(pw, sizeof(pw));
		(void)fprintf(stderr, "mupif-central: user add: Password must "
		    "be at least 6 characters long.\n");
		return 1;
	}
	if (sodium_init() < 0 || crypto_pwhash_str(hash, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		sodium_memzero(pw, sizeof(pw));
		(void)fprintf(stderr, "mupif-central: user add: cannot hash "
		    "the password\n");
		return 1;
	}
	sodium_memzero(pw, sizeof(pw));
	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "mail", mail);
	json_gen_kv_str(g, "name", mail);
	json_gen_kv_str(g, "surname", "User");
	json_gen_kv_str(g, "password", hash);
	json_gen_cstr(g, "rights_admin");
	(void)yajl_gen_bool(g, o->admin != 0);
	(void)yajl_gen_map_close(g);
	sodium_memzero(hash, sizeof(hash));
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		(void)fprintf(stderr, "mupif-central: user add: EMAIL is not "
		    "valid UTF-8\n");
		yajl_gen_free(g);
		return 2;
	}
	mfd = util_sealed_memfd("user", buf, len);
	sodium_memzero((void *)(uintptr_t)buf, len);
	yajl_gen_free(g);
	if (mfd == -1)
		fatal("memfd");
	if (make_layout() == -1) {
		(void)close(mfd);
		return 1;
	}
	db = svc_by_id(SVC_DB);
	L.db_mode = "user-add";
	doc = start_doc(db, &doclen);
	pid = spawn_service(db, -1, doc, doclen, L.coarse, L.coarselen,
	    STDERR_FILENO, L.privileged, mfd, -1);
	/* It holds mongo_uri. */
	explicit_bzero(doc, doclen);
	free(doc);
	(void)close(mfd);
	if (pid == -1) {
		(void)fprintf(stderr, "mupif-central: user add: cannot start "
		    "%s: %s\n", db->exe, strerror(errno));
		return 1;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		(void)printf("user %s added%s\n", mail,
		    o->admin ? " (admin)" : "");
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		(void)fprintf(stderr, "mupif-central: user add: Username "
		    "already registered\n");
		return 1;
	}
	if (!WIFEXITED(status)) {
		describe_exit(status, what, sizeof(what));
		(void)fprintf(stderr, "mupif-central: user add: the db process "
		    "%s\n", what);
	}
	return 1;
}

int
cmd_run(const struct opts *o, int argc, char **argv)
{
	struct pollfd	 pfd[NSERVICES + 1];
	struct service	*who[NSERVICES + 1];
	sigset_t	 mask;
	char		 path[PATH_MAX + 64];
	size_t		 i, np;
	int64_t		 now, wait;

	(void)argc;
	(void)argv;
	L.echo = isatty(STDERR_FILENO);
	if (prepare(o) == -1)
		return 2;
	if (make_layout() == -1 || lock_persistent() == -1)
		return 1;
	(void)persistent_path(&L.c, "logs/launcher.log", path, sizeof(path));
	if (logsink_open(&L.log, path) == -1)
		fatal("%s", path);
	for (i = 0; i < NSERVICES; i++) {
		(void)snprintf(path, sizeof(path), "%s/logs/%s.log",
		    L.c.persistent, services[i].name);
		if (logsink_open(&services[i].log, path) == -1)
			fatal("%s", path);
	}
	(void)persistent_path(&L.c, "run/status.json", L.statuspath,
	    sizeof(L.statuspath));
	if (L.c.audit_checkpoint_s > 0) {
		char err[PATH_MAX + 256];

		if (ckpt_setup(&L.c, &L.ckpt, err, sizeof(err)) == -1) {
			llog("audit checkpoints: %s", err);
			return 1;
		}
		if (L.ckpt.created)
			llog("audit checkpoints: new signing key, public key "
			    "in keys/" AUDIT_CKPT_PUB);
		L.next_ckpt = util_mono_ms() +
		    (int64_t)L.c.audit_checkpoint_s * 1000;
	}
	L.started = util_wall_ms();
	llog("mupif-central starting: persistent %s, vpn \"%s\", %s",
	    L.c.persistent, L.c.vpn_name, L.privileged ? "as root: services "
	    "run under their own users" : "not root: services cannot chroot "
	    "or change user; no_new_privs and seccomp still apply");
	for (i = 0; i < NSERVICES; i++)
		if (bind_listener(&services[i]) == -1)
			return 1;

	(void)sigemptyset(&mask);
	(void)sigaddset(&mask, SIGCHLD);
	(void)sigaddset(&mask, SIGTERM);
	(void)sigaddset(&mask, SIGINT);
	(void)sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (L.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		fatal("signalfd");
	(void)signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < NSERVICES; i++)
		start_service(&services[i]);

	for (;;) {
		now = util_mono_ms();
		if (L.stopping && stop_progress())
			break;
		wait = 1000;
		for (i = 0; i < NSERVICES && !L.stopping; i++) {
			struct service *s = &services[i];

			if (s->state != ST_WAITING)
				continue;
			if (s->next_start <= now) {
				start_service(s);
				if (s->state == ST_WAITING &&
				    s->next_start - now < wait)
					wait = s->next_start - now;
			} else if (s->next_start - now < wait)
				wait = s->next_start - now;
		}
		if (svc_by_id(SVC_BROKER)->state == ST_FAILED && !L.stopping)
			begin_stop("the broker keeps failing");
		if (L.c.audit_checkpoint_s > 0 && !L.stopping) {
			if (L.next_ckpt <= now) {
				audit_checkpoint();
				L.next_ckpt = now +
				    (int64_t)L.c.audit_checkpoint_s * 1000;
			}
			if (L.next_ckpt - now < wait)
				wait = L.next_ckpt - now;
		}
		if (L.stopping)
			wait = 100;
		np = 0;
		pfd[np].fd = L.sigfd;
		pfd[np].events = POLLIN;
		who[np++] = NULL;
		for (i = 0; i < NSERVICES; i++)
			if (services[i].logpipe != -1) {
				pfd[np].fd = services[i].logpipe;
				pfd[np].events = POLLIN;
				who[np++] = &services[i];
			}
		if (poll(pfd, (nfds_t)np, (int)(wait < 0 ? 0 : wait)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (i = 1; i < np; i++)
			if (pfd[i].revents != 0)
				drain_log(who[i]);
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(L.sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap();
				else if (si.ssi_signo == SIGHUP)
					llog("SIGHUP ignored (restart the node "
					    "to apply a new configuration)");
				else
					begin_stop(strsignal((int)si.ssi_signo));
			}
		}
	}
	for (i = 0; i < NSERVICES; i++) {
		drain_log(&services[i]);
		logsink_close(&services[i].log);
		if (services[i].listen_fd != -1)
			(void)close(services[i].listen_fd);
	}
	/* Every service is gone: sign the final head of the audit log. */
	if (L.c.audit_checkpoint_s > 0)
		audit_checkpoint();
	(void)unlink(L.statuspath);
	llog("stopped");
	logsink_close(&L.log);
	return svc_by_id(SVC_BROKER)->state == ST_FAILED ? 1 : 0;
}
