/* check_sched: background re-checks (see check_sched.h). Idle threads poll for due work every
 * quarter interval (100 ms to 5 s, with jitter so replicas do not poll in step); a thread that
 * found work claims again at once. The database decides what is due and spreads new and
 * overdue connectors over the interval (aam_claim_checks, migration 0012). */
#include "server/core/check_sched.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/checks.h"
#include "server/core/check.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "util/xalloc.h"

#define SCHED_POLL_MIN_MS 100
#define SCHED_POLL_MAX_MS 5000

struct check_sched {
    const struct cfg *cfg;
    struct db_pool *db;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
    int n;
    pthread_t *threads;
    unsigned seed;
};

static int poll_ms(const struct check_sched *s, unsigned *seed)
{
    long ms = (long)s->cfg->check_interval_s * 1000 / 4;
    if (ms < SCHED_POLL_MIN_MS)
        ms = SCHED_POLL_MIN_MS;
    if (ms > SCHED_POLL_MAX_MS)
        ms = SCHED_POLL_MAX_MS;
    return (int)(ms / 2 + (long)(rand_r(seed) % (unsigned)(ms / 2 + 1))); /* [ms/2, ms] */
}

/* Sleeps up to ms unless stopping. Returns 1 when stopping. */
static int nap(struct check_sched *s, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->stopping && pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT) {
    }
    int stop = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

static int stopping(struct check_sched *s)
{
    pthread_mutex_lock(&s->mu);
    int stop = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/* Checks one claimed connector and records the result (which clears the lease). */
static void check_one(struct check_sched *s, const char *ns, const char *id)
{
    const struct check_env env = {.cfg = s->cfg, .db = s->db, .policy = NULL};
    struct db_result *r = NULL;
    struct db_error err = {0};
    struct check_report report;
    char from[16], to[16];
    log_set_context(NULL, ns);
    if (db_checks_load(s->db, ns, id, &r, &err) != 0) {
        log_warn("background check %s: the connector could not be read (%s)", id, err.message);
        goto cleanup; /* the lease expires */
    }
    if (db_result_rows(r) != 1)
        goto cleanup; /* deleted since the claim: its schedule row went with it */
    check_stored(&env, ns, id, r, &report);
    const char *upd = db_result_get(r, 0, DB_CHECK_UPDATED);
    if (check_record(&env, ns, id, &report, upd ? strtoll(upd, NULL, 10) : 0, NULL, 1, from, to,
                     &err) != 0)
        log_warn("background check %s: the result could not be stored (%s)", id, err.message);
    else if (strcmp(from, to) != 0)
        log_info("background check %s: status %s -> %s", id, from, to);
cleanup:
    db_result_free(r);
    log_set_context(NULL, NULL);
}

static void *on_thread(void *arg)
{
    struct check_sched *s = arg;
    pthread_mutex_lock(&s->mu);
    unsigned seed = s->seed++;
    pthread_mutex_unlock(&s->mu);
    while (!stopping(s)) {
        struct db_result *r = NULL;
        struct db_error err = {0};
        if (db_checks_claim(s->db, 1, (double)s->cfg->check_interval_s, CHECK_SCHED_LEASE_S, &r,
                            &err) != 0) {
            log_debug("background checks: no claim (%s)", err.message);
        } else if (db_result_rows(r) > 0) {
            char ns[64], id[256];
            snprintf(ns, sizeof ns, "%s", db_result_get(r, 0, DB_CHECK_CLAIM_NS));
            snprintf(id, sizeof id, "%s", db_result_get(r, 0, DB_CHECK_CLAIM_ID));
            db_result_free(r);
            check_one(s, ns, id);
            continue; /* there may be more due: claim again at once */
        }
        db_result_free(r);
        if (nap(s, poll_ms(s, &seed)))
            break;
    }
    return NULL;
}

struct check_sched *check_sched_start(const struct cfg *cfg, struct db_pool *db)
{
    if (cfg->check_interval_s <= 0)
        return NULL;
    struct check_sched *s = xcalloc(1, sizeof *s);
    s->cfg = cfg;
    s->db = db;
    s->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)s;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->threads = xcalloc((size_t)cfg->check_workers, sizeof *s->threads);
    for (int i = 0; i < cfg->check_workers; i++) {
        if (pthread_create(&s->threads[s->n], NULL, on_thread, s) != 0)
            break;
        s->n++;
    }
    if (s->n == 0) {
        log_error("background checks: no thread could be started");
        check_sched_stop(s);
        return NULL;
    }
    log_info("background checks: every %d s, %d threads", cfg->check_interval_s, s->n);
    return s;
}

void check_sched_signal(struct check_sched *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void check_sched_stop(struct check_sched *s)
{
    if (s == NULL)
        return;
    check_sched_signal(s);
    for (int i = 0; i < s->n; i++)
        pthread_join(s->threads[i], NULL);
    free(s->threads);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
