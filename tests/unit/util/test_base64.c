/* Unit tests for util/base64.c: RFC 4648 section 10's vectors both ways, and the decoder's
 * refusals (foreign bytes, white space, impossible lengths, bad padding, non-canonical text,
 * a result over the buffer). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

static const struct {
    const char *raw, *b64;
} vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};
#define N_VECTORS (sizeof vectors / sizeof vectors[0])

START_TEST(test_base64_rfc4648_vectors)
{
    char out[32];
    unsigned char raw[32];
    size_t n = 99;
    const char *want = vectors[_i].b64;
    ck_assert_uint_eq(base64_encode(vectors[_i].raw, strlen(vectors[_i].raw), out), strlen(want));
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(base64_decode(want, strlen(want), raw, sizeof raw, &n), 0);
    ck_assert_uint_eq(n, strlen(vectors[_i].raw));
    ck_assert(memcmp(raw, vectors[_i].raw, n) == 0);
}
END_TEST

START_TEST(test_base64_padding_optional)
{
    unsigned char raw[8];
    size_t n = 0;
    ck_assert_int_eq(base64_decode("Zm8", 3, raw, sizeof raw, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(base64_decode("Zg", 2, raw, sizeof raw, &n), 0);
    ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(test_base64_refusals)
{
    static const char *const bad[] = {
        "Zm9v!",                     /* a foreign byte */
        "Zm9v Yg==",                 /* white space */
        "Z",                         /* 6 bits: no byte */
        "Zm9vY",                     /* the same, after a group */
        "Zg=",                       /* padding that does not complete the group */
        "Zg===",                     /* too much padding */
        "Zm9=",                      /* non-canonical: leftover bits set ("Zm8=" is the spelling) */
        "Zh==",                      /* non-canonical */
        "=",         "==", "Zm9v-_", /* base64url's alphabet */
    };
    unsigned char raw[16];
    size_t n = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(base64_decode(bad[i], strlen(bad[i]), raw, sizeof raw, &n) == -1, "%s",
                      bad[i]);
}
END_TEST

START_TEST(test_base64_respects_capacity)
{
    unsigned char raw[5];
    size_t n = 0;
    ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, raw, 5, &n), -1);
    ck_assert_int_eq(base64_decode("Zm9vYmE=", 8, raw, 5, &n), 0);
    ck_assert_uint_eq(n, 5);
}
END_TEST

START_TEST(test_base64_round_trip_all_bytes)
{
    unsigned char in[256], back[256];
    char text[BASE64_ENCODED_LEN(256) + 1];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)(255 - i);
    for (size_t len = 0; len <= sizeof in; len += 37) {
        size_t n = 0;
        size_t tl = base64_encode(in, len, text);
        ck_assert_uint_eq(tl, BASE64_ENCODED_LEN(len));
        ck_assert_int_eq(base64_decode(text, tl, back, sizeof back, &n), 0);
        ck_assert_uint_eq(n, len);
        ck_assert(memcmp(in, back, len) == 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("base64");
    TCase *tc = tcase_create("base64");
    tcase_add_loop_test(tc, test_base64_rfc4648_vectors, 0, (int)N_VECTORS);
    tcase_add_test(tc, test_base64_padding_optional);
    tcase_add_test(tc, test_base64_refusals);
    tcase_add_test(tc, test_base64_respects_capacity);
    tcase_add_test(tc, test_base64_round_trip_all_bytes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
