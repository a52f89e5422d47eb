/*
 * api.c - the REST API service (port 8005): mupifDB's API for VPN
 * members, so the official Python client, the scheduler's runner and
 * scripts work unchanged (spec/rest-api.md).
 *
 * Trust: faces every VPN peer; every byte of a request is untrusted.  It
 * holds no secret: tokens are checked with auth's public key, passwords
 * go to auth, data to the db, all through the broker, which lets it ask
 * only the operations policy/broker.policy lists for "api".  No files,
 * no outbound network (empty network namespace; the listening socket was
 * bound by the launcher).  Confined by policy/api.profile and
 * policy/api.seccomp.
 *
 * api_threads threads each run a libmicrohttpd daemon (epoll) on the
 * shared listening socket; all have started before the seccomp filter,
 * which is installed on every thread (TSYNC); none is created afterwards.  Bodies are capped at
 * api_max_body (413), except the two multipart uploads, which are
 * streamed to api_upload.c with their own cap (file_max_bytes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>

#include "api.h"
#include "api_upload.h"
#include "log.h"
#include "sandbox.h"
#include "banned.h"

struct api A;
static volatile sig_atomic_t quit;

/* One request in flight. */
struct conn {
	const struct api_route	*rt;
	struct api_req		 r;
	struct api_resp		 out;
	int			 decided;	/* out holds the answer */
	int			 early;		/* answer before the body */
	int			 started;	/* second call seen */
	char			*body;
	size_t			 blen, cap;
	uint64_t		 seen;		/* body bytes received */
	struct upload		*up;
};

static void
on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];

	(void)cls;
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_warnx("http: %s", buf);
}

/* Paths arrive undecoded: each path segment is decoded on its own by the
 * router (so "%2F" stays inside its segment) and query values by qget. */
static size_t
no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* One HTTP thread and its daemon. */
static struct worker {
	pthread_t		 t;
	struct MHD_Daemon	*d;
	int			 epfd;
} W[64];
static pthread_barrier_t start_bar;

static void *
worker(void *arg)
{
	struct worker	*w = arg;
	struct pollfd	 pfd;

	(void)pthread_barrier_wait(&start_bar);
	for (;;) {
		MHD_UNSIGNED_LONG_LONG	 to;
		int			 ms = 1000;

		if (MHD_get_timeout(w->d, &to) == MHD_YES && to < 1000)
			ms = (int)to;
		pfd.fd = w->epfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
			fatal("poll");
		if (MHD_run(w->d) != MHD_YES)
			log_warnx("http: MHD_run failed");
	}
	return NULL;
}

static void
conn_free(struct conn *k)
{
	if (k == NULL)
		return;
	upload_free(k->up);
	if (k->body != NULL) {
		explicit_bzero(k->body, k->blen);
		free(k->body);
	}
	free(k->out.body);
	if (k->out.fd != -1)
		(void)close(k->out.fd);
	explicit_bzero(&k->r, sizeof(k->r));
	free(k);
}

static enum MHD_Result
queue(struct conn *k)
{
	struct MHD_Connection	*c = k->r.c;
	struct api_resp		*o = &k->out;
	struct MHD_Response	*rsp;
	enum MHD_Result		 ret;

	if (o->fd != -1) {
		rsp = MHD_create_response_from_fd64(o->flen, o->fd);
		if (rsp != NULL)
			o->fd = -1;	/* libmicrohttpd closes it */
	} else if (o->body != NULL) {
		rsp = MHD_create_response_from_buffer(o->len, o->body,
		    MHD_RESPMEM_MUST_FREE);
		if (rsp != NULL)
			o->body = NULL;
	} else
		rsp = MHD_create_response_from_buffer(0, (void *)(uintptr_t)"",
		    MHD_RESPMEM_PERSISTENT);
	if (rsp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    o->ctype != NULL ? o->ctype : "application/json");
	(void)MHD_add_response_header(rsp, "X-Content-Type-Options",
	    "nosniff");
	/* No CORS headers at all: the original reflected any Origin with
	 * credentials (spec 9.1.8); same-origin use needs none. */
	if (o->retry_after > 0) {
		char ra[16];

		(void)snprintf(ra, sizeof(ra), "%u", o->retry_after);
		(void)MHD_add_response_header(rsp, "Retry-After", ra);
	}
	if (o->www_auth)
		(void)MHD_add_response_header(rsp,
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (o->allow[0] != '\0')
		(void)MHD_add_response_header(rsp, MHD_HTTP_HEADER_ALLOW,
		    o->allow);
	if (o->location[0] != '\0')
		(void)MHD_add_response_header(rsp, MHD_HTTP_HEADER_LOCATION,
		    o->location);
	if (o->disposition[0] != '\0')
		(void)MHD_add_response_header(rsp,
		    MHD_HTTP_HEADER_CONTENT_DISPOSITION, o->disposition);
	if (o->cookie[0] == '\0' && k->r.renew[0] != '\0')
		api_set_cookie(o, k->r.renew, 0);
	if (o->cookie[0] != '\0')
		(void)MHD_add_response_header(rsp, MHD_HTTP_HEADER_SET_COOKIE,
		    o->cookie);
	if (o->code >= 500)
		log_warnx("%s %s: %u", k->r.method, k->rt != NULL ?
		    k->rt->pattern : "?", o->code);
	ret = MHD_queue_response(c, o->code, rsp);
	MHD_destroy_response(rsp);
	explicit_bzero(o->cookie, sizeof(o->cookie));
	return ret;
}

static void
client_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo	*ci;
	const struct sockaddr		*sa;

	(void)strlcpy(out, "unknown", len);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, (socklen_t)len);
}

/* An execution token asked for what it may not reach
 * (api_exec_allowed): 403, and a log line naming the route (the route
 * table's pattern, never the client's path or body). */
static void
exec_refused(struct conn *k)
{
	log_info("execution token of execution %s refused: %s %s",
	    k->r.u.exec, k->rt->method, k->rt->pattern);
	resp_detail(&k->out, MHD_HTTP_FORBIDDEN, API_EXEC_DENIED);
}

/* First call: route, and for uploads authenticate and open the upload
 * before any body byte is read. */
#define UPLOAD_SLACK	(1024 * 1024)
/* A refused body is still read (and dropped) up to this much over its cap,
 * so that a client writing all of it before reading gets the answer
 * instead of a reset; beyond, the connection is answered and closed. */
#define DROP_MAX	(16 * 1024 * 1024)

/* The most body bytes this request may send (route known). */
static uint64_t
body_cap(const struct conn *k)
{
	if (k->rt != NULL && (k->rt->flags & RF_UPLOAD))
		return A.file_max + UPLOAD_SLACK;
	return A.max_body;
}

static void
begin(struct conn *k, const char *url, const char *method)
{
	unsigned	 code = MHD_HTTP_NOT_FOUND;
	const char	*cl, *ct;
	char		 detail[256];
	int		 st;

	k->out.fd = -1;
	k->r.method = method;
	client_addr(k->r.c, k->r.addr, sizeof(k->r.addr));
	k->rt = api_route(method, url, &k->r, &code, k->out.allow,
	    sizeof(k->out.allow));
	if (k->rt == NULL) {
		resp_detail(&k->out, code, code == MHD_HTTP_NOT_FOUND ?
		    "Not Found" : "Method Not Allowed");
		if (code != MHD_HTTP_METHOD_NOT_ALLOWED)
			k->out.allow[0] = '\0';
		k->decided = 1;
		return;
	}
	k->out.allow[0] = '\0';
	/* A declared length over the cap is refused from the headers: the
	 * answer goes out at once and the connection closes unread.  (An
	 * upload's multipart framing may add up to UPLOAD_SLACK.) */
	cl = MHD_lookup_connection_value(k->r.c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && (strlen(cl) > 19 || strtoull(cl, NULL, 10) >
	    body_cap(k))) {
		resp_detail(&k->out, MHD_HTTP_CONTENT_TOO_LARGE,
		    "Request body too large.");
		k->decided = k->early = 1;
		return;
	}
	if (!(k->rt->flags & RF_UPLOAD))
		return;
	if (api_authenticate(&k->r, &k->out) == -1) {
		k->decided = 1;
		return;
	}
	if (k->r.u.exec[0] != '\0' && !api_exec_allowed(k->rt, &k->r)) {
		exec_refused(k);
		k->decided = 1;
		return;
	}
	if ((k->rt->flags & RF_ADMIN) && !k->r.u.admin) {
		resp_detail(&k->out, MHD_HTTP_FORBIDDEN,
		    "You don't have permission to perform this action.");
		k->decided = 1;
		return;
	}
	ct = MHD_lookup_connection_value(k->r.c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	st = 422;
	detail[0] = '\0';
	k->up = upload_new((enum upload_kind)k->rt->arg,
	    ct != NULL ? ct : "", A.file_max, &st, detail, sizeof(detail));
	if (k->up == NULL) {
		if (st == 422)
			resp_422(&k->out, detail[0] != '\0' ? detail :
			    "body: multipart/form-data expected");
		else
			resp_detail(&k->out, (unsigned)st, detail[0] != '\0' ?
			    detail : "Upload refused.");
		k->decided = 1;
	}
}

/* Some body bytes. */
static void
feed(struct conn *k, const char *p, size_t n)
{
	char	detail[256];
	int	st;

	k->seen += n;
	if (k->decided)
		return;			/* discarded */
	if (k->up != NULL) {
		st = 422;
		detail[0] = '\0';
		if (upload_feed(k->up, (const uint8_t *)p, n, &st, detail,
		    sizeof(detail)) == -1) {
			if (st == 422)
				resp_422(&k->out, detail);
			else
				resp_detail(&k->out, (unsigned)st, detail);
			k->decided = 1;
		}
		return;
	}
	if (k->blen + n > A.max_body) {
		resp_detail(&k->out, MHD_HTTP_CONTENT_TOO_LARGE,
		    "Request body too large.");
		k->decided = 1;
		return;
	}
	if (k->blen + n + 1 > k->cap) {
		size_t	 ncap = k->cap == 0 ? 4096 : k->cap;
		char	*nb;

		while (ncap < k->blen + n + 1)
			ncap *= 2;
		if ((nb = realloc(k->body, ncap)) == NULL) {
			resp_detail(&k->out, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "out of memory");
			k->decided = 1;
			return;
		}
		k->body = nb;
		k->cap = ncap;
	}
	memcpy(k->body + k->blen, p, n);
	k->blen += n;
	k->body[k->blen] = '\0';
}

/* The body is complete: answer. */
static void
finish(struct conn *k)
{
	char	*body = NULL;
	size_t	 blen = 0;
	int	 st;

	if (k->decided)
		return;
	if (k->up != NULL) {
		st = upload_finish(k->up, &A.bc, k->rt->arg ==
		    UPLOAD_WORKFLOW ? k->r.params[0] : NULL, &body, &blen);
		resp_json(&k->out, (unsigned)st, body != NULL ? body : "{}",
		    body != NULL ? blen : 2);
		free(body);
		return;
	}
	k->r.body = k->body != NULL ? k->body : "";
	k->r.blen = k->blen;
	if (!(k->rt->flags & RF_NOAUTH) &&
	    api_authenticate(&k->r, &k->out) == -1)
		return;
	/* An execution token reaches its own execution only (the body is
	 * read for set_param). */
	if (k->r.u.exec[0] != '\0' && !api_exec_allowed(k->rt, &k->r)) {
		exec_refused(k);
		return;
	}
	if ((k->rt->flags & RF_ADMIN) && !k->r.u.admin) {
		resp_detail(&k->out, MHD_HTTP_FORBIDDEN,
		    "You don't have permission to perform this action.");
		return;
	}
	k->out.code = MHD_HTTP_INTERNAL_SERVER_ERROR;
	k->rt->h(&k->r, &k->out);
	if (k->out.body == NULL && k->out.fd == -1 &&
	    k->out.code != MHD_HTTP_TEMPORARY_REDIRECT)
		resp_detail(&k->out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct conn *k = *con_cls;

	(void)cls;
	(void)version;
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return MHD_NO;
		k->r.c = c;
		*con_cls = k;
		begin(k, url, method);
		return k->early ? queue(k) : MHD_YES;
	}
	if (*upload_size != 0) {
		feed(k, upload, *upload_size);
		*upload_size = 0;
		/* A body refused on the way (chunked, or over a cap found
		 * while reading) is read and dropped up to a bound, so that
		 * a client that sends everything before reading still gets
		 * the answer; then it goes out and the connection closes. */
		if (k->decided && k->seen > body_cap(k) + DROP_MAX)
			return queue(k);
		return MHD_YES;
	}
	finish(k);
	return queue(k);
}

static void
request_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	conn_free(*con_cls);
	*con_cls = NULL;
}

/*
 * Open connections per client address, over all threads: at most
 * A.max_per_addr (api_max_conn_per_addr; 0: no limit).  libmicrohttpd's
 * own per-IP limit counts per daemon, i.e. per thread, so a client whose
 * connections the kernel spread unevenly was refused well below it.  The
 * accept policy checks the count, the connection notifications keep it
 * (started: +1, closed: -1; libmicrohttpd pairs them, and a connection
 * refused after the policy was never counted).  Threads accepting at the
 * same moment may each pass the check: the limit can be exceeded by at
 * most api_threads - 1.  PA_SLOTS covers every connection the daemons
 * allow (512 / threads + 1 each).
 */
#define PA_SLOTS	640

static struct {
	pthread_mutex_t	mu;
	struct pa_ent {
		unsigned	n;
		sa_family_t	fam;
		uint8_t		a[16];
	}		e[PA_SLOTS];
} PA = { .mu = PTHREAD_MUTEX_INITIALIZER };
static int pa_counted;	/* its address: the socket context of a counted
			 * connection */

/* The address bytes of sa: length, or 0 if not IPv4/IPv6. */
static size_t
pa_bytes(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
		return 16;
	}
	return 0;
}

/* The slot of the address (mutex held); free: one to use, or NULL. */
static struct pa_ent *
pa_find(const struct sockaddr *sa, size_t n, const uint8_t a[16],
    struct pa_ent **free_ent)
{
	size_t i;

	if (free_ent != NULL)
		*free_ent = NULL;
	for (i = 0; i < PA_SLOTS; i++) {
		struct pa_ent *e = &PA.e[i];

		if (e->n == 0) {
			if (free_ent != NULL && *free_ent == NULL)
				*free_ent = e;
			continue;
		}
		if (e->fam == sa->sa_family && memcmp(e->a, a, n) == 0)
			return e;
	}
	return NULL;
}

static enum MHD_Result
accept_ok(void *cls, const struct sockaddr *sa, socklen_t salen)
{
	struct pa_ent	*e;
	uint8_t		 a[16];
	size_t		 n;
	int		 ok = 1;

	(void)cls;
	(void)salen;
	if (A.max_per_addr == 0 || (n = pa_bytes(sa, a)) == 0)
		return MHD_YES;
	(void)pthread_mutex_lock(&PA.mu);
	if ((e = pa_find(sa, n, a, NULL)) != NULL && e->n >= A.max_per_addr)
		ok = 0;
	(void)pthread_mutex_unlock(&PA.mu);
	return ok ? MHD_YES : MHD_NO;
}

static void
conn_notify(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_ConnectionNotificationCode what)
{
	const union MHD_ConnectionInfo	*ci;
	const struct sockaddr		*sa;
	struct pa_ent			*e, *fe;
	uint8_t				 a[16];
	size_t				 n;

	(void)cls;
	if (A.max_per_addr == 0)
		return;
	if (what == MHD_CONNECTION_NOTIFY_CLOSED && *ctx != &pa_counted)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL ||
	    (n = pa_bytes(sa, a)) == 0)
		return;
	(void)pthread_mutex_lock(&PA.mu);
	e = pa_find(sa, n, a, &fe);
	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		if (e == NULL && (e = fe) != NULL) {
			e->fam = sa->sa_family;
			memset(e->a, 0, sizeof(e->a));
			memcpy(e->a, a, n);
		}
		if (e != NULL) {
			e->n++;
			*ctx = &pa_counted;
		}
	} else if (e != NULL && e->n > 0) {
		e->n--;
		*ctx = NULL;
	}
	(void)pthread_mutex_unlock(&PA.mu);
}

static void
config(struct sandbox *sb)
{
	long long	v;
	int		b;

	if (json_get_int(sb->config, "call_timeout_ms", &v) == -1 || v < 1 ||
	    v > 600000)
		fatalx("bad call_timeout_ms");
	A.call_timeout_ms = (int)v;
	if (json_get_int(sb->config, "max_body", &v) == -1 || v < 1024)
		fatalx("bad max_body");
	A.max_body = (uint64_t)v;
	if (json_get_int(sb->config, "file_max_bytes", &v) == -1 || v < 0)
		fatalx("bad file_max_bytes");
	A.file_max = (uint64_t)v;
	if (json_get_int(sb->config, "threads", &v) == -1 || v < 1 || v > 64)
		fatalx("bad threads");
	A.threads = (unsigned)v;
	if (json_get_int(sb->config, "auth_cache_ms", &v) == -1 || v < 0 ||
	    v > 10000)
		fatalx("bad auth_cache_ms");
	A.auth_cache_ms = (int)v;
	if (json_get_int(sb->config, "max_conn_per_addr", &v) == -1 ||
	    v < 0 || v > 4096)
		fatalx("bad max_conn_per_addr");
	A.max_per_addr = (unsigned)v;
	if (json_get_bool(sb->config, "cookie_secure", &b) == -1)
		fatalx("bad cookie_secure");
	A.cookie_secure = b;
	if (json_get_bool(sb->config, "registration", &b) == -1)
		fatalx("bad registration");
	A.registration = b;
}

int
main(int argc, char *argv[])
{
	struct sandbox		 sb;
	struct pollfd		 pfd;
	struct sigaction	 sa;
	uint8_t			 pk[32];
	unsigned		 i;
	int			 fl;

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "api");
	config(&sb);
	if (bchan_init(&A.bc, FD_BROKER) == -1)
		fatal("init");
	if (pthread_mutex_init(&A.pk_mu, NULL) != 0)
		fatalx("mutex");
	if (sodium_init() == -1)
		fatalx("sodium_init");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: poll returns */
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signals");

	sandbox_jail(&sb);
	if ((fl = fcntl(FD_LISTEN, F_GETFL)) == -1 ||
	    fcntl(FD_LISTEN, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("listening socket on fd %d", FD_LISTEN);
	/*
	 * api_threads threads, each with its own libmicrohttpd daemon in
	 * external epoll mode on the shared listening socket.  They are our
	 * threads (not libmicrohttpd's pool) so that we can wait until each
	 * has started (set_robust_list, rseq ... happen in the new thread)
	 * before the seal: the filter then needs no thread start-up calls.
	 */
	if (pthread_barrier_init(&start_bar, NULL, A.threads + 1) != 0)
		fatalx("barrier");
	for (i = 0; i < A.threads; i++) {
		const union MHD_DaemonInfo *info;

		/* Per client address: accept_ok and conn_notify, over all
		 * threads (not MHD_OPTION_PER_IP_CONNECTION_LIMIT, which
		 * counts per thread). */
		W[i].d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
		    0, accept_ok, NULL, handler, NULL,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)FD_LISTEN,
		    MHD_OPTION_CONNECTION_LIMIT, 512 / A.threads + 1,
		    MHD_OPTION_NOTIFY_CONNECTION, conn_notify, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
		    MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
		    MHD_OPTION_END);
		if (W[i].d == NULL)
			fatalx("cannot start the HTTP server");
		if ((info = MHD_get_daemon_info(W[i].d,
		    MHD_DAEMON_INFO_EPOLL_FD)) == NULL)
			fatalx("no epoll descriptor from libmicrohttpd");
		W[i].epfd = info->epoll_fd;
		if (pthread_create(&W[i].t, NULL, worker, &W[i]) != 0)
			fatalx("cannot start thread %u", i);
	}
	(void)pthread_barrier_wait(&start_bar);
	sandbox_seal(&sb);
	sandbox_free(&sb);
	bchan_ready(&A.bc, "http");
	log_info("serving the REST API with %u threads", A.threads);
	/* auth may not be up yet: a failure here is retried on the first
	 * request that needs the key. */
	(void)api_pubkey(pk);

	/* Wait for SIGTERM, or the broker going away (then the launcher
	 * restarts us).  The threads are not joined: exit ends them (a
	 * thread exit would need calls the filter does not allow). */
	while (!quit) {
		pfd.fd = FD_BROKER;
		pfd.events = 0;
		if (poll(&pfd, 1, 1000) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) {
			log_info("broker went away, exiting");
			break;
		}
	}
	log_info("exiting");
	return 0;
}
