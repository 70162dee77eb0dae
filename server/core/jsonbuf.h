/* jsonbuf: a growable byte buffer for writing JSON text by hand. It exists for responses that
 * embed JSON text PostgreSQL already produced (jsonb columns) next to values C formats: jansson
 * would have to parse that text back into a tree to embed it. Out of memory aborts (util/xalloc.h);
 * a length that would overflow size_t is sticky: the buffer stops growing, later appends do
 * nothing, and jsonbuf_finish says so (returns NULL). */
#ifndef AAM_JSONBUF_H
#define AAM_JSONBUF_H

#include <stddef.h>
#include <stdint.h>

/* Fields are private (the struct is embedded on the stack by callers). */
struct jsonbuf {
    char *_data; /* malloc'd, always NUL-terminated once anything was appended */
    size_t _len; /* bytes written, excluding the NUL */
    size_t _cap; /* bytes allocated */
    int _failed; /* a length overflowed: contents are incomplete */
};

#define JSONBUF_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Empties b and reserves room for at least size bytes (a hint: the buffer grows past it).
 * An impossible size marks b failed. */
void jsonbuf_init(struct jsonbuf *b, size_t size);

/* Appends n bytes of s verbatim (they must already be valid JSON where they land). */
void jsonbuf_append(struct jsonbuf *b, const char *s, size_t n);

/* Appends the NUL-terminated s verbatim. */
void jsonbuf_append_cstr(struct jsonbuf *b, const char *s);

/* Appends n bytes of s as a JSON string literal, quotes included. '"' and '\\' are escaped,
 * \b \f \n \r \t get their short forms and every other byte below 0x20 becomes \u00XX (the
 * same bytes PostgreSQL's json functions write). Bytes from 0x20 up, UTF-8 sequences included,
 * pass through unchanged: the caller guarantees s is valid UTF-8. */
void jsonbuf_append_json_string(struct jsonbuf *b, const char *s, size_t n);

/* Appends v in decimal. */
void jsonbuf_append_int64(struct jsonbuf *b, int64_t v);

/* Appends the instant us (microseconds since 1970-01-01T00:00:00Z) as a JSON string in RFC 3339
 * UTC with exactly six fractional digits: "2024-01-01T00:00:00.000000Z". Years before 1 or
 * after 9999, which RFC 3339 cannot write, keep the same layout with a wider year field; an
 * instant gmtime_r cannot represent (none of PostgreSQL's range) is written as null. */
void jsonbuf_append_timestamp_us(struct jsonbuf *b, int64_t us);

/* Bytes written so far. */
size_t jsonbuf_len(const struct jsonbuf *b);

/* Hands the text over: returns the malloc'd, NUL-terminated text (the caller frees it) with
 * its length in *len, and leaves b empty. Returns NULL (and frees what was written) when an
 * append was refused on the way, so a truncated document never escapes. An untouched buffer
 * yields "". */
char *jsonbuf_finish(struct jsonbuf *b, size_t *len) __attribute__((warn_unused_result));

/* Frees the contents and leaves b empty and usable. NULL-safe, safe to call twice. */
void jsonbuf_free(struct jsonbuf *b);

#endif
