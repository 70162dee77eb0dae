/* csvfile: streams a CSV file through libcsv in 64 KiB chunks, keeping the header and one
 * page of rows, and counting rows when asked. The counting pass leaves a sparse row index
 * behind (csvcache.c), so a deep page starts reading near its first row. */
#include "server/core/csvfile.h"
#include "server/core/csvcache.h"

#include <csv.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hash.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define CHUNK_SIZE (64 * 1024)
/* libcsv grows a field's buffer by this much at a time (its default, 128, means many
 * reallocations for long text fields). */
#define FIELD_BLOCK 4096
/* Spacing of the sparse row index: a page read from a mark parses at most this much before
 * its first row, and the index costs 16 bytes per MARK_EVERY bytes of file (0.5 KB per MB). */
#define MARK_EVERY (32 * 1024)
/* The one refusal of an oversized page (CSVFILE_MAX_PAGE_BYTES), checked at three points. */
#define PAGE_TOO_BIG "the page is larger than 64 MiB; ask for fewer rows"

/* Bytes text takes as a JSON string, quotes and one separator included: what a value or a key
 * adds to the response (jansson's escaping: two bytes for '"', '\\' and \b \f \n \r \t,
 * six for other control bytes). Counting this, not the raw bytes, keeps a page of control
 * characters from growing six-fold past the caps once rendered. */
static size_t json_cost(const char *text)
{
    size_t n = 3;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '\b' || *p == '\f' || *p == '\n' || *p == '\r' ||
            *p == '\t')
            n += 2;
        else if (*p < 0x20)
            n += 6;
        else
            n += 1;
    }
    return n;
}

/* ------------------------------------------------------------------ the count cache */

unsigned long csvfile_cache_hits(void)
{
    return csvcache_hits();
}

void csvfile_cache_clear(void)
{
    csvcache_clear();
}

/* ------------------------------------------------------------------ parsing */

/* The parser's state between libcsv callbacks. */
struct scan {
    struct csvfile_page *out;
    long long offset; /* first data row to keep */
    long long end;    /* one past the last data row to keep */
    int counting;     /* read to the end for the total */
    int header_done;
    long long row;   /* index of the data row being parsed */
    size_t field;    /* index of the field being parsed within its record */
    int row_started; /* the kept row `row` has its cells allocated */
    size_t header_cap;
    size_t cells_cap;
    size_t kept_bytes;   /* JSON bytes of the kept rows, keys included (see json_cost) */
    size_t header_bytes; /* JSON bytes of the header's names, as keys ("name":) */
    int stop;            /* the page is complete and no count is needed */
    /* The sparse row index, built while counting: a mark at the first record boundary after
     * every MARK_EVERY bytes. */
    struct csvcache_mark *marks;
    size_t n_marks, marks_cap;
    long long next_mark_at; /* file offset from which the next boundary becomes a mark */
};

static void scan_fail(struct scan *s, enum csvfile_fail why, const char *msg)
{
    if (s->out->fail == CSVFILE_FAIL_NONE) {
        s->out->fail = why;
        snprintf(s->out->error, sizeof s->out->error, "%s", msg);
    }
    s->stop = 1;
}

static void header_add(struct scan *s, const char *text, size_t len)
{
    struct csvfile_page *p = s->out;
    if (p->n_columns == CSVFILE_MAX_COLUMNS) {
        scan_fail(s, CSVFILE_FAIL_CONTENT, "the header has more columns than the limit of 4096");
        return;
    }
    if (p->n_columns == s->header_cap) {
        size_t cap = s->header_cap ? s->header_cap * 2 : 16;
        p->columns = xrealloc(p->columns, cap * sizeof *p->columns);
        s->header_cap = cap;
    }
    /* A byte order mark is an encoding signature, not part of the first column's name. */
    if (p->n_columns == 0 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    char *name = utf8_dup_repair(text, len);
    p->columns[p->n_columns++] = name;
    s->header_bytes += json_cost(name) + 16; /* room for a "_<n>" de-duplication suffix */
    if (s->header_bytes > CSVFILE_MAX_HEADER_BYTES)
        scan_fail(s, CSVFILE_FAIL_CONTENT, "the header is longer than the limit of 256 KiB");
}

/* A string hash set for header de-duplication: open addressing, FNV-1a. A name's "next
 * suffix" lives on its entry, so n copies of one name cost O(n) probes in all, where the
 * scan-every-earlier-name way cost O(n^3) (2,048 equal names: 4.8 s). */
struct name_slot {
    const char *key; /* borrowed; NULL = empty */
    unsigned next;   /* the next "_<n>" to try for this base name */
};

struct name_set {
    struct name_slot *slots;
    size_t mask;
};

static size_t name_hash(const char *s)
{
    return (size_t)hash_fnv1a_str(s);
}

/* The slot holding key, or the empty slot where it would go. */
static struct name_slot *name_find(struct name_set *set, const char *key)
{
    for (size_t i = name_hash(key) & set->mask;; i = (i + 1) & set->mask) {
        struct name_slot *slot = &set->slots[i];
        if (slot->key == NULL || strcmp(slot->key, key) == 0)
            return slot;
    }
}

/* Makes name unique among the names already in set (or "column_<n>" when empty), then adds
 * it. Returns the name to keep: name itself, or a fresh malloc'd one. bases holds the suffix
 * counters of base names. */
static char *name_claim(struct name_set *set, struct name_set *bases, char *name, size_t index)
{
    char *fresh = NULL;
    const char *base = name[0] != '\0' ? name : "column";
    if (name[0] == '\0' || name_find(set, name)->key != NULL) {
        size_t size = strlen(base) + 32;
        fresh = xmalloc(size);
        if (name[0] == '\0')
            snprintf(fresh, size, "column_%zu", index + 1);
        if (name[0] != '\0' || name_find(set, fresh)->key != NULL) {
            struct name_slot *b = name_find(bases, base);
            if (b->key == NULL)
                *b = (struct name_slot){.key = base == name ? name : "column", .next = 2};
            do
                snprintf(fresh, size, "%s_%u", base, b->next++);
            while (name_find(set, fresh)->key != NULL);
        }
    }
    const char *kept = fresh != NULL ? fresh : name;
    name_find(set, kept)->key = kept;
    return fresh != NULL ? fresh : name;
}

/* Row objects are keyed by column name, so names must be unique and non-empty. */
static void header_finish(struct scan *s)
{
    struct csvfile_page *p = s->out;
    size_t cap = 16;
    while (cap < p->n_columns * 2)
        cap *= 2;
    struct name_set set = {xcalloc(cap, sizeof(struct name_slot)), cap - 1};
    struct name_set bases = {xcalloc(cap, sizeof(struct name_slot)), cap - 1};
    /* Originals replaced by fresh names are freed only at the end: bases may borrow them. */
    char **replaced = xcalloc(p->n_columns + 1, sizeof *replaced);
    size_t n_replaced = 0;
    for (size_t i = 0; i < p->n_columns; i++) {
        char *name = p->columns[i];
        char *kept = name_claim(&set, &bases, name, i);
        if (kept != name) {
            replaced[n_replaced++] = name;
            p->columns[i] = kept;
        }
    }
    s->header_done = 1;
    for (size_t i = 0; i < n_replaced; i++)
        free(replaced[i]);
    free(replaced);
    free(set.slots);
    free(bases.slots);
}

static int row_kept(const struct scan *s)
{
    return s->row >= s->offset && s->row < s->end;
}

/* Allocates the cells of the kept row being parsed (all NULL until filled). */
static void row_start(struct scan *s)
{
    struct csvfile_page *p = s->out;
    size_t need = (p->n_rows + 1) * p->n_columns;
    if (need > s->cells_cap) {
        size_t cap = s->cells_cap ? s->cells_cap * 2 : p->n_columns * 8;
        if (cap < need)
            cap = need;
        p->cells = xrealloc(p->cells, cap * sizeof *p->cells);
        s->cells_cap = cap;
    }
    memset(p->cells + p->n_rows * p->n_columns, 0, p->n_columns * sizeof *p->cells);
    p->n_rows++;
    /* Every row object repeats the header's names as keys. */
    s->kept_bytes += s->header_bytes + 2;
    if (s->kept_bytes > CSVFILE_MAX_PAGE_BYTES) {
        scan_fail(s, CSVFILE_FAIL_CONTENT, PAGE_TOO_BIG);
        return;
    }
    s->row_started = 1;
}

static void cell_store(struct scan *s, const char *text, size_t len)
{
    struct csvfile_page *p = s->out;
    if (s->field >= p->n_columns)
        return;                                         /* past the header's width: dropped */
    if (s->kept_bytes + len > CSVFILE_MAX_PAGE_BYTES) { /* before copying a huge field */
        scan_fail(s, CSVFILE_FAIL_CONTENT, PAGE_TOO_BIG);
        return;
    }
    char *copy = utf8_dup_repair(text, len);
    p->cells[(p->n_rows - 1) * p->n_columns + s->field] = copy;
    s->kept_bytes += json_cost(copy);
    if (s->kept_bytes > CSVFILE_MAX_PAGE_BYTES)
        scan_fail(s, CSVFILE_FAIL_CONTENT, PAGE_TOO_BIG);
}

static void on_field(void *text, size_t len, void *data)
{
    struct scan *s = data;
    if (s->stop)
        return;
    if (!s->header_done) {
        header_add(s, text ? text : "", text ? len : 0);
        return;
    }
    if (row_kept(s)) {
        if (!s->row_started)
            row_start(s);
        if (!s->stop)
            cell_store(s, text ? text : "", text ? len : 0);
    }
    s->field++;
}

static void on_record(int term, void *data)
{
    struct scan *s = data;
    (void)term;
    if (s->stop)
        return;
    if (!s->header_done) {
        header_finish(s);
        if (s->end <= s->offset && !s->counting)
            s->stop = 1; /* header only */
        return;
    }
    if (row_kept(s) && !s->row_started)
        row_start(s); /* libcsv reports no record without a field, but stay safe */
    s->row++;
    s->field = 0;
    s->row_started = 0;
    if (s->row >= s->end && !s->counting)
        s->stop = 1;
}

/* No trimming: RFC 4180 says spaces are part of a field. */
static int on_is_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* libcsv has no per-parser limit on a field's length; refusing to grow its buffer past
 * CSVFILE_MAX_FIELD turns a runaway field into CSV_ENOMEM instead of unbounded memory. */
static void *on_realloc(void *ptr, size_t size)
{
    if (size > CSVFILE_MAX_FIELD)
        return NULL; /* libcsv then retries smaller steps up to the limit, then fails */
    return xrealloc(ptr, size);
}

static void page_clear(struct csvfile_page *page)
{
    for (size_t i = 0; page->columns != NULL && i < page->n_columns; i++)
        free(page->columns[i]);
    for (size_t i = 0; page->cells != NULL && i < page->n_rows * page->n_columns; i++)
        free(page->cells[i]);
    free(page->columns);
    free(page->cells);
    page->columns = NULL;
    page->cells = NULL;
    page->n_columns = 0;
    page->n_rows = 0;
}

void csvfile_page_free(struct csvfile_page *page)
{
    if (page != NULL)
        page_clear(page);
}

const char *csvfile_cell(const struct csvfile_page *page, size_t row, size_t col)
{
    if (page->cells == NULL || row >= page->n_rows || col >= page->n_columns)
        return NULL;
    return page->cells[row * page->n_columns + col];
}

static void parser_fail(struct scan *s, struct csv_parser *parser)
{
    if (csv_error(parser) == CSV_ENOMEM)
        scan_fail(s, CSVFILE_FAIL_CONTENT, "a field is longer than the limit of 8 MiB");
    else
        scan_fail(s, CSVFILE_FAIL_CONTENT, csv_strerror(csv_error(parser)));
}

/* libcsv's state between records (ROW_NOT_BEGUN in libcsv.c): no field or quote is open. */
#define LIBCSV_ROW_NOT_BEGUN 0

static void mark_add(struct scan *s, long long file_offset)
{
    if (s->n_marks == s->marks_cap) {
        size_t cap = s->marks_cap ? s->marks_cap * 2 : 64;
        s->marks = xrealloc(s->marks, cap * sizeof *s->marks);
        s->marks_cap = cap;
    }
    s->marks[s->n_marks++] = (struct csvcache_mark){.offset = file_offset, .row = s->row};
    s->next_mark_at = file_offset + MARK_EVERY;
}

static int parse_piece(struct scan *s, struct csv_parser *parser, const char *buf, size_t n)
{
    if (csv_parse(parser, buf, n, on_field, on_record, s) != n && !s->stop) {
        parser_fail(s, parser);
        return -1;
    }
    return 0;
}

/* Parses one chunk that starts at file offset chunk_at. While counting, the chunk is cut after
 * the first line feed past next_mark_at, and when libcsv stands between records there, that
 * spot becomes a mark (a line feed inside a quoted field is not a boundary: look further).
 * Only the few pieces near a mark are parsed separately, so counting costs the same. */
static int parse_chunk(struct scan *s, struct csv_parser *parser, const char *buf, size_t n,
                       long long chunk_at)
{
    size_t pos = 0;
    while (s->counting && s->header_done && !s->stop && s->next_mark_at < chunk_at + (long long)n) {
        size_t from = s->next_mark_at > chunk_at + (long long)pos
                          ? (size_t)(s->next_mark_at - chunk_at)
                          : pos;
        const char *lf = memchr(buf + from, '\n', n - from);
        if (lf == NULL)
            break;
        size_t cut = (size_t)(lf - buf) + 1;
        if (parse_piece(s, parser, buf + pos, cut - pos) != 0)
            return -1;
        pos = cut;
        if (parser->pstate == LIBCSV_ROW_NOT_BEGUN)
            mark_add(s, chunk_at + (long long)cut);
        else
            s->next_mark_at = chunk_at + (long long)cut; /* inside quotes: the next line feed */
    }
    return pos < n ? parse_piece(s, parser, buf + pos, n - pos) : 0;
}

/* Feeds the file, from file offset `at`, to the parser chunk by chunk until the end or until
 * the scan has all it needs. Returns 0, or -1 with the failure recorded in the page. */
static int scan_stream(int fd, struct scan *s, struct csv_parser *parser, long long at)
{
    char *buf = xmalloc(CHUNK_SIZE);
    while (!s->stop) {
        ssize_t n = read(fd, buf, CHUNK_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            scan_fail(s, CSVFILE_FAIL_IO, "the file could not be read");
            break;
        }
        if (n == 0) {
            if (csv_fini(parser, on_field, on_record, s) != 0)
                parser_fail(s, parser);
            break;
        }
        if (parse_chunk(s, parser, buf, (size_t)n, at) != 0)
            break;
        at += n;
    }
    free(buf);
    return s->out->fail == CSVFILE_FAIL_NONE ? 0 : -1;
}

static int parser_open(struct csv_parser *parser)
{
    if (csv_init(parser, 0) != 0)
        return -1;
    csv_set_space_func(parser, on_is_space);
    csv_set_realloc_func(parser, on_realloc);
    csv_set_blk_size(parser, FIELD_BLOCK);
    return 0;
}

/* One pass with a fresh parser over the file from byte `at` (where the fd is positioned). */
static int scan_run(int fd, struct scan *s, long long at)
{
    struct csv_parser parser;
    if (parser_open(&parser) != 0) {
        scan_fail(s, CSVFILE_FAIL_NOMEM, "out of memory");
        return -1;
    }
    int rc = scan_stream(fd, s, &parser, at);
    csv_free(&parser);
    return rc;
}

/* Reads the header from the start, then continues at a mark of the sparse index: a fresh
 * parser from the mark's byte offset, counting data rows from the mark's row. */
static int scan_from_mark(int fd, struct scan *s, const struct csvcache_mark *mark)
{
    long long offset = s->offset, end = s->end;
    s->offset = s->end = 0; /* header only */
    if (scan_run(fd, s, 0) != 0)
        return -1;
    if (!s->header_done || lseek(fd, (off_t)mark->offset, SEEK_SET) < 0) {
        scan_fail(s, CSVFILE_FAIL_IO, "the file could not be read");
        return -1;
    }
    /* A fresh state for the rows, keeping what the header pass learnt: header_bytes is what
     * every kept row pays for its keys, so a page from a mark meets the same cap as one read
     * from the top (without it, a deep page of a wide file grew past 64 MiB). */
    *s = (struct scan){.out = s->out,
                       .offset = offset,
                       .end = end,
                       .header_done = 1,
                       .header_cap = s->header_cap,
                       .header_bytes = s->header_bytes,
                       .row = mark->row};
    return scan_run(fd, s, mark->offset);
}

static int scan_from_start(int fd, struct scan *s)
{
    s->next_mark_at = MARK_EVERY;
    return scan_run(fd, s, 0);
}

int csvfile_read(int fd, const char *cache_key, long long offset, long limit, int want_total,
                 struct csvfile_page *out)
{
    struct stat st;
    long long cached = -1;
    struct csvcache_mark mark = {0, -1};
    memset(out, 0, sizeof *out);
    out->total = -1;
    if (offset < 0)
        offset = 0;
    if (limit < 0)
        limit = 0;
    if (fstat(fd, &st) != 0) {
        out->fail = CSVFILE_FAIL_IO;
        snprintf(out->error, sizeof out->error, "the file could not be examined");
        return -1;
    }
    /* The index helps every read of a counted file, with or without want_total. */
    int have_count = cache_key != NULL && csvcache_lookup(cache_key, &st, offset, &cached, &mark);
    long long end = offset > LLONG_MAX - limit ? LLONG_MAX : offset + limit;
    struct scan s = {.out = out,
                     .offset = offset,
                     .end = end,
                     .counting = want_total && !have_count};
    int rc = mark.row > 0 && limit > 0 ? scan_from_mark(fd, &s, &mark) : scan_from_start(fd, &s);
    if (rc != 0) {
        free(s.marks);
        page_clear(out);
        return -1;
    }
    if (have_count && want_total)
        out->total = cached;
    else if (want_total) {
        out->total = s.row;
        if (cache_key != NULL) {
            csvcache_store(cache_key, &st, s.row, s.marks, s.n_marks);
            s.marks = NULL;
        }
    }
    free(s.marks);
    return 0;
}
