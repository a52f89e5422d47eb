/*
 * token.c - access tokens (see token.h): Ed25519 over a JWT-shaped text.
 *
 * Trust: token_verify() reads bytes straight from HTTP clients (through
 * the api), so it is a parser of untrusted input: the length is capped
 * first, the header must be byte-exact the one fixed header (no "alg"
 * choice, no "none"), the signature is checked before the payload is
 * parsed, and the payload must then hold exactly the claims of one of
 * the two kinds (access: five; exec: six) with their types and character
 * sets.  token_sign() runs only in auth, the
 * one process holding the secret key; it refuses claims that
 * token_verify() would refuse, so whatever it signs verifies.
 * Fuzzed by fuzz/fuzz_token.c; tested by tests/unit/test_token.c.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "token.h"
#include "util.h"
#include "banned.h"

/* base64url({"alg":"EdDSA","typ":"JWT"}), without padding. */
static const char token_hdr[] = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9";
#define HDR_LEN		(sizeof(token_hdr) - 1)
#define SIG_B64_LEN	86	/* 64 bytes, base64url without padding */
#define PAYLOAD_MAX	256	/* JSON claims, decoded */

/* Every key either kind may hold; which ones, and how many, is checked
 * after json_only_keys(). */
static const char *const claim_keys[] = {
	"session_id", "uid", "sub", "exec", "iat", "exp", NULL,
};

/* A session id: 1..63 chars of [0-9a-f-] (a UUID4 in practice). */
static int
sid_ok(const char *s)
{
	size_t i, n = strnlen(s, TOKEN_SID_MAX);

	if (n == 0 || n > TOKEN_ACCESS_SID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || s[i] == '-'))
			return 0;
	return 1;
}

/* A run id (the session id of an exec token): 16..64 chars of
 * [A-Za-z0-9_-], the set the db accepts for an execution's RunId. */
static int
run_ok(const char *s)
{
	size_t i, n = strnlen(s, TOKEN_SID_MAX);

	if (n < TOKEN_RUN_MIN || n > TOKEN_RUN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* Claims of one of the two kinds: an exec token has an execution id
 * and a run id, an access token no execution id and a session id. */
static int
claims_ok(const struct token_claims *c)
{
	int exec = strnlen(c->exec, sizeof(c->exec)) != 0;

	if (exec ? !(util_hex24(c->exec) && run_ok(c->sid)) : !sid_ok(c->sid))
		return 0;
	return util_hex24(c->uid) && c->iat >= 0 && c->exp >= c->iat;
}

int
token_sign(const uint8_t sk[64], const struct token_claims *c, char *out,
    size_t outlen)
{
	char		 payload[PAYLOAD_MAX], tok[TOKEN_MAX];
	uint8_t		 sig[crypto_sign_BYTES];
	size_t		 plen, off;
	int		 n;

	if (outlen > 0)
		out[0] = '\0';
	if (!claims_ok(c))
		return -1;
	/* sid, uid and exec were checked above: nothing in them needs
	 * escaping. */
	if (c->exec[0] != '\0')
		n = snprintf(payload, sizeof(payload),
		    "{\"session_id\":\"%s\",\"uid\":\"%s\",\"sub\":\"exec\","
		    "\"exec\":\"%s\",\"iat\":%lld,\"exp\":%lld}", c->sid,
		    c->uid, c->exec, (long long)c->iat, (long long)c->exp);
	else
		n = snprintf(payload, sizeof(payload),
		    "{\"session_id\":\"%s\",\"uid\":\"%s\","
		    "\"sub\":\"access\",\"iat\":%lld,\"exp\":%lld}", c->sid,
		    c->uid, (long long)c->iat, (long long)c->exp);
	if (n < 0 || (size_t)n >= sizeof(payload))
		return -1;
	plen = (size_t)n;
	if (HDR_LEN + 1 + sodium_base64_ENCODED_LEN(plen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) + SIG_B64_LEN + 1 >
	    sizeof(tok))
		return -1;
	memcpy(tok, token_hdr, HDR_LEN);
	tok[HDR_LEN] = '.';
	off = HDR_LEN + 1;
	(void)sodium_bin2base64(tok + off, sizeof(tok) - off,
	    (const unsigned char *)payload, plen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	off += strlen(tok + off);
	if (crypto_sign_detached(sig, NULL, (const unsigned char *)tok, off,
	    sk) != 0)
		return -1;
	tok[off++] = '.';
	(void)sodium_bin2base64(tok + off, sizeof(tok) - off, sig, sizeof(sig),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	off += strlen(tok + off);
	if (off + 1 > outlen || off >= TOKEN_MAX) {
		sodium_memzero(tok, sizeof(tok));
		return -1;
	}
	memcpy(out, tok, off + 1);
	return 0;
}

/* Decode exactly len base64url characters (no padding, canonical) into
 * at most max bytes; the decoded length, or -1. */
static ssize_t
b64_decode(const char *s, size_t len, uint8_t *out, size_t max)
{
	const char	*end = NULL;
	size_t		 n = 0;

	if (len == 0)
		return -1;
	if (sodium_base642bin(out, max, s, len, NULL, &n, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	if (end != s + len)
		return -1;
	return (ssize_t)n;
}

/* Parse the decoded payload into c; 0 or -1.  Exactly one of two
 * shapes: five claims with "sub":"access" and no "exec", or six with
 * "sub":"exec" and an "exec" string (the parser refuses duplicate keys,
 * so the count and the allowed set pin the keys down). */
static int
parse_claims(const uint8_t *p, size_t len, struct token_claims *c)
{
	yajl_val	 v;
	const char	*bad, *sid, *uid, *sub, *ex = NULL;
	long long	 iat, exp;
	char		 err[64];
	int		 rc = -1, exec;

	if ((v = json_parse(p, len, PAYLOAD_MAX, 1, err, sizeof(err))) == NULL)
		return -1;
	if (!YAJL_IS_OBJECT(v) || (v->u.object.len != 5 &&
	    v->u.object.len != 6) ||
	    json_only_keys(v, claim_keys, &bad) == -1)
		goto out;
	exec = v->u.object.len == 6;
	sid = json_get_str(v, "session_id");
	uid = json_get_str(v, "uid");
	sub = json_get_str(v, "sub");
	if (exec && (ex = json_get_str(v, "exec")) == NULL)
		goto out;
	if (!exec && json_get(v, "exec") != NULL)
		goto out;
	if (sid == NULL || uid == NULL || sub == NULL ||
	    strcmp(sub, exec ? "exec" : "access") != 0 ||
	    json_get_int(v, "iat", &iat) == -1 ||
	    json_get_int(v, "exp", &exp) == -1)
		goto out;
	memset(c, 0, sizeof(*c));
	if (!util_hex24(uid) || (exec ? !(run_ok(sid) && util_hex24(ex)) :
	    !sid_ok(sid)))
		goto out;
	(void)strlcpy(c->sid, sid, sizeof(c->sid));
	(void)strlcpy(c->uid, uid, sizeof(c->uid));
	if (exec)
		(void)strlcpy(c->exec, ex, sizeof(c->exec));
	c->iat = iat;
	c->exp = exp;
	if (!claims_ok(c))
		goto out;
	rc = 0;
out:
	yajl_tree_free(v);
	return rc;
}

int
token_verify(const uint8_t pk[32], const char *tok, size_t len, int64_t now,
    struct token_claims *c)
{
	const char	*d1, *d2;
	uint8_t		 sig[crypto_sign_BYTES + 1];
	uint8_t		 payload[PAYLOAD_MAX];
	ssize_t		 n;
	size_t		 plen_b64;

	memset(c, 0, sizeof(*c));
	if (tok == NULL || len <= HDR_LEN + 2 || len >= TOKEN_MAX)
		return TOKEN_BAD;
	if (memcmp(tok, token_hdr, HDR_LEN) != 0 || tok[HDR_LEN] != '.')
		return TOKEN_BAD;
	d1 = tok + HDR_LEN;
	if ((d2 = memchr(d1 + 1, '.', len - HDR_LEN - 1)) == NULL)
		return TOKEN_BAD;
	plen_b64 = (size_t)(d2 - d1 - 1);
	/* The signature is the rest: exactly 86 characters, no third dot. */
	if ((size_t)(tok + len - (d2 + 1)) != SIG_B64_LEN)
		return TOKEN_BAD;
	if (b64_decode(d2 + 1, SIG_B64_LEN, sig, sizeof(sig)) !=
	    crypto_sign_BYTES)
		return TOKEN_BAD;
	if (crypto_sign_verify_detached(sig, (const unsigned char *)tok,
	    (size_t)(d2 - tok), pk) != 0)
		return TOKEN_BAD;
	if ((n = b64_decode(d1 + 1, plen_b64, payload, sizeof(payload))) < 0)
		return TOKEN_BAD;
	if (parse_claims(payload, (size_t)n, c) == -1) {
		memset(c, 0, sizeof(*c));
		return TOKEN_BAD;
	}
	if (c->exp <= now)
		return TOKEN_EXPIRED;
	return TOKEN_OK;
}
