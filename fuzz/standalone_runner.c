/*
 * standalone_runner.c - replays fuzz inputs through a harness without a
 * fuzzing engine (after curl-fuzzer's standalone_fuzz_target_runner and
 * json-c's fuzz/CMakeLists.txt), so `make test` runs every corpus file
 * under ASan and UBSan and the harnesses cannot rot.
 *
 *   replay_<name> FILE|DIR...
 *
 * Each FILE, and each regular file directly inside each DIR (sorted by
 * name, not recursive), is read into a buffer of exactly its size and
 * passed to LLVMFuzzerTestOneInput() once.  Each input receives ten seconds;
 * a hang is reported with the file name.  Prints "replayed N inputs" and
 * exits 0, or exits 1 on any read error.  A crash is the sanitizer's
 * report and exit status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "banned.h"

#define RUNNER_MAX_INPUT	(16 * 1024 * 1024)
#define RUNNER_TIMEOUT		10	/* seconds per input */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The input being run, for the timeout message (read in the handler). */
static const char *volatile current;

static void
on_alarm(int sig)
{
	static const char pre[] = "standalone_runner: timeout on ";
	const char *p = current;

	(void)sig;
	(void)!write(STDERR_FILENO, pre, sizeof(pre) - 1);
	if (p != NULL)
		(void)!write(STDERR_FILENO, p, strlen(p));
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(1);
}

/* Run one file.  0, or -1 after printing why it could not be read. */
static int
run_file(const char *path)
{
	char	*text, ebuf[128];
	uint8_t	*buf;
	size_t	 len;
	int	 fd, r;

	/* Not util_read_file(): a symlinked corpus file is fine here. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "standalone_runner: %s: %s\n", path,
		    util_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	r = util_read_fd(fd, RUNNER_MAX_INPUT, &text, &len);
	if (r == -1)
		fprintf(stderr, "standalone_runner: %s: %s\n", path,
		    util_strerror(errno, ebuf, sizeof(ebuf)));
	(void)close(fd);
	if (r == -1)
		return -1;
	/* An exact-size copy, so a one-byte over-read is an ASan error
	 * (util_read_fd's buffer has a spare NUL and slack). */
	if ((buf = malloc(len > 0 ? len : 1)) == NULL) {
		free(text);
		fprintf(stderr, "standalone_runner: %s: out of memory\n",
		    path);
		return -1;
	}
	memcpy(buf, text, len);
	free(text);
	current = path;
	(void)alarm(RUNNER_TIMEOUT);
	(void)LLVMFuzzerTestOneInput(buf, len);
	(void)alarm(0);
	current = NULL;
	free(buf);
	return 0;
}

/* Run every regular file directly inside dir.  Count in *n. */
static int
run_dir(const char *dir, size_t *n)
{
	struct dirent	**ents;
	struct stat	  st;
	char		  path[PATH_MAX], ebuf[128];
	int		  i, cnt, rv = 0;

	if ((cnt = scandir(dir, &ents, NULL, alphasort)) == -1) {
		fprintf(stderr, "standalone_runner: %s: %s\n", dir,
		    util_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	for (i = 0; i < cnt; i++) {
		const char *name = ents[i]->d_name;

		if (rv == 0 && strcmp(name, ".") != 0 &&
		    strcmp(name, "..") != 0) {
			int w = snprintf(path, sizeof(path), "%s/%s", dir,
			    name);

			if (w < 0 || (size_t)w >= sizeof(path)) {
				fprintf(stderr, "standalone_runner: %s/%s: "
				    "path too long\n", dir, name);
				rv = -1;
			} else if (stat(path, &st) == -1) {
				fprintf(stderr, "standalone_runner: %s: %s\n",
				    path, util_strerror(errno, ebuf,
				    sizeof(ebuf)));
				rv = -1;
			} else if (S_ISREG(st.st_mode)) {
				if (run_file(path) == -1)
					rv = -1;
				else
					(*n)++;
			}
		}
		free(ents[i]);
	}
	free(ents);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	struct stat		 st;
	char			 ebuf[128];
	size_t			 n = 0;
	int			 i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) == -1) {
		perror("standalone_runner: sigaction");
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "standalone_runner: %s: %s\n", argv[i],
			    util_strerror(errno, ebuf, sizeof(ebuf)));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &n) == -1)
				return 1;
		} else {
			if (run_file(argv[i]) == -1)
				return 1;
			n++;
		}
	}
	printf("replayed %zu inputs\n", n);
	return 0;
}
