/* handlers/auth_parse: the input side of register and login, apart from the handlers so unit
 * tests can drive it without a database: body decoding (JSON, or the form OAuth2 password
 * clients send to login), field validation with 422 field errors. Emails are kept as sent:
 * PostgreSQL's lower() is their one normalisation; register checks their shape with
 * email_valid (server/core/email.h), the rule `aam seed` applies too. */
#ifndef AAM_HANDLERS_AUTH_PARSE_H
#define AAM_HANDLERS_AUTH_PARSE_H

#include <stddef.h>

#include "server/core/email.h"
#include "server/http/http_model.h"

#define AUTH_EMAIL_MAX EMAIL_MAX /* server/core/email.h */
#define AUTH_TENANT_NAME_MAX 200 /* characters (code points) */

struct auth_input {
    char email[AUTH_EMAIL_MAX + 1];                 /* as sent; SQL applies lower() */
    char ns[64];                                    /* register only */
    char tenant_name[AUTH_TENANT_NAME_MAX * 4 + 1]; /* register only; "" = use ns */
    char invite_token[64]; /* accept-invite only; a secret: auth_input_free wipes it */
    char *password;        /* malloc'd copy; auth_input_free wipes and frees it */
    size_t password_len;   /* bytes; the password may contain any byte but NUL */
};

/* Reads a login: JSON {"email","password"}, or application/x-www-form-urlencoded with
 * username (or email) and password. Checks presence, types and lengths only (any stored
 * password, even one shorter than today's minimum, can log in). Returns 0 with *out filled,
 * or -1 with res set to 400/415/422. On -1, *out still needs auth_input_free. */
int auth_parse_login(const struct http_req *req, struct auth_input *out, struct http_res *res)
    __attribute__((warn_unused_result));

/* Reads a registration: JSON {"email","password","namespace","tenant_name"?}. Every field
 * is validated and every problem reported in one 422. Returns 0, or -1 with res set.
 * On -1, *out still needs auth_input_free. */
int auth_parse_register(const struct http_req *req, struct auth_input *out, struct http_res *res)
    __attribute__((warn_unused_result));

/* Reads an acceptance: JSON {"invite_token","password"}; the password follows register's
 * rules. Returns 0, or -1 with res set (400/415/422). On -1, *out still needs
 * auth_input_free. */
int auth_parse_accept_invite(const struct http_req *req, struct auth_input *out,
                             struct http_res *res) __attribute__((warn_unused_result));

/* Wipes the invite token, wipes and frees the password; NULL-safe, safe to call twice. */
void auth_input_free(struct auth_input *in);

#endif
