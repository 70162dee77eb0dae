/* cursor: opaque, tamper-evident page cursors (see cursor.h). The key is derived from
 * JWT_SECRET with a label, so it is never the token key itself, and every replica shares it. */
#include "server/core/cursor.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "util/base64.h"

#define CURSOR_ID_BYTES 8
#define CURSOR_MAC_BYTES 16 /* 128 bits: forging one is guessing a 128-bit value */
#define CURSOR_RAW (CURSOR_ID_BYTES + CURSOR_MAC_BYTES)

static const char KEY_LABEL[] = "aam page cursor v1";

/* mac = HMAC(key, kind | id | ns | NUL | scope), key = HMAC(secret, KEY_LABEL). */
static int cursor_mac(const char *secret, size_t secret_len, enum cursor_kind kind, const char *ns,
                      const char *scope, const unsigned char id[CURSOR_ID_BYTES],
                      unsigned char mac[CURSOR_MAC_BYTES])
{
    unsigned char key[EVP_MAX_MD_SIZE], full[EVP_MAX_MD_SIZE];
    unsigned int key_len = 0, full_len = 0;
    unsigned char msg[1 + CURSOR_ID_BYTES + 64 + 1 + 256];
    size_t ns_len = strlen(ns), scope_len = strlen(scope), n = 0;
    int ret = -1;
    if (ns_len > 64 || scope_len > 256)
        return -1;
    msg[n++] = (unsigned char)kind;
    memcpy(msg + n, id, CURSOR_ID_BYTES);
    n += CURSOR_ID_BYTES;
    memcpy(msg + n, ns, ns_len);
    n += ns_len;
    msg[n++] = 0;
    memcpy(msg + n, scope, scope_len);
    n += scope_len;
    if (HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)KEY_LABEL,
             sizeof KEY_LABEL - 1, key, &key_len) == NULL ||
        HMAC(EVP_sha256(), key, (int)key_len, msg, n, full, &full_len) == NULL ||
        full_len < CURSOR_MAC_BYTES)
        goto cleanup;
    memcpy(mac, full, CURSOR_MAC_BYTES);
    ret = 0;
cleanup:
    OPENSSL_cleanse(key, sizeof key);
    return ret;
}

int cursor_encode(const char *secret, size_t secret_len, enum cursor_kind kind, const char *ns,
                  const char *scope, long long id, char *out)
{
    unsigned char raw[CURSOR_RAW];
    char b64[BASE64_ENCODED_LEN(CURSOR_RAW) + 1];
    out[0] = '\0';
    if (id < 0)
        return -1;
    for (int i = 0; i < CURSOR_ID_BYTES; i++)
        raw[i] = (unsigned char)((unsigned long long)id >> (8 * (CURSOR_ID_BYTES - 1 - i)));
    if (cursor_mac(secret, secret_len, kind, ns, scope, raw, raw + CURSOR_ID_BYTES) != 0)
        return -1;
    base64_encode(raw, sizeof raw, b64); /* 24 bytes: 32 characters, no '=' */
    for (int i = 0; i < CURSOR_LEN; i++)
        out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    out[CURSOR_LEN] = '\0';
    return 0;
}

int cursor_decode(const char *secret, size_t secret_len, enum cursor_kind kind, const char *ns,
                  const char *scope, const char *text, long long *id)
{
    unsigned char raw[CURSOR_RAW], mac[CURSOR_MAC_BYTES];
    char b64[CURSOR_LEN + 1];
    unsigned long long v = 0;
    if (text == NULL || strlen(text) != CURSOR_LEN)
        return -1;
    for (int i = 0; i < CURSOR_LEN; i++) {
        char c = text[i];
        if (c == '+' || c == '/') /* base64url only */
            return -1;
        b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    b64[CURSOR_LEN] = '\0';
    size_t got = 0;
    if (base64_decode(b64, CURSOR_LEN, raw, sizeof raw, &got) != 0 || got != CURSOR_RAW)
        return -1;
    if (cursor_mac(secret, secret_len, kind, ns, scope, raw, mac) != 0 ||
        CRYPTO_memcmp(mac, raw + CURSOR_ID_BYTES, CURSOR_MAC_BYTES) != 0)
        return -1;
    for (int i = 0; i < CURSOR_ID_BYTES; i++)
        v = (v << 8) | raw[i];
    if (v > (unsigned long long)0x7fffffffffffffffLL)
        return -1;
    *id = (long long)v;
    return 0;
}
