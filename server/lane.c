/* lane: a minimal thread pool (mutex + condition variable + singly linked FIFO).
 * Jobs are small structs allocated per submit; the queue has no bound because the HTTP
 * layer's connection limits already bound how many requests can be waiting. */
#include "server/lane.h"

#include <pthread.h>
#include <stdlib.h>

#include "server/log.h"
#include "util/xalloc.h"

struct lane_job {
    lane_fn fn;
    void *arg;
    struct lane_job *next;
};

struct lane {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct lane_job *head, *tail;
    int stopping;
    int n_threads;
    pthread_t *threads;
};

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        while (l->head == NULL && !l->stopping)
            pthread_cond_wait(&l->cv, &l->mu);
        struct lane_job *job = l->head;
        if (job == NULL) { /* stopping and drained */
            pthread_mutex_unlock(&l->mu);
            return NULL;
        }
        l->head = job->next;
        if (l->head == NULL)
            l->tail = NULL;
        pthread_mutex_unlock(&l->mu);
        job->fn(job->arg);
        free(job);
    }
}

struct lane *lane_new(const char *name, int n)
{
    struct lane *l = xcalloc(1, sizeof *l);
    l->threads = xcalloc((size_t)n, sizeof *l->threads);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    for (int i = 0; l->threads != NULL && i < n; i++) {
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

int lane_submit(struct lane *l, lane_fn fn, void *arg)
{
    struct lane_job *job = xmalloc(sizeof *job);
    job->fn = fn;
    job->arg = arg;
    job->next = NULL;
    pthread_mutex_lock(&l->mu);
    if (l->stopping) {
        pthread_mutex_unlock(&l->mu);
        free(job);
        return -1;
    }
    if (l->tail)
        l->tail->next = job;
    else
        l->head = job;
    l->tail = job;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return 0;
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
