/*
 * scpolicy.h - seccomp allowlists as data: policy/<service>.seccomp.
 *
 * minijail-style syntax, one syscall per line, each line ending with a
 * comment that names who needs it:
 *
 *   read: 1                           # allow
 *   mmap: arg2 in ~PROT_EXEC          # allow when the condition holds
 *   fcntl: arg1 == F_GETFL || arg1 == F_SETFL
 *   socket: return EPERM              # fail with an errno, do not kill
 *   ptrace: kill                      # (deny lists) kill the process
 *   clone: kill when arg0 & 0x10000000  # (deny lists) kill when it holds
 *   @include groups/basic-io.seccomp
 *   @default allow                    # (deny lists) default action
 *
 * Conditions: argN OP VALUE joined by "&&"; alternatives by "||".  OP is
 * == != < <= > >=, "&" (all bits of VALUE set) or "in" (no bits outside
 * VALUE).  VALUE is a number or constant names joined by '|', optionally
 * prefixed by '~'.  The default action is to kill the process; a foreign
 * architecture is killed too.
 */
#ifndef SCPOLICY_H
#define SCPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SC_MAX_FILE	(64 * 1024)
#define SC_MAX_RULES	1024
#define SC_MAX_CONDS	6
#define SC_MAX_INCLUDE	4

enum sc_action { SC_KILL, SC_ALLOW, SC_ERRNO };
enum sc_op { SC_EQ, SC_NE, SC_LT, SC_LE, SC_GT, SC_GE, SC_MASKED_EQ };

struct sc_cond {
	unsigned	arg;
	enum sc_op	op;
	uint64_t	value;
	uint64_t	mask;		/* SC_MASKED_EQ */
};

struct sc_rule {
	int		 nr;		/* syscall number (native arch) */
	char		 name[32];
	enum sc_action	 action;
	int		 err;		/* SC_ERRNO */
	size_t		 ncond;
	struct sc_cond	 cond[SC_MAX_CONDS];
};

struct sc_policy {
	enum sc_action	 defact;
	int		 deferr;
	size_t		 nrules;
	struct sc_rule	 rules[SC_MAX_RULES];
};

/*
 * Loads an @include target (a name relative to the policy directory).
 * Returns 0 with a heap buffer in *text (caller frees), or -1.
 */
typedef int (*sc_include_fn)(void *arg, const char *name, char **text,
    size_t *len);

int	 sc_parse(struct sc_policy *, const char *text, size_t len,
	    const char *fname, sc_include_fn, void *arg, char *err,
	    size_t errlen) WUR;

/* Compile to a BPF program written to fd (raw struct sock_filter array).
 * Launcher only (links libseccomp).  0 or -1 with err. */
int	 sc_compile(const struct sc_policy *, int fd, char *err,
	    size_t errlen) WUR;
/* Same, but as readable PFC text (for `make policy-check`). */
int	 sc_export_pfc(const struct sc_policy *, int fd, char *err,
	    size_t errlen) WUR;

#endif /* SCPOLICY_H */
