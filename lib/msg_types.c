/*
 * msg_types.c - name tables for services, operations and statuses
 * (see msg_types.h).
 */
#include <string.h>

#include "msg_types.h"
#include "banned.h"

static const char *const svc_names[] = {
#define X(id, name) name,
	SVC_TABLE(X)
#undef X
};

static const struct {
	const char	*name;
	int		 callee;
} msg_names[] = {
#define X(id, name, callee) { name, callee },
	MSG_TABLE(X)
#undef X
};

static const char *const status_names[] = {
#define X(id, name) name,
	MSG_STATUS_TABLE(X)
#undef X
};

const char *
svc_name(unsigned int id)
{
	return id < SVC_COUNT ? svc_names[id] : "?";
}

int
svc_lookup(const char *s, size_t len)
{
	int i;

	for (i = 0; i < SVC_COUNT; i++)
		if (strlen(svc_names[i]) == len &&
		    memcmp(svc_names[i], s, len) == 0)
			return i;
	return -1;
}

const char *
msg_type_name(unsigned int t)
{
	return t < MSG_TYPE_COUNT ? msg_names[t].name : "?";
}

int
msg_type_lookup(const char *s, size_t len)
{
	int i;

	for (i = MSG_OP_FIRST + 1; i < MSG_TYPE_COUNT; i++)
		if (strlen(msg_names[i].name) == len &&
		    memcmp(msg_names[i].name, s, len) == 0)
			return i;
	return -1;
}

int
msg_type_callee(unsigned int t)
{
	return t < MSG_TYPE_COUNT ? msg_names[t].callee : -1;
}

const char *
msg_status_name(unsigned int s)
{
	return s < MST_COUNT ? status_names[s] : "?";
}
