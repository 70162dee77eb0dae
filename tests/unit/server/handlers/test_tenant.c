/* Unit tests for server/handlers/tenant.c without a server or a database (scripted seam): the
 * 403 problem+json for a namespace without a tenant, the database's errors mapped as every
 * route maps them (503 with Retry-After, 500), and a tenant that exists leaving the caller's
 * response untouched. */
#include "server/handlers/tenant.h"
#include "tests/unit/server/handlers/handler_test.h"

static const char *const one_row[] = {"1"};
static const struct dbs_table tenant_found = {1, 1, one_row, 0};
static const struct dbs_table tenant_absent = {0, 1, NULL, 0};

/* A handler that asks tenant.c the way the routes do: after finding nothing, answer 403 when
 * the namespace has no tenant, else its own 404. */
static void find_nothing(const struct http_req *req, struct http_res *res)
{
    if (tenant_answer_if_missing(req, res, req->who->ns))
        return;
    http_res_error(res, APP_ERR_NOT_FOUND, "no such thing");
}

START_TEST(test_tenant_missing_is_403)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/connectors/c1");
    ht_as(&t, "ghost");
    dbs_reply_ok(&tenant_absent, 1);
    ht_run(&t, find_nothing, 403);
    ck_assert_str_eq(ht_str(&t, "title"), "Forbidden");
    const char *detail = ht_str(&t, "detail");
    ck_assert_ptr_nonnull(detail);
    ck_assert_ptr_nonnull(strstr(detail, "the tenant \"ghost\" does not exist"));
    ck_assert_ptr_nonnull(strstr(detail, "aam tenants create"));
    /* one read, scoped to the token's namespace, about that namespace */
    ck_assert_uint_eq(dbs_calls(), 1);
    ck_assert_str_eq(dbs_call_ns(0), "ghost");
    ck_assert_str_eq(dbs_call_param(0, 0, 0), "ghost");
    ck_assert_ptr_nonnull(strstr(dbs_call_sql(0, 0), "tenants"));
    ht_done(&t);
}
END_TEST

START_TEST(test_tenant_exists_leaves_response_alone)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/connectors/c1");
    ht_as(&t, "acme");
    dbs_reply_ok(&tenant_found, 1);
    ck_assert_int_eq(tenant_answer_if_missing(&t.req, &t.res, "acme"), 0);
    ck_assert_int_eq(t.res.err, APP_OK);
    ck_assert_int_eq(t.res.status, 200); /* as HTTP_RES_INIT left it */
    ck_assert_ptr_null(t.res.body);
    ck_assert_str_eq(t.res.detail, "");
    /* through a handler: the caller's own answer goes out */
    dbs_reset();
    dbs_reply_ok(&tenant_found, 1);
    ht_run(&t, find_nothing, 404);
    ck_assert_str_eq(ht_str(&t, "detail"), "no such thing");
    ck_assert_uint_eq(dbs_calls(), 1);
    ht_done(&t);
}
END_TEST

/* The database cannot say: never a 403 (the tenant may well exist), never a silent 404. */
START_TEST(test_tenant_db_errors)
{
    static const struct {
        enum db_status status;
        int http;
        int retry_after;
    } cases[] = {
        {DB_ERR_UNAVAILABLE, 503, 2},
        {DB_ERR_QUERY, 500, 0},
    };
    struct ht t;
    ht_init(&t, "GET", "/api/v1/connectors");
    ht_as(&t, "acme");
    dbs_reply_error(cases[_i].status, "");
    ht_run(&t, find_nothing, cases[_i].http);
    ck_assert_int_eq(t.res.retry_after, cases[_i].retry_after);
    /* the database's own words stay in the log */
    ck_assert_ptr_null(strstr(t.body, "scripted"));
    ck_assert_uint_eq(dbs_calls(), 1);
    ck_assert_uint_eq(dbs_unscripted(), 0);
    ht_done(&t);
}
END_TEST

/* tenant_res_missing alone: the same 403, with the namespace in its detail. */
START_TEST(test_tenant_res_missing)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/connectors");
    tenant_res_missing(&t.res, "demo-2");
    ht_render(&t);
    ck_assert_int_eq(t.status, 403);
    ck_assert_ptr_nonnull(strstr(ht_str(&t, "detail"), "\"demo-2\""));
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_tenant");
    TCase *tc = tcase_create("tenant");
    tcase_add_test(tc, test_tenant_missing_is_403);
    tcase_add_test(tc, test_tenant_exists_leaves_response_alone);
    tcase_add_loop_test(tc, test_tenant_db_errors, 0, 2);
    tcase_add_test(tc, test_tenant_res_missing);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
