/* handlers/webhooks: a tenant's webhook endpoints (contract, Webhooks):
 *   POST   /api/v1/aam/webhooks                      {"url","events","description"?} -> 201 + secret
 *   GET    /api/v1/aam/webhooks                      {"webhooks":[…],"total"}
 *   GET    /api/v1/aam/webhooks/{id}                 a webhook (never its secret)
 *   PATCH  /api/v1/aam/webhooks/{id}                 any of url, events, description, active
 *   DELETE /api/v1/aam/webhooks/{id}                 204, with its deliveries
 *   POST   /api/v1/aam/webhooks/{id}/rotate-secret   200 + the new secret (the old one keeps
 *                                                    signing next to it for 24 h)
 *   POST   /api/v1/aam/webhooks/{id}/test            202 {"webhook_id"}: a webhook.test delivery
 *   GET    /api/v1/aam/webhooks/{id}/deliveries      {"deliveries":[…],"next_cursor"}; limit, cursor
 * A URL must resolve only into AAM_OUTBOUND_NETS when saved (422 on url otherwise). */
#ifndef AAM_HANDLERS_WEBHOOKS_H
#define AAM_HANDLERS_WEBHOOKS_H

#include "server/http/http_model.h"

void webhooks_create(const struct http_req *req, struct http_res *res);
void webhooks_list(const struct http_req *req, struct http_res *res);
void webhooks_get(const struct http_req *req, struct http_res *res);
void webhooks_patch(const struct http_req *req, struct http_res *res);
void webhooks_delete(const struct http_req *req, struct http_res *res);
void webhooks_rotate_secret(const struct http_req *req, struct http_res *res);
void webhooks_test(const struct http_req *req, struct http_res *res);
void webhooks_deliveries(const struct http_req *req, struct http_res *res);

#endif
