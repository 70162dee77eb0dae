/* conn: one connection's round trips outside a pipeline (db_conn_exec: a statement or a script,
 * bounded by a deadline), waiting for input, and what a failure says about the server behind the
 * connection (db_conn_note_error). Used by the pool (the write check of a new connection), by
 * run.c and by tx.c; it uses neither, so the modules stay a chain: run/tx -> pool -> conn. */
#include <errno.h>
#include <poll.h>

#include "db/db_internal.h"

void db_conn_note_error(struct db_conn *c, const struct db_error *err)
{
    if (PQstatus(c->pg) == CONNECTION_BAD || db_error_node_unfit(err->sqlstate))
        c->broken = c->node_suspect = 1;
}

int db_conn_await(PGconn *pg, long long deadline)
{
    while (PQisBusy(pg)) {
        struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
        long long left = deadline ? deadline - mono_ms() : -1;
        if (pfd.fd < 0)
            return 0;
        if (deadline && left <= 0)
            return -1;
        int r = poll(&pfd, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
        if (r < 0 && errno != EINTR)
            return 0;
        if (r > 0 && !PQconsumeInput(pg))
            return 0;
    }
    return 0;
}

void db_conn_timed_out(struct db_conn *c, struct db_error *err)
{
    /* An answer may still be on its way: the connection is out of step. And a server that does
     * not answer in time (or a pooler waiting for one that is down) is suspect, like a lost one. */
    c->broken = c->node_suspect = 1;
    db_error_set(err, DB_ERR_UNAVAILABLE,
                 "no answer from the database in time (statement_timeout "
                 "plus connect_timeout): is the server behind the pooler down?");
}

PGresult *db_conn_exec(struct db_conn *c, const char *sql, int nparams, const char *const *params,
                       long long deadline, struct db_error *err)
{
    PGconn *pg = c->pg;
    PGresult *last = NULL, *bad = NULL;
    /* Unnamed statement, text parameters and results (the pooler rule: nothing named). */
    int sent = nparams < 0 ? PQsendQuery(pg, sql)
                           : PQsendQueryParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!sent) {
        db_error_from_pg(err, NULL, pg);
        return NULL;
    }
    for (;;) {
        if (db_conn_await(pg, deadline) != 0) {
            db_conn_timed_out(c, err);
            break;
        }
        PGresult *r = PQgetResult(pg);
        if (r == NULL)
            break;
        ExecStatusType st = PQresultStatus(r);
        if (bad == NULL && st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK &&
            st != PGRES_EMPTY_QUERY) {
            bad = r;
            continue;
        }
        PQclear(last);
        last = r;
    }
    if (bad == NULL && last != NULL && !c->broken)
        return last;
    if (!c->broken) {
        db_error_from_pg(err, bad, pg);
        db_conn_note_error(c, err);
    }
    PQclear(bad);
    PQclear(last);
    return NULL;
}
