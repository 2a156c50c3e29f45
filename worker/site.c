/*
 * site.c - the website rules, without I/O (see site.h).
 */
#include "site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "http.h"
#include "sigv4.h"
#include "website.h"
#include "xml.h"

#define SITE_NOT_FOUND "The requested URL was not found."

int
site_key(const struct site_conf *s, const char *path, size_t len, char *key, size_t keysz,
    size_t *keylen, int *is_dir)
{
	ssize_t klen = http_path_to_key(path, len, s->prefix, key, keysz, is_dir);
	size_t il;

	if (klen < 0)
		return 400;
	*keylen = (size_t)klen;
	if (!*is_dir)
		return 0;
	il = strlen(s->index);
	if (*keylen + il >= keysz)
		return 414;
	memcpy(key + *keylen, s->index, il + 1);
	*keylen += il;
	return 0;
}

/*
 * "auto" asks only for names without a dot in their last segment:
 * /logo.png or /wp-login.php are not directories on any real site, and
 * those are most of the misses a public server answers, each of which
 * would otherwise cost two S3 requests.
 */
/* Is the last segment of key free of dots (a name that may be a page)? */
static int
dotless(const char *key, size_t keylen)
{
	size_t i;

	for (i = keylen; i > 0 && key[i - 1] != '/'; i--)
		if (key[i - 1] == '.')
			return 0;
	return 1;
}

int
site_dir_redirect_applies(const struct site_conf *s, const char *key, size_t keylen)
{
	if (s->dir_redirect == SITE_DIR_OFF)
		return 0;
	if (s->dir_redirect == SITE_DIR_ALWAYS)
		return 1;
	return dotless(key, keylen);
}

static void
fetch(struct site_next *n, enum site_phase phase, int head, const char *a, size_t alen,
    const char *b)
{
	int len = snprintf(n->key, sizeof(n->key), "%.*s%s", (int)alen, a, b);

	n->action = SITE_FETCH;
	n->phase = phase;
	n->head = head;
	n->keylen = len < 0 ? 0 : (size_t)len >= sizeof(n->key) ? sizeof(n->key) - 1 :
	    (size_t)len;
}

static void
error(struct site_next *n, int status, const char *detail)
{
	n->action = SITE_ERROR;
	n->status = status;
	n->detail = detail;
}

/*
 * The SPA file (spa) or the error document for the request: the longest
 * prefix of site.fallbacks that sets it, else the site's own.
 */
static const char *
fallback_for(const struct site_conf *s, const struct site_req *r, int spa)
{
	const char *doc = spa ? s->spa_file : s->error_document;
	size_t pl = strlen(s->prefix);
	const char *key = r->key + (r->keylen >= pl ? pl : r->keylen);
	size_t klen = r->keylen >= pl ? r->keylen - pl : 0;
	long best = -1;
	int i;

	for (i = 0; i < s->nfallbacks; i++) {
		const struct site_fallback *f = &s->fallbacks[i];
		const char *d = spa ? f->spa_file : f->error_document;
		size_t fl = strlen(f->prefix);

		if (d[0] != '\0' && (long)fl > best && klen >= fl &&
		    memcmp(key, f->prefix, fl) == 0) {
			doc = d;
			best = (long)fl;
		}
	}
	return doc;
}


void
site_not_found(const struct site_conf *s, const struct site_req *r, enum site_phase after,
    struct site_next *n)
{
	int dircheck, suffix;
	const char *spa, *errdoc;

	/* Clean URLs: after the object (or a suffix) is missing, the next suffix. */
	suffix = (after == SITE_OBJECT || after == SITE_SUFFIX) && !r->is_dir && r->keylen > 0 &&
	    r->suffix_next < s->nsuffixes && dotless(r->key, r->keylen) &&
	    r->keylen + strlen(s->suffixes[r->suffix_next]) < sizeof(n->key);
	if (after == SITE_SUFFIX)
		after = SITE_OBJECT; /* the suffixes are part of looking for the object */
	dircheck = !suffix && after == SITE_OBJECT && !r->is_dir && r->keylen > 0 &&
	    r->keylen + 1 + strlen(s->index) < sizeof(n->key) &&
	    site_dir_redirect_applies(s, r->key, r->keylen);

	memset(n, 0, sizeof(*n));
	if (suffix) {
		fetch(n, SITE_SUFFIX, r->head, r->key, r->keylen, s->suffixes[r->suffix_next]);
		return;
	}
	/*
	 * Neither an object nor a directory: worth remembering for a TTL.  A
	 * directory that may be listed is not, as new keys below it change
	 * the answer without changing the key.
	 */
	n->remember_missing = r->caching && !dircheck &&
	    (after == SITE_OBJECT || after == SITE_DIRCHECK) &&
	    !(r->is_dir && s->directory_listing) && !r->known_missing;
	if (dircheck) {
		fetch(n, SITE_DIRCHECK, 1, r->key, r->keylen, "/");
		/* key + "/" + index: fits, checked above. */
		memcpy(n->key + n->keylen, s->index, strlen(s->index) + 1);
		n->keylen += strlen(s->index);
		return;
	}
	/*
	 * A directory without its index is listed, if listing is on; also
	 * when the cache already knew the index to be missing (which skips to
	 * SITE_DIRCHECK: a directory path has no directory check of its own).
	 */
	if ((after == SITE_OBJECT || after == SITE_DIRCHECK) && r->is_dir &&
	    s->directory_listing && !r->head) {
		n->action = SITE_LISTING;
		return;
	}
	spa = fallback_for(s, r, 1);
	if ((after == SITE_OBJECT || after == SITE_DIRCHECK || after == SITE_LIST) &&
	    spa[0] != '\0') {
		fetch(n, SITE_SPA, r->head, s->prefix, strlen(s->prefix), spa);
		return;
	}
	errdoc = fallback_for(s, r, 0);
	if (after != SITE_ERRDOC && errdoc[0] != '\0') {
		fetch(n, SITE_ERRDOC, r->head, s->prefix, strlen(s->prefix), errdoc);
		return;
	}
	error(n, 404, SITE_NOT_FOUND);
}

void
site_answer(const struct site_conf *s, const struct site_req *r, enum site_phase phase,
    int status, const char *code, struct site_next *n)
{
	switch (phase) {
	case SITE_DIRCHECK:
		/*
		 * key/index exists: redirect.  A HEAD has no body to carry an
		 * error code, and MinIO answers 403 without one for a key
		 * under a prefix the policy does not cover: not found too.
		 */
		if (status == 200) {
			memset(n, 0, sizeof(*n));
			n->action = SITE_REDIRECT;
			n->status = 301;
			return;
		}
		site_not_found(s, r, SITE_DIRCHECK, n);
		/*
		 * Only an answer that says "not there" is remembered: a
		 * storage hiccup must not hide a directory for a whole TTL.
		 */
		if (status != 404 && status != 403)
			n->remember_missing = 0;
		return;
	case SITE_SPA:
		site_not_found(s, r, SITE_SPA, n);
		return;
	case SITE_ERRDOC:
		memset(n, 0, sizeof(*n));
		error(n, 404, SITE_NOT_FOUND);
		return;
	case SITE_SUFFIX:
		/* Only a missing suffixed key goes on; anything else is an error. */
		if (status == 404 || status == 403) {
			site_not_found(s, r, SITE_SUFFIX, n);
			return;
		}
		break;
	case SITE_OBJECT:
	case SITE_LIST:
		break;
	}
	if (status == 404) {
		site_not_found(s, r, phase, n);
		return;
	}
	memset(n, 0, sizeof(*n));
	if (status == 412) {
		error(n, 412, "precondition failed");
	} else if (status == 416) {
		error(n, 416, "the range is not satisfiable");
	} else if (status == 403 && (strcmp(code, "AccessDenied") == 0 || code[0] == '\0')) {
		error(n, 403, "access denied");
	} else if (status == 503) {
		error(n, 503, "the storage is busy, try again");
	} else {
		/* Our credentials, region or endpoint are wrong: not the client's fault. */
		error(n, 502, "the storage refused the request");
		n->upstream_fault = 1;
	}
}

int
site_dir_location(const char *path, size_t len, const char *query, size_t qlen, char *out,
    size_t outsz)
{
	int n;

	/*
	 * One leading slash only: "//host" would send the client elsewhere,
	 * and so would "/\\host", which browsers read as "//host".  The path
	 * maps to the same key without them.
	 */
	while (len > 0 && (path[0] == '/' || path[0] == '\\')) {
		path++;
		len--;
	}
	if (len + 2 + (qlen > 0 ? qlen + 1 : 0) > outsz)
		return -1;
	n = snprintf(out, outsz, "/%.*s/%s%.*s", (int)len, path, qlen > 0 ? "?" : "", (int)qlen,
	    qlen > 0 ? query : "");
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}

int
site_origin_allowed(const struct site_conf *s, const char *origin, size_t len)
{
	int i;

	for (i = 0; i < s->norigins; i++) {
		if (strcmp(s->origins[i], "*") == 0)
			return 1;
		if (strlen(s->origins[i]) == len && strncasecmp(s->origins[i], origin, len) == 0)
			return 1;
	}
	return 0;
}

/*
 * The Location for a new key: "/key" on this host, or proto://host/key.
 * The key is percent-encoded (slashes kept), so no byte of it can end the
 * header or start an authority; leading slashes are dropped, as no key has
 * them and "//x" would name another host.
 */
static int
location(char *loc, size_t locsz, const char *proto, const char *host, const char *a,
    size_t alen, const char *b, size_t blen, const char *query, size_t qlen)
{
	char key[S3_KEY_MAX + 1];
	size_t off = 0, n;
	ssize_t e;
	int w;

	if (alen + blen >= sizeof(key))
		return -1;
	memcpy(key, a, alen);
	memcpy(key + alen, b, blen);
	n = alen + blen;
	while (off < n && key[off] == '/')
		off++;
	if (host[0] != '\0')
		w = snprintf(loc, locsz, "%s://%s/", proto[0] != '\0' ? proto : "http", host);
	else
		w = snprintf(loc, locsz, "/");
	if (w < 0 || (size_t)w >= locsz)
		return -1;
	e = sigv4_uri_encode(key + off, n - off, loc + w, locsz - (size_t)w, 1);
	if (e < 0)
		return -1;
	w += (int)e;
	if (qlen > 0) {
		if ((size_t)w + 1 + qlen >= locsz)
			return -1;
		loc[w++] = '?';
		memcpy(loc + w, query, qlen);
		w += (int)qlen;
		loc[w] = '\0';
	}
	return w;
}

int
site_route(const struct site_conf *s, const char *key, size_t keylen, const char *query,
    size_t qlen, int error, char *loc, size_t locsz)
{
	const struct website_rules *rs = &s->rules;
	int i;

	if (rs->redirect_all) {
		if (error != 0)
			return 0;
		return location(loc, locsz, rs->all_protocol, rs->all_host, key, keylen, "", 0,
		    query, qlen) < 0 ? -1 : 301;
	}
	for (i = 0; i < rs->nrules; i++) {
		const struct website_rule *r = &rs->rule[i];
		size_t plen = strlen(r->key_prefix);
		int n;

		/*
		 * A rule without an error condition applies before the object is
		 * asked for; one with it, to that error only.
		 */
		if (r->error_code != error)
			continue;
		if (keylen < plen || memcmp(key, r->key_prefix, plen) != 0)
			continue;
		if (r->has_replace_key)
			n = location(loc, locsz, r->protocol, r->host, r->replace_key,
			    strlen(r->replace_key), "", 0, query, qlen);
		else if (r->has_replace_prefix)
			n = location(loc, locsz, r->protocol, r->host, r->replace_prefix,
			    strlen(r->replace_prefix), key + plen, keylen - plen, query, qlen);
		else
			n = location(loc, locsz, r->protocol, r->host, key, keylen, "", 0, query,
			    qlen);
		if (n < 0)
			return -1;
		return r->code != 0 ? r->code : 301;
	}
	return 0;
}

int
site_redirect_target_ok(const char *t)
{
	return s3_redirect_target_why(t) == NULL;
}

int
site_header_check(const struct site_header *h, char *err, size_t errsz)
{
	static const char *const refused[] = {
		"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
		"content-range", "location", "date", "server", "trailer", "te",
		"proxy-connection", "set-cookie",
	};
	const char *p;
	size_t i;

	if (h->name[0] == '\0') {
		snprintf(err, errsz, "a header needs a name");
		return -1;
	}
	for (p = h->name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p) != NULL)) {
			snprintf(err, errsz, "header name \"%s\" is not a token", h->name);
			return -1;
		}
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (strcasecmp(h->name, refused[i]) == 0) {
			snprintf(err, errsz, "header \"%s\" is set by the server itself", h->name);
			return -1;
		}
	}
	for (p = h->value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			snprintf(err, errsz, "the value of \"%s\" holds a control character",
			    h->name);
			return -1;
		}
		if ((unsigned char)*p == 0x7f) {
			snprintf(err, errsz, "the value of \"%s\" holds a control character",
			    h->name);
			return -1;
		}
	}
	return 0;
}

int
site_headers_for(const struct site_conf *s, const char *key, size_t keylen,
    const struct site_header **out)
{
	int i, j, n = 0;

	for (i = 0; i < s->nheaders; i++) {
		const struct site_header *h = &s->headers[i];
		size_t plen = strlen(h->prefix);

		if (keylen < plen || memcmp(key, h->prefix, plen) != 0)
			continue;
		/* One rule per name: the longest prefix, else the first. */
		for (j = 0; j < n; j++)
			if (strcasecmp(out[j]->name, h->name) == 0)
				break;
		if (j < n) {
			if (strlen(out[j]->prefix) < plen)
				out[j] = h;
			continue;
		}
		if (n < SITE_MAX_HEADERS)
			out[n++] = h;
	}
	return n;
}

int
site_suffix_redirect(const struct site_conf *s, const char *path, size_t len,
    const char *query, size_t qlen, char *loc, size_t locsz)
{
	size_t sl;
	int i;

	if (!s->redirect_suffixes)
		return 0;
	/* One leading '/', as for the directory redirect: never "//host" or "/\\host". */
	while (len > 0 && (path[0] == '/' || path[0] == '\\')) {
		path++;
		len--;
	}
	for (i = 0; i < s->nsuffixes; i++) {
		sl = strlen(s->suffixes[i]);
		/* "about.html" -> "/about", but not ".html" nor "dir/.html". */
		if (len <= sl || memcmp(path + len - sl, s->suffixes[i], sl) != 0 ||
		    path[len - sl - 1] == '/')
			continue;
		if (len - sl + (qlen > 0 ? qlen + 1 : 0) + 2 > locsz)
			return 0;
		{
			/* dir/index.html goes to dir/, not to dir/index. */
			const char *slash = memrchr(path, '/', len);
			size_t seg = slash != NULL ? (size_t)(slash - path) + 1 : 0;

			if (len - seg == strlen(s->index) && memcmp(path + seg, s->index,
			    len - seg) == 0)
				len = seg + sl;
		}
		snprintf(loc, locsz, "/%.*s%s%.*s", (int)(len - sl), path, qlen > 0 ? "?" : "",
		    (int)qlen, qlen > 0 ? query : "");
		return 301;
	}
	return 0;
}

int
site_host_norm(const char *in, size_t len, char *out, size_t outsz)
{
	size_t i, n = len;

	if (len > 0 && in[0] == '[') {
		/* An IPv6 literal: the port, if any, follows the ']'. */
		const char *end = memchr(in, ']', len);

		if (end == NULL)
			return -1;
		n = (size_t)(end - in) + 1;
		if (n < len && in[n] != ':')
			return -1;
	} else {
		const char *colon = memchr(in, ':', len);

		if (colon != NULL)
			n = (size_t)(colon - in);
	}
	if (n > 1 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= outsz || in[n - 1] == '.')
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		/* An empty label ("a..b", ".a") is no host name. */
		if (c == '.' && (i == 0 || in[i - 1] == '.'))
			return -1;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '[' || c == ']' || c == ':' || c == '*'))
			return -1;
		out[i] = (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

int
site_hosts_add(struct site_hosts *t, const char *name, int site, int *other, char *err,
    size_t errsz)
{
	struct site_host h;
	int n, i;

	memset(&h, 0, sizeof(h));
	n = site_host_norm(name, strlen(name), h.name, sizeof(h.name));
	if (n == -1 || (n > 0 && strchr(h.name, ':') != NULL && h.name[0] != '[')) {
		snprintf(err, errsz, "\"%s\" is not a host name", name);
		return -1;
	}
	if (h.name[0] == '*') {
		/* Only a whole leading label may be a wildcard, as in nginx. */
		if (n < 3 || h.name[1] != '.' || strchr(h.name + 1, '*') != NULL) {
			snprintf(err, errsz, "\"%s\": a wildcard is \"*.\" followed by a domain",
			    name);
			return -1;
		}
		memmove(h.name, h.name + 1, (size_t)n);
		n--;
		h.wildcard = 1;
	} else if (strchr(h.name, '*') != NULL) {
		snprintf(err, errsz, "\"%s\": '*' may only begin a name", name);
		return -1;
	}
	h.len = (size_t)n;
	h.site = site;
	for (i = 0; i < t->n; i++) {
		if (t->h[i].wildcard == h.wildcard && strcmp(t->h[i].name, h.name) == 0) {
			*other = t->h[i].site;
			return 1;
		}
	}
	if (t->n == t->cap) {
		int cap = t->cap > 0 ? t->cap * 2 : 8;
		struct site_host *p = realloc(t->h, (size_t)cap * sizeof(*p));

		if (p == NULL) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		t->h = p;
		t->cap = cap;
	}
	t->h[t->n++] = h;
	return 0;
}

static int
host_order(const void *a, const void *b)
{
	const struct site_host *x = a, *y = b;

	if (x->wildcard != y->wildcard)
		return x->wildcard - y->wildcard;
	if (x->wildcard && x->len != y->len)
		return x->len < y->len ? 1 : -1;
	return strcmp(x->name, y->name);
}

void
site_hosts_sort(struct site_hosts *t)
{
	if (t->n > 1)
		qsort(t->h, (size_t)t->n, sizeof(*t->h), host_order);
}

int
site_hosts_find(const struct site_hosts *t, const char *host, size_t len)
{
	char name[SITE_HOST_LEN];
	int i, n;

	if (len == 0 || t->n == 0 ||
	    (n = site_host_norm(host, len, name, sizeof(name))) == -1)
		return t->default_site;
	for (i = 0; i < t->n; i++) {
		const struct site_host *h = &t->h[i];

		if (!h->wildcard) {
			if (h->len == (size_t)n && memcmp(h->name, name, (size_t)n) == 0)
				return h->site;
			continue;
		}
		/* ".example.com" matches a name that ends with it and is longer. */
		if ((size_t)n > h->len && memcmp(name + (size_t)n - h->len, h->name, h->len) == 0)
			return h->site;
	}
	return t->default_site;
}

void
site_hosts_free(struct site_hosts *t)
{
	free(t->h);
	t->h = NULL;
	t->n = t->cap = 0;
}
