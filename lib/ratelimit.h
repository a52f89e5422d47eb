/*
 * ratelimit.h - the safe API's per-client request limit: a token bucket
 * per client address in a fixed-size table, and the strict parser of the
 * X-Forwarded-For header that names the client when the request came
 * through the configured reverse proxy (services/safeapi/safeapi.c).
 *
 * Trust: the header text comes straight from HTTP clients (through the
 * proxy, which appends the address it saw as the last hop; every earlier
 * hop is the client's own text).  Only the last hop is read, and only when
 * it is a plain numeric IPv4 or IPv6 address.  Fuzzed by fuzz/fuzz_xff.c,
 * unit-tested by tests/unit/test_ratelimit.c.
 *
 * Memory: the table is allocated once (rl_init) and never grows; when it
 * is full a new address takes the slot of an idle one, so any number of
 * addresses costs the same memory.  An evicted address starts again with
 * a full bucket: an attacker holding many addresses already has as many
 * buckets, so eviction gives nothing away that the addresses did not.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* An address as 16 bytes: IPv4 as an IPv4-mapped IPv6 address, so one
 * key type serves both families (and an IPv4 peer on a dual-stack socket
 * is the same client as on an IPv4 socket). */
struct rl_addr {
	uint8_t		a[16];
};

#define XFF_MAX_LEN	1024	/* longer X-Forwarded-For: refused */
#define RL_ADDR_TEXT	46	/* INET6_ADDRSTRLEN */

struct rl_slot {
	struct rl_addr	addr;
	int64_t		last;		/* monotonic ms of the last refill */
	uint64_t	tokens;		/* milli-tokens */
	uint8_t		used;
};

struct ratelimit {
	uint64_t	 rate;		/* tokens per second; 0: off */
	uint64_t	 burst;		/* bucket size, tokens */
	size_t		 nslots;	/* a power of two */
	struct rl_slot	*slot;
	uint64_t	 evictions;	/* for logs and tests */
	uint64_t	 seed;		/* of the slot hash, random */
};

#define RL_PROBE	16	/* slots looked at per address */

/*
 * Parse one numeric address (dotted-quad IPv4 or IPv6, no port, no
 * brackets, no zone, no blanks) of exactly len bytes.  0, or -1.
 */
int	 rl_addr_parse(const char *, size_t len, struct rl_addr *) WUR;
/* From a socket address (AF_INET or AF_INET6).  0, or -1. */
int	 rl_addr_from_sockaddr(const void *sa, size_t salen,
	    struct rl_addr *) WUR;
/* Text form ("192.0.2.1", "2001:db8::1") into out (RL_ADDR_TEXT). */
void	 rl_addr_format(const struct rl_addr *, char *out, size_t outlen);
int	 rl_addr_eq(const struct rl_addr *, const struct rl_addr *);

/*
 * The last hop of an X-Forwarded-For value of len bytes: the text after
 * the last comma, blanks (space, tab) trimmed, which must be one numeric
 * address.  Earlier hops are not read (the client wrote them).  Refused
 * (-1): an empty value or last hop, a value over XFF_MAX_LEN, a control
 * character or NUL anywhere, a last hop that is not an address.
 */
int	 xff_last_hop(const char *, size_t len, struct rl_addr *) WUR;

/*
 * rate requests per second with bursts of burst (rate 0: everything
 * allowed, no table); slots is rounded up to a power of two (at least
 * RL_PROBE).  Draws the random hash seed (libsodium initialised), so
 * call it before a seccomp filter that forbids getrandom.  0, or -1 (out
 * of memory).
 */
int	 rl_init(struct ratelimit *, uint64_t rate, uint64_t burst,
	    size_t slots) WUR;
void	 rl_free(struct ratelimit *);
/*
 * Take one token for addr at monotonic time now (ms).  1: allowed;
 * 0: refused, *retry_s (if not NULL) the whole seconds until a token is
 * back (at least 1).  IPv6 addresses are limited per /64 (what one
 * customer usually holds); IPv4 per address.
 */
int	 rl_take(struct ratelimit *, const struct rl_addr *, int64_t now,
	    unsigned *retry_s);

#endif /* RATELIMIT_H */
