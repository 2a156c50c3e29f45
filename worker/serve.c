/*
 * serve.c - serving a parsed request: from the cache or from S3, following
 * the site rules.
 *
 * This is the data path between the connection (conn.c) and the S3 engine
 * (upstream.c).  It maps the path to a key, asks the cache, starts the S3
 * request, and handles S3's answer through the engine's callbacks (head
 * line, body chunk, done): a success streams to the client and, if the
 * object fits, into the cache; anything else goes to the site rules
 * (site.c), whose next step it carries out.
 */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "listing.h"
#include "log.h"
#include "metrics.h"
#include "ops.h"
#include "response.h"
#include "site.h"

static void serve_next(struct conn *c, const struct site_next *n);

/* This worker's memory of directory checks (cache.h, struct cache_dirs). */
static struct cache_dirs dirs;

static void
dir_learn(struct conn *c, const char *key, size_t keylen, int exists)
{
	cache_dir_put(&dirs, c->ws->cache_ns, key, keylen, exists,
	    c->w->now_ms + c->ws->cache_ttl_ms);
}

/*
 * The worker's cache, with the part of the request's site selected: a
 * callback for one connection may run between another's lookups, so the
 * part is selected before every use, not once per request.
 */
static struct cache *
site_cache(struct conn *c)
{
	cache_select(&c->w->cache, c->ws->cache_ns, c->ws->cache_ttl_ms);
	return &c->w->cache;
}

static void
answer_options(struct conn *c)
{
	const struct http_request *r = &c->x->req;
	const struct site_conf *site = &c->ws->site;
	char extra[1024];

	if (r->origin.len == 0) {
		resp_send(c, 204, "text/plain", "Allow: GET, HEAD, OPTIONS\r\n", "", 0);
		return;
	}
	/* The default is to deny: no CORS headers unless the origin is listed. */
	if (site->norigins == 0 || !site_origin_allowed(site, r->origin.p, r->origin.len) ||
	    (r->ac_request_method.len > 0 &&
	    !(r->ac_request_method.len == 3 && memcmp(r->ac_request_method.p, "GET", 3) == 0) &&
	    !(r->ac_request_method.len == 4 && memcmp(r->ac_request_method.p, "HEAD", 4) == 0))) {
		resp_error(c, 403, "CORS request not allowed");
		return;
	}
	snprintf(extra, sizeof(extra), "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
	    "Access-Control-Allow-Headers: %.*s\r\nAccess-Control-Max-Age: 86400\r\n",
	    r->ac_request_headers.len > 0 ? (int)r->ac_request_headers.len : 5,
	    r->ac_request_headers.len > 0 ? r->ac_request_headers.p : "Range");
	resp_send(c, 204, "text/plain", extra, "", 0);
}

/* Copy a conditional header for S3 to evaluate, if it is well-formed. */
static void
add_fwd(const char **fwd, int *n, char *store, size_t storesz, const char *name,
    const struct http_str *v)
{
	if (v->len == 0 || v->len + strlen(name) + 3 > storesz)
		return;
	snprintf(store, storesz, "%s: %.*s", name, (int)v->len, v->p);
	fwd[(*n)++] = store;
}

static void
start_object(struct conn *c)
{
	struct xfer *x = c->x;
	const struct http_request *r = &x->req;
	const char *fwd[XFER_FWD_MAX + 1];
	static char store[XFER_FWD_MAX][320];
	struct http_range range;
	int n = 0;

	/*
	 * S3 evaluates ranges and preconditions itself, against the object's
	 * real ETag and date; forwarding them keeps one source of truth.  A
	 * Range we would ignore (several ranges, bad syntax) is not sent, so the
	 * whole object comes back, as RFC 9110 allows.
	 */
	if (r->range.len > 0 && http_parse_range(r->range.p, r->range.len, &range) ==
	    HTTP_RANGE_OK) {
		add_fwd(fwd, &n, store[0], sizeof(store[0]), "Range", &r->range);
		add_fwd(fwd, &n, store[1], sizeof(store[1]), "If-Range", &r->if_range);
	}
	add_fwd(fwd, &n, store[2], sizeof(store[2]), "If-None-Match", &r->if_none_match);
	add_fwd(fwd, &n, store[3], sizeof(store[3]), "If-Match", &r->if_match);
	add_fwd(fwd, &n, store[4], sizeof(store[4]), "If-Modified-Since",
	    &r->if_modified_since);
	if (x->reval != NULL && n < XFER_FWD_MAX) {
		/* Ask S3 whether our stale copy is still the object. */
		snprintf(store[1], sizeof(store[1]), "If-None-Match: %s", x->reval->hdr[CH_ETAG]);
		fwd[n++] = store[1];
	}
	add_fwd(fwd, &n, store[5], sizeof(store[5]), "If-Unmodified-Since",
	    &r->if_unmodified_since);
	fwd[n] = NULL;
	if (conn_upstream_start(c, PH_OBJECT, c->method == HTTP_M_HEAD ? "HEAD" : "GET", x->key,
	    x->keylen, NULL, fwd) == -1)
		resp_error(c, 500, "cannot build the upstream request");
}

/* Ask S3 whether the stale copy in x->reval is still the object. */
static void
start_reval(struct conn *c)
{
	struct xfer *x = c->x;
	static char line[320];
	const char *fwd[2];

	snprintf(line, sizeof(line), "If-None-Match: %s", x->reval->hdr[CH_ETAG]);
	fwd[0] = line;
	fwd[1] = NULL;
	if (conn_upstream_start(c, PH_REVAL, "HEAD", x->key, x->keylen, NULL, fwd) == -1)
		resp_error(c, 500, "cannot build the upstream request");
}

/* The request as the site rules see it. */
static void
site_req_of(const struct conn *c, struct site_req *r)
{
	const struct xfer *x = c->x;

	r->key = x->key;
	r->keylen = x->keylen;
	r->is_dir = x->is_dir;
	r->head = c->method == HTTP_M_HEAD;
	r->caching = c->w->caching && c->ws->caching;
	r->known_missing = x->known_missing;
	r->suffix_next = x->suffix_next;
}

/*
 * The routing rules for this request (site_route()), before the object is
 * asked for (error 0) or after S3 answered it with error.  Returns 1 when
 * a rule answered the request with a redirect.
 */
static int
route(struct conn *c, int error)
{
	struct xfer *x = c->x;
	const struct site_conf *site = &c->ws->site;
	const struct http_request *r = &x->req;
	size_t plen = strlen(site->prefix), klen = x->keylen - plen;
	char loc[2048], extra[2100];
	int code;

	if (site->rules.nrules == 0 && !site->rules.redirect_all)
		return 0;
	/* A directory's rules see its key, not its index document. */
	if (x->is_dir && x->phase != PH_LIST)
		klen -= strlen(site->index);
	code = site_route(site, x->key + plen, klen, r->query.len > 0 ? r->query.p : "",
	    r->query.len, error, loc, sizeof(loc));
	if (code == 0)
		return 0;
	if (code < 0) {
		resp_error(c, 414, "the redirect does not fit");
		return 1;
	}
	snprintf(extra, sizeof(extra), "Location: %s\r\n", loc);
	resp_send(c, code, "text/html; charset=utf-8", extra, "", 0);
	return 1;
}

/*
 * An object that names a redirect in its metadata answers 301 with that
 * Location and no body, as AWS's website endpoint does.  MinIO does not
 * keep x-amz-website-redirect-location, but keeps the user metadata
 * x-amz-meta-website-redirect-location: either is honoured.  A target
 * that is neither a path nor an http(s) URL is ignored, and logged.
 */
static int
object_redirect(struct conn *c)
{
	struct xfer *x = c->x;
	const char *t = x->uh[UH_WEBREDIR][0] != '\0' ? x->uh[UH_WEBREDIR] : x->uh[UH_METAREDIR];
	char extra[320];

	if (t[0] == '\0')
		return 0;
	if (!site_redirect_target_ok(t)) {
		log_warn("object \"%.*s\" names a redirect that is no path or http(s) URL; "
		    "ignored", (int)x->keylen, x->key);
		return 0;
	}
	snprintf(extra, sizeof(extra), "Location: %s\r\n", t);
	resp_send(c, 301, "text/html; charset=utf-8", extra, "", 0);
	x->up_answered = 1;
	return 1;
}

/* The key of `after` is missing: go on with the site's fallbacks. */
static void
not_found(struct conn *c, enum up_phase after)
{
	struct site_req r;
	struct site_next n;

	site_req_of(c, &r);
	site_not_found(&c->ws->site, &r, (enum site_phase)after, &n);
	serve_next(c, &n);
}

/*
 * Look the object up in the cache (cache_decide()).  Returns 1 when the
 * request was answered from it or is being revalidated; otherwise the
 * request goes to S3, marked to fill the cache when it asks for the whole
 * object, and to refresh a stale copy on a 304.
 */
static int
try_cache(struct conn *c)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	const struct http_request *r = &x->req;
	struct cache_entry *e;
	int plain = c->method == HTTP_M_GET && r->range.len == 0 && r->if_match.len == 0 &&
	    r->if_none_match.len == 0 && r->if_modified_since.len == 0 &&
	    r->if_unmodified_since.len == 0;
	enum cache_action act = cache_decide(site_cache(c), x->key, x->keylen, plain,
	    c->method == HTTP_M_GET || c->method == HTTP_M_HEAD, w->now_ms, &e);

	metrics_cache(act == CACHE_HIT || act == CACHE_HIT_MISSING);
	switch (act) {
	case CACHE_HIT:
		resp_cached(c, e);
		return 1;
	case CACHE_HIT_MISSING:
		/* Known missing (no object, no directory): to the fallbacks. */
		x->known_missing = 1;
		if (!route(c, 404))
			not_found(c, PH_DIRCHECK);
		return 1;
	case CACHE_REVALIDATE:
		x->reval = e;
		cache_hold(e);
		start_reval(c);
		return 1;
	case CACHE_FILL:
		x->fill = 1;
		if (e != NULL) {
			x->reval = e;
			cache_hold(e);
		}
		return 0;
	case CACHE_PASS:
		break;
	}
	return 0;
}

/* The whole object arrived: keep it. */
static void
cache_fill_done(struct conn *c)
{
	struct xfer *x = c->x;
	const char *hdr[CH_N];
	int i;

	if (x->fill_buf == NULL || x->fill_len != x->fill_cap || x->up_status != 200)
		return;
	for (i = 0; i < CH_N; i++)
		hdr[i] = x->uh[resp_cache_uh[i]];
	cache_put(site_cache(c), x->key, x->keylen, hdr, x->fill_buf, x->fill_len,
	    c->w->now_ms);
}

void
serve_request(struct conn *c)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	const struct http_request *r = &x->req;
	int st;

	if (ops_request(c))
		return;
	/*
	 * The site the Host names.  A host that no site names, with no
	 * default site, gets 421: this server has nothing for that authority,
	 * and a client (or a misrouted proxy) should not retry it here.
	 */
	c->site = site_hosts_find(&w->conf->hosts, r->host.p, r->host.len);
	if (c->site < 0) {
		resp_error(c, 421, "no site is served for this host name");
		return;
	}
	c->ws = &w->conf->sites[c->site];
	if (r->method == HTTP_M_OPTIONS) {
		answer_options(c);
		return;
	}
	if (r->method != HTTP_M_GET && r->method != HTTP_M_HEAD) {
		resp_error(c, 405, "only GET, HEAD and OPTIONS are served");
		return;
	}
	st = site_key(&c->ws->site, r->path.p, r->path.len, x->key, sizeof(x->key),
	    &x->keylen, &x->is_dir);
	if (st != 0) {
		resp_error(c, st, st == 400 ? "invalid path" : "path too long");
		return;
	}
	x->phase = PH_OBJECT;
	x->suffix_next = 0;
	/* The site's own redirects first: a redirect-all site sends /a.html away in one step. */
	if (route(c, 0))
		return;
	if (c->ws->site.redirect_suffixes) {
		char loc[1200], extra[1300];

		if (site_suffix_redirect(&c->ws->site, r->path.p, r->path.len,
		    r->query.len > 0 ? r->query.p : "", r->query.len, loc, sizeof(loc)) == 301) {
			snprintf(extra, sizeof(extra), "Location: %s\r\n", loc);
			resp_send(c, 301, "text/html; charset=utf-8", extra, "", 0);
			return;
		}
	}
	if (w->caching && c->ws->caching && try_cache(c))
		return;
	start_object(c);
}

/* Prepare to copy an object that fits the cache as it streams past. */
static void
fill_start(struct conn *c)
{
	struct xfer *x = c->x;
	char *end;
	unsigned long long len;

	x->fill = 0;
	if (x->uh[UH_CLEN][0] == '\0')
		return;
	len = strtoull(x->uh[UH_CLEN], &end, 10);
	if (*end != '\0' || len > c->w->cache.max_object)
		return;
	x->fill_buf = malloc(len > 0 ? (size_t)len : 1);
	x->fill_cap = (size_t)len;
	x->fill_len = 0;
}

/* The response head is complete: stream it if it is the answer. */
static void
headers_done(struct conn *c)
{
	struct xfer *x = c->x;

	switch (x->phase) {
	case PH_OBJECT:
		/* /dir/ found dir/index: a request for /dir may redirect at once. */
		if (x->is_dir && x->up_status == 200)
			dir_learn(c, x->key, x->keylen, 1);
		if (x->reval != NULL && x->up_status == 304)
			break; /* our copy is current: served from it when done */
		if ((x->up_status == 200 || x->up_status == 206) && object_redirect(c))
			break;
		if (x->fill && x->up_status == 200)
			fill_start(c);
		if (x->up_status == 200 || x->up_status == 206 || x->up_status == 304)
			resp_stream_head(c, x->up_status);
		break;
	case PH_SPA:
	case PH_SUFFIX:
		if (x->up_status == 200)
			resp_stream_head(c, 200);
		break;
	case PH_ERRDOC:
		if (x->up_status == 200) {
			/* The page must not be cached as if it were the URL's content. */
			x->uh[UH_ETAG][0] = '\0';
			x->uh[UH_LASTMOD][0] = '\0';
			snprintf(x->uh[UH_CC], sizeof(x->uh[UH_CC]), "no-store");
			resp_stream_head(c, 404);
		}
		break;
	default:
		break;
	}
}

/* libcurl's header callback: one line of S3's response head. */
static size_t
on_header(void *ctx, const char *p, size_t n)
{
	struct conn *c = ctx;
	struct xfer *x = c->x;
	const char *colon, *v, *end;
	int i;

	if (c->state == CS_CLOSED || x == NULL)
		return 0;
	if (n >= 12 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', n);

		x->up_status = sp != NULL ? atoi(sp + 1) : 0;
		x->up_headers_done = 0;
		memset(x->uh, 0, sizeof(x->uh));
		return n;
	}
	if ((n == 2 && p[0] == '\r') || (n == 1 && p[0] == '\n')) {
		if (x->up_status < 200)
			return n; /* an interim response; the real one follows */
		x->up_headers_done = 1;
		x->up_progress_ms = c->w->now_ms;
		headers_done(c);
		return n;
	}
	colon = memchr(p, ':', n);
	if (colon == NULL)
		return n;
	i = resp_header_index(p, (size_t)(colon - p));
	if (i < 0)
		return n;
	v = colon + 1;
	end = p + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	if ((size_t)(end - v) < sizeof(x->uh[i])) {
		memcpy(x->uh[i], v, (size_t)(end - v));
		x->uh[i][end - v] = '\0';
	}
	return n;
}

/*
 * Copy accepted body bytes for the cache.  Only accepted ones: a chunk
 * refused with CURL_WRITEFUNC_PAUSE comes back again later.
 */
static void
fill_copy(struct xfer *x, const char *p, size_t n)
{
	if (x->fill_buf == NULL)
		return;
	if (x->fill_cap - x->fill_len >= n) {
		memcpy(x->fill_buf + x->fill_len, p, n);
		x->fill_len += n;
	} else {
		free(x->fill_buf); /* longer than announced: do not keep it */
		x->fill_buf = NULL;
	}
}

/* libcurl's write callback: body bytes of S3's response. */
static size_t
on_body(void *ctx, const char *p, size_t n)
{
	struct conn *c = ctx;
	struct xfer *x = c->x;
	size_t room;

	if (c->state == CS_CLOSED || x == NULL)
		return 0; /* aborts the transfer */
	x->up_progress_ms = c->w->now_ms;
	if (x->up_answered)
		return n; /* a redirect object's body (normally none): dropped */
	if (x->phase == PH_LIST && x->up_status == 200) {
		/* A listing is gathered whole; one too large is refused later. */
		room = sizeof(x->out) - x->out_len;
		if (n >= room) {
			x->out_len = sizeof(x->out);
			return n;
		}
		memcpy(x->out + x->out_len, p, n);
		x->out_len += n;
		return n;
	}
	if (!x->up_streaming) {
		/* An error body: keep the start of it for the S3 error code. */
		room = sizeof(x->errbody) - 1 - x->errbody_len;
		if (room > n)
			room = n;
		memcpy(x->errbody + x->errbody_len, p, room);
		x->errbody_len += room;
		x->errbody[x->errbody_len] = '\0';
		return n;
	}
	/*
	 * Queue the chunk behind what is queued (at least the response head
	 * of a small response, which then leaves in one call).  libcurl hands
	 * over a large read in 16 KiB chunks: a full chunk waits for the next
	 * ones of the same read, and the worker sends them together once
	 * libcurl returns (conn_flush_pending), so that a large object goes
	 * out in a quarter of the system calls.
	 */
	if (x->out_off == x->out_len) {
		x->out_off = x->out_len = 0;
	} else if (x->out_off > 0 && sizeof(x->out) - x->out_len < n) {
		memmove(x->out, x->out + x->out_off, x->out_len - x->out_off);
		x->out_len -= x->out_off;
		x->out_off = 0;
	}
	if (sizeof(x->out) - x->out_len < n) {
		/* The client reads slower than S3 sends: let S3 wait. */
		return CURL_WRITEFUNC_PAUSE;
	}
	fill_copy(x, p, n);
	memcpy(x->out + x->out_len, p, n);
	x->out_len += n;
	c->body_sent += n;
	if (!c->writable)
		return n; /* sent when the socket has room again */
	if (n == CURL_MAX_WRITE_SIZE && sizeof(x->out) - x->out_len >= CURL_MAX_WRITE_SIZE) {
		conn_flush_later(c);
		return n;
	}
	if (conn_flush(c) == -1)
		return 0; /* closed: aborts the transfer */
	if (conn_flush(c) == -1)
		return 0;
	return n;
}

static void
start_listing(struct conn *c)
{
	struct xfer *x = c->x;
	char query[3 * S3_KEY_MAX + 128];
	size_t plen = x->keylen - strlen(c->ws->site.index);

	/* The request's key is dir/ + the index document; list dir/. */
	if (listing_query(x->key, plen, query, sizeof(query)) == -1) {
		resp_error(c, 414, "path too long");
		return;
	}
	x->keylen = plen;
	x->key[plen] = '\0';
	x->out_off = x->out_len = 0;
	if (conn_upstream_start(c, PH_LIST, "GET", "", 0, query, NULL) == -1)
		resp_error(c, 500, "cannot build the upstream request");
}

static void
listing_done(struct conn *c)
{
	static char html[96 * 1024];
	struct xfer *x = c->x;
	size_t len = x->out_len, hlen, skip = strlen(c->ws->site.prefix);
	int entries;

	x->out_off = x->out_len = 0;
	if (x->up_status != 200 || len == 0 || len >= sizeof(x->out)) {
		resp_error(c, 502, "the storage could not list the directory");
		return;
	}
	if (listing_html(x->out, len, x->key, x->keylen, skip, html, sizeof(html), &hlen,
	    &entries) == -1) {
		resp_error(c, 500, "the listing does not fit");
		return;
	}
	if (entries == 0 && x->keylen > skip) {
		/* An empty "directory" does not exist in S3: say so. */
		not_found(c, PH_LIST);
		return;
	}
	resp_send(c, 200, "text/html; charset=utf-8", "Cache-Control: no-cache\r\n", html, hlen);
}

static void
redirect_dir(struct conn *c)
{
	const struct http_request *r = &c->x->req;
	char loc[1139], extra[1200];

	if (site_dir_location(r->path.p, r->path.len, r->query.len > 0 ? r->query.p : "",
	    r->query.len, loc, sizeof(loc)) == -1) {
		resp_error(c, 414, "path too long");
		return;
	}
	snprintf(extra, sizeof(extra), "Location: %s\r\nCache-Control: max-age=60\r\n", loc);
	resp_send(c, 301, "text/html; charset=utf-8", extra,
	    "<!DOCTYPE html>\n<html><body>Moved</body></html>\n", 46);
}

/* Carry out the site rules' next step. */
static void
serve_next(struct conn *c, const struct site_next *n)
{
	struct xfer *x = c->x;

	if (n->remember_missing)
		cache_put_negative(site_cache(c), x->key, x->keylen, c->w->now_ms);
	switch (n->action) {
	case SITE_FETCH:
		if (n->phase == SITE_DIRCHECK) {
			int known = cache_dir_get(&dirs, c->ws->cache_ns, n->key, n->keylen,
			    c->w->now_ms);

			if (known != -1) {
				/* Answered as S3 answered the same check a moment ago. */
				struct site_req r;
				struct site_next again;

				x->phase = PH_DIRCHECK;
				site_req_of(c, &r);
				site_answer(&c->ws->site, &r, SITE_DIRCHECK, known ? 200 : 404, "",
				    &again);
				serve_next(c, &again);
				return;
			}
		}
		if (n->phase == SITE_SUFFIX)
			x->suffix_next++;
		if (conn_upstream_start(c, (enum up_phase)n->phase, n->head ? "HEAD" : "GET",
		    n->key, n->keylen, NULL, NULL) == -1)
			resp_error(c, 500, "cannot build the upstream request");
		return;
	case SITE_LISTING:
		start_listing(c);
		return;
	case SITE_REDIRECT:
		redirect_dir(c);
		return;
	case SITE_ERROR:
		resp_error(c, n->status, n->detail);
		return;
	}
}

/* S3 answered, and the answer was not streamed: what the site does next. */
static void
answered(struct conn *c)
{
	struct xfer *x = c->x;
	struct site_req r;
	struct site_next n;
	char code[64] = "";

	if (x->phase == PH_LIST) {
		listing_done(c);
		return;
	}
	s3_error_code(x->errbody, x->errbody_len, code, sizeof(code));
	if (x->phase == PH_OBJECT && x->up_status >= 400 && route(c, x->up_status))
		return;
	if (x->phase == PH_SPA)
		log_warn("SPA file \"%s\" answered %d", c->ws->site.spa_file, x->up_status);
	/*
	 * Only "there" and "not there" are remembered, never a storage
	 * hiccup.  The check asked for the object's key + "/" + index; a
	 * request for a directory asked for that key itself.
	 */
	if ((x->phase == PH_DIRCHECK || (x->phase == PH_OBJECT && x->is_dir)) &&
	    (x->up_status == 404 || x->up_status == 403 ||
	    (x->phase == PH_DIRCHECK && x->up_status == 200))) {
		char key[S3_KEY_MAX + 1];
		int len = x->phase == PH_OBJECT ? (int)x->keylen :
		    snprintf(key, sizeof(key), "%.*s/%s", (int)x->keylen, x->key,
		    c->ws->site.index);

		if (len > 0 && (size_t)len < sizeof(key))
			dir_learn(c, x->phase == PH_OBJECT ? x->key : key, (size_t)len,
			    x->up_status == 200);
	}
	site_req_of(c, &r);
	site_answer(&c->ws->site, &r, (enum site_phase)x->phase, x->up_status, code, &n);
	if (n.action == SITE_ERROR && n.status == 503)
		log_warn("upstream busy (%s) for %.*s", code[0] ? code : "503", (int)x->keylen,
		    x->key);
	if (n.upstream_fault)
		log_error("upstream answered %d %s for key \"%.*s\"", x->up_status, code,
		    (int)x->keylen, x->key);
	serve_next(c, &n);
}

/* The transfer ended: libcurl finished it, or the tick timed it out. */
static void
on_done(void *ctx, CURLcode rc)
{
	struct conn *c = ctx;
	struct xfer *x = c->x;

	if (c->state == CS_CLOSED || x == NULL)
		return;
	if (x->up_answered) {
		conn_run(c);
		return;
	}
	if (x->phase == PH_READY) {
		ops_ready_done(c, rc);
		conn_run(c);
		return;
	}
	if (x->up_streaming) {
		if (rc != CURLE_OK) {
			/* The head is out: the only honest signal left is to close. */
			log_warn("upstream transfer of \"%.*s\" failed after %llu bytes: %s",
			    (int)x->keylen, x->key, (unsigned long long)c->body_sent,
			    curl_easy_strerror(rc));
			accesslog_done(c);
			conn_close(c);
			return;
		}
		cache_fill_done(c);
		c->state = CS_SEND;
		conn_run(c);
		return;
	}
	if (x->phase == PH_REVAL) {
		if (rc == CURLE_OK && x->up_status == 304) {
			cache_refresh(site_cache(c), x->reval, c->w->now_ms);
			resp_cached(c, x->reval);
			conn_run(c);
			return;
		}
		/* Changed, gone or unknown: drop the copy, ask for the request. */
		cache_remove(&c->w->cache, x->reval);
		cache_release(&c->w->cache, x->reval);
		x->reval = NULL;
		start_object(c);
		return;
	}
	if (x->reval != NULL && rc == CURLE_OK && x->phase == PH_OBJECT) {
		if (x->up_status == 304) {
			cache_refresh(site_cache(c), x->reval, c->w->now_ms);
			resp_cached(c, x->reval);
			conn_run(c);
			return;
		}
		if (x->up_status == 404)
			cache_remove(&c->w->cache, x->reval);
	}
	if (rc != CURLE_OK) {
		int st = rc == CURLE_OPERATION_TIMEDOUT ? 504 : 502;

		log_error("upstream request for \"%.*s\" failed: %s", (int)x->keylen, x->key,
		    curl_easy_strerror(rc));
		resp_error(c, st, st == 504 ? "the storage did not answer in time" :
		    "the storage cannot be reached");
	} else {
		answered(c);
	}
	conn_run(c);
}

/* libcurl finished a transfer: count it, then go on. */
static void
on_curl_done(void *ctx, CURLcode rc)
{
	struct conn *c = ctx;
	struct xfer *x = c->x;

	if (x != NULL)
		metrics_upstream(rc == CURLE_OK ? x->up_status : 0,
		    (double)(c->w->now_ms - x->up.start_ms) / 1000.0);
	on_done(c, rc);
}

int
serve_upstream_tick(struct conn *c, uint64_t now)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	uint64_t limit = (uint64_t)w->conf->upstream_timeout_ms;

	if (!x->up_headers_done && now - x->up.start_ms > limit) {
		upstream_stop(&w->up, &x->up);
		log_error("upstream did not answer for \"%.*s\" within %d ms", (int)x->keylen,
		    x->key, w->conf->upstream_timeout_ms);
		on_done(c, CURLE_OPERATION_TIMEDOUT);
		return 1;
	}
	if (x->up_headers_done && !x->up.paused && now - x->up_progress_ms > limit) {
		upstream_stop(&w->up, &x->up);
		on_done(c, CURLE_OPERATION_TIMEDOUT);
		return 1;
	}
	return 0;
}

const struct upstream_ops serve_upstream_ops = {
	.header = on_header,
	.body = on_body,
	.done = on_curl_done,
	.flush = conn_flush_pending,
};

const struct conn_handler serve_handler = {
	.request = serve_request,
	.upstream_tick = serve_upstream_tick,
};
