/* handlers/events: a connector's history and the tenant's change feed (see events.h).
 * PostgreSQL returns plain columns; C writes the JSON, the stored changes embedded as the jsonb
 * text PostgreSQL sends. */
#include "server/handlers/events.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/events.h"
#include "server/core/config.h"
#include "server/core/connector_json.h"
#include "server/core/cursor.h"
#include "server/core/jsonbuf.h"
#include "server/core/log.h"
#include "server/handlers/tenant.h"

#define BAD_CURSOR "the cursor is not one this list gave out; start again without it"

/* Reads cell (row, col) as a decimal integer. Returns 0, or -1 for NULL or junk. */
static int cell_int64(const struct db_result *r, int row, int col, int64_t *out)
{
    const char *text = db_result_get(r, row, col);
    char *end = NULL;
    if (text == NULL || text[0] == '\0')
        return -1;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Appends ,"key":"cell" (or nothing when the cell is NULL and optional, else null). */
static void append_cell(struct jsonbuf *b, const char *key, const struct db_result *r, int row,
                        int col, int optional)
{
    const char *v = db_result_get(r, row, col);
    if (v == NULL && optional)
        return;
    jsonbuf_append_cstr(b, key);
    if (v == NULL)
        jsonbuf_append_cstr(b, "null");
    else
        jsonbuf_append_json_string(b, v, db_result_len(r, row, col));
}

/* Appends event row of r as the contract's JSON object. Returns -1 when a NOT NULL cell is
 * missing. */
static int append_event(struct jsonbuf *b, const struct db_result *r, int row)
{
    int64_t id, at;
    const char *changes = db_result_get(r, row, DB_EVENT_CHANGES);
    if (db_result_cols(r) < DB_EVENT_NCOLS || changes == NULL ||
        cell_int64(r, row, DB_EVENT_ID, &id) != 0 || cell_int64(r, row, DB_EVENT_AT, &at) != 0 ||
        db_result_get(r, row, DB_EVENT_ACTOR_TYPE) == NULL ||
        db_result_get(r, row, DB_EVENT_ACTOR_ID) == NULL ||
        db_result_get(r, row, DB_EVENT_ACTION) == NULL ||
        db_result_get(r, row, DB_EVENT_CONNECTOR_ID) == NULL)
        return -1;
    jsonbuf_append_cstr(b, "{\"id\":");
    jsonbuf_append_int64(b, id);
    jsonbuf_append_cstr(b, ",\"at\":");
    jsonbuf_append_timestamp_us(b, at);
    append_cell(b, ",\"actor\":{\"type\":", r, row, DB_EVENT_ACTOR_TYPE, 0);
    append_cell(b, ",\"id\":", r, row, DB_EVENT_ACTOR_ID, 0);
    append_cell(b, ",\"email\":", r, row, DB_EVENT_ACTOR_EMAIL, 1);
    append_cell(b, ",\"role\":", r, row, DB_EVENT_ACTOR_ROLE, 1);
    append_cell(b, "},\"action\":", r, row, DB_EVENT_ACTION, 0);
    append_cell(b, ",\"connector_id\":", r, row, DB_EVENT_CONNECTOR_ID, 0);
    jsonbuf_append_cstr(b, ",\"changes\":");
    jsonbuf_append(b, changes, db_result_len(r, row, DB_EVENT_CHANGES)); /* jsonb text */
    append_cell(b, ",\"request_id\":", r, row, DB_EVENT_REQUEST_ID, 0);
    jsonbuf_append_cstr(b, "}");
    return 0;
}

/* Sends {"events":[rows 0..n of r],"next_cursor":cursor or null}. */
static void send_events(struct http_res *res, const struct db_result *r, int n, const char *cursor,
                        const char *what)
{
    struct jsonbuf b;
    size_t len = 0;
    int ok = 1;
    jsonbuf_init(&b, 64 + (size_t)n * 512);
    jsonbuf_append_cstr(&b, "{\"events\":[");
    for (int i = 0; i < n && ok; i++) {
        if (i > 0)
            jsonbuf_append(&b, ",", 1);
        ok = append_event(&b, r, i) == 0;
    }
    jsonbuf_append_cstr(&b, "],\"next_cursor\":");
    if (cursor != NULL)
        jsonbuf_append_json_string(&b, cursor, strlen(cursor));
    else
        jsonbuf_append_cstr(&b, "null");
    jsonbuf_append_cstr(&b, "}");
    char *text = jsonbuf_finish(&b, &len);
    if (!ok || text == NULL) {
        free(text);
        log_error("%s: could not render the events JSON", what);
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    http_res_raw_json(res, 200, text, len);
}

/* limit from the query: 0, or -1 after answering 422. */
static int events_limit(const struct http_req *req, struct http_res *res, long *limit)
{
    const char *v = http_req_query(req, "limit");
    char *end = NULL;
    *limit = EVENTS_LIMIT_DEFAULT;
    if (v == NULL)
        return 0;
    errno = 0;
    long n = v[0] >= '0' && v[0] <= '9' ? strtol(v, &end, 10) : -1;
    if (errno != 0 || end == NULL || *end != '\0' || n < 1 || n > EVENTS_LIMIT_MAX) {
        http_res_field_error(res, "limit", "must be a whole number from 1 to 100");
        return -1;
    }
    *limit = n;
    return 0;
}

/* The cursor named name in the query: 0 with *id (-1 when absent), or -1 after answering 400. */
static int events_cursor(const struct http_req *req, struct http_res *res, const char *name,
                         enum cursor_kind kind, const char *ns, const char *scope, long long *id)
{
    const char *v = http_req_query(req, name);
    *id = -1;
    if (v == NULL)
        return 0;
    if (cursor_decode(req->cfg->jwt_secret, req->cfg->jwt_secret_len, kind, ns, scope, v, id) !=
        0) {
        http_res_error(res, APP_ERR_BAD_REQUEST, "%s: " BAD_CURSOR, name);
        return -1;
    }
    return 0;
}

/* The cursor for id into out; -1 after answering 500 (OpenSSL failed). */
static int make_cursor(const struct http_req *req, struct http_res *res, enum cursor_kind kind,
                       const char *ns, const char *scope, long long id, char *out)
{
    if (cursor_encode(req->cfg->jwt_secret, req->cfg->jwt_secret_len, kind, ns, scope, id, out) ==
        0)
        return 0;
    log_error("could not make a page cursor");
    http_res_error(res, APP_ERR_INTERNAL, "internal error");
    return -1;
}

static const char *tenant_ns(const struct http_req *req, struct http_res *res)
{
    if (req->who == NULL || req->who->ns[0] == '\0') {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a bearer token is required");
        return NULL;
    }
    return req->who->ns;
}

void events_history(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_ns(req, res);
    const char *id = req->n_params > 0 ? req->params[0] : NULL;
    struct db_result *r = NULL;
    struct db_error err = {0};
    long limit = 0;
    long long before = -1;
    int exists = 0;
    char next[CURSOR_LEN + 1];
    if (ns == NULL)
        return;
    if (!connector_json_id_valid(id)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
        return;
    }
    if (events_limit(req, res, &limit) != 0 ||
        events_cursor(req, res, "cursor", CURSOR_HISTORY, ns, id, &before) != 0)
        return;
    /* One more than the page: whether there is a next page, without a count. */
    if (db_events_history(req->db, ns, id, before, limit + 1, &r, &exists, &err) != 0) {
        http_res_db_error(res, &err, "connector history");
        return;
    }
    int rows = db_result_rows(r);
    int64_t last = 0;
    if (rows == 0 && before < 0 && !exists) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else if (rows <= limit) {
        send_events(res, r, rows, NULL, "connector history");
    } else if (cell_int64(r, (int)limit - 1, DB_EVENT_ID, &last) != 0) {
        log_error("connector history: an event without an id");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
    } else if (make_cursor(req, res, CURSOR_HISTORY, ns, id, last, next) == 0) {
        send_events(res, r, (int)limit, next, "connector history");
    }
    db_result_free(r);
}

void events_feed(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_ns(req, res);
    struct db_result *r = NULL;
    struct db_error err = {0};
    long limit = 0;
    long long after = -1;
    char next[CURSOR_LEN + 1];
    if (ns == NULL || events_limit(req, res, &limit) != 0 ||
        events_cursor(req, res, "after", CURSOR_FEED, ns, "", &after) != 0)
        return;
    if (after < 0)
        after = 0; /* from the first event */
    if (db_events_feed(req->db, ns, after, limit, &r, &err) != 0) {
        http_res_db_error(res, &err, "event feed");
        return;
    }
    int rows = db_result_rows(r);
    int64_t last = after;
    if (rows > 0 && cell_int64(r, rows - 1, DB_EVENT_ID, &last) != 0) {
        log_error("event feed: an event without an id");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
    } else if (rows == 0 && after == 0 && tenant_answer_if_missing(req, res, ns)) {
        /* answered: the namespace has no tenant (or the database failed) */
    } else if (make_cursor(req, res, CURSOR_FEED, ns, "", last, next) == 0) {
        send_events(res, r, rows, next, "event feed");
    }
    db_result_free(r);
}
