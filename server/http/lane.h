/* lane: a fixed set of worker threads draining two FIFOs of jobs, urgent ones first. The HTTP
 * core keeps two lanes: one for database work and one for password hashing, so the slow one
 * cannot starve the other; on the hashing lane logins are urgent and registrations bulk, so
 * a login never queues behind a flood of registrations. */
#ifndef AAM_LANE_H
#define AAM_LANE_H

#include <stddef.h>

struct lane;

typedef void (*lane_fn)(void *arg);

enum lane_priority { LANE_URGENT = 0, LANE_BULK = 1 };

/* Starts n threads named for logs. Returns NULL if no thread could be started. */
struct lane *lane_new(const char *name, int n) __attribute__((warn_unused_result));

/* Queues fn(arg) as urgent, without a bound. Returns -1 once the lane is stopping (the job is
 * not run). */
int lane_submit(struct lane *l, lane_fn fn, void *arg) __attribute__((warn_unused_result));

/* Queues fn(arg) in the prio FIFO. Returns 0; -1 once the lane is stopping; -2 when that FIFO
 * already holds max_queued jobs waiting for a worker (0 = no bound). On -1/-2 nothing runs. */
int lane_submit_to(struct lane *l, enum lane_priority prio, size_t max_queued, lane_fn fn,
                   void *arg) __attribute__((warn_unused_result));

struct lane_stats {
    int queued;  /* jobs waiting for a worker (both FIFOs) */
    int busy;    /* jobs running */
    int workers; /* threads */
};

/* A consistent snapshot, for /metrics. NULL-safe (all zero). */
void lane_stats(struct lane *l, struct lane_stats *out);

/* Runs every queued job, joins the threads and frees the lane. NULL-safe. */
void lane_free(struct lane *l);

#endif
