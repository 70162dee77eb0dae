/* lane: a fixed set of worker threads draining one FIFO of jobs. The HTTP core keeps two:
 * one for database work and one for password hashing, so the slow one cannot starve the other. */
#ifndef AAM_LANE_H
#define AAM_LANE_H

struct lane;

typedef void (*lane_fn)(void *arg);

/* Starts n threads named for logs. Returns NULL if no thread could be started. */
struct lane *lane_new(const char *name, int n) __attribute__((warn_unused_result));

/* Queues fn(arg). Returns -1 once the lane is stopping (the job is not run). */
int lane_submit(struct lane *l, lane_fn fn, void *arg) __attribute__((warn_unused_result));

struct lane_stats {
    int queued;  /* jobs waiting for a worker */
    int busy;    /* jobs running */
    int workers; /* threads */
};

/* A consistent snapshot, for /metrics. NULL-safe (all zero). */
void lane_stats(struct lane *l, struct lane_stats *out);

/* Runs every queued job, joins the threads and frees the lane. NULL-safe. */
void lane_free(struct lane *l);

#endif
