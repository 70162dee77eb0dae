/* utf8: see utf8.h. */
#include "util/utf8.h"

#include <string.h>

#include "util/xalloc.h"

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0x01 && c <= 0x7F)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds on the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    }
    return len;
}

size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

char *utf8_dup_repair(const char *s, size_t len)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(u + i, len - i);
        bad += (n == 0);
        i += n ? n : 1;
    }
    char *out = xmalloc(len + 2 * bad + 1); /* each bad byte grows from 1 to 3 bytes */
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0) {
            memcpy(out + o, replacement, 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (u[i] >= 0x01 && u[i] <= 0x7F) { /* the common case, without the call */
            i++;
            continue;
        }
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

size_t utf8_cut(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Step back over at most 3 continuation bytes to the lead byte of the last sequence. */
    size_t i = len;
    while (i > 0 && len - i < 4 && (u[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return 0; /* nothing but continuation bytes */
    unsigned char lead = u[i - 1];
    size_t want = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    size_t have = len - (i - 1);
    if (lead >= 0xC0 && have < want)
        return i - 1; /* the last sequence is incomplete: drop it whole */
    return len;
}

char *utf8_copy_sanitized(char *dst, size_t size, const char *src)
{
    const unsigned char *u = (const unsigned char *)src;
    size_t o = 0, n = strlen(src);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq_len(u + i, n - i);
        if (k == 0) {
            if (o + 1 >= size)
                break;
            dst[o++] = '?';
            i++;
            continue;
        }
        if (o + k >= size)
            break; /* never half a character */
        memcpy(dst + o, src + i, k);
        o += k;
        i += k;
    }
    dst[o] = '\0';
    return dst;
}
