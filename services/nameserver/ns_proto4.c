/*
 * ns_proto4.c - one Pyro4 (protocol 48) connection as a byte stream,
 * answered the way Pyro4.naming's daemon (Pyro4 4.82, multiplex server,
 * no HMAC key) answers it: the handshake with or without metadata,
 * INVOKE/RESULT, transport PING, oneway and batch calls, the CORR
 * annotation, and the replies to malformed messages
 * (spec/pyro-nameserver.md section 3, vectors/pyro4/).  ns_proto.c hands
 * over every connection whose first message carries version 48; the
 * nameserver behind it is the same, in its Pyro4 dialect (ns->pyro4 for
 * ns_invoke, ns_handshake4).
 *
 * Differences from Pyro5 on the wire: 24-byte header with a checksum,
 * 16-bit lengths of annotation chunks, the correlation id as a `CORR`
 * annotation on CONNECTOK/CONNECTFAIL/RESULT/PING replies (never on
 * exception replies), json is serializer 2, META_ON_CONNECT (0x10).
 * Early failures (bad header, first message not a CONNECT, an unaccepted
 * serializer, an HMAC) are CONNECTFAILs in marshal (id 3) without
 * annotations; after the handshake the Python daemon closes the
 * connection without a word on such messages, and so do we.
 *
 * HMAC: a Pyro4 client may sign its messages with a shared key (the
 * `HMAC` annotation).  We run without one, so like a keyless Pyro4 daemon
 * we answer a signed CONNECT with CONNECTFAIL "hmac key config not
 * symmetric" and close the connection on a signed message after the
 * handshake.  The signature itself is never checked or trusted.
 *
 * Differs from Pyro4.naming on purpose: marshal (id 3) is refused like any
 * serializer but serpent and JSON ("message used serializer that is not
 * accepted: 3"); the message size is capped (ns->max_msg) where Pyro4 has
 * no cap; early failures never carry a stale CORR annotation.
 *
 * Trust: every byte is from an unauthenticated peer.  The header is
 * checked (tag, version, checksum) and its lengths capped before the
 * caller buffers a payload; inflated payloads get the same cap; values
 * are built in the per-message arena that is emptied after the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nameserver.h"
#include "banned.h"

#define NS4_MAX_ANN	16	/* annotation chunks per message */
#define CORR_ANN_LEN	(4 + 2 + 16)

/* One Pyro4 message; a non-NULL corr adds the CORR annotation. */
static void
emit4(struct sbuf *out, uint16_t type, uint16_t ser, uint16_t flags,
    uint16_t seq, const uint8_t corr[16], const void *p, size_t len)
{
	struct pyro4_hdr	h;
	uint8_t			hb[PYRO4_HDR_LEN];

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.serializer = ser;
	h.flags = flags;
	h.seq = seq;
	h.datalen = (uint32_t)len;
	h.annlen = corr != NULL ? CORR_ANN_LEN : 0;
	pyro4_hdr_build(hb, &h);
	sbuf_add(out, hb, sizeof(hb));
	if (corr != NULL) {
		sbuf_add(out, "CORR\x00\x10", 6);
		sbuf_add(out, corr, 16);
	}
	sbuf_add(out, p, len);
}

/* CONNECTFAIL before a serializer was agreed on: marshal, no annotations
 * (what Pyro4's Daemon._handshake sends when Message.recv fails). */
static void
fail4(struct sbuf *out, uint16_t seq, const char *text)
{
	struct sbuf m;

	sbuf_init(&m, 4096);
	pyro_marshal_str(&m, text, strlen(text));
	emit4(out, PYRO_CONNECTFAIL, PYRO4_SER_MARSHAL, 0, seq, NULL, m.p,
	    m.len);
	sbuf_free(&m);
}

/* Pyro4 serializer id to the one pyro_decode/pyro_encode know. */
static int
ser5(uint16_t ser4)
{
	return ser4 == PYRO4_SER_JSON ? PYRO_SER_JSON : PYRO_SER_SERPENT;
}

/*
 * A reply with value v (exception replies: corr NULL).  If v cannot be
 * encoded, a SerializeError or MessageTooLargeError instead.
 */
static int
reply4(struct ns *ns, struct sbuf *out, uint16_t type, uint16_t ser,
    uint16_t flags, uint16_t seq, const uint8_t corr[16],
    const struct sval *v)
{
	static const char	 why[] = "the result cannot be sent with this "
				    "serializer or is too large";
	struct sval		*e;
	int			 big;

	ns->payload.len = 0;
	ns->payload.failed = 0;
	if (pyro_encode(ser5(ser), v, &ns->payload) == -1) {
		big = ns->payload.len > NS_MAX_REPLY / 2;
		ns->payload.len = 0;
		ns->payload.failed = 0;
		e = ns_exception(&ns->arena, big ?
		    "Pyro4.errors.MessageTooLargeError" :
		    "Pyro4.errors.SerializeError", why, sizeof(why) - 1, NULL,
		    0);
		if (e == NULL || pyro_encode(ser5(ser), e, &ns->payload) == -1)
			return -1;
		flags = (uint16_t)((flags & ~PYRO_F_BATCH) | PYRO_F_EXCEPTION);
		if (type == PYRO_RESULT)
			corr = NULL;
	}
	emit4(out, type, ser, flags, seq, corr, ns->payload.p,
	    ns->payload.len);
	return out->failed ? -1 : 0;
}

static int
reply_exc4(struct ns *ns, struct sbuf *out, uint16_t ser, uint16_t seq,
    const char *cls, const char *msg)
{
	struct sval *e;

	if ((e = ns_exception(&ns->arena, cls, msg, strlen(msg), NULL, 0)) ==
	    NULL)
		return -1;
	return reply4(ns, out, PYRO_RESULT, ser, PYRO_F_EXCEPTION, seq, NULL,
	    e);
}

/* One message's parts after the header. */
struct msg4 {
	struct pyro4_hdr	 h;
	const uint8_t		*corr;		/* CORR annotation, or NULL */
	size_t			 corrlen;
	const uint8_t		*data;		/* payload as received */
	size_t			 len;
};

/* The payload with zlib undone (*freeme: the caller frees).  0 or -1. */
static int
inflated(struct ns *ns, const struct msg4 *m, const uint8_t **p,
    size_t *len, uint8_t **freeme)
{
	*freeme = NULL;
	*p = m->data;
	*len = m->len;
	if (m->h.flags & PYRO_F_COMPRESSED) {
		if (pyro_inflate(m->data, m->len, ns->max_msg, freeme, len) !=
		    0)
			return -1;
		*p = *freeme;
	}
	return 0;
}

static void
handshake4(struct ns *ns, struct nsconn *c, const struct msg4 *m,
    struct sbuf *out, int *close)
{
	const struct pyro4_hdr	*h = &m->h;
	const uint8_t		*p;
	uint8_t			*freeme, corr[16];
	size_t			 len;
	struct sval		*data, *res = NULL;
	char			 err[256];
	int			 rc, ok = 0, meta;

	*close = 1;
	if (h->serializer != PYRO4_SER_SERPENT &&
	    h->serializer != PYRO4_SER_JSON) {
		(void)snprintf(err, sizeof(err), "message used serializer that "
		    "is not accepted: %u", h->serializer);
		fail4(out, h->seq, err);
		log_info("%s: Pyro4 handshake with serializer %u refused",
		    c->peer, h->serializer);
		return;
	}
	if (m->corr != NULL && m->corrlen != 16) {
		fail4(out, h->seq, "bytes is not a 16-char string");
		return;
	}
	if (m->corr != NULL)
		memcpy(corr, m->corr, 16);
	else
		ns_new_corr(corr);
	if (inflated(ns, m, &p, &len, &freeme) == -1)
		res = sv_cstr(&ns->arena, "invalid compressed data");
	else {
		rc = pyro_decode(ser5(h->serializer), p, len, &ns->arena,
		    &data, err, sizeof(err));
		free(freeme);
		meta = (h->flags & PYRO4_F_META_ON_CONNECT) != 0;
		if (rc != PYRO_OK)
			res = sv_cstr(&ns->arena, err);
		else if ((rc = ns_handshake4(ns, &ns->arena, data, meta,
		    &res)) == NS_RES_OK)
			ok = 1;
		else if (rc == NS_RES_FAIL)
			res = NULL;
	}
	if (res == NULL)
		return;
	if (reply4(ns, out, ok ? PYRO_CONNECTOK : PYRO_CONNECTFAIL,
	    h->serializer, ok && (h->flags & PYRO4_F_META_ON_CONNECT) ?
	    PYRO4_F_META_ON_CONNECT : 0, h->seq, corr, res) == -1)
		return;
	if (ok) {
		*close = 0;
		c->state = NSC_READY;
	}
}

static void
invoke4(struct ns *ns, struct nsconn *c, const struct msg4 *m,
    struct sbuf *out, int *close)
{
	const struct pyro4_hdr	*h = &m->h;
	const uint8_t		*p;
	uint8_t			*freeme, corr[16];
	size_t			 len;
	struct sval		*data, *res;
	struct pyro_call	 call;
	const char		*missing, *cls;
	char			 err[256];
	int			 rc, oneway = (h->flags & PYRO_F_ONEWAY) != 0;
	int			 known = h->serializer == PYRO4_SER_SERPENT ||
				    h->serializer == PYRO4_SER_JSON;

	if (!known) {
		/* Pyro4 would answer in that serializer if it had it. */
		log_info("%s: Pyro4 call with serializer %u, closing",
		    c->peer, h->serializer);
		*close = 1;
		return;
	}
	if (m->corr != NULL && m->corrlen != 16) {
		if (!oneway && reply_exc4(ns, out, h->serializer, h->seq,
		    "builtins.ValueError", "bytes is not a 16-char string") ==
		    -1)
			*close = 1;
		return;
	}
	if (m->corr != NULL)
		memcpy(corr, m->corr, 16);
	else
		ns_new_corr(corr);
	if (h->flags & PYRO4_F_KEEPSERIALIZED) {
		if (!oneway && reply_exc4(ns, out, h->serializer, h->seq,
		    "Pyro4.errors.ProtocolError", "serialized blob arguments "
		    "are not supported by the nameserver") == -1)
			*close = 1;
		return;
	}
	if (inflated(ns, m, &p, &len, &freeme) == -1) {
		log_info("%s: malformed compressed data, closing", c->peer);
		*close = 1;
		return;
	}
	rc = pyro_decode(ser5(h->serializer), p, len, &ns->arena, &data, err,
	    sizeof(err));
	free(freeme);
	if (rc != PYRO_OK) {
		cls = h->serializer == PYRO4_SER_SERPENT ?
		    "builtins.SyntaxError" : "builtins.ValueError";
		if (!oneway && reply_exc4(ns, out, h->serializer, h->seq, cls,
		    err) == -1)
			*close = 1;
		return;
	}
	if (pyro_call_parse(ser5(h->serializer), data, &call, &missing) ==
	    -1) {
		cls = ns_call_error(data, missing, err, sizeof(err));
		if (!oneway && reply_exc4(ns, out, h->serializer, h->seq, cls,
		    err) == -1)
			*close = 1;
		return;
	}
	ns_set_peer(ns, c->peer);
	ns->pyro4 = 1;
	rc = ns_invoke(ns, &ns->arena, &call, (h->flags & PYRO_F_BATCH) != 0,
	    &res);
	ns->pyro4 = 0;
	if (rc == NS_RES_FAIL) {
		log_warnx("%s: out of memory handling a call, closing",
		    c->peer);
		*close = 1;
		return;
	}
	if (oneway)
		return;
	if (rc == NS_RES_EXC)
		rc = reply4(ns, out, PYRO_RESULT, h->serializer,
		    PYRO_F_EXCEPTION, h->seq, NULL, res);
	else
		rc = reply4(ns, out, PYRO_RESULT, h->serializer,
		    (h->flags & PYRO_F_BATCH) ? PYRO_F_BATCH : 0, h->seq, corr,
		    res);
	if (rc == -1)
		*close = 1;
}

size_t
ns_proto4_input(struct ns *ns, struct nsconn *c, const uint8_t *buf,
    size_t len, struct sbuf *out, int *close, size_t *need)
{
	struct msg4	 m;
	struct pyro_ann	 ann[NS4_MAX_ANN];
	size_t		 total, nann, i;
	char		 text[160];
	int		 rc, hs = c->state == NSC_HANDSHAKE, hmac = 0;

	*close = 0;
	*need = PYRO4_HDR_LEN;
	if (len < PYRO4_HDR_LEN)
		return 0;
	memset(&m, 0, sizeof(m));
	rc = pyro4_hdr_parse(buf, ns->max_msg, &m.h);
	if (rc != PYRO_OK) {
		if (hs && rc == PYRO_E_CHECKSUM)
			fail4(out, 0, "header checksum mismatch");
		else if (hs && rc == PYRO_E_TOOBIG) {
			(void)snprintf(text, sizeof(text), "max message size "
			    "exceeded (%lld where max=%zu)",
			    (long long)(int32_t)m.h.datalen + m.h.annlen,
			    ns->max_msg);
			fail4(out, 0, text);
		} else if (hs)
			fail4(out, 0, "invalid data or unsupported protocol "
			    "version");
		log_info("%s: %s (Pyro4), closing", c->peer,
		    rc == PYRO_E_TOOBIG ? "message over the size limit" :
		    rc == PYRO_E_CHECKSUM ? "header checksum mismatch" :
		    "malformed header");
		*close = 1;
		return len;
	}
	if (hs && m.h.type != PYRO_CONNECT) {
		(void)snprintf(text, sizeof(text),
		    "invalid msg type %u received", m.h.type);
		fail4(out, 0, text);
		*close = 1;
		return len;
	}
	if (!hs && m.h.type != PYRO_INVOKE && m.h.type != PYRO_PING) {
		/* Pyro4 raises a ProtocolError and drops the connection. */
		log_info("%s: unexpected Pyro4 message type %u, closing",
		    c->peer, m.h.type);
		*close = 1;
		return len;
	}
	total = PYRO4_HDR_LEN + (size_t)m.h.annlen + m.h.datalen;
	*need = total;
	if (len < total)
		return 0;
	if (pyro4_ann_parse(buf + PYRO4_HDR_LEN, m.h.annlen, ann, NS4_MAX_ANN,
	    &nann) != PYRO_OK) {
		if (hs)
			fail4(out, 0, "malformed annotations");
		log_info("%s: malformed Pyro4 annotations, closing", c->peer);
		*close = 1;
		return total;
	}
	for (i = 0; i < nann; i++) {
		if (strcmp(ann[i].id, "HMAC") == 0)
			hmac = 1;
		else if (strcmp(ann[i].id, "CORR") == 0) {
			/* A repeated chunk: the last wins, as in Pyro4. */
			m.corr = ann[i].data;
			m.corrlen = ann[i].len;
		}
	}
	if (hmac) {
		/* A keyless Pyro4 daemon's Message.recv raises
		 * SecurityError: the handshake reports it, later it closes. */
		if (hs)
			fail4(out, 0, "hmac key config not symmetric");
		log_info("%s: Pyro4 message signed with an HMAC key (we have "
		    "none), closing", c->peer);
		*close = 1;
		return total;
	}
	m.data = buf + PYRO4_HDR_LEN + m.h.annlen;
	m.len = m.h.datalen;
	if (hs)
		handshake4(ns, c, &m, out, close);
	else if (m.h.type == PYRO_PING) {
		uint8_t corr[16];

		/* Nothing is deserialized; same serializer id and seq. */
		if (m.corr != NULL && m.corrlen != 16)
			*close = 1;	/* Pyro4 fails answering it */
		else {
			if (m.corr != NULL)
				memcpy(corr, m.corr, 16);
			else
				ns_new_corr(corr);
			emit4(out, PYRO_PING, m.h.serializer, 0, m.h.seq, corr,
			    "pong", 4);
		}
	} else
		invoke4(ns, c, &m, out, close);
	sv_arena_reset(&ns->arena);
	if (out->failed)
		*close = 1;
	return total;
}
