/*
 * s3.c - building signed S3 requests: the endpoint, the object URL and the
 * headers that carry the signature.
 *
 * The rule everything here follows is that we sign exactly what curl puts
 * on the wire: the path as it appears in the URL, and the Host header curl
 * derives from the URL.  Any difference between the two shows up only as a
 * SignatureDoesNotMatch from the server, which is hard to debug.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "s3.h"
#include "xml.h"

#define S3_EXTRA_MAX 4
#define S3_DEFAULT_REGION "us-east-1"

/*
 * Sent but not signed: an empty Expect header stops curl from waiting for
 * "100 Continue" before a PUT body, which S3 and MinIO do not need.
 */
static char s3_expect_line[] = "Expect:";
/* libcurl adds "Accept" for any type by default, which tells S3 nothing. */
static char s3_accept_line[] = "Accept:";

/* Headers set here; an extra line may not name them a second time. */
static const char *const s3_own_headers[] = {
	"host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
	"authorization", "expect", NULL
};

static void
s3_err(char *err, size_t errsz, const char *msg, const char *arg)
{
	if (err == NULL || errsz == 0)
		return;
	if (arg != NULL)
		snprintf(err, errsz, "%s: \"%s\"", msg, arg);
	else
		snprintf(err, errsz, "%s", msg);
}

static int
is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static int
is_unreserved(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Parse a decimal port number of 1..65535 that spans exactly n bytes. */
static int
parse_port(const char *s, size_t n)
{
	size_t i;
	long v;

	if (n == 0 || n > 5)
		return -1;
	v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/*
 * Check "name", "name:port", "[v6]" or "[v6]:port" and return the length of
 * the part before the port, or -1.  *port gets the port, 0 if none.
 */
static ssize_t
parse_authority(const char *h, size_t n, int *port)
{
	const char *colon, *close;
	size_t i, namelen;

	*port = 0;
	if (n == 0)
		return -1;
	if (h[0] == '[') {
		close = memchr(h, ']', n);
		if (close == NULL || close == h + 1)
			return -1;
		for (i = 1; h + i < close; i++) {
			if (!is_alnum((unsigned char)h[i]) && h[i] != ':' &&
			    h[i] != '.')
				return -1;
		}
		namelen = (size_t)(close - h) + 1;
	} else {
		colon = memchr(h, ':', n);
		namelen = colon != NULL ? (size_t)(colon - h) : n;
		if (namelen == 0)
			return -1;
		for (i = 0; i < namelen; i++) {
			if (!is_alnum((unsigned char)h[i]) && h[i] != '-' &&
			    h[i] != '.' && h[i] != '_')
				return -1;
		}
	}
	if (namelen == n)
		return (ssize_t)namelen;
	if (h[namelen] != ':')
		return -1;
	*port = parse_port(h + namelen + 1, n - namelen - 1);
	if (*port == -1)
		return -1;
	return (ssize_t)namelen;
}

/*
 * The base path is sent and signed verbatim, so it may only hold characters
 * that need no encoding, and no dot segments, which curl would remove.
 */
static int
base_path_valid(const char *p, size_t n)
{
	size_t i, seg;

	for (i = 0; i < n; i++) {
		if (p[i] != '/' && !is_unreserved((unsigned char)p[i]))
			return 0;
	}
	for (i = 0; i < n; i = seg) {
		i++; /* skip the slash */
		for (seg = i; seg < n && p[seg] != '/'; seg++)
			;
		if ((seg - i == 1 && p[i] == '.') ||
		    (seg - i == 2 && p[i] == '.' && p[i + 1] == '.'))
			return 0;
	}
	return 1;
}

static int
bucket_valid(const char *b, int virtual_host)
{
	size_t i, n;
	unsigned char c;

	n = strlen(b);
	if (n < 3 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)b[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-')
			continue;
		/*
		 * Legacy buckets may carry capitals and underscores; they
		 * still work in a path, but not as a DNS label.
		 */
		if (!virtual_host && ((c >= 'A' && c <= 'Z') || c == '_'))
			continue;
		return 0;
	}
	return 1;
}

static int
region_valid(const char *r)
{
	for (; *r != '\0'; r++) {
		if (!is_alnum((unsigned char)*r) && *r != '-' && *r != '_')
			return 0;
	}
	return 1;
}

/*
 * Long because the URL forms (scheme or none, port or none, a path, IPv6
 * brackets) are checked in one pass, each with its own message.
 */
int
s3_endpoint_init(struct s3_endpoint *ep, const char *url,
    const char *bucket, const char *region, int virtual_host, char *err,
    size_t errsz)
{
	const char *rest, *sep, *path;
	size_t hostlen, pathlen, n;
	ssize_t namelen;
	int port;

	memset(ep, 0, sizeof(*ep));
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (url == NULL || *url == '\0') {
		s3_err(err, errsz, "the endpoint URL is empty", NULL);
		return -1;
	}
	sep = strstr(url, "://");
	if (sep == NULL) {
		/* A bare "host:port" is https, as in s3www. */
		ep->https = 1;
		rest = url;
	} else if (sep - url == 5 && strncasecmp(url, "https", 5) == 0) {
		ep->https = 1;
		rest = sep + 3;
	} else if (sep - url == 4 && strncasecmp(url, "http", 4) == 0) {
		ep->https = 0;
		rest = sep + 3;
	} else {
		s3_err(err, errsz, "the endpoint URL must start with http:// or "
		    "https://", url);
		return -1;
	}

	hostlen = strcspn(rest, "/?#");
	path = rest + hostlen;
	if (memchr(rest, '@', hostlen) != NULL) {
		s3_err(err, errsz, "user information is not supported in the "
		    "endpoint URL", url);
		return -1;
	}
	namelen = parse_authority(rest, hostlen, &port);
	if (namelen == -1) {
		s3_err(err, errsz, "bad host or port in the endpoint URL", url);
		return -1;
	}
	/*
	 * curl leaves a default port out of the Host header even when the
	 * URL spells it out, so drop it here and sign what curl sends.
	 */
	if ((ep->https && port == 443) || (!ep->https && port == 80))
		hostlen = (size_t)namelen;
	if (hostlen >= sizeof(ep->host)) {
		s3_err(err, errsz, "the endpoint host is too long", url);
		return -1;
	}
	memcpy(ep->host, rest, hostlen);
	ep->host[hostlen] = '\0';

	if (strpbrk(path, "?#") != NULL) {
		s3_err(err, errsz, "the endpoint URL may not carry a query or "
		    "fragment", url);
		return -1;
	}
	pathlen = strlen(path);
	while (pathlen > 0 && path[pathlen - 1] == '/')
		pathlen--;
	if (!base_path_valid(path, pathlen)) {
		s3_err(err, errsz, "the endpoint path may only hold letters, "
		    "digits, '-', '.', '_', '~' and '/'", url);
		return -1;
	}
	if (pathlen >= sizeof(ep->base_path)) {
		s3_err(err, errsz, "the endpoint path is too long", url);
		return -1;
	}
	memcpy(ep->base_path, path, pathlen);
	ep->base_path[pathlen] = '\0';

	if (bucket == NULL || !bucket_valid(bucket, virtual_host)) {
		s3_err(err, errsz, virtual_host ?
		    "the bucket name must be 3 to 63 characters of a-z, 0-9, "
		    "'.' and '-' for virtual-host style" :
		    "the bucket name must be 3 to 63 characters of a-z, A-Z, "
		    "0-9, '.', '-' and '_'", bucket != NULL ? bucket : "");
		return -1;
	}
	/* bucket_valid() has checked that the name fits. */
	memcpy(ep->bucket, bucket, strlen(bucket) + 1);
	ep->virtual_host = virtual_host != 0;
	if (ep->virtual_host &&
	    strlen(ep->bucket) + 1 + strlen(ep->host) >= sizeof(ep->host)) {
		s3_err(err, errsz, "the bucket and host name are too long",
		    url);
		return -1;
	}

	if (region == NULL || *region == '\0')
		region = S3_DEFAULT_REGION;
	n = strlen(region);
	if (n >= sizeof(ep->region) || !region_valid(region)) {
		s3_err(err, errsz, "bad region name", region);
		return -1;
	}
	memcpy(ep->region, region, n + 1);
	return 0;
}

int
s3_endpoint_origin(const struct s3_endpoint *ep, char *out, size_t outsz)
{
	int n;

	if (ep->virtual_host)
		n = snprintf(out, outsz, "%s://%s.%s/", ep->https ? "https" : "http",
		    ep->bucket, ep->host);
	else
		n = snprintf(out, outsz, "%s://%s/", ep->https ? "https" : "http", ep->host);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static int
line_valid(const char *s)
{
	const unsigned char *p;

	/* CR or LF in a header line would let its value inject headers. */
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return 0;
	}
	return 1;
}

/*
 * Split the extra line "Name: value" into a NUL-terminated name in name[]
 * and a pointer to the value, refusing what could not be signed faithfully.
 */
static int
parse_extra(const char *line, char *name, size_t namesz, const char **value)
{
	const char *colon, *v;
	size_t n, i;

	if (!line_valid(line))
		return -1;
	colon = strchr(line, ':');
	if (colon == NULL || colon == line)
		return -1;
	n = (size_t)(colon - line);
	if (n >= namesz)
		return -1;
	for (i = 0; i < n; i++) {
		if (line[i] <= ' ' || line[i] >= 0x7f)
			return -1;
	}
	memcpy(name, line, n);
	name[n] = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (*v == '\0')
		return -1;
	for (i = 0; s3_own_headers[i] != NULL; i++) {
		if (strcasecmp(name, s3_own_headers[i]) == 0)
			return -1;
	}
	*value = colon + 1;
	return 0;
}

static int
query_valid(const char *q)
{
	const unsigned char *p;

	/*
	 * The query goes into the URL verbatim; anything curl would have to
	 * encode or cut off would make the request differ from what we sign.
	 */
	for (p = (const unsigned char *)q; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '#')
			return 0;
	}
	return 1;
}

/*
 * Append n bytes of s to dst (dstsz bytes, *len used), keeping it
 * NUL-terminated; -1 when they do not fit.  The request is assembled with
 * this rather than snprintf(), which would parse a format string a dozen
 * times for every request a worker signs.
 */
static int
s3_put(char *dst, size_t dstsz, size_t *len, const char *s, size_t n)
{
	if (n >= dstsz - *len)
		return -1;
	memcpy(dst + *len, s, n);
	*len += n;
	dst[*len] = '\0';
	return 0;
}

static int
s3_puts(char *dst, size_t dstsz, size_t *len, const char *s)
{
	return s3_put(dst, dstsz, len, s, strlen(s));
}

static int
add_line(char *dst, size_t dstsz, const char *name, const char *value)
{
	size_t len = 0;

	return s3_puts(dst, dstsz, &len, name) == -1 || s3_put(dst, dstsz, &len, ": ", 2) == -1 ||
	    s3_puts(dst, dstsz, &len, value) == -1 ? -1 : 0;
}

/*
 * Long because the request is built in place without allocation: URL,
 * canonical headers, signature and the header list, one fixed buffer each,
 * and splitting it would only pass those buffers around.
 */
int
s3_request_build(struct s3_request *req, struct sigv4_ctx *sig,
    const struct s3_endpoint *ep, const char *token, const char *method,
    const char *key, size_t keylen, const char *query,
    const char *payload_hash, const char *const *extra, time_t now)
{
	struct sigv4_header hdrs[4 + S3_EXTRA_MAX];
	char names[S3_EXTRA_MAX][64];
	char amzdate[SIGV4_AMZDATE_LEN + 1];
	char host[sizeof(ep->bucket) + sizeof(ep->host)];
	char auth[SIGV4_AUTH_MAX];
	char *chain[S3_HDR_MAX + 4];
	const char *uri;
	size_t nhdrs, nextra, pathoff, ulen, hlen, i;
	ssize_t r;
	int nchain;

	if (req == NULL)
		return -1;
	req->url[0] = '\0';
	req->nlines = 0;
	if (ep == NULL || method == NULL || *method == '\0' ||
	    (key == NULL && keylen > 0) || keylen > S3_KEY_MAX)
		return -1;
	if (payload_hash == NULL)
		payload_hash = SIGV4_EMPTY_SHA256;
	if (token != NULL && *token == '\0')
		token = NULL;
	if (token != NULL &&
	    (strlen(token) > S3_TOKEN_MAX || !line_valid(token)))
		return -1;
	if (!line_valid(payload_hash))
		return -1;
	if (query != NULL && *query == '\0')
		query = NULL;
	if (query != NULL && !query_valid(query))
		return -1;

	sigv4_amzdate(now, amzdate);
	if (amzdate[0] == '\0')
		return -1;

	hlen = 0;
	if ((ep->virtual_host && (s3_puts(host, sizeof(host), &hlen, ep->bucket) == -1 ||
	    s3_put(host, sizeof(host), &hlen, ".", 1) == -1)) ||
	    s3_puts(host, sizeof(host), &hlen, ep->host) == -1)
		return -1;

	/* The URL without its query first: its path is what gets signed. */
	ulen = 0;
	if (s3_puts(req->url, sizeof(req->url), &ulen, ep->https ? "https://" : "http://") == -1 ||
	    s3_put(req->url, sizeof(req->url), &ulen, host, hlen) == -1)
		goto toolong;
	pathoff = ulen;
	if (s3_puts(req->url, sizeof(req->url), &ulen, ep->base_path) == -1 ||
	    (!ep->virtual_host && (s3_put(req->url, sizeof(req->url), &ulen, "/", 1) == -1 ||
	    s3_puts(req->url, sizeof(req->url), &ulen, ep->bucket) == -1)) ||
	    s3_put(req->url, sizeof(req->url), &ulen, "/", 1) == -1)
		goto toolong;
	r = sigv4_uri_encode(key, keylen, req->url + ulen,
	    sizeof(req->url) - ulen, 1);
	if (r == -1)
		goto toolong;
	ulen += (size_t)r;
	uri = req->url + pathoff;
	req->target_off = pathoff;

	nhdrs = 0;
	hdrs[nhdrs].name = "host";
	hdrs[nhdrs++].value = host;
	hdrs[nhdrs].name = "x-amz-content-sha256";
	hdrs[nhdrs++].value = payload_hash;
	hdrs[nhdrs].name = "x-amz-date";
	hdrs[nhdrs++].value = amzdate;
	if (token != NULL) {
		hdrs[nhdrs].name = "x-amz-security-token";
		hdrs[nhdrs++].value = token;
	}
	nextra = 0;
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (nextra == S3_EXTRA_MAX ||
		    parse_extra(extra[i], names[nextra], sizeof(names[nextra]),
		    &hdrs[nhdrs].value) == -1)
			goto toolong;
		hdrs[nhdrs++].name = names[nextra++];
	}

	/* Without credentials the request goes out unsigned (public buckets). */
	if (sig != NULL && sigv4_sign(sig, method, uri, query, hdrs, nhdrs, payload_hash,
	    amzdate, auth, sizeof(auth)) == -1)
		goto toolong;

	if (query != NULL && (s3_put(req->url, sizeof(req->url), &ulen, "?", 1) == -1 ||
	    s3_puts(req->url, sizeof(req->url), &ulen, query) == -1))
		goto toolong;

	/*
	 * An unsigned request carries no x-amz-date or payload hash: they only
	 * serve the signature, and the server would parse them for nothing.
	 */
	nchain = 0;
	if (sig != NULL) {
		if (add_line(req->lines[0], sizeof(req->lines[0]), "x-amz-date",
		    amzdate) == -1 ||
		    add_line(req->lines[1], sizeof(req->lines[1]),
		    "x-amz-content-sha256", payload_hash) == -1 ||
		    add_line(req->lines[2], sizeof(req->lines[2]), "Authorization",
		    auth) == -1)
			goto toolong;
		for (i = 0; i < 3; i++)
			chain[nchain++] = req->lines[i];
	}
	if (token != NULL) {
		if (add_line(req->token_line, sizeof(req->token_line),
		    "x-amz-security-token", token) == -1)
			goto toolong;
		chain[nchain++] = req->token_line;
	}
	for (i = 0; i < nextra; i++) {
		size_t llen = 0;

		/* Sent exactly as given; the signature used its trimmed value. */
		if (s3_puts(req->lines[3 + i], sizeof(req->lines[3 + i]), &llen, extra[i]) == -1)
			goto toolong;
		chain[nchain++] = req->lines[3 + i];
	}
	chain[nchain++] = s3_expect_line;
	chain[nchain++] = s3_accept_line;

	for (i = 0; i < (size_t)nchain; i++) {
		req->slist[i].data = chain[i];
		req->slist[i].next = (i + 1 < (size_t)nchain) ?
		    &req->slist[i + 1] : NULL;
	}
	req->nlines = nchain;
	return 0;
toolong:
	req->url[0] = '\0';
	req->nlines = 0;
	return -1;
}

static int
s3_is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

int
s3_error_code(const char *body, size_t len, char *out, size_t outsz)
{
	const char *v;
	size_t n, skip;
	int dn;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (body == NULL ||
	    xml_find(body, body + len, "Code", &v, &n) == NULL)
		return -1;
	/* Trimmed before decoding, so that padding does not count against outsz. */
	while (n > 0 && s3_is_space(*v)) {
		v++;
		n--;
	}
	while (n > 0 && s3_is_space(v[n - 1]))
		n--;
	/*
	 * An error code is a bare word such as "NoSuchKey"; markup in its
	 * place, CDATA included, means the body is not what it claims to be.
	 */
	if (n == 0 || memchr(v, '<', n) != NULL)
		return -1;
	if ((dn = xml_text(v, n, out, outsz)) <= 0)
		goto fail;
	/* And after, since a character reference may spell white space too. */
	for (skip = 0; s3_is_space(out[skip]); skip++)
		;
	while (dn > 0 && s3_is_space(out[dn - 1]))
		dn--;
	if ((size_t)dn <= skip)
		goto fail;
	memmove(out, out + skip, (size_t)dn - skip);
	out[(size_t)dn - skip] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

const char *
s3_redirect_target_why(const char *t)
{
	const char *p;

	if (t[0] == '\0')
		return "the target is empty";
	if (t[0] == '/') {
		if (t[1] == '/' || t[1] == '\\')
			return "a target starting with // or /\\ names another host "
			    "to a browser; give a path with one leading / or an "
			    "http(s) URL";
	} else if (strncmp(t, "http://", 7) == 0 ||
	    strncmp(t, "https://", 8) == 0) {
		p = t + (t[4] == 's' ? 8 : 7);
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '['))
			return "the URL has no host";
	} else {
		return "a target must be a path starting with / or an http:// "
		    "or https:// URL";
	}
	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return "a target may not hold spaces, control characters "
			    "or non-ASCII bytes; percent-encode them";
	if (strlen(t) > S3_REDIRECT_MAX)
		return "the target is longer than 255 bytes, more than s3wwwd "
		    "reads of the header";
	return NULL;
}
