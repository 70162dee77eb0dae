/* Unit tests for server/core/session.c through the scripted database seam (db_script.c, linked
 * with db/sessions.c on top of it, as the handler tests are): what session.c hands the database
 * (a refresh token or a client secret only as its SHA-256, never in clear; the namespace) and
 * what it makes of the answers (rotated, reused, invalid; a client that matches or not;
 * database errors passed through unchanged, with nothing usable left in the caller's buffers).
 * The statements themselves run against PostgreSQL in tests/integration/test_sessions.sh and
 * test_refresh_race.sh. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/session.h"
#include "tests/unit/server/handlers/db_script.h"

/* Shaped like a token (or client secret) we issue: 43 base64url characters. */
#define TOKEN_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define SECRET_B "b-_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define USER_ID "0b6f0f43-6b2e-4c4b-9c55-6f7d1b6a3f10"

/* Rows of db_sessions_rotate's third statement: reused, fresh, user id, ns, email, tenant id. */
static const char *const row_rotated[] = {"0", "1", USER_ID, "acme", "ann@example.com", "t-1"};
static const char *const row_reused[] = {"1", "0", NULL, NULL, NULL, NULL};
static const char *const row_unknown[] = {"0", "0", NULL, NULL, NULL, NULL};
/* stored and spent, but the user row is gone (the LEFT JOIN found none) */
static const char *const row_no_user[] = {"0", "1", NULL, NULL, NULL, NULL};
static const char *const row_no_tenant[] = {"0", "1", USER_ID, "acme", "ann@example.com", NULL};

static void setup(void)
{
    dbs_reset();
}

static void teardown(void)
{
    dbs_reset();
}

static void hash_of(const char *s, char *out)
{
    session_hash(s, strlen(s), out);
}

/* 1 when any parameter of any recorded call contains needle. */
static int any_param_contains(const char *needle)
{
    for (size_t i = 0; i < dbs_calls(); i++)
        for (int j = 0; j < dbs_call_nstmts(i); j++)
            for (int k = 0; k < 8; k++) {
                const char *p = dbs_call_param(i, j, k);
                if (p != NULL && strstr(p, needle) != NULL)
                    return 1;
            }
    return 0;
}

/* Queues the rotate reply: the set_config, the family lock, row, the prune. */
static void reply_rotate(const char *const *row, struct dbs_table *tables)
{
    memset(tables, 0, 3 * sizeof *tables);
    tables[2] = (struct dbs_table){row ? 1 : 0, 6, row, row ? 1 : 0};
    dbs_reply_ok(tables, 3);
}

/* ------------------------------------------------------------------ secrets and shapes */

START_TEST(test_session_new_secret_is_fresh_and_shaped)
{
    char a[SESSION_TOKEN_SIZE], b[SESSION_TOKEN_SIZE];
    ck_assert_int_eq(session_new_secret(a), 0);
    ck_assert_int_eq(session_new_secret(b), 0);
    ck_assert_uint_eq(strlen(a), SESSION_TOKEN_LEN);
    ck_assert(session_token_shaped(a));
    ck_assert(session_token_shaped(b));
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_session_hash_is_hex_sha256)
{
    char h[SESSION_HASH_SIZE];
    session_hash("abc", 3, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    session_hash("", 0, h);
    ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

static const struct {
    const char *s;
    int shaped;
} token_shapes[] = {
    {TOKEN_A, 1},
    {SECRET_B, 1},
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},   /* 42 */
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0}, /* 44 */
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0},  /* padding */
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", 0},  /* base64, not base64url */
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/", 0},
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ", 0},
    {"", 0},
};

START_TEST(test_session_token_shaped_table)
{
    ck_assert_msg(session_token_shaped(token_shapes[_i].s) == token_shapes[_i].shaped, "\"%s\"",
                  token_shapes[_i].s);
}
END_TEST

START_TEST(test_session_client_id_valid)
{
    char id[SESSION_CLIENT_ID_MAX + 2];
    memset(id, 'c', sizeof id - 1);
    id[SESSION_CLIENT_ID_MAX] = '\0';
    ck_assert(session_client_id_valid(id)); /* 64: the longest */
    id[SESSION_CLIENT_ID_MAX] = 'c';
    id[SESSION_CLIENT_ID_MAX + 1] = '\0';
    ck_assert(!session_client_id_valid(id)); /* 65 */
    ck_assert(session_client_id_valid("ci-Runner_7"));
    ck_assert(!session_client_id_valid(""));
    ck_assert(!session_client_id_valid("a.b"));
    ck_assert(!session_client_id_valid("a b"));
    ck_assert(!session_client_id_valid("a%20b"));
    ck_assert(!session_client_id_valid("é"));
}
END_TEST

/* ------------------------------------------------------------------ issue */

START_TEST(test_session_issue_stores_only_the_hash)
{
    char token[SESSION_TOKEN_SIZE], hash[SESSION_HASH_SIZE];
    struct db_error err = {0};
    dbs_reply_ok(NULL, 0);
    ck_assert_int_eq(session_issue(NULL, "acme", USER_ID, 3600, token, &err), 0);
    ck_assert(session_token_shaped(token));
    ck_assert_uint_eq(dbs_calls(), 1);
    ck_assert_str_eq(dbs_call_ns(0), "acme");
    hash_of(token, hash);
    ck_assert_str_eq(dbs_call_param(0, 0, 0), hash);
    ck_assert_str_eq(dbs_call_param(0, 0, 1), USER_ID);
    ck_assert_str_eq(dbs_call_param(0, 0, 2), "acme");
    ck_assert_str_eq(dbs_call_param(0, 0, 3), "3600");
    ck_assert(!any_param_contains(token));
}
END_TEST

/* A failed store hands out no token: the caller's buffer is empty, the error is the database's. */
START_TEST(test_session_issue_db_error_leaves_no_token)
{
    static const enum db_status statuses[] = {DB_ERR_UNAVAILABLE, DB_ERR_INVALID, DB_ERR_QUERY};
    char token[SESSION_TOKEN_SIZE];
    struct db_error err = {0};
    memset(token, 'x', sizeof token);
    dbs_reply_error(statuses[_i], "");
    ck_assert_int_eq(session_issue(NULL, "acme", USER_ID, 60, token, &err), -1);
    ck_assert_int_eq(err.status, statuses[_i]);
    ck_assert_str_eq(token, "");
    ck_assert_uint_eq(dbs_calls(), 1);
}
END_TEST

/* ------------------------------------------------------------------ rotate */

START_TEST(test_session_rotate_rotated)
{
    char next[SESSION_TOKEN_SIZE], hash[SESSION_HASH_SIZE], next_hash[SESSION_HASH_SIZE];
    struct dbs_table tables[3];
    struct jwt_identity who;
    enum session_outcome outcome = SESSION_INVALID;
    struct db_error err = {0};
    reply_rotate(row_rotated, tables);
    ck_assert_int_eq(session_rotate(NULL, TOKEN_A, 900, &who, next, &outcome, &err), 0);
    ck_assert_int_eq(outcome, SESSION_ROTATED);
    ck_assert_str_eq(who.sub, USER_ID);
    ck_assert_str_eq(who.ns, "acme");
    ck_assert_str_eq(who.email, "ann@example.com");
    ck_assert_str_eq(who.tenant_id, "t-1");
    ck_assert(session_token_shaped(next));
    ck_assert_str_ne(next, TOKEN_A);
    /* one transaction, before the namespace is known; the tokens travel as hashes */
    ck_assert_uint_eq(dbs_calls(), 1);
    ck_assert_ptr_null(dbs_call_ns(0));
    hash_of(TOKEN_A, hash);
    hash_of(next, next_hash);
    ck_assert_str_eq(dbs_call_param(0, 0, 0), hash); /* aam.refresh_hash */
    ck_assert_str_eq(dbs_call_param(0, 1, 0), hash); /* the family lock */
    ck_assert_str_eq(dbs_call_param(0, 2, 0), hash); /* spent */
    ck_assert_str_eq(dbs_call_param(0, 2, 1), next_hash);
    ck_assert_str_eq(dbs_call_param(0, 2, 2), "900");
    ck_assert(!any_param_contains(TOKEN_A));
    ck_assert(!any_param_contains(next));
}
END_TEST

/* A tenant row that is gone does not block the rotation: the tenant id is informational. */
START_TEST(test_session_rotate_without_tenant_row)
{
    char next[SESSION_TOKEN_SIZE];
    struct dbs_table tables[3];
    struct jwt_identity who;
    enum session_outcome outcome = SESSION_INVALID;
    struct db_error err = {0};
    reply_rotate(row_no_tenant, tables);
    ck_assert_int_eq(session_rotate(NULL, TOKEN_A, 900, &who, next, &outcome, &err), 0);
    ck_assert_int_eq(outcome, SESSION_ROTATED);
    ck_assert_str_eq(who.ns, "acme");
    ck_assert_str_eq(who.tenant_id, "");
}
END_TEST

/* Reused, unknown (or expired, or revoked), or spent for a user who no longer exists: no
 * identity and no next token come back, whatever the caller's buffers held before. */
START_TEST(test_session_rotate_refused_outcomes)
{
    static const struct {
        const char *const *row;
        enum session_outcome want;
    } cases[] = {
        {row_reused, SESSION_REUSED},
        {row_unknown, SESSION_INVALID},
        {row_no_user, SESSION_INVALID},
        {NULL, SESSION_INVALID}, /* no row at all */
    };
    char next[SESSION_TOKEN_SIZE];
    struct dbs_table tables[3];
    struct jwt_identity who;
    enum session_outcome outcome = SESSION_ROTATED;
    struct db_error err = {0};
    memset(&who, 'x', sizeof who);
    memset(next, 'x', sizeof next);
    reply_rotate(cases[_i].row, tables);
    ck_assert_int_eq(session_rotate(NULL, TOKEN_A, 900, &who, next, &outcome, &err), 0);
    ck_assert_int_eq(outcome, cases[_i].want);
    ck_assert_str_eq(next, "");
    ck_assert_str_eq(who.sub, "");
    ck_assert_str_eq(who.ns, "");
    ck_assert_str_eq(who.email, "");
    ck_assert_uint_eq(dbs_calls(), 1);
}
END_TEST

START_TEST(test_session_rotate_db_error)
{
    static const enum db_status statuses[] = {DB_ERR_UNAVAILABLE, DB_ERR_QUERY};
    char next[SESSION_TOKEN_SIZE];
    struct jwt_identity who;
    enum session_outcome outcome = SESSION_ROTATED;
    struct db_error err = {0};
    memset(next, 'x', sizeof next);
    dbs_reply_error(statuses[_i], "");
    ck_assert_int_eq(session_rotate(NULL, TOKEN_A, 900, &who, next, &outcome, &err), -1);
    ck_assert_int_eq(err.status, statuses[_i]);
    ck_assert_int_eq(outcome, SESSION_INVALID);
    ck_assert_str_eq(next, "");
    ck_assert_str_eq(who.sub, "");
}
END_TEST

/* ------------------------------------------------------------------ revoke */

START_TEST(test_session_revoke_family_by_hash)
{
    static const struct dbs_table deleted = {0, 0, NULL, 3};
    char hash[SESSION_HASH_SIZE];
    long revoked = -1;
    struct db_error err = {0};
    dbs_reply_ok(&deleted, 1);
    ck_assert_int_eq(session_revoke(NULL, "acme", USER_ID, TOKEN_A, 0, &revoked, &err), 0);
    ck_assert_int_eq(revoked, 3);
    ck_assert_uint_eq(dbs_calls(), 1);
    ck_assert_str_eq(dbs_call_ns(0), "acme");
    hash_of(TOKEN_A, hash);
    ck_assert_str_eq(dbs_call_param(0, 0, 0), hash);
    ck_assert_str_eq(dbs_call_param(0, 0, 1), USER_ID);
    ck_assert(!any_param_contains(TOKEN_A));
}
END_TEST

START_TEST(test_session_revoke_all_of_a_user)
{
    static const struct dbs_table deleted = {0, 0, NULL, 5};
    long revoked = -1;
    struct db_error err = {0};
    dbs_reply_ok(&deleted, 1);
    /* the token is ignored: even a malformed one revokes everything */
    ck_assert_int_eq(session_revoke(NULL, "acme", USER_ID, "nonsense", 1, &revoked, &err), 0);
    ck_assert_int_eq(revoked, 5);
    ck_assert_uint_eq(dbs_calls(), 1);
    ck_assert_str_eq(dbs_call_ns(0), "acme");
    ck_assert_str_eq(dbs_call_param(0, 0, 0), USER_ID);
    ck_assert_ptr_null(dbs_call_param(0, 0, 1));
}
END_TEST

/* A sub that is no uuid (a service token's) or a token we cannot have issued matches nothing:
 * answered without asking the database (a non-uuid would be a cast error there). */
START_TEST(test_session_revoke_nothing_to_match)
{
    static const struct {
        const char *user_id, *token;
        int all;
    } cases[] = {
        {"ci-runner", TOKEN_A, 0},
        {"ci-runner", NULL, 1},
        {"0b6f0f43-6b2e-4c4b-9c55-6f7d1b6a3f1", TOKEN_A, 0},  /* 35 characters */
        {"0b6f0f43x6b2e-4c4b-9c55-6f7d1b6a3f10", TOKEN_A, 0}, /* no dash at 8 */
        {"0b6f0f43-6b2e-4c4b-9c55-6f7d1b6a3fzz", TOKEN_A, 0}, /* not hex */
        {USER_ID, NULL, 0},
        {USER_ID, "short", 0},
    };
    long revoked = -1;
    struct db_error err = {0};
    ck_assert_int_eq(session_revoke(NULL, "acme", cases[_i].user_id, cases[_i].token, cases[_i].all,
                                    &revoked, &err),
                     0);
    ck_assert_int_eq(revoked, 0);
    ck_assert_uint_eq(dbs_calls(), 0);
}
END_TEST

START_TEST(test_session_revoke_db_error)
{
    long revoked = -1;
    struct db_error err = {0};
    dbs_reply_error(DB_ERR_UNAVAILABLE, "");
    ck_assert_int_eq(session_revoke(NULL, "acme", USER_ID, TOKEN_A, _i, &revoked, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    ck_assert_int_eq(revoked, 0);
}
END_TEST

/* ------------------------------------------------------------------ service clients */

/* Queues db_sessions_client's reply: two set_config results, then row (cols: ns, secret hash,
 * tenant id) or no row. */
static void reply_client(const char *const *row, struct dbs_table *tables)
{
    memset(tables, 0, 3 * sizeof *tables);
    tables[2] = (struct dbs_table){row ? 1 : 0, 3, row, 0};
    dbs_reply_ok(tables, 3);
}

START_TEST(test_session_client_check_match)
{
    char stored[SESSION_HASH_SIZE];
    hash_of(SECRET_B, stored);
    const char *const row[] = {"acme", stored, "t-1"};
    struct dbs_table tables[3];
    struct jwt_identity who;
    int ok = 0;
    struct db_error err = {0};
    reply_client(row, tables);
    ck_assert_int_eq(session_client_check(NULL, "ci-runner", SECRET_B, &who, &ok, &err), 0);
    ck_assert_int_eq(ok, 1);
    ck_assert_str_eq(who.sub, "ci-runner");
    ck_assert_str_eq(who.ns, "acme");
    ck_assert_str_eq(who.tenant_id, "t-1");
    /* the lookup is by id, before any namespace is known; the secret never leaves */
    ck_assert_uint_eq(dbs_calls(), 1);
    ck_assert_ptr_null(dbs_call_ns(0));
    ck_assert_str_eq(dbs_call_param(0, 2, 0), "ci-runner");
    ck_assert(!any_param_contains(SECRET_B));
    ck_assert(!any_param_contains(stored));
}
END_TEST

/* Another client's secret, a stored value that is not a full hash, no such client, or a client
 * whose row names no namespace: refused, with no identity. */
START_TEST(test_session_client_check_refused)
{
    char other[SESSION_HASH_SIZE], mine[SESSION_HASH_SIZE];
    hash_of(TOKEN_A, other);
    hash_of(SECRET_B, mine);
    char prefix[33];
    memcpy(prefix, mine, 32);
    prefix[32] = '\0';
    const char *const wrong_secret[] = {"acme", other, "t-1"};
    const char *const short_hash[] = {"acme", prefix, "t-1"};
    const char *const null_hash[] = {"acme", NULL, "t-1"};
    const char *const no_ns[] = {"", mine, "t-1"};
    const char *const *rows[] = {wrong_secret, short_hash, null_hash, no_ns, NULL};
    ck_assert_uint_lt((size_t)_i, sizeof rows / sizeof rows[0]);
    struct dbs_table tables[3];
    struct jwt_identity who;
    int ok = 1;
    struct db_error err = {0};
    memset(&who, 'x', sizeof who);
    reply_client(rows[_i], tables);
    ck_assert_int_eq(session_client_check(NULL, "ci-runner", SECRET_B, &who, &ok, &err), 0);
    ck_assert_int_eq(ok, 0);
    ck_assert_uint_eq(dbs_calls(), 1);
    if (_i != 3) { /* no namespace: sub is set, but ok says no */
        ck_assert_str_eq(who.sub, "");
        ck_assert_str_eq(who.ns, "");
    }
}
END_TEST

/* An id or secret we cannot have issued is refused without a database round trip. */
START_TEST(test_session_client_check_malformed_no_database)
{
    static const struct {
        const char *id, *secret;
    } cases[] = {
        {"", SECRET_B},
        {"ci runner", SECRET_B},
        {"ci-runner", "short"},
        {"ci-runner", SECRET_B "x"},
    };
    struct jwt_identity who;
    int ok = 1;
    struct db_error err = {0};
    ck_assert_int_eq(session_client_check(NULL, cases[_i].id, cases[_i].secret, &who, &ok, &err), 0);
    ck_assert_int_eq(ok, 0);
    ck_assert_uint_eq(dbs_calls(), 0);
}
END_TEST

START_TEST(test_session_client_check_db_error)
{
    struct jwt_identity who;
    int ok = 1;
    struct db_error err = {0};
    dbs_reply_error(DB_ERR_UNAVAILABLE, "");
    ck_assert_int_eq(session_client_check(NULL, "ci-runner", SECRET_B, &who, &ok, &err), -1);
    ck_assert_int_eq(err.status, DB_ERR_UNAVAILABLE);
    ck_assert_int_eq(ok, 0);
    ck_assert_str_eq(who.ns, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("session");
    TCase *tc = tcase_create("secrets");
    tcase_add_test(tc, test_session_new_secret_is_fresh_and_shaped);
    tcase_add_test(tc, test_session_hash_is_hex_sha256);
    tcase_add_loop_test(tc, test_session_token_shaped_table, 0,
                        (int)(sizeof token_shapes / sizeof token_shapes[0]));
    tcase_add_test(tc, test_session_client_id_valid);
    suite_add_tcase(s, tc);

    tc = tcase_create("refresh");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_session_issue_stores_only_the_hash);
    tcase_add_loop_test(tc, test_session_issue_db_error_leaves_no_token, 0, 3);
    tcase_add_test(tc, test_session_rotate_rotated);
    tcase_add_test(tc, test_session_rotate_without_tenant_row);
    tcase_add_loop_test(tc, test_session_rotate_refused_outcomes, 0, 4);
    tcase_add_loop_test(tc, test_session_rotate_db_error, 0, 2);
    tcase_add_test(tc, test_session_revoke_family_by_hash);
    tcase_add_test(tc, test_session_revoke_all_of_a_user);
    tcase_add_loop_test(tc, test_session_revoke_nothing_to_match, 0, 7);
    tcase_add_loop_test(tc, test_session_revoke_db_error, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("clients");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_session_client_check_match);
    tcase_add_loop_test(tc, test_session_client_check_refused, 0, 5);
    tcase_add_loop_test(tc, test_session_client_check_malformed_no_database, 0, 4);
    tcase_add_test(tc, test_session_client_check_db_error);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
