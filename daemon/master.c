/*
 * master.c - process supervision, reload and shutdown.
 *
 * The master waits on a signalfd and on a pipe the workers write their pid
 * into once they accept.  A reload builds the new configuration (and TLS
 * context) first; only if that succeeds does a new generation of workers
 * start, and only once the new generation accepts is the old one told to
 * finish its requests and exit.  The listening sockets are never closed in
 * between, so connections that arrive during a reload wait in the backlog
 * instead of being refused.
 *
 * When the master binds the address itself, each worker slot has its own
 * listening socket, all bound with SO_REUSEPORT, and a classic BPF program
 * attached to the group makes the kernel put each new connection in one of
 * them at random: the load is even whatever the order in which the workers
 * wake up.  The master owns those sockets and a worker only borrows its
 * slot's: a worker that exits or is replaced closes nothing, and the next
 * worker of the slot finds the connections queued meanwhile.  When systemd
 * passes the socket (socket activation) there is one, shared by all workers
 * as before: it is systemd's, and the sockets of a group must be bound by
 * the process that forms it.  The comment before struct lgroup says how a
 * change of the worker count keeps every connection.
 *
 * A reload after the program file was replaced (a package upgrade) is an
 * upgrade: once the new program has checked the configuration, the master
 * executes it in place, keeping its pid and handing it the listening
 * sockets the way systemd does (LISTEN_FDS, with LISTEN_FDNAMES saying
 * which is which) and the old workers' pids.  The
 * new master starts its workers, and only once they accept are the old ones
 * told to drain, exactly as in a reload; no connection is refused.
 */
#include "master.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"
#include "watch.h"
#include "webdoc.h"
#include "worker.h"

#define MAX_PROCS 1024
#define READY_WAIT_MS 15000
#define FAST_CRASH_MS 5000
#define CRASH_LOOP_LIMIT 10
#define HEARTBEAT_STALE_MS 30000
/* What an upgrading master tells the program it executes. */
#define UPGRADE_ENV "S3WWWD_UPGRADE"          /* "own" or "systemd": whose sockets */
#define UPGRADE_WORKERS_ENV "S3WWWD_UPGRADE_WORKERS" /* old workers, "pid,pid,..." */
/* Asked of the new program's -t, and its answer if it reads LISTEN_FDNAMES (main.c). */
#define UPGRADE_PROBE_ENV "S3WWWD_UPGRADE_PROBE"
#define UPGRADE_PROBE_ANSWER "s3wwwd-upgrade: fdnames"
/* The LISTEN_FDNAMES of the sockets an upgrading master hands over. */
#define FDNAME_MAIN "s3wwwd-main"         /* a worker slot's, in slot order */
#define FDNAME_RETIRING "s3wwwd-retiring" /* of a slot that went away */
#define FDNAME_SPARE "s3wwwd-spare"       /* bound, not listening */
#define FDNAME_OPS "s3wwwd-ops"           /* the ops listener */
#define LISTEN_BACKLOG 4096
/*
 * How long a socket whose slot went away keeps its place after the kernel
 * was told to steer nothing more to it: handshakes it had begun complete
 * into its queue within a round trip, or after the SYN-ACK is sent again
 * (1 s, then 3 s).
 */
#define RETIRE_GRACE_MS 3000
#define RETIRE_POLL_MS 100
/* Sockets bound before dropping privileges, for more workers later. */
#define SPARE_MAX 64

extern char **environ;

struct wproc {
	pid_t pid;
	unsigned gen;
	int slot;         /* in the metrics region */
	int lslot;        /* worker slot: which listening socket; -1 for adopted ones */
	int ready;
	int stopping;
	uint64_t started_ms;
};

/*
 * The main listening sockets.
 *
 * When the master binds the address itself (reuseport set), there is one
 * socket per worker slot, all bound with SO_REUSEPORT by this user: the
 * kernel makes them one reuseport group and, for each new connection, runs
 * the classic BPF program attached to the group, which returns a random
 * index below `steer`.  The kernel numbers a group's sockets in the order
 * they called listen(), and when one leaves, the last one takes its index.
 * fd[] follows the same rules, so that fd[i] is the socket at index i.
 *
 * fd[0..active) are the sockets of the current worker slots.  fd[active..n)
 * are being retired, after a reload lowered the worker count: once the new
 * workers accept, the program is attached again with the new count, so that
 * no new connection goes there; the new workers accept from them as well
 * (what was queued, what was in the middle of its handshake), and the master
 * shuts each one once it is empty, RETIRE_GRACE_MS later.  Retiring sockets
 * sit after the active ones, so their going never moves an active one.  A
 * higher count takes retiring sockets back first, then spares, then new
 * sockets: all join the group at its end, and no connection is steered to
 * them until the new workers accept.  A reload that fails closes only what
 * it added, to which nothing was steered.
 *
 * Under socket activation (reuseport 0) fd[0] is the one socket every worker
 * shares, as is a socket inherited from a program without this scheme.
 */
struct lgroup {
	int fd[MAX_PROCS];
	int n;
	int active;
	int steer;           /* what the attached program picks among; -1: unknown */
	int reuseport;
	int spare[SPARE_MAX]; /* bound with SO_REUSEPORT, not listening */
	int nspare;
	uint64_t retire_at;   /* when the retiring ones may be shut, if empty */
};

/* What master_group_prepare() changed, for master_group_undo(). */
struct lundo {
	int n;
	int active;
};

struct master {
	struct config *cfg;
	struct worker_conf *wc; /* what this generation's workers are given */
	const char *config_path;
	int argc;
	char *const *argv;
	struct lgroup grp;  /* the main listeners */
	struct lgroup prev; /* during a reload to a new address: the old ones */
	int ifd;
	int prev_ifd;       /* during a reload to a new ops address: the old one */
	int socket_activated;
	SSL_CTX *tls;
	struct metrics_region *metrics;
	struct watch watch;    /* the credential and TLS files on disk */
	struct webdocs doc;    /* each site's WebsiteConfiguration, if any */
	struct wproc procs[MAX_PROCS];
	unsigned gen;
	int want;
	int sigfd;
	int readyfd[2];
	int fast_crashes;
	uint64_t respawn_at;
	uint64_t watchdog_usec;
	uint64_t last_watchdog;
	int stopping;
	/* The program file this process runs, to notice its replacement. */
	char exe[PATH_MAX];
	dev_t exe_dev;
	ino_t exe_ino;
};

static uint64_t
now_ms(void)
{
	return clock_ms();
}

/*
 * Attach to fd's reuseport group the program that picks the socket of each
 * new connection: a random number (the kernel's prandom, SKF_AD_RANDOM)
 * modulo n, the index of a socket in the group.  Random rather than the
 * kernel's own choice by a hash of the addresses: that hash spreads as well,
 * but over every socket of the group, and a reload must be able to keep
 * new connections off the sockets it is about to add or retire.
 */
static int
master_steer(int fd, int n)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_RANDOM)),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog;

	/* Zeroed whole: the padding after len goes to the kernel too (valgrind). */
	memset(&prog, 0, sizeof(prog));
	prog.len = sizeof(code) / sizeof(code[0]);
	prog.filter = code;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

/*
 * A TCP socket bound to sa, listening unless spare is set.  With reuseport
 * it may share the address with the other sockets bound so by this user;
 * steer > 0 attaches the program that spreads connections among the first
 * steer of them, which must be done before the group's first socket listens
 * for the group to keep it.
 */
static int
master_socket(const struct sockaddr *sa, socklen_t salen, int reuseport, int steer, int spare)
{
	int fd, one = 1, zero = 0, e;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if ((reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1) ||
	    (steer > 0 && master_steer(fd, steer) == -1) ||
	    bind(fd, sa, salen) == -1 || (!spare && listen(fd, LISTEN_BACKLOG) == -1)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The addresses to try for "host:port", in order; NULL with err. */
static struct addrinfo *
master_resolve(const char *addr, int *wildcard, char *err, size_t errsz)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	const char *port = colon + 1;
	struct addrinfo hints, *res = NULL;
	size_t hl = (size_t)(colon - addr);
	int rc;

	if (hl >= sizeof(host)) {
		snprintf(err, errsz, "listen address too long");
		return NULL;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	/* An empty host or "*" means every address, IPv6 and IPv4 alike. */
	*wildcard = host[0] == '\0';
	rc = getaddrinfo(host[0] == '\0' || strcmp(host, "*") == 0 ? NULL : host, port, &hints,
	    &res);
	if (rc != 0) {
		snprintf(err, errsz, "cannot resolve listen address %s: %s", addr,
		    gai_strerror(rc));
		return NULL;
	}
	return res;
}

/* Whether to skip ai: a wildcard takes the IPv6 socket, which takes IPv4 too. */
static int
master_skip(const struct addrinfo *res, const struct addrinfo *ai, int wildcard)
{
	return wildcard && res->ai_next != NULL && ai->ai_family != AF_INET6;
}

int
master_listen(const char *addr, char *err, size_t errsz)
{
	struct addrinfo *res, *ai;
	int fd = -1, wildcard;

	err[0] = '\0';
	if ((res = master_resolve(addr, &wildcard, err, errsz)) == NULL)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (master_skip(res, ai, wildcard))
			continue;
		fd = master_socket(ai->ai_addr, ai->ai_addrlen, 0, 0, 0);
		if (fd != -1)
			break;
		snprintf(err, errsz, "cannot listen on %s: %s", addr, strerror(errno));
	}
	freeaddrinfo(res);
	if (fd == -1 && err[0] == '\0')
		snprintf(err, errsz, "cannot listen on %s", addr);
	return fd;
}

static void
master_group_close(struct lgroup *g)
{
	while (g->n > 0)
		close(g->fd[--g->n]);
	while (g->nspare > 0)
		close(g->spare[--g->nspare]);
	g->active = 0;
	g->steer = -1;
}

/*
 * Bind addr for want worker slots: one socket each, SO_REUSEPORT, with the
 * program attached to the first before it listens, and spares more bound
 * without listening.  A socket without SO_REUSEPORT is bound and closed
 * first, so that a server already on that port is an error as it always
 * was (another s3wwwd of the same user would otherwise let these join its
 * group).  Where SO_REUSEPORT or the program is refused, one socket is
 * bound the old way and shared.  Long because each step has its fallback.
 */
static int
master_group_open(struct lgroup *g, const char *addr, int want, int spares, char *err,
    size_t errsz)
{
	struct addrinfo *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, wildcard;

	memset(g, 0, sizeof(*g));
	g->steer = -1;
	err[0] = '\0';
	if ((res = master_resolve(addr, &wildcard, err, errsz)) == NULL)
		return -1;
	for (ai = res; ai != NULL && g->n == 0; ai = ai->ai_next) {
		if (master_skip(res, ai, wildcard))
			continue;
		if ((fd = master_socket(ai->ai_addr, ai->ai_addrlen, 0, 0, 1)) == -1) {
			snprintf(err, errsz, "cannot listen on %s: %s", addr, strerror(errno));
			continue;
		}
		close(fd);
		fd = master_socket(ai->ai_addr, ai->ai_addrlen, 1, want, 0);
		if (fd == -1) {
			log_warn("cannot give each worker a socket of its own on %s (%s): they "
			    "share one", addr, strerror(errno));
			if ((fd = master_socket(ai->ai_addr, ai->ai_addrlen, 0, 0, 0)) == -1) {
				snprintf(err, errsz, "cannot listen on %s: %s", addr,
				    strerror(errno));
				continue;
			}
			g->fd[g->n++] = fd;
			break;
		}
		g->fd[g->n++] = fd;
		g->reuseport = 1;
		g->steer = want;
	}
	freeaddrinfo(res);
	if (g->n == 0) {
		if (err[0] == '\0')
			snprintf(err, errsz, "cannot listen on %s", addr);
		return -1;
	}
	/* The others take the port of the first, which the kernel chose for port 0. */
	if (g->reuseport && getsockname(g->fd[0], (struct sockaddr *)&ss, &sl) == 0) {
		while (g->n < want &&
		    (fd = master_socket((struct sockaddr *)&ss, sl, 1, 0, 0)) != -1)
			g->fd[g->n++] = fd;
		if (g->n < want)
			log_warn("only %d of %d sockets on %s (%s): some workers share one",
			    g->n, want, addr, strerror(errno));
		while (g->nspare < spares && g->nspare < SPARE_MAX &&
		    (fd = master_socket((struct sockaddr *)&ss, sl, 1, 0, 1)) != -1)
			g->spare[g->nspare++] = fd;
	}
	g->active = g->n;
	return 0;
}

/* One more socket at the end of the group: a spare that now listens, or a new one. */
static int
master_group_add(struct lgroup *g)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	if (g->n >= MAX_PROCS)
		return -1;
	if (g->nspare > 0) {
		fd = g->spare[--g->nspare];
		if (listen(fd, LISTEN_BACKLOG) == -1) {
			close(fd);
			return -1;
		}
	} else if (getsockname(g->fd[0], (struct sockaddr *)&ss, &sl) == -1 ||
	    (fd = master_socket((struct sockaddr *)&ss, sl, 1, 0, 0)) == -1) {
		return -1;
	}
	g->fd[g->n++] = fd;
	return 0;
}

/*
 * Before a generation of want workers starts: one socket for each slot if
 * possible, the retiring ones first.  Nothing is steered to a socket added
 * here until master_group_commit().  Slots beyond the sockets there are
 * share one (when privileges are gone and there is no spare left, the
 * kernel refuses this user new sockets in the group).
 */
static void
master_group_prepare(struct lgroup *g, int want, struct lundo *u)
{
	u->n = g->n;
	u->active = g->active;
	if (!g->reuseport)
		return;
	while (g->n < want && master_group_add(g) == 0)
		;
	if (g->n < want)
		log_warn("%d workers but %d sockets (%s): some workers share one; a restart "
		    "gives each its own", want, g->n, strerror(errno));
	g->active = want < g->n ? want : g->n;
}

/* The new generation did not start: close what prepare added. */
static void
master_group_undo(struct lgroup *g, const struct lundo *u)
{
	/* Last in the group, and never steered to: closing them moves nothing. */
	while (g->n > u->n)
		close(g->fd[--g->n]);
	g->active = u->active;
}

/*
 * The new generation accepts: steer new connections to its sockets only,
 * and start the grace period of those that are retired.
 */
static void
master_group_commit(struct lgroup *g)
{
	if (!g->reuseport)
		return;
	if (g->steer != g->active) {
		if (master_steer(g->fd[0], g->active) == -1) {
			/* The old program stays: the retiring sockets are kept. */
			log_error("cannot steer connections to %d sockets: %s", g->active,
			    strerror(errno));
			return;
		}
		log_info("connections spread over %d sockets%s", g->active,
		    g->n > g->active ? "; the removed slots' sockets close once empty" : "");
		g->steer = g->active;
	}
	if (g->n > g->active)
		g->retire_at = now_ms() + RETIRE_GRACE_MS;
}

/* 1 if the socket's accept queue is empty (TCP_INFO on a listener says). */
static int
master_queue_empty(int fd)
{
	struct tcp_info ti;
	socklen_t sl = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) == 0 && ti.tcpi_unacked == 0;
}

/*
 * Shut the retiring sockets that are past their grace period and empty.
 * shutdown() takes a socket out of the group and makes it hang up in every
 * process that holds it, so the workers that accepted from it close their
 * copies; close() alone would leave it listening while they hold it.
 */
static void
master_group_retire(struct lgroup *g)
{
	int i, shut = 0;

	if (!g->reuseport || g->n <= g->active || g->steer != g->active ||
	    now_ms() < g->retire_at)
		return;
	for (i = g->n - 1; i >= g->active; i--) {
		if (!master_queue_empty(g->fd[i]))
			continue; /* the workers are still taking its connections */
		shutdown(g->fd[i], SHUT_RD);
		close(g->fd[i]);
		g->fd[i] = g->fd[--g->n]; /* the kernel moves its last socket there too */
		shut++;
	}
	if (shut > 0)
		log_info("closed %d socket(s) of removed worker slots%s", shut,
		    g->n > g->active ? "; others still have connections queued" : "");
}

/* The socket worker slot lslot accepts on. */
static int
master_slot_fd(const struct lgroup *g, int lslot)
{
	return g->active > 0 ? g->fd[lslot % g->active] : -1;
}

static struct wproc *
find_proc(struct master *m, pid_t pid)
{
	int i;

	for (i = 0; i < MAX_PROCS; i++)
		if (m->procs[i].pid == pid)
			return &m->procs[i];
	return NULL;
}

static int
count_procs(struct master *m, unsigned gen, int only_live_ready)
{
	int i, n = 0;

	for (i = 0; i < MAX_PROCS; i++) {
		struct wproc *p = &m->procs[i];

		if (p->pid <= 0 || p->gen != gen || p->stopping)
			continue;
		if (only_live_ready && !p->ready)
			continue;
		n++;
	}
	return n;
}

/* The lowest worker slot that no worker of the current generation has. */
static int
free_lslot(struct master *m)
{
	static unsigned char used[MAX_PROCS];
	int i;

	memset(used, 0, sizeof(used));
	for (i = 0; i < MAX_PROCS; i++) {
		struct wproc *p = &m->procs[i];

		if (p->pid > 0 && p->gen == m->gen && !p->stopping && p->lslot >= 0 &&
		    p->lslot < MAX_PROCS)
			used[p->lslot] = 1;
	}
	for (i = 0; i < MAX_PROCS - 1 && used[i]; i++)
		;
	return i;
}

/*
 * In a new worker: close the listening sockets that are not its to accept
 * on.  A copy left open would keep a socket listening after the master and
 * its workers closed it, with connections queued for no one.
 */
static void
child_close_listeners(struct master *m, int lfd)
{
	int i;

	for (i = 0; i < m->grp.active; i++)
		if (m->grp.fd[i] != lfd)
			close(m->grp.fd[i]);
	for (i = 0; i < m->grp.nspare; i++)
		close(m->grp.spare[i]);
	for (i = 0; i < m->prev.n; i++)
		close(m->prev.fd[i]);
	for (i = 0; i < m->prev.nspare; i++)
		close(m->prev.spare[i]);
	if (m->prev_ifd != -1 && m->prev_ifd != m->ifd)
		close(m->prev_ifd);
}

static int
spawn(struct master *m)
{
	struct wproc *p = find_proc(m, 0);
	pid_t pid;
	int slot, lslot = free_lslot(m);

	if (p == NULL) {
		log_error("too many worker processes");
		return -1;
	}
	slot = metrics_slot_claim(m->metrics);
	pid = fork();
	if (pid == -1) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/*
		 * Signals stay blocked: the worker takes them from its own
		 * signalfd, and a SIGTERM that arrived before it is set up
		 * must wait for it rather than kill it mid-start.
		 */
		close(m->sigfd);
		close(m->readyfd[0]);
		watch_close(&m->watch);
		struct worker_fds fds = {
			.lfd = master_slot_fd(&m->grp, lslot),
			.extra = m->grp.fd + m->grp.active, .nextra = m->grp.n - m->grp.active,
			.ifd = m->ifd, .ready_fd = m->readyfd[1], .metrics_slot = slot,
			.shared = m->grp.active < m->want
		};

		child_close_listeners(m, fds.lfd);
		worker_main(m->wc, &fds);
	}
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->gen = m->gen;
	p->slot = slot;
	p->lslot = lslot;
	p->started_ms = now_ms();
	return 0;
}

static void
signal_gen(struct master *m, unsigned gen, int all_but, int sig)
{
	int i;

	for (i = 0; i < MAX_PROCS; i++) {
		struct wproc *p = &m->procs[i];

		if (p->pid <= 0 || (all_but ? p->gen == gen : p->gen != gen))
			continue;
		if (sig == SIGTERM || sig == SIGKILL)
			p->stopping = 1;
		kill(p->pid, sig);
	}
}

static void
read_ready(struct master *m)
{
	int32_t pid;

	while (read(m->readyfd[0], &pid, sizeof(pid)) == (ssize_t)sizeof(pid)) {
		struct wproc *p = find_proc(m, (pid_t)pid);

		if (p != NULL)
			p->ready = 1;
	}
}

static void
notify_status(struct master *m, const char *what)
{
	sd_notifyf(0, "STATUS=%s; %d workers (generation %u) on %s", what,
	    count_procs(m, m->gen, 1), m->gen, m->cfg->listen);
}

/* Reap exited workers; schedule replacements for the ones that crashed. */
static int
reap_children(struct master *m)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct wproc *p = find_proc(m, pid);
		uint64_t lived;

		if (p == NULL)
			continue;
		lived = now_ms() - p->started_ms;
		metrics_slot_release(m->metrics, p->slot);
		if (p->stopping || m->stopping || p->gen != m->gen) {
			if (WIFSIGNALED(status))
				log_warn("worker %d killed by signal %d while stopping",
				    (int)pid, WTERMSIG(status));
			else if (WEXITSTATUS(status) != 0)
				log_warn("worker %d exited with status %d while stopping",
				    (int)pid, WEXITSTATUS(status));
			memset(p, 0, sizeof(*p));
			continue;
		}
		if (WIFSIGNALED(status))
			log_error("worker %d killed by signal %d after %llu ms", (int)pid,
			    WTERMSIG(status), (unsigned long long)lived);
		else
			log_error("worker %d exited with status %d after %llu ms", (int)pid,
			    WEXITSTATUS(status), (unsigned long long)lived);
		memset(p, 0, sizeof(*p));
		metrics_worker_restart(m->metrics);
		if (lived < FAST_CRASH_MS)
			m->fast_crashes++;
		else
			m->fast_crashes = 0;
		if (m->fast_crashes >= CRASH_LOOP_LIMIT) {
			log_error("workers keep crashing (%d in a row); giving up",
			    m->fast_crashes);
			return -1;
		}
		/* Back off: 0, 100 ms, 200 ms, ... up to 5 s for repeated crashes. */
		{
			uint64_t delay = m->fast_crashes == 0 ? 0 :
			    (uint64_t)100 << (m->fast_crashes > 6 ? 6 : m->fast_crashes - 1);

			if (delay > 5000)
				delay = 5000;
			m->respawn_at = now_ms() + delay;
		}
	}
	return 0;
}

/* Start workers until the current generation is complete. */
static void
fill(struct master *m)
{
	while (count_procs(m, m->gen, 0) < m->want && now_ms() >= m->respawn_at) {
		if (spawn(m) == -1)
			break;
	}
}

/* Wait until the current generation accepts, or the deadline passes. */
static int
wait_ready(struct master *m, uint64_t deadline)
{
	while (count_procs(m, m->gen, 1) < m->want) {
		struct pollfd pfd = { .fd = m->readyfd[0], .events = POLLIN };
		uint64_t now = now_ms();

		if (now >= deadline)
			return -1;
		if (poll(&pfd, 1, (int)(deadline - now > 100 ? 100 : deadline - now)) > 0)
			read_ready(m);
		if (reap_children(m) == -1)
			return -1;
		if (count_procs(m, m->gen, 0) < m->want)
			return -1; /* one of the new workers died */
	}
	return 0;
}

/*
 * Remember which file this process runs.  /proc/self/exe names it (with
 * " (deleted)" appended once it is unlinked), and its device and inode
 * tell whether the path still holds the same file later.
 */
static void
exe_remember(struct master *m)
{
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", m->exe, sizeof(m->exe) - 1);
	size_t len;

	if (n <= 0) {
		m->exe[0] = '\0';
		return;
	}
	m->exe[n] = '\0';
	len = strlen(m->exe);
	if (len > 10 && strcmp(m->exe + len - 10, " (deleted)") == 0)
		m->exe[len - 10] = '\0';
	if (stat("/proc/self/exe", &st) == 0) {
		m->exe_dev = st.st_dev;
		m->exe_ino = st.st_ino;
	}
}

/* 1 when the program's path now holds another file than the one running. */
static int
exe_replaced(const struct master *m)
{
	struct stat st;

	if (m->exe[0] == '\0' || stat(m->exe, &st) == -1 || !S_ISREG(st.st_mode))
		return 0;
	return st.st_dev != m->exe_dev || st.st_ino != m->exe_ino;
}

/*
 * Run the new program with -t on the same arguments: an upgrade goes ahead
 * only if it accepts the configuration, since there is no way back once it
 * has replaced this process.  Its messages go where ours do.  With
 * UPGRADE_PROBE_ENV set, a program that takes its sockets by name
 * (LISTEN_FDNAMES) says so on its standard output, read here into *named;
 * an older one (a downgrade) says nothing and gets them its way.
 */
static int
exe_check(struct master *m, int *named)
{
	char *args[256], out[256];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int i, n = 0, status, rc, pfd[2];
	size_t got = 0;
	ssize_t r;

	*named = 0;
	if (m->argc + 3 > (int)(sizeof(args) / sizeof(args[0])))
		return -1;
	args[n++] = m->exe;
	args[n++] = (char *)"-t";
	for (i = 0; i < m->argc; i++)
		args[n++] = m->argv[i];
	args[n] = NULL;
	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	setenv(UPGRADE_PROBE_ENV, "1", 1);
	rc = posix_spawn(&pid, m->exe, &fa, NULL, args, environ);
	unsetenv(UPGRADE_PROBE_ENV);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		return -1;
	}
	while (got < sizeof(out) - 1) {
		r = read(pfd[0], out + got, sizeof(out) - 1 - got);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0 || errno != EINTR)
			break;
	}
	out[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	*named = strstr(out, UPGRADE_PROBE_ANSWER) != NULL;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * Put fd at target, keeping what was there in *saved (-1: nothing), as a
 * copy at base or above.
 */
static int
fd_move(int fd, int target, int base, int *saved)
{
	*saved = -1;
	if (fcntl(target, F_GETFD) != -1 && (*saved = fcntl(target, F_DUPFD_CLOEXEC, base)) == -1)
		return -1;
	if (fd != target && dup2(fd, target) == -1)
		return -1;
	return fcntl(target, F_SETFD, 0);
}

static void
fd_restore(int target, int saved)
{
	if (saved == -1) {
		close(target);
		return;
	}
	dup2(saved, target);
	fcntl(target, F_SETFD, FD_CLOEXEC);
	close(saved);
}

/* Add fd, named name, to what an upgrade hands over. */
static void
upgrade_add(int *fds, char *names, size_t namesz, int *n, int fd, const char *name)
{
	size_t len = strlen(names);

	fds[*n] = fd;
	snprintf(names + len, namesz - len, "%s%s", *n > 0 ? ":" : "", name);
	(*n)++;
}

/*
 * Execute the new program in place of this one.  Returns only when that
 * cannot be done, with everything as it was: the caller then reloads the
 * usual way.  The sockets go to descriptors 3 and up with LISTEN_FDS and
 * LISTEN_PID, which the new master reads as systemd's (sd_listen_fds), and
 * LISTEN_FDNAMES naming each: the main listeners in the order of their
 * reuseport group, those being retired, the spares, the ops listener.  A
 * program from before the names (a downgrade) reads the first as the main
 * listener and the second as the ops listener: it gets only those, and the
 * kernel is told first to put every new connection in the first, so that
 * the others receive nothing more while the old workers empty them.  The
 * old workers' pids go along, so that the new master drains them once its
 * own workers accept.  Long because every descriptor moved must be put
 * back if the program cannot be executed.
 */
static void
upgrade(struct master *m)
{
	enum { MAXFD = MAX_PROCS + SPARE_MAX + 1 };
	static int src[MAXFD], copy[MAXFD], saved[MAXFD];
	static char names[MAXFD * (sizeof(FDNAME_RETIRING) + 1)];
	char *args[256], pids[MAX_PROCS * 12], num[32];
	int i, n = 0, moved = 0, copied = 0, base, named, collapsed = 0;
	size_t off = 0;

	if (m->argc + 2 > (int)(sizeof(args) / sizeof(args[0])))
		return;
	log_info("the program file %s was replaced: checking the new one", m->exe);
	if (exe_check(m, &named) == -1) {
		log_error("the new program refuses the configuration or does not run; "
		    "reloading with the old one");
		return;
	}
	pids[0] = '\0';
	for (i = 0; i < MAX_PROCS; i++) {
		if (m->procs[i].pid <= 0 || m->procs[i].stopping)
			continue;
		off += (size_t)snprintf(pids + off, sizeof(pids) - off, "%s%d", off ? "," : "",
		    (int)m->procs[i].pid);
		if (off >= sizeof(pids))
			return;
	}
	args[n++] = m->exe;
	for (i = 0; i < m->argc; i++)
		args[n++] = m->argv[i];
	args[n] = NULL;
	n = 0;
	names[0] = '\0';
	for (i = 0; i < (named ? m->grp.n : 1); i++)
		upgrade_add(src, names, sizeof(names), &n, m->grp.fd[i],
		    i < m->grp.active ? FDNAME_MAIN : FDNAME_RETIRING);
	for (i = 0; named && i < m->grp.nspare; i++)
		upgrade_add(src, names, sizeof(names), &n, m->grp.spare[i], FDNAME_SPARE);
	if (!named && m->grp.reuseport && m->grp.n > 1) {
		log_warn("the new program shares one socket among its workers: the other %d "
		    "receive no new connection from now on", m->grp.n - 1);
		if (master_steer(m->grp.fd[0], 1) == -1) {
			log_error("cannot steer every connection to one socket: %s; reloading "
			    "with the old program", strerror(errno));
			return;
		}
		collapsed = 1;
	}
	if (m->ifd != -1)
		upgrade_add(src, names, sizeof(names), &n, m->ifd, FDNAME_OPS);
	/* Copies above every target first, so that moving one cannot overwrite another. */
	base = SD_LISTEN_FDS_START + n;
	for (copied = 0; copied < n; copied++)
		if ((copy[copied] = fcntl(src[copied], F_DUPFD_CLOEXEC, base)) == -1)
			goto undo;
	for (moved = 0; moved < n; moved++)
		if (fd_move(copy[moved], SD_LISTEN_FDS_START + moved, base, &saved[moved]) == -1)
			goto restore;
	snprintf(num, sizeof(num), "%d", (int)getpid());
	setenv("LISTEN_PID", num, 1);
	snprintf(num, sizeof(num), "%d", n);
	setenv("LISTEN_FDS", num, 1);
	if (named)
		setenv("LISTEN_FDNAMES", names, 1);
	else
		unsetenv("LISTEN_FDNAMES");
	setenv(UPGRADE_ENV, m->socket_activated ? "systemd" : "own", 1);
	setenv(UPGRADE_WORKERS_ENV, pids, 1);
	log_info("upgrading: executing %s; %s keep serving until its workers accept",
	    m->exe, pids[0] != '\0' ? pids : "no workers");
	execv(m->exe, args);
	log_error("cannot execute %s: %s; reloading with the old program", m->exe, strerror(errno));
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	unsetenv(UPGRADE_ENV);
	unsetenv(UPGRADE_WORKERS_ENV);
restore:
	/* The one that failed may have saved what was at its target. */
	if (moved < n && saved[moved] != -1)
		fd_restore(SD_LISTEN_FDS_START + moved, saved[moved]);
	while (moved > 0) {
		moved--;
		fd_restore(SD_LISTEN_FDS_START + moved, saved[moved]);
	}
undo:
	while (copied > 0)
		close(copy[--copied]);
	if (collapsed && master_steer(m->grp.fd[0], m->grp.steer > 0 ? m->grp.steer :
	    m->grp.active) == -1)
		log_error("cannot spread connections again: %s", strerror(errno));
}

/*
 * In a master that an upgrade started: take the old workers as a generation
 * of their own (0), to be told to drain once the new one accepts.
 */
static void
adopt_old_workers(struct master *m)
{
	const char *list = getenv(UPGRADE_WORKERS_ENV);
	char *end;
	int n = 0;

	if (list == NULL)
		return;
	while (*list != '\0') {
		long pid = strtol(list, &end, 10);
		struct wproc *p;

		if (end == list || pid <= 0)
			break;
		if ((p = find_proc(m, 0)) == NULL)
			break;
		memset(p, 0, sizeof(*p));
		p->pid = (pid_t)pid;
		p->gen = 0;
		p->slot = -1;
		p->lslot = -1;
		p->ready = 1;
		p->started_ms = now_ms();
		n++;
		list = *end == ',' ? end + 1 : end;
	}
	unsetenv(UPGRADE_WORKERS_ENV);
	log_info("upgraded to s3wwwd %s: %d workers of the old program drain once the new "
	    "ones accept", PACKAGE_VERSION, n);
}

static void
log_listeners(struct master *m)
{
	if (m->grp.reuseport)
		log_info("one listening socket per worker slot (%d), new connections spread "
		    "at random", m->grp.active);
	else
		log_info("one listening socket shared by the workers");
}

/*
 * Long because a reload is one transaction: everything new is built
 * first, the new workers start, and every step can be rolled back to the
 * generation that never stopped serving.
 */
static void
reload(struct master *m)
{
	static struct config next; /* large: kept off the stack */
	static struct config current;
	static struct worker_conf next_wc, current_wc;
	static struct lgroup fresh;
	char err[1024];
	SSL_CTX *tls = NULL;
	int ifd = m->ifd, new_group = 0;
	struct lundo undo;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	log_info("reloading configuration");
	if (exe_replaced(m))
		upgrade(m); /* returns only when the upgrade cannot be done */
	err[0] = '\0';
	if (config_load(&next, m->config_path, m->argc, m->argv, environ, err,
	    sizeof(err)) == -1)
		goto fail;
	if (next.tls_cert[0] != '\0' &&
	    (tls = tls_ctx_new(next.tls_cert, next.tls_key, err, sizeof(err))) == NULL)
		goto fail;
	if (strcmp(next.listen, m->cfg->listen) != 0) {
		if (m->socket_activated) {
			log_warn("listen address changes need a restart under socket activation");
			snprintf(next.listen, sizeof(next.listen), "%s", m->cfg->listen);
		} else if (master_group_open(&fresh, next.listen, config_worker_count(&next), 0,
		    err, sizeof(err)) == -1) {
			goto fail;
		} else {
			new_group = 1;
		}
	}
	if (strcmp(next.internal_listen, m->cfg->internal_listen) != 0) {
		ifd = -1;
		if (next.internal_listen[0] != '\0' &&
		    (ifd = master_listen(next.internal_listen, err, sizeof(err))) == -1) {
			if (new_group)
				master_group_close(&fresh);
			goto fail;
		}
	}
	if (strcmp(next.user, m->cfg->user) != 0 || strcmp(next.group, m->cfg->group) != 0)
		log_warn("user and group changes take effect on restart only");
	if (config_worker_conf(&next, &next_wc, tls, m->metrics, err, sizeof(err)) == -1 ||
	    (webdoc_apply(&m->doc, &next, &next_wc), 0)) {
		if (new_group)
			master_group_close(&fresh);
		if (ifd != m->ifd && ifd != -1)
			close(ifd);
		goto fail;
	}
	/* Start the new generation with the new settings; keep the old ones. */
	config_move(&current, m->cfg);
	config_move(m->cfg, &next);
	config_worker_conf_move(&current_wc, m->wc);
	config_worker_conf_move(m->wc, &next_wc);
	{
		SSL_CTX *old_tls = m->tls;
		int old_ifd = m->ifd;

		m->tls = tls;
		m->ifd = ifd;
		m->prev_ifd = old_ifd;
		m->gen++;
		m->want = config_worker_count(m->cfg);
		m->fast_crashes = 0;
		m->respawn_at = 0;
		if (new_group) {
			m->prev = m->grp;
			m->grp = fresh;
		} else {
			master_group_prepare(&m->grp, m->want, &undo);
		}
		fill(m);
		if (wait_ready(m, now_ms() + READY_WAIT_MS) == -1) {
			/* Back to the old generation, which never stopped serving. */
			signal_gen(m, m->gen, 0, SIGKILL);
			config_wipe(m->cfg);
			config_move(m->cfg, &current);
			config_worker_conf_wipe(m->wc);
			config_worker_conf_move(m->wc, &current_wc);
			m->tls = old_tls;
			m->ifd = old_ifd;
			m->prev_ifd = -1;
			m->gen--;
			m->want = config_worker_count(m->cfg);
			if (new_group) {
				master_group_close(&m->grp);
				m->grp = m->prev;
				memset(&m->prev, 0, sizeof(m->prev));
			} else {
				master_group_undo(&m->grp, &undo);
			}
			if (ifd != old_ifd && ifd != -1)
				close(ifd);
			if (tls != NULL)
				tls_ctx_free(tls);
			snprintf(err, sizeof(err), "the new workers did not start");
			goto fail_quiet;
		}
		master_group_commit(&m->grp);
		signal_gen(m, m->gen, 1, SIGTERM);
		if (old_tls != NULL)
			tls_ctx_free(old_tls);
		if (new_group)
			master_group_close(&m->prev);
		if (old_ifd != m->ifd && old_ifd != -1)
			close(old_ifd);
		m->prev_ifd = -1;
	}
	config_wipe(&current);
	config_wipe(&next);
	config_worker_conf_wipe(&current_wc);
	config_worker_conf_wipe(&next_wc);
	metrics_reload(m->metrics, 1);
	if (new_group)
		log_listeners(m);
	log_info("reloaded: generation %u serving", m->gen);
	if (m->cfg->warning[0] != '\0')
		log_warn("%s", m->cfg->warning);
	sd_notify(0, "READY=1");
	notify_status(m, "reloaded");
	return;
fail:
	if (tls != NULL)
		tls_ctx_free(tls);
fail_quiet:
	config_wipe(&next);
	config_worker_conf_wipe(&next_wc);
	config_worker_conf_wipe(&current_wc);
	metrics_reload(m->metrics, 0);
	log_error("reload failed, still serving the previous configuration: %s", err);
	sd_notifyf(0, "READY=1\nSTATUS=reload failed: %s", err);
}

/* A worker that stops updating its heartbeat is stuck: replace it. */
static int
check_heartbeats(struct master *m)
{
	int i, healthy = 1;
	uint64_t now = now_ms();

	for (i = 0; i < MAX_PROCS; i++) {
		struct wproc *p = &m->procs[i];
		uint64_t hb;

		if (p->pid <= 0 || p->gen != m->gen || p->stopping || !p->ready)
			continue;
		hb = metrics_slot_heartbeat(m->metrics, p->slot);
		if (hb != 0 && now > hb + HEARTBEAT_STALE_MS) {
			log_error("worker %d has not run its loop for %llu ms; killing it",
			    (int)p->pid, (unsigned long long)(now - hb));
			kill(p->pid, SIGKILL);
			healthy = 0;
		}
	}
	return healthy && count_procs(m, m->gen, 1) == m->want;
}

static int
shutdown_all(struct master *m)
{
	uint64_t deadline = now_ms() + (uint64_t)m->cfg->drain_timeout_ms + 5000;
	int i, left;

	m->stopping = 1;
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	/* New connections are refused from now on, not queued. */
	if (!m->socket_activated) {
		master_group_close(&m->grp);
		if (m->ifd != -1)
			close(m->ifd);
	}
	m->ifd = -1;
	log_info("shutting down: draining connections");
	for (i = 0; i < MAX_PROCS; i++) {
		if (m->procs[i].pid > 0) {
			m->procs[i].stopping = 1;
			kill(m->procs[i].pid, SIGTERM);
		}
	}
	for (;;) {
		reap_children(m);
		left = 0;
		for (i = 0; i < MAX_PROCS; i++)
			if (m->procs[i].pid > 0)
				left++;
		if (left == 0)
			break;
		if (now_ms() >= deadline) {
			log_warn("%d workers did not finish in time; killing them", left);
			for (i = 0; i < MAX_PROCS; i++)
				if (m->procs[i].pid > 0)
					kill(m->procs[i].pid, SIGKILL);
			deadline = now_ms() + 5000;
		}
		poll(NULL, 0, 20);
	}
	log_info("stopped");
	return 0;
}

static int
drop_privileges(const struct config *cfg)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	gid_t gid;

	if (geteuid() != 0) {
		if (cfg->user[0] != '\0')
			log_warn("not root: ignoring user \"%s\"", cfg->user);
		return 0;
	}
	if (cfg->user[0] == '\0') {
		log_warn("running as root: set \"user\" to drop privileges after binding");
		return 0;
	}
	if ((pw = getpwnam(cfg->user)) == NULL) {
		log_error("unknown user \"%s\"", cfg->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (cfg->group[0] != '\0') {
		if ((gr = getgrnam(cfg->group)) == NULL) {
			log_error("unknown group \"%s\"", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_error("cannot drop privileges to %s: %s", cfg->user, strerror(errno));
		return -1;
	}
	/* Make sure there is no way back. */
	if (setuid(0) == 0) {
		log_error("privileges could be regained after dropping them");
		return -1;
	}
	log_info("running as %s", cfg->user);
	return 0;
}

/* Make an inherited socket ours: non-blocking, closed on exec. */
static int
adopt_fd(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/*
 * Take the n sockets systemd passed, or the program before an upgrade.
 * systemd's are the main listener and the ops listener, in that order, and
 * the workers share them.  An upgrading master names each (LISTEN_FDNAMES);
 * a master from before the names existed passed them in systemd's order.
 * Sockets with SO_REUSEPORT that the master bound itself stay one per
 * worker slot, the others shared.
 */
static void
adopt_sockets(struct master *m, int n, char **names, int upgraded)
{
	struct lgroup *g = &m->grp;
	int i, named = 0, rp = 0;
	socklen_t sl = sizeof(rp);

	memset(g, 0, sizeof(*g));
	g->steer = -1; /* the old master attached its program: attached again on commit */
	m->ifd = -1;
	for (i = 0; upgraded && names != NULL && i < n; i++)
		if (names[i] != NULL && strncmp(names[i], "s3wwwd-", 7) == 0)
			named = 1;
	for (i = 0; i < n; i++) {
		int fd = adopt_fd(SD_LISTEN_FDS_START + i);
		const char *name = named && names[i] != NULL ? names[i] : "";

		if (named ? strcmp(name, FDNAME_MAIN) == 0 : i == 0) {
			g->fd[g->n++] = fd;
			g->active++;
		} else if (strcmp(name, FDNAME_RETIRING) == 0 && g->n < MAX_PROCS) {
			g->fd[g->n++] = fd;
		} else if (strcmp(name, FDNAME_SPARE) == 0 && g->nspare < SPARE_MAX) {
			g->spare[g->nspare++] = fd;
		} else if (named ? strcmp(name, FDNAME_OPS) == 0 : i == 1) {
			m->ifd = fd;
		}
	}
	g->reuseport = !m->socket_activated && g->active > 0 &&
	    getsockopt(g->fd[0], SOL_SOCKET, SO_REUSEPORT, &rp, &sl) == 0 && rp;
	if (!g->reuseport && g->n > 1) {
		/* Only the first is shared; the others would be nobody's. */
		while (g->n > 1)
			close(g->fd[--g->n]);
		g->active = 1;
	}
	log_info("using %d socket(s) from %s", n,
	    upgraded ? "the program before the upgrade" : "systemd");
}

/* How many spare sockets to bind before privileges go: up to twice the CPUs. */
static int
spares_wanted(const struct config *cfg, int want)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	long n = 2 * (cpus > 0 ? cpus : 1) - want;

	if (geteuid() != 0 || cfg->user[0] == '\0' || n <= 0)
		return 0;
	return n > SPARE_MAX ? SPARE_MAX : (int)n;
}

/*
 * Everything the master sets up once: the sockets (its own, systemd's or
 * the old program's), TLS, privileges, the metrics region, the workers'
 * configuration and the website document, signals.  Long because each step
 * depends on the one before and fails with its own message.
 */
static int
setup(struct master *m)
{
	char err[1024] = "";
	sigset_t set;
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);
	const char *upgraded = getenv(UPGRADE_ENV);

	if (n > 0) {
		/*
		 * systemd holds the sockets: the first is the main listener.
		 * After an upgrade they are the old master's, and ours to
		 * replace on a reload unless systemd gave them to it.
		 */
		m->socket_activated = upgraded == NULL || strcmp(upgraded, "systemd") == 0;
		adopt_sockets(m, n, names, upgraded != NULL);
	} else {
		int want = config_worker_count(m->cfg);

		if (master_group_open(&m->grp, m->cfg->listen, want,
		    upgraded == NULL ? spares_wanted(m->cfg, want) : 0, err, sizeof(err)) == -1) {
			log_error("%s", err);
			return -1;
		}
		m->ifd = -1;
		if (m->cfg->internal_listen[0] != '\0' &&
		    (m->ifd = master_listen(m->cfg->internal_listen, err, sizeof(err))) == -1) {
			log_error("%s", err);
			return -1;
		}
	}
	if (names != NULL) {
		int i;

		for (i = 0; names[i] != NULL; i++)
			free(names[i]);
		free(names);
	}
	if (m->grp.n == 0) {
		log_error("no main listening socket among the %d passed", n);
		return -1;
	}
	if (m->cfg->tls_cert[0] != '\0' &&
	    (m->tls = tls_ctx_new(m->cfg->tls_cert, m->cfg->tls_key, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return -1;
	}
	/* After an upgrade the old master has done it already. */
	if (upgraded == NULL && drop_privileges(m->cfg) == -1)
		return -1;
	unsetenv(UPGRADE_ENV);
	m->metrics = metrics_create();
	if (m->metrics == NULL) {
		log_error("cannot map the metrics region");
		return -1;
	}
	if (config_worker_conf(m->cfg, m->wc, m->tls, m->metrics, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	/* The website document is read before the first workers start. */
	if (webdoc_refresh(&m->doc, m->cfg, now_ms()) == 1)
		webdoc_apply(&m->doc, m->cfg, m->wc);
	if (pipe2(m->readyfd, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_error("pipe: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sigfd == -1) {
		log_error("signalfd: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (sd_watchdog_enabled(0, &m->watchdog_usec) <= 0)
		m->watchdog_usec = 0;
	return 0;
}

/*
 * Reload, then watch the files the settings now name, and read the website
 * document again soon (its key may have changed).
 */
static void
reload_and_watch(struct master *m)
{
	reload(m);
	watch_set(&m->watch, m->cfg);
	webdoc_soon(&m->doc);
}

static void
name_change(char *what, size_t sz, const char *name)
{
	size_t n = strlen(what);

	snprintf(what + n, sz - n, "%s%s", n > 0 ? ", " : "", name);
}

/*
 * The watched directories were quiet for a moment after a change: reload
 * if a credential or the certificate really changed, and only once the
 * new files are complete (a file being written, or emptied, fails to load
 * and the current keys stay until the next change).  Which keys changed is
 * logged, never their values.
 */
static void
files_changed(struct master *m)
{
	static struct config next; /* large: kept off the stack */
	char err[1024] = "", what[1024] = "";

	if (config_load(&next, m->config_path, m->argc, m->argv, environ, err,
	    sizeof(err)) == -1) {
		log_warn("the credential or TLS files changed but cannot be used yet, keeping "
		    "the current ones: %s", err);
		config_wipe(&next);
		return;
	}
	config_secrets_changed(m->cfg, &next, what, sizeof(what));
	if (watch_tls_changed(&m->watch))
		name_change(what, sizeof(what), "TLS certificate or key");
	config_wipe(&next);
	if (what[0] == '\0')
		return;
	log_info("changed on disk: %s; reloading", what);
	reload_and_watch(m);
}

/*
 * Long because it is the master's loop: signals, readiness, respawning
 * with back-off and the watchdog, in the order they are checked.
 */
int
master_run(struct config *cfg, const char *config_path, int argc, char *const argv[])
{
	static struct master mm;
	static struct worker_conf wc; /* large: kept off the stack */
	struct master *m = &mm;

	m->cfg = cfg;
	m->wc = &wc;
	m->config_path = config_path;
	m->argc = argc;
	m->argv = argv;
	m->ifd = m->prev_ifd = -1;
	log_set_role("master");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_error("libcurl initialisation failed");
		return 1;
	}
	exe_remember(m);
	if (setup(m) == -1)
		return 1;
	if (watch_init(&m->watch) == -1)
		log_warn("inotify: %s: changed credential files need SIGHUP", strerror(errno));
	watch_set(&m->watch, m->cfg);
	adopt_old_workers(m);
	m->gen = 1;
	m->want = config_worker_count(cfg);
	{
		/* After an upgrade the worker count may have changed with it. */
		struct lundo undo;

		master_group_prepare(&m->grp, m->want, &undo);
	}
	fill(m);
	if (wait_ready(m, now_ms() + READY_WAIT_MS) == -1) {
		log_error("the workers did not start");
		shutdown_all(m);
		return 1;
	}
	master_group_commit(&m->grp);
	log_listeners(m);
	/* The old program's workers, if an upgrade started us: drain them now. */
	signal_gen(m, m->gen, 1, SIGTERM);
	log_info("serving %s%s with %d workers on %s", cfg->endpoint, "", m->want, cfg->listen);
	sd_notifyf(0, "READY=1\nMAINPID=%d", (int)getpid());
	notify_status(m, "serving");
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = m->sigfd, .events = POLLIN },
			{ .fd = m->readyfd[0], .events = POLLIN },
			{ .fd = m->watch.fd, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		int timeout = 1000;

		if (count_procs(m, m->gen, 0) < m->want) {
			uint64_t now = now_ms();

			timeout = m->respawn_at > now ? (int)(m->respawn_at - now) : 0;
		}
		if (m->watchdog_usec > 0 && (uint64_t)timeout > m->watchdog_usec / 4000)
			timeout = (int)(m->watchdog_usec / 4000);
		if (m->grp.n > m->grp.active && timeout > RETIRE_POLL_MS)
			timeout = RETIRE_POLL_MS;
		timeout = watch_timeout(&m->watch, now_ms(), timeout);
		timeout = webdoc_timeout(&m->doc, m->cfg, now_ms(), timeout);
		poll(pfd, 3, timeout);
		if (pfd[1].revents & POLLIN)
			read_ready(m);
		if (pfd[2].revents & POLLIN)
			watch_read(&m->watch, now_ms());
		if (watch_due(&m->watch, now_ms()))
			files_changed(m);
		if (webdoc_refresh(&m->doc, m->cfg, now_ms()) == 1) {
			log_info("the website document changed; reloading");
			reload(m);
		}
		while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				break;
			case SIGHUP:
				reload_and_watch(m);
				break;
			case SIGUSR1:
				log_reopen();
				{
					int i;

					for (i = 0; i < MAX_PROCS; i++)
						if (m->procs[i].pid > 0)
							kill(m->procs[i].pid, SIGUSR1);
				}
				break;
			case SIGTERM:
			case SIGINT:
			case SIGQUIT:
				shutdown_all(m);
				return 0;
			default:
				break;
			}
		}
		if (reap_children(m) == -1) {
			sd_notify(0, "STATUS=workers keep crashing");
			shutdown_all(m);
			return 1;
		}
		fill(m);
		master_group_retire(&m->grp);
		if (m->watchdog_usec > 0 &&
		    now_ms() - m->last_watchdog >= m->watchdog_usec / 2000) {
			if (check_heartbeats(m)) {
				sd_notify(0, "WATCHDOG=1");
				m->last_watchdog = now_ms();
			}
		} else if (m->watchdog_usec == 0) {
			check_heartbeats(m);
		}
	}
}
