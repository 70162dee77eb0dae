/* router: the matcher. Paths arrive normalised (server/path.c), so a pattern is compared
 * segment by segment with no further decoding; "{x}" takes one segment. */
#include "server/http/router.h"

#include <stdio.h>
#include <string.h>

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

enum router_result router_match(const struct router_table *t, const char *method, const char *path,
                                struct router_match *m)
{
    const struct router_route *routes = t->routes;
    int path_known = 0;
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < t->n; i++) {
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

int router_is_public(const struct router_table *t, const char *method, const char *path)
{
    if (strcmp(method, "OPTIONS") == 0)
        return 1; /* CORS preflight: browsers send it without credentials */
    if (strcmp(path, "/api") != 0 && strncmp(path, "/api/", 5) != 0)
        return 1;
    for (size_t i = 0; i < t->n; i++) {
        struct router_match scratch;
        if (t->routes[i].is_public && pattern_matches(t->routes[i].pattern, path, &scratch))
            return 1;
    }
    return 0;
}

size_t router_body_limit(const struct router_table *t, const char *path)
{
    for (size_t i = 0; path != NULL && i < t->n_body_rules; i++) {
        const struct router_body_rule *r = &t->body_rules[i];
        if (strncmp(path, r->prefix, strlen(r->prefix)) == 0)
            return r->max_body;
    }
    return ROUTER_MAX_BODY;
}
