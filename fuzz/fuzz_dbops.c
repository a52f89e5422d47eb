/*
 * fuzz_dbops.c - libFuzzer harness for the db service's typed readers and
 * operations (services/db/db_ops.c), run against a real in-memory SQLite
 * backend made fresh for every input (seeded, with one workflow so that
 * execution.create and the paths after it are reachable).
 *
 * Input: byte 0 picks the operation among the db service's, the rest is
 * the JSON payload.  Every answer must be valid JSON; every failure must
 * carry a reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "msg_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char wf[] =
    "{\"wid\":\"w\",\"Description\":\"d\",\"UseCase\":\"Demo\","
    "\"modulename\":\"m\",\"classname\":\"C\",\"Version\":1,"
    "\"IOCard\":{\"Inputs\":[{\"Name\":\"T\",\"Type\":\"mupif.Property\","
    "\"Units\":\"K\",\"ObjID\":[\"a\",\"b\"],\"Compulsory\":true}],"
    "\"Outputs\":[{\"Name\":\"R\",\"Type\":\"mupif.Property\","
    "\"Units\":\"m\",\"ObjID\":\"x\"}]}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db_backend	*b;
	yajl_gen		 g;
	yajl_val		 v;
	const unsigned char	*buf;
	size_t			 len;
	char			 err[256], id[DB_ID_LEN + 1];
	unsigned		 type, nops;
	int			 st, fd = -1;

	if (size < 1 || size > 64 * 1024)
		return 0;
	log_init(NULL, 0);
	if ((b = db_sqlite_open(":memory:", err, sizeof(err))) == NULL)
		abort();
	if (db_seed(b, err, sizeof(err)) != 1 ||
	    b->insert(b, DC_WORKFLOWS, wf, sizeof(wf) - 1, id) != MST_OK)
		abort();
	nops = MSG_TYPE_COUNT - (MSG_OP_FIRST + 1);
	type = MSG_OP_FIRST + 1 + data[0] % nops;
	if ((g = json_gen_new()) == NULL)
		abort();
	st = db_dispatch(b, type, data + 1, size - 1, -1, &fd, g, err,
	    sizeof(err));
	if (st == MST_OK) {
		if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
			abort();
		v = json_parse(buf, len, 64 * 1024 * 1024, 64, err,
		    sizeof(err));
		if (v == NULL)
			abort();	/* every answer is JSON */
		yajl_tree_free(v);
	} else if (err[0] == '\0')
		abort();		/* every failure says why */
	if (fd != -1)
		(void)close(fd);
	yajl_gen_free(g);
	b->close(b);
	return 0;
}
