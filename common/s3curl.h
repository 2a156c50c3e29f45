/*
 * s3curl.h - the libcurl options every S3 request of the project needs,
 * set in one place for the daemon and the seeding tool.
 *
 * Most of them protect the signature: SigV4 covers the path, the Host and
 * the headers exactly as sent, so curl must not rewrite the path, follow a
 * redirect to a host the request was not signed for, or add an encoding
 * the signer never saw.  The rest make a small request fast (no Nagle
 * delay, a connection kept alive) and safe to run in a process with signal
 * handlers of its own.
 */
#ifndef S3WWWD_S3CURL_H
#define S3WWWD_S3CURL_H

#include <curl/curl.h>

/*
 * Set on h: HTTP/1.1, CURLOPT_NOSIGNAL, TCP_NODELAY and TCP_KEEPALIVE,
 * only the http and https protocols, no redirects followed, the path sent
 * as is (CURLOPT_PATH_AS_IS), no content decoding, the connect timeout in
 * milliseconds, certificate and host name verification when tls_verify is
 * non-zero (off otherwise), and CURLOPT_CAINFO when ca_bundle is neither
 * NULL nor empty.  Callers add their own callbacks, URL and headers.
 * Returns 0, or -1 if libcurl refused an option, after which the handle
 * must not be used for a request: it may be only partly set up.
 */
int s3curl_defaults(CURL *h, long connect_timeout_ms, int tls_verify,
    const char *ca_bundle);

#endif
