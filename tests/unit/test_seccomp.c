/*
 * test_seccomp.c - unit tests for lib/parse_seccomp.c and
 * lib/seccomp_compile.c: sc_parse of allow, return, kill and conditional
 * rules ("&&" within a rule, "||" making several rules, the comparison
 * operators, "&", "in ~X", constants joined by '|'), @default, @include
 * through a callback (and its errors: "..", absolute names, nesting deeper
 * than SC_MAX_INCLUDE, missing files, errors inside an included file), and
 * errors for unknown syscalls, constants and errnos; then sc_compile into a
 * memfd (a BPF program holding our actions) and sc_export_pfc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "scpolicy.h"

#define FNAME	"svc.seccomp"

/* In-memory policy directory for the @include callback. */
struct incdir {
	/* name, text, name, text, ..., NULL */
	const char	*const *files;
	int		 calls;
};

static int
inc_cb(void *arg, const char *name, char **text, size_t *len)
{
	struct incdir	*d = arg;
	size_t		 i;

	d->calls++;
	for (i = 0; d->files[i] != NULL; i += 2)
		if (strcmp(d->files[i], name) == 0) {
			if ((*text = strdup(d->files[i + 1])) == NULL)
				return -1;
			*len = strlen(*text);
			return 0;
		}
	return -1;
}

static int
pol_setup(void **state)
{
	*state = calloc(1, sizeof(struct sc_policy));
	return *state == NULL ? -1 : 0;
}

static int
pol_teardown(void **state)
{
	free(*state);
	return 0;
}

static int
parse(struct sc_policy *pol, const char *text, struct incdir *d, char *err,
    size_t errlen)
{
	return sc_parse(pol, text, strlen(text), FNAME, d ? inc_cb : NULL, d,
	    err, errlen);
}

static void
test_actions(void **state)
{
	static const char text[] =
	    "# svc: test policy\n"
	    "read: 1                  # everyone\n"
	    "  write:1\n"
	    "socket: return EPERM     # libc probes\n"
	    "open: return 13\n"
	    "ptrace: kill\n"
	    "\n"
	    "close\t:\t1\r\n";
	struct sc_policy	*pol = *state;
	char			 err[256] = "";

	assert_int_equal(parse(pol, text, NULL, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(pol->defact, SC_KILL);
	assert_int_equal(pol->nrules, 6);

	assert_int_equal(pol->rules[0].nr, __NR_read);
	assert_string_equal(pol->rules[0].name, "read");
	assert_int_equal(pol->rules[0].action, SC_ALLOW);
	assert_int_equal(pol->rules[0].ncond, 0);
	assert_int_equal(pol->rules[1].nr, __NR_write);
	assert_int_equal(pol->rules[1].action, SC_ALLOW);
	assert_int_equal(pol->rules[2].nr, __NR_socket);
	assert_int_equal(pol->rules[2].action, SC_ERRNO);
	assert_int_equal(pol->rules[2].err, EPERM);
	assert_int_equal(pol->rules[3].nr, __NR_open);
	assert_int_equal(pol->rules[3].action, SC_ERRNO);
	assert_int_equal(pol->rules[3].err, 13);
	assert_int_equal(pol->rules[4].nr, __NR_ptrace);
	assert_int_equal(pol->rules[4].action, SC_KILL);
	assert_int_equal(pol->rules[5].nr, __NR_close);
	assert_string_equal(pol->rules[5].name, "close");
}

static void
test_conditions_and(void **state)
{
	static const char text[] =
	    "mmap: arg2 in ~PROT_EXEC && arg3 & MAP_PRIVATE|MAP_ANONYMOUS\n"
	    "read: arg0 < 3 && arg1 <= 4 && arg2 > 5 && arg3 >= 6 && "
	    "arg4 != 7 && arg5 == 0x10\n"
	    "mprotect: arg2 == PROT_READ|PROT_WRITE\n"
	    "openat: arg2 in O_RDONLY | O_CLOEXEC | O_NOFOLLOW\n"
	    "write: arg0 == 010 && arg1 == ~0\n";
	struct sc_policy	*pol = *state;
	const struct sc_rule	*r;
	char			 err[256];

	assert_int_equal(parse(pol, text, NULL, err, sizeof(err)), 0);
	assert_int_equal(pol->nrules, 5);

	/* "in ~PROT_EXEC": no bits outside ~PROT_EXEC, i.e. PROT_EXEC clear. */
	r = &pol->rules[0];
	assert_int_equal(r->nr, __NR_mmap);
	assert_int_equal(r->action, SC_ALLOW);
	assert_int_equal(r->ncond, 2);
	assert_int_equal(r->cond[0].arg, 2);
	assert_int_equal(r->cond[0].op, SC_MASKED_EQ);
	assert_true(r->cond[0].mask == PROT_EXEC);
	assert_true(r->cond[0].value == 0);
	/* "&": all of the bits set. */
	assert_int_equal(r->cond[1].arg, 3);
	assert_int_equal(r->cond[1].op, SC_MASKED_EQ);
	assert_true(r->cond[1].mask == (MAP_PRIVATE | MAP_ANONYMOUS));
	assert_true(r->cond[1].value == (MAP_PRIVATE | MAP_ANONYMOUS));

	r = &pol->rules[1];
	assert_int_equal(r->ncond, 6);
	assert_int_equal(r->cond[0].op, SC_LT);
	assert_true(r->cond[0].value == 3);
	assert_int_equal(r->cond[1].op, SC_LE);
	assert_true(r->cond[1].value == 4);
	assert_int_equal(r->cond[2].op, SC_GT);
	assert_true(r->cond[2].value == 5);
	assert_int_equal(r->cond[3].op, SC_GE);
	assert_true(r->cond[3].value == 6);
	assert_int_equal(r->cond[4].op, SC_NE);
	assert_true(r->cond[4].value == 7);
	assert_int_equal(r->cond[5].op, SC_EQ);
	assert_int_equal(r->cond[5].arg, 5);
	assert_true(r->cond[5].value == 16);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(r->cond[i].arg, i);
		assert_true(r->cond[i].mask == 0);
	}

	r = &pol->rules[2];
	assert_int_equal(r->ncond, 1);
	assert_int_equal(r->cond[0].op, SC_EQ);
	assert_true(r->cond[0].value == (PROT_READ | PROT_WRITE));

	/* "in A|B|C": mask is everything else, value 0. */
	r = &pol->rules[3];
	assert_int_equal(r->cond[0].op, SC_MASKED_EQ);
	assert_true(r->cond[0].mask ==
	    ~(uint64_t)(O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
	assert_true(r->cond[0].value == 0);

	/* Octal (strtoull base 0) and '~' on a number. */
	r = &pol->rules[4];
	assert_true(r->cond[0].value == 8);
	assert_true(r->cond[1].value == UINT64_MAX);
}

static void
test_conditions_or(void **state)
{
	static const char text[] =
	    "fcntl: arg1 == F_GETFL || arg1 == F_SETFL||arg1 == F_GETFD && "
	    "arg2 != 0\n"
	    "read: 1\n";
	struct sc_policy	*pol = *state;
	char			 err[256];

	assert_int_equal(parse(pol, text, NULL, err, sizeof(err)), 0);
	assert_int_equal(pol->nrules, 4);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(pol->rules[i].nr, __NR_fcntl);
		assert_string_equal(pol->rules[i].name, "fcntl");
		assert_int_equal(pol->rules[i].action, SC_ALLOW);
		assert_int_equal(pol->rules[i].cond[0].arg, 1);
		assert_int_equal(pol->rules[i].cond[0].op, SC_EQ);
	}
	assert_int_equal(pol->rules[0].ncond, 1);
	assert_true(pol->rules[0].cond[0].value == F_GETFL);
	assert_int_equal(pol->rules[1].ncond, 1);
	assert_true(pol->rules[1].cond[0].value == F_SETFL);
	assert_int_equal(pol->rules[2].ncond, 2);
	assert_true(pol->rules[2].cond[0].value == F_GETFD);
	assert_int_equal(pol->rules[2].cond[1].arg, 2);
	assert_int_equal(pol->rules[2].cond[1].op, SC_NE);
	assert_int_equal(pol->rules[3].nr, __NR_read);
}

static void
test_default(void **state)
{
	struct sc_policy	*pol = *state;
	char			 err[256];

	assert_int_equal(parse(pol, "@default allow\nptrace: kill\n", NULL,
	    err, sizeof(err)), 0);
	assert_int_equal(pol->defact, SC_ALLOW);
	assert_int_equal(pol->nrules, 1);
	assert_int_equal(parse(pol, "@default return EACCES\n", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(pol->defact, SC_ERRNO);
	assert_int_equal(pol->deferr, EACCES);
	assert_int_equal(parse(pol, "@default allow\n@default kill\n", NULL,
	    err, sizeof(err)), 0);
	assert_int_equal(pol->defact, SC_KILL);
	/* Each parse starts from kill. */
	assert_int_equal(parse(pol, "read: 1\n", NULL, err, sizeof(err)), 0);
	assert_int_equal(pol->defact, SC_KILL);

	assert_int_equal(parse(pol, "@default deny\n", NULL, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ":1: bad @default");
	assert_int_equal(parse(pol, "@default allowx\n", NULL, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ":1: bad @default");
	assert_int_equal(parse(pol, "\n@default return EBOGUS\n", NULL, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ":2: bad errno \"EBOGUS\"");
}

static void
test_include(void **state)
{
	static const char *const files[] = {
		"groups/basic-io.seccomp",
		    "# shared\nwrite: 1\nclose: 1 # everyone\n",
		"groups/mem.seccomp",
		    "@include groups/basic-io.seccomp\nmunmap: 1\n",
		NULL,
	};
	static const char text[] =
	    "read: 1\n"
	    "@include groups/mem.seccomp   # memory\n"
	    "exit_group: 1\n";
	struct sc_policy	*pol = *state;
	struct incdir		 d = { files, 0 };
	char			 err[256];

	assert_int_equal(parse(pol, text, &d, err, sizeof(err)), 0);
	assert_int_equal(d.calls, 2);
	assert_int_equal(pol->nrules, 5);
	assert_int_equal(pol->rules[0].nr, __NR_read);
	assert_int_equal(pol->rules[1].nr, __NR_write);
	assert_int_equal(pol->rules[2].nr, __NR_close);
	assert_int_equal(pol->rules[3].nr, __NR_munmap);
	assert_int_equal(pol->rules[4].nr, __NR_exit_group);

	/* After an include, errors name the top file and its own line. */
	assert_int_equal(parse(pol, "@include groups/mem.seccomp\n"
	    "read: 1\nbogus_call: 1\n", &d, err, sizeof(err)), -1);
	assert_string_equal(err, FNAME ":3: unknown syscall \"bogus_call\"");
}

static void
test_include_errors(void **state)
{
	static const char *const files[] = {
		"bad.seccomp", "read: 1\n\nnosuchcall: 1\n",
		"def.seccomp", "@default allow\n",
		"loop.seccomp", "@include loop.seccomp\n",
		"d1", "@include d2\n", "d2", "@include d3\n",
		"d3", "@include d4\n", "d4", "read: 1\n",
		"e1", "@include e2\n", "e2", "@include e3\n",
		"e3", "@include e4\n", "e4", "@include e5\n", "e5", "read: 1\n",
		NULL,
	};
	struct sc_policy	*pol = *state;
	struct incdir		 d = { files, 0 };
	char			 err[256];

	/* Leaving the policy directory. */
	assert_int_equal(parse(pol, "read: 1\n@include ../etc/passwd\n", &d,
	    err, sizeof(err)), -1);
	assert_string_equal(err,
	    FNAME ":2: @include must stay in the policy directory");
	assert_int_equal(parse(pol, "@include groups/../../x\n", &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    FNAME ":1: @include must stay in the policy directory");
	assert_int_equal(parse(pol, "@include /etc/passwd\n", &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    FNAME ":1: @include must stay in the policy directory");
	assert_int_equal(parse(pol, "@include a b\n", &d, err, sizeof(err)),
	    -1);
	assert_string_equal(err, FNAME ":1: bad @include name");
	assert_int_equal(d.calls, 0);

	/* Missing file, and no callback at all. */
	assert_int_equal(parse(pol, "\n@include groups/none.seccomp\n", &d,
	    err, sizeof(err)), -1);
	assert_string_equal(err,
	    FNAME ":2: cannot read @include groups/none.seccomp");
	assert_int_equal(parse(pol, "@include d4\n", NULL, err, sizeof(err)),
	    -1);
	assert_string_equal(err, FNAME ":1: cannot read @include d4");

	/* Errors inside an included file name that file and its line. */
	assert_int_equal(parse(pol, "@include bad.seccomp\n", &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "bad.seccomp:3: unknown syscall \"nosuchcall\"");
	assert_int_equal(parse(pol, "@include def.seccomp\n", &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "def.seccomp:1: @default only in the top file");

	/* SC_MAX_INCLUDE nested levels are fine, one more is not. */
	d.calls = 0;
	assert_int_equal(parse(pol, "@include d1\n", &d, err, sizeof(err)), 0);
	assert_int_equal(d.calls, SC_MAX_INCLUDE);
	assert_int_equal(pol->nrules, 1);
	d.calls = 0;
	assert_int_equal(parse(pol, "@include e1\n", &d, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "e4:1: @include nested too deep");
	assert_int_equal(d.calls, SC_MAX_INCLUDE);
	/* A file that includes itself stops at the same depth. */
	d.calls = 0;
	assert_int_equal(parse(pol, "@include loop.seccomp\n", &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "loop.seccomp:1: @include nested too deep");
	assert_int_equal(d.calls, SC_MAX_INCLUDE);
}

static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	{ "read: 1\nnosuchcall: 1\n",
	  FNAME ":2: unknown syscall \"nosuchcall\"" },
	{ "READ: 1\n", FNAME ":1: unknown syscall \"READ\"" },
	{ ": 1\n", FNAME ":1: expected a syscall name" },
	{ "a23456789012345678901234567890123: 1\n",
	  FNAME ":1: expected a syscall name" },
	{ "read 1\n", FNAME ":1: expected ':' after \"read\"" },
	{ "read\n", FNAME ":1: expected ':' after \"read\"" },
	{ "mmap: arg2 == PROT_BOGUS\n",
	  FNAME ":1: unknown constant \"PROT_BOGUS\"" },
	{ "mmap: arg2 in ~PROT_READ|PROT_EXECUTE\n",
	  FNAME ":1: unknown constant \"PROT_EXECUTE\"" },
	{ "socket: return EWHATEVER\n", FNAME ":1: bad errno \"EWHATEVER\"" },
	{ "socket: return 0\n", FNAME ":1: bad errno \"0\"" },
	{ "socket: return 4096\n", FNAME ":1: bad errno \"4096\"" },
	{ "socket: return -1\n", FNAME ":1: bad errno \"-1\"" },
	{ "socket: return E PERM\n", FNAME ":1: bad errno \"E PERM\"" },
	{ "read: 2\n", FNAME ":1: expected argN (N = 0..5)" },
	{ "read:\n", FNAME ":1: expected argN (N = 0..5)" },
	{ "read: arg6 == 1\n", FNAME ":1: expected argN (N = 0..5)" },
	{ "read: arg0 = 1\n", FNAME ":1: expected an operator" },
	{ "read: arg0 1\n", FNAME ":1: expected an operator" },
	{ "read: arg0 ==\n", FNAME ":1: expected a value" },
	{ "read: arg0 == 0x\n", FNAME ":1: bad number \"0x\"" },
	{ "read: arg0 == 08\n", FNAME ":1: bad number \"08\"" },
	{ "read: arg0 == 99999999999999999999\n",
	  FNAME ":1: bad number \"99999999999999999999\"" },
	{ "read: arg0 == 1 && arg0 == 2\n",
	  FNAME ":1: arg0 tested twice in one clause" },
	{ "read: arg0 == 1 arg1 == 2\n",
	  FNAME ":1: unexpected \"arg1 == 2\"" },
	{ "read: arg0 == 1 ||\n", FNAME ":1: expected argN (N = 0..5)" },
	{ "read: arg0 == 1 &&\n", FNAME ":1: expected argN (N = 0..5)" },
	{ "read: arg0 == 1 && arg1 == 2 && arg2 == 3 && arg3 == 4 && "
	  "arg4 == 5 && arg5 == 6 && arg0 == 7\n",
	  FNAME ":1: too many conditions" },
	{ "@bogus x\n", FNAME ":1: unknown directive" },
	{ "@include\n", FNAME ":1: unknown directive" },
};

static void
test_errors(void **state)
{
	struct sc_policy	*pol = *state;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 0, sizeof(err));
		if (parse(pol, bad[i].text, NULL, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    bad[i].err);
	}
}

static void
test_limits(void **state)
{
	static const char nul[] = "read: 1\nwrite: 1 # a\0b\nclose: \0\n";
	struct sc_policy	*pol = *state;
	char			 err[256], *text;
	size_t			 i, n = SC_MAX_RULES + 1, len;

	/* A NUL after '#' is ignored, before it is an error. */
	assert_int_equal(sc_parse(pol, nul, sizeof(nul) - 1, FNAME, NULL, NULL,
	    err, sizeof(err)), -1);
	assert_string_equal(err, FNAME ":3: NUL byte");

	/* SC_MAX_RULES rules fit; one more does not (conditional rules for one
	 * syscall with one action do not conflict). */
	text = malloc(n * 16 + 1);
	assert_non_null(text);
	for (i = 0; i < n; i++)
		memcpy(text + i * 16, "read: arg0 == 1\n", 16);
	len = (n - 1) * 16;
	assert_int_equal(sc_parse(pol, text, len, FNAME, NULL, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(pol->nrules, SC_MAX_RULES);
	assert_int_equal(sc_parse(pol, text, n * 16, FNAME, NULL, NULL, err,
	    sizeof(err)), -1);
	(void)snprintf(text, 64, FNAME ":%zu: too many rules", n);
	assert_string_equal(err, text);
	free(text);

	/* "||" alternatives count against the same limit. */
	text = malloc(SC_MAX_RULES * 16 + 64);
	assert_non_null(text);
	for (i = 0; i < SC_MAX_RULES - 1; i++)
		memcpy(text + i * 16, "read: arg0 == 1\n", 16);
	len = (SC_MAX_RULES - 1) * 16;
	len += (size_t)snprintf(text + len, 64,
	    "write: arg0 == 1 || arg0 == 2\n");
	assert_int_equal(sc_parse(pol, text, len, FNAME, NULL, NULL, err,
	    sizeof(err)), -1);
	(void)snprintf(text, 64, FNAME ":%d: too many rules", SC_MAX_RULES);
	assert_string_equal(err, text);
	free(text);

	text = malloc(SC_MAX_FILE + 1);
	assert_non_null(text);
	memset(text, '\n', SC_MAX_FILE + 1);
	assert_int_equal(sc_parse(pol, text, SC_MAX_FILE + 1, FNAME, NULL, NULL,
	    err, sizeof(err)), -1);
	assert_string_equal(err, FNAME ":0: file too large");
	assert_int_equal(sc_parse(pol, text, SC_MAX_FILE, FNAME, NULL, NULL,
	    err, sizeof(err)), 0);
	free(text);
}

/* Read all of a memfd written by libseccomp; caller frees. */
static char *
slurp(int fd, size_t *len)
{
	struct stat	 st;
	char		*buf;

	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	buf = calloc(1, *len + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, *len, 0), (ssize_t)*len);
	return buf;
}

static const char compile_text[] =
    "read: 1\n"
    "write: 1\n"
    "mmap: arg2 in ~PROT_EXEC\n"
    "mprotect: arg2 in ~PROT_EXEC\n"
    "fcntl: arg1 == F_GETFL || arg1 == F_SETFL\n"
    "openat: arg2 & O_CLOEXEC && arg3 in ~O_CREAT\n"
    "socket: return EAFNOSUPPORT\n"
    "ptrace: kill\n";

static void
test_compile(void **state)
{
	struct sc_policy	*pol = *state;
	struct sock_filter	*prog;
	char			 err[256];
	size_t			 len, i, n;
	int			 fd, allow = 0, eafn = 0;

	assert_int_equal(parse(pol, compile_text, NULL, err, sizeof(err)), 0);
	fd = memfd_create("bpf", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sc_compile(pol, fd, err, sizeof(err)), 0);
	prog = (struct sock_filter *)(void *)slurp(fd, &len);
	assert_int_equal(close(fd), 0);
	assert_true(len > 0);
	assert_int_equal(len % sizeof(struct sock_filter), 0);
	assert_int_equal(sizeof(struct sock_filter), 8);
	n = len / sizeof(struct sock_filter);
	assert_true(n <= BPF_MAXINSNS);
	/* The program returns our actions. */
	for (i = 0; i < n; i++) {
		if (BPF_CLASS(prog[i].code) != BPF_RET)
			continue;
		if (prog[i].k == SECCOMP_RET_ALLOW)
			allow++;
		if (prog[i].k == (SECCOMP_RET_ERRNO | EAFNOSUPPORT))
			eafn++;
	}
	assert_true(allow > 0);
	assert_true(eafn > 0);
	free(prog);
}

/*
 * Load the compiled program in a child and check that the conditions mean
 * what scpolicy.h says: "in ~PROT_EXEC" refuses executable mappings, "&"
 * needs every bit, "||" allows each alternative.  The default is an errno,
 * so stray sanitizer syscalls fail instead of killing the child.
 */
static void
test_compile_enforced(void **state)
{
	static const char text[] =
	    "@default return EPERM\n"
	    "mmap: arg2 in ~PROT_EXEC\n"
	    "mprotect: arg2 & PROT_READ|PROT_WRITE\n"
	    "dup: arg0 == 0 || arg0 == 2\n"
	    "getppid: return EACCES\n"
	    "exit_group: 1\n"
	    "write: 1           # sanitizer reports\n"
	    "sigaltstack: 1     # ASan runtime in the child\n";
	struct sc_policy	*pol = *state;
	struct sock_fprog	 prog;
	char			*bpf, err[256];
	size_t			 len;
	int			 fd, st;
	pid_t			 pid;

	assert_int_equal(parse(pol, text, NULL, err, sizeof(err)), 0);
	fd = memfd_create("bpf", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sc_compile(pol, fd, err, sizeof(err)), 0);
	bpf = slurp(fd, &len);
	assert_int_equal(close(fd), 0);
	prog.len = (unsigned short)(len / sizeof(struct sock_filter));
	prog.filter = (struct sock_filter *)(void *)bpf;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *p;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
			_exit(100);
		/* Allowed: a readable, writable mapping. */
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		/* Refused: an executable one. */
		if (mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED ||
		    errno != EPERM)
			_exit(2);
		if (mprotect(p, 4096, PROT_READ | PROT_WRITE) != 0)
			_exit(3);
		if (mprotect(p, 4096, PROT_READ) != -1 || errno != EPERM)
			_exit(4);
		if (syscall(SYS_dup, 0) < 0 || syscall(SYS_dup, 2) < 0)
			_exit(5);
		if (syscall(SYS_dup, 1) != -1 || errno != EPERM)
			_exit(6);
		if (syscall(SYS_getppid) != -1 || errno != EACCES)
			_exit(7);
		if (syscall(SYS_getpid) != -1 || errno != EPERM)
			_exit(8);
		_exit(0);
	}
	free(bpf);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st))
		fail_msg("child killed by signal %d", WTERMSIG(st));
	if (WEXITSTATUS(st) == 100)
		skip();		/* no seccomp here */
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_compile_default_allow(void **state)
{
	struct sc_policy	*pol = *state;
	char			*buf, err[256];
	size_t			 len;
	int			 fd;

	/* Rules with the default action are dropped, not refused. */
	assert_int_equal(parse(pol, "@default allow\nread: 1\nptrace: kill\n"
	    "socket: return EPERM\n", NULL, err, sizeof(err)), 0);
	fd = memfd_create("bpf", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sc_compile(pol, fd, err, sizeof(err)), 0);
	buf = slurp(fd, &len);
	assert_true(len > 0 && len % 8 == 0);
	free(buf);
	assert_int_equal(close(fd), 0);

	/* Same for an errno default. */
	assert_int_equal(parse(pol, "@default return EPERM\n"
	    "socket: return EPERM\nread: 1\n", NULL, err, sizeof(err)), 0);
	fd = memfd_create("bpf", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sc_compile(pol, fd, err, sizeof(err)), 0);
	assert_int_equal(close(fd), 0);
}

static void
test_compile_errors(void **state)
{
	struct sc_policy	*pol = *state;
	char			 err[256];
	int			 fd;

	/* An argument libseccomp cannot test (the parser stops at 5). */
	memset(pol, 0, sizeof(*pol));
	pol->defact = SC_KILL;
	pol->nrules = 1;
	pol->rules[0].nr = __NR_read;
	(void)snprintf(pol->rules[0].name, sizeof(pol->rules[0].name),
	    "read");
	pol->rules[0].action = SC_ALLOW;
	pol->rules[0].ncond = 1;
	pol->rules[0].cond[0].arg = 6;
	pol->rules[0].cond[0].op = SC_EQ;
	fd = memfd_create("bpf", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sc_compile(pol, fd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "rule for read rejected by libseccomp"));
	assert_int_equal(close(fd), 0);

	/* An fd that cannot be written. */
	assert_int_equal(parse(pol, "read: 1\n", NULL, err, sizeof(err)), 0);
	assert_int_equal(sc_compile(pol, -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "seccomp_export_bpf"));
}

static void
test_export_pfc(void **state)
{
	struct sc_policy	*pol = *state;
	char			*pfc, err[256];
	size_t			 len;
	int			 fd;

	assert_int_equal(parse(pol, compile_text, NULL, err, sizeof(err)), 0);
	fd = memfd_create("pfc", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sc_export_pfc(pol, fd, err, sizeof(err)), 0);
	pfc = slurp(fd, &len);
	assert_int_equal(close(fd), 0);
	assert_true(len > 0);
	assert_int_equal(strlen(pfc), len);
	assert_non_null(strstr(pfc, "pseudo filter code start"));
	assert_non_null(strstr(pfc, "syscall \"read\""));
	assert_non_null(strstr(pfc, "syscall \"mmap\""));
	assert_non_null(strstr(pfc, "syscall \"fcntl\""));
	assert_non_null(strstr(pfc, "action ALLOW;"));
	assert_non_null(strstr(pfc, "action ERRNO(97);"));
	assert_non_null(strstr(pfc, "action KILL_PROCESS;"));
	/* Not in the allowlist, so not in the filter. */
	assert_null(strstr(pfc, "syscall \"execve\""));
	free(pfc);
}

/* A syscall with an unconditional rule and any other rule, or rules with
 * different actions, is an error (libseccomp would keep one silently);
 * "||" clauses with one action are fine. */
static void
test_conflicts(void **state)
{
	static const char *const conflicting[] = {
		"read: 1\nread: return EPERM\n",
		"read: 1\nread: 1\n",
		"read: kill\nread: 1\n",
		"fcntl: arg1 == 1\nfcntl: 1\n",
		"fcntl: arg1 == 1\nfcntl: return EPERM\n",
		"socket: return EPERM\nsocket: return EACCES\n",
		NULL,
	};
	static const char *const inc[] = {
		"g.seccomp", "read: 1\n", NULL,
	};
	struct incdir		 d = { inc, 0 };
	struct sc_policy	*pol = *state;
	char			 err[256];
	size_t			 i;

	for (i = 0; conflicting[i] != NULL; i++) {
		err[0] = '\0';
		assert_int_equal(parse(pol, conflicting[i], NULL, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "svc.seccomp:2: conflicting rules"));
	}
	assert_int_equal(parse(pol, "@include g.seccomp\nread: return 1\n",
	    &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "svc.seccomp:2: conflicting rules for "
	    "\"read\""));
	assert_int_equal(parse(pol, "fcntl: arg1 == 1 || arg1 == 2\n"
	    "fcntl: arg1 == 3\n", NULL, err, sizeof(err)), 0);
	assert_int_equal(pol->nrules, 3);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pol_setup, pol_teardown)
	const struct CMUnitTest tests[] = {
		T(test_actions),
		T(test_conditions_and),
		T(test_conditions_or),
		T(test_default),
		T(test_include),
		T(test_include_errors),
		T(test_errors),
		T(test_limits),
		T(test_compile),
		T(test_compile_enforced),
		T(test_compile_default_allow),
		T(test_compile_errors),
		T(test_export_pfc),
		T(test_conflicts),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
