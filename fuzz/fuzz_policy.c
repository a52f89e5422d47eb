/*
 * fuzz_policy.c - fuzzes policy_parse() (lib/parse_policy.c), the parser
 * of policy/broker.policy, which decides which service may call which
 * operation.  The launcher and the broker both parse the same bytes.
 *
 * The input is the whole file.  Errors must leave a NUL-terminated
 * message; a parsed policy must never allow a control message, the broker
 * as a caller, or an operation of a callee other than its own.  No I/O, no
 * global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy	 pol;
	char		 err[256];
	unsigned	 c, t;
	int		 rc;

	if (size > 64 * 1024)
		return 0;
	memset(err, 'x', sizeof(err));
	rc = policy_parse(&pol, (const char *)data, size, "fuzz", err,
	    sizeof(err));
	if (rc != 0) {
		if (rc != -1 || memchr(err, '\0', sizeof(err)) == NULL ||
		    err[0] == '\0')
			abort();
		return 0;
	}
	for (c = 0; c < SVC_COUNT; c++)
		for (t = 0; t < MSG_TYPE_COUNT; t++) {
			int bits = pol.rule[c][t];

			if (bits == 0)
				continue;
			if ((bits & ~(POLICY_ALLOW | POLICY_FD)) != 0 ||
			    !(bits & POLICY_ALLOW) || c == SVC_BROKER ||
			    t <= MSG_OP_FIRST)
				abort();
			if (policy_check(&pol, c, t) != bits)
				abort();
		}
	/* Out-of-range lookups are denied, never read out of bounds. */
	if (policy_check(&pol, SVC_COUNT, MSG_DB_PING) != 0 ||
	    policy_check(&pol, SVC_SAFEAPI, MSG_TYPE_COUNT) != 0 ||
	    policy_check(&pol, SVC_SAFEAPI, MSG_READY) != 0)
		abort();
	return 0;
}
