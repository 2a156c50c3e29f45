/*
 * s3.h - building signed S3 requests: the endpoint, the object URL and the
 * headers that carry the signature.
 *
 * Both the daemon and the seeding tool go through here, so that there is one
 * place that decides how a key is encoded on the wire and how it is signed.
 * Nothing here allocates: the request is built into a caller-owned struct,
 * including a ready-made curl_slist chain whose nodes point into that struct,
 * so a worker can sign a request per client request without touching malloc.
 */
#ifndef S3WWWD_S3_H
#define S3WWWD_S3_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

#include "sigv4.h"

#define S3_URL_MAX 4096
#define S3_KEY_MAX 1024 /* S3 limits keys to 1024 bytes */
#define S3_HDR_MAX 8
/*
 * Session tokens from STS are commonly 600 to 2000 bytes, far more than a
 * header line above holds, so the token gets a line of its own; a longer
 * token is refused.
 */
#define S3_TOKEN_MAX 4096

struct s3_endpoint {
	int https;            /* 1 for https:// */
	char host[256];       /* host[:port], as curl sends it in Host */
	char base_path[256];  /* path part of the endpoint URL, "" or "/x" */
	char bucket[64];
	int virtual_host;     /* bucket.host instead of host/bucket */
	char region[64];
};

/*
 * Parse an endpoint URL ("http://127.0.0.1:9000", "https://s3.example.com",
 * or a bare "host:port", taken as https like s3www does).  Returns 0, or -1
 * with a message in err.  A default port (":443" for https, ":80" for http)
 * is dropped from host, because curl leaves it out of the Host header it
 * sends and the signature has to cover exactly that.  An empty region means
 * "us-east-1".
 */
int s3_endpoint_init(struct s3_endpoint *ep, const char *url,
    const char *bucket, const char *region, int virtual_host, char *err,
    size_t errsz);

/*
 * The URL of the endpoint's origin, "http(s)://host/" with the bucket's
 * label in front of the host for virtual-host style: the part of every
 * request URL before its request target (s3_request's target_off), which
 * a caller may hand to libcurl once, parsed, and then only the target per
 * request.  Returns 0, or -1 if it does not fit in outsz.
 */
int s3_endpoint_origin(const struct s3_endpoint *ep, char *out, size_t outsz);

/*
 * A request ready to hand to libcurl.  slist[0] .. slist[nlines - 1] form
 * the header chain; their data points into lines, token_line or a constant
 * "Expect:" line.  Set CURLOPT_PATH_AS_IS on the handle: otherwise curl
 * removes "/./" and "/../" from a key's path and the request no longer
 * matches its signature (nor names the object).
 */
struct s3_request {
	char url[S3_URL_MAX];
	size_t target_off; /* url + target_off: the path and query, as sent */
	char lines[S3_HDR_MAX][SIGV4_AUTH_MAX + 64]; /* "Name: value" */
	struct curl_slist slist[S3_HDR_MAX + 4];      /* chain over lines */
	int nlines;
	char token_line[S3_TOKEN_MAX + 32]; /* "x-amz-security-token: ..." */
};

/*
 * Build method + key (raw bytes, not encoded; "" for the bucket itself) +
 * query (already encoded, canonical order not required, may be NULL), signed
 * with sig at time now (sig NULL: unsigned, for a public bucket).
 * token is the session token or NULL.  extra holds up
 * to four more header lines ("Name: value") to send and sign, for example
 * Content-Type on a PUT; pass NULL when none.  Returns 0 or -1 if something
 * does not fit.  req->slist[0] is the head of the header chain.
 *
 * extra is terminated by a NULL pointer.  An extra line with an empty value
 * is refused, since curl would take "Name:" as "remove this header" and send
 * something other than what was signed; so is one that repeats a header
 * this function sets itself.  payload_hash NULL means the hash of an empty
 * body.
 */
int s3_request_build(struct s3_request *req, struct sigv4_ctx *sig,
    const struct s3_endpoint *ep, const char *token, const char *method,
    const char *key, size_t keylen, const char *query,
    const char *payload_hash, const char *const *extra, time_t now);

/*
 * A per-object website redirect target (x-amz-website-redirect-location),
 * as AWS requires it and as the daemon honours it: a path with one leading
 * '/' ("//host" and "/\\host" are another host to a browser) or an
 * absolute http(s) URL whose host starts with a letter, a digit or '[',
 * with no spaces, control characters or non-ASCII bytes, and at most
 * S3_REDIRECT_MAX bytes (what the daemon reads of the header).  The daemon
 * answers with it, the seeding tool refuses to store anything else.
 * Returns NULL for a good target, else why it is not one.
 */
#define S3_REDIRECT_MAX 255
const char *s3_redirect_target_why(const char *target);

/*
 * Pull the <Code> of an S3 XML error body (for example "NoSuchKey") into
 * out, with surrounding white space trimmed and entities decoded (the body
 * is read with xml_find and xml_text, see xml.h).  Returns 0 if found, -1
 * if there is none, it is empty, holds markup or does not fit in outsz.
 */
int s3_error_code(const char *body, size_t len, char *out, size_t outsz);

#endif
