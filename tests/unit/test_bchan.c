/*
 * test_bchan.c - unit tests for lib/bchan.c, driven over a SOCK_SEQPACKET
 * socketpair whose other end plays the broker:
 *   - many threads call at once and get their own replies, answered in
 *     reverse order;
 *   - a call that is never answered times out without holding up a
 *     faster one;
 *   - a request that arrives while a call waits is queued (with its fd)
 *     and bchan_serve_one() returns it afterwards; past BCHAN_QMAX the
 *     extra requests are answered MST_BUSY with a detail;
 *   - a late reply is dropped; one thread serving while others call;
 *   - the broker going away fails calls and ends serving.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bchan.h"
#include "msg.h"
#include "util.h"

struct pair {
	struct bchan	 b;
	int		 peer;		/* the "broker" end */
	uint8_t		*buf;
};

static void
pair_open(struct pair *p)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_int_equal(bchan_init(&p->b, sv[0]), 0);
	p->peer = sv[1];
	p->buf = malloc(MSG_MAX);
	assert_non_null(p->buf);
}

static void
pair_close(struct pair *p)
{
	if (p->peer != -1)
		(void)close(p->peer);
	(void)close(p->b.fd);
	bchan_free(&p->b);
	free(p->buf);
}

/* Peer: receive one frame (waits at most ms); 1 or 0 on timeout. */
static int
peer_recv(struct pair *p, struct msg *m, int ms)
{
	struct pollfd	pfd = { .fd = p->peer, .events = POLLIN };
	int		ferr;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	assert_int_equal(msg_recv(p->peer, p->buf, m, &ferr), 1);
	return 1;
}

static void
peer_reply(struct pair *p, uint32_t type, uint32_t id, unsigned st,
    const char *body)
{
	struct msg_hdr h;

	assert_int_equal(msg_hdr_init(&h, type, id, MSG_F_REPLY, st, NULL), 0);
	assert_int_equal(msg_send(p->peer, &h, body, strlen(body), -1), 0);
}

static void
peer_request(struct pair *p, uint32_t type, uint32_t id, const char *body,
    int fd)
{
	struct msg_hdr h;

	assert_int_equal(msg_hdr_init(&h, type, id, 0, MST_OK, NULL), 0);
	h.caller = SVC_API;
	assert_int_equal(msg_send(p->peer, &h, body, strlen(body), fd), 0);
}

/* ---- many callers at once ---- */

#define NCALLERS 8

struct caller {
	struct pair	*p;
	int		 n;
	int		 timeout;
	int		 st;
	char		*reply;
	int64_t		 took;
};

static void *
caller_main(void *arg)
{
	struct caller	*c = arg;
	char		 req[32];
	int64_t		 t0 = util_mono_ms();

	(void)snprintf(req, sizeof(req), "{\"n\":%d}", c->n);
	c->st = bchan_call(&c->p->b, MSG_DB_PING, NULL, req, strlen(req),
	    c->timeout, &c->reply, NULL);
	c->took = util_mono_ms() - t0;
	return NULL;
}

static void
test_concurrent_calls(void **state)
{
	struct pair	 p;
	struct caller	 c[NCALLERS];
	pthread_t	 t[NCALLERS];
	struct msg	 m;
	uint32_t	 ids[NCALLERS];
	char		 bodies[NCALLERS][32];
	int		 i;

	pair_open(&p);
	for (i = 0; i < NCALLERS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].p = &p;
		c[i].n = i;
		c[i].timeout = 5000;
		assert_int_equal(pthread_create(&t[i], NULL, caller_main,
		    &c[i]), 0);
	}
	/* Collect every request before answering any: they are all in
	 * flight at once. */
	for (i = 0; i < NCALLERS; i++) {
		assert_int_equal(peer_recv(&p, &m, 3000), 1);
		ids[i] = m.hdr.peerid;
		assert_true(m.datalen < sizeof(bodies[i]));
		memcpy(bodies[i], m.data, m.datalen);
		bodies[i][m.datalen] = '\0';
	}
	/* Answer in reverse order, echoing each request's body. */
	for (i = NCALLERS - 1; i >= 0; i--)
		peer_reply(&p, MSG_DB_PING, ids[i], MST_OK, bodies[i]);
	for (i = 0; i < NCALLERS; i++) {
		char want[32];

		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(c[i].st, MST_OK);
		(void)snprintf(want, sizeof(want), "{\"n\":%d}", i);
		assert_string_equal(c[i].reply, want);
		free(c[i].reply);
	}
	pair_close(&p);
}

/* ---- a slow call does not hold up a fast one ---- */

static void
test_timeouts_independent(void **state)
{
	struct pair	p;
	struct caller	slow, fast;
	pthread_t	ts, tf;
	struct msg	m;
	uint32_t	fast_id = 0;
	int		i;

	pair_open(&p);
	memset(&slow, 0, sizeof(slow));
	memset(&fast, 0, sizeof(fast));
	slow.p = fast.p = &p;
	slow.n = 1;
	slow.timeout = 1500;
	fast.n = 2;
	fast.timeout = 1000;
	assert_int_equal(pthread_create(&ts, NULL, caller_main, &slow), 0);
	/* Let the slow caller become the reader first. */
	assert_int_equal(peer_recv(&p, &m, 3000), 1);
	assert_int_equal(pthread_create(&tf, NULL, caller_main, &fast), 0);
	assert_int_equal(peer_recv(&p, &m, 3000), 1);
	fast_id = m.hdr.peerid;
	(void)usleep(100 * 1000);
	peer_reply(&p, MSG_DB_PING, fast_id, MST_NOTFOUND, "{\"detail\":\"x\"}");
	assert_int_equal(pthread_join(tf, NULL), 0);
	assert_int_equal(fast.st, MST_NOTFOUND);
	assert_string_equal(fast.reply, "{\"detail\":\"x\"}");
	assert_true(fast.took < 900);
	free(fast.reply);
	assert_int_equal(pthread_join(ts, NULL), 0);
	assert_int_equal(slow.st, MST_TIMEOUT);
	assert_null(slow.reply);
	assert_true(slow.took >= 1400 && slow.took < 3000);

	/* The slow call's late reply is dropped; the next call works. */
	for (i = 0; i < 2; i++) {
		struct caller	c2;
		pthread_t	t2;

		memset(&c2, 0, sizeof(c2));
		c2.p = &p;
		c2.timeout = 2000;
		assert_int_equal(pthread_create(&t2, NULL, caller_main, &c2),
		    0);
		assert_int_equal(peer_recv(&p, &m, 3000), 1);
		peer_reply(&p, MSG_DB_PING, m.hdr.peerid - 2, MST_OK,
		    "{\"late\":1}");
		peer_reply(&p, MSG_DB_PING, m.hdr.peerid, MST_OK, "{}");
		assert_int_equal(pthread_join(t2, NULL), 0);
		assert_int_equal(c2.st, MST_OK);
		assert_string_equal(c2.reply, "{}");
		free(c2.reply);
	}
	pair_close(&p);
}

/* ---- requests arriving while a call waits ---- */

struct script {
	struct pair	*p;
	int		 nreq;		/* requests to send before replying */
	int		 fd;		/* passed with the first request */
	int		 busy;		/* MST_BUSY replies seen */
	int		 detail;	/* ... that carried a detail */
};

/* The peer: wait for the call, send nreq requests, then the reply, then
 * count the MST_BUSY answers that come back. */
static void *
script_main(void *arg)
{
	struct script	*s = arg;
	struct msg	 m;
	uint32_t	 id;
	char		 body[32];
	int		 i;

	if (!peer_recv(s->p, &m, 3000))
		return NULL;
	id = m.hdr.peerid;
	for (i = 0; i < s->nreq; i++) {
		(void)snprintf(body, sizeof(body), "{\"seq\":%d}", i);
		peer_request(s->p, MSG_AUTH_LOGIN, 1000 + (uint32_t)i, body,
		    i == 0 ? s->fd : -1);
	}
	peer_reply(s->p, MSG_DB_PING, id, MST_OK, "{\"ok\":true}");
	while (peer_recv(s->p, &m, 300)) {
		if ((m.hdr.flags & MSG_F_REPLY) && m.hdr.status == MST_BUSY) {
			s->busy++;
			if (m.datalen > 0 && memmem(m.data, m.datalen,
			    "\"detail\"", 8) != NULL)
				s->detail++;
		}
	}
	return NULL;
}

static void
test_serve_while_calling(void **state)
{
	struct pair	 p;
	struct script	 s;
	pthread_t	 t;
	struct msg	 m;
	char		*reply = NULL;
	int		 pfd[2], i, st;

	pair_open(&p);
	assert_int_equal(pipe(pfd), 0);
	memset(&s, 0, sizeof(s));
	s.p = &p;
	s.nreq = BCHAN_QMAX + 6;
	s.fd = pfd[0];
	assert_int_equal(pthread_create(&t, NULL, script_main, &s), 0);
	st = bchan_call(&p.b, MSG_DB_PING, NULL, "{}", 2, 5000, &reply, NULL);
	assert_int_equal(st, MST_OK);
	assert_string_equal(reply, "{\"ok\":true}");
	free(reply);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.busy, 6);
	assert_int_equal(s.detail, 6);
	assert_int_equal(bchan_queued(&p.b), BCHAN_QMAX);

	/* Queued requests come out in order, the first with its fd. */
	for (i = 0; i < BCHAN_QMAX; i++) {
		char want[32];

		assert_int_equal(bchan_serve_one(&p.b, &m), 1);
		assert_int_equal(m.hdr.type, MSG_AUTH_LOGIN);
		assert_int_equal(m.hdr.peerid, 1000 + i);
		assert_int_equal(m.hdr.caller, SVC_API);
		(void)snprintf(want, sizeof(want), "{\"seq\":%d}", i);
		assert_int_equal(m.datalen, strlen(want));
		assert_memory_equal(m.data, want, m.datalen);
		if (i == 0) {
			assert_true(m.fd >= 0);
			(void)close(m.fd);
		} else
			assert_int_equal(m.fd, -1);
		/* A reply reaches the peer. */
		bchan_reply(&p.b, &m, MST_OK, "{}", 2);
		{
			struct msg r;

			assert_int_equal(peer_recv(&p, &r, 1000), 1);
			assert_true(r.hdr.flags & MSG_F_REPLY);
			assert_int_equal(r.hdr.peerid, 1000 + i);
		}
	}
	assert_int_equal(bchan_queued(&p.b), 0);
	(void)close(pfd[0]);
	(void)close(pfd[1]);

	/* Nothing queued: serve_one reads the socket itself. */
	peer_request(&p, MSG_AUTH_PUBKEY, 7, "{}", -1);
	assert_int_equal(bchan_serve_one(&p.b, &m), 1);
	assert_int_equal(m.hdr.type, MSG_AUTH_PUBKEY);
	assert_int_equal(m.hdr.peerid, 7);
	pair_close(&p);
}

/* ---- one thread serves, others call ---- */

static void *
server_main(void *arg)
{
	struct pair	*p = arg;
	struct msg	 m;
	int		 n = 0;

	while (bchan_serve_one(&p->b, &m) == 1) {
		bchan_reply(&p->b, &m, MST_OK, m.data, m.datalen);
		n++;
	}
	return (void *)(intptr_t)n;
}

static void
test_server_and_callers(void **state)
{
	struct pair	 p;
	struct caller	 c[4];
	pthread_t	 srv, t[4];
	struct msg	 m;
	void		*served;
	int		 i, got = 0, reqs = 0;

	pair_open(&p);
	assert_int_equal(pthread_create(&srv, NULL, server_main, &p), 0);
	(void)usleep(50 * 1000);	/* the server becomes the reader */
	for (i = 0; i < 4; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].p = &p;
		c[i].n = i;
		c[i].timeout = 5000;
		assert_int_equal(pthread_create(&t[i], NULL, caller_main,
		    &c[i]), 0);
	}
	/* Interleave: answer each call, and send a request of our own,
	 * whose answer comes back from the server thread. */
	while (got < 4 || reqs < 4) {
		assert_int_equal(peer_recv(&p, &m, 3000), 1);
		if (m.hdr.flags & MSG_F_REPLY) {
			assert_int_equal(m.hdr.type, MSG_AUTH_PUBKEY);
			reqs++;
			continue;
		}
		peer_request(&p, MSG_AUTH_PUBKEY, 500 + (uint32_t)got, "{}",
		    -1);
		peer_reply(&p, MSG_DB_PING, m.hdr.peerid, MST_OK, "{\"r\":1}");
		got++;
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(c[i].st, MST_OK);
		assert_string_equal(c[i].reply, "{\"r\":1}");
		free(c[i].reply);
	}
	/* The broker goes away: the server stops. */
	(void)close(p.peer);
	p.peer = -1;
	assert_int_equal(pthread_join(srv, &served), 0);
	assert_int_equal((intptr_t)served, 4);
	pair_close(&p);
}

/* ---- the broker goes away ---- */

static void
test_broker_gone(void **state)
{
	struct pair	 p;
	struct caller	 c;
	pthread_t	 t;
	struct msg	 m;

	pair_open(&p);
	memset(&c, 0, sizeof(c));
	c.p = &p;
	c.timeout = 5000;
	assert_int_equal(pthread_create(&t, NULL, caller_main, &c), 0);
	assert_int_equal(peer_recv(&p, &m, 3000), 1);
	(void)close(p.peer);
	p.peer = -1;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.st, MST_UNAVAILABLE);
	assert_true(c.took < 2000);
	assert_int_equal(bchan_call(&p.b, MSG_DB_PING, NULL, "{}", 2, 1000,
	    NULL, NULL), MST_UNAVAILABLE);
	assert_int_equal(bchan_serve_one(&p.b, &m), 0);
	pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_calls),
		cmocka_unit_test(test_timeouts_independent),
		cmocka_unit_test(test_serve_while_calling),
		cmocka_unit_test(test_server_and_callers),
		cmocka_unit_test(test_broker_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
