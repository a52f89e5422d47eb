/*
 * fuzz_dbimport.c - libFuzzer harness for db_import() (services/db/
 * db_export.c), the reader of `mupif-central db import`, run against a
 * real in-memory SQLite backend made fresh for every input.
 *
 * Input: the bytes of an export (JSON lines).  Properties: a refused
 * input has a message and leaves the database empty (the check pass and
 * the transaction: nothing is written); an accepted one exports, and that
 * export imported into a second fresh database exports to the same bytes
 * (canonical and lossless).  The exports go to memfds: memory, no file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "msg_types.h"

#define INPUT_MAX	(512 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
count_file(void *arg, const char *id, const char *fn, const char *ct,
    uint64_t len)
{
	(void)id;
	(void)fn;
	(void)ct;
	(void)len;
	(*(size_t *)arg)++;
	return 0;
}

static int
is_empty(struct db_backend *b)
{
	struct db_query	q;
	uint64_t	n;
	size_t		files = 0;
	int		c;

	for (c = 0; c < DC_COUNT; c++) {
		memset(&q, 0, sizeof(q));
		q.coll = (enum db_coll)c;
		if (b->count(b, &q, &n) != MST_OK || n != 0)
			return 0;
	}
	return b->file_list(b, count_file, &files) == MST_OK && files == 0;
}

/* The export of b (heap, caller frees), or abort. */
static char *
export_of(struct db_backend *b, size_t *len)
{
	char	 err[512], *out;
	int	 fd;

	if ((fd = memfd_create("export", MFD_CLOEXEC)) == -1 ||
	    db_export(b, fd, NULL, err, sizeof(err)) != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0 ||
	    util_read_fd(fd, 64 * 1024 * 1024, &out, len) != 0)
		abort();
	(void)close(fd);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db_backend	*a, *b;
	struct db_xstats	 st;
	char			 err[1024], *ea, *eb;
	size_t			 la, lb;

	if (size > INPUT_MAX)
		return 0;
	log_init(NULL, 0);
	if ((a = db_sqlite_open(":memory:", err, sizeof(err))) == NULL)
		abort();
	if (db_import_mem(a, data, size, &st, err, sizeof(err)) != 0) {
		/* Every refusal says why and that nothing was written. */
		if (strstr(err, "nothing was imported") == NULL ||
		    !is_empty(a))
			abort();
		a->close(a);
		return 0;
	}
	ea = export_of(a, &la);
	if ((b = db_sqlite_open(":memory:", err, sizeof(err))) == NULL)
		abort();
	if (db_import_mem(b, ea, la, NULL, err, sizeof(err)) != 0)
		abort();	/* an export always imports */
	eb = export_of(b, &lb);
	if (la != lb || memcmp(ea, eb, la) != 0)
		abort();	/* and comes back the same */
	free(ea);
	free(eb);
	a->close(a);
	b->close(b);
	return 0;
}
