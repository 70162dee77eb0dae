/* Unit tests for server/handlers/types.c without a server: the list and one type as a client
 * receives them (the registry's own JSON, no database call), and 404 problem+json for a type
 * that does not exist, whatever its spelling. */
#include "server/core/types.h"
#include "server/handlers/types.h"
#include "tests/unit/server/handlers/handler_test.h"

START_TEST(test_types_list_every_type)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/aam/connector-types");
    ht_as(&t, "demo");
    ht_run(&t, types_list, 200);
    json_t *arr = json_object_get(t.doc, "types");
    ck_assert_uint_eq(json_array_size(arr), types_count());
    static const char *const want[] = {"filesource", "postgres", "s3", "rest_api"};
    for (size_t i = 0; i < 4; i++) {
        json_t *one = json_array_get(arr, i);
        ck_assert_str_eq(json_string_value(json_object_get(one, "type")), want[i]);
        ck_assert(json_is_string(json_object_get(one, "title")));
        ck_assert(json_is_string(json_object_get(one, "description")));
        ck_assert(json_is_object(json_object_get(json_object_get(one, "spec"), "properties")));
    }
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_types_get_one)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/aam/connector-types/postgres");
    ht_as(&t, "demo");
    ht_param(&t, "postgres");
    ht_run(&t, types_get, 200);
    ck_assert_str_eq(ht_str(&t, "type"), "postgres");
    ck_assert_str_eq(ht_str(&t, "title"), "PostgreSQL");
    json_t *props = json_object_get(json_object_get(t.doc, "spec"), "properties");
    ck_assert(json_is_true(json_object_get(json_object_get(props, "password"), "writeOnly")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(props, "port"), "default")),
                     5432);
    json_t *want = types_json(types_find("postgres"));
    ck_assert(json_equal(t.doc, want));
    json_decref(want);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_types_get_unknown_is_404)
{
    static const char *const names[] = {"mysql", "Postgres",     "postgres ",
                                        "",      "filesource.x", "\xc3\xa9t\xc3\xa9"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct ht t;
        ht_init(&t, "GET", "/api/v1/aam/connector-types/x");
        ht_as(&t, "demo");
        ht_param(&t, names[i]);
        ht_run(&t, types_get, 404);
        ck_assert_str_eq(ht_str(&t, "detail"), "no such connector type");
        ck_assert_int_eq(json_integer_value(json_object_get(t.doc, "status")), 404);
        ck_assert_ptr_null(json_object_get(t.doc, "spec"));
        ht_done(&t);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_types");
    TCase *tc = tcase_create("types");
    tcase_add_test(tc, test_types_list_every_type);
    tcase_add_test(tc, test_types_get_one);
    tcase_add_test(tc, test_types_get_unknown_is_404);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
