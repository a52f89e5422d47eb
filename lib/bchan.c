/*
 * bchan.c - service side of the broker channel (see bchan.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bchan.h"
#include "log.h"
#include "banned.h"

int
bchan_init(struct bchan *b, int fd)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->next_id = 1;
	if ((b->buf = malloc(MSG_MAX)) == NULL)
		return -1;
	if (pthread_mutex_init(&b->mu, NULL) != 0) {
		free(b->buf);
		return -1;
	}
	return 0;
}

void
bchan_ready(struct bchan *b, const char *summary)
{
	struct msg_hdr h;

	if (msg_hdr_init(&h, MSG_READY, 0, 0, MST_OK, NULL) == -1 ||
	    msg_send(b->fd, &h, summary, strlen(summary), -1) == -1)
		fatal("cannot tell the broker I am ready");
}

int
bchan_call(struct bchan *b, unsigned type, const char *target,
    const void *req, size_t reqlen, int timeout_ms, char **reply,
    size_t *replylen)
{
	return bchan_call_fd(b, type, target, req, reqlen, -1, timeout_ms,
	    reply, replylen, NULL);
}

int
bchan_call_fd(struct bchan *b, unsigned type, const char *target,
    const void *req, size_t reqlen, int fd_in, int timeout_ms, char **reply,
    size_t *replylen, int *fd_out)
{
	struct msg_hdr	 h;
	struct msg	 m;
	struct pollfd	 pfd;
	int64_t		 deadline;
	uint32_t	 id;
	int		 r, ferr, st;

	if (reply != NULL)
		*reply = NULL;
	if (replylen != NULL)
		*replylen = 0;
	if (fd_out != NULL)
		*fd_out = -1;
	(void)pthread_mutex_lock(&b->mu);
	id = b->next_id++;
	if (b->next_id == 0)
		b->next_id = 1;
	if (msg_hdr_init(&h, type, id, 0, MST_OK, target) == -1) {
		(void)pthread_mutex_unlock(&b->mu);
		return MST_BADREQ;
	}
	if (msg_send(b->fd, &h, req, reqlen, fd_in) == -1) {
		st = errno == EMSGSIZE ? MST_TOOBIG : MST_UNAVAILABLE;
		(void)pthread_mutex_unlock(&b->mu);
		return st;
	}
	deadline = util_mono_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - util_mono_ms();

		if (left <= 0) {
			st = MST_TIMEOUT;
			break;
		}
		pfd.fd = b->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, (int)left)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (r == 0)
			continue;
		r = msg_recv(b->fd, b->buf, &m, &ferr);
		if (r == 0 || r == -1) {
			st = MST_UNAVAILABLE;
			break;
		}
		if (r == MSG_RECV_BAD)
			fatalx("malformed frame from broker: %s",
			    frame_strerror(ferr));
		if (!(m.hdr.flags & MSG_F_REPLY))
			fatalx("unexpected request %s from broker",
			    msg_type_name(m.hdr.type));
		if (m.hdr.peerid != id) {
			if (m.fd != -1)
				(void)close(m.fd);
			continue;	/* a late reply to an earlier call */
		}
		st = (int)m.hdr.status;
		if (m.fd != -1 && m.datalen == 0) {
			/* The body did not fit in a frame. */
			char	*body = NULL;
			size_t	 bl = 0;

			if (lseek(m.fd, 0, SEEK_SET) == -1 ||
			    util_read_fd(m.fd, BCHAN_REPLY_MAX, &body,
			    &bl) == -1)
				st = MST_TOOBIG;
			(void)close(m.fd);
			if (st != MST_TOOBIG && reply != NULL) {
				*reply = body;
				if (replylen != NULL)
					*replylen = bl;
			} else
				free(body);
			break;
		}
		if (m.fd != -1) {
			if (fd_out != NULL)
				*fd_out = m.fd;
			else
				(void)close(m.fd);
		}
		if (reply != NULL) {
			if ((*reply = malloc(m.datalen + 1)) == NULL) {
				st = MST_INTERNAL;
				break;
			}
			memcpy(*reply, m.data, m.datalen);
			(*reply)[m.datalen] = '\0';
			if (replylen != NULL)
				*replylen = m.datalen;
		}
		break;
	}
	(void)pthread_mutex_unlock(&b->mu);
	return st;
}

int
bchan_serve_one(struct bchan *b, struct msg *m)
{
	int r, ferr;

	for (;;) {
		r = msg_recv(b->fd, b->buf, m, &ferr);
		if (r == 0)
			return 0;
		if (r == -1) {
			if (errno == ECONNRESET)
				return 0;
			fatal("recv from broker");
		}
		if (r == MSG_RECV_BAD)
			fatalx("malformed frame from broker: %s",
			    frame_strerror(ferr));
		if (m->hdr.flags & MSG_F_REPLY) {
			if (m->fd != -1)
				(void)close(m->fd);
			log_warnx("unexpected reply from broker, dropped");
			continue;
		}
		return 1;
	}
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
