/*
 * fuzz_token.c - fuzzes token_verify() (lib/token.c), which reads access
 * tokens straight from HTTP clients.
 *
 * The first byte picks the mode, the rest is the input:
 *   even: the input is a token, checked against a fixed public key;
 *   odd:  the input is a payload, signed with the fixed secret key under
 *         the fixed header, so the fuzzer reaches the claims reader that
 *         a signature normally guards.
 * Consistency checks: a refused token leaves the claims zeroed; accepted
 * claims are well-formed and, signed again with token_sign(), verify to
 * the same claims with the same result.  The key pair is derived from a
 * constant seed (the same every run; no other state), no I/O.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "banned.h"

#define NOW	1764000000	/* 2025-11-24, inside the seeds' lifetime */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char hdr[] = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9";
static uint8_t pk[32], sk[64];
static int keyed;

static void
key(void)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	if (keyed)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x42, sizeof(seed));
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
		abort();
	keyed = 1;
}

static void
check(const char *tok, size_t len)
{
	struct token_claims	c, c2, zero;
	char			again[TOKEN_MAX];
	int			r, r2;
	size_t			n;

	memset(&zero, 0, sizeof(zero));
	r = token_verify(pk, tok, len, NOW, &c);
	if (r == TOKEN_BAD) {
		if (memcmp(&c, &zero, sizeof(c)) != 0)
			abort();
		return;
	}
	if (r != TOKEN_OK && r != TOKEN_EXPIRED)
		abort();
	n = strnlen(c.sid, sizeof(c.sid));
	if (n == 0 || n >= sizeof(c.sid) || strlen(c.uid) != 24 ||
	    c.iat < 0 || c.exp < c.iat || (r == TOKEN_OK) != (c.exp > NOW))
		abort();
	if (token_sign(sk, &c, again, sizeof(again)) != 0)
		abort();
	r2 = token_verify(pk, again, strlen(again), NOW, &c2);
	if (r2 != r || memcmp(&c, &c2, sizeof(c)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 buf[2 * TOKEN_MAX], sigb[128];
	uint8_t	 sig[crypto_sign_BYTES];
	size_t	 off, room;

	key();
	if (size == 0 || size > 4 * TOKEN_MAX)
		return 0;
	if ((data[0] & 1) == 0) {
		check((const char *)data + 1, size - 1);
		return 0;
	}
	/* Sign data[1..] as the payload. */
	data++;
	size--;
	off = sizeof(hdr) - 1;
	memcpy(buf, hdr, off);
	buf[off++] = '.';
	room = sizeof(buf) - off;
	if (sodium_base64_ENCODED_LEN(size,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) + 1 + 87 > room)
		return 0;
	sodium_bin2base64(buf + off, room, data, size,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	off += strlen(buf + off);
	crypto_sign_detached(sig, NULL, (const unsigned char *)buf, off, sk);
	sodium_bin2base64(sigb, sizeof(sigb), sig, sizeof(sig),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf[off++] = '.';
	memcpy(buf + off, sigb, strlen(sigb));
	off += strlen(sigb);
	check(buf, off);
	return 0;
}
