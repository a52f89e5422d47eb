/*
 * parse_pyro4.c - Pyro4 (protocol version 48) framing from the network:
 * the 24-byte header with its checksum and the annotation chunks with
 * 2-byte lengths (spec/pyro-nameserver.md section 3, pyro.h).  Payloads,
 * zlib and URIs are shared with Pyro5 (parse_pyro.c).
 *
 * Trust: the first code that touches a Pyro4 peer's bytes.  The header is
 * checked (tag, version, checksum) and its lengths capped (a negative
 * payload length is refused) before the caller reads or allocates
 * anything; annotation chunks must tile their area exactly.
 */
#include <string.h>

#include "pyro.h"
#include "banned.h"

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t
pyro4_checksum(const struct pyro4_hdr *h)
{
	/* Python sums the (signed) fields and masks; modulo 2^16 that is
	 * the same as this unsigned sum. */
	uint32_t sum = (uint32_t)h->type + PYRO4_VERSION + h->datalen +
	    h->annlen + h->serializer + h->flags + h->seq +
	    PYRO4_CHECKSUM_MAGIC;

	return (uint16_t)(sum & 0xffff);
}

int
pyro4_hdr_parse(const uint8_t *p, size_t max, struct pyro4_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (memcmp(p, "PYRO", 4) != 0)
		return PYRO_E_TAG;
	h->version = be16(p + 4);
	if (h->version != PYRO4_VERSION)
		return PYRO_E_VERSION;
	h->type = be16(p + 6);
	h->flags = be16(p + 8);
	h->seq = be16(p + 10);
	h->datalen = ((uint32_t)p[12] << 24) | ((uint32_t)p[13] << 16) |
	    ((uint32_t)p[14] << 8) | p[15];
	h->serializer = be16(p + 16);
	h->annlen = be16(p + 18);
	h->checksum = be16(p + 22);
	if (h->checksum != pyro4_checksum(h))
		return PYRO_E_CHECKSUM;
	if (h->datalen > 0x7fffffffu ||
	    (uint64_t)h->datalen + h->annlen > max)
		return PYRO_E_TOOBIG;
	return PYRO_OK;
}

void
pyro4_hdr_build(uint8_t o[PYRO4_HDR_LEN], const struct pyro4_hdr *h)
{
	struct pyro4_hdr c = *h;

	c.version = PYRO4_VERSION;
	memcpy(o, "PYRO", 4);
	put16(o + 4, PYRO4_VERSION);
	put16(o + 6, c.type);
	put16(o + 8, c.flags);
	put16(o + 10, c.seq);
	o[12] = (uint8_t)(c.datalen >> 24);
	o[13] = (uint8_t)(c.datalen >> 16);
	o[14] = (uint8_t)(c.datalen >> 8);
	o[15] = (uint8_t)c.datalen;
	put16(o + 16, c.serializer);
	put16(o + 18, c.annlen);
	put16(o + 20, 0);
	put16(o + 22, pyro4_checksum(&c));
}

int
pyro4_ann_parse(const uint8_t *p, size_t annlen, struct pyro_ann *out,
    size_t max, size_t *n)
{
	size_t	off = 0, len;
	int	i;

	*n = 0;
	while (off < annlen) {
		if (annlen - off < 6 || *n == max)
			return PYRO_E_ANN;
		for (i = 0; i < 4; i++)
			if (p[off + i] < 0x20 || p[off + i] > 0x7e)
				return PYRO_E_ANN;
		len = be16(p + off + 4);
		if (len > annlen - off - 6)
			return PYRO_E_ANN;
		memcpy(out[*n].id, p + off, 4);
		out[*n].id[4] = '\0';
		out[*n].data = p + off + 6;
		out[*n].len = len;
		(*n)++;
		off += 6 + len;
	}
	return PYRO_OK;
}
