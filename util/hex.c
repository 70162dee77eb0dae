/* hex: hex digit conversion (see hex.h). */
#include "util/hex.h"

static const char digits[] = "0123456789abcdef";

int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char hex_digit(unsigned v)
{
    return digits[v & 15];
}

void hex_encode(const void *data, size_t len, char *out)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}
