/* result: struct db_result (a PGresult the caller never sees) and the one place where
 * libpq failures become struct db_error: SQLSTATE classes to enum db_status, plus the log line.
 * The mapping decides what clients get (503 / 409 / 422 / 500), so it is kept table-simple.
 * Also the outcome words ('created', 'updated', ...) the per-table upserts answer with. */
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

struct db_result *db_result_wrap(PGresult *r)
{
    struct db_result *res = xmalloc(sizeof *res);
    res->pg = r;
    return res;
}

int db_result_rows(const struct db_result *r)
{
    return r ? PQntuples(r->pg) : 0;
}

int db_result_cols(const struct db_result *r)
{
    return r ? PQnfields(r->pg) : 0;
}

static int in_range(const struct db_result *r, int row, int col)
{
    return r != NULL && row >= 0 && col >= 0 && row < PQntuples(r->pg) && col < PQnfields(r->pg);
}

const char *db_result_get(const struct db_result *r, int row, int col)
{
    if (!in_range(r, row, col) || PQgetisnull(r->pg, row, col))
        return NULL;
    return PQgetvalue(r->pg, row, col);
}

size_t db_result_len(const struct db_result *r, int row, int col)
{
    if (!in_range(r, row, col) || PQgetisnull(r->pg, row, col))
        return 0;
    return (size_t)PQgetlength(r->pg, row, col);
}

long db_result_affected(const struct db_result *r)
{
    if (r == NULL)
        return 0;
    const char *s = PQcmdTuples(r->pg); /* "" for statements that report no count */
    return s[0] ? strtol(s, NULL, 10) : 0;
}

void db_result_free(struct db_result *r)
{
    if (r == NULL)
        return;
    PQclear(r->pg);
    free(r);
}

/* 08xxx connection exceptions, 57P01-57P05 (admin/crash shutdown, cannot connect now, database
 * dropped, idle session timeout), 57014 (statement_timeout) and class 53 (too many connections,
 * out of memory or disk: the server is overloaded, not the query wrong) are all "try later". */
enum db_status db_error_classify(const char *sqlstate, int conn_lost)
{
    if (conn_lost)
        return DB_ERR_UNAVAILABLE;
    if (sqlstate == NULL || strlen(sqlstate) != 5)
        return DB_ERR_QUERY;
    if (strcmp(sqlstate, "23505") == 0)
        return DB_ERR_UNIQUE;
    if (strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0)
        return DB_ERR_INVALID;
    if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "57P0", 4) == 0 ||
        strcmp(sqlstate, "57014") == 0 || strncmp(sqlstate, "53", 2) == 0)
        return DB_ERR_UNAVAILABLE;
    return DB_ERR_QUERY;
}

/* Copies at most size-1 bytes, dropping trailing newlines (libpq messages end with one). */
static void copy_trimmed(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    while (n > 0 && (src[n - 1] == '\n' || src[n - 1] == '\r' || src[n - 1] == ' '))
        n--;
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++) /* one log line: libpq's hints come after "\n\t" */
        dst[i] = (src[i] == '\n' || src[i] == '\t' || src[i] == '\r') ? ' ' : src[i];
    dst[n] = '\0';
}

void db_error_from_pg(struct db_error *err, const PGresult *r, PGconn *pg)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *cons = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    int lost = pg == NULL || PQstatus(pg) == CONNECTION_BAD;
    if (msg == NULL)
        msg = r ? PQresultErrorMessage(r) : NULL;
    if ((msg == NULL || msg[0] == '\0') && pg != NULL)
        msg = PQerrorMessage(pg);
    err->status = db_error_classify(state, lost);
    copy_trimmed(err->sqlstate, sizeof err->sqlstate, state);
    copy_trimmed(err->constraint, sizeof err->constraint, cons);
    copy_trimmed(err->message, sizeof err->message,
                 msg && msg[0] ? msg : (lost ? "connection to the database lost" : "unknown error"));
}

void db_error_set(struct db_error *err, enum db_status status, const char *fmt, ...)
{
    char buf[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    err->status = status;
    err->sqlstate[0] = '\0';
    err->constraint[0] = '\0';
    copy_trimmed(err->message, sizeof err->message, buf);
}

void db_error_log(const struct db_error *err, const char *what)
{
    const char *state = err->sqlstate[0] ? err->sqlstate : "-";
    switch (err->status) {
    case DB_OK:
        break;
    case DB_ERR_UNAVAILABLE:
        db_log_warn("%s: database unavailable (sqlstate %s): %s", what, state, err->message);
        break;
    case DB_ERR_UNIQUE:
    case DB_ERR_INVALID:
        db_log_debug("%s: rejected by the database (sqlstate %s%s%s): %s", what, state,
                     err->constraint[0] ? ", constraint " : "", err->constraint, err->message);
        break;
    case DB_ERR_QUERY:
        db_log_error("%s: query failed (sqlstate %s): %s", what, state, err->message);
        break;
    }
}

/* Indexed by enum db_outcome. */
static const char *const OUTCOME_NAMES[] = {"created", "updated", "unchanged", "deleted",
                                            "no tenant"};

const char *db_outcome_name(enum db_outcome o)
{
    if ((unsigned)o >= sizeof OUTCOME_NAMES / sizeof OUTCOME_NAMES[0])
        return "?";
    return OUTCOME_NAMES[o];
}

enum db_outcome db_outcome_parse(const char *word)
{
    if (word != NULL && strcmp(word, "created") == 0)
        return DB_OUTCOME_CREATED;
    if (word != NULL && strcmp(word, "updated") == 0)
        return DB_OUTCOME_UPDATED;
    return DB_OUTCOME_UNCHANGED;
}
