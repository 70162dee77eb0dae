/* Unit tests for the token endpoint's input side (server/handlers/token.h) and the secret
 * helpers (server/session.h): form and JSON bodies, HTTP Basic client credentials (RFC 6749
 * 2.3.1 form-encoding, malformed values), the RFC 6749 5.2 error shapes, and the error paths
 * of the handlers that are decided before any database work. No socket, no database. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/config.h"
#include "server/handlers/token.h"
#include "server/http/http.h"
#include "server/core/session.h"

#define FORM "application/x-www-form-urlencoded"
#define JSON "application/json"

static struct http_req make_req(const char *content_type, const char *body, const char *authz)
{
    struct http_req req;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/api/v1/auth/token";
    req.content_type = content_type;
    req.body = body;
    req.body_len = strlen(body);
    req.authorization = authz;
    req.client_ip = "127.0.0.1";
    return req;
}

/* The "error" member of an RFC 6749 answer in res, or "" when res is not one. */
static const char *oauth_error(const struct http_res *res, char *buf, size_t size)
{
    json_t *doc = res->body ? json_loadb(res->body, res->body_len, 0, NULL) : NULL;
    const char *e = json_string_value(json_object_get(doc, "error"));
    snprintf(buf, size, "%s", e ? e : "");
    if (doc != NULL)
        ck_assert_ptr_nonnull(json_string_value(json_object_get(doc, "error_description")));
    json_decref(doc);
    return buf;
}

static void expect_oauth(const struct http_res *res, int status, const char *error)
{
    char buf[64];
    ck_assert_int_eq(res->err, APP_OK); /* rendered as JSON, not problem+json */
    ck_assert_int_eq(res->status, status);
    ck_assert_str_eq(oauth_error(res, buf, sizeof buf), error);
    if (status == 401)
        ck_assert_ptr_nonnull(strstr(res->www_authenticate, "Basic"));
    else
        ck_assert_ptr_null(res->www_authenticate);
}

/* ------------------------------------------------------------------ parsing */

START_TEST(test_token_parse_form)
{
    struct http_req req = make_req(FORM "; charset=utf-8",
                                   "grant_type=refresh_token&refresh_token=abc%2Dd&scope=x&other",
                                   NULL);
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), 0);
    ck_assert_str_eq(in.grant_type, "refresh_token");
    ck_assert_str_eq(in.refresh_token, "abc-d"); /* decoded once */
    ck_assert_ptr_null(in.client_id);
    ck_assert_int_eq(in.basic, 0);
    token_input_free(&in);
    token_input_free(&in); /* twice is fine */
    http_res_free(&res);
}
END_TEST

START_TEST(test_token_parse_json)
{
    struct http_req req = make_req(JSON,
                                   "{\"grant_type\":\"client_credentials\",\"client_id\":\"c1\","
                                   "\"client_secret\":\"s\",\"scope\":[1]}",
                                   NULL);
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), 0);
    ck_assert_str_eq(in.grant_type, "client_credentials");
    ck_assert_str_eq(in.client_id, "c1");
    ck_assert_str_eq(in.client_secret, "s");
    token_input_free(&in);
    http_res_free(&res);
}
END_TEST

/* Each body must fail with 400 invalid_request. */
static const struct {
    const char *ct, *body;
} BAD_BODIES[] = {
    {FORM, "grant_type=refresh_token&grant_type=refresh_token"}, /* RFC 6749 3.2: once each */
    {FORM, "grant_type=refresh_token&refresh_token=%zz"},
    {FORM, "grant_type=refresh_token&refresh_token=%00"},
    {JSON, "[\"grant_type\"]"},
    {JSON, "{\"grant_type\":\"refresh_token\",\"grant_type\":\"refresh_token\"}"},
    {JSON, "{\"grant_type\":7}"},
    {JSON, "{\"refresh_token\":null}"},
    {JSON, "{\"refresh_token\":\"a\\u0000b\"}"},
    {NULL, "{not json"},
};

START_TEST(test_token_parse_bad_bodies)
{
    struct http_req req = make_req(BAD_BODIES[_i].ct, BAD_BODIES[_i].body, NULL);
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), -1);
    expect_oauth(&res, 400, "invalid_request");
    token_input_free(&in);
    http_res_free(&res);
}
END_TEST

/* A raw NUL in a form value would otherwise cut the value short without a word. */
START_TEST(test_token_parse_raw_nul_in_form)
{
    static const char body[] = "grant_type=refresh_token\0x&refresh_token=y";
    struct http_req req = make_req(FORM, body, NULL);
    req.body_len = sizeof body - 1;
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), -1);
    expect_oauth(&res, 400, "invalid_request");
    token_input_free(&in);
    http_res_free(&res);
}
END_TEST

START_TEST(test_token_parse_other_media_type_is_415)
{
    struct http_req req = make_req("text/plain", "grant_type=refresh_token", NULL);
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), -1);
    ck_assert_int_eq(res.err, APP_ERR_UNSUPPORTED_MEDIA);
    token_input_free(&in);
    http_res_free(&res);
}
END_TEST

START_TEST(test_token_parse_basic)
{
    /* "cl_a-1:s3cr-et_" */
    struct http_req req = make_req(FORM, "grant_type=client_credentials",
                                   "Basic Y2xfYS0xOnMzY3ItZXRf");
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), 0);
    ck_assert_int_eq(in.basic, 1);
    ck_assert_str_eq(in.client_id, "cl_a-1");
    ck_assert_str_eq(in.client_secret, "s3cr-et_");
    token_input_free(&in);
    http_res_free(&res);
}
END_TEST

/* RFC 6749 2.3.1: the client form-encodes id and secret before base64. */
START_TEST(test_token_parse_basic_form_encoded)
{
    /* "cl%5Fa:s%2D1" */
    struct http_req req = make_req(FORM, "grant_type=client_credentials",
                                   "basic   Y2wlNUZhOnMlMkQx");
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), 0);
    ck_assert_str_eq(in.client_id, "cl_a");
    ck_assert_str_eq(in.client_secret, "s-1");
    token_input_free(&in);
    http_res_free(&res);
}
END_TEST

START_TEST(test_token_parse_bearer_header_is_not_client_auth)
{
    struct http_req req = make_req(FORM,
                                   "grant_type=client_credentials&client_id=a&client_secret=b",
                                   "Bearer x.y.z");
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), 0);
    ck_assert_int_eq(in.basic, 0);
    ck_assert_str_eq(in.client_id, "a");
    token_input_free(&in);
    http_res_free(&res);
}
END_TEST

static const char *const BAD_BASIC[] = {
    "Basic !!!!",         /* not base64 */
    "Basic bm9jb2xvbg==", /* "nocolon" */
    "Basic ",             /* empty */
    "Basic YQ",           /* "a": no colon */
    "Basic JTpa",         /* "%:Z": bad escape */
    "Basic A",            /* a lone sextet */
    "Basic YQBiOmM=",     /* "a\0b:c": a NUL inside */
};

START_TEST(test_token_parse_bad_basic_is_invalid_client)
{
    struct http_req req = make_req(FORM, "grant_type=client_credentials", BAD_BASIC[_i]);
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), -1);
    expect_oauth(&res, 401, "invalid_client");
    token_input_free(&in);
    http_res_free(&res);
}
END_TEST

START_TEST(test_token_parse_two_auth_methods)
{
    struct http_req req = make_req(FORM, "grant_type=client_credentials&client_secret=s",
                                   "Basic Y2xfYS0xOnMzY3ItZXRf");
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;
    ck_assert_int_eq(token_parse(&req, &in, &res), -1);
    expect_oauth(&res, 400, "invalid_request");
    token_input_free(&in);
    http_res_free(&res);

    struct http_req req2 = make_req(FORM, "grant_type=client_credentials&client_id=other",
                                    "Basic Y2xfYS0xOnMzY3ItZXRf");
    struct http_res res2 = HTTP_RES_INIT;
    ck_assert_int_eq(token_parse(&req2, &in, &res2), -1);
    expect_oauth(&res2, 400, "invalid_request");
    token_input_free(&in);
    http_res_free(&res2);
}
END_TEST

/* ------------------------------------------------------------------ handlers, before the database */

static struct cfg test_cfg;

static void run_grant(const char *ct, const char *body, const char *authz, struct http_res *res)
{
    struct http_req req = make_req(ct, body, authz);
    req.cfg = &test_cfg;
    req.db = NULL; /* nothing here may reach the database */
    token_grant(&req, res);
}

START_TEST(test_token_grant_errors_before_the_database)
{
    static const struct {
        const char *ct, *body;
        int status;
        const char *error;
    } cases[] = {
        {FORM, "grant_type=password&username=a&password=b", 400, "unsupported_grant_type"},
        {FORM, "refresh_token=x", 400, "invalid_request"},
        {JSON, "", 400, "invalid_request"},
        {FORM, "grant_type=refresh_token", 400, "invalid_request"},
        {FORM, "grant_type=client_credentials&client_id=a", 401, "invalid_client"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_res res = HTTP_RES_INIT;
        run_grant(cases[i].ct, cases[i].body, NULL, &res);
        expect_oauth(&res, cases[i].status, cases[i].error);
        http_res_free(&res);
    }
}
END_TEST

START_TEST(test_token_logout_errors_before_the_database)
{
    struct jwt_identity who;
    memset(&who, 0, sizeof who);
    snprintf(who.sub, sizeof who.sub, "00000000-0000-0000-0000-000000000001");
    snprintf(who.ns, sizeof who.ns, "acme");
    static const char *const bodies[] = {"{}", "{\"all\":false}", "{\"all\":1}",
                                         "{\"refresh_token\":5}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct http_req req = make_req(JSON, bodies[i], NULL);
        struct http_res res = HTTP_RES_INIT;
        req.who = &who;
        req.cfg = &test_cfg;
        token_logout(&req, &res);
        ck_assert_msg(res.err == APP_ERR_VALIDATION, "%s: err %d", bodies[i], res.err);
        http_res_free(&res);
    }
    struct http_req req = make_req(JSON, "{\"all\":true}", NULL);
    struct http_res res = HTTP_RES_INIT;
    token_logout(&req, &res); /* no identity */
    ck_assert_int_eq(res.err, APP_ERR_UNAUTHORIZED);
    http_res_free(&res);
}
END_TEST

/* ------------------------------------------------------------------ secrets */

START_TEST(test_session_secret_shape)
{
    char a[SESSION_TOKEN_SIZE], b[SESSION_TOKEN_SIZE];
    ck_assert_int_eq(session_new_secret(a), 0);
    ck_assert_int_eq(session_new_secret(b), 0);
    ck_assert_uint_eq(strlen(a), SESSION_TOKEN_LEN);
    ck_assert(session_token_shaped(a));
    ck_assert_str_ne(a, b);
    ck_assert(!session_token_shaped(""));
    ck_assert(!session_token_shaped("short"));
    ck_assert(!session_token_shaped("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"));  /* '+' */
    ck_assert(!session_token_shaped("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 44 */
    ck_assert(session_token_shaped("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_"));
}
END_TEST

START_TEST(test_session_hash_is_sha256_hex)
{
    char h[SESSION_HASH_SIZE];
    session_hash("abc", 3, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_session_client_id_alphabet)
{
    ck_assert(session_client_id_valid("cl_0123abcdef-XYZ"));
    ck_assert(!session_client_id_valid(""));
    ck_assert(!session_client_id_valid("a:b"));
    ck_assert(!session_client_id_valid("a b"));
    ck_assert(!session_client_id_valid("a%5F"));
    char longid[70];
    memset(longid, 'a', 65);
    longid[65] = '\0';
    ck_assert(!session_client_id_valid(longid));
    longid[64] = '\0';
    ck_assert(session_client_id_valid(longid));
}
END_TEST

static Suite *token_suite(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_token_parse_form);
    tcase_add_test(tc, test_token_parse_json);
    tcase_add_loop_test(tc, test_token_parse_bad_bodies, 0,
                        sizeof BAD_BODIES / sizeof BAD_BODIES[0]);
    tcase_add_test(tc, test_token_parse_raw_nul_in_form);
    tcase_add_test(tc, test_token_parse_other_media_type_is_415);
    tcase_add_test(tc, test_token_parse_basic);
    tcase_add_test(tc, test_token_parse_basic_form_encoded);
    tcase_add_test(tc, test_token_parse_bearer_header_is_not_client_auth);
    tcase_add_loop_test(tc, test_token_parse_bad_basic_is_invalid_client, 0,
                        sizeof BAD_BASIC / sizeof BAD_BASIC[0]);
    tcase_add_test(tc, test_token_parse_two_auth_methods);
    suite_add_tcase(s, tc);
    tc = tcase_create("handlers");
    tcase_add_test(tc, test_token_grant_errors_before_the_database);
    tcase_add_test(tc, test_token_logout_errors_before_the_database);
    suite_add_tcase(s, tc);
    tc = tcase_create("secrets");
    tcase_add_test(tc, test_session_secret_shape);
    tcase_add_test(tc, test_session_hash_is_sha256_hex);
    tcase_add_test(tc, test_session_client_id_alphabet);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    test_cfg.jwt_ttl_s = 3600;
    test_cfg.refresh_ttl_s = 2592000;
    test_cfg.login_window_s = 300;
    SRunner *sr = srunner_create(token_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
