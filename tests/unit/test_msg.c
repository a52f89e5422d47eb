/*
 * test_msg.c - unit tests for broker frames: msg_decode (lib/parse_frame.c)
 * on a good frame and on every rejection path, msg_hdr_init and
 * msg_target_ok, and msg_send/msg_recv (lib/msg.c) over a SOCK_SEQPACKET
 * socketpair: payload and memfd round trips, EOF, EMSGSIZE, and raw frames
 * with bad headers or unwanted descriptors, which must come back as
 * MSG_RECV_BAD with the right frame error and every passed fd closed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "msg.h"

/*
 * Build a frame in buf: a header with the given fields and len equal to
 * header + plen, then plen payload bytes of 'p'.  Returns the frame size.
 */
static size_t
mkframe(uint8_t *buf, uint32_t type, uint32_t flags, uint32_t status,
    const char *target, size_t plen)
{
	struct msg_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)(MSG_HDR_LEN + plen);
	h.flags = flags;
	h.peerid = 77;
	h.caller = 3;
	h.status = status;
	if (target != NULL)
		memcpy(h.target, target, strnlen(target, MSG_TARGET_LEN));
	memcpy(buf, &h, MSG_HDR_LEN);
	memset(buf + MSG_HDR_LEN, 'p', plen);
	return MSG_HDR_LEN + plen;
}

/* Overwrite the header field at offset off (a u32) of a built frame. */
static void
setfield(uint8_t *buf, size_t off, uint32_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void
test_decode_good(void **state)
{
	uint8_t		buf[256];
	struct msg	m;
	size_t		n;

	(void)state;
	n = mkframe(buf, MSG_DB_PING, 0, MST_OK, "exec-1:a.b_c@d+e", 10);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_OK);
	assert_int_equal(m.hdr.type, MSG_DB_PING);
	assert_int_equal(m.hdr.len, n);
	assert_int_equal(m.hdr.peerid, 77);
	assert_int_equal(m.hdr.caller, 3);
	assert_string_equal(m.hdr.target, "exec-1:a.b_c@d+e");
	assert_ptr_equal(m.data, buf + MSG_HDR_LEN);
	assert_int_equal(m.datalen, 10);
	assert_int_equal(m.fd, -1);

	/* Header only, no payload. */
	n = mkframe(buf, MSG_SETTINGS_GET, 0, MST_OK, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_OK);
	assert_int_equal(m.datalen, 0);

	/* A reply with a status and an fd. */
	n = mkframe(buf, MSG_SETTINGS_PUT, MSG_F_REPLY | MSG_F_FD,
	    MST_MALFORMED, "x", 3);
	assert_int_equal(msg_decode(buf, n, 1, &m), FRAME_OK);
	assert_int_equal(m.hdr.status, MST_MALFORMED);
	assert_int_equal(m.fd, -1);	/* msg_recv sets it, not decode */

	/* Control messages below MSG_OP_FIRST (other than NONE) decode. */
	n = mkframe(buf, MSG_READY, 0, MST_OK, NULL, 2);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_OK);

	/* Exactly MSG_MAX bytes is allowed. */
	{
		uint8_t *big = malloc(MSG_MAX);

		assert_non_null(big);
		n = mkframe(big, MSG_DB_PING, 0, MST_OK, NULL,
		    MSG_MAX - MSG_HDR_LEN);
		assert_int_equal(n, MSG_MAX);
		assert_int_equal(msg_decode(big, n, 0, &m), FRAME_OK);
		assert_int_equal(m.datalen, MSG_MAX - MSG_HDR_LEN);
		free(big);
	}
}

static void
test_decode_short(void **state)
{
	uint8_t		buf[MSG_HDR_LEN];
	struct msg	m;

	(void)state;
	(void)mkframe(buf, MSG_DB_PING, 0, MST_OK, NULL, 0);
	assert_int_equal(msg_decode(buf, 0, 0, &m), FRAME_ESHORT);
	assert_int_equal(msg_decode(buf, 1, 0, &m), FRAME_ESHORT);
	assert_int_equal(msg_decode(buf, MSG_HDR_LEN - 1, 0, &m),
	    FRAME_ESHORT);
	assert_null(m.data);
	assert_int_equal(m.fd, -1);
}

static void
test_decode_len(void **state)
{
	uint8_t		 buf[256], *big;
	struct msg	 m;
	size_t		 n;

	(void)state;
	n = mkframe(buf, MSG_DB_PING, 0, MST_OK, NULL, 10);
	/* Length field larger and smaller than what arrived. */
	setfield(buf, offsetof(struct msg_hdr, len), (uint32_t)n + 1);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ELEN);
	setfield(buf, offsetof(struct msg_hdr, len), (uint32_t)n - 1);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ELEN);
	/* Below the header size. */
	setfield(buf, offsetof(struct msg_hdr, len), 10);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ELEN);
	setfield(buf, offsetof(struct msg_hdr, len), 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ELEN);
	setfield(buf, offsetof(struct msg_hdr, len), UINT32_MAX);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ELEN);
	assert_null(m.data);

	/* len == bytes received, but above MSG_MAX. */
	big = malloc(MSG_MAX + 1);
	assert_non_null(big);
	n = mkframe(big, MSG_DB_PING, 0, MST_OK, NULL,
	    MSG_MAX + 1 - MSG_HDR_LEN);
	assert_int_equal(n, MSG_MAX + 1);
	assert_int_equal(msg_decode(big, n, 0, &m), FRAME_ELEN);
	free(big);
}

static void
test_decode_flags(void **state)
{
	static const uint32_t bad[] = { 0x4, 0x8, 0x100, 0x80000000u,
	    MSG_F_FD | 0x10, 0xffffffffu };
	uint8_t		buf[128];
	struct msg	m;
	size_t		i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = mkframe(buf, MSG_DB_PING, bad[i], MST_OK, NULL, 0);
		assert_int_equal(msg_decode(buf, n, bad[i] & MSG_F_FD ? 1 : 0,
		    &m), FRAME_EFLAGS);
	}
}

static void
test_decode_type(void **state)
{
	static const uint32_t bad[] = { MSG_NONE, MSG_OP_FIRST,
	    MSG_TYPE_COUNT, MSG_TYPE_COUNT + 1, 0x7fffffffu, 0xffffffffu };
	uint8_t		buf[128];
	struct msg	m;
	size_t		i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = mkframe(buf, bad[i], 0, MST_OK, NULL, 4);
		assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ETYPE);
	}
	/* The last real type is fine. */
	n = mkframe(buf, MSG_TYPE_COUNT - 1, 0, MST_OK, NULL, 4);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_OK);
}

static void
test_decode_fd(void **state)
{
	uint8_t		buf[128];
	struct msg	m;
	size_t		n;

	(void)state;
	/* Flag set, nothing passed. */
	n = mkframe(buf, MSG_SETTINGS_PUT, MSG_F_FD, MST_OK, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_EFD);
	/* Flag set, two passed. */
	assert_int_equal(msg_decode(buf, n, 2, &m), FRAME_EFD);
	assert_int_equal(msg_decode(buf, n, 4, &m), FRAME_EFD);
	assert_int_equal(msg_decode(buf, n, 1, &m), FRAME_OK);
	/* No flag, one or more passed. */
	n = mkframe(buf, MSG_SETTINGS_PUT, 0, MST_OK, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 1, &m), FRAME_EFD);
	assert_int_equal(msg_decode(buf, n, 2, &m), FRAME_EFD);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_OK);
}

static void
test_decode_status(void **state)
{
	uint8_t		buf[128];
	struct msg	m;
	size_t		n;

	(void)state;
	/* Any non-OK status in a request. */
	n = mkframe(buf, MSG_DB_PING, 0, MST_DENIED, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ESTATUS);
	n = mkframe(buf, MSG_DB_PING, MSG_F_FD, MST_MALFORMED, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 1, &m), FRAME_ESTATUS);
	/* Out of range in a reply. */
	n = mkframe(buf, MSG_DB_PING, MSG_F_REPLY, MST_COUNT, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ESTATUS);
	n = mkframe(buf, MSG_DB_PING, MSG_F_REPLY, 0xffffffffu, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ESTATUS);
	/* And in a request. */
	n = mkframe(buf, MSG_DB_PING, 0, MST_COUNT, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ESTATUS);
	/* Largest valid status in a reply. */
	n = mkframe(buf, MSG_DB_PING, MSG_F_REPLY, MST_COUNT - 1, NULL, 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_OK);
}

static void
test_decode_target(void **state)
{
	static const char *const bad[] = {
		"a b", "x/y", "tab\there", "semi;colon", "quote\"", "dollar$",
		"back\\slash", "\x01", "\x7f", "caf\xc3\xa9", "new\nline",
	};
	uint8_t		buf[128];
	char		t[MSG_TARGET_LEN];
	struct msg	m;
	size_t		i, n, off = offsetof(struct msg_hdr, target);

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = mkframe(buf, MSG_DB_PING, 0, MST_OK, bad[i], 0);
		if (msg_decode(buf, n, 0, &m) != FRAME_ETARGET)
			fail_msg("target \"%s\" not rejected", bad[i]);
	}

	/* Not NUL padded: a byte after the terminating NUL. */
	n = mkframe(buf, MSG_DB_PING, 0, MST_OK, "abc", 0);
	buf[off + 10] = 'x';
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ETARGET);
	n = mkframe(buf, MSG_DB_PING, 0, MST_OK, "abc", 0);
	buf[off + MSG_TARGET_LEN - 1] = 'x';
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ETARGET);
	n = mkframe(buf, MSG_DB_PING, 0, MST_OK, NULL, 0);
	buf[off + 1] = 'a';	/* empty target, then garbage */
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ETARGET);

	/* 40 non-NUL bytes: no terminator at all. */
	memset(t, 'a', sizeof(t));
	n = mkframe(buf, MSG_DB_PING, 0, MST_OK, NULL, 0);
	memcpy(buf + off, t, sizeof(t));
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_ETARGET);

	/* 39 usable characters are fine. */
	t[MSG_TARGET_LEN - 1] = '\0';
	n = mkframe(buf, MSG_DB_PING, 0, MST_OK, t, 0);
	assert_int_equal(msg_decode(buf, n, 0, &m), FRAME_OK);
	assert_int_equal(strlen(m.hdr.target), MSG_TARGET_LEN - 1);
}

static void
test_target_ok_and_hdr_init(void **state)
{
	struct msg_hdr	h;
	char		t[MSG_TARGET_LEN + 1];

	(void)state;
	assert_int_equal(msg_target_ok("", 0), 1);
	assert_int_equal(msg_target_ok("Az09._-:@+", 10), 1);
	assert_int_equal(msg_target_ok("a b", 3), 0);
	/* Only len bytes are looked at. */
	assert_int_equal(msg_target_ok("ab cd", 2), 1);

	assert_int_equal(msg_hdr_init(&h, MSG_DB_PING, 9, MSG_F_REPLY,
	    MST_TIMEOUT, "run-42"), 0);
	assert_int_equal(h.type, MSG_DB_PING);
	assert_int_equal(h.peerid, 9);
	assert_int_equal(h.flags, MSG_F_REPLY);
	assert_int_equal(h.status, MST_TIMEOUT);
	assert_int_equal(h.caller, 0);
	assert_int_equal(h.len, 0);
	assert_string_equal(h.target, "run-42");
	for (size_t i = strlen("run-42"); i < MSG_TARGET_LEN; i++)
		assert_int_equal(h.target[i], '\0');

	assert_int_equal(msg_hdr_init(&h, MSG_DB_PING, 0, 0, 0, NULL), 0);
	assert_int_equal(h.target[0], '\0');
	assert_int_equal(msg_hdr_init(&h, MSG_DB_PING, 0, 0, 0, "bad target"),
	    -1);
	memset(t, 'a', MSG_TARGET_LEN - 1);
	t[MSG_TARGET_LEN - 1] = '\0';
	assert_int_equal(msg_hdr_init(&h, MSG_DB_PING, 0, 0, 0, t), 0);
	memset(t, 'a', MSG_TARGET_LEN);
	t[MSG_TARGET_LEN] = '\0';
	assert_int_equal(msg_hdr_init(&h, MSG_DB_PING, 0, 0, 0, t), -1);
}

static void
test_frame_strerror(void **state)
{
	static const int codes[] = { FRAME_OK, FRAME_ESHORT, FRAME_ELEN,
	    FRAME_EFLAGS, FRAME_ETYPE, FRAME_EFD, FRAME_ETARGET, FRAME_ESTATUS,
	    FRAME_ETRUNC };
	const char *unknown = frame_strerror(-100);
	size_t i, j;

	(void)state;
	assert_string_equal(unknown, "unknown frame error");
	assert_string_equal(frame_strerror(1), "unknown frame error");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_string_not_equal(frame_strerror(codes[i]), unknown);
		for (j = 0; j < i; j++)
			assert_string_not_equal(frame_strerror(codes[i]),
			    frame_strerror(codes[j]));
	}
}

/* Socket-pair fixture: sv[0] sends, sv[1] receives; buf is MSG_MAX. */
struct pair {
	int	 sv[2];
	uint8_t	*buf;
};

static int
pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    p->sv) == -1 || (p->buf = malloc(MSG_MAX)) == NULL) {
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static int
pair_teardown(void **state)
{
	struct pair *p = *state;

	if (p->sv[0] >= 0)
		close(p->sv[0]);
	if (p->sv[1] >= 0)
		close(p->sv[1]);
	free(p->buf);
	free(p);
	return 0;
}

/* Send len raw bytes with nfds descriptors, bypassing msg_send. */
static void
raw_send(int sock, const void *data, size_t len, const int *fds, int nfds)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct cmsghdr	*c;

	if (nfds == 0) {
		assert_int_equal(send(sock, data, len, 0), (ssize_t)len);
		return;
	}
	assert_true(nfds <= 8);
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)len);
}

/*
 * A pipe whose write end is about to travel: returns the write end in
 * *w and the non-blocking read end.  Once every copy of the write end is
 * closed, reading the read end gives EOF (0) instead of EAGAIN.
 */
static int
watch_pipe(int *w)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	*w = p[1];
	return p[0];
}

/* 1 if every copy of the pipe's write end has been closed. */
static int
write_end_closed(int r)
{
	char	c;
	ssize_t	n = read(r, &c, 1);

	if (n == 0)
		return 1;
	assert_int_equal(n, -1);
	assert_int_equal(errno, EAGAIN);
	return 0;
}

static void
test_roundtrip_payload(void **state)
{
	struct pair	*p = *state;
	struct msg_hdr	 h;
	struct msg	 m;
	const char	*payload = "{\"key\":\"x\",\"n\":1}";
	int		 ferr = 12345;

	assert_int_equal(msg_hdr_init(&h, MSG_SETTINGS_GET, 4242, 0, MST_OK,
	    "key-1"), 0);
	assert_int_equal(msg_send(p->sv[0], &h, payload, strlen(payload), -1),
	    0);
	assert_int_equal(h.len, MSG_HDR_LEN + strlen(payload));
	assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr), 1);
	assert_int_equal(ferr, FRAME_OK);
	assert_int_equal(m.hdr.type, MSG_SETTINGS_GET);
	assert_int_equal(m.hdr.peerid, 4242);
	assert_int_equal(m.hdr.flags, 0);
	assert_string_equal(m.hdr.target, "key-1");
	assert_int_equal(m.datalen, strlen(payload));
	assert_memory_equal(m.data, payload, m.datalen);
	assert_int_equal(m.fd, -1);

	/* Empty payload; a stale FD flag is cleared when no fd is sent. */
	assert_int_equal(msg_hdr_init(&h, MSG_DB_PING, 1, MSG_F_FD, MST_OK,
	    NULL), 0);
	assert_int_equal(msg_send(p->sv[0], &h, NULL, 0, -1), 0);
	assert_int_equal(h.flags & MSG_F_FD, 0);
	assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr), 1);
	assert_int_equal(m.hdr.type, MSG_DB_PING);
	assert_int_equal(m.datalen, 0);
	assert_int_equal(m.fd, -1);

	/* A reply with a status. */
	assert_int_equal(msg_hdr_init(&h, MSG_DB_PING, 1, MSG_F_REPLY,
	    MST_NOTFOUND, NULL), 0);
	assert_int_equal(msg_send(p->sv[0], &h, "{}", 2, -1), 0);
	assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr), 1);
	assert_int_equal(m.hdr.status, MST_NOTFOUND);
	assert_int_equal(m.hdr.flags, MSG_F_REPLY);
}

static void
test_roundtrip_max(void **state)
{
	struct pair	*p = *state;
	struct msg_hdr	 h;
	struct msg	 m;
	uint8_t		*payload;
	size_t		 plen = MSG_MAX - MSG_HDR_LEN;
	int		 ferr, sz = 4 * MSG_MAX;

	/* Make sure the socket buffers hold one maximal frame. */
	(void)setsockopt(p->sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(p->sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	payload = malloc(plen + 1);
	assert_non_null(payload);
	for (size_t i = 0; i < plen + 1; i++)
		payload[i] = (uint8_t)(i * 7);
	assert_int_equal(msg_hdr_init(&h, MSG_SETTINGS_PUT, 1, 0, 0, NULL), 0);
	assert_int_equal(msg_send(p->sv[0], &h, payload, plen, -1), 0);
	assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr), 1);
	assert_int_equal(m.datalen, plen);
	assert_memory_equal(m.data, payload, plen);

	/* One byte more is refused before anything is sent. */
	errno = 0;
	assert_int_equal(msg_send(p->sv[0], &h, payload, plen + 1, -1), -1);
	assert_int_equal(errno, EMSGSIZE);
	errno = 0;
	assert_int_equal(msg_send(p->sv[0], &h, payload, SIZE_MAX, -1), -1);
	assert_int_equal(errno, EMSGSIZE);
	free(payload);
	/* Nothing was queued. */
	assert_int_equal(recv(p->sv[1], p->buf, MSG_MAX, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void
test_roundtrip_memfd(void **state)
{
	struct pair	*p = *state;
	struct msg_hdr	 h;
	struct msg	 m;
	const char	*bulk = "bulk data travels as an fd";
	char		 rb[64];
	int		 fd, ferr, fl;

	fd = memfd_create("test_msg", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bulk, strlen(bulk)), (ssize_t)strlen(bulk));
	assert_int_equal(msg_hdr_init(&h, MSG_SETTINGS_PUT, 5, 0, 0, "blob"),
	    0);
	assert_int_equal(msg_send(p->sv[0], &h, "{}", 2, fd), 0);
	assert_int_equal(h.flags & MSG_F_FD, MSG_F_FD);
	assert_int_equal(close(fd), 0);

	assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr), 1);
	assert_int_equal(ferr, FRAME_OK);
	assert_int_equal(m.hdr.flags, MSG_F_FD);
	assert_int_equal(m.datalen, 2);
	assert_true(m.fd >= 0);
	/* Received close-on-exec, and it is the same file. */
	fl = fcntl(m.fd, F_GETFD);
	assert_true(fl != -1 && (fl & FD_CLOEXEC));
	memset(rb, 0, sizeof(rb));
	assert_int_equal(pread(m.fd, rb, sizeof(rb) - 1, 0),
	    (ssize_t)strlen(bulk));
	assert_string_equal(rb, bulk);
	assert_int_equal(close(m.fd), 0);
}

static void
test_recv_eof(void **state)
{
	struct pair	*p = *state;
	struct msg	 m;
	int		 ferr;

	assert_int_equal(close(p->sv[0]), 0);
	p->sv[0] = -1;
	assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr), 0);
	/* A system error is -1 with errno. */
	errno = 0;
	assert_int_equal(msg_recv(-1, p->buf, &m, &ferr), -1);
	assert_int_equal(errno, EBADF);
}

/* Send a raw frame, expect MSG_RECV_BAD with want as the frame error. */
static void
expect_bad(struct pair *p, const uint8_t *frame, size_t len, const int *fds,
    int nfds, int want)
{
	struct msg	m;
	int		ferr = FRAME_OK;

	raw_send(p->sv[0], frame, len, fds, nfds);
	assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr), MSG_RECV_BAD);
	assert_int_equal(ferr, want);
}

static void
test_recv_bad_header(void **state)
{
	struct pair	*p = *state;
	uint8_t		 f[128];
	size_t		 n;

	n = mkframe(f, 999, 0, MST_OK, NULL, 4);
	expect_bad(p, f, n, NULL, 0, FRAME_ETYPE);
	n = mkframe(f, MSG_DB_PING, 0, MST_OK, NULL, 4);
	setfield(f, offsetof(struct msg_hdr, len), (uint32_t)n + 4);
	expect_bad(p, f, n, NULL, 0, FRAME_ELEN);
	expect_bad(p, f, 10, NULL, 0, FRAME_ESHORT);
	n = mkframe(f, MSG_DB_PING, 0x40, MST_OK, NULL, 0);
	expect_bad(p, f, n, NULL, 0, FRAME_EFLAGS);
	n = mkframe(f, MSG_DB_PING, MSG_F_FD, MST_OK, NULL, 0);
	expect_bad(p, f, n, NULL, 0, FRAME_EFD);
	n = mkframe(f, MSG_DB_PING, 0, MST_DENIED, NULL, 0);
	expect_bad(p, f, n, NULL, 0, FRAME_ESTATUS);
	n = mkframe(f, MSG_DB_PING, 0, MST_OK, "a b", 0);
	expect_bad(p, f, n, NULL, 0, FRAME_ETARGET);

	/* The channel still works after bad frames. */
	{
		struct msg_hdr	h;
		struct msg	m;
		int		ferr;

		assert_int_equal(msg_hdr_init(&h, MSG_DB_PING, 1, 0, 0, NULL),
		    0);
		assert_int_equal(msg_send(p->sv[0], &h, "{}", 2, -1), 0);
		assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr), 1);
		assert_int_equal(m.hdr.type, MSG_DB_PING);
	}
}

static void
test_recv_bad_closes_fds(void **state)
{
	struct pair	*p = *state;
	uint8_t		 f[128];
	size_t		 n;
	int		 r, w, fds[3];

	/* Bad type, with an fd: the fd must not leak. */
	r = watch_pipe(&w);
	n = mkframe(f, MSG_NONE, MSG_F_FD, MST_OK, NULL, 0);
	expect_bad(p, f, n, &w, 1, FRAME_ETYPE);
	assert_int_equal(write_end_closed(r), 0);	/* we still hold w */
	assert_int_equal(close(w), 0);
	assert_int_equal(write_end_closed(r), 1);
	assert_int_equal(close(r), 0);

	/* An fd without the FD flag. */
	r = watch_pipe(&w);
	n = mkframe(f, MSG_DB_PING, 0, MST_OK, NULL, 0);
	expect_bad(p, f, n, &w, 1, FRAME_EFD);
	assert_int_equal(close(w), 0);
	assert_int_equal(write_end_closed(r), 1);
	assert_int_equal(close(r), 0);

	/* The FD flag with three fds: all of them closed. */
	r = watch_pipe(&w);
	fds[0] = w;
	fds[1] = dup(w);
	fds[2] = dup(w);
	assert_true(fds[1] >= 0 && fds[2] >= 0);
	n = mkframe(f, MSG_SETTINGS_PUT, MSG_F_FD, MST_OK, NULL, 0);
	expect_bad(p, f, n, fds, 3, FRAME_EFD);
	for (int i = 0; i < 3; i++)
		assert_int_equal(close(fds[i]), 0);
	assert_int_equal(write_end_closed(r), 1);
	assert_int_equal(close(r), 0);

	/* More fds than msg_recv keeps (4): the extras are closed too. */
	{
		int many[6];

		r = watch_pipe(&w);
		many[0] = w;
		for (int i = 1; i < 6; i++)
			assert_true((many[i] = dup(w)) >= 0);
		n = mkframe(f, MSG_SETTINGS_PUT, MSG_F_FD, MST_OK, NULL, 0);
		raw_send(p->sv[0], f, n, many, 6);
		for (int i = 0; i < 6; i++)
			assert_int_equal(close(many[i]), 0);
		{
			struct msg	m;
			int		ferr;

			assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr),
			    MSG_RECV_BAD);
			/* The control buffer holds 4, so the kernel may
			 * report truncation; either way it is refused. */
			assert_true(ferr == FRAME_EFD || ferr == FRAME_ETRUNC);
		}
		assert_int_equal(write_end_closed(r), 1);
		assert_int_equal(close(r), 0);
	}

	/* Bad header but a single fd with a good flag: still closed. */
	r = watch_pipe(&w);
	n = mkframe(f, MSG_SETTINGS_PUT, MSG_F_FD, MST_OK, "x y", 0);
	expect_bad(p, f, n, &w, 1, FRAME_ETARGET);
	assert_int_equal(close(w), 0);
	assert_int_equal(write_end_closed(r), 1);
	assert_int_equal(close(r), 0);

	/* Zero-length data with an fd. */
	r = watch_pipe(&w);
	{
		struct msghdr	 mh;
		union {
			struct cmsghdr	hdr;
			char		buf[CMSG_SPACE(sizeof(int))];
		} cm;
		struct cmsghdr	*c;
		struct iovec	 iov = { .iov_base = f, .iov_len = 0 };
		struct msg	 m;
		int		 ferr;

		memset(&mh, 0, sizeof(mh));
		memset(&cm, 0, sizeof(cm));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &w, sizeof(int));
		assert_int_equal(sendmsg(p->sv[0], &mh, 0), 0);
		assert_int_equal(msg_recv(p->sv[1], p->buf, &m, &ferr),
		    MSG_RECV_BAD);
		assert_int_equal(ferr, FRAME_ESHORT);
	}
	assert_int_equal(close(w), 0);
	assert_int_equal(write_end_closed(r), 1);
	assert_int_equal(close(r), 0);
}

static void
test_recv_oversized(void **state)
{
	struct pair	*p = *state;
	uint8_t		*f;
	size_t		 n;
	int		 r, w, sz = 4 * MSG_MAX;

	(void)setsockopt(p->sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(p->sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	f = malloc(MSG_MAX + 100);
	assert_non_null(f);
	/* A frame longer than MSG_MAX is truncated by the kernel. */
	n = mkframe(f, MSG_DB_PING, MSG_F_FD, MST_OK, NULL,
	    MSG_MAX + 100 - MSG_HDR_LEN);
	r = watch_pipe(&w);
	expect_bad(p, f, n, &w, 1, FRAME_ETRUNC);
	assert_int_equal(close(w), 0);
	assert_int_equal(write_end_closed(r), 1);
	assert_int_equal(close(r), 0);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_good),
		cmocka_unit_test(test_decode_short),
		cmocka_unit_test(test_decode_len),
		cmocka_unit_test(test_decode_flags),
		cmocka_unit_test(test_decode_type),
		cmocka_unit_test(test_decode_fd),
		cmocka_unit_test(test_decode_status),
		cmocka_unit_test(test_decode_target),
		cmocka_unit_test(test_target_ok_and_hdr_init),
		cmocka_unit_test(test_frame_strerror),
		cmocka_unit_test_setup_teardown(test_roundtrip_payload,
		    pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_max,
		    pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_memfd,
		    pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_recv_eof,
		    pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_recv_bad_header,
		    pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_recv_bad_closes_fds,
		    pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_recv_oversized,
		    pair_setup, pair_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
