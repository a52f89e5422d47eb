/*
 * logs.c - the launcher's log files: logs/<service>.log, one line per
 * message with a UTC time stamp and the writer's name and pid.  Service
 * output arrives on pipes; control characters are escaped so a hostile
 * service cannot forge lines; long lines are cut; files rotate at
 * log_max_bytes keeping log_keep old files (<name>.log.1 is the newest).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"
#include "banned.h"

#define LINE_MAX_OUT	1024

int
logsink_open(struct logsink *l, const char *path)
{
	struct stat st;

	if (strlcpy(l->path, path, sizeof(l->path)) >= sizeof(l->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0640);
	if (l->fd == -1)
		return -1;
	l->size = fstat(l->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	l->plen = 0;
	return 0;
}

void
logsink_close(struct logsink *l)
{
	if (l->fd >= 0)
		(void)close(l->fd);
	l->fd = -1;
}

static void
rotate(struct logsink *l, unsigned keep)
{
	char	from[4300], to[4300];
	int	i;

	logsink_close(l);
	if (keep == 0)
		(void)unlink(l->path);
	for (i = (int)keep - 1; i >= 1; i--) {
		(void)snprintf(from, sizeof(from), "%s.%d", l->path, i);
		(void)snprintf(to, sizeof(to), "%s.%d", l->path, i + 1);
		(void)rename(from, to);
	}
	if (keep > 0) {
		(void)snprintf(to, sizeof(to), "%s.1", l->path);
		(void)rename(l->path, to);
	}
	(void)logsink_open(l, l->path);
}

void
logsink_line(struct logsink *l, const char *who, const char *line,
    size_t len, uint64_t maxbytes, unsigned keep, int echo)
{
	char	out[LINE_MAX_OUT + 160], ts[32];
	size_t	n, i;
	int	m;

	util_iso_time(util_wall_ms(), ts, sizeof(ts));
	m = snprintf(out, sizeof(out), "%s %s: ", ts, who);
	if (m < 0)
		return;
	n = (size_t)m;
	for (i = 0; i < len && n + 8 < sizeof(out) - 16; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\t' || (c >= 0x20 && c != 0x7f))
			out[n++] = (char)c;
		else {
			m = snprintf(out + n, sizeof(out) - n, "\\x%02x", c);
			n += m > 0 ? (size_t)m : 0;
		}
	}
	if (i < len)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "[cut]");
	out[n++] = '\n';
	if (l->fd >= 0 && util_write_all(l->fd, out, n) == 0) {
		l->size += n;
		if (l->size >= maxbytes)
			rotate(l, keep);
	}
	if (echo && util_write_all(STDERR_FILENO, out, n) == -1)
		return;		/* a closed terminal must not stop us */
}

void
logsink_feed(struct logsink *l, const char *who, const char *buf,
    size_t len, uint64_t maxbytes, unsigned keep, int echo)
{
	const char	*nl;
	size_t		 take;

	while (len > 0) {
		nl = memchr(buf, '\n', len);
		take = nl != NULL ? (size_t)(nl - buf) : len;
		if (l->plen + take > sizeof(l->pending))
			take = sizeof(l->pending) - l->plen;
		memcpy(l->pending + l->plen, buf, take);
		l->plen += take;
		buf += take;
		len -= take;
		if (len > 0 && *buf == '\n') {
			buf++;
			len--;
			logsink_line(l, who, l->pending, l->plen, maxbytes,
			    keep, echo);
			l->plen = 0;
		} else if (l->plen == sizeof(l->pending)) {
			logsink_line(l, who, l->pending, l->plen, maxbytes,
			    keep, echo);
			l->plen = 0;
		}
	}
}
