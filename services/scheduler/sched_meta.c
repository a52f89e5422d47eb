/*
 * sched_meta.c - the inspector's answer, re-checked and rebuilt.
 *
 * Trust: the inspector's stdout was written by a process that ran the
 * uploaded code, so it is as hostile as the upload.  It goes through the
 * capped JSON parser (size, depth, duplicate keys), every field the api
 * stores is type-checked and bounded, and the reply is generated here from
 * the checked values, never copied as text.  Fuzzed by
 * fuzz/fuzz_sched_meta.c.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "scheduler.h"
#include "banned.h"

#define META_DEPTH	16

/* A class or module name: a Python identifier of at most 256 bytes. */
static int
ident_ok(const char *s)
{
	size_t i, n = strnlen(s, 257);

	if (n == 0 || n > 256 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* An array of at most SCHED_ITEMS_MAX objects; with need_name, each has a
 * non-empty string "Name". */
static int
items_ok(yajl_val v, const char *what, int need_name, char *err,
    size_t errlen)
{
	size_t i;

	if (!YAJL_IS_ARRAY(v)) {
		(void)snprintf(err, errlen, "metadata %s must be a list", what);
		return -1;
	}
	if (v->u.array.len > SCHED_ITEMS_MAX) {
		(void)snprintf(err, errlen, "metadata %s has more than %d "
		    "entries", what, SCHED_ITEMS_MAX);
		return -1;
	}
	for (i = 0; i < v->u.array.len; i++) {
		yajl_val	 it = v->u.array.values[i];
		const char	*nm;

		if (!YAJL_IS_OBJECT(it)) {
			(void)snprintf(err, errlen, "metadata %s[%zu] must be "
			    "a dict", what, i);
			return -1;
		}
		if (need_name && ((nm = json_get_str(it, "Name")) == NULL ||
		    nm[0] == '\0')) {
			(void)snprintf(err, errlen, "metadata %s[%zu] has no "
			    "Name", what, i);
			return -1;
		}
	}
	return 0;
}

int
sched_meta_build(const char *out, size_t len, const char *modname,
    yajl_gen g, int *incomplete, char *err, size_t errlen)
{
	static const char *const top[] = { "classname", "modulename",
	    "metadata", NULL };
	yajl_val	 doc, md, v, in, outs, models, edm;
	const char	*cls, *mod, *wid, *desc = "", *bad;
	char		 perr[128];
	int		 rc = -1;

	*incomplete = 0;
	if (len == 0) {
		(void)snprintf(err, errlen, "the inspector printed nothing");
		return -1;
	}
	if ((doc = json_parse(out, len, SCHED_OUT_MAX, META_DEPTH, perr,
	    sizeof(perr))) == NULL) {
		(void)snprintf(err, errlen, "metadata is not valid JSON "
		    "(%s)", perr);
		return -1;
	}
	if (!YAJL_IS_OBJECT(doc) || json_only_keys(doc, top, &bad) == -1 ||
	    (cls = json_get_str(doc, "classname")) == NULL ||
	    (mod = json_get_str(doc, "modulename")) == NULL ||
	    (md = json_get(doc, "metadata")) == NULL || !YAJL_IS_OBJECT(md)) {
		(void)snprintf(err, errlen, "the inspector's answer is "
		    "malformed");
		goto out;
	}
	if (!ident_ok(cls) || !ident_ok(mod) || strcmp(mod, modname) != 0) {
		(void)snprintf(err, errlen, "the inspector's answer names a "
		    "bad class or module");
		goto out;
	}
	/* ID, Inputs and Outputs are required (the original's check). */
	v = json_get(md, "ID");
	in = json_get(md, "Inputs");
	outs = json_get(md, "Outputs");
	if (v == NULL || YAJL_IS_NULL(v) || (YAJL_IS_STRING(v) &&
	    v->u.string[0] == '\0') || in == NULL || YAJL_IS_NULL(in) ||
	    outs == NULL || YAJL_IS_NULL(outs)) {
		*incomplete = 1;
		(void)snprintf(err, errlen, "incomplete metadata");
		goto out;
	}
	if (!YAJL_IS_STRING(v) || strlen(v->u.string) > SCHED_WID_MAX) {
		(void)snprintf(err, errlen, "metadata ID must be a string of "
		    "at most %d characters", SCHED_WID_MAX);
		goto out;
	}
	wid = v->u.string;
	if ((v = json_get(md, "Description")) != NULL && !YAJL_IS_NULL(v)) {
		if (!YAJL_IS_STRING(v) ||
		    strlen(v->u.string) > SCHED_DESC_MAX) {
			(void)snprintf(err, errlen, "metadata Description "
			    "must be a string of at most %d characters",
			    SCHED_DESC_MAX);
			goto out;
		}
		desc = v->u.string;
	}
	if (items_ok(in, "Inputs", 1, err, errlen) == -1 ||
	    items_ok(outs, "Outputs", 1, err, errlen) == -1)
		goto out;
	models = json_get(md, "Models");
	if (models != NULL && YAJL_IS_NULL(models))
		models = NULL;
	if (models != NULL && items_ok(models, "Models", 1, err,
	    errlen) == -1)
		goto out;
	edm = json_get(md, "EDMMapping");
	if (edm != NULL && YAJL_IS_NULL(edm))
		edm = NULL;
	if (edm != NULL && items_ok(edm, "EDMMapping", 0, err, errlen) == -1)
		goto out;

	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "wid", wid);
	json_gen_kv_str(g, "Description", desc);
	json_gen_kv_str(g, "classname", cls);
	json_gen_kv_str(g, "modulename", mod);
	json_gen_cstr(g, "IOCard");
	(void)yajl_gen_map_open(g);
	json_gen_cstr(g, "Inputs");
	json_gen_val(g, in);
	json_gen_cstr(g, "Outputs");
	json_gen_val(g, outs);
	(void)yajl_gen_map_close(g);
	json_gen_cstr(g, "Models");
	if (models != NULL)
		json_gen_val(g, models);
	else {
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_array_close(g);
	}
	json_gen_cstr(g, "EDMMapping");
	if (edm != NULL)
		json_gen_val(g, edm);
	else {
		(void)yajl_gen_array_open(g);
		(void)yajl_gen_array_close(g);
	}
	if (yajl_gen_map_close(g) != yajl_gen_status_ok) {
		(void)snprintf(err, errlen, "metadata cannot be written as "
		    "JSON");
		goto out;
	}
	rc = 0;
out:
	yajl_tree_free(doc);
	return rc;
}
