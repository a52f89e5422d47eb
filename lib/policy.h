/*
 * policy.h - policy/broker.policy: which service may call which operation.
 *
 * One rule per line:   caller -> callee: op, op, prefix.*, op(fd)
 * '#' starts a comment.  Default deny.  An operation must be served by the
 * named callee (msg_types.h); a glob must match at least one operation;
 * "(fd)" allows a descriptor to travel with that request.  Any error stops
 * the launcher with the line number.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "msg_types.h"
#include "util.h"

#define POLICY_ALLOW	0x1
#define POLICY_FD	0x2
#define POLICY_MAX_FILE	(64 * 1024)

struct policy {
	uint8_t	rule[SVC_COUNT][MSG_TYPE_COUNT];	/* POLICY_* bits */
	size_t	nrules;					/* lines parsed */
};

int	policy_parse(struct policy *, const char *text, size_t len,
	    const char *fname, char *err, size_t errlen) WUR;
/* POLICY_* bits for caller calling type (0 = denied). */
int	policy_check(const struct policy *, unsigned caller, unsigned type);

#endif /* POLICY_H */
