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
#include "server/log.h"

/* One connector as JSON text, from a row of connections aliased t. Timestamps are RFC 3339
 * UTC with microseconds, always six digits: 2024-01-01T00:00:00.000000Z. */
#define TS_JSON(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define CONNECTOR_JSON(t)                                                                        \
    "json_build_object('id', " t ".id, 'name', " t ".name, 'type', " t ".source_type, "         \
    "'status', " t ".status, 'namespace', " t ".namespace, 'config', " t ".connector_config, " \
    "'created_at', " TS_JSON(t ".created_at") ", 'updated_at', " TS_JSON(t ".updated_at") ")"

/* PATCH retries this often when the stored config changes between its read and its write. */
#define PATCH_ATTEMPTS 3

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
    if (type != NULL && !connector_json_type_valid(type)) {
        http_res_field_error(res, "type", "must match ^[a-z][a-z0-9_]{0,63}$");
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

/* One statement: lock the row, compute the wanted values (config merged key by key, as
 * connector_json_merge_config does), write only when something differs, and answer with the
 * row as it now is. $6, when given, is the config the caller validated the merge against: if
 * the stored one differs by then, nothing is written and the state says 'stale'.
 * $1 namespace, $2 id, $3 name, $4 status, $5 request body (for its "config"), $6 config. */
static const char patch_sql[] =
    "WITH cur AS (SELECT * FROM connections WHERE namespace = $1 AND id = $2 FOR UPDATE), "
    "want AS (SELECT cur.namespace, cur.id, COALESCE($3::text, cur.name) AS name, "
    "  COALESCE($4::text, cur.status) AS status, "
    "  CASE WHEN $5::jsonb -> 'config' IS NULL THEN cur.connector_config "
    "  ELSE (cur.connector_config || ($5::jsonb -> 'config')) - ARRAY(SELECT e.key FROM "
    "    jsonb_each($5::jsonb -> 'config') e WHERE e.value = 'null'::jsonb) END AS connector_config, "
    "  ($6::jsonb IS NULL OR cur.connector_config = $6::jsonb) AS fresh FROM cur), "
    "upd AS (UPDATE connections c SET name = w.name, status = w.status, "
    "  connector_config = w.connector_config, updated_at = now() FROM want w "
    "  WHERE c.namespace = $1 AND c.id = $2 AND w.fresh AND (c.name, c.status, c.connector_config) "
    "  IS DISTINCT FROM (w.name, w.status, w.connector_config) RETURNING c.*) "
    "SELECT 'updated', " CONNECTOR_JSON("u") "::text FROM upd u "
    "UNION ALL SELECT CASE WHEN w.fresh THEN 'unchanged' ELSE 'stale' END, " CONNECTOR_JSON("k")
    "::text FROM cur k, want w WHERE NOT EXISTS (SELECT 1 FROM upd)";

/* Reads the stored type and config and checks the merge of patch into it against the type's
 * rules. Returns 0 with *stored (the config text, malloc'd) set, or -1 with res set. */
static int patch_validate(const struct http_req *req, const char *ns, const char *id,
                          const json_t *patch, char **stored, struct http_res *res)
{
    static const char sql[] = "SELECT source_type, connector_config::text FROM connections "
                              "WHERE namespace = $1 AND id = $2";
    const char *params[] = {ns, id};
    struct db_stmt stmt = {sql, 2, params};
    struct db_result *r = NULL;
    struct db_error err = {0};
    json_t *current = NULL, *merged = NULL;
    int ret = -1;
    if (db_run(req->db, ns, &stmt, 1, &r, DB_READ_ONLY, &err) != 0) {
        http_res_db_error(res, &err, "patch connector");
        goto cleanup;
    }
    if (db_result_rows(r) == 0) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
        goto cleanup;
    }
    /* Integers beyond 64 bits are legal jsonb; as doubles they are still fine to validate. */
    current = json_loads(db_result_get(r, 0, 1), JSON_DECODE_INT_AS_REAL, NULL);
    merged = current ? connector_json_merge_config(current, patch) : NULL;
    if (merged == NULL) {
        log_error("patch connector: stored config of %s is not readable JSON", id);
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        goto cleanup;
    }
    if (connector_json_check_config(db_result_get(r, 0, 0), merged, req->cfg->sources_root, res) != 0)
        goto cleanup;
    *stored = strdup(db_result_get(r, 0, 1));
    if (*stored == NULL) {
        http_res_error(res, APP_ERR_INTERNAL, "out of memory");
        goto cleanup;
    }
    ret = 0;
cleanup:
    json_decref(current);
    json_decref(merged);
    db_result_free(r);
    return ret;
}

/* Runs the patch statement once. Returns 1 when the row was stale (retry), else 0 with res
 * set (200 with the connector, 404, or an error). */
static int patch_write(const struct http_req *req, const char *ns, const char *id,
                       const struct connector_patch *in, const char *stored, struct http_res *res)
{
    const char *params[] = {ns, id, in->name, in->status, in->config ? req->body : NULL, stored};
    struct db_stmt stmt = {patch_sql, 6, params};
    struct db_result *r = NULL;
    struct db_error err = {0};
    int stale = 0;
    if (db_run(req->db, ns, &stmt, 1, &r, 0, &err) != 0) {
        http_res_db_error(res, &err, "patch connector");
        return 0;
    }
    if (db_result_rows(r) == 0)
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    else if (strcmp(db_result_get(r, 0, 0), "stale") == 0)
        stale = 1;
    else
        send_cell(res, 200, r, 1);
    db_result_free(r);
    return stale;
}

void connectors_patch(const struct http_req *req, struct http_res *res)
{
    struct connector_patch in;
    char *stored = NULL;
    const char *ns = tenant_of(req, res);
    const char *id = ns ? route_id(req, res) : NULL;
    json_t *body = id ? http_req_json_object(req, res) : NULL;
    if (body == NULL)
        return;
    if (connector_json_parse_patch(body, &in, res) != 0)
        goto cleanup;
    for (int attempt = 0; attempt < PATCH_ATTEMPTS; attempt++) {
        free(stored);
        stored = NULL;
        if (in.config != NULL && patch_validate(req, ns, id, in.config, &stored, res) != 0)
            goto cleanup;
        if (!patch_write(req, ns, id, &in, stored, res))
            goto cleanup;
    }
    http_res_error(res, APP_ERR_CONFLICT, "the connector kept changing while being updated; retry");
cleanup:
    free(stored);
    json_decref(body);
}
