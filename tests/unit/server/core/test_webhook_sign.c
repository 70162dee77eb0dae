/* Unit tests for server/core/webhook_sign.c against vectors computed with the npm
 * `standardwebhooks` package (1.3.0, Webhook#sign): the scheme's own published example and one
 * with a 32-byte key like ours; the rotation header with two signatures; new secrets; and the
 * refusals (no prefix, broken base64, a key too long, buffers too small). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "server/core/webhook_sign.h"
#include "util/base64.h"

struct sign_vector {
    const char *secret, *msg_id;
    long long timestamp;
    const char *body, *signature;
};

static const struct sign_vector vectors[] = {
    /* the example in the Standard Webhooks specification (a 24-byte key) */
    {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
     "{\"test\": 2432232314}", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
    /* a 32-byte key (0x00..0x1f), as webhook_sign_new_secret makes, and one of our bodies */
    {"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
     1674087231,
     "{\"type\":\"connector.status_changed\",\"timestamp\":\"2023-01-19T00:13:51Z\",\"data\":{\"id\":"
     "\"c1\"}}",
     "v1,NDrmVFElLsiFPVrzgtzPGwj8u1Nwq3gGVnyLL5urSVo="},
};

START_TEST(test_webhook_sign_vectors)
{
    const struct sign_vector *v = &vectors[_i];
    char sig[WEBHOOK_SIGN_SIG_LEN + 1];
    ck_assert_int_eq(webhook_sign(v->secret, v->msg_id, v->timestamp, v->body, strlen(v->body), sig,
                                  sizeof sig),
                     0);
    ck_assert_str_eq(sig, v->signature);
    ck_assert_uint_eq(strlen(sig), WEBHOOK_SIGN_SIG_LEN);
}
END_TEST

START_TEST(test_webhook_sign_rotation_header)
{
    const char *const both[] = {vectors[1].secret, vectors[0].secret};
    char header[2 * (WEBHOOK_SIGN_SIG_LEN + 1)], want[sizeof header];
    const char *body = vectors[1].body;
    char one[WEBHOOK_SIGN_SIG_LEN + 1], two[WEBHOOK_SIGN_SIG_LEN + 1];
    ck_assert_int_eq(webhook_sign_header(both, 2, "msg_1", 1700000000, body, strlen(body), header,
                                         sizeof header),
                     0);
    ck_assert_int_eq(webhook_sign(both[0], "msg_1", 1700000000, body, strlen(body), one, sizeof one),
                     0);
    ck_assert_int_eq(webhook_sign(both[1], "msg_1", 1700000000, body, strlen(body), two, sizeof two),
                     0);
    snprintf(want, sizeof want, "%s %s", one, two);
    ck_assert_str_eq(header, want);
    ck_assert_int_eq(webhook_sign_header(both, 2, "msg_1", 1, body, strlen(body), header,
                                         sizeof header - 1),
                     -1);
    ck_assert_str_eq(header, "");
    ck_assert_int_eq(webhook_sign_header(both, 0, "msg_1", 1, body, 0, header, sizeof header), -1);
}
END_TEST

START_TEST(test_webhook_sign_new_secret)
{
    char a[WEBHOOK_SIGN_SECRET_LEN + 1], b[WEBHOOK_SIGN_SECRET_LEN + 1];
    unsigned char key[64];
    ck_assert_int_eq(webhook_sign_new_secret(a, sizeof a), 0);
    ck_assert_int_eq(webhook_sign_new_secret(b, sizeof b), 0);
    ck_assert_uint_eq(strlen(a), WEBHOOK_SIGN_SECRET_LEN);
    ck_assert(strncmp(a, "whsec_", 6) == 0);
    size_t key_len = 0;
    ck_assert_int_eq(base64_decode(a + 6, strlen(a + 6), key, sizeof key, &key_len), 0);
    ck_assert_uint_eq(key_len, 32);
    ck_assert_str_ne(a, b);
    /* a new secret signs */
    char sig[WEBHOOK_SIGN_SIG_LEN + 1];
    ck_assert_int_eq(webhook_sign(a, "msg_x", 1, "{}", 2, sig, sizeof sig), 0);
    ck_assert_int_eq(webhook_sign_new_secret(a, WEBHOOK_SIGN_SECRET_LEN), -1);
    ck_assert_str_eq(a, "");
}
END_TEST

static const char *const bad_secrets[] = {
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",        /* no prefix */
    "whsec_",                                              /* no key */
    "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= ", /* a blank */
    "whsec_AAECAwQF-gcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  /* base64url */
    "WHSEC_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  /* prefix case */
    /* 72 bytes: longer than any key */
    "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
};

START_TEST(test_webhook_sign_refusals)
{
    char sig[WEBHOOK_SIGN_SIG_LEN + 1];
    ck_assert_int_eq(webhook_sign(bad_secrets[_i], "msg_1", 1, "{}", 2, sig, sizeof sig), -1);
    ck_assert_str_eq(sig, "");
}
END_TEST

START_TEST(test_webhook_sign_arguments)
{
    char sig[WEBHOOK_SIGN_SIG_LEN + 1];
    const char *s = vectors[1].secret;
    ck_assert_int_eq(webhook_sign(s, "msg_1", 1, "{}", 2, sig, sizeof sig - 1), -1);
    ck_assert_int_eq(webhook_sign(s, NULL, 1, "{}", 2, sig, sizeof sig), -1);
    ck_assert_int_eq(webhook_sign(NULL, "msg_1", 1, "{}", 2, sig, sizeof sig), -1);
    ck_assert_int_eq(webhook_sign(s, "msg_1", 1, NULL, 2, sig, sizeof sig), -1);
    ck_assert_int_eq(webhook_sign(s, "msg_1", 1, NULL, 0, sig, sizeof sig), 0); /* empty body */
    /* the longest key taken: 64 bytes */
    ck_assert_int_eq(
        webhook_sign(
            "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
            "msg_1", 1, "{}", 2, sig, sizeof sig),
        0);
    /* the body is signed as bytes: an embedded NUL counts */
    char with_nul[WEBHOOK_SIGN_SIG_LEN + 1], without[WEBHOOK_SIGN_SIG_LEN + 1];
    ck_assert_int_eq(webhook_sign(s, "msg_1", 1, "a\0b", 3, with_nul, sizeof with_nul), 0);
    ck_assert_int_eq(webhook_sign(s, "msg_1", 1, "a", 1, without, sizeof without), 0);
    ck_assert_str_ne(with_nul, without);
}
END_TEST

static Suite *webhook_sign_suite(void)
{
    Suite *s = suite_create("webhook_sign");
    TCase *tc = tcase_create("webhook_sign");
    tcase_add_loop_test(tc, test_webhook_sign_vectors, 0, (int)(sizeof vectors / sizeof vectors[0]));
    tcase_add_test(tc, test_webhook_sign_rotation_header);
    tcase_add_test(tc, test_webhook_sign_new_secret);
    tcase_add_loop_test(tc, test_webhook_sign_refusals, 0,
                        (int)(sizeof bad_secrets / sizeof bad_secrets[0]));
    tcase_add_test(tc, test_webhook_sign_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(webhook_sign_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
