/* fuzz_ref: the reference checks the fuzz targets hold the code under test to: written apart
 * from it (hex digits, RFC 3629 UTF-8, percent-decoding with '+' as space, the canonical path
 * shape), header-only so each target stays one translation unit. Static inline, so a target
 * may use only some of them without an unused-function warning. */
#ifndef AAM_FUZZ_REF_H
#define AAM_FUZZ_REF_H

#include <assert.h>
#include <stddef.h>
#include <string.h>

static inline int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* An independent check of well-formed UTF-8 (RFC 3629: no overlongs, no surrogates). */
static inline int utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        unsigned c = *u, k, cp;
        if (c < 0x80) {
            u++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07;
        else
            return 0;
        for (unsigned i = 1; i <= k; i++) {
            if ((u[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (u[i] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        u += k + 1;
    }
    return 1;
}

/* Decodes s[0..n) into out (room for n bytes); -1 on a bad escape, a %00 or a raw NUL.
 * UTF-8 is checked apart, with utf8_ok. */
static inline long ref_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
                return -1;
            c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        } else if (c == '+')
            c = ' ';
        if (c == 0)
            return -1;
        out[o++] = (char)c;
    }
    return (long)o;
}

/* Asserts that p has the shape path_normalize promises: starts with '/', no "//", no trailing
 * '/', no "." or ".." segment. */
static inline void ref_check_canonical(const char *p)
{
    size_t n = strlen(p);
    assert(p[0] == '/');
    assert(strstr(p, "//") == NULL);
    assert(n == 1 || p[n - 1] != '/');
    assert(strstr(p, "/../") == NULL && strstr(p, "/./") == NULL);
    assert(!(n >= 3 && strcmp(p + n - 3, "/..") == 0));
    assert(!(n >= 2 && strcmp(p + n - 2, "/.") == 0));
}

#endif
