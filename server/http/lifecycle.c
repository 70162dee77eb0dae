/* lifecycle: accepting -> draining -> stopping, and the counts shutdown waits for.
 * One mutex and one condition variable (on CLOCK_MONOTONIC, so a wall-clock jump cannot
 * stretch or cut the grace period). The hot path takes the mutex a few times per request;
 * it is never held across anything slow. */
#include "server/http/lifecycle.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/mono.h"
#include "util/xalloc.h"

struct lifecycle {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast whenever a count the shutdown path waits for drops */
    enum lifecycle_state state;
    int active, suspended, connections;
    int handed_over;         /* counted in connections, not yet announced by the daemon (see .h) */
    long long idle_since_ms; /* when active last dropped to 0 (while not accepting) */
};

struct lifecycle *lifecycle_new(void)
{
    struct lifecycle *lc = xcalloc(1, sizeof *lc);
    pthread_condattr_t attr;
    pthread_mutex_init(&lc->mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&lc->cv, &attr);
    pthread_condattr_destroy(&attr);
    lc->state = LIFECYCLE_ACCEPTING;
    return lc;
}

void lifecycle_free(struct lifecycle *lc)
{
    if (lc == NULL)
        return;
    pthread_mutex_destroy(&lc->mu);
    pthread_cond_destroy(&lc->cv);
    free(lc);
}

enum lifecycle_state lifecycle_state(struct lifecycle *lc)
{
    pthread_mutex_lock(&lc->mu);
    enum lifecycle_state s = lc->state;
    pthread_mutex_unlock(&lc->mu);
    return s;
}

void lifecycle_counts(struct lifecycle *lc, struct lifecycle_counts *out)
{
    pthread_mutex_lock(&lc->mu);
    out->active = lc->active;
    out->suspended = lc->suspended;
    out->connections = lc->connections;
    pthread_mutex_unlock(&lc->mu);
}

void lifecycle_request_begin(struct lifecycle *lc)
{
    pthread_mutex_lock(&lc->mu);
    lc->active++;
    pthread_mutex_unlock(&lc->mu);
}

void lifecycle_request_end(struct lifecycle *lc)
{
    pthread_mutex_lock(&lc->mu);
    if (--lc->active == 0 && lc->state != LIFECYCLE_ACCEPTING) {
        lc->idle_since_ms = mono_ms();
        pthread_cond_broadcast(&lc->cv);
    }
    pthread_mutex_unlock(&lc->mu);
}

int lifecycle_suspend_begin(struct lifecycle *lc)
{
    int rc = 0;
    pthread_mutex_lock(&lc->mu);
    if (lc->state == LIFECYCLE_STOPPING)
        rc = -1;
    else
        lc->suspended++;
    pthread_mutex_unlock(&lc->mu);
    return rc;
}

void lifecycle_suspend_end(struct lifecycle *lc)
{
    pthread_mutex_lock(&lc->mu);
    if (--lc->suspended == 0 && lc->state != LIFECYCLE_ACCEPTING)
        pthread_cond_broadcast(&lc->cv);
    pthread_mutex_unlock(&lc->mu);
}

void lifecycle_connection_open(struct lifecycle *lc)
{
    pthread_mutex_lock(&lc->mu);
    if (lc->handed_over > 0)
        lc->handed_over--; /* already counted when it was handed over */
    else
        lc->connections++;
    pthread_mutex_unlock(&lc->mu);
}

void lifecycle_connection_handed_over(struct lifecycle *lc, int taken)
{
    pthread_mutex_lock(&lc->mu);
    if (taken) {
        lc->connections++;
        lc->handed_over++;
    } else {
        lc->handed_over--;
        if (--lc->connections == 0 && lc->state != LIFECYCLE_ACCEPTING)
            pthread_cond_broadcast(&lc->cv);
    }
    pthread_mutex_unlock(&lc->mu);
}

void lifecycle_connection_close(struct lifecycle *lc)
{
    pthread_mutex_lock(&lc->mu);
    if (--lc->connections == 0 && lc->state != LIFECYCLE_ACCEPTING)
        pthread_cond_broadcast(&lc->cv);
    pthread_mutex_unlock(&lc->mu);
}

void lifecycle_begin_drain(struct lifecycle *lc)
{
    pthread_mutex_lock(&lc->mu);
    if (lc->state == LIFECYCLE_ACCEPTING) {
        lc->state = LIFECYCLE_DRAINING;
        lc->idle_since_ms = mono_ms();
    }
    pthread_mutex_unlock(&lc->mu);
}

/* Waits on cv until wake_ms (mono_ms time: the cv waits on CLOCK_MONOTONIC too). Returns when
 * signalled or at wake_ms. */
static void wait_until(struct lifecycle *lc, long long wake_ms)
{
    struct timespec ts = {.tv_sec = (time_t)(wake_ms / 1000),
                          .tv_nsec = (long)(wake_ms % 1000) * 1000000};
    int rc = pthread_cond_timedwait(&lc->cv, &lc->mu, &ts);
    (void)rc; /* ETIMEDOUT or a wake-up: the caller re-checks the counts either way */
}

int lifecycle_wait_idle(struct lifecycle *lc, int linger_ms, long long deadline_ms)
{
    int rc = -1;
    pthread_mutex_lock(&lc->mu);
    for (;;) {
        long long now = mono_ms(), wake = deadline_ms;
        if (lc->active == 0) {
            long long linger_end = lc->idle_since_ms + linger_ms;
            if (lc->connections <= 0 || now >= linger_end) {
                rc = 0;
                break;
            }
            if (linger_end < wake)
                wake = linger_end;
        }
        if (now >= deadline_ms)
            break;
        wait_until(lc, wake);
    }
    pthread_mutex_unlock(&lc->mu);
    return rc;
}

int lifecycle_stop(struct lifecycle *lc, long long deadline_ms)
{
    int rc = 0;
    pthread_mutex_lock(&lc->mu);
    lc->state = LIFECYCLE_STOPPING;
    while (lc->suspended > 0) {
        if (mono_ms() >= deadline_ms) {
            rc = -1;
            break;
        }
        wait_until(lc, deadline_ms);
    }
    pthread_mutex_unlock(&lc->mu);
    return rc;
}
