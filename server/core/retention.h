/* retention: `aam serve`'s background pruning of connector history older than
 * AAM_HISTORY_DAYS, once at start and then every RETENTION_INTERVAL_S, in short batches
 * through the owner's aam_prune_events (the service's own role cannot delete events). Every
 * replica may run it: a batch deletes what is old, and two replicas deleting at once only
 * share the work. */
#ifndef AAM_RETENTION_H
#define AAM_RETENTION_H

struct db_pool;
struct retention;

#define RETENTION_INTERVAL_S (6 * 3600)
#define RETENTION_BATCH 5000

/* Starts the pruning thread over pool (borrowed: it must outlive retention_stop). Returns NULL
 * when the thread cannot start (logged; the service runs on without pruning). */
struct retention *retention_start(struct db_pool *pool, int days)
    __attribute__((warn_unused_result));

/* Stops the thread, waiting for a batch in flight, and frees r. NULL-safe. */
void retention_stop(struct retention *r);

/* One pruning pass: batches until one comes back short. Returns the events deleted, or -1 when
 * the database failed (logged). */
long long retention_prune(struct db_pool *pool, int days);

#endif
