/* handlers/clients: GET/POST /api/v1/aam/clients and DELETE /api/v1/aam/clients/{id} (see
 * clients.h), each one call of db/clients.h in the token's namespace. A client secret is 256
 * random bits shown once in the 201 and stored as its SHA-256; it never reaches a log line. */
#include "server/handlers/clients.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/clients.h"
#include "db/db.h"
#include "server/core/access.h"
#include "server/core/log.h"
#include "server/core/session.h"
#include "server/handlers/tenant.h"
#include "util/utf8.h"

#define CLIENTS_NAME_MAX 200 /* characters, as `aam clients create --name` */

/* The token's namespace, or NULL after answering 401 (protected routes always have one). */
static const char *tenant_of(const struct http_req *req, struct http_res *res)
{
    if (req->who == NULL || req->who->ns[0] == '\0') {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a bearer token is required");
        return NULL;
    }
    return req->who->ns;
}

/* A space-separated scope list as a JSON array. New reference. */
static json_t *scopes_json(const char *text)
{
    json_t *a = json_array();
    while (text != NULL && *text != '\0') {
        size_t len = strcspn(text, " ");
        if (len > 0)
            json_array_append_new(a, json_stringn(text, len));
        text += len + (text[len] == ' ');
    }
    return a;
}

/* ------------------------------------------------------------------ list */

static void on_client(void *arg, const struct db_client_info *c)
{
    json_array_append_new(arg, json_pack("{s:s, s:s, s:o, s:s}", "client_id", c->id, "name",
                                         c->name, "scopes", scopes_json(c->scopes), "created_at",
                                         c->created_at ? c->created_at : ""));
}

void clients_list(const struct http_req *req, struct http_res *res)
{
    struct db_error err;
    const char *ns = tenant_of(req, res);
    if (ns == NULL)
        return;
    json_t *list = json_array();
    if (db_clients_list_tenant(req->db, ns, on_client, list, &err) != 0) {
        json_decref(list);
        http_res_db_error(res, &err, "list clients");
        return;
    }
    if (json_array_size(list) == 0 && tenant_answer_if_missing(req, res, ns)) {
        json_decref(list);
        return;
    }
    http_res_json(res, 200, json_pack("{s:o}", "clients", list));
}

/* ------------------------------------------------------------------ create */

/* Reads "name" (1-200 characters, displayable, not all blank) into *name. */
static void read_name(json_t *doc, const char **name, struct http_res *res)
{
    json_t *v = json_object_get(doc, "name");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    int blank = 1;
    if (v == NULL || json_is_null(v)) {
        http_res_field_error(res, "name", "is required");
        return;
    }
    for (size_t i = 0; s != NULL && i < len; i++)
        blank &= s[i] == ' ';
    if (s == NULL || len == 0 || blank || strlen(s) != len ||
        utf8_count(s, len) > CLIENTS_NAME_MAX) {
        http_res_field_error(res, "name", "must be 1 to 200 characters, not all blank");
        return;
    }
    if (!utf8_is_display_safe(s, len)) {
        http_res_field_error(res, "name",
                             "must not contain control or bidirectional formatting characters");
        return;
    }
    *name = s;
}

/* Reads "scopes" (absent or null: all five) into *bits. */
static void read_scopes(json_t *doc, unsigned *bits, struct http_res *res)
{
    json_t *v = json_object_get(doc, "scopes"), *s;
    size_t i;
    *bits = ACCESS_SCOPES_ALL;
    if (v == NULL || json_is_null(v))
        return;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        http_res_field_error(res, "scopes", "must be a non-empty list of scopes");
        return;
    }
    *bits = 0;
    json_array_foreach(v, i, s) {
        unsigned bit = json_is_string(s)
                           ? access_scope_bit(json_string_value(s), json_string_length(s))
                           : 0;
        if (bit == 0) {
            http_res_field_error(res, "scopes",
                                 "each must be one of connectors:read, connectors:write, "
                                 "connectors:check, events:read, webhooks:write");
            return;
        }
        *bits |= bit;
    }
}

void clients_create(const struct http_req *req, struct http_res *res)
{
    char id[SESSION_CLIENT_ID_NEW_SIZE], secret[SESSION_TOKEN_SIZE], hash[SESSION_HASH_SIZE];
    char scopes[ACCESS_SCOPES_TEXT_MAX];
    struct db_error err;
    enum db_outcome made = DB_OUTCOME_NO_TENANT;
    const char *name = NULL, *ns = tenant_of(req, res);
    unsigned bits = 0;
    json_t *doc = NULL;

    secret[0] = '\0';
    if (ns == NULL || (doc = http_req_json_object(req, res)) == NULL)
        goto cleanup;
    read_name(doc, &name, res);
    read_scopes(doc, &bits, res);
    if (res->err != APP_OK)
        goto cleanup;
    if (session_new_client_id(id, sizeof id) != 0 || session_new_secret(secret) != 0) {
        log_error("clients: no random bytes from the kernel");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        goto cleanup;
    }
    session_hash(secret, SESSION_TOKEN_LEN, hash);
    access_scopes_format(bits, scopes, sizeof scopes);
    if (db_clients_create(req->db, id, ns, name, scopes, hash, &made, &err) != 0) {
        http_res_db_error(res, &err, "create a client");
        goto cleanup;
    }
    if (made != DB_OUTCOME_CREATED) {
        tenant_res_missing(res, ns);
        goto cleanup;
    }
    log_info("client %s created (%s)", id, scopes);
    snprintf(res->location, sizeof res->location, "/api/v1/aam/clients");
    http_res_json(res, 201,
                  json_pack("{s:s, s:s, s:s, s:o}", "client_id", id, "client_secret", secret,
                            "name", name, "scopes", scopes_json(scopes)));
cleanup:
    OPENSSL_cleanse(secret, sizeof secret);
    json_decref(doc);
}

/* ------------------------------------------------------------------ delete */

void clients_delete(const struct http_req *req, struct http_res *res)
{
    struct db_error err;
    enum db_outcome done = DB_OUTCOME_UNCHANGED;
    const char *ns = tenant_of(req, res);
    const char *id = req->n_params > 0 ? req->params[0] : NULL;
    if (ns == NULL)
        return;
    if (id == NULL || !session_client_id_valid(id)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such client");
        return;
    }
    if (db_clients_delete_tenant(req->db, ns, id, &done, &err) != 0) {
        http_res_db_error(res, &err, "delete a client");
        return;
    }
    if (done != DB_OUTCOME_DELETED) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such client");
        return;
    }
    log_info("client %s deleted; its tokens already issued expire within their lifetime", id);
    res->status = 204;
}
