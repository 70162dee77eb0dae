/* csvfile: streams a CSV file through libcsv in 64 KiB chunks, keeping the header and one
 * page of rows, and counting rows when asked. Counts are cached by file identity behind one
 * mutex: a lookup is a scan of CSVFILE_CACHE_SLOTS entries, far cheaper than the read it
 * saves, and the lock is never held while reading a file. */
#include "server/csvfile.h"

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

#include "util/utf8.h"
#include "util/xalloc.h"

#define CHUNK_SIZE (64 * 1024)
/* libcsv grows a field's buffer by this much at a time (its default, 128, means many
 * reallocations for long text fields). */
#define FIELD_BLOCK 4096

/* ------------------------------------------------------------------ the row-count cache */

struct cache_entry {
    char *key; /* NULL = free slot */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    long long rows;
    unsigned long last_used;
};

static struct cache_entry cache[CSVFILE_CACHE_SLOTS];
static unsigned long cache_clock, cache_hit_count;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int entry_matches(const struct cache_entry *e, const char *key, const struct stat *st)
{
    return e->key != NULL && e->dev == st->st_dev && e->ino == st->st_ino &&
           e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
           e->mtime.tv_nsec == st->st_mtim.tv_nsec && e->ctime.tv_sec == st->st_ctim.tv_sec &&
           e->ctime.tv_nsec == st->st_ctim.tv_nsec && strcmp(e->key, key) == 0;
}

/* Returns 1 and sets *rows when key's count for this exact file version is cached. */
static int cache_lookup(const char *key, const struct stat *st, long long *rows)
{
    int found = 0;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CSVFILE_CACHE_SLOTS; i++) {
        if (entry_matches(&cache[i], key, st)) {
            cache[i].last_used = ++cache_clock;
            *rows = cache[i].rows;
            cache_hit_count++;
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

/* Remembers a count, replacing the entry for the same key (an older version of the file) or
 * else the least recently used slot. */
static void cache_store(const char *key, const struct stat *st, long long rows)
{
    char *copy = xstrdup(key);
    pthread_mutex_lock(&cache_lock);
    size_t victim = 0;
    for (size_t i = 0; i < CSVFILE_CACHE_SLOTS; i++) {
        if (cache[i].key != NULL && strcmp(cache[i].key, key) == 0) {
            victim = i;
            break;
        }
        if (cache[i].key == NULL || cache[i].last_used < cache[victim].last_used)
            victim = i;
        if (cache[victim].key == NULL)
            break;
    }
    struct cache_entry *e = &cache[victim];
    free(e->key);
    *e = (struct cache_entry){.key = copy, .dev = st->st_dev, .ino = st->st_ino,
                              .size = st->st_size, .mtime = st->st_mtim, .ctime = st->st_ctim,
                              .rows = rows, .last_used = ++cache_clock};
    pthread_mutex_unlock(&cache_lock);
}

unsigned long csvfile_cache_hits(void)
{
    pthread_mutex_lock(&cache_lock);
    unsigned long n = cache_hit_count;
    pthread_mutex_unlock(&cache_lock);
    return n;
}

void csvfile_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CSVFILE_CACHE_SLOTS; i++) {
        free(cache[i].key);
        cache[i] = (struct cache_entry){0};
    }
    pthread_mutex_unlock(&cache_lock);
}

/* ------------------------------------------------------------------ parsing */

/* The parser's state between libcsv callbacks. */
struct scan {
    struct csvfile_page *out;
    long long offset;       /* first data row to keep */
    long long end;          /* one past the last data row to keep */
    int counting;           /* read to the end for the total */
    int header_done;
    long long row;          /* index of the data row being parsed */
    size_t field;           /* index of the field being parsed within its record */
    int row_started;        /* the kept row `row` has its cells allocated */
    size_t header_cap;
    size_t cells_cap;
    size_t kept_bytes;
    int stop;               /* the page is complete and no count is needed */
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
}

static int name_taken(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0)
            return 1;
    }
    return 0;
}

/* Row objects are keyed by column name, so names must be unique and non-empty. */
static void header_finish(struct scan *s)
{
    struct csvfile_page *p = s->out;
    for (size_t i = 0; i < p->n_columns && !s->stop; i++) {
        char *name = p->columns[i];
        if (name[0] != '\0' && !name_taken(p->columns, i, name))
            continue;
        size_t size = strlen(name) + 32;
        char *fresh = xmalloc(size);
        if (name[0] == '\0')
            snprintf(fresh, size, "column_%zu", i + 1);
        else
            snprintf(fresh, size, "%s", name);
        for (unsigned n = 2; name_taken(p->columns, i, fresh); n++)
            snprintf(fresh, size, "%s_%u", name[0] ? name : "column", n);
        free(name);
        p->columns[i] = fresh;
    }
    s->header_done = 1;
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
    s->row_started = 1;
}

static void cell_store(struct scan *s, const char *text, size_t len)
{
    struct csvfile_page *p = s->out;
    if (s->field >= p->n_columns)
        return; /* past the header's width: dropped */
    s->kept_bytes += len;
    if (s->kept_bytes > CSVFILE_MAX_PAGE_BYTES) {
        scan_fail(s, CSVFILE_FAIL_CONTENT, "the page is larger than 64 MiB; ask for fewer rows");
        return;
    }
    char *copy = utf8_dup_repair(text, len);
    p->cells[(p->n_rows - 1) * p->n_columns + s->field] = copy;
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

/* Feeds the file to the parser chunk by chunk until the end or until the scan has all it
 * needs. Returns 0, or -1 with the failure recorded in the page. */
static int scan_stream(int fd, struct scan *s, struct csv_parser *parser)
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
        if (csv_parse(parser, buf, (size_t)n, on_field, on_record, s) != (size_t)n && !s->stop)
            parser_fail(s, parser);
    }
    free(buf);
    return s->out->fail == CSVFILE_FAIL_NONE ? 0 : -1;
}

int csvfile_read(int fd, const char *cache_key, long long offset, long limit, int want_total,
                 struct csvfile_page *out)
{
    struct stat st;
    struct csv_parser parser;
    long long cached = -1;
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
    int have_count = want_total && cache_key != NULL && cache_lookup(cache_key, &st, &cached);
    long long end = offset > LLONG_MAX - limit ? LLONG_MAX : offset + limit;
    struct scan s = {.out = out, .offset = offset, .end = end,
                     .counting = want_total && !have_count};
    if (csv_init(&parser, 0) != 0) {
        out->fail = CSVFILE_FAIL_NOMEM;
        snprintf(out->error, sizeof out->error, "out of memory");
        return -1;
    }
    csv_set_space_func(&parser, on_is_space);
    csv_set_realloc_func(&parser, on_realloc);
    csv_set_blk_size(&parser, FIELD_BLOCK);
    int rc = scan_stream(fd, &s, &parser);
    csv_free(&parser);
    if (rc != 0) {
        page_clear(out);
        return -1;
    }
    if (have_count)
        out->total = cached;
    else if (want_total) {
        out->total = s.row;
        if (cache_key != NULL)
            cache_store(cache_key, &st, s.row);
    }
    return 0;
}
