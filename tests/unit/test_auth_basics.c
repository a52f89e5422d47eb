/*
 * test_auth_basics.c - unit tests for the pieces of the auth service that
 * need no broker: the login rate limiter (auth_rate.c: a bucket per key,
 * refill, retry_after, keys kept apart, a full table), password hashes
 * (auth_pw.c: Argon2id round trip, a bcrypt hash made with
 * crypt_gensalt_rn + crypt_rn verifies and asks for an upgrade, wrong
 * passwords, unknown forms), the key file (auth_key.c: created 0600,
 * loaded back, refused when loose, short or mismatched), UUID4 and the
 * "+00:00" time format (auth_ops.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <crypt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"

static int
setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_rate(void **state)
{
	struct rate	r;
	int64_t		t = 1000000;
	int		i;

	assert_int_equal(rate_init(&r, 8, 3), 0);
	/* Unknown keys may try. */
	assert_int_equal(rate_check(&r, "alice", 5, t), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(rate_check(&r, "alice", 5, t), 0);
		rate_hit(&r, "alice", 5, t);
	}
	/* Empty: 3/min refills one token in 20 s. */
	assert_int_equal(rate_check(&r, "alice", 5, t), 20);
	assert_int_equal(rate_check(&r, "alice", 5, t + 5000), 15);
	assert_int_equal(rate_check(&r, "alice", 5, t + 19001), 1);
	assert_int_equal(rate_check(&r, "alice", 5, t + 20000), 0);
	/* Others are not affected; a prefix is another key. */
	assert_int_equal(rate_check(&r, "bob", 3, t), 0);
	assert_int_equal(rate_check(&r, "alic", 4, t), 0);
	/* Refill stops at the cap. */
	assert_int_equal(rate_check(&r, "alice", 5, t + 3600000), 0);
	for (i = 0; i < 3; i++)
		rate_hit(&r, "alice", 5, t + 3600000);
	assert_true(rate_check(&r, "alice", 5, t + 3600000) > 0);
	/* A full table reuses the oldest entry and keeps working. */
	for (i = 0; i < 100; i++) {
		char k[16];

		(void)snprintf(k, sizeof(k), "k%d", i);
		rate_hit(&r, k, strlen(k), t + 3600001 + i);
	}
	for (i = 0; i < 3; i++)
		rate_hit(&r, "zed", 3, t + 3700000);
	assert_true(rate_check(&r, "zed", 3, t + 3700000) > 0);
	rate_free(&r);

	/* 0 per minute: no limit at all. */
	assert_int_equal(rate_init(&r, 8, 0), 0);
	for (i = 0; i < 100; i++)
		rate_hit(&r, "x", 1, t);
	assert_int_equal(rate_check(&r, "x", 1, t), 0);
	rate_free(&r);
}

static void
test_argon2id(void **state)
{
	char	h[crypto_pwhash_STRBYTES];
	int	up = -1;

	assert_int_equal(pw_hash("secret-1", 8, h), 0);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	assert_int_equal(pw_verify(h, "secret-1", 8, &up), PW_OK);
	assert_int_equal(up, 0);
	assert_int_equal(pw_verify(h, "secret-2", 8, &up), PW_BAD);
	assert_int_equal(pw_verify(h, "secret-1", 7, &up), PW_BAD);
	/* Other limits than ours: upgrade. */
	assert_int_equal(crypto_pwhash_str(h, "secret-1", 8,
	    crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN), 0);
	assert_int_equal(pw_verify(h, "secret-1", 8, &up), PW_OK);
	assert_int_equal(up, 1);
	assert_int_equal(pw_dummy("whatever", 8), 0);
}

static void
test_bcrypt(void **state)
{
	struct crypt_data	*cd;
	char			 salt[64], h[128];
	const char		*out;
	int			 up = -1;

	cd = calloc(1, sizeof(*cd));
	assert_non_null(cd);
	/* passlib's form, at the lowest cost to keep the test fast. */
	assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt,
	    sizeof(salt)));
	out = crypt_rn("legacy-pass", salt, cd, (int)sizeof(*cd));
	assert_non_null(out);
	(void)snprintf(h, sizeof(h), "%s", out);
	free(cd);
	assert_true(pw_is_bcrypt(h));
	assert_int_equal(pw_verify(h, "legacy-pass", 11, &up), PW_OK);
	assert_int_equal(up, 1);
	up = -1;
	assert_int_equal(pw_verify(h, "legacy-pasS", 11, &up), PW_BAD);
	assert_int_equal(up, 0);
	assert_int_equal(pw_verify(h, "legacy-pass\0x", 13, &up), PW_BAD);
	/* $2a$ and $2y$ are read too. */
	h[2] = 'y';
	assert_int_equal(pw_verify(h, "legacy-pass", 11, &up), PW_OK);
	/* A broken hash of the right shape does not verify. */
	h[20] = h[20] == 'A' ? 'B' : 'A';
	assert_int_equal(pw_verify(h, "legacy-pass", 11, &up), PW_BAD);
	/* Unknown forms. */
	assert_int_equal(pw_verify("$1$abc$def", "x", 1, &up),
	    PW_UNSUPPORTED);
	assert_int_equal(pw_verify("plain", "plain", 5, &up), PW_UNSUPPORTED);
	assert_int_equal(pw_verify(NULL, "x", 1, &up), PW_UNSUPPORTED);
	assert_false(pw_is_bcrypt("$2b$04$short"));
}

static void
test_key_file(void **state)
{
	uint8_t	sk[64], pk[32], sk2[64], pk2[32];
	char	dir[] = "/tmp/mupif-authkey-XXXXXX", path[128], err[256];
	int	fd;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/token.key", dir);
	assert_int_equal(auth_key_load(path, sk, pk, err, sizeof(err)), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 64);
	assert_int_equal(auth_key_load(path, sk2, pk2, err, sizeof(err)), 0);
	assert_memory_equal(sk, sk2, 64);
	assert_memory_equal(pk, pk2, 32);

	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(auth_key_load(path, sk2, pk2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "want 0600"));
	assert_int_equal(chmod(path, 0600), 0);
	/* A changed public half. */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x01", 1, 40), 1);
	(void)close(fd);
	assert_int_equal(auth_key_load(path, sk2, pk2, err, sizeof(err)), -1);
	/* Short. */
	assert_int_equal(truncate(path, 63), 0);
	assert_int_equal(auth_key_load(path, sk2, pk2, err, sizeof(err)), -1);
	assert_int_equal(unlink(path), 0);
	/* A directory in its place. */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(auth_key_load(path, sk2, pk2, err, sizeof(err)), -1);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_uuid_time(void **state)
{
	char	u[AUTH_UUID_LEN + 1], v[AUTH_UUID_LEN + 1], t[32];
	size_t	i;

	auth_uuid4(u);
	auth_uuid4(v);
	assert_int_equal(strlen(u), 36);
	assert_string_not_equal(u, v);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(u[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", u[i]));
	}
	assert_int_equal(u[14], '4');
	assert_non_null(strchr("89ab", u[19]));
	auth_iso_offset(1795612925, t, sizeof(t));
	assert_string_equal(t, "2026-11-25T13:22:05+00:00");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_argon2id),
		cmocka_unit_test(test_bcrypt),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_uuid_time),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
