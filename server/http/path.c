/* path: request-path normalisation and percent-decoding. The path is decoded exactly once,
 * segment by segment, so an encoded '/' or '.' can never create a new segment or a "..":
 * those are refused rather than guessed at (RFC 3986 §6.2.2 leaves them ambiguous). */
#include "server/http/path.h"

#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/xalloc.h"

/* Decodes one segment [s, s+len) into out. Returns the decoded length, or -1 for a bad
 * escape, a NUL, or an encoded '/'. */
static long decode_segment(const char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if ((unsigned char)c < 0x20 || c == 0x7f)
            return -1; /* raw control bytes are not legal in a request target (RFC 9112 §3.2) */
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            /* an encoded '/' would make a new segment, an encoded control byte has no
             * business in any route parameter: refuse both rather than guess */
            if ((unsigned char)c < 0x20 || c == 0x7f || c == '/')
                return -1;
            i += 2;
        }
        out[o++] = c;
    }
    return (long)o;
}

int path_normalize(const char *raw, size_t raw_len, char *out, size_t out_size)
{
    if (out_size > 0)
        out[0] = '\0'; /* a refused path leaves an empty string, never half a path */
    if (raw_len == 0 || raw[0] != '/' || out_size < raw_len + 2)
        return -1;
    size_t o = 0;
    size_t i = 0;
    while (i < raw_len) {
        while (i < raw_len && raw[i] == '/')
            i++; /* collapse "//" and skip the trailing '/' */
        size_t start = i;
        while (i < raw_len && raw[i] != '/')
            i++;
        if (i == start)
            break;
        out[o++] = '/';
        long n = decode_segment(raw + start, i - start, out + o);
        if (n < 0 || (n == 1 && out[o] == '.') || (n == 2 && out[o] == '.' && out[o + 1] == '.')) {
            out[0] = '\0';
            return -1;
        }
        o += (size_t)n;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return 0;
}

char *path_decode_component(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\0') { /* a raw NUL would cut the decoded string short unseen */
            free(out);
            return NULL;
        } else if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len) {
                free(out);
                return NULL;
            }
            int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                free(out);
                return NULL;
            }
            c = (char)(h * 16 + l);
            i += 2;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}
