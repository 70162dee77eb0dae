/* Integration tests for db/tx.c and db/result.c against the real PostgreSQL + PgBouncer
 * (transaction mode) of tests/run.sh, as the RLS-bound app role, on scratch tables this test
 * creates as the database's owner (no migration needed):
 * - db_tx: one server transaction pinned across statements (same transaction id through the
 *   pooler); uncommitted rows invisible to another connection, committed ones visible, a
 *   rollback leaving nothing (pg_xact_status says committed / aborted); a failed statement
 *   failing the whole transaction (later statements and the commit refused, nothing kept);
 *   the namespace set inside the transaction only, and row-level security keeping each
 *   namespace's rows to itself; the pool's statement_timeout applied.
 * - db/result.c: real server errors classified (unique with the constraint's name, check,
 *   not-null, foreign key and bad input as invalid, syntax and undefined table as query
 *   errors, a write in a read-only transaction (25006) and a statement timeout (57014) as
 *   unavailable, with the read-only connection not reused); db_result_rows/cols/get/len/affected
 *   on real results, NULL for SQL NULL and out of range. */
#include <ctype.h>

#include "tests/integration/test_db_common.h"
#include "util/mono.h"

static const char INSERT_ROW[] = "INSERT INTO scratch (id, label) VALUES ($1::int, $2)";

/* The scratch tables, as the owner: a namespace column filled from the transaction's setting,
 * named constraints, row-level security as the service's tables have it (FORCE: it binds the
 * owner too), and DML granted to the app role. */
static void setup_schema(void)
{
    const char *app = tdb_env("STACK_APP_USER");
    for (const char *c = app; *c; c++)
        ck_assert_msg(islower((unsigned char)*c) || *c == '_', "odd role name %s", app);
    char grant[256];
    snprintf(grant, sizeof grant,
             "GRANT SELECT, INSERT, UPDATE, DELETE ON scratch, scratch_parent TO \"%s\"", app);
    const char *ddl[] = {
        "CREATE TABLE scratch_parent (id int PRIMARY KEY)",
        "INSERT INTO scratch_parent VALUES (1)",
        "CREATE TABLE scratch ("
        " namespace text NOT NULL DEFAULT nullif(current_setting('aam.namespace', true), ''),"
        " id int NOT NULL,"
        " label text NOT NULL CONSTRAINT scratch_label_check CHECK (label <> ''),"
        " parent int CONSTRAINT scratch_parent_fkey REFERENCES scratch_parent (id),"
        " CONSTRAINT scratch_pkey PRIMARY KEY (id),"
        " CONSTRAINT scratch_ns_label_key UNIQUE (namespace, label))",
        "ALTER TABLE scratch ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE scratch FORCE ROW LEVEL SECURITY",
        "CREATE POLICY scratch_isolation ON scratch"
        " USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')))"
        " WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')))",
        grant,
    };
    struct db_pool *owner = tdb_owner_pool(1);
    struct db_error err;
    struct db_tx *tx = db_tx_begin(owner, NULL, &err);
    ck_assert_msg(tx != NULL, "begin: %s", err.message);
    for (size_t i = 0; i < sizeof ddl / sizeof ddl[0]; i++) {
        struct db_stmt st = {ddl[i], 0, NULL};
        ck_assert_msg(db_tx_exec(tx, &st, NULL, &err) == 0, "%s: %s", ddl[i], err.message);
    }
    ck_assert_msg(db_tx_commit(tx, &err) == 0, "commit: %s", err.message);
    db_pool_free(owner);
}

/* ------------------------------------------------------------------ helpers */

static struct db_tx *begin(struct db_pool *p, const char *ns)
{
    struct db_error err;
    struct db_tx *tx = db_tx_begin(p, ns, &err);
    ck_assert_msg(tx != NULL, "db_tx_begin: %s", err.message);
    return tx;
}

/* Runs sql (params as given) in tx and asserts it succeeds; returns its rows (caller frees). */
static struct db_result *exec_ok(struct db_tx *tx, const char *sql, int n, const char *const *params)
{
    struct db_stmt st = {sql, n, params};
    struct db_result *r = NULL;
    struct db_error err;
    ck_assert_msg(db_tx_exec(tx, &st, &r, &err) == 0, "%s: %s (%s)", sql, err.message, err.sqlstate);
    return r;
}

/* The one value of sql run in tx, copied (NULL for SQL NULL). */
static char *tx_scalar(struct db_tx *tx, const char *sql)
{
    struct db_result *r = exec_ok(tx, sql, 0, NULL);
    ck_assert_int_eq(db_result_rows(r), 1);
    const char *v = db_result_get(r, 0, 0);
    char *copy = v ? strdup(v) : NULL;
    db_result_free(r);
    return copy;
}

static void insert_ok(struct db_tx *tx, const char *id, const char *label)
{
    const char *params[] = {id, label};
    db_result_free(exec_ok(tx, INSERT_ROW, 2, params));
}

/* Rows of scratch with id in [lo, hi] that ns sees, asked on a connection of its own. */
static long count_ids(struct db_pool *p, const char *ns, int lo, int hi)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM scratch WHERE id BETWEEN %d AND %d", lo, hi);
    return tdb_count(p, ns, sql);
}

/* pg_xact_status of a transaction id, asked from another connection. */
static char *xact_status(struct db_pool *p, const char *xid)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_xact_status('%s'::xid8)", xid);
    return tdb_scalar(p, NULL, sql);
}

static void assert_no_leak(struct db_pool *p)
{
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_int_eq(st.in_use, 0);
    ck_assert_int_eq(st.waiting, 0);
}

/* ------------------------------------------------------------------ transactions */

/* One server transaction across statements, through the transaction pooler: the same
 * transaction id and backend for every statement until the commit. */
START_TEST(test_db_tx_is_one_pinned_transaction)
{
    struct db_pool *p = tdb_pool(2);
    struct db_tx *tx = begin(p, "pin");
    char *x1 = tx_scalar(tx, "SELECT pg_current_xact_id()::text");
    char *b1 = tx_scalar(tx, "SELECT pg_backend_pid()::text");
    char *x2 = tx_scalar(tx, "SELECT pg_current_xact_id()::text");
    char *b2 = tx_scalar(tx, "SELECT pg_backend_pid()::text");
    ck_assert_str_eq(x1, x2);
    ck_assert_str_eq(b1, b2);
    struct db_error err;
    ck_assert_msg(db_tx_commit(tx, &err) == 0, "%s", err.message);
    char *st = xact_status(p, x1);
    ck_assert_str_eq(st, "committed");
    free(st);
    free(x1), free(x2), free(b1), free(b2);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_tx_commit_makes_rows_visible_elsewhere)
{
    struct db_pool *p = tdb_pool(2), *other = tdb_pool(1);
    struct db_tx *tx = begin(p, "vis");
    insert_ok(tx, "100", "a");
    insert_ok(tx, "101", "b");
    char *own = tx_scalar(tx, "SELECT count(*) FROM scratch WHERE id BETWEEN 100 AND 101");
    ck_assert_str_eq(own, "2"); /* the transaction sees its own rows */
    free(own);
    ck_assert_int_eq(count_ids(other, "vis", 100, 101), 0); /* nobody else does yet */
    struct db_error err;
    ck_assert_msg(db_tx_commit(tx, &err) == 0, "%s", err.message);
    ck_assert_int_eq(count_ids(other, "vis", 100, 101), 2);
    assert_no_leak(p);
    db_pool_free(other);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_tx_rollback_leaves_nothing)
{
    struct db_pool *p = tdb_pool(2), *other = tdb_pool(1);
    struct db_tx *tx = begin(p, "rb");
    insert_ok(tx, "200", "a");
    insert_ok(tx, "201", "b");
    char *xid = tx_scalar(tx, "SELECT pg_current_xact_id()::text");
    db_tx_rollback(tx);
    ck_assert_int_eq(count_ids(other, "rb", 200, 201), 0);
    char *st = xact_status(other, xid);
    ck_assert_str_eq(st, "aborted");
    free(st);
    free(xid);
    /* the connection went back clean: the next transaction on the same pool works */
    tx = begin(p, "rb");
    insert_ok(tx, "202", "c");
    struct db_error err;
    ck_assert_msg(db_tx_commit(tx, &err) == 0, "%s", err.message);
    ck_assert_int_eq(count_ids(other, "rb", 200, 202), 1);
    assert_no_leak(p);
    db_tx_rollback(NULL); /* NULL-safe */
    db_pool_free(other);
    db_pool_free(p);
}
END_TEST

/* After one failed statement only a rollback makes sense: later statements and the commit are
 * refused, and what ran before the failure is not kept. */
START_TEST(test_db_tx_failed_statement_fails_the_transaction)
{
    struct db_pool *p = tdb_pool(1), *other = tdb_pool(1);
    struct db_tx *tx = begin(p, "fail");
    insert_ok(tx, "300", "kept?");
    char *xid = tx_scalar(tx, "SELECT pg_current_xact_id()::text");
    const char *dup[] = {"300", "again"};
    struct db_stmt st = {INSERT_ROW, 2, dup};
    struct db_error err;
    ck_assert_int_eq(db_tx_exec(tx, &st, NULL, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNIQUE);
    const char *later[] = {"301", "later"};
    struct db_stmt st2 = {INSERT_ROW, 2, later};
    struct db_result *r = (struct db_result *)&st; /* must come back NULL */
    ck_assert_int_eq(db_tx_exec(tx, &st2, &r, &err), -1);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    ck_assert_ptr_nonnull(strstr(err.message, "already failed"));
    ck_assert_int_eq(db_tx_commit(tx, &err), -1); /* frees tx */
    ck_assert_int_eq(count_ids(other, "fail", 300, 301), 0);
    char *status = xact_status(other, xid);
    ck_assert_str_eq(status, "aborted");
    free(status);
    free(xid);
    assert_no_leak(p);
    /* the one connection is usable again */
    ck_assert_int_eq(tdb_count(p, "fail", "SELECT count(*) FROM scratch"), 0);
    db_pool_free(other);
    db_pool_free(p);
}
END_TEST

/* The namespace is set inside the transaction only: seen by its statements, gone after the
 * commit and after a rollback (a pooled server connection serves other clients next). */
START_TEST(test_db_tx_namespace_is_transaction_local)
{
    struct db_pool *p = tdb_pool(1); /* one connection: the next transaction reuses it */
    static const char *const setting = "SELECT current_setting('" DB_TENANT_SETTING "', true)";
    for (int end = 0; end < 2; end++) {
        struct db_tx *tx = begin(p, "scoped");
        char *v = tx_scalar(tx, setting);
        ck_assert_str_eq(v, "scoped");
        free(v);
        struct db_error err;
        if (end == 0)
            ck_assert_msg(db_tx_commit(tx, &err) == 0, "%s", err.message);
        else
            db_tx_rollback(tx);
        tx = begin(p, NULL);
        v = tx_scalar(tx, setting);
        ck_assert_msg(v == NULL || v[0] == '\0', "the namespace outlived its transaction: %s", v);
        free(v);
        db_tx_rollback(tx);
        char *run = tdb_scalar(p, NULL,
                               "SELECT coalesce(current_setting('aam.namespace', true), '')");
        ck_assert_ptr_nonnull(run);
        ck_assert_str_eq(run, "");
        free(run);
    }
    db_pool_free(p);
}
END_TEST

/* Row-level security through db_tx's namespace: each namespace sees and changes its own rows
 * only, and cannot write a row into another's. */
START_TEST(test_db_tx_rls_keeps_namespaces_apart)
{
    struct db_pool *p = tdb_pool(2);
    struct db_error err;
    struct db_tx *tx = begin(p, "alpha");
    insert_ok(tx, "400", "a1");
    insert_ok(tx, "401", "a2");
    ck_assert_msg(db_tx_commit(tx, &err) == 0, "%s", err.message);
    tx = begin(p, "beta");
    insert_ok(tx, "402", "a1"); /* the same label: unique per namespace */
    char *n = tx_scalar(tx, "SELECT count(*) FROM scratch WHERE id BETWEEN 400 AND 402");
    ck_assert_str_eq(n, "1");
    free(n);
    struct db_result *r = exec_ok(tx, "UPDATE scratch SET label = label || '!'", 0, NULL);
    ck_assert_int_eq(db_result_affected(r), 1); /* beta's one row, not alpha's two */
    db_result_free(r);
    /* a row for alpha written from beta's transaction: refused (42501, WITH CHECK) */
    struct db_stmt foreign = {
        "INSERT INTO scratch (namespace, id, label) VALUES ('alpha', 403, 'x')", 0, NULL};
    ck_assert_int_eq(db_tx_exec(tx, &foreign, NULL, &err), -1);
    ck_assert_str_eq(err.sqlstate, "42501");
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    db_tx_rollback(tx);
    ck_assert_int_eq(count_ids(p, "alpha", 400, 403), 2);
    ck_assert_int_eq(count_ids(p, "beta", 400, 403), 0); /* rolled back */
    ck_assert_int_eq(count_ids(p, NULL, 400, 403), 0);   /* no tenant: no rows */
    tx = begin(p, NULL);
    n = tx_scalar(tx, "SELECT count(*) FROM scratch");
    ck_assert_str_eq(n, "0");
    free(n);
    db_tx_rollback(tx);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_tx_statement_timeout_is_unavailable)
{
    struct db_pool *p = tdb_pool_url(tdb_env("DATABASE_URL"), 1, 300);
    struct db_tx *tx = begin(p, "slow");
    struct db_stmt st = {"SELECT pg_sleep(30)", 0, NULL};
    struct db_error err;
    long long t0 = mono_ms();
    ck_assert_int_eq(db_tx_exec(tx, &st, NULL, &err), -1);
    ck_assert_int_lt(mono_ms() - t0, 10000);
    ck_assert_str_eq(err.sqlstate, "57014");
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    db_tx_rollback(tx);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

/* A migration-style script: several statements in the caller's transaction; a failing one
 * fails it all; one that ends the transaction by itself is refused. */
START_TEST(test_db_tx_exec_script)
{
    struct db_pool *p = tdb_pool(1), *other = tdb_pool(1);
    struct db_error err;
    struct db_tx *tx = begin(p, "script");
    ck_assert_msg(db_tx_exec_script(tx,
                                    "INSERT INTO scratch (id, label) VALUES (800, 'a');"
                                    "INSERT INTO scratch (id, label) VALUES (801, 'b');",
                                    &err) == 0,
                  "%s", err.message);
    ck_assert_int_eq(count_ids(other, "script", 800, 801), 0);
    ck_assert_msg(db_tx_commit(tx, &err) == 0, "%s", err.message);
    ck_assert_int_eq(count_ids(other, "script", 800, 801), 2);

    tx = begin(p, "script");
    ck_assert_int_eq(db_tx_exec_script(tx,
                                       "INSERT INTO scratch (id, label) VALUES (802, 'c');"
                                       "SELEC 1;"
                                       "INSERT INTO scratch (id, label) VALUES (803, 'd');",
                                       &err),
                     -1);
    ck_assert_str_eq(err.sqlstate, "42601");
    ck_assert_int_eq(db_tx_commit(tx, &err), -1);
    ck_assert_int_eq(count_ids(other, "script", 802, 803), 0);

    tx = begin(p, "script");
    ck_assert_int_eq(db_tx_exec_script(tx, "SELECT 1; COMMIT;", &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    ck_assert_ptr_nonnull(strstr(err.message, "ended the transaction"));
    ck_assert_int_eq(db_tx_commit(tx, &err), -1); /* the transaction is failed */
    assert_no_leak(p);
    db_pool_free(other);
    db_pool_free(p);
}
END_TEST

/* Calls that cannot work fail plainly instead of crashing. */
START_TEST(test_db_tx_bad_arguments)
{
    struct db_error err;
    ck_assert_ptr_null(db_tx_begin(NULL, "x", &err));
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    struct db_stmt st = {"SELECT 1", 0, NULL};
    ck_assert_int_eq(db_tx_exec(NULL, &st, NULL, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    ck_assert_int_eq(db_tx_commit(NULL, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    struct db_pool *p = tdb_pool(1);
    struct db_tx *tx = begin(p, "args");
    ck_assert_int_eq(db_tx_exec(tx, NULL, NULL, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    db_tx_rollback(tx);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

/* ------------------------------------------------------------------ error classification */

static const struct {
    const char *sql;
    const char *p1, *p2;
    enum db_status status;
    const char *sqlstate;
    const char *constraint;
} error_cases[] = {
    {INSERT_ROW, "500", "taken", DB_ERR_UNIQUE, "23505", "scratch_pkey"},
    {INSERT_ROW, "599", "first", DB_ERR_UNIQUE, "23505", "scratch_ns_label_key"},
    {INSERT_ROW, "501", "", DB_ERR_INVALID, "23514", "scratch_label_check"},
    {INSERT_ROW, "502", NULL, DB_ERR_INVALID, "23502", ""},
    {"INSERT INTO scratch (id, label, parent) VALUES ($1::int, $2, 99)", "503", "orphan",
     DB_ERR_INVALID, "23503", "scratch_parent_fkey"},
    {INSERT_ROW, "not a number", "x", DB_ERR_INVALID, "22P02", ""},
    {"SELEC $1, $2", "1", "2", DB_ERR_QUERY, "42601", ""},
    {"SELECT $1, $2 FROM no_such_table", "1", "2", DB_ERR_QUERY, "42P01", ""},
    {"SELECT no_such_column, $1, $2 FROM scratch", "1", "2", DB_ERR_QUERY, "42703", ""},
};

START_TEST(test_db_tx_server_errors_classified)
{
    struct db_pool *p = tdb_pool(1);
    struct db_tx *tx = begin(p, "errs"); /* the row the unique cases collide with */
    db_result_free(
        exec_ok(tx, "INSERT INTO scratch (id, label) VALUES (500, 'first') ON CONFLICT DO NOTHING",
                0, NULL));
    struct db_error err;
    ck_assert_msg(db_tx_commit(tx, &err) == 0, "%s", err.message);

    tx = begin(p, "errs");
    const char *params[] = {error_cases[_i].p1, error_cases[_i].p2};
    struct db_stmt st = {error_cases[_i].sql, 2, params};
    struct db_result *r = (struct db_result *)&st;
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(db_tx_exec(tx, &st, &r, &err), -1);
    ck_assert_ptr_null(r);
    ck_assert_msg(err.status == error_cases[_i].status, "%s: status %d, want %d (%s: %s)",
                  error_cases[_i].sql, err.status, error_cases[_i].status, err.sqlstate,
                  err.message);
    ck_assert_str_eq(err.sqlstate, error_cases[_i].sqlstate);
    ck_assert_str_eq(err.constraint, error_cases[_i].constraint);
    ck_assert_msg(err.message[0] != '\0' && strchr(err.message, '\n') == NULL, "message: %s",
                  err.message);
    db_tx_rollback(tx);
    ck_assert_int_eq(count_ids(p, "errs", 500, 599), 1);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

/* 25006: the server refuses a write in a read-only transaction, as a standby (or a primary
 * being demoted) does: "try later" (503), and that connection is never reused. */
START_TEST(test_db_tx_read_only_write_is_unavailable)
{
    struct db_pool *p = tdb_pool(1);
    struct db_pool_stats before, after;
    ck_assert_int_eq(tdb_count(p, "ro", "SELECT 1"), 1); /* one connection open and idle */
    db_pool_get_stats(p, &before);
    struct db_tx *tx = begin(p, "ro");
    db_result_free(exec_ok(tx, "SET TRANSACTION READ ONLY", 0, NULL));
    const char *params[] = {"600", "ro"};
    struct db_stmt st = {INSERT_ROW, 2, params};
    struct db_error err;
    ck_assert_int_eq(db_tx_exec(tx, &st, NULL, &err), -1);
    ck_assert_str_eq(err.sqlstate, "25006");
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    ck_assert_int_eq(db_tx_commit(tx, &err), -1);
    db_pool_get_stats(p, &after);
    ck_assert_uint_eq(after.discarded, before.discarded + 1);
    ck_assert_int_eq(after.open, 0);
    /* the next transaction gets a fresh connection, and can write */
    tx = begin(p, "ro");
    insert_ok(tx, "601", "rw");
    ck_assert_msg(db_tx_commit(tx, &err) == 0, "%s", err.message);
    db_pool_get_stats(p, &after);
    ck_assert_uint_eq(after.created, before.created + 1);
    ck_assert_int_eq(count_ids(p, "ro", 600, 601), 1);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

/* ------------------------------------------------------------------ results */

START_TEST(test_db_result_readers_on_real_rows)
{
    struct db_pool *p = tdb_pool(1);
    struct db_tx *tx = begin(p, "res");
    struct db_result *r = exec_ok(tx,
                                  "SELECT g, CASE WHEN g = 2 THEN NULL ELSE 'v' || g END, '', 'héllo'"
                                  " FROM generate_series(1, 3) g ORDER BY g",
                                  0, NULL);
    ck_assert_int_eq(db_result_rows(r), 3);
    ck_assert_int_eq(db_result_cols(r), 4);
    ck_assert_str_eq(db_result_get(r, 0, 0), "1");
    ck_assert_str_eq(db_result_get(r, 2, 1), "v3");
    ck_assert_uint_eq(db_result_len(r, 2, 1), 2);
    ck_assert_ptr_null(db_result_get(r, 1, 1)); /* SQL NULL */
    ck_assert_uint_eq(db_result_len(r, 1, 1), 0);
    ck_assert_ptr_nonnull(db_result_get(r, 0, 2)); /* the empty string is not NULL */
    ck_assert_str_eq(db_result_get(r, 0, 2), "");
    ck_assert_str_eq(db_result_get(r, 0, 3), "héllo");
    ck_assert_uint_eq(db_result_len(r, 0, 3), strlen("héllo")); /* bytes */
    static const int out[][2] = {{3, 0}, {0, 4}, {-1, 0}, {0, -1}, {100, 100}};
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        ck_assert_ptr_null(db_result_get(r, out[i][0], out[i][1]));
        ck_assert_uint_eq(db_result_len(r, out[i][0], out[i][1]), 0);
    }
    db_result_free(r);

    /* affected rows of INSERT, UPDATE, DELETE (with and without RETURNING), none for SET */
    r = exec_ok(
        tx, "INSERT INTO scratch (id, label) SELECT g, 'r' || g FROM generate_series(700, 702) g",
        0, NULL);
    ck_assert_int_eq(db_result_affected(r), 3);
    ck_assert_int_eq(db_result_rows(r), 0);
    ck_assert_ptr_null(db_result_get(r, 0, 0));
    db_result_free(r);
    r = exec_ok(tx, "UPDATE scratch SET label = label || '+' WHERE id > 700 RETURNING id", 0, NULL);
    ck_assert_int_eq(db_result_affected(r), 2);
    ck_assert_int_eq(db_result_rows(r), 2);
    db_result_free(r);
    r = exec_ok(tx, "DELETE FROM scratch WHERE id = 702", 0, NULL);
    ck_assert_int_eq(db_result_affected(r), 1);
    db_result_free(r);
    r = exec_ok(tx, "DELETE FROM scratch WHERE id = 702", 0, NULL);
    ck_assert_int_eq(db_result_affected(r), 0);
    db_result_free(r);
    r = exec_ok(tx, "SET LOCAL statement_timeout = '5s'", 0, NULL);
    ck_assert_int_eq(db_result_affected(r), 0);
    db_result_free(r);
    db_tx_rollback(tx);

    /* NULL-safe readers */
    ck_assert_int_eq(db_result_rows(NULL), 0);
    ck_assert_int_eq(db_result_cols(NULL), 0);
    ck_assert_ptr_null(db_result_get(NULL, 0, 0));
    ck_assert_uint_eq(db_result_len(NULL, 0, 0), 0);
    ck_assert_int_eq(db_result_affected(NULL), 0);
    db_result_free(NULL);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("db_tx");
    TCase *tc = tcase_create("transactions");
    tcase_add_unchecked_fixture(tc, setup_schema, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_db_tx_is_one_pinned_transaction);
    tcase_add_test(tc, test_db_tx_commit_makes_rows_visible_elsewhere);
    tcase_add_test(tc, test_db_tx_rollback_leaves_nothing);
    tcase_add_test(tc, test_db_tx_failed_statement_fails_the_transaction);
    tcase_add_test(tc, test_db_tx_namespace_is_transaction_local);
    tcase_add_test(tc, test_db_tx_rls_keeps_namespaces_apart);
    tcase_add_test(tc, test_db_tx_statement_timeout_is_unavailable);
    tcase_add_test(tc, test_db_tx_exec_script);
    tcase_add_test(tc, test_db_tx_bad_arguments);
    tcase_add_loop_test(tc, test_db_tx_server_errors_classified, 0,
                        (int)(sizeof error_cases / sizeof error_cases[0]));
    tcase_add_test(tc, test_db_tx_read_only_write_is_unavailable);
    tcase_add_test(tc, test_db_result_readers_on_real_rows);
    suite_add_tcase(s, tc);
    return tdb_main(s);
}
