/* handlers/token: POST /api/v1/auth/token, the OAuth2 token endpoint (RFC 6749: grant types
 * refresh_token and client_credentials, errors as its section 5.2 says), and
 * POST /api/v1/auth/logout. The request parsing is exported for the unit tests. */
#ifndef AAM_HANDLERS_TOKEN_H
#define AAM_HANDLERS_TOKEN_H

#include "server/http/http_model.h"

/* The parameters the endpoint knows (RFC 6749 4.4.2, 6, 2.3.1). Strings are malloc'd or NULL
 * when absent; token_input_free wipes and frees them. */
struct token_input {
    char *grant_type;
    char *refresh_token;
    char *client_id;
    char *client_secret;
    int basic; /* the client authenticated with HTTP Basic */
};

/* Reads the body (application/x-www-form-urlencoded, or a JSON object of strings) and HTTP
 * Basic client credentials. Returns 0, or -1 with res set: 415 problem+json for another
 * Content-Type, 400 invalid_request for a malformed body, a parameter given twice or two
 * client authentication methods, 401 invalid_client for unusable Basic credentials.
 * On -1, in still needs token_input_free. */
int token_parse(const struct http_req *req, struct token_input *in, struct http_res *res)
    __attribute__((warn_unused_result));

void token_input_free(struct token_input *in);

/* Sets res to an RFC 6749 5.2 error: {"error","error_description"} with status (400, or 401
 * with WWW-Authenticate: Basic). */
void token_oauth_error(struct http_res *res, int status, const char *error, const char *description);

void token_grant(const struct http_req *req, struct http_res *res);  /* POST /auth/token */
void token_logout(const struct http_req *req, struct http_res *res); /* POST /auth/logout */

#endif
