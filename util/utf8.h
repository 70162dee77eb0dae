/* utf8: UTF-8 helpers (RFC 3629): sequence validation, code-point counting, and a copy that
 * replaces each ill-formed byte with U+FFFD. */
#ifndef AAM_UTF8_H
#define AAM_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s (no overlongs, no surrogates, at most
 * U+10FFFF), or 0 when the bytes there are not one. NUL counts as not well-formed. n > 0. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* Code points in s[0..len), which must already be valid UTF-8 (bytes that do not continue a
 * sequence are counted). */
size_t utf8_count(const char *s, size_t len);

/* A NUL-terminated copy of s[0..len) with each ill-formed byte (and NUL) replaced by U+FFFD,
 * so the result is always valid UTF-8. Caller frees; never NULL (xalloc policy). */
char *utf8_dup_repair(const char *s, size_t len);

#endif
