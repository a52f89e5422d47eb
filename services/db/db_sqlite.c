/*
 * db_sqlite.c - SQLite backend of the db service (the embedded default).
 *
 * One file, WAL journal, foreign keys on, busy timeout, temp data in
 * memory (the jail has no /tmp).  synchronous=NORMAL: with WAL a power
 * loss can lose the last transactions but never corrupts the file; set
 * MUPIF_DB_SYNC_FULL in a later issue if that trade is wrong for a site.
 * Schema changes are numbered migrations recorded in PRAGMA user_version
 * and applied in one transaction at start.
 *
 * Documents keep mupifDB's field names (spec/rest-api.md section 2) and
 * are stored as JSON text, validated by the typed readers before they get
 * here; the fields that are filtered on are copied by the C code into
 * plain indexed columns.  trusted_schema is off, and SQLite 3.40 treats
 * its JSON functions as unsafe in a schema, so there are no JSON checks or
 * generated columns: validation lives in C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "msg_types.h"
#include "banned.h"

struct db {
	sqlite3	*h;
};

static const char *const migrations[] = {
	/* 1: the first slice: Settings and WorkflowExecutions. */
	"CREATE TABLE Settings ("
	"  id TEXT PRIMARY KEY,"
	"  doc TEXT NOT NULL);"
	"CREATE TABLE WorkflowExecutions ("
	"  id TEXT PRIMARY KEY CHECK (length(id) = 24),"
	"  doc TEXT NOT NULL,"
	"  Status TEXT NOT NULL DEFAULT 'Created',"
	"  WorkflowID TEXT,"
	"  SubmittedDate TEXT);"
	"CREATE INDEX WorkflowExecutions_Status"
	"  ON WorkflowExecutions (Status, SubmittedDate);"
	"CREATE INDEX WorkflowExecutions_WorkflowID"
	"  ON WorkflowExecutions (WorkflowID);"
	/* The seed of mupifDB's GET /api/database/maybe_init. */
	"INSERT INTO Settings (id, doc) VALUES ('settings', json_object("
	"  'projectName', 'TEST', 'projectLogoUrl',"
	"  'https://raw.githubusercontent.com/mupif/mupifDB/"
	"bd297a4a719336cd9672cfe73f31f7cbe2b4e029/webapi/static/images/"
	"mupif-logo.png'));",
};

static const char *const statuses[] = {
	"Created", "Pending", "Scheduled", "Running", "Finished", "Failed",
};

static int
exec_sql(sqlite3 *h, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
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
		(void)exec_sql(h, "ROLLBACK", err, 0);
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

struct db *
db_sqlite_open(const char *path, char *err, size_t errlen)
{
	struct db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK) {
		(void)snprintf(err, errlen, "%s: %s", path,
		    db->h != NULL ? sqlite3_errmsg(db->h) : "out of memory");
		db_sqlite_close(db);
		return NULL;
	}
	(void)sqlite3_extended_result_codes(db->h, 1);
	if (exec_sql(db->h, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA trusted_schema = OFF;", err, errlen) == -1 ||
	    sqlite3_busy_timeout(db->h, 5000) != SQLITE_OK ||
	    migrate(db->h, err, errlen) == -1) {
		db_sqlite_close(db);
		return NULL;
	}
	return db;
}

void
db_sqlite_close(struct db *db)
{
	if (db == NULL)
		return;
	(void)sqlite3_close_v2(db->h);
	free(db);
}

int
db_exec_count(struct db *db, yajl_gen g)
{
	sqlite3_stmt	*st;
	long long	 counts[6] = { 0 }, total = 0;
	size_t		 i;
	int		 rc;

	if (sqlite3_prepare_v2(db->h, "SELECT Status, COUNT(*) FROM "
	    "WorkflowExecutions GROUP BY Status", -1, &st, NULL) != SQLITE_OK) {
		log_warnx("count: %s", sqlite3_errmsg(db->h));
		return MST_INTERNAL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		long long n = sqlite3_column_int64(st, 1);

		total += n;
		for (i = 0; s != NULL && i < 6; i++)
			if (strcmp(s, statuses[i]) == 0)
				counts[i] += n;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("count: %s", sqlite3_errmsg(db->h));
		return MST_INTERNAL;
	}
	(void)yajl_gen_map_open(g);
	for (i = 0; i < 6; i++)
		json_gen_kv_int(g, statuses[i], counts[i]);
	json_gen_kv_int(g, "total", total);
	(void)yajl_gen_map_close(g);
	return MST_OK;
}

int
db_settings_get(struct db *db, yajl_gen g)
{
	sqlite3_stmt	*st;
	const char	*doc;
	int		 rc, status = MST_OK;

	if (sqlite3_prepare_v2(db->h, "SELECT doc FROM Settings ORDER BY "
	    "rowid LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return MST_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		doc = (const char *)sqlite3_column_text(st, 0);
		/* Stored documents were validated on the way in. */
		if (doc == NULL || yajl_gen_number(g, doc, strlen(doc)) !=
		    yajl_gen_status_ok)
			status = MST_INTERNAL;
	} else if (rc == SQLITE_DONE)
		status = MST_NOTFOUND;
	else
		status = MST_INTERNAL;
	sqlite3_finalize(st);
	return status;
}

int
db_settings_put(struct db *db, yajl_val doc, const char *text, size_t len,
    yajl_gen g)
{
	static const char *const allowed[] = {
		"projectName", "projectLogoUrl", "webUrl", "projectAbout",
		NULL,
	};
	sqlite3_stmt	*st;
	const char	*bad;
	size_t		 i;
	int		 rc;

	if (json_only_keys(doc, allowed, &bad) == -1)
		return MST_BADREQ;
	for (i = 0; i < doc->u.object.len; i++)
		if (!YAJL_IS_STRING(doc->u.object.values[i]))
			return MST_BADREQ;
	if (sqlite3_prepare_v2(db->h, "INSERT INTO Settings (id, doc) "
	    "VALUES ('settings', ?1) ON CONFLICT (id) DO UPDATE SET "
	    "doc = excluded.doc", -1, &st, NULL) != SQLITE_OK)
		return MST_INTERNAL;
	(void)sqlite3_bind_text(st, 1, text, (int)len, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("settings.put: %s", sqlite3_errmsg(db->h));
		return MST_INTERNAL;
	}
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "ok");
	(void)yajl_gen_bool(g, 1);
	(void)yajl_gen_map_close(g);
	return MST_OK;
}
