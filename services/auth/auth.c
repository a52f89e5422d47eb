/*
 * auth.c - main of the auth service: passwords, sessions and access
 * tokens for the api (see auth.h for what it holds and trusts).
 *
 * Start: read the start-up document, jail (persistent/auth as
 * mupif-auth, policy/auth.profile: no network, no capabilities), load or
 * create the signing key, seal (policy/
 * auth.seccomp), then answer auth.* requests one at a time.  Every
 * request may call the db through the same broker channel (bchan queues
 * requests that arrive meanwhile).  One thread: logins are serialised, so
 * Argon2id (64 MiB) runs once at a time whatever the load.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "bchan.h"
#include "json.h"
#include "log.h"
#include "sandbox.h"
#include "banned.h"

static struct {
	struct bchan	 bc;
	struct auth	 a;
	int		 timeout_ms;	/* for calls to the db */
} S;

static int
call_db(void *arg, unsigned type, const char *req, size_t len, char **reply)
{
	(void)arg;
	return bchan_call(&S.bc, type, NULL, req, len, S.timeout_ms, reply,
	    NULL);
}

static void
serve(struct msg *m)
{
	yajl_gen		 g;
	const unsigned char	*out = NULL;
	size_t			 outlen = 0;
	int			 st;

	if (m->fd != -1) {
		(void)close(m->fd);
		m->fd = -1;
	}
	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	/* broker.policy lets only the scheduler ask for execution tokens;
	 * the broker's caller stamp is checked here as well. */
	if (m->hdr.type == MSG_AUTH_EXEC_TOKEN &&
	    m->hdr.caller != SVC_SCHEDULER) {
		log_warnx("auth.exec_token asked by %s: refused",
		    svc_name(m->hdr.caller));
		(void)yajl_gen_map_open(g);
		json_gen_kv_str(g, "detail", "not allowed");
		(void)yajl_gen_map_close(g);
		st = MST_DENIED;
	} else
		st = auth_dispatch(&S.a, m->hdr.type, m->data, m->datalen,
		    g);
	/* The request may hold a password: the copy is ours to wipe. */
	sodium_memzero((void *)(uintptr_t)m->data, m->datalen);
	if (yajl_gen_get_buf(g, &out, &outlen) != yajl_gen_status_ok) {
		st = MST_INTERNAL;
		out = (const unsigned char *)"{}";
		outlen = 2;
	}
	bchan_reply(&S.bc, m, (unsigned)st, out, outlen);
	/* It may hold a token. */
	sodium_memzero((void *)(uintptr_t)out, outlen);
	yajl_gen_free(g);
}

static unsigned
config_uint(struct sandbox *sb, const char *key, long long max)
{
	long long v;

	if (json_get_int(sb->config, key, &v) == -1 || v < 0 || v > max)
		fatalx("start-up document: bad %s", key);
	return (unsigned)v;
}

int
main(int argc, char *argv[])
{
	struct sandbox	 sb;
	struct msg	 m;
	unsigned	 ru, ra;
	char		 err[256], summary[128], pkhex[65];
	int		 r, reg;

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "auth");
	if (json_get_bool(sb.config, "registration", &reg) == -1)
		fatalx("start-up document: bad registration");
	ru = config_uint(&sb, "login_rate_user", 1000000);
	ra = config_uint(&sb, "login_rate_addr", 1000000);
	S.timeout_ms = (int)config_uint(&sb, "call_timeout_ms", 3600000);
	if (bchan_init(&S.bc, FD_BROKER) == -1)
		fatal("bchan_init");
	if (signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if (sodium_init() < 0)
		fatalx("sodium_init");

	sandbox_jail(&sb);
	/* In the jail (persistent/auth): the key is ours alone. */
	if ((r = auth_key_load(AUTH_KEY_FILE, S.a.sk, S.a.pk, err,
	    sizeof(err))) == -1)
		fatalx("token key %s: %s", AUTH_KEY_FILE, err);
	util_hex(S.a.pk, sizeof(S.a.pk), pkhex);
	log_info("%s token signing key %s (public key %.16s...)",
	    r == 1 ? "created a new" : "loaded the", AUTH_KEY_FILE, pkhex);
	S.a.registration = reg;
	S.a.call = call_db;
	if (auth_init(&S.a, ru, ra) == -1)
		fatal("auth_init");
	sandbox_seal(&sb);
	sandbox_free(&sb);
	(void)snprintf(summary, sizeof(summary), "registration %s, login "
	    "limits %u/min per user, %u/min per address", reg ? "on" : "off",
	    ru, ra);
	bchan_ready(&S.bc, summary);
	log_info("serving: %s", summary);

	while (bchan_serve_one(&S.bc, &m) == 1)
		serve(&m);
	log_info("broker went away, exiting");
	auth_free(&S.a);
	bchan_free(&S.bc);
	return 0;
}
