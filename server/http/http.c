/* http: libmicrohttpd glue. I/O runs on AAM_THREADS epoll threads; a request that needs the
 * database (or a password hash) is suspended and handed to a worker lane, then resumed with
 * its response, so a slow query never blocks the connections sharing its I/O thread.
 * The middleware (path normalisation, X-Request-Id, CORS, bearer auth) lives here; the
 * request/response model and the app_err mapping are in http_model.c, the routes in the
 * table http_start is given. */
#include "server/http/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "server/core/access.h"
#include "server/core/config.h"
#include "server/http/lane.h"
#include "server/http/lifecycle.h"
#include "server/core/log.h"
#include "server/core/webhook_worker.h"
#include "util/netaddr.h"
#include "server/http/metrics.h"
#include "server/http/path.h"
#include "server/http/reaper.h"
#include "server/http/router.h"
#include "util/utf8.h"
#include "util/mono.h"
#include "util/xalloc.h"

/* The web UI's Content-Security-Policy (server/handlers/ui.c serves it), sent on every response:
 * nothing from another origin, no inline script or style, no framing, no <base>. */
#define HTTP_CSP                                                                                   \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
#define HTTP_MAX_TARGET 8192         /* bytes of request target; longer: 414 */
#define HTTP_MAX_QUERY_PARAMS 100    /* more: 414 */
#define HTTP_CONNECTION_TIMEOUT_S 30 /* idle or slow (slowloris) connections are closed */
/* A request whose headers and body have not all arrived this long after its request line gets
 * 408: MHD's own timeout counts idle time only, so a byte every 29 s would hold it forever. */
#define HTTP_REQUEST_DEADLINE_S 30
#define HTTP_CONNECTION_LIMIT 4096
/* Shutdown: once no request is running, an idle keep-alive connection's client gets this long
 * to send its next request (answered with Connection: close) before the connection is closed;
 * it keeps a client that is between two requests from having its next one cut. */
#define HTTP_DRAIN_LINGER_MS 250
#define HTTP_STOP_EXTRA_MS 1000
#define HTTP_PER_IP_LIMIT 512 /* above a load generator's 64-256 sockets, below exhaustion */
#define HTTP_PROBLEM "application/problem+json"
#define HTTP_XFF_MAX 8192 /* a longer X-Forwarded-For is not believed at all */

struct http_server {
    struct MHD_Daemon *daemon;
    const struct cfg *cfg;
    struct db_pool *db;
    const struct router_table *routes;
    struct lane *db_lane;
    struct lane *hash_lane;
    struct lane *check_lane;  /* connector checks: slow network work, never on db_lane */
    atomic_size_t body_bytes; /* buffered request body capacity, all connections */
    struct reaper *reaper;    /* answers 408 to requests still arriving at the deadline */
    struct lifecycle *lc;
    struct metrics *metrics;
    int listen_fd; /* after the quiesce: ours to close once the daemon stopped; else -1 */
};

enum ctx_state { CTX_NEW = 0, CTX_READING, CTX_DISPATCHED, CTX_READY };

/* One request. Created by the URI-log callback, freed by the completion callback. */
struct http_ctx {
    struct http_server *srv;
    struct MHD_Connection *conn;
    enum ctx_state state;
    struct timespec started;
    char *raw_uri;
    char method[16];
    char *path;
    struct http_kv *query;
    size_t n_query;
    char request_id[129];
    char *content_type, *authorization, *origin, *if_none_match, *if_match;
    char client_ip[INET6_ADDRSTRLEN];
    char *body;
    size_t body_len, body_cap;
    size_t body_limit; /* the route table's limit for this path (router_body_limit) */
    int body_too_large;
    int body_over_budget;      /* AAM_BODY_BUDGET_MB was reached */
    int timed_out;             /* HTTP_REQUEST_DEADLINE_S passed before the request was complete */
    int close_after;           /* answer with Connection: close (the framing was ambiguous) */
    struct reaper_entry watch; /* the arrival deadline (server/reaper.h) */
    struct jwt_identity who;
    struct router_match match;
    struct http_req req;
    struct http_res res;
    int status_sent;
};

/* ------------------------------------------------------------------ request context */

static void ctx_free(struct http_ctx *ctx)
{
    if (ctx == NULL)
        return;
    free(ctx->raw_uri);
    free(ctx->path);
    http_kv_free(ctx->query, ctx->n_query);
    free(ctx->content_type);
    free(ctx->authorization);
    free(ctx->origin);
    free(ctx->if_none_match);
    free(ctx->if_match);
    free(ctx->body);
    if (ctx->srv != NULL)
        atomic_fetch_sub(&ctx->srv->body_bytes, ctx->body_cap);
    http_res_free(&ctx->res);
    free(ctx);
}

static char *dup_header(struct MHD_Connection *conn, const char *name)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    return v ? xstrdup(v) : NULL;
}

/* A caller's X-Request-Id is echoed only when it is short and plain; else one is made. */
static int request_id_sane(const char *id)
{
    size_t n = 0;
    for (; id[n] != '\0'; n++) {
        unsigned char c = (unsigned char)id[n];
        if (n >= 128 || !(isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':'))
            return 0;
    }
    return n > 0;
}

static void make_request_id(char *out, size_t size)
{
    static _Thread_local unsigned long long state;
    if (state == 0 && getrandom(&state, sizeof state, 0) != sizeof state)
        state = (unsigned long long)time(NULL) ^ (unsigned long long)pthread_self();
    unsigned long long a, b;
    /* xorshift64*: ids need to be unique, not secret */
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    a = state * 2685821657736338717ULL;
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    b = state * 2685821657736338717ULL;
    snprintf(out, size, "%016llx%016llx", a, b);
}

/* Joins every X-Forwarded-For header line with ", " (RFC 9110 §5.3: the same as one line),
 * so a client's own line cannot hide the one its proxy appended. */
static enum MHD_Result on_xff(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    char *buf = cls;
    size_t used = strlen(buf);
    if (key == NULL || value == NULL || strcasecmp(key, "X-Forwarded-For") != 0)
        return MHD_YES;
    if (used + 2 + strlen(value) >= HTTP_XFF_MAX) {
        buf[0] = '\0'; /* cut, its right end (the part we read) would be lost: ignore it */
        return MHD_NO;
    }
    snprintf(buf + used, HTTP_XFF_MAX - used, "%s%s", used ? ", " : "", value);
    return MHD_YES;
}

/* The socket peer, or behind a trusted proxy (AAM_TRUSTED_PROXIES) the first untrusted hop of
 * X-Forwarded-For (server/netaddr.h). */
static void capture_client_ip(struct http_ctx *ctx)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(ctx->conn,
                                                                 MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[INET6_ADDRSTRLEN] = "unknown";
    snprintf(ctx->client_ip, sizeof ctx->client_ip, "unknown");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer,
                  sizeof peer);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer,
                  sizeof peer);
    const struct cfg *cfg = ctx->srv->cfg;
    if (cfg->n_trusted_proxies == 0 ||
        !netaddr_in_list(cfg->trusted_proxies, cfg->n_trusted_proxies, peer)) {
        /* canonical text: a dual-stack socket's ::ffff:a.b.c.d becomes a.b.c.d */
        netaddr_client(NULL, 0, peer, NULL, ctx->client_ip, sizeof ctx->client_ip);
        return;
    }
    /* On the stack: behind a proxy this runs for every request, and on_xff needs only the
     * leading NUL, not a zeroed 8 KiB allocation. */
    char xff[HTTP_XFF_MAX];
    xff[0] = '\0';
    MHD_get_connection_values(ctx->conn, MHD_HEADER_KIND, on_xff, xff);
    netaddr_client(cfg->trusted_proxies, cfg->n_trusted_proxies, peer, xff[0] != '\0' ? xff : NULL,
                   ctx->client_ip, sizeof ctx->client_ip);
}

/* The target as the client sent it, parsed by the model (http_parse_target). -1: a 400. */
static int parse_target(struct http_ctx *ctx)
{
    return http_parse_target(ctx->raw_uri ? ctx->raw_uri : "/", &ctx->path, &ctx->query,
                             &ctx->n_query);
}

static void capture_request(struct http_ctx *ctx, const char *method)
{
    snprintf(ctx->method, sizeof ctx->method, "%s", method);
    ctx->content_type = dup_header(ctx->conn, MHD_HTTP_HEADER_CONTENT_TYPE);
    ctx->authorization = dup_header(ctx->conn, MHD_HTTP_HEADER_AUTHORIZATION);
    ctx->origin = dup_header(ctx->conn, "Origin");
    ctx->if_none_match = dup_header(ctx->conn, MHD_HTTP_HEADER_IF_NONE_MATCH);
    ctx->if_match = dup_header(ctx->conn, MHD_HTTP_HEADER_IF_MATCH);
    const char *rid = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (rid != NULL && request_id_sane(rid))
        snprintf(ctx->request_id, sizeof ctx->request_id, "%s", rid);
    else /* the one made at the request line, which a 408 from the reaper would carry */
        snprintf(ctx->request_id, sizeof ctx->request_id, "%s", ctx->watch.request_id);
    capture_client_ip(ctx);
}

static void fill_req(struct http_ctx *ctx)
{
    struct http_req *r = &ctx->req;
    r->method = ctx->method;
    r->path = ctx->path ? ctx->path : "/";
    r->request_id = ctx->request_id;
    r->content_type = ctx->content_type;
    r->authorization = ctx->authorization;
    r->origin = ctx->origin;
    r->if_none_match = ctx->if_none_match;
    r->if_match = ctx->if_match;
    r->client_ip = ctx->client_ip;
    r->body = ctx->body ? ctx->body : "";
    r->body_len = ctx->body_len;
    r->query = ctx->query;
    r->n_query = ctx->n_query;
    r->n_params = ctx->match.n_params;
    for (size_t i = 0; i < ctx->match.n_params; i++)
        r->params[i] = ctx->match.params[i];
    r->cfg = ctx->srv->cfg;
    r->db = ctx->srv->db;
}

/* ------------------------------------------------------------------ sending */

static void add_cors_headers(struct http_ctx *ctx, struct MHD_Response *resp)
{
    if (ctx->origin == NULL || !cfg_cors_allowed(ctx->srv->cfg, ctx->origin))
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", ctx->origin);
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "X-Request-Id, Retry-After, Location, ETag");
    if (strcmp(ctx->method, "OPTIONS") == 0) {
        MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, X-Request-Id, If-Match, "
                                "If-None-Match");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
}

static void add_headers(struct http_ctx *ctx, struct MHD_Response *resp, int status)
{
    const struct http_res *res = &ctx->res;
    char num[16];
    MHD_add_response_header(resp, "X-Request-Id", ctx->request_id);
    if (res->err != APP_OK)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, HTTP_PROBLEM);
    else if (status != 204 && status != 304)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                res->content_type ? res->content_type : HTTP_JSON);
    if (status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                res->www_authenticate ? res->www_authenticate
                                : res->invalid_token  ? "Bearer error=\"invalid_token\""
                                                      : "Bearer");
    if (res->retry_after > 0) {
        snprintf(num, sizeof num, "%d", res->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
    }
    if (res->allow[0] != '\0')
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, res->allow);
    if (res->location[0] != '\0')
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, res->location);
    if (res->etag != NULL || res->etag_buf[0] != '\0')
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, res->etag ? res->etag : res->etag_buf);
    if (res->cache_control != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, res->cache_control);
    else if (ctx->path != NULL && strncmp(ctx->path, "/api/", 5) == 0)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* On every response, not only the UI's: an API answer opened in a tab is then inert too. */
    MHD_add_response_header(resp, "Content-Security-Policy", HTTP_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (ctx->srv->cfg->n_cors_origins > 0)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
    add_cors_headers(ctx, resp);
}

static enum MHD_Result send_response(struct http_ctx *ctx)
{
    if (!reaper_claim(&ctx->watch))
        return MHD_NO; /* the reaper has answered 408 on this socket already */
    int status = 500;
    size_t len = 0;
    char *body = http_render(&ctx->res, &ctx->req, &status, &len);
    if (status == 204 || status == 304 || body == NULL) {
        free(body);
        body = NULL;
        len = 0;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body ? body : (void *)"",
                                                                body ? MHD_RESPMEM_MUST_FREE
                                                                     : MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    add_headers(ctx, resp, status);
    if (ctx->close_after || lifecycle_state(ctx->srv->lc) != LIFECYCLE_ACCEPTING)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close"); /* or draining */
    ctx->status_sent = status;
    enum MHD_Result rc = MHD_queue_response(ctx->conn, (unsigned int)status, resp);
    MHD_destroy_response(resp); /* MHD keeps its own reference until the response is sent */
    ctx->state = CTX_READY;
    return rc;
}

static enum MHD_Result send_error(struct http_ctx *ctx, enum app_err err, const char *detail)
{
    http_res_error(&ctx->res, err, "%s", detail);
    return send_response(ctx);
}

/* ------------------------------------------------------------------ middleware + dispatch */

static void body_too_large_error(struct http_ctx *ctx)
{
    size_t kib = ctx->body_limit / 1024;
    if (kib % 1024 == 0)
        http_res_error(&ctx->res, APP_ERR_PAYLOAD_TOO_LARGE, "the body is larger than %zu MiB",
                       kib / 1024);
    else
        http_res_error(&ctx->res, APP_ERR_PAYLOAD_TOO_LARGE, "the body is larger than %zu KiB", kib);
}

/* 1 when the raw target is longer than HTTP_MAX_TARGET or has more than HTTP_MAX_QUERY_PARAMS
 * non-empty '&'-separated parameters. */
static int target_too_long(const char *uri)
{
    if (strlen(uri) > HTTP_MAX_TARGET)
        return 1;
    const char *q = strchr(uri, '?');
    size_t n = 0;
    while (q != NULL && *q != '\0' && *q != '#') {
        q++;
        size_t len = strcspn(q, "&#");
        n += len > 0;
        q += len;
    }
    return n > HTTP_MAX_QUERY_PARAMS;
}

/* What the header fields say about the body's length (see framing_ambiguous). */
struct framing {
    int has_length;            /* a Content-Length value was seen */
    unsigned long long length; /* the first one */
    int ambiguous;             /* another value differs, or one is not a number */
    int has_transfer_encoding;
};

/* Adds one Content-Length field value: a list of decimal numbers (RFC 9110 §8.6 allows a
 * recipient to see "5, 5" when a field was repeated), each of which must equal the first. */
static void framing_add_length(struct framing *f, const char *value)
{
    const char *p = value;
    for (;;) {
        p += strspn(p, " \t");
        char *end = NULL;
        errno = 0;
        unsigned long long n = isdigit((unsigned char)*p) ? strtoull(p, &end, 10) : 0;
        if (end == NULL || errno == ERANGE || (f->has_length && n != f->length)) {
            f->ambiguous = 1;
            return;
        }
        f->has_length = 1;
        f->length = n;
        p = end + strspn(end, " \t");
        if (*p == '\0')
            return;
        if (*p++ != ',') {
            f->ambiguous = 1;
            return;
        }
    }
}

static enum MHD_Result on_framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    struct framing *f = cls;
    (void)kind;
    if (key == NULL)
        return MHD_YES;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        f->has_transfer_encoding = 1;
    else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        framing_add_length(f, value != NULL ? value : "");
    return MHD_YES;
}

/* 1 when the request's body length is ambiguous (RFC 9112 §6.3): two different Content-Length
 * values, or Content-Length together with Transfer-Encoding. libmicrohttpd takes the first
 * Content-Length field and ignores the rest, while a proxy in front may have taken another
 * (or the chunked framing): what it saw as one request's body would be read here as the next
 * request. Such a request is refused and its connection closed. */
static int framing_ambiguous(struct MHD_Connection *conn)
{
    struct framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, on_framing_header, &f);
    return f.ambiguous || (f.has_length && f.has_transfer_encoding);
}

/* The one place rights are checked: after authentication and routing, before the body is read
 * or any handler runs, so a refused request writes nothing. A route that is not public needs
 * the right its table row declares (server/core/access.h); a public one needs none. Returns 1
 * after answering 403 urn:aam:problem:forbidden, else 0. */
static int refuse_without_right(struct http_ctx *ctx)
{
    const struct router_route *route = ctx->match.route;
    if (route->is_public || access_allows(ctx->req.who, route->right))
        return 0;
    const struct jwt_identity *who = ctx->req.who;
    const char *what = access_right_describe(route->right);
    log_info("403: the token may not %s here (role \"%s\", client %d)", what,
             who != NULL ? who->role : "", who != NULL ? who->is_client : 0);
    if (who != NULL && who->is_client)
        http_res_error(&ctx->res, APP_ERR_FORBIDDEN, "this client's scopes do not allow it to %s",
                       what);
    else if (who != NULL && who->role[0] != '\0')
        http_res_error(&ctx->res, APP_ERR_FORBIDDEN, "the role \"%s\" does not allow you to %s",
                       who->role, what);
    else
        http_res_error(&ctx->res, APP_ERR_FORBIDDEN, "this token does not allow you to %s", what);
    ctx->res.type = HTTP_PROBLEM_FORBIDDEN;
    return 1;
}

/* Runs once, on the first call for a request: framing, target, auth, routing. Returns 0 to go on
 * reading the body, or 1 when the response is already decided (sent by the caller). */
static int admit_request(struct http_ctx *ctx)
{
    struct http_res *res = &ctx->res;
    if (framing_ambiguous(ctx->conn)) {
        ctx->close_after = 1;
        http_res_error(res, APP_ERR_BAD_REQUEST,
                       "the body's length is ambiguous: two different Content-Length values, or "
                       "Content-Length with Transfer-Encoding (RFC 9112 section 6.3)");
        return 1;
    }
    if (target_too_long(ctx->raw_uri ? ctx->raw_uri : "/")) {
        http_res_error(res, APP_ERR_URI_TOO_LONG,
                       "the request target is longer than 8 KiB or has more than 100 query "
                       "parameters");
        return 1;
    }
    if (parse_target(ctx) != 0) {
        http_res_error(res, APP_ERR_BAD_REQUEST,
                       "the request target is malformed (a bad escape or control byte, bytes that "
                       "are not UTF-8, an encoded '/', or a '.' or '..' segment)");
        return 1;
    }
    const char *len = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_CONTENT_LENGTH);
    ctx->body_limit = router_body_limit(ctx->srv->routes, ctx->path);
    if (len != NULL && strtoull(len, NULL, 10) > ctx->body_limit) {
        body_too_large_error(ctx);
        return 1;
    }
    if (strcmp(ctx->method, "OPTIONS") == 0) {
        /* A preflight carries no token, so its answer must be the same for every path: one
         * that differed for routes that exist would map the API for anyone. */
        snprintf(res->allow, sizeof res->allow, "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
        res->status = 204;
        return 1;
    }
    if (!router_is_public(ctx->srv->routes, ctx->method, ctx->path)) {
        const char *why = NULL;
        const struct cfg *cfg = ctx->srv->cfg;
        if (jwt_verify_bearer(ctx->authorization, cfg->jwt_secret, cfg->jwt_secret_len, time(NULL),
                              &ctx->who, &why) != 0) {
            res->invalid_token = ctx->authorization != NULL;
            log_debug("token refused: %s", why ? why : "?");
            http_res_error(res, APP_ERR_UNAUTHORIZED, "a valid bearer token is required");
            return 1;
        }
        ctx->req.who = &ctx->who;
        log_set_context(ctx->request_id, ctx->who.ns);
    }
    enum router_result rr = router_match(ctx->srv->routes, ctx->method, ctx->path, &ctx->match);
    if (rr == ROUTER_NO_PATH) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such resource");
        return 1;
    }
    if (rr == ROUTER_NO_METHOD) {
        snprintf(res->allow, sizeof res->allow, "%s", ctx->match.allow);
        http_res_error(res, APP_ERR_METHOD_NOT_ALLOWED, "%s is not allowed here", ctx->method);
        return 1;
    }
    return refuse_without_right(ctx);
}

static void run_handler(struct http_ctx *ctx)
{
    log_set_context(ctx->request_id, ctx->req.who ? ctx->req.who->ns : NULL);
    fill_req(ctx);
    ctx->match.route->handler(&ctx->req, &ctx->res);
}

/* Lane callback: runs on a worker thread, then wakes the connection up. */
static void on_lane_job(void *arg)
{
    struct http_ctx *ctx = arg;
    struct http_server *srv = ctx->srv;
    run_handler(ctx);
    log_set_context(NULL, NULL);
    ctx->state = CTX_READY;
    MHD_resume_connection(ctx->conn); /* from here on the I/O thread owns (and frees) ctx */
    /* Counted down only after the resume: MHD_stop_daemon aborts the process if it finds a
     * connection still suspended, and one that is resuming is fine (MHD finishes the resume). */
    lifecycle_suspend_end(srv->lc);
}

/* Hands ctx to its route's lane. Returns 0, -1 when the lane is stopping, -2 when its queue is
 * full (hashing only: logins urgent, registrations bulk, each with the route's bound). */
static int submit_to_lane(struct http_ctx *ctx, const struct router_route *route)
{
    struct http_server *srv = ctx->srv;
    if (route->lane == ROUTER_LANE_HASH)
        return lane_submit_to(srv->hash_lane, LANE_URGENT, route->queue_max, on_lane_job, ctx);
    if (route->lane == ROUTER_LANE_HASH_BULK)
        return lane_submit_to(srv->hash_lane, LANE_BULK, route->queue_max, on_lane_job, ctx);
    if (route->lane == ROUTER_LANE_CHECK)
        return lane_submit_to(srv->check_lane, LANE_URGENT, (size_t)srv->cfg->check_queue,
                              on_lane_job, ctx);
    return lane_submit(srv->db_lane, on_lane_job, ctx);
}

/* The body has arrived (or stopped arriving): answers what went wrong while reading it. Returns
 * 1 with *rc set when the request is answered (or abandoned to the reaper's 408), 0 to run it. */
static int answer_read_failure(struct http_ctx *ctx, enum MHD_Result *rc)
{
    if (!reaper_claim(&ctx->watch)) {
        *rc = MHD_NO; /* the reaper has answered 408 on this socket already */
        return 1;
    }
    if (ctx->timed_out) {
        *rc = send_error(ctx, APP_ERR_TIMEOUT, "the request took longer than 30 s to arrive");
        return 1;
    }
    if (ctx->body_too_large) {
        body_too_large_error(ctx);
        *rc = send_response(ctx);
        return 1;
    }
    if (ctx->body_over_budget) {
        ctx->res.retry_after = 2;
        *rc = send_error(ctx, APP_ERR_UNAVAILABLE, "the server is busy receiving other requests");
        return 1;
    }
    return 0;
}

/* Suspends the connection and hands the request to its route's lane; the lane's worker runs
 * the handler and resumes the connection. A lane that refuses (stopping, or its queue full)
 * gets its 503 here, with the connection resumed at once. */
static enum MHD_Result hand_to_lane(struct http_ctx *ctx, const struct router_route *route)
{
    if (lifecycle_suspend_begin(ctx->srv->lc) != 0) {
        /* The daemon is being stopped (a request that began after the drain ended): it must
         * not find a suspended connection, so answer here; a load balancer retries it. */
        ctx->res.retry_after = 1;
        return send_error(ctx, APP_ERR_UNAVAILABLE, "the server is shutting down");
    }
    ctx->state = CTX_DISPATCHED;
    MHD_suspend_connection(ctx->conn);
    int rc = submit_to_lane(ctx, route);
    if (rc != 0) {
        MHD_resume_connection(ctx->conn);
        lifecycle_suspend_end(ctx->srv->lc);
        const char *why = "the server is shutting down";
        if (rc == -2)
            why = route->lane == ROUTER_LANE_CHECK
                      ? "too many checks are waiting for a check worker; retry shortly"
                      : "too many requests are waiting for password hashing; retry shortly";
        http_res_error(&ctx->res, APP_ERR_UNAVAILABLE, "%s", why);
        ctx->res.retry_after = rc == -2 ? 2 : 5;
        ctx->state = CTX_READY;
    }
    return MHD_YES;
}

/* The whole request is in: answer a read failure, or run the handler inline or on its lane. */
static enum MHD_Result dispatch(struct http_ctx *ctx)
{
    enum MHD_Result rc;
    if (answer_read_failure(ctx, &rc))
        return rc;
    const struct router_route *route = ctx->match.route;
    if (route->lane != ROUTER_LANE_INLINE)
        return hand_to_lane(ctx, route);
    run_handler(ctx);
    return send_response(ctx);
}

/* Buffers a body chunk, unless the body is over its limit or all buffered bodies together
 * would pass AAM_BODY_BUDGET_MB: then the rest is read and dropped, and dispatch answers. */
static void append_body(struct http_ctx *ctx, const char *data, size_t size)
{
    if (ctx->body_too_large || ctx->body_over_budget)
        return;
    if (ctx->body_len + size > ctx->body_limit) {
        ctx->body_too_large = 1;
        return;
    }
    if (ctx->body_len + size + 1 > ctx->body_cap) {
        size_t cap = ctx->body_cap ? ctx->body_cap : 1024;
        while (cap < ctx->body_len + size + 1)
            cap *= 2;
        size_t grow = cap - ctx->body_cap;
        /* AAM_BODY_BUDGET_MB (64 by default: 64 full-size bodies at once, or 4,096 logins) */
        size_t budget = (size_t)ctx->srv->cfg->body_budget_mb * 1024 * 1024;
        if (atomic_fetch_add(&ctx->srv->body_bytes, grow) + grow > budget) {
            atomic_fetch_sub(&ctx->srv->body_bytes, grow);
            ctx->body_over_budget = 1;
            return;
        }
        ctx->body = xrealloc(ctx->body, cap);
        ctx->body_cap = cap;
    }
    memcpy(ctx->body + ctx->body_len, data, size);
    ctx->body_len += size;
    ctx->body[ctx->body_len] = '\0';
}

/* 1 once HTTP_REQUEST_DEADLINE_S have passed since the request line (sets ctx->timed_out):
 * headers that took that long get 408 here; a body still arriving gets it from the reaper. */
static int past_deadline(struct http_ctx *ctx)
{
    if (ctx->state == CTX_READY || ctx->state == CTX_DISPATCHED)
        return 0;
    if (mono_elapsed_ms(&ctx->started) < HTTP_REQUEST_DEADLINE_S * 1000.0)
        return 0;
    ctx->timed_out = 1;
    return 1;
}

/* One call of MHD's access handler for ctx (see on_request). */
static enum MHD_Result step_request(struct http_ctx *ctx, const char *method,
                                    const char *upload_data, size_t *upload_data_size)
{
    if (ctx->state == CTX_NEW) {
        ctx->state = CTX_READING;
        capture_request(ctx, method);
        log_set_context(ctx->request_id, NULL);
        if (past_deadline(ctx))
            return send_error(ctx, APP_ERR_TIMEOUT, "the request took longer than 30 s to arrive");
        if (admit_request(ctx))
            return send_response(ctx);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* Past the deadline the bytes are dropped: libmicrohttpd 0.9.75 takes no response
         * while a body is arriving, so the reaper answers 408 on the socket (reaper.h). */
        if (!past_deadline(ctx))
            append_body(ctx, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->state == CTX_READY)
        return send_response(ctx); /* resumed after a lane ran the handler */
    if (ctx->state == CTX_DISPATCHED)
        return MHD_YES;
    return dispatch(ctx);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)url, (void)version;
    struct http_ctx *ctx = *req_cls; /* made by on_uri, which cannot fail (xalloc) */
    ctx->srv = cls;
    ctx->conn = conn;
    enum MHD_Result rc = step_request(ctx, method, upload_data, upload_data_size);
    /* This I/O thread serves other connections next: whatever path step_request returned
     * by (an early 4xx, waiting for the body, a dispatch), no later line may carry this
     * request's id or tenant. */
    log_set_context(NULL, NULL);
    return rc;
}

/* Called by MHD before anything else with the target exactly as the client sent it: the one
 * place we can see encoded slashes and dots before MHD decodes them. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *srv = cls;
    struct http_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->srv = srv;
    lifecycle_request_begin(srv->lc); /* ended in on_completed, which MHD calls for every ctx */
    ctx->started = mono_now();
    ctx->watch.started = ctx->started;
    make_request_id(ctx->watch.request_id, sizeof ctx->watch.request_id);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
                                                                 MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci != NULL && ctx->srv->reaper != NULL) {
        ctx->watch.fd = ci->connect_fd;
        reaper_add(ctx->srv->reaper, &ctx->watch);
    }
    ctx->raw_uri = xstrdup(uri ? uri : "/");
    /* libmicrohttpd 0.9.75 parses the query into the connection's memory pool right after this
     * callback, one record per parameter; when the pool runs out (about 1,000 parameters in
     * 64 KiB) it can neither answer nor go on, and the client hangs until the timeout. We
     * parse the query ourselves, from raw_uri, so MHD's copy is emptied here: uri points into
     * MHD's own writable read buffer (the const is for the callback's signature), and MHD
     * parses the NUL-terminated text after the '?'. */
    char *q = uri != NULL ? strchr(uri, '?') : NULL;
    if (q != NULL)
        q[1] = '\0';
    ctx->res = (struct http_res)HTTP_RES_INIT;
    return ctx;
}

/* Counts the request under its route TEMPLATE: a 401 on a protected route is matched here
 * (auth runs before routing), anything that matches no route is "unmatched". */
static void record_metrics(struct http_ctx *ctx, double seconds)
{
    const struct router_route *route = ctx->match.route;
    if (route == NULL && ctx->path != NULL && ctx->method[0] != '\0') {
        struct router_match m;
        if (router_match(ctx->srv->routes, ctx->method, ctx->path, &m) == ROUTER_FOUND)
            route = m.route;
    }
    struct metrics *mx = ctx->srv->metrics;
    metrics_observe(mx, metrics_route_index(mx, route ? route->pattern : NULL),
                    ctx->method[0] ? ctx->method : NULL, ctx->status_sent, seconds);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn, (void)toe;
    struct http_server *srv = cls;
    struct http_ctx *ctx = *req_cls;
    if (ctx == NULL)
        return;
    reaper_remove(srv->reaper, &ctx->watch); /* before MHD closes the socket */
    double ms = mono_elapsed_ms(&ctx->started);
    record_metrics(ctx, ms / 1e3);
    if (ctx->method[0] != '\0' && log_threshold <= LOG_INFO) {
        log_set_context(ctx->request_id, ctx->req.who ? ctx->who.ns : NULL);
        log_access(ctx->method, ctx->path ? ctx->path : (ctx->raw_uri ? ctx->raw_uri : "?"),
                   ctx->status_sent, ms);
    }
    log_set_context(NULL, NULL);
    struct lifecycle *lc = ctx->srv->lc;
    ctx_free(ctx);
    *req_cls = NULL;
    lifecycle_request_end(lc); /* last: once the count is 0 the drain may stop the daemon */
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)conn, (void)socket_ctx;
    struct http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        lifecycle_connection_open(srv->lc);
    else
        lifecycle_connection_close(srv->lc);
}

/* MHD's printf-style logger; the format comes from libmicrohttpd itself. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    log_library_debug("libmicrohttpd: ", fmt, ap);
}

/* ------------------------------------------------------------------ lifecycle */

/* at: the address to bind (AAM_LISTEN_ADDR), or NULL for every address on PORT. */
static struct MHD_Daemon *start_daemon(struct http_server *srv, unsigned int flags,
                                       const struct sockaddr *at)
{
    const struct cfg *cfg = srv->cfg;
    return MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(cfg->threads > 1 ? cfg->threads : 0),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTION_LIMIT,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_LIMIT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: it sets SO_REUSEPORT, and a second `aam serve`
         * on a busy port would then share it instead of failing (exit 1). */
        MHD_OPTION_SOCK_ADDR, at, MHD_OPTION_END);
}

/* AAM_LISTEN_ADDR as a socket address with PORT in ss, adding MHD_USE_IPv6 to *flags for an
 * IPv6 one; NULL when unset (every address). */
static const struct sockaddr *listen_sockaddr(const struct cfg *cfg, struct sockaddr_storage *ss,
                                              unsigned int *flags)
{
    struct sockaddr_in *sa4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)(void *)ss;
    memset(ss, 0, sizeof *ss);
    if (cfg->listen_host[0] == '\0')
        return NULL;
    if (inet_pton(AF_INET, cfg->listen_host, &sa4->sin_addr) == 1) {
        sa4->sin_family = AF_INET;
        sa4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->listen_host, &sa6->sin6_addr) == 1) {
        sa6->sin6_family = AF_INET6;
        sa6->sin6_port = htons((uint16_t)cfg->port);
        *flags |= MHD_USE_IPv6; /* without MHD_USE_DUAL_STACK: that one address only */
    } else {
        return NULL; /* config checked it */
    }
    return (const struct sockaddr *)ss;
}

struct http_server *http_start(const struct cfg *cfg, struct db_pool *db,
                               const struct router_table *routes)
{
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->cfg = cfg;
    srv->db = db;
    srv->routes = routes;
    srv->lc = lifecycle_new();
    srv->listen_fd = -1;
    const char **templates = xcalloc(routes->n ? routes->n : 1, sizeof *templates);
    for (size_t i = 0; i < routes->n; i++)
        templates[i] = routes->routes[i].pattern;
    srv->metrics = metrics_new(templates, routes->n);
    free(templates);
    srv->db_lane = lane_new("db", cfg->workers);
    srv->hash_lane = lane_new("hash", cfg->hash_workers);
    srv->check_lane = lane_new("check", cfg->check_workers);
    srv->reaper = reaper_start(HTTP_REQUEST_DEADLINE_S);
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
                         MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_TURBO;
    struct sockaddr_storage ss;
    const struct sockaddr *at = listen_sockaddr(cfg, &ss, &flags);
    int ready = srv->db_lane != NULL && srv->hash_lane != NULL && srv->check_lane != NULL &&
                srv->reaper != NULL;
    if (ready && at != NULL) {
        srv->daemon = start_daemon(srv, flags, at);
    } else if (ready) {
        /* Both IPv6 and IPv4 where the host has IPv6 ("localhost" may resolve to ::1 first). */
        srv->daemon = start_daemon(srv, flags | MHD_USE_DUAL_STACK, NULL);
        if (srv->daemon == NULL)
            srv->daemon = start_daemon(srv, flags, NULL);
    }
    if (srv->daemon == NULL) {
        log_error("cannot listen on %s port %d: %s",
                  cfg->listen_host[0] ? cfg->listen_host : "every address", cfg->port,
                  strerror(errno));
        lane_free(srv->db_lane);
        lane_free(srv->hash_lane);
        lane_free(srv->check_lane);
        lifecycle_free(srv->lc);
        metrics_free(srv->metrics);
        reaper_stop(srv->reaper);
        free(srv);
        return NULL;
    }
    return srv;
}

/* Hands MHD the connections the kernel already accepted into the listen backlog, then stops
 * the socket listening, so a new connection is refused at once (a load balancer then tries
 * another replica for any method) instead of being reset after its request was sent.
 * MHD no longer watches fd (quiesced), so only this thread touches it. */
static void close_listener(struct http_server *srv, int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int c = accept(fd, (struct sockaddr *)&ss, &sl); /* MHD makes it non-blocking */
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break; /* EAGAIN: the backlog is empty */
        }
        (void)fcntl(c, F_SETFD, FD_CLOEXEC);
        lifecycle_connection_handed_over(srv->lc, 1);
        if (MHD_add_connection(srv->daemon, c, (const struct sockaddr *)&ss, sl) != MHD_YES) {
            lifecycle_connection_handed_over(srv->lc, 0); /* MHD closed it: never announced */
            log_warn("a connection accepted while closing the listener could not be served");
        }
    }
    (void)shutdown(fd, SHUT_RDWR); /* Linux: the listener stops; later SYNs are refused */
}

int http_drain(struct http_server *srv)
{
    if (srv == NULL)
        return 0;
    long long t0 = mono_ms();
    long long grace_end = t0 + (long long)srv->cfg->shutdown_grace_s * 1000;
    /* The listener first: were responses to say Connection: close before it is shut, their
     * clients would reconnect into the backlog just as shutdown() resets what is queued. */
    srv->listen_fd = MHD_quiesce_daemon(srv->daemon);
    if (srv->listen_fd >= 0)
        close_listener(srv, srv->listen_fd);
    lifecycle_begin_drain(srv->lc); /* from now on every response says Connection: close */
    int idle = lifecycle_wait_idle(srv->lc, HTTP_DRAIN_LINGER_MS, grace_end);
    struct lifecycle_counts n;
    lifecycle_counts(srv->lc, &n);
    if (idle != 0 && n.active > 0)
        log_warn("%d requests still running after %d s (%d on a worker); closing their connections",
                 n.active, srv->cfg->shutdown_grace_s, n.suspended);
    /* No request may be suspended from here on: MHD_stop_daemon aborts on one. Workers get
     * one more second to finish what they hold (a query is bounded by its statement timeout). */
    if (lifecycle_stop(srv->lc, grace_end + HTTP_STOP_EXTRA_MS) != 0) {
        lifecycle_counts(srv->lc, &n);
        log_warn("%d requests still on a worker; exiting without stopping the HTTP daemon",
                 n.suspended);
        return -1;
    }
    MHD_stop_daemon(srv->daemon); /* closes the idle keep-alive connections left */
    srv->daemon = NULL;
    log_info("drained in %lld ms (%d connections were idle at the end)", mono_ms() - t0,
             n.connections);
    return 0;
}

void http_free(struct http_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    lane_free(srv->db_lane);
    lane_free(srv->hash_lane);
    lane_free(srv->check_lane);
    reaper_stop(srv->reaper);
    lifecycle_free(srv->lc);
    metrics_free(srv->metrics);
    free(srv);
}

int http_draining(struct http_server *srv)
{
    return lifecycle_state(srv->lc) != LIFECYCLE_ACCEPTING;
}

char *http_metrics_text(struct http_server *srv, const char *version, size_t *len)
{
    struct metrics_gauges g = {0};
    struct lifecycle_counts lc;
    struct db_pool_stats db;
    struct lane_stats ls;
    lifecycle_counts(srv->lc, &lc);
    g.requests_in_progress = lc.active;
    g.connections_open = lc.connections;
    g.draining = http_draining(srv);
    db_pool_get_stats(srv->db, &db);
    g.db_pool_size = db.size;
    g.db_open = db.open;
    g.db_in_use = db.in_use;
    g.db_idle = db.idle;
    g.db_waiting = db.waiting;
    g.db_created = db.created;
    g.db_discarded = db.discarded;
    g.db_timeouts = db.timeouts;
    _Static_assert(sizeof g.db_errors / sizeof g.db_errors[0] == DB_ERROR_CLASSES,
                   "one metrics slot per database error class");
    for (int i = 0; i < DB_ERROR_CLASSES; i++)
        g.db_errors[i] = db.errors[i];
    lane_stats(srv->db_lane, &ls);
    g.lane_db_queued = ls.queued, g.lane_db_busy = ls.busy, g.lane_db_workers = ls.workers;
    lane_stats(srv->hash_lane, &ls);
    g.lane_hash_queued = ls.queued, g.lane_hash_busy = ls.busy, g.lane_hash_workers = ls.workers;
    lane_stats(srv->check_lane, &ls);
    g.lane_check_queued = ls.queued, g.lane_check_busy = ls.busy, g.lane_check_workers = ls.workers;
    struct webhook_worker_stats wh;
    webhook_worker_stats(&wh);
    g.webhooks_running = wh.running;
    g.wh_succeeded = wh.succeeded, g.wh_failed = wh.failed, g.wh_gave_up = wh.gave_up;
    g.wh_disabled = wh.disabled, g.wh_stale = wh.stale;
    g.wh_queue = wh.queue, g.wh_oldest_s = wh.oldest_s;
    return metrics_render(srv->metrics, &g, version, len);
}
