/*
 * nameserver.h - the Pyro5 nameserver service (port 10000): storage,
 * the nameserver and daemon objects, and the per-connection protocol
 * engine that nameserver.c drives from its event loop.
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

#include "pyro.h"
#include "serpent.h"

#define NS_FILE			"nameserver.sqlite"
#define NS_NAME			"Pyro.NameServer"
#define NS_DAEMON		"Pyro.Daemon"
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
	struct sv_arena	 arena;		/* one message's values */
	struct sbuf	 payload;	/* one reply's payload */
};

/* Results of ns_invoke / ns_handshake. */
#define NS_RES_OK	0
#define NS_RES_EXC	1	/* *out is an exception dict */
#define NS_RES_FAIL	(-1)	/* out of memory: drop the connection */

/*
 * Run one INVOKE (batch: the positional argument holds the calls).
 * *out receives the result, or the exception dict, built in a.
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
/* Build an exception dict; cause is an optional first traceback line. */
struct sval	*ns_exception(struct sv_arena *, const char *cls,
		    const char *msg, size_t msglen, const char *cause,
		    size_t causelen);
/* (Re)register Pyro.NameServer at start-up.  0 or -1. */
int		 ns_register_self(struct ns *) WUR;

/* ns_proto.c: one connection's protocol state. */
#define NSC_HANDSHAKE	0
#define NSC_READY	1

struct nsconn {
	int		 state;
	const char	*peer;			/* "addr:port", for logs */
};

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

#endif /* NAMESERVER_H */
