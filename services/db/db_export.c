/*
 * db_export.c - moving a database between backends: db_export() writes
 * every document and every file as JSON lines, db_import() reads such
 * lines back into a database (`mupif-central db export` / `db import`).
 *
 * Role: runs in the db binary's one-shot modes (db.c, "mode" "export" or
 * "import" in the start-up document), after the jail, the opening of the
 * backend and the seccomp seal, so it is exactly as confined as the db
 * service: policy/db.profile + db.seccomp, or db-mongo.profile +
 * db-mongo.seccomp.  Beyond what the backend does it uses read(2) on
 * fd 0, write(2) on fd 1, lseek(2), poll(2) and memfd_create(2), all in
 * those allowlists.  No qsort(3): glibc's asks sysinfo(2), which they
 * do not allow.
 *
 * Trust: the export reads our own database.  The import's input is the
 * operator's file and is treated as untrusted: a line is at most
 * XP_LINE_MAX bytes and goes through json_parse() (depth, NUL and
 * duplicate-key checks); each kind of line has one reader that requires
 * every key and allows no other.  Error messages name the line and ids,
 * never echo other input.  Fuzzed by fuzz/fuzz_dbimport.c against an
 * in-memory SQLite backend.
 *
 * Format, one JSON object per line, every line ending in "\n":
 *
 *   {"format":"mupif-central-db","version":1}
 *   {"collection":NAME,"doc":{"_id":ID,...}}                a document
 *   {"file":ID,"filename":S,"content_type":S,"length":N}   a file ...
 *   {"chunk":ID,"n":K,"data":BASE64}                        ... its bytes
 *   {"end":{"documents":D,"files":F}}
 *
 * The documents come collection by collection in the order of
 * DB_COLL_TABLE, each collection by ascending _id; then the files by
 * ascending id, each header line followed by its chunks, n = 0, 1, ...,
 * each 1 to 255 KiB of bytes in libsodium's original base64 with padding
 * (no chunk for an empty file).  The end line counts the records, so a
 * truncated export is refused.  Numbers are written canonically: an
 * integer as an integer, any other number as the shortest text that reads
 * back as the same double (with ".0" if that text would read as an
 * integer).  So an export is a function of the stored values only, and
 * the same data exported from SQLite and from MongoDB gives the same
 * bytes.  Import insists on that order (no collection twice, ids
 * ascending, files last), which also keeps an id from coming twice.
 *
 * Ids are kept: documents and files get the ids they had, so references
 * between them (a workflow's GridFSID, an execution's WorkflowID) stay
 * valid.  What a failed import leaves behind: see db_import().
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sodium.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "msg_types.h"
#include "banned.h"

#define XP_FORMAT	"mupif-central-db"
#define XP_VERSION	1
#define XP_CHUNK	(255 * 1024)		/* bytes of one chunk line */
#define XP_B64_MAX	sodium_base64_ENCODED_LEN(XP_CHUNK, \
			    sodium_base64_VARIANT_ORIGINAL)
#define XP_LINE_MAX	(DB_DOC_MAX + 4096)	/* a document and its wrapper */
#define XP_DEPTH	64			/* nesting of a document */
#define XP_STR_MAX	4096			/* a filename, a content type */
#define XP_FILE_MAX	((uint64_t)4 << 30)	/* the MongoDB backend's cap */
#define XP_OUT_CAP	(64 * 1024)		/* output buffer */
#define XP_FILES	DC_COUNT		/* the section after the last
						   collection */

/* ------------------------------------------------------------------ */
/* Output and input descriptors: blocking or not, interrupted or not. */

static int
fd_wait(int fd, short ev)
{
	struct pollfd pfd = { .fd = fd, .events = ev };

	while (poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int
write_full(int fd, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 w;

	while (len > 0) {
		if ((w = write(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && fd_wait(fd, POLLOUT) == 0)
				continue;
			return -1;
		}
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

/* read(2) up to len bytes; 0 at the end of the input, -1 on error. */
static ssize_t
read_some(int fd, void *p, size_t len)
{
	ssize_t r;

	for (;;) {
		if ((r = read(fd, p, len)) >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && fd_wait(fd, POLLIN) == 0)
			continue;
		return -1;
	}
}

/* Exactly len bytes, or -1 (errno EPIPE if the input ended early). */
static int
read_full(int fd, void *p, size_t len)
{
	char	*c = p;
	ssize_t	 r;

	while (len > 0) {
		if ((r = read_some(fd, c, len)) == -1)
			return -1;
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		c += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Buffered output: lines are collected and written XP_OUT_CAP at a time. */
struct obuf {
	int	 fd;
	char	*p;
	size_t	 len;
};

static int
ob_flush(struct obuf *o)
{
	if (o->len > 0 && write_full(o->fd, o->p, o->len) == -1)
		return -1;
	o->len = 0;
	return 0;
}

static int
ob_put(struct obuf *o, const void *p, size_t n)
{
	if (n > XP_OUT_CAP - o->len && ob_flush(o) == -1)
		return -1;
	if (n > XP_OUT_CAP)
		return write_full(o->fd, p, n);
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Canonical JSON */

/*
 * The canonical text of JSON number v into buf: an integer literal that
 * fits in 64 bits as "%lld"; anything else as the shortest "%.*g" that
 * reads back as the same double, ".0" added when it has neither a point
 * nor an exponent (it must stay a double: the MongoDB backend stores
 * integers and doubles as different BSON types).  -1 if v is not finite.
 */
static int
canon_number(yajl_val v, char *buf, size_t cap)
{
	const char	*r = v->u.number.r;
	char		*end;
	long long	 i;
	double		 d;
	size_t		 k;
	int		 p;

	if (r == NULL)
		return -1;
	k = strspn(r + (*r == '-'), "0123456789");
	if (k > 0 && r[(*r == '-') + k] == '\0') {
		errno = 0;
		i = strtoll(r, &end, 10);
		if (errno == 0 && *end == '\0') {
			(void)snprintf(buf, cap, "%lld", i);
			return 0;
		}
	}
	d = strtod(r, &end);
	if (*end != '\0' || !isfinite(d))
		return -1;
	for (p = 1; p <= 17; p++) {
		(void)snprintf(buf, cap, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (strpbrk(buf, ".e") == NULL)
		(void)strlcat(buf, ".0", cap);
	return 0;
}

/* Generate v canonically (key order kept); -1 on a non-finite number
 * or a generator error.  Depth is bounded by the json_parse() that made
 * v. */
static int
gen_canon(yajl_gen g, yajl_val v)
{
	char	nb[64];
	size_t	i;

	if (YAJL_IS_STRING(v))
		return yajl_gen_string(g, (const unsigned char *)v->u.string,
		    strlen(v->u.string)) == yajl_gen_status_ok ? 0 : -1;
	if (YAJL_IS_NUMBER(v)) {
		if (canon_number(v, nb, sizeof(nb)) == -1)
			return -1;
		return yajl_gen_number(g, nb, strlen(nb)) ==
		    yajl_gen_status_ok ? 0 : -1;
	}
	if (YAJL_IS_OBJECT(v)) {
		if (yajl_gen_map_open(g) != yajl_gen_status_ok)
			return -1;
		for (i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];

			if (yajl_gen_string(g, (const unsigned char *)k,
			    strlen(k)) != yajl_gen_status_ok ||
			    gen_canon(g, v->u.object.values[i]) == -1)
				return -1;
		}
		return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
	}
	if (YAJL_IS_ARRAY(v)) {
		if (yajl_gen_array_open(g) != yajl_gen_status_ok)
			return -1;
		for (i = 0; i < v->u.array.len; i++)
			if (gen_canon(g, v->u.array.values[i]) == -1)
				return -1;
		return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
	}
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return yajl_gen_bool(g, YAJL_IS_TRUE(v)) ==
		    yajl_gen_status_ok ? 0 : -1;
	return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
}

/* Start a new top-level value in g. */
static void
gen_restart(yajl_gen g)
{
	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
}

/* A collection's index from its name, or -1. */
static int
coll_of(const char *name)
{
	int c;

	for (c = 0; c < DC_COUNT; c++)
		if (strcmp(db_coll_name((enum db_coll)c), name) == 0)
			return c;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Export */

struct xp {
	struct db_backend	 *b;
	struct obuf		  out;
	yajl_gen		  g;
	enum db_coll		  coll;
	char			  last[DB_ID_LEN + 1];
	uint64_t		  docs, files;
	char			(*ids)[DB_ID_LEN + 1];	/* the files */
	size_t			  nids, capids;
	char			 *err;
	size_t			  errlen;
	int			  failed;
};

static int	xp_fail(struct xp *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record the first failure; always -1. */
static int
xp_fail(struct xp *x, const char *fmt, ...)
{
	va_list ap;

	if (!x->failed) {
		va_start(ap, fmt);
		(void)vsnprintf(x->err, x->errlen, fmt, ap);
		va_end(ap);
	}
	x->failed = 1;
	return -1;
}

/* The line in the generator, then "\n". */
static int
xp_emit(struct xp *x)
{
	const unsigned char	*buf;
	size_t			 len;
	int			 r = 0;

	if (yajl_gen_get_buf(x->g, &buf, &len) != yajl_gen_status_ok)
		r = xp_fail(x, "cannot generate a line");
	else if (ob_put(&x->out, buf, len) == -1 ||
	    ob_put(&x->out, "\n", 1) == -1)
		r = xp_fail(x, "write: %s", strerror(errno));
	gen_restart(x->g);
	return r;
}

/* db_doc_cb: one document of collection x->coll. */
static int
xp_doc(void *arg, const char *json, size_t len)
{
	struct xp	*x = arg;
	const char	*name = db_coll_name(x->coll), *id;
	yajl_val	 v;
	char		 e[128];
	int		 r;

	if (len > DB_DOC_MAX) {
		(void)xp_fail(x, "%s: a document of %zu bytes (import takes "
		    "at most %d)", name, len, DB_DOC_MAX);
		return 1;
	}
	if ((v = json_parse(json, len, DB_DOC_MAX, XP_DEPTH, e,
	    sizeof(e))) == NULL || !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		(void)xp_fail(x, "%s: a stored document that cannot be read "
		    "back (%s)", name, v == NULL ? e : "not an object");
		return 1;
	}
	id = json_get_str(v, "_id");
	if (!db_id_ok(id)) {
		yajl_tree_free(v);
		(void)xp_fail(x, "%s: a document whose _id is not an ObjectId",
		    name);
		return 1;
	}
	if (x->last[0] != '\0' && strcmp(id, x->last) <= 0) {
		(void)xp_fail(x, "%s: the backend gave %s after %s", name, id,
		    x->last);
		yajl_tree_free(v);
		return 1;
	}
	(void)strlcpy(x->last, id, sizeof(x->last));
	(void)yajl_gen_map_open(x->g);
	json_gen_kv_str(x->g, "collection", name);
	json_gen_cstr(x->g, "doc");
	r = gen_canon(x->g, v);
	(void)yajl_gen_map_close(x->g);
	if (r == -1) {
		gen_restart(x->g);
		(void)xp_fail(x, "%s %s: a value that cannot be exported (a "
		    "number that is not finite?)", name, x->last);
	} else if ((r = xp_emit(x)) == 0)
		x->docs++;
	yajl_tree_free(v);
	return r == 0 ? 0 : 1;
}

/* db_file_cb: collect the ids (the files are read after the listing,
 * which must not stay open meanwhile: a MongoDB cursor times out). */
static int
xp_file_id(void *arg, const char *id, const char *fn, const char *ct,
    uint64_t len)
{
	struct xp	*x = arg;
	void		*n;

	(void)fn;
	(void)ct;
	(void)len;
	if (!db_id_ok(id) ||
	    (x->nids > 0 && strcmp(id, x->ids[x->nids - 1]) <= 0)) {
		(void)xp_fail(x, "files: the backend listed a bad id or not "
		    "in ascending order");
		return 1;
	}
	if (x->nids == x->capids) {
		size_t cap = x->capids == 0 ? 64 : x->capids * 2;

		if ((n = reallocarray(x->ids, cap, sizeof(*x->ids))) == NULL) {
			(void)xp_fail(x, "out of memory");
			return 1;
		}
		x->ids = n;
		x->capids = cap;
	}
	(void)strlcpy(x->ids[x->nids++], id, DB_ID_LEN + 1);
	return 0;
}

/* One file: its header line and its chunk lines. */
static int
xp_file(struct xp *x, const char *id, uint8_t *buf, char *b64)
{
	char		*fn = NULL, *ct = NULL;
	uint64_t	 len = 0, off = 0, n = 0;
	size_t		 want;
	int		 fd = -1, st, r = -1;

	if ((st = x->b->file_get(x->b, id, &fd, &len, &fn, &ct)) != MST_OK)
		return xp_fail(x, "file %s: cannot be read (%s)", id,
		    msg_status_name((unsigned)st));
	if (len > XP_FILE_MAX) {
		(void)xp_fail(x, "file %s: %llu bytes (import takes at most "
		    "%llu)", id, (unsigned long long)len,
		    (unsigned long long)XP_FILE_MAX);
		goto out;
	}
	(void)yajl_gen_map_open(x->g);
	json_gen_kv_str(x->g, "file", id);
	json_gen_kv_str(x->g, "filename", fn);
	json_gen_kv_str(x->g, "content_type", ct);
	json_gen_kv_int(x->g, "length", (long long)len);
	(void)yajl_gen_map_close(x->g);
	if (xp_emit(x) == -1)
		goto out;
	for (off = 0; off < len; off += want, n++) {
		want = len - off < XP_CHUNK ? (size_t)(len - off) : XP_CHUNK;
		if (read_full(fd, buf, want) == -1) {
			(void)xp_fail(x, "file %s: reading its bytes: %s", id,
			    strerror(errno));
			goto out;
		}
		(void)sodium_bin2base64(b64, XP_B64_MAX, buf, want,
		    sodium_base64_VARIANT_ORIGINAL);
		(void)yajl_gen_map_open(x->g);
		json_gen_kv_str(x->g, "chunk", id);
		json_gen_kv_int(x->g, "n", (long long)n);
		json_gen_kv_str(x->g, "data", b64);
		(void)yajl_gen_map_close(x->g);
		if (xp_emit(x) == -1)
			goto out;
	}
	x->files++;
	r = 0;
 out:
	if (fd != -1)
		(void)close(fd);
	free(fn);
	free(ct);
	return r;
}

int
db_export(struct db_backend *b, int fd, struct db_xstats *stats, char *err,
    size_t errlen)
{
	struct xp	 x;
	struct db_query	 q;
	uint8_t		*buf = NULL;
	char		*b64 = NULL;
	size_t		 i;
	int		 st, snap = 0;

	memset(&x, 0, sizeof(x));
	x.b = b;
	x.out.fd = fd;
	x.err = err;
	x.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if ((x.out.p = malloc(XP_OUT_CAP)) == NULL ||
	    (x.g = json_gen_new()) == NULL ||
	    (buf = malloc(XP_CHUNK)) == NULL ||
	    (b64 = malloc(XP_B64_MAX)) == NULL) {
		(void)xp_fail(&x, "out of memory");
		goto out;
	}
	(void)yajl_gen_map_open(x.g);
	json_gen_kv_str(x.g, "format", XP_FORMAT);
	json_gen_kv_int(x.g, "version", XP_VERSION);
	(void)yajl_gen_map_close(x.g);
	if (xp_emit(&x) == -1)
		goto out;
	/* SQLite: one snapshot for the whole export, while a node goes on
	 * writing (WAL).  MongoDB: no snapshot across collections. */
	if (b->begin != NULL) {
		if (b->begin(b, 0) != MST_OK) {
			(void)xp_fail(&x, "cannot start a read transaction");
			goto out;
		}
		snap = 1;
	}
	for (i = 0; i < DC_COUNT && !x.failed; i++) {
		memset(&q, 0, sizeof(q));
		q.coll = (enum db_coll)i;	/* sort NULL: by _id */
		x.coll = q.coll;
		x.last[0] = '\0';
		st = b->find(b, &q, xp_doc, &x);
		if (st != MST_OK)
			(void)xp_fail(&x, "%s: reading failed (%s)",
			    db_coll_name(q.coll),
			    msg_status_name((unsigned)st));
	}
	if (!x.failed && (st = b->file_list(b, xp_file_id, &x)) != MST_OK)
		(void)xp_fail(&x, "files: listing failed (%s)",
		    msg_status_name((unsigned)st));
	for (i = 0; i < x.nids && !x.failed; i++)
		(void)xp_file(&x, x.ids[i], buf, b64);
	if (snap && b->end(b, 1) != MST_OK)
		(void)xp_fail(&x, "cannot end the read transaction");
	if (x.failed)
		goto out;
	(void)yajl_gen_map_open(x.g);
	json_gen_cstr(x.g, "end");
	(void)yajl_gen_map_open(x.g);
	json_gen_kv_int(x.g, "documents", (long long)x.docs);
	json_gen_kv_int(x.g, "files", (long long)x.files);
	(void)yajl_gen_map_close(x.g);
	(void)yajl_gen_map_close(x.g);
	if (xp_emit(&x) == 0 && ob_flush(&x.out) == -1)
		(void)xp_fail(&x, "write: %s", strerror(errno));
 out:
	if (stats != NULL) {
		stats->docs = x.docs;
		stats->files = x.files;
	}
	if (x.g != NULL)
		yajl_gen_free(x.g);
	free(x.out.p);
	free(x.ids);
	free(buf);
	free(b64);
	return x.failed ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Import: the input, line by line */

struct src {
	int		 fd;		/* -1: memory */
	const char	*mem;
	size_t		 memlen, mempos;
	off_t		 off0;		/* fd's start offset; -1: cannot seek */
	char		*buf;		/* XP_LINE_MAX + 2 bytes */
	size_t		 start, end;	/* unread: buf[start, end) */
	int		 eof;
	uint64_t	 line;		/* number of the line last returned */
};

#define SRC_CAP	(XP_LINE_MAX + 2)

/*
 * The next line (without its "\n", not NUL-terminated, valid until the
 * next call): 1; 0 at the end of the input; -1 with a message in err.
 */
static int
src_next(struct src *s, const char **line, size_t *len, char *err,
    size_t errlen)
{
	char	*nl;
	ssize_t	 r;
	size_t	 n;

	for (;;) {
		nl = memchr(s->buf + s->start, '\n', s->end - s->start);
		if (nl != NULL) {
			*line = s->buf + s->start;
			*len = (size_t)(nl - (s->buf + s->start));
			s->start = (size_t)(nl - s->buf) + 1;
			s->line++;
			return 1;
		}
		if (s->end - s->start > XP_LINE_MAX) {
			(void)snprintf(err, errlen, "line %llu: longer than %d "
			    "bytes", (unsigned long long)s->line + 1,
			    XP_LINE_MAX);
			return -1;
		}
		if (s->eof) {
			if (s->end == s->start)
				return 0;
			(void)snprintf(err, errlen, "line %llu: the input ends "
			    "inside it (no newline: truncated?)",
			    (unsigned long long)s->line + 1);
			return -1;
		}
		if (s->start > 0) {
			memmove(s->buf, s->buf + s->start, s->end - s->start);
			s->end -= s->start;
			s->start = 0;
		}
		n = SRC_CAP - s->end;
		if (s->fd == -1) {
			if (n > s->memlen - s->mempos)
				n = s->memlen - s->mempos;
			memcpy(s->buf + s->end, s->mem + s->mempos, n);
			s->mempos += n;
			r = (ssize_t)n;
		} else if ((r = read_some(s->fd, s->buf + s->end, n)) == -1) {
			(void)snprintf(err, errlen, "line %llu: reading the "
			    "input: %s", (unsigned long long)s->line + 1,
			    strerror(errno));
			return -1;
		}
		if (r == 0)
			s->eof = 1;
		s->end += (size_t)r;
	}
}

/* Back to the start, for a second pass; -1 if the input cannot seek. */
static int
src_rewind(struct src *s)
{
	if (s->fd == -1)
		s->mempos = 0;
	else if (s->off0 == -1 || lseek(s->fd, s->off0, SEEK_SET) == -1)
		return -1;
	s->start = s->end = 0;
	s->eof = 0;
	s->line = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Import: the records */

struct imp {
	struct db_backend	 *b;
	int			  check;	/* look ids up in the db */
	int			  write;	/* and write */
	yajl_gen		  g;
	char			 *err;
	size_t			  errlen;
	uint64_t		  line;
	int			  header, ended;
	int			  section;	/* -1, a collection, XP_FILES */
	char			  last[DB_ID_LEN + 1];
	uint64_t		  docs, files;		/* records read */
	uint64_t		  wdocs, wfiles;	/* records written */
	long long		  count[DC_COUNT];	/* in the database at
							   the start; -1 */
	char			(*have)[DB_ID_LEN + 1];	/* its files */
	size_t			  nhave, caphave;
	int			  have_loaded, have_bad;
	/* The file whose chunks are being read. */
	int			  infile;
	char			  fid[DB_ID_LEN + 1];
	char			 *fname, *fctype;
	uint64_t		  flen, fgot, fnext;
	int			  mfd;
	uint8_t			 *chunk;	/* XP_CHUNK bytes */
};

static int	ip_fail(struct imp *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* "line N: ..." into err; always -1. */
static int
ip_fail(struct imp *ip, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(ip->err, ip->errlen, "line %llu: ",
	    (unsigned long long)ip->line);
	if (n < 0 || (size_t)n >= ip->errlen)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(ip->err + n, ip->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* 0 if v is an object with exactly the keys in want (NULL-terminated). */
static int
keys_exactly(yajl_val v, const char *const *want)
{
	const char	*bad;
	size_t		 n;

	if (json_only_keys(v, want, &bad) == -1)
		return -1;
	for (n = 0; want[n] != NULL; n++)
		if (json_get(v, want[n]) == NULL)
			return -1;
	return v->u.object.len == n ? 0 : -1;
}

static int
ip_header(struct imp *ip, yajl_val v)
{
	static const char *const keys[] = { "format", "version", NULL };
	const char	*f;
	long long	 ver;

	if (keys_exactly(v, keys) == -1 ||
	    (f = json_get_str(v, "format")) == NULL ||
	    strcmp(f, XP_FORMAT) != 0 ||
	    json_get_int(v, "version", &ver) == -1)
		return ip_fail(ip, "not a mupif-central db export (its first "
		    "line is {\"format\":\"%s\",\"version\":%d})", XP_FORMAT,
		    XP_VERSION);
	if (ver != XP_VERSION)
		return ip_fail(ip, "export format version %lld: this program "
		    "reads version %d", ver, XP_VERSION);
	ip->header = 1;
	return 0;
}

/* Sections come in order, ids ascend within one. */
static int
ip_order(struct imp *ip, int section, const char *id)
{
	const char *name = section == XP_FILES ? "files" :
	    db_coll_name((enum db_coll)section);

	if (section < ip->section)
		return ip_fail(ip, "%s after %s: the export's order is the "
		    "collections in a fixed order, then the files", name,
		    ip->section == XP_FILES ? "the files" :
		    db_coll_name((enum db_coll)ip->section));
	if (section == ip->section && strcmp(id, ip->last) <= 0)
		return ip_fail(ip, "%s %s comes after %s: ids must ascend",
		    name, id, ip->last);
	ip->section = section;
	(void)strlcpy(ip->last, id, sizeof(ip->last));
	return 0;
}

/* Is document id of collection c already in the database?  1, 0, or -1
 * (message set).  The count is taken at the collection's first line,
 * before this import wrote any of it. */
static int
ip_doc_exists(struct imp *ip, enum db_coll c, const char *id)
{
	struct db_query	 q;
	uint64_t	 n;
	char		*doc = NULL;
	int		 st;

	if (ip->count[c] == -1) {
		memset(&q, 0, sizeof(q));
		q.coll = c;
		if ((st = ip->b->count(ip->b, &q, &n)) != MST_OK)
			return ip_fail(ip, "cannot count %s in the database "
			    "(%s)", db_coll_name(c),
			    msg_status_name((unsigned)st));
		ip->count[c] = n > LLONG_MAX ? LLONG_MAX : (long long)n;
	}
	if (ip->count[c] == 0)
		return 0;
	if ((st = ip->b->get(ip->b, c, id, &doc)) == MST_NOTFOUND)
		return 0;
	free(doc);
	if (st != MST_OK)
		return ip_fail(ip, "cannot look up %s %s (%s)",
		    db_coll_name(c), id, msg_status_name((unsigned)st));
	return 1;
}

static int
ip_doc(struct imp *ip, yajl_val v)
{
	static const char *const keys[] = { "collection", "doc", NULL };
	const unsigned char	*text;
	const char		*name, *id;
	yajl_val		 doc;
	size_t			 len;
	char			 newid[DB_ID_LEN + 1];
	int			 c, st, r;

	if (keys_exactly(v, keys) == -1)
		return ip_fail(ip, "a document line has the keys "
		    "\"collection\" and \"doc\" and no other");
	if ((name = json_get_str(v, "collection")) == NULL ||
	    (c = coll_of(name)) == -1)
		return ip_fail(ip, "not a collection of this database");
	doc = json_get(v, "doc");
	if (!YAJL_IS_OBJECT(doc) || !db_id_ok(id = json_get_str(doc, "_id")))
		return ip_fail(ip, "a %s document needs an object with a "
		    "24-hex \"_id\"", name);
	if (ip_order(ip, c, id) == -1)
		return -1;
	gen_restart(ip->g);
	if (gen_canon(ip->g, doc) == -1 ||
	    yajl_gen_get_buf(ip->g, &text, &len) != yajl_gen_status_ok)
		return ip_fail(ip, "%s %s: a number that is not finite", name,
		    id);
	if (len > DB_DOC_MAX)
		return ip_fail(ip, "%s %s: larger than %d bytes", name, id,
		    DB_DOC_MAX);
	ip->docs++;
	if (ip->check) {
		if ((r = ip_doc_exists(ip, (enum db_coll)c, id)) == -1)
			return -1;
		if (r == 1)
			return ip_fail(ip, "%s %s is already in the database",
			    name, id);
		/* One Settings and one Stat document: mupifDB reads the
		 * first; a node that started on this database seeded both. */
		if ((c == DC_SETTINGS || c == DC_STAT) && ip->count[c] > 0)
			return ip_fail(ip, "the database already holds a %s "
			    "document (seeded when a node started on it): "
			    "import into an empty database", name);
	}
	if (!ip->write)
		return 0;
	st = ip->b->insert(ip->b, (enum db_coll)c, (const char *)text, len,
	    newid);
	if (st == MST_OK) {
		ip->wdocs++;
		return 0;
	}
	if (st == MST_BADREQ) {
		ip->count[c] = -1;
		if ((r = ip_doc_exists(ip, (enum db_coll)c, id)) == -1)
			return -1;
		return ip_fail(ip, "%s %s %s", name, id, r == 1 ?
		    "is already in the database" : "was refused by the "
		    "database (a unique field, such as a user's mail, taken "
		    "already?)");
	}
	return ip_fail(ip, "%s %s: the database failed (%s)", name, id,
	    msg_status_name((unsigned)st));
}

/* db_file_cb: the database's file ids, ascending. */
static int
ip_have_cb(void *arg, const char *id, const char *fn, const char *ct,
    uint64_t len)
{
	struct imp	*ip = arg;
	void		*n;

	(void)fn;
	(void)ct;
	(void)len;
	if (!db_id_ok(id) ||
	    (ip->nhave > 0 && strcmp(id, ip->have[ip->nhave - 1]) <= 0)) {
		ip->have_bad = 1;
		return 1;
	}
	if (ip->nhave == ip->caphave) {
		size_t cap = ip->caphave == 0 ? 64 : ip->caphave * 2;

		if ((n = reallocarray(ip->have, cap, sizeof(*ip->have))) ==
		    NULL) {
			ip->have_bad = 1;
			return 1;
		}
		ip->have = n;
		ip->caphave = cap;
	}
	(void)strlcpy(ip->have[ip->nhave++], id, DB_ID_LEN + 1);
	return 0;
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Is file id in the database?  1, 0, or -1. */
static int
ip_file_exists(struct imp *ip, const char *id)
{
	int st;

	if (!ip->have_loaded) {
		ip->have_loaded = 1;
		if ((st = ip->b->file_list(ip->b, ip_have_cb, ip)) != MST_OK)
			return ip_fail(ip, "cannot list the database's files "
			    "(%s)", msg_status_name((unsigned)st));
		if (ip->have_bad)
			return ip_fail(ip, "cannot list the database's files "
			    "(out of memory, or not by ascending id)");
	}
	if (ip->nhave == 0)
		return 0;
	return bsearch(id, ip->have, ip->nhave, sizeof(*ip->have),
	    id_cmp) != NULL;
}

static void
ip_file_clear(struct imp *ip)
{
	if (ip->mfd != -1)
		(void)close(ip->mfd);
	ip->mfd = -1;
	free(ip->fname);
	free(ip->fctype);
	ip->fname = ip->fctype = NULL;
	ip->infile = 0;
}

/* All of the file's bytes are in: store it. */
static int
ip_file_done(struct imp *ip)
{
	char	id[DB_ID_LEN + 1];
	int	st;

	if (ip->write) {
		if (lseek(ip->mfd, 0, SEEK_SET) == -1)
			return ip_fail(ip, "file %s: lseek: %s", ip->fid,
			    strerror(errno));
		st = ip->b->file_put(ip->b, ip->mfd, ip->flen, ip->fname,
		    ip->fctype, ip->fid, id);
		if (st != MST_OK)
			return ip_fail(ip, "file %s %s (%s)", ip->fid,
			    st == MST_BADREQ ? "was refused by the database "
			    "(a file with this id there already?)" :
			    "could not be stored",
			    msg_status_name((unsigned)st));
		ip->wfiles++;
	}
	ip_file_clear(ip);
	return 0;
}

static int
ip_file(struct imp *ip, yajl_val v)
{
	static const char *const keys[] = { "file", "filename",
	    "content_type", "length", NULL };
	const char	*id, *fn, *ct;
	long long	 len;
	int		 r;

	if (keys_exactly(v, keys) == -1)
		return ip_fail(ip, "a file line has the keys \"file\", "
		    "\"filename\", \"content_type\" and \"length\" and no "
		    "other");
	if (!db_id_ok(id = json_get_str(v, "file")))
		return ip_fail(ip, "a file id is 24 hex digits");
	if ((fn = json_get_str(v, "filename")) == NULL ||
	    strlen(fn) > XP_STR_MAX ||
	    (ct = json_get_str(v, "content_type")) == NULL ||
	    strlen(ct) > XP_STR_MAX)
		return ip_fail(ip, "file %s: filename and content_type are "
		    "strings of at most %d bytes", id, XP_STR_MAX);
	if (json_get_int(v, "length", &len) == -1 || len < 0 ||
	    (uint64_t)len > XP_FILE_MAX)
		return ip_fail(ip, "file %s: length is an integer from 0 to "
		    "%llu", id, (unsigned long long)XP_FILE_MAX);
	if (ip_order(ip, XP_FILES, id) == -1)
		return -1;
	ip->files++;
	if (ip->check) {
		if ((r = ip_file_exists(ip, id)) == -1)
			return -1;
		if (r == 1)
			return ip_fail(ip, "file %s is already in the database",
			    id);
	}
	(void)strlcpy(ip->fid, id, sizeof(ip->fid));
	ip->flen = (uint64_t)len;
	ip->fgot = ip->fnext = 0;
	ip->infile = 1;
	if ((ip->fname = strdup(fn)) == NULL ||
	    (ip->fctype = strdup(ct)) == NULL)
		return ip_fail(ip, "out of memory");
	if (ip->write && (ip->mfd = memfd_create("import", MFD_CLOEXEC)) ==
	    -1)
		return ip_fail(ip, "file %s: memfd_create: %s", id,
		    strerror(errno));
	return ip->flen == 0 ? ip_file_done(ip) : 0;
}

static int
ip_chunk(struct imp *ip, yajl_val v)
{
	static const char *const keys[] = { "chunk", "n", "data", NULL };
	const char	*id, *data;
	long long	 n;
	size_t		 dlen, blen;

	if (!ip->infile)
		return ip_fail(ip, "a chunk line without its file line");
	if (keys_exactly(v, keys) == -1)
		return ip_fail(ip, "a chunk line has the keys \"chunk\", "
		    "\"n\" and \"data\" and no other");
	if ((id = json_get_str(v, "chunk")) == NULL ||
	    strcmp(id, ip->fid) != 0)
		return ip_fail(ip, "file %s: a chunk of another file", ip->fid);
	if (json_get_int(v, "n", &n) == -1 || n < 0 ||
	    (unsigned long long)n != ip->fnext)
		return ip_fail(ip, "file %s: chunk %llu is due here", ip->fid,
		    (unsigned long long)ip->fnext);
	if ((data = json_get_str(v, "data")) == NULL)
		return ip_fail(ip, "file %s chunk %llu: no data", ip->fid,
		    (unsigned long long)ip->fnext);
	dlen = strlen(data);
	if (dlen >= XP_B64_MAX ||
	    sodium_base642bin(ip->chunk, XP_CHUNK, data, dlen, NULL, &blen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return ip_fail(ip, "file %s chunk %llu: data is not base64 "
		    "(with padding) of at most %d bytes", ip->fid,
		    (unsigned long long)ip->fnext, XP_CHUNK);
	if (blen == 0)
		return ip_fail(ip, "file %s chunk %llu: empty", ip->fid,
		    (unsigned long long)ip->fnext);
	if (blen > ip->flen - ip->fgot)
		return ip_fail(ip, "file %s: more bytes than its length, %llu",
		    ip->fid, (unsigned long long)ip->flen);
	if (ip->write && write_full(ip->mfd, ip->chunk, blen) == -1)
		return ip_fail(ip, "file %s: writing the memfd: %s", ip->fid,
		    strerror(errno));
	ip->fgot += blen;
	ip->fnext++;
	return ip->fgot == ip->flen ? ip_file_done(ip) : 0;
}

static int
ip_end(struct imp *ip, yajl_val v)
{
	static const char *const keys[] = { "end", NULL };
	static const char *const counts[] = { "documents", "files", NULL };
	yajl_val	 e = json_get(v, "end");
	long long	 d, f;

	if (keys_exactly(v, keys) == -1 || !YAJL_IS_OBJECT(e) ||
	    keys_exactly(e, counts) == -1 ||
	    json_get_int(e, "documents", &d) == -1 ||
	    json_get_int(e, "files", &f) == -1)
		return ip_fail(ip, "the end line is {\"end\":{\"documents\":N,"
		    "\"files\":N}}");
	if (d < 0 || f < 0 || (unsigned long long)d != ip->docs ||
	    (unsigned long long)f != ip->files)
		return ip_fail(ip, "the end line counts %lld documents and "
		    "%lld files, the lines before it hold %llu and %llu", d, f,
		    (unsigned long long)ip->docs,
		    (unsigned long long)ip->files);
	ip->ended = 1;
	return 0;
}

static int
ip_line(struct imp *ip, const char *text, size_t len)
{
	yajl_val	 v;
	char		 e[128];
	int		 r;

	if (len == 0)
		return ip_fail(ip, "an empty line");
	if ((v = json_parse(text, len, XP_LINE_MAX, XP_DEPTH + 1, e,
	    sizeof(e))) == NULL)
		return ip_fail(ip, "not JSON (%s)", e);
	if (!YAJL_IS_OBJECT(v))
		r = ip_fail(ip, "not a JSON object");
	else if (!ip->header)
		r = ip_header(ip, v);
	else if (ip->ended)
		r = ip_fail(ip, "a line after the end line");
	else if (json_get(v, "chunk") != NULL)
		r = ip_chunk(ip, v);
	else if (ip->infile)
		r = ip_fail(ip, "file %s: %llu of its %llu bytes came before "
		    "this line", ip->fid, (unsigned long long)ip->fgot,
		    (unsigned long long)ip->flen);
	else if (json_get(v, "collection") != NULL)
		r = ip_doc(ip, v);
	else if (json_get(v, "file") != NULL)
		r = ip_file(ip, v);
	else if (json_get(v, "end") != NULL)
		r = ip_end(ip, v);
	else
		r = ip_fail(ip, "not a line of a mupif-central db export");
	yajl_tree_free(v);
	return r;
}

/* One pass over the input. */
static int
ip_pass(struct imp *ip, struct src *s)
{
	const char	*line;
	size_t		 len;
	int		 r;

	while ((r = src_next(s, &line, &len, ip->err, ip->errlen)) == 1) {
		ip->line = s->line;
		if (ip_line(ip, line, len) == -1)
			return -1;
	}
	if (r == -1)
		return -1;
	ip->line = s->line;
	if (!ip->header) {
		(void)snprintf(ip->err, ip->errlen, "empty input: not a "
		    "mupif-central db export");
		return -1;
	}
	if (ip->infile)
		return ip_fail(ip, "the input ends after this line, inside "
		    "file %s (%llu of %llu bytes)", ip->fid,
		    (unsigned long long)ip->fgot,
		    (unsigned long long)ip->flen);
	if (!ip->ended)
		return ip_fail(ip, "the input ends after this line without "
		    "its end line (truncated?)");
	return 0;
}

static void
ip_init(struct imp *ip, struct db_backend *b, int check, int write,
    yajl_gen g, uint8_t *chunk, char *err, size_t errlen)
{
	size_t i;

	memset(ip, 0, sizeof(*ip));
	ip->b = b;
	ip->check = check;
	ip->write = write;
	ip->g = g;
	ip->chunk = chunk;
	ip->err = err;
	ip->errlen = errlen;
	ip->section = -1;
	ip->mfd = -1;
	for (i = 0; i < DC_COUNT; i++)
		ip->count[i] = -1;
}

static void
ip_free(struct imp *ip)
{
	ip_file_clear(ip);
	free(ip->have);
	ip->have = NULL;
}

/* Append a sentence to the message in err. */
static void
err_add(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
err_add(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;
	size_t	n = strnlen(err, errlen);

	if (n + 1 >= errlen)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

/*
 * Import from s.  If the input can be read twice (a file, memory), a
 * first pass checks every line and looks every id up in the database
 * before anything is written, so bad input and ids already present fail
 * with nothing written, on both backends.  The writing pass runs in one
 * transaction on SQLite, so that any failure there (also the database's
 * own, or a pipe as input, read once) writes nothing either.  MongoDB has
 * no transactions here: a failure while writing (server error, a unique
 * field taken, a pipe's line that the check could not see before) leaves
 * what was written before it, and the message says how much.
 */
static int
import_run(struct db_backend *b, struct src *s, struct db_xstats *stats,
    char *err, size_t errlen)
{
	struct imp	 ip;
	yajl_gen	 g;
	uint8_t		*chunk;
	int		 twice, txn, r = -1;

	if (errlen > 0)
		err[0] = '\0';
	if (stats != NULL)
		stats->docs = stats->files = 0;
	g = json_gen_new();
	chunk = malloc(XP_CHUNK);
	if (g == NULL || chunk == NULL || s->buf == NULL) {
		(void)snprintf(err, errlen, "out of memory; nothing was "
		    "imported");
		goto out;
	}
	twice = s->fd == -1 || s->off0 != -1;
	txn = b->begin != NULL && b->end != NULL;
	if (twice) {
		ip_init(&ip, b, 1, 0, g, chunk, err, errlen);
		r = ip_pass(&ip, s);
		ip_free(&ip);
		if (r == -1) {
			err_add(err, errlen, "; nothing was imported");
			goto out;
		}
		if (src_rewind(s) == -1) {
			(void)snprintf(err, errlen, "cannot read the input "
			    "again: %s; nothing was imported", strerror(errno));
			r = -1;
			goto out;
		}
	}
	if (txn && b->begin(b, 1) != MST_OK) {
		(void)snprintf(err, errlen, "cannot start a transaction; "
		    "nothing was imported");
		r = -1;
		goto out;
	}
	ip_init(&ip, b, !twice, 1, g, chunk, err, errlen);
	r = ip_pass(&ip, s);
	ip_free(&ip);
	if (r == 0 && txn && b->end(b, 1) != MST_OK) {
		(void)snprintf(err, errlen, "the final commit failed; nothing "
		    "was imported");
		r = -1;
	} else if (r == -1 && txn) {
		(void)b->end(b, 0);
		err_add(err, errlen, "; nothing was imported (rolled back)");
	} else if (r == -1 && ip.wdocs == 0 && ip.wfiles == 0)
		err_add(err, errlen, "; nothing was imported");
	else if (r == -1)
		err_add(err, errlen, "; the %llu documents and %llu files "
		    "before it were imported (this backend has no "
		    "transactions): remove them, or start again on an empty "
		    "database", (unsigned long long)ip.wdocs,
		    (unsigned long long)ip.wfiles);
	if (r == 0 && stats != NULL) {
		stats->docs = ip.wdocs;
		stats->files = ip.wfiles;
	}
 out:
	if (g != NULL)
		yajl_gen_free(g);
	free(chunk);
	return r;
}

int
db_import(struct db_backend *b, int fd, struct db_xstats *stats, char *err,
    size_t errlen)
{
	struct src	s;
	int		r;

	memset(&s, 0, sizeof(s));
	s.fd = fd;
	/* A regular file can be read twice; a pipe or a terminal cannot. */
	s.off0 = lseek(fd, 0, SEEK_CUR);
	s.buf = malloc(SRC_CAP);
	r = import_run(b, &s, stats, err, errlen);
	free(s.buf);
	return r;
}

int
db_import_mem(struct db_backend *b, const void *p, size_t len,
    struct db_xstats *stats, char *err, size_t errlen)
{
	struct src	s;
	int		r;

	memset(&s, 0, sizeof(s));
	s.fd = -1;
	s.mem = p;
	s.memlen = len;
	s.off0 = -1;
	s.buf = malloc(SRC_CAP);
	r = import_run(b, &s, stats, err, errlen);
	free(s.buf);
	return r;
}
