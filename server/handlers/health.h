/* handlers/health: liveness (/health) and readiness (/ready: database ping + pool figures). */
#ifndef AAM_HANDLERS_HEALTH_H
#define AAM_HANDLERS_HEALTH_H

#include "server/http/http_model.h"

void health_get(const struct http_req *req, struct http_res *res);
void health_ready(const struct http_req *req, struct http_res *res);

#endif
