/*
 * fuzz_sched_stat.c - fuzzes sched_stat_parse() (services/scheduler/
 * sched_stat.c), the reader of scheduler-stat.json.  The file is the
 * scheduler's own, but it survives restarts and an operator may edit or
 * truncate it.  An accepted file must regenerate into both JSON forms,
 * and the raw form must parse back to the same statistics.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sched_stat.h"
#include "banned.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sched_stat	*s, *t;
	yajl_gen		 g;
	const unsigned char	*b;
	size_t			 l;

	if (len > 256 * 1024 || (s = calloc(2, sizeof(*s))) == NULL)
		return 0;
	t = s + 1;
	s->slots = t->slots = 4;
	if (sched_stat_parse(s, (const char *)data, len) == 0 &&
	    (g = json_gen_new()) != NULL) {
		sched_stat_gen_raw(s, g);
		(void)yajl_gen_get_buf(g, &b, &l);
		if (sched_stat_parse(t, (const char *)b, l) != 0 ||
		    memcmp(s->hist, t->hist, sizeof(s->hist)) != 0 ||
		    s->processed != t->processed || s->nlast != t->nlast)
			__builtin_trap();
		yajl_gen_free(g);
		if ((g = json_gen_new()) != NULL) {
			sched_stat_gen_old(s, g);
			yajl_gen_free(g);
		}
	}
	free(s);
	return 0;
}
