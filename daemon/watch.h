/*
 * watch.h - noticing that the credential files or the TLS certificate and
 * key changed on disk, so that the master reloads by itself.
 *
 * The directory of each file is watched with inotify rather than the file:
 * Kubernetes updates a mounted Secret by writing a new directory and
 * swapping the "..data" symlink in one rename, which changes no file the
 * path names, and editors replace files by renaming too.  A burst of events
 * (a Secret swap, an editor's save, two files written one after the other)
 * gives one check once the directory has been quiet for WATCH_QUIET_MS.
 */
#ifndef S3WWWD_WATCH_H
#define S3WWWD_WATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"

#define WATCH_MAX (3 * CONFIG_MAX_SITES + 2)
#define WATCH_QUIET_MS 500

/* What a watched file was, to notice a new certificate. */
struct watch_file {
	char path[CONFIG_PATH];
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
};

struct watch {
	int fd;                    /* inotify; -1 when there is nothing to watch */
	int nwd;
	int wd[WATCH_MAX];
	uint64_t due_ms;           /* check at this time; 0: nothing seen */
	struct watch_file tls[2];  /* the certificate and the key */
};

/* Set up (fd -1: nothing watched yet).  Returns 0, or -1 if inotify fails. */
int watch_init(struct watch *w);

/*
 * Watch the directories of cfg's credential files and TLS files (after the
 * start and after every reload, since the paths may have changed), and
 * remember what the TLS files are now.
 */
void watch_set(struct watch *w, const struct config *cfg);

/* Read the pending events; any of them (re)starts the quiet period. */
void watch_read(struct watch *w, uint64_t now_ms);

/* The poll timeout, shortened to when the quiet period ends. */
int watch_timeout(const struct watch *w, uint64_t now_ms, int timeout);

/* The quiet period after a change has passed: check now (once). */
int watch_due(struct watch *w, uint64_t now_ms);

/* Has the certificate or the key changed since watch_set()? */
int watch_tls_changed(const struct watch *w);

void watch_close(struct watch *w);

#endif
