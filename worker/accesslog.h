/*
 * accesslog.h - one access log line and the request metrics per request.
 */
#ifndef S3WWWD_ACCESSLOG_H
#define S3WWWD_ACCESSLOG_H

#include <stddef.h>

#include "conn.h"
#include "worker.h"

/*
 * (Re)open the worker's access log as configured ("" off, "-" or "stdout",
 * "stderr", or a file appended to); on SIGUSR1 after rotation too.
 * Returns 0, or -1 (logged) when the file cannot be opened.
 */
int accesslog_open(struct worker *w);

/* Remember the request line, User-Agent and Referer of a parsed head. */
void accesslog_request(struct conn *c, const char *line, size_t len);
/* The same for a request refused before it was parsed: its first line. */
void accesslog_refused(struct conn *c, const char *line, size_t len);

/* The request is done: count it in the metrics and write its line. */
void accesslog_done(struct conn *c);

/*
 * Copy s into dst for the log, escaping what could forge a line or break
 * the JSON: \xHH in the combined format, \u00HH in JSON.
 */
void accesslog_escape(char *dst, size_t dstsz, const char *s, size_t len, int json);

#endif
