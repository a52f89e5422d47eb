/*
 * api_upload.c - the api's two multipart uploads (see api_upload.h).
 *
 * Trust: the body, its part names and file names are client input from a
 * VPN peer (for workflows, an authenticated admin); the inspection reply
 * comes from the scheduler, which ran the uploaded code in a throw-away
 * sandbox, so it is untrusted too (typed checks below, and the db
 * validates the stored document again).  This file holds no secret and
 * opens no path: part bodies go into anonymous memfds (never whole files
 * on the heap), sealed before they are passed to the db or the scheduler
 * through the broker.  Runs in the api process (policy/api.seccomp:
 * memfd_create, fcntl seals, mmap without PROT_EXEC).
 *
 * POST /api/file (UPLOAD_FILE): the one part named "file" is stored with
 * db file.put; other parts are read and ignored (FastAPI ignores unknown
 * form fields; the official client sends only "file"), a second "file"
 * part is refused (422).  The stored name is the part's file name
 * sanitised: the last path component only (after '/' or '\'), control
 * characters dropped, bytes that are not UTF-8 replaced by '_', each '.'
 * of a run of two or more replaced by '_', empty or "." -> "file".  A part
 * without a filename parameter is stored as "file".  Answer: the new id
 * as a bare JSON string; 422 {"status_code":422,...} without a "file"
 * part.
 *
 * POST /api/usecases/{ucid}/workflows (UPLOAD_WORKFLOW): exactly one
 * "workflow_file" part (file name present and non-empty: 400 otherwise,
 * ending in ".py": 400 "File type not allowed ...", non-empty content:
 * 400, as mupifDB), zero or more "additional_files" parts (parts with an
 * empty or no file name are skipped, as mupifDB does), other parts
 * ignored, at most UPLOAD_FILES_MAX files.  A file name that sanitising
 * would change is refused with 422 rather than renamed: the workflow's
 * code refers to its files by name, so a silent rename would break it
 * later and less clearly.  Two files with the same name: 422.  The files
 * are zipped (flat, main first) into a sealed memfd, which the scheduler
 * inspects (sched.inspect, {"main": name}); only after a successful
 * inspection is anything written: file.put of files.zip, then the
 * versioning of mupifDB (spec 4.4 step 6: workflow.get_version,
 * workflow.insert with Version 1, or workflow.history_insert of the
 * current document without its _id followed by workflow.update with
 * Version + 1).  Answer {"id": _id of the Workflows document, "wid"}.
 * An inspection refused by the scheduler gives 422 (the api's 422 shape,
 * its reason as "message"); the scheduler unreachable or timing out gives 503.  A failure
 * after file.put leaves that file unreferenced (there is no file.delete).
 *
 * Sizes: the part data of all parts together (ignored ones included) is
 * capped at max_bytes, the raw body at max_bytes + UPLOAD_SLACK (headers,
 * preamble, epilogue): 413 beyond.  A malformed body gives 422.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "api_upload.h"
#include "bchan.h"
#include "json.h"
#include "msg.h"
#include "parse_http.h"
#include "util.h"
#include "banned.h"

#define UPLOAD_FILES_MAX	64		/* workflow: main + extra files */
#define UPLOAD_SLACK		(1024 * 1024)	/* raw body beyond the data */
#define UPLOAD_CALL_MS		120000	/* the broker's own timeout rules */
#define UPLOAD_REPLY_MAX	(4 * 1024 * 1024)	/* inspection reply */
#define DETAIL_MAX		512

struct ufile {
	char		 name[MP_NAME_MAX];	/* stored (sanitised) name */
	char		 ctype[MP_NAME_MAX];	/* the part's Content-Type */
	int		 fd;			/* memfd holding the bytes */
	uint64_t	 size;
};

struct upload {
	enum upload_kind	 kind;
	uint64_t		 max_bytes;
	uint64_t		 fed;		/* raw body bytes */
	uint64_t		 data;		/* part data bytes, all parts */
	struct multipart	*mp;
	int			 status;	/* first refusal, or 0 */
	char			 detail[DETAIL_MAX];
	struct ufile		 files[UPLOAD_FILES_MAX];
	size_t			 nfiles;
	struct ufile		*cur;		/* receiving data, or NULL */
	int			 main;		/* index of the main file, -1 */
};

/* ---- names ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n) (no overlong forms,
 * surrogates or code points above U+10FFFF), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t		len, i;
	uint32_t	cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * The stored form of a client's file name in (see the top comment) into
 * out (at least MP_NAME_MAX bytes: never longer than in, or "file").
 * Returns 1 if it differs from in, else 0.
 */
static int
name_sanitise(const char *in, char *out, size_t outlen)
{
	const unsigned char	*b = (const unsigned char *)in;
	size_t			 n, i = 0, o = 0, k, run;
	int			 changed = 0;
	const char		*s;

	for (s = in; *s != '\0'; s++)
		if (*s == '/' || *s == '\\') {
			b = (const unsigned char *)s + 1;
			changed = 1;
		}
	n = strlen((const char *)b);
	while (i < n) {
		if (b[i] < 0x20 || b[i] == 0x7f) {
			changed = 1;
			i++;
			continue;
		}
		k = utf8_seq(b + i, n - i);
		if (o + (k == 0 ? 1 : k) >= outlen) {
			changed = 1;	/* not with outlen >= MP_NAME_MAX */
			break;
		}
		if (k == 0) {
			out[o++] = '_';
			changed = 1;
			i++;
		} else {
			memcpy(out + o, b + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	for (i = 0; i < o; i += run) {
		for (run = 0; i + run < o && out[i + run] == '.'; run++)
			;
		if (run >= 2) {
			memset(out + i, '_', run);
			changed = 1;
		}
		if (run == 0)
			run = 1;
	}
	if (o == 0 || strcmp(out, ".") == 0) {
		(void)strlcpy(out, "file", outlen);
		changed = 1;
	}
	return changed;
}

/* s made safe for a message: not UTF-8 or control -> '?'. */
static void
printable(const char *s, char *out, size_t outlen)
{
	const unsigned char	*b = (const unsigned char *)s;
	size_t			 n = strlen(s), i = 0, o = 0, k;

	while (i < n && o + 5 < outlen) {
		k = utf8_seq(b + i, n - i);
		if (k == 0 || b[i] < 0x20 || b[i] == 0x7f) {
			out[o++] = '?';
			i++;
		} else {
			memcpy(out + o, b + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
}

/* ---- errors and bodies ------------------------------------------------ */

static int
refuse(struct upload *u, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Remember the first refusal; -1 for the multipart callbacks. */
static int
refuse(struct upload *u, int status, const char *fmt, ...)
{
	va_list ap;

	if (u->status == 0) {
		u->status = status;
		va_start(ap, fmt);
		(void)vsnprintf(u->detail, sizeof(u->detail), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
copy_detail(const struct upload *u, int *http_status, char *detail,
    size_t dlen)
{
	if (http_status != NULL)
		*http_status = u->status;
	if (detail != NULL && dlen > 0)
		(void)snprintf(detail, dlen, "%s", u->detail);
}

/* The generator's text as a heap string into *body; 0 or -1. */
static int
gen_take(yajl_gen g, char **body, size_t *blen)
{
	const unsigned char	*b;
	size_t			 l;

	if (yajl_gen_get_buf(g, &b, &l) != yajl_gen_status_ok ||
	    (*body = malloc(l + 1)) == NULL)
		return -1;
	memcpy(*body, b, l);
	(*body)[l] = '\0';
	*blen = l;
	return 0;
}

/* A fixed body when even the error body cannot be made. */
static int
oom_body(char **body, size_t *blen)
{
	static const char m[] = "{\"detail\":\"out of memory\"}";

	if ((*body = strdup(m)) != NULL)
		*blen = sizeof(m) - 1;
	else
		*blen = 0;
	return 500;
}

/* status with {"detail": msg}; a 422 in the api's one 422 shape,
 * {"status_code": 422, "message": msg, "data": null} (spec 1.3). */
static int
detail_body(int status, const char *msg, char **body, size_t *blen)
{
	yajl_gen	g;
	char		clean[4096];
	int		r;

	*body = NULL;
	*blen = 0;
	printable(msg, clean, sizeof(clean));
	if ((g = json_gen_new()) == NULL)
		return oom_body(body, blen);
	(void)yajl_gen_map_open(g);
	if (status == 422) {
		json_gen_kv_int(g, "status_code", 422);
		json_gen_kv_str(g, "message", clean);
		json_gen_cstr(g, "data");
		(void)yajl_gen_null(g);
	} else
		json_gen_kv_str(g, "detail", clean);
	(void)yajl_gen_map_close(g);
	r = gen_take(g, body, blen);
	yajl_gen_free(g);
	return r == 0 ? status : oom_body(body, blen);
}

/* FastAPI's 422 for a missing form field (spec 1.3, 8.9). */
static int
missing_body(const char *field, char **body, size_t *blen)
{
	yajl_gen	g;
	char		msg[256];
	int		r;

	*body = NULL;
	*blen = 0;
	(void)snprintf(msg, sizeof(msg), "[{'type': 'missing', 'loc': "
	    "('body', '%s'), 'msg': 'Field required', 'input': None}]", field);
	if ((g = json_gen_new()) == NULL)
		return oom_body(body, blen);
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "status_code", 422);
	json_gen_kv_str(g, "message", msg);
	json_gen_cstr(g, "data");
	(void)yajl_gen_null(g);
	(void)yajl_gen_map_close(g);
	r = gen_take(g, body, blen);
	yajl_gen_free(g);
	return r == 0 ? 422 : oom_body(body, blen);
}

/* The HTTP status for a broker reply status that is not MST_OK. */
static int
http_of(int st)
{
	switch (st) {
	case MST_UNAVAILABLE:
	case MST_TIMEOUT:
	case MST_BUSY:
		return 503;
	case MST_TOOBIG:
		return 413;
	case MST_BADREQ:
	case MST_MALFORMED:
		return 422;
	case MST_NOTFOUND:
		return 404;
	case MST_CONFLICT:
		return 409;
	default:
		return 500;
	}
}

/* A broker failure of op as an HTTP answer, with the callee's detail
 * when it sent one. */
static int
call_failed(const char *what, int st, const char *reply, size_t rlen,
    char **body, size_t *blen)
{
	yajl_val	 v = NULL;
	const char	*d = NULL;
	char		 msg[DETAIL_MAX], e[64];

	if (reply != NULL && rlen > 0 &&
	    (v = json_parse(reply, rlen, 64 * 1024, 4, e, sizeof(e))) != NULL)
		d = json_get_str(v, "detail");
	(void)snprintf(msg, sizeof(msg), "%s: %s", what,
	    d != NULL ? d : msg_status_name((unsigned)st));
	yajl_tree_free(v);
	return detail_body(http_of(st), msg, body, blen);
}

/* 422 with the scheduler's detail of a refused inspection, verbatim. */
static int
inspect_refused(const char *reply, size_t rlen, char **body, size_t *blen)
{
	yajl_val	 v = NULL;
	const char	*d = NULL;
	char		 e[64];
	int		 status;

	if (reply != NULL && rlen > 0 &&
	    (v = json_parse(reply, rlen, 64 * 1024, 4, e, sizeof(e))) != NULL)
		d = json_get_str(v, "detail");
	status = detail_body(422, d != NULL && d[0] != '\0' ? d :
	    "the workflow could not be inspected", body, blen);
	yajl_tree_free(v);
	return status;
}

/* ---- multipart callbacks --------------------------------------------- */

static int
is_dup(const struct upload *u, const char *name)
{
	size_t i;

	for (i = 0; i < u->nfiles; i++)
		if (strcmp(u->files[i].name, name) == 0)
			return 1;
	return 0;
}

/* A new file slot named name (already checked), with its memfd. */
static int
file_open(struct upload *u, const char *name, const char *ctype)
{
	struct ufile	*f;

	if (u->nfiles == UPLOAD_FILES_MAX)
		return refuse(u, 422, "more than %d files", UPLOAD_FILES_MAX);
	f = &u->files[u->nfiles];
	if ((f->fd = memfd_create("upload", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return refuse(u, 500, "cannot store the upload");
	(void)strlcpy(f->name, name, sizeof(f->name));
	(void)strlcpy(f->ctype, ctype, sizeof(f->ctype));
	f->size = 0;
	u->nfiles++;
	u->cur = f;
	return 0;
}

static int
begin_file(struct upload *u, const char *name, const char *filename,
    const char *ctype)
{
	char	clean[MP_NAME_MAX];

	if (strcmp(name, "file") != 0)
		return 0;		/* ignored */
	if (u->nfiles != 0)
		return refuse(u, 422, "more than one part named file");
	(void)name_sanitise(filename != NULL ? filename : "", clean,
	    sizeof(clean));
	return file_open(u, clean, ctype);
}

static int
begin_workflow(struct upload *u, const char *name, const char *filename,
    const char *ctype)
{
	char	clean[MP_NAME_MAX], shown[MP_NAME_MAX];
	size_t	n;
	int	is_main;

	if (strcmp(name, "workflow_file") == 0)
		is_main = 1;
	else if (strcmp(name, "additional_files") == 0)
		is_main = 0;
	else
		return 0;		/* ignored */
	if (is_main && u->main != -1)
		return refuse(u, 422, "more than one workflow_file part");
	if (filename == NULL || filename[0] == '\0') {
		if (is_main)
			return refuse(u, 400,
			    "Workflow file must have a filename.");
		return 0;		/* skipped, as mupifDB */
	}
	printable(filename, shown, sizeof(shown));
	n = strlen(filename);
	if (is_main && (n <= 3 || strcmp(filename + n - 3, ".py") != 0))
		return refuse(u, 400, "File type not allowed for "
		    "workflow_file: %s", shown);
	if (name_sanitise(filename, clean, sizeof(clean)) != 0)
		return refuse(u, 422, "file name not allowed: %s (a plain "
		    "file name without path, control characters or '..' is "
		    "needed)", shown);
	if (is_dup(u, clean))
		return refuse(u, 422, "two files named %s", shown);
	if (file_open(u, clean, ctype) == -1)
		return -1;
	if (is_main)
		u->main = (int)(u->nfiles - 1);
	return 0;
}

static int
on_begin(void *arg, const char *name, const char *filename,
    const char *ctype)
{
	struct upload *u = arg;

	u->cur = NULL;
	if (u->kind == UPLOAD_FILE)
		return begin_file(u, name, filename, ctype);
	return begin_workflow(u, name, filename, ctype);
}

static int
on_data(void *arg, const uint8_t *p, size_t n)
{
	struct upload *u = arg;

	if (n > u->max_bytes || u->data > u->max_bytes - n)
		return refuse(u, 413, "upload larger than %llu bytes",
		    (unsigned long long)u->max_bytes);
	u->data += n;
	if (u->cur == NULL)
		return 0;
	if (util_write_all(u->cur->fd, p, n) == -1)
		return refuse(u, 500, "cannot store the upload");
	u->cur->size += n;
	return 0;
}

static int
on_end(void *arg)
{
	struct upload *u = arg;

	u->cur = NULL;
	return 0;
}

static const struct mp_callbacks upload_cbs = { on_begin, on_data, on_end };

/* ---- the body ----------------------------------------------------------- */

struct upload *
upload_new(enum upload_kind kind, const char *ctype, uint64_t max_bytes,
    int *http_status, char *detail, size_t dlen)
{
	static const char	 mf[] = "multipart/form-data";
	struct upload		*u;
	const char		*why = NULL;
	size_t			 n = sizeof(mf) - 1;

	if (ctype == NULL || strncasecmp(ctype, mf, n) != 0 ||
	    (ctype[n] != '\0' && ctype[n] != ';' && ctype[n] != ' ' &&
	    ctype[n] != '\t')) {
		if (http_status != NULL)
			*http_status = 415;
		if (detail != NULL && dlen > 0)
			(void)snprintf(detail, dlen,
			    "Content-Type must be multipart/form-data");
		return NULL;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		if (http_status != NULL)
			*http_status = 500;
		if (detail != NULL && dlen > 0)
			(void)snprintf(detail, dlen, "out of memory");
		return NULL;
	}
	u->kind = kind;
	u->max_bytes = max_bytes;
	u->main = -1;
	if ((u->mp = multipart_new(ctype, &upload_cbs, u, &why)) == NULL) {
		(void)refuse(u, 422, "%s", why != NULL ? why :
		    "bad multipart Content-Type");
		copy_detail(u, http_status, detail, dlen);
		free(u);
		return NULL;
	}
	return u;
}

int
upload_feed(struct upload *u, const uint8_t *p, size_t n, int *http_status,
    char *detail, size_t dlen)
{
	uint64_t cap = u->max_bytes > UINT64_MAX - UPLOAD_SLACK ?
	    UINT64_MAX : u->max_bytes + UPLOAD_SLACK;

	if (u->status == 0 && (n > cap || u->fed > cap - n))
		(void)refuse(u, 413, "request body larger than %llu bytes",
		    (unsigned long long)cap);
	if (u->status == 0) {
		u->fed += n;
		if (multipart_feed(u->mp, p, n) == -1)
			(void)refuse(u, 422, "malformed multipart body: %s",
			    multipart_error(u->mp));
	}
	if (u->status != 0) {
		copy_detail(u, http_status, detail, dlen);
		return -1;
	}
	return 0;
}

/* Seal every file and rewind it: they are passed to other services. */
static int
seal_files(struct upload *u)
{
	size_t i;

	for (i = 0; i < u->nfiles; i++)
		if (fcntl(u->files[i].fd, F_ADD_SEALS, F_SEAL_SHRINK |
		    F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == -1 ||
		    lseek(u->files[i].fd, 0, SEEK_SET) == -1)
			return -1;
	return 0;
}

/* Only printable ASCII Content-Types are passed on to the db. */
static int
ctype_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* db file.put of fd: 0 with the new id, or -1 with the answer made. */
static int
put_file(struct bchan *bc, int fd, const char *name, const char *ctype,
    char id[25], int *status, char **body, size_t *blen)
{
	yajl_gen	 g;
	yajl_val	 v;
	const char	*s;
	char		*req = NULL, *reply = NULL, e[64];
	size_t		 reqlen = 0, rlen = 0;
	int		 st;

	if ((g = json_gen_new()) == NULL) {
		*status = oom_body(body, blen);
		return -1;
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "filename", name);
	if (ctype_ok(ctype))
		json_gen_kv_str(g, "content_type", ctype);
	(void)yajl_gen_map_close(g);
	st = gen_take(g, &req, &reqlen);
	yajl_gen_free(g);
	if (st == -1) {
		*status = oom_body(body, blen);
		return -1;
	}
	st = bchan_call_fd(bc, MSG_FILE_PUT, NULL, req, reqlen, fd,
	    UPLOAD_CALL_MS, &reply, &rlen, NULL);
	free(req);
	if (st != MST_OK) {
		*status = call_failed("storing the file", st, reply, rlen,
		    body, blen);
		free(reply);
		return -1;
	}
	v = json_parse(reply, rlen, 4096, 4, e, sizeof(e));
	free(reply);
	if (v == NULL || (s = json_get_str(v, "_id")) == NULL ||
	    strlen(s) != 24) {
		yajl_tree_free(v);
		*status = detail_body(500, "storing the file: unexpected "
		    "answer from the db", body, blen);
		return -1;
	}
	memcpy(id, s, 25);
	yajl_tree_free(v);
	return 0;
}

static int
finish_file(struct upload *u, struct bchan *bc, char **body, size_t *blen)
{
	char	id[25], *b;
	int	status;

	if (u->nfiles == 0)
		return missing_body("file", body, blen);
	if (seal_files(u) == -1)
		return detail_body(500, "cannot seal the upload", body, blen);
	if (put_file(bc, u->files[0].fd, u->files[0].name, u->files[0].ctype,
	    id, &status, body, blen) == -1)
		return status;
	if ((b = malloc(27)) == NULL)
		return oom_body(body, blen);
	(void)snprintf(b, 27, "\"%s\"", id);
	*body = b;
	*blen = 26;
	return 200;
}

/* ---- workflows --------------------------------------------------------- */

/*
 * files.zip of every file (main first, flat, client names) in a sealed
 * memfd, built in memory with libzip.  The fd, or -1 with *why.
 */
static int
build_zip(struct upload *u, const char **why)
{
	zip_source_t	*src = NULL, *zs;
	zip_error_t	 ze;
	zip_t		*za = NULL;
	void		*maps[UPLOAD_FILES_MAX];
	size_t		 order[UPLOAD_FILES_MAX], i, k = 0;
	char		 buf[65536];
	zip_int64_t	 r;
	int		 fd = -1, ok = 0;

	memset(maps, 0, sizeof(maps));
	order[k++] = (size_t)u->main;
	for (i = 0; i < u->nfiles; i++)
		if ((int)i != u->main)
			order[k++] = i;
	zip_error_init(&ze);
	*why = "cannot build files.zip";
	if ((src = zip_source_buffer_create(NULL, 0, 0, &ze)) == NULL)
		goto out;
	zip_source_keep(src);
	if ((za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)) == NULL) {
		zip_source_free(src);	/* the reference zip_t did not take */
		goto out;
	}
	for (i = 0; i < k; i++) {
		struct ufile *f = &u->files[order[i]];

		if (f->size > SIZE_MAX)
			goto out;
		if (f->size > 0 && (maps[i] = mmap(NULL, (size_t)f->size,
		    PROT_READ, MAP_PRIVATE, f->fd, 0)) == MAP_FAILED) {
			maps[i] = NULL;
			goto out;
		}
		if ((zs = zip_source_buffer(za, maps[i], (zip_uint64_t)f->size,
		    0)) == NULL)
			goto out;
		if (zip_file_add(za, f->name, zs, ZIP_FL_ENC_UTF_8) < 0) {
			zip_source_free(zs);
			goto out;
		}
	}
	if (zip_close(za) == -1)
		goto out;
	za = NULL;
	if ((fd = memfd_create("files.zip", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1 || zip_source_open(src) == -1)
		goto out;
	while ((r = zip_source_read(src, buf, sizeof(buf))) > 0)
		if (util_write_all(fd, buf, (size_t)r) == -1)
			break;
	(void)zip_source_close(src);
	if (r != 0)
		goto out;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		goto out;
	ok = 1;
out:
	if (za != NULL)
		zip_discard(za);
	if (src != NULL)
		zip_source_free(src);
	for (i = 0; i < k; i++)
		if (maps[i] != NULL)
			(void)munmap(maps[i], (size_t)u->files[order[i]].size);
	zip_error_fini(&ze);
	if (!ok && fd != -1) {
		(void)close(fd);
		fd = -1;
	}
	return fd;
}

/* The metadata the scheduler found: checked for what we store. */
struct meta {
	yajl_val	 root;
	const char	*wid;
	const char	*classname;
	yajl_val	 descr, iocard, models, edm;	/* NULL when absent */
};

static int
meta_read(struct meta *m, const char *reply, size_t rlen)
{
	char		e[128];
	yajl_val	v;

	memset(m, 0, sizeof(*m));
	if ((m->root = json_parse(reply, rlen, UPLOAD_REPLY_MAX,
	    JSON_MAX_DEPTH, e, sizeof(e))) == NULL ||
	    !YAJL_IS_OBJECT(m->root))
		return -1;
	m->wid = json_get_str(m->root, "wid");
	m->classname = json_get_str(m->root, "classname");
	m->iocard = json_get(m->root, "IOCard");
	if (m->wid == NULL || m->wid[0] == '\0' || strlen(m->wid) > 255 ||
	    m->classname == NULL || m->classname[0] == '\0' ||
	    m->iocard == NULL || !YAJL_IS_OBJECT(m->iocard))
		return -1;
	if ((v = json_get(m->root, "Description")) != NULL &&
	    !YAJL_IS_STRING(v) && !YAJL_IS_NULL(v))
		return -1;
	m->descr = v != NULL && YAJL_IS_STRING(v) ? v : NULL;
	if ((v = json_get(m->root, "Models")) != NULL && !YAJL_IS_ARRAY(v) &&
	    !YAJL_IS_NULL(v))
		return -1;
	m->models = v != NULL && YAJL_IS_ARRAY(v) ? v : NULL;
	if ((v = json_get(m->root, "EDMMapping")) != NULL &&
	    !YAJL_IS_ARRAY(v) && !YAJL_IS_NULL(v))
		return -1;
	m->edm = v != NULL && YAJL_IS_ARRAY(v) ? v : NULL;
	return 0;
}

/* The Workflows record (field order of mupifDB's model). */
static int
record_json(const struct meta *m, const char *ucid, const char *modname,
    const char *gridfs, long long version, char **out, size_t *olen)
{
	yajl_gen	g;
	int		r;

	if ((g = json_gen_new()) == NULL)
		return -1;
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "wid", m->wid);
	if (m->descr != NULL) {
		json_gen_cstr(g, "Description");
		json_gen_val(g, m->descr);
	} else
		json_gen_kv_str(g, "Description", "");
	json_gen_kv_str(g, "GridFSID", gridfs);
	json_gen_kv_str(g, "UseCase", ucid);
	json_gen_cstr(g, "IOCard");
	json_gen_val(g, m->iocard);
	json_gen_kv_str(g, "modulename", modname);
	json_gen_kv_str(g, "classname", m->classname);
	json_gen_cstr(g, "Models");
	if (m->models != NULL)
		json_gen_val(g, m->models);
	else {
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_array_close(g);
	}
	json_gen_cstr(g, "EDMMapping");
	if (m->edm != NULL)
		json_gen_val(g, m->edm);
	else {
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_array_close(g);
	}
	json_gen_kv_int(g, "Version", version);
	(void)yajl_gen_map_close(g);
	r = gen_take(g, out, olen);
	yajl_gen_free(g);
	return r;
}

/* The stored document doc without its _id (for WorkflowsHistory). */
static int
history_json(yajl_val doc, char **out, size_t *olen)
{
	yajl_gen	g;
	size_t		i;
	int		r;

	if ((g = json_gen_new()) == NULL)
		return -1;
	(void)yajl_gen_map_open(g);
	for (i = 0; i < doc->u.object.len; i++) {
		if (strcmp(doc->u.object.keys[i], "_id") == 0)
			continue;
		json_gen_cstr(g, doc->u.object.keys[i]);
		json_gen_val(g, doc->u.object.values[i]);
	}
	(void)yajl_gen_map_close(g);
	r = gen_take(g, out, olen);
	yajl_gen_free(g);
	return r;
}

/* A db call whose reply must be an object: the parsed reply, or NULL
 * with the answer made (*status, *body). */
static yajl_val
db_obj(struct bchan *bc, unsigned type, const char *what, const char *req,
    size_t reqlen, int *st_out, int *status, char **body, size_t *blen)
{
	yajl_val	 v;
	char		*reply = NULL, e[64];
	size_t		 rlen = 0;
	int		 st;

	st = bchan_call(bc, type, NULL, req, reqlen, UPLOAD_CALL_MS, &reply,
	    &rlen);
	if (st_out != NULL)
		*st_out = st;
	if (st != MST_OK) {
		if (st_out == NULL || st != MST_NOTFOUND)
			*status = call_failed(what, st, reply, rlen, body,
			    blen);
		free(reply);
		return NULL;
	}
	v = json_parse(reply, rlen, BCHAN_REPLY_MAX, JSON_MAX_DEPTH, e,
	    sizeof(e));
	free(reply);
	if (v == NULL || !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		*status = detail_body(500, "unexpected answer from the db",
		    body, blen);
	}
	return v;
}

/* Step 6 of spec 4.4: store the record as version 1 or as the next
 * version of wid.  Returns the HTTP status; 200 with the answer. */
static int
register_workflow(struct bchan *bc, const struct meta *m, const char *ucid,
    const char *modname, const char *gridfs, char **body, size_t *blen)
{
	yajl_val	 cur = NULL, res = NULL;
	yajl_gen	 g = NULL;
	const char	*id;
	char		*req = NULL, *hist = NULL;
	size_t		 reqlen, hlen;
	long long	 ver = 1;
	int		 st, status = 500;

	*body = NULL;
	*blen = 0;
	if ((g = json_gen_new()) == NULL)
		return oom_body(body, blen);
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "wid", m->wid);
	json_gen_kv_int(g, "version", -1);
	(void)yajl_gen_map_close(g);
	if (gen_take(g, &req, &reqlen) == -1) {
		status = oom_body(body, blen);
		goto out;
	}
	cur = db_obj(bc, MSG_WORKFLOW_GET_VERSION, "looking up the workflow",
	    req, reqlen, &st, &status, body, blen);
	free(req);
	req = NULL;
	if (cur == NULL && (st != MST_NOTFOUND || *body != NULL))
		goto out;
	if (cur != NULL) {
		if (json_get_int(cur, "Version", &ver) == -1)
			ver = 1;
		if (ver < 1 || ver >= 1LL << 40) {
			status = detail_body(500, "stored workflow has a bad "
			    "Version", body, blen);
			goto out;
		}
		if (history_json(cur, &hist, &hlen) == -1) {
			status = oom_body(body, blen);
			goto out;
		}
		st = bchan_call(bc, MSG_WORKFLOW_HISTORY_INSERT, NULL, hist,
		    hlen, UPLOAD_CALL_MS, &req, &reqlen);
		free(hist);
		if (st != MST_OK) {
			status = call_failed("keeping the previous version",
			    st, req, reqlen, body, blen);
			goto out;
		}
		free(req);
		req = NULL;
		ver++;
	}
	if (record_json(m, ucid, modname, gridfs, ver, &req, &reqlen) == -1) {
		status = oom_body(body, blen);
		goto out;
	}
	res = db_obj(bc, cur != NULL ? MSG_WORKFLOW_UPDATE :
	    MSG_WORKFLOW_INSERT, "registering the workflow", req, reqlen, NULL,
	    &status, body, blen);
	if (res == NULL)
		goto out;
	if ((id = json_get_str(res, "_id")) == NULL) {
		status = detail_body(500, "Failed to register workflow, no ID "
		    "returned.", body, blen);
		goto out;
	}
	yajl_gen_free(g);
	if ((g = json_gen_new()) == NULL) {
		status = oom_body(body, blen);
		goto out;
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "id", id);
	json_gen_kv_str(g, "wid", m->wid);
	(void)yajl_gen_map_close(g);
	status = gen_take(g, body, blen) == 0 ? 200 : oom_body(body, blen);
out:
	free(req);
	yajl_tree_free(cur);
	yajl_tree_free(res);
	if (g != NULL)
		yajl_gen_free(g);
	return status;
}

static int
finish_workflow(struct upload *u, struct bchan *bc, const char *ucid,
    char **body, size_t *blen)
{
	struct meta	 m;
	struct ufile	*mf;
	yajl_gen	 g;
	const char	*why;
	char		 modname[MP_NAME_MAX], gridfs[25], *req = NULL;
	char		*reply = NULL;
	size_t		 reqlen = 0, rlen = 0;
	int		 zfd, st, status;

	if (ucid == NULL || ucid[0] == '\0' || strlen(ucid) > 255)
		return detail_body(422, "bad use case id", body, blen);
	printable(ucid, modname, sizeof(modname));
	if (strcmp(modname, ucid) != 0)
		return detail_body(422, "bad use case id", body, blen);
	if (u->main == -1)
		return missing_body("workflow_file", body, blen);
	mf = &u->files[u->main];
	if (mf->size == 0)
		return detail_body(400, "Main workflow file cannot be empty.",
		    body, blen);
	(void)strlcpy(modname, mf->name, sizeof(modname));
	modname[strlen(modname) - 3] = '\0';	/* ".py", checked */
	if (seal_files(u) == -1)
		return detail_body(500, "cannot seal the upload", body, blen);
	if ((zfd = build_zip(u, &why)) == -1)
		return detail_body(500, why, body, blen);
	if ((g = json_gen_new()) == NULL) {
		(void)close(zfd);
		return oom_body(body, blen);
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "main", mf->name);
	(void)yajl_gen_map_close(g);
	st = gen_take(g, &req, &reqlen);
	yajl_gen_free(g);
	if (st == -1) {
		(void)close(zfd);
		return oom_body(body, blen);
	}
	st = bchan_call_fd(bc, MSG_SCHED_INSPECT, NULL, req, reqlen, zfd,
	    UPLOAD_CALL_MS, &reply, &rlen, NULL);
	free(req);
	if (st == MST_BADREQ) {
		/* The code could not be inspected: the scheduler's reason. */
		status = inspect_refused(reply, rlen, body, blen);
		free(reply);
		(void)close(zfd);
		return status;
	}
	if (st != MST_OK) {
		status = call_failed("workflow inspection unavailable", st,
		    reply, rlen, body, blen);
		free(reply);
		(void)close(zfd);
		return status;
	}
	if (meta_read(&m, reply, rlen) == -1) {
		free(reply);
		yajl_tree_free(m.root);
		(void)close(zfd);
		return detail_body(422, "Incomplete workflow metadata. Cannot "
		    "register workflow.", body, blen);
	}
	free(reply);
	/* Inspected: from here on, things are written. */
	if (put_file(bc, zfd, "files.zip", "application/zip", gridfs, &status,
	    body, blen) == -1) {
		yajl_tree_free(m.root);
		(void)close(zfd);
		return status;
	}
	(void)close(zfd);
	status = register_workflow(bc, &m, ucid, modname, gridfs, body, blen);
	yajl_tree_free(m.root);
	return status;
}

int
upload_finish(struct upload *u, struct bchan *bc, const char *ucid,
    char **body, size_t *blen)
{
	*body = NULL;
	*blen = 0;
	if (u->status == 0 && multipart_finish(u->mp) == -1)
		(void)refuse(u, 422, "malformed multipart body: %s",
		    multipart_error(u->mp));
	if (u->status != 0)
		return detail_body(u->status, u->detail, body, blen);
	if (u->kind == UPLOAD_FILE)
		return finish_file(u, bc, body, blen);
	return finish_workflow(u, bc, ucid, body, blen);
}

void
upload_free(struct upload *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->nfiles; i++)
		if (u->files[i].fd != -1)
			(void)close(u->files[i].fd);
	multipart_free(u->mp);
	free(u);
}
