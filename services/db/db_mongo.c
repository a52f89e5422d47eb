/*
 * db_mongo.c - MongoDB backend of the db service (mongo-c-driver 1.23).
 *
 * Role: implements struct db_backend (db.h) on a MongoDB database, by
 * default "MuPIF", with mupifDB's collection names and document shapes
 * (spec/rest-api.md section 2) so that an existing mupifDB database keeps
 * working, and files in the standard GridFS bucket "fs".  Runs inside the
 * db process (policy/db-mongo.profile, policy/db-mongo.seccomp), the only
 * process that holds the database URI and its credentials; the URI's
 * password never appears in a message or a log line (mg_redact, mg_scrub).
 *
 * Documents cross the interface as plain JSON: "_id" is a 24-hex string
 * here and an ObjectId in MongoDB.  JSON -> BSON maps integers to int32
 * when they fit and int64 otherwise (what pymongo writes), other numbers
 * to double; BSON -> JSON is generated with yajl_gen walking the BSON with
 * bson_iter (no extended JSON: ObjectIds become hex strings, dates ISO
 * 8601 strings, NaN and infinities null).
 *
 * One mongoc_client_t per backend handle: a handle is used by one thread
 * at a time (the db service is single-threaded; the tests open one handle
 * per thread).  Writes use the URI's write concern if it sets one, else
 * w=1 with journal (a replica set sets w=majority in the URI).  Transient
 * errors (no server, network, not primary) are retried MG_RETRIES times
 * with a growing pause, but only where a retry cannot change the answer:
 * see mg_retry_ok().
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mongoc/mongoc.h>
#include <sodium.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "msg_types.h"
#include "banned.h"

#define MG_DBNAME	"MuPIF"
#define MG_BUCKET	"fs"
#define MG_CHUNK	(255 * 1024)	/* GridFS chunk, as pymongo writes */
#define MG_RETRIES	3		/* attempts after the first one */
#define MG_BACKOFF_MS	50		/* x4 per attempt: 50, 200, 800 ms */
#define MG_DEPTH	64		/* JSON nesting accepted from callers */
#define MG_JSON_MAX	(32 * 1024 * 1024)	/* one document as JSON */
#define MG_FILE_MAX	((uint64_t)4 << 30)	/* one file in a memfd */
#define MG_SOCKET_MS	30000		/* socketTimeoutMS unless the URI
					   says (the driver's is 5 min) */
#define MG_CONDS_MAX	64
#define MG_SETS_MAX	256

struct mg {
	struct db_backend	 b;	/* first: what callers hold */
	mongoc_client_t		*client;
	mongoc_database_t	*db;
	mongoc_collection_t	*coll[DC_COUNT];
	mongoc_gridfs_bucket_t	*bucket;
};

/* How a failed call should be answered. */
enum mg_class {
	MC_DUP,		/* duplicate key: MST_BADREQ */
	MC_BAD,		/* the server refused the request itself */
	MC_UNSENT,	/* transient, and the server did not apply it */
	MC_UNKNOWN,	/* transient, but it may have been applied */
	MC_FATAL,	/* anything else: MST_INTERNAL */
};

static pthread_once_t mg_once = PTHREAD_ONCE_INIT;

/*
 * Driver log lines go to our log.  The driver never logs the URI's
 * password; "endSessions" failing at client destroy is what jongodb (the
 * test server) answers and is kept at debug level.
 */
static void
mg_log(mongoc_log_level_t level, const char *domain, const char *msg,
    void *arg)
{
	(void)arg;
	if (level > MONGOC_LOG_LEVEL_WARNING)
		return;
	if (strstr(msg, "\"endSessions\"") != NULL)
		log_debug("mongoc %s: %s", domain, msg);
	else
		log_warnx("mongoc %s: %s", domain, msg);
}

static void
mg_global_init(void)
{
	/*
	 * libmongoc keeps its performance counters in a shared memory file,
	 * /dev/shm/mongoc-<pid>, unless MONGOC_DISABLE_SHM is set: left
	 * behind by a killed process (and fatal under an "rlimit fsize 0",
	 * which db-mongo.profile had: SIGXFSZ at its ftruncate).  XXX
	 * Debian's build (MONGOC_NO_AUTOMATIC_GLOBALS 0) already ran
	 * mongoc_init() from a library constructor before main(), so this
	 * only helps other builds: the launcher must put
	 * MONGOC_DISABLE_SHM=1 in the environment of every process that
	 * links libmongoc.
	 */
	(void)setenv("MONGOC_DISABLE_SHM", "1", 1);
	mongoc_init();
	mongoc_log_set_handler(mg_log, NULL);
	/* mongoc_cleanup() is once per process; at exit, not at close, so
	 * that a later db_mongo_open() still works. */
	(void)atexit(mongoc_cleanup);
}

/*
 * Where the userinfo of uri starts (after "://") and its '@', or NULL.
 * The last '@' of the whole string counts: a password with an unescaped
 * '/', '?' or '@' still ends before it, and an '@' in an option value only
 * makes more of the URI hidden, never less.
 */
static const char *
mg_userinfo(const char *uri, const char **at)
{
	const char *auth;

	if (uri == NULL || (*at = strrchr(uri, '@')) == NULL)
		return NULL;
	auth = strstr(uri, "://");
	auth = auth != NULL && auth < *at ? auth + 3 : uri;
	return auth;
}

/* Copy uri into out with its userinfo ("user:password@") replaced by
 * "***@", for messages; works on malformed URIs too. */
static void
mg_redact(const char *uri, char *out, size_t outlen)
{
	const char *auth, *at;

	if ((auth = mg_userinfo(uri, &at)) == NULL)
		(void)strlcpy(out, uri != NULL ? uri : "(null)", outlen);
	else
		(void)snprintf(out, outlen, "%.*s***%s", (int)(auth - uri),
		    uri, at);
}

/* The password part of uri's userinfo (copied into buf), or NULL. */
static const char *
mg_password(const char *uri, char *buf, size_t len)
{
	const char *auth, *at, *colon;

	if ((auth = mg_userinfo(uri, &at)) == NULL ||
	    (colon = memchr(auth, ':', (size_t)(at - auth))) == NULL ||
	    at - colon - 1 <= 0)
		return NULL;
	(void)snprintf(buf, len, "%.*s", (int)(at - colon - 1), colon + 1);
	return buf;
}

/*
 * msg, unless it may show the password of uri: it contains the password
 * (raw or decoded), or an '@' while uri has a userinfo (the driver reads
 * a password with an unescaped '@' as part of the host name and names
 * that host in its messages).
 */
static const char *
mg_scrub(const char *msg, const char *uri, const mongoc_uri_t *u)
{
	const char	*at, *p;
	char		 pw[256];
	int		 bad = 0;

	if (mg_userinfo(uri, &at) != NULL && strchr(msg, '@') != NULL)
		bad = 1;
	if ((p = mg_password(uri, pw, sizeof(pw))) != NULL &&
	    strstr(msg, p) != NULL)
		bad = 1;
	if (u != NULL && (p = mongoc_uri_get_password(u)) != NULL &&
	    *p != '\0' && strstr(msg, p) != NULL)
		bad = 1;
	sodium_memzero(pw, sizeof(pw));
	return bad ? "(message withheld: it may show a credential)" : msg;
}

static struct mg *
mg_of(struct db_backend *b)
{
	return (struct mg *)(void *)b;
}

static mongoc_collection_t *
mg_coll(struct mg *m, enum db_coll c)
{
	return (unsigned)c < DC_COUNT ? m->coll[c] : NULL;
}

/* Server error codes (src/mongo/base/error_codes.yml). */
static enum mg_class
mg_classify(const bson_error_t *e, const bson_t *reply)
{
	if (e->domain == MONGOC_ERROR_SERVER_SELECTION)
		return MC_UNSENT;
	if (e->domain == MONGOC_ERROR_STREAM)
		return MC_UNKNOWN;
	if (e->domain == MONGOC_ERROR_BSON ||
	    (e->domain == MONGOC_ERROR_COMMAND &&
	    e->code == MONGOC_ERROR_COMMAND_INVALID_ARG))
		return MC_BAD;
	if (e->domain != MONGOC_ERROR_SERVER &&
	    e->domain != MONGOC_ERROR_WRITE_CONCERN &&
	    e->domain != MONGOC_ERROR_QUERY)
		return MC_FATAL;
	switch (e->code) {
	case 11000:	/* DuplicateKey */
	case 11001:
	case 12582:
		return MC_DUP;
	case 10107:	/* NotWritablePrimary: refused, not applied */
	case 13435:	/* NotPrimaryNoSecondaryOk */
	case 13436:	/* NotPrimaryOrSecondary */
		return MC_UNSENT;
	case 6:		/* HostUnreachable */
	case 7:		/* HostNotFound */
	case 89:	/* NetworkTimeout */
	case 91:	/* ShutdownInProgress */
	case 189:	/* PrimarySteppedDown */
	case 9001:	/* SocketException */
	case 11600:	/* InterruptedAtShutdown */
	case 11602:	/* InterruptedDueToReplStateChange */
		return MC_UNKNOWN;
	case 2:		/* BadValue */
	case 9:		/* FailedToParse */
	case 14:	/* TypeMismatch */
	case 28:	/* PathNotViable */
	case 40:	/* ConflictingUpdateOperators */
	case 52:	/* DollarPrefixedFieldName */
	case 55:	/* InvalidDBRef */
	case 56:	/* EmptyFieldName */
	case 57:	/* DottedFieldName */
	case 66:	/* ImmutableField */
	case 10334:	/* BSONObjectTooLarge */
	case 17419:
	case 17420:
		return MC_BAD;
	}
	if (reply != NULL && (mongoc_error_has_label(reply,
	    "RetryableWriteError") || mongoc_error_has_label(reply,
	    "TransientTransactionError")))
		return MC_UNKNOWN;
	return MC_FATAL;
}

/*
 * May attempt `attempt' (1-based, after a failure of class cls) be
 * retried?  Reads are retried on any transient error; a write only if it
 * is idempotent, or if the server surely did not apply it.
 */
static int
mg_retry_ok(enum mg_class cls, int idempotent, int attempt)
{
	struct timespec	ts;
	long		ms;

	if (attempt > MG_RETRIES)
		return 0;
	if (cls != MC_UNSENT && !(cls == MC_UNKNOWN && idempotent))
		return 0;
	ms = (long)MG_BACKOFF_MS << (2 * (attempt - 1));
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return 1;
}

static int
mg_status(enum mg_class cls)
{
	switch (cls) {
	case MC_DUP:
	case MC_BAD:
		return MST_BADREQ;
	default:
		return MST_INTERNAL;
	}
}

/* Log an internal failure (never for a caller's bad request). */
static int
mg_fail(const char *op, const bson_error_t *e, enum mg_class cls)
{
	int st = mg_status(cls);

	if (st == MST_INTERNAL)
		log_warnx("db_mongo %s: %s (domain %u, code %u)", op,
		    e->message, e->domain, e->code);
	return st;
}

/* ------------------------------------------------------------------ */
/* JSON -> BSON */

static int	mg_append(bson_t *, const char *, yajl_val, int);

static int
mg_append_container(bson_t *b, const char *key, yajl_val v, int depth)
{
	bson_t		 child;
	const char	*k;
	char		 kbuf[16];
	size_t		 i;
	int		 r = 0;

	if (YAJL_IS_OBJECT(v)) {
		if (!bson_append_document_begin(b, key, -1, &child))
			return -1;
		for (i = 0; i < v->u.object.len && r == 0; i++)
			r = mg_append(&child, v->u.object.keys[i],
			    v->u.object.values[i], depth + 1);
		if (!bson_append_document_end(b, &child))
			r = -1;
		return r;
	}
	if (!bson_append_array_begin(b, key, -1, &child))
		return -1;
	for (i = 0; i < v->u.array.len && r == 0; i++) {
		if (i > UINT32_MAX) {
			r = -1;
			break;
		}
		(void)bson_uint32_to_string((uint32_t)i, &k, kbuf,
		    sizeof(kbuf));
		r = mg_append(&child, k, v->u.array.values[i], depth + 1);
	}
	if (!bson_append_array_end(b, &child))
		r = -1;
	return r;
}

/*
 * A JSON number under key, from its text: yajl's own flags miss two
 * valid cases (INT64_MIN is not flagged as an integer, a subnormal such
 * as 5e-324 not as a double).  An integer literal becomes int32 when it
 * fits, else int64, else a double; anything else a double.  A number
 * that overflows a double (1e400) is refused.
 */
static int
mg_append_number(bson_t *b, const char *key, yajl_val v)
{
	const char	*r = v->u.number.r;
	char		*end;
	long long	 i;
	double		 d;
	size_t		 n;

	if (r == NULL)
		return -1;
	n = strspn(r + (*r == '-'), "0123456789");
	if (n > 0 && r[(*r == '-') + n] == '\0') {
		errno = 0;
		i = strtoll(r, &end, 10);
		if (errno == 0 && *end == '\0') {
			if (i >= INT32_MIN && i <= INT32_MAX)
				return bson_append_int32(b, key, -1,
				    (int32_t)i) ? 0 : -1;
			return bson_append_int64(b, key, -1,
			    (int64_t)i) ? 0 : -1;
		}
	}
	d = strtod(r, &end);
	if (*end != '\0' || !isfinite(d))
		return -1;
	return bson_append_double(b, key, -1, d) ? 0 : -1;
}

/* Append JSON value v under key; -1 if v cannot be stored. */
static int
mg_append(bson_t *b, const char *key, yajl_val v, int depth)
{
	if (depth > MG_DEPTH)
		return -1;
	if (YAJL_IS_STRING(v))
		return bson_append_utf8(b, key, -1, v->u.string,
		    (int)strlen(v->u.string)) ? 0 : -1;
	if (YAJL_IS_NUMBER(v))
		return mg_append_number(b, key, v);
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return bson_append_bool(b, key, -1, YAJL_IS_TRUE(v)) ? 0 : -1;
	if (YAJL_IS_NULL(v))
		return bson_append_null(b, key, -1) ? 0 : -1;
	if (YAJL_IS_OBJECT(v) || YAJL_IS_ARRAY(v))
		return mg_append_container(b, key, v, depth);
	return -1;
}

static yajl_val
mg_parse(const char *json, size_t len)
{
	char err[128];

	if (json == NULL)
		return NULL;
	return json_parse(json, len, DB_DOC_MAX, MG_DEPTH, err, sizeof(err));
}

/* ------------------------------------------------------------------ */
/* BSON -> JSON */

static int	mg_gen_iter(yajl_gen, bson_iter_t *, int, int);

static int
mg_gen_double(yajl_gen g, double d)
{
	char nb[48];

	if (!isfinite(d))
		return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
	(void)snprintf(nb, sizeof(nb), "%.17g", d);
	/* Keep it a double for the reader: "3" would parse as an integer
	 * and come back as an int32 (pymongo would then return 3, not
	 * 3.0). */
	if (strpbrk(nb, ".eE") == NULL)
		(void)strlcat(nb, ".0", sizeof(nb));
	return yajl_gen_number(g, nb, strlen(nb)) == yajl_gen_status_ok ?
	    0 : -1;
}

static int
mg_gen_str(yajl_gen g, const char *s, size_t len)
{
	return yajl_gen_string(g, (const unsigned char *)s, len) ==
	    yajl_gen_status_ok ? 0 : -1;
}

static int
mg_gen_binary(yajl_gen g, bson_iter_t *it)
{
	const uint8_t	*p;
	uint32_t	 n;
	bson_subtype_t	 st;
	char		*s;
	size_t		 slen;
	int		 r;

	bson_iter_binary(it, &st, &n, &p);
	slen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	if ((s = malloc(slen)) == NULL)
		return -1;
	(void)sodium_bin2base64(s, slen, p, n,
	    sodium_base64_VARIANT_ORIGINAL);
	r = mg_gen_str(g, s, strlen(s));
	free(s);
	return r;
}

/* One value at it. */
static int
mg_gen_value(yajl_gen g, bson_iter_t *it, int depth)
{
	bson_iter_t		 child;
	const bson_oid_t	*oid;
	const char		*s, *opts;
	const uint8_t		*scope;
	char			 buf[64];
	uint32_t		 len, ts, inc;
	bson_decimal128_t	 dec;
	int			 r;

	switch (bson_iter_type(it)) {
	case BSON_TYPE_DOUBLE:
		return mg_gen_double(g, bson_iter_double(it));
	case BSON_TYPE_UTF8:
		s = bson_iter_utf8(it, &len);
		return mg_gen_str(g, s, len);
	case BSON_TYPE_DOCUMENT:
	case BSON_TYPE_ARRAY:
		if (!bson_iter_recurse(it, &child))
			return -1;
		return mg_gen_iter(g, &child,
		    bson_iter_type(it) == BSON_TYPE_ARRAY, depth + 1);
	case BSON_TYPE_BINARY:
		return mg_gen_binary(g, it);
	case BSON_TYPE_OID:
		bson_oid_to_string(bson_iter_oid(it), buf);
		return mg_gen_str(g, buf, strlen(buf));
	case BSON_TYPE_BOOL:
		return yajl_gen_bool(g, bson_iter_bool(it)) ==
		    yajl_gen_status_ok ? 0 : -1;
	case BSON_TYPE_DATE_TIME:
		util_iso_time(bson_iter_date_time(it), buf, sizeof(buf));
		return mg_gen_str(g, buf, strlen(buf));
	case BSON_TYPE_INT32:
		return yajl_gen_integer(g, bson_iter_int32(it)) ==
		    yajl_gen_status_ok ? 0 : -1;
	case BSON_TYPE_INT64:
		return yajl_gen_integer(g, bson_iter_int64(it)) ==
		    yajl_gen_status_ok ? 0 : -1;
	case BSON_TYPE_DECIMAL128:
		/* As text: "NaN", "Infinity" are not JSON numbers. */
		if (!bson_iter_decimal128(it, &dec))
			return -1;
		bson_decimal128_to_string(&dec, buf);
		return mg_gen_str(g, buf, strlen(buf));
	case BSON_TYPE_TIMESTAMP:
		bson_iter_timestamp(it, &ts, &inc);
		if (yajl_gen_map_open(g) != yajl_gen_status_ok)
			return -1;
		json_gen_kv_int(g, "t", ts);
		json_gen_kv_int(g, "i", inc);
		return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
	case BSON_TYPE_REGEX:
		s = bson_iter_regex(it, &opts);
		{
			char *t = bson_strdup_printf("/%s/%s", s, opts);

			r = mg_gen_str(g, t, strlen(t));
			bson_free(t);
		}
		return r;
	case BSON_TYPE_CODE:
		s = bson_iter_code(it, &len);
		return mg_gen_str(g, s, len);
	case BSON_TYPE_SYMBOL:
		s = bson_iter_symbol(it, &len);
		return mg_gen_str(g, s, len);
	case BSON_TYPE_CODEWSCOPE:
		s = bson_iter_codewscope(it, &len, &ts, &scope);
		return mg_gen_str(g, s, len);
	case BSON_TYPE_DBPOINTER:
		bson_iter_dbpointer(it, &len, &s, &oid);
		bson_oid_to_string(oid, buf);
		return mg_gen_str(g, buf, strlen(buf));
	default:	/* null, undefined, minkey, maxkey */
		return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
	}
}

/* The rest of a document (is_array 0) or array (1) at it. */
static int
mg_gen_iter(yajl_gen g, bson_iter_t *it, int is_array, int depth)
{
	if (depth > 100)	/* BSON's own nesting limit */
		return -1;
	if ((is_array ? yajl_gen_array_open(g) : yajl_gen_map_open(g)) !=
	    yajl_gen_status_ok)
		return -1;
	while (bson_iter_next(it)) {
		if (!is_array && mg_gen_str(g, bson_iter_key(it),
		    bson_iter_key_len(it)) == -1)
			return -1;
		if (mg_gen_value(g, it, depth) == -1)
			return -1;
	}
	return (is_array ? yajl_gen_array_close(g) : yajl_gen_map_close(g)) ==
	    yajl_gen_status_ok ? 0 : -1;
}

/* doc as JSON text: a heap string (caller frees), 0; or -1. */
static int
mg_to_json(const bson_t *doc, char **out, size_t *outlen)
{
	yajl_gen		 g;
	bson_iter_t		 it;
	const unsigned char	*buf;
	size_t			 len;
	int			 r = -1;

	*out = NULL;
	if ((g = json_gen_new()) == NULL)
		return -1;
	if (bson_iter_init(&it, doc) && mg_gen_iter(g, &it, 0, 0) == 0 &&
	    yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
	    len <= MG_JSON_MAX && (*out = malloc(len + 1)) != NULL) {
		memcpy(*out, buf, len);
		(*out)[len] = '\0';
		if (outlen != NULL)
			*outlen = len;
		r = 0;
	}
	yajl_gen_free(g);
	return r;
}

/* ------------------------------------------------------------------ */
/* Filters */

/* Equality of field to integer i, numerically: 3 matches int32 3, int64
 * 3 and 3.0.  MongoDB compares numbers across types by value, but the
 * test server (jongodb 0.1.6) compares them only within one BSON type,
 * so the value is listed in every type that holds it exactly, with $in;
 * on MongoDB this is the same query. */
static int
mg_append_num_eq(bson_t *f, const char *field, long long i)
{
	bson_t	in, arr;
	double	d = (double)i;
	int	ok;

	ok = bson_append_document_begin(f, field, -1, &in) &&
	    bson_append_array_begin(&in, "$in", 3, &arr);
	if (ok && i >= INT32_MIN && i <= INT32_MAX)
		ok = bson_append_int32(&arr, "0", 1, (int32_t)i);
	ok = ok && bson_append_int64(&arr, "1", 1, (int64_t)i);
	/* Only if the double is exactly i: 2^53+1 must not match 2^53. */
	if (ok && d > -9223372036854775808.0 && d < 9223372036854775808.0 &&
	    (long long)d == i)
		ok = bson_append_double(&arr, "2", 1, d);
	ok = ok && bson_append_array_end(&in, &arr) &&
	    bson_append_document_end(f, &in);
	return ok ? 0 : -1;
}

/* One condition as field: value in f. */
static int
mg_append_cond(bson_t *f, const struct db_cond *c)
{
	bson_oid_t oid;

	switch (c->type) {
	case DV_STR:
		if (c->s == NULL)	/* db.h: NULL means JSON null */
			return bson_append_null(f, c->field, -1) ? 0 : -1;
		if (strcmp(c->field, "_id") == 0 && db_id_ok(c->s)) {
			bson_oid_init_from_string(&oid, c->s);
			return bson_append_oid(f, c->field, -1, &oid) ? 0 : -1;
		}
		return bson_append_utf8(f, c->field, -1, c->s, -1) ? 0 : -1;
	case DV_INT:
		return mg_append_num_eq(f, c->field, c->i);
	case DV_NULL:
		/* {field: null} matches null and missing. */
		return bson_append_null(f, c->field, -1) ? 0 : -1;
	default:
		return -1;
	}
}

/*
 * Append the equality conditions to f; -1 if one is malformed (bad path,
 * unknown type).  Conditions on distinct fields are plain members; if a
 * field comes twice (or is already in f, like _id in an update filter),
 * they all go under one $and, so that every one of them must hold.
 */
static int
mg_filter(bson_t *f, const struct db_cond *c, size_t n)
{
	bson_t		 and, one;
	char		 kbuf[16];
	const char	*k;
	size_t		 i, j;
	int		 dup = 0, r = 0;

	if (n > MG_CONDS_MAX || (n > 0 && c == NULL))
		return -1;
	for (i = 0; i < n; i++) {
		if (!db_path_ok(c[i].field))
			return -1;
		if (bson_has_field(f, c[i].field))
			dup = 1;
		for (j = 0; j < i; j++)
			if (strcmp(c[i].field, c[j].field) == 0)
				dup = 1;
	}
	if (!dup) {
		for (i = 0; i < n && r == 0; i++)
			r = mg_append_cond(f, &c[i]);
		return r;
	}
	if (!bson_append_array_begin(f, "$and", 4, &and))
		return -1;
	for (i = 0; i < n && r == 0; i++) {
		(void)bson_uint32_to_string((uint32_t)i, &k, kbuf,
		    sizeof(kbuf));
		if (!bson_append_document_begin(&and, k, -1, &one))
			return -1;
		r = mg_append_cond(&one, &c[i]);
		if (!bson_append_document_end(&and, &one))
			r = -1;
	}
	if (!bson_append_array_end(f, &and))
		r = -1;
	return r;
}

/* ------------------------------------------------------------------ */
/* Primitives */

static int
mg_insert(struct db_backend *b, enum db_coll c, const char *doc,
    size_t len, char *id)
{
	struct mg		*m = mg_of(b);
	mongoc_collection_t	*co = mg_coll(m, c);
	yajl_val		 v, idv = NULL;
	bson_t			 bd, reply;
	bson_error_t		 e;
	bson_oid_t		 oid;
	enum mg_class		 cls = MC_FATAL;
	size_t			 i;
	int			 attempt, st = MST_OK;

	if (co == NULL || len > DB_DOC_MAX)
		return MST_BADREQ;
	if ((v = mg_parse(doc, len)) == NULL || !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		return MST_BADREQ;
	}
	if ((idv = json_get(v, "_id")) != NULL) {
		if (!YAJL_IS_STRING(idv) || !db_id_ok(idv->u.string)) {
			yajl_tree_free(v);
			return MST_BADREQ;
		}
		bson_oid_init_from_string(&oid, idv->u.string);
	} else
		bson_oid_init(&oid, NULL);

	bson_init(&bd);
	if (!bson_append_oid(&bd, "_id", 3, &oid))
		st = MST_BADREQ;
	for (i = 0; st == MST_OK && i < v->u.object.len; i++)
		if (strcmp(v->u.object.keys[i], "_id") != 0 &&
		    mg_append(&bd, v->u.object.keys[i],
		    v->u.object.values[i], 1) == -1)
			st = MST_BADREQ;
	yajl_tree_free(v);
	if (st != MST_OK) {
		bson_destroy(&bd);
		return st;
	}

	for (attempt = 1;; attempt++) {
		if (mongoc_collection_insert_one(co, &bd, NULL, &reply, &e)) {
			bson_destroy(&reply);
			break;
		}
		cls = mg_classify(&e, &reply);
		bson_destroy(&reply);
		/*
		 * A retry after an insert that did land (reply lost) meets
		 * our own _id: that is success if the stored document is
		 * the one we sent.
		 */
		if (cls == MC_DUP && attempt > 1) {
			bson_t		*q = BCON_NEW("_id", BCON_OID(&oid));
			mongoc_cursor_t	*cur;
			const bson_t	*got;
			int		 same = 0;

			cur = mongoc_collection_find_with_opts(co, q, NULL,
			    NULL);
			if (mongoc_cursor_next(cur, &got))
				same = bson_equal(got, &bd);
			mongoc_cursor_destroy(cur);
			bson_destroy(q);
			if (same)
				break;
		}
		/* Retrying is safe: a second copy is refused by _id. */
		if (!mg_retry_ok(cls, 1, attempt)) {
			bson_destroy(&bd);
			return mg_fail("insert", &e, cls);
		}
	}
	bson_destroy(&bd);
	bson_oid_to_string(&oid, id);
	return MST_OK;
}

/*
 * Run a find and call cb for each document.  A transient failure before
 * the first document is retried; after it, documents were already handed
 * out and the error is returned.
 */
static int
mg_find_run(mongoc_collection_t *co, const bson_t *filter,
    const bson_t *opts, const char *op, db_doc_cb cb, void *arg, int *found)
{
	mongoc_cursor_t	*cur;
	const bson_t	*d, *reply;
	bson_error_t	 e;
	enum mg_class	 cls;
	char		*json;
	size_t		 len;
	int		 attempt, n;

	for (attempt = 1;; attempt++) {
		n = 0;
		cur = mongoc_collection_find_with_opts(co, filter, opts, NULL);
		while (mongoc_cursor_next(cur, &d)) {
			n++;
			if (mg_to_json(d, &json, &len) == -1) {
				log_warnx("db_mongo %s: a document cannot be "
				    "written as JSON", op);
				mongoc_cursor_destroy(cur);
				return MST_INTERNAL;
			}
			if (found != NULL)
				*found = 1;
			if (cb(arg, json, len) != 0) {
				free(json);
				mongoc_cursor_destroy(cur);
				return MST_OK;
			}
			free(json);
		}
		if (!mongoc_cursor_error_document(cur, &e, &reply)) {
			mongoc_cursor_destroy(cur);
			return MST_OK;
		}
		cls = mg_classify(&e, reply);
		mongoc_cursor_destroy(cur);
		if (n > 0 || !mg_retry_ok(cls, 1, attempt))
			return mg_fail(op, &e, cls);
	}
}

struct mg_one {
	char	*doc;
};

static int
mg_one_cb(void *arg, const char *json, size_t len)
{
	struct mg_one *o = arg;

	if ((o->doc = malloc(len + 1)) != NULL) {
		memcpy(o->doc, json, len);
		o->doc[len] = '\0';
	}
	return 1;
}

static int
mg_get(struct db_backend *b, enum db_coll c, const char *id, char **doc)
{
	struct mg		*m = mg_of(b);
	mongoc_collection_t	*co = mg_coll(m, c);
	struct mg_one		 one = { NULL };
	bson_oid_t		 oid;
	bson_t			*filter, *opts;
	int			 st, found = 0;

	*doc = NULL;
	if (co == NULL || !db_id_ok(id))
		return MST_BADREQ;
	bson_oid_init_from_string(&oid, id);
	filter = BCON_NEW("_id", BCON_OID(&oid));
	opts = BCON_NEW("limit", BCON_INT64(1));
	st = mg_find_run(co, filter, opts, "get", mg_one_cb, &one, &found);
	bson_destroy(filter);
	bson_destroy(opts);
	if (st != MST_OK) {
		free(one.doc);
		return st;
	}
	if (!found)
		return MST_NOTFOUND;
	if (one.doc == NULL)
		return MST_INTERNAL;
	*doc = one.doc;
	return MST_OK;
}

static int
mg_find(struct db_backend *b, const struct db_query *q, db_doc_cb cb,
    void *arg)
{
	struct mg		*m = mg_of(b);
	mongoc_collection_t	*co;
	bson_t			 filter, opts, sort;
	int			 st, dir;

	if (q == NULL || cb == NULL || (co = mg_coll(m, q->coll)) == NULL)
		return MST_BADREQ;
	if (q->sort != NULL && !db_path_ok(q->sort))
		return MST_BADREQ;
	bson_init(&filter);
	if (mg_filter(&filter, q->conds, q->nconds) == -1) {
		bson_destroy(&filter);
		return MST_BADREQ;
	}
	/*
	 * skip and limit travel as int32: the test server refuses larger
	 * values and no MuPIF collection holds 2^31 documents, so a larger
	 * skip finds nothing and a larger limit is no limit.
	 */
	if (q->skip > INT32_MAX) {
		bson_destroy(&filter);
		return MST_OK;
	}
	dir = q->desc ? -1 : 1;
	bson_init(&opts);
	bson_append_document_begin(&opts, "sort", 4, &sort);
	if (q->sort == NULL || strcmp(q->sort, "_id") == 0)
		bson_append_int32(&sort, "_id", 3, dir);
	else {
		/* Ties in ascending _id order, in both directions. */
		bson_append_int32(&sort, q->sort, -1, dir);
		bson_append_int32(&sort, "_id", 3, 1);
	}
	bson_append_document_end(&opts, &sort);
	if (q->skip > 0)
		bson_append_int32(&opts, "skip", 4, (int32_t)q->skip);
	if (q->limit > 0 && q->limit <= INT32_MAX)
		bson_append_int32(&opts, "limit", 5, (int32_t)q->limit);
	st = mg_find_run(co, &filter, &opts, "find", cb, arg, NULL);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return st;
}

static int
mg_count(struct db_backend *b, const struct db_query *q, uint64_t *n)
{
	struct mg		*m = mg_of(b);
	mongoc_collection_t	*co;
	bson_t			 filter, reply;
	bson_error_t		 e;
	enum mg_class		 cls;
	int64_t			 r;
	int			 attempt;

	*n = 0;
	if (q == NULL || (co = mg_coll(m, q->coll)) == NULL)
		return MST_BADREQ;
	bson_init(&filter);
	if (mg_filter(&filter, q->conds, q->nconds) == -1) {
		bson_destroy(&filter);
		return MST_BADREQ;
	}
	for (attempt = 1;; attempt++) {
		r = mongoc_collection_count_documents(co, &filter, NULL, NULL,
		    &reply, &e);
		if (r >= 0) {
			bson_destroy(&reply);
			break;
		}
		cls = mg_classify(&e, &reply);
		bson_destroy(&reply);
		if (!mg_retry_ok(cls, 1, attempt)) {
			bson_destroy(&filter);
			return mg_fail("count", &e, cls);
		}
	}
	bson_destroy(&filter);
	*n = (uint64_t)r;
	return MST_OK;
}

/* Is path a, component-wise, a prefix of b or equal to it? */
static int
mg_path_prefix(const char *a, const char *b)
{
	size_t la = strlen(a);

	return strncmp(a, b, la) == 0 && (b[la] == '\0' || b[la] == '.');
}

/*
 * The filter and update document of an update: filter {_id, expect...},
 * update {$set: {path: value, ...}}.  MST_OK or MST_BADREQ.  Paths must
 * pass db_path_ok, may not touch _id, and may not overlap ("a" and "a.b":
 * MongoDB refuses that with ConflictingUpdateOperators; the test server
 * silently applies both).
 */
static int
mg_update_docs(const char *id, const struct db_cond *expect, size_t nexpect,
    const struct db_set *sets, size_t nsets, bson_t *filter, bson_t *update)
{
	bson_t		 set;
	bson_oid_t	 oid;
	yajl_val	 v;
	size_t		 i, j, total = 0;
	int		 r = 0;

	bson_init(filter);
	bson_init(update);
	if (!db_id_ok(id) || nsets == 0 || nsets > MG_SETS_MAX ||
	    sets == NULL)
		return MST_BADREQ;
	bson_oid_init_from_string(&oid, id);
	if (!bson_append_oid(filter, "_id", 3, &oid) ||
	    mg_filter(filter, expect, nexpect) == -1)
		return MST_BADREQ;
	for (i = 0; i < nsets; i++) {
		if (!db_path_ok(sets[i].path) ||
		    mg_path_prefix("_id", sets[i].path) ||
		    sets[i].json == NULL)
			return MST_BADREQ;
		for (j = 0; j < i; j++)
			if (mg_path_prefix(sets[i].path, sets[j].path) ||
			    mg_path_prefix(sets[j].path, sets[i].path))
				return MST_BADREQ;
		total += strlen(sets[i].json);
	}
	if (total > DB_DOC_MAX)
		return MST_BADREQ;
	if (!bson_append_document_begin(update, "$set", 4, &set))
		return MST_BADREQ;
	for (i = 0; i < nsets && r == 0; i++) {
		if ((v = mg_parse(sets[i].json, strlen(sets[i].json))) == NULL)
			r = -1;
		else
			r = mg_append(&set, sets[i].path, v, 1);
		yajl_tree_free(v);
	}
	if (!bson_append_document_end(update, &set) || r == -1)
		return MST_BADREQ;
	return MST_OK;
}

static int
mg_update(struct db_backend *b, enum db_coll c, const char *id,
    const struct db_cond *expect, size_t nexpect, const struct db_set *sets,
    size_t nsets, int *matched)
{
	struct mg		*m = mg_of(b);
	mongoc_collection_t	*co = mg_coll(m, c);
	bson_t			 filter, update, reply;
	bson_iter_t		 it;
	bson_error_t		 e;
	enum mg_class		 cls;
	int			 attempt, st;

	*matched = 0;
	if (co == NULL)
		return MST_BADREQ;
	if ((st = mg_update_docs(id, expect, nexpect, sets, nsets, &filter,
	    &update)) != MST_OK)
		goto out;
	for (attempt = 1;; attempt++) {
		if (mongoc_collection_update_one(co, &filter, &update, NULL,
		    &reply, &e))
			break;
		cls = mg_classify(&e, &reply);
		bson_destroy(&reply);
		/*
		 * Without conditions a repeated $set gives the same result;
		 * with them, a retry after a lost reply would see its own
		 * change, find the condition false and report "not
		 * matched" for an update that did happen, so only an update
		 * the server surely did not apply is retried.  (On a
		 * replica set the driver's own retryable writes cover the
		 * lost-reply case with a transaction number.)
		 */
		if (!mg_retry_ok(cls, nexpect == 0, attempt)) {
			st = mg_fail("update", &e, cls);
			goto out;
		}
	}
	/*
	 * matchedCount, not modifiedCount: the document existed and every
	 * expected condition held, so the update took effect, even when
	 * the new values equal the old ones (modifiedCount 0).  That is the
	 * answer callers need (set_field of an unchanged value is a
	 * success, not "not found") and what SQLite's changes() reports.
	 * A CAS claim is still exclusive: the filter is evaluated and the
	 * $set applied in one atomic step per document, so of two
	 * concurrent claims expecting Status=Pending only one matches.
	 */
	if (bson_iter_init_find(&it, &reply, "matchedCount"))
		*matched = bson_iter_as_int64(&it) > 0;
	bson_destroy(&reply);
	st = MST_OK;
out:
	bson_destroy(&filter);
	bson_destroy(&update);
	return st;
}

static int
mg_remove(struct db_backend *b, enum db_coll c, const char *id,
    int *matched)
{
	struct mg		*m = mg_of(b);
	mongoc_collection_t	*co = mg_coll(m, c);
	bson_t			*filter, reply;
	bson_iter_t		 it;
	bson_oid_t		 oid;
	bson_error_t		 e;
	enum mg_class		 cls;
	int			 attempt, n = 0;

	if (matched != NULL)
		*matched = 0;
	if (co == NULL || !db_id_ok(id))
		return MST_BADREQ;
	bson_oid_init_from_string(&oid, id);
	filter = BCON_NEW("_id", BCON_OID(&oid));
	for (attempt = 1;; attempt++) {
		if (mongoc_collection_delete_one(co, filter, NULL, &reply,
		    &e)) {
			if (bson_iter_init_find(&it, &reply, "deletedCount"))
				n = bson_iter_as_int64(&it) > 0;
			bson_destroy(&reply);
			break;
		}
		cls = mg_classify(&e, &reply);
		bson_destroy(&reply);
		/* Idempotent; after a lost reply the retry reports 0. */
		if (!mg_retry_ok(cls, 1, attempt)) {
			bson_destroy(filter);
			return mg_fail("remove", &e, cls);
		}
	}
	bson_destroy(filter);
	if (matched != NULL)
		*matched = n;
	return MST_OK;
}

/* ------------------------------------------------------------------ */
/* Files: GridFS bucket "fs" */

/* read(2) exactly len bytes; 0, or -1 (errno; EPIPE at early EOF). */
static int
mg_read_full(int fd, char *buf, size_t len)
{
	ssize_t r;

	while (len > 0) {
		if ((r = read(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * One upload attempt of len bytes from fd under the ObjectId oid.  The
 * content type is kept in metadata.contentType of the fs.files document:
 * the GridFS spec deprecates the top-level "contentType" of the legacy
 * API, and the bucket API can only write "metadata" (file_get reads both).
 */
static int
mg_put_once(struct mg *m, int fd, uint64_t len, const char *filename,
    const char *ctype, char *buf, const bson_oid_t *oid, bson_error_t *e,
    int *input_err)
{
	mongoc_stream_t	*up;
	bson_value_t	 idv;
	bson_t		 opts, meta;
	uint64_t	 left = len;
	size_t		 n;

	*input_err = 0;
	idv.value_type = BSON_TYPE_OID;
	bson_oid_copy(oid, &idv.value.v_oid);
	bson_init(&opts);
	bson_append_int32(&opts, "chunkSizeBytes", -1, MG_CHUNK);
	if (ctype != NULL) {
		bson_append_document_begin(&opts, "metadata", -1, &meta);
		bson_append_utf8(&meta, "contentType", -1, ctype, -1);
		bson_append_document_end(&opts, &meta);
	}
	up = mongoc_gridfs_bucket_open_upload_stream_with_id(m->bucket, &idv,
	    filename != NULL ? filename : "", &opts, e);
	bson_destroy(&opts);
	if (up == NULL)
		return -1;
	while (left > 0) {
		n = left > MG_CHUNK ? MG_CHUNK : (size_t)left;
		if (mg_read_full(fd, buf, n) == -1) {
			*input_err = 1;
			goto abort;
		}
		if (mongoc_stream_write(up, buf, n, 0) != (ssize_t)n) {
			(void)mongoc_gridfs_bucket_stream_error(up, e);
			goto abort;
		}
		left -= n;
	}
	if (mongoc_stream_close(up) == -1) {
		(void)mongoc_gridfs_bucket_stream_error(up, e);
		goto abort;
	}
	mongoc_stream_destroy(up);
	return 0;
abort:
	/* Deletes the chunks written so far (best effort). */
	(void)mongoc_gridfs_bucket_abort_upload(up);
	mongoc_stream_destroy(up);
	return -1;
}

/* Is there an fs.files document with _id oid?  MST_OK (*found set), or
 * the failure. */
static int
mg_file_exists(struct mg *m, const bson_oid_t *oid, int *found)
{
	mongoc_cursor_t	*cur = NULL;
	const bson_t	*d, *reply;
	bson_t		*filter;
	bson_error_t	 e;
	enum mg_class	 cls;
	int		 attempt, st = MST_OK;

	*found = 0;
	filter = BCON_NEW("_id", BCON_OID(oid));
	for (attempt = 1;; attempt++) {
		cur = mongoc_gridfs_bucket_find(m->bucket, filter, NULL);
		if (mongoc_cursor_next(cur, &d)) {
			*found = 1;
			break;
		}
		if (!mongoc_cursor_error_document(cur, &e, &reply))
			break;
		cls = mg_classify(&e, reply);
		mongoc_cursor_destroy(cur);
		cur = NULL;
		if (!mg_retry_ok(cls, 1, attempt)) {
			st = mg_fail("file_put", &e, cls);
			break;
		}
	}
	if (cur != NULL)
		mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	return st;
}

/*
 * Retries need the bytes again: they are re-read from the start offset
 * when fd is seekable (a memfd, as files travel between services); a pipe
 * receives one attempt.  A new file receives a new ObjectId per attempt.  A kept
 * id (import) must be free: a failed upload aborts by deleting every
 * chunk of its id, which would destroy a file that has it; and before a
 * retry, a file under that id can only be the previous attempt's, which
 * then did complete (its reply was lost).
 */
static int
mg_file_put(struct db_backend *b, int fd, uint64_t len, const char *filename,
    const char *ctype, const char *keep, char *id)
{
	struct mg	*m = mg_of(b);
	bson_oid_t	 oid;
	bson_error_t	 e;
	enum mg_class	 cls;
	off_t		 off0;
	char		*buf;
	int		 attempt, input_err, found, st = MST_OK;

	if (fd < 0 || len > MG_FILE_MAX || (keep != NULL && !db_id_ok(keep)))
		return MST_BADREQ;
	if (keep != NULL) {
		bson_oid_init_from_string(&oid, keep);
		if ((st = mg_file_exists(m, &oid, &found)) != MST_OK)
			return st;
		if (found)
			return MST_BADREQ;
	}
	if ((buf = malloc(MG_CHUNK)) == NULL)
		return MST_INTERNAL;
	off0 = lseek(fd, 0, SEEK_CUR);
	for (attempt = 1;; attempt++) {
		if (keep == NULL)
			bson_oid_init(&oid, NULL);
		else if (attempt > 1) {
			if ((st = mg_file_exists(m, &oid, &found)) != MST_OK)
				break;
			if (found)
				break;
		}
		if (mg_put_once(m, fd, len, filename, ctype, buf, &oid, &e,
		    &input_err) == 0)
			break;
		if (input_err) {
			/* Fewer bytes than announced, or unreadable. */
			st = MST_BADREQ;
			break;
		}
		cls = mg_classify(&e, NULL);
		if (off0 == -1 || lseek(fd, off0, SEEK_SET) == -1 ||
		    !mg_retry_ok(cls, 1, attempt)) {
			st = mg_fail("file_put", &e, cls);
			break;
		}
	}
	free(buf);
	if (st == MST_OK)
		bson_oid_to_string(&oid, id);
	return st;
}

/* Length (-1 if none), filename ("" if none) and content type of the
 * fs.files document d (strings borrowed from d). */
static void
mg_file_fields(const bson_t *d, int64_t *n, const char **fn, const char **ct)
{
	bson_iter_t	it, sub;

	*n = -1;
	*fn = "";
	*ct = NULL;
	if (bson_iter_init_find(&it, d, "length") &&
	    BSON_ITER_HOLDS_NUMBER(&it))
		*n = bson_iter_as_int64(&it);
	if (bson_iter_init_find(&it, d, "filename") &&
	    BSON_ITER_HOLDS_UTF8(&it))
		*fn = bson_iter_utf8(&it, NULL);
	if (bson_iter_init(&it, d) &&
	    bson_iter_find_descendant(&it, "metadata.contentType", &sub) &&
	    BSON_ITER_HOLDS_UTF8(&sub))
		*ct = bson_iter_utf8(&sub, NULL);
	else if (bson_iter_init_find(&it, d, "contentType") &&
	    BSON_ITER_HOLDS_UTF8(&it))
		*ct = bson_iter_utf8(&it, NULL);
	if (*ct == NULL)
		*ct = "application/octet-stream";
}

/* The fs.files document of id: filename, content type, length. */
static int
mg_file_info(struct mg *m, const bson_oid_t *oid, uint64_t *len,
    char **filename, char **ctype)
{
	mongoc_cursor_t	*cur;
	const bson_t	*d, *reply;
	bson_t		*filter;
	bson_error_t	 e;
	enum mg_class	 cls;
	const char	*fn, *ct;
	int64_t		 n;
	int		 attempt;

	filter = BCON_NEW("_id", BCON_OID(oid));
	for (attempt = 1;; attempt++) {
		cur = mongoc_gridfs_bucket_find(m->bucket, filter, NULL);
		if (mongoc_cursor_next(cur, &d))
			break;
		if (!mongoc_cursor_error_document(cur, &e, &reply)) {
			mongoc_cursor_destroy(cur);
			bson_destroy(filter);
			return MST_NOTFOUND;
		}
		cls = mg_classify(&e, reply);
		mongoc_cursor_destroy(cur);
		if (!mg_retry_ok(cls, 1, attempt)) {
			bson_destroy(filter);
			return mg_fail("file_get", &e, cls);
		}
	}
	bson_destroy(filter);
	mg_file_fields(d, &n, &fn, &ct);
	if (n < 0 || (uint64_t)n > MG_FILE_MAX) {
		mongoc_cursor_destroy(cur);
		log_warnx("db_mongo file_get: bad or too large length");
		return MST_INTERNAL;
	}
	*len = (uint64_t)n;
	*filename = strdup(fn);
	*ctype = strdup(ct);
	mongoc_cursor_destroy(cur);
	if (*filename == NULL || *ctype == NULL) {
		free(*filename);
		free(*ctype);
		*filename = *ctype = NULL;
		return MST_INTERNAL;
	}
	return MST_OK;
}

/* Copy the chunks of the file into mfd; 0, or -1 with e set. */
static int
mg_download(struct mg *m, const bson_oid_t *oid, uint64_t len, int mfd,
    char *buf, bson_error_t *e)
{
	mongoc_stream_t	*dn;
	bson_value_t	 idv;
	uint64_t	 got = 0;
	ssize_t		 r;
	size_t		 want;

	idv.value_type = BSON_TYPE_OID;
	bson_oid_copy(oid, &idv.value.v_oid);
	if ((dn = mongoc_gridfs_bucket_open_download_stream(m->bucket, &idv,
	    e)) == NULL)
		return -1;
	for (;;) {
		/* One byte more than expected is asked for at the end, to
		 * notice chunks that hold more than fs.files says. */
		want = len - got >= MG_CHUNK ? MG_CHUNK :
		    (size_t)(len - got) + 1;
		if ((r = mongoc_stream_read(dn, buf, want, 0, 0)) < 0) {
			(void)mongoc_gridfs_bucket_stream_error(dn, e);
			mongoc_stream_destroy(dn);
			return -1;
		}
		if (r == 0)
			break;
		if ((uint64_t)r > len - got ||
		    util_write_all(mfd, buf, (size_t)r) == -1) {
			bson_set_error(e, MONGOC_ERROR_GRIDFS,
			    MONGOC_ERROR_GRIDFS_CORRUPT, "%s",
			    (uint64_t)r > len - got ?
			    "file longer than its length" :
			    "cannot write the memfd");
			mongoc_stream_destroy(dn);
			return -1;
		}
		got += (uint64_t)r;
	}
	mongoc_stream_destroy(dn);
	if (got != len) {
		bson_set_error(e, MONGOC_ERROR_GRIDFS,
		    MONGOC_ERROR_GRIDFS_CORRUPT,
		    "file shorter than its length");
		return -1;
	}
	return 0;
}

static int
mg_file_get(struct db_backend *b, const char *id, int *fd, uint64_t *len,
    char **filename, char **ctype)
{
	struct mg	*m = mg_of(b);
	bson_oid_t	 oid;
	bson_error_t	 e;
	enum mg_class	 cls;
	char		*buf = NULL;
	int		 mfd = -1, attempt, st;

	*fd = -1;
	*len = 0;
	*filename = *ctype = NULL;
	if (!db_id_ok(id))
		return MST_BADREQ;
	bson_oid_init_from_string(&oid, id);
	if ((st = mg_file_info(m, &oid, len, filename, ctype)) != MST_OK)
		return st;
	if ((buf = malloc(MG_CHUNK + 1)) == NULL)
		goto internal;
	for (attempt = 1;; attempt++) {
		mfd = memfd_create("mupif-file", MFD_CLOEXEC |
		    MFD_ALLOW_SEALING);
		if (mfd == -1) {
			log_warn("db_mongo file_get: memfd_create");
			goto internal;
		}
		if (mg_download(m, &oid, *len, mfd, buf, &e) == 0)
			break;
		close(mfd);
		mfd = -1;
		cls = mg_classify(&e, NULL);
		if (!mg_retry_ok(cls, 1, attempt)) {
			st = mg_fail("file_get", &e, cls);
			goto fail;
		}
	}
	/* The receiver shares the file offset: rewind before sealing. */
	if (lseek(mfd, 0, SEEK_SET) == -1 ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		log_warn("db_mongo file_get: sealing the memfd");
		goto internal;
	}
	free(buf);
	*fd = mfd;
	return MST_OK;
internal:
	st = MST_INTERNAL;
fail:
	if (mfd != -1)
		close(mfd);
	free(buf);
	free(*filename);
	free(*ctype);
	*filename = *ctype = NULL;
	*len = 0;
	return st;
}

/*
 * Every fs.files document, by ascending _id.  Like mg_find_run: a
 * transient failure before the first file is retried.  A file whose _id
 * is not an ObjectId (not written by us or by mupifDB) cannot be named
 * through this interface: an error, not a silent omission.
 */
static int
mg_file_list(struct db_backend *b, db_file_cb cb, void *arg)
{
	struct mg	*m = mg_of(b);
	mongoc_cursor_t	*cur = NULL;
	const bson_t	*d, *reply;
	bson_t		*opts, filter;
	bson_iter_t	 it;
	bson_error_t	 e;
	enum mg_class	 cls;
	const char	*fn, *ct;
	char		 id[DB_ID_LEN + 1];
	int64_t		 n;
	int		 attempt, got, st = MST_OK;

	bson_init(&filter);
	opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
	for (attempt = 1;; attempt++) {
		got = 0;
		cur = mongoc_gridfs_bucket_find(m->bucket, &filter, opts);
		while (mongoc_cursor_next(cur, &d)) {
			got++;
			if (!bson_iter_init_find(&it, d, "_id") ||
			    !BSON_ITER_HOLDS_OID(&it)) {
				log_warnx("db_mongo file_list: a file whose "
				    "_id is not an ObjectId");
				st = MST_INTERNAL;
				goto done;
			}
			bson_oid_to_string(bson_iter_oid(&it), id);
			mg_file_fields(d, &n, &fn, &ct);
			if (n < 0) {
				log_warnx("db_mongo file_list: file %s has no "
				    "length", id);
				st = MST_INTERNAL;
				goto done;
			}
			if (cb(arg, id, fn, ct, (uint64_t)n) != 0)
				goto done;
		}
		if (!mongoc_cursor_error_document(cur, &e, &reply))
			goto done;
		cls = mg_classify(&e, reply);
		mongoc_cursor_destroy(cur);
		cur = NULL;
		if (got > 0 || !mg_retry_ok(cls, 1, attempt)) {
			st = mg_fail("file_list", &e, cls);
			goto done;
		}
	}
done:
	if (cur != NULL)
		mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	bson_destroy(&filter);
	return st;
}

static void
mg_close(struct db_backend *b)
{
	struct mg	*m;
	size_t		 i;

	if (b == NULL)
		return;
	m = mg_of(b);
	if (m->bucket != NULL)
		mongoc_gridfs_bucket_destroy(m->bucket);
	for (i = 0; i < DC_COUNT; i++)
		if (m->coll[i] != NULL)
			mongoc_collection_destroy(m->coll[i]);
	if (m->db != NULL)
		mongoc_database_destroy(m->db);
	if (m->client != NULL)
		mongoc_client_destroy(m->client);
	free(m);
}

/* ------------------------------------------------------------------ */
/* Open */

/*
 * Indexes: the two unique ones of mupifDB (spec 2.11, 2.12, 2.15; same
 * names, so an existing database already has them) and ones for our
 * queries.  The sorted ones end with _id because every find breaks ties
 * by _id ascending: {Status, SubmittedDate, _id} serves the claim (oldest
 * Pending first) without an in-memory sort, {CreatedDate -1, _id} the
 * newest-first listing.
 */
static const struct mg_index {
	enum db_coll	 coll;
	const char	*name;
	int		 unique;
	const char	*k[3];
	int		 dir[3];
} mg_indexes[] = {
	{ DC_USERS, "mail_1", 1, { "mail" }, { 1 } },
	{ DC_SESSIONS, "session_token_1", 1, { "session_token" }, { 1 } },
	{ DC_EXECUTIONS, "Status_1_SubmittedDate_1__id_1", 0,
	    { "Status", "SubmittedDate", "_id" }, { 1, 1, 1 } },
	{ DC_EXECUTIONS, "WorkflowID_1_WorkflowVersion_1", 0,
	    { "WorkflowID", "WorkflowVersion" }, { 1, 1 } },
	{ DC_EXECUTIONS, "CreatedDate_-1__id_1", 0,
	    { "CreatedDate", "_id" }, { -1, 1 } },
	{ DC_WORKFLOWS, "wid_1", 0, { "wid" }, { 1 } },
	{ DC_HISTORY, "wid_1_Version_1", 0, { "wid", "Version" }, { 1, 1 } },
	{ DC_USECASES, "ucid_1", 0, { "ucid" }, { 1 } },
};

/*
 * createIndexes (mongoc 1.23 has no index model API).  A unique index
 * that cannot be made (duplicates in an old database) stops the open:
 * operations rely on it.  Any other index is an optimisation: a warning.
 */
static int
mg_indexes_create(struct mg *m, char *err, size_t errlen)
{
	const struct mg_index	*ix;
	bson_t			 cmd, arr, one, key, reply;
	bson_error_t		 e;
	enum mg_class		 cls;
	size_t			 i, j;
	int			 attempt, ok;

	for (i = 0; i < sizeof(mg_indexes) / sizeof(mg_indexes[0]); i++) {
		ix = &mg_indexes[i];
		bson_init(&cmd);
		BSON_APPEND_UTF8(&cmd, "createIndexes",
		    db_coll_name(ix->coll));
		BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &arr);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &one);
		BSON_APPEND_DOCUMENT_BEGIN(&one, "key", &key);
		for (j = 0; j < 3 && ix->k[j] != NULL; j++)
			BSON_APPEND_INT32(&key, ix->k[j], ix->dir[j]);
		bson_append_document_end(&one, &key);
		BSON_APPEND_UTF8(&one, "name", ix->name);
		if (ix->unique)
			BSON_APPEND_BOOL(&one, "unique", true);
		bson_append_document_end(&arr, &one);
		bson_append_array_end(&cmd, &arr);
		for (attempt = 1;; attempt++) {
			ok = mongoc_database_write_command_with_opts(m->db,
			    &cmd, NULL, &reply, &e);
			cls = ok ? MC_FATAL : mg_classify(&e, &reply);
			bson_destroy(&reply);
			if (ok || !mg_retry_ok(cls, 1, attempt))
				break;
		}
		bson_destroy(&cmd);
		if (ok)
			continue;
		if (ix->unique) {
			(void)snprintf(err, errlen, "index %s.%s: %s",
			    db_coll_name(ix->coll), ix->name, e.message);
			return -1;
		}
		log_warnx("db_mongo: index %s.%s not created: %s",
		    db_coll_name(ix->coll), ix->name, e.message);
	}
	return 0;
}

/* MongoDB database names: 1..63 bytes, none of / \ . " $ space NUL. */
static int
mg_dbname_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 64 && strcspn(s, "/\\.\"$ *<>:|?") == n;
}

struct db_backend *
db_mongo_open(const char *uri_s, const char *dbname, char *err,
    size_t errlen)
{
	struct mg		*m = NULL;
	mongoc_uri_t		*uri = NULL;
	mongoc_write_concern_t	*wc;
	const mongoc_write_concern_t *uwc;
	bson_t			*opts = NULL, *ping, reply;
	bson_error_t		 e;
	enum mg_class		 cls;
	char			 safe[256];
	size_t			 i;
	int			 attempt, ok;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	(void)pthread_once(&mg_once, mg_global_init);
	mg_redact(uri_s, safe, sizeof(safe));
	if (dbname == NULL)
		dbname = MG_DBNAME;
	if (!mg_dbname_ok(dbname)) {
		(void)snprintf(err, errlen, "bad MongoDB database name");
		return NULL;
	}
	if (uri_s == NULL ||
	    (uri = mongoc_uri_new_with_error(uri_s, &e)) == NULL) {
		(void)snprintf(err, errlen, "bad MongoDB URI %s: %s", safe,
		    uri_s == NULL ? "none" : mg_scrub(e.message, uri_s, NULL));
		return NULL;
	}
	if (!mongoc_uri_has_option(uri, MONGOC_URI_SOCKETTIMEOUTMS))
		(void)mongoc_uri_set_option_as_int32(uri,
		    MONGOC_URI_SOCKETTIMEOUTMS, MG_SOCKET_MS);
	if (mongoc_uri_get_appname(uri) == NULL)
		(void)mongoc_uri_set_appname(uri, "mupif-db");
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((m->client = mongoc_client_new_from_uri_with_error(uri, &e)) ==
	    NULL) {
		(void)snprintf(err, errlen, "MongoDB client for %s: %s", safe,
		    mg_scrub(e.message, uri_s, uri));
		goto fail;
	}
	/* Server errors as domain MONGOC_ERROR_SERVER + server code. */
	(void)mongoc_client_set_error_api(m->client,
	    MONGOC_ERROR_API_VERSION_2);
	/*
	 * Journaled w=1 unless the URI sets a write concern (w=majority
	 * for a replica set): a write is acknowledged only once it is in
	 * the journal.
	 */
	uwc = mongoc_uri_get_write_concern(uri);
	if (mongoc_write_concern_get_w(uwc) == MONGOC_WRITE_CONCERN_W_DEFAULT &&
	    !mongoc_write_concern_journal_is_set(uwc)) {
		wc = mongoc_write_concern_new();
		mongoc_write_concern_set_w(wc, 1);
		mongoc_write_concern_set_journal(wc, true);
		mongoc_client_set_write_concern(m->client, wc);
		mongoc_write_concern_destroy(wc);
	}

	ping = BCON_NEW("ping", BCON_INT32(1));
	for (attempt = 1;; attempt++) {
		ok = mongoc_client_command_simple(m->client, "admin", ping,
		    NULL, &reply, &e);
		cls = ok ? MC_FATAL : mg_classify(&e, &reply);
		bson_destroy(&reply);
		if (ok || !mg_retry_ok(cls, 1, attempt))
			break;
	}
	bson_destroy(ping);
	if (!ok) {
		(void)snprintf(err, errlen, "MongoDB %s: %s", safe,
		    mg_scrub(e.message, uri_s, uri));
		goto fail;
	}

	m->db = mongoc_client_get_database(m->client, dbname);
	for (i = 0; i < DC_COUNT; i++)
		m->coll[i] = mongoc_database_get_collection(m->db,
		    db_coll_name((enum db_coll)i));
	if (mg_indexes_create(m, err, errlen) == -1)
		goto fail;
	opts = BCON_NEW("bucketName", BCON_UTF8(MG_BUCKET),
	    "chunkSizeBytes", BCON_INT32(MG_CHUNK));
	m->bucket = mongoc_gridfs_bucket_new(m->db, opts, NULL, &e);
	bson_destroy(opts);
	if (m->bucket == NULL) {
		(void)snprintf(err, errlen, "GridFS bucket: %s", e.message);
		goto fail;
	}
	mongoc_uri_destroy(uri);

	m->b.name = "mongo";
	m->b.insert = mg_insert;
	m->b.get = mg_get;
	m->b.find = mg_find;
	m->b.count = mg_count;
	m->b.update = mg_update;
	m->b.remove = mg_remove;
	m->b.file_put = mg_file_put;
	m->b.file_get = mg_file_get;
	m->b.file_list = mg_file_list;
	/* No begin/end: a standalone server has no transactions. */
	m->b.close = mg_close;
	return &m->b;
fail:
	if (m != NULL)
		mg_close(&m->b);
	mongoc_uri_destroy(uri);
	return NULL;
}

#ifdef MUPIF_TEST_HOOKS
int	db_mongo_update_json(const char *, const struct db_cond *, size_t,
	    const struct db_set *, size_t, char **, char **);

/*
 * Test hook: the filter and update documents that update() would send,
 * as relaxed extended JSON (heap strings the caller frees).  For the
 * paths the test server cannot apply (numeric components: jongodb
 * refuses $set through an array), the suite checks what MongoDB would
 * be asked to do.
 */
int
db_mongo_update_json(const char *id, const struct db_cond *expect,
    size_t nexpect, const struct db_set *sets, size_t nsets, char **filter,
    char **update)
{
	bson_t	 f, u;
	char	*fj, *uj;
	int	 st;

	*filter = *update = NULL;
	st = mg_update_docs(id, expect, nexpect, sets, nsets, &f, &u);
	if (st == MST_OK) {
		fj = bson_as_relaxed_extended_json(&f, NULL);
		uj = bson_as_relaxed_extended_json(&u, NULL);
		*filter = fj != NULL ? strdup(fj) : NULL;
		*update = uj != NULL ? strdup(uj) : NULL;
		bson_free(fj);
		bson_free(uj);
		if (*filter == NULL || *update == NULL)
			st = MST_INTERNAL;
	}
	bson_destroy(&f);
	bson_destroy(&u);
	return st;
}
#endif
