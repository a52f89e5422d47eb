/*
 * auth_pw.c - password hashes for the auth service (see auth.h).
 *
 * New hashes are Argon2id (libsodium, OPSLIMIT/MEMLIMIT_INTERACTIVE: 64
 * MiB, which auth.profile's address-space limit leaves room for).  mupifDB
 * stored bcrypt (passlib, "$2b$12$..."): those are still checked, with
 * libxcrypt's crypt_rn and a constant-time compare, and the caller
 * replaces them with Argon2id after the first good login.
 *
 * Trust: passwords are secrets; they are never copied except into
 * libraries that need them, and crypt_rn's work area is wiped.  Hashes come
 * from the db (trusted to be what auth or an operator stored, still
 * checked for form).
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "banned.h"

/*
 * For pw_dummy(): an Argon2id hash (our limits) of 32 random bytes that
 * were thrown away when it was made, so no password matches it.  Fixed
 * here rather than made at start-up, which would delay the service by a
 * whole hash.
 */
static const char dummy[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$"
    "Fk9uafBt8Zx4lvne5tg5JA$IBDnp51ZlDfXLQlO0O15uwXol6gX4XqN3bz8Thkx5Oc";

int
pw_hash(const char *pw, size_t len, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str(out, pw, len,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 ? 0 : -1;
}

int
pw_is_bcrypt(const char *s)
{
	/* "$2b$12$" + 53 characters of salt and hash. */
	return s != NULL && strlen(s) == 60 &&
	    (strncmp(s, "$2a$", 4) == 0 || strncmp(s, "$2b$", 4) == 0 ||
	    strncmp(s, "$2y$", 4) == 0);
}

static int
bcrypt_verify(const char *hash, const char *pw)
{
	struct crypt_data	*cd;
	const char		*out;
	size_t			 hl = strlen(hash);
	int			 rc = PW_BAD;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return PW_BAD;
	/* crypt_rn, not crypt_r: sanitizer runtimes intercept crypt_r and
	 * would take the link's reference away from libcrypt.  A failure
	 * gives NULL (or, from some versions, a string starting with '*'). */
	out = crypt_rn(pw, hash, cd, (int)sizeof(*cd));
	if (out != NULL && out[0] != '*' && strlen(out) == hl &&
	    sodium_memcmp(out, hash, hl) == 0)
		rc = PW_OK;
	sodium_memzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int
pw_verify(const char *hash, const char *pw, size_t len, int *upgrade)
{
	*upgrade = 0;
	if (hash == NULL)
		return PW_UNSUPPORTED;
	if (strncmp(hash, "$argon2id$", 10) == 0) {
		if (strnlen(hash, crypto_pwhash_STRBYTES) >=
		    crypto_pwhash_STRBYTES)
			return PW_UNSUPPORTED;
		if (crypto_pwhash_str_verify(hash, pw, len) != 0)
			return PW_BAD;
		/* Other limits than ours now: hash again. */
		if (crypto_pwhash_str_needs_rehash(hash,
		    crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
			*upgrade = 1;
		return PW_OK;
	}
	if (pw_is_bcrypt(hash)) {
		/* crypt_rn takes a C string: a password with a NUL byte
		 * cannot match (JSON readers refuse those anyway). */
		if (memchr(pw, '\0', len) != NULL)
			return PW_BAD;
		if (bcrypt_verify(hash, pw) != PW_OK)
			return PW_BAD;
		*upgrade = 1;
		return PW_OK;
	}
	return PW_UNSUPPORTED;
}

int
pw_dummy(const char *pw, size_t len)
{
	/* The answer is "no" whatever pw is; only the time counts. */
	if (crypto_pwhash_str_verify(dummy, pw, len) == 0)
		return 0;
	return 0;
}
