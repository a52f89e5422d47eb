/*
 * ns_load.c - load client for Pyro5 nameservers (ours and pyro5-ns), used
 * by bench/ns.sh.  It replays captured client messages from the shared
 * vectors (vectors/pyro5/serpent): each connection sends the handshake,
 * then one request at a time (closed loop) for the given seconds; replies
 * are framed by the 40-byte Pyro5 header (data size at offset 12,
 * annotation size at offset 18, big-endian).  Prints "<requests> <rate>".
 *
 *   ns_load PORT CONNS SECONDS HANDSHAKE.bin REQUEST.bin [SETUP.bin ...]
 *
 * SETUP messages are sent once, on the first connection, before timing
 * (the registrations the requests look up).  Loopback only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct blob {
	unsigned char	*p;
	size_t		 n;
};

static struct blob
slurp(const char *path)
{
	struct blob	 b = { NULL, 0 };
	FILE		*f = fopen(path, "rb");
	long		 n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b.p = malloc((size_t)n)) == NULL ||
	    fread(b.p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "ns_load: cannot read %s\n", path);
		exit(2);
	}
	b.n = (size_t)n;
	fclose(f);
	return b;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
send_all(int fd, const struct blob *b)
{
	size_t	off = 0;
	ssize_t	w;

	while (off < b->n) {
		if ((w = send(fd, b->p + off, b->n - off, MSG_NOSIGNAL)) <= 0) {
			perror("ns_load: send");
			exit(1);
		}
		off += (size_t)w;
	}
}

/* Read exactly one Pyro5 message (blocking). */
static void
recv_msg(int fd, unsigned char *buf, size_t cap)
{
	size_t	have = 0, want = 40;
	ssize_t	r;

	while (have < want) {
		if ((r = recv(fd, buf + have, want - have, 0)) <= 0) {
			fprintf(stderr, "ns_load: connection closed\n");
			exit(1);
		}
		have += (size_t)r;
		if (have == 40 && want == 40) {
			if (memcmp(buf, "PYRO", 4) != 0) {
				fprintf(stderr, "ns_load: not a Pyro5 reply\n");
				exit(1);
			}
			want = 40 + ((size_t)buf[18] << 8 | buf[19]) +
			    ((size_t)buf[12] << 24 | (size_t)buf[13] << 16 |
			    (size_t)buf[14] << 8 | buf[15]);
			if (want > cap) {
				fprintf(stderr, "ns_load: reply too big\n");
				exit(1);
			}
		}
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sa;
	struct blob		 hs, rq;
	struct pollfd		*pfd;
	unsigned char		*buf;
	long			 port, conns, secs, i;
	unsigned long long	 done = 0;
	double			 t0, t1;
	int			 one = 1;

	if (argc < 6 || (port = strtol(argv[1], NULL, 10)) <= 0 ||
	    (conns = strtol(argv[2], NULL, 10)) <= 0 || conns > 1000 ||
	    (secs = strtol(argv[3], NULL, 10)) <= 0 || secs > 600) {
		fprintf(stderr, "usage: ns_load PORT CONNS SECONDS HANDSHAKE "
		    "REQUEST [SETUP...]\n");
		return 2;
	}
	hs = slurp(argv[4]);
	rq = slurp(argv[5]);
	if ((buf = malloc(1 << 20)) == NULL ||
	    (pfd = calloc((size_t)conns, sizeof(*pfd))) == NULL)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < conns; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd == -1 || connect(fd, (struct sockaddr *)&sa,
		    sizeof(sa)) == -1) {
			perror("ns_load: connect");
			return 1;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		send_all(fd, &hs);
		recv_msg(fd, buf, 1 << 20);
		if (i == 0)
			for (int k = 6; k < argc; k++) {
				struct blob s = slurp(argv[k]);

				send_all(fd, &s);
				recv_msg(fd, buf, 1 << 20);
				free(s.p);
			}
		pfd[i].fd = fd;
		pfd[i].events = POLLIN;
	}
	/* Closed loop: every connection has one request outstanding. */
	t0 = now();
	for (i = 0; i < conns; i++)
		send_all(pfd[i].fd, &rq);
	for (;;) {
		if (poll(pfd, (nfds_t)conns, 1000) < 0 && errno != EINTR) {
			perror("ns_load: poll");
			return 1;
		}
		t1 = now();
		for (i = 0; i < conns; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			recv_msg(pfd[i].fd, buf, 1 << 20);
			done++;
			if (t1 - t0 < (double)secs)
				send_all(pfd[i].fd, &rq);
			else
				pfd[i].events = 0;
		}
		if (t1 - t0 >= (double)secs) {
			int busy = 0;

			for (i = 0; i < conns; i++)
				busy |= pfd[i].events != 0;
			if (!busy || t1 - t0 > (double)secs + 5)
				break;
		}
	}
	t1 = now();
	printf("%llu %.0f\n", done, (double)done / (t1 - t0));
	return 0;
}
