/*
 * fuzz_config.c - fuzzes conf_parse() (lib/parse_config.c), the
 * launcher's "key = value" configuration parser, then conf_check() on
 * whatever it accepted (which runs the CIDR list parser of
 * lib/parse_cidr.c on ns_autoclean_nets; seeds fuzz/corpus/config/
 * ns_autoclean*).
 *
 * The input is the whole file, applied over the defaults as the launcher
 * does.  Errors must leave a NUL-terminated message; accepted string
 * values must be NUL-terminated within their fields.  No I/O, no global
 * state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	char		 err[256];
	int		 rc;

	if (size > 64 * 1024)
		return 0;
	conf_defaults(&c);
	memset(err, 'x', sizeof(err));
	rc = conf_parse(&c, (const char *)data, size, "fuzz", err,
	    sizeof(err));
	if (rc != 0) {
		if (rc != -1 || memchr(err, '\0', sizeof(err)) == NULL ||
		    err[0] == '\0')
			abort();
		return 0;
	}
#define UNTERMINATED(f)	(strnlen((f), sizeof(f)) == sizeof(f))
	if (UNTERMINATED(c.persistent) || UNTERMINATED(c.policy_dir) ||
	    UNTERMINATED(c.vpn_name) || UNTERMINATED(c.ns_host) ||
	    UNTERMINATED(c.bind_address))
		abort();
#undef UNTERMINATED
	if (c.ns_port > 65535 || c.safeapi_port > 65535 ||
	    c.api_port > 65535 || c.web_port > 65535 || c.debug > 1)
		abort();
	err[0] = '\0';
	if (conf_check(&c, err, sizeof(err)) == -1 && err[0] == '\0')
		abort();
	return 0;
}
