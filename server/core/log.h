/* log: one JSON object per line on stderr, for every process and request.
 * Each line carries time (UTC), level, pid and, where known, request_id and namespace.
 * Thread-safe: a line is formatted in a local buffer and written with one write(2). */
#ifndef AAM_LOG_H
#define AAM_LOG_H

#include <stdarg.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* The threshold; lines below it are not formatted at all. Default LOG_INFO. */
extern enum log_level log_threshold;

/* Parses "debug"/"info"/"warn"/"error"; returns 0 and sets *out, or -1. */
int log_level_parse(const char *s, enum log_level *out) __attribute__((warn_unused_result));

/* Per-thread context attached to every line written from this thread until cleared.
 * The strings are copied (truncated to 128 bytes); NULL clears the field. */
void log_set_context(const char *request_id, const char *ns);

/* A free-text line: {"time","level","pid","request_id"?,"namespace"?,"msg"}. */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A library's printf-style message (libmicrohttpd's logger callbacks) as a debug line:
 * prefix, then the message without the trailing newline the library ends it with. Nothing
 * is formatted when debug lines are suppressed. */
void log_library_debug(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The per-request access line: method, path, status, duration_ms (plus the context). */
void log_access(const char *method, const char *path, int status, double duration_ms);

/* Level check first, so arguments are not evaluated for suppressed lines. */
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_threshold <= LOG_DEBUG)                                                            \
            log_write(LOG_DEBUG, __VA_ARGS__);                                                     \
    } while (0)
#define log_info(...)                                                                              \
    do {                                                                                           \
        if (log_threshold <= LOG_INFO)                                                             \
            log_write(LOG_INFO, __VA_ARGS__);                                                      \
    } while (0)
#define log_warn(...)                                                                              \
    do {                                                                                           \
        if (log_threshold <= LOG_WARN)                                                             \
            log_write(LOG_WARN, __VA_ARGS__);                                                      \
    } while (0)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
