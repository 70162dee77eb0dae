/* metrics: fixed arrays of relaxed atomics, indexed by route x method x status slot, and a
 * renderer for the Prometheus text format. Statuses are kept in a few slots per route and
 * method, claimed with compare-and-swap on first use: a route sees a handful of statuses,
 * and a fixed table keeps the request path free of locks and allocation. */
#include "server/http/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/check.h"
#include "util/xalloc.h"

#define N_METHODS 8
#define N_STATUS_SLOTS 24
#define N_BUCKETS 13

static const char *const method_names[N_METHODS] = {"GET",   "HEAD",   "POST",    "PUT",
                                                    "PATCH", "DELETE", "OPTIONS", "other"};

/* Upper bounds in seconds, as printed in le="…" (the text is the label, the number the test). */
static const struct {
    double le;
    const char *text;
} buckets[N_BUCKETS] = {
    {0.001, "0.001"}, {0.0025, "0.0025"}, {0.005, "0.005"}, {0.01, "0.01"}, {0.025, "0.025"},
    {0.05, "0.05"},   {0.1, "0.1"},       {0.25, "0.25"},   {0.5, "0.5"},   {1, "1"},
    {2.5, "2.5"},     {5, "5"},           {10, "10"},
};

struct status_slot {
    atomic_int status; /* 0 = free; claimed once, never released */
    atomic_ulong count;
};

struct route_stats {
    char *name;
    struct status_slot slots[N_METHODS][N_STATUS_SLOTS];
    atomic_ulong bucket[N_BUCKETS + 1]; /* [N_BUCKETS] = above the last bound */
    atomic_ullong sum_us;
};

struct metrics {
    size_t n; /* routes + the "unmatched" one, last */
    struct route_stats *routes;
    atomic_ulong overflow; /* a (route, method) that ran out of status slots */
};

struct metrics *metrics_new(const char *const *routes, size_t n_routes)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    m->routes = xcalloc(n_routes + 1, sizeof *m->routes); /* zeroed atomics are valid zeros */
    m->n = 0;
    for (size_t i = 0; i < n_routes; i++) {
        /* one series per template: GET and PATCH of "/x/{id}" share it (method is a label) */
        size_t j = 0;
        while (j < m->n && strcmp(m->routes[j].name, routes[i]) != 0)
            j++;
        if (j == m->n)
            m->routes[m->n++].name = xstrdup(routes[i]);
    }
    m->routes[m->n++].name = xstrdup(METRICS_ROUTE_UNMATCHED);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->routes[i].name);
    free(m->routes);
    free(m);
}

size_t metrics_route_index(const struct metrics *m, const char *template_)
{
    for (size_t i = 0; template_ != NULL && i + 1 < m->n; i++) {
        if (strcmp(m->routes[i].name, template_) == 0)
            return i;
    }
    return m->n - 1;
}

static size_t method_index(const char *method)
{
    for (size_t i = 0; method != NULL && i + 1 < N_METHODS; i++) {
        if (strcmp(method_names[i], method) == 0)
            return i;
    }
    return N_METHODS - 1;
}

static void count_status(struct metrics *m, struct status_slot *slots, int status)
{
    for (size_t i = 0; i < N_STATUS_SLOTS; i++) {
        int seen = atomic_load_explicit(&slots[i].status, memory_order_acquire);
        if (seen == 0) {
            int expected = 0;
            if (atomic_compare_exchange_strong(&slots[i].status, &expected, status))
                seen = status;
            else
                seen = expected; /* another thread claimed it first */
        }
        if (seen == status) {
            atomic_fetch_add_explicit(&slots[i].count, 1, memory_order_relaxed);
            return;
        }
    }
    atomic_fetch_add_explicit(&m->overflow, 1, memory_order_relaxed);
}

void metrics_observe(struct metrics *m, size_t route, const char *method, int status, double seconds)
{
    if (m == NULL)
        return;
    if (route >= m->n)
        route = m->n - 1;
    if (status < 100 || status > 599)
        status = -1; /* slot value for "no response"; 0 marks a free slot */
    struct route_stats *r = &m->routes[route];
    count_status(m, r->slots[method_index(method)], status);
    size_t b = 0;
    while (b < N_BUCKETS && seconds > buckets[b].le)
        b++;
    atomic_fetch_add_explicit(&r->bucket[b], 1, memory_order_relaxed);
    if (seconds < 0)
        seconds = 0;
    atomic_fetch_add_explicit(&r->sum_us, (unsigned long long)(seconds * 1e6 + 0.5),
                              memory_order_relaxed);
}

/* ------------------------------------------------------------------ rendering */

/* A label value: backslash, double quote and newline escaped, as the format requires. */
static void put_label_value(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            fputs("\\\\", f);
        else if (*v == '"')
            fputs("\\\"", f);
        else if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
}

static void put_family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_gauge(FILE *f, const char *name, const char *help, long value)
{
    put_family(f, name, "gauge", help);
    fprintf(f, "%s %ld\n", name, value);
}

static void put_counter(FILE *f, const char *name, const char *help, unsigned long value)
{
    put_family(f, name, "counter", help);
    fprintf(f, "%s %lu\n", name, value);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void render_requests(FILE *f, const struct metrics *m)
{
    put_family(f, "aam_http_requests_total", "counter",
               "HTTP requests finished, by route template, method and status (0: no response sent)");
    for (size_t r = 0; r < m->n; r++) {
        for (size_t k = 0; k < N_METHODS; k++) {
            const struct status_slot *slots = m->routes[r].slots[k];
            int order[N_STATUS_SLOTS][2]; /* status, slot: printed in status order */
            size_t n = 0;
            for (size_t i = 0; i < N_STATUS_SLOTS; i++) {
                int s = atomic_load_explicit(&slots[i].status, memory_order_acquire);
                if (s != 0) {
                    order[n][0] = s;
                    order[n++][1] = (int)i;
                }
            }
            qsort(order, n, sizeof order[0], cmp_int);
            for (size_t i = 0; i < n; i++) {
                fputs("aam_http_requests_total{route=\"", f);
                put_label_value(f, m->routes[r].name);
                fprintf(f, "\",method=\"%s\",status=\"%d\"} %lu\n", method_names[k],
                        order[i][0] < 0 ? 0 : order[i][0],
                        atomic_load_explicit(&slots[order[i][1]].count, memory_order_relaxed));
            }
        }
    }
    put_counter(
        f, "aam_metrics_status_overflow_total",
        "requests not counted by status because their route and method had too many distinct statuses",
        atomic_load_explicit(&m->overflow, memory_order_relaxed));
}

static void render_histogram(FILE *f, const struct metrics *m)
{
    put_family(f, "aam_http_request_duration_seconds", "histogram",
               "time from the request line to the response sent, by route template");
    for (size_t r = 0; r < m->n; r++) {
        const struct route_stats *rs = &m->routes[r];
        unsigned long cum = 0;
        /* The buckets are read once each and +Inf and _count are their total, so a scrape
         * that races requests is still a consistent histogram (sum may be a hair ahead). */
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            cum += atomic_load_explicit(&rs->bucket[b], memory_order_relaxed);
            fputs("aam_http_request_duration_seconds_bucket{route=\"", f);
            put_label_value(f, rs->name);
            fprintf(f, "\",le=\"%s\"} %lu\n", b < N_BUCKETS ? buckets[b].text : "+Inf", cum);
        }
        fputs("aam_http_request_duration_seconds_sum{route=\"", f);
        put_label_value(f, rs->name);
        fprintf(f, "\"} %.6f\n",
                (double)atomic_load_explicit(&rs->sum_us, memory_order_relaxed) / 1e6);
        fputs("aam_http_request_duration_seconds_count{route=\"", f);
        put_label_value(f, rs->name);
        fprintf(f, "\"} %lu\n", cum);
    }
}

static void render_lanes(FILE *f, const struct metrics_gauges *g)
{
    put_family(f, "aam_lane_queue_depth", "gauge",
               "requests waiting for a worker, by lane (db: database work, hash: register/login, "
               "check: connector checks)");
    fprintf(f,
            "aam_lane_queue_depth{lane=\"db\"} %d\naam_lane_queue_depth{lane=\"hash\"} %d\n"
            "aam_lane_queue_depth{lane=\"check\"} %d\n",
            g->lane_db_queued, g->lane_hash_queued, g->lane_check_queued);
    put_family(f, "aam_lane_busy_workers", "gauge", "workers running a request, by lane");
    fprintf(f,
            "aam_lane_busy_workers{lane=\"db\"} %d\naam_lane_busy_workers{lane=\"hash\"} %d\n"
            "aam_lane_busy_workers{lane=\"check\"} %d\n",
            g->lane_db_busy, g->lane_hash_busy, g->lane_check_busy);
    put_family(f, "aam_lane_workers", "gauge", "worker threads, by lane");
    fprintf(f,
            "aam_lane_workers{lane=\"db\"} %d\naam_lane_workers{lane=\"hash\"} %d\n"
            "aam_lane_workers{lane=\"check\"} %d\n",
            g->lane_db_workers, g->lane_hash_workers, g->lane_check_workers);
}

/* Checks by type and result, and their duration histogram by type (server/core/check.c keeps
 * the counters; API and background checks alike). */
static void render_checks(FILE *f)
{
    struct check_stats cs;
    check_stats_get(&cs);
    put_family(f, "aam_checks_total", "counter", "connector checks run, by type and result");
    for (int i = 0; i < CHECK_TYPES; i++)
        fprintf(f,
                "aam_checks_total{type=\"%s\",result=\"ok\"} %lu\n"
                "aam_checks_total{type=\"%s\",result=\"failed\"} %lu\n",
                cs.type[i], cs.passed[i], cs.type[i], cs.failed[i]);
    put_family(f, "aam_check_duration_seconds", "histogram",
               "time one connector check took, by type");
    for (int i = 0; i < CHECK_TYPES; i++) {
        for (int b = 0; b < CHECK_BUCKETS; b++)
            fprintf(f, "aam_check_duration_seconds_bucket{type=\"%s\",le=\"%g\"} %lu\n", cs.type[i],
                    check_bucket_le[b], cs.bucket[i][b]);
        fprintf(f,
                "aam_check_duration_seconds_bucket{type=\"%s\",le=\"+Inf\"} %lu\n"
                "aam_check_duration_seconds_sum{type=\"%s\"} %.6f\n"
                "aam_check_duration_seconds_count{type=\"%s\"} %lu\n",
                cs.type[i], cs.count[i], cs.type[i], cs.sum_s[i], cs.type[i], cs.count[i]);
    }
}

static void render_db(FILE *f, const struct metrics_gauges *g)
{
    static const char *const classes[4] = {"unavailable", "unique", "invalid", "query"};
    put_gauge(f, "aam_db_pool_size", "connections the pool may keep (AAM_DB_POOL_SIZE)",
              g->db_pool_size);
    put_gauge(f, "aam_db_pool_open_connections", "database connections open (idle + in use)",
              g->db_open);
    put_gauge(f, "aam_db_pool_in_use_connections", "database connections checked out by a request",
              g->db_in_use);
    put_gauge(f, "aam_db_pool_idle_connections", "database connections open and idle", g->db_idle);
    put_gauge(f, "aam_db_pool_waiting", "requests waiting for a free database connection",
              g->db_waiting);
    put_counter(f, "aam_db_pool_connections_created_total", "database connections opened",
                g->db_created);
    put_counter(f, "aam_db_pool_connections_discarded_total",
                "database connections closed as broken or too old", g->db_discarded);
    put_counter(f, "aam_db_pool_acquire_timeouts_total",
                "requests that gave up waiting for a database connection", g->db_timeouts);
    put_family(
        f, "aam_db_errors_total", "counter",
        "failed database calls by class (unavailable: 503; unique, invalid: 409/422; query: 500)");
    for (size_t i = 0; i < 4; i++)
        fprintf(f, "aam_db_errors_total{class=\"%s\"} %lu\n", classes[i], g->db_errors[i]);
}

static void render_webhooks(FILE *f, const struct metrics_gauges *g)
{
    put_family(f, "aam_webhook_attempts_total", "counter",
               "webhook delivery attempts by this replica, by result");
    fprintf(f, "aam_webhook_attempts_total{result=\"succeeded\"} %lu\n", g->wh_succeeded);
    fprintf(f, "aam_webhook_attempts_total{result=\"failed\"} %lu\n", g->wh_failed);
    put_family(f, "aam_webhook_deliveries_total", "counter",
               "webhook deliveries this replica settled without success, by outcome");
    fprintf(f, "aam_webhook_deliveries_total{outcome=\"gave_up\"} %lu\n", g->wh_gave_up);
    fprintf(f, "aam_webhook_deliveries_total{outcome=\"endpoint_disabled\"} %lu\n", g->wh_disabled);
    fprintf(f, "aam_webhook_deliveries_total{outcome=\"stale_claim\"} %lu\n", g->wh_stale);
    if (!g->webhooks_running)
        return;
    put_gauge(f, "aam_webhook_queue_depth", "pending webhook deliveries, every tenant (2 s old)",
              (long)g->wh_queue);
    put_family(f, "aam_webhook_oldest_pending_seconds", "gauge",
               "age of the oldest pending webhook delivery (2 s old)");
    fprintf(f, "aam_webhook_oldest_pending_seconds %.3f\n", g->wh_oldest_s);
}

char *metrics_render(const struct metrics *m, const struct metrics_gauges *g, const char *version,
                     size_t *len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (f == NULL)
        return NULL;
    put_family(f, "aam_build_info", "gauge", "always 1; the labels say which build is running");
    fputs("aam_build_info{version=\"", f);
    put_label_value(f, version ? version : "unknown");
    fputs("\"} 1\n", f);
    render_requests(f, m);
    render_histogram(f, m);
    put_gauge(f, "aam_http_requests_in_progress", "requests begun and not yet answered",
              g->requests_in_progress);
    put_gauge(f, "aam_http_connections_open",
              "client connections open, idle keep-alive ones included", g->connections_open);
    put_gauge(f, "aam_draining", "1 while the server drains after SIGTERM/SIGINT", g->draining);
    render_lanes(f, g);
    render_checks(f);
    render_db(f, g);
    render_webhooks(f, g);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}
