/* log: where db/ reports (see db_set_log in db.h). Formatting happens here so the callback
 * receives one finished line; a line longer than 1 KiB is truncated. */
#include <stdarg.h>
#include <stdio.h>

#include "db/db_internal.h"

static db_log_fn sink; /* set once at startup, before any thread uses a pool */

void db_set_log(db_log_fn fn)
{
    sink = fn;
}

void db_log(enum db_log_level level, const char *fmt, ...)
{
    if (sink == NULL && level < DB_LOG_WARN)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (sink != NULL)
        sink(level, line);
    else
        fprintf(stderr, "aam db: %s\n", line);
}
