/*
 * status.c - run/status.json (written by the running launcher) and
 * `mupif-central status`, which reads it and then asks the kernel, not the
 * file, how each service is confined: /proc/PID/status gives Uid, Seccomp,
 * NoNewPrivs and CapEff.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "launcher.h"
#include "banned.h"

static const char *const state_names[] = {
	[ST_STOPPED] = "stopped", [ST_WAITING] = "restarting",
	[ST_RUNNING] = "running", [ST_FAILED] = "failed",
};

void
status_write(const char *path, pid_t launcher, int64_t started,
    const struct service *sv, size_t n)
{
	yajl_gen		 g;
	const unsigned char	*buf;
	size_t			 len, i;
	char			 tmp[PATH_MAX + 64];
	int			 fd;

	if ((g = json_gen_new()) == NULL)
		return;
	(void)yajl_gen_map_open(g);
	json_gen_kv_int(g, "launcher_pid", launcher);
	json_gen_kv_int(g, "started", started);
	json_gen_cstr(g, "services");
	(void)yajl_gen_array_open(g);
	for (i = 0; i < n; i++) {
		(void)yajl_gen_map_open(g);
		json_gen_kv_str(g, "name", sv[i].name);
		json_gen_kv_int(g, "pid", sv[i].pid);
		json_gen_kv_str(g, "state", state_names[sv[i].state]);
		json_gen_kv_int(g, "started", sv[i].started);
		json_gen_kv_int(g, "restarts", sv[i].restarts);
		json_gen_kv_int(g, "uid", sv[i].uid);
		json_gen_kv_int(g, "caps", (long long)(sv[i].prof.caps &
		    INT64_MAX));
		json_gen_kv_str(g, "last_exit", sv[i].last_exit);
		json_gen_kv_str(g, "jail", sv[i].jail);
		(void)yajl_gen_map_close(g);
	}
	(void)yajl_gen_array_close(g);
	(void)yajl_gen_map_close(g);
	(void)yajl_gen_get_buf(g, &buf, &len);
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd != -1) {
		if (util_write_all(fd, buf, len) == 0 &&
		    util_write_all(fd, "\n", 1) == 0 && close(fd) == 0)
			(void)rename(tmp, path);
		else
			(void)unlink(tmp);
	}
	yajl_gen_free(g);
}

struct procinfo {
	long	uid;
	int	seccomp;
	int	nnp;
	char	capeff[24];
};

static int
proc_read(pid_t pid, struct procinfo *pi)
{
	char	path[64], *text, *line, *save = NULL;
	size_t	len;

	memset(pi, 0, sizeof(*pi));
	pi->uid = -1;
	pi->seccomp = -1;
	pi->nnp = -1;
	(void)snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	/* util_read_file reads to EOF, so procfs's zero st_size is fine. */
	if (util_read_file(path, 64 * 1024, &text, &len) == -1)
		return -1;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Uid:", 4) == 0)
			pi->uid = strtol(line + 4, NULL, 10);
		else if (strncmp(line, "Seccomp:", 8) == 0)
			pi->seccomp = (int)strtol(line + 8, NULL, 10);
		else if (strncmp(line, "NoNewPrivs:", 11) == 0)
			pi->nnp = (int)strtol(line + 11, NULL, 10);
		else if (strncmp(line, "CapEff:", 7) == 0)
			(void)snprintf(pi->capeff, sizeof(pi->capeff), "%s",
			    line + 7 + strspn(line + 7, " \t"));
	}
	free(text);
	return 0;
}

static void
fmt_age(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (s < 120)
		(void)snprintf(buf, len, "%llds", (long long)s);
	else if (s < 7200)
		(void)snprintf(buf, len, "%lldm%02llds", (long long)s / 60,
		    (long long)s % 60);
	else
		(void)snprintf(buf, len, "%lldh%02lldm", (long long)s / 3600,
		    (long long)(s / 60) % 60);
}

int
cmd_status(const struct opts *o, int argc, char **argv)
{
	struct conf	 c;
	char		 path[PATH_MAX + 64], *text, err[128], age[32];
	size_t		 len, i;
	yajl_val	 doc, arr;
	long long	 lpid, started;
	int		 all_ok = 1;

	(void)argc;
	(void)argv;
	if (load_conf(o, &c, 1) == -1)
		return 2;
	(void)persistent_path(&c, "run/status.json", path, sizeof(path));
	if (util_read_file(path, 1024 * 1024, &text, &len) == -1) {
		(void)fprintf(stderr, "mupif-central: not running (no %s)\n",
		    path);
		return 1;
	}
	doc = json_parse(text, len, 1024 * 1024, 8, err, sizeof(err));
	free(text);
	if (doc == NULL || json_get_int(doc, "launcher_pid", &lpid) == -1 ||
	    json_get_int(doc, "started", &started) == -1 ||
	    (arr = json_get(doc, "services")) == NULL ||
	    !YAJL_IS_ARRAY(arr)) {
		(void)fprintf(stderr, "mupif-central: %s: unreadable\n", path);
		yajl_tree_free(doc);
		return 1;
	}
	if (kill((pid_t)lpid, 0) == -1 && errno == ESRCH) {
		(void)fprintf(stderr, "mupif-central: not running (stale %s, "
		    "launcher pid %lld gone)\n", path, lpid);
		yajl_tree_free(doc);
		return 1;
	}
	if (o->json)
		(void)printf("{\"launcher_pid\":%lld,\"services\":[", lpid);
	else {
		fmt_age(util_wall_ms() - started, age, sizeof(age));
		(void)printf("mupif-central running: launcher pid %lld, up %s, "
		    "persistent %s\n\n", lpid, age, c.persistent);
		(void)printf("%-10s %-8s %-10s %-9s %-8s %-6s %-8s %-4s "
		    "%-17s %s\n", "SERVICE", "PID", "STATE", "UPTIME",
		    "RESTARTS", "UID", "SECCOMP", "NNP", "CAPEFF",
		    "CONFINED (yes = also jailed)");
	}
	for (i = 0; i < arr->u.array.len; i++) {
		yajl_val	 s = arr->u.array.values[i];
		const char	*name = json_get_str(s, "name");
		const char	*state = json_get_str(s, "state");
		long long	 pid = 0, st = 0, restarts = 0, caps = 0;
		struct procinfo	 pi;
		char		 want[24];
		const char	*jail, *verdict;
		int		 ok, jailed;

		if (name == NULL || state == NULL ||
		    json_get_int(s, "pid", &pid) == -1 ||
		    json_get_int(s, "started", &st) == -1 ||
		    json_get_int(s, "restarts", &restarts) == -1 ||
		    json_get_int(s, "caps", &caps) == -1)
			continue;
		if (pid <= 0 || proc_read((pid_t)pid, &pi) == -1) {
			memset(&pi, 0, sizeof(pi));
			pi.uid = -1;
			pi.seccomp = -1;
			pi.nnp = -1;
		}
		(void)snprintf(want, sizeof(want), "%016llx", caps);
		ok = pi.seccomp == 2 && pi.nnp == 1 && pi.uid > 0 &&
		    strcmp(pi.capeff, want) == 0;
		/* Jailed: its root directory is the jail the profile names
		 * (not the case when the launcher is not root). */
		jailed = 0;
		if (pid > 0 && (jail = json_get_str(s, "jail")) != NULL) {
			char	 rp[64], root[PATH_MAX];
			ssize_t	 rl;

			(void)snprintf(rp, sizeof(rp), "/proc/%lld/root", pid);
			if ((rl = readlink(rp, root, sizeof(root) - 1)) > 0) {
				root[rl] = '\0';
				jailed = strcmp(root, jail) == 0;
			}
		}
		verdict = !ok ? "NO" : jailed ? "yes" : "partial";
		if (!ok || strcmp(state, "running") != 0)
			all_ok = 0;
		if (o->json) {
			(void)printf("%s{\"name\":\"%s\",\"pid\":%lld,"
			    "\"state\":\"%s\",\"restarts\":%lld,\"uid\":%ld,"
			    "\"seccomp\":%d,\"no_new_privs\":%d,"
			    "\"capeff\":\"%s\",\"capeff_declared\":\"%s\","
			    "\"jailed\":%s,\"confined\":%s}", i > 0 ? "," : "",
			    name, pid, state, restarts, pi.uid, pi.seccomp,
			    pi.nnp, pi.capeff, want, jailed ? "true" : "false",
			    ok ? "true" : "false");
		} else {
			fmt_age(util_wall_ms() - st, age, sizeof(age));
			(void)printf("%-10s %-8lld %-10s %-9s %-8lld %-6ld "
			    "%-8s %-4d %-17s %s\n", name, pid, state,
			    pid > 0 ? age : "-", restarts, pi.uid,
			    pi.seccomp == 2 ? "filter" : pi.seccomp == 1 ?
			    "strict" : pi.seccomp == 0 ? "none" : "?",
			    pi.nnp, pi.capeff[0] ? pi.capeff : "?", verdict);
		}
	}
	if (o->json)
		(void)printf("],\"all_confined\":%s}\n",
		    all_ok ? "true" : "false");
	yajl_tree_free(doc);
	return all_ok ? 0 : 1;
}
