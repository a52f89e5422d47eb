/*
 * db.h - the db service: the only process that touches the database.
 *
 * Two layers.  db_ops.c holds one typed reader per broker operation
 * (payload validated: types, lengths, allowed field names) and the logic
 * of each operation (mupifDB's semantics, spec/rest-api.md sections 2, 4
 * and 5).  Below it, a backend stores documents in named collections with
 * a handful of primitives: insert, get by id, find by equality with sort and
 * pagination, compare-and-set of fields, remove, count, files (put, get,
 * list), and on SQLite transactions (for import).  The SQLite
 * backend (db_sqlite.c) is the embedded default; the MongoDB backend
 * (db_mongo.c) keeps mupifDB's database layout.  Both pass one conformance
 * suite of primitives (tests/unit/test_db_backend.c) and one of
 * operations (tests/unit/test_db_ops.c).
 *
 * Documents cross this interface as JSON text whose "_id" is a 24-hex
 * string, so callers cannot tell the backends apart.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

#include "util.h"

#define DB_ID_LEN	24		/* hex chars of an ObjectId */
#define DB_DOC_MAX	(1024 * 1024)	/* one stored document */

/* Collections, with mupifDB's names. */
#define DB_COLL_TABLE(X)				\
	X(DC_USECASES,		"UseCases")		\
	X(DC_WORKFLOWS,		"Workflows")		\
	X(DC_HISTORY,		"WorkflowsHistory")	\
	X(DC_EXECUTIONS,	"WorkflowExecutions")	\
	X(DC_IODATA,		"IOData")		\
	X(DC_SETTINGS,		"Settings")		\
	X(DC_STAT,		"Stat")			\
	X(DC_LOGS,		"Logs")			\
	X(DC_USERS,		"user")			\
	X(DC_SESSIONS,		"session")

enum db_coll {
#define X(id, name) id,
	DB_COLL_TABLE(X)
#undef X
	DC_COUNT
};

const char	*db_coll_name(enum db_coll);

/* Equality on one field (dotted path allowed); a NULL string means JSON
 * null. */
enum db_vtype { DV_STR, DV_INT, DV_NULL };

struct db_cond {
	const char	*field;
	enum db_vtype	 type;
	const char	*s;
	long long	 i;
};

struct db_query {
	enum db_coll		 coll;
	const struct db_cond	*conds;
	size_t			 nconds;
	const char		*sort;		/* field, NULL = _id */
	int			 desc;
	uint64_t		 skip;
	uint64_t		 limit;		/* 0 = no limit */
};

/* One field to set: path (dotted) and its new value as JSON text. */
struct db_set {
	const char	*path;
	const char	*json;
};

/* Called for each document found, in order; non-zero stops the search. */
typedef int (*db_doc_cb)(void *arg, const char *json, size_t len);

/* Called for each stored file (strings borrowed for the call), in
 * ascending id order; non-zero stops the listing. */
typedef int (*db_file_cb)(void *arg, const char *id, const char *filename,
    const char *ctype, uint64_t len);

/*
 * Backend primitives.  Every function returns an MST_* status (msg_types.h):
 * MST_OK, MST_NOTFOUND, MST_BADREQ (e.g. duplicate key), MST_INTERNAL.
 * JSON results are heap strings the caller frees.
 */
struct db_backend {
	const char	*name;
	/* Insert doc (a JSON object, without "_id" or with a 24-hex one);
	 * the new id is written to id (DB_ID_LEN + 1 bytes). */
	int	(*insert)(struct db_backend *, enum db_coll, const char *doc,
		    size_t len, char *id);
	int	(*get)(struct db_backend *, enum db_coll, const char *id,
		    char **doc);
	/* First document matching all conditions (sort/skip honoured). */
	int	(*find)(struct db_backend *, const struct db_query *,
		    db_doc_cb, void *arg);
	int	(*count)(struct db_backend *, const struct db_query *,
		    uint64_t *n);
	/* Set fields of document id if every expect condition holds, in one
	 * atomic step; *matched is 1 if it was changed, 0 if not. */
	int	(*update)(struct db_backend *, enum db_coll, const char *id,
		    const struct db_cond *expect, size_t nexpect,
		    const struct db_set *sets, size_t nsets, int *matched);
	int	(*remove)(struct db_backend *, enum db_coll, const char *id,
		    int *matched);
	/* Files: bytes from fd (len of them), filename and content type
	 * kept, under a new id or, if keep is not NULL, under that 24-hex
	 * id (import: MST_BADREQ if a file has it already); the id is
	 * written to id.  file_get returns a sealed memfd the caller owns. */
	int	(*file_put)(struct db_backend *, int fd, uint64_t len,
		    const char *filename, const char *ctype, const char *keep,
		    char *id);
	int	(*file_get)(struct db_backend *, const char *id, int *fd,
		    uint64_t *len, char **filename, char **ctype);
	/* Every file's id, filename, content type and length. */
	int	(*file_list)(struct db_backend *, db_file_cb, void *arg);
	/*
	 * begin(b, 1) makes the writes up to end(b, 1) one transaction
	 * (end(b, 0) undoes them all); begin(b, 0) makes the reads up to
	 * end() see one snapshot.  NULL on a backend without transactions
	 * (MongoDB: a standalone server has none).  Not nested.
	 */
	int	(*begin)(struct db_backend *, int write);
	int	(*end)(struct db_backend *, int commit);
	void	(*close)(struct db_backend *);
};

/* Backends.  NULL with a message in err on failure. */
struct db_backend	*db_sqlite_open(const char *path, char *err,
			    size_t errlen);
struct db_backend	*db_mongo_open(const char *uri, const char *dbname,
			    char *err, size_t errlen);

/* A fresh ObjectId-like id (time, random, counter) as 24 hex chars. */
void	 db_new_id(char *id);
/* Is s a 24-hex id (lower case)? */
int	 db_id_ok(const char *s);
/* Is p a field path the backends accept: components of [A-Za-z0-9_]
 * joined by '.', all-digit components indexing arrays?  (db_util.c) */
int	 db_path_ok(const char *p);

/*
 * Typed operations (db_ops.c).  Run operation type with payload req on
 * backend b; the answer (JSON) is generated into g.  fd_in is a descriptor
 * that came with the request (file.put) or -1; *fd_out receives one to
 * send back (file.get) or stays -1.  Returns MST_*; on failure a short
 * reason is in err ("detail" for the API layer).
 */
/* The largest file file.put accepts (default 256 MiB). */
void	 db_set_file_max(uint64_t);
int	 db_dispatch(struct db_backend *b, unsigned type, const void *req,
	    size_t reqlen, int fd_in, int *fd_out, yajl_gen g, char *err,
	    size_t errlen);

/*
 * Moving data between backends (db_export.c): the JSON-lines format is
 * described there.  db_export writes the whole database to fd;
 * db_import reads an export from fd (db_import_mem: from memory) into
 * the database.  0, or -1 with a message in err that names the input
 * line and says whether anything was written.  st (may be NULL) receives
 * the number of documents and files exported or imported.
 */
struct db_xstats {
	uint64_t	docs;
	uint64_t	files;
};

int	 db_export(struct db_backend *, int fd, struct db_xstats *st,
	    char *err, size_t errlen) WUR;
int	 db_import(struct db_backend *, int fd, struct db_xstats *st,
	    char *err, size_t errlen) WUR;
int	 db_import_mem(struct db_backend *, const void *, size_t,
	    struct db_xstats *st, char *err, size_t errlen) WUR;

/* Seed the database like mupifDB's maybe_init: Settings, the Demo use
 * case and Stat, each when its collection is empty.  1 if anything was
 * seeded, 0 if not, -1 on error. */
int	 db_seed(struct db_backend *, char *err, size_t errlen);

#endif /* DB_H */
