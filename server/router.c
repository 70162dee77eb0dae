/* router: the route table and the matcher. Paths arrive normalised (server/path.c), so a
 * pattern is compared segment by segment with no further decoding; "{x}" takes one segment. */
#include "server/router.h"

#include <stdio.h>
#include <string.h>

#include "server/handlers/auth.h"
#include "server/handlers/connectors.h"
#include "server/handlers/docs.h"
#include "server/handlers/files.h"
#include "server/handlers/health.h"
#include "server/handlers/ui.h"

static const struct router_route routes[] = {
    {"GET", "/health", health_get, ROUTER_LANE_INLINE, 1},
    {"GET", "/ready", health_ready, ROUTER_LANE_DB, 1},
    {"GET", "/openapi.json", docs_openapi, ROUTER_LANE_INLINE, 1},
    {"GET", "/", ui_index, ROUTER_LANE_INLINE, 1},
    {"GET", "/assets/{file}", ui_asset, ROUTER_LANE_INLINE, 1},
    {"POST", "/api/v1/auth/register", auth_register, ROUTER_LANE_HASH, 1},
    {"POST", "/api/v1/auth/login", auth_login, ROUTER_LANE_HASH, 1},
    {"GET", "/api/v1/auth/me", auth_me, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/aam/connectors", connectors_list, ROUTER_LANE_DB, 0},
    {"POST", "/api/v1/aam/connectors", connectors_create, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/aam/connectors/{id}", connectors_get, ROUTER_LANE_DB, 0},
    {"PATCH", "/api/v1/aam/connectors/{id}", connectors_patch, ROUTER_LANE_DB, 0},
    {"DELETE", "/api/v1/aam/connectors/{id}", connectors_delete, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/aam/connectors/{id}/files", files_list, ROUTER_LANE_DB, 0},
    {"GET", "/api/v1/aam/connectors/{id}/files/{name}/rows", files_rows, ROUTER_LANE_DB, 0},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

const struct router_route *router_routes(size_t *n)
{
    *n = N_ROUTES;
    return routes;
}

/* Matches path against pattern; on success copies "{…}" captures into m. */
static int pattern_matches(const char *pattern, const char *path, struct router_match *m)
{
    size_t n_params = 0;
    const char *p = pattern, *s = path;
    while (*p != '\0' && *s != '\0') {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
        if (plen > 1 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || slen >= sizeof m->params[0] || n_params == HTTP_MAX_PARAMS)
                return 0;
            memcpy(m->params[n_params], s, slen);
            m->params[n_params++][slen] = '\0';
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    if (*p != '\0' || *s != '\0')
        return 0;
    m->n_params = n_params;
    return 1;
}

static int method_matches(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static void allow_add(char *allow, size_t size, const char *method)
{
    size_t len = strlen(allow);
    snprintf(allow + len, size - len, "%s%s", len ? ", " : "", method);
}

enum router_result router_match(const char *method, const char *path, struct router_match *m)
{
    int path_known = 0;
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < N_ROUTES; i++) {
        struct router_match candidate;
        memset(&candidate, 0, sizeof candidate);
        if (!pattern_matches(routes[i].pattern, path, &candidate))
            continue;
        path_known = 1;
        allow_add(m->allow, sizeof m->allow, routes[i].method);
        if (strcmp(routes[i].method, "GET") == 0)
            allow_add(m->allow, sizeof m->allow, "HEAD");
        if (m->route == NULL && method_matches(routes[i].method, method)) {
            memcpy(m->params, candidate.params, sizeof m->params);
            m->n_params = candidate.n_params;
            m->route = &routes[i];
        }
    }
    if (m->route != NULL)
        return ROUTER_FOUND;
    return path_known ? ROUTER_NO_METHOD : ROUTER_NO_PATH;
}

int router_is_public(const char *method, const char *path)
{
    if (strcmp(method, "OPTIONS") == 0)
        return 1; /* CORS preflight: browsers send it without credentials */
    if (strcmp(path, "/api") != 0 && strncmp(path, "/api/", 5) != 0)
        return 1;
    return strcmp(path, "/api/v1/auth/register") == 0 || strcmp(path, "/api/v1/auth/login") == 0;
}
