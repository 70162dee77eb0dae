/* retention: the history's pruning thread (see retention.h). It waits on a condition variable
 * with a deadline, so stopping it never waits out an interval. */
#include "server/core/retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "db/events.h"
#include "server/core/log.h"
#include "util/xalloc.h"

struct retention {
    struct db_pool *pool;
    int days;
    int stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
};

long long retention_prune(struct db_pool *pool, int days)
{
    long long total = 0, n = 0;
    struct db_error err;
    do {
        if (db_events_prune(pool, days, RETENTION_BATCH, &n, &err) != 0) {
            log_warn("history retention: pruning failed (%s); next try in %d s", err.message,
                     RETENTION_INTERVAL_S);
            return -1;
        }
        total += n;
    } while (n >= RETENTION_BATCH);
    if (total > 0)
        log_info("history retention: %lld events older than %d days deleted", total, days);
    return total;
}

static void *on_retention_thread(void *arg)
{
    struct retention *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        pthread_mutex_unlock(&r->mu);
        (void)retention_prune(r->pool, r->days);
        pthread_mutex_lock(&r->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += RETENTION_INTERVAL_S;
        while (!r->stopping && pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

struct retention *retention_start(struct db_pool *pool, int days)
{
    struct retention *r = xcalloc(1, sizeof *r);
    r->pool = pool;
    r->days = days;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, on_retention_thread, r) != 0) {
        log_error("history retention: cannot start its thread; events are not pruned");
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NULL;
    }
    return r;
}

void retention_stop(struct retention *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
