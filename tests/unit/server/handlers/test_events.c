/* Unit tests for server/handlers/events.c without a server or a database (scripted seam):
 * history 401/404 (an id that cannot exist is never asked about; one with no connector and no
 * event is 404, a tenant-less namespace 403), a page with a next cursor that the next request
 * turns back into the keyset bound, the last page with null, 400 for a cursor of another
 * connector or list and junk (never asking the database), 422 for a bad limit, 503; the feed
 * always with a cursor (also empty), resuming after it, 400 for a history cursor. */
#include "server/handlers/events.h"
#include "tests/unit/server/handlers/handler_test.h"

#include "server/core/cursor.h"

#define NS "acme"

/* id, at us, actor type, actor id, email, role, action, connector, changes, request id */
static const char *const ev_cells[] = {"9",
                                       "0",
                                       "user",
                                       "u1",
                                       "a@example.com",
                                       NULL,
                                       "updated",
                                       "c1",
                                       "{\"name\": {\"from\": \"a\", \"to\": \"b\"}}",
                                       "r9",
                                       "7",
                                       "0",
                                       "client",
                                       "cl_1",
                                       NULL,
                                       NULL,
                                       "created",
                                       "c1",
                                       "{}",
                                       NULL,
                                       "5",
                                       "0",
                                       "system",
                                       "aam seed",
                                       NULL,
                                       NULL,
                                       "created",
                                       "c1",
                                       "{}",
                                       NULL};
static const struct dbs_table three = {3, 10, ev_cells, 0};
static const struct dbs_table two = {2, 10, ev_cells, 0};
static const struct dbs_table none = {0, 10, NULL, 0};
static const char *const t_cell[] = {"t"}, *const f_cell[] = {"f"};
static const struct dbs_table yes = {1, 1, t_cell, 0}, no = {1, 1, f_cell, 0};
static const struct dbs_table tenant_missing = {0, 1, NULL, 0};

static void history_request(struct ht *t, const char *id)
{
    ht_init(t, "GET", "/api/v1/aam/connectors/x/history");
    ht_param(t, id);
    ht_as(t, NS);
}

START_TEST(test_events_history_401_and_404)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/aam/connectors/c1/history");
    ht_param(&t, "c1");
    ht_run(&t, events_history, 401);
    ht_done(&t);

    history_request(&t, "bad id!");
    ht_run(&t, events_history, 404);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);

    history_request(&t, "never");
    const struct dbs_table r[] = {none, no};
    dbs_reply_ok(r, 2);
    dbs_reply_ok(&yes, 1); /* the tenant exists */
    ht_run(&t, events_history, 404);
    ck_assert_str_eq(dbs_call_ns(0), NS);
    ck_assert_str_eq(dbs_call_param(0, 0, 0), NS);
    ck_assert_str_eq(dbs_call_param(0, 0, 1), "never");
    ht_done(&t);

    history_request(&t, "never");
    dbs_reply_ok(r, 2);
    dbs_reply_ok(&tenant_missing, 1);
    ht_run(&t, events_history, 403);
    ht_done(&t);

    history_request(&t, "fresh"); /* exists, no event yet (from before the history) */
    const struct dbs_table e[] = {none, yes};
    dbs_reply_ok(e, 2);
    ht_run(&t, events_history, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(t.doc, "events")), 0);
    ck_assert(json_is_null(json_object_get(t.doc, "next_cursor")));
    ht_done(&t);
}
END_TEST

/* limit 2 asks for 3; the third says there is more: next_cursor names the second's id (7), and
 * sent back it becomes the bound (ids below 7). */
START_TEST(test_events_history_pages)
{
    struct ht t;
    char cursor[CURSOR_LEN + 1];
    history_request(&t, "c1");
    ht_query(&t, "limit", "2");
    const struct dbs_table r[] = {three, yes};
    dbs_reply_ok(r, 2);
    ht_run(&t, events_history, 200);
    ck_assert_str_eq(dbs_call_param(0, 0, 3), "3");
    ck_assert_ptr_null(dbs_call_param(0, 0, 2)); /* from the newest */
    json_t *evs = json_object_get(t.doc, "events");
    ck_assert_uint_eq(json_array_size(evs), 2);
    json_t *e0 = json_array_get(evs, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(e0, "id")), 9);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e0, "actor"), "email")),
                     "a@example.com");
    ck_assert_ptr_null(json_object_get(json_object_get(e0, "actor"), "role"));
    ck_assert_str_eq(json_string_value(
                         json_object_get(json_object_get(json_object_get(e0, "changes"), "name"),
                                         "to")),
                     "b");
    json_t *e1 = json_array_get(evs, 1);
    ck_assert_ptr_null(json_object_get(json_object_get(e1, "actor"), "email"));
    ck_assert(json_is_null(json_object_get(e1, "request_id")));
    snprintf(cursor, sizeof cursor, "%s", ht_str(&t, "next_cursor"));
    ht_done(&t);

    history_request(&t, "c1");
    ht_query(&t, "limit", "2");
    ht_query(&t, "cursor", cursor);
    const struct dbs_table last[] = {{1, 10, ev_cells + 20, 0}, yes};
    dbs_reply_ok(last, 2);
    ht_run(&t, events_history, 200);
    ck_assert_str_eq(dbs_call_param(0, 0, 2), "7");
    ck_assert(json_is_null(json_object_get(t.doc, "next_cursor")));
    ht_done(&t);

    /* the same cursor for another connector, as the feed's cursor, and junk: 400, unasked */
    static const char *const where[][2] = {{"c2", "cursor"}, {"c1", "junk"}};
    for (int i = 0; i < 2; i++) {
        history_request(&t, where[i][0]);
        ht_query(&t, "cursor", strcmp(where[i][1], "junk") == 0 ? "not-a-cursor" : cursor);
        ht_run(&t, events_history, 400);
        ck_assert_uint_eq(dbs_calls(), 0);
        ht_done(&t);
    }
    ht_init(&t, "GET", "/api/v1/aam/events");
    ht_as(&t, NS);
    ht_query(&t, "after", cursor);
    ht_run(&t, events_feed, 400);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_events_limit_422_and_503)
{
    static const char *const bad[] = {"0", "101", "-1", "x", "", "5x"};
    struct ht t;
    history_request(&t, "c1");
    ht_query(&t, "limit", bad[_i]);
    ht_run(&t, events_history, 422);
    ck_assert(ht_field_error(&t, "limit"));
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);

    ht_init(&t, "GET", "/api/v1/aam/events");
    ht_as(&t, NS);
    ht_query(&t, "limit", bad[_i]);
    ht_run(&t, events_feed, 422);
    ht_done(&t);

    ht_init(&t, "GET", "/api/v1/aam/events");
    ht_as(&t, NS);
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, events_feed, 503);
    ht_done(&t);
}
END_TEST

/* The feed always gives a cursor: after the last event of a page, and on an empty page the one
 * it was given (or one for "from the start"). */
START_TEST(test_events_feed_cursor_always)
{
    struct ht t;
    char cursor[CURSOR_LEN + 1];
    ht_init(&t, "GET", "/api/v1/aam/events");
    ht_as(&t, NS);
    dbs_reply_ok(&two, 1);
    ht_run(&t, events_feed, 200);
    ck_assert_str_eq(dbs_call_param(0, 0, 1), "0");
    ck_assert_str_eq(dbs_call_param(0, 0, 2), "50");
    snprintf(cursor, sizeof cursor, "%s", ht_str(&t, "next_cursor"));
    ht_done(&t);

    ht_init(&t, "GET", "/api/v1/aam/events");
    ht_as(&t, NS);
    ht_query(&t, "after", cursor);
    dbs_reply_ok(&none, 1);
    ht_run(&t, events_feed, 200);
    ck_assert_str_eq(dbs_call_param(0, 0, 1), "7"); /* after the last one read */
    ck_assert_str_eq(ht_str(&t, "next_cursor"), cursor);
    ck_assert_uint_eq(dbs_calls(), 1);
    ht_done(&t);

    ht_init(&t, "GET", "/api/v1/aam/events"); /* a tenant-less namespace: 403, not [] */
    ht_as(&t, NS);
    dbs_reply_ok(&none, 1);
    dbs_reply_ok(&tenant_missing, 1);
    ht_run(&t, events_feed, 403);
    ht_done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_events");
    TCase *tc = tcase_create("history");
    tcase_add_test(tc, test_events_history_401_and_404);
    tcase_add_test(tc, test_events_history_pages);
    tcase_add_loop_test(tc, test_events_limit_422_and_503, 0, 6);
    suite_add_tcase(s, tc);
    tc = tcase_create("feed");
    tcase_add_test(tc, test_events_feed_cursor_always);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
