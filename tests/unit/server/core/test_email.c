/* Unit tests for server/core/email.c: the one email rule (register and `aam seed`), as a table
 * of addresses, and its length limit. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/email.h"

struct email_case {
    const char *email;
    int valid;
};

static const struct email_case email_cases[] = {
    {"a@b.co", 1},
    {"first.last+tag@sub.example.org", 1},
    {"x_y-z@a-b.c-d.museum", 1},
    {"demo@autonomos.local", 1},
    {"\xc3\xa9@b\xc3\xa9.fr", 1},
    {"", 0},
    {"plain", 0},
    {"@b.co", 0},
    {"a@", 0},
    {"a@b", 0},
    {"a@.co", 0},
    {"a@b.", 0},
    {"a@b..co", 0},
    {"a@@b.co", 0},
    {"a@b@c.co", 0},
    {"a b@c.co", 0},
    {"a@b c.co", 0},
    {"a\t@b.co", 0},
    {"<a@b.co>", 0},
    {"a,b@c.co", 0},
    {"\"a\"@b.co", 0},
    {"a@[1.2.3.4]", 0},
    {"a@b.co\n", 0},
    {"a\x7f@b.co", 0},
};

START_TEST(test_email_valid)
{
    const struct email_case *c = &email_cases[_i];
    ck_assert_msg(email_valid(c->email, strlen(c->email)) == c->valid, "\"%s\"", c->email);
}
END_TEST

START_TEST(test_email_length_limit)
{
    char e[300];
    memset(e, 'a', sizeof e);
    memcpy(e + 254 - 5, "@b.co", 5); /* 254 bytes */
    ck_assert_int_eq(email_valid(e, 254), 1);
    memcpy(e + 255 - 5, "@b.co", 5); /* 255 bytes */
    ck_assert_int_eq(email_valid(e, 255), 0);
}
END_TEST

static Suite *email_suite(void)
{
    Suite *s = suite_create("email");
    TCase *tc = tcase_create("rule");
    tcase_add_loop_test(tc, test_email_valid, 0, (int)(sizeof email_cases / sizeof email_cases[0]));
    tcase_add_test(tc, test_email_length_limit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(email_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
