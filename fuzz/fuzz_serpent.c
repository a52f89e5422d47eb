/*
 * fuzz_serpent.c - fuzzes serpent_parse() (services/nameserver/
 * parse_serpent.c), the nameserver's main attack surface, and the two
 * writers behind it.
 *
 * Input: one serpent document as received in a Pyro payload.  Whatever
 * parses must be written back by the serpent writer, and that text must
 * parse again into an equal value (the writer and reader agree, up to
 * what serpent itself loses: bytes, empty sets); the
 * JSON writer must not crash on it.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serpent.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
has_bytes(const struct sval *v)
{
	const struct sval *it;

	if (v->type == SV_BYTES)
		return 1;
	if (v->type >= SV_TUPLE)
		for (it = v->u.l.first; it != NULL; it = it->next)
			if (has_bytes(it))
				return 1;
	return 0;
}

/*
 * v read back from its own serpent text: equal, except where serpent
 * itself is lossy: bytes come back as a base64 dict, an empty set as an
 * empty tuple.
 */
static int
same(const struct sval *v, const struct sval *w)
{
	const struct sval *a, *b;

	if (v->type == SV_BYTES)
		return w->type == SV_DICT;
	if (v->type == SV_SET && v->n == 0)
		return w->type == SV_TUPLE && w->n == 0;
	if (v->type < SV_TUPLE)
		return sv_equal(v, w);
	if (v->type != w->type || v->n != w->n)
		return 0;
	for (a = v->u.l.first, b = w->u.l.first; a != NULL && b != NULL;
	    a = a->next, b = b->next)
		if (!same(a, b))
			return 0;
	return a == NULL && b == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sv_arena	 a, a2;
	struct sval	*v, *w;
	struct sbuf	 b, j;
	char		 err[256];
	int		 rc;

	if (size > SERPENT_MAX_LEN)
		return 0;
	sv_arena_init(&a, 64 * 1024 * 1024);
	rc = serpent_parse(data, size, NULL, &a, &v, err, sizeof(err), NULL);
	if (rc != SERPENT_OK) {
		if (v != NULL || memchr(err, '\0', sizeof(err)) == NULL ||
		    err[0] == '\0')
			abort();
		sv_arena_reset(&a);
		return 0;
	}
	sbuf_init(&b, 64 * 1024 * 1024);
	if (serpent_write(&b, v, 1) != 0)
		abort();
	sv_arena_init(&a2, 64 * 1024 * 1024);
	if (serpent_parse(b.p, b.len, NULL, &a2, &w, err, sizeof(err),
	    NULL) != SERPENT_OK) {
		/* Only serpent's own losses may stop it reading back: a
		 * longer text, or bytes (a dict) in a set or dict key. */
		if (b.len <= SERPENT_MAX_LEN && !has_bytes(v))
			abort();
	} else if (!same(v, w))
		abort();
	sbuf_init(&j, 64 * 1024 * 1024);
	if (pyjson_write(&j, v) == 0 && j.len == 0)
		abort();
	sbuf_free(&j);
	sbuf_free(&b);
	sv_arena_reset(&a2);
	sv_arena_reset(&a);
	return 0;
}
