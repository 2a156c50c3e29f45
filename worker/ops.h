/*
 * ops.h - the operations endpoints: health, readiness, metrics.
 */
#ifndef S3WWWD_OPS_H
#define S3WWWD_OPS_H

#include <curl/curl.h>

#include "conn.h"

/*
 * Answer the request if it is for an ops path on a listener that serves
 * them, or anything on the ops listener (404).  Returns 1 when answered
 * (or a readiness check started), 0 when the request is the site's.
 */
int ops_request(struct conn *c);

/* The readiness check's S3 request ended: answer the probe. */
void ops_ready_done(struct conn *c, CURLcode rc);

#endif
