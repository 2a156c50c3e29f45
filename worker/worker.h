/*
 * worker.h - a worker process: one epoll loop that accepts on its listening
 * socket (its own, or one shared by all workers), parses requests, and
 * streams objects from S3 through libcurl's multi-socket interface.
 */
#ifndef S3WWWD_WORKER_H
#define S3WWWD_WORKER_H

#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "cache.h"
#include "upstream.h"
#include "wconf.h"

struct conn;
struct xfer;

/*
 * epoll data tags: pointers are 8-aligned, so the low bits are free.  A
 * main listener's tag carries its descriptor above the low bits, as a
 * libcurl socket's does, since a worker may accept on several.
 */
#define EV_TAG_CONN 0u
#define EV_TAG_LISTEN 1u
#define EV_TAG_SIGNAL 2u
#define EV_TAG_TICK 3u
#define EV_TAG_CURLSOCK 5u
#define EV_TAG_ILISTEN 6u
#define EV_TAG_MASK 7u

struct conn_handler;

struct worker {
	const struct worker_conf *conf;
	const struct conn_handler *handler; /* what answers a parsed request */
	int epfd;
	int lfd;          /* main listener (own or shared), -1 once closed */
	int shared;       /* ... and other workers accept on it too */
	int *extra;       /* listeners being retired: accepted from until shut */
	int nextra;
	int ifd;          /* internal listener for ops paths, or -1 */
	int ops_listener; /* there is one: the ops paths answer only there */
	int sigfd;
	int tickfd;       /* periodic timer for connection deadlines */
	int ready_fd;     /* pipe to the master: "this worker accepts" */
	int access_fd;    /* access log, -1 when off */
	SSL_CTX *tls;
	struct upstream up;  /* libcurl's multi handle on this loop */

	uint64_t now_ms;   /* CLOCK_MONOTONIC, updated once per loop turn */
	time_t now_wall;
	char date[32];     /* IMF-fixdate of now_wall, for Date: */
	char logtime[40];  /* the same second for the access log */
	char logtime_iso[32];
	int access_log_failed; /* reported once, not per line */

	int accepting;
	int draining;
	uint64_t drain_deadline;
	uint64_t accept_resume_ms; /* after EMFILE, when to try again */

	struct conn *conns;   /* every open connection */
	struct conn *reap;    /* closed, to be freed outside callbacks */
	struct conn *flush_list; /* output queued during a libcurl call */
	int nconns;
	struct xfer *free_xfers;
	int nfree_xfers;

	struct cache cache;
	int caching;

	/* Readiness result, shared by all /readyz requests for a moment. */
	uint64_t ready_at_ms;
	int ready_ok;
	char ready_reason[128];
};

/*
 * Run a worker until it has drained after SIGTERM.  Never returns; exits
 * the process with 0 after a clean drain, non-zero on a fatal error.  conf
 * is what the master built for this generation (wconf.h).
 */
void worker_main(const struct worker_conf *conf, const struct worker_fds *fds)
    __attribute__((noreturn));

#endif
