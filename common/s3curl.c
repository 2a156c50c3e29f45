/*
 * s3curl.c - the libcurl options every S3 request of the project needs.
 *
 * Each option is checked: a libcurl too old for one, or built without
 * something asked for, must stop the caller before it sends a request
 * that is not what was signed, rather than go on with curl's default.
 */
#include "s3curl.h"

#define S3CURL_SET(h, opt, val) do { \
	if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) \
		return -1; \
} while (0)

int
s3curl_defaults(CURL *h, long connect_timeout_ms, int tls_verify,
    const char *ca_bundle)
{
	if (h == NULL)
		return -1;
	/*
	 * Both clients are written and tested against HTTP/1.1; an https
	 * endpoint that offers HTTP/2 through ALPN would otherwise get it,
	 * with connection sharing and header handling that were not tested.
	 */
	S3CURL_SET(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	/*
	 * libcurl would otherwise use signals (SIGALRM around name lookups),
	 * which clash with the daemon's signalfd and the tool's handlers.
	 */
	S3CURL_SET(h, CURLOPT_NOSIGNAL, 1L);
	S3CURL_SET(h, CURLOPT_TCP_NODELAY, 1L);
	S3CURL_SET(h, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * Neither file:// nor anything else an endpoint URL could name is
	 * ever wanted.  CURLOPT_PROTOCOLS_STR arrived in libcurl 7.85, which
	 * also deprecated the bit mask that older versions understand.
	 */
#if LIBCURL_VERSION_NUM >= 0x075500
	S3CURL_SET(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	S3CURL_SET(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A redirect would carry a signature made for another host and path. */
	S3CURL_SET(h, CURLOPT_FOLLOWLOCATION, 0L);
	/*
	 * The path is signed byte for byte: curl must not squash "/./" or
	 * "/../" in a key, which would send (and fetch) something else.
	 */
	S3CURL_SET(h, CURLOPT_PATH_AS_IS, 1L);
	/*
	 * No Accept-Encoding is sent (it is not signed), and an object stored
	 * with a Content-Encoding is passed on as stored, not decoded.
	 */
	S3CURL_SET(h, CURLOPT_ACCEPT_ENCODING, (char *)NULL);
	S3CURL_SET(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	S3CURL_SET(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	S3CURL_SET(h, CURLOPT_SSL_VERIFYPEER, tls_verify ? 1L : 0L);
	S3CURL_SET(h, CURLOPT_SSL_VERIFYHOST, tls_verify ? 2L : 0L);
	if (ca_bundle != NULL && ca_bundle[0] != '\0')
		S3CURL_SET(h, CURLOPT_CAINFO, ca_bundle);
	return 0;
}
