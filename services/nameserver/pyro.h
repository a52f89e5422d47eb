/*
 * pyro.h - the Pyro5 wire protocol (version 502) as the nameserver speaks
 * it: the 40-byte header, annotation chunks, zlib payloads, the INVOKE
 * payload in serpent or JSON, replies, and Pyro URIs; and the framing of
 * the legacy Pyro4 protocol (version 48): its 24-byte header with
 * checksum and its annotation chunks with 2-byte lengths.
 * spec/pyro-nameserver.md sections 2, 3, 4 and 5.2.
 *
 * Trust: parse_pyro.c reads bytes from any VPN peer before anything else
 * looks at them; every length is checked against the bytes present and
 * against the caps below before it is used.
 */
#ifndef PYRO_H
#define PYRO_H

#include <stddef.h>
#include <stdint.h>

#include "serpent.h"

#define PYRO_HDR_LEN		40
#define PYRO_VERSION		502
#define PYRO_MAGIC		0x4dc5

#define PYRO_CONNECT		1
#define PYRO_CONNECTOK		2
#define PYRO_CONNECTFAIL	3
#define PYRO_INVOKE		4
#define PYRO_RESULT		5
#define PYRO_PING		6

#define PYRO_F_EXCEPTION	0x01
#define PYRO_F_COMPRESSED	0x02
#define PYRO_F_ONEWAY		0x04
#define PYRO_F_BATCH		0x08
#define PYRO_F_ITEMSTREAM	0x10
#define PYRO_F_KEEPSERIALIZED	0x20
#define PYRO_F_CORR_ID		0x40

#define PYRO_SER_SERPENT	1
#define PYRO_SER_MARSHAL	2
#define PYRO_SER_JSON		3
#define PYRO_SER_MSGPACK	4

#define PYRO_MAX_ANN		16	/* annotation chunks per message */
#define PYRO_DEFAULT_MAX_MSG	(1024 * 1024)

struct pyro_hdr {
	uint16_t	version;
	uint8_t		type;
	uint8_t		serializer;
	uint16_t	flags;
	uint16_t	seq;
	uint32_t	datalen;
	uint32_t	annlen;
	uint8_t		corr[16];
};

enum pyro_err {
	PYRO_OK = 0,
	PYRO_E_TAG = -1,	/* not "PYRO" */
	PYRO_E_VERSION = -2,	/* another protocol version */
	PYRO_E_MAGIC = -3,
	PYRO_E_TOOBIG = -4,	/* payload + annotations over the cap */
	PYRO_E_ANN = -5,	/* annotation chunks malformed */
	PYRO_E_ZLIB = -6,	/* bad or oversized compressed payload */
	PYRO_E_PAYLOAD = -7,	/* payload does not decode */
	PYRO_E_CHECKSUM = -8	/* Pyro4 header checksum wrong */
};

/*
 * First 6 bytes: tag and version.  0, PYRO_E_TAG, or PYRO_E_VERSION with
 * the version in *version.
 */
int		 pyro_hdr_check6(const uint8_t *, uint16_t *version) WUR;
/* The whole header (PYRO_HDR_LEN bytes); max caps datalen + annlen. */
int		 pyro_hdr_parse(const uint8_t *, size_t max, struct pyro_hdr *)
		    WUR;
void		 pyro_hdr_build(uint8_t out[PYRO_HDR_LEN],
		    const struct pyro_hdr *);

struct pyro_ann {
	char		 id[5];
	const uint8_t	*data;
	size_t		 len;
};
/* Split annlen bytes into at most max chunks; 0 or PYRO_E_ANN. */
int		 pyro_ann_parse(const uint8_t *, size_t annlen,
		    struct pyro_ann *, size_t max, size_t *n) WUR;

/* zlib inflate of len bytes into a heap buffer of at most max bytes
 * (caller frees *out); 0 or PYRO_E_ZLIB. */
int		 pyro_inflate(const uint8_t *, size_t len, size_t max,
		    uint8_t **out, size_t *outlen) WUR;

/*
 * Decode a payload with serializer ser (serpent or JSON) into a tree in
 * a.  0, or PYRO_E_PAYLOAD with a message in err.
 */
int		 pyro_decode(int ser, const void *, size_t len,
		    struct sv_arena *, struct sval **, char *err,
		    size_t errlen) WUR;
/* Encode v for serializer ser; 0 or -1. */
int		 pyro_encode(int ser, const struct sval *, struct sbuf *) WUR;

/* An INVOKE: (object id, method, positional args, keyword args). */
struct pyro_call {
	const struct sval	*object;
	const struct sval	*method;
	const struct sval	*args;
	const struct sval	*kwargs;
};
/*
 * Pick the four parts out of a decoded INVOKE payload: a 4-tuple (or
 * list) for serpent, an object with "object", "method", "params",
 * "kwargs" for JSON.  0, or -1 with *missing naming the JSON key that
 * was absent (NULL: wrong shape).
 */
int		 pyro_call_parse(int ser, const struct sval *,
		    struct pyro_call *, const char **missing) WUR;

/*
 * Pyro4 (protocol 48, spec section 3).  Header: "PYRO", version, type,
 * flags, seq, payload length (signed 32 bits), serializer id,
 * annotations length, reserved, checksum; all 16-bit big-endian but the
 * payload length.  Annotation chunks: 4-byte id, 2-byte length, data.
 */
#define PYRO4_HDR_LEN		24
#define PYRO4_VERSION		48
#define PYRO4_CHECKSUM_MAGIC	0x34e9

/* Flags that differ from Pyro5's (0x01-0x08 are the same). */
#define PYRO4_F_META_ON_CONNECT	0x10
#define PYRO4_F_ITEMSTREAM	0x20
#define PYRO4_F_KEEPSERIALIZED	0x40

/* Serializer ids: json and marshal are swapped relative to Pyro5. */
#define PYRO4_SER_SERPENT	1
#define PYRO4_SER_JSON		2
#define PYRO4_SER_MARSHAL	3

struct pyro4_hdr {
	uint16_t	version;
	uint16_t	type;
	uint16_t	flags;
	uint16_t	seq;
	uint32_t	datalen;
	uint16_t	serializer;
	uint16_t	annlen;
	uint16_t	checksum;
};

/*
 * A Pyro4 header (PYRO4_HDR_LEN bytes), checked in the order Pyro4's
 * Message.from_header checks it: PYRO_E_TAG / PYRO_E_VERSION (both "invalid
 * data or unsupported protocol version" to Pyro4), PYRO_E_CHECKSUM, then
 * PYRO_E_TOOBIG for a negative payload length or datalen + annlen over
 * max.  The fields are filled in as far as they were read.
 */
int		 pyro4_hdr_parse(const uint8_t *, size_t max,
		    struct pyro4_hdr *) WUR;
/* The checksum of h's fields. */
uint16_t	 pyro4_checksum(const struct pyro4_hdr *);
/* Write a header for h (version and checksum are filled in). */
void		 pyro4_hdr_build(uint8_t out[PYRO4_HDR_LEN],
		    const struct pyro4_hdr *);
/* Split annlen bytes of 2-byte-length chunks; 0 or PYRO_E_ANN. */
int		 pyro4_ann_parse(const uint8_t *, size_t annlen,
		    struct pyro_ann *, size_t max, size_t *n) WUR;

/* A marshal str (the Python server's fallback for early failures). */
void		 pyro_marshal_str(struct sbuf *, const char *, size_t);

/*
 * Pyro URIs, parsed exactly as Pyro5.core.URI does (regex
 * "(?P<protocol>[Pp][Yy][Rr][Oo][a-zA-Z]*):(?P<object>\S+?)
 * (@(?P<location>.+))?$", then the location rules).  Pointers borrow
 * from the parsed string.
 */
struct pyro_uri {
	char		 protocol[16];		/* PYRO, PYRONAME, PYROMETA */
	const char	*object;
	size_t		 objlen;
	const char	*sockname;		/* NULL if none */
	size_t		 socklen;
	const char	*host;			/* NULL if none */
	size_t		 hostlen;
	int		 has_port;
	int64_t		 port;
	const char	*portstr;		/* for the error text */
	size_t		 portlen;
};
#define PYRO_NS_PORT	9090	/* Pyro's default NS_PORT for PYRONAME */

/* 0, or -1 with the PyroError text in why (why is at least 128 bytes). */
int		 pyro_uri_parse(const char *, size_t, struct pyro_uri *,
		    char *why, size_t whylen) WUR;
/* The URI class dict {'__class__':'Pyro5.core.URI','state':(...)}. */
struct sval	*pyro_uri_value(struct sv_arena *, const struct pyro_uri *);
/* The same with another class name (Pyro4: "Pyro4.core.URI"). */
struct sval	*pyro_uri_value_cls(struct sv_arena *, const struct pyro_uri *,
		    const char *cls);
/*
 * str() of a URI given as its state tuple (what register() stores when
 * it receives a URI object).  0, or -1 with a TypeError text in why.
 */
int		 pyro_uri_state_str(const struct sval *state, struct sbuf *,
		    char *why, size_t whylen) WUR;

#endif /* PYRO_H */
