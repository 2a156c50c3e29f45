/*
 * fuzz_range.c - libFuzzer harness for the Range and conditional-request
 * helpers of worker/http.c: http_parse_range, http_range_resolve,
 * http_etag_match, http_parse_date and http_format_date.
 *
 * fuzz_http.c reaches these only through a parsed request (and with a few
 * fixed object sizes); here the input itself chooses the object size and the
 * etag, so the arithmetic near 0, 1 and INT64_MAX gets explored as well.
 *
 * Input layout: 8 bytes of object size (little endian, any value, negative
 * too), then the header value; a '\n' in the value splits it into the list
 * and our own etag for the etag checks.
 *
 * Build and run: tests/fuzz/run.sh (or see the command at the top of
 * fuzz_http.c, with this file instead).
 */
#include "fuzz.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

static void
check_range(const char *p, size_t len, int64_t size)
{
	static const int64_t fixed[] = { 0, 1, 2, 99, 100, 101, INT64_MAX - 1, INT64_MAX };
	struct http_range r, r2;
	int64_t a, b;
	size_t i;
	int rc;

	rc = http_parse_range(p, len, &r);
	CHECK(rc == HTTP_RANGE_OK || rc == HTTP_RANGE_NONE);
	/* Parsing is a pure function of the bytes. */
	CHECK(http_parse_range(p, len, &r2) == rc);
	if (rc != HTTP_RANGE_OK)
		return;
	CHECK(r.first == r2.first && r.last == r2.last && r.suffix == r2.suffix);
	CHECK(r.first >= -1 && r.last >= -1 && r.suffix >= -1);
	if (r.first == -1) {
		/* A suffix range: "bytes=-n". */
		CHECK(r.last == -1 && r.suffix >= 0);
	} else {
		CHECK(r.suffix == -1);
		CHECK(r.last == -1 || r.first <= r.last);
	}
	/* A range needs at least "bytes=" and a digit. */
	CHECK(len >= 7);

	for (i = 0; i <= sizeof(fixed) / sizeof(fixed[0]); i++) {
		int64_t sz = i < sizeof(fixed) / sizeof(fixed[0]) ? fixed[i] : size;

		a = b = -42;
		if (http_range_resolve(&r, sz, &a, &b) != 0)
			continue;
		/* What we send is inside the object, in order, never empty. */
		CHECK(sz > 0);
		CHECK(a >= 0 && a <= b && b < sz);
		if (r.first >= 0) {
			CHECK(a == r.first);
			CHECK(b == (r.last == -1 || r.last >= sz ? sz - 1 : r.last));
		} else {
			CHECK(r.suffix > 0);
			CHECK(b == sz - 1);
			CHECK(b - a + 1 == (r.suffix < sz ? r.suffix : sz));
		}
	}
	/* Unsatisfiable against a negative size (a broken Content-Length). */
	if (size < 0)
		CHECK(http_range_resolve(&r, size, &a, &b) == -1);
}

static void
check_date(const char *p, size_t len)
{
	char out[30], out2[30];
	time_t t, t2;

	if (http_parse_date(p, len, &t) != 0)
		return;
	/* Every accepted form names a date IMF-fixdate can express again. */
	http_format_date(t, out);
	CHECK(strlen(out) == 29);
	CHECK(memcmp(out + 25, " GMT", 4) == 0);
	CHECK(http_parse_date(out, 29, &t2) == 0 && t2 == t);
	http_format_date(t2, out2);
	CHECK(strcmp(out, out2) == 0);
	/* A prefix of an IMF-fixdate is never a date. */
	CHECK(http_parse_date(out, 28, &t2) == -1);
}

/* W/"..." with only etagc inside: a well-formed weak entity tag. */
static int
weak_tag(const char *t, size_t n)
{
	size_t i;

	if (n < 4 || t[0] != 'W' || t[1] != '/' || t[2] != '"' || t[n - 1] != '"')
		return 0;
	for (i = 3; i < n - 1; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c < 0x21 || c == '"' || c == 0x7f)
			return 0;
	}
	return 1;
}

static void
check_etag(const char *p, size_t len)
{
	const char *sep = memchr(p, '\n', len);
	const char *etag = sep != NULL ? sep + 1 : "\"abc\"";
	size_t llen = sep != NULL ? (size_t)(sep - p) : len;
	size_t elen = sep != NULL ? len - llen - 1 : 5;
	int strong, weak, star;

	strong = http_etag_match(p, llen, etag, elen, 0);
	weak = http_etag_match(p, llen, etag, elen, 1);
	CHECK(strong == 0 || strong == 1);
	CHECK(weak == 0 || weak == 1);
	CHECK(!strong || weak);
	/* Strong comparison never matches a weak etag (RFC 9110 8.8.3.2)... */
	if (weak_tag(etag, elen)) {
		star = memchr(p, '*', llen) != NULL;
		CHECK(!strong || star);
	}
	/* ...and "*" matches any non-empty tag. */
	if (elen > 0) {
		CHECK(http_etag_match("*", 1, etag, elen, 1) == 1);
	}
	/* An etag, quoted, matches itself weakly (if it is a valid etag). */
	if (elen > 0 && elen < 200 && memchr(etag, '"', elen) == NULL &&
	    memchr(etag, ',', elen) == NULL) {
		char q[204];
		size_t k, ok = 1;

		for (k = 0; k < elen; k++) {
			unsigned char c = (unsigned char)etag[k];

			/* etagc = %x21 / %x23-7E / obs-text */
			if (c < 0x21 || c == 0x7f)
				ok = 0;
		}
		if (ok) {
			q[0] = '"';
			memcpy(q + 1, etag, elen);
			q[elen + 1] = '"';
			CHECK(http_etag_match(q, elen + 2, q, elen + 2, 1) == 1);
			CHECK(http_etag_match(q, elen + 2, q, elen + 2, 0) == 1);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t objsize = 0;
	uint64_t u = 0;
	size_t i;
	char *copy;

	if (size >= 8) {
		for (i = 0; i < 8; i++)
			u |= (uint64_t)data[i] << (8 * i);
		memcpy(&objsize, &u, sizeof(objsize));
		data += 8;
		size -= 8;
	}
	/* An exact-size heap copy, so ASan sees any read past the value. */
	copy = malloc(size > 0 ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	check_range(copy, size, objsize);
	check_date(copy, size);
	check_etag(copy, size);
	free(copy);
	return 0;
}
