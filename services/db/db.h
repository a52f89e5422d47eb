/*
 * db.h - the db service: the only process that touches the database.
 * One typed handler per broker operation; the storage backend behind them
 * (SQLite now, MongoDB in the data-layer issue).
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

struct db;

/* Open (creating and migrating) the SQLite database at path. */
struct db	*db_sqlite_open(const char *path, char *err, size_t errlen);
void		 db_sqlite_close(struct db *);

/* Each writes its JSON answer into g and returns an MST_* status. */
int	db_exec_count(struct db *, yajl_gen g);
int	db_settings_get(struct db *, yajl_gen g);
int	db_settings_put(struct db *, yajl_val doc, const char *text,
	    size_t len, yajl_gen g);

#endif /* DB_H */
