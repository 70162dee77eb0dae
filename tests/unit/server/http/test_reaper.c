/* Unit tests for server/http/reaper.c over a socketpair: a request still arriving past the
 * deadline is answered 408 problem+json with Connection: close and its socket shut down; a
 * request claimed in time is never touched, and one the reaper answered cannot be claimed. */
#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/http/reaper.h"
#include "util/mono.h"

static struct reaper *r;
static int sv[2];

static void setup(void)
{
    r = reaper_start(1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void teardown(void)
{
    reaper_stop(r);
    close(sv[0]);
    close(sv[1]);
}

/* An entry on sv[0] whose request line came `ago_ms` milliseconds ago. */
static void watch(struct reaper_entry *e, long ago_ms)
{
    memset(e, 0, sizeof *e);
    e->fd = sv[0];
    e->started = mono_now();
    e->started.tv_sec -= ago_ms / 1000;
    strcpy(e->request_id, "req-reaper-test");
    reaper_add(r, e);
}

/* Reads what the reaper wrote on the other end, waiting at most timeout_ms for it. */
static size_t read_answer(char *buf, size_t cap, int timeout_ms)
{
    struct pollfd p = {.fd = sv[1], .events = POLLIN};
    if (poll(&p, 1, timeout_ms) != 1)
        return 0;
    ssize_t n = read(sv[1], buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

START_TEST(test_reaper_answers_408_past_the_deadline)
{
    struct reaper_entry e;
    watch(&e, 5000);
    char buf[2048];
    ck_assert_uint_gt(read_answer(buf, sizeof buf, 3000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 408", 12) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "Connection: close"));
    ck_assert_ptr_nonnull(strstr(buf, "application/problem+json"));
    ck_assert_ptr_nonnull(strstr(buf, "req-reaper-test"));
    ck_assert_int_eq(reaper_claim(&e), 0); /* the request may no longer be answered */
    reaper_remove(r, &e);
}
END_TEST

START_TEST(test_reaper_leaves_a_claimed_request_alone)
{
    struct reaper_entry e;
    watch(&e, 0);
    ck_assert_int_eq(reaper_claim(&e), 1); /* answered or handed to a worker in time */
    char buf[256];
    /* The 1 s deadline passes during this wait (the reaper scans 4 times a second): still
     * nothing may be written, since the request is no longer arriving. */
    ck_assert_uint_eq(read_answer(buf, sizeof buf, 1600), 0);
    reaper_remove(r, &e);
}
END_TEST

START_TEST(test_reaper_waits_for_the_deadline)
{
    struct reaper_entry e;
    watch(&e, 0);
    char buf[256];
    ck_assert_uint_eq(read_answer(buf, sizeof buf, 500), 0); /* 1 s deadline not reached */
    ck_assert_int_eq(reaper_claim(&e), 1);
    reaper_remove(r, &e);
    reaper_remove(r, &e); /* idempotent */
}
END_TEST

static Suite *reaper_suite(void)
{
    Suite *s = suite_create("reaper");
    TCase *tc = tcase_create("deadline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_reaper_answers_408_past_the_deadline);
    tcase_add_test(tc, test_reaper_leaves_a_claimed_request_alone);
    tcase_add_test(tc, test_reaper_waits_for_the_deadline);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(reaper_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
