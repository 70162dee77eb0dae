/* Unit tests for db/url.c and db_describe: the password never survives redaction, in URI and
 * key=value forms, and everything else of the string does. Cases are a table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

static const struct {
    const char *in, *want;
} cases[] = {
    {"postgresql://app:s3cret@db.example:6432/aam", "postgresql://app:***@db.example:6432/aam"},
    {"postgres://app:s3cret@db/aam?sslmode=require", "postgres://app:***@db/aam?sslmode=require"},
    {"postgresql://app@db/aam", "postgresql://app@db/aam"},
    {"postgresql://db/aam", "postgresql://db/aam"},
    {"postgresql://app:p%40ss%3Aword@db/aam", "postgresql://app:***@db/aam"},
    {"postgresql://app:@db/aam", "postgresql://app:***@db/aam"},
    {"postgresql://app:x@h1:5432,h2:5433/aam", "postgresql://app:***@h1:5432,h2:5433/aam"},
    {"postgresql://app@db/aam?password=s3cret&sslmode=disable",
     "postgresql://app@db/aam?password=***&sslmode=disable"},
    {"postgresql://app@db/aam?sslmode=disable&pass%77ord=s3cret",
     "postgresql://app@db/aam?sslmode=disable&pass%77ord=***"},
    {"postgresql://app:a@b@db/aam", "postgresql://app:***@db/aam"},
    {"postgresql://", "postgresql://"},
    {"host=db port=5432 user=app password=s3cret dbname=aam",
     "host=db port=5432 user=app password=*** dbname=aam"},
    {"host=db password = 's3 cr\\'et' dbname=aam", "host=db password = *** dbname=aam"},
    {"password=s3cret", "password=***"},
    {"  host=db   user=app  ", "  host=db   user=app  "},
    {"dbname=postgresql://app:s3cret@db/aam", "dbname=postgresql://app:***@db/aam"},
    {"host=db passwordx=keep", "host=db passwordx=keep"},
    {"", ""},
    /* make run's form: Unix socket folder as host=, no host in the authority */
    {"postgresql://aam_app:s3cret@/aam?host=/work/repo/.run/sock&port=6432",
     "postgresql://aam_app:***@/aam?host=/work/repo/.run/sock&port=6432"},
    {"postgresql://aam_app:s3cret@%2Fwork%2Fmy%20repo%2Fsock:6432/aam",
     "postgresql://aam_app:***@%2Fwork%2Fmy%20repo%2Fsock:6432/aam"},
    {"postgresql:///aam?host=/run/sock&user=app&password=s3cret",
     "postgresql:///aam?host=/run/sock&user=app&password=***"},
    {"host=/work/repo/.run/sock port=6432 dbname=aam user=aam_app password=s3cret",
     "host=/work/repo/.run/sock port=6432 dbname=aam user=aam_app password=***"},
};

START_TEST(test_url_redaction_table)
{
    char *out = db_url_redacted(cases[_i].in);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(strcmp(out, cases[_i].want) == 0, "case %d: %s -> %s, want %s", _i, cases[_i].in,
                  out, cases[_i].want);
    ck_assert_msg(strstr(out, "s3cret") == NULL && strstr(out, "s3 cr") == NULL, "leaked: %s", out);
    free(out);
}
END_TEST

START_TEST(test_url_redaction_unparseable_shows_nothing)
{
    const char *bad[] = {"host=db password='unterminated", "just words here", "=value"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = db_url_redacted(bad[i]);
        ck_assert_ptr_nonnull(out);
        ck_assert_msg(strstr(out, "unterminated") == NULL && strstr(out, "words") == NULL, "%s",
                      out);
        free(out);
    }
    ck_assert_ptr_null(db_url_redacted(NULL));
}
END_TEST

START_TEST(test_url_parts)
{
    struct db_url_parts u;
    ck_assert_int_eq(db_url_parts_get("postgresql://app:pw@db.example:6432/aam", &u), 0);
    ck_assert_str_eq(u.host, "db.example");
    ck_assert_str_eq(u.port, "6432");
    ck_assert_str_eq(u.dbname, "aam");
    ck_assert_str_eq(u.user, "app");
    ck_assert_int_eq(u.has_password, 1);
    db_url_parts_free(&u);
    ck_assert_int_eq(db_url_parts_get("host=/run/pg dbname=x", &u), 0);
    ck_assert_str_eq(u.host, "/run/pg");
    ck_assert_ptr_null(u.port);
    ck_assert_ptr_null(u.user);
    ck_assert_int_eq(u.has_password, 0);
    db_url_parts_free(&u);
    ck_assert_int_eq(db_url_parts_get("postgresql://app:pw@/aam?host=/work/r/.run/sock&port=6432",
                                      &u),
                     0);
    ck_assert_str_eq(u.host, "/work/r/.run/sock");
    ck_assert_str_eq(u.port, "6432");
    ck_assert_str_eq(u.dbname, "aam");
    ck_assert_str_eq(u.user, "app");
    ck_assert_int_eq(u.has_password, 1);
    db_url_parts_free(&u);
    ck_assert_int_eq(db_url_parts_get("postgresql://[::1", &u), -1);
    db_url_parts_free(&u); /* safe after a failure, and twice */
}
END_TEST

START_TEST(test_db_describe_line)
{
    struct db_config cfg = {.url = "postgresql://app:hunter2@db.example:6432/aam",
                            .pool_size = 16,
                            .statement_timeout_ms = 5000};
    struct db_pool *p = db_pool_new(&cfg);
    ck_assert_ptr_nonnull(p);
    char *line = db_describe(p);
    ck_assert_str_eq(line, "database target db.example:6432/aam user=app (password ***), pool 16, "
                           "unnamed statements only, statement_timeout 5000ms");
    free(line);
    db_pool_free(p);

    cfg.url = "host=localhost dbname=aam";
    cfg.pool_size = 0;
    cfg.statement_timeout_ms = 0;
    p = db_pool_new(&cfg);
    line = db_describe(p);
    ck_assert_ptr_null(strstr(line, "hunter2"));
    ck_assert_str_eq(
        line, "database target localhost:5432/aam user=(default) (no password in URL), pool 0, "
              "unnamed statements only, statement_timeout off");
    free(line);
    db_pool_free(p);
}
END_TEST

static Suite *url_suite(void)
{
    Suite *s = suite_create("db_url");
    TCase *tc = tcase_create("redaction");
    tcase_add_loop_test(tc, test_url_redaction_table, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_url_redaction_unparseable_shows_nothing);
    tcase_add_test(tc, test_url_parts);
    tcase_add_test(tc, test_db_describe_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(url_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
