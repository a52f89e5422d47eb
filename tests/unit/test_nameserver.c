/*
 * test_nameserver.c - unit tests for the nameserver service below its
 * event loop: the Pyro5 header, annotations and zlib
 * (services/nameserver/parse_pyro.c), URIs, the regular expressions
 * (parse_regex.c), the SQL store against the real pyro5-ns file
 * (ns_store.c), and the protocol engine with the two objects behind it
 * (ns_proto.c, ns_methods.c): every recorded exchange of
 * the shared vectors' pyro5/ exchanges replay byte for byte except the variable bytes,
 * every malformed message receives what the Python daemon gives, and the
 * nameserver's semantics, error classes and fixes of pyro5-ns's bugs hold.
 * The same for Pyro4 (parse_pyro4.c, ns_proto4.c, the Pyro4 dialect of
 * ns_methods.c): the vectors' pyro4/ streams and cross-version/ files
 * replay, malformed and HMAC-signed messages get what a keyless
 * Pyro4.naming gives, and a Pyro4 client sees Pyro4.naming's methods.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <zlib.h>

#include "nameserver.h"
#include "nsregex.h"

/* The captured vectors live in the project's shared directory
 * (../shared/vectors beside the repository; MUPIF_VECTORS overrides). */
static const char *
vec(void)
{
	const char *v = getenv("MUPIF_VECTORS");

	return v != NULL ? v : "../shared/vectors";
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

/* A nameserver on a fresh file, as started on 127.0.0.1:47190. */
struct fix {
	struct ns	 ns;
	char		 path[64];
	struct sbuf	 out;
};

static struct fix *
fix_new(size_t max_entries, const char *copy_from)
{
	struct fix	*f = calloc(1, sizeof(*f));
	char		 err[256];
	int		 fd;

	assert_non_null(f);
	(void)strlcpy(f->path, "/tmp/test_ns_XXXXXX", sizeof(f->path));
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	if (copy_from != NULL) {
		size_t	 len;
		char	*data = slurp(copy_from, &len);

		assert_int_equal(write(fd, data, len), (ssize_t)len);
		free(data);
	}
	close(fd);
	if (store_open(&f->ns.st, f->path, max_entries, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	(void)strlcpy(f->ns.bind_host, "127.0.0.1", sizeof(f->ns.bind_host));
	(void)strlcpy(f->ns.adv_host, "127.0.0.1", sizeof(f->ns.adv_host));
	f->ns.port = 47190;
	f->ns.nconn = 1;
	f->ns.max_msg = 65536;
	assert_int_equal(ns_register_self(&f->ns), 0);
	ns_proto_init(&f->ns);
	sbuf_init(&f->out, 1 << 24);
	return f;
}

static void
fix_free(struct fix *f)
{
	ns_proto_free(&f->ns);
	store_close(&f->ns.st);
	sbuf_free(&f->out);
	(void)unlink(f->path);
	{
		char j[80];

		(void)snprintf(j, sizeof(j), "%s-journal", f->path);
		(void)unlink(j);
	}
	free(f);
}

/* Feed len bytes; returns the close flag; replies land in f->out. */
static int
feed(struct fix *f, struct nsconn *c, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	size_t		 off = 0, used, need;
	int		 close = 0;

	while (off < len && !close) {
		used = ns_proto_input(&f->ns, c, p + off, len - off, &f->out,
		    &close, &need);
		if (used == 0)
			break;
		off += used;
	}
	return close;
}

static void
mkmsg(struct sbuf *m, uint8_t type, uint8_t ser, uint16_t flags,
    uint16_t seq, const char *payload, size_t len)
{
	struct pyro_hdr	h;
	uint8_t		hb[PYRO_HDR_LEN];

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.serializer = ser;
	h.flags = flags;
	h.seq = seq;
	h.datalen = (uint32_t)len;
	pyro_hdr_build(hb, &h);
	sbuf_add(m, hb, sizeof(hb));
	sbuf_add(m, payload, len);
}

static void
handshake(struct fix *f, struct nsconn *c, const char *object)
{
	struct sbuf	m;
	char		p[256];
	int		n;

	n = snprintf(p, sizeof(p), SERPENT_HEADER
	    "{'handshake':'hello','object':'%s'}", object);
	sbuf_init(&m, 4096);
	mkmsg(&m, PYRO_CONNECT, PYRO_SER_SERPENT, 0, 0, p, (size_t)n);
	assert_int_equal(feed(f, c, m.p, m.len), 0);
	assert_int_equal(c->state, NSC_READY);
	sbuf_free(&m);
	f->out.len = 0;
}

/*
 * Call the NameServer with a serpent payload body (after the header
 * line); returns the reply payload (static) and its flags in *flags.
 */
static const char *
call_flags(struct fix *f, struct nsconn *c, uint8_t ser, uint16_t rflags,
    const char *body, uint16_t *flags)
{
	static char	 reply[1 << 16];
	struct sbuf	 m, p;
	struct pyro_hdr	 h;

	sbuf_init(&p, 1 << 20);
	if (ser == PYRO_SER_SERPENT)
		sbuf_addc(&p, SERPENT_HEADER);
	sbuf_addc(&p, body);
	sbuf_init(&m, 1 << 20);
	mkmsg(&m, PYRO_INVOKE, ser, rflags, 7, p.p, p.len);
	f->out.len = 0;
	assert_int_equal(feed(f, c, m.p, m.len), 0);
	sbuf_free(&m);
	sbuf_free(&p);
	if (f->out.len == 0) {
		*flags = 0xffff;
		return "";
	}
	assert_int_equal(pyro_hdr_parse((uint8_t *)f->out.p, 1 << 24, &h),
	    PYRO_OK);
	assert_int_equal(h.type, PYRO_RESULT);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.serializer, ser);
	assert_true(h.datalen < sizeof(reply));
	memcpy(reply, f->out.p + PYRO_HDR_LEN, h.datalen);
	reply[h.datalen] = '\0';
	*flags = h.flags;
	if (ser == PYRO_SER_SERPENT)
		return reply + strlen(SERPENT_HEADER);
	return reply;
}

static const char *
call(struct fix *f, struct nsconn *c, const char *body)
{
	uint16_t flags;

	return call_flags(f, c, PYRO_SER_SERPENT, 0, body, &flags);
}

static void
expect(struct fix *f, struct nsconn *c, const char *body, const char *want)
{
	const char *got = call(f, c, body);

	if (strcmp(got, want) != 0)
		fail_msg("%s\n  gave %s\n  want %s", body, got, want);
}

/* The reply must be an exception of class cls whose text has msg. */
static void
expect_exc(struct fix *f, struct nsconn *c, const char *body,
    const char *cls, const char *msg)
{
	uint16_t	 flags;
	const char	*got = call_flags(f, c, PYRO_SER_SERPENT, 0, body,
			    &flags);
	char		 want[256];

	if (!(flags & PYRO_F_EXCEPTION))
		fail_msg("%s: no exception, gave %s", body, got);
	(void)snprintf(want, sizeof(want), "'__class__':'%s'", cls);
	if (strstr(got, want) == NULL || strstr(got, msg) == NULL)
		fail_msg("%s\n  gave %s\n  want %s with %s", body, got, cls,
		    msg);
}

/* Header, annotations, zlib */

static void
test_header(void **state)
{
	struct pyro_hdr	h, g;
	uint8_t		b[PYRO_HDR_LEN];
	uint16_t	v;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.type = PYRO_INVOKE;
	h.serializer = PYRO_SER_JSON;
	h.flags = PYRO_F_CORR_ID | PYRO_F_BATCH;
	h.seq = 0xfffe;
	h.datalen = 1000;
	h.annlen = 13;
	memset(h.corr, 0xab, 16);
	pyro_hdr_build(b, &h);
	assert_memory_equal(b, "PYRO\x01\xf6\x04\x03\x00\x48\xff\xfe", 12);
	assert_memory_equal(b + 36, "\x00\x00\x4d\xc5", 4);
	assert_int_equal(pyro_hdr_parse(b, 1013, &g), PYRO_OK);
	assert_int_equal(g.seq, 0xfffe);
	assert_int_equal(g.datalen, 1000);
	assert_int_equal(g.annlen, 13);
	assert_memory_equal(g.corr, h.corr, 16);
	assert_int_equal(pyro_hdr_parse(b, 1012, &g), PYRO_E_TOOBIG);
	b[39] = 0;
	assert_int_equal(pyro_hdr_parse(b, 1013, &g), PYRO_E_MAGIC);
	b[5] = 48;
	b[4] = 0;
	assert_int_equal(pyro_hdr_check6(b, &v), PYRO_E_VERSION);
	assert_int_equal(v, 48);
	b[0] = 'X';
	assert_int_equal(pyro_hdr_check6(b, &v), PYRO_E_TAG);
	/* Both lengths at their maximum do not wrap the sum. */
	pyro_hdr_build(b, &h);
	memset(b + 12, 0xff, 8);
	assert_int_equal(pyro_hdr_parse(b, 1 << 20, &g), PYRO_E_TOOBIG);
}

static void
test_annotations(void **state)
{
	struct pyro_ann	a[4];
	size_t		n;

	(void)state;
	assert_int_equal(pyro_ann_parse((const uint8_t *)
	    "XTRA\0\0\0\5helloCORR\0\0\0\0", 21, a, 4, &n), PYRO_OK);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].id, "XTRA");
	assert_int_equal(a[0].len, 5);
	assert_memory_equal(a[0].data, "hello", 5);
	assert_int_equal(a[1].len, 0);
	assert_int_equal(pyro_ann_parse((const uint8_t *)"XTRA\0\0\0\6hello",
	    13, a, 4, &n), PYRO_E_ANN);		/* longer than the area */
	assert_int_equal(pyro_ann_parse((const uint8_t *)"XTRA\0\0\0\4hello",
	    13, a, 4, &n), PYRO_E_ANN);		/* does not tile it */
	assert_int_equal(pyro_ann_parse((const uint8_t *)"XT\x01" "A\0\0\0\0",
	    8, a, 4, &n), PYRO_E_ANN);		/* not ASCII letters */
	assert_int_equal(pyro_ann_parse((const uint8_t *)
	    "AAAA\0\0\0\0BBBB\0\0\0\0", 16, a, 1, &n), PYRO_E_ANN);
	assert_int_equal(pyro_ann_parse(NULL, 0, a, 4, &n), PYRO_OK);
	assert_int_equal(n, 0);
}

static void
test_inflate(void **state)
{
	uint8_t		*src, comp[4096], *out;
	uLongf		 clen = sizeof(comp);
	size_t		 olen;

	(void)state;
	src = calloc(1, 200000);
	assert_non_null(src);
	memcpy(src, "hello", 5);
	assert_int_equal(compress2(comp, &clen, src, 1000, 4), Z_OK);
	assert_int_equal(pyro_inflate(comp, clen, 1000, &out, &olen), PYRO_OK);
	assert_int_equal(olen, 1000);
	assert_memory_equal(out, src, 1000);
	free(out);
	/* One byte over the cap, truncated input, garbage. */
	assert_int_equal(pyro_inflate(comp, clen, 999, &out, &olen),
	    PYRO_E_ZLIB);
	assert_int_equal(pyro_inflate(comp, clen - 3, 1000, &out, &olen),
	    PYRO_E_ZLIB);
	assert_int_equal(pyro_inflate((const uint8_t *)"garbage", 7, 1000,
	    &out, &olen), PYRO_E_ZLIB);
	/* A bomb: 200 kB of zeros in a few hundred bytes, cap 64 kB. */
	clen = sizeof(comp);
	assert_int_equal(compress2(comp, &clen, src, 200000, 9), Z_OK);
	assert_int_equal(pyro_inflate(comp, clen, 65536, &out, &olen),
	    PYRO_E_ZLIB);
	assert_null(out);
	free(src);
}

/* URIs */

static void
uri_ok(const char *s, const char *proto, const char *obj, const char *sock,
    const char *host, long long port)
{
	struct pyro_uri	u;
	char		why[256];

	if (pyro_uri_parse(s, strlen(s), &u, why, sizeof(why)) != 0)
		fail_msg("%s: %s", s, why);
	assert_string_equal(u.protocol, proto);
	if (u.objlen != strlen(obj) || memcmp(u.object, obj, u.objlen) != 0)
		fail_msg("%s: object %.*s", s, (int)u.objlen, u.object);
	if (sock == NULL)
		assert_null(u.sockname);
	else if (u.socklen != strlen(sock) ||
	    memcmp(u.sockname, sock, u.socklen) != 0)
		fail_msg("%s: sockname", s);
	if (host == NULL)
		assert_null(u.host);
	else if (u.hostlen != strlen(host) ||
	    memcmp(u.host, host, u.hostlen) != 0)
		fail_msg("%s: host %.*s", s, (int)u.hostlen, u.host);
	if (port < 0)
		assert_false(u.has_port);
	else {
		assert_true(u.has_port);
		assert_int_equal(u.port, port);
	}
}

static void
uri_bad(const char *s, const char *why_want)
{
	struct pyro_uri	u;
	char		why[256];

	if (pyro_uri_parse(s, strlen(s), &u, why, sizeof(why)) == 0)
		fail_msg("accepted %s", s);
	if (strcmp(why, why_want) != 0)
		fail_msg("%s: \"%s\", want \"%s\"", s, why, why_want);
}

static void
test_uri(void **state)
{
	struct sv_arena	 a;
	struct pyro_uri	 u;
	struct sval	*v;
	struct sbuf	 b;
	char		 why[256];

	(void)state;
	uri_ok("PYRO:obj_1@127.0.0.1:45001", "PYRO", "obj_1", NULL,
	    "127.0.0.1", 45001);
	uri_ok("pyro:x@h:1", "PYRO", "x", NULL, "h", 1);
	uri_ok("PYRONAME:a.b", "PYRONAME", "a.b", NULL, NULL, -1);
	uri_ok("PYRONAME:a.b@nshost", "PYRONAME", "a.b", NULL, "nshost", 9090);
	uri_ok("PYROMETA:x,y@h:2", "PYROMETA", "x,y", NULL, "h", 2);
	uri_ok("PYRO:o@./u:/tmp/sock", "PYRO", "o", "/tmp/sock", NULL, -1);
	uri_ok("PYRO:o@[::1]:5000", "PYRO", "o", NULL, "::1", 5000);
	uri_ok("PYRO:o@[::1]:5000trailing", "PYRO", "o", NULL, "::1", 5000);
	uri_ok("PYRO:a@b@c:1", "PYRO", "a", NULL, "b@c", 1);
	uri_ok("PYRO:o@h: 5_000 ", "PYRO", "o", NULL, "h", 5000);
	uri_ok("PYRO:o@h:1\n", "PYRO", "o", NULL, "h", 1);
	uri_ok("PYRO:o@:7", "PYRO", "o", NULL, "", 7);
	uri_ok("PYRONAME:a@", "PYRONAME", "a@", NULL, NULL, -1); /* no "@x" */
	uri_bad("PYRO:a@", "invalid uri");
	uri_bad("not-a-uri", "invalid uri");
	uri_bad("PYRO:obj", "invalid uri");
	uri_bad("PYRO:", "invalid uri");
	uri_bad("PYRO:my obj@h:1", "invalid uri");
	uri_bad("PYRO:o\xc2\xa0x@h:1", "invalid uri");	/* NBSP is \s */
	uri_bad("PYROX:obj@h:1", "invalid uri (protocol)");
	uri_bad("PYRO:obj@h:abc", "invalid port in uri, port=abc");
	uri_bad("PYRO:obj@h", "invalid port in uri, port=None");
	uri_bad("PYRO:obj@h:", "invalid port in uri, port=None");
	uri_bad("PYRO:obj@h:1:2", "invalid port in uri, port=1:2");
	uri_bad("PYRO:o@./u:", "invalid uri (location)");
	uri_bad("PYRO:o@./u:a:b", "invalid uri (location)");
	uri_bad("PYRO:o@[[::1]]:1", "invalid ipv6 address: enclosed in too "
	    "many brackets");
	uri_bad("PYRO:o@[zz]:1", "invalid ipv6 address: the part between "
	    "brackets must be a numeric ipv6 address");
	uri_bad("PYRO:o@[::1]", "invalid port in uri, port=None");
	/* The state tuple a lookup returns, and str() of a state. */
	sv_arena_init(&a, 1 << 20);
	assert_int_equal(pyro_uri_parse("PYRO:obj@127.0.0.1:45003", 24, &u,
	    why, sizeof(why)), 0);
	v = pyro_uri_value(&a, &u);
	assert_non_null(v);
	sbuf_init(&b, 4096);
	assert_int_equal(serpent_write(&b, v, 0), 0);
	assert_int_equal(b.len, strlen("{'__class__':'Pyro5.core.URI','state':"
	    "('PYRO','obj',None,'127.0.0.1',45003)}"));
	assert_memory_equal(b.p, "{'__class__':'Pyro5.core.URI','state':"
	    "('PYRO','obj',None,'127.0.0.1',45003)}", b.len);
	b.len = 0;
	assert_int_equal(pyro_uri_state_str(sv_dict_get(v, "state"), &b, why,
	    sizeof(why)), 0);
	assert_int_equal(b.len, 24);
	assert_memory_equal(b.p, "PYRO:obj@127.0.0.1:45003", 24);
	sbuf_free(&b);
	assert_int_equal(pyro_uri_parse("PYRO:o@[::1]:5", 14, &u, why,
	    sizeof(why)), 0);
	v = pyro_uri_value(&a, &u);
	sbuf_init(&b, 4096);
	assert_int_equal(pyro_uri_state_str(sv_dict_get(v, "state"), &b, why,
	    sizeof(why)), 0);
	assert_int_equal(b.len, 14);
	assert_memory_equal(b.p, "PYRO:o@[::1]:5", 14);
	sbuf_free(&b);
	assert_int_equal(pyro_uri_parse("PYROMETA:b,a,b@h:1", 18, &u, why,
	    sizeof(why)), 0);
	v = pyro_uri_value(&a, &u);
	sbuf_init(&b, 4096);
	assert_int_equal(serpent_write(&b, v, 0), 0);
	assert_non_null(memmem(b.p, b.len, "('PYROMETA',{'b','a'},None,'h',1)",
	    33));
	sbuf_free(&b);
	sv_arena_reset(&a);
}

/* Regular expressions: Python re.match() results. */

static void
test_regex(void **state)
{
	static const struct {
		const char	*pat, *subj;
		int		 match;
	} t[] = {
		{ "test\\..*", "test.plain", 1 },
		{ "test", "testXfoo", 1 },		/* only the start */
		{ "plain", "test.plain", 0 },
		{ "(?i)cvut", "CVUT.demo01", 1 },
		{ "CVUT\\.demo\\d+$", "CVUT.demo01", 1 },
		{ "CVUT\\.demo\\d+$", "CVUT.demo01.job-1", 0 },
		{ "a$", "a\n", 1 },
		{ "a\\Z", "a\n", 0 },
		{ "[^\\W\\d]+", "abc", 1 },
		{ "(a|b)*c", "ababc", 1 },
		{ "x{2,3}y", "xxxy", 1 },
		{ "x{2,3}y", "xy", 0 },
		{ "x{,2}$", "xxx", 0 },
		{ "a.c", "a\nc", 0 },
		{ "(?s)a.c", "a\nc", 1 },
		{ "(?m)^b", "a\nb", 0 },		/* match: at 0 only */
		{ "\\bab\\b", "ab cd", 1 },
		{ "\\Bb", "ab", 0 },
		{ "a{", "a{", 1 },
		{ "(?:)", "", 1 },
		{ "(?:){1000000000}x", "x", 1 },
		{ "\\u00e9", "\xc3\xa9", 1 },
		{ "\\s", "\xe3\x80\x80", 1 },		/* U+3000 */
		{ "(a*)*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", 0 },
	};
	static const struct {
		const char	*pat, *err;
	} e[] = {
		{ "(", "missing ), unterminated subpattern at position 0" },
		{ ")", "unbalanced parenthesis at position 0" },
		{ "*a", "nothing to repeat at position 0" },
		{ "a**", "multiple repeat at position 2" },
		{ "[a", "unterminated character set at position 0" },
		{ "[z-a]", "bad character range z-a at position 1" },
		{ "\\q", "bad escape \\q at position 0" },
		{ "a(?i)", "global flags not at the start of the expression "
		    "at position 1" },
		{ "a{3,2}", "min repeat greater than max repeat at position 2" },
		{ "x\n(", "missing ), unterminated subpattern at position 2 "
		    "(line 2, column 1)" },
		{ "(?=a)", "unsupported: lookaround assertions at position 0" },
		{ "(a)\\1", "unsupported: backreferences at position 3" },
		{ "a*+", "unsupported: possessive quantifiers at position 2" },
		{ "a{100000}", "pattern too large" },
	};
	struct nsre	*re;
	char		 err[256];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		re = nsre_compile(t[i].pat, strlen(t[i].pat), err, sizeof(err));
		if (re == NULL)
			fail_msg("%s: %s", t[i].pat, err);
		if (nsre_match(re, t[i].subj, strlen(t[i].subj)) != t[i].match)
			fail_msg("%s on %s: want %d", t[i].pat, t[i].subj,
			    t[i].match);
		nsre_free(re);
	}
	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		re = nsre_compile(e[i].pat, strlen(e[i].pat), err, sizeof(err));
		if (re != NULL)
			fail_msg("accepted %s", e[i].pat);
		if (strcmp(err, e[i].err) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", e[i].pat, err,
			    e[i].err);
	}
	nsre_free(NULL);
}

/* The store */

static void
expect_ent(const struct ns_store *st, size_t i, const char *name,
    const char *uri, const char *const *meta)
{
	const struct ns_ent	*e;
	size_t			 k, n = 0;

	assert_true(i < st->n);
	e = st->ents[i];
	if (e->namelen != strlen(name) || memcmp(e->name, name, e->namelen))
		fail_msg("entry %zu is %s, want %s", i, e->name, name);
	assert_string_equal(e->uri, uri);
	while (meta[n] != NULL)
		n++;
	assert_int_equal(e->nmeta, n);
	for (k = 0; k < n; k++)
		assert_string_equal(e->meta[k], meta[k]);
}

static void
test_store_vector(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const m2[] = { "type:scheduler", NULL };
	static const char *const m3[] = { "CVUT.demo01", "Robustness_High",
	    "type:jobmanager", "Runtime_seconds", "Accuracy_Medium", NULL };
	static const char *const m7[] = { "tag:\xc4\x8d" "esk\xc3\xa9", NULL };
	static const char *const m8[] = { "re-registered", NULL };
	static const char *const m9[] = { "class:Pyro5.nameserver.NameServer",
	    NULL };
	static const char *const m10[] = { "updated", "type:appserver", NULL };
	struct ns_store	 st;
	char		 path[] = "/tmp/test_nsv_XXXXXX", err[256], *data;
	size_t		 len;
	int		 fd;
	sqlite3		*db;
	sqlite3_stmt	*s;

	(void)state;
	{
		char vp[512];

		(void)snprintf(vp, sizeof(vp), "%s/ns-sqlite/nameserver.sqlite",
		    vec());
		data = slurp(vp, &len);
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(data);
	if (store_open(&st, path, 100, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* What pyro5-ns's list() gives: id order, metadata as stored. */
	assert_int_equal(st.n, 7);
	expect_ent(&st, 0, "mupif.scheduler",
	    "PYRO:obj_00000000000000000000000000000002@127.0.0.1:45002", m2);
	expect_ent(&st, 1, "CVUT.demo01",
	    "PYRO:obj_00000000000000000000000000000003@127.0.0.1:45003", m3);
	expect_ent(&st, 2, "test.emptymeta",
	    "PYRO:obj_00000000000000000000000000000006@127.0.0.1:45006", none);
	expect_ent(&st, 3, "test.unicode-\xc3\xbcml\xc3\xa4ut",
	    "PYRO:obj_00000000000000000000000000000007@127.0.0.1:45007", m7);
	expect_ent(&st, 4, "test.nometa",
	    "PYRO:obj_00000000000000000000000000000009@127.0.0.1:45009", m8);
	expect_ent(&st, 5, "Pyro.NameServer",
	    "PYRO:Pyro.NameServer@127.0.0.1:47192", m9);
	expect_ent(&st, 6, "CVUT.demo01.job-1",
	    "PYRO:obj_00000000000000000000000000000004@127.0.0.1:45004", m10);
	assert_int_equal(st.ents[6]->id, 10);
	/* An update takes id max+1 and moves to the end, as in pyro5-ns. */
	{
		const char	*m[] = { "x" };
		size_t		 ml[] = { 1 };

		assert_int_equal(store_set(&st, "mupif.scheduler", 15, "PYRO:a@b:1",
		    10, m, ml, 1), 0);
	}
	assert_int_equal(st.n, 7);
	assert_string_equal(st.ents[6]->name, "mupif.scheduler");
	assert_int_equal(st.ents[6]->id, 11);
	store_close(&st);
	/* The file still has exactly pyro5-ns's schema, and our rows. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(sql, ';') "
	    "FROM sqlite_master", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0),
	    "CREATE TABLE pyro_names\n            (\n                id "
	    "integer PRIMARY KEY,\n                name nvarchar NOT NULL "
	    "UNIQUE,\n                uri nvarchar NOT NULL\n            );"
	    "CREATE TABLE pyro_metadata\n            (\n                "
	    "object integer NOT NULL,\n                metadata nvarchar NOT "
	    "NULL,\n                FOREIGN KEY(object) REFERENCES "
	    "pyro_names(id)\n            )");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT n.uri, m.metadata FROM "
	    "pyro_names n JOIN pyro_metadata m ON m.object = n.id WHERE "
	    "n.name = 'mupif.scheduler'", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0),
	    "PYRO:a@b:1");
	assert_string_equal((const char *)sqlite3_column_text(s, 1), "x");
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
	unlink(path);
}

static void
test_store_fresh_and_migrate(void **state)
{
	struct ns_store	 st;
	char		 path[] = "/tmp/test_nsm_XXXXXX", err[256];
	const char	*m[] = { "a", "b" };
	size_t		 ml[] = { 1, 1 };
	int		 fd;
	sqlite3		*db;
	struct ns_ent	*list[2];

	(void)state;
	/* A Pyro4 file from before metadata: only pyro_names. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE pyro_names (id integer "
	    "PRIMARY KEY, name nvarchar NOT NULL UNIQUE, uri nvarchar NOT "
	    "NULL); INSERT INTO pyro_names(name, uri) VALUES ('old', "
	    "'PYRO:o@h:1')", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	if (store_open(&st, path, 3, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(st.n, 1);
	assert_string_equal(st.ents[0]->name, "old");
	assert_int_equal(store_set(&st, "n1", 2, "PYRO:o@h:2", 10, m, ml, 2), 0);
	assert_int_equal(store_set(&st, "n2", 2, "PYRO:o@h:3", 10, NULL, NULL,
	    0), 0);
	/* The entry limit: a new name is refused, an update is not. */
	assert_int_equal(store_set(&st, "n3", 2, "PYRO:o@h:4", 10, NULL, NULL,
	    0), -1);
	assert_non_null(strstr(st.err, "too many registrations"));
	assert_int_equal(store_set(&st, "n1", 2, "PYRO:o@h:5", 10, NULL, NULL,
	    0), 0);
	assert_non_null(store_find(&st, "n1", 2));
	assert_null(store_find(&st, "n3", 2));
	list[0] = store_find(&st, "old", 3);
	list[1] = store_find(&st, "n2", 2);
	assert_int_equal(store_delete(&st, list, 2), 2);
	assert_int_equal(st.n, 1);
	store_close(&st);
	/* Reopened: what was committed is there. */
	if (store_open(&st, path, 3, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(st.n, 1);
	assert_string_equal(st.ents[0]->uri, "PYRO:o@h:5");
	assert_int_equal(st.ents[0]->nmeta, 0);
	store_close(&st);
	unlink(path);
}

/* Replay of the recorded exchanges */

static int
cmp_text(const void *a, const void *b)
{
	const struct sval *x = *(const struct sval *const *)a;
	const struct sval *y = *(const struct sval *const *)b;
	size_t n = x->u.s.len < y->u.s.len ? x->u.s.len : y->u.s.len;
	int c = memcmp(x->u.s.p, y->u.s.p, n);

	return c != 0 ? c : (x->u.s.len > y->u.s.len) -
	    (x->u.s.len < y->u.s.len);
}

/* Sort the members of sets (serpent) or string lists (JSON). */
static void
canon(struct sval *v, int json)
{
	struct sval	*it, *items[64];
	size_t		 n = 0, i;
	int		 strs = 1;

	if (v->type < SV_TUPLE)
		return;
	for (it = v->u.l.first; it != NULL; it = it->next) {
		canon(it, json);
		if (it->type != SV_STR)
			strs = 0;
		if (n < 64)
			items[n++] = it;
	}
	if (!strs || n < 2 || n >= 64 ||
	    !(v->type == SV_SET || (json && v->type == SV_LIST)))
		return;
	qsort(items, n, sizeof(items[0]), cmp_text);
	v->u.l.first = items[0];
	for (i = 0; i + 1 < n; i++)
		items[i]->next = items[i + 1];
	items[n - 1]->next = NULL;
	v->u.l.last = items[n - 1];
}

/* A payload with set order normalised, written back. */
static void
canon_text(int ser, const uint8_t *p, size_t len, struct sbuf *out)
{
	struct sv_arena	 a;
	struct sval	*v;
	char		 err[256];

	sv_arena_init(&a, 1 << 24);
	if (len == 4 && memcmp(p, "pong", 4) == 0) {
		sbuf_add(out, p, len);
		return;
	}
	if (pyro_decode(ser, p, len, &a, &v, err, sizeof(err)) != PYRO_OK)
		fail_msg("reply does not decode: %s", err);
	canon(v, ser == PYRO_SER_JSON);
	assert_int_equal(pyro_encode(ser, v, out), 0);
	sv_arena_reset(&a);
}

static void
replay(const char *ser, const char *stream)
{
	struct fix	*f = fix_new(100, NULL);
	struct nsconn	 c = { NSC_HANDSHAKE, "replay", NSC_PYRO5 };
	char		 path[256], *cli, *srv;
	size_t		 clen, slen, a = 0, b = 0, ca = 0;
	int		 k = 0;

	(void)snprintf(path, sizeof(path), "%s/pyro5/%s/%s.client.bin", vec(),
	    ser, stream);
	cli = slurp(path, &clen);
	(void)snprintf(path, sizeof(path), "%s/pyro5/%s/%s.server.bin", vec(),
	    ser, stream);
	srv = slurp(path, &slen);
	(void)feed(f, &c, cli, clen);
	assert_int_equal(f->out.len, slen);
	while (a < f->out.len) {
		const uint8_t	*o = (const uint8_t *)f->out.p + a;
		const uint8_t	*w = (const uint8_t *)srv + b;
		const uint8_t	*q = (const uint8_t *)cli + ca;
		struct pyro_hdr	 ho, hw, hq;
		struct sbuf	 x, y;

		assert_int_equal(pyro_hdr_parse(o, 1 << 24, &ho), PYRO_OK);
		assert_int_equal(pyro_hdr_parse(w, 1 << 24, &hw), PYRO_OK);
		/* The request this answers (oneway ones get none). */
		for (;;) {
			assert_int_equal(pyro_hdr_parse(q, 1 << 24, &hq),
			    PYRO_OK);
			ca += PYRO_HDR_LEN + hq.annlen + hq.datalen;
			if (!(hq.flags & PYRO_F_ONEWAY))
				break;
			q = (const uint8_t *)cli + ca;
		}
		/* Header: all but the correlation id, which is random
		 * unless the client sent one. */
		if (memcmp(o, w, 20) != 0 || memcmp(o + 36, w + 36, 4) != 0)
			fail_msg("%s/%s message %d: header differs", ser,
			    stream, k);
		assert_true(ho.flags & PYRO_F_CORR_ID);
		if (hq.flags & PYRO_F_CORR_ID)
			assert_memory_equal(ho.corr, hq.corr, 16);
		/* Payload: byte for byte once set order is normalised. */
		sbuf_init(&x, 1 << 24);
		sbuf_init(&y, 1 << 24);
		canon_text(ho.serializer == PYRO_SER_JSON ? PYRO_SER_JSON :
		    PYRO_SER_SERPENT, o + PYRO_HDR_LEN, ho.datalen, &x);
		canon_text(hw.serializer == PYRO_SER_JSON ? PYRO_SER_JSON :
		    PYRO_SER_SERPENT, w + PYRO_HDR_LEN, hw.datalen, &y);
		if (ho.type == PYRO_CONNECTFAIL || ho.type == PYRO_PING ||
		    ho.datalen == hw.datalen)
			assert_int_equal(ho.datalen, hw.datalen);
		if (x.len != y.len || memcmp(x.p, y.p, x.len) != 0)
			fail_msg("%s/%s message %d:\n ours %.*s\n want %.*s",
			    ser, stream, k, (int)x.len, x.p, (int)y.len, y.p);
		sbuf_free(&x);
		sbuf_free(&y);
		a += PYRO_HDR_LEN + ho.datalen;
		b += PYRO_HDR_LEN + hw.datalen;
		k++;
	}
	assert_int_equal(b, slen);
	free(cli);
	free(srv);
	fix_free(f);
}

static void
test_replay_vectors(void **state)
{
	static const char *const sers[] = { "serpent", "json" };
	static const char *const streams[] = { "stream-1-nameserver",
	    "stream-2-daemon", "stream-3-unknown-object" };
	size_t i, j;

	(void)state;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++)
			replay(sers[i], streams[j]);
}

/* Handshake failures, as the Python daemon answers them */

static const char *
fail_text(struct fix *f, uint8_t *ser)
{
	static char	 t[256];
	struct pyro_hdr	 h;

	assert_true(f->out.len >= PYRO_HDR_LEN);
	assert_int_equal(pyro_hdr_parse((uint8_t *)f->out.p, 1 << 20, &h),
	    PYRO_OK);
	assert_int_equal(h.type, PYRO_CONNECTFAIL);
	*ser = h.serializer;
	assert_true(h.datalen < sizeof(t));
	memcpy(t, f->out.p + PYRO_HDR_LEN, h.datalen);
	t[h.datalen] = '\0';
	return t;
}

static void
test_handshake_failures(void **state)
{
	struct fix	*f = fix_new(100, NULL);
	struct nsconn	 c;
	struct sbuf	 m;
	size_t		 used, need;
	uint8_t		 ser;
	int		 close;

	(void)state;
	/* Another protocol version than 502 or 48 (Pyro4, test_pyro4_*):
	 * what pyro5-ns sends a foreign version (vectors/pyro4/cross-version
	 * shows it for 48). */
	c.state = NSC_HANDSHAKE;
	c.peer = "t";
	c.proto = NSC_PYRO5;
	{
		static const uint8_t pyro47[] = "PYRO\x00\x2f\x00\x01";

		f->out.len = 0;
		assert_int_equal(feed(f, &c, pyro47, 8), 1);
		assert_memory_equal(f->out.p, "PYRO\x01\xf6\x03\x02\x00\x00"
		    "\x00\x00\x00\x00\x00\x1e", 16);
		assert_memory_equal(f->out.p + 38, "\x4d\xc5\xfa\x1c"
		    "invalid protocol version: 47", 32);
		assert_int_equal(f->out.len, 70);
		assert_int_equal(c.proto, NSC_PYRO5);
	}
	/* Not Pyro at all. */
	f->out.len = 0;
	assert_int_equal(feed(f, &c, "GET / HTTP/1.0\r\n", 16), 1);
	assert_string_equal(fail_text(f, &ser) + 2, "invalid data");
	assert_int_equal(ser, PYRO_SER_MARSHAL);
	/* First message not a CONNECT. */
	sbuf_init(&m, 4096);
	mkmsg(&m, PYRO_INVOKE, PYRO_SER_SERPENT, 0, 1, "x", 1);
	f->out.len = 0;
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	assert_string_equal(fail_text(f, &ser) + 2,
	    "invalid msg type 4 received (expected: 1)");
	/* A serializer nobody knows: closed without a word. */
	m.len = 0;
	mkmsg(&m, PYRO_CONNECT, 9, 0, 0, "x", 1);
	f->out.len = 0;
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	assert_int_equal(f->out.len, 0);
	/* marshal: refused in serpent, which every client reads. */
	m.len = 0;
	mkmsg(&m, PYRO_CONNECT, PYRO_SER_MARSHAL, 0, 0, "x", 1);
	f->out.len = 0;
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	assert_non_null(strstr(fail_text(f, &ser), "use serpent or json"));
	assert_int_equal(ser, PYRO_SER_SERPENT);
	/* No "handshake" key: the KeyError's text. */
	m.len = 0;
	mkmsg(&m, PYRO_CONNECT, PYRO_SER_SERPENT, 0, 0,
	    "{'object':'Pyro.NameServer'}", 28);
	f->out.len = 0;
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	assert_string_equal(fail_text(f, &ser), SERPENT_HEADER "\"'handshake'\"");
	/* Broken serpent. */
	m.len = 0;
	mkmsg(&m, PYRO_CONNECT, PYRO_SER_SERPENT, 0, 0, "{'a'", 4);
	f->out.len = 0;
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	assert_int_equal(c.state, NSC_HANDSHAKE);
	/* Over the size limit: refused from the header alone. */
	m.len = 0;
	mkmsg(&m, PYRO_CONNECT, PYRO_SER_SERPENT, 0, 0, "x", 1);
	m.p[12] = 0x10;		/* datalen 256 MiB */
	f->out.len = 0;
	assert_int_equal(feed(f, &c, m.p, PYRO_HDR_LEN), 1);
	assert_non_null(strstr(fail_text(f, &ser), "message too large"));
	/* A partial message waits, and says how much it needs. */
	m.len = 0;
	mkmsg(&m, PYRO_CONNECT, PYRO_SER_SERPENT, 0, 0, "0123456789", 10);
	f->out.len = 0;
	used = ns_proto_input(&f->ns, &c, (uint8_t *)m.p, 20, &f->out, &close,
	    &need);
	assert_int_equal(used, 0);
	assert_int_equal(need, PYRO_HDR_LEN);
	used = ns_proto_input(&f->ns, &c, (uint8_t *)m.p, 45, &f->out, &close,
	    &need);
	assert_int_equal(used, 0);
	assert_int_equal(need, 50);
	assert_int_equal(close, 0);
	sbuf_free(&m);
	fix_free(f);
}

static void
test_after_handshake(void **state)
{
	struct fix	*f = fix_new(100, NULL);
	struct nsconn	 c = { NSC_HANDSHAKE, "t", NSC_PYRO5 };
	struct sbuf	 m;
	struct pyro_hdr	 h;

	(void)state;
	handshake(f, &c, "Pyro.NameServer");
	sbuf_init(&m, 4096);
	/* Transport ping: same serializer id and seq, "pong". */
	mkmsg(&m, PYRO_PING, 42, 0, 9, "ping", 4);
	assert_int_equal(feed(f, &c, m.p, m.len), 0);
	assert_int_equal(pyro_hdr_parse((uint8_t *)f->out.p, 100, &h), PYRO_OK);
	assert_int_equal(h.type, PYRO_PING);
	assert_int_equal(h.serializer, 42);
	assert_int_equal(h.seq, 9);
	assert_memory_equal(f->out.p + PYRO_HDR_LEN, "pong", 4);
	/* A second CONNECT, an unknown serializer, a RESULT: closed. */
	m.len = 0;
	mkmsg(&m, PYRO_CONNECT, PYRO_SER_SERPENT, 0, 0, "x", 1);
	f->out.len = 0;
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	assert_int_equal(f->out.len, 0);
	m.len = 0;
	mkmsg(&m, PYRO_INVOKE, 9, 0, 0, "x", 1);
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	m.len = 0;
	mkmsg(&m, PYRO_RESULT, PYRO_SER_SERPENT, 0, 0, "x", 1);
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	/* Bad annotations (a chunk longer than its area): closed. */
	m.len = 0;
	mkmsg(&m, PYRO_INVOKE, PYRO_SER_SERPENT, 0, 0, "XTRA\0\0\0\x09x", 9);
	m.p[15] = 0;	/* datalen 0 */
	m.p[19] = 9;	/* annlen 9 */
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	/* Broken payload: an exception, the connection lives on. */
	expect_exc(f, &c, "('Pyro.NameServer','ping',(),{}", "builtins."
	    "SyntaxError", "");
	expect_exc(f, &c, "('Pyro.NameServer','ping',())", "builtins."
	    "ValueError", "not enough values to unpack (expected 4, got 3)");
	expect_exc(f, &c, "'x'", "builtins.TypeError", "cannot unpack");
	/* KEEPSERIALIZED blobs are refused. */
	{
		uint16_t fl;
		const char *r = call_flags(f, &c, PYRO_SER_SERPENT,
		    PYRO_F_KEEPSERIALIZED, "('Pyro.NameServer','ping',(),{})",
		    &fl);

		assert_true(fl & PYRO_F_EXCEPTION);
		assert_non_null(strstr(r, "Pyro5.errors.ProtocolError"));
	}
	/* A compressed request. */
	{
		const char	*body = SERPENT_HEADER "('Pyro.NameServer',"
				    "'count',(),{})";
		uint8_t		 z[256];
		uLongf		 zl = sizeof(z);

		assert_int_equal(compress2(z, &zl, (const uint8_t *)body,
		    strlen(body), 4), Z_OK);
		m.len = 0;
		mkmsg(&m, PYRO_INVOKE, PYRO_SER_SERPENT, PYRO_F_COMPRESSED, 3,
		    (const char *)z, zl);
		f->out.len = 0;
		assert_int_equal(feed(f, &c, m.p, m.len), 0);
		assert_memory_equal(f->out.p + PYRO_HDR_LEN, SERPENT_HEADER "1",
		    strlen(SERPENT_HEADER "1"));
	}
	sbuf_free(&m);
	fix_free(f);
}

/* Semantics */

static void
test_methods(void **state)
{
	struct fix	*f = fix_new(100, NULL);
	struct nsconn	 c = { NSC_HANDSHAKE, "t", NSC_PYRO5 };
	char		 big[1200 + 64];

	(void)state;
	handshake(f, &c, "Pyro.NameServer");
	expect(f, &c, "('Pyro.NameServer','ping',(),{})", "None");
	expect(f, &c, "('Pyro.NameServer','count',(),{})", "1");
	expect(f, &c, "('Pyro.NameServer','register',('TEST.upper',"
	    "'PYRO:a@h:1'),{})", "None");
	expect(f, &c, "('Pyro.NameServer','register',('testXfoo',"
	    "'PYRO:b@h:2'),{'metadata':['x','x','y']})", "None");
	expect(f, &c, "('Pyro.NameServer','register',('test_bar',"
	    "'PYRO:c@h:3'),{'metadata':{'y':1}})", "None");
	/* Prefixes match exactly (pyro5-ns's SQL LIKE would match all
	 * three for "test_", case-insensitively). */
	expect(f, &c, "('Pyro.NameServer','list',(),{'prefix':'test_'})",
	    "{'test_bar':'PYRO:c@h:3'}");
	expect(f, &c, "('Pyro.NameServer','list',('test.',),{})", "{}");
	/* Repeated tags count once in meta_all. */
	expect(f, &c, "('Pyro.NameServer','yplookup',(['x','x'],),{})",
	    "{'testXfoo':('PYRO:b@h:2',{'x','y'})}");
	expect(f, &c, "('Pyro.NameServer','yplookup',(),{'meta_any':('y','z'),"
	    "'return_metadata':False})", "{'testXfoo':'PYRO:b@h:2',"
	    "'test_bar':'PYRO:c@h:3'}");
	expect(f, &c, "('Pyro.NameServer','yplookup',(),{'meta_all':['x',1]})",
	    "{}");
	expect(f, &c, "('Pyro.NameServer','yplookup',(),{})", "{}");
	expect(f, &c, "('Pyro.NameServer','list',(),{'regex':'(?i)test'})",
	    "{'TEST.upper':'PYRO:a@h:1','testXfoo':'PYRO:b@h:2','test_bar':"
	    "'PYRO:c@h:3'}");
	expect(f, &c, "('Pyro.NameServer','remove',(),{'prefix':'test_'})",
	    "1");
	expect(f, &c, "('Pyro.NameServer','remove',(None,None,'T'),{})", "1");
	/* The nameserver's own entry stays. */
	expect(f, &c, "('Pyro.NameServer','remove',('Pyro.NameServer',),{})",
	    "0");
	expect(f, &c, "('Pyro.NameServer','remove',(),{'prefix':'Pyro'})",
	    "0");
	expect(f, &c, "('Pyro.NameServer','remove',(),{'regex':'.*'})", "1");
	expect(f, &c, "('Pyro.NameServer','count',(),{})", "1");
	expect(f, &c, "('Pyro.NameServer','remove',(5,),{})", "0");
	expect(f, &c, "('Pyro.NameServer','remove',(),{})", "0");
	/* Reserved names. */
	expect_exc(f, &c, "('Pyro.NameServer','register',('__class__',"
	    "'PYRO:a@h:1'),{})", "Pyro5.errors.NamingError", "reserved");
	expect_exc(f, &c, "('Pyro.NameServer','register',('Pyro.NameServer',"
	    "'PYRO:a@h:1'),{})", "Pyro5.errors.NamingError", "reserved");
	/* set_metadata replaces, None clears; the URI stays. */
	expect(f, &c, "('Pyro.NameServer','register',('n','PYRO:n@h:9'),"
	    "{'metadata':{'a'}})", "None");
	expect(f, &c, "('Pyro.NameServer','set_metadata',('n',['b','c']),{})",
	    "None");
	expect(f, &c, "('Pyro.NameServer','lookup',('n',True),{})",
	    "({'__class__':'Pyro5.core.URI','state':('PYRO','n',None,'h',9)},"
	    "{'b','c'})");
	expect(f, &c, "('Pyro.NameServer','set_metadata',('n',None),{})",
	    "None");
	expect(f, &c, "('Pyro.NameServer','lookup',(),{'name':'n',"
	    "'return_metadata':1})", "({'__class__':'Pyro5.core.URI','state':"
	    "('PYRO','n',None,'h',9)},())");
	/* safe=True, a URI object, a bad URI. */
	expect_exc(f, &c, "('Pyro.NameServer','register',('n','PYRO:x@h:1',"
	    "True),{})", "Pyro5.errors.NamingError", "name already registered: "
	    "n");
	expect(f, &c, "('Pyro.NameServer','register',('u',{'__class__':"
	    "'Pyro5.core.URI','state':('PYRO','o',None,'::1',5)}),{})", "None");
	expect(f, &c, "('Pyro.NameServer','list',(),{'prefix':'u'})",
	    "{'u':'PYRO:o@[::1]:5'}");
	expect_exc(f, &c, "('Pyro.NameServer','register',('u',{'__class__':"
	    "'Pyro5.core.URI','state':('PYRO',)}),{})", "builtins.TypeError",
	    "URI state");
	expect_exc(f, &c, "('Pyro.NameServer','register',('u','x'),{})",
	    "Pyro5.errors.PyroError", "invalid uri");
	expect_exc(f, &c, "('Pyro.NameServer','register',('u',5),{})",
	    "builtins.TypeError", "only URIs or strings can be registered");
	expect_exc(f, &c, "('Pyro.NameServer','register',('u',{'__class__':"
	    "'os.system'}),{})", "Pyro5.errors.SerializeError",
	    "unsupported serialized class: os.system");
	expect_exc(f, &c, "('Pyro.NameServer','register',('u',{'__class__':"
	    "'a__b'}),{})", "Pyro5.errors.SecurityError", "double underscores");
	/* Metadata types. */
	expect_exc(f, &c, "('Pyro.NameServer','register',('m','PYRO:a@h:1'),"
	    "{'metadata':'abc'})", "builtins.TypeError", "metadata should not "
	    "be a str");
	expect_exc(f, &c, "('Pyro.NameServer','register',('m','PYRO:a@h:1'),"
	    "{'metadata':5})", "builtins.TypeError", "'int' object is not "
	    "iterable");
	expect_exc(f, &c, "('Pyro.NameServer','register',('m','PYRO:a@h:1'),"
	    "{'metadata':[1]})", "builtins.TypeError", "metadata items must be "
	    "str");
	expect_exc(f, &c, "('Pyro.NameServer','yplookup',(),{'meta_any':'a'})",
	    "builtins.TypeError", "metadata_any should not be a str");
	expect_exc(f, &c, "('Pyro.NameServer','yplookup',(['a'],['b']),{})",
	    "builtins.ValueError", "you can't use meta_all or meta_any at the "
	    "same time");
	expect_exc(f, &c, "('Pyro.NameServer','list',('a','b'),{})",
	    "builtins.ValueError", "you can only filter on one thing at a "
	    "time");
	expect_exc(f, &c, "('Pyro.NameServer','list',(),{'regex':'('})",
	    "Pyro5.errors.NamingError", "invalid regex: missing ), "
	    "unterminated subpattern at position 0',),'attributes':{"
	    "'_pyroTraceback':['re.error: missing ), unterminated subpattern "
	    "at position 0\\n'");
	/* Names: type, length. */
	expect_exc(f, &c, "('Pyro.NameServer','register',(1,'PYRO:a@h:1'),{})",
	    "builtins.TypeError", "name must be a str");
	(void)snprintf(big, sizeof(big), "('Pyro.NameServer','register',('%0*d'"
	    ",'PYRO:a@h:1'),{})", 1100, 0);
	expect_exc(f, &c, big, "builtins.ValueError", "name too long");
	expect_exc(f, &c, "('Pyro.NameServer','lookup',('nope',),{})",
	    "Pyro5.errors.NamingError", "unknown name: nope',),'attributes':{"
	    "'_pyroTraceback':[\"KeyError: 'nope'\\n\"");
	/* Python's argument binding errors. */
	expect_exc(f, &c, "('Pyro.NameServer','lookup',(),{})",
	    "builtins.TypeError", "NameServer.lookup() missing 1 required "
	    "positional argument: 'name'");
	expect_exc(f, &c, "('Pyro.NameServer','register',(),{})",
	    "builtins.TypeError", "NameServer.register() missing 2 required "
	    "positional arguments: 'name' and 'uri'");
	expect_exc(f, &c, "('Pyro.NameServer','lookup',('a',),{'name':'b'})",
	    "builtins.TypeError", "NameServer.lookup() got multiple values for "
	    "argument 'name'");
	expect_exc(f, &c, "('Pyro.NameServer','lookup',('a',),{'x':1})",
	    "builtins.TypeError", "NameServer.lookup() got an unexpected "
	    "keyword argument 'x'");
	expect_exc(f, &c, "('Pyro.NameServer','list',(1,2,3,4),{})",
	    "builtins.TypeError", "NameServer.list() takes from 1 to 4 "
	    "positional arguments but 5 were given");
	expect_exc(f, &c, "('Pyro.NameServer','ping',(),None)",
	    "builtins.TypeError", "argument after ** must be a mapping");
	/* Attributes. */
	expect_exc(f, &c, "('Pyro.NameServer','storage',(),{})",
	    "builtins.AttributeError", "attempt to access unexposed attribute "
	    "'storage'");
	expect_exc(f, &c, "('Pyro.NameServer','__init__',(),{})",
	    "builtins.AttributeError", "attempt to access private attribute "
	    "'__init__'");
	expect_exc(f, &c, "('Pyro.NameServer','__len__',(),{})",
	    "builtins.AttributeError", "'NameServer' object has no attribute "
	    "'__len__'");
	expect_exc(f, &c, "('Pyro.NameServer','__getattr__',('x',),{})",
	    "builtins.AttributeError", "unexposed or unknown remote attribute "
	    "'x'");
	expect_exc(f, &c, "('Nope','ping',(),{})", "Pyro5.errors.DaemonError",
	    "unknown object");
	expect_exc(f, &c, "('Pyro.Daemon','get_metadata',('Nope',),{})",
	    "Pyro5.errors.DaemonError", "unknown object");
	expect_exc(f, &c, "('Pyro.Daemon','get_next_stream_item',('s',),{})",
	    "Pyro5.errors.PyroError", "item stream terminated");
	expect(f, &c, "('Pyro.Daemon','registered',(),{})",
	    "['Pyro.Daemon','Pyro.NameServer']");
	fix_free(f);
}

static void
test_oneway_batch_json(void **state)
{
	struct fix	*f = fix_new(3, NULL);
	struct nsconn	 c = { NSC_HANDSHAKE, "t", NSC_PYRO5 };
	uint16_t	 fl;
	const char	*r;

	(void)state;
	handshake(f, &c, "Pyro.NameServer");
	/* Oneway: run, answer nothing. */
	r = call_flags(f, &c, PYRO_SER_SERPENT, PYRO_F_ONEWAY,
	    "('Pyro.NameServer','register',('ow','PYRO:a@h:1'),{})", &fl);
	assert_int_equal(fl, 0xffff);
	expect(f, &c, "('Pyro.NameServer','count',(),{})", "2");
	/* Batch: stops at the first exception, which is wrapped. */
	r = call_flags(f, &c, PYRO_SER_SERPENT, PYRO_F_BATCH,
	    "('Pyro.NameServer','<batch>',[('count',(),{}),('lookup',('x',),"
	    "{}),('count',(),{})],None)", &fl);
	assert_int_equal(fl, PYRO_F_BATCH | PYRO_F_CORR_ID);
	assert_non_null(strstr(r, "[2,{'__class__':'Pyro5.core."
	    "_ExceptionWrapper','exception':{'__class__':'Pyro5.errors."
	    "NamingError'"));
	assert_null(strstr(r, "}},2]"));
	/* An unknown method in a batch fails the whole call. */
	r = call_flags(f, &c, PYRO_SER_SERPENT, PYRO_F_BATCH,
	    "('Pyro.NameServer','<batch>',[('count',(),{}),('nope',(),{})],"
	    "None)", &fl);
	assert_int_equal(fl, PYRO_F_EXCEPTION | PYRO_F_CORR_ID);
	/* The entry limit (3 here): the fourth name is refused. */
	expect(f, &c, "('Pyro.NameServer','register',('b','PYRO:a@h:1'),{})",
	    "None");
	expect_exc(f, &c, "('Pyro.NameServer','register',('c','PYRO:a@h:1'),"
	    "{})", "Pyro5.errors.NamingError", "too many registrations");
	/* JSON in, JSON out, on the same connection. */
	r = call_flags(f, &c, PYRO_SER_JSON, 0, "{\"object\": \"Pyro.NameServer"
	    "\", \"method\": \"list\", \"params\": [], \"kwargs\": "
	    "{\"return_metadata\": true}}", &fl);
	assert_int_equal(fl, PYRO_F_CORR_ID);
	assert_non_null(strstr(r, "{\"Pyro.NameServer\": [\"PYRO:Pyro."
	    "NameServer@127.0.0.1:47190\", [\"class:Pyro5.nameserver."
	    "NameServer\"]], \"ow\": [\"PYRO:a@h:1\", []]"));
	r = call_flags(f, &c, PYRO_SER_JSON, 0, "{\"object\": \"x\"}", &fl);
	assert_true(fl & PYRO_F_EXCEPTION);
	assert_non_null(strstr(r, "\"builtins.KeyError\""));
	r = call_flags(f, &c, PYRO_SER_JSON, 0, "[1", &fl);
	assert_true(fl & PYRO_F_EXCEPTION);
	assert_non_null(strstr(r, "\"builtins.ValueError\""));
	fix_free(f);
}


/* Pyro4 (protocol 48) on the same engine */

/* A Pyro4 message; ann: raw annotation chunks (annlen bytes) or NULL. */
static void
mkmsg4(struct sbuf *m, uint16_t type, uint16_t ser, uint16_t flags,
    uint16_t seq, const void *ann, size_t annlen, const void *payload,
    size_t len)
{
	struct pyro4_hdr	h;
	uint8_t			hb[PYRO4_HDR_LEN];

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.serializer = ser;
	h.flags = flags;
	h.seq = seq;
	h.datalen = (uint32_t)len;
	h.annlen = (uint16_t)annlen;
	pyro4_hdr_build(hb, &h);
	sbuf_add(m, hb, sizeof(hb));
	if (annlen > 0)
		sbuf_add(m, ann, annlen);
	sbuf_add(m, payload, len);
}

/* Replies of a Pyro4 stream, one by one. */
static const uint8_t *
next4(const struct sbuf *out, size_t *off, struct pyro4_hdr *h)
{
	const uint8_t *p = (const uint8_t *)out->p + *off;

	assert_true(out->len - *off >= PYRO4_HDR_LEN);
	assert_int_equal(pyro4_hdr_parse(p, 1 << 24, h), PYRO_OK);
	*off += PYRO4_HDR_LEN + h->annlen + h->datalen;
	assert_true(*off <= out->len);
	return p;
}

/* A Pyro4 handshake (serpent, metadata on connect) on a fresh conn. */
static void
handshake4(struct fix *f, struct nsconn *c, const char *object)
{
	struct sbuf	m;
	char		p[256];
	int		n;

	n = snprintf(p, sizeof(p), SERPENT_HEADER
	    "{'handshake':'hello','object':'%s'}", object);
	sbuf_init(&m, 4096);
	mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_SERPENT, PYRO4_F_META_ON_CONNECT,
	    0, NULL, 0, p, (size_t)n);
	assert_int_equal(feed(f, c, m.p, m.len), 0);
	assert_int_equal(c->state, NSC_READY);
	assert_int_equal(c->proto, NSC_PYRO4);
	sbuf_free(&m);
	f->out.len = 0;
}

/*
 * A Pyro4 call with the payload body (serpent: after the header line);
 * returns the reply payload (static), its flags in *flags (0xffff: no
 * reply) and checks the CORR annotation rule.
 */
static const char *
call4_flags(struct fix *f, struct nsconn *c, uint16_t ser, uint16_t rflags,
    const char *body, uint16_t *flags)
{
	static char		 reply[1 << 16];
	struct sbuf		 m, p;
	struct pyro4_hdr	 h;
	size_t			 off = 0;
	const uint8_t		*r;

	sbuf_init(&p, 1 << 20);
	if (ser == PYRO4_SER_SERPENT)
		sbuf_addc(&p, SERPENT_HEADER);
	sbuf_addc(&p, body);
	sbuf_init(&m, 1 << 20);
	mkmsg4(&m, PYRO_INVOKE, ser, rflags, 7, NULL, 0, p.p, p.len);
	f->out.len = 0;
	assert_int_equal(feed(f, c, m.p, m.len), 0);
	sbuf_free(&m);
	sbuf_free(&p);
	if (f->out.len == 0) {
		*flags = 0xffff;
		return "";
	}
	r = next4(&f->out, &off, &h);
	assert_int_equal(off, f->out.len);
	assert_int_equal(h.type, PYRO_RESULT);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.serializer, ser);
	/* CORR on results, never on exceptions. */
	if (h.flags & PYRO_F_EXCEPTION)
		assert_int_equal(h.annlen, 0);
	else {
		assert_int_equal(h.annlen, 22);
		assert_memory_equal(r + PYRO4_HDR_LEN, "CORR\0\x10", 6);
	}
	assert_true(h.datalen < sizeof(reply));
	memcpy(reply, r + PYRO4_HDR_LEN + h.annlen, h.datalen);
	reply[h.datalen] = '\0';
	*flags = h.flags;
	if (ser == PYRO4_SER_SERPENT)
		return reply + strlen(SERPENT_HEADER);
	return reply;
}

static void
expect4(struct fix *f, struct nsconn *c, const char *body, const char *want)
{
	uint16_t	 fl;
	const char	*got = call4_flags(f, c, PYRO4_SER_SERPENT, 0, body,
			    &fl);

	if (strcmp(got, want) != 0)
		fail_msg("%s\n  gave %s\n  want %s", body, got, want);
	assert_false(fl & PYRO_F_EXCEPTION);
}

static void
expect4_exc(struct fix *f, struct nsconn *c, const char *body,
    const char *cls, const char *msg)
{
	uint16_t	 fl;
	const char	*got = call4_flags(f, c, PYRO4_SER_SERPENT, 0, body,
			    &fl);
	char		 want[256];

	if (fl == 0xffff || !(fl & PYRO_F_EXCEPTION))
		fail_msg("%s: no exception, gave %s", body, got);
	(void)snprintf(want, sizeof(want), "'__class__':'%s'", cls);
	if (strstr(got, want) == NULL || strstr(got, msg) == NULL)
		fail_msg("%s\n  gave %s\n  want %s with %s", body, got, cls,
		    msg);
}

/* Sort string members of sets and lists (metadata lists of Pyro4). */
static void
canon4(struct sval *v)
{
	struct sval	*it, *items[64];
	size_t		 n = 0, i;
	int		 strs = 1;

	if (v->type < SV_TUPLE)
		return;
	for (it = v->u.l.first; it != NULL; it = it->next) {
		canon4(it);
		if (it->type != SV_STR)
			strs = 0;
		if (n < 64)
			items[n++] = it;
	}
	if (!strs || n < 2 || n >= 64 ||
	    (v->type != SV_SET && v->type != SV_LIST))
		return;
	qsort(items, n, sizeof(items[0]), cmp_text);
	v->u.l.first = items[0];
	for (i = 0; i + 1 < n; i++)
		items[i]->next = items[i + 1];
	items[n - 1]->next = NULL;
	v->u.l.last = items[n - 1];
}

static void
canon4_text(uint16_t ser, const uint8_t *p, size_t len, struct sbuf *out)
{
	struct sv_arena	 a;
	struct sval	*v;
	char		 err[256];
	int		 s5 = ser == PYRO4_SER_JSON ? PYRO_SER_JSON :
			    PYRO_SER_SERPENT;

	if (len == 4 && memcmp(p, "pong", 4) == 0) {
		sbuf_add(out, p, len);
		return;
	}
	sv_arena_init(&a, 1 << 24);
	if (pyro_decode(s5, p, len, &a, &v, err, sizeof(err)) != PYRO_OK)
		fail_msg("reply does not decode: %s", err);
	canon4(v);
	assert_int_equal(pyro_encode(s5, v, out), 0);
	sv_arena_reset(&a);
}

/* A nameserver as the Pyro4 vectors' was started: 127.0.0.1:47191. */
static struct fix *
fix4_new(void)
{
	struct fix *f = fix_new(100, NULL);

	f->ns.port = 47191;
	assert_int_equal(ns_register_self(&f->ns), 0);
	return f;
}

/*
 * One recorded Pyro4 stream: our replies equal the recorded ones except
 * the CORR values (random unless the client sent one) and set/metadata
 * order.  Headers are compared whole (seq and checksum included).
 */
static void
replay4(const char *ser, const char *stream)
{
	struct fix	*f = fix4_new();
	struct nsconn	 c = { NSC_HANDSHAKE, "replay4", NSC_PYRO5 };
	char		 path[256], *cli, *srv;
	size_t		 clen, slen, a = 0, b = 0, q = 0;
	int		 k = 0;

	(void)snprintf(path, sizeof(path), "%s/pyro4/%s/%s.client.bin", vec(),
	    ser, stream);
	cli = slurp(path, &clen);
	(void)snprintf(path, sizeof(path), "%s/pyro4/%s/%s.server.bin", vec(),
	    ser, stream);
	srv = slurp(path, &slen);
	(void)feed(f, &c, cli, clen);
	assert_int_equal(c.proto, NSC_PYRO4);
	assert_int_equal(f->out.len, slen);
	while (a < f->out.len) {
		struct pyro4_hdr	 ho, hw, hq;
		const uint8_t		*o, *w, *r;
		struct sbuf		 x, y;
		struct sbuf		 cs = { 0 };

		o = next4(&f->out, &a, &ho);
		cs.p = srv;
		cs.len = slen;
		w = next4(&cs, &b, &hw);
		/* The request this answers (oneway ones get none). */
		cs.p = cli;
		cs.len = clen;
		do
			r = next4(&cs, &q, &hq);
		while (hq.type == PYRO_INVOKE && (hq.flags & PYRO_F_ONEWAY));
		if (memcmp(o, w, PYRO4_HDR_LEN) != 0)
			fail_msg("%s/%s message %d: header differs", ser,
			    stream, k);
		/* Annotations: same chunks; CORR echoed if the client
		 * sent one. */
		assert_int_equal(ho.annlen, hw.annlen);
		if (ho.annlen > 0) {
			assert_int_equal(ho.annlen, 22);
			assert_memory_equal(o + PYRO4_HDR_LEN,
			    w + PYRO4_HDR_LEN, 6);
			if (hq.annlen == 22 && memcmp(r + PYRO4_HDR_LEN,
			    "CORR", 4) == 0)
				assert_memory_equal(o + PYRO4_HDR_LEN + 6,
				    r + PYRO4_HDR_LEN + 6, 16);
		}
		sbuf_init(&x, 1 << 24);
		sbuf_init(&y, 1 << 24);
		canon4_text(ho.serializer, o + PYRO4_HDR_LEN + ho.annlen,
		    ho.datalen, &x);
		canon4_text(hw.serializer, w + PYRO4_HDR_LEN + hw.annlen,
		    hw.datalen, &y);
		if (x.len != y.len || memcmp(x.p, y.p, x.len) != 0)
			fail_msg("%s/%s message %d:\n ours %.*s\n want %.*s",
			    ser, stream, k, (int)x.len, x.p, (int)y.len, y.p);
		sbuf_free(&x);
		sbuf_free(&y);
		k++;
	}
	assert_int_equal(b, slen);
	free(cli);
	free(srv);
	fix_free(f);
}

static void
test_replay_pyro4_vectors(void **state)
{
	static const char *const sers[] = { "serpent", "json" };
	static const char *const streams[] = { "stream-1-nameserver",
	    "stream-2-daemon", "stream-3-unknown-object" };
	size_t i, j;

	(void)state;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++)
			replay4(sers[i], streams[j]);
}

/* vectors/pyro4/cross-version: both versions now get their own answer
 * on our one port; a foreign version gets what each server sends it. */
static void
test_pyro4_cross_version(void **state)
{
	struct fix		*f = fix4_new();
	struct nsconn		 c = { NSC_HANDSHAKE, "x", NSC_PYRO5 };
	struct pyro4_hdr	 h4;
	struct pyro_hdr		 h5;
	char			 path[256], *bin, *want;
	size_t			 len, wlen, off = 0;
	int			 close;

	(void)state;
	/* The Pyro4 CONNECT that pyro5-ns refused: a Pyro4 CONNECTOK,
	 * the same as the Pyro4 nameserver's (serpent/00-handshake). */
	(void)snprintf(path, sizeof(path), "%s/pyro4/cross-version/"
	    "pyro4-client-to-pyro5-server.client.bin", vec());
	bin = slurp(path, &len);
	(void)snprintf(path, sizeof(path), "%s/pyro4/serpent/"
	    "00-handshake.server.bin", vec());
	want = slurp(path, &wlen);
	assert_int_equal(feed(f, &c, bin, len), 0);
	assert_int_equal(c.proto, NSC_PYRO4);
	assert_int_equal(f->out.len, wlen);
	(void)next4(&f->out, &off, &h4);
	assert_int_equal(h4.type, PYRO_CONNECTOK);
	/* Header and the CORR chunk's id and length; the payload once
	 * the method list is sorted. */
	assert_memory_equal(f->out.p, want, PYRO4_HDR_LEN + 6);
	{
		struct sbuf x, y;

		sbuf_init(&x, 1 << 20);
		sbuf_init(&y, 1 << 20);
		canon4_text(PYRO4_SER_SERPENT, (const uint8_t *)f->out.p + 46,
		    wlen - 46, &x);
		canon4_text(PYRO4_SER_SERPENT, (const uint8_t *)want + 46,
		    wlen - 46, &y);
		assert_int_equal(x.len, y.len);
		assert_memory_equal(x.p, y.p, x.len);
		sbuf_free(&x);
		sbuf_free(&y);
	}
	free(bin);
	free(want);
	/* A Pyro5 message on a Pyro4 connection: closed, no reply (what
	 * Pyro4's daemon does after the handshake). */
	(void)snprintf(path, sizeof(path), "%s/pyro4/cross-version/"
	    "pyro5-client-to-pyro4-server.client.bin", vec());
	bin = slurp(path, &len);
	f->out.len = 0;
	assert_int_equal(feed(f, &c, bin, len), 1);
	assert_int_equal(f->out.len, 0);
	/* The Pyro5 CONNECT that the Pyro4 nameserver refused: a Pyro5
	 * CONNECTOK on a fresh connection. */
	c.state = NSC_HANDSHAKE;
	c.proto = NSC_PYRO5;
	assert_int_equal(feed(f, &c, bin, len), 0);
	assert_int_equal(c.proto, NSC_PYRO5);
	assert_int_equal(pyro_hdr_parse((uint8_t *)f->out.p, 1 << 20, &h5),
	    PYRO_OK);
	assert_int_equal(h5.type, PYRO_CONNECTOK);
	/* What a Pyro4 server sends a foreign version, byte for byte: the
	 * Pyro4 engine answers the Pyro5 CONNECT like the recording. */
	(void)snprintf(path, sizeof(path), "%s/pyro4/cross-version/"
	    "pyro5-client-to-pyro4-server.server.bin", vec());
	want = slurp(path, &wlen);
	c.state = NSC_HANDSHAKE;
	c.proto = NSC_PYRO4;
	f->out.len = 0;
	assert_int_equal(ns_proto4_input(&f->ns, &c, (uint8_t *)bin, len,
	    &f->out, &close, &off), len);
	assert_int_equal(close, 1);
	assert_int_equal(f->out.len, wlen);
	assert_memory_equal(f->out.p, want, wlen);
	free(bin);
	free(want);
	fix_free(f);
}

/* A fresh Pyro4 connection sends m; returns the close flag. */
static int
first4(struct fix *f, const struct sbuf *m)
{
	struct nsconn c = { NSC_HANDSHAKE, "t", NSC_PYRO5 };

	f->out.len = 0;
	return feed(f, &c, m->p, m->len);
}

/* The one reply must be a marshal CONNECTFAIL with this text. */
static void
expect_fail4(const struct fix *f, uint16_t seq, const char *text)
{
	struct pyro4_hdr	 h;
	size_t			 off = 0, n = strlen(text);
	const uint8_t		*p = next4(&f->out, &off, &h);

	assert_int_equal(off, f->out.len);
	assert_int_equal(h.type, PYRO_CONNECTFAIL);
	assert_int_equal(h.serializer, PYRO4_SER_MARSHAL);
	assert_int_equal(h.seq, seq);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.annlen, 0);
	assert_int_equal(h.datalen, n + 2);
	assert_int_equal(p[PYRO4_HDR_LEN], 0xfa);
	assert_int_equal(p[PYRO4_HDR_LEN + 1], n);
	assert_memory_equal(p + PYRO4_HDR_LEN + 2, text, n);
}

static void
test_pyro4_handshake(void **state)
{
	struct fix		*f = fix4_new();
	struct nsconn		 c;
	struct sbuf		 m;
	struct pyro4_hdr	 h;
	size_t			 off, used, need;
	int			 close;
	const char		 hs[] = SERPENT_HEADER
				    "{'handshake':'hello','object':"
				    "'Pyro.NameServer'}";
	const uint8_t		*p;
	static const uint8_t	 hmac[] = "HMAC\0\x14" "0123456789abcdefghij";
	static const uint8_t	 corr5[] = "CORR\0\x05" "12345";

	(void)state;
	sbuf_init(&m, 4096);
	/* A client with an HMAC key: what a keyless Pyro4 daemon says,
	 * seq 0, then closed. */
	mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_SERPENT, PYRO4_F_META_ON_CONNECT,
	    5, hmac, 26, hs, sizeof(hs) - 1);
	assert_int_equal(first4(f, &m), 1);
	expect_fail4(f, 0, "hmac key config not symmetric");
	/* Checksum wrong. */
	m.p[23] ^= 1;
	assert_int_equal(first4(f, &m), 1);
	expect_fail4(f, 0, "header checksum mismatch");
	/* First message not a CONNECT: answered from the header alone. */
	m.len = 0;
	mkmsg4(&m, PYRO_INVOKE, PYRO4_SER_SERPENT, 0, 1, NULL, 0, "x", 1);
	assert_int_equal(first4(f, &m), 1);
	expect_fail4(f, 0, "invalid msg type 4 received");
	/* marshal, pickle, anything but serpent and JSON: refused with the
	 * client's seq. */
	m.len = 0;
	mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_MARSHAL, 0, 3, NULL, 0, "x", 1);
	assert_int_equal(first4(f, &m), 1);
	expect_fail4(f, 3, "message used serializer that is not accepted: 3");
	m.len = 0;
	mkmsg4(&m, PYRO_CONNECT, 4, 0, 0, NULL, 0, "x", 1);
	assert_int_equal(first4(f, &m), 1);
	expect_fail4(f, 0, "message used serializer that is not accepted: 4");
	/* A CORR that is not 16 bytes. */
	m.len = 0;
	mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_SERPENT, 0, 2, corr5, 11, hs,
	    sizeof(hs) - 1);
	assert_int_equal(first4(f, &m), 1);
	expect_fail4(f, 2, "bytes is not a 16-char string");
	/* Over the size limit (256 MiB): refused from the header alone. */
	m.len = 0;
	mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_SERPENT, 0, 0, NULL, 0, "x", 1);
	memset(&h, 0, sizeof(h));
	h.type = PYRO_CONNECT;
	h.serializer = PYRO4_SER_SERPENT;
	h.datalen = 0x10000001;
	pyro4_hdr_build((uint8_t *)m.p, &h);
	c.state = NSC_HANDSHAKE;
	c.peer = "t";
	c.proto = NSC_PYRO5;
	f->out.len = 0;
	used = ns_proto_input(&f->ns, &c, (uint8_t *)m.p, PYRO4_HDR_LEN,
	    &f->out, &close, &need);
	assert_int_equal(close, 1);
	assert_true(used > 0);
	expect_fail4(f, 0, "max message size exceeded (268435457 where "
	    "max=65536)");
	/* No META_ON_CONNECT: "hello", the object is not even checked. */
	m.len = 0;
	{
		const char nometa[] = SERPENT_HEADER
		    "{'handshake':'hi','object':'NoSuchObject'}";

		mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_SERPENT, 0, 0, NULL, 0,
		    nometa, sizeof(nometa) - 1);
	}
	assert_int_equal(first4(f, &m), 0);
	off = 0;
	p = next4(&f->out, &off, &h);
	assert_int_equal(h.type, PYRO_CONNECTOK);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.annlen, 22);
	assert_memory_equal(p + PYRO4_HDR_LEN + 22, SERPENT_HEADER "'hello'",
	    h.datalen);
	/* With it: an unknown object is a CONNECTFAIL in the client's
	 * serializer, with CORR (vector 60). */
	m.len = 0;
	{
		const char bad[] = "{\"handshake\": \"hello\", \"object\": "
		    "\"NoSuchObject\"}";

		mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_JSON,
		    PYRO4_F_META_ON_CONNECT, 0, NULL, 0, bad, sizeof(bad) - 1);
	}
	assert_int_equal(first4(f, &m), 1);
	off = 0;
	p = next4(&f->out, &off, &h);
	assert_int_equal(h.type, PYRO_CONNECTFAIL);
	assert_int_equal(h.serializer, PYRO4_SER_JSON);
	assert_memory_equal(p + PYRO4_HDR_LEN + 22, "\"unknown object\"", 16);
	/* Without "handshake": the KeyError's text. */
	m.len = 0;
	mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_SERPENT, 0, 0, NULL, 0, "{}", 2);
	assert_int_equal(first4(f, &m), 1);
	off = 0;
	p = next4(&f->out, &off, &h);
	assert_int_equal(h.type, PYRO_CONNECTFAIL);
	assert_memory_equal(p + PYRO4_HDR_LEN + 22, SERPENT_HEADER
	    "\"'handshake'\"", h.datalen);
	/* A partial message waits and says how much it needs. */
	m.len = 0;
	mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_SERPENT, 0, 0, NULL, 0, hs,
	    sizeof(hs) - 1);
	c.state = NSC_HANDSHAKE;
	c.proto = NSC_PYRO5;
	f->out.len = 0;
	used = ns_proto_input(&f->ns, &c, (uint8_t *)m.p, 10, &f->out, &close,
	    &need);
	assert_int_equal(used, 0);
	used = ns_proto_input(&f->ns, &c, (uint8_t *)m.p, 30, &f->out, &close,
	    &need);
	assert_int_equal(used, 0);
	assert_int_equal(need, m.len);
	assert_int_equal(close, 0);
	used = ns_proto_input(&f->ns, &c, (uint8_t *)m.p, m.len, &f->out,
	    &close, &need);
	assert_int_equal(used, m.len);
	assert_int_equal(c.state, NSC_READY);
	sbuf_free(&m);
	fix_free(f);
}

static void
test_pyro4_after_handshake(void **state)
{
	struct fix		*f = fix4_new();
	struct nsconn		 c = { NSC_HANDSHAKE, "t", NSC_PYRO5 };
	struct sbuf		 m;
	struct pyro4_hdr	 h;
	size_t			 off = 0;
	const uint8_t		*p;
	uint16_t		 fl;
	const char		*r;
	static const uint8_t	 corr[] = "CORR\0\x10" "0123456789abcdef";
	static const uint8_t	 hmac[] = "HMAC\0\x02" "xx";

	(void)state;
	handshake4(f, &c, "Pyro.NameServer");
	sbuf_init(&m, 4096);
	/* Transport ping: same serializer id and seq, "pong", the client's
	 * CORR back. */
	mkmsg4(&m, PYRO_PING, 42, 0, 9, corr, 22, "ping", 4);
	assert_int_equal(feed(f, &c, m.p, m.len), 0);
	p = next4(&f->out, &off, &h);
	assert_int_equal(h.type, PYRO_PING);
	assert_int_equal(h.serializer, 42);
	assert_int_equal(h.seq, 9);
	assert_int_equal(h.flags, 0);
	assert_memory_equal(p + PYRO4_HDR_LEN, corr, 22);
	assert_memory_equal(p + PYRO4_HDR_LEN + 22, "pong", 4);
	/* Broken payloads: exceptions without CORR; the connection lives. */
	expect4_exc(f, &c, "('Pyro.NameServer','ping',(),{}",
	    "builtins.SyntaxError", "");
	expect4_exc(f, &c, "('Pyro.NameServer','ping',())",
	    "builtins.ValueError", "not enough values to unpack");
	r = call4_flags(f, &c, PYRO4_SER_JSON, 0, "{\"object\": "
	    "\"Pyro.NameServer\"}", &fl);
	assert_true(fl & PYRO_F_EXCEPTION);
	assert_non_null(strstr(r, "\"builtins.KeyError\""));
	r = call4_flags(f, &c, PYRO4_SER_SERPENT, PYRO4_F_KEEPSERIALIZED,
	    "('Pyro.NameServer','ping',(),{})", &fl);
	assert_true(fl & PYRO_F_EXCEPTION);
	assert_non_null(strstr(r, "'Pyro4.errors.ProtocolError'"));
	/* Oneway: nothing back, even for an error. */
	r = call4_flags(f, &c, PYRO4_SER_SERPENT, PYRO_F_ONEWAY,
	    "('Pyro.NameServer','nosuch',(),{})", &fl);
	assert_int_equal(fl, 0xffff);
	/* A signed message, a second CONNECT, a RESULT, an unknown
	 * serializer: closed without a word. */
	m.len = 0;
	mkmsg4(&m, PYRO_INVOKE, PYRO4_SER_SERPENT, 0, 1, hmac, 8, "x", 1);
	f->out.len = 0;
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	assert_int_equal(f->out.len, 0);
	m.len = 0;
	mkmsg4(&m, PYRO_CONNECT, PYRO4_SER_SERPENT, 0, 0, NULL, 0, "x", 1);
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	m.len = 0;
	mkmsg4(&m, PYRO_RESULT, PYRO4_SER_SERPENT, 0, 0, NULL, 0, "x", 1);
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	m.len = 0;
	mkmsg4(&m, PYRO_INVOKE, PYRO4_SER_MARSHAL, 0, 0, NULL, 0, "x", 1);
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	/* Annotations that do not tile their area: closed. */
	m.len = 0;
	mkmsg4(&m, PYRO_INVOKE, PYRO4_SER_SERPENT, 0, 0, "XTRA\0\x09x", 7,
	    "", 0);
	assert_int_equal(feed(f, &c, m.p, m.len), 1);
	/* A compressed request. */
	{
		const char	*body = SERPENT_HEADER "('Pyro.NameServer',"
				    "'count',(),{})";
		uint8_t		 z[256];
		uLongf		 zl = sizeof(z);

		assert_int_equal(compress2(z, &zl, (const uint8_t *)body,
		    strlen(body), 4), Z_OK);
		m.len = 0;
		mkmsg4(&m, PYRO_INVOKE, PYRO4_SER_SERPENT, PYRO_F_COMPRESSED, 3,
		    NULL, 0, z, zl);
		f->out.len = 0;
		assert_int_equal(feed(f, &c, m.p, m.len), 0);
		off = 0;
		p = next4(&f->out, &off, &h);
		assert_memory_equal(p + PYRO4_HDR_LEN + 22, SERPENT_HEADER "1",
		    strlen(SERPENT_HEADER "1"));
	}
	sbuf_free(&m);
	fix_free(f);
}

/* The Pyro4 dialect of the nameserver (Pyro4.naming.NameServer). */
static void
test_pyro4_methods(void **state)
{
	struct fix	*f = fix4_new();
	struct nsconn	 c = { NSC_HANDSHAKE, "t", NSC_PYRO5 };
	struct nsconn	 c5 = { NSC_HANDSHAKE, "t5", NSC_PYRO5 };
	uint16_t	 fl;
	const char	*r;

	(void)state;
	handshake4(f, &c, "Pyro.NameServer");
	handshake(f, &c5, "Pyro.NameServer");
	/* The nameserver's own entry, as a Pyro4 client sees it. */
	expect4(f, &c, "('Pyro.NameServer','lookup',('Pyro.NameServer',),"
	    "{'return_metadata':True})",
	    "({'__class__':'Pyro4.core.URI','state':('PYRO','Pyro.NameServer',"
	    "None,'127.0.0.1',47191)},['class:Pyro4.naming.NameServer'])");
	expect4(f, &c, "('Pyro.NameServer','list',(),{'metadata_any':"
	    "['class:Pyro4.naming.NameServer']})",
	    "{'Pyro.NameServer':'PYRO:Pyro.NameServer@127.0.0.1:47191'}");
	expect(f, &c5, "('Pyro.NameServer','lookup',('Pyro.NameServer',),"
	    "{'return_metadata':True})",
	    "({'__class__':'Pyro5.core.URI','state':('PYRO','Pyro.NameServer',"
	    "None,'127.0.0.1',47191)},{'class:Pyro5.nameserver.NameServer'})");
	/* A Pyro5 registration seen by Pyro4 and the other way round. */
	expect(f, &c5, "('Pyro.NameServer','register',('v5.jm','PYRO:a@h:1'),"
	    "{'metadata':{'type:jobmanager','x'}})", "None");
	expect4(f, &c, "('Pyro.NameServer','register',('v4.sched',"
	    "{'__class__':'Pyro4.core.URI','state':('PYRO','b',None,'h',2)}),"
	    "{'metadata':['type:scheduler']})", "None");
	expect4(f, &c, "('Pyro.NameServer','list',(),{'prefix':'v5.',"
	    "'return_metadata':True})",
	    "{'v5.jm':('PYRO:a@h:1',['type:jobmanager','x'])}");
	expect(f, &c5, "('Pyro.NameServer','yplookup',(),{'meta_any':"
	    "{'type:scheduler'}})", "{'v4.sched':('PYRO:b@h:2',"
	    "{'type:scheduler'})}");
	/* list(): metadata filters, one filter given at most (None counts
	 * as not given, an empty one as given), empty ones list all. */
	expect4(f, &c, "('Pyro.NameServer','list',(),{'metadata_all':"
	    "('type:jobmanager','x','x')})", "{'v5.jm':'PYRO:a@h:1'}");
	expect4(f, &c, "('Pyro.NameServer','list',(None,None,None,"
	    "['type:scheduler','type:jobmanager']),{})",
	    "{'v5.jm':'PYRO:a@h:1','v4.sched':'PYRO:b@h:2'}");
	expect4(f, &c, "('Pyro.NameServer','list',(),{'metadata_any':(),"
	    "'prefix':None})", "{'Pyro.NameServer':'PYRO:Pyro.NameServer@"
	    "127.0.0.1:47191','v5.jm':'PYRO:a@h:1','v4.sched':'PYRO:b@h:2'}");
	expect4_exc(f, &c, "('Pyro.NameServer','list',(),{'prefix':'',"
	    "'regex':'x'})", "builtins.ValueError",
	    "you can only filter on one thing at a time");
	expect4_exc(f, &c, "('Pyro.NameServer','list',(),{'metadata_all':"
	    "'type:x'})", "builtins.TypeError",
	    "metadata_all should not be a str");
	expect4_exc(f, &c, "('Pyro.NameServer','list',(),{'metadata_any':5})",
	    "builtins.TypeError", "'int' object is not iterable");
	expect4_exc(f, &c, "('Pyro.NameServer','list',(),{'regex':'('})",
	    "Pyro4.errors.NamingError", "invalid regex");
	/* No yplookup in Pyro4. */
	expect4_exc(f, &c, "('Pyro.NameServer','yplookup',(),{})",
	    "builtins.AttributeError",
	    "'NameServer' object has no attribute 'yplookup'");
	/* Errors: Pyro4 classes. */
	expect4_exc(f, &c, "('Pyro.NameServer','lookup',('nope',),{})",
	    "Pyro4.errors.NamingError", "unknown name: nope");
	expect4_exc(f, &c, "('Pyro.NameServer','register',('x','bad'),{})",
	    "Pyro4.errors.PyroError", "invalid uri");
	expect4_exc(f, &c, "('Pyro.NameServer','register',('x',"
	    "{'__class__':'Pyro5.core.URI','state':('PYRO','b',None,'h',2)}),"
	    "{})", "Pyro4.errors.SerializeError",
	    "unsupported serialized class: Pyro5.core.URI");
	expect4_exc(f, &c, "('Pyro.NameServer','register',('x',"
	    "{'__class__':'a__b'}),{})", "Pyro4.errors.SecurityError",
	    "double underscores");
	expect4_exc(f, &c, "('Pyro.NameServer','register',('v5.jm',"
	    "'PYRO:c@h:3'),{'safe':True})", "Pyro4.errors.NamingError",
	    "name already registered: v5.jm");
	expect4_exc(f, &c, "('NoSuchObject','ping',(),{})",
	    "Pyro4.errors.DaemonError", "unknown object");
	expect4_exc(f, &c, "('Pyro.NameServer','__unicode__',(),{})",
	    "builtins.AttributeError", "attempt to access private attribute");
	expect_exc(f, &c5, "('Pyro.NameServer','__unicode__',(),{})",
	    "builtins.AttributeError", "no attribute '__unicode__'");
	/* remove(name): a missing name falls through to the filters. */
	expect4(f, &c, "('Pyro.NameServer','remove',('nope','v4.'),{})", "1");
	expect4(f, &c, "('Pyro.NameServer','remove',('nope',),{})", "0");
	expect(f, &c5, "('Pyro.NameServer','remove',('nope','v5.'),{})", "0");
	/* Batch: the failing call wrapped as Pyro4's future wrapper. */
	r = call4_flags(f, &c, PYRO4_SER_SERPENT, PYRO_F_BATCH,
	    "('Pyro.NameServer','<batch>',[('count',(),{}),('lookup',"
	    "('nope',),{}),('count',(),{})],None)", &fl);
	assert_int_equal(fl, PYRO_F_BATCH);
	assert_non_null(strstr(r, "[2,{'__class__':'Pyro4.futures."
	    "_ExceptionWrapper','exception':{'__class__':'Pyro4.errors."
	    "NamingError'"));
	/* JSON. */
	r = call4_flags(f, &c, PYRO4_SER_JSON, 0, "{\"object\": "
	    "\"Pyro.NameServer\", \"method\": \"lookup\", \"params\": "
	    "[\"v5.jm\", true], \"kwargs\": {}}", &fl);
	assert_string_equal(r, "[{\"__class__\": \"Pyro4.core.URI\", "
	    "\"state\": [\"PYRO\", \"a\", null, \"h\", 1]}, "
	    "[\"type:jobmanager\", \"x\"]]");
	fix_free(f);
	/* Pyro.Daemon: get_metadata(objectId, as_lists=False). */
	f = fix4_new();
	c.state = NSC_HANDSHAKE;
	c.proto = NSC_PYRO5;
	handshake4(f, &c, "Pyro.Daemon");
	expect4(f, &c, "('Pyro.Daemon','get_metadata',('Pyro.NameServer',),"
	    "{})", "{'methods':{'remove','count','list','register','lookup',"
	    "'ping','set_metadata'},'oneway':(),'attrs':()}");
	expect4(f, &c, "('Pyro.Daemon','get_metadata',('Pyro.NameServer',"
	    "True),{})", "{'methods':['remove','count','list','register',"
	    "'lookup','ping','set_metadata'],'oneway':[],'attrs':[]}");
	expect4_exc(f, &c, "('Pyro.Daemon','get_metadata',('x',),{})",
	    "Pyro4.errors.DaemonError", "unknown object");
	expect4(f, &c, "('Pyro.Daemon','registered',(),{})",
	    "['Pyro.Daemon','Pyro.NameServer']");
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_inflate),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_store_vector),
		cmocka_unit_test(test_store_fresh_and_migrate),
		cmocka_unit_test(test_replay_vectors),
		cmocka_unit_test(test_handshake_failures),
		cmocka_unit_test(test_after_handshake),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_oneway_batch_json),
		cmocka_unit_test(test_replay_pyro4_vectors),
		cmocka_unit_test(test_pyro4_cross_version),
		cmocka_unit_test(test_pyro4_handshake),
		cmocka_unit_test(test_pyro4_after_handshake),
		cmocka_unit_test(test_pyro4_methods),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
