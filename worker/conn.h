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

#include "http.h"
#include "s3.h"
#include "worker.h"

#define XFER_OUT_SIZE (64 * 1024)
#define XFER_ERRBODY 1024
#define XFER_FWD_MAX 6

enum conn_state {
	CS_HANDSHAKE,  /* TLS handshake in progress */
	CS_IDLE,       /* keep-alive, waiting for the first byte */
	CS_HEAD,       /* reading a request head */
	CS_UPSTREAM,   /* an S3 request is in progress */
	CS_SEND,       /* a response is complete in the output buffer */
	CS_LINGER,     /* response sent, discarding input before close */
	CS_CLOSED
};

/* What the current upstream request is for. */
enum up_phase {
	PH_OBJECT,   /* the object the client asked for */
	PH_DIRCHECK, /* HEAD dir/index to decide on a redirect */
	PH_SPA,      /* the single-page-app fallback */
	PH_ERRDOC,   /* the custom 404 page */
	PH_READY,    /* readiness probe */
	PH_LIST,     /* directory listing */
	PH_REVAL     /* HEAD with If-None-Match for a stale cached copy */
};

/* Upstream response headers we pass on. */
enum up_hdr {
	UH_CTYPE, UH_CLEN, UH_ETAG, UH_LASTMOD, UH_CC, UH_CENC, UH_CDISP,
	UH_CRANGE, UH_CLANG, UH_EXPIRES, UH_N
};

struct xfer {
	struct xfer *next_free;
	CURL *easy;
	struct http_request req;
	struct s3_request s3;
	char fwd_lines[XFER_FWD_MAX][320];
	struct curl_slist fwd[XFER_FWD_MAX];

	enum up_phase phase;
	int up_status;
	int up_headers_done;
	int up_paused;
	int up_streaming;  /* the response head went out; body follows */
	int up_active;     /* added to the multi handle */
	uint64_t up_start_ms;
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

/* Upstream callbacks into the connection (see upstream.c). */
size_t conn_up_header(struct conn *c, const char *p, size_t n);
size_t conn_up_body(struct conn *c, const char *p, size_t n);
/* Send what conn_up_body() queued during a libcurl call; call after each. */
void conn_flush_pending(struct worker *w);
void conn_up_done(struct conn *c, CURLcode rc);

#endif
