/*
 * parse_profile.c - parser for policy/<service>.profile (see profile.h).
 * Fuzzed by fuzz/fuzz_profile.c.
 */
#include <ctype.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <cap-ng.h>

#include "profile.h"
#include "banned.h"

static const struct {
	const char	*name;
	int		 flag;
} ns_names[] = {
	{ "net", CLONE_NEWNET }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "mnt", CLONE_NEWNS },
};

static const struct {
	const char	*name;
	int		 res;
} rl_names[] = {
	{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
	{ "core", RLIMIT_CORE }, { "fsize", RLIMIT_FSIZE },
	{ "as", RLIMIT_AS }, { "data", RLIMIT_DATA },
	{ "stack", RLIMIT_STACK }, { "memlock", RLIMIT_MEMLOCK },
};

void
profile_ns_str(int ns, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (ns & ns_names[i].flag) {
			if (buf[0] != '\0')
				(void)strlcat(buf, " ", len);
			(void)strlcat(buf, ns_names[i].name, len);
		}
	if (buf[0] == '\0')
		(void)strlcpy(buf, "none", len);
}

/* Next whitespace-separated word in [*p, end): sets w, wl; 0 if none. */
static int
word(const char **p, const char *end, const char **w, size_t *wl)
{
	const char *q = *p;

	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	if (q == end)
		return 0;
	*w = q;
	while (q < end && *q != ' ' && *q != '\t' && *q != '\r')
		q++;
	*wl = (size_t)(q - *w);
	*p = q;
	return 1;
}

static int
name_ok(const char *w, size_t wl, int allow_dot)
{
	size_t i;

	if (wl == 0)
		return 0;
	for (i = 0; i < wl; i++)
		if (!(isalnum((unsigned char)w[i]) || w[i] == '_' ||
		    w[i] == '-' || (allow_dot && w[i] == '.')))
			return 0;
	return w[0] != '.' && w[0] != '-';
}

/* An absolute path of [A-Za-z0-9._+-] components, no "." or "..". */
static int
path_ok(const char *w, size_t wl)
{
	size_t i, start;

	if (wl < 2 || w[0] != '/' || w[wl - 1] == '/')
		return 0;
	for (i = 1, start = 1; i <= wl; i++) {
		if (i == wl || w[i] == '/') {
			if (i == start || (i - start == 1 && w[start] == '.') ||
			    (i - start == 2 && w[start] == '.' &&
			    w[start + 1] == '.'))
				return 0;
			start = i + 1;
			continue;
		}
		if (!(isalnum((unsigned char)w[i]) || w[i] == '_' ||
		    w[i] == '-' || w[i] == '.' || w[i] == '+'))
			return 0;
	}
	return 1;
}

#define PERR(...) do {							\
	(void)snprintf(err, errlen, "%s:%zu: ", fname, lineno);		\
	size_t _n = strnlen(err, errlen);				\
	(void)snprintf(err + _n, errlen - _n, __VA_ARGS__);		\
	return -1;							\
} while (0)

int
profile_parse(struct profile *pr, const char *text, size_t len,
    const char *fname, char *err, size_t errlen)
{
	const char	*p = text, *end = text + len, *eol, *q, *cur, *w, *kw;
	size_t		 wl, kwl, lineno = 0, i;
	char		 tmp[64];

	memset(pr, 0, sizeof(*pr));
	if (len > PROFILE_MAX_FILE)
		PERR("file too large");
	for (; p < end; p = eol + 1) {
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((q = memchr(p, '#', (size_t)(eol - p))) == NULL)
			q = eol;
		if (memchr(p, '\0', (size_t)(q - p)) != NULL)
			PERR("NUL byte");
		cur = p;
		if (!word(&cur, q, &kw, &kwl))
			continue;
#define KW(s) (kwl == sizeof(s) - 1 && memcmp(kw, s, kwl) == 0)
		if (KW("user") || KW("chroot") || KW("listen") ||
		    KW("seccomp")) {
			char	*dst;
			size_t	 cap;

			if (KW("user")) {
				dst = pr->user;
				cap = sizeof(pr->user);
			} else if (KW("chroot")) {
				dst = pr->chroot;
				cap = sizeof(pr->chroot);
			} else if (KW("listen")) {
				dst = pr->listen;
				cap = sizeof(pr->listen);
			} else {
				dst = pr->seccomp;
				cap = sizeof(pr->seccomp);
			}
			if (dst[0] != '\0')
				PERR("\"%.*s\" given twice", (int)kwl, kw);
			if (!word(&cur, q, &w, &wl))
				PERR("\"%.*s\" needs a value", (int)kwl, kw);
			if (!name_ok(w, wl, 1) || wl >= cap)
				PERR("bad value for \"%.*s\"", (int)kwl, kw);
			memcpy(dst, w, wl);
			dst[wl] = '\0';
			if (word(&cur, q, &w, &wl))
				PERR("\"%.*s\" takes one value", (int)kwl, kw);
		} else if (KW("namespaces")) {
			while (word(&cur, q, &w, &wl)) {
				for (i = 0; i < sizeof(ns_names) /
				    sizeof(ns_names[0]); i++)
					if (strlen(ns_names[i].name) == wl &&
					    memcmp(ns_names[i].name, w, wl) == 0)
						break;
				if (i == sizeof(ns_names) / sizeof(ns_names[0])) {
					if (wl == 4 && memcmp(w, "none", 4) == 0)
						continue;
					PERR("unknown namespace \"%.*s\"",
					    (int)wl, w);
				}
				pr->namespaces |= ns_names[i].flag;
			}
		} else if (KW("caps")) {
			while (word(&cur, q, &w, &wl)) {
				int c;

				if (wl == 4 && memcmp(w, "none", 4) == 0)
					continue;
				if (wl >= sizeof(tmp) || !name_ok(w, wl, 0))
					PERR("bad capability name");
				memcpy(tmp, w, wl);
				tmp[wl] = '\0';
				if ((c = capng_name_to_capability(tmp)) < 0 ||
				    c > 63)
					PERR("unknown capability \"%s\"", tmp);
				pr->caps |= 1ULL << c;
			}
		} else if (KW("rlimit")) {
			uint64_t v;

			if (!word(&cur, q, &w, &wl))
				PERR("rlimit needs a resource and a value");
			for (i = 0; i < sizeof(rl_names) / sizeof(rl_names[0]);
			    i++)
				if (strlen(rl_names[i].name) == wl &&
				    memcmp(rl_names[i].name, w, wl) == 0)
					break;
			if (i == sizeof(rl_names) / sizeof(rl_names[0]))
				PERR("unknown rlimit \"%.*s\"", (int)wl, w);
			if (!word(&cur, q, &w, &wl))
				PERR("rlimit %s needs a value",
				    rl_names[i].name);
			if (wl == 9 && memcmp(w, "unlimited", 9) == 0)
				v = RLIM_INFINITY;
			else if (util_parse_u64(w, wl, 0, 1ULL << 48, &v) == -1)
				PERR("bad rlimit value \"%.*s\"", (int)wl, w);
			pr->rlim[rl_names[i].res].set = 1;
			pr->rlim[rl_names[i].res].value = v;
			if (word(&cur, q, &w, &wl))
				PERR("rlimit takes a resource and one value");
		} else if (KW("landlock")) {
			/* Absolute paths, read-only beside the jail. */
			pr->landlock = 1;
			while (word(&cur, q, &w, &wl)) {
				if (!path_ok(w, wl) ||
				    wl >= PROFILE_LANDLOCK_PATH)
					PERR("bad landlock path \"%.*s\"",
					    (int)(wl > 64 ? 64 : wl), w);
				if (pr->nlandlock == PROFILE_MAX_LANDLOCK)
					PERR("more than %d landlock paths",
					    PROFILE_MAX_LANDLOCK);
				memcpy(pr->landlock_ro[pr->nlandlock], w, wl);
				pr->landlock_ro[pr->nlandlock][wl] = '\0';
				pr->nlandlock++;
			}
		} else
			PERR("unknown keyword \"%.*s\"", (int)kwl, kw);
#undef KW
	}
	if (pr->user[0] == '\0')
		PERR("missing \"user\"");
	if (pr->chroot[0] == '\0')
		PERR("missing \"chroot\"");
	if (pr->seccomp[0] == '\0')
		PERR("missing \"seccomp\"");
	return 0;
}
