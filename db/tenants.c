/* db/tenants: the tenants table (see tenants.h). Every read runs in the namespace it reads, so
 * row-level security shows the one row it may. */
#include "db/tenants.h"

#include <string.h>

#include "db/tenants_internal.h"

const char db_tenants_sql_insert[] =
    "INSERT INTO tenants (namespace, name) VALUES ($1, $2) RETURNING id";

/* ------------------------------------------------------------------ request handlers */

int db_tenants_exists(struct db_pool *pool, const char *ns, int *exists, struct db_error *err)
{
    static const char sql[] = "SELECT 1 FROM tenants WHERE namespace = $1";
    const char *params[] = {ns};
    const struct db_stmt stmt = {sql, 1, params};
    struct db_result *r = NULL;
    *exists = 0;
    if (db_run(pool, ns, &stmt, 1, &r, DB_READ_ONLY, err) != 0)
        return -1;
    *exists = db_result_rows(r) > 0;
    db_result_free(r);
    return 0;
}

int db_tenants_id(struct db_pool *pool, const char *ns, char *id, size_t size, struct db_error *err)
{
    static const char sql[] = "SELECT id FROM tenants WHERE namespace = $1";
    const char *params[] = {ns};
    const struct db_stmt stmt = {sql, 1, params};
    struct db_result *r = NULL;
    id[0] = '\0';
    if (db_run(pool, ns, &stmt, 1, &r, DB_READ_ONLY, err) != 0)
        return -1;
    const char *v = db_result_get(r, 0, 0);
    size_t len = db_result_len(r, 0, 0);
    if (v != NULL && len < size)
        memcpy(id, v, len + 1);
    db_result_free(r);
    return 0;
}
