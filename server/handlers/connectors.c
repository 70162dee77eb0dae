/* handlers/connectors: the tenant's connector registry. Each route is one db_run scoped to the
 * token's namespace, and every WHERE names the namespace too (row-level security is the second
 * guard, not the only one). PostgreSQL renders the response JSON itself (json_build_object,
 * to_char for RFC 3339 UTC timestamps, the jsonb config embedded as is), so the list route,
 * the benchmarked one, is a single statement whose text C sends unchanged. */
#include "server/handlers/connectors.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "server/config.h"
#include "server/connector_json.h"

/* One connector as JSON text, from a row of connections aliased t. Timestamps are RFC 3339
 * UTC with microseconds, always six digits: 2024-01-01T00:00:00.000000Z. */
#define TS_JSON(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define CONNECTOR_JSON(t)                                                                        \
    "json_build_object('id', " t ".id, 'name', " t ".name, 'type', " t ".source_type, "         \
    "'status', " t ".status, 'namespace', " t ".namespace, 'config', " t ".connector_config, " \
    "'created_at', " TS_JSON(t ".created_at") ", 'updated_at', " TS_JSON(t ".updated_at") ")"

/* ------------------------------------------------------------------ shared */

/* The token's namespace, or NULL after answering 401 (protected routes always have one). */
static const char *tenant_of(const struct http_req *req, struct http_res *res)
{
    if (req->who == NULL || req->who->ns[0] == '\0') {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a bearer token is required");
        return NULL;
    }
    return req->who->ns;
}

/* The route's {id}, or NULL after answering 404: an id that breaks the id rule cannot exist,
 * so the database is not asked. */
static const char *route_id(const struct http_req *req, struct http_res *res)
{
    const char *id = req->n_params > 0 ? req->params[0] : NULL;
    if (!connector_json_id_valid(id)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
        return NULL;
    }
    return id;
}

/* Sends result r's cell (0, col) as the JSON body. */
static void send_cell(struct http_res *res, int status, const struct db_result *r, int col)
{
    const char *text = db_result_get(r, 0, col);
    size_t len = db_result_len(r, 0, col);
    char *copy = text ? malloc(len + 1) : NULL;
    if (copy == NULL) {
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    http_res_raw_json(res, status, copy, len);
}

/* ------------------------------------------------------------------ list */

/* Builds the list statement for the filters in use; $1 namespace, $2 limit, $3 offset, then
 * status and type when given. With both filters absent the primary key (namespace, id) serves
 * both the page and the count; the filters have their own (namespace, status|type, id)
 * indexes (migrations/0001_init.sql). */
static void list_sql(char *sql, size_t size, int by_status, int by_type)
{
    char where[160];
    snprintf(where, sizeof where, "c.namespace = $1%s%s",
             by_status ? " AND c.status = $4" : "",
             by_type ? (by_status ? " AND c.source_type = $5" : " AND c.source_type = $4") : "");
    snprintf(sql, size,
             "SELECT json_build_object("
             "'connectors', COALESCE((SELECT json_agg(p.j ORDER BY p.id) FROM ("
             "SELECT c.id, " CONNECTOR_JSON("c") " AS j FROM connections c WHERE %s "
             "ORDER BY c.id LIMIT $2 OFFSET $3) p), '[]'::json), "
             "'total', (SELECT count(*) FROM connections c WHERE %s))::text",
             where, where);
}

void connectors_list(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res);
    long limit = 0, offset = 0;
    char sql[2048], limit_s[24], offset_s[24];
    const char *params[5];
    int n = 3;
    if (ns == NULL)
        return;
    int bad = connector_json_query_long(req, "limit", CONNECTOR_LIMIT_DEFAULT, 1,
                                        CONNECTOR_LIMIT_MAX, &limit, res) != 0;
    bad |= connector_json_query_long(req, "offset", 0, 0, LONG_MAX, &offset, res) != 0;
    const char *status = http_req_query(req, "status");
    const char *type = http_req_query(req, "type");
    if (status != NULL && !connector_json_status_valid(status)) {
        http_res_field_error(res, "status", "must be one of ACTIVE, INACTIVE, PENDING, ERROR");
        bad = 1;
    }
    if (type != NULL && type[0] == '\0') {
        /* Any other value is an exact match: a type no connector can have lists nothing. */
        http_res_field_error(res, "type", "must not be empty");
        bad = 1;
    }
    if (bad)
        return;
    snprintf(limit_s, sizeof limit_s, "%ld", limit);
    snprintf(offset_s, sizeof offset_s, "%ld", offset);
    params[0] = ns, params[1] = limit_s, params[2] = offset_s;
    if (status != NULL)
        params[n++] = status;
    if (type != NULL)
        params[n++] = type;
    list_sql(sql, sizeof sql, status != NULL, type != NULL);
    struct db_stmt stmt = {sql, n, params};
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (db_run(req->db, ns, &stmt, 1, &r, DB_READ_ONLY, &err) != 0) {
        http_res_db_error(res, &err, "list connectors");
        return;
    }
    send_cell(res, 200, r, 0);
    db_result_free(r);
}

/* ------------------------------------------------------------------ get, delete */

void connectors_get(const struct http_req *req, struct http_res *res)
{
    static const char sql[] = "SELECT " CONNECTOR_JSON("c") "::text FROM connections c "
                              "WHERE c.namespace = $1 AND c.id = $2";
    const char *ns = tenant_of(req, res);
    const char *id = ns ? route_id(req, res) : NULL;
    if (id == NULL)
        return;
    const char *params[] = {ns, id};
    struct db_stmt stmt = {sql, 2, params};
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (db_run(req->db, ns, &stmt, 1, &r, DB_READ_ONLY, &err) != 0) {
        http_res_db_error(res, &err, "get connector");
        return;
    }
    if (db_result_rows(r) == 0)
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    else
        send_cell(res, 200, r, 0);
    db_result_free(r);
}

void connectors_delete(const struct http_req *req, struct http_res *res)
{
    static const char sql[] = "DELETE FROM connections WHERE namespace = $1 AND id = $2";
    const char *ns = tenant_of(req, res);
    const char *id = ns ? route_id(req, res) : NULL;
    if (id == NULL)
        return;
    const char *params[] = {ns, id};
    struct db_stmt stmt = {sql, 2, params};
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (db_run(req->db, ns, &stmt, 1, &r, 0, &err) != 0) {
        http_res_db_error(res, &err, "delete connector");
        return;
    }
    if (db_result_affected(r) == 0)
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    else
        res->status = 204;
    db_result_free(r);
}

/* ------------------------------------------------------------------ create */

/* The config is taken from the request body by PostgreSQL itself ($6::jsonb -> 'config'), so
 * numbers keep their exact digits (a round trip through C doubles would not). */
void connectors_create(const struct http_req *req, struct http_res *res)
{
    static const char sql[] =
        "INSERT INTO connections AS c (namespace, id, name, source_type, status, connector_config) "
        "VALUES ($1, $2, $3, $4, $5, ($6::jsonb) -> 'config') "
        "ON CONFLICT (namespace, id) DO NOTHING RETURNING " CONNECTOR_JSON("c") "::text";
    struct connector_create in;
    struct db_result *r = NULL;
    struct db_error err = {0};
    const char *ns = tenant_of(req, res);
    json_t *body = ns ? http_req_json_object(req, res) : NULL;
    if (body == NULL)
        return;
    if (connector_json_parse_create(body, req->cfg->sources_root, &in, res) != 0)
        goto cleanup;
    const char *params[] = {ns, in.id, in.name, in.type, in.status, req->body};
    struct db_stmt stmt = {sql, 6, params};
    if (db_run(req->db, ns, &stmt, 1, &r, 0, &err) != 0) {
        http_res_db_error(res, &err, "create connector");
        goto cleanup;
    }
    if (db_result_rows(r) == 0) {
        http_res_error(res, APP_ERR_CONFLICT, "a connector with id \"%s\" already exists", in.id);
        goto cleanup;
    }
    send_cell(res, 201, r, 0);
    snprintf(res->location, sizeof res->location, "/api/v1/aam/connectors/%s", in.id);
cleanup:
    db_result_free(r);
    json_decref(body);
}

/* ------------------------------------------------------------------ patch */

/* One statement: lock the row, compute the wanted values (a config given in the body, read by
 * PostgreSQL from the body text so numbers keep their digits, replaces the stored one), write
 * only when something differs and the result is valid for the row's type, and answer with the
 * row as it now is. The caller cannot know the row's type before asking, so it checks a new
 * config against the filesource rules up front and passes the verdict as $6; the statement
 * applies it only when the stored type is filesource (the type cannot be patched).
 * $1 namespace, $2 id, $3 name, $4 status, $5 request body (for "config"), $6 filesource-valid.
 * Rows: state ('updated' | 'unchanged' | 'invalid'), connector JSON. */
static const char patch_sql[] =
    "WITH cur AS (SELECT * FROM connections WHERE namespace = $1 AND id = $2 FOR UPDATE), "
    "want AS (SELECT cur.namespace, cur.id, COALESCE($3::text, cur.name) AS name, "
    "  COALESCE($4::text, cur.status) AS status, "
    "  COALESCE($5::jsonb -> 'config', cur.connector_config) AS connector_config, "
    "  ($5::jsonb -> 'config' IS NULL OR cur.source_type <> '" CONNECTOR_TYPE_FILESOURCE "' "
    "   OR $6::boolean) AS valid FROM cur), "
    "upd AS (UPDATE connections c SET name = w.name, status = w.status, "
    "  connector_config = w.connector_config, updated_at = now() FROM want w "
    "  WHERE c.namespace = $1 AND c.id = $2 AND w.valid AND (c.name, c.status, c.connector_config) "
    "  IS DISTINCT FROM (w.name, w.status, w.connector_config) RETURNING c.*) "
    "SELECT 'updated', " CONNECTOR_JSON("u") "::text FROM upd u "
    "UNION ALL SELECT CASE WHEN w.valid THEN 'unchanged' ELSE 'invalid' END, " CONNECTOR_JSON("k")
    "::text FROM cur k, want w WHERE NOT EXISTS (SELECT 1 FROM upd)";

/* Moves the field errors of from into res (a 422). */
static void take_errors(struct http_res *res, struct http_res *from)
{
    size_t i;
    json_t *e;
    json_array_foreach(from->errors, i, e) {
        http_res_field_error(res, json_string_value(json_object_get(e, "field")),
                             json_string_value(json_object_get(e, "message")));
    }
}

void connectors_patch(const struct http_req *req, struct http_res *res)
{
    struct connector_patch in;
    struct http_res fs = HTTP_RES_INIT; /* the filesource verdict on a new config */
    struct db_result *r = NULL;
    struct db_error err = {0};
    const char *ns = tenant_of(req, res);
    const char *id = ns ? route_id(req, res) : NULL;
    json_t *body = id ? http_req_json_object(req, res) : NULL;
    if (body == NULL)
        return;
    if (connector_json_parse_patch(body, &in, res) != 0)
        goto cleanup;
    int fs_valid = in.config != NULL &&
        connector_json_check_config(CONNECTOR_TYPE_FILESOURCE, in.config, req->cfg->sources_root, &fs) == 0;
    const char *params[] = {ns, id, in.name, in.status, in.config ? req->body : NULL,
                            in.config ? (fs_valid ? "true" : "false") : NULL};
    struct db_stmt stmt = {patch_sql, 6, params};
    if (db_run(req->db, ns, &stmt, 1, &r, 0, &err) != 0) {
        http_res_db_error(res, &err, "patch connector");
        goto cleanup;
    }
    if (db_result_rows(r) == 0)
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    else if (strcmp(db_result_get(r, 0, 0), "invalid") == 0)
        take_errors(res, &fs);
    else
        send_cell(res, 200, r, 1);
cleanup:
    db_result_free(r);
    http_res_free(&fs);
    json_decref(body);
}
