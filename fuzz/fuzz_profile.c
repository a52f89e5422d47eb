/*
 * fuzz_profile.c - fuzzes profile_parse() (lib/parse_profile.c), the
 * parser of policy/<service>.profile (user, chroot, namespaces,
 * capabilities, rlimits, listening socket, seccomp file).
 *
 * The input is the whole file.  Errors must leave a NUL-terminated
 * message; an accepted profile must have its required names set and
 * NUL-terminated.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile	 pr;
	char		 err[256], ns[64];
	int		 rc;

	if (size > 64 * 1024)
		return 0;
	memset(err, 'x', sizeof(err));
	rc = profile_parse(&pr, (const char *)data, size, "fuzz", err,
	    sizeof(err));
	if (rc != 0) {
		if (rc != -1 || memchr(err, '\0', sizeof(err)) == NULL ||
		    err[0] == '\0')
			abort();
		return 0;
	}
	if (pr.user[0] == '\0' || pr.chroot[0] == '\0' ||
	    pr.seccomp[0] == '\0' ||
	    strnlen(pr.user, sizeof(pr.user)) == sizeof(pr.user) ||
	    strnlen(pr.chroot, sizeof(pr.chroot)) == sizeof(pr.chroot) ||
	    strnlen(pr.listen, sizeof(pr.listen)) == sizeof(pr.listen) ||
	    strnlen(pr.seccomp, sizeof(pr.seccomp)) == sizeof(pr.seccomp))
		abort();
	/* A name the launcher joins to a directory must not climb out. */
	if (pr.chroot[0] == '.' || pr.seccomp[0] == '.' ||
	    strchr(pr.chroot, '/') != NULL || strchr(pr.seccomp, '/') != NULL)
		abort();
	profile_ns_str(pr.namespaces, ns, sizeof(ns));
	if (ns[0] == '\0')
		abort();
	return 0;
}
