/*
 * test_db_ops.c - conformance suite of the db service's typed operations
 * (services/db/db_ops.c), run against the backend chosen by the
 * environment: MUPIF_TEST_DB=sqlite (default: a fresh file in a temporary
 * directory) or MUPIF_TEST_DB=mongo with MUPIF_TEST_MONGO_URI (a fresh
 * database per run).  The same cases must pass on both: seeding, use
 * cases, workflow versions and history, execution creation from a
 * workflow, listing with filters and pagination, status changes with
 * their date side effects, the FIFO claim and a claim race between two
 * connections, input/output items and their status guards, statistics,
 * files through memfds, the rejection of bad payloads, and the
 * scheduling loop (claim by owner, start, requeue, finish by owner,
 * recover, cancel, re-schedule only from Created, Finished or Failed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "json.h"
#include "msg_types.h"

static char	 tmpdir[64];
static char	 dbpath[128];
static char	 mongo_db[64];

static struct db_backend *
open_backend(void)
{
	const char		*which = getenv("MUPIF_TEST_DB");
	struct db_backend	*b;
	char			 err[256];

	if (which != NULL && strcmp(which, "mongo") == 0) {
		const char *uri = getenv("MUPIF_TEST_MONGO_URI");

		assert_non_null(uri);
		b = db_mongo_open(uri, mongo_db, err, sizeof(err));
	} else
		b = db_sqlite_open(dbpath, err, sizeof(err));
	if (b == NULL)
		fail_msg("open: %s", err);
	return b;
}

static int
setup(void **state)
{
	struct db_backend	*b;
	char			 err[256];

	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/mupif-dbops-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	(void)snprintf(dbpath, sizeof(dbpath), "%s/t.sqlite", tmpdir);
	(void)snprintf(mongo_db, sizeof(mongo_db), "t_%d_%ld_%d", (int)getpid(),
	    (long)time(NULL), rand() % 100000);
	b = open_backend();
	if (db_seed(b, err, sizeof(err)) != 1)
		return -1;
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	struct db_backend	*b = *state;
	char			 cmd[128];

	b->close(b);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

/* Call an operation; *out is the parsed answer (caller frees). */
static int
call_fd(struct db_backend *b, unsigned type, const char *req, int fd_in,
    int *fd_out, yajl_val *out)
{
	yajl_gen		 g = json_gen_new();
	const unsigned char	*buf;
	size_t			 len;
	char			 err[256], perr[128];
	int			 st, fd = -1;

	assert_non_null(g);
	st = db_dispatch(b, type, req, strlen(req), fd_in, &fd, g, err,
	    sizeof(err));
	if (out != NULL)
		*out = NULL;
	if (st == MST_OK) {
		assert_int_equal(yajl_gen_get_buf(g, &buf, &len),
		    yajl_gen_status_ok);
		if (out != NULL) {
			*out = json_parse(buf, len, 64 * 1024 * 1024, 64, perr,
			    sizeof(perr));
			if (*out == NULL)
				fail_msg("answer to %s is not JSON: %s: %.*s",
				    msg_type_name(type), perr, (int)len, buf);
		}
	} else {
		assert_true(err[0] != '\0');
		if (getenv("MUPIF_TEST_VERBOSE") != NULL)
			(void)fprintf(stderr, "%s: %s: %s\n",
			    msg_type_name(type), msg_status_name((unsigned)st),
			    err);
	}
	if (fd_out != NULL)
		*fd_out = fd;
	else if (fd != -1)
		(void)close(fd);
	yajl_gen_free(g);
	return st;
}

static int
call(struct db_backend *b, unsigned type, const char *req, yajl_val *out)
{
	return call_fd(b, type, req, -1, NULL, out);
}

static const char *
str(yajl_val v, const char *k)
{
	const char *s = json_get_str(v, k);

	if (s == NULL)
		fail_msg("no string \"%s\"", k);
	return s;
}

static long long
num(yajl_val v, const char *k)
{
	long long n;

	if (json_get_int(v, k, &n) == -1)
		fail_msg("no integer \"%s\"", k);
	return n;
}

static void
test_seed(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 err[64];

	assert_int_equal(call(b, MSG_SETTINGS_GET, "{}", &v), MST_OK);
	assert_string_equal(str(v, "projectName"), "TEST");
	assert_null(json_get(v, "_id"));
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_USECASE_GET, "{\"ucid\":\"Demo\"}", &v),
	    MST_OK);
	assert_string_equal(str(v, "Description"), "Demo usecase");
	assert_true(db_id_ok(str(v, "_id")));
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_STAT_GET, "{}", &v), MST_OK);
	assert_int_equal(v->u.object.len, 4);
	assert_string_equal(v->u.object.keys[0], "runningTasks");
	yajl_tree_free(v);
	/* Seeding again changes nothing. */
	assert_int_equal(db_seed(b, err, sizeof(err)), 0);
	assert_int_equal(call(b, MSG_SETTINGS_PUT,
	    "{\"webUrl\":\"https://x.test/\"}", NULL), MST_OK);
	assert_int_equal(call(b, MSG_SETTINGS_GET, "{}", &v), MST_OK);
	assert_string_equal(str(v, "webUrl"), "https://x.test/");
	assert_string_equal(str(v, "projectName"), "TEST");
	yajl_tree_free(v);
}

static void
test_usecases(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v, coll, pg;
	char			 req[128];
	int			 i;

	for (i = 0; i < 25; i++) {
		(void)snprintf(req, sizeof(req), "{\"ucid\":\"uc%02d\","
		    "\"Description\":\"\\u00e9t\\u00e9 %d\"}", i, i);
		assert_int_equal(call(b, MSG_USECASE_INSERT, req, &v), MST_OK);
		assert_true(db_id_ok(str(v, "_id")));
		yajl_tree_free(v);
	}
	assert_int_equal(call(b, MSG_USECASE_GET, "{\"ucid\":\"uc07\"}", &v),
	    MST_OK);
	assert_string_equal(str(v, "Description"), "\xc3\xa9t\xc3\xa9 7");
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_USECASE_GET, "{\"ucid\":\"nope\"}", &v),
	    MST_NOTFOUND);
	assert_int_equal(call(b, MSG_USECASE_LIST,
	    "{\"page\":2,\"pageSize\":10}", &v), MST_OK);
	coll = json_get(v, "collection");
	pg = json_get(v, "pagination");
	assert_int_equal(coll->u.array.len, 10);
	assert_int_equal(num(pg, "page"), 2);
	assert_int_equal(num(pg, "pageSize"), 10);
	assert_int_equal(num(pg, "totalCount"), 26);	/* + Demo */
	/* Sorted by _id, i.e. by creation: uc09 is the 11th. */
	assert_string_equal(str(coll->u.array.values[0], "ucid"), "uc09");
	yajl_tree_free(v);
	/* Past the end; defaults for nonsense page sizes. */
	assert_int_equal(call(b, MSG_USECASE_LIST,
	    "{\"page\":9,\"pageSize\":10}", &v), MST_OK);
	assert_int_equal(json_get(v, "collection")->u.array.len, 0);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_USECASE_LIST,
	    "{\"page\":0,\"pageSize\":-5}", &v), MST_OK);
	pg = json_get(v, "pagination");
	assert_int_equal(num(pg, "page"), 1);
	assert_int_equal(num(pg, "pageSize"), 20);
	yajl_tree_free(v);
}

static const char wf1[] =
    "{\"wid\":\"wf-A\",\"Description\":\"first\",\"UseCase\":\"Demo\","
    "\"modulename\":\"m\",\"classname\":\"C\",\"GridFSID\":null,"
    "\"Version\":1,\"Models\":[],\"EDMMapping\":[{\"Name\":\"e\"}],"
    "\"IOCard\":{\"Inputs\":[{\"Name\":\"T\",\"Type\":\"mupif.Property\","
    "\"Units\":\"K\",\"ObjID\":[\"a\",\"b\"],\"Compulsory\":true},"
    "{\"Name\":\"S\",\"Type\":\"mupif.String\",\"Units\":\"\","
    "\"ObjID\":\"\",\"Required\":false},"
    "{\"Name\":\"N\",\"Type\":\"mupif.Property\",\"Units\":\"\","
    "\"ObjID\":[],\"Compulsory\":true}],"
    "\"Outputs\":[{\"Name\":\"R\",\"Type\":\"mupif.Property\","
    "\"Units\":\"m\",\"ObjID\":\"x\"}]}}";

static void
make_workflow(struct db_backend *b)
{
	yajl_val v;

	assert_int_equal(call(b, MSG_WORKFLOW_INSERT, wf1, &v), MST_OK);
	yajl_tree_free(v);
}

static void
test_workflows(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v, w;
	char			*hist, e[64], *p;

	make_workflow(b);
	assert_int_equal(call(b, MSG_WORKFLOW_GET_VERSION,
	    "{\"wid\":\"wf-A\",\"version\":-1}", &w), MST_OK);
	assert_int_equal(num(w, "Version"), 1);
	/* A new version: the old one goes to history, the current one is
	 * updated in place (mupifDB's upload). */
	hist = strdup(wf1);
	assert_non_null(hist);
	assert_int_equal(call(b, MSG_WORKFLOW_HISTORY_INSERT, hist, NULL),
	    MST_OK);
	free(hist);
	p = strdup(wf1);
	assert_non_null(p);
	memcpy(strstr(p, "\"Version\":1"), "\"Version\":2", 11);
	memcpy(strstr(p, "\"first\""), "\"secnd\"", 7);
	assert_int_equal(call(b, MSG_WORKFLOW_UPDATE, p, &v), MST_OK);
	free(p);
	assert_string_equal(str(v, "_id"), str(w, "_id"));
	assert_int_equal(num(v, "Version"), 2);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_WORKFLOW_GET_VERSION,
	    "{\"wid\":\"wf-A\",\"version\":2}", &v), MST_OK);
	assert_string_equal(str(v, "Description"), "secnd");
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_WORKFLOW_GET_VERSION,
	    "{\"wid\":\"wf-A\",\"version\":1}", &v), MST_OK);
	assert_string_equal(str(v, "Description"), "first");
	assert_string_not_equal(str(v, "_id"), str(w, "_id"));
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_WORKFLOW_GET_VERSION,
	    "{\"wid\":\"wf-A\",\"version\":3}", &v), MST_NOTFOUND);
	(void)snprintf(e, sizeof(e), "{\"_id\":\"%s\"}", str(w, "_id"));
	assert_int_equal(call(b, MSG_WORKFLOW_GET, e, &v), MST_OK);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_WORKFLOW_LIST, "{\"usecase\":\"Demo\"}",
	    &v), MST_OK);
	assert_int_equal(json_get(v, "collection")->u.array.len, 1);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_WORKFLOW_UPDATE,
	    "{\"wid\":\"nope\",\"Description\":\"\",\"UseCase\":\"\","
	    "\"IOCard\":{},\"modulename\":\"\",\"classname\":\"\"}", &v),
	    MST_NOTFOUND);
	yajl_tree_free(w);
}

/* Create an execution of wf-A; its id is copied into id. */
static void
create(struct db_backend *b, char *id)
{
	yajl_val v;

	assert_int_equal(call(b, MSG_EXEC_CREATE, "{\"wid\":\"wf-A\","
	    "\"version\":-1,\"requested_by\":\"a@b.test\"}", &v), MST_OK);
	(void)strlcpy(id, str(v, "inserted_id"), DB_ID_LEN + 1);
	yajl_tree_free(v);
}

static yajl_val
get_exec(struct db_backend *b, const char *id)
{
	yajl_val	v;
	char		req[64];

	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", id);
	assert_int_equal(call(b, MSG_EXEC_GET, req, &v), MST_OK);
	return v;
}

static void
set_field(struct db_backend *b, const char *id, const char *key,
    const char *val, int want)
{
	char req[256];

	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"key\":\"%s\","
	    "\"value\":\"%s\"}", id, key, val);
	assert_int_equal(call(b, MSG_EXEC_SET_FIELD, req, NULL), want);
}

static void
test_executions(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v, e, io, ds;
	char			 id[DB_ID_LEN + 1], req[128];

	make_workflow(b);
	assert_int_equal(call(b, MSG_EXEC_CREATE, "{\"wid\":\"wf-A\","
	    "\"version\":-1,\"requested_by\":\"a@b.test\"}", &v), MST_OK);
	e = json_get(v, "entity");
	(void)strlcpy(id, str(v, "inserted_id"), sizeof(id));
	assert_string_equal(str(e, "_id"), id);
	assert_string_equal(str(e, "Status"), "Created");
	assert_string_equal(str(e, "WorkflowID"), "wf-A");
	assert_int_equal(num(e, "WorkflowVersion"), 1);
	assert_string_equal(str(e, "RequestedBy"), "a@b.test");
	assert_int_equal(num(e, "Attempts"), 0);
	assert_true(YAJL_IS_NULL(json_get(e, "SubmittedDate")));
	assert_int_equal(json_get(e, "EDMMapping")->u.array.len, 1);
	/* Inputs: T has two ObjIDs -> two items, each its own; S one;
	 * N none. */
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", str(e, "Inputs"));
	assert_int_equal(call(b, MSG_IODATA_GET, req, &io), MST_OK);
	assert_string_equal(str(io, "Type"), "Inputs");
	ds = json_get(io, "DataSet");
	assert_int_equal(ds->u.array.len, 3);
	assert_string_equal(str(ds->u.array.values[0], "ObjID"), "a");
	assert_string_equal(str(ds->u.array.values[1], "ObjID"), "b");
	assert_true(YAJL_IS_TRUE(json_get(ds->u.array.values[0],
	    "Compulsory")));
	assert_true(YAJL_IS_FALSE(json_get(ds->u.array.values[2],
	    "Compulsory")));
	assert_string_equal(str(json_get(ds->u.array.values[0], "Link"),
	    "ExecID"), "");
	yajl_tree_free(io);
	yajl_tree_free(v);

	/* set_field: only the keys the clients use. */
	set_field(b, id, "label", "hello", MST_OK);
	set_field(b, id, "Attempts", "3", MST_OK);
	set_field(b, id, "Inputs", "x", MST_BADREQ);
	set_field(b, id, "_id", "x", MST_BADREQ);
	set_field(b, id, "Status", "Bogus", MST_BADREQ);
	set_field(b, "000000000000000000000000", "label", "x", MST_NOTFOUND);
	v = get_exec(b, id);
	assert_string_equal(str(v, "label"), "hello");
	assert_int_equal(num(v, "Attempts"), 3);
	yajl_tree_free(v);

	/* Status side effects (spec 5.3). */
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", id);
	assert_int_equal(call(b, MSG_EXEC_SCHEDULE, req, &v), MST_OK);
	assert_string_equal(str(v, "Status"), "Pending");
	assert_true(YAJL_IS_STRING(json_get(v, "SubmittedDate")));
	yajl_tree_free(v);
	set_field(b, id, "Status", "Running", MST_OK);
	v = get_exec(b, id);
	assert_true(YAJL_IS_STRING(json_get(v, "StartDate")));
	assert_true(YAJL_IS_NULL(json_get(v, "EndDate")));
	yajl_tree_free(v);
	set_field(b, id, "Status", "Finished", MST_OK);
	v = get_exec(b, id);
	assert_true(YAJL_IS_STRING(json_get(v, "EndDate")));
	yajl_tree_free(v);
	set_field(b, id, "Status", "Created", MST_OK);
	v = get_exec(b, id);
	assert_true(YAJL_IS_NULL(json_get(v, "SubmittedDate")));
	assert_true(YAJL_IS_NULL(json_get(v, "EndDate")));
	yajl_tree_free(v);

	assert_int_equal(call(b, MSG_EXEC_CREATE, "{\"wid\":\"nope\","
	    "\"version\":-1,\"requested_by\":\"a\"}", NULL), MST_NOTFOUND);
}

static void
test_list_and_count(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v, coll;
	char			 id[DB_ID_LEN + 1];
	int			 i;

	make_workflow(b);
	for (i = 0; i < 7; i++) {
		create(b, id);
		if (i % 2 == 0)
			set_field(b, id, "Status", "Pending", MST_OK);
		if (i == 6)
			set_field(b, id, "label", "L", MST_OK);
	}
	assert_int_equal(call(b, MSG_EXEC_LIST, "{\"status\":\"Pending\"}",
	    &v), MST_OK);
	assert_int_equal(json_get(v, "collection")->u.array.len, 4);
	assert_int_equal(num(json_get(v, "pagination"), "totalCount"), 4);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_EXEC_LIST, "{\"label\":\"L\","
	    "\"workflow_id\":\"wf-A\",\"workflow_version\":1}", &v), MST_OK);
	coll = json_get(v, "collection");
	assert_int_equal(coll->u.array.len, 1);
	assert_string_equal(str(coll->u.array.values[0], "_id"), id);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_EXEC_LIST, "{\"workflow_version\":2}",
	    &v), MST_OK);
	assert_int_equal(json_get(v, "collection")->u.array.len, 0);
	yajl_tree_free(v);
	/* Newest first; num_limit overrides pageSize. */
	assert_int_equal(call(b, MSG_EXEC_LIST, "{\"num_limit\":2,"
	    "\"pageSize\":5}", &v), MST_OK);
	coll = json_get(v, "collection");
	assert_int_equal(coll->u.array.len, 2);
	assert_string_equal(str(coll->u.array.values[0], "_id"), id);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_EXEC_LIST, "{\"num_limit\":0}", &v),
	    MST_OK);
	assert_int_equal(json_get(v, "collection")->u.array.len, 7);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_EXEC_COUNT, "{}", &v), MST_OK);
	assert_int_equal(num(v, "Pending"), 4);
	assert_int_equal(num(v, "Created"), 3);
	assert_int_equal(num(v, "total"), 7);
	yajl_tree_free(v);
}

static void
test_claim_fifo(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 ids[3][DB_ID_LEN + 1];
	int			 i;

	make_workflow(b);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{}", NULL), MST_NOTFOUND);
	for (i = 0; i < 3; i++)
		create(b, ids[i]);
	/* Scheduled in the order 2, 0, 1: claims follow that order. */
	set_field(b, ids[2], "Status", "Pending", MST_OK);
	usleep(2000);
	set_field(b, ids[0], "Status", "Pending", MST_OK);
	usleep(2000);
	set_field(b, ids[1], "Status", "Pending", MST_OK);
	for (i = 0; i < 3; i++) {
		static const int order[] = { 2, 0, 1 };

		assert_int_equal(call(b, MSG_EXEC_CLAIM, "{}", &v), MST_OK);
		assert_string_equal(str(v, "_id"), ids[order[i]]);
		assert_string_equal(str(v, "Status"), "Scheduled");
		assert_true(YAJL_IS_STRING(json_get(v, "ScheduledDate")));
		yajl_tree_free(v);
	}
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{}", NULL), MST_NOTFOUND);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{\"x\":1}", NULL),
	    MST_BADREQ);

	/* finish: from Scheduled or Running only, with its log. */
	{
		char	req[160];
		int	ok;

		(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"status\":"
		    "\"Failed\",\"log\":\"0123456789abcdef01234567\"}",
		    ids[2]);
		assert_int_equal(call(b, MSG_EXEC_FINISH, req, &v), MST_OK);
		assert_int_equal(json_get_bool(v, "ok", &ok), 0);
		assert_true(ok);
		yajl_tree_free(v);
		v = get_exec(b, ids[2]);
		assert_string_equal(str(v, "Status"), "Failed");
		assert_string_equal(str(v, "ExecutionLog"),
		    "0123456789abcdef01234567");
		assert_true(YAJL_IS_STRING(json_get(v, "EndDate")));
		yajl_tree_free(v);
		/* Again: it is no longer running. */
		assert_int_equal(call(b, MSG_EXEC_FINISH, req, &v), MST_OK);
		assert_int_equal(json_get_bool(v, "ok", &ok), 0);
		assert_false(ok);
		yajl_tree_free(v);
		(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"status\":"
		    "\"Pending\"}", ids[0]);
		assert_int_equal(call(b, MSG_EXEC_FINISH, req, NULL),
		    MST_BADREQ);
	}
}

#define RACE_N	60

struct racer {
	struct db_backend	*b;
	char			 got[RACE_N][DB_ID_LEN + 1];
	int			 n;
};

static void *
race(void *arg)
{
	struct racer	*r = arg;
	yajl_val	 v;
	int		 st;

	for (;;) {
		st = call(r->b, MSG_EXEC_CLAIM, "{}", &v);
		if (st == MST_NOTFOUND)
			break;
		if (st == MST_BUSY)
			continue;
		if (st != MST_OK || r->n >= RACE_N)
			return (void *)1;
		(void)strlcpy(r->got[r->n++], json_get_str(v, "_id"),
		    DB_ID_LEN + 1);
		yajl_tree_free(v);
	}
	return NULL;
}

/* Two claimers on two connections: every execution exactly once. */
static void
test_claim_race(void **state)
{
	struct db_backend	*b = *state;
	struct racer		*r;
	pthread_t		 t[2];
	char			 id[DB_ID_LEN + 1];
	void			*rv;
	int			 i, j, k, total = 0, seen;
	char			 all[RACE_N][DB_ID_LEN + 1];

	make_workflow(b);
	for (i = 0; i < RACE_N; i++) {
		create(b, id);
		set_field(b, id, "Status", "Pending", MST_OK);
		(void)strlcpy(all[i], id, sizeof(all[i]));
	}
	r = calloc(2, sizeof(*r));
	assert_non_null(r);
	r[0].b = open_backend();
	r[1].b = open_backend();
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
		total += r[i].n;
	}
	assert_int_equal(total, RACE_N);
	for (i = 0; i < RACE_N; i++) {
		seen = 0;
		for (j = 0; j < 2; j++)
			for (k = 0; k < r[j].n; k++)
				seen += strcmp(r[j].got[k], all[i]) == 0;
		assert_int_equal(seen, 1);
	}
	r[0].b->close(r[0].b);
	r[1].b->close(r[1].b);
	free(r);
}

static void
io_item(struct db_backend *b, const char *id, const char *io,
    const char *name, const char *objid, const char *what, int want_ok)
{
	yajl_val	v;
	char		req[512];
	int		ok;

	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"io\":\"%s\","
	    "\"name\":\"%s\",\"obj_id\":\"%s\",%s}", id, io, name, objid,
	    what);
	assert_int_equal(call(b, MSG_EXEC_SET_IO_ITEM, req, &v), MST_OK);
	assert_int_equal(json_get_bool(v, "ok", &ok), 0);
	assert_int_equal(ok, want_ok);
	yajl_tree_free(v);
}

static void
test_io_items(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 e, io, ds;
	char			 id[DB_ID_LEN + 1], req[160];

	make_workflow(b);
	create(b, id);
	io_item(b, id, "inputs", "T", "b", "\"object\":{\"Value\":3.5}", 1);
	io_item(b, id, "inputs", "T", "a", "\"link\":{\"ExecID\":\"e\","
	    "\"Name\":\"R\",\"ObjID\":\"x\"},\"object\":{\"Value\":1}", 1);
	io_item(b, id, "inputs", "T", "a", "\"link\":null,\"object\":null", 0);
	io_item(b, id, "inputs", "nope", "a", "\"object\":{}", 1);
	/* Outputs only while Running. */
	io_item(b, id, "outputs", "R", "x", "\"object\":{\"Value\":2}", 0);
	set_field(b, id, "Status", "Running", MST_OK);
	io_item(b, id, "outputs", "R", "x", "\"object\":{\"Value\":2}", 1);
	io_item(b, id, "inputs", "T", "b", "\"object\":{\"Value\":9}", 0);
	e = get_exec(b, id);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", str(e, "Inputs"));
	assert_int_equal(call(b, MSG_IODATA_GET, req, &io), MST_OK);
	ds = json_get(io, "DataSet");
	assert_string_equal(str(json_get(ds->u.array.values[0], "Link"),
	    "ExecID"), "e");
	assert_true(YAJL_IS_DOUBLE(json_get(json_get(ds->u.array.values[1],
	    "Object"), "Value")));
	yajl_tree_free(io);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", str(e, "Outputs"));
	assert_int_equal(call(b, MSG_IODATA_GET, req, &io), MST_OK);
	ds = json_get(io, "DataSet");
	assert_int_equal(json_get(json_get(ds->u.array.values[0], "Object"),
	    "Value")->u.number.i, 2);
	yajl_tree_free(io);
	yajl_tree_free(e);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"io\":\"both\","
	    "\"name\":\"T\",\"obj_id\":\"a\",\"object\":{}}", id);
	assert_int_equal(call(b, MSG_EXEC_SET_IO_ITEM, req, NULL), MST_BADREQ);
}

static void
test_stat(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v;
	int			 ok;

	assert_int_equal(call(b, MSG_STAT_UPDATE,
	    "{\"key\":\"scheduler.runningTasks\",\"value\":5}", &v), MST_OK);
	assert_int_equal(json_get_bool(v, "ok", &ok), 0);
	assert_true(ok);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_STAT_UPDATE,
	    "{\"key\":\"scheduler.load\",\"value\":0.5}", NULL), MST_OK);
	assert_int_equal(call(b, MSG_STAT_UPDATE,
	    "{\"key\":\"runningTasks\",\"value\":5}", &v), MST_OK);
	assert_int_equal(json_get_bool(v, "ok", &ok), 0);
	assert_false(ok);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_STAT_UPDATE,
	    "{\"key\":\"scheduler.load\",\"value\":\"5\"}", NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_STAT_GET, "{}", &v), MST_OK);
	assert_int_equal(num(v, "runningTasks"), 5);
	assert_true(YAJL_IS_DOUBLE(json_get(v, "load")));
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_LOG_INSERT, "{\"msg\":\"hi\","
	    "\"levelno\":20}", &v), MST_OK);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_LOG_INSERT, "{\"a.b\":1}", NULL),
	    MST_BADREQ);
}

static int
memfd_with(size_t len, int fill)
{
	int	fd = memfd_create("t", MFD_CLOEXEC);
	char	*p;

	assert_true(fd >= 0);
	if (len > 0) {
		p = malloc(len);
		assert_non_null(p);
		for (size_t i = 0; i < len; i++)
			p[i] = (char)(fill ? (i * 7 + i / 251) : 0);
		assert_int_equal(write(fd, p, len), (ssize_t)len);
		free(p);
	}
	return fd;
}

static void
test_files(void **state)
{
	static const size_t	 sizes[] = { 0, 1, 5 * 1024 * 1024 };
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 req[128], *got;
	size_t			 i, gl;
	int			 fd, out;

	for (i = 0; i < 3; i++) {
		fd = memfd_with(sizes[i], 1);
		assert_int_equal(call_fd(b, MSG_FILE_PUT, "{\"filename\":"
		    "\"f\\u00fc.h5\",\"content_type\":\"application/x-hdf5\"}",
		    fd, NULL, &v), MST_OK);
		(void)close(fd);
		(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}",
		    str(v, "_id"));
		yajl_tree_free(v);
		assert_int_equal(call_fd(b, MSG_FILE_GET, req, -1, &out, &v),
		    MST_OK);
		assert_string_equal(str(v, "filename"), "f\xc3\xbc.h5");
		assert_string_equal(str(v, "content_type"),
		    "application/x-hdf5");
		assert_int_equal(num(v, "length"), (long long)sizes[i]);
		yajl_tree_free(v);
		assert_true(out >= 0);
		assert_int_equal(fcntl(out, F_GET_SEALS) & F_SEAL_WRITE,
		    F_SEAL_WRITE);
		assert_int_equal(util_read_fd(out, 64 * 1024 * 1024, &got, &gl),
		    0);
		(void)close(out);
		assert_int_equal(gl, sizes[i]);
		for (size_t j = 0; j < gl; j++)
			if (got[j] != (char)(j * 7 + j / 251))
				fail_msg("byte %zu differs", j);
		free(got);
	}
	/* Over the limit: a sparse memfd, never read. */
	fd = memfd_create("big", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, 257LL * 1024 * 1024), 0);
	assert_int_equal(call_fd(b, MSG_FILE_PUT, "{\"filename\":\"big\"}", fd,
	    NULL, NULL), MST_TOOBIG);
	(void)close(fd);
	assert_int_equal(call_fd(b, MSG_FILE_PUT, "{\"filename\":\"x\"}", -1,
	    NULL, NULL), MST_BADREQ);
	/* The limit is configurable (file_max_bytes). */
	db_set_file_max(10);
	fd = memfd_with(11, 1);
	assert_int_equal(call_fd(b, MSG_FILE_PUT, "{\"filename\":\"x\"}", fd,
	    NULL, NULL), MST_TOOBIG);
	(void)close(fd);
	fd = memfd_with(10, 1);
	assert_int_equal(call_fd(b, MSG_FILE_PUT, "{\"filename\":\"x\"}", fd,
	    NULL, NULL), MST_OK);
	(void)close(fd);
	db_set_file_max(256ULL * 1024 * 1024);
	assert_int_equal(call_fd(b, MSG_FILE_GET,
	    "{\"_id\":\"0123456789abcdef01234567\"}", -1, &out, NULL),
	    MST_NOTFOUND);
	assert_int_equal(out, -1);
}

static void
test_bad_input(void **state)
{
	static const struct {
		unsigned	 type;
		const char	*req;
		int		 want;
	} cases[] = {
		{ MSG_USECASE_GET, "[]", MST_BADREQ },
		{ MSG_USECASE_GET, "{\"ucid\":1}", MST_BADREQ },
		{ MSG_USECASE_GET, "{\"ucid\":\"a\",\"x\":1}", MST_BADREQ },
		{ MSG_USECASE_GET, "{\"ucid\":\"a\"", MST_BADREQ },
		{ MSG_USECASE_GET, "{\"ucid\":\"a\\u0000b\"}", MST_BADREQ },
		{ MSG_USECASE_GET, "{\"ucid\":\"a\",\"ucid\":\"b\"}",
		    MST_BADREQ },
		{ MSG_USECASE_INSERT, "{\"Description\":\"x\"}", MST_BADREQ },
		{ MSG_USECASE_INSERT, "{\"ucid\":\"x\",\"_id\":\"zz\"}",
		    MST_BADREQ },
		{ MSG_USECASE_INSERT, "{\"ucid\":\"x\",\"evil\":{\"$where\":1}}",
		    MST_BADREQ },
		{ MSG_WORKFLOW_INSERT, "{\"wid\":\"w\"}", MST_BADREQ },
		{ MSG_WORKFLOW_INSERT, "{\"wid\":\"w\",\"Description\":\"\","
		    "\"UseCase\":\"\",\"modulename\":\"\",\"classname\":"
		    "\"\",\"IOCard\":{\"Inputs\":[{\"Name\":1}]}}",
		    MST_BADREQ },
		{ MSG_WORKFLOW_INSERT, "{\"wid\":\"w\",\"Description\":\"\","
		    "\"UseCase\":\"\",\"modulename\":\"\",\"classname\":"
		    "\"\",\"IOCard\":{\"Extra\":[]}}", MST_BADREQ },
		{ MSG_WORKFLOW_INSERT, "{\"wid\":\"w\",\"Description\":\"\","
		    "\"UseCase\":\"\",\"modulename\":\"\",\"classname\":"
		    "\"\",\"IOCard\":{},\"Models\":[{\"Name\":\"m\"}]}",
		    MST_BADREQ },
		{ MSG_IODATA_INSERT, "{\"Type\":\"Inputs\",\"DataSet\":"
		    "[{\"Name\":\"a\",\"Evil\":{}}]}", MST_BADREQ },
		{ MSG_WORKFLOW_GET, "{\"_id\":\"not-an-id\"}", MST_NOTFOUND },
		{ MSG_WORKFLOW_GET, "{\"_id\":\"0123456789abcdef01234567\"}",
		    MST_NOTFOUND },
		{ MSG_WORKFLOW_GET_VERSION, "{\"wid\":\"w\",\"version\":\"1\"}",
		    MST_BADREQ },
		{ MSG_EXEC_LIST, "{\"status\":{\"$ne\":null}}", MST_BADREQ },
		{ MSG_EXEC_LIST, "{\"filter\":{}}", MST_BADREQ },
		{ MSG_EXEC_GET, "{\"_id\":{\"$gt\":\"\"}}", MST_NOTFOUND },
		{ MSG_EXEC_INSERT, "{\"WorkflowID\":\"w\"}", MST_BADREQ },
		{ MSG_IODATA_INSERT, "{\"Type\":5}", MST_BADREQ },
		{ MSG_SETTINGS_PUT, "{\"projectName\":1}", MST_BADREQ },
		{ MSG_SETTINGS_PUT, "{\"other\":\"x\"}", MST_BADREQ },
		{ MSG_DB_PING, "{\"a\":1}", MST_BADREQ },
		{ MSG_READY, "{}", MST_BADREQ },
	};
	struct db_backend	*b = *state;
	char			*longstr;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (call(b, cases[i].type, cases[i].req, NULL) != cases[i].want)
			fail_msg("case %zu (%s %s) not %s", i,
			    msg_type_name(cases[i].type), cases[i].req,
			    msg_status_name((unsigned)cases[i].want));
	/* A string over the field limit. */
	longstr = malloc(10000);
	assert_non_null(longstr);
	memcpy(longstr, "{\"ucid\":\"", 9);
	memset(longstr + 9, 'a', 5000);
	memcpy(longstr + 5009, "\"}", 3);
	assert_int_equal(call(b, MSG_USECASE_INSERT, longstr, NULL),
	    MST_BADREQ);
	free(longstr);
	/* Nothing of the rejected inserts was written. */
	{
		yajl_val v;

		assert_int_equal(call(b, MSG_USECASE_LIST, "{}", &v), MST_OK);
		assert_int_equal(num(json_get(v, "pagination"), "totalCount"),
		    1);
		yajl_tree_free(v);
	}
}

static void
test_users_sessions(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v, coll;
	char			 id[DB_ID_LEN + 1], req[160];

	assert_int_equal(call(b, MSG_USER_INSERT, "{\"mail\":\"a@x.test\","
	    "\"password\":\"$argon2id$h\",\"name\":\"a@x.test\","
	    "\"surname\":\"Zed\",\"rights_admin\":true}", &v), MST_OK);
	(void)strlcpy(id, str(v, "_id"), sizeof(id));
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_USER_INSERT, "{\"mail\":\"b@x.test\","
	    "\"password\":\"h2\",\"surname\":\"Abe\"}", NULL), MST_OK);
	/* The mail is unique: a conflict (409 for the API). */
	assert_int_equal(call(b, MSG_USER_INSERT, "{\"mail\":\"a@x.test\","
	    "\"password\":\"x\"}", NULL), MST_CONFLICT);
	assert_int_equal(call(b, MSG_USER_INSERT, "{\"mail\":\"c@x.test\"}",
	    NULL), MST_BADREQ);
	/* Only the lookup by mail shows the hash. */
	assert_int_equal(call(b, MSG_USER_GET_BY_MAIL,
	    "{\"mail\":\"a@x.test\"}", &v), MST_OK);
	assert_string_equal(str(v, "password"), "$argon2id$h");
	yajl_tree_free(v);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", id);
	assert_int_equal(call(b, MSG_USER_GET, req, &v), MST_OK);
	assert_string_equal(str(v, "password"), "********");
	assert_true(YAJL_IS_TRUE(json_get(v, "rights_admin")));
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_USER_LIST, "{}", &v), MST_OK);
	coll = json_get(v, "collection");
	assert_int_equal(coll->u.array.len, 2);
	assert_string_equal(str(coll->u.array.values[0], "surname"), "Abe");
	assert_string_equal(str(coll->u.array.values[1], "password"),
	    "********");
	yajl_tree_free(v);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"password\":"
	    "\"new\"}", id);
	assert_int_equal(call(b, MSG_USER_SET_PASSWORD, req, NULL), MST_OK);
	assert_int_equal(call(b, MSG_USER_GET_BY_MAIL,
	    "{\"mail\":\"a@x.test\"}", &v), MST_OK);
	assert_string_equal(str(v, "password"), "new");
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_USER_GET_BY_MAIL,
	    "{\"mail\":\"nobody@x.test\"}", NULL), MST_NOTFOUND);

	(void)snprintf(req, sizeof(req), "{\"user_id\":\"%s\","
	    "\"session_token\":\"tok-1\",\"expires_at\":"
	    "\"2026-12-02T00:00:00Z\"}", id);
	assert_int_equal(call(b, MSG_SESSION_INSERT, req, NULL), MST_OK);
	assert_int_equal(call(b, MSG_SESSION_INSERT, req, NULL), MST_CONFLICT);
	assert_int_equal(call(b, MSG_SESSION_GET,
	    "{\"session_token\":\"tok-1\"}", &v), MST_OK);
	assert_string_equal(str(v, "user_id"), id);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_SESSION_DELETE,
	    "{\"session_token\":\"tok-1\"}", NULL), MST_OK);
	assert_int_equal(call(b, MSG_SESSION_GET,
	    "{\"session_token\":\"tok-1\"}", NULL), MST_NOTFOUND);
}

/* An operation's status and error text (for the detail messages). */
static int
call_detail(struct db_backend *b, unsigned type, const char *req,
    char *err, size_t errlen)
{
	yajl_gen	g = json_gen_new();
	int		st, fd = -1;

	assert_non_null(g);
	err[0] = '\0';
	st = db_dispatch(b, type, req, strlen(req), -1, &fd, g, err, errlen);
	yajl_gen_free(g);
	return st;
}

/* session.user: the user behind a live session, never the hash; expired,
 * unreadable or absent sessions are "not found"; a session whose user is
 * gone is deleted. */
static void
test_session_user(void **state)
{
	static const char *const live[] = {
		"2099-01-02T03:04:05.000Z",	/* as auth writes it */
		"2099-01-02T03:04:05+00:00",
		"2099-01-02T03:04:05.123456",	/* mupifDB's naive UTC */
	};
	static const char *const dead[] = {
		"2001-01-02T03:04:05.000Z",	/* past */
		"tomorrow",
		"2099-01-02T03:04:05+02:00",	/* other zones: not ours */
		"2099-13-02T03:04:05Z",
		"2099-01-02 03:04:05Z",
		"2099-01-02T03:04:05.Z",
		"",
	};
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 id[DB_ID_LEN + 1], req[256], err[256];
	const char		*keys[] = { "user_id", "mail", "name",
				    "surname", "rights_admin", "expires_at" };
	size_t			 i;

	assert_int_equal(call(b, MSG_USER_INSERT, "{\"mail\":\"s@x.test\","
	    "\"password\":\"$argon2id$secret-hash\",\"name\":\"s@x.test\","
	    "\"surname\":\"User\",\"rights_admin\":true}", &v), MST_OK);
	(void)strlcpy(id, str(v, "_id"), sizeof(id));
	yajl_tree_free(v);

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		(void)snprintf(req, sizeof(req), "{\"user_id\":\"%s\","
		    "\"session_token\":\"live-%zu\",\"expires_at\":\"%s\"}",
		    id, i, live[i]);
		assert_int_equal(call(b, MSG_SESSION_INSERT, req, NULL),
		    MST_OK);
		(void)snprintf(req, sizeof(req),
		    "{\"session_token\":\"live-%zu\"}", i);
		assert_int_equal(call(b, MSG_SESSION_USER, req, &v), MST_OK);
		assert_true(YAJL_IS_OBJECT(v));
		assert_int_equal(v->u.object.len, 6);
		for (size_t k = 0; k < 6; k++)
			assert_string_equal(v->u.object.keys[k], keys[k]);
		assert_string_equal(str(v, "user_id"), id);
		assert_string_equal(str(v, "mail"), "s@x.test");
		assert_string_equal(str(v, "name"), "s@x.test");
		assert_string_equal(str(v, "surname"), "User");
		assert_true(YAJL_IS_TRUE(json_get(v, "rights_admin")));
		assert_string_equal(str(v, "expires_at"), live[i]);
		assert_null(json_get(v, "password"));
		yajl_tree_free(v);
	}
	for (i = 0; i < sizeof(dead) / sizeof(dead[0]); i++) {
		(void)snprintf(req, sizeof(req), "{\"user_id\":\"%s\","
		    "\"session_token\":\"dead-%zu\",\"expires_at\":\"%s\"}",
		    id, i, dead[i]);
		assert_int_equal(call(b, MSG_SESSION_INSERT, req, NULL),
		    MST_OK);
		(void)snprintf(req, sizeof(req),
		    "{\"session_token\":\"dead-%zu\"}", i);
		if (call_detail(b, MSG_SESSION_USER, req, err, sizeof(err)) !=
		    MST_NOTFOUND)
			fail_msg("expires_at \"%s\" accepted", dead[i]);
		assert_string_equal(err, "Session either does not exist, has "
		    "expired, or has been revoked.");
	}
	assert_int_equal(call_detail(b, MSG_SESSION_USER,
	    "{\"session_token\":\"nope\"}", err, sizeof(err)), MST_NOTFOUND);
	assert_string_equal(err, "Session either does not exist, has "
	    "expired, or has been revoked.");

	/* The user is gone: not found, and the session is deleted. */
	(void)snprintf(req, sizeof(req), "{\"user_id\":"
	    "\"0123456789abcdef01234567\",\"session_token\":\"orphan\","
	    "\"expires_at\":\"2099-01-01T00:00:00.000Z\"}");
	assert_int_equal(call(b, MSG_SESSION_INSERT, req, NULL), MST_OK);
	assert_int_equal(call_detail(b, MSG_SESSION_USER,
	    "{\"session_token\":\"orphan\"}", err, sizeof(err)),
	    MST_NOTFOUND);
	assert_string_equal(err, "User linked to session not found");
	assert_int_equal(call(b, MSG_SESSION_GET,
	    "{\"session_token\":\"orphan\"}", NULL), MST_NOTFOUND);

	/* Strict arguments. */
	assert_int_equal(call(b, MSG_SESSION_USER, "{}", NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_SESSION_USER,
	    "{\"session_token\":\"live-0\",\"x\":1}", NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_SESSION_USER,
	    "{\"session_token\":5}", NULL), MST_BADREQ);
}

/* execution.set_edm: bind the EDMMapping entry by name (id or ids). */
static void
test_set_edm(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v, m;
	char			 id[DB_ID_LEN + 1], req[256];

	make_workflow(b);
	create(b, id);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"name\":\"e\","
	    "\"id\":\"obj1\"}", id);
	assert_int_equal(call(b, MSG_EXEC_SET_EDM, req, &v), MST_OK);
	m = json_get(v, "EDMMapping")->u.array.values[0];
	assert_string_equal(str(m, "Name"), "e");
	assert_string_equal(str(m, "id"), "obj1");
	yajl_tree_free(v);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"name\":\"e\","
	    "\"ids\":[\"a\",\"b\"]}", id);
	assert_int_equal(call(b, MSG_EXEC_SET_EDM, req, NULL), MST_OK);
	v = get_exec(b, id);
	m = json_get(v, "EDMMapping")->u.array.values[0];
	assert_string_equal(str(m, "id"), "obj1");	/* kept */
	assert_int_equal(json_get(m, "ids")->u.array.len, 2);
	yajl_tree_free(v);
	/* Unknown mapping or execution: not found, nothing written. */
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"name\":\"x\","
	    "\"id\":\"o\"}", id);
	assert_int_equal(call(b, MSG_EXEC_SET_EDM, req, NULL), MST_NOTFOUND);
	assert_int_equal(call(b, MSG_EXEC_SET_EDM, "{\"_id\":"
	    "\"000000000000000000000000\",\"name\":\"e\",\"id\":\"o\"}", NULL),
	    MST_NOTFOUND);
	/* Exactly one of id and ids, of the right types. */
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"name\":\"e\"}", id);
	assert_int_equal(call(b, MSG_EXEC_SET_EDM, req, NULL), MST_BADREQ);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"name\":\"e\","
	    "\"id\":\"o\",\"ids\":[]}", id);
	assert_int_equal(call(b, MSG_EXEC_SET_EDM, req, NULL), MST_BADREQ);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"name\":\"e\","
	    "\"ids\":[1]}", id);
	assert_int_equal(call(b, MSG_EXEC_SET_EDM, req, NULL), MST_BADREQ);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"name\":\"e\","
	    "\"id\":7}", id);
	assert_int_equal(call(b, MSG_EXEC_SET_EDM, req, NULL), MST_BADREQ);
	v = get_exec(b, id);
	m = json_get(v, "EDMMapping")->u.array.values[0];
	assert_string_equal(str(m, "id"), "obj1");
	yajl_tree_free(v);
}

/* execution.get_full: the execution, its IOData documents and, when its
 * "workflow" is not set, the workflow, in one answer (spec 4.6). */
static void
test_get_full(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v, e, x, w;
	char			 id[DB_ID_LEN + 1], req[512];

	make_workflow(b);
	/* execution.create answers with the IOData documents too. */
	assert_int_equal(call(b, MSG_EXEC_CREATE, "{\"wid\":\"wf-A\","
	    "\"version\":-1,\"requested_by\":\"a@b.test\"}", &v), MST_OK);
	(void)strlcpy(id, str(v, "inserted_id"), sizeof(id));
	e = json_get(v, "entity");
	assert_string_equal(str(json_get(v, "inputs"), "_id"),
	    str(e, "Inputs"));
	assert_string_equal(str(json_get(v, "outputs"), "_id"),
	    str(e, "Outputs"));
	assert_int_equal(json_get(json_get(v, "inputs"),
	    "DataSet")->u.array.len, 3);
	yajl_tree_free(v);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", id);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, req, &v), MST_OK);
	e = json_get(v, "execution");
	assert_string_equal(str(e, "_id"), id);
	x = get_exec(b, id);
	assert_string_equal(str(e, "Inputs"), str(x, "Inputs"));
	assert_string_equal(str(e, "CreatedDate"), str(x, "CreatedDate"));
	yajl_tree_free(x);
	assert_string_equal(str(json_get(v, "inputs"), "_id"),
	    str(e, "Inputs"));
	assert_string_equal(str(json_get(v, "inputs"), "Type"), "Inputs");
	assert_int_equal(json_get(json_get(v, "inputs"),
	    "DataSet")->u.array.len, 3);
	assert_string_equal(str(json_get(v, "outputs"), "_id"),
	    str(e, "Outputs"));
	assert_int_equal(json_get(json_get(v, "outputs"),
	    "DataSet")->u.array.len, 1);
	/* "workflow" is set by execution.create: not looked up. */
	assert_true(YAJL_IS_NULL(json_get(v, "workflow")));
	yajl_tree_free(v);

	/* No "workflow": the one of WorkflowID at WorkflowVersion; IOData
	 * that is missing, or not an id, is null. */
	assert_int_equal(call(b, MSG_EXEC_INSERT, "{\"WorkflowID\":\"wf-A\","
	    "\"WorkflowVersion\":1,\"CreatedDate\":\"2020-01-01T00:00:00\","
	    "\"RequestedBy\":\"a\",\"Inputs\":\"000000000000000000000000\","
	    "\"Outputs\":\"not-an-id\"}", &x), MST_OK);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", str(x, "_id"));
	yajl_tree_free(x);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, req, &v), MST_OK);
	assert_true(YAJL_IS_NULL(json_get(v, "inputs")));
	assert_true(YAJL_IS_NULL(json_get(v, "outputs")));
	w = json_get(v, "workflow");
	assert_string_equal(str(w, "wid"), "wf-A");
	assert_int_equal(num(w, "Version"), 1);
	yajl_tree_free(v);
	/* A version or a workflow that does not exist: null. */
	assert_int_equal(call(b, MSG_EXEC_INSERT, "{\"WorkflowID\":\"wf-A\","
	    "\"WorkflowVersion\":7,\"workflow\":null,\"CreatedDate\":\"x\","
	    "\"RequestedBy\":\"a\",\"Inputs\":\"a\",\"Outputs\":\"b\"}", &x),
	    MST_OK);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", str(x, "_id"));
	yajl_tree_free(x);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, req, &v), MST_OK);
	assert_true(YAJL_IS_NULL(json_get(v, "workflow")));
	assert_true(YAJL_IS_OBJECT(json_get(v, "execution")));
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_EXEC_INSERT, "{\"WorkflowID\":\"nope\","
	    "\"WorkflowVersion\":1,\"CreatedDate\":\"x\",\"RequestedBy\":"
	    "\"a\",\"Inputs\":\"a\",\"Outputs\":\"b\"}", &x), MST_OK);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", str(x, "_id"));
	yajl_tree_free(x);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, req, &v), MST_OK);
	assert_true(YAJL_IS_NULL(json_get(v, "workflow")));
	yajl_tree_free(v);

	/* The strict reader: one argument, an id. */
	assert_int_equal(call(b, MSG_EXEC_GET_FULL,
	    "{\"_id\":\"000000000000000000000000\"}", NULL), MST_NOTFOUND);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, "{\"_id\":\"zz\"}", NULL),
	    MST_NOTFOUND);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, "{\"_id\":{\"$gt\":\"\"}}",
	    NULL), MST_NOTFOUND);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, "{}", NULL), MST_NOTFOUND);
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\",\"x\":1}", id);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, req, NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_EXEC_GET_FULL, "[]", NULL), MST_BADREQ);
}

/* parent is a DbRef or null (spec 2.2), never any object. */
static void
test_parent_dbref(void **state)
{
	struct db_backend	*b = *state;

	assert_int_equal(call(b, MSG_USECASE_INSERT, "{\"ucid\":\"p1\","
	    "\"parent\":{\"where\":\"UseCases\",\"id\":\"x\"}}", NULL), MST_OK);
	assert_int_equal(call(b, MSG_USECASE_INSERT, "{\"ucid\":\"p2\","
	    "\"parent\":null}", NULL), MST_OK);
	assert_int_equal(call(b, MSG_USECASE_INSERT, "{\"ucid\":\"p3\","
	    "\"parent\":{\"where\":\"\",\"id\":{}}}", NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_USECASE_INSERT, "{\"ucid\":\"p4\","
	    "\"parent\":{\"where\":\"a\"}}", NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_USECASE_INSERT, "{\"ucid\":\"p5\","
	    "\"parent\":{\"where\":\"a\",\"id\":\"b\",\"x\":1}}", NULL),
	    MST_BADREQ);
}

/* ----- the scheduling loop: claim by owner, start, requeue, finish by
 * owner, recover, cancel, re-schedule (spec/scheduler.md 6, 7, 12) ----- */

#define RUN1	"run-0123456789abcdef"
#define NOID	"000000000000000000000000"
#define RQ	"{\"_id\":\"%s\",\"owner\":\"%s\",\"log\":" \
		"\"0123456789abcdef01234567\",\"reason\":\"no job manager\"}"
#define FQ	"{\"_id\":\"%s\",\"owner\":\"%s\",\"status\":\"Failed\"," \
		"\"log\":null,\"reason\":\"killed: timeout\"}"

/* Insert an execution with Status status, ClaimedBy owner (NULL: none)
 * and more members (JSON, "" for none); its id into id. */
static void
ins_exec(struct db_backend *b, char *id, const char *status,
    const char *owner, const char *more)
{
	yajl_val	v;
	char		req[512], ob[96];

	if (owner != NULL)
		(void)snprintf(ob, sizeof(ob), "\"%s\"", owner);
	else
		(void)strlcpy(ob, "null", sizeof(ob));
	(void)snprintf(req, sizeof(req), "{\"WorkflowID\":\"wf-A\","
	    "\"WorkflowVersion\":1,\"CreatedDate\":\"2020-01-01T00:00:00\","
	    "\"SubmittedDate\":\"2020-01-02T00:00:00\",\"RequestedBy\":\"a\","
	    "\"Inputs\":\"a\",\"Outputs\":\"b\",\"Status\":\"%s\","
	    "\"ClaimedBy\":%s%s%s}", status, ob, more[0] != '\0' ? "," : "",
	    more);
	assert_int_equal(call(b, MSG_EXEC_INSERT, req, &v), MST_OK);
	(void)strlcpy(id, str(v, "_id"), DB_ID_LEN + 1);
	yajl_tree_free(v);
}

/* Call type with a request made by fmt; the answer's status. */
static int
callf(struct db_backend *b, unsigned type, yajl_val *out, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
callf(struct db_backend *b, unsigned type, yajl_val *out, const char *fmt,
    ...)
{
	va_list	ap;
	char	req[2048];
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(req));
	return call(b, type, req, out);
}

/* The {"ok": bool} answer of type to the request made by fmt. */
static int
okf(struct db_backend *b, unsigned type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
okf(struct db_backend *b, unsigned type, const char *fmt, ...)
{
	va_list		ap;
	yajl_val	v;
	char		req[2048];
	int		n, ok = -1;

	va_start(ap, fmt);
	n = vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(req));
	assert_int_equal(call(b, type, req, &v), MST_OK);
	assert_int_equal(json_get_bool(v, "ok", &ok), 0);
	yajl_tree_free(v);
	return ok;
}

/* Is member k of v null or missing? */
static int
null_or_missing(yajl_val v, const char *k)
{
	return json_get(v, k) == NULL || YAJL_IS_NULL(json_get(v, k));
}

struct oclaimer {
	struct db_backend	*b;
	const char		*owner;
	char			 got[RACE_N][DB_ID_LEN + 1];
	int			 n;
};

/* Claim as owner until nothing is Pending; each must be ClaimedBy it. */
static void *
oclaim(void *arg)
{
	struct oclaimer	*r = arg;
	yajl_val	 v;
	const char	*cb;
	char		 req[128];
	int		 st;

	(void)snprintf(req, sizeof(req), "{\"owner\":\"%s\"}", r->owner);
	for (;;) {
		st = call(r->b, MSG_EXEC_CLAIM, req, &v);
		if (st == MST_NOTFOUND)
			break;
		if (st == MST_BUSY)
			continue;
		if (st != MST_OK || r->n >= RACE_N)
			return (void *)1;
		cb = json_get_str(v, "ClaimedBy");
		if (cb == NULL || strcmp(cb, r->owner) != 0) {
			yajl_tree_free(v);
			return (void *)2;
		}
		(void)strlcpy(r->got[r->n++], json_get_str(v, "_id"),
		    DB_ID_LEN + 1);
		yajl_tree_free(v);
	}
	return NULL;
}

/* Two claimers with different owners: disjoint executions, each one
 * claimed exactly once and ClaimedBy its claimer. */
static void
test_sched_claim_owner(void **state)
{
	struct db_backend	*b = *state;
	struct oclaimer		*r;
	pthread_t		 t[2];
	yajl_val		 v;
	char			 all[RACE_N][DB_ID_LEN + 1];
	void			*rv;
	int			 i, j, k, seen, total = 0;

	make_workflow(b);
	for (i = 0; i < RACE_N; i++) {
		create(b, all[i]);
		set_field(b, all[i], "Status", "Pending", MST_OK);
	}
	/* Refused owners. */
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{\"owner\":\"\"}", NULL),
	    MST_BADREQ);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{\"owner\":\"a b\"}",
	    NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{\"owner\":\"a/b\"}",
	    NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{\"owner\":7}", NULL),
	    MST_BADREQ);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{\"owner\":\"x12345678901"
	    "23456789012345678901234567890123456789012345678901234\"}", NULL),
	    MST_BADREQ);
	r = calloc(2, sizeof(*r));
	assert_non_null(r);
	r[0].owner = "node-a.sched:1";
	r[1].owner = "node-b.sched:2";
	r[0].b = open_backend();
	r[1].b = open_backend();
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, oclaim, &r[i]), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
		total += r[i].n;
	}
	assert_int_equal(total, RACE_N);
	for (i = 0; i < RACE_N; i++) {
		seen = 0;
		for (j = 0; j < 2; j++)
			for (k = 0; k < r[j].n; k++)
				if (strcmp(r[j].got[k], all[i]) == 0) {
					seen++;
					v = get_exec(b, all[i]);
					assert_string_equal(str(v, "ClaimedBy"),
					    r[j].owner);
					assert_string_equal(str(v, "Status"),
					    "Scheduled");
					yajl_tree_free(v);
				}
		assert_int_equal(seen, 1);
	}
	r[0].b->close(r[0].b);
	r[1].b->close(r[1].b);
	free(r);
	/* Without owner: as before, no ClaimedBy. */
	create(b, all[0]);
	set_field(b, all[0], "Status", "Pending", MST_OK);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{}", &v), MST_OK);
	assert_string_equal(str(v, "_id"), all[0]);
	assert_true(null_or_missing(v, "ClaimedBy"));
	yajl_tree_free(v);
}

/* execution.start: only by the owner of a Scheduled execution. */
static void
test_sched_start(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 id[DB_ID_LEN + 1], id2[DB_ID_LEN + 1];

	make_workflow(b);
	create(b, id);
	set_field(b, id, "Attempts", "3", MST_OK);
	set_field(b, id, "Status", "Pending", MST_OK);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{\"owner\":\"s1\"}", &v),
	    MST_OK);
	assert_string_equal(str(v, "_id"), id);
	assert_string_equal(str(v, "ClaimedBy"), "s1");
	yajl_tree_free(v);
	/* Refusals: wrong owner, bad run ids, bad owners, unknown id. */
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s2\",\"run\":\"" RUN1 "\"}", id), MST_CONFLICT);
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"short\"}", id), MST_BADREQ);
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"run.0123456789abcdef\"}", id),
	    MST_BADREQ);
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\"}", id), MST_BADREQ);
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s 1\",\"run\":\"" RUN1 "\"}", id), MST_BADREQ);
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"" RUN1 "\",\"x\":1}", id), MST_BADREQ);
	assert_int_equal(call(b, MSG_EXEC_START, "{\"_id\":\"" NOID "\","
	    "\"owner\":\"s1\",\"run\":\"" RUN1 "\"}", NULL), MST_NOTFOUND);
	v = get_exec(b, id);
	assert_string_equal(str(v, "Status"), "Scheduled");
	yajl_tree_free(v);
	/* The owner starts it: Attempts 3 (a string) + 1. */
	assert_int_equal(callf(b, MSG_EXEC_START, &v, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"" RUN1 "\"}", id), MST_OK);
	assert_string_equal(str(v, "_id"), id);
	assert_string_equal(str(v, "Status"), "Running");
	assert_string_equal(str(v, "RunId"), RUN1);
	assert_string_equal(str(v, "ClaimedBy"), "s1");
	assert_int_equal(num(v, "Attempts"), 4);
	assert_true(YAJL_IS_STRING(json_get(v, "StartDate")));
	assert_true(YAJL_IS_NULL(json_get(v, "EndDate")));
	assert_true(YAJL_IS_NULL(json_get(v, "ExecutionLog")));
	yajl_tree_free(v);
	/* Not Scheduled any more. */
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"" RUN1 "\"}", id), MST_CONFLICT);
	/* Attempts missing counts as 0, a number as itself. */
	ins_exec(b, id2, "Scheduled", "s1", "");
	assert_int_equal(callf(b, MSG_EXEC_START, &v, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"" RUN1 "\"}", id2), MST_OK);
	assert_int_equal(num(v, "Attempts"), 1);
	yajl_tree_free(v);
	ins_exec(b, id2, "Scheduled", "s1", "\"Attempts\":12");
	assert_int_equal(callf(b, MSG_EXEC_START, &v, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"" RUN1 "\"}", id2), MST_OK);
	assert_int_equal(num(v, "Attempts"), 13);
	yajl_tree_free(v);
	/* Scheduled without an owner: nobody's. */
	ins_exec(b, id2, "Scheduled", NULL, "");
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"" RUN1 "\"}", id2), MST_CONFLICT);
}

/* execution.requeue: Running by owner -> Pending, log kept. */
static void
test_sched_requeue(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 id[DB_ID_LEN + 1], big[1100];

	ins_exec(b, id, "Running", "s1", "\"Attempts\":\"2\",\"RunId\":"
	    "\"" RUN1 "\",\"ScheduledDate\":\"2020-01-03T00:00:00\","
	    "\"StartDate\":\"2020-01-03T00:00:01\"");
	assert_false(okf(b, MSG_EXEC_REQUEUE, RQ, id, "s2"));
	assert_false(okf(b, MSG_EXEC_REQUEUE, RQ, NOID, "s1"));
	/* Refused arguments. */
	assert_int_equal(callf(b, MSG_EXEC_REQUEUE, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"log\":\"nope\"}", id), MST_BADREQ);
	memset(big, 'x', 1025);
	big[1025] = '\0';
	assert_int_equal(callf(b, MSG_EXEC_REQUEUE, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"reason\":\"%s\"}", id, big), MST_BADREQ);
	assert_int_equal(callf(b, MSG_EXEC_REQUEUE, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"reason\":5}", id), MST_BADREQ);
	assert_int_equal(callf(b, MSG_EXEC_REQUEUE, NULL, "{\"_id\":\"%s\"}",
	    id), MST_BADREQ);
	v = get_exec(b, id);
	assert_string_equal(str(v, "Status"), "Running");
	yajl_tree_free(v);
	assert_true(okf(b, MSG_EXEC_REQUEUE, RQ, id, "s1"));
	v = get_exec(b, id);
	assert_string_equal(str(v, "Status"), "Pending");
	assert_string_not_equal(str(v, "SubmittedDate"), "2020-01-02T00:00:00");
	assert_true(YAJL_IS_NULL(json_get(v, "ScheduledDate")));
	assert_true(YAJL_IS_NULL(json_get(v, "StartDate")));
	assert_true(YAJL_IS_NULL(json_get(v, "EndDate")));
	assert_string_equal(str(v, "ExecutionLog"), "0123456789abcdef01234567");
	assert_true(YAJL_IS_NULL(json_get(v, "ClaimedBy")));
	assert_true(YAJL_IS_NULL(json_get(v, "RunId")));
	assert_string_equal(str(v, "Reason"), "no job manager");
	assert_string_equal(str(v, "Attempts"), "2");
	yajl_tree_free(v);
	/* Again: no longer Running. */
	assert_false(okf(b, MSG_EXEC_REQUEUE, RQ, id, "s1"));
	/* log and reason may be null or absent. */
	ins_exec(b, id, "Running", "s1", "");
	assert_true(okf(b, MSG_EXEC_REQUEUE, "{\"_id\":\"%s\",\"owner\":"
	    "\"%s\",\"log\":null,\"reason\":null}", id, "s1"));
	v = get_exec(b, id);
	assert_true(YAJL_IS_NULL(json_get(v, "ExecutionLog")));
	assert_true(YAJL_IS_NULL(json_get(v, "Reason")));
	yajl_tree_free(v);
}

/* execution.finish with owner and reason. */
static void
test_sched_finish_owner(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 id[DB_ID_LEN + 1];

	ins_exec(b, id, "Running", "s1", "\"RunId\":\"" RUN1 "\"");
	assert_false(okf(b, MSG_EXEC_FINISH, FQ, id, "s2"));
	assert_int_equal(callf(b, MSG_EXEC_FINISH, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"bad owner\",\"status\":\"Failed\"}", id), MST_BADREQ);
	assert_int_equal(callf(b, MSG_EXEC_FINISH, NULL, "{\"_id\":\"%s\","
	    "\"status\":\"Failed\",\"reason\":[]}", id), MST_BADREQ);
	assert_true(okf(b, MSG_EXEC_FINISH, FQ, id, "s1"));
	v = get_exec(b, id);
	assert_string_equal(str(v, "Status"), "Failed");
	assert_string_equal(str(v, "Reason"), "killed: timeout");
	assert_true(YAJL_IS_NULL(json_get(v, "RunId")));
	assert_true(YAJL_IS_STRING(json_get(v, "EndDate")));
	yajl_tree_free(v);
	/* Without owner, from Scheduled, as before; Reason null. */
	ins_exec(b, id, "Scheduled", "s2", "\"Reason\":\"old\"");
	assert_true(okf(b, MSG_EXEC_FINISH, "{\"_id\":\"%s\",\"status\":"
	    "\"Finished\"%s}", id, ""));
	v = get_exec(b, id);
	assert_string_equal(str(v, "Status"), "Finished");
	assert_true(YAJL_IS_NULL(json_get(v, "Reason")));
	yajl_tree_free(v);
}

/* Is id in the array member k of v? */
static int
has_id(yajl_val v, const char *k, const char *id)
{
	yajl_val	a = json_get(v, k);
	size_t		i;

	assert_true(a != NULL && YAJL_IS_ARRAY(a));
	for (i = 0; i < a->u.array.len; i++)
		if (YAJL_IS_STRING(a->u.array.values[i]) &&
		    strcmp(a->u.array.values[i]->u.string, id) == 0)
			return 1;
	return 0;
}

/* execution.recover touches only the owner's Scheduled and Running. */
static void
test_sched_recover(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 s1a[DB_ID_LEN + 1], s1b[DB_ID_LEN + 1];
	char			 r1[DB_ID_LEN + 1], s2a[DB_ID_LEN + 1];
	char			 r2[DB_ID_LEN + 1], p1[DB_ID_LEN + 1];
	char			 f1[DB_ID_LEN + 1];

	ins_exec(b, s1a, "Scheduled", "s1",
	    "\"ScheduledDate\":\"2020-01-03T00:00:00\"");
	ins_exec(b, s1b, "Scheduled", "s1", "");
	ins_exec(b, r1, "Running", "s1", "\"RunId\":\"" RUN1 "\","
	    "\"Attempts\":1");
	ins_exec(b, s2a, "Scheduled", "s2", "");
	ins_exec(b, r2, "Running", "s2", "");
	ins_exec(b, p1, "Pending", "s1", "");
	ins_exec(b, f1, "Finished", "s1", "");
	assert_int_equal(call(b, MSG_EXEC_RECOVER, "{\"owner\":\"s1\"}", &v),
	    MST_OK);
	assert_int_equal(json_get(v, "pending")->u.array.len, 2);
	assert_int_equal(json_get(v, "failed")->u.array.len, 1);
	assert_true(has_id(v, "pending", s1a));
	assert_true(has_id(v, "pending", s1b));
	assert_true(has_id(v, "failed", r1));
	yajl_tree_free(v);
	v = get_exec(b, s1a);
	assert_string_equal(str(v, "Status"), "Pending");
	assert_string_equal(str(v, "SubmittedDate"), "2020-01-02T00:00:00");
	assert_true(YAJL_IS_NULL(json_get(v, "ScheduledDate")));
	assert_true(YAJL_IS_NULL(json_get(v, "ClaimedBy")));
	yajl_tree_free(v);
	v = get_exec(b, r1);
	assert_string_equal(str(v, "Status"), "Failed");
	assert_string_equal(str(v, "Reason"),
	    "the scheduler restarted while it ran");
	assert_true(YAJL_IS_NULL(json_get(v, "RunId")));
	assert_true(YAJL_IS_STRING(json_get(v, "EndDate")));
	assert_int_equal(num(v, "Attempts"), 1);
	yajl_tree_free(v);
	/* The other scheduler's, and other statuses, untouched. */
	v = get_exec(b, s2a);
	assert_string_equal(str(v, "Status"), "Scheduled");
	assert_string_equal(str(v, "ClaimedBy"), "s2");
	yajl_tree_free(v);
	v = get_exec(b, r2);
	assert_string_equal(str(v, "Status"), "Running");
	yajl_tree_free(v);
	v = get_exec(b, p1);
	assert_string_equal(str(v, "Status"), "Pending");
	assert_string_equal(str(v, "ClaimedBy"), "s1");
	yajl_tree_free(v);
	v = get_exec(b, f1);
	assert_string_equal(str(v, "Status"), "Finished");
	yajl_tree_free(v);
	/* Again: nothing left. */
	assert_int_equal(call(b, MSG_EXEC_RECOVER, "{\"owner\":\"s1\"}", &v),
	    MST_OK);
	assert_int_equal(json_get(v, "pending")->u.array.len, 0);
	assert_int_equal(json_get(v, "failed")->u.array.len, 0);
	yajl_tree_free(v);
	assert_int_equal(call(b, MSG_EXEC_RECOVER, "{}", NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_EXEC_RECOVER, "{\"owner\":\"s\\u00e9\"}",
	    NULL), MST_BADREQ);
	assert_int_equal(call(b, MSG_EXEC_RECOVER, "{\"owner\":\"s1\","
	    "\"x\":1}", NULL), MST_BADREQ);
}

/* execution.cancel from each status. */
static void
test_sched_cancel(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v, e;
	char			 id[DB_ID_LEN + 1];
	static const char *const done[] = { "Created", "Finished", "Failed" };
	static const char *const busy[] = { "Scheduled", "Running" };
	size_t			 i;

	ins_exec(b, id, "Pending", NULL, "\"ExecutionLog\":null");
	assert_int_equal(callf(b, MSG_EXEC_CANCEL, &v, "{\"_id\":\"%s\"}", id),
	    MST_OK);
	assert_string_equal(str(v, "was"), "Pending");
	e = json_get(v, "execution");
	assert_string_equal(str(e, "_id"), id);
	assert_string_equal(str(e, "Status"), "Created");
	assert_string_equal(str(e, "Reason"), "cancelled");
	assert_true(YAJL_IS_NULL(json_get(e, "SubmittedDate")));
	assert_true(YAJL_IS_NULL(json_get(e, "ScheduledDate")));
	assert_true(YAJL_IS_NULL(json_get(e, "ClaimedBy")));
	yajl_tree_free(v);
	for (i = 0; i < 2; i++) {
		ins_exec(b, id, busy[i], "s1", "");
		assert_int_equal(callf(b, MSG_EXEC_CANCEL, &v,
		    "{\"_id\":\"%s\"}", id), MST_OK);
		assert_string_equal(str(v, "was"), busy[i]);
		e = json_get(v, "execution");
		assert_string_equal(str(e, "Status"), busy[i]);
		assert_true(YAJL_IS_TRUE(json_get(e, "CancelRequested")));
		assert_string_equal(str(e, "ClaimedBy"), "s1");
		yajl_tree_free(v);
	}
	for (i = 0; i < 3; i++) {
		ins_exec(b, id, done[i], NULL, "");
		assert_int_equal(callf(b, MSG_EXEC_CANCEL, NULL,
		    "{\"_id\":\"%s\"}", id), MST_CONFLICT);
	}
	assert_int_equal(call(b, MSG_EXEC_CANCEL, "{\"_id\":\"" NOID "\"}",
	    NULL), MST_NOTFOUND);
	assert_int_equal(call(b, MSG_EXEC_CANCEL, "{\"_id\":\"" NOID "\","
	    "\"x\":1}", NULL), MST_BADREQ);
}

/* execution.schedule: only from Created, Finished or Failed; resets
 * Attempts and the scheduler's fields. */
static void
test_sched_schedule(void **state)
{
	struct db_backend	*b = *state;
	yajl_val		 v;
	char			 id[DB_ID_LEN + 1];
	static const char *const no[] = { "Pending", "Scheduled", "Running" };
	static const char *const yes[] = { "Created", "Finished", "Failed" };
	size_t			 i;

	/* The whole loop (nothing else is Pending yet): schedule, claim,
	 * start, fail, schedule again. */
	make_workflow(b);
	create(b, id);
	assert_int_equal(callf(b, MSG_EXEC_SCHEDULE, NULL, "{\"_id\":\"%s\"}",
	    id), MST_OK);
	assert_int_equal(callf(b, MSG_EXEC_SCHEDULE, NULL, "{\"_id\":\"%s\"}",
	    id), MST_CONFLICT);
	assert_int_equal(call(b, MSG_EXEC_CLAIM, "{\"owner\":\"s1\"}", NULL),
	    MST_OK);
	assert_int_equal(callf(b, MSG_EXEC_START, NULL, "{\"_id\":\"%s\","
	    "\"owner\":\"s1\",\"run\":\"" RUN1 "\"}", id), MST_OK);
	assert_int_equal(callf(b, MSG_EXEC_SCHEDULE, NULL, "{\"_id\":\"%s\"}",
	    id), MST_CONFLICT);
	v = get_exec(b, id);
	assert_int_equal(num(v, "Attempts"), 1);
	yajl_tree_free(v);
	assert_true(okf(b, MSG_EXEC_FINISH, "{\"_id\":\"%s\",\"owner\":"
	    "\"%s\",\"status\":\"Failed\"}", id, "s1"));
	assert_int_equal(callf(b, MSG_EXEC_SCHEDULE, &v, "{\"_id\":\"%s\"}",
	    id), MST_OK);
	assert_int_equal(num(v, "Attempts"), 0);
	assert_string_equal(str(v, "Status"), "Pending");
	yajl_tree_free(v);
	for (i = 0; i < 3; i++) {
		ins_exec(b, id, no[i], "s1", "\"Attempts\":5");
		assert_int_equal(callf(b, MSG_EXEC_SCHEDULE, NULL,
		    "{\"_id\":\"%s\"}", id), MST_CONFLICT);
		v = get_exec(b, id);
		assert_string_equal(str(v, "Status"), no[i]);
		assert_int_equal(num(v, "Attempts"), 5);
		yajl_tree_free(v);
	}
	for (i = 0; i < 3; i++) {
		ins_exec(b, id, yes[i], "s1", "\"Attempts\":\"13\","
		    "\"Reason\":\"r\",\"CancelRequested\":true,\"RunId\":"
		    "\"" RUN1 "\",\"EndDate\":\"2020-01-04T00:00:00\"");
		assert_int_equal(callf(b, MSG_EXEC_SCHEDULE, &v,
		    "{\"_id\":\"%s\"}", id), MST_OK);
		assert_string_equal(str(v, "Status"), "Pending");
		assert_int_equal(num(v, "Attempts"), 0);
		assert_string_not_equal(str(v, "SubmittedDate"),
		    "2020-01-02T00:00:00");
		assert_true(YAJL_IS_NULL(json_get(v, "EndDate")));
		assert_true(YAJL_IS_NULL(json_get(v, "Reason")));
		assert_true(YAJL_IS_NULL(json_get(v, "CancelRequested")));
		assert_true(YAJL_IS_NULL(json_get(v, "ClaimedBy")));
		assert_true(YAJL_IS_NULL(json_get(v, "RunId")));
		yajl_tree_free(v);
	}
	assert_int_equal(call(b, MSG_EXEC_SCHEDULE, "{\"_id\":\"" NOID "\"}",
	    NULL), MST_NOTFOUND);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_seed),
		T(test_usecases),
		T(test_workflows),
		T(test_executions),
		T(test_list_and_count),
		T(test_claim_fifo),
		T(test_claim_race),
		T(test_io_items),
		T(test_stat),
		T(test_files),
		T(test_bad_input),
		T(test_users_sessions),
		T(test_session_user),
		T(test_set_edm),
		T(test_get_full),
		T(test_parent_dbref),
		T(test_sched_claim_owner),
		T(test_sched_start),
		T(test_sched_requeue),
		T(test_sched_finish_owner),
		T(test_sched_recover),
		T(test_sched_cancel),
		T(test_sched_schedule),
	};
#undef T

	srand((unsigned)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
