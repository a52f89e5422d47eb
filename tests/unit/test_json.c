/*
 * test_json.c - unit tests for lib/json.c, the capped yajl wrapper:
 * json_parse accepts ordinary documents and rejects nesting over the cap,
 * comments, duplicate keys (also nested and escaped), "\u0000" in strings
 * and keys, trailing garbage and input over maxlen; json_only_keys; the
 * typed getters json_get_int/str/bool; and the generator helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAXLEN	(1024 * 1024)

/* Parse a NUL-terminated document with the default caps. */
static yajl_val
parse(const char *s, char *err, size_t errlen)
{
	return json_parse(s, strlen(s), MAXLEN, 0, err, errlen);
}

/* Expect s to be rejected with an error containing why. */
static void
reject(const char *s, size_t maxdepth, const char *why)
{
	yajl_val	v;
	char		err[256];

	memset(err, 'x', sizeof(err));
	v = json_parse(s, strlen(s), MAXLEN, maxdepth, err, sizeof(err));
	if (v != NULL) {
		yajl_tree_free(v);
		fail_msg("accepted: %s", s);
	}
	if (memchr(err, '\0', sizeof(err)) == NULL)
		fail_msg("error not terminated for: %s", s);
	if (strstr(err, why) == NULL)
		fail_msg("error \"%s\" lacks \"%s\" for: %s", err, why, s);
}

static void
accept(const char *s, size_t maxdepth)
{
	yajl_val	v;
	char		err[256] = "";

	v = json_parse(s, strlen(s), MAXLEN, maxdepth, err, sizeof(err));
	if (v == NULL)
		fail_msg("rejected (%s): %s", err, s);
	assert_string_equal(err, "");
	yajl_tree_free(v);
}

static void
test_accepts(void **state)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-1.5e3", "\"s\"", "true", "false", "null",
		" { } ", "\n[1, 2, 3]\n\t",
		"{\"a\":1,\"b\":\"x\",\"c\":true,\"d\":null,"
		    "\"e\":[1,2,{\"f\":false}],\"g\":1.5}",
		/* The same key in two objects. */
		"{\"a\":{\"a\":1},\"b\":{\"a\":2}}",
		"[{\"a\":1},{\"a\":2},{\"a\":3}]",
		"{\"a\":{\"x\":1},\"b\":{\"x\":{\"x\":{}}}}",
		"{\"k\":\"caf\\u00e9 \\\"q\\\" \\n \\/\"}",
		"{\"\":1}",
		"{\"A\":1,\"a\":2}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		accept(good[i], 0);
}

static void
test_not_nul_terminated(void **state)
{
	static const char buf[] = "{\"a\":1}garbage";
	yajl_val	v;
	char		err[128];
	long long	n;

	(void)state;
	/* Only len bytes count; the copy handed to yajl_tree is private. */
	v = json_parse(buf, 7, MAXLEN, 0, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_get_int(v, "a", &n), 0);
	assert_int_equal(n, 1);
	yajl_tree_free(v);
	/* Whole buffer: trailing garbage. */
	v = json_parse(buf, sizeof(buf) - 1, MAXLEN, 0, err, sizeof(err));
	assert_null(v);
}

static void
test_depth(void **state)
{
	char	*s;
	size_t	 i, d;

	(void)state;
	/* Explicit cap of 4: four levels pass, five fail. */
	accept("[[[[1]]]]", 4);
	accept("{\"a\":{\"b\":[{\"c\":1}]}}", 4);
	reject("[[[[[1]]]]]", 4, "nesting too deep");
	reject("{\"a\":{\"b\":[{\"c\":[]}]}}", 4, "nesting too deep");
	accept("[1]", 1);
	reject("[[1]]", 1, "nesting too deep");

	/* Default cap (0 or absurd values mean JSON_MAX_DEPTH). */
	s = malloc(2 * 100000 + 1);
	assert_non_null(s);
	for (d = JSON_MAX_DEPTH; d <= JSON_MAX_DEPTH + 1; d++) {
		for (i = 0; i < d; i++) {
			s[i] = '[';
			s[2 * d - 1 - i] = ']';
		}
		s[2 * d] = '\0';
		if (d == JSON_MAX_DEPTH) {
			accept(s, 0);
			accept(s, 5000);	/* over 1024: default */
		} else {
			reject(s, 0, "nesting too deep");
			reject(s, 5000, "nesting too deep");
		}
	}
	/* Very deep input fails fast and without recursion. */
	memset(s, '[', 100000);
	s[100000] = '\0';
	reject(s, 0, "nesting too deep");
	/* Objects count too. */
	{
		char *p = s;

		for (i = 0; i < 40; i++) {
			memcpy(p, "{\"k\":", 5);
			p += 5;
		}
		*p++ = '1';
		for (i = 0; i < 40; i++)
			*p++ = '}';
		*p = '\0';
	}
	reject(s, 0, "nesting too deep");
	free(s);
}

static void
test_comments(void **state)
{
	(void)state;
	reject("{\"a\":1 /* c */}", 0, "");
	reject("// c\n{}", 0, "");
	reject("{} // c", 0, "");
	reject("[1, /* two */ 2]", 0, "");
	reject("# c\n{}", 0, "");
}

static void
test_duplicate_keys(void **state)
{
	char	*s, *p;
	size_t	 i;

	(void)state;
	reject("{\"a\":1,\"a\":2}", 0, "duplicate key");
	reject("{\"a\":1,\"b\":2,\"a\":1}", 0, "duplicate key");
	/* Nested. */
	reject("{\"x\":{\"a\":1,\"a\":2}}", 0, "duplicate key");
	reject("[{\"a\":1},{\"b\":1,\"b\":1}]", 0, "duplicate key");
	reject("{\"x\":{\"y\":{}},\"x\":1}", 0, "duplicate key");
	/* After a nested object closes, its keys do not leak upward. */
	accept("{\"x\":{\"a\":1},\"a\":2}", 0);
	/* Keys are compared decoded. */
	reject("{\"a\":1,\"\\u0061\":2}", 0, "duplicate key");
	reject("{\"\":1,\"\":2}", 0, "duplicate key");

	/* Up to 256 keys per object are tracked; more are refused. */
	s = malloc(300 * 16);
	assert_non_null(s);
	for (size_t n = 256; n <= 257; n++) {
		p = s;
		*p++ = '{';
		for (i = 0; i < n; i++)
			p += snprintf(p, 16, "%s\"k%zu\":%zu", i ? "," : "",
			    i, i);
		*p++ = '}';
		*p = '\0';
		if (n == 256)
			accept(s, 0);
		else
			reject(s, 0, "too many keys in one object");
	}
	free(s);
}

static void
test_nul_escapes(void **state)
{
	(void)state;
	reject("\"a\\u0000b\"", 0, "NUL character in string");
	reject("{\"k\":\"\\u0000\"}", 0, "NUL character in string");
	reject("[\"ok\",\"x\\u0000\"]", 0, "NUL character in string");
	reject("{\"a\\u0000b\":1}", 0, "NUL character in string");
	reject("{\"\\u0000\":1}", 0, "NUL character in string");
	/* A raw NUL byte is not JSON at all. */
	{
		static const char raw[] = "{\"a\":\"x\0y\"}";
		char err[128];

		assert_null(json_parse(raw, sizeof(raw) - 1, MAXLEN, 0, err,
		    sizeof(err)));
		assert_null(json_parse("{}\0", 3, MAXLEN, 0, err,
		    sizeof(err)));
	}
	/* Other escapes are fine. */
	accept("\"\\u0001\"", 0);
}

static void
test_trailing_garbage(void **state)
{
	(void)state;
	reject("{} x", 0, "");
	reject("{}{}", 0, "");
	reject("1 2", 0, "");
	reject("[1]]", 0, "");
	reject("{\"a\":1},", 0, "");
	/* And truncated or empty input. */
	reject("", 0, "");
	reject("   ", 0, "");
	reject("{\"a\":", 0, "");
	reject("[1,2", 0, "");
	reject("{\"a\":1,}", 0, "");
	reject("[01]", 0, "");
	reject("'a'", 0, "");
}

static void
test_maxlen(void **state)
{
	static const char doc[] = "{\"a\":\"0123456789\"}";
	yajl_val	v;
	char		err[128];
	size_t		len = sizeof(doc) - 1;

	(void)state;
	v = json_parse(doc, len, len, 0, err, sizeof(err));
	assert_non_null(v);
	yajl_tree_free(v);
	v = json_parse(doc, len, len - 1, 0, err, sizeof(err));
	assert_null(v);
	assert_string_equal(err, "document too large");
	v = json_parse(doc, len, 0, 0, err, sizeof(err));
	assert_null(v);
	assert_string_equal(err, "document too large");
	/* A NULL error buffer is allowed. */
	assert_null(json_parse(doc, len, 1, 0, NULL, 0));
	assert_null(json_parse("{", 1, 10, 0, NULL, 0));
}

static void
test_getters(void **state)
{
	static const char doc[] =
	    "{\"i\":42,\"neg\":-7,\"f\":1.5,\"s\":\"str\",\"t\":true,"
	    "\"fa\":false,\"n\":null,\"o\":{\"i\":1},\"a\":[1],"
	    "\"big\":99999999999999999999999,\"si\":\"42\"}";
	yajl_val	 v, arr;
	char		 err[128];
	long long	 n;
	int		 b;

	(void)state;
	v = parse(doc, err, sizeof(err));
	assert_non_null(v);

	n = 0;
	assert_int_equal(json_get_int(v, "i", &n), 0);
	assert_int_equal(n, 42);
	assert_int_equal(json_get_int(v, "neg", &n), 0);
	assert_true(n == -7);
	n = 5;
	assert_int_equal(json_get_int(v, "f", &n), -1);
	assert_int_equal(json_get_int(v, "s", &n), -1);
	assert_int_equal(json_get_int(v, "si", &n), -1);
	assert_int_equal(json_get_int(v, "t", &n), -1);
	assert_int_equal(json_get_int(v, "n", &n), -1);
	assert_int_equal(json_get_int(v, "big", &n), -1);
	assert_int_equal(json_get_int(v, "missing", &n), -1);
	assert_int_equal(n, 5);

	assert_string_equal(json_get_str(v, "s"), "str");
	assert_string_equal(json_get_str(v, "si"), "42");
	assert_null(json_get_str(v, "i"));
	assert_null(json_get_str(v, "n"));
	assert_null(json_get_str(v, "o"));
	assert_null(json_get_str(v, "missing"));

	b = 9;
	assert_int_equal(json_get_bool(v, "t", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(json_get_bool(v, "fa", &b), 0);
	assert_int_equal(b, 0);
	b = 9;
	assert_int_equal(json_get_bool(v, "i", &b), -1);
	assert_int_equal(json_get_bool(v, "n", &b), -1);
	assert_int_equal(json_get_bool(v, "s", &b), -1);
	assert_int_equal(json_get_bool(v, "missing", &b), -1);
	assert_int_equal(b, 9);

	/* Nested objects, and lookups on things that are not objects. */
	assert_int_equal(json_get_int(json_get(v, "o"), "i", &n), 0);
	assert_int_equal(n, 1);
	arr = json_get(v, "a");
	assert_non_null(arr);
	assert_true(YAJL_IS_ARRAY(arr));
	assert_null(json_get(arr, "i"));
	assert_null(json_get(NULL, "i"));
	assert_int_equal(json_get_int(NULL, "i", &n), -1);
	assert_null(json_get_str(arr, "s"));
	assert_int_equal(json_get_bool(arr, "t", &b), -1);
	yajl_tree_free(v);
}

static void
test_only_keys(void **state)
{
	static const char *const allowed[] = { "key", "value", "ttl", NULL };
	static const char *const none[] = { NULL };
	yajl_val	 v;
	const char	*bad = "unset";
	char		 err[128];

	(void)state;
	v = parse("{\"key\":\"k\",\"ttl\":3}", err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_only_keys(v, allowed, &bad), 0);
	assert_null(bad);
	assert_int_equal(json_only_keys(v, none, &bad), -1);
	assert_string_equal(bad, "key");
	yajl_tree_free(v);

	v = parse("{\"key\":\"k\",\"extra\":1,\"value\":2}", err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_only_keys(v, allowed, &bad), -1);
	assert_string_equal(bad, "extra");
	yajl_tree_free(v);

	/* Exact names only: no prefixes, no case folding. */
	v = parse("{\"Key\":1}", err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_only_keys(v, allowed, &bad), -1);
	assert_string_equal(bad, "Key");
	yajl_tree_free(v);
	v = parse("{\"ke\":1}", err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(json_only_keys(v, allowed, &bad), -1);
	assert_string_equal(bad, "ke");
	yajl_tree_free(v);

	/* Empty object is fine; non-objects are not. */
	v = parse("{}", err, sizeof(err));
	assert_int_equal(json_only_keys(v, none, &bad), 0);
	yajl_tree_free(v);
	v = parse("[\"key\"]", err, sizeof(err));
	bad = "unset";
	assert_int_equal(json_only_keys(v, allowed, &bad), -1);
	assert_null(bad);
	yajl_tree_free(v);
	assert_int_equal(json_only_keys(NULL, allowed, &bad), -1);
}

static void
test_gen_roundtrip(void **state)
{
	const unsigned char	*out;
	yajl_gen		 g;
	yajl_val		 v;
	size_t			 len;
	long long		 n;
	char			 err[128];

	(void)state;
	g = json_gen_new();
	assert_non_null(g);
	assert_int_equal(yajl_gen_map_open(g), yajl_gen_status_ok);
	json_gen_kv_str(g, "name", "caf\xc3\xa9 \"q\"\n");
	json_gen_kv_int(g, "n", -123456789012LL);
	json_gen_cstr(g, "list");
	assert_int_equal(yajl_gen_array_open(g), yajl_gen_status_ok);
	json_gen_cstr(g, "x");
	assert_int_equal(yajl_gen_array_close(g), yajl_gen_status_ok);
	assert_int_equal(yajl_gen_map_close(g), yajl_gen_status_ok);
	assert_int_equal(yajl_gen_get_buf(g, &out, &len), yajl_gen_status_ok);

	v = json_parse(out, len, MAXLEN, 0, err, sizeof(err));
	assert_non_null(v);
	assert_string_equal(json_get_str(v, "name"), "caf\xc3\xa9 \"q\"\n");
	assert_int_equal(json_get_int(v, "n", &n), 0);
	assert_true(n == -123456789012LL);
	assert_true(YAJL_IS_ARRAY(json_get(v, "list")));
	yajl_tree_free(v);
	yajl_gen_free(g);

	/* Invalid UTF-8 is refused by the generator. */
	g = json_gen_new();
	assert_non_null(g);
	assert_int_equal(yajl_gen_string(g, (const unsigned char *)"\xff", 1),
	    yajl_gen_invalid_string);
	yajl_gen_free(g);
}

/* A producer that guarantees unique keys lifts the per-object key cap. */
static void
test_keys_unique_flag(void **state)
{
	char		*doc, err[128];
	size_t		 n = 0, i;
	yajl_val	 v;

	(void)state;
	doc = malloc(400 * 16 + 4);
	assert_non_null(doc);
	doc[n++] = '{';
	for (i = 0; i < 400; i++)
		n += (size_t)snprintf(doc + n, 16, "%s\"k%zu\":1",
		    i > 0 ? "," : "", i);
	doc[n++] = '}';
	assert_null(json_parse(doc, n, n, 4, err, sizeof(err)));
	assert_string_equal(err, "too many keys in one object");
	v = json_parse_flags(doc, n, n, 4, JSON_F_KEYS_UNIQUE, err,
	    sizeof(err));
	assert_non_null(v);
	assert_int_equal(v->u.object.len, 400);
	yajl_tree_free(v);
	/* Everything else is still checked. */
	assert_null(json_parse_flags("{\"a\":\"\\u0000\"}", 13, 100, 4,
	    JSON_F_KEYS_UNIQUE, err, sizeof(err)));
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_nul_escapes),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_maxlen),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_only_keys),
		cmocka_unit_test(test_gen_roundtrip),
		cmocka_unit_test(test_keys_unique_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
