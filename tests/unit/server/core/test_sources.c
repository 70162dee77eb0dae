/* Unit tests for server/sources.c over a real directory tree made per test: folders inside and
 * outside the root (through "..", absolute paths, symlinks, a sibling sharing the root's
 * prefix), listing (pattern, hidden files, symlinks, directories, FIFOs skipped, name order)
 * and opening files (one component only, pattern enforced, no symlink, no FIFO hang, no file
 * with a second hard link). */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/core/sources.h"

static char base[PATH_MAX];    /* the test's scratch directory (real path) */
static char root[PATH_MAX];    /* base/root: the sources root */
static char outside[PATH_MAX]; /* base/outside */

static void mk_file(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void mk_path(char *out, const char *a, const char *b)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
    ck_assert(n > 0 && n < PATH_MAX);
}

/* base/root/data/{a.csv,b.csv,.hidden.csv,notes.txt,sub.csv/,link.csv->outside,fifo.csv}
 * base/root/link_in -> data, base/root/link_out -> ../outside, base/root2 (prefix sibling) */
static void setup(void)
{
    char tmpl[] = "/tmp/aam-sources.XXXXXX", p[PATH_MAX], data[PATH_MAX];
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_ptr_nonnull(realpath(tmpl, base));
    mk_path(root, base, "root");
    mk_path(outside, base, "outside");
    mk_path(data, root, "data");
    ck_assert_int_eq(mkdir(root, 0755), 0);
    ck_assert_int_eq(mkdir(outside, 0755), 0);
    ck_assert_int_eq(mkdir(data, 0755), 0);
    mk_path(p, base, "root2");
    ck_assert_int_eq(mkdir(p, 0755), 0);
    mk_file(outside, "secret.csv", "secret\n1\n");
    mk_file(data, "b.csv", "b\n1\n");
    mk_file(data, "a.csv", "a\n1\n2\n");
    mk_file(data, ".hidden.csv", "h\n");
    mk_file(data, "notes.txt", "n\n");
    mk_path(p, data, "sub.csv");
    ck_assert_int_eq(mkdir(p, 0755), 0);
    char target[PATH_MAX * 2];
    snprintf(target, sizeof target, "%s/secret.csv", outside);
    mk_path(p, data, "link.csv");
    ck_assert_int_eq(symlink(target, p), 0);
    mk_path(p, data, "fifo.csv");
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    mk_path(p, root, "link_in");
    ck_assert_int_eq(symlink("data", p), 0);
    mk_path(p, root, "link_out");
    ck_assert_int_eq(symlink("../outside", p), 0);
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    ck_assert_int_eq(chdir("/"), 0); /* the tests may have moved into the tree */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    ck_assert_int_eq(system(cmd), 0);
}

static enum sources_status try_open(const char *path, char *real, size_t size)
{
    int fd = -1;
    enum sources_status st = sources_open_folder(root, path, &fd, real, size);
    if (st == SOURCES_OK) {
        ck_assert_int_ge(fd, 0);
        close(fd);
    } else {
        ck_assert_int_eq(fd, -1);
    }
    return st;
}

START_TEST(test_sources_folder_inside)
{
    char p[PATH_MAX], real[PATH_MAX], want[PATH_MAX];
    mk_path(want, root, "data");
    mk_path(p, root, "data");
    ck_assert_int_eq(try_open(p, real, sizeof real), SOURCES_OK);
    ck_assert_str_eq(real, want);
    ck_assert_int_eq(try_open(root, real, sizeof real), SOURCES_OK); /* the root itself */
    ck_assert_str_eq(real, root);
    mk_path(p, root, "link_in/"); /* a symlink that stays inside is followed */
    ck_assert_int_eq(try_open(p, real, sizeof real), SOURCES_OK);
    ck_assert_str_eq(real, want);
    ck_assert_int_eq(chdir(root), 0); /* relative paths resolve against the working directory */
    ck_assert_int_eq(try_open("data/", real, sizeof real), SOURCES_OK);
    ck_assert_str_eq(real, want);
    ck_assert_int_eq(try_open("./data/../data", real, sizeof real), SOURCES_OK);
}
END_TEST

START_TEST(test_sources_folder_refused)
{
    char p[PATH_MAX];
    mk_path(p, root, "../outside");
    ck_assert_int_eq(try_open(p, NULL, 0), SOURCES_OUTSIDE);
    ck_assert_int_eq(try_open(outside, NULL, 0), SOURCES_OUTSIDE);
    ck_assert_int_eq(try_open("/etc", NULL, 0), SOURCES_OUTSIDE);
    ck_assert_int_eq(try_open("/", NULL, 0), SOURCES_OUTSIDE);
    mk_path(p, root, "link_out");
    ck_assert_int_eq(try_open(p, NULL, 0), SOURCES_OUTSIDE);
    mk_path(p, base, "root2"); /* shares the root's prefix, is not inside it */
    ck_assert_int_eq(try_open(p, NULL, 0), SOURCES_OUTSIDE);
    mk_path(p, root, "missing");
    ck_assert_int_eq(try_open(p, NULL, 0), SOURCES_MISSING);
    mk_path(p, root, "data/a.csv");
    ck_assert_int_eq(try_open(p, NULL, 0), SOURCES_NOT_DIR);
    ck_assert_int_eq(try_open("", NULL, 0), SOURCES_MISSING);
    ck_assert_int_eq(chdir(root), 0);
    ck_assert_int_eq(try_open("../outside", NULL, 0), SOURCES_OUTSIDE);
    ck_assert_int_eq(try_open("data/../../outside", NULL, 0), SOURCES_OUTSIDE);
    /* A root that is not an absolute real path (config could not resolve it) opens nothing. */
    int fd = -1;
    ck_assert_int_eq(sources_open_folder("relative/root", "data", &fd, NULL, 0), SOURCES_MISSING);
    ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_sources_list)
{
    char p[PATH_MAX];
    int fd = -1;
    struct sources_file *files = NULL;
    size_t n = 0;
    mk_path(p, root, "data");
    ck_assert_int_eq(sources_open_folder(root, p, &fd, NULL, 0), SOURCES_OK);
    ck_assert_int_eq(sources_list(fd, "*.csv", &files, &n), 0);
    ck_assert_uint_eq(n, 2); /* not .hidden.csv, link.csv, sub.csv/, fifo.csv or notes.txt */
    ck_assert_str_eq(files[0].name, "a.csv");
    ck_assert_int_eq(files[0].size, 6);
    ck_assert_str_eq(files[1].name, "b.csv");
    sources_files_free(files, n);
    ck_assert_int_eq(sources_list(fd, "*", &files, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(files[2].name, "notes.txt");
    sources_files_free(files, n);
    ck_assert_int_eq(sources_list(fd, "*.xlsx", &files, &n), 0);
    ck_assert_uint_eq(n, 0);
    sources_files_free(files, n);
    ck_assert_int_eq(sources_list(fd, "*.csv", &files, &n), 0); /* the descriptor is reusable */
    ck_assert_uint_eq(n, 2);
    sources_files_free(files, n);
    close(fd);
}
END_TEST

START_TEST(test_sources_open_file)
{
    char p[PATH_MAX], buf[8];
    int dfd = -1;
    mk_path(p, root, "data");
    ck_assert_int_eq(sources_open_folder(root, p, &dfd, NULL, 0), SOURCES_OK);
    int fd = sources_open_file(dfd, "*.csv", "a.csv");
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, buf, 2), 2);
    ck_assert_int_eq(memcmp(buf, "a\n", 2), 0);
    close(fd);
    const char *refused[] = {"link.csv",    "fifo.csv",    "sub.csv", "notes.txt",
                             "missing.csv", "..",          ".",       "../outside/secret.csv",
                             "data/a.csv",  "/etc/passwd", "",        ".hidden.csv"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        fd = sources_open_file(dfd, "*.csv", refused[i]);
        ck_assert_msg(fd == -1, "%s was opened", refused[i]);
    }
    ck_assert_int_eq(sources_open_file(dfd, "*", "notes.txt") >= 0, 1);
    close(dfd);
}
END_TEST

/* A hard link is the same file under a second name, and O_NOFOLLOW cannot tell it: one made
 * in a served folder to a file elsewhere (here outside the root) is neither listed nor
 * opened, and neither is a file of the folder that another name links to. */
START_TEST(test_sources_hard_link_not_served)
{
    char p[PATH_MAX], target[PATH_MAX], alias[PATH_MAX];
    int dfd = -1;
    struct sources_file *files = NULL;
    size_t n = 0;
    mk_path(p, root, "data");
    mk_path(target, outside, "secret.csv");
    mk_path(alias, p, "stolen.csv");
    ck_assert_int_eq(link(target, alias), 0);
    mk_path(target, p, "b.csv");
    mk_path(alias, outside, "b-again.csv");
    ck_assert_int_eq(link(target, alias), 0);
    ck_assert_int_eq(sources_open_folder(root, p, &dfd, NULL, 0), SOURCES_OK);
    ck_assert_int_eq(sources_list(dfd, "*.csv", &files, &n), 0);
    ck_assert_uint_eq(n, 1); /* a.csv only */
    ck_assert_str_eq(files[0].name, "a.csv");
    sources_files_free(files, n);
    ck_assert_int_eq(sources_open_file(dfd, "*.csv", "stolen.csv"), -1);
    ck_assert_int_eq(sources_open_file(dfd, "*.csv", "b.csv"), -1);
    int fd = sources_open_file(dfd, "*.csv", "a.csv");
    ck_assert_int_ge(fd, 0);
    close(fd);
    close(dfd);
}
END_TEST

START_TEST(test_sources_names_and_patterns)
{
    char long_name[300];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    ck_assert(sources_name_valid("a.csv"));
    ck_assert(sources_name_valid("..a"));
    ck_assert(sources_name_valid("a b ü.csv"));
    ck_assert(!sources_name_valid("latin1-\xe9.csv")); /* not UTF-8: cannot be a JSON string */
    ck_assert(!sources_name_valid("tab\there.csv"));   /* control byte: no path can name it */
    ck_assert(!sources_name_valid(""));
    ck_assert(!sources_name_valid("."));
    ck_assert(!sources_name_valid(".."));
    ck_assert(!sources_name_valid("a/b"));
    ck_assert(!sources_name_valid(NULL));
    ck_assert(!sources_name_valid(long_name));
    ck_assert(sources_pattern_valid("*.csv"));
    ck_assert(sources_pattern_valid("[ab]?.csv"));
    ck_assert(!sources_pattern_valid(""));
    ck_assert(!sources_pattern_valid("sub/*.csv"));
    ck_assert(!sources_pattern_valid(NULL));
    ck_assert(sources_name_matches("*.csv", "x.csv"));
    ck_assert(!sources_name_matches("*.csv", ".x.csv"));
    ck_assert(!sources_name_matches("*.csv", "x.CSV"));
    ck_assert(sources_name_matches("report-??.csv", "report-01.csv"));
}
END_TEST

static Suite *sources_suite(void)
{
    Suite *s = suite_create("sources");
    TCase *tc = tcase_create("folders");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sources_folder_inside);
    tcase_add_test(tc, test_sources_folder_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sources_list);
    tcase_add_test(tc, test_sources_open_file);
    tcase_add_test(tc, test_sources_hard_link_not_served);
    suite_add_tcase(s, tc);
    tc = tcase_create("names");
    tcase_add_test(tc, test_sources_names_and_patterns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sources_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
