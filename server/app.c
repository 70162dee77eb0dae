/* app: the route table (see app.h). Lanes: inline handlers never block; database work runs on
 * the database lane; register/login hash passwords on their own lane. is_public: no token. */
#include "server/app.h"

#include "server/handlers/auth.h"
#include "server/handlers/connectors.h"
#include "server/handlers/docs.h"
#include "server/handlers/files.h"
#include "server/handlers/health.h"
#include "server/handlers/token.h"
#include "server/handlers/ui.h"

static const struct router_route routes[] = {
    {"GET", "/health", health_get, ROUTER_LANE_INLINE, 1},
    {"GET", "/ready", health_ready, ROUTER_LANE_DB, 1},
    {"GET", "/openapi.json", docs_openapi, ROUTER_LANE_INLINE, 1},
    {"GET", "/", ui_index, ROUTER_LANE_INLINE, 1},
    {"GET", "/assets/{file}", ui_asset, ROUTER_LANE_INLINE, 1},
    /* Bulk on the hashing lane: a login never queues behind registrations. */
    {"POST", "/api/v1/auth/register", auth_register, ROUTER_LANE_HASH_BULK, 1},
    {"POST", "/api/v1/auth/login", auth_login, ROUTER_LANE_HASH, 1},
    /* Public like login, and on the hashing lane with it: anonymous traffic stays off the
     * database lane (its own hashes are SHA-256 of 256-bit secrets, cheap). */
    {"POST", "/api/v1/auth/token", token_grant, ROUTER_LANE_HASH, 1},
    {"POST", "/api/v1/auth/logout", token_logout, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/auth/me", auth_me, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/aam/connectors", connectors_list, ROUTER_LANE_DB, 0},
    {"POST", "/api/v1/aam/connectors", connectors_create, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/aam/connectors/{id}", connectors_get, ROUTER_LANE_DB, 0},
    {"PATCH", "/api/v1/aam/connectors/{id}", connectors_patch, ROUTER_LANE_DB, 0},
    {"DELETE", "/api/v1/aam/connectors/{id}", connectors_delete, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/aam/connectors/{id}/files", files_list, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/aam/connectors/{id}/files/{name}/rows", files_rows, ROUTER_LANE_DB, 0},
};

static const struct router_table table = {routes, sizeof routes / sizeof routes[0]};

const struct router_table *app_routes(void)
{
    return &table;
}
