/*
 * sched_zip.c - checking and unpacking an uploaded workflow (files.zip,
 * flat: the main module and the extra files) with libzip.
 *
 * Trust: the archive is hostile (a compromised api could send anything).
 * Every entry is checked before anything is written: flat names only, no
 * links or devices, no encryption, a bounded count, the main module
 * present.  Sizes are counted while inflating, never trusted from the
 * headers, so a zip bomb stops at max_total.  Files are created with
 * openat(O_CREAT|O_EXCL|O_NOFOLLOW) under the throw-away directory's
 * descriptor.  Fuzzed by fuzz/fuzz_sched_zip.c (dirfd -1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "scheduler.h"
#include "banned.h"

int
sched_main_name_ok(const char *name)
{
	size_t i, n = strnlen(name, SCHED_MAIN_MAX + 1);

	if (n < 4 || n > SCHED_MAIN_MAX || strcmp(name + n - 3, ".py") != 0)
		return 0;
	if (!((name[0] >= 'A' && name[0] <= 'Z') ||
	    (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (i = 1; i < n - 3; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return 1;
}

int
sched_entry_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > SCHED_ENTRY_MAX)
		return 0;
	if (len == 1 && name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			return 0;
		if (c == '.' && i + 1 < len && name[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* A name for messages: printable ASCII only, cut. */
static void
shown(const char *name, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < outlen && o < 60; i++) {
		unsigned char c = (unsigned char)name[i];

		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[o] = '\0';
}

#define ZERR(...) do { (void)snprintf(err, errlen, __VA_ARGS__); \
	goto out; } while (0)

int
sched_zip_extract(const void *data, size_t len, const char *mainname,
    uint64_t max_total, int dirfd, char *err, size_t errlen)
{
	zip_error_t	 ze;
	zip_source_t	*src = NULL;
	zip_t		*za = NULL;
	zip_file_t	*zf = NULL;
	zip_int64_t	 n, i, j;
	zip_stat_t	 st;
	uint64_t	 total = 0, declared = 0;
	char		*buf = NULL, nm[64];
	int		 rc = -1, fd = -1, found = 0;

	zip_error_init(&ze);
	if (len == 0)
		ZERR("the upload is empty");
	if ((src = zip_source_buffer_create(data, len, 0, &ze)) == NULL)
		ZERR("cannot read the upload");
	if ((za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS,
	    &ze)) == NULL) {
		zip_source_free(src);
		ZERR("the upload is not a valid ZIP archive");
	}
	if ((n = zip_get_num_entries(za, 0)) < 1)
		ZERR("the upload holds no files");
	if (n > SCHED_ZIP_MAX_ENTRIES)
		ZERR("the upload holds more than %d files",
		    SCHED_ZIP_MAX_ENTRIES);
	/* Everything is checked before anything is written. */
	for (i = 0; i < n; i++) {
		const char	*name;
		zip_uint8_t	 opsys;
		zip_uint32_t	 attr;
		size_t		 nl;

		if ((name = zip_get_name(za, (zip_uint64_t)i,
		    ZIP_FL_ENC_RAW)) == NULL)
			ZERR("file %lld of the upload has no name",
			    (long long)i + 1);
		nl = strlen(name);
		shown(name, nl, nm, sizeof(nm));
		if (!sched_entry_name_ok(name, nl))
			ZERR("file name '%s' is not allowed (a plain name "
			    "without '/', '\\', '..' or control characters)",
			    nm);
		for (j = 0; j < i; j++) {
			const char *o = zip_get_name(za, (zip_uint64_t)j,
			    ZIP_FL_ENC_RAW);

			if (o != NULL && strcmp(o, name) == 0)
				ZERR("file name '%s' appears twice", nm);
		}
		zip_stat_init(&st);
		if (zip_stat_index(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW,
		    &st) == -1 || !(st.valid & ZIP_STAT_SIZE))
			ZERR("cannot read the entry of '%s'", nm);
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
		    st.encryption_method != ZIP_EM_NONE)
			ZERR("'%s' is encrypted", nm);
		if (zip_file_get_external_attributes(za, (zip_uint64_t)i, 0,
		    &opsys, &attr) == 0 && opsys == ZIP_OPSYS_UNIX) {
			mode_t m = (mode_t)(attr >> 16) & S_IFMT;

			if (m != 0 && m != S_IFREG)
				ZERR("'%s' is not a regular file", nm);
		}
		/* Headers may lie; this only fails early on honest bombs. */
		declared += st.size;
		if (st.size > max_total || declared > max_total)
			ZERR("the files unpack to more than %llu bytes",
			    (unsigned long long)max_total);
		if (strcmp(name, mainname) == 0)
			found = 1;
	}
	if (!found)
		ZERR("the main module '%s' is not in the upload", mainname);
	if ((buf = malloc(65536)) == NULL)
		ZERR("out of memory");
	for (i = 0; i < n; i++) {
		const char	*name = zip_get_name(za, (zip_uint64_t)i,
				    ZIP_FL_ENC_RAW);
		uint64_t	 got = 0;
		zip_int64_t	 r;

		if (name == NULL || zip_stat_index(za, (zip_uint64_t)i,
		    ZIP_FL_ENC_RAW, &st) == -1)
			ZERR("cannot read file %lld", (long long)i + 1);
		shown(name, strlen(name), nm, sizeof(nm));
		if ((zf = zip_fopen_index(za, (zip_uint64_t)i, 0)) == NULL)
			ZERR("cannot unpack '%s': %s", nm,
			    zip_strerror(za));
		if (dirfd >= 0 && (fd = openat(dirfd, name, O_WRONLY |
		    O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
			ZERR("cannot create '%s': %s", nm, strerror(errno));
		for (;;) {
			if ((r = zip_fread(zf, buf, 65536)) < 0)
				ZERR("cannot unpack '%s': %s", nm,
				    zip_file_strerror(zf));
			if (r == 0)
				break;
			got += (uint64_t)r;
			total += (uint64_t)r;
			if (got > st.size)
				ZERR("'%s' is larger than its header says",
				    nm);
			if (total > max_total)
				ZERR("the files unpack to more than %llu "
				    "bytes", (unsigned long long)max_total);
			if (fd != -1 &&
			    util_write_all(fd, buf, (size_t)r) == -1)
				ZERR("cannot write '%s': %s", nm,
				    strerror(errno));
		}
		if (got != st.size)
			ZERR("'%s' is shorter than its header says", nm);
		(void)zip_fclose(zf);
		zf = NULL;
		if (fd != -1 && close(fd) == -1) {
			fd = -1;
			ZERR("cannot write '%s': %s", nm, strerror(errno));
		}
		fd = -1;
	}
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	if (zf != NULL)
		(void)zip_fclose(zf);
	if (za != NULL)
		zip_discard(za);
	free(buf);
	zip_error_fini(&ze);
	return rc;
}
