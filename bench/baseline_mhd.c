/*
 * baseline_mhd.c - the benchmark's baseline: libmicrohttpd in the same
 * mode as safeapi (external epoll loop, one thread, answer on the second
 * callback) returning a fixed JSON body of the /status2/ size, with no
 * broker, no cache and no sandbox.  bench/run.sh compares safeapi to it.
 *
 *   baseline_mhd PORT
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

static const char body[] =
    "{\"nameserver\":\"Failed\",\"dms\":\"OK\",\"scheduler\":\"Failed\","
    "\"name\":\"bench\"}";
static int marker;

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	(void)upload_size;
	if (*con_cls == NULL) {
		*con_cls = &marker;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(sizeof(body) - 1,
	    (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	(void)MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(int argc, char *argv[])
{
	struct MHD_Daemon		*d;
	const union MHD_DaemonInfo	*info;
	struct pollfd			 pfd;
	char				*end;
	long				 port;

	if (argc != 2 || (port = strtol(argv[1], &end, 10)) <= 0 ||
	    port > 65535 || *end != '\0') {
		(void)fprintf(stderr, "usage: baseline_mhd PORT\n");
		return 2;
	}
	d = MHD_start_daemon(MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
	    handler, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)512,
	    MHD_OPTION_END);
	if (d == NULL ||
	    (info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD)) == NULL)
		return 1;
	for (;;) {
		pfd.fd = info->epoll_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
			return 1;
		(void)MHD_run(d);
	}
}
