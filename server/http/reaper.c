/* reaper: see reaper.h. The list is scanned four times a second under one mutex; it holds the
 * requests between their request line and their last byte, so a scan is short. */
#include "server/http/reaper.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/core/log.h"
#include "util/mono.h"
#include "util/xalloc.h"

struct reaper {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct reaper_entry *head;
    int deadline_s;
    int stopping;
    pthread_t thread;
};

/* Writes the whole 408 in one send (it is far smaller than any socket buffer) and shuts the
 * socket down. MSG_DONTWAIT: a client that does not read must not block the reaper. */
static void answer_408(const struct reaper_entry *e, int deadline_s)
{
    char body[256], msg[640];
    int blen = snprintf(body, sizeof body,
                        "{\"type\":\"about:blank\",\"title\":\"Request Timeout\",\"status\":408,"
                        "\"detail\":\"the request took longer than %d s to arrive\"}",
                        deadline_s);
    int mlen = snprintf(msg, sizeof msg,
                        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                        "Content-Type: application/problem+json\r\nX-Request-Id: %s\r\n"
                        "Content-Length: %d\r\n\r\n%s",
                        e->request_id, blen, body);
    if (send(e->fd, msg, (size_t)mlen, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        log_debug("reaper: the 408 could not be sent");
    shutdown(e->fd, SHUT_RDWR);
}

static void sweep(struct reaper *r)
{
    for (struct reaper_entry *e = r->head; e != NULL; e = e->next) {
        if (atomic_load(&e->phase) != REAPER_ARRIVING ||
            mono_elapsed_ms(&e->started) < r->deadline_s * 1000.0)
            continue;
        int expected = REAPER_ARRIVING;
        if (!atomic_compare_exchange_strong(&e->phase, &expected, REAPER_REAPED))
            continue; /* claimed meanwhile: its owner answers */
        log_info("request %s still arriving after %d s: answered 408", e->request_id, r->deadline_s);
        answer_408(e, r->deadline_s);
    }
}

static void *reaper_main(void *arg)
{
    struct reaper *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &until);
        if (!r->stopping)
            sweep(r);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

struct reaper *reaper_start(int deadline_s)
{
    struct reaper *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->deadline_s = deadline_s;
    if (pthread_create(&r->thread, NULL, reaper_main, r) != 0) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
        return NULL;
    }
    return r;
}

void reaper_add(struct reaper *r, struct reaper_entry *e)
{
    pthread_mutex_lock(&r->mu);
    e->prev = NULL;
    e->next = r->head;
    if (r->head != NULL)
        r->head->prev = e;
    r->head = e;
    e->listed = 1;
    pthread_mutex_unlock(&r->mu);
}

void reaper_remove(struct reaper *r, struct reaper_entry *e)
{
    if (r == NULL || e == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    if (e->listed) {
        if (e->prev != NULL)
            e->prev->next = e->next;
        else
            r->head = e->next;
        if (e->next != NULL)
            e->next->prev = e->prev;
        e->listed = 0;
    }
    pthread_mutex_unlock(&r->mu);
}

int reaper_claim(struct reaper_entry *e)
{
    int expected = REAPER_ARRIVING;
    if (atomic_compare_exchange_strong(&e->phase, &expected, REAPER_CLAIMED))
        return 1;
    return expected == REAPER_CLAIMED;
}

void reaper_stop(struct reaper *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}
