/* xalloc: the one allocation policy. Small internal allocations never fail from the caller's
 * point of view: on out-of-memory the process writes one line to stderr and aborts (the
 * PgBouncer and Redis choice). Callers therefore never test the result for NULL; there is no
 * unchecked malloc/strdup and no silent NULL anywhere else in the tree. */
#ifndef AAM_XALLOC_H
#define AAM_XALLOC_H

#include <stddef.h>

/* Each returns memory the caller frees with free(); never NULL (n == 0 allocates one byte). */
void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t count, size_t size) __attribute__((malloc, returns_nonnull));
/* Aborts, like the others, instead of returning NULL; p may be NULL. */
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
/* Copies s (which must not be NULL). */
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
/* Copies at most n bytes of s and NUL-terminates the copy. */
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
/* free(*p) and *p = NULL, so a second call (or a cleanup path) cannot double-free. */
void xfree(void *pp);

#endif
