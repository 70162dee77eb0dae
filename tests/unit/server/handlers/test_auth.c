/* Unit tests for server/handlers/auth.c without a server or a database (scripted seam):
 * register (201 with a refresh token stored in the same transaction, 409 for a taken email or
 * namespace, 415/422 before any database work, 429 from the per-address throttle before any
 * hashing, 503), login (200 with a refresh token, 401 for an unknown email or a wrong password
 * with the failure slot taken before hashing, 429 when throttled before any hashing, 503, also
 * when the refresh token cannot be stored), and me (200, 401, 503). */
#include "server/handlers/auth.h"
#include "server/core/password.h"
#include "tests/unit/server/handlers/handler_test.h"

#define REGISTER_BODY                                                                              \
    "{\"email\":\"Ann@Example.com\",\"password\":\"correct horse\",\"namespace\":\"acme\"}"
#define LOGIN_BODY "{\"email\":\"ann@example.com\",\"password\":\"correct horse\"}"

/* ------------------------------------------------------------------ register */

/* throttle_register's reply: the upsert's row (0 = counted, allowed), then the prune. */
static const char *const reg_allowed[] = {"0"};
static const struct dbs_table reg_ok[] = {{1, 1, reg_allowed, 0}, {0, 0, NULL, 0}};

START_TEST(test_auth_register_201)
{
    static const char *const tenant[] = {"t-1"}, *const user[] = {"u-1", "ann@example.com"};
    const struct dbs_table rows[] = {{1, 1, tenant, 0}, {1, 2, user, 0}};
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/register");
    ht_body(&t, REGISTER_BODY);
    dbs_reply_ok(reg_ok, 2);
    dbs_reply_ok(rows, 2);
    ht_run(&t, auth_register, 201);
    ck_assert_uint_eq(dbs_calls(), 2);
    ck_assert_str_eq(dbs_call_param(0, 0, 0), "192.0.2.1"); /* counted against the address */
    ck_assert_str_eq(dbs_call_ns(1), "acme"); /* scoped to the new tenant (RLS WITH CHECK) */
    ck_assert_int_eq(dbs_call_nstmts(1), 3);  /* tenant, user, refresh token: one transaction */
    /* kept as sent: the statement applies lower(), the one normalisation */
    ck_assert_str_eq(dbs_call_param(1, 1, 0), "Ann@Example.com");
    ck_assert_ptr_nonnull(
        strstr(dbs_call_param(1, 1, 2), "pbkdf2")); /* a hash, never the password */
    const char *refresh = ht_str(&t, "refresh_token");
    ck_assert_ptr_nonnull(refresh);
    ck_assert_uint_eq(strlen(dbs_call_param(1, 2, 0)), 64); /* only its SHA-256 is stored */
    ck_assert_ptr_null(strstr(dbs_call_param(1, 2, 0), refresh));
    ck_assert_str_eq(t.res.location, "/api/v1/auth/me");
    ck_assert_ptr_nonnull(ht_str(&t, "access_token"));
    json_t *u = json_object_get(t.doc, "user");
    ck_assert_str_eq(json_string_value(json_object_get(u, "namespace")), "acme");
    ck_assert_str_eq(json_string_value(json_object_get(u, "id")), "u-1");
    ht_done(&t);
}
END_TEST

START_TEST(test_auth_register_409_taken)
{
    static const char *const constraints[] = {"users_email_key", "tenants_pkey"};
    static const char *const words[] = {"email is already registered", "namespace is already taken"};
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/register");
    ht_body(&t, REGISTER_BODY);
    dbs_reply_ok(reg_ok, 2);
    dbs_reply_error(DB_ERR_UNIQUE, constraints[_i]);
    ht_run(&t, auth_register, 409);
    ck_assert_ptr_nonnull(strstr(ht_str(&t, "detail"), words[_i]));
    ht_done(&t);
}
END_TEST

START_TEST(test_auth_register_503)
{
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/register");
    ht_body(&t, REGISTER_BODY);
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, auth_register, 503);
    ck_assert_int_eq(t.res.retry_after, 2);
    ht_done(&t);
}
END_TEST

/* The address has used up its registrations: 429 before any hashing or insert. */
START_TEST(test_auth_register_429_before_hashing)
{
    static const char *const wait[] = {"1800"};
    const struct dbs_table throttled[] = {{1, 1, wait, 0}, {0, 0, NULL, 0}};
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/register");
    ht_body(&t, REGISTER_BODY);
    dbs_reply_ok(throttled, 2);
    ht_run(&t, auth_register, 429);
    ck_assert_int_eq(t.res.retry_after, 1800);
    ck_assert_uint_eq(dbs_calls(), 1); /* nothing inserted, no password hashed */
    ht_done(&t);
}
END_TEST

/* Register and login count an IPv6 client by its /64 (issue 20). */
START_TEST(test_auth_throttles_ipv6_by_64)
{
    static const char *const wait[] = {"1800"};
    const struct dbs_table reg_throttled[] = {{1, 1, wait, 0}, {0, 0, NULL, 0}};
    static const char *const login_wait[] = {"42", "0"};
    const struct dbs_table login_throttled[] = {{0, 0, NULL, 0}, {1, 2, login_wait, 0}};
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/register");
    ht_body(&t, REGISTER_BODY);
    t.req.client_ip = "2001:db8:1:2::99";
    dbs_reply_ok(reg_throttled, 2);
    ht_run(&t, auth_register, 429);
    ck_assert_str_eq(dbs_call_param(0, 0, 0), "2001:db8:1:2::/64");
    ht_done(&t);

    ht_init(&t, "POST", "/api/v1/auth/login");
    ht_body(&t, LOGIN_BODY);
    t.req.client_ip = "::ffff:192.0.2.7"; /* IPv4-mapped stays its IPv4 */
    dbs_reply_ok(login_throttled, 2);
    ht_run(&t, auth_login, 429);
    ck_assert_str_eq(dbs_call_param(0, 1, 2), "192.0.2.7");
    ht_done(&t);
}
END_TEST

struct bad_register {
    const char *content_type, *body;
    int status;
    const char *field;
};

static const struct bad_register bad_registers[] = {
    {"text/plain", REGISTER_BODY, 415, NULL},
    {"application/json", "not json", 400, NULL},
    {"application/json", "{\"password\":\"correct horse\",\"namespace\":\"acme\"}", 422, "email"},
    {"application/json",
     "{\"email\":\"a@example.com\",\"password\":\"short\",\"namespace\":\"acme\"}", 422, "password"},
    {"application/json", "{\"email\":\"a@example.com\",\"password\":\"correct horse\"}", 422,
     "namespace"},
    {"application/json",
     "{\"email\":\"a@example.com\",\"password\":\"correct horse\",\"namespace\":\"Ac/me\"}", 422,
     "namespace"},
    {"application/json",
     "{\"email\":\"nobody\",\"password\":\"correct horse\",\"namespace\":\"acme\"}", 422, "email"},
};

START_TEST(test_auth_register_bad_input_never_asks)
{
    const struct bad_register *b = &bad_registers[_i];
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/register");
    ht_body(&t, b->body);
    t.req.content_type = b->content_type;
    ht_run(&t, auth_register, b->status);
    if (b->field != NULL)
        ck_assert_msg(ht_field_error(&t, b->field), "%s: no error for %s", b->body, b->field);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ login */

/* throttle_reserve's reply: the advisory locks, the verdict row (seconds to wait, slots
 * taken), the prune. */
static const char *const not_throttled[] = {"0", "2"};
static const struct dbs_table throttle_ok[] = {{0, 0, NULL, 0}, {1, 2, not_throttled, 0}};

START_TEST(test_auth_login_200)
{
    char hash[PASSWORD_HASH_SIZE];
    ck_assert_int_eq(password_hash("correct horse", 13, hash, sizeof hash), 0);
    const char *user[] = {"u-1", "acme", "ann@example.com", hash, "t-1"};
    const struct dbs_table login[] = {{1, 1, NULL, 0}, {1, 1, NULL, 0}, {1, 5, user, 0}};
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/login");
    ht_body(&t, LOGIN_BODY);
    dbs_reply_ok(throttle_ok, 2);
    dbs_reply_ok(login, 3);
    dbs_reply_ok(NULL, 0); /* the email's failures are cleared, the address's slot given back */
    if (_i == 1)
        dbs_reply_error(DB_ERR_UNAVAILABLE, NULL); /* the refresh token cannot be stored */
    else
        dbs_reply_ok(NULL, 0);
    ht_run(&t, auth_login, _i == 1 ? 503 : 200);
    ck_assert_uint_eq(dbs_calls(), 4);
    ck_assert_uint_eq(dbs_unscripted(), 0);
    ck_assert_str_eq(dbs_call_ns(3), "acme"); /* the session is stored in the user's tenant */
    if (_i == 1) {
        ck_assert_ptr_null(ht_str(&t, "access_token"));
        ht_done(&t);
        return;
    }
    ck_assert_ptr_nonnull(ht_str(&t, "access_token"));
    ck_assert_ptr_nonnull(ht_str(&t, "refresh_token"));
    ck_assert_str_eq(ht_str(&t, "token_type"), "bearer");
    json_t *u = json_object_get(t.doc, "user");
    ck_assert_str_eq(json_string_value(json_object_get(u, "namespace")), "acme");
    ht_done(&t);
}
END_TEST

START_TEST(test_auth_login_401_counts_the_failure)
{
    char hash[PASSWORD_HASH_SIZE];
    ck_assert_int_eq(password_hash("another secret", 14, hash, sizeof hash), 0);
    const char *user[] = {"u-1", "acme", "ann@example.com", hash, "t-1"};
    const struct dbs_table wrong_pw[] = {{0, 0, NULL, 0}, {0, 0, NULL, 0}, {1, 5, user, 0}};
    const struct dbs_table no_user[] = {{0, 0, NULL, 0}, {0, 0, NULL, 0}, {0, 5, NULL, 0}};
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/login");
    ht_body(&t, LOGIN_BODY);
    dbs_reply_ok(throttle_ok, 2);
    dbs_reply_ok(_i == 0 ? wrong_pw : no_user, 3);
    ht_run(&t, auth_login, 401);
    /* one answer for both causes: the response must not tell which emails exist */
    ck_assert_str_eq(ht_str(&t, "detail"), "invalid email or password");
    /* the failure was counted when its slot was taken, before hashing: nothing after */
    ck_assert_uint_eq(dbs_calls(), 2);
    ck_assert_uint_eq(dbs_unscripted(), 0);
    ck_assert_str_eq(dbs_call_param(0, 1, 0), "email");           /* the slot is taken for */
    ck_assert_str_eq(dbs_call_param(0, 1, 1), "ann@example.com"); /* the email (lower() in SQL) */
    ck_assert_str_eq(dbs_call_param(0, 1, 2), "192.0.2.1");       /* and the address */
    ht_done(&t);
}
END_TEST

START_TEST(test_auth_login_429_before_hashing)
{
    static const char *const wait[] = {"42", "0"};
    const struct dbs_table throttled[] = {{0, 0, NULL, 0}, {1, 2, wait, 0}};
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/login");
    ht_body(&t, LOGIN_BODY);
    dbs_reply_ok(throttled, 2);
    ht_run(&t, auth_login, 429);
    ck_assert_int_eq(t.res.retry_after, 42);
    ck_assert_uint_eq(dbs_calls(), 1); /* the user was never read, no password hashed */
    ht_done(&t);
}
END_TEST

START_TEST(test_auth_login_503)
{
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/login");
    ht_body(&t, LOGIN_BODY);
    if (_i == 1)
        dbs_reply_ok(throttle_ok, 2); /* the throttle answers, reading the user fails */
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, auth_login, 503);
    ck_assert_int_eq(t.res.retry_after, 2);
    ht_done(&t);
}
END_TEST

START_TEST(test_auth_login_422_never_asks)
{
    struct ht t;
    ht_init(&t, "POST", "/api/v1/auth/login");
    ht_body(&t, "{\"email\":\"ann@example.com\"}");
    ht_run(&t, auth_login, 422);
    ck_assert(ht_field_error(&t, "password"));
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ me */

START_TEST(test_auth_me)
{
    static const char *const tenant[] = {"t-1"};
    const struct dbs_table found = {1, 1, tenant, 0}, none = {0, 1, NULL, 0};
    struct ht t;
    ht_init(&t, "GET", "/api/v1/auth/me");
    ht_as(&t, "acme");
    dbs_reply_ok(&found, 1);
    ht_run(&t, auth_me, 200);
    ck_assert_str_eq(dbs_call_ns(0), "acme");
    ck_assert_str_eq(ht_str(&t, "tenant_id"), "t-1");
    ck_assert_str_eq(ht_str(&t, "namespace"), "acme");
    ht_done(&t);

    ht_init(&t, "GET", "/api/v1/auth/me"); /* a service token: no tenant row */
    ht_as(&t, "svc");
    dbs_reply_ok(&none, 1);
    ht_run(&t, auth_me, 200);
    ck_assert(json_is_null(json_object_get(t.doc, "tenant_id")));
    ht_done(&t);
}
END_TEST

START_TEST(test_auth_me_401_and_503)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/auth/me");
    ht_run(&t, auth_me, 401);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);

    ht_init(&t, "GET", "/api/v1/auth/me");
    ht_as(&t, "acme");
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, auth_me, 503);
    ht_done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_auth");
    TCase *tc = tcase_create("register");
    tcase_set_timeout(tc, 60); /* each register hashes a password (PBKDF2, on purpose slow) */
    tcase_add_test(tc, test_auth_register_201);
    tcase_add_loop_test(tc, test_auth_register_409_taken, 0, 2);
    tcase_add_test(tc, test_auth_register_503);
    tcase_add_test(tc, test_auth_register_429_before_hashing);
    tcase_add_test(tc, test_auth_throttles_ipv6_by_64);
    tcase_add_loop_test(tc, test_auth_register_bad_input_never_asks, 0,
                        (int)(sizeof bad_registers / sizeof bad_registers[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("login");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_auth_login_200, 0, 2);
    tcase_add_loop_test(tc, test_auth_login_401_counts_the_failure, 0, 2);
    tcase_add_test(tc, test_auth_login_429_before_hashing);
    tcase_add_loop_test(tc, test_auth_login_503, 0, 2);
    tcase_add_test(tc, test_auth_login_422_never_asks);
    suite_add_tcase(s, tc);
    tc = tcase_create("me");
    tcase_add_test(tc, test_auth_me);
    tcase_add_test(tc, test_auth_me_401_and_503);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
