/* handlers/webhooks: the tenant's webhook endpoints (see webhooks.h). A new or rotated secret
 * is in the one response that creates it and nowhere else: it is encrypted (secrets.c, bound to
 * the webhook) before it reaches the database, and the buffer that held it is wiped. */
#include "server/handlers/webhooks.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "db/webhooks.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/secrets.h"
#include "server/core/webhook_sign.h"
#include "server/core/webhooks.h"
#include "server/handlers/tenant.h"
#include "util/utf8.h"

#define QUOTA_PROBLEM_TYPE "urn:aam:problem:webhook-quota"
#define DELIVERIES_LIMIT_DEFAULT 20
#define DELIVERIES_LIMIT_MAX 100

static const char *tenant_of(const struct http_req *req, struct http_res *res)
{
    if (req->who == NULL || req->who->ns[0] == '\0') {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a bearer token is required");
        return NULL;
    }
    return req->who->ns;
}

/* The route's {id}, or NULL after answering 404 (an id this service never makes). */
static const char *route_id(const struct http_req *req, struct http_res *res)
{
    const char *id = req->n_params > 0 ? req->params[0] : NULL;
    if (!webhooks_id_valid(id)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such webhook");
        return NULL;
    }
    return id;
}

/* A JSON timestamp (RFC 3339, UTC, microseconds) from a microseconds cell, or null. */
static json_t *ts_cell(const struct db_result *r, int row, int col)
{
    const char *v = db_result_get(r, row, col);
    if (v == NULL)
        return json_null();
    long long us = strtoll(v, NULL, 10);
    long long secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    char text[96];
    if (gmtime_r(&t, &tm) == NULL)
        return json_null();
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return json_string(text);
}

static json_t *str_cell(const struct db_result *r, int row, int col)
{
    const char *v = db_result_get(r, row, col);
    return v != NULL ? json_stringn(v, db_result_len(r, row, col)) : json_null();
}

static json_t *int_cell(const struct db_result *r, int row, int col)
{
    const char *v = db_result_get(r, row, col);
    return v != NULL ? json_integer(strtoll(v, NULL, 10)) : json_null();
}

static json_t *json_cell(const struct db_result *r, int row, int col)
{
    const char *v = db_result_get(r, row, col);
    json_t *j = v != NULL ? json_loadb(v, db_result_len(r, row, col), 0, NULL) : NULL;
    return j != NULL ? j : json_array();
}

/* Webhook row `row` of r as the API shows it (never a secret). A new reference. */
static json_t *webhook_json(const struct db_result *r, int row)
{
    const char *active = db_result_get(r, row, DB_WEBHOOK_ACTIVE);
    json_t *o = json_object();
    json_object_set_new(o, "id", str_cell(r, row, DB_WEBHOOK_ID));
    json_object_set_new(o, "url", str_cell(r, row, DB_WEBHOOK_URL));
    json_object_set_new(o, "events", json_cell(r, row, DB_WEBHOOK_EVENTS));
    json_object_set_new(o, "description", str_cell(r, row, DB_WEBHOOK_DESCRIPTION));
    json_object_set_new(o, "active", json_boolean(active != NULL && strcmp(active, "t") == 0));
    json_object_set_new(o, "created_at", ts_cell(r, row, DB_WEBHOOK_CREATED_US));
    json_object_set_new(o, "updated_at", ts_cell(r, row, DB_WEBHOOK_UPDATED_US));
    json_object_set_new(o, "last_success_at", ts_cell(r, row, DB_WEBHOOK_LAST_SUCCESS_US));
    json_object_set_new(o, "disabled_at", ts_cell(r, row, DB_WEBHOOK_DISABLED_US));
    json_object_set_new(o, "previous_secret_expires_at",
                        ts_cell(r, row, DB_WEBHOOK_ROTATION_ENDS_US));
    return o;
}

/* Answers with the one webhook row of r, or 404 when there is none. */
static void send_webhook(struct http_res *res, const struct db_result *r, int status,
                         const char *secret_)
{
    if (db_result_rows(r) != 1 || db_result_cols(r) < DB_WEBHOOK_NCOLS) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such webhook");
        return;
    }
    json_t *o = webhook_json(r, 0);
    if (secret_ != NULL)
        json_object_set_new(o, "secret", json_string(secret_));
    http_res_json(res, status, o);
}

/* A fresh secret, encrypted for webhook (ns, id): 0 with secret_ (WEBHOOK_SIGN_SECRET_LEN + 1
 * bytes, the caller wipes it) and *stored (the caller frees), or -1 after answering 500. */
static int new_secret(const struct http_req *req, struct http_res *res, const char *ns,
                      const char *id, char *secret_, size_t size, char **stored)
{
    const struct secrets_aad aad = {SECRETS_KIND_WEBHOOK, ns, id, "secret"};
    *stored = NULL;
    if (req->cfg->secret_keys == NULL || webhook_sign_new_secret(secret_, size) != 0 ||
        (*stored = secrets_encrypt(req->cfg->secret_keys, &aad, secret_, strlen(secret_))) == NULL) {
        OPENSSL_cleanse(secret_, size);
        log_error("webhooks: could not make or encrypt a secret (is AAM_SECRET_KEYS set?)");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return -1;
    }
    return 0;
}

/* Refuses any key of body outside allowed (NULL-terminated) with a field error each. */
static void reject_unknown(const json_t *body, const char *const *allowed, struct field_errors *fe)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)body, key, v) {
        int known = 0;
        for (size_t i = 0; allowed[i] != NULL && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            field_errors_add(fe, utf8_valid(key, strlen(key)) ? key : "(field)", "unknown field");
    }
}

struct webhook_input {
    const char *url;
    char *events_json; /* owned */
    const char *description;
    const char *active;
};

/* Reads and checks a POST (create: url and events required) or PATCH body. The URL is
 * resolved only when everything else passed (a lookup costs time). Returns 0, or -1 after
 * answering (400/415/422). *in borrows from *body, which the caller json_decref's. */
static int read_input(const struct http_req *req, struct http_res *res, int create, json_t **body,
                      struct webhook_input *in)
{
    static const char *const allowed_create[] = {"url", "events", "description", NULL};
    static const char *const allowed_patch[] = {"url", "events", "description", "active", NULL};
    struct field_errors fe = FIELD_ERRORS_INIT;
    memset(in, 0, sizeof *in);
    if ((*body = http_req_json_object(req, res)) == NULL)
        return -1;
    reject_unknown(*body, create ? allowed_create : allowed_patch, &fe);
    const json_t *url = json_object_get(*body, "url"), *events = json_object_get(*body, "events");
    const json_t *desc = json_object_get(*body, "description");
    const json_t *active = json_object_get(*body, "active");
    if (url != NULL || create) {
        if (!json_is_string(url))
            field_errors_add(&fe, "url", "is required: an http:// or https:// URL");
        else
            in->url = json_string_value(url);
    }
    if (events != NULL || create)
        (void)webhooks_check_events(events, &in->events_json, &fe);
    if (desc != NULL && !json_is_null(desc))
        (void)webhooks_check_description(desc, &in->description, &fe);
    if (active != NULL) {
        if (!json_is_boolean(active))
            field_errors_add(&fe, "active", "must be true or false");
        else
            in->active = json_is_true(active) ? "true" : "false";
    }
    if (fe.n == 0 && in->url != NULL)
        (void)webhooks_check_url(req->cfg, in->url, &fe);
    if (fe.n == 0)
        return 0;
    http_res_field_errors(res, &fe);
    field_errors_free(&fe);
    free(in->events_json);
    in->events_json = NULL;
    return -1;
}

void webhooks_create(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res);
    json_t *body = NULL;
    struct webhook_input in;
    struct db_result *r = NULL;
    struct db_error err = {0};
    enum db_webhooks_created what = DB_WEBHOOKS_CREATED;
    char id[WEBHOOKS_ID_LEN + 1], secret_[WEBHOOK_SIGN_SECRET_LEN + 1];
    char *stored = NULL;
    if (ns == NULL || read_input(req, res, 1, &body, &in) != 0) {
        json_decref(body);
        return;
    }
    if (webhooks_new_id(id, sizeof id) != 0) {
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
    } else if (new_secret(req, res, ns, id, secret_, sizeof secret_, &stored) == 0) {
        if (db_webhooks_create(req->db, ns, id, in.url, in.events_json,
                               in.description != NULL ? in.description : "", stored,
                               WEBHOOKS_MAX_PER_TENANT, &what, &r, &err) != 0) {
            http_res_db_error(res, &err, "create webhook");
        } else if (what == DB_WEBHOOKS_NO_TENANT) {
            tenant_res_missing(res, ns);
        } else if (what == DB_WEBHOOKS_QUOTA) {
            http_res_error(res, APP_ERR_CONFLICT,
                           "this tenant already holds %d webhooks, the most it may hold; "
                           "delete one first",
                           WEBHOOKS_MAX_PER_TENANT);
            res->type = QUOTA_PROBLEM_TYPE;
        } else {
            send_webhook(res, r, 201, secret_);
            snprintf(res->location, sizeof res->location, "/api/v1/aam/webhooks/%s", id);
        }
        OPENSSL_cleanse(secret_, sizeof secret_);
    }
    free(stored);
    db_result_free(r);
    free(in.events_json);
    json_decref(body);
}

void webhooks_list(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res);
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (ns == NULL)
        return;
    if (db_webhooks_list(req->db, ns, &r, &err) != 0) {
        http_res_db_error(res, &err, "list webhooks");
        return;
    }
    int n = db_result_rows(r);
    if (n == 0 && tenant_answer_if_missing(req, res, ns)) {
        db_result_free(r);
        return;
    }
    json_t *list = json_array();
    for (int i = 0; i < n && db_result_cols(r) >= DB_WEBHOOK_NCOLS; i++)
        json_array_append_new(list, webhook_json(r, i));
    db_result_free(r);
    http_res_json(res, 200, json_pack("{s:o,s:i}", "webhooks", list, "total", (json_int_t)n));
}

void webhooks_get(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res), *id = ns != NULL ? route_id(req, res) : NULL;
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (id == NULL)
        return;
    if (db_webhooks_get(req->db, ns, id, &r, &err) != 0)
        http_res_db_error(res, &err, "get webhook");
    else if (db_result_rows(r) == 0 && tenant_answer_if_missing(req, res, ns))
        ;
    else
        send_webhook(res, r, 200, NULL);
    db_result_free(r);
}

void webhooks_patch(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res), *id = ns != NULL ? route_id(req, res) : NULL;
    json_t *body = NULL;
    struct webhook_input in;
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (id == NULL || read_input(req, res, 0, &body, &in) != 0) {
        json_decref(body);
        return;
    }
    const struct db_webhook_patch p = {in.url, in.events_json, in.description, in.active};
    if (db_webhooks_patch(req->db, ns, id, &p, &r, &err) != 0)
        http_res_db_error(res, &err, "change webhook");
    else if (db_result_rows(r) == 0 && tenant_answer_if_missing(req, res, ns))
        ;
    else
        send_webhook(res, r, 200, NULL);
    db_result_free(r);
    free(in.events_json);
    json_decref(body);
}

void webhooks_delete(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res), *id = ns != NULL ? route_id(req, res) : NULL;
    struct db_error err = {0};
    int deleted = 0;
    if (id == NULL)
        return;
    if (db_webhooks_delete(req->db, ns, id, &deleted, &err) != 0)
        http_res_db_error(res, &err, "delete webhook");
    else if (deleted)
        res->status = 204;
    else if (!tenant_answer_if_missing(req, res, ns))
        http_res_error(res, APP_ERR_NOT_FOUND, "no such webhook");
}

void webhooks_rotate_secret(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res), *id = ns != NULL ? route_id(req, res) : NULL;
    struct db_result *r = NULL;
    struct db_error err = {0};
    char secret_[WEBHOOK_SIGN_SECRET_LEN + 1], *stored = NULL;
    if (id == NULL || new_secret(req, res, ns, id, secret_, sizeof secret_, &stored) != 0)
        return;
    if (db_webhooks_rotate(req->db, ns, id, stored, &r, &err) != 0)
        http_res_db_error(res, &err, "rotate webhook secret");
    else if (db_result_rows(r) == 0 && tenant_answer_if_missing(req, res, ns))
        ;
    else
        send_webhook(res, r, 200, secret_);
    OPENSSL_cleanse(secret_, sizeof secret_);
    free(stored);
    db_result_free(r);
}

void webhooks_test(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res), *id = ns != NULL ? route_id(req, res) : NULL;
    struct db_result *r = NULL;
    struct db_error err = {0};
    char msg_id[64];
    if (id == NULL)
        return;
    if (db_webhooks_test(req->db, ns, id, msg_id, sizeof msg_id, &err) != 0) {
        http_res_db_error(res, &err, "test webhook");
    } else if (msg_id[0] != '\0') {
        http_res_json(res, 202, json_pack("{s:s}", "webhook_id", msg_id));
    } else if (db_webhooks_get(req->db, ns, id, &r, &err) != 0) {
        http_res_db_error(res, &err, "test webhook");
    } else if (db_result_rows(r) == 1) {
        http_res_error(res, APP_ERR_CONFLICT, "the webhook is inactive; set it active first");
    } else if (!tenant_answer_if_missing(req, res, ns)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such webhook");
    }
    db_result_free(r);
}

/* Delivery row `row` of r as the API shows it. A new reference. */
static json_t *delivery_json(const struct db_result *r, int row)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", str_cell(r, row, DB_DELIVERY_MSG_ID));
    json_object_set_new(o, "type", str_cell(r, row, DB_DELIVERY_TYPE));
    json_object_set_new(o, "event_id", int_cell(r, row, DB_DELIVERY_EVENT_ID));
    json_object_set_new(o, "status", str_cell(r, row, DB_DELIVERY_STATUS));
    json_object_set_new(o, "created_at", ts_cell(r, row, DB_DELIVERY_CREATED_US));
    json_object_set_new(o, "next_attempt_at", ts_cell(r, row, DB_DELIVERY_NEXT_US));
    json_object_set_new(o, "delivered_at", ts_cell(r, row, DB_DELIVERY_DELIVERED_US));
    json_object_set_new(o, "last_status_code", int_cell(r, row, DB_DELIVERY_LAST_CODE));
    json_object_set_new(o, "last_error", str_cell(r, row, DB_DELIVERY_LAST_ERROR));
    json_object_set_new(o, "attempts", json_cell(r, row, DB_DELIVERY_ATTEMPTS));
    return o;
}

/* A whole number in [lo, hi] from query argument name (def when absent): 0, or -1 after a 422. */
static int query_number(const struct http_req *req, struct http_res *res, const char *name,
                        long long lo, long long hi, long long def, long long *out)
{
    const char *v = http_req_query(req, name);
    char *end = NULL;
    *out = def;
    if (v == NULL)
        return 0;
    errno = 0;
    long long n = v[0] >= '0' && v[0] <= '9' ? strtoll(v, &end, 10) : -1;
    if (errno != 0 || end == NULL || *end != '\0' || n < lo || n > hi) {
        http_res_field_error(res, name, "is not a valid value here");
        return -1;
    }
    *out = n;
    return 0;
}

void webhooks_deliveries(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res), *id = ns != NULL ? route_id(req, res) : NULL;
    struct db_result *r = NULL;
    struct db_error err = {0};
    long long limit = 0, cursor = 0;
    int exists = 0;
    if (id == NULL ||
        query_number(req, res, "limit", 1, DELIVERIES_LIMIT_MAX, DELIVERIES_LIMIT_DEFAULT,
                     &limit) != 0 ||
        query_number(req, res, "cursor", 1, INT64_MAX, 0, &cursor) != 0)
        return;
    if (db_webhooks_deliveries(req->db, ns, id, cursor, (int)limit + 1, &r, &exists, &err) != 0) {
        http_res_db_error(res, &err, "webhook deliveries");
        return;
    }
    if (!exists) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such webhook");
        db_result_free(r);
        return;
    }
    int rows = db_result_rows(r), n = rows > limit ? (int)limit : rows;
    json_t *list = json_array();
    for (int i = 0; i < n && db_result_cols(r) >= DB_DELIVERY_NCOLS; i++)
        json_array_append_new(list, delivery_json(r, i));
    json_t *next = rows > limit ? str_cell(r, n - 1, DB_DELIVERY_ID) : json_null();
    db_result_free(r);
    http_res_json(res, 200, json_pack("{s:o,s:o}", "deliveries", list, "next_cursor", next));
}
