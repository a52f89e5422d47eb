/*
 * log.c - role-tagged log lines on stderr (see log.h).
 *
 * Trust: used by every process, including sandboxed ones: only write(2) on
 * fd 2 is needed, so it works under every seccomp profile.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static char	 log_role[32] = "mupif";
static int	 log_verbose;

void
log_init(const char *role, int debug)
{
	log_procinit(role);
	log_verbose = debug;
}

void
log_procinit(const char *role)
{
	(void)strlcpy(log_role, role != NULL ? role : "", sizeof(log_role));
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

/* Format one line and write it with a single write(2), so lines from
 * threads do not interleave. */
static void
vlog(const char *level, const char *fmt, va_list ap, const char *errstr)
{
	char	 line[1024];
	int	 n, m;
	size_t	 len;

	/* Services run under the launcher, which names them itself. */
	n = snprintf(line, sizeof(line), "%s%s%s", log_role,
	    log_role[0] != '\0' ? ": " : "", level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	len = strnlen(line, sizeof(line) - 1);
	if (errstr != NULL && len + 3 < sizeof(line)) {
		m = snprintf(line + len, sizeof(line) - len, ": %s", errstr);
		len = strnlen(line, sizeof(line) - 1);
	}
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) == -1)
		return;		/* nowhere left to report it */
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;
	char	 ebuf[128];

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap, util_strerror(saved, ebuf, sizeof(ebuf)));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;
	char	 ebuf[128];

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, util_strerror(saved, ebuf, sizeof(ebuf)));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
