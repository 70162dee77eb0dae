/* Unit tests for server/core/csvcache.c: a file version is found again only while its identity
 * (size, mtime, inode...) is unchanged; the nearest mark at or below a row is returned; the
 * byte budget evicts the least recently used entries first and never keeps an entry larger
 * than the whole budget. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/core/csvcache.h"
#include "util/xalloc.h"

static struct stat version(long long ino, long long size)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_ino = (ino_t)ino;
    st.st_size = (off_t)size;
    st.st_mtime = 1000;
    return st;
}

static struct csvcache_mark *marks_every(long long rows_apart, size_t n)
{
    struct csvcache_mark *m = xcalloc(n, sizeof *m);
    for (size_t i = 0; i < n; i++)
        m[i] = (struct csvcache_mark){.offset = (long long)(i + 1) * 32768,
                                      .row = (long long)(i + 1) * rows_apart};
    return m;
}

static void setup(void)
{
    csvcache_set_budget(CSVCACHE_DEFAULT_BUDGET);
    csvcache_clear();
}

START_TEST(test_csvcache_hit_only_for_the_same_version)
{
    struct stat st = version(7, 100);
    long long rows = -1;
    ck_assert_int_eq(csvcache_lookup("/d/a.csv", &st, 0, &rows, NULL), 0);
    csvcache_store("/d/a.csv", &st, 42, NULL, 0);
    ck_assert_int_eq(csvcache_lookup("/d/a.csv", &st, 0, &rows, NULL), 1);
    ck_assert_int_eq(rows, 42);
    struct stat grown = version(7, 101); /* appended to: counted again */
    ck_assert_int_eq(csvcache_lookup("/d/a.csv", &grown, 0, &rows, NULL), 0);
    struct stat replaced = version(8, 100); /* renamed over: another inode */
    ck_assert_int_eq(csvcache_lookup("/d/a.csv", &replaced, 0, &rows, NULL), 0);
    ck_assert_int_eq(csvcache_lookup("/d/b.csv", &st, 0, &rows, NULL), 0);
}
END_TEST

START_TEST(test_csvcache_nearest_mark_at_or_below)
{
    struct stat st = version(1, 1 << 20);
    csvcache_store("/d/big.csv", &st, 10000, marks_every(100, 50), 50);
    struct csvcache_mark m;
    long long rows;
    ck_assert_int_eq(csvcache_lookup("/d/big.csv", &st, 50, &rows, &m), 1);
    ck_assert_int_eq(m.row, -1); /* before the first mark: from the start */
    ck_assert_int_eq(m.offset, 0);
    ck_assert_int_eq(csvcache_lookup("/d/big.csv", &st, 250, &rows, &m), 1);
    ck_assert_int_eq(m.row, 200);
    ck_assert_int_eq(m.offset, 2 * 32768);
    ck_assert_int_eq(csvcache_lookup("/d/big.csv", &st, 300, &rows, &m), 1);
    ck_assert_int_eq(m.row, 300);
    ck_assert_int_eq(csvcache_lookup("/d/big.csv", &st, 9999, &rows, &m), 1);
    ck_assert_int_eq(m.row, 5000); /* the last mark */
}
END_TEST

START_TEST(test_csvcache_budget_evicts_least_recently_used)
{
    csvcache_set_budget(64 * 1024);
    char key[32];
    struct stat st = version(1, 10);
    long long rows;
    csvcache_store("/d/first.csv", &st, 1, NULL, 0);
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "/d/f%04d.csv", i);
        csvcache_store(key, &st, i, NULL, 0);
        /* touching the first entry keeps it the most recently used */
        ck_assert_int_eq(csvcache_lookup("/d/first.csv", &st, 0, &rows, NULL), 1);
        ck_assert_uint_le(csvcache_bytes(), 64 * 1024);
    }
    ck_assert_int_eq(csvcache_lookup("/d/f0000.csv", &st, 0, &rows, NULL), 0); /* evicted */
    ck_assert_int_eq(csvcache_lookup("/d/f1999.csv", &st, 0, &rows, NULL), 1);
    ck_assert_uint_lt(csvcache_entries(), 2001);
}
END_TEST

START_TEST(test_csvcache_never_keeps_an_entry_over_the_budget)
{
    csvcache_set_budget(64 * 1024);
    struct stat st = version(2, 1LL << 40);
    size_t n = 64 * 1024 / sizeof(struct csvcache_mark) + 1;
    csvcache_store("/d/huge.csv", &st, 1, marks_every(10, n), n); /* ownership taken */
    long long rows;
    ck_assert_int_eq(csvcache_lookup("/d/huge.csv", &st, 0, &rows, NULL), 0);
    ck_assert_uint_le(csvcache_bytes(), 64 * 1024);
}
END_TEST

static Suite *csvcache_suite(void)
{
    Suite *s = suite_create("csvcache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_csvcache_hit_only_for_the_same_version);
    tcase_add_test(tc, test_csvcache_nearest_mark_at_or_below);
    tcase_add_test(tc, test_csvcache_budget_evicts_least_recently_used);
    tcase_add_test(tc, test_csvcache_never_keeps_an_entry_over_the_budget);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(csvcache_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
