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

/* 1 when s[0..len) is well-formed UTF-8 (no NUL) in which every character shows as itself,
 * else 0. Refused: the C0 controls and DEL (U+0000-U+001F, U+007F), the C1 controls
 * (U+0080-U+009F: U+009B is a terminal's CSI, as ESC [ is), the line and paragraph separators
 * (U+2028, U+2029), and the bidirectional formatting characters, which reorder the text
 * around them so that what is read is not what is stored (Trojan Source, CVE-2021-42574): the
 * marks U+061C, U+200E, U+200F, the embeddings and overrides U+202A-U+202E, the isolates
 * U+2066-U+2069. The one rule for names people read (tenants, connectors, clients). */
int utf8_is_display_safe(const char *s, size_t len);

/* A NUL-terminated copy of s (NUL-terminated; NULL reads as "") that is safe to print to a
 * terminal: each character utf8_is_display_safe refuses is written as \uXXXX, and each
 * ill-formed byte as \xNN. A safe text comes back unchanged. Caller frees; never NULL. */
char *utf8_escape_display(const char *s);

#endif
