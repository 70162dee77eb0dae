/* Unit tests for util/: UTF-8 repair and counting (a table of well- and ill-formed
 * sequences), hex both ways, the monotonic clock, and the allocation policy (an impossible
 * request aborts with a message instead of returning NULL). */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/mono.h"
#include "util/utf8.h"
#include "util/xalloc.h"

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

START_TEST(test_util_hex)
{
    char out[9];
    hex_encode("\x00\x7f\xab\xff", 4, out);
    ck_assert_str_eq(out, "007fabff");
    ck_assert_int_eq(hex_value('0'), 0);
    ck_assert_int_eq(hex_value('a'), 10);
    ck_assert_int_eq(hex_value('F'), 15);
    ck_assert_int_eq(hex_value('g'), -1);
    ck_assert_int_eq(hex_value(-61), -1); /* a high byte through a signed char */
    ck_assert_int_eq(hex_digit(0x1c), 'c');
}
END_TEST

START_TEST(test_util_mono_never_goes_back)
{
    struct timespec t0 = mono_now();
    long long a = mono_ms(), b = mono_ms();
    ck_assert(b >= a);
    ck_assert(mono_elapsed_ms(&t0) >= 0.0);
}
END_TEST

START_TEST(test_util_xalloc_copies)
{
    char *a = xstrdup("tenant");
    char *b = xstrndup("tenant", 3);
    ck_assert_str_eq(a, "tenant");
    ck_assert_str_eq(b, "ten");
    char *c = xrealloc(NULL, 0); /* zero bytes still gives a pointer */
    ck_assert_ptr_nonnull(c);
    xfree(&a);
    ck_assert_ptr_null(a);
    xfree(&a); /* twice is harmless */
    free(b);
    free(c);
}
END_TEST

/* Out of memory never comes back as NULL: the process aborts (SIGABRT) with a message. */
START_TEST(test_util_xalloc_aborts_on_impossible_size)
{
    volatile size_t huge = SIZE_MAX - 16;
    void *p = xmalloc(huge);
    free(p);
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("utf8");
    tcase_add_test(tc, test_util_utf8_dup_repair);
    tcase_add_test(tc, test_util_utf8_count);
    suite_add_tcase(s, tc);
    tc = tcase_create("hex+mono");
    tcase_add_test(tc, test_util_hex);
    tcase_add_test(tc, test_util_mono_never_goes_back);
    suite_add_tcase(s, tc);
    tc = tcase_create("xalloc");
    tcase_add_test(tc, test_util_xalloc_copies);
    /* Needs a forked child (the default); under CK_FORK=no the abort would end the runner. */
    if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0)
        tcase_add_test_raise_signal(tc, test_util_xalloc_aborts_on_impossible_size, SIGABRT);
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
