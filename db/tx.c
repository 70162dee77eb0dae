/* tx: interactive transactions, for work whose later statements depend on earlier results
 * (seed reconciliation, migrations). BEGIN and the tenant prelude go out pipelined with one
 * Sync (one round trip); after that each statement is one round trip (PQexecParams: unnamed).
 * An explicit BEGIN keeps the server connection pinned to this client by a transaction pooler
 * until COMMIT/ROLLBACK, so nothing here outlives the transaction either. */
#include <string.h>

#include "db/db_internal.h"
#include "server/log.h"

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
        if (db_conn_pipeline(pool, c, ns, 1, NULL, 0, NULL, err, &fate) == 0) {
            struct db_tx *tx = db_xmalloc(sizeof *tx);
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

/* Records a failed statement; the transaction is unusable from here on. */
static int tx_fail(struct db_tx *tx, const PGresult *r, struct db_error *err, const char *what)
{
    db_error_from_pg(err, r, tx->conn->pg);
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
        db_error_set(err, DB_ERR_QUERY, "db_tx_exec: %s", tx && tx->failed ? "transaction already failed" : "bad arguments");
        return -1;
    }
    PGresult *r = PQexecParams(tx->conn->pg, stmt->sql, stmt->nparams, NULL, stmt->params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        int rc = tx_fail(tx, r, err, "db_tx_exec");
        PQclear(r);
        return rc;
    }
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
        db_error_set(err, DB_ERR_QUERY, "db_tx_exec_script: %s", tx && tx->failed ? "transaction already failed" : "bad arguments");
        return -1;
    }
    /* Simple query protocol: several statements, no parameters, no statement name. PQexec
     * returns the last result, or the first error (the server stops there). */
    PGresult *r = PQexec(tx->conn->pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY)
        rc = tx_fail(tx, r, err, "db_tx_exec_script");
    else if (PQtransactionStatus(tx->conn->pg) != PQTRANS_INTRANS) { /* it ran COMMIT/ROLLBACK */
        db_error_set(err, DB_ERR_QUERY, "the script ended the transaction itself (COMMIT or ROLLBACK in it)");
        db_error_log(err, "db_tx_exec_script");
        tx->failed = 1;
        rc = -1;
    }
    PQclear(r);
    return rc;
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
    PGresult *r = PQexecParams(tx->conn->pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
    int rc = 0;
    /* COMMIT of an aborted transaction "succeeds" with the tag ROLLBACK: check the tag. */
    if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        db_error_from_pg(err, r, tx->conn->pg);
        if (PQstatus(tx->conn->pg) == CONNECTION_BAD)
            db_error_set(err, DB_ERR_UNAVAILABLE, "connection lost during COMMIT: outcome unknown");
        else if (PQresultStatus(r) == PGRES_COMMAND_OK)
            db_error_set(err, DB_ERR_QUERY, "COMMIT rolled back the transaction");
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
    if (PQstatus(tx->conn->pg) == CONNECTION_OK && PQtransactionStatus(tx->conn->pg) != PQTRANS_IDLE)
        PQclear(PQexecParams(tx->conn->pg, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
    tx_end(tx);
}
