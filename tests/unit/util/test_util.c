/* Unit tests for util/utf8.c's repair and counting (a table of well- and ill-formed sequences);
 * the validity table and the sanitiser are in test_utf8.c. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

START_TEST(test_util_utf8_dup_repair)
{
    struct {
        const char *in;
        size_t len;
        const char *want;
    } t[] = {
        {"plain", 5, "plain"},
        {"\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80"},                 /* U+1F600 kept */
        {"\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},                 /* overlong '/' */
        {"\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* surrogate */
        {"\xF4\x90\x80\x80", 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"a\0b", 3,
         "a\xEF\xBF\xBD"
         "b"},                                       /* NUL */
        {"\xE2\x82", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"}, /* truncated */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *s = utf8_dup_repair(t[i].in, t[i].len);
        ck_assert_msg(strcmp(s, t[i].want) == 0, "case %zu", i);
        free(s);
    }
}
END_TEST

START_TEST(test_util_utf8_count)
{
    ck_assert_uint_eq(utf8_count("", 0), 0);
    ck_assert_uint_eq(utf8_count("abc", 3), 3);
    ck_assert_uint_eq(utf8_count("\xC3\xA9t\xC3\xA9", 5), 3); /* "été" */
    ck_assert_uint_eq(utf8_count("\xF0\x9F\x98\x80!", 5), 2); /* emoji + '!' */
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("utf8 repair");
    TCase *tc = tcase_create("utf8");
    tcase_add_test(tc, test_util_utf8_dup_repair);
    tcase_add_test(tc, test_util_utf8_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(util_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
