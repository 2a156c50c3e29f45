/*
 * accesslog.c - the access log (combined or JSON lines) and the request
 * metrics, written once per request when it is done.
 *
 * The request line, User-Agent and Referer are escaped into the connection
 * as soon as the head is parsed (the input buffer is reused afterwards), so
 * that writing the line costs one snprintf and one write().
 */
#include "accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

/*
 * Copy s into dst for the access log, escaping what could forge a line or
 * break the JSON: \xHH in the combined format, \u00HH in JSON.
 */
void
accesslog_escape(char *dst, size_t dstsz, const char *s, size_t len, int json)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len && o + 7 < dstsz; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			dst[o++] = '\\';
			if (json) {
				dst[o++] = 'u';
				dst[o++] = '0';
				dst[o++] = '0';
			} else {
				dst[o++] = 'x';
			}
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 15];
		} else {
			dst[o++] = (char)ch;
		}
	}
	dst[o] = '\0';
}

static enum metrics_method
metrics_method_of(int m)
{
	switch (m) {
	case HTTP_M_GET: return MET_GET;
	case HTTP_M_HEAD: return MET_HEAD;
	case HTTP_M_OPTIONS: return MET_OPTIONS;
	default: return MET_OTHER;
	}
}

int
accesslog_open(struct worker *w)
{
	const char *p = w->conf->access_log;
	int fd;

	if (w->access_fd > STDERR_FILENO)
		close(w->access_fd);
	w->access_fd = -1;
	if (p[0] == '\0')
		return 0;
	if (strcmp(p, "-") == 0 || strcmp(p, "stdout") == 0) {
		w->access_fd = STDOUT_FILENO;
		return 0;
	}
	if (strcmp(p, "stderr") == 0) {
		w->access_fd = STDERR_FILENO;
		return 0;
	}
	fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_error("cannot open access log %s: %s", p, strerror(errno));
		return -1;
	}
	w->access_fd = fd;
	w->access_log_failed = 0;
	return 0;
}

void
accesslog_done(struct conn *c)
{
	struct worker *w = c->w;
	struct timespec end;
	double secs;
	char line[1600];
	const char *site;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &end);
	secs = (double)(end.tv_sec - c->req_start.tv_sec) +
	    (double)(end.tv_nsec - c->req_start.tv_nsec) / 1e9;
	metrics_request(metrics_method_of(c->method), c->status, c->body_sent, secs);
	if (c->ws != NULL)
		metrics_site_request(c->ws->metrics_site, c->status, c->body_sent);
	if (w->access_fd == -1)
		return;
	site = c->ws != NULL ? c->ws->name : "-";
	if (w->conf->access_log_json)
		n = snprintf(line, sizeof(line), "{\"time\":\"%s\",\"remote\":\"%s\","
		    "\"request\":\"%s\",\"status\":%d,\"bytes\":%llu,\"duration\":%.6f,"
		    "\"referer\":\"%s\",\"user_agent\":\"%s\",\"site\":\"%s\"}\n",
		    w->logtime_iso, c->peer, c->log_line, c->status,
		    (unsigned long long)c->body_sent, secs, c->log_ref, c->log_ua, site);
	else
		/* With several sites the site follows the combined format's fields,
		 * as nginx adds its own; a single site keeps the plain format. */
		n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d %llu \"%s\" \"%s\" %.3f"
		    "%s%s%s\n", c->peer, w->logtime, c->log_line, c->status,
		    (unsigned long long)c->body_sent, c->log_ref, c->log_ua, secs,
		    w->conf->multi_site ? " \"" : "", w->conf->multi_site ? site : "",
		    w->conf->multi_site ? "\"" : "");
	if (n > 0 && (size_t)n >= sizeof(line)) {
		line[sizeof(line) - 2] = '\n';
		n = sizeof(line) - 1;
	}
	/* A full disk must not stop the serving: the line is dropped. */
	if (n > 0 && write(w->access_fd, line, (size_t)n) == -1 && !w->access_log_failed) {
		w->access_log_failed = 1;
		log_error("access log write failed: %s", strerror(errno));
	}
}

/* Record the request for the access log as soon as it is known. */
void
accesslog_request(struct conn *c, const char *p, size_t len)
{
	const struct http_request *r = &c->x->req;
	int json = c->w->conf->access_log_json;

	accesslog_escape(c->log_line, sizeof(c->log_line), p, len, json);
	accesslog_escape(c->log_ua, sizeof(c->log_ua), r->user_agent.p, r->user_agent.len, json);
	accesslog_escape(c->log_ref, sizeof(c->log_ref), r->referer.p, r->referer.len, json);
}

void
accesslog_refused(struct conn *c, const char *line, size_t len)
{
	accesslog_escape(c->log_line, sizeof(c->log_line), line, len, c->w->conf->access_log_json);
	c->log_ua[0] = c->log_ref[0] = '\0';
}
