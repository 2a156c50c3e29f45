/*
 * conn.c - a client connection: reading request heads, the website logic
 * that turns a request into S3 requests, and streaming the answer back.
 *
 * Everything here runs in the worker's single thread.  Callbacks from
 * libcurl (conn_up_header, conn_up_body) may run while libcurl is inside
 * curl_multi_socket_action() or curl_easy_pause(), so they never remove a
 * transfer or free a connection: they only mark it, and the work happens in
 * conn_up_done() or conn_reap(), which run after libcurl has returned.
 */
#include "conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"
#include "upstream.h"

#define XFER_FREE_MAX 64
#define LINGER_MS 2000
#define DRAIN_IDLE_MS 1000

static void conn_run(struct conn *c);
static void not_found(struct conn *c, enum up_phase after);
static void fill_start(struct conn *c);
static void request_done(struct conn *c);

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static struct xfer *
xfer_get(struct worker *w)
{
	struct xfer *x = w->free_xfers;

	if (x != NULL) {
		w->free_xfers = x->next_free;
		w->nfree_xfers--;
	} else {
		size_t insz = (size_t)w->cfg->max_header_size;

		x = malloc(sizeof(*x) + insz);
		if (x == NULL)
			return NULL;
		x->easy = NULL;
		x->in_size = insz;
	}
	x->next_free = NULL;
	x->ce = x->reval = NULL;
	x->fill = 0;
	x->fill_buf = NULL;
	x->known_missing = 0;
	x->up_active = 0;
	x->up_streaming = 0;
	x->out_off = x->out_len = 0;
	return x;
}

/* Idle connections keep no buffers; a few are kept for the next request. */
static void
xfer_put(struct worker *w, struct xfer *x)
{
	if (w->nfree_xfers < XFER_FREE_MAX) {
		x->next_free = w->free_xfers;
		w->free_xfers = x;
		w->nfree_xfers++;
		return;
	}
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	free(x);
}

/* Let go of what a request held in the cache. */
static void
xfer_cache_done(struct worker *w, struct xfer *x)
{
	if (x->ce != NULL)
		cache_release(&w->cache, x->ce);
	if (x->reval != NULL)
		cache_release(&w->cache, x->reval);
	free(x->fill_buf);
	x->ce = x->reval = NULL;
	x->fill_buf = NULL;
	x->fill = 0;
	x->known_missing = 0;
}

struct conn *
conn_new(struct worker *w, int fd, int internal, const char *peer)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->w = w;
	c->fd = fd;
	c->internal = internal;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->state = CS_IDLE;
	c->deadline_ms = w->now_ms + (uint64_t)w->cfg->header_timeout_ms;
	if (w->tls != NULL && !internal) {
		c->ssl = tls_conn_new(w->tls, fd);
		if (c->ssl == NULL) {
			free(c);
			return NULL;
		}
		c->state = CS_HANDSHAKE;
	}
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	metrics_conn(1);
	return c;
}

void
conn_close(struct conn *c)
{
	struct worker *w = c->w;

	if (c->state == CS_CLOSED)
		return;
	c->state = CS_CLOSED;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	metrics_conn(-1);
	c->prev = NULL;
	c->next = w->reap;
	w->reap = c;
}

void
conn_reap(struct worker *w)
{
	struct conn *c;

	while ((c = w->reap) != NULL) {
		w->reap = c->next;
		if (c->flush_queued) {
			/* Never left there past a libcurl call; kept safe anyway. */
			struct conn **pp = &w->flush_list;

			while (*pp != NULL && *pp != c)
				pp = &(*pp)->flush_next;
			if (*pp == c)
				*pp = c->flush_next;
			c->flush_queued = 0;
		}
		if (c->x != NULL) {
			upstream_stop(c);
			xfer_cache_done(w, c->x);
			xfer_put(w, c->x);
		}
		if (c->ssl != NULL)
			tls_conn_free(c->ssl);
		close(c->fd);
		free(c);
	}
}

static ssize_t
io_read(struct conn *c, char *buf, size_t len)
{
	ssize_t n;

	if (c->ssl != NULL) {
		n = tls_read(c->ssl, buf, len);
		if (n == TLS_CLOSED)
			return 0;
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			return -2;
		return n;
	}
	n = read(c->fd, buf, len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return -2;
	return n;
}

static ssize_t
io_write(struct conn *c, const char *buf, size_t len)
{
	ssize_t n;

	if (c->ssl != NULL) {
		n = tls_write(c->ssl, buf, len);
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			return -2;
		return n < 0 ? -1 : n;
	}
	n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return -2;
	return n;
}

/*
 * Send what is buffered.  Returns 1 when the buffer is empty, 0 when the
 * socket is full, -1 after closing a connection that failed.
 */
static int
flush_out(struct conn *c)
{
	struct xfer *x = c->x;

	while (x->out_off < x->out_len) {
		ssize_t n;

		if (!c->writable)
			return 0;
		n = io_write(c, x->out + x->out_off, x->out_len - x->out_off);
		if (n == -2) {
			c->writable = 0;
			return 0;
		}
		if (n <= 0) {
			conn_close(c);
			return -1;
		}
		x->out_off += (size_t)n;
		c->progress_ms = c->w->now_ms;
	}
	x->out_off = x->out_len = 0;
	return 1;
}

static void
out_printf(struct xfer *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->out_len >= sizeof(x->out))
		return;
	va_start(ap, fmt);
	n = vsnprintf(x->out + x->out_len, sizeof(x->out) - x->out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		x->out_len += (size_t)n < sizeof(x->out) - x->out_len ? (size_t)n :
		    sizeof(x->out) - x->out_len - 1;
}

static void
out_append(struct xfer *x, const char *p, size_t n)
{
	if (n > sizeof(x->out) - x->out_len)
		n = sizeof(x->out) - x->out_len;
	memcpy(x->out + x->out_len, p, n);
	x->out_len += n;
}

static void
cors_headers(struct conn *c)
{
	const struct http_request *r = &c->x->req;

	if (r->origin.len == 0 || c->w->cfg->norigins == 0 ||
	    !config_origin_allowed(c->w->cfg, r->origin.p, r->origin.len))
		return;
	out_printf(c->x, "Access-Control-Allow-Origin: %.*s\r\nVary: Origin\r\n"
	    "Access-Control-Expose-Headers: Content-Length, Content-Range, ETag, "
	    "Last-Modified\r\n", (int)r->origin.len, r->origin.p);
}

static void
head_start(struct conn *c, int status)
{
	c->status = status;
	out_printf(c->x, "HTTP/1.1 %d %s\r\nServer: s3wwwd\r\nDate: %s\r\n", status,
	    reason(status), c->w->date);
}

static void
head_end(struct conn *c)
{
	if (!c->keep_alive)
		out_printf(c->x, "Connection: close\r\n\r\n");
	else if (c->x->req.version_minor == 0)
		out_printf(c->x, "Connection: keep-alive\r\n\r\n");
	else
		out_printf(c->x, "\r\n");
}

/*
 * A response made here rather than by S3: errors, redirects, the ops
 * endpoints.  The whole response goes into the output buffer.
 */
static void
respond(struct conn *c, int status, const char *ctype, const char *extra, const char *body,
    size_t blen)
{
	struct xfer *x = c->x;

	x->out_off = x->out_len = 0;
	if (c->draining_hint)
		c->keep_alive = 0;
	head_start(c, status);
	if (extra != NULL)
		out_printf(x, "%s", extra);
	cors_headers(c);
	out_printf(x, "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "X-Content-Type-Options: nosniff\r\n", ctype, blen);
	head_end(c);
	if (c->method != HTTP_M_HEAD && status != 304 && status != 204) {
		out_append(x, body, blen);
		c->body_sent = blen;
	}
	c->state = CS_SEND;
}

static void
respond_error(struct conn *c, int status, const char *detail)
{
	char body[512];
	int n;

	n = snprintf(body, sizeof(body), "<!DOCTYPE html>\n<html><head><title>%d %s</title>"
	    "</head><body><h1>%d %s</h1><p>%s</p></body></html>\n", status, reason(status),
	    status, reason(status), detail != NULL ? detail : "");
	respond(c, status, "text/html; charset=utf-8",
	    status == 405 ? "Allow: GET, HEAD, OPTIONS\r\nCache-Control: no-store\r\n" :
	    status == 503 ? "Retry-After: 1\r\nCache-Control: no-store\r\n" :
	    "Cache-Control: no-store\r\n", body, (size_t)n);
}

/*
 * Copy s into dst for the access log, escaping what could forge a line or
 * break the JSON: \xHH in the combined format, \u00HH in JSON.
 */
static void
log_escape(char *dst, size_t dstsz, const char *s, size_t len, int json)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len && o + 7 < dstsz; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			dst[o++] = '\\';
			if (json) {
				dst[o++] = 'u';
				dst[o++] = '0';
				dst[o++] = '0';
			} else {
				dst[o++] = 'x';
			}
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 15];
		} else {
			dst[o++] = (char)ch;
		}
	}
	dst[o] = '\0';
}

static enum metrics_method
metrics_method_of(int m)
{
	switch (m) {
	case HTTP_M_GET: return MET_GET;
	case HTTP_M_HEAD: return MET_HEAD;
	case HTTP_M_OPTIONS: return MET_OPTIONS;
	default: return MET_OTHER;
	}
}

static void
access_log(struct conn *c)
{
	struct worker *w = c->w;
	struct timespec end;
	double secs;
	char line[1536];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &end);
	secs = (double)(end.tv_sec - c->req_start.tv_sec) +
	    (double)(end.tv_nsec - c->req_start.tv_nsec) / 1e9;
	metrics_request(metrics_method_of(c->method), c->status, c->body_sent, secs);
	if (w->access_fd == -1)
		return;
	if (w->cfg->access_log_format == ACCESS_LOG_JSON)
		n = snprintf(line, sizeof(line), "{\"time\":\"%s\",\"remote\":\"%s\","
		    "\"request\":\"%s\",\"status\":%d,\"bytes\":%llu,\"duration\":%.6f,"
		    "\"referer\":\"%s\",\"user_agent\":\"%s\"}\n", w->logtime_iso, c->peer,
		    c->log_line, c->status, (unsigned long long)c->body_sent, secs, c->log_ref,
		    c->log_ua);
	else
		n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d %llu \"%s\" \"%s\" %.3f\n",
		    c->peer, w->logtime, c->log_line, c->status,
		    (unsigned long long)c->body_sent, c->log_ref, c->log_ua, secs);
	if (n > 0 && (size_t)n >= sizeof(line)) {
		line[sizeof(line) - 2] = '\n';
		n = sizeof(line) - 1;
	}
	/* A full disk must not stop the serving: the line is dropped. */
	if (n > 0 && write(w->access_fd, line, (size_t)n) == -1 && !w->access_log_failed) {
		w->access_log_failed = 1;
		log_error("access log write failed: %s", strerror(errno));
	}
}

/* Record the request for the access log as soon as it is known. */
static void
log_request(struct conn *c, const char *p, size_t len)
{
	const struct http_request *r = &c->x->req;
	int json = c->w->cfg->access_log_format == ACCESS_LOG_JSON;

	log_escape(c->log_line, sizeof(c->log_line), p, len, json);
	log_escape(c->log_ua, sizeof(c->log_ua), r->user_agent.p, r->user_agent.len, json);
	log_escape(c->log_ref, sizeof(c->log_ref), r->referer.p, r->referer.len, json);
}

/* The connection has no request any more: back to idle or closed. */
static void
conn_idle(struct conn *c)
{
	struct worker *w = c->w;

	c->state = CS_IDLE;
	c->log_line[0] = '\0';
	c->status = 0;
	if (c->in_len == 0 && c->x != NULL) {
		xfer_put(w, c->x);
		c->x = NULL;
	}
	c->deadline_ms = w->now_ms + (uint64_t)(w->draining ? DRAIN_IDLE_MS :
	    w->cfg->keepalive_timeout_ms);
}

static void
request_done(struct conn *c)
{
	struct xfer *x = c->x;
	size_t used = x->req.head_len;

	access_log(c);
	xfer_cache_done(c->w, x);
	c->body_sent = 0;
	if (!c->keep_alive) {
		/*
		 * Closing at once while the client may still be sending would
		 * make the kernel answer with a reset that can destroy the
		 * response in flight; half-close and drain for a moment.
		 */
		shutdown(c->fd, SHUT_WR);
		c->state = CS_LINGER;
		c->deadline_ms = c->w->now_ms + LINGER_MS;
		c->in_len = 0;
		return;
	}
	if (used > 0 && used <= c->in_len) {
		memmove(x->in, x->in + used, c->in_len - used);
		c->in_len -= used;
	} else {
		c->in_len = 0;
	}
	x->req.head_len = 0;
	conn_idle(c);
	if (c->in_len > 0) {
		/* A pipelined request is already here. */
		c->state = CS_HEAD;
		c->deadline_ms = c->w->now_ms + (uint64_t)c->w->cfg->header_timeout_ms;
	}
}

static int
path_is(const struct http_str *path, const char *want)
{
	return want[0] != '\0' && path->len == strlen(want) &&
	    memcmp(path->p, want, path->len) == 0;
}

static void
answer_ready(struct conn *c)
{
	struct worker *w = c->w;
	char body[192];
	int n;

	if (w->ready_ok) {
		respond(c, 200, "text/plain; charset=utf-8", "Cache-Control: no-store\r\n",
		    "ready\n", 6);
		return;
	}
	n = snprintf(body, sizeof(body), "not ready: %s\n", w->ready_reason);
	respond(c, 503, "text/plain; charset=utf-8", "Cache-Control: no-store\r\n", body,
	    (size_t)n);
}

static void
start_ready_check(struct conn *c)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	static const char *const fwd[] = { "Range: bytes=0-0", NULL };
	int n;

	/* One S3 round trip per second at most, whatever the probe rate. */
	if (w->ready_at_ms != 0 && w->now_ms - w->ready_at_ms < 1000) {
		answer_ready(c);
		return;
	}
	n = snprintf(x->key, sizeof(x->key), "%s%s", w->cfg->bucket_path,
	    w->cfg->index_document);
	x->keylen = (size_t)n;
	x->phase = PH_READY;
	c->state = CS_UPSTREAM;
	if (upstream_start(c, "GET", x->key, x->keylen, NULL, fwd) == -1) {
		snprintf(w->ready_reason, sizeof(w->ready_reason), "cannot build request");
		w->ready_ok = 0;
		answer_ready(c);
	}
}

static void
answer_metrics(struct conn *c)
{
	static char buf[48 * 1024];
	ssize_t n = metrics_render(buf, sizeof(buf));

	if (n < 0) {
		respond_error(c, 500, "metrics do not fit the buffer");
		return;
	}
	respond(c, 200, "text/plain; version=0.0.4; charset=utf-8",
	    "Cache-Control: no-store\r\n", buf, (size_t)n);
}

static void
answer_options(struct conn *c)
{
	const struct http_request *r = &c->x->req;
	const struct config *cfg = c->w->cfg;
	char extra[1024];

	if (r->origin.len == 0) {
		respond(c, 204, "text/plain", "Allow: GET, HEAD, OPTIONS\r\n", "", 0);
		return;
	}
	/* The default is to deny: no CORS headers unless the origin is listed. */
	if (cfg->norigins == 0 || !config_origin_allowed(cfg, r->origin.p, r->origin.len) ||
	    (r->ac_request_method.len > 0 &&
	    !(r->ac_request_method.len == 3 && memcmp(r->ac_request_method.p, "GET", 3) == 0) &&
	    !(r->ac_request_method.len == 4 && memcmp(r->ac_request_method.p, "HEAD", 4) == 0))) {
		respond_error(c, 403, "CORS request not allowed");
		return;
	}
	snprintf(extra, sizeof(extra), "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
	    "Access-Control-Allow-Headers: %.*s\r\nAccess-Control-Max-Age: 86400\r\n",
	    r->ac_request_headers.len > 0 ? (int)r->ac_request_headers.len : 5,
	    r->ac_request_headers.len > 0 ? r->ac_request_headers.p : "Range");
	respond(c, 204, "text/plain", extra, "", 0);
}

/* Copy a conditional header for S3 to evaluate, if it is well-formed. */
static void
add_fwd(const char **fwd, int *n, char *store, size_t storesz, const char *name,
    const struct http_str *v)
{
	if (v->len == 0 || v->len + strlen(name) + 3 > storesz)
		return;
	snprintf(store, storesz, "%s: %.*s", name, (int)v->len, v->p);
	fwd[(*n)++] = store;
}

static void
start_object(struct conn *c)
{
	struct xfer *x = c->x;
	const struct http_request *r = &x->req;
	const char *fwd[XFER_FWD_MAX + 1];
	static char store[XFER_FWD_MAX][320];
	struct http_range range;
	int n = 0;

	/*
	 * S3 evaluates ranges and preconditions itself, against the object's
	 * real ETag and date; forwarding them keeps one source of truth.  A
	 * Range we would ignore (several ranges, bad syntax) is not sent, so the
	 * whole object comes back, as RFC 9110 allows.
	 */
	if (r->range.len > 0 && http_parse_range(r->range.p, r->range.len, &range) ==
	    HTTP_RANGE_OK) {
		add_fwd(fwd, &n, store[0], sizeof(store[0]), "Range", &r->range);
		add_fwd(fwd, &n, store[1], sizeof(store[1]), "If-Range", &r->if_range);
	}
	add_fwd(fwd, &n, store[2], sizeof(store[2]), "If-None-Match", &r->if_none_match);
	add_fwd(fwd, &n, store[3], sizeof(store[3]), "If-Match", &r->if_match);
	add_fwd(fwd, &n, store[4], sizeof(store[4]), "If-Modified-Since",
	    &r->if_modified_since);
	if (x->reval != NULL && n < XFER_FWD_MAX) {
		/* Ask S3 whether our stale copy is still the object. */
		snprintf(store[1], sizeof(store[1]), "If-None-Match: %s", x->reval->hdr[CH_ETAG]);
		fwd[n++] = store[1];
	}
	add_fwd(fwd, &n, store[5], sizeof(store[5]), "If-Unmodified-Since",
	    &r->if_unmodified_since);
	fwd[n] = NULL;
	x->phase = PH_OBJECT;
	c->state = CS_UPSTREAM;
	if (upstream_start(c, c->method == HTTP_M_HEAD ? "HEAD" : "GET", x->key, x->keylen,
	    NULL, fwd) == -1)
		respond_error(c, 500, "cannot build the upstream request");
}

/* The header values a cached object keeps, in enum cache_hdr order. */
static const int cache_uh[CH_N] = {
	UH_CTYPE, UH_ETAG, UH_LASTMOD, UH_CC, UH_CENC, UH_CDISP, UH_CLANG, UH_EXPIRES
};
static const char *const cache_hname[CH_N] = {
	"Content-Type", "ETag", "Last-Modified", "Cache-Control", "Content-Encoding",
	"Content-Disposition", "Content-Language", "Expires"
};

/*
 * Evaluate the request's preconditions against a cached object, in the
 * order of RFC 9110 section 13.2.2, as S3 would have: returns 200, 206,
 * 304, 412 or 416, with the byte range to send for 200 and 206.
 */
static int
cache_status(const struct http_request *r, const struct cache_entry *e, int64_t *start,
    int64_t *end)
{
	const char *etag = e->hdr[CH_ETAG];
	time_t lm = 0, t;
	int have_lm = e->hdr[CH_LASTMOD][0] != '\0' &&
	    http_parse_date(e->hdr[CH_LASTMOD], strlen(e->hdr[CH_LASTMOD]), &lm) == 0;
	struct http_range range;

	*start = 0;
	*end = (int64_t)e->size - 1;
	if (r->if_match.len > 0 &&
	    !http_etag_match(r->if_match.p, r->if_match.len, etag, strlen(etag), 0))
		return 412;
	if (r->if_match.len == 0 && r->if_unmodified_since.len > 0 && have_lm &&
	    http_parse_date(r->if_unmodified_since.p, r->if_unmodified_since.len, &t) == 0 &&
	    lm > t)
		return 412;
	if (r->if_none_match.len > 0) {
		if (http_etag_match(r->if_none_match.p, r->if_none_match.len, etag, strlen(etag),
		    1))
			return 304;
	} else if (r->if_modified_since.len > 0 && have_lm &&
	    http_parse_date(r->if_modified_since.p, r->if_modified_since.len, &t) == 0 &&
	    lm <= t) {
		return 304;
	}
	/* An empty object has no bytes to range over: it is sent whole. */
	if (r->range.len == 0 || e->size == 0 ||
	    http_parse_range(r->range.p, r->range.len, &range) != HTTP_RANGE_OK)
		return 200;
	if (r->if_range.len > 0) {
		/* If-Range: the range applies only to the representation named. */
		if (r->if_range.p[0] == '"' || (r->if_range.len > 2 && r->if_range.p[0] == 'W')) {
			if (!http_etag_match(r->if_range.p, r->if_range.len, etag, strlen(etag), 0))
				return 200;
		} else if (!have_lm || http_parse_date(r->if_range.p, r->if_range.len, &t) == -1 ||
		    lm != t) {
			return 200;
		}
	}
	if (http_range_resolve(&range, (int64_t)e->size, start, end) == -1)
		return 416;
	return 206;
}

/* Answer from a cached object: the head, then the body straight from it. */
static void
serve_entry(struct conn *c, struct cache_entry *e)
{
	struct xfer *x = c->x;
	int64_t start, end;
	int st = cache_status(&x->req, e, &start, &end), i;

	if (st == 412 || st == 416) {
		if (st == 416) {
			char extra[64];

			snprintf(extra, sizeof(extra), "Content-Range: bytes */%zu\r\n", e->size);
			respond(c, 416, "text/html; charset=utf-8", extra, "", 0);
		} else {
			respond_error(c, 412, "precondition failed");
		}
		return;
	}
	x->out_off = x->out_len = 0;
	head_start(c, st);
	for (i = 0; i < CH_N; i++) {
		if (e->hdr[i][0] == '\0')
			continue;
		if (st == 304 && i != CH_ETAG && i != CH_LASTMOD && i != CH_CC && i != CH_EXPIRES)
			continue;
		out_printf(x, "%s: %s\r\n", cache_hname[i], e->hdr[i]);
	}
	if (st != 304) {
		if (e->hdr[CH_CTYPE][0] == '\0')
			out_printf(x, "Content-Type: application/octet-stream\r\n");
		if (st == 206)
			out_printf(x, "Content-Range: bytes %lld-%lld/%zu\r\n", (long long)start,
			    (long long)end, e->size);
		out_printf(x, "Content-Length: %lld\r\nAccept-Ranges: bytes\r\n",
		    (long long)(end - start + 1));
	}
	cors_headers(c);
	head_end(c);
	x->ce = e;
	cache_hold(e);
	x->ce_off = x->ce_end = 0;
	if (st != 304 && c->method != HTTP_M_HEAD && e->size > 0) {
		x->ce_off = (size_t)start;
		x->ce_end = (size_t)end + 1;
	}
	c->state = CS_SEND;
}

/* Ask S3 whether the stale copy in x->reval is still the object. */
static void
start_reval(struct conn *c)
{
	struct xfer *x = c->x;
	static char line[320];
	const char *fwd[2];

	snprintf(line, sizeof(line), "If-None-Match: %s", x->reval->hdr[CH_ETAG]);
	fwd[0] = line;
	fwd[1] = NULL;
	x->phase = PH_REVAL;
	c->state = CS_UPSTREAM;
	if (upstream_start(c, "HEAD", x->key, x->keylen, NULL, fwd) == -1)
		respond_error(c, 500, "cannot build the upstream request");
}

/*
 * Look the object up in the cache.  Returns 1 when the request was answered
 * from it.  Otherwise the request goes to S3, marked to fill the cache when
 * it asks for the whole object, and to revalidate a stale copy.
 */
static int
try_cache(struct conn *c)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	const struct http_request *r = &x->req;
	struct cache_entry *e = cache_get(&w->cache, x->key, x->keylen);
	int plain = c->method == HTTP_M_GET && r->range.len == 0 && r->if_match.len == 0 &&
	    r->if_none_match.len == 0 && r->if_modified_since.len == 0 &&
	    r->if_unmodified_since.len == 0;

	if (e != NULL && w->now_ms < e->fresh_until_ms) {
		w->cache.hits++;
		metrics_cache(1);
		if (e->negative) {
			/* Known missing: straight to the fallbacks. */
			x->known_missing = 1;
			not_found(c, PH_DIRCHECK);
		}
		else
			serve_entry(c, e);
		return 1;
	}
	w->cache.misses++;
	metrics_cache(0);
	if (!plain) {
		/*
		 * A range, a conditional or a HEAD for a stale copy: ask S3
		 * with a HEAD whether the copy is current, and answer from it.
		 * Sending the request on instead would leave the copy stale
		 * for as long as only such requests come, which for media
		 * (ranges only) is for ever.
		 */
		if (e != NULL && !e->negative && e->hdr[CH_ETAG][0] != '\0' &&
		    (c->method == HTTP_M_GET || c->method == HTTP_M_HEAD)) {
			x->reval = e;
			cache_hold(e);
			start_reval(c);
			return 1;
		}
		return 0;
	}
	x->fill = 1;
	if (e != NULL && e->hdr[CH_ETAG][0] != '\0') {
		x->reval = e;
		cache_hold(e);
	}
	return 0;
}

/* The whole object arrived: keep it. */
static void
cache_fill_done(struct conn *c)
{
	struct xfer *x = c->x;
	const char *hdr[CH_N];
	int i;

	if (x->fill_buf == NULL || x->fill_len != x->fill_cap || x->up_status != 200)
		return;
	for (i = 0; i < CH_N; i++)
		hdr[i] = x->uh[cache_uh[i]];
	cache_put(&c->w->cache, x->key, x->keylen, hdr, x->fill_buf, x->fill_len,
	    c->w->now_ms);
}

/* Fetch key for a fallback phase (no client conditionals apply to it). */
static void
start_phase(struct conn *c, enum up_phase phase, const char *method, const char *key)
{
	struct xfer *x = c->x;

	x->phase = phase;
	c->state = CS_UPSTREAM;
	if (upstream_start(c, method, key, strlen(key), NULL, NULL) == -1)
		respond_error(c, 500, "cannot build the upstream request");
}

static void
handle_request(struct conn *c)
{
	struct worker *w = c->w;
	const struct config *cfg = w->cfg;
	struct xfer *x = c->x;
	const struct http_request *r = &x->req;
	ssize_t klen;
	int ops;

	c->nrequests++;
	c->method = r->method;
	c->keep_alive = r->keep_alive && !w->draining &&
	    c->nrequests < (unsigned)cfg->keepalive_requests;
	c->draining_hint = 0;
	clock_gettime(CLOCK_MONOTONIC, &c->req_start);
	c->req_start_ms = w->now_ms;
	c->body_sent = 0;

	/* The ops paths answer on the ops listener when there is one. */
	ops = c->internal || !w->ops_listener;
	if (ops && path_is(&r->path, cfg->healthz_path)) {
		respond(c, 200, "text/plain; charset=utf-8", "Cache-Control: no-store\r\n",
		    "ok\n", 3);
		return;
	}
	if (ops && path_is(&r->path, cfg->readyz_path)) {
		start_ready_check(c);
		return;
	}
	if (ops && path_is(&r->path, cfg->metrics_path)) {
		answer_metrics(c);
		return;
	}
	if (c->internal) {
		respond_error(c, 404, "not an ops path");
		return;
	}
	if (r->method == HTTP_M_OPTIONS) {
		answer_options(c);
		return;
	}
	if (r->method != HTTP_M_GET && r->method != HTTP_M_HEAD) {
		respond_error(c, 405, "only GET, HEAD and OPTIONS are served");
		return;
	}
	klen = http_path_to_key(r->path.p, r->path.len, cfg->bucket_path, x->key,
	    sizeof(x->key), &x->is_dir);
	if (klen < 0) {
		respond_error(c, 400, "invalid path");
		return;
	}
	x->keylen = (size_t)klen;
	if (x->is_dir) {
		size_t il = strlen(cfg->index_document);

		if (x->keylen + il >= sizeof(x->key)) {
			respond_error(c, 414, "path too long");
			return;
		}
		memcpy(x->key + x->keylen, cfg->index_document, il + 1);
		x->keylen += il;
	}
	if (w->caching && try_cache(c))
		return;
	start_object(c);
}

static int
tracked_header(const char *name, size_t len)
{
	static const char *const names[UH_N] = {
		"content-type", "content-length", "etag", "last-modified", "cache-control",
		"content-encoding", "content-disposition", "content-range", "content-language",
		"expires"
	};
	int i;

	for (i = 0; i < UH_N; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
			return i;
	return -1;
}

/* Send the response head for an object S3 is about to stream. */
static void
stream_head(struct conn *c, int status)
{
	struct xfer *x = c->x;
	static const char *const names[UH_N] = {
		"Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control",
		"Content-Encoding", "Content-Disposition", "Content-Range", "Content-Language",
		"Expires"
	};
	int i;

	if (status != 304 && x->uh[UH_CLEN][0] == '\0' && c->method != HTTP_M_HEAD)
		c->keep_alive = 0; /* the end of the body is the end of the connection */
	x->out_off = x->out_len = 0;
	head_start(c, status);
	for (i = 0; i < UH_N; i++) {
		if (x->uh[i][0] == '\0')
			continue;
		if (status == 304 && i != UH_ETAG && i != UH_LASTMOD && i != UH_CC &&
		    i != UH_EXPIRES)
			continue;
		if (i == UH_CRANGE && status != 206)
			continue;
		out_printf(x, "%s: %s\r\n", names[i], x->uh[i]);
	}
	if (status != 304 && x->uh[UH_CTYPE][0] == '\0')
		out_printf(x, "Content-Type: application/octet-stream\r\n");
	if (status != 304)
		out_printf(x, "Accept-Ranges: bytes\r\n");
	cors_headers(c);
	head_end(c);
	x->up_streaming = 1;
}

/* Prepare to copy an object that fits the cache as it streams past. */
static void
fill_start(struct conn *c)
{
	struct xfer *x = c->x;
	char *end;
	unsigned long long len;

	x->fill = 0;
	if (x->uh[UH_CLEN][0] == '\0')
		return;
	len = strtoull(x->uh[UH_CLEN], &end, 10);
	if (*end != '\0' || len > c->w->cache.max_object)
		return;
	x->fill_buf = malloc(len > 0 ? (size_t)len : 1);
	x->fill_cap = (size_t)len;
	x->fill_len = 0;
}

size_t
conn_up_header(struct conn *c, const char *p, size_t n)
{
	struct xfer *x = c->x;
	const char *colon, *v, *end;
	int i;

	if (c->state == CS_CLOSED || x == NULL)
		return 0;
	if (n >= 12 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', n);

		x->up_status = sp != NULL ? atoi(sp + 1) : 0;
		x->up_headers_done = 0;
		memset(x->uh, 0, sizeof(x->uh));
		return n;
	}
	if ((n == 2 && p[0] == '\r') || (n == 1 && p[0] == '\n')) {
		if (x->up_status < 200)
			return n; /* an interim response; the real one follows */
		x->up_headers_done = 1;
		x->up_progress_ms = c->w->now_ms;
		switch (x->phase) {
		case PH_OBJECT:
			if (x->reval != NULL && x->up_status == 304)
				break; /* our copy is current: served from it when done */
			if (x->fill && x->up_status == 200)
				fill_start(c);
			if (x->up_status == 200 || x->up_status == 206 || x->up_status == 304)
				stream_head(c, x->up_status);
			break;
		case PH_SPA:
			if (x->up_status == 200)
				stream_head(c, 200);
			break;
		case PH_ERRDOC:
			if (x->up_status == 200) {
				/* The page must not be cached as if it were the URL's content. */
				x->uh[UH_ETAG][0] = '\0';
				x->uh[UH_LASTMOD][0] = '\0';
				snprintf(x->uh[UH_CC], sizeof(x->uh[UH_CC]), "no-store");
				stream_head(c, 404);
			}
			break;
		default:
			break;
		}
		return n;
	}
	colon = memchr(p, ':', n);
	if (colon == NULL)
		return n;
	i = tracked_header(p, (size_t)(colon - p));
	if (i < 0)
		return n;
	v = colon + 1;
	end = p + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	if ((size_t)(end - v) < sizeof(x->uh[i])) {
		memcpy(x->uh[i], v, (size_t)(end - v));
		x->uh[i][end - v] = '\0';
	}
	return n;
}

/*
 * Copy accepted body bytes for the cache.  Only accepted ones: a chunk
 * refused with CURL_WRITEFUNC_PAUSE comes back again later.
 */
static void
fill_copy(struct xfer *x, const char *p, size_t n)
{
	if (x->fill_buf == NULL)
		return;
	if (x->fill_cap - x->fill_len >= n) {
		memcpy(x->fill_buf + x->fill_len, p, n);
		x->fill_len += n;
	} else {
		free(x->fill_buf); /* longer than announced: do not keep it */
		x->fill_buf = NULL;
	}
}

size_t
conn_up_body(struct conn *c, const char *p, size_t n)
{
	struct xfer *x = c->x;
	size_t room;

	if (c->state == CS_CLOSED || x == NULL)
		return 0; /* aborts the transfer */
	x->up_progress_ms = c->w->now_ms;
	if (x->phase == PH_LIST && x->up_status == 200) {
		/* A listing is gathered whole; one too large is refused later. */
		room = sizeof(x->out) - x->out_len;
		if (n >= room) {
			x->out_len = sizeof(x->out);
			return n;
		}
		memcpy(x->out + x->out_len, p, n);
		x->out_len += n;
		return n;
	}
	if (!x->up_streaming) {
		/* An error body: keep the start of it for the S3 error code. */
		room = sizeof(x->errbody) - 1 - x->errbody_len;
		if (room > n)
			room = n;
		memcpy(x->errbody + x->errbody_len, p, room);
		x->errbody_len += room;
		x->errbody[x->errbody_len] = '\0';
		return n;
	}
	/*
	 * Queue the chunk behind what is queued (at least the response head
	 * of a small response, which then leaves in one call).  libcurl hands
	 * over a large read in 16 KiB chunks: a full chunk waits for the next
	 * ones of the same read, and the worker sends them together once
	 * libcurl returns (conn_flush_pending), so that a large object goes
	 * out in a quarter of the system calls.
	 */
	if (x->out_off == x->out_len) {
		x->out_off = x->out_len = 0;
	} else if (x->out_off > 0 && sizeof(x->out) - x->out_len < n) {
		memmove(x->out, x->out + x->out_off, x->out_len - x->out_off);
		x->out_len -= x->out_off;
		x->out_off = 0;
	}
	if (sizeof(x->out) - x->out_len < n) {
		/* The client reads slower than S3 sends: let S3 wait. */
		x->up_paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	fill_copy(x, p, n);
	memcpy(x->out + x->out_len, p, n);
	x->out_len += n;
	c->body_sent += n;
	if (!c->writable)
		return n; /* sent when the socket has room again */
	if (n == CURL_MAX_WRITE_SIZE && sizeof(x->out) - x->out_len >= CURL_MAX_WRITE_SIZE) {
		if (!c->flush_queued) {
			c->flush_queued = 1;
			c->flush_next = c->w->flush_list;
			c->w->flush_list = c;
		}
		return n;
	}
	if (flush_out(c) == -1)
		return 0; /* closed: aborts the transfer */
	if (flush_out(c) == -1)
		return 0;
	return n;
}

void
conn_flush_pending(struct worker *w)
{
	while (w->flush_list != NULL) {
		struct conn *c = w->flush_list;

		w->flush_list = c->flush_next;
		c->flush_next = NULL;
		c->flush_queued = 0;
		/* Closed ones stay allocated until conn_reap(), after this. */
		if (c->state != CS_CLOSED && c->x != NULL)
			flush_out(c);
	}
}

/*
 * Directory listing (site.directory_listing): one ListObjectsV2 request
 * with a delimiter, so a listing shows one level and costs one request.
 * The XML answer is gathered in the output buffer, which is free until the
 * response is built; max-keys keeps it well inside that buffer.
 */
#define LIST_MAX_KEYS 200

static void
start_listing(struct conn *c)
{
	struct xfer *x = c->x;
	char query[3 * S3_KEY_MAX + 128];
	size_t plen = x->keylen - strlen(c->w->cfg->index_document);
	int n;
	ssize_t e;

	n = snprintf(query, sizeof(query), "delimiter=%%2F&list-type=2&max-keys=%d&prefix=",
	    LIST_MAX_KEYS);
	e = sigv4_uri_encode(x->key, plen, query + n, sizeof(query) - (size_t)n, 0);
	if (e < 0) {
		respond_error(c, 414, "path too long");
		return;
	}
	x->keylen = plen;
	x->key[plen] = '\0';
	x->out_off = x->out_len = 0;
	x->phase = PH_LIST;
	c->state = CS_UPSTREAM;
	if (upstream_start(c, "GET", "", 0, query, NULL) == -1)
		respond_error(c, 500, "cannot build the upstream request");
}

/* Find the next <tag>value</tag> at or after *pos; decode XML entities. */
static int
xml_next(const char *doc, size_t len, size_t *pos, const char *tag, char *out, size_t outsz)
{
	char open[32], close[32];
	const char *s, *e;
	size_t i, o = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	s = memmem(doc + *pos, len - *pos, open, strlen(open));
	if (s == NULL)
		return -1;
	s += strlen(open);
	e = memmem(s, len - (size_t)(s - doc), close, strlen(close));
	if (e == NULL)
		return -1;
	*pos = (size_t)(e - doc) + strlen(close);
	for (i = 0; s + i < e && o + 1 < outsz; i++) {
		static const char *const ent[][2] = { { "&amp;", "&" }, { "&lt;", "<" },
		    { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" } };
		size_t k;

		for (k = 0; k < 5; k++) {
			size_t el = strlen(ent[k][0]);

			if ((size_t)(e - (s + i)) >= el && memcmp(s + i, ent[k][0], el) == 0) {
				out[o++] = ent[k][1][0];
				i += el - 1;
				break;
			}
		}
		if (k == 5)
			out[o++] = s[i];
	}
	out[o] = '\0';
	return 0;
}

/* Append s to buf, escaped for HTML text and attribute values. */
static size_t
html_put(char *buf, size_t off, size_t sz, const char *s, int href)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0' && off + 8 < sz; s++) {
		unsigned char ch = (unsigned char)*s;

		if (href && !(ch == '/' || ch == '-' || ch == '.' || ch == '_' || ch == '~' ||
		    (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z'))) {
			buf[off++] = '%';
			buf[off++] = hex[ch >> 4];
			buf[off++] = hex[ch & 15];
		} else if (ch == '<') {
			memcpy(buf + off, "&lt;", 4);
			off += 4;
		} else if (ch == '>') {
			memcpy(buf + off, "&gt;", 4);
			off += 4;
		} else if (ch == '&') {
			memcpy(buf + off, "&amp;", 5);
			off += 5;
		} else if (ch == '"') {
			memcpy(buf + off, "&quot;", 6);
			off += 6;
		} else {
			buf[off++] = (char)ch;
		}
	}
	buf[off] = '\0';
	return off;
}

static void
listing_done(struct conn *c)
{
	static char html[96 * 1024];
	struct xfer *x = c->x;
	const char *doc = x->out;
	size_t len = x->out_len, pos, off, plen = x->keylen;
	size_t skip = strlen(c->w->cfg->bucket_path);
	char name[S3_KEY_MAX + 1], size[32];
	int n = 0;

	x->out_off = x->out_len = 0;
	if (x->up_status != 200 || len == 0 || len >= sizeof(x->out)) {
		respond_error(c, 502, "the storage could not list the directory");
		return;
	}
	off = (size_t)snprintf(html, sizeof(html), "<!DOCTYPE html>\n<html><head>"
	    "<meta charset=\"utf-8\"><title>Index of /");
	off = html_put(html, off, sizeof(html), x->key + skip, 0);
	off += (size_t)snprintf(html + off, sizeof(html) - off, "</title></head><body><h1>"
	    "Index of /");
	off = html_put(html, off, sizeof(html), x->key + skip, 0);
	off += (size_t)snprintf(html + off, sizeof(html) - off, "</h1><ul>\n");
	if (plen > skip)
		off += (size_t)snprintf(html + off, sizeof(html) - off,
		    "<li><a href=\"../\">../</a></li>\n");
	for (pos = 0; xml_next(doc, len, &pos, "Prefix", name, sizeof(name)) == 0;) {
		/* CommonPrefixes hold subdirectories; the first Prefix is ours. */
		if (strlen(name) <= plen || strncmp(name, x->key, plen) != 0)
			continue;
		off += (size_t)snprintf(html + off, sizeof(html) - off, "<li><a href=\"");
		off = html_put(html, off, sizeof(html), name + plen, 1);
		off += (size_t)snprintf(html + off, sizeof(html) - off, "\">");
		off = html_put(html, off, sizeof(html), name + plen, 0);
		off += (size_t)snprintf(html + off, sizeof(html) - off, "</a></li>\n");
		n++;
	}
	for (pos = 0; xml_next(doc, len, &pos, "Key", name, sizeof(name)) == 0;) {
		size_t sp = pos;

		if (strlen(name) <= plen || xml_next(doc, len, &sp, "Size", size,
		    sizeof(size)) == -1)
			continue;
		off += (size_t)snprintf(html + off, sizeof(html) - off, "<li><a href=\"");
		off = html_put(html, off, sizeof(html), name + plen, 1);
		off += (size_t)snprintf(html + off, sizeof(html) - off, "\">");
		off = html_put(html, off, sizeof(html), name + plen, 0);
		off += (size_t)snprintf(html + off, sizeof(html) - off, "</a> %s bytes</li>\n",
		    size);
		n++;
	}
	if (memmem(doc, len, "<IsTruncated>true</IsTruncated>", 31) != NULL)
		off += (size_t)snprintf(html + off, sizeof(html) - off,
		    "<li>(only the first %d entries are shown)</li>\n", LIST_MAX_KEYS);
	off += (size_t)snprintf(html + off, sizeof(html) - off, "</ul></body></html>\n");
	if (off >= sizeof(html) - 1) {
		respond_error(c, 500, "the listing does not fit");
		return;
	}
	if (n == 0 && plen > skip) {
		/* An empty "directory" does not exist in S3: say so. */
		not_found(c, PH_LIST);
		return;
	}
	respond(c, 200, "text/html; charset=utf-8", "Cache-Control: no-cache\r\n", html, off);
}

/*
 * Whether a missing key is worth a second request to S3 for key/index,
 * which turns /docs into a redirect to /docs/.  "auto" asks only for names
 * without a dot in their last segment: /logo.png or /wp-login.php are not
 * directories on any real site, and those are most of the misses a public
 * server answers, each of which would otherwise cost two S3 requests.
 */
static int
dir_redirect_applies(const struct config *cfg, const char *key, size_t keylen)
{
	size_t i;

	if (cfg->directory_redirect == DIR_REDIRECT_OFF)
		return 0;
	if (cfg->directory_redirect == DIR_REDIRECT_ALWAYS)
		return 1;
	for (i = keylen; i > 0 && key[i - 1] != '/'; i--) {
		if (key[i - 1] == '.')
			return 0;
	}
	return 1;
}

/* The object was not found: try what the website configuration offers. */
static void
not_found(struct conn *c, enum up_phase after)
{
	struct xfer *x = c->x;
	const struct config *cfg = c->w->cfg;
	const char *m = c->method == HTTP_M_HEAD ? "HEAD" : "GET";
	char key[S3_KEY_MAX + 1];
	int dircheck = after == PH_OBJECT && !x->is_dir && x->keylen > 0 &&
	    x->keylen + 1 + strlen(cfg->index_document) < sizeof(key) &&
	    dir_redirect_applies(cfg, x->key, x->keylen);

	/* Neither an object nor a directory: worth remembering for a TTL. */
	if (c->w->caching && !dircheck && (after == PH_OBJECT || after == PH_DIRCHECK) &&
	    !(x->is_dir && cfg->directory_listing) && !x->known_missing)
		cache_put_negative(&c->w->cache, x->key, x->keylen, c->w->now_ms);
	if (dircheck) {
		snprintf(key, sizeof(key), "%.*s/%s", (int)x->keylen, x->key,
		    cfg->index_document);
		start_phase(c, PH_DIRCHECK, "HEAD", key);
		return;
	}
	if (after == PH_OBJECT && x->is_dir && cfg->directory_listing &&
	    c->method == HTTP_M_GET) {
		start_listing(c);
		return;
	}
	if ((after == PH_OBJECT || after == PH_DIRCHECK || after == PH_LIST) &&
	    cfg->spa_file[0] != '\0') {
		snprintf(key, sizeof(key), "%s%s", cfg->bucket_path, cfg->spa_file);
		start_phase(c, PH_SPA, m, key);
		return;
	}
	if (after != PH_ERRDOC && cfg->error_document[0] != '\0') {
		snprintf(key, sizeof(key), "%s%s", cfg->bucket_path, cfg->error_document);
		start_phase(c, PH_ERRDOC, m, key);
		return;
	}
	respond_error(c, 404, "The requested URL was not found.");
}

static void
redirect_dir(struct conn *c)
{
	const struct http_request *r = &c->x->req;
	char extra[1200];
	const char *p = r->path.p;
	size_t len = r->path.len;

	/* One leading slash only: "//host" would send the client elsewhere. */
	while (len > 1 && p[0] == '/' && p[1] == '/') {
		p++;
		len--;
	}
	if (len + r->query.len + 64 > sizeof(extra)) {
		respond_error(c, 414, "path too long");
		return;
	}
	snprintf(extra, sizeof(extra), "Location: %.*s/%s%.*s\r\nCache-Control: max-age=60\r\n",
	    (int)len, p, r->query.len > 0 ? "?" : "", (int)r->query.len, r->query.p);
	respond(c, 301, "text/html; charset=utf-8", extra,
	    "<!DOCTYPE html>\n<html><body>Moved</body></html>\n", 46);
}

/* Map an S3 error that ends a request to what the client is told. */
static void
upstream_error(struct conn *c)
{
	struct xfer *x = c->x;
	int st = x->up_status;
	char code[64] = "";

	s3_error_code(x->errbody, x->errbody_len, code, sizeof(code));
	if (st == 404 || (st == 403 && code[0] == '\0' && x->phase == PH_DIRCHECK)) {
		not_found(c, x->phase);
		return;
	}
	if (st == 412) {
		respond_error(c, 412, "precondition failed");
		return;
	}
	if (st == 416) {
		respond_error(c, 416, "the range is not satisfiable");
		return;
	}
	if (st == 403 && (strcmp(code, "AccessDenied") == 0 || code[0] == '\0')) {
		respond_error(c, 403, "access denied");
		return;
	}
	if (st == 503) {
		log_warn("upstream busy (%s) for %.*s", code[0] ? code : "503", (int)x->keylen,
		    x->key);
		respond_error(c, 503, "the storage is busy, try again");
		return;
	}
	/* Our credentials, region or endpoint are wrong: not the client's fault. */
	log_error("upstream answered %d %s for key \"%.*s\"", st, code[0] ? code : "",
	    (int)x->keylen, x->key);
	respond_error(c, 502, "the storage refused the request");
}

static void
ready_done(struct conn *c, CURLcode rc)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	int st = x->up_status;
	char code[64] = "";

	s3_error_code(x->errbody, x->errbody_len, code, sizeof(code));
	w->ready_at_ms = w->now_ms;
	if (rc != CURLE_OK) {
		w->ready_ok = 0;
		snprintf(w->ready_reason, sizeof(w->ready_reason), "storage unreachable: %s",
		    curl_easy_strerror(rc));
	} else if (st == 200 || st == 206 || st == 416 ||
	    (st == 404 && strcmp(code, "NoSuchBucket") != 0)) {
		w->ready_ok = 1;
		w->ready_reason[0] = '\0';
	} else {
		w->ready_ok = 0;
		snprintf(w->ready_reason, sizeof(w->ready_reason), "storage answered %d %s", st,
		    code);
	}
	answer_ready(c);
}

void
conn_up_done(struct conn *c, CURLcode rc)
{
	struct xfer *x = c->x;

	if (c->state == CS_CLOSED)
		return;
	if (x->phase == PH_READY) {
		ready_done(c, rc);
		conn_run(c);
		return;
	}
	if (x->up_streaming) {
		if (rc != CURLE_OK) {
			/* The head is out: the only honest signal left is to close. */
			log_warn("upstream transfer of \"%.*s\" failed after %llu bytes: %s",
			    (int)x->keylen, x->key, (unsigned long long)c->body_sent,
			    curl_easy_strerror(rc));
			access_log(c);
			conn_close(c);
			return;
		}
		cache_fill_done(c);
		c->state = CS_SEND;
		conn_run(c);
		return;
	}
	if (x->phase == PH_REVAL) {
		if (rc == CURLE_OK && x->up_status == 304) {
			cache_refresh(&c->w->cache, x->reval, c->w->now_ms);
			serve_entry(c, x->reval);
			conn_run(c);
			return;
		}
		/* Changed, gone or unknown: drop the copy, ask for the request. */
		cache_remove(&c->w->cache, x->reval);
		cache_release(&c->w->cache, x->reval);
		x->reval = NULL;
		start_object(c);
		return;
	}
	if (x->reval != NULL && rc == CURLE_OK && x->phase == PH_OBJECT) {
		if (x->up_status == 304) {
			cache_refresh(&c->w->cache, x->reval, c->w->now_ms);
			serve_entry(c, x->reval);
			conn_run(c);
			return;
		}
		if (x->up_status == 404)
			cache_remove(&c->w->cache, x->reval);
	}
	if (rc != CURLE_OK) {
		int st = rc == CURLE_OPERATION_TIMEDOUT ? 504 : 502;

		log_error("upstream request for \"%.*s\" failed: %s", (int)x->keylen, x->key,
		    curl_easy_strerror(rc));
		respond_error(c, st, st == 504 ? "the storage did not answer in time" :
		    "the storage cannot be reached");
	} else if (x->phase == PH_DIRCHECK && x->up_status == 200) {
		redirect_dir(c);
	} else if (x->phase == PH_DIRCHECK) {
		not_found(c, PH_DIRCHECK);
	} else if (x->phase == PH_SPA) {
		log_warn("SPA file \"%s\" answered %d", c->w->cfg->spa_file, x->up_status);
		not_found(c, PH_SPA);
	} else if (x->phase == PH_ERRDOC) {
		respond_error(c, 404, "The requested URL was not found.");
	} else if (x->phase == PH_LIST) {
		listing_done(c);
	} else {
		upstream_error(c);
	}
	conn_run(c);
}

/* Read what the socket has into the head buffer. */
static int
read_head(struct conn *c)
{
	struct xfer *x = c->x;

	while (c->readable && c->in_len < x->in_size) {
		size_t want = x->in_size - c->in_len;
		ssize_t n = io_read(c, x->in + c->in_len, want);

		if (n == -2) {
			c->readable = 0;
			break;
		}
		if (n <= 0) {
			conn_close(c);
			return -1;
		}
		c->in_len += (size_t)n;
		/*
		 * A short read on a plain socket drained it: the edge-triggered
		 * epoll reports the next bytes, so the read that would only
		 * say EAGAIN is saved (one system call per request).  Not for
		 * TLS, whose buffers hide what the socket holds, nor after the
		 * peer's FIN, whose edge has already been consumed.
		 */
		if (c->ssl == NULL && !c->peer_closed && (size_t)n < want) {
			c->readable = 0;
			break;
		}
	}
	return 0;
}

static void
parse_head(struct conn *c)
{
	struct xfer *x = c->x;
	size_t max = x->in_size;
	int rc = http_parse_request(x->in, c->in_len, max, max, &x->req);

	if (rc == HTTP_PARSE_AGAIN) {
		if (c->in_len >= x->in_size)
			rc = 431;
		else
			return;
	}
	c->state = CS_SEND; /* leave CS_HEAD; the handlers set what follows */
	if (rc == HTTP_PARSE_OK) {
		const char *s = x->req.method_str.p;
		const char *e = memchr(s, '\r', (size_t)(x->in + c->in_len - s));

		log_request(c, s, e != NULL ? (size_t)(e - s) : 0);
		handle_request(c);
		return;
	}
	/* A request we refuse: answer, and close since framing is in doubt. */
	x->req.head_len = 0;
	x->req.origin.len = 0;
	x->req.version_minor = 1;
	{
		const char *e = memchr(x->in, '\n', c->in_len);

		log_escape(c->log_line, sizeof(c->log_line), x->in,
		    e != NULL ? (size_t)(e - x->in) : c->in_len,
		    c->w->cfg->access_log_format == ACCESS_LOG_JSON);
	}
	c->log_ua[0] = c->log_ref[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &c->req_start);
	c->keep_alive = 0;
	if (rc == 405) {
		/*
		 * A complete head with a method we do not serve and a body:
		 * the method is known (and counted as what it is), the body is
		 * left unread and drained by the lingering close.
		 */
		c->method = x->req.method;
		respond_error(c, 405, "only GET, HEAD and OPTIONS are served");
		return;
	}
	c->method = HTTP_M_GET;
	respond_error(c, rc, "the request was refused");
}

/* Send a cached body straight from the cache: 1 when all is sent. */
static int
send_cached(struct conn *c)
{
	struct xfer *x = c->x;

	while (x->ce_off < x->ce_end) {
		ssize_t n;

		if (!c->writable)
			return 0;
		n = io_write(c, x->ce->body + x->ce_off, x->ce_end - x->ce_off);
		if (n == -2) {
			c->writable = 0;
			return 0;
		}
		if (n <= 0) {
			conn_close(c);
			return -1;
		}
		x->ce_off += (size_t)n;
		c->body_sent += (uint64_t)n;
		c->progress_ms = c->w->now_ms;
	}
	return 1;
}

static void
conn_run(struct conn *c)
{
	struct worker *w = c->w;
	int rc;

	for (;;) {
		switch (c->state) {
		case CS_CLOSED:
			return;
		case CS_HANDSHAKE:
			rc = tls_handshake(c->ssl);
			if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE)
				return;
			if (rc != 0) {
				conn_close(c);
				return;
			}
			c->state = CS_IDLE;
			continue;
		case CS_IDLE:
			if (!c->readable && !(c->ssl != NULL && SSL_pending(c->ssl) > 0))
				return;
			if (c->x == NULL && (c->x = xfer_get(w)) == NULL) {
				conn_close(c);
				return;
			}
			c->state = CS_HEAD;
			c->deadline_ms = w->now_ms + (uint64_t)w->cfg->header_timeout_ms;
			continue;
		case CS_HEAD:
			if (read_head(c) == -1)
				return;
			parse_head(c);
			if (c->state == CS_HEAD)
				return; /* need more bytes */
			continue;
		case CS_UPSTREAM:
			if (c->x->out_off < c->x->out_len && flush_out(c) == -1)
				return;
			/* Resume S3 once a whole libcurl chunk fits again. */
			if (c->x->up_paused && c->x->out_len - c->x->out_off <=
			    sizeof(c->x->out) - CURL_MAX_WRITE_SIZE)
				upstream_resume(c);
			return;
		case CS_SEND:
			rc = flush_out(c);
			if (rc <= 0)
				return;
			if (c->x->ce != NULL && send_cached(c) <= 0)
				return;
			if (c->x->up_active)
				return;
			request_done(c);
			continue;
		case CS_LINGER: {
			char buf[4096];
			ssize_t n;

			while (c->readable) {
				n = io_read(c, buf, sizeof(buf));
				if (n == -2) {
					c->readable = 0;
					return;
				}
				if (n <= 0) {
					conn_close(c);
					return;
				}
			}
			return;
		}
		}
	}
}

void
conn_event(struct conn *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		c->readable = 1;
	if (events & (EPOLLRDHUP | EPOLLHUP))
		c->peer_closed = 1;
	if (events & EPOLLOUT)
		c->writable = 1;
	if ((events & (EPOLLERR | EPOLLHUP)) && c->state != CS_LINGER) {
		conn_close(c);
		return;
	}
	conn_run(c);
}

void
conn_tick(struct conn *c)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	uint64_t now = w->now_ms;

	switch (c->state) {
	case CS_HANDSHAKE:
	case CS_IDLE:
	case CS_HEAD:
	case CS_LINGER:
		if (now >= c->deadline_ms) {
			/* A slow head gets a 408; an idle keep-alive just closes. */
			if (c->state == CS_HEAD && c->in_len > 0 && x != NULL) {
				c->writable = 1;
				c->state = CS_SEND;
				c->keep_alive = 0;
				x->req.origin.len = 0;
				x->req.version_minor = 1;
				x->req.head_len = 0;
				c->method = HTTP_M_GET;
				clock_gettime(CLOCK_MONOTONIC, &c->req_start);
				snprintf(c->log_line, sizeof(c->log_line), "-");
				respond_error(c, 408, "the request head took too long");
				conn_run(c);
			} else {
				conn_close(c);
			}
		}
		return;
	case CS_UPSTREAM:
		if (x == NULL)
			return;
		if (!x->up_headers_done && now - x->up_start_ms >
		    (uint64_t)w->cfg->upstream_timeout_ms) {
			upstream_stop(c);
			log_error("upstream did not answer for \"%.*s\" within %d ms",
			    (int)x->keylen, x->key, w->cfg->upstream_timeout_ms);
			conn_up_done(c, CURLE_OPERATION_TIMEDOUT);
			return;
		}
		if (x->up_headers_done && !x->up_paused && now - x->up_progress_ms >
		    (uint64_t)w->cfg->upstream_timeout_ms) {
			upstream_stop(c);
			conn_up_done(c, CURLE_OPERATION_TIMEDOUT);
			return;
		}
		/* FALLTHROUGH */
	case CS_SEND:
		if (x != NULL && (x->out_off < x->out_len ||
		    (x->ce != NULL && x->ce_off < x->ce_end)) && now - c->progress_ms >
		    (uint64_t)w->cfg->send_timeout_ms) {
			log_info("closing %s: no send progress for %d ms", c->peer,
			    w->cfg->send_timeout_ms);
			conn_close(c);
		}
		return;
	case CS_CLOSED:
		return;
	}
}

void
conn_drain(struct conn *c)
{
	/* Idle connections close soon; busy ones finish their response first. */
	if (c->state == CS_IDLE || c->state == CS_HANDSHAKE) {
		uint64_t d = c->w->now_ms + DRAIN_IDLE_MS;

		if (c->deadline_ms > d)
			c->deadline_ms = d;
	} else if (c->state == CS_HEAD || c->state == CS_UPSTREAM || c->state == CS_SEND) {
		c->keep_alive = 0;
		c->draining_hint = 1;
	}
}
