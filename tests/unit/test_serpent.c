/*
 * test_serpent.c - unit tests for the nameserver's serpent reader
 * (services/nameserver/parse_serpent.c) and its writers
 * (services/nameserver/serpent.c): every file of the shared vectors' serpent/
 * parses and, where the value is representable, writes back byte for
 * byte; values are what Python receives; every kind of malformed input is
 * refused with the right error; the caps (depth, nodes, digits, length,
 * arena) hold; repr() and json.dumps() layouts match Python's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serpent.h"
#include "util.h"

/* The captured vectors live in the project's shared directory
 * (../shared/vectors beside the repository; MUPIF_VECTORS overrides). */
static const char *
vec(void)
{
	static char	 buf[512];
	const char	*v = getenv("MUPIF_VECTORS");

	(void)snprintf(buf, sizeof(buf), "%s/serpent",
	    v != NULL ? v : "../shared/vectors");
	return buf;
}

static char *
slurp(const char *path, size_t *len)
{
	char *buf;

	/* util_read_file: bounded, NUL-terminated. */
	if (util_read_file(path, 64 * 1024 * 1024, &buf, len) == -1)
		fail_msg("cannot read %s (run from the repository top)", path);
	return buf;
}

/* Parse s (a C string) with the default limits; the root or NULL. */
static struct sval *
parse(struct sv_arena *a, const char *s, int *rc)
{
	struct sval	*v;
	char		 err[256];

	*rc = serpent_parse(s, strlen(s), NULL, a, &v, err, sizeof(err), NULL);
	return v;
}

static void
expect_write(const struct sval *v, const char *want)
{
	struct sbuf b;

	sbuf_init(&b, 1 << 20);
	assert_int_equal(serpent_write(&b, v, 0), 0);
	if (b.len != strlen(want) || memcmp(b.p, want, b.len) != 0)
		fail_msg("wrote \"%.*s\", want \"%s\"", (int)b.len, b.p, want);
	sbuf_free(&b);
}

/* Parse in, write it back compactly, compare with out. */
static void
rewrite(const char *in, const char *out)
{
	struct sv_arena	 a;
	struct sval	*v;
	int		 rc;

	sv_arena_init(&a, 1 << 24);
	v = parse(&a, in, &rc);
	if (rc != 0)
		fail_msg("rejected (%d): %s", rc, in);
	expect_write(v, out);
	sv_arena_reset(&a);
}

static void
reject(const char *in, int want)
{
	struct sv_arena	 a;
	struct sval	*v;
	int		 rc;

	sv_arena_init(&a, 1 << 24);
	v = parse(&a, in, &rc);
	if (rc != want)
		fail_msg("\"%s\": got %d, want %d", in, rc, want);
	assert_null(v);
	sv_arena_reset(&a);
}

/* Files whose value serpent writes differently from how it read. */
static const char *const not_representable[] = {
	"bytes.serpent",	/* base64 dict from Python's dict repr */
	"bytearray.serpent",
	"bytes-repr.serpent",	/* b'' literal reads as bytes */
	"indent-dict.serpent",	/* indented layout */
	NULL
};

static void
test_vectors_roundtrip(void **state)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[512], err[256];
	int		 n = 0, same = 0;

	(void)state;
	if ((d = opendir(vec())) == NULL)
		fail_msg("cannot open %s", vec());
	while ((de = readdir(d)) != NULL) {
		struct sv_arena	 a;
		struct sval	*v;
		struct sbuf	 b;
		size_t		 len, i;
		char		*text;
		int		 skip = 0;

		if (strstr(de->d_name, ".serpent") == NULL)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", vec(), de->d_name);
		text = slurp(path, &len);
		sv_arena_init(&a, 1 << 24);
		if (serpent_parse(text, len, NULL, &a, &v, err, sizeof(err),
		    NULL) != 0)
			fail_msg("%s: %s", de->d_name, err);
		n++;
		for (i = 0; not_representable[i] != NULL; i++)
			if (strcmp(de->d_name, not_representable[i]) == 0)
				skip = 1;
		if (!skip) {
			sbuf_init(&b, 1 << 20);
			assert_int_equal(serpent_write(&b, v, 1), 0);
			if (b.len != len || memcmp(b.p, text, len) != 0)
				fail_msg("%s: wrote back\n%.*s\ninstead of\n%s",
				    de->d_name, (int)b.len, b.p, text);
			sbuf_free(&b);
			same++;
		}
		sv_arena_reset(&a);
		free(text);
	}
	closedir(d);
	assert_true(n >= 46);
	assert_int_equal(same, n - 4);
}

static struct sval *
parse_file(struct sv_arena *a, const char *name)
{
	char		 path[512], err[256], *text;
	size_t		 len;
	struct sval	*v;

	(void)snprintf(path, sizeof(path), "%s/%s", vec(), name);
	text = slurp(path, &len);
	if (serpent_parse(text, len, NULL, a, &v, err, sizeof(err), NULL) != 0)
		fail_msg("%s: %s", name, err);
	free(text);
	return v;
}

static void
test_vector_values(void **state)
{
	struct sv_arena	 a;
	struct sval	*v, *w;

	(void)state;
	sv_arena_init(&a, 1 << 24);
	v = parse_file(&a, "int-big.serpent");
	assert_int_equal(v->type, SV_BIGINT);
	assert_memory_equal(v->u.s.p, "1180591620717411303424", 22);
	v = parse_file(&a, "int-bigneg.serpent");
	assert_int_equal(v->type, SV_BIGINT);
	assert_memory_equal(v->u.s.p, "-18446744073709551616", 21);
	v = parse_file(&a, "int-neg.serpent");
	assert_int_equal(v->type, SV_INT);
	assert_int_equal(v->u.i, -42);
	v = parse_file(&a, "float-inf.serpent");
	assert_true(v->type == SV_FLOAT && isinf(v->u.f) && v->u.f > 0);
	v = parse_file(&a, "float-neginf.serpent");
	assert_true(v->type == SV_FLOAT && isinf(v->u.f) && v->u.f < 0);
	v = parse_file(&a, "float-nan.serpent");
	assert_int_equal(v->type, SV_DICT);
	assert_true(sv_is_str(sv_dict_get(v, "value"), "nan"));
	v = parse_file(&a, "complex.serpent");
	assert_int_equal(v->type, SV_COMPLEX);
	assert_true(v->u.c.re == 1.5 && v->u.c.im == -2.0);
	v = parse_file(&a, "str-nul.serpent");
	assert_int_equal(v->type, SV_STR);
	assert_int_equal(v->u.s.len, 3);
	assert_memory_equal(v->u.s.p, "a\0b", 3);
	v = parse_file(&a, "str-unicode.serpent");
	assert_true(sv_is_str(v, "\xc4\x8d" "esk\xc3\xa9 \xe6\x97\xa5\xe6\x9c"
	    "\xac \xf0\x9f\x98\x80"));
	v = parse_file(&a, "str-escapes.serpent");
	assert_true(sv_is_str(v, "tab\tnl\ncr\rbs\\bell\adel\x7f"));
	v = parse_file(&a, "set-empty.serpent");
	assert_true(v->type == SV_TUPLE && v->n == 0);
	v = parse_file(&a, "frozenset.serpent");
	assert_true(v->type == SV_SET && v->n == 1);
	v = parse_file(&a, "tuple-one.serpent");
	assert_true(v->type == SV_TUPLE && v->n == 1);
	v = parse_file(&a, "bytes-repr.serpent");
	assert_int_equal(v->type, SV_BYTES);
	assert_int_equal(v->u.s.len, 9);
	assert_memory_equal(v->u.s.p, "\x00\x01" "binary\xff", 9);
	expect_write(v, "{'data': 'AAFiaW5hcnn/', 'encoding': 'base64'}");
	v = parse_file(&a, "bytes.serpent");
	assert_int_equal(v->type, SV_DICT);
	assert_true(sv_is_str(sv_dict_get(v, "data"), "AAFiaW5hcnn/"));
	v = parse_file(&a, "indent-dict.serpent");
	w = parse(&a, "{'a':{'x','y'},'b':[1,2]}", &(int){ 0 });
	assert_true(sv_equal(v, w));
	v = parse_file(&a, "nested-call.serpent");
	assert_true(v->type == SV_TUPLE && v->n == 4);
	assert_true(sv_is_str(v->u.l.first, "Pyro.NameServer"));
	assert_int_equal(v->u.l.last->type, SV_DICT);
	v = parse_file(&a, "dict-intkeys.serpent");
	assert_int_equal(v->n, 3);
	assert_int_equal(v->u.l.first->type, SV_INT);
	sv_arena_reset(&a);
}

static void
test_accept(void **state)
{
	(void)state;
	/* Layout: comments, blank lines, newlines inside brackets,
	 * trailing commas, continuation lines. */
	rewrite("# a\n\n  # b\n[1,\n 2 , # c\n 3,]\n# end\n", "[1,2,3]");
	rewrite("(1 ,\n)", "(1,)");
	rewrite("{ 'a' : 1 , }", "{'a':1}");
	rewrite("{ 'a' , }", "{'a'}");
	rewrite("1 \\\n", "1");
	rewrite("[1 \\\n ,2]", "[1,2]");
	rewrite("set()", "()");
	rewrite("set ( )", "()");
	rewrite("((1))", "1");
	rewrite("((1,),)", "((1,),)");
	/* Numbers. */
	rewrite("1_000", "1000");
	rewrite("0x_1f", "31");
	rewrite("0o17", "15");
	rewrite("0b101", "5");
	rewrite("0XFF", "255");
	rewrite("00", "0");
	rewrite("0_0", "0");
	rewrite("-0", "0");
	rewrite(".5", "0.5");
	rewrite("5.", "5.0");
	rewrite("1e5", "100000.0");
	rewrite("1E-5", "1e-05");
	rewrite("1_0.5e1_0", "105000000000.0");
	rewrite("01.5", "1.5");
	rewrite("01e1", "10.0");
	rewrite("1e400", "1e30000");
	rewrite("-1e400", "-1e30000");
	rewrite("1e-400", "0.0");
	rewrite("-9223372036854775808", "-9223372036854775808");
	rewrite("9223372036854775807", "9223372036854775807");
	rewrite("9223372036854775808", "9223372036854775808");
	rewrite("-9223372036854775809", "-9223372036854775809");
	rewrite("0x8000000000000000", "9223372036854775808");
	rewrite("0x0000000000000000000001", "1");
	rewrite("-0x10", "-16");
	rewrite("+5", "5");
	rewrite("-(1)", "-1");
	rewrite("2j", "(0.0+2.0j)");
	rewrite("-2j", "(-0.0-2.0j)");
	rewrite("1+2j", "(1.0+2.0j)");
	rewrite("1-2j", "(1.0-2.0j)");
	rewrite("(-1)+2j", "(-1.0+2.0j)");
	rewrite("(1)+(2j)", "(1.0+2.0j)");
	rewrite("1.5-0.0j", "(1.5+0.0j)");
	rewrite("01j", "(0.0+1.0j)");
	/* Strings. */
	rewrite("\"it's\"", "\"it's\"");
	rewrite("'a' \"b\"\n", "'ab'");
	rewrite("('a'\n 'b')", "'ab'");
	rewrite("'''x\ny'''", "'x\\ny'");
	rewrite("\"\"\"x\r\ny\"\"\"", "'x\\ny'");
	rewrite("r'\\d\\''", "\"\\\\d\\\\'\"");
	rewrite("R'a\\\nb'", "'a\\\\\\nb'");
	rewrite("u'x'", "'x'");
	rewrite("U'x'", "'x'");
	rewrite("'a\\\nb'", "'ab'");
	rewrite("'\\a\\b\\f\\v\\0\\101\\x41\\u00e9\\U0001F600'",
	    "'\\x07\\x08\\x0c\\x0b\\x00AA\xc3\xa9\xf0\x9f\x98\x80'");
	rewrite("'\\q'", "'\\\\q'");
	rewrite("'\\777'", "'\xc7\xbf'");
	rewrite("b'\\x00\\xff'", "{'data': 'AP8=', 'encoding': 'base64'}");
	rewrite("rb'\\x'", "{'data': 'XHg=', 'encoding': 'base64'}");
	rewrite("Br'a'", "{'data': 'YQ==', 'encoding': 'base64'}");
	rewrite("b'a' b'b'", "{'data': 'YWI=', 'encoding': 'base64'}");
	rewrite("b'\\u1234'", "{'data': 'XHUxMjM0', 'encoding': 'base64'}");
	/* Hashable keys: tuples of scalars, numbers, None. */
	rewrite("{(1,'a'):None,None:1,1.5:2,True:3}",
	    "{(1,'a'):None,None:1,1.5:2,True:3}");
	rewrite("{(1,(2,3))}", "{(1,(2,3))}");
}

static void
test_reject(void **state)
{
	char	*deep, *big;
	size_t	 i;

	(void)state;
	reject("", SERPENT_E_SYNTAX);
	reject("# only a comment\n", SERPENT_E_SYNTAX);
	reject("1 2", SERPENT_E_SYNTAX);
	reject("1, 2", SERPENT_E_SYNTAX);	/* bare tuple */
	reject("foo", SERPENT_E_SYNTAX);
	reject("none", SERPENT_E_SYNTAX);
	reject("f'x'", SERPENT_E_SYNTAX);
	reject("print('x')", SERPENT_E_SYNTAX);
	reject("set(1)", SERPENT_E_SYNTAX);
	reject("'abc", SERPENT_E_SYNTAX);
	reject("'''abc''", SERPENT_E_SYNTAX);
	reject("'a\nb'", SERPENT_E_SYNTAX);
	reject("r'\\'", SERPENT_E_SYNTAX);
	reject("[1,2", SERPENT_E_SYNTAX);
	reject("[1,,2]", SERPENT_E_SYNTAX);
	reject("[,]", SERPENT_E_SYNTAX);
	reject("(,)", SERPENT_E_SYNTAX);
	reject("{1:2", SERPENT_E_SYNTAX);
	reject("{1:2,3}", SERPENT_E_SYNTAX);
	reject("{1,2:3}", SERPENT_E_SYNTAX);
	reject("{**a}", SERPENT_E_SYNTAX);
	reject("{[1]:2}", SERPENT_E_VALUE);
	reject("{[1]}", SERPENT_E_VALUE);
	reject("{(1,[2])}", SERPENT_E_VALUE);
	reject("{{}:1}", SERPENT_E_VALUE);
	reject("--1", SERPENT_E_SYNTAX);
	reject("-'a'", SERPENT_E_SYNTAX);
	reject("-True", SERPENT_E_SYNTAX);
	reject("-(1,)", SERPENT_E_SYNTAX);
	reject("1+2", SERPENT_E_SYNTAX);
	reject("2j+1", SERPENT_E_SYNTAX);
	reject("1+-2j", SERPENT_E_SYNTAX);
	reject("(1+2j)+3j", SERPENT_E_SYNTAX);
	reject("1+2j+3j", SERPENT_E_SYNTAX);
	reject("True+1j", SERPENT_E_SYNTAX);
	reject("'a'+'b'", SERPENT_E_SYNTAX);
	reject("1*2", SERPENT_E_SYNTAX);
	reject("-\n1", SERPENT_E_SYNTAX);	/* newline outside brackets */
	reject("1\n+2j", SERPENT_E_SYNTAX);
	reject("1__0", SERPENT_E_SYNTAX);
	reject("1_", SERPENT_E_SYNTAX);
	reject("_1", SERPENT_E_SYNTAX);
	reject("0x", SERPENT_E_SYNTAX);
	reject("0b2", SERPENT_E_SYNTAX);
	reject("0o8", SERPENT_E_SYNTAX);
	reject("01", SERPENT_E_SYNTAX);
	reject("0_1", SERPENT_E_SYNTAX);
	reject("1e", SERPENT_E_SYNTAX);
	reject("1e+", SERPENT_E_SYNTAX);
	reject("1._5", SERPENT_E_SYNTAX);
	reject("1.2.3", SERPENT_E_SYNTAX);
	reject("1if", SERPENT_E_SYNTAX);
	reject("0x1fj", SERPENT_E_SYNTAX);
	reject("'\\x4'", SERPENT_E_SYNTAX);
	reject("'\\u12'", SERPENT_E_SYNTAX);
	reject("'\\U00110000'", SERPENT_E_SYNTAX);
	reject("'\\N{EN DASH}'", SERPENT_E_VALUE);
	reject("'\\ud800'", SERPENT_E_VALUE);
	reject("b'\\777'", SERPENT_E_VALUE);
	reject("b'\xc3\xa9'", SERPENT_E_SYNTAX);
	reject("'a' b'b'", SERPENT_E_SYNTAX);
	reject("ub'x'", SERPENT_E_SYNTAX);
	reject("rr'x'", SERPENT_E_SYNTAX);
	reject("x'a'", SERPENT_E_SYNTAX);
	reject("'\xff'", SERPENT_E_UTF8);
	reject("'\xc0\x80'", SERPENT_E_UTF8);	/* overlong */
	reject("'\xed\xa0\x80'", SERPENT_E_UTF8);	/* surrogate */
	reject("'\xf4\x90\x80\x80'", SERPENT_E_UTF8);	/* > U+10FFFF */
	reject("\xc3\xa9", SERPENT_E_SYNTAX);	/* a non-ASCII name */
	{
		/* A raw NUL byte anywhere. */
		struct sv_arena	 a;
		struct sval	*v;

		sv_arena_init(&a, 1 << 20);
		assert_int_equal(serpent_parse("'a\0b'", 5, NULL, &a, &v, NULL,
		    0, NULL), SERPENT_E_NUL);
		sv_arena_reset(&a);
	}
	/* Nesting: 64 levels pass, 65 do not. */
	deep = malloc(300);
	assert_non_null(deep);
	for (i = 0; i < 64; i++)
		deep[i] = '[';
	for (; i < 128; i++)
		deep[i] = ']';
	deep[i] = '\0';
	rewrite(deep, deep);
	for (i = 0; i < 65; i++)
		deep[i] = '[';
	for (; i < 130; i++)
		deep[i] = ']';
	deep[i] = '\0';
	reject(deep, SERPENT_E_DEPTH);
	for (i = 0; i < 65; i++)
		deep[i] = '-';
	deep[i++] = '1';
	deep[i] = '\0';
	reject(deep, SERPENT_E_SYNTAX);
	free(deep);
	/* 4300 digits pass (Python's limit), 4301 do not. */
	big = malloc(5000);
	assert_non_null(big);
	memset(big, '7', 4300);
	big[4300] = '\0';
	rewrite(big, big);
	memset(big, '7', 4301);
	big[4301] = '\0';
	reject(big, SERPENT_E_SIZE);
	/* A hex integer of more than 1024 bits. */
	big[0] = '0';
	big[1] = 'x';
	memset(big + 2, 'f', 300);
	big[302] = '\0';
	reject(big, SERPENT_E_SIZE);
	free(big);
}

static void
test_limits(void **state)
{
	struct serpent_limits	 lim = { 16, 8, 4 };
	struct sv_arena		 a;
	struct sval		*v;

	(void)state;
	sv_arena_init(&a, 1 << 20);
	assert_int_equal(serpent_parse("[1,2,3]", 7, &lim, &a, &v, NULL, 0,
	    NULL), SERPENT_OK);
	assert_int_equal(serpent_parse("[1,2,3,4]", 9, &lim, &a, &v, NULL, 0,
	    NULL), SERPENT_E_SIZE);	/* 5 nodes */
	assert_int_equal(serpent_parse("'0123456789abcdef'", 18, &lim, &a, &v,
	    NULL, 0, NULL), SERPENT_E_SIZE);	/* 18 bytes */
	sv_arena_reset(&a);
	/* Allocation failure: an arena too small for the value. */
	sv_arena_init(&a, 64);
	assert_int_equal(serpent_parse("[1,2,3,4,5,6,7,8]", 17, NULL, &a, &v,
	    NULL, 0, NULL), SERPENT_E_NOMEM);
	assert_null(v);
	sv_arena_reset(&a);
	sv_arena_init(&a, 256);
	{
		char long_str[300];

		memset(long_str, 'a', sizeof(long_str));
		long_str[0] = long_str[sizeof(long_str) - 1] = '\'';
		/* The string buffer is capped by the arena's size. */
		assert_int_equal(serpent_parse(long_str, sizeof(long_str),
		    NULL, &a, &v, NULL, 0, NULL), SERPENT_E_SIZE);
	}
	sv_arena_reset(&a);
}

static void
test_error_offset(void **state)
{
	struct sv_arena	 a;
	struct sval	*v;
	char		 err[128];
	size_t		 off = 0;

	(void)state;
	sv_arena_init(&a, 1 << 20);
	assert_int_equal(serpent_parse("[1, 2, ?]", 9, NULL, &a, &v, err,
	    sizeof(err), &off), SERPENT_E_SYNTAX);
	assert_int_equal(off, 7);
	assert_non_null(strstr(err, "offset 7"));
	sv_arena_reset(&a);
}

static void
test_repr(void **state)
{
	static const struct {
		double		 d;
		const char	*s;
	} floats[] = {
		{ 0.0, "0.0" }, { -0.0, "-0.0" }, { 1.5, "1.5" },
		{ 3.0, "3.0" }, { 0.1, "0.1" }, { 1e16, "1e+16" },
		{ 1e15, "1000000000000000.0" }, { 1e-4, "0.0001" },
		{ 1e-5, "1e-05" }, { 2.5e-10, "2.5e-10" },
		{ 123456789012345678.0, "1.2345678901234568e+17" },
		{ 5e-324, "5e-324" }, { 1.7976931348623157e308,
		    "1.7976931348623157e+308" }, { 100.0, "100.0" },
		{ 1234567890123456.0, "1234567890123456.0" },
		{ 0.30000000000000004, "0.30000000000000004" },
	};
	struct sbuf	b;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		sbuf_init(&b, 128);
		sv_repr_float(&b, floats[i].d);
		if (b.len != strlen(floats[i].s) ||
		    memcmp(b.p, floats[i].s, b.len) != 0)
			fail_msg("repr(%.17g) = %.*s, want %s", floats[i].d,
			    (int)b.len, b.p, floats[i].s);
		sbuf_free(&b);
	}
	/* Quote choice and escapes, as Python's str.__repr__. */
	rewrite("'it\\'s'", "\"it's\"");
	rewrite("'say \"hi\"'", "'say \"hi\"'");
	rewrite("'it\\'s \"x\"'", "'it\\'s \"x\"'");
	rewrite("'\\x00\\x1f\\x7f\\x80\\xa0\\xad'",
	    "'\\x00\\x1f\\x7f\\x80\\xa0\\xad'");
	rewrite("'\\u200b\\u2028\\ue000\\ufeff\\U000e0001'",
	    "'\\u200b\\u2028\\ue000\\ufeff\\U000e0001'");
	rewrite("'\\xe9\\u0394\\U0001f600 '", "'\xc3\xa9\xce\x94\xf0\x9f\x98"
	    "\x80 '");
	assert_int_equal(uni_isprintable(0xa0), 0);
	assert_int_equal(uni_isprintable(0xe9), 1);
	assert_int_equal(uni_isprintable(0x200b), 0);
	assert_int_equal(uni_isprintable(0x1f600), 1);
	assert_int_equal(uni_isprintable(0x10ffff), 0);
	assert_int_equal(uni_isprintable(0x378), 0);	/* unassigned */
	assert_int_equal(uni_isspace(0x3000), 1);
	assert_int_equal(uni_isspace(0x200b), 0);
}

static void
test_writer_shapes(void **state)
{
	struct sv_arena	 a;
	struct sval	*t, *s, *d, *x;
	struct sbuf	 b;

	(void)state;
	sv_arena_init(&a, 1 << 20);
	/* Empty set is "()", tuple of one has its comma. */
	s = sv_new(&a, SV_SET);
	expect_write(s, "()");
	x = sv_cstr(&a, "type:scheduler");
	sv_append(s, x);
	expect_write(s, "{'type:scheduler'}");
	t = sv_new(&a, SV_TUPLE);
	sv_append(t, sv_int(&a, 1));
	expect_write(t, "(1,)");
	d = sv_new(&a, SV_DICT);
	assert_int_equal(sv_dict_set(&a, d, "k", t), 0);
	assert_int_equal(sv_dict_set(&a, d, "s", s), 0);
	expect_write(d, "{'k':(1,),'s':{'type:scheduler'}}");
	/* The same in JSON, as json.dumps writes it. */
	sbuf_init(&b, 1024);
	assert_int_equal(pyjson_write(&b, d), 0);
	assert_int_equal(b.len, strlen("{\"k\": [1], \"s\": [\"type:scheduler\"]}"));
	assert_memory_equal(b.p, "{\"k\": [1], \"s\": [\"type:scheduler\"]}",
	    b.len);
	sbuf_free(&b);
	/* Header line. */
	sbuf_init(&b, 1024);
	assert_int_equal(serpent_write(&b, sv_new(&a, SV_NONE), 1), 0);
	assert_int_equal(b.len, strlen(SERPENT_HEADER "None"));
	assert_memory_equal(b.p, SERPENT_HEADER "None", b.len);
	sbuf_free(&b);
	/* Output cap: the writer fails instead of growing. */
	sbuf_init(&b, 8);
	assert_int_equal(serpent_write(&b, d, 0), -1);
	sbuf_free(&b);
	sv_arena_reset(&a);
}

static void
json_expect(const char *serpent, const char *json)
{
	struct sv_arena	 a;
	struct sval	*v;
	struct sbuf	 b;
	int		 rc;

	sv_arena_init(&a, 1 << 20);
	v = parse(&a, serpent, &rc);
	assert_int_equal(rc, 0);
	sbuf_init(&b, 1 << 20);
	if (json == NULL)
		assert_int_equal(pyjson_write(&b, v), -1);
	else {
		assert_int_equal(pyjson_write(&b, v), 0);
		if (b.len != strlen(json) || memcmp(b.p, json, b.len) != 0)
			fail_msg("json %.*s, want %s", (int)b.len, b.p, json);
	}
	sbuf_free(&b);
	sv_arena_reset(&a);
}

static void
test_json_writer(void **state)
{
	(void)state;
	json_expect("None", "null");
	json_expect("[True,False,1,-2,1.5]", "[true, false, 1, -2, 1.5]");
	json_expect("'a\"b\\\\c\\n\\r\\t\\x08\\x0c\\x01\\x7f\xc3\xa9'",
	    "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\x7f\xc3\xa9\"");
	json_expect("1e400", "Infinity");
	json_expect("{1:2,None:3,True:4}", "{\"1\": 2, \"null\": 3, "
	    "\"true\": 4}");
	json_expect("99999999999999999999", "99999999999999999999");
	json_expect("b'x'", NULL);
	json_expect("1j", NULL);
	json_expect("{(1,2):3}", NULL);
}

static void
test_utf8(void **state)
{
	uint32_t	cp;
	char		o[4];

	(void)state;
	assert_int_equal(utf8_decode((const uint8_t *)"\xe2\x82\xac", 3, &cp),
	    3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8_decode((const uint8_t *)"\xe2\x82", 2, &cp), 0);
	assert_int_equal(utf8_encode(0x1f600, o), 4);
	assert_memory_equal(o, "\xf0\x9f\x98\x80", 4);
	assert_true(utf8_valid("abc\xc3\xa9", 5));
	assert_false(utf8_valid("\xe0\x80\x80", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_roundtrip),
		cmocka_unit_test(test_vector_values),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_error_offset),
		cmocka_unit_test(test_repr),
		cmocka_unit_test(test_writer_shapes),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
