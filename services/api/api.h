/*
 * api.h - the REST API service (port 8005): shared state, the request and
 * response records handlers work on, and the helpers between api.c (HTTP,
 * libmicrohttpd), api_routes.c (the route table and handlers),
 * api_auth.c (tokens, sessions, cookies) and api_model.c (stored
 * documents -> mupifDB's model-shaped JSON).
 *
 * Trust: every request comes from a VPN peer and is untrusted; the api
 * holds no secret (it verifies tokens with auth's public key), reaches the
 * data only through the broker, and is confined by policy/api.profile
 * and policy/api.seccomp.
 */
#ifndef API_H
#define API_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>

#include "bchan.h"
#include "json.h"
#include "token.h"

#define API_PARAMS_MAX	4
#define API_PARAM_MAX	512	/* one decoded path parameter */
#define API_JSON_DEPTH	32

struct api {
	struct bchan	 bc;
	int		 call_timeout_ms;
	uint64_t	 max_body;	/* api_max_body */
	uint64_t	 file_max;	/* uploads (file_max_bytes) */
	int		 cookie_secure;
	int		 registration;
	unsigned	 threads;
	int		 auth_cache_ms;	/* api_auth_cache_ms; 0: off */
	unsigned	 max_per_addr;	/* api_max_conn_per_addr; 0: off */
	pthread_mutex_t	 pk_mu;
	int		 have_pk;
	uint8_t		 pk[32];	/* auth's token public key */
};
extern struct api A;

/* Who made the request (filled by api_authenticate). */
struct api_user {
	char	id[25];
	char	mail[321];
	char	name[256];
	char	surname[256];
	int	admin;
	char	sid[TOKEN_SID_MAX];
	/* An execution token's execution (24 hex digits), else "": the
	 * runner of that execution, acting for user id, limited by
	 * api_exec_allowed(). */
	char	exec[25];
};

struct api_req {
	struct MHD_Connection	*c;
	const char		*method;
	char			 params[API_PARAMS_MAX][API_PARAM_MAX];
	size_t			 nparams;
	int			 arg;		/* the route's arg */
	const char		*body;		/* NUL-terminated */
	size_t			 blen;
	struct api_user		 u;
	char			 addr[64];	/* client address, text */
	/* A renewed token to send as the access_token cookie (6.2). */
	char			 renew[TOKEN_MAX];
};

struct api_resp {
	unsigned	 code;
	char		*body;		/* heap, or NULL */
	size_t		 len;
	const char	*ctype;		/* NULL: application/json */
	int		 fd;		/* >= 0: body from this fd (file) */
	uint64_t	 flen;
	char		 disposition[400];
	char		 location[256];
	char		 allow[64];
	int		 www_auth;	/* WWW-Authenticate: Bearer */
	unsigned	 retry_after;	/* > 0: Retry-After seconds */
	char		 cookie[TOKEN_MAX + 128];	/* Set-Cookie */
};

/* ---- responses (api_routes.c) ---- */
void	resp_json(struct api_resp *, unsigned code, const char *json,
	    size_t len);
/* Take the generator's text as the body (frees g). */
void	resp_gen(struct api_resp *, unsigned code, yajl_gen g);
void	resp_detail(struct api_resp *, unsigned code, const char *detail);
void	resp_422(struct api_resp *, const char *message);
/* A broker reply that was not MST_OK, as an HTTP error. */
void	resp_broker(struct api_resp *, int st, const char *reply,
	    const char *what);

/* ---- routing (api_routes.c) ---- */
#define RF_NOAUTH	0x1	/* no authentication */
#define RF_ADMIN	0x2	/* admin only */
#define RF_UPLOAD	0x4	/* body streamed to api_upload */
#define RF_RAWBODY	0x8	/* body not parsed before the handler */

typedef void (*api_handler)(struct api_req *, struct api_resp *);

struct api_route {
	const char	*method;
	const char	*pattern;	/* "/api/executions/{}/inputs" */
	api_handler	 h;
	int		 flags;
	int		 arg;		/* RF_UPLOAD: enum upload_kind; else
					 * the handler's argument (r->arg) */
};

/* Match path (raw, percent-encoded) and method.  Returns the route, or
 * NULL with *code 404 or 405 (allow filled). */
const struct api_route *api_route(const char *method, const char *path,
	    struct api_req *, unsigned *code, char *allow, size_t allowlen);

/* ---- authentication (api_auth.c) ---- */
/* 0 with r->u filled, or -1 with the 401/503 response in out. */
int	api_authenticate(struct api_req *, struct api_resp *);
int	api_pubkey(uint8_t pk[32]);
void	api_set_cookie(struct api_resp *, const char *token, int clear);
/* Empty the authentication cache (after a logout, refresh or password
 * change through this api). */
void	api_auth_cache_flush(void);
/*
 * May an execution token (r->u.exec set) use route rt with r's path
 * parameters and body?  1 or 0.  Pure: no call, no log, no state.  The
 * runner may read its execution, its inputs and outputs, write its
 * output items and the set_param keys workflowURI and loggerURI (a
 * Status of Running, Finished or Failed passes too: the handler answers
 * it as a hint and changes nothing), read workflows, IOData and files
 * and upload files; wherever the path names an execution it must be the
 * token's.  The body is read for set_param only (r->body, r->blen).
 */
int	api_exec_allowed(const struct api_route *, const struct api_req *);
#define API_EXEC_DENIED	"an execution token may only reach its own " \
			"execution"

/* ---- broker calls ---- */
/* bchan_call with the api's time-out.  *reply: heap, caller frees. */
int	api_call(unsigned type, const char *target, const char *req,
	    size_t len, char **reply, size_t *rlen);
/* Parse a broker reply (trusted producer: the db). */
yajl_val api_parse_reply(const char *reply, size_t len);

/* ---- models (api_model.c) ---- */
void	model_usecase(yajl_gen, yajl_val);
void	model_workflow(yajl_gen, yajl_val);
/* execution; inputs/outputs: the DataSets to put in InputsData and
 * OutputsData (NULL: as stored, else null); cbs -1 stored, else value. */
void	model_execution(yajl_gen, yajl_val, yajl_val inputs,
	    yajl_val outputs, int cbs);
void	model_iodata(yajl_gen, yajl_val);
void	model_item(yajl_gen, yajl_val);
void	model_items(yajl_gen, yajl_val list);
void	model_user(yajl_gen, yajl_val);
void	model_edm_list(yajl_gen, yajl_val);
/* A collection envelope of a db page, each document through fn. */
void	model_page(yajl_gen, yajl_val page, void (*fn)(yajl_gen, yajl_val));
/* Validate and normalise a client's Workflow body into g (for the db);
 * 0, or -1 with a message in err. */
int	model_workflow_in(yajl_gen, yajl_val, char *err, size_t errlen);
/* The input check of spec 4.6.1 on an inputs DataSet: 1 or 0. */
int	model_inputs_ok(yajl_val dataset);

/* A JSON string literal of s into a fixed buffer: 0 or -1 (too long). */
int	json_quote(const char *s, char *out, size_t outlen);

#endif /* API_H */
