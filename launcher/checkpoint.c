/*
 * checkpoint.c - signed checkpoints of the audit log (audit.h), taken by
 * the launcher: root, not network-facing, so a compromised broker never
 * holds the key.  Every audit_checkpoint_s seconds and once at a clean
 * stop the launcher reads the last complete record of the broker's
 * audit.log (only its tail; O_NOFOLLOW, a regular file) and, if the chain
 * advanced, appends a signed line to keys/audit-checkpoints.log (0600)
 * and fsyncs it.
 *
 * The Ed25519 key, keys/audit-checkpoint.key (0600, 64 bytes), is made at
 * the first start and written atomically (temporary file, fsync, rename,
 * fsync of the directory); a key of another size, mode or owner stops the
 * node.  It is read only to sign and wiped at once (sodium_memzero); it is
 * never logged.  keys/audit-checkpoint.pub (0644) holds the public key in
 * hex for `mupif-central audit verify` and offline checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "audit.h"
#include "launcher.h"
#include "banned.h"

/* Bytes read from the end of a log: two of its longest lines. */
#define TAIL_MAX	(2 * (AUDIT_LINE_MAX + 1))

/* fsync the directory dir. */
static int
sync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

/* Replace dir/name with len bytes of data, mode mode, atomically.  0, or
 * -1 with errno. */
static int
write_atomic(const char *dir, const char *name, const void *data,
    size_t len, mode_t mode)
{
	char	path[PATH_MAX + 64];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return util_write_atomic(path, data, len, mode);
}

/*
 * Read the secret key into sk (AUDIT_CKPT_SK_LEN bytes): a regular file
 * of exactly that size, mode 0600, owned by us, whose public half matches
 * its seed.  0; 1 if it does not exist; -1 with a message in err.  sk is
 * wiped unless 0 is returned.
 */
static int
read_key(const char *path, uint8_t *sk, char *err, size_t errlen)
{
	uint8_t		pk[AUDIT_CKPT_PK_LEN], seed[crypto_sign_SEEDBYTES];
	uint8_t		again[AUDIT_CKPT_SK_LEN];
	struct stat	st;
	ssize_t		n;
	int		fd, ok;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 07777) != 0600 ||
	    st.st_size != AUDIT_CKPT_SK_LEN) {
		(void)close(fd);
		(void)snprintf(err, errlen, "%s: not a %d-byte regular file "
		    "of mode 0600 owned by the launcher's user", path,
		    AUDIT_CKPT_SK_LEN);
		return -1;
	}
	n = read(fd, sk, AUDIT_CKPT_SK_LEN);
	(void)close(fd);
	ok = n == AUDIT_CKPT_SK_LEN &&
	    crypto_sign_ed25519_sk_to_seed(seed, sk) == 0 &&
	    crypto_sign_seed_keypair(pk, again, seed) == 0 &&
	    sodium_memcmp(again, sk, AUDIT_CKPT_SK_LEN) == 0;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(again, sizeof(again));
	if (!ok) {
		sodium_memzero(sk, AUDIT_CKPT_SK_LEN);
		(void)snprintf(err, errlen, "%s: not an Ed25519 secret key",
		    path);
		return -1;
	}
	return 0;
}

/*
 * Read the last at most TAIL_MAX bytes of the regular file path into buf
 * and return how many (0 for a missing file), dropping a first partial
 * line; -1 with errno.
 */
static ssize_t
read_tail(const char *path, char *buf, size_t cap)
{
	struct stat	 st;
	off_t		 off;
	ssize_t		 n;
	char		*nl;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		saved = errno;
		if (fstat(fd, &st) == 0)
			saved = EINVAL;		/* not a regular file */
		(void)close(fd);
		errno = saved;
		return -1;
	}
	off = st.st_size > (off_t)cap ? st.st_size - (off_t)cap : 0;
	n = pread(fd, buf, cap, off);
	saved = errno;
	(void)close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	if (off > 0) {
		if ((nl = memchr(buf, '\n', (size_t)n)) == NULL)
			return 0;
		n -= nl + 1 - buf;
		memmove(buf, nl + 1, (size_t)n);
	}
	return n;
}

/*
 * At start: check the key, or make it; (re)write the public key; resume
 * after the last line of the checkpoint file.  The key is wiped before
 * returning.
 */
int
ckpt_setup(const struct conf *c, struct ckpt_state *cs, char *err,
    size_t errlen)
{
	uint8_t			 sk[AUDIT_CKPT_SK_LEN], pk[AUDIT_CKPT_PK_LEN];
	char			 dir[PATH_MAX + 64], path[PATH_MAX + 96];
	char			 hex[AUDIT_CKPT_PK_LEN * 2 + 2], buf[TAIL_MAX];
	struct audit_ckpt	 ck;
	const char		*why, *end, *start;
	ssize_t			 n;
	size_t			 body;
	int			 rc;

	memset(cs, 0, sizeof(*cs));
	if (persistent_path(c, "keys", dir, sizeof(dir)) == -1 ||
	    snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_CKPT_KEY) >=
	    (int)sizeof(path)) {
		(void)snprintf(err, errlen, "keys: path too long");
		return -1;
	}
	if ((rc = read_key(path, sk, err, errlen)) == -1)
		return -1;
	if (rc == 1) {
		if (crypto_sign_keypair(pk, sk) != 0 ||
		    write_atomic(dir, AUDIT_CKPT_KEY, sk, sizeof(sk),
		    0600) == -1) {
			sodium_memzero(sk, sizeof(sk));
			(void)snprintf(err, errlen, "%s: %s", path,
			    strerror(errno));
			return -1;
		}
		cs->created = 1;
	}
	(void)crypto_sign_ed25519_sk_to_pk(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	util_hex(pk, sizeof(pk), hex);
	hex[AUDIT_CKPT_PK_LEN * 2] = '\n';
	if (write_atomic(dir, AUDIT_CKPT_PUB, hex, sizeof(hex) - 1,
	    0644) == -1) {
		(void)snprintf(err, errlen, "%s/%s: %s", dir, AUDIT_CKPT_PUB,
		    strerror(errno));
		return -1;
	}
	/* Resume after the last checkpoint already taken. */
	(void)snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_CKPT_FILE);
	if ((n = read_tail(path, buf, sizeof(buf))) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	end = buf + n;
	while (end > buf && end[-1] == '\n') {
		for (start = end - 1; start > buf && start[-1] != '\n';)
			start--;
		if (audit_ckpt_parse(start, (size_t)(end - 1 - start), &ck,
		    &body, &why) == 0) {
			cs->last_seq = ck.seq;
			break;
		}
		end = start;
	}
	return 0;
}

/* Append line (len bytes) to the checkpoint file and fsync it. */
static int
append_line(const char *dir, const char *line, size_t len, char *err,
    size_t errlen)
{
	char		path[PATH_MAX + 96];
	struct stat	st;
	int		fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_CKPT_FILE);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 07777) != 0600) {
		(void)close(fd);
		(void)snprintf(err, errlen, "%s: not a regular file of mode "
		    "0600 owned by the launcher's user", path);
		return -1;
	}
	if (util_write_all(fd, line, len) == -1 || fsync(fd) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (close(fd) == -1 || (st.st_size == 0 && sync_dir(dir) == -1)) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * One checkpoint: the head of the audit log, if it advanced past the last
 * one signed, is signed with the key (read for this and wiped at once) and
 * appended.  A head that went back is reported, not signed.
 */
int
ckpt_take(const struct conf *c, struct ckpt_state *cs, char *msg,
    size_t msglen)
{
	uint8_t			 sk[AUDIT_CKPT_SK_LEN];
	char			 dir[PATH_MAX + 64], path[PATH_MAX + 96];
	char			 buf[TAIL_MAX], line[AUDIT_CKPT_LINE_MAX + 2];
	struct audit_chain	 tail;
	struct audit_ckpt	 ck;
	ssize_t			 n;
	int			 len;

	msg[0] = '\0';
	if (persistent_path(c, "keys", dir, sizeof(dir)) == -1 ||
	    persistent_path(c, "audit/" AUDIT_FILE, path, sizeof(path)) == -1)
		return -1;
	if ((n = read_tail(path, buf, sizeof(buf))) == -1) {
		(void)snprintf(msg, msglen, "audit checkpoint: %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (n == 0 || audit_tail(buf, (size_t)n, &tail) == -1 ||
	    tail.seq == cs->last_seq)
		return 0;
	if (tail.seq < cs->last_seq) {
		/* Not signed: report once per new head. */
		if (tail.seq == cs->back_seq)
			return 0;
		cs->back_seq = tail.seq;
		(void)snprintf(msg, msglen, "audit checkpoint: the audit log "
		    "went back from record %llu to %llu (cut off or replaced); "
		    "`mupif-central audit verify` will name it",
		    (unsigned long long)cs->last_seq,
		    (unsigned long long)tail.seq);
		return -1;
	}
	memset(&ck, 0, sizeof(ck));
	ck.seq = tail.seq;
	memcpy(ck.hash, tail.hash, AUDIT_HASH_LEN);
	util_iso_time(util_wall_ms(), ck.time, sizeof(ck.time));
	(void)snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_CKPT_KEY);
	if (read_key(path, sk, msg, msglen) != 0) {
		if (msg[0] == '\0')
			(void)snprintf(msg, msglen, "audit checkpoint: %s: "
			    "missing", path);
		return -1;
	}
	len = audit_ckpt_format(&ck, sk, line, sizeof(line));
	sodium_memzero(sk, sizeof(sk));
	if (len == -1) {
		(void)snprintf(msg, msglen, "audit checkpoint: cannot format "
		    "record %llu", (unsigned long long)ck.seq);
		return -1;
	}
	if (append_line(dir, line, (size_t)len, msg, msglen) == -1)
		return -1;
	cs->last_seq = ck.seq;
	(void)snprintf(msg, msglen, "audit checkpoint: record %llu signed",
	    (unsigned long long)ck.seq);
	return 1;
}
