/*
 * api_routes.c - the route table of the REST API and its handlers
 * (spec/rest-api.md section 4, shapes of section 8).
 *
 * Trust: path parameters, query values and bodies are untrusted: path
 * parameters are percent-decoded into bounded buffers and must be valid
 * UTF-8 without control characters; ids must be 24 hex digits (else 404,
 * never 500); bodies are parsed with the capped JSON reader and checked
 * field by field (422 with mupifDB's envelope).  Everything the handlers
 * know comes from the broker: db for data, auth for passwords and
 * tokens, the scheduler for its liveness.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_upload.h"
#include "log.h"
#include "parse_http.h"
#include "banned.h"

#define NUM_LIMIT_MAX	5000	/* num_limit = 0 ("everything") is capped */
#define ADMIN_ONLY	"You don't have permission to perform this action."

/* ---- responses ---- */

void
resp_json(struct api_resp *out, unsigned code, const char *json, size_t len)
{
	free(out->body);
	out->code = code;
	out->len = 0;
	if ((out->body = malloc(len + 1)) == NULL) {
		out->code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return;
	}
	memcpy(out->body, json, len);
	out->body[len] = '\0';
	out->len = len;
}

void
resp_gen(struct api_resp *out, unsigned code, yajl_gen g)
{
	const unsigned char	*buf;
	size_t			 len;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		log_warnx("a response could not be generated");
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return;
	}
	resp_json(out, code, (const char *)buf, len);
	yajl_gen_free(g);
}

void
resp_detail(struct api_resp *out, unsigned code, const char *detail)
{
	yajl_gen g = json_gen_new();

	if (g == NULL) {
		resp_json(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "{\"detail\":\"out of memory\"}", 26);
		return;
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "detail", detail);
	(void)yajl_gen_map_close(g);
	resp_gen(out, code, g);
}

void
resp_422(struct api_resp *out, const char *message)
{
	yajl_gen	g = json_gen_new();
	char		m[1024];
	size_t		i;

	/* One line, as the original's (newlines become spaces). */
	(void)strlcpy(m, message, sizeof(m));
	for (i = 0; m[i] != '\0'; i++)
		if (m[i] == '\n' || m[i] == '\r')
			m[i] = ' ';
	message = m;

	if (g == NULL) {
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "status_code", 422);
	json_gen_kv_str(g, "message", message);
	json_gen_cstr(g, "data");
	(void)yajl_gen_null(g);
	(void)yajl_gen_map_close(g);
	resp_gen(out, 422, g);
}

/* The "detail" of a db error reply, or dflt. */
static void
reply_detail(const char *reply, const char *dflt, char *out, size_t len)
{
	yajl_val	v = NULL;
	const char	*d = NULL;
	char		e[64];

	if (reply != NULL)
		v = json_parse(reply, strlen(reply), 64 * 1024, 4, e,
		    sizeof(e));
	if (v != NULL)
		d = json_get_str(v, "detail");
	(void)strlcpy(out, d != NULL ? d : dflt, len);
	yajl_tree_free(v);
}

void
resp_broker(struct api_resp *out, int st, const char *reply, const char *what)
{
	char d[512];

	reply_detail(reply, msg_status_name((unsigned)st), d, sizeof(d));
	switch (st) {
	case MST_NOTFOUND:
		resp_detail(out, MHD_HTTP_NOT_FOUND, d);
		return;
	case MST_BADREQ:
		resp_422(out, d);
		return;
	case MST_CONFLICT:
		resp_detail(out, MHD_HTTP_CONFLICT, d);
		return;
	case MST_TOOBIG:
		resp_detail(out, MHD_HTTP_CONTENT_TOO_LARGE, d);
		return;
	case MST_TIMEOUT:
	case MST_UNAVAILABLE:
	case MST_BUSY:
		log_warnx("%s: %s", what, msg_status_name((unsigned)st));
		resp_detail(out, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "The service is temporarily unavailable; try again.");
		return;
	default:
		log_warnx("%s: %s: %s", what, msg_status_name((unsigned)st), d);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return;
	}
}

/* ---- helpers ---- */

int
api_call(unsigned type, const char *target, const char *req, size_t len,
    char **reply, size_t *rlen)
{
	return bchan_call(&A.bc, type, target, req, len, A.call_timeout_ms,
	    reply, rlen);
}

yajl_val
api_parse_reply(const char *reply, size_t len)
{
	char		e[128];
	yajl_val	v;

	if (reply == NULL)
		return NULL;
	v = json_parse_flags(reply, len, BCHAN_REPLY_MAX, JSON_MAX_DEPTH,
	    JSON_F_KEYS_UNIQUE, e, sizeof(e));
	if (v == NULL)
		log_warnx("unreadable broker reply: %s", e);
	return v;
}

/*
 * Call type with the request built in g (freed), parse the reply into
 * *v.  On failure the error response is in out (notfound: the 404 detail
 * to use instead of the db's) and -1 is returned.
 */
static int
call_gen(unsigned type, yajl_gen g, yajl_val *v, struct api_resp *out,
    const char *notfound)
{
	const unsigned char	*buf;
	size_t			 len, rlen = 0;
	char			*reply = NULL;
	int			 st;

	*v = NULL;
	if (g == NULL || yajl_gen_get_buf(g, &buf, &len) !=
	    yajl_gen_status_ok) {
		if (g != NULL)
			yajl_gen_free(g);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return -1;
	}
	st = api_call(type, NULL, (const char *)buf, len, &reply, &rlen);
	yajl_gen_free(g);
	if (st == MST_NOTFOUND && notfound != NULL) {
		free(reply);
		resp_detail(out, MHD_HTTP_NOT_FOUND, notfound);
		return -1;
	}
	if (st != MST_OK) {
		resp_broker(out, st, reply, msg_type_name(type));
		free(reply);
		return -1;
	}
	*v = api_parse_reply(reply, rlen);
	free(reply);
	if (*v == NULL) {
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return -1;
	}
	return 0;
}

/* A generator holding {"key": s} (s may be NULL: no member). */
static yajl_gen
req1(const char *key, const char *s)
{
	yajl_gen g = json_gen_new();

	if (g == NULL)
		return NULL;
	(void)yajl_gen_map_open(g);
	if (key != NULL)
		json_gen_kv_str(g, key, s);
	(void)yajl_gen_map_close(g);
	return g;
}

static yajl_gen
req_open(void)
{
	yajl_gen g = json_gen_new();

	if (g != NULL)
		(void)yajl_gen_map_open(g);
	return g;
}

static yajl_gen
req_close(yajl_gen g)
{
	if (g != NULL)
		(void)yajl_gen_map_close(g);
	return g;
}

static yajl_gen
out_gen(struct api_resp *out)
{
	yajl_gen g = json_gen_new();

	if (g == NULL)
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
	return g;
}

/* "Database reports no <what> with uid=<id>." */
static void
nf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
nf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Decode %XX and '+' of a query value into out; 0 or -1. */
static int
qdecode(const char *s, char *out, size_t outlen)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (s[i + 1] == '\0' || s[i + 2] == '\0')
				return -1;
			hi = s[i + 1] >= 'a' ? s[i + 1] - 'a' + 10 :
			    s[i + 1] >= 'A' ? s[i + 1] - 'A' + 10 :
			    s[i + 1] - '0';
			lo = s[i + 2] >= 'a' ? s[i + 2] - 'a' + 10 :
			    s[i + 2] >= 'A' ? s[i + 2] - 'A' + 10 :
			    s[i + 2] - '0';
			if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
			if (c == '\0')
				return -1;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Query value name, decoded: 1 present, 0 absent, -1 bad. */
static int
qget(struct api_req *r, const char *name, char *out, size_t outlen)
{
	const char *s = MHD_lookup_connection_value(r->c,
	    MHD_GET_ARGUMENT_KIND, name);

	if (s == NULL)
		return 0;
	return qdecode(s, out, outlen) == 0 ? 1 : -1;
}

/* Integer query value with default; 0, or -1 with a 422 in out. */
static int
qint(struct api_req *r, struct api_resp *out, const char *name, long long def,
    long long *v, int *present)
{
	char	buf[32], msg[128];
	int	p;

	*v = def;
	if (present != NULL)
		*present = 0;
	if ((p = qget(r, name, buf, sizeof(buf))) == 0)
		return 0;
	if (p == -1 || query_int(buf, -1000000000LL, 1000000000LL, v) == -1) {
		(void)snprintf(msg, sizeof(msg), "query.%s: Input should be a "
		    "valid integer", name);
		resp_422(out, msg);
		return -1;
	}
	if (present != NULL)
		*present = 1;
	return 0;
}

/* page and pageSize (values < 1 reset to the defaults, 3). */
static int
pagination(struct api_req *r, struct api_resp *out, yajl_gen g)
{
	long long page, size;

	if (qint(r, out, "page", 1, &page, NULL) == -1 ||
	    qint(r, out, "pageSize", 20, &size, NULL) == -1)
		return -1;
	if (page < 1)
		page = 1;
	if (size < 1)
		size = 20;
	if (size > 1000)
		size = 1000;
	json_gen_kv_int(g, "page", page);
	json_gen_kv_int(g, "pageSize", size);
	return 0;
}

/* The request body as JSON; NULL with a 422 in out. */
static yajl_val
body_json(struct api_req *r, struct api_resp *out)
{
	char		e[128], msg[192];
	yajl_val	v;

	if (r->blen == 0) {
		resp_422(out, "body: Field required");
		return NULL;
	}
	v = json_parse(r->body, r->blen, (size_t)A.max_body, API_JSON_DEPTH,
	    e, sizeof(e));
	if (v == NULL) {
		(void)snprintf(msg, sizeof(msg), "body: JSON decode error: %s",
		    e);
		resp_422(out, msg);
	}
	return v;
}

/* A required string member of an object body; NULL with a 422. */
static const char *
body_str(yajl_val v, const char *key, struct api_resp *out)
{
	yajl_val	x = json_get(v, key);
	char		msg[128];

	if (x != NULL && YAJL_IS_STRING(x))
		return x->u.string;
	(void)snprintf(msg, sizeof(msg), "body.%s: %s", key, x == NULL ?
	    "Field required" : "Input should be a valid string");
	resp_422(out, msg);
	return NULL;
}

static void
reply_bool(struct api_resp *out, yajl_val v)
{
	int b = 0;

	if (json_get_bool(v, "ok", &b) == -1)
		b = 0;
	resp_json(out, MHD_HTTP_OK, b ? "true" : "false", b ? 4 : 5);
}

static void
reply_id(struct api_resp *out, yajl_val v)
{
	char q[64];

	if (json_quote(json_get_str(v, "_id") != NULL ? json_get_str(v, "_id") :
	    "", q, sizeof(q)) == -1) {
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return;
	}
	resp_json(out, MHD_HTTP_OK, q, strlen(q));
}

/* ---- root and documentation ---- */

extern const char api_openapi_json[];
extern const char api_openapi_json_end[];

static void
h_root(struct api_req *r, struct api_resp *out)
{
	(void)r;
	resp_json(out, MHD_HTTP_TEMPORARY_REDIRECT, "", 0);
	(void)strlcpy(out->location, "/api/openapi.json",
	    sizeof(out->location));
}

static void
h_openapi(struct api_req *r, struct api_resp *out)
{
	(void)r;
	resp_json(out, MHD_HTTP_OK, api_openapi_json,
	    (size_t)(api_openapi_json_end - api_openapi_json));
}

/* ---- authentication ---- */

/* The login/register form: username and password (422 if missing). */
static int
login_form(struct api_req *r, struct api_resp *out, struct form *f,
    const char **user, const char **pass)
{
	const char *gt;
	size_t ulen, plen;

	if (form_parse(r->body, r->blen, f) == -1) {
		resp_422(out, "body: malformed form data");
		return -1;
	}
	*user = form_get(f, "username", &ulen);
	*pass = form_get(f, "password", &plen);
	if (*user == NULL || *pass == NULL) {
		resp_422(out, *user == NULL ? "body.username: Field required" :
		    "body.password: Field required");
		form_free(f);
		return -1;
	}
	if (strlen(*user) != ulen || strlen(*pass) != plen) {
		resp_422(out, "body: NUL in a field");
		form_free(f);
		return -1;
	}
	gt = form_get(f, "grant_type", NULL);
	if (gt != NULL && strcmp(gt, "password") != 0) {
		resp_422(out, "body.grant_type: String should match pattern "
		    "'^password$'");
		form_free(f);
		return -1;
	}
	return 0;
}

/* An auth call whose request holds secrets: the buffer is wiped. */
static int
auth_call(unsigned type, yajl_gen g, char **reply, size_t *rlen)
{
	const unsigned char	*buf;
	size_t			 len;
	int			 st;

	*reply = NULL;
	if (g == NULL)
		return MST_INTERNAL;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return MST_INTERNAL;
	}
	st = api_call(type, NULL, (const char *)buf, len, reply, rlen);
	explicit_bzero((void *)(uintptr_t)buf, len);
	yajl_gen_free(g);
	/* A session may be gone or a user changed: forget what the
	 * authentication cache holds (api_auth.c), whatever auth said. */
	if (type == MSG_AUTH_LOGOUT || type == MSG_AUTH_REFRESH ||
	    type == MSG_AUTH_SET_PASSWORD)
		api_auth_cache_flush();
	return st;
}

static void
iso_utc(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm) == 0)
		(void)strlcpy(buf, "1970-01-01T00:00:00+00:00", len);
}

static void
h_login(struct api_req *r, struct api_resp *out)
{
	struct form		 f;
	struct token_claims	 cl;
	const char		*user, *pass, *tok, *ea;
	char			*reply = NULL, exp[40];
	uint8_t			 pk[32];
	yajl_gen		 g;
	yajl_val		 v;
	size_t			 rlen = 0;
	int			 st;

	if (login_form(r, out, &f, &user, &pass) == -1)
		return;
	g = req_open();
	if (g != NULL) {
		json_gen_kv_str(g, "username", user);
		json_gen_kv_str(g, "password", pass);
		json_gen_kv_str(g, "addr", r->addr);
	}
	st = auth_call(MSG_AUTH_LOGIN, req_close(g), &reply, &rlen);
	form_free(&f);
	if (st == MST_DENIED || st == MST_NOTFOUND || st == MST_BADREQ) {
		free(reply);
		resp_detail(out, MHD_HTTP_BAD_REQUEST,
		    "Incorrect username or password");
		return;
	}
	if (st == MST_BUSY && reply != NULL && strstr(reply,
	    "retry_after") != NULL) {
		long long ra = 60;

		if ((v = api_parse_reply(reply, rlen)) != NULL) {
			if (json_get_int(v, "retry_after", &ra) == -1 ||
			    ra < 1 || ra > 3600)
				ra = 60;
			yajl_tree_free(v);
		}
		free(reply);
		resp_detail(out, MHD_HTTP_TOO_MANY_REQUESTS,
		    "Too many login attempts; try again later.");
		out->retry_after = (unsigned)ra;
		return;
	}
	if (st != MST_OK) {
		resp_broker(out, st, reply, "auth.login");
		free(reply);
		return;
	}
	v = api_parse_reply(reply, rlen);
	if (reply != NULL)
		explicit_bzero(reply, rlen);
	free(reply);
	if (v == NULL || (tok = json_get_str(v, "access_token")) == NULL ||
	    strlen(tok) >= TOKEN_MAX) {
		yajl_tree_free(v);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return;
	}
	if ((ea = json_get_str(v, "expires_at")) == NULL) {
		/* From the token itself, with the +00:00 suffix the client's
		 * datetime.fromisoformat() needs. */
		if (api_pubkey(pk) == 0 && token_verify(pk, tok, strlen(tok),
		    (int64_t)time(NULL), &cl) == TOKEN_OK)
			iso_utc(cl.exp, exp, sizeof(exp));
		else
			iso_utc((int64_t)time(NULL) + 3600, exp, sizeof(exp));
		ea = exp;
	}
	if ((g = out_gen(out)) == NULL) {
		yajl_tree_free(v);
		return;
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "access_token", tok);
	json_gen_kv_str(g, "token_type", "bearer");
	json_gen_kv_str(g, "message", "Login successful");
	json_gen_kv_str(g, "expires_at", ea);
	(void)yajl_gen_map_close(g);
	api_set_cookie(out, tok, 0);
	yajl_tree_free(v);
	resp_gen(out, MHD_HTTP_OK, g);
}

static void
h_refresh(struct api_req *r, struct api_resp *out)
{
	struct token_claims	 cl;
	const char		*h, *nt;
	char			*reply = NULL;
	uint8_t			 pk[32];
	yajl_gen		 g;
	yajl_val		 v;
	size_t			 rlen = 0;
	int			 st;

	h = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		resp_detail(out, MHD_HTTP_UNAUTHORIZED,
		    "Authorization header is missing or malformed.");
		out->www_auth = 1;
		return;
	}
	h += 7;
	if (api_pubkey(pk) == -1) {
		resp_detail(out, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "The authentication service is not available.");
		return;
	}
	if (token_verify(pk, h, strlen(h), (int64_t)time(NULL), &cl) !=
	    TOKEN_OK) {
		resp_detail(out, MHD_HTTP_UNAUTHORIZED, "Invalid authentication "
		    "credentials, token expired, or tampered.");
		out->www_auth = 1;
		return;
	}
	g = req_open();
	if (g != NULL)
		json_gen_kv_str(g, "token", h);
	st = auth_call(MSG_AUTH_REFRESH, req_close(g), &reply, &rlen);
	if (st == MST_NOTFOUND || st == MST_DENIED || st == MST_BADREQ) {
		char d[256];

		reply_detail(reply, "Session either does not exist, has "
		    "expired, or has been revoked.", d, sizeof(d));
		free(reply);
		resp_detail(out, MHD_HTTP_UNAUTHORIZED, d);
		out->www_auth = 1;
		return;
	}
	if (st != MST_OK) {
		resp_broker(out, st, reply, "auth.refresh");
		free(reply);
		return;
	}
	v = api_parse_reply(reply, rlen);
	free(reply);
	if (v == NULL || (nt = json_get_str(v, "access_token")) == NULL) {
		yajl_tree_free(v);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return;
	}
	if ((g = out_gen(out)) != NULL) {
		(void)yajl_gen_map_open(g);
		json_gen_kv_str(g, "access_token", nt);
		json_gen_kv_str(g, "token_type", "bearer");
		json_gen_kv_str(g, "message", "Token refreshed successfully");
		(void)yajl_gen_map_close(g);
		resp_gen(out, MHD_HTTP_OK, g);
	}
	yajl_tree_free(v);
}

static void
h_logout(struct api_req *r, struct api_resp *out)
{
	const char	*h, *ck;
	char		 tok[TOKEN_MAX + 1], *reply = NULL;
	yajl_gen	 g;
	size_t		 rlen = 0;

	tok[0] = '\0';
	ck = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_COOKIE);
	if (ck == NULL || cookie_get(ck, strlen(ck), "access_token", tok,
	    sizeof(tok)) != 1)
		tok[0] = '\0';
	h = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (tok[0] == '\0' && h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		(void)strlcpy(tok, h + 7, sizeof(tok));
	if (tok[0] != '\0') {
		/* auth checks the signature (expiry ignored) and deletes the
		 * session; logout never fails (6.2). */
		g = req_open();
		if (g != NULL)
			json_gen_kv_str(g, "token", tok);
		(void)auth_call(MSG_AUTH_LOGOUT, req_close(g), &reply, &rlen);
		free(reply);
		explicit_bzero(tok, sizeof(tok));
	}
	static const char bye[] =
	    "{\"message\":\"Logged out and session revoked\"}";

	resp_json(out, MHD_HTTP_OK, bye, sizeof(bye) - 1);
	api_set_cookie(out, NULL, 1);
}

static void
h_register(struct api_req *r, struct api_resp *out)
{
	struct form	 f;
	const char	*user, *pass;
	char		*reply = NULL;
	yajl_gen	 g;
	yajl_val	 v;
	size_t		 rlen = 0;
	int		 st;

	if (!A.registration) {
		resp_detail(out, MHD_HTTP_FORBIDDEN,
		    "Registration is disabled.");
		return;
	}
	if (login_form(r, out, &f, &user, &pass) == -1)
		return;
	g = req_open();
	if (g != NULL) {
		json_gen_kv_str(g, "username", user);
		json_gen_kv_str(g, "password", pass);
		json_gen_kv_str(g, "addr", r->addr);
	}
	st = auth_call(MSG_AUTH_REGISTER, req_close(g), &reply, &rlen);
	form_free(&f);
	if (st == MST_CONFLICT) {
		free(reply);
		resp_detail(out, MHD_HTTP_BAD_REQUEST,
		    "Username already registered");
		return;
	}
	if (st == MST_BADREQ) {
		char d[256];

		reply_detail(reply, "Invalid registration", d, sizeof(d));
		free(reply);
		resp_detail(out, strcmp(d, "Registration is disabled.") == 0 ?
		    MHD_HTTP_FORBIDDEN : MHD_HTTP_BAD_REQUEST, d);
		return;
	}
	if (st == MST_BUSY) {
		free(reply);
		resp_detail(out, MHD_HTTP_TOO_MANY_REQUESTS,
		    "Too many attempts; try again later.");
		return;
	}
	if (st != MST_OK) {
		resp_broker(out, st, reply, "auth.register");
		free(reply);
		return;
	}
	v = api_parse_reply(reply, rlen);
	free(reply);
	if (v == NULL || (g = out_gen(out)) == NULL) {
		if (v == NULL)
			resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "Internal Server Error");
		yajl_tree_free(v);
		return;
	}
	/* The record, with the hash masked (the original returned it). */
	model_user(g, json_get(v, "entity") != NULL ? json_get(v, "entity") :
	    v);
	yajl_tree_free(v);
	resp_gen(out, MHD_HTTP_OK, g);
}

static void
h_current_user(struct api_req *r, struct api_resp *out)
{
	yajl_gen g;

	if ((g = out_gen(out)) == NULL)
		return;
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "mail", r->u.mail);
	json_gen_kv_str(g, "name", r->u.name);
	json_gen_kv_str(g, "surname", r->u.surname);
	json_gen_cstr(g, "rights_admin");
	(void)yajl_gen_bool(g, r->u.admin);
	json_gen_kv_str(g, "id", r->u.id);
	(void)yajl_gen_map_close(g);
	resp_gen(out, MHD_HTTP_OK, g);
}

/* ---- users ---- */

/*
 * One page of a listing: op with the page arguments (and, when key is
 * not NULL, key = val), answered as a collection envelope of fn(record).
 */
static void
list_page(struct api_req *r, struct api_resp *out, unsigned op,
    const char *key, const char *val, void (*fn)(yajl_gen, yajl_val))
{
	yajl_gen	g, o;
	yajl_val	v;

	if ((g = req_open()) == NULL || pagination(r, out, g) == -1) {
		if (g != NULL)
			yajl_gen_free(g);
		return;
	}
	if (key != NULL)
		json_gen_kv_str(g, key, val);
	if (call_gen(op, req_close(g), &v, out, NULL) == -1)
		return;
	if ((o = out_gen(out)) != NULL) {
		model_page(o, v, fn);
		resp_gen(out, MHD_HTTP_OK, o);
	}
	yajl_tree_free(v);
}

static void
h_users(struct api_req *r, struct api_resp *out)
{
	if (!r->u.admin) {
		resp_detail(out, MHD_HTTP_FORBIDDEN,
		    "Only admin users can access the list of users.");
		return;
	}
	list_page(r, out, MSG_USER_LIST, NULL, NULL, model_user);
}

/* The user of path parameter 0 (admin or self): 0, or -1 with out set. */
static int
user_lookup(struct api_req *r, struct api_resp *out, const char *verb,
    yajl_val *v)
{
	const char	*id = r->params[0];
	char		 msg[128];

	*v = NULL;
	if (!r->u.admin && strcmp(id, r->u.id) != 0) {
		(void)snprintf(msg, sizeof(msg), "Only admin users or the user "
		    "themselves can %s user details.", verb);
		resp_detail(out, MHD_HTTP_FORBIDDEN, msg);
		return -1;
	}
	(void)snprintf(msg, sizeof(msg), "User with id=%.64s not found.", id);
	if (!util_hex24(id)) {
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		return -1;
	}
	return call_gen(MSG_USER_GET, req1("_id", id), v, out, msg);
}

static void
h_user_get(struct api_req *r, struct api_resp *out)
{
	yajl_gen	g;
	yajl_val	v;

	if (user_lookup(r, out, "access", &v) == -1)
		return;
	if ((g = out_gen(out)) != NULL) {
		(void)yajl_gen_map_open(g);
		json_gen_cstr(g, "entity");
		model_user(g, v);
		(void)yajl_gen_map_close(g);
		resp_gen(out, MHD_HTTP_OK, g);
	}
	yajl_tree_free(v);
}

static void
h_user_patch(struct api_req *r, struct api_resp *out)
{
	yajl_gen	 g;
	yajl_val	 v, b;
	const char	*pw;
	char		*reply = NULL;
	size_t		 rlen = 0;
	int		 st;

	if (user_lookup(r, out, "update", &v) == -1)
		return;
	yajl_tree_free(v);
	if ((b = body_json(r, out)) == NULL)
		return;
	if ((pw = body_str(b, "password", out)) == NULL) {
		yajl_tree_free(b);
		return;
	}
	if (strlen(pw) < 6) {
		yajl_tree_free(b);
		resp_detail(out, MHD_HTTP_BAD_REQUEST,
		    "Password must be at least 6 characters long.");
		return;
	}
	g = req_open();
	if (g != NULL) {
		json_gen_kv_str(g, "user_id", r->params[0]);
		json_gen_kv_str(g, "password", pw);
	}
	st = auth_call(MSG_AUTH_SET_PASSWORD, req_close(g), &reply, &rlen);
	explicit_bzero((void *)(uintptr_t)pw, strlen(pw));
	yajl_tree_free(b);
	if (st != MST_OK) {
		if (st == MST_BADREQ) {
			char d[256];

			reply_detail(reply, "Invalid password", d, sizeof(d));
			resp_detail(out, MHD_HTTP_BAD_REQUEST, d);
		} else
			resp_broker(out, st, reply, "auth.set_password");
		free(reply);
		return;
	}
	free(reply);
	if (call_gen(MSG_USER_GET, req1("_id", r->params[0]), &v, out,
	    "User not found.") == -1)
		return;
	if ((g = out_gen(out)) != NULL) {
		model_user(g, v);
		resp_gen(out, MHD_HTTP_OK, g);
	}
	yajl_tree_free(v);
}

/*
 * op {"_id": path parameter 0} into *v; -1 with out set.  A parameter
 * that is not an id, and an id the db does not know, answer 404 with
 * "<what><parameter>." (mupifDB's message).
 */
static int
call_by_id(struct api_req *r, struct api_resp *out, unsigned op,
    const char *what, yajl_val *v)
{
	char msg[640];

	nf(msg, sizeof(msg), "%s%s.", what, r->params[0]);
	if (!util_hex24(r->params[0])) {
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		return -1;
	}
	return call_gen(op, req1("_id", r->params[0]), v, out, msg);
}

/* ---- use cases ---- */

static void
h_usecases(struct api_req *r, struct api_resp *out)
{
	list_page(r, out, MSG_USECASE_LIST, NULL, NULL, model_usecase);
}

/* {"entity": fn(v)} */
static void
entity(struct api_resp *out, yajl_val v, void (*fn)(yajl_gen, yajl_val))
{
	yajl_gen g;

	if ((g = out_gen(out)) == NULL)
		return;
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "entity");
	fn(g, v);
	(void)yajl_gen_map_close(g);
	resp_gen(out, MHD_HTTP_OK, g);
}

static void
h_usecase(struct api_req *r, struct api_resp *out)
{
	yajl_val	v;
	char		msg[640];

	nf(msg, sizeof(msg), "Database reports no workflow with ucid=%s.",
	    r->params[0]);
	if (call_gen(MSG_USECASE_GET, req1("ucid", r->params[0]), &v, out,
	    msg) == -1)
		return;
	entity(out, v, model_usecase);
	yajl_tree_free(v);
}

static void
h_usecase_workflows(struct api_req *r, struct api_resp *out)
{
	list_page(r, out, MSG_WORKFLOW_LIST, "usecase", r->params[0],
	    model_workflow);
}

static void
h_usecase_post(struct api_req *r, struct api_resp *out)
{
	yajl_gen	 g;
	yajl_val	 b, v, d, p;
	const char	*ucid;

	if ((b = body_json(r, out)) == NULL)
		return;
	if (!YAJL_IS_OBJECT(b)) {
		yajl_tree_free(b);
		resp_422(out, "body: Input should be a valid dictionary");
		return;
	}
	if ((ucid = body_str(b, "ucid", out)) == NULL) {
		yajl_tree_free(b);
		return;
	}
	d = json_get(b, "Description");
	p = json_get(b, "parent");
	if ((d != NULL && !YAJL_IS_STRING(d) && !YAJL_IS_NULL(d)) ||
	    (p != NULL && !YAJL_IS_OBJECT(p) && !YAJL_IS_NULL(p))) {
		yajl_tree_free(b);
		resp_422(out, "body: Description must be a string and parent "
		    "an object or null");
		return;
	}
	/* A client-given _id is ignored: ids are ours (9.1.12). */
	g = req_open();
	if (g != NULL) {
		json_gen_cstr(g, "parent");
		if (p != NULL && YAJL_IS_OBJECT(p))
			json_gen_val(g, p);
		else
			(void)yajl_gen_null(g);
		json_gen_kv_str(g, "ucid", ucid);
		json_gen_kv_str(g, "Description", d != NULL &&
		    YAJL_IS_STRING(d) ? d->u.string : "");
	}
	yajl_tree_free(b);
	if (call_gen(MSG_USECASE_INSERT, req_close(g), &v, out, NULL) == -1)
		return;
	reply_id(out, v);
	yajl_tree_free(v);
}

static void
h_upload_stub(struct api_req *r, struct api_resp *out)
{
	/* Reached only when api.c could not stream the body to
	 * api_upload (it handles RF_UPLOAD routes itself). */
	(void)r;
	resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
	    "Internal Server Error");
}

/* ---- workflows ---- */

static void
h_workflows(struct api_req *r, struct api_resp *out)
{
	list_page(r, out, MSG_WORKFLOW_LIST, NULL, NULL, model_workflow);
}

static void
h_workflow(struct api_req *r, struct api_resp *out)
{
	yajl_val	v;

	if (call_by_id(r, out, MSG_WORKFLOW_GET,
	    "Database reports no workflow with _id=", &v) == -1)
		return;
	entity(out, v, model_workflow);
	yajl_tree_free(v);
}

static void
workflow_version(struct api_req *r, struct api_resp *out, long long ver)
{
	yajl_gen	g;
	yajl_val	v;
	char		msg[700];

	(void)snprintf(msg, sizeof(msg), "Database reports no workflow with "
	    "wid=%s and Version=%lld.", r->params[0], ver);
	if ((g = req_open()) != NULL) {
		json_gen_kv_str(g, "wid", r->params[0]);
		json_gen_kv_int(g, "version", ver);
	}
	if (call_gen(MSG_WORKFLOW_GET_VERSION, req_close(g), &v, out,
	    msg) == -1)
		return;
	entity(out, v, model_workflow);
	yajl_tree_free(v);
}

static void
h_workflow_by_wid(struct api_req *r, struct api_resp *out)
{
	workflow_version(r, out, -1);
}

static void
h_workflow_by_wid_version(struct api_req *r, struct api_resp *out)
{
	long long ver;

	if (query_int(r->params[1], -1000000000LL, 1000000000LL, &ver) == -1) {
		resp_422(out, "path.workflow_version: Input should be a valid "
		    "integer, unable to parse string as an integer");
		return;
	}
	workflow_version(r, out, ver);
}

/* POST/PATCH /api/workflows, POST /api/workflows_history (admin only,
 * unlike the original: 9.1.3). */
static void
workflow_write(struct api_req *r, struct api_resp *out, unsigned type)
{
	yajl_gen	 g, o;
	yajl_val	 b, v;
	char		 err[256], msg[640];

	if ((b = body_json(r, out)) == NULL)
		return;
	if ((g = json_gen_new()) == NULL) {
		yajl_tree_free(b);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	if (model_workflow_in(g, b, err, sizeof(err)) == -1) {
		yajl_gen_free(g);
		yajl_tree_free(b);
		resp_422(out, err);
		return;
	}
	nf(msg, sizeof(msg), "Workflow with wid=%s not found for update.",
	    json_get_str(b, "wid"));
	yajl_tree_free(b);
	if (call_gen(type, g, &v, out, type == MSG_WORKFLOW_UPDATE ? msg :
	    NULL) == -1)
		return;
	if (type == MSG_WORKFLOW_UPDATE) {
		if ((o = out_gen(out)) != NULL) {
			model_workflow(o, v);
			resp_gen(out, MHD_HTTP_OK, o);
		}
	} else
		reply_id(out, v);
	yajl_tree_free(v);
}

static void
h_workflow_post(struct api_req *r, struct api_resp *out)
{
	workflow_write(r, out, MSG_WORKFLOW_INSERT);
}

static void
h_workflow_patch(struct api_req *r, struct api_resp *out)
{
	workflow_write(r, out, MSG_WORKFLOW_UPDATE);
}

static void
h_workflow_history_post(struct api_req *r, struct api_resp *out)
{
	workflow_write(r, out, MSG_WORKFLOW_HISTORY_INSERT);
}

/* ---- executions ---- */

static void
exec_stored(yajl_gen g, yajl_val v)
{
	model_execution(g, v, NULL, NULL, -1);
}

static void
h_executions(struct api_req *r, struct api_resp *out)
{
	static const char *const strs[][2] = { { "status", "status" },
	    { "workflow_id", "workflow_id" }, { "label", "label" } };
	yajl_gen	 g, o;
	yajl_val	 v;
	long long	 ver, lim;
	char		 buf[512];
	size_t		 i;
	int		 p, has_lim;

	if ((g = req_open()) == NULL || pagination(r, out, g) == -1)
		goto fail;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if ((p = qget(r, strs[i][0], buf, sizeof(buf))) == -1) {
			resp_422(out, "query: malformed value");
			goto fail;
		}
		if (p == 1)
			json_gen_kv_str(g, strs[i][1], buf);
	}
	if (qint(r, out, "workflow_version", 0, &ver, NULL) == -1 ||
	    qint(r, out, "num_limit", 0, &lim, &has_lim) == -1)
		goto fail;
	if (ver != 0)
		json_gen_kv_int(g, "workflow_version", ver);
	/* num_limit overrides pageSize; 0 or less meant "everything",
	 * which is capped here (a reply must fit in memory). */
	if (has_lim)
		json_gen_kv_int(g, "num_limit", lim > 0 && lim <
		    NUM_LIMIT_MAX ? lim : NUM_LIMIT_MAX);
	if (call_gen(MSG_EXEC_LIST, req_close(g), &v, out, NULL) == -1)
		return;
	if ((o = out_gen(out)) != NULL) {
		model_page(o, v, exec_stored);
		resp_gen(out, MHD_HTTP_OK, o);
	}
	yajl_tree_free(v);
	return;
fail:
	if (g != NULL)
		yajl_gen_free(g);
}

/* The execution of id (404 with the spec's text if none). */
static int
exec_get(const char *id, struct api_resp *out, yajl_val *v)
{
	char msg[640];

	nf(msg, sizeof(msg), "Database reports no execution with uid=%s.", id);
	*v = NULL;
	if (!util_hex24(id)) {
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		return -1;
	}
	return call_gen(MSG_EXEC_GET, req1("_id", id), v, out, msg);
}

/* The IOData document id (NULL if id is not one, or none). */
static yajl_val
iodata_get(const char *id, struct api_resp *out, int *err)
{
	yajl_val	v = NULL;
	char		msg[640];

	*err = 0;
	nf(msg, sizeof(msg), "Database reports no IOData with uid=%s.",
	    id != NULL ? id : "None");
	if (id == NULL || !util_hex24(id)) {
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		*err = 1;
		return NULL;
	}
	if (call_gen(MSG_IODATA_GET, req1("_id", id), &v, out, msg) == -1) {
		*err = 1;
		return NULL;
	}
	return v;
}

/* An object value of a db answer, else NULL (null or absent). */
static yajl_val
obj_or_null(yajl_val v, const char *key)
{
	yajl_val x = json_get(v, key);

	return x != NULL && YAJL_IS_OBJECT(x) ? x : NULL;
}

/*
 * The enriched execution as the original answers it: workflow filled
 * from wf (when not NULL), InputsData/OutputsData from the IOData
 * documents in and outs (null if missing), canBeSubmitted computed while
 * Created.  ex (an object) is changed in place.  Into g.
 */
static void
exec_model(yajl_gen g, yajl_val ex, yajl_val in, yajl_val outs, yajl_val wf)
{
	const char	*st;
	int		 cbs = -1;

	st = json_get_str(ex, "Status");
	if (st == NULL || strcmp(st, "Created") == 0)
		cbs = in != NULL && model_inputs_ok(json_get(in, "DataSet"));
	if (wf != NULL && json_get_str(wf, "_id") != NULL) {
		/* Put the workflow's id into the stored-shape tree. */
		size_t i;

		for (i = 0; i < ex->u.object.len; i++)
			if (strcmp(ex->u.object.keys[i], "workflow") == 0) {
				yajl_tree_free(ex->u.object.values[i]);
				ex->u.object.values[i] = NULL;
				break;
			}
		if (i < ex->u.object.len) {
			yajl_val s = calloc(1, sizeof(*s));

			if (s != NULL) {
				s->type = yajl_t_string;
				s->u.string = strdup(json_get_str(wf, "_id"));
				if (s->u.string == NULL) {
					free(s);
					s = NULL;
				}
			}
			ex->u.object.values[i] = s;
			if (s == NULL) {
				/* keep the tree valid */
				s = calloc(1, sizeof(*s));
				if (s != NULL)
					s->type = yajl_t_null;
				ex->u.object.values[i] = s;
			}
		}
	}
	model_execution(g, ex, in != NULL ? json_get(in, "DataSet") : NULL,
	    outs != NULL ? json_get(outs, "DataSet") : NULL, cbs);
}

/*
 * GET /api/executions/{id}, enriched (exec_model).  One db call,
 * execution.get_full, brings the execution, its two IOData documents
 * and, when its "workflow" is not set, the workflow.  Into g.
 */
static int
exec_enriched(const char *id, struct api_resp *out, yajl_gen g)
{
	yajl_val	 full, ex;
	char		 msg[640];

	nf(msg, sizeof(msg), "Database reports no execution with uid=%s.", id);
	if (!util_hex24(id)) {
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		return -1;
	}
	if (call_gen(MSG_EXEC_GET_FULL, req1("_id", id), &full, out,
	    msg) == -1)
		return -1;
	if ((ex = obj_or_null(full, "execution")) == NULL) {
		yajl_tree_free(full);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return -1;
	}
	/* Missing IOData documents give null, not an error. */
	exec_model(g, ex, obj_or_null(full, "inputs"),
	    obj_or_null(full, "outputs"), obj_or_null(full, "workflow"));
	yajl_tree_free(full);
	return 0;
}

static void
h_execution(struct api_req *r, struct api_resp *out)
{
	yajl_gen g;

	if ((g = out_gen(out)) == NULL)
		return;
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "entity");
	if (exec_enriched(r->params[0], out, g) == -1) {
		yajl_gen_free(g);
		return;
	}
	(void)yajl_gen_map_close(g);
	resp_gen(out, MHD_HTTP_OK, g);
}

static void
h_execution_create(struct api_req *r, struct api_resp *out)
{
	yajl_gen	 g, o;
	yajl_val	 b, v, x;
	const char	*wid, *id;
	char		 msg[700];
	long long	 ver = -1;
	int		 no_edm = 0;

	if ((b = body_json(r, out)) == NULL)
		return;
	if ((wid = body_str(b, "wid", out)) == NULL)
		goto out;
	if ((x = json_get(b, "version")) != NULL) {
		if (!YAJL_IS_INTEGER(x)) {
			resp_422(out, "body.version: Input should be a valid "
			    "integer");
			goto out;
		}
		ver = x->u.number.i;
	}
	if ((x = json_get(b, "no_edm")) != NULL && !YAJL_IS_NULL(x) &&
	    json_get_bool(b, "no_edm", &no_edm) == -1) {
		resp_422(out, "body.no_edm: Input should be a valid boolean");
		goto out;
	}
	if ((x = json_get(b, "ip")) != NULL && !YAJL_IS_STRING(x) &&
	    !YAJL_IS_NULL(x)) {
		resp_422(out, "body.ip: Input should be a valid string");
		goto out;
	}
	(void)snprintf(msg, sizeof(msg), "Database reports no workflow with "
	    "wid=%s and Version=%lld.", wid, ver);
	if ((g = req_open()) != NULL) {
		json_gen_kv_str(g, "wid", wid);
		json_gen_kv_int(g, "version", ver);
		json_gen_cstr(g, "no_edm");
		(void)yajl_gen_bool(g, no_edm);
		json_gen_kv_str(g, "requested_by", r->u.mail);
	}
	if (call_gen(MSG_EXEC_CREATE, req_close(g), &v, out, msg) == -1)
		goto out;
	/* execution.create answers with the execution and its IOData
	 * documents as stored: enriched like GET /api/executions/{id}
	 * (its "workflow" is always set). */
	if ((id = json_get_str(v, "inserted_id")) == NULL ||
	    (x = obj_or_null(v, "entity")) == NULL) {
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
	} else if ((o = out_gen(out)) != NULL) {
		(void)yajl_gen_map_open(o);
		json_gen_cstr(o, "entity");
		exec_model(o, x, obj_or_null(v, "inputs"),
		    obj_or_null(v, "outputs"), NULL);
		json_gen_kv_str(o, "inserted_id", id);
		(void)yajl_gen_map_close(o);
		resp_gen(out, MHD_HTTP_OK, o);
	}
	yajl_tree_free(v);
out:
	yajl_tree_free(b);
}

/* The DataSet (inputs or outputs) of execution id; *doc frees. */
static yajl_val
exec_dataset(const char *id, int inputs, struct api_resp *out, yajl_val *doc)
{
	yajl_val	ex, io;
	int		err;

	*doc = NULL;
	if (exec_get(id, out, &ex) == -1)
		return NULL;
	io = iodata_get(json_get_str(ex, inputs ? "Inputs" : "Outputs"), out,
	    &err);
	yajl_tree_free(ex);
	if (io == NULL)
		return NULL;
	*doc = io;
	return json_get(io, "DataSet");
}

static void
io_list(struct api_req *r, struct api_resp *out, int inputs)
{
	yajl_val	doc, ds;
	yajl_gen	g;

	ds = exec_dataset(r->params[0], inputs, out, &doc);
	if (doc == NULL)
		return;
	if ((g = out_gen(out)) != NULL) {
		model_items(g, ds);
		resp_gen(out, MHD_HTTP_OK, g);
	}
	yajl_tree_free(doc);
}

/* arg: 1 inputs, 0 outputs */
static void
h_io_list(struct api_req *r, struct api_resp *out)
{
	io_list(r, out, r->arg);
}

/* GET .../input_item/{name}[/{obj_id}] */
static void
io_item_get(struct api_req *r, struct api_resp *out, int inputs)
{
	const char	*name = r->params[1];
	const char	*objid = r->nparams > 2 ? r->params[2] : "";
	yajl_val	 doc, ds;
	yajl_gen	 g;
	char		 msg[1700];
	size_t		 i;

	ds = exec_dataset(r->params[0], inputs, out, &doc);
	if (doc == NULL)
		return;
	for (i = 0; ds != NULL && YAJL_IS_ARRAY(ds) && i < ds->u.array.len;
	    i++) {
		yajl_val	 it = ds->u.array.values[i];
		yajl_val	 oid = json_get(it, "ObjID");
		const char	*nm = json_get_str(it, "Name");

		if (nm == NULL || strcmp(nm, name) != 0)
			continue;
		if ((oid != NULL && YAJL_IS_STRING(oid) &&
		    strcmp(oid->u.string, objid) == 0) ||
		    ((oid == NULL || YAJL_IS_NULL(oid)) && objid[0] == '\0'))
			break;
	}
	if (ds == NULL || !YAJL_IS_ARRAY(ds) || i == ds->u.array.len) {
		(void)snprintf(msg, sizeof(msg), "Execution weid=%s, %s: no "
		    "element with name=\"%s\" & obj_id=\"%s\".", r->params[0],
		    inputs ? "inputs" : "outputs", name, objid);
		yajl_tree_free(doc);
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		return;
	}
	if ((g = out_gen(out)) != NULL) {
		model_item(g, ds->u.array.values[i]);
		resp_gen(out, MHD_HTTP_OK, g);
	}
	yajl_tree_free(doc);
}

/* PATCH .../input_item/{name}[/{obj_id}] {"link", "object"} */
static void
io_item_patch(struct api_req *r, struct api_resp *out, int inputs)
{
	const char	*objid = r->nparams > 2 ? r->params[2] : "";
	yajl_val	 b, v, link, obj;
	yajl_gen	 g;

	if ((b = body_json(r, out)) == NULL)
		return;
	link = json_get(b, "link");
	obj = json_get(b, "object");
	if (!YAJL_IS_OBJECT(b) ||
	    (link != NULL && !YAJL_IS_OBJECT(link) && !YAJL_IS_NULL(link)) ||
	    (obj != NULL && !YAJL_IS_OBJECT(obj) && !YAJL_IS_NULL(obj))) {
		yajl_tree_free(b);
		resp_422(out, "body: link and object must be objects or null");
		return;
	}
	if (!util_hex24(r->params[0])) {
		char msg[640];

		yajl_tree_free(b);
		nf(msg, sizeof(msg), "Database reports no execution with "
		    "uid=%s.", r->params[0]);
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		return;
	}
	if ((g = req_open()) != NULL) {
		json_gen_kv_str(g, "_id", r->params[0]);
		json_gen_kv_str(g, "io", inputs ? "inputs" : "outputs");
		json_gen_kv_str(g, "name", r->params[1]);
		json_gen_kv_str(g, "obj_id", objid);
		if (link != NULL) {
			json_gen_cstr(g, "link");
			json_gen_val(g, link);
		}
		if (obj != NULL) {
			json_gen_cstr(g, "object");
			json_gen_val(g, obj);
		}
	}
	yajl_tree_free(b);
	if (call_gen(MSG_EXEC_SET_IO_ITEM, req_close(g), &v, out, NULL) == -1)
		return;
	reply_bool(out, v);
	yajl_tree_free(v);
}

/* arg: 1 inputs, 0 outputs */
static void
h_io_item(struct api_req *r, struct api_resp *out)
{
	io_item_get(r, out, r->arg);
}

static void
h_io_item_patch(struct api_req *r, struct api_resp *out)
{
	io_item_patch(r, out, r->arg);
}

static void
h_check_inputs(struct api_req *r, struct api_resp *out)
{
	yajl_val	doc, ds;
	int		ok;

	ds = exec_dataset(r->params[0], 1, out, &doc);
	if (doc == NULL)
		return;
	ok = model_inputs_ok(ds);
	yajl_tree_free(doc);
	resp_json(out, MHD_HTTP_OK, ok ? "true" : "false", ok ? 4 : 5);
}

/* {"entity": execution as stored} after a change. */
static void
exec_entity_reply(struct api_resp *out, yajl_val v)
{
	entity(out, v, exec_stored);
}

static void
h_set_param(struct api_req *r, struct api_resp *out)
{
	/* The keys mupifDB's clients set (spec 7.1 row 5); the original
	 * set any field, dotted paths included (9.1.6). */
	static const char *const keys[] = { "Status", "Attempts",
	    "ExecutionLog", "workflowURI", "loggerURI", "Task_ID", "label",
	    "RequestedBy", "SubmittedDate", NULL };
	static const char *const statuses[] = { "Created", "Pending",
	    "Scheduled", "Running", "Finished", "Failed", NULL };
	yajl_val	 b, v;
	yajl_gen	 g;
	const char	*key, *val;
	char		 msg[700], iso[40];
	size_t		 i;

	if ((b = body_json(r, out)) == NULL)
		return;
	if ((key = body_str(b, "key", out)) == NULL ||
	    (val = body_str(b, "value", out)) == NULL)
		goto out;
	for (i = 0; keys[i] != NULL && strcmp(keys[i], key) != 0; i++)
		;
	if (keys[i] == NULL) {
		(void)snprintf(msg, sizeof(msg), "body.key: \"%.64s\" cannot be "
		    "set; allowed: Status, Attempts, ExecutionLog, workflowURI, "
		    "loggerURI, Task_ID, label, RequestedBy, SubmittedDate",
		    key);
		resp_422(out, msg);
		goto out;
	}
	if (strcmp(key, "Status") == 0) {
		for (i = 0; statuses[i] != NULL && strcmp(statuses[i],
		    val) != 0; i++)
			;
		if (statuses[i] == NULL) {
			(void)snprintf(msg, sizeof(msg), "body.value: \"%.64s\" "
			    "is not a status (Created, Pending, Scheduled, "
			    "Running, Finished, Failed)", val);
			resp_422(out, msg);
			goto out;
		}
	}
	/* The runner's Status (an execution token; api_exec_allowed let
	 * only Running, Finished and Failed through) is a hint: the
	 * scheduler's exit-code mapping decides (spec/scheduler.md 12.7).
	 * Nothing is written; the answer is the execution as stored. */
	if (r->u.exec[0] != '\0' && strcmp(key, "Status") == 0) {
		log_info("execution %s: the runner reports %s (a hint, not "
		    "stored)", r->u.exec, val);
		if (exec_get(r->params[0], out, &v) == 0) {
			exec_entity_reply(out, v);
			yajl_tree_free(v);
		}
		goto out;
	}
	if (strcmp(key, "SubmittedDate") == 0) {
		/* The client sends str(datetime.now()): stored in ISO form;
		 * anything else is refused before it is written (the
		 * original stored it and then failed every read). */
		if (iso_datetime(val, iso, sizeof(iso)) == -1) {
			(void)snprintf(msg, sizeof(msg), "body.value: \"%.64s\" "
			    "is not a date-time (YYYY-MM-DDTHH:MM:SS[.ffffff])",
			    val);
			resp_422(out, msg);
			goto out;
		}
		val = iso;
	}
	nf(msg, sizeof(msg), "Execution with uid=%s not found for update.",
	    r->params[0]);
	if (!util_hex24(r->params[0])) {
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		goto out;
	}
	if ((g = req_open()) != NULL) {
		json_gen_kv_str(g, "_id", r->params[0]);
		json_gen_kv_str(g, "key", key);
		json_gen_kv_str(g, "value", val);
	}
	if (call_gen(MSG_EXEC_SET_FIELD, req_close(g), &v, out, msg) == 0) {
		exec_entity_reply(out, v);
		yajl_tree_free(v);
	}
out:
	yajl_tree_free(b);
}

/*
 * A short call to the scheduler whose answer does not matter (sched.wake,
 * sched.cancel): a failure is logged at debug level only, the scheduler
 * polls every 20 s and cleans up after itself.
 */
#define SCHED_NUDGE_MS	1000

static void
sched_nudge(unsigned type, const char *id)
{
	char	 req[64], *reply = NULL;
	size_t	 rlen = 0;
	int	 st;

	if (id != NULL)
		(void)snprintf(req, sizeof(req), "{\"_id\":\"%.24s\"}", id);
	else
		(void)strlcpy(req, "{}", sizeof(req));
	st = bchan_call(&A.bc, type, NULL, req, strlen(req),
	    A.call_timeout_ms < SCHED_NUDGE_MS ? A.call_timeout_ms :
	    SCHED_NUDGE_MS, &reply, &rlen);
	if (st != MST_OK)
		log_debug("%s: %s (ignored)", msg_type_name(type),
		    msg_status_name((unsigned)st));
	free(reply);
}

/* PATCH .../schedule: Created, Finished or Failed -> Pending (409 with
 * the db's detail from any other status, 12.6), then wake the scheduler
 * (12.2). */
static void
h_schedule(struct api_req *r, struct api_resp *out)
{
	yajl_val	v;

	if (call_by_id(r, out, MSG_EXEC_SCHEDULE,
	    "Database reports no execution with uid=", &v) == -1)
		return;
	exec_entity_reply(out, v);
	yajl_tree_free(v);
	sched_nudge(MSG_SCHED_WAKE, NULL);
}

/*
 * PATCH .../cancel (same permission as schedule): execution.cancel
 * answers {"was": Pending|Scheduled|Running, "execution": doc} (Pending
 * goes back to Created; a Scheduled or Running one is marked, and its
 * run is stopped by the scheduler: sched.cancel).
 * Answers {"entity": the execution as stored}; 409 (nothing to cancel)
 * and 404 from the db.
 */
static void
h_cancel(struct api_req *r, struct api_resp *out)
{
	yajl_val	 v, ex;
	const char	*was;

	if (call_by_id(r, out, MSG_EXEC_CANCEL,
	    "Database reports no execution with uid=", &v) == -1)
		return;
	was = json_get_str(v, "was");
	if ((ex = json_get(v, "execution")) == NULL || !YAJL_IS_OBJECT(ex)) {
		log_warnx("execution.cancel: an answer without its execution");
		yajl_tree_free(v);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return;
	}
	if (was != NULL && (strcmp(was, "Scheduled") == 0 ||
	    strcmp(was, "Running") == 0))
		sched_nudge(MSG_SCHED_CANCEL, r->params[0]);
	exec_entity_reply(out, ex);
	yajl_tree_free(v);
}

/*
 * GET .../livelog/{num}: the last num lines (num <= 0: all the scheduler
 * keeps) of a running execution's output, as a JSON list of strings
 * (12.9).  The lines come from the scheduler's ring buffer
 * (sched.livelog), never from a Pyro logger: nothing is unpickled.  Read
 * permission as GET /api/executions/{id}; an execution that is not
 * Running, or that the scheduler does not run, has no live log: [].
 */
#define LIVELOG_NUM_MAX	1000000000LL

/* A path integer: optional '-', then decimal digits, |n| <= max.
 * 0 or -1. */
static int
path_int(const char *s, long long max, long long *n)
{
	uint64_t	u;
	int		neg = s[0] == '-';

	if (util_parse_u64(s + neg, strlen(s + neg), 0, (uint64_t)max,
	    &u) == -1)
		return -1;
	*n = neg ? -(long long)u : (long long)u;
	return 0;
}

static void
h_livelog(struct api_req *r, struct api_resp *out)
{
	yajl_val	 ex, lines;
	yajl_gen	 g;
	const char	*status;
	char		 req[96], *reply = NULL, msg[192];
	long long	 num;
	size_t		 rlen = 0, i;
	int		 st, running;

	if (path_int(r->params[1], LIVELOG_NUM_MAX, &num) == -1) {
		(void)snprintf(msg, sizeof(msg), "path.num: Input should be a "
		    "valid integer, unable to parse string as an integer");
		resp_422(out, msg);
		return;
	}
	if (exec_get(r->params[0], out, &ex) == -1)
		return;
	status = json_get_str(ex, "Status");
	running = status != NULL && strcmp(status, "Running") == 0;
	yajl_tree_free(ex);
	if (!running) {
		resp_json(out, MHD_HTTP_OK, "[]", 2);
		return;
	}
	(void)snprintf(req, sizeof(req), "{\"_id\":\"%.24s\",\"n\":%lld}",
	    r->params[0], num > 0 ? num : 0);
	st = api_call(MSG_SCHED_LIVELOG, NULL, req, strlen(req), &reply,
	    &rlen);
	if (st == MST_NOTFOUND) {
		free(reply);
		resp_json(out, MHD_HTTP_OK, "[]", 2);
		return;
	}
	if (st != MST_OK) {
		resp_broker(out, st, reply, "sched.livelog");
		free(reply);
		return;
	}
	lines = api_parse_reply(reply, rlen);
	free(reply);
	for (i = 0; lines != NULL && YAJL_IS_ARRAY(lines) &&
	    i < lines->u.array.len; i++)
		if (!YAJL_IS_STRING(lines->u.array.values[i]))
			break;
	if (lines == NULL || !YAJL_IS_ARRAY(lines) ||
	    i != lines->u.array.len) {
		log_warnx("sched.livelog: not a list of strings");
		yajl_tree_free(lines);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return;
	}
	/* Generated again, so only a list of strings ever leaves. */
	if ((g = out_gen(out)) != NULL) {
		(void)yajl_gen_array_open(g);
		for (i = 0; i < lines->u.array.len; i++)
			json_gen_cstr(g, lines->u.array.values[i]->u.string);
		(void)yajl_gen_array_close(g);
		resp_gen(out, MHD_HTTP_OK, g);
	}
	yajl_tree_free(lines);
}

/*
 * PATCH .../set_onto_base_object_id {"name", "value": str} and
 * ..._ids {"name", "value": [str]}: bind an EDMMapping entry to EDM
 * object(s); answers {"entity": Execution}.
 */
static void
set_onto(struct api_req *r, struct api_resp *out, int many)
{
	yajl_val	 b, v, val;
	yajl_gen	 g;
	const char	*name;
	char		 msg[700];
	size_t		 i;

	if ((b = body_json(r, out)) == NULL)
		return;
	if ((name = body_str(b, "name", out)) == NULL)
		goto out;
	val = json_get(b, "value");
	if (many ? (val == NULL || !YAJL_IS_ARRAY(val)) :
	    (val == NULL || !YAJL_IS_STRING(val))) {
		resp_422(out, many ? "body.value: a list of strings is "
		    "required" : "body.value: a string is required");
		goto out;
	}
	for (i = 0; many && i < val->u.array.len; i++)
		if (!YAJL_IS_STRING(val->u.array.values[i])) {
			resp_422(out, "body.value: a list of strings is "
			    "required");
			goto out;
		}
	nf(msg, sizeof(msg), "Execution with uid=%s or EDM mapping with "
	    "name=%.200s not found.", r->params[0], name);
	if (!util_hex24(r->params[0])) {
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		goto out;
	}
	if ((g = req_open()) != NULL) {
		json_gen_kv_str(g, "_id", r->params[0]);
		json_gen_kv_str(g, "name", name);
		json_gen_cstr(g, many ? "ids" : "id");
		json_gen_val(g, val);
	}
	if (call_gen(MSG_EXEC_SET_EDM, req_close(g), &v, out, msg) == 0) {
		exec_entity_reply(out, v);
		yajl_tree_free(v);
	}
out:
	yajl_tree_free(b);
}

/* arg: 0 one id, 1 a list of ids */
static void
h_set_onto(struct api_req *r, struct api_resp *out)
{
	set_onto(r, out, r->arg);
}

/* ---- IOData, files ---- */

static void
h_iodata(struct api_req *r, struct api_resp *out)
{
	yajl_val	v;
	yajl_gen	g;
	int		err;

	if ((v = iodata_get(r->params[0], out, &err)) == NULL)
		return;
	if ((g = out_gen(out)) != NULL) {
		model_iodata(g, v);
		resp_gen(out, MHD_HTTP_OK, g);
	}
	yajl_tree_free(v);
}

static void
h_file_get(struct api_req *r, struct api_resp *out)
{
	yajl_gen	 g;
	yajl_val	 v;
	const char	*name;
	char		 msg[640], clean[256], *reply = NULL;
	const unsigned char *buf;
	size_t		 len, rlen = 0, i, o = 0;
	long long	 flen;
	int		 st, fd = -1;

	nf(msg, sizeof(msg), "Database reports no file with uid=%s.",
	    r->params[0]);
	if (!util_hex24(r->params[0])) {
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		return;
	}
	if ((g = req1("_id", r->params[0])) == NULL ||
	    yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		if (g != NULL)
			yajl_gen_free(g);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	st = bchan_call_fd(&A.bc, MSG_FILE_GET, r->params[0], buf, len, -1,
	    A.call_timeout_ms, &reply, &rlen, &fd);
	yajl_gen_free(g);
	if (st == MST_NOTFOUND) {
		free(reply);
		if (fd != -1)
			(void)close(fd);
		resp_detail(out, MHD_HTTP_NOT_FOUND, msg);
		return;
	}
	if (st != MST_OK || fd == -1) {
		resp_broker(out, st == MST_OK ? MST_INTERNAL : st, reply,
		    "file.get");
		free(reply);
		if (fd != -1)
			(void)close(fd);
		return;
	}
	v = api_parse_reply(reply, rlen);
	free(reply);
	if (v == NULL || json_get_int(v, "length", &flen) == -1 || flen < 0) {
		yajl_tree_free(v);
		(void)close(fd);
		resp_detail(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Internal Server Error");
		return;
	}
	/* The client reads the name with the regex filename=(.+): keep
	 * exactly that form, but no control characters or quotes (a stored
	 * name must not split or forge a header). */
	name = json_get_str(v, "filename");
	for (i = 0; name != NULL && name[i] != '\0' && o + 1 < sizeof(clean);
	    i++) {
		unsigned char c = (unsigned char)name[i];

		clean[o++] = c < 0x20 || c == 0x7f || c == '"' || c == '\\' ||
		    c == '/' ? '_' : (char)c;
	}
	clean[o] = '\0';
	if (o == 0)
		(void)strlcpy(clean, "file", sizeof(clean));
	(void)snprintf(out->disposition, sizeof(out->disposition),
	    "attachment; filename=%s", clean);
	yajl_tree_free(v);
	free(out->body);
	out->body = NULL;
	out->code = MHD_HTTP_OK;
	out->fd = fd;
	out->flen = (uint64_t)flen;
	out->ctype = "application/octet-stream";
}

/* ---- statistics, settings ---- */

static const char *const stat_names[][2] = {
	{ "totalExecutions", "total" },
	{ "finishedExecutions", "Finished" },
	{ "failedExecutions", "Failed" },
	{ "createdExecutions", "Created" },
	{ "pendingExecutions", "Pending" },
	{ "scheduledExecutions", "Scheduled" },
	{ "runningExecutions", "Running" },
};

static int
exec_stats(yajl_gen g, struct api_resp *out)
{
	yajl_val	v;
	long long	n;
	size_t		i;

	if (call_gen(MSG_EXEC_COUNT, req1(NULL, NULL), &v, out, NULL) == -1)
		return -1;
	(void)yajl_gen_map_open(g);
	for (i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++)
		json_gen_kv_int(g, stat_names[i][0], json_get_int(v,
		    stat_names[i][1], &n) == 0 ? n : 0);
	(void)yajl_gen_map_close(g);
	yajl_tree_free(v);
	return 0;
}

static void
h_execution_statistics(struct api_req *r, struct api_resp *out)
{
	yajl_gen g;

	(void)r;
	if ((g = out_gen(out)) == NULL)
		return;
	if (exec_stats(g, out) == -1) {
		yajl_gen_free(g);
		return;
	}
	resp_gen(out, MHD_HTTP_OK, g);
}

static void
h_status(struct api_req *r, struct api_resp *out)
{
	static const char *const sk[] = { "load", "processedTasks",
	    "runningTasks", "scheduledTasks", NULL };
	yajl_gen	 g;
	yajl_val	 s;
	size_t		 i;
	int		 st;

	(void)r;
	if (call_gen(MSG_STAT_GET, req1(NULL, NULL), &s, out, NULL) == -1)
		return;
	st = api_call(MSG_SCHED_PING, NULL, "{}", 2, NULL, NULL);
	if ((g = out_gen(out)) == NULL) {
		yajl_tree_free(s);
		return;
	}
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "mupifDBStatus", "OK");
	json_gen_kv_str(g, "schedulerStatus", st == MST_OK ? "OK" : "Failed");
	json_gen_cstr(g, "schedulerStat");
	(void)yajl_gen_map_open(g);
	for (i = 0; sk[i] != NULL; i++) {
		yajl_val x = json_get(s, sk[i]);

		json_gen_cstr(g, sk[i]);
		if (x != NULL && YAJL_IS_NUMBER(x))
			json_gen_val(g, x);
		else
			(void)yajl_gen_integer(g, 0);
	}
	(void)yajl_gen_map_close(g);
	yajl_tree_free(s);
	json_gen_cstr(g, "totalStat");
	if (exec_stats(g, out) == -1) {
		yajl_gen_free(g);
		return;
	}
	(void)yajl_gen_map_close(g);
	resp_gen(out, MHD_HTTP_OK, g);
}

/* Pass a db answer through unchanged (settings, statistics). */
static void
passthrough(struct api_resp *out, unsigned type)
{
	char	*reply = NULL;
	size_t	 rlen = 0;
	int	 st;

	st = api_call(type, NULL, "{}", 2, &reply, &rlen);
	if (st != MST_OK)
		resp_broker(out, st, reply, msg_type_name(type));
	else
		resp_json(out, MHD_HTTP_OK, reply != NULL ? reply : "{}",
		    reply != NULL ? rlen : 2);
	free(reply);
}

static void
h_settings(struct api_req *r, struct api_resp *out)
{
	(void)r;
	passthrough(out, MSG_SETTINGS_GET);
}

static void
h_maybe_init(struct api_req *r, struct api_resp *out)
{
	/* The db seeds Settings, the Demo use case and Stat when it
	 * starts; there is nothing left to initialise. */
	(void)r;
	resp_json(out, MHD_HTTP_OK, "false", 5);
}

static void
h_sched_stats(struct api_req *r, struct api_resp *out)
{
	(void)r;
	passthrough(out, MSG_STAT_GET);
}

static void
h_sched_stats_patch(struct api_req *r, struct api_resp *out)
{
	yajl_val	 b, v, val;
	yajl_gen	 g;
	const char	*key;

	if ((b = body_json(r, out)) == NULL)
		return;
	if ((key = body_str(b, "key", out)) == NULL)
		goto out;
	val = json_get(b, "value");
	if (val == NULL || !YAJL_IS_NUMBER(val) || (!YAJL_IS_INTEGER(val) &&
	    (!YAJL_IS_DOUBLE(val) || val->u.number.d !=
	    (double)(long long)val->u.number.d))) {
		resp_422(out, "body.value: Input should be a valid integer");
		goto out;
	}
	if ((g = req_open()) != NULL) {
		json_gen_kv_str(g, "key", key);
		json_gen_kv_int(g, "value", YAJL_IS_INTEGER(val) ?
		    val->u.number.i : (long long)val->u.number.d);
	}
	if (call_gen(MSG_STAT_UPDATE, req_close(g), &v, out, NULL) == 0) {
		reply_bool(out, v);
		yajl_tree_free(v);
	}
out:
	yajl_tree_free(b);
}

/* ---- the table ---- */

#define GET	"GET"
#define POST	"POST"
#define PATCH	"PATCH"

static const struct api_route routes[] = {
	{ GET, "/api", h_root, RF_NOAUTH, 0 },
	{ GET, "/api/openapi.json", h_openapi, RF_NOAUTH, 0 },
	{ POST, "/api/login", h_login, RF_NOAUTH, 0 },
	{ POST, "/api/refresh_token", h_refresh, RF_NOAUTH, 0 },
	{ POST, "/api/logout", h_logout, RF_NOAUTH, 0 },
	{ POST, "/api/register", h_register, RF_NOAUTH, 0 },
	{ GET, "/api/current_user", h_current_user, 0, 0 },
	{ GET, "/api/users", h_users, 0, 0 },
	{ GET, "/api/users/{}", h_user_get, 0, 0 },
	{ PATCH, "/api/users/{}", h_user_patch, 0, 0 },
	{ GET, "/api/usecases", h_usecases, 0, 0 },
	{ POST, "/api/usecases", h_usecase_post, 0, 0 },
	{ GET, "/api/usecases/{}", h_usecase, 0, 0 },
	{ GET, "/api/usecases/{}/workflows", h_usecase_workflows, 0, 0 },
	{ POST, "/api/usecases/{}/workflows", h_upload_stub,
	    RF_ADMIN | RF_UPLOAD, UPLOAD_WORKFLOW },
	{ GET, "/api/workflows", h_workflows, 0, 0 },
	{ POST, "/api/workflows", h_workflow_post, RF_ADMIN, 0 },
	{ PATCH, "/api/workflows", h_workflow_patch, RF_ADMIN, 0 },
	{ GET, "/api/workflows/{}", h_workflow, 0, 0 },
	{ POST, "/api/workflows_history", h_workflow_history_post, RF_ADMIN,
	    0 },
	{ GET, "/api/workflows_by_wid/{}", h_workflow_by_wid, 0, 0 },
	{ GET, "/api/workflows_by_wid/{}/version/{}",
	    h_workflow_by_wid_version, 0, 0 },
	{ GET, "/api/executions", h_executions, 0, 0 },
	{ POST, "/api/executions/create", h_execution_create, 0, 0 },
	{ GET, "/api/executions/{}", h_execution, 0, 0 },
	{ GET, "/api/edm_execution/{}", h_execution, 0, 0 },
	{ GET, "/api/executions/{}/inputs", h_io_list, 0, 1 },
	{ GET, "/api/executions/{}/outputs", h_io_list, 0, 0 },
	{ GET, "/api/executions/{}/input_item/{}", h_io_item, 0, 1 },
	{ GET, "/api/executions/{}/input_item/{}/{}", h_io_item, 0, 1 },
	{ PATCH, "/api/executions/{}/input_item/{}", h_io_item_patch, 0, 1 },
	{ PATCH, "/api/executions/{}/input_item/{}/{}", h_io_item_patch, 0, 1 },
	{ GET, "/api/executions/{}/output_item/{}", h_io_item, 0, 0 },
	{ GET, "/api/executions/{}/output_item/{}/{}", h_io_item, 0, 0 },
	{ PATCH, "/api/executions/{}/output_item/{}", h_io_item_patch, 0, 0 },
	{ PATCH, "/api/executions/{}/output_item/{}/{}", h_io_item_patch, 0,
	    0 },
	{ GET, "/api/executions/{}/check_inputs", h_check_inputs, 0, 0 },
	{ PATCH, "/api/executions/{}/set_onto_base_object_id", h_set_onto, 0,
	    0 },
	{ PATCH, "/api/executions/{}/set_onto_base_object_ids", h_set_onto, 0,
	    1 },
	{ PATCH, "/api/executions/{}/set_param", h_set_param, 0, 0 },
	{ PATCH, "/api/executions/{}/schedule", h_schedule, 0, 0 },
	{ PATCH, "/api/executions/{}/cancel", h_cancel, 0, 0 },
	{ GET, "/api/executions/{}/livelog/{}", h_livelog, 0, 0 },
	{ GET, "/api/iodata/{}", h_iodata, 0, 0 },
	{ GET, "/api/file/{}", h_file_get, 0, 0 },
	{ POST, "/api/file", h_upload_stub, RF_UPLOAD, UPLOAD_FILE },
	{ GET, "/api/status", h_status, 0, 0 },
	{ GET, "/api/execution_statistics", h_execution_statistics, 0, 0 },
	{ GET, "/api/settings", h_settings, 0, 0 },
	{ GET, "/api/database/maybe_init", h_maybe_init, 0, 0 },
	{ GET, "/api/scheduler_statistics", h_sched_stats, 0, 0 },
	{ PATCH, "/api/scheduler_statistics", h_sched_stats_patch, 0, 0 },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* Valid UTF-8 without control characters. */
static int
text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return 0;
		if (i + need >= n)
			return 0;
		for (k = 1; k <= need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += need + 1;
	}
	return 1;
}

/* Percent-decode one path segment s[0..n) into out. */
static int
seg_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			hi = s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' +
			    10 : s[i + 1] >= 'A' && s[i + 1] <= 'F' ? s[i + 1] -
			    'A' + 10 : s[i + 1] >= '0' && s[i + 1] <= '9' ?
			    s[i + 1] - '0' : -1;
			lo = s[i + 2] >= 'a' && s[i + 2] <= 'f' ? s[i + 2] - 'a' +
			    10 : s[i + 2] >= 'A' && s[i + 2] <= 'F' ? s[i + 2] -
			    'A' + 10 : s[i + 2] >= '0' && s[i + 2] <= '9' ?
			    s[i + 2] - '0' : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return text_ok((const unsigned char *)out, o) ? 0 : -1;
}

/* Does path (no trailing slash handling) match pattern?  Fills r. */
static int
match(const char *pat, const char *path, struct api_req *r)
{
	size_t	np = 0;

	for (;;) {
		if (pat[0] == '{' && pat[1] == '}') {
			size_t n = strcspn(path, "/");

			if (np == API_PARAMS_MAX || seg_decode(path, n,
			    r->params[np], sizeof(r->params[np])) == -1)
				return 0;
			np++;
			pat += 2;
			path += n;
			continue;
		}
		if (*pat == '\0' || *path == '\0')
			break;
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	if (*pat != '\0' || *path != '\0')
		return 0;
	r->nparams = np;
	return 1;
}

const struct api_route *
api_route(const char *method, const char *path, struct api_req *r,
    unsigned *code, char *allow, size_t allowlen)
{
	char	p[2048];
	size_t	i, n;
	int	any = 0;

	/* Every path is served with and without one trailing slash; the
	 * client's ".../{name}//" (empty obj_id) then matches the
	 * {name}/{obj_id} route with obj_id "". */
	n = strlen(path);
	if (n >= sizeof(p)) {
		*code = MHD_HTTP_NOT_FOUND;
		return NULL;
	}
	memcpy(p, path, n + 1);
	if (n > 1 && p[n - 1] == '/')
		p[n - 1] = '\0';
	allow[0] = '\0';
	for (i = 0; i < NROUTES; i++) {
		struct api_req tmp;

		memset(&tmp, 0, sizeof(tmp));
		if (!match(routes[i].pattern, p, &tmp))
			continue;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(routes[i].method, GET) == 0)) {
			memcpy(r->params, tmp.params, sizeof(r->params));
			r->nparams = tmp.nparams;
			r->arg = routes[i].arg;
			return &routes[i];
		}
		if (strstr(allow, routes[i].method) == NULL) {
			if (any)
				(void)strlcat(allow, ", ", allowlen);
			(void)strlcat(allow, routes[i].method, allowlen);
		}
		any = 1;
	}
	*code = any ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND;
	return NULL;
}
