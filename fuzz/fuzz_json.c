/*
 * fuzz_json.c - fuzzes json_parse() (lib/json.c), the capped yajl front
 * end every payload and start-up document goes through, then the typed
 * getters json_get(), json_get_str(), json_get_int(), json_get_bool() and
 * json_only_keys() on the tree, as the broker, db and sandbox readers use
 * them.
 *
 * Consistency checks: the tree of an accepted document is no deeper than
 * the cap (8, as sandbox.c and status.c use); with duplicate keys
 * rejected, json_get() must find each key's own value; parsing again with
 * a depth cap of 2 (db's) must succeed exactly when the tree is at most 2
 * deep.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "banned.h"

/* The deepest cap a caller uses (sandbox.c, status.c).  json_parse()
 * allocates 4 KB of key-tracking state per level, so the default of 32
 * would make every run an mmap under ASan. */
#define FUZZ_DEPTH	8

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Nesting depth as json.c counts it: containers only. */
static size_t
tree_depth(yajl_val v)
{
	size_t i, d, max = 0;

	if (YAJL_IS_OBJECT(v)) {
		for (i = 0; i < v->u.object.len; i++) {
			/* Duplicates are rejected, so the first match is
			 * this very member. */
			if (json_get(v, v->u.object.keys[i]) !=
			    v->u.object.values[i])
				abort();
			if ((d = tree_depth(v->u.object.values[i])) > max)
				max = d;
		}
		return max + 1;
	}
	if (YAJL_IS_ARRAY(v)) {
		for (i = 0; i < v->u.array.len; i++)
			if ((d = tree_depth(v->u.array.values[i])) > max)
				max = d;
		return max + 1;
	}
	if (YAJL_IS_STRING(v) && v->u.string == NULL)
		abort();
	return 0;
}

/* Each typed getter succeeds exactly when the member has its type. */
static void
check_getters(yajl_val obj, const char *key)
{
	yajl_val	 m = json_get(obj, key);
	const char	*s = json_get_str(obj, key);
	long long	 i = 0;
	int		 b = -1, ri, rb;

	ri = json_get_int(obj, key, &i);
	rb = json_get_bool(obj, key, &b);
	if ((s != NULL) != (m != NULL && YAJL_IS_STRING(m)) ||
	    (ri == 0) != (m != NULL && YAJL_IS_INTEGER(m)) ||
	    (rb == 0) != (m != NULL && (YAJL_IS_TRUE(m) || YAJL_IS_FALSE(m))))
		abort();
	if (ri == 0 && i != YAJL_GET_INTEGER(m))
		abort();
	if (rb == 0 && b != (YAJL_IS_TRUE(m) ? 1 : 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = {
		"service", "privileged", "uid", "gid", "caps", "chroot",
		"debug", "config", "projectName", "projectLogoUrl", "webUrl",
		"projectAbout", NULL,
	};
	yajl_val	 v, v2;
	const char	*bad, *s;
	size_t		 depth;
	char		 err[128];

	if (size > 64 * 1024)
		return 0;
	memset(err, 'x', sizeof(err));
	v = json_parse(data, size, 64 * 1024, FUZZ_DEPTH, err, sizeof(err));
	if (v == NULL) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if ((depth = tree_depth(v)) > FUZZ_DEPTH)
		abort();

	/* The readers in broker.c, db.c and sandbox.c. */
	if (json_only_keys(v, allowed, &bad) == -1) {
		if (YAJL_IS_OBJECT(v) && v->u.object.len > 0 &&
		    (bad == NULL || strlen(bad) > size))
			abort();
	} else if (!YAJL_IS_OBJECT(v) || bad != NULL)
		abort();
	if ((s = json_get_str(v, "service")) != NULL && strlen(s) > size)
		abort();
	check_getters(v, "privileged");
	check_getters(v, "uid");
	check_getters(v, "debug");
	check_getters(json_get(v, "config"), "port");
	check_getters(json_get(v, "config"), "service");

	/* The same bytes under db's depth cap of 2. */
	v2 = json_parse(data, size, 64 * 1024, 2, err, sizeof(err));
	if ((v2 != NULL) != (depth <= 2))
		abort();
	yajl_tree_free(v2);
	yajl_tree_free(v);
	return 0;
}
