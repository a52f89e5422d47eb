/*
 * audit.h - the tamper-evident audit log written by the broker.
 *
 * One line per request that crossed the broker, tab-separated:
 *
 *   seq  time  caller  operation  target  result  bytes  hash
 *
 * hash = hex(BLAKE2b-256(previous record's hash || this line up to the tab
 * before the hash)); the first record chains from 32 zero bytes.  Editing,
 * deleting, inserting or reordering any record breaks the chain at that
 * record, and `mupif-central audit verify` names it.  The chain alone has
 * no key: cutting records off the end, or rewriting it from record k on
 * with correct hashes, leaves a valid chain.  Signed checkpoints catch
 * both for every record they cover.
 *
 * Checkpoints: the launcher (root, not the broker) periodically appends
 * one line per advanced chain head to persistent/keys/audit-checkpoints.log
 * (0600, root):
 *
 *   seq  time  hash_hex  sig_b64
 *
 * sig = Ed25519 over AUDIT_CKPT_DOMAIN followed by the line up to the tab
 * before sig_b64 (standard base64 with padding, 88 characters).  The key
 * is persistent/keys/audit-checkpoint.key (0600), the public key
 * audit-checkpoint.pub (hex, 0644).  Whoever holds the key (root) can
 * still re-sign a rewritten chain.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "util.h"

#define AUDIT_HASH_LEN	32
#define AUDIT_LINE_MAX	512
#define AUDIT_FILE	"audit.log"

struct audit_rec {
	uint64_t	seq;
	char		time[32];
	char		caller[16];
	char		op[48];
	char		target[MSG_TARGET_LEN];	/* "-" when none */
	char		result[24];
	uint64_t	bytes;
	uint8_t		hash[AUDIT_HASH_LEN];
};

struct audit_chain {
	uint64_t	seq;			/* last written */
	uint8_t		hash[AUDIT_HASH_LEN];	/* last written */
};

/*
 * Give r the next sequence number and its hash, format it into line (cap
 * bytes, AUDIT_LINE_MAX is enough), advance the chain.  Returns the line
 * length, or -1 if a field is unfit (tabs, newlines, too long).
 */
int	audit_format(struct audit_chain *, struct audit_rec *r, char *line,
	    size_t cap) WUR;

/* Parse one line (without its '\n').  *bodylen is the length of the part
 * that is hashed.  0, or -1 with a reason in why (static string). */
int	audit_parse(const char *line, size_t len, struct audit_rec *,
	    size_t *bodylen, const char **why) WUR;

struct audit_verdict {
	uint64_t	records;	/* good records before the fault */
	uint64_t	bad_line;	/* 0 = chain intact */
	uint64_t	bad_seq;	/* sequence number found there, if any */
	char		why[160];
	struct audit_chain last;	/* chain state at the end (if intact) */
};

/* Check a whole log held in memory.  0 if intact, -1 if not. */
int	audit_verify(const char *buf, size_t len, struct audit_verdict *) WUR;

/* Chain state after the last complete, well-formed line of buf (used by
 * the broker to resume after a restart).  0, or -1 if none was found. */
int	audit_tail(const char *buf, size_t len, struct audit_chain *) WUR;

#define AUDIT_CKPT_DOMAIN	"mupif-audit-checkpoint v1\n"
#define AUDIT_CKPT_FILE		"audit-checkpoints.log"
#define AUDIT_CKPT_KEY		"audit-checkpoint.key"
#define AUDIT_CKPT_PUB		"audit-checkpoint.pub"
#define AUDIT_CKPT_LINE_MAX	256
#define AUDIT_CKPT_SIG_LEN	64	/* crypto_sign_BYTES */
#define AUDIT_CKPT_PK_LEN	32	/* crypto_sign_PUBLICKEYBYTES */
#define AUDIT_CKPT_SK_LEN	64	/* crypto_sign_SECRETKEYBYTES */

struct audit_ckpt {
	uint64_t	seq;
	char		time[32];
	uint8_t		hash[AUDIT_HASH_LEN];
	uint8_t		sig[AUDIT_CKPT_SIG_LEN];
};

/*
 * Sign c (seq, time, hash set; sig is filled in) with sk and format it
 * into line (cap bytes, AUDIT_CKPT_LINE_MAX is enough), '\n' included.
 * Returns the length, or -1 if a field is unfit.
 */
int	audit_ckpt_format(struct audit_ckpt *c, const uint8_t *sk, char *line,
	    size_t cap) WUR;

/* Parse one checkpoint line (without its '\n'); only the exact form the
 * launcher writes is accepted.  *bodylen is the length of the signed part
 * of the line.  0, or -1 with a reason in why (static string). */
int	audit_ckpt_parse(const char *line, size_t len, struct audit_ckpt *,
	    size_t *bodylen, const char **why) WUR;

/* 1 if c's signature is valid under pk, else 0. */
int	audit_ckpt_sigok(const struct audit_ckpt *c, const uint8_t *pk) WUR;

struct audit_ckpt_verdict {
	uint64_t	checked;	/* good checkpoints before the fault */
	uint64_t	bad_line;	/* checkpoint file line; 0 = all good */
	uint64_t	log_last;	/* last record's seq in the log */
	char		why[256];
};

/*
 * Check every checkpoint in ck (the checkpoint file) against the audit log
 * in log: a valid signature under pk, strictly increasing sequence
 * numbers, a record with that sequence number and hash in the log, and no
 * record cut off after it.  0 if all hold, -1 at the first that does not.
 */
int	audit_ckpt_verify(const char *log, size_t loglen, const char *ck,
	    size_t cklen, const uint8_t *pk, struct audit_ckpt_verdict *) WUR;

#endif /* AUDIT_H */
