/*
 * audit_cmd.c - `mupif-central audit verify` and `audit show`: read the
 * broker's audit log (persistent/audit/audit.log) as untrusted input.
 * `audit verify` also checks the launcher's signed checkpoints
 * (persistent/keys/audit-checkpoints.log, see audit.h) with the public key
 * persistent/keys/audit-checkpoint.pub.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "json.h"
#include "launcher.h"
#include "banned.h"

#define AUDIT_READ_MAX	((size_t)1 << 32)

static int
read_log(const struct opts *o, char **buf, size_t *len)
{
	struct conf	c;
	char		path[PATH_MAX + 64];

	if (load_conf(o, &c, 1) == -1)
		return 2;
	(void)persistent_path(&c, "audit/" AUDIT_FILE, path, sizeof(path));
	if (util_read_file(path, AUDIT_READ_MAX, buf, len) == -1) {
		(void)fprintf(stderr, "mupif-central: %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * Check the signed checkpoints against the log in buf.  0 all good or no
 * checkpoint file, 1 a fault (printed).
 */
static int
verify_checkpoints(const struct opts *o, const char *buf, size_t len)
{
	struct audit_ckpt_verdict	 v;
	struct conf			 c;
	uint8_t				 pk[AUDIT_CKPT_PK_LEN];
	char				 path[PATH_MAX + 64], *ck, *pub;
	size_t				 cklen, publen;
	int				 rc;

	if (load_conf(o, &c, 1) == -1)
		return 1;
	(void)persistent_path(&c, "keys/" AUDIT_CKPT_FILE, path, sizeof(path));
	if (util_read_file(path, AUDIT_READ_MAX, &ck, &cklen) == -1) {
		if (errno == ENOENT) {
			(void)printf("no checkpoints (%s does not exist): "
			    "truncation and rewrites are not detectable\n",
			    path);
			return 0;
		}
		(void)printf("checkpoints: %s: %s\n", path, strerror(errno));
		return 1;
	}
	(void)persistent_path(&c, "keys/" AUDIT_CKPT_PUB, path, sizeof(path));
	if (util_read_file(path, 4096, &pub, &publen) == -1) {
		(void)printf("checkpoints: %s: %s\n", path, strerror(errno));
		free(ck);
		return 1;
	}
	rc = publen == AUDIT_CKPT_PK_LEN * 2 + 1 &&
	    pub[AUDIT_CKPT_PK_LEN * 2] == '\n' &&
	    util_unhex(pub, AUDIT_CKPT_PK_LEN, pk) == 0;
	free(pub);
	if (!rc) {
		(void)printf("checkpoints: %s: not a hex Ed25519 public key\n",
		    path);
		free(ck);
		return 1;
	}
	rc = audit_ckpt_verify(buf, len, ck, cklen, pk, &v);
	free(ck);
	if (rc == 0) {
		(void)printf("checkpoints ok: %llu signed checkpoints checked, "
		    "the log's last record is %llu\n",
		    (unsigned long long)v.checked,
		    (unsigned long long)v.log_last);
		return 0;
	}
	(void)printf("checkpoints FAILED at line %llu of %s: %s; %llu "
	    "checkpoints before it match\n", (unsigned long long)v.bad_line,
	    AUDIT_CKPT_FILE, v.why, (unsigned long long)v.checked);
	return 1;
}

static int
audit_verify_cmd(const struct opts *o)
{
	struct audit_verdict	 v;
	char			*buf;
	size_t			 len;
	int			 rc, crc;

	if ((rc = read_log(o, &buf, &len)) != 0)
		return rc;
	rc = audit_verify(buf, len, &v);
	if (rc == 0)
		(void)printf("audit log intact: %llu records, last hash "
		    "chain ok\n", (unsigned long long)v.records);
	else
		(void)printf("audit log BROKEN at line %llu (record %llu): "
		    "%s; %llu records before it are intact\n",
		    (unsigned long long)v.bad_line,
		    (unsigned long long)(v.bad_seq != 0 ? v.bad_seq :
		    v.bad_line), v.why, (unsigned long long)v.records);
	crc = verify_checkpoints(o, buf, len);
	free(buf);
	return rc != 0 || crc != 0 ? 1 : 0;
}

/* Glob with one trailing '*', or exact. */
static int
match(const char *pat, const char *s)
{
	size_t n;

	if (pat == NULL)
		return 1;
	n = strlen(pat);
	if (n > 0 && pat[n - 1] == '*')
		return strncmp(pat, s, n - 1) == 0;
	return strcmp(pat, s) == 0;
}

/* One JSON object per line; the log is untrusted, so everything is
 * escaped by yajl. */
static void
print_json(const struct audit_rec *r)
{
	yajl_gen		 g;
	const unsigned char	*buf;
	size_t			 len;

	if ((g = json_gen_new()) == NULL)
		return;
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "seq", (long long)(r->seq & INT64_MAX));
	json_gen_kv_str(g, "time", r->time);
	json_gen_kv_str(g, "caller", r->caller);
	json_gen_kv_str(g, "op", r->op);
	json_gen_kv_str(g, "target", r->target);
	json_gen_kv_str(g, "result", r->result);
	json_gen_kv_int(g, "bytes", (long long)(r->bytes & INT64_MAX));
	(void)yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		(void)printf("%.*s\n", (int)len, buf);
	yajl_gen_free(g);
}

static int
audit_show_cmd(const struct opts *o, int argc, char **argv)
{
	const char		*since = NULL, *until = NULL, *service = NULL;
	const char		*op = NULL, *result = NULL, *why;
	struct audit_rec	 r;
	char			*buf, *p, *end, *eol;
	size_t			 len, body;
	int			 rc, i;

	for (i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL)
			return 2;
		*eq++ = '\0';
		if (strcmp(argv[i], "since") == 0)
			since = eq;
		else if (strcmp(argv[i], "until") == 0)
			until = eq;
		else if (strcmp(argv[i], "service") == 0)
			service = eq;
		else if (strcmp(argv[i], "op") == 0)
			op = eq;
		else if (strcmp(argv[i], "result") == 0)
			result = eq;
	}
	if ((rc = read_log(o, &buf, &len)) != 0)
		return rc;
	for (p = buf, end = buf + len; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (audit_parse(p, (size_t)(eol - p), &r, &body, &why) == -1) {
			(void)fprintf(stderr, "mupif-central: skipping "
			    "unreadable record: %s\n", why);
			continue;
		}
		/* ISO 8601 UTC times compare as strings. */
		if (since != NULL && strcmp(r.time, since) < 0)
			continue;
		if (until != NULL && strncmp(r.time, until, strlen(until)) > 0)
			continue;
		if (!match(service, r.caller) || !match(op, r.op) ||
		    !match(result, r.result))
			continue;
		if (o->json)
			print_json(&r);
		else
			(void)printf("%-6llu %s  %-9s %-28s %-24s %-12s %llu\n",
			    (unsigned long long)r.seq, r.time, r.caller, r.op,
			    r.target, r.result, (unsigned long long)r.bytes);
	}
	free(buf);
	return 0;
}

int
cmd_audit(const struct opts *o, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify_cmd(o);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return audit_show_cmd(o, argc, argv);
	(void)fprintf(stderr, "usage: mupif-central audit verify | audit show "
	    "[--since T] [--until T] [--service S] [--op OP] [--result R] "
	    "[--json]\n");
	return 2;
}
