/*
 * wconf.h - what a worker is told: its configuration, built once by the
 * master (config_worker_conf() in daemon/config.c) on start and on every
 * reload, and read-only in the worker.
 *
 * The master's settings (struct config) hold what the master needs too:
 * listen addresses, the user to run as, credential file names, raw secrets.
 * A worker gets only what the data path uses, already parsed and derived:
 * the endpoint, the signer, the site rules, the limits, its share of the
 * cache memory.  Nothing is parsed twice and no worker re-reads the cgroup.
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

struct worker_conf {
	/* Upstream S3. */
	struct s3_endpoint ep;
	int signing;               /* 0: anonymous access to a public bucket */
	struct sigv4_ctx sig;      /* the keys; each worker derives its own daily key */
	char session_token[WCONF_TOKEN]; /* "" if none */
	char ca_bundle[WCONF_PATH];
	int tls_verify;
	int connect_timeout_ms;
	int upstream_timeout_ms;

	/* The website. */
	struct site_conf site;

	/* Hot-object cache: this worker's share of the memory. */
	int caching;
	size_t cache_bytes;
	size_t cache_max_object;
	uint64_t cache_ttl_ms;

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

/* What a worker serves on, and how it reports back to the master. */
struct worker_fds {
	int lfd;          /* the main listener, shared by all workers */
	int ifd;          /* the ops listener, or -1 */
	int ready_fd;     /* write end of the master's readiness pipe */
	int metrics_slot; /* this worker's counters in the metrics region */
};

#endif
