/*
 * fuzz_pyro5.c - fuzzes the Pyro5 side of the nameserver: the header and
 * annotation parsers, zlib payloads, serpent/JSON payload decoding, the
 * INVOKE 4-tuple, URIs (services/nameserver/parse_pyro.c), and the whole
 * per-connection engine with the nameserver behind it
 * (services/nameserver/ns_proto.c, ns_methods.c, ns_store.c).
 *
 * Input: one selector byte, then bytes as a client sends them.
 *   bit 0 clear: the bytes are a connection's stream, fed to a fresh
 *     nameserver (an in-memory SQLite store) in chunks of (selector >> 2)
 *     + 1 bytes; bit 1 set starts after the handshake.  Every reply must
 *     be a well-formed Pyro5 message and the engine must consume all.
 *   bit 0 set: the bytes are one message; each parser runs on its part
 *     and every string found in the payload is parsed as a URI.
 * No files, no network; the store lives in memory and is closed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nameserver.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_output(const struct sbuf *out)
{
	struct pyro_hdr	h;
	size_t		off = 0;

	while (off < out->len) {
		if (out->len - off < PYRO_HDR_LEN)
			abort();
		if (pyro_hdr_parse((const uint8_t *)out->p + off,
		    NS_MAX_REPLY, &h) != PYRO_OK)
			abort();
		if (h.annlen != 0 || h.type < PYRO_CONNECTOK ||
		    h.type > PYRO_PING || h.type == PYRO_INVOKE)
			abort();
		off += PYRO_HDR_LEN + h.datalen;
	}
	if (off != out->len)
		abort();
}

static void
stream(const uint8_t *data, size_t size, int ready, size_t chunk)
{
	struct ns	 ns;
	struct nsconn	 c = { NSC_HANDSHAKE, "fuzz", NSC_PYRO5 };
	struct sbuf	 out;
	char		 err[256];
	size_t		 have = 0, used, need;
	int		 close = 0;

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
	if (ready)
		c.state = NSC_READY;
	sbuf_init(&out, 4 * NS_MAX_REPLY);
	while (!close && have < size) {
		/* Bytes arrive chunk by chunk, as from a socket. */
		size_t avail = size - have;
		size_t len = 0;

		for (;;) {
			len += chunk;
			if (len > avail)
				len = avail;
			used = ns_proto_input(&ns, &c, data + have, len, &out,
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
	/* A stream that began as Pyro4 is fuzz_pyro4.c's to check. */
	if (c.proto == NSC_PYRO5)
		check_output(&out);
	sbuf_free(&out);
	ns_proto_free(&ns);
	store_close(&ns.st);
}

static void
uris(const struct sval *v, int depth)
{
	const struct sval	*it;
	struct pyro_uri		 u;
	struct sv_arena		 a;
	char			 why[256];

	if (depth > 80)
		return;
	if (v->type == SV_STR) {
		if (pyro_uri_parse(v->u.s.p, v->u.s.len, &u, why,
		    sizeof(why)) == 0) {
			sv_arena_init(&a, 1 << 20);
			if (pyro_uri_value(&a, &u) == NULL)
				abort();
			sv_arena_reset(&a);
		} else if (why[0] == '\0')
			abort();
		return;
	}
	if (v->type >= SV_TUPLE)
		for (it = v->u.l.first; it != NULL; it = it->next)
			uris(it, depth + 1);
}

static void
message(const uint8_t *data, size_t size)
{
	struct pyro_hdr		 h;
	struct pyro_ann		 ann[PYRO_MAX_ANN];
	struct pyro_call	 call;
	struct sv_arena		 a;
	struct sval		*v;
	const char		*missing;
	const uint8_t		*p;
	uint8_t			*inflated = NULL;
	size_t			 nann, len;
	char			 err[256];

	if (size < PYRO_HDR_LEN ||
	    pyro_hdr_parse(data, 1 << 20, &h) != PYRO_OK)
		return;
	if ((size_t)h.annlen + h.datalen > size - PYRO_HDR_LEN)
		return;
	if (pyro_ann_parse(data + PYRO_HDR_LEN, h.annlen, ann, PYRO_MAX_ANN,
	    &nann) != PYRO_OK)
		return;
	p = data + PYRO_HDR_LEN + h.annlen;
	len = h.datalen;
	if (h.flags & PYRO_F_COMPRESSED) {
		if (pyro_inflate(p, len, 1 << 20, &inflated, &len) != PYRO_OK)
			return;
		p = inflated;
	}
	sv_arena_init(&a, 64 * 1024 * 1024);
	if (pyro_decode(h.serializer == PYRO_SER_JSON ? PYRO_SER_JSON :
	    PYRO_SER_SERPENT, p, len, &a, &v, err, sizeof(err)) == PYRO_OK) {
		if (pyro_call_parse(h.serializer == PYRO_SER_JSON ?
		    PYRO_SER_JSON : PYRO_SER_SERPENT, v, &call, &missing) ==
		    0 && (call.object == NULL || call.kwargs == NULL))
			abort();
		uris(v, 0);
		if (v->type == SV_TUPLE || v->type == SV_LIST) {
			struct sbuf b;

			sbuf_init(&b, 1 << 20);
			err[0] = '\0';
			if (pyro_uri_state_str(v, &b, err, sizeof(err)) == -1 &&
			    err[0] == '\0' && !b.failed)
				abort();
			sbuf_free(&b);
		}
	}
	sv_arena_reset(&a);
	free(inflated);
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
