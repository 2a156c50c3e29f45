/*
 * conn.h - a client connection and the request in progress on it.
 *
 * A connection that is idle owns only its small struct conn.  While it is
 * reading or answering a request it borrows a struct xfer from the worker,
 * which holds every buffer the request needs (head, output, the signed
 * upstream request, the libcurl handle).  Memory per connection therefore has
 * a fixed ceiling whatever the object size, and ten thousand idle
 * connections cost little.
 */
#ifndef S3WWWD_CONN_H
#define S3WWWD_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "cache.h"
#include "http.h"
#include "s3.h"
#include "site.h"
#include "upstream.h"
#include "worker.h"

#define XFER_OUT_SIZE (64 * 1024)
#define XFER_ERRBODY 1024
#define XFER_FWD_MAX UPSTREAM_FWD_MAX

enum conn_state {
	CS_HANDSHAKE,  /* TLS handshake in progress */
	CS_IDLE,       /* keep-alive, waiting for the first byte */
	CS_HEAD,       /* reading a request head */
	CS_UPSTREAM,   /* an S3 request is in progress */
	CS_SEND,       /* a response is complete in the output buffer */
	CS_LINGER,     /* response sent, discarding input before close */
	CS_CLOSED
};

/*
 * What the current upstream request is for: a step of the site rules
 * (site.h), the readiness probe, or the revalidation of a cached copy.
 */
enum up_phase {
	PH_OBJECT = SITE_OBJECT,   /* the object the client asked for */
	PH_DIRCHECK = SITE_DIRCHECK, /* HEAD dir/index to decide on a redirect */
	PH_LIST = SITE_LIST,       /* directory listing */
	PH_SPA = SITE_SPA,         /* the single-page-app fallback */
	PH_ERRDOC = SITE_ERRDOC,   /* the custom 404 page */
	PH_SUFFIX = SITE_SUFFIX,   /* key + a suffix of site.try_suffixes */
	PH_READY,                  /* readiness probe */
	PH_REVAL                   /* HEAD with If-None-Match for a stale cached copy */
};

/* Upstream response headers we pass on. */
enum up_hdr {
	UH_CTYPE, UH_CLEN, UH_ETAG, UH_LASTMOD, UH_CC, UH_CENC, UH_CDISP,
	UH_CRANGE, UH_CLANG, UH_EXPIRES,
	UH_PASS,                /* the ones above are passed on to the client */
	UH_WEBREDIR = UH_PASS,  /* x-amz-website-redirect-location (AWS, Ceph) */
	UH_METAREDIR,           /* x-amz-meta-website-redirect-location (MinIO keeps it) */
	UH_N
};

struct xfer {
	struct xfer *next_free;
	struct http_request req;
	struct upstream_xfer up; /* the S3 request, owned by upstream.c */

	enum up_phase phase;
	int up_status;
	int up_headers_done;
	int up_streaming;  /* the response head went out; body follows */
	int up_answered;   /* answered from the head alone (a redirect): body dropped */
	uint64_t up_progress_ms;
	char uh[UH_N][256];
	char errbody[XFER_ERRBODY];
	size_t errbody_len;

	/* Cache: the entry a response is sent from, a stale entry being
	 * revalidated, and the copy of a body on its way into the cache. */
	struct cache_entry *ce;
	size_t ce_off, ce_end;
	struct cache_entry *reval;
	int fill;
	int known_missing; /* answered by a negative cache entry */
	int suffix_next;   /* the next of site.try_suffixes to try */
	char *fill_buf;
	size_t fill_len, fill_cap;

	/* The object key and what the request looked like. */
	char key[S3_KEY_MAX + 1];
	size_t keylen;
	int is_dir;

	size_t out_off;   /* first unsent byte */
	size_t out_len;   /* end of data */
	char out[XFER_OUT_SIZE];
	size_t in_size;
	char in[];        /* max_header_size bytes */
};

struct conn {
	struct conn *prev, *next; /* worker's list, or reap list */
	struct worker *w;
	int fd;
	SSL *ssl;
	int internal;     /* accepted on the ops listener */
	enum conn_state state;
	int readable, writable;
	int peer_closed;  /* the peer's FIN was seen: read until EOF */
	int flush_queued; /* on the worker's flush_list */
	struct conn *flush_next;
	uint64_t deadline_ms;
	uint64_t progress_ms; /* last time a send made progress */
	char peer[48];

	struct xfer *x;
	size_t in_len;    /* bytes in x->in */

	/* The current request. */
	int site;         /* which of the configuration's sites it is for */
	const struct worker_site *ws;
	int method;       /* enum http_method */
	int keep_alive;
	int draining_hint; /* the worker drains: close after this response */
	unsigned nrequests;
	int status;
	uint64_t body_sent;
	uint64_t req_start_ms;
	struct timespec req_start;
	int log_ready;    /* the request line was recorded for the log */
	char log_line[512];  /* request line, already escaped for the log */
	char log_ua[256];
	char log_ref[256];
};

/*
 * What serves a request once its head is parsed, set by the worker: the
 * connection knows how to read heads and send bytes, not what they mean.
 */
struct conn_handler {
	/* A request head is in c->x->req: answer it (the state follows). */
	void (*request)(struct conn *c);
	/* The periodic tick while an S3 request is in progress: 1 when it
	 * ended the request (a timeout), 0 otherwise. */
	int (*upstream_tick)(struct conn *c, uint64_t now_ms);
};

/* Accept-time set up; the fd is non-blocking and registered by the caller. */
struct conn *conn_new(struct worker *w, int fd, int internal, const char *peer);
/* An epoll event for this connection. */
void conn_event(struct conn *c, uint32_t events);
/* Deadline check, from the worker's tick. */
void conn_tick(struct conn *c);
/* Begin draining: answer the request in progress, then close. */
void conn_drain(struct conn *c);
/* Mark closed; the memory is released by conn_reap() outside callbacks. */
void conn_close(struct conn *c);
void conn_reap(struct worker *w);

/* Advance the state machine as far as the socket allows. */
void conn_run(struct conn *c);

/*
 * Send what is buffered.  Returns 1 when the buffer is empty, 0 when the
 * socket is full, -1 after closing a connection that failed.
 */
int conn_flush(struct conn *c);
/* Send later, once libcurl returns: see serve.c's body callback. */
void conn_flush_later(struct conn *c);
/* Send what was queued with conn_flush_later() (libcurl's turn ended). */
void conn_flush_pending(void *worker);

/*
 * Start an S3 request for the connection's request in `phase` (see
 * upstream_start()); resets what the previous answer left in the xfer.
 * Returns 0 or -1.
 */
int conn_upstream_start(struct conn *c, enum up_phase phase, const char *method,
    const char *key, size_t keylen, const char *query, const char *const *fwd);

#endif
