/* handlers/connectors: the tenant's connector registry (list, get, create, patch, delete). */
#ifndef AAM_HANDLERS_CONNECTORS_H
#define AAM_HANDLERS_CONNECTORS_H

#include "server/http/http_model.h"

void connectors_list(const struct http_req *req, struct http_res *res);
void connectors_get(const struct http_req *req, struct http_res *res);
void connectors_create(const struct http_req *req, struct http_res *res);
void connectors_patch(const struct http_req *req, struct http_res *res);
void connectors_delete(const struct http_req *req, struct http_res *res);

#endif
