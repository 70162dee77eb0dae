/* jwt: HS256 JWTs (libjwt) minted and verified with JWT_SECRET, and the identity a verified
 * token carries. Verification never touches the database; a bad token is refused before any
 * connection is borrowed. */
#ifndef AAM_JWT_H
#define AAM_JWT_H

#include <stddef.h>
#include <time.h>

#define JWT_ISSUER "aam"
#define JWT_LEEWAY_S 30 /* clock skew allowed on exp and nbf */

/* Who a request acts for. Every string is NUL-terminated; empty when the claim was absent. */
struct jwt_identity {
    char sub[129];      /* user id, or an operator-chosen id for service tokens */
    char ns[64];        /* tenant namespace: ^[a-z0-9][a-z0-9_-]{0,62}$ */
    char tenant_id[64]; /* informational; the database is authoritative */
    char email[255];
    char client_id[65]; /* a service client's token (client_credentials, RFC 9068's claim):
                         * its client id, the same as sub; "" for users and operators */
};

/* A verified token's time claims (exp is required; nbf and iat are optional). */
struct jwt_times {
    long long exp, nbf, iat;
    int has_nbf, has_iat;
};

/* 1 when ns matches ^[a-z0-9][a-z0-9_-]{0,62}$, else 0. */
int jwt_namespace_valid(const char *ns);

/* Verifies "Bearer <jwt>" (scheme case-insensitive) from an Authorization header value.
 * Accepts only HS256 signed with secret, iss "aam", a numeric exp in the future and nbf (if
 * present) not in the future (both with JWT_LEEWAY_S), a non-empty sub and a valid namespace.
 * Returns 0 and fills *out, or -1 with *why set to a static reason for the log (never echoed
 * with the token). header may be NULL (-1, "missing"). A token that passed is remembered by
 * the calling thread (jwt_memo.h): the same token again skips the signature and the parse,
 * and only its time claims are checked against now. */
int jwt_verify_bearer(const char *header, const char *secret, size_t secret_len, time_t now,
                      struct jwt_identity *out, const char **why)
    __attribute__((warn_unused_result));

/* Mints a token for id: iss, sub, namespace, tenant_id and email (when non-empty), iat, nbf,
 * exp = now + ttl_s, jti (random). Returns a malloc'd string the caller frees, or NULL. */
char *jwt_mint(const struct jwt_identity *id, const char *secret, size_t secret_len, long ttl_s,
               time_t now) __attribute__((warn_unused_result));

#endif
