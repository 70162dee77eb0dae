/* csvfile: a streaming RFC 4180 reader over libcsv. It reads a file in fixed-size chunks and
 * keeps only the header and the requested page, so showing 50 rows of a 100 MB file costs
 * 50 rows of memory. Row counts need the whole file; the counting pass also records a sparse
 * row index (csvcache.h), and both are cached by (path, device, inode, size, mtime, ctime), so
 * a file is counted again only after it changes and any later page of it costs O(page): the
 * read starts at the nearest index mark, not at the top of the file. Thread-safe.
 *
 * What a reader sees (documented for the API too):
 *   - the first record is the header; every later record is a data row;
 *   - values are strings (CSV has no types), kept exactly: no trimming of spaces;
 *   - LF, CRLF and CR line ends; quoted fields may hold commas, doubled quotes and line ends;
 *   - blank lines are skipped (they are not rows);
 *   - a UTF-8 byte order mark before the header is dropped; bytes that are not UTF-8 (and
 *     NUL bytes) become U+FFFD, so every value is valid JSON text;
 *   - an empty header name becomes "column_<n>" (1-based); a repeated one gets "_2", "_3"…;
 *   - ragged rows: a short row's missing cells are NULL (the API shows them as ""), cells
 *     past the header's width are dropped;
 *   - a lone quote inside an unquoted field is kept as a character, and an unterminated quoted
 *     field runs to the end of the file (libcsv's non-strict mode): nothing is refused. */
#ifndef AAM_CSVFILE_H
#define AAM_CSVFILE_H

#include <stddef.h>

/* Bounds that keep one request's memory small whatever the file holds. A header wider than
 * CSVFILE_MAX_COLUMNS, or one field longer than CSVFILE_MAX_FIELD, fails the read. */
#define CSVFILE_MAX_COLUMNS 4096
#define CSVFILE_MAX_FIELD (8u * 1024u * 1024u)
/* JSON bytes one page may take once rendered: cell text and the header's names repeated as
 * every row's keys, both counted with their escaping growth (a control byte becomes six).
 * A page of 500 very wide rows fails instead of taking gigabytes. */
#define CSVFILE_MAX_PAGE_BYTES (64u * 1024u * 1024u)
/* JSON bytes of the header's names (with escaping): the files list shows up to 500 headers. */
#define CSVFILE_MAX_HEADER_BYTES (256u * 1024u)

enum csvfile_fail {
    CSVFILE_FAIL_NONE = 0,
    CSVFILE_FAIL_CONTENT, /* the file is beyond the bounds above */
    CSVFILE_FAIL_IO,      /* read(2) or fstat(2) failed */
    CSVFILE_FAIL_NOMEM,
};

/* A page of a CSV file. Everything is owned by the page: free with csvfile_page_free. */
struct csvfile_page {
    char **columns; /* n_columns header names: unique, valid UTF-8, NUL-terminated */
    size_t n_columns;
    char **cells; /* n_rows * n_columns, row-major; NULL where a short row had no cell */
    size_t n_rows;
    long long total;        /* data rows in the whole file (header excluded); -1 if not counted */
    enum csvfile_fail fail; /* why csvfile_read returned -1 */
    char error[160];        /* a message for the client when fail != NONE (no path in it) */
};

/* Reads fd (a regular file open for reading, positioned at its start) into *out: the header,
 * then data rows [offset, offset + limit). limit 0 reads the header only. When want_total is
 * set, out->total is the file's row count: from the cache when cache_key (the file's full
 * path) and the file's fstat identity match a counted entry, else by streaming to the end
 * (and remembering it, with the row index, when cache_key is non-NULL). A cached entry also
 * lets the page start at the index mark nearest below offset. Without want_total the read
 * stops as soon as the page is complete. Returns 0, or -1 with out->fail and out->error set (the page is
 * then emptied). fd is not closed. */
int csvfile_read(int fd, const char *cache_key, long long offset, long limit, int want_total,
                 struct csvfile_page *out) __attribute__((warn_unused_result));

/* Releases what csvfile_read stored; NULL-safe, safe to call twice. */
void csvfile_page_free(struct csvfile_page *page);

/* The cell at (row, col) or NULL (absent cell or out of range). Borrowed from page. */
const char *csvfile_cell(const struct csvfile_page *page, size_t row, size_t col);

/* How many csvfile_read calls so far took the row count from the cache (for tests). */
unsigned long csvfile_cache_hits(void);

/* Forgets every cached count (for tests). */
void csvfile_cache_clear(void);

#endif
