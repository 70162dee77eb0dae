/* Unit tests for what the pool and the error mapping do with no database at all: SQLSTATE
 * classes to db_status (a table), a lazy pool that never connects on creation, and a database
 * that refuses connections: UNAVAILABLE, no password in the message, fail-fast for a while, no
 * connection counted as open or in use. (Real servers are in tests/integration/test_db_*.) */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "db/db_internal.h"

static const struct {
    const char *sqlstate;
    int lost;
    enum db_status want;
} classes[] = {
    {"23505", 0, DB_ERR_UNIQUE},
    {"23503", 0, DB_ERR_INVALID},
    {"23502", 0, DB_ERR_INVALID},
    {"23514", 0, DB_ERR_INVALID},
    {"22P02", 0, DB_ERR_INVALID},
    {"22001", 0, DB_ERR_INVALID},
    {"25006", 0, DB_ERR_UNAVAILABLE}, /* read-only: a standby while the primary changes */
    {"08006", 0, DB_ERR_UNAVAILABLE},
    {"08P01", 0, DB_ERR_UNAVAILABLE},
    {"57P01", 0, DB_ERR_UNAVAILABLE},
    {"57P02", 0, DB_ERR_UNAVAILABLE},
    {"57P03", 0, DB_ERR_UNAVAILABLE},
    {"57014", 0, DB_ERR_UNAVAILABLE},
    {"53300", 0, DB_ERR_UNAVAILABLE},
    {"42601", 0, DB_ERR_QUERY},
    {"42501", 0, DB_ERR_QUERY},
    {"26000", 0, DB_ERR_QUERY},
    {"40001", 0, DB_ERR_QUERY},
    {NULL, 0, DB_ERR_QUERY},
    {"", 0, DB_ERR_QUERY},
    {NULL, 1, DB_ERR_UNAVAILABLE},
    {"23505", 1, DB_ERR_UNAVAILABLE},
};

START_TEST(test_pool_error_classes)
{
    ck_assert_int_eq(db_error_classify(classes[_i].sqlstate, classes[_i].lost), classes[_i].want);
}
END_TEST

/* A loopback port with nothing listening: connections are refused at once. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

START_TEST(test_pool_new_needs_only_a_url)
{
    struct db_config cfg = {.url = NULL, .pool_size = 4};
    ck_assert_ptr_null(db_pool_new(&cfg));
    cfg.url = "";
    ck_assert_ptr_null(db_pool_new(&cfg));
    ck_assert_ptr_null(db_pool_new(NULL));
    db_pool_free(NULL);
    cfg.url = "postgresql://app:pw@db.invalid/aam"; /* never resolved: creation does not connect */
    struct db_pool *p = db_pool_new(&cfg);
    ck_assert_ptr_nonnull(p);
    struct db_pool_stats st;
    db_pool_get_stats(p, &st);
    ck_assert_int_eq(st.size, 4);
    ck_assert_int_eq(st.open, 0);
    ck_assert_uint_eq(st.created, 0);
    db_pool_free(p);
}
END_TEST

START_TEST(test_pool_refused_is_unavailable_and_fails_fast)
{
    char url[128];
    snprintf(url, sizeof url, "postgresql://app:hunter2@127.0.0.1:%d/aam", closed_port());
    struct db_config cfg = {.url = url,
                            .pool_size = _i == 0 ? 4 : 0,
                            .acquire_timeout_ms = 1000,
                            .connect_timeout_s = 2,
                            .max_lifetime_s = 60};
    struct db_pool *p = db_pool_new(&cfg);
    struct db_stmt st = {"SELECT 1", 0, NULL};
    struct db_result *r = (void *)1;
    struct db_error err;
    ck_assert_int_eq(db_run(p, "ns", &st, 1, &r, 0, &err), -1);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    ck_assert_ptr_null(strstr(err.message, "hunter2"));
    /* Right after a failed connect, the next caller is told at once, without a new attempt. */
    ck_assert_int_eq(db_run(p, "ns", &st, 1, NULL, DB_READ_ONLY, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(err.message, "not retrying"));
    double ms;
    ck_assert_int_eq(db_ping(p, &ms, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    ck_assert_ptr_null(db_tx_begin(p, NULL, &err));
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    /* After the window, it tries again (and is refused again, by the server this time). */
    usleep((DB_DEFAULT_FAIL_FAST_MS + 100) * 1000);
    ck_assert_int_eq(db_run(p, "ns", &st, 1, NULL, 0, &err), -1);
    ck_assert_ptr_null(strstr(err.message, "not retrying"));
    struct db_pool_stats s;
    db_pool_get_stats(p, &s);
    ck_assert_int_eq(s.open, 0);
    ck_assert_int_eq(s.in_use, 0);
    ck_assert_uint_eq(s.created, 0);
    db_pool_free(p);
}
END_TEST

START_TEST(test_pool_rejects_bad_arguments)
{
    struct db_config cfg = {.url = "postgresql://db.invalid/aam", .pool_size = 1};
    struct db_pool *p = db_pool_new(&cfg);
    struct db_stmt bad = {NULL, 0, NULL}, no_params = {"SELECT $1", 1, NULL};
    struct db_error err;
    ck_assert_int_eq(db_run(p, NULL, &bad, 1, NULL, 0, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    ck_assert_int_eq(db_run(p, NULL, &no_params, 1, NULL, 0, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_QUERY);
    ck_assert_int_eq(db_run(p, NULL, NULL, -1, NULL, 0, &err), -1);
    ck_assert_int_eq(db_run(NULL, NULL, &bad, 1, NULL, 0, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    struct db_pool_stats s;
    db_pool_get_stats(p, &s);
    ck_assert_uint_eq(s.created, 0); /* rejected before any connection was asked for */
    db_tx_rollback(NULL);
    db_result_free(NULL);
    ck_assert_int_eq(db_result_rows(NULL), 0);
    ck_assert_ptr_null(db_result_get(NULL, 0, 0));
    db_pool_free(p);
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("db_pool");
    TCase *tc = tcase_create("offline");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_pool_error_classes, 0, (int)(sizeof classes / sizeof classes[0]));
    tcase_add_test(tc, test_pool_new_needs_only_a_url);
    tcase_add_loop_test(tc, test_pool_refused_is_unavailable_and_fails_fast, 0, 2);
    tcase_add_test(tc, test_pool_rejects_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pool_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
