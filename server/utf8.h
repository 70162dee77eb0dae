/* utf8: well-formedness (RFC 3629) and boundary-safe truncation. Every text that reaches a
 * client or the database passes through these: a path, a query value, a form value, a
 * problem detail. jansson refuses to serialise a string that is not UTF-8, so a detail cut in
 * the middle of a sequence used to render as an empty body. */
#ifndef AAM_UTF8_H
#define AAM_UTF8_H

#include <stddef.h>

/* Length (1-4) of the well-formed sequence at s[0..n), or 0 when the bytes there are not one
 * (overlongs, surrogates, above U+10FFFF, a truncated sequence). NUL counts as not
 * well-formed: no text we accept carries one. n must be at least 1. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

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
