/* handlers/auth_parse: the bodies of register and login (see auth_parse.h).
 * Limits: email <= 254 bytes (RFC 5321); password 8 characters minimum at registration (NIST
 * SP 800-63B) and 1024 bytes maximum everywhere (bounds the work; no real password is longer);
 * namespace ^[a-z0-9][a-z0-9_-]{0,62}$; tenant_name 1-200 characters. */
#include "server/handlers/auth_parse.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "server/core/email.h"
#include "server/core/jwt.h"
#include "server/core/password.h"
#include "server/http/path.h"
#include "util/utf8.h"
#include "util/xalloc.h"

void auth_input_free(struct auth_input *in)
{
    if (in == NULL)
        return;
    OPENSSL_cleanse(in->invite_token, sizeof in->invite_token);
    if (in->password == NULL)
        return;
    OPENSSL_cleanse(in->password, in->password_len);
    free(in->password);
    in->password = NULL;
    in->password_len = 0;
}

/* Reads obj[name] as a string. Returns 0 with *s = NULL when absent or null, or -1 after
 * adding a field error when it has another type. */
static int get_string(json_t *obj, const char *name, const char **s, size_t *len,
                      struct http_res *res)
{
    json_t *v = json_object_get(obj, name);
    *s = NULL;
    *len = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        http_res_field_error(res, name, "must be a string");
        return -1;
    }
    *s = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

/* The checks login and register share: email present and short enough, password present and
 * at most PASSWORD_MAX_LEN bytes. Adds field errors; stores copies in *out. */
static void take_credentials(const char *efield, const char *email, size_t elen, const char *pw,
                             size_t pwlen, struct auth_input *out, struct http_res *res)
{
    if (email == NULL || elen == 0)
        http_res_field_error(res, efield, "is required");
    else if (elen > AUTH_EMAIL_MAX || memchr(email, '\0', elen) != NULL)
        http_res_field_error(res, efield, "must be at most 254 bytes");
    else if (!utf8_valid(email, elen))
        http_res_field_error(res, efield, "must be UTF-8 text");
    else {
        /* Kept as sent: the one normalisation is PostgreSQL's lower(), applied by every
         * statement that stores, finds or throttles an email (see server/throttle.h). */
        memcpy(out->email, email, elen);
        out->email[elen] = '\0';
    }
    if (pw == NULL || pwlen == 0)
        http_res_field_error(res, "password", "is required");
    else if (pwlen > PASSWORD_MAX_LEN)
        http_res_field_error(res, "password", "must be at most 1024 bytes");
    else if (!utf8_valid(pw, pwlen))
        http_res_field_error(res, "password", "must be UTF-8 text");
    else {
        out->password = xstrndup(pw, pwlen);
        out->password_len = pwlen;
    }
}

/* Stores a decoded form value in *slot, refusing a second copy of the same field (which of
 * two passwords a client meant is not ours to guess). Takes ownership of value. */
static void form_store(char **slot, char *value, const char *field, struct http_res *res)
{
    if (*slot != NULL) {
        http_res_field_error(res, field, "given more than once");
        free(value);
        return;
    }
    *slot = value;
}

/* Decodes one "name=value" pair of a form body into the fields login knows; others (an OAuth2
 * client's grant_type, scope, client_id) are ignored. Returns -1 on a bad escape. */
static int form_pair(const char *p, size_t len, char **user, const char **user_field, char **pw,
                     struct http_res *res)
{
    const char *eq = memchr(p, '=', len);
    size_t nlen = eq != NULL ? (size_t)(eq - p) : len;
    char *name = path_decode_component(p, nlen);
    char *value = eq != NULL ? path_decode_component(eq + 1, len - nlen - 1) : xstrdup("");
    int ret = -1;
    if (name == NULL || value == NULL)
        goto cleanup;
    if (strcmp(name, "username") == 0 || strcmp(name, "email") == 0) {
        *user_field = strcmp(name, "email") == 0 ? "email" : "username";
        form_store(user, value, *user_field, res);
        value = NULL;
    } else if (strcmp(name, "password") == 0) {
        form_store(pw, value, "password", res);
        value = NULL;
    }
    ret = 0;
cleanup:
    free(name);
    if (value != NULL)
        OPENSSL_cleanse(value, strlen(value));
    free(value);
    return ret;
}

static int parse_login_form(const struct http_req *req, struct auth_input *out, struct http_res *res)
{
    char *user = NULL, *pw = NULL;
    const char *user_field = "username";
    const char *p = req->body, *end = req->body + req->body_len;
    int ret = -1;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t len = amp != NULL ? (size_t)(amp - p) : (size_t)(end - p);
        if (len > 0 && form_pair(p, len, &user, &user_field, &pw, res) != 0) {
            json_decref(res->errors); /* a 400 carries no field errors found before it */
            res->errors = NULL;
            http_res_error(res, APP_ERR_BAD_REQUEST, "the form body has a malformed escape");
            goto cleanup;
        }
        p += len + 1;
    }
    if (res->err != APP_OK)
        goto cleanup;
    take_credentials(user_field, user, user ? strlen(user) : 0, pw, pw ? strlen(pw) : 0, out, res);
    ret = res->err == APP_OK ? 0 : -1;
cleanup:
    free(user);
    if (pw != NULL)
        OPENSSL_cleanse(pw, strlen(pw));
    free(pw);
    return ret;
}

int auth_parse_login(const struct http_req *req, struct auth_input *out, struct http_res *res)
{
    memset(out, 0, sizeof *out);
    if (http_content_type_is(req->content_type, "application/x-www-form-urlencoded"))
        return parse_login_form(req, out, res);

    json_t *doc = http_req_json_object(req, res);
    if (doc == NULL)
        return -1;
    const char *email, *pw;
    size_t elen, pwlen;
    int bad = get_string(doc, "email", &email, &elen, res);
    bad |= get_string(doc, "password", &pw, &pwlen, res);
    if (bad == 0)
        take_credentials("email", email, elen, pw, pwlen, out, res);
    json_decref(doc);
    return res->err == APP_OK ? 0 : -1;
}

static void check_tenant_name(const char *name, size_t len, struct auth_input *out,
                              struct http_res *res)
{
    size_t chars = utf8_count(name, len); /* characters: jansson checked the UTF-8 */
    int blank = 1;
    if (!utf8_is_display_safe(name, len)) {
        http_res_field_error(res, "tenant_name",
                             "must not contain control or bidirectional formatting characters");
        return;
    }
    for (size_t i = 0; i < len; i++)
        blank &= name[i] == ' ';
    if (len == 0 || blank || chars > AUTH_TENANT_NAME_MAX) {
        http_res_field_error(res, "tenant_name", "must be 1 to 200 characters, not all blank");
        return;
    }
    memcpy(out->tenant_name, name, len + 1);
}

int auth_parse_register(const struct http_req *req, struct auth_input *out, struct http_res *res)
{
    memset(out, 0, sizeof *out);
    json_t *doc = http_req_json_object(req, res);
    if (doc == NULL)
        return -1;
    const char *email, *pw, *ns, *tname;
    size_t elen, pwlen, nslen, tlen;
    int bad_email = get_string(doc, "email", &email, &elen, res);
    int bad_pw = get_string(doc, "password", &pw, &pwlen, res);
    if (bad_email == 0 && bad_pw == 0) {
        take_credentials("email", email, elen, pw, pwlen, out, res);
        if (out->email[0] != '\0' && !email_valid(out->email, elen))
            http_res_field_error(res, "email", "must be an address like name@example.com");
        if (out->password != NULL && utf8_count(pw, pwlen) < PASSWORD_MIN_LEN)
            http_res_field_error(res, "password", "must be at least 8 characters");
    }
    if (get_string(doc, "namespace", &ns, &nslen, res) == 0) {
        if (ns == NULL)
            http_res_field_error(res, "namespace", "is required");
        else if (nslen != strlen(ns) || !jwt_namespace_valid(ns))
            http_res_field_error(res, "namespace",
                                 "must match ^[a-z0-9][a-z0-9_-]{0,62}$ (lower case)");
        else
            memcpy(out->ns, ns, nslen + 1);
    }
    if (get_string(doc, "tenant_name", &tname, &tlen, res) == 0 && tname != NULL)
        check_tenant_name(tname, tlen, out, res);
    json_decref(doc);
    return res->err == APP_OK ? 0 : -1;
}

/* The password rule register applies: present, UTF-8, 8 characters to 1024 bytes. Stores a
 * copy in out. */
static void take_new_password(const char *pw, size_t pwlen, struct auth_input *out,
                              struct http_res *res)
{
    if (pw == NULL || pwlen == 0)
        http_res_field_error(res, "password", "is required");
    else if (pwlen > PASSWORD_MAX_LEN)
        http_res_field_error(res, "password", "must be at most 1024 bytes");
    else if (!utf8_valid(pw, pwlen) || memchr(pw, '\0', pwlen) != NULL)
        http_res_field_error(res, "password", "must be UTF-8 text");
    else if (utf8_count(pw, pwlen) < PASSWORD_MIN_LEN)
        http_res_field_error(res, "password", "must be at least 8 characters");
    else {
        out->password = xstrndup(pw, pwlen);
        out->password_len = pwlen;
    }
}

int auth_parse_accept_invite(const struct http_req *req, struct auth_input *out,
                             struct http_res *res)
{
    memset(out, 0, sizeof *out);
    json_t *doc = http_req_json_object(req, res);
    if (doc == NULL)
        return -1;
    const char *tok, *pw;
    size_t tlen, pwlen;
    if (get_string(doc, "invite_token", &tok, &tlen, res) == 0) {
        if (tok == NULL || tlen == 0)
            http_res_field_error(res, "invite_token", "is required");
        else if (tlen >= sizeof out->invite_token || memchr(tok, '\0', tlen) != NULL)
            http_res_field_error(res, "invite_token", "is not an invite token");
        else
            memcpy(out->invite_token, tok, tlen + 1);
    }
    if (get_string(doc, "password", &pw, &pwlen, res) == 0)
        take_new_password(pw, pwlen, out, res);
    json_decref(doc);
    return res->err == APP_OK ? 0 : -1;
}
