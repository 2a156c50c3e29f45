/*
 * sigv4.h - AWS Signature Version 4 request signing on OpenSSL.
 *
 * The signer is shared by the daemon and the seeding tool.  It is kept small
 * and free of libcurl so that it can be tested against AWS's published test
 * vectors with a pinned clock.  The signing key depends only on the secret,
 * the date, the region and the service, so it is derived once per day and
 * cached in the context: signing a request then costs two HMACs and a hash.
 */
#ifndef S3WWWD_SIGV4_H
#define S3WWWD_SIGV4_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define SIGV4_AMZDATE_LEN 16 /* "20150830T123600Z" */
#define SIGV4_AUTH_MAX 512   /* enough for any Authorization value we emit */

/* SHA-256 of the empty string, the payload hash of a GET or HEAD. */
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

struct sigv4_header {
	const char *name;  /* any case; lower-cased in the canonical request */
	const char *value; /* trimmed, inner runs of spaces folded to one */
};

struct sigv4_ctx {
	char access_key[128];
	char secret_key[128];
	char region[64];
	char service[32];
	int normalize_path; /* 1 for generic AWS services, 0 for S3 */
	char key_date[9];   /* YYYYMMDD of the cached key, "" if none */
	unsigned char key[32];
};

/*
 * Fill ctx.  Returns -1 if any string does not fit its buffer.  The secret is
 * copied; sigv4_clear() wipes it.
 */
int sigv4_init(struct sigv4_ctx *ctx, const char *access_key,
    const char *secret_key, const char *region, const char *service);
void sigv4_clear(struct sigv4_ctx *ctx);

/* Format t as an x-amz-date value; out must hold SIGV4_AMZDATE_LEN + 1. */
void sigv4_amzdate(time_t t, char *out);

/*
 * AWS URI encoding: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX with
 * upper-case hex; '/' is kept when keep_slash is set.  Returns the length
 * written (NUL-terminated) or -1 if out is too small.
 */
ssize_t sigv4_uri_encode(const char *in, size_t inlen, char *out,
    size_t outsz, int keep_slash);

/*
 * Build the canonical request for the given request into out.  uri is the
 * path exactly as sent on the wire (already encoded); when ctx->normalize_path
 * is set, dot segments and double slashes are removed and the path is encoded
 * once more, as the generic AWS services expect; S3 uses it verbatim.  query
 * is the raw query string as sent (without '?', may be NULL or empty); its
 * parameters are sorted by name, then value.  Header names are lower-cased,
 * values trimmed with inner space runs folded, duplicate names joined with
 * ',' in the order given, and the list sorted by name.  Returns the length or
 * -1 if out is too small or an argument is malformed.
 */
ssize_t sigv4_canonical_request(const struct sigv4_ctx *ctx,
    const char *method, const char *uri, const char *query,
    const struct sigv4_header *hdrs, size_t nhdrs, const char *payload_hash,
    char *out, size_t outsz, char *signed_headers, size_t shsz);

/*
 * Build the string to sign from a canonical request made by
 * sigv4_canonical_request(): the algorithm, amzdate, the credential scope
 * and the hex SHA-256 of the canonical request.  Exposed so that the tests
 * can compare it with the published vectors.  Returns the length or -1.
 */
ssize_t sigv4_string_to_sign(const struct sigv4_ctx *ctx, const char *amzdate,
    const char *canonical, size_t canonlen, char *out, size_t outsz);

/*
 * Sign a request with header-based authentication.  hdrs must include host
 * and x-amz-date (amzdate, as made by sigv4_amzdate), and for S3 also
 * x-amz-content-sha256 equal to payload_hash.  Writes the value of the
 * Authorization header into auth (at least SIGV4_AUTH_MAX bytes).  The
 * signing key is derived only when the date changes.  Returns 0 or -1.
 */
int sigv4_sign(struct sigv4_ctx *ctx, const char *method, const char *uri,
    const char *query, const struct sigv4_header *hdrs, size_t nhdrs,
    const char *payload_hash, const char *amzdate, char *auth, size_t authsz);

/* Hex-encode the SHA-256 of buf into out (65 bytes). */
void sigv4_sha256_hex(const void *buf, size_t len, char *out);

#endif
