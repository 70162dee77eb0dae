/* handlers/checks: the two check routes (see checks.h). Answers beyond the contract's 200:
 *   404  no such connector (or another tenant's), or no such connector type;
 *   403  the token's namespace has no tenant;
 *   422  a type without a check (problem type urn:aam:problem:no-check), or a config that a
 *        POST would refuse (one errors[] entry per field; a folder not the tenant's gets the
 *        one refusal text);
 *   429  the tenant started CHECKS_PER_WINDOW checks in the window (Retry-After);
 *   503  the check lane's queue is full (http.c) or the database is unavailable.
 * The 200 body is the report whether the check passed or not; a stored connector's result is
 * kept with its status transition (server/core/check.c, db/checks.c). */
#include "server/handlers/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/checks.h"
#include "db/connectors.h"
#include "server/core/check.h"
#include "server/core/config.h"
#include "server/core/connector_json.h"
#include "server/core/log.h"
#include "server/core/schema.h"
#include "server/core/types.h"
#include "server/handlers/connectors.h"
#include "server/handlers/tenant.h"

static const char *tenant_of(const struct http_req *req, struct http_res *res)
{
    if (req->who == NULL || req->who->ns[0] == '\0') {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a bearer token is required");
        return NULL;
    }
    return req->who->ns;
}

static void no_check(struct http_res *res, const char *type)
{
    http_res_error(res, APP_ERR_VALIDATION, "connectors of type \"%s\" cannot be checked", type);
    res->type = CHECK_PROBLEM_NO_CHECK;
}

static void too_many(struct http_res *res, int retry_after)
{
    http_res_error(res, APP_ERR_TOO_MANY_REQUESTS,
                   "this tenant started %d checks within %d s, the most it may; retry in %d s",
                   CHECKS_PER_WINDOW, CHECKS_WINDOW_S, retry_after);
    res->retry_after = retry_after;
}

static void send_report(struct http_res *res, const struct check_report *report)
{
    size_t len = 0;
    char *text = check_report_json(report, &len);
    if (text == NULL) {
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    http_res_raw_json(res, 200, text, len);
}

static struct check_env env_of(const struct http_req *req)
{
    return (struct check_env){.cfg = req->cfg, .db = req->db, .policy = NULL};
}

/* ------------------------------------------------------------------ a stored connector */

/* If-Match on a check (the contract: 412 when it names none of the connector's versions, and
 * nothing is written: the check budget is not charged). One more read, only when the header is
 * there. Returns 0 to go on, or -1 after answering (412, 404, 403, 503). */
static int check_if_match(const struct http_req *req, struct http_res *res, const char *ns,
                          const char *id)
{
    struct db_if_match m;
    const struct db_if_match *want = connectors_if_match(req, &m);
    struct db_result *r = NULL;
    struct db_error err = {0};
    int ret = -1;
    if (want == NULL)
        return 0;
    if (db_connectors_get(req->db, ns, id, &r, &err) != 0) {
        http_res_db_error(res, &err, "check connector");
        return -1;
    }
    const char *v = db_result_rows(r) > 0 ? db_result_get(r, 0, DB_CONNECTOR_VERSION) : NULL;
    long long version = v != NULL ? strtoll(v, NULL, 10) : -1;
    int matches = 0;
    for (int i = 0; i < want->n; i++)
        matches |= want->versions[i] == version;
    if (v == NULL) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else if (!matches) {
        http_res_error(res, APP_ERR_PRECONDITION, CONNECTORS_STALE_DETAIL);
    } else {
        ret = 0;
    }
    db_result_free(r);
    return ret;
}

void checks_connector(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res);
    const char *id = req->n_params > 0 ? req->params[0] : NULL;
    struct db_result *r = NULL;
    struct db_error err = {0};
    int found = 0, retry = 0;
    if (ns == NULL)
        return;
    if (!connector_json_id_valid(id)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
        return;
    }
    if (check_if_match(req, res, ns, id) != 0)
        return;
    if (db_checks_start(req->db, ns, id, CHECKS_PER_WINDOW, CHECKS_WINDOW_S, &found, &retry, &r,
                        &err) != 0) {
        http_res_db_error(res, &err, "start check");
        return;
    }
    if (!found) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else if (retry > 0) {
        too_many(res, retry);
    } else if (!check_supported(db_result_get(r, 0, DB_CHECK_TYPE))) {
        no_check(res, db_result_get(r, 0, DB_CHECK_TYPE));
    } else {
        const struct check_env env = env_of(req);
        const struct db_check_actor actor = {
            .type = req->who->is_client || req->who->client_id[0] ? "client" : "user",
            .id = req->who->sub,
            .email = req->who->email[0] ? req->who->email : NULL,
            .request_id = req->request_id,
        };
        struct check_report report;
        char from[16], to[16];
        check_stored(&env, ns, id, r, &report);
        const char *upd = db_result_get(r, 0, DB_CHECK_UPDATED);
        if (check_record(&env, ns, id, &report, upd ? strtoll(upd, NULL, 10) : 0, &actor, 0, from,
                         to, &err) != 0)
            log_warn("check %s: the result could not be stored (%s)", id, err.message);
        else if (strcmp(from, to) != 0)
            log_info("check %s: status %s -> %s", id, from, to);
        send_report(res, &report);
    }
    db_result_free(r);
}

/* ------------------------------------------------------------------ a config before saving */

/* The body's config, validated as a POST validates it (the type's spec, the filesource path
 * rules, the folder's ownership). Returns a new reference, or NULL after answering. */
static json_t *valid_config(const struct http_req *req, struct http_res *res, const char *ns,
                            const struct types_type *t)
{
    struct field_errors fe = FIELD_ERRORS_INIT;
    struct connector_folder folder = {0};
    struct db_error err = {0};
    json_t *body = http_req_json_object(req, res);
    json_t *config = body ? json_incref(json_object_get(body, "config")) : NULL;
    const char *key;
    json_t *v;
    int owned = 1;
    if (body == NULL)
        return NULL;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "config") != 0)
            field_errors_add(&fe, key, "is not a member of a check request (only config)");
    }
    if (config == NULL)
        field_errors_add(&fe, "config", "is required");
    else if (connector_json_config_size_ok(config, &fe) &&
             schema_validate(types_schema(t), config, &fe) == 0)
        (void)!connector_json_check_config(types_name(t), config, req->cfg->sources_root, &folder,
                                           &fe);
    if (fe.n == 0 && folder.set &&
        db_connectors_folder_owned(req->db, ns, folder.rel, &owned, &err) != 0) {
        http_res_db_error(res, &err, "folder ownership");
    } else if (fe.n == 0 && !owned) {
        http_res_field_error(res, "config.path", CONNECTOR_PATH_REFUSED);
    }
    http_res_field_errors(res, &fe);
    field_errors_free(&fe);
    json_decref(body);
    if (res->err != APP_OK) {
        json_decref(config);
        return NULL;
    }
    return config;
}

void checks_config(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res);
    const char *type = req->n_params > 0 ? req->params[0] : NULL;
    const struct types_type *t = types_find(type);
    struct db_error err = {0};
    struct db_result *none = NULL;
    int found = 0, retry = 0;
    if (ns == NULL)
        return;
    if (t == NULL) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector type");
        return;
    }
    if (!check_supported(type)) {
        no_check(res, type);
        return;
    }
    json_t *config = valid_config(req, res, ns, t);
    if (config == NULL)
        return;
    if (db_checks_start(req->db, ns, NULL, CHECKS_PER_WINDOW, CHECKS_WINDOW_S, &found, &retry,
                        &none, &err) != 0) {
        http_res_db_error(res, &err, "start check");
    } else if (!found) {
        tenant_res_missing(res, ns);
    } else if (retry > 0) {
        too_many(res, retry);
    } else {
        /* A copy: the secrets move out of it into buffers of their own, wiped after. */
        json_t *copy = json_deep_copy(config);
        struct check_secrets sec = {0};
        struct check_report report;
        const struct check_env env = env_of(req);
        schema_apply_defaults(types_schema(t), copy);
        check_secrets_take(types_schema(t), copy, &sec);
        check_run(&env, ns, type, copy, &sec, &report);
        check_secrets_free(&sec);
        json_decref(copy);
        send_report(res, &report);
    }
    db_result_free(none);
    json_decref(config);
}
