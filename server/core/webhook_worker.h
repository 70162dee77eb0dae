/* webhook_worker: the delivery threads every `aam serve` runs (AAM_WEBHOOK_WORKERS of them).
 * Each claims due deliveries of every tenant in a short transaction (FOR UPDATE SKIP LOCKED, a
 * 30 s lease: no session state, so it works behind PgBouncer in transaction mode), signs each
 * with the endpoint's secret (decrypted for the signature only, wiped right after; both secrets
 * during a rotation window), sends it through the outbound rule (the host is resolved and
 * checked against AAM_OUTBOUND_NETS again, the checked address pinned, no redirect, 10 s in
 * all, the answer's body dropped) and reports the attempt; the database schedules the retry or
 * gives up (migration 0013). A replica that dies leaves its leases to run out: another sends
 * those deliveries again, with the same webhook-id. With nothing due a thread looks again after
 * AAM_WEBHOOK_POLL_MS; after finding work, at once. One thread also refreshes the queue gauges
 * every 2 s and prunes deliveries older than AAM_HISTORY_DAYS at start and every 6 h. */
#ifndef AAM_WEBHOOK_WORKER_H
#define AAM_WEBHOOK_WORKER_H

struct cfg;
struct db_pool;
struct webhook_worker;

#define WEBHOOK_WORKER_TIMEOUT_MS 10000 /* one delivery: resolve, connect, send, answer */
#define WEBHOOK_WORKER_LEASE_S 30       /* a claim's lease: well above the timeout */
#define WEBHOOK_WORKER_BATCH 4          /* deliveries one claim takes */
#define WEBHOOK_WORKER_INFLIGHT 4       /* deliveries one endpoint has in flight at most */

/* Starts cfg->webhook_workers threads over pool and cfg (both borrowed: they must outlive
 * webhook_worker_stop). Returns NULL when that is 0 (this replica sends nothing) or a thread
 * cannot start (logged). */
struct webhook_worker *webhook_worker_start(struct db_pool *pool, const struct cfg *cfg)
    __attribute__((warn_unused_result));

/* Tells the threads to stop after the delivery each is sending (non-blocking). NULL-safe. */
void webhook_worker_signal_stop(struct webhook_worker *w);

/* Signals, waits up to wait_ms for the threads to finish, and frees w. Returns 0, or -1 when a
 * thread is still sending (w is then left allocated: its threads use it; the caller should exit
 * without freeing what they borrow; their leases run out and another replica sends). */
int webhook_worker_stop(struct webhook_worker *w, int wait_ms) __attribute__((warn_unused_result));

/* What /metrics shows: process-wide counters since start and the last queue reading. */
struct webhook_worker_stats {
    unsigned long succeeded; /* attempts answered 2xx */
    unsigned long failed;    /* attempts that failed (a retry follows, or not) */
    unsigned long gave_up;   /* deliveries failed for good (24 h after their event) */
    unsigned long disabled;  /* endpoints set inactive after failing 24 h */
    unsigned long stale;     /* attempts whose claim another replica had taken over */
    int running;             /* 1 when this process runs delivery threads */
    long long queue;         /* pending deliveries, every tenant */
    double oldest_s;         /* age of the oldest pending delivery */
};

/* Fills *out; thread-safe. */
void webhook_worker_stats(struct webhook_worker_stats *out);

#endif
