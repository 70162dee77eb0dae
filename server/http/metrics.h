/* metrics: request counters and duration histograms kept with relaxed atomics (no lock on the
 * request path), rendered in the Prometheus text exposition format (version 0.0.4) for the
 * admin listener. Labels are route TEMPLATES ("/api/v1/aam/connectors/{id}"), a closed set of
 * methods and the numeric status: never a raw path, namespace, email or token, so an attacker
 * cannot grow the label set and nothing personal leaves through /metrics. */
#ifndef AAM_METRICS_H
#define AAM_METRICS_H

#include <stddef.h>

/* The label for requests that matched no route (404, 400 on a bad target, 401 off-route). */
#define METRICS_ROUTE_UNMATCHED "unmatched"

struct metrics;

/* Everything else /metrics shows, read by the caller just before rendering. */
struct metrics_gauges {
    int requests_in_progress;
    int connections_open;
    int draining; /* 1 once SIGTERM/SIGINT came */
    int db_pool_size, db_open, db_in_use, db_idle, db_waiting;
    unsigned long db_created, db_discarded, db_timeouts;
    unsigned long db_errors[4]; /* by class: unavailable, unique, invalid, query */
    int lane_db_queued, lane_db_busy, lane_db_workers;
    int lane_hash_queued, lane_hash_busy, lane_hash_workers;
    int lane_check_queued, lane_check_busy, lane_check_workers;
    /* webhook deliveries (server/core/webhook_worker.h) */
    int webhooks_running; /* 0: this replica sends none, the queue gauges are not read */
    unsigned long wh_succeeded, wh_failed, wh_gave_up, wh_disabled, wh_stale;
    long long wh_queue;
    double wh_oldest_s;
};

/* A registry for these route templates (copied; duplicates kept once), plus
 * METRICS_ROUTE_UNMATCHED.
 * Aborts on OOM; never NULL. */
struct metrics *metrics_new(const char *const *routes, size_t n_routes);

/* NULL-safe. */
void metrics_free(struct metrics *m);

/* The index of template (by string), or the "unmatched" index for NULL or an unknown one. */
size_t metrics_route_index(const struct metrics *m, const char *template_);

/* Counts one finished request. method is folded into GET/HEAD/POST/PUT/PATCH/DELETE/OPTIONS
 * or "other"; status outside 100..599 counts as "0" (no response was sent). Thread-safe,
 * lock-free. */
void metrics_observe(struct metrics *m, size_t route, const char *method, int status,
                     double seconds);

/* Renders every family. version goes into aam_build_info. Returns a malloc'd text
 * (caller frees) and its length in *len, or NULL on OOM. */
char *metrics_render(const struct metrics *m, const struct metrics_gauges *g, const char *version,
                     size_t *len);

#endif
