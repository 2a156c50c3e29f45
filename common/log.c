/*
 * log.c - the error log.
 *
 * A line is formatted on the stack and written with a single write(2): the
 * master and every worker share one descriptor, and one write per line is
 * what keeps their lines from interleaving.  Lines stay below PIPE_BUF, so
 * the guarantee holds for the journal's pipe too.  Nothing here allocates,
 * so the log can be used when memory has run out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_MSG_MAX 2048    /* longer messages are cut */
#define LOG_PREFIX_MAX 192  /* timestamp, ident, pid, role and level */

static char log_ident[32] = "s3wwwd";
static char log_role[32];
static char log_path[4096];
static int log_fd = -1; /* -1 means stderr */
static int log_journal = -1; /* -1 until stderr has been looked at */
static enum log_level log_cur = LOG_L_INFO;

static const char *const log_names[] = { "error", "warn", "info", "debug" };
static const int log_prio[] = { 3, 4, 6, 7 }; /* syslog LOG_ERR and so on */

static void
copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	n = strlen(src);
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * systemd sets JOURNAL_STREAM to the device and inode of the stream it
 * connected; a child whose stderr was redirected elsewhere inherits the
 * variable, so it only counts when it matches what stderr really is.
 */
static int
stderr_is_journal(void)
{
	const char *env;
	unsigned long long dev, ino;
	struct stat st;

	env = getenv("JOURNAL_STREAM");
	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

static int
open_log_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640);
}

int
log_open(const char *ident, const char *path, enum log_level level)
{
	size_t n;
	int fd;

	if (ident != NULL && *ident != '\0')
		copy_str(log_ident, sizeof(log_ident), ident);
	log_set_level(level);
	if (path == NULL || *path == '\0') {
		if (log_fd != -1)
			close(log_fd);
		log_fd = -1;
		log_path[0] = '\0';
		log_journal = stderr_is_journal();
		return 0;
	}
	n = strlen(path);
	if (n >= sizeof(log_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open_log_file(path);
	if (fd == -1)
		return -1; /* keep logging where we did before */
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	memcpy(log_path, path, n + 1);
	log_journal = 0;
	return 0;
}

int
log_reopen(void)
{
	int fd, saved;

	if (log_path[0] == '\0')
		return 0;
	fd = open_log_file(log_path);
	if (fd == -1)
		return -1;
	if (log_fd == -1) {
		log_fd = fd;
		return 0;
	}
	/*
	 * Replace the old file in place: the descriptor number never points
	 * at nothing, so a line written meanwhile goes to one file or the
	 * other, and an unrelated open() cannot take the number.
	 */
	if (dup3(fd, log_fd, O_CLOEXEC) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

void
log_set_level(enum log_level level)
{
	if ((int)level < (int)LOG_L_ERROR)
		level = LOG_L_ERROR;
	if ((int)level > (int)LOG_L_DEBUG)
		level = LOG_L_DEBUG;
	log_cur = level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "error") == 0)
		*out = LOG_L_ERROR;
	else if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
		*out = LOG_L_WARN;
	else if (strcasecmp(s, "info") == 0)
		*out = LOG_L_INFO;
	else if (strcasecmp(s, "debug") == 0)
		*out = LOG_L_DEBUG;
	else
		return -1;
	return 0;
}

void
log_set_role(const char *role)
{
	copy_str(log_role, sizeof(log_role), role != NULL ? role : "");
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_PREFIX_MAX + LOG_MSG_MAX + 2];
	char ts[32];
	struct tm tm;
	time_t now;
	va_list ap;
	size_t n, i, end;
	ssize_t w;
	int r, saved;

	if ((int)level < (int)LOG_L_ERROR || (int)level > (int)LOG_L_DEBUG ||
	    level > log_cur)
		return;
	/* Callers log a failure and then look at errno; leave it alone. */
	saved = errno;
	if (log_journal == -1)
		log_journal = log_fd == -1 && stderr_is_journal();

	if (log_journal) {
		/* journald adds its own timestamp and reads the priority. */
		r = snprintf(line, LOG_PREFIX_MAX, "<%d>", log_prio[level]);
	} else {
		now = time(NULL);
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(ts, sizeof(ts), "-");
		r = snprintf(line, LOG_PREFIX_MAX, "%s ", ts);
	}
	n = r > 0 ? (size_t)r : 0;
	r = snprintf(line + n, LOG_PREFIX_MAX - n, "%s[%ld] %s%s%s: ",
	    log_ident, (long)getpid(), log_role, log_role[0] != '\0' ? ": " : "",
	    log_names[level]);
	if (r > 0)
		n += (size_t)r < LOG_PREFIX_MAX - n ? (size_t)r :
		    LOG_PREFIX_MAX - n - 1;

	va_start(ap, fmt);
	r = vsnprintf(line + n, LOG_MSG_MAX + 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		r = 0;
	end = n + ((size_t)r > LOG_MSG_MAX ? LOG_MSG_MAX : (size_t)r);
	/*
	 * Messages quote paths and headers sent by clients; a newline there
	 * would forge a log line of its own, so control bytes are replaced.
	 */
	for (i = n; i < end; i++) {
		if (line[i] == '\n' || line[i] == '\r' || line[i] == '\t')
			line[i] = ' ';
		else if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = '?';
	}
	line[end++] = '\n';

	do {
		w = write(log_fd != -1 ? log_fd : STDERR_FILENO, line, end);
	} while (w == -1 && errno == EINTR);
	errno = saved;
}
