/*
 * safeapi.c - the public, read-only status API (port 8006), the only
 * service the public proxy reaches.
 *
 * Trust: faces the internet; holds nothing.  It has no database, no files
 * and no outbound network (its network namespace is empty; the listening
 * socket was bound by the launcher and passed in).  Everything it says
 * comes from the broker, which lets it ask only the read operations in
 * policy/broker.policy.  Confined by policy/safeapi.profile and
 * policy/safeapi.seccomp, the tightest of all profiles.
 *
 * This slice serves GET /status2/ with the original's JSON shape
 * (spec/web-and-monitor.md C.2): "dms" is "OK" only when the db answered
 * through the broker, "nameserver" only when the nameserver did, and
 * "scheduler" when the node's own scheduler answers sched.ping through
 * the broker or, failing that, when at least one registered scheduler
 * answered getStatistics() in the nameserver's round (ns.schedulers).
 * GET /scheduler-status2/ is the node's own scheduler first (its
 * sched.stats, checked value by value and rewritten as a SchedulerInfo;
 * null when it does not answer), then the registered schedulers of
 * ns.schedulers.  GET /ns-status2/ and /jobmans-status2/ come from the
 * nameserver (ns.list, ns.jobmans).  The scheduler's answers are
 * semi-trusted (it runs beside user code): no key of theirs is passed
 * on.  Answers are cached for status_cache_ms with a weak ETag;
 * If-None-Match receives 304.  Never a 500 because a dependency is down.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include <sodium.h>

#include "bchan.h"
#include "json.h"
#include "log.h"
#include "ratelimit.h"
#include "sandbox.h"
#include "banned.h"

#ifdef MUPIF_TEST_HOOKS
#define TEST_POOL	48	/* memfds for /__test/call_data/ */
#endif

struct cached {
	char		*body;
	size_t		 len;
	int64_t		 expires;	/* monotonic ms */
	int64_t		 made;		/* monotonic ms */
	char		 etag[48];
};

static struct safeapi {
	struct bchan		 bc;
	char			 vpn_name[64];
	int64_t			 cache_ms;
	int64_t			 min_refresh_ms;
	int			 call_timeout_ms;
	struct cached		 status;		/* /status2/ */
	struct cached		 ns_status;		/* /ns-status2/ */
	struct cached		 vpn;			/* /vpn-status2/ */
	struct cached		 jobmans;		/* /jobmans-status2/ */
	struct cached		 scheds;	/* /scheduler-status2/ */
	int			 jobmans_timeout_ms;
	char			 ns_host[256];
	unsigned		 ns_port;
	struct ratelimit	 rl;		/* per client address */
	struct rl_addr		 proxy;		/* trusted_proxy */
	int			 has_proxy;
	unsigned		 timeout_s;
	unsigned		 max_conn_per_addr;
	size_t			 max_request;
	uint64_t		 limited;	/* 429s, for the log */
	uint64_t		 bad_xff;
	volatile sig_atomic_t	 quit;
#ifdef MUPIF_TEST_HOOKS
	int			 test_fd;	/* made before the seal */
#ifdef MUPIF_TEST_HOOKS
	int			 test_pool[TEST_POOL];	/* one use each */
	size_t			 test_next;
#endif
#endif
} S;

static int first_call_marker;

static void
on_term(int sig)
{
	(void)sig;
	S.quit = 1;
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

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned code, const char *body,
    size_t len, const struct cached *cache, int64_t now)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	char			 maxage[48];

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	/* Every answer of this API is JSON (a 304 names the cached one's). */
	(void)MHD_add_response_header(r, "Content-Type", "application/json");
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (cache != NULL) {
		int64_t left = (cache->expires - now + 999) / 1000;

		(void)snprintf(maxage, sizeof(maxage), "max-age=%lld",
		    (long long)(left > 0 ? left : 0));
		(void)MHD_add_response_header(r, "Cache-Control", maxage);
		(void)MHD_add_response_header(r, "ETag", cache->etag);
	}
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, "Allow", "GET, HEAD, OPTIONS");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
respond_error(struct MHD_Connection *c, unsigned code, const char *detail)
{
	char	body[128];
	int	n;

	n = snprintf(body, sizeof(body), "{\"detail\":\"%s\"}", detail);
	return respond(c, code, body, n > 0 ? (size_t)n : 0, NULL, 0);
}

/* A document generator: writes one endpoint's JSON into g and returns 1
 * when every dependency answered (the answer is then cached for the full
 * time; otherwise a quarter of it, so a failure is retried sooner). */
typedef int (*gen_fn)(yajl_gen g);

/*
 * Ask the nameserver for a round (ns.jobmans or ns.schedulers): the
 * parsed array, or NULL when it did not answer or answered something
 * else than a JSON array (logged; the caller then answers []).
 */
static yajl_val
ns_round(unsigned type, const char *what)
{
	yajl_val	 arr = NULL;
	char		*reply = NULL, err[128];
	size_t		 len = 0;
	int		 st;

	st = bchan_call(&S.bc, type, NULL, "{}", 2, S.jobmans_timeout_ms,
	    &reply, &len);
	if (st == MST_OK) {
		arr = json_parse(reply, len, BCHAN_REPLY_MAX, 8, err,
		    sizeof(err));
		if (arr == NULL || !YAJL_IS_ARRAY(arr)) {
			log_warnx("%s: unreadable %s: %s", what,
			    msg_type_name(type), arr == NULL ? err :
			    "not an array");
			yajl_tree_free(arr);
			arr = NULL;
		}
	} else
		log_warnx("%s: nameserver did not answer: %s", what,
		    msg_status_name((unsigned)st));
	free(reply);
	return arr;
}

/* Whether an ns.schedulers array holds at least one scheduler that
 * answered (an object, not null). */
static int
any_scheduler(yajl_val arr)
{
	size_t i;

	if (arr == NULL)
		return 0;
	for (i = 0; i < YAJL_GET_ARRAY(arr)->len; i++)
		if (YAJL_IS_OBJECT(YAJL_GET_ARRAY(arr)->values[i]))
			return 1;
	return 0;
}

/*
 * The node's own scheduler (issue 6 item 7): sched.stats through the
 * broker, {"owner", "stats": getStatistics()'s old format, "raw"}.  The
 * scheduler runs beside user code: its answer is semi-trusted.  Every
 * value copied is checked first (type, range, length, characters) into
 * struct own_sched, whose strings are borrowed from the parsed tree; the
 * SchedulerInfo element is then written from that struct alone, so no
 * key the scheduler adds ("raw" among them) is ever passed on, and a
 * half-checked answer never reaches the generator.  Anything out of
 * shape makes the element null (logged).
 */
#define OWN_HIST	48	/* hourly buckets, exactly */
#define OWN_NHIST	4	/* the integer histograms */
#define OWN_LAST_MAX	5	/* lastJobs entries (mupifDB keeps 5) */
#define OWN_OWNER_MAX	64	/* the scheduler's owner id (owner[65]) */
#define OWN_ID_MAX	64	/* weid */
#define OWN_WID_MAX	256	/* wid */
#define OWN_STATUS_MAX	32	/* status */
#define OWN_TIME_MAX	40	/* started, finished (ISO 8601) */
#define OWN_COUNT_MIN	(-2147483647LL - 1)	/* scheduledTasks may go */
#define OWN_COUNT_MAX	2147483647LL		/* negative in mupifDB */
#define OWN_NUM_MAX	1e15	/* |currentLoad|, |load48[i]| */

/* Character classes of the strings kept. */
#define OWN_C_TEXT	0	/* printable: no C0 control, no DEL */
#define OWN_C_WORD	1	/* [A-Za-z0-9._:@-] */
#define OWN_C_TIME	2	/* [0-9T:.+Z-] and space */

struct own_exec {
	const char	*weid, *wid, *status, *started;
	const char	*finished;	/* NULL: null */
};

struct own_sched {
	const char	*owner;
	long long	 running, scheduled, processed, finished, failed;
	double		 load;
	long long	 hist[OWN_NHIST][OWN_HIST];
	double		 load48[OWN_HIST];
	struct own_exec	 last[OWN_LAST_MAX];
	size_t		 nlast;
};

/* An integer in OWN_COUNT_MIN..OWN_COUNT_MAX. */
static int
own_count(yajl_val v, long long *out)
{
	if (v == NULL || !YAJL_IS_INTEGER(v) ||
	    YAJL_GET_INTEGER(v) < OWN_COUNT_MIN ||
	    YAJL_GET_INTEGER(v) > OWN_COUNT_MAX)
		return -1;
	*out = YAJL_GET_INTEGER(v);
	return 0;
}

/* A number (an int in practice), finite, at most OWN_NUM_MAX in size. */
static int
own_number(yajl_val v, double *out)
{
	double d;

	if (v == NULL)
		return -1;
	if (YAJL_IS_INTEGER(v))
		d = (double)YAJL_GET_INTEGER(v);
	else if (YAJL_IS_DOUBLE(v))
		d = YAJL_GET_DOUBLE(v);
	else
		return -1;
	if (!isfinite(d) || d > OWN_NUM_MAX || d < -OWN_NUM_MAX)
		return -1;
	*out = d;
	return 0;
}

/* A string of 1..max bytes of class cls (the parser checked UTF-8 and
 * refused NUL); the tree's own, or NULL. */
static const char *
own_str(yajl_val v, size_t max, int cls)
{
	const unsigned char	*p;
	const char		*s;
	size_t			 len;

	if (v == NULL || !YAJL_IS_STRING(v) || (s = YAJL_GET_STRING(v)) ==
	    NULL || (len = strnlen(s, max + 1)) == 0 || len > max)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		int c = *p;

		switch (cls) {
		case OWN_C_WORD:
			if (!(c < 0x80 && (isalnum(c) ||
			    strchr("._:@-", c) != NULL)))
				return NULL;
			break;
		case OWN_C_TIME:
			if (!(c < 0x80 && (isdigit(c) ||
			    strchr("T:.+Z- ", c) != NULL)))
				return NULL;
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				return NULL;
			break;
		}
	}
	return s;
}

/* An array of exactly n elements, or NULL. */
static yajl_val
own_array(yajl_val v, size_t n)
{
	if (v == NULL || !YAJL_IS_ARRAY(v) || YAJL_GET_ARRAY(v)->len != n)
		return NULL;
	return v;
}

/* One of lastJobs: [weid, wid, status, started, finished|null]. */
static int
own_exec(yajl_val v, struct own_exec *x)
{
	yajl_val *it;

	if ((v = own_array(v, 5)) == NULL)
		return -1;
	it = YAJL_GET_ARRAY(v)->values;
	if ((x->weid = own_str(it[0], OWN_ID_MAX, OWN_C_WORD)) == NULL ||
	    (x->wid = own_str(it[1], OWN_WID_MAX, OWN_C_TEXT)) == NULL ||
	    (x->status = own_str(it[2], OWN_STATUS_MAX, OWN_C_WORD)) ==
	    NULL ||
	    (x->started = own_str(it[3], OWN_TIME_MAX, OWN_C_TIME)) == NULL)
		return -1;
	x->finished = NULL;
	if (!YAJL_IS_NULL(it[4]) && (x->finished = own_str(it[4],
	    OWN_TIME_MAX, OWN_C_TIME)) == NULL)
		return -1;
	return 0;
}

/* Check a sched.stats answer (the parsed object) into o: 0, or -1 with
 * the first problem in why. */
static int
own_sched_check(yajl_val top, struct own_sched *o, const char **why)
{
	static const char *const counters[] = {
		"runningTasks", "scheduledTasks", "processedTasks",
		"finishedTasks", "failedTasks"
	};
	static const char *const hists[OWN_NHIST] = {
		"pooledTasks48", "processedTasks48", "finishedTasks48",
		"failedTasks48"
	};
	long long	*cdst[5];
	yajl_val	 st, l;
	size_t		 i, k;

	memset(o, 0, sizeof(*o));
	*why = "the answer is not an object";
	if (top == NULL || !YAJL_IS_OBJECT(top))
		return -1;
	*why = "bad owner";
	if ((o->owner = own_str(json_get(top, "owner"), OWN_OWNER_MAX,
	    OWN_C_TEXT)) == NULL)
		return -1;
	*why = "stats is not an object";
	if ((st = json_get(top, "stats")) == NULL || !YAJL_IS_OBJECT(st))
		return -1;
	cdst[0] = &o->running;
	cdst[1] = &o->scheduled;
	cdst[2] = &o->processed;
	cdst[3] = &o->finished;
	cdst[4] = &o->failed;
	*why = "a task counter is not a count";
	for (i = 0; i < 5; i++)
		if (own_count(json_get(st, counters[i]), cdst[i]) == -1)
			return -1;
	*why = "currentLoad is not a number";
	if (own_number(json_get(st, "currentLoad"), &o->load) == -1)
		return -1;
	*why = "a 48-hour histogram is not 48 counts";
	for (k = 0; k < OWN_NHIST; k++) {
		if ((l = own_array(json_get(st, hists[k]), OWN_HIST)) == NULL)
			return -1;
		for (i = 0; i < OWN_HIST; i++)
			if (own_count(YAJL_GET_ARRAY(l)->values[i],
			    &o->hist[k][i]) == -1)
				return -1;
	}
	*why = "load48 is not 48 numbers";
	if ((l = own_array(json_get(st, "load48"), OWN_HIST)) == NULL)
		return -1;
	for (i = 0; i < OWN_HIST; i++)
		if (own_number(YAJL_GET_ARRAY(l)->values[i], &o->load48[i]) ==
		    -1)
			return -1;
	*why = "lastJobs is not a list of at most 5";
	if ((l = json_get(st, "lastJobs")) == NULL || !YAJL_IS_ARRAY(l) ||
	    YAJL_GET_ARRAY(l)->len > OWN_LAST_MAX)
		return -1;
	*why = "a lastJobs entry is not [weid, wid, status, started, "
	    "finished|null] of short strings";
	for (i = 0; i < YAJL_GET_ARRAY(l)->len; i++)
		if (own_exec(YAJL_GET_ARRAY(l)->values[i], &o->last[i]) == -1)
			return -1;
	o->nlast = i;
	*why = NULL;
	return 0;
}

/* A float as Python's json writes one: "3.0", else the shortest %g that
 * reads back the same (checked finite by own_number()). */
static void
gen_float(yajl_gen g, double d)
{
	char	buf[40];
	int	n = 0, p;

	if (d == (double)(long long)d && d > -1e16 && d < 1e16)
		n = snprintf(buf, sizeof(buf), "%lld.0", (long long)d);
	else
		for (p = 1; p <= 17; p++) {
			n = snprintf(buf, sizeof(buf), "%.*g", p, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	if (n <= 0 || (size_t)n >= sizeof(buf))
		n = snprintf(buf, sizeof(buf), "0.0");
	(void)yajl_gen_number(g, buf, (size_t)n);
}

/* The SchedulerInfo element (spec C.2, the keys in its order) of a
 * checked answer. */
static void
own_sched_gen(yajl_gen g, const struct own_sched *o)
{
	static const char *const hists[OWN_NHIST] = {
		"pooledTasks48", "processedTasks48", "finishedTasks48",
		"failedTasks48"
	};
	char	uri[6 + OWN_OWNER_MAX + 1];
	size_t	i, k;

	(void)snprintf(uri, sizeof(uri), "local:%s", o->owner);
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "ns");
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "name", "mupif.scheduler");
	json_gen_kv_str(g, "uri", uri);
	json_gen_cstr(g, "metadata");
	(void)yajl_gen_array_open(g);
	json_gen_cstr(g, "type:scheduler");
	(void)yajl_gen_array_close(g);
	(void)yajl_gen_map_close(g);
	json_gen_cstr(g, "numTasks");
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "running", o->running);
	json_gen_kv_int(g, "scheduled", o->scheduled);
	json_gen_kv_int(g, "processed", o->processed);
	json_gen_kv_int(g, "finished", o->finished);
	json_gen_kv_int(g, "failed", o->failed);
	json_gen_cstr(g, "currentLoad");
	gen_float(g, o->load);
	(void)yajl_gen_map_close(g);
	json_gen_cstr(g, "history");
	(void)yajl_gen_map_open(g);
	for (k = 0; k < OWN_NHIST; k++) {
		json_gen_cstr(g, hists[k]);
		(void)yajl_gen_array_open(g);
		for (i = 0; i < OWN_HIST; i++)
			(void)yajl_gen_integer(g, o->hist[k][i]);
		(void)yajl_gen_array_close(g);
	}
	json_gen_cstr(g, "load48");
	(void)yajl_gen_array_open(g);
	for (i = 0; i < OWN_HIST; i++)
		gen_float(g, o->load48[i]);
	(void)yajl_gen_array_close(g);
	(void)yajl_gen_map_close(g);
	json_gen_cstr(g, "lastExecutions");
	(void)yajl_gen_array_open(g);
	for (i = 0; i < o->nlast; i++) {
		const struct own_exec *x = &o->last[i];

		(void)yajl_gen_map_open(g);
		json_gen_kv_str(g, "weid", x->weid);
		json_gen_kv_str(g, "wid", x->wid);
		json_gen_kv_str(g, "status", x->status);
		json_gen_kv_str(g, "started", x->started);
		json_gen_cstr(g, "finished");
		if (x->finished != NULL)
			json_gen_cstr(g, x->finished);
		else
			(void)yajl_gen_null(g);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_array_close(g);
	/* No log tails, ever (as the nameserver's elements). */
	json_gen_cstr(g, "running");
	(void)yajl_gen_map_open(g);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_map_close(g);
}

/*
 * Write the node's own scheduler's element: its SchedulerInfo from
 * sched.stats, or null when it does not answer (not running, busy past
 * call_timeout_ms) or answers out of shape.  1 if it answered well.
 */
static int
gen_own_sched(yajl_gen g)
{
	struct own_sched	 o;
	yajl_val		 v = NULL;
	const char		*why = NULL;
	char			*reply = NULL, err[128];
	size_t			 len = 0;
	int			 st, ok = 0;

	st = bchan_call(&S.bc, MSG_SCHED_STATS, NULL, "{}", 2,
	    S.call_timeout_ms, &reply, &len);
	if (st == MST_OK) {
		if ((v = json_parse(reply, len, BCHAN_REPLY_MAX, 8, err,
		    sizeof(err))) == NULL)
			why = err;
		else if (own_sched_check(v, &o, &why) == 0)
			ok = 1;
		if (!ok)
			log_warnx("scheduler-status2: unreadable sched.stats: "
			    "%s", why);
	} else
		log_warnx("scheduler-status2: scheduler did not answer: %s",
		    msg_status_name((unsigned)st));
	if (ok)
		own_sched_gen(g, &o);
	else
		(void)yajl_gen_null(g);
	yajl_tree_free(v);
	free(reply);
	return ok;
}

/* /status2/ (spec C.2). */
static int
gen_status(yajl_gen g)
{
	yajl_val	scheds;
	int		st, nst, sch;

	/* "dms" says whether the db answers; db.ping is the cheapest
	 * question that proves it (the counts belong to other views). */
	st = bchan_call(&S.bc, MSG_DB_PING, NULL, "{}", 2,
	    S.call_timeout_ms, NULL, NULL);
	if (st != MST_OK)
		log_warnx("status2: db did not answer: %s",
		    msg_status_name((unsigned)st));
	/* "nameserver": OK when it answers through the broker (the
	 * original: when a connection to it succeeded). */
	nst = bchan_call(&S.bc, MSG_NS_PING, NULL, "{}", 2, S.call_timeout_ms,
	    NULL, NULL);
	if (nst != MST_OK)
		log_warnx("status2: nameserver did not answer: %s",
		    msg_status_name((unsigned)nst));
	/* "scheduler": OK when the node's own scheduler answers sched.ping
	 * through the broker, or else when at least one registration tagged
	 * type:scheduler answered getStatistics() in the nameserver's round
	 * (the original: when one call succeeded).  Neither (no scheduler
	 * running, no nameserver, none registered or reachable, ns_probe
	 * off): "Failed". */
	sch = bchan_call(&S.bc, MSG_SCHED_PING, NULL, "{}", 2,
	    S.call_timeout_ms, NULL, NULL) == MST_OK;
	if (!sch && nst == MST_OK) {
		scheds = ns_round(MSG_NS_SCHEDULERS, "status2");
		sch = any_scheduler(scheds);
		yajl_tree_free(scheds);
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "nameserver", nst == MST_OK ? "OK" : "Failed");
	json_gen_kv_str(g, "dms", st == MST_OK ? "OK" : "Failed");
	json_gen_kv_str(g, "scheduler", sch ? "OK" : "Failed");
	json_gen_kv_str(g, "name", S.vpn_name);
	(void)yajl_gen_map_close(g);
	return st == MST_OK && nst == MST_OK;
}

/*
 * /ns-status2/ (spec C.2): where the nameserver is, every registration
 * ("names", from the nameserver's ns.list through the broker; {} when it
 * does not answer), and "env".  The original sent every MUPIF_* variable
 * of its process, which leaked the container's layout; this one sends
 * only MUPIF_NS and MUPIF_VPN_NAME, the two the monitor can use.
 */
static int
gen_ns(yajl_gen g)
{
	yajl_val	 names = NULL;
	char		*reply = NULL, err[128], ns[320];
	size_t		 len = 0;
	int		 st;

	st = bchan_call(&S.bc, MSG_NS_LIST, NULL, "{}", 2, S.call_timeout_ms,
	    &reply, &len);
	if (st == MST_OK) {
		/* Names are unique in the nameserver's store. */
		names = json_parse_flags(reply, len, BCHAN_REPLY_MAX, 8,
		    JSON_F_KEYS_UNIQUE, err, sizeof(err));
		if (names == NULL || !YAJL_IS_OBJECT(names)) {
			log_warnx("ns-status2: unreadable ns.list: %s", err);
			st = MST_INTERNAL;
		}
	} else
		log_warnx("ns-status2: nameserver did not answer: %s",
		    msg_status_name((unsigned)st));
	free(reply);
	(void)snprintf(ns, sizeof(ns), "%s:%u", S.ns_host, S.ns_port);
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "loc");
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "host", S.ns_host);
	json_gen_kv_int(g, "port", S.ns_port);
	json_gen_kv_str(g, "source", "explicit");
	(void)yajl_gen_map_close(g);
	json_gen_cstr(g, "names");
	if (st == MST_OK)
		json_gen_val(g, names);
	else {
		(void)yajl_gen_map_open(g);
		(void)yajl_gen_map_close(g);
	}
	json_gen_cstr(g, "env");
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "MUPIF_NS", ns);
	json_gen_kv_str(g, "MUPIF_VPN_NAME", S.vpn_name);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_map_close(g);
	yajl_tree_free(names);
	return st == MST_OK;
}

/*
 * /vpn-status2/ (spec C.2): one key per WireGuard interface, as the vpn
 * service's vpn.status found them in the operator's `wg show` dump (keys
 * other than peers' public keys, and endpoints unless configured, already
 * left out there).  {} when the vpn service does not answer, has no dump
 * file, or answers something else than a JSON object: never a 500.
 */
static int
gen_vpn(yajl_gen g)
{
	yajl_val	 v = NULL;
	char		*reply = NULL, err[128];
	size_t		 len = 0;
	int		 st;

	st = bchan_call(&S.bc, MSG_VPN_STATUS, NULL, "{}", 2,
	    S.call_timeout_ms, &reply, &len);
	if (st == MST_OK) {
		v = json_parse_flags(reply, len, BCHAN_REPLY_MAX, 8,
		    JSON_F_KEYS_UNIQUE, err, sizeof(err));
		if (v == NULL || !YAJL_IS_OBJECT(v)) {
			log_warnx("vpn-status2: unreadable vpn.status: %s",
			    v == NULL ? err : "not an object");
			yajl_tree_free(v);
			v = NULL;
		}
	} else
		log_warnx("vpn-status2: vpn did not answer: %s",
		    msg_status_name((unsigned)st));
	free(reply);
	if (v != NULL)
		json_gen_val(g, v);
	else {
		(void)yajl_gen_map_open(g);
		(void)yajl_gen_map_close(g);
	}
	yajl_tree_free(v);
	return v != NULL;
}

/* The array of a nameserver probe round (op), or [] when there is none:
 * 1 if the nameserver answered. */
static int
gen_round(yajl_gen g, unsigned op, const char *what)
{
	yajl_val arr = ns_round(op, what);

	if (arr != NULL)
		json_gen_val(g, arr);
	else {
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_array_close(g);
	}
	yajl_tree_free(arr);
	return arr != NULL;
}

/*
 * /jobmans-status2/ (spec C.2): one element per job manager (registration
 * tagged type:jobmanager), {ns, numJobs, jobs, status, signature} or null,
 * as the nameserver's ns.jobmans found them (it makes the Pyro calls; this
 * process never speaks Pyro and never unpickles).  [] when none is
 * registered (the original answered 500) and when the nameserver does
 * not answer: never a 500.  The array is checked before it is passed on.
 */
static int
gen_jobmans(yajl_gen g)
{
	return gen_round(g, MSG_NS_JOBMANS, "jobmans-status2");
}

/*
 * /scheduler-status2/ (spec C.2): an array of SchedulerInfo {ns,
 * numTasks, history, lastExecutions, running} or null.  The first
 * element is the node's own scheduler, from its sched.stats through the
 * broker (gen_own_sched(): ns {"mupif.scheduler", "local:<owner>",
 * ["type:scheduler"]}; null when it does not answer).  Then one element
 * per registration tagged type:scheduler, as the nameserver's
 * ns.schedulers found them (it calls getStatistics(); none when none is
 * registered or the nameserver does not answer).  "running" is always
 * {}: no log tails, never unpickled.  Never a 500.
 */
static int
gen_scheds(yajl_gen g)
{
	yajl_val	arr;
	size_t		i;
	int		own;

	(void)yajl_gen_array_open(g);
	own = gen_own_sched(g);
	arr = ns_round(MSG_NS_SCHEDULERS, "scheduler-status2");
	for (i = 0; arr != NULL && i < YAJL_GET_ARRAY(arr)->len; i++)
		json_gen_val(g, YAJL_GET_ARRAY(arr)->values[i]);
	(void)yajl_gen_array_close(g);
	yajl_tree_free(arr);
	return own && arr != NULL;
}

/* Regenerate one cached document. */
static void
cache_refresh(struct cached *cc, gen_fn gen, int64_t now)
{
	yajl_gen		 g;
	const unsigned char	*out;
	size_t			 len;
	unsigned char		 h[16];
	char			 hex[33];
	int			 ok;

	if ((g = json_gen_new()) == NULL)
		return;
	ok = gen(g);
	if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return;
	}
	free(cc->body);
	if ((cc->body = malloc(len)) != NULL) {
		memcpy(cc->body, out, len);
		cc->len = len;
		cc->made = now;
		(void)crypto_generichash(h, sizeof(h), out, len, NULL, 0);
		util_hex(h, sizeof(h), hex);
		(void)snprintf(cc->etag, sizeof(cc->etag), "W/\"%s\"", hex);
		cc->expires = now + (ok ? S.cache_ms : S.cache_ms / 4);
	} else
		cc->len = 0;
	yajl_gen_free(g);
}

/* Serve a cached endpoint: 2 s cache (status_cache_ms), weak ETag and
 * 304, Cache-Control: max-age. */
static enum MHD_Result
serve_cached(struct MHD_Connection *c, struct cached *cc, gen_fn gen)
{
	const char	*inm, *ctl;
	int64_t		 now = util_mono_ms();
	int		 bypass;

	ctl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Cache-Control");
	/* "no-cache" is honoured as the original did, but at most once per
	 * status_min_refresh_ms: a public client cannot turn every request
	 * into a database query and an audit record. */
	bypass = ctl != NULL && (strstr(ctl, "no-cache") != NULL ||
	    strstr(ctl, "no-store") != NULL) &&
	    now - cc->made >= S.min_refresh_ms;
	if (bypass || cc->body == NULL || now >= cc->expires)
		cache_refresh(cc, gen, now);
	if (cc->body == NULL)
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "out of memory");
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "If-None-Match");
	if (inm != NULL && (strcmp(inm, cc->etag) == 0 ||
	    strcmp(inm, "*") == 0))
		return respond(c, MHD_HTTP_NOT_MODIFIED, "", 0, cc, now);
	return respond(c, MHD_HTTP_OK, cc->body, cc->len, cc, now);
}

#ifdef MUPIF_TEST_HOOKS
/* Test builds only: ask the broker for any operation by name, so the
 * integration suite can show that the policy refuses what safeapi may not
 * do.  Release builds have no such path. */
static enum MHD_Result
serve_test_call(struct MHD_Connection *c, const char *op)
{
	char	 body[128];
	int	 type, st, n;

	if ((type = msg_type_lookup(op, strlen(op))) < 0)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "unknown op");
	st = bchan_call(&S.bc, (unsigned)type, "test-target", "{}", 2,
	    S.call_timeout_ms, NULL, NULL);
	n = snprintf(body, sizeof(body), "{\"status\":\"%s\"}",
	    msg_status_name((unsigned)st));
	return respond(c, MHD_HTTP_OK, body, (size_t)n, NULL, 0);
}

/* Test builds only: a request carrying a sealed memfd, which the policy
 * does not allow for any safeapi operation. */
static enum MHD_Result
serve_test_call_fd(struct MHD_Connection *c, const char *op)
{
	struct msg_hdr	 h;
	struct msg	 m;
	char		 body[128];
	int		 type, ferr, n;

	if ((type = msg_type_lookup(op, strlen(op))) < 0)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "unknown op");
	if (msg_hdr_init(&h, (unsigned)type, 0x7e57, 0, MST_OK, NULL) == -1 ||
	    msg_send(S.bc.fd, &h, "{}", 2, S.test_fd) == -1)
		fatal("send with fd");
	if (msg_recv(S.bc.fd, S.bc.buf, &m, &ferr) != 1)
		fatalx("no reply");
	n = snprintf(body, sizeof(body), "{\"status\":\"%s\"}",
	    msg_status_name(m.hdr.status));
	return respond(c, MHD_HTTP_OK, body, (size_t)n, NULL, 0);
}

/*
 * Test builds only: /__test/call_data/<op>?payload=<JSON>&data=<base64url>
 * sends op with that payload and a memfd holding the decoded data (one of
 * TEST_POOL made before the seal: the filter has no memfd_create; none
 * when data is empty), waits
 * up to 60 s, and answers 200 with the reply's payload as the body and
 * its status in X-Mupif-Status.  Drives sched.inspect in
 * tests/integration/test_14_inspect.py under a test copy of the policy.
 */
static enum MHD_Result
serve_test_call_data(struct MHD_Connection *c, const char *op)
{
	struct MHD_Response	*r;
	const char		*payload, *data;
	unsigned char		*bin;
	char			*reply = NULL;
	size_t			 binlen = 0, rlen = 0, dl;
	int			 type, st, fd;
	enum MHD_Result		 ret;

	if ((type = msg_type_lookup(op, strlen(op))) < 0)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "unknown op");
	payload = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "payload");
	data = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "data");
	if (payload == NULL || data == NULL)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "payload, data");
	if ((dl = strlen(data)) == 0) {	/* no descriptor at all */
		st = bchan_call(&S.bc, (unsigned)type, NULL, payload,
		    strlen(payload), 60000, &reply, &rlen);
		goto answer;
	}
	if (S.test_next == TEST_POOL)
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "test memfd pool used up");
	fd = S.test_pool[S.test_next++];
	if ((bin = malloc(dl + 1)) == NULL)
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "oom");
	if (sodium_base642bin(bin, dl + 1, data, dl, NULL, &binlen, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    util_write_all(fd, bin, binlen) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		free(bin);
		return respond_error(c, MHD_HTTP_NOT_FOUND, "bad data");
	}
	free(bin);
	st = bchan_call_fd(&S.bc, (unsigned)type, NULL, payload,
	    strlen(payload), fd, 60000, &reply, &rlen, NULL);
	(void)close(fd);
answer:
	r = MHD_create_response_from_buffer(rlen, reply != NULL ? reply : "",
	    MHD_RESPMEM_MUST_COPY);
	free(reply);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, "X-Mupif-Status",
	    msg_status_name((unsigned)st));
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Test builds only: /__test/call_json/<op>?payload=<JSON> sends op with
 * that payload (no descriptor) and answers 200 with the reply's payload
 * as the body and its status in X-Mupif-Status.  Drives the auth service
 * in tests/integration/test_12_auth.py under a test copy of the policy.
 */
static enum MHD_Result
serve_test_call_json(struct MHD_Connection *c, const char *op)
{
	struct MHD_Response	*r;
	const char		*payload;
	char			*reply = NULL;
	size_t			 rlen = 0;
	int			 type, st;
	enum MHD_Result		 ret;

	if ((type = msg_type_lookup(op, strlen(op))) < 0)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "unknown op");
	if ((payload = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "payload")) == NULL)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "payload");
	st = bchan_call(&S.bc, (unsigned)type, NULL, payload, strlen(payload),
	    S.call_timeout_ms, &reply, &rlen);
	r = MHD_create_response_from_buffer(rlen, reply != NULL ? reply : "",
	    MHD_RESPMEM_MUST_COPY);
	free(reply);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, "X-Mupif-Status",
	    msg_status_name((unsigned)st));
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Test builds only: /__test/burst/<tag>/<n> makes n log.insert requests
 * {"tag", "seq"} one after the other and answers with the seq numbers the
 * db acknowledged (the durability test kills the db meanwhile; its test
 * policy allows safeapi this operation, the shipped one does not). */
static enum MHD_Result
serve_test_burst(struct MHD_Connection *c, const char *arg)
{
	const char	*slash = strchr(arg, '/');
	char		 tag[32], req[96], *body;
	size_t		 cap, len = 0;
	long long	 n, i;
	enum MHD_Result	 ret;

	if (slash == NULL || (size_t)(slash - arg) >= sizeof(tag) ||
	    slash == arg)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "bad burst");
	memcpy(tag, arg, (size_t)(slash - arg));
	tag[slash - arg] = '\0';
	for (i = 0; tag[i] != '\0'; i++)
		if (!((tag[i] >= 'a' && tag[i] <= 'z') ||
		    (tag[i] >= '0' && tag[i] <= '9')))
			return respond_error(c, MHD_HTTP_NOT_FOUND, "bad tag");
	n = strtonum(slash + 1, 1, 100000, NULL);
	if (n == 0)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "bad count");
	cap = (size_t)n * 8 + 32;
	if ((body = malloc(cap)) == NULL)
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "oom");
	len = (size_t)snprintf(body, cap, "{\"acked\":[");
	for (i = 0; i < n; i++) {
		int m = snprintf(req, sizeof(req), "{\"tag\":\"%s\","
		    "\"seq\":%lld}", tag, i);

		if (bchan_call(&S.bc, MSG_LOG_INSERT, NULL, req, (size_t)m,
		    S.call_timeout_ms, NULL, NULL) != MST_OK)
			continue;
		len += (size_t)snprintf(body + len, cap - len, "%s%lld",
		    body[len - 1] == '[' ? "" : ",", i);
	}
	len += (size_t)snprintf(body + len, cap - len, "]}");
	ret = respond(c, MHD_HTTP_OK, body, len, NULL, 0);
	free(body);
	return ret;
}

/* Shell sort: glibc's qsort() asks sysinfo(2) for the memory size on
 * large arrays, which this process's filter (rightly) does not allow. */
static void
sort_ll(long long *a, size_t n)
{
	size_t		gap, i, j;
	long long	t;

	for (gap = n / 2; gap > 0; gap /= 2)
		for (i = gap; i < n; i++) {
			t = a[i];
			for (j = i; j >= gap && a[j - gap] > t; j -= gap)
				a[j] = a[j - gap];
			a[j] = t;
		}
}

/* Benchmark figures of one operation: latencies in microseconds. */
static size_t
bench_report(char *out, size_t cap, const char *name, long long *lat,
    size_t n, size_t ok, int64_t total_us, int last)
{
	int w;

	sort_ll(lat, n);
	w = snprintf(out, cap, "\"%s\":{\"n\":%zu,\"ok\":%zu,"
	    "\"ops_per_s\":%.0f,\"p50_us\":%lld,\"p99_us\":%lld}%s", name,
	    n, ok, total_us > 0 ? (double)n * 1e6 / (double)total_us : 0.0,
	    n > 0 ? lat[n / 2] : 0, n > 0 ? lat[(n * 99) / 100] : 0,
	    last ? "" : ",");
	return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Test builds only (and build-bench/): /__test/dbbench/<n> measures db
 * operations through the broker from here: n execution.insert, n
 * execution.get by id, n/10 execution.list of a page of 100, n/2
 * execution.claim.  Used by bench/db.sh under a policy that allows them.
 */
static enum MHD_Result
serve_test_dbbench(struct MHD_Connection *c, const char *arg)
{
	char		(*ids)[25] = NULL, req[512], *reply, out[1024];
	long long	*lat = NULL, n;
	size_t		 i, ok, len = 0, rl;
	int64_t		 t0, t;
	enum MHD_Result	 ret;

	if ((n = strtonum(arg, 10, 20000, NULL)) == 0)
		return respond_error(c, MHD_HTTP_NOT_FOUND, "bad count");
	ids = calloc((size_t)n, sizeof(*ids));
	lat = calloc((size_t)n, sizeof(*lat));
	if (ids == NULL || lat == NULL) {
		free(ids);
		free(lat);
		return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "oom");
	}
	len = (size_t)snprintf(out, sizeof(out), "{");
	/* insert */
	t0 = now_us();
	for (i = 0, ok = 0; i < (size_t)n; i++) {
		int m = snprintf(req, sizeof(req), "{\"WorkflowID\":\"bench\","
		    "\"WorkflowVersion\":1,\"Status\":\"Pending\","
		    "\"CreatedDate\":\"2026-01-01T00:00:00.%06zu\","
		    "\"SubmittedDate\":\"2026-01-01T00:00:00.%06zu\","
		    "\"RequestedBy\":\"bench@x\",\"Inputs\":\"\","
		    "\"Outputs\":\"\",\"label\":\"bench\"}", i, i);

		t = now_us();
		if (bchan_call(&S.bc, MSG_EXEC_INSERT, NULL, req, (size_t)m,
		    S.call_timeout_ms, &reply, &rl) == MST_OK) {
			const char *p = strstr(reply, "\"_id\":\"");

			if (p != NULL && strlen(p + 7) >= 24) {
				memcpy(ids[ok], p + 7, 24);
				ok++;
			}
		}
		free(reply);
		lat[i] = now_us() - t;
	}
	len += bench_report(out + len, sizeof(out) - len, "insert", lat,
	    (size_t)n, ok, now_us() - t0, 0);
	/* get by id */
	t0 = now_us();
	for (i = 0; i < ok; i++) {
		int m = snprintf(req, sizeof(req), "{\"_id\":\"%.24s\"}",
		    ids[i]);

		t = now_us();
		if (bchan_call(&S.bc, MSG_EXEC_GET, NULL, req, (size_t)m,
		    S.call_timeout_ms, NULL, NULL) != MST_OK)
			ok--;
		lat[i] = now_us() - t;
	}
	len += bench_report(out + len, sizeof(out) - len, "get", lat, i, ok,
	    now_us() - t0, 0);
	/* a page of 100 */
	t0 = now_us();
	for (i = 0, ok = 0; i < (size_t)n / 10; i++) {
		int m = snprintf(req, sizeof(req), "{\"label\":\"bench\","
		    "\"page\":%zu,\"pageSize\":100}", 1 + i % 5);

		t = now_us();
		if (bchan_call(&S.bc, MSG_EXEC_LIST, NULL, req, (size_t)m,
		    S.call_timeout_ms, NULL, NULL) == MST_OK)
			ok++;
		lat[i] = now_us() - t;
	}
	len += bench_report(out + len, sizeof(out) - len, "list100", lat, i,
	    ok, now_us() - t0, 0);
	/* claim */
	t0 = now_us();
	for (i = 0, ok = 0; i < (size_t)n / 2; i++) {
		t = now_us();
		if (bchan_call(&S.bc, MSG_EXEC_CLAIM, NULL, "{}", 2,
		    S.call_timeout_ms, NULL, NULL) == MST_OK)
			ok++;
		lat[i] = now_us() - t;
	}
	len += bench_report(out + len, sizeof(out) - len, "claim", lat, i, ok,
	    now_us() - t0, 1);
	len += (size_t)snprintf(out + len, sizeof(out) - len, "}");
	ret = respond(c, MHD_HTTP_OK, out, len, NULL, 0);
	free(ids);
	free(lat);
	return ret;
}

/* Test builds only: send the broker a malformed frame (a length field
 * that lies); the broker must close our channel and we must exit. */
static enum MHD_Result
serve_test_malformed(struct MHD_Connection *c)
{
	struct msg_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = MSG_EXEC_COUNT;
	h.len = 4096;
	if (send(S.bc.fd, &h, sizeof(h), MSG_NOSIGNAL) == -1)
		fatal("send");
	return respond(c, MHD_HTTP_OK, "{}", 2, NULL, 0);
}
#endif

/* Whether a request announces a body (Content-Length other than 0, or
 * any Transfer-Encoding). */
static int
has_body(struct MHD_Connection *c)
{
	const char *cl, *te;

	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	return te != NULL || (cl != NULL && strcmp(cl, "0") != 0);
}

/* The last X-Forwarded-For header of a request (a client may send
 * several; the proxy appends to the one it forwards). */
static enum MHD_Result
last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	if (key != NULL && value != NULL &&
	    strcasecmp(key, "X-Forwarded-For") == 0)
		*(const char **)cls = value;
	return MHD_YES;
}

/*
 * The client a request is counted against: the socket peer; when the
 * peer is trusted_proxy, the last hop of its X-Forwarded-For (the address
 * the proxy saw; the hops before it are the client's own text).  A
 * request from the proxy without a usable header counts against the
 * proxy's address (logged: the proxy is then misconfigured).  -1 when
 * libmicrohttpd knows no peer address.
 */
static int
client_addr(struct MHD_Connection *c, struct rl_addr *out)
{
	const union MHD_ConnectionInfo	*ci;
	const char			*xff = NULL;
	struct rl_addr			 hop;
	sa_family_t			 fam;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return -1;
	memcpy(&fam, &ci->client_addr->sa_family, sizeof(fam));
	if (rl_addr_from_sockaddr(ci->client_addr, fam == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6),
	    out) == -1)
		return -1;
	if (!S.has_proxy || !rl_addr_eq(out, &S.proxy))
		return 0;
	(void)MHD_get_connection_values(c, MHD_HEADER_KIND, last_xff, &xff);
	if (xff != NULL && xff_last_hop(xff, strnlen(xff, XFF_MAX_LEN + 1),
	    &hop) == 0) {
		*out = hop;
		return 0;
	}
	if (S.bad_xff++ % 1000 == 0)
		log_warnx("request from trusted_proxy with %s X-Forwarded-For "
		    "(%llu so far): counted against the proxy", xff == NULL ?
		    "no" : "an unusable", (unsigned long long)S.bad_xff);
	return 0;
}

/* Take one token for the request's client; 0 after queuing a 429. */
static int
rate_ok(struct MHD_Connection *c)
{
	struct MHD_Response	*r;
	struct rl_addr		 a;
	unsigned		 retry = 1;
	char			 ra[16], who[RL_ADDR_TEXT];
	static const char	 body[] = "{\"detail\":\"Too Many Requests\"}";

	if (S.rl.rate == 0 || client_addr(c, &a) == -1)
		return 1;
	if (rl_take(&S.rl, &a, util_mono_ms(), &retry))
		return 1;
	if (S.limited++ % 1000 == 0) {
		rl_addr_format(&a, who, sizeof(who));
		log_warnx("rate limit: %s refused (%llu refusals so far)",
		    who, (unsigned long long)S.limited);
	}
	r = MHD_create_response_from_buffer(sizeof(body) - 1,
	    (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return 0;
	(void)snprintf(ra, sizeof(ra), "%u", retry);
	(void)MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	(void)MHD_add_response_header(r, "Content-Type", "application/json");
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(r, "Retry-After", ra);
	(void)MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
	MHD_destroy_response(r);
	return 0;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	int head;

	(void)cls;
	(void)version;
	(void)upload;
	/* Answer on the second call: queuing on the first costs
	 * keep-alive in libmicrohttpd 0.9.75 (ENVIRONMENT.md). */
	if (*con_cls == NULL) {
		*con_cls = &first_call_marker;
		/* No request of this API has a body: one announced is
		 * refused before it is read (and the connection then
		 * closed): 405 for a method other than GET, HEAD and
		 * OPTIONS (as without a body), else 413. */
		if (has_body(c)) {
			if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
			    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
			    strcmp(method, MHD_HTTP_METHOD_OPTIONS) != 0)
				return respond_error(c,
				    MHD_HTTP_METHOD_NOT_ALLOWED,
				    "Method Not Allowed");
			return respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "request bodies are not accepted");
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;	/* not reached: refused above */
		return MHD_YES;
	}
	if (!rate_ok(c))
		return MHD_YES;		/* 429 queued */
	head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0) {
		struct MHD_Response *r;
		enum MHD_Result ret;

		r = MHD_create_response_from_buffer(0, (void *)(uintptr_t)"",
		    MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		(void)MHD_add_response_header(r,
		    "Access-Control-Allow-Origin", "*");
		(void)MHD_add_response_header(r,
		    "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
		(void)MHD_add_response_header(r,
		    "Access-Control-Allow-Headers", "*");
		(void)MHD_add_response_header(r, "Access-Control-Max-Age",
		    "600");
		ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return respond_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "Method Not Allowed");
	if (strcmp(url, "/status2/") == 0 || strcmp(url, "/status2") == 0)
		return serve_cached(c, &S.status, gen_status);
	if (strcmp(url, "/ns-status2/") == 0 || strcmp(url, "/ns-status2") == 0)
		return serve_cached(c, &S.ns_status, gen_ns);
	if (strcmp(url, "/vpn-status2/") == 0 ||
	    strcmp(url, "/vpn-status2") == 0)
		return serve_cached(c, &S.vpn, gen_vpn);
	if (strcmp(url, "/jobmans-status2/") == 0 ||
	    strcmp(url, "/jobmans-status2") == 0)
		return serve_cached(c, &S.jobmans, gen_jobmans);
	if (strcmp(url, "/scheduler-status2/") == 0 ||
	    strcmp(url, "/scheduler-status2") == 0)
		return serve_cached(c, &S.scheds, gen_scheds);
#ifdef MUPIF_TEST_HOOKS
	if (strncmp(url, "/__test/call/", 13) == 0)
		return serve_test_call(c, url + 13);
	if (strncmp(url, "/__test/call_fd/", 16) == 0)
		return serve_test_call_fd(c, url + 16);
	if (strncmp(url, "/__test/call_data/", 18) == 0)
		return serve_test_call_data(c, url + 18);
	if (strncmp(url, "/__test/call_json/", 18) == 0)
		return serve_test_call_json(c, url + 18);
	if (strcmp(url, "/__test/malformed") == 0)
		return serve_test_malformed(c);
	if (strncmp(url, "/__test/burst/", 14) == 0)
		return serve_test_burst(c, url + 14);
	if (strncmp(url, "/__test/dbbench/", 16) == 0)
		return serve_test_dbbench(c, url + 16);
#endif
	return respond_error(c, MHD_HTTP_NOT_FOUND, "Not Found");
}

static void
request_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	*con_cls = NULL;
}

int
main(int argc, char *argv[])
{
	struct sandbox		 sb;
	struct MHD_Daemon	*d;
	struct pollfd		 pfd[2];
	const union MHD_DaemonInfo *info;
	struct sigaction	 sa;
	const char		*s;
	long long		 v;
	uint64_t		 rate, burst;
	int			 fl;

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "safeapi");
	if ((s = json_get_str(sb.config, "vpn_name")) == NULL ||
	    strlcpy(S.vpn_name, s, sizeof(S.vpn_name)) >= sizeof(S.vpn_name))
		fatalx("bad vpn_name");
	if (json_get_int(sb.config, "status_cache_ms", &v) == -1 || v < 0)
		fatalx("bad status_cache_ms");
	S.cache_ms = v;
	if ((s = json_get_str(sb.config, "ns_host")) == NULL ||
	    strlcpy(S.ns_host, s, sizeof(S.ns_host)) >= sizeof(S.ns_host))
		fatalx("bad ns_host");
	if (json_get_int(sb.config, "ns_port", &v) == -1 || v < 1 || v > 65535)
		fatalx("bad ns_port");
	S.ns_port = (unsigned)v;
	if (json_get_int(sb.config, "status_min_refresh_ms", &v) == -1 ||
	    v < 0)
		fatalx("bad status_min_refresh_ms");
	S.min_refresh_ms = v;
	if (json_get_int(sb.config, "call_timeout_ms", &v) == -1 || v < 1 ||
	    v > 600000)
		fatalx("bad call_timeout_ms");
	S.call_timeout_ms = (int)v;
	/* ns.jobmans and ns.schedulers take up to ns_probe_budget_ms;
	 * absent: as any call. */
	S.jobmans_timeout_ms = S.call_timeout_ms;
	if (json_get_int(sb.config, "jobmans_timeout_ms", &v) == 0) {
		if (v < 1 || v > 600000)
			fatalx("bad jobmans_timeout_ms");
		S.jobmans_timeout_ms = (int)v;
	}
	/* Abuse limits (README: safeapi_rate ... safeapi_max_request). */
	if (json_get_int(sb.config, "rate", &v) == -1 || v < 0 || v > 1000000)
		fatalx("bad rate");
	rate = (uint64_t)v;
	if (json_get_int(sb.config, "burst", &v) == -1 || v < 1 ||
	    v > 1000000)
		fatalx("bad burst");
	burst = (uint64_t)v;
	if ((s = json_get_str(sb.config, "trusted_proxy")) == NULL)
		fatalx("bad trusted_proxy");
	if (s[0] != '\0') {
		if (rl_addr_parse(s, strlen(s), &S.proxy) == -1)
			fatalx("bad trusted_proxy");
		S.has_proxy = 1;
	}
	if (json_get_int(sb.config, "timeout_s", &v) == -1 || v < 1 ||
	    v > 3600)
		fatalx("bad timeout_s");
	S.timeout_s = (unsigned)v;
	if (json_get_int(sb.config, "max_conn_per_addr", &v) == -1 || v < 0 ||
	    v > 512)
		fatalx("bad max_conn_per_addr");
	S.max_conn_per_addr = (unsigned)v;
	if (json_get_int(sb.config, "max_request", &v) == -1 || v < 4096 ||
	    v > 1048576)
		fatalx("bad max_request");
	S.max_request = (size_t)v;
	if (bchan_init(&S.bc, FD_BROKER) == -1)
		fatal("init");
	if (sodium_init() == -1)
		fatalx("sodium_init");
	/* A fixed table: 4096 clients tracked at once, the idle ones
	 * forgotten first (lib/ratelimit.h). */
	if (rl_init(&S.rl, rate, burst, 4096) == -1)
		fatalx("rate limit table");

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
	/* One thread: libmicrohttpd in external epoll mode, driven from
	 * this loop, so no thread is ever created and the seccomp filter
	 * needs no clone and no thread start-up syscalls. */
	d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, handler, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)FD_LISTEN,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)512,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, S.max_conn_per_addr,
	    MHD_OPTION_CONNECTION_TIMEOUT, S.timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, S.max_request,
	    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
	    MHD_OPTION_END);
	if (d == NULL)
		fatalx("cannot start the HTTP server");
#ifdef MUPIF_TEST_HOOKS
	if ((S.test_fd = memfd_create("test", MFD_CLOEXEC)) == -1)
		fatal("memfd_create");
	for (S.test_next = 0; S.test_next < TEST_POOL; S.test_next++)
		if ((S.test_pool[S.test_next] = memfd_create("test",
		    MFD_CLOEXEC)) == -1)
			fatal("memfd_create");
	S.test_next = 0;
#endif
	if ((info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD)) == NULL)
		fatalx("no epoll descriptor from libmicrohttpd");
	sandbox_seal(&sb);
	sandbox_free(&sb);
	bchan_ready(&S.bc, "http");
	log_info("serving the safe API");

	/* Wait for HTTP work, SIGTERM, or the broker going away (then the
	 * launcher restarts us). */
	while (!S.quit) {
		MHD_UNSIGNED_LONG_LONG	 to;
		int			 ms = 1000;

		if (MHD_get_timeout(d, &to) == MHD_YES && to < 1000)
			ms = (int)to;
		pfd[0].fd = info->epoll_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = FD_BROKER;
		pfd[1].events = 0;
		if (poll(pfd, 2, ms) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			log_info("broker went away, exiting");
			break;
		}
		if (MHD_run(d) != MHD_YES)
			log_warnx("http: MHD_run failed");
	}
	MHD_stop_daemon(d);
	log_info("exiting");
	return 0;
}
