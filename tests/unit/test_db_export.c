/*
 * test_db_export.c - db_export() and db_import() (services/db/
 * db_export.c), the JSON-lines dump behind `mupif-central db export` and
 * `db import`, on the backend chosen by the environment like the other
 * db suites: MUPIF_TEST_DB=sqlite (default; a fresh file per test) or
 * MUPIF_TEST_DB=mongo with MUPIF_TEST_MONGO_URI (a fresh database per
 * test).  tests/run_all.sh runs it once per backend.
 *
 * Checked: an export is canonical (the same bytes for the same data,
 * whatever the input's spacing and number spelling); export -> import ->
 * export gives the same bytes; ids of documents and files are kept; an
 * empty database exports to two lines; every malformed input is refused
 * naming its line with nothing written; importing twice is refused
 * naming the first line whose id is there; a pipe (read once) is
 * all-or-nothing on SQLite and says what it wrote on MongoDB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "db.h"
#include "json.h"
#include "msg_types.h"
#include "banned.h"

static int	 is_mongo;
static char	 tmpdir[64];
static unsigned	 serial;

#define HEAD	"{\"format\":\"mupif-central-db\",\"version\":1}\n"
#define ID(n)	"6a00000000000000000000" n

/* A fresh, empty database. */
static struct db_backend *
fresh(void)
{
	struct db_backend	*b;
	char			 err[256], name[PATH_MAX];

	serial++;
	if (is_mongo) {
		(void)snprintf(name, sizeof(name), "x_%d_%ld_%u", (int)getpid(),
		    (long)time(NULL), serial);
		b = db_mongo_open(getenv("MUPIF_TEST_MONGO_URI"), name, err,
		    sizeof(err));
	} else {
		(void)snprintf(name, sizeof(name), "%s/%u.sqlite", tmpdir,
		    serial);
		b = db_sqlite_open(name, err, sizeof(err));
	}
	if (b == NULL)
		fail_msg("open: %s", err);
	return b;
}

static int
group_setup(void **state)
{
	const char *which = getenv("MUPIF_TEST_DB");

	(void)state;
	is_mongo = which != NULL && strcmp(which, "mongo") == 0;
	if (is_mongo && getenv("MUPIF_TEST_MONGO_URI") == NULL) {
		fprintf(stderr, "MUPIF_TEST_DB=mongo needs "
		    "MUPIF_TEST_MONGO_URI\n");
		return -1;
	}
	(void)strlcpy(tmpdir, "/tmp/mupif-dbexport-XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	fprintf(stderr, "test_db_export: backend %s\n",
	    is_mongo ? "mongo" : "sqlite");
	return 0;
}

static int
group_teardown(void **state)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[PATH_MAX];

	(void)state;
	if ((d = opendir(tmpdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			(void)snprintf(p, sizeof(p), "%s/%s", tmpdir,
			    de->d_name);
			(void)unlink(p);
		}
		closedir(d);
	}
	(void)rmdir(tmpdir);
	return 0;
}

/* The export of b as a heap string (caller frees). */
static char *
export_of(struct db_backend *b, struct db_xstats *st)
{
	char	 err[512], *out = NULL;
	size_t	 len;
	int	 fd;

	fd = memfd_create("export", MFD_CLOEXEC);
	assert_true(fd >= 0);
	if (db_export(b, fd, st, err, sizeof(err)) != 0)
		fail_msg("export: %s", err);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(util_read_fd(fd, 64 * 1024 * 1024, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	close(fd);
	return out;
}

static int
import_str(struct db_backend *b, const char *s, char *err, size_t errlen)
{
	struct db_xstats st;

	return db_import_mem(b, s, strlen(s), &st, err, errlen);
}

static void
must_import(struct db_backend *b, const char *s)
{
	char err[512];

	if (import_str(b, s, err, sizeof(err)) != 0)
		fail_msg("import: %s", err);
}

/* Documents in every collection, and files. */
static uint64_t
total(struct db_backend *b)
{
	struct db_query	q;
	uint64_t	n, all = 0;
	int		c;

	for (c = 0; c < DC_COUNT; c++) {
		memset(&q, 0, sizeof(q));
		q.coll = (enum db_coll)c;
		assert_int_equal(b->count(b, &q, &n), MST_OK);
		all += n;
	}
	return all;
}

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

static size_t
nfiles(struct db_backend *b)
{
	size_t n = 0;

	assert_int_equal(b->file_list(b, count_file, &n), MST_OK);
	return n;
}

/* ------------------------------------------------------------------ */
/* Canonical text and round trips */

/*
 * Input in canonical form except for the spacing and number spellings of
 * the second copy.  Numbers: integers (also beyond int32), a double that
 * is an integer (stays a double), -0.0, 1e5, a long fraction, a number
 * beyond int64 (a double); strings with escapes and non-ASCII.
 */
#define DOC_UC	"{\"_id\":\"" ID("01") "\",\"ucid\":\"uc\"," \
		"\"Description\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 \\\"q\\\" " \
		"\\\\ \\n\\t\",\"n\":[1,-7,4294967296,2.0,-0.0,1e+05," \
		"0.1,1.2345678901234567e+19,3.14159],\"nested\":{\"a\":" \
		"{\"b\":[true,false,null,{}]},\"e\":[]}}"
#define DOC_WF	"{\"_id\":\"" ID("02") "\",\"wid\":\"w\",\"GridFSID\":\"" \
		ID("f1") "\",\"Version\":1}"
#define DOC_WF2	"{\"_id\":\"" ID("03") "\",\"wid\":\"w2\"}"
#define DOC_LOG	"{\"_id\":\"" ID("04") "\",\"tag\":\"t\",\"seq\":0}"

static const char canonical_docs[] =
    HEAD
    "{\"collection\":\"UseCases\",\"doc\":" DOC_UC "}\n"
    "{\"collection\":\"Workflows\",\"doc\":" DOC_WF "}\n"
    "{\"collection\":\"Workflows\",\"doc\":" DOC_WF2 "}\n"
    "{\"collection\":\"Logs\",\"doc\":" DOC_LOG "}\n";

static const char spaced_docs[] =
    HEAD
    " { \"doc\" : {\"_id\":\"" ID("01") "\",\"ucid\":\"uc\","
    "\"Description\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\n\\t\","
    "\"n\":[ 1, -7, 4294967296, 2.00, -0e0, 100000.0, 1e-1, "
    "12345678901234567890, 3.141590 ], \"nested\":{\"a\":{\"b\":[true,"
    "false,null,{ }]},\"e\":[ ]}}, \"collection\" : \"UseCases\" }\t\n"
    "{\"collection\":\"Workflows\",\"doc\":" DOC_WF "}\n"
    "{\"collection\":\"Workflows\",\"doc\":" DOC_WF2 "}\n"
    "{\"collection\":\"Logs\",\"doc\":{\"_id\":\"" ID("04") "\",\"tag\":"
    "\"t\",\"seq\":-0}}\n";

/* canonical_docs, then files of the given sizes (ids f1, f2, ...) and
 * the end line, as a heap string. */
static char *
with_files(const char *docs, const size_t *sizes, size_t n, int ndocs)
{
	uint8_t	*data;
	char	*out, *b64, line[128];
	size_t	 cap, len = 0, i, off, k, max = 0;

	for (i = 0, cap = strlen(docs) + 256; i < n; i++) {
		cap += sizes[i] * 2 + 4096;
		if (sizes[i] > max)
			max = sizes[i];
	}
	out = malloc(cap);
	data = malloc(max + 1);
	b64 = malloc(sodium_base64_ENCODED_LEN(255 * 1024,
	    sodium_base64_VARIANT_ORIGINAL));
	assert_non_null(out);
	assert_non_null(data);
	assert_non_null(b64);
	for (k = 0; k < max; k++)
		data[k] = (uint8_t)(k * 7 + 3);
	len = (size_t)snprintf(out, cap, "%s", docs);
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, cap - len, "{\"file\":\""
		    ID("f%zu") "\",\"filename\":\"f%zu.bin\",\"content_type\":"
		    "\"application/x-%zu\",\"length\":%zu}\n", i + 1, i, i,
		    sizes[i]);
		for (off = 0, k = 0; off < sizes[i]; off += 255 * 1024, k++) {
			size_t want = sizes[i] - off < 255 * 1024 ?
			    sizes[i] - off : 255 * 1024;

			(void)sodium_bin2base64(b64,
			    sodium_base64_ENCODED_LEN(255 * 1024,
			    sodium_base64_VARIANT_ORIGINAL), data + off, want,
			    sodium_base64_VARIANT_ORIGINAL);
			len += (size_t)snprintf(out + len, cap - len,
			    "{\"chunk\":\"" ID("f%zu") "\",\"n\":%zu,\"data\":"
			    "\"%s\"}\n", i + 1, k, b64);
		}
	}
	(void)snprintf(line, sizeof(line), "{\"end\":{\"documents\":%d,"
	    "\"files\":%zu}}\n", ndocs, n);
	len += (size_t)snprintf(out + len, cap - len, "%s", line);
	assert_true(len < cap);
	free(data);
	free(b64);
	return out;
}

static void
test_canonical_roundtrip(void **state)
{
	static const size_t	 sizes[] = { 9, 0, 255 * 1024,
				    255 * 1024 + 1, 1 };
	struct db_backend	*a, *b, *c;
	struct db_xstats	 st;
	char			*in, *spaced, *ea, *eb, *ec, *doc = NULL;
	char			*fn = NULL, *ct = NULL, err[512];
	uint64_t		 len;
	int			 fd = -1;

	(void)state;
	in = with_files(canonical_docs, sizes, 5, 4);
	spaced = with_files(spaced_docs, sizes, 5, 4);
	a = fresh();
	if (db_import_mem(a, spaced, strlen(spaced), &st, err,
	    sizeof(err)) != 0)
		fail_msg("import: %s", err);
	assert_true(st.docs == 4 && st.files == 5);
	ea = export_of(a, &st);
	assert_true(st.docs == 4 && st.files == 5);
	/* The export of the spaced input is the canonical text. */
	if (strcmp(ea, in) != 0)
		fail_msg("export is not canonical:\n%.2000s", ea);
	/* Ids kept: the workflow's GridFSID names a file that is there. */
	assert_int_equal(a->get(a, DC_WORKFLOWS, ID("02"), &doc), MST_OK);
	assert_non_null(strstr(doc, ID("f1")));
	free(doc);
	assert_int_equal(a->file_get(a, ID("f1"), &fd, &len, &fn, &ct),
	    MST_OK);
	assert_true(len == 9);
	assert_string_equal(fn, "f0.bin");
	assert_string_equal(ct, "application/x-0");
	close(fd);
	free(fn);
	free(ct);
	/* export -> import -> export: the same bytes. */
	b = fresh();
	must_import(b, ea);
	eb = export_of(b, NULL);
	assert_string_equal(ea, eb);
	/* And once more from b's export, on a third database. */
	c = fresh();
	must_import(c, eb);
	ec = export_of(c, NULL);
	assert_string_equal(eb, ec);
	a->close(a);
	b->close(b);
	c->close(c);
	free(in);
	free(spaced);
	free(ea);
	free(eb);
	free(ec);
}

static void
test_empty(void **state)
{
	struct db_backend	*b;
	struct db_xstats	 st;
	char			*e;

	(void)state;
	b = fresh();
	e = export_of(b, &st);
	assert_string_equal(e, HEAD
	    "{\"end\":{\"documents\":0,\"files\":0}}\n");
	assert_true(st.docs == 0 && st.files == 0);
	/* Valid input: imports (nothing) into an empty database. */
	must_import(b, e);
	assert_true(total(b) == 0);
	free(e);
	b->close(b);
}

/* The second import of the same export stops at the first line whose id
 * is there, and writes nothing. */
static void
test_twice(void **state)
{
	static const size_t	 sizes[] = { 3 };
	struct db_backend	*b;
	char			*in, err[512];
	static const char	 only_file[] = HEAD
	    "{\"file\":\"" ID("f1") "\",\"filename\":\"x\",\"content_type\":"
	    "\"a/b\",\"length\":1}\n"
	    "{\"chunk\":\"" ID("f1") "\",\"n\":0,\"data\":\"eA==\"}\n"
	    "{\"end\":{\"documents\":0,\"files\":1}}\n";

	(void)state;
	in = with_files(canonical_docs, sizes, 1, 4);
	b = fresh();
	must_import(b, in);
	assert_true(total(b) == 4);
	assert_int_equal(import_str(b, in, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: UseCases " ID("01") " is already "
	    "in the database; nothing was imported");
	assert_true(total(b) == 4);
	assert_int_equal(nfiles(b), 1);
	/* A file already there. */
	assert_int_equal(import_str(b, only_file, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: file " ID("f1") " is already in "
	    "the database; nothing was imported");
	assert_int_equal(nfiles(b), 1);
	free(in);
	b->close(b);
}

/* A node that started on the database seeded Settings and Stat: an
 * export that brings its own is refused. */
static void
test_seeded(void **state)
{
	struct db_backend	*b;
	char			 err[512];
	static const char	 in[] = HEAD
	    "{\"collection\":\"Settings\",\"doc\":{\"_id\":\"" ID("05")
	    "\",\"projectName\":\"P\"}}\n"
	    "{\"end\":{\"documents\":1,\"files\":0}}\n";

	(void)state;
	b = fresh();
	assert_int_equal(db_seed(b, err, sizeof(err)), 1);
	assert_int_equal(import_str(b, in, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: the database already holds a "
	    "Settings document"));
	assert_true(total(b) == 3);
	b->close(b);
}

/* ------------------------------------------------------------------ */
/* Malformed input */

#define D1	"{\"collection\":\"UseCases\",\"doc\":{\"_id\":\"" ID("01") \
		"\"}}\n"
#define F1(len)	"{\"file\":\"" ID("f1") "\",\"filename\":\"x\"," \
		"\"content_type\":\"a/b\",\"length\":" #len "}\n"
#define C1(n, d) "{\"chunk\":\"" ID("f1") "\",\"n\":" #n ",\"data\":\"" \
		d "\"}\n"
#define END(d, f) "{\"end\":{\"documents\":" #d ",\"files\":" #f "}}\n"

static const struct bad {
	const char	*in;
	const char	*why;
} bad[] = {
	{ "", "empty input" },
	{ "{}\n", "line 1: not a mupif-central db export" },
	{ "{\"format\":\"mupif-central-db\",\"version\":2}\n" END(0, 0),
	    "line 1: export format version 2" },
	{ "{\"format\":\"other\",\"version\":1}\n",
	    "line 1: not a mupif-central db export" },
	{ HEAD, "line 1: the input ends after this line without its end "
	    "line" },
	{ HEAD "{\"end\":{\"documents\":0,\"files\":0}}",
	    "line 2: the input ends inside it" },
	{ HEAD "\n" END(0, 0), "line 2: an empty line" },
	{ HEAD "[1]\n" END(0, 0), "line 2: not a JSON object" },
	{ HEAD "{bad\n" END(0, 0), "line 2: not JSON" },
	{ HEAD "{\"a\":1,\"a\":2}\n" END(0, 0), "line 2: not JSON" },
	{ HEAD "{\"x\":1}\n" END(0, 0),
	    "line 2: not a line of a mupif-central db export" },
	{ HEAD "{\"collection\":\"Nope\",\"doc\":{\"_id\":\"" ID("01")
	    "\"}}\n" END(1, 0), "line 2: not a collection" },
	{ HEAD "{\"collection\":\"UseCases\",\"doc\":{\"_id\":\"" ID("01")
	    "\"},\"x\":1}\n" END(1, 0), "line 2: a document line has the "
	    "keys" },
	{ HEAD "{\"collection\":\"UseCases\",\"doc\":{\"a\":1}}\n" END(1, 0),
	    "line 2: a UseCases document needs an object with a 24-hex" },
	{ HEAD "{\"collection\":\"UseCases\",\"doc\":{\"_id\":"
	    "\"6A0000000000000000000001\"}}\n" END(1, 0),
	    "line 2: a UseCases document needs" },
	{ HEAD "{\"collection\":\"UseCases\",\"doc\":[1]}\n" END(1, 0),
	    "line 2: a UseCases document needs" },
	{ HEAD "{\"collection\":\"Workflows\",\"doc\":{\"_id\":\"" ID("02")
	    "\"}}\n" D1 END(2, 0), "line 3: UseCases after Workflows" },
	{ HEAD D1 D1 END(2, 0), "line 3: UseCases " ID("01") " comes after "
	    ID("01") ": ids must ascend" },
	{ HEAD F1(0) D1 END(1, 1), "line 3: UseCases after the files" },
	{ HEAD "{\"collection\":\"UseCases\",\"doc\":{\"_id\":\"" ID("01")
	    "\",\"x\":1e400}}\n" END(1, 0), "line 2: UseCases " ID("01")
	    ": a number that is not finite" },
	{ HEAD F1(5) C1(0, "eHh4") END(0, 1), "line 4: file " ID("f1")
	    ": 3 of its 5 bytes came before this line" },
	{ HEAD F1(5) C1(0, "eHh4"), "line 3: the input ends after this "
	    "line, inside file " ID("f1") },
	{ HEAD F1(2) C1(0, "eHh4") END(0, 1), "line 3: file " ID("f1")
	    ": more bytes than its length" },
	{ HEAD F1(3) C1(0, "eHh") END(0, 1), "line 3: file " ID("f1")
	    " chunk 0: data is not base64" },
	{ HEAD F1(3) C1(0, "e!h4") END(0, 1), "chunk 0: data is not base64" },
	{ HEAD F1(3) C1(0, "") END(0, 1), "line 3: file " ID("f1")
	    " chunk 0: empty" },
	{ HEAD F1(3) C1(1, "eHh4") END(0, 1), "line 3: file " ID("f1")
	    ": chunk 0 is due here" },
	{ HEAD F1(3) "{\"chunk\":\"" ID("f2") "\",\"n\":0,\"data\":"
	    "\"eHh4\"}\n" END(0, 1), "line 3: file " ID("f1")
	    ": a chunk of another file" },
	{ HEAD C1(0, "eHh4") END(0, 0),
	    "line 2: a chunk line without its file line" },
	{ HEAD F1(3) "{\"chunk\":\"" ID("f1") "\",\"n\":0,\"data\":\"eHh4\","
	    "\"x\":1}\n" END(0, 1), "line 3: a chunk line has the keys" },
	{ HEAD "{\"file\":\"nope\",\"filename\":\"x\",\"content_type\":"
	    "\"a/b\",\"length\":1}\n" END(0, 1),
	    "line 2: a file id is 24 hex digits" },
	{ HEAD "{\"file\":\"" ID("f1") "\",\"filename\":1,\"content_type\":"
	    "\"a/b\",\"length\":1}\n" END(0, 1), "line 2: file " ID("f1")
	    ": filename and content_type are strings" },
	{ HEAD "{\"file\":\"" ID("f1") "\",\"filename\":\"x\","
	    "\"content_type\":\"a/b\",\"length\":-1}\n" END(0, 1),
	    "line 2: file " ID("f1") ": length is an integer" },
	{ HEAD "{\"file\":\"" ID("f1") "\",\"filename\":\"x\","
	    "\"content_type\":\"a/b\",\"length\":1.0}\n" END(0, 1),
	    "line 2: file " ID("f1") ": length is an integer" },
	{ HEAD F1(0) F1(0) END(0, 2), "line 3: files " ID("f1")
	    " comes after " ID("f1") },
	{ HEAD D1 END(0, 0), "line 3: the end line counts 0 documents and 0 "
	    "files, the lines before it hold 1 and 0" },
	{ HEAD "{\"end\":{\"documents\":0}}\n",
	    "line 2: the end line is" },
	{ HEAD "{\"end\":{\"documents\":0,\"files\":0},\"x\":1}\n",
	    "line 2: the end line is" },
	{ HEAD END(0, 0) D1, "line 3: a line after the end line" },
	{ HEAD HEAD END(0, 0), "line 2: not a line of a mupif-central db "
	    "export" },
};

/* Every bad input is refused naming its line; nothing is written, not
 * even the good lines before the bad one. */
static void
test_bad_input(void **state)
{
	struct db_backend	*b;
	char			 err[512];
	size_t			 i;

	(void)state;
	b = fresh();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (import_str(b, bad[i].in, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		if (strncmp(err, bad[i].why, strlen(bad[i].why)) != 0 &&
		    strstr(err, bad[i].why) == NULL)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, err,
			    bad[i].why);
		if (strstr(err, "nothing was imported") == NULL)
			fail_msg("case %zu: \"%s\" does not say nothing was "
			    "imported", i, err);
		assert_true(total(b) == 0);
		assert_int_equal(nfiles(b), 0);
	}
	b->close(b);
}

/* Lines longer than the cap and nesting deeper than the cap. */
static void
test_limits(void **state)
{
	struct db_backend	*b;
	char			*in, err[512];
	size_t			 n, i, cap = DB_DOC_MAX + 16384;

	(void)state;
	b = fresh();
	in = malloc(cap);
	assert_non_null(in);
	n = (size_t)snprintf(in, cap, "%s{\"collection\":\"Logs\",\"doc\":{"
	    "\"_id\":\"" ID("01") "\",\"s\":\"", HEAD);
	while (n < DB_DOC_MAX + 8192)
		in[n++] = 'x';
	(void)snprintf(in + n, cap - n, "\"}}\n" END(1, 0));
	assert_int_equal(import_str(b, in, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: longer than"));
	n = (size_t)snprintf(in, cap, "%s{\"collection\":\"Logs\",\"doc\":{"
	    "\"_id\":\"" ID("01") "\",\"s\":", HEAD);
	for (i = 0; i < 100; i++)
		in[n++] = '[';
	for (i = 0; i < 100; i++)
		in[n++] = ']';
	(void)snprintf(in + n, cap - n, "}}\n" END(1, 0));
	assert_int_equal(import_str(b, in, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: not JSON"));
	assert_true(total(b) == 0);
	free(in);
	b->close(b);
}

/* ------------------------------------------------------------------ */
/* Descriptors */

/* From a pipe, read once: no checking pass.  SQLite rolls the whole
 * import back; MongoDB keeps what came before the bad line and says so. */
static void
test_pipe(void **state)
{
	struct db_backend	*b;
	struct db_xstats	 st;
	char			 err[512];
	int			 p[2];
	static const char	 good[] = HEAD D1 END(1, 0);
	static const char	 later_bad[] = HEAD D1
	    "{\"collection\":\"Workflows\",\"doc\":{\"_id\":\"" ID("02")
	    "\"}}\n"
	    "{\"collection\":\"Workflows\",\"doc\":{\"_id\":\"" ID("01")
	    "\"}}\n" END(3, 0);

	(void)state;
	b = fresh();
	assert_int_equal(pipe(p), 0);
	assert_int_equal(util_write_all(p[1], later_bad,
	    sizeof(later_bad) - 1), 0);
	close(p[1]);
	assert_int_equal(db_import(b, p[0], &st, err, sizeof(err)), -1);
	close(p[0]);
	assert_non_null(strstr(err, "line 4: Workflows " ID("01")
	    " comes after " ID("02")));
	if (is_mongo) {
		assert_non_null(strstr(err, "the 2 documents and 0 files "
		    "before it were imported"));
		assert_true(total(b) == 2);
	} else {
		assert_non_null(strstr(err, "nothing was imported (rolled "
		    "back)"));
		assert_true(total(b) == 0);
	}
	b->close(b);
	/* A good input from a pipe. */
	b = fresh();
	assert_int_equal(pipe(p), 0);
	assert_int_equal(util_write_all(p[1], good, sizeof(good) - 1), 0);
	close(p[1]);
	if (db_import(b, p[0], &st, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	close(p[0]);
	assert_true(st.docs == 1 && total(b) == 1);
	b->close(b);
}

/* From a regular file (read twice: checked, then written), and from the
 * file's current offset, not its start. */
static void
test_file_input(void **state)
{
	struct db_backend	*b;
	struct db_xstats	 st;
	char			 err[512];
	int			 fd;
	static const char	 junk[] = "not part of the export\n";
	static const char	 good[] = HEAD D1 END(1, 0);

	(void)state;
	b = fresh();
	fd = memfd_create("in", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, junk, sizeof(junk) - 1), 0);
	assert_int_equal(util_write_all(fd, good, sizeof(good) - 1), 0);
	assert_int_equal(lseek(fd, (off_t)sizeof(junk) - 1, SEEK_SET),
	    (off_t)sizeof(junk) - 1);
	if (db_import(b, fd, &st, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(st.docs == 1 && st.files == 0);
	assert_true(total(b) == 1);
	close(fd);
	b->close(b);
}

/* A closed output: the export fails with the reason. */
static void
test_export_write_error(void **state)
{
	struct db_backend	*b;
	char			 err[512];
	int			 p[2];

	(void)state;
	b = fresh();
	must_import(b, HEAD D1 END(1, 0));
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	(void)signal(SIGPIPE, SIG_IGN);
	assert_int_equal(db_export(b, p[1], NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "write"));
	close(p[1]);
	b->close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_roundtrip),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_twice),
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_file_input),
		cmocka_unit_test(test_export_write_error),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
