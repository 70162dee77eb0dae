/* run: a request's statements as one tenant-scoped transaction in one network round trip.
 * libpq pipeline mode, no BEGIN/COMMIT: everything before the single Sync is one implicit
 * transaction (committed at Sync, rolled back on any error), and nothing is sent after the
 * Sync until its ReadyForQuery has been read, which keeps clear of PgBouncer's pipelining race
 * (pgbouncer#759: a client that sends more after Sync, before ReadyForQuery, after an error).
 * Also db_ping. Retries (once): when the connection was dead before anything left; when the
 * server refused the work because it cannot take writes now (read-only, shutting down: rolled
 * back, nothing written); for DB_READ_ONLY work, also when its connection died mid-flight.
 * Never when a commit may have happened. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/db_internal.h"

/* The prelude: tenant scope and statement_timeout, both transaction-local (is_local = true),
 * so nothing outlives the transaction on a server connection a pooler shares. */
static const char PRELUDE[] = "SELECT set_config('" DB_TENANT_SETTING "', $1, true)";
static const char PRELUDE_TIMEOUT[] = "SELECT set_config('" DB_TENANT_SETTING "', $1, true), "
                                      "set_config('statement_timeout', $2, true)";

/* The actor prelude (db_run_as): who writes, for migration 0010's history trigger, all
 * transaction-local, and the tenant's row lock taken before any statement touches a connector.
 * Without a tenants row nothing is set, and nothing can be written either (the foreign keys). */
const char DB_ACTOR_PRELUDE[] =
    "SELECT set_config('aam.actor_type', $2, true), set_config('aam.actor_id', $3, true), "
    "set_config('aam.actor_email', $4, true), set_config('aam.actor_role', $5, true), "
    "set_config('aam.request_id', $6, true), set_config('aam.action', $7, true) "
    "FROM tenants WHERE namespace = $1 FOR NO KEY UPDATE";

void db_actor_params(const char *ns, const struct db_actor *a, const char *out[DB_ACTOR_NPARAMS])
{
    out[0] = ns ? ns : "";
    out[1] = a->type ? a->type : "";
    out[2] = a->id ? a->id : "";
    out[3] = a->email ? a->email : "";
    out[4] = a->role ? a->role : "";
    out[5] = a->request_id ? a->request_id : "";
    out[6] = a->action ? a->action : "";
}

/* Unnamed statement (""), text parameters, text results. */
static int send_stmt(PGconn *pg, const char *sql, int nparams, const char *const *params)
{
    return PQsendQueryParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
}

static int send_failed(struct db_conn *c, struct db_error *err, enum db_fate *fate)
{
    /* Without the Sync the server commits nothing, whatever part of the pipeline it got. */
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        db_error_from_pg(err, NULL, c->pg);
        db_conn_note_error(c, err);
        *fate = DB_FATE_NOT_SENT;
    } else {
        db_error_set(err, DB_ERR_QUERY, "could not queue the statements: %s", PQerrorMessage(c->pg));
        *fate = DB_FATE_FAILED;
    }
    c->broken = 1; /* half a pipeline may be queued: never reuse it */
    return -1;
}

static void free_results(struct db_result **results, int n)
{
    for (int i = 0; results != NULL && i < n; i++) {
        db_result_free(results[i]);
        results[i] = NULL;
    }
}

/* Keeps stmt i's result (the prelude's are dropped). */
static void keep_result(PGresult *r, int idx, int npre, int n, struct db_result **results)
{
    int i = idx - npre;
    if (results != NULL && i >= 0 && i < n && results[i] == NULL)
        results[i] = db_result_wrap(r);
    else
        PQclear(r);
}

/* The Sync arrived: the transaction is over (committed unless something failed). */
static int after_sync(struct db_conn *c, int got, int n, int failed, struct db_error *err,
                      enum db_fate *fate)
{
    *fate = DB_FATE_FAILED;
    if (PQexitPipelineMode(c->pg) != 1)
        c->broken = 1;
    if (got != n && !failed) { /* cannot happen under libpq's pipeline contract */
        c->broken = 1;
        db_error_set(err, DB_ERR_QUERY, "pipeline out of step: %d results for %d statements", got,
                     n);
        failed = 1;
    }
    return failed ? -1 : 0;
}

/* No Sync: the connection died (or fell out of step with the server): never reuse it. */
static int after_loss(struct db_conn *c, int failed, struct db_error *err, enum db_fate *fate)
{
    c->broken = c->node_suspect = 1;
    if (failed && err->status != DB_ERR_UNAVAILABLE) {
        /* The server's error came first: it rolled the transaction back; report that. */
        *fate = DB_FATE_FAILED;
        return -1;
    }
    if (!failed)
        db_error_from_pg(err, NULL, c->pg);
    err->status = DB_ERR_UNAVAILABLE;
    *fate = DB_FATE_LOST; /* the Sync may have reached the server: it may have committed */
    return -1;
}

/* Reads every result up to the Sync's. After an error the server skips to the Sync, which
 * libpq reports as PGRES_PIPELINE_ABORTED for each skipped statement. A NULL separates one
 * statement's results from the next; two in a row, or a dead connection, means we will never
 * see the Sync. */
static int read_results(struct db_conn *c, int npre, int n, struct db_result **results,
                        long long deadline, struct db_error *err, enum db_fate *fate)
{
    PGconn *pg = c->pg;
    int idx = 0, nulls = 0, failed = 0, synced = 0;
    for (;;) {
        if (db_conn_await(pg, deadline) != 0) {
            db_conn_timed_out(c, err);
            *fate = DB_FATE_LOST;
            return -1;
        }
        PGresult *r = PQgetResult(pg);
        if (r == NULL) {
            if (PQstatus(pg) == CONNECTION_BAD || ++nulls > 1)
                break;
            idx++;
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            synced = 1;
            break;
        }
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
            keep_result(r, idx, npre, n, results);
            continue;
        }
        if (st != PGRES_PIPELINE_ABORTED && !failed) {
            if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
                db_error_from_pg(err, r, pg);
                db_conn_note_error(c, err); /* read-only, shutting down: never reuse c */
            } else                          /* COPY and the like have no place in a pipeline */
                db_error_set(err, DB_ERR_QUERY, "unexpected result %s", PQresStatus(st));
            failed = 1;
        }
        PQclear(r);
    }
    return synced ? after_sync(c, idx - npre, n, failed, err, fate)
                  : after_loss(c, failed, err, fate);
}

int db_conn_pipeline(struct db_pool *pool, struct db_conn *c, const char *ns,
                     const struct db_actor *actor, int begin, const struct db_stmt *stmts, int n,
                     struct db_result **results, struct db_error *err, enum db_fate *fate)
{
    PGconn *pg = c->pg;
    char timeout[16];
    const char *pre_params[2] = {ns ? ns : "", timeout};
    const char *actor_params[DB_ACTOR_NPARAMS];
    int tmo = db_pool_statement_timeout_ms(pool);
    snprintf(timeout, sizeof timeout, "%d", tmo);
    if (!PQenterPipelineMode(pg))
        return send_failed(c, err, fate);
    if (begin && !send_stmt(pg, "BEGIN", 0, NULL))
        return send_failed(c, err, fate);
    if (!send_stmt(pg, tmo > 0 ? PRELUDE_TIMEOUT : PRELUDE, tmo > 0 ? 2 : 1, pre_params))
        return send_failed(c, err, fate);
    if (actor != NULL) {
        db_actor_params(ns, actor, actor_params);
        if (!send_stmt(pg, DB_ACTOR_PRELUDE, DB_ACTOR_NPARAMS, actor_params))
            return send_failed(c, err, fate);
    }
    for (int i = 0; i < n; i++)
        if (!send_stmt(pg, stmts[i].sql, stmts[i].nparams, stmts[i].params))
            return send_failed(c, err, fate);
    if (!PQpipelineSync(pg)) /* also flushes: the whole request leaves in one write */
        return send_failed(c, err, fate);
    int rc = read_results(c, begin + 1 + (actor != NULL), n, results, db_pool_deadline(pool, 0),
                          err, fate);
    if (rc != 0)
        free_results(results, n);
    return rc;
}

static int stmts_valid(const struct db_stmt *stmts, int n, struct db_error *err)
{
    if (n < 0 || (n > 0 && stmts == NULL)) {
        db_error_set(err, DB_ERR_QUERY, "db_run: no statements");
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (stmts[i].sql == NULL || stmts[i].nparams < 0 ||
            (stmts[i].nparams > 0 && stmts[i].params == NULL)) {
            db_error_set(err, DB_ERR_QUERY, "db_run: statement %d is malformed", i);
            return 0;
        }
    }
    return 1;
}

/* FAILED means the Sync's answer came: the transaction is over and, as the server refused it,
 * rolled back. Refused because the server cannot take writes now (a standby, a primary being
 * demoted or shut down), the same work may run on a fresh connection, which goes to the host
 * that takes writes. Any other refusal would only repeat. */
static int may_retry(enum db_fate fate, int flags, const struct db_error *err)
{
    return fate == DB_FATE_NOT_SENT || (fate == DB_FATE_LOST && (flags & DB_READ_ONLY)) ||
           (fate == DB_FATE_FAILED && db_error_node_unfit(err->sqlstate));
}

static const char *retry_reason(enum db_fate fate)
{
    switch (fate) {
    case DB_FATE_NOT_SENT:
        return "connection lost before anything was sent";
    case DB_FATE_LOST:
        return "connection lost mid-flight on read-only work";
    default:
        return "the server cannot take writes now (nothing was written)";
    }
}

int db_run(struct db_pool *pool, const char *ns, const struct db_stmt *stmts, int n,
           struct db_result **results, int flags, struct db_error *err)
{
    return db_run_as(pool, ns, NULL, stmts, n, results, flags, err);
}

int db_run_as(struct db_pool *pool, const char *ns, const struct db_actor *actor,
              const struct db_stmt *stmts, int n, struct db_result **results, int flags,
              struct db_error *err)
{
    struct db_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);
    for (int i = 0; results != NULL && i < n; i++)
        results[i] = NULL;
    if (pool == NULL) {
        db_error_set(err, DB_ERR_UNAVAILABLE, "db_run: no database pool");
        return -1;
    }
    if (!stmts_valid(stmts, n, err))
        return -1;
    for (int attempt = 0;; attempt++) {
        struct db_conn *c = NULL;
        enum db_fate fate = DB_FATE_FAILED;
        if (db_pool_acquire(pool, &c, err) != 0)
            break;
        int rc = db_conn_pipeline(pool, c, ns, actor, 0, stmts, n, results, err, &fate);
        db_pool_release(pool, c);
        if (rc == 0)
            return 0;
        if (attempt > 0 || !may_retry(fate, flags, err))
            break;
        db_log_warn("db_run: %s (sqlstate %s: %s); retrying once on a fresh connection",
                    retry_reason(fate), err->sqlstate[0] ? err->sqlstate : "-", err->message);
    }
    db_pool_count_error(pool, err->status);
    db_error_log(err, "db_run");
    return -1;
}

/* One attempt: 0 ok, -1 failed; *again says whether one more on a fresh connection may find
 * better (the connection died, or its server is read-only now: the pool drops it and its
 * generation, and a new connection goes to the host that takes writes). Plain query: a pooler
 * answers it from the server behind it. */
static int ping_once(struct db_pool *pool, double *latency_ms, struct db_error *err, int *again)
{
    struct db_conn *c = NULL;
    *again = 0;
    if (db_pool_acquire(pool, &c, err) != 0)
        return -1;
    struct timespec t0 = mono_now();
    PGresult *r = db_conn_exec(c, "SHOW transaction_read_only", -1, NULL, db_pool_deadline(pool, 1),
                               err);
    int ok = r != NULL && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "off") == 0;
    if (ok && latency_ms != NULL)
        *latency_ms = mono_elapsed_ms(&t0);
    if (r != NULL && !ok) {
        db_error_set(err, DB_ERR_UNAVAILABLE,
                     "the database is read-only (a standby, or a primary being demoted)");
        memcpy(err->sqlstate, "25006", 6);
        c->broken = c->node_suspect = 1;
    }
    *again = !ok && c->node_suspect;
    PQclear(r);
    db_pool_release(pool, c);
    return ok ? 0 : -1;
}

int db_ping(struct db_pool *pool, double *latency_ms, struct db_error *err)
{
    struct db_error scratch;
    int again = 0;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (pool == NULL) {
        db_error_set(err, DB_ERR_UNAVAILABLE, "db_ping: no database pool");
        return -1;
    }
    if (ping_once(pool, latency_ms, err, &again) == 0 ||
        (again && ping_once(pool, latency_ms, err, &again) == 0))
        return 0;
    db_pool_count_error(pool, err->status);
    db_error_log(err, "db_ping");
    return -1;
}
