/*
 * api_upload.h - the api's two multipart uploads: POST /api/file (one
 * part "file", stored as it is) and POST /api/usecases/{ucid}/workflows
 * (the workflow source and extra files, zipped, inspected by the
 * scheduler in a sandbox, then stored and versioned).  The caller (api.c)
 * authenticates, checks the admin right for workflows, and feeds the body
 * as libmicrohttpd hands it over; see api_upload.c for the rules.
 */
#ifndef API_UPLOAD_H
#define API_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

enum upload_kind { UPLOAD_FILE, UPLOAD_WORKFLOW };
struct upload;
struct bchan;
/* Begin a multipart upload with Content-Type ctype; NULL with *http_status (e.g. 415/422) and a detail message on refusal. */
struct upload *upload_new(enum upload_kind kind, const char *ctype, uint64_t max_bytes, int *http_status, char *detail, size_t dlen);
/* Feed body bytes; 0, or -1 with *http_status (413 over max_bytes, 422 malformed) and detail. */
int upload_feed(struct upload *, const uint8_t *p, size_t n, int *http_status, char *detail, size_t dlen);
/* The body is complete: do the work through the broker; returns the HTTP status and a heap JSON body in *body (caller frees). ucid is the use case of a workflow upload (NULL for UPLOAD_FILE). */
int upload_finish(struct upload *, struct bchan *, const char *ucid, char **body, size_t *blen);
void upload_free(struct upload *);

#endif /* API_UPLOAD_H */
