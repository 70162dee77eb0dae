/* Unit tests for server/handlers/connectors.c without a server or a database: the database
 * seam is scripted (db_script.c), so every status path is driven directly: 401 without a
 * tenant, 403 when the token's namespace has no tenant (asked only when nothing was found),
 * 404 for an id that cannot exist or a row that is not there, 409 for an existing id,
 * 415/400/422 for bad bodies and queries (the database is then never asked), 503 when the
 * database is unavailable, 500 when it fails otherwise, and the success bodies. Each call is
 * checked to be scoped to the token's namespace. */
#include "server/handlers/connectors.h"
#include "tests/unit/server/handlers/handler_test.h"

#define NS "acme"

/* id, name, type, status, config, created_at us, updated_at us, version (CONNECTOR_COLS) */
static const char *const row_c1[] = {"c1",        "One", "custom", "ACTIVE", "{\"k\": 1}",
                                     "1700000000000000", "1700000001000000", "7"};
static const struct dbs_table one_row = {1, 8, row_c1, 0};
static const struct dbs_table no_rows = {0, 8, NULL, 0};

/* tenant.c's look-up after an empty answer: the tenant exists, or it does not. */
static const char *const one_cell[] = {"1"};
static const struct dbs_table tenant_exists = {1, 1, one_cell, 0};
static const struct dbs_table tenant_missing = {0, 1, NULL, 0};

/* A list page (aam_list_connectors): the connector columns, the total, whether the tenant
 * exists, the tenant's revision. An empty page is one row with NULL connector columns; the
 * not-modified row (aam_list_connectors_if) has a NULL total too. */
static const char *const page_cells[] = {
    "c1", "One", "custom", "ACTIVE",  "{}", "0", "0", "11", "3", "t", "42",
    "c2", "Two", "custom", "PENDING", "{}", "0", "0", "12", "3", "t", "42"};
static const struct dbs_table page = {2, 11, page_cells, 0};
static const char *const empty_page_cells[] = {NULL, NULL, NULL, NULL, NULL, NULL,
                                               NULL, NULL, "5",  "t",  "42"};
static const struct dbs_table empty_page = {1, 11, empty_page_cells, 0};
static const char *const list_no_tenant_cells[] = {NULL, NULL, NULL, NULL, NULL, NULL,
                                                   NULL, NULL, "0",  "f",  NULL};
static const struct dbs_table list_no_tenant = {1, 11, list_no_tenant_cells, 0};
static const char *const not_modified_cells[] = {NULL, NULL, NULL, NULL, NULL, NULL,
                                                 NULL, NULL, NULL, "t",  "42"};
static const struct dbs_table not_modified = {1, 11, not_modified_cells, 0};

static void assert_scoped_to_tenant(void)
{
    ck_assert_uint_ge(dbs_calls(), 1);
    for (size_t i = 0; i < dbs_calls(); i++) {
        ck_assert_str_eq(dbs_call_ns(i), NS);
        ck_assert_str_eq(dbs_call_param(i, 0, 0), NS); /* and every WHERE names it too */
    }
}

/* The usual start of a request as tenant NS: to the collection when id is NULL, else to
 * connector id (the route's one capture), with body when it is not NULL. */
static void connector_request(struct ht *t, const char *method, const char *id, const char *body)
{
    ht_init(t, method, "/api/v1/aam/connectors");
    if (id != NULL) {
        snprintf(t->path, sizeof t->path, "/api/v1/aam/connectors/%s", id);
        t->req.path = t->path;
        ht_param(t, id);
    }
    ht_as(t, NS);
    if (body != NULL)
        ht_body(t, body);
}

/* ------------------------------------------------------------------ list */

START_TEST(test_connectors_list_401_without_tenant)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/aam/connectors");
    ht_run(&t, connectors_list, 401);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_list_422_bad_query)
{
    static const char *const bad[][2] = {{"limit", "0"}, {"limit", "501"},     {"offset", "-1"},
                                         {"limit", "x"}, {"status", "active"}, {"type", ""}};
    struct ht t;
    connector_request(&t, "GET", NULL, NULL);
    ht_query(&t, bad[_i][0], bad[_i][1]);
    ht_run(&t, connectors_list, 422);
    ck_assert_msg(ht_field_error(&t, bad[_i][0]), "no error for %s", bad[_i][0]);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_list_200_page_and_total)
{
    struct ht t;
    connector_request(&t, "GET", NULL, NULL);
    ht_query(&t, "limit", "2");
    dbs_reply_ok(&page, 1);
    ht_run(&t, connectors_list, 200);
    assert_scoped_to_tenant();
    ck_assert_int_eq(dbs_call_nstmts(0), 1);     /* the page carries the total */
    ck_assert_ptr_null(dbs_call_param(0, 0, 1)); /* no status filter: NULL */
    ck_assert_ptr_null(dbs_call_param(0, 0, 2)); /* no type filter: NULL */
    ck_assert_str_eq(dbs_call_param(0, 0, 3), "2");
    ck_assert_str_eq(dbs_call_param(0, 0, 4), "0");
    json_t *list = json_object_get(t.doc, "connectors");
    ck_assert_uint_eq(json_array_size(list), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(t.doc, "total")), 3);
    json_t *c1 = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(c1, "namespace")), NS);
    ck_assert_str_eq(json_string_value(json_object_get(c1, "created_at")),
                     "1970-01-01T00:00:00.000000Z");
    ht_done(&t);
}
END_TEST

/* Past the end: no connectors, and still the total, from the same single statement. */
START_TEST(test_connectors_list_past_the_end_keeps_total)
{
    struct ht t;
    connector_request(&t, "GET", NULL, NULL);
    ht_query(&t, "offset", "40");
    ht_query(&t, "status", "ACTIVE");
    ht_query(&t, "type", "s3");
    dbs_reply_ok(&empty_page, 1);
    ht_run(&t, connectors_list, 200);
    ck_assert_uint_eq(dbs_calls(), 1);
    ck_assert_int_eq(dbs_call_nstmts(0), 1);
    ck_assert_str_eq(dbs_call_param(0, 0, 1), "ACTIVE");
    ck_assert_str_eq(dbs_call_param(0, 0, 2), "s3");
    ck_assert_str_eq(dbs_call_param(0, 0, 4), "40");
    ck_assert_uint_eq(json_array_size(json_object_get(t.doc, "connectors")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(t.doc, "total")), 5);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_list_503_database_unavailable)
{
    struct ht t;
    connector_request(&t, "GET", NULL, NULL);
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, connectors_list, 503);
    ck_assert_int_eq(t.res.retry_after, 2);
    ht_done(&t);
}
END_TEST

/* A result that is not the shape asked for is a 500, never a half-written body. */
START_TEST(test_connectors_list_500_on_bad_shape)
{
    static const char *const short_row[] = {"c1", "One"};
    const struct dbs_table bad = {1, 2, short_row, 0};
    struct ht t;
    connector_request(&t, "GET", NULL, NULL);
    dbs_reply_ok(&bad, 1);
    ht_run(&t, connectors_list, 500);
    ck_assert_ptr_null(json_object_get(t.doc, "connectors"));
    ht_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ get, delete */

START_TEST(test_connectors_get_404_bad_id_never_asks)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/aam/connectors/x");
    ht_as(&t, NS);
    ht_param(&t, "-not-an-id");
    ht_run(&t, connectors_get, 404);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_get_404_no_row)
{
    struct ht t;
    connector_request(&t, "GET", "c9", NULL);
    dbs_reply_ok(&no_rows, 1);
    dbs_reply_ok(&tenant_exists, 1);
    ht_run(&t, connectors_get, 404);
    assert_scoped_to_tenant();
    ck_assert_str_eq(dbs_call_param(0, 0, 1), "c9");
    ht_done(&t);
}
END_TEST

/* A token for a namespace with no tenant: 403 naming it, for reads and writes alike. */
START_TEST(test_connectors_403_tenant_missing)
{
    struct ht t;
    connector_request(&t, "GET", "c9", NULL);
    dbs_reply_ok(&no_rows, 1);
    dbs_reply_ok(&tenant_missing, 1);
    ht_run(&t, connectors_get, 403);
    ck_assert_ptr_nonnull(strstr(ht_str(&t, "detail"), "\"acme\" does not exist"));
    ht_done(&t);

    connector_request(&t, "GET", NULL, NULL);
    dbs_reply_ok(&list_no_tenant, 1);
    ht_run(&t, connectors_list, 403); /* not a silent empty list */
    ck_assert_uint_eq(dbs_calls(), 1);
    ht_done(&t);

    connector_request(&t, "DELETE", "c9", NULL); /* the look-up itself fails: 503 */
    dbs_reply_ok(&no_rows, 1);
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, connectors_delete, 503);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_get_200)
{
    struct ht t;
    connector_request(&t, "GET", "c1", NULL);
    dbs_reply_ok(&one_row, 1);
    ht_run(&t, connectors_get, 200);
    ck_assert_str_eq(ht_str(&t, "id"), "c1");
    ck_assert_str_eq(ht_str(&t, "type"), "custom");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(t.doc, "config"), "k")), 1);
    ck_assert_str_eq(ht_str(&t, "updated_at"), "2023-11-14T22:13:21.000000Z");
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_get_503_and_500)
{
    struct ht t;
    connector_request(&t, "GET", "c1", NULL);
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, connectors_get, 503);
    ht_done(&t);

    connector_request(&t, "GET", "c1", NULL);
    dbs_reply_error(DB_ERR_QUERY, NULL);
    ht_run(&t, connectors_get, 500);
    ck_assert_str_eq(ht_str(&t, "detail"), "internal error"); /* the cause stays in the log */
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_delete_204_then_404)
{
    static const char *const deleted_cell[] = {"deleted"}, *const absent_cell[] = {"absent"};
    const struct dbs_table deleted = {1, 1, deleted_cell, 1}, none = {1, 1, absent_cell, 0};
    struct ht t;
    connector_request(&t, "DELETE", "c1", NULL);
    dbs_reply_ok(&deleted, 1);
    ht_run(&t, connectors_delete, 204);
    assert_scoped_to_tenant();
    ht_done(&t);

    connector_request(&t, "DELETE", "c1", NULL);
    dbs_reply_ok(&none, 1);
    dbs_reply_ok(&tenant_exists, 1);
    ht_run(&t, connectors_delete, 404);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_delete_503)
{
    struct ht t;
    connector_request(&t, "DELETE", "c1", NULL);
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, connectors_delete, 503);
    ht_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ create */

#define GOOD_BODY "{\"id\":\"c1\",\"name\":\"One\",\"type\":\"custom\",\"config\":{\"k\":1}}"

/* The create transaction: the quota lock (no rows), then the statement's row: tenant exists,
 * folder owned, room (below the quota, or the id taken), then CONNECTOR_COLS (NULL when
 * nothing was inserted). */
static const char *const created_cells[] = {"t",          "t", "t", "c1", "One", "custom", "PENDING",
                                            "{\"k\": 1}", "0", "0", "5"};
static const char *const taken_cells[] = {"t",  "t",  "t",  NULL, NULL, NULL,
                                          NULL, NULL, NULL, NULL, NULL};
static const char *const no_tenant_cells[] = {"f",  "t",  "t",  NULL, NULL, NULL,
                                              NULL, NULL, NULL, NULL, NULL};
static const char *const not_owned_cells[] = {"t",  "f",  "t",  NULL, NULL, NULL,
                                              NULL, NULL, NULL, NULL, NULL};
static const char *const full_cells[] = {"t",  "t",  "f",  NULL, NULL, NULL,
                                         NULL, NULL, NULL, NULL, NULL};
static const struct dbs_table created[] = {{0, 0, NULL, 0}, {1, 11, created_cells, 0}};
static const struct dbs_table taken[] = {{0, 0, NULL, 0}, {1, 11, taken_cells, 0}};

START_TEST(test_connectors_create_201)
{
    struct ht t;
    connector_request(&t, "POST", NULL, GOOD_BODY);
    dbs_reply_ok(created, 2);
    ht_run(&t, connectors_create, 201);
    assert_scoped_to_tenant();
    ck_assert_int_eq(dbs_call_nstmts(0), 2); /* the quota lock, then count-and-insert */
    ck_assert_str_eq(dbs_call_param(0, 1, 1), "c1");
    ck_assert_str_eq(dbs_call_param(0, 1, 4), "PENDING"); /* the default status */
    ck_assert_str_eq(dbs_call_param(0, 1, 7), "1000");    /* AAM_MAX_CONNECTORS_PER_TENANT */
    ck_assert_str_eq(t.res.location, "/api/v1/aam/connectors/c1");
    ck_assert_str_eq(ht_str(&t, "id"), "c1");
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_create_409_existing_id)
{
    struct ht t;
    connector_request(&t, "POST", NULL, GOOD_BODY);
    dbs_reply_ok(taken, 2); /* ON CONFLICT DO NOTHING inserted nothing */
    ht_run(&t, connectors_create, 409);
    ck_assert_ptr_nonnull(strstr(ht_str(&t, "detail"), "\"c1\" already exists"));
    ck_assert_str_eq(ht_str(&t, "type"), "about:blank");
    ht_done(&t);
}
END_TEST

/* No room below AAM_MAX_CONNECTORS_PER_TENANT: 409 whose problem type names the quota. */
START_TEST(test_connectors_create_409_quota)
{
    const struct dbs_table full[] = {{0, 0, NULL, 0}, {1, 11, full_cells, 0}};
    struct ht t;
    connector_request(&t, "POST", NULL, GOOD_BODY);
    dbs_reply_ok(full, 2);
    ht_run(&t, connectors_create, 409);
    ck_assert_str_eq(ht_str(&t, "type"), "urn:aam:problem:connector-quota");
    ck_assert_ptr_nonnull(strstr(ht_str(&t, "detail"), "AAM_MAX_CONNECTORS_PER_TENANT"));
    ht_done(&t);
}
END_TEST

/* The statement's own checks: no tenant (403; also when the foreign key refuses the row),
 * a folder the tenant does not own (422 on config.path). Nothing is stored either way. */
START_TEST(test_connectors_create_refused_by_the_statement)
{
    const struct dbs_table no_tenant[] = {{0, 0, NULL, 0}, {1, 11, no_tenant_cells, 0}};
    const struct dbs_table not_owned[] = {{0, 0, NULL, 0}, {1, 11, not_owned_cells, 0}};
    struct ht t;
    connector_request(&t, "POST", NULL, GOOD_BODY);
    if (_i == 0)
        dbs_reply_ok(no_tenant, 2);
    else if (_i == 1)
        dbs_reply_error(DB_ERR_INVALID, "connections_namespace_fkey");
    else
        dbs_reply_ok(not_owned, 2);
    ht_run(&t, connectors_create, _i < 2 ? 403 : 422);
    if (_i == 2)
        ck_assert(ht_field_error(&t, "config.path"));
    ht_done(&t);
}
END_TEST

struct bad_body {
    const char *content_type, *body;
    int status;
    const char *field; /* a 422's expected field error, or NULL */
};

static const struct bad_body bad_bodies[] = {
    {"text/plain", GOOD_BODY, 415, NULL},
    {"application/json", "", 400, NULL},
    {"application/json", "{\"id\":", 400, NULL},
    {"application/json", "[1,2]", 422, "body"},
    {"application/json", "{\"name\":\"n\",\"type\":\"custom\",\"config\":{}}", 422, "id"},
    {"application/json", "{\"id\":\"a b\",\"name\":\"n\",\"type\":\"custom\",\"config\":{}}", 422,
     "id"},
    {"application/json", "{\"id\":\"a\",\"name\":\"n\",\"type\":\"custom\"}", 422, "config"},
    {"application/json", "{\"id\":\"a\",\"name\":\"n\",\"type\":\"filesource\",\"config\":{}}", 422,
     "config.path"},
    {"application/json", "{\"id\":\"a\",\"name\":\"n\",\"type\":\"custom\",\"config\":{},\"x\":1}",
     422, "x"},
};

START_TEST(test_connectors_create_bad_body_never_asks)
{
    const struct bad_body *b = &bad_bodies[_i];
    struct ht t;
    connector_request(&t, "POST", NULL, b->body);
    t.req.content_type = b->content_type;
    ht_run(&t, connectors_create, b->status);
    if (b->field != NULL)
        ck_assert_msg(ht_field_error(&t, b->field), "%s: no error for %s", b->body, b->field);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_create_database_errors)
{
    static const struct {
        enum db_status st;
        int status;
    } cases[] = {{DB_ERR_UNAVAILABLE, 503},
                 {DB_ERR_UNIQUE, 409},
                 {DB_ERR_INVALID, 422},
                 {DB_ERR_QUERY, 500}};
    struct ht t;
    connector_request(&t, "POST", NULL, GOOD_BODY);
    dbs_reply_error(cases[_i].st, NULL);
    ht_run(&t, connectors_create, cases[_i].status);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_create_401_without_tenant)
{
    struct ht t;
    ht_init(&t, "POST", "/api/v1/aam/connectors");
    ht_body(&t, GOOD_BODY);
    ht_run(&t, connectors_create, 401);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ patch */

START_TEST(test_connectors_patch_200_and_404)
{
    static const char *const updated[] = {"updated", "c1", "New", "custom", "ACTIVE",
                                          "{}",      "0",  "0",   "9"};
    const struct dbs_table up = {1, 9, updated, 0};
    struct ht t;
    connector_request(&t, "PATCH", "c1", "{\"name\":\"New\"}");
    dbs_reply_ok(&up, 1);
    ht_run(&t, connectors_patch, 200);
    assert_scoped_to_tenant();
    ck_assert_str_eq(dbs_call_param(0, 0, 2), "New");
    ck_assert_ptr_null(dbs_call_param(0, 0, 4)); /* no config given */
    ck_assert_str_eq(ht_str(&t, "name"), "New");
    ht_done(&t);

    connector_request(&t, "PATCH", "c1", "{\"name\":\"New\"}");
    dbs_reply_ok(&no_rows, 1);
    dbs_reply_ok(&tenant_exists, 1);
    ht_run(&t, connectors_patch, 404);
    ht_done(&t);
}
END_TEST

/* A filesource connector given a config whose path is not inside the sources root: the
 * statement reports 'invalid', and the handler answers 422 naming config.path. */
START_TEST(test_connectors_patch_422_invalid_config_for_type)
{
    static const char *const invalid[] = {"invalid", "c1", "One", "filesource",
                                          "ACTIVE",  "{}", "0",   "0"};
    const struct dbs_table inv = {1, 8, invalid, 0};
    struct ht t;
    connector_request(&t, "PATCH", "c1", "{\"config\":{\"path\":\"/etc\"}}");
    dbs_reply_ok(&inv, 1);
    ht_run(&t, connectors_patch, 422);
    ck_assert(ht_field_error(&t, "config.path"));
    ck_assert_str_eq(dbs_call_param(0, 0, 5), "false"); /* the filesource verdict sent along */
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_patch_422_bad_body_never_asks)
{
    static const char *const bodies[] = {"{}", "{\"id\":\"other\"}", "{\"status\":\"gone\"}",
                                         "{\"config\":[]}"};
    struct ht t;
    connector_request(&t, "PATCH", "c1", bodies[_i]);
    ht_run(&t, connectors_patch, 422);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_patch_503)
{
    struct ht t;
    connector_request(&t, "PATCH", "c1", "{\"status\":\"ERROR\"}");
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, connectors_patch, 503);
    ht_done(&t);
}
END_TEST

/* ------------------------------------------------------------------ conditional requests */

/* The list's ETag names the tenant's revision; sent back as If-None-Match for the same query,
 * the handler asks the conditional function with that revision, and its not-modified row is a
 * 304 with the same ETag and no body. Another query's ETag is not taken as this one's. */
START_TEST(test_connectors_list_etag_and_304)
{
    struct ht t;
    char etag[80];
    connector_request(&t, "GET", NULL, NULL);
    dbs_reply_ok(&page, 1);
    ht_run(&t, connectors_list, 200);
    ck_assert_ptr_nonnull(strstr(dbs_call_sql(0, 0), "aam_list_connectors("));
    ck_assert_int_eq(strncmp(t.res.etag_buf, "\"r42-", 5), 0);
    snprintf(etag, sizeof etag, "%s", t.res.etag_buf);
    ht_done(&t);

    connector_request(&t, "GET", NULL, NULL);
    t.req.if_none_match = etag;
    dbs_reply_ok(&not_modified, 1);
    ht_run(&t, connectors_list, 304);
    ck_assert_uint_eq(dbs_calls(), 1); /* one statement: no page query after it */
    ck_assert_ptr_nonnull(strstr(dbs_call_sql(0, 0), "aam_list_connectors_if("));
    ck_assert_str_eq(dbs_call_param(0, 0, 5), "42");
    ck_assert_str_eq(t.res.etag_buf, etag);
    ht_done(&t);

    connector_request(&t, "GET", NULL, NULL); /* another page: the tag's hash differs */
    ht_query(&t, "offset", "50");
    t.req.if_none_match = etag;
    dbs_reply_ok(&empty_page, 1);
    ht_run(&t, connectors_list, 200);
    ck_assert_ptr_null(strstr(dbs_call_sql(0, 0), "aam_list_connectors_if("));
    ck_assert_str_ne(t.res.etag_buf, etag);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_get_etag_and_304)
{
    static const char *const inm[] = {"\"v7\"", "W/\"v7\"", "\"v1\", \"v7\"", "*"};
    struct ht t;
    connector_request(&t, "GET", "c1", NULL);
    t.req.if_none_match = inm[_i];
    dbs_reply_ok(&one_row, 1);
    ht_run(&t, connectors_get, 304);
    ck_assert_str_eq(t.res.etag_buf, "\"v7\"");
    ht_done(&t);

    connector_request(&t, "GET", "c1", NULL);
    t.req.if_none_match = "\"v6\"";
    dbs_reply_ok(&one_row, 1);
    ht_run(&t, connectors_get, 200);
    ck_assert_str_eq(t.res.etag_buf, "\"v7\"");
    ht_done(&t);
}
END_TEST

/* If-Match goes to the statement as the versions it accepts ("*": no condition; a tag that is
 * not ours: none, so only 412 or 404 can follow); a stale row is 412 problem+json. */
START_TEST(test_connectors_patch_if_match)
{
    static const char *const stale[] = {"stale", "c1", "One", "custom", "ACTIVE",
                                        "{}",    "0",  "0",   "8"};
    const struct dbs_table st = {1, 9, stale, 0};
    static const char *const headers[][2] = {
        {"\"v7\"", "{7}"}, {"\"v7\", \"v9\"", "{7,9}"}, {"W/\"v7\"", "{}"}, {"\"x\"", "{}"}, {"*", NULL}};
    struct ht t;
    connector_request(&t, "PATCH", "c1", "{\"name\":\"New\"}");
    t.req.if_match = headers[_i][0];
    dbs_reply_ok(&st, 1);
    ht_run(&t, connectors_patch, 412);
    ck_assert_str_eq(t.res.detail,
                     "the connector changed since the version named in If-Match; fetch it again "
                     "and retry");
    if (headers[_i][1] == NULL)
        ck_assert_ptr_null(dbs_call_param(0, 0, 7));
    else
        ck_assert_str_eq(dbs_call_param(0, 0, 7), headers[_i][1]);
    ht_done(&t);
}
END_TEST

START_TEST(test_connectors_delete_412)
{
    static const char *const stale_cell[] = {"stale"};
    const struct dbs_table stale = {1, 1, stale_cell, 0};
    struct ht t;
    connector_request(&t, "DELETE", "c1", NULL);
    t.req.if_match = "\"v3\"";
    dbs_reply_ok(&stale, 1);
    ht_run(&t, connectors_delete, 412);
    ck_assert_str_eq(dbs_call_param(0, 0, 2), "{3}");
    ck_assert_str_eq(ht_str(&t, "title"), "Precondition Failed");
    ht_done(&t);

    connector_request(&t, "DELETE", "c1", NULL); /* no If-Match: no condition */
    dbs_reply_ok(&stale, 1);
    ht_run(&t, connectors_delete, 412);
    ck_assert_ptr_null(dbs_call_param(0, 0, 2));
    ht_done(&t);
}
END_TEST

/* Writes name their actor for the history: a user token is "user" with its email, a service
 * client's token (client_id claim) is "client"; the request id goes along. */
START_TEST(test_connectors_writes_carry_the_actor)
{
    static const char *const deleted_cell[] = {"deleted"};
    const struct dbs_table deleted = {1, 1, deleted_cell, 1};
    struct ht t;
    connector_request(&t, "POST", NULL, GOOD_BODY);
    dbs_reply_ok(created, 2);
    ht_run(&t, connectors_create, 201);
    ck_assert_str_eq(dbs_call_actor(0, "type"), "user");
    ck_assert_str_eq(dbs_call_actor(0, "id"), "user-1");
    ck_assert_str_eq(dbs_call_actor(0, "email"), "a@example.com");
    ck_assert_str_eq(dbs_call_actor(0, "request_id"), "test");
    ck_assert_str_eq(t.res.etag_buf, "\"v5\"");
    ht_done(&t);

    connector_request(&t, "DELETE", "c1", NULL);
    snprintf(t.who.client_id, sizeof t.who.client_id, "cl_1");
    snprintf(t.who.sub, sizeof t.who.sub, "cl_1");
    t.who.email[0] = '\0';
    dbs_reply_ok(&deleted, 1);
    ht_run(&t, connectors_delete, 204);
    ck_assert_str_eq(dbs_call_actor(0, "type"), "client");
    ck_assert_str_eq(dbs_call_actor(0, "id"), "cl_1");
    ck_assert_ptr_null(dbs_call_actor(0, "email"));
    ht_done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_connectors");
    TCase *tc = tcase_create("list");
    tcase_add_test(tc, test_connectors_list_401_without_tenant);
    tcase_add_loop_test(tc, test_connectors_list_422_bad_query, 0, 6);
    tcase_add_test(tc, test_connectors_list_200_page_and_total);
    tcase_add_test(tc, test_connectors_list_past_the_end_keeps_total);
    tcase_add_test(tc, test_connectors_list_503_database_unavailable);
    tcase_add_test(tc, test_connectors_list_500_on_bad_shape);
    suite_add_tcase(s, tc);
    tc = tcase_create("get+delete");
    tcase_add_test(tc, test_connectors_get_404_bad_id_never_asks);
    tcase_add_test(tc, test_connectors_get_404_no_row);
    tcase_add_test(tc, test_connectors_403_tenant_missing);
    tcase_add_test(tc, test_connectors_get_200);
    tcase_add_test(tc, test_connectors_get_503_and_500);
    tcase_add_test(tc, test_connectors_delete_204_then_404);
    tcase_add_test(tc, test_connectors_delete_503);
    suite_add_tcase(s, tc);
    tc = tcase_create("create");
    tcase_add_test(tc, test_connectors_create_201);
    tcase_add_test(tc, test_connectors_create_409_existing_id);
    tcase_add_test(tc, test_connectors_create_409_quota);
    tcase_add_loop_test(tc, test_connectors_create_refused_by_the_statement, 0, 3);
    tcase_add_loop_test(tc, test_connectors_create_bad_body_never_asks, 0,
                        (int)(sizeof bad_bodies / sizeof bad_bodies[0]));
    tcase_add_loop_test(tc, test_connectors_create_database_errors, 0, 4);
    tcase_add_test(tc, test_connectors_create_401_without_tenant);
    suite_add_tcase(s, tc);
    tc = tcase_create("patch");
    tcase_add_test(tc, test_connectors_patch_200_and_404);
    tcase_add_test(tc, test_connectors_patch_422_invalid_config_for_type);
    tcase_add_loop_test(tc, test_connectors_patch_422_bad_body_never_asks, 0, 4);
    tcase_add_test(tc, test_connectors_patch_503);
    suite_add_tcase(s, tc);
    tc = tcase_create("conditional");
    tcase_add_test(tc, test_connectors_list_etag_and_304);
    tcase_add_loop_test(tc, test_connectors_get_etag_and_304, 0, 4);
    tcase_add_loop_test(tc, test_connectors_patch_if_match, 0, 5);
    tcase_add_test(tc, test_connectors_delete_412);
    tcase_add_test(tc, test_connectors_writes_carry_the_actor);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
