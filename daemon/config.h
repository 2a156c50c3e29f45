/*
 * config.h - the configuration: defaults, then the libconfig file, then
 * environment variables, then command-line flags, each level overriding the
 * one before.  The result is a plain struct without pointers, so that the
 * master can build a complete new one on reload, compare it, and hand it to
 * the next generation of workers simply by forking after the copy.
 */
#ifndef S3WWWD_CONFIG_H
#define S3WWWD_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "log.h"
#include "site.h"
#include "wconf.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define CONFIG_DEFAULT_PATH SYSCONFDIR "/s3wwwd/s3wwwd.conf"

#define CONFIG_MAX_ORIGINS 32
#define CONFIG_STR 256
#define CONFIG_PATH 1024
#define CONFIG_MAX_SITES 32
#define CONFIG_MAX_HOSTS 16   /* host names of one site */
#define CONFIG_SITE_NAME 64

enum access_log_format { ACCESS_LOG_COMBINED = 0, ACCESS_LOG_JSON };
/* When a missing key is checked for key/index to redirect to key/. */
enum dir_redirect { DIR_REDIRECT_AUTO = 0, DIR_REDIRECT_ALWAYS, DIR_REDIRECT_OFF };

struct config {
	char path[CONFIG_PATH];       /* the file that was read, "" if none */

	/* Listener. */
	char listen[CONFIG_STR];      /* "127.0.0.1:8080", "[::]:8080", ":8080" */
	int workers;                  /* 0: one per CPU available to us */
	char user[64];
	char group[64];
	char tls_cert[CONFIG_PATH];
	char tls_key[CONFIG_PATH];

	/* Upstream S3. */
	char endpoint[CONFIG_STR];
	char bucket[64];
	char bucket_path[CONFIG_STR]; /* normalised: "" or "dir/" */
	char region[64];
	int virtual_host;
	char access_key[128];
	char secret_key[128];
	char session_token[2048];
	char access_key_file[CONFIG_PATH];
	char secret_key_file[CONFIG_PATH];
	char session_token_file[CONFIG_PATH];
	char ca_bundle[CONFIG_PATH];
	int tls_verify;
	int connect_timeout_ms;
	int upstream_timeout_ms;      /* wait for response headers / stalls */

	/* Website. */
	char index_document[CONFIG_STR];
	char spa_file[CONFIG_STR];
	char error_document[CONFIG_STR];
	int directory_listing;
	enum dir_redirect directory_redirect;
	int norigins;
	char origins[CONFIG_MAX_ORIGINS][CONFIG_STR]; /* "*" allows any */
	struct website_rules rules;      /* site.routing_rules, site.redirect_all */
	int nfallbacks;               /* site.fallbacks */
	struct site_fallback fallbacks[SITE_MAX_FALLBACKS];
	int nsuffixes;                /* site.try_suffixes */
	char suffixes[SITE_MAX_SUFFIXES][SITE_SUFFIX_LEN];
	int redirect_suffixes;
	int nheaders;                 /* site.headers */
	struct site_header headers[SITE_MAX_HEADERS];
	char website_document[CONFIG_STR]; /* key of a WebsiteConfiguration, "" none */
	int website_ttl_ms;           /* how often the master reads it again */

	/* Hot-object cache (per worker; the memory is split among them). */
	int cache_enabled;
	int cache_memory_mb;
	int cache_max_object_kb;
	int cache_ttl_ms;

	/* Limits and timeouts. */
	int max_header_size;
	int max_connections;          /* per worker */
	int header_timeout_ms;
	int keepalive_timeout_ms;
	int keepalive_requests;
	int send_timeout_ms;
	int drain_timeout_ms;

	/* Operations. */
	char healthz_path[CONFIG_STR]; /* "" disables */
	char readyz_path[CONFIG_STR];
	char metrics_path[CONFIG_STR];
	char internal_listen[CONFIG_STR]; /* "" : ops paths on the main listener */
	char error_log[CONFIG_PATH];  /* "" : stderr */
	enum log_level log_level;
	char access_log[CONFIG_PATH]; /* "" off, "-" stdout, "stderr", or a file */
	enum access_log_format access_log_format;

	/* Something worth a warning in the log, found while loading. */
	char warning[512];

	/*
	 * The sites, always at least one: each a whole struct config holding
	 * the top level's s3, site and cache settings with the site's own on
	 * top (its routing rules and website document are its own only).
	 * Without a `sites` list there is one, the top level itself, which
	 * answers every host; with one, the top level is a site too when it
	 * names a bucket, and comes first.  A site's own `sites` is NULL.
	 */
	int nsites;
	struct config *sites;
	int default_site;             /* index answering unknown hosts, -1: none (421) */
	int multi_site;               /* a `sites` list was given */
	char site_name[CONFIG_SITE_NAME];
	int site_line;                /* where the site is in the file, 0: top level */
	int nhosts;
	char hosts[CONFIG_MAX_HOSTS][SITE_HOST_LEN];
};

/*
 * Load the configuration.  args are the command-line arguments without the
 * program name (already stripped of the options main() handles itself, see
 * config_usage), env is the environment to read.  The file is path, or the
 * default path if path is NULL (a missing default file is not an error, a
 * missing explicit one is).  Credential files are read here, so a reload
 * picks up rotated secrets.  On error returns -1 with "file:line: reason" or
 * "flag -x: reason" in err.
 */
int config_load(struct config *cfg, const char *path, int argc,
    char *const argv[], char *const env[], char *err, size_t errsz);

/* Fill in the built-in defaults only. */
void config_defaults(struct config *cfg);

/* The number of workers to start: cfg->workers or the CPUs we may use. */
int config_worker_count(const struct config *cfg);

/*
 * Build what the workers are given (worker/wconf.h) from the settings:
 * the endpoint parsed, the signer keyed, the site rules, this generation's
 * TLS context and the metrics region, and each worker's share of the cache
 * memory.  Called on start and on every reload, before forking.  Returns
 * 0, or -1 with the reason in err.
 */
int config_worker_conf(const struct config *cfg, struct worker_conf *wc, SSL_CTX *tls,
    struct metrics_region *metrics, char *err, size_t errsz);

/* Wipe the keys and free the sites of a worker configuration that is discarded. */
void config_worker_conf_wipe(struct worker_conf *wc);

/* *dst = *src, src's sites and host table now dst's. */
void config_worker_conf_move(struct worker_conf *dst, struct worker_conf *src);

/* Print the flag list for -h. */
void config_usage(const char *prog);

/* Wipe secrets and free the sites before the struct is discarded. */
void config_wipe(struct config *cfg);

/* *dst = *src, src's sites now dst's: src is left without any. */
void config_move(struct config *dst, struct config *src);

/*
 * Names of the credentials that differ between a and b, for the log
 * ("access key, secret key of site blog"); "" if none.  Sites are compared
 * by name.
 */
void config_secrets_changed(const struct config *a, const struct config *b, char *what,
    size_t sz);

#endif
