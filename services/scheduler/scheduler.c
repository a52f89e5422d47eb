/*
 * scheduler.c - main loop of the scheduler service.
 *
 * Trust: answers operations that arrive through the broker (caller checked
 * against broker.policy and stamped by the broker): sched.ping, and
 * sched.inspect from the api, whose upload (a memfd holding files.zip) and
 * whose inspector output are hostile (sched_zip.c, sched_meta.c).  Holds
 * no secrets and no persistent data: only throw-away directories under
 * persistent/scheduler, removed after each inspection and at start.
 * Confined by policy/scheduler.profile and policy/scheduler.seccomp: not
 * chrooted (Python needs /usr) but held by Landlock to its directory and
 * read-only system paths, as mupif-sched, in an empty network namespace,
 * no capabilities.  The scheduling loop (claiming and running executions)
 * is issue 6.
 *
 * One thread, one poll loop: the broker channel and the pipes of at most
 * SCHED_MAX_CHILDREN inspection children, so ping answers while an
 * inspection runs; an inspection beyond that is answered busy.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "bchan.h"
#include "json.h"
#include "log.h"
#include "sandbox.h"
#include "scheduler.h"
#include "banned.h"

static struct {
	struct sched_conf	 c;
	struct bchan		 bc;
	struct inspection	 ins[SCHED_MAX_CHILDREN];
	volatile sig_atomic_t	 quit;
} S;

static void
on_term(int sig)
{
	(void)sig;
	S.quit = 1;
}

static void
reply_detail(const struct msg *m, unsigned st, const char *detail)
{
	yajl_gen		 g;
	const unsigned char	*b;
	size_t			 l;

	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	(void)yajl_gen_map_open(g);
	json_gen_kv_str(g, "detail", detail);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_get_buf(g, &b, &l);
	bchan_reply(&S.bc, m, st, b, l);
	yajl_gen_free(g);
}

/* Answer with g's text, in a sealed memfd if it does not fit a frame. */
static void
reply_gen(const struct msg *m, yajl_gen g)
{
	const unsigned char	*b;
	size_t			 l;
	int			 fd;

	(void)yajl_gen_get_buf(g, &b, &l);
	if (l <= MSG_MAX - MSG_HDR_LEN) {
		bchan_reply(&S.bc, m, MST_OK, b, l);
		return;
	}
	if ((fd = util_sealed_memfd("inspect", b, l)) == -1) {
		reply_detail(m, MST_INTERNAL, "cannot pass the answer");
		return;
	}
	bchan_reply_fd(&S.bc, m, MST_OK, NULL, 0, fd);
	(void)close(fd);
}

static void
op_inspect(struct msg *m)
{
	static const char *const keys[] = { "main", NULL };
	struct inspection	*ins = NULL;
	yajl_val		 req;
	const char		*mainname, *bad;
	char			 err[512], detail[700];
	size_t			 i;
	int			 isbad;

	if ((req = json_parse(m->data, m->datalen, 4096, 2, err,
	    sizeof(err))) == NULL || json_only_keys(req, keys, &bad) == -1 ||
	    (mainname = json_get_str(req, "main")) == NULL) {
		if (req != NULL)
			yajl_tree_free(req);
		reply_detail(m, MST_BADREQ, "sched.inspect: expected "
		    "{\"main\": \"<name>.py\"}");
		return;
	}
	if (!sched_main_name_ok(mainname)) {
		char shown[64];

		for (i = 0; mainname[i] != '\0' && i + 1 < sizeof(shown); i++)
			shown[i] = mainname[i] >= 0x20 && mainname[i] < 0x7f ?
			    mainname[i] : '?';
		shown[i] = '\0';
		(void)snprintf(detail, sizeof(detail), "Error processing "
		    "workflow file '%s': the name must be a Python module "
		    "name ending in .py", shown);
		yajl_tree_free(req);
		reply_detail(m, MST_BADREQ, detail);
		return;
	}
	if (m->fd == -1) {
		yajl_tree_free(req);
		reply_detail(m, MST_BADREQ, "sched.inspect: no upload came "
		    "with the request");
		return;
	}
	for (i = 0; i < SCHED_MAX_CHILDREN; i++)
		if (!S.ins[i].used) {
			ins = &S.ins[i];
			break;
		}
	if (ins == NULL) {
		yajl_tree_free(req);
		reply_detail(m, MST_BUSY, "too many workflow inspections at "
		    "once; try again");
		return;
	}
	memset(ins, 0, sizeof(*ins));
	ins->req = m->hdr;
	if (sched_inspect_start(&S.c, ins, m->fd, mainname, &isbad, err,
	    sizeof(err)) == -1) {
		(void)snprintf(detail, sizeof(detail), "Error processing "
		    "workflow file '%s': %s", mainname, err);
		if (!isbad)
			log_warnx("inspection of %s: %s", mainname, err);
		reply_detail(m, isbad ? MST_BADREQ : MST_INTERNAL, detail);
		memset(ins, 0, sizeof(*ins));
	} else
		log_debug("inspecting %s in %s, pid %ld", mainname, ins->dir,
		    (long)ins->pid);
	yajl_tree_free(req);
}

/* {"_id": hex24[, "n": int]} of sched.cancel and sched.livelog. */
static int
id_req(struct msg *m, char id[25], long long *n)
{
	static const char *const keys[] = { "_id", "n", NULL };
	yajl_val	 req;
	const char	*s, *bad;
	char		 err[128];
	int		 rc = -1;

	if ((req = json_parse(m->data, m->datalen, 1024, 2, err,
	    sizeof(err))) == NULL)
		return -1;
	s = json_get_str(req, "_id");
	if (json_only_keys(req, keys, &bad) == 0 && util_hex24(s) &&
	    (n == NULL || json_get(req, "n") == NULL ||
	    json_get_int(req, "n", n) == 0)) {
		(void)strlcpy(id, s, 25);
		rc = 0;
	}
	yajl_tree_free(req);
	return rc;
}

static void
op_livelog(struct msg *m)
{
	yajl_gen	g;
	char		id[25];
	long long	n = 0;

	if (id_req(m, id, &n) == -1) {
		reply_detail(m, MST_BADREQ, "sched.livelog: expected {\"_id\": "
		    "execution id, \"n\": lines}");
		return;
	}
	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	if (sched_loop_livelog(id, n, g) == -1)
		reply_detail(m, MST_NOTFOUND, "this scheduler does not run "
		    "that execution");
	else
		reply_gen(m, g);
	yajl_gen_free(g);
}

static void
op_cancel(struct msg *m)
{
	char id[25];

	if (id_req(m, id, NULL) == -1) {
		reply_detail(m, MST_BADREQ, "sched.cancel: expected {\"_id\": "
		    "execution id}");
		return;
	}
	if (sched_loop_cancel(id)) {
		log_info("execution %s: cancel asked; killing its sandbox", id);
		bchan_reply(&S.bc, m, MST_OK, "{\"ok\":true}", 11);
	} else
		bchan_reply(&S.bc, m, MST_OK, "{\"ok\":false}", 12);
}

static void
op_stats(struct msg *m)
{
	yajl_gen g;

	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	sched_loop_stats(g);
	reply_gen(m, g);
	yajl_gen_free(g);
}

static void
serve(struct msg *m)
{
	switch (m->hdr.type) {
	case MSG_SCHED_PING:
		bchan_reply(&S.bc, m, MST_OK, "{\"ok\":true}", 11);
		break;
	case MSG_SCHED_INSPECT:
		op_inspect(m);
		break;
	case MSG_SCHED_WAKE:
		sched_loop_wake();
		bchan_reply(&S.bc, m, MST_OK, "{\"ok\":true}", 11);
		break;
	case MSG_SCHED_LIVELOG:
		op_livelog(m);
		break;
	case MSG_SCHED_CANCEL:
		op_cancel(m);
		break;
	case MSG_SCHED_STATS:
		op_stats(m);
		break;
	default:
		reply_detail(m, MST_BADREQ, "unknown operation");
		break;
	}
}

static void
finish(struct inspection *ins)
{
	struct msg	 m;
	yajl_gen	 g;
	char		 detail[700], main[SCHED_MAIN_MAX + 1];
	int		 st;

	memset(&m, 0, sizeof(m));
	m.hdr = ins->req;
	m.fd = -1;
	(void)strlcpy(main, ins->main, sizeof(main));
	if ((g = json_gen_new()) == NULL)
		fatal("yajl_gen_alloc");
	st = sched_inspect_finish(&S.c, ins, g, detail, sizeof(detail));
	if (st == MST_OK) {
		log_info("inspected %s", main);
		reply_gen(&m, g);
	} else {
		log_info("inspection refused: %s", detail);
		reply_detail(&m, (unsigned)st, detail);
	}
	yajl_gen_free(g);
}

static void
load_conf(struct sandbox *sb)
{
	const char	*s;
	long long	 v;
	size_t		 i;

	if ((s = json_get_str(sb->config, "runner_python")) == NULL ||
	    s[0] != '/' || strlcpy(S.c.python, s, sizeof(S.c.python)) >=
	    sizeof(S.c.python))
		fatalx("start-up document: bad runner_python");
#define NUM(k, f, lo) do {						\
	if (json_get_int(sb->config, k, &v) == -1 || v < (lo))		\
		fatalx("start-up document: bad " k);			\
	S.c.f = v;							\
} while (0)
	NUM("inspect_cpu_s", cpu_s, 1);
	NUM("inspect_mem_mb", mem_mb, 16);
	NUM("inspect_timeout_s", timeout_s, 1);
	NUM("inspect_max_bytes", max_bytes, 1);
	NUM("run_slots", run_slots, 0);
	NUM("run_timeout_s", run_timeout_s, 1);
	NUM("run_cpu_s", run_cpu_s, 1);
	NUM("run_mem_mb", run_mem_mb, 16);
	NUM("run_nproc", run_nproc, 1);
	NUM("run_fsize_mb", run_fsize_mb, 1);
	NUM("run_nofile", run_nofile, 16);
	NUM("run_log_max", run_log_max, 4096);
	NUM("run_max_attempts", run_max_attempts, 1);
	NUM("run_poll_s", run_poll_s, 1);
#undef NUM
	if (S.c.run_slots > SCHED_SLOTS_MAX)
		fatalx("start-up document: run_slots above %d",
		    SCHED_SLOTS_MAX);
#define STR(k, f) do {							\
	if ((s = json_get_str(sb->config, k)) == NULL ||		\
	    strlcpy(S.c.f, s, sizeof(S.c.f)) >= sizeof(S.c.f))		\
		fatalx("start-up document: bad " k);			\
} while (0)
	STR("owner", owner);
	STR("api_url", api_url);
	STR("ns", ns);
#undef STR
	if (S.c.owner[0] == '\0')
		fatalx("start-up document: bad owner");
	if ((s = json_get_str(sb->config, "runner_bpf")) == NULL)
		fatalx("start-up document: no runner_bpf");
	{
		size_t	blen = strlen(s), bin;

		if ((S.c.runner_bpf = malloc(blen)) == NULL)
			fatal("malloc");
		if (sodium_base642bin(S.c.runner_bpf, blen, s, blen, NULL,
		    &bin, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    bin == 0 || bin % 8 != 0 || bin / 8 > 4096)
			fatalx("start-up document: bad runner_bpf");
		S.c.runner_bpflen = bin;
	}
	S.c.nconnect = sb->nconnect;
	memcpy(S.c.connect, sb->connect, sizeof(S.c.connect));
	if (strlcpy(S.c.jail, sb->chroot, sizeof(S.c.jail)) >=
	    sizeof(S.c.jail))
		fatalx("start-up document: jail path too long");
	(void)snprintf(S.c.runner_dir, sizeof(S.c.runner_dir), "%s/%s",
	    S.c.jail, SCHED_RUNNER_DIR);
	S.c.nro = sb->nro;
	for (i = 0; i < sb->nro; i++)
		memcpy(S.c.ro[i], sb->ro[i], SANDBOX_RO_LEN);
}

#define NPFD	(1 + 2 * SCHED_MAX_CHILDREN + 2 * SCHED_SLOTS_MAX)

int
main(int argc, char *argv[])
{
	struct sandbox	 sb;
	struct pollfd	 pfd[NPFD];
	struct inspection *who[NPFD];
	struct run	*rwho[NPFD];
	struct msg	 m;
	size_t		 i;
	int		 n, k, nins, timeout;
	int64_t		 now;

	(void)argc;
	(void)argv;
	if (sodium_init() == -1)
		fatalx("sodium_init");
	sandbox_start(&sb, "scheduler");
	load_conf(&sb);
	if (!sb.landlock && sb.privileged)
		fatalx("policy/scheduler.profile has no landlock line: the "
		    "inspected code would run unconfined by the filesystem");
	if (bchan_init(&S.bc, FD_BROKER) == -1)
		fatal("bchan_init");
	if (signal(SIGTERM, on_term) == SIG_ERR ||
	    signal(SIGINT, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	sandbox_jail(&sb);
	sched_cleanup_all();
	sched_install_runner();
	sandbox_seal(&sb);
	sandbox_free(&sb);
	bchan_ready(&S.bc, "inspect, run");
	log_info("serving workflow inspections with %s (cpu %lld s, memory "
	    "%lld MiB, time %lld s)", S.c.python, S.c.cpu_s, S.c.mem_mb,
	    S.c.timeout_s);
	sched_loop_init(&S.c, &S.bc);

	while (!S.quit) {
		n = 0;
		pfd[n].fd = FD_BROKER;
		pfd[n].events = POLLIN;
		who[n] = NULL;
		rwho[n++] = NULL;
		timeout = 1000;
		now = util_mono_ms();
		for (i = 0; i < SCHED_MAX_CHILDREN; i++) {
			struct inspection *ins = &S.ins[i];
			int64_t left;

			if (!ins->used)
				continue;
			if (ins->outfd != -1) {
				pfd[n].fd = ins->outfd;
				pfd[n].events = POLLIN;
				rwho[n] = NULL;
				who[n++] = ins;
			}
			if (ins->errfd != -1) {
				pfd[n].fd = ins->errfd;
				pfd[n].events = POLLIN;
				rwho[n] = NULL;
				who[n++] = ins;
			}
			left = ins->deadline - now;
			if (left < 0)
				left = 0;
			if (left < timeout)
				timeout = (int)left;
			/* Pipes closed but not reaped yet: look again soon. */
			if (ins->outfd == -1 && ins->errfd == -1 &&
			    timeout > 20)
				timeout = 20;
		}
		nins = n;
		k = sched_loop_fds(pfd + n, rwho + n, NPFD - n, &timeout);
		for (i = 0; i < (size_t)k; i++)
			who[n + (int)i] = NULL;
		n += k;
		if (bchan_queued(&S.bc) > 0)
			timeout = 0;
		if (poll(pfd, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (k = 1; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (k < nins)
				sched_inspect_read(who[k], pfd[k].fd);
			else
				sched_loop_read(rwho[k], pfd[k].fd);
		}
		now = util_mono_ms();
		for (i = 0; i < SCHED_MAX_CHILDREN; i++) {
			struct inspection *ins = &S.ins[i];

			if (!ins->used)
				continue;
			if (!ins->timed_out && now >= ins->deadline)
				sched_inspect_kill(ins);
			if (ins->timed_out && !ins->reaped) {
				/* SIGKILLed: wait for it, briefly. */
				(void)sched_inspect_done(ins);
			}
			if (sched_inspect_done(ins))
				finish(ins);
		}
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) ||
		    bchan_queued(&S.bc) > 0) {
			if (bchan_serve_one(&S.bc, &m) != 1) {
				log_info("broker went away, exiting");
				break;
			}
			serve(&m);
			if (m.fd != -1)
				(void)close(m.fd);
		}
		sched_loop_step();
	}
	for (i = 0; i < SCHED_MAX_CHILDREN; i++)
		if (S.ins[i].used) {
			sched_inspect_kill(&S.ins[i]);
			while (!sched_inspect_done(&S.ins[i]))
				(void)usleep(10000);
			finish(&S.ins[i]);
		}
	sched_loop_stop();
	log_info("exiting");
	return 0;
}
