/* db/events: connector_events, the append-only history that migration 0010's trigger writes in
 * the transaction of every connector change. Read here per connector (newest first) and as the
 * tenant's feed (oldest first), both by keyset on the event id, never OFFSET; pruned by age
 * through the owner's aam_prune_events. Every read runs in the namespace it is given and names
 * it in its WHERE. */
#ifndef AAM_DB_EVENTS_H
#define AAM_DB_EVENTS_H

#include "db/db.h"

/* The columns of one event in db_events_history's and db_events_feed's rows. */
enum db_event_col {
    DB_EVENT_ID,
    DB_EVENT_AT, /* microseconds since the Unix epoch */
    DB_EVENT_ACTOR_TYPE,
    DB_EVENT_ACTOR_ID,
    DB_EVENT_ACTOR_EMAIL, /* NULL when none */
    DB_EVENT_ACTOR_ROLE,  /* NULL when none */
    DB_EVENT_ACTION,
    DB_EVENT_CONNECTOR_ID,
    DB_EVENT_CHANGES, /* jsonb text */
    DB_EVENT_REQUEST_ID, /* NULL when none */
    DB_EVENT_NCOLS
};

/* Up to limit events of connector id in ns, newest first, with ids below before (-1: from the
 * newest). Read-only. On 0, *out holds the events and *exists is 1 when the connector exists
 * now (a connector with no event yet, from before the history existed, is still known); the
 * caller frees *out. On -1, *err is set and *out is NULL. */
int db_events_history(struct db_pool *pool, const char *ns, const char *id, long long before,
                      long limit, struct db_result **out, int *exists, struct db_error *err)
    __attribute__((warn_unused_result));

/* Up to limit events of ns with ids above after (0: from the first), oldest first. Read-only.
 * Within one tenant, ids grow in commit order (migration 0010), so resuming after the last id
 * read misses nothing that commits later. On 0, *out holds the events (the caller frees it);
 * on -1, *err is set and *out is NULL. */
int db_events_feed(struct db_pool *pool, const char *ns, long long after, long limit,
                   struct db_result **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Deletes up to batch events (of every tenant) older than days (>= 1), through the owner's
 * SECURITY DEFINER aam_prune_events: the application role has no DELETE on events. *deleted
 * receives how many. Returns 0, or -1 with *err. */
int db_events_prune(struct db_pool *pool, int days, int batch, long long *deleted,
                    struct db_error *err) __attribute__((warn_unused_result));

#endif
