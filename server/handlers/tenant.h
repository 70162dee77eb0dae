/* tenant: what a tenant-scoped route answers when the token's namespace has no tenant. A token
 * is checked without the database, so `aam token` can mint one for any namespace; the
 * database refuses every row in a namespace without a tenants row (migration 0003), and the
 * routes say so plainly: 403 problem+json naming the missing tenant, never a 500 and never a
 * silent empty answer. The check runs only when a route found nothing (an empty list, an
 * unknown id), so the requests that find rows pay nothing for it. */
#ifndef AAM_TENANT_H
#define AAM_TENANT_H

#include "server/http/http_model.h"

/* Answers 403: the tenant of namespace ns does not exist. */
void tenant_res_missing(struct http_res *res, const char *ns);

/* Asks the database (one indexed read of tenants, in the token's namespace) whether ns has a
 * tenant. Returns 1 after answering: 403 when it has none, or the database error; returns 0
 * when the tenant exists, leaving res untouched for the caller's own answer. */
int tenant_answer_if_missing(const struct http_req *req, struct http_res *res, const char *ns)
    __attribute__((warn_unused_result));

struct db_actor;

/* Fills *a with who a write of req is made by, for the history (db_run_as): a service client
 * (a token carrying client_id) is "client", any other token "user"; id, email and the request
 * id are borrowed from req. */
void tenant_actor(const struct http_req *req, struct db_actor *a);

#endif
