/* Unit tests for util/base64.c: RFC 4648's test vectors both ways, and the strictness the
 * secrets rely on (no blanks, padding only at the end and only when due, the length bound). */
#include <check.h>
#include <string.h>

#include "util/base64.h"

struct vector {
    const char *plain, *encoded;
};

/* RFC 4648 section 10 */
static const struct vector vectors[] = {
    {"f", "Zg=="},        {"fo", "Zm8="},        {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

START_TEST(test_base64_vectors)
{
    const struct vector *v = &vectors[_i];
    char enc[32];
    unsigned char dec[32];
    size_t n = strlen(v->plain);
    ck_assert_uint_eq(base64_encode((const unsigned char *)v->plain, n, enc), strlen(v->encoded));
    ck_assert_str_eq(enc, v->encoded);
    ck_assert_int_eq(base64_decode(v->encoded, strlen(v->encoded), dec, sizeof dec), (int)n);
    ck_assert(memcmp(dec, v->plain, n) == 0);
    ck_assert_uint_eq(BASE64_ENCODED_LEN(n), strlen(v->encoded));
}
END_TEST

static const char *const refused[] = {
    "", "Zg", "Zg=", "Zg===", "Z===", "Zm9v ", " Zm9v", "Zm\n9v", "Zm=v", "Zm9-", "Zm9_", "====",
};

START_TEST(test_base64_strict)
{
    unsigned char dec[32];
    ck_assert_msg(base64_decode(refused[_i], strlen(refused[_i]), dec, sizeof dec) == -1,
                  "\"%s\" is refused", refused[_i]);
}
END_TEST

START_TEST(test_base64_bound)
{
    unsigned char dec[6];
    ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, dec, 6), 6);
    ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, dec, 5), -1);
    ck_assert_int_eq(base64_decode("Zm9vYg==", 8, dec, 4), 4);
    ck_assert_int_eq(base64_decode(NULL, 0, dec, 4), -1);
}
END_TEST

static Suite *base64_suite(void)
{
    Suite *s = suite_create("base64");
    TCase *tc = tcase_create("base64");
    tcase_add_loop_test(tc, test_base64_vectors, 0, (int)(sizeof vectors / sizeof vectors[0]));
    tcase_add_loop_test(tc, test_base64_strict, 0, (int)(sizeof refused / sizeof refused[0]));
    tcase_add_test(tc, test_base64_bound);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(base64_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
