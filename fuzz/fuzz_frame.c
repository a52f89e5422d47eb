/*
 * fuzz_frame.c - fuzzes msg_decode() (lib/parse_frame.c), the broker frame
 * decoder and the first code that touches bytes from another process.
 *
 * Input: one selector byte, then the frame as received.  The low two bits
 * of the selector give the number of descriptors that came with the frame
 * (0..3), so the FD-flag checks are reached both ways.  An accepted frame
 * must satisfy the decoder's contract; any breach aborts.  No I/O, no
 * global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg	 m;
	const uint8_t	*buf;
	size_t		 len;
	int		 nfds, rc;

	if (size < 1 || size > MSG_MAX + 1)
		return 0;
	nfds = data[0] & 3;
	buf = data + 1;
	len = size - 1;

	rc = msg_decode(buf, len, nfds, &m);
	if (strlen(frame_strerror(rc)) == 0 || m.fd != -1)
		abort();
	if (rc != FRAME_OK)
		return 0;

	/* What the broker relies on after a successful decode. */
	if (len < MSG_HDR_LEN || len > MSG_MAX || m.hdr.len != len ||
	    m.data != buf + MSG_HDR_LEN || m.datalen != len - MSG_HDR_LEN)
		abort();
	if ((m.hdr.flags & ~(uint32_t)MSG_F_MASK) != 0 ||
	    ((m.hdr.flags & MSG_F_FD) != 0) != (nfds == 1) || nfds > 1)
		abort();
	if (m.hdr.type <= MSG_NONE || m.hdr.type == MSG_OP_FIRST ||
	    m.hdr.type >= MSG_TYPE_COUNT || m.hdr.status >= MST_COUNT)
		abort();
	if (strnlen(m.hdr.target, MSG_TARGET_LEN) >= MSG_TARGET_LEN ||
	    !msg_target_ok(m.hdr.target, strlen(m.hdr.target)))
		abort();
	if (strcmp(msg_type_name(m.hdr.type), "?") == 0 ||
	    strcmp(msg_status_name(m.hdr.status), "?") == 0)
		abort();
	/* Touch every payload byte so an out-of-bounds view is caught. */
	{
		uint8_t x = 0;

		for (size_t i = 0; i < m.datalen; i++)
			x ^= m.data[i];
		(void)svc_name(x);
	}
	return 0;
}
