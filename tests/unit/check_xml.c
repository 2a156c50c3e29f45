/*
 * check_xml.c - unit tests for the XML reader (common/xml.c) and the S3
 * error code extraction built on it.
 *
 * The bodies come from the network without a terminating NUL, so every
 * input here is copied to the very end of a page that is followed by an
 * inaccessible one (or to the very start of a page after one): a read one
 * byte outside the given range then crashes the test instead of going
 * unnoticed, with or without a sanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <check.h>

#include "s3.h"
#include "xml.h"

static char *guard_map;
static size_t guard_page;

static void
guard_setup(void)
{
	guard_page = (size_t)sysconf(_SC_PAGESIZE);
	/* Three pages: no access, data, no access. */
	guard_map = mmap(NULL, 3 * guard_page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(guard_map != MAP_FAILED);
	ck_assert_int_eq(mprotect(guard_map, guard_page, PROT_NONE), 0);
	ck_assert_int_eq(mprotect(guard_map + 2 * guard_page, guard_page,
	    PROT_NONE), 0);
}

static void
guard_teardown(void)
{
	munmap(guard_map, 3 * guard_page);
}

/*
 * A copy of the n bytes of s that ends where the readable memory ends
 * (at_start 0) or starts where it starts (at_start 1).
 */
static const char *
fenced(const char *s, size_t n, int at_start)
{
	char *p;

	ck_assert_uint_le(n, guard_page);
	p = at_start ? guard_map + guard_page :
	    guard_map + 2 * guard_page - n;
	memcpy(p, s, n);
	return p;
}

/*
 * The decoded value of the first <tag> of doc (fenced at both ends in
 * turn), or NULL when xml_find or xml_text fails.  Both placements must
 * agree.
 */
static const char *
value_of(const char *doc, const char *tag)
{
	static char out[2][1024];
	const char *p, *v, *after;
	size_t n = strlen(doc), vlen;
	int at, rc[2];

	for (at = 0; at < 2; at++) {
		p = fenced(doc, n, at);
		after = xml_find(p, p + n, tag, &v, &vlen);
		if (after == NULL) {
			rc[at] = -1;
			continue;
		}
		ck_assert(after > p && after <= p + n);
		ck_assert(v >= p && v + vlen <= after);
		rc[at] = xml_text(v, vlen, out[at], sizeof(out[at]));
	}
	ck_assert_int_eq(rc[0], rc[1]);
	if (rc[0] == -1)
		return NULL;
	ck_assert_str_eq(out[0], out[1]);
	ck_assert_uint_eq(strlen(out[0]), (size_t)rc[0]);
	return out[0];
}

/* xml_text on the fenced string s: the result, or NULL on -1. */
static const char *
text_of(const char *s)
{
	static char out[1024];
	size_t n = strlen(s);
	int rc;

	rc = xml_text(fenced(s, n, 0), n, out, sizeof(out));
	if (rc == -1) {
		ck_assert_str_eq(out, "");
		return NULL;
	}
	ck_assert_uint_eq(strlen(out), (size_t)rc);
	return out;
}

#define ck_text(in, want) do { \
	const char *got_ = text_of(in); \
	ck_assert_msg(got_ != NULL, "xml_text(\"%s\") failed", (in)); \
	ck_assert_str_eq(got_, (want)); \
} while (0)

#define ck_text_bad(in) \
	ck_assert_msg(text_of(in) == NULL, "xml_text(\"%s\") was accepted", (in))

START_TEST(test_named_entities)
{
	ck_text("&amp;&lt;&gt;&quot;&apos;", "&<>\"'");
	ck_text("a &amp; b", "a & b");
	ck_text("&amp;amp;", "&amp;");
	ck_text("", "");
	ck_text("plain > text", "plain > text");
	/* Names are case-sensitive, and only these five exist. */
	ck_text_bad("&AMP;");
	ck_text_bad("&nbsp;");
	ck_text_bad("&copy;");
}
END_TEST

START_TEST(test_numeric_refs)
{
	ck_text("&#65;&#x42;&#x63;&#0000068;", "ABcD");
	ck_text("&#x4a;&#x4A;", "JJ");
	ck_text("a&#32;b", "a b");
	ck_text("&#38;amp;", "&amp;");
	ck_text("&#x000000000041;", "A");
}
END_TEST

START_TEST(test_utf8)
{
	/* One byte, up to U+007F. */
	ck_text("&#x41;", "A");
	ck_text("&#x7F;", "\x7f");
	/* Two bytes, U+0080 to U+07FF. */
	ck_text("&#x80;", "\xc2\x80");
	ck_text("&#xE9;", "\xc3\xa9");
	ck_text("&#233;", "\xc3\xa9");
	ck_text("&#x7FF;", "\xdf\xbf");
	/* Three bytes, U+0800 to U+FFFF. */
	ck_text("&#x800;", "\xe0\xa0\x80");
	ck_text("&#x20AC;", "\xe2\x82\xac");
	ck_text("&#xD7FF;", "\xed\x9f\xbf");
	ck_text("&#xE000;", "\xee\x80\x80");
	ck_text("&#xFFFF;", "\xef\xbf\xbf");
	/* Four bytes, U+10000 to U+10FFFF. */
	ck_text("&#x10000;", "\xf0\x90\x80\x80");
	ck_text("&#x1F600;", "\xf0\x9f\x98\x80");
	ck_text("&#128512;", "\xf0\x9f\x98\x80");
	ck_text("&#x10FFFF;", "\xf4\x8f\xbf\xbf");
	/* Raw UTF-8 passes through as it is. */
	ck_text("caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(test_rejected_code_points)
{
	ck_text_bad("&#0;");
	ck_text_bad("&#x0;");
	ck_text_bad("&#x0000;");
	ck_text_bad("&#xD800;");
	ck_text_bad("&#xDBFF;");
	ck_text_bad("&#xDC00;");
	ck_text_bad("&#xDFFF;");
	ck_text_bad("&#55296;");
	ck_text_bad("&#57343;");
	ck_text_bad("&#x110000;");
	ck_text_bad("&#1114112;");
	ck_text_bad("&#xFFFFFFFF;");
	/* 2^32 + 65 and 2^64 + 65 must not wrap around to "A". */
	ck_text_bad("&#4294967361;");
	ck_text_bad("&#18446744073709551681;");
	ck_text_bad("&#x10000000041;");
	ck_text_bad("&#x10000000000000041;");
}
END_TEST

START_TEST(test_cdata)
{
	ck_text("<![CDATA[<b>&amp;</b>]]>", "<b>&amp;</b>");
	ck_text("a<![CDATA[<]]>b&lt;", "a<b<");
	ck_text("<![CDATA[]]>", "");
	ck_text("<![CDATA[x]]y]]>", "x]]y");
	ck_text("<![CDATA[a]]><![CDATA[b]]>", "ab");
	ck_text_bad("<![CDATA[abc");
	ck_text_bad("<![CDATA[abc]]");
	ck_text_bad("<![CDATA[abc]>");
	ck_text_bad("<![CDATA");
	ck_text_bad("<![cdata[x]]>");
}
END_TEST

START_TEST(test_find_attributes)
{
	static const char doc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>site</Name></ListBucketResult>";
	const char *v;

	v = value_of(doc, "Name");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, "site");
	/* The element's content is markup, which xml_text refuses. */
	ck_assert_ptr_null(value_of(doc, "ListBucketResult"));

	ck_assert_str_eq(value_of("<Key a=\"x>y\">v</Key>", "Key"), "v");
	ck_assert_str_eq(value_of("<Key a='x\"y>' b=\"1\">v</Key>", "Key"),
	    "v");
	ck_assert_str_eq(value_of("<Key\n\ta=\"1\"\n>v</Key>", "Key"), "v");
	ck_assert_str_eq(value_of("<Key >v</Key >", "Key"), "v");
	ck_assert_str_eq(value_of("<Key>v</Key\r\n>", "Key"), "v");
	/* An open tag broken by a '<' is no tag; the search goes on. */
	ck_assert_str_eq(value_of("<Key a <Key>w</Key>", "Key"), "w");
}
END_TEST

START_TEST(test_find_prefix)
{
	const char *p, *v;
	size_t n, vlen;

	ck_assert_str_eq(value_of("<KeyCount>2</KeyCount><Key>k</Key>",
	    "Key"), "k");
	ck_assert_ptr_null(value_of("<KeyCount>2</KeyCount>", "Key"));
	ck_assert_ptr_null(value_of("<Keys>2</Keys>", "Key"));
	ck_assert_ptr_null(value_of("<Key-x>2</Key-x>", "Key"));
	/*
	 * A close tag with a longer name does not end the element: it stays
	 * in the content (which xml_text then refuses as markup).
	 */
	p = "<Key>a</KeyCount></Key>x";
	n = strlen(p);
	p = fenced(p, n, 0);
	ck_assert_ptr_eq(xml_find(p, p + n, "Key", &v, &vlen), p + n - 1);
	ck_assert_uint_eq(vlen, 12);
	ck_assert(memcmp(v, "a</KeyCount>", 12) == 0);
	ck_assert_ptr_null(value_of("<Key>a</Keys ></Key>", "Key"));
	/* Nor is a shorter name the same element. */
	ck_assert_ptr_null(value_of("<Ke>2</Ke>", "Key"));
	ck_assert_str_eq(value_of("<Prefix></Prefix><Prefix>p/</Prefix>",
	    "Prefix"), "");
}
END_TEST

START_TEST(test_self_closing)
{
	const char *p, *v, *after;
	size_t n, vlen;

	ck_assert_str_eq(value_of("<Key/>", "Key"), "");
	ck_assert_str_eq(value_of("<Key />", "Key"), "");
	ck_assert_str_eq(value_of("<Key a=\"1\"/>", "Key"), "");
	ck_assert_str_eq(value_of("<Key a=\"/\"/>", "Key"), "");
	ck_assert_str_eq(value_of("<Key/x><Key>y</Key>", "Key"), "y");

	p = "<A/><Key/><Key>z</Key>";
	n = strlen(p);
	p = fenced(p, n, 0);
	after = xml_find(p, p + n, "Key", &v, &vlen);
	ck_assert_ptr_eq(after, p + 10);
	ck_assert_uint_eq(vlen, 0);
	after = xml_find(after, p + n, "Key", &v, &vlen);
	ck_assert_ptr_eq(after, p + n);
	ck_assert_uint_eq(vlen, 1);
	ck_assert_int_eq(*v, 'z');
	ck_assert_ptr_null(xml_find(after, p + n, "Key", &v, &vlen));
	/* val and vlen are optional. */
	ck_assert_ptr_eq(xml_find(p, p + n, "A", NULL, NULL), p + 4);
}
END_TEST

START_TEST(test_list_page)
{
	static const char page[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>site</Name><Prefix>docs/</Prefix><KeyCount>3</KeyCount>"
	    "<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
	    "</NextContinuationToken>"
	    "<Contents><Key>docs/a&amp;b.html</Key><Size>10</Size></Contents>"
	    "<Contents><Key>docs/caf&#xE9;.txt</Key><Size>20</Size></Contents>"
	    "<Contents><Key><![CDATA[docs/<odd>]]></Key><Size>0</Size></Contents>"
	    "<CommonPrefixes><Prefix>docs/img/</Prefix></CommonPrefixes>"
	    "</ListBucketResult>";
	static const char *const want[] = {
		"docs/a&b.html", "docs/caf\xc3\xa9.txt", "docs/<odd>",
	};
	const char *p, *end, *c, *v, *k;
	size_t n = strlen(page), vlen, klen, i = 0;
	char out[256];

	p = fenced(page, n, 0);
	end = p + n;
	for (c = p; (c = xml_find(c, end, "Contents", &v, &vlen)) != NULL;
	    i++) {
		ck_assert_uint_lt(i, 3);
		ck_assert_ptr_nonnull(xml_find(v, v + vlen, "Key", &k, &klen));
		ck_assert_int_ge(xml_text(k, klen, out, sizeof(out)), 0);
		ck_assert_str_eq(out, want[i]);
	}
	ck_assert_uint_eq(i, 3);
	ck_assert_ptr_nonnull(xml_find(p, end, "IsTruncated", &v, &vlen));
	ck_assert(vlen == 4 && memcmp(v, "true", 4) == 0);
	ck_assert_str_eq(value_of(page, "NextContinuationToken"),
	    "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	ck_assert_str_eq(value_of(page, "Prefix"), "docs/");
	ck_assert_str_eq(value_of(page, "KeyCount"), "3");
}
END_TEST

/*
 * Write into a buffer of outsz bytes inside a larger one filled with a
 * marker, and check that nothing past outsz changed.
 */
static int
text_into(const char *in, size_t outsz, char *copy)
{
	char buf[64];
	size_t i;
	int rc;

	ck_assert_uint_le(outsz, sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	rc = xml_text(fenced(in, strlen(in), 0), strlen(in), buf, outsz);
	for (i = outsz; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 'Z');
	if (outsz > 0) {
		ck_assert_uint_lt(strlen(buf), outsz);
		memcpy(copy, buf, strlen(buf) + 1);
	}
	return rc;
}

START_TEST(test_truncation)
{
	char out[64];

	/* Plain text: the exact fit, and one byte short. */
	ck_assert_int_eq(text_into("abc", 4, out), 3);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(text_into("abc", 3, out), -1);
	ck_assert_str_eq(out, "");
	/* An entity. */
	ck_assert_int_eq(text_into("a&amp;", 3, out), 2);
	ck_assert_str_eq(out, "a&");
	ck_assert_int_eq(text_into("a&amp;", 2, out), -1);
	/* A multi-byte character does not fit by halves. */
	ck_assert_int_eq(text_into("&#x1F600;", 5, out), 4);
	ck_assert_int_eq(text_into("&#x1F600;", 4, out), -1);
	ck_assert_int_eq(text_into("x&#x20AC;", 5, out), 4);
	ck_assert_int_eq(text_into("x&#x20AC;", 4, out), -1);
	ck_assert_str_eq(out, "");
	/* CDATA. */
	ck_assert_int_eq(text_into("<![CDATA[abcd]]>", 5, out), 4);
	ck_assert_str_eq(out, "abcd");
	ck_assert_int_eq(text_into("<![CDATA[abcd]]>", 4, out), -1);
	/* The empty value needs its NUL only; no room at all fails. */
	ck_assert_int_eq(text_into("", 1, out), 0);
	ck_assert_int_eq(text_into("", 0, out), -1);
	ck_assert_int_eq(text_into("a", 1, out), -1);
	ck_assert_int_eq(xml_text("a", 1, NULL, 4), -1);
	ck_assert_int_eq(xml_text(NULL, 0, out, sizeof(out)), 0);
	ck_assert_int_eq(xml_text(NULL, 1, out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_unterminated)
{
	ck_assert_ptr_null(value_of("<Key>abc", "Key"));
	ck_assert_ptr_null(value_of("<Key>abc</Key", "Key"));
	ck_assert_ptr_null(value_of("<Key>abc</", "Key"));
	ck_assert_ptr_null(value_of("<Key", "Key"));
	ck_assert_ptr_null(value_of("<Key ", "Key"));
	ck_assert_ptr_null(value_of("<Key/", "Key"));
	ck_assert_ptr_null(value_of("<Key a=\"b", "Key"));
	ck_assert_ptr_null(value_of("<Key a=\"b>x</Key>", "Key"));
	ck_assert_ptr_null(value_of("<Key a=\"b\">x", "Key"));
	ck_assert_ptr_null(value_of("<", "Key"));
	/* The close tag inside CDATA is content, so the element never ends. */
	ck_assert_ptr_null(value_of("<Key><![CDATA[</Key>", "Key"));
	ck_assert_ptr_null(value_of("<!-- <Key>x</Key>", "Key"));
	ck_text_bad("<![CDATA[");
	ck_text_bad("a<![CDATA[b]]");
}
END_TEST

START_TEST(test_hostile)
{
	const char *p;

	ck_text_bad("&");
	ck_text_bad("a&b");
	ck_text_bad("a & b");
	ck_text_bad("&;");
	ck_text_bad("&#;");
	ck_text_bad("&#x;");
	ck_text_bad("&#");
	ck_text_bad("&#x");
	ck_text_bad("&#65");
	ck_text_bad("&#x41");
	ck_text_bad("&amp");
	ck_text_bad("&am;");
	ck_text_bad("&#X41;");
	ck_text_bad("&#-65;");
	ck_text_bad("&#+65;");
	ck_text_bad("&#x-41;");
	ck_text_bad("&# 65;");
	ck_text_bad("&#6 5;");
	ck_text_bad("&#x4G;");
	ck_text_bad("&#99999999999999999999999999999999999999999;");
	/* Markup is not text, and a NUL would cut the C string short. */
	ck_text_bad("<b>x</b>");
	ck_text_bad("a<");
	ck_text_bad("<!-- c -->");
	ck_assert_int_eq(xml_text("a\0b", 3, (char[8]){ 0 }, 8), -1);
	ck_assert_int_eq(xml_text("<![CDATA[a\0b]]>", 15, (char[16]){ 0 },
	    16), -1);

	/* Nested elements of one name: the first close tag ends it. */
	ck_assert_ptr_null(value_of("<Key><Key>x</Key></Key>", "Key"));
	ck_assert_str_eq(value_of("<A><B><Key>x</Key></B></A>", "Key"), "x");
	/* A close tag in CDATA or a comment is not one. */
	ck_assert_str_eq(value_of("<Key><![CDATA[</Key>]]></Key>", "Key"),
	    "</Key>");
	ck_assert_str_eq(value_of("<!-- <Key>no</Key> --><Key>yes</Key>",
	    "Key"), "yes");
	ck_assert_str_eq(value_of("<![CDATA[<Key>no</Key>]]><Key>yes</Key>",
	    "Key"), "yes");
	ck_assert_ptr_null(value_of("</Key><Key>", "Key"));
	ck_assert_ptr_null(value_of("<<<<>>>>", "Key"));

	/* Bad arguments. */
	p = "<Key>x</Key>";
	ck_assert_ptr_null(xml_find(p, p, "Key", NULL, NULL));
	ck_assert_ptr_null(xml_find(p + 5, p, "Key", NULL, NULL));
	ck_assert_ptr_null(xml_find(NULL, p, "Key", NULL, NULL));
	ck_assert_ptr_null(xml_find(p, NULL, "Key", NULL, NULL));
	ck_assert_ptr_null(xml_find(p, p + 12, NULL, NULL, NULL));
	ck_assert_ptr_null(xml_find(p, p + 12, "", NULL, NULL));
	/* The range ends before the close tag does. */
	ck_assert_ptr_null(xml_find(p, p + 11, "Key", NULL, NULL));
	ck_assert_ptr_eq(xml_find(p, p + 12, "Key", NULL, NULL), p + 12);
}
END_TEST

/*
 * Every prefix of realistic documents, fenced at the end: a truncated body
 * is what a dropped connection leaves, and must never be read past.
 */
START_TEST(test_every_prefix)
{
	static const char *const docs[] = {
		"<Error><Code>NoSuchKey</Code><Message>The key &quot;a&quot; "
		"does not exist.</Message></Error>",
		"<R xmlns=\"x\"><Contents><Key>a&#x1F600;<![CDATA[<]]></Key>"
		"<Size>1</Size></Contents><IsTruncated>false</IsTruncated></R>",
		"<K a='>' b=\"/>\"/><!-- x --><K>&amp;&#65;</K>",
	};
	static const char *const tags[] = { "Code", "Message", "Key", "K",
	    "Contents", "IsTruncated" };
	const char *p, *v, *after;
	char out[256], code[64];
	size_t d, n, len, t, vlen;

	for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
		len = strlen(docs[d]);
		for (n = 0; n <= len; n++) {
			p = fenced(docs[d], n, 0);
			for (t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
				after = xml_find(p, p + n, tags[t], &v, &vlen);
				if (after == NULL)
					continue;
				ck_assert(after > p && after <= p + n);
				ck_assert(v >= p && v + vlen <= after);
				(void)xml_text(v, vlen, out, sizeof(out));
			}
			(void)xml_text(p, n, out, sizeof(out));
			(void)s3_error_code(p, n, code, sizeof(code));
			p = fenced(docs[d], n, 1);
			(void)xml_find(p, p + n, "Key", &v, &vlen);
			(void)s3_error_code(p, n, code, sizeof(code));
		}
	}
}
END_TEST

START_TEST(test_error_code)
{
	static const char body[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Error><Code>NoSuchKey</Code><Message>The specified key does not "
	    "exist.</Message><Key>a b</Key></Error>";
	char code[32];

	ck_assert_int_eq(s3_error_code(body, strlen(body), code, sizeof(code)),
	    0);
	ck_assert_str_eq(code, "NoSuchKey");
	/* "NoSuchKey" and its NUL need ten bytes. */
	ck_assert_int_eq(s3_error_code(body, strlen(body), code, 10), 0);
	ck_assert_int_eq(s3_error_code(body, strlen(body), code, 9), -1);
	ck_assert_str_eq(code, "");
	ck_assert_int_eq(s3_error_code(body, 60, code, sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Code> SlowDown\r\n</Code>", 24,
	    code, sizeof(code)), 0);
	ck_assert_str_eq(code, "SlowDown");
	ck_assert_int_eq(s3_error_code("<Code xmlns=\"x\">AccessDenied</Code>",
	    35, code, sizeof(code)), 0);
	ck_assert_str_eq(code, "AccessDenied");
	/* <CodeX> is another element; the real one comes after it. */
	ck_assert_int_eq(s3_error_code("<CodeX>a</CodeX><Code>B</Code>", 30,
	    code, sizeof(code)), 0);
	ck_assert_str_eq(code, "B");
	ck_assert_int_eq(s3_error_code("<Code>A&amp;B</Code>", 20, code,
	    sizeof(code)), 0);
	ck_assert_str_eq(code, "A&B");
	/* White space spelled as references is trimmed as well. */
	ck_assert_int_eq(s3_error_code("<Code>&#32;X&#x9;</Code>", 24, code,
	    sizeof(code)), 0);
	ck_assert_str_eq(code, "X");
	ck_assert_int_eq(s3_error_code("<Code>&#32;&#10;</Code>", 23, code,
	    sizeof(code)), -1);
	ck_assert_str_eq(code, "");
	/* Empty, absent, unterminated, markup, malformed: none is a code. */
	ck_assert_int_eq(s3_error_code("<Code></Code>", 13, code, sizeof(code)),
	    -1);
	ck_assert_int_eq(s3_error_code("<Code> \n </Code>", 16, code,
	    sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Code/>", 7, code, sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Error><Message>x</Message></Error>",
	    35, code, sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Code>AccessDenied", 18, code,
	    sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Code><b>x</b></Code>", 21, code,
	    sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Code><![CDATA[x]]></Code>", 26, code,
	    sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Code>a&b</Code>", 16, code,
	    sizeof(code)), -1);
	ck_assert_str_eq(code, "");
	ck_assert_int_eq(s3_error_code("", 0, code, sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code(NULL, 0, code, sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code(body, strlen(body), NULL, 8), -1);
	ck_assert_int_eq(s3_error_code(body, strlen(body), code, 0), -1);
}
END_TEST

static Suite *
xml_suite(void)
{
	Suite *s = suite_create("xml");
	TCase *tc;

	tc = tcase_create("text");
	tcase_add_unchecked_fixture(tc, guard_setup, guard_teardown);
	tcase_add_test(tc, test_named_entities);
	tcase_add_test(tc, test_numeric_refs);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_rejected_code_points);
	tcase_add_test(tc, test_cdata);
	tcase_add_test(tc, test_truncation);
	suite_add_tcase(s, tc);

	tc = tcase_create("find");
	tcase_add_unchecked_fixture(tc, guard_setup, guard_teardown);
	tcase_add_test(tc, test_find_attributes);
	tcase_add_test(tc, test_find_prefix);
	tcase_add_test(tc, test_self_closing);
	tcase_add_test(tc, test_list_page);
	tcase_add_test(tc, test_unterminated);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_unchecked_fixture(tc, guard_setup, guard_teardown);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_every_prefix);
	suite_add_tcase(s, tc);

	tc = tcase_create("s3");
	tcase_add_unchecked_fixture(tc, guard_setup, guard_teardown);
	tcase_add_test(tc, test_error_code);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(xml_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
