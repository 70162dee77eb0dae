/* grants: the statements on source_grants. Grant and revoke check in the same statement that
 * the namespace has a tenant, so a typo in a namespace is reported, not silently ignored
 * (the foreign key would refuse a grant anyway, with a less useful message). */
#include <string.h>

#include "db/db_internal.h"
#include "db/grants.h"

/* One row: whether the tenant exists, whether a row was inserted. */
static const char SQL_ADD[] =
    "WITH t AS (SELECT EXISTS (SELECT 1 FROM tenants WHERE namespace = $1) AS ok), "
    "ins AS (INSERT INTO source_grants (namespace, folder) SELECT $1, $2 FROM t WHERE t.ok "
    "  ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT t.ok, EXISTS (SELECT 1 FROM ins) FROM t";

/* One row: whether the tenant exists, whether a row was deleted. */
static const char SQL_REMOVE[] =
    "WITH t AS (SELECT EXISTS (SELECT 1 FROM tenants WHERE namespace = $1) AS ok), "
    "del AS (DELETE FROM source_grants g USING t WHERE t.ok AND g.namespace = $1 "
    "  AND g.folder = $2 RETURNING 1) "
    "SELECT t.ok, EXISTS (SELECT 1 FROM del) FROM t";

static int is_true(const char *cell)
{
    return cell != NULL && strcmp(cell, "t") == 0;
}

/* Runs SQL_ADD or SQL_REMOVE, in tx when there is one, else as its own transaction on pool;
 * done is the outcome when a row was written. */
static int change(struct db_pool *pool, struct db_tx *tx, const char *sql, const char *ns,
                  const char *folder, enum db_outcome done, enum db_outcome *out,
                  struct db_error *err)
{
    const char *params[] = {ns, folder};
    const struct db_stmt st = {sql, 2, params};
    struct db_result *r = NULL;
    int rc = tx != NULL ? db_tx_exec(tx, &st, &r, err) : db_run(pool, ns, &st, 1, &r, 0, err);
    if (rc != 0)
        return -1;
    if (!is_true(db_result_get(r, 0, 0)))
        *out = DB_OUTCOME_NO_TENANT;
    else
        *out = is_true(db_result_get(r, 0, 1)) ? done : DB_OUTCOME_UNCHANGED;
    db_result_free(r);
    return 0;
}

int db_grants_add(struct db_pool *pool, const char *ns, const char *folder, enum db_outcome *out,
                  struct db_error *err)
{
    return change(pool, NULL, SQL_ADD, ns, folder, DB_OUTCOME_CREATED, out, err);
}

int db_grants_add_tx(struct db_tx *tx, const char *ns, const char *folder, enum db_outcome *out,
                     struct db_error *err)
{
    return change(NULL, tx, SQL_ADD, ns, folder, DB_OUTCOME_CREATED, out, err);
}

int db_grants_remove(struct db_pool *pool, const char *ns, const char *folder, enum db_outcome *out,
                     struct db_error *err)
{
    return change(pool, NULL, SQL_REMOVE, ns, folder, DB_OUTCOME_DELETED, out, err);
}

int db_grants_list(struct db_pool *pool, const char *ns, db_grants_each_fn each, void *arg,
                   int *tenant_known, struct db_error *err)
{
    static const char set_sql[] = "SELECT set_config('" DB_OPERATOR_SETTING "', 'on', true)";
    static const char sql[] =
        "SELECT namespace, folder FROM source_grants WHERE $1::text IS NULL OR namespace = $1 "
        "ORDER BY folder, namespace";
    static const char tenant_sql[] = "SELECT count(*) FROM tenants WHERE namespace = $1";
    const char *params[] = {ns};
    const struct db_stmt stmts[3] = {{set_sql, 0, NULL}, {sql, 1, params}, {tenant_sql, 1, params}};
    struct db_result *r[3] = {NULL, NULL, NULL};
    if (db_run(pool, NULL, stmts, ns != NULL ? 3 : 2, r, DB_READ_ONLY, err) != 0)
        return -1;
    const char *count = db_result_get(r[2], 0, 0);
    *tenant_known = ns == NULL || (count != NULL && strcmp(count, "0") != 0);
    for (int i = 0; *tenant_known && i < db_result_rows(r[1]); i++)
        each(arg, db_result_get(r[1], i, 0), db_result_get(r[1], i, 1));
    for (int i = 0; i < 3; i++)
        db_result_free(r[i]);
    return 0;
}
