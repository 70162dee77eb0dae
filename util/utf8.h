/* utf8: UTF-8 helpers (RFC 3629): sequence validation, code-point counting, a copy that
 * replaces each ill-formed byte with U+FFFD, and boundary-safe cutting. Every text that
 * reaches a client or the database passes through these: a path, a query value, a form value,
 * a problem detail (jansson refuses to serialise a string that is not UTF-8, so a detail cut
 * inside a sequence once rendered as an empty body). */
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

/* 1 when s[0..len) is entirely well-formed UTF-8 with no NUL, else 0. */
int utf8_valid(const char *s, size_t len);

/* The longest prefix of s[0..len) that does not end inside a multi-byte sequence (at most
 * len). Bytes before the cut are not checked: callers cut text that was valid. */
size_t utf8_cut(const char *s, size_t len);

/* Copies src (NUL-terminated) into dst[size] as valid UTF-8: an ill-formed byte becomes '?',
 * and the copy is cut at a character boundary when it does not fit. Always NUL-terminates
 * (size > 0). Returns dst. */
char *utf8_copy_sanitized(char *dst, size_t size, const char *src);

#endif
