/*
 * db.c - main loop of the db service.
 *
 * Trust: holds the database; answers only typed operations that arrive
 * through the broker (caller already checked against broker.policy, and
 * stamped by the broker).  Each payload is read by one typed reader in
 * db_ops.c; no operation takes a raw query.  Answers too large for one
 * frame travel as a sealed memfd.  Confined by policy/db.profile and
 * policy/db.seccomp: chrooted into persistent/db as mupif-db, no network
 * namespace (SQLite), no capabilities.
 *
 * The start-up document's config "mode" selects what the process does:
 * "serve" (the service, the default), or one of the one-shot modes of
 * `mupif-central db export|import`: "export" writes the database to fd 1,
 * "import" reads an export from fd 0 (db_export.c), "user-add" reads one
 * user document from fd 0 and runs user.insert on it (`mupif-central user
 * add`; the CLI made the password hash), then the process exits 0 or 1
 * (3: that user exists already) with a log line on fd 2.  Those get the same jail, user,
 * profile and allowlist as the service, and no broker channel (fd 3 is
 * not there); they do not seed the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bchan.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "sandbox.h"
#include "banned.h"

#define DB_FILE		"mupif.sqlite"	/* in the jail (the cwd) */

static void
serve(struct bchan *bc, struct db_backend *b, struct msg *m)
{
	yajl_gen		 g;
	const unsigned char	*out = NULL;
	size_t			 outlen = 0;
	char			 err[256], body[320];
	int			 st, fd_out = -1, big = -1;

	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	st = db_dispatch(b, m->hdr.type, m->data, m->datalen, m->fd, &fd_out,
	    g, err, sizeof(err));
	if (st == MST_OK) {
		(void)yajl_gen_get_buf(g, &out, &outlen);
		/* Too big for a frame: the whole answer goes in a memfd
		 * (file.get already has its own fd). */
		if (outlen > MSG_MAX - MSG_HDR_LEN && fd_out == -1) {
			if ((big = util_sealed_memfd("reply", out, outlen)) == -1)
				st = MST_INTERNAL;
			out = NULL;
			outlen = 0;
		}
	}
	if (st != MST_OK) {
		yajl_gen e = json_gen_new();
		const unsigned char *eb;
		size_t el;

		if (st != MST_NOTFOUND)
			log_info("%s from %s: %s", msg_type_name(m->hdr.type),
			    svc_name(m->hdr.caller), err);
		/* {"detail": "..."}: what the API layer shows. */
		if (e != NULL) {
			(void)yajl_gen_map_open(e);
			json_gen_kv_str(e, "detail", err);
			(void)yajl_gen_map_close(e);
			if (yajl_gen_get_buf(e, &eb, &el) == yajl_gen_status_ok &&
			    el < sizeof(body)) {
				memcpy(body, eb, el);
				out = (const unsigned char *)body;
				outlen = el;
			}
			yajl_gen_free(e);
		}
		if (fd_out != -1) {
			(void)close(fd_out);
			fd_out = -1;
		}
	}
	bchan_reply_fd(bc, m, (unsigned)st, out, outlen,
	    fd_out != -1 ? fd_out : big);
	if (fd_out != -1)
		(void)close(fd_out);
	if (big != -1)
		(void)close(big);
	yajl_gen_free(g);
}

/*
 * user-add, once, after the seal: one JSON document (at most 64 KiB) on
 * fd 0, checked and stored by user.insert as if auth had sent it.  0
 * added, 3 the mail is taken, 1 anything else (the reason on fd 2).
 */
static int
user_add(struct db_backend *b)
{
	yajl_gen	 g;
	char		*doc = NULL, err[256];
	size_t		 len = 0;
	int		 st, fd = -1;

	if (util_read_fd(STDIN_FILENO, 64 * 1024, &doc, &len) == -1) {
		log_warn("user add: reading the user document");
		return 1;
	}
	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	st = db_dispatch(b, MSG_USER_INSERT, doc, len, -1, &fd, g, err,
	    sizeof(err));
	explicit_bzero(doc, len);
	free(doc);
	yajl_gen_free(g);
	if (st == MST_OK) {
		log_info("user added");
		return 0;
	}
	log_warnx("user add: %s", err);
	return st == MST_CONFLICT ? 3 : 1;
}

/*
 * export or import, once, after the seal.  The database's name, never the
 * URI, goes into the log line.
 */
static int
oneshot(struct db_backend *b, int import, const char *where)
{
	struct db_xstats	st;
	char			err[1024];

	if (import ? db_import(b, STDIN_FILENO, &st, err, sizeof(err)) :
	    db_export(b, STDOUT_FILENO, &st, err, sizeof(err))) {
		log_warnx("%s the %s failed: %s", import ? "import into" :
		    "export of", where, err);
		return 1;
	}
	log_info("%s %llu documents and %llu files %s the %s", import ?
	    "imported" : "exported", (unsigned long long)st.docs,
	    (unsigned long long)st.files, import ? "into" : "from", where);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sandbox		 sb;
	struct bchan		 bc;
	struct msg		 m;
	struct db_backend	*b;
	const char		*backend, *uri, *mdb, *mode;
	long long		 fmax;
	char			 err[256], where[128];
	int			 seeded, serving, rc;

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "db");
	if ((mode = json_get_str(sb.config, "mode")) == NULL)
		mode = "serve";
	if (strcmp(mode, "serve") != 0 && strcmp(mode, "export") != 0 &&
	    strcmp(mode, "import") != 0 && strcmp(mode, "user-add") != 0)
		fatalx("start-up document: unknown mode");
	serving = strcmp(mode, "serve") == 0;
	if (serving && bchan_init(&bc, FD_BROKER) == -1)
		fatal("bchan_init");
	/* Not under the launcher's log: name ourselves on the operator's
	 * terminal. */
	if (!serving)
		log_procinit(strcmp(mode, "export") == 0 ? "db export" :
		    strcmp(mode, "import") == 0 ? "db import" : "user add");
	/* SIGTERM keeps its default action: every write is one SQLite
	 * transaction, so dying between requests loses nothing (an import
	 * is one transaction too). */
	if (signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if ((backend = json_get_str(sb.config, "backend")) == NULL ||
	    (uri = json_get_str(sb.config, "mongo_uri")) == NULL ||
	    (mdb = json_get_str(sb.config, "mongo_db")) == NULL)
		fatalx("start-up document: no backend");
	if (json_get_int(sb.config, "file_max_bytes", &fmax) == -1 || fmax < 0)
		fatalx("start-up document: bad file_max_bytes");
	db_set_file_max((uint64_t)fmax);
	sandbox_jail(&sb);
	if (strcmp(backend, "mongo") == 0) {
		/* Connected before the seal: the filter then only allows
		 * talking on sockets, not resolving names (use a numeric
		 * host in mongo_uri). */
		if ((b = db_mongo_open(uri, mdb, err, sizeof(err))) == NULL)
			fatalx("database: %s", err);
		(void)snprintf(where, sizeof(where), "MongoDB database %s", mdb);
	} else {
		if ((b = db_sqlite_open(DB_FILE, err, sizeof(err))) == NULL)
			fatalx("database: %s", err);
		(void)snprintf(where, sizeof(where), "SQLite file %s", DB_FILE);
	}
	/* Not on export or import: an import goes into the database as
	 * it is (seeding first would clash with the Settings it brings). */
	if (serving) {
		if ((seeded = db_seed(b, err, sizeof(err))) == -1)
			fatalx("database: %s", err);
		if (seeded)
			log_info("seeded Settings, the Demo use case and Stat");
	}
	sandbox_seal(&sb);
	/* The URI may hold a password: wipe it before it is freed. */
	explicit_bzero((char *)(uintptr_t)uri, strlen(uri));
	if (!serving) {
		rc = strcmp(mode, "user-add") == 0 ? user_add(b) :
		    oneshot(b, strcmp(mode, "import") == 0, where);
		sandbox_free(&sb);
		b->close(b);
		return rc;
	}
	sandbox_free(&sb);
	bchan_ready(&bc, b->name);
	log_info("serving the %s", where);

	while (bchan_serve_one(&bc, &m) == 1) {
		serve(&bc, b, &m);
		if (m.fd != -1) {
			(void)close(m.fd);
			m.fd = -1;
		}
	}
	b->close(b);
	log_info("exiting");
	return 0;
}
