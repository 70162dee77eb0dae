/* http_model: request/response helpers and the one app_err -> status + problem+json mapping
 * (see http_model.h). Nothing here knows libmicrohttpd or any handler. */
#include "server/http/http_model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"
#include "server/core/log.h"
#include "server/http/path.h"
#include "util/xalloc.h"
#include "util/utf8.h"

const char *http_req_query(const struct http_req *req, const char *name)
{
    for (size_t i = 0; i < req->n_query; i++) {
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    }
    return NULL;
}

static void res_clear_body(struct http_res *res)
{
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
}

void http_res_raw_json(struct http_res *res, int status, char *text, size_t len)
{
    res_clear_body(res);
    res->status = status;
    res->err = APP_OK;
    res->body = text;
    res->body_len = len;
    res->content_type = HTTP_JSON;
}

void http_res_json(struct http_res *res, int status, json_t *doc)
{
    /* 6 significant digits: a latency of 0.328783 ms, not 0.32878299999999999 */
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(doc);
    if (text == NULL) {
        http_res_error(res, APP_ERR_INTERNAL, "could not serialise the response");
        return;
    }
    http_res_raw_json(res, status, text, strlen(text));
}

/* The detail often quotes what a client sent (an id, a path): the formatted text is cut at a
 * character boundary and any byte that is not UTF-8 is replaced, so the problem document can
 * always be serialised (a cut inside a sequence once rendered as an empty body). */
void http_res_error(struct http_res *res, enum app_err err, const char *fmt, ...)
{
    va_list ap;
    char text[sizeof res->detail + 4];
    res_clear_body(res);
    res->err = err;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    utf8_copy_sanitized(res->detail, sizeof res->detail, text);
}

void http_res_field_error(struct http_res *res, const char *field, const char *message)
{
    if (res->errors == NULL)
        res->errors = json_array();
    json_array_append_new(res->errors, json_pack("{s:s, s:s}", "field", field, "message", message));
    if (res->err != APP_ERR_VALIDATION) {
        res_clear_body(res);
        res->err = APP_ERR_VALIDATION;
        snprintf(res->detail, sizeof res->detail, "the request has invalid fields");
    }
}

void http_res_field_errors(struct http_res *res, const struct field_errors *fe)
{
    for (size_t i = 0; i < fe->n; i++)
        http_res_field_error(res, fe->items[i].field, fe->items[i].message);
}

void http_res_free(struct http_res *res)
{
    res_clear_body(res);
    json_decref(res->errors);
    res->errors = NULL;
}

/* The words of the one log line http_res_db_error writes. */
static const char *db_failure_words(enum db_status status)
{
    switch (status) {
    case DB_ERR_UNAVAILABLE:
        return "the database is unavailable";
    case DB_ERR_UNIQUE:
        return "the database refused a duplicate";
    case DB_ERR_INVALID:
        return "the database refused a value";
    default:
        return "the database statement failed";
    }
}

void http_res_db_error(struct http_res *res, const struct db_error *err, const char *what)
{
    switch (err->status) {
    case DB_ERR_UNAVAILABLE:
        res->retry_after = 2;
        http_res_error(res, APP_ERR_UNAVAILABLE, "the database is unavailable; retry shortly");
        break;
    case DB_ERR_UNIQUE:
        http_res_error(res, APP_ERR_CONFLICT, "that resource already exists");
        break;
    case DB_ERR_INVALID:
        /* The database's words name its internals (encodings, constraints, types): they are
         * in the log, with the request id, and the client gets a fixed text. */
        http_res_error(res, APP_ERR_VALIDATION, "a value in the request was refused");
        break;
    default:
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        break;
    }
    /* db/ logged the failure with its SQLSTATE but cannot know the operation; this line names
     * it (refusals, which db/ logs only at debug, show here too). */
    log_info("%s: %s (sqlstate %s%s%s); answered %d", what ? what : "?",
             db_failure_words(err->status), err->sqlstate[0] ? err->sqlstate : "-",
             err->constraint[0] ? ", constraint " : "", err->constraint, http_err_status(res->err));
}

void http_res_etag(struct http_res *res, const char *etag)
{
    snprintf(res->etag_buf, sizeof res->etag_buf, "%s", etag);
}

int http_etag_listed(const char *header, const char *etag, int weak)
{
    size_t elen = strlen(etag);
    const char *p = header;
    if (p == NULL)
        return 0;
    for (;;) {
        p += strspn(p, " \t,");
        if (*p == '\0')
            return 0;
        int is_weak = p[0] == 'W' && p[1] == '/';
        if (is_weak)
            p += 2;
        size_t len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 1 && *p == '*' && !is_weak)
            return 1;
        if ((weak || !is_weak) && len == elen && memcmp(p, etag, elen) == 0)
            return 1;
        p += strcspn(p, ",");
    }
}

int http_content_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);
    return ct != NULL && strncasecmp(ct, type, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

static int content_type_is_json(const char *ct)
{
    return strncasecmp(ct, "application/json", 16) == 0 &&
           (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

json_t *http_req_json_object(const struct http_req *req, struct http_res *res)
{
    json_error_t jerr;
    if (req->content_type != NULL && !content_type_is_json(req->content_type)) {
        http_res_error(res, APP_ERR_UNSUPPORTED_MEDIA, "send the body as application/json");
        return NULL;
    }
    if (req->body_len == 0) {
        http_res_error(res, APP_ERR_BAD_REQUEST, "a JSON body is required");
        return NULL;
    }
    json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        http_res_error(res, APP_ERR_BAD_REQUEST,
                       "the body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                       jerr.column);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        http_res_field_error(res, "body", "must be a JSON object");
        return NULL;
    }
    return doc;
}

/* ------------------------------------------------------------------ the one error mapping */

struct err_map {
    int status;
    const char *title;
};

static const struct err_map err_table[] = {
    [APP_OK] = {200, "OK"},
    [APP_ERR_BAD_REQUEST] = {400, "Bad Request"},
    [APP_ERR_UNAUTHORIZED] = {401, "Unauthorized"},
    [APP_ERR_FORBIDDEN] = {403, "Forbidden"},
    [APP_ERR_NOT_FOUND] = {404, "Not Found"},
    [APP_ERR_METHOD_NOT_ALLOWED] = {405, "Method Not Allowed"},
    [APP_ERR_CONFLICT] = {409, "Conflict"},
    [APP_ERR_PAYLOAD_TOO_LARGE] = {413, "Content Too Large"},
    [APP_ERR_UNSUPPORTED_MEDIA] = {415, "Unsupported Media Type"},
    [APP_ERR_VALIDATION] = {422, "Unprocessable Content"},
    [APP_ERR_TOO_MANY_REQUESTS] = {429, "Too Many Requests"},
    [APP_ERR_INTERNAL] = {500, "Internal Server Error"},
    [APP_ERR_UNAVAILABLE] = {503, "Service Unavailable"},
    [APP_ERR_TIMEOUT] = {408, "Request Timeout"},
    [APP_ERR_URI_TOO_LONG] = {414, "URI Too Long"},
    [APP_ERR_PRECONDITION] = {412, "Precondition Failed"},
};

int http_err_status(enum app_err err)
{
    if ((size_t)err >= sizeof err_table / sizeof err_table[0])
        return 500;
    return err_table[err].status;
}

char *http_render(struct http_res *res, const struct http_req *req, int *status, size_t *len)
{
    (void)req;
    if (res->err == APP_OK) {
        char *body = res->body;
        *status = res->status;
        *len = body ? res->body_len : 0;
        res->body = NULL; /* moved to the caller */
        res->body_len = 0;
        return body;
    }
    const struct err_map *m =
        &err_table[(size_t)res->err < sizeof err_table / sizeof err_table[0] ? res->err
                                                                             : APP_ERR_INTERNAL];
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s}", "type", res->type ? res->type : "about:blank",
                            "title", m->title, "status", m->status, "detail",
                            res->detail[0] ? res->detail : m->title);
    if (doc != NULL && res->errors != NULL)
        json_object_set(doc, "errors", res->errors);
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (text == NULL) {
        /* Text jansson refuses: the status and title still go out (a problem document
         * without its details beats an empty body). */
        size_t size = 128;
        text = xmalloc(size);
        snprintf(text, size, "{\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%d}", m->title,
                 m->status);
    }
    *status = m->status;
    *len = text ? strlen(text) : 0;
    return text;
}

/* ------------------------------------------------------------------ request target */

void http_kv_free(struct http_kv *kv, size_t n)
{
    for (size_t i = 0; kv != NULL && i < n; i++) {
        free(kv[i].name);
        free(kv[i].value);
    }
    free(kv);
}

/* Splits and decodes the query text q (no '?', no fragment). -1 on a malformed escape. */
static int parse_query(const char *q, struct http_kv **out, size_t *n_out)
{
    size_t cap = 1, n = 0;
    for (const char *s = q; *s; s++)
        cap += (*s == '&');
    struct http_kv *kv = xcalloc(cap, sizeof *kv);
    while (*q != '\0') {
        size_t len = strcspn(q, "&");
        if (len > 0) {
            const char *eq = memchr(q, '=', len);
            size_t klen = eq ? (size_t)(eq - q) : len;
            kv[n].name = path_decode_component(q, klen);
            kv[n].value = eq ? path_decode_component(eq + 1, len - klen - 1) : xstrdup("");
            n++;
            /* decoded bytes that are not UTF-8 never reach a handler (nor the database) */
            if (kv[n - 1].name == NULL || kv[n - 1].value == NULL ||
                !utf8_valid(kv[n - 1].name, strlen(kv[n - 1].name)) ||
                !utf8_valid(kv[n - 1].value, strlen(kv[n - 1].value))) {
                http_kv_free(kv, n);
                return -1;
            }
        }
        q += len;
        if (*q == '&')
            q++;
    }
    *out = kv;
    *n_out = n;
    return 0;
}

int http_parse_target(const char *target, char **path, struct http_kv **query, size_t *n_query)
{
    size_t plen = strcspn(target, "?#");
    *path = NULL;
    *query = NULL;
    *n_query = 0;
    char *p = xmalloc(plen + 2);
    if (path_normalize(target, plen, p, plen + 2) != 0 || !utf8_valid(p, strlen(p))) {
        free(p);
        return -1;
    }
    *path = p;
    if (target[plen] == '?') {
        char *q = xstrndup(target + plen + 1, strcspn(target + plen + 1, "#"));
        int rc = parse_query(q, query, n_query);
        free(q);
        return rc;
    }
    return 0;
}
