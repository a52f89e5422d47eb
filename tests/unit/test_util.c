/*
 * test_util.c - unit tests for lib/util.c: util_parse_u64 (bounds, overflow,
 * strictness, length bounding), util_hex/util_unhex, util_read_file and
 * util_read_fd with a size cap (EFBIG), util_iso_time formatting, and the
 * small helpers util_write_all and util_strerror.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Parse a NUL-terminated string; returns the util_parse_u64 result. */
static int
pu(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return util_parse_u64(s, strlen(s), min, max, out);
}

static void
test_parse_u64_valid(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(pu("0", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(pu("42", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(pu("0042", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(pu("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(pu("18446744073709551610", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX - 5);
}

static void
test_parse_u64_overflow(void **state)
{
	uint64_t v = 7;

	(void)state;
	/* One past UINT64_MAX, in the last digit and in an earlier one. */
	assert_int_equal(pu("18446744073709551616", 0, UINT64_MAX, &v), -1);
	assert_int_equal(pu("18446744073709551620", 0, UINT64_MAX, &v), -1);
	assert_int_equal(pu("18446744073709552615", 0, UINT64_MAX, &v), -1);
	assert_int_equal(pu("99999999999999999999", 0, UINT64_MAX, &v), -1);
	/* More than 20 characters, even if the value would fit. */
	assert_int_equal(pu("000000000000000000001", 0, UINT64_MAX, &v), -1);
	assert_int_equal(pu("123456789012345678901234", 0, UINT64_MAX, &v),
	    -1);
	/* *out is left alone on failure. */
	assert_int_equal(v, 7);
}

static void
test_parse_u64_bounds(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(pu("9", 10, 20, &v), -1);
	assert_int_equal(v, 99);
	assert_int_equal(pu("10", 10, 20, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(pu("20", 10, 20, &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(pu("21", 10, 20, &v), -1);
	assert_int_equal(v, 20);
	assert_int_equal(pu("0", 1, UINT64_MAX, &v), -1);
	assert_int_equal(pu("65535", 0, 65535, &v), 0);
	assert_int_equal(pu("65536", 0, 65535, &v), -1);
}

static void
test_parse_u64_strict(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1a", "a1", "0x10", "1.0", "1e3",
		"\t5", "5\n",
	};
	uint64_t v = 3;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pu(bad[i], 0, UINT64_MAX, &v) != -1)
			fail_msg("\"%s\" was accepted", bad[i]);
	}
	assert_int_equal(v, 3);
	/* Embedded NUL inside the given length is rejected. */
	assert_int_equal(util_parse_u64("1\0002", 3, 0, UINT64_MAX, &v), -1);
	/* Only len bytes are read: the rest of the buffer does not matter. */
	assert_int_equal(util_parse_u64("123abc", 3, 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(util_parse_u64("7", 0, 0, UINT64_MAX, &v), -1);
}

static void
test_hex(void **state)
{
	static const uint8_t in[] = { 0x00, 0xff, 0x1a, 0xb0, 0x09 };
	char out[2 * sizeof(in) + 1];
	char empty[1] = { 'x' };

	(void)state;
	util_hex(in, sizeof(in), out);
	assert_string_equal(out, "00ff1ab009");
	util_hex(in, 0, empty);
	assert_string_equal(empty, "");
}

static void
test_unhex(void **state)
{
	uint8_t b[4], all[256], back[256];
	char hx[2 * 256 + 1];
	size_t i;

	(void)state;
	assert_int_equal(util_unhex("00FF1a9B", 4, b), 0);
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(b[2], 0x1a);
	assert_int_equal(b[3], 0x9b);
	assert_int_equal(util_unhex("0g", 1, b), -1);
	assert_int_equal(util_unhex("g0", 1, b), -1);
	assert_int_equal(util_unhex("0 ", 1, b), -1);
	/* A string shorter than 2n stops at its NUL. */
	assert_int_equal(util_unhex("0", 1, b), -1);
	assert_int_equal(util_unhex("abc", 2, b), -1);
	/* Round trip of every byte value. */
	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	util_hex(all, sizeof(all), hx);
	assert_int_equal(strlen(hx), 512);
	assert_int_equal(util_unhex(hx, sizeof(back), back), 0);
	assert_memory_equal(all, back, sizeof(all));
}

/* Create a temporary file holding len bytes of c; returns its path (heap). */
static char *
tmpfile_with(size_t len, char c)
{
	const char	*dir = getenv("TMPDIR");
	char		*path, *data;
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	assert_true(asprintf(&path, "%s/test_util.XXXXXX", dir) > 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	data = malloc(len + 1);
	assert_non_null(data);
	memset(data, c, len);
	assert_int_equal(util_write_all(fd, data, len), 0);
	free(data);
	assert_int_equal(close(fd), 0);
	return path;
}

static void
test_read_file(void **state)
{
	char	*path, *out = NULL;
	size_t	 len = 0;

	(void)state;
	path = tmpfile_with(5, 'h');
	assert_int_equal(util_read_file(path, 100, &out, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(out, "hhhhh");
	free(out);
	out = NULL;
	/* Exactly at the cap is fine. */
	assert_int_equal(util_read_file(path, 5, &out, &len), 0);
	assert_int_equal(len, 5);
	assert_int_equal(out[5], '\0');
	free(out);
	out = NULL;
	/* One byte over the cap is EFBIG and allocates nothing. */
	errno = 0;
	assert_int_equal(util_read_file(path, 4, &out, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(out);
	assert_int_equal(util_read_file(path, 0, &out, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(unlink(path), 0);
	free(path);
}

static void
test_read_file_large(void **state)
{
	char	*path, *out = NULL;
	size_t	 len = 0, i;

	(void)state;
	/* Crosses the 4 KiB initial buffer and several doublings. */
	path = tmpfile_with(70000, 'z');
	assert_int_equal(util_read_file(path, 70000, &out, &len), 0);
	assert_int_equal(len, 70000);
	for (i = 0; i < len; i++)
		if (out[i] != 'z')
			fail_msg("byte %zu is %d", i, out[i]);
	assert_int_equal(out[len], '\0');
	free(out);
	out = NULL;
	errno = 0;
	assert_int_equal(util_read_file(path, 69999, &out, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(out);
	errno = 0;
	assert_int_equal(util_read_file(path, 4096, &out, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(unlink(path), 0);
	free(path);
}

static void
test_read_file_empty_and_errors(void **state)
{
	const char	*dir = getenv("TMPDIR");
	char		*path, *link, *out = NULL;
	size_t		 len = 99;

	(void)state;
	path = tmpfile_with(0, 'x');
	assert_int_equal(util_read_file(path, 0, &out, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);
	out = NULL;

	/* Symlinks are not followed. */
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	assert_true(asprintf(&link, "%s.lnk", path) > 0);
	assert_int_equal(symlink(path, link), 0);
	errno = 0;
	assert_int_equal(util_read_file(link, 100, &out, &len), -1);
	assert_int_equal(errno, ELOOP);
	assert_null(out);
	assert_int_equal(unlink(link), 0);
	free(link);

	/* A directory is not a regular file. */
	errno = 0;
	assert_int_equal(util_read_file(dir, 100, &out, &len), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(out);

	assert_int_equal(unlink(path), 0);
	errno = 0;
	assert_int_equal(util_read_file(path, 100, &out, &len), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(out);
	free(path);
}

static void
test_read_fd_pipe(void **state)
{
	char	*out = NULL;
	size_t	 len = 0;
	int	 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(util_write_all(p[1], "abcdef", 6), 0);
	assert_int_equal(close(p[1]), 0);
	assert_int_equal(util_read_fd(p[0], 6, &out, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(out, "abcdef");
	free(out);
	out = NULL;
	assert_int_equal(close(p[0]), 0);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(util_write_all(p[1], "abcdef", 6), 0);
	assert_int_equal(close(p[1]), 0);
	errno = 0;
	assert_int_equal(util_read_fd(p[0], 5, &out, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(out);
	assert_int_equal(close(p[0]), 0);

	/* A bad descriptor is reported with errno. */
	errno = 0;
	assert_int_equal(util_read_fd(-1, 5, &out, &len), -1);
	assert_int_equal(errno, EBADF);
	assert_null(out);
}

static void
test_iso_time(void **state)
{
	char buf[25], big[64];

	(void)state;
	util_iso_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	util_iso_time(1795593600123LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-25T08:00:00.123Z");
	assert_int_equal(strlen(buf), 24);
	util_iso_time(1795593600000LL + 59999, big, sizeof(big));
	assert_string_equal(big, "2026-11-25T08:00:59.999Z");
	util_iso_time(1795593600007LL, big, sizeof(big));
	assert_string_equal(big, "2026-11-25T08:00:00.007Z");
	/* Leap day. */
	util_iso_time(951782400000LL, big, sizeof(big));
	assert_string_equal(big, "2000-02-29T00:00:00.000Z");
	/* Before the epoch the milliseconds stay in 000..999. */
	util_iso_time(-1, big, sizeof(big));
	assert_string_equal(big, "1969-12-31T23:59:59.999Z");
	util_iso_time(-1000, big, sizeof(big));
	assert_string_equal(big, "1969-12-31T23:59:59.000Z");
	/* The extremes format without overflow (UBSan watches). */
	util_iso_time(INT64_MAX, big, sizeof(big));
	assert_string_equal(big, "292278994-08-17T07:12:55.807Z");
	util_iso_time(INT64_MIN, big, sizeof(big));
	assert_string_equal(big, "-292275055-05-16T16:47:04.192Z");
	/* A short buffer is truncated, never overrun. */
	util_iso_time(0, buf, 11);
	assert_string_equal(buf, "1970-01-01");
}

static void
test_clock_and_strerror(void **state)
{
	char		 eb[128];
	int64_t		 a, b;

	(void)state;
	a = util_mono_ms();
	b = util_mono_ms();
	assert_true(b >= a);
	/* Wall clock is after 2020-01-01. */
	assert_true(util_wall_ms() > 1577836800000LL);
	assert_string_equal(util_strerror(ENOENT, eb, sizeof(eb)),
	    "No such file or directory");
	assert_ptr_equal(util_strerror(EINVAL, eb, sizeof(eb)), eb);
	/* Truncated into a small buffer, still terminated. */
	util_strerror(ENOENT, eb, 5);
	assert_string_equal(eb, "No s");
}

static void
test_write_all(void **state)
{
	char	*buf, *out = NULL;
	size_t	 len = 0, n = 200000;
	int	 p[2];
	pid_t	 pid;

	(void)state;
	/* More than a pipe buffer, so write() returns short counts; a child
	 * drains the pipe. */
	buf = malloc(n);
	assert_non_null(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(util_write_all(p[1], buf, n) == 0 ? 0 : 1);
	}
	assert_int_equal(close(p[1]), 0);
	assert_int_equal(util_read_fd(p[0], n, &out, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, buf, n);
	assert_int_equal(close(p[0]), 0);
	{
		int st;

		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	free(out);
	free(buf);
	errno = 0;
	assert_int_equal(util_write_all(-1, "x", 1), -1);
	assert_int_equal(errno, EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_valid),
		cmocka_unit_test(test_parse_u64_overflow),
		cmocka_unit_test(test_parse_u64_bounds),
		cmocka_unit_test(test_parse_u64_strict),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_unhex),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_file_large),
		cmocka_unit_test(test_read_file_empty_and_errors),
		cmocka_unit_test(test_read_fd_pipe),
		cmocka_unit_test(test_iso_time),
		cmocka_unit_test(test_clock_and_strerror),
		cmocka_unit_test(test_write_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
