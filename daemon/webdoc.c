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

int
webdoc_refresh(struct webdoc *d, const struct config *cfg, uint64_t now_ms)
{
	static char buf[WEBDOC_MAX];
	static struct site_rules rules;
	struct body b = { buf, 0, 0 };
	char err[256], sum[65], index[SITE_STR] = "", errdoc[SITE_STR] = "", code[64] = "";
	int st;

	d->next_ms = now_ms + (uint64_t)cfg->website_ttl_ms;
	if (cfg->website_document[0] == '\0') {
		if (!d->valid)
			return 0;
		d->valid = 0; /* no longer configured: what it said goes */
		return 1;
	}
	st = fetch(cfg, &b, err, sizeof(err));
	if (st == -1) {
		log_warn("website document \"%s\" cannot be read (%s); %s", cfg->website_document,
		    err, d->valid ? "keeping the last good one" : "serving without it");
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
		log_warn("website document \"%s\" is gone: its rules no longer apply",
		    cfg->website_document);
		d->valid = 0;
		return 1;
	}
	if (st != 200) {
		s3_error_code(buf, b.len, code, sizeof(code));
		log_warn("website document \"%s\": the storage answered %d %s; %s",
		    cfg->website_document, st, code, d->valid ? "keeping the last good one" :
		    "serving without it");
		return 0;
	}
	sigv4_sha256_hex(buf, b.len, sum);
	if (d->valid && strcmp(d->key, cfg->website_document) == 0 && strcmp(d->sum, sum) == 0)
		return 0;
	if (site_website_parse(buf, b.len, &rules, index, errdoc, err, sizeof(err)) == -1) {
		log_error("website document \"%s\" is not valid, %s: %s", cfg->website_document,
		    d->valid ? "keeping the last good one" : "serving without it", err);
		return 0;
	}
	d->rules = rules;
	snprintf(d->key, sizeof(d->key), "%s", cfg->website_document);
	memcpy(d->sum, sum, sizeof(sum));
	memcpy(d->index, index, sizeof(index));
	memcpy(d->error_document, errdoc, sizeof(errdoc));
	d->valid = 1;
	log_info("website document \"%s\" read: %d routing rule(s)%s", cfg->website_document,
	    rules.nrules, rules.redirect_all ? ", all requests redirected" : "");
	return 1;
}

void
webdoc_apply(const struct webdoc *d, const struct config *cfg, struct worker_conf *wc)
{
	if (!d->valid || strcmp(d->key, cfg->website_document) != 0)
		return;
	/* The document's rules replace those of the settings file. */
	wc->site.rules = d->rules;
	if (d->index[0] != '\0')
		memcpy(wc->site.index, d->index, sizeof(wc->site.index));
	if (d->error_document[0] != '\0')
		memcpy(wc->site.error_document, d->error_document,
		    sizeof(wc->site.error_document));
}
