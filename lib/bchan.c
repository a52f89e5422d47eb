/*
 * bchan.c - service side of the broker channel (see bchan.h).
 *
 * Trust: frames come from the broker, which validated and routed them;
 * they are still decoded by msg_recv()/msg_decode() and a malformed one
 * is fatal.  Holds no secrets; payloads are copied, never interpreted.
 *
 * Concurrency: every call registers a waiter (on its own stack) under the
 * mutex before it sends, so a reply can never arrive unclaimed.  Whoever
 * waits and finds nobody reading becomes the reader: it polls and reads
 * with the mutex released, then, holding it again, hands the frame out
 * (reply to its waiter, request to the queue), gives up the role and wakes
 * everyone.  A reader whose own wait is over leaves the role to the next
 * waiter, so a slow call never makes a faster one miss its deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bchan.h"
#include "log.h"
#include "banned.h"

struct bchan_wait {
	uint32_t		 id;
	int			 done;
	unsigned		 status;
	uint8_t			*data;		/* heap copy of the payload */
	size_t			 len;
	int			 fd;
	struct bchan_wait	*next;
};

struct bchan_qent {
	struct msg_hdr		 hdr;
	uint8_t			*data;		/* heap, len + 1 bytes */
	size_t			 len;
	int			 fd;
};

#define PUMP_TIMEOUT	(-100)	/* not a msg_recv() result */

static const char busy_body[] =
    "{\"detail\":\"Service busy; try again later.\"}";

int
bchan_init(struct bchan *b, int fd)
{
	pthread_condattr_t ca;

	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->next_id = 1;
	if ((b->buf = malloc(MSG_MAX)) == NULL ||
	    (b->q = calloc(BCHAN_QMAX, sizeof(*b->q))) == NULL)
		goto fail;
	if (pthread_mutex_init(&b->mu, NULL) != 0)
		goto fail;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&b->cv, &ca) != 0) {
		(void)pthread_mutex_destroy(&b->mu);
		goto fail;
	}
	(void)pthread_condattr_destroy(&ca);
	return 0;
fail:
	free(b->buf);
	free(b->q);
	b->buf = NULL;
	b->q = NULL;
	return -1;
}

void
bchan_free(struct bchan *b)
{
	size_t i;

	if (b == NULL || b->buf == NULL)
		return;
	for (i = 0; i < b->qlen; i++) {
		struct bchan_qent *e = &b->q[(b->qhead + i) % BCHAN_QMAX];

		free(e->data);
		if (e->fd != -1)
			(void)close(e->fd);
	}
	free(b->q);
	free(b->buf);
	free(b->cur);
	(void)pthread_cond_destroy(&b->cv);
	(void)pthread_mutex_destroy(&b->mu);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}

void
bchan_ready(struct bchan *b, const char *summary)
{
	struct msg_hdr h;

	if (msg_hdr_init(&h, MSG_READY, 0, 0, MST_OK, NULL) == -1 ||
	    msg_send(b->fd, &h, summary, strlen(summary), -1) == -1)
		fatal("cannot tell the broker I am ready");
}

/* Absolute CLOCK_MONOTONIC time of the monotonic ms deadline. */
static struct timespec
abstime(int64_t deadline_ms)
{
	struct timespec	ts;
	int64_t		now = util_mono_ms(), left = deadline_ms - now;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if (left < 0)
		left = 0;
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Hand a received frame out.  Called with the mutex held. */
static void
dispatch(struct bchan *b, struct msg *m)
{
	struct bchan_wait	*w;
	struct bchan_qent	*e;

	if (m->hdr.flags & MSG_F_REPLY) {
		for (w = b->waiters; w != NULL; w = w->next)
			if (w->id == m->hdr.peerid && !w->done)
				break;
		if (w == NULL) {
			/* A late reply to a call that timed out. */
			if (m->fd != -1)
				(void)close(m->fd);
			return;
		}
		w->status = m->hdr.status;
		w->fd = m->fd;
		w->len = m->datalen;
		if ((w->data = malloc(m->datalen + 1)) == NULL) {
			w->status = MST_INTERNAL;
			w->len = 0;
		} else {
			memcpy(w->data, m->data, m->datalen);
			w->data[m->datalen] = '\0';
		}
		w->done = 1;
		return;
	}
	if (b->qlen == BCHAN_QMAX) {
		log_warnx("%s: %d requests queued, answered busy",
		    msg_type_name(m->hdr.type), BCHAN_QMAX);
		if (m->fd != -1)
			(void)close(m->fd);
		m->fd = -1;
		bchan_reply(b, m, MST_BUSY, busy_body, sizeof(busy_body) - 1);
		return;
	}
	e = &b->q[(b->qhead + b->qlen) % BCHAN_QMAX];
	if ((e->data = malloc(m->datalen + 1)) == NULL) {
		if (m->fd != -1)
			(void)close(m->fd);
		m->fd = -1;
		bchan_reply(b, m, MST_INTERNAL, "{}", 2);
		return;
	}
	memcpy(e->data, m->data, m->datalen);
	e->data[m->datalen] = '\0';
	e->len = m->datalen;
	e->hdr = m->hdr;
	e->fd = m->fd;
	b->qlen++;
}

/*
 * Be the reader until one frame was handed out, the broker went away or
 * the deadline (-1: none) passed.  Called and returns with the mutex
 * held and b->reading clear; wakes every waiter before returning.
 */
static void
pump(struct bchan *b, int64_t deadline)
{
	struct pollfd	 pfd;
	struct msg	 m;
	int		 r, ferr, tmo, e;

	b->reading = 1;
	(void)pthread_mutex_unlock(&b->mu);
	for (;;) {
		if (deadline == -1)
			tmo = -1;
		else {
			int64_t left = deadline - util_mono_ms();

			if (left <= 0) {
				r = PUMP_TIMEOUT;
				break;
			}
			tmo = left > 60000 ? 60000 : (int)left;
		}
		pfd.fd = b->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, tmo)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (r == 0)
			continue;
		r = msg_recv(b->fd, b->buf, &m, &ferr);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	e = errno;
	(void)pthread_mutex_lock(&b->mu);
	b->reading = 0;
	if (r == MSG_RECV_BAD)
		fatalx("malformed frame from broker: %s",
		    frame_strerror(ferr));
	if (r == 0 || r == -1) {
		if (r == -1 && e != ECONNRESET) {
			char eb[128];

			log_warnx("recv from broker: %s",
			    util_strerror(e, eb, sizeof(eb)));
		}
		b->dead = 1;
	} else if (r == 1)
		dispatch(b, &m);
	(void)pthread_cond_broadcast(&b->cv);
}

int
bchan_call(struct bchan *b, unsigned type, const char *target,
    const void *req, size_t reqlen, int timeout_ms, char **reply,
    size_t *replylen)
{
	return bchan_call_fd(b, type, target, req, reqlen, -1, timeout_ms,
	    reply, replylen, NULL);
}

/* Take w off the waiter list.  Mutex held. */
static void
unwait(struct bchan *b, struct bchan_wait *w)
{
	struct bchan_wait **pp;

	for (pp = &b->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
}

int
bchan_call_fd(struct bchan *b, unsigned type, const char *target,
    const void *req, size_t reqlen, int fd_in, int timeout_ms, char **reply,
    size_t *replylen, int *fd_out)
{
	struct bchan_wait	 w;
	struct msg_hdr		 h;
	int64_t			 deadline;
	int			 st;

	if (reply != NULL)
		*reply = NULL;
	if (replylen != NULL)
		*replylen = 0;
	if (fd_out != NULL)
		*fd_out = -1;
	memset(&w, 0, sizeof(w));
	w.fd = -1;
	if (timeout_ms < 0)
		timeout_ms = 0;
	deadline = util_mono_ms() + timeout_ms;

	(void)pthread_mutex_lock(&b->mu);
	if (b->dead) {
		(void)pthread_mutex_unlock(&b->mu);
		return MST_UNAVAILABLE;
	}
	w.id = b->next_id++;
	if (b->next_id == 0)
		b->next_id = 1;
	if (msg_hdr_init(&h, type, w.id, 0, MST_OK, target) == -1) {
		(void)pthread_mutex_unlock(&b->mu);
		return MST_BADREQ;
	}
	w.next = b->waiters;
	b->waiters = &w;
	(void)pthread_mutex_unlock(&b->mu);

	/* Whole records on a SOCK_SEQPACKET socket: no lock needed. */
	if (msg_send(b->fd, &h, req, reqlen, fd_in) == -1) {
		st = errno == EMSGSIZE ? MST_TOOBIG : MST_UNAVAILABLE;
		(void)pthread_mutex_lock(&b->mu);
		unwait(b, &w);
		(void)pthread_mutex_unlock(&b->mu);
		return st;
	}

	(void)pthread_mutex_lock(&b->mu);
	for (;;) {
		if (w.done)
			break;
		if (b->dead) {
			w.status = MST_UNAVAILABLE;
			break;
		}
		if (util_mono_ms() >= deadline) {
			w.status = MST_TIMEOUT;
			break;
		}
		if (!b->reading)
			pump(b, deadline);
		else {
			struct timespec ts = abstime(deadline);

			(void)pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		}
	}
	unwait(b, &w);
	(void)pthread_mutex_unlock(&b->mu);

	st = (int)w.status;
	if (!w.done)
		return st;
	if (w.fd != -1 && w.len == 0) {
		/* The body did not fit in a frame. */
		char	*body = NULL;
		size_t	 bl = 0;

		free(w.data);
		if (lseek(w.fd, 0, SEEK_SET) == -1 ||
		    util_read_fd(w.fd, BCHAN_REPLY_MAX, &body, &bl) == -1)
			st = MST_TOOBIG;
		(void)close(w.fd);
		if (st != MST_TOOBIG && reply != NULL) {
			*reply = body;
			if (replylen != NULL)
				*replylen = bl;
		} else
			free(body);
		return st;
	}
	if (w.fd != -1) {
		if (fd_out != NULL)
			*fd_out = w.fd;
		else
			(void)close(w.fd);
	}
	if (reply != NULL && w.data != NULL) {
		*reply = (char *)w.data;
		if (replylen != NULL)
			*replylen = w.len;
	} else
		free(w.data);
	return st;
}

int
bchan_serve_one(struct bchan *b, struct msg *m)
{
	struct bchan_qent *e;

	(void)pthread_mutex_lock(&b->mu);
	free(b->cur);
	b->cur = NULL;
	for (;;) {
		if (b->dead) {
			(void)pthread_mutex_unlock(&b->mu);
			return 0;
		}
		if (b->qlen > 0)
			break;
		if (!b->reading)
			pump(b, -1);
		else
			(void)pthread_cond_wait(&b->cv, &b->mu);
	}
	e = &b->q[b->qhead];
	b->qhead = (b->qhead + 1) % BCHAN_QMAX;
	b->qlen--;
	memset(m, 0, sizeof(*m));
	m->hdr = e->hdr;
	m->data = e->data;
	m->datalen = e->len;
	m->fd = e->fd;
	b->cur = e->data;
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	(void)pthread_mutex_unlock(&b->mu);
	return 1;
}

size_t
bchan_queued(struct bchan *b)
{
	size_t n;

	(void)pthread_mutex_lock(&b->mu);
	n = b->qlen;
	(void)pthread_mutex_unlock(&b->mu);
	return n;
}

void
bchan_reply(struct bchan *b, const struct msg *req, unsigned status,
    const void *p, size_t len)
{
	bchan_reply_fd(b, req, status, p, len, -1);
}

void
bchan_reply_fd(struct bchan *b, const struct msg *req, unsigned status,
    const void *p, size_t len, int fd)
{
	struct msg_hdr h;

	if (msg_hdr_init(&h, req->hdr.type, req->hdr.peerid, MSG_F_REPLY,
	    status, NULL) == -1)
		fatalx("bchan_reply: header");
	memcpy(h.target, req->hdr.target, sizeof(h.target));
	if (msg_send(b->fd, &h, p, len, fd) == -1) {
		if (errno == EMSGSIZE) {
			if (msg_hdr_init(&h, req->hdr.type, req->hdr.peerid,
			    MSG_F_REPLY, MST_TOOBIG, NULL) == 0 &&
			    msg_send(b->fd, &h, NULL, 0, -1) == 0)
				return;
		}
		fatal("reply to broker");
	}
}
