/* admin: a second, small libmicrohttpd daemon (one internal thread) for operators. /health
 * and /ready come from the route table it is given (the public handlers); /ready also says 503
 * "draining" once SIGTERM came, so an orchestrator stops sending traffic; /metrics renders the
 * registry http.c keeps. */
#include "server/http/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/config.h"
#include "server/core/log.h"
#include "server/http/http.h"
#include "server/http/router.h"
#include "util/xalloc.h"

#define ADMIN_CONNECTION_LIMIT 64
#define ADMIN_TIMEOUT_S 10
#define ADMIN_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct admin {
    struct MHD_Daemon *daemon;
    const struct cfg *cfg;
    struct http_server *srv;
    struct db_pool *db;
    const struct router_table *routes;
    const char *version;
};

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int status, char *body,
                             size_t len, const char *type, int retry_after)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (retry_after > 0) {
        char num[16];
        snprintf(num, sizeof num, "%d", retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
    }
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
    char *body = xstrdup(text);
    return queue(conn, status, body, strlen(body), "text/plain; charset=utf-8", 0);
}

/* A route of the admin table (/health, /ready): the same handlers the public port uses. */
static enum MHD_Result serve_route(struct admin *a, struct MHD_Connection *conn,
                                   const struct router_route *route, const char *path)
{
    struct http_req req = {.method = "GET",
                           .path = path,
                           .request_id = "",
                           .client_ip = "admin",
                           .body = "",
                           .cfg = a->cfg,
                           .db = a->db};
    struct http_res res = HTTP_RES_INIT;
    if (strcmp(path, "/ready") == 0 && http_draining(a->srv)) {
        http_res_json(&res, 503, json_pack("{s:s}", "status", "draining"));
        res.retry_after = 1;
    } else {
        route->handler(&req, &res);
    }
    int status = 500;
    size_t len = 0;
    int retry = res.retry_after;
    const char *type = res.err != APP_OK ? "application/problem+json" : "application/json";
    char *body = http_render(&res, &req, &status, &len);
    http_res_free(&res);
    if (body == NULL)
        return MHD_NO;
    return queue(conn, (unsigned int)status, body, len, type, retry);
}

static enum MHD_Result on_admin_request(void *cls, struct MHD_Connection *conn, const char *url,
                                        const char *method, const char *version,
                                        const char *upload_data, size_t *upload_data_size,
                                        void **req_cls)
{
    (void)version, (void)upload_data;
    static int first_call_marker;
    struct admin *a = cls;
    if (*req_cls == NULL) {
        *req_cls = &first_call_marker; /* headers read; answer once the (ignored) body is in */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    int is_metrics = strcmp(url, "/metrics") == 0;
    struct router_match m;
    enum router_result rr = is_metrics ? ROUTER_FOUND : router_match(a->routes, method, url, &m);
    if (rr == ROUTER_NO_PATH)
        return queue_text(conn, MHD_HTTP_NOT_FOUND,
                          "not found: the admin listener serves /metrics, /health, /ready\n");
    if (rr == ROUTER_NO_METHOD || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
        return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    if (!is_metrics)
        return serve_route(a, conn, m.route, url);
    size_t len = 0;
    char *text = http_metrics_text(a->srv, a->version, &len);
    if (text == NULL)
        return queue_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    return queue(conn, MHD_HTTP_OK, text, len, ADMIN_METRICS_TYPE, 0);
}

__attribute__((format(printf, 2, 0))) static void on_admin_log(void *cls, const char *fmt,
                                                               va_list ap)
{
    (void)cls;
    log_library_debug("admin listener: libmicrohttpd: ", fmt, ap);
}

struct admin *admin_start(const struct cfg *cfg, struct http_server *srv, struct db_pool *db,
                          const struct router_table *routes, const char *version)
{
    struct sockaddr_in6 sa6;
    struct sockaddr_in sa4;
    const struct sockaddr *sa;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_POLL;
    memset(&sa6, 0, sizeof sa6);
    memset(&sa4, 0, sizeof sa4);
    if (inet_pton(AF_INET, cfg->admin_host, &sa4.sin_addr) == 1) {
        sa4.sin_family = AF_INET;
        sa4.sin_port = htons((uint16_t)cfg->admin_port);
        sa = (const struct sockaddr *)&sa4;
    } else if (inet_pton(AF_INET6, cfg->admin_host, &sa6.sin6_addr) == 1) {
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((uint16_t)cfg->admin_port);
        sa = (const struct sockaddr *)&sa6;
        flags |= MHD_USE_IPv6;
    } else {
        log_error("admin listener: %s is not an IP address",
                  cfg->admin_host); /* config checked it */
        return NULL;
    }
    struct admin *a = xcalloc(1, sizeof *a);
    a->cfg = cfg, a->srv = srv, a->db = db, a->routes = routes, a->version = version;
    a->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_admin_request, a, MHD_OPTION_SOCK_ADDR,
                                 sa, MHD_OPTION_EXTERNAL_LOGGER, on_admin_log, a,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)ADMIN_CONNECTION_LIMIT,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)ADMIN_TIMEOUT_S,
                                 MHD_OPTION_END); /* no SO_REUSEPORT: a taken port must fail */
    if (a->daemon == NULL) {
        log_error("admin listener: cannot listen on %s (AAM_ADMIN_ADDR): %s", cfg->admin_addr,
                  strerror(errno));
        free(a);
        return NULL;
    }
    return a;
}

void admin_stop(struct admin *a)
{
    if (a == NULL)
        return;
    MHD_stop_daemon(a->daemon);
    free(a);
}
