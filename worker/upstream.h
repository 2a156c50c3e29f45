/*
 * upstream.h - libcurl's multi-socket interface on the worker's epoll loop.
 *
 * One multi handle per worker, created after fork.  Its sockets and its
 * timer live in the worker's epoll set; transfers report back to their
 * connection through the conn_up_* callbacks.
 */
#ifndef S3WWWD_UPSTREAM_H
#define S3WWWD_UPSTREAM_H

#include <stdint.h>

#include "worker.h"

struct conn;

int upstream_init(struct worker *w);
void upstream_cleanup(struct worker *w);

/*
 * Start an S3 request for connection c: method "GET" or "HEAD" on key (raw
 * bytes), forwarding the header lines in fwd (NULL-terminated, unsigned).
 * query is an encoded query string or NULL.  Returns 0 or -1.
 */
int upstream_start(struct conn *c, const char *method, const char *key, size_t keylen,
    const char *query, const char *const *fwd);

/* Remove c's transfer from the multi handle (never from a callback). */
void upstream_stop(struct conn *c);

/* Resume a paused transfer once the client has room again. */
void upstream_resume(struct conn *c);

/* Event dispatch from the loop. */
void upstream_socket_event(struct worker *w, int fd, uint32_t events);

/*
 * libcurl's timer lives in the loop's epoll_wait timeout rather than in a
 * timerfd, which would cost a timerfd_settime per request.
 * upstream_wait_ms() is the timeout to wait with (-1: none);
 * upstream_run_expired() runs libcurl's timeout once it is due.
 */
int upstream_wait_ms(struct worker *w);
void upstream_run_expired(struct worker *w);
/* Run libcurl's zero-length timeouts requested during this loop turn. */
void upstream_run_due(struct worker *w);

#endif
