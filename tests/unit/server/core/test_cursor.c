/* Unit tests for server/core/cursor.c: a cursor round-trips its id; it is base64url of fixed
 * length; it decodes only for the kind, tenant and scope it was made for and under the same
 * secret; every single-character change, a truncation, a standard-base64 spelling and junk are
 * refused. */
#include <check.h>
#include <string.h>

#include "server/core/cursor.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define SECRET_LEN (sizeof SECRET - 1)

static void make(enum cursor_kind kind, const char *ns, const char *scope, long long id, char *out)
{
    ck_assert_int_eq(cursor_encode(SECRET, SECRET_LEN, kind, ns, scope, id, out), 0);
}

static int decode(enum cursor_kind kind, const char *ns, const char *scope, const char *text,
                  long long *id)
{
    return cursor_decode(SECRET, SECRET_LEN, kind, ns, scope, text, id);
}

START_TEST(test_cursor_round_trip)
{
    static const long long ids[] = {0, 1, 255, 256, 1LL << 40, 0x7fffffffffffffffLL};
    char c[CURSOR_LEN + 1];
    long long got = -1;
    make(CURSOR_FEED, "acme", "", ids[_i], c);
    ck_assert_uint_eq(strlen(c), CURSOR_LEN);
    ck_assert_uint_eq(strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                      CURSOR_LEN);
    ck_assert_int_eq(decode(CURSOR_FEED, "acme", "", c, &got), 0);
    ck_assert_int_eq(got, ids[_i]);
}
END_TEST

START_TEST(test_cursor_bound_to_kind_tenant_scope_secret)
{
    char c[CURSOR_LEN + 1];
    long long got = -1;
    make(CURSOR_HISTORY, "acme", "c1", 42, c);
    ck_assert_int_eq(decode(CURSOR_HISTORY, "acme", "c1", c, &got), 0);
    ck_assert_int_eq(decode(CURSOR_FEED, "acme", "c1", c, &got), -1);     /* another list */
    ck_assert_int_eq(decode(CURSOR_HISTORY, "other", "c1", c, &got), -1); /* another tenant */
    ck_assert_int_eq(decode(CURSOR_HISTORY, "acme", "c2", c, &got), -1);  /* another connector */
    ck_assert_int_eq(decode(CURSOR_HISTORY, "acm", "ec1", c, &got), -1);  /* no run-on */
    ck_assert_int_eq(cursor_decode("another secret, also 32 bytes long", 34, CURSOR_HISTORY, "acme",
                                   "c1", c, &got),
                     -1);
}
END_TEST

/* Every position changed to another character of the alphabet, a truncation, a '+' or '/' in
 * place of '-' or '_', and junk: all refused. */
START_TEST(test_cursor_tampering_refused)
{
    char c[CURSOR_LEN + 1], t[CURSOR_LEN + 2];
    long long got = -1;
    make(CURSOR_FEED, "acme", "", 7, c);
    for (int i = 0; i < CURSOR_LEN; i++) {
        memcpy(t, c, sizeof c);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        ck_assert_msg(decode(CURSOR_FEED, "acme", "", t, &got) == -1, "position %d", i);
    }
    memcpy(t, c, sizeof c);
    t[CURSOR_LEN - 1] = '\0';
    ck_assert_int_eq(decode(CURSOR_FEED, "acme", "", t, &got), -1);
    memcpy(t, c, sizeof c);
    t[CURSOR_LEN] = 'A';
    t[CURSOR_LEN + 1] = '\0';
    ck_assert_int_eq(decode(CURSOR_FEED, "acme", "", t, &got), -1);
    for (int i = 0; i < CURSOR_LEN; i++) {
        memcpy(t, c, sizeof c);
        if (t[i] == '-' || t[i] == '_') {
            t[i] = t[i] == '-' ? '+' : '/';
            ck_assert_int_eq(decode(CURSOR_FEED, "acme", "", t, &got), -1);
        }
    }
    ck_assert_int_eq(decode(CURSOR_FEED, "acme", "", "", &got), -1);
    ck_assert_int_eq(decode(CURSOR_FEED, "acme", "", NULL, &got), -1);
    ck_assert_int_eq(decode(CURSOR_FEED, "acme", "", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &got), -1);
    ck_assert_int_eq(decode(CURSOR_FEED, "acme", "", "%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%", &got), -1);
}
END_TEST

START_TEST(test_cursor_negative_id_not_encoded)
{
    char c[CURSOR_LEN + 1];
    ck_assert_int_eq(cursor_encode(SECRET, SECRET_LEN, CURSOR_FEED, "acme", "", -1, c), -1);
    ck_assert_str_eq(c, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cursor");
    TCase *tc = tcase_create("cursor");
    tcase_add_loop_test(tc, test_cursor_round_trip, 0, 6);
    tcase_add_test(tc, test_cursor_bound_to_kind_tenant_scope_secret);
    tcase_add_test(tc, test_cursor_tampering_refused);
    tcase_add_test(tc, test_cursor_negative_id_not_encoded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
