/* Unit tests for server/handlers/routes.c. 1. docs/openapi.json against the route table: the
 * document lists exactly the routes the router serves (both directions, HEAD/OPTIONS aside),
 * marks exactly the public ones as needing no token, documents the statuses each kind of route
 * can return, and every $ref resolves; GET /openapi.json serves this very file.
 * 2. Rights: every route that is not public declares the right it needs, and the full matrix
 * route x role (viewer, editor, admin) and route x scope (each of the 32 scope sets of a
 * client) gives what the contract's "Members, roles and scopes" says, from a table written out
 * here (a new route needs its row). */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/access.h"
#include "server/handlers/docs.h"
#include "server/handlers/routes.h"
#include "server/http/http_model.h"
#include "server/http/router.h"

static const char *const METHODS[] = {"get",     "put",  "post",  "delete",
                                      "options", "head", "patch", "trace"};
#define N_METHODS (sizeof METHODS / sizeof METHODS[0])

static json_t *doc; /* loaded once per test (checked fixture) */

/* tests run from the repository root; REPO_ROOT overrides. */
static char *openapi_path(void)
{
    const char *root = getenv("REPO_ROOT");
    char *path = malloc(4096);
    ck_assert_ptr_nonnull(path);
    snprintf(path, 4096, "%s%sdocs/openapi.json", root ? root : "", root ? "/" : "");
    return path;
}

static void setup(void)
{
    json_error_t err;
    char *path = openapi_path();
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL)
        ck_abort_msg("%s: %s (line %d)", path, err.text, err.line);
    free(path);
}

static void teardown(void)
{
    json_decref(doc);
    doc = NULL;
}

static void lower(const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

/* The operation object for (METHOD, pattern), or NULL. Borrowed from doc. */
static json_t *operation(const char *method, const char *pattern)
{
    char m[16];
    lower(method, m, sizeof m);
    return json_object_get(json_object_get(json_object_get(doc, "paths"), pattern), m);
}

static const struct router_route *route_for(const char *method, const char *pattern)
{
    size_t n;
    const struct router_route *r = (n = routes_table()->n, routes_table()->routes);
    for (size_t i = 0; i < n; i++) {
        char m[16];
        lower(r[i].method, m, sizeof m);
        if (strcmp(m, method) == 0 && strcmp(r[i].pattern, pattern) == 0)
            return &r[i];
    }
    return NULL;
}

static int has_status(json_t *op, const char *status)
{
    return json_object_get(json_object_get(op, "responses"), status) != NULL;
}

/* An operation needs no token when it overrides the global security with an empty list. */
static int op_is_public(json_t *op)
{
    json_t *sec = json_object_get(op, "security");
    return sec != NULL && json_is_array(sec) && json_array_size(sec) == 0;
}

START_TEST(test_openapi_is_3_1_with_bearer_scheme)
{
    ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *scheme = json_object_get(json_object_get(json_object_get(doc, "components"),
                                                     "securitySchemes"),
                                     "bearerAuth");
    ck_assert_str_eq(json_string_value(json_object_get(scheme, "type")), "http");
    ck_assert_str_eq(json_string_value(json_object_get(scheme, "scheme")), "bearer");
    json_t *global = json_array_get(json_object_get(doc, "security"), 0);
    ck_assert_ptr_nonnull(json_object_get(global, "bearerAuth"));
}
END_TEST

START_TEST(test_openapi_documents_every_route)
{
    size_t n;
    const struct router_route *r = (n = routes_table()->n, routes_table()->routes);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].method, "HEAD") == 0 || strcmp(r[i].method, "OPTIONS") == 0)
            continue;
        ck_assert_msg(operation(r[i].method, r[i].pattern) != NULL,
                      "the router serves %s %s but docs/openapi.json does not document it",
                      r[i].method, r[i].pattern);
    }
}
END_TEST

START_TEST(test_openapi_lists_only_served_routes)
{
    const char *pattern;
    json_t *item;
    int seen = 0;
    json_object_foreach(json_object_get(doc, "paths"), pattern, item) {
        for (size_t i = 0; i < N_METHODS; i++) {
            if (json_object_get(item, METHODS[i]) == NULL || strcmp(METHODS[i], "head") == 0 ||
                strcmp(METHODS[i], "options") == 0)
                continue;
            seen++;
            ck_assert_msg(route_for(METHODS[i], pattern) != NULL,
                          "docs/openapi.json lists %s %s but the router does not serve it",
                          METHODS[i], pattern);
        }
    }
    ck_assert_int_gt(seen, 0);
}
END_TEST

/* Public in the document <=> public in the router (route flag and middleware agree). */
START_TEST(test_openapi_security_matches_router)
{
    size_t n;
    const struct router_route *r = (n = routes_table()->n, routes_table()->routes);
    for (size_t i = 0; i < n; i++) {
        json_t *op = operation(r[i].method, r[i].pattern);
        if (op == NULL)
            continue; /* reported by test_openapi_documents_every_route */
        ck_assert_msg(op_is_public(op) == r[i].is_public,
                      "%s %s: public in router=%d, in document=%d", r[i].method, r[i].pattern,
                      r[i].is_public, op_is_public(op));
        ck_assert_int_eq(router_is_public(routes_table(), r[i].method, r[i].pattern),
                         r[i].is_public);
    }
}
END_TEST

/* Each kind of route documents the statuses the middleware and db layer can give it. */
START_TEST(test_openapi_documents_error_statuses)
{
    size_t n;
    const struct router_route *r = (n = routes_table()->n, routes_table()->routes);
    for (size_t i = 0; i < n; i++) {
        json_t *op = operation(r[i].method, r[i].pattern);
        if (op == NULL)
            continue;
        const char *m = r[i].method, *p = r[i].pattern;
        ck_assert_msg(has_status(op, "400"), "%s %s lacks 400 (malformed path)", m, p);
        if (!r[i].is_public)
            ck_assert_msg(has_status(op, "401"), "%s %s lacks 401", m, p);
        if (r[i].lane != ROUTER_LANE_INLINE)
            ck_assert_msg(has_status(op, "503"), "%s %s lacks 503 (database down)", m, p);
        if (strchr(p, '{') != NULL && r[i].lane == ROUTER_LANE_DB)
            ck_assert_msg(has_status(op, "404"), "%s %s lacks 404", m, p);
        if (json_object_get(op, "requestBody") != NULL) {
            ck_assert_msg(has_status(op, "413"), "%s %s lacks 413", m, p);
            ck_assert_msg(has_status(op, "415"), "%s %s lacks 415", m, p);
            /* RFC 6749 5.2: the token endpoint reports every body problem as 400. */
            if (strcmp(p, "/api/v1/auth/token") != 0)
                ck_assert_msg(has_status(op, "422"), "%s %s lacks 422", m, p);
        }
        int has_2xx = 0;
        const char *status;
        json_t *resp;
        json_object_foreach(json_object_get(op, "responses"), status, resp) {
            has_2xx |= status[0] == '2';
        }
        ck_assert_msg(has_2xx, "%s %s documents no success status", m, p);
    }
}
END_TEST

/* Every "{x}" in a pattern is a documented path parameter named x. */
START_TEST(test_openapi_path_parameters_named)
{
    size_t n;
    const struct router_route *r = (n = routes_table()->n, routes_table()->routes);
    json_t *params = json_object_get(json_object_get(doc, "components"), "parameters");
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_object_get(json_object_get(doc, "paths"), r[i].pattern);
        if (item == NULL)
            continue;
        for (const char *s = strchr(r[i].pattern, '{'); s != NULL; s = strchr(s + 1, '{')) {
            char name[64];
            size_t len = strcspn(s + 1, "}");
            ck_assert_uint_lt(len, sizeof name);
            memcpy(name, s + 1, len);
            name[len] = '\0';
            int found = 0;
            size_t j;
            json_t *p;
            json_array_foreach(json_object_get(item, "parameters"), j, p) {
                const char *ref = json_string_value(json_object_get(p, "$ref"));
                if (ref != NULL && strncmp(ref, "#/components/parameters/", 24) == 0)
                    p = json_object_get(params, ref + 24);
                const char *in = json_string_value(json_object_get(p, "in"));
                const char *pname = json_string_value(json_object_get(p, "name"));
                if (in != NULL && pname != NULL && strcmp(in, "path") == 0 &&
                    strcmp(pname, name) == 0)
                    found = 1;
            }
            ck_assert_msg(found, "%s: no path parameter named %s", r[i].pattern, name);
        }
    }
}
END_TEST

/* Resolves "#/a/b/c" within doc (no ~ escapes are used in our document). */
static json_t *resolve(const char *ref)
{
    if (strncmp(ref, "#/", 2) != 0)
        return NULL;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ref + 2);
    json_t *node = doc;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "/", &save); tok != NULL && node != NULL;
         tok = strtok_r(NULL, "/", &save))
        node = json_object_get(node, tok);
    return node;
}

static void check_refs(json_t *node, int *count)
{
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_object(node)) {
        json_object_foreach(node, key, v) {
            if (strcmp(key, "$ref") == 0 && json_is_string(v)) {
                (*count)++;
                ck_assert_msg(resolve(json_string_value(v)) != NULL, "unresolved $ref %s",
                              json_string_value(v));
            } else {
                check_refs(v, count);
            }
        }
    } else if (json_is_array(node)) {
        json_array_foreach(node, i, v)
            check_refs(v, count);
    }
}

START_TEST(test_openapi_refs_resolve)
{
    int count = 0;
    check_refs(doc, &count);
    ck_assert_int_gt(count, 10);
}
END_TEST

/* The binary embeds the file at build time: what it serves must be the file on disk. */
START_TEST(test_openapi_served_document_is_the_file)
{
    struct http_req req;
    struct http_res res = HTTP_RES_INIT;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = "/openapi.json";
    docs_openapi(&req, &res);
    ck_assert_int_eq(res.err, APP_OK);
    ck_assert_int_eq(res.status, 200);
    json_error_t err;
    json_t *served = json_loadb(res.body, res.body_len, 0, &err);
    ck_assert_msg(served != NULL, "served document is not JSON: %s", err.text);
    ck_assert_msg(json_equal(served, doc), "the embedded document differs from docs/openapi.json "
                                           "(rebuild server/handlers/docs.o)");
    json_decref(served);
    http_res_free(&res);
}
END_TEST

/* ------------------------------------------------------------------ rights */

#define R_ ACCESS_SCOPE_CONNECTORS_READ
#define W_ ACCESS_SCOPE_CONNECTORS_WRITE
#define C_ ACCESS_SCOPE_CONNECTORS_CHECK
#define E_ ACCESS_SCOPE_EVENTS_READ
#define H_ ACCESS_SCOPE_WEBHOOKS_WRITE
#define ANY_SCOPE 0x100u /* any client (ACCESS_ANY) */

/* Who may call each route: viewer, editor, admin, and the scopes any one of which lets a client
 * in. Routes still to come (types, checks, history, events, webhooks) have their rows already:
 * a row whose route is not served is skipped, a served route without a row fails. */
static const struct expected_rights {
    const char *method, *pattern;
    int is_public;
    int viewer, editor, admin;
    unsigned scopes;
} EXPECTED[] = {
    {"GET", "/health", 1, 0, 0, 0, 0},
    {"GET", "/ready", 1, 0, 0, 0, 0},
    {"GET", "/openapi.json", 1, 0, 0, 0, 0},
    {"GET", "/", 1, 0, 0, 0, 0},
    {"GET", "/assets/{file}", 1, 0, 0, 0, 0},
    {"POST", "/api/v1/auth/register", 1, 0, 0, 0, 0},
    {"POST", "/api/v1/auth/login", 1, 0, 0, 0, 0},
    {"POST", "/api/v1/auth/token", 1, 0, 0, 0, 0},
    {"POST", "/api/v1/auth/accept-invite", 1, 0, 0, 0, 0},
    {"POST", "/api/v1/auth/logout", 0, 1, 1, 1, ANY_SCOPE},
    {"GET", "/api/v1/auth/me", 0, 1, 1, 1, ANY_SCOPE},
    {"GET", "/api/v1/aam/connectors", 0, 1, 1, 1, R_ | W_},
    {"POST", "/api/v1/aam/connectors", 0, 0, 1, 1, W_},
    {"GET", "/api/v1/aam/connectors/{id}", 0, 1, 1, 1, R_ | W_},
    {"PATCH", "/api/v1/aam/connectors/{id}", 0, 0, 1, 1, W_},
    {"DELETE", "/api/v1/aam/connectors/{id}", 0, 0, 1, 1, W_},
    {"GET", "/api/v1/aam/connectors/{id}/files", 0, 1, 1, 1, R_ | W_},
    {"GET", "/api/v1/aam/connectors/{id}/files/{name}/rows", 0, 1, 1, 1, R_ | W_},
    {"GET", "/api/v1/aam/connector-types", 0, 1, 1, 1, R_ | W_},
    {"GET", "/api/v1/aam/connector-types/{type}", 0, 1, 1, 1, R_ | W_},
    {"POST", "/api/v1/aam/connectors/{id}/check", 0, 0, 1, 1, C_},
    {"POST", "/api/v1/aam/connector-types/{type}/check", 0, 0, 1, 1, C_},
    {"GET", "/api/v1/aam/connectors/{id}/history", 0, 1, 1, 1, R_ | W_},
    {"GET", "/api/v1/aam/events", 0, 1, 1, 1, E_},
    {"GET", "/api/v1/aam/webhooks", 0, 0, 0, 1, H_},
    {"POST", "/api/v1/aam/webhooks", 0, 0, 0, 1, H_},
    {"GET", "/api/v1/aam/webhooks/{id}", 0, 0, 0, 1, H_},
    {"PATCH", "/api/v1/aam/webhooks/{id}", 0, 0, 0, 1, H_},
    {"DELETE", "/api/v1/aam/webhooks/{id}", 0, 0, 0, 1, H_},
    {"POST", "/api/v1/aam/webhooks/{id}/rotate-secret", 0, 0, 0, 1, H_},
    {"GET", "/api/v1/aam/webhooks/{id}/deliveries", 0, 0, 0, 1, H_},
    {"POST", "/api/v1/aam/webhooks/{id}/test", 0, 0, 0, 1, H_},
    {"GET", "/api/v1/aam/members", 0, 1, 1, 1, 0},
    {"POST", "/api/v1/aam/members", 0, 0, 0, 1, 0},
    {"PATCH", "/api/v1/aam/members/{user_id}", 0, 0, 0, 1, 0},
    {"DELETE", "/api/v1/aam/members/{user_id}", 0, 0, 0, 1, 0},
    {"GET", "/api/v1/aam/clients", 0, 0, 0, 1, 0},
    {"POST", "/api/v1/aam/clients", 0, 0, 0, 1, 0},
    {"DELETE", "/api/v1/aam/clients/{id}", 0, 0, 0, 1, 0},
};
#define N_EXPECTED (sizeof EXPECTED / sizeof EXPECTED[0])

static const struct expected_rights *expected_for(const struct router_route *r)
{
    for (size_t i = 0; i < N_EXPECTED; i++)
        if (strcmp(EXPECTED[i].method, r->method) == 0 &&
            strcmp(EXPECTED[i].pattern, r->pattern) == 0)
            return &EXPECTED[i];
    return NULL;
}

static struct jwt_identity as_role(const char *role)
{
    struct jwt_identity id;
    memset(&id, 0, sizeof id);
    snprintf(id.sub, sizeof id.sub, "u");
    snprintf(id.ns, sizeof id.ns, "t");
    snprintf(id.role, sizeof id.role, "%s", role);
    return id;
}

/* The table cannot leave a protected route open or unguarded by mistake. */
START_TEST(test_routes_every_protected_route_declares_a_right)
{
    const struct router_table *t = routes_table();
    for (size_t i = 0; i < t->n; i++) {
        const struct router_route *r = &t->routes[i];
        if (r->is_public)
            ck_assert_msg(r->right == ACCESS_UNDECLARED, "%s %s is public but declares a right",
                          r->method, r->pattern);
        else
            ck_assert_msg(r->right > ACCESS_UNDECLARED && r->right < ACCESS_N_RIGHTS,
                          "%s %s is not public and declares no right (.right in routes.c)",
                          r->method, r->pattern);
    }
    const struct router_table *admin = routes_admin_table();
    for (size_t i = 0; i < admin->n; i++)
        ck_assert_msg(admin->routes[i].is_public, "admin listener: %s", admin->routes[i].pattern);
}
END_TEST

/* Every route x viewer, editor, admin: allowed or 403, as the table above says. */
START_TEST(test_routes_role_matrix)
{
    const struct router_table *t = routes_table();
    struct jwt_identity v = as_role("viewer"), e = as_role("editor"), a = as_role("admin");
    for (size_t i = 0; i < t->n; i++) {
        const struct router_route *r = &t->routes[i];
        const struct expected_rights *x = expected_for(r);
        ck_assert_msg(x != NULL, "%s %s has no row in test_routes' EXPECTED", r->method, r->pattern);
        ck_assert_msg(r->is_public == x->is_public, "%s %s: public %d, want %d", r->method,
                      r->pattern, r->is_public, x->is_public);
        if (r->is_public)
            continue;
        ck_assert_msg(access_allows(&v, r->right) == x->viewer, "%s %s as viewer", r->method,
                      r->pattern);
        ck_assert_msg(access_allows(&e, r->right) == x->editor, "%s %s as editor", r->method,
                      r->pattern);
        ck_assert_msg(access_allows(&a, r->right) == x->admin, "%s %s as admin", r->method,
                      r->pattern);
    }
}
END_TEST

/* Every route x each of the 32 scope sets a client may hold. */
START_TEST(test_routes_scope_matrix)
{
    const struct router_table *t = routes_table();
    for (size_t i = 0; i < t->n; i++) {
        const struct router_route *r = &t->routes[i];
        const struct expected_rights *x = expected_for(r);
        if (x == NULL || r->is_public)
            continue; /* reported by test_routes_role_matrix */
        for (unsigned set = 0; set <= ACCESS_SCOPES_ALL; set++) {
            struct jwt_identity c = as_role("");
            c.is_client = 1;
            c.scopes = set;
            int want = (x->scopes & ANY_SCOPE) != 0 || (x->scopes & set) != 0;
            ck_assert_msg(access_allows(&c, r->right) == want, "%s %s as a client with 0x%x",
                          r->method, r->pattern, set);
        }
    }
}
END_TEST

/* A route that forgot its right is refused for everyone, so the omission cannot open it. */
START_TEST(test_routes_undeclared_right_refuses_everyone)
{
    struct jwt_identity a = as_role("admin"), c = as_role("");
    c.is_client = 1;
    c.scopes = ACCESS_SCOPES_ALL;
    const struct router_route forgot = {.method = "GET", .pattern = "/api/v1/aam/x"};
    ck_assert_int_eq(access_allows(&a, forgot.right), 0);
    ck_assert_int_eq(access_allows(&c, forgot.right), 0);
}
END_TEST

static Suite *rights_suite(void)
{
    Suite *s = suite_create("rights");
    TCase *tc = tcase_create("route_table");
    tcase_add_test(tc, test_routes_every_protected_route_declares_a_right);
    tcase_add_test(tc, test_routes_role_matrix);
    tcase_add_test(tc, test_routes_scope_matrix);
    tcase_add_test(tc, test_routes_undeclared_right_refuses_everyone);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *openapi_suite(void)
{
    Suite *s = suite_create("openapi");
    TCase *tc = tcase_create("document_vs_router");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_openapi_is_3_1_with_bearer_scheme);
    tcase_add_test(tc, test_openapi_documents_every_route);
    tcase_add_test(tc, test_openapi_lists_only_served_routes);
    tcase_add_test(tc, test_openapi_security_matches_router);
    tcase_add_test(tc, test_openapi_documents_error_statuses);
    tcase_add_test(tc, test_openapi_path_parameters_named);
    tcase_add_test(tc, test_openapi_refs_resolve);
    tcase_add_test(tc, test_openapi_served_document_is_the_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(openapi_suite());
    srunner_add_suite(sr, rights_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
