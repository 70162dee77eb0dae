/* Unit tests for util/hex.c: hex digits both ways, high bytes through a signed char. */
#include <check.h>
#include <stdlib.h>
#include "util/hex.h"

START_TEST(test_hex)
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

static Suite *hex_suite(void)
{
    Suite *s = suite_create("hex");
    TCase *tc = tcase_create("hex");
    tcase_add_test(tc, test_hex);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hex_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
