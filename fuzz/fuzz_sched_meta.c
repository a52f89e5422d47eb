/*
 * fuzz_sched_meta.c - fuzzes sched_meta_build() (services/scheduler/
 * sched_meta.c), the check and rebuild of the Python inspector's stdout,
 * which is as hostile as the uploaded workflow.  An accepted answer must
 * rebuild into JSON that parses again.  No I/O, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "json.h"
#include "scheduler.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	yajl_gen		 g;
	const unsigned char	*b;
	size_t			 l;
	char			 err[256];
	int			 inc;
	yajl_val		 v;

	if (len > SCHED_OUT_MAX || (g = json_gen_new()) == NULL)
		return 0;
	if (sched_meta_build((const char *)data, len, "wf", g, &inc, err,
	    sizeof(err)) == 0) {
		(void)yajl_gen_get_buf(g, &b, &l);
		if ((v = json_parse(b, l, SCHED_OUT_MAX * 2, 32, err,
		    sizeof(err))) == NULL)
			__builtin_trap();
		yajl_tree_free(v);
	}
	yajl_gen_free(g);
	return 0;
}
