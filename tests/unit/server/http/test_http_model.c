/* Unit tests for the socket-free half of server/http.c: problem+json rendering, the
 * app_err -> status mapping, 422 field errors, database-error mapping and JSON bodies. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "server/http/http_model.h"

static json_t *render(struct http_res *res, int *status)
{
    struct http_req req = {.method = "GET", .path = "/x"};
    size_t len = 0;
    char *text = http_render(res, &req, status, &len);
    ck_assert_ptr_nonnull(text);
    json_t *doc = json_loadb(text, len, 0, NULL);
    free(text);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

START_TEST(test_http_problem_shape)
{
    struct http_res res = HTTP_RES_INIT;
    int status = 0;
    http_res_error(&res, APP_ERR_NOT_FOUND, "connector %s not found", "c1");
    json_t *doc = render(&res, &status);
    ck_assert_int_eq(status, 404);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "type")), "about:blank");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "title")), "Not Found");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "status")), 404);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "detail")), "connector c1 not found");
    ck_assert_ptr_null(json_object_get(doc, "errors"));
    json_decref(doc);
    http_res_free(&res);
}
END_TEST

START_TEST(test_http_validation_errors_listed)
{
    struct http_res res = HTTP_RES_INIT;
    int status = 0;
    http_res_field_error(&res, "id", "must match ^[A-Za-z0-9]…");
    http_res_field_error(&res, "name", "is required");
    json_t *doc = render(&res, &status);
    ck_assert_int_eq(status, 422);
    json_t *errors = json_object_get(doc, "errors");
    ck_assert_uint_eq(json_array_size(errors), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 1), "field")), "name");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errors, 1), "message")),
                     "is required");
    json_decref(doc);
    http_res_free(&res);
    http_res_free(&res); /* twice is safe */
}
END_TEST

START_TEST(test_http_status_mapping)
{
    ck_assert_int_eq(http_err_status(APP_ERR_BAD_REQUEST), 400);
    ck_assert_int_eq(http_err_status(APP_ERR_UNAUTHORIZED), 401);
    ck_assert_int_eq(http_err_status(APP_ERR_METHOD_NOT_ALLOWED), 405);
    ck_assert_int_eq(http_err_status(APP_ERR_CONFLICT), 409);
    ck_assert_int_eq(http_err_status(APP_ERR_PAYLOAD_TOO_LARGE), 413);
    ck_assert_int_eq(http_err_status(APP_ERR_UNSUPPORTED_MEDIA), 415);
    ck_assert_int_eq(http_err_status(APP_ERR_VALIDATION), 422);
    ck_assert_int_eq(http_err_status(APP_ERR_TOO_MANY_REQUESTS), 429);
    ck_assert_int_eq(http_err_status(APP_ERR_UNAVAILABLE), 503);
}
END_TEST

START_TEST(test_http_db_error_mapping)
{
    struct {
        enum db_status st;
        int want;
        int retry;
    } cases[] = {
        {DB_ERR_UNAVAILABLE, 503, 1},
        {DB_ERR_UNIQUE, 409, 0},
        {DB_ERR_INVALID, 422, 0},
        {DB_ERR_QUERY, 500, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_res res = HTTP_RES_INIT;
        struct db_error err = {.status = cases[i].st,
                               .sqlstate = "XX000",
                               .message = "secret detail"};
        int status = 0;
        http_res_db_error(&res, &err, "unit test");
        json_t *doc = render(&res, &status);
        ck_assert_int_eq(status, cases[i].want);
        ck_assert_int_eq(res.retry_after > 0, cases[i].retry);
        /* the cause goes to the log, never to the client, whatever the status */
        ck_assert_ptr_null(strstr(json_string_value(json_object_get(doc, "detail")), "secret"));
        json_decref(doc);
        http_res_free(&res);
    }
}
END_TEST

/* A detail quoting a long multi-byte value is cut by the detail buffer; wherever the cut
 * falls, the body is a complete problem document (it once rendered empty), at every length. */
START_TEST(test_http_detail_cut_inside_utf8)
{
    char value[700];
    for (size_t pad = 0; pad < 4; pad++) {
        size_t o = 0;
        for (; o < pad; o++)
            value[o] = 'x';
        while (o + 3 < sizeof value - 1) {
            memcpy(value + o, "\xE2\x82\xAC", 3);
            o += 3;
        }
        value[o] = '\0';
        struct http_res res = HTTP_RES_INIT;
        int status = 0;
        http_res_error(&res, APP_ERR_CONFLICT, "the connector's folder \"%s\" is gone", value);
        json_t *doc = render(&res, &status);
        ck_assert_int_eq(status, 409);
        const char *detail = json_string_value(json_object_get(doc, "detail"));
        ck_assert_ptr_nonnull(detail);
        ck_assert_uint_gt(strlen(detail), 400);
        json_decref(doc);
        http_res_free(&res);
    }
    /* bytes that are not UTF-8 at all are replaced, not rendered as nothing */
    struct http_res res = HTTP_RES_INIT;
    int status = 0;
    http_res_error(&res, APP_ERR_NOT_FOUND, "no file \"%s\"",
                   "a\xFF\xFE"
                   "b");
    json_t *doc = render(&res, &status);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "detail")), "no file \"a??b\"");
    json_decref(doc);
    http_res_free(&res);
}
END_TEST

/* A problem type set by a handler (the connector quota) is rendered instead of about:blank. */
START_TEST(test_http_problem_type)
{
    struct http_res res = HTTP_RES_INIT;
    int status = 0;
    http_res_error(&res, APP_ERR_CONFLICT, "quota");
    res.type = "urn:aam:problem:connector-quota";
    json_t *doc = render(&res, &status);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "type")),
                     "urn:aam:problem:connector-quota");
    json_decref(doc);
    http_res_free(&res);
}
END_TEST

static json_t *parse_body(const char *ctype, const char *body, struct http_res *res)
{
    struct http_req req = {.method = "POST",
                           .path = "/x",
                           .content_type = ctype,
                           .body = body,
                           .body_len = strlen(body)};
    return http_req_json_object(&req, res);
}

START_TEST(test_http_json_body_outcomes)
{
    struct http_res res = HTTP_RES_INIT;
    json_t *doc = parse_body("application/json; charset=utf-8", "{\"a\":1}", &res);
    ck_assert_ptr_nonnull(doc);
    json_decref(doc);
    doc = parse_body(NULL, "{\"a\":1}", &res); /* no Content-Type: still JSON */
    ck_assert_ptr_nonnull(doc);
    json_decref(doc);
    ck_assert_ptr_null(parse_body("text/plain", "{\"a\":1}", &res));
    ck_assert_int_eq(http_err_status(res.err), 415);
    http_res_free(&res);
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_ptr_null(parse_body("application/json", "", &res));
    ck_assert_int_eq(http_err_status(res.err), 400);
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_ptr_null(parse_body("application/json", "{\"a\":", &res));
    ck_assert_int_eq(http_err_status(res.err), 400);
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_ptr_null(parse_body("application/json", "{\"a\":1,\"a\":2}", &res));
    ck_assert_int_eq(http_err_status(res.err), 400);
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_ptr_null(parse_body("application/json", "[1,2]", &res));
    ck_assert_int_eq(http_err_status(res.err), 422);
    http_res_free(&res);
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_ptr_null(parse_body("application/jsonx", "{}", &res));
    ck_assert_int_eq(http_err_status(res.err), 415);
}
END_TEST

START_TEST(test_http_query_lookup)
{
    struct http_kv q[] = {{"limit", "10"}, {"status", "ACTIVE"}, {"flag", ""}};
    struct http_req req = {.query = q, .n_query = 3};
    ck_assert_str_eq(http_req_query(&req, "status"), "ACTIVE");
    ck_assert_str_eq(http_req_query(&req, "flag"), "");
    ck_assert_ptr_null(http_req_query(&req, "offset"));
}
END_TEST

/* The request target as the client sent it: the path normalised, the query split in order. */
START_TEST(test_http_parse_target)
{
    char *path = NULL;
    struct http_kv *kv = NULL;
    size_t n = 0;
    ck_assert_int_eq(http_parse_target("//api/v1//x/?limit=10&&flag&q=a+b%26c&=v#frag", &path, &kv,
                                       &n),
                     0);
    ck_assert_str_eq(path, "/api/v1/x");
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(kv[0].name, "limit");
    ck_assert_str_eq(kv[0].value, "10");
    ck_assert_str_eq(kv[1].name, "flag");
    ck_assert_str_eq(kv[1].value, "");
    ck_assert_str_eq(kv[2].name, "q");
    ck_assert_str_eq(kv[2].value, "a b&c");
    ck_assert_str_eq(kv[3].name, "");
    ck_assert_str_eq(kv[3].value, "v");
    free(path);
    http_kv_free(kv, n);

    /* no query: no arguments; a fragment is not part of the path */
    ck_assert_int_eq(http_parse_target("/a#?x=1", &path, &kv, &n), 0);
    ck_assert_str_eq(path, "/a");
    ck_assert_ptr_null(kv);
    ck_assert_uint_eq(n, 0);
    free(path);

    /* a bad path: nothing left; a bad query: the path is kept for the 400's headers and log */
    ck_assert_int_eq(http_parse_target("/a/../b?x=1", &path, &kv, &n), -1);
    ck_assert_ptr_null(path);
    ck_assert_ptr_null(kv);
    ck_assert_int_eq(http_parse_target("/api/x?ok=1&bad=%4", &path, &kv, &n), -1);
    ck_assert_str_eq(path, "/api/x");
    ck_assert_ptr_null(kv);
    ck_assert_uint_eq(n, 0);
    free(path);
    ck_assert_int_eq(http_parse_target("/x?n=%00", &path, &kv, &n), -1);
    free(path);
    http_kv_free(NULL, 0); /* NULL-safe */
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, test_http_problem_shape);
    tcase_add_test(tc, test_http_validation_errors_listed);
    tcase_add_test(tc, test_http_status_mapping);
    tcase_add_test(tc, test_http_db_error_mapping);
    tcase_add_test(tc, test_http_detail_cut_inside_utf8);
    tcase_add_test(tc, test_http_problem_type);
    suite_add_tcase(s, tc);
    tc = tcase_create("request");
    tcase_add_test(tc, test_http_json_body_outcomes);
    tcase_add_test(tc, test_http_query_lookup);
    tcase_add_test(tc, test_http_parse_target);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(http_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
