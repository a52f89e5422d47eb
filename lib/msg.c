/*
 * msg.c - send and receive broker frames over SOCK_SEQPACKET socketpairs,
 * with at most one descriptor per frame (SCM_RIGHTS).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "msg.h"
#include "banned.h"

int
msg_hdr_init(struct msg_hdr *h, uint32_t type, uint32_t peerid,
    uint32_t flags, uint32_t status, const char *target)
{
	size_t tlen;

	memset(h, 0, sizeof(*h));
	h->type = type;
	h->peerid = peerid;
	h->flags = flags;
	h->status = status;
	if (target != NULL) {
		tlen = strnlen(target, MSG_TARGET_LEN);
		if (!msg_target_ok(target, tlen))
			return -1;
		memcpy(h->target, target, tlen);
	}
	return 0;
}

int
msg_send(int sock, struct msg_hdr *h, const void *payload, size_t len,
    int fd)
{
	struct msghdr	 mh;
	struct iovec	 iov[2];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*c;
	ssize_t		 n;

	if (len > MSG_MAX - MSG_HDR_LEN) {
		errno = EMSGSIZE;
		return -1;
	}
	h->len = (uint32_t)(MSG_HDR_LEN + len);
	if (fd >= 0)
		h->flags |= MSG_F_FD;
	else
		h->flags &= ~(uint32_t)MSG_F_FD;

	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = h;
	iov[0].iov_len = MSG_HDR_LEN;
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != h->len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
msg_recv(int sock, uint8_t *buf, struct msg *m, int *ferr)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct cmsghdr	*c;
	ssize_t		 n;
	int		 fds[4], nfds = 0, i, e;

	*ferr = FRAME_OK;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = MSG_MAX;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;

	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t j = 0; j < k; j++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + j * sizeof(int), sizeof(int));
			if (nfds < 4)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0 && nfds == 0)
		return 0;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		e = FRAME_ETRUNC;
	else
		e = msg_decode(buf, (size_t)n, nfds, m);
	if (e != FRAME_OK) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		*ferr = e;
		return MSG_RECV_BAD;
	}
	m->fd = nfds == 1 ? fds[0] : -1;
	return 1;
}
