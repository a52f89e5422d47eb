/*
 * test_profile.c - unit tests for lib/parse_profile.c: profile_parse on a
 * good policy/<service>.profile (every keyword, comments, capabilities,
 * namespaces, rlimits including "unlimited"), profile_ns_str, and each
 * error with its exact message and line number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>

#include "profile.h"

#define FNAME	"db.profile"

static int
parse(struct profile *pr, const char *text, char *err, size_t errlen)
{
	return profile_parse(pr, text, strlen(text), FNAME, err, errlen);
}

static void
test_good(void **state)
{
	static const char text[] =
	    "# db: the database service\n"
	    "user        mupif-db          # unprivileged account\n"
	    "chroot      db\n"
	    "\n"
	    "namespaces  net ipc uts\n"
	    "caps        none\n"
	    "rlimit      nofile 64\n"
	    "rlimit\tcore 0\r\n"
	    "rlimit      as unlimited\n"
	    "rlimit      nofile 128        # a later line wins\n"
	    "listen      safeapi\n"
	    "seccomp     db.seccomp";
	struct profile	pr;
	char		err[256] = "";
	int		i;

	(void)state;
	assert_int_equal(parse(&pr, text, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(pr.user, "mupif-db");
	assert_string_equal(pr.chroot, "db");
	assert_string_equal(pr.listen, "safeapi");
	assert_string_equal(pr.seccomp, "db.seccomp");
	assert_int_equal(pr.namespaces, CLONE_NEWNET | CLONE_NEWIPC |
	    CLONE_NEWUTS);
	assert_true(pr.caps == 0);
	assert_int_equal(pr.rlim[RLIMIT_NOFILE].set, 1);
	assert_true(pr.rlim[RLIMIT_NOFILE].value == 128);
	assert_int_equal(pr.rlim[RLIMIT_CORE].set, 1);
	assert_true(pr.rlim[RLIMIT_CORE].value == 0);
	assert_int_equal(pr.rlim[RLIMIT_AS].set, 1);
	assert_true(pr.rlim[RLIMIT_AS].value == RLIM_INFINITY);
	for (i = 0; i < PROFILE_NLIMITS; i++)
		if (i != RLIMIT_NOFILE && i != RLIMIT_CORE && i != RLIMIT_AS)
			assert_int_equal(pr.rlim[i].set, 0);
}

static void
test_minimal_and_caps(void **state)
{
	static const char text[] =
	    "seccomp vpn.seccomp\n"
	    "chroot empty\n"
	    "user mupif_vpn\n"
	    "caps net_admin NET_BIND_SERVICE none\n"
	    "caps setuid\n"
	    "namespaces none\n"
	    "namespaces mnt\n"
	    "rlimit nproc 281474976710656\n"
	    "rlimit memlock 0\n"
	    "rlimit stack 8388608\n"
	    "rlimit fsize 1\n"
	    "rlimit data 2\n";
	struct profile	pr;
	char		err[256];

	(void)state;
	assert_int_equal(parse(&pr, text, err, sizeof(err)), 0);
	assert_string_equal(pr.user, "mupif_vpn");
	assert_string_equal(pr.chroot, "empty");
	assert_string_equal(pr.listen, "");
	assert_true(pr.caps == ((1ULL << CAP_NET_ADMIN) |
	    (1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_SETUID)));
	assert_int_equal(pr.namespaces, CLONE_NEWNS);
	assert_true(pr.rlim[RLIMIT_NPROC].value == 1ULL << 48);
	assert_int_equal(pr.rlim[RLIMIT_MEMLOCK].set, 1);
	assert_true(pr.rlim[RLIMIT_STACK].value == 8388608);
	assert_true(pr.rlim[RLIMIT_FSIZE].value == 1);
	assert_true(pr.rlim[RLIMIT_DATA].value == 2);
	assert_int_equal(pr.rlim[RLIMIT_NOFILE].set, 0);
}

static void
test_ns_str(void **state)
{
	char buf[64];

	(void)state;
	profile_ns_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	profile_ns_str(CLONE_NEWNET, buf, sizeof(buf));
	assert_string_equal(buf, "net");
	profile_ns_str(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
	    CLONE_NEWNS, buf, sizeof(buf));
	assert_string_equal(buf, "net ipc uts mnt");
	/* Flags the parser never sets are not printed. */
	profile_ns_str(CLONE_NEWPID | CLONE_NEWUTS, buf, sizeof(buf));
	assert_string_equal(buf, "uts");
	profile_ns_str(CLONE_NEWNET | CLONE_NEWIPC, buf, 6);
	assert_string_equal(buf, "net i");
}

/* The three mandatory lines, to append bad lines to. */
#define BASE	"user mupif-db\nchroot db\nseccomp db.seccomp\n"

static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	/* unknown keyword */
	{ BASE "usr mupif\n", FNAME ":4: unknown keyword \"usr\"" },
	{ "# c\nUser x\n", FNAME ":2: unknown keyword \"User\"" },
	{ BASE "\n\nlimit nofile 1\n", FNAME ":6: unknown keyword \"limit\"" },
	/* duplicates */
	{ BASE "user other\n", FNAME ":4: \"user\" given twice" },
	{ "chroot a\n\nchroot b\n", FNAME ":3: \"chroot\" given twice" },
	{ BASE "seccomp x.seccomp\n", FNAME ":4: \"seccomp\" given twice" },
	{ BASE "listen a\nlisten b\n", FNAME ":5: \"listen\" given twice" },
	/* missing mandatory keywords: reported at the last line */
	{ "chroot db\nseccomp db.seccomp\n", FNAME ":2: missing \"user\"" },
	{ "user u\n# x\n\nseccomp db.seccomp\n",
	  FNAME ":4: missing \"chroot\"" },
	{ "user u\nchroot db", FNAME ":2: missing \"seccomp\"" },
	{ "", FNAME ":0: missing \"user\"" },
	/* bad values */
	{ BASE "listen\n", FNAME ":4: \"listen\" needs a value" },
	{ "user ../etc\n", FNAME ":1: bad value for \"user\"" },
	{ "user -x\n", FNAME ":1: bad value for \"user\"" },
	{ "user .hidden\n", FNAME ":1: bad value for \"user\"" },
	{ "user a/b\n", FNAME ":1: bad value for \"user\"" },
	{ "user 0123456789012345678901234567890123\n",
	  FNAME ":1: bad value for \"user\"" },
	{ "user a b\n", FNAME ":1: \"user\" takes one value" },
	/* unknown capability */
	{ BASE "caps net_admin bogus_cap\n",
	  FNAME ":4: unknown capability \"bogus_cap\"" },
	{ BASE "caps cap_net_admin\n",
	  FNAME ":4: unknown capability \"cap_net_admin\"" },
	{ BASE "caps net.admin\n", FNAME ":4: bad capability name" },
	/* unknown namespace */
	{ BASE "namespaces net pid\n",
	  FNAME ":4: unknown namespace \"pid\"" },
	{ BASE "namespaces user\n", FNAME ":4: unknown namespace \"user\"" },
	{ BASE "namespaces NET\n", FNAME ":4: unknown namespace \"NET\"" },
	/* bad rlimit */
	{ BASE "rlimit nofile lots\n", FNAME ":4: bad rlimit value \"lots\"" },
	{ BASE "rlimit nofile -1\n", FNAME ":4: bad rlimit value \"-1\"" },
	{ BASE "rlimit nofile 281474976710657\n",
	  FNAME ":4: bad rlimit value \"281474976710657\"" },
	{ BASE "rlimit nofile infinity\n",
	  FNAME ":4: bad rlimit value \"infinity\"" },
	{ BASE "rlimit cpu 10\n", FNAME ":4: unknown rlimit \"cpu\"" },
	{ BASE "rlimit nofile\n", FNAME ":4: rlimit nofile needs a value" },
	{ BASE "rlimit\n", FNAME ":4: rlimit needs a resource and a value" },
	{ BASE "rlimit nofile 1 2\n",
	  FNAME ":4: rlimit takes a resource and one value" },
	/* landlock: absolute, plain paths, at most 16 */
	{ BASE "landlock usr\n", FNAME ":4: bad landlock path \"usr\"" },
	{ BASE "landlock /usr/../etc\n",
	  FNAME ":4: bad landlock path \"/usr/../etc\"" },
	{ BASE "landlock /usr/\n", FNAME ":4: bad landlock path \"/usr/\"" },
	{ BASE "landlock //usr\n", FNAME ":4: bad landlock path \"//usr\"" },
	{ BASE "landlock /a /b /c /d /e /f /g /h /i /j /k /l /m /n /o /p /q\n",
	  FNAME ":4: more than 16 landlock paths" },
};

/* landlock: read-only paths beside the jail, instead of chroot. */
static void
test_landlock(void **state)
{
	struct profile	 pr;
	char		 err[256];
	const char	*t = BASE "landlock /usr /lib64 /etc/ld.so.cache\n"
			    "landlock /opt/venv-3.11\n";

	(void)state;
	assert_int_equal(profile_parse(&pr, t, strlen(t), FNAME, err,
	    sizeof(err)), 0);
	assert_int_equal(pr.landlock, 1);
	assert_int_equal(pr.nlandlock, 4);
	assert_string_equal(pr.landlock_ro[2], "/etc/ld.so.cache");
	assert_string_equal(pr.landlock_ro[3], "/opt/venv-3.11");
	assert_int_equal(profile_parse(&pr, BASE, strlen(BASE), FNAME, err,
	    sizeof(err)), 0);
	assert_int_equal(pr.landlock, 0);
}

static void
test_errors(void **state)
{
	struct profile	pr;
	char		err[256];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 0, sizeof(err));
		if (parse(&pr, bad[i].text, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    bad[i].err);
	}
}

static void
test_nul_and_size(void **state)
{
	static const char text[] = "user u\nchroot d\0x\nseccomp s\n";
	struct profile	 pr;
	char		 err[256], *big;

	(void)state;
	assert_int_equal(profile_parse(&pr, text, sizeof(text) - 1, FNAME, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ":2: NUL byte");

	big = malloc(PROFILE_MAX_FILE + 1);
	assert_non_null(big);
	memset(big, '#', PROFILE_MAX_FILE + 1);
	assert_int_equal(profile_parse(&pr, big, PROFILE_MAX_FILE + 1, FNAME,
	    err, sizeof(err)), -1);
	assert_string_equal(err, FNAME ":0: file too large");
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_minimal_and_caps),
		cmocka_unit_test(test_ns_str),
		cmocka_unit_test(test_landlock),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
