/* Unit tests for server/core/types.c: the built-in registry as the contract lists it (names,
 * secret fields, defaults, required fields, additionalProperties false, no secret required),
 * lookup, the JSON it serves, and a validation matrix per type, both ways. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/types.h"

static const struct {
    const char *type;
    const char *secrets;  /* comma-separated, in spec order */
    const char *required; /* comma-separated, in spec order */
    const char *defaults; /* compact JSON of the defaults apply_defaults adds to {} */
} expect[] = {
    {"filesource", "", "path", "{\"pattern\":\"*.csv\"}"},
    {"postgres", "password", "host,database,user", "{\"port\":5432,\"sslmode\":\"prefer\"}"},
    {"s3", "secret_access_key", "bucket,region", "{}"},
    {"rest_api", "token", "base_url", "{\"auth_header\":\"Authorization\"}"},
};
#define N_EXPECT (sizeof expect / sizeof expect[0])

static void join_strings(const json_t *arr, char *out, size_t size)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(arr) && at < size; i++)
        at += (size_t)snprintf(out + at, size - at, "%s%s", i ? "," : "",
                               json_string_value(json_array_get(arr, i)));
}

START_TEST(test_types_builtin_as_the_contract_lists)
{
    ck_assert_uint_eq(types_count(), N_EXPECT);
    const struct types_type *t = types_find(expect[_i].type);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_eq(types_at((size_t)_i), t);
    ck_assert_str_eq(types_name(t), expect[_i].type);
    ck_assert(strlen(types_title(t)) > 0);
    const struct schema *s = types_schema(t);
    const json_t *spec = schema_spec(s);
    ck_assert(json_is_false(json_object_get(spec, "additionalProperties")));
    ck_assert_str_eq(json_string_value(json_object_get(spec, "type")), "object");

    char got[256];
    json_t *secrets = schema_secret_names(s);
    join_strings(secrets, got, sizeof got);
    ck_assert_str_eq(got, expect[_i].secrets);
    json_decref(secrets);
    join_strings(json_object_get(spec, "required"), got, sizeof got);
    ck_assert_str_eq(got, expect[_i].required);

    json_t *c = json_object();
    ck_assert_int_ge(schema_apply_defaults(s, c), 0);
    json_t *want = json_loads(expect[_i].defaults, 0, NULL);
    ck_assert_msg(json_equal(c, want), "%s defaults", expect[_i].type);
    json_decref(want);
    json_decref(c);

    /* every property is served with a title, for the generated form */
    const char *name;
    json_t *p;
    json_object_foreach(json_object_get(spec, "properties"), name, p) {
        ck_assert_msg(json_is_string(json_object_get(p, "title")), "%s.%s has no title",
                      expect[_i].type, name);
    }
}
END_TEST

START_TEST(test_types_lookup_and_json)
{
    ck_assert_ptr_null(types_find("mysql"));
    ck_assert_ptr_null(types_find(""));
    ck_assert_ptr_null(types_find(NULL));
    ck_assert_ptr_null(types_find("Postgres"));
    ck_assert_ptr_null(types_at(types_count()));

    json_t *one = types_json(types_find("postgres"));
    ck_assert_str_eq(json_string_value(json_object_get(one, "type")), "postgres");
    ck_assert_str_eq(json_string_value(json_object_get(one, "title")), "PostgreSQL");
    ck_assert(json_is_string(json_object_get(one, "description")));
    ck_assert(json_is_object(json_object_get(one, "spec")));
    ck_assert_uint_eq(json_object_size(one), 4);
    json_decref(one);

    json_t *list = types_list_json();
    json_t *arr = json_object_get(list, "types");
    ck_assert_uint_eq(json_array_size(arr), types_count());
    for (size_t i = 0; i < json_array_size(arr); i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, i), "type")),
                         types_name(types_at(i)));
    json_decref(list);
}
END_TEST

/* type, config, the fields refused ("" = valid), comma-separated in order. */
static const struct {
    const char *type, *config, *fields;
} matrix[] = {
    {"filesource", "{\"path\":\"mock_sources/\",\"pattern\":\"*.csv\"}", ""}, /* the demo */
    {"filesource", "{\"path\":\"mock_sources/\"}", ""},
    {"filesource", "{}", "config.path"},
    {"filesource", "{\"path\":\"\"}", "config.path"},
    {"filesource", "{\"path\":\"x\",\"pattern\":\"a/*.csv\"}", "config.pattern"},
    /* two violations, two entries: too short and not matching ^[^/]+$ */
    {"filesource", "{\"path\":\"x\",\"pattern\":\"\"}", "config.pattern,config.pattern"},
    {"filesource", "{\"path\":\"x\",\"recursive\":true}", "config.recursive"},
    {"postgres", "{\"host\":\"db.internal\",\"database\":\"app\",\"user\":\"reader\"}", ""},
    {"postgres",
     "{\"host\":\"10.1.2.3\",\"port\":6432,\"database\":\"app\",\"user\":\"r\",\"password\":"
     "\"pw\",\"sslmode\":\"verify-full\"}",
     ""},
    {"postgres", "{\"database\":\"app\",\"user\":\"r\"}", "config.host"},
    {"postgres", "{\"host\":\"db\",\"user\":\"r\"}", "config.database"},
    {"postgres", "{\"host\":\"db\",\"database\":\"app\"}", "config.user"},
    {"postgres", "{\"host\":\"db\",\"database\":\"a\",\"user\":\"r\",\"port\":0}", "config.port"},
    {"postgres", "{\"host\":\"db\",\"database\":\"a\",\"user\":\"r\",\"port\":65536}",
     "config.port"},
    {"postgres", "{\"host\":\"db\",\"database\":\"a\",\"user\":\"r\",\"port\":\"5432\"}",
     "config.port"},
    {"postgres", "{\"host\":\"db\",\"database\":\"a\",\"user\":\"r\",\"sslmode\":\"on\"}",
     "config.sslmode"},
    {"postgres", "{\"host\":\"db host\",\"database\":\"a\",\"user\":\"r\"}", "config.host"},
    {"postgres", "{\"host\":\"db\",\"database\":\"a\",\"user\":\"r\",\"password\":5}",
     "config.password"},
    {"postgres", "{\"host\":\"db\",\"database\":\"\",\"user\":\"r\",\"dsn\":\"x\"}",
     "config.database,config.dsn"},
    {"s3", "{\"bucket\":\"my-bucket\",\"region\":\"eu-central-1\"}", ""},
    {"s3",
     "{\"bucket\":\"my.bucket\",\"region\":\"us-east-1\",\"prefix\":\"exports/\",\"endpoint\":"
     "\"https://minio.internal:9000\",\"access_key_id\":\"AKIA\",\"secret_access_key\":\"s\"}",
     ""},
    {"s3", "{\"region\":\"us-east-1\"}", "config.bucket"},
    {"s3", "{\"bucket\":\"my-bucket\"}", "config.region"},
    {"s3", "{\"bucket\":\"My_Bucket\",\"region\":\"us-east-1\"}", "config.bucket"},
    {"s3", "{\"bucket\":\"ab\",\"region\":\"us-east-1\"}", "config.bucket"},
    {"s3", "{\"bucket\":\"abc\",\"region\":\"US East\"}", "config.region"},
    {"s3", "{\"bucket\":\"abc\",\"region\":\"x\",\"endpoint\":\"minio:9000\"}", "config.endpoint"},
    {"s3", "{\"bucket\":\"abc\",\"region\":\"x\",\"endpoint\":\"ftp://minio\"}", "config.endpoint"},
    {"rest_api", "{\"base_url\":\"https://api.example.com/v1\"}", ""},
    {"rest_api", "{\"base_url\":\"http://api\",\"auth_header\":\"X-Api-Key\",\"token\":\"t\"}", ""},
    {"rest_api", "{}", "config.base_url"},
    {"rest_api", "{\"base_url\":\"api.example.com\"}", "config.base_url,config.base_url"},
    {"rest_api", "{\"base_url\":\"file:///etc/passwd\"}", "config.base_url"},
    {"rest_api", "{\"base_url\":\"https://a\",\"auth_header\":\"X Key\"}", "config.auth_header"},
    {"rest_api", "{\"base_url\":\"https://a\",\"auth_header\":\"X:\"}", "config.auth_header"},
    {"rest_api", "{\"base_url\":\"https://a\",\"token\":null}", "config.token"},
};

START_TEST(test_types_validation_matrix)
{
    const struct types_type *t = types_find(matrix[_i].type);
    ck_assert_ptr_nonnull(t);
    json_t *c = json_loads(matrix[_i].config, 0, NULL);
    ck_assert_ptr_nonnull(c);
    struct field_errors fe = FIELD_ERRORS_INIT;
    int rc = schema_validate(types_schema(t), c, &fe);
    char got[512];
    size_t at = 0;
    got[0] = '\0';
    for (size_t i = 0; i < fe.n; i++)
        at += (size_t)snprintf(got + at, sizeof got - at, "%s%s", i ? "," : "", fe.items[i].field);
    ck_assert_msg(strcmp(got, matrix[_i].fields) == 0, "%s %s: refused [%s], want [%s]",
                  matrix[_i].type, matrix[_i].config, got, matrix[_i].fields);
    ck_assert_int_eq(rc, matrix[_i].fields[0] ? -1 : 0);
    field_errors_free(&fe);
    json_decref(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("types");
    TCase *tc = tcase_create("registry");
    tcase_add_loop_test(tc, test_types_builtin_as_the_contract_lists, 0, (int)N_EXPECT);
    tcase_add_test(tc, test_types_lookup_and_json);
    tcase_add_loop_test(tc, test_types_validation_matrix, 0,
                        (int)(sizeof matrix / sizeof matrix[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
