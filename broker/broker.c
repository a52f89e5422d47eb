/*
 * broker.c - the message broker: routes typed requests between services,
 * enforces policy/broker.policy, stamps the caller's identity, times out
 * slow callees and writes one audit record per request.
 *
 * Trust: trusted, but handles frames from every service, all of which it
 * treats as hostile: frames are validated by msg_decode(), the caller is
 * the channel a frame came in on (never a field the sender wrote), and a
 * malformed frame closes that service's channel (the launcher restarts
 * the service).  Holds: its socketpairs and the audit log.  Confined by
 * policy/broker.profile and policy/broker.seccomp: chrooted into
 * persistent/audit, no network namespace, no capabilities.
 *
 * Channels arrive from the launcher as MSG_CTL_ATTACH frames on fd 3, one
 * per (re)started service, carrying the broker's end of that service's
 * socketpair.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "audit.h"
#include "json.h"
#include "log.h"
#include "msg.h"
#include "policy.h"
#include "sandbox.h"
#include "banned.h"

#define MAX_PENDING	1024

struct pending {
	int		 used;
	uint32_t	 id;		/* our id, sent to the callee */
	uint32_t	 orig;		/* the caller's peerid */
	int		 caller, callee;
	uint32_t	 type;
	int64_t		 deadline;
	int64_t		 timeout_ms;
	uint64_t	 bytes;
	char		 target[MSG_TARGET_LEN];
};

static struct broker {
	struct policy		 pol;
	int			 ctl;			/* to the launcher */
	int			 chan[SVC_COUNT];	/* -1 if absent */
	struct pending		 pend[MAX_PENDING];
	uint32_t		 next_id;
	int64_t			 timeout_ms;
	int64_t			 inspect_timeout_ms;	/* sched.inspect */
	int64_t			 jobmans_timeout_ms;	/* ns probe rounds */
	int			 auditfd;
	int			 audit_dirty;	/* written since the last sync */
	int64_t			 audit_synced;	/* mono ms */
	double			 rate;		/* requests/s per caller */
	double			 tokens[SVC_COUNT];
	int64_t			 refill[SVC_COUNT];	/* mono ms */
	struct audit_chain	 chain;
	uint8_t			*buf;
	volatile sig_atomic_t	 quit;
} B;

static void
on_term(int sig)
{
	(void)sig;
	B.quit = 1;
}

static void
audit_write(int caller, uint32_t type, const char *target, unsigned status,
    uint64_t bytes, const char *result_override)
{
	struct audit_rec	 r;
	char			 line[AUDIT_LINE_MAX + 2];
	int			 n;

	memset(&r, 0, sizeof(r));
	util_iso_time(util_wall_ms(), r.time, sizeof(r.time));
	(void)strlcpy(r.caller, svc_name((unsigned)caller), sizeof(r.caller));
	(void)strlcpy(r.op, type < MSG_TYPE_COUNT ? msg_type_name(type) :
	    "unknown", sizeof(r.op));
	(void)strlcpy(r.target, target != NULL && target[0] != '\0' ?
	    target : "-", sizeof(r.target));
	(void)strlcpy(r.result, result_override != NULL ? result_override :
	    msg_status_name(status), sizeof(r.result));
	r.bytes = bytes;
	if ((n = audit_format(&B.chain, &r, line, sizeof(line))) < 0) {
		log_warnx("audit: cannot format record for %s", r.op);
		return;
	}
	if (util_write_all(B.auditfd, line, (size_t)n) == -1)
		fatal("audit log write");
	B.audit_dirty = 1;
}

/* Records reach the disk within a second: syncing each one would cap the
 * broker at the disk's sync rate. */
static void
audit_sync(int force)
{
	int64_t now = util_mono_ms();

	if (!B.audit_dirty || (!force && now - B.audit_synced < 1000))
		return;
	if (fdatasync(B.auditfd) == -1)
		fatal("audit log fdatasync");
	B.audit_dirty = 0;
	B.audit_synced = now;
}

/* Token bucket per caller: rate requests/s, bursts up to one second's. */
static int
rate_ok(int svc)
{
	int64_t now = util_mono_ms();

	B.tokens[svc] += (double)(now - B.refill[svc]) * B.rate / 1000.0;
	if (B.tokens[svc] > B.rate)
		B.tokens[svc] = B.rate;
	B.refill[svc] = now;
	if (B.tokens[svc] < 1.0)
		return 0;
	B.tokens[svc] -= 1.0;
	return 1;
}

static void
reply_status(int to, uint32_t type, uint32_t peerid, unsigned status)
{
	struct msg_hdr h;

	if (B.chan[to] == -1)
		return;
	if (msg_hdr_init(&h, type, peerid, MSG_F_REPLY, status, NULL) == -1)
		return;
	if (msg_send(B.chan[to], &h, NULL, 0, -1) == -1)
		log_warn("reply to %s", svc_name((unsigned)to));
}

/* Fail every request waiting on svc (as callee); forget those it made. */
static void
drop_pending(int svc)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &B.pend[i];

		if (!p->used)
			continue;
		if (p->callee == svc) {
			reply_status(p->caller, p->type, p->orig,
			    MST_UNAVAILABLE);
			audit_write(p->caller, p->type, p->target,
			    MST_UNAVAILABLE, p->bytes, NULL);
			p->used = 0;
		} else if (p->caller == svc)
			p->used = 0;
	}
}

static void
chan_close(int svc, const char *why)
{
	if (B.chan[svc] == -1)
		return;
	log_info("channel to %s closed: %s", svc_name((unsigned)svc), why);
	(void)close(B.chan[svc]);
	B.chan[svc] = -1;
	drop_pending(svc);
}

static void
handle_ctl(void)
{
	struct msg	 m;
	yajl_val	 doc;
	const char	*name;
	char		 err[128];
	int		 r, ferr, svc;

	r = msg_recv(B.ctl, B.buf, &m, &ferr);
	if (r == 0 || r == -1) {
		log_info("launcher went away, exiting");
		B.quit = 1;
		return;
	}
	if (r == MSG_RECV_BAD)
		fatalx("malformed control frame: %s", frame_strerror(ferr));
	doc = json_parse(m.data, m.datalen, 1024, 4, err, sizeof(err));
	name = json_get_str(doc, "service");
	svc = name != NULL ? svc_lookup(name, strlen(name)) : -1;
	if (svc <= SVC_BROKER)
		fatalx("control frame for bad service");
	yajl_tree_free(doc);
	switch (m.hdr.type) {
	case MSG_CTL_ATTACH:
		if (m.fd == -1)
			fatalx("attach without a channel");
		chan_close(svc, "replaced");
		B.chan[svc] = m.fd;
		log_debug("attached %s", svc_name((unsigned)svc));
		break;
	case MSG_CTL_DETACH:
		if (m.fd != -1)
			(void)close(m.fd);
		chan_close(svc, "detached by launcher");
		break;
	default:
		fatalx("unexpected control frame %s",
		    msg_type_name(m.hdr.type));
	}
}

static struct pending *
pending_new(void)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++)
		if (!B.pend[i].used) {
			memset(&B.pend[i], 0, sizeof(B.pend[i]));
			B.pend[i].used = 1;
			B.pend[i].id = B.next_id++;
			if (B.next_id == 0)
				B.next_id = 1;
			return &B.pend[i];
		}
	return NULL;
}

static void
handle_request(int from, struct msg *m)
{
	struct pending	*p;
	int		 callee, allow;
	struct msg_hdr	 h;

	callee = msg_type_callee(m->hdr.type);
	if (!rate_ok(from)) {
		audit_write(from, m->hdr.type, m->hdr.target, MST_BUSY,
		    m->datalen, NULL);
		reply_status(from, m->hdr.type, m->hdr.peerid, MST_BUSY);
		return;
	}
	allow = policy_check(&B.pol, (unsigned)from, m->hdr.type);
	if (!allow || (m->fd != -1 && !(allow & POLICY_FD))) {
		log_warnx("denied: %s -> %s %s%s", svc_name((unsigned)from),
		    svc_name((unsigned)callee), msg_type_name(m->hdr.type),
		    allow ? " (fd not allowed)" : "");
		audit_write(from, m->hdr.type, m->hdr.target, MST_DENIED,
		    m->datalen, NULL);
		reply_status(from, m->hdr.type, m->hdr.peerid, MST_DENIED);
		return;
	}
	if (callee < 0 || B.chan[callee] == -1) {
		audit_write(from, m->hdr.type, m->hdr.target, MST_UNAVAILABLE,
		    m->datalen, NULL);
		reply_status(from, m->hdr.type, m->hdr.peerid,
		    MST_UNAVAILABLE);
		return;
	}
	if ((p = pending_new()) == NULL) {
		log_warnx("too many requests in flight");
		audit_write(from, m->hdr.type, m->hdr.target, MST_BUSY,
		    m->datalen, NULL);
		reply_status(from, m->hdr.type, m->hdr.peerid, MST_BUSY);
		return;
	}
	p->orig = m->hdr.peerid;
	p->caller = from;
	p->callee = callee;
	p->type = m->hdr.type;
	/* A workflow inspection runs user code for up to the scheduler's
	 * own time limit: it gets that, never less than the default. */
	p->timeout_ms = m->hdr.type == MSG_SCHED_INSPECT &&
	    B.inspect_timeout_ms > B.timeout_ms ? B.inspect_timeout_ms :
	    B.timeout_ms;
	/* ns.jobmans and ns.schedulers answer when their probe round
	 * (ns_probe_budget_ms) ends: the same rule. */
	if ((m->hdr.type == MSG_NS_JOBMANS ||
	    m->hdr.type == MSG_NS_SCHEDULERS) &&
	    B.jobmans_timeout_ms > p->timeout_ms)
		p->timeout_ms = B.jobmans_timeout_ms;
	p->deadline = util_mono_ms() + p->timeout_ms;
	p->bytes = m->datalen;
	memcpy(p->target, m->hdr.target, MSG_TARGET_LEN);

	h = m->hdr;
	h.peerid = p->id;
	h.caller = (uint32_t)from;	/* stamped here, never trusted */
	if (msg_send(B.chan[callee], &h, m->data, m->datalen, m->fd) == -1) {
		log_warn("forward to %s", svc_name((unsigned)callee));
		p->used = 0;
		audit_write(from, m->hdr.type, m->hdr.target, MST_UNAVAILABLE,
		    m->datalen, NULL);
		reply_status(from, m->hdr.type, m->hdr.peerid,
		    MST_UNAVAILABLE);
	}
}

static void
handle_reply(int from, struct msg *m)
{
	struct pending	*p = NULL;
	struct msg_hdr	 h;
	size_t		 i;

	for (i = 0; i < MAX_PENDING; i++)
		if (B.pend[i].used && B.pend[i].id == m->hdr.peerid &&
		    B.pend[i].callee == from) {
			p = &B.pend[i];
			break;
		}
	if (p == NULL || p->type != m->hdr.type) {
		/* Late (after a time-out) or bogus: not forwarded. */
		log_debug("dropped reply %u from %s", m->hdr.peerid,
		    svc_name((unsigned)from));
		return;
	}
	if (m->fd != -1 && !(policy_check(&B.pol, (unsigned)p->caller,
	    p->type) & POLICY_FD)) {
		log_warnx("%s replied with an fd to %s: not allowed",
		    svc_name((unsigned)from), msg_type_name(p->type));
		(void)close(m->fd);
		m->fd = -1;
	}
	h = m->hdr;
	h.peerid = p->orig;
	h.caller = (uint32_t)from;
	memcpy(h.target, p->target, MSG_TARGET_LEN);
	if (B.chan[p->caller] != -1 &&
	    msg_send(B.chan[p->caller], &h, m->data, m->datalen, m->fd) == -1)
		log_warn("reply to %s", svc_name((unsigned)p->caller));
	audit_write(p->caller, p->type, p->target, m->hdr.status,
	    p->bytes + m->datalen, NULL);
	p->used = 0;
}

static void
handle_chan(int svc)
{
	struct msg	m;
	int		r, ferr;

	r = msg_recv(B.chan[svc], B.buf, &m, &ferr);
	if (r == 0) {
		chan_close(svc, "end of file");
		return;
	}
	if (r == -1) {
		chan_close(svc, strerror(errno));
		return;
	}
	if (r == MSG_RECV_BAD) {
		log_warnx("malformed frame from %s: %s",
		    svc_name((unsigned)svc), frame_strerror(ferr));
		audit_write(svc, MSG_NONE, NULL, MST_MALFORMED, 0, NULL);
		chan_close(svc, "malformed frame");
		return;
	}
	if (m.hdr.type == MSG_READY && !(m.hdr.flags & MSG_F_REPLY)) {
		char note[128];
		size_t n = m.datalen < sizeof(note) - 1 ? m.datalen :
		    sizeof(note) - 1;

		for (size_t i = 0; i < n; i++)
			note[i] = (m.data[i] >= 0x20 && m.data[i] < 0x7f) ?
			    (char)m.data[i] : '?';
		note[n] = '\0';
		log_info("%s ready: %s", svc_name((unsigned)svc), note);
		if (m.fd != -1)
			(void)close(m.fd);
		return;
	}
	if (m.hdr.type <= MSG_OP_FIRST) {
		log_warnx("control frame %s from %s",
		    msg_type_name(m.hdr.type), svc_name((unsigned)svc));
		if (m.fd != -1)
			(void)close(m.fd);
		audit_write(svc, m.hdr.type, NULL, MST_MALFORMED, 0, NULL);
		chan_close(svc, "control frame from a service");
		return;
	}
	if (m.hdr.flags & MSG_F_REPLY)
		handle_reply(svc, &m);
	else
		handle_request(svc, &m);
	if (m.fd != -1)
		(void)close(m.fd);
}

static void
expire(void)
{
	int64_t	now = util_mono_ms();
	size_t	i;

	for (i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &B.pend[i];

		if (!p->used || p->deadline > now)
			continue;
		log_warnx("%s did not answer %s in %lld ms",
		    svc_name((unsigned)p->callee), msg_type_name(p->type),
		    (long long)p->timeout_ms);
		reply_status(p->caller, p->type, p->orig, MST_TIMEOUT);
		audit_write(p->caller, p->type, p->target, MST_TIMEOUT,
		    p->bytes, NULL);
		p->used = 0;
	}
}

static int
next_timeout(void)
{
	int64_t	now = util_mono_ms(), best = -1;
	size_t	i;

	for (i = 0; i < MAX_PENDING; i++)
		if (B.pend[i].used && (best == -1 ||
		    B.pend[i].deadline - now < best))
			best = B.pend[i].deadline - now;
	if (best < 0)
		return best == -1 ? 1000 : 0;
	return best > 1000 ? 1000 : (int)best;
}

/* Open the audit log in the jail and resume its chain. */
static void
audit_open(void)
{
	char	*buf;
	size_t	 len;
	int	 rfd;

	B.auditfd = open(AUDIT_FILE, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (B.auditfd == -1)
		fatal("open audit log");
	/* XXX reads the whole log to resume; fine for now, issue 9 adds
	 * checkpoints and rotation. */
	if ((rfd = open(AUDIT_FILE, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		fatal("open audit log for reading");
	if (util_read_fd(rfd, (size_t)1 << 31, &buf, &len) == -1)
		fatal("read audit log");
	(void)close(rfd);
	if (len > 0 && buf[len - 1] != '\n') {
		log_warnx("audit log ends in a partial record; it is kept "
		    "and `audit verify` will report it");
		if (util_write_all(B.auditfd, "\n", 1) == -1)
			fatal("audit log write");
	}
	if (len > 0 && audit_tail(buf, len, &B.chain) == -1)
		log_warnx("audit log has no readable record; starting a "
		    "new chain");
	free(buf);
	log_info("audit log resumes after record %llu",
	    (unsigned long long)B.chain.seq);
}

int
main(int argc, char *argv[])
{
	struct sandbox	 sb;
	struct pollfd	 pfd[SVC_COUNT + 1];
	int		 who[SVC_COUNT + 1];
	const char	*ptext;
	char		 err[256];
	long long	 v;
	int		 i, n;

	(void)argc;
	(void)argv;
	sandbox_start(&sb, "broker");
	if ((ptext = json_get_str(sb.config, "policy")) == NULL)
		fatalx("no policy in start-up document");
	if (policy_parse(&B.pol, ptext, strlen(ptext), "broker.policy",
	    err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (json_get_int(sb.config, "timeout_ms", &v) == -1 || v < 1)
		fatalx("bad timeout_ms");
	B.timeout_ms = v;
	if (json_get_int(sb.config, "inspect_timeout_ms", &v) == -1 || v < 1)
		fatalx("bad inspect_timeout_ms");
	B.inspect_timeout_ms = v;
	B.jobmans_timeout_ms = 0;	/* absent: the default timeout */
	if (json_get_int(sb.config, "jobmans_timeout_ms", &v) == 0 && v > 0)
		B.jobmans_timeout_ms = v;
	if (json_get_int(sb.config, "rate", &v) == -1 || v < 1)
		fatalx("bad rate");
	B.rate = (double)v;
	for (i = 0; i < SVC_COUNT; i++) {
		B.tokens[i] = B.rate;
		B.refill[i] = util_mono_ms();
	}
	B.ctl = FD_BROKER;
	B.next_id = 1;
	for (i = 0; i < SVC_COUNT; i++)
		B.chan[i] = -1;
	if (sodium_init() == -1)
		fatalx("sodium_init");
	if ((B.buf = malloc(MSG_MAX)) == NULL)
		fatal("malloc");

	sandbox_jail(&sb);
	audit_open();
	if (signal(SIGTERM, on_term) == SIG_ERR ||
	    signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	sandbox_seal(&sb);
	sandbox_free(&sb);
	log_info("routing with %zu policy rules, callee timeout %lld ms",
	    B.pol.nrules, (long long)B.timeout_ms);

	while (!B.quit) {
		n = 0;
		pfd[n].fd = B.ctl;
		pfd[n].events = POLLIN;
		who[n++] = -1;
		for (i = 0; i < SVC_COUNT; i++)
			if (B.chan[i] != -1) {
				pfd[n].fd = B.chan[i];
				pfd[n].events = POLLIN;
				who[n++] = i;
			}
		if (poll(pfd, (nfds_t)n, next_timeout()) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (i = 0; i < n && !B.quit; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (who[i] == -1)
				handle_ctl();
			else if (B.chan[who[i]] == pfd[i].fd)
				handle_chan(who[i]);
		}
		expire();
		audit_sync(0);
	}
	audit_sync(1);
	log_info("exiting");
	return 0;
}
