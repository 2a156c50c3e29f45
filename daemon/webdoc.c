/*
 * webdoc.c - reading the WebsiteConfiguration document (see webdoc.h).
 */
#include "webdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "s3.h"
#include "s3curl.h"
#include "sigv4.h"

struct body {
	char *p;
	size_t len;
	int toolarge;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;

	if (b->len + len > WEBDOC_MAX) {
		b->toolarge = 1;
		return 0;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return len;
}

/*
 * One signed GET of the document, blocking: the master is not on the data
 * path, and the time it may take is bounded by the settings' timeouts.
 * Returns the HTTP status, or -1 with the reason in err.
 */
static int
fetch(const struct config *cfg, struct body *b, char *err, size_t errsz)
{
	static struct s3_request req; /* large: kept off the stack */
	struct sigv4_ctx sig;
	struct s3_endpoint ep;
	char key[2 * CONFIG_STR];
	CURL *h;
	CURLcode rc;
	long status = 0;
	int signing = cfg->access_key[0] != '\0';

	if (s3_endpoint_init(&ep, cfg->endpoint, cfg->bucket, cfg->region, cfg->virtual_host,
	    err, errsz) == -1)
		return -1;
	if (signing && sigv4_init(&sig, cfg->access_key, cfg->secret_key, cfg->region,
	    "s3") == -1) {
		snprintf(err, errsz, "credentials do not fit");
		return -1;
	}
	snprintf(key, sizeof(key), "%s%s", cfg->bucket_path, cfg->website_document);
	if (s3_request_build(&req, signing ? &sig : NULL, &ep,
	    cfg->session_token[0] != '\0' ? cfg->session_token : NULL, "GET", key, strlen(key),
	    NULL, SIGV4_EMPTY_SHA256, NULL, time(NULL)) == -1) {
		snprintf(err, errsz, "the request does not fit");
		sigv4_clear(&sig);
		return -1;
	}
	if (signing)
		sigv4_clear(&sig);
	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "libcurl: out of memory");
		return -1;
	}
	s3curl_defaults(h, cfg->connect_timeout_ms, cfg->tls_verify, cfg->ca_bundle);
	curl_easy_setopt(h, CURLOPT_URL, req.url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, &req.slist[0]);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(cfg->upstream_timeout_ms < 10000 ?
	    cfg->upstream_timeout_ms : 10000));
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (b->toolarge) {
		snprintf(err, errsz, "larger than %d KiB", WEBDOC_MAX / 1024);
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errsz, "%s", curl_easy_strerror(rc));
		return -1;
	}
	return (int)status;
}

/* One site's document (cfg is the site's settings). */
static int
refresh_one(struct webdoc *d, const struct config *cfg, uint64_t now_ms)
{
	static char buf[WEBDOC_MAX];
	static struct website_rules rules;
	struct body b = { buf, 0, 0 };
	char err[256], sum[65], index[SITE_STR] = "", errdoc[SITE_STR] = "", code[64] = "";
	char who[CONFIG_SITE_NAME + 16] = "";
	int st;

	/* With several sites, each line says whose document it is. */
	if (cfg->site_line > 0)
		snprintf(who, sizeof(who), "site %s: ", cfg->site_name);

	d->next_ms = now_ms + (uint64_t)cfg->website_ttl_ms;
	if (cfg->website_document[0] == '\0') {
		if (!d->valid)
			return 0;
		d->valid = 0; /* no longer configured: what it said goes */
		return 1;
	}
	st = fetch(cfg, &b, err, sizeof(err));
	if (st == -1) {
		log_warn("%swebsite document \"%s\" cannot be read (%s); %s", who,
		    cfg->website_document, err,
		    d->valid ? "keeping the last good one" : "serving without it");
		return 0;
	}
	if (st == 404) {
		if (!d->valid || strcmp(d->key, cfg->website_document) != 0) {
			if (d->valid) {
				d->valid = 0;
				return 1;
			}
			return 0;
		}
		log_warn("%swebsite document \"%s\" is gone: its rules no longer apply", who,
		    cfg->website_document);
		d->valid = 0;
		return 1;
	}
	if (st != 200) {
		s3_error_code(buf, b.len, code, sizeof(code));
		log_warn("%swebsite document \"%s\": the storage answered %d %s; %s", who,
		    cfg->website_document, st, code, d->valid ? "keeping the last good one" :
		    "serving without it");
		return 0;
	}
	sigv4_sha256_hex(buf, b.len, sum);
	if (d->valid && strcmp(d->key, cfg->website_document) == 0 && strcmp(d->sum, sum) == 0)
		return 0;
	if (website_parse(buf, b.len, &rules, index, errdoc, err, sizeof(err)) == -1) {
		log_error("%swebsite document \"%s\" is not valid, %s: %s", who,
		    cfg->website_document,
		    d->valid ? "keeping the last good one" : "serving without it", err);
		return 0;
	}
	d->rules = rules;
	snprintf(d->key, sizeof(d->key), "%s", cfg->website_document);
	memcpy(d->sum, sum, sizeof(sum));
	memcpy(d->index, index, sizeof(index));
	memcpy(d->error_document, errdoc, sizeof(errdoc));
	d->valid = 1;
	log_info("%swebsite document \"%s\" read: %d routing rule(s)%s", who,
	    cfg->website_document, rules.nrules,
	    rules.redirect_all ? ", all requests redirected" : "");
	return 1;
}

static void
apply_one(const struct webdoc *d, const struct config *cfg, struct worker_site *ws)
{
	if (!d->valid || strcmp(d->key, cfg->website_document) != 0)
		return;
	/* The document's rules replace those of the settings file. */
	ws->site.rules = d->rules;
	if (d->index[0] != '\0')
		memcpy(ws->site.index, d->index, sizeof(ws->site.index));
	if (d->error_document[0] != '\0')
		memcpy(ws->site.error_document, d->error_document,
		    sizeof(ws->site.error_document));
}

/* The slot of a site's document; a free one if it has none; NULL if full. */
static struct webdoc *
slot_of(struct webdocs *w, const char *site)
{
	struct webdoc *free_slot = NULL;
	int i;

	for (i = 0; i < CONFIG_MAX_SITES; i++) {
		if (strcmp(w->doc[i].site, site) == 0)
			return &w->doc[i];
		if (w->doc[i].site[0] == '\0' && free_slot == NULL)
			free_slot = &w->doc[i];
	}
	if (free_slot != NULL) {
		memset(free_slot, 0, sizeof(*free_slot));
		snprintf(free_slot->site, sizeof(free_slot->site), "%s", site);
	}
	return free_slot;
}

static const struct webdoc *
find(const struct webdocs *w, const char *site)
{
	int i;

	for (i = 0; i < CONFIG_MAX_SITES; i++)
		if (w->doc[i].site[0] != '\0' && strcmp(w->doc[i].site, site) == 0)
			return &w->doc[i];
	return NULL;
}

/*
 * Free the slots no site needs: a site that is gone takes its document's
 * rules with it; one that names no document keeps its slot only while the
 * document it had is still applied (refresh_one() then drops it).
 */
static void
forget_gone(struct webdocs *w, const struct config *cfg)
{
	int i, j;

	for (i = 0; i < CONFIG_MAX_SITES; i++) {
		const struct config *sc = NULL;

		if (w->doc[i].site[0] == '\0')
			continue;
		for (j = 0; j < cfg->nsites; j++)
			if (strcmp(cfg->sites[j].site_name, w->doc[i].site) == 0)
				sc = &cfg->sites[j];
		if (sc == NULL || (!w->doc[i].valid && sc->website_document[0] == '\0'))
			memset(&w->doc[i], 0, sizeof(w->doc[i]));
	}
}

int
webdoc_refresh(struct webdocs *w, const struct config *cfg, uint64_t now_ms)
{
	int i, changed = 0;

	forget_gone(w, cfg);
	for (i = 0; i < cfg->nsites; i++) {
		const struct config *sc = &cfg->sites[i];
		struct webdoc *d;

		if (sc->website_document[0] == '\0' && find(w, sc->site_name) == NULL)
			continue;
		if ((d = slot_of(w, sc->site_name)) == NULL)
			continue;
		if (d->next_ms <= now_ms && refresh_one(d, sc, now_ms) == 1)
			changed = 1;
	}
	return changed;
}

void
webdoc_apply(const struct webdocs *w, const struct config *cfg, struct worker_conf *wc)
{
	int i;

	for (i = 0; i < cfg->nsites && i < wc->nsites; i++) {
		const struct webdoc *d = find(w, cfg->sites[i].site_name);

		if (d != NULL)
			apply_one(d, &cfg->sites[i], &wc->sites[i]);
	}
}

int
webdoc_timeout(const struct webdocs *w, const struct config *cfg, uint64_t now_ms,
    int timeout)
{
	int i;

	for (i = 0; i < cfg->nsites; i++) {
		const struct webdoc *d = find(w, cfg->sites[i].site_name);
		uint64_t next;

		if (cfg->sites[i].website_document[0] == '\0' && (d == NULL || !d->valid))
			continue;
		next = d != NULL ? d->next_ms : 0;
		if (next <= now_ms)
			return 0;
		if (timeout < 0 || next - now_ms < (uint64_t)timeout)
			timeout = (int)(next - now_ms);
	}
	return timeout;
}

void
webdoc_soon(struct webdocs *w)
{
	int i;

	for (i = 0; i < CONFIG_MAX_SITES; i++)
		w->doc[i].next_ms = 0;
}
