/*
 * vpn.c - main loop of the vpn service (mupif-vpn): answers vpn.status,
 * the WireGuard peers for the safe API's /vpn-status2/.
 *
 * Trust: a collector with no privilege.  It never runs `wg`, opens no
 * path and has no capability (no CAP_NET_ADMIN).  Its source is fd 0,
 * which the launcher (root) prepares:
 *  - vpn_uapi_socket set: one end of a socketpair to the launcher's
 *    get-only relay (launcher/vpn_relay.c), which alone holds the
 *    connection to wireguard-go's UAPI socket.  Each request writes one
 *    byte ("get") and reads, with a time-out into a fixed buffer, the
 *    answer to "get=1" with the private_key and preshared_key lines
 *    already dropped by the relay; parse_uapi.c parses it (and would
 *    still skip a key line) and the buffer is wiped at once.  The relay
 *    never sends anything but "get=1" to wireguard-go, so this process
 *    cannot reconfigure the hub and never holds a key.  A broken,
 *    timed-out or desynchronised relay (it exits on any UAPI error) gets
 *    an error answer; once the service has run reconnect_ms (set by the
 *    launcher so restarts stay below its give-up limit) the next request
 *    ends it with exit code 3 and the launcher restarts it with a new
 *    connection and a new relay.
 *  - else vpn_dump_file set: that file (`wg show <iface> dump` output),
 *    read-only, re-read from offset 0 for every request (so the writer
 *    must rewrite it in place; a file replaced by rename is seen after
 *    the service's next start); parse_wgdump.c parses it.
 *  - else nothing: the answer is {}.
 * With vpn_peer_map set, fd 1 is the peer map file (read once before the
 * jail, then fd 1 is the log pipe again); its names replace the key
 * prefixes in "name".  Log lines name line numbers and key names only.
 * Only the caller the broker lets through (the safe API, broker.policy)
 * gets an answer.  Confined by policy/vpn.profile and policy/vpn.seccomp:
 * chrooted into run/empty as mupif-vpn, empty network namespace (the
 * relay's socketpair was made before), no capabilities, base allowlist plus
 * memfds for answers larger than one frame; no open, no socket, no
 * connect at all.
 */
#include <errno.h>
#include <poll.h>
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

#define EXIT_RECONNECT	3	/* the launcher restarts us: a new socket */

static struct {
	enum { SRC_NONE, SRC_DUMP, SRC_UAPI } src;
	int		 connected;	/* SRC_UAPI: fd 0 is usable */
	int		 show_endpoints;
	int64_t		 timeout_ms;	/* one UAPI exchange */
	int64_t		 reconnect_ms;	/* earliest exit for a reconnection */
	int64_t		 started;
	char		 iface[64];
	struct wgdump	*d;
	struct peermap	*map;		/* NULL: no peer map */
	char		*ubuf;		/* WG_DUMP_MAX: the UAPI answer */
} V;

/*
 * One exchange with the relay on fd 0 into V.ubuf: the one-byte request
 * ("get"), then 0 and the answer's length in *len (it ends with the empty
 * line), or -1 with a reason in err; then the relay is unusable
 * (V.connected = 0): a late or partial answer would desynchronise the
 * next one.
 */
static int
uapi_get(size_t *len, char *err, size_t errlen)
{
	static const char	 req[] = "g";
	int64_t			 deadline = util_mono_ms() + V.timeout_ms;
	size_t			 off = 0, n = 0;
	struct pollfd		 pfd;
	ssize_t			 r;
	const char		*why = NULL;

	pfd.fd = STDIN_FILENO;
	while (why == NULL) {
		int64_t left = deadline - util_mono_ms();

		pfd.events = off < sizeof(req) - 1 ? POLLOUT : POLLIN;
		pfd.revents = 0;
		if (left <= 0) {
			why = "time-out";
			break;
		}
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			why = strerror(errno);
			break;
		}
		if (pfd.revents == 0)
			continue;
		if (off < sizeof(req) - 1) {
			r = write(STDIN_FILENO, req + off, sizeof(req) - 1 - off);
			if (r == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				why = r == 0 ? "short write" : strerror(errno);
				break;
			}
			off += (size_t)r;
			continue;
		}
		if (n == WG_DUMP_MAX) {
			why = "answer too large";
			break;
		}
		r = read(STDIN_FILENO, V.ubuf + n, WG_DUMP_MAX - n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			why = r == 0 ? "closed by the relay" :
			    strerror(errno);
			break;
		}
		n += (size_t)r;
		/* An answer ends with its first empty line ("errno=N\n\n"). */
		{
			size_t		 from = n - (size_t)r;
			const char	*e;

			from = from > 0 ? from - 1 : 0;
			e = memmem(V.ubuf + from, n - from, "\n\n", 2);
			if (e != NULL && (size_t)(e - V.ubuf) + 2 != n)
				why = "data after the answer";
			else if (e != NULL) {
				*len = n;
				return 0;
			}
		}
	}
	explicit_bzero(V.ubuf, n);
	V.connected = 0;
	(void)snprintf(err, errlen, "UAPI socket: %s", why);
	return -1;
}

/* The live status from the UAPI socket into V.d: 0, or -1 and err. */
static int
status_uapi(char *err, size_t errlen)
{
	size_t	len = 0;
	int	rc;

	if (!V.connected) {
		(void)snprintf(err, errlen, "UAPI socket: not connected");
		return -1;
	}
	if (uapi_get(&len, err, errlen) == -1)
		return -1;
	rc = uapi_parse(V.d, V.ubuf, len, V.iface, err, errlen);
	/* The relay dropped the keys; wipe the answer all the same. */
	explicit_bzero(V.ubuf, len);
	if (rc == -1) {
		/* Not the answer we expect: the stream may be out of step. */
		V.connected = 0;
	}
	return rc;
}

/* The dump file (fd 0) into V.d: 0, or -1 and err. */
static int
status_dump(char *err, size_t errlen)
{
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc;

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
	return rc;
}

/* The status document into g: 0, or -1 with a reason in err. */
static int
status(yajl_gen g, char *err, size_t errlen)
{
	int rc;

	if (V.src == SRC_NONE) {
		(void)yajl_gen_map_open(g);
		(void)yajl_gen_map_close(g);
		return 0;
	}
	rc = V.src == SRC_UAPI ? status_uapi(err, errlen) :
	    status_dump(err, errlen);
	if (rc == -1)
		return -1;
	if (V.map != NULL)
		peermap_apply(V.map, V.d);
	if (wgdump_json(V.d, V.show_endpoints, util_wall_ms() / 1000,
	    g) == -1) {
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

/*
 * The peer map on fd 1, read before the jail; fd 1 then becomes the log
 * pipe (fd 2) again.  A bad map is logged and ignored: the peers are then
 * named by key prefix, as without a map.
 */
static void
load_peer_map(void)
{
	char	*buf = NULL, err[160];
	size_t	 len = 0;

	if (util_read_fd(STDOUT_FILENO, WG_PEERMAP_MAX, &buf, &len) == -1)
		log_warn("peer map: %s", errno == EFBIG ? "too large" :
		    "read");
	else {
		if ((V.map = calloc(1, sizeof(*V.map))) == NULL)
			fatal("calloc");
		if (peermap_parse(V.map, buf, len, err, sizeof(err)) == -1) {
			log_warnx("%s; peers are named by key prefix", err);
			free(V.map);
			V.map = NULL;
		}
	}
	free(buf);
	if (dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
		fatal("dup2");
}

int
main(int argc, char *argv[])
{
	struct sandbox	 sb;
	struct bchan	 bc;
	struct msg	 m;
	const char	*iface, *src;
	long long	 tmo, rec;
	int		 peer_map, rc = 0;

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "vpn");
	if (bchan_init(&bc, FD_BROKER) == -1)
		fatal("bchan_init");
	if (signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if ((src = json_get_str(sb.config, "source")) == NULL ||
	    json_get_bool(sb.config, "connected", &V.connected) == -1 ||
	    json_get_bool(sb.config, "peer_map", &peer_map) == -1 ||
	    json_get_bool(sb.config, "show_endpoints", &V.show_endpoints) ==
	    -1 || json_get_int(sb.config, "uapi_timeout_ms", &tmo) == -1 ||
	    json_get_int(sb.config, "reconnect_ms", &rec) == -1 ||
	    tmo < 1 || tmo > 600000 || rec < 0 || rec > 86400000LL * 30 ||
	    (iface = json_get_str(sb.config, "iface")) == NULL)
		fatalx("start-up document: bad vpn settings");
	if (strcmp(src, "uapi") == 0)
		V.src = SRC_UAPI;
	else if (strcmp(src, "dump") == 0)
		V.src = SRC_DUMP;
	else if (strcmp(src, "none") == 0)
		V.src = SRC_NONE;
	else
		fatalx("start-up document: bad vpn source");
	V.timeout_ms = tmo;
	V.reconnect_ms = rec;
	(void)snprintf(V.iface, sizeof(V.iface), "%s", iface);
	if ((V.d = calloc(1, sizeof(*V.d))) == NULL ||
	    (V.src == SRC_UAPI && (V.ubuf = malloc(WG_DUMP_MAX)) == NULL))
		fatal("calloc");
	if (peer_map)
		load_peer_map();
	sandbox_jail(&sb);
	sandbox_seal(&sb);
	sandbox_free(&sb);
	V.started = util_mono_ms();
	bchan_ready(&bc, V.src == SRC_UAPI ? "uapi socket" :
	    V.src == SRC_DUMP ? "dump file" : "no dump file");
	log_info("serving %s%s%s", V.src == SRC_UAPI ? (V.connected ?
	    "the UAPI socket" : "errors (UAPI socket not connected)") :
	    V.src == SRC_DUMP ? "the dump file" : "{} (no vpn_uapi_socket, "
	    "no vpn_dump_file)", V.src != SRC_NONE && V.show_endpoints ?
	    ", peer endpoints shown" : "", V.map != NULL ?
	    ", names from the peer map" : "");

	while (bchan_serve_one(&bc, &m) == 1) {
		serve(&bc, &m);
		if (m.fd != -1) {
			(void)close(m.fd);
			m.fd = -1;
		}
		if (V.src == SRC_UAPI && !V.connected &&
		    util_mono_ms() - V.started >= V.reconnect_ms) {
			log_warnx("UAPI socket unusable: exiting to be "
			    "restarted with a new connection");
			rc = EXIT_RECONNECT;
			break;
		}
	}
	if (V.ubuf != NULL)
		explicit_bzero(V.ubuf, WG_DUMP_MAX);
	free(V.ubuf);
	free(V.map);
	free(V.d);
	if (rc == 0)
		log_info("exiting");
	return rc;
}
