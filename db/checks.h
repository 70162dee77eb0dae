/* db/checks: the statements of connector checks (migration 0012): the per-tenant check budget
 * (check_starts), the stored connector a check reads, the result and status transition it
 * writes (with the history settings of the same transaction), and the background schedule
 * every replica claims from (check_schedule, aam_claim_checks). Each function is one db_run. */
#ifndef AAM_DB_CHECKS_H
#define AAM_DB_CHECKS_H

#include <stdint.h>

#include "db/db.h"

/* The columns of a stored connector as a check reads it (db_checks_start, db_checks_load). */
enum db_check_col {
    DB_CHECK_TYPE,
    DB_CHECK_STATUS,
    DB_CHECK_CONFIG,  /* jsonb text, secrets never in it */
    DB_CHECK_SECRETS, /* jsonb text {field: "v1:<key id>:..."}, NULL when none (or no column) */
    DB_CHECK_UPDATED, /* updated_at as integer microseconds */
    DB_CHECK_NCOLS
};

/* Takes one check from ns's budget of max per window_s (a window starting at the first check,
 * shared by every replica) and, for a stored connector (id not NULL), reads it in the same
 * transaction. Nothing is counted when ns has no tenant or id names no connector: then *found
 * is 0. When the budget is spent nothing is counted either and *retry_after (> 0) is the
 * seconds until the window ends. On 0 with *found and no retry, *out holds the connector's row
 * (enum db_check_col; only when id is given, else NULL); the caller frees it. Returns 0, or -1
 * with *err (then nothing was taken and *out is NULL). */
int db_checks_start(struct db_pool *pool, const char *ns, const char *id, int max, int window_s,
                    int *found, int *retry_after, struct db_result **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Reads connector id of ns as a background check does (no budget). On 0, *out holds zero rows
 * or one (enum db_check_col); the caller frees it. Returns 0, or -1 with *err. */
int db_checks_load(struct db_pool *pool, const char *ns, const char *id, struct db_result **out,
                   struct db_error *err) __attribute__((warn_unused_result));

/* Who started a check, for the history trigger's transaction-local settings (aam.actor_*).
 * NULL as a whole: the system (a background check), which sets no actor. */
struct db_check_actor {
    const char *type; /* "user" or "client" */
    const char *id;
    const char *email;      /* NULL when unknown */
    const char *request_id; /* NULL when none */
};

/* A finished check of a stored connector. */
struct db_check_result {
    int ok;
    int64_t checked_at_us; /* when it began, microseconds since the Unix epoch */
    const char *message;   /* the summary kept as last_check.message */
    int64_t updated_us;    /* the connector's updated_at when it was read: a connector changed
                            * since (a PATCH, another check's transition) keeps its row, as the
                            * result is of a config it may no longer have */
    int release_lease;     /* 1: a background check, whose check_schedule lease is cleared */
};

/* Columns of db_checks_record's row (zero rows: the connector is gone or changed meanwhile). */
enum { DB_CHECK_RECORD_FROM, DB_CHECK_RECORD_TO };

/* Stores r as connector id's last check and applies the contract's status transition (a
 * failure turns ACTIVE/PENDING into ERROR, a pass turns ERROR/PENDING into ACTIVE, INACTIVE
 * stays), in one transaction that sets aam.action = 'checked' and, when actor is not NULL,
 * the aam.actor_* and aam.request_id settings for the history trigger. *from and *to receive
 * the status before and after (copied, at most 15 bytes), both "" when nothing was written.
 * Returns 0, or -1 with *err. */
int db_checks_record(struct db_pool *pool, const char *ns, const char *id,
                     const struct db_check_result *r, const struct db_check_actor *actor,
                     char *from, char *to, struct db_error *err)
    __attribute__((warn_unused_result));

/* Columns of db_checks_claim's rows. */
enum { DB_CHECK_CLAIM_NS, DB_CHECK_CLAIM_ID };

/* Claims up to limit due connectors of every tenant for this replica (aam_claim_checks,
 * migration 0012: FOR UPDATE SKIP LOCKED in one short statement; each claimed connector's next
 * check moves one interval_s on and it is leased for lease_s). On 0, *out holds the claimed
 * (namespace, id) rows; the caller frees it. Returns 0, or -1 with *err. */
int db_checks_claim(struct db_pool *pool, int limit, double interval_s, double lease_s,
                    struct db_result **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Clears the lease on connector id of ns when a claimed check could not run. Returns 0, or -1
 * with *err. */
int db_checks_release(struct db_pool *pool, const char *ns, const char *id, struct db_error *err)
    __attribute__((warn_unused_result));

#endif
