/* db/throttles: the login failure counters (login_failures, migration 0002) and the
 * registration counters (register_attempts, migration 0004). Keys are built in SQL: a subject
 * key is kind || ':' || lower(subject), PostgreSQL's lower() being the one the users table and
 * the login lookup use; an address key is 'addr:' || addr. What an address is (an IPv6 /64,
 * say) is the caller's choice (server/core/throttle.c). Each function is one db_run. */
#ifndef AAM_DB_THROTTLES_H
#define AAM_DB_THROTTLES_H

#include "db/db.h"

/* One reservation: the two keys and their budgets within a window. */
struct db_throttle_slot {
    const char *kind;    /* a static word: "email", "token" */
    const char *subject; /* keyed through lower() */
    const char *addr;    /* never NULL: the caller writes "unknown" */
    int max_subject;     /* failures allowed per key in one window */
    int max_addr;
    int window_s;
};

/* Takes one failure slot for both keys of s, or none when either is used up: then *retry_after
 * is the seconds until both may try again (> 0), otherwise 0. Serialised per key by
 * transaction-scoped advisory locks (pooler-safe). Also prunes a bounded batch of expired rows.
 * Returns 0, or -1 with *err set (nothing taken, *retry_after 0). */
int db_throttles_reserve(struct db_pool *pool, const struct db_throttle_slot *s, int *retry_after,
                         struct db_error *err) __attribute__((warn_unused_result));

/* Gives back the slots a reservation of kind/subject/addr took (the address keeps its earlier
 * failures); forget_subject != 0 deletes the subject's count instead. Returns 0, or -1 with
 * *err. */
int db_throttles_release(struct db_pool *pool, const char *kind, const char *subject,
                         const char *addr, int forget_subject, struct db_error *err)
    __attribute__((warn_unused_result));

/* Counts one registration from addr (never NULL) in a window of window_s; when addr already
 * made max, counts nothing and sets *retry_after (> 0) to the seconds until its window ends,
 * else 0. Prunes a bounded batch of expired rows. Returns 0, or -1 with *err. */
int db_throttles_register(struct db_pool *pool, const char *addr, int max, int window_s,
                          int *retry_after, struct db_error *err)
    __attribute__((warn_unused_result));

#endif
