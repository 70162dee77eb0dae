/* Unit tests for server/handlers/ui.c: every file of web/ is embedded byte for byte with its
 * type (none forgotten in the .incbin list), ETags differ per content, If-None-Match is
 * compared as RFC 9110 says, and the handlers answer 200, 304 or 404. Run from the repository
 * root (tests/run.sh does), where web/ is. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/handlers/ui.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

START_TEST(test_ui_every_web_file_is_embedded_byte_for_byte)
{
    DIR *d = opendir("web");
    ck_assert_msg(d != NULL, "run from the repository root: web/ not found");
    struct dirent *e;
    size_t on_disk = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        on_disk++;
        char path[512];
        snprintf(path, sizeof path, "web/%s", e->d_name);
        const struct ui_file *f = ui_find(e->d_name);
        ck_assert_msg(f != NULL, "web/%s is not embedded (add it to server/handlers/ui.c)",
                      e->d_name);
        size_t len = 0;
        char *want = read_all(path, &len);
        ck_assert_ptr_nonnull(want);
        ck_assert_uint_eq(f->len, len);
        ck_assert_msg(memcmp(f->data, want, len) == 0, "web/%s differs from its embedded copy",
                      e->d_name);
        free(want);
    }
    closedir(d);
    size_t n = 0;
    ui_files(&n);
    ck_assert_uint_eq(n, on_disk); /* and nothing embedded that web/ no longer has */
}
END_TEST

START_TEST(test_ui_content_types)
{
    ck_assert_str_eq(ui_find("index.html")->content_type, "text/html; charset=utf-8");
    ck_assert_str_eq(ui_find("app.js")->content_type, "text/javascript; charset=utf-8");
    ck_assert_str_eq(ui_find("style.css")->content_type, "text/css; charset=utf-8");
    ck_assert_str_eq(ui_find("favicon.svg")->content_type, "image/svg+xml");
    ck_assert_ptr_null(ui_find("nope.js"));
    ck_assert_ptr_null(ui_find(""));
    ck_assert_ptr_null(ui_find(NULL));
}
END_TEST

START_TEST(test_ui_etags_are_quoted_and_distinct)
{
    size_t n = 0;
    const struct ui_file *all = ui_files(&n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(strlen(all[i].etag), 18);
        ck_assert_int_eq(all[i].etag[0], '"');
        ck_assert_int_eq(all[i].etag[17], '"');
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(all[i].etag, all[j].etag);
    }
}
END_TEST

START_TEST(test_ui_if_none_match)
{
    const char *t = "\"0123456789abcdef\"";
    ck_assert_int_eq(ui_etag_matches(NULL, t), 0);
    ck_assert_int_eq(ui_etag_matches("", t), 0);
    ck_assert_int_eq(ui_etag_matches("\"0123456789abcdef\"", t), 1);
    ck_assert_int_eq(ui_etag_matches("W/\"0123456789abcdef\"", t), 1);
    ck_assert_int_eq(ui_etag_matches("\"x\", \"0123456789abcdef\"", t), 1);
    ck_assert_int_eq(ui_etag_matches("\"x\",W/\"0123456789abcdef\" ", t), 1);
    ck_assert_int_eq(ui_etag_matches("*", t), 1);
    ck_assert_int_eq(ui_etag_matches("\"0123456789abcde\"", t), 0);
    ck_assert_int_eq(ui_etag_matches("0123456789abcdef", t), 0);
    ck_assert_int_eq(ui_etag_matches("\"0123456789abcdef\"x", t), 0);
    ck_assert_int_eq(ui_etag_matches(",,, ,", t), 0);
}
END_TEST

START_TEST(test_ui_handlers)
{
    struct http_req req = {.method = "GET", .path = "/assets/app.js"};
    struct http_res res = HTTP_RES_INIT;
    req.params[0] = "app.js";
    req.n_params = 1;
    ui_asset(&req, &res);
    const struct ui_file *f = ui_find("app.js");
    ck_assert_int_eq(res.err, APP_OK);
    ck_assert_int_eq(res.status, 200);
    ck_assert_uint_eq(res.body_len, f->len);
    ck_assert_int_eq(memcmp(res.body, f->data, f->len), 0);
    ck_assert_str_eq(res.content_type, f->content_type);
    ck_assert_str_eq(res.etag, f->etag);
    ck_assert_str_eq(res.cache_control, "no-cache");
    http_res_free(&res);

    struct http_res again = HTTP_RES_INIT;
    req.if_none_match = f->etag;
    ui_asset(&req, &again);
    ck_assert_int_eq(again.status, 304);
    ck_assert_ptr_null(again.body);
    ck_assert_str_eq(again.etag, f->etag);
    http_res_free(&again);

    struct http_res missing = HTTP_RES_INIT;
    req.params[0] = "../../etc/passwd";
    ui_asset(&req, &missing);
    ck_assert_int_eq(missing.err, APP_ERR_NOT_FOUND);
    http_res_free(&missing);

    struct http_req root = {.method = "GET", .path = "/"};
    struct http_res page = HTTP_RES_INIT;
    ui_index(&root, &page);
    ck_assert_int_eq(page.status, 200);
    ck_assert_str_eq(page.content_type, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(page.body, "<script type=\"module\" src=\"/assets/app.js\">"));
    http_res_free(&page);
}
END_TEST

static Suite *ui_suite(void)
{
    Suite *s = suite_create("ui");
    TCase *tc = tcase_create("embedded");
    tcase_add_test(tc, test_ui_every_web_file_is_embedded_byte_for_byte);
    tcase_add_test(tc, test_ui_content_types);
    tcase_add_test(tc, test_ui_etags_are_quoted_and_distinct);
    suite_add_tcase(s, tc);
    tc = tcase_create("http");
    tcase_add_test(tc, test_ui_if_none_match);
    tcase_add_test(tc, test_ui_handlers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ui_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
