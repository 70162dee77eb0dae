/* Unit tests for server/handlers/auth_parse.c, the input side of the auth handlers: JSON and
 * form logins, registration validation with every field error reported (the email rule itself
 * is tests/unit/server/core/test_email.c).
 * Requests are plain structs; no socket, no database. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/handlers/auth_parse.h"
#include "server/http/http_model.h"
#include "server/core/password.h"

#define FORM "application/x-www-form-urlencoded"
#define JSON "application/json"

static struct http_req make_req(const char *content_type, const char *body)
{
    struct http_req req;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/api/v1/auth/login";
    req.content_type = content_type;
    req.body = body;
    req.body_len = strlen(body);
    req.client_ip = "127.0.0.1";
    return req;
}

/* 1 when res carries a 422 field error for field, else 0. */
static int has_field_error(const struct http_res *res, const char *field)
{
    size_t i;
    json_t *e;
    if (res->err != APP_ERR_VALIDATION || res->errors == NULL)
        return 0;
    json_array_foreach(res->errors, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ login */

START_TEST(test_auth_parse_login_json)
{
    struct http_req req = make_req(JSON,
                                   "{\"email\":\"Alice@Example.COM\",\"password\":\"s3cret\"}");
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    ck_assert_int_eq(auth_parse_login(&req, &in, &res), 0);
    ck_assert_int_eq(res.err, APP_OK);
    /* kept as sent: the database's lower() is the one normalisation (server/throttle.h) */
    ck_assert_str_eq(in.email, "Alice@Example.COM");
    ck_assert_uint_eq(in.password_len, 6);
    ck_assert_mem_eq(in.password, "s3cret", 6);
    auth_input_free(&in);
    ck_assert_ptr_null(in.password);
    auth_input_free(&in); /* twice is fine */
    http_res_free(&res);
}
END_TEST

START_TEST(test_auth_parse_login_json_without_content_type)
{
    struct http_req req = make_req(NULL, "{\"email\":\"a@b.co\",\"password\":\"pw\"}");
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    /* Short passwords still log in: the minimum applies when one is chosen, not after. */
    ck_assert_int_eq(auth_parse_login(&req, &in, &res), 0);
    ck_assert_str_eq(in.email, "a@b.co");
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

START_TEST(test_auth_parse_login_form)
{
    /* What an OAuth2 password-grant client sends. */
    struct http_req req = make_req(FORM "; charset=UTF-8",
                                   "grant_type=password&username=Bob%40Example.org"
                                   "&password=p%40ss+w%C3%B6rd%26%3D&scope=&client_id=ui");
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    ck_assert_int_eq(auth_parse_login(&req, &in, &res), 0);
    ck_assert_str_eq(in.email, "Bob@Example.org");
    ck_assert_str_eq(in.password, "p@ss w\xc3\xb6rd&=");
    ck_assert_uint_eq(in.password_len, strlen("p@ss w\xc3\xb6rd&="));
    auth_input_free(&in);
    http_res_free(&res);

    /* email= works as well as username=, the content type is case-insensitive. */
    req = make_req("Application/X-WWW-Form-Urlencoded", "password=12345678&email=c%40d.io");
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_int_eq(auth_parse_login(&req, &in, &res), 0);
    ck_assert_str_eq(in.email, "c@d.io");
    ck_assert_str_eq(in.password, "12345678");
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

/* Found by fuzz_form: a raw NUL byte inside a form value was kept, and the value, read as C
 * text, stopped there ("password=a\0b" was taken as "a"). Such a body is malformed: 400. */
START_TEST(test_auth_parse_login_form_raw_nul)
{
    static const char body[] = "username=a%40b.co&password=long-enough\0-but-cut";
    struct http_req req = make_req(FORM, "");
    req.body = body;
    req.body_len = sizeof body - 1;
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    ck_assert_int_eq(auth_parse_login(&req, &in, &res), -1);
    ck_assert_int_eq(res.err, APP_ERR_BAD_REQUEST);
    ck_assert_ptr_null(in.password);
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

struct bad_login {
    const char *content_type;
    const char *body;
    enum app_err err;
    const char *field; /* for 422: a field that must be named */
};

static const struct bad_login bad_logins[] = {
    {JSON, "", APP_ERR_BAD_REQUEST, NULL},
    {JSON, "not json", APP_ERR_BAD_REQUEST, NULL},
    {JSON, "{\"email\":\"a@b.co\",", APP_ERR_BAD_REQUEST, NULL},
    {"text/plain", "{\"email\":\"a@b.co\",\"password\":\"x\"}", APP_ERR_UNSUPPORTED_MEDIA, NULL},
    {JSON, "[\"a@b.co\",\"pw\"]", APP_ERR_VALIDATION, "body"},
    {JSON, "{\"password\":\"secret123\"}", APP_ERR_VALIDATION, "email"},
    {JSON, "{\"email\":\"a@b.co\"}", APP_ERR_VALIDATION, "password"},
    {JSON, "{\"email\":\"\",\"password\":\"secret123\"}", APP_ERR_VALIDATION, "email"},
    {JSON, "{\"email\":\"a@b.co\",\"password\":\"\"}", APP_ERR_VALIDATION, "password"},
    {JSON, "{\"email\":42,\"password\":\"secret123\"}", APP_ERR_VALIDATION, "email"},
    {JSON, "{\"email\":\"a@b.co\",\"password\":[\"x\"]}", APP_ERR_VALIDATION, "password"},
    {JSON, "{\"email\":\"a@b.co\",\"password\":true}", APP_ERR_VALIDATION, "password"},
    {JSON, "{\"email\":\"a@b.co\",\"password\":\"x\",\"password\":\"y\"}", APP_ERR_BAD_REQUEST,
     NULL},
    {FORM, "username=a%40b.co", APP_ERR_VALIDATION, "password"},
    {FORM, "password=secret123", APP_ERR_VALIDATION, "username"},
    {FORM, "", APP_ERR_VALIDATION, "username"},
    {FORM, "username=a%40b.co&password=", APP_ERR_VALIDATION, "password"},
    {FORM, "username=a%40b.co&password=one&password=two", APP_ERR_VALIDATION, "password"},
    {FORM, "username=a%40b.co&email=c%40d.co&password=x", APP_ERR_VALIDATION, "email"},
    {FORM, "username=a%40b.co&password=%zz", APP_ERR_BAD_REQUEST, NULL},
    {FORM, "username=a%40b.co&password=ab%00cd", APP_ERR_BAD_REQUEST, NULL},
    {FORM, "username=a%40b.co&password=abc%4", APP_ERR_BAD_REQUEST, NULL},
    {FORM, "password=one&password=two&username=%zz", APP_ERR_BAD_REQUEST, NULL},
    /* bytes that are not UTF-8 never reach the database */
    {FORM, "username=a%FF%40b.co&password=secret123", APP_ERR_VALIDATION, "username"},
    {FORM, "username=a%40b.co&password=secret%C3", APP_ERR_VALIDATION, "password"},
    {FORM, "username=a%40b.co&password=%ED%A0%80surrogate", APP_ERR_VALIDATION, "password"},
};

START_TEST(test_auth_parse_login_refusals)
{
    const struct bad_login *c = &bad_logins[_i];
    struct http_req req = make_req(c->content_type, c->body);
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    ck_assert_msg(auth_parse_login(&req, &in, &res) == -1, "accepted: %s", c->body);
    ck_assert_msg(res.err == c->err, "%s: err %d, want %d", c->body, res.err, c->err);
    if (c->field != NULL)
        ck_assert_msg(has_field_error(&res, c->field), "%s: no error for %s", c->body, c->field);
    else
        ck_assert_msg(res.errors == NULL, "%s: a %d with field errors", c->body, res.err);
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

START_TEST(test_auth_parse_login_lengths)
{
    char body[4096];
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    char pw[PASSWORD_MAX_LEN + 2];

    memset(pw, 'p', sizeof pw - 1);
    pw[PASSWORD_MAX_LEN] = '\0'; /* exactly the maximum: accepted */
    snprintf(body, sizeof body, "{\"email\":\"a@b.co\",\"password\":\"%s\"}", pw);
    struct http_req req = make_req(JSON, body);
    ck_assert_int_eq(auth_parse_login(&req, &in, &res), 0);
    ck_assert_uint_eq(in.password_len, PASSWORD_MAX_LEN);
    auth_input_free(&in);
    http_res_free(&res);

    pw[PASSWORD_MAX_LEN] = 'p'; /* one byte more: refused */
    pw[PASSWORD_MAX_LEN + 1] = '\0';
    snprintf(body, sizeof body, "{\"email\":\"a@b.co\",\"password\":\"%s\"}", pw);
    req = make_req(JSON, body);
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_int_eq(auth_parse_login(&req, &in, &res), -1);
    ck_assert(has_field_error(&res, "password"));
    auth_input_free(&in);
    http_res_free(&res);

    char email[300];
    memset(email, 'e', 255);
    memcpy(email + 250, "@b.co", 6); /* 255 bytes */
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"secret123\"}", email);
    req = make_req(JSON, body);
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_int_eq(auth_parse_login(&req, &in, &res), -1);
    ck_assert(has_field_error(&res, "email"));
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

/* ------------------------------------------------------------------ register */

START_TEST(test_auth_parse_register_ok)
{
    struct http_req req =
        make_req(JSON, "{\"email\":\"Founder@Acme.IO\",\"password\":\"longenough\","
                       "\"namespace\":\"acme-1\",\"tenant_name\":\"Acme \xc3\x89tudes\"}");
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    ck_assert_int_eq(auth_parse_register(&req, &in, &res), 0);
    ck_assert_str_eq(in.email, "Founder@Acme.IO");
    ck_assert_str_eq(in.ns, "acme-1");
    ck_assert_str_eq(in.tenant_name, "Acme \xc3\x89tudes");
    ck_assert_str_eq(in.password, "longenough");
    auth_input_free(&in);
    http_res_free(&res);

    /* tenant_name is optional (absent or null): the handler then uses the namespace. */
    req = make_req(JSON, "{\"email\":\"a@b.co\",\"password\":\"longenough\",\"namespace\":\"b\","
                         "\"tenant_name\":null,\"extra\":1}");
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_int_eq(auth_parse_register(&req, &in, &res), 0);
    ck_assert_str_eq(in.tenant_name, "");
    auth_input_free(&in);
    http_res_free(&res);

    /* Eight characters, sixteen bytes: the minimum counts characters. */
    req = make_req(JSON, "{\"email\":\"a@b.co\",\"namespace\":\"b\",\"password\":"
                         "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}");
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_int_eq(auth_parse_register(&req, &in, &res), 0);
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

START_TEST(test_auth_parse_register_reports_every_field)
{
    struct http_req req = make_req(JSON, "{\"email\":\"not-an-email\",\"password\":\"short\","
                                         "\"namespace\":\"Bad NS\",\"tenant_name\":\"\"}");
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    ck_assert_int_eq(auth_parse_register(&req, &in, &res), -1);
    ck_assert_int_eq(res.err, APP_ERR_VALIDATION);
    ck_assert(has_field_error(&res, "email"));
    ck_assert(has_field_error(&res, "password"));
    ck_assert(has_field_error(&res, "namespace"));
    ck_assert(has_field_error(&res, "tenant_name"));
    ck_assert_uint_eq(json_array_size(res.errors), 4);
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

struct bad_register {
    const char *body;
    const char *field; /* NULL: 400 (not JSON) */
};

#define OKPW "\"password\":\"longenough\""
#define OKNS "\"namespace\":\"acme\""
#define OKEM "\"email\":\"a@b.co\""

static const struct bad_register bad_registers[] = {
    {"", NULL},
    {"{", NULL},
    {"{" OKPW "," OKNS "}", "email"},
    {"{" OKEM "," OKNS "}", "password"},
    {"{" OKEM "," OKPW "}", "namespace"},
    {"{\"email\":[]," OKPW "," OKNS "}", "email"},
    {"{" OKEM ",\"password\":12345678," OKNS "}", "password"},
    {"{" OKEM "," OKPW ",\"namespace\":1}", "namespace"},
    {"{" OKEM "," OKPW "," OKNS ",\"tenant_name\":5}", "tenant_name"},
    {"{" OKEM ",\"password\":\"1234567\"," OKNS "}", "password"},
    {"{" OKEM ",\"password\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"," OKNS "}",
     "password"},
    {"{" OKEM "," OKPW ",\"namespace\":\"\"}", "namespace"},
    {"{" OKEM "," OKPW ",\"namespace\":\"-acme\"}", "namespace"},
    {"{" OKEM "," OKPW ",\"namespace\":\"acme.io\"}", "namespace"},
    {"{" OKEM "," OKPW ",\"namespace\":\"ACME\"}", "namespace"},
    {"{" OKEM "," OKPW ",\"namespace\":\"a\\u0000b\"}", NULL}, /* jansson refuses \u0000 */
    {"{" OKEM "," OKPW "," OKNS ",\"tenant_name\":\"   \"}", "tenant_name"},
    {"{" OKEM "," OKPW "," OKNS ",\"tenant_name\":\"a\\nb\"}", "tenant_name"},
    {"{\"email\":\"a@b\"," OKPW "," OKNS "}", "email"},
    {"{\"email\":\"@b.co\"," OKPW "," OKNS "}", "email"},
    {"{\"email\":\"a b@c.co\"," OKPW "," OKNS "}", "email"},
};

START_TEST(test_auth_parse_register_refusals)
{
    const struct bad_register *c = &bad_registers[_i];
    struct http_req req = make_req(JSON, c->body);
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    ck_assert_msg(auth_parse_register(&req, &in, &res) == -1, "accepted: %s", c->body);
    if (c->field == NULL)
        ck_assert_int_eq(res.err, APP_ERR_BAD_REQUEST);
    else
        ck_assert_msg(has_field_error(&res, c->field), "%s: no error for %s", c->body, c->field);
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

START_TEST(test_auth_parse_register_tenant_name_length)
{
    /* 200 characters of 2 bytes each: accepted; 201: refused. */
    char name[2 * 201 + 1], body[1024];
    for (int i = 0; i < 201; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    name[400] = '\0';
    snprintf(body, sizeof body, "{" OKEM "," OKPW "," OKNS ",\"tenant_name\":\"%s\"}", name);
    struct http_req req = make_req(JSON, body);
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    ck_assert_int_eq(auth_parse_register(&req, &in, &res), 0);
    ck_assert_str_eq(in.tenant_name, name);
    auth_input_free(&in);
    http_res_free(&res);

    name[400] = '\xc3'; /* restore the 201st character */
    name[402] = '\0';
    snprintf(body, sizeof body, "{" OKEM "," OKPW "," OKNS ",\"tenant_name\":\"%s\"}", name);
    req = make_req(JSON, body);
    res = (struct http_res)HTTP_RES_INIT;
    ck_assert_int_eq(auth_parse_register(&req, &in, &res), -1);
    ck_assert(has_field_error(&res, "tenant_name"));
    auth_input_free(&in);
    http_res_free(&res);
}
END_TEST

static Suite *auth_parse_suite(void)
{
    Suite *s = suite_create("auth_parse");
    TCase *tc = tcase_create("login");
    tcase_add_test(tc, test_auth_parse_login_json);
    tcase_add_test(tc, test_auth_parse_login_json_without_content_type);
    tcase_add_test(tc, test_auth_parse_login_form);
    tcase_add_test(tc, test_auth_parse_login_form_raw_nul);
    tcase_add_loop_test(tc, test_auth_parse_login_refusals, 0,
                        (int)(sizeof bad_logins / sizeof bad_logins[0]));
    tcase_add_test(tc, test_auth_parse_login_lengths);
    suite_add_tcase(s, tc);
    tc = tcase_create("register");
    tcase_add_test(tc, test_auth_parse_register_ok);
    tcase_add_test(tc, test_auth_parse_register_reports_every_field);
    tcase_add_loop_test(tc, test_auth_parse_register_refusals, 0,
                        (int)(sizeof bad_registers / sizeof bad_registers[0]));
    tcase_add_test(tc, test_auth_parse_register_tenant_name_length);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(auth_parse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
