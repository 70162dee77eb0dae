/* base64: OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock behind a strict front: EVP_DecodeBlock
 * skips leading and trailing blanks and counts padding as zero bytes, so the alphabet and the
 * padding are checked here and the padding is subtracted. */
#include "util/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

size_t base64_encode(const unsigned char *in, size_t n, char *out)
{
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static int is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Decodes in chunks of 4 characters (3 bytes) through a small buffer, so no length limit
 * needs a large stack array; the buffer is wiped, as the bytes may be a key. */
int base64_decode(const char *s, size_t len, unsigned char *out, size_t max)
{
    unsigned char buf[3];
    size_t pad = 0, n = 0;
    int ret = -1;
    if (s == NULL || len == 0 || len % 4 != 0 || len > (size_t)1 << 30)
        return -1;
    while (pad < 2 && s[len - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < len - pad; i++) {
        if (!is_b64_char(s[i]))
            return -1;
    }
    if (len / 4 * 3 - pad > max)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        if (EVP_DecodeBlock(buf, (const unsigned char *)s + i, 4) != 3)
            goto cleanup;
        size_t take = i + 4 == len ? 3 - pad : 3;
        memcpy(out + n, buf, take);
        n += take;
    }
    ret = (int)n;
cleanup:
    OPENSSL_cleanse(buf, sizeof buf);
    return ret;
}
