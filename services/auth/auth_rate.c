/*
 * auth_rate.c - login rate limits of the auth service (see auth.h).
 *
 * Trust: keys are usernames and client addresses as the api passed them
 * (untrusted, any bytes): they are only hashed, never stored or logged.
 * The table is fixed in size, so a flood of new keys costs memory only
 * once; it can evict old entries, which is why each attempt is limited
 * per address as well as per user.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "banned.h"

#define DIGEST_LEN	16

struct rate_ent {
	uint8_t		 digest[DIGEST_LEN];
	int		 used;
	double		 tokens;
	int64_t		 last_ms;	/* tokens were computed at */
};

int
rate_init(struct rate *r, size_t nslots, unsigned per_min)
{
	memset(r, 0, sizeof(*r));
	if (per_min == 0)
		return 0;		/* no limit: no table */
	if (nslots == 0 || (r->ents = calloc(nslots, sizeof(*r->ents))) ==
	    NULL)
		return -1;
	r->n = nslots;
	r->cap = (double)per_min;
	r->per_ms = (double)per_min / 60000.0;
	randombytes_buf(r->hkey, sizeof(r->hkey));
	return 0;
}

void
rate_free(struct rate *r)
{
	if (r == NULL)
		return;
	free(r->ents);
	sodium_memzero(r, sizeof(*r));
}

/* Bring e's tokens up to now. */
static void
refill(struct rate *r, struct rate_ent *e, int64_t now_ms)
{
	if (now_ms > e->last_ms) {
		e->tokens += (double)(now_ms - e->last_ms) * r->per_ms;
		if (e->tokens > r->cap)
			e->tokens = r->cap;
		e->last_ms = now_ms;
	}
}

/* The entry of key, or NULL (create 0: none yet; a full bucket is as
 * good as none). */
static struct rate_ent *
lookup(struct rate *r, const char *key, size_t len, int64_t now_ms,
    int create)
{
	uint8_t			 d[DIGEST_LEN];
	struct rate_ent		*free_e = NULL, *old = NULL, *e;
	size_t			 i;

	(void)crypto_generichash(d, sizeof(d), (const unsigned char *)key,
	    len, r->hkey, sizeof(r->hkey));
	for (i = 0; i < r->n; i++) {
		e = &r->ents[i];
		if (!e->used) {
			if (free_e == NULL)
				free_e = e;
			continue;
		}
		if (sodium_memcmp(e->digest, d, sizeof(d)) == 0)
			return e;
		if (old == NULL || e->last_ms < old->last_ms)
			old = e;
	}
	if (!create)
		return NULL;
	if ((e = free_e) == NULL) {
		/* Full: reuse the entry left alone longest. */
		e = old;
	}
	memcpy(e->digest, d, sizeof(d));
	e->used = 1;
	e->tokens = r->cap;
	e->last_ms = now_ms;
	return e;
}

long long
rate_check(struct rate *r, const char *key, size_t len, int64_t now_ms)
{
	struct rate_ent	*e;
	double		 wait;

	if (r->ents == NULL)
		return 0;
	if ((e = lookup(r, key, len, now_ms, 0)) == NULL)
		return 0;
	refill(r, e, now_ms);
	if (e->tokens >= 1.0)
		return 0;
	/* Whole seconds, rounded up. */
	wait = (1.0 - e->tokens) / r->per_ms / 1000.0;
	return wait < 1.0 ? 1 : (long long)wait + ((double)(long long)wait <
	    wait ? 1 : 0);
}

void
rate_hit(struct rate *r, const char *key, size_t len, int64_t now_ms)
{
	struct rate_ent *e;

	if (r->ents == NULL)
		return;
	e = lookup(r, key, len, now_ms, 1);
	refill(r, e, now_ms);
	e->tokens -= 1.0;
	if (e->tokens < 0.0)
		e->tokens = 0.0;
}
