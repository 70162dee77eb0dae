/* router: method + path pattern -> handler, and which routes are public. Patterns use
 * "{name}" for one path segment, captured into req->params in order. The table in router.c
 * is the single list of routes (the OpenAPI test compares against it). */
#ifndef AAM_ROUTER_H
#define AAM_ROUTER_H

#include <stddef.h>

#include "server/http.h"

/* Where a handler runs: on the I/O thread (cheap, never blocks), on the database worker lane,
 * or on the password-hashing lane (slow on purpose; kept apart so logins cannot starve reads). */
enum router_lane { ROUTER_LANE_INLINE = 0, ROUTER_LANE_DB = 1, ROUTER_LANE_HASH = 2 };

struct router_route {
    const char *method;
    const char *pattern;
    http_handler handler;
    enum router_lane lane;
    int is_public; /* 1: no token needed */
};

enum router_result { ROUTER_FOUND = 0, ROUTER_NO_PATH = 1, ROUTER_NO_METHOD = 2 };

struct router_match {
    const struct router_route *route; /* set on ROUTER_FOUND */
    char params[HTTP_MAX_PARAMS][256];/* captures, decoded (the path is already decoded) */
    size_t n_params;
    char allow[64];                   /* on ROUTER_NO_METHOD: "GET, HEAD" etc. */
};

/* Matches a normalised path. HEAD matches GET routes. */
enum router_result router_match(const char *method, const char *path, struct router_match *m);

/* 1 when a request needs no token: CORS preflight (OPTIONS), and every path outside /api/
 * (health, ready, openapi.json, static UI) plus the register, login and token routes. Everything
 * else under /api/ needs a token, whether or not a route exists, so paths cannot be probed. */
int router_is_public(const char *method, const char *path);

/* The route table, for the OpenAPI cross-check and the 405 Allow header. */
const struct router_route *router_routes(size_t *n);

#endif
