/* csvcache: a hash table of file versions (chained, doubled when it fills) threaded on an LRU
 * list, charged in bytes. A files page may list 10,000 files, so a lookup must not scan: it
 * hashes the path. Eviction walks from the cold end of the list until the total fits. */
#include "server/core/csvcache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

struct entry {
    char *key;
    uint64_t hash;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    long long rows;
    struct csvcache_mark *marks;
    size_t n_marks;
    size_t charge; /* bytes this entry counts against the budget */
    struct entry *next_in_bucket;
    struct entry *newer, *older; /* the LRU list: head is the most recently used */
};

static struct {
    pthread_mutex_t lock;
    struct entry **buckets;
    size_t n_buckets; /* a power of two, or 0 before the first store */
    size_t n_entries;
    size_t bytes;
    size_t budget;
    unsigned long hits;
    struct entry *newest, *oldest;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER, .budget = CSVCACHE_DEFAULT_BUDGET};

static uint64_t hash_key(const char *key)
{
    return hash_fnv1a_str(key);
}

static int same_version(const struct entry *e, const struct stat *st)
{
    return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
           e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           e->ctime.tv_sec == st->st_ctim.tv_sec && e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static struct entry **find_slot(const char *key, uint64_t hash)
{
    if (cache.n_buckets == 0)
        return NULL;
    struct entry **slot = &cache.buckets[hash & (cache.n_buckets - 1)];
    while (*slot != NULL && ((*slot)->hash != hash || strcmp((*slot)->key, key) != 0))
        slot = &(*slot)->next_in_bucket;
    return slot;
}

static void lru_unlink(struct entry *e)
{
    if (e->newer != NULL)
        e->newer->older = e->older;
    else
        cache.newest = e->older;
    if (e->older != NULL)
        e->older->newer = e->newer;
    else
        cache.oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push_newest(struct entry *e)
{
    e->older = cache.newest;
    e->newer = NULL;
    if (cache.newest != NULL)
        cache.newest->newer = e;
    cache.newest = e;
    if (cache.oldest == NULL)
        cache.oldest = e;
}

static void entry_free(struct entry *e)
{
    free(e->key);
    free(e->marks);
    free(e);
}

/* Unhooks e from its bucket and the list, uncharges and frees it. */
static void entry_drop(struct entry *e)
{
    struct entry **slot = find_slot(e->key, e->hash);
    if (slot != NULL && *slot == e)
        *slot = e->next_in_bucket;
    lru_unlink(e);
    cache.bytes -= e->charge;
    cache.n_entries--;
    entry_free(e);
}

static void evict_to(size_t budget)
{
    while (cache.bytes > budget && cache.oldest != NULL)
        entry_drop(cache.oldest);
}

/* Doubles the bucket array when the table is full. */
static void maybe_grow(void)
{
    if (cache.n_entries < cache.n_buckets)
        return;
    size_t n = cache.n_buckets ? cache.n_buckets * 2 : 64;
    struct entry **fresh = xcalloc(n, sizeof *fresh);
    for (size_t i = 0; i < cache.n_buckets; i++) {
        struct entry *e = cache.buckets[i];
        while (e != NULL) {
            struct entry *next = e->next_in_bucket;
            e->next_in_bucket = fresh[e->hash & (n - 1)];
            fresh[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(cache.buckets);
    cache.buckets = fresh;
    cache.n_buckets = n;
}

/* The last mark with row <= target (marks ascend by row), or {0, -1}. */
static struct csvcache_mark nearest_mark(const struct entry *e, long long target)
{
    struct csvcache_mark none = {0, -1};
    size_t lo = 0, hi = e->n_marks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->marks[mid].row <= target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? none : e->marks[lo - 1];
}

int csvcache_lookup(const char *key, const struct stat *st, long long target_row, long long *rows,
                    struct csvcache_mark *mark)
{
    int found = 0;
    uint64_t h = hash_key(key);
    pthread_mutex_lock(&cache.lock);
    struct entry **slot = find_slot(key, h);
    struct entry *e = slot != NULL ? *slot : NULL;
    if (e != NULL && same_version(e, st)) {
        lru_unlink(e);
        lru_push_newest(e);
        *rows = e->rows;
        if (mark != NULL)
            *mark = nearest_mark(e, target_row);
        cache.hits++;
        found = 1;
    }
    pthread_mutex_unlock(&cache.lock);
    return found;
}

void csvcache_store(const char *key, const struct stat *st, long long rows,
                    struct csvcache_mark *marks, size_t n_marks)
{
    size_t key_len = strlen(key);
    size_t charge = sizeof(struct entry) + key_len + 1 + n_marks * sizeof *marks;
    struct entry *e = xmalloc(sizeof *e);
    *e = (struct entry){.key = xstrdup(key),
                        .hash = hash_key(key),
                        .dev = st->st_dev,
                        .ino = st->st_ino,
                        .size = st->st_size,
                        .mtime = st->st_mtim,
                        .ctime = st->st_ctim,
                        .rows = rows,
                        .marks = marks,
                        .n_marks = n_marks,
                        .charge = charge};
    pthread_mutex_lock(&cache.lock);
    struct entry **slot = find_slot(key, e->hash);
    if (slot != NULL && *slot != NULL)
        entry_drop(*slot); /* an older version of the same file */
    if (charge > cache.budget) {
        pthread_mutex_unlock(&cache.lock);
        entry_free(e);
        return;
    }
    evict_to(cache.budget - charge);
    maybe_grow();
    struct entry **head = &cache.buckets[e->hash & (cache.n_buckets - 1)];
    e->next_in_bucket = *head;
    *head = e;
    lru_push_newest(e);
    cache.bytes += charge;
    cache.n_entries++;
    pthread_mutex_unlock(&cache.lock);
}

void csvcache_set_budget(size_t bytes)
{
    if (bytes < 64 * 1024)
        bytes = 64 * 1024;
    pthread_mutex_lock(&cache.lock);
    cache.budget = bytes;
    evict_to(bytes);
    pthread_mutex_unlock(&cache.lock);
}

size_t csvcache_bytes(void)
{
    pthread_mutex_lock(&cache.lock);
    size_t n = cache.bytes;
    pthread_mutex_unlock(&cache.lock);
    return n;
}

size_t csvcache_entries(void)
{
    pthread_mutex_lock(&cache.lock);
    size_t n = cache.n_entries;
    pthread_mutex_unlock(&cache.lock);
    return n;
}

unsigned long csvcache_hits(void)
{
    pthread_mutex_lock(&cache.lock);
    unsigned long n = cache.hits;
    pthread_mutex_unlock(&cache.lock);
    return n;
}

void csvcache_clear(void)
{
    pthread_mutex_lock(&cache.lock);
    evict_to(0);
    free(cache.buckets);
    cache.buckets = NULL;
    cache.n_buckets = 0;
    pthread_mutex_unlock(&cache.lock);
}
