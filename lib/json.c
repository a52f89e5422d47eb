/*
 * json.c - capped JSON parsing on top of yajl (see json.h).
 *
 * yajl_tree_parse() accepts comments, decodes "\u0000" into a truncating
 * NUL, keeps duplicate keys and recurses without limit.  So every input is
 * first run through yajl's streaming parser with callbacks that count depth
 * and reject NUL bytes and duplicate keys (per object, bounded); only then
 * is the tree built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_parse.h>

#include "json.h"
#include "banned.h"

#define JSON_MAX_KEYS	256	/* keys tracked per object for duplicates */

struct jframe {
	int		 is_map;
	size_t		 nkeys;
	const char	*keys[JSON_MAX_KEYS];	/* borrowed from the input */
	size_t		 klen[JSON_MAX_KEYS];
};

struct jcheck {
	size_t		 depth, maxdepth;
	struct jframe	*stack;
	const char	*why;
	int		 nodup;		/* skip the duplicate-key check */
};

static int
jc_push(void *ctx, int is_map)
{
	struct jcheck *jc = ctx;

	if (jc->depth >= jc->maxdepth) {
		jc->why = "nesting too deep";
		return 0;
	}
	jc->stack[jc->depth].is_map = is_map;
	jc->stack[jc->depth].nkeys = 0;
	jc->depth++;
	return 1;
}

static int
jc_pop(void *ctx)
{
	struct jcheck *jc = ctx;

	if (jc->depth > 0)
		jc->depth--;
	return 1;
}

static int jc_start_map(void *c) { return jc_push(c, 1); }
static int jc_start_array(void *c) { return jc_push(c, 0); }

static int
jc_string(void *ctx, const unsigned char *s, size_t len)
{
	struct jcheck *jc = ctx;

	if (memchr(s, '\0', len) != NULL) {
		jc->why = "NUL character in string";
		return 0;
	}
	return 1;
}

static int
jc_key(void *ctx, const unsigned char *s, size_t len)
{
	struct jcheck	*jc = ctx;
	struct jframe	*f;
	size_t		 i;

	if (!jc_string(ctx, s, len))
		return 0;
	if (jc->depth == 0 || jc->nodup)
		return 1;
	f = &jc->stack[jc->depth - 1];
	/* Keys arrive decoded in a yajl buffer that is reused, so compare
	 * by copying small keys only; long objects are rejected. */
	for (i = 0; i < f->nkeys; i++)
		if (f->klen[i] == len && memcmp(f->keys[i], s, len) == 0) {
			jc->why = "duplicate key";
			return 0;
		}
	if (f->nkeys == JSON_MAX_KEYS) {
		jc->why = "too many keys in one object";
		return 0;
	}
	{
		char *k = malloc(len + 1);

		if (k == NULL) {
			jc->why = "out of memory";
			return 0;
		}
		memcpy(k, s, len);
		k[len] = '\0';
		f->keys[f->nkeys] = k;
		f->klen[f->nkeys] = len;
		f->nkeys++;
	}
	return 1;
}

static int
jc_end_map(void *ctx)
{
	struct jcheck	*jc = ctx;
	struct jframe	*f;

	if (jc->depth > 0) {
		f = &jc->stack[jc->depth - 1];
		for (size_t i = 0; i < f->nkeys; i++)
			free((void *)(uintptr_t)f->keys[i]);
		f->nkeys = 0;
	}
	return jc_pop(ctx);
}

static int
jc_number(void *ctx, const char *s, size_t len)
{
	(void)ctx;
	(void)s;
	(void)len;
	return 1;
}

static const yajl_callbacks jc_callbacks = {
	.yajl_string = jc_string,
	.yajl_number = jc_number,
	.yajl_start_map = jc_start_map,
	.yajl_map_key = jc_key,
	.yajl_end_map = jc_end_map,
	.yajl_start_array = jc_start_array,
	.yajl_end_array = jc_pop,
};

yajl_val
json_parse(const void *buf, size_t len, size_t maxlen, size_t maxdepth,
    char *err, size_t errlen)
{
	return json_parse_flags(buf, len, maxlen, maxdepth, 0, err, errlen);
}

yajl_val
json_parse_flags(const void *buf, size_t len, size_t maxlen,
    size_t maxdepth, int flags, char *err, size_t errlen)
{
	struct jcheck	 jc;
	yajl_handle	 h;
	yajl_status	 st;
	yajl_val	 v = NULL;
	char		*copy, ebuf[128];

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > maxlen) {
		(void)snprintf(err, errlen, "document too large");
		return NULL;
	}
	if (maxdepth == 0 || maxdepth > 1024)
		maxdepth = JSON_MAX_DEPTH;
	memset(&jc, 0, sizeof(jc));
	jc.maxdepth = maxdepth;
	jc.nodup = (flags & JSON_F_KEYS_UNIQUE) != 0;
	if ((jc.stack = calloc(maxdepth, sizeof(*jc.stack))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((h = yajl_alloc(&jc_callbacks, NULL, &jc)) == NULL) {
		free(jc.stack);
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st = yajl_parse(h, buf, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		if (jc.why != NULL)
			(void)snprintf(err, errlen, "%s", jc.why);
		else {
			unsigned char *m = yajl_get_error(h, 0, buf, len);

			(void)snprintf(err, errlen, "%s",
			    m != NULL ? (char *)m : "syntax error");
			if (m != NULL)
				yajl_free_error(h, m);
		}
	}
	/* Free keys of frames left open by an error. */
	for (size_t d = 0; d < maxdepth; d++)
		for (size_t i = 0; i < jc.stack[d].nkeys; i++)
			free((void *)(uintptr_t)jc.stack[d].keys[i]);
	free(jc.stack);
	yajl_free(h);
	if (st != yajl_status_ok)
		return NULL;

	/* Valid: build the tree from a NUL-terminated copy. */
	if ((copy = malloc(len + 1)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	v = yajl_tree_parse(copy, ebuf, sizeof(ebuf));
	free(copy);
	if (v == NULL)
		(void)snprintf(err, errlen, "%s", ebuf);
	return v;
}

yajl_val
json_get(yajl_val obj, const char *key)
{
	size_t i;

	if (obj == NULL || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

const char *
json_get_str(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key);

	return v != NULL && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int
json_get_int(yajl_val obj, const char *key, long long *out)
{
	yajl_val v = json_get(obj, key);

	if (v == NULL || !YAJL_IS_INTEGER(v))
		return -1;
	*out = v->u.number.i;
	return 0;
}

int
json_get_bool(yajl_val obj, const char *key, int *out)
{
	yajl_val v = json_get(obj, key);

	if (v == NULL || !(YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)))
		return -1;
	*out = YAJL_IS_TRUE(v);
	return 0;
}

int
json_only_keys(yajl_val obj, const char *const *allowed, const char **bad)
{
	size_t i, j;

	*bad = NULL;
	if (obj == NULL || !YAJL_IS_OBJECT(obj))
		return -1;
	for (i = 0; i < obj->u.object.len; i++) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(obj->u.object.keys[i], allowed[j]) == 0)
				break;
		if (allowed[j] == NULL) {
			*bad = obj->u.object.keys[i];
			return -1;
		}
	}
	return 0;
}

yajl_gen
json_gen_new(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g != NULL)
		(void)yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	return g;
}

void
json_gen_cstr(yajl_gen g, const char *s)
{
	(void)yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

void
json_gen_kv_str(yajl_gen g, const char *k, const char *v)
{
	json_gen_cstr(g, k);
	json_gen_cstr(g, v);
}

void
json_gen_kv_int(yajl_gen g, const char *k, long long v)
{
	json_gen_cstr(g, k);
	(void)yajl_gen_integer(g, v);
}

void
json_gen_val(yajl_gen g, yajl_val v)
{
	size_t i;

	if (YAJL_IS_STRING(v))
		json_gen_cstr(g, v->u.string);
	else if (YAJL_IS_NUMBER(v))
		(void)yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		(void)yajl_gen_bool(g, YAJL_IS_TRUE(v));
	else if (YAJL_IS_OBJECT(v)) {
		(void)yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			json_gen_cstr(g, v->u.object.keys[i]);
			json_gen_val(g, v->u.object.values[i]);
		}
		(void)yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		(void)yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			json_gen_val(g, v->u.array.values[i]);
		(void)yajl_gen_array_close(g);
	} else
		(void)yajl_gen_null(g);
}
