/*
 * serve.h - serving a request from the cache or from S3 by the site rules.
 */
#ifndef S3WWWD_SERVE_H
#define S3WWWD_SERVE_H

#include <stdint.h>

#include "conn.h"
#include "upstream.h"

/* Answer the parsed request in c->x->req (ops paths, OPTIONS, the site). */
void serve_request(struct conn *c);

/*
 * The tick while an S3 request is in progress: no response head within
 * s3.timeout, or no body progress for as long, ends it with 504.  Returns
 * 1 when it did.
 */
int serve_upstream_tick(struct conn *c, uint64_t now_ms);

/* The callbacks the worker gives the S3 engine and the connections. */
extern const struct upstream_ops serve_upstream_ops;
extern const struct conn_handler serve_handler;

#endif
