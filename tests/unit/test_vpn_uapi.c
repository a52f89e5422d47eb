/*
 * test_vpn_uapi.c - unit tests for the vpn service's parser of
 * wireguard-go's UAPI "get=1" answer (services/vpn/parse_uapi.c) and of
 * the peer map (parse_peermap.c): hex keys become base64, the
 * /vpn-status2/ shape with names from the map ("" for unknown peers),
 * endpoints only when asked for, private and preshared keys never in the
 * output or in an error, and malformed answers and maps refused.
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

/* Hex keys and their base64 (checked with `wg pubkey`'s encoding). */
#define PRIVHEX	"5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PSKHEX	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define PUB1HEX	"91262c6b3cc13491eb9e596c7bbb4871328e5ead46e2db3dbbd53b791ce01e49"
#define PUB1	"kSYsazzBNJHrnllse7tIcTKOXq1G4ts9u9U7eRzgHkk="
#define PUB2HEX	"0000000000000000000000000000000000000000000000000000000000000001"
#define PUB2	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="

#define PEER(hex, ep, hs, rx)						\
	"public_key=" hex "\npreshared_key=" PSKHEX			\
	"\nprotocol_version=1\n" ep					\
	"last_handshake_time_sec=" hs "\nlast_handshake_time_nsec=7\n"	\
	"tx_bytes=732\nrx_bytes=" rx "\npersistent_keepalive_interval=25\n"

static const char good[] =
    "private_key=" PRIVHEX "\nlisten_port=51820\n"
    PEER(PUB1HEX, "endpoint=198.51.100.7:51820\n", "1733738515", "820")
    "allowed_ip=10.78.0.2/32\nallowed_ip=fd00::/64\n"
    PEER(PUB2HEX, "", "0", "0")
    "allowed_ip=10.78.0.3/32\n"
    "errno=0\n\n";

static char *
render(const char *in, size_t len, const char *map, int show, char *err,
    size_t errlen)
{
	struct wgdump		*d = calloc(1, sizeof(*d));
	struct peermap		*m = calloc(1, sizeof(*m));
	yajl_gen		 g = json_gen_new();
	const unsigned char	*b;
	size_t			 l;
	char			*out = NULL;

	assert_non_null(d);
	assert_non_null(m);
	assert_non_null(g);
	if (uapi_parse(d, in, len, "test", err, errlen) == 0) {
		if (map != NULL) {
			assert_int_equal(peermap_parse(m, map, strlen(map),
			    err, errlen), 0);
			peermap_apply(m, d);
		}
		assert_int_equal(wgdump_json(d, show, 1733738515 + 60, g), 0);
		assert_int_equal(yajl_gen_get_buf(g, &b, &l),
		    yajl_gen_status_ok);
		out = calloc(1, l + 1);
		assert_non_null(out);
		memcpy(out, b, l);
	}
	yajl_gen_free(g);
	free(m);
	free(d);
	return out;
}

static void
no_secret(const char *s)
{
	assert_null(strstr(s, PRIVHEX));
	assert_null(strstr(s, PSKHEX));
	assert_null(strstr(s, "5aaaaaaa"));
	assert_null(strstr(s, "bbbbbbbb"));
}

static void
test_shape_prefix_names(void **state)
{
	char	err[160], *o;

	(void)state;
	o = render(good, sizeof(good) - 1, NULL, 0, err, sizeof(err));
	assert_non_null(o);
	assert_string_equal(o, "{\"test\":{\"ipAddr\":null,"
	    "\"bytes\":{\"tx\":732,\"rx\":820},\"peers\":[{"
	    "\"vpnAddr\":\"10.78.0.2/32\",\"bytes\":{\"tx\":732,\"rx\":820},"
	    "\"publicKey\":\"" PUB1 "\",\"name\":\"kSYsazzB\","
	    "\"lastHandshake\":\"2024-12-09T10:01:55\",\"online\":true,"
	    "\"remote\":null}]}}");
	no_secret(o);
	free(o);
}

static void
test_names_and_endpoints(void **state)
{
	char	err[160], *o;

	(void)state;
	o = render(good, sizeof(good) - 1, "{\"" PUB1 "\":\"alice\",\""
	    PUB2 "\":\"bob\"}", 1, err, sizeof(err));
	assert_non_null(o);
	assert_non_null(strstr(o, "\"name\":\"alice\""));
	assert_non_null(strstr(o, "\"remote\":{\"host\":\"198.51.100.7\","
	    "\"port\":51820}"));
	assert_null(strstr(o, PUB2));	/* inactive: rx 0 */
	free(o);
	/* A peer the map does not know: "" as the original. */
	o = render(good, sizeof(good) - 1, "{\"" PUB2 "\":\"bob\"}", 0, err,
	    sizeof(err));
	assert_non_null(o);
	assert_non_null(strstr(o, "\"name\":\"\""));
	free(o);
}

static void
test_bad_answers(void **state)
{
	static const struct {
		const char	*in, *why;
	} bad[] = {
		{ "", "line 0: empty answer" },
		{ "errno=0\n", "line 1: no empty line after the status" },
		{ "listen_port=1\n", "line 1: no status line" },
		{ "errno=-22\n\n", "line 1: wireguard-go answered errno -22" },
		{ "errno=0\n\nerrno=0\n\n", "line 2: data after the status" },
		{ "errno=0", "line 1: unterminated line" },
		{ "foo=1\nerrno=0\n\n", "line 1: unknown interface key" },
		{ "listen_port\nerrno=0\n\n", "line 1: not key=value" },
		{ "listen_port=65536\nerrno=0\n\n", "line 1: bad listen_port" },
		{ "listen_port=1\nlisten_port=1\nerrno=0\n\n",
		    "line 2: repeated listen_port" },
		{ "private_key=" PRIVHEX "0\nerrno=0\n\n",
		    "line 1: bad private_key length" },
		{ "public_key=" PUB1HEX "\npreshared_key=" PSKHEX "1\n"
		    "errno=0\n\n", "line 2: bad preshared_key length" },
		{ "public_key=" PUB1HEX "\npublic_key=" PUB1HEX "\n"
		    "errno=0\n\n", "line 2: duplicate peer" },
		{ "public_key=" PUB1HEX "x\nerrno=0\n\n",
		    "line 1: bad public_key" },
		{ "public_key=" PUB1HEX "\nprotocol_version=2\nerrno=0\n\n",
		    "line 2: unknown protocol_version" },
		{ "public_key=" PUB1HEX "\nendpoint=1.2.3.4\nerrno=0\n\n",
		    "line 2: bad endpoint" },
		{ "public_key=" PUB1HEX "\nallowed_ip=10.0.0.1/33\n"
		    "errno=0\n\n", "line 2: bad allowed_ip" },
		{ "public_key=" PUB1HEX "\nrx_bytes=-1\nerrno=0\n\n",
		    "line 2: bad rx_bytes" },
		{ "public_key=" PUB1HEX "\nlast_handshake_time_nsec="
		    "1000000000\nerrno=0\n\n",
		    "line 2: bad last_handshake_time_nsec" },
		{ "public_key=" PUB1HEX "\nlisten_port=1\nerrno=0\n\n",
		    "line 2: unknown peer key" },
		{ "listen_port=1\r\nerrno=0\n\n", "line 1: bad character" },
	};
	char	err[160];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(render(bad[i].in, strlen(bad[i].in), NULL, 0, err,
		    sizeof(err)));
		assert_string_equal(err, bad[i].why);
		no_secret(err);
	}
}

static void
test_limits(void **state)
{
	struct wgdump	*d = calloc(1, sizeof(*d));
	char		*big, err[160];
	size_t		 i, n = 0, cap = (WG_PEERS_MAX + 1) * 90 + 16;

	(void)state;
	assert_non_null(d);
	assert_non_null(big = malloc(cap));
	for (i = 0; i <= WG_PEERS_MAX; i++)
		n += (size_t)snprintf(big + n, cap - n, "public_key=%064zx\n",
		    i + 1);
	n += (size_t)snprintf(big + n, cap - n, "errno=0\n\n");
	assert_int_equal(uapi_parse(d, big, n, "t", err, sizeof(err)), -1);
	assert_string_equal(err, "line 1025: too many peers");
	/* One line too long. */
	memset(big, 'x', WG_LINE_MAX + 1);
	memcpy(big, "fwmark=", 7);
	big[WG_LINE_MAX + 1] = '\n';
	assert_int_equal(uapi_parse(d, big, WG_LINE_MAX + 2, "t", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 1: line too long");
	free(big);
	free(d);
}

static void
test_peermap(void **state)
{
	struct peermap	*m = calloc(1, sizeof(*m));
	char		 err[160];
	static const char *bad[] = {
		"[]", "{\"x\":\"a\"}", "{\"" PUB1 "\":1}", "{\"" PUB1 "\":\"\"}",
		"{\"" PUB1 "\":\"a\",\"" PUB1 "\":\"b\"}",
		"{\"" PUB1 "\":\"a\\nb\"}", "{\"" PUB1 "\":{\"a\":1}}", "{",
	};
	size_t		 i;

	(void)state;
	assert_non_null(m);
	assert_int_equal(peermap_parse(m, "{}", 2, err, sizeof(err)), 0);
	assert_int_equal(m->n, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(peermap_parse(m, bad[i], strlen(bad[i]), err,
		    sizeof(err)), -1);
		assert_int_equal(m->n, 0);
	}
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_prefix_names),
		cmocka_unit_test(test_names_and_endpoints),
		cmocka_unit_test(test_bad_answers),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_peermap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
