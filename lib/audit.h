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
 * record, and `mupif-central audit verify` names it.  Cutting records off
 * the end is only caught by the signed checkpoints (a later issue).
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

#endif /* AUDIT_H */
