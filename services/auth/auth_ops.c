/*
 * auth_ops.c - the operations of the auth service (see auth.h and
 * spec/rest-api.md 4.2, 6.2).
 *
 * Trust: payloads come from the api through the broker, and carry what
 * HTTP clients sent: each is parsed with the capped reader and must hold
 * exactly its fields with their types and lengths.  Passwords are wiped
 * from the parsed tree after use; hashes from the db are wiped from the
 * reply buffer.  Log lines name the operation, the username and the
 * client address, never a password, hash, token or session id.
 *
 * Error replies are {"detail": "..."} (the api shows them as they are),
 * plus "retry_after" (seconds) when a login is rate limited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "json.h"
#include "log.h"
#include "msg_types.h"
#include "token.h"
#include "banned.h"

#define REQ_MAX		(8 * 1024)	/* one request payload */

#define D_BADLOGIN	"Incorrect username or password"
#define D_RATE		"Too many login attempts; try again later."
#define D_TOKEN		"Invalid authentication credentials, token " \
			"expired, or tampered."
#define D_SESSION	"Session either does not exist, has expired, or " \
			"has been revoked."
#define D_PWSHORT	"Password must be at least 6 characters long."
#define D_NOREG		"Registration is disabled."
#define D_DUP		"Username already registered"
#define D_DB		"The user database is unavailable."

static int64_t
wall_ms(void)
{
	return util_wall_ms();
}

int
auth_init(struct auth *a, unsigned rate_user, unsigned rate_addr)
{
	if (rate_init(&a->rl_user, AUTH_RATE_SLOTS, rate_user) == -1)
		return -1;
	if (rate_init(&a->rl_addr, AUTH_RATE_SLOTS, rate_addr) == -1) {
		rate_free(&a->rl_user);
		return -1;
	}
	if (a->now_ms == NULL)
		a->now_ms = wall_ms;
	return 0;
}

void
auth_free(struct auth *a)
{
	rate_free(&a->rl_user);
	rate_free(&a->rl_addr);
	sodium_memzero(a->sk, sizeof(a->sk));
}

void
auth_uuid4(char out[AUTH_UUID_LEN + 1])
{
	uint8_t	b[16];
	char	h[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);		/* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);		/* RFC 4122 variant */
	util_hex(b, sizeof(b), h);
	(void)snprintf(out, AUTH_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s",
	    h, h + 8, h + 12, h + 16, h + 20);
	sodium_memzero(b, sizeof(b));
	sodium_memzero(h, sizeof(h));
}

void
auth_iso_offset(int64_t sec, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)sec;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm) == 0)
		(void)strlcpy(buf, "1970-01-01T00:00:00+00:00", len);
}

/* ---- replies ---- */

static int
fail(yajl_gen g, int st, const char *detail)
{
	yajl_gen_clear(g);
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "detail", detail);
	(void)yajl_gen_map_close(g);
	return st;
}

/* A username or address fit for a log line: printable ASCII, cut. */
static const char *
loggable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > 0)
		buf[i] = '\0';
	if (s != NULL && s[i] != '\0' && len > 4)
		(void)strlcpy(buf + len - 4, "...", 4);
	return buf;
}

/* ---- request readers ---- */

/*
 * Parse req: an object with exactly the keys of need (all required) and
 * opt (optional), every one a string.  NULL (reply already in g) or the
 * tree.
 */
static yajl_val
read_req(yajl_gen g, const void *req, size_t len,
    const char *const *need, const char *const *opt, int *st)
{
	const char	*allowed[8], *bad;
	yajl_val	 v;
	size_t		 i, n = 0;
	char		 err[64];

	for (i = 0; need[i] != NULL && n < 7; i++)
		allowed[n++] = need[i];
	for (i = 0; opt != NULL && opt[i] != NULL && n < 7; i++)
		allowed[n++] = opt[i];
	allowed[n] = NULL;
	*st = MST_BADREQ;
	if ((v = json_parse(req, len, REQ_MAX, 1, err, sizeof(err))) == NULL) {
		(void)fail(g, MST_BADREQ, "malformed request");
		return NULL;
	}
	if (json_only_keys(v, allowed, &bad) == -1)
		goto bad;
	for (i = 0; need[i] != NULL; i++)
		if (json_get_str(v, need[i]) == NULL)
			goto bad;
	for (i = 0; i < v->u.object.len; i++)
		if (!YAJL_IS_STRING(v->u.object.values[i]))
			goto bad;
	*st = MST_OK;
	return v;
bad:
	(void)fail(g, MST_BADREQ, "malformed request");
	yajl_tree_free(v);
	return NULL;
}

/* Wipe every string of a request tree (passwords among them). */
static void
wipe_free(yajl_val v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; YAJL_IS_OBJECT(v) && i < v->u.object.len; i++) {
		yajl_val x = v->u.object.values[i];

		if (YAJL_IS_STRING(x) && x->u.string != NULL)
			sodium_memzero(x->u.string, strlen(x->u.string));
	}
	yajl_tree_free(v);
}

/* A db request {"k1": v1, ...} (NULL-terminated pairs) into a heap
 * string; NULL on failure. */
static char *
db_req(const char *const *kv)
{
	yajl_gen		 g = json_gen_new();
	const unsigned char	*buf;
	size_t			 len, i;
	char			*out = NULL;

	if (g == NULL)
		return NULL;
	(void)yajl_gen_map_open(g);
	for (i = 0; kv[i] != NULL && kv[i + 1] != NULL; i += 2)
		json_gen_kv_str(g, kv[i], kv[i + 1]);
	(void)yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
	    (out = malloc(len + 1)) != NULL) {
		memcpy(out, buf, len);
		out[len] = '\0';
	}
	yajl_gen_clear(g);
	yajl_gen_free(g);
	return out;
}

/* Call the db with req (wiped and freed here); *reply parsed, or NULL. */
static int
db_call(struct auth *a, unsigned type, char *req, yajl_val *reply)
{
	char	*out = NULL, err[64];
	int	 st;

	if (reply != NULL)
		*reply = NULL;
	if (req == NULL)
		return MST_INTERNAL;
	st = a->call(a->call_arg, type, req, strlen(req), &out);
	sodium_memzero(req, strlen(req));
	free(req);
	if (out != NULL) {
		if (st == MST_OK && reply != NULL)
			*reply = json_parse(out, strlen(out), 64 * 1024, 4,
			    err, sizeof(err));
		sodium_memzero(out, strlen(out));
		free(out);
	}
	if (st == MST_OK && reply != NULL && *reply == NULL)
		st = MST_INTERNAL;
	return st;
}

/* A db failure other than the expected ones. */
static int
db_fail(yajl_gen g, const char *op, int st)
{
	log_warnx("%s: the db answered %s", op, msg_status_name((unsigned)st));
	return fail(g, st == MST_TIMEOUT || st == MST_UNAVAILABLE ||
	    st == MST_BUSY ? MST_UNAVAILABLE : MST_INTERNAL, D_DB);
}

/* Sign a token for session sid of user uid, issued now. */
static int
sign(struct auth *a, const char *sid, const char *uid, int64_t now,
    char tok[TOKEN_MAX], int64_t *exp)
{
	struct token_claims c;

	memset(&c, 0, sizeof(c));
	if (strlcpy(c.sid, sid, sizeof(c.sid)) >= sizeof(c.sid) ||
	    strlcpy(c.uid, uid, sizeof(c.uid)) >= sizeof(c.uid))
		return -1;
	c.iat = now;
	c.exp = now + AUTH_TOKEN_TTL;
	*exp = c.exp;
	return token_sign(a->sk, &c, tok, TOKEN_MAX);
}

/* ---- auth.pubkey ---- */

static int
op_pubkey(struct auth *a, const void *req, size_t len, yajl_gen g)
{
	static const char *const none[] = { NULL };
	yajl_val	v;
	char		hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
	int		st;

	/* An empty payload, or {}. */
	if (len != 0) {
		if ((v = read_req(g, req, len, none, NULL, &st)) == NULL)
			return st;
		yajl_tree_free(v);
	}
	util_hex(a->pk, sizeof(a->pk), hex);
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "public_key", hex);
	(void)yajl_gen_map_close(g);
	return MST_OK;
}

/* ---- auth.login ---- */

static int
rate_limited(struct auth *a, yajl_gen g, const char *user, const char *addr,
    int64_t now)
{
	long long	wu, wa, w;
	char		lu[48], la[48];

	wu = rate_check(&a->rl_user, user, strlen(user), now);
	wa = addr[0] != '\0' ? rate_check(&a->rl_addr, addr, strlen(addr),
	    now) : 0;
	if ((w = wu > wa ? wu : wa) == 0)
		return 0;
	log_info("login rate limited for %s from %s (%s), retry in %llds",
	    loggable(user, lu, sizeof(lu)), loggable(addr, la, sizeof(la)),
	    wu >= wa ? "user" : "address", w);
	yajl_gen_clear(g);
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "detail", D_RATE);
	json_gen_kv_int(g, "retry_after", w);
	(void)yajl_gen_map_close(g);
	return 1;
}

static void
login_failed(struct auth *a, const char *user, const char *addr,
    int64_t now, const char *why)
{
	char lu[48], la[48];

	rate_hit(&a->rl_user, user, strlen(user), now);
	if (addr[0] != '\0')
		rate_hit(&a->rl_addr, addr, strlen(addr), now);
	log_info("login failed for %s from %s: %s",
	    loggable(user, lu, sizeof(lu)), loggable(addr, la, sizeof(la)),
	    why);
}

/* Replace the user's hash by a fresh Argon2id one; failures are logged
 * only (the login itself succeeded). */
static void
upgrade_hash(struct auth *a, const char *uid, const char *pw, size_t pwlen,
    const char *user)
{
	char	h[crypto_pwhash_STRBYTES], lu[48];
	int	st;

	if (pw_hash(pw, pwlen, h) == -1) {
		log_warnx("could not hash a password (out of memory?)");
		return;
	}
	st = db_call(a, MSG_USER_SET_PASSWORD, db_req((const char *const[]){
	    "_id", uid, "password", h, NULL }), NULL);
	sodium_memzero(h, sizeof(h));
	if (st != MST_OK)
		log_warnx("password hash of %s not upgraded: %s",
		    loggable(user, lu, sizeof(lu)),
		    msg_status_name((unsigned)st));
	else
		log_info("password hash of %s upgraded to Argon2id",
		    loggable(user, lu, sizeof(lu)));
}

static int
op_login(struct auth *a, const void *req, size_t len, yajl_gen g)
{
	static const char *const need[] = { "username", "password", NULL };
	static const char *const opt[] = { "addr", NULL };
	yajl_val	 v, u = NULL;
	const char	*user, *pw, *addr, *hash, *uid;
	char		 sid[AUTH_UUID_LEN + 1], tok[TOKEN_MAX], when[32];
	char		 lu[48], la[48];
	int64_t		 now, exp;
	size_t		 pwlen;
	int		 st, upgrade = 0, r;

	if ((v = read_req(g, req, len, need, opt, &st)) == NULL)
		return st;
	user = json_get_str(v, "username");
	pw = json_get_str(v, "password");
	addr = json_get_str(v, "addr") != NULL ? json_get_str(v, "addr") : "";
	pwlen = strlen(pw);
	now = a->now_ms() / 1000;
	if (strlen(user) > AUTH_USER_MAX || strlen(addr) > AUTH_ADDR_MAX ||
	    pwlen > AUTH_PW_MAX) {
		st = fail(g, MST_BADREQ, D_BADLOGIN);
		goto out;
	}
	if (rate_limited(a, g, user, addr, a->now_ms())) {
		st = MST_BUSY;
		goto out;
	}
	st = db_call(a, MSG_USER_GET_BY_MAIL, db_req((const char *const[]){
	    "mail", user, NULL }), &u);
	if (st == MST_NOTFOUND) {
		/* As long as a real check, so the time does not tell. */
		(void)pw_dummy(pw, pwlen);
		login_failed(a, user, addr, a->now_ms(), "unknown user");
		st = fail(g, MST_BADREQ, D_BADLOGIN);
		goto out;
	}
	if (st != MST_OK) {
		st = db_fail(g, "auth.login", st);
		goto out;
	}
	hash = json_get_str(u, "password");
	uid = json_get_str(u, "_id");
	if (uid == NULL || strlen(uid) != 24) {
		st = db_fail(g, "auth.login", MST_INTERNAL);
		goto out;
	}
	if ((r = pw_verify(hash, pw, pwlen, &upgrade)) != PW_OK) {
		if (r == PW_UNSUPPORTED) {
			(void)pw_dummy(pw, pwlen);
			log_warnx("user %s has a password hash of an unknown "
			    "form", loggable(user, lu, sizeof(lu)));
		}
		login_failed(a, user, addr, a->now_ms(), "bad password");
		st = fail(g, MST_BADREQ, D_BADLOGIN);
		goto out;
	}
	if (upgrade)
		upgrade_hash(a, uid, pw, pwlen, user);

	/* The session (7 days) and its first token (1 hour). */
	auth_uuid4(sid);
	util_iso_time((now + AUTH_SESSION_TTL) * 1000, when, sizeof(when));
	st = db_call(a, MSG_SESSION_INSERT, db_req((const char *const[]){
	    "user_id", uid, "session_token", sid, "expires_at", when, NULL }),
	    NULL);
	if (st != MST_OK) {
		st = db_fail(g, "auth.login: session.insert", st);
		goto out;
	}
	if (sign(a, sid, uid, now, tok, &exp) == -1) {
		st = fail(g, MST_INTERNAL, "cannot sign a token");
		goto out;
	}
	auth_iso_offset(exp, when, sizeof(when));
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "access_token", tok);
	json_gen_kv_str(g, "token_type", "bearer");
	json_gen_kv_str(g, "message", "Login successful");
	json_gen_kv_str(g, "expires_at", when);
	(void)yajl_gen_map_close(g);
	log_info("login ok for %s from %s", loggable(user, lu, sizeof(lu)),
	    loggable(addr, la, sizeof(la)));
	st = MST_OK;
out:
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(sid, sizeof(sid));
	wipe_free(u);
	wipe_free(v);
	return st;
}

/* ---- auth.refresh, auth.logout ---- */

static int
op_refresh(struct auth *a, const void *req, size_t len, yajl_gen g)
{
	static const char *const need[] = { "token", NULL };
	struct token_claims	 c;
	yajl_val		 v, s = NULL;
	const char		*t, *uid;
	char			 tok[TOKEN_MAX];
	int64_t			 now, exp;
	int			 st;

	memset(tok, 0, sizeof(tok));
	if ((v = read_req(g, req, len, need, NULL, &st)) == NULL)
		return st;
	t = json_get_str(v, "token");
	now = a->now_ms() / 1000;
	/* An execution token has no session to refresh: it lives as long
	 * as its run (auth.exec_token). */
	if (token_verify(a->pk, t, strlen(t), now, &c) != TOKEN_OK ||
	    c.exec[0] != '\0') {
		st = fail(g, MST_NOTFOUND, D_TOKEN);
		goto out;
	}
	/* The db checks the session's expiry and that its user exists
	 * (deleting the session otherwise). */
	st = db_call(a, MSG_SESSION_USER, db_req((const char *const[]){
	    "session_token", c.sid, NULL }), &s);
	if (st == MST_NOTFOUND) {
		st = fail(g, MST_NOTFOUND, D_SESSION);
		goto out;
	}
	if (st != MST_OK) {
		st = db_fail(g, "auth.refresh", st);
		goto out;
	}
	if ((uid = json_get_str(s, "user_id")) == NULL ||
	    sodium_memcmp(uid, c.uid, 25) != 0) {
		/* Signed by us, but for someone else: should not happen. */
		log_warnx("auth.refresh: a token's user is not its "
		    "session's");
		st = fail(g, MST_NOTFOUND, D_TOKEN);
		goto out;
	}
	if (sign(a, c.sid, c.uid, now, tok, &exp) == -1) {
		st = fail(g, MST_INTERNAL, "cannot sign a token");
		goto out;
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "access_token", tok);
	json_gen_kv_str(g, "token_type", "bearer");
	json_gen_kv_str(g, "message", "Token refreshed successfully");
	(void)yajl_gen_map_close(g);
	st = MST_OK;
out:
	sodium_memzero(&c, sizeof(c));
	sodium_memzero(tok, sizeof(tok));
	wipe_free(s);
	wipe_free(v);
	return st;
}

static int
op_logout(struct auth *a, const void *req, size_t len, yajl_gen g)
{
	static const char *const need[] = { "token", NULL };
	struct token_claims	 c;
	yajl_val		 v;
	const char		*t;
	int			 st, r;

	memset(&c, 0, sizeof(c));
	/* Whatever comes, the answer is the same (spec 4.2). */
	if ((v = read_req(g, req, len, need, NULL, &st)) != NULL) {
		t = json_get_str(v, "token");
		r = token_verify(a->pk, t, strlen(t), a->now_ms() / 1000, &c);
		/* An execution token names a run, not a session: it is
		 * revoked by the end of its run, never here. */
		if ((r == TOKEN_OK || r == TOKEN_EXPIRED) &&
		    c.exec[0] == '\0') {
			st = db_call(a, MSG_SESSION_DELETE,
			    db_req((const char *const[]){ "session_token",
			    c.sid, NULL }), NULL);
			if (st == MST_OK)
				log_info("session of user %s revoked", c.uid);
			else if (st != MST_NOTFOUND)
				log_warnx("auth.logout: the db answered %s",
				    msg_status_name((unsigned)st));
		}
		wipe_free(v);
	}
	sodium_memzero(&c, sizeof(c));
	yajl_gen_clear(g);
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "message", "Logged out and session revoked");
	(void)yajl_gen_map_close(g);
	return MST_OK;
}

/* ---- auth.register, auth.set_password ---- */

/* Is pw long enough?  Counted in characters, as Python's len() does. */
static int
pw_long_enough(const char *pw)
{
	size_t i, n = 0;

	for (i = 0; pw[i] != '\0'; i++)
		if (((unsigned char)pw[i] & 0xc0) != 0x80)
			n++;
	return n >= AUTH_PW_MIN;
}

static int
op_register(struct auth *a, const void *req, size_t len, yajl_gen g)
{
	static const char *const need[] = { "username", "password", NULL };
	static const char *const opt[] = { "addr", NULL };
	yajl_val	 v, r = NULL;
	const char	*user, *pw, *id;
	char		 h[crypto_pwhash_STRBYTES], lu[48];
	int		 st;

	if ((v = read_req(g, req, len, need, opt, &st)) == NULL)
		return st;
	user = json_get_str(v, "username");
	pw = json_get_str(v, "password");
	if (!a->registration) {
		st = fail(g, MST_BADREQ, D_NOREG);
		goto out;
	}
	if (user[0] == '\0' || strlen(user) > AUTH_USER_MAX) {
		st = fail(g, MST_BADREQ, "Username must be 1 to 320 bytes.");
		goto out;
	}
	if (!pw_long_enough(pw) || strlen(pw) > AUTH_PW_MAX) {
		st = fail(g, MST_BADREQ, D_PWSHORT);
		goto out;
	}
	if (pw_hash(pw, strlen(pw), h) == -1) {
		st = fail(g, MST_INTERNAL, "cannot hash the password");
		goto out;
	}
	/* rights_admin is a boolean: not through db_req(). */
	{
		yajl_gen		 q = json_gen_new();
		const unsigned char	*buf;
		size_t			 qlen;
		char			*qs = NULL;

		if (q != NULL) {
			(void)yajl_gen_map_open(q);
			json_gen_kv_str(q, "mail", user);
			json_gen_kv_str(q, "name", user);
			json_gen_kv_str(q, "surname", "User");
			json_gen_kv_str(q, "password", h);
			json_gen_cstr(q, "rights_admin");
			(void)yajl_gen_bool(q, 0);
			(void)yajl_gen_map_close(q);
			if (yajl_gen_get_buf(q, &buf, &qlen) ==
			    yajl_gen_status_ok && (qs = malloc(qlen + 1)) !=
			    NULL) {
				memcpy(qs, buf, qlen);
				qs[qlen] = '\0';
			}
			yajl_gen_free(q);
		}
		st = db_call(a, MSG_USER_INSERT, qs, &r);
	}
	sodium_memzero(h, sizeof(h));
	if (st == MST_CONFLICT) {
		st = fail(g, MST_CONFLICT, D_DUP);
		goto out;
	}
	if (st != MST_OK || (id = json_get_str(r, "_id")) == NULL) {
		st = db_fail(g, "auth.register", st == MST_OK ? MST_INTERNAL :
		    st);
		goto out;
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "_id", id);
	json_gen_kv_str(g, "mail", user);
	json_gen_kv_str(g, "name", user);
	json_gen_kv_str(g, "surname", "User");
	json_gen_kv_str(g, "password", "********");
	json_gen_cstr(g, "rights_admin");
	(void)yajl_gen_bool(g, 0);
	(void)yajl_gen_map_close(g);
	log_info("registered user %s", loggable(user, lu, sizeof(lu)));
	st = MST_OK;
out:
	wipe_free(r);
	wipe_free(v);
	return st;
}

static int
op_set_password(struct auth *a, const void *req, size_t len, yajl_gen g)
{
	static const char *const need[] = { "user_id", "password", NULL };
	yajl_val	 v;
	const char	*uid, *pw;
	char		 h[crypto_pwhash_STRBYTES];
	size_t		 i;
	int		 st;

	if ((v = read_req(g, req, len, need, NULL, &st)) == NULL)
		return st;
	uid = json_get_str(v, "user_id");
	pw = json_get_str(v, "password");
	for (i = 0; uid[i] != '\0'; i++)
		if (!((uid[i] >= '0' && uid[i] <= '9') ||
		    (uid[i] >= 'a' && uid[i] <= 'f')))
			break;
	if (i != 24 || uid[i] != '\0') {
		st = fail(g, MST_BADREQ, "malformed user_id");
		goto out;
	}
	if (!pw_long_enough(pw) || strlen(pw) > AUTH_PW_MAX) {
		st = fail(g, MST_BADREQ, D_PWSHORT);
		goto out;
	}
	if (pw_hash(pw, strlen(pw), h) == -1) {
		st = fail(g, MST_INTERNAL, "cannot hash the password");
		goto out;
	}
	st = db_call(a, MSG_USER_SET_PASSWORD, db_req((const char *const[]){
	    "_id", uid, "password", h, NULL }), NULL);
	sodium_memzero(h, sizeof(h));
	if (st == MST_NOTFOUND) {
		char d[64];

		(void)snprintf(d, sizeof(d), "User with id=%s not found.", uid);
		st = fail(g, MST_NOTFOUND, d);
		goto out;
	}
	if (st != MST_OK) {
		st = db_fail(g, "auth.set_password", st);
		goto out;
	}
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "ok");
	(void)yajl_gen_bool(g, 1);
	(void)yajl_gen_map_close(g);
	log_info("password of user %s changed", uid);
	st = MST_OK;
out:
	wipe_free(v);
	return st;
}

/* ---- auth.exec_token ---- */

/*
 * {"_id": execution, "run": run id, "uid": user, "ttl": seconds}: an
 * execution token for the runner of one run (spec/scheduler.md 12.7,
 * 14.8).  Only the scheduler may ask (broker.policy; auth.c checks the
 * caller stamp too).  No session is stored: the api accepts the token
 * only while the execution is Running with this RunId, so the end of
 * the run revokes it.  The run id is the token's session_id and is not
 * logged (like a session id); the token never is.
 */
static int
op_exec_token(struct auth *a, const void *req, size_t len, yajl_gen g)
{
	static const char *const keys[] = { "_id", "run", "uid", "ttl",
	    NULL };
	struct token_claims	 c;
	yajl_val		 v;
	const char		*bad, *eid, *run, *uid;
	char			 tok[TOKEN_MAX], when[32], err[64];
	long long		 ttl;
	int64_t			 now;
	int			 st;

	memset(&c, 0, sizeof(c));
	memset(tok, 0, sizeof(tok));
	if ((v = json_parse(req, len, REQ_MAX, 1, err, sizeof(err))) == NULL)
		return fail(g, MST_BADREQ, "malformed request");
	eid = json_get_str(v, "_id");
	run = json_get_str(v, "run");
	uid = json_get_str(v, "uid");
	if (!YAJL_IS_OBJECT(v) || v->u.object.len != 4 ||
	    json_only_keys(v, keys, &bad) == -1 || !util_hex24(eid) ||
	    !util_hex24(uid) || run == NULL ||
	    json_get_int(v, "ttl", &ttl) == -1) {
		st = fail(g, MST_BADREQ, "malformed request");
		goto out;
	}
	if (ttl < AUTH_EXEC_TTL_MIN || ttl > AUTH_EXEC_TTL_MAX) {
		st = fail(g, MST_BADREQ, "ttl out of range (60..604800)");
		goto out;
	}
	now = a->now_ms() / 1000;
	(void)strlcpy(c.exec, eid, sizeof(c.exec));
	(void)strlcpy(c.uid, uid, sizeof(c.uid));
	c.iat = now;
	c.exp = now + ttl;
	/* token_sign() checks the run id's length and characters. */
	if (strlcpy(c.sid, run, sizeof(c.sid)) >= sizeof(c.sid) ||
	    token_sign(a->sk, &c, tok, sizeof(tok)) == -1) {
		st = fail(g, MST_BADREQ, "malformed run id");
		goto out;
	}
	auth_iso_offset(c.exp, when, sizeof(when));
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "access_token", tok);
	json_gen_kv_str(g, "token_type", "bearer");
	json_gen_kv_str(g, "expires_at", when);
	(void)yajl_gen_map_close(g);
	log_info("execution token for execution %s (user %s), %llds",
	    c.exec, c.uid, ttl);
	st = MST_OK;
out:
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(&c, sizeof(c));
	wipe_free(v);
	return st;
}

int
auth_dispatch(struct auth *a, unsigned type, const void *req, size_t len,
    yajl_gen g)
{
	switch (type) {
	case MSG_AUTH_PUBKEY:		return op_pubkey(a, req, len, g);
	case MSG_AUTH_LOGIN:		return op_login(a, req, len, g);
	case MSG_AUTH_REFRESH:		return op_refresh(a, req, len, g);
	case MSG_AUTH_LOGOUT:		return op_logout(a, req, len, g);
	case MSG_AUTH_REGISTER:		return op_register(a, req, len, g);
	case MSG_AUTH_SET_PASSWORD:	return op_set_password(a, req, len, g);
	case MSG_AUTH_EXEC_TOKEN:	return op_exec_token(a, req, len, g);
	default:
		return fail(g, MST_BADREQ, "operation not served here");
	}
}
