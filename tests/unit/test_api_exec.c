/*
 * test_api_exec.c - unit tests for api_exec_allowed() (api_auth.c): what
 * an execution token (the scheduler's runner, spec/scheduler.md 12.7)
 * may reach, routed through the real route table (api_route()).  Its own
 * execution, inputs, outputs and items may be read, its output items and
 * the set_param keys workflowURI and loggerURI written (and a Status of
 * Running, Finished or Failed passed on as a hint); workflows, IOData and
 * files read, files uploaded.  Another execution's id anywhere in the
 * path, every other route (lists, create, schedule, cancel, livelog,
 * input items, users, use cases, workflow writes, settings, statistics)
 * and every other set_param body are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

struct api A;	/* api.c (not linked) defines it */

#define OWN	"64b0c1a2b3c4d5e6f7a8b9c0"
#define OTHER	"64b0c1a2b3c4d5e6f7a8b9c1"
#define WID	"5f0c1a2b3c4d5e6f7a8b9c0d"

/* Route method path for an execution token of execution exec with body
 * (NULL: none); the decision, or -1 if nothing is routed there. */
static int
allowed(const char *method, const char *path, const char *exec,
    const char *body)
{
	const struct api_route	*rt;
	struct api_req		*r;
	unsigned		 code = 0;
	char			 allow[64];
	int			 ok;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fail_msg("calloc");
	rt = api_route(method, path, r, &code, allow, sizeof(allow));
	if (rt == NULL) {
		free(r);
		return -1;
	}
	(void)snprintf(r->u.id, sizeof(r->u.id), "%s", WID);
	(void)snprintf(r->u.exec, sizeof(r->u.exec), "%s", exec);
	r->body = body != NULL ? body : "";
	r->blen = strlen(r->body);
	ok = api_exec_allowed(rt, r);
	free(r);
	return ok;
}

static const char *const own_reads[] = {
	"/api/executions/" OWN,
	"/api/executions/" OWN "/",
	"/api/executions/" OWN "/inputs",
	"/api/executions/" OWN "/outputs",
	"/api/executions/" OWN "/input_item/x",
	"/api/executions/" OWN "/input_item/x/7",
	"/api/executions/" OWN "/input_item/x//",
	"/api/executions/" OWN "/output_item/y",
	"/api/executions/" OWN "/output_item/y/7",
	NULL,
};

static void
test_own_execution(void **state)
{
	char	path[256];
	size_t	i;

	(void)state;
	for (i = 0; own_reads[i] != NULL; i++) {
		if (allowed("GET", own_reads[i], OWN, NULL) != 1)
			fail_msg("refused GET %s", own_reads[i]);
		if (allowed("HEAD", own_reads[i], OWN, NULL) != 1)
			fail_msg("refused HEAD %s", own_reads[i]);
		/* Another execution's: refused. */
		(void)strlcpy(path, own_reads[i], sizeof(path));
		memcpy(path + strlen("/api/executions/"), OTHER, 24);
		if (allowed("GET", path, OWN, NULL) != 0)
			fail_msg("allowed GET %s", path);
	}
	assert_int_equal(allowed("PATCH", "/api/executions/" OWN
	    "/output_item/y", OWN, "{\"object\":{}}"), 1);
	assert_int_equal(allowed("PATCH", "/api/executions/" OWN
	    "/output_item/y/3", OWN, "{\"object\":{}}"), 1);
	assert_int_equal(allowed("PATCH", "/api/executions/" OWN
	    "/output_item/y//", OWN, "{\"object\":{}}"), 1);
	assert_int_equal(allowed("PATCH", "/api/executions/" OTHER
	    "/output_item/y", OWN, "{\"object\":{}}"), 0);
	assert_int_equal(allowed("PATCH", "/api/executions/" OTHER
	    "/output_item/y/3", OWN, "{\"object\":{}}"), 0);
	/* An id that is not one, or percent-encoded, is not the token's. */
	assert_int_equal(allowed("GET", "/api/executions/%36"
	    "4b0c1a2b3c4d5e6f7a8b9c0", OWN, NULL), 1);
	assert_int_equal(allowed("GET", "/api/executions/" OWN "x", OWN,
	    NULL), 0);
	assert_int_equal(allowed("GET", "/api/executions/64B0C1A2B3C4D5E6F7A8"
	    "B9C0", OWN, NULL), 0);
}

static void
test_set_param(void **state)
{
	static const char *const ok[] = {
		"{\"key\":\"workflowURI\",\"value\":\"PYRO:obj@10.0.0.2:4000\"}",
		"{\"key\":\"loggerURI\",\"value\":\"PYRO:log@10.0.0.2:4001\"}",
		"{\"value\":\"x\",\"key\":\"loggerURI\"}",
		"{\"key\":\"Status\",\"value\":\"Running\"}",
		"{\"key\":\"Status\",\"value\":\"Finished\"}",
		"{\"key\":\"Status\",\"value\":\"Failed\"}",
		NULL,
	};
	static const char *const bad[] = {
		"{\"key\":\"Status\",\"value\":\"Created\"}",
		"{\"key\":\"Status\",\"value\":\"Pending\"}",
		"{\"key\":\"Status\",\"value\":\"Scheduled\"}",
		"{\"key\":\"Status\",\"value\":\"finished\"}",
		"{\"key\":\"Status\"}",
		"{\"key\":\"Status\",\"value\":1}",
		"{\"key\":\"Attempts\",\"value\":\"0\"}",
		"{\"key\":\"ExecutionLog\",\"value\":\"" WID "\"}",
		"{\"key\":\"label\",\"value\":\"x\"}",
		"{\"key\":\"RequestedBy\",\"value\":\"" WID "\"}",
		"{\"key\":\"SubmittedDate\",\"value\":\"2026-01-01T00:00:00\"}",
		"{\"key\":\"Task_ID\",\"value\":\"x\"}",
		"{\"key\":\"RunId\",\"value\":\"x\"}",
		"{\"key\":\"workflowURI.x\",\"value\":\"x\"}",
		"{\"key\":\"loggerURI\",\"key\":\"Status\",\"value\":\"Created\"}",
		"{\"key\":[\"loggerURI\"],\"value\":\"x\"}",
		"{\"value\":\"x\"}",
		"[\"loggerURI\"]",
		"",
		"not json",
		NULL,
	};
	size_t i;

	(void)state;
	for (i = 0; ok[i] != NULL; i++) {
		if (allowed("PATCH", "/api/executions/" OWN "/set_param", OWN,
		    ok[i]) != 1)
			fail_msg("refused %s", ok[i]);
		if (allowed("PATCH", "/api/executions/" OTHER "/set_param",
		    OWN, ok[i]) != 0)
			fail_msg("allowed on another execution: %s", ok[i]);
	}
	for (i = 0; bad[i] != NULL; i++)
		if (allowed("PATCH", "/api/executions/" OWN "/set_param", OWN,
		    bad[i]) != 0)
			fail_msg("allowed %s", bad[i]);
}

static void
test_shared_reads(void **state)
{
	(void)state;
	assert_int_equal(allowed("GET", "/api/workflows/wf1", OWN, NULL), 1);
	assert_int_equal(allowed("GET", "/api/workflows_by_wid/wf1", OWN,
	    NULL), 1);
	assert_int_equal(allowed("GET", "/api/workflows_by_wid/wf1/version/2",
	    OWN, NULL), 1);
	assert_int_equal(allowed("GET", "/api/iodata/" WID, OWN, NULL), 1);
	assert_int_equal(allowed("GET", "/api/file/" WID, OWN, NULL), 1);
	assert_int_equal(allowed("POST", "/api/file", OWN, NULL), 1);
}

static void
test_everything_else(void **state)
{
	static const char *const bad[][2] = {
		{ "GET", "/api/executions" },
		{ "GET", "/api/executions/" },
		{ "POST", "/api/executions/create" },
		{ "PATCH", "/api/executions/" OWN "/schedule" },
		{ "PATCH", "/api/executions/" OWN "/cancel" },
		{ "GET", "/api/executions/" OWN "/livelog/10" },
		{ "GET", "/api/executions/" OWN "/check_inputs" },
		{ "PATCH", "/api/executions/" OWN "/input_item/x" },
		{ "PATCH", "/api/executions/" OWN "/input_item/x/1" },
		{ "PATCH", "/api/executions/" OWN "/set_onto_base_object_id" },
		{ "PATCH", "/api/executions/" OWN "/set_onto_base_object_ids" },
		{ "GET", "/api/edm_execution/" OWN },
		{ "GET", "/api/current_user" },
		{ "GET", "/api/users" },
		{ "GET", "/api/users/" WID },
		{ "PATCH", "/api/users/" WID },
		{ "GET", "/api/usecases" },
		{ "POST", "/api/usecases" },
		{ "GET", "/api/usecases/uc1" },
		{ "GET", "/api/usecases/uc1/workflows" },
		{ "POST", "/api/usecases/uc1/workflows" },
		{ "GET", "/api/workflows" },
		{ "POST", "/api/workflows" },
		{ "PATCH", "/api/workflows" },
		{ "POST", "/api/workflows_history" },
		{ "GET", "/api/status" },
		{ "GET", "/api/execution_statistics" },
		{ "GET", "/api/settings" },
		{ "GET", "/api/database/maybe_init" },
		{ "GET", "/api/scheduler_statistics" },
		{ "PATCH", "/api/scheduler_statistics" },
		{ "GET", "/api" },
		{ NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; bad[i][0] != NULL; i++) {
		int ok = allowed(bad[i][0], bad[i][1], OWN,
		    "{\"key\":\"loggerURI\",\"value\":\"x\"}");

		if (ok == -1)
			fail_msg("no route %s %s", bad[i][0], bad[i][1]);
		if (ok != 0)
			fail_msg("allowed %s %s", bad[i][0], bad[i][1]);
	}
}

/* Without an execution (a user's token) the function says no: it is
 * only asked about execution tokens. */
static void
test_not_an_exec_token(void **state)
{
	(void)state;
	assert_int_equal(allowed("GET", "/api/executions/" OWN, "", NULL), 0);
	assert_int_equal(allowed("GET", "/api/executions/" OWN, "64b0", NULL),
	    0);
	assert_int_equal(api_exec_allowed(NULL, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_execution),
		cmocka_unit_test(test_set_param),
		cmocka_unit_test(test_shared_reads),
		cmocka_unit_test(test_everything_else),
		cmocka_unit_test(test_not_an_exec_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
