/*
 * sandbox.h - the service side of confinement (STYLE.md 3.5).
 *
 * The launcher forks, unshares the profile's namespaces, sets rlimits,
 * closes every other fd, installs a coarse deny-list and execs the service
 * with this fixed descriptor layout:
 *
 *   0        /dev/null
 *   1, 2     pipe to the launcher (logs/<service>.log)
 *   3        SOCK_SEQPACKET channel to the broker (the broker: to the launcher)
 *   4        sealed memfd: start-up document (JSON, below)
 *   5        sealed memfd: the service's seccomp program (BPF)
 *   6        listening socket, if the profile has "listen"
 *
 * The service then calls sandbox_start() (read the document), does what
 * needs privilege, sandbox_jail() (chroot, ids, capabilities,
 * no_new_privs), its own initialisation, and sandbox_seal() (seccomp, last).
 * Any failure is fatal.  Services name their files relative to the current
 * directory, which is the jail's root (or, not run by root, the jail
 * directory itself).
 *
 * A profile with "landlock" (the scheduler, which execs Python) is not
 * chrooted: sandbox_jail() changes into the jail directory and, after
 * no_new_privs, restricts the process with Landlock to the jail (every
 * right) and the profile's paths (read and execute only).  A kernel
 * without Landlock makes that fatal.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stdint.h>
#include <sys/types.h>
#include <yajl_tree.h>

#include "util.h"

#define FD_BROKER	3
#define FD_START	4
#define FD_SECCOMP	5
#define FD_LISTEN	6
#define FD_FIRST_FREE	7

#define START_MAX	(64 * 1024)
#define SANDBOX_MAX_RO	16
#define SANDBOX_RO_LEN	128
#define SANDBOX_LL_MAX_PORTS	16

struct sandbox {
	char		 service[32];
	int		 privileged;	/* launcher ran as root */
	uid_t		 uid;
	gid_t		 gid;
	char		 chroot[4096];
	uint64_t	 caps;
	int		 debug;
	pid_t		 launcher;	/* our parent */
	int		 landlock;	/* no chroot: Landlock instead */
	size_t		 nro;
	char		 ro[SANDBOX_MAX_RO][SANDBOX_RO_LEN];
	/* "landlock_net": TCP ports the service (and its children) may
	 * connect to, and whether they may bind an ephemeral port. */
	size_t		 nconnect;
	uint16_t	 connect[SANDBOX_LL_MAX_PORTS];
	int		 bind_ephemeral;
	yajl_val	 doc;		/* whole start-up document */
	yajl_val	 config;	/* its "config" object (borrowed) */
};

/* Read and check the start-up document; also sets up logging. */
void	sandbox_start(struct sandbox *, const char *expect_service);
/* chroot, setgroups/setresgid/setresuid, capabilities, no_new_privs. */
void	sandbox_jail(struct sandbox *);
/* Install the seccomp program from FD_SECCOMP on every thread. */
void	sandbox_seal(struct sandbox *);
/*
 * Landlock rights for sandbox_landlock(): read and execute (the profile's
 * paths), and everything (the scheduler's jail).
 */
#define SANDBOX_LL_RO		1
#define SANDBOX_LL_ALL		2
#define SANDBOX_LL_FILES	3	/* read, write, create, remove regular
					 * files; no directories, links,
					 * devices, sockets or fifos; no exec */
#define SANDBOX_LL_TREE		4	/* a work tree: files, directories,
					 * exec; no devices, fifos, sockets,
					 * symlinks */
#define SANDBOX_LL_RW_FILE	5	/* one file: read and write */
#define SANDBOX_LL_MAX_RW	4
/* A Landlock layer as data (sandbox_landlock_ex()). */
struct sandbox_ll {
	const char	(*ro)[SANDBOX_RO_LEN];	/* read and execute */
	size_t		  nro;
	const char	 *rw[SANDBOX_LL_MAX_RW];
	int		  rw_mode[SANDBOX_LL_MAX_RW];
	size_t		  nrw;
	const uint16_t	 *connect;	/* TCP ports that may be connected */
	size_t		  nconnect;
	int		  bind_ephemeral; /* bind TCP port 0 (Pyro daemons) */
};
/*
 * Restrict the calling process (and its future children) with a new
 * Landlock layer as l says: read-only paths (missing ones skipped), up to
 * SANDBOX_LL_MAX_RW paths with their modes, TCP connect only to the ports
 * listed and bind only to an ephemeral port when asked (ABI 4; -1 when
 * ports are asked for and the kernel cannot), abstract Unix sockets and
 * signals scoped (ABI 6).  0, or -1 with err.
 */
int	sandbox_landlock_ex(const struct sandbox_ll *l, char *err,
	    size_t errlen) WUR;
/*
 * Restrict the calling process (and its future children) with a new
 * Landlock layer: paths ro[0..nro) read-only (missing ones are skipped),
 * rw with the rights rw_mode (or no rw when NULL), nothing else; TCP bind
 * and connect denied where the kernel handles them (ABI 4), abstract Unix
 * sockets and signals scoped to the layer (ABI 6).  Needs no_new_privs.
 * 0, or -1 with err (no Landlock in the kernel, a bad path).  Used by
 * sandbox_jail() and by the scheduler for each inspection child.
 */
int	sandbox_landlock(const char (*ro)[SANDBOX_RO_LEN], size_t nro,
	    const char *rw, int rw_mode, char *err, size_t errlen) WUR;
/* The highest Landlock ABI of the kernel, or 0 if it has none. */
int	sandbox_landlock_abi(void);
/* Release the start-up document. */
void	sandbox_free(struct sandbox *);

#endif /* SANDBOX_H */
