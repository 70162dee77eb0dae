/* handlers/checks: POST /api/v1/aam/connectors/{id}/check (a stored connector) and
 * POST /api/v1/aam/connector-types/{type}/check (a config before it is saved). Both run on the
 * check lane (routes.c), never on a request worker. */
#ifndef AAM_HANDLERS_CHECKS_H
#define AAM_HANDLERS_CHECKS_H

#include "server/http/http_model.h"

/* Checks per tenant per window, across replicas (the contract's 30 a minute). */
#define CHECKS_PER_WINDOW 30
#define CHECKS_WINDOW_S 60

void checks_connector(const struct http_req *req, struct http_res *res);
void checks_config(const struct http_req *req, struct http_res *res);

#endif
