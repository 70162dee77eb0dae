/* Unit tests for server/metrics.c: counting by template, method and status; the method fold;
 * label escaping; cumulative histogram buckets with +Inf equal to _count; the status-slot
 * overflow; and exact counts under concurrent observers. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/metrics.h"

static const char *const routes[] = {"/health", "/api/v1/x/{id}", "/api/v1/x/{id}", "/q\"\\\nz"};
static const struct metrics_gauges no_gauges;

static char *render(struct metrics *m)
{
    size_t len = 0;
    char *t = metrics_render(m, &no_gauges, "1.2.3", &len);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(strlen(t), len);
    return t;
}

static void assert_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return;
    }
    ck_abort_msg("line not found: %s\n--- in:\n%s", line, text);
}

START_TEST(test_metrics_counts_by_template_method_status)
{
    struct metrics *m = metrics_new(routes, 4);
    size_t h = metrics_route_index(m, "/health"), x = metrics_route_index(m, "/api/v1/x/{id}");
    ck_assert_uint_ne(h, x);
    metrics_observe(m, h, "GET", 200, 0.0001);
    metrics_observe(m, h, "GET", 200, 0.0001);
    metrics_observe(m, x, "PATCH", 422, 0.01);
    metrics_observe(m, x, "BREW", 405, 0.01); /* any unknown method folds into "other" */
    metrics_observe(m, metrics_route_index(m, "/nope"), "GET", 404, 0.01);
    metrics_observe(m, metrics_route_index(m, NULL), "GET", 0, 0.01); /* no response sent */
    char *t = render(m);
    assert_line(t, "aam_build_info{version=\"1.2.3\"} 1");
    assert_line(t, "aam_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 2");
    assert_line(
        t, "aam_http_requests_total{route=\"/api/v1/x/{id}\",method=\"PATCH\",status=\"422\"} 1");
    assert_line(
        t, "aam_http_requests_total{route=\"/api/v1/x/{id}\",method=\"other\",status=\"405\"} 1");
    assert_line(t, "aam_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1");
    assert_line(t, "aam_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"0\"} 1");
    ck_assert_ptr_null(strstr(t, "BREW"));
    /* the duplicate template is one series, not two */
    const char *first = strstr(t,
                               "aam_http_request_duration_seconds_count{route=\"/api/v1/x/{id}\"}");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_null(
        strstr(first + 1, "aam_http_request_duration_seconds_count{route=\"/api/v1/x/{id}\"}"));
    free(t);
    metrics_free(m);
    metrics_free(NULL);
}
END_TEST

START_TEST(test_metrics_label_escaping)
{
    struct metrics *m = metrics_new(routes, 4);
    metrics_observe(m, 2, "GET", 200, 0.0);
    char *t = render(m);
    /* backslash, quote and newline escaped; no raw newline inside a label value */
    assert_line(t,
                "aam_http_requests_total{route=\"/q\\\"\\\\\\nz\",method=\"GET\",status=\"200\"} 1");
    free(t);
    metrics_free(m);
}
END_TEST

START_TEST(test_metrics_histogram_cumulative)
{
    struct metrics *m = metrics_new(routes, 1);
    metrics_observe(m, 0, "GET", 200, 0.0005); /* le 0.001 */
    metrics_observe(m, 0, "GET", 200, 0.001);  /* le 0.001: bounds are inclusive */
    metrics_observe(m, 0, "GET", 200, 0.003);  /* le 0.005 */
    metrics_observe(m, 0, "GET", 200, 20);     /* only +Inf */
    char *t = render(m);
    assert_line(t, "# TYPE aam_http_request_duration_seconds histogram");
    assert_line(t, "aam_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.001\"} 2");
    assert_line(t, "aam_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0025\"} 2");
    assert_line(t, "aam_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.005\"} 3");
    assert_line(t, "aam_http_request_duration_seconds_bucket{route=\"/health\",le=\"10\"} 3");
    assert_line(t, "aam_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 4");
    assert_line(t, "aam_http_request_duration_seconds_count{route=\"/health\"} 4");
    assert_line(t, "aam_http_request_duration_seconds_sum{route=\"/health\"} 20.004500");
    assert_line(t, "aam_http_request_duration_seconds_count{route=\"unmatched\"} 0");
    free(t);
    metrics_free(m);
}
END_TEST

START_TEST(test_metrics_status_overflow_counted)
{
    struct metrics *m = metrics_new(routes, 1);
    for (int s = 200; s < 230; s++)
        metrics_observe(m, 0, "GET", s, 0.0);
    char *t = render(m);
    assert_line(t, "aam_metrics_status_overflow_total 6"); /* 24 slots, 30 statuses */
    assert_line(t, "aam_http_requests_total{route=\"/health\",method=\"GET\",status=\"223\"} 1");
    free(t);
    metrics_free(m);
}
END_TEST

START_TEST(test_metrics_gauges_rendered)
{
    struct metrics *m = metrics_new(routes, 1);
    struct metrics_gauges g = {.requests_in_progress = 3,
                               .db_open = 5,
                               .db_in_use = 2,
                               .db_waiting = 1,
                               .db_errors = {7, 0, 0, 1},
                               .lane_hash_queued = 4};
    size_t len;
    char *t = metrics_render(m, &g, "v", &len);
    assert_line(t, "aam_http_requests_in_progress 3");
    assert_line(t, "aam_db_pool_open_connections 5");
    assert_line(t, "aam_db_pool_in_use_connections 2");
    assert_line(t, "aam_db_pool_waiting 1");
    assert_line(t, "aam_db_errors_total{class=\"unavailable\"} 7");
    assert_line(t, "aam_db_errors_total{class=\"query\"} 1");
    assert_line(t, "aam_lane_queue_depth{lane=\"hash\"} 4");
    assert_line(t, "# TYPE aam_db_pool_waiting gauge");
    free(t);
    metrics_free(m);
}
END_TEST

#define THREADS 4
#define PER_THREAD 30000

static void *hammer(void *arg)
{
    struct metrics *m = arg;
    for (int i = 0; i < PER_THREAD; i++)
        metrics_observe(m, 0, "GET", 200 + (i % 3), 0.002);
    return NULL;
}

START_TEST(test_metrics_concurrent_exact)
{
    struct metrics *m = metrics_new(routes, 1);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, m), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *text = render(m);
    char line[160];
    snprintf(line, sizeof line, "aam_http_request_duration_seconds_count{route=\"/health\"} %d",
             THREADS * PER_THREAD);
    assert_line(text, line);
    /* three statuses, each claimed once even though four threads raced for the slots */
    snprintf(line, sizeof line,
             "aam_http_requests_total{route=\"/health\",method=\"GET\",status=\"201\"} %d",
             THREADS * (PER_THREAD / 3));
    assert_line(text, line);
    assert_line(text, "aam_metrics_status_overflow_total 0");
    free(text);
    metrics_free(m);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, test_metrics_counts_by_template_method_status);
    tcase_add_test(tc, test_metrics_label_escaping);
    tcase_add_test(tc, test_metrics_histogram_cumulative);
    tcase_add_test(tc, test_metrics_status_overflow_counted);
    tcase_add_test(tc, test_metrics_gauges_rendered);
    suite_add_tcase(s, tc);
    tc = tcase_create("concurrency");
    tcase_add_test(tc, test_metrics_concurrent_exact);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(metrics_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
