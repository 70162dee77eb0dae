/* password: PBKDF2-HMAC-SHA256 hashing and verification with OpenSSL, in the self-describing
 * format documented in password.h. The parser is strict (exact prefix, canonical decimal
 * iterations, strict base64) because the stored string decides how much work a login does. */
#include "server/core/password.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "pbkdf2-sha256$"
#define PREFIX_LEN (sizeof PREFIX - 1)
#define MIN_SALT_LEN 8
#define MAX_SALT_LEN 32
#define MIN_KEY_LEN 16
#define MAX_KEY_LEN 64

struct parsed_hash {
    unsigned iterations;
    unsigned char salt[MAX_SALT_LEN];
    size_t salt_len;
    unsigned char key[MAX_KEY_LEN];
    size_t key_len;
};

static int derive(const char *pw, size_t pw_len, const unsigned char *salt, size_t salt_len,
                  unsigned iterations, unsigned char *key, size_t key_len)
{
    if (pw_len > INT_MAX || iterations == 0 || iterations > PASSWORD_MAX_ITERATIONS)
        return -1;
    /* OpenSSL wants a non-NULL pointer even for an empty password. */
    const char *p = pw != NULL ? pw : "";
    return PKCS5_PBKDF2_HMAC(p, (int)pw_len, salt, (int)salt_len, (int)iterations, EVP_sha256(),
                             (int)key_len, key) == 1
               ? 0
               : -1;
}

int password_hash_iter(const char *pw, size_t pw_len, unsigned iterations, char *out,
                       size_t out_size)
{
    unsigned char salt[PASSWORD_SALT_LEN], key[PASSWORD_KEY_LEN];
    /* EVP_EncodeBlock writes 4 chars per 3 bytes plus a NUL. */
    char salt_b64[4 * ((PASSWORD_SALT_LEN + 2) / 3) + 1],
        key_b64[4 * ((PASSWORD_KEY_LEN + 2) / 3) + 1];
    int ret = -1;

    if (RAND_bytes(salt, sizeof salt) != 1)
        goto cleanup;
    if (derive(pw, pw_len, salt, sizeof salt, iterations, key, sizeof key) != 0)
        goto cleanup;
    EVP_EncodeBlock((unsigned char *)salt_b64, salt, sizeof salt);
    EVP_EncodeBlock((unsigned char *)key_b64, key, sizeof key);
    int n = snprintf(out, out_size, PREFIX "%u$%s$%s", iterations, salt_b64, key_b64);
    if (n < 0 || (size_t)n >= out_size)
        goto cleanup;
    ret = 0;
cleanup:
    OPENSSL_cleanse(key, sizeof key);
    if (ret != 0 && out != NULL && out_size > 0)
        out[0] = '\0';
    return ret;
}

int password_hash(const char *pw, size_t pw_len, char *out, size_t out_size)
{
    return password_hash_iter(pw, pw_len, PASSWORD_ITERATIONS, out, out_size);
}

/* Parses canonical decimal digits s[0..len): no sign, no leading zero, within 1..max.
 * Returns 0, or -1. */
static int parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
    unsigned long long v = 0;
    if (len == 0 || len > 10 || s[0] == '0')
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Strict standard base64 with padding: s[0..len) into out (at most max bytes).
 * Returns the decoded length, or -1. */
static int decode_b64(const char *s, size_t len, unsigned char *out, size_t max)
{
    unsigned char buf[3 * (MAX_KEY_LEN / 3 + 2)];
    size_t pad = 0;
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof buf)
        return -1;
    while (pad < 2 && s[len - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < len - pad; i++)
        if (!is_b64_char(s[i]))
            return -1;
    int n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
    if (n < 0 || (size_t)n < pad || (size_t)n - pad > max)
        return -1;
    memcpy(out, buf, (size_t)n - pad);
    OPENSSL_cleanse(buf, sizeof buf);
    return n - (int)pad;
}

/* Splits "pbkdf2-sha256$I$S$K" into *h. Returns 0, or -1 when it is not that shape. */
static int parse_hash(const char *stored, struct parsed_hash *h)
{
    if (stored == NULL || strncmp(stored, PREFIX, PREFIX_LEN) != 0)
        return -1;
    const char *it = stored + PREFIX_LEN;
    const char *salt = strchr(it, '$');
    if (salt == NULL)
        return -1;
    salt++;
    const char *key = strchr(salt, '$');
    if (key == NULL)
        return -1;
    key++;
    if (strchr(key, '$') != NULL)
        return -1;
    if (parse_uint(it, (size_t)(salt - 1 - it), PASSWORD_MAX_ITERATIONS, &h->iterations) != 0)
        return -1;
    int sl = decode_b64(salt, (size_t)(key - 1 - salt), h->salt, sizeof h->salt);
    int kl = decode_b64(key, strlen(key), h->key, sizeof h->key);
    if (sl < MIN_SALT_LEN || kl < MIN_KEY_LEN)
        return -1;
    h->salt_len = (size_t)sl;
    h->key_len = (size_t)kl;
    return 0;
}

enum password_check password_verify(const char *pw, size_t pw_len, const char *stored,
                                    int *needs_rehash)
{
    struct parsed_hash h;
    unsigned char key[MAX_KEY_LEN];
    enum password_check ret = PASSWORD_MALFORMED;

    if (needs_rehash != NULL)
        *needs_rehash = 0;
    if (parse_hash(stored, &h) != 0)
        goto cleanup;
    if (derive(pw, pw_len, h.salt, h.salt_len, h.iterations, key, h.key_len) != 0)
        goto cleanup;
    /* Constant time: how many leading bytes match must not show in the response time. */
    ret = CRYPTO_memcmp(key, h.key, h.key_len) == 0 ? PASSWORD_MATCH : PASSWORD_MISMATCH;
    if (ret == PASSWORD_MATCH && needs_rehash != NULL)
        *needs_rehash = h.iterations < PASSWORD_ITERATIONS || h.salt_len < PASSWORD_SALT_LEN ||
                        h.key_len < PASSWORD_KEY_LEN;
cleanup:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(&h, sizeof h);
    return ret;
}

void password_burn(const char *pw, size_t pw_len)
{
    /* A fixed salt is fine: the result is thrown away, only the time spent matters. */
    static const unsigned char salt[PASSWORD_SALT_LEN + 1] = "aam-burn-salt-16";
    unsigned char key[PASSWORD_KEY_LEN];
    if (derive(pw, pw_len, salt, PASSWORD_SALT_LEN, PASSWORD_ITERATIONS, key, sizeof key) == 0)
        (void)CRYPTO_memcmp(key, salt, PASSWORD_SALT_LEN);
    OPENSSL_cleanse(key, sizeof key);
}
