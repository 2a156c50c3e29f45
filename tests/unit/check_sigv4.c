/*
 * check_sigv4.c - unit tests for the request signer, the S3 request
 * builder, the credential reader and the log.
 *
 * The signer is checked against AWS's own test vectors (tests/unit/vectors,
 * found through VECTORS_DIR), so that a mistake in our reading of the
 * specification cannot hide behind a test written with the same mistake.
 * The expected S3 signatures were computed independently, with Python's
 * hmac and hashlib over canonical requests written out by hand, and the
 * AWS documentation's own S3 example is included as well.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "creds.h"
#include "log.h"
#include "s3.h"
#include "sigv4.h"

#ifndef VECTORS_DIR
#error "VECTORS_DIR must name the directory of the AWS test vectors"
#endif

#define VEC_MAX 128
#define FILE_MAX 8192
#define REQ_HDRS_MAX 16

#define EMPTY_SHA SIGV4_EMPTY_SHA256

/* Filled by main() before the suite is built: one loop test per case. */
static char vec_names[VEC_MAX][128];
static int vec_count;

struct vec_request {
	char method[16];
	char path[1024];
	char query[1024];
	size_t nhdrs;
	char names[REQ_HDRS_MAX][64];
	char values[REQ_HDRS_MAX][1024];
	const char *body;
	size_t bodylen;
};

/* Copy src into dst; the test fails if it does not fit. */
static void
copy_fit(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	n = strlen(src);
	ck_assert_uint_lt(n, dstsz);
	memcpy(dst, src, n + 1);
}

/* Read a whole file into buf; the test fails if it cannot. */
static size_t
slurp(const char *path, char *buf, size_t bufsz)
{
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	n = fread(buf, 1, bufsz - 1, f);
	ck_assert_msg(!ferror(f) && feof(f), "cannot read all of %s", path);
	fclose(f);
	buf[n] = '\0';
	return n;
}

static void
slurp_vec(const char *name, const char *file, char *buf, size_t bufsz)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s/%s", VECTORS_DIR, name, file);
	slurp(path, buf, bufsz);
}

static void
chomp(char *s)
{
	size_t n;

	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/*
 * Just enough JSON for context.json: the value of "key", a string without
 * escapes or a bare literal such as true.  Returns 0 if found.
 */
static int
json_get(const char *json, const char *key, char *out, size_t outsz)
{
	char pat[64];
	const char *p, *end;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (p == NULL)
		return -1;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p++ != ':')
		return -1;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '"') {
		p++;
		end = strchr(p, '"');
	} else {
		end = p + strcspn(p, ",}\n \t");
	}
	if (end == NULL)
		return -1;
	n = (size_t)(end - p);
	ck_assert_uint_lt(n, outsz);
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static int
json_true(const char *json, const char *key)
{
	char v[16];

	return json_get(json, key, v, sizeof(v)) == 0 && strcmp(v, "true") == 0;
}

/*
 * Parse request.txt: the request line, then headers until an empty line,
 * then the body.  A line starting with white space continues the previous
 * header; it is kept with its newline so that the signer has to fold it.
 */
static void
parse_request(char *text, struct vec_request *r)
{
	char *line, *next, *sp, *target, *http, *colon, *q;
	size_t n;

	memset(r, 0, sizeof(*r));
	next = strchr(text, '\n');
	ck_assert_ptr_nonnull(next);
	*next++ = '\0';
	sp = strchr(text, ' ');
	ck_assert_ptr_nonnull(sp);
	*sp = '\0';
	copy_fit(r->method, sizeof(r->method), text);
	target = sp + 1;
	http = strstr(target, " HTTP/");
	ck_assert_ptr_nonnull(http);
	*http = '\0';
	q = strchr(target, '?');
	if (q != NULL) {
		*q++ = '\0';
		copy_fit(r->query, sizeof(r->query), q);
	}
	copy_fit(r->path, sizeof(r->path), target);

	r->body = "";
	for (line = next; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0') {
			r->body = next != NULL ? next : "";
			break;
		}
		if (*line == ' ' || *line == '\t') {
			ck_assert_uint_gt(r->nhdrs, 0);
			n = strlen(r->values[r->nhdrs - 1]);
			ck_assert_uint_lt(n + 1, sizeof(r->values[0]));
			r->values[r->nhdrs - 1][n] = '\n';
			copy_fit(r->values[r->nhdrs - 1] + n + 1,
			    sizeof(r->values[0]) - n - 1, line);
			continue;
		}
		colon = strchr(line, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		ck_assert_uint_lt(r->nhdrs, REQ_HDRS_MAX);
		copy_fit(r->names[r->nhdrs], sizeof(r->names[0]), line);
		copy_fit(r->values[r->nhdrs], sizeof(r->values[0]), colon + 1);
		r->nhdrs++;
	}
	r->bodylen = strlen(r->body);
}

static time_t
parse_iso8601(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	ck_assert_msg(end != NULL && *end == '\0', "bad time stamp %s", s);
	return timegm(&tm);
}

START_TEST(test_vectors_present)
{
	static const char *const must[] = {
		"get-vanilla", "get-header-value-multiline",
		"get-header-key-duplicate", "get-space-unnormalized",
		"get-vanilla-utf8-query", "get-vanilla-with-session-token",
		"post-sts-header-after", "post-x-www-form-urlencoded", NULL
	};
	int i, j, found;

	ck_assert_int_ge(vec_count, 38);
	for (i = 0; must[i] != NULL; i++) {
		found = 0;
		for (j = 0; j < vec_count; j++)
			found |= strcmp(vec_names[j], must[i]) == 0;
		ck_assert_msg(found, "vector %s is missing", must[i]);
	}
}
END_TEST

START_TEST(test_vector)
{
	static char ctxjson[FILE_MAX], reqtxt[FILE_MAX], want_canon[FILE_MAX];
	static char want_sts[FILE_MAX], want_sig[FILE_MAX], want_signed[FILE_MAX];
	static char canon[FILE_MAX], sts[FILE_MAX];
	const char *name = vec_names[_i];
	struct vec_request r;
	struct sigv4_header hdrs[REQ_HDRS_MAX + 3];
	struct sigv4_ctx ctx;
	char ak[128], sk[128], token[1024], region[64], service[64], ts[64];
	char amzdate[SIGV4_AMZDATE_LEN + 1], payload[65], sh[512];
	char uri[4096], auth[SIGV4_AUTH_MAX], want_auth[SIGV4_AUTH_MAX];
	const char *p, *wire_uri;
	size_t nh, i;
	ssize_t clen, slen;
	int has_token;

	slurp_vec(name, "context.json", ctxjson, sizeof(ctxjson));
	slurp_vec(name, "request.txt", reqtxt, sizeof(reqtxt));
	slurp_vec(name, "header-canonical-request.txt", want_canon,
	    sizeof(want_canon));
	slurp_vec(name, "header-string-to-sign.txt", want_sts, sizeof(want_sts));
	slurp_vec(name, "header-signature.txt", want_sig, sizeof(want_sig));
	slurp_vec(name, "header-signed-request.txt", want_signed,
	    sizeof(want_signed));
	chomp(want_canon);
	chomp(want_sts);
	chomp(want_sig);

	ck_assert_int_eq(json_get(ctxjson, "access_key_id", ak, sizeof(ak)), 0);
	ck_assert_int_eq(json_get(ctxjson, "secret_access_key", sk, sizeof(sk)),
	    0);
	ck_assert_int_eq(json_get(ctxjson, "region", region, sizeof(region)), 0);
	ck_assert_int_eq(json_get(ctxjson, "service", service, sizeof(service)),
	    0);
	ck_assert_int_eq(json_get(ctxjson, "timestamp", ts, sizeof(ts)), 0);
	has_token = json_get(ctxjson, "token", token, sizeof(token)) == 0 &&
	    !json_true(ctxjson, "omit_session_token");

	ck_assert_int_eq(sigv4_init(&ctx, ak, sk, region, service), 0);
	ctx.normalize_path = json_true(ctxjson, "normalize");
	sigv4_amzdate(parse_iso8601(ts), amzdate);

	parse_request(reqtxt, &r);
	sigv4_sha256_hex(r.body, r.bodylen, payload);
	for (nh = 0; nh < r.nhdrs; nh++) {
		hdrs[nh].name = r.names[nh];
		hdrs[nh].value = r.values[nh];
	}
	hdrs[nh].name = "X-Amz-Date";
	hdrs[nh++].value = amzdate;
	if (has_token) {
		hdrs[nh].name = "X-Amz-Security-Token";
		hdrs[nh++].value = token;
	}
	if (json_true(ctxjson, "sign_body")) {
		hdrs[nh].name = "x-amz-content-sha256";
		hdrs[nh++].value = payload;
	}

	/*
	 * request.txt holds the path as raw bytes.  The generic services
	 * take it as the wire form and encode it once more; for the S3-style
	 * cases the wire form is the raw path encoded once, which is what
	 * s3_request_build() sends for a key, and that is signed verbatim.
	 */
	if (ctx.normalize_path) {
		wire_uri = r.path;
	} else {
		ck_assert_int_ne(sigv4_uri_encode(r.path, strlen(r.path), uri,
		    sizeof(uri), 1), -1);
		wire_uri = uri;
	}

	clen = sigv4_canonical_request(&ctx, r.method, wire_uri, r.query, hdrs,
	    nh, payload, canon, sizeof(canon), sh, sizeof(sh));
	ck_assert_int_ne(clen, -1);
	ck_assert_uint_eq((size_t)clen, strlen(canon));
	ck_assert_str_eq(canon, want_canon);

	slen = sigv4_string_to_sign(&ctx, amzdate, canon, (size_t)clen, sts,
	    sizeof(sts));
	ck_assert_int_ne(slen, -1);
	ck_assert_str_eq(sts, want_sts);

	ck_assert_int_eq(sigv4_sign(&ctx, r.method, wire_uri, r.query, hdrs, nh,
	    payload, amzdate, auth, sizeof(auth)), 0);
	p = strstr(auth, "Signature=");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p + strlen("Signature="), want_sig);
	p = strstr(auth, "SignedHeaders=");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(strncmp(p + strlen("SignedHeaders="), sh, strlen(sh)),
	    0);

	/* The whole Authorization value, as the signed request carries it. */
	p = strstr(want_signed, "\nAuthorization:");
	ck_assert_ptr_nonnull(p);
	p += strlen("\nAuthorization:");
	i = strcspn(p, "\r\n");
	ck_assert_uint_lt(i, sizeof(want_auth));
	memcpy(want_auth, p, i);
	want_auth[i] = '\0';
	ck_assert_str_eq(auth, want_auth);
	sigv4_clear(&ctx);
}
END_TEST

START_TEST(test_uri_encode_reserved)
{
	static const char reserved[] = "!#$&'()*+,/:;=?@[] %\"<>\\^`{|}";
	char out[256];
	ssize_t n;

	n = sigv4_uri_encode(reserved, strlen(reserved), out, sizeof(out), 0);
	ck_assert_str_eq(out, "%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F"
	    "%40%5B%5D%20%25%22%3C%3E%5C%5E%60%7B%7C%7D");
	ck_assert_int_eq(n, (ssize_t)strlen(out));
	sigv4_uri_encode("a/b c/", 6, out, sizeof(out), 1);
	ck_assert_str_eq(out, "a/b%20c/");
	sigv4_uri_encode("a/b", 3, out, sizeof(out), 0);
	ck_assert_str_eq(out, "a%2Fb");
	n = sigv4_uri_encode("-._~AZaz09", 10, out, sizeof(out), 0);
	ck_assert_str_eq(out, "-._~AZaz09");
	ck_assert_int_eq(n, 10);
	sigv4_uri_encode("\xe1\x88\xb4", 3, out, sizeof(out), 0);
	ck_assert_str_eq(out, "%E1%88%B4");
	/* The length is given, so a NUL byte is data like any other. */
	sigv4_uri_encode("a\0\xff", 3, out, sizeof(out), 0);
	ck_assert_str_eq(out, "a%00%FF");
	n = sigv4_uri_encode("", 0, out, sizeof(out), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_uri_encode_bounds)
{
	char out[16];

	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(sigv4_uri_encode("abc", 3, out, 4, 0), 3);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(sigv4_uri_encode("abc", 3, out, 3, 0), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(sigv4_uri_encode("a b", 3, out, 6, 0), 5);
	ck_assert_str_eq(out, "a%20b");
	ck_assert_int_eq(sigv4_uri_encode("a b", 3, out, 5, 0), -1);
	ck_assert_int_eq(sigv4_uri_encode(" ", 1, out, 3, 0), -1);
	ck_assert_int_eq(sigv4_uri_encode("a", 1, out, 0, 0), -1);
	ck_assert_int_eq(sigv4_uri_encode("a", 1, NULL, 8, 0), -1);
	ck_assert_int_eq(sigv4_uri_encode("", 0, out, 1, 0), 0);
}
END_TEST

/* The canonical request's second line: the canonical URI. */
static void
canon_uri(struct sigv4_ctx *ctx, const char *uri, const char *query,
    char *line1, char *line2, size_t sz)
{
	static const struct sigv4_header h[] = {
		{ "Host", "example.com" }, { "X-Amz-Date", "20150830T123600Z" },
	};
	char out[2048];
	const char *a, *b;

	ck_assert_int_ne(sigv4_canonical_request(ctx, "GET", uri, query, h, 2,
	    EMPTY_SHA, out, sizeof(out), NULL, 0), -1);
	a = strchr(out, '\n') + 1;
	b = strchr(a, '\n');
	ck_assert_uint_lt((size_t)(b - a), sz);
	memcpy(line1, a, (size_t)(b - a));
	line1[b - a] = '\0';
	a = b + 1;
	b = strchr(a, '\n');
	ck_assert_uint_lt((size_t)(b - a), sz);
	memcpy(line2, a, (size_t)(b - a));
	line2[b - a] = '\0';
}

START_TEST(test_canon_path)
{
	struct sigv4_ctx ctx;
	char u[512], q[512];

	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", "s3"), 0);
	ck_assert_int_eq(ctx.normalize_path, 0);
	/* S3 signs the path as sent: no dot removal, no second encoding. */
	canon_uri(&ctx, "/a/../b", NULL, u, q, sizeof(u));
	ck_assert_str_eq(u, "/a/../b");
	canon_uri(&ctx, "//a/./b//", NULL, u, q, sizeof(u));
	ck_assert_str_eq(u, "//a/./b//");
	canon_uri(&ctx, "/a%20b/%E1%88%B4", NULL, u, q, sizeof(u));
	ck_assert_str_eq(u, "/a%20b/%E1%88%B4");
	canon_uri(&ctx, "", NULL, u, q, sizeof(u));
	ck_assert_str_eq(u, "/");

	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", "service"),
	    0);
	ck_assert_int_eq(ctx.normalize_path, 1);
	canon_uri(&ctx, "/a/b/../c/./d//", NULL, u, q, sizeof(u));
	ck_assert_str_eq(u, "/a/c/d/");
	canon_uri(&ctx, "/a/b/..", NULL, u, q, sizeof(u));
	ck_assert_str_eq(u, "/a/");
	canon_uri(&ctx, "/../../x", NULL, u, q, sizeof(u));
	ck_assert_str_eq(u, "/x");
	canon_uri(&ctx, "/a%20b", NULL, u, q, sizeof(u));
	ck_assert_str_eq(u, "/a%2520b");
}
END_TEST

START_TEST(test_canon_query)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "b=2&a=1", "a=1&b=2" },
		{ "a=2&a=1&a=10", "a=1&a=10&a=2" },
		{ "a&b=", "a=&b=" },
		{ "x=%2f%7e+y", "x=%2F~%2By" },
		{ "k=a b", "k=a%20b" },
		{ "a=1&&b=2&", "a=1&b=2" },
		{ "Param-3=V3&Param=V2&%E1%88%B4=V1", "%E1%88%B4=V1&Param=V2&Param-3=V3" },
		{ "list-type=2&prefix=dir%2F&delimiter=%2F",
		    "delimiter=%2F&list-type=2&prefix=dir%2F" },
		{ "uploads", "uploads=" },
		{ "", "" },
	};
	struct sigv4_ctx ctx;
	char u[512], q[512], out[512];
	size_t i;

	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", "s3"), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		canon_uri(&ctx, "/", cases[i].in, u, q, sizeof(u));
		ck_assert_msg(strcmp(q, cases[i].want) == 0,
		    "query \"%s\" gave \"%s\", not \"%s\"", cases[i].in, q,
		    cases[i].want);
	}
	canon_uri(&ctx, "/", NULL, u, q, sizeof(u));
	ck_assert_str_eq(q, "");
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "GET", "/", "a=%zz",
	    NULL, 0, EMPTY_SHA, out, sizeof(out), NULL, 0), -1);
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "GET", "/", "a=%4",
	    NULL, 0, EMPTY_SHA, out, sizeof(out), NULL, 0), -1);
}
END_TEST

START_TEST(test_canon_headers)
{
	static const struct sigv4_header h[] = {
		{ "X-B", "  two  \t words " },
		{ "Host", "example.com" },
		{ "x-b", "second" },
		{ "X-A", "line1\r\n  line2\n\tline3" },
		{ "X-Empty", "" },
	};
	struct sigv4_ctx ctx;
	char out[1024], sh[128];
	ssize_t n;

	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", "s3"), 0);
	n = sigv4_canonical_request(&ctx, "PUT", "/k", NULL, h, 5, "UNSIGNED",
	    out, sizeof(out), sh, sizeof(sh));
	ck_assert_int_ne(n, -1);
	ck_assert_str_eq(out, "PUT\n/k\n\nhost:example.com\n"
	    "x-a:line1 line2 line3\nx-b:two words,second\nx-empty:\n\n"
	    "host;x-a;x-b;x-empty\nUNSIGNED");
	ck_assert_str_eq(sh, "host;x-a;x-b;x-empty");

	/* Every size short of the full length fails, and never overflows. */
	for (; n >= 0; n--) {
		ck_assert_int_eq(sigv4_canonical_request(&ctx, "PUT", "/k", NULL,
		    h, 5, "UNSIGNED", out, (size_t)n, sh, sizeof(sh)), -1);
	}
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "PUT", "/k", NULL, h, 5,
	    "UNSIGNED", out, sizeof(out), sh, 8), -1);
}
END_TEST

START_TEST(test_canon_bad_input)
{
	static const struct sigv4_header bad_name[] = {
		{ "Host", "example.com" }, { "Bad Name", "x" },
	};
	static const struct sigv4_header colon_name[] = {
		{ "Host:", "example.com" },
	};
	struct sigv4_ctx ctx;
	char out[512];

	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", "s3"), 0);
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "GET", "/", NULL,
	    bad_name, 2, EMPTY_SHA, out, sizeof(out), NULL, 0), -1);
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "GET", "/", NULL,
	    colon_name, 1, EMPTY_SHA, out, sizeof(out), NULL, 0), -1);
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "", "/", NULL, NULL, 0,
	    EMPTY_SHA, out, sizeof(out), NULL, 0), -1);
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "G T", "/", NULL, NULL,
	    0, EMPTY_SHA, out, sizeof(out), NULL, 0), -1);
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "GET", "noslash", NULL,
	    NULL, 0, EMPTY_SHA, out, sizeof(out), NULL, 0), -1);
	ck_assert_int_eq(sigv4_canonical_request(&ctx, "GET", "/", NULL, NULL,
	    0, EMPTY_SHA, NULL, 0, NULL, 0), -1);
}
END_TEST

START_TEST(test_sign_requires_headers)
{
	static const char date[] = "20150830T123600Z";
	struct sigv4_header h[3] = {
		{ "Host", "example.com" }, { "X-Amz-Date", date },
		{ "X-Amz-Content-Sha256", EMPTY_SHA },
	};
	struct sigv4_ctx ctx;
	char auth[SIGV4_AUTH_MAX];

	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", "s3"), 0);
	ck_assert_int_eq(sigv4_sign(&ctx, "GET", "/", NULL, h, 3, EMPTY_SHA,
	    date, auth, sizeof(auth)), 0);
	ck_assert_ptr_nonnull(strstr(auth,
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "));
	/* S3 needs the payload hash signed, and equal to payload_hash. */
	ck_assert_int_eq(sigv4_sign(&ctx, "GET", "/", NULL, h, 2, EMPTY_SHA,
	    date, auth, sizeof(auth)), -1);
	ck_assert_str_eq(auth, "");
	ck_assert_int_eq(sigv4_sign(&ctx, "GET", "/", NULL, h, 3,
	    SIGV4_UNSIGNED_PAYLOAD, date, auth, sizeof(auth)), -1);
	/* No host, or an x-amz-date that is not the date being signed. */
	ck_assert_int_eq(sigv4_sign(&ctx, "GET", "/", NULL, h + 1, 2, EMPTY_SHA,
	    date, auth, sizeof(auth)), -1);
	ck_assert_int_eq(sigv4_sign(&ctx, "GET", "/", NULL, h, 3, EMPTY_SHA,
	    "20150830T123601Z", auth, sizeof(auth)), -1);
	ck_assert_int_eq(sigv4_sign(&ctx, "GET", "/", NULL, h, 3, EMPTY_SHA,
	    "2015-08-30", auth, sizeof(auth)), -1);
	/* The Authorization value must fit. */
	ck_assert_int_eq(sigv4_sign(&ctx, "GET", "/", NULL, h, 3, EMPTY_SHA,
	    date, auth, 64), -1);
	/* A generic service does not insist on x-amz-content-sha256. */
	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", "sts"), 0);
	ck_assert_int_eq(sigv4_sign(&ctx, "GET", "/", NULL, h, 2, EMPTY_SHA,
	    date, auth, sizeof(auth)), 0);
}
END_TEST

START_TEST(test_init_and_clear)
{
	char big[300];
	struct sigv4_ctx ctx;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(sigv4_init(&ctx, big, "SK", "us-east-1", "s3"), -1);
	ck_assert_int_eq(sigv4_init(&ctx, "AK", big, "us-east-1", "s3"), -1);
	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", big, "s3"), -1);
	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", big), -1);
	ck_assert_int_eq(sigv4_init(&ctx, NULL, "SK", "us-east-1", "s3"), -1);
	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SECRET", "us-east-1", "s3"), 0);
	ck_assert_str_eq(ctx.key_date, "");
	sigv4_clear(&ctx);
	ck_assert_str_eq(ctx.secret_key, "");
	ck_assert_str_eq(ctx.access_key, "");
}
END_TEST

START_TEST(test_amzdate)
{
	char d[SIGV4_AMZDATE_LEN + 1];

	sigv4_amzdate(0, d);
	ck_assert_str_eq(d, "19700101T000000Z");
	sigv4_amzdate(1440938160, d);
	ck_assert_str_eq(d, "20150830T123600Z");
	sigv4_amzdate(parse_iso8601("2026-11-26T12:00:00Z"), d);
	ck_assert_str_eq(d, "20261126T120000Z");

	/* The last date is kept: asking again, or for another, stays right. */
	sigv4_amzdate(parse_iso8601("2026-11-26T12:00:00Z"), d);
	ck_assert_str_eq(d, "20261126T120000Z");
	sigv4_amzdate(parse_iso8601("2026-11-26T12:00:01Z"), d);
	ck_assert_str_eq(d, "20261126T120001Z");
	sigv4_amzdate(0, d);
	ck_assert_str_eq(d, "19700101T000000Z");
	sigv4_amzdate(1440938160, d);
	ck_assert_str_eq(d, "20150830T123600Z");
}
END_TEST

static void
sign_at(struct sigv4_ctx *ctx, const char *date, char *auth)
{
	struct sigv4_header h[3] = {
		{ "Host", "example.com" }, { "X-Amz-Date", date },
		{ "x-amz-content-sha256", EMPTY_SHA },
	};

	ck_assert_int_eq(sigv4_sign(ctx, "GET", "/k", NULL, h, 3, EMPTY_SHA,
	    date, auth, SIGV4_AUTH_MAX), 0);
}

START_TEST(test_key_cache)
{
	struct sigv4_ctx ctx, fresh;
	unsigned char key[sizeof(ctx.key)];
	char a1[SIGV4_AUTH_MAX], a2[SIGV4_AUTH_MAX], ref[SIGV4_AUTH_MAX];

	ck_assert_int_eq(sigv4_init(&ctx, "AK", "SK", "us-east-1", "s3"), 0);
	sign_at(&ctx, "20150830T000000Z", a1);
	ck_assert_str_eq(ctx.key_date, "20150830");
	memcpy(key, ctx.key, sizeof(key));

	/*
	 * Spoil the cached key.  If a later signature on the same day used a
	 * fresh derivation, it would match the reference; that it does not
	 * shows the cached key was used.
	 */
	ctx.key[0] ^= 0xff;
	sign_at(&ctx, "20150830T235959Z", a2);
	ck_assert_int_eq(sigv4_init(&fresh, "AK", "SK", "us-east-1", "s3"), 0);
	sign_at(&fresh, "20150830T235959Z", ref);
	ck_assert_str_ne(a2, ref);
	ck_assert_str_eq(ctx.key_date, "20150830");

	/* The next day derives a new key, and the right one. */
	sign_at(&ctx, "20150831T000000Z", a2);
	ck_assert_str_eq(ctx.key_date, "20150831");
	ck_assert_int_ne(memcmp(ctx.key, key, sizeof(key)), 0);
	sign_at(&fresh, "20150831T000000Z", ref);
	ck_assert_str_eq(a2, ref);
	ck_assert_int_eq(memcmp(ctx.key, fresh.key, sizeof(key)), 0);

	/* And going back to the first day gives the first key again. */
	sign_at(&ctx, "20150830T000000Z", a2);
	ck_assert_str_eq(a2, a1);
	ck_assert_int_eq(memcmp(ctx.key, key, sizeof(key)), 0);
	ck_assert_ptr_nonnull(strstr(a1,
	    "Credential=AK/20150830/us-east-1/s3/aws4_request, "));
}
END_TEST

/* Find a header line in the request's chain, or NULL. */
static const char *
chain_find(const struct s3_request *req, const char *prefix)
{
	const struct curl_slist *l;

	for (l = &req->slist[0]; l != NULL; l = l->next) {
		if (strncasecmp(l->data, prefix, strlen(prefix)) == 0)
			return l->data;
	}
	return NULL;
}

static int
chain_len(const struct s3_request *req)
{
	const struct curl_slist *l;
	int n;

	n = 0;
	for (l = &req->slist[0]; l != NULL; l = l->next)
		n++;
	return n;
}

START_TEST(test_endpoint_good)
{
	static const struct {
		const char *url;
		int https;
		const char *host;
		const char *base;
	} cases[] = {
		{ "http://127.0.0.1:9000", 0, "127.0.0.1:9000", "" },
		{ "http://127.0.0.1:9000/", 0, "127.0.0.1:9000", "" },
		{ "127.0.0.1:9000", 1, "127.0.0.1:9000", "" },
		{ "minio:9000", 1, "minio:9000", "" },
		{ "https://s3.example.com", 1, "s3.example.com", "" },
		{ "HTTPS://s3.example.com:443/", 1, "s3.example.com", "" },
		{ "https://s3.example.com:8443", 1, "s3.example.com:8443", "" },
		{ "http://s3.example.com:80", 0, "s3.example.com", "" },
		{ "http://s3.example.com:443", 0, "s3.example.com:443", "" },
		{ "https://h.example/base/", 1, "h.example", "/base" },
		{ "https://h.example/a/b//", 1, "h.example", "/a/b" },
		{ "http://[::1]:9000", 0, "[::1]:9000", "" },
	};
	struct s3_endpoint ep;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(s3_endpoint_init(&ep, cases[i].url, "site",
		    "us-east-1", 0, err, sizeof(err)) == 0, "%s: %s",
		    cases[i].url, err);
		ck_assert_int_eq(ep.https, cases[i].https);
		ck_assert_str_eq(ep.host, cases[i].host);
		ck_assert_str_eq(ep.base_path, cases[i].base);
		ck_assert_str_eq(ep.bucket, "site");
		ck_assert_str_eq(ep.region, "us-east-1");
		ck_assert_int_eq(ep.virtual_host, 0);
	}
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://minio:9000", "site", "",
	    1, err, sizeof(err)), 0);
	ck_assert_str_eq(ep.region, "us-east-1");
	ck_assert_int_eq(ep.virtual_host, 1);
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://minio:9000",
	    "Legacy_Bucket", "eu-west-1", 0, err, sizeof(err)), 0);
	ck_assert_str_eq(ep.region, "eu-west-1");
}
END_TEST

START_TEST(test_endpoint_bad)
{
	static const char *const urls[] = {
		"", "ftp://h.example", "http://", "https:///base", "http://:9000",
		"http://h:0", "http://h:65536", "http://h:99999", "http://h:abc",
		"http://h:", "http://user:pw@h.example", "not a url",
		"http://h.example/base?x=1", "http://h.example#frag",
		"http://h.example/a b", "http://h.example/a/../b",
		"http://h.example/./b", "://h.example", "http://[::1",
		"http://h_ex ample", NULL
	};
	struct s3_endpoint ep;
	char err[256], big[400];
	size_t i;

	for (i = 0; urls[i] != NULL; i++) {
		err[0] = '\0';
		ck_assert_msg(s3_endpoint_init(&ep, urls[i], "site", "us-east-1",
		    0, err, sizeof(err)) == -1, "\"%s\" was accepted",
		    urls[i]);
		ck_assert_msg(err[0] != '\0', "no message for \"%s\"", urls[i]);
	}
	ck_assert_int_eq(s3_endpoint_init(&ep, NULL, "site", "us-east-1", 0,
	    err, sizeof(err)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "http://", 7);
	ck_assert_int_eq(s3_endpoint_init(&ep, big, "site", "us-east-1", 0,
	    err, sizeof(err)), -1);

	/* Buckets: too short, too long, not a DNS label for virtual host. */
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://h:9000", "ab",
	    "us-east-1", 0, err, sizeof(err)), -1);
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://h:9000",
	    "a234567890123456789012345678901234567890123456789012345678901234",
	    "us-east-1", 0, err, sizeof(err)), -1);
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://h:9000", "Legacy_Bucket",
	    "us-east-1", 1, err, sizeof(err)), -1);
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://h:9000", "a/b",
	    "us-east-1", 0, err, sizeof(err)), -1);
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://h:9000", NULL,
	    "us-east-1", 0, err, sizeof(err)), -1);
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://h:9000", "site",
	    "us/east", 0, err, sizeof(err)), -1);
	/* A NULL err is allowed. */
	ck_assert_int_eq(s3_endpoint_init(&ep, "", "site", "us-east-1", 0,
	    NULL, 0), -1);
}
END_TEST

START_TEST(test_build_path_style)
{
	static const char key[] = "dir/a b+c%d?e#f=g&h/\xe1\x88\xb4.txt";
	static struct s3_request req;
	struct sigv4_ctx sig;
	struct s3_endpoint ep;
	char err[256];
	time_t now;

	now = parse_iso8601("2026-11-26T12:00:00Z");
	ck_assert_int_eq(s3_endpoint_init(&ep, "http://127.0.0.1:9000", "site",
	    "us-east-1", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(sigv4_init(&sig, "minioadmin", "minioadmin",
	    "us-east-1", "s3"), 0);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", key,
	    strlen(key), NULL, EMPTY_SHA, NULL, now), 0);
	ck_assert_str_eq(req.url, "http://127.0.0.1:9000/site/"
	    "dir/a%20b%2Bc%25d%3Fe%23f%3Dg%26h/%E1%88%B4.txt");
	ck_assert_str_eq(chain_find(&req, "x-amz-date:"),
	    "x-amz-date: 20261126T120000Z");
	ck_assert_str_eq(chain_find(&req, "x-amz-content-sha256:"),
	    "x-amz-content-sha256: " EMPTY_SHA);
	ck_assert_str_eq(chain_find(&req, "Authorization:"),
	    "Authorization: AWS4-HMAC-SHA256 "
	    "Credential=minioadmin/20261126/us-east-1/s3/aws4_request, "
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
	    "Signature=5c8f661dab579b67b75a00c9cc769d6db4e694d5c56f85f51dc734897aaacc63");
	ck_assert_str_eq(chain_find(&req, "Expect"), "Expect:");
	ck_assert_str_eq(chain_find(&req, "Accept"), "Accept:");
	ck_assert_ptr_null(chain_find(&req, "Host"));
	ck_assert_ptr_null(chain_find(&req, "x-amz-security-token"));
	ck_assert_int_eq(req.nlines, 5);
	ck_assert_int_eq(chain_len(&req), 5);
	ck_assert_ptr_null(req.slist[req.nlines - 1].next);

	/* The bucket itself. */
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "", 0,
	    "list-type=2&prefix=dir%2F", NULL, NULL, now), 0);
	ck_assert_str_eq(req.url,
	    "http://127.0.0.1:9000/site/?list-type=2&prefix=dir%2F");
}
END_TEST

/* Without credentials (a public bucket) nothing of SigV4 is sent. */
START_TEST(test_build_anonymous)
{
	static struct s3_request req;
	static const char *const range[] = { "Range: bytes=0-1", NULL };
	struct s3_endpoint ep;
	char err[256];

	ck_assert_int_eq(s3_endpoint_init(&ep, "http://127.0.0.1:9000", "site",
	    "us-east-1", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(s3_request_build(&req, NULL, &ep, NULL, "GET", "a.txt", 5,
	    NULL, NULL, range, 0), 0);
	ck_assert_str_eq(req.url, "http://127.0.0.1:9000/site/a.txt");
	ck_assert_ptr_null(chain_find(&req, "Authorization"));
	ck_assert_ptr_null(chain_find(&req, "x-amz-date"));
	ck_assert_ptr_null(chain_find(&req, "x-amz-content-sha256"));
	ck_assert_str_eq(chain_find(&req, "Range:"), "Range: bytes=0-1");
	ck_assert_str_eq(chain_find(&req, "Expect"), "Expect:");
	ck_assert_str_eq(chain_find(&req, "Accept"), "Accept:");
	ck_assert_int_eq(req.nlines, 3);
	ck_assert_int_eq(chain_len(&req), 3);
}
END_TEST

START_TEST(test_build_virtual_host)
{
	static const char *const extra[] = {
		"Content-Type: text/html; charset=utf-8", NULL
	};
	static struct s3_request req;
	struct sigv4_ctx sig;
	struct s3_endpoint ep;
	char err[256];
	const char *tok;

	ck_assert_int_eq(s3_endpoint_init(&ep, "https://s3.example.com:443",
	    "my-site", "eu-west-1", 1, err, sizeof(err)), 0);
	ck_assert_int_eq(sigv4_init(&sig, "AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1", "s3"), 0);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep,
	    "FQoGZXIvYXdzE//token+/=", "PUT", "index.html", 10,
	    "x-id=PutObject", SIGV4_UNSIGNED_PAYLOAD, extra,
	    parse_iso8601("2026-11-26T12:00:00Z")), 0);
	ck_assert_str_eq(req.url,
	    "https://my-site.s3.example.com/index.html?x-id=PutObject");
	ck_assert_str_eq(chain_find(&req, "Authorization:"),
	    "Authorization: AWS4-HMAC-SHA256 "
	    "Credential=AKIDEXAMPLE/20261126/eu-west-1/s3/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;"
	    "x-amz-security-token, "
	    "Signature=a586c54441c7bbe50533aa5149fad6cd3693d2c5cc54ce29eac2360e39e9b0b6");
	tok = chain_find(&req, "x-amz-security-token:");
	ck_assert_ptr_nonnull(tok);
	ck_assert_str_eq(tok, "x-amz-security-token: FQoGZXIvYXdzE//token+/=");
	ck_assert_str_eq(chain_find(&req, "Content-Type:"),
	    "Content-Type: text/html; charset=utf-8");
	ck_assert_str_eq(chain_find(&req, "x-amz-content-sha256:"),
	    "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	ck_assert_ptr_nonnull(chain_find(&req, "Expect:"));
	ck_assert_int_eq(req.nlines, 7);
	ck_assert_int_eq(chain_len(&req), 7);

	/* The bucket itself, virtual-host style. */
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", NULL, 0,
	    NULL, NULL, NULL, 0), 0);
	ck_assert_str_eq(req.url, "https://my-site.s3.example.com/");
}
END_TEST

START_TEST(test_build_aws_example)
{
	static const char *const range[] = { "Range: bytes=0-9", NULL };
	static struct s3_request req;
	struct sigv4_ctx sig;
	struct s3_endpoint ep;
	char err[256];

	/* The GET Object example of the AWS S3 SigV4 documentation. */
	ck_assert_int_eq(s3_endpoint_init(&ep, "https://s3.amazonaws.com",
	    "examplebucket", "us-east-1", 1, err, sizeof(err)), 0);
	ck_assert_int_eq(sigv4_init(&sig, "AKIAIOSFODNN7EXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"), 0);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET",
	    "test.txt", 8, NULL, EMPTY_SHA, range,
	    parse_iso8601("2013-05-24T00:00:00Z")), 0);
	ck_assert_str_eq(req.url, "https://examplebucket.s3.amazonaws.com/test.txt");
	ck_assert_str_eq(chain_find(&req, "Authorization:"),
	    "Authorization: AWS4-HMAC-SHA256 "
	    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
	    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	ck_assert_str_eq(chain_find(&req, "Range:"), "Range: bytes=0-9");
}
END_TEST

START_TEST(test_build_keys)
{
	static const struct {
		const char *key;
		const char *path;
	} cases[] = {
		{ "a b", "a%20b" },
		{ "a+b", "a%2Bb" },
		{ "100%", "100%25" },
		{ "what?", "what%3F" },
		{ "#hash", "%23hash" },
		{ "k=v&x=y", "k%3Dv%26x%3Dy" },
		{ "caf\xc3\xa9/\xe1\x88\xb4", "caf%C3%A9/%E1%88%B4" },
		{ "a/../b", "a/../b" },
		{ "dir/", "dir/" },
		{ "~user/-._", "~user/-._" },
	};
	static struct s3_request req, ref;
	struct sigv4_ctx sig;
	struct s3_endpoint path_ep, vh_ep;
	struct sigv4_header h[3];
	char want[512], uri[512], err[256], auth[SIGV4_AUTH_MAX];
	char amzdate[SIGV4_AMZDATE_LEN + 1];
	time_t now;
	size_t i;

	now = parse_iso8601("2026-11-26T12:00:00Z");
	sigv4_amzdate(now, amzdate);
	ck_assert_int_eq(s3_endpoint_init(&path_ep, "http://minio:9000/s3",
	    "site", "us-east-1", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(s3_endpoint_init(&vh_ep, "https://s3.example.com",
	    "site", "us-east-1", 1, err, sizeof(err)), 0);
	ck_assert_int_eq(sigv4_init(&sig, "AK", "SK", "us-east-1", "s3"), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(s3_request_build(&req, &sig, &path_ep, NULL,
		    "GET", cases[i].key, strlen(cases[i].key), NULL, NULL, NULL,
		    now), 0);
		snprintf(want, sizeof(want), "http://minio:9000/s3/site/%s",
		    cases[i].path);
		ck_assert_str_eq(req.url, want);

		/*
		 * The signature covers the path exactly as it is in the URL:
		 * encoded once, dot segments kept.
		 */
		snprintf(uri, sizeof(uri), "/s3/site/%s", cases[i].path);
		h[0].name = "host";
		h[0].value = "minio:9000";
		h[1].name = "x-amz-date";
		h[1].value = amzdate;
		h[2].name = "x-amz-content-sha256";
		h[2].value = EMPTY_SHA;
		ck_assert_int_eq(sigv4_sign(&sig, "GET", uri, NULL, h, 3,
		    EMPTY_SHA, amzdate, auth, sizeof(auth)), 0);
		ck_assert_str_eq(chain_find(&req, "Authorization:") +
		    strlen("Authorization: "), auth);

		ck_assert_int_eq(s3_request_build(&ref, &sig, &vh_ep, NULL,
		    "GET", cases[i].key, strlen(cases[i].key), NULL, NULL, NULL,
		    now), 0);
		snprintf(want, sizeof(want), "https://site.s3.example.com/%s",
		    cases[i].path);
		ck_assert_str_eq(ref.url, want);
	}
	/* "/a/../b" is not "/b": the path was not normalised. */
	ck_assert_int_eq(s3_request_build(&ref, &sig, &path_ep, NULL, "GET",
	    "b", 1, NULL, NULL, NULL, now), 0);
	ck_assert_int_eq(s3_request_build(&req, &sig, &path_ep, NULL, "GET",
	    "a/../b", 6, NULL, NULL, NULL, now), 0);
	ck_assert_str_ne(chain_find(&req, "Authorization:"),
	    chain_find(&ref, "Authorization:"));
}
END_TEST

/*
 * The origin and the request target split the URL in two: the worker hands
 * libcurl the origin once, parsed, and the target per request.
 */
START_TEST(test_build_target)
{
	static const struct {
		const char *url;
		int vhost;
		const char *origin;
		const char *query;
		const char *target;
	} cases[] = {
		{ "http://127.0.0.1:9000", 0, "http://127.0.0.1:9000/", NULL, "/site/a%20b/c.txt" },
		{ "http://minio:9000/s3/", 0, "http://minio:9000/", "x=1",
		    "/s3/site/a%20b/c.txt?x=1" },
		{ "https://s3.example.com:443", 1, "https://site.s3.example.com/", NULL,
		    "/a%20b/c.txt" },
		{ "https://[::1]:9443", 0, "https://[::1]:9443/", "list-type=2",
		    "/site/a%20b/c.txt?list-type=2" },
	};
	static struct s3_request req;
	struct sigv4_ctx sig;
	struct s3_endpoint ep;
	char err[256], origin[600], joined[S3_URL_MAX + 600];
	size_t i;

	ck_assert_int_eq(sigv4_init(&sig, "AK", "SK", "us-east-1", "s3"), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(s3_endpoint_init(&ep, cases[i].url, "site", "us-east-1",
		    cases[i].vhost, err, sizeof(err)), 0);
		ck_assert_int_eq(s3_endpoint_origin(&ep, origin, sizeof(origin)), 0);
		ck_assert_str_eq(origin, cases[i].origin);
		ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "a b/c.txt", 9,
		    cases[i].query, NULL, NULL, 0), 0);
		ck_assert_str_eq(req.url + req.target_off, cases[i].target);
		/* Origin (without its slash) and target make the whole URL. */
		snprintf(joined, sizeof(joined), "%.*s%s", (int)(strlen(origin) - 1), origin,
		    req.url + req.target_off);
		ck_assert_str_eq(joined, req.url);
	}
	ck_assert_int_eq(s3_endpoint_origin(&ep, origin, 10), -1);
}
END_TEST

START_TEST(test_build_refuses)
{
	static const char *const five[] = {
		"X-A: 1", "X-B: 2", "X-C: 3", "X-D: 4", "X-E: 5", NULL
	};
	static const char *const crlf[] = { "X-A: 1\r\nX-Evil: 2", NULL };
	static const char *const host[] = { "Host: other", NULL };
	static const char *const empty[] = { "X-Empty:  ", NULL };
	static const char *const noname[] = { ": x", NULL };
	static const char *const nocolon[] = { "X-A 1", NULL };
	static const char *const four[] = {
		"X-A: 1", "X-B: 2", "X-C: 3", "X-D: 4", NULL
	};
	static struct s3_request req;
	static char key[S3_KEY_MAX + 2], token[S3_TOKEN_MAX + 2];
	struct sigv4_ctx sig;
	struct s3_endpoint ep;
	char err[256];

	ck_assert_int_eq(s3_endpoint_init(&ep, "http://minio:9000", "site",
	    "us-east-1", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(sigv4_init(&sig, "AK", "SK", "us-east-1", "s3"), 0);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "k", 1,
	    NULL, NULL, five, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "k", 1,
	    NULL, NULL, crlf, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "k", 1,
	    NULL, NULL, host, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "k", 1,
	    NULL, NULL, empty, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "k", 1,
	    NULL, NULL, noname, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "k", 1,
	    NULL, NULL, nocolon, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "k", 1,
	    "a=b c", NULL, NULL, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", "k", 1,
	    "a=b#c", NULL, NULL, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "", "k", 1,
	    NULL, NULL, NULL, 0), -1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, "tok\nen", "GET",
	    "k", 1, NULL, NULL, NULL, 0), -1);
	ck_assert_str_eq(req.url, "");
	ck_assert_int_eq(req.nlines, 0);

	/* Four extras and a token: the most the chain has to carry. */
	memset(token, 'T', S3_TOKEN_MAX);
	token[S3_TOKEN_MAX] = '\0';
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, token, "GET", "k",
	    1, NULL, NULL, four, 0), 0);
	ck_assert_int_eq(req.nlines, 10);
	ck_assert_int_eq(chain_len(&req), 10);
	ck_assert_str_eq(chain_find(&req, "X-D:"), "X-D: 4");
	token[S3_TOKEN_MAX] = 'T';
	token[S3_TOKEN_MAX + 1] = '\0';
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, token, "GET", "k",
	    1, NULL, NULL, NULL, 0), -1);

	/* S3 keys are at most 1024 bytes. */
	memset(key, 'k', sizeof(key) - 1);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", key,
	    S3_KEY_MAX, NULL, NULL, NULL, 0), 0);
	ck_assert_int_eq(s3_request_build(&req, &sig, &ep, NULL, "GET", key,
	    S3_KEY_MAX + 1, NULL, NULL, NULL, 0), -1);
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
	ck_assert_int_eq(s3_error_code(body, strlen(body), code, 9), -1);
	ck_assert_int_eq(s3_error_code(body, strlen(body), code, 10), 0);
	/* The body is a length, not a C string; the tag is cut off here. */
	ck_assert_int_eq(s3_error_code(body, 60, code, sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Error><Message>x</Message></Error>",
	    35, code, sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Code></Code>", 13, code, sizeof(code)),
	    -1);
	ck_assert_int_eq(s3_error_code("<Code>AccessDenied", 18, code,
	    sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code("<Code> SlowDown </Code>", 23, code,
	    sizeof(code)), 0);
	ck_assert_str_eq(code, "SlowDown");
	ck_assert_int_eq(s3_error_code("", 0, code, sizeof(code)), -1);
	ck_assert_int_eq(s3_error_code(NULL, 0, code, sizeof(code)), -1);
}
END_TEST

/*
 * One scratch directory per test case, made and removed by the runner
 * itself (an unchecked fixture), so that it goes away even when a test
 * fails halfway through and its forked child never reaches a teardown.
 */
static char tmpdir[256];

static void
tmpdir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_sigv4.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		abort();
	}
}

static void
tmpdir_teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int
creds_try(const char *data, size_t len, char *out, size_t outsz, char *err,
    size_t errsz)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	write_file(path, data, len);
	return creds_read_file(path, out, outsz, err, errsz);
}

START_TEST(test_creds)
{
	char out[16], err[512], path[512];

	ck_assert_int_eq(creds_try("minioadmin\n", 11, out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "minioadmin");
	ck_assert_int_eq(creds_try("s3cr3t", 6, out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "s3cr3t");
	ck_assert_int_eq(creds_try("a b \t\r\n\n", 8, out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "a b");
	/* Exactly 15 bytes fit in 16, with the newline beyond the buffer. */
	ck_assert_int_eq(creds_try("123456789012345\n\n", 17, out,
	    sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "123456789012345");

	ck_assert_int_eq(creds_try("1234567890123456", 16, out, sizeof(out),
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(creds_try("", 0, out, sizeof(out), err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	ck_assert_int_eq(creds_try("\n \n", 3, out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	ck_assert_int_eq(creds_try("user\npass\n", 10, out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line"));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(creds_try("a\rb", 3, out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(creds_try("a\0b", 3, out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ck_assert_int_eq(creds_read_file(path, out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
	/* A directory cannot be read as a secret either. */
	ck_assert_int_eq(creds_read_file(tmpdir, out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, tmpdir));
	ck_assert_int_eq(creds_read_file(path, out, sizeof(out), NULL, 0), -1);
}
END_TEST

static void
check_line(const char *line, const char *re)
{
	regex_t rx;
	int rc;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&rx, line, 0, NULL, 0);
	regfree(&rx);
	ck_assert_msg(rc == 0, "\"%s\" does not match /%s/", line, re);
}

START_TEST(test_log_file)
{
	static char buf[16384];
	char path[512], old[600], re[256], msg[3000];
	enum log_level lv;
	const char *nl;

	snprintf(path, sizeof(path), "%s/error.log", tmpdir);
	ck_assert_int_eq(log_open("s3wwwd", path, LOG_L_INFO), 0);
	log_set_role("master");
	errno = ENOENT;
	log_error("cannot open %s: %d", "x", 42);
	ck_assert_int_eq(errno, ENOENT);
	log_debug("not shown");
	log_info("two\nlines\x01");
	slurp(path, buf, sizeof(buf));
	snprintf(re, sizeof(re), "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	    "[0-9]{2}Z s3wwwd\\[%ld\\] master: error: cannot open x: 42\n"
	    "[0-9T:Z-]{20} s3wwwd\\[%ld\\] master: info: two lines\\?\n$",
	    (long)getpid(), (long)getpid());
	check_line(buf, re);

	/* A message longer than 2 KiB is cut, still as one line. */
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_set_role("worker 3");
	log_set_level(LOG_L_DEBUG);
	log_debug("%s", msg);
	slurp(path, buf, sizeof(buf));
	nl = strstr(buf, "worker 3: debug: ");
	ck_assert_ptr_nonnull(nl);
	nl += strlen("worker 3: debug: ");
	ck_assert_uint_eq(strspn(nl, "x"), 2048);
	ck_assert_str_eq(nl + 2048, "\n");

	/* Rotation: the file is renamed, then reopened under its name. */
	snprintf(old, sizeof(old), "%s.1", path);
	ck_assert_int_eq(rename(path, old), 0);
	log_warn("after rotation");
	ck_assert_int_eq(log_reopen(), 0);
	log_warn("in the new file");
	slurp(old, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "after rotation"));
	ck_assert_ptr_null(strstr(buf, "new file"));
	slurp(path, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "warn: in the new file\n"));
	ck_assert_ptr_null(strstr(buf, "after rotation"));

	snprintf(old, sizeof(old), "%s/nodir/x.log", tmpdir);
	ck_assert_int_eq(log_open("s3wwwd", old, LOG_L_INFO), -1);
	ck_assert_int_eq(log_open("s3wwwd", NULL, LOG_L_INFO), 0);
	ck_assert_int_eq(log_reopen(), 0);
	log_set_role(NULL);

	ck_assert_int_eq(log_level_parse("ERROR", &lv), 0);
	ck_assert_int_eq(lv, LOG_L_ERROR);
	ck_assert_int_eq(log_level_parse("warning", &lv), 0);
	ck_assert_int_eq(lv, LOG_L_WARN);
	ck_assert_int_eq(log_level_parse("info", &lv), 0);
	ck_assert_int_eq(lv, LOG_L_INFO);
	ck_assert_int_eq(log_level_parse("debug", &lv), 0);
	ck_assert_int_eq(lv, LOG_L_DEBUG);
	ck_assert_int_eq(log_level_parse("verbose", &lv), -1);
	ck_assert_int_eq(log_level_parse(NULL, &lv), -1);
}
END_TEST

START_TEST(test_log_journal)
{
	static char buf[4096];
	char path[512], env[64], re[256];
	struct stat st;
	int fd, saved;

	/* Point stderr at a file and tell the log it is the journal. */
	snprintf(path, sizeof(path), "%s/journal", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	ck_assert_int_ne(fd, -1);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ne(saved, -1);
	ck_assert_int_ne(dup2(fd, STDERR_FILENO), -1);
	close(fd);
	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	ck_assert_int_eq(log_open("s3wwwd", NULL, LOG_L_DEBUG), 0);
	log_set_role("master");
	log_error("e");
	log_warn("w");
	log_info("i");
	log_debug("d");

	/* A stale JOURNAL_STREAM, inherited from elsewhere, does not count. */
	setenv("JOURNAL_STREAM", "1:2", 1);
	ck_assert_int_eq(log_open("s3wwwd", NULL, LOG_L_DEBUG), 0);
	log_error("plain");

	unsetenv("JOURNAL_STREAM");
	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	close(saved);
	ck_assert_int_eq(log_open("s3wwwd", NULL, LOG_L_INFO), 0);
	log_set_role(NULL);

	slurp(path, buf, sizeof(buf));
	snprintf(re, sizeof(re), "^<3>s3wwwd\\[%ld\\] master: error: e\n"
	    "<4>s3wwwd\\[[0-9]+\\] master: warn: w\n"
	    "<6>s3wwwd\\[[0-9]+\\] master: info: i\n"
	    "<7>s3wwwd\\[[0-9]+\\] master: debug: d\n"
	    "[0-9]{4}-[0-9T:Z-]{15} s3wwwd\\[[0-9]+\\] master: error: plain\n$",
	    (long)getpid());
	check_line(buf, re);
}
END_TEST

static int
vec_name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* List the get-* and post-* cases; the suite checks there are some. */
static void
find_vectors(void)
{
	DIR *d;
	struct dirent *de;
	size_t n;

	d = opendir(VECTORS_DIR);
	if (d == NULL) {
		fprintf(stderr, "cannot open %s: %s\n", VECTORS_DIR,
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && vec_count < VEC_MAX) {
		if (strncmp(de->d_name, "get-", 4) != 0 &&
		    strncmp(de->d_name, "post-", 5) != 0)
			continue;
		n = strlen(de->d_name);
		if (n >= sizeof(vec_names[0]))
			continue;
		memcpy(vec_names[vec_count++], de->d_name, n + 1);
	}
	closedir(d);
	qsort(vec_names, (size_t)vec_count, sizeof(vec_names[0]), vec_name_cmp);
}

static Suite *
sigv4_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("sigv4");

	tc = tcase_create("aws-vectors");
	tcase_add_test(tc, test_vectors_present);
	tcase_add_loop_test(tc, test_vector, 0, vec_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("uri-encode");
	tcase_add_test(tc, test_uri_encode_reserved);
	tcase_add_test(tc, test_uri_encode_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("canonical");
	tcase_add_test(tc, test_canon_path);
	tcase_add_test(tc, test_canon_query);
	tcase_add_test(tc, test_canon_headers);
	tcase_add_test(tc, test_canon_bad_input);
	tcase_add_test(tc, test_sign_requires_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("context");
	tcase_add_test(tc, test_init_and_clear);
	tcase_add_test(tc, test_amzdate);
	tcase_add_test(tc, test_key_cache);
	suite_add_tcase(s, tc);

	tc = tcase_create("s3");
	tcase_add_test(tc, test_endpoint_good);
	tcase_add_test(tc, test_endpoint_bad);
	tcase_add_test(tc, test_build_path_style);
	tcase_add_test(tc, test_build_anonymous);
	tcase_add_test(tc, test_build_virtual_host);
	tcase_add_test(tc, test_build_aws_example);
	tcase_add_test(tc, test_build_keys);
	tcase_add_test(tc, test_build_target);
	tcase_add_test(tc, test_build_refuses);
	tcase_add_test(tc, test_error_code);
	suite_add_tcase(s, tc);

	tc = tcase_create("creds");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_creds);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_log_file);
	tcase_add_test(tc, test_log_journal);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	find_vectors();
	sr = srunner_create(sigv4_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
