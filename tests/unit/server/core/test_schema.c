/* Unit tests for server/core/schema.c: every keyword of the subset accepted and refused (a
 * table of configs against one spec that uses them all, each with the exact errors[] it must
 * give), spec compilation refusing what the subset lacks, defaults, the secret helpers, and
 * that no message ever quotes the value it refused. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/schema.h"

static const char SPEC[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
    "\"title\":\"t\",\"description\":\"d\",\"properties\":{"
    "\"name\":{\"type\":\"string\",\"title\":\"Name\",\"minLength\":2,\"maxLength\":4},"
    "\"port\":{\"type\":\"integer\",\"default\":5432,\"minimum\":1,\"maximum\":65535},"
    "\"mode\":{\"type\":\"string\",\"enum\":[\"on\",\"off\"],\"default\":\"on\"},"
    "\"level\":{\"type\":\"integer\",\"enum\":[1,2,3]},"
    "\"flag\":{\"type\":\"boolean\",\"default\":false},"
    "\"code\":{\"type\":\"string\",\"pattern\":\"^[a-z]+[0-9]$\"},"
    "\"url\":{\"type\":\"string\",\"format\":\"uri\"},"
    "\"host\":{\"type\":\"string\",\"format\":\"hostname\"},"
    "\"secret\":{\"type\":\"string\",\"writeOnly\":true,\"maxLength\":8}},"
    "\"required\":[\"name\",\"host\"],\"additionalProperties\":false}";

static struct schema *compiled;

static void setup(void)
{
    char err[256] = "";
    json_error_t jerr;
    json_t *spec = json_loads(SPEC, 0, &jerr);
    ck_assert_msg(spec != NULL, "%s", jerr.text);
    compiled = schema_compile(spec, err, sizeof err);
    ck_assert_msg(compiled != NULL, "%s", err);
    json_decref(spec);
}

static void teardown(void)
{
    schema_free(compiled);
    compiled = NULL;
}

/* Validates config (JSON text) and renders its errors as "field: message|field: message". */
static int run(const char *config, char *out, size_t size)
{
    json_error_t jerr;
    json_t *c = json_loads(config, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(c != NULL, "%s: %s", config, jerr.text);
    struct field_errors fe = FIELD_ERRORS_INIT;
    int rc = schema_validate(compiled, c, &fe);
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < fe.n && at < size; i++)
        at += (size_t)snprintf(out + at, size - at, "%s%s: %s", i ? "|" : "", fe.items[i].field,
                               fe.items[i].message);
    ck_assert_msg((rc == 0) == (fe.n == 0), "%s: returned %d with %zu errors", config, rc, fe.n);
    field_errors_free(&fe);
    json_decref(c);
    return rc;
}

/* Each config (host and name filled in unless it says otherwise) and the errors it gives. */
static const struct {
    const char *config, *errors;
} cases[] = {
    /* accepted: each keyword's edges */
    {"{\"name\":\"ab\",\"host\":\"db\"}", ""},
    {"{\"name\":\"abcd\",\"host\":\"db.example.com\",\"port\":1,\"mode\":\"off\",\"level\":3,"
     "\"flag\":true,\"code\":\"abc1\",\"url\":\"https://x.example/p?q=1#f\",\"secret\":\"12345678\"}",
     ""},
    {"{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"host\":\"a\",\"port\":65535}", ""},
    {"{\"name\":\"ab\",\"host\":\"10.0.0.1\",\"code\":\"zz9\",\"url\":\"urn:isbn:0451450523\"}", ""},
    {"{\"name\":\"ab\",\"host\":\"db\",\"secret\":\"\"}", ""},
    /* required */
    {"{}", "config.name: is required|config.host: is required"},
    /* type */
    {"{\"name\":5,\"host\":\"db\"}", "config.name: must be a string"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"port\":\"5432\"}", "config.port: must be an integer"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"port\":5432.0}", "config.port: must be an integer"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"flag\":\"true\"}", "config.flag: must be true or false"},
    {"{\"name\":null,\"host\":\"db\"}", "config.name: must be a string"},
    /* minLength / maxLength in code points */
    {"{\"name\":\"a\",\"host\":\"db\"}", "config.name: must be at least 2 characters"},
    {"{\"name\":\"abcde\",\"host\":\"db\"}", "config.name: must be at most 4 characters"},
    {"{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"host\":\"db\"}",
     "config.name: must be at most 4 characters"},
    /* minimum / maximum */
    {"{\"name\":\"ab\",\"host\":\"db\",\"port\":0}", "config.port: must be at least 1"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"port\":65536}", "config.port: must be at most 65535"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"port\":-9223372036854775808}",
     "config.port: must be at least 1"},
    /* enum, strings and integers */
    {"{\"name\":\"ab\",\"host\":\"db\",\"mode\":\"ON\"}", "config.mode: must be one of: on, off"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"level\":4}", "config.level: must be one of: 1, 2, 3"},
    /* pattern: searched, with anchors where the pattern has them */
    {"{\"name\":\"ab\",\"host\":\"db\",\"code\":\"abc\"}",
     "config.code: must match the pattern ^[a-z]+[0-9]$"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"code\":\"abc1 \"}",
     "config.code: must match the pattern ^[a-z]+[0-9]$"},
    /* format */
    {"{\"name\":\"ab\",\"host\":\"db\",\"url\":\"example.com/x\"}",
     "config.url: must be a URI (RFC 3986) such as https://host/path"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"url\":\"http://a b\"}",
     "config.url: must be a URI (RFC 3986) such as https://host/path"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"url\":\"http://x/%zz\"}",
     "config.url: must be a URI (RFC 3986) such as https://host/path"},
    {"{\"name\":\"ab\",\"host\":\"db\",\"url\":\"http://\xc3\xa9.example\"}",
     "config.url: must be a URI (RFC 3986) such as https://host/path"},
    {"{\"name\":\"ab\",\"host\":\"-db\"}",
     "config.host: must be a host name (RFC 1123) such as db.example.com"},
    {"{\"name\":\"ab\",\"host\":\"db..x\"}",
     "config.host: must be a host name (RFC 1123) such as db.example.com"},
    {"{\"name\":\"ab\",\"host\":\"db_1\"}",
     "config.host: must be a host name (RFC 1123) such as db.example.com"},
    {"{\"name\":\"ab\",\"host\":\"db.\"}",
     "config.host: must be a host name (RFC 1123) such as db.example.com"},
    {"{\"name\":\"ab\",\"host\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
     "config.host: must be a host name (RFC 1123) such as db.example.com"},
    /* additionalProperties: false */
    {"{\"name\":\"ab\",\"host\":\"db\",\"extra\":1,\"more\":{}}",
     "config.extra: is not a setting of this type|config.more: is not a setting of this type"},
    /* NUL, and several violations at once, one entry each, in spec order */
    {"{\"name\":\"a\\u0000b\",\"host\":\"db\"}",
     "config.name: must not contain a NUL character (\\u0000)"},
    {"{\"name\":\"abcdef\",\"code\":\"ABCDEFGHIJ\",\"port\":0,\"zz\":true}",
     "config.name: must be at most 4 characters|config.port: must be at least 1|"
     "config.code: must match the pattern ^[a-z]+[0-9]$|config.host: is required|"
     "config.zz: is not a setting of this type"},
    /* not an object */
    {"[]", "config: must be a JSON object"},
    {"\"x\"", "config: must be a JSON object"},
};

START_TEST(test_schema_keyword_matrix)
{
    char got[1024];
    int rc = run(cases[_i].config, got, sizeof got);
    ck_assert_msg(strcmp(got, cases[_i].errors) == 0, "%s\n  got:  %s\n  want: %s",
                  cases[_i].config, got, cases[_i].errors);
    ck_assert_int_eq(rc, cases[_i].errors[0] == '\0' ? 0 : -1);
}
END_TEST

/* A refused value, secret or not, never appears in any message. */
START_TEST(test_schema_messages_never_quote_values)
{
    char got[1024];
    run("{\"name\":\"hunter2-name\",\"host\":\"hunter2.host_\",\"secret\":\"hunter2-secret\","
        "\"code\":\"hunter2-code\",\"url\":\"hunter2 url\",\"mode\":\"hunter2-mode\"}",
        got, sizeof got);
    ck_assert_msg(got[0] != '\0', "every value was meant to be refused");
    ck_assert_msg(strstr(got, "hunter2") == NULL, "%s", got);
}
END_TEST

START_TEST(test_schema_defaults_and_secrets)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:i}", "name", "ab", "host", "db", "secret", "pw",
                          "port", 6432);
    ck_assert_int_eq(schema_apply_defaults(compiled, c), 2); /* mode, flag; port was given */
    ck_assert_str_eq(json_string_value(json_object_get(c, "mode")), "on");
    ck_assert(json_is_false(json_object_get(c, "flag")));
    ck_assert_int_eq(json_integer_value(json_object_get(c, "port")), 6432);
    ck_assert_int_eq(schema_apply_defaults(compiled, c), 0);
    json_t *arr = json_array();
    ck_assert_int_eq(schema_apply_defaults(compiled, arr), -1);
    json_decref(arr);

    ck_assert(schema_is_secret(compiled, "secret"));
    ck_assert(!schema_is_secret(compiled, "name"));
    ck_assert(!schema_is_secret(compiled, "nope"));
    ck_assert(!schema_is_secret(compiled, NULL));
    json_t *names = schema_secret_names(compiled);
    ck_assert_uint_eq(json_array_size(names), 1);
    ck_assert_str_eq(json_string_value(json_array_get(names, 0)), "secret");
    json_decref(names);

    json_t *pub = schema_public_config(compiled, c);
    ck_assert_ptr_null(json_object_get(pub, "secret"));
    ck_assert_uint_eq(json_object_size(pub), json_object_size(c) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(pub, "name")), "ab");
    json_decref(pub);
    json_decref(c);

    ck_assert_uint_eq(schema_count(compiled), 9);
    ck_assert_str_eq(schema_property(compiled, 0), "name");
    ck_assert_str_eq(schema_property(compiled, 8), "secret");
    ck_assert(schema_property_secret(compiled, 8));
    ck_assert(!schema_property_secret(compiled, 0));
    ck_assert_ptr_null(schema_property(compiled, 9));
    ck_assert(!schema_property_secret(compiled, 9));
}
END_TEST

/* Specs outside the subset, each with a word its error line must hold. */
static const struct {
    const char *spec, *must_say;
} bad_specs[] = {
    {"[]", "spec: must be a JSON object"},
    {"{\"properties\":{}}", "type: must be \"object\""},
    {"{\"type\":\"object\"}", "properties: must be an object"},
    {"{\"type\":\"object\",\"properties\":{},\"oneOf\":[]}", "unsupported keyword \"oneOf\""},
    {"{\"type\":\"object\",\"properties\":{},\"additionalProperties\":{}}", "additionalProperties"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{}}}", "properties.a: type must be"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}}}",
     "properties.a: type must be"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":[\"string\"]}}}", "type must be"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLenght\":1}}}",
     "unsupported keyword \"minLenght\""},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minimum\":1}}}",
     "integers only"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"maxLength\":1}}}",
     "strings only"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":1.5}}}",
     "must be integers"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":4}}}",
     "lower bound exceeds"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":-1}}}",
     "non-negative"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"enum\":[]}}}",
     "non-empty array"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"enum\":[1]}}}",
     "enum value must be of the property's type"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"(\"}}}",
     "POSIX extended regular expression"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"pattern\":\"x\"}}}",
     "strings only"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"format\":\"email\"}}}",
     "format must be"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"writeOnly\":true}}}",
     "must be a string"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"writeOnly\":true,"
     "\"default\":\"x\"}}}",
     "has no default"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"writeOnly\":true}},"
     "\"required\":[\"a\"]}",
     "required.a: a secret (writeOnly) is never required"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"b\"]}",
     "names a property the spec does not have"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\",\"a\"]}",
     "listed twice"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"default\":0,\"minimum\":1}}}",
     "default does not satisfy its own rules"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"default\":\"x\","
     "\"enum\":[\"y\"]}}}",
     "default does not satisfy"},
    {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"title\":1}}}",
     "title and description must be strings"},
};

START_TEST(test_schema_refuses_specs_outside_the_subset)
{
    char err[256] = "";
    json_error_t jerr;
    json_t *spec = json_loads(bad_specs[_i].spec, JSON_DECODE_ANY, &jerr);
    ck_assert_msg(spec != NULL, "%s", jerr.text);
    struct schema *s = schema_compile(spec, err, sizeof err);
    ck_assert_msg(s == NULL, "accepted: %s", bad_specs[_i].spec);
    ck_assert_msg(strstr(err, bad_specs[_i].must_say) != NULL, "%s\n  said: %s", bad_specs[_i].spec,
                  err);
    json_decref(spec);
}
END_TEST

/* additionalProperties absent means allowed; the compiled schema keeps its own copy of the
 * spec, so the caller's may change or go. */
START_TEST(test_schema_additional_allowed_and_own_copy)
{
    char err[256];
    json_t *spec = json_pack("{s:s, s:{s:{s:s, s:[s]}}}", "type", "object", "properties", "m",
                             "type", "string", "enum", "x");
    struct schema *s = schema_compile(spec, err, sizeof err);
    ck_assert_ptr_nonnull(s);
    json_object_clear(spec);
    json_decref(spec);
    json_t *c = json_pack("{s:s, s:i}", "m", "x", "other", 1);
    struct field_errors fe = FIELD_ERRORS_INIT;
    ck_assert_int_eq(schema_validate(s, c, &fe), 0);
    json_object_set_new(c, "m", json_string("y"));
    ck_assert_int_eq(schema_validate(s, c, &fe), -1);
    ck_assert_uint_eq(fe.n, 1);
    ck_assert_str_eq(fe.items[0].message, "must be one of: x");
    field_errors_free(&fe);
    json_decref(c);
    ck_assert_ptr_nonnull(json_object_get(schema_spec(s), "properties"));
    schema_free(s);
    schema_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema");
    TCase *tv = tcase_create("validate");
    tcase_add_checked_fixture(tv, setup, teardown);
    tcase_add_loop_test(tv, test_schema_keyword_matrix, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tv, test_schema_messages_never_quote_values);
    tcase_add_test(tv, test_schema_defaults_and_secrets);
    suite_add_tcase(s, tv);
    TCase *tc = tcase_create("compile");
    tcase_add_loop_test(tc, test_schema_refuses_specs_outside_the_subset, 0,
                        (int)(sizeof bad_specs / sizeof bad_specs[0]));
    tcase_add_test(tc, test_schema_additional_allowed_and_own_copy);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
