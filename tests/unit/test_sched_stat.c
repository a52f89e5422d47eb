/*
 * test_sched_stat.c - unit tests for the scheduler's statistics
 * (services/scheduler/sched_stat.c): the update rules of spec
 * scheduler.md 8.1 (scheduled, running, finished, the last five jobs),
 * the 48-hour histogram shifting with time, both JSON forms, and the
 * reader of scheduler-stat.json (round trip, refusals, a job left
 * Running becomes Failed, running/scheduled never taken from the file).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "sched_stat.h"

#define HOUR_MS	(3600LL * 1000)
#define T0	(481618LL * HOUR_MS + 1000)

static yajl_val
gen(const struct sched_stat *s, int raw)
{
	yajl_gen		 g = json_gen_new();
	const unsigned char	*b;
	size_t			 l;
	char			 err[128];
	yajl_val		 v;

	assert_non_null(g);
	if (raw)
		sched_stat_gen_raw(s, g);
	else
		sched_stat_gen_old(s, g);
	(void)yajl_gen_get_buf(g, &b, &l);
	v = json_parse(b, l, 1 << 20, 8, err, sizeof(err));
	assert_non_null(v);
	yajl_gen_free(g);
	return v;
}

static long long
num(yajl_val v, const char *k)
{
	long long n;

	assert_int_equal(json_get_int(v, k, &n), 0);
	return n;
}

static void
test_rules(void **state)
{
	struct sched_stat	s;
	yajl_val		v, jobs, j;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.slots = 4;
	sched_stat_scheduled(&s, T0, 3);
	sched_stat_running(&s, T0 + 1, "aaaaaaaaaaaaaaaaaaaaaaa1", "wf");
	assert_int_equal(s.scheduled, 2);
	assert_int_equal(s.running, 1);
	assert_int_equal(s.load, 25);
	sched_stat_finished(&s, T0 + 2, "aaaaaaaaaaaaaaaaaaaaaaa1", 1);
	assert_int_equal(s.running, 0);
	assert_int_equal(s.processed, 1);
	assert_int_equal(s.finished, 1);
	sched_stat_running(&s, T0 + 3, "aaaaaaaaaaaaaaaaaaaaaaa2", "wf");
	sched_stat_finished(&s, T0 + 4, "aaaaaaaaaaaaaaaaaaaaaaa2", 0);
	assert_int_equal(s.failed, 1);
	v = gen(&s, 0);
	assert_int_equal(num(v, "processedTasks"), 2);
	assert_int_equal(num(v, "failedTasks"), 1);
	jobs = json_get(v, "lastJobs");
	assert_true(YAJL_IS_ARRAY(jobs) && jobs->u.array.len == 2);
	j = jobs->u.array.values[1];
	assert_true(YAJL_IS_ARRAY(j) && j->u.array.len == 5);
	assert_string_equal(j->u.array.values[2]->u.string, "Failed");
	assert_true(YAJL_IS_STRING(j->u.array.values[4]));
	assert_int_equal(json_get(v, "pooledTasks48")->u.array.len, 48);
	assert_int_equal(YAJL_GET_INTEGER(json_get(v,
	    "pooledTasks48")->u.array.values[47]), 3);
	yajl_tree_free(v);
}

static void
test_last_five_and_shift(void **state)
{
	struct sched_stat	s;
	char			id[25];
	int			i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.slots = 1;
	for (i = 0; i < 7; i++) {
		(void)snprintf(id, sizeof(id), "%024d", i);
		sched_stat_running(&s, T0, id, "wf");
		sched_stat_finished(&s, T0, id, 1);
	}
	assert_int_equal(s.nlast, 5);
	assert_string_equal(s.last[0].we_id, "000000000000000000000002");
	assert_int_equal(s.hist[SCHED_H_PROCESSED][47], 7);
	/* Three hours later the bucket moved three to the left. */
	sched_stat_tick(&s, T0 + 3 * HOUR_MS);
	assert_int_equal(s.hist[SCHED_H_PROCESSED][44], 7);
	assert_int_equal(s.hist[SCHED_H_PROCESSED][47], 0);
	assert_int_equal(s.head, 481618 + 3);
	/* Two days later nothing is left. */
	sched_stat_tick(&s, T0 + 60 * HOUR_MS);
	assert_int_equal(s.hist[SCHED_H_PROCESSED][44], 0);
}

static void
test_file_round_trip(void **state)
{
	struct sched_stat	 s, t;
	char			 path[] = "/tmp/test_sched_stat_XXXXXX";
	int			 fd;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.slots = 2;
	sched_stat_running(&s, T0, "bbbbbbbbbbbbbbbbbbbbbbb1", "wf");
	sched_stat_running(&s, T0, "bbbbbbbbbbbbbbbbbbbbbbb2", "wf");
	sched_stat_finished(&s, T0, "bbbbbbbbbbbbbbbbbbbbbbb1", 1);
	assert_true((fd = mkstemp(path)) != -1);
	(void)close(fd);
	assert_int_equal(sched_stat_save(&s, path), 0);
	memset(&t, 0, sizeof(t));
	t.slots = 2;
	sched_stat_load(&t, path);
	(void)unlink(path);
	assert_int_equal(t.processed, 1);
	assert_int_equal(t.finished, 1);
	/* Counters of the past, never what was running. */
	assert_int_equal(t.running, 0);
	assert_int_equal(t.nlast, 2);
	assert_string_equal(t.last[1].status, "Failed");
	assert_memory_equal(t.hist, s.hist, sizeof(s.hist));
}

static void
test_refusals(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{\"tasks\":{}}",
		"{\"tasks\":{\"processed\":1,\"finished\":1,\"failed\":0},"
		"\"lastJobs\":[],\"hist48h\":{\"interval\":60,\"count\":48,"
		"\"headPeriod\":1}}",
		"{\"tasks\":{\"processed\":-1,\"finished\":1,\"failed\":0},"
		"\"lastJobs\":[],\"hist48h\":{\"interval\":3600,\"count\":48,"
		"\"headPeriod\":1}}",
	};
	struct sched_stat	s;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.processed = 99;
		assert_int_equal(sched_stat_parse(&s, bad[i], strlen(bad[i])),
		    -1);
		assert_int_equal(s.processed, 99);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_last_five_and_shift),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
