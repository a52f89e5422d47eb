/*
 * test_vpn_wgdump.c - unit tests for the vpn service's parser of `wg show
 * dump` output (services/vpn/parse_wgdump.c): one-interface and
 * all-interface dumps, the /vpn-status2/ shape (active peers only, byte
 * sums, UTC time stamps, key-prefix names), endpoints hidden unless asked
 * for, private and preshared keys never in the output or in an error, and
 * malformed input refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "vpn.h"

#define PRIV	"cHJpdmF0ZS1rZXktb2YtdGhlLWh1Yi0wMDAwMDAwMDA="
#define HUBPUB	"aHViLXB1YmxpYy1rZXktMDAwMDAwMDAwMDAwMDAwMDA="
#define PEER1	"cGVlci1vbmUtcHVibGljLWtleS0wMDAwMDAwMDAwMDA="
#define PSK1	"cHJlc2hhcmVkLWtleS1vbmUtMDAwMDAwMDAwMDAwMDA="
#define PEER2	"cGVlci10d28tcHVibGljLWtleS0wMDAwMDAwMDAwMDA="

static const char one[] =
    PRIV "\t" HUBPUB "\t51823\toff\n"
    PEER1 "\t" PSK1 "\t198.51.100.7:51820\t172.24.1.10/32\t"
    "1733738515\t2097152\t1048576\t20\n"
    PEER2 "\t(none)\t(none)\t172.24.1.11/32\t0\t0\t0\toff\n";

/* "Now" for the online flag: a minute after the sample's handshake
 * (2024-12-09T10:01:55 UTC). */
#define TEST_NOW	(1733738515 + 60)

static char *
render(const char *in, size_t len, int show, char *err, size_t errlen)
{
	struct wgdump		*d = calloc(1, sizeof(*d));
	yajl_gen		 g = json_gen_new();
	const unsigned char	*b;
	size_t			 l;
	char			*out = NULL;

	assert_non_null(d);
	assert_non_null(g);
	if (wgdump_parse(d, in, len, "test", err, errlen) == 0) {
		assert_int_equal(wgdump_json(d, show, TEST_NOW, g), 0);
		assert_int_equal(yajl_gen_get_buf(g, &b, &l),
		    yajl_gen_status_ok);
		out = calloc(1, l + 1);
		assert_non_null(out);
		memcpy(out, b, l);
	}
	yajl_gen_free(g);
	free(d);
	return out;
}

static void
test_shape(void **state)
{
	char		 err[128];
	char		*out = render(one, sizeof(one) - 1, 0, err, sizeof(err));
	yajl_val	 v, t, p;

	(void)state;
	assert_non_null(out);
	v = json_parse(out, strlen(out), 1 << 20, 8, err, sizeof(err));
	assert_non_null(v);
	t = json_get(v, "test");
	assert_non_null(t);
	assert_true(YAJL_IS_NULL(json_get(t, "ipAddr")));
	assert_int_equal(YAJL_GET_INTEGER(json_get(json_get(t, "bytes"),
	    "tx")), 1048576);
	assert_int_equal(YAJL_GET_INTEGER(json_get(json_get(t, "bytes"),
	    "rx")), 2097152);
	/* Only the active peer (rx > 0). */
	assert_int_equal(YAJL_GET_ARRAY(json_get(t, "peers"))->len, 1);
	p = YAJL_GET_ARRAY(json_get(t, "peers"))->values[0];
	assert_string_equal(json_get_str(p, "vpnAddr"), "172.24.1.10/32");
	assert_string_equal(json_get_str(p, "publicKey"), PEER1);
	assert_string_equal(json_get_str(p, "name"), "cGVlci1v");
	assert_true(YAJL_IS_TRUE(json_get(p, "online")));
	assert_string_equal(json_get_str(p, "lastHandshake"),
	    "2024-12-09T10:01:55");
	assert_true(YAJL_IS_NULL(json_get(p, "remote")));
	/* No key material but public keys, no endpoint. */
	assert_null(strstr(out, PRIV));
	assert_null(strstr(out, PSK1));
	assert_null(strstr(out, HUBPUB));
	assert_null(strstr(out, "198.51.100.7"));
	yajl_tree_free(v);
	free(out);
}

static void
test_endpoints(void **state)
{
	char		 err[128];
	char		*out = render(one, sizeof(one) - 1, 1, err, sizeof(err));

	(void)state;
	assert_non_null(out);
	assert_non_null(strstr(out,
	    "\"remote\":{\"host\":\"198.51.100.7\",\"port\":51820}"));
	assert_null(strstr(out, PRIV));
	assert_null(strstr(out, PSK1));
	free(out);
}

static void
test_all(void **state)
{
	static const char all[] =
	    "test\t" PRIV "\t" HUBPUB "\t51823\t0xca6c\n"
	    "test\t" PEER1 "\t" PSK1 "\t[2001:db8::1]:51820\t"
	    "fd00::10/128,172.24.1.10/32\t0\t5\t6\toff\n"
	    "wg1\t" PRIV "\t(none)\t0\toff\n"
	    "wg1\t" PEER2 "\t(none)\t192.0.2.1:1\t(none)\t1\t7\t8\t25";
	char		 err[128];
	char		*out = render(all, sizeof(all) - 1, 1, err, sizeof(err));

	(void)state;
	assert_non_null(out);
	assert_non_null(strstr(out, "\"test\":{"));
	assert_non_null(strstr(out, "\"wg1\":{"));
	assert_non_null(strstr(out, "\"vpnAddr\":\"fd00::10/128\""));
	assert_non_null(strstr(out, "\"host\":\"2001:db8::1\""));
	assert_non_null(strstr(out, "\"lastHandshake\":\"1970-01-01T00:00:00\""));
	assert_non_null(strstr(out, "\"online\":false"));
	assert_non_null(strstr(out, "\"vpnAddr\":null"));
	assert_null(strstr(out, PRIV));
	assert_null(strstr(out, PSK1));
	free(out);
}

static void
test_bad(void **state)
{
	static const char *bad[] = {
	    "",
	    "\n",
	    PRIV "\t" HUBPUB "\t51823\n",
	    PRIV "\t" HUBPUB "\t65536\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\n" PRIV "\t" HUBPUB "\t1\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\n" "short\t" PSK1
		"\t(none)\t(none)\t0\t0\t0\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\n" PEER1 "\t" PSK1
		"\t198.51.100.7\t(none)\t0\t0\t0\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\n" PEER1 "\t" PSK1
		"\t(none)\t172.24.1.10\t0\t0\t0\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\n" PEER1 "\t" PSK1
		"\t(none)\t172.24.1.10/33\t0\t0\t0\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\n" PEER1 "\t" PSK1
		"\t(none)\t172.24.1.10/32,\t0\t0\t0\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\n" PEER1 "\t" PSK1
		"\t(none)\t(none)\t-1\t0\t0\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\n" PEER1 "\t" PSK1
		"\t(none)\t(none)\t0\t99999999999999999999\t0\toff\n",
	    PRIV "\t" HUBPUB "\t51823\toff\r\n",
	    "test\t" PRIV "\t" HUBPUB "\t1\toff\n" "wg1\t" PEER1 "\t" PSK1
		"\t(none)\t(none)\t0\t0\t0\toff\n",
	    "test\t" PRIV "\t" HUBPUB "\t1\toff\n" "test\t" PRIV "\t" HUBPUB
		"\t1\toff\n",
	    "a/b\t" PRIV "\t" HUBPUB "\t1\toff\n",
	};
	char	 err[128];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = render(bad[i], strlen(bad[i]), 1, err,
		    sizeof(err));

		if (out != NULL)
			fail_msg("case %zu accepted: %s", i, out);
		assert_non_null(strstr(err, "line "));
		/* Errors never quote a field. */
		assert_null(strstr(err, "cHJ"));
		assert_null(strstr(err, "aHV"));
	}
}

static void
test_limits(void **state)
{
	size_t	 n = WG_PEERS_MAX + 2, cap = 200 * n, len = 0, i;
	char	*buf = malloc(cap), err[128], *out;

	(void)state;
	assert_non_null(buf);
	len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t1\toff\n",
	    PRIV, HUBPUB);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
		    "%s\t(none)\t(none)\t(none)\t0\t1\t1\toff\n", PEER1);
	out = render(buf, len, 0, err, sizeof(err));
	assert_null(out);
	assert_non_null(strstr(err, "too many peers"));
	/* A line over WG_LINE_MAX. */
	memset(buf, 'A', WG_LINE_MAX + 1);
	out = render(buf, WG_LINE_MAX + 1, 0, err, sizeof(err));
	assert_null(out);
	assert_non_null(strstr(err, "line too long"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
