/*
 * test_api_parse.c - unit tests for the api's parsers of untrusted HTTP
 * input (services/api/parse_http.h): the streaming multipart/form-data
 * parser (parse_multipart.c: Content-Type boundaries, bodies as Python
 * requests and browsers send them, every split of a body into two chunks
 * and byte-by-byte feeding, near-miss delimiters, preamble and epilogue,
 * quoted names, the header, part and closing-boundary rules, callback
 * refusal) and parse_form.c (form bodies, the Cookie header, query
 * integers and booleans, 24-hex-digit ids).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_http.h"
#include "util.h"

#define CT	"multipart/form-data; boundary=b0und"

/* ---- multipart: a recorder of callbacks -------------------------------- */

struct rec {
	char	 log[65536];	/* [name|filename|ctype]data] ... */
	size_t	 len;
	int	 open;
	int	 refuse_begin;	/* refuse the Nth part_begin (1-based) */
	int	 nbegin;
	int	 after_refusal;
};

static void
put(struct rec *r, const void *p, size_t n)
{
	if (r->len + n >= sizeof(r->log))
		fail_msg("log overflow");
	memcpy(r->log + r->len, p, n);
	r->len += n;
	r->log[r->len] = '\0';
}

static int
rec_begin(void *arg, const char *name, const char *filename,
    const char *ctype)
{
	struct rec *r = arg;

	if (r->after_refusal)
		fail_msg("callback after a refusal");
	assert_false(r->open);
	r->open = 1;
	put(r, "[", 1);
	put(r, name, strlen(name));
	put(r, "|", 1);
	if (filename == NULL)
		put(r, "<none>", 6);
	else
		put(r, filename, strlen(filename));
	put(r, "|", 1);
	put(r, ctype, strlen(ctype));
	put(r, "]", 1);
	if (++r->nbegin == r->refuse_begin) {
		r->after_refusal = 1;
		return -1;
	}
	return 0;
}

static int
rec_data(void *arg, const uint8_t *p, size_t n)
{
	struct rec *r = arg;

	if (r->after_refusal)
		fail_msg("callback after a refusal");
	assert_true(r->open);
	assert_true(n > 0);
	put(r, p, n);
	return 0;
}

static int
rec_end(void *arg)
{
	struct rec *r = arg;

	if (r->after_refusal)
		fail_msg("callback after a refusal");
	assert_true(r->open);
	r->open = 0;
	put(r, "#", 1);
	return 0;
}

static const struct mp_callbacks rec_cbs = { rec_begin, rec_data, rec_end };

/*
 * Parse body (len bytes) under ctype, fed in chunks of at most step
 * bytes after a first chunk of first bytes (0: no special first chunk).
 * Returns 0 (finished), 1 (feed failed), 2 (finish failed), -1 (ctype
 * refused); the error message in *why.
 */
static int
parse(const char *ctype, const void *body, size_t len, size_t first,
    size_t step, struct rec *r, const char **why)
{
	static char		 err[256];
	struct multipart	*mp;
	const uint8_t		*p = body;
	size_t			 off = 0, n;
	int			 rc = 0;

	r->len = 0;
	r->log[0] = '\0';
	r->open = 0;
	r->nbegin = 0;
	r->after_refusal = 0;
	*why = NULL;
	if ((mp = multipart_new(ctype, &rec_cbs, r, why)) == NULL) {
		assert_non_null(*why);
		return -1;
	}
	while (off < len) {
		n = off == 0 && first > 0 ? first : step;
		if (n > len - off)
			n = len - off;
		if (multipart_feed(mp, p + off, n) != 0) {
			rc = 1;
			break;
		}
		off += n;
	}
	if (rc == 0 && multipart_finish(mp) != 0)
		rc = 2;
	(void)snprintf(err, sizeof(err), "%s", multipart_error(mp));
	*why = err;
	multipart_free(mp);
	return rc;
}

/* A body must give log under every chunking; returns nothing. */
static void
expect_ok(const char *ctype, const char *body, size_t len, const char *log,
    size_t loglen)
{
	struct rec	*r = calloc(1, sizeof(*r));
	const char	*why;
	size_t		 split;

	assert_non_null(r);
	if (parse(ctype, body, len, 0, len + 1, r, &why) != 0)
		fail_msg("refused whole: %s", why);
	if (r->len != loglen || memcmp(r->log, log, loglen) != 0)
		fail_msg("log\n%s\nexpected\n%s", r->log, log);
	for (split = 1; split < len; split++) {
		if (parse(ctype, body, len, split, len, r, &why) != 0)
			fail_msg("refused split at %zu: %s", split, why);
		if (r->len != loglen || memcmp(r->log, log, loglen) != 0)
			fail_msg("split at %zu: log\n%s", split, r->log);
	}
	if (parse(ctype, body, len, 0, 1, r, &why) != 0)
		fail_msg("refused bytewise: %s", why);
	if (r->len != loglen || memcmp(r->log, log, loglen) != 0)
		fail_msg("bytewise: log\n%s", r->log);
	if (parse(ctype, body, len, 0, 3, r, &why) != 0)
		fail_msg("refused in threes: %s", why);
	if (r->len != loglen || memcmp(r->log, log, loglen) != 0)
		fail_msg("in threes: log\n%s", r->log);
	free(r);
}

#define OK(ct, body, log) \
	expect_ok((ct), (body), sizeof(body) - 1, (log), sizeof(log) - 1)

/* A body must fail (rc 1 in feed or 2 in finish, or -1 for ctype), with
 * why in the message, under every chunking. */
static void
expect_bad(const char *ctype, const char *body, size_t len, int want,
    const char *msg)
{
	struct rec	*r = calloc(1, sizeof(*r));
	const char	*why;
	size_t		 split;
	int		 rc;

	assert_non_null(r);
	for (split = 0; split < (len > 0 ? len : 1); split++) {
		rc = parse(ctype, body, len, split, split == 0 ? len + 1 : 1,
		    r, &why);
		if (rc != want)
			fail_msg("rc %d, not %d (split %zu, %s): %s", rc, want,
			    split, why, body);
		if (why == NULL || strstr(why, msg) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", why ? why : "",
			    msg);
	}
	free(r);
}

#define BAD(ct, body, want, msg) \
	expect_bad((ct), (body), sizeof(body) - 1, (want), (msg))

/* ---- multipart tests --------------------------------------------------- */

static void
test_mp_ctype(void **state)
{
	static const char *const good[] = {
		CT,
		"multipart/form-data;boundary=b0und",
		"Multipart/Form-Data; BOUNDARY=b0und",
		"multipart/form-data; charset=utf-8; boundary=b0und",
		"multipart/form-data; boundary=\"b0und\"",
		"multipart/form-data; boundary=b0und;",
		"multipart/form-data ; boundary = b0und ",
		"  multipart/form-data;\tboundary=b0und",
		"multipart/form-data; x=\"a;b\"; boundary=b0und",
	};
	static const char *const bad[][2] = {
		{ "multipart/form-data", "no boundary" },
		{ "multipart/form-data; boundary=", "1 to 70" },
		{ "multipart/form-data; boundary=\"\"", "1 to 70" },
		{ "multipart/mixed; boundary=b0und", "not multipart/form-data" },
		{ "multipart/form-dataX; boundary=b0und",
		    "not multipart/form-data" },
		{ "application/x-www-form-urlencoded", "not multipart" },
		{ "", "not multipart/form-data" },
		{ "multipart/form-data; boundary=a; boundary=a",
		    "more than one boundary" },
		{ "multipart/form-data; boundary=\"a b \"", "ends in a space" },
		{ "multipart/form-data; boundary=a\"b", "malformed" },
		{ "multipart/form-data; boundary=\"ab", "malformed" },
		{ "multipart/form-data; boundary=a<b", "does not allow" },
		{ "multipart/form-data; boundary=a\\b", "does not allow" },
		{ "multipart/form-data, boundary=a", "not multipart" },
		{ "multipart/form-data; boundary", "malformed" },
		{ "multipart/form-data; =x", "malformed" },
		{ "multipart/form-data; boundary=a b", "malformed" },
	};
	char		 ct[128], b71[72];
	const char	*why;
	struct multipart *mp;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		OK(good[i], "--b0und\r\nContent-Disposition: form-data; "
		    "name=a\r\n\r\nx\r\n--b0und--", "[a|<none>|]x#");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		mp = multipart_new(bad[i][0], &rec_cbs, NULL, &why);
		if (mp != NULL)
			fail_msg("accepted: %s", bad[i][0]);
		if (why == NULL || strstr(why, bad[i][1]) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", bad[i][0],
			    why ? why : "", bad[i][1]);
	}
	assert_null(multipart_new(NULL, &rec_cbs, NULL, &why));
	/* 70 characters, every bchar kind, a space inside: fine; 71 not. */
	memset(b71, 'a', 71);
	b71[71] = '\0';
	(void)snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%.70s",
	    b71);
	mp = multipart_new(ct, &rec_cbs, NULL, &why);
	assert_non_null(mp);
	multipart_free(mp);
	(void)snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s",
	    b71);
	assert_null(multipart_new(ct, &rec_cbs, NULL, &why));
	assert_non_null(strstr(why, "1 to 70"));
	OK("multipart/form-data; boundary=\"'()+_,-./:=? x\"",
	    "--'()+_,-./:=? x\r\nContent-Disposition: form-data; name=a\r\n"
	    "\r\nv\r\n--'()+_,-./:=? x--", "[a|<none>|]v#");
	multipart_free(NULL);
}

/* Exactly what requests 2.x (urllib3 2.x) sends for
 * requests.post(url, files=[...], data={...}). */
static const char req_ct[] =
    "multipart/form-data; boundary=2fe5204a573199bb4ec10c3a3176cb6a";
static const char req_body[] =
    "--2fe5204a573199bb4ec10c3a3176cb6a\r\n"
    "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
    "1\r\n"
    "--2fe5204a573199bb4ec10c3a3176cb6a\r\n"
    "Content-Disposition: form-data; name=\"workflow_file\"; "
    "filename=\"wf.py\"\r\n\r\n"
    "import mupif as mp\n\nclass Wf(mp.Workflow):\n    pass\n\r\n"
    "--2fe5204a573199bb4ec10c3a3176cb6a\r\n"
    "Content-Disposition: form-data; name=\"additional_files\"; "
    "filename=\"f\xc3\xbc %22q%22.h5\"\r\n"
    "Content-Type: application/x-hdf5\r\n\r\n"
    "\x89HDF\r\n\x1a\n\r\n--2fe5204a573199bb4ec10c3a3176cb6\r\n--\r\n"
    "--2fe5204a573199bb4ec10c3a3176cb6a\r\n"
    "Content-Disposition: form-data; name=\"additional_files\"; "
    "filename=\"\"\r\n\r\n"
    "\r\n"
    "--2fe5204a573199bb4ec10c3a3176cb6a--\r\n";

static void
test_mp_requests_body(void **state)
{
	(void)state;
	OK(req_ct, req_body,
	    "[a|<none>|]1#"
	    "[workflow_file|wf.py|]import mupif as mp\n\nclass "
	    "Wf(mp.Workflow):\n    pass\n#"
	    "[additional_files|f\xc3\xbc %22q%22.h5|application/x-hdf5]"
	    "\x89HDF\r\n\x1a\n\r\n--2fe5204a573199bb4ec10c3a3176cb6\r\n--#"
	    "[additional_files||]#");
}

static void
test_mp_browser_body(void **state)
{
	(void)state;
	/* Chrome's boundary; a body that ends without CRLF after "--". */
	OK("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
	    "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
	    "Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"r%22s.txt\"\r\n"
	    "Content-Type: text/plain\r\n\r\n"
	    "hello\r\n"
	    "------WebKitFormBoundary7MA4YWxkTrZu0gW--",
	    "[file|r%22s.txt|text/plain]hello#");
}

static void
test_mp_framing(void **state)
{
	(void)state;
	/* Preamble and epilogue are ignored; so is a CRLF-less start. */
	OK(CT, "This is a preamble.\r\nIt mentions --b0un and \r\n--b0un.\r\n"
	    "--b0und\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "x\r\n--b0und--\r\nepilogue\r\n--b0und\r\ngarbage",
	    "[a|<none>|]x#");
	OK(CT, "\r\n--b0und\r\nContent-Disposition: form-data; name=a\r\n"
	    "\r\nx\r\n--b0und--", "[a|<none>|]x#");
	/* Transport padding after a boundary. */
	OK(CT, "--b0und \t \r\nContent-Disposition: form-data; name=a\r\n"
	    "\r\nx\r\n--b0und\t\r\nContent-Disposition: form-data; name=b"
	    "\r\n\r\n\r\n--b0und--", "[a|<none>|]x#[b|<none>|]#");
	/* Zero parts. */
	OK(CT, "--b0und--", "");
	/* Near-misses of the delimiter are data, including CRs. */
	OK(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\r\r\n\r\n-\r\n--\r\n--b\r\n--b0un\r\n--b0unD\r\r\n--b0un\r\r\r"
	    "\n--b0und--",
	    "[a|<none>|]\r\r\n\r\n-\r\n--\r\n--b\r\n--b0un\r\n--b0unD\r\r\n"
	    "--b0un\r\r#");
	/* The delimiter may begin a body: an empty part. */
	OK(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\r\n--b0und--", "[a|<none>|]#");
	/* Binary data with NULs. */
	OK(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n"
	    "\r\n\0\xff\0\r\n--b0und--", "[a|<none>|]\0\xff\0#");
}

static void
test_mp_headers(void **state)
{
	(void)state;
	/* Quoting: \" and \\ unescaped, other backslashes kept (Python's
	 * email package, as Starlette reads them); %22 not decoded. */
	OK(CT, "--b0und\r\nContent-Disposition: form-data; name=\"a\\\"b\"; "
	    "filename=\"C:\\dir\\x \\\\y \\\"z\\\".txt\"\r\n\r\nv\r\n--b0und--",
	    "[a\"b|C:\\dir\\x \\y \"z\".txt|]v#");
	/* Case, unquoted values, spaces, filename* ignored, extra params and
	 * headers ignored, empty filename kept as "". */
	OK(CT, "--b0und\r\ncontent-disposition:FORM-DATA;NAME=f;FileName=a.py"
	    " ; filename*=UTF-8''b.py; size=3\r\nX-Other: y\r\n"
	    "content-type:  text/x-python \r\n"
	    "Content-Transfer-Encoding: BINARY\r\n\r\nv\r\n--b0und--",
	    "[f|a.py|text/x-python]v#");
	OK(CT, "--b0und\r\nContent-Disposition: form-data; name=\"\"; "
	    "filename=\"\"\r\n\r\n\r\n--b0und--", "[||]#");
	OK(CT, "--b0und\r\nContent-Disposition: form-data; name=a; "
	    "filename=\"x;y=z\"\r\n\r\n\r\n--b0und--", "[a|x;y=z|]#");
	/* Non-ASCII bytes pass (the upload layer sanitises names). */
	OK(CT, "--b0und\r\nContent-Disposition: form-data; name=a; "
	    "filename=\"\xe6\x97\xa5\xff.txt\"\r\n\r\n\r\n--b0und--",
	    "[a|\xe6\x97\xa5\xff.txt|]#");
}

static void
test_mp_bad(void **state)
{
	char	*big;
	size_t	 i, n;

	(void)state;
	BAD(CT, "", 2, "before the closing boundary");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "x\r\n--b0und\r\n", 2, "before the closing boundary");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "x", 2, "before the closing boundary");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "x\r\n--b0und-", 2, "before the closing boundary");
	BAD(CT, "--b0undx\r\n", 1, "junk after a boundary");
	BAD(CT, "--b0und-x", 1, "junk after a boundary");
	BAD(CT, "--b0und \tx\r\n", 1, "junk after a boundary");
	BAD(CT, "--b0und\rx", 1, "not ended by CRLF");
	BAD(CT, "--b0und\r\n\r\nx\r\n--b0und--", 1,
	    "without Content-Disposition");
	BAD(CT, "--b0und\r\nContent-Type: text/plain\r\n\r\nx\r\n--b0und--",
	    1, "without Content-Disposition");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\n\r\n"
	    "\r\nx\r\n--b0und--", 1, "bare CR or LF");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\r\n"
	    "\r\nx\r\n--b0und--", 1, "bare CR or LF");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n"
	    "X-A: b\r\n c\r\n\r\nx\r\n--b0und--", 1,
	    "malformed part header line");
	BAD(CT, "--b0und\r\nContent-Disposition form-data; name=a\r\n"
	    "\r\nx\r\n--b0und--", 1, "malformed part header");
	BAD(CT, "--b0und\r\nContent-Disposition : form-data; name=a\r\n"
	    "\r\nx\r\n--b0und--", 1, "malformed part header name");
	BAD(CT, "--b0und\r\n: x\r\nContent-Disposition: form-data; name=a"
	    "\r\n\r\nx\r\n--b0und--", 1, "malformed part header line");
	BAD(CT, "--b0und\r\nContent-Disposition: attachment; name=a\r\n"
	    "\r\nx\r\n--b0und--", 1, "not form-data");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data\r\n"
	    "\r\nx\r\n--b0und--", 1, "has no name");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; filename=a\r\n"
	    "\r\nx\r\n--b0und--", 1, "has no name");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a; name=b"
	    "\r\n\r\nx\r\n--b0und--", 1, "two names");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a; "
	    "filename=x; FILENAME=y\r\n\r\nx\r\n--b0und--", 1,
	    "two file names");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=\"a\r\n"
	    "\r\nx\r\n--b0und--", 1, "malformed");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\"b\r\n"
	    "\r\nx\r\n--b0und--", 1, "malformed");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a x\r\n"
	    "\r\nx\r\n--b0und--", 1, "malformed Content-Disposition");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name\r\n"
	    "\r\nx\r\n--b0und--", 1, "malformed Content-Disposition");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data name=a\r\n"
	    "\r\nx\r\n--b0und--", 1, "malformed Content-Disposition");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n"
	    "Content-Disposition: form-data; name=a\r\n\r\nx\r\n--b0und--",
	    1, "two Content-Disposition");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n"
	    "Content-Type: a\r\ncontent-type: b\r\n\r\nx\r\n--b0und--", 1,
	    "two Content-Type");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nYQ==\r\n--b0und--", 1,
	    "Content-Transfer-Encoding");
	BAD(CT, "--b0und\r\nContent-Disposition: form-data; name=a\0"
	    "\r\n\r\nx\r\n--b0und--", 1, "NUL");
	/* Names and types: 255 bytes fit, 256 do not. */
	n = 512;
	big = malloc(n + 200);
	assert_non_null(big);
	for (i = 255; i <= 256; i++) {
		struct rec	*r = calloc(1, sizeof(*r));
		const char	*why;
		int		 len, rc;
		char		 v[300];

		assert_non_null(r);
		memset(v, 'n', i);
		v[i] = '\0';
		len = snprintf(big, n + 200, "--b0und\r\nContent-Disposition: "
		    "form-data; name=\"%s\"\r\n\r\n\r\n--b0und--", v);
		rc = parse(CT, big, (size_t)len, 0, 7, r, &why);
		assert_int_equal(rc, i == 255 ? 0 : 1);
		len = snprintf(big, n + 200, "--b0und\r\nContent-Disposition: "
		    "form-data; name=a; filename=%s\r\n\r\n\r\n--b0und--", v);
		rc = parse(CT, big, (size_t)len, 0, 7, r, &why);
		assert_int_equal(rc, i == 255 ? 0 : 1);
		len = snprintf(big, n + 200, "--b0und\r\nContent-Disposition: "
		    "form-data; name=a\r\nContent-Type: %s\r\n\r\n\r\n"
		    "--b0und--", v);
		rc = parse(CT, big, (size_t)len, 0, 7, r, &why);
		assert_int_equal(rc, i == 255 ? 0 : 1);
		free(r);
	}
	free(big);
}

static void
test_mp_caps(void **state)
{
	static const char part[] = "--b0und\r\nContent-Disposition: "
	    "form-data; name=p\r\n\r\nd\r\n";
	struct rec	*r = calloc(1, sizeof(*r));
	const char	*why;
	char		*b;
	size_t		 i, len, cap = 200 * sizeof(part) + 20000;

	(void)state;
	assert_non_null(r);
	assert_non_null(b = malloc(cap));
	/* 128 parts are fine, 129 are too many. */
	for (len = 0, i = 0; i < 128; i++) {
		memcpy(b + len, part, sizeof(part) - 1);
		len += sizeof(part) - 1;
	}
	memcpy(b + len, "--b0und--", 9);
	assert_int_equal(parse(CT, b, len + 9, 0, 4096, r, &why), 0);
	memcpy(b + len, part, sizeof(part) - 1);
	len += sizeof(part) - 1;
	memcpy(b + len, "--b0und--", 9);
	assert_int_equal(parse(CT, b, len + 9, 0, 4096, r, &why), 1);
	assert_non_null(strstr(why, "too many parts"));
	/* A header block of 8192 bytes is fine, 8193 is too large. */
	for (i = 8192; i <= 8193; i++) {
		size_t	 hl;
		int	 n;

		n = snprintf(b, cap, "--b0und\r\nContent-Disposition: "
		    "form-data; name=p\r\nX-Pad: ");
		/* The block: the two lines, the pad, CRLF, CRLF. */
		hl = (size_t)n - 9;
		memset(b + n, 'x', i - hl - 4);
		len = (size_t)n + i - hl - 4;
		memcpy(b + len, "\r\n\r\nd\r\n--b0und--", 16);
		len += 16;
		assert_int_equal(parse(CT, b, len, 0, 1000, r, &why),
		    i == 8192 ? 0 : 1);
		if (i == 8193)
			assert_non_null(strstr(why, "headers too large"));
	}
	free(b);
	free(r);
}

static void
test_mp_refusal(void **state)
{
	struct rec		*r = calloc(1, sizeof(*r));
	struct multipart	*mp;
	static const char	 body[] = "--b0und\r\nContent-Disposition: "
	    "form-data; name=a\r\n\r\nx\r\n--b0und\r\nContent-Disposition: "
	    "form-data; name=b\r\n\r\ny\r\n--b0und--";

	(void)state;
	assert_non_null(r);
	r->refuse_begin = 2;
	mp = multipart_new(CT, &rec_cbs, r, NULL);
	assert_non_null(mp);
	assert_int_equal(multipart_feed(mp, (const uint8_t *)body,
	    sizeof(body) - 1), -1);
	assert_non_null(strstr(multipart_error(mp), "refused"));
	assert_string_equal(r->log, "[a|<none>|]x#[b|<none>|]");
	/* Stays failed; finish fails too. */
	assert_int_equal(multipart_feed(mp, (const uint8_t *)"x", 1), -1);
	assert_int_equal(multipart_finish(mp), -1);
	multipart_free(mp);
	/* Callbacks may be NULL. */
	mp = multipart_new(CT, NULL, NULL, NULL);
	assert_non_null(mp);
	assert_int_equal(multipart_feed(mp, (const uint8_t *)body,
	    sizeof(body) - 1), 0);
	assert_int_equal(multipart_finish(mp), 0);
	assert_string_equal(multipart_error(mp), "no error");
	multipart_free(mp);
	free(r);
}

/* ---- form ------------------------------------------------------------ */

static void
test_form(void **state)
{
	struct form	 f;
	const char	*v;
	size_t		 vl;
	char		 many[2048];
	size_t		 i, n = 0;

	(void)state;
	/* As requests sends data={"username": ..., "password": ...}. */
	static const char login[] = "username=admin%40example.com&password="
	    "p%40ss+w%C3%B6rd%26%3D&grant_type=password";
	assert_int_equal(form_parse(login, sizeof(login) - 1, &f), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(form_get(&f, "username", NULL),
	    "admin@example.com");
	assert_string_equal(form_get(&f, "password", &vl),
	    "p@ss w\xc3\xb6rd&=");
	assert_int_equal(vl, 12);
	assert_string_equal(form_get(&f, "grant_type", NULL), "password");
	assert_null(form_get(&f, "scope", NULL));
	form_free(&f);
	assert_int_equal(f.n, 0);
	/* Empty pairs skipped; no '=' means an empty value; first wins;
	 * a value may hold NUL; names are decoded too. */
	static const char odd[] = "&&a&b=&=c&d=1&d=2&v=x%00y&%61%62=z&";
	assert_int_equal(form_parse(odd, sizeof(odd) - 1, &f), 0);
	assert_string_equal(form_get(&f, "a", &vl), "");
	assert_int_equal(vl, 0);
	assert_string_equal(form_get(&f, "b", NULL), "");
	assert_string_equal(form_get(&f, "", NULL), "c");
	assert_string_equal(form_get(&f, "d", NULL), "1");
	v = form_get(&f, "v", &vl);
	assert_non_null(v);
	assert_int_equal(vl, 3);
	assert_memory_equal(v, "x\0y", 3);
	assert_string_equal(form_get(&f, "ab", NULL), "z");
	form_free(&f);
	assert_int_equal(form_parse("", 0, &f), 0);
	assert_int_equal(f.n, 0);
	form_free(&f);
	/* Bad escapes, NUL in a name, too many fields. */
	static const char *const bad[] = { "a=%", "a=%4", "a=%4g", "a=%g4",
	    "%zz=1", "a%00b=1", "x=1&a=b%" };
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (form_parse(bad[i], strlen(bad[i]), &f) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(f.n, 0);
	}
	for (i = 0; i < FORM_FIELDS_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "f%zu=%zu&",
		    i, i);
	assert_int_equal(form_parse(many, n, &f), 0);
	assert_int_equal(f.n, FORM_FIELDS_MAX);
	form_free(&f);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "x=y");
	assert_int_equal(form_parse(many, n, &f), -1);
	form_free(&f);
	form_free(NULL);
	/* The body is length-bounded: nothing past len is read. */
	assert_int_equal(form_parse("a=1&b=2", 3, &f), 0);
	assert_int_equal(f.n, 1);
	assert_null(form_get(&f, "b", NULL));
	form_free(&f);
}

/* ---- cookies --------------------------------------------------------- */

static int
ck(const char *hdr, const char *name, char *out, size_t outlen)
{
	return cookie_get(hdr, strlen(hdr), name, out, outlen);
}

static void
test_cookie(void **state)
{
	char	out[64];

	(void)state;
	assert_int_equal(ck("access_token=abc.def.ghi", "access_token", out,
	    sizeof(out)), 1);
	assert_string_equal(out, "abc.def.ghi");
	assert_int_equal(ck("a=1; access_token=\"q.r\" ; b=2", "access_token",
	    out, sizeof(out)), 1);
	assert_string_equal(out, "q.r");
	assert_int_equal(ck("x_access_token=1;access_token=2", "access_token",
	    out, sizeof(out)), 1);
	assert_string_equal(out, "2");
	/* First match wins, spaces around names and values trimmed. */
	assert_int_equal(ck(" t = 1 ;t=2", "t", out, sizeof(out)), 1);
	assert_string_equal(out, "1");
	assert_int_equal(ck("t=", "t", out, sizeof(out)), 1);
	assert_string_equal(out, "");
	/* Pairs without '=' are skipped; names are case-sensitive. */
	assert_int_equal(ck("junk; t=5", "t", out, sizeof(out)), 1);
	assert_string_equal(out, "5");
	assert_int_equal(ck("T=1; tt=2; junk", "t", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(ck("", "t", out, sizeof(out)), 0);
	assert_int_equal(ck(";;; ;", "t", out, sizeof(out)), 0);
	/* Too long for out, control characters: malformed. */
	assert_int_equal(ck("t=12345", "t", out, 5), -1);
	assert_int_equal(ck("t=1234", "t", out, 5), 1);
	assert_int_equal(ck("t=a\x01z", "t", out, sizeof(out)), -1);
	assert_int_equal(ck("t=1", "t", out, 0), -1);
	/* Length-bounded. */
	assert_int_equal(cookie_get("t=12;u=3", 3, "t", out, sizeof(out)), 1);
	assert_string_equal(out, "1");
	assert_int_equal(cookie_get("t=12;u=3", 3, "u", out, sizeof(out)), 0);
}

/* ---- query values ----------------------------------------------------- */

static void
test_query(void **state)
{
	long long	v;
	int		b;
	size_t		i;

	(void)state;
	assert_int_equal(query_int("20", 1, 1000, &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(query_int("+7", -10, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(query_int("-10", -10, 10, &v), 0);
	assert_int_equal(v, -10);
	assert_int_equal(query_int("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(query_int("9223372036854775807", 0, LLONG_MAX, &v),
	    0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(query_int("-9223372036854775808", LLONG_MIN, 0, &v),
	    0);
	assert_true(v == LLONG_MIN);
	static const char *const bad[] = { "", "+", "-", " 1", "1 ", "1x",
	    "0x10", "1e3", "1.0", "--1", "+-1", "9223372036854775808",
	    "-9223372036854775809", "99999999999999999999999" };
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (query_int(bad[i], LLONG_MIN, LLONG_MAX, &v) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(v, 12345);
	}
	assert_int_equal(query_int(NULL, 0, 1, &v), -1);
	assert_int_equal(query_int("11", 0, 10, &v), -1);
	assert_int_equal(query_int("-1", 0, 10, &v), -1);

	static const char *const t[] = { "true", "TRUE", "True", "1", "yes",
	    "YES", "on", "On" };
	static const char *const f[] = { "false", "FALSE", "0", "no", "No",
	    "off", "OFF" };
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b = -1;
		assert_int_equal(query_bool(t[i], &b), 0);
		assert_int_equal(b, 1);
	}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		b = -1;
		assert_int_equal(query_bool(f[i], &b), 0);
		assert_int_equal(b, 0);
	}
	static const char *const nb[] = { "", "t", "2", "truee", " true",
	    "yes ", "nope", "01" };
	for (i = 0; i < sizeof(nb) / sizeof(nb[0]); i++) {
		b = 7;
		assert_int_equal(query_bool(nb[i], &b), -1);
		assert_int_equal(b, 7);
	}
	assert_int_equal(query_bool(NULL, &b), -1);

	assert_int_equal(util_hex24("6661a1f0c3d4e5f601234580"), 1);
	assert_int_equal(util_hex24("0123456789abcdef01234567"), 1);
	assert_int_equal(util_hex24("6661a1f0c3d4e5f60123458"), 0);
	assert_int_equal(util_hex24("6661a1f0c3d4e5f6012345801"), 0);
	assert_int_equal(util_hex24("6661a1f0c3d4e5f60123458g"), 0);
	assert_int_equal(util_hex24("6661A1F0C3D4E5F601234580"), 0);
	assert_int_equal(util_hex24(""), 0);
	assert_int_equal(util_hex24(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mp_ctype),
		cmocka_unit_test(test_mp_requests_body),
		cmocka_unit_test(test_mp_browser_body),
		cmocka_unit_test(test_mp_framing),
		cmocka_unit_test(test_mp_headers),
		cmocka_unit_test(test_mp_bad),
		cmocka_unit_test(test_mp_caps),
		cmocka_unit_test(test_mp_refusal),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
