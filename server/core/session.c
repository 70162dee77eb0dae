/* session: refresh-token families and service-client checks. This file makes and hashes the
 * secrets and reads the answers; the statements over the refresh_tokens and clients tables
 * (migration 0005) are db/sessions.c's, each one transaction and one round trip. */
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
#include "db/sessions.h"
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

int session_issue(struct db_pool *db, const char *ns, const char *user_id, int ttl_s, char *token,
                  struct db_error *err)
{
    char hash[SESSION_HASH_SIZE];
    if (session_new_secret(token) != 0)
        return no_random(err);
    session_hash(token, SESSION_TOKEN_LEN, hash);
    if (db_sessions_issue(db, ns, hash, user_id, ttl_s, err) != 0) {
        OPENSSL_cleanse(token, SESSION_TOKEN_SIZE);
        token[0] = '\0';
        return -1;
    }
    return 0;
}

int session_rotate(struct db_pool *db, const char *token, int ttl_s, struct jwt_identity *who,
                   char *next_token, enum session_outcome *outcome, struct db_error *err)
{
    char hash[SESSION_HASH_SIZE], next_hash[SESSION_HASH_SIZE];
    struct db_result *r = NULL;
    int ret = -1;

    *outcome = SESSION_INVALID;
    memset(who, 0, sizeof *who);
    next_token[0] = '\0';
    if (session_new_secret(next_token) != 0)
        return no_random(err);
    session_hash(token, strlen(token), hash);
    session_hash(next_token, SESSION_TOKEN_LEN, next_hash);
    if (db_sessions_rotate(db, hash, next_hash, ttl_s, &r, err) != 0)
        goto cleanup;
    ret = 0;
    const char *reused = db_result_get(r, 0, DB_SESSIONS_ROTATE_REUSED);
    const char *fresh = db_result_get(r, 0, DB_SESSIONS_ROTATE_FRESH);
    if (reused != NULL && strcmp(reused, "0") != 0) {
        *outcome = SESSION_REUSED;
    } else if (fresh != NULL && strcmp(fresh, "1") == 0 &&
               db_result_get(r, 0, DB_SESSIONS_ROTATE_USER_ID) != NULL) {
        copy_cell(r, DB_SESSIONS_ROTATE_USER_ID, who->sub, sizeof who->sub);
        copy_cell(r, DB_SESSIONS_ROTATE_NS, who->ns, sizeof who->ns);
        copy_cell(r, DB_SESSIONS_ROTATE_EMAIL, who->email, sizeof who->email);
        copy_cell(r, DB_SESSIONS_ROTATE_TENANT_ID, who->tenant_id, sizeof who->tenant_id);
        *outcome = SESSION_ROTATED;
    }
cleanup:
    if (*outcome != SESSION_ROTATED) {
        OPENSSL_cleanse(next_token, SESSION_TOKEN_SIZE);
        next_token[0] = '\0';
    }
    db_result_free(r);
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

int session_revoke(struct db_pool *db, const char *ns, const char *user_id, const char *token,
                   int all, long *revoked, struct db_error *err)
{
    char hash[SESSION_HASH_SIZE];

    *revoked = 0;
    if (!uuid_shaped(user_id) || (!all && (token == NULL || !session_token_shaped(token))))
        return 0; /* nothing of this caller's can match */
    if (all)
        return db_sessions_revoke_all(db, ns, user_id, revoked, err);
    session_hash(token, strlen(token), hash);
    return db_sessions_revoke_family(db, ns, user_id, hash, revoked, err);
}

/* ------------------------------------------------------------------ service clients */

int session_client_check(struct db_pool *db, const char *client_id, const char *secret,
                         struct jwt_identity *who, int *ok, struct db_error *err)
{
    char hash[SESSION_HASH_SIZE], stored[SESSION_HASH_SIZE];
    struct db_result *r = NULL;
    int ret = -1;

    *ok = 0;
    memset(who, 0, sizeof *who);
    if (!session_client_id_valid(client_id) || !session_token_shaped(secret))
        return 0;
    if (db_sessions_client(db, client_id, &r, err) != 0)
        goto cleanup;
    ret = 0;
    if (db_result_rows(r) != 1)
        goto cleanup;
    copy_cell(r, DB_SESSIONS_CLIENT_SECRET_HASH, stored, sizeof stored);
    session_hash(secret, strlen(secret), hash);
    if (strlen(stored) != 64 || CRYPTO_memcmp(hash, stored, 64) != 0)
        goto cleanup;
    snprintf(who->sub, sizeof who->sub, "%s", client_id);
    snprintf(who->client_id, sizeof who->client_id, "%s", client_id);
    copy_cell(r, DB_SESSIONS_CLIENT_NS, who->ns, sizeof who->ns);
    copy_cell(r, DB_SESSIONS_CLIENT_TENANT_ID, who->tenant_id, sizeof who->tenant_id);
    *ok = who->ns[0] != '\0';
cleanup:
    db_result_free(r);
    return ret;
}
