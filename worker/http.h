/*
 * http.h - strict HTTP/1.x request head parsing and the header values the
 * server acts on (Range, conditional requests), plus mapping of a request
 * path to an object key.
 *
 * The parser works on the bytes already read into a connection's fixed
 * buffer and never allocates: every string it returns points into that
 * buffer.  It is strict on purpose (RFC 9112): anything a proxy in front of
 * us could interpret differently is refused, which is what closes the door
 * to request smuggling.
 */
#ifndef S3WWWD_HTTP_H
#define S3WWWD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define HTTP_MAX_HEADERS 64

enum http_method {
	HTTP_M_OTHER = 0, /* a syntactically valid token we do not serve */
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_OPTIONS,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_PATCH,
	HTTP_M_CONNECT,
	HTTP_M_TRACE
};

/* A string slice into the connection's buffer; not NUL-terminated. */
struct http_str {
	const char *p;
	size_t len;
};

struct http_header {
	struct http_str name;
	struct http_str value; /* leading and trailing OWS removed */
};

struct http_request {
	enum http_method method;
	struct http_str method_str;
	struct http_str target; /* request-target as received */
	struct http_str path;   /* target up to '?' (still percent-encoded) */
	struct http_str query;  /* after '?', without it; len 0 if none */
	int version_minor;      /* 0 or 1 (HTTP/1.0, HTTP/1.1) */
	int keep_alive;         /* after Connection and version rules */
	size_t nheaders;
	struct http_header headers[HTTP_MAX_HEADERS];
	/* Headers the server acts on, located once during parsing. */
	struct http_str host;
	struct http_str range;
	struct http_str if_none_match;
	struct http_str if_match;
	struct http_str if_modified_since;
	struct http_str if_unmodified_since;
	struct http_str if_range;
	struct http_str origin;
	struct http_str ac_request_method; /* Access-Control-Request-Method */
	struct http_str ac_request_headers;
	struct http_str user_agent;
	struct http_str referer;
	size_t head_len; /* bytes of the head including the final CRLFCRLF */
};

/*
 * Result of http_parse_request.  A positive status tells the caller which
 * error response to send before closing the connection.
 */
#define HTTP_PARSE_AGAIN 0 /* need more bytes; nothing was consumed */
#define HTTP_PARSE_OK 1    /* req filled, req->head_len bytes consumed */

/*
 * Parse one request head from buf[0..len).  Returns HTTP_PARSE_AGAIN,
 * HTTP_PARSE_OK, or an HTTP error status (400, 405, 414, 431, 501, 505) for a
 * request that must be refused, after which the connection is closed:
 *  - 400: bad syntax, bare LF or CR, NUL or control bytes, obs-fold, a space
 *    before the colon, missing Host on HTTP/1.1, duplicate Host,
 *    Content-Length or Transfer-Encoding, both Content-Length and
 *    Transfer-Encoding, a Content-Length that is not 1*DIGIT, and on GET,
 *    HEAD and OPTIONS any Transfer-Encoding or a Content-Length other than 0
 *    (both names also when spelt with '_', as gateways read them),
 *    absolute-form or authority-form targets (and CONNECT), a '#' or a byte
 *    outside 0x21-0x7E in the target, HTTP/0.9 lines, a Host that is not
 *    host[:port], and a repeated Range, If-Range, If-Match, If-None-Match,
 *    If-Modified-Since, If-Unmodified-Since, Origin or
 *    Access-Control-Request-Method (which one counts would be a guess);
 *  - 405: a complete, well-formed head with another method (POST, PUT,
 *    DELETE, PATCH, an unknown token...) that announces a body; without a
 *    body such a request parses and is answered 405 by the caller;
 *  - 414: a request line longer than max_line;
 *  - 431: a header line longer than max_line, more than HTTP_MAX_HEADERS
 *    headers, or a head longer than max_head;
 *  - 501: a method token longer than 16 bytes;
 *  - 505: an HTTP version other than 1.0 or 1.1.
 * With len >= max_head and no complete head, returns 431 (or 414 while the
 * request line is not complete).  One empty line before the request line
 * is ignored (RFC 9112 section 2.2).
 *
 * The result does not depend on how the bytes were split between calls: a
 * prefix of a stream gives either HTTP_PARSE_AGAIN or the status of the
 * whole stream, and errors in complete lines (a bare LF, say) are reported
 * before the head is complete.  req is only meaningful after HTTP_PARSE_OK.
 */
int http_parse_request(const char *buf, size_t len, size_t max_line,
    size_t max_head, struct http_request *req);

/* Case-insensitive lookup of a header by name; NULL if absent. */
const struct http_header *http_find_header(const struct http_request *req,
    const char *name);

/*
 * Single byte range, RFC 9110 section 14.  The forms are "bytes=a-b",
 * "bytes=a-" and "bytes=-n".  Multiple ranges are not served (the whole
 * object is sent instead, which the RFC allows).  Positions too large for
 * int64_t saturate at INT64_MAX, beyond any object: "bytes=99999999999999-"
 * is a valid range that nothing satisfies (416).  A range whose first
 * position is after its last is invalid and ignored (HTTP_RANGE_NONE), as
 * RFC 9110 section 14.1.1 says.
 */
struct http_range {
	int64_t first;  /* -1 for a suffix range */
	int64_t last;   /* -1 for open-ended (and for a suffix range) */
	int64_t suffix; /* the length of a suffix range, else -1 */
};

#define HTTP_RANGE_NONE 0    /* absent, unparseable or multi: send all */
#define HTTP_RANGE_OK 1      /* r filled */
int http_parse_range(const char *p, size_t len, struct http_range *r);

/*
 * Resolve r against an object of the given size.  Returns 0 with *start and
 * *end (inclusive) set, or -1 if the range is not satisfiable (416).  An
 * empty object satisfies no range here, since a 206 for it cannot be
 * expressed: the caller should ignore Range for it and send 200.
 */
int http_range_resolve(const struct http_range *r, int64_t size,
    int64_t *start, int64_t *end);

/*
 * Parse an IMF-fixdate (and the two obsolete forms, rfc850 with its
 * two-digit year and asctime).  The format is case-sensitive and the fields
 * are range-checked.  Returns 0 with *out set, or -1 if invalid.
 */
int http_parse_date(const char *p, size_t len, time_t *out);
/* Format t as an IMF-fixdate into out (30 bytes). */
void http_format_date(time_t t, char *out);

/*
 * Does an If-None-Match / If-Match list match etag?  Handles "*", W/ weak
 * tags (weak comparison for If-None-Match, strong for If-Match) and lists.
 * etag is our own tag as sent in ETag (quoted, maybe W/); an unquoted one
 * is compared as the opaque part.  With strong comparison a weak tag, on
 * either side, never matches.  "*" matches any non-empty etag.  A
 * malformed list matches nothing.  Returns 1 on match, 0 otherwise.
 */
int http_etag_match(const char *list, size_t len, const char *etag,
    size_t etag_len, int weak_ok);

/*
 * Map a request path (percent-encoded, starting with '/') to an object key
 * below prefix.  Percent-decodes exactly once, refuses NUL bytes, encoded
 * '/' is treated as '/', resolves "." and ".." segments (also when encoded)
 * and refuses any path that would climb above the root; collapses repeated
 * slashes.  The key is written as prefix + relative path without a leading
 * '/'.  *is_dir is set when the path ends in '/' (or is empty).  Returns the
 * key length, or -1 for a path to refuse with 400.
 * prefix is "" or a string that ends with '/'.
 *
 * Also refused: invalid %-escapes, decoded control bytes (0x00-0x1F, 0x7F),
 * raw bytes outside 0x21-0x7E, keys that are not valid UTF-8 (MinIO refuses
 * them), and segments that other layers would take for "." or ".." (padded
 * with whitespace, or between backslashes).  A backslash is otherwise an
 * ordinary key character, as S3 allows, and '+' stays '+'.  The key and a
 * terminating NUL must fit in keysz, as must the segments that a later
 * ".." removes.
 */
ssize_t http_path_to_key(const char *path, size_t len, const char *prefix,
    char *key, size_t keysz, int *is_dir);

/*
 * Evaluate a request's preconditions (If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since, then Range and If-Range) against a
 * representation we hold, in the order of RFC 9110 section 13.2.2, as S3
 * would have: returns 200, 206, 304, 412 or 416, with the byte range to
 * send for 200 and 206 in *start and *end.  etag is the representation's
 * ETag as sent (or ""), lastmod its Last-Modified value (or ""), size its
 * length.  Used for answers from the cache, where no S3 is asked.
 */
int http_preconditions(const struct http_request *r, const char *etag,
    const char *lastmod, int64_t size, int64_t *start, int64_t *end);

#endif
