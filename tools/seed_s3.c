/*
 * seed_s3.c - the S3 operations s3wwwd-seed needs, on libcurl's easy
 * interface and what the daemon uses too: the request signer, the XML
 * reader (common/xml.c) and the curl options (common/s3curl.c).
 *
 * Every request body is streamed from its file with pread(), so neither a
 * large object nor a part is ever held in memory, and the SHA-256 that SigV4
 * signs is the real hash of what is sent: the file is read once to hash it
 * and once more to send it.  Should the file change in between, S3 rejects
 * the body instead of storing something other than what was hashed.
 *
 * Only the first request waits for the endpoint to come up (the tool often
 * starts alongside MinIO, in a demo or a Kubernetes Job); after it has been
 * answered, a transient failure is retried a couple of times and then
 * reported.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "s3.h"
#include "s3curl.h"
#include "seed.h"
#include "xml.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* A ListObjectsV2 page of 1000 keys of 1 KiB each fits with room to spare. */
#define SEED_BODY_MAX (16 * SEED_MIB)
#define SEED_RETRIES 3
#define SEED_BACKOFF_FIRST 0.2
#define SEED_BACKOFF_MAX 5.0
#define SEED_HASH_BUF (256 * 1024)
/* Header lines built for an upload: at most five (seed_object_headers). */
#define SEED_OBJ_LINES 5

/* A request body: a range of a file, or a small buffer. */
struct seed_body {
	int fd;			/* -1: the body is mem */
	const char *mem;
	int64_t off;
	int64_t len;
	int64_t pos;
	int short_read;		/* the file ended before len bytes */
	int io_errno;
};

struct seed_rq {
	const char *what;	/* "PUT index.html", for messages */
	const char *method;
	const char *key;	/* "" for the bucket */
	const char *query;	/* encoded, or NULL */
	const char *payload;	/* hex SHA-256 of the body */
	const char *const *extra;
	struct seed_body *body;	/* NULL: no body */
	int track;		/* show the upload in the progress line */
	int64_t track_base;	/* bytes of the object sent before this body */
	int no_interrupt;	/* must run even after SIGINT (aborts) */
	int track_dl;		/* show the download in the progress line */
	const char *const *plain;	/* unsigned header lines, or NULL */
	struct seed_sink *sink;	/* where a 200 body goes, or NULL */
	struct seed_got *got;	/* where the object's headers go, or NULL */
};

/*
 * A GET body on its way to a file, hashed as it arrives, so that the file
 * is read neither to check it nor to record its SHA-256.
 */
struct seed_sink {
	int fd;
	int64_t len;
	int io_errno;		/* a write failed: the transfer was aborted */
	EVP_MD_CTX *sha;
};

/* The headers kept with an object in a backup, besides x-amz-meta-*. */
static const char *const seed_kept_hdrs[] = {
	"content-type", "cache-control", "content-encoding",
	"content-disposition", "content-language", "expires",
	"x-amz-website-redirect-location", NULL
};

static struct seed_body seed_empty = { -1, "", 0, 0, 0, 0, 0 };

static void seed_hex(const unsigned char *d, size_t n, char *out);

static size_t
seed_body_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct seed_body *b = arg;
	size_t want = size * nitems;
	int64_t left = b->len - b->pos;
	ssize_t n;

	if (left <= 0)
		return 0;
	if ((int64_t)want > left)
		want = (size_t)left;
	if (b->fd == -1) {
		memcpy(buf, b->mem + b->pos, want);
		b->pos += (int64_t)want;
		return want;
	}
	do
		n = pread(b->fd, buf, want, (off_t)(b->off + b->pos));
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		b->io_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	if (n == 0) {
		/* Sending fewer bytes than announced would hang or corrupt. */
		b->short_read = 1;
		return CURL_READFUNC_ABORT;
	}
	b->pos += n;
	return (size_t)n;
}

/*
 * libcurl rewinds the body when it resends a request, for example on a kept
 * alive connection that the server had closed meanwhile.
 */
static int
seed_body_seek(void *arg, curl_off_t offset, int origin)
{
	struct seed_body *b = arg;

	if (origin != SEEK_SET || offset < 0 || offset > b->len)
		return CURL_SEEKFUNC_FAIL;
	b->pos = offset;
	return CURL_SEEKFUNC_OK;
}

static void
seed_hdr_copy(char *dst, size_t dstsz, const char *v, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

void
seed_got_free(struct seed_got *g)
{
	size_t i;

	for (i = 0; i < g->nhdrs; i++)
		free(g->hdrs[i]);
	memset(g, 0, sizeof(*g));
	g->length = -1;
}

/* Keep "name: value", the name lower-cased, as a backup records it. */
static void
seed_got_add(struct seed_got *g, const char *name, size_t nlen,
    const char *v, size_t vlen)
{
	char *line;
	size_t i;

	/* An empty value cannot be sent back; a NUL would cut it short. */
	if (vlen == 0 || memchr(v, '\0', vlen) != NULL)
		return;
	if (g->nhdrs == SEED_OBJ_HDRS ||
	    (line = malloc(nlen + 2 + vlen + 1)) == NULL) {
		g->dropped++;
		return;
	}
	for (i = 0; i < nlen; i++)
		line[i] = (char)tolower((unsigned char)name[i]);
	memcpy(line + nlen, ": ", 2);
	memcpy(line + nlen + 2, v, vlen);
	line[nlen + 2 + vlen] = '\0';
	g->hdrs[g->nhdrs++] = line;
	g->hdrs[g->nhdrs] = NULL;
}

/* Whether a backup keeps (and a restore sends) the header name. */
int
seed_hdr_kept(const char *name, size_t nlen)
{
	size_t i;

	if (nlen > 11 && strncasecmp(name, "x-amz-meta-", 11) == 0)
		return 1;
	for (i = 0; seed_kept_hdrs[i] != NULL; i++)
		if (strlen(seed_kept_hdrs[i]) == nlen &&
		    strncasecmp(name, seed_kept_hdrs[i], nlen) == 0)
			return 1;
	return 0;
}

static void
seed_got_header(struct seed_got *g, const char *name, size_t nlen,
    const char *v, size_t vlen)
{
	char num[32];

	if (nlen == 14 && strncasecmp(name, "content-length", 14) == 0) {
		seed_hdr_copy(num, sizeof(num), v, vlen);
		g->length = strtoll(num, NULL, 10);
	} else if (seed_hdr_kept(name, nlen)) {
		seed_got_add(g, name, nlen, v, vlen);
	}
}

static size_t
seed_header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct seed_resp *r = arg;
	size_t len = size * nitems, nlen, vlen;
	const char *colon, *v, *sp;
	char num[8];

	/* A new status line (after a 100 Continue, say) starts afresh. */
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		r->etag[0] = r->meta_md5[0] = r->ctype[0] = '\0';
		r->cache_control[0] = '\0';
		r->has_cache_control = 0;
		r->web_redirect[0] = r->meta_redirect[0] = '\0';
		r->hdr_status = 0;
		/* The sink takes the body of a 200 only: errors are XML. */
		if ((sp = memchr(buf, ' ', len)) != NULL) {
			seed_hdr_copy(num, sizeof(num), sp + 1,
			    len - (size_t)(sp + 1 - buf));
			r->hdr_status = strtol(num, NULL, 10);
		}
		if (r->got != NULL)
			seed_got_free(r->got);
		return len;
	}
	if ((colon = memchr(buf, ':', len)) == NULL)
		return len;
	nlen = (size_t)(colon - buf);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
		vlen--;
	if (nlen == 4 && strncasecmp(buf, "etag", 4) == 0)
		seed_hdr_copy(r->etag, sizeof(r->etag), v, vlen);
	else if (nlen == 21 && strncasecmp(buf, "x-amz-meta-s3wwwd-md5", 21) == 0)
		seed_hdr_copy(r->meta_md5, sizeof(r->meta_md5), v, vlen);
	else if (nlen == 12 && strncasecmp(buf, "content-type", 12) == 0)
		seed_hdr_copy(r->ctype, sizeof(r->ctype), v, vlen);
	else if (nlen == 13 && strncasecmp(buf, "cache-control", 13) == 0) {
		seed_hdr_copy(r->cache_control, sizeof(r->cache_control), v,
		    vlen);
		r->has_cache_control = 1;
	} else if (nlen == 31 && strncasecmp(buf,
	    "x-amz-website-redirect-location", 31) == 0)
		seed_hdr_copy(r->web_redirect, sizeof(r->web_redirect), v,
		    vlen);
	else if (nlen == 36 && strncasecmp(buf,
	    "x-amz-meta-website-redirect-location", 36) == 0)
		seed_hdr_copy(r->meta_redirect, sizeof(r->meta_redirect), v,
		    vlen);
	if (r->got != NULL)
		seed_got_header(r->got, buf, nlen, v, vlen);
	return len;
}

static size_t
seed_sink_write(struct seed_sink *k, const char *p, size_t len)
{
	size_t done = 0;
	ssize_t n;

	if (EVP_DigestUpdate(k->sha, p, len) != 1) {
		k->io_errno = ENOMEM;
		return 0;
	}
	while (done < len) {
		n = pwrite(k->fd, p + done, len - done,
		    (off_t)(k->len + (int64_t)done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			k->io_errno = n == -1 ? errno : EIO;
			return 0;	/* curl aborts the transfer */
		}
		done += (size_t)n;
	}
	k->len += (int64_t)len;
	return len;
}

static size_t
seed_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct seed_resp *r = arg;
	size_t len = size * nmemb, ncap;
	char *nb;

	if (r->sink != NULL && r->hdr_status == 200)
		return seed_sink_write(r->sink, ptr, len);
	/* Beyond the cap the body is dropped; only error and list XML matter. */
	if (r->len + len + 1 > SEED_BODY_MAX)
		return len;
	if (r->len + len + 1 > r->cap) {
		ncap = r->cap != 0 ? r->cap : 4096;
		while (ncap < r->len + len + 1)
			ncap *= 2;
		if ((nb = realloc(r->body, ncap)) == NULL)
			return 0;
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, ptr, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

struct seed_xfer {
	const struct seed_rq *rq;
};

static int
seed_xfer_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct seed_xfer *x = arg;

	(void)dltotal;
	(void)ultotal;
	if (x->rq->track || x->rq->track_dl) {
		seed_ui.bytes_cur = x->rq->track_base + (int64_t)(x->rq->track ?
		    ulnow : dlnow);
		seed_ui_draw(0);
	}
	return seed_interrupted && !x->rq->no_interrupt ? 1 : 0;
}

static void
seed_resp_reset(struct seed_resp *r)
{
	r->status = 0;
	r->len = 0;
	if (r->body != NULL)
		r->body[0] = '\0';
	r->etag[0] = r->meta_md5[0] = r->ctype[0] = r->cache_control[0] = '\0';
	r->has_cache_control = 0;
	r->web_redirect[0] = r->meta_redirect[0] = '\0';
	r->hdr_status = 0;
	r->got = NULL;
	r->sink = NULL;
}

int
seed_s3_init(struct seed_s3 *s, const char *endpoint, const char *bucket,
    const char *region, int virtual_host, const char *access_key,
    const char *secret_key, const char *token, char *err, size_t errsz)
{
	memset(s, 0, sizeof(*s));
	if (s3_endpoint_init(&s->ep, endpoint, bucket, region, virtual_host,
	    err, errsz) == -1)
		return -1;
	if (sigv4_init(&s->sig, access_key, secret_key, region, "s3") == -1) {
		snprintf(err, errsz, "access key, secret key or region too "
		    "long");
		return -1;
	}
	/* S3 signs the path exactly as sent. */
	s->sig.normalize_path = 0;
	s->token = token;
	if ((s->curl = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "curl_easy_init failed");
		sigv4_clear(&s->sig);
		return -1;
	}
	return 0;
}

void
seed_s3_free(struct seed_s3 *s)
{
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	free(s->resp.body);
	sigv4_clear(&s->sig);
	memset(s, 0, sizeof(*s));
}

/*
 * Whether a transport error may go away by itself: the server is not up
 * yet, or it went away in the middle.  TLS and protocol errors will not.
 */
static int
seed_curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return 1;
	default:
		return 0;
	}
}

static void
seed_sleep(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	/* A signal cuts the sleep short; the caller then sees the flag. */
	nanosleep(&ts, NULL);
}

/*
 * What a request adds to an attempt: the unsigned header lines, chained
 * after the signed ones into *plain (which the caller frees), and for a
 * download the file and its hash started over, as a retry must.
 */
static int
seed_attach(struct seed_s3 *s, const struct seed_rq *rq,
    struct s3_request *req, struct curl_slist **plain)
{
	struct curl_slist *nl;
	size_t i;

	/* seed_object_headers() keeps x-amz-* out of the unsigned ones. */
	for (i = 0; rq->plain != NULL && rq->plain[i] != NULL; i++) {
		if ((nl = curl_slist_append(*plain, rq->plain[i])) == NULL) {
			curl_slist_free_all(*plain);
			*plain = NULL;
			seed_err("%s: out of memory", rq->what);
			s->fail = SEED_EXIT_S3;
			return -1;
		}
		*plain = nl;
	}
	if (*plain != NULL && req->nlines > 0)
		req->slist[req->nlines - 1].next = *plain;
	if (rq->sink != NULL) {
		rq->sink->len = 0;
		rq->sink->io_errno = 0;
		if (ftruncate(rq->sink->fd, 0) == -1)
			rq->sink->io_errno = errno;
		else if (EVP_DigestInit_ex(rq->sink->sha, EVP_sha256(),
		    NULL) != 1)
			rq->sink->io_errno = ENOMEM;
		if (rq->sink->io_errno != 0) {
			curl_slist_free_all(*plain);
			*plain = NULL;
			seed_err("%s: %s", rq->what,
			    strerror(rq->sink->io_errno));
			s->fail = SEED_EXIT_SOURCE;
			return -1;
		}
		s->resp.sink = rq->sink;
	}
	if (rq->got != NULL) {
		seed_got_free(rq->got);
		s->resp.got = rq->got;
	}
	return 0;
}

/*
 * One attempt.  Returns 0 when an HTTP response arrived (the status is in
 * s->resp), 1 on a transport failure with the code in *crc, -1 when the
 * request could not be built.
 *
 * Long because every libcurl option of a request is set here, in one
 * place, for each kind of body.
 */
static int
seed_perform(struct seed_s3 *s, const struct seed_rq *rq, CURLcode *crc,
    double deadline)
{
	struct s3_request req;
	struct seed_xfer x;
	struct curl_slist *plain = NULL;
	CURL *h = s->curl;
	long connect_ms = 10000;
	double left;

	if (s3_request_build(&req, &s->sig, &s->ep, s->token, rq->method,
	    rq->key, strlen(rq->key), rq->query, rq->payload, rq->extra,
	    time(NULL)) == -1) {
		seed_err("%s: the request does not fit (key, endpoint or "
		    "session token too long)", rq->what);
		s->fail = SEED_EXIT_USAGE;
		return -1;
	}
	if (deadline > 0) {
		/* Waiting for a server to start must not overrun --wait. */
		left = deadline - seed_now();
		connect_ms = left < 1.0 ? 1000 : left > 10.0 ? 10000 :
		    (long)(left * 1000);
	}
	x.rq = rq;
	curl_easy_reset(h);
	s->errbuf[0] = '\0';
	seed_resp_reset(&s->resp);
	if (seed_attach(s, rq, &req, &plain) == -1)
		return -1;
	/*
	 * The options that keep a request what was signed (the path as is,
	 * no redirects, no content decoding) are the daemon's too.
	 */
	if (s3curl_defaults(h, connect_ms, !s->insecure, s->ca_bundle) == -1) {
		curl_slist_free_all(plain);
		seed_err("%s: libcurl refused an option it needs", rq->what);
		s->fail = SEED_EXIT_S3;
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, req.url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, &req.slist[0]);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "s3wwwd-seed/" PACKAGE_VERSION);
	/* A server that stops answering fails the transfer after a minute. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, seed_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &s->resp);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, seed_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s->resp);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, seed_xfer_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
	if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (rq->body != NULL) {
		rq->body->pos = 0;
		rq->body->short_read = 0;
		rq->body->io_errno = 0;
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, seed_body_read);
		curl_easy_setopt(h, CURLOPT_READDATA, rq->body);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seed_body_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, rq->body);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)rq->body->len);
		/* CURLOPT_UPLOAD means PUT; POST bodies go the same way. */
		if (strcmp(rq->method, "PUT") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	/* A large download, like an upload, is bounded by its speed only. */
	if (rq->body == NULL && rq->sink == NULL)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	*crc = curl_easy_perform(h);
	curl_slist_free_all(plain);
	s->resp.got = NULL;
	s->resp.sink = NULL;
	if (*crc != CURLE_OK) {
		seed_debug("%s: %s", rq->what, s->errbuf[0] != '\0' ?
		    s->errbuf : curl_easy_strerror(*crc));
		return 1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &s->resp.status);
	seed_debug("%s %s -> %ld", rq->method, req.url, s->resp.status);
	return 0;
}

/* The <Message> of an S3 error body, if any. */
static void
seed_error_message(const struct seed_resp *r, char *out, size_t outsz)
{
	const char *v;
	size_t n;

	out[0] = '\0';
	if (r->body == NULL || r->len == 0)
		return;
	if (xml_find(r->body, r->body + r->len, "Message", &v, &n) ==
	    NULL || xml_text(v, n, out, outsz) == -1)
		out[0] = '\0';
}

static const char *
seed_status_text(long status)
{
	switch (status) {
	case 301:
		return "PermanentRedirect (wrong region or endpoint?)";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden (access denied or bad credentials)";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 503:
		return "Service Unavailable";
	default:
		return status >= 500 ? "server error" : "unexpected status";
	}
}

/*
 * Report an unexpected answer with its S3 error code, which says far more
 * than the status ("SignatureDoesNotMatch" rather than 403).  HEAD answers
 * carry no body, so only the status can be given for them.
 */
static void
seed_report(struct seed_s3 *s, const char *what)
{
	char code[128], msg[512];

	if (s->resp.len > 0 && s3_error_code(s->resp.body, s->resp.len, code,
	    sizeof(code)) == 0) {
		seed_error_message(&s->resp, msg, sizeof(msg));
		seed_err("%s: HTTP %ld %s%s%s", what, s->resp.status, code,
		    msg[0] != '\0' ? ": " : "", msg);
	} else {
		seed_err("%s: HTTP %ld %s", what, s->resp.status,
		    seed_status_text(s->resp.status));
	}
	s->fail = SEED_EXIT_S3;
}

/*
 * Run a request with the retry policy.  Returns 0 when S3 answered with a
 * status below 500 (which the caller judges), -1 after a failure that has
 * been reported, with s->fail set.
 *
 * Long because the retry policy and the message for each way a request
 * can fail read best as one loop.
 */
static int
seed_call(struct seed_s3 *s, const struct seed_rq *rq)
{
	double deadline = 0, backoff = SEED_BACKOFF_FIRST, now, nap;
	int attempt = 0, first = !s->first_done, r, transient;
	CURLcode crc = CURLE_OK;

	if (first)
		deadline = seed_now() + s->wait;
	for (;;) {
		attempt++;
		r = seed_perform(s, rq, &crc, first && s->wait > 0 ?
		    deadline : 0);
		if (r == -1)
			return -1;
		if (r == 0 && s->resp.status < 500) {
			s->first_done = 1;
			return 0;
		}
		if (r == 1 && seed_interrupted && !rq->no_interrupt) {
			seed_err("%s: interrupted", rq->what);
			s->fail = 128 + (int)seed_interrupted;
			return -1;
		}
		if (r == 1 && rq->body != NULL && (rq->body->short_read ||
		    rq->body->io_errno != 0)) {
			seed_err("%s: the source file %s while it was being "
			    "sent", rq->what, rq->body->short_read ?
			    "shrank" : "could not be read");
			s->fail = SEED_EXIT_SOURCE;
			return -1;
		}
		if (r == 1 && rq->sink != NULL && rq->sink->io_errno != 0) {
			seed_err("%s: writing the file: %s", rq->what,
			    strerror(rq->sink->io_errno));
			s->fail = SEED_EXIT_SOURCE;
			return -1;
		}
		transient = r == 0 || seed_curl_transient(crc);
		if (!transient)
			break;
		now = seed_now();
		if (first) {
			if (now >= deadline)
				break;
			nap = deadline - now < backoff ? deadline - now :
			    backoff;
		} else {
			if (attempt >= SEED_RETRIES)
				break;
			nap = backoff;
		}
		seed_debug("%s: retrying in %.1f s", rq->what, nap);
		seed_sleep(nap);
		if (seed_interrupted && !rq->no_interrupt) {
			seed_err("%s: interrupted", rq->what);
			s->fail = 128 + (int)seed_interrupted;
			return -1;
		}
		backoff = backoff * 2 > SEED_BACKOFF_MAX ? SEED_BACKOFF_MAX :
		    backoff * 2;
	}
	if (r == 0) {
		seed_report(s, rq->what);
		return -1;
	}
	if (seed_curl_transient(crc)) {
		if (first && s->wait > 0)
			seed_err("%s: endpoint %s%s unreachable after waiting "
			    "%g s: %s", rq->what, s->ep.https ? "https://" :
			    "http://", s->ep.host, s->wait, s->errbuf[0] != '\0' ?
			    s->errbuf : curl_easy_strerror(crc));
		else
			seed_err("%s: endpoint %s%s unreachable: %s", rq->what,
			    s->ep.https ? "https://" : "http://", s->ep.host,
			    s->errbuf[0] != '\0' ? s->errbuf :
			    curl_easy_strerror(crc));
		s->fail = SEED_EXIT_UNREACHABLE;
	} else {
		seed_err("%s: %s", rq->what, s->errbuf[0] != '\0' ? s->errbuf :
		    curl_easy_strerror(crc));
		s->fail = SEED_EXIT_S3;
	}
	return -1;
}

static void
seed_rq_init(struct seed_rq *rq, const char *what, const char *method,
    const char *key)
{
	memset(rq, 0, sizeof(*rq));
	rq->what = what;
	rq->method = method;
	rq->key = key;
	rq->payload = SIGV4_EMPTY_SHA256;
}

/*
 * HEAD answers 403 without saying why, so on anything unexpected the bucket
 * is listed as well: its error body names the cause, such as
 * InvalidAccessKeyId or SignatureDoesNotMatch.
 */
int
seed_s3_bucket_exists(struct seed_s3 *s, int *exists)
{
	struct seed_rq rq;
	char what[128];

	snprintf(what, sizeof(what), "HEAD bucket %s", s->ep.bucket);
	seed_rq_init(&rq, what, "HEAD", "");
	if (seed_call(s, &rq) == -1)
		return -1;
	if (s->resp.status == 200) {
		*exists = 1;
		return 0;
	}
	if (s->resp.status == 404) {
		*exists = 0;
		return 0;
	}
	snprintf(what, sizeof(what), "bucket %s", s->ep.bucket);
	seed_rq_init(&rq, what, "GET", "");
	rq.query = "list-type=2&max-keys=1";
	if (seed_call(s, &rq) == -1)
		return -1;
	if (s->resp.status == 200) {
		/* HEAD refused but listing works: the bucket is there. */
		*exists = 1;
		return 0;
	}
	seed_report(s, what);
	return -1;
}

int
seed_s3_bucket_create(struct seed_s3 *s)
{
	struct seed_body body = seed_empty;
	struct seed_rq rq;
	char what[128], xml[512], hash[SEED_SHA256_HEX], code[128];

	snprintf(what, sizeof(what), "create bucket %s", s->ep.bucket);
	seed_rq_init(&rq, what, "PUT", "");
	/* us-east-1 is the default and must not be named, as AWS insists. */
	if (strcmp(s->ep.region, "us-east-1") != 0) {
		snprintf(xml, sizeof(xml), "<CreateBucketConfiguration xmlns="
		    "\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		    "<LocationConstraint>%s</LocationConstraint>"
		    "</CreateBucketConfiguration>", s->ep.region);
		body.mem = xml;
		body.len = (int64_t)strlen(xml);
	}
	sigv4_sha256_hex(body.mem, (size_t)body.len, hash);
	rq.payload = hash;
	rq.body = &body;
	if (seed_call(s, &rq) == -1)
		return -1;
	if (s->resp.status == 200)
		return 0;
	if (s->resp.status == 409 && s3_error_code(s->resp.body, s->resp.len,
	    code, sizeof(code)) == 0 &&
	    strcmp(code, "BucketAlreadyOwnedByYou") == 0)
		return 0;
	seed_report(s, what);
	return -1;
}

int
seed_s3_head(struct seed_s3 *s, const char *key, struct seed_head *hd)
{
	struct seed_rq rq;
	char what[S3_KEY_MAX + 16];

	memset(hd, 0, sizeof(*hd));
	snprintf(what, sizeof(what), "HEAD %s", key);
	seed_rq_init(&rq, what, "HEAD", key);
	if (seed_call(s, &rq) == -1)
		return -1;
	if (s->resp.status == 404)
		return 0;
	if (s->resp.status != 200) {
		seed_report(s, what);
		return -1;
	}
	hd->exists = 1;
	memcpy(hd->etag, s->resp.etag, sizeof(hd->etag));
	memcpy(hd->meta_md5, s->resp.meta_md5, sizeof(hd->meta_md5));
	memcpy(hd->ctype, s->resp.ctype, sizeof(hd->ctype));
	memcpy(hd->cache_control, s->resp.cache_control,
	    sizeof(hd->cache_control));
	hd->has_cache_control = s->resp.has_cache_control;
	memcpy(hd->web_redirect, s->resp.web_redirect,
	    sizeof(hd->web_redirect));
	memcpy(hd->meta_redirect, s->resp.meta_redirect,
	    sizeof(hd->meta_redirect));
	return 0;
}

/*
 * A restore's recorded lines: x-amz-* first, as S3 refuses them unsigned,
 * then the others while signed slots remain; the rest go into plain.
 * Returns -1 if an x-amz-* line cannot be signed.
 */
static int
seed_recorded_headers(const struct seed_put *p, const char *extra[5],
    const char *plain[SEED_OBJ_HDRS + 1])
{
	const char *l;
	size_t i, n = 0, np = 0;
	int pass, amz, fits;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; (l = p->hdrs[i]) != NULL; i++) {
			amz = strncasecmp(l, "x-amz-", 6) == 0;
			if (amz != (pass == 0))
				continue;
			fits = strlen(l) <= SEED_SIGNED_LINE_MAX &&
			    strcspn(l, ":") <= SEED_SIGNED_NAME_MAX;
			if (n < SEED_SIGNED_MAX && fits)
				extra[n++] = l;
			else if (amz)
				return -1;
			else if (np < SEED_OBJ_HDRS)
				plain[np++] = l;
		}
	}
	extra[n] = NULL;
	plain[np] = NULL;
	return 0;
}

/*
 * The header lines stored with an object, NULL-terminated.  A redirect
 * takes both redirect headers, the daemon honouring either: AWS keeps
 * x-amz-website-redirect-location, MinIO accepts it on a PUT but keeps only
 * user metadata.  Both are x-amz-*, which S3 refuses unsigned, and with
 * Content-Type and the MD5 they make the four lines s3_request_build()
 * signs; Cache-Control then goes unsigned, as SigV4 allows, and Content-MD5
 * is left out: the body is empty and its SHA-256 is signed.
 */
static int
seed_object_headers(const struct seed_put *p, char lines[SEED_OBJ_LINES][320],
    const char *extra[5], const char *plain[SEED_OBJ_HDRS + 1], int with_md5)
{
	int n = 0, ne = 0;	/* lines built, lines signed */

	plain[0] = NULL;
	if (p->hdrs != NULL) {
		if (seed_recorded_headers(p, extra, plain) == 0)
			return 0;
		seed_err("%s: more x-amz-* metadata than can be signed (at "
		    "most %d lines of %d bytes)", p->key, SEED_SIGNED_MAX,
		    SEED_SIGNED_LINE_MAX);
		return -1;
	}
	snprintf(lines[n], sizeof(lines[n]), "Content-Type: %s", p->ctype);
	extra[ne++] = lines[n++];
	if (p->cache_control != NULL) {
		snprintf(lines[n], sizeof(lines[n]), "Cache-Control: %s",
		    p->cache_control);
		if (p->redirect != NULL) {
			plain[0] = lines[n++];
			plain[1] = NULL;
		} else {
			extra[ne++] = lines[n++];
		}
	}
	snprintf(lines[n], sizeof(lines[n]), "x-amz-meta-s3wwwd-md5: %s",
	    p->md5_hex);
	extra[ne++] = lines[n++];
	if (p->redirect != NULL) {
		/* SEED_REDIRECT_MAX keeps both lines well inside 320 bytes. */
		snprintf(lines[n], sizeof(lines[n]),
		    "x-amz-website-redirect-location: %s", p->redirect);
		extra[ne++] = lines[n++];
		snprintf(lines[n], sizeof(lines[n]),
		    "x-amz-meta-website-redirect-location: %s", p->redirect);
		extra[ne++] = lines[n++];
	} else if (with_md5) {
		snprintf(lines[n], sizeof(lines[n]), "Content-MD5: %s",
		    p->md5_b64);
		extra[ne++] = lines[n++];
	}
	extra[ne] = NULL;
	return 0;
}

int
seed_s3_put(struct seed_s3 *s, const struct seed_put *p)
{
	struct seed_body body = seed_empty;
	struct seed_rq rq;
	char what[S3_KEY_MAX + 16], lines[SEED_OBJ_LINES][320];
	const char *extra[5], *plain[SEED_OBJ_HDRS + 1];

	snprintf(what, sizeof(what), "PUT %s", p->key);
	if (seed_object_headers(p, lines, extra, plain, 1) == -1) {
		s->fail = SEED_EXIT_SOURCE;
		return -1;
	}
	seed_rq_init(&rq, what, "PUT", p->key);
	rq.plain = plain;
	body.fd = p->fd;
	body.len = p->size;
	rq.body = &body;
	rq.payload = p->sha256;
	rq.extra = extra;
	rq.track = 1;
	if (seed_call(s, &rq) == -1)
		return -1;
	if (s->resp.status != 200) {
		seed_report(s, what);
		return -1;
	}
	return 0;
}

static int
seed_s3_abort(struct seed_s3 *s, const char *key, const char *query,
    const char *upload_id)
{
	struct seed_rq rq;
	char what[S3_KEY_MAX + 32];
	int fail = s->fail;

	snprintf(what, sizeof(what), "abort multipart upload of %s", key);
	seed_rq_init(&rq, what, "DELETE", key);
	rq.query = query;
	rq.no_interrupt = 1;
	if (seed_call(s, &rq) == 0 && (s->resp.status == 204 ||
	    s->resp.status == 200 || s->resp.status == 404)) {
		seed_warn("aborted the multipart upload of %s", key);
		seed_debug("upload ID was %s", upload_id);
		s->fail = fail;
		return 0;
	}
	if (s->resp.status != 0)
		seed_report(s, what);
	seed_err("multipart upload %s of %s is left behind; abort it by hand "
	    "or with a lifecycle rule", upload_id, key);
	s->fail = fail;
	return -1;
}

static int seed_append(char *buf, size_t cap, size_t *len, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
seed_append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/* The CompleteMultipartUpload body: every part's ETag, in order. */
static char *
seed_complete_xml(char (*etags)[128], int64_t nparts, size_t *len)
{
	size_t cap = (size_t)nparts * (128 + 64) + 128;
	char *xml = malloc(cap);
	int64_t i;

	*len = 0;
	if (xml == NULL)
		return NULL;
	if (seed_append(xml, cap, len, "<CompleteMultipartUpload>") == -1)
		goto fail;
	for (i = 0; i < nparts; i++)
		if (seed_append(xml, cap, len, "<Part><PartNumber>%lld"
		    "</PartNumber><ETag>%s</ETag></Part>", (long long)(i + 1),
		    etags[i]) == -1)
			goto fail;
	if (seed_append(xml, cap, len, "</CompleteMultipartUpload>") == -1)
		goto fail;
	return xml;
fail:
	free(xml);
	return NULL;
}

/*
 * Upload in parts.  Any failure after the upload has been created aborts
 * it, so that the parts sent so far do not linger (and cost storage) with
 * no object to show for them.
 *
 * Long because every failing step after the upload was created must
 * abort it, and that is clearest in one function.
 */
int
seed_s3_multipart(struct seed_s3 *s, const struct seed_put *p,
    int64_t part_size)
{
	struct seed_body body = seed_empty;
	struct seed_rq rq;
	char what[S3_KEY_MAX + 48], lines[SEED_OBJ_LINES][320], upload_id[1024];
	char enc_id[3 * 1024 + 1], query[3 * 1024 + 64], aq[3 * 1024 + 16];
	char part_md5[SEED_MD5_B64], part_sha[SEED_SHA256_HEX];
	char md5_line[64], hash[SEED_SHA256_HEX];
	const char *extra[5], *plain[SEED_OBJ_HDRS + 1], *v;
	char (*etags)[128] = NULL;
	char *xml = NULL;
	int64_t nparts, i, off, len;
	size_t n, xlen;
	int ret = -1;

	nparts = (p->size + part_size - 1) / part_size;
	if (nparts > SEED_PARTS_MAX) {
		/* S3 allows 10000 parts; grow them in whole MiB to fit. */
		part_size = (p->size + SEED_PARTS_MAX - 1) / SEED_PARTS_MAX;
		part_size = (part_size + SEED_MIB - 1) / SEED_MIB * SEED_MIB;
		nparts = (p->size + part_size - 1) / part_size;
		seed_debug("%s: part size raised to %lld bytes", p->key,
		    (long long)part_size);
	}
	if (nparts < 1)
		nparts = 1;

	snprintf(what, sizeof(what), "create multipart upload of %s", p->key);
	if (seed_object_headers(p, lines, extra, plain, 0) == -1) {
		s->fail = SEED_EXIT_SOURCE;
		return -1;
	}
	seed_rq_init(&rq, what, "POST", p->key);
	rq.query = "uploads";
	rq.extra = extra;
	rq.plain = plain;
	rq.body = &body;
	if (seed_call(s, &rq) == -1)
		return -1;
	if (s->resp.status != 200) {
		seed_report(s, what);
		return -1;
	}
	if (s->resp.len == 0 || xml_find(s->resp.body,
	    s->resp.body + s->resp.len, "UploadId", &v, &n) == NULL ||
	    xml_text(v, n, upload_id, sizeof(upload_id)) == -1 ||
	    upload_id[0] == '\0') {
		seed_err("%s: no UploadId in the answer", what);
		s->fail = SEED_EXIT_S3;
		return -1;
	}
	if (sigv4_uri_encode(upload_id, strlen(upload_id), enc_id,
	    sizeof(enc_id), 0) == -1) {
		seed_err("%s: UploadId too long", what);
		s->fail = SEED_EXIT_S3;
		return -1;
	}
	snprintf(aq, sizeof(aq), "uploadId=%s", enc_id);
	seed_debug("%s: upload %s, %lld parts", p->key, upload_id,
	    (long long)nparts);

	if ((etags = calloc((size_t)nparts, sizeof(*etags))) == NULL) {
		seed_err("out of memory");
		s->fail = SEED_EXIT_S3;
		goto abort;
	}
	for (i = 0; i < nparts; i++) {
		if (seed_interrupted) {
			seed_err("%s: interrupted", p->key);
			s->fail = 128 + (int)seed_interrupted;
			goto abort;
		}
		off = i * part_size;
		len = p->size - off < part_size ? p->size - off : part_size;
		if (seed_hash_range(p->fd, off, len, NULL, part_md5,
		    part_sha) == -1) {
			seed_err("%s: reading part %lld: %s", p->key,
			    (long long)(i + 1), errno != 0 ? strerror(errno) :
			    "the file shrank");
			s->fail = SEED_EXIT_SOURCE;
			goto abort;
		}
		snprintf(what, sizeof(what), "PUT %s part %lld/%lld", p->key,
		    (long long)(i + 1), (long long)nparts);
		snprintf(query, sizeof(query), "partNumber=%lld&uploadId=%s",
		    (long long)(i + 1), enc_id);
		snprintf(md5_line, sizeof(md5_line), "Content-MD5: %s",
		    part_md5);
		extra[0] = md5_line;
		extra[1] = NULL;
		body = seed_empty;
		body.fd = p->fd;
		body.off = off;
		body.len = len;
		seed_rq_init(&rq, what, "PUT", p->key);
		rq.query = query;
		rq.payload = part_sha;
		rq.extra = extra;
		rq.body = &body;
		rq.track = 1;
		rq.track_base = off;
		if (seed_call(s, &rq) == -1)
			goto abort;
		if (s->resp.status != 200) {
			seed_report(s, what);
			goto abort;
		}
		if (s->resp.etag[0] == '\0') {
			seed_err("%s: no ETag in the answer", what);
			s->fail = SEED_EXIT_S3;
			goto abort;
		}
		memcpy(etags[i], s->resp.etag, sizeof(etags[i]));
	}

	if ((xml = seed_complete_xml(etags, nparts, &xlen)) == NULL) {
		seed_err("out of memory");
		s->fail = SEED_EXIT_S3;
		goto abort;
	}
	sigv4_sha256_hex(xml, xlen, hash);
	snprintf(what, sizeof(what), "complete multipart upload of %s",
	    p->key);
	body = seed_empty;
	body.mem = xml;
	body.len = (int64_t)xlen;
	extra[0] = "Content-Type: application/xml";
	extra[1] = NULL;
	seed_rq_init(&rq, what, "POST", p->key);
	rq.query = aq;
	rq.payload = hash;
	rq.extra = extra;
	rq.body = &body;
	if (seed_call(s, &rq) == -1)
		goto abort;
	/* S3 may fail the completion in a 200 answer, with an Error body. */
	if (s->resp.status != 200 || (s->resp.len > 0 &&
	    memmem(s->resp.body, s->resp.len, "<Error>", 7) != NULL)) {
		seed_report(s, what);
		goto abort;
	}
	ret = 0;
	goto out;
abort:
	seed_s3_abort(s, p->key, aq, upload_id);
out:
	free(xml);
	free(etags);
	return ret;
}

static int
seed_unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Undo encoding-type=url in place: %XX and '+' for a space, as S3 writes
 * it.  -1 on a bad escape or a NUL.
 */
static int
seed_url_decode(char *s)
{
	char *r = s, *w = s;
	int hi, lo;

	for (; *r != '\0'; r++) {
		if (*r == '+') {
			*w++ = ' ';
		} else if (*r != '%') {
			*w++ = *r;
		} else if ((hi = seed_unhex((unsigned char)r[1])) == -1 ||
		    (lo = seed_unhex((unsigned char)r[2])) == -1 ||
		    hi * 16 + lo == 0) {
			return -1;
		} else {
			*w++ = (char)(hi * 16 + lo);
			r += 2;
		}
	}
	*w = '\0';
	return 0;
}

static int
seed_keys_add(char ***keys, size_t *n, size_t *cap, const char *v,
    size_t vlen)
{
	char buf[S3_KEY_MAX * 4 + 1], **nk;

	if (xml_text(v, vlen, buf, sizeof(buf)) == -1 ||
	    seed_url_decode(buf) == -1)
		return -1;
	if (*n == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 256;
		if ((nk = realloc(*keys, *cap * sizeof(*nk))) == NULL)
			return -1;
		*keys = nk;
	}
	if (((*keys)[*n] = strdup(buf)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/*
 * All keys under prefix, following continuation tokens across pages.  The
 * whole list is read before anything is deleted, so that deleting does not
 * shift the pages being read.  The keys come URL-encoded (encoding-type=
 * url): XML 1.0 cannot carry a key with a control byte, which S3 allows,
 * and such a key would otherwise come back mangled and not be found.
 */
int
seed_s3_list(struct seed_s3 *s, const char *prefix, char ***keys,
    size_t *nkeys)
{
	char enc_prefix[S3_KEY_MAX * 3 + 1], token[4096], enc_token[3 * 4096 + 1];
	char query[sizeof(enc_prefix) + sizeof(enc_token) + 64], what[128];
	const char *p, *end, *c, *ce, *v;
	struct seed_rq rq;
	size_t n = 0, cap = 0, vlen;
	char **list = NULL;
	int more;

	*keys = NULL;
	*nkeys = 0;
	if (sigv4_uri_encode(prefix, strlen(prefix), enc_prefix,
	    sizeof(enc_prefix), 0) == -1) {
		seed_err("prefix too long");
		s->fail = SEED_EXIT_USAGE;
		return -1;
	}
	snprintf(what, sizeof(what), "list bucket %s", s->ep.bucket);
	token[0] = '\0';
	do {
		if (token[0] == '\0') {
			snprintf(query, sizeof(query), "encoding-type=url&"
			    "list-type=2&prefix=%s", enc_prefix);
		} else if (sigv4_uri_encode(token, strlen(token), enc_token,
		    sizeof(enc_token), 0) == -1) {
			seed_err("%s: continuation token too long", what);
			s->fail = SEED_EXIT_S3;
			goto fail;
		} else {
			snprintf(query, sizeof(query), "encoding-type=url&"
			    "list-type=2&prefix=%s&continuation-token=%s",
			    enc_prefix, enc_token);
		}
		seed_rq_init(&rq, what, "GET", "");
		rq.query = query;
		if (seed_call(s, &rq) == -1)
			goto fail;
		if (s->resp.status != 200) {
			seed_report(s, what);
			goto fail;
		}
		p = s->resp.body != NULL ? s->resp.body : "";
		end = p + s->resp.len;
		/* Each <Contents> holds one <Key>. */
		c = p;
		while ((c = xml_find(c, end, "Contents", &v, &vlen)) !=
		    NULL) {
			ce = v + vlen;
			if (xml_find(v, ce, "Key", &v, &vlen) == NULL)
				continue;
			if (seed_keys_add(&list, &n, &cap, v, vlen) == -1) {
				seed_err("%s: a key could not be read", what);
				s->fail = SEED_EXIT_S3;
				goto fail;
			}
		}
		more = xml_find(p, end, "IsTruncated", &v, &vlen) !=
		    NULL && vlen == 4 && memcmp(v, "true", 4) == 0;
		if (more) {
			if (xml_find(p, end, "NextContinuationToken", &v,
			    &vlen) == NULL || xml_text(v, vlen, token,
			    sizeof(token)) == -1 || token[0] == '\0') {
				seed_err("%s: truncated listing without a "
				    "continuation token", what);
				s->fail = SEED_EXIT_S3;
				goto fail;
			}
		}
	} while (more);
	*keys = list;
	*nkeys = n;
	return 0;
fail:
	while (n > 0)
		free(list[--n]);
	free(list);
	return -1;
}

int
seed_s3_delete(struct seed_s3 *s, const char *key)
{
	struct seed_rq rq;
	char what[S3_KEY_MAX + 16];

	snprintf(what, sizeof(what), "DELETE %s", key);
	seed_rq_init(&rq, what, "DELETE", key);
	if (seed_call(s, &rq) == -1)
		return -1;
	if (s->resp.status != 204 && s->resp.status != 200) {
		seed_report(s, what);
		return -1;
	}
	return 0;
}

/*
 * GET key into fd, which is truncated first (and again on a retry), with
 * the SHA-256 of what arrived in sha256_hex and the object's headers in
 * got.  Returns 0, 1 when the key is gone (deleted since it was listed),
 * or -1 after a failure that has been reported, with s->fail set.
 */
int
seed_s3_get(struct seed_s3 *s, const char *key, int fd, struct seed_got *got,
    char *sha256_hex)
{
	struct seed_sink sink;
	struct seed_rq rq;
	char what[S3_KEY_MAX + 16], code[128];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	int ret = -1;

	memset(&sink, 0, sizeof(sink));
	sink.fd = fd;
	if ((sink.sha = EVP_MD_CTX_new()) == NULL) {
		seed_err("out of memory");
		s->fail = SEED_EXIT_S3;
		return -1;
	}
	snprintf(what, sizeof(what), "GET %s", key);
	seed_rq_init(&rq, what, "GET", key);
	rq.sink = &sink;
	rq.got = got;
	rq.track_dl = 1;
	if (seed_call(s, &rq) == -1)
		goto out;
	if (s->resp.status == 404 && s3_error_code(s->resp.body, s->resp.len,
	    code, sizeof(code)) == 0 && strcmp(code, "NoSuchKey") == 0) {
		ret = 1;
		goto out;
	}
	if (s->resp.status != 200) {
		seed_report(s, what);
		goto out;
	}
	/* curl notices a short body only when the connection says so. */
	if (got->length >= 0 && got->length != sink.len) {
		seed_err("%s: %lld of %lld bytes arrived", what,
		    (long long)sink.len, (long long)got->length);
		s->fail = SEED_EXIT_S3;
		goto out;
	}
	if (EVP_DigestFinal_ex(sink.sha, md, &mdlen) != 1) {
		seed_err("%s: hashing failed", what);
		s->fail = SEED_EXIT_S3;
		goto out;
	}
	seed_hex(md, mdlen, sha256_hex);
	memcpy(got->etag, s->resp.etag, sizeof(got->etag));
	got->length = sink.len;
	ret = 0;
out:
	EVP_MD_CTX_free(sink.sha);
	return ret;
}

static void
seed_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * MD5 (hex and base64, for the metadata and Content-MD5) and optionally the
 * SHA-256 (hex, for SigV4) of len bytes at off.  Any output may be NULL.
 * Returns -1 with errno set on a read error, or with errno 0 when the file
 * is shorter than expected.
 */
int
seed_hash_range(int fd, int64_t off, int64_t len, char *md5_hex,
    char *md5_b64, char *sha256_hex)
{
	EVP_MD_CTX *m = NULL, *h = NULL;
	unsigned char md[EVP_MAX_MD_SIZE], *buf = NULL;
	unsigned int mdlen;
	int64_t done = 0;
	ssize_t n;
	size_t want;
	int ret = -1;

	if ((buf = malloc(SEED_HASH_BUF)) == NULL ||
	    (m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(m, EVP_md5(), NULL) != 1)
		goto out;
	if (sha256_hex != NULL && ((h = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1))
		goto out;
	while (done < len) {
		want = len - done > SEED_HASH_BUF ? SEED_HASH_BUF :
		    (size_t)(len - done);
		n = pread(fd, buf, want, (off_t)(off + done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			goto out;
		}
		if (EVP_DigestUpdate(m, buf, (size_t)n) != 1 ||
		    (h != NULL && EVP_DigestUpdate(h, buf, (size_t)n) != 1))
			goto out;
		done += n;
	}
	if (EVP_DigestFinal_ex(m, md, &mdlen) != 1)
		goto out;
	if (md5_hex != NULL)
		seed_hex(md, mdlen, md5_hex);
	if (md5_b64 != NULL)
		EVP_EncodeBlock((unsigned char *)md5_b64, md, (int)mdlen);
	if (h != NULL) {
		if (EVP_DigestFinal_ex(h, md, &mdlen) != 1)
			goto out;
		seed_hex(md, mdlen, sha256_hex);
	}
	ret = 0;
out:
	EVP_MD_CTX_free(m);
	EVP_MD_CTX_free(h);
	free(buf);
	return ret;
}
