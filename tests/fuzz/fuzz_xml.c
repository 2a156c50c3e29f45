/*
 * fuzz_xml.c - libFuzzer harness for common/xml.c and s3_error_code
 * (common/s3.c), the code that reads S3's answers off the network.
 *
 * Build and run (tests/fuzz/run.sh xml does both):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icommon \
 *       tests/fuzz/fuzz_xml.c common/xml.c common/s3.c common/sigv4.c \
 *       -lcrypto -o fuzz_xml
 *   ./fuzz_xml -dict=tests/fuzz/xml.dict tests/fuzz/corpus/xml
 *
 * The input is the body, as libFuzzer hands it over: exactly size bytes
 * with no NUL after them, so AddressSanitizer reports any read past the
 * end.  Every output buffer is allocated with the exact size passed, so a
 * write past outsz is reported too.  Beyond that the harness checks what
 * callers rely on, and aborts when one does not hold: xml_find returns a
 * position inside the range, after the value it reports, just past a '>',
 * and strictly advancing; xml_text returns -1 with an empty string or the
 * length of a NUL-terminated string with no NUL inside, no longer than its
 * input and independent of the buffer size as long as it fits; text with
 * nothing to decode comes out unchanged; s3_error_code gives a non-empty,
 * trimmed code without markup.
 */
#include "fuzz.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "xml.h"

/* The elements the daemon and the tool look for, and a one-letter one. */
static const char *const tags[] = {
	"Key", "Code", "Message", "Contents", "IsTruncated",
	"NextContinuationToken", "UploadId", "Prefix", "Size", "Error", "K",
};

/*
 * xml_text into a heap buffer of exactly outsz bytes, with the checks
 * every call must pass.  Returns its result; out (outsz bytes or more) gets
 * a copy of the text when it succeeded.
 */
static int
text_checked(const char *v, size_t n, size_t outsz, char *copy)
{
	/* With no room at all, one byte that must stay as it was. */
	char *buf = malloc(outsz > 0 ? outsz : 1);
	int rc;

	CHECK(buf != NULL);
	buf[0] = 'Z';
	rc = xml_text(v, n, buf, outsz);
	CHECK(rc >= -1);
	if (outsz == 0) {
		CHECK(rc == -1 && buf[0] == 'Z');
	} else if (rc == -1) {
		CHECK(buf[0] == '\0');
	} else {
		CHECK((size_t)rc < outsz);
		CHECK(buf[rc] == '\0');
		/* No NUL gets through, so the length is the string's. */
		CHECK(strlen(buf) == (size_t)rc);
		CHECK(memchr(v, '\0', n) == NULL);
		/* Every reference and CDATA section only ever shrinks. */
		CHECK((size_t)rc <= n);
		/* Nothing to decode: the text comes out as it went in. */
		if (memchr(v, '&', n) == NULL && memchr(v, '<', n) == NULL)
			CHECK((size_t)rc == n && memcmp(buf, v, n) == 0);
		if (copy != NULL)
			memcpy(copy, buf, (size_t)rc + 1);
	}
	free(buf);
	return rc;
}

/*
 * Decode with a generous buffer, then again with the exact size needed and
 * one byte less: the result must not depend on the buffer beyond fitting.
 */
static void
text_all_sizes(const char *v, size_t n)
{
	size_t big = n + 1;
	char *full, *again;
	int rc, rc2;

	full = malloc(big);
	again = malloc(big);
	CHECK(full != NULL && again != NULL);
	rc = text_checked(v, n, big, full);
	if (rc >= 0) {
		rc2 = text_checked(v, n, (size_t)rc + 1, again);
		CHECK(rc2 == rc && memcmp(full, again, (size_t)rc + 1) == 0);
		CHECK(text_checked(v, n, (size_t)rc, NULL) == -1);
	} else {
		/*
		 * n + 1 bytes always suffice, so this was malformed and stays
		 * so with any buffer.
		 */
		CHECK(text_checked(v, n, 1, NULL) == -1);
	}
	free(full);
	free(again);
}

static void
find_all(const char *p, const char *end, const char *tag)
{
	const char *s = p, *v, *after;
	size_t vlen, tl = strlen(tag);
	int count = 0;

	while ((after = xml_find(s, end, tag, &v, &vlen)) != NULL) {
		CHECK(after > s && after <= end);
		CHECK(v >= s && vlen <= (size_t)(after - v));
		CHECK(after[-1] == '>');
		/* The open tag, with its name, lies before the value. */
		CHECK((size_t)(v - s) >= tl + 2);
		if (vlen > 0) {
			/* A value is followed by the close tag of its name. */
			CHECK((size_t)(after - (v + vlen)) >= tl + 3);
			CHECK(v[vlen] == '<' && v[vlen + 1] == '/' &&
			    memcmp(v + vlen + 2, tag, tl) == 0);
		}
		text_all_sizes(v, vlen);
		/* Optional outputs give the same position. */
		CHECK(xml_find(s, end, tag, NULL, NULL) == after);
		s = after;
		count++;
		CHECK(count <= (int)(end - p));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char code[64];
	size_t i, n;
	int rc;

	/* The whole input as the content of one element. */
	text_all_sizes(p, size);
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		find_all(p, end, tags[i]);

	/* Error bodies, into a buffer as small as the daemon's. */
	rc = s3_error_code(p, size, code, sizeof(code));
	CHECK(rc == 0 || rc == -1);
	n = strlen(code);
	CHECK(n < sizeof(code));
	if (rc == 0) {
		CHECK(n > 0 && memmem(data, size, "<Code", 5) != NULL);
		CHECK(strchr(" \t\r\n", code[0]) == NULL);
		CHECK(strchr(" \t\r\n", code[n - 1]) == NULL);
	} else {
		CHECK(n == 0);
	}
	return 0;
}
