/* libFuzzer target: the token endpoint's request parsing (token_parse): a form or JSON body
 * plus an Authorization header (HTTP Basic client credentials: base64, then form-decoding).
 * Input layout: byte 0 picks the Content-Type (form, JSON, none, other); the bytes up to the
 * first '\n' are the Authorization header; the rest is the body. Checks, besides never a
 * crash or a leak: an accepted request holds NUL-free strings, Basic credentials only when a
 * Basic header was sent (then no body secret), and a refusal is 400/401 RFC 6749 JSON or 415. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/handlers/token.h"
#include "server/http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const TYPES[] = {"application/x-www-form-urlencoded", "application/json", NULL,
                                    "text/plain"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *ct = TYPES[data[0] % 4];
    const char *rest = (const char *)data + 1;
    size_t rest_len = size - 1;
    const char *nl = memchr(rest, '\n', rest_len);
    size_t hlen = nl != NULL ? (size_t)(nl - rest) : 0;
    char *authz = NULL;
    if (nl != NULL && memchr(rest, '\0', hlen) == NULL) {
        authz = malloc(hlen + 1);
        memcpy(authz, rest, hlen);
        authz[hlen] = '\0';
    }
    size_t boff = nl != NULL ? hlen + 1 : 0;
    char *body = malloc(rest_len - boff + 1);
    memcpy(body, rest + boff, rest_len - boff);
    body[rest_len - boff] = '\0';

    struct http_req req;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/api/v1/auth/token";
    req.content_type = ct;
    req.authorization = authz;
    req.body = body;
    req.body_len = rest_len - boff;
    struct http_res res = HTTP_RES_INIT;
    struct token_input in;

    if (token_parse(&req, &in, &res) == 0) {
        assert(res.err == APP_OK && res.body == NULL);
        const char *fields[] = {in.grant_type, in.refresh_token, in.client_id, in.client_secret};
        for (size_t i = 0; i < 4; i++)
            assert(fields[i] == NULL || strlen(fields[i]) <= req.body_len + hlen);
        if (in.basic) {
            assert(authz != NULL && strncasecmp(authz, "basic", 5) == 0);
            assert(in.client_id != NULL && in.client_secret != NULL);
        }
    } else if (res.err == APP_OK) {
        assert(res.status == 400 || res.status == 401);
        assert(res.body != NULL && strstr(res.body, "\"error\"") != NULL);
        assert((res.status == 401) == (res.www_authenticate != NULL));
    } else {
        assert(res.err == APP_ERR_UNSUPPORTED_MEDIA && ct != NULL && ct == TYPES[3]);
    }
    token_input_free(&in);
    http_res_free(&res);
    free(body);
    free(authz);
    return 0;
}
