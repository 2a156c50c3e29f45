/*
 * sigv4.c - AWS Signature Version 4 request signing on OpenSSL.
 *
 * Everything here works on caller-owned or stack buffers: a worker signs a
 * request per client request, and keeping malloc off that path keeps the
 * latency flat and the failure modes few.  The per-request hash and HMAC
 * run on OpenSSL contexts made once per thread (see struct hashers): the
 * one-shot SHA256() and HMAC() of OpenSSL 3 look the algorithm up in the
 * provider tables on every call, which cost more than the hashing itself.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "sigv4.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_MAX_HDRS 32    /* headers per request we are prepared to sort */
#define SIGV4_MAX_PARAMS 128 /* query parameters per request */
#define SIGV4_CANON_MAX 16384
#define SIGV4_STS_MAX 256

/* A bounded output buffer; once something does not fit, err sticks. */
struct sbuf {
	char *p;
	size_t sz;
	size_t len;
	int err;
};

/* One query parameter, still in the form it was given in. */
struct qparam {
	const char *name;
	size_t nlen;
	const char *val;
	size_t vlen;
};

/*
 * Walks a raw query component and yields its canonical (AWS-encoded) form one
 * character at a time, so that parameters can be compared and copied without
 * a scratch buffer for the re-encoded text.
 */
struct qiter {
	const char *p;
	const char *end;
	char pend[2];
	int npend;
};

static const char sigv4_hex_upper[] = "0123456789ABCDEF";
static const char sigv4_hex_lower[] = "0123456789abcdef";

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
is_hws(char c)
{
	/* CR and LF count too: a folded multi-line value is one value. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char
ascii_lower(char c)
{
	/* Not tolower(): the canonical form must not depend on the locale. */
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	/* One byte always stays free for the terminating NUL. */
	if (n >= b->sz - b->len) {
		b->err = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

static void
sbuf_addc(struct sbuf *b, char c)
{
	if (b->err)
		return;
	if (b->sz - b->len < 2) {
		b->err = 1;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void
sbuf_encode(struct sbuf *b, const char *s, size_t n, int keep_slash)
{
	ssize_t r;

	if (b->err)
		return;
	r = sigv4_uri_encode(s, n, b->p + b->len, b->sz - b->len, keep_slash);
	if (r == -1) {
		b->p[b->len] = '\0';
		b->err = 1;
		return;
	}
	b->len += (size_t)r;
}

/* Copy src into dst whole, or fail: a cut credential would sign wrongly. */
static int
copy_whole(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	n = strlen(src);
	if (n >= dstsz)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

int
sigv4_init(struct sigv4_ctx *ctx, const char *access_key,
    const char *secret_key, const char *region, const char *service)
{
	memset(ctx, 0, sizeof(*ctx));
	if (access_key == NULL || secret_key == NULL || region == NULL ||
	    service == NULL)
		return -1;
	if (copy_whole(ctx->access_key, sizeof(ctx->access_key),
	    access_key) == -1 ||
	    copy_whole(ctx->secret_key, sizeof(ctx->secret_key),
	    secret_key) == -1 ||
	    copy_whole(ctx->region, sizeof(ctx->region), region) == -1 ||
	    copy_whole(ctx->service, sizeof(ctx->service), service) == -1) {
		explicit_bzero(ctx, sizeof(*ctx));
		return -1;
	}
	/*
	 * S3 signs the path exactly as sent; every other service expects it
	 * normalised and encoded a second time.
	 */
	ctx->normalize_path = strcmp(service, "s3") != 0;
	ctx->key_date[0] = '\0';
	return 0;
}

/*
 * The contexts of the per-request hash and HMAC, fetched on first use and
 * kept for the life of the thread (a worker process has one).  The HMAC
 * context stays keyed with the last signing key, so that a request costs
 * a re-initialisation rather than a key schedule.  Where any of it cannot
 * be made, the one-shot functions are used instead.
 */
static _Thread_local struct hashers {
	int tried;
	EVP_MD *sha256;
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac;
	unsigned char mac_key[SHA256_DIGEST_LENGTH];
	int mac_keyed;
} hashers;

void
sigv4_clear(struct sigv4_ctx *ctx)
{
	struct hashers *h = &hashers;

	/* explicit_bzero() cannot be optimised away like a dead memset(). */
	explicit_bzero(ctx, sizeof(*ctx));
	/* The kept HMAC context holds a signing key: OpenSSL wipes it on free. */
	EVP_MAC_CTX_free(h->mac);
	EVP_MD_CTX_free(h->md);
	EVP_MD_free(h->sha256);
	explicit_bzero(h, sizeof(*h));
}

/*
 * The last date formatted, per thread: a worker signs thousands of requests
 * within the same second, and gmtime_r() takes glibc's time zone lock.
 */
static _Thread_local struct {
	time_t t;
	char s[SIGV4_AMZDATE_LEN + 1];
} amzdate_last;

void
sigv4_amzdate(time_t t, char *out)
{
	struct tm tm;

	if (amzdate_last.s[0] != '\0' && amzdate_last.t == t) {
		memcpy(out, amzdate_last.s, sizeof(amzdate_last.s));
		return;
	}
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, SIGV4_AMZDATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) !=
	    SIGV4_AMZDATE_LEN) {
		/* An empty date makes sigv4_sign() refuse instead of lying. */
		out[0] = '\0';
		return;
	}
	amzdate_last.t = t;
	memcpy(amzdate_last.s, out, sizeof(amzdate_last.s));
}

ssize_t
sigv4_uri_encode(const char *in, size_t inlen, char *out, size_t outsz,
    int keep_slash)
{
	size_t i, o;
	unsigned char c;

	if (out == NULL || outsz == 0)
		return -1;
	for (i = 0, o = 0; i < inlen; i++) {
		c = (unsigned char)in[i];
		if (is_unreserved(c) || (c == '/' && keep_slash)) {
			if (outsz - o < 2)
				goto toosmall;
			out[o++] = (char)c;
		} else {
			if (outsz - o < 4)
				goto toosmall;
			out[o++] = '%';
			out[o++] = sigv4_hex_upper[c >> 4];
			out[o++] = sigv4_hex_upper[c & 0x0f];
		}
	}
	out[o] = '\0';
	return (ssize_t)o;
toosmall:
	out[0] = '\0';
	return -1;
}

static struct hashers *
hashers_get(void)
{
	struct hashers *h = &hashers;

	if (!h->tried) {
		EVP_MAC *mac;

		h->tried = 1;
		h->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
		h->md = EVP_MD_CTX_new();
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (mac != NULL) {
			h->mac = EVP_MAC_CTX_new(mac);
			EVP_MAC_free(mac); /* the context holds its own reference */
		}
	}
	return h;
}

static void
sha256(const void *buf, size_t len, unsigned char *md)
{
	struct hashers *h = hashers_get();
	unsigned int mdlen;

	if (h->sha256 != NULL && h->md != NULL &&
	    EVP_DigestInit_ex2(h->md, h->sha256, NULL) == 1 &&
	    EVP_DigestUpdate(h->md, buf, len) == 1 &&
	    EVP_DigestFinal_ex(h->md, md, &mdlen) == 1)
		return;
	SHA256(buf, len, md);
}

void
sigv4_sha256_hex(const void *buf, size_t len, char *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	sha256(buf, len, md);
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = sigv4_hex_lower[md[i] >> 4];
		out[2 * i + 1] = sigv4_hex_lower[md[i] & 0x0f];
	}
	out[2 * sizeof(md)] = '\0';
}

/*
 * The canonical URI of the generic services: RFC 3986 dot segments removed,
 * empty segments dropped, every segment encoded once more.  The output is
 * built in place; a ".." simply cuts the output back to the previous slash,
 * which works because an encoded segment never contains one.
 */
static void
canon_path_normalized(struct sbuf *b, const char *uri)
{
	size_t base, n;
	const char *seg, *end;
	int dir;

	base = b->len;
	dir = 0;
	while (*uri == '/') {
		seg = uri + 1;
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		n = (size_t)(end - seg);
		if (n == 0 || (n == 1 && seg[0] == '.')) {
			dir = 1;
		} else if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (b->len > base && b->p[b->len - 1] != '/')
				b->len--;
			if (b->len > base)
				b->len--;
			if (!b->err)
				b->p[b->len] = '\0';
			dir = 1;
		} else {
			sbuf_addc(b, '/');
			sbuf_encode(b, seg, n, 0);
			dir = 0;
		}
		uri = end;
	}
	/* A path that ended on a directory keeps its trailing slash. */
	if (b->len == base || dir)
		sbuf_addc(b, '/');
}

static int
query_component_valid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3 || hex_value(s[i + 1]) == -1 ||
		    hex_value(s[i + 2]) == -1)
			return 0;
		i += 2;
	}
	return 1;
}

static void
qiter_init(struct qiter *it, const char *s, size_t n)
{
	it->p = s;
	it->end = s + n;
	it->npend = 0;
}

/*
 * Next character of the canonical form, or -1 at the end.  Decoding first
 * and encoding again means that "%2f", "%2F" and a literal byte that needs
 * encoding all come out the same, and nothing is encoded twice.
 */
static int
qiter_next(struct qiter *it)
{
	unsigned char c;

	if (it->npend > 0) {
		it->npend--;
		return (unsigned char)it->pend[1 - it->npend];
	}
	if (it->p >= it->end)
		return -1;
	if (*it->p == '%') {
		/* Validated beforehand, so both hex digits are there. */
		c = (unsigned char)(hex_value(it->p[1]) << 4 |
		    hex_value(it->p[2]));
		it->p += 3;
	} else {
		c = (unsigned char)*it->p++;
	}
	if (is_unreserved(c))
		return c;
	it->pend[0] = sigv4_hex_upper[c >> 4];
	it->pend[1] = sigv4_hex_upper[c & 0x0f];
	it->npend = 2;
	return '%';
}

static int
qcomp_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	struct qiter ia, ib;
	int ca, cb;

	qiter_init(&ia, a, alen);
	qiter_init(&ib, b, blen);
	do {
		ca = qiter_next(&ia);
		cb = qiter_next(&ib);
	} while (ca == cb && ca != -1);
	/* -1 at the end sorts a prefix before the longer string. */
	return ca - cb;
}

static int
qparam_cmp(const struct qparam *a, const struct qparam *b)
{
	int r;

	r = qcomp_cmp(a->name, a->nlen, b->name, b->nlen);
	if (r != 0)
		return r;
	return qcomp_cmp(a->val, a->vlen, b->val, b->vlen);
}

static void
sbuf_add_qcomp(struct sbuf *b, const char *s, size_t n)
{
	struct qiter it;
	int c;

	qiter_init(&it, s, n);
	while ((c = qiter_next(&it)) != -1)
		sbuf_addc(b, (char)c);
}

static int
canon_query(struct sbuf *b, const char *query)
{
	struct qparam params[SIGV4_MAX_PARAMS], tmp;
	const char *p, *end, *eq;
	size_t n, i, j;

	if (query == NULL)
		return 0;
	n = 0;
	for (p = query; *p != '\0'; p = (*end == '&') ? end + 1 : end) {
		end = strchr(p, '&');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p)
			continue; /* "a=1&&b=2" has no third parameter */
		if (n == SIGV4_MAX_PARAMS)
			return -1;
		eq = memchr(p, '=', (size_t)(end - p));
		params[n].name = p;
		if (eq == NULL) {
			params[n].nlen = (size_t)(end - p);
			params[n].val = end;
			params[n].vlen = 0;
		} else {
			params[n].nlen = (size_t)(eq - p);
			params[n].val = eq + 1;
			params[n].vlen = (size_t)(end - eq - 1);
		}
		if (!query_component_valid(params[n].name, params[n].nlen) ||
		    !query_component_valid(params[n].val, params[n].vlen))
			return -1;
		n++;
	}
	/* Insertion sort: few parameters, and qsort() may allocate. */
	for (i = 1; i < n; i++) {
		tmp = params[i];
		for (j = i; j > 0 && qparam_cmp(&params[j - 1], &tmp) > 0; j--)
			params[j] = params[j - 1];
		params[j] = tmp;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_addc(b, '&');
		sbuf_add_qcomp(b, params[i].name, params[i].nlen);
		sbuf_addc(b, '=');
		sbuf_add_qcomp(b, params[i].val, params[i].vlen);
	}
	return 0;
}

static int
hdr_name_valid(const char *name)
{
	const unsigned char *p;

	if (name == NULL || *name == '\0')
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == ':')
			return 0;
	}
	return 1;
}

static int
hdr_name_cmp(const char *a, const char *b)
{
	while (*a != '\0' && ascii_lower(*a) == ascii_lower(*b)) {
		a++;
		b++;
	}
	return (unsigned char)ascii_lower(*a) - (unsigned char)ascii_lower(*b);
}

static void
sbuf_add_lower(struct sbuf *b, const char *s)
{
	size_t n = strlen(s), i;

	if (b->err)
		return;
	if (n >= b->sz - b->len) {
		b->err = 1;
		return;
	}
	for (i = 0; i < n; i++)
		b->p[b->len + i] = ascii_lower(s[i]);
	b->len += n;
	b->p[b->len] = '\0';
}

/*
 * Trim the value and fold every run of white space into a single space,
 * copying the runs between them whole.
 */
static void
sbuf_add_folded(struct sbuf *b, const char *v)
{
	const char *run;

	while (is_hws(*v))
		v++;
	while (*v != '\0') {
		for (run = v; *v != '\0' && !is_hws(*v); v++)
			;
		sbuf_add(b, run, (size_t)(v - run));
		while (is_hws(*v))
			v++;
		if (*v != '\0')
			sbuf_addc(b, ' ');
	}
}

/*
 * Long because each of the six parts of the canonical request (AWS
 * SigV4) is written in order into one buffer, and they read best together.
 */
ssize_t
sigv4_canonical_request(const struct sigv4_ctx *ctx,
    const char *method, const char *uri, const char *query,
    const struct sigv4_header *hdrs, size_t nhdrs, const char *payload_hash,
    char *out, size_t outsz, char *signed_headers, size_t shsz)
{
	struct sbuf b = { out, outsz, 0, 0 };
	struct sbuf sh = { signed_headers, shsz, 0, 0 };
	size_t idx[SIGV4_MAX_HDRS];
	size_t i, j, t;
	const char *m;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (signed_headers != NULL && shsz > 0)
		signed_headers[0] = '\0';
	if (ctx == NULL || method == NULL || *method == '\0' ||
	    nhdrs > SIGV4_MAX_HDRS || (nhdrs > 0 && hdrs == NULL))
		return -1;
	for (m = method; *m != '\0'; m++) {
		if (*m <= ' ' || *m >= 0x7f)
			return -1;
	}
	if (uri == NULL || *uri == '\0')
		uri = "/";
	if (*uri != '/')
		return -1;
	if (payload_hash == NULL)
		payload_hash = SIGV4_EMPTY_SHA256;

	sbuf_adds(&b, method);
	sbuf_addc(&b, '\n');
	if (ctx->normalize_path)
		canon_path_normalized(&b, uri);
	else
		sbuf_adds(&b, uri);
	sbuf_addc(&b, '\n');
	if (canon_query(&b, query) == -1)
		return -1;
	sbuf_addc(&b, '\n');

	/*
	 * A stable sort keeps headers of the same name in the order given,
	 * which is the order their values must be joined in.
	 */
	for (i = 0; i < nhdrs; i++) {
		if (!hdr_name_valid(hdrs[i].name))
			return -1;
		idx[i] = i;
	}
	for (i = 1; i < nhdrs; i++) {
		t = idx[i];
		for (j = i; j > 0 &&
		    hdr_name_cmp(hdrs[idx[j - 1]].name, hdrs[t].name) > 0; j--)
			idx[j] = idx[j - 1];
		idx[j] = t;
	}
	for (i = 0; i < nhdrs; i++) {
		const struct sigv4_header *h = &hdrs[idx[i]];

		if (i > 0 && hdr_name_cmp(hdrs[idx[i - 1]].name, h->name) == 0) {
			sbuf_addc(&b, ',');
		} else {
			if (i > 0) {
				sbuf_addc(&b, '\n');
				sbuf_addc(&sh, ';');
			}
			sbuf_add_lower(&b, h->name);
			sbuf_addc(&b, ':');
			sbuf_add_lower(&sh, h->name);
		}
		sbuf_add_folded(&b, h->value != NULL ? h->value : "");
	}
	if (nhdrs > 0)
		sbuf_addc(&b, '\n');
	sbuf_addc(&b, '\n');

	/* The signed header list is part of the canonical request too. */
	for (i = 0; i < nhdrs; i++) {
		const char *name = hdrs[idx[i]].name;

		if (i > 0 && hdr_name_cmp(hdrs[idx[i - 1]].name, name) == 0)
			continue;
		if (i > 0)
			sbuf_addc(&b, ';');
		sbuf_add_lower(&b, name);
	}
	sbuf_addc(&b, '\n');
	sbuf_adds(&b, payload_hash);

	if (b.err || (signed_headers != NULL && sh.err))
		return -1;
	return (ssize_t)b.len;
}

static int
amzdate_valid(const char *d)
{
	size_t i;

	if (d == NULL || strlen(d) != SIGV4_AMZDATE_LEN || d[8] != 'T' ||
	    d[15] != 'Z')
		return 0;
	for (i = 0; i < SIGV4_AMZDATE_LEN; i++) {
		if (i != 8 && i != 15 && (d[i] < '0' || d[i] > '9'))
			return 0;
	}
	return 1;
}

/* The credential scope: date/region/service/aws4_request. */
static void
sigv4_add_scope(struct sbuf *b, const struct sigv4_ctx *ctx, const char *amzdate)
{
	sbuf_add(b, amzdate, 8);
	sbuf_addc(b, '/');
	sbuf_adds(b, ctx->region);
	sbuf_addc(b, '/');
	sbuf_adds(b, ctx->service);
	sbuf_adds(b, "/aws4_request");
}

ssize_t
sigv4_string_to_sign(const struct sigv4_ctx *ctx, const char *amzdate,
    const char *canonical, size_t canonlen, char *out, size_t outsz)
{
	char hash[2 * SHA256_DIGEST_LENGTH + 1];
	struct sbuf b = { out, outsz, 0, 0 };

	if (ctx == NULL || !amzdate_valid(amzdate) || canonical == NULL ||
	    out == NULL || outsz == 0)
		return -1;
	sigv4_sha256_hex(canonical, canonlen, hash);
	/* Piece by piece: snprintf() would parse its format on every request. */
	sbuf_adds(&b, SIGV4_ALGORITHM "\n");
	sbuf_add(&b, amzdate, SIGV4_AMZDATE_LEN);
	sbuf_addc(&b, '\n');
	sigv4_add_scope(&b, ctx, amzdate);
	sbuf_addc(&b, '\n');
	sbuf_add(&b, hash, 2 * SHA256_DIGEST_LENGTH);
	if (b.err) {
		out[0] = '\0';
		return -1;
	}
	return (ssize_t)b.len;
}

static int
hmac256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char *md)
{
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen) == NULL ||
	    mdlen != SHA256_DIGEST_LENGTH)
		return -1;
	return 0;
}

/* HMAC-SHA256 under a 32-byte signing key, on the kept context. */
static int
hmac256_signing(const unsigned char *key, const void *data, size_t len,
    unsigned char *md)
{
	struct hashers *h = hashers_get();
	size_t mdlen = 0;

	if (h->mac != NULL) {
		int ok;

		if (h->mac_keyed && memcmp(h->mac_key, key, sizeof(h->mac_key)) == 0) {
			ok = EVP_MAC_init(h->mac, NULL, 0, NULL) == 1;
		} else {
			OSSL_PARAM params[2];

			params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
			    (char *)"SHA256", 0);
			params[1] = OSSL_PARAM_construct_end();
			h->mac_keyed = 0;
			ok = EVP_MAC_init(h->mac, key, SHA256_DIGEST_LENGTH, params) == 1;
			if (ok) {
				memcpy(h->mac_key, key, sizeof(h->mac_key));
				h->mac_keyed = 1;
			}
		}
		if (ok && EVP_MAC_update(h->mac, data, len) == 1 &&
		    EVP_MAC_final(h->mac, md, &mdlen, SHA256_DIGEST_LENGTH) == 1 &&
		    mdlen == SHA256_DIGEST_LENGTH)
			return 0;
		h->mac_keyed = 0;
	}
	return hmac256(key, SHA256_DIGEST_LENGTH, data, len, md);
}

/*
 * The signing key depends on the date but not on the request, so it is
 * derived at most once per day; every signature in between costs a hash of
 * the canonical request and one HMAC.
 */
static int
derive_key(struct sigv4_ctx *ctx, const char *amzdate)
{
	char secret[4 + sizeof(ctx->secret_key)];
	unsigned char k1[SHA256_DIGEST_LENGTH], k2[SHA256_DIGEST_LENGTH];
	size_t slen;
	int rc;

	if (ctx->key_date[0] != '\0' && memcmp(ctx->key_date, amzdate, 8) == 0)
		return 0;
	slen = strlen(ctx->secret_key);
	memcpy(secret, "AWS4", 4);
	memcpy(secret + 4, ctx->secret_key, slen);
	rc = -1;
	if (hmac256(secret, 4 + slen, amzdate, 8, k1) == -1 ||
	    hmac256(k1, sizeof(k1), ctx->region, strlen(ctx->region), k2) == -1 ||
	    hmac256(k2, sizeof(k2), ctx->service, strlen(ctx->service), k1) == -1 ||
	    hmac256(k1, sizeof(k1), "aws4_request", 12, ctx->key) == -1) {
		ctx->key_date[0] = '\0';
		goto out;
	}
	memcpy(ctx->key_date, amzdate, 8);
	ctx->key_date[8] = '\0';
	rc = 0;
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(k1, sizeof(k1));
	explicit_bzero(k2, sizeof(k2));
	return rc;
}

static const struct sigv4_header *
find_header(const struct sigv4_header *hdrs, size_t nhdrs, const char *name)
{
	size_t i;

	for (i = 0; i < nhdrs; i++) {
		if (hdrs[i].name != NULL && hdr_name_cmp(hdrs[i].name, name) == 0)
			return &hdrs[i];
	}
	return NULL;
}

int
sigv4_sign(struct sigv4_ctx *ctx, const char *method, const char *uri,
    const char *query, const struct sigv4_header *hdrs, size_t nhdrs,
    const char *payload_hash, const char *amzdate, char *auth, size_t authsz)
{
	char canon[SIGV4_CANON_MAX];
	char signed_headers[SIGV4_AUTH_MAX];
	char sts[SIGV4_STS_MAX];
	char sighex[2 * SHA256_DIGEST_LENGTH + 1];
	unsigned char sig[SHA256_DIGEST_LENGTH];
	const struct sigv4_header *h;
	struct sbuf ab;
	ssize_t clen, slen;
	size_t i;

	if (auth == NULL || authsz == 0)
		return -1;
	auth[0] = '\0';
	if (ctx == NULL || !amzdate_valid(amzdate))
		return -1;
	if (payload_hash == NULL)
		payload_hash = SIGV4_EMPTY_SHA256;
	/*
	 * A request whose x-amz-date disagrees with the credential scope, or
	 * an S3 request without its payload hash, would only be refused by
	 * the server with a less helpful error; refuse it here.
	 */
	if (find_header(hdrs, nhdrs, "host") == NULL)
		return -1;
	h = find_header(hdrs, nhdrs, "x-amz-date");
	if (h == NULL || h->value == NULL || strcmp(h->value, amzdate) != 0)
		return -1;
	if (strcmp(ctx->service, "s3") == 0) {
		h = find_header(hdrs, nhdrs, "x-amz-content-sha256");
		if (h == NULL || h->value == NULL ||
		    strcmp(h->value, payload_hash) != 0)
			return -1;
	}

	clen = sigv4_canonical_request(ctx, method, uri, query, hdrs, nhdrs,
	    payload_hash, canon, sizeof(canon), signed_headers,
	    sizeof(signed_headers));
	if (clen == -1)
		return -1;
	slen = sigv4_string_to_sign(ctx, amzdate, canon, (size_t)clen, sts,
	    sizeof(sts));
	if (slen == -1)
		return -1;
	if (derive_key(ctx, amzdate) == -1)
		return -1;
	if (hmac256_signing(ctx->key, sts, (size_t)slen, sig) == -1)
		return -1;
	for (i = 0; i < sizeof(sig); i++) {
		sighex[2 * i] = sigv4_hex_lower[sig[i] >> 4];
		sighex[2 * i + 1] = sigv4_hex_lower[sig[i] & 0x0f];
	}
	sighex[2 * sizeof(sig)] = '\0';

	ab.p = auth;
	ab.sz = authsz;
	ab.len = 0;
	ab.err = 0;
	sbuf_adds(&ab, SIGV4_ALGORITHM " Credential=");
	sbuf_adds(&ab, ctx->access_key);
	sbuf_addc(&ab, '/');
	sigv4_add_scope(&ab, ctx, amzdate);
	sbuf_adds(&ab, ", SignedHeaders=");
	sbuf_adds(&ab, signed_headers);
	sbuf_adds(&ab, ", Signature=");
	sbuf_add(&ab, sighex, 2 * sizeof(sig));
	if (ab.err) {
		auth[0] = '\0';
		return -1;
	}
	return 0;
}
