/*
 * api_auth.c - who is asking (spec/rest-api.md 6.2): the access token
 * from "Authorization: Bearer" or else the access_token cookie, checked
 * with auth's public key (the api never holds the signing key), then the
 * session and its user from the db (session.user), and the renewal of an
 * old cookie token through auth.refresh.  A checked token's claims,
 * session expiry and user are reused for at most api_auth_cache_ms (the
 * authentication cache below; its window is documented there and in
 * SECURITY.md).
 *
 * Trust: tokens and cookies are untrusted client bytes; token_verify()
 * parses them (capped, fuzzed).  Tokens are never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sodium.h>

#include "api.h"
#include "log.h"
#include "parse_http.h"
#include "banned.h"

#define RENEW_AFTER_S	(30 * 60)	/* cookie renewal (6.2) */
#define COOKIE_MAX_AGE	604800		/* 7 days */

/* Decode a public key given as 64 hex digits or base64(url). */
static int
key_decode(const char *s, uint8_t pk[32])
{
	size_t n;

	if (s == NULL)
		return -1;
	if (strlen(s) == 64)
		return util_unhex(s, 32, pk);
	if (sodium_base642bin(pk, 32, s, strlen(s), NULL, &n, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 && n == 32)
		return 0;
	if (sodium_base642bin(pk, 32, s, strlen(s), NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 && n == 32)
		return 0;
	return -1;
}

/* auth's token public key, asked once and cached (auth may start after
 * us: until it answers, every authenticated request gets a 503). */
int
api_pubkey(uint8_t pk[32])
{
	yajl_val	 v;
	char		*reply = NULL;
	size_t		 len = 0;
	int		 st, rc = -1;

	(void)pthread_mutex_lock(&A.pk_mu);
	if (A.have_pk) {
		memcpy(pk, A.pk, 32);
		(void)pthread_mutex_unlock(&A.pk_mu);
		return 0;
	}
	st = api_call(MSG_AUTH_PUBKEY, NULL, "{}", 2, &reply, &len);
	if (st == MST_OK && (v = api_parse_reply(reply, len)) != NULL) {
		const char *k = json_get_str(v, "public_key");

		if (k == NULL)
			k = json_get_str(v, "pubkey");
		if (key_decode(k, A.pk) == 0) {
			A.have_pk = 1;
			memcpy(pk, A.pk, 32);
			rc = 0;
			log_info("have the token public key from auth");
		} else
			log_warnx("auth.pubkey: unreadable answer");
		yajl_tree_free(v);
	} else if (st != MST_OK)
		log_warnx("auth.pubkey: %s", msg_status_name((unsigned)st));
	free(reply);
	(void)pthread_mutex_unlock(&A.pk_mu);
	return rc;
}

void
api_set_cookie(struct api_resp *out, const char *token, int clear)
{
	(void)snprintf(out->cookie, sizeof(out->cookie),
	    "access_token=%s; HttpOnly; Max-Age=%d; Path=/; SameSite=lax%s",
	    clear ? "\"\"" : token, clear ? 0 : COOKIE_MAX_AGE,
	    A.cookie_secure ? "; Secure" : "");
}

static int
unauth(struct api_resp *out, const char *detail)
{
	resp_detail(out, MHD_HTTP_UNAUTHORIZED, detail);
	out->www_auth = 1;
	return -1;
}

/* ISO 8601 UTC ("2026-01-01T00:00:00[.ffffff][Z|+00:00]") to seconds;
 * -1 if unreadable. */
static int64_t
iso_seconds(const char *s)
{
	struct tm	tm;
	const char	*p;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	return (int64_t)timegm(&tm);
}

/*
 * The authentication cache.  A request's token -> its claims, its user
 * and its session's expiry, kept for at most A.auth_cache_ms
 * (api_auth_cache_ms, default 2000; 0 turns it off).  A hit skips the
 * signature check (same token bytes; its "exp" is checked again on every
 * hit) and the session.user round trip; the session's expires_at is also
 * checked on every hit.  Only successes are cached.
 *
 * Window: a session deleted, or a user changed (admin flag, deletion),
 * by a path other than this api is honoured at most auth_cache_ms late.
 * A logout, a token refresh or a password change through this api
 * empties the cache when auth has answered, and an answer that was in
 * flight while it was emptied is not stored (the generation counter).
 *
 * Entries are keyed by a keyed BLAKE2b-256 of the token (a random key
 * per process): no token is kept, lookups compare the hashes in constant
 * time, and a client cannot aim collisions at another's entry.  Bounded:
 * AC_SLOTS entries, direct-mapped (a collision replaces the entry).
 * Thread-safe: one mutex, held only for copies, never across a call.
 */
#define AC_SLOTS	256

struct ac_ent {
	int			used;
	uint8_t			key[crypto_generichash_BYTES];
	int64_t			until;		/* monotonic ms */
	int64_t			sess_exp;	/* -1: unknown */
	struct token_claims	cl;
	struct api_user		u;
};

static struct {
	pthread_mutex_t	mu;
	int		ready;
	uint64_t	gen;
	uint8_t		hkey[crypto_generichash_KEYBYTES];
	struct ac_ent	e[AC_SLOTS];
} AC = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
ac_key(const char *tok, uint8_t key[crypto_generichash_BYTES])
{
	(void)pthread_mutex_lock(&AC.mu);
	if (!AC.ready) {
		randombytes_buf(AC.hkey, sizeof(AC.hkey));
		AC.ready = 1;
	}
	(void)pthread_mutex_unlock(&AC.mu);
	(void)crypto_generichash(key, crypto_generichash_BYTES,
	    (const unsigned char *)tok, strlen(tok), AC.hkey, sizeof(AC.hkey));
}

static size_t
ac_slot(const uint8_t key[crypto_generichash_BYTES])
{
	return ((size_t)key[0] | (size_t)key[1] << 8) % AC_SLOTS;
}

/* A live entry for key: 1 with *cl, *u and *sess_exp filled, else 0;
 * *gen is the generation to store under after a miss. */
static int
ac_get(const uint8_t key[crypto_generichash_BYTES], struct token_claims *cl,
    struct api_user *u, int64_t *sess_exp, uint64_t *gen)
{
	struct ac_ent	*e = &AC.e[ac_slot(key)];
	int		 hit = 0;

	(void)pthread_mutex_lock(&AC.mu);
	*gen = AC.gen;
	if (e->used && sodium_memcmp(e->key, key, sizeof(e->key)) == 0) {
		if (util_mono_ms() < e->until) {
			*cl = e->cl;
			*u = e->u;
			*sess_exp = e->sess_exp;
			hit = 1;
		} else {
			sodium_memzero(e, sizeof(*e));
		}
	}
	(void)pthread_mutex_unlock(&AC.mu);
	return hit;
}

static void
ac_put(const uint8_t key[crypto_generichash_BYTES],
    const struct token_claims *cl, const struct api_user *u,
    int64_t sess_exp, uint64_t gen)
{
	struct ac_ent *e = &AC.e[ac_slot(key)];

	(void)pthread_mutex_lock(&AC.mu);
	if (gen == AC.gen) {
		e->used = 1;
		memcpy(e->key, key, sizeof(e->key));
		e->until = util_mono_ms() + A.auth_cache_ms;
		e->sess_exp = sess_exp;
		e->cl = *cl;
		e->u = *u;
	}
	(void)pthread_mutex_unlock(&AC.mu);
}

void
api_auth_cache_flush(void)
{
	(void)pthread_mutex_lock(&AC.mu);
	AC.gen++;
	sodium_memzero(AC.e, sizeof(AC.e));
	(void)pthread_mutex_unlock(&AC.mu);
}

/*
 * Is the run of execution token cl still going?  The execution must be
 * Running and its RunId the token's session_id (compared in constant
 * time): the scheduler clears RunId when the run ends, which revokes
 * the token.  0, or -1 with the 401 (or the broker's error) in out.
 */
static int
exec_live(const struct token_claims *cl, struct api_resp *out)
{
	yajl_val	 v;
	const char	*status, *run;
	char		 req[64], *reply = NULL;
	char		 want[TOKEN_SID_MAX], have[TOKEN_SID_MAX];
	size_t		 len = 0;
	int		 st, ok;

	(void)snprintf(req, sizeof(req), "{\"_id\":\"%s\"}", cl->exec);
	st = api_call(MSG_EXEC_GET, NULL, req, strlen(req), &reply, &len);
	if (st != MST_OK && st != MST_NOTFOUND) {
		resp_broker(out, st, reply, "execution.get");
		free(reply);
		return -1;
	}
	v = st == MST_OK ? api_parse_reply(reply, len) : NULL;
	free(reply);
	status = json_get_str(v, "Status");
	run = json_get_str(v, "RunId");
	memset(want, 0, sizeof(want));
	memset(have, 0, sizeof(have));
	(void)strlcpy(want, cl->sid, sizeof(want));
	ok = status != NULL && strcmp(status, "Running") == 0 &&
	    run != NULL && strlcpy(have, run, sizeof(have)) < sizeof(have);
	/* Both buffers whole, so the time does not depend on where they
	 * differ. */
	if (sodium_memcmp(want, have, sizeof(want)) != 0)
		ok = 0;
	sodium_memzero(want, sizeof(want));
	sodium_memzero(have, sizeof(have));
	yajl_tree_free(v);
	if (!ok) {
		log_info("execution token of execution %s refused: its run "
		    "has ended", cl->exec);
		return unauth(out, "Not authenticated: the run of this "
		    "execution token has ended.");
	}
	return 0;
}

int
api_authenticate(struct api_req *r, struct api_resp *out)
{
	struct token_claims	 cl;
	const char		*h, *ck;
	char			 tok[TOKEN_MAX + 1], cookie[TOKEN_MAX + 1];
	char			 req[160], *reply = NULL;
	uint8_t			 pk[32];
	yajl_val		 v;
	size_t			 len = 0;
	uint8_t			 key[crypto_generichash_BYTES];
	uint64_t		 gen = 0;
	int64_t			 now = (int64_t)time(NULL), exp;
	int			 st, have_cookie = 0, tr;

	tok[0] = '\0';
	h = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		if (strlcpy(tok, h, sizeof(tok)) >= sizeof(tok))
			return unauth(out, "Invalid authentication credentials, "
			    "token tampered or expired");
	}
	ck = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_COOKIE);
	if (ck != NULL && cookie_get(ck, strlen(ck), "access_token", cookie,
	    sizeof(cookie)) == 1 && cookie[0] != '\0')
		have_cookie = 1;
	if (tok[0] == '\0' && have_cookie)
		(void)strlcpy(tok, cookie, sizeof(tok));
	if (tok[0] == '\0')
		return unauth(out, "Not authenticated: Missing access token");
	if (A.auth_cache_ms > 0) {
		ac_key(tok, key);
		if (ac_get(key, &cl, &r->u, &exp, &gen)) {
			explicit_bzero(cookie, sizeof(cookie));
			if (cl.exp <= now) {
				explicit_bzero(tok, sizeof(tok));
				return unauth(out, "Invalid authentication "
				    "credentials, token tampered or expired");
			}
			if (exp != -1 && exp <= now) {
				explicit_bzero(tok, sizeof(tok));
				memset(&r->u, 0, sizeof(r->u));
				return unauth(out, "Not authenticated: Session "
				    "either does not exist, has expired, or "
				    "has been revoked.");
			}
			goto renew;
		}
	}
	if (api_pubkey(pk) == -1) {
		resp_detail(out, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "The authentication service is not available.");
		return -1;
	}
	tr = token_verify(pk, tok, strlen(tok), now, &cl);
	explicit_bzero(cookie, sizeof(cookie));
	if (tr != TOKEN_OK)
		return unauth(out, "Invalid authentication credentials, token "
		    "tampered or expired");
	if (cl.exec[0] != '\0') {
		/* The runner of an execution: no session, no user record;
		 * the decision is cached like a user's. */
		if (exec_live(&cl, out) == -1) {
			explicit_bzero(tok, sizeof(tok));
			explicit_bzero(&cl, sizeof(cl));
			return -1;
		}
		memset(&r->u, 0, sizeof(r->u));
		(void)strlcpy(r->u.id, cl.uid, sizeof(r->u.id));
		(void)strlcpy(r->u.exec, cl.exec, sizeof(r->u.exec));
		r->u.admin = 0;
		if (A.auth_cache_ms > 0)
			ac_put(key, &cl, &r->u, -1, gen);
		goto renew;
	}
	(void)snprintf(req, sizeof(req), "{\"session_token\":\"%s\"}", cl.sid);
	st = api_call(MSG_SESSION_USER, NULL, req, strlen(req), &reply, &len);
	if (st == MST_NOTFOUND) {
		int nouser = reply != NULL && strstr(reply, "User linked") !=
		    NULL;

		free(reply);
		return unauth(out, nouser ? "Not authenticated: User linked "
		    "to session not found" : "Not authenticated: Session "
		    "either does not exist, has expired, or has been "
		    "revoked.");
	}
	if (st != MST_OK) {
		resp_broker(out, st, reply, "session.user");
		free(reply);
		return -1;
	}
	v = api_parse_reply(reply, len);
	free(reply);
	if (v == NULL || json_get_str(v, "user_id") == NULL) {
		yajl_tree_free(v);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "unreadable session");
		return -1;
	}
	exp = iso_seconds(json_get_str(v, "expires_at"));
	if (exp != -1 && exp <= now) {
		yajl_tree_free(v);
		return unauth(out, "Not authenticated: Session either does not "
		    "exist, has expired, or has been revoked.");
	}
	memset(&r->u, 0, sizeof(r->u));
	(void)strlcpy(r->u.id, json_get_str(v, "user_id"), sizeof(r->u.id));
	if (json_get_str(v, "mail") != NULL)
		(void)strlcpy(r->u.mail, json_get_str(v, "mail"),
		    sizeof(r->u.mail));
	if (json_get_str(v, "name") != NULL)
		(void)strlcpy(r->u.name, json_get_str(v, "name"),
		    sizeof(r->u.name));
	if (json_get_str(v, "surname") != NULL)
		(void)strlcpy(r->u.surname, json_get_str(v, "surname"),
		    sizeof(r->u.surname));
	if (json_get_bool(v, "rights_admin", &r->u.admin) == -1)
		r->u.admin = 0;
	(void)strlcpy(r->u.sid, cl.sid, sizeof(r->u.sid));
	yajl_tree_free(v);
	if (A.auth_cache_ms > 0)
		ac_put(key, &cl, &r->u, exp, gen);
renew:

	/* A browser's cookie gets a fresh token once the one it used is
	 * half an hour old (6.2); a failure here is not the request's.
	 * An execution token is never renewed (it has no session). */
	if (have_cookie && now - cl.iat >= RENEW_AFTER_S &&
	    cl.exec[0] == '\0') {
		char *rq;
		size_t rl = strlen(tok) + 32;

		if ((rq = malloc(rl)) != NULL) {
			(void)snprintf(rq, rl, "{\"token\":\"%s\"}", tok);
			reply = NULL;
			st = api_call(MSG_AUTH_REFRESH, NULL, rq, strlen(rq),
			    &reply, &len);
			explicit_bzero(rq, rl);
			free(rq);
			if (st == MST_OK && (v = api_parse_reply(reply,
			    len)) != NULL) {
				const char *nt = json_get_str(v,
				    "access_token");

				if (nt != NULL)
					(void)strlcpy(r->renew, nt,
					    sizeof(r->renew));
				yajl_tree_free(v);
			}
			if (reply != NULL)
				explicit_bzero(reply, len);
			free(reply);
		}
	}
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(&cl, sizeof(cl));
	return 0;
}

/* ---- what an execution token may reach (spec/scheduler.md 12.7) ---- */

/*
 * The routes open to an execution token.  own: the first path parameter
 * is an execution id, which must be the token's.  Matched by the route
 * table's own method and pattern strings.
 */
static const struct {
	const char	*method;
	const char	*pattern;
	int		 own;
} exec_routes[] = {
	{ "GET", "/api/executions/{}", 1 },
	{ "GET", "/api/executions/{}/inputs", 1 },
	{ "GET", "/api/executions/{}/outputs", 1 },
	{ "GET", "/api/executions/{}/input_item/{}", 1 },
	{ "GET", "/api/executions/{}/input_item/{}/{}", 1 },
	{ "GET", "/api/executions/{}/output_item/{}", 1 },
	{ "GET", "/api/executions/{}/output_item/{}/{}", 1 },
	{ "PATCH", "/api/executions/{}/output_item/{}", 1 },
	{ "PATCH", "/api/executions/{}/output_item/{}/{}", 1 },
	{ "PATCH", "/api/executions/{}/set_param", 1 },
	{ "GET", "/api/workflows/{}", 0 },
	{ "GET", "/api/workflows_by_wid/{}", 0 },
	{ "GET", "/api/workflows_by_wid/{}/version/{}", 0 },
	{ "GET", "/api/iodata/{}", 0 },
	{ "GET", "/api/file/{}", 0 },
	{ "POST", "/api/file", 0 },
};

/*
 * A set_param body an execution token may send: {"key": "workflowURI"
 * or "loggerURI", ...}, or {"key": "Status", "value": "Running",
 * "Finished" or "Failed"} (a hint the handler answers without writing:
 * the scheduler's exit-code mapping decides, 12.7).  Anything else,
 * unreadable bodies included, is refused.
 */
static int
exec_param_ok(const char *body, size_t blen)
{
	static const char *const hints[] = { "Running", "Finished", "Failed",
	    NULL };
	yajl_val	 v;
	const char	*key, *val;
	char		 err[64];
	size_t		 i;
	int		 ok = 0;

	if (body == NULL || (v = json_parse(body, blen, 64 * 1024, 2, err,
	    sizeof(err))) == NULL)
		return 0;
	key = json_get_str(v, "key");
	val = json_get_str(v, "value");
	if (key != NULL && (strcmp(key, "workflowURI") == 0 ||
	    strcmp(key, "loggerURI") == 0))
		ok = 1;
	else if (key != NULL && val != NULL && strcmp(key, "Status") == 0)
		for (i = 0; hints[i] != NULL; i++)
			if (strcmp(val, hints[i]) == 0)
				ok = 1;
	yajl_tree_free(v);
	return ok;
}

int
api_exec_allowed(const struct api_route *rt, const struct api_req *r)
{
	size_t i;

	if (rt == NULL || r == NULL || strnlen(r->u.exec,
	    sizeof(r->u.exec)) != 24)
		return 0;
	for (i = 0; i < sizeof(exec_routes) / sizeof(exec_routes[0]); i++) {
		if (strcmp(rt->method, exec_routes[i].method) != 0 ||
		    strcmp(rt->pattern, exec_routes[i].pattern) != 0)
			continue;
		if (exec_routes[i].own && (r->nparams < 1 ||
		    strcmp(r->params[0], r->u.exec) != 0))
			return 0;
		if (strcmp(rt->pattern, "/api/executions/{}/set_param") == 0)
			return exec_param_ok(r->body, r->blen);
		return 1;
	}
	return 0;
}
