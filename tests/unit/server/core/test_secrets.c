/* Unit tests for server/core/secrets.c: AAM_SECRET_KEYS parsing (good and bad forms, errors
 * that never quote a key), AES-256-GCM round trips, a value moved to another tenant, connector
 * or field failing to decrypt, tampering, an unknown key id, and rotation (a new first key
 * encrypts, the old one still decrypts). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/secrets.h"
#include "util/base64.h"

#define PLAIN "correct horse battery staple"

static char key_a[64], key_b[64]; /* base64 of 32 bytes each */

static void make_key(char *out, unsigned char seed, size_t len)
{
    unsigned char raw[64];
    for (size_t i = 0; i < len; i++)
        raw[i] = (unsigned char)(seed + i * 7);
    base64_encode(raw, len, out);
}

static void setup(void)
{
    make_key(key_a, 1, 32);
    make_key(key_b, 101, 32);
}

static struct secrets_keyring *ring(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct secrets_keyring *ring(const char *fmt, ...)
{
    char spec[512], err[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(spec, sizeof spec, fmt, ap);
    va_end(ap);
    struct secrets_keyring *kr = secrets_keyring_parse(spec, err, sizeof err);
    ck_assert_msg(kr != NULL, "%s", err);
    return kr;
}

static const struct secrets_aad AAD = {SECRETS_KIND_CONNECTOR, "demo", "pg_main", "password"};

/* Decrypts and expects failure; returns the error line (static). */
static const char *decrypt_fails(const struct secrets_keyring *kr, const struct secrets_aad *aad,
                                 const char *stored)
{
    static char err[256];
    char *secret_ = (char *)1;
    size_t len = 99;
    err[0] = '\0';
    ck_assert_int_eq(secrets_decrypt(kr, aad, stored, &secret_, &len, err, sizeof err), -1);
    ck_assert_ptr_null(secret_);
    ck_assert_uint_eq(len, 0);
    ck_assert_msg(err[0] != '\0', "no error line");
    ck_assert_msg(strstr(err, PLAIN) == NULL, "the error quotes the value: %s", err);
    return err;
}

START_TEST(test_secrets_round_trip)
{
    struct secrets_keyring *kr = ring("a:%s", key_a);
    char *stored = secrets_encrypt(kr, &AAD, PLAIN, strlen(PLAIN));
    ck_assert_ptr_nonnull(stored);
    ck_assert_msg(strncmp(stored, "v1:a:", 5) == 0, "%s", stored);
    ck_assert_ptr_null(strstr(stored, PLAIN));
    char id[SECRETS_KEY_ID_MAX + 1];
    ck_assert_int_eq(secrets_stored_key_id(stored, id, sizeof id), 0);
    ck_assert_str_eq(id, "a");
    char *secret_ = NULL, err[256];
    size_t len = 0;
    ck_assert_int_eq(secrets_decrypt(kr, &AAD, stored, &secret_, &len, err, sizeof err), 0);
    ck_assert_uint_eq(len, strlen(PLAIN));
    ck_assert_str_eq(secret_, PLAIN);
    secrets_value_free(secret_, len);
    /* a fresh nonce each time: the same value never encrypts to the same text */
    char *again = secrets_encrypt(kr, &AAD, PLAIN, strlen(PLAIN));
    ck_assert_str_ne(stored, again);
    free(again);
    free(stored);
    secrets_keyring_free(kr);
}
END_TEST

START_TEST(test_secrets_empty_binary_and_oversized_values)
{
    struct secrets_keyring *kr = ring("a:%s", key_a);
    static const char bin[] = {'x', '\0', 'y', '\xff'};
    char *secret_ = NULL, err[256];
    size_t len = 9;
    char *empty = secrets_encrypt(kr, &AAD, "", 0);
    ck_assert_ptr_nonnull(empty);
    ck_assert_int_eq(secrets_decrypt(kr, &AAD, empty, &secret_, &len, err, sizeof err), 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(secret_, "");
    secrets_value_free(secret_, len);
    char *b = secrets_encrypt(kr, &AAD, bin, sizeof bin);
    ck_assert_int_eq(secrets_decrypt(kr, &AAD, b, &secret_, &len, err, sizeof err), 0);
    ck_assert_uint_eq(len, sizeof bin);
    ck_assert(memcmp(secret_, bin, sizeof bin) == 0);
    secrets_value_free(secret_, len);
    char *big = calloc(1, SECRETS_VALUE_MAX + 1);
    ck_assert_ptr_null(secrets_encrypt(kr, &AAD, big, SECRETS_VALUE_MAX + 1));
    char *max = secrets_encrypt(kr, &AAD, big, SECRETS_VALUE_MAX);
    ck_assert_ptr_nonnull(max);
    ck_assert_int_eq(secrets_decrypt(kr, &AAD, max, &secret_, &len, err, sizeof err), 0);
    ck_assert_uint_eq(len, SECRETS_VALUE_MAX);
    secrets_value_free(secret_, len);
    struct secrets_aad no_field = {SECRETS_KIND_CONNECTOR, "demo", "pg_main", NULL};
    ck_assert_ptr_null(secrets_encrypt(kr, &no_field, PLAIN, strlen(PLAIN)));
    free(max);
    free(big);
    free(b);
    free(empty);
    secrets_keyring_free(kr);
}
END_TEST

/* The binding: the same ciphertext under any other (kind, tenant, connector, field) fails, and
 * the length prefixes keep ("ab","c") apart from ("a","bc"). */
START_TEST(test_secrets_moved_value_fails)
{
    struct secrets_keyring *kr = ring("a:%s", key_a);
    char *stored = secrets_encrypt(kr, &AAD, PLAIN, strlen(PLAIN));
    const struct secrets_aad moved[] = {
        {SECRETS_KIND_CONNECTOR, "other", "pg_main", "password"}, /* another tenant */
        {SECRETS_KIND_CONNECTOR, "demo", "pg_copy", "password"},  /* another connector */
        {SECRETS_KIND_CONNECTOR, "demo", "pg_main", "token"},     /* another field */
        {SECRETS_KIND_WEBHOOK, "demo", "pg_main", "password"},    /* another kind of owner */
        {SECRETS_KIND_CONNECTOR, "demop", "g_main", "password"},  /* same bytes, shifted */
        {SECRETS_KIND_CONNECTOR, "dem", "opg_main", "password"},
    };
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        const char *err = decrypt_fails(kr, &moved[i], stored);
        ck_assert_msg(strstr(err, "key \"a\"") != NULL, "case %zu: %s", i, err);
    }
    free(stored);
    secrets_keyring_free(kr);
}
END_TEST

/* Changing any character of the base64 part (to another that keeps the text well-formed)
 * fails to decrypt. */
START_TEST(test_secrets_tampered_value_fails)
{
    struct secrets_keyring *kr = ring("a:%s", key_a);
    char *stored = secrets_encrypt(kr, &AAD, PLAIN, strlen(PLAIN));
    size_t start = strlen("v1:a:"), n = strlen(stored);
    for (size_t i = start; i < n && stored[i] != '='; i++) {
        char *copy = strdup(stored);
        copy[i] = copy[i] == 'A' ? 'B' : 'A';
        decrypt_fails(kr, &AAD, copy);
        free(copy);
    }
    char *cut = strdup(stored);
    cut[n - 8] = '\0'; /* a truncated value */
    decrypt_fails(kr, &AAD, cut);
    free(cut);
    free(stored);
    secrets_keyring_free(kr);
}
END_TEST

START_TEST(test_secrets_unknown_key_id_named)
{
    struct secrets_keyring *kb = ring("old-1:%s", key_b);
    struct secrets_keyring *ka = ring("a:%s", key_a);
    char *stored = secrets_encrypt(kb, &AAD, PLAIN, strlen(PLAIN));
    const char *err = decrypt_fails(ka, &AAD, stored);
    ck_assert_msg(strstr(err, "no such key \"old-1\"") != NULL, "%s", err);
    ck_assert_ptr_null(strstr(err, key_a));
    ck_assert_ptr_null(strstr(err, key_b));
    /* the right id with another key behind it: named, and not called missing */
    struct secrets_keyring *wrong = ring("old-1:%s", key_a);
    err = decrypt_fails(wrong, &AAD, stored);
    ck_assert_msg(strstr(err, "\"old-1\"") != NULL && strstr(err, "no such key") == NULL, "%s", err);
    free(stored);
    secrets_keyring_free(wrong);
    secrets_keyring_free(ka);
    secrets_keyring_free(kb);
}
END_TEST

START_TEST(test_secrets_rotation)
{
    struct secrets_keyring *before = ring("a:%s", key_a);
    struct secrets_keyring *after = ring("b:%s,a:%s", key_b, key_a);
    char *old = secrets_encrypt(before, &AAD, PLAIN, strlen(PLAIN));
    char *new = secrets_encrypt(after, &AAD, PLAIN, strlen(PLAIN));
    ck_assert_str_eq(secrets_keyring_id(after, 0), "b");
    ck_assert_msg(strncmp(new, "v1:b:", 5) == 0, "%s", new);
    const char *both[] = {old, new};
    for (size_t i = 0; i < 2; i++) {
        char *secret_ = NULL, err[256];
        size_t len = 0;
        ck_assert_msg(secrets_decrypt(after, &AAD, both[i], &secret_, &len, err, sizeof err) == 0,
                      "%s", err);
        ck_assert_str_eq(secret_, PLAIN);
        secrets_value_free(secret_, len);
    }
    /* the old key alone cannot read what the new one wrote */
    ck_assert_ptr_nonnull(strstr(decrypt_fails(before, &AAD, new), "no such key \"b\""));
    free(old);
    free(new);
    secrets_keyring_free(after);
    secrets_keyring_free(before);
}
END_TEST

START_TEST(test_secrets_malformed_stored_forms)
{
    struct secrets_keyring *kr = ring("a:%s", key_a);
    static const char *const bad[] = {
        "",
        "plain-text-password",
        "v2:a:AAAA",
        "v1:a",
        "v1::AAAA",
        "v1:a b:AAAA",
        "v1:a:!!!!",
        "v1:a:AAAA",                                 /* 3 bytes: shorter than nonce and tag */
        "v1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:AAAA", /* a 33-character id */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        decrypt_fails(kr, &AAD, bad[i]);
    char id[SECRETS_KEY_ID_MAX + 1];
    ck_assert_int_eq(secrets_stored_key_id("plain-text-password", id, sizeof id), -1);
    ck_assert_int_eq(secrets_stored_key_id("v1:k_2:xyz", id, sizeof id), 0);
    ck_assert_str_eq(id, "k_2");
    secrets_keyring_free(kr);
}
END_TEST

START_TEST(test_secrets_keyring_good_forms)
{
    struct secrets_keyring *kr = ring(" a:%s ,\tb-2_X:%s", key_a, key_b);
    ck_assert_uint_eq(secrets_keyring_count(kr), 2);
    ck_assert_str_eq(secrets_keyring_id(kr, 0), "a");
    ck_assert_str_eq(secrets_keyring_id(kr, 1), "b-2_X");
    ck_assert_ptr_null(secrets_keyring_id(kr, 2));
    ck_assert(secrets_keyring_has(kr, "b-2_X"));
    ck_assert(!secrets_keyring_has(kr, "b"));
    ck_assert(!secrets_keyring_has(kr, NULL));
    secrets_keyring_free(kr);
    secrets_keyring_free(NULL);
    /* a 32-character id, and a key without its padding */
    char unpadded[64];
    snprintf(unpadded, sizeof unpadded, "%s", key_a);
    unpadded[strcspn(unpadded, "=")] = '\0';
    kr = ring("abcdefghijklmnopqrstuvwxyz012345:%s", unpadded);
    ck_assert_str_eq(secrets_keyring_id(kr, 0), "abcdefghijklmnopqrstuvwxyz012345");
    secrets_keyring_free(kr);
}
END_TEST

/* Writes tmpl into out with each "{a}", "{b}", "{31}", "{33}" replaced by that key. */
static void expand(const char *tmpl, const char *const keys[4], char *out, size_t size)
{
    static const char *const marks[] = {"{a}", "{b}", "{31}", "{33}"};
    size_t at = 0;
    while (*tmpl != '\0' && at + 1 < size) {
        size_t k = 0;
        while (k < 4 && strncmp(tmpl, marks[k], strlen(marks[k])) != 0)
            k++;
        if (k < 4) {
            at += (size_t)snprintf(out + at, size - at, "%s", keys[k]);
            tmpl += strlen(marks[k]);
        } else {
            out[at++] = *tmpl++;
        }
    }
    out[at < size ? at : size - 1] = '\0';
}

START_TEST(test_secrets_keyring_bad_forms)
{
    char k31[64], k33[64], spec[512], err[256];
    make_key(k31, 7, 31);
    make_key(k33, 7, 33);
    const char *const keys[4] = {key_a, key_b, k31, k33};
    const struct {
        const char *spec, *must_say;
    } bad[] = {
        {"", "holds no key"},
        {"  ", "holds no key"},
        {"{a}", "key 1 is not id:base64"},
        {"a:{a},", "key 2 is empty"},
        {"a:{a},,b:{b}", "key 2 is empty"},
        {":{a}", "key 1 has an id"},
        {"a b:{a}", "key 1 has an id"},
        {"a.b:{a}", "key 1 has an id"},
        {"abcdefghijklmnopqrstuvwxyz0123456:{a}", "key 1 has an id"},
        {"a:", "key 1 (id \"a\") is not the base64 of 32 bytes"},
        {"a:{31}", "is not the base64 of 32 bytes"},
        {"a:{33}", "is not the base64 of 32 bytes"},
        {"a:{a};b:{b}", "is not the base64 of 32 bytes"},
        {"a:x{a}", "is not the base64 of 32 bytes"},
        {"a:{a},a:{b}", "key 2 has the same id as key 1 (\"a\")"},
        {"b:{b},a:{a},b:{b}", "key 3 has the same id as key 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expand(bad[i].spec, keys, spec, sizeof spec);
        err[0] = '\0';
        ck_assert_msg(secrets_keyring_parse(spec, err, sizeof err) == NULL, "case %zu accepted", i);
        ck_assert_msg(strstr(err, bad[i].must_say) != NULL, "case %zu: %s", i, err);
        ck_assert_msg(strncmp(err, "AAM_SECRET_KEYS", 15) == 0, "case %zu: %s", i, err);
        /* no key material in the line: not the keys, nor any 12 characters of them */
        for (size_t k = 0; k < 4; k++) {
            char part[13];
            snprintf(part, sizeof part, "%s", keys[k] + 8);
            ck_assert_msg(strstr(err, part) == NULL, "case %zu quotes a key: %s", i, err);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secrets");
    TCase *tc = tcase_create("cipher");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_secrets_round_trip);
    tcase_add_test(tc, test_secrets_empty_binary_and_oversized_values);
    tcase_add_test(tc, test_secrets_moved_value_fails);
    tcase_add_test(tc, test_secrets_tampered_value_fails);
    tcase_add_test(tc, test_secrets_unknown_key_id_named);
    tcase_add_test(tc, test_secrets_rotation);
    tcase_add_test(tc, test_secrets_malformed_stored_forms);
    suite_add_tcase(s, tc);
    TCase *tk = tcase_create("keyring");
    tcase_add_checked_fixture(tk, setup, NULL);
    tcase_add_test(tk, test_secrets_keyring_good_forms);
    tcase_add_test(tk, test_secrets_keyring_bad_forms);
    suite_add_tcase(s, tk);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
