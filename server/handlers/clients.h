/* handlers/clients: a tenant's service clients, managed by its admins (the route table's
 * ACCESS_CLIENTS_ADMIN: never by a client itself). The same clients `aam clients` manages. */
#ifndef AAM_HANDLERS_CLIENTS_H
#define AAM_HANDLERS_CLIENTS_H

#include "server/http/http_model.h"

/* GET /api/v1/aam/clients: 200 {"clients":[{"client_id","name","scopes":[…],"created_at"}]}
 * (never a secret). */
void clients_list(const struct http_req *req, struct http_res *res);

/* POST /api/v1/aam/clients {"name","scopes"?}: 201 {"client_id","client_secret","name",
 * "scopes"}; the secret is shown only here. Without "scopes", all five. 422 for an unknown or
 * empty scope list. */
void clients_create(const struct http_req *req, struct http_res *res);

/* DELETE /api/v1/aam/clients/{id}: 204, or 404 (also for another tenant's client). New tokens
 * are refused at once; tokens already issued live out their lifetime. */
void clients_delete(const struct http_req *req, struct http_res *res);

#endif
