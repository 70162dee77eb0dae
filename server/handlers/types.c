/* handlers/types: serves the built-in connector types. The registry is the same for every
 * tenant and never changes while the process runs, so these run inline (no database, nothing
 * that blocks) behind the usual bearer token. */
#include "server/handlers/types.h"

#include "server/core/types.h"

void types_list(const struct http_req *req, struct http_res *res)
{
    (void)req;
    http_res_json(res, 200, types_list_json());
}

void types_get(const struct http_req *req, struct http_res *res)
{
    const struct types_type *t = req->n_params > 0 ? types_find(req->params[0]) : NULL;
    if (t == NULL) {
        /* The name is not echoed: the list route tells what exists. */
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector type");
        return;
    }
    http_res_json(res, 200, types_json(t));
}
