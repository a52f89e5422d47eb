/*
 * profile.h - policy/<service>.profile: how one service is confined.
 *
 *   user        mupif-db          # unprivileged account to run as
 *   chroot      db                # jail: a persistent/ subdirectory, or "empty"
 *   namespaces  net ipc uts       # unshared before exec (net: no network)
 *   caps        none              # or capability names, e.g. net_admin
 *   rlimit      nofile 64         # nofile nproc core fsize as data stack memlock
 *   listen      safeapi           # which listening socket it receives
 *   seccomp     db.seccomp        # its allowlist, in policy/
 *   landlock    /usr /lib         # instead of chroot: chdir into the jail
 *                                 # and restrict the filesystem with
 *                                 # Landlock to the jail (read-write) and
 *                                 # these paths (read and execute only)
 *
 * Parsed by the launcher only; the resulting numbers reach the service in
 * its start-up document.
 */
#ifndef PROFILE_H
#define PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "util.h"

#define PROFILE_MAX_FILE	(16 * 1024)
#define PROFILE_NLIMITS		16
#define PROFILE_MAX_LANDLOCK	16	/* read-only paths */
#define PROFILE_LANDLOCK_PATH	128

struct profile {
	char		user[33];
	char		chroot[64];
	int		namespaces;	/* CLONE_NEW* */
	uint64_t	caps;		/* bit n = capability n */
	struct {
		int		set;
		uint64_t	value;	/* RLIM_INFINITY for unlimited */
	} rlim[PROFILE_NLIMITS];
	char		listen[16];
	char		seccomp[64];
	int		landlock;	/* Landlock instead of chroot */
	size_t		nlandlock;
	char		landlock_ro[PROFILE_MAX_LANDLOCK][PROFILE_LANDLOCK_PATH];
};

int	profile_parse(struct profile *, const char *text, size_t len,
	    const char *fname, char *err, size_t errlen) WUR;
/* Human-readable list of the namespace flags ("net ipc"); buf >= 64. */
void	profile_ns_str(int ns, char *buf, size_t len);

#endif /* PROFILE_H */
