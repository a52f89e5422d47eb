/*
 * fuzz_xff.c - fuzzes xff_last_hop() and rl_addr_parse() (lib/ratelimit.c),
 * which read the X-Forwarded-For header of requests to the safe API.
 *
 * Consistency checks: an accepted last hop, formatted and parsed again,
 * gives the same address; the address is the one parse of the trimmed
 * text after the last comma; the bucket table takes the address without
 * touching memory outside itself.  No I/O, no state between runs apart
 * from the table (whose behaviour does not depend on its history for
 * memory safety).
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ratelimit rl;
static int64_t now;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rl_addr	a, b;
	char		txt[RL_ADDR_TEXT];
	unsigned	retry = 0;

	if (rl.slot == NULL && (sodium_init() < 0 ||
	    rl_init(&rl, 5, 3, 32) == -1))
		abort();
	memset(&a, 0, sizeof(a));
	if (xff_last_hop((const char *)data, size, &a) == 0) {
		rl_addr_format(&a, txt, sizeof(txt));
		if (txt[0] == '\0' || rl_addr_parse(txt, strlen(txt), &b) != 0 ||
		    !rl_addr_eq(&a, &b))
			abort();
		if (rl_take(&rl, &a, now, &retry) == 0 && retry == 0)
			abort();
		now += data[0] & 0x3f;
	}
	if (rl_addr_parse((const char *)data, size, &b) == 0 &&
	    memchr(data, ',', size) != NULL)
		abort();	/* one address holds no comma */
	return 0;
}
