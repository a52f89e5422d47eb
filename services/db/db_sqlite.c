/*
 * db_sqlite.c - SQLite backend of the db service (the embedded default).
 *
 * One file under persistent/db/, WAL journal, foreign keys on, busy
 * timeout, temporary data in memory (the jail has no /tmp).
 * synchronous=NORMAL: with WAL a power loss can lose the last transactions
 * but never corrupts the file.  Schema changes are numbered migrations
 * recorded in PRAGMA user_version and applied in one transaction at start.
 *
 * One table per collection: (id TEXT PRIMARY KEY, doc TEXT) where doc is
 * the document as JSON without its "_id".  The fields the operations filter
 * and sort on have expression indexes on json_extract(); those need
 * trusted_schema on, which is right here because only this process ever
 * writes this file (import goes through JSON lines, never a foreign SQLite
 * file).  Files are chunked into a table like GridFS does.
 *
 * Trust: runs inside the db service's jail; every document reaching it was
 * validated by db_ops.c, and every field path by db_path_ok(); paths are
 * the only text put into SQL, everything else is bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sqlite3.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "msg_types.h"
#include "banned.h"

#define CHUNK_SIZE	(255 * 1024)
#define SQL_MAX		4096

struct sqlite_be {
	struct db_backend	 b;	/* first: the public part */
	sqlite3			*h;
};

static const char *const migrations[] = {
	/*
	 * 1: the first slice, as it was shipped but for one statement: it
	 * also inserted the default Settings document.  Databases made
	 * since get it from db_seed() when the service starts, not here:
	 * `db import` needs a new database empty (a second Settings
	 * document would be one too many), and a database made by `db
	 * export` should stay so.  Databases made by the first slice are
	 * past this step and keep theirs.
	 */
	"CREATE TABLE Settings (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE WorkflowExecutions ("
	"  id TEXT PRIMARY KEY CHECK (length(id) = 24),"
	"  doc TEXT NOT NULL,"
	"  Status TEXT NOT NULL DEFAULT 'Created',"
	"  WorkflowID TEXT,"
	"  SubmittedDate TEXT);"
	"CREATE INDEX WorkflowExecutions_Status"
	"  ON WorkflowExecutions (Status, SubmittedDate);"
	"CREATE INDEX WorkflowExecutions_WorkflowID"
	"  ON WorkflowExecutions (WorkflowID);",
	/* 2: every collection, documents as JSON, expression indexes,
	 * files; ids of the first slice become ObjectId-like. */
	"DROP INDEX WorkflowExecutions_Status;"
	"DROP INDEX WorkflowExecutions_WorkflowID;"
	"ALTER TABLE WorkflowExecutions DROP COLUMN Status;"
	"ALTER TABLE WorkflowExecutions DROP COLUMN WorkflowID;"
	"ALTER TABLE WorkflowExecutions DROP COLUMN SubmittedDate;"
	"UPDATE Settings SET id = lower(hex(randomblob(12))) WHERE length(id) != 24;"
	"CREATE TABLE UseCases (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE Workflows (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE WorkflowsHistory (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE IOData (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE Stat (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE Logs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE user (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE session (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE INDEX we_status ON WorkflowExecutions"
	"  (json_extract(doc, '$.\"Status\"'),"
	"   json_extract(doc, '$.\"SubmittedDate\"'));"
	"CREATE INDEX we_workflow ON WorkflowExecutions"
	"  (json_extract(doc, '$.\"WorkflowID\"'),"
	"   json_extract(doc, '$.\"WorkflowVersion\"'));"
	"CREATE INDEX we_created ON WorkflowExecutions"
	"  (json_extract(doc, '$.\"CreatedDate\"'));"
	"CREATE INDEX wf_wid ON Workflows (json_extract(doc, '$.\"wid\"'));"
	"CREATE INDEX wh_wid ON WorkflowsHistory"
	"  (json_extract(doc, '$.\"wid\"'), json_extract(doc, '$.\"Version\"'));"
	"CREATE INDEX uc_ucid ON UseCases (json_extract(doc, '$.\"ucid\"'));"
	"CREATE UNIQUE INDEX user_mail ON user (json_extract(doc, '$.\"mail\"'));"
	"CREATE UNIQUE INDEX session_token ON session"
	"  (json_extract(doc, '$.\"session_token\"'));"
	"CREATE TABLE files (id TEXT PRIMARY KEY, filename TEXT NOT NULL,"
	"  ctype TEXT NOT NULL, length INTEGER NOT NULL, uploaded TEXT NOT NULL);"
	"CREATE TABLE chunks (files_id TEXT NOT NULL REFERENCES files (id)"
	"  ON DELETE CASCADE, n INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (files_id, n));",
};

static int
exec_sql(sqlite3 *h, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (err != NULL)
			(void)snprintf(err, errlen, "%s", msg != NULL ? msg :
			    sqlite3_errmsg(h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
migrate(sqlite3 *h, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 ver, want = (int)(sizeof(migrations) /
			    sizeof(migrations[0]));
	char		 sql[64];

	if (exec_sql(h, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		(void)snprintf(err, errlen, "user_version: %s",
		    sqlite3_errmsg(h));
		sqlite3_finalize(st);
		(void)exec_sql(h, "ROLLBACK", NULL, 0);
		return -1;
	}
	ver = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (ver > want) {
		(void)snprintf(err, errlen, "database schema version %d is "
		    "newer than this program (%d)", ver, want);
		(void)exec_sql(h, "ROLLBACK", NULL, 0);
		return -1;
	}
	for (; ver < want; ver++) {
		log_info("applying schema migration %d", ver + 1);
		if (exec_sql(h, migrations[ver], err, errlen) == -1) {
			(void)exec_sql(h, "ROLLBACK", NULL, 0);
			return -1;
		}
	}
	(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", want);
	if (exec_sql(h, sql, err, errlen) == -1 ||
	    exec_sql(h, "COMMIT", err, errlen) == -1) {
		(void)exec_sql(h, "ROLLBACK", NULL, 0);
		return -1;
	}
	return 0;
}

/*
 * A checked dotted path as a SQLite JSON path: a.b.2 -> $."a"."b"[2].
 * Returns -1 if the path is not acceptable.
 */
static int
json_path(const char *path, char *out, size_t cap)
{
	const char	*p = path, *e;
	size_t		 n;
	int		 digits, w;

	if (!db_path_ok(path))
		return -1;
	n = (size_t)snprintf(out, cap, "$");
	while (*p != '\0') {
		e = strchr(p, '.');
		if (e == NULL)
			e = p + strlen(p);
		digits = 1;
		for (const char *q = p; q < e; q++)
			if (*q < '0' || *q > '9')
				digits = 0;
		w = digits ? snprintf(out + n, cap - n, "[%.*s]", (int)(e - p),
		    p) : snprintf(out + n, cap - n, ".\"%.*s\"", (int)(e - p), p);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
		p = *e == '.' ? e + 1 : e;
	}
	return 0;
}

/* Append to a SQL buffer; -1 on overflow. */
static int
sql_add(char *sql, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
sql_add(char *sql, size_t *n, const char *fmt, ...)
{
	va_list	ap;
	int	w;

	va_start(ap, fmt);
	w = vsnprintf(sql + *n, SQL_MAX - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= SQL_MAX - *n)
		return -1;
	*n += (size_t)w;
	return 0;
}

/* " AND cond..." for conditions; binds are added by bind_conds(). */
static int
where_conds(char *sql, size_t *n, const struct db_cond *c, size_t nc)
{
	char	path[256];
	size_t	i;

	for (i = 0; i < nc; i++) {
		if (json_path(c[i].field, path, sizeof(path)) == -1)
			return -1;
		if (c[i].type == DV_NULL ||
		    (c[i].type == DV_STR && c[i].s == NULL)) {
			if (sql_add(sql, n, " AND json_extract(doc, '%s') IS "
			    "NULL", path) == -1)
				return -1;
		} else if (sql_add(sql, n, " AND json_extract(doc, '%s') = ?",
		    path) == -1)
			return -1;
	}
	return 0;
}

static int
bind_conds(sqlite3_stmt *st, int *idx, const struct db_cond *c, size_t nc)
{
	size_t i;

	for (i = 0; i < nc; i++) {
		int rc = SQLITE_OK;

		if (c[i].type == DV_STR && c[i].s != NULL)
			rc = sqlite3_bind_text(st, (*idx)++, c[i].s, -1,
			    SQLITE_TRANSIENT);
		else if (c[i].type == DV_INT)
			rc = sqlite3_bind_int64(st, (*idx)++, c[i].i);
		if (rc != SQLITE_OK)
			return -1;
	}
	return 0;
}

/* Every number in v is an integer or a finite double: yajl leaves both
 * flags clear for 1e400, which SQLite would store as infinity. */
static int
num_finite(yajl_val v)
{
	size_t i;

	if (YAJL_IS_NUMBER(v)) {
		if (YAJL_IS_INTEGER(v))
			return 1;
		if (YAJL_IS_DOUBLE(v))
			return isfinite(v->u.number.d);
		/* Neither flag: yajl's strtod said ERANGE, which is also
		 * what a subnormal such as 5e-324 receives; decide ourselves. */
		return isfinite(strtod(v->u.number.r, NULL));
	}
	if (YAJL_IS_OBJECT(v)) {
		for (i = 0; i < v->u.object.len; i++)
			if (!num_finite(v->u.object.values[i]))
				return 0;
	} else if (YAJL_IS_ARRAY(v))
		for (i = 0; i < v->u.array.len; i++)
			if (!num_finite(v->u.array.values[i]))
				return 0;
	return 1;
}

/* A JSON text that is valid, within the caps and has finite numbers. */
static int
value_ok(const char *json, size_t len)
{
	yajl_val	v;
	char		err[64];
	int		ok;

	if ((v = json_parse(json, len, DB_DOC_MAX, JSON_MAX_DEPTH, err,
	    sizeof(err))) == NULL)
		return 0;
	ok = num_finite(v);
	yajl_tree_free(v);
	return ok;
}

static int
sq_status(struct sqlite_be *s, int rc, const char *what)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return MST_BADREQ;
	log_warnx("sqlite %s: %s", what, sqlite3_errmsg(s->h));
	return MST_INTERNAL;
}

static int
sq_insert(struct db_backend *b, enum db_coll c, const char *doc, size_t len,
    char *id)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*st;
	yajl_val		 v;
	const char		*given;
	char			 sql[256], err[128];
	int			 rc;

	if ((v = json_parse(doc, len, DB_DOC_MAX, JSON_MAX_DEPTH, err,
	    sizeof(err))) == NULL || !YAJL_IS_OBJECT(v) || !num_finite(v)) {
		yajl_tree_free(v);
		return MST_BADREQ;
	}
	if (json_get(v, "_id") != NULL) {
		given = json_get_str(v, "_id");
		if (!db_id_ok(given)) {
			yajl_tree_free(v);
			return MST_BADREQ;
		}
		(void)strlcpy(id, given, DB_ID_LEN + 1);
	} else
		db_new_id(id);
	yajl_tree_free(v);
	(void)snprintf(sql, sizeof(sql), "INSERT INTO \"%s\" (id, doc) VALUES "
	    "(?1, json_remove(json(?2), '$._id'))", db_coll_name(c));
	if (sqlite3_prepare_v2(s->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_status(s, SQLITE_ERROR, "insert");
	(void)sqlite3_bind_text(st, 1, id, DB_ID_LEN, SQLITE_TRANSIENT);
	(void)sqlite3_bind_text(st, 2, doc, (int)len, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MST_OK : sq_status(s, rc, "insert");
}

/* The stored doc with "_id" put back as the first key, like MongoDB (doc
 * is minified JSON from json(), so it starts with '{'). */
#define DOC_EXPR "'{\"_id\":\"' || id || '\"' || " \
	"CASE WHEN doc = '{}' THEN '}' ELSE ',' || substr(doc, 2) END"

static int
sq_get(struct db_backend *b, enum db_coll c, const char *id, char **doc)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*st;
	char			 sql[256];
	int			 rc;

	*doc = NULL;
	if (!db_id_ok(id))
		return MST_NOTFOUND;
	(void)snprintf(sql, sizeof(sql), "SELECT " DOC_EXPR " FROM \"%s\" "
	    "WHERE id = ?1", db_coll_name(c));
	if (sqlite3_prepare_v2(s->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_status(s, SQLITE_ERROR, "get");
	(void)sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		*doc = t != NULL ? strdup(t) : NULL;
		sqlite3_finalize(st);
		return *doc != NULL ? MST_OK : MST_INTERNAL;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MST_NOTFOUND : sq_status(s, rc, "get");
}

static int
sq_find(struct db_backend *b, const struct db_query *q, db_doc_cb cb,
    void *arg)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*st;
	char			 sql[SQL_MAX], path[256];
	size_t			 n = 0;
	int			 rc, idx = 1;

	if (sql_add(sql, &n, "SELECT " DOC_EXPR " FROM \"%s\" WHERE 1",
	    db_coll_name(q->coll)) == -1 ||
	    where_conds(sql, &n, q->conds, q->nconds) == -1)
		return MST_BADREQ;
	if (q->sort != NULL) {
		if (json_path(q->sort, path, sizeof(path)) == -1 ||
		    sql_add(sql, &n, " ORDER BY json_extract(doc, '%s') %s, id",
		    path, q->desc ? "DESC" : "ASC") == -1)
			return MST_BADREQ;
	} else if (sql_add(sql, &n, " ORDER BY id %s",
	    q->desc ? "DESC" : "ASC") == -1)
		return MST_BADREQ;
	if (sql_add(sql, &n, " LIMIT ? OFFSET ?") == -1)
		return MST_BADREQ;
	if (sqlite3_prepare_v2(s->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_status(s, SQLITE_ERROR, "find");
	if (bind_conds(st, &idx, q->conds, q->nconds) == -1 ||
	    sqlite3_bind_int64(st, idx++, q->limit == 0 || q->limit > INT64_MAX ?
	    -1 : (sqlite3_int64)q->limit) != SQLITE_OK ||
	    sqlite3_bind_int64(st, idx, q->skip > INT64_MAX ? INT64_MAX :
	    (sqlite3_int64)q->skip) != SQLITE_OK) {
		sqlite3_finalize(st);
		return MST_INTERNAL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		int len = sqlite3_column_bytes(st, 0);

		if (t != NULL && cb(arg, t, (size_t)len) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MST_OK : sq_status(s, rc, "find");
}

static int
sq_count(struct db_backend *b, const struct db_query *q, uint64_t *out)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*st;
	char			 sql[SQL_MAX];
	size_t			 n = 0;
	int			 rc, idx = 1;

	*out = 0;
	if (sql_add(sql, &n, "SELECT count(*) FROM \"%s\" WHERE 1",
	    db_coll_name(q->coll)) == -1 ||
	    where_conds(sql, &n, q->conds, q->nconds) == -1)
		return MST_BADREQ;
	if (sqlite3_prepare_v2(s->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_status(s, SQLITE_ERROR, "count");
	if (bind_conds(st, &idx, q->conds, q->nconds) == -1) {
		sqlite3_finalize(st);
		return MST_INTERNAL;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? MST_OK : sq_status(s, rc, "count");
}

static int
sq_update(struct db_backend *b, enum db_coll c, const char *id,
    const struct db_cond *expect, size_t nexpect, const struct db_set *sets,
    size_t nsets, int *matched)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*st;
	char			 sql[SQL_MAX], path[256];
	size_t			 n = 0, i;
	int			 rc, idx = 1;

	*matched = 0;
	if (!db_id_ok(id))
		return MST_NOTFOUND;
	if (nsets == 0)
		return MST_BADREQ;
	for (i = 0; i < nsets; i++) {
		if (sets[i].json == NULL || sets[i].path == NULL ||
		    !value_ok(sets[i].json, strlen(sets[i].json)))
			return MST_BADREQ;
		/* Overlapping paths are an error (as in MongoDB). */
		for (size_t j = 0; j < i; j++) {
			size_t a = strlen(sets[i].path), b2 = strlen(sets[j].path);
			size_t k = a < b2 ? a : b2;

			if (strncmp(sets[i].path, sets[j].path, k) == 0 &&
			    (a == b2 || (a > b2 ? sets[i].path[k] :
			    sets[j].path[k]) == '.'))
				return MST_BADREQ;
		}
	}
	if (sql_add(sql, &n, "UPDATE \"%s\" SET doc = json_set(doc",
	    db_coll_name(c)) == -1)
		return MST_BADREQ;
	for (i = 0; i < nsets; i++)
		if (json_path(sets[i].path, path, sizeof(path)) == -1 ||
		    strcmp(sets[i].path, "_id") == 0 ||
		    strncmp(sets[i].path, "_id.", 4) == 0 ||
		    sql_add(sql, &n, ", '%s', json(?)", path) == -1)
			return MST_BADREQ;
	if (sql_add(sql, &n, ") WHERE id = ?") == -1 ||
	    where_conds(sql, &n, expect, nexpect) == -1)
		return MST_BADREQ;
	if (sqlite3_prepare_v2(s->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_status(s, SQLITE_ERROR, "update");
	for (i = 0; i < nsets; i++)
		(void)sqlite3_bind_text(st, idx++, sets[i].json, -1,
		    SQLITE_TRANSIENT);
	(void)sqlite3_bind_text(st, idx++, id, -1, SQLITE_TRANSIENT);
	if (bind_conds(st, &idx, expect, nexpect) == -1) {
		sqlite3_finalize(st);
		return MST_INTERNAL;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_ERROR ? MST_BADREQ :
		    sq_status(s, rc, "update");
	*matched = sqlite3_changes(s->h) > 0;
	return MST_OK;
}

static int
sq_remove(struct db_backend *b, enum db_coll c, const char *id, int *matched)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*st;
	char			 sql[128];
	int			 rc;

	*matched = 0;
	if (!db_id_ok(id))
		return MST_NOTFOUND;
	(void)snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE id = ?1",
	    db_coll_name(c));
	if (sqlite3_prepare_v2(s->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_status(s, SQLITE_ERROR, "remove");
	(void)sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_status(s, rc, "remove");
	*matched = sqlite3_changes(s->h) > 0;
	return MST_OK;
}

/*
 * One transaction of its own, or, inside one that begin() opened (an
 * import), a savepoint: a failed file then leaves the outer transaction
 * as it was.
 */
static int
sq_file_put(struct db_backend *b, int fd, uint64_t len, const char *filename,
    const char *ctype, const char *keep, char *id)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*fs = NULL, *cs = NULL;
	uint8_t			*buf;
	uint64_t		 off = 0;
	char			 now[32];
	int			 n = 0, rc = MST_INTERNAL, intx, step;

	if (keep != NULL && !db_id_ok(keep))
		return MST_BADREQ;
	if (len > INT64_MAX)
		return MST_BADREQ;
	if ((buf = malloc(CHUNK_SIZE)) == NULL)
		return MST_INTERNAL;
	if (keep != NULL)
		(void)strlcpy(id, keep, DB_ID_LEN + 1);
	else
		db_new_id(id);
	util_iso_time(util_wall_ms(), now, sizeof(now));
	/* From the start of a memfd; a pipe cannot seek and need not. */
	if (lseek(fd, 0, SEEK_SET) == -1 && errno != ESPIPE) {
		free(buf);
		return MST_BADREQ;
	}
	intx = !sqlite3_get_autocommit(s->h);
	if (exec_sql(s->h, intx ? "SAVEPOINT file_put" : "BEGIN IMMEDIATE",
	    NULL, 0) == -1)
		goto out;
	if (sqlite3_prepare_v2(s->h, "INSERT INTO files (id, filename, ctype, "
	    "length, uploaded) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &fs, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(s->h, "INSERT INTO chunks "
	    "(files_id, n, data) VALUES (?1, ?2, ?3)", -1, &cs, NULL) !=
	    SQLITE_OK)
		goto rollback;
	(void)sqlite3_bind_text(fs, 1, id, -1, SQLITE_TRANSIENT);
	(void)sqlite3_bind_text(fs, 2, filename, -1, SQLITE_TRANSIENT);
	(void)sqlite3_bind_text(fs, 3, ctype, -1, SQLITE_TRANSIENT);
	(void)sqlite3_bind_int64(fs, 4, (sqlite3_int64)len);
	(void)sqlite3_bind_text(fs, 5, now, -1, SQLITE_TRANSIENT);
	if ((step = sqlite3_step(fs)) != SQLITE_DONE) {
		/* keep names a file that exists. */
		if (step == SQLITE_CONSTRAINT_PRIMARYKEY)
			rc = MST_BADREQ;
		goto rollback;
	}
	while (off < len) {
		size_t	want = len - off < CHUNK_SIZE ? (size_t)(len - off) :
			    CHUNK_SIZE;
		size_t	got = 0;

		while (got < want) {
			ssize_t r = read(fd, buf + got, want - got);

			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0) {
				log_warnx("file.put: short read");
				rc = MST_BADREQ;
				goto rollback;
			}
			got += (size_t)r;
		}
		(void)sqlite3_reset(cs);
		(void)sqlite3_bind_text(cs, 1, id, -1, SQLITE_TRANSIENT);
		(void)sqlite3_bind_int(cs, 2, n++);
		(void)sqlite3_bind_blob(cs, 3, buf, (int)want, SQLITE_STATIC);
		if (sqlite3_step(cs) != SQLITE_DONE)
			goto rollback;
		off += want;
	}
	if (exec_sql(s->h, intx ? "RELEASE file_put" : "COMMIT", NULL, 0) ==
	    -1)
		goto rollback;
	rc = MST_OK;
	goto out;
 rollback:
	if (rc == MST_INTERNAL)
		log_warnx("file.put: %s", sqlite3_errmsg(s->h));
	(void)exec_sql(s->h, intx ? "ROLLBACK TO file_put; RELEASE file_put" :
	    "ROLLBACK", NULL, 0);
 out:
	sqlite3_finalize(fs);
	sqlite3_finalize(cs);
	free(buf);
	return rc;
}

static int
sq_file_get(struct db_backend *b, const char *id, int *fdp, uint64_t *lenp,
    char **filename, char **ctype)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*st = NULL;
	uint64_t		 len = 0, have = 0;
	int			 fd = -1, rc;

	*fdp = -1;
	*filename = *ctype = NULL;
	if (!db_id_ok(id))
		return MST_NOTFOUND;
	if (sqlite3_prepare_v2(s->h, "SELECT filename, ctype, length FROM "
	    "files WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return sq_status(s, SQLITE_ERROR, "file.get");
	(void)sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? MST_NOTFOUND :
		    sq_status(s, rc, "file.get");
	}
	*filename = strdup((const char *)sqlite3_column_text(st, 0));
	*ctype = strdup((const char *)sqlite3_column_text(st, 1));
	len = (uint64_t)sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	if (*filename == NULL || *ctype == NULL ||
	    (fd = memfd_create("file", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		goto fail;
	if (sqlite3_prepare_v2(s->h, "SELECT data FROM chunks WHERE "
	    "files_id = ?1 ORDER BY n", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	(void)sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *d = sqlite3_column_blob(st, 0);
		int dl = sqlite3_column_bytes(st, 0);

		if (dl > 0 && util_write_all(fd, d, (size_t)dl) == -1)
			goto fail;
		have += (uint64_t)dl;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE || have != len) {
		log_warnx("file %s: %llu bytes stored, %llu expected", id,
		    (unsigned long long)have, (unsigned long long)len);
		goto fail;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		goto fail;
	*fdp = fd;
	*lenp = len;
	return MST_OK;
 fail:
	sqlite3_finalize(st);
	if (fd != -1)
		(void)close(fd);
	free(*filename);
	free(*ctype);
	*filename = *ctype = NULL;
	return MST_INTERNAL;
}

static int
sq_file_list(struct db_backend *b, db_file_cb cb, void *arg)
{
	struct sqlite_be	*s = (struct sqlite_be *)b;
	sqlite3_stmt		*st;
	int			 rc;

	if (sqlite3_prepare_v2(s->h, "SELECT id, filename, ctype, length "
	    "FROM files ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return sq_status(s, SQLITE_ERROR, "file.list");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char	*id = (const char *)sqlite3_column_text(st, 0);
		const char	*fn = (const char *)sqlite3_column_text(st, 1);
		const char	*ct = (const char *)sqlite3_column_text(st, 2);
		sqlite3_int64	 len = sqlite3_column_int64(st, 3);

		if (id == NULL || fn == NULL || ct == NULL || len < 0) {
			sqlite3_finalize(st);
			log_warnx("file.list: a malformed row in files");
			return MST_INTERNAL;
		}
		if (cb(arg, id, fn, ct, (uint64_t)len) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MST_OK : sq_status(s, rc, "file.list");
}

/* A deferred BEGIN: in WAL mode its first read fixes the snapshot and
 * writers of other connections go on. */
static int
sq_begin(struct db_backend *b, int write)
{
	struct sqlite_be *s = (struct sqlite_be *)b;

	if (exec_sql(s->h, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, 0) ==
	    -1)
		return sq_status(s, SQLITE_ERROR, "begin");
	return MST_OK;
}

static int
sq_end(struct db_backend *b, int commit)
{
	struct sqlite_be *s = (struct sqlite_be *)b;

	if (sqlite3_get_autocommit(s->h))
		return MST_BADREQ;	/* no transaction open */
	if (commit) {
		if (exec_sql(s->h, "COMMIT", NULL, 0) == 0)
			return MST_OK;
		(void)sq_status(s, SQLITE_ERROR, "commit");
	}
	(void)exec_sql(s->h, "ROLLBACK", NULL, 0);
	return commit ? MST_INTERNAL : MST_OK;
}

static void
sq_close(struct db_backend *b)
{
	struct sqlite_be *s = (struct sqlite_be *)b;

	if (s == NULL)
		return;
	(void)sqlite3_close_v2(s->h);
	free(s);
}

struct db_backend *
db_sqlite_open(const char *path, char *err, size_t errlen)
{
	struct sqlite_be	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->b.name = "sqlite";
	s->b.insert = sq_insert;
	s->b.get = sq_get;
	s->b.find = sq_find;
	s->b.count = sq_count;
	s->b.update = sq_update;
	s->b.remove = sq_remove;
	s->b.file_put = sq_file_put;
	s->b.file_get = sq_file_get;
	s->b.file_list = sq_file_list;
	s->b.begin = sq_begin;
	s->b.end = sq_end;
	s->b.close = sq_close;
	if (sqlite3_open_v2(path, &s->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK) {
		(void)snprintf(err, errlen, "%s: %s", path,
		    s->h != NULL ? sqlite3_errmsg(s->h) : "out of memory");
		sq_close(&s->b);
		return NULL;
	}
	(void)sqlite3_extended_result_codes(s->h, 1);
	if (exec_sql(s->h, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA trusted_schema = ON;", err, errlen) == -1 ||
	    sqlite3_busy_timeout(s->h, 5000) != SQLITE_OK ||
	    migrate(s->h, err, errlen) == -1) {
		sq_close(&s->b);
		return NULL;
	}
	return &s->b;
}
