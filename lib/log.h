/*
 * log.h - logging for every process, after OpenBSD's log.c.
 *
 * Lines go to stderr, which the launcher turns into logs/<role>.log (it adds
 * the time stamp, escapes control characters and rotates).  Never log
 * secrets, tokens or request bodies.  All functions preserve errno.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

void	log_init(const char *role, int debug);
void	log_procinit(const char *role);
void	log_setverbose(int);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* LOG_H */
