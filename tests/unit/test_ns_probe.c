/*
 * test_ns_probe.c - unit tests for the client side of ns.jobmans
 * (services/nameserver/parse_jobman.c): the requests we send (CONNECT,
 * then INVOKEs with sequence numbers 1, 2...), a whole conversation with
 * a model server fed byte by byte, the fallback to getStatus() for old
 * servers (by the handshake's method list and by AttributeError), and
 * every way a reply can be refused (wrong header, sequence, type or
 * serializer, CONNECTFAIL, oversized, non-serpent, wrong types, long
 * strings, too many jobs, non-finite numbers, a __pickle__ dict); the
 * same for ns.schedulers (CONNECT, getStatistics(), parse_sched.c: every
 * field required and type-checked, histogram and lastJobs caps); plus the
 * ns_probe configuration checks and ns_net_target(); and the hosted
 * mupif.scheduler object (ns_methods.c, sch_stats_value in parse_sched.c):
 * the sched.stats reply taken only in getStatistics()'s shapes, the
 * object's methods, refusals, and what a failing scheduler gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "conf.h"
#include "nameserver.h"

/* A server message: header + serpent text (optionally compressed). */
static size_t
mk(uint8_t *buf, size_t cap, uint8_t type, uint16_t seq, uint16_t flags,
    uint8_t ser, const char *payload)
{
	struct pyro_hdr	h;
	size_t		len = strlen(payload);

	assert_true(PYRO_HDR_LEN + len <= cap);
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.serializer = ser;
	h.flags = flags | PYRO_F_CORR_ID;
	h.seq = seq;
	h.corr[0] = 0x42;
	if (flags & PYRO_F_COMPRESSED) {
		uLongf zl = (uLongf)(cap - PYRO_HDR_LEN);

		assert_int_equal(compress2(buf + PYRO_HDR_LEN, &zl,
		    (const Bytef *)payload, len, 4), Z_OK);
		len = zl;
	} else
		memcpy(buf + PYRO_HDR_LEN, payload, len);
	h.datalen = (uint32_t)len;
	pyro_hdr_build(buf, &h);
	return PYRO_HDR_LEN + len;
}

/* Feed one reply whole; it must be consumed completely. */
static void
feed(struct jm_conn *c, uint8_t type, uint16_t seq, uint16_t flags,
    const char *payload)
{
	static uint8_t	buf[1 << 20];
	size_t		n = mk(buf, sizeof(buf), type, seq, flags,
			    PYRO_SER_SERPENT, payload);

	assert_int_equal(jm_conn_input(c, buf, n), n);
}

/* The last request in c->out: its header and decoded payload. */
static const struct sval *
last_request(struct jm_conn *c, struct sv_arena *a, struct pyro_hdr *h)
{
	struct sval	*v;
	char		 err[128];
	size_t		 off = 0, total;

	assert_true(c->out.len >= PYRO_HDR_LEN);
	for (;;) {
		assert_int_equal(pyro_hdr_parse((uint8_t *)c->out.p + off,
		    1 << 20, h), PYRO_OK);
		total = PYRO_HDR_LEN + h->annlen + h->datalen;
		if (off + total == c->out.len)
			break;
		off += total;
	}
	assert_int_equal(h->serializer, PYRO_SER_SERPENT);
	assert_int_equal(serpent_parse(c->out.p + off + PYRO_HDR_LEN,
	    h->datalen, NULL, a, &v, err, sizeof(err), NULL), 0);
	c->out.len = 0;
	return v;
}

static void
expect_invoke(struct jm_conn *c, uint16_t seq, const char *method)
{
	struct sv_arena		 a;
	struct pyro_hdr		 h;
	const struct sval	*v, *it;

	sv_arena_init(&a, 1 << 20);
	v = last_request(c, &a, &h);
	assert_int_equal(h.type, PYRO_INVOKE);
	assert_int_equal(h.seq, seq);
	assert_int_equal(v->type, SV_TUPLE);
	assert_int_equal(v->n, 4);
	it = v->u.l.first;
	assert_true(sv_is_str(it, "obj_8e2b77c1"));
	assert_true(sv_is_str(it->next, method));
	assert_int_equal(it->next->next->type, SV_TUPLE);
	assert_int_equal(it->next->next->n, 0);
	assert_int_equal(it->next->next->next->type, SV_DICT);
	sv_arena_reset(&a);
}

#define META_ALL "{'handshake':'hello','meta':{'methods':{'allocateJob'," \
	"'getApplicationSignature','getStatus','getStatusExtended'}," \
	"'oneway':{'terminate'},'attrs':set()}}"
#define SIG "'Mupif.JobManager.ModelServer'"
#define STATUS "{'__class__':'mupif.modelserverbase.ModelServerStatus'," \
	"'currJobs':[{'__class__':'mupif.modelserverbase.JobStatus'," \
	"'key':'23@CTU-TM-demo','running':12.53,'user':'mupif@central'," \
	"'uri':'PYRO:obj_0a@172.24.1.10:44877','remoteLogUri':" \
	"'PYRO:obj_1b@172.24.1.1:39113','tail':[]},{'key':'24@CTU-TM-demo'," \
	"'running':3,'user':'u','uri':'PYRO:obj_0c@172.24.1.10:44878'," \
	"'remoteLogUri':None}],'totalJobs':24,'maxJobs':4}"

static void
start(struct jm_conn *c)
{
	struct sv_arena		 a;
	struct pyro_hdr		 h;
	const struct sval	*v;

	assert_int_equal(jm_conn_init(c, "obj_8e2b77c1", 12), 0);
	sv_arena_init(&a, 1 << 20);
	v = last_request(c, &a, &h);
	assert_int_equal(h.type, PYRO_CONNECT);
	assert_int_equal(h.seq, 0);
	assert_true(sv_is_str(sv_dict_get(v, "handshake"), "hello"));
	assert_true(sv_is_str(sv_dict_get(v, "object"), "obj_8e2b77c1"));
	sv_arena_reset(&a);
}

static void
check_status(const struct jm_info *in)
{
	assert_true(in->ok);
	assert_true(in->status);
	assert_string_equal(in->signature, "Mupif.JobManager.ModelServer");
	assert_int_equal(in->max, 4);
	assert_int_equal(in->curr, 2);
	assert_int_equal(in->total, 24);
	assert_int_equal(in->njobs, 2);
	assert_string_equal(in->jobs[0].key, "23@CTU-TM-demo");
	assert_true(in->jobs[0].running == 12.53);
	assert_string_equal(in->jobs[0].user, "mupif@central");
	assert_string_equal(in->jobs[0].uri, "PYRO:obj_0a@172.24.1.10:44877");
	assert_string_equal(in->jobs[0].log_uri,
	    "PYRO:obj_1b@172.24.1.1:39113");
	assert_true(in->jobs[1].running == 3.0);
	assert_null(in->jobs[1].log_uri);
}

static void
test_conversation(void **state)
{
	struct jm_conn c;

	(void)state;
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, META_ALL);
	assert_int_equal(c.state, JM_S_SIG);
	expect_invoke(&c, 1, "getApplicationSignature");
	feed(&c, PYRO_RESULT, 1, 0, SIG);
	assert_int_equal(c.state, JM_S_STATUS);
	expect_invoke(&c, 2, "getStatusExtended");
	feed(&c, PYRO_RESULT, 2, 0, STATUS);
	assert_int_equal(c.state, JM_S_DONE);
	check_status(&c.info);
	jm_conn_free(&c);
}

/* The same replies in one stream, one byte at a time, with an
 * annotation and a compressed payload. */
static void
test_bytewise(void **state)
{
	static uint8_t	 buf[3 << 16];
	struct jm_conn	 c;
	size_t		 n = 0, have = 0, got, i;
	struct pyro_hdr	 h;

	(void)state;
	n += mk(buf + n, sizeof(buf) - n, PYRO_CONNECTOK, 0, 0,
	    PYRO_SER_SERPENT, META_ALL);
	n += mk(buf + n, sizeof(buf) - n, PYRO_RESULT, 1, PYRO_F_COMPRESSED,
	    PYRO_SER_SERPENT, SIG);
	/* Status with an annotation chunk "XTRA" = "hi". */
	{
		size_t start = n, plen = strlen(STATUS);

		memset(&h, 0, sizeof(h));
		h.type = PYRO_RESULT;
		h.serializer = PYRO_SER_SERPENT;
		h.seq = 2;
		h.annlen = 10;
		h.datalen = (uint32_t)plen;
		pyro_hdr_build(buf + start, &h);
		memcpy(buf + start + PYRO_HDR_LEN, "XTRA\0\0\0\2hi", 10);
		memcpy(buf + start + PYRO_HDR_LEN + 10, STATUS, plen);
		n += PYRO_HDR_LEN + 10 + plen;
	}
	start(&c);
	for (i = 1; i <= n && c.state != JM_S_DONE; i++) {
		got = jm_conn_input(&c, buf + have, i - have);
		assert_int_not_equal(c.state, JM_S_FAIL);
		have += got;
	}
	assert_int_equal(have, n);
	assert_int_equal(c.state, JM_S_DONE);
	check_status(&c.info);
	jm_conn_free(&c);
}

/* Old servers: no getStatusExtended in the handshake, or an
 * AttributeError for it; and no method list at all. */
static void
test_old_server(void **state)
{
	struct jm_conn c;

	(void)state;
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, "{'handshake':'hello','meta':"
	    "{'methods':('getApplicationSignature','getStatus'),'oneway':(),"
	    "'attrs':()}}");
	expect_invoke(&c, 1, "getApplicationSignature");
	feed(&c, PYRO_RESULT, 1, 0, SIG);
	assert_int_equal(c.state, JM_S_OLDSTATUS);
	expect_invoke(&c, 2, "getStatus");
	feed(&c, PYRO_RESULT, 2, 0, "[{'key':'1@x','running':1.5,'user':"
	    "'u','uri':'PYRO:o@10.0.0.1:1','remoteLogUri':None}]");
	assert_int_equal(c.state, JM_S_DONE);
	assert_false(c.info.status);
	assert_int_equal(c.info.max, -1);
	assert_int_equal(c.info.total, -1);
	assert_int_equal(c.info.curr, 1);
	jm_conn_free(&c);

	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, "{'handshake':'hello'}");
	feed(&c, PYRO_RESULT, 1, 0, SIG);
	assert_int_equal(c.state, JM_S_STATUS);
	c.out.len = 0;
	feed(&c, PYRO_RESULT, 2, PYRO_F_EXCEPTION, "{'__class__':"
	    "'builtins.AttributeError','__exception__':True,'args':"
	    "(\"'M' object has no attribute 'getStatusExtended'\",),"
	    "'attributes':{}}");
	assert_int_equal(c.state, JM_S_OLDSTATUS);
	expect_invoke(&c, 3, "getStatus");
	feed(&c, PYRO_RESULT, 3, 0, "()");
	assert_int_equal(c.state, JM_S_DONE);
	assert_int_equal(c.info.njobs, 0);
	assert_false(c.info.status);
	jm_conn_free(&c);
}

/* Run a conversation to the status reply and give it this payload. */
static int
status_with(const char *payload)
{
	struct jm_conn	c;
	int		st;

	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, META_ALL);
	feed(&c, PYRO_RESULT, 1, 0, SIG);
	feed(&c, PYRO_RESULT, 2, 0, payload);
	st = c.state;
	if (st == JM_S_DONE) {
		assert_true(c.info.ok);
	} else {
		assert_int_equal(st, JM_S_FAIL);
		assert_true(c.why[0] != '\0');
		assert_false(c.info.ok);
	}
	jm_conn_free(&c);
	return st;
}

static void
test_bad_status(void **state)
{
	char	*big, *many;
	size_t	 i, off;

	(void)state;
	assert_int_equal(status_with(STATUS), JM_S_DONE);
	/* Missing pieces, wrong types. */
	assert_int_equal(status_with("{'totalJobs':1,'maxJobs':1}"),
	    JM_S_FAIL);
	assert_int_equal(status_with("{'currJobs':[],'maxJobs':1}"),
	    JM_S_FAIL);
	assert_int_equal(status_with("{'currJobs':[],'totalJobs':1}"),
	    JM_S_DONE);		/* maxJobs is optional (old servers) */
	assert_int_equal(status_with("{'currJobs':[],'totalJobs':'1'}"),
	    JM_S_FAIL);
	assert_int_equal(status_with("{'currJobs':[],'totalJobs':-2}"),
	    JM_S_FAIL);
	assert_int_equal(status_with("{'currJobs':{},'totalJobs':1}"),
	    JM_S_FAIL);
	assert_int_equal(status_with("{'currJobs':[1],'totalJobs':1}"),
	    JM_S_FAIL);
	assert_int_equal(status_with("[]"), JM_S_FAIL);
	assert_int_equal(status_with("{'currJobs':[{'key':1,'running':1,"
	    "'user':'u','uri':'u'}],'totalJobs':1}"), JM_S_FAIL);
	assert_int_equal(status_with("{'currJobs':[{'key':'k','running':'1',"
	    "'user':'u','uri':'u'}],'totalJobs':1}"), JM_S_FAIL);
	assert_int_equal(status_with("{'currJobs':[{'key':'k','running':1,"
	    "'user':'u','uri':'u','remoteLogUri':5}],'totalJobs':1}"),
	    JM_S_FAIL);
	/* No remoteLogUri at all: null. */
	assert_int_equal(status_with("{'currJobs':[{'key':'k','running':1,"
	    "'user':'u','uri':'u'}],'totalJobs':1}"), JM_S_DONE);
	/* Infinite running time (serpent writes inf as 1e30000). */
	assert_int_equal(status_with("{'currJobs':[{'key':'k','running':"
	    "1e30000,'user':'u','uri':'u'}],'totalJobs':1}"), JM_S_FAIL);
	/* A NUL in a string. */
	assert_int_equal(status_with("{'currJobs':[{'key':'a\\x00b',"
	    "'running':1,'user':'u','uri':'u'}],'totalJobs':1}"), JM_S_FAIL);
	/* mupif's pickled BareData: never unpickled, so no status. */
	assert_int_equal(status_with("{'__class__':'x','__pickle__':"
	    "b'gASVAAAAAAAAAAA='}"), JM_S_FAIL);
	/* Strings up to JM_MAX_STR bytes. */
	big = malloc(JM_MAX_STR + 200);
	assert_non_null(big);
	for (i = JM_MAX_STR; i <= JM_MAX_STR + 1; i++) {
		int n = snprintf(big, 200, "{'currJobs':[{'key':'");

		memset(big + n, 'k', i);
		(void)snprintf(big + n + i, 100, "','running':1,'user':'u',"
		    "'uri':'u'}],'totalJobs':1}");
		assert_int_equal(status_with(big), i == JM_MAX_STR ?
		    JM_S_DONE : JM_S_FAIL);
	}
	free(big);
	/* At most JM_MAX_JOBS jobs. */
	many = malloc(100 * (JM_MAX_JOBS + 2) + 100);
	assert_non_null(many);
	for (i = JM_MAX_JOBS; i <= JM_MAX_JOBS + 1; i++) {
		size_t k;

		off = (size_t)sprintf(many, "{'currJobs':[");
		for (k = 0; k < i; k++)
			off += (size_t)sprintf(many + off, "{'key':'%zu',"
			    "'running':1,'user':'u','uri':'u'},", k);
		(void)sprintf(many + off, "],'totalJobs':1}");
		assert_int_equal(status_with(many), i == JM_MAX_JOBS ?
		    JM_S_DONE : JM_S_FAIL);
	}
	free(many);
}

/* Replies refused before their payload is looked at. */
static void
test_bad_messages(void **state)
{
	static uint8_t	buf[4096];
	struct jm_conn	c;
	size_t		n;

	(void)state;
	/* Wrong sequence number. */
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, META_ALL);
	feed(&c, PYRO_RESULT, 7, 0, SIG);
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	/* CONNECTFAIL. */
	start(&c);
	feed(&c, PYRO_CONNECTFAIL, 0, 0, "'unknown object'");
	assert_int_equal(c.state, JM_S_FAIL);
	assert_non_null(strstr(c.why, "CONNECTFAIL"));
	jm_conn_free(&c);
	/* A RESULT where CONNECTOK was due. */
	start(&c);
	feed(&c, PYRO_RESULT, 0, 0, "None");
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	/* Another serializer (marshal, JSON): refused, nothing decoded. */
	start(&c);
	n = mk(buf, sizeof(buf), PYRO_CONNECTOK, 0, 0, PYRO_SER_MARSHAL,
	    "x");
	assert_int_equal(jm_conn_input(&c, buf, n), n);
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	/* Not Pyro at all: decided on the first 40 bytes. */
	start(&c);
	memset(buf, 'A', 64);
	memcpy(buf, "HTTP/1.0 400 Bad Request\r\n", 26);
	assert_int_equal(jm_conn_input(&c, buf, 39), 0);
	assert_int_equal(c.state, JM_S_HANDSHAKE);
	assert_int_equal(jm_conn_input(&c, buf, 64), 64);
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	/* A header announcing more than JM_MAX_MSG: refused at once. */
	start(&c);
	{
		struct pyro_hdr h;

		memset(&h, 0, sizeof(h));
		h.type = PYRO_CONNECTOK;
		h.serializer = PYRO_SER_SERPENT;
		h.datalen = JM_MAX_MSG + 1;
		pyro_hdr_build(buf, &h);
		assert_int_equal(jm_conn_input(&c, buf, PYRO_HDR_LEN),
		    PYRO_HDR_LEN);
		assert_int_equal(c.state, JM_S_FAIL);
	}
	jm_conn_free(&c);
	/* Broken serpent; a handshake without getApplicationSignature; a
	 * signature that is not a string; a batch reply. */
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, "{'handshake':");
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, "{'handshake':'hello','meta':"
	    "{'methods':{'lookup'}}}");
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, META_ALL);
	feed(&c, PYRO_RESULT, 1, 0, "b'Mupif'");
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, META_ALL);
	feed(&c, PYRO_RESULT, 1, PYRO_F_BATCH, SIG);
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	/* An exception for the signature. */
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, META_ALL);
	feed(&c, PYRO_RESULT, 1, PYRO_F_EXCEPTION, SIG);
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	/* Bytes after the end fail the conversation. */
	start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, META_ALL);
	feed(&c, PYRO_RESULT, 1, 0, SIG);
	feed(&c, PYRO_RESULT, 2, 0, STATUS);
	assert_int_equal(c.state, JM_S_DONE);
	assert_int_equal(jm_conn_input(&c, (const uint8_t *)"x", 1), 1);
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	/* An object id that cannot be one. */
	assert_int_equal(jm_conn_init(&c, "", 0), -1);
	jm_conn_free(&c);
	assert_int_equal(jm_conn_init(&c, "a\0b", 3), -1);
	jm_conn_free(&c);
}

/* ---- ns.schedulers: a scheduler's getStatistics() ---- */

#define SCH_META "{'handshake':'hello','meta':{'methods':{'getStatistics'," \
	"'getExecutions','updateRunning','stop','registerPyro'}," \
	"'oneway':set(),'attrs':set()}}"

/* The fields of getStatistics()'s dict, in the order mupifDB writes
 * them; mkstats() can replace (or, with NULL, drop) one of them. */
static const char *const sch_keys[] = {
	"runningTasks", "scheduledTasks", "processedTasks", "finishedTasks",
	"failedTasks", "lastJobs", "currentLoad", "processedTasks48",
	"pooledTasks48", "finishedTasks48", "failedTasks48", "load48"
};

/* A list of n numbers i*mul (+ 0.5 as floats when fl). */
static size_t
mklist(char *b, size_t cap, size_t n, int mul, int fl)
{
	size_t off = 0, i;

	off += (size_t)snprintf(b + off, cap - off, "[");
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(b + off, cap - off, fl ? "%s%d.5" :
		    "%s%d", i ? "," : "", (int)i * mul);
	off += (size_t)snprintf(b + off, cap - off, "]");
	return off;
}

static char *
mkstats(const char *key, const char *val)
{
	size_t	 cap = 64 * 1024, off = 0, k;
	char	*b = malloc(cap);

	assert_non_null(b);
	off += (size_t)snprintf(b + off, cap - off,
	    "{'__class__':'whatever.Stats',");
	for (k = 0; k < sizeof(sch_keys) / sizeof(sch_keys[0]); k++) {
		const char *name = sch_keys[k];

		if (key != NULL && strcmp(key, name) == 0) {
			if (val != NULL)
				off += (size_t)snprintf(b + off, cap - off,
				    "'%s':%s,", name, val);
			continue;
		}
		off += (size_t)snprintf(b + off, cap - off, "'%s':", name);
		if (k < 5)
			off += (size_t)snprintf(b + off, cap - off, "%d,",
			    k == 1 ? -1 : (int)k * 10 + 1);
		else if (k == 5)
			off += (size_t)snprintf(b + off, cap - off,
			    "[['6756f0c2a1b2c3d4e5f60718','workflow_13',"
			    "'Finished','2024-12-09T10:02:11.480213',"
			    "'2024-12-09T10:03:40.002117'],"
			    "('6756f3a9','workflow_13','Running',"
			    "'2024-12-09T10:15:02.112233',None)],");
		else if (k == 6)
			off += (size_t)snprintf(b + off, cap - off, "3.0,");
		else {
			off += mklist(b + off, cap - off, SCH_HIST_LEN,
			    (int)k, k == 11);
			off += (size_t)snprintf(b + off, cap - off, ",");
		}
	}
	(void)snprintf(b + off, cap - off, "}");
	return b;
}

static void
sch_start(struct jm_conn *c)
{
	struct sv_arena		 a;
	struct pyro_hdr		 h;
	const struct sval	*v;

	assert_int_equal(sch_conn_init(c, "obj_8e2b77c1", 12), 0);
	assert_int_equal(c->kind, JM_KIND_SCHED);
	sv_arena_init(&a, 1 << 20);
	v = last_request(c, &a, &h);
	assert_int_equal(h.type, PYRO_CONNECT);
	assert_int_equal(h.seq, 0);
	assert_true(sv_is_str(sv_dict_get(v, "object"), "obj_8e2b77c1"));
	sv_arena_reset(&a);
}

static void
test_sched_conversation(void **state)
{
	struct jm_conn		 c;
	const struct sch_info	*in = &c.sinfo;
	char			*st = mkstats(NULL, NULL);
	size_t			 i;

	(void)state;
	sch_start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, SCH_META);
	assert_int_equal(c.state, JM_S_STATS);
	expect_invoke(&c, 1, "getStatistics");
	feed(&c, PYRO_RESULT, 1, PYRO_F_COMPRESSED, st);
	assert_int_equal(c.state, JM_S_DONE);
	assert_true(jm_conn_ok(&c));
	assert_true(in->ok);
	assert_false(c.info.ok);
	assert_int_equal(in->running, 1);
	assert_int_equal(in->scheduled, -1);	/* may go negative */
	assert_int_equal(in->processed, 21);
	assert_int_equal(in->finished, 31);
	assert_int_equal(in->failed, 41);
	assert_false(in->load.isint);
	assert_true(in->load.f == 3.0);
	for (i = 0; i < SCH_NHIST; i++)
		assert_int_equal(in->nhist[i], SCH_HIST_LEN);
	/* processedTasks48 is key 7, pooledTasks48 key 8. */
	assert_int_equal(in->hist[SCH_H_PROCESSED][2], 14);
	assert_int_equal(in->hist[SCH_H_POOLED][2], 16);
	assert_int_equal(in->hist[SCH_H_FAILED][47], 470);
	assert_int_equal(in->nload48, SCH_HIST_LEN);
	assert_false(in->load48[1].isint);
	assert_true(in->load48[1].f == 11.5);
	assert_int_equal(in->nlast, 2);
	assert_string_equal(in->last[0].weid, "6756f0c2a1b2c3d4e5f60718");
	assert_string_equal(in->last[0].status, "Finished");
	assert_string_equal(in->last[0].finished,
	    "2024-12-09T10:03:40.002117");
	assert_string_equal(in->last[1].started,
	    "2024-12-09T10:15:02.112233");
	assert_null(in->last[1].finished);
	/* Nothing more is asked (no getExecutions, no log tails). */
	assert_int_equal(c.out.len, 0);
	jm_conn_free(&c);

	/* No method list: just try getStatistics(). */
	sch_start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, "{'handshake':'hello'}");
	expect_invoke(&c, 1, "getStatistics");
	feed(&c, PYRO_RESULT, 1, 0, st);
	assert_true(jm_conn_ok(&c));
	jm_conn_free(&c);
	free(st);
}

/* Run a scheduler conversation to getStatistics() and give it this
 * payload (flags on the result). */
static int
stats_with_flags(const char *payload, uint16_t flags)
{
	struct jm_conn	c;
	int		st;

	sch_start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, SCH_META);
	c.out.len = 0;
	feed(&c, PYRO_RESULT, 1, flags, payload);
	st = c.state;
	if (st == JM_S_DONE)
		assert_true(jm_conn_ok(&c));
	else {
		assert_int_equal(st, JM_S_FAIL);
		assert_true(c.why[0] != '\0');
		assert_false(c.sinfo.ok);
		assert_false(jm_conn_ok(&c));
	}
	jm_conn_free(&c);
	return st;
}

static int
stats_with(const char *payload)
{
	return stats_with_flags(payload, 0);
}

/* One field replaced (val NULL: missing). */
static int
field(const char *key, const char *val)
{
	char	*p = mkstats(key, val);
	int	 st = stats_with(p);

	free(p);
	return st;
}

static void
test_sched_bad_stats(void **state)
{
	char	 buf[8192], *big;
	size_t	 k, i, off;

	(void)state;
	/* Every field is required. */
	for (k = 0; k < sizeof(sch_keys) / sizeof(sch_keys[0]); k++)
		assert_int_equal(field(sch_keys[k], NULL), JM_S_FAIL);
	/* Counters: ints (not bools, strings, floats, big ints). */
	assert_int_equal(field("runningTasks", "True"), JM_S_FAIL);
	assert_int_equal(field("runningTasks", "'1'"), JM_S_FAIL);
	assert_int_equal(field("runningTasks", "1.0"), JM_S_FAIL);
	assert_int_equal(field("runningTasks", "2147483647"), JM_S_DONE);
	assert_int_equal(field("runningTasks", "2147483648"), JM_S_FAIL);
	assert_int_equal(field("failedTasks", "-2147483648"), JM_S_DONE);
	assert_int_equal(field("failedTasks", "-2147483649"), JM_S_FAIL);
	assert_int_equal(field("failedTasks",
	    "123456789012345678901234567890"), JM_S_FAIL);
	/* currentLoad: an int or a finite float. */
	assert_int_equal(field("currentLoad", "3"), JM_S_DONE);
	assert_int_equal(field("currentLoad", "1e30000"), JM_S_FAIL);
	assert_int_equal(field("currentLoad", "-1e30000"), JM_S_FAIL);
	assert_int_equal(field("currentLoad", "None"), JM_S_FAIL);
	assert_int_equal(field("currentLoad", "(1+2j)"), JM_S_FAIL);
	/* Histograms: lists (or tuples) of at most 48 ints. */
	assert_int_equal(field("pooledTasks48", "[]"), JM_S_DONE);
	assert_int_equal(field("pooledTasks48", "(1,2)"), JM_S_DONE);
	assert_int_equal(field("pooledTasks48", "{1,2}"), JM_S_FAIL);
	assert_int_equal(field("pooledTasks48", "[1,2.0]"), JM_S_FAIL);
	assert_int_equal(field("pooledTasks48", "[1,None]"), JM_S_FAIL);
	assert_int_equal(field("pooledTasks48", "{'a':1}"), JM_S_FAIL);
	for (i = SCH_HIST_LEN; i <= SCH_HIST_LEN + 1; i++) {
		(void)mklist(buf, sizeof(buf), i, 1, 0);
		assert_int_equal(field("failedTasks48", buf),
		    i == SCH_HIST_LEN ? JM_S_DONE : JM_S_FAIL);
		(void)mklist(buf, sizeof(buf), i, 1, 1);
		assert_int_equal(field("load48", buf),
		    i == SCH_HIST_LEN ? JM_S_DONE : JM_S_FAIL);
	}
	assert_int_equal(field("load48", "[1,2.5]"), JM_S_DONE);
	assert_int_equal(field("load48", "[1,1e30000]"), JM_S_FAIL);
	assert_int_equal(field("load48", "['1']"), JM_S_FAIL);
	/* lastJobs: lists of exactly five. */
	assert_int_equal(field("lastJobs", "[]"), JM_S_DONE);
	assert_int_equal(field("lastJobs", "()"), JM_S_DONE);
	assert_int_equal(field("lastJobs", "None"), JM_S_FAIL);
	assert_int_equal(field("lastJobs", "[['a','b','c','d']]"), JM_S_FAIL);
	assert_int_equal(field("lastJobs", "[['a','b','c','d',None,'f']]"),
	    JM_S_FAIL);
	assert_int_equal(field("lastJobs", "[{'we_id':'a','wid':'b',"
	    "'status':'c','started':'d','finished':None}]"), JM_S_FAIL);
	assert_int_equal(field("lastJobs", "[['a','b','c',None,None]]"),
	    JM_S_FAIL);
	assert_int_equal(field("lastJobs", "[['a','b','c','d',5]]"),
	    JM_S_FAIL);
	assert_int_equal(field("lastJobs", "[[1,'b','c','d','e']]"),
	    JM_S_FAIL);
	assert_int_equal(field("lastJobs", "[['a\\x00','b','c','d','e']]"),
	    JM_S_FAIL);
	assert_int_equal(field("lastJobs", "[['a',b'b','c','d','e']]"),
	    JM_S_FAIL);
	for (i = SCH_MAX_LAST; i <= SCH_MAX_LAST + 1; i++) {
		size_t n;

		off = (size_t)snprintf(buf, sizeof(buf), "[");
		for (n = 0; n < i; n++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "['w%zu','x','Running','2024',None],", n);
		(void)snprintf(buf + off, sizeof(buf) - off, "]");
		assert_int_equal(field("lastJobs", buf), i == SCH_MAX_LAST ?
		    JM_S_DONE : JM_S_FAIL);
	}
	/* Strings up to JM_MAX_STR bytes. */
	big = malloc(JM_MAX_STR + 64);
	assert_non_null(big);
	for (i = JM_MAX_STR; i <= JM_MAX_STR + 1; i++) {
		off = (size_t)snprintf(big, 64, "[['");
		memset(big + off, 'w', i);
		(void)snprintf(big + off + i, 64, "','b','c','d',None]]");
		assert_int_equal(field("lastJobs", big), i == JM_MAX_STR ?
		    JM_S_DONE : JM_S_FAIL);
	}
	free(big);
	/* Not a dict at all; a pickle wrapper (never unpickled); the
	 * raw=True SchedulerStat shape. */
	assert_int_equal(stats_with("[]"), JM_S_FAIL);
	assert_int_equal(stats_with("None"), JM_S_FAIL);
	assert_int_equal(stats_with("{'__class__':'x','__pickle__':"
	    "b'gASVAAAAAAAAAAA='}"), JM_S_FAIL);
	assert_int_equal(stats_with("{'tasks':{'running':1,'scheduled':0,"
	    "'processed':57,'finished':50,'failed':7},'load':3,"
	    "'lastJobs':[],'hist48h':{}}"), JM_S_FAIL);
	/* An exception instead of the value. */
	{
		char *p = mkstats(NULL, NULL);

		assert_int_equal(stats_with(p), JM_S_DONE);
		assert_int_equal(stats_with_flags(p, PYRO_F_EXCEPTION),
		    JM_S_FAIL);
		assert_int_equal(stats_with_flags(p, PYRO_F_ONEWAY),
		    JM_S_FAIL);
		free(p);
	}
}

static void
test_sched_bad_messages(void **state)
{
	struct jm_conn	 c;
	char		*st = mkstats(NULL, NULL);

	(void)state;
	/* A handshake without getStatistics: a model server, say. */
	sch_start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, META_ALL);
	assert_int_equal(c.state, JM_S_FAIL);
	assert_non_null(strstr(c.why, "not a scheduler"));
	jm_conn_free(&c);
	/* CONNECTFAIL. */
	sch_start(&c);
	feed(&c, PYRO_CONNECTFAIL, 0, 0, "'unknown object'");
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	/* Wrong sequence number; a second reply after the end. */
	sch_start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, SCH_META);
	feed(&c, PYRO_RESULT, 2, 0, st);
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	sch_start(&c);
	feed(&c, PYRO_CONNECTOK, 0, 0, SCH_META);
	feed(&c, PYRO_RESULT, 1, 0, st);
	assert_int_equal(c.state, JM_S_DONE);
	feed(&c, PYRO_RESULT, 2, 0, st);
	assert_int_equal(c.state, JM_S_FAIL);
	assert_false(jm_conn_ok(&c));
	jm_conn_free(&c);
	/* A job manager conversation never reads statistics. */
	start(&c);
	assert_int_equal(c.kind, JM_KIND_JOBMAN);
	feed(&c, PYRO_CONNECTOK, 0, 0, SCH_META);
	assert_int_equal(c.state, JM_S_FAIL);
	jm_conn_free(&c);
	assert_int_equal(sch_conn_init(&c, "", 0), -1);
	jm_conn_free(&c);
	free(st);
}

static void
test_targets_and_config(void **state)
{
	struct cidr_set		 nets;
	struct sockaddr_storage	 ss;
	struct conf		 c;
	const char		*why;
	char			 err[256];

	(void)state;
	assert_int_equal(cidr_parse_list("172.24.1.0/24", 13, &nets, err,
	    sizeof(err)), 0);
	assert_int_equal(ns_net_target(&nets, "PYRO:o@172.24.1.10:44401", 24,
	    &ss, &why), 1);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ns_net_target(&nets, "PYRO:o@172.24.2.10:44401", 24,
	    &ss, &why), 0);
	assert_non_null(strstr(why, "outside"));
	assert_int_equal(ns_net_target(&nets, "PYRO:o@example.org:1", 20,
	    &ss, &why), 0);
	assert_int_equal(ns_net_target(&nets, "PYRONAME:x", 10, &ss, &why),
	    0);

	conf_defaults(&c);
	assert_int_equal(c.ns_probe, 0);
	assert_int_equal(c.ns_probe_budget_ms, 1000);
	assert_int_equal(conf_set(&c, "ns_probe", "yes", err, sizeof(err)),
	    0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ns_probe"));
	assert_int_equal(conf_set(&c, "ns_autoclean_nets", "172.24.1.0/24",
	    err, sizeof(err)), 0);
	assert_int_equal(conf_check(&c, err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ns_probe_budget_ms", "99", err,
	    sizeof(err)), -1);
	assert_int_equal(conf_set(&c, "ns_probe_budget_ms", "2500", err,
	    sizeof(err)), 0);
	assert_int_equal(c.ns_probe_budget_ms, 2500);
}

/* A sched.stats reply as the scheduler writes it. */
static char *
stats_json(const char *extra_old, int hist_len)
{
	static const char *const h[] = { "processedTasks48",
	    "pooledTasks48", "finishedTasks48", "failedTasks48", "load48" };
	struct sbuf	b;
	size_t		k;
	int		i;

	sbuf_init(&b, 1 << 20);
	sbuf_addc(&b, "{\"owner\":\"n1\",\"stats\":{\"runningTasks\":0,"
	    "\"scheduledTasks\":0,\"processedTasks\":1,\"finishedTasks\":1,"
	    "\"failedTasks\":0,\"lastJobs\":[[\"e1\",\"wf_ok\",\"Finished\","
	    "\"2026-01-01T00:00:00\",null]],\"currentLoad\":0");
	for (k = 0; k < 5; k++) {
		sbuf_addc(&b, ",\"");
		sbuf_addc(&b, h[k]);
		sbuf_addc(&b, "\":[");
		for (i = 0; i < hist_len; i++)
			sbuf_addc(&b, i > 0 ? ",0" : "0");
		sbuf_addch(&b, ']');
	}
	sbuf_addc(&b, extra_old);
	sbuf_addc(&b, "},\"raw\":{\"tasks\":{\"processed\":1},\"load\":0,"
	    "\"lastJobs\":[],\"hist48h\":{\"count\":48}}}");
	assert_false(b.failed);
	sbuf_addch(&b, '\0');
	return b.p;
}

static void
test_hosted_value(void **state)
{
	struct sv_arena	 a;
	struct sval	*v;
	char		 why[256], *j;
	static const char *const bad[] = {
		"[]", "{}", "{\"stats\":1}", "{\"raw\":{}}",
		"{\"stats\":{\"runningTasks\":1.5}}",
		"{\"stats\":{},\"raw\":{\"tasks\":{},\"load\":true}}",
		"{\"stats\":[[[[[[[[1]]]]]]]]}",
		"{\"stats\":99999999999999999999999}",
		"not json",
	};
	size_t i;

	(void)state;
	sv_arena_init(&a, 1 << 24);
	j = stats_json("", 48);
	v = sch_stats_value(&a, j, strlen(j), 0, why, sizeof(why));
	assert_non_null(v);
	assert_int_equal(v->type, SV_DICT);
	assert_int_equal(sv_dict_get(v, "processedTasks")->u.i, 1);
	assert_int_equal(sv_dict_get(v, "load48")->n, 48);
	assert_int_equal(sv_dict_get(sv_dict_get(v, "lastJobs")->u.l.first,
	    "x") == NULL, 1);
	v = sch_stats_value(&a, j, strlen(j), 1, why, sizeof(why));
	assert_non_null(v);
	assert_non_null(sv_dict_get(v, "hist48h"));
	free(j);
	/* A histogram of 47 hours, a float, a long string: refused. */
	j = stats_json("", 47);
	assert_null(sch_stats_value(&a, j, strlen(j), 0, why, sizeof(why)));
	assert_non_null(strstr(why, "48"));
	free(j);
	j = stats_json(",\"x\":0.5", 48);
	assert_null(sch_stats_value(&a, j, strlen(j), 0, why, sizeof(why)));
	free(j);
	{
		char big[SCHO_MAX_STR + 32];

		memset(big, 'a', sizeof(big));
		memcpy(big, ",\"x\":\"", 6);
		big[sizeof(big) - 2] = '"';
		big[sizeof(big) - 1] = '\0';
		j = stats_json(big, 48);
		assert_null(sch_stats_value(&a, j, strlen(j), 0, why,
		    sizeof(why)));
		assert_non_null(strstr(why, "string"));
		free(j);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_null(sch_stats_value(&a, bad[i], strlen(bad[i]), 0, why,
		    sizeof(why)));
		assert_true(why[0] != '\0');
	}
	sv_arena_reset(&a);
}

static int	hook_calls;
static int	hook_rc;

/* The scheduler as the broker reaches it: answers, or times out. */
static int
hook(struct ns *ns, char **reply, size_t *len, char *why, size_t whylen)
{
	(void)ns;
	hook_calls++;
	if (hook_rc != 0) {
		(void)snprintf(why, whylen, "the scheduler did not answer: "
		    "timeout");
		return hook_rc;
	}
	*reply = stats_json("", 48);
	*len = strlen(*reply);
	return 0;
}

/* Invoke mupif.scheduler.method(args): NS_RES_* and *out. */
static int
call(struct ns *ns, struct sv_arena *a, const char *method,
    struct sval *args, struct sval **out)
{
	struct pyro_call c;

	c.object = sv_cstr(a, NS_SCHED);
	c.method = sv_cstr(a, method);
	c.args = args != NULL ? args : sv_new(a, SV_TUPLE);
	c.kwargs = sv_new(a, SV_DICT);
	assert_non_null(c.object);
	assert_non_null(c.kwargs);
	return ns_invoke(ns, a, &c, 0, out);
}

static const char *
exc_class(const struct sval *e)
{
	const struct sval *c = sv_dict_get(e, "__class__");

	assert_non_null(c);
	return c->u.s.p;
}

static void
test_hosted_object(void **state)
{
	static struct ns	 ns;
	struct sv_arena		 a;
	struct sval		*out, *hs, *args;
	struct sbuf		 b;

	(void)state;
	memset(&ns, 0, sizeof(ns));
	sv_arena_init(&a, 1 << 24);
	/* The handshake lists only what reads. */
	hs = sv_new(&a, SV_DICT);
	assert_int_equal(sv_dict_set(&a, hs, "handshake", sv_cstr(&a, "hi")),
	    0);
	assert_int_equal(sv_dict_set(&a, hs, "object", sv_cstr(&a, NS_SCHED)),
	    0);
	assert_int_equal(ns_handshake(&ns, &a, hs, &out), NS_RES_OK);
	sbuf_init(&b, 1 << 16);
	assert_int_equal(serpent_write(&b, sv_dict_get(out, "meta"), 0), 0);
	sbuf_addch(&b, '\0');
	assert_non_null(strstr(b.p, "'getStatistics'"));
	assert_non_null(strstr(b.p, "'registerPyro'"));
	assert_null(strstr(b.p, "getExecutions"));
	assert_null(strstr(b.p, "stop"));
	sbuf_free(&b);
	/* Not exposed; not there; a no-op. */
	assert_int_equal(call(&ns, &a, "getExecutions", NULL, &out),
	    NS_RES_EXC);
	assert_string_equal(exc_class(out), "builtins.AttributeError");
	assert_int_equal(call(&ns, &a, "stop", NULL, &out), NS_RES_EXC);
	assert_int_equal(call(&ns, &a, "nothing", NULL, &out), NS_RES_EXC);
	assert_int_equal(call(&ns, &a, "registerPyro", NULL, &out),
	    NS_RES_OK);
	assert_int_equal(out->type, SV_NONE);
	/* No broker: a CommunicationError. */
	assert_int_equal(call(&ns, &a, "getStatistics", NULL, &out),
	    NS_RES_EXC);
	assert_string_equal(exc_class(out), "Pyro5.errors.CommunicationError");
	/* Answers: the old format, raw with a true argument. */
	ns.sched_stats = hook;
	hook_calls = 0;
	hook_rc = 0;
	assert_int_equal(call(&ns, &a, "getStatistics", NULL, &out),
	    NS_RES_OK);
	assert_non_null(sv_dict_get(out, "runningTasks"));
	args = sv_new(&a, SV_TUPLE);
	sv_append(args, sv_bool(&a, 1));
	assert_int_equal(call(&ns, &a, "getStatistics", args, &out),
	    NS_RES_OK);
	assert_non_null(sv_dict_get(out, "hist48h"));
	assert_int_equal(hook_calls, 1);	/* the answer was reused */
	/* Times out: an error, then no call during the back-off. */
	ns_sched_free(&ns);
	hook_rc = NS_SCHED_TIMEDOUT;
	assert_int_equal(call(&ns, &a, "getStatistics", NULL, &out),
	    NS_RES_EXC);
	assert_int_equal(call(&ns, &a, "getStatistics", NULL, &out),
	    NS_RES_EXC);
	assert_string_equal(exc_class(out), "Pyro5.errors.CommunicationError");
	assert_int_equal(hook_calls, 2);
	ns_sched_free(&ns);
	sv_arena_reset(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversation),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_old_server),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_sched_conversation),
		cmocka_unit_test(test_sched_bad_stats),
		cmocka_unit_test(test_sched_bad_messages),
		cmocka_unit_test(test_targets_and_config),
		cmocka_unit_test(test_hosted_value),
		cmocka_unit_test(test_hosted_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
