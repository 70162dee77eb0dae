/* handlers/auth: POST /api/v1/auth/register, POST /api/v1/auth/login, GET /api/v1/auth/me.
 * The request bodies are read by auth_parse.c (limits there). Login answers unknown email and
 * wrong password with the same 401 after the same amount of hashing. */
#include "server/handlers/auth.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "db/db.h"
#include "db/tenants.h"
#include "db/users.h"
#include "server/core/jwt.h"
#include "server/core/config.h"
#include "server/handlers/auth_parse.h"
#include "server/core/log.h"
#include "server/core/password.h"
#include "server/core/session.h"
#include "server/core/throttle.h"

/* ------------------------------------------------------------------ shared responses */

/* Answers {"access_token","token_type","expires_in","refresh_token","user":{"id","email",
 * "namespace"}}; refresh may be NULL (then no refresh_token). */
static void respond_with_token(const struct http_req *req, struct http_res *res, int status,
                               const struct jwt_identity *id, const char *refresh)
{
    const struct cfg *cfg = req->cfg;
    long ttl = (long)cfg->jwt_ttl_s;
    char *token = jwt_mint(id, cfg->jwt_secret, cfg->jwt_secret_len, ttl, time(NULL));
    if (token == NULL) {
        log_error("could not mint a token");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    json_t *doc = json_pack("{s:s, s:s, s:I, s:{s:s, s:s, s:s}}", "access_token", token,
                            "token_type", "bearer", "expires_in", (json_int_t)ttl, "user", "id",
                            id->sub, "email", id->email, "namespace", id->ns);
    free(token);
    if (doc != NULL && refresh != NULL)
        json_object_set_new(doc, "refresh_token", json_string(refresh));
    if (doc == NULL) {
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    http_res_json(res, status, doc);
}

/* Copies a result cell into dst; returns -1 when it is NULL or does not fit. */
static int copy_cell(const struct db_result *r, int col, char *dst, size_t size)
{
    const char *v = db_result_get(r, 0, col);
    size_t len = db_result_len(r, 0, col);
    if (v == NULL || len >= size)
        return -1;
    memcpy(dst, v, len + 1);
    return 0;
}

/* ------------------------------------------------------------------ register */

static void report_register_conflict(struct http_res *res, const struct db_error *err)
{
    if (err->status == DB_ERR_UNIQUE && strcmp(err->constraint, "users_email_key") == 0)
        http_res_error(res, APP_ERR_CONFLICT, "that email is already registered");
    else if (err->status == DB_ERR_UNIQUE && strcmp(err->constraint, "tenants_pkey") == 0)
        http_res_error(res, APP_ERR_CONFLICT, "that namespace is already taken");
    else
        http_res_db_error(res, err, "register");
}

/* Counts the attempt against the client address before any hashing; returns 1 after answering
 * 429 (or the database's 503) when it must not go on. */
static int register_throttled(const struct http_req *req, struct http_res *res)
{
    struct db_error err;
    int retry_after = 0;
    if (throttle_register(req->db, req->client_ip, req->cfg->register_max_per_address, &retry_after,
                          &err) != 0) {
        http_res_db_error(res, &err, "register throttle");
        return 1;
    }
    if (retry_after == 0)
        return 0;
    log_info("register throttled from %s for %d s", req->client_ip ? req->client_ip : "?",
             retry_after);
    http_res_error(res, APP_ERR_TOO_MANY_REQUESTS,
                   "too many registrations from this address; try again in %d seconds",
                   retry_after);
    res->retry_after = retry_after;
    return 1;
}

/* Creates the tenant, its first user and their first session in one transaction
 * (db_users_register): a concurrent registration of the same email or namespace gets 409. */
void auth_register(const struct http_req *req, struct http_res *res)
{
    struct auth_input in;
    struct db_result *tenant = NULL, *user = NULL;
    struct db_error err;
    char hash[PASSWORD_HASH_SIZE];
    char refresh[SESSION_TOKEN_SIZE], refresh_hash[SESSION_HASH_SIZE];
    struct jwt_identity id;

    memset(&id, 0, sizeof id);
    refresh[0] = '\0';
    if (auth_parse_register(req, &in, res) != 0)
        goto cleanup;
    if (register_throttled(req, res))
        goto cleanup;
    if (session_new_secret(refresh) != 0) {
        log_error("register: no random bytes for a refresh token");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        goto cleanup;
    }
    session_hash(refresh, SESSION_TOKEN_LEN, refresh_hash);
    if (password_hash(in.password, in.password_len, hash, sizeof hash) != 0) {
        log_error("register: password hashing failed");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        goto cleanup;
    }
    const struct db_user_registration reg = {
        .ns = in.ns,
        .tenant_name = in.tenant_name[0] ? in.tenant_name : in.ns,
        .email = in.email,
        .password_hash = hash,
        .refresh_hash = refresh_hash,
        .refresh_ttl_s = req->cfg->refresh_ttl_s,
    };
    if (db_users_register(req->db, &reg, &tenant, &user, &err) != 0) {
        report_register_conflict(res, &err);
        goto cleanup;
    }
    snprintf(id.ns, sizeof id.ns, "%s", in.ns);
    if (copy_cell(tenant, 0, id.tenant_id, sizeof id.tenant_id) != 0 ||
        copy_cell(user, 0, id.sub, sizeof id.sub) != 0 ||
        copy_cell(user, 1, id.email, sizeof id.email) != 0) {
        log_error("register: unexpected result shape");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        goto cleanup;
    }
    log_info("registered tenant %s with its first user", id.ns);
    snprintf(res->location, sizeof res->location, "/api/v1/auth/me");
    respond_with_token(req, res, 201, &id, refresh);
cleanup:
    OPENSSL_cleanse(hash, sizeof hash);
    OPENSSL_cleanse(refresh, sizeof refresh);
    db_result_free(tenant);
    db_result_free(user);
    auth_input_free(&in);
}

/* ------------------------------------------------------------------ login */

struct login_user {
    int found;
    char id[64];
    char ns[64];
    char tenant_id[64]; /* "" when the tenant row is missing */
    char email[AUTH_EMAIL_MAX + 1];
    char hash[PASSWORD_HASH_SIZE]; /* "" when the stored one is too long to be ours */
};

static int load_login_user(struct db_pool *db, const char *email, struct login_user *u,
                           struct db_error *err)
{
    struct db_result *r = NULL;
    int ret = -1;

    memset(u, 0, sizeof *u);
    if (db_users_login_lookup(db, email, &r, err) != 0)
        goto cleanup;
    ret = 0;
    if (db_result_rows(r) != 1)
        goto cleanup;
    if (copy_cell(r, DB_USERS_LOGIN_ID, u->id, sizeof u->id) != 0 ||
        copy_cell(r, DB_USERS_LOGIN_NS, u->ns, sizeof u->ns) != 0 ||
        copy_cell(r, DB_USERS_LOGIN_EMAIL, u->email, sizeof u->email) != 0)
        goto cleanup; /* cannot happen with the schema's types; treated as no such user */
    if (copy_cell(r, DB_USERS_LOGIN_PASSWORD_HASH, u->hash, sizeof u->hash) != 0)
        u->hash[0] = '\0';
    if (copy_cell(r, DB_USERS_LOGIN_TENANT_ID, u->tenant_id, sizeof u->tenant_id) != 0)
        u->tenant_id[0] = '\0';
    u->found = 1;
cleanup:
    db_result_free(r);
    return ret;
}

/* Stores a hash with today's parameters, only if the stored one is still the one we verified
 * (db_users_set_password_hash). A failure costs nothing but a later retry. */
static void upgrade_hash(const struct http_req *req, const struct login_user *u,
                         const struct auth_input *in)
{
    char hash[PASSWORD_HASH_SIZE];
    struct db_error err;

    if (password_hash(in->password, in->password_len, hash, sizeof hash) != 0) {
        log_warn("login: could not re-hash a password with current parameters");
        return;
    }
    if (db_users_set_password_hash(req->db, u->ns, u->id, hash, u->hash, &err) != 0)
        log_warn("login: password hash upgrade failed: %s", err.message);
    else
        log_info("login: upgraded a password hash to %d iterations", PASSWORD_ITERATIONS);
    OPENSSL_cleanse(hash, sizeof hash);
}

/* Hashes exactly once whether or not the user exists. Returns 1 when the password is right. */
static int check_password(const struct login_user *u, const struct auth_input *in, int *needs_rehash)
{
    *needs_rehash = 0;
    if (!u->found) {
        password_burn(in->password, in->password_len);
        return 0;
    }
    enum password_check c = password_verify(in->password, in->password_len, u->hash, needs_rehash);
    if (c == PASSWORD_MALFORMED) {
        log_error("login: user %s has an unreadable password hash", u->id);
        password_burn(in->password, in->password_len);
    }
    return c == PASSWORD_MATCH;
}

/* The failure was counted when its slot was reserved, before hashing. */
static void on_login_failed(const struct http_req *req, const struct login_user *u,
                            struct http_res *res)
{
    log_info("login refused from %s: %s", req->client_ip ? req->client_ip : "?",
             u->found ? "wrong password" : "unknown email");
    /* The same words for both causes: the response must not tell which emails exist. */
    http_res_error(res, APP_ERR_UNAUTHORIZED, "invalid email or password");
}

static void on_login_ok(const struct http_req *req, const struct auth_input *in,
                        const struct login_user *u, int needs_rehash, struct http_res *res)
{
    struct db_error err;
    struct jwt_identity id;
    char refresh[SESSION_TOKEN_SIZE];
    if (throttle_release(req->db, "email", in->email, req->client_ip, 1, &err) != 0)
        log_warn("login: could not clear the failure count: %s", err.message);
    if (needs_rehash)
        upgrade_hash(req, u, in);
    memset(&id, 0, sizeof id);
    snprintf(id.sub, sizeof id.sub, "%s", u->id);
    snprintf(id.ns, sizeof id.ns, "%s", u->ns);
    snprintf(id.tenant_id, sizeof id.tenant_id, "%s", u->tenant_id);
    snprintf(id.email, sizeof id.email, "%s", u->email);
    /* The session's refresh token; without it the login would succeed but could not be kept
     * alive or ended, so a failure here fails the login (503 while the database is away). */
    if (session_issue(req->db, u->ns, u->id, req->cfg->refresh_ttl_s, refresh, &err) != 0) {
        http_res_db_error(res, &err, "login: refresh token");
        return;
    }
    respond_with_token(req, res, 200, &id, refresh);
    OPENSSL_cleanse(refresh, sizeof refresh);
}

/* A failure slot is reserved before any hashing, so a locked-out email or address costs one
 * cheap query and parallel guesses cannot outrun the count; a success gives the slot back. */
void auth_login(const struct http_req *req, struct http_res *res)
{
    struct auth_input in;
    struct login_user u;
    struct db_error err;
    const struct cfg *cfg = req->cfg;
    int retry_after = 0, needs_rehash = 0;

    memset(&u, 0, sizeof u);
    if (auth_parse_login(req, &in, res) != 0)
        goto cleanup;
    const struct throttle_limits limits = {.max_subject = cfg->login_max_failures,
                                           .max_addr = cfg->login_max_failures_per_address,
                                           .window_s = cfg->login_window_s};
    if (throttle_reserve(req->db, "email", in.email, req->client_ip, &limits, &retry_after, &err) !=
        0) {
        http_res_db_error(res, &err, "login throttle");
        goto cleanup;
    }
    if (retry_after > 0) {
        log_info("login throttled from %s for %d s", req->client_ip ? req->client_ip : "?",
                 retry_after);
        http_res_error(res, APP_ERR_TOO_MANY_REQUESTS,
                       "too many failed logins; try again in %d seconds", retry_after);
        res->retry_after = retry_after;
        goto cleanup;
    }
    if (load_login_user(req->db, in.email, &u, &err) != 0) {
        http_res_db_error(res, &err, "login");
        goto cleanup;
    }
    if (check_password(&u, &in, &needs_rehash))
        on_login_ok(req, &in, &u, needs_rehash, res);
    else
        on_login_failed(req, &u, res);
cleanup:
    OPENSSL_cleanse(u.hash, sizeof u.hash);
    auth_input_free(&in);
}

/* ------------------------------------------------------------------ me */

/* Identity from the verified token; tenant_id from the tenants table, read in the token's
 * namespace (null when no tenant row exists, as for a service token minted by `aam token`). */
void auth_me(const struct http_req *req, struct http_res *res)
{
    char tenant_id[64];
    struct db_error err;
    const struct jwt_identity *who = req->who;

    if (who == NULL) {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a valid bearer token is required");
        return;
    }
    if (db_tenants_id(req->db, who->ns, tenant_id, sizeof tenant_id, &err) != 0) {
        http_res_db_error(res, &err, "read tenant");
        return;
    }
    json_t *doc = json_pack("{s:s, s:o, s:s, s:o}", "id", who->sub, "email",
                            who->email[0] ? json_string(who->email) : json_null(), "namespace",
                            who->ns, "tenant_id",
                            tenant_id[0] ? json_string(tenant_id) : json_null());
    if (doc == NULL) {
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    http_res_json(res, 200, doc);
}
