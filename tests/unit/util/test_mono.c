/* Unit tests for util/mono.c: the monotonic clock never goes back. */
#include <check.h>
#include <stdlib.h>
#include "util/mono.h"

START_TEST(test_mono_never_goes_back)
{
    struct timespec t0 = mono_now();
    long long a = mono_ms(), b = mono_ms();
    ck_assert(b >= a);
    ck_assert(mono_elapsed_ms(&t0) >= 0.0);
}
END_TEST

static Suite *mono_suite(void)
{
    Suite *s = suite_create("mono");
    TCase *tc = tcase_create("mono");
    tcase_add_test(tc, test_mono_never_goes_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mono_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
