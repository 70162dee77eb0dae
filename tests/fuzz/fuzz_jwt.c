/* libFuzzer target: bearer-token verification (server/auth.c). The first input byte picks a
 * mode: even = the rest is an Authorization header value as a client could send it; odd = the
 * rest is a claims object that the harness signs with the real secret (with HS256, HS384,
 * HS512 or none, by the second byte), so mutations reach the claim checks that a signature
 * would otherwise shield. Invariants: no crash; an accepted token was HS256, its identity is
 * well-formed, and its claims satisfy every rule the verifier promises. */
#include <assert.h>
#include <jansson.h>
#include <jwt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "fuzz-secret-0123456789abcdef0123456789abcdef"
#define NOW 1700000000L

static void check_identity(const struct jwt_identity *id)
{
    assert(jwt_namespace_valid(id->ns));
    assert(id->sub[0] != '\0');
    assert(memchr(id->sub, '\0', sizeof id->sub) != NULL);
    assert(memchr(id->tenant_id, '\0', sizeof id->tenant_id) != NULL);
    assert(memchr(id->email, '\0', sizeof id->email) != NULL);
}

/* The claims of an accepted token, re-read independently with jansson. */
static void check_claims(const char *claims)
{
    json_t *doc = json_loads(claims, 0, NULL);
    assert(doc != NULL);
    assert(strcmp(json_string_value(json_object_get(doc, "iss")), JWT_ISSUER) == 0);
    json_t *exp = json_object_get(doc, "exp"), *nbf = json_object_get(doc, "nbf");
    assert(json_is_integer(exp) && json_integer_value(exp) > NOW - JWT_LEEWAY_S);
    assert(nbf == NULL || (json_is_integer(nbf) && json_integer_value(nbf) <= NOW + JWT_LEEWAY_S));
    json_decref(doc);
}

static void fuzz_header(const char *header)
{
    struct jwt_identity id;
    const char *why = NULL;
    if (jwt_verify_bearer(header, SECRET, strlen(SECRET), NOW, &id, &why) == 0)
        check_identity(&id);
    else
        assert(why != NULL);
}

static void fuzz_claims(jwt_alg_t alg, const char *claims)
{
    jwt_t *jwt = NULL;
    char *tok = NULL, *header = NULL;
    if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, claims) != 0)
        goto cleanup;
    if (jwt_set_alg(jwt, alg, alg == JWT_ALG_NONE ? NULL : (const unsigned char *)SECRET,
                    alg == JWT_ALG_NONE ? 0 : (int)strlen(SECRET)) != 0)
        goto cleanup;
    if ((tok = jwt_encode_str(jwt)) == NULL)
        goto cleanup;
    size_t n = strlen(tok) + 8;
    header = malloc(n);
    snprintf(header, n, "Bearer %s", tok);
    struct jwt_identity id;
    const char *why = NULL;
    if (jwt_verify_bearer(header, SECRET, strlen(SECRET), NOW, &id, &why) == 0) {
        assert(alg == JWT_ALG_HS256);
        check_identity(&id);
        check_claims(claims);
    }
cleanup:
    free(header);
    free(tok);
    jwt_free(jwt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const jwt_alg_t algs[] = {JWT_ALG_HS256, JWT_ALG_HS384, JWT_ALG_HS512, JWT_ALG_NONE};
    if (size < 2)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    if (data[0] % 2 == 0)
        fuzz_header(text);
    else
        fuzz_claims(algs[data[1] % 4], text);
    free(text);
    return 0;
}
