/* router: method + path pattern -> handler, and which routes are public. Patterns use
 * "{name}" for one path segment, captured into req->params in order. The router owns no
 * routes: it matches against the table it is given (server/handlers/routes.c builds the
 * service's tables; the OpenAPI test compares against them; unit tests pass their own). A table
 * also carries the rules the HTTP core applies per route: body limits and hashing-queue bounds. */
#ifndef AAM_ROUTER_H
#define AAM_ROUTER_H

#include <stddef.h>

#include "server/core/access.h"
#include "server/http/http_model.h"

/* Where a handler runs: on the I/O thread (cheap, never blocks), on the database worker lane,
 * or on the password-hashing lane (slow on purpose; kept apart so logins cannot starve reads). */
enum router_lane {
    ROUTER_LANE_INLINE = 0,
    ROUTER_LANE_DB = 1,
    ROUTER_LANE_HASH = 2,      /* hashing lane, urgent: logins */
    ROUTER_LANE_HASH_BULK = 3, /* hashing lane, behind every queued urgent job: registrations */
    ROUTER_LANE_CHECK = 4,     /* connector checks: their own lane, AAM_CHECK_WORKERS threads and
                                * AAM_CHECK_QUEUE waiting (then 503) */
};

/* The body limit of a path no prefix rule names: the contract's 1 MiB. */
#define ROUTER_MAX_BODY (1024 * 1024)

struct router_route {
    const char *method;
    const char *pattern;
    http_handler handler;
    enum router_lane lane;
    int is_public;    /* 1: no token needed */
    size_t queue_max; /* hashing lanes: jobs that may wait before 503 (0 on other lanes) */
    /* The right a token needs (server/core/access.h); checked by the HTTP core after
     * authentication and routing, before the handler: 403 urn:aam:problem:forbidden without
     * it. Every route that is not public declares one (ACCESS_UNDECLARED is held by nobody). */
    enum access_right right;
};

/* A body limit for every path under prefix, matched or not: the limit is decided from the
 * Content-Length before routing, and an unknown path under /api/v1/auth/ must get the same
 * 413 as a known one. */
struct router_body_rule {
    const char *prefix;
    size_t max_body;
};

/* A route table: routes[0..n) and body rules[0..n_body_rules), borrowed (static in practice). */
struct router_table {
    const struct router_route *routes;
    size_t n;
    const struct router_body_rule *body_rules;
    size_t n_body_rules;
};

enum router_result { ROUTER_FOUND = 0, ROUTER_NO_PATH = 1, ROUTER_NO_METHOD = 2 };

struct router_match {
    const struct router_route *route;  /* set on ROUTER_FOUND */
    char params[HTTP_MAX_PARAMS][256]; /* captures, decoded (the path is already decoded) */
    size_t n_params;
    char allow[64]; /* on ROUTER_NO_METHOD: "GET, HEAD" etc. */
};

/* Matches a normalised path against t. HEAD matches GET routes. */
enum router_result router_match(const struct router_table *t, const char *method, const char *path,
                                struct router_match *m);

/* 1 when a request needs no token: CORS preflight (OPTIONS), every path outside /api/
 * (health, ready, openapi.json, static UI), and a path under /api/ that a route marked
 * is_public matches (with any method: a wrong method then gets 405, not 401). Everything else
 * under /api/ needs a token, whether or not a route exists, so paths cannot be probed. */
int router_is_public(const struct router_table *t, const char *method, const char *path);

/* The largest body a request to path may send: the first body rule whose prefix path starts
 * with, else ROUTER_MAX_BODY. */
size_t router_body_limit(const struct router_table *t, const char *path);

#endif
