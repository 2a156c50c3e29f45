/*
 * upstream.h - S3 requests on the worker's epoll loop, through libcurl's
 * multi-socket interface.
 *
 * One struct upstream per worker, created after fork.  libcurl's sockets
 * and its timer live in the worker's epoll set.  The engine knows nothing
 * of connections: like nginx's upstream calling its modules, it reports
 * each transfer's response through a small table of callbacks given at
 * start-up (header line, body chunk, done) with the context pointer given
 * to upstream_start().  The caller embeds a struct upstream_xfer in
 * whatever it keeps per request; the engine owns that part only.
 */
#ifndef S3WWWD_UPSTREAM_H
#define S3WWWD_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "s3.h"
#include "sigv4.h"
#include "wconf.h"

#define UPSTREAM_FWD_MAX 6

struct upstream;

struct upstream_ops {
	/* One response header line, the status line first (libcurl's header callback). */
	size_t (*header)(void *ctx, const char *line, size_t n);
	/* Body bytes; may return CURL_WRITEFUNC_PAUSE, or less than n to abort. */
	size_t (*body)(void *ctx, const char *p, size_t n);
	/* The transfer ended; rc is libcurl's result.  Never called after
	 * upstream_stop(). */
	void (*done)(void *ctx, CURLcode rc);
	/* After each call into libcurl, which may have run several body
	 * callbacks: the owner sends what they queued. */
	void (*flush)(void *owner);
};

/* One transfer: the part of a request the engine owns. */
struct upstream_xfer {
	CURL *easy;
	struct s3_request s3;
	char fwd_lines[UPSTREAM_FWD_MAX][320];
	struct curl_slist fwd[UPSTREAM_FWD_MAX];
	struct upstream *u;
	void *ctx;
	int tls_site;     /* 1 + the site whose TLS settings the handle has, 0: none */
	int active;       /* added to the multi handle */
	int paused;       /* the body callback asked to pause */
	uint64_t start_ms;
};

struct upstream {
	CURLM *multi;
	int epfd;
	uint64_t tag;            /* epoll data of a libcurl socket: (fd << 3) | tag */
	const struct upstream_ops *ops;
	void *owner;
	const struct worker_conf *conf;
	struct sigv4_ctx *sig;   /* a copy per site: each caches the day's signing key */
	const char *proxy_http;  /* from the environment, read once */
	const char *proxy_https;
	const char *noproxy;     /* "" when the environment names none */
	/*
	 * Per site, the endpoint's origin parsed once (s3_endpoint_origin()),
	 * handed to libcurl with only the request target set per request; NULL
	 * where a proxy applies, which needs the whole URL in the request.
	 */
	CURLU **origin;
	uint64_t deadline_ms;    /* libcurl's next timeout, 0 for none */
	int timeout_now;         /* libcurl asked for a timeout of 0 */
	unsigned char *fds;      /* per descriptor: UFD_* bits */
	size_t nfds;
	int active;              /* transfers in the multi handle */
};

int upstream_init(struct upstream *u, int epfd, uint64_t tag, const struct worker_conf *conf,
    const struct upstream_ops *ops, void *owner);
void upstream_cleanup(struct upstream *u);

/*
 * Start an S3 request to the bucket of site (an index into the worker
 * configuration's sites): method "GET" or "HEAD" on key (raw bytes), with the
 * header lines in fwd (NULL-terminated, unsigned, at most UPSTREAM_FWD_MAX)
 * sent after the signed ones.  query is an encoded query string or NULL.
 * Returns 0 or -1.
 */
int upstream_start(struct upstream *u, struct upstream_xfer *ux, void *ctx, int site,
    const char *method, const char *key, size_t keylen, const char *query,
    const char *const *fwd, time_t now_wall, uint64_t now_ms);

/* Take a transfer out of the multi handle (never from a callback). */
void upstream_stop(struct upstream *u, struct upstream_xfer *ux);

/* Resume a paused transfer once the client has room again. */
void upstream_resume(struct upstream *u, struct upstream_xfer *ux);

/* Free the transfer's libcurl handle (when the request memory is freed). */
void upstream_xfer_free(struct upstream_xfer *ux);

/* An epoll event on one of libcurl's sockets. */
void upstream_socket_event(struct upstream *u, int fd, uint32_t events);

/*
 * libcurl's timer lives in the loop's epoll_wait timeout rather than in a
 * timerfd, which would cost a timerfd_settime per request.
 * upstream_wait_ms() is the timeout to wait with (-1: none);
 * upstream_run_expired() runs libcurl's timeout once it is due;
 * upstream_run_due() runs the zero-length timeouts requested during this
 * turn of the loop (timeout_now says whether one is pending).
 */
int upstream_wait_ms(struct upstream *u);
void upstream_run_expired(struct upstream *u, uint64_t now_ms);
void upstream_run_due(struct upstream *u);

#endif
