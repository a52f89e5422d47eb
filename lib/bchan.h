/*
 * bchan.h - a service's end of its broker channel.
 *
 * bchan_call() sends one request and waits for its reply.  Any number of
 * threads may call at once: replies are matched to their callers by
 * request id.  One thread at a time reads the socket (whichever waiter
 * finds nobody reading) and hands every frame it gets to its owner: a
 * reply to the waiting call, a request to a bounded queue (BCHAN_QMAX;
 * beyond that it is answered MST_BUSY at once) that bchan_serve_one()
 * empties first.  So a service may both serve and call on its one
 * channel (auth answers the api and asks the db), also from inside the
 * handler of a request.  bchan_reply() answers a request (frames are
 * whole SOCK_SEQPACKET records, so threads may send concurrently).
 * A malformed frame from the broker ends the process; the broker going
 * away fails every call with MST_UNAVAILABLE and makes bchan_serve_one()
 * return 0: the launcher restarts the service (STYLE.md 3.4).
 */
#ifndef BCHAN_H
#define BCHAN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define BCHAN_QMAX	64	/* requests queued while a call waits */

struct bchan_wait;
struct bchan_qent;

struct bchan {
	int			 fd;
	uint32_t		 next_id;
	pthread_mutex_t		 mu;	/* guards everything below */
	pthread_cond_t		 cv;	/* a frame was handed out, or the
					 * reader role is free */
	uint8_t			*buf;	/* MSG_MAX bytes, the reader's */
	int			 reading;	/* a thread reads the socket */
	int			 dead;		/* the broker went away */
	struct bchan_wait	*waiters;	/* calls in flight */
	struct bchan_qent	*q;		/* BCHAN_QMAX queued requests */
	size_t			 qhead, qlen;
	uint8_t			*cur;	/* payload of the request last
					 * returned by bchan_serve_one() */
};

int	 bchan_init(struct bchan *, int fd) WUR;
/* Free what bchan_init() allocated (not the fd); no thread may be using
 * the channel.  Accepts a zeroed struct. */
void	 bchan_free(struct bchan *);
/* Tell the broker this service is confined and ready. */
void	 bchan_ready(struct bchan *, const char *summary);
/*
 * Call type with payload req.  Returns the reply status (MST_*); on
 * MST_OK and other replies the payload is in *reply (heap, NUL-terminated,
 * caller frees) unless reply is NULL.  MST_TIMEOUT if nothing came back in
 * timeout_ms, MST_UNAVAILABLE if the broker went away.
 */
int	 bchan_call(struct bchan *, unsigned type, const char *target,
	    const void *req, size_t reqlen, int timeout_ms, char **reply,
	    size_t *replylen);
/*
 * The same with descriptors: fd_in (or -1) travels with the request (the
 * broker passes it only where broker.policy says "(fd)").  A reply whose
 * body did not fit in a frame arrives as a memfd with an empty payload; it
 * is read into *reply (at most BCHAN_REPLY_MAX bytes).  Any other reply
 * descriptor (file.get) is handed to the caller in *fd_out (which must
 * then close it), or closed when fd_out is NULL.
 */
#define BCHAN_REPLY_MAX	(64 * 1024 * 1024)
int	 bchan_call_fd(struct bchan *, unsigned type, const char *target,
	    const void *req, size_t reqlen, int fd_in, int timeout_ms,
	    char **reply, size_t *replylen, int *fd_out);
/* Wait for one request (blocking); queued requests come first, in
 * arrival order.  1 with m filled (m->data is the channel's until the next
 * bchan_serve_one(); m->fd, or -1, is the caller's), 0 when the broker
 * closed.  Call it from one thread only. */
int	 bchan_serve_one(struct bchan *, struct msg *m) WUR;
/* Requests queued now (a service that polls fd itself must also serve
 * these: they arrived while a call waited and the fd may be quiet). */
size_t	 bchan_queued(struct bchan *);
/* Answer request req with status and payload. */
void	 bchan_reply(struct bchan *, const struct msg *req, unsigned status,
	    const void *p, size_t len);
/* The same with a descriptor (or -1), which stays the caller's. */
void	 bchan_reply_fd(struct bchan *, const struct msg *req,
	    unsigned status, const void *p, size_t len, int fd);

#endif /* BCHAN_H */
