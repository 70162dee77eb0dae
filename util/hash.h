/* hash: FNV-1a, 64 bits, for the in-memory tables (the CSV count cache, the CSV reader's
 * duplicate-column set, the token memo) and the web UI's ETags. Quick and even on short keys;
 * not a defence against keys chosen to collide. */
#ifndef AAM_HASH_H
#define AAM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_INIT 0xcbf29ce484222325ULL /* the 64-bit offset basis */

/* The hash of p[0..n), continued from h (HASH_FNV1A_INIT to start). */
uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n);

/* The hash of the NUL-terminated s, from HASH_FNV1A_INIT. */
uint64_t hash_fnv1a_str(const char *s);

#endif
