/* utf8: see utf8.h. */
#include "util/utf8.h"

#include <stdio.h>
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

/* The code point of the well-formed sequence of n bytes at s (n from utf8_seq_len). */
static unsigned decode(const unsigned char *s, size_t n)
{
    static const unsigned char lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    unsigned cp = s[0] & lead_mask[n];
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3Fu);
    return cp;
}

/* 1 for a character that does not show as itself (see utf8_is_display_safe). */
static int hidden_char(unsigned cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
           cp == 0x200F || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

int utf8_is_display_safe(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0 || hidden_char(decode(u + i, n)))
            return 0;
        i += n;
    }
    return 1;
}

char *utf8_escape_display(const char *s)
{
    const unsigned char *u = (const unsigned char *)(s != NULL ? s : "");
    size_t len = strlen((const char *)u);
    char *out = xmalloc(len * 6 + 1); /* at worst every byte becomes six ("\u0001") */
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(u + i, len - i);
        unsigned cp = n ? decode(u + i, n) : 0;
        if (n == 0) {
            o += (size_t)snprintf(out + o, 5, "\\x%02X", u[i]);
            i++;
        } else if (hidden_char(cp)) {
            /* every hidden character is below U+10000, and its sequence at most 3 bytes long,
             * so six bytes of escape never outgrow six per input byte */
            o += (size_t)snprintf(out + o, 7, "\\u%04X", cp);
            i += n;
        } else {
            memcpy(out + o, u + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}
