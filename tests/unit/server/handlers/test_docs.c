/* Unit tests for server/handlers/docs.c without a server: GET /openapi.json answers the
 * embedded document, whole and parseable, with no database involved. */
#include "server/handlers/docs.h"
#include "tests/unit/server/handlers/handler_test.h"

START_TEST(test_docs_openapi_served)
{
    struct ht t;
    ht_init(&t, "GET", "/openapi.json");
    ht_run(&t, docs_openapi, 200);
    ck_assert_ptr_nonnull(t.doc); /* the bytes a client gets parse as JSON */
    ck_assert_ptr_nonnull(json_object_get(t.doc, "openapi"));
    ck_assert_ptr_nonnull(
        json_object_get(json_object_get(t.doc, "paths"), "/api/v1/aam/connectors"));
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_docs");
    TCase *tc = tcase_create("docs");
    tcase_add_test(tc, test_docs_openapi_served);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
