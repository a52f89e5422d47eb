/*
 * fuzz_seccomp.c - fuzzes sc_parse() (lib/parse_seccomp.c), the parser of
 * the minijail-style seccomp allowlists policy/<name>.seccomp, including
 * its @include handling.
 *
 * The input is the top-level file.  The include callback serves a short
 * fixed stand-in for "groups/base.seccomp" (the group every real policy
 * includes) from memory and fails for any other name, so the included
 * and the unreadable paths are both reached without the file system.  An
 * accepted policy must stay within the limits scpolicy.h promises.  No
 * I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scpolicy.h"
#include "banned.h"

#define FUZZ_INC_NAME	"groups/base.seccomp"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_include(void *arg, const char *name, char **text, size_t *len)
{
	static const char group[] =
	    "# base.seccomp - shared group served by the fuzzer\n"
	    "read: 1                 # broker channel: all\n"
	    "write: 1                # log lines: all\n"
	    "close: 1\n"
	    "fcntl: arg1 == F_GETFL || arg1 == F_SETFL\n"
	    "mmap: arg2 in ~PROT_EXEC && arg3 & MAP_PRIVATE\n"
	    "mprotect: arg2 in ~PROT_EXEC\n"
	    "socket: return EAFNOSUPPORT\n"
	    "exit_group: 1\n";

	(void)arg;
	if (strcmp(name, FUZZ_INC_NAME) != 0)
		return -1;
	if ((*text = malloc(sizeof(group) - 1)) == NULL)
		return -1;
	memcpy(*text, group, sizeof(group) - 1);
	*len = sizeof(group) - 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* About 200 KB: on the stack, because a heap block this size is a
	 * fresh mmap per run under ASan and costs most of the time. */
	struct sc_policy	 polbuf, *pol = &polbuf;
	char			 err[256];
	size_t			 i, j;
	int			 rc;

	if (size > 64 * 1024)
		return 0;
	memset(err, 'x', sizeof(err));
	rc = sc_parse(pol, (const char *)data, size, "fuzz", fuzz_include,
	    NULL, err, sizeof(err));
	if (rc != 0) {
		if (rc != -1 || memchr(err, '\0', sizeof(err)) == NULL ||
		    err[0] == '\0')
			abort();
		return 0;
	}
	if (pol->nrules > SC_MAX_RULES ||
	    (pol->defact != SC_KILL && pol->defact != SC_ALLOW &&
	    pol->defact != SC_ERRNO) ||
	    (pol->defact == SC_ERRNO && (pol->deferr < 1 ||
	    pol->deferr > 4095)))
		abort();
	for (i = 0; i < pol->nrules; i++) {
		const struct sc_rule *r = &pol->rules[i];

		if (r->nr < 0 || r->name[0] == '\0' ||
		    strnlen(r->name, sizeof(r->name)) == sizeof(r->name) ||
		    r->ncond > SC_MAX_CONDS)
			abort();
		if (r->action == SC_ERRNO) {
			if (r->err < 1 || r->err > 4095 || r->ncond != 0)
				abort();
		} else if (r->action != SC_ALLOW && r->action != SC_KILL)
			abort();
		for (j = 0; j < r->ncond; j++) {
			const struct sc_cond *cd = &r->cond[j];

			if (cd->arg > 5 || cd->op > SC_MASKED_EQ)
				abort();
			for (size_t k = 0; k < j; k++)
				if (r->cond[k].arg == cd->arg)
					abort();
		}
	}
	return 0;
}
