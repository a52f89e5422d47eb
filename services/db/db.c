/*
 * db.c - main loop of the db service.
 *
 * Trust: holds the database; answers only typed operations that arrive
 * through the broker (caller already checked against broker.policy, and
 * stamped by the broker).  Each payload is read by one typed reader with
 * size and depth caps; no operation takes a raw query.  Confined by
 * policy/db.profile and policy/db.seccomp: chrooted into persistent/db as
 * mupif-db, no network namespace, no capabilities.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bchan.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "sandbox.h"
#include "banned.h"

#define DB_FILE		"mupif.sqlite"	/* in the jail (the cwd) */
#define DB_MAX_PAYLOAD	(MSG_MAX - MSG_HDR_LEN)

/* Payload must be empty or "{}" for operations without arguments. */
static int
no_args(const struct msg *m)
{
	yajl_val	v;
	char		err[64];
	int		ok;

	if (m->datalen == 0)
		return 1;
	v = json_parse(m->data, m->datalen, 64, 2, err, sizeof(err));
	ok = v != NULL && YAJL_IS_OBJECT(v) && v->u.object.len == 0;
	yajl_tree_free(v);
	return ok;
}

static void
dispatch(struct bchan *bc, struct db *db, const struct msg *m)
{
	yajl_gen		 g;
	yajl_val		 doc = NULL;
	const unsigned char	*out;
	size_t			 outlen = 0;
	char			 err[128];
	int			 st;

	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	switch (m->hdr.type) {
	case MSG_DB_PING:
	case MSG_EXEC_COUNT:
	case MSG_SETTINGS_GET:
		if (!no_args(m)) {
			st = MST_BADREQ;
			break;
		}
		if (m->hdr.type == MSG_DB_PING) {
			(void)yajl_gen_map_open(g);
			json_gen_cstr(g, "ok");
			(void)yajl_gen_bool(g, 1);
			(void)yajl_gen_map_close(g);
			st = MST_OK;
		} else if (m->hdr.type == MSG_EXEC_COUNT)
			st = db_exec_count(db, g);
		else
			st = db_settings_get(db, g);
		break;
	case MSG_SETTINGS_PUT:
		doc = json_parse(m->data, m->datalen, 16 * 1024, 2, err,
		    sizeof(err));
		if (doc == NULL || !YAJL_IS_OBJECT(doc)) {
			log_warnx("settings.put from %s: %s",
			    svc_name(m->hdr.caller),
			    doc == NULL ? err : "not an object");
			st = MST_BADREQ;
			break;
		}
		st = db_settings_put(db, doc, (const char *)m->data,
		    m->datalen, g);
		break;
	default:
		log_warnx("operation %s is not served here",
		    msg_type_name(m->hdr.type));
		st = MST_BADREQ;
		break;
	}
	if (st == MST_OK)
		(void)yajl_gen_get_buf(g, &out, &outlen);
	else
		out = NULL;
	bchan_reply(bc, m, (unsigned)st, out, out != NULL ? outlen : 0);
	yajl_tree_free(doc);
	yajl_gen_free(g);
}

int
main(int argc, char *argv[])
{
	struct sandbox	 sb;
	struct bchan	 bc;
	struct msg	 m;
	struct db	*db;
	char		 err[256];

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "db");
	if (bchan_init(&bc, FD_BROKER) == -1)
		fatal("bchan_init");
	/* SIGTERM keeps its default action: every write is a SQLite
	 * transaction, so dying between requests loses nothing. */
	if (
	    signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	sandbox_jail(&sb);
	if ((db = db_sqlite_open(DB_FILE, err, sizeof(err))) == NULL)
		fatalx("database: %s", err);
	sandbox_seal(&sb);
	sandbox_free(&sb);
	bchan_ready(&bc, "sqlite " DB_FILE);
	log_info("serving SQLite database %s", DB_FILE);

	while (bchan_serve_one(&bc, &m) == 1) {
		if (m.fd != -1) {
			(void)close(m.fd);
			m.fd = -1;
		}
		dispatch(&bc, db, &m);
	}
	db_sqlite_close(db);
	log_info("exiting");
	return 0;
}
