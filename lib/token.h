/*
 * token.h - access tokens: signed by auth, checked by anyone holding the
 * public key (the api never holds the signing key).
 *
 * Wire form, JWT-shaped so tools recognise it, opaque to mupifDB clients:
 *   base64url({"alg":"EdDSA","typ":"JWT"}) "." base64url(payload) "."
 *   base64url(Ed25519 signature over the first two parts)
 * payload: {"session_id":"<uuid4>","uid":"<hex24>","sub":"access",
 *           "iat":<int>,"exp":<int>}
 * Only this header is accepted (no "alg" choice).  Parsed strictly with
 * the capped JSON reader; fuzzed by fuzz/fuzz_token.c.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX	512		/* longest token accepted or made */
#define TOKEN_SID_MAX	64

struct token_claims {
	char	sid[TOKEN_SID_MAX];	/* session id (the session_token) */
	char	uid[25];		/* user _id, 24 hex digits */
	int64_t	iat;			/* issued, seconds since the epoch */
	int64_t	exp;			/* expires, seconds since the epoch */
};

enum {
	TOKEN_OK = 0,
	TOKEN_BAD = -1,		/* malformed or signature does not verify */
	TOKEN_EXPIRED = -2,	/* valid signature, exp <= now (claims set) */
};

/* Sign claims with the 64-byte libsodium secret key into out (NUL-ended).
 * 0 or -1 (out too small). */
int	token_sign(const uint8_t sk[64], const struct token_claims *,
	    char *out, size_t outlen);
/* Check tok (len bytes, need not be NUL-terminated) against the 32-byte
 * public key at time now.  TOKEN_OK, TOKEN_BAD or TOKEN_EXPIRED. */
int	token_verify(const uint8_t pk[32], const char *tok, size_t len,
	    int64_t now, struct token_claims *);

#endif /* TOKEN_H */
