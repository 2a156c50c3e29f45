/*
 * master.h - the master process: it owns the listening sockets, starts and
 * supervises the workers, and turns signals into reloads and shutdowns.
 * It never reads a byte from a client.
 */
#ifndef S3WWWD_MASTER_H
#define S3WWWD_MASTER_H

#include "config.h"

/*
 * Run the server with cfg until SIGTERM or SIGINT.  config_path, argc and
 * argv are kept to load the configuration again on SIGHUP.  Returns the
 * process exit status: 0 after a clean shutdown, 1 when the server cannot
 * start or the workers keep crashing.
 */
int master_run(struct config *cfg, const char *config_path, int argc, char *const argv[]);

/* Open (or, under socket activation, adopt) a listener; -1 with err. */
int master_listen(const char *addr, char *err, size_t errsz);

#endif
