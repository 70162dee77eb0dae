/* http: the libmicrohttpd glue. It reads a request into a struct http_req (server/http_model.h),
 * applies the middleware (path normalisation, X-Request-Id, CORS, bearer auth), finds the
 * handler in the route table it is given (it knows no handler itself), runs it inline or on a
 * worker lane, and sends what http_render makes of the response. */
#ifndef AAM_HTTP_H
#define AAM_HTTP_H

#include "server/http/http_model.h"
#include "server/http/router.h"

struct cfg;
struct db_pool;

struct http_server;

/* Starts listening on cfg->port with cfg->threads I/O threads and the worker lanes, serving
 * routes (borrowed: must outlive the server; routes_table() in production). Returns NULL (and
 * logs why) when the port cannot be bound. */
struct http_server *http_start(const struct cfg *cfg, struct db_pool *db,
                               const struct router_table *routes);

/* The drain (contract, Operations): stops accepting (new connections are refused), lets every
 * request already begun finish, also one whose body is still arriving, for up to
 * cfg->shutdown_grace_s, answering each with Connection: close; closes idle keep-alive
 * connections; then stops the daemon. Workers get 1 s beyond the grace period.
 * Returns 0 when the daemon was stopped (NULL-safe: 0); then call http_free. Returns -1 when
 * requests were still on a worker at the end: the daemon was not stopped (MHD must not be
 * stopped with a suspended connection), worker threads may still use the config and the
 * database pool, and the caller must exit without freeing anything. */
int http_drain(struct http_server *srv) __attribute__((warn_unused_result));

/* Frees a server http_drain returned 0 for (or one never drained: it is stopped abruptly).
 * NULL-safe. */
void http_free(struct http_server *srv);

/* 1 once the drain began. */
int http_draining(struct http_server *srv);

/* /metrics: the Prometheus text (malloc'd, caller frees; NULL on OOM) with the request
 * counters and the lifecycle, lane and database pool gauges read now. */
char *http_metrics_text(struct http_server *srv, const char *version, size_t *len);

#endif
