/*
 * fuzz_checkpoint.c - fuzzes the readers of the signed audit checkpoints:
 * audit_ckpt_parse() (lib/parse_audit.c) over each '\n'-separated line and
 * audit_ckpt_verify() (lib/audit.c) over a whole checkpoint file.  The
 * input is an audit log, a NUL byte, then a checkpoint file; without a NUL
 * the whole input is the checkpoint file and the log is a fixed chain of
 * five records.  The key is fixed (seed of 32 bytes 0x01, as in
 * tests/unit/test_audit_checkpoint.c), so the seed corpus holds lines with
 * valid signatures.
 *
 * Consistency checks: a parsed line has exactly the writer's spelling
 * (formatting its fields again gives the same text), a failure always has
 * a reason, and a failed verify names the line after the good checkpoints.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "audit.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	pk[AUDIT_CKPT_PK_LEN], sk[AUDIT_CKPT_SK_LEN];
static char	fixed_log[5 * (AUDIT_LINE_MAX + 1)];
static size_t	fixed_len;

static void
init(void)
{
	static int		done;
	uint8_t			seed[crypto_sign_SEEDBYTES];
	struct audit_chain	ch;
	struct audit_rec	r;
	int			i, n;

	if (done)
		return;
	done = 1;
	if (sodium_init() < 0)
		abort();
	memset(seed, 1, sizeof(seed));
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
		abort();
	memset(&ch, 0, sizeof(ch));
	for (i = 1; i <= 5; i++) {
		memset(&r, 0, sizeof(r));
		(void)snprintf(r.time, sizeof(r.time),
		    "2026-11-25T08:00:0%u.000Z", (unsigned)i % 10);
		(void)snprintf(r.caller, sizeof(r.caller), "safeapi");
		(void)snprintf(r.op, sizeof(r.op), "status.get");
		(void)snprintf(r.target, sizeof(r.target), "-");
		(void)snprintf(r.result, sizeof(r.result), "ok");
		n = audit_format(&ch, &r, fixed_log + fixed_len,
		    sizeof(fixed_log) - fixed_len);
		if (n <= 0)
			abort();
		fixed_len += (size_t)n;
	}
}

/* Parse one line; if it is well-formed, its text must be canonical. */
static void
check_line(const char *line, size_t len)
{
	struct audit_ckpt	 c, c2;
	char			 out[AUDIT_CKPT_LINE_MAX + 2];
	char			 hex[AUDIT_HASH_LEN * 2 + 1];
	char			 b64[AUDIT_CKPT_SIG_LEN * 2];
	const char		*why = NULL;
	size_t			 body;
	int			 n, ok;

	if (audit_ckpt_parse(line, len, &c, &body, &why) == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		return;
	}
	if (c.seq == 0 || body >= len || line[body] != '\t')
		abort();
	util_hex(c.hash, AUDIT_HASH_LEN, hex);
	(void)sodium_bin2base64(b64, sizeof(b64), c.sig, sizeof(c.sig),
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, sizeof(out), "%llu\t%s\t%s\t%s",
	    (unsigned long long)c.seq, c.time, hex, b64);
	if (n < 0 || (size_t)n != len || memcmp(out, line, len) != 0)
		abort();
	ok = audit_ckpt_sigok(&c, pk);
	/* Signing the same fields again must give a valid line. */
	c2 = c;
	if ((n = audit_ckpt_format(&c2, sk, out, sizeof(out))) == -1)
		abort();
	if (audit_ckpt_parse(out, (size_t)n - 1, &c2, &body, &why) == -1 ||
	    !audit_ckpt_sigok(&c2, pk) || c2.seq != c.seq ||
	    strcmp(c2.time, c.time) != 0 ||
	    memcmp(c2.hash, c.hash, AUDIT_HASH_LEN) != 0)
		abort();
	/* Ed25519 signatures are deterministic. */
	if (ok != (memcmp(c2.sig, c.sig, AUDIT_CKPT_SIG_LEN) == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_ckpt_verdict	 v;
	const char			*buf = (const char *)data, *nul;
	const char			*log, *ck, *p, *end, *eol;
	size_t				 loglen, cklen;
	int				 rc;

	if (size > 64 * 1024)
		return 0;
	init();
	if ((nul = memchr(buf, '\0', size)) != NULL) {
		log = buf;
		loglen = (size_t)(nul - buf);
		ck = nul + 1;
		cklen = size - loglen - 1;
	} else {
		log = fixed_log;
		loglen = fixed_len;
		ck = buf;
		cklen = size;
	}
	rc = audit_ckpt_verify(log, loglen, ck, cklen, pk, &v);
	if (memchr(v.why, '\0', sizeof(v.why)) == NULL)
		abort();
	if (rc == -1 && (v.bad_line == 0 || v.why[0] == '\0' ||
	    v.bad_line != v.checked + 1))
		abort();
	if (rc == 0 && v.bad_line != 0)
		abort();
	for (p = ck, end = ck + cklen; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		check_line(p, (size_t)(eol - p));
	}
	return 0;
}
