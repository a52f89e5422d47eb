/*
 * db_ops.c - the typed operations of the db service (see db.h).
 *
 * Each broker operation has one reader here that validates its payload
 * before anything is read or written: the payload is a JSON object with
 * a fixed set of allowed keys, each of a fixed type and bounded length;
 * stored documents are checked against the collection's field list
 * (mupifDB's models, spec/rest-api.md section 2).  No operation takes a
 * filter or an update document from the caller.  Fuzzed, with a real
 * in-memory SQLite backend, by fuzz/fuzz_dbops.c.
 *
 * Trust: payloads come from other services through the broker, which has
 * already checked that the caller may ask for the operation; they are
 * still untrusted input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "msg_types.h"
#include "banned.h"

#define REQ_MAX		(512 * 1024)	/* payload of one request */
#define STR_MAX		4096		/* a string field */
#define PAGE_MAX	1000		/* documents in one page */
#define LIST_MAX	100000		/* documents of num_limit = 0 */
#define CAS_TRIES	16		/* compare-and-set retries */
static uint64_t	file_max = 256ULL * 1024 * 1024;

void
db_set_file_max(uint64_t n)
{
	file_max = n;
}

/* Field types, as bits. */
#define T_STR	0x01
#define T_NULL	0x02
#define T_INT	0x04
#define T_NUM	0x08
#define T_BOOL	0x10
#define T_OBJ	0x20
#define T_ARR	0x40
#define T_ANY	0x7f

struct field {
	const char	*name;
	int		 types;
	int		 required;
};

#define F_ID	{ "_id", T_STR | T_NULL, 0 }, { "parent", T_OBJ | T_NULL, 0 }

static const struct field usecase_fields[] = {
	F_ID,
	{ "ucid", T_STR, 1 },
	{ "Description", T_STR | T_NULL, 0 },
	{ NULL, 0, 0 },
};

static const struct field workflow_fields[] = {
	F_ID,
	{ "wid", T_STR, 1 },
	{ "Description", T_STR, 1 },
	{ "GridFSID", T_STR | T_NULL, 0 },
	{ "UseCase", T_STR, 1 },
	{ "IOCard", T_OBJ, 1 },
	{ "modulename", T_STR, 1 },
	{ "classname", T_STR, 1 },
	{ "Models", T_ARR, 0 },
	{ "EDMMapping", T_ARR, 0 },
	{ "Version", T_INT, 0 },
	{ NULL, 0, 0 },
};

static const struct field execution_fields[] = {
	F_ID,
	{ "workflow", T_STR | T_NULL, 0 },
	{ "WorkflowID", T_STR, 1 },
	{ "WorkflowVersion", T_INT, 1 },
	{ "Status", T_STR, 0 },
	{ "CreatedDate", T_STR, 1 },
	{ "SubmittedDate", T_STR | T_NULL, 0 },
	{ "ScheduledDate", T_STR | T_NULL, 0 },
	{ "StartDate", T_STR | T_NULL, 0 },
	{ "EndDate", T_STR | T_NULL, 0 },
	{ "ExecutionLog", T_STR | T_NULL, 0 },
	{ "RequestedBy", T_STR, 1 },
	{ "UserIP", T_STR | T_NULL, 0 },
	{ "Task_ID", T_STR | T_NULL, 0 },
	{ "label", T_STR | T_NULL, 0 },
	{ "Attempts", T_INT | T_STR, 0 },
	{ "EDMMapping", T_ARR, 0 },
	{ "workflowURI", T_STR | T_NULL, 0 },
	{ "loggerURI", T_STR | T_NULL, 0 },
	{ "Inputs", T_STR, 1 },
	{ "Outputs", T_STR, 1 },
	{ "InputsData", T_ARR | T_NULL, 0 },
	{ "OutputsData", T_ARR | T_NULL, 0 },
	{ "canBeSubmitted", T_BOOL | T_NULL, 0 },
	/* Ours, for the scheduling loop (spec/scheduler.md 12). */
	{ "ClaimedBy", T_STR | T_NULL, 0 },
	{ "RunId", T_STR | T_NULL, 0 },
	{ "Reason", T_STR | T_NULL, 0 },
	{ "CancelRequested", T_BOOL | T_NULL, 0 },
	{ NULL, 0, 0 },
};

static const struct field iodata_fields[] = {
	F_ID,
	{ "_rev", T_INT, 0 },	/* ours: revision of the DataSet */
	{ "DataSet", T_ARR, 0 },
	{ "Name", T_STR, 0 },
	{ "Type", T_STR, 1 },
	{ NULL, 0, 0 },
};

static const struct field settings_fields[] = {
	{ "projectName", T_STR, 0 },
	{ "projectLogoUrl", T_STR, 0 },
	{ "webUrl", T_STR, 0 },
	{ "projectAbout", T_STR, 0 },
	{ NULL, 0, 0 },
};

static const char *const statuses[] = {
	"Created", "Pending", "Scheduled", "Running", "Finished", "Failed",
	NULL,
};

/* Keys execution.set_field accepts: what mupifDB's clients set (7.1). */
static const char *const settable[] = {
	"Status", "Attempts", "ExecutionLog", "workflowURI", "loggerURI",
	"Task_ID", "label", "RequestedBy", "SubmittedDate", NULL,
};

struct ctx {
	struct db_backend	*b;
	yajl_gen		 g;
	char			*err;
	size_t			 errlen;
	int			 fd_in;
	int			*fd_out;
};

static int
fail(struct ctx *c, int st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct ctx *c, int st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return st;
}

static int
in_list(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int
type_ok(yajl_val v, int types)
{
	if (YAJL_IS_STRING(v))
		return (types & T_STR) && strlen(v->u.string) <= STR_MAX;
	if (YAJL_IS_NULL(v))
		return types & T_NULL;
	if (YAJL_IS_INTEGER(v))
		return types & (T_INT | T_NUM);
	if (YAJL_IS_DOUBLE(v))
		return types & T_NUM;
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return types & T_BOOL;
	if (YAJL_IS_OBJECT(v))
		return types & T_OBJ;
	if (YAJL_IS_ARRAY(v))
		return types & T_ARR;
	return 0;
}

/* Check an object against a field list: no unknown keys, types right,
 * required ones present, "_id" absent or a 24-hex id. */
static int
check_fields(struct ctx *c, yajl_val v, const struct field *f,
    const char *what)
{
	static const char *const dbref[] = { "where", "id", NULL };
	const char	*bad;
	yajl_val	 p;
	size_t		 i, j;

	if (v == NULL || !YAJL_IS_OBJECT(v))
		return fail(c, MST_BADREQ, "%s: not an object", what);
	for (i = 0; i < v->u.object.len; i++) {
		const char *k = v->u.object.keys[i];

		for (j = 0; f[j].name != NULL; j++)
			if (strcmp(f[j].name, k) == 0)
				break;
		if (f[j].name == NULL)
			return fail(c, MST_BADREQ, "%s: unknown field \"%.64s\"",
			    what, k);
		if (!type_ok(v->u.object.values[i], f[j].types))
			return fail(c, MST_BADREQ, "%s: field \"%s\" has the "
			    "wrong type or is too long", what, k);
	}
	for (j = 0; f[j].name != NULL; j++)
		if (f[j].required && json_get(v, f[j].name) == NULL)
			return fail(c, MST_BADREQ, "%s: field \"%s\" is "
			    "required", what, f[j].name);
	if (json_get(v, "_id") != NULL && !YAJL_IS_NULL(json_get(v, "_id")) &&
	    !db_id_ok(json_get_str(v, "_id")))
		return fail(c, MST_BADREQ, "%s: \"_id\" is not a 24-hex id",
		    what);
	/* parent is a DbRef (spec 2.2): {"where": str, "id": str} or null. */
	if ((p = json_get(v, "parent")) != NULL && YAJL_IS_OBJECT(p) &&
	    (json_only_keys(p, dbref, &bad) == -1 ||
	    !type_ok(json_get(p, "where"), T_STR) ||
	    !type_ok(json_get(p, "id"), T_STR)))
		return fail(c, MST_BADREQ, "%s: \"parent\" must be "
		    "{\"where\": string, \"id\": string} or null", what);
	return MST_OK;
}

/* Arguments of an operation: an object with only these keys. */
static int
args(struct ctx *c, yajl_val v, const char *const *allowed)
{
	const char *bad;

	if (v == NULL || !YAJL_IS_OBJECT(v))
		return fail(c, MST_BADREQ, "payload is not an object");
	if (json_only_keys(v, allowed, &bad) == -1)
		return fail(c, MST_BADREQ, "unknown argument \"%.64s\"", bad);
	return MST_OK;
}

/* A required string argument of at most max bytes (no NUL: json.c). */
static const char *
arg_str(struct ctx *c, yajl_val v, const char *key, size_t max, int *st)
{
	const char *s = json_get_str(v, key);

	if (s == NULL || strlen(s) > max) {
		*st = fail(c, MST_BADREQ, "argument \"%s\" must be a string "
		    "of at most %zu bytes", key, max);
		return NULL;
	}
	return s;
}

static const char *
arg_id(struct ctx *c, yajl_val v, const char *key, int *st)
{
	const char *s = json_get_str(v, key);

	if (!db_id_ok(s)) {
		*st = fail(c, MST_NOTFOUND, "argument \"%s\" is not a 24-hex "
		    "id", key);
		return NULL;
	}
	return s;
}

/* Optional integer argument; default if absent. */
static int
arg_int(struct ctx *c, yajl_val v, const char *key, long long def,
    long long *out)
{
	yajl_val x = json_get(v, key);

	if (x == NULL || YAJL_IS_NULL(x)) {
		*out = def;
		return MST_OK;
	}
	if (!YAJL_IS_INTEGER(x))
		return fail(c, MST_BADREQ, "argument \"%s\" must be an integer",
		    key);
	*out = x->u.number.i;
	return MST_OK;
}

/* Insert a raw, already valid JSON value into the generator. */
static void
gen_raw(yajl_gen g, const char *json, size_t len)
{
	(void)yajl_gen_number(g, json, len);
}


/* The generator's text as a heap string (caller frees); frees g. */
static char *
gen_take(yajl_gen g)
{
	const unsigned char	*buf;
	size_t			 len;
	char			*out = NULL;

	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
	    (out = malloc(len + 1)) != NULL) {
		memcpy(out, buf, len);
		out[len] = '\0';
	}
	yajl_gen_free(g);
	return out;
}

/* A value as JSON text (heap, caller frees). */
static char *
val_json(yajl_val v)
{
	yajl_gen	g = json_gen_new();

	if (g == NULL)
		return NULL;
	json_gen_val(g, v);
	return gen_take(g);
}

/* A string as a JSON string literal (heap). */
static char *
str_json(const char *s)
{
	yajl_gen	g = json_gen_new();

	if (g == NULL)
		return NULL;
	if (s == NULL)
		(void)yajl_gen_null(g);
	else
		json_gen_cstr(g, s);
	return gen_take(g);
}

/* "now" as mupifDB writes it: ISO 8601 without a zone (we run in UTC). */
static void
iso_now(char *buf, size_t len)
{
	struct timespec	ts;
	struct tm	tm;
	char		tmp[32];

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		tmp[0] = '\0';
	(void)snprintf(buf, len, "%s.%06ld", tmp, (long)(ts.tv_nsec / 1000));
}

/* Collect documents found by a query. */
struct found {
	char	**docs;
	size_t	 n, cap;
	int	 oom;
};

static int
found_cb(void *arg, const char *json, size_t len)
{
	struct found	*f = arg;
	char		**nd, *d;

	if (f->n == f->cap) {
		size_t ncap = f->cap == 0 ? 16 : f->cap * 2;

		if ((nd = reallocarray(f->docs, ncap, sizeof(*nd))) == NULL) {
			f->oom = 1;
			return 1;
		}
		f->docs = nd;
		f->cap = ncap;
	}
	if ((d = malloc(len + 1)) == NULL) {
		f->oom = 1;
		return 1;
	}
	memcpy(d, json, len);
	d[len] = '\0';
	f->docs[f->n++] = d;
	return 0;
}

static void
found_free(struct found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->docs[i]);
	free(f->docs);
	memset(f, 0, sizeof(*f));
}

/* The first document of a query, or MST_NOTFOUND. */
static int
find_one(struct ctx *c, struct db_query *q, char **doc)
{
	struct found	f;
	int		st;

	memset(&f, 0, sizeof(f));
	*doc = NULL;
	q->limit = 1;
	st = c->b->find(c->b, q, found_cb, &f);
	if (st == MST_OK && f.oom)
		st = MST_INTERNAL;
	if (st == MST_OK && f.n == 0)
		st = MST_NOTFOUND;
	if (st == MST_OK) {
		*doc = f.docs[0];
		f.docs[0] = NULL;
	}
	found_free(&f);
	return st;
}

typedef void (*emit_fn)(struct ctx *, const char *doc);

static void
emit_raw(struct ctx *c, const char *doc)
{
	gen_raw(c->g, doc, strlen(doc));
}

/*
 * {"collection": [...], "pagination": {...}} for one page of a query;
 * each document goes through emit (NULL: as stored).
 */
static int
page_of(struct ctx *c, struct db_query *q, long long page, long long size,
    long long num_limit, int has_num_limit, emit_fn emit)
{
	struct found	f;
	uint64_t	total = 0;
	size_t		i;
	int		st;

	if (page < 1)
		page = 1;
	if (size < 1)
		size = 20;
	if (size > PAGE_MAX)
		size = PAGE_MAX;
	q->skip = (uint64_t)(page - 1) * (uint64_t)size;
	q->limit = (uint64_t)size;
	if (has_num_limit) {
		/* mupifDB: num_limit overrides pageSize; 0 or less means
		 * everything (capped here). */
		q->skip = 0;
		q->limit = num_limit > 0 && num_limit < LIST_MAX ?
		    (uint64_t)num_limit : LIST_MAX;
		size = (long long)q->limit;
		page = 1;
	}
	if ((st = c->b->count(c->b, q, &total)) != MST_OK)
		return fail(c, st, "count failed");
	memset(&f, 0, sizeof(f));
	st = c->b->find(c->b, q, found_cb, &f);
	if (st == MST_OK && f.oom)
		st = MST_INTERNAL;
	if (st != MST_OK) {
		found_free(&f);
		return fail(c, st, "query failed");
	}
	(void)yajl_gen_map_open(c->g);
	json_gen_cstr(c->g, "collection");
	(void)yajl_gen_array_open(c->g);
	for (i = 0; i < f.n; i++)
		(emit != NULL ? emit : emit_raw)(c, f.docs[i]);
	(void)yajl_gen_array_close(c->g);
	json_gen_cstr(c->g, "pagination");
	(void)yajl_gen_map_open(c->g);
	json_gen_kv_int(c->g, "page", page);
	json_gen_kv_int(c->g, "pageSize", size);
	json_gen_kv_int(c->g, "totalCount", (long long)total);
	(void)yajl_gen_map_close(c->g);
	(void)yajl_gen_map_close(c->g);
	found_free(&f);
	return MST_OK;
}

static int
gen_entity_doc(struct ctx *c, const char *doc)
{
	gen_raw(c->g, doc, strlen(doc));
	return MST_OK;
}

static int
gen_id(struct ctx *c, const char *id)
{
	(void)yajl_gen_map_open(c->g);
	json_gen_kv_str(c->g, "_id", id);
	(void)yajl_gen_map_close(c->g);
	return MST_OK;
}

static int
gen_bool(struct ctx *c, int b)
{
	(void)yajl_gen_map_open(c->g);
	json_gen_cstr(c->g, "ok");
	(void)yajl_gen_bool(c->g, b);
	(void)yajl_gen_map_close(c->g);
	return MST_OK;
}

/* The nested records of mupifDB's models (spec 2.4 to 2.6), with the
 * aliases its pydantic models accept. */
static const struct field io_fields[] = {
	{ "Name", T_STR, 1 },
	{ "Description", T_STR | T_NULL, 0 },
	{ "Type", T_STR, 1 },
	{ "Type_ID", T_STR | T_NULL, 0 },
	{ "TypeID", T_STR | T_NULL, 0 },
	{ "ValueType", T_STR | T_NULL, 0 },
	{ "Units", T_STR | T_NULL, 0 },
	{ "ObjID", T_STR | T_ARR | T_NULL, 0 },
	{ "Obj_ID", T_STR | T_ARR | T_NULL, 0 },
	{ "EDMPath", T_STR | T_NULL, 0 },
	{ "Compulsory", T_BOOL | T_NULL, 0 },
	{ "Required", T_BOOL | T_NULL, 0 },
	{ "Set_at", T_STR | T_NULL, 0 },
	{ "EDMList", T_BOOL | T_NULL, 0 },
	{ NULL, 0, 0 },
};

static const struct field model_fields[] = {
	{ "Name", T_STR, 1 },
	{ "Jobmanager", T_STR, 1 },
	{ "Instantiate", T_BOOL | T_NULL, 0 },
	{ NULL, 0, 0 },
};

static const struct field edm_fields[] = {
	{ "id", T_STR | T_NULL, 0 },
	{ "ids", T_ARR | T_NULL, 0 },
	{ "Name", T_STR | T_NULL, 0 },
	{ "EDMEntity", T_STR | T_NULL, 0 },
	{ "EDMList", T_BOOL | T_NULL, 0 },
	{ "DBName", T_STR | T_NULL, 0 },
	{ "OptionsFilter", T_OBJ | T_NULL, 0 },
	{ "createNew", T_OBJ | T_NULL, 0 },
	{ "createFrom", T_STR | T_NULL, 0 },
	{ NULL, 0, 0 },
};

static const struct field item_fields[] = {
	{ "Name", T_STR, 0 },
	{ "Description", T_STR | T_NULL, 0 },
	{ "Type", T_STR, 0 },
	{ "Type_ID", T_STR | T_NULL, 0 },
	{ "ValueType", T_STR | T_NULL, 0 },
	{ "Units", T_STR | T_NULL, 0 },
	{ "ObjID", T_STR | T_ARR | T_NULL, 0 },
	{ "EDMPath", T_STR | T_NULL, 0 },
	{ "Value", T_ANY, 0 },
	{ "Link", T_OBJ | T_NULL, 0 },
	{ "FileID", T_STR | T_NULL, 0 },
	{ "Compulsory", T_BOOL | T_NULL, 0 },
	{ "Object", T_OBJ | T_NULL, 0 },
	{ NULL, 0, 0 },
};

/* Every element of array member key of v is an object checked against
 * fields (an absent or null member is fine). */
static int
check_list(struct ctx *c, yajl_val v, const char *key,
    const struct field *fields, const char *what)
{
	yajl_val	a = json_get(v, key);
	size_t		i;
	int		st;

	if (a == NULL || YAJL_IS_NULL(a))
		return MST_OK;
	if (!YAJL_IS_ARRAY(a))
		return fail(c, MST_BADREQ, "%s: %s must be a list", what, key);
	for (i = 0; i < a->u.array.len; i++)
		if ((st = check_fields(c, a->u.array.values[i], fields,
		    what)) != MST_OK)
			return st;
	return MST_OK;
}

/* The nested parts of a document of collection coll. */
static int
check_nested(struct ctx *c, enum db_coll coll, yajl_val v)
{
	static const char *const iocard[] = { "Inputs", "Outputs", NULL };
	yajl_val	io;
	const char	*bad;
	int		st;

	switch (coll) {
	case DC_WORKFLOWS:
	case DC_HISTORY:
		io = json_get(v, "IOCard");
		if (json_only_keys(io, iocard, &bad) == -1)
			return fail(c, MST_BADREQ, "IOCard: unknown field");
		if ((st = check_list(c, io, "Inputs", io_fields,
		    "IOCard.Inputs")) != MST_OK ||
		    (st = check_list(c, io, "Outputs", io_fields,
		    "IOCard.Outputs")) != MST_OK ||
		    (st = check_list(c, v, "Models", model_fields,
		    "Models")) != MST_OK)
			return st;
		return check_list(c, v, "EDMMapping", edm_fields, "EDMMapping");
	case DC_EXECUTIONS:
		return check_list(c, v, "EDMMapping", edm_fields, "EDMMapping");
	case DC_IODATA:
		return check_list(c, v, "DataSet", item_fields, "DataSet");
	default:
		return MST_OK;
	}
}

/* Validate doc against fields, then insert the text of v. */
static int
insert_checked(struct ctx *c, enum db_coll coll, yajl_val v,
    const struct field *fields, char *id)
{
	char	*text;
	int	 st;

	if ((st = check_fields(c, v, fields, db_coll_name(coll))) != MST_OK ||
	    (st = check_nested(c, coll, v)) != MST_OK)
		return st;
	/* A literal null _id (mupifDB's seeds) means "make one". */
	if (json_get(v, "_id") != NULL && YAJL_IS_NULL(json_get(v, "_id"))) {
		size_t i;

		for (i = 0; i < v->u.object.len; i++)
			if (strcmp(v->u.object.keys[i], "_id") == 0) {
				yajl_tree_free(v->u.object.values[i]);
				free((void *)(uintptr_t)v->u.object.keys[i]);
				memmove(&v->u.object.keys[i],
				    &v->u.object.keys[i + 1],
				    (v->u.object.len - i - 1) *
				    sizeof(v->u.object.keys[0]));
				memmove(&v->u.object.values[i],
				    &v->u.object.values[i + 1],
				    (v->u.object.len - i - 1) *
				    sizeof(v->u.object.values[0]));
				v->u.object.len--;
				break;
			}
	}
	if ((text = val_json(v)) == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	st = c->b->insert(c->b, coll, text, strlen(text), id);
	free(text);
	/* The document passed every check: a refusal now is a unique
	 * key already taken (_id, user.mail, session_token). */
	if (st == MST_BADREQ)
		return fail(c, MST_CONFLICT, "%s: duplicate key",
		    db_coll_name(coll));
	return st == MST_OK ? st : fail(c, st, "insert failed");
}

/* ----- use cases ----- */

static int
op_usecase_get(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "ucid", NULL };
	struct db_cond	 cond = { "ucid", DV_STR, NULL, 0 };
	struct db_query	 q = { DC_USECASES, &cond, 1, NULL, 0, 0, 0 };
	char		*doc;
	int		 st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (cond.s = arg_str(c, v, "ucid", 256, &st)) == NULL)
		return st;
	if ((st = find_one(c, &q, &doc)) != MST_OK)
		return fail(c, st, "no use case with ucid=%s", cond.s);
	st = gen_entity_doc(c, doc);
	free(doc);
	return st;
}

static int
list_args(struct ctx *c, yajl_val v, long long *page, long long *size)
{
	int st;

	if ((st = arg_int(c, v, "page", 1, page)) != MST_OK ||
	    (st = arg_int(c, v, "pageSize", 20, size)) != MST_OK)
		return st;
	return MST_OK;
}

static int
op_usecase_list(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "page", "pageSize", NULL };
	struct db_query	q = { DC_USECASES, NULL, 0, NULL, 0, 0, 0 };
	long long	page, size;
	int		st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (st = list_args(c, v, &page, &size)) != MST_OK)
		return st;
	return page_of(c, &q, page, size, 0, 0, NULL);
}

static int
op_insert(struct ctx *c, yajl_val v, enum db_coll coll,
    const struct field *fields)
{
	char	id[DB_ID_LEN + 1];
	int	st;

	if ((st = insert_checked(c, coll, v, fields, id)) != MST_OK)
		return st;
	return gen_id(c, id);
}

/* ----- workflows ----- */

static int
op_get_by_id(struct ctx *c, yajl_val v, enum db_coll coll)
{
	static const char *const a[] = { "_id", NULL };
	const char	*id;
	char		*doc;
	int		 st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL)
		return st;
	if ((st = c->b->get(c->b, coll, id, &doc)) != MST_OK)
		return fail(c, st, "no %s document with _id=%s",
		    db_coll_name(coll), id);
	st = gen_entity_doc(c, doc);
	free(doc);
	return st;
}

/* The workflow wid at version (-1 = current), as mupifDB looks it up:
 * the current document if its Version matches, else the history. */
static int
workflow_version(struct ctx *c, const char *wid, long long version,
    char **doc)
{
	struct db_cond	 conds[2] = { { "wid", DV_STR, wid, 0 },
			    { "Version", DV_INT, NULL, version } };
	struct db_query	 q = { DC_WORKFLOWS, conds, 1, NULL, 0, 0, 0 };
	int		 st;

	st = find_one(c, &q, doc);
	if (st == MST_OK && version != -1) {
		yajl_val	w;
		long long	have;
		char		e[64];

		w = json_parse(*doc, strlen(*doc), DB_DOC_MAX, JSON_MAX_DEPTH,
		    e, sizeof(e));
		if (w != NULL && json_get_int(w, "Version", &have) == 0 &&
		    have == version) {
			yajl_tree_free(w);
			return MST_OK;
		}
		yajl_tree_free(w);
		free(*doc);
		*doc = NULL;
		q.coll = DC_HISTORY;
		q.nconds = 2;
		st = find_one(c, &q, doc);
	}
	if (st != MST_OK)
		return fail(c, st, "no workflow with wid=%s and Version=%lld",
		    wid, version);
	return MST_OK;
}

static int
op_workflow_get_version(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "wid", "version", NULL };
	const char	*wid;
	long long	 ver;
	char		*doc;
	int		 st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (wid = arg_str(c, v, "wid", 256, &st)) == NULL ||
	    (st = arg_int(c, v, "version", -1, &ver)) != MST_OK)
		return st;
	if ((st = workflow_version(c, wid, ver, &doc)) != MST_OK)
		return st;
	st = gen_entity_doc(c, doc);
	free(doc);
	return st;
}

static int
op_workflow_list(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "usecase", "page", "pageSize", NULL };
	struct db_cond	cond = { "UseCase", DV_STR, NULL, 0 };
	struct db_query	q = { DC_WORKFLOWS, &cond, 0, NULL, 0, 0, 0 };
	long long	page, size;
	int		st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (st = list_args(c, v, &page, &size)) != MST_OK)
		return st;
	if (json_get(v, "usecase") != NULL) {
		if ((cond.s = arg_str(c, v, "usecase", 256, &st)) == NULL)
			return st;
		q.nconds = 1;
	}
	return page_of(c, &q, page, size, 0, 0, NULL);
}

/* workflow.update: every field of the document with the same wid is set
 * (mupifDB's PATCH /api/workflows). */
static int
op_workflow_update(struct ctx *c, yajl_val v)
{
	struct db_cond	 cond = { "wid", DV_STR, NULL, 0 };
	struct db_query	 q = { DC_WORKFLOWS, &cond, 1, NULL, 0, 0, 0 };
	struct db_set	*sets;
	yajl_val	 cur;
	const char	*id;
	char		*doc, e[64];
	size_t		 i, n = 0;
	int		 st, matched = 0;

	if ((st = check_fields(c, v, workflow_fields, "Workflows")) != MST_OK ||
	    (st = check_nested(c, DC_WORKFLOWS, v)) != MST_OK)
		return st;
	cond.s = json_get_str(v, "wid");
	if ((st = find_one(c, &q, &doc)) != MST_OK)
		return fail(c, st, "workflow with wid=%s not found for update",
		    cond.s);
	cur = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	if (cur == NULL || (id = json_get_str(cur, "_id")) == NULL) {
		yajl_tree_free(cur);
		return fail(c, MST_INTERNAL, "stored workflow unreadable");
	}
	if ((sets = calloc(v->u.object.len, sizeof(*sets))) == NULL) {
		yajl_tree_free(cur);
		return fail(c, MST_INTERNAL, "out of memory");
	}
	for (i = 0; i < v->u.object.len; i++) {
		if (strcmp(v->u.object.keys[i], "_id") == 0)
			continue;
		sets[n].path = v->u.object.keys[i];
		if ((sets[n].json = val_json(v->u.object.values[i])) == NULL)
			st = MST_INTERNAL;
		n++;
	}
	if (st == MST_OK)
		st = c->b->update(c->b, DC_WORKFLOWS, id, NULL, 0, sets, n,
		    &matched);
	if (st == MST_OK && matched)
		st = c->b->get(c->b, DC_WORKFLOWS, id, &doc);
	else if (st == MST_OK)
		st = fail(c, MST_NOTFOUND, "workflow vanished during update");
	if (st == MST_OK) {
		gen_raw(c->g, doc, strlen(doc));
		free(doc);
	}
	for (i = 0; i < n; i++)
		free((void *)(uintptr_t)sets[i].json);
	free(sets);
	yajl_tree_free(cur);
	return st == MST_OK ? st : fail(c, st, "update failed");
}

/* ----- executions ----- */

static int
op_exec_list(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "status", "workflow_id",
	    "workflow_version", "label", "page", "pageSize", "num_limit",
	    NULL };
	struct db_cond	conds[4];
	struct db_query	q = { DC_EXECUTIONS, conds, 0, "CreatedDate", 1, 0, 0 };
	long long	page, size, ver, lim = 0;
	int		st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (st = list_args(c, v, &page, &size)) != MST_OK)
		return st;
	if (json_get(v, "status") != NULL) {
		conds[q.nconds] = (struct db_cond){ "Status", DV_STR, NULL, 0 };
		if ((conds[q.nconds++].s = arg_str(c, v, "status", 64,
		    &st)) == NULL)
			return st;
	}
	if (json_get(v, "workflow_id") != NULL) {
		conds[q.nconds] = (struct db_cond){ "WorkflowID", DV_STR, NULL,
		    0 };
		if ((conds[q.nconds++].s = arg_str(c, v, "workflow_id", 256,
		    &st)) == NULL)
			return st;
	}
	if ((st = arg_int(c, v, "workflow_version", 0, &ver)) != MST_OK)
		return st;
	if (ver != 0)
		conds[q.nconds++] = (struct db_cond){ "WorkflowVersion", DV_INT,
		    NULL, ver };
	if (json_get(v, "label") != NULL) {
		conds[q.nconds] = (struct db_cond){ "label", DV_STR, NULL, 0 };
		if ((conds[q.nconds++].s = arg_str(c, v, "label", 256,
		    &st)) == NULL)
			return st;
	}
	if ((st = arg_int(c, v, "num_limit", 0, &lim)) != MST_OK)
		return st;
	return page_of(c, &q, page, size, lim, json_get(v, "num_limit") !=
	    NULL && !YAJL_IS_NULL(json_get(v, "num_limit")), NULL);
}

/* The fields a status change sets first (spec 5.3). */
static size_t
status_effects(const char *status, const char *now, struct db_set *s)
{
	static const char nul[] = "null";
	size_t n = 0;

	if (strcmp(status, "Created") == 0) {
		s[n++] = (struct db_set){ "SubmittedDate", nul };
		s[n++] = (struct db_set){ "ScheduledDate", nul };
		s[n++] = (struct db_set){ "StartDate", nul };
		s[n++] = (struct db_set){ "EndDate", nul };
		s[n++] = (struct db_set){ "ExecutionLog", nul };
	} else if (strcmp(status, "Pending") == 0) {
		s[n++] = (struct db_set){ "SubmittedDate", now };
		s[n++] = (struct db_set){ "ScheduledDate", nul };
		s[n++] = (struct db_set){ "StartDate", nul };
		s[n++] = (struct db_set){ "EndDate", nul };
		s[n++] = (struct db_set){ "ExecutionLog", nul };
	} else if (strcmp(status, "Scheduled") == 0) {
		s[n++] = (struct db_set){ "ScheduledDate", now };
		s[n++] = (struct db_set){ "StartDate", nul };
		s[n++] = (struct db_set){ "EndDate", nul };
		s[n++] = (struct db_set){ "ExecutionLog", nul };
	} else if (strcmp(status, "Running") == 0) {
		s[n++] = (struct db_set){ "StartDate", now };
		s[n++] = (struct db_set){ "EndDate", nul };
		s[n++] = (struct db_set){ "ExecutionLog", nul };
	} else if (strcmp(status, "Finished") == 0 ||
	    strcmp(status, "Failed") == 0)
		s[n++] = (struct db_set){ "EndDate", now };
	return n;
}

/*
 * Change the Status of execution id to status, with the date side
 * effects when it really changes, as one compare-and-set on the old
 * status (retried if someone else changed it in between).  If from is
 * not NULL the change happens only from that status (*matched says).
 * The nx fields of xs (at most XSETS_MAX, none of the date fields or
 * Status; borrowed) are set in the same step.
 */
#define XSETS_MAX	8
static int
set_status_with(struct ctx *c, const char *id, const char *status,
    const char *from, const struct db_set *xs, size_t nx, int *matched)
{
	struct db_set	 sets[8 + XSETS_MAX];
	struct db_cond	 expect = { "Status", DV_STR, NULL, 0 };
	char		*doc, *sj, now[64], e[64];
	size_t		 n, i;
	int		 st, tries;

	*matched = 0;
	iso_now(now + 1, sizeof(now) - 2);
	now[0] = '"';
	(void)strlcat(now, "\"", sizeof(now));
	if ((sj = str_json(status)) == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	for (tries = 0; tries < CAS_TRIES; tries++) {
		yajl_val	 cur;
		const char	*old;

		if ((st = c->b->get(c->b, DC_EXECUTIONS, id, &doc)) != MST_OK)
			break;
		cur = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH,
		    e, sizeof(e));
		free(doc);
		old = json_get_str(cur, "Status");
		if (from != NULL && (old == NULL || strcmp(old, from) != 0)) {
			yajl_tree_free(cur);
			free(sj);
			return MST_OK;
		}
		n = 0;
		if (old == NULL || strcmp(old, status) != 0)
			n = status_effects(status, now, sets);
		sets[n++] = (struct db_set){ "Status", sj };
		for (i = 0; i < nx && i < XSETS_MAX; i++)
			sets[n++] = xs[i];
		if (old != NULL) {
			expect.type = DV_STR;
			expect.s = old;
		} else
			expect.type = DV_NULL;
		st = c->b->update(c->b, DC_EXECUTIONS, id, &expect, 1, sets, n,
		    matched);
		yajl_tree_free(cur);
		if (st != MST_OK || *matched)
			break;
	}
	free(sj);
	if (st == MST_OK && !*matched && from == NULL)
		st = fail(c, MST_BUSY, "execution %s changed too often", id);
	return st;
}

/* set_status_with() without further fields. */
static int
set_status(struct ctx *c, const char *id, const char *status,
    const char *from, int *matched)
{
	return set_status_with(c, id, status, from, NULL, 0, matched);
}

static int
gen_execution(struct ctx *c, const char *id)
{
	char	*doc;
	int	 st;

	if ((st = c->b->get(c->b, DC_EXECUTIONS, id, &doc)) != MST_OK)
		return fail(c, st, "no execution with _id=%s", id);
	gen_raw(c->g, doc, strlen(doc));
	free(doc);
	return MST_OK;
}

/* Document id of coll as raw JSON into the answer, or null when id is
 * not an id or there is no such document; other failures fail, or with
 * lenient give null too. */
static int
gen_doc_or_null(struct ctx *c, enum db_coll coll, const char *id,
    int lenient)
{
	char	*doc = NULL;
	int	 st;

	if (id == NULL || !db_id_ok(id)) {
		(void)yajl_gen_null(c->g);
		return MST_OK;
	}
	st = c->b->get(c->b, coll, id, &doc);
	if (st == MST_NOTFOUND || (st != MST_OK && lenient)) {
		(void)yajl_gen_null(c->g);
		return MST_OK;
	}
	if (st != MST_OK)
		return fail(c, st, "%s lookup failed", db_coll_name(coll));
	gen_raw(c->g, doc, strlen(doc));
	free(doc);
	return MST_OK;
}

/*
 * execution.get_full {"_id"}: an execution and what the api's enriched
 * answer needs (spec/rest-api.md 4.6), in one call instead of four:
 * {"execution": doc, "inputs": IOData doc | null, "outputs": IOData
 * doc | null, "workflow": workflow doc | null}.  inputs and outputs are
 * the documents the execution's "Inputs" and "Outputs" name (null when
 * that is not an id or the document is missing); "workflow" is looked up
 * only when the execution's "workflow" is not a string but its
 * "WorkflowID" is one (of at most 256 bytes), at its "WorkflowVersion"
 * (1 when that is not an integer), as workflow.get_version does; null
 * when there is none.  Any other failure fails the operation.
 */
static int
op_exec_get_full(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", NULL };
	yajl_val	 ex;
	const char	*id, *wid;
	char		*doc, *wdoc = NULL, e[64];
	long long	 ver = 1;
	int		 st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL)
		return st;
	if ((st = c->b->get(c->b, DC_EXECUTIONS, id, &doc)) != MST_OK)
		return fail(c, st, "no execution with _id=%s", id);
	ex = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	if (ex == NULL) {
		free(doc);
		return fail(c, MST_INTERNAL, "stored execution unreadable");
	}
	wid = json_get_str(ex, "WorkflowID");
	if (json_get_str(ex, "workflow") == NULL && wid != NULL &&
	    strlen(wid) <= 256) {
		if (json_get_int(ex, "WorkflowVersion", &ver) == -1)
			ver = 1;
		st = workflow_version(c, wid, ver, &wdoc);
		if (st == MST_NOTFOUND) {
			c->err[0] = '\0';
			wdoc = NULL;
			st = MST_OK;
		}
		if (st != MST_OK) {
			yajl_tree_free(ex);
			free(doc);
			return st;
		}
	}
	(void)yajl_gen_map_open(c->g);
	json_gen_cstr(c->g, "execution");
	gen_raw(c->g, doc, strlen(doc));
	free(doc);
	json_gen_cstr(c->g, "inputs");
	if ((st = gen_doc_or_null(c, DC_IODATA, json_get_str(ex,
	    "Inputs"), 0)) == MST_OK) {
		json_gen_cstr(c->g, "outputs");
		st = gen_doc_or_null(c, DC_IODATA, json_get_str(ex, "Outputs"),
		    0);
	}
	yajl_tree_free(ex);
	if (st == MST_OK) {
		json_gen_cstr(c->g, "workflow");
		if (wdoc != NULL)
			gen_raw(c->g, wdoc, strlen(wdoc));
		else
			(void)yajl_gen_null(c->g);
		(void)yajl_gen_map_close(c->g);
	}
	free(wdoc);
	return st;
}

static int
op_exec_set_field(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", "key", "value", NULL };
	struct db_set	 set;
	const char	*id, *key, *val;
	char		*vj = NULL, *doc;
	int		 st, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL ||
	    (key = arg_str(c, v, "key", 64, &st)) == NULL)
		return st;
	if (!in_list(key, settable))
		return fail(c, MST_BADREQ, "key \"%.64s\" cannot be set", key);
	if ((val = arg_str(c, v, "value", STR_MAX, &st)) == NULL)
		return st;
	if ((st = c->b->get(c->b, DC_EXECUTIONS, id, &doc)) != MST_OK)
		return fail(c, st, "execution with uid=%s not found for update",
		    id);
	free(doc);
	if (strcmp(key, "Status") == 0) {
		if (!in_list(val, statuses))
			return fail(c, MST_BADREQ, "unknown status \"%.64s\"",
			    val);
		if ((st = set_status(c, id, val, NULL, &matched)) != MST_OK)
			return st;
		return gen_execution(c, id);
	}
	if (strcmp(key, "Attempts") == 0) {
		uint64_t n;

		/* Stored as a number (mupifDB wrote a string; its readers
		 * coerce either). */
		if (util_parse_u64(val, strlen(val), 0, 1000000, &n) == -1)
			return fail(c, MST_BADREQ, "Attempts must be a number");
		if ((vj = malloc(24)) != NULL)
			(void)snprintf(vj, 24, "%llu", (unsigned long long)n);
	} else
		vj = str_json(val);
	if (vj == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	set = (struct db_set){ key, vj };
	st = c->b->update(c->b, DC_EXECUTIONS, id, NULL, 0, &set, 1, &matched);
	free(vj);
	if (st != MST_OK)
		return fail(c, st, "update failed");
	return gen_execution(c, id);
}

/* ----- the scheduling loop (spec/scheduler.md 6, 7 and 12) ----- */

#define OWNER_MAX	64		/* a scheduler's name */
#define RUN_MIN		16		/* a run id */
#define RUN_MAX		64
#define REASON_MAX	1024
#define ATTEMPTS_MAX	1000000
#define RECOVER_MAX	10000		/* of each kind per recover */

/* "now" as a JSON string literal (for a struct db_set) into buf. */
static void
now_json(char *buf, size_t len)
{
	buf[0] = '"';
	iso_now(buf + 1, len - 2);
	(void)strlcat(buf, "\"", len);
}

/*
 * Is s an owner (1 to 64 of [A-Za-z0-9._:-]) or, with run set, a run id
 * (16 to 64 of [A-Za-z0-9_-])?  NULL is neither.
 */
static int
token_ok(const char *s, int run)
{
	size_t	i, len, min = run ? RUN_MIN : 1;
	size_t	max = run ? RUN_MAX : OWNER_MAX;

	if (s == NULL || (len = strlen(s)) < min || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')
			continue;
		if (!run && (ch == '.' || ch == ':'))
			continue;
		return 0;
	}
	return 1;
}

/* The required argument "owner" (borrowed from v), or NULL with *st set. */
static const char *
arg_owner(struct ctx *c, yajl_val v, int *st)
{
	const char *s = json_get_str(v, "owner");

	if (!token_ok(s, 0)) {
		*st = fail(c, MST_BADREQ, "argument \"owner\" must be 1 to %d "
		    "characters of A-Z a-z 0-9 . _ : -", OWNER_MAX);
		return NULL;
	}
	return s;
}

/*
 * The optional argument key: a string of at most max bytes (with id set:
 * a 24-hex file id) or null.  Its JSON text ("null" when absent or null)
 * goes to *out, a heap string the caller frees.
 */
static int
arg_nullable(struct ctx *c, yajl_val v, const char *key, size_t max,
    int id, char **out)
{
	yajl_val	 x = json_get(v, key);
	const char	*s = NULL;

	*out = NULL;
	if (x != NULL && !YAJL_IS_NULL(x)) {
		s = json_get_str(v, key);
		if (id && !db_id_ok(s))
			return fail(c, MST_BADREQ, "%s must be a file id or "
			    "null", key);
		if (!id && (s == NULL || strlen(s) > max))
			return fail(c, MST_BADREQ, "argument \"%s\" must be a "
			    "string of at most %zu bytes or null", key, max);
	}
	if ((*out = str_json(s)) == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	return MST_OK;
}

/*
 * The stored Attempts of execution d (a number or a numeric string;
 * missing or null count as 0) into *n, and into *cond a condition that
 * holds while it is unchanged (strings borrowed from d).  -1 if it is
 * none of these (*n is 0 then, and there is no condition).
 */
static int
attempts_of(yajl_val d, long long *n, struct db_cond *cond)
{
	yajl_val	a = json_get(d, "Attempts");
	uint64_t	u;

	*n = 0;
	*cond = (struct db_cond){ "Attempts", DV_NULL, NULL, 0 };
	if (a == NULL || YAJL_IS_NULL(a))
		return 0;
	if (YAJL_IS_INTEGER(a) && a->u.number.i >= 0 &&
	    a->u.number.i <= ATTEMPTS_MAX) {
		*n = a->u.number.i;
		cond->type = DV_INT;
		cond->i = *n;
		return 0;
	}
	if (YAJL_IS_STRING(a) && util_parse_u64(a->u.string,
	    strlen(a->u.string), 0, ATTEMPTS_MAX, &u) == 0) {
		*n = (long long)u;
		cond->type = DV_STR;
		cond->s = a->u.string;
		return 0;
	}
	return -1;
}

/*
 * The Status of execution id into buf ("Created" when it has none, as
 * mupifDB's model defaults it): MST_OK, MST_NOTFOUND (err set) or
 * another failure.
 */
static int
exec_status(struct ctx *c, const char *id, char *buf, size_t len)
{
	yajl_val	 d;
	const char	*s;
	char		*doc, e[64];
	int		 st;

	if ((st = c->b->get(c->b, DC_EXECUTIONS, id, &doc)) != MST_OK)
		return fail(c, st, "no execution with _id=%s", id);
	d = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	if (d == NULL)
		return fail(c, MST_INTERNAL, "stored execution unreadable");
	s = json_get(d, "Status") == NULL ? "Created" :
	    json_get_str(d, "Status");
	(void)strlcpy(buf, s != NULL ? s : "(not a string)", len);
	yajl_tree_free(d);
	return MST_OK;
}

/*
 * execution.schedule {"_id"} (spec/scheduler.md 12.6): the user's
 * (re-)schedule, only from Created, Finished or Failed (or no Status,
 * which is Created), by one compare-and-set per expected status: Pending
 * with the dates of the Pending rule, Attempts 0, and Reason,
 * CancelRequested, ClaimedBy and RunId null.  The execution; MST_CONFLICT
 * from any other status.
 */
static int
op_exec_schedule(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", NULL };
	static const char *const from[] = { "Created", "Finished", "Failed",
	    NULL };
	static const char nul[] = "null";
	struct db_set	 sets[16];
	struct db_cond	 expect = { "Status", DV_STR, NULL, 0 };
	const char	*id;
	char		 now[64], cur[64];
	size_t		 n, i;
	int		 st, tries, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL)
		return st;
	now_json(now, sizeof(now));
	n = status_effects("Pending", now, sets);
	sets[n++] = (struct db_set){ "Status", "\"Pending\"" };
	sets[n++] = (struct db_set){ "Attempts", "0" };
	sets[n++] = (struct db_set){ "Reason", nul };
	sets[n++] = (struct db_set){ "CancelRequested", nul };
	sets[n++] = (struct db_set){ "ClaimedBy", nul };
	sets[n++] = (struct db_set){ "RunId", nul };
	for (tries = 0; tries < CAS_TRIES; tries++) {
		/* from[] in turn, then a document without Status. */
		for (i = 0; i <= 3 && !matched; i++) {
			expect.type = from[i] != NULL ? DV_STR : DV_NULL;
			expect.s = from[i];
			if ((st = c->b->update(c->b, DC_EXECUTIONS, id, &expect,
			    1, sets, n, &matched)) != MST_OK)
				return fail(c, st, "update failed");
		}
		if (matched)
			return gen_execution(c, id);
		if ((st = exec_status(c, id, cur, sizeof(cur))) != MST_OK) {
			if (st == MST_NOTFOUND)
				return fail(c, st, "no execution with uid=%s",
				    id);
			return st;
		}
		if (!in_list(cur, from))
			return fail(c, MST_CONFLICT, "Execution %s is %.64s; "
			    "only a Created, Finished or Failed execution can "
			    "be scheduled", id, cur);
		/* It changed between the two; again. */
	}
	return fail(c, MST_BUSY, "execution %s changed too often", id);
}

/*
 * execution.claim {"owner"?}: the oldest Pending execution (by
 * SubmittedDate, then id: first come, first served) becomes Scheduled in
 * one compare-and-set, which also sets ClaimedBy = owner when an owner
 * is given; a racing claimer that loses tries the next one.  The
 * execution.
 */
static int
op_exec_claim(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "owner", NULL };
	struct db_cond	 cond = { "Status", DV_STR, "Pending", 0 };
	struct db_query	 q = { DC_EXECUTIONS, &cond, 1, "SubmittedDate", 0, 0,
			    0 };
	struct db_set	 xs = { "ClaimedBy", NULL };
	yajl_val	 d;
	const char	*owner;
	char		*doc, *oj = NULL, e[64], id[DB_ID_LEN + 1];
	int		 st, tries, matched = 0;

	if ((st = args(c, v, a)) != MST_OK)
		return st;
	if (json_get(v, "owner") != NULL) {
		if ((owner = arg_owner(c, v, &st)) == NULL)
			return st;
		if ((oj = str_json(owner)) == NULL)
			return fail(c, MST_INTERNAL, "out of memory");
		xs.json = oj;
	}
	for (tries = 0; tries < CAS_TRIES && !matched; tries++) {
		if ((st = find_one(c, &q, &doc)) != MST_OK) {
			st = fail(c, st, "no Pending execution");
			break;
		}
		d = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
		    sizeof(e));
		free(doc);
		if (d == NULL || !db_id_ok(json_get_str(d, "_id"))) {
			yajl_tree_free(d);
			st = fail(c, MST_INTERNAL, "stored execution "
			    "unreadable");
			break;
		}
		(void)strlcpy(id, json_get_str(d, "_id"), sizeof(id));
		yajl_tree_free(d);
		if ((st = set_status_with(c, id, "Scheduled", "Pending", &xs,
		    oj != NULL ? 1 : 0, &matched)) != MST_OK)
			break;
	}
	free(oj);
	if (st != MST_OK)
		return st;
	if (!matched)
		return fail(c, MST_BUSY, "lost every claim race; try again");
	return gen_execution(c, id);
}

/*
 * execution.start {"_id", "owner", "run"}: the scheduler that claimed an
 * execution starts it.  Scheduled with ClaimedBy == owner becomes Running
 * (StartDate now, EndDate and ExecutionLog null), RunId = run and
 * Attempts one more than stored, in one compare-and-set on Status,
 * ClaimedBy and the Attempts read (retried if Attempts changed).  The
 * execution after the change; MST_CONFLICT if it is not Scheduled by
 * owner.
 */
static int
op_exec_start(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", "owner", "run", NULL };
	struct db_cond	 expect[3];
	struct db_set	 sets[6];
	yajl_val	 d;
	const char	*id, *owner, *run, *s, *cb;
	char		*doc, *rj, now[64], an[32], e[64];
	long long	 n;
	size_t		 ncond;
	int		 st = MST_OK, tries, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL ||
	    (owner = arg_owner(c, v, &st)) == NULL)
		return st;
	run = json_get_str(v, "run");
	if (!token_ok(run, 1))
		return fail(c, MST_BADREQ, "argument \"run\" must be %d to %d "
		    "characters of A-Z a-z 0-9 _ -", RUN_MIN, RUN_MAX);
	if ((rj = str_json(run)) == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	now_json(now, sizeof(now));
	for (tries = 0; tries < CAS_TRIES && !matched; tries++) {
		if ((st = c->b->get(c->b, DC_EXECUTIONS, id, &doc)) !=
		    MST_OK) {
			st = fail(c, st, "no execution with _id=%s", id);
			break;
		}
		d = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
		    sizeof(e));
		free(doc);
		if (d == NULL) {
			st = fail(c, MST_INTERNAL, "stored execution "
			    "unreadable");
			break;
		}
		s = json_get_str(d, "Status");
		cb = json_get_str(d, "ClaimedBy");
		if (s == NULL || strcmp(s, "Scheduled") != 0 || cb == NULL ||
		    strcmp(cb, owner) != 0) {
			yajl_tree_free(d);
			st = fail(c, MST_CONFLICT, "execution %s is not "
			    "Scheduled by %s", id, owner);
			break;
		}
		expect[0] = (struct db_cond){ "Status", DV_STR, "Scheduled",
		    0 };
		expect[1] = (struct db_cond){ "ClaimedBy", DV_STR, owner, 0 };
		ncond = attempts_of(d, &n, &expect[2]) == 0 ? 3 : 2;
		(void)snprintf(an, sizeof(an), "%lld", n + 1);
		sets[0] = (struct db_set){ "Status", "\"Running\"" };
		sets[1] = (struct db_set){ "StartDate", now };
		sets[2] = (struct db_set){ "EndDate", "null" };
		sets[3] = (struct db_set){ "ExecutionLog", "null" };
		sets[4] = (struct db_set){ "RunId", rj };
		sets[5] = (struct db_set){ "Attempts", an };
		st = c->b->update(c->b, DC_EXECUTIONS, id, expect, ncond, sets,
		    6, &matched);
		yajl_tree_free(d);
		if (st != MST_OK) {
			st = fail(c, st, "update failed");
			break;
		}
	}
	free(rj);
	if (st != MST_OK)
		return st;
	if (!matched)
		return fail(c, MST_BUSY, "execution %s changed too often", id);
	return gen_execution(c, id);
}

/*
 * execution.requeue {"_id", "owner", "log": file id | null, "reason":
 * string | null}: a run that found no resources (exit 2) goes back to
 * the end of the queue.  Running with ClaimedBy == owner becomes Pending
 * in one compare-and-set: SubmittedDate now, ScheduledDate, StartDate and
 * EndDate null, ExecutionLog = log (kept, spec 12.4), ClaimedBy and RunId
 * null, Reason = reason; Attempts kept.  {"ok": false} if it was not
 * Running by owner (or does not exist).
 */
static int
op_exec_requeue(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", "owner", "log", "reason",
	    NULL };
	static const char nul[] = "null";
	struct db_cond	 expect[2];
	struct db_set	 sets[9];
	const char	*id, *owner;
	char		*lj = NULL, *rj = NULL, now[64];
	int		 st, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL ||
	    (owner = arg_owner(c, v, &st)) == NULL ||
	    (st = arg_nullable(c, v, "log", 0, 1, &lj)) != MST_OK ||
	    (st = arg_nullable(c, v, "reason", REASON_MAX, 0, &rj)) !=
	    MST_OK) {
		free(lj);
		return st;
	}
	now_json(now, sizeof(now));
	expect[0] = (struct db_cond){ "Status", DV_STR, "Running", 0 };
	expect[1] = (struct db_cond){ "ClaimedBy", DV_STR, owner, 0 };
	sets[0] = (struct db_set){ "Status", "\"Pending\"" };
	sets[1] = (struct db_set){ "SubmittedDate", now };
	sets[2] = (struct db_set){ "ScheduledDate", nul };
	sets[3] = (struct db_set){ "StartDate", nul };
	sets[4] = (struct db_set){ "EndDate", nul };
	sets[5] = (struct db_set){ "ExecutionLog", lj };
	sets[6] = (struct db_set){ "ClaimedBy", nul };
	sets[7] = (struct db_set){ "RunId", nul };
	sets[8] = (struct db_set){ "Reason", rj };
	st = c->b->update(c->b, DC_EXECUTIONS, id, expect, 2, sets, 9,
	    &matched);
	free(lj);
	free(rj);
	if (st != MST_OK)
		return fail(c, st, "update failed");
	return gen_bool(c, matched);
}

/*
 * execution.finish {"_id", "status": "Finished"|"Failed", "log": file id
 * or null, "owner"?, "reason": string | null}: the end of a run as the
 * scheduler records it, only from Running or Scheduled (and, with owner,
 * only if ClaimedBy == owner), in one compare-and-set: Status, EndDate,
 * ExecutionLog, Reason (null when absent) and RunId null together.
 * {"ok": false} if the execution was not running.
 */
static int
op_exec_finish(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", "status", "log", "owner",
	    "reason", NULL };
	static const char *const from[] = { "Running", "Scheduled", NULL };
	struct db_set	 sets[5];
	struct db_cond	 expect[2] = {
		{ "Status", DV_STR, NULL, 0 },
		{ "ClaimedBy", DV_STR, NULL, 0 },
	};
	const char	*id, *status, *owner = NULL;
	char		*sj = NULL, *lj = NULL, *rj = NULL, now[48];
	size_t		 i;
	int		 st = MST_OK, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL ||
	    (status = arg_str(c, v, "status", 16, &st)) == NULL)
		return st;
	if (strcmp(status, "Finished") != 0 && strcmp(status, "Failed") != 0)
		return fail(c, MST_BADREQ, "status must be Finished or Failed");
	if (json_get(v, "owner") != NULL &&
	    (owner = arg_owner(c, v, &st)) == NULL)
		return st;
	if ((st = arg_nullable(c, v, "log", 0, 1, &lj)) != MST_OK ||
	    (st = arg_nullable(c, v, "reason", REASON_MAX, 0, &rj)) !=
	    MST_OK) {
		free(lj);
		return st;
	}
	now_json(now, sizeof(now));
	if ((sj = str_json(status)) == NULL) {
		free(lj);
		free(rj);
		return fail(c, MST_INTERNAL, "out of memory");
	}
	expect[1].s = owner;
	sets[0] = (struct db_set){ "Status", sj };
	sets[1] = (struct db_set){ "EndDate", now };
	sets[2] = (struct db_set){ "ExecutionLog", lj };
	sets[3] = (struct db_set){ "RunId", "null" };
	sets[4] = (struct db_set){ "Reason", rj };
	for (i = 0; from[i] != NULL && !matched && st == MST_OK; i++) {
		expect[0].s = from[i];
		st = c->b->update(c->b, DC_EXECUTIONS, id, expect,
		    owner != NULL ? 2 : 1, sets, 5, &matched);
	}
	free(sj);
	free(lj);
	free(rj);
	if (st != MST_OK)
		return fail(c, st, "update failed");
	return gen_bool(c, matched);
}

/* Ids of documents found (execution.recover). */
struct idlist {
	char	(*ids)[DB_ID_LEN + 1];
	size_t	  n, cap;
	int	  oom;
};

/* db_doc_cb: append the "_id" of the document to the idlist arg. */
static int
ids_cb(void *arg, const char *json, size_t len)
{
	struct idlist	*l = arg;
	yajl_val	 d;
	const char	*id;
	char		 e[64];

	if (l->n == l->cap) {
		size_t	 ncap = l->cap == 0 ? 64 : l->cap * 2;
		void	*nids;

		if ((nids = reallocarray(l->ids, ncap, sizeof(*l->ids))) ==
		    NULL) {
			l->oom = 1;
			return 1;
		}
		l->ids = nids;
		l->cap = ncap;
	}
	d = json_parse(json, len, DB_DOC_MAX, JSON_MAX_DEPTH, e, sizeof(e));
	id = d != NULL ? json_get_str(d, "_id") : NULL;
	if (db_id_ok(id))
		(void)strlcpy(l->ids[l->n++], id, sizeof(l->ids[0]));
	yajl_tree_free(d);
	return 0;
}

/*
 * Every execution (at most RECOVER_MAX) with Status from and ClaimedBy
 * owner gets the nsets fields of sets, each by its own compare-and-set on
 * those two; the ids it changed go to *out (the caller frees out->ids).
 */
static int
recover_kind(struct ctx *c, const char *owner, const char *from,
    const struct db_set *sets, size_t nsets, struct idlist *out)
{
	struct db_cond	 conds[2] = {
		{ "Status", DV_STR, NULL, 0 },
		{ "ClaimedBy", DV_STR, NULL, 0 },
	};
	struct db_query	 q = { DC_EXECUTIONS, conds, 2, NULL, 0, 0,
			    RECOVER_MAX };
	size_t		 i, k = 0;
	int		 st, matched;

	conds[0].s = from;
	conds[1].s = owner;
	memset(out, 0, sizeof(*out));
	st = c->b->find(c->b, &q, ids_cb, out);
	if (st == MST_OK && out->oom)
		st = MST_INTERNAL;
	if (st != MST_OK)
		return fail(c, st, "query failed");
	for (i = 0; i < out->n; i++) {
		if ((st = c->b->update(c->b, DC_EXECUTIONS, out->ids[i], conds,
		    2, sets, nsets, &matched)) != MST_OK)
			return fail(c, st, "update failed");
		if (matched)
			memmove(out->ids[k++], out->ids[i],
			    sizeof(out->ids[0]));
	}
	out->n = k;
	return MST_OK;
}

/* The ids of l as a JSON array member key of the answer. */
static void
gen_ids(struct ctx *c, const char *key, const struct idlist *l)
{
	size_t i;

	json_gen_cstr(c->g, key);
	(void)yajl_gen_array_open(c->g);
	for (i = 0; i < l->n; i++)
		json_gen_cstr(c->g, l->ids[i]);
	(void)yajl_gen_array_close(c->g);
}

/*
 * execution.recover {"owner"}: a scheduler's start after a crash (spec
 * 12.5).  Its Scheduled executions go back to Pending (ScheduledDate and
 * ClaimedBy null; SubmittedDate kept, so they keep their place in the
 * queue); its Running ones become Failed (EndDate now, RunId null,
 * Reason "the scheduler restarted while it ran").  {"pending": [ids],
 * "failed": [ids]}, at most RECOVER_MAX each (call again for more).
 */
static int
op_exec_recover(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "owner", NULL };
	static const char nul[] = "null";
	struct idlist	 pend, failed;
	struct db_set	 ps[3], fs[4];
	const char	*owner;
	char		 now[64];
	int		 st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (owner = arg_owner(c, v, &st)) == NULL)
		return st;
	now_json(now, sizeof(now));
	ps[0] = (struct db_set){ "Status", "\"Pending\"" };
	ps[1] = (struct db_set){ "ScheduledDate", nul };
	ps[2] = (struct db_set){ "ClaimedBy", nul };
	fs[0] = (struct db_set){ "Status", "\"Failed\"" };
	fs[1] = (struct db_set){ "EndDate", now };
	fs[2] = (struct db_set){ "Reason",
	    "\"the scheduler restarted while it ran\"" };
	fs[3] = (struct db_set){ "RunId", nul };
	memset(&failed, 0, sizeof(failed));
	if ((st = recover_kind(c, owner, "Scheduled", ps, 3, &pend)) ==
	    MST_OK)
		st = recover_kind(c, owner, "Running", fs, 4, &failed);
	if (st == MST_OK) {
		(void)yajl_gen_map_open(c->g);
		gen_ids(c, "pending", &pend);
		gen_ids(c, "failed", &failed);
		(void)yajl_gen_map_close(c->g);
	}
	free(pend.ids);
	free(failed.ids);
	return st;
}

/*
 * execution.cancel {"_id"}: a Pending execution goes back to Created (the
 * Created rule of the dates, Reason "cancelled", ClaimedBy null) by a
 * compare-and-set on Pending; a Scheduled or Running one gets
 * CancelRequested = true (status unchanged: the scheduler running it
 * kills it and records Failed).  {"was": old Status, "execution": doc};
 * MST_CONFLICT for Created, Finished and Failed.
 */
static int
op_exec_cancel(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", NULL };
	static const struct db_set xs[] = {
		{ "Reason", "\"cancelled\"" },
		{ "ClaimedBy", "null" },
	};
	struct db_set	 flag = { "CancelRequested", "true" };
	struct db_cond	 expect = { "Status", DV_STR, NULL, 0 };
	const char	*id;
	char		 was[64];
	int		 st = MST_OK, tries, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL)
		return st;
	for (tries = 0; tries < CAS_TRIES && !matched; tries++) {
		if ((st = exec_status(c, id, was, sizeof(was))) != MST_OK)
			return st;
		if (strcmp(was, "Pending") == 0)
			st = set_status_with(c, id, "Created", "Pending", xs, 2,
			    &matched);
		else if (strcmp(was, "Scheduled") == 0 ||
		    strcmp(was, "Running") == 0) {
			expect.s = was;
			st = c->b->update(c->b, DC_EXECUTIONS, id, &expect, 1,
			    &flag, 1, &matched);
			if (st != MST_OK)
				st = fail(c, st, "update failed");
		} else
			return fail(c, MST_CONFLICT, "execution %s is %.64s; "
			    "there is nothing to cancel", id, was);
		if (st != MST_OK)
			return st;
	}
	if (!matched)
		return fail(c, MST_BUSY, "execution %s changed too often", id);
	(void)yajl_gen_map_open(c->g);
	json_gen_kv_str(c->g, "was", was);
	json_gen_cstr(c->g, "execution");
	if ((st = gen_execution(c, id)) != MST_OK)
		return st;
	(void)yajl_gen_map_close(c->g);
	return MST_OK;
}

/* Build the IOData DataSet of a workflow's IOCard list (spec 2.6). */
static int
gen_dataset(yajl_gen g, yajl_val list, int inputs)
{
	static const char *const base[] = { "Name", "Description", "Type",
	    "Type_ID", "ValueType", "Units", "EDMPath", NULL };
	size_t	i, j, k, nobj;

	(void)yajl_gen_array_open(g);
	for (i = 0; list != NULL && YAJL_IS_ARRAY(list) &&
	    i < list->u.array.len; i++) {
		yajl_val io = list->u.array.values[i], obj, ids;

		if (!YAJL_IS_OBJECT(io))
			return -1;
		ids = json_get(io, "ObjID");
		if (ids == NULL)
			ids = json_get(io, "Obj_ID");
		/* A string is one element; a list gives one item per
		 * element (each item receives its own element: mupifDB gave
		 * every item the whole list, spec 9.3); [] or null none. */
		nobj = ids == NULL ? 0 : YAJL_IS_STRING(ids) ? 1 :
		    YAJL_IS_ARRAY(ids) ? ids->u.array.len : 0;
		for (k = 0; k < nobj; k++) {
			obj = YAJL_IS_STRING(ids) ? ids :
			    ids->u.array.values[k];
			(void)yajl_gen_map_open(g);
			for (j = 0; base[j] != NULL; j++) {
				yajl_val x = json_get(io, base[j]);

				if (x == NULL && strcmp(base[j], "Type_ID") == 0)
					x = json_get(io, "TypeID");
				json_gen_cstr(g, base[j]);
				if (x != NULL)
					json_gen_val(g, x);
				else if (strcmp(base[j], "ValueType") == 0)
					json_gen_cstr(g, "Scalar");
				else if (strcmp(base[j], "Type_ID") == 0 ||
				    strcmp(base[j], "Units") == 0 ||
				    strcmp(base[j], "Name") == 0 ||
				    strcmp(base[j], "Type") == 0)
					json_gen_cstr(g, "");
				else
					(void)yajl_gen_null(g);
			}
			json_gen_cstr(g, "ObjID");
			json_gen_val(g, obj);
			json_gen_cstr(g, "Value");
			(void)yajl_gen_null(g);
			json_gen_cstr(g, "Link");
			(void)yajl_gen_map_open(g);
			json_gen_kv_str(g, "ExecID", "");
			json_gen_kv_str(g, "Name", "");
			json_gen_kv_str(g, "ObjID", "");
			(void)yajl_gen_map_close(g);
			json_gen_cstr(g, "FileID");
			(void)yajl_gen_null(g);
			json_gen_cstr(g, "Compulsory");
			if (inputs) {
				yajl_val cm = json_get(io, "Compulsory");

				if (cm == NULL)
					cm = json_get(io, "Required");
				(void)yajl_gen_bool(g, cm != NULL &&
				    YAJL_IS_TRUE(cm));
			} else
				(void)yajl_gen_bool(g, 0);
			json_gen_cstr(g, "Object");
			(void)yajl_gen_map_open(g);
			(void)yajl_gen_map_close(g);
			(void)yajl_gen_map_close(g);
		}
	}
	(void)yajl_gen_array_close(g);
	return 0;
}

/* Insert an IOData document for one side of a workflow's IOCard. */
static int
insert_iodata(struct ctx *c, yajl_val iocard, int inputs, char *id)
{
	yajl_gen		 g = json_gen_new();
	const unsigned char	*buf;
	size_t			 len;
	int			 st;

	if (g == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "DataSet");
	if (gen_dataset(g, json_get(iocard, inputs ? "Inputs" : "Outputs"),
	    inputs) == -1) {
		yajl_gen_free(g);
		return fail(c, MST_BADREQ, "workflow IOCard is malformed");
	}
	json_gen_kv_str(g, "Name", "");
	json_gen_kv_str(g, "Type", inputs ? "Inputs" : "Outputs");
	(void)yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return fail(c, MST_INTERNAL, "cannot build IOData");
	}
	st = c->b->insert(c->b, DC_IODATA, (const char *)buf, len, id);
	yajl_gen_free(g);
	return st == MST_OK ? st : fail(c, st, "IOData insert failed");
}

/*
 * execution.create: from workflow (wid, version), two IOData documents
 * and the execution, as POST /api/executions/create does.  Returns
 * {"inserted_id", "entity"}.
 */
static int
op_exec_create(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "wid", "version", "no_edm",
	    "requested_by", NULL };
	yajl_gen		 g;
	yajl_val		 wf = NULL;
	const unsigned char	*buf;
	const char		*wid, *who, *wfid;
	char			*wdoc, now[40], e[64], in[DB_ID_LEN + 1];
	char			 out[DB_ID_LEN + 1], id[DB_ID_LEN + 1];
	long long		 ver, have = 0;
	size_t			 len;
	int			 st, no_edm = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (wid = arg_str(c, v, "wid", 256, &st)) == NULL ||
	    (who = arg_str(c, v, "requested_by", 320, &st)) == NULL ||
	    (st = arg_int(c, v, "version", -1, &ver)) != MST_OK)
		return st;
	if (json_get(v, "no_edm") != NULL &&
	    json_get_bool(v, "no_edm", &no_edm) == -1)
		return fail(c, MST_BADREQ, "no_edm must be a boolean");
	if ((st = workflow_version(c, wid, ver, &wdoc)) != MST_OK)
		return st;
	wf = json_parse(wdoc, strlen(wdoc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(wdoc);
	if (wf == NULL || (wfid = json_get_str(wf, "_id")) == NULL ||
	    !YAJL_IS_OBJECT(json_get(wf, "IOCard"))) {
		yajl_tree_free(wf);
		return fail(c, MST_INTERNAL, "stored workflow unreadable");
	}
	if (json_get_int(wf, "Version", &have) == -1)
		have = 1;	/* mupifDB's default */
	if ((st = insert_iodata(c, json_get(wf, "IOCard"), 1, in)) != MST_OK ||
	    (st = insert_iodata(c, json_get(wf, "IOCard"), 0, out)) != MST_OK) {
		yajl_tree_free(wf);
		return st;
	}
	iso_now(now, sizeof(now));
	if ((g = json_gen_new()) == NULL) {
		yajl_tree_free(wf);
		return fail(c, MST_INTERNAL, "out of memory");
	}
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "parent");
	(void)yajl_gen_null(g);
	json_gen_kv_str(g, "workflow", wfid);
	json_gen_kv_str(g, "WorkflowID", wid);
	json_gen_kv_int(g, "WorkflowVersion", have > 0 ? have : 1);
	json_gen_kv_str(g, "Status", "Created");
	json_gen_kv_str(g, "CreatedDate", now);
	json_gen_cstr(g, "SubmittedDate");
	(void)yajl_gen_null(g);
	json_gen_cstr(g, "StartDate");
	(void)yajl_gen_null(g);
	json_gen_cstr(g, "EndDate");
	(void)yajl_gen_null(g);
	json_gen_cstr(g, "ExecutionLog");
	(void)yajl_gen_null(g);
	json_gen_kv_str(g, "RequestedBy", who);
	json_gen_kv_str(g, "UserIP", "");
	json_gen_cstr(g, "Task_ID");
	(void)yajl_gen_null(g);
	json_gen_kv_str(g, "label", "");
	json_gen_kv_int(g, "Attempts", 0);
	json_gen_cstr(g, "EDMMapping");
	if (!no_edm && json_get(wf, "EDMMapping") != NULL &&
	    YAJL_IS_ARRAY(json_get(wf, "EDMMapping")))
		json_gen_val(g, json_get(wf, "EDMMapping"));
	else {
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_array_close(g);
	}
	json_gen_cstr(g, "workflowURI");
	(void)yajl_gen_null(g);
	json_gen_cstr(g, "loggerURI");
	(void)yajl_gen_null(g);
	json_gen_kv_str(g, "Inputs", in);
	json_gen_kv_str(g, "Outputs", out);
	json_gen_cstr(g, "InputsData");
	(void)yajl_gen_null(g);
	json_gen_cstr(g, "OutputsData");
	(void)yajl_gen_null(g);
	json_gen_cstr(g, "canBeSubmitted");
	(void)yajl_gen_bool(g, 0);
	(void)yajl_gen_map_close(g);
	yajl_tree_free(wf);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return fail(c, MST_INTERNAL, "cannot build execution");
	}
	st = c->b->insert(c->b, DC_EXECUTIONS, (const char *)buf, len, id);
	yajl_gen_free(g);
	if (st != MST_OK)
		return fail(c, st, "execution insert failed");
	/* The IOData documents as stored, for the api's enriched answer
	 * (as execution.get_full gives them); written already, so a
	 * failure to read one back gives null, not an error. */
	(void)yajl_gen_map_open(c->g);
	json_gen_kv_str(c->g, "inserted_id", id);
	json_gen_cstr(c->g, "entity");
	if ((st = gen_execution(c, id)) == MST_OK) {
		json_gen_cstr(c->g, "inputs");
		(void)gen_doc_or_null(c, DC_IODATA, in, 1);
		json_gen_cstr(c->g, "outputs");
		(void)gen_doc_or_null(c, DC_IODATA, out, 1);
	}
	(void)yajl_gen_map_close(c->g);
	return st;
}

/* Does item it (of a DataSet) have Name == name and ObjID == objid (a
 * list ObjID matches when it contains objid)? */
static int
item_matches(yajl_val it, const char *name, const char *objid)
{
	const char	*nm = json_get_str(it, "Name");
	yajl_val	 oid;
	size_t		 k;

	if (nm == NULL || strcmp(nm, name) != 0)
		return 0;
	oid = json_get(it, "ObjID");
	if (oid != NULL && YAJL_IS_STRING(oid))
		return strcmp(oid->u.string, objid) == 0;
	if (oid != NULL && YAJL_IS_ARRAY(oid)) {
		for (k = 0; k < oid->u.array.len; k++)
			if (YAJL_IS_STRING(oid->u.array.values[k]) &&
			    strcmp(oid->u.array.values[k]->u.string, objid) == 0)
				return 1;
		return 0;
	}
	return objid[0] == '\0';
}

/*
 * The DataSet of io with field (Link or Object) of the matching items
 * replaced by val, as JSON (heap); *hits counts them.
 */
static char *
new_dataset(yajl_val io, const char *name, const char *objid,
    const char *field, yajl_val val, int *hits)
{
	yajl_gen	 g = json_gen_new();
	yajl_val	 ds = json_get(io, "DataSet");
	size_t		 i, j;

	*hits = 0;
	if (g == NULL)
		return NULL;
	(void)yajl_gen_array_open(g);
	for (i = 0; ds != NULL && YAJL_IS_ARRAY(ds) && i < ds->u.array.len;
	    i++) {
		yajl_val it = ds->u.array.values[i];

		if (!YAJL_IS_OBJECT(it) || !item_matches(it, name, objid)) {
			json_gen_val(g, it);
			continue;
		}
		(*hits)++;
		(void)yajl_gen_map_open(g);
		for (j = 0; j < it->u.object.len; j++) {
			if (strcmp(it->u.object.keys[j], field) == 0)
				continue;
			json_gen_cstr(g, it->u.object.keys[j]);
			json_gen_val(g, it->u.object.values[j]);
		}
		json_gen_cstr(g, field);
		json_gen_val(g, val);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_array_close(g);
	return gen_take(g);
}

/*
 * execution.set_io_item: set the Link or the Object of the items of an
 * execution's inputs or outputs with Name == name and ObjID == obj_id.
 * Inputs are writable only while the execution is Created, outputs only
 * while it is Running.  {"ok": false} when refused; no matching item is
 * still {"ok": true}, as in mupifDB.
 *
 * The whole DataSet is rewritten under a revision counter ("_rev",
 * absent at first) in one compare-and-set, so concurrent writers never
 * lose each other's items; paths through array indexes are avoided (not
 * every MongoDB-wire server takes them).
 */
static int
op_exec_set_io_item(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", "io", "name", "obj_id",
	    "link", "object", NULL };
	struct db_set	 sets[2];
	struct db_cond	 expect = { "_rev", DV_NULL, NULL, 0 };
	yajl_val	 ex = NULL, io = NULL, link, object;
	const char	*id, *which, *name, *objid, *status, *ioid;
	char		*doc, *ds = NULL, rev[24], e[64];
	long long	 oldrev;
	int		 st, inputs, matched = 0, hits, tries;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL ||
	    (which = arg_str(c, v, "io", 16, &st)) == NULL ||
	    (name = arg_str(c, v, "name", 256, &st)) == NULL ||
	    (objid = arg_str(c, v, "obj_id", 256, &st)) == NULL)
		return st;
	if (strcmp(which, "inputs") == 0)
		inputs = 1;
	else if (strcmp(which, "outputs") == 0)
		inputs = 0;
	else
		return fail(c, MST_BADREQ, "io must be inputs or outputs");
	link = json_get(v, "link");
	object = json_get(v, "object");
	if (link != NULL && !YAJL_IS_NULL(link)) {
		static const char *const lk[] = { "ExecID", "Name", "ObjID",
		    NULL };
		const char	*bad;
		size_t		 i;

		if (!inputs)
			link = NULL;	/* ignored for outputs */
		else if (json_only_keys(link, lk, &bad) == -1)
			return fail(c, MST_BADREQ, "link: unknown field");
		for (i = 0; link != NULL && i < link->u.object.len; i++)
			if (!type_ok(link->u.object.values[i], T_STR))
				return fail(c, MST_BADREQ, "link: fields must "
				    "be strings");
	} else
		link = NULL;
	if (object != NULL && !YAJL_IS_NULL(object) && !YAJL_IS_OBJECT(object))
		return fail(c, MST_BADREQ, "object must be an object");
	if (object != NULL && YAJL_IS_NULL(object))
		object = NULL;
	if ((st = c->b->get(c->b, DC_EXECUTIONS, id, &doc)) != MST_OK)
		return fail(c, st, "no execution with uid=%s", id);
	ex = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	status = json_get_str(ex, "Status");
	ioid = json_get_str(ex, inputs ? "Inputs" : "Outputs");
	if ((link == NULL && object == NULL) || status == NULL ||
	    strcmp(status, inputs ? "Created" : "Running") != 0) {
		yajl_tree_free(ex);
		return gen_bool(c, 0);
	}
	for (tries = 0; tries < CAS_TRIES; tries++) {
		if ((st = c->b->get(c->b, DC_IODATA, ioid, &doc)) != MST_OK) {
			st = fail(c, st, "no IOData with _id=%s",
			    ioid != NULL ? ioid : "null");
			break;
		}
		io = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
		    sizeof(e));
		free(doc);
		if (json_get_int(io, "_rev", &oldrev) == 0) {
			expect.type = DV_INT;
			expect.i = oldrev;
		} else {
			expect.type = DV_NULL;
			oldrev = 0;
		}
		ds = new_dataset(io, name, objid, link != NULL ? "Link" :
		    "Object", link != NULL ? link : object, &hits);
		yajl_tree_free(io);
		io = NULL;
		if (ds == NULL) {
			st = fail(c, MST_INTERNAL, "out of memory");
			break;
		}
		if (hits == 0) {
			st = MST_OK;
			matched = 1;
			break;
		}
		(void)snprintf(rev, sizeof(rev), "%lld", oldrev + 1);
		sets[0] = (struct db_set){ "DataSet", ds };
		sets[1] = (struct db_set){ "_rev", rev };
		st = c->b->update(c->b, DC_IODATA, ioid, &expect, 1, sets, 2,
		    &matched);
		free(ds);
		ds = NULL;
		if (st != MST_OK || matched)
			break;
	}
	free(ds);
	yajl_tree_free(ex);
	if (st == MST_OK && !matched)
		st = fail(c, MST_BUSY, "IOData %s changed too often", ioid);
	return st == MST_OK ? gen_bool(c, 1) : st;
}

/* ----- settings, statistics, logs ----- */

/*
 * execution.set_edm {"_id", "name", "id": str} or {"_id", "name",
 * "ids": [str]}: bind the execution's EDMMapping entry named name to one
 * EDM object (id) or a list (ids), as PATCH .../set_onto_base_object_id
 * and ..._ids do.  The whole EDMMapping array is rewritten; a concurrent
 * writer of the same execution's mappings (there is one runner per
 * execution) could lose an update, as in mupifDB.
 */
static int
op_exec_set_edm(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", "name", "id", "ids", NULL };
	yajl_val	 ex, maps, idv, idsv;
	struct db_set	 set;
	const char	*id, *name;
	char		*doc, *arr, e[64];
	size_t		 i, j;
	int		 st, hits = 0, matched = 0;
	yajl_gen	 g;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL ||
	    (name = arg_str(c, v, "name", 256, &st)) == NULL)
		return st;
	idv = json_get(v, "id");
	idsv = json_get(v, "ids");
	if ((idv == NULL) == (idsv == NULL))
		return fail(c, MST_BADREQ, "give exactly one of id and ids");
	if (idv != NULL && !type_ok(idv, T_STR | T_NULL))
		return fail(c, MST_BADREQ, "id must be a string");
	if (idsv != NULL) {
		if (!YAJL_IS_ARRAY(idsv) || idsv->u.array.len > 10000)
			return fail(c, MST_BADREQ, "ids must be a list of "
			    "strings");
		for (i = 0; i < idsv->u.array.len; i++)
			if (!YAJL_IS_STRING(idsv->u.array.values[i]) ||
			    strlen(idsv->u.array.values[i]->u.string) > 256)
				return fail(c, MST_BADREQ, "ids must be a list "
				    "of strings");
	}
	if ((st = c->b->get(c->b, DC_EXECUTIONS, id, &doc)) != MST_OK)
		return fail(c, st, "Execution with uid=%s or EDM mapping with "
		    "name=%.256s not found.", id, name);
	ex = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	maps = json_get(ex, "EDMMapping");
	if ((g = json_gen_new()) == NULL) {
		yajl_tree_free(ex);
		return fail(c, MST_INTERNAL, "out of memory");
	}
	(void)yajl_gen_array_open(g);
	for (i = 0; maps != NULL && YAJL_IS_ARRAY(maps) &&
	    i < maps->u.array.len; i++) {
		yajl_val	 m = maps->u.array.values[i];
		const char	*mn = json_get_str(m, "Name");
		const char	*field = idv != NULL ? "id" : "ids";

		if (!YAJL_IS_OBJECT(m) || mn == NULL || strcmp(mn, name) != 0 ||
		    hits > 0) {
			json_gen_val(g, m);
			continue;
		}
		hits++;
		(void)yajl_gen_map_open(g);
		for (j = 0; j < m->u.object.len; j++) {
			if (strcmp(m->u.object.keys[j], field) == 0)
				continue;
			json_gen_cstr(g, m->u.object.keys[j]);
			json_gen_val(g, m->u.object.values[j]);
		}
		json_gen_cstr(g, field);
		json_gen_val(g, idv != NULL ? idv : idsv);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_array_close(g);
	yajl_tree_free(ex);
	arr = gen_take(g);
	if (hits == 0) {
		free(arr);
		return fail(c, MST_NOTFOUND, "Execution with uid=%s or EDM "
		    "mapping with name=%.256s not found.", id, name);
	}
	if (arr == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	set = (struct db_set){ "EDMMapping", arr };
	st = c->b->update(c->b, DC_EXECUTIONS, id, NULL, 0, &set, 1, &matched);
	free(arr);
	if (st != MST_OK)
		return fail(c, st, "update failed");
	return gen_execution(c, id);
}

static int
op_settings_get(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { NULL };
	struct db_query	 q = { DC_SETTINGS, NULL, 0, NULL, 0, 0, 0 };
	yajl_val	 d;
	char		*doc, e[64];
	size_t		 i;
	int		 st;

	if ((st = args(c, v, a)) != MST_OK)
		return st;
	st = find_one(c, &q, &doc);
	if (st == MST_NOTFOUND) {
		(void)yajl_gen_map_open(c->g);
		(void)yajl_gen_map_close(c->g);
		return MST_OK;
	}
	if (st != MST_OK)
		return fail(c, st, "settings unreadable");
	d = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	if (d == NULL || !YAJL_IS_OBJECT(d)) {
		yajl_tree_free(d);
		return fail(c, MST_INTERNAL, "settings unreadable");
	}
	/* As stored, without "_id" (GET /api/settings). */
	(void)yajl_gen_map_open(c->g);
	for (i = 0; i < d->u.object.len; i++) {
		if (strcmp(d->u.object.keys[i], "_id") == 0)
			continue;
		json_gen_cstr(c->g, d->u.object.keys[i]);
		json_gen_val(c->g, d->u.object.values[i]);
	}
	(void)yajl_gen_map_close(c->g);
	yajl_tree_free(d);
	return MST_OK;
}

static int
op_settings_put(struct ctx *c, yajl_val v)
{
	struct db_query	 q = { DC_SETTINGS, NULL, 0, NULL, 0, 0, 0 };
	struct db_set	 sets[4];
	yajl_val	 d;
	char		*doc, e[64], id[DB_ID_LEN + 1], *vals[4] = { NULL };
	size_t		 i, n = 0;
	int		 st, matched = 0;

	if ((st = check_fields(c, v, settings_fields, "Settings")) != MST_OK)
		return st;
	st = find_one(c, &q, &doc);
	if (st == MST_NOTFOUND)
		return op_insert(c, v, DC_SETTINGS, settings_fields);
	if (st != MST_OK)
		return fail(c, st, "settings unreadable");
	d = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	if (d == NULL || !db_id_ok(json_get_str(d, "_id"))) {
		yajl_tree_free(d);
		return fail(c, MST_INTERNAL, "settings unreadable");
	}
	(void)strlcpy(id, json_get_str(d, "_id"), sizeof(id));
	yajl_tree_free(d);
	for (i = 0; i < v->u.object.len && n < 4; i++) {
		if ((vals[n] = val_json(v->u.object.values[i])) == NULL)
			st = MST_INTERNAL;
		sets[n].path = v->u.object.keys[i];
		sets[n].json = vals[n];
		n++;
	}
	if (st == MST_OK && n > 0)
		st = c->b->update(c->b, DC_SETTINGS, id, NULL, 0, sets, n,
		    &matched);
	for (i = 0; i < n; i++)
		free(vals[i]);
	return st == MST_OK ? gen_bool(c, 1) : fail(c, st, "update failed");
}

static const char *const stat_keys[] = {
	"runningTasks", "scheduledTasks", "load", "processedTasks", NULL,
};

static int
op_stat_get(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { NULL };
	struct db_query	 q = { DC_STAT, NULL, 0, NULL, 0, 0, 0 };
	yajl_val	 d, sch;
	char		*doc, e[64];
	size_t		 i;
	int		 st;

	if ((st = args(c, v, a)) != MST_OK)
		return st;
	if ((st = find_one(c, &q, &doc)) == MST_NOTFOUND) {
		(void)yajl_gen_map_open(c->g);
		(void)yajl_gen_map_close(c->g);
		return MST_OK;
	}
	if (st != MST_OK)
		return fail(c, st, "statistics unreadable");
	d = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	sch = json_get(d, "scheduler");
	/* Those of the four keys present, in mupifDB's order. */
	(void)yajl_gen_map_open(c->g);
	for (i = 0; stat_keys[i] != NULL; i++) {
		yajl_val x = json_get(sch, stat_keys[i]);

		if (x == NULL)
			continue;
		json_gen_cstr(c->g, stat_keys[i]);
		json_gen_val(c->g, x);
	}
	(void)yajl_gen_map_close(c->g);
	yajl_tree_free(d);
	return MST_OK;
}

/* stat.update {"key": "scheduler.<one of four>", "value": number}:
 * {"ok": true} when set, {"ok": false} for another key or no Stat. */
static int
op_stat_update(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "key", "value", NULL };
	struct db_query	 q = { DC_STAT, NULL, 0, NULL, 0, 0, 0 };
	struct db_set	 set;
	yajl_val	 val, d;
	const char	*key;
	char		*doc, *vj, e[64], id[DB_ID_LEN + 1];
	int		 st, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (key = arg_str(c, v, "key", 64, &st)) == NULL)
		return st;
	val = json_get(v, "value");
	if (val == NULL || !YAJL_IS_NUMBER(val) ||
	    (!YAJL_IS_INTEGER(val) && !YAJL_IS_DOUBLE(val)))
		return fail(c, MST_BADREQ, "value must be a number");
	if (strncmp(key, "scheduler.", 10) != 0 ||
	    !in_list(key + 10, stat_keys))
		return gen_bool(c, 0);
	if ((st = find_one(c, &q, &doc)) == MST_NOTFOUND)
		return gen_bool(c, 0);
	if (st != MST_OK)
		return fail(c, st, "statistics unreadable");
	d = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	if (d == NULL || !db_id_ok(json_get_str(d, "_id"))) {
		yajl_tree_free(d);
		return fail(c, MST_INTERNAL, "statistics unreadable");
	}
	(void)strlcpy(id, json_get_str(d, "_id"), sizeof(id));
	yajl_tree_free(d);
	if ((vj = val_json(val)) == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	set = (struct db_set){ key, vj };
	st = c->b->update(c->b, DC_STAT, id, NULL, 0, &set, 1, &matched);
	free(vj);
	return st == MST_OK ? gen_bool(c, matched) : fail(c, st,
	    "update failed");
}

static int
op_log_insert(struct ctx *c, yajl_val v)
{
	char	id[DB_ID_LEN + 1], *text;
	size_t	i;
	int	st;

	if (v == NULL || !YAJL_IS_OBJECT(v))
		return fail(c, MST_BADREQ, "Logs: not an object");
	for (i = 0; i < v->u.object.len; i++)
		if (strcmp(v->u.object.keys[i], "_id") == 0 ||
		    !db_path_ok(v->u.object.keys[i]) ||
		    strchr(v->u.object.keys[i], '.') != NULL)
			return fail(c, MST_BADREQ, "Logs: bad field name");
	if ((text = val_json(v)) == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	st = c->b->insert(c->b, DC_LOGS, text, strlen(text), id);
	free(text);
	return st == MST_OK ? gen_id(c, id) : fail(c, st, "insert failed");
}

/* ----- files ----- */

/* file.put {"filename", "content_type"} with the bytes as a sealed memfd
 * of at most file_max bytes; answers {"_id"}. */
static int
op_file_put(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "filename", "content_type", NULL };
	struct stat	 st_;
	const char	*name, *ctype = "application/octet-stream";
	char		 id[DB_ID_LEN + 1];
	int		 st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (name = arg_str(c, v, "filename", 255, &st)) == NULL)
		return st;
	if (json_get(v, "content_type") != NULL &&
	    (ctype = arg_str(c, v, "content_type", 255, &st)) == NULL)
		return st;
	if (c->fd_in == -1)
		return fail(c, MST_BADREQ, "file.put needs the file's bytes "
		    "as a descriptor");
	if (fstat(c->fd_in, &st_) == -1 || !S_ISREG(st_.st_mode) ||
	    st_.st_size < 0)
		return fail(c, MST_BADREQ, "file.put: not a regular file");
	if ((uint64_t)st_.st_size > file_max)
		return fail(c, MST_TOOBIG, "file larger than %llu bytes",
		    (unsigned long long)file_max);
	/* The sender's write left the shared offset at the end. */
	if (lseek(c->fd_in, 0, SEEK_SET) == -1)
		return fail(c, MST_BADREQ, "file.put: cannot rewind");
	if ((st = c->b->file_put(c->b, c->fd_in, (uint64_t)st_.st_size, name,
	    ctype, NULL, id)) != MST_OK)
		return fail(c, st, "file.put failed");
	return gen_id(c, id);
}

static int
op_file_get(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", NULL };
	const char	*id;
	char		*name = NULL, *ctype = NULL;
	uint64_t	 len = 0;
	int		 st, fd = -1;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL)
		return st;
	if ((st = c->b->file_get(c->b, id, &fd, &len, &name, &ctype)) !=
	    MST_OK)
		return fail(c, st, "no file with _id=%s", id);
	*c->fd_out = fd;
	(void)yajl_gen_map_open(c->g);
	json_gen_kv_str(c->g, "_id", id);
	json_gen_kv_str(c->g, "filename", name);
	json_gen_kv_str(c->g, "content_type", ctype);
	json_gen_kv_int(c->g, "length", (long long)len);
	(void)yajl_gen_map_close(c->g);
	free(name);
	free(ctype);
	return MST_OK;
}

/* ----- users and sessions (spec 2.11, 2.12) ----- */

static const struct field user_fields[] = {
	{ "mail", T_STR, 1 },
	{ "password", T_STR, 1 },	/* a hash, made by the auth service */
	{ "name", T_STR, 0 },
	{ "surname", T_STR, 0 },
	{ "rights_admin", T_BOOL, 0 },
	{ NULL, 0, 0 },
};

/* A user document; with_password 0 replaces the hash by "********". */
static void
gen_user(struct ctx *c, const char *doc, int with_password)
{
	yajl_val	u;
	char		e[64];
	size_t		i;

	u = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	(void)yajl_gen_map_open(c->g);
	for (i = 0; u != NULL && YAJL_IS_OBJECT(u) && i < u->u.object.len;
	    i++) {
		json_gen_cstr(c->g, u->u.object.keys[i]);
		if (!with_password &&
		    strcmp(u->u.object.keys[i], "password") == 0)
			json_gen_cstr(c->g, "********");
		else
			json_gen_val(c->g, u->u.object.values[i]);
	}
	(void)yajl_gen_map_close(c->g);
	yajl_tree_free(u);
}

static int
op_user_get(struct ctx *c, yajl_val v, int by_mail)
{
	static const char *const a_id[] = { "_id", NULL };
	static const char *const a_mail[] = { "mail", NULL };
	struct db_cond	 cond = { "mail", DV_STR, NULL, 0 };
	struct db_query	 q = { DC_USERS, &cond, 1, NULL, 0, 0, 0 };
	const char	*id;
	char		*doc;
	int		 st;

	if (by_mail) {
		if ((st = args(c, v, a_mail)) != MST_OK ||
		    (cond.s = arg_str(c, v, "mail", 320, &st)) == NULL)
			return st;
		if ((st = find_one(c, &q, &doc)) != MST_OK)
			return fail(c, st, "no such user");
	} else {
		if ((st = args(c, v, a_id)) != MST_OK ||
		    (id = arg_id(c, v, "_id", &st)) == NULL)
			return st;
		if ((st = c->b->get(c->b, DC_USERS, id, &doc)) != MST_OK)
			return fail(c, st, "User with id=%s not found.", id);
	}
	/* Only the lookup by mail (the auth service's, at login) returns
	 * the password hash. */
	gen_user(c, doc, by_mail);
	free(doc);
	return MST_OK;
}

/* Users as the API shows them: the password hash masked. */
static void
emit_user(struct ctx *c, const char *doc)
{
	gen_user(c, doc, 0);
}

static int
op_user_list(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "page", "pageSize", NULL };
	struct db_query	 q = { DC_USERS, NULL, 0, "surname", 0, 0, 0 };
	long long	 page, size;
	int		 st;

	if ((st = args(c, v, a)) != MST_OK ||
	    (st = list_args(c, v, &page, &size)) != MST_OK)
		return st;
	return page_of(c, &q, page, size, 0, 0, emit_user);
}

static int
op_user_insert(struct ctx *c, yajl_val v)
{
	char	id[DB_ID_LEN + 1];
	int	st;

	if ((st = check_fields(c, v, user_fields, "user")) != MST_OK)
		return st;
	if ((st = insert_checked(c, DC_USERS, v, user_fields, id)) != MST_OK)
		return st == MST_CONFLICT ? fail(c, st, "Username already "
		    "registered") : st;
	return gen_id(c, id);
}

static int
op_user_set_password(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "_id", "password", NULL };
	struct db_set	 set;
	const char	*id, *pw;
	char		*pj;
	int		 st, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (id = arg_id(c, v, "_id", &st)) == NULL ||
	    (pw = arg_str(c, v, "password", 512, &st)) == NULL)
		return st;
	if ((pj = str_json(pw)) == NULL)
		return fail(c, MST_INTERNAL, "out of memory");
	set = (struct db_set){ "password", pj };
	st = c->b->update(c->b, DC_USERS, id, NULL, 0, &set, 1, &matched);
	explicit_bzero(pj, strlen(pj));
	free(pj);
	if (st != MST_OK)
		return fail(c, st, "update failed");
	if (!matched)
		return fail(c, MST_NOTFOUND, "User with id=%s not found.", id);
	return gen_bool(c, 1);
}

static const struct field session_fields[] = {
	{ "user_id", T_STR, 1 },
	{ "session_token", T_STR, 1 },
	{ "expires_at", T_STR, 1 },
	{ "created_at", T_STR | T_NULL, 0 },
	{ NULL, 0, 0 },
};

static int
op_session_get(struct ctx *c, yajl_val v, int delete)
{
	static const char *const a[] = { "session_token", NULL };
	struct db_cond	 cond = { "session_token", DV_STR, NULL, 0 };
	struct db_query	 q = { DC_SESSIONS, &cond, 1, NULL, 0, 0, 0 };
	yajl_val	 d;
	char		*doc, e[64];
	int		 st, matched = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (cond.s = arg_str(c, v, "session_token", 128, &st)) == NULL)
		return st;
	if ((st = find_one(c, &q, &doc)) != MST_OK)
		return fail(c, st, "Session either does not exist, has "
		    "expired, or has been revoked.");
	if (!delete) {
		gen_raw(c->g, doc, strlen(doc));
		free(doc);
		return MST_OK;
	}
	d = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	if (d == NULL || !db_id_ok(json_get_str(d, "_id"))) {
		yajl_tree_free(d);
		return fail(c, MST_INTERNAL, "session unreadable");
	}
	st = c->b->remove(c->b, DC_SESSIONS, json_get_str(d, "_id"),
	    &matched);
	yajl_tree_free(d);
	return st == MST_OK ? gen_bool(c, matched) : fail(c, st,
	    "remove failed");
}

/*
 * A session's expires_at as seconds since the epoch.  The auth service
 * writes it as util_iso_time() does ("2026-12-02T13:22:05.000Z"), which is
 * also how the MongoDB backend shows the BSON date of a session mupifDB
 * made; a "+00:00" offset or no zone at all (mupifDB's naive UTC) is read
 * as UTC too.  Anything else is -1: such a session counts as expired.
 */
static int
session_expiry(const char *s, int64_t *out)
{
	struct tm	 tm;
	const char	*p;
	int		 f[6], i, j;
	time_t		 t;
	static const int w[6] = { 4, 2, 2, 2, 2, 2 };
	static const char sep[6] = { '-', '-', 'T', ':', ':', '\0' };

	if (s == NULL)
		return -1;
	for (i = 0, p = s; i < 6; i++) {
		for (f[i] = 0, j = 0; j < w[i]; j++, p++) {
			if (*p < '0' || *p > '9')
				return -1;
			f[i] = f[i] * 10 + (*p - '0');
		}
		if (sep[i] != '\0' && *p++ != sep[i])
			return -1;
	}
	if (*p == '.') {
		for (p++, j = 0; *p >= '0' && *p <= '9' && j < 9; p++, j++)
			;
		if (j == 0)
			return -1;
	}
	if (!(*p == '\0' || strcmp(p, "Z") == 0 || strcmp(p, "+00:00") == 0))
		return -1;
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

/* Remove the session document d (its _id); errors are only logged: the
 * caller answers "not found" either way. */
static void
session_drop(struct ctx *c, yajl_val d)
{
	const char	*id = json_get_str(d, "_id");
	int		 matched = 0;

	if (db_id_ok(id) &&
	    c->b->remove(c->b, DC_SESSIONS, id, &matched) != MST_OK)
		log_warnx("session.user: could not delete a stale session");
}

/*
 * session.user {"session_token"}: who holds a session, for the api's
 * authentication (spec 6.2 c, d): {"user_id", "mail", "name", "surname",
 * "rights_admin", "expires_at"}; never the password hash.  A session
 * whose expires_at is not in the future (or unreadable) is "not found";
 * one whose user is gone is deleted, as mupifDB does.
 */
static int
op_session_user(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { "session_token", NULL };
	struct db_cond	 cond = { "session_token", DV_STR, NULL, 0 };
	struct db_query	 q = { DC_SESSIONS, &cond, 1, NULL, 0, 0, 0 };
	yajl_val	 s = NULL, u = NULL, x;
	const char	*uid;
	char		*doc, e[64];
	int64_t		 exp;
	int		 st, admin = 0;

	if ((st = args(c, v, a)) != MST_OK ||
	    (cond.s = arg_str(c, v, "session_token", 128, &st)) == NULL)
		return st;
	if ((st = find_one(c, &q, &doc)) != MST_OK)
		return fail(c, st, "Session either does not exist, has "
		    "expired, or has been revoked.");
	s = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	if (s == NULL)
		return fail(c, MST_INTERNAL, "session unreadable");
	if (session_expiry(json_get_str(s, "expires_at"), &exp) == -1 ||
	    exp <= util_wall_ms() / 1000) {
		yajl_tree_free(s);
		return fail(c, MST_NOTFOUND, "Session either does not exist, "
		    "has expired, or has been revoked.");
	}
	uid = json_get_str(s, "user_id");
	if (!db_id_ok(uid) ||
	    (st = c->b->get(c->b, DC_USERS, uid, &doc)) == MST_NOTFOUND) {
		session_drop(c, s);
		yajl_tree_free(s);
		return fail(c, MST_NOTFOUND, "User linked to session not found");
	}
	if (st != MST_OK) {
		yajl_tree_free(s);
		return fail(c, st, "user lookup failed");
	}
	u = json_parse(doc, strlen(doc), DB_DOC_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(doc);
	if (u == NULL) {
		yajl_tree_free(s);
		return fail(c, MST_INTERNAL, "user unreadable");
	}
	(void)yajl_gen_map_open(c->g);
	json_gen_kv_str(c->g, "user_id", uid);
	json_gen_kv_str(c->g, "mail", json_get_str(u, "mail") != NULL ?
	    json_get_str(u, "mail") : "");
	json_gen_kv_str(c->g, "name", json_get_str(u, "name") != NULL ?
	    json_get_str(u, "name") : "");
	json_gen_kv_str(c->g, "surname", json_get_str(u, "surname") != NULL ?
	    json_get_str(u, "surname") : "");
	if (json_get_bool(u, "rights_admin", &admin) == -1)
		admin = 0;
	json_gen_cstr(c->g, "rights_admin");
	(void)yajl_gen_bool(c->g, admin);
	json_gen_cstr(c->g, "expires_at");
	if ((x = json_get(s, "expires_at")) != NULL && YAJL_IS_STRING(x))
		json_gen_cstr(c->g, x->u.string);
	else
		(void)yajl_gen_null(c->g);
	(void)yajl_gen_map_close(c->g);
	yajl_tree_free(s);
	yajl_tree_free(u);
	return MST_OK;
}

/* ----- counts and dispatch ----- */

static int
op_exec_count(struct ctx *c, yajl_val v)
{
	static const char *const a[] = { NULL };
	struct db_cond	 cond = { "Status", DV_STR, NULL, 0 };
	struct db_query	 q = { DC_EXECUTIONS, &cond, 1, NULL, 0, 0, 0 };
	uint64_t	 n, total = 0;
	size_t		 i;
	int		 st;

	if ((st = args(c, v, a)) != MST_OK)
		return st;
	(void)yajl_gen_map_open(c->g);
	for (i = 0; statuses[i] != NULL; i++) {
		cond.s = statuses[i];
		if ((st = c->b->count(c->b, &q, &n)) != MST_OK)
			return fail(c, st, "count failed");
		json_gen_kv_int(c->g, statuses[i], (long long)n);
	}
	q.nconds = 0;
	if ((st = c->b->count(c->b, &q, &total)) != MST_OK)
		return fail(c, st, "count failed");
	json_gen_kv_int(c->g, "total", (long long)total);
	(void)yajl_gen_map_close(c->g);
	return MST_OK;
}

int
db_dispatch(struct db_backend *b, unsigned type, const void *req,
    size_t reqlen, int fd_in, int *fd_out, yajl_gen g, char *err,
    size_t errlen)
{
	struct ctx	 c = { b, g, err, errlen, fd_in, fd_out };
	yajl_val	 v;
	char		 perr[128];
	int		 st;

	*fd_out = -1;
	err[0] = '\0';
	if (reqlen == 0)
		v = json_parse("{}", 2, 2, 1, perr, sizeof(perr));
	else
		v = json_parse(req, reqlen, REQ_MAX, JSON_MAX_DEPTH, perr,
		    sizeof(perr));
	if (v == NULL)
		return fail(&c, MST_BADREQ, "payload: %s", perr);
	switch (type) {
	case MSG_DB_PING:
		st = args(&c, v, (const char *const[]){ NULL });
		if (st == MST_OK)
			st = gen_bool(&c, 1);
		break;
	case MSG_EXEC_COUNT:		st = op_exec_count(&c, v); break;
	case MSG_SETTINGS_GET:		st = op_settings_get(&c, v); break;
	case MSG_SETTINGS_PUT:		st = op_settings_put(&c, v); break;
	case MSG_USECASE_GET:		st = op_usecase_get(&c, v); break;
	case MSG_USECASE_LIST:		st = op_usecase_list(&c, v); break;
	case MSG_USECASE_INSERT:
		st = op_insert(&c, v, DC_USECASES, usecase_fields);
		break;
	case MSG_WORKFLOW_GET:
		st = op_get_by_id(&c, v, DC_WORKFLOWS);
		break;
	case MSG_WORKFLOW_GET_VERSION:	st = op_workflow_get_version(&c, v); break;
	case MSG_WORKFLOW_LIST:		st = op_workflow_list(&c, v); break;
	case MSG_WORKFLOW_INSERT:
		st = op_insert(&c, v, DC_WORKFLOWS, workflow_fields);
		break;
	case MSG_WORKFLOW_UPDATE:	st = op_workflow_update(&c, v); break;
	case MSG_WORKFLOW_HISTORY_INSERT:
		st = op_insert(&c, v, DC_HISTORY, workflow_fields);
		break;
	case MSG_EXEC_GET:
		st = op_get_by_id(&c, v, DC_EXECUTIONS);
		break;
	case MSG_EXEC_GET_FULL:		st = op_exec_get_full(&c, v); break;
	case MSG_EXEC_LIST:		st = op_exec_list(&c, v); break;
	case MSG_EXEC_INSERT:
		st = op_insert(&c, v, DC_EXECUTIONS, execution_fields);
		break;
	case MSG_EXEC_CREATE:		st = op_exec_create(&c, v); break;
	case MSG_EXEC_SET_FIELD:	st = op_exec_set_field(&c, v); break;
	case MSG_EXEC_SCHEDULE:		st = op_exec_schedule(&c, v); break;
	case MSG_EXEC_CLAIM:		st = op_exec_claim(&c, v); break;
	case MSG_EXEC_FINISH:		st = op_exec_finish(&c, v); break;
	case MSG_EXEC_START:		st = op_exec_start(&c, v); break;
	case MSG_EXEC_REQUEUE:		st = op_exec_requeue(&c, v); break;
	case MSG_EXEC_RECOVER:		st = op_exec_recover(&c, v); break;
	case MSG_EXEC_CANCEL:		st = op_exec_cancel(&c, v); break;
	case MSG_EXEC_SET_IO_ITEM:	st = op_exec_set_io_item(&c, v); break;
	case MSG_EXEC_SET_EDM:		st = op_exec_set_edm(&c, v); break;
	case MSG_IODATA_GET:
		st = op_get_by_id(&c, v, DC_IODATA);
		break;
	case MSG_IODATA_INSERT:
		st = op_insert(&c, v, DC_IODATA, iodata_fields);
		break;
	case MSG_STAT_GET:		st = op_stat_get(&c, v); break;
	case MSG_STAT_UPDATE:		st = op_stat_update(&c, v); break;
	case MSG_LOG_INSERT:		st = op_log_insert(&c, v); break;
	case MSG_FILE_PUT:		st = op_file_put(&c, v); break;
	case MSG_FILE_GET:		st = op_file_get(&c, v); break;
	case MSG_USER_GET:		st = op_user_get(&c, v, 0); break;
	case MSG_USER_GET_BY_MAIL:	st = op_user_get(&c, v, 1); break;
	case MSG_USER_LIST:		st = op_user_list(&c, v); break;
	case MSG_USER_INSERT:		st = op_user_insert(&c, v); break;
	case MSG_USER_SET_PASSWORD:	st = op_user_set_password(&c, v); break;
	case MSG_SESSION_INSERT:
		st = op_insert(&c, v, DC_SESSIONS, session_fields);
		break;
	case MSG_SESSION_GET:		st = op_session_get(&c, v, 0); break;
	case MSG_SESSION_DELETE:	st = op_session_get(&c, v, 1); break;
	case MSG_SESSION_USER:		st = op_session_user(&c, v); break;
	default:
		st = fail(&c, MST_BADREQ, "operation %s is not served here",
		    msg_type_name(type));
		break;
	}
	yajl_tree_free(v);
	if (st != MST_OK && err[0] == '\0')
		(void)snprintf(err, errlen, "%s", msg_status_name((unsigned)st));
	return st;
}

int
db_seed(struct db_backend *b, char *err, size_t errlen)
{
	static const char *const seeds[][2] = {
		{ "Settings", "{\"projectName\":\"TEST\",\"projectLogoUrl\":"
		    "\"https://raw.githubusercontent.com/mupif/mupifDB/"
		    "bd297a4a719336cd9672cfe73f31f7cbe2b4e029/webapi/static/"
		    "images/mupif-logo.png\"}" },
		{ "UseCases", "{\"parent\":null,\"ucid\":\"Demo\","
		    "\"Description\":\"Demo usecase\"}" },
		{ "Stat", "{\"scheduler\":{\"load\":0.0,\"processedTasks\":0,"
		    "\"runningTasks\":0,\"scheduledTasks\":0}}" },
	};
	static const enum db_coll colls[] = { DC_SETTINGS, DC_USECASES,
	    DC_STAT };
	struct db_query	q = { DC_SETTINGS, NULL, 0, NULL, 0, 0, 0 };
	uint64_t	n = 0;
	char		id[DB_ID_LEN + 1];
	size_t		i;
	int		st, seeded = 0;

	/* Each of the three is seeded when its collection is empty. */
	for (i = 0; i < sizeof(colls) / sizeof(colls[0]); i++) {
		q.coll = colls[i];
		if ((st = b->count(b, &q, &n)) != MST_OK) {
			(void)snprintf(err, errlen, "cannot count %s",
			    seeds[i][0]);
			return -1;
		}
		if (n > 0)
			continue;
		seeded = 1;
		if ((st = b->insert(b, colls[i], seeds[i][1],
		    strlen(seeds[i][1]), id)) != MST_OK) {
			(void)snprintf(err, errlen, "cannot seed %s",
			    seeds[i][0]);
			return -1;
		}
	}
	return seeded;
}
