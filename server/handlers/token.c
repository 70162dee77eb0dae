/* handlers/token: the OAuth2 token endpoint (RFC 6749) and logout.
 * POST /api/v1/auth/token takes a form (the RFC's encoding) or a JSON object of strings:
 * - grant_type=refresh_token: rotation with reuse detection (server/session.c);
 * - grant_type=client_credentials: a service client's id and secret, from HTTP Basic (2.3.1:
 *   form-encoded, then base64) or the body, never both -> an access token of its namespace.
 * Its own errors are RFC 6749 5.2 JSON {"error","error_description"}: 400, or 401 with
 * WWW-Authenticate: Basic for invalid_client. What every route can answer (413, 415, 429, 503)
 * stays problem+json. The endpoint is public and runs on the hashing lane like login: anonymous
 * traffic stays off the database lane. Its failures count against the client address in the
 * login throttle's table (the per-email budget does not apply: a refresh token or a client id
 * names nobody a guesser could lock out, and their secrets are 256-bit).
 * POST /api/v1/auth/logout (bearer) revokes one refresh-token family of the caller, or all. */
#include "server/handlers/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "db/db.h"
#include "server/core/jwt.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/http/path.h"
#include "server/core/session.h"
#include "server/core/throttle.h"
#include "util/base64.h"
#include "util/xalloc.h"

#define TOKEN_BASIC_CHALLENGE "Basic realm=\"aam\", charset=\"UTF-8\""

/* ------------------------------------------------------------------ parsing */

static void free_wiped(char **p)
{
    if (*p != NULL) {
        OPENSSL_cleanse(*p, strlen(*p));
        free(*p);
        *p = NULL;
    }
}

void token_input_free(struct token_input *in)
{
    if (in == NULL)
        return;
    free_wiped(&in->grant_type);
    free_wiped(&in->refresh_token);
    free_wiped(&in->client_id);
    free_wiped(&in->client_secret);
}

void token_oauth_error(struct http_res *res, int status, const char *error, const char *description)
{
    json_t *doc = json_pack("{s:s, s:s}", "error", error, "error_description", description);
    if (doc == NULL) {
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    json_decref(res->errors);
    res->errors = NULL;
    http_res_json(res, status, doc);
    res->www_authenticate = status == 401 ? TOKEN_BASIC_CHALLENGE : NULL;
}

/* The slot for a known parameter name, or NULL for one the endpoint ignores (RFC 6749 3.2:
 * unrecognised parameters are ignored; scope is one, as no scopes exist here). */
static char **slot_for(struct token_input *in, const char *name)
{
    if (strcmp(name, "grant_type") == 0)
        return &in->grant_type;
    if (strcmp(name, "refresh_token") == 0)
        return &in->refresh_token;
    if (strcmp(name, "client_id") == 0)
        return &in->client_id;
    if (strcmp(name, "client_secret") == 0)
        return &in->client_secret;
    return NULL;
}

/* Stores value (taken) under name. Returns -1 with res set when the name came before. */
static int store(struct token_input *in, const char *name, char *value, struct http_res *res)
{
    char **slot = slot_for(in, name);
    if (slot == NULL) {
        free_wiped(&value);
        return 0;
    }
    if (*slot != NULL) {
        free_wiped(&value);
        char d[96];
        snprintf(d, sizeof d, "%s is given more than once", name);
        token_oauth_error(res, 400, "invalid_request", d);
        return -1;
    }
    *slot = value;
    return 0;
}

static int parse_form(const struct http_req *req, struct token_input *in, struct http_res *res)
{
    const char *p = req->body, *end = req->body + req->body_len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t len = amp != NULL ? (size_t)(amp - p) : (size_t)(end - p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t nlen = eq != NULL ? (size_t)(eq - p) : len;
            char *name = path_decode_component(p, nlen);
            char *value = path_decode_component(eq != NULL ? eq + 1 : p + len,
                                                eq != NULL ? len - nlen - 1 : 0);
            int rc = 0;
            if (name == NULL || value == NULL || memchr(p, '\0', len) != NULL) {
                free_wiped(&value);
                token_oauth_error(res, 400, "invalid_request",
                                  "the form body has a malformed escape");
                rc = -1;
            } else {
                rc = store(in, name, value, res);
            }
            free(name);
            if (rc != 0)
                return -1;
        }
        p += len + 1;
    }
    return 0;
}

static int parse_json(const struct http_req *req, struct token_input *in, struct http_res *res)
{
    json_error_t jerr;
    const char *name;
    json_t *v;
    int ret = -1;
    if (req->body_len == 0)
        return 0; /* no parameters: "grant_type is required" follows */
    json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL || !json_is_object(doc)) {
        token_oauth_error(res, 400, "invalid_request",
                          "the body must be a form or a JSON object, each name once");
        goto cleanup;
    }
    json_object_foreach(doc, name, v) {
        if (slot_for(in, name) == NULL)
            continue;
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
            char d[96];
            snprintf(d, sizeof d, "%s must be a string", name);
            token_oauth_error(res, 400, "invalid_request", d);
            goto cleanup;
        }
        if (store(in, name, xstrdup(json_string_value(v)), res) != 0)
            goto cleanup;
    }
    ret = 0;
cleanup:
    json_decref(doc);
    return ret;
}

/* Client credentials from "Authorization: Basic ...". Returns 0 (also when the header is
 * absent or another scheme), or -1 with res set to invalid_client. */
static int parse_basic(const struct http_req *req, struct token_input *in, struct http_res *res)
{
    const char *h = req->authorization;
    unsigned char raw[512];
    int ret = -1;
    if (h == NULL || strncasecmp(h, "Basic", 5) != 0 || (h[5] != ' ' && h[5] != '\t'))
        return 0;
    h += 6;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t n = 0;
    int bad = base64_decode(h, strlen(h), raw, sizeof raw - 1, &n) != 0;
    const unsigned char *colon = bad ? NULL : memchr(raw, ':', n);
    if (colon == NULL || memchr(raw, '\0', n) != NULL) {
        token_oauth_error(res, 401, "invalid_client", "the Basic credentials are malformed");
        goto cleanup;
    }
    raw[n] = '\0';
    size_t idlen = (size_t)(colon - raw);
    /* RFC 6749 2.3.1: id and secret were form-encoded before base64; decoding is harmless for
     * clients that skipped it, since ids and secrets use only unreserved characters. */
    in->client_id = path_decode_component((const char *)raw, idlen);
    in->client_secret = path_decode_component((const char *)colon + 1, (size_t)n - idlen - 1);
    if (in->client_id == NULL || in->client_secret == NULL) {
        token_oauth_error(res, 401, "invalid_client", "the Basic credentials are malformed");
        goto cleanup;
    }
    in->basic = 1;
    ret = 0;
cleanup:
    OPENSSL_cleanse(raw, sizeof raw);
    return ret;
}

int token_parse(const struct http_req *req, struct token_input *in, struct http_res *res)
{
    struct token_input body;
    memset(in, 0, sizeof *in);
    memset(&body, 0, sizeof body);
    int ret = -1;

    if (http_content_type_is(req->content_type, "application/x-www-form-urlencoded")) {
        if (parse_form(req, &body, res) != 0)
            goto cleanup;
    } else if (req->content_type == NULL ||
               http_content_type_is(req->content_type, "application/json")) {
        if (parse_json(req, &body, res) != 0)
            goto cleanup;
    } else {
        http_res_error(res, APP_ERR_UNSUPPORTED_MEDIA,
                       "send application/x-www-form-urlencoded (or application/json)");
        goto cleanup;
    }
    if (parse_basic(req, in, res) != 0)
        goto cleanup;
    if (in->basic && (body.client_secret != NULL ||
                      (body.client_id != NULL && strcmp(body.client_id, in->client_id) != 0))) {
        token_oauth_error(res, 400, "invalid_request",
                          "use one client authentication method: HTTP Basic or the body");
        goto cleanup;
    }
    in->grant_type = body.grant_type, body.grant_type = NULL;
    in->refresh_token = body.refresh_token, body.refresh_token = NULL;
    if (!in->basic) {
        in->client_id = body.client_id, body.client_id = NULL;
        in->client_secret = body.client_secret, body.client_secret = NULL;
    }
    ret = 0;
cleanup:
    token_input_free(&body);
    return ret;
}

/* ------------------------------------------------------------------ grants */

/* Takes a failure slot in the login throttle before any secret is checked, keyed
 * "token:<client address>" and the address itself, both as throttle_addr_key counts it (an
 * IPv6 client by its /64): token-endpoint failures are budgeted per address only (see the
 * header comment), and N parallel guesses take N slots. A success gives the slot back
 * (give_back). Returns 1 when res now holds an answer (429, or 503 when the database is
 * down). */
static int throttled(const struct http_req *req, struct http_res *res)
{
    const struct cfg *cfg = req->cfg;
    struct db_error err;
    char key[THROTTLE_ADDR_KEY_SIZE];
    int retry_after = 0;
    throttle_addr_key(req->client_ip, key, sizeof key);
    /* the key is already per address: both limits are the per-address one */
    const struct throttle_limits limits = {.max_subject = cfg->login_max_failures_per_address,
                                           .max_addr = cfg->login_max_failures_per_address,
                                           .window_s = cfg->login_window_s};
    if (throttle_reserve(req->db, "token", key, req->client_ip, &limits, &retry_after, &err) != 0) {
        http_res_db_error(res, &err, "token throttle");
        return 1;
    }
    if (retry_after > 0) {
        log_info("token endpoint throttled for %d s", retry_after);
        http_res_error(res, APP_ERR_TOO_MANY_REQUESTS,
                       "too many failed attempts; try again in %d seconds", retry_after);
        res->retry_after = retry_after;
        return 1;
    }
    return 0;
}

/* After a success: the slot throttled() took is given back (the earlier failures stay). */
static void give_back(const struct http_req *req)
{
    struct db_error err;
    char key[THROTTLE_ADDR_KEY_SIZE];
    throttle_addr_key(req->client_ip, key, sizeof key);
    if (throttle_release(req->db, "token", key, req->client_ip, 0, &err) != 0)
        log_warn("token: could not give back a throttle slot: %s", err.message);
}

/* 200 {"access_token","token_type","expires_in"[,"refresh_token","user"]} (RFC 6749 5.1). */
static void respond(const struct http_req *req, struct http_res *res,
                    const struct jwt_identity *who, const char *refresh)
{
    long ttl = (long)req->cfg->jwt_ttl_s;
    char *token = jwt_mint(who, req->cfg->jwt_secret, req->cfg->jwt_secret_len, ttl, time(NULL));
    if (token == NULL) {
        log_error("token: could not mint an access token");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    json_t *doc = json_pack("{s:s, s:s, s:I}", "access_token", token, "token_type", "bearer",
                            "expires_in", (json_int_t)ttl);
    OPENSSL_cleanse(token, strlen(token));
    free(token);
    if (doc != NULL && refresh != NULL) {
        json_object_set_new(doc, "refresh_token", json_string(refresh));
        json_object_set_new(doc, "user",
                            json_pack("{s:s, s:s, s:s}", "id", who->sub, "email", who->email,
                                      "namespace", who->ns));
    }
    if (doc == NULL) {
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return;
    }
    http_res_json(res, 200, doc);
}

static void grant_refresh(const struct http_req *req, const struct token_input *in,
                          struct http_res *res)
{
    static const char INVALID[] = "the refresh token is invalid, expired or revoked";
    struct jwt_identity who;
    struct db_error err;
    char next[SESSION_TOKEN_SIZE];
    enum session_outcome outcome = SESSION_INVALID;

    if (in->refresh_token == NULL || in->refresh_token[0] == '\0') {
        token_oauth_error(res, 400, "invalid_request", "refresh_token is required");
        return;
    }
    if (throttled(req, res))
        return;
    if (!session_token_shaped(in->refresh_token)) {
        token_oauth_error(res, 400, "invalid_grant", INVALID);
        return;
    }
    if (session_rotate(req->db, in->refresh_token, req->cfg->refresh_ttl_s, &who, next, &outcome,
                       &err) != 0) {
        http_res_db_error(res, &err, "refresh");
        return;
    }
    if (outcome == SESSION_ROTATED) {
        log_set_context(req->request_id, who.ns);
        log_info("refresh token rotated");
        give_back(req);
        respond(req, res, &who, next);
        OPENSSL_cleanse(next, sizeof next);
        return;
    }
    if (outcome == SESSION_REUSED)
        log_warn("a spent refresh token was presented again from %s: its family is revoked",
                 req->client_ip ? req->client_ip : "?");
    token_oauth_error(res, 400, "invalid_grant", INVALID);
}

static void grant_client(const struct http_req *req, const struct token_input *in,
                         struct http_res *res)
{
    struct jwt_identity who;
    struct db_error err;
    int ok = 0;

    if (in->client_id == NULL || in->client_secret == NULL) {
        token_oauth_error(res, 401, "invalid_client",
                          "client_id and client_secret are required (HTTP Basic or the body)");
        return;
    }
    if (throttled(req, res))
        return;
    if (session_client_check(req->db, in->client_id, in->client_secret, &who, &ok, &err) != 0) {
        http_res_db_error(res, &err, "client credentials");
        return;
    }
    if (!ok) {
        log_info("client authentication failed from %s", req->client_ip ? req->client_ip : "?");
        token_oauth_error(res, 401, "invalid_client", "unknown client or wrong secret");
        return;
    }
    log_set_context(req->request_id, who.ns);
    log_info("client %s authenticated", who.sub);
    give_back(req);
    respond(req, res, &who, NULL);
}

void token_grant(const struct http_req *req, struct http_res *res)
{
    struct token_input in;
    if (token_parse(req, &in, res) != 0)
        goto cleanup;
    if (in.grant_type == NULL || in.grant_type[0] == '\0')
        token_oauth_error(res, 400, "invalid_request", "grant_type is required");
    else if (strcmp(in.grant_type, "refresh_token") == 0)
        grant_refresh(req, &in, res);
    else if (strcmp(in.grant_type, "client_credentials") == 0)
        grant_client(req, &in, res);
    else
        token_oauth_error(res, 400, "unsupported_grant_type",
                          "grant_type must be refresh_token or client_credentials");
cleanup:
    token_input_free(&in);
}

/* ------------------------------------------------------------------ logout */

void token_logout(const struct http_req *req, struct http_res *res)
{
    const struct jwt_identity *who = req->who;
    struct db_error err;
    long revoked = 0;
    json_t *doc = NULL;

    if (who == NULL) {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a valid bearer token is required");
        return;
    }
    doc = http_req_json_object(req, res);
    if (doc == NULL)
        return;
    json_t *all = json_object_get(doc, "all"), *tok = json_object_get(doc, "refresh_token");
    if (all != NULL && !json_is_boolean(all))
        http_res_field_error(res, "all", "must be true or false");
    if (tok != NULL && !json_is_string(tok))
        http_res_field_error(res, "refresh_token", "must be a string");
    if (res->err == APP_OK && !json_is_true(all) && tok == NULL)
        http_res_field_error(res, "refresh_token", "is required unless all is true");
    if (res->err != APP_OK)
        goto cleanup;
    /* A token of someone else, or one that is not ours at all, revokes nothing and answers the
     * same 204: logout must not tell which tokens exist. */
    if (session_revoke(req->db, who->ns, who->sub, tok ? json_string_value(tok) : NULL,
                       json_is_true(all), &revoked, &err) != 0) {
        http_res_db_error(res, &err, "logout");
        goto cleanup;
    }
    log_info("logout%s: %ld refresh tokens revoked", json_is_true(all) ? " (all sessions)" : "",
             revoked);
    res->status = 204;
cleanup:
    json_decref(doc);
}
