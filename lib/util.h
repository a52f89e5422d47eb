/*
 * util.h - small helpers shared by every process: bounded string and number
 * functions (from libbsd), whole-file reads with a cap, time, hex.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <bsd/stdlib.h>		/* strtonum, freezero */
#include <bsd/string.h>		/* strlcpy, strlcat */

#define WUR	__attribute__((warn_unused_result))

/* strerror_r into buf; returns buf. */
const char	*util_strerror(int, char *, size_t);

/*
 * Read a whole regular file of at most max bytes.  On success *out is a
 * NUL-terminated heap buffer (caller frees) and *len its length.
 * Returns 0, or -1 with errno (EFBIG when over max).
 */
int	 util_read_file(const char *path, size_t max, char **out, size_t *len) WUR;
int	 util_read_fd(int fd, size_t max, char **out, size_t *len) WUR;
/* A memfd holding len bytes of p, sealed against every change and
 * rewound: -1 with errno on failure.  The caller owns the descriptor. */
int	 util_sealed_memfd(const char *name, const void *p, size_t len) WUR;
/* write(2) until done; 0 or -1 with errno. */
int	 util_write_all(int fd, const void *, size_t) WUR;
/* Replace path with len bytes, mode mode, atomically: a temporary file
 * beside it, fsync, rename, fsync of the directory.  0, or -1 with
 * errno (the temporary file removed). */
int	 util_write_atomic(const char *path, const void *, size_t,
	    mode_t mode) WUR;
/* Monotonic milliseconds, and wall-clock milliseconds since the epoch. */
int64_t	 util_mono_ms(void);
int64_t	 util_wall_ms(void);
/* ISO 8601 UTC with milliseconds ("2026-11-25T08:00:00.123Z"); buf >= 25. */
void	 util_iso_time(int64_t wall_ms, char *buf, size_t len);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void	 util_hex(const uint8_t *, size_t n, char *out);
/* 1 if s is exactly 24 lower-case hex digits (a database id), else 0;
 * NULL gives 0. */
int	 util_hex24(const char *s);
/* Parse exactly 2n hex chars into n bytes; 0 or -1. */
int	 util_unhex(const char *, size_t n, uint8_t *out) WUR;
/* Parse a decimal unsigned number in [min,max] from a length-bounded
 * string; 0 or -1. */
int	 util_parse_u64(const char *, size_t, uint64_t min, uint64_t max,
	    uint64_t *out) WUR;

#endif /* UTIL_H */
