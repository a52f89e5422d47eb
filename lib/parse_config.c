/*
 * parse_config.c - the launcher's configuration parser (see conf.h).
 * Fuzzed by fuzz/fuzz_config.c.  Every error names the file, the line and
 * the key; unknown keys are errors, so a typo cannot silently fall back to
 * a default.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "conf.h"
#include "ratelimit.h"
#include "banned.h"

enum ctype { C_STR, C_UINT, C_PORT, C_BOOL };

static const struct ckey {
	const char	*key;
	const char	*env;
	enum ctype	 type;
	size_t		 off;
	size_t		 size;		/* C_STR: buffer size */
	uint64_t	 min, max;	/* C_UINT */
} ckeys[] = {
#define S(k, e) { #k, e, C_STR, offsetof(struct conf, k), \
	sizeof(((struct conf *)0)->k), 0, 0 }
#define U(k, e, lo, hi) { #k, e, C_UINT, offsetof(struct conf, k), 0, lo, hi }
#define P(k, e) { #k, e, C_PORT, offsetof(struct conf, k), 0, 1, 65535 }
#define B(k, e) { #k, e, C_BOOL, offsetof(struct conf, k), 0, 0, 1 }
	S(persistent,		"MUPIF_PERSIST_DIR"),
	S(policy_dir,		"MUPIF_POLICY_DIR"),
	S(vpn_name,		"MUPIF_VPN_NAME"),
	S(ns_host,		"MUPIF_NS_HOST"),
	P(ns_port,		"MUPIF_NS_PORT"),
	S(bind_address,		"MUPIF_BIND_ADDRESS"),
	P(safeapi_port,		"MUPIF_SAFEAPI_PORT"),
	P(api_port,		"MUPIF_API_PORT"),
	P(web_port,		"MUPIF_WEB_PORT"),
	U(log_max_bytes,	"MUPIF_LOG_MAX_BYTES", 4096, 1ULL << 40),
	U(log_keep,		"MUPIF_LOG_KEEP", 0, 100),
	U(broker_timeout_ms,	"MUPIF_BROKER_TIMEOUT_MS", 10, 600000),
	U(restart_max,		"MUPIF_RESTART_MAX", 1, 1000),
	U(restart_window,	"MUPIF_RESTART_WINDOW", 1, 86400),
	U(status_cache_ms,	"MUPIF_STATUS_CACHE_MS", 0, 3600000),
	U(status_min_refresh_ms, "MUPIF_STATUS_MIN_REFRESH_MS", 0, 3600000),
	U(audit_checkpoint_s,	"MUPIF_AUDIT_CHECKPOINT_S", 0, 86400),
	U(safeapi_rate,		"MUPIF_SAFEAPI_RATE", 0, 1000000),
	U(safeapi_burst,	"MUPIF_SAFEAPI_BURST", 1, 1000000),
	S(trusted_proxy,	"MUPIF_TRUSTED_PROXY"),
	U(safeapi_timeout_s,	"MUPIF_SAFEAPI_TIMEOUT_S", 1, 3600),
	U(safeapi_max_conn_per_addr, "MUPIF_SAFEAPI_MAX_CONN_PER_ADDR", 0, 512),
	U(safeapi_max_request,	"MUPIF_SAFEAPI_MAX_REQUEST", 4096, 1048576),
	U(broker_rate,		"MUPIF_BROKER_RATE", 1, 10000000),
	S(db_backend,		"MUPIF_DB_BACKEND"),
	S(mongo_uri,		"MUPIF_MONGO_URI"),
	S(mongo_db,		"MUPIF_MONGO_DB"),
	U(file_max_bytes,	"MUPIF_FILE_MAX_BYTES", 0, 1ULL << 34),
	U(ns_max_message,	"MUPIF_NS_MAX_MESSAGE", 4096, 256ULL << 20),
	U(ns_max_entries,	"MUPIF_NS_MAX_ENTRIES", 1, 10000000),
	/* Bounded by the nameserver profile's nofile limit (4200). */
	U(ns_max_connections,	"MUPIF_NS_MAX_CONNECTIONS", 1, 4096),
	/* 0, or at least 3 (conf_check), as PYRO_NS_AUTOCLEAN. */
	U(ns_autoclean_s,	"MUPIF_NS_AUTOCLEAN_S", 0, 86400),
	S(ns_autoclean_nets,	"MUPIF_NS_AUTOCLEAN_NETS"),
	B(ns_probe,		"MUPIF_NS_PROBE"),
	U(ns_probe_budget_ms,	"MUPIF_NS_PROBE_BUDGET_MS", 100, 60000),
	B(ns_write_protect,	"MUPIF_NS_WRITE_PROTECT"),
	U(api_threads,		"MUPIF_API_THREADS", 1, 64),
	U(api_max_body,		"MUPIF_API_MAX_BODY", 1024, 64ULL << 20),
	U(api_auth_cache_ms,	"MUPIF_API_AUTH_CACHE_MS", 0, 10000),
	U(api_max_conn_per_addr,	"MUPIF_API_MAX_CONN_PER_ADDR", 0, 512),
	B(cookie_secure,	"MUPIF_COOKIE_SECURE"),
	S(runner_python,	"MUPIF_RUNNER_PYTHON"),
	S(vpn_dump_file,	"MUPIF_VPN_DUMP_FILE"),
	B(vpn_show_endpoints,	"MUPIF_VPN_SHOW_ENDPOINTS"),
	S(vpn_uapi_socket,	"MUPIF_VPN_UAPI_SOCKET"),
	S(vpn_peer_map,		"MUPIF_VPN_PEER_MAP"),
	U(inspect_cpu_s,	"MUPIF_INSPECT_CPU_S", 1, 3600),
	U(inspect_mem_mb,	"MUPIF_INSPECT_MEM_MB", 64, 65536),
	U(inspect_timeout_s,	"MUPIF_INSPECT_TIMEOUT_S", 1, 3600),
	U(inspect_max_bytes,	"MUPIF_INSPECT_MAX_BYTES", 4096, 1ULL << 32),
	U(run_slots,		"MUPIF_RUN_SLOTS", 0, 64),
	U(run_timeout_s,	"MUPIF_RUN_TIMEOUT_S", 1, 30ULL * 86400),
	U(run_cpu_s,		"MUPIF_RUN_CPU_S", 0, 30ULL * 86400),
	U(run_mem_mb,		"MUPIF_RUN_MEM_MB", 64, 1048576),
	U(run_nproc,		"MUPIF_RUN_NPROC", 1, 65536),
	U(run_fsize_mb,		"MUPIF_RUN_FSIZE_MB", 1, 1048576),
	U(run_nofile,		"MUPIF_RUN_NOFILE", 16, 65536),
	U(run_log_max,		"MUPIF_RUN_LOG_MAX", 4096, 1ULL << 32),
	U(run_max_attempts,	"MUPIF_RUN_MAX_ATTEMPTS", 1, 1000),
	U(run_poll_s,		"MUPIF_RUN_POLL_S", 1, 3600),
	S(run_net_ports,	"MUPIF_RUN_NET_PORTS"),
	S(scheduler_id,		"MUPIF_SCHEDULER_ID"),
	B(registration,		"MUPIF_REGISTRATION"),
	U(login_rate_user,	"MUPIF_LOGIN_RATE_USER", 0, 1000000),
	U(login_rate_addr,	"MUPIF_LOGIN_RATE_ADDR", 0, 1000000),
	B(debug,		"MUPIF_DEBUG"),
#undef S
#undef U
#undef P
#undef B
};

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	(void)strlcpy(c->persistent, "var", sizeof(c->persistent));
	(void)strlcpy(c->vpn_name, "mupif", sizeof(c->vpn_name));
	(void)strlcpy(c->ns_host, "127.0.0.1", sizeof(c->ns_host));
	c->ns_port = 10000;
	(void)strlcpy(c->bind_address, "127.0.0.1", sizeof(c->bind_address));
	c->safeapi_port = 8006;
	c->api_port = 8005;
	c->web_port = 5555;
	c->log_max_bytes = 10 * 1024 * 1024;
	c->log_keep = 5;
	c->broker_timeout_ms = 2000;
	c->restart_max = 10;
	c->restart_window = 60;
	c->status_cache_ms = 2000;
	c->status_min_refresh_ms = 250;
	c->audit_checkpoint_s = 300;	/* signed audit checkpoints */
	c->safeapi_rate = 20;		/* the monitor page needs ~3/s */
	c->safeapi_burst = 100;
	c->trusted_proxy[0] = '\0';	/* none: the peer is the client */
	c->safeapi_timeout_s = 15;
	c->safeapi_max_conn_per_addr = 64;
	c->safeapi_max_request = 16384;
	c->broker_rate = 5000;
	(void)strlcpy(c->db_backend, "sqlite", sizeof(c->db_backend));
	(void)strlcpy(c->mongo_db, "MuPIF", sizeof(c->mongo_db));
	c->file_max_bytes = 256ULL * 1024 * 1024;
	/* Pyro requests are small (pyro5-ns allows 1 GiB). */
	c->ns_max_message = 1024 * 1024;
	c->ns_max_entries = 10000;
	c->ns_max_connections = 4096;
	c->ns_autoclean_s = 0;		/* off: nothing is probed */
	c->ns_autoclean_nets[0] = '\0';
	c->ns_probe = 0;		/* off: no peer is called */
	c->ns_probe_budget_ms = 1000;	/* the original's 1 s */
	c->ns_write_protect = 0;
	c->api_threads = 4;
	c->api_max_body = 1024 * 1024;
	c->api_auth_cache_ms = 2000;
	c->api_max_conn_per_addr = 128;
	c->cookie_secure = 0;
	(void)strlcpy(c->runner_python, "/usr/bin/python3",
	    sizeof(c->runner_python));
	c->inspect_cpu_s = 3;
	c->inspect_mem_mb = 512;
	c->inspect_timeout_s = 3;
	c->inspect_max_bytes = 256ULL * 1024 * 1024;
	c->run_slots = 4;
	c->run_timeout_s = 86400;
	c->run_mem_mb = 4096;
	c->run_nproc = 256;
	c->run_fsize_mb = 2048;
	c->run_nofile = 1024;
	c->run_log_max = 64ULL * 1024 * 1024;
	c->run_max_attempts = 12;
	c->run_poll_s = 20;
	c->registration = 0;
	c->login_rate_user = 10;
	c->login_rate_addr = 30;
	c->debug = 0;
}

static const struct ckey *
ckey_find(const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(ckeys) / sizeof(ckeys[0]); i++)
		if (strlen(ckeys[i].key) == len &&
		    memcmp(ckeys[i].key, k, len) == 0)
			return &ckeys[i];
	return NULL;
}

/* Store val (vlen bytes, no NULs) into the field of ck.  Returns NULL or a
 * static description of what is wrong. */
static const char *
ckey_store(struct conf *c, const struct ckey *ck, const char *val,
    size_t vlen)
{
	char		*field = (char *)c + ck->off;
	uint64_t	 u;

	switch (ck->type) {
	case C_STR:
		if (vlen >= ck->size)
			return "value too long";
		for (size_t i = 0; i < vlen; i++)
			if (iscntrl((unsigned char)val[i]))
				return "control character in value";
		memcpy(field, val, vlen);
		field[vlen] = '\0';
		return NULL;
	case C_PORT:
		if (util_parse_u64(val, vlen, 1, 65535, &u) == -1)
			return "not a port number (1-65535)";
		memcpy(field, &u, sizeof(u));
		return NULL;
	case C_UINT:
		if (util_parse_u64(val, vlen, ck->min, ck->max, &u) == -1)
			return "not a number in the allowed range";
		memcpy(field, &u, sizeof(u));
		return NULL;
	case C_BOOL:
		if ((vlen == 3 && memcmp(val, "yes", 3) == 0) ||
		    (vlen == 4 && memcmp(val, "true", 4) == 0) ||
		    (vlen == 1 && val[0] == '1'))
			u = 1;
		else if ((vlen == 2 && memcmp(val, "no", 2) == 0) ||
		    (vlen == 5 && memcmp(val, "false", 5) == 0) ||
		    (vlen == 1 && val[0] == '0'))
			u = 0;
		else
			return "not a boolean (yes/no)";
		memcpy(field, &u, sizeof(u));
		return NULL;
	}
	return "bad key type";
}

int
conf_set(struct conf *c, const char *key, const char *val, char *err,
    size_t errlen)
{
	const struct ckey	*ck = ckey_find(key, strlen(key));
	const char		*why;

	if (ck == NULL) {
		(void)snprintf(err, errlen, "unknown key \"%s\"", key);
		return -1;
	}
	if ((why = ckey_store(c, ck, val, strlen(val))) != NULL) {
		(void)snprintf(err, errlen, "%s: %s", key, why);
		return -1;
	}
	return 0;
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

int
conf_parse(struct conf *c, const char *text, size_t len, const char *fname,
    char *err, size_t errlen)
{
	const struct ckey	*ck;
	const char		*p = text, *end = text + len, *eol;
	const char		*k, *ke, *v, *ve, *why;
	size_t			 lineno = 0;

	if (len > CONF_MAX_FILE) {
		(void)snprintf(err, errlen, "%s: file too large", fname);
		return -1;
	}
	for (; p < end; p = eol + 1) {
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL) {
			(void)snprintf(err, errlen, "%s:%zu: NUL byte",
			    fname, lineno);
			return -1;
		}
		k = p;
		while (k < eol && is_space(*k))
			k++;
		if (k == eol || *k == '#')
			continue;
		ke = k;
		while (ke < eol && (isalnum((unsigned char)*ke) || *ke == '_'))
			ke++;
		if (ke == k) {
			(void)snprintf(err, errlen,
			    "%s:%zu: expected \"key = value\"", fname, lineno);
			return -1;
		}
		v = ke;
		while (v < eol && is_space(*v))
			v++;
		if (v == eol || *v != '=') {
			(void)snprintf(err, errlen,
			    "%s:%zu: expected '=' after \"%.*s\"", fname,
			    lineno, (int)(ke - k), k);
			return -1;
		}
		v++;
		while (v < eol && is_space(*v))
			v++;
		if (v < eol && *v == '"') {
			v++;
			ve = memchr(v, '"', (size_t)(eol - v));
			if (ve == NULL) {
				(void)snprintf(err, errlen,
				    "%s:%zu: unterminated quote for \"%.*s\"",
				    fname, lineno, (int)(ke - k), k);
				return -1;
			}
			for (const char *t = ve + 1; t < eol; t++) {
				if (*t == '#')
					break;
				if (!is_space(*t)) {
					(void)snprintf(err, errlen,
					    "%s:%zu: text after closing quote "
					    "for \"%.*s\"", fname, lineno,
					    (int)(ke - k), k);
					return -1;
				}
			}
		} else {
			ve = v;
			while (ve < eol && *ve != '#')
				ve++;
			while (ve > v && is_space(ve[-1]))
				ve--;
		}
		if ((ck = ckey_find(k, (size_t)(ke - k))) == NULL) {
			(void)snprintf(err, errlen, "%s:%zu: unknown key \"%.*s\"",
			    fname, lineno, (int)(ke - k), k);
			return -1;
		}
		if ((why = ckey_store(c, ck, v, (size_t)(ve - v))) != NULL) {
			(void)snprintf(err, errlen, "%s:%zu: %s: %s", fname,
			    lineno, ck->key, why);
			return -1;
		}
	}
	return 0;
}

int
conf_env(struct conf *c, char *err, size_t errlen)
{
	const char	*val, *why;
	size_t		 i;

	/*
	 * The container's pyro5-ns setting, PYRO_NS_AUTOCLEAN (float
	 * seconds), rounded up; MUPIF_NS_AUTOCLEAN_S, applied below,
	 * overrides it.
	 */
	if ((val = getenv("PYRO_NS_AUTOCLEAN")) != NULL) {
		const char	*dot = strchr(val, '.');
		size_t		 il = dot != NULL ? (size_t)(dot - val) :
				    strlen(val);
		uint64_t	 u;
		int		 frac = 0;

		if (dot != NULL) {
			if (dot[1] == '\0')
				frac = -1;
			for (const char *f = dot + 1; *f != '\0'; f++) {
				if (!isdigit((unsigned char)*f))
					frac = -1;
				else if (*f != '0' && frac == 0)
					frac = 1;
			}
		}
		if (frac == -1 || util_parse_u64(val, il, 0, 86400, &u) == -1 ||
		    (frac == 1 && u == 86400)) {
			(void)snprintf(err, errlen, "environment "
			    "PYRO_NS_AUTOCLEAN (ns_autoclean_s): not a number "
			    "of seconds (0-86400)");
			return -1;
		}
		c->ns_autoclean_s = u + (uint64_t)frac;
	}
	for (i = 0; i < sizeof(ckeys) / sizeof(ckeys[0]); i++) {
		if ((val = getenv(ckeys[i].env)) == NULL)
			continue;
		if ((why = ckey_store(c, &ckeys[i], val, strlen(val))) != NULL) {
			(void)snprintf(err, errlen, "environment %s (%s): %s",
			    ckeys[i].env, ckeys[i].key, why);
			return -1;
		}
	}
	return 0;
}

int
conf_check(const struct conf *c, char *err, size_t errlen)
{
	if (c->persistent[0] == '\0') {
		(void)snprintf(err, errlen, "persistent: must not be empty");
		return -1;
	}
	if (strcmp(c->db_backend, "sqlite") != 0 &&
	    strcmp(c->db_backend, "mongo") != 0) {
		(void)snprintf(err, errlen, "db_backend: \"%s\" is neither "
		    "sqlite nor mongo", c->db_backend);
		return -1;
	}
	if (strcmp(c->db_backend, "mongo") == 0 &&
	    strncmp(c->mongo_uri, "mongodb://", 10) != 0) {
		(void)snprintf(err, errlen, "mongo_uri: db_backend is mongo, so "
		    "a mongodb:// URI is required");
		return -1;
	}
	if (c->mongo_db[0] == '\0') {
		(void)snprintf(err, errlen, "mongo_db: must not be empty");
		return -1;
	}
	{
		struct cidr_set	nets;
		char		why[200];

		if (cidr_parse_list(c->ns_autoclean_nets,
		    strlen(c->ns_autoclean_nets), &nets, why,
		    sizeof(why)) == -1) {
			(void)snprintf(err, errlen, "ns_autoclean_nets: %s",
			    why);
			return -1;
		}
		if (c->ns_autoclean_s > 0 && c->ns_autoclean_s < 3) {
			(void)snprintf(err, errlen, "ns_autoclean_s: 0 (off) "
			    "or at least 3 seconds");
			return -1;
		}
		if (c->ns_probe && nets.n == 0) {
			(void)snprintf(err, errlen, "ns_probe: job manager and "
			    "scheduler status needs ns_autoclean_nets, the "
			    "networks whose addresses the nameserver may "
			    "connect to");
			return -1;
		}
		if (c->ns_autoclean_s > 0 && nets.n == 0) {
			(void)snprintf(err, errlen, "ns_autoclean_s: autoclean "
			    "needs ns_autoclean_nets, the networks whose "
			    "addresses it may probe (e.g. the VPN subnet)");
			return -1;
		}
	}
	if (c->trusted_proxy[0] != '\0') {
		struct rl_addr a;

		if (rl_addr_parse(c->trusted_proxy, strlen(c->trusted_proxy),
		    &a) == -1) {
			(void)snprintf(err, errlen, "trusted_proxy: must be "
			    "one numeric IPv4 or IPv6 address (or empty)");
			return -1;
		}
	}
	{
		/* Paths the launcher opens as root for the vpn service. */
		const char	*v[] = { c->vpn_dump_file, c->vpn_uapi_socket,
				    c->vpn_peer_map };
		const char	*n[] = { "vpn_dump_file", "vpn_uapi_socket",
				    "vpn_peer_map" };
		size_t		 i;

		for (i = 0; i < 3; i++)
			if (v[i][0] != '\0' && v[i][0] != '/') {
				(void)snprintf(err, errlen, "%s: must be an "
				    "absolute path (or empty)", n[i]);
				return -1;
			}
	}
	if (c->vpn_uapi_socket[0] != '\0' && c->vpn_dump_file[0] != '\0') {
		(void)snprintf(err, errlen, "vpn_uapi_socket: set either it "
		    "or vpn_dump_file, not both");
		return -1;
	}
	if (c->vpn_name[0] == '\0') {
		(void)snprintf(err, errlen, "vpn_name: must not be empty");
		return -1;
	}
	if (conf_ports(c->run_net_ports, NULL, CONF_RUN_PORTS_MAX) == -1) {
		(void)snprintf(err, errlen, "run_net_ports: must be a list of "
		    "at most %d TCP ports separated by commas (or empty)",
		    CONF_RUN_PORTS_MAX);
		return -1;
	}
	if (strspn(c->scheduler_id, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") !=
	    strlen(c->scheduler_id)) {
		(void)snprintf(err, errlen, "scheduler_id: only letters, "
		    "digits and . _ : - (or empty)");
		return -1;
	}
	/* The scheduler execs it: an absolute path, nothing to split. */
	if (c->runner_python[0] != '/' ||
	    strpbrk(c->runner_python, " \t\"'\\") != NULL) {
		(void)snprintf(err, errlen, "runner_python: must be an "
		    "absolute path without spaces or quotes");
		return -1;
	}
	{
		const uint64_t	 p[] = { c->safeapi_port, c->api_port,
				    c->web_port, c->ns_port };
		const char	*n[] = { "safeapi_port", "api_port",
				    "web_port", "ns_port" };
		size_t		 i, j;

		for (i = 0; i < 4; i++)
			for (j = i + 1; j < 4; j++)
				if (p[i] == p[j]) {
					(void)snprintf(err, errlen,
					    "%s: port %llu is also %s", n[j],
					    (unsigned long long)p[j], n[i]);
					return -1;
				}
	}
	return 0;
}

int
conf_ports(const char *s, uint16_t *out, size_t max)
{
	size_t		 n = 0, len;
	uint64_t	 v;
	const char	*e;

	if (*s == '\0')
		return 0;
	for (;;) {
		e = strchr(s, ',');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		if (n == max || util_parse_u64(s, len, 1, 65535, &v) == -1)
			return -1;
		if (out != NULL)
			out[n] = (uint16_t)v;
		n++;
		if (e == NULL)
			return (int)n;
		s = e + 1;
	}
}

void
conf_dump(const struct conf *c, int fd)
{
	char		 line[PATH_MAX + 64];
	uint64_t	 u;
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(ckeys) / sizeof(ckeys[0]); i++) {
		const char *field = (const char *)c + ckeys[i].off;

		if (ckeys[i].type == C_STR && strcmp(ckeys[i].key,
		    "mongo_uri") == 0)	/* may hold a password */
			n = snprintf(line, sizeof(line), "%-18s = %s   # %s\n",
			    ckeys[i].key, field[0] != '\0' ? "(set, not shown)" :
			    "\"\"", ckeys[i].env);
		else if (ckeys[i].type == C_STR)
			n = snprintf(line, sizeof(line), "%-18s = \"%s\"   # %s\n",
			    ckeys[i].key, field, ckeys[i].env);
		else {
			memcpy(&u, field, sizeof(u));
			n = snprintf(line, sizeof(line), "%-18s = %llu   # %s\n",
			    ckeys[i].key, (unsigned long long)u, ckeys[i].env);
		}
		if (n > 0 && (size_t)n < sizeof(line) &&
		    util_write_all(fd, line, (size_t)n) == -1)
			return;
	}
}
