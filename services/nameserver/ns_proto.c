/*
 * ns_proto.c - one Pyro5 connection as a byte stream: the handshake,
 * INVOKE/RESULT, transport PING, oneway and batch calls, correlation ids,
 * and what the Python daemon does with every malformed message
 * (spec/pyro-nameserver.md 2.6-2.9).  A connection whose first message is
 * a Pyro4 one (version 48) is handed to ns_proto4.c for good.  No sockets
 * here: nameserver.c feeds bytes in and writes the replies out, and the
 * unit tests and the fuzz harness drive it the same way.
 *
 * Trust: every byte is from an unauthenticated peer.  The header is
 * checked and its lengths capped (ns->max_msg) before the caller buffers a
 * payload; inflated payloads get the same cap; every value is built in a
 * per-message arena that is emptied after the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nameserver.h"
#include "banned.h"

#define ARENA_MAX	(256 * 1024 * 1024)

void
ns_set_peer(struct ns *ns, const char *peer)
{
	const char	*colon = peer != NULL ? strrchr(peer, ':') : NULL;
	size_t		 n = colon != NULL ? (size_t)(colon - peer) : 0;

	ns->peer = peer;
	if (n >= sizeof(ns->peer_addr))
		n = 0;
	if (n > 0)
		memcpy(ns->peer_addr, peer, n);
	ns->peer_addr[n] = '\0';
}

void
ns_proto_init(struct ns *ns)
{
	sv_arena_init(&ns->arena, ARENA_MAX);
	sbuf_init(&ns->payload, NS_MAX_REPLY);
	if (ns->max_msg == 0)
		ns->max_msg = PYRO_DEFAULT_MAX_MSG;
}

void
ns_proto_free(struct ns *ns)
{
	sv_arena_reset(&ns->arena);
	sbuf_free(&ns->payload);
}

/* A random UUID4, as the Python server makes one per message. */
void
ns_new_corr(uint8_t c[16])
{
	arc4random_buf(c, 16);
	c[6] = (c[6] & 0x0f) | 0x40;
	c[8] = (c[8] & 0x3f) | 0x80;
}

static void
emit(struct sbuf *out, uint8_t type, uint8_t ser, uint16_t flags,
    uint16_t seq, const uint8_t corr[16], const void *p, size_t len)
{
	struct pyro_hdr	h;
	uint8_t		hb[PYRO_HDR_LEN];

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.serializer = ser;
	h.flags = flags;
	h.seq = seq;
	h.datalen = (uint32_t)len;
	if (corr != NULL)
		memcpy(h.corr, corr, 16);
	pyro_hdr_build(hb, &h);
	sbuf_add(out, hb, sizeof(hb));
	sbuf_add(out, p, len);
}

/* CONNECTFAIL before a serializer was agreed on: marshal, no corr id. */
static void
early_fail(struct sbuf *out, const char *text)
{
	struct sbuf m;

	sbuf_init(&m, 4096);
	pyro_marshal_str(&m, text, strlen(text));
	emit(out, PYRO_CONNECTFAIL, PYRO_SER_MARSHAL, 0, 0, NULL,
	    m.p, m.len);
	sbuf_free(&m);
}

/* A reply with value v; if v cannot be encoded, an exception instead. */
static int
reply(struct ns *ns, struct sbuf *out, uint8_t type, uint8_t ser,
    uint16_t flags, uint16_t seq, const uint8_t corr[16],
    const struct sval *v)
{
	static const char	 why[] = "the result cannot be sent with this "
				    "serializer or is too large";
	struct sval		*e;
	int			 big;

	ns->payload.len = 0;
	ns->payload.failed = 0;
	if (pyro_encode(ser, v, &ns->payload) == -1) {
		big = ns->payload.len > NS_MAX_REPLY / 2;
		ns->payload.len = 0;
		ns->payload.failed = 0;
		e = ns_exception(&ns->arena, big ?
		    "Pyro5.errors.MessageTooLargeError" :
		    "Pyro5.errors.SerializeError", why, sizeof(why) - 1, NULL,
		    0);
		if (e == NULL || pyro_encode(ser, e, &ns->payload) == -1)
			return -1;
		flags = (uint16_t)((flags & ~PYRO_F_BATCH) | PYRO_F_EXCEPTION);
	}
	emit(out, type, ser, flags, seq, corr, ns->payload.p,
	    ns->payload.len);
	return out->failed ? -1 : 0;
}

static int
reply_exc(struct ns *ns, struct sbuf *out, uint8_t ser, uint16_t seq,
    const uint8_t corr[16], const char *cls, const char *msg)
{
	struct sval *e;

	if ((e = ns_exception(&ns->arena, cls, msg, strlen(msg), NULL, 0)) ==
	    NULL)
		return -1;
	return reply(ns, out, PYRO_RESULT, ser, PYRO_F_EXCEPTION |
	    PYRO_F_CORR_ID, seq, corr, e);
}

/*
 * The payload of a complete message: annotations checked and skipped,
 * zlib undone.  0 with the payload in p and len (and freeme, which the
 * caller frees), or -1.
 */
static int
payload(struct ns *ns, const struct pyro_hdr *h, const uint8_t *body,
    const uint8_t **p, size_t *len, uint8_t **freeme)
{
	struct pyro_ann	ann[PYRO_MAX_ANN];
	size_t		nann;

	*freeme = NULL;
	if (pyro_ann_parse(body, h->annlen, ann, PYRO_MAX_ANN, &nann) != 0)
		return -1;
	*p = body + h->annlen;
	*len = h->datalen;
	if (h->flags & PYRO_F_COMPRESSED) {
		if (pyro_inflate(*p, *len, ns->max_msg, freeme, len) != 0)
			return -1;
		*p = *freeme;
	}
	return 0;
}

static size_t
handshake(struct ns *ns, struct nsconn *c, const struct pyro_hdr *h,
    const uint8_t *body, size_t total, struct sbuf *out, int *close)
{
	const uint8_t	*p;
	uint8_t		*freeme, corr[16];
	size_t		 len;
	struct sval	*data, *res;
	char		 err[256];
	int		 rc;

	if (h->flags & PYRO_F_CORR_ID)
		memcpy(corr, h->corr, 16);
	else
		ns_new_corr(corr);
	*close = 1;
	if (h->serializer != PYRO_SER_SERPENT &&
	    h->serializer != PYRO_SER_JSON) {
		if (h->serializer == PYRO_SER_MARSHAL ||
		    h->serializer == PYRO_SER_MSGPACK) {
			/* Every Pyro client reads serpent. */
			struct sval *s = sv_cstr(&ns->arena, "serializer not "
			    "supported by this nameserver: use serpent or json");

			if (s != NULL)
				(void)reply(ns, out, PYRO_CONNECTFAIL,
				    PYRO_SER_SERPENT, PYRO_F_CORR_ID, h->seq,
				    corr, s);
		}
		log_info("%s: handshake with serializer %d refused", c->peer,
		    h->serializer);
		return total;
	}
	if (payload(ns, h, body, &p, &len, &freeme) == -1) {
		struct sval *s = sv_cstr(&ns->arena,
		    "malformed annotations or compressed data");

		if (s != NULL)
			(void)reply(ns, out, PYRO_CONNECTFAIL, h->serializer,
			    PYRO_F_CORR_ID, h->seq, corr, s);
		return total;
	}
	rc = pyro_decode(h->serializer, p, len, &ns->arena, &data, err,
	    sizeof(err));
	free(freeme);
	if (rc != PYRO_OK)
		res = sv_cstr(&ns->arena, err);
	else if ((rc = ns_handshake(ns, &ns->arena, data, &res)) == NS_RES_OK)
		*close = 0;
	if (res == NULL)
		return total;
	if (reply(ns, out, *close ? PYRO_CONNECTFAIL : PYRO_CONNECTOK,
	    h->serializer, PYRO_F_CORR_ID, h->seq, corr, res) == -1)
		*close = 1;
	if (!*close)
		c->state = NSC_READY;
	return total;
}

const char *
ns_call_error(const struct sval *data, const char *missing, char *err,
    size_t errlen)
{
	if (missing != NULL) {
		(void)snprintf(err, errlen, "%s", missing);
		return "builtins.KeyError";
	}
	if (data->type != SV_TUPLE && data->type != SV_LIST) {
		(void)snprintf(err, errlen, "cannot unpack non-iterable "
		    "object");
		return "builtins.TypeError";
	}
	if (data->n < 4)
		(void)snprintf(err, errlen, "not enough values to unpack "
		    "(expected 4, got %zu)", data->n);
	else
		(void)snprintf(err, errlen, "too many values to unpack "
		    "(expected 4)");
	return "builtins.ValueError";
}

static size_t
invoke(struct ns *ns, struct nsconn *c, const struct pyro_hdr *h,
    const uint8_t *body, size_t total, struct sbuf *out, int *close)
{
	const uint8_t		*p;
	uint8_t			*freeme, corr[16];
	size_t			 len;
	struct sval		*data, *res;
	struct pyro_call	 call;
	const char		*missing;
	char			 err[256];
	int			 rc, oneway = (h->flags & PYRO_F_ONEWAY) != 0;
	uint16_t		 flags = PYRO_F_CORR_ID;

	if (h->flags & PYRO_F_CORR_ID)
		memcpy(corr, h->corr, 16);
	else
		ns_new_corr(corr);
	if (payload(ns, h, body, &p, &len, &freeme) == -1) {
		log_info("%s: malformed annotations or compressed data, "
		    "closing", c->peer);
		*close = 1;
		return total;
	}
	if (h->flags & PYRO_F_KEEPSERIALIZED) {
		free(freeme);
		if (!oneway && reply_exc(ns, out, h->serializer, h->seq, corr,
		    "Pyro5.errors.ProtocolError", "serialized blob arguments "
		    "are not supported by the nameserver") == -1)
			*close = 1;
		return total;
	}
	rc = pyro_decode(h->serializer, p, len, &ns->arena, &data, err,
	    sizeof(err));
	free(freeme);
	if (rc != PYRO_OK) {
		if (!oneway && reply_exc(ns, out, h->serializer, h->seq, corr,
		    h->serializer == PYRO_SER_SERPENT ? "builtins.SyntaxError" :
		    "builtins.ValueError", err) == -1)
			*close = 1;
		return total;
	}
	if (pyro_call_parse(h->serializer, data, &call, &missing) == -1) {
		const char *cls = ns_call_error(data, missing, err,
		    sizeof(err));

		if (!oneway && reply_exc(ns, out, h->serializer, h->seq, corr,
		    cls, err) == -1)
			*close = 1;
		return total;
	}
	ns_set_peer(ns, c->peer);
	rc = ns_invoke(ns, &ns->arena, &call, (h->flags & PYRO_F_BATCH) != 0,
	    &res);
	if (rc == NS_RES_FAIL) {
		log_warnx("%s: out of memory handling a call, closing",
		    c->peer);
		*close = 1;
		return total;
	}
	if (oneway)
		return total;
	if (rc == NS_RES_EXC)
		flags |= PYRO_F_EXCEPTION;
	else if (h->flags & PYRO_F_BATCH)
		flags |= PYRO_F_BATCH;
	if (reply(ns, out, PYRO_RESULT, h->serializer, flags, h->seq, corr,
	    res) == -1)
		*close = 1;
	return total;
}

size_t
ns_proto_input(struct ns *ns, struct nsconn *c, const uint8_t *buf,
    size_t len, struct sbuf *out, int *close, size_t *need)
{
	struct pyro_hdr	 h;
	uint16_t	 version;
	size_t		 total, used;
	char		 text[128];
	int		 rc;

	*close = 0;
	*need = PYRO_HDR_LEN;
	if (len < 6)
		return 0;
	/* Pyro4 is chosen by the first message's version; the connection
	 * then stays Pyro4. */
	if (c->proto == NSC_PYRO4 || (c->state == NSC_HANDSHAKE &&
	    memcmp(buf, "PYRO", 4) == 0 && buf[4] == 0 &&
	    buf[5] == PYRO4_VERSION)) {
		c->proto = NSC_PYRO4;
		return ns_proto4_input(ns, c, buf, len, out, close, need);
	}
	if (c->state == NSC_HANDSHAKE &&
	    (rc = pyro_hdr_check6(buf, &version)) != PYRO_OK) {
		/* Like Pyro5: a CONNECTFAIL in marshal, then close. */
		if (rc == PYRO_E_TAG)
			early_fail(out, "invalid data");
		else {
			(void)snprintf(text, sizeof(text),
			    "invalid protocol version: %u", version);
			early_fail(out, text);
		}
		log_info("%s: not a Pyro5 client (%s)", c->peer,
		    rc == PYRO_E_TAG ? "no PYRO tag" : text);
		*close = 1;
		return len;
	}
	if (len < PYRO_HDR_LEN)
		return 0;
	rc = pyro_hdr_parse(buf, ns->max_msg, &h);
	if (rc != PYRO_OK) {
		if (c->state == NSC_HANDSHAKE) {
			if (rc == PYRO_E_MAGIC)
				early_fail(out, "invalid magic number");
			else {
				(void)snprintf(text, sizeof(text),
				    "message too large (%llu, max=%zu)",
				    (unsigned long long)h.datalen + h.annlen,
				    ns->max_msg);
				early_fail(out, text);
			}
		}
		log_info("%s: %s, closing", c->peer, rc == PYRO_E_TOOBIG ?
		    "message over the size limit" : "malformed header");
		*close = 1;
		return len;
	}
	if (c->state == NSC_HANDSHAKE && h.type != PYRO_CONNECT) {
		(void)snprintf(text, sizeof(text),
		    "invalid msg type %u received (expected: 1)", h.type);
		early_fail(out, text);
		*close = 1;
		return len;
	}
	if (c->state == NSC_READY && ((h.type != PYRO_INVOKE &&
	    h.type != PYRO_PING) || (h.type == PYRO_INVOKE &&
	    h.serializer != PYRO_SER_SERPENT &&
	    h.serializer != PYRO_SER_JSON))) {
		/* What the Python daemon does too: close, no reply. */
		log_info("%s: unexpected message type %u (serializer %u), "
		    "closing", c->peer, h.type, h.serializer);
		*close = 1;
		return len;
	}
	total = PYRO_HDR_LEN + (size_t)h.annlen + h.datalen;
	*need = total;
	if (len < total)
		return 0;
	if (h.type == PYRO_PING) {
		uint8_t corr[16];

		/* Nothing is deserialized; same serializer id and seq. */
		if (h.flags & PYRO_F_CORR_ID)
			memcpy(corr, h.corr, 16);
		else
			ns_new_corr(corr);
		emit(out, PYRO_PING, h.serializer, PYRO_F_CORR_ID, h.seq,
		    corr, "pong", 4);
		return total;
	}
	if (c->state == NSC_HANDSHAKE)
		used = handshake(ns, c, &h, buf + PYRO_HDR_LEN, total, out,
		    close);
	else
		used = invoke(ns, c, &h, buf + PYRO_HDR_LEN, total, out, close);
	sv_arena_reset(&ns->arena);
	if (out->failed)
		*close = 1;
	return used;
}
