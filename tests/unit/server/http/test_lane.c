/* Unit tests for server/lane.c: urgent jobs run before every queued bulk job (a login is not
 * queued behind registrations), each FIFO's bound refuses the job past it (-2) and the job is
 * not run, and a stopping lane refuses new work (-1). One worker thread, held busy by a first
 * job until the queue is set up, makes the order deterministic. */
#include <check.h>
#include <pthread.h>
#include <string.h>

#include "server/http/lane.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int released, holding;
static char order[32];
static size_t n_order;

static void hold(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    holding = 1;
    pthread_cond_broadcast(&cv);
    while (!released)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void record(void *arg)
{
    pthread_mutex_lock(&mu);
    order[n_order++] = *(const char *)arg;
    pthread_mutex_unlock(&mu);
}

/* Waits until the worker runs hold(): from then on every submitted job stays queued. */
static void wait_holding(void)
{
    pthread_mutex_lock(&mu);
    while (!holding)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void reset(void)
{
    released = 0;
    holding = 0;
    n_order = 0;
    memset(order, 0, sizeof order);
}

static void release(void)
{
    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

START_TEST(test_lane_urgent_before_bulk)
{
    static char b1 = 'a', b2 = 'b', b3 = 'c', u1 = 'U', u2 = 'V';
    reset();
    struct lane *l = lane_new("test", 1);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(lane_submit(l, hold, NULL), 0);
    wait_holding();
    ck_assert_int_eq(lane_submit_to(l, LANE_BULK, 0, record, &b1), 0);
    ck_assert_int_eq(lane_submit_to(l, LANE_BULK, 0, record, &b2), 0);
    ck_assert_int_eq(lane_submit_to(l, LANE_URGENT, 0, record, &u1), 0);
    ck_assert_int_eq(lane_submit_to(l, LANE_BULK, 0, record, &b3), 0);
    ck_assert_int_eq(lane_submit_to(l, LANE_URGENT, 0, record, &u2), 0);
    release();
    lane_free(l); /* runs every queued job, then joins */
    ck_assert_str_eq(order, "UVabc");
}
END_TEST

START_TEST(test_lane_bound_refuses_past_it)
{
    static char b = 'b', u = 'u';
    reset();
    struct lane *l = lane_new("test", 1);
    ck_assert_int_eq(lane_submit(l, hold, NULL), 0);
    wait_holding();
    ck_assert_int_eq(lane_submit_to(l, LANE_BULK, 2, record, &b), 0);
    ck_assert_int_eq(lane_submit_to(l, LANE_BULK, 2, record, &b), 0);
    ck_assert_int_eq(lane_submit_to(l, LANE_BULK, 2, record, &b), -2);
    /* the bulk FIFO being full does not stop urgent work */
    ck_assert_int_eq(lane_submit_to(l, LANE_URGENT, 1, record, &u), 0);
    ck_assert_int_eq(lane_submit_to(l, LANE_URGENT, 1, record, &u), -2);
    release();
    lane_free(l);
    ck_assert_str_eq(order, "ubb"); /* the refused jobs never ran */
}
END_TEST

static Suite *lane_suite(void)
{
    Suite *s = suite_create("lane");
    TCase *tc = tcase_create("queues");
    tcase_add_test(tc, test_lane_urgent_before_bulk);
    tcase_add_test(tc, test_lane_bound_refuses_past_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lane_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
