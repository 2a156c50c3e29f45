/*
 * worker.c - the worker process: its epoll loop, accepting, signals and
 * the periodic tick that enforces connection deadlines.
 *
 * A worker accepts on the listening socket the master gives its slot: its
 * own when the master binds the address itself (one SO_REUSEPORT socket per
 * worker slot, among which the kernel spreads new connections), or the one
 * socket every worker shares when systemd passed it.  It is registered with
 * EPOLLEXCLUSIVE so that, when shared, a new connection wakes one worker, not
 * all of them, and registered again after each batch it accepts from a
 * shared socket (requeue_shared()), so that the next one wakes another.
 * When a reload lowered the worker count, the sockets of the slots that
 * went away come as extra listeners, accepted from until the master has
 * seen them empty and shut them.
 *
 * The master owns every listening socket.  On SIGTERM a worker stops
 * accepting and closes its copies (the sockets stay open in the master, and
 * what waits in their queues for the next worker of the slot), finishes what
 * is in flight, and exits.
 */
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "accesslog.h"
#include "clock.h"
#include "conn.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "serve.h"
#include "upstream.h"

#define TICK_MS 250
/*
 * Connections accepted per wakeup.  With a socket per worker it only bounds
 * the time one wakeup spends accepting.  On a shared socket it does not
 * decide the split either: with 2 workers and 16 or 64 connections opened at
 * once, 1 left one worker with all or nearly all of them as 64 did, since
 * the kernel wakes the first idle worker in the socket's wait queue, which
 * is the same one again as soon as it is idle.
 */
#define ACCEPT_BATCH 64
#define EMFILE_PAUSE_MS 100

static void
update_clock(struct worker *w)
{
	time_t t = time(NULL);
	struct tm tm;

	w->now_ms = clock_ms();
	if (t == w->now_wall)
		return;
	w->now_wall = t;
	gmtime_r(&t, &tm);
	http_format_date(t, w->date);
	strftime(w->logtime, sizeof(w->logtime), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	strftime(w->logtime_iso, sizeof(w->logtime_iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
ep_add(struct worker *w, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = data;
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static uint64_t
worker_listen_tag(int fd)
{
	return (uint64_t)(unsigned)fd << 3 | EV_TAG_LISTEN;
}

static void
set_accepting(struct worker *w, int on)
{
	int i;

	if (on == w->accepting)
		return;
	if (on) {
		/* EPOLLEXCLUSIVE forbids EPOLL_CTL_MOD, so the fd is re-added. */
		if (w->lfd != -1 &&
		    ep_add(w, w->lfd, EPOLLIN | EPOLLEXCLUSIVE, worker_listen_tag(w->lfd)) == -1)
			log_error("epoll add listener: %s", strerror(errno));
		/*
		 * Not exclusive: every worker holding a retired listener must
		 * see it hang up when the master shuts it, to close its copy.
		 * The master steers no new connection there, so the herd this
		 * could wake is only the stragglers of a reload.
		 */
		for (i = 0; i < w->nextra; i++)
			if (ep_add(w, w->extra[i], EPOLLIN, worker_listen_tag(w->extra[i])) == -1)
				log_error("epoll add retired listener: %s", strerror(errno));
		if (w->ifd != -1)
			ep_add(w, w->ifd, EPOLLIN | EPOLLEXCLUSIVE, EV_TAG_ILISTEN);
	} else {
		if (w->lfd != -1)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd, NULL);
		for (i = 0; i < w->nextra; i++)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->extra[i], NULL);
		if (w->ifd != -1)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->ifd, NULL);
	}
	w->accepting = on;
}

/*
 * A listener no longer listens: the master shut it once its queue was empty
 * (the socket of a worker slot that a reload removed).  Close our copy.
 */
static void
worker_listener_gone(struct worker *w, int fd)
{
	int i;

	epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	if (fd == w->lfd) {
		w->lfd = -1;
		log_warn("the main listener was shut; accepting on %d retired ones", w->nextra);
		return;
	}
	for (i = 0; i < w->nextra; i++) {
		if (w->extra[i] == fd) {
			w->extra[i] = w->extra[--w->nextra];
			break;
		}
	}
	log_debug("a retired listener was shut; %d left", w->nextra);
}

static void
peer_name(const struct sockaddr_storage *ss, char *out, size_t outsz)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)outsz);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)outsz);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)outsz);
	} else {
		snprintf(out, outsz, "unix");
	}
}

/* Accepts up to ACCEPT_BATCH connections; returns how many it took. */
static int
accept_some(struct worker *w, int lfd, int internal)
{
	int i, n = 0;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[INET6_ADDRSTRLEN + 1];
		struct conn *c;
		int fd, one = 1, lowat = 65536;

		if (w->nconns >= w->conf->max_connections) {
			/*
			 * Leave the rest in the backlog: for another worker
			 * when the socket is shared, for this one once it has
			 * room when the socket is its own.
			 */
			set_accepting(w, 0);
			return n;
		}
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINVAL && !internal)
				worker_listener_gone(w, lfd);
			else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_error("accept: %s; pausing accepts", strerror(errno));
				set_accepting(w, 0);
				w->accept_resume_ms = w->now_ms + EMFILE_PAUSE_MS;
			}
			return n;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/*
		 * Without a limit the kernel lets a client that never reads
		 * queue megabytes of answers, and a pipelining client that
		 * does not read would keep the worker fetching from S3.
		 */
		setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
		peer_name(&ss, peer, sizeof(peer));
		c = conn_new(w, fd, internal, peer);
		if (c == NULL) {
			close(fd);
			continue;
		}
		if (ep_add(w, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		    (uint64_t)(uintptr_t)c) == -1) {
			conn_close(c);
			continue;
		}
		/* Most clients send the request with the connection: try at once. */
		c->writable = 1;
		n++;
	}
	return n;
}

/*
 * On a shared socket the kernel wakes the first worker in the socket's
 * wait queue that is idle in epoll_wait, and a worker's place there is
 * where it was registered: the same worker would take every connection
 * it has time for (16 of 16 opened at once, as measured).  Registering
 * again after taking some moves it to the end of the queue, so that the
 * next connection wakes another worker: two system calls per batch,
 * only where workers share a socket (socket activation, or more workers
 * than sockets after dropping root).  A connection that comes in between
 * waits in the backlog, and registering reports it at once.
 */
static void
requeue_shared(struct worker *w)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd, NULL);
	if (ep_add(w, w->lfd, EPOLLIN | EPOLLEXCLUSIVE, worker_listen_tag(w->lfd)) == -1) {
		/* Out of kernel memory: the tick registers everything again. */
		log_error("epoll add listener: %s; pausing accepts", strerror(errno));
		set_accepting(w, 0);
		w->accept_resume_ms = w->now_ms + EMFILE_PAUSE_MS;
	}
}

static void
start_drain(struct worker *w)
{
	struct conn *c;

	if (w->draining)
		return;
	w->draining = 1;
	w->drain_deadline = w->now_ms + (uint64_t)w->conf->drain_timeout_ms;
	set_accepting(w, 0);
	/*
	 * Give up our reference to the listening sockets, so that once the
	 * master and every worker have done the same after SIGTERM the kernel
	 * refuses new connections instead of queueing them for no one.  On a
	 * reload the master still holds them, and what waits in their queues
	 * is for the new generation.
	 */
	if (w->lfd != -1)
		close(w->lfd);
	w->lfd = -1;
	while (w->nextra > 0)
		close(w->extra[--w->nextra]);
	if (w->ifd != -1) {
		close(w->ifd);
		w->ifd = -1;
	}
	for (c = w->conns; c != NULL; c = c->next)
		conn_drain(c);
	log_debug("draining %d connections", w->nconns);
}

static void
on_signal(struct worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			start_drain(w);
			break;
		case SIGUSR1:
			log_reopen();
			accesslog_open(w);
			break;
		default:
			break;
		}
	}
}

static void
on_tick(struct worker *w)
{
	struct conn *c, *next;
	uint64_t exp;

	if (read(w->tickfd, &exp, sizeof(exp)) == -1 && errno != EAGAIN)
		return;
	metrics_heartbeat();
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		conn_tick(c);
	}
	if (!w->accepting && !w->draining &&
	    w->nconns < w->conf->max_connections &&
	    w->now_ms >= w->accept_resume_ms)
		set_accepting(w, 1);
}

static int
make_tick(struct worker *w)
{
	struct itimerspec its;

	w->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->tickfd == -1)
		return -1;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_nsec = TICK_MS * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(w->tickfd, 0, &its, NULL) == -1)
		return -1;
	if (ep_add(w, w->tickfd, EPOLLIN, EV_TAG_TICK) == -1)
		return -1;
	return 0;
}

static int
make_signals(struct worker *w)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->sigfd == -1)
		return -1;
	return ep_add(w, w->sigfd, EPOLLIN, EV_TAG_SIGNAL);
}

static void
dispatch(struct worker *w, const struct epoll_event *ev)
{
	uint64_t d = ev->data.u64;
	int fd;

	switch (d & EV_TAG_MASK) {
	case EV_TAG_CONN:
		conn_event((struct conn *)(uintptr_t)d, ev->events);
		break;
	case EV_TAG_LISTEN:
		if (!w->accepting)
			break;
		fd = (int)(d >> 3);
		/* accept_some() may stop accepting, or close a retired listener. */
		if (accept_some(w, fd, 0) > 0 && w->shared && w->accepting && fd == w->lfd)
			requeue_shared(w);
		break;
	case EV_TAG_ILISTEN:
		if (w->accepting)
			accept_some(w, w->ifd, 1);
		break;
	case EV_TAG_SIGNAL:
		on_signal(w);
		break;
	case EV_TAG_TICK:
		on_tick(w);
		break;
	case EV_TAG_CURLSOCK:
		upstream_socket_event(&w->up, (int)(d >> 3), ev->events);
		break;
	default:
		break;
	}
}

/*
 * Long because it is the worker's whole life in order: set up, the
 * readiness report, the loop, the drain and the release of every resource.
 */
void
worker_main(const struct worker_conf *conf, const struct worker_fds *fds)
{
	static struct worker wk;
	struct worker *w = &wk;
	struct epoll_event evs[256];
	char role[32];
	pid_t pid = getpid();

	snprintf(role, sizeof(role), "worker %d", (int)pid);
	log_set_role(role);
	metrics_attach(conf->metrics, fds->metrics_slot);
	metrics_heartbeat();
	memset(w, 0, sizeof(*w));
	w->conf = conf;
	w->handler = &serve_handler;
	w->lfd = fds->lfd;
	w->shared = fds->shared;
	if (fds->nextra > 0) {
		w->extra = calloc((size_t)fds->nextra, sizeof(*w->extra));
		if (w->extra == NULL) {
			log_error("worker setup failed: out of memory");
			_exit(1);
		}
		memcpy(w->extra, fds->extra, (size_t)fds->nextra * sizeof(*w->extra));
		w->nextra = fds->nextra;
	}
	w->ifd = fds->ifd;
	w->ops_listener = fds->ifd != -1;
	w->tls = conf->tls;
	w->ready_fd = fds->ready_fd;
	w->access_fd = -1;
	w->sigfd = w->tickfd = -1;
	signal(SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
	/*
	 * libcurl allocates a transfer's receive buffer (up to 128 KiB, see
	 * upstream.c) when it starts and frees it when it ends.  With glibc's
	 * defaults that buffer sits at the top of the heap and every request
	 * moved the break twice; keeping up to 1 MiB of free heap stops that.
	 */
	mallopt(M_MMAP_THRESHOLD, 512 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
#endif
	update_clock(w);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd == -1 || make_signals(w) == -1 || make_tick(w) == -1 ||
	    upstream_init(&w->up, w->epfd, EV_TAG_CURLSOCK, conf, &serve_upstream_ops, w) == -1) {
		log_error("worker setup failed: %s", strerror(errno));
		_exit(1);
	}
	accesslog_open(w);
	if (conf->caching) {
		if (cache_init(&w->cache, conf->cache_bytes, conf->cache_max_object,
		    0) == -1) {
			log_error("cannot allocate the cache");
			_exit(1);
		}
		w->caching = 1;
	}
	set_accepting(w, 1);
	/* Tell the master that this worker takes connections now. */
	if (w->ready_fd != -1) {
		int32_t p = (int32_t)pid;

		if (write(w->ready_fd, &p, sizeof(p)) != (ssize_t)sizeof(p))
			log_warn("cannot report readiness: %s", strerror(errno));
		close(w->ready_fd);
		w->ready_fd = -1;
	}
	for (;;) {
		int i, n;

		n = epoll_wait(w->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    upstream_wait_ms(&w->up));
		if (n == -1 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			_exit(1);
		}
		update_clock(w);
		for (i = 0; i < n; i++)
			dispatch(w, &evs[i]);
		upstream_run_expired(&w->up, w->now_ms);
		/* Freeing a transfer may ask libcurl for another zero timeout. */
		do {
			upstream_run_due(&w->up);
			conn_reap(w);
		} while (w->up.timeout_now);
		if (w->draining && (w->nconns == 0 || w->now_ms >= w->drain_deadline)) {
			if (w->nconns > 0)
				log_warn("drain deadline passed with %d connections open",
				    w->nconns);
			break;
		}
	}
	while (w->conns != NULL)
		conn_close(w->conns);
	conn_reap(w);
	while (w->free_xfers != NULL) {
		struct xfer *x = w->free_xfers;

		w->free_xfers = x->next_free;
		upstream_xfer_free(&x->up);
		free(x);
	}
	upstream_cleanup(&w->up);
	free(w->extra);
	if (w->caching)
		cache_free(&w->cache);
	_exit(0);
}
