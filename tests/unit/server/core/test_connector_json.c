/* Unit tests for server/connector_json.c: the field rules (tables of valid and invalid ids,
 * types, statuses, names), create and patch bodies with the 422 field errors each must give,
 * filesource config checks against a real sources root, and paging parameters. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/core/connector_json.h"

static char root[PATH_MAX]; /* a real sources root with a folder "data" */
static char scratch[PATH_MAX];

static void setup(void)
{
    char tmpl[] = "/tmp/aam-validate.XXXXXX", p[PATH_MAX + 16];
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_ptr_nonnull(realpath(tmpl, scratch));
    ck_assert_int_lt(snprintf(root, sizeof root, "%s/root", scratch), (int)sizeof root);
    ck_assert_int_eq(mkdir(root, 0755), 0);
    snprintf(p, sizeof p, "%s/data", root);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/outside", scratch);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(chdir(scratch), 0);
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    ck_assert_int_eq(chdir("/"), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    ck_assert_int_eq(system(cmd), 0);
}

/* 1 when fe carries a field error for field. */
static int has_error(const struct field_errors *fe, const char *field)
{
    for (size_t i = 0; i < fe->n; i++) {
        if (strcmp(fe->items[i].field, field) == 0)
            return 1;
    }
    return 0;
}

static size_t n_errors(const struct field_errors *fe)
{
    return fe->n;
}

START_TEST(test_connector_json_field_rules)
{
    char id128[130], id129[131], name200[401], name201[403];
    memset(id128, 'a', 128), id128[128] = '\0';
    memset(id129, 'a', 129), id129[129] = '\0';
    for (int i = 0; i < 200; i++)
        memcpy(name200 + 2 * i, "\xC3\xA9", 2); /* é, two bytes, one character */
    name200[400] = '\0';
    memcpy(name201, name200, 400), memcpy(name201 + 400, "\xC3\xA9", 3);

    const char *ids_ok[] = {"a", "Z", "0", "filesource_demo", "a.b-c_d", "9lives", id128};
    const char *ids_bad[] = {"", "-a", ".a", "_a", "a/b", "a b", "a%2f", "é", "..", id129, NULL};
    for (size_t i = 0; i < sizeof ids_ok / sizeof *ids_ok; i++)
        ck_assert_msg(connector_json_id_valid(ids_ok[i]), "id %s", ids_ok[i]);
    for (size_t i = 0; i < sizeof ids_bad / sizeof *ids_bad; i++)
        ck_assert_msg(!connector_json_id_valid(ids_bad[i]), "id %s",
                      ids_bad[i] ? ids_bad[i] : "NULL");

    ck_assert(connector_json_type_valid("filesource"));
    ck_assert(connector_json_type_valid("s3_bucket2"));
    ck_assert(!connector_json_type_valid(""));
    ck_assert(!connector_json_type_valid("FileSource"));
    ck_assert(!connector_json_type_valid("2files"));
    ck_assert(!connector_json_type_valid("file-source"));
    ck_assert(!connector_json_type_valid(
        "a2345678901234567890123456789012345678901234567890123456789012345")); /* 65 */
    ck_assert(connector_json_type_valid(
        "a234567890123456789012345678901234567890123456789012345678901234")); /* 64 */

    const char *st_ok[] = {"ACTIVE", "INACTIVE", "PENDING", "ERROR"};
    for (size_t i = 0; i < 4; i++)
        ck_assert(connector_json_status_valid(st_ok[i]));
    ck_assert(!connector_json_status_valid("active"));
    ck_assert(!connector_json_status_valid("DELETED"));
    ck_assert(!connector_json_status_valid(""));

    ck_assert(connector_json_name_valid("x"));
    ck_assert(connector_json_name_valid("FilesSource Demo"));
    ck_assert(connector_json_name_valid(name200));
    ck_assert(!connector_json_name_valid(name201));
    ck_assert(!connector_json_name_valid(""));
    ck_assert(!connector_json_name_valid("   "));
    ck_assert(!connector_json_name_valid("tab\there"));
    ck_assert(!connector_json_name_valid("csi \xC2\x9B"
                                         "2J")); /* U+009B */
    ck_assert(!connector_json_name_valid("invoice\xE2\x80\xAE"
                                         "fdp"));                   /* U+202E */
    ck_assert(connector_json_name_valid("Z\xC3\xBCrich \xD7\xA9")); /* letters of any script */
}
END_TEST

static int parse_create(const char *text, struct connector_create *in, struct field_errors *res)
{
    json_t *body = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(body);
    int rc = connector_json_parse_create(body, root, in, res);
    json_decref(body); /* the borrowed strings are not used after this */
    return rc;
}

START_TEST(test_connector_json_create_valid)
{
    struct field_errors res = FIELD_ERRORS_INIT;
    struct connector_create in;
    json_t *body = json_loads("{\"id\":\"c1\",\"name\":\"One\",\"type\":\"rest_api\","
                              "\"config\":{\"base_url\":\"https://x.example\",\"token\":\"t\"},"
                              "\"namespace\":\"ignored\",\"created_at\":\"x\"}",
                              0, NULL);
    ck_assert_int_eq(connector_json_parse_create(body, root, &in, &res), 0);
    ck_assert_str_eq(in.id, "c1");
    ck_assert_str_eq(in.status, "PENDING"); /* the documented default */
    ck_assert_uint_eq(res.n, 0);
    json_decref(body);

    ck_assert_int_eq(
        parse_create("{\"id\":\"f\",\"name\":\"F\",\"type\":\"filesource\",\"status\":\"ACTIVE\","
                     "\"config\":{\"path\":\"root/data\",\"pattern\":\"*.csv\"}}",
                     &in, &res),
        0);
    ck_assert_int_eq(parse_create("{\"id\":\"f\",\"name\":\"F\",\"type\":\"filesource\","
                                  "\"config\":{\"path\":\"root/data/../data/\",\"pattern\":\"*\"}}",
                                  &in, &res),
                     0);
    ck_assert_int_eq(n_errors(&res), 0);
    field_errors_free(&res);
}
END_TEST

struct bad_create {
    const char *body;
    const char *fields[4]; /* every field that must be reported */
    size_t n;              /* and how many errors in total */
};

static const struct bad_create bad_creates[] = {
    {"{}", {"id", "name", "type", "config"}, 4},
    {"{\"id\":\"-x\",\"name\":\"\",\"type\":\"Bad\",\"config\":{}}", {"id", "name", "type"}, 3},
    {"{\"id\":1,\"name\":[],\"type\":null,\"config\":{}}", {"id", "name", "type"}, 3},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"t\",\"config\":[],\"status\":\"on\"}",
     {"config", "status", "type"},
     3},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"t\",\"config\":{},\"owner\":\"x\"}",
     {"owner", "type"},
     2},
    /* the type's spec: one entry per violation; a secret given as null is not judged */
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"postgres\",\"config\":{\"host\":\"h\","
     "\"database\":\"d\",\"user\":\"u\",\"port\":0,\"sslmode\":\"x\",\"password\":null}}",
     {"config.port", "config.sslmode"},
     2},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"postgres\",\"config\":{\"password\":5}}",
     {"config.host", "config.database", "config.user", "config.password"},
     4},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{}}", {"config.path"}, 1},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{\"path\":\"root/data\",\"pattern\":3}}",
     {"config.pattern"},
     1},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{\"path\":\"outside\",\"pattern\":\"*.csv\"}}",
     {"config.path"},
     1},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{\"path\":\"root/../outside\",\"pattern\":\"*.csv\"}}",
     {"config.path"},
     1},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{\"path\":\"/etc\",\"pattern\":\"*.csv\"}}",
     {"config.path"},
     1},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{\"path\":\"root/missing\",\"pattern\":\"*.csv\"}}",
     {"config.path"},
     1},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{\"path\":\"root/data\",\"pattern\":\"../*.csv\"}}",
     {"config.pattern"},
     1},
    {"{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{\"path\":7,\"pattern\":\"\"}}",
     {"config.path", "config.pattern"},
     3}, /* pattern "": too short and not matching ^[^/]+$ */
};

START_TEST(test_connector_json_create_invalid)
{
    const struct bad_create *c = &bad_creates[_i];
    struct field_errors res = FIELD_ERRORS_INIT;
    struct connector_create in;
    ck_assert_int_eq(parse_create(c->body, &in, &res), -1);
    ck_assert_uint_gt(res.n, 0);
    for (size_t i = 0; i < c->n && c->fields[i]; i++)
        ck_assert_msg(has_error(&res, c->fields[i]), "%s: no error for %s", c->body, c->fields[i]);
    ck_assert_msg(n_errors(&res) == c->n, "%s: %zu errors, want %zu", c->body, n_errors(&res), c->n);
    field_errors_free(&res);
}
END_TEST

START_TEST(test_connector_json_symlink_out_of_root)
{
    char link[PATH_MAX + 16];
    struct field_errors res = FIELD_ERRORS_INIT;
    struct connector_create in;
    snprintf(link, sizeof link, "%s/escape", root);
    ck_assert_int_eq(symlink("../outside", link), 0);
    ck_assert_int_eq(parse_create("{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\","
                                  "\"config\":{\"path\":\"root/escape\",\"pattern\":\"*.csv\"}}",
                                  &in, &res),
                     -1);
    ck_assert(has_error(&res, "config.path"));
    field_errors_free(&res);
}
END_TEST

START_TEST(test_connector_json_patch)
{
    struct field_errors res = FIELD_ERRORS_INIT;
    struct connector_patch in;
    json_t *body = json_loads("{\"name\":\"New\",\"status\":\"ERROR\",\"config\":{\"a\":null}}", 0,
                              NULL);
    ck_assert_int_eq(connector_json_parse_patch(body, &in, &res), 0);
    ck_assert_str_eq(in.name, "New");
    ck_assert_str_eq(in.status, "ERROR");
    ck_assert_ptr_nonnull(in.config);
    json_decref(body);

    body = json_loads("{\"status\":\"ACTIVE\"}", 0, NULL);
    ck_assert_int_eq(connector_json_parse_patch(body, &in, &res), 0);
    ck_assert_ptr_null(in.name);
    ck_assert_ptr_null(in.config);
    ck_assert_uint_eq(res.n, 0);
    json_decref(body);

    body = json_loads("{}", 0, NULL); /* nothing to change: the documented minProperties 1 */
    ck_assert_int_eq(connector_json_parse_patch(body, &in, &res), -1);
    ck_assert(has_error(&res, "body"));
    json_decref(body);
    field_errors_free(&res);
    res = (struct field_errors)FIELD_ERRORS_INIT;

    body = json_loads(
        "{\"id\":\"x\",\"type\":\"t\",\"namespace\":\"other\",\"name\":\"\",\"status\":\"nope\","
        "\"config\":\"str\"}",
        0, NULL);
    ck_assert_int_eq(connector_json_parse_patch(body, &in, &res), -1);
    const char *fields[] = {"id", "type", "namespace", "name", "status", "config"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(has_error(&res, fields[i]), "no error for %s", fields[i]);
    ck_assert_uint_eq(n_errors(&res), 6);
    json_decref(body);
    field_errors_free(&res);
}
END_TEST

/* PATCH replaces config whole, so a new filesource config is checked on its own. */
START_TEST(test_connector_json_replaced_config)
{
    struct field_errors res = FIELD_ERRORS_INIT;
    json_t *only_pattern = json_loads("{\"pattern\":\"*.txt\"}", 0, NULL);
    json_t *full = json_loads("{\"path\":\"root/data\",\"pattern\":\"*.txt\"}", 0, NULL);
    json_t *no_pattern = json_loads("{\"path\":\"root/data/\"}", 0, NULL);
    struct connector_folder folder;
    ck_assert_int_eq(connector_json_check_config("filesource", full, root, &folder, &res), 0);
    ck_assert_int_eq(folder.set, 1);
    ck_assert_str_eq(folder.rel, "data");
    ck_assert_int_eq(connector_json_check_config("filesource", no_pattern, root, NULL, &res), 0);
    ck_assert_uint_eq(res.n, 0);
    ck_assert_int_eq(connector_json_check_config("filesource", only_pattern, root, &folder, &res),
                     -1);
    ck_assert_int_eq(folder.set, 0);
    ck_assert(has_error(&res, "config.path"));
    ck_assert_uint_eq(n_errors(&res), 1);
    /* a type the registry lacks (a row from before it): its config cannot be made valid */
    field_errors_free(&res);
    ck_assert_int_eq(connector_json_check_config("custom", only_pattern, root, &folder, &res), -1);
    ck_assert(has_error(&res, "type"));
    ck_assert_uint_eq(n_errors(&res), 1);
    ck_assert_int_eq(folder.set, 0);
    json_decref(only_pattern);
    json_decref(full);
    json_decref(no_pattern);
    field_errors_free(&res);
}
END_TEST

/* Every refused folder gets the same config.path text, so nothing about the filesystem can be
 * probed through it; the root itself is folder "". */
START_TEST(test_connector_json_path_refusals_identical)
{
    static const char *const paths[] = {"/etc",        "root/missing",
                                        "outside",     "root/../outside",
                                        "root/escape", "root/file.csv",
                                        "/etc/shadow"};
    char link[PATH_MAX + 16], file[PATH_MAX + 16];
    snprintf(link, sizeof link, "%s/escape", root);
    snprintf(file, sizeof file, "%s/file.csv", root);
    ck_assert_int_eq(symlink("../outside", link), 0);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct field_errors fe = FIELD_ERRORS_INIT;
        struct connector_folder folder;
        json_t *config = json_pack("{s:s}", "path", paths[i]);
        ck_assert_int_eq(connector_json_check_config("filesource", config, root, &folder, &fe), -1);
        ck_assert_uint_eq(fe.n, 1);
        ck_assert_str_eq(fe.items[0].field, "config.path");
        ck_assert_msg(strcmp(fe.items[0].message, CONNECTOR_PATH_REFUSED) == 0, "%s: %s", paths[i],
                      fe.items[0].message);
        json_decref(config);
        field_errors_free(&fe);
    }
    struct field_errors fe = FIELD_ERRORS_INIT;
    struct connector_folder folder;
    json_t *config = json_pack("{s:s}", "path", "root/");
    ck_assert_int_eq(connector_json_check_config("filesource", config, root, &folder, &fe), 0);
    ck_assert_int_eq(folder.set, 1);
    ck_assert_str_eq(folder.rel, "");
    json_decref(config);
}
END_TEST

static int query_long(const char *value, long *out, struct field_errors *res)
{
    return connector_json_query_long(value, "limit", 50, 1, 500, out, res);
}

START_TEST(test_connector_json_paging)
{
    struct field_errors res = FIELD_ERRORS_INIT;
    long v = 0;
    ck_assert_int_eq(query_long(NULL, &v, &res), 0);
    ck_assert_int_eq(v, 50);
    ck_assert_int_eq(query_long("1", &v, &res), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(query_long("500", &v, &res), 0);
    ck_assert_int_eq(v, 500);
    ck_assert_int_eq(query_long("007", &v, &res), 0);
    ck_assert_int_eq(v, 7);
    const char *bad[] = {
        "", "0", "501", "-1", "+5", " 5", "5 ", "abc", "1e2", "5.0", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(query_long(bad[i], &v, &res) == -1, "limit=%s accepted", bad[i]);
        ck_assert(has_error(&res, "limit"));
    }
    field_errors_free(&res);
}
END_TEST

/* Found by fuzz_connector: a string with "\u0000" was checked and kept only up to the NUL,
 * so {"status":"ACTIVE\u0000x"} passed as ACTIVE and a name was stored cut short. */
START_TEST(test_connector_json_nul_refused)
{
    struct field_errors res = FIELD_ERRORS_INIT;
    struct connector_create in;
    struct connector_patch p;
    json_t *body = json_loads("{\"status\":\"ACTIVE\\u0000x\",\"name\":\"ok\\u0000<b>\"}",
                              JSON_ALLOW_NUL, NULL);
    ck_assert_ptr_nonnull(body);
    ck_assert_int_eq(connector_json_parse_patch(body, &p, &res), -1);
    ck_assert(has_error(&res, "status"));
    ck_assert(has_error(&res, "name"));
    json_decref(body);
    field_errors_free(&res);

    body =
        json_loads("{\"id\":\"a\\u0000b\",\"name\":\"n\",\"type\":\"filesource\","
                   "\"config\":{\"path\":\"root/data\\u0000/../..\",\"pattern\":\"*.csv\\u0000\"}}",
                   JSON_ALLOW_NUL, NULL);
    ck_assert_ptr_nonnull(body);
    ck_assert_int_eq(connector_json_parse_create(body, root, &in, &res), -1);
    ck_assert(has_error(&res, "id"));
    ck_assert(has_error(&res, "config.path"));
    ck_assert(has_error(&res, "config.pattern"));
    ck_assert_uint_eq(n_errors(&res), 3);
    json_decref(body);
    field_errors_free(&res);
}
END_TEST

static Suite *connector_json_suite(void)
{
    Suite *s = suite_create("connector_json");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, test_connector_json_field_rules);
    tcase_add_test(tc, test_connector_json_paging);
    suite_add_tcase(s, tc);
    tc = tcase_create("bodies");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_connector_json_create_valid);
    tcase_add_loop_test(tc, test_connector_json_create_invalid, 0,
                        (int)(sizeof bad_creates / sizeof bad_creates[0]));
    tcase_add_test(tc, test_connector_json_symlink_out_of_root);
    tcase_add_test(tc, test_connector_json_patch);
    tcase_add_test(tc, test_connector_json_replaced_config);
    tcase_add_test(tc, test_connector_json_nul_refused);
    tcase_add_test(tc, test_connector_json_path_refusals_identical);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(connector_json_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
