/*
 * upstream.c - libcurl's multi-socket interface driven by the worker's epoll
 * loop, after the pattern of curl's ephiperfifo example.
 *
 * libcurl tells us which sockets to watch and when its next timeout is; we
 * tell it when a socket is ready or the timer fired.  Transfers finish in
 * check_done(), which runs after curl_multi_socket_action() has returned,
 * so a finished transfer can start the next one (the website fallbacks) or
 * close its connection without re-entering libcurl from a callback.
 */
#include "upstream.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "metrics.h"

/*
 * What the worker knows about each of libcurl's sockets, indexed by
 * descriptor.  libcurl asks to watch a connection for the response and
 * says "remove" when the transfer ends, which for a kept-alive connection
 * happens on every request; an epoll_ctl ADD and DEL per request are
 * saved by leaving an idle connection registered for input.  That is
 * safe only for sockets libcurl opened and closes through the callbacks
 * below, so that a closed and reused descriptor never keeps a stale mark.
 */
#define CURLFD_OURS 0x01u   /* opened through open_cb, closed by close_cb */
#define CURLFD_REG 0x02u    /* in the epoll set */
#define CURLFD_IN 0x04u     /* ... with EPOLLIN */
#define CURLFD_OUT 0x08u    /* ... with EPOLLOUT */
#define CURLFD_WANTED 0x10u /* libcurl watches it now */

/* Receive buffers: see upstream_start(). */
#define UPSTREAM_BIG_XFERS 16
#define UPSTREAM_BIG_BUFFER (128 * 1024)

static unsigned char *
fd_state(struct worker *w, curl_socket_t s)
{
	size_t need = (size_t)s + 1, n;
	unsigned char *p;

	if (s < 0)
		return NULL;
	if (need > w->ncurl_fds) {
		/* Grows with the highest descriptor, a handful of times per life. */
		n = w->ncurl_fds > 0 ? w->ncurl_fds : 256;
		while (n < need)
			n *= 2;
		p = realloc(w->curl_fds, n);
		if (p == NULL)
			return NULL;
		memset(p + w->ncurl_fds, 0, n - w->ncurl_fds);
		w->curl_fds = p;
		w->ncurl_fds = n;
	}
	return &w->curl_fds[s];
}

static curl_socket_t
open_cb(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct worker *w = userp;
	curl_socket_t s;
	unsigned char *st;

	(void)purpose;
	s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (s == CURL_SOCKET_BAD)
		return s;
	if ((st = fd_state(w, s)) != NULL)
		*st = CURLFD_OURS;
	return s;
}

static int
close_cb(void *userp, curl_socket_t s)
{
	struct worker *w = userp;

	/* close() takes the descriptor out of the epoll set by itself. */
	if (s >= 0 && (size_t)s < w->ncurl_fds)
		w->curl_fds[s] = 0;
	return close(s);
}

static void
fd_unregister(struct worker *w, curl_socket_t s, unsigned char *st)
{
	/* The socket may already be closed: EBADF is harmless here. */
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, s, NULL);
	if (st != NULL)
		*st &= (unsigned char)~(CURLFD_REG | CURLFD_IN | CURLFD_OUT | CURLFD_WANTED);
}

static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct worker *w = userp;
	struct epoll_event ev;
	unsigned char *st = fd_state(w, s), want;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		/*
		 * An idle connection of ours stays registered for input: an
		 * event on it while libcurl does not watch it (the server
		 * closed it) unregisters it then.  Output interest would fire
		 * at once, so a socket that has it is removed now.
		 */
		if (st != NULL && (*st & CURLFD_OURS) && (*st & CURLFD_REG) &&
		    !(*st & CURLFD_OUT))
			*st &= (unsigned char)~CURLFD_WANTED;
		else
			fd_unregister(w, s, st);
		return 0;
	}
	want = (unsigned char)((what & CURL_POLL_IN ? CURLFD_IN : 0u) |
	    (what & CURL_POLL_OUT ? CURLFD_OUT : 0u));
	if (st != NULL && (*st & CURLFD_REG) &&
	    (*st & (CURLFD_IN | CURLFD_OUT)) == want) {
		*st |= CURLFD_WANTED;
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (want & CURLFD_IN ? EPOLLIN : 0u) | (want & CURLFD_OUT ? EPOLLOUT : 0u);
	ev.data.u64 = ((uint64_t)s << 3) | EV_TAG_CURLSOCK;
	if (st != NULL && (*st & CURLFD_REG)) {
		if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, s, &ev) == -1 && errno == ENOENT)
			epoll_ctl(w->epfd, EPOLL_CTL_ADD, s, &ev);
	} else if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, s, &ev) == -1 && errno == EEXIST) {
		epoll_ctl(w->epfd, EPOLL_CTL_MOD, s, &ev);
	}
	if (st != NULL)
		*st = (unsigned char)((*st & CURLFD_OURS) | CURLFD_REG | CURLFD_WANTED | want);
	return 0;
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct worker *w = userp;

	(void)multi;
	/*
	 * "Now" is what libcurl asks for on every new transfer: the loop runs
	 * it at the end of this turn.  Later ones become the epoll_wait
	 * timeout.
	 */
	if (timeout_ms == 0)
		w->curl_timeout_now = 1;
	else if (timeout_ms < 0)
		w->curl_deadline_ms = 0;
	else
		w->curl_deadline_ms = worker_clock_ms() + (uint64_t)timeout_ms;
	return 0;
}

int
upstream_wait_ms(struct worker *w)
{
	uint64_t now;

	if (w->curl_timeout_now)
		return 0;
	if (w->curl_deadline_ms == 0)
		return -1;
	now = worker_clock_ms();
	if (now >= w->curl_deadline_ms)
		return 0;
	/* The tick wakes the loop every TICK_MS anyway; this caps the int. */
	return w->curl_deadline_ms - now > 60000 ? 60000 : (int)(w->curl_deadline_ms - now);
}

static size_t
header_cb(char *p, size_t size, size_t n, void *userp)
{
	return conn_up_header(userp, p, size * n);
}

static size_t
write_cb(char *p, size_t size, size_t n, void *userp)
{
	return conn_up_body(userp, p, size * n);
}

int
upstream_init(struct worker *w)
{
	w->multi = curl_multi_init();
	if (w->multi == NULL)
		return -1;
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
	/*
	 * Keep plenty of idle connections to S3: a fresh TCP (and TLS)
	 * connection per request would cost more than the request itself.
	 */
	curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, 512L);
	return 0;
}

void
upstream_cleanup(struct worker *w)
{
	if (w->multi != NULL)
		curl_multi_cleanup(w->multi);
	w->multi = NULL;
	free(w->curl_fds);
	w->curl_fds = NULL;
	w->ncurl_fds = 0;
}

static void
check_done(struct worker *w)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
		struct conn *c = NULL;
		CURLcode rc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		curl_multi_remove_handle(w->multi, msg->easy_handle);
		w->active_xfers--;
		if (c == NULL || c->x == NULL)
			continue;
		c->x->up_active = 0;
		metrics_upstream(rc == CURLE_OK ? c->x->up_status : 0,
		    (double)(w->now_ms - c->x->up_start_ms) / 1000.0);
		conn_up_done(c, rc);
	}
}

int
upstream_start(struct conn *c, const char *method, const char *key, size_t keylen,
    const char *query, const char *const *fwd)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	const struct config *cfg = w->cfg;
	struct curl_slist *tail;
	int i, head = strcmp(method, "HEAD") == 0;

	if (s3_request_build(&x->s3, w->signing ? &w->sig : NULL, &w->ep, w->token, method,
	    key, keylen, query, SIGV4_EMPTY_SHA256, NULL, w->now_wall) == -1)
		return -1;
	/* Forwarded headers are not signed; they follow the signed ones. */
	for (tail = &x->s3.slist[0]; tail->next != NULL; tail = tail->next)
		;
	for (i = 0; fwd != NULL && fwd[i] != NULL && i < XFER_FWD_MAX; i++) {
		snprintf(x->fwd_lines[i], sizeof(x->fwd_lines[i]), "%s", fwd[i]);
		x->fwd[i].data = x->fwd_lines[i];
		x->fwd[i].next = NULL;
		tail->next = &x->fwd[i];
		tail = &x->fwd[i];
	}
	if (x->easy == NULL) {
		x->easy = curl_easy_init();
		if (x->easy == NULL)
			return -1;
		/* Options that never change are set once per handle. */
		curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(x->easy, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(x->easy, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, header_cb);
		curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
		/* The key is signed as sent: curl must not squash dot segments. */
		curl_easy_setopt(x->easy, CURLOPT_PATH_AS_IS, 1L);
		curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, NULL);
		curl_easy_setopt(x->easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
		curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
		curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, cfg->tls_verify ? 1L : 0L);
		curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, cfg->tls_verify ? 2L : 0L);
		if (cfg->ca_bundle[0] != '\0')
			curl_easy_setopt(x->easy, CURLOPT_CAINFO, cfg->ca_bundle);
		curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETFUNCTION, open_cb);
		curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, w);
		curl_easy_setopt(x->easy, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
		curl_easy_setopt(x->easy, CURLOPT_CLOSESOCKETDATA, w);
		curl_easy_setopt(x->easy, CURLOPT_PROXY, w->proxy != NULL ? w->proxy : "");
		if (w->noproxy != NULL)
			curl_easy_setopt(x->easy, CURLOPT_NOPROXY, w->noproxy);
	}
	/*
	 * libcurl reads the response in buffer-sized recv() calls and keeps
	 * the buffer for the whole transfer, plus a copy of what is unread
	 * while paused.  Large buffers cut the system calls of a big download
	 * by a fifth, but 1,000 slow clients would each hold two: so only the
	 * first UPSTREAM_BIG_XFERS transfers of a worker get one.
	 */
	curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, w->active_xfers < UPSTREAM_BIG_XFERS ?
	    (long)UPSTREAM_BIG_BUFFER : (long)CURL_MAX_WRITE_SIZE);
	curl_easy_setopt(x->easy, CURLOPT_URL, x->s3.url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, &x->s3.slist[0]);
	curl_easy_setopt(x->easy, CURLOPT_NOBODY, head ? 1L : 0L);
	if (!head)
		curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, c);
	x->up_status = 0;
	x->up_headers_done = 0;
	x->up_paused = 0;
	x->up_streaming = 0;
	x->errbody_len = 0;
	memset(x->uh, 0, sizeof(x->uh));
	x->up_start_ms = w->now_ms;
	x->up_progress_ms = w->now_ms;
	if (curl_multi_add_handle(w->multi, x->easy) != CURLM_OK)
		return -1;
	x->up_active = 1;
	w->active_xfers++;
	return 0;
}

void
upstream_stop(struct conn *c)
{
	struct xfer *x = c->x;

	if (x == NULL || !x->up_active)
		return;
	curl_multi_remove_handle(c->w->multi, x->easy);
	x->up_active = 0;
	x->up_paused = 0;
	c->w->active_xfers--;
}

void
upstream_resume(struct conn *c)
{
	struct xfer *x = c->x;

	if (x == NULL || !x->up_active || !x->up_paused)
		return;
	x->up_paused = 0;
	/* This may call the write callback at once, which may pause again. */
	curl_easy_pause(x->easy, CURLPAUSE_CONT);
	conn_flush_pending(c->w);
	check_done(c->w);
}

void
upstream_socket_event(struct worker *w, int fd, uint32_t events)
{
	int flags = 0, running;

	if (fd >= 0 && (size_t)fd < w->ncurl_fds && (w->curl_fds[fd] & CURLFD_REG) &&
	    !(w->curl_fds[fd] & CURLFD_WANTED)) {
		/* An idle kept-alive connection: the server closed it. */
		fd_unregister(w, fd, &w->curl_fds[fd]);
		return;
	}
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(w->multi, fd, flags, &running);
	conn_flush_pending(w);
	check_done(w);
}

void
upstream_run_expired(struct worker *w)
{
	int running;

	if (w->curl_deadline_ms == 0 || w->now_ms < w->curl_deadline_ms)
		return;
	w->curl_deadline_ms = 0;
	curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	conn_flush_pending(w);
	check_done(w);
}

void
upstream_run_due(struct worker *w)
{
	int running;

	/* Timeouts that became due "now" during this turn of the loop. */
	while (w->curl_timeout_now) {
		w->curl_timeout_now = 0;
		curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		conn_flush_pending(w);
		check_done(w);
	}
}
