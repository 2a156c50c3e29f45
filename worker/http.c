/*
 * http.c - strict HTTP/1.x request head parser (RFC 9112, RFC 9110) and the
 * helpers that interpret the header values the server acts on.
 *
 * The server faces the internet, usually behind a load balancer or a CDN.
 * Request smuggling and cache poisoning live in the gaps between how two
 * HTTP implementations read the same bytes, so the rule here is simple:
 * whenever the RFC lets a recipient choose between tolerating and refusing
 * a construct that another implementation could read differently, we refuse
 * it.  Nothing in this file allocates, and every string handed back points
 * into the caller's buffer.
 */
/* timegm is a GNU/BSD extension; the build normally says so too. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http.h"

/* RFC 9110 does not bound method names; 16 bytes covers every real one. */
#define METHOD_MAX 16

/* Tokens (RFC 9110 section 5.6.2): names of methods and header fields. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return 1;
	default:
		return 0;
	}
}

/*
 * Bytes allowed in a field value: VCHAR, obs-text, SP and HTAB.  Every other
 * control byte, NUL and DEL included, is refused because implementations
 * disagree on whether they end the value, and a CR here is a bare CR.
 */
static int
is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/*
 * ASCII-only case-insensitive comparison of a slice with a lowercase
 * literal.  strncasecmp would consult the locale, which is not what the
 * protocol means by case-insensitive.
 */
static int
ieq(const char *p, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (lit[i] == '\0' || lower((unsigned char)p[i]) != (unsigned char)lit[i])
			return 0;
	}
	return lit[len] == '\0';
}

/*
 * Like ieq, but '_' in p also matches '-': CGI-style gateways and some
 * proxies map both to the same name, so "Transfer_Encoding" may mean
 * Transfer-Encoding to a front end and must mean it here too.
 */
static int
ieq_us(const char *p, size_t len, const char *lit)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = lower((unsigned char)p[i]);
		if (c == '_')
			c = '-';
		if (lit[i] == '\0' || c != (unsigned char)lit[i])
			return 0;
	}
	return lit[len] == '\0';
}

static int
ieq2(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	}
	return 1;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Is a line of n bytes before its LF (CR included) longer than max_line
 * bytes of content?  Written so that a huge max_line cannot overflow.  The
 * same test is applied to the unfinished last line of a partial head, where
 * it only fires once the line is certain to be too long whatever comes next.
 */
static int
line_too_long(size_t n, unsigned char last, size_t max_line)
{
	if (n <= max_line)
		return 0;
	return n - max_line > 1 || last != '\r';
}

static enum http_method
method_of(const char *p, size_t len)
{
	static const struct {
		const char *name;
		enum http_method m;
	} tab[] = {
		{ "GET", HTTP_M_GET }, { "HEAD", HTTP_M_HEAD },
		{ "OPTIONS", HTTP_M_OPTIONS }, { "POST", HTTP_M_POST },
		{ "PUT", HTTP_M_PUT }, { "DELETE", HTTP_M_DELETE },
		{ "PATCH", HTTP_M_PATCH }, { "CONNECT", HTTP_M_CONNECT },
		{ "TRACE", HTTP_M_TRACE },
	};
	size_t i;

	/* Method names are case-sensitive (RFC 9110 section 9.1). */
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].name) == len && memcmp(tab[i].name, p, len) == 0)
			return tab[i].m;
	}
	return HTTP_M_OTHER;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 3). */
static int
parse_request_line(const char *s, const char *e, struct http_request *req)
{
	const char *p = s, *t, *q;
	size_t vlen;

	while (p < e && is_tchar((unsigned char)*p))
		p++;
	if ((size_t)(p - s) > METHOD_MAX)
		return 501;
	if (p == s || p == e || *p != ' ')
		return 400;
	req->method_str.p = s;
	req->method_str.len = (size_t)(p - s);
	req->method = method_of(s, req->method_str.len);

	/*
	 * Only visible ASCII may appear in the target: raw spaces, controls
	 * and bytes above 0x7E are how parsers are made to disagree on where
	 * the target ends.  '#' is refused too: a fragment is not part of the
	 * request-target grammar and proxies disagree on whether to strip it.
	 */
	t = ++p;
	while (p < e && (unsigned char)*p >= 0x21 && (unsigned char)*p <= 0x7e && *p != '#')
		p++;
	if (p == t)
		return 400;
	if (p == e)
		return 400; /* no version: an HTTP/0.9 simple request */
	if (*p != ' ')
		return 400;
	req->target.p = t;
	req->target.len = (size_t)(p - t);

	/* Exactly one SP, then exactly the version and the end of the line. */
	p++;
	vlen = (size_t)(e - p);
	if (vlen != 8 || memcmp(p, "HTTP/", 5) != 0 || !is_digit((unsigned char)p[5]) ||
	    p[6] != '.' || !is_digit((unsigned char)p[7]))
		return 400;
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return 505;
	req->version_minor = p[7] - '0';

	if (t[0] == '/') {
		q = memchr(t, '?', req->target.len);
		req->path.p = t;
		req->path.len = q ? (size_t)(q - t) : req->target.len;
		if (q) {
			req->query.p = q + 1;
			req->query.len = req->target.len - req->path.len - 1;
		}
	} else if (req->target.len == 1 && t[0] == '*' && req->method == HTTP_M_OPTIONS) {
		req->path = req->target;
	} else {
		/*
		 * absolute-form is meant for proxies and authority-form for
		 * CONNECT tunnels.  We are an origin server, not a proxy, and a
		 * host in the target that could differ from Host is a classic
		 * way to make a cache and an origin disagree.
		 */
		return 400;
	}
	/* CONNECT may only carry authority-form, which is refused above. */
	if (req->method == HTTP_M_CONNECT)
		return 400;
	return 0;
}

/*
 * Host must be a uri-host with an optional port (RFC 3986 reg-name or IP
 * literal).  Anything else (spaces, '/', '@', quotes) can only be an attempt
 * to inject into a URL, a log line or a virtual host lookup.
 */
static int
host_ok(const struct http_str *h)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < h->len; i++) {
		c = (unsigned char)h->p[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
			continue;
		switch (c) {
		case '-': case '.': case '_': case '~': case '!': case '$':
		case '&': case '\'': case '(': case ')': case '*': case '+':
		case ',': case ';': case '=': case ':': case '[': case ']':
		case '%':
			continue;
		default:
			return 0;
		}
	}
	return 1;
}

/* Scan a Connection value (a token list) for close and keep-alive. */
static void
scan_connection(const struct http_str *v, int *closep, int *keepp)
{
	const char *p = v->p, *e = v->p + v->len, *t;

	while (p < e) {
		while (p < e && (is_ows(*p) || *p == ','))
			p++;
		t = p;
		while (p < e && *p != ',' && !is_ows(*p))
			p++;
		if (ieq(t, (size_t)(p - t), "close"))
			*closep = 1;
		else if (ieq(t, (size_t)(p - t), "keep-alive"))
			*keepp = 1;
	}
}

/*
 * Record a header the server acts on.  Those that we read as one value may
 * not be repeated: taking the first or the last would be a guess that a
 * cache in front of us may make differently, and the list-valued
 * If-Match/If-None-Match cannot be joined without copying.
 */
static int
set_once(struct http_str *slot, const struct http_str *v)
{
	if (slot->p != NULL)
		return 400;
	*slot = *v;
	return 0;
}

struct head_state {
	int hosts;
	int content_lengths;
	int transfer_encodings;
	int body; /* a body is announced (a method we do not serve) */
	int close;
	int keep;
};

/*
 * The methods that are served take no body.  A request with any other method
 * that announces one gets 405 with Allow once its head is complete, and the
 * connection is closed before a byte of the body is read; for the served
 * ones a body is refused with 400 as a framing error, which is what it would
 * be if we let the bytes be taken as the next request.
 */
static int
method_served(enum http_method m)
{
	return m == HTTP_M_GET || m == HTTP_M_HEAD || m == HTTP_M_OPTIONS;
}

/* 1*DIGIT, RFC 9110 section 8.6; *zero is set when every digit is 0. */
static int
content_length_ok(const struct http_str *v, int *zero)
{
	size_t i;

	*zero = 1;
	if (v->len == 0 || v->len > 19)
		return 0;
	for (i = 0; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return 0;
		if (v->p[i] != '0')
			*zero = 0;
	}
	return 1;
}

/*
 * Long because it is a table of the headers the server reads, each with
 * its own rule for duplicates and values (RFC 9110 and RFC 9112).
 */
static int
parse_header_line(const char *s, const char *e, struct http_request *req,
    struct head_state *st)
{
	const char *p = s, *vs, *ve;
	struct http_str name, val;

	/* A line starting with whitespace is obs-fold, refused (RFC 9112 5.2). */
	if (is_ows(*s))
		return 400;
	while (p < e && is_tchar((unsigned char)*p))
		p++;
	/* Whitespace before the colon must be refused (RFC 9112 5.1). */
	if (p == s || p == e || *p != ':')
		return 400;
	name.p = s;
	name.len = (size_t)(p - s);
	for (vs = p + 1; vs < e; vs++) {
		if (!is_field_char((unsigned char)*vs))
			return 400;
	}
	vs = p + 1;
	while (vs < e && is_ows(*vs))
		vs++;
	ve = e;
	while (ve > vs && is_ows(ve[-1]))
		ve--;
	val.p = vs;
	val.len = (size_t)(ve - vs);

	if (req->nheaders == HTTP_MAX_HEADERS)
		return 431;
	req->headers[req->nheaders].name = name;
	req->headers[req->nheaders].value = val;
	req->nheaders++;

	switch (lower((unsigned char)name.p[0])) {
	case 'a':
		if (ieq(name.p, name.len, "access-control-request-method"))
			return set_once(&req->ac_request_method, &val);
		/* Informational list; the first line is enough to answer. */
		if (ieq(name.p, name.len, "access-control-request-headers") &&
		    req->ac_request_headers.p == NULL)
			req->ac_request_headers = val;
		break;
	case 'c':
		if (ieq(name.p, name.len, "connection"))
			scan_connection(&val, &st->close, &st->keep);
		/*
		 * We never read a request body.  A served method may say only
		 * an explicit, single, plain zero; anything else would leave
		 * body bytes to be taken as the next request.  Another method
		 * may announce a body with a well-formed length: it gets 405
		 * and the connection is closed unread.
		 */
		if (ieq_us(name.p, name.len, "content-length")) {
			int zero;

			if (++st->content_lengths > 1 || st->transfer_encodings > 0)
				return 400;
			if (method_served(req->method)) {
				if (val.len != 1 || val.p[0] != '0')
					return 400;
			} else {
				if (!content_length_ok(&val, &zero))
					return 400;
				st->body |= !zero;
			}
		}
		break;
	case 'h':
		if (ieq(name.p, name.len, "host")) {
			if (++st->hosts > 1 || !host_ok(&val))
				return 400;
			req->host = val;
		}
		break;
	case 'i':
		if (ieq(name.p, name.len, "if-none-match"))
			return set_once(&req->if_none_match, &val);
		if (ieq(name.p, name.len, "if-match"))
			return set_once(&req->if_match, &val);
		if (ieq(name.p, name.len, "if-modified-since"))
			return set_once(&req->if_modified_since, &val);
		if (ieq(name.p, name.len, "if-unmodified-since"))
			return set_once(&req->if_unmodified_since, &val);
		if (ieq(name.p, name.len, "if-range"))
			return set_once(&req->if_range, &val);
		break;
	case 'o':
		if (ieq(name.p, name.len, "origin"))
			return set_once(&req->origin, &val);
		break;
	case 'r':
		if (ieq(name.p, name.len, "range"))
			return set_once(&req->range, &val);
		if (ieq(name.p, name.len, "referer") && req->referer.p == NULL)
			req->referer = val;
		break;
	case 't':
		/*
		 * Any Transfer-Encoding means a body framed differently from
		 * Content-Length; with both, a front end and we could each pick
		 * a different one, so that is refused, as is any body on a
		 * served method.  Another method gets 405 (see method_served).
		 */
		if (ieq_us(name.p, name.len, "transfer-encoding")) {
			if (method_served(req->method) || st->content_lengths > 0 ||
			    ++st->transfer_encodings > 1)
				return 400;
			st->body = 1;
		}
		break;
	case 'u':
		if (ieq(name.p, name.len, "user-agent") && req->user_agent.p == NULL)
			req->user_agent = val;
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Parse the lines of buf[off..end).  For a complete head the region holds
 * the whole head less its final empty line.  Otherwise it is what has
 * arrived so far: its complete lines are parsed and the unfinished last one
 * is only checked for length.  As the same checks run in the same order in
 * both cases, a partial head yields either HTTP_PARSE_AGAIN or exactly the
 * status that the complete head will, however the bytes were split.
 */
static int
parse_lines(const char *buf, size_t off, size_t end, size_t max_line,
    struct http_request *req, struct head_state *st, size_t *nlines)
{
	size_t ls = off, n;
	const char *nl;
	int rc;

	*nlines = 0;
	while (ls < end) {
		nl = memchr(buf + ls, '\n', end - ls);
		n = nl != NULL ? (size_t)(nl - (buf + ls)) : end - ls;
		if (n > 0 && line_too_long(n, (unsigned char)buf[ls + n - 1], max_line))
			return *nlines == 0 ? 414 : 431;
		if (nl == NULL)
			return HTTP_PARSE_AGAIN;
		if (n == 0 || nl[-1] != '\r')
			return 400; /* bare LF */
		if (n == 1)
			return 400; /* an empty line cannot be in the region */
		if (*nlines == 0)
			rc = parse_request_line(buf + ls, nl - 1, req);
		else
			rc = parse_header_line(buf + ls, nl - 1, req, st);
		if (rc != 0)
			return rc;
		(*nlines)++;
		ls = (size_t)(nl - buf) + 1;
	}
	return HTTP_PARSE_AGAIN;
}

/*
 * One pass over buf[off..end) with memchr, from LF to LF, which is much
 * cheaper than parsing (and than memmem).  Returns the length of the head
 * when its final empty line is there, else 0.  It stops early, setting
 * *suspect, at the first line that the parser is certain to refuse (a bare
 * LF or CR, a line too long, one line too many): the parser then reports
 * that error, or one from an earlier line, without waiting for the rest.
 * Most incomplete heads are fine and are left alone until they complete.
 */
static size_t
scan_head(const char *buf, size_t off, size_t end, size_t max_line, int *suspect)
{
	size_t ls = off, n, lines = 0;
	const char *nl, *p, *cr;

	*suspect = 1;
	while ((nl = memchr(buf + ls, '\n', end - ls)) != NULL) {
		n = (size_t)(nl - (buf + ls));
		if (n == 0 || nl[-1] != '\r' || line_too_long(n, '\r', max_line))
			return 0;
		if (n == 1) {
			/* An empty line ends the head, unless it is the first. */
			if (lines == 0)
				return 0;
			*suspect = 0;
			return (size_t)(nl - buf) + 1;
		}
		if (++lines > HTTP_MAX_HEADERS + 1)
			return 0;
		ls = (size_t)(nl - buf) + 1;
	}
	if (ls < end && line_too_long(end - ls, (unsigned char)buf[end - 1], max_line))
		return 0;
	/* A CR inside a complete line; buf[ls - 1] is an LF, so cr[1] exists. */
	for (p = buf + off; p < buf + ls; p = cr + 2) {
		cr = memchr(p, '\r', (size_t)(buf + ls - p));
		if (cr == NULL)
			break;
		if (cr[1] != '\n')
			return 0;
	}
	*suspect = 0;
	return 0;
}

/* Clear req, less its header array, which nheaders guards. */
static void
req_reset(struct http_request *req)
{
	memset(req, 0, offsetof(struct http_request, headers));
	memset((char *)req + offsetof(struct http_request, host), 0,
	    sizeof(*req) - offsetof(struct http_request, host));
}

int
http_parse_request(const char *buf, size_t len, size_t max_line,
    size_t max_head, struct http_request *req)
{
	size_t scan = len < max_head ? len : max_head, off = 0, nlines, head_len;
	struct head_state st;
	int rc, suspect;

	/*
	 * RFC 9112 section 2.2: a server should ignore at least one empty
	 * line before the request line.  We ignore exactly one.
	 */
	if (scan >= 2 && buf[0] == '\r' && buf[1] == '\n')
		off = 2;
	/*
	 * The caller parses again from the start whenever bytes arrive, so
	 * the common incomplete case must be cheap: look for the end of the
	 * head first, and parse only once it is there (or something is
	 * already known to be wrong, or the limit is reached).
	 */
	head_len = scan_head(buf, off, scan, max_line, &suspect);
	if (head_len == 0 && !suspect && len < max_head)
		return HTTP_PARSE_AGAIN;
	req_reset(req);
	memset(&st, 0, sizeof(st));
	if (head_len != 0) {
		rc = parse_lines(buf, off, head_len - 2, max_line, req, &st, &nlines);
		if (rc != HTTP_PARSE_AGAIN)
			return rc;
		/* RFC 9112 section 3.2: exactly one Host in HTTP/1.1. */
		if (req->version_minor == 1 && st.hosts == 0)
			return 400;
		/* Decided only now: any error in the head comes first. */
		if (st.body)
			return 405;
		if (req->version_minor == 1)
			req->keep_alive = !st.close;
		else
			req->keep_alive = st.keep && !st.close;
		req->head_len = head_len;
		return HTTP_PARSE_OK;
	}
	rc = parse_lines(buf, off, scan, max_line, req, &st, &nlines);
	if (rc != HTTP_PARSE_AGAIN || len < max_head)
		return rc;
	return nlines == 0 ? 414 : 431;
}

const struct http_header *
http_find_header(const struct http_request *req, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < req->nheaders; i++) {
		if (req->headers[i].name.len == n && ieq2(req->headers[i].name.p, name, n))
			return &req->headers[i];
	}
	return NULL;
}

/*
 * Read 1*DIGIT at *pp.  A value too large for int64_t saturates at
 * INT64_MAX: it is still a valid position, just beyond any object, which is
 * what the RFC's arithmetic says it is.  The digits, less leading zeros, are
 * returned too, so that two saturated values can still be ordered.
 */
static int
range_num(const char **pp, const char *e, int64_t *out, const char **digits,
    size_t *ndigits)
{
	const char *p = *pp;
	int64_t v = 0;
	int d;

	if (p == e || !is_digit((unsigned char)*p))
		return -1;
	while (p < e && *p == '0')
		p++;
	*digits = p;
	while (p < e && is_digit((unsigned char)*p)) {
		d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			v = INT64_MAX;
		else if (v != INT64_MAX)
			v = v * 10 + d;
		p++;
	}
	*ndigits = (size_t)(p - *digits);
	*out = v;
	*pp = p;
	return 0;
}

static const char *
skip_ows(const char *p, const char *e)
{
	while (p < e && is_ows(*p))
		p++;
	return p;
}

int
http_parse_range(const char *p, size_t len, struct http_range *r)
{
	const char *e, *fd, *ld;
	size_t fn, ln;
	int64_t a, b;

	if (p == NULL)
		return HTTP_RANGE_NONE;
	e = p + len;
	p = skip_ows(p, e);
	while (e > p && is_ows(e[-1]))
		e--;
	/* Range units are case-insensitive (RFC 9110 section 14.1). */
	if (e - p < 6 || !ieq(p, 5, "bytes"))
		return HTTP_RANGE_NONE;
	p = skip_ows(p + 5, e);
	if (p == e || *p != '=')
		return HTTP_RANGE_NONE;
	/* Several ranges are allowed to be answered with the whole object. */
	if (memchr(p, ',', (size_t)(e - p)) != NULL)
		return HTTP_RANGE_NONE;
	p = skip_ows(p + 1, e);
	if (p < e && *p == '-') {
		p = skip_ows(p + 1, e);
		if (range_num(&p, e, &b, &ld, &ln) != 0 || p != e)
			return HTTP_RANGE_NONE;
		r->first = -1;
		r->last = -1;
		r->suffix = b;
		return HTTP_RANGE_OK;
	}
	if (range_num(&p, e, &a, &fd, &fn) != 0)
		return HTTP_RANGE_NONE;
	p = skip_ows(p, e);
	if (p == e || *p != '-')
		return HTTP_RANGE_NONE;
	p = skip_ows(p + 1, e);
	r->first = a;
	r->last = -1;
	r->suffix = -1;
	if (p == e)
		return HTTP_RANGE_OK;
	if (range_num(&p, e, &b, &ld, &ln) != 0 || p != e)
		return HTTP_RANGE_NONE;
	/* first > last makes the range invalid, to be ignored (14.1.1). */
	if (a > b)
		return HTTP_RANGE_NONE;
	if (a == INT64_MAX && b == INT64_MAX &&
	    (fn > ln || (fn == ln && memcmp(fd, ld, fn) > 0)))
		return HTTP_RANGE_NONE;
	r->last = b;
	return HTTP_RANGE_OK;
}

int
http_range_resolve(const struct http_range *r, int64_t size, int64_t *start,
    int64_t *end)
{
	/*
	 * An empty object has no byte to point at: Content-Range cannot
	 * express a 206 for it, so the caller should not apply Range to it
	 * (sending 200, which the RFC allows); here every range fails.
	 */
	if (size <= 0)
		return -1;
	if (r->first < 0) {
		if (r->suffix <= 0)
			return -1;
		*start = r->suffix >= size ? 0 : size - r->suffix;
		*end = size - 1;
		return 0;
	}
	if (r->first >= size || (r->last >= 0 && r->last < r->first))
		return -1;
	*start = r->first;
	*end = r->last < 0 || r->last >= size ? size - 1 : r->last;
	return 0;
}

static const char *const day_short[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const day_long[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const month_name[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* HTTP-date is case-sensitive (RFC 9110 section 5.6.7). */
static int
find_name(const char *p, size_t len, const char *const *tab, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (strlen(tab[i]) == len && memcmp(tab[i], p, len) == 0)
			return i;
	}
	return -1;
}

static int
num(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* "HH:MM:SS" */
static int
parse_time(const char *p, struct tm *tm)
{
	if (p[2] != ':' || p[5] != ':')
		return -1;
	tm->tm_hour = num(p, 2);
	tm->tm_min = num(p + 3, 2);
	tm->tm_sec = num(p + 6, 2);
	/* A second of 60 is a leap second, which the grammar allows. */
	if (tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 || tm->tm_min > 59 ||
	    tm->tm_sec < 0 || tm->tm_sec > 60)
		return -1;
	return 0;
}

static int
days_in_month(int year, int mon)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mon == 1 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return dim[mon];
}

int
http_parse_date(const char *p, size_t len, time_t *out)
{
	struct tm tm, now;
	time_t t, tnow;
	const char *c;
	int year, cur;

	memset(&tm, 0, sizeof(tm));
	if (p == NULL || len < 24)
		return -1;
	if (p[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (len != 29 || find_name(p, 3, day_short, 7) < 0 || p[4] != ' ' ||
		    p[7] != ' ' || p[11] != ' ' || p[16] != ' ' || p[25] != ' ' ||
		    memcmp(p + 26, "GMT", 3) != 0)
			return -1;
		tm.tm_mday = num(p + 5, 2);
		tm.tm_mon = find_name(p + 8, 3, month_name, 12);
		year = num(p + 12, 4);
		if (parse_time(p + 17, &tm) != 0)
			return -1;
	} else if (p[3] == ' ') {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (len != 24 || find_name(p, 3, day_short, 7) < 0 || p[7] != ' ' ||
		    p[10] != ' ' || p[19] != ' ')
			return -1;
		tm.tm_mon = find_name(p + 4, 3, month_name, 12);
		tm.tm_mday = p[8] == ' ' ? num(p + 9, 1) : num(p + 8, 2);
		year = num(p + 20, 4);
		if (parse_time(p + 11, &tm) != 0)
			return -1;
	} else {
		/* rfc850: "Sunday, 06-Nov-94 08:49:37 GMT" */
		c = memchr(p, ',', len);
		if (c == NULL || find_name(p, (size_t)(c - p), day_long, 7) < 0 ||
		    (size_t)(p + len - c) != 24)
			return -1;
		if (c[1] != ' ' || c[4] != '-' || c[8] != '-' || c[11] != ' ' ||
		    c[20] != ' ' || memcmp(c + 21, "GMT", 3) != 0)
			return -1;
		tm.tm_mday = num(c + 2, 2);
		tm.tm_mon = find_name(c + 5, 3, month_name, 12);
		year = num(c + 9, 2);
		if (parse_time(c + 12, &tm) != 0 || year < 0)
			return -1;
		/*
		 * RFC 9110 section 5.6.7: a two-digit year that looks more
		 * than 50 years in the future is the most recent past year
		 * with those digits.
		 */
		tnow = time(NULL);
		cur = gmtime_r(&tnow, &now) != NULL ? now.tm_year + 1900 : 2000;
		year += cur - cur % 100;
		if (year > cur + 50)
			year -= 100;
	}
	if (year < 0 || tm.tm_mon < 0 || tm.tm_mday < 1 ||
	    tm.tm_mday > days_in_month(year, tm.tm_mon))
		return -1;
	tm.tm_year = year - 1900;
	/* The fields are checked, so timegm cannot fail; -1 is a real time. */
	t = timegm(&tm);
	*out = t;
	return 0;
}

static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
http_format_date(time_t t, char *out)
{
	struct tm tm;

	/* Years past 9999 do not fit the fixed format; say the epoch. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
		tm.tm_wday = 4;
	}
	memcpy(out, day_short[tm.tm_wday], 3);
	memcpy(out + 3, ", 00 ", 5);
	put_digits(out + 5, tm.tm_mday, 2);
	memcpy(out + 8, month_name[tm.tm_mon], 3);
	out[11] = ' ';
	put_digits(out + 12, tm.tm_year + 1900, 4);
	memcpy(out + 16, " 00:00:00 GMT", 14);
	put_digits(out + 17, tm.tm_hour, 2);
	put_digits(out + 20, tm.tm_min, 2);
	put_digits(out + 23, tm.tm_sec, 2);
}

/* etagc = %x21 / %x23-7E / obs-text (RFC 9110 section 8.8.3) */
static int
is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/*
 * Read one entity-tag at *pp: [W/] DQUOTE *etagc DQUOTE.  The opaque part
 * (without its quotes) is returned in op and olen.
 */
static int
read_etag(const char **pp, const char *e, int *weak, const char **op, size_t *olen)
{
	const char *p = *pp, *s;

	*weak = 0;
	if (e - p >= 2 && p[0] == 'W' && p[1] == '/') {
		*weak = 1;
		p += 2;
	}
	if (p == e || *p != '"')
		return -1;
	s = ++p;
	while (p < e && is_etagc((unsigned char)*p))
		p++;
	if (p == e || *p != '"')
		return -1;
	*op = s;
	*olen = (size_t)(p - s);
	*pp = p + 1;
	return 0;
}

int
http_etag_match(const char *list, size_t len, const char *etag,
    size_t etag_len, int weak_ok)
{
	const char *p, *e, *eo, *lo, *q;
	size_t eolen, lolen;
	int eweak, lweak, match = 0, star = 0, tags = 0;

	if (list == NULL)
		return 0;
	p = list;
	e = list + len;
	/* Our own tag, quoted as sent in ETag; an unquoted one is taken whole. */
	q = etag;
	if (etag == NULL || etag_len == 0) {
		eo = "";
		eolen = 0;
		eweak = 0;
		etag = NULL;
	} else if (read_etag(&q, etag + etag_len, &eweak, &eo, &eolen) != 0 ||
	    q != etag + etag_len) {
		eo = etag;
		eolen = etag_len;
		eweak = 0;
	}
	/*
	 * The whole list is checked before answering: a malformed header is
	 * ignored as a whole (no match) rather than half-believed.
	 */
	for (;;) {
		while (p < e && (is_ows(*p) || *p == ','))
			p++;
		if (p == e)
			break;
		if (*p == '*') {
			star = 1;
			p++;
		} else {
			if (read_etag(&p, e, &lweak, &lo, &lolen) != 0)
				return 0;
			tags++;
			/* Strong comparison: neither tag may be weak (8.8.3.2). */
			if (etag != NULL && (weak_ok || (!lweak && !eweak)) &&
			    lolen == eolen && memcmp(lo, eo, eolen) == 0)
				match = 1;
		}
		p = skip_ows(p, e);
		if (p < e && *p != ',')
			return 0;
	}
	/* "*" stands alone; mixed with tags the field is invalid. */
	if (star)
		return tags == 0 && etag != NULL;
	return match;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF.
 */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned char c, lo, hi;

	while (i < n) {
		c = s[i++];
		if (c < 0x80)
			continue;
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return 0;
		}
		if (n - i < need)
			return 0;
		for (k = 0; k < need; k++) {
			c = s[i++];
			if (c < lo || c > hi)
				return 0;
			lo = 0x80;
			hi = 0xbf;
		}
	}
	return 1;
}

/*
 * Length of the whitespace character at s (n bytes available), 0 if there
 * is none: SP, HTAB, or one of the Unicode White_Space characters above
 * ASCII, which is the set Go's strings.TrimSpace removes.
 */
static size_t
space_len(const unsigned char *s, size_t n)
{
	if (s[0] == ' ' || s[0] == '\t')
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if ((s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) ||
	    (s[0] == 0xe2 && s[1] == 0x80 && (s[2] <= 0x8a || s[2] == 0xa8 ||
	    s[2] == 0xa9 || s[2] == 0xaf)) ||
	    (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) ||
	    (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80))
		return 3;
	return 0;
}

/* Is s, once whitespace is trimmed from both ends, "." or ".."? */
static int
dot_like(const unsigned char *s, size_t n)
{
	size_t k;

	while (n > 0 && (k = space_len(s, n)) > 0) {
		s += k;
		n -= k;
	}
	while (n > 0) {
		for (k = 1; k <= 3 && k <= n; k++) {
			if (space_len(s + n - k, k) == k)
				break;
		}
		if (k > 3 || k > n)
			break;
		n -= k;
	}
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/*
 * A segment that is not "." or ".." but could be taken for one elsewhere:
 * MinIO trims whitespace before it compares a segment with "." and "..",
 * and on Windows (as do some normalising proxies) takes a backslash for a
 * '/'.  Such keys cannot be served, and refusing them keeps every layer in
 * agreement on what the path means.
 */
static int
ambiguous_segment(const unsigned char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '\\')
			continue;
		if (dot_like(s + start, i - start))
			return 1;
		start = i + 1;
	}
	return 0;
}

/*
 * The key is built in place: each decoded segment is appended, then looked
 * at once it is complete.  A "." segment is dropped and a ".." one removes
 * the segment before it, found by walking back to the previous '/', which
 * is unambiguous because a segment never contains one.
 */
ssize_t
http_path_to_key(const char *path, size_t len, const char *prefix,
    char *key, size_t keysz, int *is_dir)
{
	size_t i = 1, plen, pos, seg, slen;
	unsigned char c = 0;
	int h, l, sep, done;

	if (path == NULL || len == 0 || path[0] != '/' || key == NULL)
		return -1;
	if (prefix == NULL)
		prefix = "";
	plen = strlen(prefix);
	if (plen >= keysz)
		return -1;
	memcpy(key, prefix, plen);
	pos = seg = plen;
	for (;;) {
		sep = 0;
		done = i >= len;
		if (!done) {
			c = (unsigned char)path[i];
			if (c == '%') {
				if (len - i < 3 || (h = hexval((unsigned char)path[i + 1])) < 0 ||
				    (l = hexval((unsigned char)path[i + 2])) < 0)
					return -1;
				c = (unsigned char)(h << 4 | l);
				i += 3;
				/* No key may hold NUL or a control byte. */
				if (c < 0x20 || c == 0x7f)
					return -1;
			} else {
				/* The parser lets only visible ASCII through. */
				if (c < 0x21 || c > 0x7e)
					return -1;
				i++;
			}
			sep = c == '/';
		}
		if (!sep && !done) {
			/* Room for this byte and for the final NUL. */
			if (keysz - pos < 2)
				return -1;
			key[pos++] = (char)c;
			continue;
		}
		slen = pos - seg;
		/*
		 * MinIO refuses keys that are not UTF-8; failing here gives
		 * the client a 400 rather than an opaque upstream error.
		 */
		if (!utf8_ok((const unsigned char *)key + seg, slen))
			return -1;
		if (slen == 1 && key[seg] == '.') {
			pos = seg;
		} else if (slen == 2 && key[seg] == '.' && key[seg + 1] == '.') {
			/* Climbing above the root is refused, not clamped. */
			if (seg == plen)
				return -1;
			pos = seg - 1;
			while (pos > plen && key[pos - 1] != '/')
				pos--;
		} else if (ambiguous_segment((const unsigned char *)key + seg, slen)) {
			return -1;
		} else if (slen > 0 && sep) {
			if (keysz - pos < 2)
				return -1;
			key[pos++] = '/';
		}
		if (done)
			break;
		seg = pos;
	}
	key[pos] = '\0';
	if (is_dir != NULL)
		*is_dir = pos == plen || key[pos - 1] == '/';
	return (ssize_t)pos;
}

/* Preconditions in the order of RFC 9110 section 13.2.2. */
int
http_preconditions(const struct http_request *r, const char *etag, const char *lastmod,
    int64_t size, int64_t *start, int64_t *end)
{
	time_t lm = 0, t;
	int have_lm = lastmod[0] != '\0' && http_parse_date(lastmod, strlen(lastmod), &lm) == 0;
	struct http_range range;

	*start = 0;
	*end = size - 1;
	if (r->if_match.len > 0 &&
	    !http_etag_match(r->if_match.p, r->if_match.len, etag, strlen(etag), 0))
		return 412;
	if (r->if_match.len == 0 && r->if_unmodified_since.len > 0 && have_lm &&
	    http_parse_date(r->if_unmodified_since.p, r->if_unmodified_since.len, &t) == 0 &&
	    lm > t)
		return 412;
	if (r->if_none_match.len > 0) {
		if (http_etag_match(r->if_none_match.p, r->if_none_match.len, etag, strlen(etag),
		    1))
			return 304;
	} else if (r->if_modified_since.len > 0 && have_lm &&
	    http_parse_date(r->if_modified_since.p, r->if_modified_since.len, &t) == 0 &&
	    lm <= t) {
		return 304;
	}
	/* An empty object has no bytes to range over: it is sent whole. */
	if (r->range.len == 0 || size == 0 ||
	    http_parse_range(r->range.p, r->range.len, &range) != HTTP_RANGE_OK)
		return 200;
	if (r->if_range.len > 0) {
		/* If-Range: the range applies only to the representation named. */
		if (r->if_range.p[0] == '"' || (r->if_range.len > 2 && r->if_range.p[0] == 'W' &&
		    r->if_range.p[1] == '/')) {
			if (!http_etag_match(r->if_range.p, r->if_range.len, etag, strlen(etag), 0))
				return 200;
		} else if (!have_lm || http_parse_date(r->if_range.p, r->if_range.len, &t) == -1 ||
		    lm != t) {
			return 200;
		}
	}
	if (http_range_resolve(&range, size, start, end) == -1)
		return 416;
	return 206;
}
