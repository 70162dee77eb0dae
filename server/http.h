/* http: the libmicrohttpd glue. It reads a request into a struct http_req (server/http_model.h),
 * applies the middleware (path normalisation, X-Request-Id, CORS, bearer auth), finds the
 * handler in the route table it is given (it knows no handler itself), runs it inline or on a
 * worker lane, and sends what http_render makes of the response. */
#ifndef AAM_HTTP_H
#define AAM_HTTP_H

#include "server/http_model.h"
#include "server/router.h"

struct cfg;
struct db_pool;

struct http_server;

/* Starts listening on cfg->port with cfg->threads I/O threads and the worker lanes, serving
 * routes (borrowed: must outlive the server; app_routes() in production). Returns NULL (and
 * logs why) when the port cannot be bound. */
struct http_server *http_start(const struct cfg *cfg, struct db_pool *db,
                               const struct router_table *routes);

/* Stops accepting, lets in-flight requests finish for up to cfg->shutdown_grace_s, frees.
 * Returns 0 when everything finished and was freed (NULL-safe: 0), or -1 when requests were
 * still running at the deadline: then nothing is freed, worker threads may still use the
 * config and the database pool, and the caller must exit without freeing them either. */
int http_stop(struct http_server *srv);

#endif
