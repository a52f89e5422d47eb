/*
 * db_util.c - helpers shared by the db backends: collection names,
 * ObjectId-like ids, the check of field paths.
 */
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "db.h"
#include "banned.h"

static const char *const coll_names[] = {
#define X(id, name) name,
	DB_COLL_TABLE(X)
#undef X
};

const char *
db_coll_name(enum db_coll c)
{
	return (unsigned)c < DC_COUNT ? coll_names[c] : "?";
}

/*
 * Like a MongoDB ObjectId: 4 bytes of seconds (big-endian, so ids sort by
 * creation time), 5 random bytes chosen once per process, a 3-byte
 * counter that starts at a random value.
 */
void
db_new_id(char *id)
{
	static uint8_t	 rnd[5];
	static uint32_t	 counter;
	static int	 init;
	uint8_t		 b[12];
	uint32_t	 t = (uint32_t)time(NULL);

	if (!init) {
		randombytes_buf(rnd, sizeof(rnd));
		counter = randombytes_uniform(1U << 24);
		init = 1;
	}
	counter = (counter + 1) & 0xffffff;
	b[0] = (uint8_t)(t >> 24);
	b[1] = (uint8_t)(t >> 16);
	b[2] = (uint8_t)(t >> 8);
	b[3] = (uint8_t)t;
	memcpy(b + 4, rnd, 5);
	b[9] = (uint8_t)(counter >> 16);
	b[10] = (uint8_t)(counter >> 8);
	b[11] = (uint8_t)counter;
	util_hex(b, sizeof(b), id);
}

int
db_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != DB_ID_LEN)
		return 0;
	for (i = 0; i < DB_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
db_path_ok(const char *p)
{
	size_t	n = 0;
	int	comp = 0;

	if (p == NULL || *p == '\0' || *p == '.')
		return 0;
	for (; *p != '\0'; p++, n++) {
		if (n > 200)
			return 0;
		if (*p == '.') {
			if (comp == 0 || p[1] == '\0')
				return 0;
			comp = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
		comp++;
	}
	return 1;
}
