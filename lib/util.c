/*
 * util.c - see util.h.  No process-specific state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "banned.h"

const char *
util_strerror(int err, char *buf, size_t len)
{
	/* GNU strerror_r may return a static string instead of filling buf. */
	const char *s = strerror_r(err, buf, len);

	if (s != buf)
		(void)strlcpy(buf, s, len);
	return buf;
}

int
util_read_fd(int fd, size_t max, char **out, size_t *len)
{
	char	*buf = NULL, *nb;
	size_t	 cap = 0, n = 0;
	ssize_t	 r;

	for (;;) {
		if (n + 1 >= cap) {
			size_t ncap = cap == 0 ? 4096 : cap * 2;

			if (ncap > max + 2)
				ncap = max + 2;
			if (ncap <= n + 1) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			if ((nb = realloc(buf, ncap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(buf);
			errno = EFBIG;
			return -1;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
util_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat	 st;
	int		 fd, r, saved;

	/* O_NONBLOCK: a FIFO planted in place of a file cannot hang us
	 * before the S_ISREG check. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	r = util_read_fd(fd, max, out, len);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
util_sealed_memfd(const char *name, const void *p, size_t len)
{
	int fd, saved;

	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	if (util_write_all(fd, p, len) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1 || lseek(fd, 0, SEEK_SET) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
util_write_all(int fd, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 w;

	while (len > 0) {
		w = write(fd, c, len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

int64_t
util_mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_wall_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
util_iso_time(int64_t ms, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)(ms / 1000);
	int		 frac = (int)(ms % 1000);
	char		 tmp[32];

	/* C division truncates toward zero: before the epoch, borrow a
	 * second so that the milliseconds stay in 0..999. */
	if (frac < 0) {
		frac += 1000;
		t--;
	}
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		(void)strlcpy(buf, "1970-01-01T00:00:00.000Z", len);
		return;
	}
	(void)snprintf(buf, len, "%s.%03dZ", tmp, frac);
}

void
util_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_unhex(const char *s, size_t n, uint8_t *out)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
util_parse_u64(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
util_hex24(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 24; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[24] == '\0';
}

int
util_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode)
{
	char		 tmp[PATH_MAX + 16], dir[PATH_MAX];
	const char	*slash = strrchr(path, '/');
	size_t		 n;
	int		 fd, saved, rc;

	if (slash == NULL)
		n = strlcpy(dir, ".", sizeof(dir));
	else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = '\0';
		}
	}
	if (n >= sizeof(dir) || snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX",
	    path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1)
		return -1;
	if (fchmod(fd, mode) == -1 || util_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		(void)unlink(tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}
