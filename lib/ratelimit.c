/*
 * ratelimit.c - per-client token buckets and the X-Forwarded-For last-hop
 * parser (see ratelimit.h).  No allocation after rl_init, no locks (the
 * safe API is one thread).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ratelimit.h"
#include "banned.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

int
rl_addr_parse(const char *s, size_t len, struct rl_addr *out)
{
	char		buf[RL_ADDR_TEXT];
	struct in_addr	a4;
	size_t		i;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	/* inet_pton(AF_INET6) takes no zone or brackets anyway; these
	 * characters are all an address may hold. */
	for (i = 0; i < len; i++)
		if (strchr("0123456789abcdefABCDEF.:", s[i]) == NULL ||
		    s[i] == '\0')
			return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memcpy(out->a, v4mapped, sizeof(v4mapped));
		memcpy(out->a + 12, &a4, 4);
		return 0;
	}
	if (strchr(buf, ':') != NULL && inet_pton(AF_INET6, buf, out->a) == 1)
		return 0;
	return -1;
}

int
rl_addr_from_sockaddr(const void *sa, size_t salen, struct rl_addr *out)
{
	sa_family_t fam;

	if (sa == NULL || salen < sizeof(fam))
		return -1;
	memcpy(&fam, (const char *)sa + offsetof(struct sockaddr, sa_family),
	    sizeof(fam));
	if (fam == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof(sin));
		memcpy(out->a, v4mapped, sizeof(v4mapped));
		memcpy(out->a + 12, &sin.sin_addr, 4);
		return 0;
	}
	if (fam == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof(sin6));
		memcpy(out->a, &sin6.sin6_addr, 16);
		return 0;
	}
	return -1;
}

void
rl_addr_format(const struct rl_addr *a, char *out, size_t outlen)
{
	char buf[RL_ADDR_TEXT];

	if (memcmp(a->a, v4mapped, sizeof(v4mapped)) == 0) {
		if (inet_ntop(AF_INET, a->a + 12, buf, sizeof(buf)) == NULL)
			buf[0] = '\0';
	} else if (inet_ntop(AF_INET6, a->a, buf, sizeof(buf)) == NULL)
		buf[0] = '\0';
	(void)strlcpy(out, buf, outlen);
}

int
rl_addr_eq(const struct rl_addr *x, const struct rl_addr *y)
{
	return memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

int
xff_last_hop(const char *s, size_t len, struct rl_addr *out)
{
	size_t	i, b, e;

	if (s == NULL || len == 0 || len > XFF_MAX_LEN)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return -1;
		else if ((unsigned char)s[i] == 0x7f)
			return -1;
	/* After the last comma, blanks trimmed. */
	for (b = len; b > 0 && s[b - 1] != ','; b--)
		;
	e = len;
	while (b < e && (s[b] == ' ' || s[b] == '\t'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	return rl_addr_parse(s + b, e - b, out);
}

int
rl_init(struct ratelimit *rl, uint64_t rate, uint64_t burst, size_t slots)
{
	size_t n = RL_PROBE;

	memset(rl, 0, sizeof(*rl));
	rl->rate = rate;
	rl->burst = burst > 0 ? burst : 1;
	if (rate == 0)
		return 0;
	while (n < slots && n < ((size_t)1 << 24))
		n <<= 1;
	if ((rl->slot = calloc(n, sizeof(*rl->slot))) == NULL)
		return -1;
	rl->nslots = n;
	randombytes_buf(&rl->seed, sizeof(rl->seed));
	return 0;
}

void
rl_free(struct ratelimit *rl)
{
	free(rl->slot);
	memset(rl, 0, sizeof(*rl));
}

/* Bring a slot's bucket up to now. */
static void
refill(const struct ratelimit *rl, struct rl_slot *s, int64_t now)
{
	uint64_t cap = rl->burst * 1000, el;

	if (now <= s->last)
		return;
	el = (uint64_t)(now - s->last);
	/* rate tokens/s is rate milli-tokens/ms */
	if (el >= cap / rl->rate + 1)
		s->tokens = cap;
	else if ((s->tokens += el * rl->rate) > cap)
		s->tokens = cap;
	s->last = now;
}

/* Whether a slot's bucket would be full at now (without touching it, so
 * that last still tells how long it has been idle). */
static int
is_full(const struct ratelimit *rl, const struct rl_slot *s, int64_t now)
{
	uint64_t cap = rl->burst * 1000, el;

	if (s->tokens >= cap)
		return 1;
	el = now > s->last ? (uint64_t)(now - s->last) : 0;
	return el >= cap / rl->rate + 1 || s->tokens + el * rl->rate >= cap;
}

/* A slot index in the table from an address; the mixing is FNV-1a, the
 * 64-bit offset basis replaced by a per-process random value so that a
 * client cannot choose addresses that land on one another's slots. */
static uint64_t
slot_hash(const struct ratelimit *rl, const struct rl_addr *k)
{
	uint64_t	h = rl->seed;
	size_t		i;

	for (i = 0; i < sizeof(k->a); i++) {
		h ^= k->a[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

int
rl_take(struct ratelimit *rl, const struct rl_addr *addr, int64_t now,
    unsigned *retry_s)
{
	struct rl_addr	 k = *addr;
	struct rl_slot	*s, *victim = NULL;
	uint64_t	 h, need, ms;
	size_t		 i;

	if (rl->rate == 0 || rl->slot == NULL)
		return 1;
	if (memcmp(k.a, v4mapped, sizeof(v4mapped)) != 0)
		memset(k.a + 8, 0, 8);		/* IPv6: per /64 */
	h = slot_hash(rl, &k);
	for (i = 0; i < RL_PROBE; i++) {
		s = &rl->slot[(h + i) & (rl->nslots - 1)];
		if (s->used && rl_addr_eq(&s->addr, &k))
			goto found;
		/* The victim, should the address be new: a free slot,
		 * else one whose bucket is full again (forgetting it loses
		 * nothing), else the one idle the longest. */
		if (!s->used) {
			if (victim == NULL || victim->used)
				victim = s;
			continue;
		}
		if (victim != NULL && !victim->used)
			continue;
		if (victim == NULL || (is_full(rl, s, now) &&
		    !is_full(rl, victim, now)) ||
		    (is_full(rl, s, now) == is_full(rl, victim, now) &&
		    s->last < victim->last))
			victim = s;
	}
	s = victim;
	if (s->used)
		rl->evictions++;
	s->used = 1;
	s->addr = k;
	s->last = now;
	s->tokens = rl->burst * 1000;
found:
	refill(rl, s, now);
	if (s->tokens >= 1000) {
		s->tokens -= 1000;
		return 1;
	}
	if (retry_s != NULL) {
		need = 1000 - s->tokens;
		ms = (need + rl->rate - 1) / rl->rate;
		*retry_s = (unsigned)((ms + 999) / 1000);
		if (*retry_s == 0)
			*retry_s = 1;
	}
	return 0;
}
