/*
 * seccomp_compile.c - turn a parsed policy (scpolicy.h) into BPF with
 * libseccomp.  Runs in the launcher only: services receive the finished
 * program and never link libseccomp.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <seccomp.h>

#include "scpolicy.h"
#include "banned.h"

static uint32_t
action(enum sc_action a, int err)
{
	switch (a) {
	case SC_ALLOW:
		return SCMP_ACT_ALLOW;
	case SC_ERRNO:
		return SCMP_ACT_ERRNO((uint32_t)err);
	case SC_KILL:
		break;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static scmp_filter_ctx
build(const struct sc_policy *pol, char *err, size_t errlen)
{
	scmp_filter_ctx		 ctx;
	struct scmp_arg_cmp	 cmp[SC_MAX_CONDS];
	size_t			 i, j;
	int			 rc;

	if ((ctx = seccomp_init(action(pol->defact, pol->deferr))) == NULL) {
		(void)snprintf(err, errlen, "seccomp_init failed");
		return NULL;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0) {
		(void)snprintf(err, errlen, "seccomp_attr_set failed");
		seccomp_release(ctx);
		return NULL;
	}
	for (i = 0; i < pol->nrules; i++) {
		const struct sc_rule *r = &pol->rules[i];

		/* A rule with the default action is redundant; libseccomp
		 * refuses it, so skip it. */
		if (r->action == pol->defact &&
		    (r->action != SC_ERRNO || r->err == pol->deferr))
			continue;
		for (j = 0; j < r->ncond; j++) {
			static const enum scmp_compare ops[] = {
				[SC_EQ] = SCMP_CMP_EQ, [SC_NE] = SCMP_CMP_NE,
				[SC_LT] = SCMP_CMP_LT, [SC_LE] = SCMP_CMP_LE,
				[SC_GT] = SCMP_CMP_GT, [SC_GE] = SCMP_CMP_GE,
				[SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
			};
			memset(&cmp[j], 0, sizeof(cmp[j]));
			cmp[j].arg = r->cond[j].arg;
			cmp[j].op = ops[r->cond[j].op];
			if (r->cond[j].op == SC_MASKED_EQ) {
				cmp[j].datum_a = r->cond[j].mask;
				cmp[j].datum_b = r->cond[j].value;
			} else
				cmp[j].datum_a = r->cond[j].value;
		}
		rc = seccomp_rule_add_array(ctx, action(r->action, r->err),
		    r->nr, (unsigned)r->ncond, cmp);
		if (rc != 0) {
			(void)snprintf(err, errlen,
			    "rule for %s rejected by libseccomp: %s", r->name,
			    strerror(-rc));
			seccomp_release(ctx);
			return NULL;
		}
	}
	return ctx;
}

/* Build the filter and hand it to one of libseccomp's exporters. */
static int
export(const struct sc_policy *pol, int fd,
    int (*fn)(const scmp_filter_ctx, int), const char *what, char *err,
    size_t errlen)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if ((ctx = build(pol, err, errlen)) == NULL)
		return -1;
	rc = fn(ctx, fd);
	seccomp_release(ctx);
	if (rc != 0) {
		(void)snprintf(err, errlen, "%s: %s", what, strerror(-rc));
		return -1;
	}
	return 0;
}

int
sc_compile(const struct sc_policy *pol, int fd, char *err, size_t errlen)
{
	return export(pol, fd, seccomp_export_bpf, "seccomp_export_bpf", err,
	    errlen);
}

int
sc_export_pfc(const struct sc_policy *pol, int fd, char *err, size_t errlen)
{
	return export(pol, fd, seccomp_export_pfc, "seccomp_export_pfc", err,
	    errlen);
}
