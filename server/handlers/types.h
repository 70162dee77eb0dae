/* handlers/types: the connector type registry over HTTP (server/core/types.h): the list and one
 * type, each {"type","title","description","spec"}. No database: the registry is built in. */
#ifndef AAM_HANDLERS_TYPES_H
#define AAM_HANDLERS_TYPES_H

#include "server/http/http_model.h"

/* GET /api/v1/aam/connector-types -> 200 {"types":[...]} */
void types_list(const struct http_req *req, struct http_res *res);

/* GET /api/v1/aam/connector-types/{type} -> 200 the type, or 404 problem+json. */
void types_get(const struct http_req *req, struct http_res *res);

#endif
