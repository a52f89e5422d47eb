/*
 * test_sched_zip.c - unit tests for the scheduler's upload checks
 * (services/scheduler/sched_zip.c) and its rebuilding of the inspector's
 * answer (sched_meta.c): main module names, flat entry names, traversal,
 * duplicates, links, a missing main module, the entry count, zip bombs
 * (sizes counted while inflating), unpacking into a directory, and
 * malformed, incomplete or oversized metadata.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "json.h"
#include "scheduler.h"

struct zfile {
	const char	*name;
	const void	*data;
	size_t		 len;
	int		 symlink;
};

/* An in-memory ZIP of the files; caller frees *out. */
static void
mkzip(const struct zfile *f, size_t n, void **out, size_t *outlen)
{
	zip_error_t	 ze;
	zip_source_t	*src, *fs;
	zip_t		*za;
	zip_stat_t	 st;
	size_t		 i;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	assert_non_null(src);
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	assert_non_null(za);
	for (i = 0; i < n; i++) {
		zip_int64_t idx;

		fs = zip_source_buffer(za, f[i].data, f[i].len, 0);
		assert_non_null(fs);
		idx = zip_file_add(za, f[i].name, fs, ZIP_FL_ENC_RAW);
		assert_true(idx >= 0);
		if (f[i].symlink)
			assert_int_equal(zip_file_set_external_attributes(za,
			    (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
			    (zip_uint32_t)(S_IFLNK | 0777) << 16), 0);
	}
	assert_int_equal(zip_close(za), 0);
	assert_int_equal(zip_source_stat(src, &st), 0);
	*outlen = (size_t)st.size;
	*out = malloc(*outlen + 1);
	assert_int_equal(zip_source_open(src), 0);
	assert_int_equal(zip_source_read(src, *out, *outlen),
	    (zip_int64_t)*outlen);
	(void)zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
}

static int
check(const struct zfile *f, size_t n, const char *mainname, uint64_t cap,
    int dirfd, char *err, size_t errlen)
{
	void	*z;
	size_t	 zl;
	int	 rc;

	mkzip(f, n, &z, &zl);
	rc = sched_zip_extract(z, zl, mainname, cap, dirfd, err, errlen);
	free(z);
	return rc;
}

#define SRC "class W:\n    pass\n"

static void
test_main_names(void **state)
{
	(void)state;
	assert_true(sched_main_name_ok("workflowdemo01.py"));
	assert_true(sched_main_name_ok("_x.py"));
	assert_true(sched_main_name_ok("A_b9.py"));
	assert_false(sched_main_name_ok(".py"));
	assert_false(sched_main_name_ok("1x.py"));
	assert_false(sched_main_name_ok("x-y.py"));
	assert_false(sched_main_name_ok("x.txt"));
	assert_false(sched_main_name_ok("x.py.py"));
	assert_false(sched_main_name_ok("../x.py"));
	assert_false(sched_main_name_ok("x y.py"));
	assert_false(sched_main_name_ok(""));
}

static void
test_entry_names(void **state)
{
	(void)state;
	assert_true(sched_entry_name_ok("data.txt", 8));
	assert_true(sched_entry_name_ok(".hidden", 7));
	assert_true(sched_entry_name_ok("caf\xc3\xa9", 5));
	assert_false(sched_entry_name_ok("", 0));
	assert_false(sched_entry_name_ok(".", 1));
	assert_false(sched_entry_name_ok("..", 2));
	assert_false(sched_entry_name_ok("../x", 4));
	assert_false(sched_entry_name_ok("a..b", 4));
	assert_false(sched_entry_name_ok("a/b", 3));
	assert_false(sched_entry_name_ok("/abs", 4));
	assert_false(sched_entry_name_ok("a\\b", 3));
	assert_false(sched_entry_name_ok("a\nb", 3));
	assert_false(sched_entry_name_ok("a\x7f", 2));
	assert_false(sched_entry_name_ok("a\0b", 3));
}

static void
test_good_and_unpacked(void **state)
{
	struct zfile	 f[] = { { "wf.py", SRC, sizeof(SRC) - 1, 0 },
			    { "data.bin", "\0\1\2", 3, 0 } };
	char		 err[256], dir[] = "/tmp/test_sched_zipXXXXXX", p[300];
	struct stat	 st;
	int		 dfd;

	(void)state;
	assert_int_equal(check(f, 2, "wf.py", 1 << 20, -1, err,
	    sizeof(err)), 0);
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(check(f, 2, "wf.py", 1 << 20, dfd, err,
	    sizeof(err)), 0);
	(void)snprintf(p, sizeof(p), "%s/wf.py", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, sizeof(SRC) - 1);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Unpacking again into the same place: O_EXCL refuses. */
	assert_int_equal(check(f, 2, "wf.py", 1 << 20, dfd, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot create 'wf.py'"));
	(void)unlink(p);
	(void)snprintf(p, sizeof(p), "%s/data.bin", dir);
	(void)unlink(p);
	(void)close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_refused(void **state)
{
	static const char *bad[] = { "../x.py", "a/b.py", "a\\b.py", "..",
	    "x\x01.py", "/abs.py", "dir/" };
	char	err[256];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct zfile f[] = { { "wf.py", SRC, sizeof(SRC) - 1, 0 },
		    { bad[i], "x", 1, 0 } };

		assert_int_equal(check(f, 2, "wf.py", 1 << 20, -1, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "is not allowed"));
	}
	{
		struct zfile f[] = { { "other.py", SRC, sizeof(SRC) - 1, 0 } };

		assert_int_equal(check(f, 1, "wf.py", 1 << 20, -1, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "main module 'wf.py' is not"));
	}
	{
		struct zfile f[] = { { "wf.py", SRC, sizeof(SRC) - 1, 0 },
		    { "link", "/etc/passwd", 11, 1 } };

		assert_int_equal(check(f, 2, "wf.py", 1 << 20, -1, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "not a regular file"));
	}
	assert_int_equal(sched_zip_extract("PK\3\4junk", 8, "wf.py", 1 << 20,
	    -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a valid ZIP"));
	assert_int_equal(sched_zip_extract("", 0, "wf.py", 1 << 20, -1, err,
	    sizeof(err)), -1);
}

static void
test_bomb_and_count(void **state)
{
	size_t		 big = 4 * 1024 * 1024, i;
	char		*zeros = calloc(1, big), err[256];
	struct zfile	 f[] = { { "wf.py", SRC, sizeof(SRC) - 1, 0 },
			    { "zeros", zeros, big, 0 } };
	struct zfile	*many;
	char		(*names)[16];

	(void)state;
	assert_non_null(zeros);
	assert_int_equal(check(f, 2, "wf.py", 1024 * 1024, -1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "unpack to more than 1048576"));
	assert_int_equal(check(f, 2, "wf.py", 8 * 1024 * 1024, -1, err,
	    sizeof(err)), 0);
	free(zeros);
	many = calloc(SCHED_ZIP_MAX_ENTRIES + 1, sizeof(*many));
	names = calloc(SCHED_ZIP_MAX_ENTRIES + 1, sizeof(*names));
	for (i = 0; i <= SCHED_ZIP_MAX_ENTRIES; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "f%zu.py", i);
		many[i].name = names[i];
		many[i].data = "x";
		many[i].len = 1;
	}
	assert_int_equal(check(many, SCHED_ZIP_MAX_ENTRIES + 1, "f0.py",
	    1 << 20, -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 1000 files"));
	free(many);
	free(names);
}

static int
meta(const char *out, char *gen, size_t genlen, int *inc, char *err,
    size_t errlen)
{
	yajl_gen		 g = json_gen_new();
	const unsigned char	*b;
	size_t			 l;
	int			 rc;

	rc = sched_meta_build(out, strlen(out), "wf", g, inc, err, errlen);
	if (rc == 0) {
		(void)yajl_gen_get_buf(g, &b, &l);
		assert_true(l < genlen);
		memcpy(gen, b, l);
		gen[l] = '\0';
	}
	yajl_gen_free(g);
	return rc;
}

static void
test_meta(void **state)
{
	char	gen[4096], err[256];
	int	inc;

	(void)state;
	assert_int_equal(meta("{\"classname\":\"W\",\"modulename\":\"wf\","
	    "\"metadata\":{\"ID\":\"w1\",\"Inputs\":[{\"Name\":\"a\"}],"
	    "\"Outputs\":[]}}", gen, sizeof(gen), &inc, err, sizeof(err)), 0);
	assert_string_equal(gen, "{\"wid\":\"w1\",\"Description\":\"\","
	    "\"classname\":\"W\",\"modulename\":\"wf\",\"IOCard\":{"
	    "\"Inputs\":[{\"Name\":\"a\"}],\"Outputs\":[]},\"Models\":[],"
	    "\"EDMMapping\":[]}");
	/* Missing ID, Inputs or Outputs: the original's message. */
	assert_int_equal(meta("{\"classname\":\"W\",\"modulename\":\"wf\","
	    "\"metadata\":{\"Inputs\":[],\"Outputs\":[]}}", gen, sizeof(gen),
	    &inc, err, sizeof(err)), -1);
	assert_int_equal(inc, 1);
	assert_int_equal(meta("{\"classname\":\"W\",\"modulename\":\"wf\","
	    "\"metadata\":{\"ID\":\"\",\"Inputs\":[],\"Outputs\":[]}}", gen,
	    sizeof(gen), &inc, err, sizeof(err)), -1);
	assert_int_equal(inc, 1);
	/* Malformed. */
	assert_int_equal(meta("{\"classname\":\"W\",\"modulename\":\"wf\","
	    "\"metadata\":{\"ID\":5,\"Inputs\":[],\"Outputs\":[]}}", gen,
	    sizeof(gen), &inc, err, sizeof(err)), -1);
	assert_int_equal(inc, 0);
	assert_non_null(strstr(err, "ID must be a string"));
	assert_int_equal(meta("{\"classname\":\"W\",\"modulename\":\"wf\","
	    "\"metadata\":{\"ID\":\"x\",\"Inputs\":{},\"Outputs\":[]}}", gen,
	    sizeof(gen), &inc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Inputs must be a list"));
	assert_int_equal(meta("{\"classname\":\"W\",\"modulename\":\"wf\","
	    "\"metadata\":{\"ID\":\"x\",\"Inputs\":[1],\"Outputs\":[]}}", gen,
	    sizeof(gen), &inc, err, sizeof(err)), -1);
	assert_int_equal(meta("{\"classname\":\"W\",\"modulename\":\"other\","
	    "\"metadata\":{\"ID\":\"x\",\"Inputs\":[],\"Outputs\":[]}}", gen,
	    sizeof(gen), &inc, err, sizeof(err)), -1);
	assert_int_equal(meta("{\"classname\":\"W\",\"modulename\":\"wf\","
	    "\"metadata\":{},\"extra\":1}", gen, sizeof(gen), &inc, err,
	    sizeof(err)), -1);
	assert_int_equal(meta("not json", gen, sizeof(gen), &inc, err,
	    sizeof(err)), -1);
	assert_int_equal(meta("", gen, sizeof(gen), &inc, err,
	    sizeof(err)), -1);
	{
		char wid[400];

		memset(wid, 'a', sizeof(wid));
		wid[sizeof(wid) - 1] = '\0';
		(void)snprintf(gen, sizeof(gen), "{\"classname\":\"W\","
		    "\"modulename\":\"wf\",\"metadata\":{\"ID\":\"%s\","
		    "\"Inputs\":[],\"Outputs\":[]}}", wid);
		assert_int_equal(meta(gen, gen, sizeof(gen), &inc, err,
		    sizeof(err)), -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_names),
		cmocka_unit_test(test_entry_names),
		cmocka_unit_test(test_good_and_unpacked),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bomb_and_count),
		cmocka_unit_test(test_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
