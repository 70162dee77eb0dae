/* db_migrate through PgBouncer in transaction mode, on this test's own empty database, in
 * order: four concurrent runs on the empty database (each migration applied exactly once), a
 * second run applying nothing, an edited applied migration refused by name, a new migration
 * applied, and a failing one rolled back whole (no row, no partial effect). As the owner role
 * (AAM_MIGRATE_DATABASE_URL), which `aam migrate` uses. */
#include <pthread.h>
#include <sys/stat.h>

#include "tests/integration/test_db_common.h"

#define RUNNERS 4

static char repo_migrations[1024];
static char work_dir[64];

static int count_repo_migrations(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls %s | grep -cE '^[0-9]{4,9}_[A-Za-z0-9_.-]+\\.sql$'",
             repo_migrations);
    FILE *f = popen(cmd, "r");
    int n = -1;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%d", &n), 1);
    pclose(f);
    return n;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void copy_repo_migrations(void)
{
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "cp %s/*.sql %s/", repo_migrations, work_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void setup(void)
{
    snprintf(repo_migrations, sizeof repo_migrations, "%s/migrations", tdb_env("REPO_ROOT"));
    snprintf(work_dir, sizeof work_dir, "/tmp/aam-migrate-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(work_dir));
}

static void teardown(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", work_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", work_dir);
}

struct runner {
    int rc, applied;
    struct db_error err;
};

/* Each runner has its own pool, as separate `aam migrate` processes would. */
static void *runner_main(void *arg)
{
    struct runner *r = arg;
    struct db_pool *p = tdb_owner_pool(1);
    r->rc = db_migrate(p, repo_migrations, &r->applied, &r->err);
    db_pool_free(p);
    return NULL;
}

START_TEST(test_db_migrate_concurrent_runs_on_empty_database)
{
    struct runner r[RUNNERS];
    pthread_t t[RUNNERS];
    int total = 0, files = count_repo_migrations();
    ck_assert_int_gt(files, 0);
    for (int i = 0; i < RUNNERS; i++) {
        memset(&r[i], 0, sizeof r[i]);
        ck_assert_int_eq(pthread_create(&t[i], NULL, runner_main, &r[i]), 0);
    }
    for (int i = 0; i < RUNNERS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(r[i].rc == 0, "runner %d: %s", i, r[i].err.message);
        total += r[i].applied;
    }
    ck_assert_int_eq(total, files); /* each applied once, by exactly one runner */
    struct db_pool *p = tdb_owner_pool(1);
    ck_assert_int_eq(tdb_count(p, NULL, "SELECT count(*) FROM schema_migrations"), files);
    ck_assert_int_eq(tdb_count(p, NULL, "SELECT count(DISTINCT version) FROM schema_migrations"),
                     files);
    ck_assert_int_eq(
        tdb_count(p, NULL,
                  "SELECT count(*) FROM schema_migrations WHERE checksum ~ '^[0-9a-f]{64}$'"),
        files);
    /* The schema is there: the first migration's table answers. */
    ck_assert_int_eq(tdb_count(p, "t", "SELECT count(*) FROM connections"), 0);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_migrate_second_run_is_a_no_op)
{
    struct db_pool *p = tdb_owner_pool(1);
    struct db_error err;
    int applied = -1;
    ck_assert_msg(db_migrate(p, repo_migrations, &applied, &err) == 0, "%s", err.message);
    ck_assert_int_eq(applied, 0);
    ck_assert_int_eq(tdb_count(p, NULL, "SELECT count(*) FROM schema_migrations"),
                     count_repo_migrations());
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_migrate_refuses_an_edited_migration)
{
    struct db_pool *p = tdb_owner_pool(1);
    struct db_error err;
    int applied = -1;
    copy_repo_migrations();
    write_file(work_dir, "0001_init.sql", "-- edited after it was applied\nSELECT 1;\n");
    write_file(work_dir, "0900_never.sql", "CREATE TABLE must_not_exist (x int);\n");
    ck_assert_int_eq(db_migrate(p, work_dir, &applied, &err), -1);
    ck_assert_int_eq(applied, 0);
    ck_assert_msg(strstr(err.message, "0001_init.sql") != NULL, "the error names the file: %s",
                  err.message);
    ck_assert_msg(strstr(err.message, "changed") != NULL, "%s", err.message);
    /* Stopped before anything later ran. */
    ck_assert_int_eq(tdb_count(p, NULL,
                               "SELECT count(*) FROM pg_class WHERE relname = 'must_not_exist'"),
                     0);
    db_pool_free(p);
}
END_TEST

START_TEST(test_db_migrate_applies_new_and_rolls_back_a_failing_one)
{
    struct db_pool *p = tdb_owner_pool(1);
    struct db_error err;
    int applied = -1, files = count_repo_migrations();
    copy_repo_migrations();
    write_file(work_dir, "README.md", "not a migration\n");
    write_file(work_dir, "12_short.sql", "SELECT broken syntax here;\n"); /* ignored: not NNNN_ */
    write_file(work_dir, "0901_add_notes.sql",
               "CREATE TABLE notes (id int PRIMARY KEY);\nINSERT INTO notes VALUES (1), (2);\n");
    write_file(work_dir, "0902_half_done.sql",
               "CREATE TABLE half_done (x int);\nSELECT no_such_function();\n");
    ck_assert_int_eq(db_migrate(p, work_dir, &applied, &err), -1);
    ck_assert_int_eq(applied, 1);
    ck_assert_msg(strstr(err.message, "0902_half_done.sql") != NULL, "%s", err.message);
    ck_assert_int_eq(tdb_count(p, NULL, "SELECT count(*) FROM notes"), 2);
    ck_assert_int_eq(tdb_count(p, NULL, "SELECT count(*) FROM schema_migrations"), files + 1);
    ck_assert_int_eq(tdb_count(p, NULL, "SELECT count(*) FROM pg_class WHERE relname = 'half_done'"),
                     0);
    /* Fixed, it applies; then the directory is current. */
    write_file(work_dir, "0902_half_done.sql", "CREATE TABLE half_done (x int);\n");
    ck_assert_msg(db_migrate(p, work_dir, &applied, &err) == 0, "%s", err.message);
    ck_assert_int_eq(applied, 1);
    ck_assert_int_eq(db_migrate(p, work_dir, &applied, &err), 0);
    ck_assert_int_eq(applied, 0);
    db_pool_free(p);
}
END_TEST

static Suite *migrate_suite(void)
{
    Suite *s = suite_create("db_migrate");
    TCase *tc = tcase_create("in order on one database");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_db_migrate_concurrent_runs_on_empty_database);
    tcase_add_test(tc, test_db_migrate_second_run_is_a_no_op);
    tcase_add_test(tc, test_db_migrate_refuses_an_edited_migration);
    tcase_add_test(tc, test_db_migrate_applies_new_and_rolls_back_a_failing_one);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tdb_main(migrate_suite());
}
