/* Unit tests for server/core/connector_secrets.c: a config split into its public part (defaults
 * applied, secret fields gone) and its encrypted secret fields (null = clear); a value
 * decrypting for its own connector and field only, with errors that name the connector, field
 * and key id but never the value; a field that holds nothing. The batch jobs need a database:
 * tests/integration/test_secrets.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/connector_secrets.h"
#include "server/core/types.h"

#define KEY_A "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "b:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define SECRET "s3cr3t-value-never-shown"

static struct secrets_keyring *ring(const char *spec)
{
    char err[256];
    struct secrets_keyring *kr = secrets_keyring_parse(spec, err, sizeof err);
    ck_assert_msg(kr != NULL, "%s", err);
    return kr;
}

static const struct schema *spec_of(const char *type)
{
    return types_schema(types_find(type));
}

/* {"password": stored} for connector id of ns, as the secrets column holds it. */
static char *column_for(const struct secrets_keyring *kr, const char *ns, const char *id)
{
    char *stored = connector_secrets_encrypt(kr, ns, id, "password", SECRET, strlen(SECRET));
    ck_assert_ptr_nonnull(stored);
    json_t *doc = json_pack("{s:s}", "password", stored);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    free(stored);
    return text;
}

START_TEST(test_connector_secrets_split)
{
    struct secrets_keyring *kr = ring(KEY_A);
    json_t *config = json_loads("{\"host\":\"h\",\"database\":\"d\",\"user\":\"u\","
                                "\"password\":\"" SECRET "\"}",
                                0, NULL);
    struct connector_secrets_split sp = {0};
    ck_assert_int_eq(connector_secrets_split(kr, spec_of("postgres"), "ns", "c1", config, &sp), 0);
    char *pub = json_dumps(sp.config, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(pub, "{\"database\":\"d\",\"host\":\"h\",\"port\":5432,\"sslmode\":\"prefer\","
                          "\"user\":\"u\"}");
    const char *stored = json_string_value(json_object_get(sp.set, "password"));
    ck_assert_ptr_nonnull(stored);
    ck_assert_int_eq(strncmp(stored, "v1:a:", 5), 0);
    ck_assert_ptr_null(strstr(stored, SECRET));
    ck_assert_uint_eq(json_array_size(sp.clear), 0);
    free(pub);
    connector_secrets_split_free(&sp);
    connector_secrets_split_free(&sp); /* safe twice */

    json_object_set_new(config, "password", json_null()); /* null clears */
    ck_assert_int_eq(connector_secrets_split(kr, spec_of("postgres"), "ns", "c1", config, &sp), 0);
    ck_assert_uint_eq(json_object_size(sp.set), 0);
    ck_assert_str_eq(json_string_value(json_array_get(sp.clear, 0)), "password");
    connector_secrets_split_free(&sp);

    /* no keys: fine without a secret value, refused with one */
    ck_assert_int_eq(connector_secrets_split(NULL, spec_of("postgres"), "ns", "c1", config, &sp), 0);
    connector_secrets_split_free(&sp);
    json_object_set_new(config, "password", json_string(SECRET));
    ck_assert_int_eq(connector_secrets_split(NULL, spec_of("postgres"), "ns", "c1", config, &sp),
                     -1);
    ck_assert_ptr_null(sp.config);
    json_decref(config);
    secrets_keyring_free(kr);
}
END_TEST

START_TEST(test_connector_secrets_decrypt_own_row_only)
{
    struct secrets_keyring *kr = ring(KEY_A);
    char *column = column_for(kr, "acme", "pg1");
    char *value_ = NULL, err[512] = "";
    size_t len = 0;
    ck_assert_int_eq(connector_secrets_decrypt(kr, "acme", "pg1", column, "password", &value_, &len,
                                               err, sizeof err),
                     0);
    ck_assert_uint_eq(len, strlen(SECRET));
    ck_assert_str_eq(value_, SECRET);
    secrets_value_free(value_, len);

    /* the same column moved to another connector, tenant or field */
    static const char *const where[][3] = {{"acme", "pg2", "password"},
                                           {"other", "pg1", "password"},
                                           {"acme", "pg1", "token"}};
    for (size_t i = 0; i < 3; i++) {
        char *moved = NULL;
        if (strcmp(where[i][2], "token") == 0) { /* the value under another field name */
            json_t *doc = json_loads(column, 0, NULL);
            json_object_set(doc, "token", json_object_get(doc, "password"));
            moved = json_dumps(doc, JSON_COMPACT);
            json_decref(doc);
        }
        int rc = connector_secrets_decrypt(kr, where[i][0], where[i][1], moved ? moved : column,
                                           where[i][2], &value_, &len, err, sizeof err);
        ck_assert_int_eq(rc, -1);
        ck_assert_ptr_null(value_);
        char want[128];
        snprintf(want, sizeof want, "connector %s/%s, field %s", where[i][0], where[i][1],
                 where[i][2]);
        ck_assert_msg(strstr(err, want) != NULL, "%s", err);
        ck_assert_msg(strstr(err, "key \"a\"") != NULL, "%s", err);
        ck_assert_ptr_null(strstr(err, SECRET));
        free(moved);
    }
    free(column);
    secrets_keyring_free(kr);
}
END_TEST

START_TEST(test_connector_secrets_missing_key_and_field)
{
    struct secrets_keyring *kr_a = ring(KEY_A), *kr_b = ring(KEY_B);
    struct secrets_keyring *kr_ba = ring(KEY_B "," KEY_A);
    char *column = column_for(kr_a, "acme", "pg1");
    char *value_ = NULL, err[512] = "";
    size_t len = 0;
    ck_assert_int_eq(connector_secrets_decrypt(kr_b, "acme", "pg1", column, "password", &value_,
                                               &len, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "no such key \"a\"") != NULL, "%s", err);
    /* an old key still decrypts after a new first key */
    ck_assert_int_eq(connector_secrets_decrypt(kr_ba, "acme", "pg1", column, "password", &value_,
                                               &len, err, sizeof err),
                     0);
    secrets_value_free(value_, len);
    ck_assert_int_eq(connector_secrets_decrypt(kr_a, "acme", "pg1", "{}", "password", &value_, &len,
                                               err, sizeof err),
                     1); /* nothing stored */
    ck_assert_ptr_null(value_);
    ck_assert_int_eq(connector_secrets_decrypt(kr_a, "acme", "pg1", "[1]", "password", &value_,
                                               &len, err, sizeof err),
                     -1);
    free(column);
    secrets_keyring_free(kr_a);
    secrets_keyring_free(kr_b);
    secrets_keyring_free(kr_ba);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("connector_secrets");
    TCase *tc = tcase_create("split+decrypt");
    tcase_add_test(tc, test_connector_secrets_split);
    tcase_add_test(tc, test_connector_secrets_decrypt_own_row_only);
    tcase_add_test(tc, test_connector_secrets_missing_key_and_field);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
