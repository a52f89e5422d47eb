/*
 * ns_store.c - the nameserver's registrations in pyro5-ns's SQL format
 * (spec/pyro-nameserver.md section 7), mirrored in memory.
 *
 * The file keeps exactly pyro5-ns's schema and write pattern (delete the
 * old rows, insert the name row with a new id, one row per metadata
 * string; rollback journal), so pyro5-ns can open a file we wrote and we
 * open one it wrote, including the migration of old Pyro4 files without
 * pyro_metadata.  Reads never touch SQLite: the whole table is loaded at
 * start into an id-ordered array with a hash index, and every write goes
 * to SQLite first and to memory only when the transaction committed.
 * This process is the only writer of its file (it lives in our jail).
 *
 * Trust: names, URIs and metadata are client strings, validated and
 * length-capped by ns_methods.c before they get here; SQLite sees them
 * only as bound parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "nameserver.h"
#include "banned.h"

static const char schema[] =
    "CREATE TABLE pyro_names\n"
    "            (\n"
    "                id integer PRIMARY KEY,\n"
    "                name nvarchar NOT NULL UNIQUE,\n"
    "                uri nvarchar NOT NULL\n"
    "            );";
static const char schema_meta[] =
    "CREATE TABLE pyro_metadata\n"
    "            (\n"
    "                object integer NOT NULL,\n"
    "                metadata nvarchar NOT NULL,\n"
    "                FOREIGN KEY(object) REFERENCES pyro_names(id)\n"
    "            );";

static uint64_t
hash_name(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
ent_free(struct ns_ent *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nmeta; i++)
		free(e->meta[i]);
	free(e->meta);
	free(e->metalen);
	free(e->name);
	free(e->uri);
	free(e);
}

static char *
dupmem(const char *p, size_t n)
{
	char *d;

	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

/* Rebuild the hash index (after a removal or when it grows). */
static int
rehash(struct ns_store *st)
{
	size_t	 cap = 64, i, h;
	size_t	*t;

	while (cap < st->n * 2 + 2)
		cap *= 2;
	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return -1;
	for (i = 0; i < st->n; i++) {
		h = (size_t)hash_name(st->ents[i]->name, st->ents[i]->namelen) &
		    (cap - 1);
		while (t[h] != 0)
			h = (h + 1) & (cap - 1);
		t[h] = i + 1;
	}
	free(st->hash);
	st->hash = t;
	st->hcap = cap;
	return 0;
}

struct ns_ent *
store_find(const struct ns_store *st, const char *name, size_t n)
{
	size_t		 h;
	struct ns_ent	*e;

	if (st->hcap == 0)
		return NULL;
	h = (size_t)hash_name(name, n) & (st->hcap - 1);
	while (st->hash[h] != 0) {
		e = st->ents[st->hash[h] - 1];
		if (e->namelen == n && memcmp(e->name, name, n) == 0)
			return e;
		h = (h + 1) & (st->hcap - 1);
	}
	return NULL;
}

struct ns_ent *
store_find_id(const struct ns_store *st, int64_t id)
{
	size_t lo = 0, hi = st->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (st->ents[mid]->id == id)
			return st->ents[mid];
		if (st->ents[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Append e (the newest id) to the array and the index. */
static int
mem_append(struct ns_store *st, struct ns_ent *e)
{
	struct ns_ent	**ne;
	size_t		  h;

	if (st->n == st->cap) {
		size_t ncap = st->cap == 0 ? 64 : st->cap * 2;

		if ((ne = reallocarray(st->ents, ncap, sizeof(*ne))) == NULL)
			return -1;
		st->ents = ne;
		st->cap = ncap;
	}
	st->ents[st->n++] = e;
	if (st->n * 2 + 2 > st->hcap)
		return rehash(st);
	h = (size_t)hash_name(e->name, e->namelen) & (st->hcap - 1);
	while (st->hash[h] != 0)
		h = (h + 1) & (st->hcap - 1);
	st->hash[h] = st->n;
	return 0;
}

/* Remove the entries flagged in gone[] (by index) from memory. */
static void
mem_remove(struct ns_store *st, const uint8_t *gone)
{
	size_t i, k = 0;

	for (i = 0; i < st->n; i++) {
		if (gone[i])
			ent_free(st->ents[i]);
		else
			st->ents[k++] = st->ents[i];
	}
	st->n = k;
	if (rehash(st) == -1)
		fatalx("out of memory rebuilding the name index");
}

static int
exec1(struct ns_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		(void)snprintf(st->err, sizeof(st->err), "%s",
		    msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
table_ok(struct ns_store *st, const char *table)
{
	sqlite3_stmt	*s;
	char		 sql[80];
	int		 rc;

	(void)snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW;
}

/* Create or migrate the schema as SqlStorage.__init__ does. */
static int
init_schema(struct ns_store *st)
{
	if (exec1(st, "PRAGMA foreign_keys=ON") == -1 ||
	    exec1(st, "BEGIN") == -1)
		return -1;
	if (!table_ok(st, "pyro_names")) {
		if (exec1(st, schema) == -1 || exec1(st, schema_meta) == -1)
			goto bad;
	} else if (!table_ok(st, "pyro_metadata")) {
		log_info("migrating an old nameserver file (no metadata)");
		if (exec1(st, "ALTER TABLE pyro_names RENAME TO "
		    "pyro_names_old") == -1 || exec1(st, schema) == -1 ||
		    exec1(st, schema_meta) == -1 ||
		    exec1(st, "INSERT INTO pyro_names(name, uri) SELECT name, "
		    "uri FROM pyro_names_old") == -1 ||
		    exec1(st, "DROP TABLE pyro_names_old") == -1)
			goto bad;
	}
	if (exec1(st, "COMMIT") == -1)
		goto bad;
	return 0;
bad:
	(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
add_meta(struct ns_ent *e, const char *m, size_t n)
{
	char	**nm;
	size_t	 *nl;

	if ((nm = reallocarray(e->meta, e->nmeta + 1, sizeof(*nm))) == NULL)
		return -1;
	e->meta = nm;
	if ((nl = reallocarray(e->metalen, e->nmeta + 1, sizeof(*nl))) == NULL)
		return -1;
	e->metalen = nl;
	if ((e->meta[e->nmeta] = dupmem(m, n)) == NULL)
		return -1;
	e->metalen[e->nmeta++] = n;
	return 0;
}

static int
load(struct ns_store *st)
{
	sqlite3_stmt	*s;
	struct ns_ent	*e = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(st->db, "SELECT n.id, n.name, n.uri, "
	    "m.metadata FROM pyro_names n LEFT JOIN pyro_metadata m ON "
	    "m.object = n.id ORDER BY n.id, m.rowid", -1, &s, NULL) !=
	    SQLITE_OK) {
		(void)snprintf(st->err, sizeof(st->err), "%s",
		    sqlite3_errmsg(st->db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t		 id = sqlite3_column_int64(s, 0);
		const char	*name = (const char *)sqlite3_column_text(s, 1);
		size_t		 nl = (size_t)sqlite3_column_bytes(s, 1);
		const char	*uri = (const char *)sqlite3_column_text(s, 2);
		size_t		 ul = (size_t)sqlite3_column_bytes(s, 2);

		if (e == NULL || e->id != id) {
			if (name == NULL || uri == NULL)
				continue;
			if ((e = calloc(1, sizeof(*e))) == NULL ||
			    (e->name = dupmem(name, nl)) == NULL ||
			    (e->uri = dupmem(uri, ul)) == NULL ||
			    mem_append(st, e) == -1) {
				ent_free(e);
				goto oom;
			}
			e->id = id;
			e->namelen = nl;
			e->urilen = ul;
		}
		if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
			const char *m = (const char *)sqlite3_column_text(s, 3);
			size_t ml = (size_t)sqlite3_column_bytes(s, 3), i;
			int dup = 0;

			/* A set: a repeated row counts once. */
			for (i = 0; i < e->nmeta; i++)
				if (e->metalen[i] == ml &&
				    memcmp(e->meta[i], m, ml) == 0)
					dup = 1;
			if (!dup && m != NULL && add_meta(e, m, ml) == -1)
				goto oom;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		(void)snprintf(st->err, sizeof(st->err), "%s",
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
oom:
	sqlite3_finalize(s);
	(void)snprintf(st->err, sizeof(st->err), "out of memory");
	return -1;
}

int
store_open(struct ns_store *st, const char *path, size_t max_entries,
    char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->max_entries = max_entries;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		(void)snprintf(err, errlen, "%s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return -1;
	}
	/* Nothing may load code or spill to temp files (no /tmp here). */
	(void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
	    0, NULL);
	(void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
	    NULL);
	(void)sqlite3_busy_timeout(st->db, 2000);
	if (exec1(st, "PRAGMA temp_store=MEMORY") == -1 ||
	    init_schema(st) == -1 || load(st) == -1 || rehash(st) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, st->err);
		store_close(st);
		return -1;
	}
	return 0;
}

void
store_close(struct ns_store *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		ent_free(st->ents[i]);
	free(st->ents);
	free(st->hash);
	if (st->db != NULL)
		(void)sqlite3_close(st->db);
	memset(st, 0, sizeof(*st));
}

static int
bind_exec(struct ns_store *st, const char *sql, int64_t id,
    const char *t1, size_t l1, const char *t2, size_t l2)
{
	sqlite3_stmt	*s;
	int		 rc, i = 1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (id >= 0)
		(void)sqlite3_bind_int64(s, i++, id);
	if (t1 != NULL)
		(void)sqlite3_bind_text(s, i++, t1, (int)l1, SQLITE_STATIC);
	if (t2 != NULL)
		(void)sqlite3_bind_text(s, i++, t2, (int)l2, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_set(struct ns_store *st, const char *name, size_t nl, const char *uri,
    size_t ul, const char *const *meta, const size_t *metalen, size_t nmeta)
{
	struct ns_ent	*old, *e;
	uint8_t		*gone = NULL;
	size_t		 i;

	old = store_find(st, name, nl);
	if (old == NULL && st->n >= st->max_entries) {
		(void)snprintf(st->err, sizeof(st->err), "too many "
		    "registrations (the limit is %zu)", st->max_entries);
		return -1;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->name = dupmem(name, nl)) == NULL ||
	    (e->uri = dupmem(uri, ul)) == NULL)
		goto oom;
	e->namelen = nl;
	e->urilen = ul;
	for (i = 0; i < nmeta; i++)
		if (add_meta(e, meta[i], metalen[i]) == -1)
			goto oom;
	if (exec1(st, "BEGIN IMMEDIATE") == -1)
		goto sqlerr;
	if (old != NULL &&
	    (bind_exec(st, "DELETE FROM pyro_metadata WHERE object=?",
	    old->id, NULL, 0, NULL, 0) == -1 ||
	    bind_exec(st, "DELETE FROM pyro_names WHERE id=?", old->id,
	    NULL, 0, NULL, 0) == -1))
		goto rollback;
	if (bind_exec(st, "INSERT INTO pyro_names(name, uri) VALUES(?,?)",
	    -1, name, nl, uri, ul) == -1)
		goto rollback;
	e->id = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < nmeta; i++)
		if (bind_exec(st, "INSERT INTO pyro_metadata(object, metadata) "
		    "VALUES (?,?)", e->id, meta[i], metalen[i], NULL, 0) == -1)
			goto rollback;
	if (exec1(st, "COMMIT") == -1)
		goto rollback;
	/* Committed: now memory.  The new id is the largest, so the entry
	 * goes to the end, exactly where pyro5-ns's list() puts it. */
	if (old != NULL) {
		if ((gone = calloc(st->n, 1)) == NULL)
			fatalx("out of memory");
		for (i = 0; i < st->n; i++)
			gone[i] = st->ents[i] == old;
		mem_remove(st, gone);
		free(gone);
	}
	if (mem_append(st, e) == -1)
		fatalx("out of memory adding a registration");
	return 0;
rollback:
	(void)snprintf(st->err, sizeof(st->err), "sqlite error in setitem: %s",
	    sqlite3_errmsg(st->db));
	(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	ent_free(e);
	return -1;
sqlerr:
	{
		char tmp[200];

		(void)snprintf(tmp, sizeof(tmp), "%.199s", st->err);
		(void)snprintf(st->err, sizeof(st->err),
		    "sqlite error in setitem: %s", tmp);
	}
	ent_free(e);
	return -1;
oom:
	ent_free(e);
	(void)snprintf(st->err, sizeof(st->err), "out of memory");
	return -1;
}

long
store_delete(struct ns_store *st, struct ns_ent *const *list, size_t n)
{
	uint8_t	*gone;
	size_t	 i, j;
	long	 count = 0;

	if (n == 0)
		return 0;
	if (exec1(st, "BEGIN IMMEDIATE") == -1) {
		char tmp[200];

		(void)snprintf(tmp, sizeof(tmp), "%.199s", st->err);
		(void)snprintf(st->err, sizeof(st->err),
		    "sqlite error in delitem: %s", tmp);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (bind_exec(st, "DELETE FROM pyro_metadata WHERE object=?",
		    list[i]->id, NULL, 0, NULL, 0) == -1 ||
		    bind_exec(st, "DELETE FROM pyro_names WHERE id=?",
		    list[i]->id, NULL, 0, NULL, 0) == -1)
			goto rollback;
	if (exec1(st, "COMMIT") == -1)
		goto rollback;
	if ((gone = calloc(st->n, 1)) == NULL)
		fatalx("out of memory");
	for (j = 0; j < n; j++)
		list[j]->doomed = 1;
	for (i = 0; i < st->n; i++)
		if (st->ents[i]->doomed) {
			gone[i] = 1;
			count++;
		}
	mem_remove(st, gone);
	free(gone);
	return count;
rollback:
	(void)snprintf(st->err, sizeof(st->err), "sqlite error in delitem: %s",
	    sqlite3_errmsg(st->db));
	(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
