/* clients: the statements of the operator commands on the service clients. The token
 * endpoint's lookups (by aam.client_id) live with the sessions. */
#include <stdio.h>

#include "db/clients.h"
#include "db/db_internal.h"

int db_clients_create(struct db_pool *pool, const char *id, const char *ns, const char *name,
                      const char *secret_hash, enum db_outcome *out, struct db_error *err)
{
    /* No tenant row, no client (and the foreign key would refuse it anyway). */
    static const char sql[] =
        "INSERT INTO clients (id, namespace, name, secret_hash) "
        "SELECT $1, namespace, $3, $4 FROM tenants WHERE namespace = $2 RETURNING id";
    const char *params[] = {id, ns, name, secret_hash};
    const struct db_stmt st = {sql, 4, params};
    struct db_result *r = NULL;
    if (db_run(pool, ns, &st, 1, &r, 0, err) != 0)
        return -1;
    *out = db_result_rows(r) == 1 ? DB_OUTCOME_CREATED : DB_OUTCOME_NO_TENANT;
    db_result_free(r);
    return 0;
}

int db_clients_list(struct db_pool *pool, const char *ns, db_clients_each_fn each, void *arg,
                    struct db_error *err)
{
    static const char set_sql[] = "SELECT set_config('" DB_OPERATOR_SETTING "', 'on', true)";
    static const char sql[] =
        "SELECT id, namespace, name, "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM clients "
        "WHERE $1 = '' OR namespace = $1 ORDER BY namespace, created_at, id";
    const char *params[] = {ns != NULL ? ns : ""};
    const struct db_stmt st[] = {{set_sql, 0, NULL}, {sql, 1, params}};
    struct db_result *rs[2] = {NULL, NULL};
    if (db_run(pool, NULL, st, 2, rs, DB_READ_ONLY, err) != 0)
        return -1;
    for (int i = 0; i < db_result_rows(rs[1]); i++) {
        const struct db_client_info c = {
            .id = db_result_get(rs[1], i, 0),
            .ns = db_result_get(rs[1], i, 1),
            .name = db_result_get(rs[1], i, 2),
            .created_at = db_result_get(rs[1], i, 3),
        };
        each(arg, &c);
    }
    db_result_free(rs[0]);
    db_result_free(rs[1]);
    return 0;
}

int db_clients_revoke(struct db_pool *pool, const char *id, enum db_outcome *out, char *ns_out,
                      size_t ns_size, struct db_error *err)
{
    static const char set_sql[] = "SELECT set_config('" DB_CLIENT_ID_SETTING "', $1, true)";
    static const char sql[] = "DELETE FROM clients WHERE id = $1 RETURNING namespace";
    const char *params[] = {id};
    const struct db_stmt st[] = {{set_sql, 1, params}, {sql, 1, params}};
    struct db_result *rs[2] = {NULL, NULL};
    if (db_run(pool, NULL, st, 2, rs, 0, err) != 0)
        return -1;
    const char *ns = db_result_rows(rs[1]) == 1 ? db_result_get(rs[1], 0, 0) : NULL;
    *out = ns != NULL ? DB_OUTCOME_DELETED : DB_OUTCOME_UNCHANGED;
    if (ns_size > 0)
        snprintf(ns_out, ns_size, "%s", ns != NULL ? ns : "");
    db_result_free(rs[0]);
    db_result_free(rs[1]);
    return 0;
}
