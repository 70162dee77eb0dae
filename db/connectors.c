/* connectors: the statements on the connections table. Every statement is scoped to the
 * caller's namespace (row-level security), and filters by it too. */
#include <stdio.h>

#include "db/connectors.h"
#include "db/db_internal.h"

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
