/* handlers/docs: the OpenAPI document describing every route (GET /openapi.json). */
#ifndef AAM_HANDLERS_DOCS_H
#define AAM_HANDLERS_DOCS_H

#include "server/http/http_model.h"

void docs_openapi(const struct http_req *req, struct http_res *res);

#endif
