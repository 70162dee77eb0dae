/* The check routes' status paths, driven without a server or a database (db_script.c): 401,
 * 404, 403, 422 (no-check and invalid configs, never asking the database), 429 with
 * Retry-After, 503, and a 200 report whose failed check is recorded with the actor. */
#include "server/handlers/checks.h"

#include "tests/unit/server/handlers/handler_test.h"

#define NS "acme"

static const char *const one_cell[] = {"1"};
static const struct dbs_table tenant_exists = {1, 1, one_cell, 0};
static const char *const zero[] = {"0"};
static const char *const wait12[] = {"12"};
/* db_checks_start: the budget statement's row, then the connector (type, status, config,
 * secrets, updated_at us). */
static const char *const fs_row[] = {"filesource", "ACTIVE", "{\"path\":\"/nowhere\"}", NULL,
                                     "1700000000000000"};
static const char *const s3_row[] = {"s3", "ACTIVE", "{}", NULL, "0"};
static const struct dbs_table started_fs[] = {{1, 1, zero, 0}, {1, 5, fs_row, 0}};
static const struct dbs_table started_s3[] = {{1, 1, zero, 0}, {1, 5, s3_row, 0}};
static const struct dbs_table limited[] = {{1, 1, wait12, 0}, {0, 5, NULL, 0}};
static const struct dbs_table not_found[] = {{0, 1, NULL, 0}, {0, 5, NULL, 0}};
static const struct dbs_table precreate_ok = {1, 1, zero, 0};
static const struct dbs_table precreate_limited = {1, 1, wait12, 0};
static const struct dbs_table precreate_no_tenant = {0, 1, NULL, 0};
/* db_checks_record: the settings, then the statuses before and after. */
static const char *const moved[] = {"ACTIVE", "ERROR"};
static const struct dbs_table recorded[] = {{1, 1, one_cell, 0}, {1, 2, moved, 0}};

static void on_connector(struct ht *t, const char *id)
{
    ht_init(t, "POST", "/api/v1/aam/connectors");
    snprintf(t->path, sizeof t->path, "/api/v1/aam/connectors/%s/check", id);
    t->req.path = t->path;
    ht_param(t, id);
    ht_as(t, NS);
}

static void on_type(struct ht *t, const char *type, const char *body)
{
    ht_init(t, "POST", "/api/v1/aam/connector-types");
    snprintf(t->path, sizeof t->path, "/api/v1/aam/connector-types/%s/check", type);
    t->req.path = t->path;
    ht_param(t, type);
    ht_as(t, NS);
    if (body != NULL)
        ht_body(t, body);
}

START_TEST(test_checks_401_without_token)
{
    struct ht t;
    ht_init(&t, "POST", "/api/v1/aam/connectors/c1/check");
    ht_param(&t, "c1");
    ht_run(&t, checks_connector, 401);
    ht_done(&t);
    ht_init(&t, "POST", "/api/v1/aam/connector-types/filesource/check");
    ht_param(&t, "filesource");
    ht_run(&t, checks_config, 401);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_checks_connector_404)
{
    struct ht t;
    on_connector(&t, "bad id!");
    ht_run(&t, checks_connector, 404);
    ck_assert_uint_eq(dbs_calls(), 0); /* an id that breaks the rule is never asked for */
    ht_done(&t);
    on_connector(&t, "c1");
    dbs_reply_ok(not_found, 2);
    dbs_reply_ok(&tenant_exists, 1);
    ht_run(&t, checks_connector, 404);
    ck_assert_str_eq(dbs_call_ns(0), NS);
    ck_assert_str_eq(dbs_call_param(0, 0, 0), NS);
    ck_assert_str_eq(dbs_call_param(0, 0, 1), "c1");
    ck_assert_str_eq(dbs_call_param(0, 0, 2), "30"); /* the budget */
    ht_done(&t);
}
END_TEST

START_TEST(test_checks_connector_429_and_503)
{
    struct ht t;
    on_connector(&t, "c1");
    dbs_reply_ok(limited, 2);
    ht_run(&t, checks_connector, 429);
    ck_assert_int_eq(t.res.retry_after, 12);
    ck_assert_uint_eq(dbs_calls(), 1); /* nothing checked, nothing recorded */
    ht_done(&t);
    on_connector(&t, "c1");
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, checks_connector, 503);
    ck_assert_int_gt(t.res.retry_after, 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_checks_connector_422_no_check)
{
    struct ht t;
    on_connector(&t, "c1");
    dbs_reply_ok(started_s3, 2);
    ht_run(&t, checks_connector, 422);
    ck_assert_str_eq(ht_str(&t, "type"), "urn:aam:problem:no-check");
    ck_assert_uint_eq(dbs_calls(), 1);
    ht_done(&t);
}
END_TEST

/* A failing check is a 200 report; its result goes to the database with the actor. */
START_TEST(test_checks_connector_200_failed_and_recorded)
{
    struct ht t;
    on_connector(&t, "c1");
    dbs_reply_ok(started_fs, 2);
    dbs_reply_ok(recorded, 2);
    ht_run(&t, checks_connector, 200);
    ck_assert(json_is_false(json_object_get(t.doc, "ok")));
    json_t *step = json_array_get(json_object_get(t.doc, "steps"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(step, "name")), "folder");
    ck_assert_ptr_nonnull(json_object_get(t.doc, "checked_at"));
    ck_assert_ptr_nonnull(json_object_get(t.doc, "duration_ms"));
    ck_assert_uint_eq(dbs_calls(), 2);
    ck_assert_str_eq(dbs_call_param(1, 0, 0), "user"); /* aam.actor_type */
    ck_assert_str_eq(dbs_call_param(1, 0, 1), "user-1");
    ck_assert_str_eq(dbs_call_param(1, 1, 2), "false");
    ck_assert_ptr_nonnull(strstr(dbs_call_param(1, 1, 4), "folder: "));
    ck_assert_str_eq(dbs_call_param(1, 1, 5), "1700000000000000");
    ht_done(&t);
}
END_TEST

START_TEST(test_checks_config_404_422_never_ask)
{
    struct ht t;
    on_type(&t, "nosuch", "{\"config\":{}}");
    ht_run(&t, checks_config, 404);
    ht_done(&t);
    on_type(&t, "s3", "{\"config\":{\"bucket\":\"abc\",\"region\":\"eu\"}}");
    ht_run(&t, checks_config, 422);
    ck_assert_str_eq(ht_str(&t, "type"), "urn:aam:problem:no-check");
    ht_done(&t);
    on_type(&t, "postgres", "{\"config\":{\"host\":\"db\",\"port\":0},\"x\":1}");
    ht_run(&t, checks_config, 422);
    ck_assert(ht_field_error(&t, "config.port"));
    ck_assert(ht_field_error(&t, "config.database"));
    ck_assert(ht_field_error(&t, "x"));
    ht_done(&t);
    on_type(&t, "rest_api", "{}");
    ht_run(&t, checks_config, 422);
    ck_assert(ht_field_error(&t, "config"));
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_checks_config_403_429_200)
{
    static const char body[] = "{\"config\":{\"base_url\":\"http://127.0.0.1:9/\",\"token\":\"t\"}}";
    struct ht t;
    on_type(&t, "rest_api", body);
    dbs_reply_ok(&precreate_no_tenant, 1);
    ht_run(&t, checks_config, 403);
    ht_done(&t);
    on_type(&t, "rest_api", body);
    dbs_reply_ok(&precreate_limited, 1);
    ht_run(&t, checks_config, 429);
    ck_assert_int_eq(t.res.retry_after, 12);
    ck_assert_ptr_null(dbs_call_param(0, 0, 1)); /* a pre-create check counts too */
    ht_done(&t);
    /* No network is allowed here (no AAM_OUTBOUND_NETS): the resolve step fails, as a 200. */
    on_type(&t, "rest_api", body);
    dbs_reply_ok(&precreate_ok, 1);
    ht_run(&t, checks_config, 200);
    ck_assert(json_is_false(json_object_get(t.doc, "ok")));
    ck_assert_uint_eq(dbs_calls(), 1); /* nothing stored */
    ht_done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_checks");
    TCase *tc = tcase_create("checks");
    tcase_add_test(tc, test_checks_401_without_token);
    tcase_add_test(tc, test_checks_connector_404);
    tcase_add_test(tc, test_checks_connector_429_and_503);
    tcase_add_test(tc, test_checks_connector_422_no_check);
    tcase_add_test(tc, test_checks_connector_200_failed_and_recorded);
    tcase_add_test(tc, test_checks_config_404_422_never_ask);
    tcase_add_test(tc, test_checks_config_403_429_200);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
