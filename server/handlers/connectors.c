/* handlers/connectors: the tenant's connector registry. Each route is one db_run scoped to the
 * token's namespace, and every WHERE names the namespace too (row-level security is the second
 * guard, not the only one). PostgreSQL returns plain columns and C writes the JSON: building it
 * in SQL (json_build_object, json_agg, to_char) cost PostgreSQL, the benchmark's bottleneck,
 * about 0.75 ms of CPU per list request against about 0.45 ms with plain columns, and 0.29 ms
 * since the list's queries run inside a PL/pgSQL function whose plans PostgreSQL keeps (see
 * LIST_SQL). The jsonb config is embedded as the text PostgreSQL sends, unparsed (its numbers
 * keep their digits). */
#include "server/handlers/connectors.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "server/core/config.h"
#include "server/core/connector_json.h"
#include "server/core/jsonbuf.h"
#include "server/core/log.h"
#include "server/handlers/tenant.h"

/* The columns of one connector, from a row of connections aliased t, in enum conn_col order.
 * The namespace is not read back: every WHERE pins it to the token's, which is written instead.
 * Timestamps come as integer microseconds since the Unix epoch, which no session setting
 * (DateStyle, TimeZone, IntervalStyle) can change, and are cheaper for PostgreSQL to produce
 * than to_char text; C writes them as RFC 3339 UTC (jsonbuf_append_timestamp_us). */
#define CONNECTOR_COLS(t)                                                                          \
    t ".id, " t ".name, " t ".source_type, " t ".status, " t ".connector_config, "                 \
      "(extract(epoch FROM " t ".created_at) * 1000000)::int8, "                                   \
      "(extract(epoch FROM " t ".updated_at) * 1000000)::int8"

enum conn_col {
    COL_ID,
    COL_NAME,
    COL_TYPE,
    COL_STATUS,
    COL_CONFIG,
    COL_CREATED,
    COL_UPDATED,
    CONN_NCOLS
};

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

/* Reads cell (row, col) as a decimal integer into *out. Returns 0, or -1 for NULL or junk. */
static int cell_int64(const struct db_result *r, int row, int col, int64_t *out)
{
    const char *text = db_result_get(r, row, col);
    char *end = NULL;
    if (text == NULL || text[0] == '\0')
        return -1;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Appends the connector in row row of r, its CONNECTOR_COLS starting at column col0, as a JSON
 * object with the contract's keys in the contract's order. ns is the token's namespace (the
 * row's, by the WHERE). Returns -1 when a cell is missing, which the NOT NULL columns rule out. */
static int append_connector(struct jsonbuf *b, const struct db_result *r, int row, int col0,
                            const char *ns)
{
    static const char *const keys[] = {"{\"id\":", ",\"name\":", ",\"type\":", ",\"status\":"};
    int64_t created, updated;
    const char *config = db_result_get(r, row, col0 + COL_CONFIG);
    if (db_result_cols(r) < col0 + CONN_NCOLS || config == NULL ||
        cell_int64(r, row, col0 + COL_CREATED, &created) != 0 ||
        cell_int64(r, row, col0 + COL_UPDATED, &updated) != 0)
        return -1;
    for (int i = COL_ID; i <= COL_STATUS; i++) {
        const char *text = db_result_get(r, row, col0 + i);
        if (text == NULL)
            return -1;
        jsonbuf_append_cstr(b, keys[i]);
        jsonbuf_append_json_string(b, text, db_result_len(r, row, col0 + i));
    }
    jsonbuf_append_cstr(b, ",\"namespace\":");
    jsonbuf_append_json_string(b, ns, strlen(ns));
    jsonbuf_append_cstr(b, ",\"config\":");
    jsonbuf_append(b, config, db_result_len(r, row, col0 + COL_CONFIG)); /* jsonb text: JSON */
    jsonbuf_append_cstr(b, ",\"created_at\":");
    jsonbuf_append_timestamp_us(b, created);
    jsonbuf_append_cstr(b, ",\"updated_at\":");
    jsonbuf_append_timestamp_us(b, updated);
    jsonbuf_append_cstr(b, "}");
    return 0;
}

/* Sends the text built in b (emptied here) as the JSON body, or a 500 when building failed
 * (ok == 0) or a length overflowed. what names the route for the log. */
static void send_built(struct http_res *res, int status, struct jsonbuf *b, int ok, const char *what)
{
    size_t len = 0;
    char *text = jsonbuf_finish(b, &len);
    if (!ok || text == NULL) {
        free(text);
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        log_error("%s: could not render the connector JSON", what);
        return;
    }
    http_res_raw_json(res, status, text, len);
}

/* Sends the connector in row 0 of r (columns from col0) as the whole body. */
static void send_connector(struct http_res *res, int status, const struct db_result *r, int col0,
                           const char *ns, const char *what)
{
    struct jsonbuf b;
    jsonbuf_init(&b, 512 + db_result_len(r, 0, col0 + COL_CONFIG));
    int ok = append_connector(&b, r, 0, col0, ns) == 0;
    send_built(res, status, &b, ok, what);
}

/* ------------------------------------------------------------------ list */

/* The page and its total in one statement: aam_list_connectors (migrations/0006) runs the
 * queries PostgreSQL has already planned on that server connection, where the same SELECT sent
 * as text is parsed and planned again on every request (named prepared statements, which
 * would avoid that, do not survive PgBouncer in transaction mode). $2 and $3, status and type,
 * are NULL when not filtered on; $4 and $5 are limit and offset. */
static const char LIST_SQL[] =
    "SELECT id, name, source_type, status, connector_config, created_us, updated_us, total, "
    "tenant_exists FROM aam_list_connectors($1, $2, $3, $4, $5)";

enum { LIST_TOTAL = CONN_NCOLS, LIST_TENANT_EXISTS };

/* Writes {"connectors":[…],"total":N} from r into b. An empty page is one row with a NULL id
 * (see LIST_SQL), which carries only the total. Returns -1 when r is not that shape. */
static int build_list(struct jsonbuf *b, const struct db_result *r, const char *ns)
{
    int rows = db_result_rows(r);
    int64_t total = 0;
    if (rows < 1 || db_result_cols(r) <= LIST_TENANT_EXISTS ||
        cell_int64(r, 0, LIST_TOTAL, &total) != 0)
        return -1;
    if (db_result_get(r, 0, COL_ID) == NULL)
        rows = 0;
    jsonbuf_append_cstr(b, "{\"connectors\":[");
    for (int i = 0; i < rows; i++) {
        if (i > 0)
            jsonbuf_append(b, ",", 1);
        if (append_connector(b, r, i, 0, ns) != 0)
            return -1;
    }
    jsonbuf_append_cstr(b, "],\"total\":");
    jsonbuf_append_int64(b, total);
    jsonbuf_append_cstr(b, "}");
    return 0;
}

/* 1 when r is the empty-page row of a namespace that has no tenant. */
static int list_tenant_missing(const struct db_result *r)
{
    const char *exists = db_result_get(r, 0, LIST_TENANT_EXISTS);
    return db_result_rows(r) == 1 && db_result_get(r, 0, COL_ID) == NULL && exists != NULL &&
           strcmp(exists, "f") == 0;
}

/* Reads limit, offset, status and type; returns -1 after answering 422 for any bad one. */
static int list_query(const struct http_req *req, struct http_res *res, long *limit, long *offset,
                      const char **status, const char **type)
{
    struct field_errors fe = FIELD_ERRORS_INIT;
    int bad = connector_json_paging(http_req_query(req, "limit"), http_req_query(req, "offset"),
                                    CONNECTOR_LIMIT_DEFAULT, limit, offset, &fe) != 0;
    *status = http_req_query(req, "status");
    *type = http_req_query(req, "type");
    if (*status != NULL && !connector_json_status_valid(*status))
        field_errors_add(&fe, "status", "must be one of ACTIVE, INACTIVE, PENDING, ERROR");
    /* Any other value is an exact match: a type no connector can have lists nothing. */
    if (*type != NULL && (*type)[0] == '\0')
        field_errors_add(&fe, "type", "must not be empty");
    bad |= fe.n > 0;
    http_res_field_errors(res, &fe);
    field_errors_free(&fe);
    return bad ? -1 : 0;
}

void connectors_list(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res);
    long limit = 0, offset = 0;
    const char *status = NULL, *type = NULL;
    char limit_s[24], offset_s[24];
    struct db_result *r = NULL;
    struct db_error err = {0};
    struct jsonbuf b = JSONBUF_INIT;
    if (ns == NULL || list_query(req, res, &limit, &offset, &status, &type) != 0)
        return;
    snprintf(limit_s, sizeof limit_s, "%ld", limit);
    snprintf(offset_s, sizeof offset_s, "%ld", offset);
    const char *params[] = {ns, status, type, limit_s, offset_s};
    struct db_stmt stmt = {LIST_SQL, 5, params};
    if (db_run(req->db, ns, &stmt, 1, &r, DB_READ_ONLY, &err) != 0) {
        http_res_db_error(res, &err, "list connectors");
        return;
    }
    /* An empty page may mean the token's namespace has no tenant: then say so, not "[]". */
    if (list_tenant_missing(r)) {
        tenant_res_missing(res, ns);
        db_result_free(r);
        return;
    }
    jsonbuf_init(&b, 64 + (size_t)db_result_rows(r) * 400);
    int ok = build_list(&b, r, ns) == 0;
    send_built(res, 200, &b, ok, "list connectors");
    db_result_free(r);
}

/* ------------------------------------------------------------------ get, delete */

/* Runs sql ($1 the token's namespace, $2 the route's {id}) as one tenant-scoped db_run.
 * Returns its result (the caller frees it) and sets *ns, or NULL after answering 401, 404 or
 * the database error. */
static struct db_result *run_on_id(const struct http_req *req, struct http_res *res,
                                   const char *sql, int flags, const char *what, const char **ns)
{
    *ns = tenant_of(req, res);
    const char *id = *ns ? route_id(req, res) : NULL;
    if (id == NULL)
        return NULL;
    const char *params[] = {*ns, id};
    struct db_stmt stmt = {sql, 2, params};
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (db_run(req->db, *ns, &stmt, 1, &r, flags, &err) != 0) {
        http_res_db_error(res, &err, what);
        return NULL;
    }
    return r;
}

void connectors_get(const struct http_req *req, struct http_res *res)
{
    static const char sql[] = "SELECT " CONNECTOR_COLS("c") " FROM connections c "
                                                            "WHERE c.namespace = $1 AND c.id = $2";
    const char *ns = NULL;
    struct db_result *r = run_on_id(req, res, sql, DB_READ_ONLY, "get connector", &ns);
    if (r == NULL)
        return;
    if (db_result_rows(r) == 0) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else {
        send_connector(res, 200, r, 0, ns, "get connector");
    }
    db_result_free(r);
}

void connectors_delete(const struct http_req *req, struct http_res *res)
{
    static const char sql[] = "DELETE FROM connections WHERE namespace = $1 AND id = $2";
    const char *ns = NULL;
    struct db_result *r = run_on_id(req, res, sql, 0, "delete connector", &ns);
    if (r == NULL)
        return;
    if (db_result_affected(r) == 0) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else {
        res->status = 204;
    }
    db_result_free(r);
}

/* ------------------------------------------------------------------ create */

/* The quota: the tenant's connector count and the insert are one statement, run after a
 * transaction-scoped advisory lock on the tenant's quota key (the statement before it, same
 * transaction): two creates of one tenant cannot both count quota - 1, since the second counts
 * only once the first has committed (READ COMMITTED takes each statement's snapshot after the
 * locks the statement before took). Creates of other tenants never wait. */
static const char create_lock_sql[] =
    "SELECT pg_advisory_xact_lock(hashtextextended('aam.connector_quota.' || $1::text, 0))";

#define QUOTA_PROBLEM_TYPE "urn:aam:problem:connector-quota"

/* The config is taken from the request body by PostgreSQL itself ($6::jsonb -> 'config'), so
 * numbers keep their exact digits (a round trip through C doubles would not). The same statement
 * checks that the token's tenant exists and, for a filesource, that it owns the folder its path
 * resolved to ($7, relative to the root; aam_folder_owned, one indexed lookup), and inserts only
 * then, and only while the tenant holds fewer than $8 (AAM_MAX_CONNECTORS_PER_TENANT): one round
 * trip, nothing stored on a refusal. The foreign key to tenants backs the check.
 * Row: tenant exists, folder owned, room (below the quota, or the id is taken: then the answer is
 * the plain 409), then the inserted connector's CONNECTOR_COLS (NULL when the id was taken or a
 * check failed). */
static const char create_sql[] =
    "WITH ok AS (SELECT EXISTS (SELECT 1 FROM tenants WHERE namespace = $1) AS tenant, "
    "  ($7::text IS NULL OR aam_folder_owned($1, $7::text)) AS owned, "
    "  (SELECT count(*) FROM connections WHERE namespace = $1) < $8::int AS room), "
    "ins AS (INSERT INTO connections AS c (namespace, id, name, source_type, status, "
    "  connector_config, source_folder) "
    "  SELECT $1, $2, $3, $4, $5, ($6::jsonb) -> 'config', $7::text FROM ok "
    "  WHERE ok.tenant AND ok.owned AND ok.room "
    "  ON CONFLICT (namespace, id) DO NOTHING RETURNING c.*) "
    "SELECT ok.tenant, ok.owned, "
    "  ok.room OR EXISTS (SELECT 1 FROM connections WHERE namespace = $1 AND id = $2), " CONNECTOR_COLS(
        "i") " FROM ok LEFT JOIN ins i ON true";

/* 1 when err is the database refusing a row for a namespace without a tenant (a tenant removed
 * between the statement's check and its insert). */
static int tenant_fk_refused(const struct db_error *err)
{
    return strcmp(err->sqlstate, "23503") == 0 &&
           strcmp(err->constraint, "connections_namespace_fkey") == 0;
}

void connectors_create(const struct http_req *req, struct http_res *res)
{
    struct connector_create in;
    struct field_errors fe = FIELD_ERRORS_INIT;
    struct db_result *rs[2] = {NULL, NULL};
    struct db_error err = {0};
    char quota[16];
    const char *ns = tenant_of(req, res);
    json_t *body = ns ? http_req_json_object(req, res) : NULL;
    if (body == NULL)
        return;
    if (connector_json_parse_create(body, req->cfg->sources_root, &in, &fe) != 0) {
        http_res_field_errors(res, &fe);
        goto cleanup;
    }
    snprintf(quota, sizeof quota, "%d", req->cfg->max_connectors_per_tenant);
    const char *params[] = {
        ns,   in.id, in.name, in.type, in.status, req->body, in.folder.set ? in.folder.rel : NULL,
        quota};
    struct db_stmt stmts[] = {{create_lock_sql, 1, params}, {create_sql, 8, params}};
    if (db_run(req->db, ns, stmts, 2, rs, 0, &err) != 0) {
        if (tenant_fk_refused(&err))
            tenant_res_missing(res, ns);
        else
            http_res_db_error(res, &err, "create connector");
        goto cleanup;
    }
    const struct db_result *r = rs[1];
    const char *tenant = db_result_get(r, 0, 0), *owned = db_result_get(r, 0, 1);
    const char *room = db_result_get(r, 0, 2);
    if (tenant == NULL || owned == NULL || room == NULL) {
        log_error("create connector: unexpected result shape");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
    } else if (strcmp(tenant, "t") != 0) {
        tenant_res_missing(res, ns);
    } else if (strcmp(owned, "t") != 0) {
        http_res_field_error(res, "config.path", CONNECTOR_PATH_REFUSED);
    } else if (strcmp(room, "t") != 0) {
        http_res_error(res, APP_ERR_CONFLICT,
                       "this tenant already holds %d connectors, the most it may hold "
                       "(AAM_MAX_CONNECTORS_PER_TENANT); delete one first",
                       req->cfg->max_connectors_per_tenant);
        res->type = QUOTA_PROBLEM_TYPE;
    } else if (db_result_get(r, 0, 3 + COL_ID) == NULL) {
        http_res_error(res, APP_ERR_CONFLICT, "a connector with id \"%s\" already exists", in.id);
    } else {
        send_connector(res, 201, r, 3, ns, "create connector");
        snprintf(res->location, sizeof res->location, "/api/v1/aam/connectors/%s", in.id);
    }
cleanup:
    field_errors_free(&fe);
    db_result_free(rs[0]);
    db_result_free(rs[1]);
    json_decref(body);
}

/* ------------------------------------------------------------------ patch */

/* One statement: lock the row, compute the wanted values (a config given in the body, read by
 * PostgreSQL from the body text so numbers keep their digits, replaces the stored one), write
 * only when something differs and the result is valid for the row's type, and answer with the
 * row as it now is. The caller cannot know the row's type before asking, so it checks a new
 * config against the filesource rules up front and passes the verdict as $6; the statement
 * applies it only when the stored type is filesource (the type cannot be patched), together
 * with the ownership of the folder the new path resolved to ($7, aam_folder_owned).
 * $1 namespace, $2 id, $3 name, $4 status, $5 request body (for "config"), $6 filesource-valid,
 * $7 the new config's folder relative to the root (NULL when not a valid filesource path).
 * Rows: state ('updated' | 'unchanged' | 'invalid'), then the connector's CONNECTOR_COLS. */
static const char patch_sql[] =
    "WITH cur AS (SELECT * FROM connections WHERE namespace = $1 AND id = $2 FOR UPDATE), "
    "want AS (SELECT cur.namespace, cur.id, COALESCE($3::text, cur.name) AS name, "
    "  COALESCE($4::text, cur.status) AS status, "
    "  COALESCE($5::jsonb -> 'config', cur.connector_config) AS connector_config, "
    "  CASE WHEN $5::jsonb -> 'config' IS NOT NULL "
    "    AND cur.source_type = '" CONNECTOR_TYPE_FILESOURCE "' THEN $7::text "
    "    ELSE cur.source_folder END AS source_folder, "
    "  ($5::jsonb -> 'config' IS NULL OR cur.source_type <> '" CONNECTOR_TYPE_FILESOURCE "' "
    "   OR ($6::boolean AND aam_folder_owned($1, $7::text))) AS valid FROM cur), "
    "upd AS (UPDATE connections c SET name = w.name, status = w.status, "
    "  connector_config = w.connector_config, source_folder = w.source_folder, updated_at = now() "
    "  FROM want w WHERE c.namespace = $1 AND c.id = $2 AND w.valid "
    "  AND (c.name, c.status, c.connector_config, c.source_folder) "
    "  IS DISTINCT FROM (w.name, w.status, w.connector_config, w.source_folder) RETURNING c.*) "
    "SELECT 'updated', " CONNECTOR_COLS(
        "u") " FROM upd u "
             "UNION ALL SELECT CASE WHEN w.valid THEN 'unchanged' ELSE 'invalid' END, " CONNECTOR_COLS(
                 "k") " FROM cur k, want w WHERE NOT EXISTS (SELECT 1 FROM upd)";

void connectors_patch(const struct http_req *req, struct http_res *res)
{
    struct connector_patch in;
    struct field_errors fe = FIELD_ERRORS_INIT;
    struct field_errors fs = FIELD_ERRORS_INIT; /* the filesource verdict on a new config */
    struct db_result *r = NULL;
    struct db_error err = {0};
    const char *ns = tenant_of(req, res);
    const char *id = ns ? route_id(req, res) : NULL;
    json_t *body = id ? http_req_json_object(req, res) : NULL;
    if (body == NULL)
        return;
    if (connector_json_parse_patch(body, &in, &fe) != 0) {
        http_res_field_errors(res, &fe);
        goto cleanup;
    }
    struct connector_folder folder = {0};
    int fs_valid = in.config != NULL &&
                   connector_json_check_filesource(in.config, req->cfg->sources_root, &folder,
                                                   &fs) == 0;
    const char *params[] = {ns,
                            id,
                            in.name,
                            in.status,
                            in.config ? req->body : NULL,
                            in.config ? (fs_valid ? "true" : "false") : NULL,
                            fs_valid ? folder.rel : NULL};
    struct db_stmt stmt = {patch_sql, 7, params};
    if (db_run(req->db, ns, &stmt, 1, &r, 0, &err) != 0) {
        http_res_db_error(res, &err, "patch connector");
        goto cleanup;
    }
    if (db_result_rows(r) == 0) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else if (strcmp(db_result_get(r, 0, 0), "invalid") == 0 && fs.n > 0) {
        http_res_field_errors(res, &fs);
    } else if (strcmp(db_result_get(r, 0, 0), "invalid") == 0) {
        http_res_field_error(res, "config.path", CONNECTOR_PATH_REFUSED); /* not the tenant's */
    } else {
        send_connector(res, 200, r, 1, ns, "patch connector");
    }
cleanup:
    db_result_free(r);
    field_errors_free(&fe);
    field_errors_free(&fs);
    json_decref(body);
}
