/* The pooler rule, proven both ways through the harness's PgBouncer (pool_mode=transaction):
 * a NAMED prepared statement used in a later transaction lands on a server connection that
 * never saw it (the production failure, reproduced on purpose, statement "aam_negative_control"
 * so the suite's log scan can tell it apart), while db/'s unnamed statements succeed thousands
 * of times from 8 threads sharing fewer server connections, each thread seeing only its own
 * tenant setting. */
#include <libpq-fe.h>
#include <pthread.h>

#include "tests/integration/test_db_common.h"

#define THREADS 8

static PGconn *connect_raw(const char *dbname_override)
{
    const char *keys[] = {"dbname", dbname_override ? "dbname" : NULL, NULL};
    const char *vals[] = {tdb_env("DATABASE_URL"), dbname_override, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                  "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

static int backend_pid(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT pg_backend_pid()");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    int pid = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return pid;
}

START_TEST(test_db_pooler_named_statement_fails_across_transactions)
{
    PGconn *a = connect_raw(NULL);
    PGconn *holders[3] = {NULL, NULL, NULL};
    int held = 0, found = 0;

    /* Transaction 1: prepare a named statement on whatever server connection A got. */
    exec_ok(a, "BEGIN");
    int pid_a = backend_pid(a);
    PGresult *r = PQprepare(a, "aam_negative_control", "SELECT pg_backend_pid()", 0, NULL);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "prepare: %s", PQerrorMessage(a));
    PQclear(r);
    exec_ok(a, "COMMIT");

    /* Other clients take server connections, until one holds the one with A's statement. At
     * most pool size - 1 (3 of the harness's 4), so A can still get a server connection. */
    while (held < 3 && !found) {
        holders[held] = connect_raw(NULL);
        exec_ok(holders[held], "BEGIN");
        found = backend_pid(holders[held]) == pid_a;
        held++;
    }
    ck_assert_msg(found, "no other client was given server connection %d", pid_a);

    /* Transaction 2: A uses its statement and lands on a server connection without it. */
    r = PQexecPrepared(a, "aam_negative_control", 0, NULL, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
    ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "26000");
    ck_assert_ptr_nonnull(strstr(PQresultErrorMessage(r), "aam_negative_control"));
    PQclear(r);

    /* Tidy the server connection that kept the statement, so no later test meets it. */
    exec_ok(holders[held - 1], "DEALLOCATE aam_negative_control");
    for (int i = 0; i < held; i++) {
        exec_ok(holders[i], "COMMIT");
        PQfinish(holders[i]);
    }
    PQfinish(a);
}
END_TEST

struct worker {
    struct db_pool *pool;
    int id, iterations;
    int ok, failed, prepared_errors;
    char first_error[256];
};

/* Each run: the tenant prelude, the thread's own setting read back, and a parameter echo. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char ns[16], iter[16];
    snprintf(ns, sizeof ns, "thread%d", w->id);
    for (int i = 0; i < w->iterations; i++) {
        snprintf(iter, sizeof iter, "%d", i);
        const char *params[] = {iter};
        struct db_stmt st[] = {
            {"SELECT current_setting('" DB_TENANT_SETTING "')", 0, NULL},
            {"SELECT $1::int * 2", 1, params},
        };
        struct db_result *r[2];
        struct db_error err;
        if (db_run(w->pool, ns, st, 2, r, DB_READ_ONLY, &err) != 0) {
            w->failed++;
            if (strstr(err.message, "prepared statement") != NULL)
                w->prepared_errors++;
            if (w->first_error[0] == '\0')
                snprintf(w->first_error, sizeof w->first_error, "%.250s", err.message);
            continue;
        }
        const char *seen = db_result_get(r[0], 0, 0);
        const char *twice = db_result_get(r[1], 0, 0);
        if (seen != NULL && strcmp(seen, ns) == 0 && twice != NULL && atoi(twice) == 2 * i)
            w->ok++;
        else
            w->failed++;
        db_result_free(r[0]);
        db_result_free(r[1]);
    }
    return NULL;
}

static void hammer(int pool_size, int iterations)
{
    struct db_pool *p = tdb_pool(pool_size);
    struct worker w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.pool = p, .id = i, .iterations = iterations};
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(w[i].failed == 0, "thread %d: %d failed (%d 'prepared statement'), first: %s",
                      i, w[i].failed, w[i].prepared_errors, w[i].first_error);
        ok += w[i].ok;
    }
    ck_assert_int_eq(ok, THREADS * iterations);
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_int_eq(st.in_use, 0);
    ck_assert_int_le(st.open, pool_size);
    db_pool_free(p);
}

/* The premise: more client threads than PgBouncer server connections. */
static int pgbouncer_pool_size(void)
{
    PGconn *admin = connect_raw("pgbouncer");
    PGresult *r = PQexec(admin, "SHOW CONFIG");
    int size = -1;
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    for (int i = 0; i < PQntuples(r); i++)
        if (strcmp(PQgetvalue(r, i, 0), "default_pool_size") == 0)
            size = atoi(PQgetvalue(r, i, 1));
    PQclear(r);
    PQfinish(admin);
    return size;
}

START_TEST(test_db_pooler_unnamed_statements_survive_8_threads)
{
    int server_conns = pgbouncer_pool_size();
    ck_assert_int_gt(server_conns, 0);
    ck_assert_int_lt(server_conns, THREADS);
    hammer(8, 500); /* 4,000 transactions, 8 client connections over fewer server connections */
}
END_TEST

START_TEST(test_db_pooler_unnamed_statements_pool_size_0)
{
    hammer(0, 40); /* a connection per use: 320 connects through PgBouncer */
}
END_TEST

static Suite *pooler_suite(void)
{
    Suite *s = suite_create("db_pooler");
    TCase *tc = tcase_create("transaction pooling");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_db_pooler_named_statement_fails_across_transactions);
    tcase_add_test(tc, test_db_pooler_unnamed_statements_survive_8_threads);
    tcase_add_test(tc, test_db_pooler_unnamed_statements_pool_size_0);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tdb_main(pooler_suite());
}
