/* db/connectors: the connections statements of the request handlers (see connectors.h).
 * Building the JSON in SQL (json_build_object, json_agg, to_char) cost PostgreSQL, the
 * benchmark's bottleneck, about 0.75 ms of CPU per list request against about 0.45 ms with
 * plain columns, and 0.29 ms since the list's queries run inside a PL/pgSQL function whose
 * plans PostgreSQL keeps (aam_list_connectors). */
#include "db/connectors.h"
#include "db/db_internal.h"

#include <stdio.h>
#include <string.h>

/* The columns of one connector, from a row of connections aliased t, in enum db_connector_col
 * order. Timestamps as integer microseconds are also cheaper for PostgreSQL to produce than
 * to_char text. */
#define CONNECTOR_COLS(t)                                                                          \
    t ".id, " t ".name, " t ".source_type, " t ".status, " t ".connector_config, "                 \
      "(extract(epoch FROM " t ".created_at) * 1000000)::int8, "                                   \
      "(extract(epoch FROM " t ".updated_at) * 1000000)::int8, " t ".version"

/* ------------------------------------------------------------------ request handlers */

/* $2 and $3, status and type, are NULL when not filtered on; $4 and $5 are limit and offset;
 * $6 the revision the caller's copy shows (the conditional list). */
#define LIST_COLS                                                                                  \
    "SELECT id, name, source_type, status, connector_config, created_us, updated_us, version, "   \
    "total, tenant_exists, revision FROM "
static const char SQL_LIST[] = LIST_COLS "aam_list_connectors($1, $2, $3, $4, $5)";
static const char SQL_LIST_IF[] = LIST_COLS "aam_list_connectors_if($1, $2, $3, $4, $5, $6)";

int db_connectors_list(struct db_pool *pool, const char *ns, const struct db_connector_filter *f,
                       struct db_result **out, struct db_error *err)
{
    char limit[24], offset[24], known[24];
    snprintf(limit, sizeof limit, "%ld", f->limit);
    snprintf(offset, sizeof offset, "%ld", f->offset);
    snprintf(known, sizeof known, "%lld", f->known_revision);
    const char *params[] = {ns, f->status, f->type, limit, offset, known};
    const struct db_stmt stmt = {f->known_revision >= 0 ? SQL_LIST_IF : SQL_LIST,
                                 f->known_revision >= 0 ? 6 : 5, params};
    *out = NULL;
    return db_run(pool, ns, &stmt, 1, out, DB_READ_ONLY, err);
}

/* Writes if_match as a PostgreSQL int8[] literal into buf; NULL (no condition) for NULL. */
static const char *if_match_param(const struct db_if_match *m, char *buf, size_t size)
{
    size_t len = 0;
    if (m == NULL)
        return NULL;
    len += (size_t)snprintf(buf, size, "{");
    for (int i = 0; i < m->n && i < DB_IF_MATCH_MAX && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? "," : "", m->versions[i]);
    if (len < size)
        snprintf(buf + len, size - len, "}");
    return buf;
}

/* Runs sql with $1 ns and $2 id as one statement in ns. */
static int run_on_id(struct db_pool *pool, const char *sql, const char *ns, const char *id,
                     int flags, struct db_result **out, struct db_error *err)
{
    const char *params[] = {ns, id};
    const struct db_stmt stmt = {sql, 2, params};
    *out = NULL;
    return db_run(pool, ns, &stmt, 1, out, flags, err);
}

int db_connectors_get(struct db_pool *pool, const char *ns, const char *id, struct db_result **out,
                      struct db_error *err)
{
    static const char sql[] = "SELECT " CONNECTOR_COLS("c") " FROM connections c "
                                                            "WHERE c.namespace = $1 AND c.id = $2";
    return run_on_id(pool, sql, ns, id, DB_READ_ONLY, out, err);
}

/* $3: the versions If-Match accepts (NULL: any), checked by the DELETE itself, so a
 * concurrent change between a read and this statement cannot slip through (READ COMMITTED
 * re-checks the WHERE on the row version it waited for). */
static const char SQL_DELETE[] =
    "WITH d AS (DELETE FROM connections WHERE namespace = $1 AND id = $2 "
    "  AND ($3::int8[] IS NULL OR version = ANY ($3::int8[])) RETURNING 1) "
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM d) THEN 'deleted' "
    "  WHEN EXISTS (SELECT 1 FROM connections WHERE namespace = $1 AND id = $2) THEN 'stale' "
    "  ELSE 'absent' END";

int db_connectors_delete(struct db_pool *pool, const char *ns, const char *id,
                         const struct db_actor *actor, const struct db_if_match *if_match,
                         enum db_connector_state *state, struct db_error *err)
{
    char versions[DB_IF_MATCH_MAX * 24 + 4];
    const char *params[] = {ns, id, if_match_param(if_match, versions, sizeof versions)};
    const struct db_stmt stmt = {SQL_DELETE, 3, params};
    struct db_result *r = NULL;
    *state = DB_CONNECTOR_ABSENT;
    if (db_run_as(pool, ns, actor, &stmt, 1, &r, 0, err) != 0)
        return -1;
    const char *v = db_result_get(r, 0, 0);
    if (v != NULL && strcmp(v, "deleted") == 0)
        *state = DB_CONNECTOR_DONE;
    else if (v != NULL && strcmp(v, "stale") == 0)
        *state = DB_CONNECTOR_STALE;
    db_result_free(r);
    return 0;
}

/* The quota lock: READ COMMITTED takes the next statement's snapshot after the lock is held,
 * so the second of two creates counts only once the first has committed. */
static const char SQL_CREATE_LOCK[] =
    "SELECT pg_advisory_xact_lock(hashtextextended('aam.connector_quota.' || $1::text, 0))";

/* The config is taken from the request body by PostgreSQL itself ($6::jsonb -> 'config'), so
 * numbers keep their exact digits (a round trip through C doubles would not). The same statement
 * checks that the tenant exists and, for a filesource, that it owns the folder its path
 * resolved to ($7, relative to the root; aam_folder_owned, one indexed lookup), and inserts only
 * then, and only while the tenant holds fewer than $8: one round trip, nothing stored on a
 * refusal. The foreign key to tenants backs the check. */
static const char SQL_CREATE[] =
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

int db_connectors_create(struct db_pool *pool, const char *ns, const struct db_actor *actor,
                         const struct db_connector_new *c, struct db_result **out,
                         struct db_error *err)
{
    struct db_result *rs[2] = {NULL, NULL};
    char quota[16];
    snprintf(quota, sizeof quota, "%d", c->quota);
    const char *params[] = {ns, c->id, c->name, c->type, c->status, c->body, c->folder, quota};
    const struct db_stmt st[] = {{SQL_CREATE_LOCK, 1, params}, {SQL_CREATE, 8, params}};
    *out = NULL;
    if (db_run_as(pool, ns, actor, st, 2, rs, 0, err) != 0)
        return -1;
    db_result_free(rs[0]);
    *out = rs[1];
    return 0;
}

/* $1 namespace, $2 id, $3 name, $4 status, $5 request body (for "config"), $6 filesource-valid,
 * $7 the new config's folder relative to the root (NULL when not a valid filesource path),
 * $8 the versions If-Match accepts (NULL: any), compared with the locked row's.
 * Rows: state ('updated' | 'unchanged' | 'invalid' | 'stale'), then the connector's
 * CONNECTOR_COLS. */
static const char SQL_PATCH[] =
    "WITH cur AS (SELECT * FROM connections WHERE namespace = $1 AND id = $2 FOR UPDATE), "
    "want AS (SELECT cur.namespace, cur.id, COALESCE($3::text, cur.name) AS name, "
    "  COALESCE($4::text, cur.status) AS status, "
    "  COALESCE($5::jsonb -> 'config', cur.connector_config) AS connector_config, "
    "  CASE WHEN $5::jsonb -> 'config' IS NOT NULL "
    "    AND cur.source_type = '" DB_CONNECTOR_TYPE_FILESOURCE "' THEN $7::text "
    "    ELSE cur.source_folder END AS source_folder, "
    "  ($5::jsonb -> 'config' IS NULL OR cur.source_type <> '" DB_CONNECTOR_TYPE_FILESOURCE "' "
    "   OR ($6::boolean AND aam_folder_owned($1, $7::text))) AS valid, "
    "  ($8::int8[] IS NULL OR cur.version = ANY ($8::int8[])) AS fresh FROM cur), "
    "upd AS (UPDATE connections c SET name = w.name, status = w.status, "
    "  connector_config = w.connector_config, source_folder = w.source_folder, updated_at = now() "
    "  FROM want w WHERE c.namespace = $1 AND c.id = $2 AND w.valid AND w.fresh "
    "  AND (c.name, c.status, c.connector_config, c.source_folder) "
    "  IS DISTINCT FROM (w.name, w.status, w.connector_config, w.source_folder) RETURNING c.*) "
    "SELECT 'updated', " CONNECTOR_COLS(
        "u") " FROM upd u "
             "UNION ALL SELECT CASE WHEN NOT w.fresh THEN 'stale' WHEN w.valid THEN 'unchanged' "
             "ELSE 'invalid' END, " CONNECTOR_COLS(
                 "k") " FROM cur k, want w WHERE NOT EXISTS (SELECT 1 FROM upd)";

int db_connectors_patch(struct db_pool *pool, const char *ns, const char *id,
                        const struct db_actor *actor, const struct db_if_match *if_match,
                        const struct db_connector_change *ch, struct db_result **out,
                        struct db_error *err)
{
    char versions[DB_IF_MATCH_MAX * 24 + 4];
    const char *valid = ch->body == NULL ? NULL : ch->config_valid ? "true" : "false";
    const char *params[] = {ns,        id,         ch->name,
                            ch->status, ch->body,  valid,
                            ch->folder, if_match_param(if_match, versions, sizeof versions)};
    const struct db_stmt stmt = {SQL_PATCH, 8, params};
    *out = NULL;
    return db_run_as(pool, ns, actor, &stmt, 1, out, 0, err);
}

int db_connectors_folder(struct db_pool *pool, const char *ns, const char *id,
                         struct db_result **out, struct db_error *err)
{
    static const char sql[] =
        "SELECT source_type, connector_config ->> 'path', connector_config ->> 'pattern', "
        "source_folder, aam_folder_owned($1, source_folder) "
        "FROM connections WHERE namespace = $1 AND id = $2";
    return run_on_id(pool, sql, ns, id, DB_READ_ONLY, out, err);
}

int db_connectors_folder_owned(struct db_pool *pool, const char *ns, const char *folder, int *owned,
                               struct db_error *err)
{
    static const char sql[] = "SELECT aam_folder_owned($1, $2)";
    struct db_result *r = NULL;
    *owned = 0;
    if (run_on_id(pool, sql, ns, folder, DB_READ_ONLY, &r, err) != 0)
        return -1;
    const char *v = db_result_get(r, 0, 0);
    *owned = v != NULL && strcmp(v, "t") == 0;
    db_result_free(r);
    return 0;
}

/* ------------------------------------------------------------------ the seed (server/cli) */

/* ON CONFLICT leaves one row when seeds run at the same time; the UPDATE runs only when the row
 * was there and differs; the second cell names what differed. */
static const char SQL_UPSERT[] =
    "WITH old AS (SELECT * FROM connections WHERE namespace = $1::text AND id = $2::text), "
    "ins AS (INSERT INTO connections (namespace, id, name, source_type, status, connector_config, "
    "  source_folder) VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::text) "
    "  ON CONFLICT (namespace, id) DO NOTHING RETURNING 1), "
    "upd AS (UPDATE connections c SET name = $3::text, source_type = $4::text, "
    "  status = $5::text, connector_config = $6::jsonb, source_folder = $7::text, updated_at = now() "
    "  WHERE c.namespace = $1::text AND c.id = $2::text AND NOT EXISTS (SELECT 1 FROM ins) "
    "  AND (c.name, c.source_type, c.status, c.connector_config, c.source_folder) IS DISTINCT FROM "
    "  ($3::text, $4::text, $5::text, $6::jsonb, $7::text) RETURNING 1) "
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'created' "
    "  WHEN EXISTS (SELECT 1 FROM upd) THEN 'updated' ELSE 'unchanged' END, "
    "  (SELECT concat_ws(', ', CASE WHEN o.name IS DISTINCT FROM $3::text THEN 'name' END, "
    "    CASE WHEN o.source_type IS DISTINCT FROM $4::text THEN 'type' END, "
    "    CASE WHEN o.status IS DISTINCT FROM $5::text THEN 'status' END, "
    "    CASE WHEN o.connector_config IS DISTINCT FROM $6::jsonb THEN 'config' END, "
    "    CASE WHEN o.source_folder IS DISTINCT FROM $7::text THEN 'folder' END) FROM old o)";

int db_connectors_upsert_tx(struct db_tx *tx, const struct db_connector_seed *c,
                            enum db_outcome *out, char *changed, size_t changed_size,
                            struct db_error *err)
{
    const char *params[] = {c->ns, c->id, c->name, c->type, c->status, c->config_json, c->folder};
    const struct db_stmt st = {SQL_UPSERT, 7, params};
    struct db_result *r = NULL;
    if (db_tx_exec(tx, &st, &r, err) != 0)
        return -1;
    *out = db_outcome_parse(db_result_get(r, 0, 0));
    const char *what = db_result_get(r, 0, 1);
    if (changed_size > 0)
        snprintf(changed, changed_size, "%s",
                 *out == DB_OUTCOME_UPDATED && what != NULL ? what : "");
    db_result_free(r);
    return 0;
}
