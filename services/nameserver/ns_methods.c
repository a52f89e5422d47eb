/*
 * ns_methods.c - the two objects a Pyro nameserver daemon hosts,
 * Pyro.NameServer and Pyro.Daemon, with Python's argument binding, Python's
 * exception classes and texts, and the semantics of Pyro5.nameserver
 * (spec/pyro-nameserver.md sections 2.7-2.10 and 5).  For a Pyro4 client
 * (ns->pyro4) the same store is served as Pyro4.naming serves it (section
 * 3.3): no yplookup, list() with metadata_all/metadata_any, remove(name)
 * falling through to the filters, metadata as lists, class names
 * Pyro4.errors.*, Pyro4.core.URI, Pyro4.futures._ExceptionWrapper, and the
 * nameserver's own entry tagged class:Pyro4.naming.NameServer.
 *
 * Trust: arguments come from any VPN peer, already parsed into value
 * trees; everything is type-checked here before use, and names, URIs and
 * metadata are length-capped before they reach the store.
 *
 * Where pyro5-ns is wrong we do the right thing (README.md lists each):
 * prefixes match exactly instead of through SQL LIKE, repeated tags in
 * meta_all are counted once, the name "__class__" (which breaks list() for
 * every Python client) and the name "Pyro.NameServer" (whose overwrite
 * redirects every client) cannot be registered, a URI object is checked
 * like a URI string, and metadata must be strings.
 *
 * Write protection (ns->write_protect, ns_write_protect): every entry
 * remembers, in memory only (pyro5-ns's file has no place for it), the
 * address of the peer that registered it; when on, register,
 * set_metadata and remove(name) of an entry owned by another address
 * raise NamingError, and remove(prefix=/regex=) leaves such entries alone.
 * Entries loaded from the file have no owner until written again.
 *
 * A third object, mupif.scheduler (spec/scheduler.md 9 and 13), stands
 * in for the original's SchedulerMonitor so that MuPIF's monitoring
 * tools keep working: registered at start, read-only (getStatistics and
 * the no-op registerPyro; getExecutions and stop are not exposed), its
 * statistics asked of the node's scheduler through the broker
 * (ns->sched_stats) and checked by sch_stats_value() before they are
 * sent.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nameserver.h"
#include "nsregex.h"
#include "banned.h"

#define NS_MAX_META_BYTES	16384	/* all metadata of one entry */

/* The nameserver's own metadata tag, and what a Pyro4 client sees. */
static const char ns5_tag[] = "class:Pyro5.nameserver.NameServer";
static const char ns4_tag[] = "class:Pyro4.naming.NameServer";

/*
 * The dialect of the call being served: set from ns->pyro4 by ns_invoke
 * and ns_handshake4 for the duration of the call (the service is one
 * thread), so that exceptions built anywhere below get Pyro4's names.
 */
static int pyro4;

enum mid {
	M_COUNT, M_LIST, M_LOOKUP, M_PING, M_REGISTER, M_REMOVE,
	M_SET_METADATA, M_YPLOOKUP,
	D_GET_METADATA, D_GET_NEXT_STREAM_ITEM, D_CLOSE_STREAM, D_PING,
	D_INFO, D_REGISTERED,
	S_GET_STATISTICS, S_REGISTER_PYRO
};

struct param {
	const char	*name;
	int		 required;
};

struct method {
	const char		*name;
	enum mid		 id;
	const struct param	*p;
	size_t			 np;
};

struct object {
	const char		*id;
	const char		*cls;		/* Python class name */
	const struct method	*m;
	size_t			 nm;
	const char *const	*unexposed;	/* public non-methods */
};

static const struct param p_lookup[] = {
	{ "name", 1 }, { "return_metadata", 0 } };
static const struct param p_register[] = {
	{ "name", 1 }, { "uri", 1 }, { "safe", 0 }, { "metadata", 0 } };
static const struct param p_set_metadata[] = {
	{ "name", 1 }, { "metadata", 1 } };
static const struct param p_remove[] = {
	{ "name", 0 }, { "prefix", 0 }, { "regex", 0 } };
static const struct param p_list[] = {
	{ "prefix", 0 }, { "regex", 0 }, { "return_metadata", 0 } };
static const struct param p_yplookup[] = {
	{ "meta_all", 0 }, { "meta_any", 0 }, { "return_metadata", 0 } };
static const struct param p_list4[] = {
	{ "prefix", 0 }, { "regex", 0 }, { "metadata_all", 0 },
	{ "metadata_any", 0 }, { "return_metadata", 0 } };
static const struct param p_objectid[] = { { "objectId", 1 } };
static const struct param p_objectid4[] = {
	{ "objectId", 1 }, { "as_lists", 0 } };
static const struct param p_streamid[] = { { "streamId", 1 } };
/* mupifDB's SchedulerMonitor: getStatistics(self, raw=False) and
 * registerPyro(self, daemon, ns, uri, appName=None, externalDaemon=False),
 * here all optional (a no-op whatever it is given). */
static const struct param p_getstats[] = { { "raw", 0 } };
static const struct param p_regpyro[] = {
	{ "daemon", 0 }, { "ns", 0 }, { "uri", 0 }, { "appName", 0 },
	{ "externalDaemon", 0 } };

#define P(x)	x, sizeof(x) / sizeof(x[0])

/* In the order pyro5-ns's handshake set shows them. */
static const struct method ns_methods[] = {
	{ "remove",		M_REMOVE,	P(p_remove) },
	{ "count",		M_COUNT,	NULL, 0 },
	{ "list",		M_LIST,		P(p_list) },
	{ "register",		M_REGISTER,	P(p_register) },
	{ "yplookup",		M_YPLOOKUP,	P(p_yplookup) },
	{ "lookup",		M_LOOKUP,	P(p_lookup) },
	{ "ping",		M_PING,		NULL, 0 },
	{ "set_metadata",	M_SET_METADATA,	P(p_set_metadata) },
};
static const struct method daemon_methods[] = {
	{ "close_stream",	D_CLOSE_STREAM,	P(p_streamid) },
	{ "registered",		D_REGISTERED,	NULL, 0 },
	{ "get_next_stream_item", D_GET_NEXT_STREAM_ITEM, P(p_streamid) },
	{ "ping",		D_PING,		NULL, 0 },
	{ "get_metadata",	D_GET_METADATA,	P(p_objectid) },
	{ "info",		D_INFO,		NULL, 0 },
};
/* Pyro4.naming.NameServer, in the order its handshake list shows them. */
static const struct method ns4_methods[] = {
	{ "remove",		M_REMOVE,	P(p_remove) },
	{ "count",		M_COUNT,	NULL, 0 },
	{ "list",		M_LIST,		P(p_list4) },
	{ "register",		M_REGISTER,	P(p_register) },
	{ "lookup",		M_LOOKUP,	P(p_lookup) },
	{ "ping",		M_PING,		NULL, 0 },
	{ "set_metadata",	M_SET_METADATA,	P(p_set_metadata) },
};
static const struct method daemon4_methods[] = {
	{ "close_stream",	D_CLOSE_STREAM,	P(p_streamid) },
	{ "registered",		D_REGISTERED,	NULL, 0 },
	{ "get_next_stream_item", D_GET_NEXT_STREAM_ITEM, P(p_streamid) },
	{ "ping",		D_PING,		NULL, 0 },
	{ "get_metadata",	D_GET_METADATA,	P(p_objectid4) },
	{ "info",		D_INFO,		NULL, 0 },
};
/*
 * mupif.scheduler (spec/scheduler.md 9): only what reads.  The original's
 * getExecutions (the REST listing for any VPN peer) and stop (which let
 * any peer unregister it) are not exposed (spec 12.10), nor the
 * scheduler's own update and persist calls.
 */
static const struct method sched_methods[] = {
	{ "getStatistics",	S_GET_STATISTICS, P(p_getstats) },
	{ "registerPyro",	S_REGISTER_PYRO, P(p_regpyro) },
};
static const char *const sched_unexposed[] = { "getExecutions", "stop",
    "updateRunning", "updateScheduled", "updateFinished", "persistStat",
    "__doc__", "__dict__", NULL };
static const char *const ns_unexposed[] = { "storage", "lock", "__doc__",
    "__dict__", NULL };
static const char *const daemon_unexposed[] = { "daemon", "__doc__",
    "__dict__", NULL };

/*
 * The daemon's objects.  The first NS_DAEMON_OBJECTS are pyro5-ns's own:
 * Pyro.Daemon's registered() and info() name and count only those, byte
 * for byte as pyro5-ns (the shared vectors); mupif.scheduler is served
 * besides them.
 */
static const struct object objects[] = {
	{ NS_DAEMON, "DaemonObject", P(daemon_methods), daemon_unexposed },
	{ NS_NAME, "NameServer", P(ns_methods), ns_unexposed },
	{ NS_SCHED, "SchedulerMonitor", P(sched_methods), sched_unexposed },
};
static const struct object objects4[] = {
	{ NS_DAEMON, "DaemonObject", P(daemon4_methods), daemon_unexposed },
	{ NS_NAME, "NameServer", P(ns4_methods), ns_unexposed },
	{ NS_SCHED, "SchedulerMonitor", P(sched_methods), sched_unexposed },
};
#undef P
#define NOBJECTS	(sizeof(objects) / sizeof(objects[0]))
#define NS_DAEMON_OBJECTS	2
_Static_assert(sizeof(objects4) == sizeof(objects),
    "both generations host the same objects");

/* Pyro5.server's list of dunder names that are always private. */
static const char *const private_dunders[] = {
	"__init__", "__init_subclass__", "__class__", "__module__",
	"__weakref__", "__call__", "__new__", "__del__", "__repr__",
	"__str__", "__format__", "__nonzero__", "__bool__", "__coerce__",
	"__cmp__", "__eq__", "__ne__", "__hash__", "__ge__", "__gt__",
	"__le__", "__lt__", "__dir__", "__enter__", "__exit__", "__copy__",
	"__deepcopy__", "__sizeof__", "__getattr__", "__setattr__",
	"__hasattr__", "__getattribute__", "__delattr__",
	"__instancecheck__", "__subclasscheck__", "__getinitargs__",
	"__getnewargs__", "__getstate__", "__setstate__", "__reduce__",
	"__reduce_ex__", "__subclasshook__", NULL
};
/* Pyro4.util's list has these too. */
static const char *const private_dunders4[] = {
	"__unicode__", "__getstate_for_dict__", "__setstate_from_dict__", NULL
};

/* Class names of the dialect. */
static const char *
uri_class(void)
{
	return pyro4 ? "Pyro4.core.URI" : "Pyro5.core.URI";
}

/* Exceptions */

struct sval *
ns_exception(struct sv_arena *a, const char *cls, const char *msg,
    size_t msglen, const char *cause, size_t causelen)
{
	struct sval	*d, *args, *attrs, *tb, *x;
	struct sbuf	 line;
	const char	*shortcls;
	char		 cls4[128];

	if (pyro4 && strncmp(cls, "Pyro5.errors.", 13) == 0) {
		(void)snprintf(cls4, sizeof(cls4), "Pyro4.errors.%s", cls + 13);
		cls = cls4;
	}
	shortcls = cls;
	if (strncmp(cls, "builtins.", 9) == 0)
		shortcls = cls + 9;
	if ((d = sv_new(a, SV_DICT)) == NULL ||
	    (args = sv_new(a, SV_TUPLE)) == NULL ||
	    (attrs = sv_new(a, SV_DICT)) == NULL ||
	    (tb = sv_new(a, SV_LIST)) == NULL ||
	    (x = sv_str(a, msg, msglen)) == NULL)
		return NULL;
	sv_append(args, x);
	if (cause != NULL) {
		if ((x = sv_str(a, cause, causelen)) == NULL)
			return NULL;
		sv_append(tb, x);
		if ((x = sv_cstr(a, "\nDuring handling of the above exception, "
		    "another exception occurred:\n\n")) == NULL)
			return NULL;
		sv_append(tb, x);
	}
	sbuf_init(&line, msglen + 256);
	sbuf_addc(&line, shortcls);
	sbuf_addc(&line, ": ");
	sbuf_add(&line, msg, msglen);
	sbuf_addch(&line, '\n');
	x = line.failed ? NULL : sv_str(a, line.p, line.len);
	sbuf_free(&line);
	if (x == NULL)
		return NULL;
	sv_append(tb, x);
	if (sv_dict_set(a, attrs, "_pyroTraceback", tb) == -1 ||
	    sv_dict_set(a, d, "__class__", sv_cstr(a, cls)) == -1 ||
	    sv_dict_set(a, d, "__exception__", sv_bool(a, 1)) == -1 ||
	    sv_dict_set(a, d, "args", args) == -1 ||
	    sv_dict_set(a, d, "attributes", attrs) == -1)
		return NULL;
	return d;
}

static struct sval *excf(struct sv_arena *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* An exception whose text is printf-formatted (any length). */
static struct sval *
excf(struct sv_arena *a, const char *cls, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[512], *big = NULL;
	int	 n;
	struct sval *e;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if ((size_t)n >= sizeof(small)) {
		if ((big = malloc((size_t)n + 1)) == NULL)
			return NULL;
		va_start(ap, fmt);
		(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	e = ns_exception(a, cls, big != NULL ? big : small, (size_t)n, NULL,
	    0);
	free(big);
	return e;
}

/* "<prefix><text><suffix>" as one exception message, text of any
 * length. */
static struct sval *
exc_text3(struct sv_arena *a, const char *cls, const char *prefix,
    const char *text, size_t len, const char *suffix, const char *cause,
    size_t causelen)
{
	struct sbuf	 b;
	struct sval	*e;

	sbuf_init(&b, len + 256);
	sbuf_addc(&b, prefix);
	sbuf_add(&b, text, len);
	sbuf_addc(&b, suffix);
	e = b.failed ? NULL : ns_exception(a, cls, b.p != NULL ? b.p : "",
	    b.len, cause, causelen);
	sbuf_free(&b);
	return e;
}

static struct sval *
exc_text(struct sv_arena *a, const char *cls, const char *prefix,
    const char *text, size_t len, const char *cause, size_t causelen)
{
	return exc_text3(a, cls, prefix, text, len, "", cause, causelen);
}

/* NamingError("unknown name: X") raised while handling KeyError(X). */
static struct sval *
exc_unknown_name(struct sv_arena *a, const char *name, size_t len)
{
	struct sbuf	 cause;
	struct sval	*e;

	sbuf_init(&cause, len * 10 + 64);
	sbuf_addc(&cause, "KeyError: ");
	sv_repr_str(&cause, name, len);
	sbuf_addch(&cause, '\n');
	e = cause.failed ? NULL : exc_text(a, "Pyro5.errors.NamingError",
	    "unknown name: ", name, len, cause.p, cause.len);
	sbuf_free(&cause);
	return e;
}

static const char *
pytype(const struct sval *v)
{
	static const char *const names[] = { "NoneType", "bool", "int",
	    "int", "float", "complex", "str", "bytes", "tuple", "list", "set",
	    "dict" };

	/* A URI arrives as its class dict; Python would name the class. */
	if (v->type == SV_DICT &&
	    sv_is_str(sv_dict_get(v, "__class__"), uri_class()))
		return "URI";
	return names[v->type];
}

static int
truthy(const struct sval *v)
{
	switch (v->type) {
	case SV_NONE:
		return 0;
	case SV_BOOL:
		return v->u.b;
	case SV_INT:
		return v->u.i != 0;
	case SV_BIGINT:
		return 1;
	case SV_FLOAT:
		return v->u.f != 0.0;
	case SV_COMPLEX:
		return v->u.c.re != 0.0 || v->u.c.im != 0.0;
	case SV_STR:
	case SV_BYTES:
		return v->u.s.len > 0;
	default:
		return v->n > 0;
	}
}

static int
is_uri_object(const struct sval *v)
{
	return v->type == SV_DICT &&
	    sv_is_str(sv_dict_get(v, "__class__"), uri_class());
}

/* Items of an iterable argument (a dict gives its keys). */
static int
iterable(const struct sval *v)
{
	return v->type == SV_TUPLE || v->type == SV_LIST ||
	    v->type == SV_SET || (v->type == SV_DICT && !is_uri_object(v));
}

static const struct sval *
first_item(const struct sval *v)
{
	return v->u.l.first;
}

static const struct sval *
next_item(const struct sval *v, const struct sval *it)
{
	return v->type == SV_DICT ? (it->next != NULL ? it->next->next :
	    NULL) : it->next;
}

/*
 * What Pyro's recreate_classes() does to arguments: class dicts other
 * than URIs (and serpent's NaN float) are refused.
 */
static struct sval *
check_classes(struct sv_arena *a, const struct sval *v, int depth)
{
	const struct sval	*it, *c;
	struct sval		*e;

	if (depth > SV_WRITE_MAX_DEPTH)
		return excf(a, "Pyro5.errors.SerializeError", "nesting too "
		    "deep");
	if (v->type == SV_DICT && (c = sv_dict_get(v, "__class__")) != NULL) {
		if (c->type != SV_STR)
			return excf(a, "Pyro5.errors.SerializeError",
			    "unsupported serialized class");
		if (memmem(c->u.s.p, c->u.s.len, "__", 2) != NULL)
			return exc_text(a, "Pyro5.errors.SecurityError",
			    "refused to deserialize types with double "
			    "underscores in their name: ", c->u.s.p,
			    c->u.s.len, NULL, 0);
		if (sv_is_str(c, uri_class())) {
			if (sv_dict_get(v, "state") == NULL)
				return ns_exception(a, "builtins.KeyError",
				    "state", 5, NULL, 0);
			return NULL;
		}
		if (sv_is_str(c, "float"))
			return NULL;
		return exc_text(a, "Pyro5.errors.SerializeError",
		    "unsupported serialized class: ", c->u.s.p, c->u.s.len,
		    NULL, 0);
	}
	if (v->type >= SV_TUPLE)
		for (it = v->u.l.first; it != NULL; it = it->next)
			if ((e = check_classes(a, it, depth + 1)) != NULL)
				return e;
	return NULL;
}

/* Argument binding, as CPython does it for a Python method. */

static struct sval *
bind_args(struct sv_arena *a, const struct object *o, const struct method *m,
    const struct sval *args, const struct sval *kwargs,
    const struct sval **vals)
{
	const struct sval	*it, *k;
	int			 bypos[8];
	size_t			 nargs = 0, i, nreq = 0, nmiss;
	char			 miss[512];

	memset(bypos, 0, sizeof(bypos));
	for (i = 0; i < m->np; i++) {
		vals[i] = NULL;
		if (m->p[i].required)
			nreq++;
	}
	if (args->type != SV_TUPLE && args->type != SV_LIST &&
	    args->type != SV_SET)
		return excf(a, "builtins.TypeError", "%s.%s() argument after * "
		    "must be an iterable, not %s", o->cls, m->name,
		    pytype(args));
	if (kwargs->type != SV_DICT)
		return excf(a, "builtins.TypeError", "%s.%s() argument after "
		    "** must be a mapping, not %s", o->cls, m->name,
		    pytype(kwargs));
	for (it = args->u.l.first; it != NULL; it = it->next, nargs++)
		if (nargs < m->np) {
			vals[nargs] = it;
			bypos[nargs] = 1;
		}
	for (k = kwargs->u.l.first; k != NULL && k->next != NULL;
	    k = k->next->next) {
		if (k->type != SV_STR)
			return excf(a, "builtins.TypeError", "%s.%s() keywords "
			    "must be strings", o->cls, m->name);
		for (i = 0; i < m->np; i++)
			if (sv_is_str(k, m->p[i].name))
				break;
		if (i == m->np)
			return excf(a, "builtins.TypeError", "%s.%s() got an "
			    "unexpected keyword argument '%.*s'", o->cls,
			    m->name, (int)(k->u.s.len > 200 ? 200 :
			    k->u.s.len), k->u.s.p);
		if (bypos[i])
			return excf(a, "builtins.TypeError", "%s.%s() got "
			    "multiple values for argument '%s'", o->cls,
			    m->name, m->p[i].name);
		vals[i] = k->next;	/* a repeated key: the last wins */
	}
	if (nargs > m->np) {
		if (nreq == m->np)
			return excf(a, "builtins.TypeError", "%s.%s() takes %zu "
			    "positional argument%s but %zu were given", o->cls,
			    m->name, m->np + 1, m->np + 1 != 1 ? "s" : "",
			    nargs + 1);
		return excf(a, "builtins.TypeError", "%s.%s() takes from %zu "
		    "to %zu positional arguments but %zu were given", o->cls,
		    m->name, nreq + 1, m->np + 1, nargs + 1);
	}
	miss[0] = '\0';
	for (i = 0, nmiss = 0; i < m->np; i++)
		if (m->p[i].required && vals[i] == NULL)
			nmiss++;
	if (nmiss > 0) {
		size_t done = 0;

		for (i = 0; i < m->np; i++) {
			if (!m->p[i].required || vals[i] != NULL)
				continue;
			if (done > 0)
				(void)strlcat(miss, done + 1 == nmiss ?
				    " and " : ", ", sizeof(miss));
			(void)strlcat(miss, "'", sizeof(miss));
			(void)strlcat(miss, m->p[i].name, sizeof(miss));
			(void)strlcat(miss, "'", sizeof(miss));
			done++;
		}
		return excf(a, "builtins.TypeError", "%s.%s() missing %zu "
		    "required positional argument%s: %s", o->cls, m->name,
		    nmiss, nmiss == 1 ? "" : "s", miss);
	}
	return NULL;
}

/* Checks shared by the methods. */

/* A name to store: a str within limits. */
static struct sval *
check_name(struct sv_arena *a, const struct sval *v)
{
	if (v->type != SV_STR)
		return excf(a, "builtins.TypeError", "name must be a str");
	if (v->u.s.len > NS_MAX_NAME)
		return excf(a, "builtins.ValueError", "name too long (the "
		    "limit is %d bytes)", NS_MAX_NAME);
	if (memchr(v->u.s.p, '\0', v->u.s.len) != NULL)
		return excf(a, "builtins.ValueError",
		    "name contains a NUL character");
	return NULL;
}

struct meta {
	const char	**s;
	size_t		 *len;
	size_t		  n;
};

/*
 * A metadata argument (register, set_metadata) into distinct strings.
 * None gives none.
 */
static struct sval *
collect_meta(struct sv_arena *a, const struct sval *v, const char *what,
    struct meta *out)
{
	const struct sval	*it;
	size_t			 i, total = 0;

	out->n = 0;
	out->s = NULL;
	out->len = NULL;
	if (v == NULL || v->type == SV_NONE)
		return NULL;
	if (v->type == SV_STR)
		return excf(a, "builtins.TypeError", "%s should not be a str, "
		    "but another iterable (set, list, etc)", what);
	if (!iterable(v))
		return excf(a, "builtins.TypeError", "'%s' object is not "
		    "iterable", pytype(v));
	if ((out->s = sv_alloc(a, (v->n + 1) * sizeof(*out->s))) == NULL ||
	    (out->len = sv_alloc(a, (v->n + 1) * sizeof(*out->len))) == NULL)
		return NULL;
	for (it = first_item(v); it != NULL; it = next_item(v, it)) {
		if (it->type != SV_STR)
			return excf(a, "builtins.TypeError", "%s items must be "
			    "str, not %s", what, pytype(it));
		if (it->u.s.len > NS_MAX_TAG ||
		    memchr(it->u.s.p, '\0', it->u.s.len) != NULL)
			return excf(a, "builtins.ValueError", "%s items must "
			    "be at most %d bytes without NUL characters", what,
			    NS_MAX_TAG);
		for (i = 0; i < out->n; i++)
			if (out->len[i] == it->u.s.len &&
			    memcmp(out->s[i], it->u.s.p, it->u.s.len) == 0)
				break;
		if (i < out->n)
			continue;
		if (out->n == NS_MAX_TAGS)
			return excf(a, "builtins.ValueError", "too many %s "
			    "items (the limit is %d)", what, NS_MAX_TAGS);
		total += it->u.s.len;
		if (total > NS_MAX_META_BYTES)
			return excf(a, "builtins.ValueError", "%s too large "
			    "(the limit is %d bytes)", what, NS_MAX_META_BYTES);
		out->s[out->n] = it->u.s.p;
		out->len[out->n++] = it->u.s.len;
	}
	return NULL;
}

static struct sval *
store_error(struct sv_arena *a, struct ns *ns)
{
	log_warnx("%s", ns->st.err);
	return excf(a, "Pyro5.errors.NamingError", "%s", ns->st.err);
}

/*
 * Tag i of e as the dialect shows it: to a Pyro4 client the nameserver's
 * own entry is tagged as a Pyro4 nameserver's.
 */
static const char *
ent_tag(const struct ns_ent *e, size_t i, size_t *len)
{
	if (pyro4 && e->metalen[i] == sizeof(ns5_tag) - 1 &&
	    memcmp(e->meta[i], ns5_tag, e->metalen[i]) == 0 &&
	    e->namelen == sizeof(NS_NAME) - 1 &&
	    memcmp(e->name, NS_NAME, e->namelen) == 0) {
		*len = sizeof(ns4_tag) - 1;
		return ns4_tag;
	}
	*len = e->metalen[i];
	return e->meta[i];
}

/* An entry's metadata: a set (Pyro5) or a list (Pyro4). */
static struct sval *
meta_set(struct sv_arena *a, const struct ns_ent *e)
{
	struct sval	*s, *x;
	const char	*t;
	size_t		 i, len;

	if ((s = sv_new(a, pyro4 ? SV_LIST : SV_SET)) == NULL)
		return NULL;
	for (i = 0; i < e->nmeta; i++) {
		t = ent_tag(e, i, &len);
		if ((x = sv_str(a, t, len)) == NULL)
			return NULL;
		sv_append(s, x);
	}
	return s;
}

/* name -> uri, or name -> (uri, set) */
static int
add_entry(struct sv_arena *a, struct sval *d, const struct ns_ent *e,
    int with_meta)
{
	struct sval *k, *v, *u, *m;

	if ((k = sv_str(a, e->name, e->namelen)) == NULL ||
	    (u = sv_str(a, e->uri, e->urilen)) == NULL)
		return -1;
	if (with_meta) {
		if ((v = sv_new(a, SV_TUPLE)) == NULL ||
		    (m = meta_set(a, e)) == NULL)
			return -1;
		sv_append(v, u);
		sv_append(v, m);
	} else
		v = u;
	sv_append(d, k);
	sv_append(d, v);
	d->n++;
	return 0;
}

static int
has_prefix(const struct ns_ent *e, const struct sval *p)
{
	return e->namelen >= p->u.s.len &&
	    memcmp(e->name, p->u.s.p, p->u.s.len) == 0;
}

static struct sval *
compile_regex(struct sv_arena *a, const struct sval *r, struct nsre **re)
{
	char		 err[256];
	struct sbuf	 cause;
	struct sval	*e;

	*re = NULL;
	if (r->type != SV_STR)
		return excf(a, "builtins.TypeError", "first argument must be "
		    "string or compiled pattern");
	if ((*re = nsre_compile(r->u.s.p, r->u.s.len, err, sizeof(err))) !=
	    NULL)
		return NULL;
	sbuf_init(&cause, 512);
	sbuf_addc(&cause, "re.error: ");
	sbuf_addc(&cause, err);
	sbuf_addch(&cause, '\n');
	e = exc_text(a, "Pyro5.errors.NamingError", "invalid regex: ", err,
	    strlen(err), cause.p, cause.len);
	sbuf_free(&cause);
	return e;
}

/* The caller's address, for write protection. */
static const char *
caller(const struct ns *ns)
{
	return ns->peer_addr;
}

/* Whether write protection keeps the caller from changing e. */
static int
protected_from(const struct ns *ns, const struct ns_ent *e)
{
	return ns->write_protect && e != NULL && e->owner[0] != '\0' &&
	    strcmp(e->owner, caller(ns)) != 0;
}

/* The NamingError for a write-protected e, logged. */
static struct sval *
exc_protected(struct ns *ns, struct sv_arena *a, const struct ns_ent *e,
    const char *what)
{
	log_info("%s of %.*s%s refused: registered from %s, not from %s",
	    what, (int)(e->namelen > 200 ? 200 : e->namelen), e->name,
	    e->namelen > 200 ? "..." : "", e->owner, ns->peer != NULL ?
	    ns->peer : "?");
	return exc_text(a, "Pyro5.errors.NamingError", "name is "
	    "write-protected (registered from another address): ", e->name,
	    e->namelen, NULL, 0);
}

/* The nameserver's methods.  Each returns the result or sets *exc. */

static struct sval *
m_lookup(struct ns *ns, struct sv_arena *a, const struct sval **v,
    struct sval **exc)
{
	const struct sval	*name = v[0];
	struct ns_ent		*e;
	struct pyro_uri		 u;
	struct sval		*uri, *t, *m;
	char			 why[256];

	if (name->type != SV_STR) {
		*exc = excf(a, "builtins.TypeError", "name must be a str");
		return NULL;
	}
	if ((e = store_find(&ns->st, name->u.s.p, name->u.s.len)) == NULL) {
		*exc = exc_unknown_name(a, name->u.s.p, name->u.s.len);
		return NULL;
	}
	if (pyro_uri_parse(e->uri, e->urilen, &u, why, sizeof(why)) == -1) {
		*exc = excf(a, "Pyro5.errors.PyroError", "%s", why);
		return NULL;
	}
	if ((uri = pyro_uri_value_cls(a, &u, uri_class())) == NULL)
		return NULL;
	if (v[1] == NULL || !truthy(v[1]))
		return uri;
	if ((t = sv_new(a, SV_TUPLE)) == NULL || (m = meta_set(a, e)) == NULL)
		return NULL;
	sv_append(t, uri);
	sv_append(t, m);
	return t;
}

static struct sval *
m_register(struct ns *ns, struct sv_arena *a, const struct sval **v,
    int setmeta, struct sval **exc)
{
	const struct sval	*name = v[0], *uri = setmeta ? NULL : v[1];
	const struct sval	*md = setmeta ? v[1] : v[3];
	struct ns_ent		*old = NULL, *ne;
	struct pyro_uri		 pu;
	struct sbuf		 ub;
	struct meta		 meta = { NULL, NULL, 0 };
	const char		*ustr = "";
	size_t			 ulen = 0;
	char			 why[256], owner[sizeof(old->owner)];

	sbuf_init(&ub, NS_MAX_URI + 1);
	if (!setmeta) {
		/* The URI first, as pyro5-ns checks it first. */
		if (is_uri_object(uri)) {
			if (pyro_uri_state_str(sv_dict_get(uri, "state"), &ub,
			    why, sizeof(why)) == -1) {
				*exc = excf(a, ub.failed ? "builtins."
				    "ValueError" : "builtins.TypeError", "%s",
				    ub.failed ? "uri too long" : why);
				goto out;
			}
			ustr = ub.p != NULL ? ub.p : "";
			ulen = ub.len;
		} else if (uri->type == SV_STR) {
			ustr = uri->u.s.p;
			ulen = uri->u.s.len;
		} else {
			*exc = excf(a, "builtins.TypeError",
			    "only URIs or strings can be registered");
			goto out;
		}
		if (ulen > NS_MAX_URI || memchr(ustr, '\0', ulen) != NULL) {
			*exc = excf(a, "builtins.ValueError", "uri must be at "
			    "most %d bytes without NUL characters",
			    NS_MAX_URI);
			goto out;
		}
		if (pyro_uri_parse(ustr, ulen, &pu, why, sizeof(why)) == -1) {
			*exc = excf(a, "Pyro5.errors.PyroError", "%s", why);
			goto out;
		}
	}
	if ((*exc = check_name(a, name)) != NULL)
		goto out;
	if ((*exc = collect_meta(a, md, "metadata", &meta)) != NULL)
		goto out;
	old = store_find(&ns->st, name->u.s.p, name->u.s.len);
	if (setmeta) {
		if (old == NULL) {
			*exc = exc_unknown_name(a, name->u.s.p, name->u.s.len);
			goto out;
		}
		ustr = old->uri;
		ulen = old->urilen;
	} else {
		if (sv_is_str(name, "__class__") || sv_is_str(name, NS_NAME)) {
			*exc = exc_text(a, "Pyro5.errors.NamingError",
			    "name is reserved: ", name->u.s.p, name->u.s.len,
			    NULL, 0);
			goto out;
		}
		if (v[2] != NULL && truthy(v[2]) && old != NULL) {
			*exc = exc_text(a, "Pyro5.errors.NamingError",
			    "name already registered: ", name->u.s.p,
			    name->u.s.len, NULL, 0);
			goto out;
		}
	}
	if (protected_from(ns, old)) {
		*exc = exc_protected(ns, a, old, setmeta ? "set_metadata" :
		    "register");
		goto out;
	}
	/* The owner: who registered it; set_metadata keeps the owner. */
	(void)strlcpy(owner, setmeta && old->owner[0] != '\0' ? old->owner :
	    caller(ns), sizeof(owner));
	if (store_set(&ns->st, name->u.s.p, name->u.s.len, ustr, ulen,
	    meta.s, meta.len, meta.n) == -1) {
		*exc = store_error(a, ns);
		goto out;
	}
	/* The old entry (and its URI) was replaced. */
	ne = store_find(&ns->st, name->u.s.p, name->u.s.len);
	(void)strlcpy(ne->owner, owner, sizeof(ne->owner));
	if (setmeta) {
		ustr = ne->uri;
		ulen = ne->urilen;
	}
	log_info("%s %.*s%s -> %.*s (%zu tag%s) from %s",
	    setmeta ? "set_metadata" : "register",
	    (int)(name->u.s.len > 200 ? 200 : name->u.s.len), name->u.s.p,
	    name->u.s.len > 200 ? "..." : "", (int)(ulen > 200 ? 200 : ulen),
	    ustr, meta.n, meta.n == 1 ? "" : "s", ns->peer);
out:
	sbuf_free(&ub);
	return *exc != NULL ? NULL : sv_new(a, SV_NONE);
}

/* Entries of list(prefix=, regex=) into d, or into doomed[]. */
static struct sval *
select_names(struct ns *ns, struct sv_arena *a, const struct sval *prefix,
    const struct sval *regex, struct sval *d, int with_meta,
    struct ns_ent ***doomed, size_t *ndoomed)
{
	struct nsre	*re = NULL;
	struct sval	*e;
	size_t		 i;
	int		 hit;

	if (prefix != NULL && prefix->type != SV_STR)
		return excf(a, "builtins.TypeError", "prefix must be a str");
	if (regex != NULL && (e = compile_regex(a, regex, &re)) != NULL)
		return e;
	if (doomed != NULL) {
		*ndoomed = 0;
		if ((*doomed = sv_alloc(a, (ns->st.n + 1) *
		    sizeof(**doomed))) == NULL) {
			nsre_free(re);
			return excf(a, "builtins.MemoryError", "out of memory");
		}
	}
	for (i = 0; i < ns->st.n; i++) {
		const struct ns_ent *en = ns->st.ents[i];

		if (prefix != NULL)
			hit = has_prefix(en, prefix);
		else if (re != NULL)
			hit = nsre_match(re, en->name, en->namelen);
		else
			hit = 1;
		if (!hit)
			continue;
		if (doomed != NULL) {
			if (en->namelen != strlen(NS_NAME) ||
			    memcmp(en->name, NS_NAME, en->namelen) != 0)
				(*doomed)[(*ndoomed)++] = ns->st.ents[i];
		} else if (add_entry(a, d, en, with_meta) == -1) {
			nsre_free(re);
			return excf(a, "builtins.MemoryError", "out of memory");
		}
	}
	nsre_free(re);
	return NULL;
}

static struct sval *
m_list(struct ns *ns, struct sv_arena *a, const struct sval **v,
    struct sval **exc)
{
	const struct sval	*prefix = v[0], *regex = v[1];
	struct sval		*d;

	if (prefix != NULL && !truthy(prefix))
		prefix = NULL;
	if (regex != NULL && !truthy(regex))
		regex = NULL;
	if (prefix != NULL && regex != NULL) {
		*exc = excf(a, "builtins.ValueError",
		    "you can only filter on one thing at a time");
		return NULL;
	}
	if ((d = sv_new(a, SV_DICT)) == NULL)
		return NULL;
	*exc = select_names(ns, a, prefix, regex, d,
	    v[2] != NULL && truthy(v[2]), NULL, NULL);
	return *exc != NULL ? NULL : d;
}

static struct sval *
m_remove(struct ns *ns, struct sv_arena *a, const struct sval **v,
    struct sval **exc)
{
	const struct sval	*name = v[0], *prefix = v[1], *regex = v[2];
	struct ns_ent		*e, **doomed = NULL;
	size_t			 n = 0;
	long			 removed;

	e = NULL;
	if (name != NULL && truthy(name) && !sv_is_str(name, NS_NAME) &&
	    name->type == SV_STR)
		e = store_find(&ns->st, name->u.s.p, name->u.s.len);
	/* Pyro4 tries the filters when the name is not registered. */
	if (name != NULL && truthy(name) && !sv_is_str(name, NS_NAME) &&
	    (e != NULL || !pyro4)) {
		if (e == NULL)
			return sv_int(a, 0);
		if (protected_from(ns, e)) {
			*exc = exc_protected(ns, a, e, "remove");
			return NULL;
		}
		doomed = &e;
		n = 1;
	} else if (prefix != NULL && truthy(prefix)) {
		if ((*exc = select_names(ns, a, prefix, NULL, NULL, 0,
		    &doomed, &n)) != NULL)
			return NULL;
	} else if (regex != NULL && truthy(regex)) {
		if ((*exc = select_names(ns, a, NULL, regex, NULL, 0,
		    &doomed, &n)) != NULL)
			return NULL;
	} else
		return sv_int(a, 0);
	if (ns->write_protect) {
		/* Filters remove only what the caller may remove. */
		size_t i, kept = 0, skipped = 0;

		for (i = 0; i < n; i++)
			if (protected_from(ns, doomed[i]))
				skipped++;
			else
				doomed[kept++] = doomed[i];
		if (skipped > 0)
			log_info("remove from %s: %zu matching registration%s "
			    "of other addresses left alone", ns->peer != NULL ?
			    ns->peer : "?", skipped, skipped == 1 ? "" : "s");
		n = kept;
	}
	if ((removed = store_delete(&ns->st, doomed, n)) == -1) {
		*exc = store_error(a, ns);
		return NULL;
	}
	if (removed > 0)
		log_info("removed %ld registration%s from %s", removed,
		    removed == 1 ? "" : "s", ns->peer);
	return sv_int(a, removed);
}

/* A tag set of yplookup: distinct strings; *never if nothing can match. */
static struct sval *
query_tags(struct sv_arena *a, const struct sval *v, const char *what,
    struct meta *out, int all, int *never)
{
	const struct sval	*it;
	size_t			 i;

	*never = 0;
	out->n = 0;
	if (v->type == SV_STR)
		return excf(a, "builtins.TypeError", "%s should not be a str, "
		    "but another iterable (set, list, etc)", what);
	if (!iterable(v))
		return excf(a, "builtins.TypeError", "'%s' object is not "
		    "iterable", pytype(v));
	if ((out->s = sv_alloc(a, (v->n + 1) * sizeof(*out->s))) == NULL ||
	    (out->len = sv_alloc(a, (v->n + 1) * sizeof(*out->len))) == NULL)
		return excf(a, "builtins.MemoryError", "out of memory");
	for (it = first_item(v); it != NULL; it = next_item(v, it)) {
		if (it->type != SV_STR) {
			/* No stored tag equals a non-str. */
			if (all)
				*never = 1;
			continue;
		}
		for (i = 0; i < out->n; i++)
			if (out->len[i] == it->u.s.len &&
			    memcmp(out->s[i], it->u.s.p, it->u.s.len) == 0)
				break;
		if (i == out->n) {
			out->s[out->n] = it->u.s.p;
			out->len[out->n++] = it->u.s.len;
		}
	}
	return NULL;
}

static int
ent_has(const struct ns_ent *e, const char *s, size_t n)
{
	const char	*t;
	size_t		 i, len;

	for (i = 0; i < e->nmeta; i++) {
		t = ent_tag(e, i, &len);
		if (len == n && memcmp(t, s, n) == 0)
			return 1;
	}
	return 0;
}

/* Entries with all (or any) of the given tags into d; NULL or the
 * exception. */
static struct sval *
meta_search(struct ns *ns, struct sv_arena *a, const struct sval *all,
    const struct sval *any, int with_meta, struct sval *d)
{
	struct meta	 q = { NULL, NULL, 0 };
	struct sval	*exc;
	size_t		 i, j, hits;
	int		 never;

	if ((exc = query_tags(a, all != NULL ? all : any, all != NULL ?
	    "metadata_all" : "metadata_any", &q, all != NULL, &never)) != NULL)
		return exc;
	if (never)
		return NULL;
	for (i = 0; i < ns->st.n; i++) {
		const struct ns_ent *e = ns->st.ents[i];

		for (j = 0, hits = 0; j < q.n; j++)
			if (ent_has(e, q.s[j], q.len[j]))
				hits++;
		if (all != NULL ? hits == q.n : hits > 0)
			if (add_entry(a, d, e, with_meta) == -1)
				return excf(a, "builtins.MemoryError",
				    "out of memory");
	}
	return NULL;
}

static struct sval *
m_yplookup(struct ns *ns, struct sv_arena *a, const struct sval **v,
    struct sval **exc)
{
	const struct sval	*all = v[0], *any = v[1];
	struct sval		*d;
	int			 with_meta;

	if (all != NULL && !truthy(all))
		all = NULL;
	if (any != NULL && !truthy(any))
		any = NULL;
	if (all != NULL && any != NULL) {
		*exc = excf(a, "builtins.ValueError",
		    "you can't use meta_all or meta_any at the same time");
		return NULL;
	}
	with_meta = v[2] == NULL || truthy(v[2]);
	if ((d = sv_new(a, SV_DICT)) == NULL)
		return NULL;
	if (all == NULL && any == NULL)
		return d;
	*exc = meta_search(ns, a, all, any, with_meta, d);
	return *exc != NULL ? NULL : d;
}

/*
 * Pyro4's list(prefix, regex, metadata_all, metadata_any,
 * return_metadata): at most one filter given (not None), the first truthy
 * one applied, metadata as lists.
 */
static struct sval *
m_list4(struct ns *ns, struct sv_arena *a, const struct sval **v,
    struct sval **exc)
{
	struct sval	*d;
	size_t		 i, given = 0;
	int		 with_meta = v[4] != NULL && truthy(v[4]);

	for (i = 0; i < 4; i++)
		if (v[i] != NULL && v[i]->type != SV_NONE)
			given++;
	if (given > 1) {
		*exc = excf(a, "builtins.ValueError",
		    "you can only filter on one thing at a time");
		return NULL;
	}
	if ((d = sv_new(a, SV_DICT)) == NULL)
		return NULL;
	if (v[0] != NULL && truthy(v[0]))
		*exc = select_names(ns, a, v[0], NULL, d, with_meta, NULL,
		    NULL);
	else if (v[1] != NULL && truthy(v[1]))
		*exc = select_names(ns, a, NULL, v[1], d, with_meta, NULL,
		    NULL);
	else if (v[2] != NULL && truthy(v[2]))
		*exc = meta_search(ns, a, v[2], NULL, with_meta, d);
	else if (v[3] != NULL && truthy(v[3]))
		*exc = meta_search(ns, a, NULL, v[3], with_meta, d);
	else
		*exc = select_names(ns, a, NULL, NULL, d, with_meta, NULL,
		    NULL);
	return *exc != NULL ? NULL : d;
}

/* Pyro.Daemon */

static const struct object *
find_object(const struct sval *id)
{
	const struct object	*t = pyro4 ? objects4 : objects;
	size_t			 i;

	if (id->type != SV_STR)
		return NULL;
	for (i = 0; i < NOBJECTS; i++)
		if (sv_is_str(id, t[i].id))
			return &t[i];
	return NULL;
}

/* {'methods': {...}, 'oneway': (), 'attrs': ()}, or with lists. */
static struct sval *
object_meta(struct sv_arena *a, const struct object *o, int lists)
{
	enum sv_type	 t = lists ? SV_LIST : SV_SET;
	struct sval	*d, *ms, *x;
	size_t		 i;

	if ((d = sv_new(a, SV_DICT)) == NULL ||
	    (ms = sv_new(a, t)) == NULL)
		return NULL;
	for (i = 0; i < o->nm; i++) {
		if ((x = sv_cstr(a, o->m[i].name)) == NULL)
			return NULL;
		sv_append(ms, x);
	}
	if (sv_dict_set(a, d, "methods", ms) == -1 ||
	    sv_dict_set(a, d, "oneway", sv_new(a, t)) == -1 ||
	    sv_dict_set(a, d, "attrs", sv_new(a, t)) == -1)
		return NULL;
	return d;
}

static struct sval *
d_call(struct ns *ns, struct sv_arena *a, enum mid id, const struct sval **v,
    struct sval **exc)
{
	const struct object	*o;
	struct sval		*l, *x;
	char			 info[1024], nat[300];
	size_t			 i;

	switch (id) {
	case D_GET_METADATA:
		if ((o = find_object(v[0])) == NULL) {
			*exc = excf(a, "Pyro5.errors.DaemonError",
			    "unknown object");
			return NULL;
		}
		/* Pyro4's get_metadata(objectId, as_lists=False) */
		return object_meta(a, o, pyro4 && v[1] != NULL &&
		    truthy(v[1]));
	case D_GET_NEXT_STREAM_ITEM:
		*exc = excf(a, "Pyro5.errors.PyroError",
		    "item stream terminated");
		return NULL;
	case D_INFO:
		if (strcmp(ns->adv_host, ns->bind_host) == 0)
			(void)snprintf(nat, sizeof(nat), "None");
		else
			(void)snprintf(nat, sizeof(nat), "%s:%d", ns->adv_host,
			    ns->port);
		(void)snprintf(info, sizeof(info), "Pyro.Daemon bound on "
		    "%s:%d, NAT %s, %zu objects registered. Servertype: "
		    "<SocketServer_Multiplex on %s:%d; %zu connections>",
		    ns->bind_host, ns->port, nat, (size_t)NS_DAEMON_OBJECTS,
		    ns->bind_host,
		    ns->port, ns->nconn);
		return sv_cstr(a, info);
	case D_REGISTERED:
		if ((l = sv_new(a, SV_LIST)) == NULL)
			return NULL;
		for (i = 0; i < NS_DAEMON_OBJECTS; i++) {
			if ((x = sv_cstr(a, objects[i].id)) == NULL)
				return NULL;
			sv_append(l, x);
		}
		return l;
	default:
		return sv_new(a, SV_NONE);
	}
}

/*
 * mupif.scheduler.getStatistics(raw=False): the node's scheduler's
 * statistics, asked through the broker (ns->sched_stats: sched.stats,
 * NS_SCHED_TIMEOUT_MS at most - the one event loop waits meanwhile).  A
 * good answer is reused for NS_SCHED_CACHE_MS (a monitor polls every
 * 0.5 s; many clients cost the scheduler one call); after a time-out no
 * call is made for NS_SCHED_BACKOFF_MS, so a hung scheduler holds the
 * loop up at most one time-out in that many.  Any failure is a
 * CommunicationError, as a Pyro client sees an unreachable daemon.
 */
static struct sval *
s_getstats(struct ns *ns, struct sv_arena *a, const struct sval **v,
    struct sval **exc)
{
	struct sval	*r;
	char		 why[256], *reply = NULL;
	size_t		 len = 0;
	int64_t		 now = util_mono_ms();
	int		 raw = v[0] != NULL && truthy(v[0]), rc;

	if (ns->sched_cache != NULL &&
	    now - ns->sched_cached < NS_SCHED_CACHE_MS)
		;	/* fresh enough */
	else if (now < ns->sched_backoff) {
		*exc = excf(a, "Pyro5.errors.CommunicationError", "scheduler "
		    "statistics unavailable: the scheduler did not answer in "
		    "time a moment ago");
		return NULL;
	} else if (ns->sched_stats == NULL) {
		*exc = excf(a, "Pyro5.errors.CommunicationError", "scheduler "
		    "statistics unavailable: no broker");
		return NULL;
	} else if ((rc = ns->sched_stats(ns, &reply, &len, why,
	    sizeof(why))) != 0) {
		if (rc == NS_SCHED_TIMEDOUT)
			ns->sched_backoff = util_mono_ms() +
			    NS_SCHED_BACKOFF_MS;
		log_warnx("%s.getStatistics from %s: %s", NS_SCHED,
		    ns->peer != NULL ? ns->peer : "?", why);
		*exc = excf(a, "Pyro5.errors.CommunicationError", "scheduler "
		    "statistics unavailable: %s", why);
		return NULL;
	} else {
		free(ns->sched_cache);
		ns->sched_cache = reply;
		ns->sched_cachelen = len;
		ns->sched_cached = now;
	}
	if ((r = sch_stats_value(a, ns->sched_cache, ns->sched_cachelen, raw,
	    why, sizeof(why))) == NULL) {
		log_warnx("%s.getStatistics: %s", NS_SCHED, why);
		ns_sched_free(ns);
		*exc = excf(a, "Pyro5.errors.CommunicationError", "scheduler "
		    "statistics unavailable: %s", why);
		return NULL;
	}
	return r;
}

static struct sval *
call_method(struct ns *ns, struct sv_arena *a, const struct method *m,
    const struct sval **v, struct sval **exc)
{
	switch (m->id) {
	case M_COUNT:
		return sv_int(a, (int64_t)ns->st.n);
	case M_PING:
	case D_PING:
	case D_CLOSE_STREAM:
		return sv_new(a, SV_NONE);
	case M_LOOKUP:
		return m_lookup(ns, a, v, exc);
	case M_REGISTER:
		return m_register(ns, a, v, 0, exc);
	case M_SET_METADATA:
		return m_register(ns, a, v, 1, exc);
	case M_REMOVE:
		return m_remove(ns, a, v, exc);
	case M_LIST:
		return pyro4 ? m_list4(ns, a, v, exc) : m_list(ns, a, v, exc);
	case M_YPLOOKUP:
		return m_yplookup(ns, a, v, exc);
	case S_GET_STATISTICS:
		return s_getstats(ns, a, v, exc);
	case S_REGISTER_PYRO:
		return sv_new(a, SV_NONE);	/* mupif's runServer calls it */
	default:
		return d_call(ns, a, m->id, v, exc);
	}
}

/* Pyro5.server._get_attribute() */
static const struct method *
resolve(struct sv_arena *a, const struct object *o, const struct sval *name,
    struct sval **exc)
{
	const char	*s;
	size_t		 n, i;
	char		 prefix[64];

	*exc = NULL;
	if (name->type != SV_STR) {
		*exc = excf(a, "builtins.AttributeError", "'%s' object has no "
		    "attribute 'startswith'", pytype(name));
		return NULL;
	}
	s = name->u.s.p;
	n = name->u.s.len;
	for (i = 0; private_dunders[i] != NULL; i++)
		if (sv_is_str(name, private_dunders[i]))
			goto private;
	for (i = 0; pyro4 && private_dunders4[i] != NULL; i++)
		if (sv_is_str(name, private_dunders4[i]))
			goto private;
	if (n > 0 && s[0] == '_' && !(n > 4 && s[1] == '_' &&
	    s[n - 1] == '_' && s[n - 2] == '_'))
		goto private;
	for (i = 0; i < o->nm; i++)
		if (sv_is_str(name, o->m[i].name))
			return &o->m[i];
	for (i = 0; o->unexposed[i] != NULL; i++)
		if (sv_is_str(name, o->unexposed[i])) {
			*exc = exc_text3(a, "builtins.AttributeError",
			    "attempt to access unexposed attribute '", s, n,
			    "'", NULL, 0);
			return NULL;
		}
	/* "'NameServer' object has no attribute 'x'", for each class. */
	(void)snprintf(prefix, sizeof(prefix), "'%s' object has no "
	    "attribute '", o->cls);
	*exc = exc_text3(a, "builtins.AttributeError", prefix, s, n, "'",
	    NULL, 0);
	return NULL;
private:
	*exc = exc_text3(a, "builtins.AttributeError",
	    "attempt to access private attribute '", s, n, "'", NULL, 0);
	return NULL;
}

/* One call of a method by name on object o. */
static int
call_one(struct ns *ns, struct sv_arena *a, const struct object *o,
    const struct method *m, const struct sval *args,
    const struct sval *kwargs, struct sval **out)
{
	const struct sval	*vals[8];
	struct sval		*exc = NULL, *r;

	if ((exc = bind_args(a, o, m, args, kwargs, vals)) != NULL) {
		*out = exc;
		return NS_RES_EXC;
	}
	r = call_method(ns, a, m, vals, &exc);
	if (exc != NULL) {
		*out = exc;
		return NS_RES_EXC;
	}
	if (r == NULL)
		return NS_RES_FAIL;
	*out = r;
	return NS_RES_OK;
}

static int
exc_result(struct sval *e, struct sval **out)
{
	if (e == NULL)
		return NS_RES_FAIL;
	*out = e;
	return NS_RES_EXC;
}

static int
invoke(struct ns *ns, struct sv_arena *a, const struct pyro_call *c,
    int batch, struct sval **out)
{
	const struct object	*o;
	const struct method	*m;
	const struct sval	*it, *mname, *margs, *mkw;
	struct sval		*exc, *results, *r, *w;
	int			 rc;

	*out = NULL;
	if ((o = find_object(c->object)) == NULL)
		return exc_result(excf(a, "Pyro5.errors.DaemonError",
		    "unknown object"), out);
	if ((exc = check_classes(a, c->args, 0)) != NULL ||
	    (exc = check_classes(a, c->kwargs, 0)) != NULL)
		return exc_result(exc, out);
	if (!batch) {
		if (sv_is_str(c->method, "__getattr__") ||
		    sv_is_str(c->method, "__setattr__")) {
			/* Remote properties: the nameserver has none. */
			const struct sval *p = c->args->type >= SV_TUPLE ?
			    c->args->u.l.first : NULL;

			if (p == NULL || p->type != SV_STR)
				return exc_result(excf(a,
				    "builtins.IndexError",
				    "tuple index out of range"), out);
			return exc_result(exc_text3(a,
			    "builtins.AttributeError", "attempt to access "
			    "unexposed or unknown remote attribute '",
			    p->u.s.p, p->u.s.len, "'", NULL, 0), out);
		}
		if ((m = resolve(a, o, c->method, &exc)) == NULL)
			return exc_result(exc, out);
		return call_one(ns, a, o, m, c->args, c->kwargs, out);
	}
	/* A batch: [(method, vargs, kwargs), ...], run in order up to
	 * the first exception, which is wrapped and ends the list. */
	if (c->args->type != SV_TUPLE && c->args->type != SV_LIST)
		return exc_result(excf(a, "builtins.TypeError", "'%s' object "
		    "is not iterable", pytype(c->args)), out);
	if ((results = sv_new(a, SV_LIST)) == NULL)
		return NS_RES_FAIL;
	for (it = c->args->u.l.first; it != NULL; it = it->next) {
		if (it->type != SV_TUPLE && it->type != SV_LIST)
			return exc_result(excf(a, "builtins.TypeError",
			    "cannot unpack non-iterable %s object",
			    pytype(it)), out);
		if (it->n != 3)
			return exc_result(it->n < 3 ? excf(a,
			    "builtins.ValueError", "not enough values to "
			    "unpack (expected 3, got %zu)", it->n) : excf(a,
			    "builtins.ValueError", "too many values to unpack "
			    "(expected 3)"), out);
		mname = it->u.l.first;
		margs = mname->next;
		mkw = margs->next;
		if ((m = resolve(a, o, mname, &exc)) == NULL)
			return exc_result(exc, out);
		rc = call_one(ns, a, o, m, margs, mkw, &r);
		if (rc == NS_RES_FAIL)
			return NS_RES_FAIL;
		if (rc == NS_RES_EXC) {
			if ((w = sv_new(a, SV_DICT)) == NULL ||
			    sv_dict_set(a, w, "__class__", sv_cstr(a, pyro4 ?
			    "Pyro4.futures._ExceptionWrapper" :
			    "Pyro5.core._ExceptionWrapper")) == -1 ||
			    sv_dict_set(a, w, "exception", r) == -1)
				return NS_RES_FAIL;
			sv_append(results, w);
			break;
		}
		sv_append(results, r);
	}
	*out = results;
	return NS_RES_OK;
}

int
ns_invoke(struct ns *ns, struct sv_arena *a, const struct pyro_call *c,
    int batch, struct sval **out)
{
	int rc;

	pyro4 = ns->pyro4;
	rc = invoke(ns, a, c, batch, out);
	pyro4 = 0;
	return rc;
}

int
ns_handshake(struct ns *ns, struct sv_arena *a, const struct sval *data,
    struct sval **out)
{
	const struct object	*o;
	const struct sval	*obj;
	struct sval		*d, *meta;

	(void)ns;
	*out = NULL;
	if (data->type != SV_DICT) {
		*out = sv_cstr(a, "invalid handshake data");
		return *out != NULL ? NS_RES_EXC : NS_RES_FAIL;
	}
	/* Any "handshake" value is accepted; the answer is "hello". */
	if (sv_dict_get(data, "handshake") == NULL) {
		*out = sv_cstr(a, "'handshake'");
		return *out != NULL ? NS_RES_EXC : NS_RES_FAIL;
	}
	if ((obj = sv_dict_get(data, "object")) == NULL) {
		*out = sv_cstr(a, "'object'");
		return *out != NULL ? NS_RES_EXC : NS_RES_FAIL;
	}
	if ((o = find_object(obj)) == NULL) {
		*out = sv_cstr(a, "unknown object");
		return *out != NULL ? NS_RES_EXC : NS_RES_FAIL;
	}
	if ((d = sv_new(a, SV_DICT)) == NULL ||
	    (meta = object_meta(a, o, 0)) == NULL ||
	    sv_dict_set(a, d, "handshake", sv_cstr(a, "hello")) == -1 ||
	    sv_dict_set(a, d, "meta", meta) == -1)
		return NS_RES_FAIL;
	*out = d;
	return NS_RES_OK;
}

/*
 * Pyro4's Daemon._handshake: the reply is "hello", or with meta
 * {'handshake':'hello','meta':{lists}}; only then is the object checked.
 */
static int
handshake4(struct sv_arena *a, const struct sval *data, int meta,
    struct sval **out)
{
	const struct object	*o;
	const struct sval	*obj;
	struct sval		*d, *m;

	*out = NULL;
	if (data->type != SV_DICT) {
		*out = sv_cstr(a, "invalid handshake data");
		return *out != NULL ? NS_RES_EXC : NS_RES_FAIL;
	}
	if (sv_dict_get(data, "handshake") == NULL) {
		*out = sv_cstr(a, "'handshake'");
		return *out != NULL ? NS_RES_EXC : NS_RES_FAIL;
	}
	if (!meta) {
		*out = sv_cstr(a, "hello");
		return *out != NULL ? NS_RES_OK : NS_RES_FAIL;
	}
	if ((obj = sv_dict_get(data, "object")) == NULL) {
		*out = sv_cstr(a, "'object'");
		return *out != NULL ? NS_RES_EXC : NS_RES_FAIL;
	}
	if ((o = find_object(obj)) == NULL) {
		*out = sv_cstr(a, "unknown object");
		return *out != NULL ? NS_RES_EXC : NS_RES_FAIL;
	}
	if ((d = sv_new(a, SV_DICT)) == NULL ||
	    (m = object_meta(a, o, 1)) == NULL ||
	    sv_dict_set(a, d, "handshake", sv_cstr(a, "hello")) == -1 ||
	    sv_dict_set(a, d, "meta", m) == -1)
		return NS_RES_FAIL;
	*out = d;
	return NS_RES_OK;
}

int
ns_handshake4(struct ns *ns, struct sv_arena *a, const struct sval *data,
    int meta, struct sval **out)
{
	int rc;

	(void)ns;
	pyro4 = 1;
	rc = handshake4(a, data, meta, out);
	pyro4 = 0;
	return rc;
}

int
ns_register_self(struct ns *ns)
{
	const char		*tag = ns5_tag;
	const char		*meta[1];
	size_t			 metalen[1];
	char			 uri[512];
	int			 n;

	/* An IPv6 host goes in brackets, as str(URI) writes it. */
	if (strchr(ns->adv_host, ':') != NULL)
		n = snprintf(uri, sizeof(uri), "PYRO:%s@[%s]:%d", NS_NAME,
		    ns->adv_host, ns->port);
	else
		n = snprintf(uri, sizeof(uri), "PYRO:%s@%s:%d", NS_NAME,
		    ns->adv_host, ns->port);
	if (n < 0 || (size_t)n >= sizeof(uri))
		return -1;
	meta[0] = tag;
	metalen[0] = strlen(tag);
	if (store_set(&ns->st, NS_NAME, strlen(NS_NAME), uri, (size_t)n,
	    meta, metalen, 1) == -1) {
		log_warnx("registering %s: %s", NS_NAME, ns->st.err);
		return -1;
	}
	log_info("registered %s as %s", NS_NAME, uri);
	return 0;
}

int
ns_register_sched(struct ns *ns)
{
	const char	*meta[1];
	size_t		 metalen[1];
	struct ns_ent	*e;
	char		 uri[NS_MAX_URI + 1];
	int		 n;

	/* Our advertised address, as for Pyro.NameServer. */
	if (strchr(ns->adv_host, ':') != NULL)
		n = snprintf(uri, sizeof(uri), "PYRO:%s@[%s]:%d", NS_SCHED,
		    ns->adv_host, ns->port);
	else
		n = snprintf(uri, sizeof(uri), "PYRO:%s@%s:%d", NS_SCHED,
		    ns->adv_host, ns->port);
	if (n < 0 || (size_t)n >= sizeof(uri))
		return -1;
	memcpy(ns->sched_uri, uri, (size_t)n + 1);
	ns->sched_urilen = (size_t)n;
	meta[0] = NS_SCHED_TAG;
	metalen[0] = strlen(NS_SCHED_TAG);
	if (store_set(&ns->st, NS_SCHED, strlen(NS_SCHED), uri, (size_t)n,
	    meta, metalen, 1) == -1) {
		log_warnx("registering %s: %s", NS_SCHED, ns->st.err);
		return -1;
	}
	/* Owned by no peer: with ns_write_protect on, nobody may
	 * overwrite or remove it. */
	if ((e = store_find(&ns->st, NS_SCHED, strlen(NS_SCHED))) != NULL)
		(void)strlcpy(e->owner, NS_SCHED_OWNER, sizeof(e->owner));
	log_info("registered %s as %s (getStatistics from the scheduler "
	    "through the broker)", NS_SCHED, uri);
	return 0;
}

int
ns_sched_is_own(const struct ns *ns, const struct ns_ent *e)
{
	return ns->sched_urilen > 0 && e->namelen == strlen(NS_SCHED) &&
	    memcmp(e->name, NS_SCHED, e->namelen) == 0 &&
	    e->urilen == ns->sched_urilen &&
	    memcmp(e->uri, ns->sched_uri, e->urilen) == 0;
}

void
ns_sched_free(struct ns *ns)
{
	free(ns->sched_cache);
	ns->sched_cache = NULL;
	ns->sched_cachelen = 0;
	ns->sched_cached = 0;
}
