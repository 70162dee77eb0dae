/* libFuzzer target: the CSV reader (server/csvfile.c) through its real API, on a memfd: bytes
 * in, rows out. The first byte picks the page (offset 0-3, limit 0-7, with or without the row
 * count); the rest is the file. Invariants: no crash or leak; a refused file says why; an
 * accepted page has unique, valid UTF-8 column names, at most limit rows of valid UTF-8 cells,
 * and the same rows as a whole-file read at the same position; the count, when asked, equals
 * the rows a whole-file read finds. */
#define _GNU_SOURCE /* memfd_create */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "server/core/csvfile.h"
#include "tests/fuzz/fuzz_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

static int load(const uint8_t *data, size_t size)
{
    if (memfd < 0)
        memfd = memfd_create("fuzz_csv", 0);
    assert(memfd >= 0);
    /* Write, then cut the tail: truncating to 0 first would free the file's pages and have
     * the kernel clear new ones on every input (most of the time spent, in a profile). */
    if ((size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size) ||
        ftruncate(memfd, (off_t)size) != 0)
        abort();
    return lseek(memfd, 0, SEEK_SET) == 0 ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Unique names: sorted, no two neighbours equal. Sorting keeps this O(n log n): comparing every
 * pair, with up to 4,096 columns, made this check most of the target's time. */
static void check_unique(const char *const *names, size_t n)
{
    static const char *sorted[CSVFILE_MAX_COLUMNS];
    if (n < 2)
        return;
    memcpy(sorted, names, n * sizeof *names);
    qsort(sorted, n, sizeof *sorted, by_name);
    for (size_t i = 1; i < n; i++)
        assert(strcmp(sorted[i - 1], sorted[i]) != 0);
}

static void check_page(const struct csvfile_page *p, long limit)
{
    assert(p->n_columns <= CSVFILE_MAX_COLUMNS && (p->n_columns >= 1 || p->n_rows == 0));
    assert(p->n_rows <= (size_t)limit);
    for (size_t c = 0; c < p->n_columns; c++)
        assert(p->columns[c] != NULL && p->columns[c][0] != '\0' && utf8_ok(p->columns[c]));
    check_unique((const char *const *)p->columns, p->n_columns);
    for (size_t r = 0; r < p->n_rows; r++)
        for (size_t c = 0; c < p->n_columns; c++) {
            const char *v = csvfile_cell(p, r, c);
            assert(v == NULL || utf8_ok(v));
        }
    assert(csvfile_cell(p, p->n_rows, 0) == NULL && csvfile_cell(p, 0, p->n_columns) == NULL);
}

/* The same rows, cell by cell, in page a from row 0 and page b from row off. */
static void check_same_rows(const struct csvfile_page *a, const struct csvfile_page *whole,
                            long long off)
{
    assert(a->n_columns == whole->n_columns);
    for (size_t r = 0; r < a->n_rows; r++)
        for (size_t c = 0; c < a->n_columns; c++) {
            const char *x = csvfile_cell(a, r, c), *y = csvfile_cell(whole, (size_t)off + r, c);
            assert((x == NULL) == (y == NULL) && (x == NULL || strcmp(x, y) == 0));
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    long long offset = data[0] & 3;
    long limit = (data[0] >> 2) & 7;
    int want_total = (data[0] >> 5) & 1;
    struct csvfile_page page = {0}, whole = {0};
    if (load(data + 1, size - 1) != 0)
        return 0;
    if (csvfile_read(memfd, NULL, offset, limit, want_total, &page) != 0) {
        assert(page.fail != CSVFILE_FAIL_NONE && page.error[0] != '\0');
        assert(page.n_rows == 0 && page.columns == NULL && page.cells == NULL);
        csvfile_page_free(&page);
        return 0;
    }
    check_page(&page, limit);
    /* A second read of the whole file (every row) must agree with the page and the count. */
    if (lseek(memfd, 0, SEEK_SET) == 0 && csvfile_read(memfd, NULL, 0, 1L << 20, 1, &whole) == 0) {
        check_page(&whole, 1L << 20);
        assert(whole.total == (long long)whole.n_rows);
        if (want_total)
            assert(page.total == whole.total);
        long long expect = whole.total > offset ? whole.total - offset : 0;
        assert((long long)page.n_rows == (expect < limit ? expect : limit));
        check_same_rows(&page, &whole, offset);
    }
    csvfile_page_free(&page);
    csvfile_page_free(&whole);
    csvfile_page_free(&page); /* safe to call twice */
    return 0;
}
