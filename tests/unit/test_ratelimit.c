/*
 * test_ratelimit.c - unit tests for lib/ratelimit.c: the X-Forwarded-For
 * last-hop parser takes only a plain numeric address after the last comma
 * (blanks trimmed) and refuses ports, brackets, zones, names, control
 * characters, empty and over-long values; the token bucket allows burst
 * requests, then refuses with a Retry-After, refills at rate, keeps
 * addresses apart (IPv6 per /64), and a table flooded with many addresses
 * stays within its size while a known client keeps its state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static int
xff(const char *s, char *out)
{
	struct rl_addr a;

	if (xff_last_hop(s, strlen(s), &a) == -1)
		return -1;
	rl_addr_format(&a, out, RL_ADDR_TEXT);
	return 0;
}

static void
t_xff_good(void **state)
{
	char out[RL_ADDR_TEXT];

	(void)state;
	assert_int_equal(xff("203.0.113.7", out), 0);
	assert_string_equal(out, "203.0.113.7");
	assert_int_equal(xff("198.51.100.1, 203.0.113.7", out), 0);
	assert_string_equal(out, "203.0.113.7");
	/* earlier hops are the client's text: never read */
	assert_int_equal(xff("garbage ;; [x], 192.0.2.1", out), 0);
	assert_string_equal(out, "192.0.2.1");
	assert_int_equal(xff(" 10.0.0.1 ,\t192.0.2.44 \t", out), 0);
	assert_string_equal(out, "192.0.2.44");
	assert_int_equal(xff("unknown, 2001:DB8::1", out), 0);
	assert_string_equal(out, "2001:db8::1");
	/* IPv4-mapped IPv6 is the IPv4 client */
	assert_int_equal(xff("::ffff:1.2.3.4", out), 0);
	assert_string_equal(out, "1.2.3.4");
}

static void
t_xff_bad(void **state)
{
	const char *bad[] = { "", " ", ",", "1.2.3.4,", "1.2.3.4, ",
	    "1.2.3.4:8080", "[2001:db8::1]", "[2001:db8::1]:80",
	    "fe80::1%eth0", "localhost", "999.1.1.1", "1.2.3", "01.2.3.4",
	    "1.2.3.4 5.6.7.8", "1.2.3.4\r\n", "1.2.3.4\n", "unknown",
	    "0x7f.0.0.1", "1.2.3.4;", "::1::", "abcd" };
	char		out[RL_ADDR_TEXT], big[XFF_MAX_LEN + 16];
	struct rl_addr	a;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(xff(bad[i], out), -1);
	/* a NUL inside */
	assert_int_equal(xff_last_hop("1.2.3.4\0", 8, &a), -1);
	/* over-long, even with a good last hop */
	memset(big, ' ', sizeof(big));
	memcpy(big + sizeof(big) - 8, "1.2.3.4", 7);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(xff_last_hop(big, strlen(big), &a), -1);
	assert_int_equal(xff_last_hop(NULL, 0, &a), -1);
}

static struct rl_addr
A(const char *s)
{
	struct rl_addr a;

	assert_int_equal(rl_addr_parse(s, strlen(s), &a), 0);
	return a;
}

static void
t_bucket(void **state)
{
	struct ratelimit	rl;
	struct rl_addr		x = A("192.0.2.1"), y = A("192.0.2.2");
	unsigned		retry = 0;
	int			i;

	(void)state;
	assert_int_equal(rl_init(&rl, 2, 5, 64), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(rl_take(&rl, &x, 1000, &retry), 1);
	assert_int_equal(rl_take(&rl, &x, 1000, &retry), 0);
	assert_int_equal(retry, 1);
	/* another address is untouched */
	assert_int_equal(rl_take(&rl, &y, 1000, &retry), 1);
	/* 2/s: one token back after 500 ms, not before */
	assert_int_equal(rl_take(&rl, &x, 1400, &retry), 0);
	assert_int_equal(rl_take(&rl, &x, 1500, &retry), 1);
	assert_int_equal(rl_take(&rl, &x, 1500, &retry), 0);
	/* a long pause refills to burst, never more */
	for (i = 0; i < 5; i++)
		assert_int_equal(rl_take(&rl, &x, 1000000, &retry), 1);
	assert_int_equal(rl_take(&rl, &x, 1000000, &retry), 0);
	/* time going backwards gives nothing */
	assert_int_equal(rl_take(&rl, &x, 10, &retry), 0);
	rl_free(&rl);
}

static void
t_retry_after(void **state)
{
	struct ratelimit	rl;
	struct rl_addr		x = A("2001:db8::1");
	unsigned		retry = 0;

	(void)state;
	/* 1 token every 10 s */
	assert_int_equal(rl_init(&rl, 1, 1, 16), 0);
	rl.rate = 1;
	assert_int_equal(rl_take(&rl, &x, 0, &retry), 1);
	assert_int_equal(rl_take(&rl, &x, 0, &retry), 0);
	assert_int_equal(retry, 1);
	rl_free(&rl);
}

static void
t_ipv6_prefix(void **state)
{
	struct ratelimit	rl;
	struct rl_addr		x = A("2001:db8:0:1::1"), y = A("2001:db8:0:1::2"),
				z = A("2001:db8:0:2::1");
	unsigned		retry;

	(void)state;
	assert_int_equal(rl_init(&rl, 1, 1, 64), 0);
	assert_int_equal(rl_take(&rl, &x, 0, &retry), 1);
	assert_int_equal(rl_take(&rl, &y, 0, &retry), 0);	/* same /64 */
	assert_int_equal(rl_take(&rl, &z, 0, &retry), 1);
	rl_free(&rl);
}

static void
t_off(void **state)
{
	struct ratelimit	rl;
	struct rl_addr		x = A("192.0.2.1");
	int			i;

	(void)state;
	assert_int_equal(rl_init(&rl, 0, 0, 64), 0);
	assert_null(rl.slot);
	for (i = 0; i < 10000; i++)
		assert_int_equal(rl_take(&rl, &x, 0, NULL), 1);
	rl_free(&rl);
}

static void
t_flood_of_addresses(void **state)
{
	struct ratelimit	rl;
	struct rl_addr		x = A("198.51.100.9"), a;
	unsigned		retry;
	size_t			n0;
	int			i, j, ok;

	(void)state;
	assert_int_equal(rl_init(&rl, 10, 2, 1000), 0);
	n0 = rl.nslots;
	assert_int_equal(n0, 1024);
	/* 100000 addresses pass, one a millisecond, each once, while x
	 * keeps draining its bucket every 64 ms: the table never grows,
	 * and x, busy the whole time, is not forgotten (were it, a fresh
	 * bucket would let 2 requests through; 64 ms at 10/s refill less
	 * than one token). */
	for (j = 0; j < 3; j++)
		(void)rl_take(&rl, &x, 0, &retry);
	for (i = 1; i <= 100000; i++) {
		a = A("10.0.0.0");
		a.a[13] = (uint8_t)(i >> 16);
		a.a[14] = (uint8_t)(i >> 8);
		a.a[15] = (uint8_t)i;
		(void)rl_take(&rl, &a, i, &retry);
		if (i % 64 == 0) {
			for (j = 0, ok = 0; j < 3; j++)
				ok += rl_take(&rl, &x, i, &retry);
			assert_true(ok <= 1);
		}
	}
	assert_int_equal(rl.nslots, n0);
	assert_true(rl.evictions > 90000);
	rl_free(&rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_xff_good),
		cmocka_unit_test(t_xff_bad),
		cmocka_unit_test(t_bucket),
		cmocka_unit_test(t_retry_after),
		cmocka_unit_test(t_ipv6_prefix),
		cmocka_unit_test(t_off),
		cmocka_unit_test(t_flood_of_addresses),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
