/*
 * msg_types.h - the one table of services and broker operations.
 *
 * Trust: shared by every process.  A service id names a process role; an
 * operation names one typed request and the only service that implements it
 * (its callee).  The broker routes by this table and checks every
 * (caller, operation) pair against policy/broker.policy.  Adding an
 * operation means one line here, a handler in the callee, and a policy rule.
 */
#ifndef MSG_TYPES_H
#define MSG_TYPES_H

/* X(id, name) : services, in start order after the broker. */
#define SVC_TABLE(X)			\
	X(SVC_LAUNCHER,	"launcher")	\
	X(SVC_BROKER,	"broker")	\
	X(SVC_DB,	"db")		\
	X(SVC_SAFEAPI,	"safeapi")	\
	X(SVC_API,	"api")		\
	X(SVC_WEB,	"web")		\
	X(SVC_AUTH,	"auth")		\
	X(SVC_NAMESERVER, "nameserver")	\
	X(SVC_SCHEDULER, "scheduler")	\
	X(SVC_VPN,	"vpn")

enum svc_id {
#define X(id, name) id,
	SVC_TABLE(X)
#undef X
	SVC_COUNT
};

/*
 * X(id, name, callee): operations.  Ids below MSG_OP_FIRST are control
 * messages handled by the broker itself and never routed.
 */
#define MSG_TABLE(X)							\
	X(MSG_NONE,		"none",			SVC_BROKER)	\
	X(MSG_READY,		"ready",		SVC_BROKER)	\
	X(MSG_CTL_ATTACH,	"ctl.attach",		SVC_BROKER)	\
	X(MSG_CTL_DETACH,	"ctl.detach",		SVC_BROKER)	\
	X(MSG_OP_FIRST,		"op.first",		SVC_BROKER)	\
	X(MSG_EXEC_COUNT,	"execution.count_by_status", SVC_DB)	\
	X(MSG_SETTINGS_GET,	"settings.get",		SVC_DB)		\
	X(MSG_SETTINGS_PUT,	"settings.put",		SVC_DB)		\
	X(MSG_DB_PING,		"db.ping",		SVC_DB)		\
	X(MSG_USECASE_GET,	"usecase.get",		SVC_DB)		\
	X(MSG_USECASE_LIST,	"usecase.list",		SVC_DB)		\
	X(MSG_USECASE_INSERT,	"usecase.insert",	SVC_DB)		\
	X(MSG_WORKFLOW_GET,	"workflow.get",		SVC_DB)		\
	X(MSG_WORKFLOW_GET_VERSION, "workflow.get_version", SVC_DB)	\
	X(MSG_WORKFLOW_LIST,	"workflow.list",	SVC_DB)		\
	X(MSG_WORKFLOW_INSERT,	"workflow.insert",	SVC_DB)		\
	X(MSG_WORKFLOW_UPDATE,	"workflow.update",	SVC_DB)		\
	X(MSG_WORKFLOW_HISTORY_INSERT, "workflow.history_insert", SVC_DB) \
	X(MSG_EXEC_GET,		"execution.get",	SVC_DB)		\
	X(MSG_EXEC_LIST,	"execution.list",	SVC_DB)		\
	X(MSG_EXEC_INSERT,	"execution.insert",	SVC_DB)		\
	X(MSG_EXEC_CREATE,	"execution.create",	SVC_DB)		\
	X(MSG_EXEC_SET_FIELD,	"execution.set_field",	SVC_DB)		\
	X(MSG_EXEC_SCHEDULE,	"execution.schedule",	SVC_DB)		\
	X(MSG_EXEC_CLAIM,	"execution.claim",	SVC_DB)		\
	X(MSG_EXEC_SET_IO_ITEM,	"execution.set_io_item", SVC_DB)	\
	X(MSG_IODATA_GET,	"iodata.get",		SVC_DB)		\
	X(MSG_IODATA_INSERT,	"iodata.insert",	SVC_DB)		\
	X(MSG_STAT_GET,		"stat.get",		SVC_DB)		\
	X(MSG_STAT_UPDATE,	"stat.update",		SVC_DB)		\
	X(MSG_LOG_INSERT,	"log.insert",		SVC_DB)		\
	X(MSG_FILE_PUT,		"file.put",		SVC_DB)		\
	X(MSG_FILE_GET,		"file.get",		SVC_DB)		\
	X(MSG_USER_GET,		"user.get",		SVC_DB)		\
	X(MSG_USER_GET_BY_MAIL,	"user.get_by_mail",	SVC_DB)		\
	X(MSG_USER_LIST,	"user.list",		SVC_DB)		\
	X(MSG_USER_INSERT,	"user.insert",		SVC_DB)		\
	X(MSG_USER_SET_PASSWORD, "user.set_password",	SVC_DB)		\
	X(MSG_SESSION_INSERT,	"session.insert",	SVC_DB)		\
	X(MSG_SESSION_GET,	"session.get",		SVC_DB)		\
	X(MSG_SESSION_DELETE,	"session.delete",	SVC_DB)		\
	X(MSG_EXEC_FINISH,	"execution.finish",	SVC_DB)		\
	X(MSG_NS_PING,		"ns.ping",		SVC_NAMESERVER)	\
	X(MSG_NS_LIST,		"ns.list",		SVC_NAMESERVER)	\
	X(MSG_NS_JOBMANS,	"ns.jobmans",		SVC_NAMESERVER)	\
	X(MSG_NS_SCHEDULERS,	"ns.schedulers",	SVC_NAMESERVER)	\
	X(MSG_SESSION_USER,	"session.user",		SVC_DB)		\
	X(MSG_AUTH_LOGIN,	"auth.login",		SVC_AUTH)	\
	X(MSG_AUTH_REFRESH,	"auth.refresh",		SVC_AUTH)	\
	X(MSG_AUTH_LOGOUT,	"auth.logout",		SVC_AUTH)	\
	X(MSG_AUTH_REGISTER,	"auth.register",	SVC_AUTH)	\
	X(MSG_AUTH_SET_PASSWORD, "auth.set_password",	SVC_AUTH)	\
	X(MSG_AUTH_PUBKEY,	"auth.pubkey",		SVC_AUTH)	\
	X(MSG_SCHED_PING,	"sched.ping",		SVC_SCHEDULER)	\
	X(MSG_SCHED_INSPECT,	"sched.inspect",	SVC_SCHEDULER)	\
	X(MSG_EXEC_SET_EDM,	"execution.set_edm",	SVC_DB)	\
	X(MSG_EXEC_GET_FULL,	"execution.get_full",	SVC_DB)	\
	X(MSG_VPN_STATUS,	"vpn.status",		SVC_VPN)	\
	X(MSG_EXEC_START,	"execution.start",	SVC_DB)		\
	X(MSG_EXEC_REQUEUE,	"execution.requeue",	SVC_DB)		\
	X(MSG_EXEC_RECOVER,	"execution.recover",	SVC_DB)		\
	X(MSG_EXEC_CANCEL,	"execution.cancel",	SVC_DB)		\
	X(MSG_AUTH_EXEC_TOKEN,	"auth.exec_token",	SVC_AUTH)	\
	X(MSG_SCHED_WAKE,	"sched.wake",		SVC_SCHEDULER)	\
	X(MSG_SCHED_LIVELOG,	"sched.livelog",	SVC_SCHEDULER)	\
	X(MSG_SCHED_CANCEL,	"sched.cancel",		SVC_SCHEDULER)	\
	X(MSG_SCHED_STATS,	"sched.stats",		SVC_SCHEDULER)

enum msg_type {
#define X(id, name, callee) id,
	MSG_TABLE(X)
#undef X
	MSG_TYPE_COUNT
};

/* Reply status carried in the header of replies (0 = success). */
#define MSG_STATUS_TABLE(X)					\
	X(MST_OK,		"ok")				\
	X(MST_DENIED,		"denied")			\
	X(MST_UNAVAILABLE,	"unavailable")			\
	X(MST_TIMEOUT,		"timeout")			\
	X(MST_BADREQ,		"bad-request")			\
	X(MST_NOTFOUND,		"not-found")			\
	X(MST_INTERNAL,		"internal-error")		\
	X(MST_TOOBIG,		"too-big")			\
	X(MST_MALFORMED,	"malformed")			\
	X(MST_BUSY,		"busy")				\
	X(MST_CONFLICT,		"conflict")

enum msg_status {
#define X(id, name) id,
	MSG_STATUS_TABLE(X)
#undef X
	MST_COUNT
};

const char	*svc_name(unsigned int);
int		 svc_lookup(const char *, size_t);	/* -1 if unknown */
const char	*msg_type_name(unsigned int);
int		 msg_type_lookup(const char *, size_t);	/* -1 if unknown */
int		 msg_type_callee(unsigned int);		/* -1 if unknown */
const char	*msg_status_name(unsigned int);

#endif /* MSG_TYPES_H */
