/*
 * site.h - the website rules: which S3 key answers a request, and what to
 * do when S3 says that key is not there.
 *
 * This module does no I/O.  It takes the site's settings, the request and
 * S3's answer, and returns the next step (fetch another key, list the
 * directory, redirect, answer with an error).  The worker's serving code
 * (serve.c) carries the steps out.  Keeping the rules apart from the
 * sockets lets them be tested case by case (tests/unit/check_site.c) and
 * gives the next website features one place to live.
 *
 * The fallback chain, as the README's "What it serves" describes it:
 *
 *   object --404--> dir/index (HEAD) --200--> 301 to dir/
 *                       |
 *                      404--> listing (GET of a dir/, if enabled)
 *                               |
 *                              empty--> SPA file (200) --missing--> error
 *                                                          document (404)
 *                                                            --missing--> 404
 */
#ifndef S3WWWD_SITE_H
#define S3WWWD_SITE_H

#include <stddef.h>

#include "s3.h"
#include "website.h"

#define SITE_STR 256
#define SITE_MAX_ORIGINS 32
#define SITE_MAX_RULES WEBSITE_MAX_RULES

/* When a missing key is checked for key/index to redirect to key/. */
enum site_dir_redirect { SITE_DIR_AUTO = 0, SITE_DIR_ALWAYS, SITE_DIR_OFF };

/*
 * Response headers added to what S3 returns, for the keys under a prefix
 * (HSTS, Content-Security-Policy, Cache-Control: immutable for hashed
 * assets).  A header S3 also sends is left as S3 sent it unless the rule
 * says override.  The longest matching prefix of each header name wins.
 */
#define SITE_MAX_HEADERS 16
#define SITE_HDR_NAME 64
#define SITE_HDR_VALUE 512

struct site_header {
	char prefix[SITE_STR];
	char name[SITE_HDR_NAME];
	char value[SITE_HDR_VALUE];
	int override;
};

/*
 * Per-prefix fallbacks, so that several single-page apps share a bucket:
 * /app1/... falls back to app1/index.html, /docs/... to docs/404.html.
 * The longest prefix that sets the document wins; the site's own
 * spa_file and error_document apply where none does.
 */
#define SITE_MAX_FALLBACKS 16

struct site_fallback {
	char prefix[SITE_STR];
	char spa_file[SITE_STR];       /* "" : not set here */
	char error_document[SITE_STR];
};

/* Clean URLs: /about serves about.html when about is missing. */
#define SITE_MAX_SUFFIXES 4
#define SITE_SUFFIX_LEN 16

struct site_conf {
	char prefix[SITE_STR];       /* key prefix: "" or "dir/" */
	char index[SITE_STR];        /* index document for / and dir/ */
	char spa_file[SITE_STR];     /* "" : none */
	char error_document[SITE_STR];
	int directory_listing;
	enum site_dir_redirect dir_redirect;
	int norigins;
	char origins[SITE_MAX_ORIGINS][SITE_STR]; /* "*" allows any */
	struct website_rules rules;
	int nheaders;
	struct site_header headers[SITE_MAX_HEADERS];
	int nfallbacks;
	struct site_fallback fallbacks[SITE_MAX_FALLBACKS];
	int nsuffixes;                 /* site.try_suffixes */
	char suffixes[SITE_MAX_SUFFIXES][SITE_SUFFIX_LEN];
	int redirect_suffixes;         /* /about.html -> 301 /about */
};

/* What each S3 request of the chain is for. */
enum site_phase {
	SITE_OBJECT,   /* the key the request maps to */
	SITE_DIRCHECK, /* HEAD key/index, to redirect key to key/ */
	SITE_LIST,     /* ListObjectsV2 of a directory */
	SITE_SPA,      /* the single-page-app file */
	SITE_ERRDOC,   /* the error document */
	SITE_SUFFIX    /* key + one of site.try_suffixes (clean URLs) */
};

/* What the request looked like, as far as the rules care. */
struct site_req {
	const char *key;  /* the key of the SITE_OBJECT step */
	size_t keylen;
	int is_dir;       /* the path ended in '/' */
	int head;         /* HEAD rather than GET */
	int caching;      /* the worker keeps a cache (negative entries) */
	int known_missing; /* the cache already said the key is missing */
	int suffix_next;  /* the next of site.try_suffixes to try */
};

enum site_action {
	SITE_FETCH,    /* ask S3 for next.key in next.phase */
	SITE_LISTING,  /* list the directory of the request */
	SITE_REDIRECT, /* 301 to the request's path with a '/' added */
	SITE_ERROR     /* answer next.status with next.detail */
};

struct site_next {
	enum site_action action;
	enum site_phase phase;  /* SITE_FETCH */
	int head;               /* SITE_FETCH with HEAD rather than GET */
	char key[S3_KEY_MAX + 1]; /* SITE_FETCH */
	size_t keylen;
	int status;             /* SITE_ERROR */
	const char *detail;     /* SITE_ERROR: the text of the error page */
	int remember_missing;   /* keep "no such key" in the cache for a TTL */
	int upstream_fault;     /* S3 refused us (credentials, region): log it */
};

/*
 * The key a request path maps to: the site's prefix, the path decoded
 * (http_path_to_key), and the index document for a directory.  Returns 0,
 * or the status to refuse the request with: 400 for a path that is no key
 * (also one whose key alone is longer than keysz allows), 414 when the
 * index document does not fit after a directory's key.
 */
int site_key(const struct site_conf *s, const char *path, size_t len, char *key,
    size_t keysz, size_t *keylen, int *is_dir);

/*
 * The step after S3 answered `status` (with the error code `code` from its
 * XML body, "" if none) to the request of `phase`, when that answer was not
 * streamed to the client.  Not for SITE_LIST answers, which the listing
 * reads itself (then site_not_found(..., SITE_LIST, ...) if it is empty).
 */
void site_answer(const struct site_conf *s, const struct site_req *r, enum site_phase phase,
    int status, const char *code, struct site_next *next);

/* The key of `after` does not exist: the next fallback. */
void site_not_found(const struct site_conf *s, const struct site_req *r,
    enum site_phase after, struct site_next *next);

/*
 * Whether a missing key is worth a HEAD of key/index (site.directory_redirect):
 * "auto" says yes only for a last segment without a dot.
 */
int site_dir_redirect_applies(const struct site_conf *s, const char *key, size_t keylen);

/*
 * The Location of the directory redirect for a request path and query:
 * path + "/" (+ "?" + query), with the leading run of '/' and '\\' made one
 * '/', so that neither "//host" nor "/\\host" (which browsers read alike)
 * sends a client elsewhere.  Returns the length, or -1 if it does not fit
 * (the caller answers 414).
 */
int site_dir_location(const char *path, size_t len, const char *query, size_t qlen,
    char *out, size_t outsz);

/*
 * The routing rules, for a request whose key relative to the site's prefix
 * is key (keylen bytes; a directory's key without the index document) and
 * whose query is query (qlen bytes, kept on a redirect of the whole site).
 * error is 0 before the object was asked for (RedirectAllRequestsTo and
 * the rules without an error condition), else the HTTP status S3 answered.
 * On a match, writes the Location into loc and returns the redirect's
 * status (301, 302, ...); returns 0 when no rule applies, -1 when the
 * Location does not fit.  A Location is either a path on this host with
 * one leading '/' or an absolute http(s) URL to the rule's host: a request
 * cannot steer it anywhere else.
 */
int site_route(const struct site_conf *s, const char *key, size_t keylen, const char *query,
    size_t qlen, int error, char *loc, size_t locsz);

/*
 * A per-object redirect target (x-amz-website-redirect-location): a path
 * starting with one '/' or an absolute http(s) URL, as AWS requires, with
 * no control characters.  Returns 1 if it may be sent as a Location.
 */
int site_redirect_target_ok(const char *target);

/*
 * Check a response header rule: a token for a name that is not one of the
 * headers that frame or route a response (Content-Length, Connection,
 * Transfer-Encoding, Location, ...), and a value without control bytes.
 * Returns 0, or -1 with the reason in err.
 */
int site_header_check(const struct site_header *h, char *err, size_t errsz);

/*
 * The header rules for a key (relative to the site's prefix): for each
 * header name, the rule with the longest matching prefix.  Fills out[]
 * with at most SITE_MAX_HEADERS pointers and returns how many.
 */
int site_headers_for(const struct site_conf *s, const char *key, size_t keylen,
    const struct site_header **out);

/*
 * With site.redirect_suffixes, a request for /about.html (one of
 * site.try_suffixes) is sent to /about: writes that Location (the query
 * kept) and returns 301, else 0.  path is the request's path as sent.
 */
int site_suffix_redirect(const struct site_conf *s, const char *path, size_t len,
    const char *query, size_t qlen, char *loc, size_t locsz);

/*
 * Several sites on one listener, chosen by the request's Host the way
 * nginx chooses a server: names compare without case, a port and a
 * trailing dot are ignored, an exact name wins over a wildcard, and among
 * wildcards ("*.example.com", which matches any name below example.com but
 * not example.com itself) the longest wins.  The table is built once per
 * configuration (site_hosts_add(), then site_hosts_sort()) and only read on
 * the request path, which allocates nothing.
 */
#define SITE_HOST_LEN 256

struct site_host {
	char name[SITE_HOST_LEN]; /* lower case; a wildcard kept as ".example.com" */
	size_t len;
	int wildcard;
	int site;                 /* index of the site it names */
};

struct site_hosts {
	int n;
	int cap;
	struct site_host *h;      /* exact names first, then wildcards, longest first */
	int default_site;         /* for a host no site names; -1: none (421) */
};

/*
 * Bring a host name as written in a configuration or sent in a Host header
 * to the form the table compares: lower case, without a port (after the
 * last ':' of a name, or after the ']' of an IPv6 literal) and without one
 * trailing dot.  Returns the length, or -1 for a name that is empty, too
 * long, or holds a byte no host name has.
 */
int site_host_norm(const char *in, size_t len, char *out, size_t outsz);

/*
 * Add a configured name ("www.example.com" or "*.example.com") for site.
 * Returns 0; -1 with the reason in err for a malformed name, and 1 when the
 * same name is in the table already (*other is then the site that has it),
 * which the configuration reports with the file and line.
 */
int site_hosts_add(struct site_hosts *t, const char *name, int site, int *other, char *err,
    size_t errsz);

/* Order the table for site_hosts_find(): call once after the last add. */
void site_hosts_sort(struct site_hosts *t);

/*
 * The site for a request's Host (len 0: none sent): the exact name, else
 * the longest wildcard, else the default site; -1 if there is none.
 */
int site_hosts_find(const struct site_hosts *t, const char *host, size_t len);

void site_hosts_free(struct site_hosts *t);

/* Is origin (not NUL-terminated) allowed by the CORS list? */
int site_origin_allowed(const struct site_conf *s, const char *origin, size_t len);

#endif
