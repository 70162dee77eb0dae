/* jwt: mints and verifies the service's HS256 JWTs with libjwt 1.10. libjwt checks the
 * signature only; every other rule (algorithm pinning, iss, exp/nbf/iat, sub, namespace) is
 * enforced here, because 1.10 has no claim validation and accepts an HS384/HS512 token
 * signed with the same secret. Verification runs on every protected request, so it copies
 * claims into fixed buffers, allocates nothing beyond libjwt's own parse, and remembers the
 * tokens that passed (jwt_memo.h) so that a client's next request skips the parse. */
#include "server/core/jwt.h"

#include <errno.h>
#include <jwt.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/core/jwt_memo.h"

/* A token is a few hundred bytes; anything this long is not ours and is refused before
 * libjwt base64-decodes and parses it. */
#define AUTH_MAX_TOKEN_LEN 4096

int jwt_namespace_valid(const char *ns)
{
    if (ns == NULL)
        return 0;
    size_t i = 0;
    for (; ns[i] != '\0'; i++) {
        char c = ns[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (i >= 63 || !(alnum || (i > 0 && (c == '_' || c == '-'))))
            return 0;
    }
    return i > 0;
}

/* Length of the base64url segment starting at s (RFC 7515: alphabet [A-Za-z0-9_-], no
 * padding), or -1 when it holds another byte or has a length no base64 text can have. */
static long b64url_segment(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    if (s[n] != '.' && s[n] != '\0')
        return -1;
    return n % 4 == 1 ? -1 : (long)n;
}

/* 1 when tok is header.payload.signature, each base64url and non-empty, with the 43-char
 * signature an HS256 MAC encodes to. Checked before libjwt sees the token: the libb64 decoder
 * in libjwt 1.10 writes past its buffer on an empty segment (found with valgrind on
 * "Bearer ..."), and anything else of ours would be refused later anyway. */
static int token_shape_ok(const char *tok)
{
    long head = b64url_segment(tok);
    if (head <= 0 || tok[head] != '.')
        return 0;
    const char *p = tok + head + 1;
    long payload = b64url_segment(p);
    if (payload <= 0 || p[payload] != '.')
        return 0;
    p += payload + 1;
    long sig = b64url_segment(p);
    return sig == 43 && p[sig] == '\0';
}

/* Returns the token part of "Bearer <token>" (scheme case-insensitive, RFC 6750 section 2.1),
 * or NULL. The token is a borrowed suffix of header. */
static const char *find_bearer_token(const char *header, const char **why)
{
    if (strncasecmp(header, "Bearer", 6) != 0 || (header[6] != ' ' && header[6] != '\t')) {
        *why = "not a Bearer credential";
        return NULL;
    }
    const char *tok = header + 7;
    while (*tok == ' ' || *tok == '\t')
        tok++;
    size_t len = strlen(tok);
    if (len == 0) {
        *why = "empty bearer token";
        return NULL;
    }
    if (len > AUTH_MAX_TOKEN_LEN) {
        *why = "token too long";
        return NULL;
    }
    if (!token_shape_ok(tok)) {
        *why = "not a compact HS256 JWS";
        return NULL;
    }
    return tok;
}

/* Reads an optional integer claim. Returns 0 with *present 0/1 and *val, or -1 when the
 * claim exists but is not a JSON integer. libjwt 1.10's jwt_get_grant_int answers 0 with
 * errno 0 for a string, float, boolean or null, so a 0 is ambiguous: only then is the claim's
 * JSON text fetched (one small allocation, on a path no real token takes). */
static int get_int_claim(jwt_t *jwt, const char *name, int *present, long *val)
{
    errno = 0;
    long v = jwt_get_grant_int(jwt, name);
    if (errno == ENOENT) {
        *present = 0;
        return 0;
    }
    if (errno != 0)
        return -1;
    if (v == 0) {
        char *text = jwt_get_grants_json(jwt, name);
        int is_zero = text != NULL && strcmp(text, "0") == 0;
        free(text);
        if (!is_zero)
            return -1;
    }
    *present = 1;
    *val = v;
    return 0;
}

/* Copies a string claim into dst (size dstsize). Returns 0, or -1 when it does not fit.
 * An absent (or non-string) claim yields "". */
static int copy_claim(jwt_t *jwt, const char *name, char *dst, size_t dstsize)
{
    const char *v = jwt_get_grant(jwt, name);
    if (v == NULL) {
        dst[0] = '\0';
        return 0;
    }
    size_t len = strlen(v);
    if (len >= dstsize)
        return -1;
    memcpy(dst, v, len + 1);
    return 0;
}

/* Reads the time claims: exp is required, nbf and iat are optional; each must be an integer. */
static int read_times(jwt_t *jwt, struct jwt_times *t, const char **why)
{
    int present = 0;
    long v = 0;
    memset(t, 0, sizeof *t);
    if (get_int_claim(jwt, "exp", &present, &v) != 0 || !present) {
        *why = "exp missing or not an integer";
        return -1;
    }
    t->exp = v;
    if (get_int_claim(jwt, "nbf", &t->has_nbf, &v) != 0) {
        *why = "nbf not an integer";
        return -1;
    }
    t->nbf = t->has_nbf ? v : 0;
    if (get_int_claim(jwt, "iat", &t->has_iat, &v) != 0) {
        *why = "iat not an integer";
        return -1;
    }
    t->iat = t->has_iat ? v : 0;
    return 0;
}

/* The time rules (RFC 7519 4.1.4-4.1.6) with JWT_LEEWAY_S of clock skew: exp must be in the
 * future; nbf and iat, when present, must not be in the future. Claims are at most a long, so
 * the long long arithmetic cannot overflow. */
static int times_ok(const struct jwt_times *t, time_t now, const char **why)
{
    if (t->exp <= (long long)now - JWT_LEEWAY_S) {
        *why = "token expired";
        return 0;
    }
    if (t->has_nbf && t->nbf > (long long)now + JWT_LEEWAY_S) {
        *why = "token not yet valid (nbf)";
        return 0;
    }
    if (t->has_iat && t->iat > (long long)now + JWT_LEEWAY_S) {
        *why = "token issued in the future (iat)";
        return 0;
    }
    return 1;
}

/* Everything but the signature, which jwt_decode has already checked. */
static int check_claims(jwt_t *jwt, time_t now, struct jwt_identity *out, struct jwt_times *times,
                        const char **why)
{
    if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
        *why = "algorithm is not HS256";
        return -1;
    }
    const char *iss = jwt_get_grant(jwt, "iss");
    if (iss == NULL || strcmp(iss, JWT_ISSUER) != 0) {
        *why = "wrong or missing iss";
        return -1;
    }
    if (read_times(jwt, times, why) != 0 || !times_ok(times, now, why))
        return -1;
    if (copy_claim(jwt, "sub", out->sub, sizeof out->sub) != 0 || out->sub[0] == '\0') {
        *why = "sub missing or too long";
        return -1;
    }
    const char *ns = jwt_get_grant(jwt, "namespace");
    if (!jwt_namespace_valid(ns)) {
        *why = "namespace missing or malformed";
        return -1;
    }
    memcpy(out->ns, ns, strlen(ns) + 1); /* valid => at most 63 bytes */
    if (copy_claim(jwt, "tenant_id", out->tenant_id, sizeof out->tenant_id) != 0 ||
        copy_claim(jwt, "email", out->email, sizeof out->email) != 0 ||
        copy_claim(jwt, "client_id", out->client_id, sizeof out->client_id) != 0) {
        *why = "tenant_id, email or client_id too long";
        return -1;
    }
    return 0;
}

int jwt_verify_bearer(const char *header, const char *secret, size_t secret_len, time_t now,
                      struct jwt_identity *out, const char **why)
{
    jwt_t *jwt = NULL;
    int ret = -1;
    const char *tok;
    struct jwt_times times;

    memset(out, 0, sizeof *out);
    *why = "missing credentials";
    if (header == NULL)
        goto cleanup;
    if ((tok = find_bearer_token(header, why)) == NULL)
        goto cleanup;
    if (secret == NULL || secret_len == 0 || secret_len > INT_MAX) {
        *why = "no secret configured";
        goto cleanup;
    }
    uint64_t secret_id = jwt_memo_secret_id(secret, secret_len);
    size_t tok_len = strlen(tok);
    if (jwt_memo_get(tok, tok_len, secret_id, out, &times)) {
        if (!times_ok(&times, now, why))
            goto cleanup;
        *why = NULL;
        return 0;
    }
    /* With a key, libjwt verifies the signature with whatever HMAC/RSA/EC algorithm the
     * token names (so an HS384 token signed with our secret passes here), and whether alg
     * "none" is refused here varies across 1.x releases; check_claims pins HS256 either way. */
    if (jwt_decode(&jwt, tok, (const unsigned char *)secret, (int)secret_len) != 0) {
        *why = "malformed token or bad signature";
        goto cleanup;
    }
    if (check_claims(jwt, now, out, &times, why) != 0)
        goto cleanup;
    jwt_memo_put(tok, tok_len, secret_id, out, &times);
    *why = NULL;
    ret = 0;
cleanup:
    jwt_free(jwt);
    if (ret != 0)
        memset(out, 0, sizeof *out);
    return ret;
}

/* 128 random bits, hex: unique per token so a future revocation list can name one. */
static int make_jti(char out[33])
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Adds every claim of a minted token. Returns 0, or -1 on any libjwt failure. */
static int add_claims(jwt_t *jwt, const struct jwt_identity *id, long ttl_s, time_t now)
{
    char jti[33];
    int rc = 0;
    if (make_jti(jti) != 0)
        return -1;
    rc |= jwt_add_grant(jwt, "iss", JWT_ISSUER);
    rc |= jwt_add_grant(jwt, "sub", id->sub);
    rc |= jwt_add_grant(jwt, "namespace", id->ns);
    if (id->tenant_id[0] != '\0')
        rc |= jwt_add_grant(jwt, "tenant_id", id->tenant_id);
    if (id->email[0] != '\0')
        rc |= jwt_add_grant(jwt, "email", id->email);
    if (id->client_id[0] != '\0')
        rc |= jwt_add_grant(jwt, "client_id", id->client_id);
    rc |= jwt_add_grant_int(jwt, "iat", (long)now);
    rc |= jwt_add_grant_int(jwt, "nbf", (long)now);
    rc |= jwt_add_grant_int(jwt, "exp", (long)now + ttl_s);
    rc |= jwt_add_grant(jwt, "jti", jti);
    return rc == 0 ? 0 : -1;
}

char *jwt_mint(const struct jwt_identity *id, const char *secret, size_t secret_len, long ttl_s,
               time_t now)
{
    jwt_t *jwt = NULL;
    char *token = NULL;

    /* Refuse to mint what jwt_verify_bearer would refuse. */
    if (id == NULL || secret == NULL || secret_len == 0 || secret_len > INT_MAX || ttl_s <= 0 ||
        id->sub[0] == '\0' || !jwt_namespace_valid(id->ns))
        goto cleanup;
    if (jwt_new(&jwt) != 0)
        goto cleanup;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)secret_len) != 0)
        goto cleanup;
    if (add_claims(jwt, id, ttl_s, now) != 0)
        goto cleanup;
    token = jwt_encode_str(jwt);
cleanup:
    jwt_free(jwt);
    return token;
}
