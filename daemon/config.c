/*
 * config.c - loading and checking the configuration.
 *
 * Every setting is described once, in the table below, with its key in the
 * file, its command-line flags and its environment variables.  Loading walks
 * the table for each level in order (defaults, file, environment, flags), so
 * precedence is the same for every setting by construction, and the flags of
 * s3www are simply more names for the same entries.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "creds.h"
#include "env.h"
#include "metrics.h"
#include "s3.h"

enum copt_type {
	T_STR,     /* copied verbatim */
	T_INT,
	T_BOOL,
	T_MS,      /* milliseconds: an integer, or a string like "10s" */
	T_LEVEL,   /* log level name */
	T_ALFMT,   /* access log format */
	T_DIRREDIR, /* directory redirect policy */
	T_ORIGINS, /* list of strings, or one comma-separated string */
	T_MAIN,    /* handled by main(); skipped here, takes no value */
	T_MAINVAL  /* handled by main(); skipped here, takes a value */
};

enum level { L_DEFAULT = 0, L_FILE, L_ENV, L_FLAG };

struct copt {
	const char *key;   /* setting path in the file, NULL if none */
	const char *flags; /* space-separated flag names */
	const char *envs;  /* space-separated variable names, first wins */
	enum copt_type type;
	size_t off;
	size_t size;
	long min, max;
	const char *help;
};

#define O(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define NOFIELD 0, 0

static const struct copt copts[] = {
	{ NULL, "c config", NULL, T_MAINVAL, NOFIELD, 0, 0,
	    "configuration file (default " CONFIG_DEFAULT_PATH ")" },
	{ NULL, "t", NULL, T_MAIN, NOFIELD, 0, 0, "check the configuration and exit" },
	{ NULL, "h help", NULL, T_MAIN, NOFIELD, 0, 0, "show this help" },
	{ NULL, "version v", NULL, T_MAIN, NOFIELD, 0, 0, "print the version" },
	{ "listen", "address listen", "S3WWWD_LISTEN S3WWW_ADDRESS", T_STR, O(listen), 0, 0,
	    "ADDRESS:PORT to listen on" },
	{ "workers", "workers", "S3WWWD_WORKERS", T_INT, O(workers), 0, 1024,
	    "worker processes (0: one per CPU)" },
	{ "user", "user", "S3WWWD_USER", T_STR, O(user), 0, 0, "user to run as after binding" },
	{ "group", "group", "S3WWWD_GROUP", T_STR, O(group), 0, 0, "group to run as" },
	{ "tls.cert", "ssl-cert tls-cert", "S3WWWD_TLS_CERT S3WWW_SSL_CERT", T_STR, O(tls_cert),
	    0, 0, "TLS certificate chain (PEM) to serve HTTPS" },
	{ "tls.key", "ssl-key tls-key", "S3WWWD_TLS_KEY S3WWW_SSL_KEY", T_STR, O(tls_key), 0, 0,
	    "TLS private key (PEM)" },
	{ "s3.endpoint", "endpoint", ENV_ENDPOINT, T_STR, O(endpoint), 0, 0,
	    "S3 endpoint URL" },
	{ "s3.bucket", "bucket", ENV_BUCKET, T_STR, O(bucket), 0, 0,
	    "bucket that holds the site" },
	{ "s3.bucket_path", "bucketPath bucket-path", "S3WWWD_BUCKET_PATH S3WWW_BUCKET_PATH",
	    T_STR, O(bucket_path), 0, 0, "key prefix of the site inside the bucket" },
	{ "s3.region", "region", ENV_REGION, T_STR, O(region), 0, 0,
	    "signing region" },
	{ "s3.virtual_host", "virtual-host", "S3WWWD_VIRTUAL_HOST", T_BOOL, O(virtual_host), 0, 1,
	    "virtual-host addressing (bucket.host) instead of path-style" },
	{ "s3.access_key", "accessKey access-key", ENV_ACCESS_KEY,
	    T_STR, O(access_key), 0, 0, "access key" },
	{ "s3.secret_key", "secretKey secret-key", ENV_SECRET_KEY,
	    T_STR, O(secret_key), 0, 0, "secret key" },
	{ "s3.session_token", "session-token", ENV_SESSION_TOKEN, T_STR,
	    O(session_token), 0, 0, "session token for temporary credentials" },
	{ "s3.access_key_file", "accessKeyFile access-key-file",
	    ENV_ACCESS_KEY_FILE, T_STR, O(access_key_file), 0, 0,
	    "file holding the access key (re-read on reload)" },
	{ "s3.secret_key_file", "secretKeyFile secret-key-file",
	    ENV_SECRET_KEY_FILE, T_STR, O(secret_key_file), 0, 0,
	    "file holding the secret key (re-read on reload)" },
	{ "s3.session_token_file", "session-token-file", "S3WWWD_SESSION_TOKEN_FILE", T_STR,
	    O(session_token_file), 0, 0, "file holding the session token" },
	{ "s3.ca_bundle", "ca-bundle", "S3WWWD_CA_BUNDLE", T_STR, O(ca_bundle), 0, 0,
	    "CA certificates to verify an https endpoint" },
	{ "s3.tls_verify", "tls-verify", "S3WWWD_TLS_VERIFY", T_BOOL, O(tls_verify), 0, 1,
	    "verify the endpoint's certificate" },
	{ "s3.connect_timeout", "connect-timeout", "S3WWWD_CONNECT_TIMEOUT", T_MS,
	    O(connect_timeout_ms), 1, 600000, "upstream connect timeout" },
	{ "s3.timeout", "upstream-timeout", "S3WWWD_UPSTREAM_TIMEOUT", T_MS,
	    O(upstream_timeout_ms), 1, 3600000, "upstream response and stall timeout" },
	{ "site.index", "index", "S3WWWD_INDEX", T_STR, O(index_document), 0, 0,
	    "index document for / and dir/" },
	{ "site.spa_file", "spaFile spa-file", "S3WWWD_SPA_FILE S3WWW_SPA_FILE", T_STR,
	    O(spa_file), 0, 0, "single-page-app file served with 200 for unknown paths" },
	{ "site.error_document", "error-document", "S3WWWD_ERROR_DOCUMENT", T_STR,
	    O(error_document), 0, 0, "object served with status 404 for unknown paths" },
	{ "site.directory_listing", "directory-listing", "S3WWWD_DIRECTORY_LISTING", T_BOOL,
	    O(directory_listing), 0, 1, "list directories that have no index document" },
	{ "site.directory_redirect", "directory-redirect", "S3WWWD_DIRECTORY_REDIRECT",
	    T_DIRREDIR, O(directory_redirect), 0, 0,
	    "redirect /dir to /dir/ if dir/index exists: auto, always or off" },
	{ "site.cors_origins", "allowed-cors-origins cors-origins",
	    "S3WWWD_CORS_ORIGINS S3WWW_ALLOWED_CORS_ORIGINS", T_ORIGINS, NOFIELD, 0, 0,
	    "origins allowed by CORS, comma-separated (\"*\" for any)" },
	{ "site.redirect_suffixes", "redirect-suffixes", "S3WWWD_REDIRECT_SUFFIXES", T_BOOL,
	    O(redirect_suffixes), 0, 1,
	    "redirect /about.html to /about when .html is one of site.try_suffixes" },
	{ "site.website_document", "website-document", "S3WWWD_WEBSITE_DOCUMENT", T_STR,
	    O(website_document), 0, 0,
	    "key of a WebsiteConfiguration XML document with the site's routing rules" },
	{ "site.website_ttl", "website-ttl", "S3WWWD_WEBSITE_TTL", T_MS, O(website_ttl_ms), 1000,
	    86400000, "how often the website document is read again" },
	{ "cache.enabled", "cache", "S3WWWD_CACHE_ENABLED", T_BOOL, O(cache_enabled), 0, 1,
	    "keep hot small objects in memory" },
	{ "cache.memory", "cache-memory", "S3WWWD_CACHE_MEMORY", T_INT, O(cache_memory_mb), 1,
	    1048576, "cache memory in MiB for all workers together" },
	{ "cache.max_object_size", "cache-max-object-size", "S3WWWD_CACHE_MAX_OBJECT_SIZE",
	    T_INT, O(cache_max_object_kb), 1, 1048576, "largest object cached, in KiB" },
	{ "cache.ttl", "cache-ttl", "S3WWWD_CACHE_TTL", T_MS, O(cache_ttl_ms), 0, 86400000,
	    "time before a cached object is revalidated with S3" },
	{ "limits.max_header_size", "max-header-size", "S3WWWD_MAX_HEADER_SIZE", T_INT,
	    O(max_header_size), 1024, 65536, "largest request head in bytes" },
	{ "limits.max_connections", "max-connections", "S3WWWD_MAX_CONNECTIONS", T_INT,
	    O(max_connections), 1, 1000000, "open connections per worker" },
	{ "limits.header_timeout", "header-timeout", "S3WWWD_HEADER_TIMEOUT", T_MS,
	    O(header_timeout_ms), 1, 3600000, "time a client has to send a request head" },
	{ "limits.keepalive_timeout", "keepalive-timeout", "S3WWWD_KEEPALIVE_TIMEOUT", T_MS,
	    O(keepalive_timeout_ms), 0, 3600000, "keep-alive idle time" },
	{ "limits.keepalive_requests", "keepalive-requests", "S3WWWD_KEEPALIVE_REQUESTS", T_INT,
	    O(keepalive_requests), 1, 10000000, "requests on one connection" },
	{ "limits.send_timeout", "send-timeout", "S3WWWD_SEND_TIMEOUT", T_MS,
	    O(send_timeout_ms), 1, 3600000, "time without progress sending to a client" },
	{ "limits.drain_timeout", "drain-timeout", "S3WWWD_DRAIN_TIMEOUT", T_MS,
	    O(drain_timeout_ms), 0, 3600000, "time in-flight responses get on stop or reload" },
	{ "ops.healthz", "healthz-path", "S3WWWD_HEALTHZ_PATH", T_STR, O(healthz_path), 0, 0,
	    "liveness path (\"\" disables)" },
	{ "ops.readyz", "readyz-path", "S3WWWD_READYZ_PATH", T_STR, O(readyz_path), 0, 0,
	    "readiness path (\"\" disables)" },
	{ "ops.metrics", "metrics-path", "S3WWWD_METRICS_PATH", T_STR, O(metrics_path), 0, 0,
	    "Prometheus metrics path (\"\" disables)" },
	{ "ops.listen", "internal-listen", "S3WWWD_INTERNAL_LISTEN", T_STR, O(internal_listen),
	    0, 0, "separate ADDRESS:PORT for the ops paths" },
	{ "log.level", "log-level", "S3WWWD_LOG_LEVEL", T_LEVEL, O(log_level), 0, 0,
	    "error, warn, info or debug" },
	{ "log.file", "error-log", "S3WWWD_ERROR_LOG", T_STR, O(error_log), 0, 0,
	    "error log file (default stderr)" },
	{ "log.access", "access-log", "S3WWWD_ACCESS_LOG", T_STR, O(access_log), 0, 0,
	    "access log: \"-\" stdout, \"stderr\", a file, or \"\" off" },
	{ "log.access_format", "access-log-format", "S3WWWD_ACCESS_LOG_FORMAT", T_ALFMT,
	    O(access_log_format), 0, 0, "combined or json" },
};
#define NCOPTS (sizeof(copts) / sizeof(copts[0]))

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:8080");
	snprintf(cfg->region, sizeof(cfg->region), "us-east-1");
	cfg->tls_verify = 1;
	cfg->connect_timeout_ms = 5000;
	cfg->upstream_timeout_ms = 30000;
	snprintf(cfg->index_document, sizeof(cfg->index_document), "index.html");
	cfg->cache_memory_mb = 64;
	cfg->cache_max_object_kb = 1024;
	cfg->cache_ttl_ms = 10000;
	cfg->website_ttl_ms = 60000;
	cfg->max_header_size = 8192;
	cfg->max_connections = 4096;
	cfg->header_timeout_ms = 10000;
	cfg->keepalive_timeout_ms = 60000;
	cfg->keepalive_requests = 10000;
	cfg->send_timeout_ms = 60000;
	cfg->drain_timeout_ms = 30000;
	snprintf(cfg->healthz_path, sizeof(cfg->healthz_path), "/healthz");
	snprintf(cfg->readyz_path, sizeof(cfg->readyz_path), "/readyz");
	snprintf(cfg->metrics_path, sizeof(cfg->metrics_path), "/metrics");
	cfg->log_level = LOG_L_INFO;
	snprintf(cfg->access_log, sizeof(cfg->access_log), "-");
}

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Does the space-separated list contain name (len bytes)? */
static int
name_in(const char *list, const char *name, size_t len)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, " ");

		if (n == len && memcmp(p, name, len) == 0)
			return 1;
		p += n;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* "1500", "1500ms", "10s", "2m", "1h" to milliseconds. */
static int
parse_ms(const char *s, long *out)
{
	char *end;
	long long v;
	long mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		return -1;
	if (v > LONG_MAX / mult)
		return -1;
	*out = (long)v * mult;
	return 0;
}

static int
add_origins(struct config *cfg, const char *s, char *err, size_t errsz)
{
	while (*s != '\0') {
		size_t n;

		while (*s == ',' || *s == ' ')
			s++;
		n = strcspn(s, ", ");
		if (n == 0)
			break;
		if (cfg->norigins == CONFIG_MAX_ORIGINS) {
			seterr(err, errsz, "more than %d CORS origins", CONFIG_MAX_ORIGINS);
			return -1;
		}
		if (n >= CONFIG_STR) {
			seterr(err, errsz, "CORS origin too long");
			return -1;
		}
		memcpy(cfg->origins[cfg->norigins], s, n);
		cfg->origins[cfg->norigins][n] = '\0';
		cfg->norigins++;
		s += n;
	}
	return 0;
}

/*
 * Set one option from a string value (environment or flag).  where names
 * the source for messages.
 *
 * Long because it is one case per kind of setting (string, integer,
 * duration, boolean, list, enumeration), each with its own checks.
 */
static int
set_from_string(struct config *cfg, const struct copt *o, const char *v,
    const char *where, char *err, size_t errsz)
{
	char *field = (char *)cfg + o->off;
	long n;
	char *end;
	int b;

	switch (o->type) {
	case T_STR:
		if (strlen(v) >= o->size) {
			seterr(err, errsz, "%s: value too long (at most %zu bytes)", where,
			    o->size - 1);
			return -1;
		}
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case T_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < o->min || n > o->max) {
			seterr(err, errsz, "%s: expected a number from %ld to %ld, got \"%s\"",
			    where, o->min, o->max, v);
			return -1;
		}
		*(int *)(void *)field = (int)n;
		return 0;
	case T_BOOL:
		if (parse_bool(v, &b) == -1) {
			seterr(err, errsz, "%s: expected true or false, got \"%s\"", where, v);
			return -1;
		}
		*(int *)(void *)field = b;
		return 0;
	case T_MS:
		if (parse_ms(v, &n) == -1 || n < o->min || n > o->max) {
			seterr(err, errsz, "%s: expected a duration such as 500ms, 10s or 2m "
			    "(%ld ms to %ld ms), got \"%s\"", where, o->min, o->max, v);
			return -1;
		}
		*(int *)(void *)field = (int)n;
		return 0;
	case T_LEVEL:
		if (log_level_parse(v, (enum log_level *)(void *)field) == -1) {
			seterr(err, errsz, "%s: expected error, warn, info or debug, got \"%s\"",
			    where, v);
			return -1;
		}
		return 0;
	case T_ALFMT:
		if (strcmp(v, "combined") == 0)
			cfg->access_log_format = ACCESS_LOG_COMBINED;
		else if (strcmp(v, "json") == 0)
			cfg->access_log_format = ACCESS_LOG_JSON;
		else {
			seterr(err, errsz, "%s: expected combined or json, got \"%s\"", where, v);
			return -1;
		}
		return 0;
	case T_DIRREDIR:
		if (strcmp(v, "auto") == 0)
			cfg->directory_redirect = DIR_REDIRECT_AUTO;
		else if (strcmp(v, "always") == 0)
			cfg->directory_redirect = DIR_REDIRECT_ALWAYS;
		else if (strcmp(v, "off") == 0)
			cfg->directory_redirect = DIR_REDIRECT_OFF;
		else {
			seterr(err, errsz, "%s: expected auto, always or off, got \"%s\"",
			    where, v);
			return -1;
		}
		return 0;
	case T_ORIGINS:
		cfg->norigins = 0;
		if (add_origins(cfg, v, err, errsz) == -1) {
			char tmp[256];

			snprintf(tmp, sizeof(tmp), "%s", err);
			seterr(err, errsz, "%s: %s", where, tmp);
			return -1;
		}
		return 0;
	case T_MAIN:
	case T_MAINVAL:
		return 0;
	}
	return -1;
}

/* Is key (a dotted path) one of ours, or a group that holds some? */
static int
known_key(const char *key, int group)
{
	size_t i, len = strlen(key);

	/* The settings with a structure of their own (load_rules(), load_sites()). */
	if (!group && (strcmp(key, "sites") == 0 || strcmp(key, "site.routing_rules") == 0 ||
	    strcmp(key, "site.headers") == 0 || strcmp(key, "site.fallbacks") == 0 ||
	    strcmp(key, "site.try_suffixes") == 0))
		return 1;
	if (group && strcmp(key, "site.redirect_all") == 0)
		return 1;
	if (!group && (strcmp(key, "site.redirect_all.host") == 0 ||
	    strcmp(key, "site.redirect_all.protocol") == 0))
		return 1;

	for (i = 0; i < NCOPTS; i++) {
		if (copts[i].key == NULL)
			continue;
		if (!group && strcmp(copts[i].key, key) == 0)
			return 1;
		if (group && strncmp(copts[i].key, key, len) == 0 && copts[i].key[len] == '.')
			return 1;
	}
	return 0;
}

/*
 * What a site of the `sites` list may set: its s3 and site settings and
 * whether and how long its objects are cached.  The upstream timeouts and
 * the cache's memory belong to the whole server.
 */
static int
site_key_allowed(const char *key)
{
	if (strcmp(key, "s3.connect_timeout") == 0 || strcmp(key, "s3.timeout") == 0)
		return 0;
	return strncmp(key, "s3.", 3) == 0 || strncmp(key, "site.", 5) == 0 ||
	    strcmp(key, "cache.enabled") == 0 || strcmp(key, "cache.ttl") == 0 ||
	    strcmp(key, "s3") == 0 || strcmp(key, "site") == 0 || strcmp(key, "cache") == 0;
}

/*
 * Refuse settings we do not know: a typo should not be silently ignored.
 * in_site: grp is one site of the `sites` list, whose own keys are name,
 * hosts and default, and which may not set what the server shares.
 */
static int
check_unknown(config_setting_t *grp, const char *prefix, const char *file, char *err,
    size_t errsz, int in_site)
{
	int i, n = config_setting_length(grp);

	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(grp, (unsigned int)i);
		const char *name = config_setting_name(s);
		char key[256];
		int isgroup = config_setting_is_group(s);

		if (name == NULL)
			continue;
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", name);
		if (in_site && *prefix == '\0' && !isgroup && (strcmp(key, "name") == 0 ||
		    strcmp(key, "hosts") == 0 || strcmp(key, "default") == 0))
			continue;
		if (!known_key(key, isgroup) || (in_site && strcmp(key, "sites") == 0)) {
			seterr(err, errsz, "%s:%d: unknown setting \"%s\"%s", file,
			    config_setting_source_line(s), key, in_site ? " in a site" : "");
			return -1;
		}
		if (in_site && !site_key_allowed(key)) {
			seterr(err, errsz, "%s:%d: \"%s\" is set for the whole server, not "
			    "per site", file, config_setting_source_line(s), key);
			return -1;
		}
		if (isgroup && check_unknown(s, key, file, err, errsz, in_site) == -1)
			return -1;
	}
	return 0;
}

static int
set_from_setting(struct config *cfg, const struct copt *o, config_setting_t *s,
    const char *file, char *err, size_t errsz)
{
	int line = config_setting_source_line(s);
	int type = config_setting_type(s);
	char where[CONFIG_PATH + 300];
	char num[32];
	const char *v;

	snprintf(where, sizeof(where), "%s:%d: %s", file, line, o->key);
	if (o->type == T_ORIGINS && (type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY)) {
		int i, n = config_setting_length(s);

		cfg->norigins = 0;
		for (i = 0; i < n; i++) {
			v = config_setting_get_string_elem(s, i);
			if (v == NULL) {
				seterr(err, errsz, "%s: expected a list of strings", where);
				return -1;
			}
			if (add_origins(cfg, v, err, errsz) == -1)
				return -1;
		}
		return 0;
	}
	switch (type) {
	case CONFIG_TYPE_STRING:
		v = config_setting_get_string(s);
		if (o->type == T_INT || o->type == T_BOOL) {
			seterr(err, errsz, "%s: expected a %s, got a string", where,
			    o->type == T_INT ? "number" : "boolean (true or false)");
			return -1;
		}
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (o->type != T_INT && o->type != T_MS) {
			seterr(err, errsz, "%s: expected a %s, got a number", where,
			    o->type == T_BOOL ? "boolean (true or false)" : "string");
			return -1;
		}
		snprintf(num, sizeof(num), "%lld", config_setting_get_int64(s));
		v = num;
		break;
	case CONFIG_TYPE_BOOL:
		if (o->type != T_BOOL) {
			seterr(err, errsz, "%s: expected a %s, got a boolean", where,
			    o->type == T_INT ? "number" : "string");
			return -1;
		}
		v = config_setting_get_bool(s) ? "true" : "false";
		break;
	default:
		seterr(err, errsz, "%s: unexpected value type", where);
		return -1;
	}
	return set_from_string(cfg, o, v, where, err, errsz);
}

/* A string member of a rule into out; -1 (with file:line) if it is no string or too long. */
static int
rule_str(config_setting_t *m, char *out, size_t outsz, const char *file, char *err,
    size_t errsz)
{
	const char *v = config_setting_get_string(m);

	if (v == NULL || strlen(v) >= outsz) {
		seterr(err, errsz, "%s:%d: %s must be a string of at most %zu bytes", file,
		    config_setting_source_line(m), config_setting_name(m), outsz - 1);
		return -1;
	}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/*
 * One element of site.routing_rules: a group of the rule's fields (the
 * names of AWS's RoutingRule, in the settings' style).  Long because each
 * field is read and checked with its file:line.
 */
static int
load_rule(config_setting_t *g, struct website_rule *r, int nth, const char *file, char *err,
    size_t errsz)
{
	int i, n, line = config_setting_source_line(g);
	char why[256];

	memset(r, 0, sizeof(*r));
	if (!config_setting_is_group(g)) {
		seterr(err, errsz, "%s:%d: routing rule %d must be a group { ... }", file, line,
		    nth);
		return -1;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned int)i);
		const char *name = config_setting_name(m);
		int rc = 0;

		if (strcmp(name, "key_prefix") == 0) {
			rc = rule_str(m, r->key_prefix, sizeof(r->key_prefix), file, err, errsz);
		} else if (strcmp(name, "protocol") == 0) {
			rc = rule_str(m, r->protocol, sizeof(r->protocol), file, err, errsz);
		} else if (strcmp(name, "host") == 0) {
			rc = rule_str(m, r->host, sizeof(r->host), file, err, errsz);
		} else if (strcmp(name, "replace_key_prefix") == 0) {
			rc = rule_str(m, r->replace_prefix, sizeof(r->replace_prefix), file, err,
			    errsz);
			r->has_replace_prefix = 1;
		} else if (strcmp(name, "replace_key") == 0) {
			rc = rule_str(m, r->replace_key, sizeof(r->replace_key), file, err, errsz);
			r->has_replace_key = 1;
		} else if (strcmp(name, "error_code") == 0 || strcmp(name, "code") == 0) {
			if (config_setting_type(m) != CONFIG_TYPE_INT) {
				seterr(err, errsz, "%s:%d: %s must be a number", file,
				    config_setting_source_line(m), name);
				return -1;
			}
			*(name[0] == 'e' ? &r->error_code : &r->code) = config_setting_get_int(m);
		} else {
			seterr(err, errsz, "%s:%d: unknown routing rule setting \"%s\"", file,
			    config_setting_source_line(m), name);
			return -1;
		}
		if (rc == -1)
			return -1;
	}
	if (website_rule_check(r, why, sizeof(why)) == -1) {
		seterr(err, errsz, "%s:%d: routing rule %d: %s", file, line, nth, why);
		return -1;
	}
	return 0;
}

/* site.headers: a list of { prefix, name, value, override }. */
static int
load_headers(config_setting_t *root, struct config *cfg, const char *file, char *err,
    size_t errsz)
{
	config_setting_t *list = config_setting_lookup(root, "site.headers");
	int i, j, n;
	char why[256];

	/* A site that sets no headers keeps those of the top level. */
	if (list == NULL)
		return 0;
	cfg->nheaders = 0;
	if (!config_setting_is_list(list) ||
	    (n = config_setting_length(list)) > SITE_MAX_HEADERS) {
		seterr(err, errsz, "%s:%d: site.headers must be a list of at most %d groups", file,
		    config_setting_source_line(list), SITE_MAX_HEADERS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned int)i);
		struct site_header *h = &cfg->headers[i];
		int line = config_setting_source_line(g);

		memset(h, 0, sizeof(*h));
		if (!config_setting_is_group(g)) {
			seterr(err, errsz, "%s:%d: header %d must be a group { ... }", file, line,
			    i + 1);
			return -1;
		}
		for (j = 0; j < config_setting_length(g); j++) {
			config_setting_t *m = config_setting_get_elem(g, (unsigned int)j);
			const char *name = config_setting_name(m);
			int rc = 0;

			if (strcmp(name, "prefix") == 0)
				rc = rule_str(m, h->prefix, sizeof(h->prefix), file, err, errsz);
			else if (strcmp(name, "name") == 0)
				rc = rule_str(m, h->name, sizeof(h->name), file, err, errsz);
			else if (strcmp(name, "value") == 0)
				rc = rule_str(m, h->value, sizeof(h->value), file, err, errsz);
			else if (strcmp(name, "override") == 0 &&
			    config_setting_type(m) == CONFIG_TYPE_BOOL)
				h->override = config_setting_get_bool(m);
			else {
				seterr(err, errsz, "%s:%d: unknown or mistyped header setting "
				    "\"%s\"", file, config_setting_source_line(m), name);
				return -1;
			}
			if (rc == -1)
				return -1;
		}
		if (site_header_check(h, why, sizeof(why)) == -1) {
			seterr(err, errsz, "%s:%d: header %d: %s", file, line, i + 1, why);
			return -1;
		}
		cfg->nheaders++;
	}
	return 0;
}

static void strip_slashes(char *s);

/*
 * site.try_suffixes (a list of strings such as ".html") and site.fallbacks
 * (a list of { prefix, spa_file, error_document }).  Long because each
 * element of both is checked with its file:line.
 */
static int
load_pages(config_setting_t *root, struct config *cfg, const char *file, char *err,
    size_t errsz)
{
	config_setting_t *sx = config_setting_lookup(root, "site.try_suffixes");
	config_setting_t *fb = config_setting_lookup(root, "site.fallbacks");
	int i, j, n;

	/* A list the site does not set is the top level's. */
	if (sx != NULL) {
		cfg->nsuffixes = 0;
		n = config_setting_length(sx);
		if ((!config_setting_is_list(sx) && !config_setting_is_array(sx)) ||
		    n > SITE_MAX_SUFFIXES) {
			seterr(err, errsz, "%s:%d: site.try_suffixes must be a list of at most %d "
			    "strings", file, config_setting_source_line(sx), SITE_MAX_SUFFIXES);
			return -1;
		}
		for (i = 0; i < n; i++) {
			const char *v = config_setting_get_string_elem(sx, i);

			if (v == NULL || v[0] != '.' || v[1] == '\0' || strchr(v, '/') != NULL ||
			    strlen(v) >= SITE_SUFFIX_LEN) {
				seterr(err, errsz, "%s:%d: site.try_suffixes: each is a suffix "
				    "such as \".html\" (a dot, no slash, at most %d bytes)",
				    file, config_setting_source_line(sx), SITE_SUFFIX_LEN - 1);
				return -1;
			}
			snprintf(cfg->suffixes[i], sizeof(cfg->suffixes[i]), "%s", v);
			cfg->nsuffixes++;
		}
	}
	if (fb == NULL)
		return 0;
	cfg->nfallbacks = 0;
	n = config_setting_length(fb);
	if (!config_setting_is_list(fb) || n > SITE_MAX_FALLBACKS) {
		seterr(err, errsz, "%s:%d: site.fallbacks must be a list of at most %d groups",
		    file, config_setting_source_line(fb), SITE_MAX_FALLBACKS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(fb, (unsigned int)i);
		struct site_fallback *f = &cfg->fallbacks[i];

		memset(f, 0, sizeof(*f));
		if (!config_setting_is_group(g)) {
			seterr(err, errsz, "%s:%d: fallback %d must be a group { ... }", file,
			    config_setting_source_line(g), i + 1);
			return -1;
		}
		for (j = 0; j < config_setting_length(g); j++) {
			config_setting_t *m = config_setting_get_elem(g, (unsigned int)j);
			const char *name = config_setting_name(m);
			char *dst = strcmp(name, "prefix") == 0 ? f->prefix :
			    strcmp(name, "spa_file") == 0 ? f->spa_file :
			    strcmp(name, "error_document") == 0 ? f->error_document : NULL;

			if (dst == NULL) {
				seterr(err, errsz, "%s:%d: unknown fallback setting \"%s\"", file,
				    config_setting_source_line(m), name);
				return -1;
			}
			if (rule_str(m, dst, SITE_STR, file, err, errsz) == -1)
				return -1;
			strip_slashes(dst);
		}
		if (f->spa_file[0] == '\0' && f->error_document[0] == '\0') {
			seterr(err, errsz, "%s:%d: fallback %d sets neither spa_file nor "
			    "error_document", file, config_setting_source_line(g), i + 1);
			return -1;
		}
		cfg->nfallbacks++;
	}
	return 0;
}

/* site.routing_rules and site.redirect_all. */
static int
load_rules(config_setting_t *root, struct config *cfg, const char *file, char *err,
    size_t errsz)
{
	config_setting_t *list = config_setting_lookup(root, "site.routing_rules");
	config_setting_t *all = config_setting_lookup(root, "site.redirect_all");
	struct website_rules *rs = &cfg->rules;
	int i, n;

	memset(rs, 0, sizeof(*rs));
	if (all != NULL) {
		config_setting_t *h = config_setting_get_member(all, "host");
		config_setting_t *p = config_setting_get_member(all, "protocol");
		struct website_rule r;
		char why[256];

		memset(&r, 0, sizeof(r));
		if (h == NULL || rule_str(h, r.host, sizeof(r.host), file, err, errsz) == -1 ||
		    r.host[0] == '\0') {
			seterr(err, errsz, "%s:%d: site.redirect_all needs a host", file,
			    config_setting_source_line(all));
			return -1;
		}
		if (p != NULL && rule_str(p, r.protocol, sizeof(r.protocol), file, err,
		    errsz) == -1)
			return -1;
		if (website_rule_check(&r, why, sizeof(why)) == -1) {
			seterr(err, errsz, "%s:%d: site.redirect_all: %s", file,
			    config_setting_source_line(all), why);
			return -1;
		}
		rs->redirect_all = 1;
		memcpy(rs->all_host, r.host, sizeof(r.host));
		memcpy(rs->all_protocol, r.protocol, sizeof(r.protocol));
	}
	if (list == NULL)
		return 0;
	if (!config_setting_is_list(list)) {
		seterr(err, errsz, "%s:%d: site.routing_rules must be a list ( { ... }, ... )",
		    file, config_setting_source_line(list));
		return -1;
	}
	if (all != NULL) {
		seterr(err, errsz, "%s:%d: site.redirect_all and site.routing_rules exclude each "
		    "other", file, config_setting_source_line(list));
		return -1;
	}
	n = config_setting_length(list);
	if (n > SITE_MAX_RULES) {
		seterr(err, errsz, "%s:%d: more than %d routing rules", file,
		    config_setting_source_line(list), SITE_MAX_RULES);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (load_rule(config_setting_get_elem(list, (unsigned int)i), &rs->rule[i], i + 1,
		    file, err, errsz) == -1)
			return -1;
		rs->nrules++;
	}
	return 0;
}

static int
load_file(struct config *cfg, config_t *cf, const char *path, int required, enum level *lv,
    char *err, size_t errsz)
{
	size_t i;

	if (access(path, F_OK) == -1 && errno == ENOENT && !required)
		return 0;
	if (config_read_file(cf, path) != CONFIG_TRUE) {
		if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
			seterr(err, errsz, "%s: cannot read: %s", path, strerror(errno));
		else
			seterr(err, errsz, "%s:%d: %s", config_error_file(cf) ?
			    config_error_file(cf) : path, config_error_line(cf),
			    config_error_text(cf));
		return -1;
	}
	if (strlen(path) >= sizeof(cfg->path)) {
		seterr(err, errsz, "configuration path too long");
		return -1;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if (check_unknown(config_root_setting(cf), "", path, err, errsz, 0) == -1)
		return -1;
	for (i = 0; i < NCOPTS; i++) {
		config_setting_t *s;

		if (copts[i].key == NULL)
			continue;
		s = config_lookup(cf, copts[i].key);
		if (s == NULL)
			continue;
		if (set_from_setting(cfg, &copts[i], s, path, err, errsz) == -1)
			return -1;
		lv[i] = L_FILE;
	}
	if (load_rules(config_root_setting(cf), cfg, path, err, errsz) == -1 ||
	    load_headers(config_root_setting(cf), cfg, path, err, errsz) == -1 ||
	    load_pages(config_root_setting(cf), cfg, path, err, errsz) == -1)
		return -1;
	return 0;
}

static const char *
env_get(char *const env[], const char *name, size_t len)
{
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

static int
load_env(struct config *cfg, char *const env[], enum level *lv, char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < NCOPTS; i++) {
		const char *p = copts[i].envs;

		while (p != NULL && *p != '\0') {
			size_t n = strcspn(p, " ");
			const char *v = env_get(env, p, n);

			if (v != NULL && *v != '\0') {
				char where[80];

				snprintf(where, sizeof(where), "environment %.*s", (int)n, p);
				if (set_from_string(cfg, &copts[i], v, where, err, errsz) == -1)
					return -1;
				lv[i] = L_ENV;
				break;
			}
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	return 0;
}

static const struct copt *
find_flag(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NCOPTS; i++)
		if (name_in(copts[i].flags, name, len))
			return &copts[i];
	return NULL;
}

/*
 * Flags are written the Go way, as s3www takes them ("-bucket x",
 * "-bucket=x"), or with two dashes; boolean flags take no separate value.
 */
static int
load_flags(struct config *cfg, int argc, char *const argv[], enum level *lv, char *err,
    size_t errsz)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val;
		const struct copt *o;
		char where[128];
		size_t len;

		if (a[0] != '-' || a[1] == '\0') {
			seterr(err, errsz, "unexpected argument \"%s\"", a);
			return -1;
		}
		name = a + (a[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		o = find_flag(name, len);
		if (o == NULL) {
			seterr(err, errsz, "unknown flag -%.*s (see -h)", (int)len, name);
			return -1;
		}
		snprintf(where, sizeof(where), "flag -%.*s", (int)len, name);
		if (o->type == T_MAIN)
			continue;
		if (eq != NULL)
			val = eq + 1;
		else if (o->type == T_BOOL)
			val = "true";
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			seterr(err, errsz, "%s needs a value", where);
			return -1;
		}
		if (set_from_string(cfg, o, val, where, err, errsz) == -1)
			return -1;
		lv[o - copts] = L_FLAG;
	}
	return 0;
}

static enum level
level_of(const enum level *lv, size_t off)
{
	size_t i;

	for (i = 0; i < NCOPTS; i++)
		if (copts[i].off == off && copts[i].size != 0)
			return lv[i];
	return L_DEFAULT;
}

/*
 * A secret given as a file wins over one given inline at the same or a
 * lower level, so that an operator can move a deployment to files without
 * first removing the old value.
 */
static int
read_secret(struct config *cfg, char *dst, size_t dstsz, const char *file, size_t inl_off,
    size_t file_off, const enum level *lv, char *err, size_t errsz)
{
	char e[512];
	struct stat st;

	if (*file == '\0' || level_of(lv, file_off) < level_of(lv, inl_off))
		return 0;
	if (creds_read_file(file, dst, dstsz, e, sizeof(e)) == -1) {
		seterr(err, errsz, "%s", e);
		return -1;
	}
	/* Not fatal (a Secret volume is 0644 unless told otherwise), but said. */
	if (stat(file, &st) == 0 && (st.st_mode & S_IROTH) && cfg->warning[0] == '\0')
		snprintf(cfg->warning, sizeof(cfg->warning), "credential file %s is readable by "
		    "every user (mode %04o); make it readable by the service user only", file,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

static int
valid_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (colon == NULL)
		return 0;
	if (s[0] == '[' && (colon == s || colon[-1] != ']'))
		return 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return errno == 0 && end != colon + 1 && *end == '\0' && port >= 0 && port <= 65535;
}

/* Strip leading slashes; the prefix is used as-is in object keys. */
static void
strip_slashes(char *s)
{
	size_t n = strspn(s, "/");

	memmove(s, s + n, strlen(s + n) + 1);
}

/*
 * Check one site's settings and bring its prefix and documents to the form
 * the workers use.  where is "" for the top level, else names the site.
 */
static int
validate_site(struct config *cfg, const char *where, char *err, size_t errsz)
{
	struct s3_endpoint ep;
	char e[256];
	size_t n;

	if (cfg->bucket[0] == '\0') {
		seterr(err, errsz, "%sno bucket configured: set s3.bucket, -bucket or S3WWW_BUCKET",
		    where);
		return -1;
	}
	if (cfg->endpoint[0] == '\0') {
		seterr(err, errsz, "%sno endpoint configured: set s3.endpoint, -endpoint or "
		    "S3WWW_ENDPOINT", where);
		return -1;
	}
	if (s3_endpoint_init(&ep, cfg->endpoint, cfg->bucket, cfg->region, cfg->virtual_host,
	    e, sizeof(e)) == -1) {
		seterr(err, errsz, "%ss3.endpoint: %s", where, e);
		return -1;
	}
	if ((cfg->access_key[0] == '\0') != (cfg->secret_key[0] == '\0')) {
		seterr(err, errsz, "%san access key needs a secret key and the other way round",
		    where);
		return -1;
	}
	strip_slashes(cfg->bucket_path);
	n = strlen(cfg->bucket_path);
	if (n > 0 && cfg->bucket_path[n - 1] != '/') {
		if (n + 1 >= sizeof(cfg->bucket_path)) {
			seterr(err, errsz, "%ss3.bucket_path too long", where);
			return -1;
		}
		cfg->bucket_path[n] = '/';
		cfg->bucket_path[n + 1] = '\0';
	}
	strip_slashes(cfg->index_document);
	strip_slashes(cfg->spa_file);
	strip_slashes(cfg->error_document);
	if (cfg->index_document[0] == '\0') {
		seterr(err, errsz, "%ssite.index must not be empty", where);
		return -1;
	}
	return 0;
}

static int
validate(struct config *cfg, char *err, size_t errsz)
{
	int i;

	if (!valid_listen(cfg->listen)) {
		seterr(err, errsz, "listen: \"%s\" is not ADDRESS:PORT", cfg->listen);
		return -1;
	}
	if (cfg->internal_listen[0] != '\0' && !valid_listen(cfg->internal_listen)) {
		seterr(err, errsz, "ops.listen: \"%s\" is not ADDRESS:PORT", cfg->internal_listen);
		return -1;
	}
	if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
		seterr(err, errsz, "tls.cert and tls.key go together");
		return -1;
	}
	if ((cfg->healthz_path[0] != '\0' && cfg->healthz_path[0] != '/') ||
	    (cfg->readyz_path[0] != '\0' && cfg->readyz_path[0] != '/') ||
	    (cfg->metrics_path[0] != '\0' && cfg->metrics_path[0] != '/')) {
		seterr(err, errsz, "ops paths must start with /");
		return -1;
	}
	if (cfg->nsites == 0) {
		seterr(err, errsz, "no bucket configured: set s3.bucket, -bucket or S3WWW_BUCKET");
		return -1;
	}
	for (i = 0; i < cfg->nsites; i++) {
		struct config *sc = &cfg->sites[i];
		char where[CONFIG_PATH + 128] = "";

		if (sc->site_line > 0)
			snprintf(where, sizeof(where), "%s:%d: site \"%s\": ", cfg->path,
			    sc->site_line, sc->site_name);
		if (validate_site(sc, where, err, errsz) == -1)
			return -1;
	}
	/* The top level's own values as its site has them, for what reads them. */
	if (cfg->sites[0].site_line == 0) {
		memcpy(cfg->bucket_path, cfg->sites[0].bucket_path, sizeof(cfg->bucket_path));
		memcpy(cfg->index_document, cfg->sites[0].index_document,
		    sizeof(cfg->index_document));
		memcpy(cfg->spa_file, cfg->sites[0].spa_file, sizeof(cfg->spa_file));
		memcpy(cfg->error_document, cfg->sites[0].error_document,
		    sizeof(cfg->error_document));
	}
	return 0;
}

/* A site's name: the `site` label of its metrics, so letters, digits, '_', '.', '-'. */
static int
site_name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return 0;
	return i > 0;
}

/* A site's host names into its settings and into the table of all of them. */
static int
load_hosts(config_setting_t *h, struct config *sc, const struct config *all, int idx,
    struct site_hosts *seen, const char *file, char *err, size_t errsz)
{
	int i, n, other, line;
	char why[256];

	if (h == NULL)
		return 0;
	line = config_setting_source_line(h);
	n = config_setting_length(h);
	if ((!config_setting_is_list(h) && !config_setting_is_array(h)) ||
	    n > CONFIG_MAX_HOSTS) {
		seterr(err, errsz, "%s:%d: hosts must be a list of at most %d names", file, line,
		    CONFIG_MAX_HOSTS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(h, i);
		int rc;

		if (v == NULL || strlen(v) >= sizeof(sc->hosts[0])) {
			seterr(err, errsz, "%s:%d: hosts: each is a host name (a string)", file,
			    line);
			return -1;
		}
		rc = site_hosts_add(seen, v, idx, &other, why, sizeof(why));
		if (rc == -1) {
			seterr(err, errsz, "%s:%d: hosts: %s", file, line, why);
			return -1;
		}
		if (rc == 1) {
			seterr(err, errsz, "%s:%d: host \"%s\" is already a name of site \"%s\" "
			    "(line %d)", file, line, v, other == idx ? sc->site_name :
			    all[other].site_name, other == idx ? line : all[other].site_line);
			return -1;
		}
		snprintf(sc->hosts[sc->nhosts++], sizeof(sc->hosts[0]), "%s", v);
	}
	return 0;
}

/*
 * One site of the `sites` list: the top level's settings, then the site's
 * own.  Long because each of the site's own keys (name, hosts, default,
 * the settings, the structured lists, the credentials) is read and checked
 * here with its file:line.
 */
static int
load_site(struct config *cfg, config_setting_t *g, int idx, struct site_hosts *seen,
    char *err, size_t errsz)
{
	struct config *sc = &cfg->sites[idx];
	const char *file = cfg->path;
	enum level lv[NCOPTS];
	config_setting_t *m;
	size_t i;
	int j, line = config_setting_source_line(g);

	memset(lv, 0, sizeof(lv));
	*sc = *cfg;
	sc->sites = NULL;
	sc->nsites = 0;
	sc->multi_site = 0;
	sc->default_site = -1;
	sc->nhosts = 0;
	sc->site_line = line;
	sc->warning[0] = '\0';
	/* Routing rules and the website document belong to one bucket's site. */
	memset(&sc->rules, 0, sizeof(sc->rules));
	sc->website_document[0] = '\0';
	snprintf(sc->site_name, sizeof(sc->site_name), "site-%d", idx + 1);
	if (!config_setting_is_group(g)) {
		seterr(err, errsz, "%s:%d: each site is a group { ... }", file, line);
		return -1;
	}
	if ((m = config_setting_lookup(g, "name")) != NULL) {
		const char *v = config_setting_get_string(m);

		if (v == NULL || strlen(v) >= sizeof(sc->site_name) || !site_name_ok(v)) {
			seterr(err, errsz, "%s:%d: name: letters, digits, '_', '.' and '-', at "
			    "most %zu bytes", file, config_setting_source_line(m),
			    sizeof(sc->site_name) - 1);
			return -1;
		}
		snprintf(sc->site_name, sizeof(sc->site_name), "%s", v);
	}
	if (check_unknown(g, "", file, err, errsz, 1) == -1)
		return -1;
	for (i = 0; i < NCOPTS; i++) {
		config_setting_t *s;

		if (copts[i].key == NULL || !site_key_allowed(copts[i].key) ||
		    (s = config_setting_lookup(g, copts[i].key)) == NULL)
			continue;
		if (set_from_setting(sc, &copts[i], s, file, err, errsz) == -1)
			return -1;
		lv[i] = L_FILE;
	}
	if (load_rules(g, sc, file, err, errsz) == -1 || load_headers(g, sc, file, err,
	    errsz) == -1 || load_pages(g, sc, file, err, errsz) == -1)
		return -1;
	if (load_hosts(config_setting_lookup(g, "hosts"), sc, cfg->sites, idx, seen, file,
	    err, errsz) == -1)
		return -1;
	if ((m = config_setting_lookup(g, "default")) != NULL) {
		if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
			seterr(err, errsz, "%s:%d: default: expected true or false", file,
			    config_setting_source_line(m));
			return -1;
		}
		if (config_setting_get_bool(m)) {
			if (cfg->default_site >= 0 && cfg->sites[cfg->default_site].site_line > 0) {
				seterr(err, errsz, "%s:%d: only one site can be the default; site "
				    "\"%s\" (line %d) is", file, config_setting_source_line(m),
				    cfg->sites[cfg->default_site].site_name,
				    cfg->sites[cfg->default_site].site_line);
				return -1;
			}
			cfg->default_site = idx;
		}
	}
	if (sc->nhosts == 0 && cfg->default_site != idx) {
		seterr(err, errsz, "%s:%d: site \"%s\" has no hosts: list its host names, or "
		    "make it the default", file, line, sc->site_name);
		return -1;
	}
	if (config_setting_lookup(g, "name") == NULL && sc->nhosts > 0) {
		/* Named after its first host, the wildcard's "*." left out. */
		const char *h = sc->hosts[0][0] == '*' ? sc->hosts[0] + 2 : sc->hosts[0];

		snprintf(sc->site_name, sizeof(sc->site_name), "%.*s",
		    (int)strcspn(h, ":"), h);
	}
	for (j = 0; j < idx; j++) {
		if (strcmp(cfg->sites[j].site_name, sc->site_name) == 0) {
			seterr(err, errsz, "%s:%d: two sites are named \"%s\" (lines %d and %d)",
			    file, line, sc->site_name, cfg->sites[j].site_line, line);
			return -1;
		}
	}
	if (read_secret(sc, sc->access_key, sizeof(sc->access_key), sc->access_key_file,
	    offsetof(struct config, access_key), offsetof(struct config, access_key_file), lv,
	    err, errsz) == -1 ||
	    read_secret(sc, sc->secret_key, sizeof(sc->secret_key), sc->secret_key_file,
	    offsetof(struct config, secret_key), offsetof(struct config, secret_key_file), lv,
	    err, errsz) == -1 ||
	    read_secret(sc, sc->session_token, sizeof(sc->session_token),
	    sc->session_token_file, offsetof(struct config, session_token),
	    offsetof(struct config, session_token_file), lv, err, errsz) == -1)
		return -1;
	if (sc->warning[0] != '\0' && cfg->warning[0] == '\0')
		memcpy(cfg->warning, sc->warning, sizeof(cfg->warning));
	return 0;
}

/*
 * The sites: the top level (if it names a bucket, or there is no list),
 * then those of the `sites` list, each checked against the others' host
 * names and site names.
 */
static int
load_sites(struct config *cfg, config_setting_t *root, char *err, size_t errsz)
{
	config_setting_t *list = config_setting_lookup(root, "sites");
	struct site_hosts seen;
	int i, n = 0, top, rc = -1;

	top = list == NULL || cfg->bucket[0] != '\0';
	if (list != NULL) {
		n = config_setting_length(list);
		if (!config_setting_is_list(list) || n < 1 || n + top > CONFIG_MAX_SITES) {
			seterr(err, errsz, "%s:%d: sites must be a list ( { ... }, ... ) of 1 "
			    "to %d sites", cfg->path, config_setting_source_line(list),
			    CONFIG_MAX_SITES - top);
			return -1;
		}
	}
	cfg->sites = calloc((size_t)(n + top), sizeof(*cfg->sites));
	if (cfg->sites == NULL) {
		seterr(err, errsz, "out of memory");
		return -1;
	}
	cfg->multi_site = list != NULL;
	cfg->default_site = -1;
	memset(&seen, 0, sizeof(seen));
	if (top) {
		struct config *sc = &cfg->sites[0];

		*sc = *cfg;
		sc->sites = NULL;
		sc->nsites = 0;
		sc->multi_site = 0;
		snprintf(sc->site_name, sizeof(sc->site_name), "default");
		cfg->default_site = 0;
		cfg->nsites = 1;
	}
	for (i = 0; i < n; i++) {
		if (load_site(cfg, config_setting_get_elem(list, (unsigned int)i), cfg->nsites,
		    &seen, err, errsz) == -1)
			goto out;
		cfg->nsites++;
	}
	rc = 0;
out:
	site_hosts_free(&seen);
	return rc;
}

int
config_load(struct config *cfg, const char *path, int argc, char *const argv[],
    char *const env[], char *err, size_t errsz)
{
	enum level lv[NCOPTS];
	config_t cf;

	memset(lv, 0, sizeof(lv));
	config_defaults(cfg);
	/* The file stays open until the sites, which inherit the flags, are read. */
	config_init(&cf);
	if (load_file(cfg, &cf, path != NULL ? path : CONFIG_DEFAULT_PATH, path != NULL, lv,
	    err, errsz) == -1)
		goto fail;
	if (load_env(cfg, env, lv, err, errsz) == -1)
		goto fail;
	if (load_flags(cfg, argc, argv, lv, err, errsz) == -1)
		goto fail;
	if (read_secret(cfg, cfg->access_key, sizeof(cfg->access_key), cfg->access_key_file,
	    offsetof(struct config, access_key), offsetof(struct config, access_key_file), lv,
	    err, errsz) == -1)
		goto fail;
	if (read_secret(cfg, cfg->secret_key, sizeof(cfg->secret_key), cfg->secret_key_file,
	    offsetof(struct config, secret_key), offsetof(struct config, secret_key_file), lv,
	    err, errsz) == -1)
		goto fail;
	if (read_secret(cfg, cfg->session_token, sizeof(cfg->session_token),
	    cfg->session_token_file, offsetof(struct config, session_token),
	    offsetof(struct config, session_token_file), lv, err, errsz) == -1)
		goto fail;
	if (load_sites(cfg, config_root_setting(&cf), err, errsz) == -1)
		goto fail;
	if (validate(cfg, err, errsz) == -1)
		goto fail;
	config_destroy(&cf);
	return 0;
fail:
	config_destroy(&cf);
	config_wipe(cfg);
	return -1;
}

/*
 * Linux reports every CPU of the machine, but a container is often limited
 * to fewer by its cgroup's cpu.max; more workers than that only contend.
 */
static int
cgroup_cpus(void)
{
	FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
	char quota[32];
	long period, q;
	int rc = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%31s %ld", quota, &period) == 2 && strcmp(quota, "max") != 0 &&
	    period > 0) {
		q = strtol(quota, NULL, 10);
		rc = (int)((q + period - 1) / period);
	}
	fclose(f);
	return rc;
}

int
config_worker_count(const struct config *cfg)
{
	long n;
	int cg;

	if (cfg->workers > 0)
		return cfg->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	cg = cgroup_cpus();
	if (cg > 0 && cg < n)
		n = cg;
	return (int)n;
}

void
config_usage(const char *prog)
{
	size_t i;

	fprintf(stdout, "usage: %s [-c file] [-t] [flags]\n\nflags (also -flag=value or "
	    "--flag value):\n", prog);
	for (i = 0; i < NCOPTS; i++) {
		char names[128] = "";
		const char *p = copts[i].flags;
		size_t off = 0;

		while (*p != '\0' && off < sizeof(names) - 2) {
			size_t n = strcspn(p, " ");

			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s-%.*s",
			    off ? ", " : "", (int)n, p);
			p += n;
			while (*p == ' ')
				p++;
		}
		fprintf(stdout, "  %-34s %s", names, copts[i].help);
		if (copts[i].envs != NULL)
			fprintf(stdout, " [$%.*s]", (int)strcspn(copts[i].envs, " "),
			    copts[i].envs);
		fputc('\n', stdout);
	}
}

static void
wipe_secrets(struct config *cfg)
{
	explicit_bzero(cfg->access_key, sizeof(cfg->access_key));
	explicit_bzero(cfg->secret_key, sizeof(cfg->secret_key));
	explicit_bzero(cfg->session_token, sizeof(cfg->session_token));
}

void
config_wipe(struct config *cfg)
{
	int i;

	wipe_secrets(cfg);
	for (i = 0; i < cfg->nsites && cfg->sites != NULL; i++)
		wipe_secrets(&cfg->sites[i]);
	free(cfg->sites);
	cfg->sites = NULL;
	cfg->nsites = 0;
}

void
config_move(struct config *dst, struct config *src)
{
	*dst = *src;
	src->sites = NULL;
	src->nsites = 0;
}

static void
add_name(char *what, size_t sz, const char *name, const struct config *site, int multi)
{
	size_t n = strlen(what);

	if (multi)
		snprintf(what + n, sz - n, "%s%s of site %s", n > 0 ? ", " : "", name,
		    site->site_name);
	else
		snprintf(what + n, sz - n, "%s%s", n > 0 ? ", " : "", name);
}

void
config_secrets_changed(const struct config *a, const struct config *b, char *what, size_t sz)
{
	int i, j;

	what[0] = '\0';
	for (i = 0; i < b->nsites; i++) {
		const struct config *nb = &b->sites[i], *na = NULL;

		for (j = 0; j < a->nsites; j++)
			if (strcmp(a->sites[j].site_name, nb->site_name) == 0)
				na = &a->sites[j];
		if (na == NULL)
			continue;
		if (strcmp(na->access_key, nb->access_key) != 0)
			add_name(what, sz, "access key", nb, b->multi_site);
		if (strcmp(na->secret_key, nb->secret_key) != 0)
			add_name(what, sz, "secret key", nb, b->multi_site);
		if (strcmp(na->session_token, nb->session_token) != 0)
			add_name(what, sz, "session token", nb, b->multi_site);
	}
}

/*
 * One site of the worker configuration.  Sites that read the same bucket
 * on the same endpoint share their part of the cache (cache_ns), since
 * their objects are the same.
 */
static int
build_site(const struct config *top, int idx, struct worker_site *ws,
    struct metrics_region *metrics, const struct worker_site *before, char *err,
    size_t errsz)
{
	const struct config *cfg = &top->sites[idx];
	struct site_conf *site = &ws->site;
	int i;

	snprintf(ws->name, sizeof(ws->name), "%s", cfg->site_name);
	ws->metrics_site = metrics != NULL ? metrics_site(metrics, cfg->site_name) : -1;
	if (s3_endpoint_init(&ws->ep, cfg->endpoint, cfg->bucket, cfg->region, cfg->virtual_host,
	    err, errsz) == -1)
		return -1;
	if (cfg->access_key[0] != '\0') {
		if (sigv4_init(&ws->sig, cfg->access_key, cfg->secret_key, cfg->region,
		    "s3") == -1) {
			snprintf(err, errsz, "site %s: credentials do not fit", cfg->site_name);
			return -1;
		}
		ws->signing = 1;
	}
	snprintf(ws->session_token, sizeof(ws->session_token), "%s", cfg->session_token);
	snprintf(ws->ca_bundle, sizeof(ws->ca_bundle), "%s", cfg->ca_bundle);
	ws->tls_verify = cfg->tls_verify;

	snprintf(site->prefix, sizeof(site->prefix), "%s", cfg->bucket_path);
	snprintf(site->index, sizeof(site->index), "%s", cfg->index_document);
	snprintf(site->spa_file, sizeof(site->spa_file), "%s", cfg->spa_file);
	snprintf(site->error_document, sizeof(site->error_document), "%s", cfg->error_document);
	site->directory_listing = cfg->directory_listing;
	site->dir_redirect = cfg->directory_redirect == DIR_REDIRECT_ALWAYS ? SITE_DIR_ALWAYS :
	    cfg->directory_redirect == DIR_REDIRECT_OFF ? SITE_DIR_OFF : SITE_DIR_AUTO;
	site->rules = cfg->rules;
	site->nheaders = cfg->nheaders;
	memcpy(site->headers, cfg->headers, sizeof(site->headers));
	site->nfallbacks = cfg->nfallbacks;
	memcpy(site->fallbacks, cfg->fallbacks, sizeof(site->fallbacks));
	site->nsuffixes = cfg->nsuffixes;
	memcpy(site->suffixes, cfg->suffixes, sizeof(site->suffixes));
	site->redirect_suffixes = cfg->redirect_suffixes;
	site->norigins = cfg->norigins;
	for (i = 0; i < cfg->norigins && i < SITE_MAX_ORIGINS; i++)
		snprintf(site->origins[i], sizeof(site->origins[i]), "%s", cfg->origins[i]);

	ws->caching = cfg->cache_enabled;
	ws->cache_ttl_ms = (uint64_t)cfg->cache_ttl_ms;
	ws->cache_ns = (unsigned)idx;
	for (i = 0; i < idx; i++) {
		if (before[i].ep.https == ws->ep.https &&
		    strcmp(before[i].ep.host, ws->ep.host) == 0 &&
		    strcmp(before[i].ep.base_path, ws->ep.base_path) == 0 &&
		    strcmp(before[i].ep.bucket, ws->ep.bucket) == 0) {
			ws->cache_ns = before[i].cache_ns;
			break;
		}
	}
	return 0;
}

int
config_worker_conf(const struct config *cfg, struct worker_conf *wc, SSL_CTX *tls,
    struct metrics_region *metrics, char *err, size_t errsz)
{
	int i, j, other, nw;
	char why[256];

	memset(wc, 0, sizeof(*wc));
	wc->sites = calloc((size_t)cfg->nsites, sizeof(*wc->sites));
	if (wc->sites == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	wc->nsites = cfg->nsites;
	wc->multi_site = cfg->multi_site;
	for (i = 0; i < cfg->nsites; i++) {
		if (build_site(cfg, i, &wc->sites[i], metrics, wc->sites, err, errsz) == -1)
			goto fail;
		for (j = 0; j < cfg->sites[i].nhosts; j++)
			if (site_hosts_add(&wc->hosts, cfg->sites[i].hosts[j], i, &other, why,
			    sizeof(why)) != 0) {
				snprintf(err, errsz, "site %s: %s", cfg->sites[i].site_name, why);
				goto fail;
			}
		if (wc->sites[i].caching)
			wc->caching = 1;
	}
	site_hosts_sort(&wc->hosts);
	wc->hosts.default_site = cfg->default_site;
	wc->connect_timeout_ms = cfg->connect_timeout_ms;
	wc->upstream_timeout_ms = cfg->upstream_timeout_ms;

	/* The cache memory is shared out among the workers, counted once here. */
	if (wc->caching) {
		nw = config_worker_count(cfg);
		wc->cache_bytes = (size_t)cfg->cache_memory_mb * 1024 * 1024 /
		    (size_t)(nw > 0 ? nw : 1);
		wc->cache_max_object = (size_t)cfg->cache_max_object_kb * 1024;
	}

	wc->max_header_size = cfg->max_header_size;
	wc->max_connections = cfg->max_connections;
	wc->header_timeout_ms = cfg->header_timeout_ms;
	wc->keepalive_timeout_ms = cfg->keepalive_timeout_ms;
	wc->keepalive_requests = cfg->keepalive_requests;
	wc->send_timeout_ms = cfg->send_timeout_ms;
	wc->drain_timeout_ms = cfg->drain_timeout_ms;

	snprintf(wc->healthz_path, sizeof(wc->healthz_path), "%s", cfg->healthz_path);
	snprintf(wc->readyz_path, sizeof(wc->readyz_path), "%s", cfg->readyz_path);
	snprintf(wc->metrics_path, sizeof(wc->metrics_path), "%s", cfg->metrics_path);
	snprintf(wc->access_log, sizeof(wc->access_log), "%s", cfg->access_log);
	wc->access_log_json = cfg->access_log_format == ACCESS_LOG_JSON;
	wc->tls = tls;
	wc->metrics = metrics;
	return 0;
fail:
	config_worker_conf_wipe(wc);
	return -1;
}

void
config_worker_conf_wipe(struct worker_conf *wc)
{
	int i;

	for (i = 0; i < wc->nsites && wc->sites != NULL; i++) {
		sigv4_clear(&wc->sites[i].sig);
		explicit_bzero(wc->sites[i].session_token, sizeof(wc->sites[i].session_token));
	}
	free(wc->sites);
	wc->sites = NULL;
	wc->nsites = 0;
	site_hosts_free(&wc->hosts);
}

void
config_worker_conf_move(struct worker_conf *dst, struct worker_conf *src)
{
	*dst = *src;
	src->sites = NULL;
	src->nsites = 0;
	memset(&src->hosts, 0, sizeof(src->hosts));
}
