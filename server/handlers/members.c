/* handlers/members: GET/POST /api/v1/aam/members, PATCH/DELETE /api/v1/aam/members/{user_id}
 * (see members.h). Each route is one call of db/members.h in the token's namespace. An invite
 * token is 256 random bits shown once in the 201 and stored as its SHA-256; it never reaches a
 * log line. */
#include "server/handlers/members.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/db.h"
#include "db/members.h"
#include "server/core/access.h"
#include "server/core/email.h"
#include "server/core/log.h"
#include "server/core/session.h"
#include "server/handlers/tenant.h"
#include "util/hex.h"
#include "util/utf8.h"

/* ------------------------------------------------------------------ shared */

/* The token's namespace, or NULL after answering 401 (protected routes always have one). */
static const char *tenant_of(const struct http_req *req, struct http_res *res)
{
    if (req->who == NULL || req->who->ns[0] == '\0') {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a bearer token is required");
        return NULL;
    }
    return req->who->ns;
}

/* 1 when s is a uuid (8-4-4-4-12 hex digits): what a user id is. */
static int uuid_shaped(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? c != '-' : hex_value(c) < 0)
            return 0;
    }
    return 1;
}

/* The route's {user_id}, or NULL after answering 404 (no other shape can name a user). */
static const char *route_user(const struct http_req *req, struct http_res *res)
{
    const char *id = req->n_params > 0 ? req->params[0] : NULL;
    if (!uuid_shaped(id)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such member");
        return NULL;
    }
    return id;
}

/* Reads body["role"] into *role. Returns 0, or -1 after adding a field error. */
static int read_role(json_t *doc, const char **role, struct http_res *res)
{
    json_t *v = json_object_get(doc, "role");
    if (v == NULL || json_is_null(v)) {
        http_res_field_error(res, "role", "is required");
        return -1;
    }
    if (!json_is_string(v) || access_role_parse(json_string_value(v)) == ACCESS_ROLE_NONE) {
        http_res_field_error(res, "role", "must be \"admin\", \"editor\" or \"viewer\"");
        return -1;
    }
    *role = json_string_value(v);
    return 0;
}

/* A result cell as a JSON string, or null. New reference. */
static json_t *cell(const struct db_result *r, int row, int col)
{
    const char *v = db_result_get(r, row, col);
    return v != NULL ? json_string(v) : json_null();
}

/* Member row `row` of r as {"id","email","role","created_at"}. New reference. */
static json_t *member_json(const struct db_result *r, int row)
{
    json_t *m = json_object();
    json_object_set_new(m, "id", cell(r, row, DB_MEMBERS_ID));
    json_object_set_new(m, "email", cell(r, row, DB_MEMBERS_EMAIL));
    json_object_set_new(m, "role", cell(r, row, DB_MEMBERS_ROLE));
    json_object_set_new(m, "created_at", cell(r, row, DB_MEMBERS_CREATED_AT));
    return m;
}

/* Invite row `row` of r as {"email","role","created_at","expires_at"}. New reference. */
static json_t *invite_json(const struct db_result *r, int row)
{
    json_t *m = json_object();
    json_object_set_new(m, "email", cell(r, row, DB_MEMBERS_INVITE_EMAIL));
    json_object_set_new(m, "role", cell(r, row, DB_MEMBERS_INVITE_ROLE));
    json_object_set_new(m, "created_at", cell(r, row, DB_MEMBERS_INVITE_CREATED_AT));
    json_object_set_new(m, "expires_at", cell(r, row, DB_MEMBERS_INVITE_EXPIRES_AT));
    return m;
}

static void last_admin(struct http_res *res)
{
    http_res_error(res, APP_ERR_CONFLICT,
                   "this is the tenant's last admin: make another member admin first");
}

/* ------------------------------------------------------------------ list */

void members_list(const struct http_req *req, struct http_res *res)
{
    struct db_result *members = NULL, *invites = NULL;
    struct db_error err;
    long total = 0;
    const char *ns = tenant_of(req, res);
    if (ns == NULL)
        return;
    if (db_members_list(req->db, ns, &members, &invites, &total, &err) != 0) {
        http_res_db_error(res, &err, "list members");
        return;
    }
    /* A tenant has at least one member unless it has no user at all (a tenant made by an
     * operator) or no tenant row: only then is the tenant worth asking about. */
    if (db_result_rows(members) > 0 || !tenant_answer_if_missing(req, res, ns)) {
        json_t *list = json_array(), *pending = json_array();
        for (int i = 0; i < db_result_rows(members); i++)
            json_array_append_new(list, member_json(members, i));
        for (int i = 0; i < db_result_rows(invites); i++)
            json_array_append_new(pending, invite_json(invites, i));
        http_res_json(res, 200,
                      json_pack("{s:o, s:I, s:o}", "members", list, "total", (json_int_t)total,
                                "invites", pending));
    }
    db_result_free(members);
    db_result_free(invites);
}

/* ------------------------------------------------------------------ invite */

/* Reads {"email","role"}. Returns 0 with *email and *role borrowed from doc, or -1 with res set
 * (422 naming every bad field). */
static int read_invite(json_t *doc, const char **email, const char **role, struct http_res *res)
{
    json_t *e = json_object_get(doc, "email");
    if (e == NULL || json_is_null(e))
        http_res_field_error(res, "email", "is required");
    else if (!json_is_string(e) || json_string_length(e) > EMAIL_MAX ||
             strlen(json_string_value(e)) != json_string_length(e) ||
             !email_valid(json_string_value(e), json_string_length(e)))
        http_res_field_error(res, "email", "must be an address like name@example.com");
    else
        *email = json_string_value(e);
    (void)read_role(doc, role, res);
    return res->err == APP_OK ? 0 : -1;
}

/* 201 with the invite and its token, shown only now. */
static void invite_created(struct http_res *res, const struct db_result *row, const char *token)
{
    json_t *doc = invite_json(row, 0);
    json_object_set_new(doc, "invite_token", json_string(token));
    snprintf(res->location, sizeof res->location, "/api/v1/aam/members");
    http_res_json(res, 201, doc);
}

void members_invite(const struct http_req *req, struct http_res *res)
{
    char secret_token[SESSION_TOKEN_SIZE], hash[SESSION_HASH_SIZE];
    struct db_result *row = NULL;
    struct db_error err;
    enum db_members_outcome outcome = DB_MEMBERS_NO_TENANT;
    const char *email = NULL, *role = NULL;
    const char *ns = tenant_of(req, res);
    json_t *doc = NULL;

    secret_token[0] = '\0';
    if (ns == NULL || (doc = http_req_json_object(req, res)) == NULL)
        goto cleanup;
    if (read_invite(doc, &email, &role, res) != 0)
        goto cleanup;
    if (session_new_secret(secret_token) != 0) {
        log_error("invite: no random bytes from the kernel");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        goto cleanup;
    }
    session_hash(secret_token, SESSION_TOKEN_LEN, hash);
    if (db_members_invite(req->db, ns, email, role, hash, req->who->sub, MEMBERS_INVITE_TTL_S,
                          &outcome, &row, &err) != 0) {
        http_res_db_error(res, &err, "invite a member");
        goto cleanup;
    }
    if (outcome == DB_MEMBERS_NO_TENANT) {
        tenant_res_missing(res, ns);
    } else if (outcome == DB_MEMBERS_IS_MEMBER) {
        http_res_error(res, APP_ERR_CONFLICT, "that email is already a member of this tenant");
    } else {
        log_info("invited a member as %s", role);
        invite_created(res, row, secret_token);
    }
cleanup:
    OPENSSL_cleanse(secret_token, sizeof secret_token);
    db_result_free(row);
    json_decref(doc);
}

/* ------------------------------------------------------------------ change a role */

void members_patch(const struct http_req *req, struct http_res *res)
{
    struct db_result *row = NULL;
    struct db_error err;
    enum db_members_outcome outcome = DB_MEMBERS_NOT_FOUND;
    const char *role = NULL, *ns = tenant_of(req, res), *user = NULL;
    json_t *doc = NULL;

    if (ns == NULL || (user = route_user(req, res)) == NULL)
        return;
    if ((doc = http_req_json_object(req, res)) == NULL || read_role(doc, &role, res) != 0)
        goto cleanup;
    if (db_members_set_role(req->db, ns, user, role, &outcome, &row, &err) != 0) {
        http_res_db_error(res, &err, "change a role");
        goto cleanup;
    }
    if (outcome == DB_MEMBERS_LAST_ADMIN) {
        last_admin(res);
    } else if (outcome != DB_MEMBERS_DONE) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such member");
    } else {
        log_info("member %s is now %s (from the next refresh)", user, role);
        http_res_json(res, 200, member_json(row, 0));
    }
cleanup:
    db_result_free(row);
    json_decref(doc);
}

/* ------------------------------------------------------------------ remove */

void members_delete(const struct http_req *req, struct http_res *res)
{
    struct db_error err;
    enum db_members_outcome outcome = DB_MEMBERS_NOT_FOUND;
    const char *ns = tenant_of(req, res), *user = NULL;

    if (ns == NULL || (user = route_user(req, res)) == NULL)
        return;
    if (db_members_remove(req->db, ns, user, &outcome, &err) != 0) {
        http_res_db_error(res, &err, "remove a member");
        return;
    }
    if (outcome == DB_MEMBERS_LAST_ADMIN) {
        last_admin(res);
    } else if (outcome != DB_MEMBERS_DONE) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such member");
    } else {
        log_info("member %s removed; their sessions are revoked", user);
        res->status = 204;
    }
}
