/*
 * log.h - the error log.  Lines go to stderr (where systemd and Kubernetes
 * collect them) or to a file that SIGUSR1 reopens.  Each line carries a
 * level, and under systemd the "<N>" prefix that journald understands.
 */
#ifndef S3WWWD_LOG_H
#define S3WWWD_LOG_H

#include <stdarg.h>

enum log_level { LOG_L_ERROR = 0, LOG_L_WARN, LOG_L_INFO, LOG_L_DEBUG };

/* ident names the program; path NULL or "" means stderr. */
int log_open(const char *ident, const char *path, enum log_level level);
int log_reopen(void);
void log_set_level(enum log_level level);
int log_level_parse(const char *s, enum log_level *out);
/* Name of the process role shown in each line ("master", "worker 3"). */
void log_set_role(const char *role);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_L_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_L_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_L_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_L_DEBUG, __VA_ARGS__)

#endif
