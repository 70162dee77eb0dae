/* Unit tests for db/hosts.c, no database: a connection string's host list split as libpq
 * splits it (one port for all or one each; hostaddr; the key=value form; no host at all), the
 * keywords each attempt gets (never target_session_attrs: the pool checks writes itself), the
 * order of attempts (the host that last took writes first) and the per-host backoff. And the
 * SQLSTATEs that make the pool drop a connection and retry work that wrote nothing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

/* The value of key in a NULL-terminated keys/vals pair, or NULL. */
static const char *param(const char **keys, const char **vals, const char *key)
{
    for (int i = 0; keys[i] != NULL; i++)
        if (strcmp(keys[i], key) == 0)
            return vals[i];
    return NULL;
}

static const struct {
    const char *url;
    int n;
    const char *host1, *port1, *host2, *port2; /* host 0 and the last host */
} splits[] = {
    {"postgresql://u:p@h1:5432,h2:6432/aam?target_session_attrs=read-write", 2, "h1", "5432", "h2",
     "6432"},
    {"postgresql://u@h1,h2,h3:7000/aam", 3, "h1", NULL, "h3", "7000"}, /* a port per host */
    {"host=a,b port=1,2 dbname=aam user=u", 2, "a", "1", "b", "2"},
    {"host=a,b,c port=7000 dbname=aam", 3, "a", "7000", "c", "7000"}, /* one port for all */
    {"postgresql://u@db.example:5432/aam", 1, "db.example", "5432", "db.example", "5432"},
    {"postgresql:///aam", 1, NULL, NULL, NULL, NULL}, /* libpq's defaults (socket, 5432) */
};

START_TEST(test_hosts_split_like_libpq)
{
    struct db_hosts *hs = db_hosts_new(splits[_i].url, 0);
    const char *keys[DB_HOSTS_PARAMS_MAX], *vals[DB_HOSTS_PARAMS_MAX];
    ck_assert_int_eq(db_hosts_count(hs), splits[_i].n);
    int last = splits[_i].n - 1;
    ck_assert_int_eq(db_hosts_params(hs, 0, "3", keys, vals, DB_HOSTS_PARAMS_MAX), 0);
    ck_assert_pstr_eq(param(keys, vals, "host"), splits[_i].host1);
    ck_assert_pstr_eq(param(keys, vals, "port"), splits[_i].port1);
    ck_assert_str_eq(param(keys, vals, "dbname"), "aam");
    ck_assert_str_eq(param(keys, vals, "connect_timeout"), "3");
    ck_assert_str_eq(param(keys, vals, "fallback_application_name"), "aam");
    ck_assert_ptr_null(param(keys, vals, "target_session_attrs"));
    ck_assert_int_eq(db_hosts_params(hs, last, "3", keys, vals, DB_HOSTS_PARAMS_MAX), 0);
    ck_assert_pstr_eq(param(keys, vals, "host"), splits[_i].host2);
    ck_assert_pstr_eq(param(keys, vals, "port"), splits[_i].port2);
    db_hosts_free(hs);
}
END_TEST

START_TEST(test_hosts_keep_the_other_keywords_and_no_password_in_labels)
{
    struct db_hosts *hs = db_hosts_new(
        "postgresql://app:s3cret@10.0.0.1:5432,10.0.0.2:5432/aam?sslmode=require&hostaddr="
        "10.0.0.1,10.0.0.2",
        0);
    const char *keys[DB_HOSTS_PARAMS_MAX], *vals[DB_HOSTS_PARAMS_MAX];
    ck_assert_int_eq(db_hosts_count(hs), 2);
    ck_assert_int_eq(db_hosts_params(hs, 1, "5", keys, vals, DB_HOSTS_PARAMS_MAX), 0);
    ck_assert_str_eq(param(keys, vals, "hostaddr"), "10.0.0.2");
    ck_assert_str_eq(param(keys, vals, "user"), "app");
    ck_assert_str_eq(param(keys, vals, "password"), "s3cret");
    ck_assert_str_eq(param(keys, vals, "sslmode"), "require");
    ck_assert_str_eq(db_hosts_label(hs, 1), "10.0.0.2:5432");
    ck_assert_ptr_null(strstr(db_hosts_label(hs, 0), "s3cret"));
    db_hosts_free(hs);
    db_hosts_free(NULL);
}
END_TEST

/* A string libpq cannot use is handed to it whole, once: libpq's own message says why. */
START_TEST(test_hosts_unusable_string_is_one_attempt_of_the_whole)
{
    static const char *const bad[] = {"host=a,b,c port=1,2 dbname=aam", /* 3 hosts, 2 ports */
                                      "host='unterminated"};
    struct db_hosts *hs = db_hosts_new(bad[_i], 0);
    const char *keys[DB_HOSTS_PARAMS_MAX], *vals[DB_HOSTS_PARAMS_MAX];
    ck_assert_int_eq(db_hosts_count(hs), 1);
    ck_assert_int_eq(db_hosts_params(hs, 0, "5", keys, vals, DB_HOSTS_PARAMS_MAX), 1);
    ck_assert_str_eq(keys[0], "dbname");
    ck_assert_str_eq(vals[0], bad[_i]);
    db_hosts_free(hs);
}
END_TEST

START_TEST(test_hosts_backoff_doubles_to_a_second)
{
    ck_assert_int_eq(db_hosts_backoff_ms(250, 1), 250);
    ck_assert_int_eq(db_hosts_backoff_ms(250, 2), 500);
    ck_assert_int_eq(db_hosts_backoff_ms(250, 3), 1000);
    ck_assert_int_eq(db_hosts_backoff_ms(250, 4), 1000);
    ck_assert_int_eq(db_hosts_backoff_ms(250, 1000000), 1000);
    ck_assert_int_eq(db_hosts_backoff_ms(3000, 5), 3000); /* a longer window is kept as is */
    ck_assert_int_eq(db_hosts_backoff_ms(1, 1), 1);
}
END_TEST

/* The switchover seen from the pool: h1 took writes, then fails (read-only or down). The round
 * goes on to h2; once h2 took writes it is tried first; h1 is left alone for its window. */
START_TEST(test_hosts_order_follows_the_host_that_takes_writes)
{
    struct db_hosts *hs = db_hosts_new("postgresql://u@h1,h2,h3/aam", 100);
    unsigned char tried[DB_HOSTS_MAX] = {0};
    long long now = 1000000;
    ck_assert_int_eq(db_hosts_pick(hs, now, tried), 0);
    ck_assert(db_hosts_ready_at(hs) <= now);
    tried[0] = 1;
    db_hosts_failed(hs, 0, now);
    ck_assert_int_eq(db_hosts_pick(hs, now, tried), 1);
    tried[1] = 1;
    db_hosts_succeeded(hs, 1);
    /* a new round: h2 first; h1 still in its window (100 ms), so after h2 comes h3 */
    memset(tried, 0, sizeof tried);
    ck_assert_int_eq(db_hosts_pick(hs, now + 50, tried), 1);
    tried[1] = 1;
    ck_assert_int_eq(db_hosts_pick(hs, now + 50, tried), 2);
    tried[2] = 1;
    ck_assert_int_eq(db_hosts_pick(hs, now + 50, tried), -1);
    memset(tried, 0, sizeof tried);
    tried[1] = tried[2] = 1;
    ck_assert_int_eq(db_hosts_pick(hs, now + 100, tried), 0); /* its window is over */
    db_hosts_free(hs);
}
END_TEST

/* Every host failing: nobody may try before the earliest window ends; windows grow per host. */
START_TEST(test_hosts_all_down_fail_fast_until_the_first_window_ends)
{
    struct db_hosts *hs = db_hosts_new("postgresql://u@h1:1,h2:2/aam", 200);
    unsigned char tried[DB_HOSTS_MAX] = {0};
    long long now = 5000;
    db_hosts_failed(hs, 0, now);
    db_hosts_failed(hs, 1, now);
    ck_assert_int_eq(db_hosts_ready_at(hs), now + 200);
    ck_assert_int_eq(db_hosts_pick(hs, now + 199, tried), -1);
    ck_assert_int_eq(db_hosts_pick(hs, now + 200, tried), 0);
    db_hosts_failed(hs, 0, now + 200); /* h1 fails again: 400 ms now */
    db_hosts_failed(hs, 0, now + 201); /* a concurrent attempt: no longer window for that */
    ck_assert_int_eq(db_hosts_backoff_ms(200, 2), 400);
    ck_assert_int_eq(db_hosts_ready_at(hs), now + 200); /* h2 may be tried */
    db_hosts_failed(hs, 1, now + 200);
    ck_assert_int_eq(db_hosts_ready_at(hs), now + 600); /* both 400 ms from now + 200 */
    db_hosts_succeeded(hs, 1);
    ck_assert(db_hosts_ready_at(hs) <= now);
    db_hosts_free(hs);
}
END_TEST

/* The answers that say "this server cannot take writes now", and only those: the pool drops
 * the connection and retries work that got one (its transaction rolled back). */
static const struct {
    const char *sqlstate;
    int unfit;
} unfit[] = {
    {"25006", 1}, /* read_only_sql_transaction: a standby, or a primary being demoted */
    {"57P01", 1}, /* admin_shutdown */
    {"57P02", 1}, /* crash_shutdown */
    {"57P03", 1}, /* cannot_connect_now: starting up, or in recovery */
    {"08006", 1}, {"08P01", 1}, {"57014", 0}, /* statement_timeout: the query, not the node */
    {"57P04", 0}, {"53300", 0}, {"25001", 0}, {"23505", 0}, {"40001", 0}, {"", 0}, {NULL, 0},
};

START_TEST(test_hosts_unfit_sqlstates)
{
    ck_assert_int_eq(db_error_node_unfit(unfit[_i].sqlstate), unfit[_i].unfit);
    if (unfit[_i].unfit) /* and never a 500 */
        ck_assert_int_eq(db_error_classify(unfit[_i].sqlstate, 0), DB_ERR_UNAVAILABLE);
}
END_TEST

static Suite *hosts_suite(void)
{
    Suite *s = suite_create("db_hosts");
    TCase *tc = tcase_create("hosts");
    tcase_add_loop_test(tc, test_hosts_split_like_libpq, 0, (int)(sizeof splits / sizeof splits[0]));
    tcase_add_test(tc, test_hosts_keep_the_other_keywords_and_no_password_in_labels);
    tcase_add_loop_test(tc, test_hosts_unusable_string_is_one_attempt_of_the_whole, 0, 2);
    tcase_add_test(tc, test_hosts_backoff_doubles_to_a_second);
    tcase_add_test(tc, test_hosts_order_follows_the_host_that_takes_writes);
    tcase_add_test(tc, test_hosts_all_down_fail_fast_until_the_first_window_ends);
    tcase_add_loop_test(tc, test_hosts_unfit_sqlstates, 0, (int)(sizeof unfit / sizeof unfit[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hosts_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
