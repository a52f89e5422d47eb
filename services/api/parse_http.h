/*
 * parse_http.h - the api's parsers of untrusted HTTP input that
 * libmicrohttpd does not parse for us: multipart/form-data (streaming),
 * application/x-www-form-urlencoded bodies, the Cookie header, and query
 * values.  Each is bounded, never allocates without a cap, and has a
 * libFuzzer harness in fuzz/.
 */
#ifndef PARSE_HTTP_H
#define PARSE_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* ---- multipart/form-data, streamed ---------------------------------- */

#define MP_NAME_MAX	256	/* a part's field name or file name */

struct mp_callbacks {
	/* A part begins: its field name, file name ("" when absent; NULL
	 * when the part had no filename parameter) and Content-Type ("" if
	 * absent).  Return 0 to go on, -1 to stop (multipart_feed fails). */
	int	(*part_begin)(void *arg, const char *name,
		    const char *filename, const char *ctype);
	/* Some bytes of the current part's body, in order. */
	int	(*part_data)(void *arg, const uint8_t *p, size_t n);
	/* The current part ended. */
	int	(*part_end)(void *arg);
};

struct multipart;

/*
 * A parser for a body whose Content-Type header is ctype (the whole
 * header value).  NULL when ctype is not multipart/form-data with a valid
 * boundary (1..70 characters), with a reason in *why.
 */
struct multipart *multipart_new(const char *ctype,
	    const struct mp_callbacks *, void *arg, const char **why);
/* Feed the next n bytes.  0, or -1 on malformed input or when a callback
 * refused (multipart_error() says which). */
int	 multipart_feed(struct multipart *, const uint8_t *p, size_t n);
/* The body ended: 0 if the closing boundary was seen, else -1. */
int	 multipart_finish(struct multipart *);
const char *multipart_error(const struct multipart *);
void	 multipart_free(struct multipart *);

/* ---- application/x-www-form-urlencoded ------------------------------ */

#define FORM_FIELDS_MAX	32

struct form_field {
	char	*name;		/* decoded, NUL-terminated */
	char	*value;		/* decoded, NUL-terminated (may hold NUL) */
	size_t	 vlen;
};

struct form {
	struct form_field	f[FORM_FIELDS_MAX];
	size_t			n;
};

/* Parse body (len bytes, + as space, %XX decoded).  0, or -1 on malformed
 * input (bad escape, too many fields, a name containing NUL). */
int	 form_parse(const char *body, size_t len, struct form *);
/* The first value of name, or NULL. */
const char *form_get(const struct form *, const char *name, size_t *vlen);
/* Wipe (values may be passwords) and free. */
void	 form_free(struct form *);

/* ---- Cookie header -------------------------------------------------- */

/* The value of cookie name in a Cookie header value hdr (len bytes), into
 * out (NUL-terminated).  1 found, 0 absent, -1 malformed or too long. */
int	 cookie_get(const char *hdr, size_t len, const char *name,
	    char *out, size_t outlen);

/* ---- query values --------------------------------------------------- */

/* A decimal integer in [min, max] (optional sign, no spaces, no junk).
 * 0 or -1. */
int	 query_int(const char *s, long long min, long long max,
	    long long *out);
/* "true"/"false"/"1"/"0"/"yes"/"no"/"on"/"off" (any case, as FastAPI).
 * 0 or -1. */
int	 query_bool(const char *s, int *out);
/* A path segment that must be a 24-hex-digit id: 1 if it is. */
/*
 * A date-time as pydantic reads one: "YYYY-MM-DD" then 'T' or ' ' then
 * "HH:MM[:SS[.f{1,6}]]", optionally "Z" or "+HH:MM"/"-HH:MM", fields in
 * range.  Written to out in ISO form (the separator becomes 'T', the rest
 * kept).  0, or -1 (not a date-time, or out too small).
 */
int	 iso_datetime(const char *s, char *out, size_t outlen);

#endif /* PARSE_HTTP_H */
