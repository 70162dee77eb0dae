/* Unit tests for server/router.c: matching, captures, 404 vs 405 (+ Allow), and which paths
 * are public. */
#include <check.h>
#include <string.h>

#include "server/handlers/connectors.h"
#include "server/handlers/files.h"
#include "server/handlers/health.h"
#include "server/handlers/routes.h"
#include "server/http/router.h"

START_TEST(test_router_exact_and_capture)
{
    struct router_match m;
    ck_assert_int_eq(router_match(routes_table(), "GET", "/health", &m), ROUTER_FOUND);
    ck_assert_ptr_eq((void *)m.route->handler, (void *)health_get);
    ck_assert_int_eq(router_match(routes_table(), "GET", "/api/v1/aam/connectors/abc", &m),
                     ROUTER_FOUND);
    ck_assert_ptr_eq((void *)m.route->handler, (void *)connectors_get);
    ck_assert_uint_eq(m.n_params, 1);
    ck_assert_str_eq(m.params[0], "abc");
    ck_assert_int_eq(router_match(routes_table(), "GET",
                                  "/api/v1/aam/connectors/c1/files/a b.csv/rows", &m),
                     ROUTER_FOUND);
    ck_assert_ptr_eq((void *)m.route->handler, (void *)files_rows);
    ck_assert_uint_eq(m.n_params, 2);
    ck_assert_str_eq(m.params[0], "c1");
    ck_assert_str_eq(m.params[1], "a b.csv");
}
END_TEST

START_TEST(test_router_method_not_allowed_lists_allow)
{
    struct router_match m;
    ck_assert_int_eq(router_match(routes_table(), "PUT", "/api/v1/aam/connectors/x", &m),
                     ROUTER_NO_METHOD);
    ck_assert_str_eq(m.allow, "GET, HEAD, PATCH, DELETE");
    ck_assert_int_eq(router_match(routes_table(), "POST", "/health", &m), ROUTER_NO_METHOD);
    ck_assert_str_eq(m.allow, "GET, HEAD");
}
END_TEST

START_TEST(test_router_unknown_paths)
{
    struct router_match m;
    ck_assert_int_eq(router_match(routes_table(), "GET", "/nope", &m), ROUTER_NO_PATH);
    ck_assert_int_eq(router_match(routes_table(), "GET", "/api/v1/aam/connectors/a/b", &m),
                     ROUTER_NO_PATH);
    ck_assert_int_eq(router_match(routes_table(), "GET", "/API/V1/AAM/CONNECTORS", &m),
                     ROUTER_NO_PATH);
    ck_assert_int_eq(router_match(routes_table(), "GET", "/healthz", &m), ROUTER_NO_PATH);
    ck_assert_int_eq(router_match(routes_table(), "GET", "/index.html", &m), ROUTER_NO_PATH);
    ck_assert_int_eq(router_match(routes_table(), "GET", "/assets/a/b.js", &m), ROUTER_NO_PATH);
}
END_TEST

START_TEST(test_router_head_matches_get)
{
    struct router_match m;
    ck_assert_int_eq(router_match(routes_table(), "HEAD", "/health", &m), ROUTER_FOUND);
    ck_assert_str_eq(m.route->method, "GET");
}
END_TEST

START_TEST(test_router_public_paths)
{
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/health"), 1);
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/ready"), 1);
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/"), 1);
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/assets/app.js"), 1);
    ck_assert_int_eq(router_is_public(routes_table(), "POST", "/api/v1/auth/login"), 1);
    ck_assert_int_eq(router_is_public(routes_table(), "POST", "/api/v1/auth/register"), 1);
    ck_assert_int_eq(router_is_public(routes_table(), "OPTIONS", "/api/v1/aam/connectors"), 1);
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/api/v1/auth/me"), 0);
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/api/v1/aam/connectors"), 0);
    /* a path that matches no route still needs a token under /api: no probing */
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/api/v1/nope"), 0);
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/api"), 0);
    ck_assert_int_eq(router_is_public(routes_table(), "GET", "/api/v1/auth/login/x"), 0);
}
END_TEST

START_TEST(test_router_every_route_matches_itself)
{
    size_t n;
    const struct router_route *r = (n = routes_table()->n, routes_table()->routes);
    ck_assert_uint_gt(n, 10);
    for (size_t i = 0; i < n; i++) {
        char path[256];
        struct router_match m;
        /* replace each {x} with a concrete segment */
        const char *p = r[i].pattern;
        size_t o = 0;
        while (*p) {
            if (*p == '{') {
                memcpy(path + o, "seg", 3);
                o += 3;
                p = strchr(p, '}') + 1;
            } else {
                path[o++] = *p++;
            }
        }
        path[o] = '\0';
        ck_assert_int_eq(router_match(routes_table(), r[i].method, path, &m), ROUTER_FOUND);
        ck_assert_ptr_eq(m.route, &r[i]);
    }
}
END_TEST

static void on_dummy(const struct http_req *req, struct http_res *res)
{
    (void)req, (void)res;
}

/* The router owns no routes: a table given by the caller is the whole world, and a public
 * row makes its path public under /api/ (any method), nothing else. */
START_TEST(test_router_uses_the_table_it_is_given)
{
    static const struct router_route rows[] = {
        {.method = "POST",
         .pattern = "/api/v1/auth/token",
         .handler = on_dummy,
         .lane = ROUTER_LANE_DB,
         .is_public = 1},
        {.method = "GET",
         .pattern = "/api/v1/things/{id}",
         .handler = on_dummy,
         .lane = ROUTER_LANE_DB},
    };
    const struct router_table t = {.routes = rows, .n = 2};
    struct router_match m;
    ck_assert_int_eq(router_match(&t, "POST", "/api/v1/auth/token", &m), ROUTER_FOUND);
    ck_assert_ptr_eq(m.route, &rows[0]);
    ck_assert_int_eq(router_match(&t, "GET", "/health", &m), ROUTER_NO_PATH);
    ck_assert_int_eq(router_match(&t, "GET", "/api/v1/things/7", &m), ROUTER_FOUND);
    ck_assert_str_eq(m.params[0], "7");
    ck_assert_int_eq(router_is_public(&t, "POST", "/api/v1/auth/token"), 1);
    ck_assert_int_eq(router_is_public(&t, "GET", "/api/v1/auth/token"), 1);
    ck_assert_int_eq(router_is_public(&t, "POST", "/api/v1/auth/login"), 0);
    ck_assert_int_eq(router_is_public(&t, "GET", "/api/v1/things/7"), 0);
}
END_TEST

/* Body limits come from the table's prefix rules, for known and unknown paths alike. */
START_TEST(test_router_body_limit_by_prefix)
{
    static const struct router_body_rule rules[] = {{.prefix = "/api/v1/auth/", .max_body = 16384}};
    const struct router_table t = {.body_rules = rules, .n_body_rules = 1};
    ck_assert_uint_eq(router_body_limit(&t, "/api/v1/auth/login"), 16384);
    ck_assert_uint_eq(router_body_limit(&t, "/api/v1/auth/nothing-here"), 16384);
    ck_assert_uint_eq(router_body_limit(&t, "/api/v1/aam/connectors"), ROUTER_MAX_BODY);
    ck_assert_uint_eq(router_body_limit(&t, "/api/v1/auth"), ROUTER_MAX_BODY);
    ck_assert_uint_eq(router_body_limit(routes_table(), "/api/v1/auth/register"), 16384);
}
END_TEST

/* The hashing lanes' routes carry their queue bound; a zero bound would refuse every login. */
START_TEST(test_router_hash_routes_have_queue_bounds)
{
    const struct router_table *t = routes_table();
    for (size_t i = 0; i < t->n; i++) {
        const struct router_route *r = &t->routes[i];
        if (r->lane == ROUTER_LANE_HASH || r->lane == ROUTER_LANE_HASH_BULK)
            ck_assert_msg(r->queue_max > 0, "%s %s has no queue bound", r->method, r->pattern);
    }
}
END_TEST

static Suite *router_suite(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, test_router_exact_and_capture);
    tcase_add_test(tc, test_router_method_not_allowed_lists_allow);
    tcase_add_test(tc, test_router_unknown_paths);
    tcase_add_test(tc, test_router_head_matches_get);
    tcase_add_test(tc, test_router_every_route_matches_itself);
    suite_add_tcase(s, tc);
    tc = tcase_create("public");
    tcase_add_test(tc, test_router_public_paths);
    tcase_add_test(tc, test_router_uses_the_table_it_is_given);
    tcase_add_test(tc, test_router_body_limit_by_prefix);
    tcase_add_test(tc, test_router_hash_routes_have_queue_bounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(router_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
