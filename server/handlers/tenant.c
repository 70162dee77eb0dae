/* tenant: the 403 for a token whose namespace has no tenant (see tenant.h). */
#include "server/handlers/tenant.h"

#include "db/db.h"

void tenant_res_missing(struct http_res *res, const char *ns)
{
    http_res_error(res, APP_ERR_FORBIDDEN,
                   "the tenant \"%s\" does not exist: a token for a namespace without a tenant "
                   "can neither read nor write (an operator creates it with `aam tenants create`)",
                   ns);
}

int tenant_answer_if_missing(const struct http_req *req, struct http_res *res, const char *ns)
{
    static const char sql[] = "SELECT 1 FROM tenants WHERE namespace = $1";
    const char *params[] = {ns};
    struct db_stmt stmt = {sql, 1, params};
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (db_run(req->db, ns, &stmt, 1, &r, DB_READ_ONLY, &err) != 0) {
        http_res_db_error(res, &err, "look up the tenant");
        return 1;
    }
    int missing = db_result_rows(r) == 0;
    db_result_free(r);
    if (missing)
        tenant_res_missing(res, ns);
    return missing;
}
