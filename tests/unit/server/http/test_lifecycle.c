/* Unit tests for server/lifecycle.c: the states, the counts, and the waits shutdown relies
 * on, driven by plain threads standing in for MHD's I/O threads and the worker lanes.
 * Deadlines are either already past or far away (60 s), so no result depends on timing. */
#include <check.h>
#include <pthread.h>

#include "server/http/lifecycle.h"
#include "util/mono.h"

#define FAR_MS 60000

static long long far_deadline(void)
{
    return mono_ms() + FAR_MS;
}

START_TEST(test_lifecycle_states)
{
    struct lifecycle *lc = lifecycle_new();
    ck_assert_int_eq(lifecycle_state(lc), LIFECYCLE_ACCEPTING);
    lifecycle_begin_drain(lc);
    ck_assert_int_eq(lifecycle_state(lc), LIFECYCLE_DRAINING);
    lifecycle_begin_drain(lc); /* idempotent */
    ck_assert_int_eq(lifecycle_state(lc), LIFECYCLE_DRAINING);
    ck_assert_int_eq(lifecycle_stop(lc, far_deadline()), 0);
    ck_assert_int_eq(lifecycle_state(lc), LIFECYCLE_STOPPING);
    lifecycle_free(lc);
    lifecycle_free(NULL);
}
END_TEST

START_TEST(test_lifecycle_counts)
{
    struct lifecycle *lc = lifecycle_new();
    struct lifecycle_counts n;
    lifecycle_connection_open(lc);
    lifecycle_request_begin(lc);
    lifecycle_request_begin(lc);
    ck_assert_int_eq(lifecycle_suspend_begin(lc), 0);
    lifecycle_counts(lc, &n);
    ck_assert_int_eq(n.active, 2);
    ck_assert_int_eq(n.suspended, 1);
    ck_assert_int_eq(n.connections, 1);
    lifecycle_suspend_end(lc);
    lifecycle_request_end(lc);
    lifecycle_request_end(lc);
    lifecycle_connection_close(lc);
    lifecycle_counts(lc, &n);
    ck_assert_int_eq(n.active + n.suspended + n.connections, 0);
    lifecycle_free(lc);
}
END_TEST

START_TEST(test_lifecycle_idle_at_once_when_nothing_open)
{
    struct lifecycle *lc = lifecycle_new();
    lifecycle_begin_drain(lc);
    ck_assert_int_eq(lifecycle_wait_idle(lc, FAR_MS, far_deadline()), 0);
    lifecycle_free(lc);
}
END_TEST

START_TEST(test_lifecycle_deadline_with_request_running)
{
    struct lifecycle *lc = lifecycle_new();
    lifecycle_request_begin(lc);
    lifecycle_begin_drain(lc);
    ck_assert_int_eq(lifecycle_wait_idle(lc, 0, mono_ms() - 1), -1);
    lifecycle_request_end(lc);
    ck_assert_int_eq(lifecycle_wait_idle(lc, 0, mono_ms() - 1), 0);
    lifecycle_free(lc);
}
END_TEST

START_TEST(test_lifecycle_idle_connection_closed_after_linger)
{
    struct lifecycle *lc = lifecycle_new();
    lifecycle_connection_open(lc); /* a keep-alive connection with no request */
    lifecycle_begin_drain(lc);
    ck_assert_int_eq(lifecycle_wait_idle(lc, 0, far_deadline()), 0);
    lifecycle_free(lc);
}
END_TEST

static void *end_request_later(void *arg)
{
    struct lifecycle *lc = arg;
    lifecycle_request_end(lc);
    lifecycle_connection_close(lc);
    return NULL;
}

/* The waiter must be woken by the last request's end (and the connection's close): with a
 * 60 s linger and deadline, returning 0 at all proves the condition variable did it. */
START_TEST(test_lifecycle_woken_by_last_request)
{
    struct lifecycle *lc = lifecycle_new();
    pthread_t t;
    lifecycle_connection_open(lc);
    lifecycle_request_begin(lc);
    lifecycle_begin_drain(lc);
    ck_assert_int_eq(pthread_create(&t, NULL, end_request_later, lc), 0);
    ck_assert_int_eq(lifecycle_wait_idle(lc, FAR_MS, far_deadline()), 0);
    pthread_join(t, NULL);
    lifecycle_free(lc);
}
END_TEST

static void *resume_later(void *arg)
{
    lifecycle_suspend_end(arg);
    return NULL;
}

START_TEST(test_lifecycle_stop_waits_for_suspended)
{
    struct lifecycle *lc = lifecycle_new();
    pthread_t t;
    ck_assert_int_eq(lifecycle_suspend_begin(lc), 0);
    lifecycle_begin_drain(lc);
    ck_assert_int_eq(pthread_create(&t, NULL, resume_later, lc), 0);
    ck_assert_int_eq(lifecycle_stop(lc, far_deadline()), 0);
    pthread_join(t, NULL);
    /* stopping: nothing may be suspended any more */
    ck_assert_int_eq(lifecycle_suspend_begin(lc), -1);
    struct lifecycle_counts n;
    lifecycle_counts(lc, &n);
    ck_assert_int_eq(n.suspended, 0);
    lifecycle_free(lc);
}
END_TEST

START_TEST(test_lifecycle_stop_deadline_with_suspended)
{
    struct lifecycle *lc = lifecycle_new();
    ck_assert_int_eq(lifecycle_suspend_begin(lc), 0);
    lifecycle_begin_drain(lc);
    ck_assert_int_eq(lifecycle_stop(lc, mono_ms() - 1), -1);
    lifecycle_suspend_end(lc);
    lifecycle_free(lc);
}
END_TEST

/* A connection handed to the daemon counts at once, and its later announcement does not
 * count it twice; one the daemon refused is uncounted. */
START_TEST(test_lifecycle_handed_over_connections)
{
    struct lifecycle *lc = lifecycle_new();
    struct lifecycle_counts n;
    lifecycle_begin_drain(lc);
    lifecycle_connection_handed_over(lc, 1);
    ck_assert_int_eq(lifecycle_wait_idle(lc, FAR_MS, mono_ms() - 1), -1); /* not idle: it is open */
    lifecycle_connection_open(lc); /* the daemon announces it */
    lifecycle_counts(lc, &n);
    ck_assert_int_eq(n.connections, 1);
    lifecycle_connection_open(lc); /* another, ordinary connection */
    lifecycle_counts(lc, &n);
    ck_assert_int_eq(n.connections, 2);
    lifecycle_connection_handed_over(lc, 1);
    lifecycle_connection_handed_over(lc, 0); /* refused */
    lifecycle_connection_close(lc);
    lifecycle_connection_close(lc);
    lifecycle_counts(lc, &n);
    ck_assert_int_eq(n.connections, 0);
    ck_assert_int_eq(lifecycle_wait_idle(lc, FAR_MS, far_deadline()), 0);
    lifecycle_free(lc);
}
END_TEST

static Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("states");
    tcase_add_test(tc, test_lifecycle_states);
    tcase_add_test(tc, test_lifecycle_counts);
    suite_add_tcase(s, tc);
    tc = tcase_create("waits");
    tcase_add_test(tc, test_lifecycle_idle_at_once_when_nothing_open);
    tcase_add_test(tc, test_lifecycle_deadline_with_request_running);
    tcase_add_test(tc, test_lifecycle_idle_connection_closed_after_linger);
    tcase_add_test(tc, test_lifecycle_woken_by_last_request);
    tcase_add_test(tc, test_lifecycle_stop_waits_for_suspended);
    tcase_add_test(tc, test_lifecycle_stop_deadline_with_suspended);
    tcase_add_test(tc, test_lifecycle_handed_over_connections);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lifecycle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
