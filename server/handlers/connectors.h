/* handlers/connectors: the tenant's connector registry (list, get, create, patch, delete). */
#ifndef AAM_HANDLERS_CONNECTORS_H
#define AAM_HANDLERS_CONNECTORS_H

#include "db/connectors.h"
#include "server/http/http_model.h"

void connectors_list(const struct http_req *req, struct http_res *res);
void connectors_get(const struct http_req *req, struct http_res *res);
void connectors_create(const struct http_req *req, struct http_res *res);
void connectors_patch(const struct http_req *req, struct http_res *res);
void connectors_delete(const struct http_req *req, struct http_res *res);

/* Reads If-Match into *m: NULL when there is no condition (absent, or "*", which any existing
 * connector matches), else m with the versions of its strong "v<version>" tags (none when it
 * names no tag of ours: then nothing matches, and an existing connector answers 412). Returns
 * m or NULL; m is the caller's. */
const struct db_if_match *connectors_if_match(const struct http_req *req, struct db_if_match *m);

/* The detail of a 412: the connector changed since the version If-Match names. */
#define CONNECTORS_STALE_DETAIL                                                                    \
    "the connector changed since the version named in If-Match; fetch it again and retry"

#endif
