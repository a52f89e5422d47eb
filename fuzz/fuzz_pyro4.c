/*
 * fuzz_pyro4.c - fuzzes the Pyro4 (protocol 48) side of the nameserver:
 * the 24-byte header with its checksum and the 2-byte-length annotation
 * chunks (services/nameserver/parse_pyro4.c), and the whole Pyro4
 * connection engine with the nameserver behind it in its Pyro4 dialect
 * (services/nameserver/ns_proto4.c, ns_proto.c, ns_methods.c,
 * ns_store.c).  Payload decoding is shared with fuzz_pyro5.c.
 *
 * Input: one selector byte, then bytes as a client sends them.
 *   bit 0 clear: the bytes are a connection's stream, fed to a fresh
 *     nameserver (an in-memory SQLite store) in chunks of (selector >> 2)
 *     + 1 bytes; bit 1 set starts after a real Pyro4 handshake.  Every
 *     Pyro4 header met walking the stream first gets its right checksum
 *     (fix_checksums), so that the fuzzer gets past that check.  Every
 *     reply must be a well-formed Pyro4 message (on a connection that
 *     turned out to be Pyro5, a Pyro5 one) and the engine must consume
 *     all.
 *   bit 0 set: the bytes are one message; the header and annotation
 *     parsers run on it, and a header built from the parsed fields must
 *     parse back to the same fields.
 * No files, no network; the store lives in memory and is closed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nameserver.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A valid Pyro4 CONNECT (serpent, metadata on connect). */
static const char hs_payload[] = SERPENT_HEADER
    "{'handshake':'hello','object':'Pyro.NameServer'}";

static void
check_output(const struct sbuf *out, int proto)
{
	struct pyro4_hdr	h4;
	struct pyro_hdr		h5;
	struct pyro_ann		ann[16];
	size_t			off = 0, n;

	while (off < out->len) {
		const uint8_t *p = (const uint8_t *)out->p + off;

		if (proto == NSC_PYRO5) {
			if (out->len - off < PYRO_HDR_LEN ||
			    pyro_hdr_parse(p, NS_MAX_REPLY, &h5) != PYRO_OK)
				abort();
			off += PYRO_HDR_LEN + h5.datalen;
			continue;
		}
		if (out->len - off < PYRO4_HDR_LEN ||
		    pyro4_hdr_parse(p, NS_MAX_REPLY, &h4) != PYRO_OK)
			abort();
		if (h4.type < PYRO_CONNECTOK || h4.type > PYRO_PING ||
		    h4.type == PYRO_INVOKE)
			abort();
		if (out->len - off - PYRO4_HDR_LEN < (size_t)h4.annlen +
		    h4.datalen)
			abort();
		if (pyro4_ann_parse(p + PYRO4_HDR_LEN, h4.annlen, ann, 16,
		    &n) != PYRO_OK)
			abort();
		/* Only CORR, 16 bytes, and never on an exception reply. */
		if (n > 1 || (n == 1 && (strcmp(ann[0].id, "CORR") != 0 ||
		    ann[0].len != 16 || (h4.flags & PYRO_F_EXCEPTION))))
			abort();
		off += PYRO4_HDR_LEN + h4.annlen + h4.datalen;
	}
	if (off != out->len)
		abort();
}

/* Give every Pyro4 header met walking the stream its right checksum. */
static void
fix_checksums(uint8_t *d, size_t size)
{
	struct pyro4_hdr	h;
	size_t			off = 0;
	uint16_t		sum;

	while (size - off >= PYRO4_HDR_LEN) {
		uint8_t *p = d + off;

		if (memcmp(p, "PYRO", 4) != 0 || p[4] != 0 ||
		    p[5] != PYRO4_VERSION)
			return;
		h.type = (uint16_t)((p[6] << 8) | p[7]);
		h.flags = (uint16_t)((p[8] << 8) | p[9]);
		h.seq = (uint16_t)((p[10] << 8) | p[11]);
		h.datalen = ((uint32_t)p[12] << 24) | ((uint32_t)p[13] << 16) |
		    ((uint32_t)p[14] << 8) | p[15];
		h.serializer = (uint16_t)((p[16] << 8) | p[17]);
		h.annlen = (uint16_t)((p[18] << 8) | p[19]);
		sum = pyro4_checksum(&h);
		p[22] = (uint8_t)(sum >> 8);
		p[23] = (uint8_t)sum;
		if (h.datalen > size || (size_t)h.annlen + h.datalen >
		    size - off - PYRO4_HDR_LEN)
			return;
		off += PYRO4_HDR_LEN + h.annlen + h.datalen;
	}
}

static void
stream(const uint8_t *data, size_t size, int ready, size_t chunk)
{
	struct ns	 ns;
	struct nsconn	 c = { NSC_HANDSHAKE, "fuzz", NSC_PYRO5 };
	struct sbuf	 out, hs;
	struct pyro4_hdr h;
	uint8_t		 hb[PYRO4_HDR_LEN], *copy;
	char		 err[256];
	size_t		 have = 0, used, need;
	int		 close = 0;

	if ((copy = malloc(size + 1)) == NULL)
		return;
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	memset(&ns, 0, sizeof(ns));
	if (store_open(&ns.st, ":memory:", 64, err, sizeof(err)) != 0)
		abort();
	(void)strlcpy(ns.bind_host, "127.0.0.1", sizeof(ns.bind_host));
	(void)strlcpy(ns.adv_host, "127.0.0.1", sizeof(ns.adv_host));
	ns.port = 10000;
	ns.max_msg = 65536;
	if (ns_register_self(&ns) != 0)
		abort();
	ns_proto_init(&ns);
	sbuf_init(&out, 4 * NS_MAX_REPLY);
	if (ready) {
		/* A real handshake first: the engine decides Pyro4. */
		memset(&h, 0, sizeof(h));
		h.type = PYRO_CONNECT;
		h.flags = PYRO4_F_META_ON_CONNECT;
		h.serializer = PYRO4_SER_SERPENT;
		h.datalen = sizeof(hs_payload) - 1;
		pyro4_hdr_build(hb, &h);
		sbuf_init(&hs, 4096);
		sbuf_add(&hs, hb, sizeof(hb));
		sbuf_add(&hs, hs_payload, sizeof(hs_payload) - 1);
		if (ns_proto_input(&ns, &c, (const uint8_t *)hs.p, hs.len,
		    &out, &close, &need) != hs.len || close ||
		    c.proto != NSC_PYRO4 || c.state != NSC_READY)
			abort();
		sbuf_free(&hs);
	}
	while (!close && have < size) {
		/* Bytes arrive chunk by chunk, as from a socket. */
		size_t avail = size - have;
		size_t len = 0;

		for (;;) {
			len += chunk;
			if (len > avail)
				len = avail;
			used = ns_proto_input(&ns, &c, copy + have, len, &out,
			    &close, &need);
			if (used > 0 || len == avail)
				break;
		}
		if (used == 0)
			break;
		if (used > len)
			abort();
		have += used;
	}
	check_output(&out, c.proto);
	sbuf_free(&out);
	ns_proto_free(&ns);
	store_close(&ns.st);
	free(copy);
}

static void
message(const uint8_t *data, size_t size)
{
	struct pyro4_hdr	 h, h2;
	struct pyro_ann		 ann[16];
	uint8_t			 hb[PYRO4_HDR_LEN];
	size_t			 nann;
	int			 rc;

	if (size < PYRO4_HDR_LEN)
		return;
	rc = pyro4_hdr_parse(data, 1 << 20, &h);
	if (rc != PYRO_OK && rc != PYRO_E_CHECKSUM)
		return;
	/* Build / parse round trip with a correct checksum. */
	pyro4_hdr_build(hb, &h);
	if (pyro4_hdr_parse(hb, 1 << 20, &h2) != PYRO_OK && rc == PYRO_OK)
		abort();
	if (rc == PYRO_OK && (h2.type != h.type || h2.flags != h.flags ||
	    h2.seq != h.seq || h2.datalen != h.datalen ||
	    h2.serializer != h.serializer || h2.annlen != h.annlen ||
	    h2.checksum != h.checksum))
		abort();
	if (h.annlen > size - PYRO4_HDR_LEN)
		return;
	if (pyro4_ann_parse(data + PYRO4_HDR_LEN, h.annlen, ann, 16, &nann) ==
	    PYRO_OK) {
		size_t i, sum = 0;

		for (i = 0; i < nann; i++)
			sum += 6 + ann[i].len;
		if (sum != h.annlen)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 256 * 1024)
		return 0;
	if (data[0] & 1)
		message(data + 1, size - 1);
	else
		stream(data + 1, size - 1, (data[0] & 2) != 0,
		    (size_t)(data[0] >> 2) + 1);
	return 0;
}
