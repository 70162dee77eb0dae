/* tenant: the 403 for a token whose namespace has no tenant (see tenant.h). */
#include "server/handlers/tenant.h"

#include "db/db.h"
#include "db/tenants.h"

#include <string.h>

void tenant_res_missing(struct http_res *res, const char *ns)
{
    http_res_error(res, APP_ERR_FORBIDDEN,
                   "the tenant \"%s\" does not exist: a token for a namespace without a tenant "
                   "can neither read nor write (an operator creates it with `aam tenants create`)",
                   ns);
}

int tenant_answer_if_missing(const struct http_req *req, struct http_res *res, const char *ns)
{
    struct db_error err = {0};
    int exists = 0;
    if (db_tenants_exists(req->db, ns, &exists, &err) != 0) {
        http_res_db_error(res, &err, "look up the tenant");
        return 1;
    }
    if (!exists)
        tenant_res_missing(res, ns);
    return !exists;
}

void tenant_actor(const struct http_req *req, struct db_actor *a)
{
    const struct jwt_identity *who = req->who;
    memset(a, 0, sizeof *a);
    a->request_id = req->request_id;
    if (who == NULL)
        return;
    a->type = who->client_id[0] != '\0' ? "client" : "user";
    a->id = who->sub;
    a->email = who->email[0] != '\0' ? who->email : NULL;
}
