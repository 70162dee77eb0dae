/* session: refresh-token families and service-client checks over the refresh_tokens and
 * clients tables (migration 0005). Each operation is one db_run: one transaction, one round
 * trip, pooler-safe. Lookups that start from a secret (the token endpoint knows no namespace
 * yet) work like login: a transaction-local setting (aam.refresh_hash, aam.client_id) lets the
 * row-level security policy show the one row with that key, then aam.namespace is set to that
 * row's namespace in the same transaction so the writes pass the WITH CHECK. */
#include "server/core/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "db/db.h"
#include "util/hex.h"

#define SESSION_RAW_BYTES 32 /* 256 bits */

/* ------------------------------------------------------------------ secrets */

static int fill_random(unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int session_new_secret(char *out)
{
    unsigned char raw[SESSION_RAW_BYTES];
    unsigned char b64[48]; /* 4 * ceil(32 / 3) = 44, + NUL */
    int ret = -1;

    out[0] = '\0';
    if (fill_random(raw, sizeof raw) != 0)
        goto cleanup;
    if (EVP_EncodeBlock(b64, raw, (int)sizeof raw) != 44)
        goto cleanup;
    for (int i = 0; i < SESSION_TOKEN_LEN; i++) /* base64 -> base64url; drop the one '=' */
        out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
    out[SESSION_TOKEN_LEN] = '\0';
    ret = 0;
cleanup:
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(b64, sizeof b64);
    return ret;
}

void session_hash(const char *s, size_t len, char *out)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, len, md);
    hex_encode(md, sizeof md, out);
}

static int is_url_safe(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

int session_token_shaped(const char *s)
{
    size_t i = 0;
    for (; i <= SESSION_TOKEN_LEN && s[i] != '\0'; i++)
        if (!is_url_safe(s[i]))
            return 0;
    return i == SESSION_TOKEN_LEN;
}

int session_client_id_valid(const char *s)
{
    size_t i = 0;
    for (; i <= SESSION_CLIENT_ID_MAX && s[i] != '\0'; i++)
        if (!is_url_safe(s[i]))
            return 0;
    return i > 0 && i <= SESSION_CLIENT_ID_MAX;
}

/* Copies cell (0, col) into dst; "" when NULL or too long. */
static void copy_cell(const struct db_result *r, int col, char *dst, size_t size)
{
    const char *v = db_result_get(r, 0, col);
    size_t len = db_result_len(r, 0, col);
    dst[0] = '\0';
    if (v != NULL && len < size)
        memcpy(dst, v, len + 1);
}

/* ------------------------------------------------------------------ refresh tokens */

/* Reports session_new_secret's failure as a database-layer error, so callers answer it as any
 * other failed statement. Returns -1. */
static int no_random(struct db_error *err)
{
    memset(err, 0, sizeof *err);
    err->status = DB_ERR_QUERY;
    snprintf(err->message, sizeof err->message, "no random bytes from the kernel");
    return -1;
}

/* A bounded batch of the tenant's expired tokens (spent or not). SKIP LOCKED: concurrent
 * logins never queue behind each other's cleanup. */
static const char SQL_PRUNE[] =
    "DELETE FROM refresh_tokens WHERE token_hash IN ("
    "SELECT token_hash FROM refresh_tokens "
    "WHERE namespace = (SELECT nullif(current_setting('aam.namespace', true), '')) "
    "AND expires_at <= now() LIMIT 50 FOR UPDATE SKIP LOCKED)";

static const char SQL_ISSUE[] =
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at) "
    "VALUES ($1, gen_random_uuid(), $2, $3, now() + make_interval(secs => $4::int))";

int session_issue(struct db_pool *db, const char *ns, const char *user_id, int ttl_s, char *token,
                  struct db_error *err)
{
    char hash[SESSION_HASH_SIZE], ttl[16];
    if (session_new_secret(token) != 0)
        return no_random(err);
    session_hash(token, SESSION_TOKEN_LEN, hash);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *params[] = {hash, user_id, ns, ttl};
    const struct db_stmt st[] = {
        {SQL_ISSUE, 4, params},
        {SQL_PRUNE, 0, NULL},
    };
    if (db_run(db, ns, st, 2, NULL, 0, err) != 0) {
        OPENSSL_cleanse(token, SESSION_TOKEN_SIZE);
        token[0] = '\0';
        return -1;
    }
    return 0;
}

const char SESSION_SQL_ISSUE_FOR_EMAIL[] =
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at) "
    "SELECT $1, gen_random_uuid(), id, namespace, now() + make_interval(secs => $2::int) "
    "FROM users WHERE email = lower($3)";

static const char SQL_SET_HASH[] = "SELECT set_config('aam.refresh_hash', $1, true)";
static const char SQL_SET_NS_BY_HASH[] =
    "SELECT set_config('aam.namespace', "
    "coalesce((SELECT namespace FROM refresh_tokens WHERE token_hash = $1), ''), true)";

/* One statement, so its three parts share one snapshot:
 * - spent: takes the token if it is live. A concurrent refresh of the same token waits on the
 *   row lock, then finds it spent and takes nothing.
 * - fresh: the next token of the family, only when spent took one.
 * - reused: the token was already spent when this statement's snapshot was taken, so a request
 *   that came after the rotation presents it again: the family is deleted. The loser of a race
 *   took its snapshot before the winner committed, sees the token unspent here, and deletes
 *   nothing: one of two simultaneous refreshes fails, neither signs the other out.
 * The two modifying parts never touch the same row (spent needs spent_at IS NULL in the
 * snapshot, reused needs it set). */
static const char SQL_ROTATE[] =
    "WITH spent AS ("
    " UPDATE refresh_tokens SET spent_at = now()"
    " WHERE token_hash = $1 AND spent_at IS NULL AND expires_at > now()"
    " RETURNING family_id, user_id, namespace),"
    " fresh AS ("
    " INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at)"
    " SELECT $2, family_id, user_id, namespace, now() + make_interval(secs => $3::int) FROM spent"
    " RETURNING family_id),"
    " reused AS ("
    " DELETE FROM refresh_tokens WHERE family_id ="
    " (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND spent_at IS NOT NULL)"
    " RETURNING 1)"
    " SELECT (SELECT count(*) FROM reused), (SELECT count(*) FROM fresh),"
    " u.id, u.namespace, u.email, t.id"
    " FROM (SELECT 1) AS one LEFT JOIN spent s ON true"
    " LEFT JOIN users u ON u.id = s.user_id"
    " LEFT JOIN tenants t ON t.namespace = u.namespace";

int session_rotate(struct db_pool *db, const char *token, int ttl_s, struct jwt_identity *who,
                   char *next_token, enum session_outcome *outcome, struct db_error *err)
{
    char hash[SESSION_HASH_SIZE], next_hash[SESSION_HASH_SIZE], ttl[16];
    struct db_result *rs[4] = {NULL, NULL, NULL, NULL};
    int ret = -1;

    *outcome = SESSION_INVALID;
    memset(who, 0, sizeof *who);
    next_token[0] = '\0';
    if (session_new_secret(next_token) != 0)
        return no_random(err);
    session_hash(token, strlen(token), hash);
    session_hash(next_token, SESSION_TOKEN_LEN, next_hash);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *one[] = {hash};
    const char *rot[] = {hash, next_hash, ttl};
    const struct db_stmt st[] = {
        {SQL_SET_HASH, 1, one},
        {SQL_SET_NS_BY_HASH, 1, one},
        {SQL_ROTATE, 3, rot},
        {SQL_PRUNE, 0, NULL},
    };
    if (db_run(db, NULL, st, 4, rs, 0, err) != 0)
        goto cleanup;
    ret = 0;
    const struct db_result *r = rs[2];
    const char *reused = db_result_get(r, 0, 0), *fresh = db_result_get(r, 0, 1);
    if (reused != NULL && strcmp(reused, "0") != 0) {
        *outcome = SESSION_REUSED;
    } else if (fresh != NULL && strcmp(fresh, "1") == 0 && db_result_get(r, 0, 2) != NULL) {
        copy_cell(r, 2, who->sub, sizeof who->sub);
        copy_cell(r, 3, who->ns, sizeof who->ns);
        copy_cell(r, 4, who->email, sizeof who->email);
        copy_cell(r, 5, who->tenant_id, sizeof who->tenant_id);
        *outcome = SESSION_ROTATED;
    }
cleanup:
    if (*outcome != SESSION_ROTATED) {
        OPENSSL_cleanse(next_token, SESSION_TOKEN_SIZE);
        next_token[0] = '\0';
    }
    for (int i = 0; i < 4; i++)
        db_result_free(rs[i]);
    return ret;
}

/* 1 when s looks like a uuid (8-4-4-4-12 hex): a user id. Service tokens carry other subs,
 * which own no refresh token; comparing them as uuid would be a cast error. */
static int uuid_shaped(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? c != '-' : hex_value(c) < 0)
            return 0;
    }
    return 1;
}

static const char SQL_REVOKE_FAMILY[] =
    "DELETE FROM refresh_tokens WHERE family_id IN ("
    "SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2::uuid)";
static const char SQL_REVOKE_ALL[] = "DELETE FROM refresh_tokens WHERE user_id = $1::uuid";

int session_revoke(struct db_pool *db, const char *ns, const char *user_id, const char *token,
                   int all, long *revoked, struct db_error *err)
{
    char hash[SESSION_HASH_SIZE];
    struct db_result *r = NULL;

    *revoked = 0;
    if (!uuid_shaped(user_id) || (!all && (token == NULL || !session_token_shaped(token))))
        return 0; /* nothing of this caller's can match */
    if (!all)
        session_hash(token, strlen(token), hash);
    const char *one[] = {hash, user_id};
    const char *every[] = {user_id};
    const struct db_stmt st = all ? (struct db_stmt){SQL_REVOKE_ALL, 1, every}
                                  : (struct db_stmt){SQL_REVOKE_FAMILY, 2, one};
    if (db_run(db, ns, &st, 1, &r, 0, err) != 0)
        return -1;
    *revoked = db_result_affected(r);
    db_result_free(r);
    return 0;
}

/* ------------------------------------------------------------------ service clients */

static const char SQL_SET_CLIENT[] = "SELECT set_config('aam.client_id', $1, true)";
static const char SQL_SET_NS_BY_CLIENT[] =
    "SELECT set_config('aam.namespace', "
    "coalesce((SELECT namespace FROM clients WHERE id = $1), ''), true)";
static const char SQL_CLIENT[] = "SELECT c.namespace, c.secret_hash, t.id FROM clients c "
                                 "LEFT JOIN tenants t ON t.namespace = c.namespace WHERE c.id = $1";

int session_client_check(struct db_pool *db, const char *client_id, const char *secret,
                         struct jwt_identity *who, int *ok, struct db_error *err)
{
    char hash[SESSION_HASH_SIZE], stored[SESSION_HASH_SIZE];
    struct db_result *rs[3] = {NULL, NULL, NULL};
    int ret = -1;

    *ok = 0;
    memset(who, 0, sizeof *who);
    if (!session_client_id_valid(client_id) || !session_token_shaped(secret))
        return 0;
    const char *params[] = {client_id};
    const struct db_stmt st[] = {
        {SQL_SET_CLIENT, 1, params},
        {SQL_SET_NS_BY_CLIENT, 1, params},
        {SQL_CLIENT, 1, params},
    };
    if (db_run(db, NULL, st, 3, rs, DB_READ_ONLY, err) != 0)
        goto cleanup;
    ret = 0;
    if (db_result_rows(rs[2]) != 1)
        goto cleanup;
    copy_cell(rs[2], 1, stored, sizeof stored);
    session_hash(secret, strlen(secret), hash);
    if (strlen(stored) != 64 || CRYPTO_memcmp(hash, stored, 64) != 0)
        goto cleanup;
    snprintf(who->sub, sizeof who->sub, "%s", client_id);
    copy_cell(rs[2], 0, who->ns, sizeof who->ns);
    copy_cell(rs[2], 2, who->tenant_id, sizeof who->tenant_id);
    *ok = who->ns[0] != '\0';
cleanup:
    for (int i = 0; i < 3; i++)
        db_result_free(rs[i]);
    return ret;
}
