/*
 * fuzz_http.c - libFuzzer harness for worker/http.c.
 *
 * Build and run:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iworker -Icommon tests/fuzz/fuzz_http.c worker/http.c -o fuzz_http
 *   ./fuzz_http -max_total_time=60 tests/fuzz/corpus/http
 *
 * Besides letting the sanitizers look for bad memory accesses, the harness
 * checks the properties the rest of the server relies on, and aborts when
 * one does not hold: every slice points into the request head, a status is
 * one the contract lists, the outcome never depends on how the bytes were
 * split between reads, a key never holds a dot segment, an empty segment,
 * a control byte or invalid UTF-8, and dates survive a round trip.
 */
#include "fuzz.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

static struct http_request req, req2;

/* Is the slice s inside [lo, hi)?  An unset slice (NULL) is fine. */
static int
inside(const struct http_str *s, const char *lo, const char *hi)
{
	if (s->p == NULL)
		return s->len == 0;
	return s->p >= lo && s->p <= hi && s->len <= (size_t)(hi - s->p);
}

static int
status_ok(int rc)
{
	return rc == HTTP_PARSE_AGAIN || rc == HTTP_PARSE_OK || rc == 400 || rc == 405 ||
	    rc == 414 || rc == 431 || rc == 501 || rc == 505;
}

static void
check_request(const char *buf, size_t len, size_t max_head, const struct http_request *r)
{
	const char *end = buf + r->head_len;
	size_t i;

	CHECK(r->head_len >= 16 && r->head_len <= len && r->head_len <= max_head);
	CHECK(memcmp(end - 4, "\r\n\r\n", 4) == 0);
	CHECK(r->version_minor == 0 || r->version_minor == 1);
	CHECK(r->nheaders <= HTTP_MAX_HEADERS);
	CHECK(inside(&r->method_str, buf, end) && r->method_str.len > 0 &&
	    r->method_str.len <= 16);
	CHECK(inside(&r->target, buf, end) && r->target.len > 0);
	CHECK(inside(&r->path, buf, end) && inside(&r->query, buf, end));
	CHECK(r->target.p[0] == '/' || (r->target.len == 1 && r->target.p[0] == '*' &&
	    r->method == HTTP_M_OPTIONS));
	CHECK(r->path.p == r->target.p && r->path.len <= r->target.len);
	CHECK(memchr(r->path.p, '?', r->path.len) == NULL);
	for (i = 0; i < r->target.len; i++)
		CHECK((unsigned char)r->target.p[i] > 0x20 && (unsigned char)r->target.p[i] < 0x7f);
	CHECK(r->version_minor == 0 || r->host.p != NULL);
	for (i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];
		size_t k;

		CHECK(inside(&h->name, buf, end) && h->name.len > 0);
		CHECK(inside(&h->value, buf, end));
		/* No CR, LF or NUL in any value: nothing can be injected. */
		for (k = 0; k < h->value.len; k++) {
			unsigned char c = (unsigned char)h->value.p[k];

			CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
		}
	}
	CHECK(http_find_header(r, "Transfer-Encoding") == NULL);
	CHECK(inside(&r->host, buf, end) && inside(&r->range, buf, end));
	CHECK(inside(&r->if_none_match, buf, end) && inside(&r->if_match, buf, end));
	CHECK(inside(&r->if_modified_since, buf, end));
	CHECK(inside(&r->if_unmodified_since, buf, end));
	CHECK(inside(&r->if_range, buf, end) && inside(&r->origin, buf, end));
	CHECK(inside(&r->ac_request_method, buf, end));
	CHECK(inside(&r->ac_request_headers, buf, end));
	CHECK(inside(&r->user_agent, buf, end) && inside(&r->referer, buf, end));
}

/*
 * Parse buf with the given limits, then parse a few of its prefixes: each
 * must give HTTP_PARSE_AGAIN or exactly the same outcome, since a client
 * decides how its bytes are split between reads.
 */
static int
parse_checked(const char *buf, size_t len, size_t max_line, size_t max_head)
{
	size_t cuts[6 + 2 * 8], ncuts = 6, i, n;
	const char *q;
	int rc, rc2;

	rc = http_parse_request(buf, len, max_line, max_head, &req);
	CHECK(status_ok(rc));
	if (rc == HTTP_PARSE_OK)
		check_request(buf, len, max_head, &req);
	if (rc == HTTP_PARSE_AGAIN)
		CHECK(len < max_head);
	if (len == 0)
		return rc;
	cuts[0] = len - 1;
	cuts[1] = len / 2;
	cuts[2] = len / 3;
	cuts[3] = rc == HTTP_PARSE_OK ? req.head_len - 1 : len * 3 / 4;
	cuts[4] = rc == HTTP_PARSE_OK ? req.head_len : len / 5;
	cuts[5] = (size_t)(unsigned char)buf[0] % len;
	/* Line ends are where a parser that looks ahead goes wrong. */
	for (q = buf; ncuts < sizeof(cuts) / sizeof(cuts[0]); q++) {
		q = memchr(q, '\n', len - (size_t)(q - buf));
		if (q == NULL)
			break;
		cuts[ncuts++] = (size_t)(q - buf);
		cuts[ncuts++] = (size_t)(q - buf) + 1;
	}
	for (i = 0; i < ncuts; i++) {
		n = cuts[i];
		rc2 = http_parse_request(buf, n, max_line, max_head, &req2);
		CHECK(status_ok(rc2));
		if (rc2 == HTTP_PARSE_AGAIN)
			continue;
		CHECK(rc2 == rc);
		if (rc == HTTP_PARSE_OK) {
			CHECK(req2.head_len == req.head_len && req2.nheaders == req.nheaders);
			CHECK(req2.keep_alive == req.keep_alive && req2.method == req.method);
		}
	}
	if (rc == HTTP_PARSE_OK) {
		rc2 = http_parse_request(buf, req.head_len - 1, max_line, max_head, &req2);
		CHECK(rc2 != HTTP_PARSE_OK);
	}
	return rc;
}

static void
fuzz_range(const char *p, size_t len)
{
	static const int64_t sizes[] = { 0, 1, 2, 100, 1000, INT64_MAX - 1, INT64_MAX };
	struct http_range r;
	int64_t a, b;
	size_t i;

	if (http_parse_range(p, len, &r) != HTTP_RANGE_OK)
		return;
	CHECK(r.first >= -1 && r.last >= -1);
	CHECK(r.first != -1 || r.suffix >= 0);
	CHECK(r.first == -1 || r.last == -1 || r.first <= r.last);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (http_range_resolve(&r, sizes[i], &a, &b) == 0)
			CHECK(a >= 0 && a <= b && b < sizes[i]);
	}
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = s[i] & 0x1fu;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = s[i] & 0x0fu;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = s[i] & 0x07u;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/*
 * No part of a segment, split at backslashes and stripped of ASCII spaces,
 * may be "." or "..".
 */
static void
check_segment(const char *s, size_t n)
{
	size_t i, a, b;

	for (i = 0, a = 0; i <= n; i++) {
		if (i < n && s[i] != '\\')
			continue;
		b = i;
		while (a < b && s[a] == ' ')
			a++;
		while (b > a && s[b - 1] == ' ')
			b--;
		CHECK(!(b - a == 1 && s[a] == '.'));
		CHECK(!(b - a == 2 && s[a] == '.' && s[a + 1] == '.'));
		a = i + 1;
	}
}

static void
fuzz_key(const char *p, size_t len, const char *prefix, size_t keysz)
{
	char key[1100];
	size_t plen = strlen(prefix), i, seg;
	ssize_t n;
	int is_dir = -1;
	const char *rel;

	memset(key, 'Z', sizeof(key));
	n = http_path_to_key(p, len, prefix, key, keysz, &is_dir);
	if (n < 0)
		return;
	CHECK((size_t)n < keysz && key[n] == '\0' && strlen(key) == (size_t)n);
	CHECK((size_t)n >= plen && memcmp(key, prefix, plen) == 0);
	CHECK(is_dir == ((size_t)n == plen || key[n - 1] == '/'));
	CHECK(utf8_valid((const unsigned char *)key, (size_t)n));
	rel = key + plen;
	CHECK(rel[0] != '/');
	/* Every segment is a plain name: not empty, ".", or "..". */
	for (i = 0, seg = 0; i <= (size_t)n - plen; i++) {
		if (rel[i] != '/' && rel[i] != '\0') {
			CHECK((unsigned char)rel[i] >= 0x20 && rel[i] != 0x7f);
			continue;
		}
		if (rel[i] == '\0' && i == seg)
			break; /* a trailing '/' */
		CHECK(i > seg);
		check_segment(rel + seg, i - seg);
		seg = i + 1;
	}
	/* The same path with a bigger buffer gives the same key. */
	if (keysz < sizeof(key)) {
		char k2[1100];
		int d2;

		CHECK(http_path_to_key(p, len, prefix, k2, sizeof(k2), &d2) == n);
		CHECK(memcmp(k2, key, (size_t)n + 1) == 0 && d2 == is_dir);
	}
}

static void
fuzz_date(const char *p, size_t len)
{
	time_t t, t2;
	char out[30];

	if (http_parse_date(p, len, &t) != 0)
		return;
	http_format_date(t, out);
	CHECK(strlen(out) == 29);
	CHECK(http_parse_date(out, 29, &t2) == 0 && t2 == t);
}

static void
fuzz_etag(const char *p, size_t len)
{
	const char *sep = memchr(p, '\n', len);
	const char *etag = sep != NULL ? sep + 1 : "\"x\"";
	size_t llen = sep != NULL ? (size_t)(sep - p) : len;
	size_t elen = sep != NULL ? len - llen - 1 : 3;
	int strong, weak;

	strong = http_etag_match(p, llen, etag, elen, 0);
	weak = http_etag_match(p, llen, etag, elen, 1);
	CHECK(strong == 0 || strong == 1);
	CHECK(weak == 0 || weak == 1);
	/* A strong match is also a weak one. */
	CHECK(!strong || weak);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t small_line, small_head;
	int rc;

	rc = parse_checked(buf, size, 8192, 16384);
	if (rc == HTTP_PARSE_OK) {
		/* Feed what a parsed request carries to the helpers, as conn.c does. */
		struct http_request r = req;

		fuzz_key(r.path.p, r.path.len, "", 1025);
		fuzz_key(r.path.p, r.path.len, "site/", 1025);
		if (r.range.p != NULL)
			fuzz_range(r.range.p, r.range.len);
		if (r.if_none_match.p != NULL)
			http_etag_match(r.if_none_match.p, r.if_none_match.len, "\"e\"", 3, 1);
		if (r.if_modified_since.p != NULL)
			fuzz_date(r.if_modified_since.p, r.if_modified_since.len);
	}
	parse_checked(buf, size, 64, 256);
	/* Limits taken from the input, down to nothing at all. */
	small_line = size > 0 ? data[0] : 0;
	small_head = size > 1 ? (size_t)data[1] * 4 : 0;
	parse_checked(buf, size, small_line, small_head);
	parse_checked(buf, size, SIZE_MAX, SIZE_MAX);
	/* Limits right at the sizes of this input: the off-by-one cases. */
	{
		size_t longest = 0, ls = 0, i, end;
		const uint8_t *nl;

		end = size;
		nl = memmem(data, size, "\r\n\r\n", 4);
		if (nl != NULL)
			end = (size_t)(nl - data) + 4;
		for (i = 0; i < end; i++) {
			if (data[i] == '\n') {
				if (i - ls > longest)
					longest = i - ls;
				ls = i + 1;
			}
		}
		/* A line's content is what precedes its CRLF. */
		longest = longest > 0 ? longest - 1 : 0;
		parse_checked(buf, size, longest, end);
		parse_checked(buf, size, longest + 1, end + 1);
		if (longest > 0 && end > 0)
			parse_checked(buf, size, longest - 1, end - 1);
	}

	fuzz_range(buf, size);
	fuzz_key(buf, size, "", 1100);
	fuzz_key(buf, size, "prefix/", 1100);
	fuzz_key(buf, size, "", size > 0 ? data[0] % 32 + 1 : 1);
	fuzz_date(buf, size);
	fuzz_etag(buf, size);
	return 0;
}
