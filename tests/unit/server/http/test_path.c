/* Unit tests for server/path.c: one table of raw paths and what normalisation must make of
 * them (NULL = refused with 400). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/path.h"

struct path_case {
    const char *raw;
    const char *want; /* NULL: must be refused */
};

static const struct path_case cases[] = {
    {"/", "/"},
    {"//", "/"},
    {"/health", "/health"},
    {"/health/", "/health"},
    {"//health", "/health"},
    {"/api//v1///aam/connectors/", "/api/v1/aam/connectors"},
    {"/api/v1/aam/connectors/abc%20def", "/api/v1/aam/connectors/abc def"},
    {"/api/v1/aam/connectors/%41bc", "/api/v1/aam/connectors/Abc"},
    {"/api/v1/aam/connectors/%252e%252e", "/api/v1/aam/connectors/%2e%2e"}, /* decoded once only */
    {"/a/b.c/d", "/a/b.c/d"},
    {"/a/.../b", "/a/.../b"},
    {"/a/..b", "/a/..b"},
    {"/a/../b", NULL},
    {"/a/./b", NULL},
    {"/..", NULL},
    {"/api/v1/auth/login/../../aam/connectors", NULL},
    {"/api/v1/aam/%2e%2e/connectors", NULL},
    {"/api/v1/aam/%2E%2E/connectors", NULL},
    {"/api/v1/aam/%2e/connectors", NULL},
    {"/api/v1/aam%2fconnectors", NULL},
    {"/api/v1/aam%2Fconnectors", NULL},
    {"/a%00b", NULL},
    {"/a%zzb", NULL},
    {"/a%4", NULL},
    {"/a%", NULL},
    {"/a\tb", NULL},
    {"/a%09b", NULL},
    {"/a%7Fb", NULL},
    {"relative", NULL},
    {"", NULL},
};

START_TEST(test_path_normalize_table)
{
    const struct path_case *c = &cases[_i];
    size_t len = strlen(c->raw);
    char *out = malloc(len + 2);
    int rc = path_normalize(c->raw, len, out, len + 2);
    if (c->want == NULL) {
        ck_assert_msg(rc == -1, "\"%s\" should be refused, got \"%s\"", c->raw, rc == 0 ? out : "");
        ck_assert_msg(out[0] == '\0', "a refused path must leave an empty string");
    } else {
        ck_assert_msg(rc == 0, "\"%s\" should normalise", c->raw);
        ck_assert_str_eq(out, c->want);
    }
    free(out);
}
END_TEST

START_TEST(test_path_normalize_small_buffer_refused)
{
    char out[4];
    ck_assert_int_eq(path_normalize("/abcdef", 7, out, sizeof out), -1);
}
END_TEST

START_TEST(test_path_decode_component)
{
    char *s = path_decode_component("a+b%20c%2Fd", 11);
    ck_assert_str_eq(s, "a b c/d");
    free(s);
    ck_assert_ptr_null(path_decode_component("bad%2", 5));
    ck_assert_ptr_null(path_decode_component("nul%00", 6));
    /* found by fuzz_form: a raw NUL inside a form value was kept, and the value then read as
     * C text stopped there ("password=a\0b" logged in as "a") */
    ck_assert_ptr_null(path_decode_component("a\0b", 3));
    s = path_decode_component("", 0);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

static Suite *path_suite(void)
{
    Suite *s = suite_create("path");
    TCase *tc = tcase_create("normalize");
    tcase_add_loop_test(tc, test_path_normalize_table, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_path_normalize_small_buffer_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("decode");
    tcase_add_test(tc, test_path_decode_component);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(path_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
