/* Unit tests for the migration file helpers in db/migrate.c: which names count, the order
 * they run in, duplicate versions, and the checksum (known SHA-256 vectors). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db_internal.h"

static const struct {
    const char *name;
    int ok;
    long version;
} names[] = {
    {"0001_init.sql", 1, 1},
    {"0042_add-index.v2.sql", 1, 42},
    {"123456789_big.sql", 1, 123456789},
    {"001_short.sql", 0, 0},
    {"1234567890_too_long.sql", 0, 0},
    {"0001init.sql", 0, 0},
    {"0001_.sql", 0, 0},
    {"0001_init.SQL", 0, 0},
    {"0001_init.sql~", 0, 0},
    {"0001_init.sql.bak", 0, 0},
    {"0001_has space.sql", 0, 0},
    {"README.md", 0, 0},
    {".0001_hidden.sql", 0, 0},
    {"0001_init", 0, 0},
};

START_TEST(test_migrate_name_table)
{
    long v = -1;
    int rc = db_migration_parse_name(names[_i].name, &v);
    ck_assert_msg((rc == 0) == names[_i].ok, "%s: rc %d", names[_i].name, rc);
    if (names[_i].ok)
        ck_assert_int_eq(v, names[_i].version);
}
END_TEST

static char dir[64];

static void touch(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("SELECT 1;\n", f);
    fclose(f);
}

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/aam-unit-migrate.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_migrate_list_sorted_and_filtered)
{
    struct db_migration *list = NULL;
    size_t n = 0;
    struct db_error err;
    make_dir();
    touch("0010_ten.sql");
    touch("0002_two.sql");
    touch("0001_one.sql");
    touch("notes.txt");
    touch("0003_three.sql.orig");
    char sub[128];
    snprintf(sub, sizeof sub, "%s/0004_a_directory.sql", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(db_migration_list(dir, &list, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[0].file, "0001_one.sql");
    ck_assert_str_eq(list[1].file, "0002_two.sql");
    ck_assert_str_eq(list[2].file, "0010_ten.sql");
    ck_assert_int_eq(list[2].version, 10);
    ck_assert_ptr_nonnull(strstr(list[0].path, dir));
    db_migration_list_free(list, n);
    remove_dir();
}
END_TEST

START_TEST(test_migrate_list_refuses_duplicate_versions)
{
    struct db_migration *list = NULL;
    size_t n = 0;
    struct db_error err;
    make_dir();
    touch("0001_one.sql");
    touch("0001_uno.sql");
    ck_assert_int_eq(db_migration_list(dir, &list, &n, &err), -1);
    ck_assert_ptr_null(list);
    ck_assert_ptr_nonnull(strstr(err.message, "0001_one.sql"));
    ck_assert_ptr_nonnull(strstr(err.message, "0001_uno.sql"));
    remove_dir();
}
END_TEST

START_TEST(test_migrate_list_missing_dir)
{
    struct db_migration *list = NULL;
    size_t n = 0;
    struct db_error err;
    ck_assert_int_eq(db_migration_list("/nonexistent/aam/migrations", &list, &n, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/aam/migrations"));
}
END_TEST

START_TEST(test_migrate_checksum_vectors)
{
    char hex[65];
    db_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    db_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* One changed byte (an edit to an applied file) changes it. */
    char other[65];
    db_sha256_hex("SELECT 1;\n", 10, hex);
    db_sha256_hex("SELECT 1; \n", 11, other);
    ck_assert_str_ne(hex, other);
}
END_TEST

static Suite *migrate_suite(void)
{
    Suite *s = suite_create("db_migrate_files");
    TCase *tc = tcase_create("files");
    tcase_add_loop_test(tc, test_migrate_name_table, 0, (int)(sizeof names / sizeof names[0]));
    tcase_add_test(tc, test_migrate_list_sorted_and_filtered);
    tcase_add_test(tc, test_migrate_list_refuses_duplicate_versions);
    tcase_add_test(tc, test_migrate_list_missing_dir);
    tcase_add_test(tc, test_migrate_checksum_vectors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(migrate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
