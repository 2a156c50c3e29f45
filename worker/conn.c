/*
 * conn.c - a client connection: socket and TLS I/O, reading request heads,
 * sending what the response code put in the output buffer, keep-alive,
 * deadlines and draining.
 *
 * What a request means is not decided here: a parsed head goes to the
 * worker's handler (serve.c), which answers it from the cache, from S3 or
 * by itself, writing into the request's output buffer (response.c) and
 * moving the connection to CS_UPSTREAM or CS_SEND.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "log.h"
#include "metrics.h"
#include "response.h"
#include "tls.h"

#define XFER_FREE_MAX 64
#define LINGER_MS 2000
#define DRAIN_IDLE_MS 1000

static struct xfer *
xfer_get(struct worker *w)
{
	struct xfer *x = w->free_xfers;

	if (x != NULL) {
		w->free_xfers = x->next_free;
		w->nfree_xfers--;
	} else {
		size_t insz = (size_t)w->conf->max_header_size;

		x = malloc(sizeof(*x) + insz);
		if (x == NULL)
			return NULL;
		memset(&x->up, 0, sizeof(x->up));
		x->in_size = insz;
	}
	x->next_free = NULL;
	x->ce = x->reval = NULL;
	x->fill = 0;
	x->fill_buf = NULL;
	x->known_missing = 0;
	x->up.active = 0;
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
	upstream_xfer_free(&x->up);
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
	c->deadline_ms = w->now_ms + (uint64_t)w->conf->header_timeout_ms;
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
			upstream_stop(&w->up, &c->x->up);
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
int
conn_flush(struct conn *c)
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
	    w->conf->keepalive_timeout_ms);
}

static void
request_done(struct conn *c)
{
	struct xfer *x = c->x;
	size_t used = x->req.head_len;

	accesslog_done(c);
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
		c->deadline_ms = c->w->now_ms + (uint64_t)c->w->conf->header_timeout_ms;
	}
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

/* A request head was parsed: the connection's part of starting it. */
static void
begin_request(struct conn *c)
{
	struct worker *w = c->w;
	const struct http_request *r = &c->x->req;

	c->nrequests++;
	c->method = r->method;
	c->site = -1; /* chosen by the handler, from the Host */
	c->ws = NULL;
	c->keep_alive = r->keep_alive && !w->draining &&
	    c->nrequests < (unsigned)w->conf->keepalive_requests;
	c->draining_hint = 0;
	clock_gettime(CLOCK_MONOTONIC, &c->req_start);
	c->req_start_ms = w->now_ms;
	c->body_sent = 0;
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

		accesslog_request(c, s, e != NULL ? (size_t)(e - s) : 0);
		begin_request(c);
		c->w->handler->request(c);
		return;
	}
	/* A request we refuse: answer, and close since framing is in doubt. */
	x->req.head_len = 0;
	x->req.origin.len = 0;
	x->req.version_minor = 1;
	{
		const char *e = memchr(x->in, '\n', c->in_len);

		accesslog_refused(c, x->in, e != NULL ? (size_t)(e - x->in) : c->in_len);
	}
	clock_gettime(CLOCK_MONOTONIC, &c->req_start);
	c->keep_alive = 0;
	c->site = -1;
	c->ws = NULL;
	if (rc == 405) {
		/*
		 * A complete head with a method we do not serve and a body:
		 * the method is known (and counted as what it is), the body is
		 * left unread and drained by the lingering close.
		 */
		c->method = x->req.method;
		resp_error(c, 405, "only GET, HEAD and OPTIONS are served");
		return;
	}
	c->method = HTTP_M_GET;
	resp_error(c, rc, "the request was refused");
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

/*
 * The head of an answer from the cache and its body leave together: one
 * sendmsg() with both on a plain socket, where send_cached() would follow
 * the head's send() with one of its own (two system calls, two segments
 * and two wake-ups of the client per small cached object); on TLS a body
 * that fits behind the head is copied there, for one record.  Returns 1
 * when the rest (if any) is left to conn_flush() and send_cached(), 0 when
 * the socket is full, -1 after closing a connection that failed.
 */
static int
send_head_and_cached(struct conn *c)
{
	struct xfer *x = c->x;

	if (c->ssl != NULL) {
		size_t n = x->ce_end - x->ce_off;

		if (x->ce_off < x->ce_end && n <= sizeof(x->out) - x->out_len) {
			memcpy(x->out + x->out_len, x->ce->body + x->ce_off, n);
			x->out_len += n;
			x->ce_off = x->ce_end;
			c->body_sent += (uint64_t)n;
		}
		return 1;
	}
	while (x->out_off < x->out_len && x->ce_off < x->ce_end) {
		struct iovec iov[2];
		struct msghdr m;
		size_t head = x->out_len - x->out_off;
		ssize_t n;

		if (!c->writable)
			return 0;
		iov[0].iov_base = x->out + x->out_off;
		iov[0].iov_len = head;
		iov[1].iov_base = x->ce->body + x->ce_off;
		iov[1].iov_len = x->ce_end - x->ce_off;
		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = 2;
		n = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			c->writable = 0;
			return 0;
		}
		if (n <= 0) {
			conn_close(c);
			return -1;
		}
		c->progress_ms = c->w->now_ms;
		if ((size_t)n < head) {
			x->out_off += (size_t)n;
			continue;
		}
		x->out_off = x->out_len = 0;
		x->ce_off += (size_t)n - head;
		c->body_sent += (uint64_t)((size_t)n - head);
	}
	return 1;
}

void
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
			c->deadline_ms = w->now_ms + (uint64_t)w->conf->header_timeout_ms;
			continue;
		case CS_HEAD:
			if (read_head(c) == -1)
				return;
			parse_head(c);
			if (c->state == CS_HEAD)
				return; /* need more bytes */
			continue;
		case CS_UPSTREAM:
			if (c->x->out_off < c->x->out_len && conn_flush(c) == -1)
				return;
			/* Resume S3 once a whole libcurl chunk fits again. */
			if (c->x->up.paused && c->x->out_len - c->x->out_off <=
			    sizeof(c->x->out) - CURL_MAX_WRITE_SIZE)
				upstream_resume(&w->up, &c->x->up);
			return;
		case CS_SEND:
			if (c->x->ce != NULL && send_head_and_cached(c) <= 0)
				return;
			rc = conn_flush(c);
			if (rc <= 0)
				return;
			if (c->x->ce != NULL && send_cached(c) <= 0)
				return;
			if (c->x->up.active)
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
				resp_error(c, 408, "the request head took too long");
				conn_run(c);
			} else {
				conn_close(c);
			}
		}
		return;
	case CS_UPSTREAM:
		if (x == NULL)
			return;
		if (w->handler->upstream_tick(c, now))
			return;
		/* FALLTHROUGH */
	case CS_SEND:
		if (x != NULL && (x->out_off < x->out_len ||
		    (x->ce != NULL && x->ce_off < x->ce_end)) && now - c->progress_ms >
		    (uint64_t)w->conf->send_timeout_ms) {
			log_info("closing %s: no send progress for %d ms", c->peer,
			    w->conf->send_timeout_ms);
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

void
conn_flush_pending(void *worker)
{
	struct worker *w = worker;

	while (w->flush_list != NULL) {
		struct conn *c = w->flush_list;

		w->flush_list = c->flush_next;
		c->flush_next = NULL;
		c->flush_queued = 0;
		/* Closed ones stay allocated until conn_reap(), after this. */
		if (c->state != CS_CLOSED && c->x != NULL)
			conn_flush(c);
	}
}

void
conn_flush_later(struct conn *c)
{
	if (c->flush_queued)
		return;
	c->flush_queued = 1;
	c->flush_next = c->w->flush_list;
	c->w->flush_list = c;
}

int
conn_upstream_start(struct conn *c, enum up_phase phase, const char *method, const char *key,
    size_t keylen, const char *query, const char *const *fwd)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;

	x->phase = phase;
	x->up_status = 0;
	x->up_headers_done = 0;
	x->up_streaming = 0;
	x->up_answered = 0;
	x->errbody_len = 0;
	memset(x->uh, 0, sizeof(x->uh));
	x->up_progress_ms = w->now_ms;
	c->state = CS_UPSTREAM;
	return upstream_start(&w->up, &x->up, c, c->site, method, key, keylen, query, fwd,
	    w->now_wall, w->now_ms);
}
