/*
 * fuzz_api_multipart.c - fuzzes the api's streaming multipart/form-data
 * parser (services/api/parse_multipart.c).
 *
 * Input: 4 bytes seeding the chunk sizes, then the Content-Type header
 * value up to the first '\n' (at most 255 bytes; without a '\n' a fixed
 * header with boundary "b0und" is used and the rest is the body), then the
 * body.  The body is parsed three times: in one piece, in pseudo-random
 * chunks drawn from the seed (1 byte to the whole rest), and byte by byte.
 * All three must give the same callback sequence (hashed: part names,
 * file names, types, the data bytes, the part ends) and the same result.
 * Invariants: callbacks pair up (data only inside a part, no end without
 * a begin, no part left open after a successful finish), names fit
 * MP_NAME_MAX, the data delivered never exceeds the body, an error
 * always has a message.  A fourth pass refuses at a seed-chosen callback
 * and checks that nothing is called after the refusal.  No I/O, no
 * global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse_http.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct trace {
	uint64_t	hash;
	size_t		data;		/* data bytes delivered */
	size_t		parts;
	size_t		calls;
	size_t		refuse_at;	/* refuse the Nth callback (0: never) */
	int		open;
	int		refused;
};

static void
mix(struct trace *t, const void *p, size_t n)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < n; i++) {
		t->hash ^= b[i];
		t->hash *= 0x100000001b3ULL;
	}
}

static int
counted(struct trace *t)
{
	if (t->refused)
		abort();	/* called after refusing */
	if (t->refuse_at != 0 && ++t->calls == t->refuse_at) {
		t->refused = 1;
		return -1;
	}
	return 0;
}

static int
on_begin(void *arg, const char *name, const char *filename,
    const char *ctype)
{
	struct trace	*t = arg;

	if (t->open || name == NULL || ctype == NULL ||
	    strnlen(name, MP_NAME_MAX) == MP_NAME_MAX ||
	    strnlen(ctype, MP_NAME_MAX) == MP_NAME_MAX ||
	    (filename != NULL &&
	    strnlen(filename, MP_NAME_MAX) == MP_NAME_MAX))
		abort();
	t->open = 1;
	t->parts++;
	mix(t, "B", 1);
	mix(t, name, strlen(name) + 1);
	if (filename != NULL) {
		mix(t, "F", 1);
		mix(t, filename, strlen(filename) + 1);
	} else
		mix(t, "N", 1);
	mix(t, ctype, strlen(ctype) + 1);
	return counted(t);
}

static int
on_data(void *arg, const uint8_t *p, size_t n)
{
	struct trace	*t = arg;

	if (!t->open || n == 0)
		abort();
	t->data += n;
	mix(t, p, n);
	return counted(t);
}

static int
on_end(void *arg)
{
	struct trace	*t = arg;

	if (!t->open)
		abort();
	t->open = 0;
	mix(t, "E", 1);
	return counted(t);
}

static const struct mp_callbacks cbs = { on_begin, on_data, on_end };

static uint32_t
next(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/*
 * Parse body with ctype in chunks: mode 0 whole, 1 random, 2 bytewise.
 * Returns 0 (finished), 1 (feed failed), 2 (finish failed).
 */
static int
run(const char *ctype, const uint8_t *body, size_t len, int mode,
    uint32_t seed, struct trace *t)
{
	struct multipart	*mp;
	const char		*why = NULL;
	size_t			 off = 0, n;
	int			 rc = 0;

	if ((mp = multipart_new(ctype, &cbs, t, &why)) == NULL) {
		if (why == NULL || why[0] == '\0')
			abort();
		return -1;
	}
	while (off < len) {
		if (mode == 0)
			n = len - off;
		else if (mode == 2)
			n = 1;
		else
			n = 1 + next(&seed) % (len - off);
		if (multipart_feed(mp, body + off, n) != 0) {
			rc = 1;
			break;
		}
		off += n;
	}
	if (rc == 0 && multipart_finish(mp) != 0)
		rc = 2;
	if (rc != 0) {
		why = multipart_error(mp);
		if (why == NULL || why[0] == '\0')
			abort();
		/* A failed parser stays failed. */
		if (multipart_feed(mp, (const uint8_t *)"x", 1) != -1)
			abort();
	} else if (t->open)
		abort();
	multipart_free(mp);
	if (t->data > len || t->parts > len)
		abort();
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace	 a, b, c, d;
	char		 ctype[256];
	const uint8_t	*body, *nl;
	uint32_t	 seed;
	size_t		 len, cl;
	int		 ra, rb, rc;

	if (size < 4 || size > 256 * 1024)
		return 0;
	memcpy(&seed, data, 4);
	seed |= 1;
	data += 4;
	size -= 4;
	nl = memchr(data, '\n', size < sizeof(ctype) ? size : sizeof(ctype));
	if (nl != NULL) {
		cl = (size_t)(nl - data);
		memcpy(ctype, data, cl);
		ctype[cl] = '\0';
		body = nl + 1;
		len = size - cl - 1;
	} else {
		memcpy(ctype, "multipart/form-data; boundary=b0und",
		    sizeof("multipart/form-data; boundary=b0und"));
		body = data;
		len = size;
	}
	/* A NUL inside the header value ends it, as a C string does. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.hash = b.hash = c.hash = 0xcbf29ce484222325ULL;
	ra = run(ctype, body, len, 0, seed, &a);
	rb = run(ctype, body, len, 1, seed, &b);
	rc = run(ctype, body, len, 2, seed, &c);
	/*
	 * The same result and the same callbacks, up to where each run
	 * stopped: a run that failed reports a prefix of the events, and
	 * where chunking cannot change that (every failure is decided at one
	 * byte), the whole trace matches.
	 */
	if (ra != rb || ra != rc || a.hash != b.hash || a.hash != c.hash ||
	    a.data != b.data || a.data != c.data || a.parts != b.parts ||
	    a.parts != c.parts)
		abort();
	if (ra == -1)
		return 0;
	/* Refuse at some callback: the parser must stop right there. */
	memset(&d, 0, sizeof(d));
	d.refuse_at = 1 + next(&seed) % 16;
	(void)run(ctype, body, len, 1, seed, &d);
	return 0;
}
