/*
 * ops.c - the operations endpoints: liveness (/healthz), readiness
 * (/readyz, which asks S3 for one byte of the index document, at most once
 * a second per worker) and the Prometheus metrics.  They answer on the ops
 * listener when there is one, else on the main one.
 */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "response.h"

static int
path_is(const struct http_str *path, const char *want)
{
	return want[0] != '\0' && path->len == strlen(want) &&
	    memcmp(path->p, want, path->len) == 0;
}

static void
answer_ready(struct conn *c)
{
	struct worker *w = c->w;
	char body[192];
	int n;

	if (w->ready_ok) {
		resp_send(c, 200, "text/plain; charset=utf-8", "Cache-Control: no-store\r\n",
		    "ready\n", 6);
		return;
	}
	n = snprintf(body, sizeof(body), "not ready: %s\n", w->ready_reason);
	resp_send(c, 503, "text/plain; charset=utf-8", "Cache-Control: no-store\r\n", body,
	    (size_t)n);
}

static void
start_ready_check(struct conn *c)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	static const char *const fwd[] = { "Range: bytes=0-0", NULL };
	int n;

	/* One S3 round trip per second at most, whatever the probe rate. */
	if (w->ready_at_ms != 0 && w->now_ms - w->ready_at_ms < 1000) {
		answer_ready(c);
		return;
	}
	/* The first site stands for all: they share the endpoint as a rule. */
	c->site = 0;
	c->ws = &w->conf->sites[0];
	n = snprintf(x->key, sizeof(x->key), "%s%s", c->ws->site.prefix, c->ws->site.index);
	x->keylen = (size_t)n;
	if (conn_upstream_start(c, PH_READY, "GET", x->key, x->keylen, NULL, fwd) == -1) {
		snprintf(w->ready_reason, sizeof(w->ready_reason), "cannot build request");
		w->ready_ok = 0;
		answer_ready(c);
	}
}

static void
answer_metrics(struct conn *c)
{
	static char buf[48 * 1024];
	ssize_t n = metrics_render(buf, sizeof(buf));

	if (n < 0) {
		resp_error(c, 500, "metrics do not fit the buffer");
		return;
	}
	resp_send(c, 200, "text/plain; version=0.0.4; charset=utf-8",
	    "Cache-Control: no-store\r\n", buf, (size_t)n);
}

void
ops_ready_done(struct conn *c, CURLcode rc)
{
	struct worker *w = c->w;
	struct xfer *x = c->x;
	int st = x->up_status;
	char code[64] = "";

	s3_error_code(x->errbody, x->errbody_len, code, sizeof(code));
	w->ready_at_ms = w->now_ms;
	if (rc != CURLE_OK) {
		w->ready_ok = 0;
		snprintf(w->ready_reason, sizeof(w->ready_reason), "storage unreachable: %s",
		    curl_easy_strerror(rc));
	} else if (st == 200 || st == 206 || st == 416 ||
	    (st == 404 && strcmp(code, "NoSuchBucket") != 0)) {
		w->ready_ok = 1;
		w->ready_reason[0] = '\0';
	} else {
		w->ready_ok = 0;
		snprintf(w->ready_reason, sizeof(w->ready_reason), "storage answered %d %s", st,
		    code);
	}
	answer_ready(c);
}

int
ops_request(struct conn *c)
{
	const struct worker_conf *conf = c->w->conf;
	const struct http_str *path = &c->x->req.path;

	/* The ops paths answer on the ops listener when there is one. */
	if (c->internal || !c->w->ops_listener) {
		if (path_is(path, conf->healthz_path)) {
			resp_send(c, 200, "text/plain; charset=utf-8",
			    "Cache-Control: no-store\r\n", "ok\n", 3);
			return 1;
		}
		if (path_is(path, conf->readyz_path)) {
			start_ready_check(c);
			return 1;
		}
		if (path_is(path, conf->metrics_path)) {
			answer_metrics(c);
			return 1;
		}
	}
	if (c->internal) {
		resp_error(c, 404, "not an ops path");
		return 1;
	}
	return 0;
}
