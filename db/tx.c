/* tx: interactive transactions, for work whose later statements depend on earlier results
 * (seed reconciliation, migrations). BEGIN and the tenant prelude go out pipelined with one
 * Sync (one round trip); after that each statement is one round trip (PQexecParams: unnamed).
 * An explicit BEGIN keeps the server connection pinned to this client by a transaction pooler
 * until COMMIT/ROLLBACK, so nothing here outlives the transaction either. */
#include <string.h>

#include "db/db_internal.h"

struct db_tx {
    struct db_pool *pool;
    struct db_conn *conn;
    int failed; /* a statement failed: only ROLLBACK makes sense now */
};

struct db_tx *db_tx_begin(struct db_pool *pool, const char *ns, struct db_error *err)
{
    struct db_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (pool == NULL) {
        db_error_set(err, DB_ERR_UNAVAILABLE, "db_tx_begin: no database pool");
        return NULL;
    }
    /* Nothing is committed before db_tx_commit, so a connection lost while beginning is always
     * safe to retry once. */
    for (int attempt = 0; attempt < 2; attempt++) {
        struct db_conn *c = NULL;
        enum db_fate fate = DB_FATE_FAILED;
        if (db_pool_acquire(pool, &c, err) != 0)
            break;
        if (db_conn_pipeline(pool, c, ns, NULL, 1, NULL, 0, NULL, err, &fate) == 0) {
            struct db_tx *tx = xmalloc(sizeof *tx);
            tx->pool = pool;
            tx->conn = c;
            tx->failed = 0;
            return tx;
        }
        db_pool_release(pool, c); /* aborted or broken: the pool closes it */
        if (fate == DB_FATE_FAILED)
            break;
    }
    db_error_log(err, "db_tx_begin");
    return NULL;
}

int db_tx_set_actor(struct db_tx *tx, const char *ns, const struct db_actor *actor,
                    struct db_error *err)
{
    const char *params[DB_ACTOR_NPARAMS];
    db_actor_params(ns, actor, params);
    const struct db_stmt st = {DB_ACTOR_PRELUDE, DB_ACTOR_NPARAMS, params};
    return db_tx_exec(tx, &st, NULL, err);
}

/* Records a failed statement (*err already says why); only ROLLBACK makes sense now. */
static int tx_fail(struct db_tx *tx, struct db_error *err, const char *what)
{
    tx->failed = 1;
    db_error_log(err, what);
    return -1;
}

int db_tx_exec(struct db_tx *tx, const struct db_stmt *stmt, struct db_result **out,
               struct db_error *err)
{
    struct db_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (out != NULL)
        *out = NULL;
    if (tx == NULL || stmt == NULL || stmt->sql == NULL || tx->failed) {
        db_error_set(err, DB_ERR_QUERY, "db_tx_exec: %s",
                     tx && tx->failed ? "transaction already failed" : "bad arguments");
        return -1;
    }
    PGresult *r = db_conn_exec(tx->conn, stmt->sql, stmt->nparams, stmt->params,
                               db_pool_deadline(tx->pool, 0), err);
    if (r == NULL)
        return tx_fail(tx, err, "db_tx_exec");
    if (out != NULL)
        *out = db_result_wrap(r);
    else
        PQclear(r);
    return 0;
}

int db_tx_exec_script(struct db_tx *tx, const char *sql, struct db_error *err)
{
    struct db_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (tx == NULL || sql == NULL || tx->failed) {
        db_error_set(err, DB_ERR_QUERY, "db_tx_exec_script: %s",
                     tx && tx->failed ? "transaction already failed" : "bad arguments");
        return -1;
    }
    /* Simple query protocol: several statements, no parameters, no statement name; the
     * server stops at the first error. */
    PGresult *r = db_conn_exec(tx->conn, sql, -1, NULL, db_pool_deadline(tx->pool, 0), err);
    if (r == NULL)
        return tx_fail(tx, err, "db_tx_exec_script");
    PQclear(r);
    if (PQtransactionStatus(tx->conn->pg) != PQTRANS_INTRANS) { /* it ran COMMIT/ROLLBACK */
        db_error_set(err, DB_ERR_QUERY,
                     "the script ended the transaction itself (COMMIT or ROLLBACK in it)");
        return tx_fail(tx, err, "db_tx_exec_script");
    }
    return 0;
}

static void tx_end(struct db_tx *tx)
{
    db_pool_release(tx->pool, tx->conn); /* closed there unless idle and healthy */
    free(tx);
}

int db_tx_commit(struct db_tx *tx, struct db_error *err)
{
    struct db_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (tx == NULL) {
        db_error_set(err, DB_ERR_QUERY, "db_tx_commit: no transaction");
        return -1;
    }
    if (tx->failed) {
        db_error_set(err, DB_ERR_QUERY, "db_tx_commit: the transaction failed earlier; rolled back");
        db_tx_rollback(tx);
        return -1;
    }
    PGresult *r = db_conn_exec(tx->conn, "COMMIT", 0, NULL, db_pool_deadline(tx->pool, 0), err);
    int rc = 0;
    /* COMMIT of an aborted transaction "succeeds" with the tag ROLLBACK: check the tag. */
    if (r == NULL || strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        if (r != NULL)
            db_error_set(err, DB_ERR_QUERY, "COMMIT rolled the transaction back");
        else if (err->status == DB_ERR_UNAVAILABLE)
            db_error_set(err, DB_ERR_UNAVAILABLE,
                         "connection lost during COMMIT: outcome unknown (%.150s)", err->message);
        db_error_log(err, "db_tx_commit");
        rc = -1;
    }
    PQclear(r);
    tx_end(tx);
    return rc;
}

void db_tx_rollback(struct db_tx *tx)
{
    if (tx == NULL)
        return;
    struct db_error ignored;
    if (!tx->conn->broken && PQstatus(tx->conn->pg) == CONNECTION_OK &&
        PQtransactionStatus(tx->conn->pg) != PQTRANS_IDLE)
        PQclear(
            db_conn_exec(tx->conn, "ROLLBACK", 0, NULL, db_pool_deadline(tx->pool, 1), &ignored));
    tx_end(tx);
}
