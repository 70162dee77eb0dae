/* lane: a minimal thread pool (mutex + condition variable + two singly linked FIFOs).
 * Jobs are small structs allocated per submit. The urgent FIFO is always drained first, so a
 * job queued there waits only for the jobs already running, never behind queued bulk work;
 * each FIFO may have a bound on its queued (not yet running) jobs. */
#include "server/http/lane.h"

#include <pthread.h>
#include <stdlib.h>

#include "server/core/log.h"
#include "util/xalloc.h"

struct lane_job {
    lane_fn fn;
    void *arg;
    struct lane_job *next;
};

struct lane_fifo {
    struct lane_job *head, *tail;
    size_t n;
};

struct lane {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct lane_fifo q[2]; /* LANE_URGENT, LANE_BULK */
    int busy;              /* jobs running */
    int stopping;
    int n_threads;
    pthread_t *threads;
};

static struct lane_job *fifo_pop(struct lane_fifo *f)
{
    struct lane_job *job = f->head;
    if (job == NULL)
        return NULL;
    f->head = job->next;
    if (f->head == NULL)
        f->tail = NULL;
    f->n--;
    return job;
}

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        while (l->q[LANE_URGENT].head == NULL && l->q[LANE_BULK].head == NULL && !l->stopping)
            pthread_cond_wait(&l->cv, &l->mu);
        struct lane_job *job = fifo_pop(&l->q[LANE_URGENT]);
        if (job == NULL)
            job = fifo_pop(&l->q[LANE_BULK]);
        if (job == NULL) { /* stopping and drained */
            pthread_mutex_unlock(&l->mu);
            return NULL;
        }
        l->busy++;
        pthread_mutex_unlock(&l->mu);
        job->fn(job->arg);
        free(job);
        pthread_mutex_lock(&l->mu);
        l->busy--;
        pthread_mutex_unlock(&l->mu);
    }
}

struct lane *lane_new(const char *name, int n)
{
    struct lane *l = xcalloc(1, sizeof *l);
    l->threads = xcalloc((size_t)n, sizeof *l->threads);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&l->threads[i], NULL, lane_main, l) != 0)
            break;
        l->n_threads++;
    }
    if (l->n_threads == 0) {
        log_error("lane %s: no worker thread could be started", name);
        lane_free(l);
        return NULL;
    }
    return l;
}

int lane_submit_to(struct lane *l, enum lane_priority prio, size_t max_queued, lane_fn fn, void *arg)
{
    struct lane_job *job = xmalloc(sizeof *job);
    job->fn = fn;
    job->arg = arg;
    job->next = NULL;
    pthread_mutex_lock(&l->mu);
    struct lane_fifo *f = &l->q[prio];
    int rc = l->stopping ? -1 : (max_queued > 0 && f->n >= max_queued) ? -2 : 0;
    if (rc != 0) {
        pthread_mutex_unlock(&l->mu);
        free(job);
        return rc;
    }
    if (f->tail)
        f->tail->next = job;
    else
        f->head = job;
    f->tail = job;
    f->n++;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

int lane_submit(struct lane *l, lane_fn fn, void *arg)
{
    return lane_submit_to(l, LANE_URGENT, 0, fn, arg);
}

void lane_free(struct lane *l)
{
    if (l == NULL)
        return;
    pthread_mutex_lock(&l->mu);
    l->stopping = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->n_threads; i++)
        pthread_join(l->threads[i], NULL);
    free(l->threads);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}

void lane_stats(struct lane *l, struct lane_stats *out)
{
    out->queued = out->busy = out->workers = 0;
    if (l == NULL)
        return;
    pthread_mutex_lock(&l->mu);
    out->queued = (int)(l->q[LANE_URGENT].n + l->q[LANE_BULK].n);
    out->busy = l->busy;
    out->workers = l->n_threads;
    pthread_mutex_unlock(&l->mu);
}
