/* check_sched: background re-checks. Every replica runs one: AAM_CHECK_WORKERS threads, each
 * claiming one due connector at a time from the database (db_checks_claim: FOR UPDATE SKIP
 * LOCKED in one short statement, a lease instead of a lock), checking it as the system actor
 * and recording the result, which clears the lease. So each checkable connector is checked
 * about once per AAM_CHECK_INTERVAL_S across all replicas, never twice at once, spread over
 * the interval; a replica that dies mid-check leaves a lease that expires (CHECK_SCHED_LEASE_S)
 * and the connector is checked again by whoever claims it next. Pooler-safe: no session state. */
#ifndef AAM_CHECK_SCHED_H
#define AAM_CHECK_SCHED_H

struct cfg;
struct db_pool;
struct check_sched;

/* A claim's lease: far longer than a check can take (CHECK_TIMEOUT_MS plus the database). */
#define CHECK_SCHED_LEASE_S 60

/* Starts the scheduler's threads. cfg and db are borrowed and must outlive check_sched_stop.
 * Returns NULL when AAM_CHECK_INTERVAL_S is 0 (never) or no thread could start (logged). */
struct check_sched *check_sched_start(const struct cfg *cfg, struct db_pool *db)
    __attribute__((warn_unused_result));

/* Asks every thread to stop after the check it is running (returns at once). NULL-safe. */
void check_sched_signal(struct check_sched *s);

/* Signals, waits for the threads (at most one check's time) and frees s. NULL-safe. */
void check_sched_stop(struct check_sched *s);

#endif
