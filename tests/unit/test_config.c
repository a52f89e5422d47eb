/*
 * test_config.c - unit tests for lib/parse_config.c: conf_parse on a good
 * file (quotes, comments, blank lines, tabs, CRLF), its errors (each names
 * FILE:LINE and the key), conf_set, conf_env with MUPIF_* variables (a bad
 * value names the variable), conf_check, and conf_dump output re-parsed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"

#define FNAME	"mupif.conf"

/* Every variable conf_env reads; cleared around each env test. */
static const char *const env_vars[] = {
	"MUPIF_PERSIST_DIR", "MUPIF_POLICY_DIR", "MUPIF_VPN_NAME",
	"MUPIF_NS_HOST", "MUPIF_NS_PORT", "MUPIF_BIND_ADDRESS",
	"MUPIF_SAFEAPI_PORT", "MUPIF_API_PORT", "MUPIF_WEB_PORT",
	"MUPIF_LOG_MAX_BYTES", "MUPIF_LOG_KEEP", "MUPIF_BROKER_TIMEOUT_MS",
	"MUPIF_RESTART_MAX", "MUPIF_RESTART_WINDOW", "MUPIF_STATUS_CACHE_MS",
	"MUPIF_DEBUG",
};

static int
clear_env(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		if (unsetenv(env_vars[i]) == -1)
			return -1;
	return 0;
}

static int
parse(struct conf *c, const char *text, char *err, size_t errlen)
{
	return conf_parse(c, text, strlen(text), FNAME, err, errlen);
}

static void
test_defaults(void **state)
{
	struct conf	c;
	char		err[256];

	(void)state;
	conf_defaults(&c);
	assert_string_equal(c.persistent, "var");
	assert_string_equal(c.policy_dir, "");
	assert_string_equal(c.vpn_name, "mupif");
	assert_string_equal(c.ns_host, "127.0.0.1");
	assert_int_equal(c.ns_port, 10000);
	assert_string_equal(c.bind_address, "127.0.0.1");
	assert_int_equal(c.safeapi_port, 8006);
	assert_int_equal(c.api_port, 8005);
	assert_int_equal(c.web_port, 5555);
	assert_int_equal(c.log_max_bytes, 10 * 1024 * 1024);
	assert_int_equal(c.log_keep, 5);
	assert_int_equal(c.broker_timeout_ms, 2000);
	assert_int_equal(c.restart_max, 10);
	assert_int_equal(c.restart_window, 60);
	assert_int_equal(c.status_cache_ms, 2000);
	assert_int_equal(c.debug, 0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), 0);
}

static void
test_good_file(void **state)
{
	static const char text[] =
	    "# MuPIF Central configuration\n"
	    "\n"
	    "persistent = \"/srv/mupif var\"    # quoted, with a space\n"
	    "vpn_name=test-vpn\n"
	    "   \n"
	    "\tns_host\t=\t\"10.0.0.1\"\t# tabs\n"
	    "ns_port = 10001\r\n"
	    "api_port = 8100   # trailing comment\n"
	    "debug = yes\n"
	    "log_keep = 0\n"
	    "log_max_bytes = 4096\n"
	    "restart_window = 86400\n"
	    "policy_dir = \"#not a comment\"\n"
	    "bind_address = \"\"\n"
	    "web_port = 1\n"
	    "  # last line, no newline";
	struct conf	c;
	char		err[256] = "";

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.persistent, "/srv/mupif var");
	assert_string_equal(c.vpn_name, "test-vpn");
	assert_string_equal(c.ns_host, "10.0.0.1");
	assert_int_equal(c.ns_port, 10001);
	assert_int_equal(c.api_port, 8100);
	assert_int_equal(c.debug, 1);
	assert_int_equal(c.log_keep, 0);
	assert_int_equal(c.log_max_bytes, 4096);
	assert_int_equal(c.restart_window, 86400);
	assert_string_equal(c.policy_dir, "#not a comment");
	assert_string_equal(c.bind_address, "");
	assert_int_equal(c.web_port, 1);
	/* Keys not in the file keep their defaults. */
	assert_int_equal(c.safeapi_port, 8006);
	assert_int_equal(c.restart_max, 10);
	assert_int_equal(c.broker_timeout_ms, 2000);
}

static void
test_values(void **state)
{
	static const struct {
		const char	*line;
		uint64_t	 debug;
	} bools[] = {
		{ "debug = yes", 1 }, { "debug = true", 1 }, { "debug = 1", 1 },
		{ "debug = no", 0 }, { "debug = false", 0 }, { "debug = 0", 0 },
		{ "debug = \"yes\"", 1 },
	};
	struct conf	c;
	char		err[256], line[128];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		conf_defaults(&c);
		c.debug = 7;
		assert_int_equal(parse(&c, bools[i].line, err, sizeof(err)), 0);
		assert_int_equal(c.debug, bools[i].debug);
	}
	/* Range limits are inclusive. */
	conf_defaults(&c);
	assert_int_equal(parse(&c, "ns_port = 65535\nlog_keep = 100\n"
	    "broker_timeout_ms = 10\nrestart_max = 1000\n"
	    "log_max_bytes = 1099511627776\nstatus_cache_ms = 3600000\n", err,
	    sizeof(err)), 0);
	assert_int_equal(c.ns_port, 65535);
	assert_int_equal(c.log_keep, 100);
	assert_int_equal(c.broker_timeout_ms, 10);
	assert_int_equal(c.restart_max, 1000);
	assert_true(c.log_max_bytes == 1ULL << 40);
	assert_int_equal(c.status_cache_ms, 3600000);
	/* A 63-byte string fits vpn_name[64]. */
	(void)snprintf(line, sizeof(line), "vpn_name = %063d", 0);
	assert_int_equal(parse(&c, line, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.vpn_name), 63);
	/* A later line overrides an earlier one. */
	assert_int_equal(parse(&c, "ns_port = 1\nns_port = 2\n", err,
	    sizeof(err)), 0);
	assert_int_equal(c.ns_port, 2);
}

static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	/* unknown key */
	{ "ns_port = 1\nbogus = 1\n", FNAME ":2: unknown key \"bogus\"" },
	{ "\n\n  NS_PORT = 1\n", FNAME ":3: unknown key \"NS_PORT\"" },
	{ "ns_portx = 1\n", FNAME ":1: unknown key \"ns_portx\"" },
	/* missing '=' */
	{ "# c\nns_port 10000\n", FNAME ":2: expected '=' after \"ns_port\"" },
	{ "vpn_name\n", FNAME ":1: expected '=' after \"vpn_name\"" },
	{ "ns-port = 1\n", FNAME ":1: expected '=' after \"ns\"" },
	{ "= 5\n", FNAME ":1: expected \"key = value\"" },
	/* bad port */
	{ "\nns_port = 65536\n",
	  FNAME ":2: ns_port: not a port number (1-65535)" },
	{ "api_port = -1\n",
	  FNAME ":1: api_port: not a port number (1-65535)" },
	{ "web_port = 80a\n",
	  FNAME ":1: web_port: not a port number (1-65535)" },
	{ "web_port =\n", FNAME ":1: web_port: not a port number (1-65535)" },
	{ "safeapi_port = 0x50\n",
	  FNAME ":1: safeapi_port: not a port number (1-65535)" },
	{ "ns_port = 99999999999999999999999\n",
	  FNAME ":1: ns_port: not a port number (1-65535)" },
	/* out-of-range number */
	{ "log_keep = 101\n",
	  FNAME ":1: log_keep: not a number in the allowed range" },
	{ "log_max_bytes = 4095\n",
	  FNAME ":1: log_max_bytes: not a number in the allowed range" },
	{ "broker_timeout_ms = 9\n",
	  FNAME ":1: broker_timeout_ms: not a number in the allowed range" },
	{ "restart_max = 0\n",
	  FNAME ":1: restart_max: not a number in the allowed range" },
	{ "restart_window = 86401\n",
	  FNAME ":1: restart_window: not a number in the allowed range" },
	{ "status_cache_ms = 1 000\n",
	  FNAME ":1: status_cache_ms: not a number in the allowed range" },
	/* bad boolean */
	{ "debug = maybe\n", FNAME ":1: debug: not a boolean (yes/no)" },
	{ "debug = YES\n", FNAME ":1: debug: not a boolean (yes/no)" },
	/* unterminated quote */
	{ "\n\n\nvpn_name = \"abc\n",
	  FNAME ":4: unterminated quote for \"vpn_name\"" },
	{ "vpn_name = \"abc # \"\"\n",
	  FNAME ":1: text after closing quote for \"vpn_name\"" },
	/* text after the closing quote */
	{ "vpn_name = \"abc\" def\n",
	  FNAME ":1: text after closing quote for \"vpn_name\"" },
	{ "vpn_name = \"abc\"\"\"\n",
	  FNAME ":1: text after closing quote for \"vpn_name\"" },
	/* value too long */
	{ "vpn_name = 0123456789012345678901234567890123456789"
	  "012345678901234567890123\n",
	  FNAME ":1: vpn_name: value too long" },
	/* control characters */
	{ "vpn_name = \"a\tb\"\n",
	  FNAME ":1: vpn_name: control character in value" },
	{ "vpn_name = a\x1b[0mb\n",
	  FNAME ":1: vpn_name: control character in value" },
};

static void
test_errors(void **state)
{
	struct conf	c;
	char		err[256];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf_defaults(&c);
		memset(err, 0, sizeof(err));
		if (parse(&c, bad[i].text, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    bad[i].err);
	}
}

static void
test_nul_and_size(void **state)
{
	static const char text[] = "ns_port = 1\n# ok\nvpn_name = a\0b\n";
	struct conf	 c;
	char		 err[256], *big;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_parse(&c, text, sizeof(text) - 1, FNAME, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ":3: NUL byte");
	/* Also inside a comment. */
	assert_int_equal(conf_parse(&c, "# a\0b\n", 6, FNAME, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ":1: NUL byte");

	big = malloc(CONF_MAX_FILE + 1);
	assert_non_null(big);
	memset(big, '\n', CONF_MAX_FILE + 1);
	assert_int_equal(conf_parse(&c, big, CONF_MAX_FILE + 1, FNAME, err,
	    sizeof(err)), -1);
	assert_string_equal(err, FNAME ": file too large");
	assert_int_equal(conf_parse(&c, big, CONF_MAX_FILE, FNAME, err,
	    sizeof(err)), 0);
	free(big);
}

static void
test_set(void **state)
{
	struct conf	c;
	char		err[256];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_set(&c, "web_port", "8080", err, sizeof(err)),
	    0);
	assert_int_equal(c.web_port, 8080);
	assert_int_equal(conf_set(&c, "ns_host", "example.org", err,
	    sizeof(err)), 0);
	assert_string_equal(c.ns_host, "example.org");
	assert_int_equal(conf_set(&c, "nope", "1", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown key \"nope\"");
	assert_int_equal(conf_set(&c, "web_port", "http", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "web_port: not a port number (1-65535)");
	assert_int_equal(c.web_port, 8080);
}

static void
test_env(void **state)
{
	struct conf	c;
	char		err[256];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse(&c, "ns_port = 1\nvpn_name = file\n", err,
	    sizeof(err)), 0);
	/* Nothing set: nothing changes. */
	assert_int_equal(conf_env(&c, err, sizeof(err)), 0);
	assert_int_equal(c.ns_port, 1);

	assert_int_equal(setenv("MUPIF_NS_PORT", "12345", 1), 0);
	assert_int_equal(setenv("MUPIF_VPN_NAME", "envvpn", 1), 0);
	assert_int_equal(setenv("MUPIF_PERSIST_DIR", "/data/p", 1), 0);
	assert_int_equal(setenv("MUPIF_DEBUG", "true", 1), 0);
	assert_int_equal(setenv("MUPIF_LOG_KEEP", "9", 1), 0);
	assert_int_equal(conf_env(&c, err, sizeof(err)), 0);
	assert_int_equal(c.ns_port, 12345);
	assert_string_equal(c.vpn_name, "envvpn");
	assert_string_equal(c.persistent, "/data/p");
	assert_int_equal(c.debug, 1);
	assert_int_equal(c.log_keep, 9);
	assert_int_equal(c.api_port, 8005);
	assert_int_equal(clear_env(NULL), 0);
}

static void
test_env_errors(void **state)
{
	static const struct {
		const char	*var, *val, *err;
	} cases[] = {
		{ "MUPIF_NS_PORT", "65536", "environment MUPIF_NS_PORT "
		  "(ns_port): not a port number (1-65535)" },
		{ "MUPIF_API_PORT", "", "environment MUPIF_API_PORT "
		  "(api_port): not a port number (1-65535)" },
		{ "MUPIF_LOG_KEEP", "1000", "environment MUPIF_LOG_KEEP "
		  "(log_keep): not a number in the allowed range" },
		{ "MUPIF_DEBUG", "on", "environment MUPIF_DEBUG (debug): "
		  "not a boolean (yes/no)" },
		{ "MUPIF_NS_HOST", "a\nb", "environment MUPIF_NS_HOST "
		  "(ns_host): control character in value" },
		{ "MUPIF_BIND_ADDRESS", "0123456789012345678901234567890123456"
		  "789012345678901234567890123", "environment "
		  "MUPIF_BIND_ADDRESS (bind_address): value too long" },
	};
	struct conf	c;
	char		err[256];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(clear_env(NULL), 0);
		assert_int_equal(setenv(cases[i].var, cases[i].val, 1), 0);
		conf_defaults(&c);
		memset(err, 0, sizeof(err));
		assert_int_equal(conf_env(&c, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
	}
	assert_int_equal(clear_env(NULL), 0);
}

static void
test_check(void **state)
{
	struct conf	c;
	char		err[256];

	(void)state;
	conf_defaults(&c);
	c.persistent[0] = '\0';
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "persistent: must not be empty");

	conf_defaults(&c);
	assert_int_equal(parse(&c, "vpn_name = \"\"\n", err, sizeof(err)), 0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "vpn_name: must not be empty");

	conf_defaults(&c);
	c.safeapi_port = c.api_port;
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "api_port: port 8005 is also safeapi_port");
	conf_defaults(&c);
	c.safeapi_port = c.web_port;
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "web_port: port 5555 is also safeapi_port");
	conf_defaults(&c);
	c.safeapi_port = c.ns_port;
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "ns_port: port 10000 is also safeapi_port");
	/* Every pair is checked, not only pairs with safeapi_port. */
	conf_defaults(&c);
	c.web_port = c.ns_port;
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "ns_port: port 10000 is also web_port");

	/* Port 0 (the kernel's choice) is refused when parsed. */
	conf_defaults(&c);
	assert_int_equal(parse(&c, "api_port = 0\n", err, sizeof(err)), -1);
	conf_defaults(&c);
	assert_int_equal(conf_check(&c, err, sizeof(err)), 0);
}

static void
test_dump_reparses(void **state)
{
	static const char want[] =
	    "\nns_port            = 4242   # MUPIF_NS_PORT\n";
	struct conf	 a, b;
	char		 err[256], *text;
	off_t		 size;
	int		 fd;

	(void)state;
	conf_defaults(&a);
	assert_int_equal(parse(&a, "persistent = \"/srv/my dir\"\n"
	    "ns_port = 4242\ndebug = yes\npolicy_dir = /etc/mupif\n", err,
	    sizeof(err)), 0);
	fd = memfd_create("conf_dump", MFD_CLOEXEC);
	assert_true(fd >= 0);
	conf_dump(&a, fd);
	size = lseek(fd, 0, SEEK_CUR);
	assert_true(size > 0);
	text = malloc((size_t)size);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)size, 0), (ssize_t)size);
	assert_int_equal(close(fd), 0);
	assert_non_null(memmem(text, (size_t)size, want, strlen(want)));
	/* Every key is written, and reading it back gives the same conf. */
	memset(&b, 0x55, sizeof(b));
	conf_defaults(&b);
	b.ns_port = 1;
	b.debug = 0;
	assert_int_equal(conf_parse(&b, text, (size_t)size, "dump", err,
	    sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_size),
		cmocka_unit_test(test_set),
		cmocka_unit_test_setup_teardown(test_env, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(test_env_errors, clear_env,
		    clear_env),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_dump_reparses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
