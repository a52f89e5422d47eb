/*
 * conf.h - the node's configuration: defaults, an optional file, the
 * environment (the container's variable names), then command-line flags,
 * each overriding the one before.  Parsed only by the launcher, which hands
 * each service the few values it needs.
 *
 * File format (documented in README.md): one "key = value" per line, '#'
 * starts a comment, blank lines ignored, values may be "double quoted".
 */
#ifndef CONF_H
#define CONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct conf {
	char		persistent[PATH_MAX];
	char		policy_dir[PATH_MAX];
	char		vpn_name[64];
	char		ns_host[256];
	uint64_t	ns_port;
	char		bind_address[64];
	uint64_t	safeapi_port;
	uint64_t	api_port;
	uint64_t	web_port;
	uint64_t	log_max_bytes;
	uint64_t	log_keep;
	uint64_t	broker_timeout_ms;
	uint64_t	restart_max;
	uint64_t	restart_window;
	uint64_t	status_cache_ms;
	uint64_t	status_min_refresh_ms;
	uint64_t	audit_checkpoint_s;	/* launcher signs the audit log; 0 off */
	uint64_t	safeapi_rate;		/* requests/s per client, 0 off */
	uint64_t	safeapi_burst;		/* ... bucket size */
	char		trusted_proxy[64];	/* IP whose X-Forwarded-For counts */
	uint64_t	safeapi_timeout_s;	/* idle/slow connection timeout */
	uint64_t	safeapi_max_conn_per_addr;	/* 0: no limit */
	uint64_t	safeapi_max_request;	/* bytes of request line+headers */
	uint64_t	broker_rate;
	char		db_backend[16];		/* sqlite | mongo */
	char		mongo_uri[1024];	/* secret: never printed */
	char		mongo_db[64];
	uint64_t	file_max_bytes;		/* one stored file */
	uint64_t	ns_max_message;		/* one Pyro message */
	uint64_t	ns_max_entries;		/* registrations */
	uint64_t	ns_max_connections;	/* open client connections */
	uint64_t	ns_autoclean_s;		/* 0 off, else >= 3 (sweep period) */
	char		ns_autoclean_nets[512];	/* CIDRs autoclean may probe */
	uint64_t	ns_probe;		/* ns.jobmans, ns.schedulers */
	uint64_t	ns_probe_budget_ms;	/* one round of either */
	uint64_t	ns_write_protect;	/* names owned by peer address */
	uint64_t	api_threads;		/* REST API worker threads */
	uint64_t	api_max_body;		/* REST API request body cap */
	uint64_t	api_auth_cache_ms;	/* REST API authentication cache */
	uint64_t	api_max_conn_per_addr;	/* REST API connections per address */
	uint64_t	cookie_secure;		/* Secure on the access_token cookie */
	char		runner_python[256];	/* scheduler's Python */
	uint64_t	inspect_cpu_s;		/* workflow inspection limits */
	uint64_t	inspect_mem_mb;
	uint64_t	inspect_timeout_s;
	uint64_t	inspect_max_bytes;	/* extracted files, in total */
	/* The scheduling loop (services/scheduler/README.md). */
	uint64_t	run_slots;		/* executions at once; 0: none */
	uint64_t	run_timeout_s;		/* wall clock of one run */
	uint64_t	run_cpu_s;		/* 0: run_timeout_s */
	uint64_t	run_mem_mb;		/* address space of each process */
	uint64_t	run_nproc;		/* processes of one run */
	uint64_t	run_fsize_mb;		/* largest file it writes */
	uint64_t	run_nofile;
	uint64_t	run_log_max;		/* bytes of log kept */
	uint64_t	run_max_attempts;	/* then back to Created */
	uint64_t	run_poll_s;		/* fallback poll period */
	char		run_net_ports[128];	/* extra TCP ports, "a,b" */
	char		scheduler_id[65];	/* claim owner; "": host+dir */
	uint64_t	registration;		/* auth.register allowed */
	uint64_t	login_rate_user;	/* failed logins/min per user */
	uint64_t	login_rate_addr;	/* ... per client address */
	char		vpn_dump_file[PATH_MAX];	/* `wg show IF dump` output */
	uint64_t	vpn_show_endpoints;	/* peers' public addresses */
	char		vpn_uapi_socket[PATH_MAX];	/* wireguard-go control */
	char		vpn_peer_map[PATH_MAX];	/* public key -> name JSON */
	uint64_t	debug;
};

#define CONF_MAX_FILE	(64 * 1024)

void	 conf_defaults(struct conf *);
/* Parse a config file's text (len bytes; fname for messages).  On error
 * returns -1 with one line "FILE:LINE: what (key)" in err. */
int	 conf_parse(struct conf *, const char *text, size_t len,
	    const char *fname, char *err, size_t errlen) WUR;
/* Set one key from a string (used for the environment and flags). */
int	 conf_set(struct conf *, const char *key, const char *val,
	    char *err, size_t errlen) WUR;
/* Apply MUPIF_* environment variables.  -1 with err naming the variable. */
int	 conf_env(struct conf *, char *err, size_t errlen) WUR;
/* Cross-field checks after everything is applied. */
int	 conf_check(const struct conf *, char *err, size_t errlen) WUR;
/* Parse run_net_ports ("a,b,c") into out (may be NULL): the count, or -1
 * for anything but at most max ports 1..65535 separated by commas. */
#define CONF_RUN_PORTS_MAX	12
int	 conf_ports(const char *, uint16_t *out, size_t max);
/* Write "key = value" lines (for `--help` and debugging). */
void	 conf_dump(const struct conf *, int fd);

#endif /* CONF_H */
