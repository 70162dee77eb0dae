/* Outages, through PgBouncer in transaction mode, with one pool that is never recreated:
 * the database path down at start (PgBouncer not running) then up; PgBouncer killed and
 * restarted while the pool holds idle connections; PostgreSQL restarted; PostgreSQL stopped
 * behind a live PgBouncer (which would hold a query for its query_wait_timeout); a connection
 * killed mid-flight (reported, retried only for DB_READ_ONLY work). No crash, no connection
 * left checked out. Run for a kept pool (4) and for AAM_DB_POOL_SIZE=0. */
#include <pthread.h>

#include "tests/integration/test_db_common.h"

static const int pool_sizes[] = {4, 0};

static struct db_pool *outage_pool(int size)
{
    struct db_config cfg = {
        .url = tdb_env("DATABASE_URL"),
        .pool_size = size,
        .acquire_timeout_ms = 3000,
        .statement_timeout_ms = 500,
        .connect_timeout_s = 1,
        .max_lifetime_s = 600,
    };
    struct db_pool *p = db_pool_new(&cfg);
    ck_assert_ptr_nonnull(p);
    return p;
}

static int select1(struct db_pool *p, struct db_error *err)
{
    return tdb_run1(p, "recovery", "SELECT 1", 0, NULL, NULL, err);
}

/* Retries for up to ~20 s (PgBouncer may refuse logins for server_login_retry after the
 * server was down): recovery must come without recreating the pool. */
static int until_ok(struct db_pool *p)
{
    struct db_error err;
    for (int i = 0; i < 100; i++) {
        if (select1(p, &err) == 0)
            return 0;
        ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
        tdb_sleep_ms(200);
    }
    return -1;
}

static void assert_next_ok(struct db_pool *p, int n)
{
    struct db_error err;
    for (int i = 0; i < n; i++)
        ck_assert_msg(select1(p, &err) == 0, "call %d: %s", i, err.message);
}

static void assert_none_in_use(struct db_pool *p)
{
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_int_eq(st.in_use, 0);
    ck_assert_int_eq(st.waiting, 0);
    ck_assert_int_eq(st.open, st.idle);
}

/* Opens n connections at once (held transactions), then returns them all to the pool. */
static void warm(struct db_pool *p, int n)
{
    struct db_tx *tx[4];
    struct db_error err;
    for (int i = 0; i < n; i++) {
        tx[i] = db_tx_begin(p, NULL, &err);
        ck_assert_msg(tx[i] != NULL, "%s", err.message);
    }
    for (int i = 0; i < n; i++)
        db_tx_rollback(tx[i]);
}

START_TEST(test_db_recovery_down_at_start_then_up)
{
    struct db_pool *p = NULL;
    struct db_error err;
    tdb_ctl("pgb-kill");
    p = outage_pool(pool_sizes[_i]); /* lazy: creating it needs no database */
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_uint_eq(st.created, 0);
    ck_assert_int_eq(select1(p, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    double ms;
    ck_assert_int_eq(db_ping(p, &ms, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    tdb_ctl("pgb-start");
    ck_assert_msg(until_ok(p) == 0, "no recovery after PgBouncer came back");
    assert_next_ok(p, 10);
    ck_assert_int_eq(db_ping(p, &ms, &err), 0);
    assert_none_in_use(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_recovery_pgbouncer_killed_with_idle_connections)
{
    int size = pool_sizes[_i];
    struct db_pool *p = outage_pool(size);
    struct db_error err;
    warm(p, 3);
    struct db_pool_stats before, after;
    db_pool_get_stats(p, &before);
    ck_assert_int_eq(before.idle, size > 0 ? 3 : 0);
    tdb_ctl("pgb-kill");
    tdb_ctl("pgb-start");
    /* The dead idle connections are noticed before use: the very next call succeeds. */
    ck_assert_msg(select1(p, &err) == 0, "first call after the restart: %s", err.message);
    assert_next_ok(p, 10);
    db_pool_get_stats(p, &after);
    if (size > 0)
        ck_assert_uint_ge(after.discarded, before.discarded + 3);
    assert_none_in_use(p);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_recovery_postgres_restarted)
{
    struct db_pool *p = outage_pool(pool_sizes[_i]);
    warm(p, 3);
    tdb_ctl("pg-restart");
    /* The first call may be UNAVAILABLE if it raced the restart; the following ones are OK. */
    ck_assert_msg(until_ok(p) == 0, "no recovery after the PostgreSQL restart");
    assert_next_ok(p, 10);
    assert_none_in_use(p);
    db_pool_free(p);
}
END_TEST

/* PostgreSQL down, PgBouncer up: PgBouncer accepts the client and holds the query for up to
 * query_wait_timeout (120 s). The client-side deadline (statement_timeout + connect_timeout)
 * answers UNAVAILABLE instead; this test would hit Check's timeout otherwise. */
START_TEST(test_db_recovery_postgres_down_behind_pgbouncer)
{
    struct db_pool *p = outage_pool(pool_sizes[_i]);
    struct db_error err;
    warm(p, 2);
    tdb_ctl("pg-stop");
    ck_assert_int_eq(select1(p, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    assert_none_in_use(p);
    tdb_ctl("pg-start");
    /* PgBouncer now refuses logins for server_login_retry (15 s, its own timer, not ours);
     * restarting it keeps this test short. The pool is still the same one. */
    tdb_ctl("pgb-kill");
    tdb_ctl("pgb-start");
    ck_assert_msg(until_ok(p) == 0, "no recovery after PostgreSQL came back");
    assert_next_ok(p, 10);
    assert_none_in_use(p);
    db_pool_free(p);
}
END_TEST

struct sleeper {
    struct db_pool *pool;
    const char *marker;
    int flags, rc;
    struct db_error err;
};

static void *sleeper_main(void *arg)
{
    struct sleeper *s = arg;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_sleep(0.3), '%s'", s->marker);
    struct db_stmt st = {sql, 0, NULL};
    s->rc = db_run(s->pool, NULL, &st, 1, NULL, s->flags, &s->err);
    return NULL;
}

/* Runs a sleeping statement on another thread, terminates its server backend once it is seen
 * running, and returns what db_run said. */
static int kill_mid_flight(struct db_pool *p, const char *marker, int flags, struct db_error *err)
{
    struct db_pool *killer = tdb_pool(1);
    struct sleeper s = {.pool = p, .marker = marker, .flags = flags};
    pthread_t t;
    const char *params[] = {marker};
    ck_assert_int_eq(pthread_create(&t, NULL, sleeper_main, &s), 0);
    int killed = 0;
    for (int i = 0; i < 200 && !killed; i++) {
        struct db_result *r = NULL;
        struct db_error kerr;
        ck_assert_int_eq(tdb_run1(killer, NULL,
                                  "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE state = 'active' AND pid <> pg_backend_pid() "
                                  "AND query LIKE '%pg_sleep%' || $1 || '%'",
                                  1, params, &r, &kerr),
                         0);
        killed = atoi(db_result_get(r, 0, 0)) > 0;
        db_result_free(r);
        if (!killed)
            tdb_sleep_ms(10);
    }
    pthread_join(t, NULL);
    ck_assert_msg(killed, "the statement was never seen running");
    db_pool_free(killer);
    *err = s.err;
    return s.rc;
}

START_TEST(test_db_recovery_connection_killed_mid_flight)
{
    struct db_pool *p = outage_pool(pool_sizes[_i]);
    struct db_error err;
    /* Not read-only: reported, never silently retried (it might have run). */
    ck_assert_int_eq(kill_mid_flight(p, "mid_flight_rw", 0, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    assert_next_ok(p, 5);
    /* Read-only: retried once on another connection, and succeeds. */
    ck_assert_msg(kill_mid_flight(p, "mid_flight_ro", DB_READ_ONLY, &err) == 0, "%s", err.message);
    assert_next_ok(p, 5);
    assert_none_in_use(p);
    db_pool_free(p);
}
END_TEST

static Suite *recovery_suite(void)
{
    Suite *s = suite_create("db_recovery");
    TCase *tc = tcase_create("outages");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_db_recovery_down_at_start_then_up, 0, 2);
    tcase_add_loop_test(tc, test_db_recovery_pgbouncer_killed_with_idle_connections, 0, 2);
    tcase_add_loop_test(tc, test_db_recovery_postgres_restarted, 0, 2);
    tcase_add_loop_test(tc, test_db_recovery_connection_killed_mid_flight, 0, 2);
    tcase_add_loop_test(tc, test_db_recovery_postgres_down_behind_pgbouncer, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tdb_main(recovery_suite());
}
