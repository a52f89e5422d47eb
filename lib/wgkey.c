/*
 * wgkey.c - WireGuard keys with libsodium, byte-identical to wireguard-
 * tools: `wg genkey` (32 random bytes, clamped), `wg genpsk` (32 random
 * bytes), `wg pubkey` (X25519 base-point multiplication) and their
 * base64 text.  Used by the launcher's `vpn keys`; no state, no I/O.
 * Callers wipe the buffers they pass (sodium_memzero).
 */
#include <string.h>

#include <sodium.h>

#include "wg.h"
#include "banned.h"

/* A new private key: random, clamped as wg genkey does. */
void
wgkey_generate(uint8_t sk[WGKEY_LEN])
{
	randombytes_buf(sk, WGKEY_LEN);
	sk[0] &= 248;
	sk[31] &= 127;
	sk[31] |= 64;
}

/* A new preshared key: 32 random bytes, as wg genpsk. */
void
wgkey_psk(uint8_t psk[WGKEY_LEN])
{
	randombytes_buf(psk, WGKEY_LEN);
}

/* The public key of sk (libsodium clamps a copy internally, as wg). */
int
wgkey_public(const uint8_t sk[WGKEY_LEN], uint8_t pk[WGKEY_LEN])
{
	return crypto_scalarmult_curve25519_base(pk, sk) == 0 ? 0 : -1;
}

/* Base64 of a key, original alphabet with padding (as wg prints it). */
void
wgkey_to_b64(const uint8_t k[WGKEY_LEN], char out[WGKEY_B64])
{
	(void)sodium_bin2base64(out, WGKEY_B64, k, WGKEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

/* Decode exactly 44 characters; non-canonical text (stray low bits in
 * the last character) is refused, as wg's key_from_base64 does. */
int
wgkey_from_b64(const char *s, size_t len, uint8_t k[WGKEY_LEN])
{
	char	 again[WGKEY_B64];
	size_t	 n = 0;
	int	 rc = -1;

	if (len != WGKEY_B64 - 1 || s[len - 1] != '=')
		return -1;
	if (sodium_base642bin(k, WGKEY_LEN, s, len, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || n != WGKEY_LEN)
		goto out;
	wgkey_to_b64(k, again);
	if (sodium_memcmp(again, s, WGKEY_B64 - 1) == 0)
		rc = 0;
out:
	sodium_memzero(again, sizeof(again));
	if (rc == -1)
		sodium_memzero(k, WGKEY_LEN);
	return rc;
}

int
wg_name_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > WG_IFNAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '=' ||
		    c == '+' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}
