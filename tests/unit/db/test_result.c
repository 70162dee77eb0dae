/* Unit tests for db/result.c's outcome words: what the per-table upserts answer ('created',
 * 'updated', 'unchanged') maps to enum db_outcome, anything else to unchanged, and every
 * outcome has a printable name. Cases are a table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

static const struct {
    const char *word;
    enum db_outcome want;
} words[] = {
    {"created", DB_OUTCOME_CREATED},
    {"updated", DB_OUTCOME_UPDATED},
    {"unchanged", DB_OUTCOME_UNCHANGED},
    {NULL, DB_OUTCOME_UNCHANGED}, /* SQL NULL */
    {"", DB_OUTCOME_UNCHANGED},
    {"Created", DB_OUTCOME_UNCHANGED},
    {"created ", DB_OUTCOME_UNCHANGED},
    {"deleted", DB_OUTCOME_UNCHANGED}, /* no statement answers it: not parsed */
};

START_TEST(test_result_outcome_parse_table)
{
    ck_assert_int_eq(db_outcome_parse(words[_i].word), words[_i].want);
}
END_TEST

START_TEST(test_result_outcome_names)
{
    ck_assert_str_eq(db_outcome_name(DB_OUTCOME_CREATED), "created");
    ck_assert_str_eq(db_outcome_name(DB_OUTCOME_UPDATED), "updated");
    ck_assert_str_eq(db_outcome_name(DB_OUTCOME_UNCHANGED), "unchanged");
    ck_assert_str_eq(db_outcome_name(DB_OUTCOME_DELETED), "deleted");
    ck_assert_str_eq(db_outcome_name(DB_OUTCOME_NO_TENANT), "no tenant");
    ck_assert_str_eq(db_outcome_name((enum db_outcome)99), "?");
    ck_assert_str_eq(db_outcome_name((enum db_outcome) - 1), "?");
}
END_TEST

/* The words the statements answer read back as the outcome they name. */
START_TEST(test_result_outcome_round_trip)
{
    for (int o = DB_OUTCOME_CREATED; o <= DB_OUTCOME_UNCHANGED; o++)
        ck_assert_int_eq(db_outcome_parse(db_outcome_name((enum db_outcome)o)), o);
}
END_TEST

static Suite *result_suite(void)
{
    Suite *s = suite_create("db_result");
    TCase *tc = tcase_create("outcome");
    tcase_add_loop_test(tc, test_result_outcome_parse_table, 0,
                        (int)(sizeof words / sizeof words[0]));
    tcase_add_test(tc, test_result_outcome_names);
    tcase_add_test(tc, test_result_outcome_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(result_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
