/*
 * wconf.h - what a worker is told: its configuration, built once by the
 * master (config_worker_conf() in daemon/config.c) on start and on every
 * reload, and read-only in the worker.
 *
 * The master's settings (struct config) hold what the master needs too:
 * listen addresses, the user to run as, credential file names, raw secrets.
 * A worker gets only what the data path uses, already parsed and derived:
 * each site's endpoint, signer and rules, the host table, the limits, its
 * share of the cache memory.  Nothing is parsed twice and no worker re-reads the cgroup.
 */
#ifndef S3WWWD_WCONF_H
#define S3WWWD_WCONF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "s3.h"
#include "sigv4.h"
#include "site.h"

#define WCONF_PATH 1024
#define WCONF_TOKEN 2048

struct metrics_region;

/*
 * One site: where its objects are and the rules that serve them.  A
 * configuration without a `sites` list has one, which answers every host.
 */
#define WCONF_SITE_NAME 64

struct worker_site {
	char name[WCONF_SITE_NAME]; /* the `site` label and access-log field */
	int metrics_site;          /* its counters in the metrics region */

	/* Upstream S3. */
	struct s3_endpoint ep;
	int signing;               /* 0: anonymous access to a public bucket */
	struct sigv4_ctx sig;      /* the keys; each worker derives its own daily key */
	char session_token[WCONF_TOKEN]; /* "" if none */
	char ca_bundle[WCONF_PATH];
	int tls_verify;

	/* The website. */
	struct site_conf site;

	/* Whether its objects are cached, for how long, and in which part of
	 * the cache: sites that read the same bucket share their entries. */
	int caching;
	uint64_t cache_ttl_ms;
	unsigned cache_ns;
};

struct worker_conf {
	/* The sites, and which one a request's Host names. */
	int nsites;
	struct worker_site *sites;  /* nsites entries, made by the master */
	struct site_hosts hosts;
	int multi_site;             /* a `sites` list was configured */

	/* Upstream timeouts, for every site. */
	int connect_timeout_ms;
	int upstream_timeout_ms;

	/* Hot-object cache: this worker's share of the memory (0: off). */
	int caching;
	size_t cache_bytes;
	size_t cache_max_object;

	/* Limits and timeouts. */
	int max_header_size;
	int max_connections;
	int header_timeout_ms;
	int keepalive_timeout_ms;
	int keepalive_requests;
	int send_timeout_ms;
	int drain_timeout_ms;

	/* Operations. */
	char healthz_path[SITE_STR]; /* "" disables */
	char readyz_path[SITE_STR];
	char metrics_path[SITE_STR];
	char access_log[WCONF_PATH]; /* "" off, "-" stdout, "stderr", or a file */
	int access_log_json;

	/* Made by the master, shared by its workers. */
	SSL_CTX *tls;                /* NULL: plain HTTP */
	struct metrics_region *metrics;
};

/*
 * What a worker serves on, and how it reports back to the master.  The
 * master owns every listening socket: a worker only borrows them, so that
 * its exit never closes one (and never resets the connections queued in it).
 */
struct worker_fds {
	/* The main listener: this worker's own (one socket per worker slot,
	 * SO_REUSEPORT), or the one socket every worker shares. */
	int lfd;
	/* Listeners being retired after the worker count went down: the
	 * worker accepts from them too, until the master shuts them. */
	const int *extra;
	int nextra;
	int ifd;          /* the ops listener, shared by all workers, or -1 */
	int ready_fd;     /* write end of the master's readiness pipe */
	int metrics_slot; /* this worker's counters in the metrics region */
	int shared;       /* other workers accept on lfd too */
};

#endif
