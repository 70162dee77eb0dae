/* Unit tests for server/password.c: hash/verify round trips, the stored format, a known
 * answer from an independent PBKDF2 implementation, the parameter upgrade signal, and a
 * table of malformed stored strings. Most cases use few iterations; one pays the full cost. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/password.h"

#define PW "correct horse battery staple"

/* Python's hashlib.pbkdf2_hmac('sha256', PW, bytes(range(16)), 1000, 32), base64: a hash made
 * outside this code base must verify, so stored hashes are portable. */
static const char KNOWN[] = "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$"
                            "ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=";

START_TEST(test_password_known_answer)
{
    int rehash = -1;
    ck_assert_int_eq(password_verify(PW, strlen(PW), KNOWN, &rehash), PASSWORD_MATCH);
    ck_assert_int_eq(rehash, 1); /* 1000 < PASSWORD_ITERATIONS */
    ck_assert_int_eq(password_verify("correct horse battery stapl", strlen(PW) - 1, KNOWN, &rehash),
                     PASSWORD_MISMATCH);
    ck_assert_int_eq(rehash, 0);
    ck_assert_int_eq(password_verify("Correct horse battery staple", strlen(PW), KNOWN, NULL),
                     PASSWORD_MISMATCH);
}
END_TEST

START_TEST(test_password_current_parameters)
{
    char h[PASSWORD_HASH_SIZE];
    int rehash = -1;
    ck_assert_int_eq(password_hash(PW, strlen(PW), h, sizeof h), 0);
    /* pbkdf2-sha256$600000$<24 chars of salt>$<44 chars of key> */
    ck_assert_msg(strncmp(h, "pbkdf2-sha256$600000$", 21) == 0, "%s", h);
    const char *salt = h + 21, *key = strchr(salt, '$');
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(key - salt, 24);
    ck_assert_uint_eq(strlen(key + 1), 44);
    ck_assert_int_eq(password_verify(PW, strlen(PW), h, &rehash), PASSWORD_MATCH);
    ck_assert_int_eq(rehash, 0);
}
END_TEST

START_TEST(test_password_round_trip)
{
    char a[PASSWORD_HASH_SIZE], b[PASSWORD_HASH_SIZE];
    ck_assert_int_eq(password_hash_iter(PW, strlen(PW), 1000, a, sizeof a), 0);
    ck_assert_int_eq(password_hash_iter(PW, strlen(PW), 1000, b, sizeof b), 0);
    ck_assert_str_ne(a, b); /* a fresh salt each time */
    ck_assert_int_eq(password_verify(PW, strlen(PW), a, NULL), PASSWORD_MATCH);
    ck_assert_int_eq(password_verify(PW, strlen(PW), b, NULL), PASSWORD_MATCH);
    ck_assert_int_eq(password_verify("wrong password", 14, a, NULL), PASSWORD_MISMATCH);
    ck_assert_int_eq(password_verify("", 0, a, NULL), PASSWORD_MISMATCH);
}
END_TEST

START_TEST(test_password_any_bytes)
{
    /* An embedded NUL and the maximum length: the length, not strlen, decides. */
    char pw[PASSWORD_MAX_LEN], h[PASSWORD_HASH_SIZE];
    for (size_t i = 0; i < sizeof pw; i++)
        pw[i] = (char)(i * 7 + 1);
    pw[3] = '\0';
    ck_assert_int_eq(password_hash_iter(pw, sizeof pw, 1000, h, sizeof h), 0);
    ck_assert_int_eq(password_verify(pw, sizeof pw, h, NULL), PASSWORD_MATCH);
    ck_assert_int_eq(password_verify(pw, 3, h, NULL), PASSWORD_MISMATCH);
    pw[sizeof pw - 1] ^= 1;
    ck_assert_int_eq(password_verify(pw, sizeof pw, h, NULL), PASSWORD_MISMATCH);
    /* UTF-8 passwords are bytes like any other. */
    const char *u = "p\xc3\xa4ssw\xc3\xb6rd-\xe2\x9c\x93";
    ck_assert_int_eq(password_hash_iter(u, strlen(u), 1000, h, sizeof h), 0);
    ck_assert_int_eq(password_verify(u, strlen(u), h, NULL), PASSWORD_MATCH);
}
END_TEST

/* Hashes made with fewer iterations still verify and ask to be re-hashed; a wrong password
 * never asks (login only re-hashes after a success). */
START_TEST(test_password_upgrade_signal)
{
    char h[PASSWORD_HASH_SIZE];
    int rehash = -1;
    ck_assert_int_eq(password_hash_iter(PW, strlen(PW), 10000, h, sizeof h), 0);
    ck_assert_msg(strncmp(h, "pbkdf2-sha256$10000$", 20) == 0, "%s", h);
    ck_assert_int_eq(password_verify(PW, strlen(PW), h, &rehash), PASSWORD_MATCH);
    ck_assert_int_eq(rehash, 1);
    rehash = -1;
    ck_assert_int_eq(password_verify("nope-nope", 9, h, &rehash), PASSWORD_MISMATCH);
    ck_assert_int_eq(rehash, 0);
}
END_TEST

/* Full iterations but an 8-byte salt (made with Python's hashlib): still asks for an upgrade. */
START_TEST(test_password_upgrade_short_salt)
{
    static const char short_salt[] = "pbkdf2-sha256$600000$AAECAwQFBgc=$"
                                     "EeJEH4lzIp54RJ7i6GO2lgkZoAybrLAp8CyFCmdt/PM=";
    int rehash = -1;
    ck_assert_int_eq(password_verify(PW, strlen(PW), short_salt, &rehash), PASSWORD_MATCH);
    ck_assert_int_eq(rehash, 1);
}
END_TEST

START_TEST(test_password_small_buffer)
{
    char h[40];
    ck_assert_int_eq(password_hash_iter(PW, strlen(PW), 1000, h, sizeof h), -1);
    ck_assert_str_eq(h, "");
    ck_assert_int_eq(password_hash_iter(PW, strlen(PW), 0, h, sizeof h), -1);
    char big[PASSWORD_HASH_SIZE];
    ck_assert_int_eq(password_hash_iter(PW, strlen(PW), PASSWORD_MAX_ITERATIONS + 1, big,
                                        sizeof big),
                     -1);
}
END_TEST

static const char *const malformed[] = {
    NULL,
    "",
    "plaintext-password",
    "$2b$12$abcdefghijklmnopqrstuuQ0Sb4GmRxy2yOe5Bv6DkS5tHl4mCkGy", /* bcrypt */
    "pbkdf2-sha512$1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "PBKDF2-SHA256$1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$",
    "pbkdf2-sha256$1000",
    "pbkdf2-sha256$1000$",
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==",
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$",
    "pbkdf2-sha256$$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$0$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$01000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$-1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$+1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$ 1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$1e3$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$10000001$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$99999999999$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$18446744073709552616$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    /* salt: not base64, unpadded, too short (4 bytes), too long (48 bytes) */
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0OD!==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$1000$AAECAw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8AAQIDBAUGBwgJCgsMDQ4P$"
    "ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    /* key: url-safe alphabet, padding inside, too short (12 bytes), too long (66 bytes) */
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8c_4=",
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$ppsX=jrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=",
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6",
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$"
    "ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4AAAA",
    /* an extra field, trailing space */
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4=$x",
    "pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$ppsXnjrdPB4KryJ6DrOqKqhkWrhv7PbKAMF1Eml8cZ4= ",
};

START_TEST(test_password_malformed_stored)
{
    int rehash = -1;
    ck_assert_msg(password_verify(PW, strlen(PW), malformed[_i], &rehash) == PASSWORD_MALFORMED,
                  "accepted stored string #%d: %s", _i, malformed[_i] ? malformed[_i] : "(null)");
    ck_assert_int_eq(rehash, 0);
}
END_TEST

static Suite *password_suite(void)
{
    Suite *s = suite_create("password");
    TCase *tc = tcase_create("hash");
    tcase_add_test(tc, test_password_known_answer);
    tcase_add_test(tc, test_password_round_trip);
    tcase_add_test(tc, test_password_any_bytes);
    tcase_add_test(tc, test_password_upgrade_signal);
    tcase_add_test(tc, test_password_small_buffer);
    suite_add_tcase(s, tc);
    /* Two full-cost PBKDF2 runs; generous for sanitizer and valgrind builds. */
    tc = tcase_create("full-cost");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_password_current_parameters);
    tcase_add_test(tc, test_password_upgrade_short_salt);
    suite_add_tcase(s, tc);
    tc = tcase_create("malformed");
    tcase_add_loop_test(tc, test_password_malformed_stored, 0,
                        (int)(sizeof malformed / sizeof malformed[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(password_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
