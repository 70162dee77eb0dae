/* tenants: the statements on the tenants table. A namespace's tenants row must exist before
 * anything else is stored in it; the operator commands create and list them. */
#include <stddef.h>

#include "db/db_internal.h"
#include "db/tenants.h"

/* ------------------------------------------------------------------ the operator commands
 * `aam tenants create|list` and `aam seed` (server/cli). */

/* ON CONFLICT makes concurrent creates leave one row; the UPDATE runs only when the row was
 * there before and its name differs, so a repeat changes nothing. */
static const char SQL_UPSERT[] =
    "WITH ins AS (INSERT INTO tenants (namespace, name) VALUES ($1::text, $2::text) "
    "  ON CONFLICT (namespace) DO NOTHING RETURNING 1), "
    "upd AS (UPDATE tenants SET name = $2::text WHERE namespace = $1::text "
    "  AND name IS DISTINCT FROM $2::text AND NOT EXISTS (SELECT 1 FROM ins) RETURNING 1) "
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'created' "
    "  WHEN EXISTS (SELECT 1 FROM upd) THEN 'updated' ELSE 'unchanged' END";

/* The upsert in tx when there is one, else as its own transaction on pool. */
static int run_upsert(struct db_pool *pool, struct db_tx *tx, const char *ns, const char *name,
                      enum db_outcome *out, struct db_error *err)
{
    const char *params[] = {ns, name};
    const struct db_stmt st = {SQL_UPSERT, 2, params};
    struct db_result *r = NULL;
    int rc = tx != NULL ? db_tx_exec(tx, &st, &r, err) : db_run(pool, ns, &st, 1, &r, 0, err);
    if (rc != 0)
        return -1;
    *out = db_outcome_parse(db_result_get(r, 0, 0));
    db_result_free(r);
    return 0;
}

int db_tenants_upsert(struct db_pool *pool, const char *ns, const char *name, enum db_outcome *out,
                      struct db_error *err)
{
    return run_upsert(pool, NULL, ns, name, out, err);
}

int db_tenants_upsert_tx(struct db_tx *tx, const char *ns, const char *name, enum db_outcome *out,
                         struct db_error *err)
{
    return run_upsert(NULL, tx, ns, name, out, err);
}

int db_tenants_list_all(struct db_pool *pool, db_tenants_each_fn each, void *arg,
                        struct db_error *err)
{
    static const char set_sql[] = "SELECT set_config('" DB_OPERATOR_SETTING "', 'on', true)";
    static const char sql[] = "SELECT namespace, name FROM tenants ORDER BY namespace";
    const struct db_stmt stmts[2] = {{set_sql, 0, NULL}, {sql, 0, NULL}};
    struct db_result *r[2] = {NULL, NULL};
    if (db_run(pool, NULL, stmts, 2, r, DB_READ_ONLY, err) != 0)
        return -1;
    for (int i = 0; i < db_result_rows(r[1]); i++)
        each(arg, db_result_get(r[1], i, 0), db_result_get(r[1], i, 1));
    db_result_free(r[0]);
    db_result_free(r[1]);
    return 0;
}
