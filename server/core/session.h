/* session: refresh tokens and service clients (migration 0005). A refresh token is 256 bits
 * from the OS CSPRNG (getrandom), shown once as 43 characters of base64url and stored only as
 * the hex SHA-256 of that text. Tokens live in families (one per sign-in): a refresh spends the
 * presented token and issues the next of its family; presenting a spent token revokes the whole
 * family. Service clients trade an id and a 256-bit secret (also stored as a SHA-256) for an
 * access token of their namespace. Every function is one pooler-safe transaction (db/sessions.h). */
#ifndef AAM_SESSION_H
#define AAM_SESSION_H

#include <stddef.h>

#include "server/core/jwt.h"

struct db_pool;
struct db_error;

#define SESSION_TOKEN_LEN 43  /* base64url of 32 bytes, no padding */
#define SESSION_TOKEN_SIZE 44 /* with the NUL */
#define SESSION_HASH_SIZE 65  /* 64 hex digits + NUL */
#define SESSION_CLIENT_ID_MAX 64

/* Fills out (SESSION_TOKEN_SIZE bytes) with a fresh token. Returns 0, or -1 when the kernel
 * would not give random bytes (nothing usable is left in out). */
int session_new_secret(char *out) __attribute__((warn_unused_result));

/* Writes the hex SHA-256 of s[0..len) into out (SESSION_HASH_SIZE bytes). */
void session_hash(const char *s, size_t len, char *out);

/* 1 when s is exactly SESSION_TOKEN_LEN characters of the base64url alphabet. Anything else
 * cannot be a token (or a secret) we issued, and is refused without asking the database. */
int session_token_shaped(const char *s);

/* 1 when s is 1..SESSION_CLIENT_ID_MAX characters of A-Z a-z 0-9 - _ (the contract's alphabet
 * for client ids, so HTTP Basic works whether a client form-encodes them or not). */
int session_client_id_valid(const char *s);

/* Writes a new client id, "cl_" + 24 hex digits (96 random bits: unique, not secret), into out
 * (at least SESSION_CLIENT_ID_NEW_SIZE bytes). Returns 0, or -1 (no random bytes, or out too
 * small). */
#define SESSION_CLIENT_ID_NEW_SIZE 28
int session_new_client_id(char *out, size_t size) __attribute__((warn_unused_result));

/* Starts a family for user_id in ns: stores the hash of a new token expiring in ttl_s and
 * deletes a bounded batch of the tenant's expired tokens. On 0, token (SESSION_TOKEN_SIZE)
 * holds the token to hand out; -1 with *err set otherwise. */
int session_issue(struct db_pool *db, const char *ns, const char *user_id, int ttl_s, char *token,
                  struct db_error *err) __attribute__((warn_unused_result));

enum session_outcome {
    SESSION_ROTATED = 0, /* *who and next_token are filled */
    SESSION_INVALID,     /* unknown, expired or revoked */
    SESSION_REUSED,      /* a spent token (also the second of two presented together): its
                          * family, the winner's new token included, has just been revoked */
};

/* Spends token and issues the next of its family (expiring in ttl_s), in one transaction.
 * *who gets the user's role as the database holds it now (a role change shows here).
 * Presentations of one family are serialised (db_sessions_rotate locks the family): any
 * second presentation of a token, concurrent or later, gets SESSION_REUSED and revokes the
 * family, so a thief who wins a race keeps nothing. Clients must refresh single-flight.
 * Returns 0 with *outcome, or -1 with *err. */
int session_rotate(struct db_pool *db, const char *token, int ttl_s, struct jwt_identity *who,
                   char *next_token, enum session_outcome *outcome, struct db_error *err)
    __attribute__((warn_unused_result));

/* Revokes the family of token if it belongs to user_id (else nothing); all != 0 revokes every
 * family of user_id (token ignored). *revoked receives the number of rows deleted.
 * Returns 0, or -1 with *err. */
int session_revoke(struct db_pool *db, const char *ns, const char *user_id, const char *token,
                   int all, long *revoked, struct db_error *err)
    __attribute__((warn_unused_result));

/* Checks a client's id and secret. On 0, *ok says whether they match a client (then *who is
 * the client's identity: sub = client id, its namespace and tenant id, is_client and its
 * scopes). -1 with *err when the
 * database could not answer. The secret is compared by hash in constant time. */
int session_client_check(struct db_pool *db, const char *client_id, const char *secret,
                         struct jwt_identity *who, int *ok, struct db_error *err)
    __attribute__((warn_unused_result));

#endif
