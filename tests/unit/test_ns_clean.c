/*
 * test_ns_clean.c - unit tests for the nameserver's autoclean
 * (services/nameserver/ns_clean.c), its CIDR lists (lib/parse_cidr.c),
 * the configuration checks of ns_autoclean_* (lib/parse_config.c), and
 * write protection (ns_methods.c with ns.write_protect): which URIs may
 * ever be probed, the 20 s grace period, stale results, a sweep that goes
 * on past URIs it cannot probe, real non-blocking probes on loopback, and
 * who may overwrite or remove a name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "nameserver.h"

struct fix {
	struct ns	 ns;
	struct ns_clean	 cl;
	char		 path[64];
	struct sbuf	 out;
};

static struct fix *
fix_new(const char *nets)
{
	struct fix	*f = calloc(1, sizeof(*f));
	char		 err[256];
	int		 fd;

	assert_non_null(f);
	(void)strlcpy(f->path, "/tmp/test_nsclean_XXXXXX", sizeof(f->path));
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	if (store_open(&f->ns.st, f->path, 1000, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	(void)strlcpy(f->ns.bind_host, "127.0.0.1", sizeof(f->ns.bind_host));
	(void)strlcpy(f->ns.adv_host, "127.0.0.1", sizeof(f->ns.adv_host));
	f->ns.port = 47190;
	f->ns.nconn = 1;
	f->ns.max_msg = 65536;
	assert_int_equal(ns_register_self(&f->ns), 0);
	ns_proto_init(&f->ns);
	sbuf_init(&f->out, 1 << 24);
	if (ns_clean_init(&f->cl, &f->ns, -1, 3, nets, err, sizeof(err)) != 0)
		fail_msg("ns_clean_init: %s", err);
	return f;
}

static void
fix_free(struct fix *f)
{
	char j[80];

	ns_clean_free(&f->cl);
	ns_proto_free(&f->ns);
	store_close(&f->ns.st);
	sbuf_free(&f->out);
	(void)unlink(f->path);
	(void)snprintf(j, sizeof(j), "%s-journal", f->path);
	(void)unlink(j);
	free(f);
}

static void
reg(struct fix *f, const char *name, const char *uri)
{
	assert_int_equal(store_set(&f->ns.st, name, strlen(name), uri,
	    strlen(uri), NULL, NULL, 0), 0);
}

static struct ns_ent *
find(struct fix *f, const char *name)
{
	return store_find(&f->ns.st, name, strlen(name));
}

/* CIDR lists */

static void
test_cidr(void **state)
{
	struct cidr_set	s;
	char		err[256], txt[256];
	uint8_t		a[16];

	(void)state;
	assert_int_equal(cidr_parse_list("", 0, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	{
		const char *l = "10.0.0.0/24, 127.0.0.1/32 fd00::/64";

		assert_int_equal(cidr_parse_list(l, strlen(l), &s, err,
		    sizeof(err)), 0);
	}
	assert_int_equal(s.n, 3);
	cidr_format(&s, txt, sizeof(txt));
	assert_string_equal(txt, "10.0.0.0/24, 127.0.0.1/32, fd00::/64");
	assert_int_equal(inet_pton(AF_INET, "10.0.0.255", a), 1);
	assert_true(cidr_contains(&s, AF_INET, a));
	assert_int_equal(inet_pton(AF_INET, "10.0.1.0", a), 1);
	assert_false(cidr_contains(&s, AF_INET, a));
	assert_int_equal(inet_pton(AF_INET, "127.0.0.2", a), 1);
	assert_false(cidr_contains(&s, AF_INET, a));
	assert_int_equal(inet_pton(AF_INET6, "fd00::1", a), 1);
	assert_true(cidr_contains(&s, AF_INET6, a));
	assert_int_equal(inet_pton(AF_INET6, "fd00:0:0:1::1", a), 1);
	assert_false(cidr_contains(&s, AF_INET6, a));
	/* An IPv4-mapped address is not in an IPv4 network. */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.0.0.1", a), 1);
	assert_false(cidr_contains(&s, AF_INET6, a));
	/* Odd prefix lengths. */
	assert_int_equal(cidr_parse_list("172.16.0.0/12", 13, &s, err,
	    sizeof(err)), 0);
	assert_int_equal(inet_pton(AF_INET, "172.31.255.1", a), 1);
	assert_true(cidr_contains(&s, AF_INET, a));
	assert_int_equal(inet_pton(AF_INET, "172.32.0.1", a), 1);
	assert_false(cidr_contains(&s, AF_INET, a));
	/* Refused. */
	{
		static const char *bad[] = { "10.0.0.0", "10.0.0.1/24",
		    "0.0.0.0/0", "::/0", "10.0.0.0/33", "fd00::/129",
		    "example.org/24", "10.0.0/24", "10.0.0.0/", "10.0.0.0/x",
		    "127.1/32", "10.0.0.0/24/1", "1.2.3.4/32 1.2.3.4/32 "
		    "1.2.3.4/32 1.2.3.4/32 1.2.3.4/32 1.2.3.4/32 1.2.3.4/32 "
		    "1.2.3.4/32 1.2.3.4/32 1.2.3.4/32 1.2.3.4/32 1.2.3.4/32 "
		    "1.2.3.4/32 1.2.3.4/32 1.2.3.4/32 1.2.3.4/32 1.2.3.4/32" };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (cidr_parse_list(bad[i], strlen(bad[i]), &s, err,
			    sizeof(err)) != -1)
				fail_msg("accepted %s", bad[i]);
	}
	assert_int_equal(cidr_parse_list("1.0.0.0/8\0", 10, &s, err,
	    sizeof(err)), -1);
}

static void
test_config(void **state)
{
	struct conf	c;
	char		err[256];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(c.ns_autoclean_s, 0);
	assert_int_equal(c.ns_write_protect, 0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), 0);
	/* On, but no networks: refused, with a hint. */
	assert_int_equal(conf_set(&c, "ns_autoclean_s", "60", err,
	    sizeof(err)), 0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ns_autoclean_nets"));
	assert_int_equal(conf_set(&c, "ns_autoclean_nets", "172.22.2.0/24",
	    err, sizeof(err)), 0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), 0);
	/* 1 and 2 are refused, as by pyro5-ns. */
	assert_int_equal(conf_set(&c, "ns_autoclean_s", "2", err,
	    sizeof(err)), 0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_int_equal(conf_set(&c, "ns_autoclean_s", "0", err,
	    sizeof(err)), 0);
	/* A bad list is refused even with autoclean off. */
	assert_int_equal(conf_set(&c, "ns_autoclean_nets", "10.0.0.1/8",
	    err, sizeof(err)), 0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "host bits"));
	assert_int_equal(conf_set(&c, "ns_write_protect", "yes", err,
	    sizeof(err)), 0);
	assert_int_equal(c.ns_write_protect, 1);
	/* The container's PYRO_NS_AUTOCLEAN, rounded up; MUPIF_ wins. */
	conf_defaults(&c);
	assert_int_equal(setenv("PYRO_NS_AUTOCLEAN", "60.0", 1), 0);
	assert_int_equal(conf_env(&c, err, sizeof(err)), 0);
	assert_int_equal(c.ns_autoclean_s, 60);
	assert_int_equal(setenv("PYRO_NS_AUTOCLEAN", "2.5", 1), 0);
	assert_int_equal(conf_env(&c, err, sizeof(err)), 0);
	assert_int_equal(c.ns_autoclean_s, 3);
	assert_int_equal(setenv("PYRO_NS_AUTOCLEAN", "soon", 1), 0);
	assert_int_equal(conf_env(&c, err, sizeof(err)), -1);
	assert_int_equal(setenv("PYRO_NS_AUTOCLEAN", "60", 1), 0);
	assert_int_equal(setenv("MUPIF_NS_AUTOCLEAN_S", "0", 1), 0);
	assert_int_equal(conf_env(&c, err, sizeof(err)), 0);
	assert_int_equal(c.ns_autoclean_s, 0);
	(void)unsetenv("PYRO_NS_AUTOCLEAN");
	(void)unsetenv("MUPIF_NS_AUTOCLEAN_S");
}

/* Which URIs may be probed */

static void
test_targets(void **state)
{
	static const struct {
		const char	*uri;
		int		 ok;
	} cases[] = {
		{ "PYRO:obj@10.1.2.3:4000", 1 },
		{ "pyro:obj@10.1.2.3:4000", 1 },
		{ "PYRO:obj@[fd00::5]:4000", 1 },
		{ "PYRO:obj@10.1.3.3:4000", 0 },	/* outside */
		{ "PYRO:obj@10.255.255.1:4000", 0 },
		{ "PYRO:obj@127.0.0.1:4000", 0 },
		{ "PYRO:obj@[fd01::5]:4000", 0 },
		{ "PYRO:obj@[::ffff:10.1.2.3]:4000", 0 },	/* v4-mapped */
		{ "PYRO:obj@[fe80::1%eth0]:4000", 0 },	/* scoped */
		{ "PYRO:obj@localhost:4000", 0 },	/* a host name */
		{ "PYRO:obj@jobman.vpn:4000", 0 },
		{ "PYRO:obj@010.001.002.003:4000", 0 },	/* not canonical */
		{ "PYRO:obj@10.1.2.3:0", 0 },
		{ "PYRO:obj@10.1.2.3:70000", 0 },
		{ "PYRO:obj@./u:sock", 0 },
		{ "PYRONAME:other", 0 },
		{ "PYRONAME:other@10.1.2.3:9090", 0 },
		{ "PYROMETA:tag", 0 },
		{ "not a uri", 0 },
		{ "", 0 },
	};
	struct fix		*f = fix_new("10.1.2.0/24 fd00::/64");
	struct sockaddr_storage	 ss;
	const char		*why;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		if (ns_clean_target(&f->cl, cases[i].uri, strlen(cases[i].uri),
		    &ss, &why) != cases[i].ok)
			fail_msg("%s: expected %d (%s)", cases[i].uri,
			    cases[i].ok, why != NULL ? why : "");
	}
	assert_int_equal(ns_clean_target(&f->cl, "PYRO:o@10.1.2.3:4000", 20,
	    &ss, &why), 1);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 4000);
	fix_free(f);
}

/* The grace period and stale results */

static void
test_grace(void **state)
{
	struct fix	*f = fix_new("10.1.2.0/24");
	const char	*u = "PYRO:o@10.1.2.3:4000";
	struct ns_ent	*e;
	int64_t		 id;

	(void)state;
	reg(f, "dead", u);
	id = find(f, "dead")->id;
	ns_clean_result(&f->cl, id, u, strlen(u), 0, 1000);
	assert_int_equal(find(f, "dead")->dead_since, 1000);
	ns_clean_result(&f->cl, id, u, strlen(u), 0, 20999);
	assert_non_null(find(f, "dead"));
	/* It answers again: the clock restarts. */
	ns_clean_result(&f->cl, id, u, strlen(u), 1, 21000);
	assert_int_equal(find(f, "dead")->dead_since, 0);
	ns_clean_result(&f->cl, id, u, strlen(u), 0, 22000);
	ns_clean_result(&f->cl, id, u, strlen(u), 0, 41999);
	assert_non_null(find(f, "dead"));
	/* A result for another URI or id (re-registered meanwhile) is
	 * stale and changes nothing. */
	ns_clean_result(&f->cl, id, "PYRO:o@10.1.2.3:4001", 20, 0, 50000);
	ns_clean_result(&f->cl, id + 100, u, strlen(u), 0, 50000);
	assert_non_null(find(f, "dead"));
	ns_clean_result(&f->cl, id, u, strlen(u), 0, 42000);
	assert_null(find(f, "dead"));
	/* A re-registration starts afresh. */
	reg(f, "again", u);
	e = find(f, "again");
	ns_clean_result(&f->cl, e->id, u, strlen(u), 0, 1000);
	reg(f, "again", u);
	assert_int_equal(find(f, "again")->dead_since, 0);
	fix_free(f);
}

/* Real probes on loopback: complete the ones in flight. */
static void
settle(struct fix *f, int64_t now)
{
	struct pollfd	pfd;
	size_t		i;
	int		left = 1, rounds = 0;

	while (left && rounds++ < 500) {
		left = 0;
		for (i = 0; i < NS_CLEAN_MAX; i++) {
			struct ns_probe *p = &f->cl.probes[i];

			if (p->fd == -1)
				continue;
			pfd.fd = p->fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			if (poll(&pfd, 1, 10) == 1)
				ns_clean_event(&f->cl, p, (pfd.revents &
				    POLLERR) ? EPOLLERR : EPOLLOUT, now);
			else
				left = 1;
		}
	}
	assert_int_equal(f->cl.inflight, 0);
}

static void
sweep(struct fix *f, int64_t now)
{
	ns_clean_tick(&f->cl, now);
	settle(f, now);
	ns_clean_tick(&f->cl, now);	/* ends the sweep */
	assert_int_equal(f->cl.sweeping, 0);
}

static void
test_probes(void **state)
{
	struct fix		*f = fix_new("127.0.0.1/32");
	struct sockaddr_in	 sa;
	socklen_t		 sl = sizeof(sa);
	char			 live[64], dead[64], other[64];
	int			 ls, ds, os, port_dead, acc;
	int64_t			 t;

	(void)state;
	/* A listener (live); a port that was bound and closed (dead);
	 * a listener on 127.0.0.2, outside the networks. */
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 64), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	(void)snprintf(live, sizeof(live), "PYRO:o@127.0.0.1:%d",
	    ntohs(sa.sin_port));
	ds = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = 0;
	assert_int_equal(bind(ds, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sl = sizeof(sa);
	assert_int_equal(getsockname(ds, (struct sockaddr *)&sa, &sl), 0);
	port_dead = ntohs(sa.sin_port);
	close(ds);
	(void)snprintf(dead, sizeof(dead), "PYRO:o@127.0.0.1:%d", port_dead);
	os = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa.sin_addr.s_addr = htonl(0x7f000002);
	sa.sin_port = 0;
	assert_int_equal(bind(os, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(os, 64), 0);
	sl = sizeof(sa);
	assert_int_equal(getsockname(os, (struct sockaddr *)&sa, &sl), 0);
	(void)snprintf(other, sizeof(other), "PYRO:o@127.0.0.2:%d",
	    ntohs(sa.sin_port));

	/* Unprobeable entries first (lower ids): the sweep goes on. */
	reg(f, "a.pyroname", "PYRONAME:something");
	reg(f, "b.unix", "PYRO:o@./u:sock");
	reg(f, "c.hostname", "PYRO:o@localhost:1");
	reg(f, "d.other", other);
	reg(f, "e.dead", dead);
	reg(f, "f.live", live);

	/* No sweep before one period has passed. */
	ns_clean_tick(&f->cl, 1000);
	assert_int_equal(f->cl.sweeping, 0);
	for (t = 4000; t <= 4000 + 3 * 8000; t += 8000)
		sweep(f, t);
	/* 24 s of failure: gone.  Everything else stays. */
	assert_null(find(f, "e.dead"));
	assert_non_null(find(f, "f.live"));
	assert_non_null(find(f, "a.pyroname"));
	assert_non_null(find(f, "b.unix"));
	assert_non_null(find(f, "c.hostname"));
	assert_non_null(find(f, "d.other"));
	assert_non_null(find(f, NS_NAME));
	/* The live listener saw our connects, the other one none. */
	acc = accept(ls, NULL, NULL);
	assert_true(acc >= 0);
	close(acc);
	assert_int_equal(accept(os, NULL, NULL), -1);
	close(ls);
	close(os);
	fix_free(f);
}

/* Write protection */

static int
feed(struct fix *f, struct nsconn *c, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	size_t		 off = 0, used, need;
	int		 close = 0;

	while (off < len && !close) {
		used = ns_proto_input(&f->ns, c, p + off, len - off, &f->out,
		    &close, &need);
		if (used == 0)
			break;
		off += used;
	}
	return close;
}

static void
mkmsg(struct sbuf *m, uint8_t type, const char *payload, size_t len)
{
	struct pyro_hdr	h;
	uint8_t		hb[PYRO_HDR_LEN];

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.serializer = PYRO_SER_SERPENT;
	h.seq = 7;
	h.datalen = (uint32_t)len;
	pyro_hdr_build(hb, &h);
	sbuf_add(m, hb, sizeof(hb));
	sbuf_add(m, payload, len);
}

static void
handshake(struct fix *f, struct nsconn *c)
{
	struct sbuf	m;
	char		p[256];
	int		n;

	n = snprintf(p, sizeof(p), SERPENT_HEADER
	    "{'handshake':'hello','object':'Pyro.NameServer'}");
	sbuf_init(&m, 4096);
	mkmsg(&m, PYRO_CONNECT, p, (size_t)n);
	assert_int_equal(feed(f, c, m.p, m.len), 0);
	assert_int_equal(c->state, NSC_READY);
	sbuf_free(&m);
	f->out.len = 0;
}

/* Call; the reply payload (static), *exc set if it is an exception. */
static const char *
call(struct fix *f, struct nsconn *c, const char *body, int *exc)
{
	static char	 reply[1 << 16];
	struct sbuf	 m, p;
	struct pyro_hdr	 h;

	sbuf_init(&p, 1 << 20);
	sbuf_addc(&p, SERPENT_HEADER);
	sbuf_addc(&p, body);
	sbuf_init(&m, 1 << 20);
	mkmsg(&m, PYRO_INVOKE, p.p, p.len);
	f->out.len = 0;
	assert_int_equal(feed(f, c, m.p, m.len), 0);
	sbuf_free(&m);
	sbuf_free(&p);
	assert_int_equal(pyro_hdr_parse((uint8_t *)f->out.p, 1 << 24, &h),
	    PYRO_OK);
	assert_true(h.datalen < sizeof(reply));
	memcpy(reply, f->out.p + PYRO_HDR_LEN, h.datalen);
	reply[h.datalen] = '\0';
	*exc = (h.flags & PYRO_F_EXCEPTION) != 0;
	return reply + strlen(SERPENT_HEADER);
}

static void
ok(struct fix *f, struct nsconn *c, const char *body, const char *want)
{
	int		 exc;
	const char	*got = call(f, c, body, &exc);

	if (exc || strcmp(got, want) != 0)
		fail_msg("%s from %s\n  gave %s\n  want %s", body, c->peer,
		    got, want);
}

static void
refused(struct fix *f, struct nsconn *c, const char *body)
{
	int		 exc;
	const char	*got = call(f, c, body, &exc);

	if (!exc || strstr(got, "Pyro5.errors.NamingError") == NULL ||
	    strstr(got, "write-protected") == NULL)
		fail_msg("%s from %s not refused: %s", body, c->peer, got);
}

static void
test_write_protect(void **state)
{
	struct fix	*f = fix_new("10.0.0.0/8");
	struct nsconn	 a = { NSC_HANDSHAKE, "10.0.0.1:5000", NSC_PYRO5 };
	struct nsconn	 a2 = { NSC_HANDSHAKE, "10.0.0.1:5001", NSC_PYRO5 };
	struct nsconn	 b = { NSC_HANDSHAKE, "10.0.0.2:5000", NSC_PYRO5 };

	(void)state;
	f->ns.write_protect = 1;
	handshake(f, &a);
	handshake(f, &a2);
	handshake(f, &b);
	ok(f, &a, "('Pyro.NameServer','register',('CVUT.jm',"
	    "'PYRO:jm@10.0.0.1:4000'),{})", "None");
	ok(f, &a, "('Pyro.NameServer','register',('CVUT.jm.b',"
	    "'PYRO:jm@10.0.0.1:4001'),{})", "None");
	assert_string_equal(find(f, "CVUT.jm")->owner, "10.0.0.1");
	/* Another address may read, not write. */
	ok(f, &b, "('Pyro.NameServer','list',(),{'prefix':'CVUT.'})",
	    "{'CVUT.jm':'PYRO:jm@10.0.0.1:4000','CVUT.jm.b':"
	    "'PYRO:jm@10.0.0.1:4001'}");
	refused(f, &b, "('Pyro.NameServer','register',('CVUT.jm',"
	    "'PYRO:evil@10.0.0.2:4000'),{})");
	refused(f, &b, "('Pyro.NameServer','set_metadata',('CVUT.jm',"
	    "{'x'}),{})");
	refused(f, &b, "('Pyro.NameServer','remove',('CVUT.jm',),{})");
	/* Filters leave other addresses' names alone. */
	ok(f, &b, "('Pyro.NameServer','remove',(),{'prefix':'CVUT.'})",
	    "0");
	ok(f, &b, "('Pyro.NameServer','remove',(),{'regex':'CVUT'})", "0");
	ok(f, &b, "('Pyro.NameServer','lookup',('CVUT.jm',),{})",
	    "{'__class__':'Pyro5.core.URI','state':('PYRO','jm',None,"
	    "'10.0.0.1',4000)}");
	/* b's own names are b's. */
	ok(f, &b, "('Pyro.NameServer','register',('CVUT.b',"
	    "'PYRO:b@10.0.0.2:4000'),{})", "None");
	refused(f, &a, "('Pyro.NameServer','remove',('CVUT.b',),{})");
	/* The same address (another connection) may overwrite and remove;
	 * set_metadata keeps the owner. */
	ok(f, &a2, "('Pyro.NameServer','set_metadata',('CVUT.jm',{'t'}),{})",
	    "None");
	assert_string_equal(find(f, "CVUT.jm")->owner, "10.0.0.1");
	ok(f, &a2, "('Pyro.NameServer','register',('CVUT.jm',"
	    "'PYRO:jm@10.0.0.1:4002'),{})", "None");
	ok(f, &a, "('Pyro.NameServer','remove',(),{'prefix':'CVUT.'})",
	    "2");
	assert_non_null(find(f, "CVUT.b"));
	/* Unowned entries (loaded from the file) are claimed by the first
	 * writer. */
	reg(f, "old.entry", "PYRO:o@10.0.0.9:1");
	assert_string_equal(find(f, "old.entry")->owner, "");
	ok(f, &b, "('Pyro.NameServer','set_metadata',('old.entry',{'t'}),"
	    "{})", "None");
	assert_string_equal(find(f, "old.entry")->owner, "10.0.0.2");
	refused(f, &a, "('Pyro.NameServer','remove',('old.entry',),{})");
	/* Off: anyone may overwrite, and becomes the owner. */
	f->ns.write_protect = 0;
	ok(f, &a, "('Pyro.NameServer','register',('CVUT.b',"
	    "'PYRO:b@10.0.0.1:4000'),{})", "None");
	assert_string_equal(find(f, "CVUT.b")->owner, "10.0.0.1");
	ok(f, &b, "('Pyro.NameServer','remove',('old.entry',),{})", "1");
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_write_protect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
