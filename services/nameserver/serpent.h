/*
 * serpent.h - the value tree shared by the nameserver's serializers: a
 * strict reader for serpent (the Python-literal format Pyro uses), a
 * writer that reproduces Python's repr() exactly as serpent does, and a
 * writer for Python's json.dumps(ensure_ascii=False) layout.
 *
 * Trust: the reader takes bytes straight from the network (any VPN peer);
 * it caps input length, nesting depth and node count, checks UTF-8 and
 * refuses everything ast.literal_eval would refuse plus the few things no
 * Pyro client sends (see parse_serpent.c).  Values live in an arena that
 * is freed in one go, so a tree has no owner other than its arena.
 */
#ifndef SERPENT_H
#define SERPENT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum sv_type {
	SV_NONE, SV_BOOL, SV_INT, SV_BIGINT, SV_FLOAT, SV_COMPLEX,
	SV_STR, SV_BYTES, SV_TUPLE, SV_LIST, SV_SET, SV_DICT
};

/*
 * One value.  Containers chain their items through next; a dict holds
 * key, value, key, value... and n counts pairs.  STR is UTF-8 (it may
 * hold an escaped NUL), BYTES raw bytes, BIGINT an integer outside int64
 * as decimal text with an optional '-'.  Strings are not NUL-terminated.
 */
struct sval {
	enum sv_type	 type;
	size_t		 n;
	struct sval	*next;
	union {
		int		 b;
		int64_t		 i;
		double		 f;
		struct {
			double	 re, im;
		}		 c;
		struct {
			const char	*p;
			size_t		 len;
		}		 s;
		struct {
			struct sval	*first, *last;
		}		 l;
	} u;
};

/* Bump allocator: everything of one request, freed at once. */
struct sv_chunk;
struct sv_arena {
	struct sv_chunk	*head;
	size_t		 used;		/* bytes handed out, all chunks */
	size_t		 max;		/* refuse beyond this */
};

void		 sv_arena_init(struct sv_arena *, size_t max);
/* Free every chunk; the arena can be used again. */
void		 sv_arena_reset(struct sv_arena *);
/* NULL when over the cap or out of memory. Aligned for any value. */
void		*sv_alloc(struct sv_arena *, size_t) WUR;

/* Builders: NULL when the arena refuses.  sv_str copies. */
struct sval	*sv_new(struct sv_arena *, enum sv_type) WUR;
struct sval	*sv_bool(struct sv_arena *, int) WUR;
struct sval	*sv_int(struct sv_arena *, int64_t) WUR;
struct sval	*sv_str(struct sv_arena *, const char *, size_t) WUR;
struct sval	*sv_cstr(struct sv_arena *, const char *) WUR;
/* Append item to a container (dict: call twice, key then value). */
void		 sv_append(struct sval *, struct sval *);
/* Dict: add key (a copied C string) and value; -1 when out of memory. */
int		 sv_dict_set(struct sv_arena *, struct sval *, const char *,
		    struct sval *) WUR;
/* Dict member whose key is the str key, or NULL. */
struct sval	*sv_dict_get(const struct sval *, const char *);
/* 1 if v is a str equal to the C string s. */
int		 sv_is_str(const struct sval *, const char *);
/* Structural equality (sets compared as sequences). */
int		 sv_equal(const struct sval *, const struct sval *);

/* Reader. */
#define SERPENT_MAX_LEN		(1024 * 1024)
#define SERPENT_MAX_DEPTH	64
#define SERPENT_MAX_NODES	100000
#define SERPENT_MAX_DIGITS	4300	/* Python's int/str digit limit */

struct serpent_limits {
	size_t	 max_len;
	size_t	 max_depth;
	size_t	 max_nodes;
};

enum serpent_err {
	SERPENT_OK = 0,
	SERPENT_E_SYNTAX = -1,
	SERPENT_E_DEPTH = -2,
	SERPENT_E_SIZE = -3,
	SERPENT_E_NOMEM = -4,
	SERPENT_E_UTF8 = -5,
	SERPENT_E_NUL = -6,
	SERPENT_E_VALUE = -7	/* well formed but not a value we take */
};

/*
 * Parse one serpent document (header comment optional) of len bytes.
 * On success *out is the root value (in a) and 0 is returned; otherwise
 * a negative enum serpent_err, a message in err and the byte offset of
 * the problem in *erroff (if not NULL).  lim NULL means the defaults.
 */
int		 serpent_parse(const void *, size_t len,
		    const struct serpent_limits *, struct sv_arena *,
		    struct sval **out, char *err, size_t errlen,
		    size_t *erroff) WUR;

/* Growable output buffer with a cap; failed sticks once set. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 failed;
};

void		 sbuf_init(struct sbuf *, size_t max);
void		 sbuf_free(struct sbuf *);
void		 sbuf_add(struct sbuf *, const void *, size_t);
void		 sbuf_addc(struct sbuf *, const char *);
void		 sbuf_addch(struct sbuf *, char);

#define SERPENT_HEADER		"# serpent utf-8 python3.2\n"
#define SV_WRITE_MAX_DEPTH	(SERPENT_MAX_DEPTH + 8)

/* Serpent text of v (with the header line if header).  0 or -1. */
int		 serpent_write(struct sbuf *, const struct sval *, int header)
		    WUR;
/* json.dumps(v, ensure_ascii=False) as Python writes it.  0 or -1
 * (-1 also for values JSON cannot carry: bytes, non-scalar keys). */
int		 pyjson_write(struct sbuf *, const struct sval *) WUR;
/* Python repr() of a UTF-8 str / of a float. */
void		 sv_repr_str(struct sbuf *, const char *, size_t);
void		 sv_repr_float(struct sbuf *, double);

/* UTF-8 helpers (strict: no overlongs, surrogates or > U+10FFFF). */
/* Decode one code point at p (at most n bytes); its length, or 0. */
size_t		 utf8_decode(const uint8_t *, size_t n, uint32_t *cp);
int		 utf8_valid(const void *, size_t);
size_t		 utf8_encode(uint32_t cp, char out[4]);
/* Python str.isprintable() for one code point / str.isspace(). */
int		 uni_isprintable(uint32_t);
int		 uni_isspace(uint32_t);

#endif /* SERPENT_H */
