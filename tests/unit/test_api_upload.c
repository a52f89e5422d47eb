/*
 * test_api_upload.c - unit tests for services/api/api_upload.c, the two
 * multipart uploads, against a fake broker peer (a thread on the other
 * end of a SOCK_SEQPACKET pair that answers file.put, sched.inspect and
 * the workflow operations as the db and the scheduler would, and records
 * which operations were asked).
 *
 * POST /api/file: the part is stored from a sealed memfd under its
 * sanitised name; missing, doubled, oversized and malformed uploads get
 * 422/413; db failures map to 413/503.  Workflow upload: the zip holds
 * the main file first and the extra files flat under their names; new
 * and existing wid give insert or history_insert + update with the right
 * Version; a refused or unavailable inspection, incomplete metadata and
 * bad file names write nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zip.h>

#include "api_upload.h"
#include "bchan.h"
#include "json.h"
#include "msg.h"
#include "util.h"

#define CT	"multipart/form-data; boundary=XyZ"
#define FID	"0123456789abcdef01234567"
#define WFID	"6661a1f0c3d4e5f601234580"
#define MAX	(1024 * 1024)

/* ---- the fake peer ------------------------------------------------------ */

static struct fake {
	struct bchan	 bc;
	pthread_t	 th;
	char		 ops[1024];	/* "file.put,sched.inspect,..." */
	/* file.put */
	int		 put_status;
	char		 put_req[1024];
	char		*put_data;
	size_t		 put_len;
	int		 put_sealed;
	/* sched.inspect */
	int		 insp_status;
	const char	*insp_reply;
	char		 insp_req[1024];
	char		 zip_names[1024];	/* "a|b|c" */
	char		 zip_first[4096];	/* content of the first entry */
	/* workflows */
	char		*current;		/* Workflows doc, or NULL */
	char		 hist_req[8192];
	char		 write_req[8192];	/* insert or update payload */
} F;

static const char meta_ok[] = "{\"wid\":\"wf1\",\"Description\":\"A wf\","
    "\"classname\":\"Wf\",\"modulename\":\"ignored\",\"IOCard\":{\"Inputs\":"
    "[{\"Name\":\"T\",\"Type\":\"mupif.Property\",\"Units\":\"K\","
    "\"Compulsory\":true}],\"Outputs\":[]},\"Models\":[{\"Name\":\"m\","
    "\"Jobmanager\":\"jm\"}],\"EDMMapping\":[]}";

static void
note(const char *op)
{
	if (F.ops[0] != '\0')
		(void)strlcat(F.ops, ",", sizeof(F.ops));
	(void)strlcat(F.ops, op, sizeof(F.ops));
}

static void
reply(const struct msg *m, int st, const char *body)
{
	bchan_reply(&F.bc, m, (unsigned)st, body, body ? strlen(body) : 0);
}

static void
copy_req(char *dst, size_t dlen, const struct msg *m)
{
	size_t n = m->datalen < dlen - 1 ? m->datalen : dlen - 1;

	memcpy(dst, m->data, n);
	dst[n] = '\0';
}

static void
fake_inspect(const struct msg *m)
{
	zip_source_t	*src;
	zip_t		*za;
	zip_error_t	 ze;
	char		*data = NULL;
	size_t		 len = 0;
	zip_int64_t	 i, n;

	copy_req(F.insp_req, sizeof(F.insp_req), m);
	F.zip_names[0] = F.zip_first[0] = '\0';
	if (m->fd != -1 && lseek(m->fd, 0, SEEK_SET) == 0 &&
	    util_read_fd(m->fd, MAX * 2, &data, &len) == 0) {
		zip_error_init(&ze);
		src = zip_source_buffer_create(data, len, 0, &ze);
		za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS,
		    &ze) : NULL;
		n = za ? zip_get_num_entries(za, 0) : 0;
		for (i = 0; i < n; i++) {
			if (i > 0)
				(void)strlcat(F.zip_names, "|",
				    sizeof(F.zip_names));
			(void)strlcat(F.zip_names, zip_get_name(za,
			    (zip_uint64_t)i, ZIP_FL_ENC_RAW),
			    sizeof(F.zip_names));
		}
		if (n > 0) {
			zip_file_t *zf = zip_fopen_index(za, 0, 0);
			zip_int64_t r = zf ? zip_fread(zf, F.zip_first,
			    sizeof(F.zip_first) - 1) : -1;

			F.zip_first[r > 0 ? r : 0] = '\0';
			if (zf)
				(void)zip_fclose(zf);
		}
		if (za)
			zip_discard(za);
		else if (src)
			zip_source_free(src);
		zip_error_fini(&ze);
		free(data);
	}
	if (F.insp_status == MST_OK)
		reply(m, MST_OK, F.insp_reply);
	else if (F.insp_status == MST_BADREQ)
		reply(m, MST_BADREQ, "{\"detail\":\"ImportError: No module "
		    "named 'mupif_missing'\"}");
	else
		reply(m, F.insp_status, NULL);
}

static void
fake_put(const struct msg *m)
{
	copy_req(F.put_req, sizeof(F.put_req), m);
	free(F.put_data);
	F.put_data = NULL;
	F.put_len = 0;
	F.put_sealed = 0;
	if (m->fd != -1) {
		F.put_sealed = (fcntl(m->fd, F_GET_SEALS) & F_SEAL_WRITE) != 0;
		if (lseek(m->fd, 0, SEEK_SET) != 0 ||
		    util_read_fd(m->fd, MAX * 2, &F.put_data, &F.put_len) != 0)
			F.put_data = NULL;
	}
	if (F.put_status != MST_OK)
		reply(m, F.put_status, "{\"detail\":\"no room\"}");
	else
		reply(m, MST_OK, "{\"_id\":\"" FID "\"}");
}

static void *
fake_main(void *arg)
{
	struct msg	 m;
	char		 buf[16384];

	(void)arg;
	while (bchan_serve_one(&F.bc, &m) == 1) {
		note(msg_type_name(m.hdr.type));
		switch (m.hdr.type) {
		case MSG_FILE_PUT:
			fake_put(&m);
			break;
		case MSG_SCHED_INSPECT:
			fake_inspect(&m);
			break;
		case MSG_WORKFLOW_GET_VERSION:
			if (F.current == NULL)
				reply(&m, MST_NOTFOUND, "{\"detail\":\"none\"}");
			else
				reply(&m, MST_OK, F.current);
			break;
		case MSG_WORKFLOW_HISTORY_INSERT:
			copy_req(F.hist_req, sizeof(F.hist_req), &m);
			reply(&m, MST_OK, "{\"_id\":\"aaaaaaaaaaaaaaaaaaaaaaaa\"}");
			break;
		case MSG_WORKFLOW_INSERT:
			copy_req(F.write_req, sizeof(F.write_req), &m);
			reply(&m, MST_OK, "{\"_id\":\"" WFID "\"}");
			break;
		case MSG_WORKFLOW_UPDATE:
			copy_req(F.write_req, sizeof(F.write_req), &m);
			/* The stored document: the update plus its _id. */
			(void)snprintf(buf, sizeof(buf), "{\"_id\":\"" WFID
			    "\",%s", F.write_req + 1);
			reply(&m, MST_OK, buf);
			break;
		default:
			reply(&m, MST_BADREQ, "{\"detail\":\"unexpected\"}");
			break;
		}
		if (m.fd != -1)
			(void)close(m.fd);
	}
	return NULL;
}

static struct bchan api_bc;

static int
setup(void **state)
{
	int sv[2];

	(void)state;
	free(F.put_data);
	memset(&F, 0, sizeof(F));
	F.insp_status = MST_OK;
	F.insp_reply = meta_ok;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    bchan_init(&api_bc, sv[0]) == -1 || bchan_init(&F.bc, sv[1]) == -1 ||
	    pthread_create(&F.th, NULL, fake_main, NULL) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)shutdown(api_bc.fd, SHUT_RDWR);
	(void)pthread_join(F.th, NULL);
	(void)close(api_bc.fd);
	(void)close(F.bc.fd);
	bchan_free(&api_bc);
	bchan_free(&F.bc);
	free(F.put_data);
	F.put_data = NULL;
	free(F.current);
	F.current = NULL;
	return 0;
}

/* ---- bodies ------------------------------------------------------------- */

struct part {
	const char	*name;
	const char	*filename;	/* NULL: no filename parameter */
	const char	*ctype;		/* NULL: no Content-Type header */
	const char	*data;
	size_t		 len;		/* 0: strlen(data) */
};

/* A body with boundary XyZ (as requests builds them); caller frees. */
static char *
body_of(const struct part *p, size_t n, size_t *len)
{
	size_t	cap = 4096, o = 0, i, dl;
	char	*b;

	for (i = 0; i < n; i++)
		cap += 1024 + (p[i].len ? p[i].len : strlen(p[i].data));
	b = malloc(cap);
	assert_non_null(b);
	for (i = 0; i < n; i++) {
		o += (size_t)snprintf(b + o, cap - o, "--XyZ\r\n"
		    "Content-Disposition: form-data; name=\"%s\"", p[i].name);
		if (p[i].filename != NULL)
			o += (size_t)snprintf(b + o, cap - o,
			    "; filename=\"%s\"", p[i].filename);
		o += (size_t)snprintf(b + o, cap - o, "\r\n");
		if (p[i].ctype != NULL)
			o += (size_t)snprintf(b + o, cap - o,
			    "Content-Type: %s\r\n", p[i].ctype);
		o += (size_t)snprintf(b + o, cap - o, "\r\n");
		dl = p[i].len ? p[i].len : strlen(p[i].data);
		memcpy(b + o, p[i].data, dl);
		o += dl;
		o += (size_t)snprintf(b + o, cap - o, "\r\n");
	}
	o += (size_t)snprintf(b + o, cap - o, "--XyZ--\r\n");
	*len = o;
	return b;
}

/* Run an upload of parts; returns the HTTP status, body in *out (freed
 * by the caller).  A refusal while feeding gives its status and detail. */
static int
run(enum upload_kind kind, const struct part *p, size_t n, uint64_t max,
    size_t chunk, char **out)
{
	struct upload	*u;
	char		*b, detail[512];
	size_t		 len, off, k, blen;
	int		 st = 0;

	*out = NULL;
	b = body_of(p, n, &len);
	u = upload_new(kind, CT, max, &st, detail, sizeof(detail));
	assert_non_null(u);
	for (off = 0; off < len; off += k) {
		k = len - off < chunk ? len - off : chunk;
		if (upload_feed(u, (uint8_t *)b + off, k, &st, detail,
		    sizeof(detail)) == -1) {
			assert_true(st >= 400);
			*out = strdup(detail);
			upload_free(u);
			free(b);
			return st;
		}
	}
	free(b);
	st = upload_finish(u, &api_bc, kind == UPLOAD_WORKFLOW ? "Demo" :
	    NULL, out, &blen);
	assert_non_null(*out);
	assert_int_equal(strlen(*out), blen);
	upload_free(u);
	return st;
}

static yajl_val
parse(const char *s)
{
	char		e[128];
	yajl_val	v = json_parse(s, strlen(s), MAX, 32, e, sizeof(e));

	if (v == NULL)
		fail_msg("not JSON (%s): %s", e, s);
	return v;
}

/* ---- POST /api/file ----------------------------------------------------- */

static void
test_file_ok(void **state)
{
	static const char data[] = "line 1\r\nline 2\n--XyZ\r\n\r\n--XyY-\r\n\r";
	struct part	p[] = {
		{ "other", NULL, NULL, "ignored", 0 },
		{ "file", "workflow.log", "text/plain", data, 0 },
		{ "more", "x.bin", NULL, "also ignored", 0 },
	};
	char		*out;
	size_t		 chunk;

	(void)state;
	for (chunk = 1; chunk < 300; chunk = chunk * 3 + 1) {
		F.ops[0] = '\0';
		assert_int_equal(run(UPLOAD_FILE, p, 3, MAX, chunk, &out), 200);
		assert_string_equal(out, "\"" FID "\"");
		free(out);
		assert_string_equal(F.ops, "file.put");
		assert_string_equal(F.put_req, "{\"filename\":\"workflow.log\","
		    "\"content_type\":\"text/plain\"}");
		assert_int_equal(F.put_len, sizeof(data) - 1);
		assert_memory_equal(F.put_data, data, sizeof(data) - 1);
		assert_true(F.put_sealed);
	}
	/* Empty file, binary content, no Content-Type. */
	p[1].ctype = NULL;
	p[1].data = "\0\r\n\xff";
	p[1].len = 4;
	assert_int_equal(run(UPLOAD_FILE, p + 1, 1, MAX, 5, &out), 200);
	free(out);
	assert_string_equal(F.put_req, "{\"filename\":\"workflow.log\"}");
	assert_int_equal(F.put_len, 4);
	assert_memory_equal(F.put_data, "\0\r\n\xff", 4);
}

static void
test_file_names(void **state)
{
	static const char *const names[][2] = {
		{ "../../etc/passwd", "passwd" },
		{ "C:\\\\Users\\\\x\\\\a.txt", "a.txt" },	/* \\ escapes */
		{ "C:\\dir\\b.txt", "b.txt" },
		{ "/abs/", "file" },
		{ "", "file" },
		{ ".", "file" },
		{ "..", "__" },
		{ "a..b...c.d", "a__b___c.d" },
		{ ".hidden", ".hidden" },
		{ "a\x01" "b\x7f" "c", "abc" },
		{ "\xff\xfe.h5", "__.h5" },
		{ "f\xc3\xbc.h5", "f\xc3\xbc.h5" },
		{ "\xed\xa0\x80.x", "___.x" },		/* a surrogate */
		{ "%22q%22", "%22q%22" },
	};
	struct part	 p = { "file", NULL, NULL, "x", 0 };
	yajl_val	 v;
	char		*out;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p.filename = names[i][0];
		assert_int_equal(run(UPLOAD_FILE, &p, 1, MAX, 64, &out), 200);
		free(out);
		v = parse(F.put_req);
		if (strcmp(json_get_str(v, "filename"), names[i][1]) != 0)
			fail_msg("%s -> %s, not %s", names[i][0],
			    json_get_str(v, "filename"), names[i][1]);
		yajl_tree_free(v);
	}
	/* No filename parameter at all. */
	p.filename = NULL;
	assert_int_equal(run(UPLOAD_FILE, &p, 1, MAX, 64, &out), 200);
	free(out);
	assert_string_equal(F.put_req, "{\"filename\":\"file\"}");
	/* A Content-Type that is not printable ASCII is not passed on. */
	p.ctype = "text/\xc3\xbc";
	assert_int_equal(run(UPLOAD_FILE, &p, 1, MAX, 64, &out), 200);
	free(out);
	assert_string_equal(F.put_req, "{\"filename\":\"file\"}");
}

static void
test_file_refused(void **state)
{
	struct part	 p[] = {
		{ "file", "a", NULL, "0123456789", 0 },
		{ "file", "b", NULL, "x", 0 },
	};
	struct part	 other = { "files", "a", NULL, "x", 0 };
	struct upload	*u;
	yajl_val	 v;
	char		*out, detail[256];
	size_t		 blen;
	int		 st;

	(void)state;
	/* No part named file: FastAPI's 422 shape. */
	assert_int_equal(run(UPLOAD_FILE, &other, 1, MAX, 64, &out), 422);
	v = parse(out);
	assert_int_equal(json_get(v, "status_code")->u.number.i, 422);
	assert_non_null(strstr(json_get_str(v, "message"), "'file'"));
	assert_true(YAJL_IS_NULL(json_get(v, "data")));
	yajl_tree_free(v);
	free(out);
	/* Two of them. */
	assert_int_equal(run(UPLOAD_FILE, p, 2, MAX, 64, &out), 422);
	assert_non_null(strstr(out, "more than one"));
	free(out);
	/* The cap: exactly max is fine, one more is 413; ignored parts
	 * count. */
	assert_int_equal(run(UPLOAD_FILE, p, 1, 10, 3, &out), 200);
	free(out);
	assert_int_equal(run(UPLOAD_FILE, p, 1, 9, 3, &out), 413);
	free(out);
	other.data = "y";
	struct part two[] = { other, p[0] };
	assert_int_equal(run(UPLOAD_FILE, two, 2, 10, 3, &out), 413);
	free(out);
	assert_string_equal(F.ops, "file.put");	/* only the first run */
	/* The raw body is capped too (preamble, headers). */
	u = upload_new(UPLOAD_FILE, CT, 10, &st, detail, sizeof(detail));
	assert_non_null(u);
	{
		static uint8_t pre[64 * 1024];
		size_t i;

		memset(pre, 'p', sizeof(pre));
		for (i = 0; i < 16; i++)
			assert_int_equal(upload_feed(u, pre, sizeof(pre), &st,
			    detail, sizeof(detail)), 0);
		assert_int_equal(upload_feed(u, pre, 10, &st, detail,
		    sizeof(detail)), 0);
		assert_int_equal(upload_feed(u, pre, 1, &st, detail,
		    sizeof(detail)), -1);
		assert_int_equal(st, 413);
	}
	upload_free(u);
	/* Malformed while feeding; unterminated at the end. */
	u = upload_new(UPLOAD_FILE, CT, MAX, &st, detail, sizeof(detail));
	assert_non_null(u);
	assert_int_equal(upload_feed(u, (const uint8_t *)"--XyZ\r\nBad\r\n\r\n",
	    15, &st, detail, sizeof(detail)), -1);
	assert_int_equal(st, 422);
	assert_non_null(strstr(detail, "malformed multipart body"));
	/* Still refused, and finish answers the same. */
	assert_int_equal(upload_feed(u, (const uint8_t *)"x", 1, &st, detail,
	    sizeof(detail)), -1);
	assert_int_equal(upload_finish(u, &api_bc, NULL, &out, &blen), 422);
	assert_non_null(strstr(out, "\"message\":\"malformed"));
	assert_non_null(strstr(out, "\"status_code\":422"));
	free(out);
	upload_free(u);
	u = upload_new(UPLOAD_FILE, CT, MAX, &st, detail, sizeof(detail));
	assert_non_null(u);
	assert_int_equal(upload_feed(u, (const uint8_t *)"--XyZ\r\n", 7, &st,
	    detail, sizeof(detail)), 0);
	assert_int_equal(upload_finish(u, &api_bc, NULL, &out, &blen), 422);
	assert_non_null(strstr(out, "closing boundary"));
	free(out);
	upload_free(u);
	upload_free(NULL);
	/* Content types. */
	st = 0;
	assert_null(upload_new(UPLOAD_FILE, "application/json", MAX, &st,
	    detail, sizeof(detail)));
	assert_int_equal(st, 415);
	assert_null(upload_new(UPLOAD_FILE, NULL, MAX, &st, detail,
	    sizeof(detail)));
	assert_int_equal(st, 415);
	assert_null(upload_new(UPLOAD_FILE, "multipart/form-dataa; boundary=x",
	    MAX, &st, detail, sizeof(detail)));
	assert_int_equal(st, 415);
	assert_null(upload_new(UPLOAD_FILE, "multipart/form-data", MAX, &st,
	    detail, sizeof(detail)));
	assert_int_equal(st, 422);
	assert_non_null(strstr(detail, "boundary"));
	assert_string_equal(F.ops, "file.put");
}

static void
test_file_db_errors(void **state)
{
	struct part	 p = { "file", "a", NULL, "x", 0 };
	char		*out;

	(void)state;
	F.put_status = MST_TOOBIG;
	assert_int_equal(run(UPLOAD_FILE, &p, 1, MAX, 64, &out), 413);
	assert_non_null(strstr(out, "no room"));
	free(out);
	F.put_status = MST_UNAVAILABLE;
	assert_int_equal(run(UPLOAD_FILE, &p, 1, MAX, 64, &out), 503);
	free(out);
	F.put_status = MST_INTERNAL;
	assert_int_equal(run(UPLOAD_FILE, &p, 1, MAX, 64, &out), 500);
	free(out);
}

/* ---- workflows ----------------------------------------------------------- */

static const char wf_src[] = "import mupif as mp\n\nclass Wf(mp.Workflow):\n"
    "    pass\n";

static void
test_wf_new(void **state)
{
	struct part	 p[] = {
		{ "additional_files", "data.txt", "text/plain", "abc", 0 },
		{ "additional_files", "", NULL, "", 0 },	/* skipped */
		{ "workflow_file", "wf.py", NULL, wf_src, 0 },
		{ "additional_files", NULL, NULL, "field", 0 },	/* skipped */
		{ "additional_files", "m2.py", NULL, "x = 1\n", 0 },
		{ "note", NULL, NULL, "ignored", 0 },
	};
	yajl_val	 v, w;
	char		*out;

	(void)state;
	assert_int_equal(run(UPLOAD_WORKFLOW, p, 6, MAX, 13, &out), 200);
	assert_string_equal(out, "{\"id\":\"" WFID "\",\"wid\":\"wf1\"}");
	free(out);
	assert_string_equal(F.ops, "sched.inspect,file.put,"
	    "workflow.get_version,workflow.insert");
	assert_string_equal(F.insp_req, "{\"main\":\"wf.py\"}");
	assert_string_equal(F.zip_names, "wf.py|data.txt|m2.py");
	assert_string_equal(F.zip_first, wf_src);
	assert_string_equal(F.put_req, "{\"filename\":\"files.zip\","
	    "\"content_type\":\"application/zip\"}");
	assert_true(F.put_sealed);
	/* The stored record. */
	w = parse(F.write_req);
	assert_string_equal(json_get_str(w, "wid"), "wf1");
	assert_string_equal(json_get_str(w, "Description"), "A wf");
	assert_string_equal(json_get_str(w, "GridFSID"), FID);
	assert_string_equal(json_get_str(w, "UseCase"), "Demo");
	assert_string_equal(json_get_str(w, "modulename"), "wf");
	assert_string_equal(json_get_str(w, "classname"), "Wf");
	assert_int_equal(json_get(w, "Version")->u.number.i, 1);
	v = json_get(json_get(w, "IOCard"), "Inputs");
	assert_true(YAJL_IS_ARRAY(v) && v->u.array.len == 1);
	assert_int_equal(json_get(w, "Models")->u.array.len, 1);
	assert_null(json_get(w, "_id"));
	yajl_tree_free(w);
	/* Optional metadata absent: defaults. */
	F.ops[0] = '\0';
	F.insp_reply = "{\"wid\":\"w2\",\"classname\":\"C\",\"IOCard\":"
	    "{\"Inputs\":[],\"Outputs\":[]},\"Description\":null}";
	assert_int_equal(run(UPLOAD_WORKFLOW, p + 2, 1, MAX, 4096, &out), 200);
	free(out);
	assert_string_equal(F.zip_names, "wf.py");
	assert_string_equal(F.write_req, "{\"wid\":\"w2\",\"Description\":\"\","
	    "\"GridFSID\":\"" FID "\",\"UseCase\":\"Demo\",\"IOCard\":"
	    "{\"Inputs\":[],\"Outputs\":[]},\"modulename\":\"wf\","
	    "\"classname\":\"C\",\"Models\":[],\"EDMMapping\":[],"
	    "\"Version\":1}");
}

static void
test_wf_next_version(void **state)
{
	struct part	 p = { "workflow_file", "wf.py", NULL, wf_src, 0 };
	yajl_val	 h, w;
	char		*out;

	(void)state;
	F.current = strdup("{\"_id\":\"" WFID "\",\"wid\":\"wf1\","
	    "\"Description\":\"old\",\"GridFSID\":\"bbbbbbbbbbbbbbbbbbbbbbbb\","
	    "\"UseCase\":\"Other\",\"IOCard\":{\"Inputs\":[],\"Outputs\":[]},"
	    "\"modulename\":\"old\",\"classname\":\"Old\",\"Models\":[],"
	    "\"EDMMapping\":[],\"Version\":3}");
	assert_non_null(F.current);
	assert_int_equal(run(UPLOAD_WORKFLOW, &p, 1, MAX, 100, &out), 200);
	assert_string_equal(out, "{\"id\":\"" WFID "\",\"wid\":\"wf1\"}");
	free(out);
	assert_string_equal(F.ops, "sched.inspect,file.put,"
	    "workflow.get_version,workflow.history_insert,workflow.update");
	h = parse(F.hist_req);
	assert_null(json_get(h, "_id"));
	assert_string_equal(json_get_str(h, "Description"), "old");
	assert_int_equal(json_get(h, "Version")->u.number.i, 3);
	yajl_tree_free(h);
	w = parse(F.write_req);
	assert_int_equal(json_get(w, "Version")->u.number.i, 4);
	assert_string_equal(json_get_str(w, "UseCase"), "Demo");
	assert_string_equal(json_get_str(w, "Description"), "A wf");
	yajl_tree_free(w);
	/* A stored document without Version counts as version 1. */
	free(F.current);
	F.current = strdup("{\"_id\":\"" WFID "\",\"wid\":\"wf1\"}");
	assert_int_equal(run(UPLOAD_WORKFLOW, &p, 1, MAX, 100, &out), 200);
	free(out);
	w = parse(F.write_req);
	assert_int_equal(json_get(w, "Version")->u.number.i, 2);
	yajl_tree_free(w);
}

static void
test_wf_inspection_fails(void **state)
{
	struct part	 p = { "workflow_file", "wf.py", NULL, wf_src, 0 };
	yajl_val	 v;
	char		*out;
	size_t		 i;
	static const char *const incomplete[] = {
		"{\"classname\":\"C\",\"IOCard\":{}}",
		"{\"wid\":\"\",\"classname\":\"C\",\"IOCard\":{}}",
		"{\"wid\":\"w\",\"IOCard\":{}}",
		"{\"wid\":\"w\",\"classname\":\"C\"}",
		"{\"wid\":\"w\",\"classname\":\"C\",\"IOCard\":[]}",
		"{\"wid\":\"w\",\"classname\":\"C\",\"IOCard\":{},"
		    "\"Models\":{}}",
		"{\"wid\":\"w\",\"classname\":\"C\",\"IOCard\":{},"
		    "\"Description\":5}",
		"{\"wid\":7,\"classname\":\"C\",\"IOCard\":{}}",
		"[]",
		"not json",
	};

	(void)state;
	F.insp_status = MST_BADREQ;
	assert_int_equal(run(UPLOAD_WORKFLOW, &p, 1, MAX, 100, &out), 422);
	v = parse(out);
	assert_non_null(json_get_str(v, "message"));
	assert_string_equal(json_get_str(v, "message"),
	    "ImportError: No module named 'mupif_missing'");
	yajl_tree_free(v);
	free(out);
	assert_string_equal(F.ops, "sched.inspect");
	F.insp_status = MST_UNAVAILABLE;
	assert_int_equal(run(UPLOAD_WORKFLOW, &p, 1, MAX, 100, &out), 503);
	free(out);
	F.insp_status = MST_TIMEOUT;
	assert_int_equal(run(UPLOAD_WORKFLOW, &p, 1, MAX, 100, &out), 503);
	free(out);
	F.insp_status = MST_OK;
	for (i = 0; i < sizeof(incomplete) / sizeof(incomplete[0]); i++) {
		F.insp_reply = incomplete[i];
		assert_int_equal(run(UPLOAD_WORKFLOW, &p, 1, MAX, 100, &out),
		    422);
		assert_non_null(strstr(out, "Incomplete workflow metadata"));
		free(out);
	}
	/* Nothing but inspections so far. */
	assert_null(strstr(F.ops, "file.put"));
	assert_null(strstr(F.ops, "workflow."));
	/* The zip stored, then the db fails: an error, not a 200. */
	F.insp_reply = meta_ok;
	F.put_status = MST_UNAVAILABLE;
	assert_int_equal(run(UPLOAD_WORKFLOW, &p, 1, MAX, 100, &out), 503);
	free(out);
	assert_null(strstr(F.ops, "workflow."));
}

static void
test_wf_refused(void **state)
{
	struct part	 main_ = { "workflow_file", "wf.py", NULL, wf_src, 0 };
	struct part	 p[2];
	struct part	 many[70];
	char		 names[70][16], *out;
	size_t		 i;
	static const struct {
		const char	*main, *extra;
		int		 status;
		const char	*msg;
	} cases[] = {
		{ "", NULL, 400, "Workflow file must have a filename." },
		{ "wf.txt", NULL, 400, "File type not allowed for "
		    "workflow_file: wf.txt" },
		{ ".py", NULL, 400, "File type not allowed" },
		{ "wf.PY", NULL, 400, "File type not allowed" },
		{ "../wf.py", NULL, 422, "file name not allowed: ../wf.py" },
		{ "dir/wf.py", NULL, 422, "file name not allowed" },
		{ "a..py", NULL, 422, "file name not allowed" },
		{ "w\x01" "f.py", NULL, 422, "file name not allowed: w?f.py" },
		{ "w\xff" "f.py", NULL, 422, "file name not allowed: w?f.py" },
		{ "wf.py", "../../x", 422, "file name not allowed: ../../x" },
		{ "wf.py", "C:\\\\x", 422, "file name not allowed" },
		{ "wf.py", "..", 422, "file name not allowed" },
		{ "wf.py", ".", 422, "file name not allowed" },
		{ "wf.py", "wf.py", 422, "two files named wf.py" },
	};

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p[0] = main_;
		p[0].filename = cases[i].main;
		p[1] = (struct part){ "additional_files", cases[i].extra, NULL,
		    "d", 0 };
		assert_int_equal(run(UPLOAD_WORKFLOW, p, cases[i].extra ? 2 : 1,
		    MAX, 50, &out), cases[i].status);
		if (strstr(out, cases[i].msg) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", out, cases[i].msg);
		free(out);
	}
	/* No workflow_file at all. */
	p[0] = (struct part){ "additional_files", "a.txt", NULL, "d", 0 };
	assert_int_equal(run(UPLOAD_WORKFLOW, p, 1, MAX, 50, &out), 422);
	assert_non_null(strstr(out, "\"status_code\":422"));
	assert_non_null(strstr(out, "'workflow_file'"));
	free(out);
	/* Two of them. */
	p[0] = main_;
	p[1] = main_;
	p[1].filename = "other.py";
	assert_int_equal(run(UPLOAD_WORKFLOW, p, 2, MAX, 50, &out), 422);
	assert_non_null(strstr(out, "more than one workflow_file"));
	free(out);
	/* An empty main file. */
	p[0].data = "";
	p[0].len = 0;
	assert_int_equal(run(UPLOAD_WORKFLOW, p, 1, MAX, 50, &out), 400);
	assert_non_null(strstr(out, "Main workflow file cannot be empty."));
	free(out);
	/* Too many files; too many bytes. */
	many[0] = main_;
	for (i = 1; i < 70; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "f%zu", i);
		many[i] = (struct part){ "additional_files", names[i], NULL,
		    "d", 0 };
	}
	assert_int_equal(run(UPLOAD_WORKFLOW, many, 64, MAX, 999, &out), 200);
	free(out);
	F.ops[0] = '\0';
	assert_int_equal(run(UPLOAD_WORKFLOW, many, 65, MAX, 999, &out), 422);
	assert_non_null(strstr(out, "more than 64 files"));
	free(out);
	assert_int_equal(run(UPLOAD_WORKFLOW, many, 2, sizeof(wf_src) - 1, 999,
	    &out), 413);
	free(out);
	assert_string_equal(F.ops, "");
	/* A use case id is needed. */
	{
		struct upload	*u;
		char		*b, detail[128];
		size_t		 len, blen;
		int		 st;

		b = body_of(&main_, 1, &len);
		u = upload_new(UPLOAD_WORKFLOW, CT, MAX, &st, detail,
		    sizeof(detail));
		assert_non_null(u);
		assert_int_equal(upload_feed(u, (uint8_t *)b, len, &st, detail,
		    sizeof(detail)), 0);
		assert_int_equal(upload_finish(u, &api_bc, NULL, &out, &blen),
		    422);
		free(out);
		upload_free(u);
		u = upload_new(UPLOAD_WORKFLOW, CT, MAX, &st, detail,
		    sizeof(detail));
		assert_non_null(u);
		assert_int_equal(upload_feed(u, (uint8_t *)b, len, &st, detail,
		    sizeof(detail)), 0);
		assert_int_equal(upload_finish(u, &api_bc, "D\xffmo", &out,
		    &blen), 422);
		assert_non_null(strstr(out, "bad use case id"));
		free(out);
		upload_free(u);
		free(b);
	}
	assert_string_equal(F.ops, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_db_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wf_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wf_next_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wf_inspection_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wf_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
