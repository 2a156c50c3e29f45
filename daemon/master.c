/*
 * master.c - process supervision, reload and shutdown.
 *
 * The master waits on a signalfd and on a pipe the workers write their pid
 * into once they accept.  A reload builds the new configuration (and TLS
 * context) first; only if that succeeds does a new generation of workers
 * start, and only once the new generation accepts is the old one told to
 * finish its requests and exit.  The listening socket is never closed in
 * between, so connections that arrive during a reload wait in the backlog
 * instead of being refused.
 *
 * A reload after the program file was replaced (a package upgrade) is an
 * upgrade: once the new program has checked the configuration, the master
 * executes it in place, keeping its pid and handing it the listening
 * sockets the way systemd does (LISTEN_FDS) and the old workers' pids.  The
 * new master starts its workers, and only once they accept are the old ones
 * told to drain, exactly as in a reload; no connection is refused.
 */
#include "master.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
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

extern char **environ;

struct wproc {
	pid_t pid;
	unsigned gen;
	int slot;
	int ready;
	int stopping;
	uint64_t started_ms;
};

struct master {
	struct config *cfg;
	struct worker_conf *wc; /* what this generation's workers are given */
	const char *config_path;
	int argc;
	char *const *argv;
	int lfd, ifd;
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

int
master_listen(const char *addr, char *err, size_t errsz)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	const char *port = colon + 1;
	struct addrinfo hints, *res = NULL, *ai;
	size_t hl = (size_t)(colon - addr);
	int fd = -1, rc, one = 1, zero = 0;

	if (hl >= sizeof(host)) {
		snprintf(err, errsz, "listen address too long");
		return -1;
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
	rc = getaddrinfo(host[0] == '\0' || strcmp(host, "*") == 0 ? NULL : host, port, &hints,
	    &res);
	if (rc != 0) {
		snprintf(err, errsz, "cannot resolve listen address %s: %s", addr,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (host[0] == '\0' && res->ai_next != NULL && ai->ai_family != AF_INET6)
			continue;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0)
			break;
		snprintf(err, errsz, "cannot listen on %s: %s", addr, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1 && err[0] == '\0')
		snprintf(err, errsz, "cannot listen on %s", addr);
	return fd;
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

static int
spawn(struct master *m)
{
	struct wproc *p = find_proc(m, 0);
	pid_t pid;
	int slot;

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
			.lfd = m->lfd, .ifd = m->ifd, .ready_fd = m->readyfd[1],
			.metrics_slot = slot
		};

		worker_main(m->wc, &fds);
	}
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->gen = m->gen;
	p->slot = slot;
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
 * has replaced this process.  Its messages go where ours do.
 */
static int
exe_check(struct master *m)
{
	char *args[256];
	pid_t pid;
	int i, n = 0, status;

	if (m->argc + 3 > (int)(sizeof(args) / sizeof(args[0])))
		return -1;
	args[n++] = m->exe;
	args[n++] = (char *)"-t";
	for (i = 0; i < m->argc; i++)
		args[n++] = m->argv[i];
	args[n] = NULL;
	if (posix_spawn(&pid, m->exe, NULL, NULL, args, environ) != 0)
		return -1;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Put fd at target, keeping what was there in *saved (-1: nothing). */
static int
fd_move(int fd, int target, int *saved)
{
	*saved = fcntl(target, F_GETFD) == -1 ? -1 : fcntl(target, F_DUPFD_CLOEXEC, 64);
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

/*
 * Execute the new program in place of this one.  Returns only when that
 * cannot be done, with everything as it was: the caller then reloads the
 * usual way.  The sockets go to descriptors 3 and 4 with LISTEN_FDS and
 * LISTEN_PID, which the new master reads as systemd's (sd_listen_fds); the
 * old workers' pids go along, so that the new master drains them once its
 * own workers accept.
 */
static void
upgrade(struct master *m)
{
	char *args[256], pids[MAX_PROCS * 12], num[32];
	int i, n = 0, nfds = m->ifd != -1 ? 2 : 1, saved3 = -1, saved4 = -1;
	int lfd = -1, ifd = -1;
	size_t off = 0;

	if (m->argc + 2 > (int)(sizeof(args) / sizeof(args[0])))
		return;
	log_info("the program file %s was replaced: checking the new one", m->exe);
	if (exe_check(m) == -1) {
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
	/* Copies above 64 first, so that moving one cannot overwrite the other. */
	lfd = fcntl(m->lfd, F_DUPFD_CLOEXEC, 64);
	if (m->ifd != -1)
		ifd = fcntl(m->ifd, F_DUPFD_CLOEXEC, 64);
	if (lfd == -1 || (m->ifd != -1 && ifd == -1))
		goto undo;
	if (fd_move(lfd, SD_LISTEN_FDS_START, &saved3) == -1 ||
	    (ifd != -1 && fd_move(ifd, SD_LISTEN_FDS_START + 1, &saved4) == -1))
		goto restore;
	snprintf(num, sizeof(num), "%d", (int)getpid());
	setenv("LISTEN_PID", num, 1);
	snprintf(num, sizeof(num), "%d", nfds);
	setenv("LISTEN_FDS", num, 1);
	unsetenv("LISTEN_FDNAMES");
	setenv(UPGRADE_ENV, m->socket_activated ? "systemd" : "own", 1);
	setenv(UPGRADE_WORKERS_ENV, pids, 1);
	log_info("upgrading: executing %s; %s keep serving until its workers accept",
	    m->exe, pids[0] != '\0' ? pids : "no workers");
	execv(m->exe, args);
	log_error("cannot execute %s: %s; reloading with the old program", m->exe, strerror(errno));
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv(UPGRADE_ENV);
	unsetenv(UPGRADE_WORKERS_ENV);
restore:
	if (ifd != -1)
		fd_restore(SD_LISTEN_FDS_START + 1, saved4);
	fd_restore(SD_LISTEN_FDS_START, saved3);
undo:
	if (lfd != -1)
		close(lfd);
	if (ifd != -1)
		close(ifd);
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
		p->ready = 1;
		p->started_ms = now_ms();
		n++;
		list = *end == ',' ? end + 1 : end;
	}
	unsetenv(UPGRADE_WORKERS_ENV);
	log_info("upgraded to s3wwwd %s: %d workers of the old program drain once the new "
	    "ones accept", PACKAGE_VERSION, n);
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
	char err[1024];
	SSL_CTX *tls = NULL;
	int lfd = m->lfd, ifd = m->ifd;
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
		} else if ((lfd = master_listen(next.listen, err, sizeof(err))) == -1) {
			goto fail;
		}
	}
	if (strcmp(next.internal_listen, m->cfg->internal_listen) != 0) {
		ifd = -1;
		if (next.internal_listen[0] != '\0' &&
		    (ifd = master_listen(next.internal_listen, err, sizeof(err))) == -1) {
			if (lfd != m->lfd)
				close(lfd);
			goto fail;
		}
	}
	if (strcmp(next.user, m->cfg->user) != 0 || strcmp(next.group, m->cfg->group) != 0)
		log_warn("user and group changes take effect on restart only");
	if (config_worker_conf(&next, &next_wc, tls, m->metrics, err, sizeof(err)) == -1 ||
	    (webdoc_apply(&m->doc, &next, &next_wc), 0)) {
		if (lfd != m->lfd)
			close(lfd);
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
		int old_lfd = m->lfd, old_ifd = m->ifd;

		m->tls = tls;
		m->lfd = lfd;
		m->ifd = ifd;
		m->gen++;
		m->want = config_worker_count(m->cfg);
		m->fast_crashes = 0;
		m->respawn_at = 0;
		fill(m);
		if (wait_ready(m, now_ms() + READY_WAIT_MS) == -1) {
			/* Back to the old generation, which never stopped serving. */
			signal_gen(m, m->gen, 0, SIGKILL);
			config_wipe(m->cfg);
			config_move(m->cfg, &current);
			config_worker_conf_wipe(m->wc);
			config_worker_conf_move(m->wc, &current_wc);
			m->tls = old_tls;
			m->lfd = old_lfd;
			m->ifd = old_ifd;
			m->gen--;
			m->want = config_worker_count(m->cfg);
			if (lfd != old_lfd)
				close(lfd);
			if (ifd != old_ifd && ifd != -1)
				close(ifd);
			if (tls != NULL)
				tls_ctx_free(tls);
			snprintf(err, sizeof(err), "the new workers did not start");
			goto fail_quiet;
		}
		signal_gen(m, m->gen, 1, SIGTERM);
		if (old_tls != NULL)
			tls_ctx_free(old_tls);
		if (old_lfd != m->lfd)
			close(old_lfd);
		if (old_ifd != m->ifd && old_ifd != -1)
			close(old_ifd);
	}
	config_wipe(&current);
	config_wipe(&next);
	config_worker_conf_wipe(&current_wc);
	config_worker_conf_wipe(&next_wc);
	metrics_reload(m->metrics, 1);
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
	if (m->lfd != -1 && !m->socket_activated)
		close(m->lfd);
	if (m->ifd != -1 && !m->socket_activated)
		close(m->ifd);
	m->lfd = m->ifd = -1;
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
	int n = sd_listen_fds(1);

	const char *upgraded = getenv(UPGRADE_ENV);

	if (n > 0) {
		/*
		 * systemd holds the sockets: the first is the main listener.
		 * After an upgrade they are the old master's, and ours to
		 * replace on a reload unless systemd gave them to it.
		 */
		m->socket_activated = upgraded == NULL || strcmp(upgraded, "systemd") == 0;
		m->lfd = SD_LISTEN_FDS_START;
		fcntl(m->lfd, F_SETFL, fcntl(m->lfd, F_GETFL) | O_NONBLOCK);
		fcntl(m->lfd, F_SETFD, FD_CLOEXEC);
		m->ifd = -1;
		if (n > 1) {
			m->ifd = SD_LISTEN_FDS_START + 1;
			fcntl(m->ifd, F_SETFL, fcntl(m->ifd, F_GETFL) | O_NONBLOCK);
			fcntl(m->ifd, F_SETFD, FD_CLOEXEC);
		}
		log_info("using %d socket(s) from %s", n,
		    upgraded != NULL ? "the program before the upgrade" : "systemd");
	} else {
		m->lfd = master_listen(m->cfg->listen, err, sizeof(err));
		if (m->lfd == -1) {
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
	fill(m);
	if (wait_ready(m, now_ms() + READY_WAIT_MS) == -1) {
		log_error("the workers did not start");
		shutdown_all(m);
		return 1;
	}
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
