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
#include <sys/timerfd.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "metrics.h"

static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct worker *w = userp;
	struct epoll_event ev;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		/* The socket may already be closed: EBADF is harmless here. */
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, s, NULL);
		curl_multi_assign(w->multi, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
	ev.data.u64 = ((uint64_t)s << 3) | EV_TAG_CURLSOCK;
	if (socketp == NULL) {
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, s, &ev) == -1 && errno == EEXIST)
			epoll_ctl(w->epfd, EPOLL_CTL_MOD, s, &ev);
		curl_multi_assign(w->multi, s, w);
	} else if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, s, &ev) == -1 && errno == ENOENT) {
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, s, &ev);
	}
	return 0;
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct worker *w = userp;
	struct itimerspec its;

	(void)multi;
	/*
	 * "Now" is what libcurl asks for on every new transfer: the loop runs
	 * the timeout at the end of this turn instead of arming the timerfd,
	 * which would cost two system calls and a wake-up per request.
	 */
	if (timeout_ms == 0) {
		w->curl_timeout_now = 1;
		return 0;
	}
	if (timeout_ms < 0 && !w->curl_timer_armed)
		return 0;
	memset(&its, 0, sizeof(its));
	if (timeout_ms > 0) {
		its.it_value.tv_sec = timeout_ms / 1000;
		its.it_value.tv_nsec = (timeout_ms % 1000) * 1000000;
	}
	w->curl_timer_armed = timeout_ms > 0;
	timerfd_settime(w->curl_tfd, 0, &its, NULL);
	return 0;
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
		curl_easy_setopt(x->easy, CURLOPT_PROXY, w->proxy != NULL ? w->proxy : "");
		if (w->noproxy != NULL)
			curl_easy_setopt(x->easy, CURLOPT_NOPROXY, w->noproxy);
	}
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
	check_done(c->w);
}

void
upstream_socket_event(struct worker *w, int fd, uint32_t events)
{
	int flags = 0, running;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(w->multi, fd, flags, &running);
	check_done(w);
}

void
upstream_timer_event(struct worker *w)
{
	uint64_t exp;
	int running;

	if (read(w->curl_tfd, &exp, sizeof(exp)) == -1 && errno != EAGAIN)
		log_debug("timerfd read: %s", strerror(errno));
	w->curl_timer_armed = 0;
	curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
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
		check_done(w);
	}
}
