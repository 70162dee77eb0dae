/* Unit tests for server/csvfile.c: a table of tricky CSV inputs (RFC 4180 quoting, CRLF,
 * UTF-8, empty and header-only files, ragged rows) with the header, page and count each must
 * give; then paging, streaming (a page does not read the whole file), the row-count cache and
 * the bounds. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/core/csvcache.h"
#include "server/core/csvfile.h"

/* Writes len bytes of data to a fresh temporary file; returns its path (static buffer). */
static const char *write_temp(const char *data, size_t len)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/aam-csvtest.XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Header as "a|b|c"; rows as "1|2|3;4|5|6" with "~" for a missing (NULL) cell. */
static void join_columns(const struct csvfile_page *p, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < p->n_columns; i++) {
        strncat(out, p->columns[i], size - strlen(out) - 1);
        if (i + 1 < p->n_columns)
            strncat(out, "|", size - strlen(out) - 1);
    }
}

static void join_rows(const struct csvfile_page *p, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t r = 0; r < p->n_rows; r++) {
        for (size_t c = 0; c < p->n_columns; c++) {
            const char *cell = csvfile_cell(p, r, c);
            strncat(out, cell ? cell : "~", size - strlen(out) - 1);
            if (c + 1 < p->n_columns)
                strncat(out, "|", size - strlen(out) - 1);
        }
        if (r + 1 < p->n_rows)
            strncat(out, ";", size - strlen(out) - 1);
    }
}

struct csv_case {
    const char *what;
    const char *input;
    const char *columns;
    const char *rows;
    long long total;
};

static const struct csv_case cases[] = {
    {"quoted comma", "a,b\n\"x,y\",z\n", "a|b", "x,y|z", 1},
    {"doubled quote", "a\n\"say \"\"hi\"\"\"\n", "a", "say \"hi\"", 1},
    {"newline inside quotes", "a,b\n\"l1\nl2\",x\n", "a|b", "l1\nl2|x", 1},
    {"CRLF inside quotes kept", "a,b\r\n\"l1\r\nl2\",x\r\n", "a|b", "l1\r\nl2|x", 1},
    {"CRLF line ends", "a,b\r\n1,2\r\n3,4\r\n", "a|b", "1|2;3|4", 2},
    {"CR-only line ends", "a,b\r1,2\r", "a|b", "1|2", 1},
    {"UTF-8 names and values", "名前,città\nΩmega,Zürich 🚀\n", "名前|città", "Ωmega|Zürich 🚀", 1},
    {"empty file", "", "", "", 0},
    {"header only", "a,b\n", "a|b", "", 0},
    {"header only, no newline", "a,b", "a|b", "", 0},
    {"last row without newline", "a\n1\n2", "a", "1;2", 2},
    {"ragged rows: short gets nulls, long is cut", "a,b,c\n1\n1,2,3,4\n", "a|b|c", "1|~|~;1|2|3", 2},
    {"blank lines are not rows", "a\n\n1\n\r\n2\n\n", "a", "1;2", 2},
    {"byte order mark dropped", "\xEF\xBB\xBFid,name\n1,x\n", "id|name", "1|x", 1},
    {"invalid UTF-8 replaced", "a\n\xff\xfe ok\n", "a", "\xEF\xBF\xBD\xEF\xBF\xBD ok", 1},
    {"empty and repeated header names", "a,,a,a\n1,2,3,4\n", "a|column_2|a_2|a_3", "1|2|3|4", 1},
    {"suffixes that collide with real names", "a,a_2,a,,column_4,\n1,2,3,4,5,6\n",
     "a|a_2|a_3|column_4|column_4_2|column_6", "1|2|3|4|5|6", 1},
    {"spaces are data", "a,b\n 1 , 2 \n", "a|b", " 1 | 2 ", 1},
    {"empty quoted and unquoted cells", "a,b\n\"\",\n", "a|b", "|", 1},
    {"quotes inside an unquoted field are kept", "a\nfoo\"bar\n", "a", "foo\"bar", 1},
    {"a quoted header", "\"x,1\",\"y\"\"2\"\n1,2\n", "x,1|y\"2", "1|2", 1},
};

START_TEST(test_csvfile_cases)
{
    const struct csv_case *c = &cases[_i];
    const char *path = write_temp(c->input, strlen(c->input));
    int fd = open(path, O_RDONLY);
    struct csvfile_page page;
    char cols[512], rows[512];
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 50, 1, &page), 0);
    join_columns(&page, cols, sizeof cols);
    join_rows(&page, rows, sizeof rows);
    ck_assert_msg(strcmp(cols, c->columns) == 0, "%s: columns '%s', want '%s'", c->what, cols,
                  c->columns);
    ck_assert_msg(strcmp(rows, c->rows) == 0, "%s: rows '%s', want '%s'", c->what, rows, c->rows);
    ck_assert_msg(page.total == c->total, "%s: total %lld, want %lld", c->what, page.total,
                  c->total);
    csvfile_page_free(&page);
    csvfile_page_free(&page); /* twice is safe */
    close(fd);
    unlink(path);
}
END_TEST

/* "h\n0\n1\n…\n(n-1)\n" */
static const char *numbered_file(int n)
{
    size_t cap = 16 + (size_t)n * 12, len = 0;
    char *buf = malloc(cap);
    len += (size_t)snprintf(buf, cap, "h\n");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%d\n", i);
    const char *path = write_temp(buf, len);
    free(buf);
    return path;
}

START_TEST(test_csvfile_paging)
{
    const char *path = numbered_file(10);
    struct csvfile_page page;
    char rows[256];
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, NULL, 3, 2, 1, &page), 0);
    join_rows(&page, rows, sizeof rows);
    ck_assert_str_eq(rows, "3;4");
    ck_assert_int_eq(page.total, 10);
    csvfile_page_free(&page);

    lseek(fd, 0, SEEK_SET);
    ck_assert_int_eq(csvfile_read(fd, NULL, 8, 50, 1, &page), 0);
    join_rows(&page, rows, sizeof rows);
    ck_assert_str_eq(rows, "8;9");
    csvfile_page_free(&page);

    lseek(fd, 0, SEEK_SET);
    ck_assert_int_eq(csvfile_read(fd, NULL, 20, 5, 1, &page), 0);
    ck_assert_int_eq(page.n_rows, 0);
    ck_assert_int_eq(page.total, 10);
    ck_assert_int_eq(page.n_columns, 1);
    csvfile_page_free(&page);

    lseek(fd, 0, SEEK_SET);
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 0, 0, &page), 0); /* header only, no count */
    ck_assert_int_eq(page.n_rows, 0);
    ck_assert_int_eq(page.total, -1);
    ck_assert_str_eq(page.columns[0], "h");
    csvfile_page_free(&page);
    close(fd);
    unlink(path);
}
END_TEST

/* A page from the head of a large file must stop reading early: the descriptor's offset after
 * the read shows how much was consumed. */
START_TEST(test_csvfile_page_does_not_read_whole_file)
{
    const char *path = numbered_file(400000); /* about 2.6 MB */
    struct stat st;
    struct csvfile_page page;
    char rows[256];
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 3, 0, &page), 0);
    join_rows(&page, rows, sizeof rows);
    ck_assert_str_eq(rows, "0;1;2");
    off_t consumed = lseek(fd, 0, SEEK_CUR);
    ck_assert_msg(consumed < st.st_size / 10, "read %lld of %lld bytes for a 3-row page",
                  (long long)consumed, (long long)st.st_size);
    csvfile_page_free(&page);

    lseek(fd, 0, SEEK_SET);
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 3, 1, &page), 0); /* counting reads it all */
    ck_assert_int_eq(page.total, 400000);
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), st.st_size);
    csvfile_page_free(&page);
    close(fd);
    unlink(path);
}
END_TEST

START_TEST(test_csvfile_count_cache)
{
    const char *path = numbered_file(100000); /* larger than one read chunk */
    char key[80];
    struct csvfile_page page;
    snprintf(key, sizeof key, "%s", path);
    csvfile_cache_clear();
    int fd = open(path, O_RDONLY);
    unsigned long hits = csvfile_cache_hits();
    ck_assert_int_eq(csvfile_read(fd, key, 0, 1, 1, &page), 0);
    ck_assert_int_eq(page.total, 100000);
    csvfile_page_free(&page);
    ck_assert_uint_eq(csvfile_cache_hits(), hits);

    lseek(fd, 0, SEEK_SET);
    ck_assert_int_eq(csvfile_read(fd, key, 0, 1, 1, &page), 0);
    ck_assert_int_eq(page.total, 100000);
    ck_assert_uint_eq(csvfile_cache_hits(), hits + 1);
    ck_assert_int_lt(lseek(fd, 0, SEEK_CUR), 200000); /* from the cache: stopped early */
    csvfile_page_free(&page);
    close(fd);

    /* Appending changes size and mtime: the old count must not be served. */
    int afd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_eq(write(afd, "x\ny\n", 4), 4);
    close(afd);
    fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, key, 0, 1, 1, &page), 0);
    ck_assert_int_eq(page.total, 100002);
    csvfile_page_free(&page);
    close(fd);

    /* The same content under another key is counted on its own. */
    fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, "/elsewhere/x.csv", 0, 1, 1, &page), 0);
    ck_assert_int_eq(page.total, 100002);
    csvfile_page_free(&page);
    close(fd);
    unlink(path);
}
END_TEST

/* A quoted field with commas and newlines that straddles the 64 KiB read boundary. */
START_TEST(test_csvfile_field_across_chunks)
{
    size_t big = 200000, len = 0;
    char *buf = malloc(big + 64);
    len += (size_t)snprintf(buf, 64, "a,b\n1,\"");
    for (size_t i = 0; i < big; i++)
        buf[len++] = (i % 1000 == 999) ? '\n' : (i % 100 == 99) ? ',' : 'x';
    memcpy(buf + len, "\"\n2,y\n", 6);
    len += 6;
    const char *path = write_temp(buf, len);
    struct csvfile_page page;
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 10, 1, &page), 0);
    ck_assert_int_eq(page.total, 2);
    ck_assert_int_eq(strlen(csvfile_cell(&page, 0, 1)), big);
    ck_assert_int_eq(memcmp(csvfile_cell(&page, 0, 1), buf + 7, big), 0);
    ck_assert_str_eq(csvfile_cell(&page, 1, 1), "y");
    csvfile_page_free(&page);
    close(fd);
    unlink(path);
    free(buf);
}
END_TEST

START_TEST(test_csvfile_field_too_long_fails)
{
    size_t big = CSVFILE_MAX_FIELD + 1024;
    char *buf = malloc(big + 16);
    memcpy(buf, "a\n\"", 3);
    memset(buf + 3, 'x', big);
    memcpy(buf + 3 + big, "\"\n", 2);
    const char *path = write_temp(buf, big + 5);
    free(buf);
    struct csvfile_page page;
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 10, 1, &page), -1);
    ck_assert_int_eq(page.fail, CSVFILE_FAIL_CONTENT);
    ck_assert_ptr_nonnull(strstr(page.error, "8 MiB"));
    ck_assert_int_eq(page.n_rows, 0);
    csvfile_page_free(&page);
    close(fd);
    unlink(path);
}
END_TEST

/* The widest header the reader takes, every name the same: each gets its own suffix (this took
 * the old de-duplication, which rescanned every earlier name per candidate, about 38 s). */
START_TEST(test_csvfile_many_equal_names_are_unique)
{
    size_t n = CSVFILE_MAX_COLUMNS;
    char *buf = malloc(n * 2 + 2);
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = 'x';
        buf[2 * i + 1] = i + 1 < n ? ',' : '\n';
    }
    const char *path = write_temp(buf, n * 2);
    free(buf);
    struct csvfile_page page;
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 0, 0, &page), 0);
    ck_assert_uint_eq(page.n_columns, n);
    ck_assert_str_eq(page.columns[0], "x");
    ck_assert_str_eq(page.columns[1], "x_2");
    ck_assert_str_eq(page.columns[n - 1], "x_4096");
    char want[32];
    for (size_t i = 1; i < n; i++) {
        snprintf(want, sizeof want, "x_%zu", i + 1);
        ck_assert_str_eq(page.columns[i], want);
    }
    csvfile_page_free(&page);
    close(fd);
    unlink(path);
}
END_TEST

/* Header names count against their own cap, with their JSON escaping. */
START_TEST(test_csvfile_header_bytes_capped)
{
    size_t cols = 3000, width = 100;
    char *buf = malloc(cols * (width + 1) + 1);
    for (size_t i = 0; i < cols; i++) {
        memset(buf + i * (width + 1), 'h', width);
        snprintf(buf + i * (width + 1), 8, "%06zu", i);
        buf[i * (width + 1) + 6] = 'h';
        buf[i * (width + 1) + width] = i + 1 < cols ? ',' : '\n';
    }
    const char *path = write_temp(buf, cols * (width + 1));
    free(buf);
    struct csvfile_page page;
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 0, 1, &page), -1);
    ck_assert_int_eq(page.fail, CSVFILE_FAIL_CONTENT);
    ck_assert_ptr_nonnull(strstr(page.error, "header"));
    close(fd);
    unlink(path);
}
END_TEST

/* Control bytes grow six-fold as JSON (\u0001): 12 MiB of them would render as 72 MiB, past
 * the page cap, although the raw bytes are far below it. */
START_TEST(test_csvfile_escaping_growth_counts)
{
    size_t cell = 6u * 1024u * 1024u;
    size_t len = 2 + 2 * (cell + 1);
    char *buf = malloc(len);
    memcpy(buf, "a\n", 2);
    memset(buf + 2, 0x01, len - 2);
    buf[2 + cell] = '\n';
    buf[len - 1] = '\n';
    const char *path = write_temp(buf, len);
    free(buf);
    struct csvfile_page page;
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, NULL, 0, 10, 0, &page), -1);
    ck_assert_int_eq(page.fail, CSVFILE_FAIL_CONTENT);
    ck_assert_ptr_nonnull(strstr(page.error, "64 MiB"));
    close(fd);
    unlink(path);
}
END_TEST

START_TEST(test_csvfile_bad_descriptor_is_io_failure)
{
    struct csvfile_page page;
    ck_assert_int_eq(csvfile_read(-1, NULL, 0, 10, 1, &page), -1);
    ck_assert_int_eq(page.fail, CSVFILE_FAIL_IO);
    csvfile_page_free(&page);
}
END_TEST

/* A file of tricky records: quoted fields holding line feeds, CRLF and CR ends, doubled quotes,
 * blank lines, ragged rows. Rows are numbered so a page shows which rows it holds. */
static const char *tricky_file(int rows)
{
    size_t cap = (size_t)rows * 96 + 64, len = 0;
    char *buf = malloc(cap);
    len += (size_t)snprintf(buf, cap, "n,text,more\r\n");
    for (int i = 0; i < rows; i++) {
        switch (i % 6) {
        case 0:
            len += (size_t)snprintf(buf + len, cap - len, "%d,\"two\nlines\",x\n", i);
            break;
        case 1:
            len += (size_t)snprintf(buf + len, cap - len, "%d,\"say \"\"hi\"\"\r\n\",y\r\n", i);
            break;
        case 2:
            len += (size_t)snprintf(buf + len, cap - len, "%d,plain\n\n\n", i);
            break;
        case 3:
            len += (size_t)snprintf(buf + len, cap - len, "%d,\"\n\n\",\"a,b\"\r", i);
            break;
        case 4:
            len += (size_t)snprintf(buf + len, cap - len, "%d,lone\"quote,z,extra\n", i);
            break;
        default:
            len += (size_t)snprintf(buf + len, cap - len, "%d,\"%0*d\"\n", i, 40, i);
            break;
        }
    }
    const char *path = write_temp(buf, len);
    free(buf);
    return path;
}

static void read_page_text(const char *path, const char *key, long long offset, long limit,
                           char *out, size_t size, long long *total)
{
    struct csvfile_page page;
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(csvfile_read(fd, key, offset, limit, 1, &page), 0);
    join_rows(&page, out, size);
    *total = page.total;
    csvfile_page_free(&page);
    close(fd);
}

/* Every page read through the sparse index equals the same page read from the top. */
START_TEST(test_csvfile_index_pages_equal_full_scan)
{
    const int rows = 20000; /* about 1 MiB: dozens of index marks */
    const char *path = tricky_file(rows);
    char key[80], want[16384], got[16384];
    long long total_want, total_got;
    snprintf(key, sizeof key, "%s", path);
    csvfile_cache_clear();
    read_page_text(path, key, 0, 1, got, sizeof got, &total_got); /* counts and indexes */
    ck_assert_int_eq(total_got, rows);
    ck_assert_uint_eq(csvcache_entries(), 1);
    for (long long off = 0; off < rows + 5; off += 997) {
        read_page_text(path, NULL, off, 50, want, sizeof want, &total_want); /* no cache */
        read_page_text(path, key, off, 50, got, sizeof got, &total_got);
        ck_assert_msg(strcmp(want, got) == 0, "offset %lld differs", off);
        ck_assert_int_eq(total_got, rows);
    }
    /* the very last rows, and a page across the end */
    read_page_text(path, NULL, rows - 3, 50, want, sizeof want, &total_want);
    read_page_text(path, key, rows - 3, 50, got, sizeof got, &total_got);
    ck_assert_str_eq(want, got);
    unlink(path);
}
END_TEST

/* A deep page of an indexed file reads about one mark's spacing, not the file. */
START_TEST(test_csvfile_deep_page_reads_little)
{
    const char *path = numbered_file(400000); /* a few MB */
    char key[80];
    struct csvfile_page page;
    snprintf(key, sizeof key, "%s", path);
    csvfile_cache_clear();
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(csvfile_read(fd, key, 0, 1, 1, &page), 0);
    csvfile_page_free(&page);
    struct stat st;
    fstat(fd, &st);
    lseek(fd, 0, SEEK_SET);
    ck_assert_int_eq(csvfile_read(fd, key, 399990, 10, 1, &page), 0);
    ck_assert_uint_eq(page.n_rows, 10);
    ck_assert_str_eq(csvfile_cell(&page, 9, 0), "399999");
    ck_assert_int_eq(page.total, 400000);
    csvfile_page_free(&page);
    close(fd);
    /* the index is small: well under 1 KB per MB of CSV */
    ck_assert_uint_lt(csvcache_bytes(), 512 + (size_t)st.st_size / 1024);
    unlink(path);
}
END_TEST

/* A wide file: 1,024 columns with 200-byte names (a header just under its 256 KiB cap), so
 * each row object, repeating every name as a key, renders to about 227 KB and about 295 rows
 * fill the 64 MiB page cap; the cells themselves are empty. 1,200 rows, about 1.2 MB. */
static const char *wide_file(void)
{
    const size_t cols = 1024, width = 200, rows = 1200;
    size_t cap = cols * (width + 1) + rows * (cols + 8) + 1, len = 0;
    char *buf = malloc(cap);
    for (size_t c = 0; c < cols; c++) {
        memset(buf + len, 'n', width);
        snprintf(buf + len, 8, "%06zu", c);
        buf[len + 6] = 'n';
        len += width;
        buf[len++] = c + 1 < cols ? ',' : '\n';
    }
    for (size_t r = 0; r < rows; r++) {
        len += (size_t)snprintf(buf + len, cap - len, "%zu", r);
        memset(buf + len, ',', cols - 1);
        len += cols - 1;
        buf[len++] = '\n';
    }
    const char *path = write_temp(buf, len);
    free(buf);
    return path;
}

/* One read of path through a fresh descriptor; returns csvfile_read's result. */
static int read_wide(const char *path, const char *key, long long offset, long limit,
                     struct csvfile_page *page)
{
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    int rc = csvfile_read(fd, key, offset, limit, 1, page);
    close(fd);
    return rc;
}

/* Every page keeps within the first page's cap, also one that starts at a mark of the row
 * index: 400 rows of the wide file are refused from row 0 and from row 600 alike (before,
 * the indexed page forgot the header's cost and rendered to about 90 MB), and 200 rows are
 * served from both. */
START_TEST(test_csvfile_indexed_page_keeps_the_cap)
{
    const char *path = wide_file();
    char key[80];
    struct csvfile_page page;
    snprintf(key, sizeof key, "%s", path);
    csvfile_cache_clear();
    ck_assert_int_eq(read_wide(path, key, 0, 1, &page), 0); /* warm-up: counts and indexes */
    ck_assert_int_eq(page.total, 1200);
    csvfile_page_free(&page);
    struct csvcache_mark mark;
    long long rows;
    int fd = open(path, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    close(fd);
    ck_assert_int_eq(csvcache_lookup(key, &st, 600, &rows, &mark), 1);
    ck_assert_int_gt(mark.row, 0); /* row 600 is read from a mark, not from the top */
    const long long offsets[] = {0, 600};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_msg(read_wide(path, key, offsets[i], 400, &page) == -1,
                      "400 rows from row %lld were served", offsets[i]);
        ck_assert_int_eq(page.fail, CSVFILE_FAIL_CONTENT);
        ck_assert_ptr_nonnull(strstr(page.error, "64 MiB"));
        ck_assert_int_eq(read_wide(path, key, offsets[i], 200, &page), 0);
        ck_assert_uint_eq(page.n_rows, 200);
        char first[32];
        snprintf(first, sizeof first, "%lld", offsets[i]);
        ck_assert_str_eq(csvfile_cell(&page, 0, 0), first);
        csvfile_page_free(&page);
    }
    csvfile_cache_clear();
    unlink(path);
}
END_TEST

/* The cache is charged in bytes: 5,000 small files and one big one all stay (a steady listing
 * never recounts), and a small budget evicts the least recently used first. */
START_TEST(test_csvcache_budget_in_bytes)
{
    struct stat st = {.st_dev = 1, .st_size = 10};
    char key[64];
    long long rows;
    csvcache_clear();
    csvcache_set_budget(CSVCACHE_DEFAULT_BUDGET);
    struct csvcache_mark *big = malloc(30000 * sizeof *big);
    for (int i = 0; i < 30000; i++)
        big[i] = (struct csvcache_mark){.offset = (long long)i * 32768, .row = (long long)i * 400};
    st.st_ino = 999999;
    csvcache_store("/big.csv", &st, 12000000, big, 30000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "/many/f%05d.csv", i);
        st.st_ino = (ino_t)i;
        csvcache_store(key, &st, i, NULL, 0);
    }
    ck_assert_uint_eq(csvcache_entries(), 5001);
    st.st_ino = 999999;
    struct csvcache_mark m;
    ck_assert_int_eq(csvcache_lookup("/big.csv", &st, 1000, &rows, &m), 1);
    ck_assert_int_eq(rows, 12000000);
    ck_assert_int_eq(m.row, 800);
    st.st_ino = 4321;
    ck_assert_int_eq(csvcache_lookup("/many/f04321.csv", &st, 0, &rows, NULL), 1);
    ck_assert_int_eq(rows, 4321);
    st.st_ino = 4322; /* another version of the file: a miss */
    ck_assert_int_eq(csvcache_lookup("/many/f04321.csv", &st, 0, &rows, NULL), 0);

    csvcache_set_budget(64 * 1024);
    ck_assert_uint_le(csvcache_bytes(), 64 * 1024);
    st.st_ino = 4321; /* the most recently used survives; the big index went before it */
    ck_assert_int_eq(csvcache_lookup("/many/f04321.csv", &st, 0, &rows, NULL), 1);
    st.st_ino = 999999;
    ck_assert_int_eq(csvcache_lookup("/big.csv", &st, 0, &rows, NULL), 0);
    st.st_ino = 0;
    ck_assert_int_eq(csvcache_lookup("/many/f00000.csv", &st, 0, &rows, NULL), 0);
    csvcache_clear();
    csvcache_set_budget(CSVCACHE_DEFAULT_BUDGET);
    ck_assert_uint_eq(csvcache_bytes(), 0);
}
END_TEST

static Suite *csvfile_suite(void)
{
    Suite *s = suite_create("csvfile");
    TCase *tc = tcase_create("parsing");
    tcase_add_loop_test(tc, test_csvfile_cases, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_csvfile_field_across_chunks);
    tcase_add_test(tc, test_csvfile_many_equal_names_are_unique);
    tcase_add_test(tc, test_csvfile_header_bytes_capped);
    tcase_add_test(tc, test_csvfile_escaping_growth_counts);
    suite_add_tcase(s, tc);
    tc = tcase_create("paging");
    tcase_add_test(tc, test_csvfile_paging);
    tcase_add_test(tc, test_csvfile_page_does_not_read_whole_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("cache");
    tcase_add_test(tc, test_csvfile_count_cache);
    tcase_add_test(tc, test_csvfile_index_pages_equal_full_scan);
    tcase_add_test(tc, test_csvfile_deep_page_reads_little);
    tcase_add_test(tc, test_csvfile_indexed_page_keeps_the_cap);
    tcase_add_test(tc, test_csvcache_budget_in_bytes);
    suite_add_tcase(s, tc);
    tc = tcase_create("bounds");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_csvfile_field_too_long_fails);
    tcase_add_test(tc, test_csvfile_bad_descriptor_is_io_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(csvfile_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
