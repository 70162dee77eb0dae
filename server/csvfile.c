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

#include "server/utf8.h"

#define CHUNK_SIZE (64 * 1024)
/* libcsv grows a field's buffer by this much at a time (its default, 128, means many
 * reallocations for long text fields). */
#define FIELD_BLOCK 4096

/* ------------------------------------------------------------------ UTF-8 */

char *csvfile_utf8_dup(const char *s, size_t len)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(u + i, len - i);
        bad += (n == 0);
        i += n ? n : 1;
    }
    char *out = malloc(len + 2 * bad + 1); /* each bad byte grows from 1 to 3 bytes */
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0) {
            memcpy(out + o, replacement, 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

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
 * else the least recently used slot. Out of memory just means not cached. */
static void cache_store(const char *key, const struct stat *st, long long rows)
{
    char *copy = strdup(key);
    if (copy == NULL)
        return;
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
    size_t kept_bytes;      /* JSON bytes of the kept rows, keys included (see json_cost) */
    size_t header_bytes;    /* JSON bytes of the header's names, as keys ("name":) */
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
        char **grown = realloc(p->columns, cap * sizeof *grown);
        if (grown == NULL) {
            scan_fail(s, CSVFILE_FAIL_NOMEM, "out of memory");
            return;
        }
        p->columns = grown;
        s->header_cap = cap;
    }
    /* A byte order mark is an encoding signature, not part of the first column's name. */
    if (p->n_columns == 0 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    char *name = csvfile_utf8_dup(text, len);
    if (name == NULL) {
        scan_fail(s, CSVFILE_FAIL_NOMEM, "out of memory");
        return;
    }
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
    size_t h = 1469598103934665603ULL & (size_t)-1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * (size_t)1099511628211ULL;
    return h;
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
 * it. Returns the name to keep (name itself, or a fresh malloc'd one), or NULL without
 * memory. bases holds the suffix counters of base names. */
static char *name_claim(struct name_set *set, struct name_set *bases, char *name, size_t index)
{
    char *fresh = NULL;
    const char *base = name[0] != '\0' ? name : "column";
    if (name[0] == '\0' || name_find(set, name)->key != NULL) {
        size_t size = strlen(base) + 32;
        fresh = malloc(size);
        if (fresh == NULL)
            return NULL;
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
    struct name_set set = {calloc(cap, sizeof(struct name_slot)), cap - 1};
    struct name_set bases = {calloc(cap, sizeof(struct name_slot)), cap - 1};
    /* Originals replaced by fresh names are freed only at the end: bases may borrow them. */
    char **replaced = calloc(p->n_columns + 1, sizeof *replaced);
    size_t n_replaced = 0;
    if (set.slots == NULL || bases.slots == NULL || replaced == NULL) {
        scan_fail(s, CSVFILE_FAIL_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < p->n_columns; i++) {
        char *name = p->columns[i];
        char *kept = name_claim(&set, &bases, name, i);
        if (kept == NULL) {
            scan_fail(s, CSVFILE_FAIL_NOMEM, "out of memory");
            goto cleanup;
        }
        if (kept != name) {
            replaced[n_replaced++] = name;
            p->columns[i] = kept;
        }
    }
    s->header_done = 1;
cleanup:
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
        char **grown = realloc(p->cells, cap * sizeof *grown);
        if (grown == NULL) {
            scan_fail(s, CSVFILE_FAIL_NOMEM, "out of memory");
            return;
        }
        p->cells = grown;
        s->cells_cap = cap;
    }
    memset(p->cells + p->n_rows * p->n_columns, 0, p->n_columns * sizeof *p->cells);
    p->n_rows++;
    /* Every row object repeats the header's names as keys. */
    s->kept_bytes += s->header_bytes + 2;
    if (s->kept_bytes > CSVFILE_MAX_PAGE_BYTES) {
        scan_fail(s, CSVFILE_FAIL_CONTENT, "the page is larger than 64 MiB; ask for fewer rows");
        return;
    }
    s->row_started = 1;
}

static void cell_store(struct scan *s, const char *text, size_t len)
{
    struct csvfile_page *p = s->out;
    if (s->field >= p->n_columns)
        return; /* past the header's width: dropped */
    if (s->kept_bytes + len > CSVFILE_MAX_PAGE_BYTES) { /* before copying a huge field */
        scan_fail(s, CSVFILE_FAIL_CONTENT, "the page is larger than 64 MiB; ask for fewer rows");
        return;
    }
    char *copy = csvfile_utf8_dup(text, len);
    if (copy == NULL) {
        scan_fail(s, CSVFILE_FAIL_NOMEM, "out of memory");
        return;
    }
    p->cells[(p->n_rows - 1) * p->n_columns + s->field] = copy;
    s->kept_bytes += json_cost(copy);
    if (s->kept_bytes > CSVFILE_MAX_PAGE_BYTES)
        scan_fail(s, CSVFILE_FAIL_CONTENT, "the page is larger than 64 MiB; ask for fewer rows");
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
    return realloc(ptr, size);
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
    char *buf = malloc(CHUNK_SIZE);
    if (buf == NULL) {
        scan_fail(s, CSVFILE_FAIL_NOMEM, "out of memory");
        return -1;
    }
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
