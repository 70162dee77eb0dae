/* Unit tests for util/xalloc.c: copies, free-and-NULL, and an impossible request aborts with a message
 * instead of returning NULL. */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/xalloc.h"

START_TEST(test_xalloc_copies)
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
START_TEST(test_xalloc_aborts_on_impossible_size)
{
    volatile size_t huge = SIZE_MAX - 16;
    void *p = xmalloc(huge);
    free(p);
}
END_TEST

static Suite *xalloc_suite(void)
{
    Suite *s = suite_create("xalloc");
    TCase *tc = tcase_create("xalloc");
    tcase_add_test(tc, test_xalloc_copies);
    /* Needs a forked child (the default); under CK_FORK=no the abort would end the runner. */
    if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0)
        tcase_add_test_raise_signal(tc, test_xalloc_aborts_on_impossible_size, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xalloc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
