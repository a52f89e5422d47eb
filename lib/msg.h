/*
 * msg.h - broker frames: a fixed 64-byte header, then a JSON payload.
 *
 * Trust: every frame that arrives on a socketpair is untrusted until
 * msg_decode() (parse_frame.c) has accepted it.  The header is validated
 * before anything is allocated; payloads are read only by typed readers.
 * At most one fd travels with a frame (SCM_RIGHTS), only when MSG_F_FD is
 * set and only where policy says so.  Frames use host byte order: they
 * never leave the machine.
 */
#ifndef MSG_H
#define MSG_H

#include <stddef.h>
#include <stdint.h>

#include "msg_types.h"
#include "util.h"

#define MSG_MAX		(64 * 1024)	/* header + payload */
#define MSG_TARGET_LEN	40		/* NUL-padded, so 39 usable chars */

#define MSG_F_FD	0x1		/* an fd travels with this frame */
#define MSG_F_REPLY	0x2		/* answer to request peerid */
#define MSG_F_MASK	(MSG_F_FD | MSG_F_REPLY)

struct msg_hdr {
	uint32_t	type;		/* enum msg_type */
	uint32_t	len;		/* header + payload, bytes */
	uint32_t	flags;		/* MSG_F_* */
	uint32_t	peerid;		/* request id, echoed in the reply */
	uint32_t	caller;		/* enum svc_id, written by the broker */
	uint32_t	status;		/* enum msg_status, in replies */
	char		target[MSG_TARGET_LEN];	/* id the request is about */
};
#define MSG_HDR_LEN	sizeof(struct msg_hdr)
_Static_assert(sizeof(struct msg_hdr) == 64, "header is 64 bytes");

/* A decoded frame.  data is borrowed from the receive buffer. */
struct msg {
	struct msg_hdr	 hdr;
	const uint8_t	*data;
	size_t		 datalen;
	int		 fd;		/* -1, or owned by whoever holds msg */
};

enum frame_err {
	FRAME_OK = 0,
	FRAME_ESHORT = -1,	/* fewer bytes than a header */
	FRAME_ELEN = -2,	/* len field disagrees or too big */
	FRAME_EFLAGS = -3,	/* unknown flag bits */
	FRAME_ETYPE = -4,	/* unknown message type */
	FRAME_EFD = -5,		/* fd flag and passed fds disagree */
	FRAME_ETARGET = -6,	/* bad characters or no NUL padding */
	FRAME_ESTATUS = -7,	/* status out of range, or set in a request */
	FRAME_ETRUNC = -8,	/* kernel truncated data or control */
};

const char	*frame_strerror(int);

/* Validate a received frame of len bytes that came with nfds fds.
 * Fills m (data borrowed from buf, fd left at -1).  0 or enum frame_err. */
int	 msg_decode(const uint8_t *buf, size_t len, int nfds, struct msg *m) WUR;

/* Build a header. target may be NULL. 0, or -1 if target is invalid. */
int	 msg_hdr_init(struct msg_hdr *, uint32_t type, uint32_t peerid,
	    uint32_t flags, uint32_t status, const char *target) WUR;
/* Is s (len bytes) a valid target id? */
int	 msg_target_ok(const char *, size_t);

/* Send one frame (header fields len and FD flag are filled in).
 * fd < 0 for none.  0 or -1 with errno (EMSGSIZE when too big). */
int	 msg_send(int sock, struct msg_hdr *, const void *payload, size_t len,
	    int fd) WUR;

/*
 * Receive one frame into buf (MSG_MAX bytes).  Returns 1 with m filled,
 * 0 on orderly EOF, -1 on a system error (errno), or an enum frame_err
 * (< -1 is impossible to confuse: frame errors are returned as
 * MSG_RECV_BAD and the detail in *ferr).  Extra fds are closed.
 */
#define MSG_RECV_BAD	(-2)
int	 msg_recv(int sock, uint8_t *buf, struct msg *m, int *ferr) WUR;

#endif /* MSG_H */
