/*
 * response.c - response heads and bodies made by the worker: errors,
 * redirects, answers from the cache, and the head of an object S3 streams.
 *
 * Everything goes into the request's output buffer (struct xfer's out),
 * which conn.c sends; nothing here touches a socket.
 */
#include "response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/*
 * The S3 response headers that are read, in enum up_hdr order: one table
 * for recognising them (case-insensitively), for sending the first
 * UH_PASS of them, and (through resp_cache_uh) for the copy the cache
 * keeps.  The redirect ones are read, never passed on.
 */
const char *const resp_header_names[UH_N] = {
	"Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control",
	"Content-Encoding", "Content-Disposition", "Content-Range", "Content-Language",
	"Expires", "x-amz-website-redirect-location", "x-amz-meta-website-redirect-location"
};

/* The header values a cached object keeps, in enum cache_hdr order. */
const int resp_cache_uh[CH_N] = {
	UH_CTYPE, UH_ETAG, UH_LASTMOD, UH_CC, UH_CENC, UH_CDISP, UH_CLANG, UH_EXPIRES
};

const char *
resp_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 421: return "Misdirected Request";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

void
resp_printf(struct xfer *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->out_len >= sizeof(x->out))
		return;
	va_start(ap, fmt);
	n = vsnprintf(x->out + x->out_len, sizeof(x->out) - x->out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		x->out_len += (size_t)n < sizeof(x->out) - x->out_len ? (size_t)n :
		    sizeof(x->out) - x->out_len - 1;
}

void
resp_append(struct xfer *x, const char *p, size_t n)
{
	if (n > sizeof(x->out) - x->out_len)
		n = sizeof(x->out) - x->out_len;
	memcpy(x->out + x->out_len, p, n);
	x->out_len += n;
}

/*
 * The pieces of a head, appended without printf: a response head is
 * written for every request, and vsnprintf() parsing its format for each
 * line was a visible part of a small response's cost.
 */
static void
resp_puts(struct xfer *x, const char *s)
{
	resp_append(x, s, strlen(s));
}

/* "Name: value\r\n". */
static void
resp_header(struct xfer *x, const char *name, const char *value)
{
	resp_puts(x, name);
	resp_append(x, ": ", 2);
	resp_puts(x, value);
	resp_append(x, "\r\n", 2);
}

/* A number in decimal. */
static void
resp_u64(struct xfer *x, unsigned long long v)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	resp_append(x, buf + i, sizeof(buf) - i);
}

void
resp_cors(struct conn *c)
{
	const struct http_request *r = &c->x->req;

	if (r->origin.len == 0 || c->ws == NULL || c->ws->site.norigins == 0 ||
	    !site_origin_allowed(&c->ws->site, r->origin.p, r->origin.len))
		return;
	resp_printf(c->x, "Access-Control-Allow-Origin: %.*s\r\nVary: Origin\r\n"
	    "Access-Control-Expose-Headers: Content-Length, Content-Range, ETag, "
	    "Last-Modified\r\n", (int)r->origin.len, r->origin.p);
}

void
resp_head_start(struct conn *c, int status)
{
	struct xfer *x = c->x;

	c->status = status;
	resp_append(x, "HTTP/1.1 ", 9);
	resp_u64(x, (unsigned long long)(status >= 0 ? status : 0));
	resp_append(x, " ", 1);
	resp_puts(x, resp_reason(status));
	resp_puts(x, "\r\nServer: s3wwwd\r\nDate: ");
	resp_puts(x, c->w->date);
	resp_append(x, "\r\n", 2);
}

void
resp_head_end(struct conn *c)
{
	if (!c->keep_alive)
		resp_puts(c->x, "Connection: close\r\n\r\n");
	else if (c->x->req.version_minor == 0)
		resp_puts(c->x, "Connection: keep-alive\r\n\r\n");
	else
		resp_append(c->x, "\r\n", 2);
}

/*
 * A response made here rather than by S3: errors, redirects, the ops
 * endpoints.  The whole response goes into the output buffer.
 */
void
resp_send(struct conn *c, int status, const char *ctype, const char *extra, const char *body,
    size_t blen)
{
	struct xfer *x = c->x;

	x->out_off = x->out_len = 0;
	if (c->draining_hint)
		c->keep_alive = 0;
	resp_head_start(c, status);
	if (extra != NULL)
		resp_puts(x, extra);
	resp_cors(c);
	resp_header(x, "Content-Type", ctype);
	resp_puts(x, "Content-Length: ");
	resp_u64(x, blen);
	resp_puts(x, "\r\nX-Content-Type-Options: nosniff\r\n");
	resp_head_end(c);
	if (c->method != HTTP_M_HEAD && status != 304 && status != 204) {
		resp_append(x, body, blen);
		c->body_sent = blen;
	}
	c->state = CS_SEND;
}

void
resp_error(struct conn *c, int status, const char *detail)
{
	char body[512];
	int n;

	n = snprintf(body, sizeof(body), "<!DOCTYPE html>\n<html><head><title>%d %s</title>"
	    "</head><body><h1>%d %s</h1><p>%s</p></body></html>\n", status, resp_reason(status),
	    status, resp_reason(status), detail != NULL ? detail : "");
	resp_send(c, status, "text/html; charset=utf-8",
	    status == 405 ? "Allow: GET, HEAD, OPTIONS\r\nCache-Control: no-store\r\n" :
	    status == 503 ? "Retry-After: 1\r\nCache-Control: no-store\r\n" :
	    "Cache-Control: no-store\r\n", body, (size_t)n);
}

int
resp_header_index(const char *name, size_t len)
{
	/* The names' lengths, so that most lines of S3's head cost one compare. */
	static size_t lens[UH_N];
	int i;

	if (lens[0] == 0)
		for (i = 0; i < UH_N; i++)
			lens[i] = strlen(resp_header_names[i]);
	for (i = 0; i < UH_N; i++)
		if (lens[i] == len && strncasecmp(resp_header_names[i], name, len) == 0)
			return i;
	return -1;
}

/* The site's header rules for this request's key (site.headers). */
static int
header_rules(const struct conn *c, const struct site_header **hs)
{
	const struct site_conf *s;
	size_t pl;

	if (c->ws == NULL)
		return 0;
	s = &c->ws->site;
	pl = strlen(s->prefix);
	if (s->nheaders == 0 || c->x->keylen < pl)
		return 0;
	return site_headers_for(s, c->x->key + pl, c->x->keylen - pl, hs);
}

/* Does a rule replace S3's header of this name? */
static int
overridden(const struct site_header *const *hs, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (hs[i]->override && strcasecmp(hs[i]->name, name) == 0)
			return 1;
	return 0;
}

/*
 * Add the rules' headers; a name S3 sent (has() says so) is added only by
 * a rule that overrides it, which then was not sent from S3's copy.
 */
static void
add_rules(struct xfer *x, const struct site_header *const *hs, int n,
    int (*has)(const void *, const char *), const void *from)
{
	int i;

	for (i = 0; i < n; i++)
		if (hs[i]->override || !has(from, hs[i]->name))
			resp_header(x, hs[i]->name, hs[i]->value);
}

/* Did S3's answer (the xfer's headers) have this header? */
static int
s3_has(const void *from, const char *name)
{
	const struct xfer *x = from;
	int i = resp_header_index(name, strlen(name));

	return i >= 0 && i < UH_PASS && x->uh[i][0] != '\0';
}

/* Does the cached copy (a cache entry) have this header? */
static int
cached_has(const void *from, const char *name)
{
	const struct cache_entry *e = from;
	int i;

	for (i = 0; i < CH_N; i++)
		if (e->hdr[i][0] != '\0' &&
		    strcasecmp(resp_header_names[resp_cache_uh[i]], name) == 0)
			return 1;
	return 0;
}

/* Send the response head for an object S3 is about to stream. */
void
resp_stream_head(struct conn *c, int status)
{
	struct xfer *x = c->x;
	const struct site_header *hs[SITE_MAX_HEADERS];
	int i, nh = header_rules(c, hs);

	if (status != 304 && x->uh[UH_CLEN][0] == '\0' && c->method != HTTP_M_HEAD)
		c->keep_alive = 0; /* the end of the body is the end of the connection */
	x->out_off = x->out_len = 0;
	resp_head_start(c, status);
	for (i = 0; i < UH_PASS; i++) {
		if (x->uh[i][0] == '\0')
			continue;
		if (status == 304 && i != UH_ETAG && i != UH_LASTMOD && i != UH_CC &&
		    i != UH_EXPIRES)
			continue;
		if (i == UH_CRANGE && status != 206)
			continue;
		if (nh > 0 && overridden(hs, nh, resp_header_names[i]))
			continue;
		resp_header(x, resp_header_names[i], x->uh[i]);
	}
	add_rules(x, hs, nh, s3_has, x);
	if (status != 304 && x->uh[UH_CTYPE][0] == '\0')
		resp_puts(x, "Content-Type: application/octet-stream\r\n");
	if (status != 304)
		resp_puts(x, "Accept-Ranges: bytes\r\n");
	resp_cors(c);
	resp_head_end(c);
	x->up_streaming = 1;
}

/* Answer from a cached object: the head, then the body straight from it. */
void
resp_cached(struct conn *c, struct cache_entry *e)
{
	struct xfer *x = c->x;
	const struct site_header *hs[SITE_MAX_HEADERS];
	int64_t start, end;
	int st = http_preconditions(&x->req, e->hdr[CH_ETAG], e->hdr[CH_LASTMOD],
	    (int64_t)e->size, &start, &end), i, nh = header_rules(c, hs);

	if (st == 412 || st == 416) {
		if (st == 416) {
			char extra[64];

			snprintf(extra, sizeof(extra), "Content-Range: bytes */%zu\r\n", e->size);
			resp_send(c, 416, "text/html; charset=utf-8", extra, "", 0);
		} else {
			resp_error(c, 412, "precondition failed");
		}
		return;
	}
	x->out_off = x->out_len = 0;
	resp_head_start(c, st);
	for (i = 0; i < CH_N; i++) {
		if (e->hdr[i][0] == '\0')
			continue;
		if (st == 304 && i != CH_ETAG && i != CH_LASTMOD && i != CH_CC && i != CH_EXPIRES)
			continue;
		if (nh > 0 && overridden(hs, nh, resp_header_names[resp_cache_uh[i]]))
			continue;
		resp_header(x, resp_header_names[resp_cache_uh[i]], e->hdr[i]);
	}
	add_rules(x, hs, nh, cached_has, e);
	if (st != 304) {
		if (e->hdr[CH_CTYPE][0] == '\0')
			resp_puts(x, "Content-Type: application/octet-stream\r\n");
		if (st == 206) {
			resp_puts(x, "Content-Range: bytes ");
			resp_u64(x, (unsigned long long)start);
			resp_append(x, "-", 1);
			resp_u64(x, (unsigned long long)end);
			resp_append(x, "/", 1);
			resp_u64(x, e->size);
			resp_append(x, "\r\n", 2);
		}
		resp_puts(x, "Content-Length: ");
		resp_u64(x, (unsigned long long)(end - start + 1));
		resp_puts(x, "\r\nAccept-Ranges: bytes\r\n");
	}
	resp_cors(c);
	resp_head_end(c);
	x->ce = e;
	cache_hold(e);
	x->ce_off = x->ce_end = 0;
	if (st != 304 && c->method != HTTP_M_HEAD && e->size > 0) {
		x->ce_off = (size_t)start;
		x->ce_end = (size_t)end + 1;
	}
	c->state = CS_SEND;
}
