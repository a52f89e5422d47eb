/*
 * json.h - yajl with the caps yajl lacks: input length, nesting depth,
 * no comments, no embedded NUL in strings or keys, no duplicate keys.
 *
 * Payloads are JSON end to end; every reader goes through json_parse()
 * and then reads fields with the typed getters, rejecting unknown keys
 * with json_only_keys().
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

#include "util.h"

#define JSON_MAX_DEPTH	32

/*
 * Parse len bytes (not NUL-terminated).  Returns a tree the caller frees
 * with yajl_tree_free(), or NULL with a message in err.
 */
yajl_val	 json_parse(const void *, size_t len, size_t maxlen,
		    size_t maxdepth, char *err, size_t errlen) WUR;

/*
 * The same with flags.  JSON_F_KEYS_UNIQUE: the producer guarantees unique
 * keys (e.g. the nameserver's listing, keyed by name), so the duplicate
 * check, and its cap of keys per object, is skipped.
 */
#define JSON_F_KEYS_UNIQUE	0x1
yajl_val	 json_parse_flags(const void *, size_t len, size_t maxlen,
		    size_t maxdepth, int flags, char *err, size_t errlen) WUR;

/* Object member lookup (first match); NULL if absent or v not an object. */
yajl_val	 json_get(yajl_val obj, const char *key);
/* String member, or NULL. */
const char	*json_get_str(yajl_val obj, const char *key);
/* Integer member: 0, or -1 if absent or not an integer. */
int		 json_get_int(yajl_val obj, const char *key, long long *) WUR;
/* Boolean member: 0, or -1 if absent or not a boolean. */
int		 json_get_bool(yajl_val obj, const char *key, int *) WUR;
/* 0 if obj is an object whose keys are all in allowed (NULL-terminated)
 * list, else -1 and the offending key in *bad (borrowed). */
int		 json_only_keys(yajl_val obj, const char *const *allowed,
		    const char **bad) WUR;

/* A generator with our defaults (validated UTF-8, no beautify). */
yajl_gen	 json_gen_new(void);
/* Shorthands: NUL-terminated key or string. */
void		 json_gen_cstr(yajl_gen, const char *);
void		 json_gen_kv_str(yajl_gen, const char *key, const char *val);
void		 json_gen_kv_int(yajl_gen, const char *key, long long val);
/* Write a parsed value (numbers keep their text). */
void		 json_gen_val(yajl_gen, yajl_val);

#endif /* JSON_H */
