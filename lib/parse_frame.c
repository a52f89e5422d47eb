/*
 * parse_frame.c - the broker frame decoder: the first code that touches
 * bytes from another process.  Fuzzed by fuzz/fuzz_frame.c.
 *
 * Rules (STYLE.md 3.4): the header is checked before anything else; the
 * length field must equal the bytes received and lie in [header, MSG_MAX];
 * unknown flags or types are errors; the FD flag must match the number of
 * passed descriptors exactly; the target is printable and NUL-padded.
 */
#include <string.h>

#include "msg.h"
#include "banned.h"

const char *
frame_strerror(int e)
{
	switch (e) {
	case FRAME_OK:		return "ok";
	case FRAME_ESHORT:	return "frame shorter than header";
	case FRAME_ELEN:	return "bad length";
	case FRAME_EFLAGS:	return "unknown flags";
	case FRAME_ETYPE:	return "unknown message type";
	case FRAME_EFD:		return "fd flag does not match passed fds";
	case FRAME_ETARGET:	return "bad target id";
	case FRAME_ESTATUS:	return "bad status";
	case FRAME_ETRUNC:	return "truncated by the kernel";
	}
	return "unknown frame error";
}

int
msg_target_ok(const char *s, size_t len)
{
	size_t	i;

	if (len >= MSG_TARGET_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' || c == ':' || c == '@' || c == '+'))
			return 0;
	}
	return 1;
}

int
msg_decode(const uint8_t *buf, size_t len, int nfds, struct msg *m)
{
	size_t	tlen;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (len < MSG_HDR_LEN)
		return FRAME_ESHORT;
	memcpy(&m->hdr, buf, MSG_HDR_LEN);
	if (m->hdr.len != len || m->hdr.len > MSG_MAX)
		return FRAME_ELEN;
	if (m->hdr.flags & ~(uint32_t)MSG_F_MASK)
		return FRAME_EFLAGS;
	if (m->hdr.type == MSG_NONE || m->hdr.type == MSG_OP_FIRST ||
	    m->hdr.type >= MSG_TYPE_COUNT)
		return FRAME_ETYPE;
	if (((m->hdr.flags & MSG_F_FD) != 0) != (nfds == 1) || nfds > 1)
		return FRAME_EFD;
	if (m->hdr.status >= MST_COUNT ||
	    (!(m->hdr.flags & MSG_F_REPLY) && m->hdr.status != MST_OK))
		return FRAME_ESTATUS;
	tlen = strnlen(m->hdr.target, MSG_TARGET_LEN);
	if (tlen == MSG_TARGET_LEN || !msg_target_ok(m->hdr.target, tlen))
		return FRAME_ETARGET;
	for (size_t i = tlen; i < MSG_TARGET_LEN; i++)
		if (m->hdr.target[i] != '\0')
			return FRAME_ETARGET;
	m->data = buf + MSG_HDR_LEN;
	m->datalen = len - MSG_HDR_LEN;
	return FRAME_OK;
}
