/*
 * test_wg.c - unit tests for lib/wgkey.c, lib/parse_topology.c and
 * lib/parse_wgconf.c (`mupif-central vpn keys`): public keys equal to
 * `wg pubkey`'s for fixed private keys (vectors made with wireguard-tools
 * 1.0.20210914: `wg genkey | tee k | wg pubkey`, plus the all-zero and
 * all-one keys), generated keys clamped as `wg genkey`, strict base64,
 * topology defaults and errors, and config files read back with their
 * friendly_json names, errors never quoting a key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg.h"

/* private key, `wg pubkey` of it */
static const char *const vectors[][2] = {
	{ "8DQ1D7xSshPiOMRhyre/ICw3aXLjKNpCtq/WpqxkwEU=",
	  "szfUyC8RzpDN5kqqFAY0SJ7MnJMhbCf49PmjDZ0AN1s=" },
	{ "gBKcu0tWlv/686VKZ/NXwEYC9eAm2zvB97Qr+Wdl80I=",
	  "enoQ1b89K8zNFjzOXNiEbRPVX/9r9CPMxq5+/OOHF2o=" },
	{ "eLvr6GteMq9yLkuNO8ib+6rncir2IncQXy0TCky6O0s=",
	  "Xs+paJmGpu5OY+F5cvBHlcWL+fvXWfMZR8CNUj1rXjM=" },
	/* unclamped inputs: wg and libsodium both clamp */
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	  "L+V9o0fNYkMVKNqsX7spBzD/9oSvxM/C7ZCZX1jLO3Q=" },
	{ "//////////////////////////////////////////8=",
	  "hHwNLDdSNPNl5mCVUYejc1oPdhPRYJ06ak2MU66qWiI=" },
};

static void
test_pubkey_vectors(void **state)
{
	uint8_t		sk[WGKEY_LEN], pk[WGKEY_LEN];
	char		b64[WGKEY_B64];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		assert_int_equal(wgkey_from_b64(vectors[i][0],
		    strlen(vectors[i][0]), sk), 0);
		assert_int_equal(wgkey_public(sk, pk), 0);
		wgkey_to_b64(pk, b64);
		assert_string_equal(b64, vectors[i][1]);
		wgkey_to_b64(sk, b64);		/* round trip */
		assert_string_equal(b64, vectors[i][0]);
	}
}

static void
test_generate(void **state)
{
	uint8_t		a[WGKEY_LEN], b[WGKEY_LEN], pk[WGKEY_LEN];
	char		t[WGKEY_B64];
	int		i;

	(void)state;
	for (i = 0; i < 64; i++) {
		wgkey_generate(a);
		assert_int_equal(a[0] & 7, 0);
		assert_int_equal(a[31] & 0xc0, 0x40);
		assert_int_equal(wgkey_public(a, pk), 0);
		wgkey_to_b64(a, t);
		assert_int_equal(strlen(t), 44);
		assert_int_equal(wgkey_from_b64(t, 44, b), 0);
		assert_memory_equal(a, b, WGKEY_LEN);
	}
	wgkey_psk(a);
	wgkey_psk(b);
	assert_memory_not_equal(a, b, WGKEY_LEN);
}

static void
test_b64_strict(void **state)
{
	uint8_t		k[WGKEY_LEN];
	const char	*ok = vectors[0][0];
	char		t[64];

	(void)state;
	assert_int_equal(wgkey_from_b64(ok, 43, k), -1);	/* short */
	assert_int_equal(wgkey_from_b64("", 0, k), -1);
	(void)snprintf(t, sizeof(t), "%s=", ok);		/* long */
	assert_int_equal(wgkey_from_b64(t, strlen(t), k), -1);
	(void)snprintf(t, sizeof(t), "%s", ok);
	t[42] = 'F';			/* low bits set: not canonical */
	assert_int_equal(wgkey_from_b64(t, 44, k), -1);
	t[42] = '!';
	assert_int_equal(wgkey_from_b64(t, 44, k), -1);
	(void)snprintf(t, sizeof(t), "%s", ok);
	t[43] = 'A';			/* no padding */
	assert_int_equal(wgkey_from_b64(t, 44, k), -1);
	/* URL-safe alphabet refused. */
	assert_int_equal(wgkey_from_b64(
	    "8DQ1D7xSshPiOMRhyre_ICw3aXLjKNpCtq_WpqxkwEU=", 44, k), -1);
}

/* Parse a topology; returns 0 or -1 and leaves the message in err. */
static int
topo(const char *doc, char *err, size_t errlen)
{
	struct topo	*t = calloc(1, sizeof(*t));
	int		 rc;

	assert_non_null(t);
	rc = topo_parse(t, doc, strlen(doc), err, errlen);
	free(t);
	return rc;
}

static void
test_topology(void **state)
{
	struct topo	*t = calloc(1, sizeof(*t));
	char		 err[512];
	static const char doc[] =
	    "{\"iface\":\"test\",\"addr\":\"172.24.1.1/24\",\"keepalive\":20,"
	    "\"extAddr\":\"198.51.100.1\",\"extPort\":\"51823\","
	    "\"iptables\":0,\"restart\":0,\"peerMap\":\"/p/peers-test.json\","
	    "\"peers\":[[\"mon\",\"172.24.1.2\"],"
	    "[\"client01\",\"172.24.1.10\"]]}";

	(void)state;
	assert_non_null(t);
	assert_int_equal(topo_parse(t, doc, strlen(doc), err, sizeof(err)),
	    0);
	assert_string_equal(t->iface, "test");
	assert_int_equal(t->prefix, 24);
	assert_memory_equal(t->net, "\xac\x18\x01\x00", 4);
	assert_int_equal(t->extport, 51823);
	assert_int_equal(t->keepalive, 20);
	assert_int_equal(t->npeers, 2);
	assert_string_equal(t->peers[1].name, "client01");
	assert_memory_equal(t->peers[1].ip, "\xac\x18\x01\x0a", 4);
	assert_string_equal(t->hubdir, "/etc/wireguard/");
	assert_string_equal(t->peerdir, "./peers");
	/* Defaults of spec 6.1 (restart: false). */
	assert_int_equal(topo_parse(t, "{\"iface\":\"x\"}", 13, err,
	    sizeof(err)), 0);
	assert_memory_equal(t->addr, "\xac\x10\x00\x01", 4);
	assert_int_equal(t->prefix, 12);
	assert_memory_equal(t->ext, "\x01\x02\x03\x04", 4);
	assert_int_equal(t->extport, 56789);
	assert_int_equal(t->restart, 0);
	assert_int_equal(t->iptables, 0);
	assert_int_equal(t->npeers, 0);
	free(t);
}

static void
test_topology_errors(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"iface\":\"x\",\"net\":\"10.0.0.1/24\"}",
		  "unknown field \"net\": it was renamed \"addr\"" },
		{ "{\"iface\":\"x\",\"nets\":1}", "unknown field \"nets\"" },
		{ "{}", "field \"iface\": missing" },
		{ "{\"iface\":\"x\",\"addr\":\"10.0.0.1/31\"}",
		  "field \"addr\": bad prefix length" },
		{ "{\"iface\":\"x\",\"addr\":\"10.0.0.1/2a\"}",
		  "field \"addr\": bad prefix length" },
		{ "{\"iface\":\"x\",\"addr\":\" 10.0.0.1/24\"}",
		  "field \"addr\": not an IPv4" },
		{ "{\"iface\":\"x\",\"addr\":\"11.0.0.1/24\"}",
		  "field \"addr\": not a private" },
		{ "{\"iface\":\"x\",\"addr\":\"10.0.0.255/24\"}",
		  "field \"addr\": the network or broadcast" },
		{ "{\"iface\":\"x\",\"addr\":\"10.0.0.1/24\",\"peers\":"
		  "[[\"a\",\"10.0.1.2\"]]}",
		  "field \"peers[0][1]\" (peer \"a\"): address outside" },
		{ "{\"iface\":\"x\",\"addr\":\"10.0.0.1/24\",\"peers\":"
		  "[[\"a\",\"10.0.0.2\"],[\"a\",\"10.0.0.3\"]]}",
		  "duplicate peer name" },
		{ "{\"iface\":\"x\",\"addr\":\"10.0.0.1/24\",\"peers\":"
		  "[[\"a\",\"10.0.0.2\"],[\"b\",\"10.0.0.2\"]]}",
		  "duplicate address" },
		{ "{\"iface\":\"x\",\"peers\":[[\"a\",\"172.16.0.2\",1]]}",
		  "field \"peers[0]\": not a pair" },
		{ "{\"iface\":\"xxxxxxxx\",\"peers\":[[\"abcdefg\","
		  "\"172.16.0.2\"]]}", "longer than 15" },
		{ "{\"iface\":\"x\",\"keepalive\":\"20\"}",
		  "field \"keepalive\": not an integer" },
		{ "{\"iface\":\"x\",\"extPort\":\"5x\"}",
		  "field \"extPort\": not a number" },
		{ "{\"iface\":\"x\",\"restart\":2}",
		  "field \"restart\": not a boolean" },
		{ "{\"iface\":\"x\",\"peerDir\":1}",
		  "field \"peerDir\": not a string" },
	};
	char	err[512];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(topo(bad[i][0], err, sizeof(err)), -1);
		if (strstr(err, bad[i][1]) == NULL)
			fail_msg("%s: got \"%s\"", bad[i][0], err);
	}
}

static void
test_wgconf(void **state)
{
	struct wgconf	*c = calloc(1, sizeof(*c));
	char		 err[256], text[2048], b64[WGKEY_B64];
	uint8_t		 pk[WGKEY_LEN];

	(void)state;
	assert_non_null(c);
	/* A hub config in the generator's layout. */
	(void)snprintf(text, sizeof(text),
	    "[Interface]\r\nAddress = 172.24.1.1/24\nListenPort = 51823\n"
	    "PrivateKey = %s\n"
	    "PostUp = iptables -A INPUT -p udp --dport 51823 -j ACCEPT\n\n"
	    "[Peer]\nPublicKey = %s\n# friendly_json = {\"name\":\"mon\"}\n"
	    "PresharedKey = %s\nAllowedIPs = 172.24.1.2/32\n\n"
	    "[peer]\npublickey=%s # comment\n"
	    "# friendly_json = {\"name\": \"c01\", \"x\": 1}\n"
	    "AllowedIPs = 172.24.1.10/32\nAllowedIPs = fd00::a/128\n",
	    vectors[0][0], vectors[1][1], vectors[2][0], vectors[2][1]);
	assert_int_equal(wgconf_parse(c, text, strlen(text), err,
	    sizeof(err)), 0);
	assert_true(c->has_iface && c->has_priv && !c->has_name);
	assert_int_equal(c->listenport, 51823);
	assert_string_equal(c->address, "172.24.1.1/24");
	assert_int_equal(wgkey_public(c->priv, pk), 0);
	wgkey_to_b64(pk, b64);
	assert_string_equal(b64, vectors[0][1]);
	assert_int_equal(c->npeers, 2);
	assert_string_equal(c->peers[0].name, "mon");
	assert_true(c->peers[0].has_psk);
	assert_string_equal(c->peers[1].name, "c01");
	assert_false(c->peers[1].has_psk);
	assert_string_equal(c->peers[1].allowed,
	    "172.24.1.10/32, fd00::a/128");
	wgkey_to_b64(c->peers[1].pub, b64);
	assert_string_equal(b64, vectors[2][1]);
	wgconf_wipe(c);
	/* A peer config: the name comes first. */
	(void)snprintf(text, sizeof(text),
	    "# friendly_json = {\"name\":\"mon\"}\n[Interface]\n"
	    "Address = 172.24.1.2/24\nPrivateKey = %s\n\n[Peer]\n"
	    "PublicKey = %s\nPresharedKey = %s\nAllowedIPs = 172.24.1.0/24\n"
	    "Endpoint = 198.51.100.1:51823\nPersistentKeepalive = 20\n",
	    vectors[1][0], vectors[0][1], vectors[2][0]);
	assert_int_equal(wgconf_parse(c, text, strlen(text), err,
	    sizeof(err)), 0);
	assert_true(c->has_name);
	assert_string_equal(c->name, "mon");
	assert_string_equal(c->peers[0].endpoint, "198.51.100.1:51823");
	assert_int_equal(c->peers[0].keepalive, 20);
	wgconf_wipe(c);
	free(c);
}

/* tmpl with each "%s" replaced by key (no format string from data). */
static void
fill(const char *tmpl, const char *key, char *out, size_t outlen)
{
	const char	*p;
	size_t		 len = 0, n, klen = strlen(key);

	while ((p = strstr(tmpl, "%s")) != NULL) {
		n = (size_t)(p - tmpl);
		assert_true(len + n + klen < outlen);
		memcpy(out + len, tmpl, n);
		memcpy(out + len + n, key, klen);
		len += n + klen;
		tmpl = p + 2;
	}
	n = strlen(tmpl);
	assert_true(len + n < outlen);
	memcpy(out + len, tmpl, n + 1);
}

static void
test_wgconf_errors(void **state)
{
	static const char *const bad[][2] = {
		{ "[Interface]\nPrivateKey = %s\nBogus = 1\n",
		  "line 3: unknown key in [Interface]" },
		{ "[Interface]\nPrivateKey = %s\nPrivateKey = %s\n",
		  "line 3: PrivateKey given twice" },
		{ "[Interface]\nPrivateKey = %sx\n", "line 2: PrivateKey: "
		  "not a key" },
		{ "PrivateKey = %s\n", "line 1: key outside a section" },
		{ "[Interface]\n[Interface]\n", "line 2: [Interface] given" },
		{ "[Peer]\nAllowedIPs = 10.0.0.1/32\n[Peer]\n",
		  "line 1: [Peer] without PublicKey" },
		{ "[Wat]\n", "line 1: unknown section" },
		{ "[Interface]\nPrivateKey\n", "line 2: not \"Key = Value\"" },
		{ "[Interface]\nListenPort = 65536\n", "line 2: ListenPort" },
		{ "[Interface]\nListenPort =\n", "line 2: empty value" },
		{ "# friendly_json = {\"name\":1}\n", "line 1: friendly_json" },
		{ "# friendly_json = {\"name\":\"a b\"}\n",
		  "line 1: friendly_json: bad name" },
		{ "# friendly_json = {name}\n", "line 1: friendly_json: not "
		  "valid JSON" },
		{ "[Interface]\n# friendly_json = {\"name\":\"a\"}\n",
		  "line 2: friendly_json out of place" },
	};
	struct wgconf	*c = calloc(1, sizeof(*c));
	char		 err[256], text[512];
	size_t		 i;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Every %s gets the same private key: never in an error. */
		fill(bad[i][0], vectors[0][0], text, sizeof(text));
		err[0] = '\0';
		assert_int_equal(wgconf_parse(c, text, strlen(text), err,
		    sizeof(err)), -1);
		if (strstr(err, bad[i][1]) == NULL)
			fail_msg("case %zu: got \"%s\"", i, err);
		assert_null(strstr(err, vectors[0][0]));
		assert_null(strstr(err, "8DQ1D7x"));
	}
	assert_int_equal(wgconf_parse(c, "a\0b", 3, err, sizeof(err)), -1);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pubkey_vectors),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_topology_errors),
		cmocka_unit_test(test_wgconf),
		cmocka_unit_test(test_wgconf_errors),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
