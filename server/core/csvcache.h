/* csvcache: what csvfile learned about a file by reading it whole — its data-row count and a
 * sparse row index (where every ~32 KiB of data rows a record starts) — remembered by the
 * file's path and identity (device, inode, size, mtime, ctime), so an unchanged file is never
 * counted twice and any page of it is read from the nearest index mark.
 *
 * The cache is sized by what it holds, not by a number of slots: every entry is charged its
 * key, its marks and its bookkeeping, and the least recently used entries are dropped when the
 * total passes the budget (csvcache_set_budget). Thread-safe: one mutex, never held during
 * file I/O. Used only by csvfile.c and tests. */
#ifndef AAM_CSVCACHE_H
#define AAM_CSVCACHE_H

#include <stddef.h>
#include <sys/stat.h>

/* The default budget: 16 MiB holds about 100,000 small files' counts, or the index of
 * about 30 GB of CSV (16 bytes per 32 KiB). */
#define CSVCACHE_DEFAULT_BUDGET (16u * 1024u * 1024u)

/* Data row `row` (0-based, header excluded) starts at byte `offset` of the file, and the
 * parser is between records there. */
struct csvcache_mark {
    long long offset;
    long long row;
};

/* Looks up key's entry for this exact file version. On a hit returns 1, sets *rows and, when
 * mark is non-NULL, *mark to the last mark at or before data row `target_row` (or {0, -1}
 * when there is none: read from the start). Returns 0 on a miss. Copies out; nothing
 * borrowed. */
int csvcache_lookup(const char *key, const struct stat *st, long long target_row, long long *rows,
                    struct csvcache_mark *mark);

/* Remembers a file version's count and marks (n_marks ascending by row), replacing an older
 * version of the same key. Takes ownership of `marks` (malloc'd, or NULL when n_marks is 0),
 * also when it does not keep the entry (larger than the whole budget). */
void csvcache_store(const char *key, const struct stat *st, long long rows,
                    struct csvcache_mark *marks, size_t n_marks);

/* Sets the byte budget (at least 64 KiB) and evicts down to it. */
void csvcache_set_budget(size_t bytes);

/* Bytes charged to the entries held now, how many entries, and how many lookups hit
 * (for tests, the bench script and /metrics). */
size_t csvcache_bytes(void);
size_t csvcache_entries(void);
unsigned long csvcache_hits(void);

/* Forgets every entry (tests); the budget stays. */
void csvcache_clear(void);

#endif
