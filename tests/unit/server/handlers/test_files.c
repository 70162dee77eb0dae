/* Unit tests for server/handlers/files.c without a server or a database (scripted seam) over
 * a real folder made per test: 401 without a token; 403 when the namespace has no tenant; 404
 * for an id that cannot exist, a connector that is not there, or a file the pattern does not
 * admit; 409 for a connector that is not a filesource, whose folder is gone, or whose folder
 * the tenant does not own; 422 for bad paging (the database never asked);
 * 503 when the database is unavailable; and the listing and rows of a real CSV file. */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/handlers/files.h"
#include "tests/unit/server/handlers/handler_test.h"

#define NS "acme"

static char root[PATH_MAX];
static char data_path[PATH_MAX + 8]; /* root/data: config paths resolve against the cwd */

static void write_file(const char *rel, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    char dir[PATH_MAX + 16];
    snprintf(root, sizeof root, "/tmp/aam-files-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(dir, sizeof dir, "%s/data", root);
    snprintf(data_path, sizeof data_path, "%s/data", root);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    write_file("data/a.csv", "x,y\n1,2\n3,4\n5,6\n");
    write_file("data/notes.txt", "not csv\n");
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* A request for connector c1 of NS, with the sources root at the test folder. */
static void start(struct ht *t, const char *file)
{
    ht_init(t, "GET",
            file ? "/api/v1/aam/connectors/c1/files/x/rows" : "/api/v1/aam/connectors/c1/files");
    ht_as(t, NS);
    t->cfg.sources_root = root;
    ht_param(t, "c1");
    if (file != NULL)
        ht_param(t, file);
}

/* type, path, pattern, the folder stored at write time (relative to the root), owned */
static const char *const fs_row[] = {"filesource", data_path, "*.csv", "data", "t"};
static const struct dbs_table filesource = {1, 5, fs_row, 0};
static const char *const one_cell[] = {"1"};
static const struct dbs_table tenant_exists = {1, 1, one_cell, 0};
static const struct dbs_table tenant_missing = {0, 1, NULL, 0};

START_TEST(test_files_401_without_tenant)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/aam/connectors/c1/files");
    ht_param(&t, "c1");
    ht_run(&t, files_list, 401);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_files_404_bad_id_and_missing_connector)
{
    struct ht t;
    ht_init(&t, "GET", "/api/v1/aam/connectors/x/files");
    ht_as(&t, NS);
    ht_param(&t, "../etc");
    ht_run(&t, files_list, 404);
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);

    const struct dbs_table none = {0, 5, NULL, 0};
    start(&t, NULL);
    dbs_reply_ok(&none, 1);
    dbs_reply_ok(&tenant_exists, 1);
    ht_run(&t, files_list, 404);
    ck_assert_str_eq(dbs_call_ns(0), NS);
    ck_assert_str_eq(dbs_call_param(0, 0, 0), NS);
    ck_assert_str_eq(dbs_call_param(0, 0, 1), "c1");
    ht_done(&t);

    start(&t, NULL); /* the namespace has no tenant at all */
    dbs_reply_ok(&none, 1);
    dbs_reply_ok(&tenant_missing, 1);
    ht_run(&t, files_list, 403);
    ht_done(&t);
}
END_TEST

START_TEST(test_files_422_bad_paging_never_asks)
{
    struct ht t;
    start(&t, NULL);
    ht_query(&t, "limit", "0");
    ht_run(&t, files_list, 422);
    ck_assert(ht_field_error(&t, "limit"));
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);

    start(&t, "a.csv");
    ht_query(&t, "offset", "-3");
    ht_run(&t, files_rows, 422);
    ck_assert(ht_field_error(&t, "offset"));
    ck_assert_uint_eq(dbs_calls(), 0);
    ht_done(&t);
}
END_TEST

START_TEST(test_files_409_not_filesource_or_folder_gone)
{
    static const char *const custom_row[] = {"custom", NULL, NULL, NULL, NULL};
    static const char *const gone_row[] = {"filesource", "vanished", NULL, "vanished", "t"};
    static const char *const outside_row[] = {"filesource", "/etc", NULL, NULL, NULL};
    const char *not_owned_row[] = {"filesource", data_path, NULL, "data", "f"};
    const struct dbs_table rows[] = {{1, 5, custom_row, 0},
                                     {1, 5, gone_row, 0},
                                     {1, 5, outside_row, 0},
                                     {1, 5, not_owned_row, 0}};
    for (int i = 0; i < 4; i++) {
        struct ht t;
        start(&t, NULL);
        dbs_reply_ok(&rows[i], 1);
        ht_run(&t, files_list, 409);
        ht_done(&t);
    }
}
END_TEST

/* The folder now resolves elsewhere than the stored one (a symlink moved, a row from before
 * migration 0003): it is judged by a second lookup where it points now. */
START_TEST(test_files_moved_folder_judged_again)
{
    static const char *const moved[] = {"filesource", data_path, "*.csv", "old", "t"};
    static const char *const t_cell[] = {"t"}, *const f_cell[] = {"f"};
    const struct dbs_table mov = {1, 5, moved, 0}, yes = {1, 1, t_cell, 0}, no = {1, 1, f_cell, 0};
    struct ht t;
    start(&t, NULL);
    dbs_reply_ok(&mov, 1);
    dbs_reply_ok(&yes, 1);
    ht_run(&t, files_list, 200);
    ck_assert_str_eq(dbs_call_param(1, 0, 0), NS);
    ck_assert_str_eq(dbs_call_param(1, 0, 1), "data");
    ht_done(&t);

    start(&t, "a.csv");
    dbs_reply_ok(&mov, 1);
    dbs_reply_ok(&no, 1);
    ht_run(&t, files_rows, 409);
    ck_assert_ptr_null(json_object_get(t.doc, "rows"));
    ht_done(&t);
}
END_TEST

START_TEST(test_files_503_database_unavailable)
{
    struct ht t;
    start(&t, "a.csv");
    dbs_reply_error(DB_ERR_UNAVAILABLE, NULL);
    ht_run(&t, files_rows, 503);
    ck_assert_int_eq(t.res.retry_after, 2);
    ht_done(&t);
}
END_TEST

START_TEST(test_files_list_200)
{
    struct ht t;
    start(&t, NULL);
    dbs_reply_ok(&filesource, 1);
    ht_run(&t, files_list, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(t.doc, "total")),
                     1); /* notes.txt left out */
    json_t *f = json_array_get(json_object_get(t.doc, "files"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(f, "name")), "a.csv");
    ck_assert_int_eq(json_integer_value(json_object_get(f, "row_count")), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(f, "columns")), 2);
    ht_done(&t);
}
END_TEST

START_TEST(test_files_rows_200_and_404)
{
    struct ht t;
    start(&t, "a.csv");
    ht_query(&t, "limit", "2");
    ht_query(&t, "offset", "1");
    dbs_reply_ok(&filesource, 1);
    ht_run(&t, files_rows, 200);
    json_t *rows = json_object_get(t.doc, "rows");
    ck_assert_uint_eq(json_array_size(rows), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "x")), "3");
    ck_assert_int_eq(json_integer_value(json_object_get(t.doc, "total")), 3);
    ht_done(&t);

    static const char *const names[] = {"notes.txt", "missing.csv", "..", "a.csv/"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        start(&t, names[i]);
        dbs_reply_ok(&filesource, 1);
        ht_run(&t, files_rows, 404);
        ht_done(&t);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handlers_files");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_files_401_without_tenant);
    tcase_add_test(tc, test_files_404_bad_id_and_missing_connector);
    tcase_add_test(tc, test_files_422_bad_paging_never_asks);
    tcase_add_test(tc, test_files_409_not_filesource_or_folder_gone);
    tcase_add_test(tc, test_files_moved_folder_judged_again);
    tcase_add_test(tc, test_files_503_database_unavailable);
    tcase_add_test(tc, test_files_list_200);
    tcase_add_test(tc, test_files_rows_200_and_404);
    suite_add_tcase(s, tc);
    return ht_main(s);
}
