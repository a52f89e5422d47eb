/*
 * auth.h - the auth service: password checks, sessions and access tokens.
 *
 * Trust: auth holds the token signing key (persistent/auth/token.key) and
 * sees passwords in clear, so it is its own confined process (policy/
 * auth.profile, auth.seccomp): no network, no listening socket, its jail
 * holds nothing but the key.  Requests come from the api through the
 * broker (auth.exec_token from the scheduler alone); each payload is read
 * by one strict reader.  It reaches the
 * database only through the broker (user.*, session.*).  Never logged:
 * passwords, hashes, tokens, session ids, key bytes.
 *
 * auth.c: main (start-up, key, jail, seal, serve loop).  auth_ops.c: the
 * operations.  auth_pw.c: password hashes.  auth_rate.c: login rate
 * limits.  auth_key.c: the key file.  The ops reach the db through a
 * function pointer, so tests/unit/test_auth_ops.c drives them with a fake.
 */
#ifndef AUTH_H
#define AUTH_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl_gen.h>

#include "util.h"

#define AUTH_KEY_FILE		"token.key"	/* in the jail */
#define AUTH_TOKEN_TTL		3600		/* access token, seconds */
#define AUTH_SESSION_TTL	(7 * 24 * 3600)	/* session, seconds */
#define AUTH_PW_MIN		6		/* characters (bytes) */
#define AUTH_PW_MAX		1024
#define AUTH_USER_MAX		320		/* a mail address */
#define AUTH_ADDR_MAX		64
#define AUTH_RATE_SLOTS		4096		/* keys tracked per limiter */
#define AUTH_UUID_LEN		36
#define AUTH_EXEC_TTL_MIN	60		/* auth.exec_token ttl, s */
#define AUTH_EXEC_TTL_MAX	604800

/* ---- rate limits (auth_rate.c) ---- */

struct rate_ent;

/*
 * A token bucket per key: per_min tokens, refilled continuously; each
 * failed login takes one, and a login is refused while the bucket is
 * empty.  Keys are stored as keyed BLAKE2b digests (the key is random per
 * process), in a table of nslots; when it is full, the entry that was
 * touched longest ago is reused.  per_min 0 means no limit.
 */
struct rate {
	struct rate_ent	*ents;
	size_t		 n;
	double		 cap;		/* tokens when full */
	double		 per_ms;	/* refill */
	uint8_t		 hkey[crypto_generichash_KEYBYTES];
};

int	 rate_init(struct rate *, size_t nslots, unsigned per_min) WUR;
void	 rate_free(struct rate *);
/* 0 if key may try now, else the seconds until it may (>= 1). */
long long rate_check(struct rate *, const char *key, size_t len,
	    int64_t now_ms);
/* Take one token from key's bucket (a failed attempt). */
void	 rate_hit(struct rate *, const char *key, size_t len, int64_t now_ms);

/* ---- password hashes (auth_pw.c) ---- */

enum {
	PW_OK = 0,
	PW_BAD = -1,		/* does not match */
	PW_UNSUPPORTED = -2,	/* a hash form we cannot check */
};

/* Argon2id (libsodium's interactive limits) of pw into out; 0 or -1. */
int	 pw_hash(const char *pw, size_t len,
	    char out[crypto_pwhash_STRBYTES]) WUR;
/*
 * Check pw against hash: "$argon2id$..." with crypto_pwhash_str_verify,
 * bcrypt ("$2a$", "$2b$", "$2y$") with crypt_rn and a constant-time
 * compare.  *upgrade is set when the hash should be replaced by a fresh
 * pw_hash() (bcrypt, or Argon2id with other limits).
 */
int	 pw_verify(const char *hash, const char *pw, size_t len, int *upgrade);
/* Spend what pw_verify() spends on an Argon2id hash, for a user that
 * does not exist (or whose hash has an unknown form).  Returns 0. */
int	 pw_dummy(const char *pw, size_t len);
/* Is s a bcrypt hash form pw_verify() knows? */
int	 pw_is_bcrypt(const char *s);

/* ---- the key file (auth_key.c) ---- */

/*
 * Load AUTH_KEY_FILE from the current directory, or create it (mode
 * 0600, O_EXCL, fsynced with its directory) when absent.  Refuses a file
 * that is not a regular file of exactly 64 bytes, is readable by group or
 * others, belongs to another user, or whose public half does not match.
 * 1 created, 0 loaded, -1 with err.
 */
int	 auth_key_load(const char *path, uint8_t sk[crypto_sign_SECRETKEYBYTES],
	    uint8_t pk[crypto_sign_PUBLICKEYBYTES], char *err, size_t errlen);

/* ---- operations (auth_ops.c) ---- */

/* How the ops reach the db: send req (len bytes) as type; the reply's
 * status, with its payload in *reply (heap, NUL-terminated) or NULL. */
typedef int (*auth_call_fn)(void *arg, unsigned type, const char *req,
    size_t len, char **reply);

struct auth {
	uint8_t		 sk[crypto_sign_SECRETKEYBYTES];
	uint8_t		 pk[crypto_sign_PUBLICKEYBYTES];
	int		 registration;	/* auth.register allowed */
	struct rate	 rl_user, rl_addr;
	auth_call_fn	 call;
	void		*call_arg;
	int64_t		 (*now_ms)(void);	/* wall clock */
};

/* Set up a (zeroed) struct auth: limiters, clock.  0 or -1. */
int	 auth_init(struct auth *, unsigned rate_user, unsigned rate_addr) WUR;
/* Wipe the key and free the limiters. */
void	 auth_free(struct auth *);
/*
 * Run operation type on payload req (len bytes; the caller wipes it
 * afterwards, it may hold a password).  The reply body, on success as on
 * error ({"detail": ...}), is generated into g.  Returns the MST_* status.
 */
int	 auth_dispatch(struct auth *, unsigned type, const void *req,
	    size_t len, yajl_gen g);
/* A random UUID4 in lower case (37 bytes with the NUL). */
void	 auth_uuid4(char out[AUTH_UUID_LEN + 1]);
/* Seconds since the epoch as "2026-11-25T13:22:05+00:00" (buf >= 26). */
void	 auth_iso_offset(int64_t sec, char *buf, size_t len);

#endif /* AUTH_H */
