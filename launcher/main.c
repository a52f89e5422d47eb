/*
 * main.c - mupif-central: command-line entry of the launcher.
 *
 *   mupif-central [--config FILE] [--persistent DIR] COMMAND [ARGS]
 *
 * Commands: run, status, audit verify, audit show, policy, config,
 * db export, db import, user add, vpn keys, vpn reload, help.  Every
 * command takes --config and --persistent with the same meaning;
 * configuration is defaults < config file < environment < command-line
 * flags.  The vpn commands also take --topology and --netns
 * (vpn_cmd.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"
#include "log.h"
#include "banned.h"

static const char usage_text[] =
"usage: mupif-central [--config FILE] [--persistent DIR] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  run                 start the whole node in the foreground (Ctrl-C stops)\n"
"  status [--json]     each service: pid, uptime, restarts, confinement\n"
"  audit verify        check the audit log's hash chain; names a bad record\n"
"  audit show [--since TIME] [--until TIME] [--service NAME] [--op OP]\n"
"             [--result RESULT] [--json]\n"
"                      print audit records (TIME: ISO 8601 prefix, UTC)\n"
"  policy check        parse and compile every policy file, as run does\n"
"  policy pfc FILE     print a seccomp policy compiled (libseccomp PFC)\n"
"  config              print the effective configuration\n"
"  db export           write the whole database (documents and files) to\n"
"                      standard output as JSON lines\n"
"  db import           read such an export from standard input into the\n"
"                      configured database (sqlite or mongo); ids are kept,\n"
"                      an id already there stops it, naming the line\n"
"  user add EMAIL [--admin]\n"
"                      add a REST API user; the password is read from\n"
"                      standard input (one line, at least 6 characters)\n"
"  vpn keys --topology FILE\n"
"                      check a WireGuard topology JSON; make keys for new\n"
"                      peers only; write the hub config, one config per\n"
"                      peer and the peer map (docs/vpn.md); never prints\n"
"                      a key\n"
"  vpn reload --topology FILE [--netns NAME]\n"
"                      apply the hub config's peers to the running\n"
"                      interface with `wg syncconf` (other peers' sessions\n"
"                      are kept), in network namespace NAME if given\n"
"  help                this text\n"
"\n"
"Options (every command):\n"
"  -c, --config FILE       configuration file (key = value lines)\n"
"  -p, --persistent DIR    persistent directory (default ./var)\n"
"  -h, --help              help\n"
"\n"
"Environment: MUPIF_VPN_NAME, MUPIF_NS_HOST, MUPIF_NS_PORT,\n"
"MUPIF_PERSIST_DIR, MUPIF_SAFEAPI_PORT, MUPIF_API_PORT, MUPIF_WEB_PORT,\n"
"MUPIF_BIND_ADDRESS, MUPIF_POLICY_DIR, MUPIF_CONFIG (see README.md).\n"
"Exit codes: 0 success, 1 failure, 2 bad usage or configuration.\n";

static void
usage(int code)
{
	(void)fputs(usage_text, code == 0 ? stdout : stderr);
	exit(code);
}

int
persistent_path(const struct conf *c, const char *sub, char *out, size_t len)
{
	int n = snprintf(out, len, "%s%s%s", c->persistent,
	    sub != NULL ? "/" : "", sub != NULL ? sub : "");

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Defaults, then the file, then the environment, then flags.  On error
 * prints one line and returns -1 (callers exit 2). */
int
load_conf(const struct opts *o, struct conf *c, int quiet)
{
	const char	*file = o->config;
	char		*text, err[512];
	size_t		 len;

	(void)quiet;
	conf_defaults(c);
	if (file == NULL)
		file = getenv("MUPIF_CONFIG");
	if (file != NULL) {
		if (util_read_file(file, CONF_MAX_FILE, &text, &len) == -1) {
			(void)fprintf(stderr, "mupif-central: config %s: %s\n",
			    file, strerror(errno));
			return -1;
		}
		if (conf_parse(c, text, len, file, err, sizeof(err)) == -1) {
			free(text);
			(void)fprintf(stderr, "mupif-central: config %s\n",
			    err);
			return -1;
		}
		free(text);
	}
	if (conf_env(c, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "mupif-central: %s\n", err);
		return -1;
	}
	if (o->persistent != NULL &&
	    conf_set(c, "persistent", o->persistent, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "mupif-central: --persistent: %s\n", err);
		return -1;
	}
	if (conf_check(c, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "mupif-central: config: %s\n", err);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "persistent",	required_argument,	NULL, 'p' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "since",	required_argument,	NULL, 'S' },
		{ "until",	required_argument,	NULL, 'U' },
		{ "service",	required_argument,	NULL, 's' },
		{ "op",		required_argument,	NULL, 'o' },
		{ "result",	required_argument,	NULL, 'r' },
		{ "admin",	no_argument,		NULL, 'A' },
		{ "topology",	required_argument,	NULL, 'T' },
		{ "netns",	required_argument,	NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts	 o;
	char		*sub[16];
	int		 ch, nsub = 0, help = 0, i;
	const char	*filters[5] = { NULL };

	memset(&o, 0, sizeof(o));
	log_init("launcher", 0);
	/* Options may come before or after the command. */
	while ((ch = getopt_long(argc, argv, "c:p:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'p':
			o.persistent = optarg;
			break;
		case 'h':
			help = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'A':
			o.admin = 1;
			break;
		case 'T':
			o.topology = optarg;
			break;
		case 'N':
			o.netns = optarg;
			break;
		case 'S':
			filters[0] = optarg;
			break;
		case 'U':
			filters[1] = optarg;
			break;
		case 's':
			filters[2] = optarg;
			break;
		case 'o':
			filters[3] = optarg;
			break;
		case 'r':
			filters[4] = optarg;
			break;
		default:
			usage(2);
		}
	}
	for (i = optind; i < argc && nsub < 15; i++)
		sub[nsub++] = argv[i];
	sub[nsub] = NULL;
	if (help || nsub == 0 || strcmp(sub[0], "help") == 0)
		usage(help || (nsub > 0 && strcmp(sub[0], "help") == 0) ? 0 : 2);
	if ((o.topology != NULL || o.netns != NULL) &&
	    strcmp(sub[0], "vpn") != 0)
		usage(2);

	if (strcmp(sub[0], "run") == 0) {
		if (nsub != 1 || filters[0] || filters[1] || filters[2] ||
		    filters[3] || filters[4])
			usage(2);
		return cmd_run(&o, nsub, sub);
	}
	if (strcmp(sub[0], "status") == 0) {
		if (nsub != 1)
			usage(2);
		return cmd_status(&o, nsub, sub);
	}
	if (strcmp(sub[0], "audit") == 0) {
		char *aargv[8];
		int an = 0;

		/* Pass filters as "--name=value" words to keep one parser. */
		static char fbuf[5][512];
		static const char *const fn[5] = {
			"since", "until", "service", "op", "result"
		};
		for (i = 0; i < nsub && an < 2; i++)
			aargv[an++] = sub[i];
		if (nsub > 2)
			usage(2);
		for (i = 0; i < 5; i++) {
			if (filters[i] == NULL)
				continue;
			(void)snprintf(fbuf[i], sizeof(fbuf[i]), "%s=%s",
			    fn[i], filters[i]);
			aargv[an++] = fbuf[i];
		}
		aargv[an] = NULL;
		return cmd_audit(&o, an, aargv);
	}
	if (strcmp(sub[0], "policy") == 0)
		return cmd_policy(&o, nsub, sub);
	if (strcmp(sub[0], "db") == 0) {
		if (filters[0] || filters[1] || filters[2] || filters[3] ||
		    filters[4] || o.json)
			usage(2);
		return cmd_db(&o, nsub, sub);
	}
	if (strcmp(sub[0], "user") == 0) {
		if (filters[0] || filters[1] || filters[2] || filters[3] ||
		    filters[4] || o.json)
			usage(2);
		return cmd_user(&o, nsub, sub);
	}
	if (strcmp(sub[0], "vpn") == 0) {
		if (filters[0] || filters[1] || filters[2] || filters[3] ||
		    filters[4] || o.json || o.admin)
			usage(2);
		return cmd_vpn(&o, nsub, sub);
	}
	if (strcmp(sub[0], "config") == 0) {
		struct conf c;

		if (nsub != 1)
			usage(2);
		if (load_conf(&o, &c, 0) == -1)
			return 2;
		conf_dump(&c, STDOUT_FILENO);
		return 0;
	}
	(void)fprintf(stderr, "mupif-central: unknown command \"%s\"\n\n",
	    sub[0]);
	usage(2);
}
