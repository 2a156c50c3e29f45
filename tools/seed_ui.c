/*
 * seed_ui.c - what s3wwwd-seed tells its user.
 *
 * On a terminal a single progress line is redrawn in place with \r, so that a
 * site of thousands of files does not scroll the screen away; everywhere else
 * (a Kubernetes Job, CI, a pipe) each object gets a plain log line, which is
 * what a log collector can use.  Messages go through the project's log so
 * that they look like the daemon's; the progress line is wiped before one is
 * printed and drawn again afterwards, so the two never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "seed.h"

struct seed_ui seed_ui;

void
seed_ui_init(int quiet, int verbose)
{
	memset(&seed_ui, 0, sizeof(seed_ui));
	seed_ui.quiet = quiet;
	seed_ui.verbose = verbose;
	seed_ui.tty = !quiet && isatty(STDERR_FILENO);
}

double
seed_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sizes for people: "812 B", "1.4 KiB", "23.0 MiB". */
void
seed_human(int64_t n, char *out, size_t outsz)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t i;

	if (n < 1024) {
		snprintf(out, outsz, "%lld B", (long long)n);
		return;
	}
	for (i = 0; i < 3 && v >= 1024.0 * 1024.0; i++)
		v /= 1024.0;
	snprintf(out, outsz, "%.1f %s", v / 1024.0, units[i]);
}

static int
seed_ui_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

/*
 * Redraw the progress line.  Drawing on every curl callback would flood a
 * slow terminal, so unless forced it happens at most ten times a second.
 */
void
seed_ui_draw(int force)
{
	char line[512], done[32], total[32];
	double now;
	int cols, n;

	if (!seed_ui.tty)
		return;
	now = seed_now();
	if (!force && now - seed_ui.last_draw < 0.1)
		return;
	seed_ui.last_draw = now;
	seed_human(seed_ui.bytes_done + seed_ui.bytes_cur, done, sizeof(done));
	seed_human(seed_ui.bytes_total, total, sizeof(total));
	n = snprintf(line, sizeof(line), "[%zu/%zu] %s / %s%s%s",
	    seed_ui.files_done, seed_ui.files_total, done, total,
	    seed_ui.cur != NULL ? "  " : "",
	    seed_ui.cur != NULL ? seed_ui.cur : "");
	cols = seed_ui_columns() - 1;
	if (n < 0)
		return;
	if (n > cols && cols < (int)sizeof(line))
		line[cols] = '\0';
	/* \033[K erases what a longer previous line left behind. */
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	seed_ui.drawn = 1;
}

void
seed_ui_clear(void)
{
	if (!seed_ui.drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	seed_ui.drawn = 0;
}

static void seed_emit(enum log_level, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
seed_emit(enum log_level level, const char *fmt, va_list ap)
{
	char buf[2048];
	int redraw = seed_ui.drawn;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	seed_ui_clear();
	log_msg(level, "%s", buf);
	if (redraw)
		seed_ui_draw(1);
}

/*
 * A line per object.  On a terminal the progress line already says it, so
 * these appear there only with --verbose.
 */
void
seed_say(const char *fmt, ...)
{
	va_list ap;

	if (seed_ui.quiet || (seed_ui.tty && !seed_ui.verbose))
		return;
	va_start(ap, fmt);
	seed_emit(LOG_L_INFO, fmt, ap);
	va_end(ap);
}

/* What changes the bucket beyond an upload, or a dry run's findings. */
void
seed_note(const char *fmt, ...)
{
	va_list ap;

	if (seed_ui.quiet)
		return;
	va_start(ap, fmt);
	seed_emit(LOG_L_INFO, fmt, ap);
	va_end(ap);
}

void
seed_debug(const char *fmt, ...)
{
	va_list ap;

	if (!seed_ui.verbose)
		return;
	va_start(ap, fmt);
	seed_emit(LOG_L_DEBUG, fmt, ap);
	va_end(ap);
}

void
seed_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	seed_emit(LOG_L_WARN, fmt, ap);
	va_end(ap);
}

void
seed_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	seed_emit(LOG_L_ERROR, fmt, ap);
	va_end(ap);
}
