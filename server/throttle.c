/* throttle: the login failure counters in login_failures. Each operation is one db_run (one
 * round trip, one transaction). Concurrent failures for the same key serialise on the row
 * lock the upsert takes, so no increment is lost; the email key is always written before the
 * address key, so two upserts never wait on each other in opposite orders. */
#include "server/throttle.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"

/* "email:" + at most 254 bytes of address, or "addr:" + a textual IPv6 address. */
#define KEY_SIZE 272

/* Seconds until the later of the two keys' windows ends, when that key has used up its
 * failures ($4 for the email, $5 for the address); 0 when neither has. window_start > now() -
 * window means the window is open. */
static const char SQL_CHECK[] =
    "SELECT coalesce(max(ceil(extract(epoch FROM window_start - now()) + $3::int)), 0)::int "
    "FROM login_failures "
    "WHERE ((key = $1 AND failures >= $4::int) OR (key = $2 AND failures >= $5::int)) "
    "AND window_start > now() - make_interval(secs => $3::int)";

/* One failure for each key: a key whose window has passed starts a new one. The cap keeps a
 * long-running attack from overflowing the counter. */
static const char SQL_FAIL[] =
    "INSERT INTO login_failures AS f (key, failures, window_start) "
    "VALUES ($1, 1, now()), ($2, 1, now()) "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN f.window_start > now() - make_interval(secs => $3::int) "
    "THEN least(f.failures + 1, 1000000) ELSE 1 END, "
    "window_start = CASE WHEN f.window_start > now() - make_interval(secs => $3::int) "
    "THEN f.window_start ELSE now() END";

/* Deletes a bounded batch of expired rows; SKIP LOCKED keeps concurrent logins from queueing
 * behind each other's pruning. */
static const char SQL_PRUNE[] =
    "DELETE FROM login_failures WHERE key IN ("
    "SELECT key FROM login_failures "
    "WHERE window_start <= now() - make_interval(secs => $1::int) "
    "LIMIT 50 FOR UPDATE SKIP LOCKED)";

static const char SQL_CLEAR[] = "DELETE FROM login_failures WHERE key = $1";

static void make_keys(const char *email, const char *addr, char *email_key, char *addr_key)
{
    snprintf(email_key, KEY_SIZE, "email:%s", email);
    snprintf(addr_key, KEY_SIZE, "addr:%s", addr != NULL && addr[0] != '\0' ? addr : "unknown");
}

int throttle_check(struct db_pool *db, const char *email, const char *addr, int max_email,
                   int max_addr, int window_s, int *retry_after, struct db_error *err)
{
    char ek[KEY_SIZE], ak[KEY_SIZE], win[16], max[16], max_a[16];
    struct db_result *r = NULL;
    int ret = -1;

    make_keys(email, addr, ek, ak);
    snprintf(win, sizeof win, "%d", window_s);
    snprintf(max, sizeof max, "%d", max_email);
    snprintf(max_a, sizeof max_a, "%d", max_addr);
    const char *params[] = {ek, ak, win, max, max_a};
    const struct db_stmt st = {SQL_CHECK, 5, params};
    if (db_run(db, NULL, &st, 1, &r, DB_READ_ONLY, err) != 0)
        goto cleanup;
    const char *v = db_result_get(r, 0, 0);
    *retry_after = v != NULL ? atoi(v) : 0;
    if (*retry_after < 0)
        *retry_after = 0;
    ret = 0;
cleanup:
    db_result_free(r);
    return ret;
}

int throttle_record_failure(struct db_pool *db, const char *email, const char *addr,
                            int window_s, struct db_error *err)
{
    char ek[KEY_SIZE], ak[KEY_SIZE], win[16];

    make_keys(email, addr, ek, ak);
    snprintf(win, sizeof win, "%d", window_s);
    const char *fail_params[] = {ek, ak, win};
    const char *prune_params[] = {win};
    const struct db_stmt st[] = {
        {SQL_FAIL, 3, fail_params},
        {SQL_PRUNE, 1, prune_params},
    };
    return db_run(db, NULL, st, 2, NULL, 0, err);
}

int throttle_clear(struct db_pool *db, const char *email, int window_s, struct db_error *err)
{
    char ek[KEY_SIZE], ak[KEY_SIZE], win[16];

    make_keys(email, NULL, ek, ak);
    snprintf(win, sizeof win, "%d", window_s);
    const char *clear_params[] = {ek};
    const char *prune_params[] = {win};
    const struct db_stmt st[] = {
        {SQL_CLEAR, 1, clear_params},
        {SQL_PRUNE, 1, prune_params},
    };
    return db_run(db, NULL, st, 2, NULL, 0, err);
}
