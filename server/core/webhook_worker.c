/* webhook_worker: the delivery threads (see webhook_worker.h). */
#include "server/core/webhook_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/webhooks.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/outbound.h"
#include "server/core/secrets.h"
#include "server/core/webhook_sign.h"
#include "util/mono.h"
#include "util/xalloc.h"

#define STATS_EVERY_MS 2000
#define PRUNE_EVERY_MS (6LL * 3600 * 1000)
#define PRUNE_BATCH 5000

struct webhook_worker {
    struct db_pool *pool;
    const struct cfg *cfg;
    int n;
    int stopping;
    int running; /* threads not yet finished */
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* stop, and a peer that found work */
    pthread_cond_t done; /* a thread finished */
    pthread_t *threads;
    long long last_stats_ms, last_prune_ms;
};

static _Atomic unsigned long n_succeeded, n_failed, n_gave_up, n_disabled, n_stale;
static _Atomic int stats_running;
static _Atomic long long stats_queue;
static _Atomic long long stats_oldest_ms;

void webhook_worker_stats(struct webhook_worker_stats *out)
{
    out->succeeded = atomic_load(&n_succeeded);
    out->failed = atomic_load(&n_failed);
    out->gave_up = atomic_load(&n_gave_up);
    out->disabled = atomic_load(&n_disabled);
    out->stale = atomic_load(&n_stale);
    out->running = atomic_load(&stats_running);
    out->queue = atomic_load(&stats_queue);
    out->oldest_s = (double)atomic_load(&stats_oldest_ms) / 1000.0;
}

/* Decrypts one stored secret of webhook (ns, id). Returns the secret (secrets_value_free it) or
 * NULL with err naming the key id. */
static char *open_secret(const struct cfg *cfg, const char *ns, const char *id, const char *stored,
                         size_t *len, char *err, size_t errlen)
{
    const struct secrets_aad aad = {SECRETS_KIND_WEBHOOK, ns, id, "secret"};
    char *secret_ = NULL;
    if (cfg->secret_keys == NULL) {
        snprintf(err, errlen, "AAM_SECRET_KEYS is not set");
        return NULL;
    }
    if (secrets_decrypt(cfg->secret_keys, &aad, stored, &secret_, len, err, errlen) != 0)
        return NULL;
    return secret_;
}

/* The webhook-signature value for one delivery into sig[size]: both secrets while a rotation
 * window is open. The secrets exist in clear only inside this function. Returns 0, or -1 with
 * err (the current secret cannot be opened). */
static int sign_delivery(const struct cfg *cfg, const struct db_result *r, int row, long long ts,
                         char *sig, size_t size, char *err, size_t errlen)
{
    const char *ns = db_result_get(r, row, DB_CLAIM_NS);
    const char *wid = db_result_get(r, row, DB_CLAIM_WEBHOOK_ID);
    const char *prev = db_result_get(r, row, DB_CLAIM_PREVIOUS_SECRET);
    size_t len_cur = 0, len_prev = 0;
    char ignored[128];
    char *secret_cur = open_secret(cfg, ns, wid, db_result_get(r, row, DB_CLAIM_SECRET), &len_cur,
                                   err, errlen);
    if (secret_cur == NULL)
        return -1;
    char *secret_prev = prev != NULL
                            ? open_secret(cfg, ns, wid, prev, &len_prev, ignored, sizeof ignored)
                            : NULL;
    const char *secrets_[2] = {secret_cur, secret_prev};
    int rc = webhook_sign_header(secrets_, secret_prev != NULL ? 2 : 1,
                                 db_result_get(r, row, DB_CLAIM_MSG_ID), ts,
                                 db_result_get(r, row, DB_CLAIM_PAYLOAD),
                                 db_result_len(r, row, DB_CLAIM_PAYLOAD), sig, size);
    secrets_value_free(secret_cur, len_cur);
    secrets_value_free(secret_prev, len_prev);
    if (rc != 0)
        snprintf(err, errlen, "the endpoint's secret is malformed");
    return rc;
}

static void count_outcome(const char *outcome, int ok)
{
    atomic_fetch_add(ok ? &n_succeeded : &n_failed, 1);
    if (strcmp(outcome, "failed") == 0)
        atomic_fetch_add(&n_gave_up, 1);
    else if (strcmp(outcome, "disabled") == 0)
        atomic_fetch_add(&n_disabled, 1);
    else if (strcmp(outcome, "stale") == 0)
        atomic_fetch_add(&n_stale, 1);
}

/* Sends claimed row `row` of r and records the attempt. */
static void deliver(struct webhook_worker *w, const struct db_result *r, int row)
{
    const char *ns = db_result_get(r, row, DB_CLAIM_NS);
    const char *wid = db_result_get(r, row, DB_CLAIM_WEBHOOK_ID);
    const char *msg_id = db_result_get(r, row, DB_CLAIM_MSG_ID);
    const char *id_s = db_result_get(r, row, DB_CLAIM_ID);
    const char *claim_s = db_result_get(r, row, DB_CLAIM_CLAIM);
    char sig[2 * (WEBHOOK_SIGN_SIG_LEN + 1)], err[256] = "", error[320] = "", outcome[16];
    char h_id[96], h_ts[48], h_sig[sizeof sig + 32];
    struct outbound_response res = {0};
    struct db_error dberr;
    long long ts = (long long)time(NULL);
    int code = 0;
    struct timespec t0 = mono_now();
    if (ns == NULL || wid == NULL || msg_id == NULL || id_s == NULL || claim_s == NULL)
        return;
    if (sign_delivery(w->cfg, r, row, ts, sig, sizeof sig, err, sizeof err) != 0) {
        snprintf(error, sizeof error, "not sent: %s", err);
    } else {
        snprintf(h_id, sizeof h_id, "webhook-id: %s", msg_id);
        snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", ts);
        snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
        const char *headers[] = {"Content-Type: application/json",
                                 "User-Agent: aam-webhooks/1",
                                 h_id,
                                 h_ts,
                                 h_sig,
                                 NULL};
        const struct outbound_request req = {
            .method = "POST",
            .url = db_result_get(r, row, DB_CLAIM_URL),
            .headers = headers,
            .body = db_result_get(r, row, DB_CLAIM_PAYLOAD),
            .body_len = db_result_len(r, row, DB_CLAIM_PAYLOAD),
            .timeout_ms = WEBHOOK_WORKER_TIMEOUT_MS,
        };
        const struct outbound_policy policy = {.allow = w->cfg->outbound_nets};
        if (outbound_http_request(&policy, &req, &res, err, sizeof err) == 0) {
            code = (int)res.status;
            if (code < 200 || code > 299)
                snprintf(error, sizeof error, "HTTP %d", code);
        } else {
            snprintf(error, sizeof error, "%s", err);
        }
        outbound_response_free(&res);
    }
    long long ms = (long long)mono_elapsed_ms(&t0);
    int ok = code >= 200 && code <= 299;
    if (db_webhooks_record(w->pool, ns, strtoll(id_s, NULL, 10), strtoll(claim_s, NULL, 10), code,
                           ok ? NULL : error, ms, outcome, sizeof outcome, &dberr) != 0) {
        log_warn("webhook delivery %s: the attempt could not be recorded (%s); its lease runs "
                 "out and it is sent again",
                 msg_id, dberr.message);
        return;
    }
    count_outcome(outcome, ok);
    if (ok)
        log_info("webhook delivery %s to %s: delivered (HTTP %d, %lld ms)", msg_id, wid, code, ms);
    else
        log_info("webhook delivery %s to %s: attempt failed (%s, %lld ms): %s", msg_id, wid, error,
                 ms, outcome);
}

/* One claim and its deliveries. Returns how many were claimed, or -1 when the database failed. */
static int run_once(struct webhook_worker *w)
{
    struct db_result *r = NULL;
    struct db_error err;
    if (db_webhooks_claim(w->pool, WEBHOOK_WORKER_BATCH, WEBHOOK_WORKER_LEASE_S,
                          WEBHOOK_WORKER_INFLIGHT, &r, &err) != 0)
        return -1;
    int n = db_result_rows(r);
    if (n > 0 && db_result_cols(r) >= DB_CLAIM_NCOLS) {
        pthread_mutex_lock(&w->mu);
        pthread_cond_signal(&w->cv); /* a peer may find more */
        pthread_mutex_unlock(&w->mu);
        for (int i = 0; i < n; i++)
            deliver(w, r, i);
    }
    db_result_free(r);
    return n;
}

/* The first thread's chores: the queue gauges, and pruning by AAM_HISTORY_DAYS. */
static void housekeeping(struct webhook_worker *w)
{
    long long now = mono_ms(), pending = 0, deleted = 0, total = 0;
    double oldest = 0;
    struct db_error err;
    if (now - w->last_stats_ms >= STATS_EVERY_MS) {
        w->last_stats_ms = now;
        if (db_webhooks_queue_stats(w->pool, &pending, &oldest, &err) == 0) {
            atomic_store(&stats_queue, pending);
            atomic_store(&stats_oldest_ms, (long long)(oldest * 1000));
        }
    }
    if (w->last_prune_ms != 0 && now - w->last_prune_ms < PRUNE_EVERY_MS)
        return;
    w->last_prune_ms = now;
    do {
        if (db_webhooks_prune(w->pool, w->cfg->history_days, PRUNE_BATCH, &deleted, &err) != 0) {
            log_warn("webhook retention: pruning failed (%s)", err.message);
            return;
        }
        total += deleted;
    } while (deleted >= PRUNE_BATCH);
    if (total > 0)
        log_info("webhook retention: %lld deliveries older than %d days deleted", total,
                 w->cfg->history_days);
}

struct thread_arg {
    struct webhook_worker *w;
    int index;
};

static void *on_worker_thread(void *arg_)
{
    struct thread_arg *arg = arg_;
    struct webhook_worker *w = arg->w;
    int first = arg->index == 0;
    free(arg);
    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        pthread_mutex_unlock(&w->mu);
        if (first)
            housekeeping(w);
        int found = run_once(w);
        pthread_mutex_lock(&w->mu);
        if (found > 0 || w->stopping)
            continue;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long long ns = until.tv_nsec + (long long)w->cfg->webhook_poll_ms * 1000000LL;
        until.tv_sec += (time_t)(ns / 1000000000LL);
        until.tv_nsec = (long)(ns % 1000000000LL);
        (void)pthread_cond_timedwait(&w->cv, &w->mu, &until);
    }
    w->running--;
    pthread_cond_broadcast(&w->done);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct webhook_worker *webhook_worker_start(struct db_pool *pool, const struct cfg *cfg)
{
    if (cfg->webhook_workers <= 0)
        return NULL;
    struct webhook_worker *w = xcalloc(1, sizeof *w);
    w->pool = pool;
    w->cfg = cfg;
    w->threads = xcalloc((size_t)cfg->webhook_workers, sizeof *w->threads);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_cond_init(&w->done, NULL);
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < cfg->webhook_workers; i++) {
        struct thread_arg *arg = xmalloc(sizeof *arg);
        arg->w = w;
        arg->index = i;
        if (pthread_create(&w->threads[i], NULL, on_worker_thread, arg) != 0) {
            free(arg);
            log_error("webhooks: cannot start delivery thread %d", i + 1);
            break;
        }
        w->n++;
        w->running++;
    }
    pthread_mutex_unlock(&w->mu);
    if (w->n == 0) {
        int rc = webhook_worker_stop(w, 0); /* no thread runs: always 0 */
        (void)rc;
        return NULL;
    }
    atomic_store(&stats_running, 1);
    log_info("webhooks: %d delivery threads, polling every %d ms", w->n, cfg->webhook_poll_ms);
    return w;
}

void webhook_worker_signal_stop(struct webhook_worker *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int webhook_worker_stop(struct webhook_worker *w, int wait_ms)
{
    if (w == NULL)
        return 0;
    webhook_worker_signal_stop(w);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)wait_ms * 1000000LL;
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&w->mu);
    while (w->running > 0 && pthread_cond_timedwait(&w->done, &w->mu, &until) != ETIMEDOUT)
        ;
    int left = w->running;
    pthread_mutex_unlock(&w->mu);
    if (left > 0) {
        log_warn("webhooks: %d delivery threads still sending; their leases run out", left);
        return -1;
    }
    for (int i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    atomic_store(&stats_running, 0);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->threads);
    free(w);
    return 0;
}
