/* Integration tests for db_run, db_tx_*, db_ping and the pool, through PgBouncer in
 * transaction mode as the (RLS-bound) app role. Every functional test runs once per pool size:
 * 8, 1 and 0 (AAM_DB_POOL_SIZE=0: a connection per use). */
#include "tests/integration/test_db_common.h"

static const int pool_sizes[] = {8, 1, 0};
#define N_SIZES 3

static const char INSERT_CONN[] =
    "INSERT INTO connections (namespace, id, name, source_type) VALUES ($1, $2, $3, 'filesource')";

/* Every namespace a test writes in gets its tenant first: the schema refuses rows in a
 * namespace without one (migration 0003; test_tenant_boundary.sh tests that refusal). */
static void setup_schema(void)
{
    static const char *const prefixes[] = {"aff", "atom", "errs", "pipe", "rls-a", "rls-b", "tx"};
    tdb_migrate();
    struct db_pool *p = tdb_pool(1);
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        for (size_t k = 0; k < sizeof pool_sizes / sizeof pool_sizes[0]; k++) {
            char ns[16];
            struct db_error err;
            snprintf(ns, sizeof ns, "%s%zu", prefixes[i], k);
            const char *params[] = {ns};
            ck_assert_msg(tdb_run1(p, ns,
                                   "INSERT INTO tenants (namespace, name) VALUES ($1, $1) "
                                   "ON CONFLICT DO NOTHING",
                                   1, params, NULL, &err) == 0,
                          "%s", err.message);
        }
    }
    db_pool_free(p);
}

static void assert_no_leak(struct db_pool *p)
{
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_int_eq(st.in_use, 0);
    ck_assert_int_eq(st.waiting, 0);
    ck_assert_int_le(st.open, st.size);
    ck_assert_int_eq(st.open, st.idle);
}

START_TEST(test_db_run_returns_rows_params_and_nulls)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    const char *params[] = {"41", "héllo", NULL};
    struct db_stmt st[] = {
        {"SELECT $1::int + 1, $2::text, $3::text", 3, params},
        {"SELECT g FROM generate_series(1, 3) g", 0, NULL},
        {"SELECT 'x' WHERE false", 0, NULL},
    };
    struct db_result *r[3];
    struct db_error err;
    ck_assert_msg(db_run(p, "t1", st, 3, r, 0, &err) == 0, "%s", err.message);
    ck_assert_int_eq(db_result_rows(r[0]), 1);
    ck_assert_int_eq(db_result_cols(r[0]), 3);
    ck_assert_str_eq(db_result_get(r[0], 0, 0), "42");
    ck_assert_str_eq(db_result_get(r[0], 0, 1), "héllo");
    ck_assert_uint_eq(db_result_len(r[0], 0, 1), strlen("héllo"));
    ck_assert_ptr_null(db_result_get(r[0], 0, 2)); /* SQL NULL */
    ck_assert_ptr_null(db_result_get(r[0], 1, 0)); /* out of range */
    ck_assert_ptr_null(db_result_get(r[0], 0, 3));
    ck_assert_int_eq(db_result_rows(r[1]), 3);
    ck_assert_str_eq(db_result_get(r[1], 2, 0), "3");
    ck_assert_int_eq(db_result_rows(r[2]), 0);
    for (int i = 0; i < 3; i++)
        db_result_free(r[i]);
    /* results may be NULL when the caller wants none. */
    ck_assert_int_eq(db_run(p, NULL, st, 3, NULL, 0, &err), 0);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_run_reports_affected_rows)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    char ns[16];
    snprintf(ns, sizeof ns, "aff%d", _i);
    const char *params[] = {ns};
    struct db_stmt st[] = {
        {"INSERT INTO connections (namespace, id, name, source_type) "
         "SELECT $1, 'c' || g, 'n', 'filesource' FROM generate_series(1, 3) g",
         1, params},
        {"UPDATE connections SET status = 'ACTIVE' WHERE namespace = $1 AND id <> 'c1'", 1, params},
    };
    struct db_result *r[2];
    struct db_error err;
    ck_assert_msg(db_run(p, ns, st, 2, r, 0, &err) == 0, "%s", err.message);
    ck_assert_int_eq(db_result_affected(r[0]), 3);
    ck_assert_int_eq(db_result_affected(r[1]), 2);
    db_result_free(r[0]);
    db_result_free(r[1]);
    ck_assert_int_eq(tdb_count(p, ns, "SELECT count(*) FROM connections WHERE status = 'ACTIVE'"),
                     2);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_run_is_one_transaction)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    char ns[16];
    snprintf(ns, sizeof ns, "atom%d", _i);
    const char *a[] = {ns, "dup", "first"};
    struct db_stmt st[] = {{INSERT_CONN, 3, a}, {INSERT_CONN, 3, a}};
    struct db_result *r[2] = {(void *)1, (void *)1};
    struct db_error err;
    ck_assert_int_eq(db_run(p, ns, st, 2, r, 0, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNIQUE);
    ck_assert_str_eq(err.sqlstate, "23505");
    ck_assert_str_eq(err.constraint, "connections_pkey");
    ck_assert_ptr_null(r[0]); /* nothing is returned on failure */
    ck_assert_ptr_null(r[1]);
    /* The first INSERT was rolled back with the second. */
    ck_assert_int_eq(tdb_count(p, ns, "SELECT count(*) FROM connections"), 0);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

static void expect_error(struct db_pool *p, const char *ns, const char *sql, int nparams,
                         const char *const *params, enum db_status status, const char *sqlstate)
{
    struct db_error err;
    struct db_result *r = NULL;
    ck_assert_int_eq(tdb_run1(p, ns, sql, nparams, params, &r, &err), -1);
    ck_assert_ptr_null(r);
    ck_assert_msg(err.status == status, "%s: status %d, want %d (%s)", sql, err.status, status,
                  err.message);
    ck_assert_str_eq(err.sqlstate, sqlstate);
    ck_assert_msg(err.message[0] != '\0', "an error carries a message");
}

START_TEST(test_db_run_maps_errors)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    struct db_error err;
    char ns[16];
    snprintf(ns, sizeof ns, "errs%d", _i);
    const char *ok[] = {ns, "e1", "name"};
    const char *no_name[] = {ns, "e2", NULL};
    const char *abc[] = {"abc"};
    ck_assert_int_eq(tdb_run1(p, ns, INSERT_CONN, 3, ok, NULL, &err), 0);
    expect_error(p, ns, INSERT_CONN, 3, ok, DB_ERR_UNIQUE, "23505");
    expect_error(p, ns, INSERT_CONN, 3, no_name, DB_ERR_INVALID, "23502");
    expect_error(p, ns, "UPDATE connections SET status = 'BOGUS'", 0, NULL, DB_ERR_INVALID, "23514");
    expect_error(p, ns, "SELECT $1::int", 1, abc, DB_ERR_INVALID, "22P02");
    expect_error(p, ns, "SELEC 1", 0, NULL, DB_ERR_QUERY, "42601");
    expect_error(p, ns, "SELECT * FROM no_such_table", 0, NULL, DB_ERR_QUERY, "42P01");
    expect_error(p, ns, "SELECT 1/0", 0, NULL, DB_ERR_INVALID, "22012");
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_run_statement_timeout_is_unavailable_and_per_transaction)
{
    struct db_pool *p = tdb_pool_url(tdb_env("DATABASE_URL"), pool_sizes[_i], 300);
    struct db_error err;
    ck_assert_int_eq(tdb_run1(p, NULL, "SELECT pg_sleep(3)", 0, NULL, NULL, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    ck_assert_str_eq(err.sqlstate, "57014");
    /* The connection is fine afterwards, and the timeout was a transaction-local setting. */
    char *v = tdb_scalar(p, NULL, "SELECT current_setting('statement_timeout')");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "300ms");
    free(v);
    struct db_pool *plain = tdb_pool_url(tdb_env("DATABASE_URL"), 1, 0);
    v = tdb_scalar(plain, NULL, "SELECT current_setting('statement_timeout')");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "0"); /* no server connection kept our 300ms */
    free(v);
    db_pool_free(plain);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

/* The PgBouncer pipelining hazard (pgbouncer#759): an error in the middle of a pipelined
 * transaction. The connection must come back clean: same connection (pool 1: one created, none
 * discarded), no transaction left open, no setting left behind, nothing committed. */
START_TEST(test_db_run_error_mid_pipeline_leaves_connection_clean)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    char ns[16];
    snprintf(ns, sizeof ns, "pipe%d", _i);
    const char *row[] = {ns, "leak", "n"};
    struct db_stmt bad[] = {
        {"SELECT set_config('" DB_LOGIN_EMAIL_SETTING "', 'x@example.com', true)", 0, NULL},
        {INSERT_CONN, 3, row},
        {"SELECT 1/0", 0, NULL},
        {"SELECT 'after the error'", 0, NULL},
    };
    struct db_stmt after[] = {
        {"SELECT txid_current_if_assigned() IS NULL", 0, NULL}, /* a fresh transaction */
        {"SELECT coalesce(current_setting('" DB_TENANT_SETTING "', true), ''), "
         "coalesce(current_setting('" DB_LOGIN_EMAIL_SETTING "', true), '')",
         0, NULL},
        {"SELECT count(*) FROM connections WHERE id = 'leak'", 0, NULL},
    };
    for (int i = 0; i < 100; i++) {
        struct db_error err;
        struct db_result *r[3];
        ck_assert_int_eq(db_run(p, ns, bad, 4, NULL, 0, &err), -1);
        ck_assert_int_eq(err.status, DB_ERR_INVALID);
        ck_assert_str_eq(err.sqlstate, "22012");
        /* Without a tenant the settings read as empty; with ours, the row is not there. */
        ck_assert_msg(db_run(p, i % 2 ? NULL : "", after, 3, r, 0, &err) == 0, "%s", err.message);
        ck_assert_str_eq(db_result_get(r[0], 0, 0), "t");
        ck_assert_str_eq(db_result_get(r[1], 0, 0), "");
        ck_assert_str_eq(db_result_get(r[1], 0, 1), "");
        for (int k = 0; k < 3; k++)
            db_result_free(r[k]);
        ck_assert_int_eq(tdb_count(p, ns, "SELECT count(*) FROM connections WHERE id = 'leak'"), 0);
    }
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    if (pool_sizes[_i] == 1) {
        ck_assert_uint_eq(st.created, 1);
        ck_assert_uint_eq(st.discarded, 0);
    }
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_run_tenant_scope_is_per_transaction)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    const char *sql = "SELECT coalesce(current_setting('" DB_TENANT_SETTING "', true), '')";
    for (int i = 0; i < 20; i++) {
        char *a = tdb_scalar(p, "tenant_a", sql);
        char *none = tdb_scalar(p, NULL, sql);
        char *empty = tdb_scalar(p, "", sql);
        ck_assert_str_eq(a, "tenant_a");
        ck_assert_str_eq(none, "");
        ck_assert_str_eq(empty, "");
        free(a);
        free(none);
        free(empty);
    }
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_rls_binds_the_app_role)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    char a[16], b[16];
    snprintf(a, sizeof a, "rls-a%d", _i);
    snprintf(b, sizeof b, "rls-b%d", _i);
    struct db_error err;
    ck_assert_int_eq(tdb_count(p, NULL,
                               "SELECT count(*) FROM pg_roles WHERE rolname = current_user "
                               "AND (rolsuper OR rolbypassrls)"),
                     0);
    const char *ra1[] = {a, "one", "A1"}, *ra2[] = {a, "two", "A2"}, *rb[] = {b, "one", "B1"};
    ck_assert_int_eq(tdb_run1(p, a, INSERT_CONN, 3, ra1, NULL, &err), 0);
    ck_assert_int_eq(tdb_run1(p, a, INSERT_CONN, 3, ra2, NULL, &err), 0);
    ck_assert_int_eq(tdb_run1(p, b, INSERT_CONN, 3, rb, NULL, &err), 0);
    /* No tenant: nothing, even with no WHERE clause. */
    ck_assert_int_eq(tdb_count(p, NULL, "SELECT count(*) FROM connections"), 0);
    ck_assert_int_eq(tdb_count(p, "", "SELECT count(*) FROM connections"), 0);
    /* Tenant A: exactly A's rows. */
    ck_assert_int_eq(tdb_count(p, a, "SELECT count(*) FROM connections"), 2);
    ck_assert_int_eq(tdb_count(p, a,
                               "SELECT count(*) FROM connections WHERE namespace <> "
                               "current_setting('" DB_TENANT_SETTING "')"),
                     0);
    ck_assert_int_eq(tdb_count(p, b, "SELECT count(*) FROM connections"), 1);
    /* Writing B's row while scoped to A is refused by the policy, and nothing is written. */
    const char *forged[] = {b, "forged", "F"};
    ck_assert_int_eq(tdb_run1(p, a, INSERT_CONN, 3, forged, NULL, &err), -1);
    ck_assert_str_eq(err.sqlstate, "42501");
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    ck_assert_int_eq(tdb_count(p, b, "SELECT count(*) FROM connections WHERE id = 'forged'"), 0);
    /* Nor can A update or delete B's rows: they are invisible. */
    struct db_result *r = NULL;
    const char *bp[] = {b};
    ck_assert_int_eq(tdb_run1(p, a, "DELETE FROM connections WHERE namespace = $1", 1, bp, &r, &err),
                     0);
    ck_assert_int_eq(db_result_affected(r), 0);
    db_result_free(r);
    ck_assert_int_eq(tdb_run1(p, a, "UPDATE connections SET name = 'hijacked' WHERE namespace = $1",
                              1, bp, &r, &err),
                     0);
    ck_assert_int_eq(db_result_affected(r), 0);
    db_result_free(r);
    ck_assert_int_eq(tdb_count(p, b, "SELECT count(*) FROM connections"), 1);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_tx_commit_rollback_and_failure)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    char ns[16];
    snprintf(ns, sizeof ns, "tx%d", _i);
    struct db_error err;
    struct db_result *r = NULL;
    const char *row1[] = {ns, "kept", "K"}, *row2[] = {ns, "dropped", "D"},
               *row3[] = {ns, "failed", "F"};
    struct db_stmt ins1 = {INSERT_CONN, 3, row1}, ins2 = {INSERT_CONN, 3, row2},
                   ins3 = {INSERT_CONN, 3, row3};
    struct db_stmt scope = {"SELECT current_setting('" DB_TENANT_SETTING "')", 0, NULL};
    struct db_stmt boom = {"SELECT 1/0", 0, NULL};

    struct db_tx *tx = db_tx_begin(p, ns, &err);
    ck_assert_msg(tx != NULL, "%s", err.message);
    ck_assert_int_eq(db_tx_exec(tx, &scope, &r, &err), 0);
    ck_assert_str_eq(db_result_get(r, 0, 0), ns);
    db_result_free(r);
    ck_assert_int_eq(db_tx_exec(tx, &ins1, NULL, &err), 0);
    ck_assert_int_eq(db_tx_exec_script(tx, "SELECT 1; SELECT 2;", &err), 0);
    ck_assert_int_eq(db_tx_commit(tx, &err), 0);

    tx = db_tx_begin(p, ns, &err);
    ck_assert_ptr_nonnull(tx);
    ck_assert_int_eq(db_tx_exec(tx, &ins2, NULL, &err), 0);
    db_tx_rollback(tx);

    tx = db_tx_begin(p, ns, &err);
    ck_assert_ptr_nonnull(tx);
    ck_assert_int_eq(db_tx_exec(tx, &ins3, NULL, &err), 0);
    ck_assert_int_eq(db_tx_exec(tx, &boom, NULL, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_INVALID);
    ck_assert_int_eq(db_tx_exec(tx, &scope, NULL, &err), -1); /* the transaction is failed */
    ck_assert_int_eq(db_tx_commit(tx, &err), -1);

    /* A script that commits by itself would break the caller's transaction: refused. */
    tx = db_tx_begin(p, ns, &err);
    ck_assert_ptr_nonnull(tx);
    ck_assert_int_eq(db_tx_exec_script(tx, "SELECT 1; COMMIT;", &err), -1);
    db_tx_rollback(tx);

    ck_assert_int_eq(tdb_count(p, ns, "SELECT count(*) FROM connections WHERE id = 'kept'"), 1);
    ck_assert_int_eq(tdb_count(p, ns, "SELECT count(*) FROM connections WHERE id <> 'kept'"), 0);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_ping_and_stats)
{
    struct db_pool *p = tdb_pool(pool_sizes[_i]);
    double ms = -1;
    struct db_error err;
    ck_assert_msg(db_ping(p, &ms, &err) == 0, "%s", err.message);
    ck_assert(ms >= 0);
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_int_eq(st.size, pool_sizes[_i]);
    ck_assert_uint_eq(st.created, 1);
    ck_assert_int_eq(st.open, pool_sizes[_i] > 0 ? 1 : 0);
    assert_no_leak(p);
    db_pool_free(p);
}
END_TEST

/* A bounded wait: with the only connection held, the next caller gets UNAVAILABLE, counted. */
START_TEST(test_db_pool_wait_is_bounded)
{
    struct db_config cfg = {.url = tdb_env("DATABASE_URL"),
                            .pool_size = 1,
                            .acquire_timeout_ms = 200,
                            .connect_timeout_s = 2,
                            .max_lifetime_s = 600};
    struct db_pool *p = db_pool_new(&cfg);
    struct db_error err;
    struct db_tx *tx = db_tx_begin(p, NULL, &err);
    ck_assert_ptr_nonnull(tx);
    ck_assert_int_eq(tdb_run1(p, NULL, "SELECT 1", 0, NULL, NULL, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_uint_eq(st.timeouts, 1);
    ck_assert_int_eq(st.in_use, 1);
    db_tx_rollback(tx);
    ck_assert_int_eq(tdb_run1(p, NULL, "SELECT 1", 0, NULL, NULL, &err), 0);
    assert_no_leak(p);
    db_pool_free(p);

    /* Pool size 0 keeps nothing and so never makes anyone wait. */
    cfg.pool_size = 0;
    p = db_pool_new(&cfg);
    tx = db_tx_begin(p, NULL, &err);
    ck_assert_ptr_nonnull(tx);
    ck_assert_int_eq(tdb_run1(p, NULL, "SELECT 1", 0, NULL, NULL, &err), 0);
    db_tx_rollback(tx);
    db_pool_get_stats(p, &st);
    ck_assert_int_eq(st.open, 0);
    ck_assert_uint_eq(st.created, 2);
    ck_assert_uint_eq(st.discarded, 0);
    db_pool_free(p);
}
END_TEST

/* Connections older than max_lifetime_s are recycled. */
START_TEST(test_db_pool_recycles_old_connections)
{
    struct db_config cfg = {.url = tdb_env("DATABASE_URL"),
                            .pool_size = 2,
                            .acquire_timeout_ms = 2000,
                            .connect_timeout_s = 2,
                            .max_lifetime_s = 1};
    struct db_pool *p = db_pool_new(&cfg);
    struct db_error err;
    ck_assert_int_eq(tdb_run1(p, NULL, "SELECT 1", 0, NULL, NULL, &err), 0);
    tdb_sleep_ms(1100);
    ck_assert_int_eq(tdb_run1(p, NULL, "SELECT 1", 0, NULL, NULL, &err), 0);
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_uint_eq(st.created, 2);
    ck_assert_uint_eq(st.discarded, 1);
    db_pool_free(p);
}
END_TEST

/* An idle pooled connection whose server went away is noticed before use (no round trip, no
 * failed request): straight to PostgreSQL, terminate the backend behind the idle connection. */
START_TEST(test_db_pool_discards_dead_idle_connection)
{
    struct db_pool *p = tdb_pool_url(tdb_env("DIRECT_DATABASE_URL"), 1, 5000);
    struct db_pool *killer = tdb_pool_url(tdb_env("DIRECT_DATABASE_URL"), 1, 5000);
    char *pid = tdb_scalar(p, NULL, "SELECT pg_backend_pid()");
    ck_assert_ptr_nonnull(pid);
    const char *params[] = {pid};
    struct db_result *r = NULL;
    struct db_error err;
    ck_assert_int_eq(tdb_run1(killer, NULL, "SELECT pg_terminate_backend($1::int, 5000)", 1, params,
                              &r, &err),
                     0);
    ck_assert_str_eq(db_result_get(r, 0, 0), "t");
    db_result_free(r);
    char *pid2 = tdb_scalar(p, NULL, "SELECT pg_backend_pid()");
    ck_assert_ptr_nonnull(pid2); /* succeeded, on a new connection */
    ck_assert_str_ne(pid, pid2);
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_uint_eq(st.created, 2);
    ck_assert_uint_eq(st.discarded, 1);
    free(pid);
    free(pid2);
    db_pool_free(killer);
    db_pool_free(p);
}
END_TEST

static Suite *db_run_suite(void)
{
    Suite *s = suite_create("db_run");
    TCase *tc = tcase_create("per pool size");
    tcase_add_unchecked_fixture(tc, setup_schema, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_db_run_returns_rows_params_and_nulls, 0, N_SIZES);
    tcase_add_loop_test(tc, test_db_run_reports_affected_rows, 0, N_SIZES);
    tcase_add_loop_test(tc, test_db_run_is_one_transaction, 0, N_SIZES);
    tcase_add_loop_test(tc, test_db_run_maps_errors, 0, N_SIZES);
    tcase_add_loop_test(tc, test_db_run_statement_timeout_is_unavailable_and_per_transaction, 0,
                        N_SIZES);
    tcase_add_loop_test(tc, test_db_run_error_mid_pipeline_leaves_connection_clean, 0, N_SIZES);
    tcase_add_loop_test(tc, test_db_run_tenant_scope_is_per_transaction, 0, N_SIZES);
    tcase_add_loop_test(tc, test_db_rls_binds_the_app_role, 0, N_SIZES);
    tcase_add_loop_test(tc, test_db_tx_commit_rollback_and_failure, 0, N_SIZES);
    tcase_add_loop_test(tc, test_db_ping_and_stats, 0, N_SIZES);
    suite_add_tcase(s, tc);
    TCase *pool = tcase_create("pool");
    tcase_set_timeout(pool, 60);
    tcase_add_test(pool, test_db_pool_wait_is_bounded);
    tcase_add_test(pool, test_db_pool_recycles_old_connections);
    tcase_add_test(pool, test_db_pool_discards_dead_idle_connection);
    suite_add_tcase(s, pool);
    return s;
}

int main(void)
{
    return tdb_main(db_run_suite());
}
