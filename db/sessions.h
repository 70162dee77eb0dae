/* db/sessions: the refresh_tokens and clients tables (migration 0005) as the server uses them.
 * Callers pass hashes, never secrets: server/core/session.c makes the tokens and hashes them.
 * Each function is one db_run (one transaction, one round trip, pooler-safe). Lookups that
 * start from a secret's hash work like login: a transaction-local setting (aam.refresh_hash,
 * aam.client_id) lets the row-level security policy show the one row with that key, then
 * DB_TENANT_SETTING is set to that row's namespace so the writes pass the WITH CHECK. */
#ifndef AAM_DB_SESSIONS_H
#define AAM_DB_SESSIONS_H

#include "db/db.h"

/* Stores token_hash as the first token of a new family of user_id in ns, expiring in ttl_s,
 * and deletes a bounded batch of the tenant's expired tokens. Returns 0, or -1 with *err set
 * (nothing stored). */
int db_sessions_issue(struct db_pool *pool, const char *ns, const char *token_hash,
                      const char *user_id, int ttl_s, struct db_error *err)
    __attribute__((warn_unused_result));

/* The columns of db_sessions_rotate's one row. */
enum db_sessions_rotate_col {
    DB_SESSIONS_ROTATE_REUSED,  /* rows of the family deleted: "0" unless the token was spent */
    DB_SESSIONS_ROTATE_FRESH,   /* "1" when the next token was stored */
    DB_SESSIONS_ROTATE_USER_ID, /* the user (NULL unless rotated) */
    DB_SESSIONS_ROTATE_NS,
    DB_SESSIONS_ROTATE_EMAIL,
    DB_SESSIONS_ROTATE_TENANT_ID, /* NULL when the tenant row is missing */
    DB_SESSIONS_ROTATE_ROLE,      /* the user's role now: a role change shows at the refresh */
};

/* Spends the token whose hash is token_hash and stores next_hash as the next of its family
 * (expiring in ttl_s), in one transaction that first locks the family: every presentation of
 * any token of one family waits for the one before it to commit and then sees its outcome, so
 * two copies of one token presented together rotate once and the second, like any later
 * presentation of a spent token, deletes the whole family. On 0, *out holds one row (see enum
 * db_sessions_rotate_col; the caller frees it with db_result_free). On -1, *err is set, *out
 * is NULL and nothing changed. */
int db_sessions_rotate(struct db_pool *pool, const char *token_hash, const char *next_hash,
                       int ttl_s, struct db_result **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Deletes the family of the token whose hash is token_hash if it belongs to user_id (a uuid),
 * in ns. *revoked receives the number of rows deleted. Returns 0, or -1 with *err. */
int db_sessions_revoke_family(struct db_pool *pool, const char *ns, const char *user_id,
                              const char *token_hash, long *revoked, struct db_error *err)
    __attribute__((warn_unused_result));

/* Deletes every refresh token of user_id (a uuid) in ns; *revoked as above. */
int db_sessions_revoke_all(struct db_pool *pool, const char *ns, const char *user_id, long *revoked,
                           struct db_error *err) __attribute__((warn_unused_result));

/* The columns of db_sessions_client's row. */
enum db_sessions_client_col {
    DB_SESSIONS_CLIENT_NS,
    DB_SESSIONS_CLIENT_SECRET_HASH,
    DB_SESSIONS_CLIENT_TENANT_ID, /* NULL when the tenant row is missing */
    DB_SESSIONS_CLIENT_SCOPES,    /* space-separated, as the token's `scope` */
};

/* Finds the service client client_id (read-only). On 0, *out holds zero rows (no such client)
 * or one (see enum db_sessions_client_col); the caller frees it. The secret's hash is for the
 * caller to compare in constant time. On -1, *err is set and *out is NULL. */
int db_sessions_client(struct db_pool *pool, const char *client_id, struct db_result **out,
                       struct db_error *err) __attribute__((warn_unused_result));

#endif
