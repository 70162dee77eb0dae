/* Shared helpers for the db/ integration tests (Check programs run by tests/run.sh with
 * DATABASE_URL = a fresh empty database behind PgBouncer in transaction mode, as the app role;
 * AAM_MIGRATE_DATABASE_URL = the same database as the role that owns it).
 * Header-only: each test binary is a single translation unit. */
#ifndef AAM_TEST_DB_COMMON_H
#define AAM_TEST_DB_COMMON_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"

static inline const char *tdb_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "%s is not set: run this through tests/run.sh\n", name);
        exit(2);
    }
    return v;
}

static inline struct db_pool *tdb_pool_url(const char *url, int size, int statement_timeout_ms)
{
    struct db_config cfg = {
        .url = url,
        .pool_size = size,
        .acquire_timeout_ms = 5000,
        .statement_timeout_ms = statement_timeout_ms,
        .connect_timeout_s = 2,
        .max_lifetime_s = 600,
    };
    struct db_pool *p = db_pool_new(&cfg);
    ck_assert_ptr_nonnull(p);
    return p;
}

static inline struct db_pool *tdb_pool(int size)
{
    return tdb_pool_url(tdb_env("DATABASE_URL"), size, 5000);
}

/* The role that owns the database and its schema (AAM_MIGRATE_DATABASE_URL): migrations run as it. */
static inline struct db_pool *tdb_owner_pool(int size)
{
    return tdb_pool_url(tdb_env("AAM_MIGRATE_DATABASE_URL"), size, 5000);
}

/* Runs one statement; returns db_run's result, *out gets the rows (may be NULL). */
static inline int tdb_run1(struct db_pool *p, const char *ns, const char *sql, int nparams,
                           const char *const *params, struct db_result **out, struct db_error *err)
{
    struct db_stmt st = {sql, nparams, params};
    return db_run(p, ns, &st, 1, out, 0, err);
}

/* The single text value of a one-row, one-column query, copied; NULL on failure or SQL NULL. */
static inline char *tdb_scalar(struct db_pool *p, const char *ns, const char *sql)
{
    struct db_result *r = NULL;
    struct db_error err;
    char *v = NULL;
    if (tdb_run1(p, ns, sql, 0, NULL, &r, &err) != 0) {
        fprintf(stderr, "# %s: %s (%s)\n", sql, err.message, err.sqlstate);
        return NULL;
    }
    if (db_result_rows(r) == 1 && db_result_get(r, 0, 0) != NULL)
        v = strdup(db_result_get(r, 0, 0));
    db_result_free(r);
    return v;
}

static inline long tdb_count(struct db_pool *p, const char *ns, const char *sql)
{
    char *v = tdb_scalar(p, ns, sql);
    long n = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return n;
}

/* Applies the repository's migrations as the owner and grants the app role its DML, as
 * `aam migrate` does. */
static inline void tdb_migrate(void)
{
    char dir[1024];
    struct db_error err;
    int applied = 0;
    snprintf(dir, sizeof dir, "%s/migrations", tdb_env("REPO_ROOT"));
    struct db_pool *p = tdb_owner_pool(1);
    ck_assert_msg(db_migrate(p, dir, &applied, &err) == 0, "migrate: %s", err.message);
    ck_assert_msg(db_migrate_grant_app(p, tdb_env("STACK_APP_USER"), &err) == 1, "grant: %s",
                  err.message);
    db_pool_free(p);
}

/* The harness's server controls: pg-restart | pg-stop | pg-start | pgb-kill | pgb-start. */
static inline void tdb_ctl(const char *what)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s/tests/harness/ctl.sh %s", tdb_env("REPO_ROOT"), what);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

static inline void tdb_sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

static inline int tdb_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#endif
