/*
 * bchan.h - a service's end of its broker channel.
 *
 * bchan_call() sends one request and waits for its reply (thread-safe:
 * one call at a time per channel).  bchan_serve_one() receives one request
 * for a service that answers operations (db) and bchan_reply() answers it.
 * A malformed frame from the broker, or the broker going away, ends the
 * process: the launcher restarts it (STYLE.md 3.4).
 */
#ifndef BCHAN_H
#define BCHAN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct bchan {
	int		 fd;
	uint32_t	 next_id;
	pthread_mutex_t	 mu;
	uint8_t		*buf;		/* MSG_MAX bytes */
};

int	 bchan_init(struct bchan *, int fd) WUR;
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
/* Wait for one request (blocking).  1 with m filled (data points into the
 * channel buffer until the next call), 0 when the broker closed. */
int	 bchan_serve_one(struct bchan *, struct msg *m) WUR;
/* Answer request req with status and payload. */
void	 bchan_reply(struct bchan *, const struct msg *req, unsigned status,
	    const void *p, size_t len);
/* The same with a descriptor (or -1), which stays the caller's. */
void	 bchan_reply_fd(struct bchan *, const struct msg *req,
	    unsigned status, const void *p, size_t len, int fd);

#endif /* BCHAN_H */
