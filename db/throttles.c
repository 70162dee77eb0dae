/* db/throttles: the login_failures and register_attempts statements (see throttles.h).
 *
 * Why the advisory locks: a reservation reads both keys' counts and then writes both, and a
 * key may not have a row yet, so row locks alone cannot serialise two reservations of a fresh
 * key. pg_advisory_xact_lock on each key's hash, taken in a fixed order (subject, then
 * address) and released at commit, makes check-and-take atomic; transaction-scoped locks are
 * safe behind PgBouncer in transaction mode (the pooler rule bans only session locks). The
 * next statement's snapshot is taken after the locks are held, so it sees every earlier
 * holder's commit. */
#include "db/throttles.h"

#include <stdio.h>
#include <stdlib.h>

/* Both keys are built in SQL, the subject through lower(): $1 kind, $2 subject, $3 address. */
#define SUBJECT_KEY "($1::text || ':' || lower($2::text))"
#define ADDR_KEY "('addr:' || $3::text)"

static const char SQL_LOCK[] =
    "SELECT pg_advisory_xact_lock(hashtextextended('aam.throttle.' || " SUBJECT_KEY ", 0)), "
    "pg_advisory_xact_lock(hashtextextended('aam.throttle.' || " ADDR_KEY ", 1))";

/* $4 window seconds, $5 max for the subject, $6 max for the address. The verdict is the
 * seconds until the later used-up key's window ends (0 = allowed); when allowed, both keys
 * take a slot (a key whose window has passed starts a new one). The cap keeps a long attack
 * from overflowing the counter. */
static const char SQL_RESERVE[] =
    "WITH k(key, lim) AS (VALUES (" SUBJECT_KEY ", $5::int), (" ADDR_KEY ", $6::int)), "
    "used AS (SELECT ceil(extract(epoch FROM f.window_start - now()) + $4::int)::int AS left_s "
    "  FROM login_failures f JOIN k ON k.key = f.key "
    "  WHERE f.failures >= k.lim AND f.window_start > now() - make_interval(secs => $4::int)), "
    "verdict AS (SELECT coalesce(max(left_s), 0) AS retry FROM used), "
    "taken AS (INSERT INTO login_failures AS f (key, failures, window_start) "
    "  SELECT key, 1, now() FROM k WHERE (SELECT retry FROM verdict) = 0 "
    "  ON CONFLICT (key) DO UPDATE SET "
    "  failures = CASE WHEN f.window_start > now() - make_interval(secs => $4::int) "
    "    THEN least(f.failures + 1, 1000000) ELSE 1 END, "
    "  window_start = CASE WHEN f.window_start > now() - make_interval(secs => $4::int) "
    "    THEN f.window_start ELSE now() END RETURNING 1) "
    "SELECT retry, (SELECT count(*) FROM taken) FROM verdict";

/* Deletes a bounded batch of expired rows; SKIP LOCKED keeps concurrent logins from queueing
 * behind each other's pruning. $1 window seconds. */
static const char SQL_PRUNE[] = "DELETE FROM login_failures WHERE key IN ("
                                "SELECT key FROM login_failures "
                                "WHERE window_start <= now() - make_interval(secs => $1::int) "
                                "LIMIT 50 FOR UPDATE SKIP LOCKED)";

static const char SQL_FORGET_SUBJECT[] = "DELETE FROM login_failures WHERE key = " SUBJECT_KEY;
/* $1 kind, $2 subject: one slot back, the earlier failures kept. */
static const char SQL_GIVE_BACK_SUBJECT[] =
    "WITH gone AS (DELETE FROM login_failures WHERE key = " SUBJECT_KEY " AND failures <= 1) "
    "UPDATE login_failures SET failures = failures - 1 WHERE key = " SUBJECT_KEY
    " AND failures > 1";
/* $1 address. */
static const char SQL_GIVE_BACK_ADDR[] =
    "WITH gone AS (DELETE FROM login_failures WHERE key = 'addr:' || $1::text AND failures <= 1) "
    "UPDATE login_failures SET failures = failures - 1 "
    "WHERE key = 'addr:' || $1::text AND failures > 1";

/* The seconds in cell (0, 0) of r, never negative; 0 when absent. */
static int retry_seconds(const struct db_result *r)
{
    const char *v = db_result_get(r, 0, 0);
    int n = v != NULL ? atoi(v) : 0;
    return n > 0 ? n : 0;
}

int db_throttles_reserve(struct db_pool *pool, const struct db_throttle_slot *s, int *retry_after,
                         struct db_error *err)
{
    char win[16], max_s[16], max_a[16];
    struct db_result *rs[3] = {NULL, NULL, NULL};
    int ret = -1;

    snprintf(win, sizeof win, "%d", s->window_s);
    snprintf(max_s, sizeof max_s, "%d", s->max_subject);
    snprintf(max_a, sizeof max_a, "%d", s->max_addr);
    const char *params[] = {s->kind, s->subject, s->addr, win, max_s, max_a};
    const char *prune_params[] = {win};
    const struct db_stmt st[] = {
        {SQL_LOCK, 3, params}, /* $1-$3 are the same kind, subject, address */
        {SQL_RESERVE, 6, params},
        {SQL_PRUNE, 1, prune_params},
    };
    *retry_after = 0;
    if (db_run(pool, NULL, st, 3, rs, 0, err) != 0)
        goto cleanup;
    *retry_after = retry_seconds(rs[1]);
    ret = 0;
cleanup:
    for (int i = 0; i < 3; i++)
        db_result_free(rs[i]);
    return ret;
}

int db_throttles_release(struct db_pool *pool, const char *kind, const char *subject,
                         const char *addr, int forget_subject, struct db_error *err)
{
    const char *params[] = {kind, subject, addr};
    const struct db_stmt st[] = {
        {SQL_LOCK, 3, params},
        {forget_subject ? SQL_FORGET_SUBJECT : SQL_GIVE_BACK_SUBJECT, 2, params},
        {SQL_GIVE_BACK_ADDR, 1, params + 2},
    };
    return db_run(pool, NULL, st, 3, NULL, 0, err);
}

/* One upsert: the row lock it takes serialises concurrent registrations from one address, so
 * exactly max of them get through. A blocked attempt is not counted (attempts stays at most
 * max + 1). $1 address, $2 max, $3 window seconds. */
static const char SQL_REGISTER[] =
    "INSERT INTO register_attempts AS r (address, attempts, window_start) VALUES ($1, 1, now()) "
    "ON CONFLICT (address) DO UPDATE SET "
    "attempts = CASE WHEN r.window_start > now() - make_interval(secs => $3::int) "
    "  THEN least(r.attempts + 1, $2::int + 1) ELSE 1 END, "
    "window_start = CASE WHEN r.window_start > now() - make_interval(secs => $3::int) "
    "  THEN r.window_start ELSE now() END "
    "RETURNING CASE WHEN attempts > $2::int "
    "  THEN greatest(ceil(extract(epoch FROM window_start - now()) + $3::int), 1) ELSE 0 END::int";

static const char SQL_REGISTER_PRUNE[] =
    "DELETE FROM register_attempts WHERE address IN ("
    "SELECT address FROM register_attempts "
    "WHERE window_start <= now() - make_interval(secs => $1::int) "
    "LIMIT 50 FOR UPDATE SKIP LOCKED)";

int db_throttles_register(struct db_pool *pool, const char *addr, int max, int window_s,
                          int *retry_after, struct db_error *err)
{
    char max_s[16], win[16];
    struct db_result *rs[2] = {NULL, NULL};
    int ret = -1;

    snprintf(max_s, sizeof max_s, "%d", max);
    snprintf(win, sizeof win, "%d", window_s);
    const char *params[] = {addr, max_s, win};
    const char *prune_params[] = {win};
    const struct db_stmt st[] = {
        {SQL_REGISTER, 3, params},
        {SQL_REGISTER_PRUNE, 1, prune_params},
    };
    *retry_after = 0;
    if (db_run(pool, NULL, st, 2, rs, 0, err) != 0)
        goto cleanup;
    *retry_after = retry_seconds(rs[0]);
    ret = 0;
cleanup:
    db_result_free(rs[0]);
    db_result_free(rs[1]);
    return ret;
}
