/* path: the one normalisation of a request path, done before both the auth check and
 * routing, so the middleware and the router always judge the same string. */
#ifndef AAM_PATH_H
#define AAM_PATH_H

#include <stddef.h>

/* Normalises the raw path of a request target (the part before '?', as the client sent it):
 * collapses repeated '/', drops a trailing '/', decodes percent-escapes exactly once.
 * Refuses (returns -1) a path that does not start with '/', a control byte (raw or encoded),
 * a malformed escape, an encoded '/' ("%2f"), and "." or ".." segments, encoded or not. On 0, out holds the result
 * ("/" for the root), NUL-terminated; out must have room for strlen(raw) + 2 bytes. */
int path_normalize(const char *raw, size_t raw_len, char *out, size_t out_size)
    __attribute__((warn_unused_result));

/* Decodes application/x-www-form-urlencoded or query text: "%XX" and '+' as space.
 * Returns a malloc'd string, or NULL on a bad escape or a NUL byte (raw or "%00"). */
char *path_decode_component(const char *s, size_t len) __attribute__((warn_unused_result));

#endif
