/*
 * watch.c - inotify on the directories of the credential and TLS files
 * (see watch.h).
 */
#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/*
 * A rename into the directory (a Secret's "..data" swap, an editor's save),
 * a file written and closed, created, removed or changed in its mode.
 */
#define WATCH_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
	IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

int
watch_init(struct watch *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	return w->fd == -1 ? -1 : 0;
}

static void
remember(struct watch_file *f, const char *path)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	if (path[0] == '\0' || stat(path, &st) == -1)
		return;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static int
changed(const struct watch_file *f)
{
	struct watch_file now;

	if (f->path[0] == '\0')
		return 0;
	remember(&now, f->path);
	return now.dev != f->dev || now.ino != f->ino || now.size != f->size ||
	    now.mtime_ns != f->mtime_ns;
}

static void
add_dir_of(struct watch *w, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int wd, i;

	if (path[0] == '\0' || w->nwd >= WATCH_MAX)
		return;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	wd = inotify_add_watch(w->fd, dir, WATCH_EVENTS | IN_ONLYDIR);
	if (wd == -1) {
		log_warn("cannot watch %s for changed credentials: %s (SIGHUP still reloads)",
		    dir, strerror(errno));
		return;
	}
	/* The same directory twice gives the same descriptor. */
	for (i = 0; i < w->nwd; i++)
		if (w->wd[i] == wd)
			return;
	w->wd[w->nwd++] = wd;
}

void
watch_set(struct watch *w, const struct config *cfg)
{
	int i;

	if (w->fd == -1)
		return;
	for (i = 0; i < w->nwd; i++)
		inotify_rm_watch(w->fd, w->wd[i]);
	w->nwd = 0;
	for (i = 0; i < cfg->nsites; i++) {
		add_dir_of(w, cfg->sites[i].access_key_file);
		add_dir_of(w, cfg->sites[i].secret_key_file);
		add_dir_of(w, cfg->sites[i].session_token_file);
	}
	add_dir_of(w, cfg->tls_cert);
	add_dir_of(w, cfg->tls_key);
	remember(&w->tls[0], cfg->tls_cert);
	remember(&w->tls[1], cfg->tls_key);
}

void
watch_read(struct watch *w, uint64_t now_ms)
{
	/* Aligned for struct inotify_event, as inotify(7) shows. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int seen = 0;

	if (w->fd == -1)
		return;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		seen = 1;
	if (seen)
		w->due_ms = now_ms + WATCH_QUIET_MS;
}

int
watch_timeout(const struct watch *w, uint64_t now_ms, int timeout)
{
	uint64_t left;

	if (w->due_ms == 0)
		return timeout;
	left = w->due_ms > now_ms ? w->due_ms - now_ms : 0;
	return timeout < 0 || left < (uint64_t)timeout ? (int)left : timeout;
}

int
watch_due(struct watch *w, uint64_t now_ms)
{
	if (w->due_ms == 0 || now_ms < w->due_ms)
		return 0;
	w->due_ms = 0;
	return 1;
}

int
watch_tls_changed(const struct watch *w)
{
	return changed(&w->tls[0]) || changed(&w->tls[1]);
}

void
watch_close(struct watch *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	w->nwd = 0;
}
