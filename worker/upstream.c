/*
 * upstream.c - libcurl's multi-socket interface on the worker's epoll loop
 * (see upstream.h).
 */
#include "upstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "s3curl.h"

/*
 * What the worker knows about each of libcurl's sockets, indexed by
 * descriptor.  libcurl asks to watch a connection for the response and
 * says "remove" when the transfer ends, which for a kept-alive connection
 * happens on every request; an epoll_ctl ADD and DEL per request are
 * saved by leaving an idle connection registered for input.  That is
 * safe only for sockets libcurl opened and closes through the callbacks
 * below, so that a closed and reused descriptor never keeps a stale mark.
 */
#define UFD_OURS 0x01u   /* opened through open_cb, closed by close_cb */
#define UFD_REG 0x02u    /* in the epoll set */
#define UFD_IN 0x04u     /* ... with EPOLLIN */
#define UFD_OUT 0x08u    /* ... with EPOLLOUT */
#define UFD_WANTED 0x10u /* libcurl watches it now */

/* Receive buffers: see upstream_start(). */
#define UPSTREAM_BIG_XFERS 32
#define UPSTREAM_BIG_BUFFER (128 * 1024)

static unsigned char *
fd_state(struct upstream *u, curl_socket_t s)
{
	size_t need = (size_t)s + 1, n;
	unsigned char *p;

	if (s < 0)
		return NULL;
	if (need > u->nfds) {
		/* Grows with the highest descriptor, a handful of times per life. */
		n = u->nfds > 0 ? u->nfds : 256;
		while (n < need)
			n *= 2;
		p = realloc(u->fds, n);
		if (p == NULL)
			return NULL;
		memset(p + u->nfds, 0, n - u->nfds);
		u->fds = p;
		u->nfds = n;
	}
	return &u->fds[s];
}

static curl_socket_t
open_cb(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct upstream *u = userp;
	curl_socket_t s;
	unsigned char *st;

	(void)purpose;
	s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (s == CURL_SOCKET_BAD)
		return s;
	if ((st = fd_state(u, s)) != NULL)
		*st = UFD_OURS;
	return s;
}

static int
close_cb(void *userp, curl_socket_t s)
{
	struct upstream *u = userp;

	/* close() takes the descriptor out of the epoll set by itself. */
	if (s >= 0 && (size_t)s < u->nfds)
		u->fds[s] = 0;
	return close(s);
}

static void
fd_unregister(struct upstream *u, curl_socket_t s, unsigned char *st)
{
	/* The socket may already be closed: EBADF is harmless here. */
	epoll_ctl(u->epfd, EPOLL_CTL_DEL, s, NULL);
	if (st != NULL)
		*st &= (unsigned char)~(UFD_REG | UFD_IN | UFD_OUT | UFD_WANTED);
}

static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct upstream *u = userp;
	struct epoll_event ev;
	unsigned char *st = fd_state(u, s), want;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		/*
		 * An idle connection of ours stays registered for input: an
		 * event on it while libcurl does not watch it (the server
		 * closed it) unregisters it then.  Output interest would fire
		 * at once, so a socket that has it is removed now.
		 */
		if (st != NULL && (*st & UFD_OURS) && (*st & UFD_REG) &&
		    !(*st & UFD_OUT))
			*st &= (unsigned char)~UFD_WANTED;
		else
			fd_unregister(u, s, st);
		return 0;
	}
	want = (unsigned char)((what & CURL_POLL_IN ? UFD_IN : 0u) |
	    (what & CURL_POLL_OUT ? UFD_OUT : 0u));
	if (st != NULL && (*st & UFD_REG) &&
	    (*st & (UFD_IN | UFD_OUT)) == want) {
		*st |= UFD_WANTED;
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (want & UFD_IN ? EPOLLIN : 0u) | (want & UFD_OUT ? EPOLLOUT : 0u);
	ev.data.u64 = ((uint64_t)s << 3) | u->tag;
	if (st != NULL && (*st & UFD_REG)) {
		if (epoll_ctl(u->epfd, EPOLL_CTL_MOD, s, &ev) == -1 && errno == ENOENT)
			epoll_ctl(u->epfd, EPOLL_CTL_ADD, s, &ev);
	} else if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, s, &ev) == -1 && errno == EEXIST) {
		epoll_ctl(u->epfd, EPOLL_CTL_MOD, s, &ev);
	}
	if (st != NULL)
		*st = (unsigned char)((*st & UFD_OURS) | UFD_REG | UFD_WANTED | want);
	return 0;
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct upstream *u = userp;

	(void)multi;
	/*
	 * "Now" is what libcurl asks for on every new transfer: the loop runs
	 * it at the end of this turn.  Later ones become the epoll_wait
	 * timeout.
	 */
	if (timeout_ms == 0)
		u->timeout_now = 1;
	else if (timeout_ms < 0)
		u->deadline_ms = 0;
	else
		u->deadline_ms = clock_ms() + (uint64_t)timeout_ms;
	return 0;
}

int
upstream_wait_ms(struct upstream *u)
{
	uint64_t now;

	if (u->timeout_now)
		return 0;
	if (u->deadline_ms == 0)
		return -1;
	now = clock_ms();
	if (now >= u->deadline_ms)
		return 0;
	/* The tick wakes the loop every TICK_MS anyway; this caps the int. */
	return u->deadline_ms - now > 60000 ? 60000 : (int)(u->deadline_ms - now);
}

static size_t
header_cb(char *p, size_t size, size_t n, void *userp)
{
	struct upstream_xfer *ux = userp;

	return ux->u->ops->header(ux->ctx, p, size * n);
}

static size_t
write_cb(char *p, size_t size, size_t n, void *userp)
{
	struct upstream_xfer *ux = userp;
	size_t r = ux->u->ops->body(ux->ctx, p, size * n);

	if (r == CURL_WRITEFUNC_PAUSE)
		ux->paused = 1;
	return r;
}

/*
 * The site's origin as a parsed URL, or NULL when a proxy applies to the
 * site (a proxy is sent the whole URL, which only CURLOPT_URL gives it) or
 * libcurl cannot parse it; such a site's requests hand libcurl their
 * whole URL instead, as before.
 */
static CURLU *
origin_new(const struct upstream *u, const struct s3_endpoint *ep)
{
	const char *proxy = ep->https ? u->proxy_https : u->proxy_http;
	char url[sizeof(ep->bucket) + sizeof(ep->host) + 16];
	CURLU *h;

	if ((proxy != NULL && proxy[0] != '\0') || s3_endpoint_origin(ep, url, sizeof(url)) == -1)
		return NULL;
	h = curl_url();
	if (h != NULL && curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(h);
		h = NULL;
	}
	return h;
}

int
upstream_init(struct upstream *u, int epfd, uint64_t tag, const struct worker_conf *conf,
    const struct upstream_ops *ops, void *owner)
{
	int i;

	memset(u, 0, sizeof(*u));
	u->epfd = epfd;
	u->tag = tag;
	u->conf = conf;
	u->ops = ops;
	u->owner = owner;
	u->sig = calloc((size_t)(conf->nsites > 0 ? conf->nsites : 1), sizeof(*u->sig));
	if (u->sig == NULL)
		return -1;
	for (i = 0; i < conf->nsites; i++)
		u->sig[i] = conf->sites[i].sig;
	/*
	 * libcurl would read the proxy variables on every transfer; they do
	 * not change in a running process, so they are read once here.
	 */
	u->proxy_http = getenv("http_proxy");
	u->proxy_https = getenv("https_proxy");
	if (u->proxy_http == NULL)
		u->proxy_http = getenv("all_proxy");
	if (u->proxy_https == NULL)
		u->proxy_https = getenv("all_proxy");
	/*
	 * libcurl reads no_proxy and NO_PROXY on every transfer unless
	 * CURLOPT_NOPROXY is set, so it is always set: an empty list means
	 * what the variables' absence means.
	 */
	u->noproxy = getenv("no_proxy");
	if (u->noproxy == NULL)
		u->noproxy = getenv("NO_PROXY");
	if (u->noproxy == NULL)
		u->noproxy = "";
	u->origin = calloc((size_t)(conf->nsites > 0 ? conf->nsites : 1), sizeof(*u->origin));
	if (u->origin == NULL)
		return -1;
	for (i = 0; i < conf->nsites; i++)
		u->origin[i] = origin_new(u, &conf->sites[i].ep);
	u->multi = curl_multi_init();
	if (u->multi == NULL)
		return -1;
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
	/*
	 * Keep plenty of idle connections to S3: a fresh TCP (and TLS)
	 * connection per request would cost more than the request itself.
	 */
	curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, 512L);
	return 0;
}

void
upstream_cleanup(struct upstream *u)
{
	int i;

	if (u->multi != NULL)
		curl_multi_cleanup(u->multi);
	u->multi = NULL;
	free(u->fds);
	u->fds = NULL;
	u->nfds = 0;
	if (u->sig != NULL) {
		for (i = 0; i < u->conf->nsites; i++)
			sigv4_clear(&u->sig[i]);
		free(u->sig);
		u->sig = NULL;
	}
	if (u->origin != NULL) {
		for (i = 0; i < u->conf->nsites; i++)
			if (u->origin[i] != NULL)
				curl_url_cleanup(u->origin[i]);
		free(u->origin);
		u->origin = NULL;
	}
}

void
upstream_xfer_free(struct upstream_xfer *ux)
{
	if (ux->easy != NULL)
		curl_easy_cleanup(ux->easy);
	ux->easy = NULL;
	ux->tls_site = 0;
}

/* Report the transfers libcurl has finished, after letting the owner flush. */
static void
after_curl(struct upstream *u)
{
	CURLMsg *msg;
	int left;

	u->ops->flush(u->owner);
	while ((msg = curl_multi_info_read(u->multi, &left)) != NULL) {
		struct upstream_xfer *ux = NULL;
		CURLcode rc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&ux);
		curl_multi_remove_handle(u->multi, msg->easy_handle);
		u->active--;
		if (ux == NULL || !ux->active)
			continue;
		ux->active = 0;
		ux->paused = 0;
		u->ops->done(ux->ctx, rc);
	}
}

/*
 * The handle's options that do not change from one request to the next:
 * set when the handle is made, and again when it moves to another site
 * (its TLS settings, proxy and origin follow it).
 */
static int
xfer_handle(struct upstream *u, struct upstream_xfer *ux, int site)
{
	const struct worker_site *ws = &u->conf->sites[site];
	const char *proxy = ws->ep.https ? u->proxy_https : u->proxy_http;

	if (ux->easy == NULL) {
		ux->easy = curl_easy_init();
		if (ux->easy == NULL)
			return -1;
		curl_easy_setopt(ux->easy, CURLOPT_HEADERFUNCTION, header_cb);
		curl_easy_setopt(ux->easy, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(ux->easy, CURLOPT_OPENSOCKETFUNCTION, open_cb);
		curl_easy_setopt(ux->easy, CURLOPT_OPENSOCKETDATA, u);
		curl_easy_setopt(ux->easy, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
		curl_easy_setopt(ux->easy, CURLOPT_CLOSESOCKETDATA, u);
		curl_easy_setopt(ux->easy, CURLOPT_NOPROXY, u->noproxy);
		curl_easy_setopt(ux->easy, CURLOPT_HEADERDATA, ux);
		curl_easy_setopt(ux->easy, CURLOPT_WRITEDATA, ux);
		curl_easy_setopt(ux->easy, CURLOPT_PRIVATE, ux);
	}
	if (ux->tls_site == site + 1)
		return 0;
	if (s3curl_defaults(ux->easy, u->conf->connect_timeout_ms, ws->tls_verify,
	    ws->ca_bundle) == -1)
		return -1;
	curl_easy_setopt(ux->easy, CURLOPT_PROXY, proxy != NULL ? proxy : "");
	/*
	 * Clearing the URL string makes libcurl 7.88 derive it again from the
	 * new origin; it would otherwise go on reporting the string of the
	 * handle's first transfer as the URL (in CURLINFO_EFFECTIVE_URL and
	 * its messages), though it connects to what the CURLU says.
	 */
	curl_easy_setopt(ux->easy, CURLOPT_URL, (char *)NULL);
	curl_easy_setopt(ux->easy, CURLOPT_CURLU, u->origin[site]);
	if (u->origin[site] == NULL)
		curl_easy_setopt(ux->easy, CURLOPT_REQUEST_TARGET, (char *)NULL);
	ux->tls_site = site + 1;
	return 0;
}

int
upstream_start(struct upstream *u, struct upstream_xfer *ux, void *ctx, int site,
    const char *method, const char *key, size_t keylen, const char *query,
    const char *const *fwd, time_t now_wall, uint64_t now_ms)
{
	const struct worker_site *ws = &u->conf->sites[site];
	struct curl_slist *tail;
	int i, head = strcmp(method, "HEAD") == 0;

	if (s3_request_build(&ux->s3, ws->signing ? &u->sig[site] : NULL, &ws->ep,
	    ws->session_token[0] != '\0' ? ws->session_token : NULL, method, key, keylen,
	    query, SIGV4_EMPTY_SHA256, NULL, now_wall) == -1)
		return -1;
	/* Forwarded headers are not signed; they follow the signed ones. */
	for (tail = &ux->s3.slist[0]; tail->next != NULL; tail = tail->next)
		;
	for (i = 0; fwd != NULL && fwd[i] != NULL && i < UPSTREAM_FWD_MAX; i++) {
		size_t n = strlen(fwd[i]);

		if (n >= sizeof(ux->fwd_lines[i]))
			n = sizeof(ux->fwd_lines[i]) - 1;
		memcpy(ux->fwd_lines[i], fwd[i], n);
		ux->fwd_lines[i][n] = '\0';
		ux->fwd[i].data = ux->fwd_lines[i];
		ux->fwd[i].next = NULL;
		tail->next = &ux->fwd[i];
		tail = &ux->fwd[i];
	}
	if (xfer_handle(u, ux, site) == -1)
		return -1;
	/*
	 * libcurl reads the response in buffer-sized recv() calls and keeps
	 * the buffer for the whole transfer, plus a copy of what is unread
	 * while paused.  Large buffers cut the system calls of a big download
	 * by a fifth, but 1,000 slow clients would each hold two: so only the
	 * first UPSTREAM_BIG_XFERS transfers of a worker get one.  32 covers a
	 * worker's share of 64 busy clients on a two-core machine: at 16, half
	 * of those read 10 MiB in 16 KiB calls and the worker spent 10-16%
	 * more CPU per object; 1,000 slow clients take 6 MiB more (bench/).
	 */
	curl_easy_setopt(ux->easy, CURLOPT_BUFFERSIZE, u->active < UPSTREAM_BIG_XFERS ?
	    (long)UPSTREAM_BIG_BUFFER : (long)CURL_MAX_WRITE_SIZE);
	/*
	 * With the origin parsed once, only the path and query are given per
	 * request: libcurl would otherwise parse the whole URL (scheme, host,
	 * port, path) on every transfer.  They go in as the request target,
	 * one string already built and signed, rather than into the CURLU:
	 * that one is shared by the site's handles and never changes, while
	 * setting its path and query instead would copy both per request and
	 * have libcurl format "?query" back onto the path.
	 */
	if (u->origin[site] != NULL)
		curl_easy_setopt(ux->easy, CURLOPT_REQUEST_TARGET, ux->s3.url + ux->s3.target_off);
	else
		curl_easy_setopt(ux->easy, CURLOPT_URL, ux->s3.url);
	curl_easy_setopt(ux->easy, CURLOPT_HTTPHEADER, &ux->s3.slist[0]);
	curl_easy_setopt(ux->easy, CURLOPT_NOBODY, head ? 1L : 0L);
	if (!head)
		curl_easy_setopt(ux->easy, CURLOPT_HTTPGET, 1L);
	ux->u = u;
	ux->ctx = ctx;
	ux->paused = 0;
	ux->start_ms = now_ms;
	if (curl_multi_add_handle(u->multi, ux->easy) != CURLM_OK)
		return -1;
	ux->active = 1;
	u->active++;
	return 0;
}

void
upstream_stop(struct upstream *u, struct upstream_xfer *ux)
{
	if (!ux->active)
		return;
	curl_multi_remove_handle(u->multi, ux->easy);
	ux->active = 0;
	ux->paused = 0;
	u->active--;
}

void
upstream_resume(struct upstream *u, struct upstream_xfer *ux)
{
	if (!ux->active || !ux->paused)
		return;
	ux->paused = 0;
	/* This may call the write callback at once, which may pause again. */
	curl_easy_pause(ux->easy, CURLPAUSE_CONT);
	after_curl(u);
}

void
upstream_socket_event(struct upstream *u, int fd, uint32_t events)
{
	int flags = 0, running;

	if (fd >= 0 && (size_t)fd < u->nfds && (u->fds[fd] & UFD_REG) &&
	    !(u->fds[fd] & UFD_WANTED)) {
		/* An idle kept-alive connection: the server closed it. */
		fd_unregister(u, fd, &u->fds[fd]);
		return;
	}
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(u->multi, fd, flags, &running);
	after_curl(u);
}

void
upstream_run_expired(struct upstream *u, uint64_t now_ms)
{
	int running;

	if (u->deadline_ms == 0 || now_ms < u->deadline_ms)
		return;
	u->deadline_ms = 0;
	curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	after_curl(u);
}

void
upstream_run_due(struct upstream *u)
{
	int running;

	/* Timeouts that became due "now" during this turn of the loop. */
	while (u->timeout_now) {
		u->timeout_now = 0;
		curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		after_curl(u);
	}
}
