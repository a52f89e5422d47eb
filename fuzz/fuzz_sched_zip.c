/*
 * fuzz_sched_zip.c - fuzzes sched_zip_extract() (services/scheduler/
 * sched_zip.c) on arbitrary bytes as an uploaded files.zip, with dirfd -1:
 * every check runs and every entry is inflated and counted, nothing is
 * written.  Also the name checks on the raw input.  A small unpacked-size
 * cap keeps runs fast.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scheduler.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	err[256], name[SCHED_MAIN_MAX + 2];
	size_t	nl = len < sizeof(name) - 1 ? len : sizeof(name) - 1;

	if (len > 1024 * 1024)
		return 0;
	memcpy(name, data, nl);
	name[nl] = '\0';
	(void)sched_main_name_ok(name);
	(void)sched_entry_name_ok((const char *)data, nl);
	err[0] = '\0';
	if (sched_zip_extract(data, len, "wf.py", 4 * 1024 * 1024, -1, err,
	    sizeof(err)) == -1 && err[0] == '\0')
		__builtin_trap();	/* every refusal says why */
	return 0;
}
