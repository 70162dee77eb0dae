/* Unit tests for server/handlers/health.c without a server: /health never asks the database;
 * /ready answers 200 with the ping's latency, or 503 + Retry-After when the ping fails. */
#include "server/handlers/health.h"
#include "tests/unit/server/handlers/handler_test.h"

START_TEST(test_health_alive_without_database)
{
    struct ht t;
    ht_init(&t, "GET", "/health");
    ht_run(&t, health_get, 200);
    ck_assert_str_eq(ht_str(&t, "status"), "ok");
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_health_ready_ok)
{
    struct ht t;
    ht_init(&t, "GET", "/ready");
    dbs_ping_ok(1);
    ht_run(&t, health_ready, 200);
    ck_assert_str_eq(ht_str(&t, "status"), "ok");
    json_t *db = json_object_get(t.doc, "db");
    ck_assert(json_is_true(json_object_get(db, "ok")));
    ck_assert(json_is_real(json_object_get(db, "latency_ms")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(db, "pool"), "size")), 16);
    ck_assert_int_eq(t.res.retry_after, 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_health_ready_503_when_database_down)
{
    struct ht t;
    ht_init(&t, "GET", "/ready");
    dbs_ping_ok(0);
    ht_run(&t, health_ready, 503);
    ck_assert_str_eq(ht_str(&t, "status"), "unavailable");
    json_t *db = json_object_get(t.doc, "db");
    ck_assert(json_is_false(json_object_get(db, "ok")));
    ck_assert(json_is_null(json_object_get(db, "latency_ms")));
    ck_assert_str_eq(json_string_value(json_object_get(db, "error")), "database unreachable");
    ck_assert_int_eq(t.res.retry_after, 2);
    ht_done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_health");
    TCase *tc = tcase_create("health");
    tcase_add_test(tc, test_health_alive_without_database);
    tcase_add_test(tc, test_health_ready_ok);
    tcase_add_test(tc, test_health_ready_503_when_database_down);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
