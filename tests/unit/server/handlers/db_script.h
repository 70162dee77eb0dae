/* db_script: the handlers' database seam, scripted. The handler tests link this file in place
 * of db/'s plumbing (pool, pipeline, results), and the per-table files of db/ (db/connectors.c,
 * db/sessions.c, ...) on top of it: so each test says what the database answers to each db_run
 * (rows, an error such as DB_ERR_UNAVAILABLE, DB_ERR_UNIQUE) and then checks the status the
 * handler gives, and which tenant, statements and parameters the db/ function sent. Provided:
 * db_run, db_run_as, db_ping, db_pool_get_stats, the db_result_* readers, and db_tx_* stand-ins that fail
 * (handlers never open an interactive transaction). No socket, no PostgreSQL. */
#ifndef AAM_TEST_DB_SCRIPT_H
#define AAM_TEST_DB_SCRIPT_H

#include <stddef.h>

#include "db/db.h"

#define DBS_MAX_COLS 16

/* One statement's result: rows x cols text cells in row-major order (NULL = SQL NULL), and
 * the affected-row count an INSERT/UPDATE/DELETE reports. Borrowed until the next reset. */
struct dbs_table {
    int rows, cols;
    const char *const *cells;
    long affected;
};

/* Forgets every queued reply and recorded call. */
void dbs_reset(void);

/* Queues the reply to the next db_run: success with tables[0..n) for its statements (a
 * statement past n gets an empty result). */
void dbs_reply_ok(const struct dbs_table *tables, int n);

/* Queues a failing reply: status (DB_ERR_UNAVAILABLE, DB_ERR_UNIQUE, ...), the violated
 * constraint ("" or NULL when none; DB_ERR_INVALID with a "*_fkey" one is SQLSTATE 23503). */
void dbs_reply_error(enum db_status status, const char *constraint);

/* Whether db_ping succeeds (default: it fails with DB_ERR_UNAVAILABLE). */
void dbs_ping_ok(int ok);

/* What the handler asked: how many db_run calls, and for call i its namespace, number of
 * statements, statement j's SQL and parameter k (NULL for SQL NULL). */
size_t dbs_calls(void);
const char *dbs_call_ns(size_t i);
int dbs_call_nstmts(size_t i);
const char *dbs_call_sql(size_t i, int j);
const char *dbs_call_param(size_t i, int j, int k);

/* For a db_run_as call i, the actor it wrote as: field "type", "id", "email" or "request_id";
 * NULL for a plain db_run (no actor) or an absent field. */
const char *dbs_call_actor(size_t i, const char *field);

/* db_run calls that found no reply queued (each failed with DB_ERR_QUERY). */
size_t dbs_unscripted(void);

#endif
