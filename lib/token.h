/*
 * token.h - access tokens: signed by auth, checked by anyone holding the
 * public key (the api never holds the signing key).
 *
 * Wire form, JWT-shaped so tools recognise it, opaque to mupifDB clients:
 *   base64url({"alg":"EdDSA","typ":"JWT"}) "." base64url(payload) "."
 *   base64url(Ed25519 signature over the first two parts)
 * Two payloads, and nothing else, are accepted:
 *   access token (auth.login, auth.refresh):
 *     {"session_id":"<uuid4>","uid":"<hex24>","sub":"access",
 *      "iat":<int>,"exp":<int>}
 *   execution token (auth.exec_token, minted for the scheduler's runner;
 *   spec/scheduler.md 12.7, 14.8):
 *     {"session_id":"<run id>","uid":"<hex24>","sub":"exec",
 *      "exec":"<hex24 execution id>","iat":<int>,"exp":<int>}
 *   where the run id is 16..64 characters of [A-Za-z0-9_-] (the RunId
 *   the db stores while the run lasts: the api accepts the token only
 *   while they match, which is how the token is revoked).
 * Only this header is accepted (no "alg" choice).  Parsed strictly with
 * the capped JSON reader; fuzzed by fuzz/fuzz_token.c.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX	512		/* longest token accepted or made */
#define TOKEN_SID_MAX	65		/* sid buffer: 64 characters + NUL */
#define TOKEN_ACCESS_SID_MAX 63		/* access: 1..63 of [0-9a-f-] */
#define TOKEN_RUN_MIN	16		/* exec: 16..64 of [A-Za-z0-9_-] */
#define TOKEN_RUN_MAX	64

struct token_claims {
	char	sid[TOKEN_SID_MAX];	/* session id (the session_token),
					 * or the run id of an exec token */
	char	uid[25];		/* user _id, 24 hex digits */
	char	exec[25];		/* execution _id of an exec token
					 * (24 hex digits); "" for access */
	int64_t	iat;			/* issued, seconds since the epoch */
	int64_t	exp;			/* expires, seconds since the epoch */
};

enum {
	TOKEN_OK = 0,
	TOKEN_BAD = -1,		/* malformed or signature does not verify */
	TOKEN_EXPIRED = -2,	/* valid signature, exp <= now (claims set) */
};

/* Sign claims with the 64-byte libsodium secret key into out (NUL-ended):
 * an execution token when c->exec is not empty, else an access token.
 * 0 or -1 (claims token_verify() would refuse, or out too small). */
int	token_sign(const uint8_t sk[64], const struct token_claims *,
	    char *out, size_t outlen);
/* Check tok (len bytes, need not be NUL-terminated) against the 32-byte
 * public key at time now.  TOKEN_OK, TOKEN_BAD or TOKEN_EXPIRED. */
int	token_verify(const uint8_t pk[32], const char *tok, size_t len,
	    int64_t now, struct token_claims *);

#endif /* TOKEN_H */
