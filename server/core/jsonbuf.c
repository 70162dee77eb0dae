/* jsonbuf: a growable byte buffer with JSON string escaping (see jsonbuf.h). Capacity doubles,
 * so building an n-byte document costs O(n) copies. Memory comes from xrealloc (out of memory
 * aborts, util/xalloc.h); only a length no buffer could hold is remembered as a failure, so
 * callers write straight-line code and check once, at the end. */
#include "server/core/jsonbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hex.h"
#include "util/xalloc.h"

/* The first allocation: one connector's JSON (about 300 bytes) fits; a page of them grows by
 * doubling, a handful of reallocations for the largest page. */
#define JSONBUF_MIN_CAP 256

/* Makes room for extra more bytes plus the NUL. Returns 0, or -1 with b marked failed when
 * the length would overflow. */
static int reserve(struct jsonbuf *b, size_t extra)
{
    if (b->_failed)
        return -1;
    if (extra >= SIZE_MAX / 2 - b->_len) {
        b->_failed = 1;
        return -1;
    }
    size_t need = b->_len + extra + 1;
    if (need <= b->_cap)
        return 0;
    size_t cap = b->_cap ? b->_cap : JSONBUF_MIN_CAP;
    while (cap < need)
        cap *= 2;
    b->_data = xrealloc(b->_data, cap);
    b->_cap = cap;
    return 0;
}

void jsonbuf_init(struct jsonbuf *b, size_t size)
{
    *b = (struct jsonbuf)JSONBUF_INIT;
    if (reserve(b, size) == 0)
        b->_data[0] = '\0';
}

void jsonbuf_append(struct jsonbuf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    if (n > 0)
        memcpy(b->_data + b->_len, s, n);
    b->_len += n;
    b->_data[b->_len] = '\0';
}

void jsonbuf_append_cstr(struct jsonbuf *b, const char *s)
{
    jsonbuf_append(b, s, strlen(s));
}

/* The escape for byte c, written to out (at least 7 bytes); returns its length, or 0 when c
 * is written as itself. */
static size_t escape_of(unsigned char c, char *out)
{
    char short_form = 0;
    switch (c) {
    case '"':
        short_form = '"';
        break;
    case '\\':
        short_form = '\\';
        break;
    case '\b':
        short_form = 'b';
        break;
    case '\f':
        short_form = 'f';
        break;
    case '\n':
        short_form = 'n';
        break;
    case '\r':
        short_form = 'r';
        break;
    case '\t':
        short_form = 't';
        break;
    default:
        if (c >= 0x20)
            return 0;
        memcpy(out, "\\u00", 4);
        out[4] = hex_digit(c >> 4);
        out[5] = hex_digit(c);
        return 6;
    }
    out[0] = '\\';
    out[1] = short_form;
    return 2;
}

void jsonbuf_append_json_string(struct jsonbuf *b, const char *s, size_t n)
{
    /* Runs of bytes that need no escape are copied in one go: names and ids rarely have any. */
    size_t run = 0;
    char esc[8];
    jsonbuf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        size_t elen = escape_of((unsigned char)s[i], esc);
        if (elen == 0)
            continue;
        if (i > run)
            jsonbuf_append(b, s + run, i - run);
        jsonbuf_append(b, esc, elen);
        run = i + 1;
    }
    if (n > run)
        jsonbuf_append(b, s + run, n - run);
    jsonbuf_append(b, "\"", 1);
}

void jsonbuf_append_int64(struct jsonbuf *b, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    jsonbuf_append(b, num, (size_t)n);
}

/* Writes v as exactly width decimal digits (0 <= v < 10^width) ending just before end. */
static void put_digits(char *end, int v, int width)
{
    while (width-- > 0) {
        *--end = (char)('0' + v % 10);
        v /= 10;
    }
}

void jsonbuf_append_timestamp_us(struct jsonbuf *b, int64_t us)
{
    /* Floor division, so an instant before 1970 with a fraction (-0.5 s) lands in the second
     * before it with a positive fraction, as a clock would show it. */
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    char text[64];
    if (gmtime_r(&t, &tm) == NULL) {
        jsonbuf_append_cstr(b, "null"); /* beyond time_t: PostgreSQL's range fits in 64 bits */
        return;
    }
    int year = tm.tm_year + 1900;
    if (year < 1 || year > 9999) {
        int n = snprintf(text, sizeof text, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"", year,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
        jsonbuf_append(b, text, (size_t)n);
        return;
    }
    /* The common case without printf: the list route writes two of these per connector. */
    static const char layout[] = "\"YYYY-MM-DDTHH:MM:SS.uuuuuuZ\"";
    memcpy(text, layout, sizeof layout);
    put_digits(text + 5, year, 4);
    put_digits(text + 8, tm.tm_mon + 1, 2);
    put_digits(text + 11, tm.tm_mday, 2);
    put_digits(text + 14, tm.tm_hour, 2);
    put_digits(text + 17, tm.tm_min, 2);
    put_digits(text + 20, tm.tm_sec, 2);
    put_digits(text + 27, (int)frac, 6);
    jsonbuf_append(b, text, sizeof layout - 1);
}

size_t jsonbuf_len(const struct jsonbuf *b)
{
    return b->_len;
}

char *jsonbuf_finish(struct jsonbuf *b, size_t *len)
{
    char *text = NULL;
    if (reserve(b, 0) == 0) {
        b->_data[b->_len] = '\0'; /* an untouched buffer has no NUL yet */
        text = b->_data;
        *len = b->_len;
        b->_data = NULL;
    }
    jsonbuf_free(b);
    return text;
}

void jsonbuf_free(struct jsonbuf *b)
{
    if (b == NULL)
        return;
    free(b->_data);
    *b = (struct jsonbuf)JSONBUF_INIT;
}
