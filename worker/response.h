/*
 * response.h - the heads and bodies of responses, written into a request's
 * output buffer (conn.c sends it).
 */
#ifndef S3WWWD_RESPONSE_H
#define S3WWWD_RESPONSE_H

#include <stddef.h>

#include "cache.h"
#include "conn.h"

/* The passed-on S3 headers' names, in enum up_hdr order. */
extern const char *const resp_header_names[UH_N];
/* For each enum cache_hdr, the enum up_hdr it is kept from. */
extern const int resp_cache_uh[CH_N];

/* The index in enum up_hdr of a header name (any case), or -1. */
int resp_header_index(const char *name, size_t len);

const char *resp_reason(int status);

/* Append to the output buffer; what does not fit is cut off. */
void resp_printf(struct xfer *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void resp_append(struct xfer *x, const char *p, size_t n);

/* The status line with Server and Date; then the caller's headers. */
void resp_head_start(struct conn *c, int status);
/* CORS headers, if the request's Origin is allowed by the site. */
void resp_cors(struct conn *c);
/* Connection handling and the blank line. */
void resp_head_end(struct conn *c);

/*
 * A whole response made here rather than by S3: errors, redirects, the
 * ops endpoints.  extra is more header lines ("Name: value\r\n"...) or NULL.
 */
void resp_send(struct conn *c, int status, const char *ctype, const char *extra,
    const char *body, size_t blen);
/* An HTML error page for status with the text detail. */
void resp_error(struct conn *c, int status, const char *detail);

/* The head of an object S3 is about to stream, from its headers in x->uh. */
void resp_stream_head(struct conn *c, int status);

/*
 * Answer from a cached object: its head, then its body straight from the
 * entry (held until the request is done), after the request's
 * preconditions (http_preconditions()).
 */
void resp_cached(struct conn *c, struct cache_entry *e);

#endif
