/* log: JSON lines on stderr. Each line is built in a stack buffer and written with a single
 * write(2), so lines from concurrent threads never interleave (stderr is unbuffered and
 * O_APPEND-like for a pipe or file up to PIPE_BUF). */
#include "server/core/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum log_level log_threshold = LOG_INFO;

static _Thread_local char ctx_request_id[129];
static _Thread_local char ctx_namespace[129];

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

static void copy_field(char *dst, size_t size, const char *src)
{
    if (src == NULL) {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, size, "%s", src);
}

void log_set_context(const char *request_id, const char *ns)
{
    copy_field(ctx_request_id, sizeof ctx_request_id, request_id);
    copy_field(ctx_namespace, sizeof ctx_namespace, ns);
}

/* Appends s as a JSON string body (without quotes), escaping what JSON requires. */
static size_t append_escaped(char *buf, size_t pos, size_t size, const char *s)
{
    for (; *s != '\0' && pos + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c < 0x20) {
            pos += (size_t)snprintf(buf + pos, size - pos, "\\u%04x", c);
        } else {
            buf[pos++] = (char)c;
        }
    }
    return pos;
}

static size_t append_raw(char *buf, size_t pos, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (pos + n >= size)
        n = size - pos - 1;
    memcpy(buf + pos, s, n);
    return pos + n;
}

/* Writes the common prefix: {"time":…,"level":…,"pid":…[,"request_id"][,"namespace"] */
static size_t begin_line(char *buf, size_t size, enum log_level level)
{
    struct timeval tv;
    struct tm tm;
    char stamp[32];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    size_t pos = (size_t)snprintf(buf, size, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"pid\":%ld",
                                  stamp, (long)(tv.tv_usec / 1000), level_names[level],
                                  (long)getpid());
    if (ctx_request_id[0] != '\0') {
        pos = append_raw(buf, pos, size, ",\"request_id\":\"");
        pos = append_escaped(buf, pos, size, ctx_request_id);
        pos = append_raw(buf, pos, size, "\"");
    }
    if (ctx_namespace[0] != '\0') {
        pos = append_raw(buf, pos, size, ",\"namespace\":\"");
        pos = append_escaped(buf, pos, size, ctx_namespace);
        pos = append_raw(buf, pos, size, "\"");
    }
    return pos;
}

static void end_line(char *buf, size_t pos, size_t size)
{
    if (pos > size - 3)
        pos = size - 3;
    buf[pos++] = '}';
    buf[pos++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, buf, pos);
    (void)ignored; /* nowhere left to report a failed log write */
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char msg[2048];
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t pos = begin_line(line, sizeof line, level);
    pos = append_raw(line, pos, sizeof line, ",\"msg\":\"");
    pos = append_escaped(line, pos, sizeof line, msg);
    pos = append_raw(line, pos, sizeof line, "\"");
    end_line(line, pos, sizeof line);
}

void log_library_debug(const char *prefix, const char *fmt, va_list ap)
{
    if (log_threshold > LOG_DEBUG)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_write(LOG_DEBUG, "%s%s", prefix, msg);
}

void log_access(const char *method, const char *path, int status, double duration_ms)
{
    char line[2048];
    char tail[64];
    size_t pos = begin_line(line, sizeof line, LOG_INFO);
    pos = append_raw(line, pos, sizeof line, ",\"method\":\"");
    pos = append_escaped(line, pos, sizeof line, method);
    pos = append_raw(line, pos, sizeof line, "\",\"path\":\"");
    pos = append_escaped(line, pos, sizeof line, path);
    snprintf(tail, sizeof tail, "\",\"status\":%d,\"duration_ms\":%.3f", status, duration_ms);
    pos = append_raw(line, pos, sizeof line, tail);
    end_line(line, pos, sizeof line);
}
