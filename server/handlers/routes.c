/* routes: the route tables (see routes.h). Lanes: inline handlers never block; database work
 * runs on the database lane; register/login hash passwords on their own lane, each with a
 * queue bound (a queue that never drains is a hang with extra steps: past the bound, 503 +
 * Retry-After). is_public: no token.
 *
 * right: what a token needs (server/core/access.h), checked by the HTTP core before the handler
 * runs. Every route that is not public declares one; test_routes fails on one that does not.
 * The routes still to come take these (fill in the field, and the row in test_routes' matrix):
 *   GET  /api/v1/aam/connector-types, /connector-types/{type}      ACCESS_CONNECTORS_READ
 *   POST /api/v1/aam/connectors/{id}/check,
 *        /api/v1/aam/connector-types/{type}/check                   ACCESS_CONNECTORS_CHECK
 *   GET  /api/v1/aam/connectors/{id}/history                       ACCESS_CONNECTORS_READ
 *   GET  /api/v1/aam/events                                        ACCESS_EVENTS_READ
 *   every /api/v1/aam/webhooks route (GET too: its list is admin's) ACCESS_WEBHOOKS
 * viewer: CONNECTORS_READ, EVENTS_READ, MEMBERS_READ; editor: + CONNECTORS_WRITE,
 * CONNECTORS_CHECK; admin: + WEBHOOKS, MEMBERS_ADMIN, CLIENTS_ADMIN. Clients: their scopes
 * (connectors:write implies connectors:read), never MEMBERS_* or CLIENTS_ADMIN. */
#include "server/handlers/routes.h"

#include "server/handlers/auth.h"
#include "server/handlers/clients.h"
#include "server/handlers/checks.h"
#include "server/handlers/connectors.h"
#include "server/handlers/docs.h"
#include "server/handlers/events.h"
#include "server/handlers/files.h"
#include "server/handlers/health.h"
#include "server/handlers/members.h"
#include "server/handlers/token.h"
#include "server/handlers/types.h"
#include "server/handlers/ui.h"
#include "server/handlers/webhooks.h"

/* Jobs that may wait on the hashing lane: 64 logins (urgent) ahead of 32 registrations (bulk). */
#define ROUTES_HASH_QUEUE_LOGINS 64
#define ROUTES_HASH_QUEUE_REGISTRATIONS 32
/* The auth routes take credentials, a few hundred bytes: 16 KiB is the contract's cap. */
#define ROUTES_MAX_AUTH_BODY (16 * 1024)

#define INLINE ROUTER_LANE_INLINE
#define DB ROUTER_LANE_DB

static const struct router_route routes[] = {
    {.method = "GET", .pattern = "/health", .handler = health_get, .lane = INLINE, .is_public = 1},
    {.method = "GET", .pattern = "/ready", .handler = health_ready, .lane = DB, .is_public = 1},
    {.method = "GET",
     .pattern = "/openapi.json",
     .handler = docs_openapi,
     .lane = INLINE,
     .is_public = 1},
    {.method = "GET", .pattern = "/", .handler = ui_index, .lane = INLINE, .is_public = 1},
    {.method = "GET",
     .pattern = "/assets/{file}",
     .handler = ui_asset,
     .lane = INLINE,
     .is_public = 1},
    /* Bulk on the hashing lane: a login never queues behind registrations. */
    {.method = "POST",
     .pattern = "/api/v1/auth/register",
     .handler = auth_register,
     .lane = ROUTER_LANE_HASH_BULK,
     .is_public = 1,
     .queue_max = ROUTES_HASH_QUEUE_REGISTRATIONS},
    {.method = "POST",
     .pattern = "/api/v1/auth/login",
     .handler = auth_login,
     .lane = ROUTER_LANE_HASH,
     .is_public = 1,
     .queue_max = ROUTES_HASH_QUEUE_LOGINS},
    /* Public like login, and on the hashing lane with it: anonymous traffic stays off the
     * database lane (its own hashes are SHA-256 of 256-bit secrets, cheap). */
    {.method = "POST",
     .pattern = "/api/v1/auth/token",
     .handler = token_grant,
     .lane = ROUTER_LANE_HASH,
     .is_public = 1,
     .queue_max = ROUTES_HASH_QUEUE_LOGINS},
    /* Creates a user like register (a password to hash), so it queues with registrations and
     * counts against the same per-address budget. */
    {.method = "POST",
     .pattern = "/api/v1/auth/accept-invite",
     .handler = auth_accept_invite,
     .lane = ROUTER_LANE_HASH_BULK,
     .is_public = 1,
     .queue_max = ROUTES_HASH_QUEUE_REGISTRATIONS},
    {.method = "POST",
     .pattern = "/api/v1/auth/logout",
     .handler = token_logout,
     .lane = DB,
     .right = ACCESS_ANY},
    {.method = "GET",
     .pattern = "/api/v1/auth/me",
     .handler = auth_me,
     .lane = DB,
     .right = ACCESS_ANY},
    {.method = "GET",
     .pattern = "/api/v1/aam/connectors",
     .handler = connectors_list,
     .lane = DB,
     .right = ACCESS_CONNECTORS_READ},
    {.method = "POST",
     .pattern = "/api/v1/aam/connectors",
     .handler = connectors_create,
     .lane = DB,
     .right = ACCESS_CONNECTORS_WRITE},
    {.method = "GET",
     .pattern = "/api/v1/aam/connectors/{id}",
     .handler = connectors_get,
     .lane = DB,
     .right = ACCESS_CONNECTORS_READ},
    {.method = "PATCH",
     .pattern = "/api/v1/aam/connectors/{id}",
     .handler = connectors_patch,
     .lane = DB,
     .right = ACCESS_CONNECTORS_WRITE},
    {.method = "DELETE",
     .pattern = "/api/v1/aam/connectors/{id}",
     .handler = connectors_delete,
     .lane = DB,
     .right = ACCESS_CONNECTORS_WRITE},
    /* The type registry is built in: no database, so inline. */
    {.method = "GET",
     .pattern = "/api/v1/aam/connector-types",
     .handler = types_list,
     .lane = INLINE,
     .right = ACCESS_CONNECTORS_READ},
    {.method = "GET",
     .pattern = "/api/v1/aam/connector-types/{type}",
     .handler = types_get,
     .lane = INLINE,
     .right = ACCESS_CONNECTORS_READ},
    {.method = "GET",
     .pattern = "/api/v1/aam/connectors/{id}/history",
     .handler = events_history,
     .lane = DB,
     .right = ACCESS_CONNECTORS_READ},
    {.method = "GET",
     .pattern = "/api/v1/aam/events",
     .handler = events_feed,
     .lane = DB,
     .right = ACCESS_EVENTS_READ},
    /* Checks reach out to other servers (up to 5 s): their own lane and queue bound, so they
     * never hold a request worker (AAM_CHECK_WORKERS, AAM_CHECK_QUEUE). */
    {.method = "POST",
     .pattern = "/api/v1/aam/connectors/{id}/check",
     .handler = checks_connector,
     .lane = ROUTER_LANE_CHECK,
     .right = ACCESS_CONNECTORS_CHECK},
    {.method = "POST",
     .pattern = "/api/v1/aam/connector-types/{type}/check",
     .handler = checks_config,
     .lane = ROUTER_LANE_CHECK,
     .right = ACCESS_CONNECTORS_CHECK},
    /* Saving a URL resolves its host (up to 3 s): on the database lane with the rest. */
    {.method = "GET",
     .pattern = "/api/v1/aam/webhooks",
     .handler = webhooks_list,
     .lane = DB,
     .right = ACCESS_WEBHOOKS},
    {.method = "POST",
     .pattern = "/api/v1/aam/webhooks",
     .handler = webhooks_create,
     .lane = DB,
     .right = ACCESS_WEBHOOKS},
    {.method = "GET",
     .pattern = "/api/v1/aam/webhooks/{id}",
     .handler = webhooks_get,
     .lane = DB,
     .right = ACCESS_WEBHOOKS},
    {.method = "PATCH",
     .pattern = "/api/v1/aam/webhooks/{id}",
     .handler = webhooks_patch,
     .lane = DB,
     .right = ACCESS_WEBHOOKS},
    {.method = "DELETE",
     .pattern = "/api/v1/aam/webhooks/{id}",
     .handler = webhooks_delete,
     .lane = DB,
     .right = ACCESS_WEBHOOKS},
    {.method = "POST",
     .pattern = "/api/v1/aam/webhooks/{id}/rotate-secret",
     .handler = webhooks_rotate_secret,
     .lane = DB,
     .right = ACCESS_WEBHOOKS},
    {.method = "POST",
     .pattern = "/api/v1/aam/webhooks/{id}/test",
     .handler = webhooks_test,
     .lane = DB,
     .right = ACCESS_WEBHOOKS},
    {.method = "GET",
     .pattern = "/api/v1/aam/webhooks/{id}/deliveries",
     .handler = webhooks_deliveries,
     .lane = DB,
     .right = ACCESS_WEBHOOKS},
    {.method = "GET",
     .pattern = "/api/v1/aam/connectors/{id}/files",
     .handler = files_list,
     .lane = DB,
     .right = ACCESS_CONNECTORS_READ},
    {.method = "GET",
     .pattern = "/api/v1/aam/connectors/{id}/files/{name}/rows",
     .handler = files_rows,
     .lane = DB,
     .right = ACCESS_CONNECTORS_READ},
    {.method = "GET",
     .pattern = "/api/v1/aam/members",
     .handler = members_list,
     .lane = DB,
     .right = ACCESS_MEMBERS_READ},
    {.method = "POST",
     .pattern = "/api/v1/aam/members",
     .handler = members_invite,
     .lane = DB,
     .right = ACCESS_MEMBERS_ADMIN},
    {.method = "PATCH",
     .pattern = "/api/v1/aam/members/{user_id}",
     .handler = members_patch,
     .lane = DB,
     .right = ACCESS_MEMBERS_ADMIN},
    {.method = "DELETE",
     .pattern = "/api/v1/aam/members/{user_id}",
     .handler = members_delete,
     .lane = DB,
     .right = ACCESS_MEMBERS_ADMIN},
    {.method = "GET",
     .pattern = "/api/v1/aam/clients",
     .handler = clients_list,
     .lane = DB,
     .right = ACCESS_CLIENTS_ADMIN},
    {.method = "POST",
     .pattern = "/api/v1/aam/clients",
     .handler = clients_create,
     .lane = DB,
     .right = ACCESS_CLIENTS_ADMIN},
    {.method = "DELETE",
     .pattern = "/api/v1/aam/clients/{id}",
     .handler = clients_delete,
     .lane = DB,
     .right = ACCESS_CLIENTS_ADMIN},
};

static const struct router_body_rule body_rules[] = {
    {.prefix = "/api/v1/auth/", .max_body = ROUTES_MAX_AUTH_BODY},
};

static const struct router_table table = {
    .routes = routes,
    .n = sizeof routes / sizeof routes[0],
    .body_rules = body_rules,
    .n_body_rules = sizeof body_rules / sizeof body_rules[0],
};

/* The admin listener's own routes (it adds /metrics, which the HTTP core renders). */
static const struct router_route admin_routes[] = {
    {.method = "GET", .pattern = "/health", .handler = health_get, .lane = INLINE, .is_public = 1},
    {.method = "GET", .pattern = "/ready", .handler = health_ready, .lane = DB, .is_public = 1},
};

static const struct router_table admin_table = {
    .routes = admin_routes,
    .n = sizeof admin_routes / sizeof admin_routes[0],
};

const struct router_table *routes_table(void)
{
    return &table;
}

const struct router_table *routes_admin_table(void)
{
    return &admin_table;
}
