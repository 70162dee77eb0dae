/* Unit tests for server/handlers/token.c without a server or a database (scripted seam):
 * POST /auth/token (415; 400 invalid_request / unsupported_grant_type before any database
 * work; refresh_token: 200 rotated, 400 invalid_grant for a malformed, unknown or reused token
 * with the failure counted, 429 throttled, 503; client_credentials: 200, 401 invalid_client
 * with the failure counted, 503) and POST /auth/logout (204, 401, 422, 503). */
#include "server/handlers/token.h"
#include "server/core/session.h"
#include "tests/unit/server/handlers/handler_test.h"

/* 43 base64url characters: shaped like a token we issue. */
#define TOKEN_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define REFRESH_BODY "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"" TOKEN_A "\"}"

/* throttle_reserve's reply: the advisory locks, the verdict row (seconds to wait, slots
 * taken), the prune. */
static const char *const not_throttled[] = {"0", "2"};
static const struct dbs_table throttle_ok[] = {{0, 0, NULL, 0}, {1, 2, not_throttled, 0}};

static void start(struct ht *t, const char *body)
{
    ht_init(t, "POST", "/api/v1/auth/token");
    ht_body(t, body);
}

static const char *oauth_error(const struct ht *t)
{
    return ht_str(t, "error");
}

START_TEST(test_token_400_before_any_database_work)
{
    static const struct {
        const char *body;
        const char *error;
    } cases[] = {
        {"{}", "invalid_request"},
        {"{\"grant_type\":\"password\"}", "unsupported_grant_type"},
        {"{\"grant_type\":\"refresh_token\"}", "invalid_request"},
    };
    struct ht t;
    start(&t, cases[_i].body);
    ht_run(&t, token_grant, 400);
    ck_assert_str_eq(oauth_error(&t), cases[_i].error);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_token_415)
{
    struct ht t;
    start(&t, REFRESH_BODY);
    t.req.content_type = "text/plain";
    ht_run(&t, token_grant, 415);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_token_refresh_200_rotated)
{
    /* SQL_ROTATE's row: reused, fresh, user id, namespace, email, tenant id */
    static const char *const rotated[] = {"0", "1", "u-1", "acme", "ann@example.com", "t-1"};
    const struct dbs_table rs[] = {{0, 0, NULL, 0}, {0, 0, NULL, 0}, {1, 6, rotated, 0}};
    struct ht t;
    start(&t, REFRESH_BODY);
    dbs_reply_ok(throttle_ok, 2);
    dbs_reply_ok(rs, 3);
    dbs_reply_ok(NULL, 0); /* the slot taken before the check is given back */
    ht_run(&t, token_grant, 200);
    ck_assert_uint_eq(dbs_calls(), 3);
    ck_assert_uint_eq(dbs_unscripted(), 0);
    const char *next = ht_str(&t, "refresh_token");
    ck_assert_ptr_nonnull(next);
    ck_assert_str_ne(next, TOKEN_A); /* rotated: a new token */
    ck_assert_ptr_nonnull(ht_str(&t, "access_token"));
    json_t *u = json_object_get(t.doc, "user");
    ck_assert_str_eq(json_string_value(json_object_get(u, "namespace")), "acme");
    /* the presented token travels only as its hash */
    char hash[SESSION_HASH_SIZE];
    session_hash(TOKEN_A, strlen(TOKEN_A), hash);
    ck_assert_str_eq(dbs_call_param(1, 0, 0), hash);
    ht_done(&t);
}
END_TEST

/* Malformed (never asks past the throttle), unknown, and reused: the same 400; the failure was
 * counted against the address when its slot was taken, before the check. */
START_TEST(test_token_refresh_400_invalid_grant_counted)
{
    static const char *const unknown[] = {"0", "0", NULL, NULL, NULL, NULL};
    static const char *const reused[] = {"1", "0", NULL, NULL, NULL, NULL};
    const struct dbs_table unknown_rs[] = {{0, 0, NULL, 0}, {0, 0, NULL, 0}, {1, 6, unknown, 0}};
    const struct dbs_table reused_rs[] = {{0, 0, NULL, 0}, {0, 0, NULL, 0}, {1, 6, reused, 0}};
    struct ht t;
    start(&t, _i == 0 ? "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"short\"}"
                      : REFRESH_BODY);
    dbs_reply_ok(throttle_ok, 2);
    if (_i == 1)
        dbs_reply_ok(unknown_rs, 3);
    if (_i == 2)
        dbs_reply_ok(reused_rs, 3);
    ht_run(&t, token_grant, 400);
    ck_assert_str_eq(oauth_error(&t), "invalid_grant");
    ck_assert_uint_eq(dbs_calls(), _i == 0 ? 1 : 2);
    ck_assert_uint_eq(dbs_unscripted(), 0);
    ck_assert_str_eq(dbs_call_param(0, 1, 2), "192.0.2.1"); /* the slot is the address's */
    ck_assert_ptr_null(ht_str(&t, "access_token"));
    ht_done(&t);
}
END_TEST

/* An IPv6 client is counted by its /64, as the key and the address (issue 20): a host that
 * holds a whole /64 gets one budget, not one per address. */
START_TEST(test_token_throttle_keys_ipv6_by_64)
{
    static const char *const wait[] = {"17", "0"};
    const struct dbs_table throttled[] = {{0, 0, NULL, 0}, {1, 2, wait, 0}};
    struct ht t;
    start(&t, REFRESH_BODY);
    t.req.client_ip = "2001:db8:1:2:aaaa:bbbb:cccc:dddd";
    dbs_reply_ok(throttled, 2);
    ht_run(&t, token_grant, 429);
    ck_assert_str_eq(dbs_call_param(0, 1, 1), "2001:db8:1:2::/64"); /* token:<key> */
    ck_assert_str_eq(dbs_call_param(0, 1, 2), "2001:db8:1:2::/64"); /* addr:<key> */
    ht_done(&t);
}
END_TEST

START_TEST(test_token_429_and_503)
{
    static const char *const wait[] = {"17", "0"};
    const struct dbs_table throttled[] = {{0, 0, NULL, 0}, {1, 2, wait, 0}};
    struct ht t;
    start(&t, REFRESH_BODY);
    dbs_reply_ok(throttled, 2);
    ht_run(&t, token_grant, 429);
    ck_assert_int_eq(t.res.retry_after, 17);
    ck_assert_uint_eq(dbs_calls(), 1);
    ht_done(&t);

    start(&t, REFRESH_BODY); /* throttle down */
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, token_grant, 503);
    ht_done(&t);

    start(&t, REFRESH_BODY); /* rotation down */
    dbs_reply_ok(throttle_ok, 2);
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, token_grant, 503);
    ht_done(&t);
}
END_TEST

#define CLIENT_BODY                                                                                \
    "{\"grant_type\":\"client_credentials\",\"client_id\":\"svc-1\",\"client_secret\":\"" TOKEN_A  \
    "\"}"

START_TEST(test_token_client_credentials)
{
    char good[SESSION_HASH_SIZE], other[SESSION_HASH_SIZE];
    session_hash(TOKEN_A, strlen(TOKEN_A), good);
    session_hash("something else", 14, other);
    const char *row[] = {"acme", _i == 0 ? good : other, "t-1"};
    const struct dbs_table rs[] = {{0, 0, NULL, 0}, {0, 0, NULL, 0}, {1, 3, row, 0}};
    struct ht t;
    start(&t, CLIENT_BODY);
    dbs_reply_ok(throttle_ok, 2);
    dbs_reply_ok(rs, 3);
    if (_i == 0)
        dbs_reply_ok(NULL, 0); /* a success gives the slot back */
    ht_run(&t, token_grant, _i == 0 ? 200 : 401);
    ck_assert_uint_eq(dbs_unscripted(), 0);
    if (_i == 0) {
        ck_assert_ptr_nonnull(ht_str(&t, "access_token"));
        ck_assert_ptr_null(ht_str(&t, "refresh_token")); /* clients get none */
    } else {
        ck_assert_str_eq(oauth_error(&t), "invalid_client");
        ck_assert_uint_eq(dbs_calls(), 2); /* counted when the slot was taken */
    }
    ht_done(&t);
}
END_TEST

START_TEST(test_token_client_401_and_503)
{
    struct ht t;
    start(&t, "{\"grant_type\":\"client_credentials\",\"client_id\":\"svc-1\"}");
    ht_run(&t, token_grant, 401);
    ck_assert_str_eq(oauth_error(&t), "invalid_client");
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);

    start(&t, CLIENT_BODY);
    dbs_reply_ok(throttle_ok, 2);
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, token_grant, 503);
    ht_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ logout */

#define USER_UUID "123e4567-e89b-12d3-a456-426614174000"

static void start_logout(struct ht *t, const char *body)
{
    ht_init(t, "POST", "/api/v1/auth/logout");
    ht_as(t, "acme");
    snprintf(t->who.sub, sizeof t->who.sub, "%s", USER_UUID);
    ht_body(t, body);
}

START_TEST(test_token_logout)
{
    const struct dbs_table revoked = {0, 0, NULL, 1};
    struct ht t;
    start_logout(&t, "{\"refresh_token\":\"" TOKEN_A "\"}");
    dbs_reply_ok(&revoked, 1);
    ht_run(&t, token_logout, 204);
    ck_assert_str_eq(dbs_call_ns(0), "acme");
    ck_assert_str_eq(dbs_call_param(0, 0, 1), USER_UUID); /* only the caller's own family */
    ht_done(&t);

    /* A token not shaped like ours (or a service token's non-user subject): nothing can
     * match, the same 204, and the database is not asked. */
    start_logout(&t, "{\"refresh_token\":\"nope\"}");
    ht_run(&t, token_logout, 204);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);

    ht_init(&t, "POST", "/api/v1/auth/logout"); /* no token */
    ht_body(&t, "{\"all\":true}");
    ht_run(&t, token_logout, 401);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);

    static const char *const bad[] = {"{}", "{\"all\":\"yes\"}", "{\"refresh_token\":5}"};
    for (size_t i = 0; i < 3; i++) {
        start_logout(&t, bad[i]);
        ht_run(&t, token_logout, 422);
        ck_assert_uint_eq(dbs_calls(), 0);
        ht_done(&t);
    }

    start_logout(&t, "{\"all\":true}");
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, token_logout, 503);
    ht_done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_token");
    TCase *tc = tcase_create("grant");
    tcase_add_loop_test(tc, test_token_400_before_any_database_work, 0, 3);
    tcase_add_test(tc, test_token_415);
    tcase_add_test(tc, test_token_refresh_200_rotated);
    tcase_add_loop_test(tc, test_token_refresh_400_invalid_grant_counted, 0, 3);
    tcase_add_test(tc, test_token_429_and_503);
    tcase_add_test(tc, test_token_throttle_keys_ipv6_by_64);
    tcase_add_loop_test(tc, test_token_client_credentials, 0, 2);
    tcase_add_test(tc, test_token_client_401_and_503);
    suite_add_tcase(s, tc);
    tc = tcase_create("logout");
    tcase_add_test(tc, test_token_logout);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
