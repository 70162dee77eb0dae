/* http_model: the plain request/response structs handlers work on, with no libmicrohttpd in
 * sight. Handlers take a struct http_req and fill a struct http_res, so unit tests drive them
 * without sockets. Application errors are one enum, app_err, mapped to a status and an
 * RFC 9457 problem+json body in exactly one place (http_render, http_model.c). The MHD glue
 * (server/http.c) builds the request and sends what http_render returns. */
#ifndef AAM_HTTP_MODEL_H
#define AAM_HTTP_MODEL_H

#include <stddef.h>
#include <jansson.h>

#include "server/core/jwt.h"
#include "util/field_errors.h"

struct cfg;
struct db_pool;

#define HTTP_JSON "application/json; charset=utf-8"

enum app_err {
    APP_OK = 0,
    APP_ERR_BAD_REQUEST,        /* 400: malformed path, body not JSON */
    APP_ERR_UNAUTHORIZED,       /* 401: adds WWW-Authenticate: Bearer */
    APP_ERR_FORBIDDEN,          /* 403: a valid token whose namespace has no tenant */
    APP_ERR_NOT_FOUND,          /* 404 */
    APP_ERR_METHOD_NOT_ALLOWED, /* 405: set res->allow */
    APP_ERR_CONFLICT,           /* 409 */
    APP_ERR_PAYLOAD_TOO_LARGE,  /* 413 */
    APP_ERR_UNSUPPORTED_MEDIA,  /* 415 */
    APP_ERR_VALIDATION,         /* 422: with errors[] from http_res_field_error */
    APP_ERR_TOO_MANY_REQUESTS,  /* 429: set res->retry_after */
    APP_ERR_INTERNAL,           /* 500: a bug; detail is generic, the cause goes to the log */
    APP_ERR_UNAVAILABLE,        /* 503: database unreachable; Retry-After set */
    APP_ERR_TIMEOUT,            /* 408: the request took too long to arrive */
    APP_ERR_URI_TOO_LONG,       /* 414: target over 8 KiB or with too many query parameters */
    APP_ERR_PRECONDITION,       /* 412: If-Match named none of the resource's current ETags */
};

struct http_kv {
    char *name;  /* decoded */
    char *value; /* decoded; "" for a bare key */
};

#define HTTP_MAX_PARAMS 4

/* Everything a handler may read. Strings are borrowed and live until the response is sent. */
struct http_req {
    const char *method;        /* "GET", "POST", … */
    const char *path;          /* normalised: no "//", no trailing "/", decoded once */
    const char *request_id;    /* the caller's X-Request-Id if sane, else generated */
    const char *content_type;  /* NULL when absent */
    const char *authorization; /* NULL when absent; never log it */
    const char *origin;        /* NULL when absent */
    const char *if_none_match; /* NULL when absent (static files answer 304 on a match) */
    const char *if_match;      /* NULL when absent (conditional connector writes) */
    const char *client_ip;     /* textual peer address */
    const char *body;          /* NUL-terminated copy of the body ("" when none) */
    size_t body_len;
    const struct http_kv *query; /* decoded query arguments, in order */
    size_t n_query;
    const char *params[HTTP_MAX_PARAMS]; /* route captures ({id}, {name}), in pattern order */
    size_t n_params;
    const struct jwt_identity *who; /* NULL on public routes */
    const struct cfg *cfg;
    struct db_pool *db;
};

/* What a handler produces. Initialise with HTTP_RES_INIT; release with http_res_free. */
struct http_res {
    int status;       /* success status (200, 201, 204) */
    enum app_err err; /* APP_OK, or the error to render as problem+json */
    char detail[512]; /* problem "detail" (human-readable, no secrets) */
    json_t *errors;   /* 422 field errors: [{"field","message"}], owned */
    char *body;       /* owned, malloc'd response body (success) */
    size_t body_len;
    const char *content_type;     /* static string; default application/json; charset=utf-8 */
    char location[256];           /* Location header for 201, "" for none */
    char allow[64];               /* Allow header (405, OPTIONS), "" for none */
    int retry_after;              /* seconds, 0 = no Retry-After */
    int invalid_token;            /* 401: say error="invalid_token" in WWW-Authenticate */
    const char *type;             /* problem "type" URI (static string); NULL = "about:blank" */
    const char *etag;             /* static string: an ETag header, NULL for none */
    char etag_buf[80];            /* an ETag built per response (http_res_etag); used when
                                   * etag is NULL, "" for none */
    const char *cache_control;    /* static string; NULL: no-store under /api/, none elsewhere */
    const char *www_authenticate; /* static; replaces the Bearer challenge on a 401 (the token
                                   * endpoint's invalid_client asks for Basic, RFC 6749 5.2) */
};

#define HTTP_RES_INIT                                                                              \
    {                                                                                              \
        .status = 200, .err = APP_OK                                                               \
    }

typedef void (*http_handler)(const struct http_req *req, struct http_res *res);

/* Splits a request target as the client sent it ("/a/b?x=1&y#frag") into the normalised path
 * (path_normalize) and the decoded query arguments in order ("x"="1", "y"=""), '+' read as a
 * space; a path or an argument whose decoded bytes are not UTF-8 is refused. Returns 0 with *path (malloc'd) and *query, *n_query (free with http_kv_free; NULL, 0
 * when there is no query), or -1 for a bad path or a malformed escape (a 400). On -1 *query is
 * NULL, and *path is NULL when the path was bad, or the normalised path when only the query
 * was (the caller frees it: the 400's headers and the access log still name the path). */
int http_parse_target(const char *target, char **path, struct http_kv **query, size_t *n_query)
    __attribute__((warn_unused_result));

/* Frees n query arguments and the array; NULL-safe. */
void http_kv_free(struct http_kv *kv, size_t n);

/* The value of query argument name, or NULL when absent. Borrowed from req. */
const char *http_req_query(const struct http_req *req, const char *name);

/* Success with a JSON document; steals doc (json_decref'd here). Sets status and body. */
void http_res_json(struct http_res *res, int status, json_t *doc);

/* Success with an already serialised JSON text; takes ownership of the malloc'd text. */
void http_res_raw_json(struct http_res *res, int status, char *text, size_t len);

/* An error with a printf-style detail. Replaces any body set before. */
void http_res_error(struct http_res *res, enum app_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds {"field","message"} to errors[] and sets err = APP_ERR_VALIDATION (422). */
void http_res_field_error(struct http_res *res, const char *field, const char *message);

/* Adds every entry of fe, in order, as above (nothing when fe is empty). */
void http_res_field_errors(struct http_res *res, const struct field_errors *fe);

struct db_error;

/* Maps a database failure: unavailable -> 503 with Retry-After, unique -> 409, invalid ->
 * 422, anything else -> 500 (the cause is never sent). Logs one info line naming the
 * operation, what ("list connectors"), with the failure's class, SQLSTATE and constraint and
 * the status answered; db/ has logged the failure itself, with its message, where it happened
 * (it does not know the operation). */
void http_res_db_error(struct http_res *res, const struct db_error *err, const char *what);

/* 1 when the Content-Type value ct names media type type (case-insensitive), alone or followed
 * by parameters ("; charset=utf-8"); 0 for anything else, NULL included. */
int http_content_type_is(const char *ct, const char *type);

/* Parses the body as a JSON object. Returns a new reference the caller json_decref's, or
 * NULL after setting res: 415 when Content-Type is present and not application/json,
 * 400 when the body is empty or not JSON, 422 when it is JSON but not an object. */
json_t *http_req_json_object(const struct http_req *req, struct http_res *res);

/* Sets the response's ETag (a quoted entity tag, copied; cut at 79 bytes). */
void http_res_etag(struct http_res *res, const char *etag);

/* 1 when header, an If-None-Match or If-Match value (a comma-separated list of entity tags, or
 * "*"), names etag (quoted, as sent); 0 otherwise or when header is NULL. weak: compare as
 * If-None-Match does (RFC 9110 13.1.2: a W/ prefix is ignored); otherwise strong, as If-Match
 * does (a W/ tag never matches). */
int http_etag_listed(const char *header, const char *etag, int weak);

/* Releases body and errors; safe to call twice. */
void http_res_free(struct http_res *res);

/* The status an app_err maps to (APP_OK → 200). */
int http_err_status(enum app_err err);

/* Renders res (error → problem+json) into a malloc'd body the caller frees, and sets *status.
 * A success body is moved out of res, not copied (res->body is NULL afterwards): it is on
 * every request's path. Used by http.c and by tests that want the bytes a client would see. */
char *http_render(struct http_res *res, const struct http_req *req, int *status, size_t *len);

#endif
