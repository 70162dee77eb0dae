/* webhook_sign: Standard Webhooks signing with OpenSSL (HMAC-SHA256 through EVP_MAC, base64,
 * RAND_bytes). Key bytes live only in a stack buffer that is wiped on every path. */
#include "server/core/webhook_sign.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "util/base64.h"

int webhook_sign_new_secret(char *secret_out, size_t size)
{
    unsigned char key_[WEBHOOK_SIGN_KEY_BYTES];
    int ret = -1;
    if (size > 0)
        secret_out[0] = '\0';
    if (size < WEBHOOK_SIGN_SECRET_LEN + 1 || RAND_bytes(key_, (int)sizeof key_) != 1)
        goto cleanup;
    memcpy(secret_out, WEBHOOK_SIGN_PREFIX, strlen(WEBHOOK_SIGN_PREFIX));
    base64_encode(key_, sizeof key_, secret_out + strlen(WEBHOOK_SIGN_PREFIX));
    ret = 0;
cleanup:
    OPENSSL_cleanse(key_, sizeof key_);
    return ret;
}

/* HMAC-SHA256 of the pieces, in order, under key[0..key_len) into mac (32 bytes). */
static int compute_hmac(const unsigned char *key, size_t key_len, const void *const parts[],
                        const size_t lens[], size_t n, unsigned char mac[32])
{
    EVP_MAC *alg = NULL;
    EVP_MAC_CTX *ctx = NULL;
    size_t out_len = 0;
    int ret = -1;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    ctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
    if (ctx == NULL || EVP_MAC_init(ctx, key, key_len, params) != 1)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] > 0 && EVP_MAC_update(ctx, parts[i], lens[i]) != 1)
            goto cleanup;
    }
    if (EVP_MAC_final(ctx, mac, &out_len, 32) != 1 || out_len != 32)
        goto cleanup;
    ret = 0;
cleanup:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(alg);
    return ret;
}

int webhook_sign(const char *secret, const char *msg_id, long long timestamp, const char *body,
                 size_t body_len, char *out, size_t size)
{
    const size_t plen = strlen(WEBHOOK_SIGN_PREFIX);
    unsigned char key_[WEBHOOK_SIGN_KEY_MAX];
    unsigned char mac[32];
    char ts[24];
    int key_len = -1, ret = -1;
    if (size > 0)
        out[0] = '\0';
    if (secret == NULL || msg_id == NULL || (body == NULL && body_len > 0) ||
        size < WEBHOOK_SIGN_SIG_LEN + 1 || strncmp(secret, WEBHOOK_SIGN_PREFIX, plen) != 0)
        goto cleanup;
    size_t got = 0;
    if (base64_decode(secret + plen, strlen(secret + plen), key_, sizeof key_, &got) != 0 ||
        got == 0)
        goto cleanup;
    key_len = (int)got;
    snprintf(ts, sizeof ts, "%lld", timestamp);
    /* The signed content: "<msg id>.<timestamp>.<body>" */
    const void *const parts[] = {msg_id, ".", ts, ".", body};
    const size_t lens[] = {strlen(msg_id), 1, strlen(ts), 1, body_len};
    if (compute_hmac(key_, (size_t)key_len, parts, lens, 5, mac) != 0)
        goto cleanup;
    memcpy(out, "v1,", 3);
    base64_encode(mac, sizeof mac, out + 3);
    ret = 0;
cleanup:
    OPENSSL_cleanse(key_, sizeof key_);
    return ret;
}

int webhook_sign_header(const char *const *secrets, size_t n, const char *msg_id,
                        long long timestamp, const char *body, size_t body_len, char *out,
                        size_t size)
{
    char one[WEBHOOK_SIGN_SIG_LEN + 1];
    size_t used = 0;
    if (size > 0)
        out[0] = '\0';
    if (n == 0 || size < n * (WEBHOOK_SIGN_SIG_LEN + 1))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (webhook_sign(secrets[i], msg_id, timestamp, body, body_len, one, sizeof one) != 0) {
            out[0] = '\0';
            return -1;
        }
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? " " : "", one);
    }
    return 0;
}
