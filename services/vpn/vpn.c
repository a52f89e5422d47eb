/*
 * vpn.c - main loop of the vpn service (mupif-vpn): answers vpn.status,
 * the WireGuard peers for the safe API's /vpn-status2/.
 *
 * Trust: a collector with no privilege.  It never runs `wg` and has no
 * CAP_NET_ADMIN: the launcher opens the operator's vpn_dump_file (output
 * of `wg show <iface> dump`, written by the operator or a cron job) as
 * root and hands it in as fd 0, read-only; the service re-reads it from
 * offset 0 for every request (so the writer must rewrite it in place,
 * e.g. `wg show test dump > file`; a file replaced by rename is seen after
 * the service's next start).  The dump is untrusted input for the strict,
 * bounded parser in parse_wgdump.c; the private and preshared keys in it
 * are never copied, the read buffer is wiped after each parse, and log
 * lines name line numbers only.  Only the caller the broker lets through
 * (the safe API, broker.policy) gets an answer.  Confined by
 * policy/vpn.profile and policy/vpn.seccomp: chrooted into run/empty as
 * mupif-vpn, empty network namespace, no capabilities, base allowlist
 * plus memfds for answers larger than one frame; no open at all.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bchan.h"
#include "json.h"
#include "log.h"
#include "sandbox.h"
#include "vpn.h"
#include "banned.h"

static struct {
	int		 configured;	/* vpn_dump_file set: fd 0 is it */
	int		 show_endpoints;
	char		 iface[64];
	struct wgdump	*d;
} V;

/* The status document into g: 0, or -1 with a reason in err. */
static int
status(yajl_gen g, char *err, size_t errlen)
{
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc;

	if (!V.configured) {
		(void)yajl_gen_map_open(g);
		(void)yajl_gen_map_close(g);
		return 0;
	}
	if (lseek(STDIN_FILENO, 0, SEEK_SET) == -1 ||
	    util_read_fd(STDIN_FILENO, WG_DUMP_MAX, &buf, &len) == -1) {
		(void)snprintf(err, errlen, "dump file: %s", errno == EFBIG ?
		    "too large" : strerror(errno));
		return -1;
	}
	rc = wgdump_parse(V.d, buf, len, V.iface, err, errlen);
	/* The dump holds the hub's private key: wipe it at once. */
	explicit_bzero(buf, len);
	free(buf);
	if (rc == -1)
		return -1;
	if (wgdump_json(V.d, V.show_endpoints, g) == -1) {
		(void)snprintf(err, errlen, "time stamp out of range");
		return -1;
	}
	return 0;
}

static void
serve(struct bchan *bc, struct msg *m)
{
	yajl_gen		 g;
	const unsigned char	*out = NULL;
	size_t			 outlen = 0;
	char			 err[160];
	int			 big = -1;
	unsigned		 st = MST_OK;

	if (m->hdr.type != MSG_VPN_STATUS) {
		bchan_reply(bc, m, MST_BADREQ, NULL, 0);
		return;
	}
	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	if (status(g, err, sizeof(err)) == -1) {
		log_warnx("vpn.status: %s", err);
		st = MST_INTERNAL;
	} else {
		(void)yajl_gen_get_buf(g, &out, &outlen);
		if (outlen > MSG_MAX - MSG_HDR_LEN) {
			if ((big = util_sealed_memfd("reply", out, outlen)) ==
			    -1)
				st = MST_INTERNAL;
			out = NULL;
			outlen = 0;
		}
	}
	if (st != MST_OK) {
		out = NULL;
		outlen = 0;
	}
	bchan_reply_fd(bc, m, st, out, outlen, big);
	if (big != -1)
		(void)close(big);
	yajl_gen_free(g);
}

int
main(int argc, char *argv[])
{
	struct sandbox	 sb;
	struct bchan	 bc;
	struct msg	 m;
	const char	*iface;

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "vpn");
	if (bchan_init(&bc, FD_BROKER) == -1)
		fatal("bchan_init");
	if (signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if (json_get_bool(sb.config, "dump", &V.configured) == -1 ||
	    json_get_bool(sb.config, "show_endpoints", &V.show_endpoints) ==
	    -1 || (iface = json_get_str(sb.config, "iface")) == NULL)
		fatalx("start-up document: bad vpn settings");
	(void)snprintf(V.iface, sizeof(V.iface), "%s", iface);
	if ((V.d = calloc(1, sizeof(*V.d))) == NULL)
		fatal("calloc");
	sandbox_jail(&sb);
	sandbox_seal(&sb);
	sandbox_free(&sb);
	bchan_ready(&bc, V.configured ? "dump file" : "no dump file");
	log_info("serving %s%s", V.configured ? "the dump file" :
	    "{} (no vpn_dump_file)", V.configured && V.show_endpoints ?
	    ", peer endpoints shown" : "");

	while (bchan_serve_one(&bc, &m) == 1) {
		serve(&bc, &m);
		if (m.fd != -1) {
			(void)close(m.fd);
			m.fd = -1;
		}
	}
	free(V.d);
	log_info("exiting");
	return 0;
}
