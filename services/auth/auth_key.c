/*
 * auth_key.c - the token signing key file of the auth service.
 *
 * Trust: the file is persistent/auth/token.key, in auth's jail, owned by
 * mupif-auth, mode 0600: the libsodium Ed25519 secret key (64 bytes: the
 * seed, then the public key).  Only auth reads it; it is created here at
 * first start and never rewritten.  A file of the wrong size, type, owner
 * or mode is refused (the service does not start): better no tokens than
 * a key someone else could have read or planted.  Key bytes are never
 * logged and are wiped from every buffer but the one kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "banned.h"

static int
load(int fd, uint8_t *sk, uint8_t *pk, char *err, size_t errlen)
{
	struct stat	st;
	uint8_t		buf[crypto_sign_SECRETKEYBYTES + 1], seed_pk[32];
	ssize_t		n;
	size_t		got = 0;

	if (fstat(fd, &st) == -1) {
		(void)snprintf(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "not a regular file");
		return -1;
	}
	if (st.st_uid != geteuid()) {
		(void)snprintf(err, errlen, "owned by uid %u, not by us",
		    (unsigned)st.st_uid);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		(void)snprintf(err, errlen, "mode %04o: group or others may "
		    "access it (want 0600)", (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_size != crypto_sign_SECRETKEYBYTES) {
		(void)snprintf(err, errlen, "%lld bytes, want %d",
		    (long long)st.st_size, crypto_sign_SECRETKEYBYTES);
		return -1;
	}
	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			(void)snprintf(err, errlen, "read: %s",
			    strerror(errno));
			sodium_memzero(buf, sizeof(buf));
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != crypto_sign_SECRETKEYBYTES) {
		(void)snprintf(err, errlen, "short or growing file");
		sodium_memzero(buf, sizeof(buf));
		return -1;
	}
	/* The public half must be the one the seed gives. */
	(void)crypto_sign_ed25519_sk_to_pk(seed_pk, buf);
	{
		uint8_t	spk[32], ssk[64];

		(void)crypto_sign_seed_keypair(spk, ssk, buf);
		sodium_memzero(ssk, sizeof(ssk));
		if (sodium_memcmp(spk, seed_pk, 32) != 0) {
			(void)snprintf(err, errlen, "public half does not "
			    "match the seed");
			sodium_memzero(buf, sizeof(buf));
			return -1;
		}
	}
	memcpy(sk, buf, crypto_sign_SECRETKEYBYTES);
	memcpy(pk, seed_pk, crypto_sign_PUBLICKEYBYTES);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static int
create(const char *path, uint8_t *sk, uint8_t *pk, char *err, size_t errlen)
{
	int	fd, dfd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		(void)snprintf(err, errlen, "create %s: %s", path,
		    strerror(errno));
		return -1;
	}
	(void)crypto_sign_keypair(pk, sk);
	if (util_write_all(fd, sk, crypto_sign_SECRETKEYBYTES) == -1 ||
	    fsync(fd) == -1) {
		(void)snprintf(err, errlen, "write %s: %s", path,
		    strerror(errno));
		(void)close(fd);
		(void)unlink(path);
		sodium_memzero(sk, crypto_sign_SECRETKEYBYTES);
		return -1;
	}
	(void)close(fd);
	/* The new name must survive a crash too. */
	if ((dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	return 0;
}

int
auth_key_load(const char *path, uint8_t sk[crypto_sign_SECRETKEYBYTES],
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], char *err, size_t errlen)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno != ENOENT) {
			(void)snprintf(err, errlen, "open %s: %s", path,
			    strerror(errno));
			return -1;
		}
		return create(path, sk, pk, err, errlen) == 0 ? 1 : -1;
	}
	r = load(fd, sk, pk, err, errlen);
	(void)close(fd);
	return r;
}
