/*
 * fuzz_sigv4.c - libFuzzer harness for the request signer and the S3
 * request builder: sigv4_uri_encode, sigv4_canonical_request (path-as-is
 * for S3 and normalised for other services), sigv4_sign, s3_endpoint_init,
 * s3_request_build and s3_error_code (common/sigv4.c, common/s3.c).
 *
 * The input is cut at NUL bytes into fields: method, uri, query, the object
 * key, the endpoint URL, the bucket, the session token and up to eight
 * header name/value pairs.  Missing fields get a harmless default, so short
 * inputs still reach the deep code.
 *
 * Besides memory errors it checks what the daemon relies on: what is
 * encoded decodes back to the input and holds only unreserved characters
 * and %XX; every buffer is NUL-terminated at the length returned; the same
 * input signs the same way twice; nothing that goes on the wire (URL and
 * header lines) holds a control byte, a space, or a CR/LF that could split
 * a header; and the URL's path is exactly what was signed.
 */
#include "fuzz.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3.h"
#include "sigv4.h"

#define NFIELDS 23

enum { F_METHOD, F_URI, F_QUERY, F_KEY, F_URL, F_BUCKET, F_TOKEN, F_HDR };

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* lower-case hex is not what SigV4 emits */
}

/* Encode with every buffer size around the exact need. */
static void
check_uri_encode(const char *in, size_t n, int keep_slash)
{
	static char out[4 * 4096 + 8], dec[4096 + 8];
	size_t need, i, o;
	ssize_t r;

	if (n > 4096)
		n = 4096;
	for (i = 0, need = 0; i < n; i++)
		need += unreserved((unsigned char)in[i]) || (keep_slash && in[i] == '/') ? 1 : 3;
	r = sigv4_uri_encode(in, n, out, need + 1, keep_slash);
	CHECK(r >= 0 && (size_t)r == need && out[need] == '\0');
	/* Decodes back to exactly the input. */
	for (i = 0, o = 0; i < (size_t)r; o++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '%') {
			CHECK(i + 2 < (size_t)r && hexval(out[i + 1]) >= 0 &&
			    hexval(out[i + 2]) >= 0);
			dec[o] = (char)(hexval(out[i + 1]) << 4 | hexval(out[i + 2]));
			CHECK(!unreserved((unsigned char)dec[o]) &&
			    !(keep_slash && dec[o] == '/'));
			i += 3;
		} else {
			CHECK(unreserved(c) || (keep_slash && c == '/'));
			dec[o] = (char)c;
			i++;
		}
	}
	CHECK(o == n && memcmp(dec, in, n) == 0);
	/* One byte short: refused, and the output is an empty string. */
	r = sigv4_uri_encode(in, n, out, need, keep_slash);
	CHECK(r == -1 && (need == 0 || out[0] == '\0'));
	CHECK(sigv4_uri_encode(in, n, out, 0, keep_slash) == -1);
}

static void
check_wire_line(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		CHECK(*p >= 0x20 || *p == '\t');
	CHECK(strchr(s, '\x7f') == NULL);
}

static void
check_canonical(struct sigv4_ctx *ctx, const char *method, const char *uri,
    const char *query, const struct sigv4_header *h, size_t nh)
{
	static char out[20000], out2[20000], sh[2048], sh2[2048], sts[1024];
	static char auth[SIGV4_AUTH_MAX], auth2[SIGV4_AUTH_MAX];
	ssize_t r, r2, s;
	int a, a2;

	r = sigv4_canonical_request(ctx, method, uri, query, h, nh, NULL, out,
	    sizeof(out), sh, sizeof(sh));
	CHECK(r >= -1);
	if (r >= 0) {
		CHECK(strlen(out) == (size_t)r);
		/* method, path, query, headers..., blank, signed list, hash. */
		CHECK(strncmp(out, method, strlen(method)) == 0 && out[strlen(method)] == '\n');
		CHECK(strcmp(out + r - 64, SIGV4_EMPTY_SHA256) == 0);
		if (!ctx->normalize_path && uri[0] != '\0')
			CHECK(strncmp(out + strlen(method) + 1, uri, strlen(uri)) == 0);
		r2 = sigv4_canonical_request(ctx, method, uri, query, h, nh, NULL, out2,
		    sizeof(out2), sh2, sizeof(sh2));
		CHECK(r2 == r && memcmp(out, out2, (size_t)r + 1) == 0 && strcmp(sh, sh2) == 0);
		/* Too small a buffer is an error, never a cut request. */
		r2 = sigv4_canonical_request(ctx, method, uri, query, h, nh, NULL, out2,
		    (size_t)r, sh2, sizeof(sh2));
		CHECK(r2 == -1);
		s = sigv4_string_to_sign(ctx, "20150830T123600Z", out, (size_t)r, sts, sizeof(sts));
		CHECK(s == -1 || strlen(sts) == (size_t)s);
	}
	a = sigv4_sign(ctx, method, uri, query, h, nh, NULL, "20150830T123600Z", auth,
	    sizeof(auth));
	a2 = sigv4_sign(ctx, method, uri, query, h, nh, NULL, "20150830T123600Z", auth2,
	    sizeof(auth2));
	CHECK(a == a2);
	if (a == 0) {
		CHECK(strcmp(auth, auth2) == 0);
		CHECK(strncmp(auth, "AWS4-HMAC-SHA256 Credential=", 28) == 0);
		/* The value goes into a header line. */
		CHECK(strchr(auth, '\r') == NULL && strchr(auth, '\n') == NULL);
	}
	/* A malformed date is refused, not signed. */
	CHECK(sigv4_sign(ctx, method, uri, query, h, nh, NULL, "2015", auth,
	    sizeof(auth)) == -1);
}

static void
check_build(struct sigv4_ctx *sig, const char *url, const char *bucket,
    const char *token, const char *method, const char *key, size_t keylen,
    const char *query, const char *const *extra, int vhost)
{
	static struct s3_request req;
	static struct s3_endpoint ep;
	char err[256];
	struct curl_slist *l;
	size_t n;
	int rc;

	if (s3_endpoint_init(&ep, url, bucket, "us-east-1", vhost, err, sizeof(err)) == -1) {
		CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
		return;
	}
	CHECK(strlen(ep.host) > 0);
	rc = s3_request_build(&req, sig, &ep, token, method, key, keylen, query, NULL,
	    extra, (time_t)1440938160);
	CHECK(rc == 0 || rc == -1);
	if (rc == -1)
		return;
	/* The URL goes to curl as is: no byte it would re-encode or cut. */
	CHECK(strncmp(req.url, ep.https ? "https://" : "http://", ep.https ? 8 : 7) == 0);
	for (n = 0; req.url[n] != '\0'; n++)
		CHECK((unsigned char)req.url[n] > 0x20 && (unsigned char)req.url[n] < 0x7f);
	CHECK(strchr(req.url, '#') == NULL);
	/* Every header line: one "Name: value", nothing that splits it. */
	for (l = &req.slist[0], n = 0; l != NULL; l = l->next, n++) {
		CHECK(n < S3_HDR_MAX + 4);
		CHECK(l->data != NULL && strchr(l->data, ':') != NULL);
		check_wire_line(l->data);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const defaults[F_HDR] = {
		"GET", "/", "", "index.html", "http://127.0.0.1:9000", "bucket", "",
	};
	static struct sigv4_ctx s3ctx, genctx;
	static int inited;
	char *copy, *f[NFIELDS];
	size_t flen[NFIELDS], nf, i, start;
	struct sigv4_header h[8];
	const char *extra[5];
	size_t nh, ne;

	if (!inited) {
		CHECK(sigv4_init(&s3ctx, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		    "us-east-1", "s3") == 0);
		CHECK(sigv4_init(&genctx, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		    "us-east-1", "service") == 0);
		inited = 1;
	}
	/* The whole input through the encoder first, binary bytes included. */
	check_uri_encode((const char *)data, size, 0);
	check_uri_encode((const char *)data, size, 1);

	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0, nf = 0, start = 0; i <= size && nf < NFIELDS; i++) {
		if (i == size || copy[i] == '\0') {
			f[nf] = copy + start;
			flen[nf++] = i - start;
			start = i + 1;
		}
	}
	for (i = nf; i < F_HDR; i++) {
		f[i] = (char *)defaults[i];
		flen[i] = strlen(defaults[i]);
	}
	if (nf < F_HDR)
		nf = F_HDR;

	for (nh = 0, i = F_HDR; i + 1 < nf && nh < 8; i += 2, nh++) {
		h[nh].name = f[i];
		h[nh].value = f[i + 1];
	}
	check_canonical(&s3ctx, f[F_METHOD], f[F_URI], f[F_QUERY], h, nh);
	check_canonical(&genctx, f[F_METHOD], f[F_URI], f[F_QUERY], h, nh);
	/* The signer's own header set, as s3.c uses it. */
	check_canonical(&s3ctx, f[F_METHOD], f[F_URI], f[F_QUERY], h, 0);

	/* Header fields become "Name: value" extra lines for the builder. */
	for (ne = 0, i = F_HDR; i < nf && ne < 4; i++)
		extra[ne++] = f[i];
	extra[ne] = NULL;
	check_build(&s3ctx, f[F_URL], f[F_BUCKET], f[F_TOKEN], f[F_METHOD], f[F_KEY],
	    flen[F_KEY], f[F_QUERY], extra, 0);
	check_build(&s3ctx, f[F_URL], f[F_BUCKET], f[F_TOKEN], f[F_METHOD], f[F_KEY],
	    flen[F_KEY], f[F_QUERY], NULL, 1);
	check_build(NULL, f[F_URL], f[F_BUCKET], NULL, f[F_METHOD], f[F_KEY], flen[F_KEY],
	    NULL, NULL, 0);

	/* S3 error bodies come from the network. */
	{
		char code[64];
		int rc = s3_error_code((const char *)data, size, code, sizeof(code));

		CHECK(rc == 0 || rc == -1);
		CHECK(strlen(code) < sizeof(code));
		/* The open tag may carry attributes, so its '>' need not follow. */
		if (rc == 0)
			CHECK(memmem(data, size, "<Code", 5) != NULL);
	}
	free(copy);
	return 0;
}
