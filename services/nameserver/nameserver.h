/*
 * nameserver.h - the Pyro nameserver service (port 10000): storage,
 * the nameserver and daemon objects, and the per-connection protocol
 * engine that nameserver.c drives from its event loop.  Each connection
 * speaks Pyro5 (protocol 502) or, chosen from its first message's header,
 * Pyro4 (protocol 48).
 *
 * Trust: everything arrives from unauthenticated VPN peers.  The process
 * holds nameserver.sqlite (in its jail) and its listening socket, nothing
 * else; it is confined by policy/nameserver.profile and
 * policy/nameserver.seccomp.
 */
#ifndef NAMESERVER_H
#define NAMESERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"
#include "msg.h"
#include "pyro.h"
#include "serpent.h"

#define NS_FILE			"nameserver.sqlite"
#define NS_NAME			"Pyro.NameServer"
#define NS_DAEMON		"Pyro.Daemon"
/* The scheduler's read-only Pyro object, hosted here (ns_methods.c). */
#define NS_SCHED		"mupif.scheduler"
#define NS_SCHED_TAG		"type:scheduler"
#define NS_SCHED_OWNER		"(nameserver)"	/* no peer address */
#define NS_SCHED_TIMEOUT_MS	1000	/* sched.stats through the broker */
#define NS_SCHED_CACHE_MS	500	/* a good answer is reused this long */
#define NS_SCHED_BACKOFF_MS	5000	/* no call this long after a time-out */
#define NS_SCHED_TIMEDOUT	(-2)	/* sched_stats(): nothing in time */
#define NS_MAX_NAME		1024	/* bytes of a name */
#define NS_MAX_URI		1024	/* bytes of a URI */
#define NS_MAX_TAG		1024	/* bytes of one metadata string */
#define NS_MAX_TAGS		256	/* metadata strings per entry */
#define NS_DEFAULT_MAX_ENTRIES	10000
#define NS_MAX_REPLY		(64 * 1024 * 1024)

/* ns_store.c: pyro5-ns's SQL file, mirrored in memory. */
struct ns_ent {
	int64_t		 id;
	char		*name;
	size_t		 namelen;
	char		*uri;
	size_t		 urilen;
	char		**meta;		/* in metadata row order */
	size_t		*metalen;
	size_t		 nmeta;
	int		 doomed;	/* store_delete() bookkeeping */
	/* Not in the file (pyro5-ns's schema stays as it is): */
	int64_t		 dead_since;	/* autoclean: failing since (mono ms) */
	char		 owner[48];	/* write protection: registering peer
					 * address, "" if unknown */
};

struct sqlite3;
struct ns_store {
	struct sqlite3	 *db;
	struct ns_ent	**ents;		/* id order = list() order */
	size_t		  n, cap;
	size_t		 *hash;		/* index + 1 into ents, or 0 */
	size_t		  hcap;
	size_t		  max_entries;
	char		  err[256];	/* text of the last failure */
};

/* Open (creating the schema as pyro5-ns does) and load.  0 or -1. */
int		 store_open(struct ns_store *, const char *path,
		    size_t max_entries, char *err, size_t errlen) WUR;
void		 store_close(struct ns_store *);
struct ns_ent	*store_find(const struct ns_store *, const char *, size_t);
/*
 * Insert or replace name (an update receives a new id and moves to the end,
 * as in pyro5-ns).  meta holds distinct strings (NULL: none).  0, or -1
 * with st->err set ("sqlite error in setitem: ..." or the entry limit).
 */
int		 store_set(struct ns_store *, const char *, size_t,
		    const char *uri, size_t urilen,
		    const char *const *meta, const size_t *metalen,
		    size_t nmeta) WUR;
/* The entry with this id (ents is in id order), or NULL. */
struct ns_ent	*store_find_id(const struct ns_store *, int64_t);
/* Remove the given names in one transaction; count removed or -1. */
long		 store_delete(struct ns_store *, struct ns_ent *const *,
		    size_t) WUR;

/* ns_methods.c: the objects behind the protocol. */
struct ns {
	struct ns_store	 st;
	char		 bind_host[64];	/* what we listen on */
	char		 adv_host[256];	/* what we tell clients */
	int		 port;
	size_t		 max_msg;	/* payload + annotations */
	size_t		 nconn;		/* for Pyro.Daemon.info() */
	const char	*peer;		/* current caller, for logs */
	char		 peer_addr[48];	/* its address alone (write protection) */
	int		 write_protect;	/* ns_write_protect */
	int		 pyro4;		/* the call is in the Pyro4 dialect */
	struct sv_arena	 arena;		/* one message's values */
	struct sbuf	 payload;	/* one reply's payload */
	/*
	 * mupif.scheduler: its URI as registered at start (the object id
	 * at our advertised address), and how getStatistics() reaches the
	 * scheduler: sched.stats through the broker (nameserver.c), or
	 * NULL (unit tests without a broker: the call fails).  The hook
	 * returns 0 with the reply (heap, caller frees), or -1 or
	 * NS_SCHED_TIMEDOUT with why.
	 */
	char		 sched_uri[NS_MAX_URI + 1];
	size_t		 sched_urilen;
	int		(*sched_stats)(struct ns *, char **reply,
			    size_t *len, char *why, size_t whylen);
	int64_t		 sched_backoff;	/* no call before (mono ms) */
	int64_t		 sched_cached;	/* sched_cache taken at (mono ms) */
	char		*sched_cache;	/* last good sched.stats reply */
	size_t		 sched_cachelen;
};

/* Results of ns_invoke / ns_handshake. */
#define NS_RES_OK	0
#define NS_RES_EXC	1	/* *out is an exception dict */
#define NS_RES_FAIL	(-1)	/* out of memory: drop the connection */

/*
 * Run one INVOKE (batch: the positional argument holds the calls).
 * *out receives the result, or the exception dict, built in a.  With
 * ns->pyro4 set the objects are Pyro4's (Pyro4.naming.NameServer without
 * yplookup, list() with metadata filters, metadata as lists, Pyro4.*
 * class names).
 */
int		 ns_invoke(struct ns *, struct sv_arena *,
		    const struct pyro_call *, int batch, struct sval **out)
		    WUR;
/*
 * A CONNECT payload.  NS_RES_OK with the CONNECTOK payload in *out, or
 * NS_RES_EXC with the CONNECTFAIL reason (a str value) in *out.
 */
int		 ns_handshake(struct ns *, struct sv_arena *,
		    const struct sval *, struct sval **out) WUR;
/*
 * A Pyro4 CONNECT payload; meta: the client asked for the object's
 * metadata (FLAGS_META_ON_CONNECT).  As ns_handshake.
 */
int		 ns_handshake4(struct ns *, struct sv_arena *,
		    const struct sval *, int meta, struct sval **out) WUR;
/* Build an exception dict; cause is an optional first traceback line. */
struct sval	*ns_exception(struct sv_arena *, const char *cls,
		    const char *msg, size_t msglen, const char *cause,
		    size_t causelen);
/* (Re)register Pyro.NameServer at start-up.  0 or -1. */
int		 ns_register_self(struct ns *) WUR;
/*
 * Register mupif.scheduler (PYRO:mupif.scheduler@<adv_host>:<port>,
 * {"type:scheduler"}) at start-up, replacing any entry of that name;
 * sets ns->sched_uri.  0 or -1 (the store refused; logged).
 */
int		 ns_register_sched(struct ns *) WUR;
/* Whether e is that registration (the status rounds skip it). */
int		 ns_sched_is_own(const struct ns *, const struct ns_ent *);
/* Free the cached statistics. */
void		 ns_sched_free(struct ns *);

/* ns_proto.c: one connection's protocol state. */
#define NSC_HANDSHAKE	0
#define NSC_READY	1

#define NSC_PYRO5	0	/* also: not decided yet */
#define NSC_PYRO4	4

struct nsconn {
	int		 state;
	const char	*peer;			/* "addr:port", for logs */
	int		 proto;			/* NSC_PYRO5 or NSC_PYRO4 */
};

/* The caller of the next call: ns->peer, and ns->peer_addr (peer up to
 * its last ':'). */
void		 ns_set_peer(struct ns *, const char *peer);
/* Set up / release what ns_proto_input() needs in ns. */
void		 ns_proto_init(struct ns *);
void		 ns_proto_free(struct ns *);
/*
 * Handle the first complete message in buf (len bytes received so far).
 * Replies are appended to out.  Returns the bytes the message took, or 0
 * when more bytes are needed (then *need is the total the message needs,
 * if known).  *close is set when the connection must be closed once out
 * has been sent (out may hold a final CONNECTFAIL).
 */
size_t		 ns_proto_input(struct ns *, struct nsconn *, const uint8_t *,
		    size_t len, struct sbuf *out, int *close, size_t *need);
/* A random UUID4 (correlation ids). */
void		 ns_new_corr(uint8_t c[16]);
/*
 * Why a decoded INVOKE payload is not a call (pyro_call_parse failed,
 * missing as it set it): the Python exception class, its text in err.
 */
const char	*ns_call_error(const struct sval *, const char *missing,
		    char *err, size_t errlen);

/* ns_proto4.c: the same for a Pyro4 connection (ns_proto_input hands
 * such connections over). */
size_t		 ns_proto4_input(struct ns *, struct nsconn *,
		    const uint8_t *, size_t len, struct sbuf *out, int *close,
		    size_t *need);

/*
 * ns_clean.c: autoclean.  Every period_s seconds a sweep probes each
 * registration whose URI names a numeric IPv4/IPv6 address inside nets
 * with a non-blocking TCP connect (at most NS_CLEAN_MAX at once, each
 * given NS_CLEAN_TIMEOUT_MS); an entry that has failed for
 * NS_CLEAN_GRACE_MS at a probe is removed.  Anything else (host names,
 * Unix sockets, PYRONAME, addresses outside nets) is never probed and
 * never removed.  Runs inside the nameserver's epoll loop.
 */
#define NS_CLEAN_MAX		64
#define NS_CLEAN_TIMEOUT_MS	5000
#define NS_CLEAN_GRACE_MS	20000

struct ns_probe {
	int		 fd;		/* -1: slot free */
	int64_t		 id;		/* the entry's id when probed */
	int64_t		 started;	/* mono ms */
	char		 uri[NS_MAX_URI + 1];
	size_t		 urilen;
};

struct ns_clean {
	struct ns	*ns;
	int		 ep;		/* the epoll set (-1: tests) */
	int64_t		 period_ms;
	struct cidr_set	 nets;
	int		 sweeping;
	int64_t		 cursor;	/* last id dispatched in this sweep */
	int64_t		 last_sweep;	/* end of the last sweep (mono ms) */
	size_t		 inflight;
	size_t		 probed, failed, removed, skipped;  /* this sweep */
	struct ns_probe	 probes[NS_CLEAN_MAX];
};

/* Set up from the configuration (nets as in cidr.h).  0 or -1 (err). */
int		 ns_clean_init(struct ns_clean *, struct ns *, int ep,
		    long long period_s, const char *nets, char *err,
		    size_t errlen) WUR;
void		 ns_clean_free(struct ns_clean *);
/* Start sweeps and probes that are due, time out slow probes. */
void		 ns_clean_tick(struct ns_clean *, int64_t now);
/* Whether an epoll data pointer is one of our probes. */
int		 ns_clean_owns(const struct ns_clean *, const void *);
/* A probe's socket is writable or failed. */
void		 ns_clean_event(struct ns_clean *, void *, uint32_t events,
		    int64_t now);
/*
 * Where a stored URI would be probed: 1 with the address in *ss, or 0
 * (never probed) with the reason in why.
 */
int		 ns_clean_target(const struct ns_clean *, const char *uri,
		    size_t len, struct sockaddr_storage *ss, const char **why);
/* The same check against any list of networks (ns_rounds.c uses it). */
int		 ns_net_target(const struct cidr_set *, const char *uri,
		    size_t len, struct sockaddr_storage *ss, const char **why);
/* A probe's outcome for entry id with this URI (ok: it connected). */
void		 ns_clean_result(struct ns_clean *, int64_t id, const char *uri,
		    size_t urilen, int ok, int64_t now);

/*
 * parse_jobman.c: the client side of Pyro5 (protocol 502, serpent) as the
 * status rounds (ns_rounds.c) speak it, without sockets.  To a registered
 * job manager (ns.jobmans): CONNECT, then getApplicationSignature(), then
 * getStatusExtended() (or, for a server without it, getStatus()).  To a
 * registered scheduler (ns.schedulers): CONNECT, then getStatistics()
 * (parse_sched.c reads its value).  Everything received is untrusted:
 * headers are capped at JM_MAX_MSG, serpent at JM_MAX_NODES values and
 * JM_MAX_DEPTH levels, strings at JM_MAX_STR bytes, jobs at JM_MAX_JOBS.
 * Nothing is ever unpickled; log tails are not fetched.
 */
#define JM_MAX_MSG	(256 * 1024)	/* payload + annotations of a reply */
#define JM_MAX_NODES	20000
#define JM_MAX_DEPTH	16
#define JM_MAX_STR	1024		/* bytes of any string we keep */
#define JM_MAX_JOBS	256		/* jobs of one job manager */

struct jm_job {
	char		*key, *user, *uri;
	char		*log_uri;	/* NULL: null */
	double		 running;	/* seconds */
};

/* What one job manager told us (ok: all of it, well formed). */
struct jm_info {
	int		 ok;
	int		 status;	/* getStatusExtended() answered */
	char		*signature;
	int64_t		 max, curr, total;
	struct jm_job	*jobs;
	size_t		 njobs;
};

/*
 * parse_sched.c: the value of a scheduler's getStatistics() (mupifDB's
 * "old format" dict, spec/scheduler.md 9), checked field by field: the
 * five task counters (ints), currentLoad (finite number), the four
 * 48-hour histograms (at most SCH_HIST_LEN ints each) and load48 (as many
 * finite numbers), lastJobs (at most SCH_MAX_LAST lists of exactly five:
 * weid, wid, status, started - strings - and finished, a string or None).
 */
#define SCH_HIST_LEN	48	/* hourly buckets of a histogram */
#define SCH_MAX_LAST	64	/* lastJobs entries (mupifDB keeps 5) */
#define SCH_COUNT_MIN	(-2147483647LL - 1)
#define SCH_COUNT_MAX	2147483647LL

/* A number as it came: an int, or a finite float. */
struct sch_num {
	int		 isint;
	int64_t		 i;
	double		 f;
};

struct sch_exec {
	char		*weid, *wid, *status, *started;
	char		*finished;	/* NULL: null */
};

/* The four integer histograms, in the answer's order. */
#define SCH_H_POOLED	0
#define SCH_H_PROCESSED	1
#define SCH_H_FINISHED	2
#define SCH_H_FAILED	3
#define SCH_NHIST	4

/* What one scheduler told us (ok: all of it, well formed). */
struct sch_info {
	int		 ok;
	int64_t		 running, scheduled, processed, finished, failed;
	struct sch_num	 load;
	int64_t		 hist[SCH_NHIST][SCH_HIST_LEN];
	size_t		 nhist[SCH_NHIST];
	struct sch_num	 load48[SCH_HIST_LEN];
	size_t		 nload48;
	struct sch_exec	*last;
	size_t		 nlast;
};

/* getStatistics()'s value into in.  0, or -1 with why set. */
int		 sch_parse_stats(const struct sval *, struct sch_info *,
		    char *why, size_t whylen) WUR;
void		 sch_info_free(struct sch_info *);

/*
 * The other direction, for the hosted mupif.scheduler object: the
 * scheduler's sched.stats reply ({"owner", "stats", "raw"}, JSON from
 * the broker) into the value getStatistics() returns: "stats" (the old
 * format, checked by sch_parse_stats() and with every histogram exactly
 * SCH_HIST_LEN long), or with raw "raw" (the SchedulerStat: a dict with
 * tasks, load, lastJobs, hist48h).  Only ints (int64), strings (at most
 * SCHO_MAX_STR bytes, UTF-8, no NUL), null, lists (at most SCHO_MAX_ITEMS)
 * and dicts (at most SCHO_MAX_KEYS) are taken, at most SCHO_MAX_DEPTH
 * deep and SCHO_MAX_NODES values in all, from at most SCHO_MAX_JSON
 * bytes.  NULL with why set when anything is off.
 */
#define SCHO_MAX_JSON	(256 * 1024)
#define SCHO_MAX_DEPTH	6
#define SCHO_MAX_NODES	4096
#define SCHO_MAX_ITEMS	256
#define SCHO_MAX_KEYS	64
#define SCHO_MAX_STR	1024
struct sval	*sch_stats_value(struct sv_arena *, const char *json,
		    size_t len, int raw, char *why, size_t whylen);

#define JM_KIND_JOBMAN	0	/* ns.jobmans: a model server */
#define JM_KIND_SCHED	1	/* ns.schedulers: mupif.scheduler */

#define JM_S_HANDSHAKE	0	/* CONNECT sent */
#define JM_S_SIG	1	/* getApplicationSignature() sent */
#define JM_S_STATUS	2	/* getStatusExtended() sent */
#define JM_S_OLDSTATUS	3	/* getStatus() sent */
#define JM_S_DONE	4
#define JM_S_FAIL	5
#define JM_S_STATS	6	/* getStatistics() sent (a scheduler) */

struct jm_conn {
	int		 kind;		/* JM_KIND_* */
	int		 state;
	uint16_t	 seq;
	char		 objid[NS_MAX_URI + 1];
	int		 meta;		/* the handshake listed methods */
	int		 has_ext, has_old;
	struct sbuf	 out;		/* requests not yet sent */
	struct sv_arena	 arena;		/* one reply's values */
	struct jm_info	 info;		/* JM_KIND_JOBMAN */
	struct sch_info	 sinfo;		/* JM_KIND_SCHED */
	char		 why[128];	/* JM_S_FAIL: what went wrong */
};

/* Start a conversation with job manager objid (the CONNECT goes to
 * c->out).  0, or -1 (objid too long or out of memory). */
int		 jm_conn_init(struct jm_conn *, const char *objid, size_t len)
		    WUR;
/* The same with a scheduler (kind JM_KIND_SCHED). */
int		 sch_conn_init(struct jm_conn *, const char *objid, size_t len)
		    WUR;
void		 jm_conn_free(struct jm_conn *);
/* Whether the conversation ended with a complete answer. */
int		 jm_conn_ok(const struct jm_conn *);
/*
 * Bytes received so far (len).  Returns the bytes one complete reply
 * took (the next request, if any, is appended to c->out) or 0 when more
 * are needed; c->state says whether the conversation is over (JM_S_DONE
 * with c->info or c->sinfo filled, JM_S_FAIL with c->why).
 */
size_t		 jm_conn_input(struct jm_conn *, const uint8_t *, size_t len);
/*
 * getStatusExtended()'s (extended) or getStatus()'s value into info
 * (max, curr, total, jobs; status).  0, or -1 with why set.
 */
int		 jm_parse_status(const struct sval *, int extended,
		    struct jm_info *, char *why, size_t whylen) WUR;
void		 jm_info_free(struct jm_info *);
/* A str we keep: at most JM_MAX_STR bytes, no NUL.  Heap copy or NULL. */
char		*jm_keep_str(const struct sval *);

/*
 * ns_rounds.c: the broker operations ns.jobmans and ns.schedulers, one
 * engine.  A round calls every registration tagged type:jobmanager (or
 * type:scheduler) in parallel (at most parallel connections at once),
 * inside the nameserver's epoll loop, within budget_ms, and answers the
 * safe API's /jobmans-status2/ (or /scheduler-status2/) array.
 */
#define JM_PARALLEL	64	/* slots of a round (job managers: all) */
#define SCH_PARALLEL	8	/* schedulers: there is one, usually */
#define JM_MAX_ENTRIES	1024	/* job managers called in one round */
#define SCH_MAX_ENTRIES	64	/* schedulers called in one round */
#define JM_WAITERS	8	/* requests sharing one round */

struct jm_ent;
struct jm_slot {
	int		 fd;		/* -1: free */
	int		 connecting;
	size_t		 ent;		/* index into the round's entries */
	uint8_t		*in;
	size_t		 inlen, incap;
	size_t		 outoff;
	uint32_t	 events;
	struct jm_conn	 c;
};

struct bchan;
struct ns_round {
	int		 kind;		/* JM_KIND_* */
	const char	*name;		/* "ns.jobmans", "ns.schedulers" */
	const char	*tag;		/* "type:jobmanager", ... */
	size_t		 parallel;	/* slots used, <= JM_PARALLEL */
	size_t		 max_entries;
	struct ns	*ns;
	struct bchan	*bc;
	int		 ep;		/* -1: no event loop (tests) */
	int		 enabled;	/* ns_probe: 0 = every element null */
	struct cidr_set	 nets;
	int64_t		 budget_ms;
	int		 active;
	int64_t		 deadline;
	struct jm_ent	*ents;
	size_t		 n, next, left;
	struct jm_slot	 slots[JM_PARALLEL];
	struct msg_hdr	 waiters[JM_WAITERS];	/* requests to answer */
	size_t		 nwait;
};

int		 ns_round_init(struct ns_round *, int kind, struct ns *,
		    struct bchan *, int ep, int enabled, const char *nets,
		    int64_t budget_ms, char *err, size_t errlen) WUR;
void		 ns_round_free(struct ns_round *);
/* A request: join the running round or start one. */
void		 ns_round_request(struct ns_round *, const struct msg *);
int		 ns_round_owns(const struct ns_round *, const void *);
void		 ns_round_event(struct ns_round *, void *, uint32_t);
/* Start due calls, end the round when all answered or time is up. */
void		 ns_round_tick(struct ns_round *, int64_t now);
/* How long the event loop may sleep (ms), at most max. */
int		 ns_round_timeout(const struct ns_round *, int64_t now,
		    int max);

#endif /* NAMESERVER_H */
