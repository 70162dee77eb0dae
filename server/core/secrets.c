/* secrets: AAM_SECRET_KEYS parsing and AES-256-GCM for values at rest (see secrets.h). The
 * spec string is parsed in place, never copied: each key is decoded straight into the
 * keyring's own buffer, which is wiped when the keyring is freed. */
#include "server/core/secrets.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/base64.h"
#include "util/xalloc.h"

struct secrets_key {
    char id[SECRETS_KEY_ID_MAX + 1];
    unsigned char key_[SECRETS_KEY_LEN];
};

struct secrets_keyring {
    size_t n;
    struct secrets_key keys[]; /* keys[0] encrypts */
};

/* The stored form's fixed parts: "v1:" and the binary's nonce and tag. */
#define PREFIX SECRETS_VERSION ":"
#define PREFIX_LEN (sizeof PREFIX - 1)
#define OVERHEAD (SECRETS_NONCE_LEN + SECRETS_TAG_LEN)
/* An associated-data member longer than this is refused (ids and names are far shorter). */
#define AAD_MEMBER_MAX 4096

/* ------------------------------------------------------------------ the keyring */

static int id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static int id_valid(const char *s, size_t len)
{
    if (len == 0 || len > SECRETS_KEY_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!id_char(s[i]))
            return 0;
    }
    return 1;
}

/* Reads one "id:base64" entry s[0..len) (already trimmed) into k. Returns 0 or -1 with err
 * naming the entry by position (1-based) and, once it is known to be an id, by id. */
static int parse_entry(const char *s, size_t len, size_t pos, struct secrets_key *k, char *err,
                       size_t errlen)
{
    const char *colon = memchr(s, ':', len);
    if (len == 0) {
        snprintf(err, errlen, "AAM_SECRET_KEYS: key %zu is empty", pos);
        return -1;
    }
    if (colon == NULL) {
        snprintf(err, errlen, "AAM_SECRET_KEYS: key %zu is not id:base64(32 bytes)", pos);
        return -1;
    }
    size_t id_len = (size_t)(colon - s);
    if (!id_valid(s, id_len)) {
        snprintf(err, errlen,
                 "AAM_SECRET_KEYS: key %zu has an id that is not 1-32 characters of A-Z a-z 0-9 _ -",
                 pos);
        return -1;
    }
    memcpy(k->id, s, id_len);
    k->id[id_len] = '\0';
    size_t got = 0;
    const char *b64 = colon + 1;
    if (base64_decode(b64, len - id_len - 1, k->key_, sizeof k->key_, &got) != 0 ||
        got != SECRETS_KEY_LEN) {
        snprintf(err, errlen,
                 "AAM_SECRET_KEYS: key %zu (id \"%s\") is not the base64 of 32 bytes "
                 "(generate one with: openssl rand -base64 32)",
                 pos, k->id);
        return -1;
    }
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

struct secrets_keyring *secrets_keyring_parse(const char *spec, char *err, size_t errlen)
{
    struct secrets_keyring *kr = NULL;
    size_t cap = 1;
    if (spec == NULL || spec[strspn(spec, " \t")] == '\0') {
        snprintf(err, errlen, "AAM_SECRET_KEYS holds no key (want id:base64(32 bytes), ...)");
        goto fail;
    }
    for (const char *p = spec; *p != '\0'; p++)
        cap += (*p == ',');
    kr = xcalloc(1, sizeof *kr + cap * sizeof kr->keys[0]);
    for (const char *p = spec;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (len > 0 && is_space(*s))
            s++, len--;
        while (len > 0 && is_space(s[len - 1]))
            len--;
        struct secrets_key *k = &kr->keys[kr->n];
        if (parse_entry(s, len, kr->n + 1, k, err, errlen) != 0)
            goto fail;
        for (size_t i = 0; i < kr->n; i++) {
            if (strcmp(kr->keys[i].id, k->id) == 0) {
                snprintf(err, errlen,
                         "AAM_SECRET_KEYS: key %zu has the same id as key %zu (\"%s\")", kr->n + 1,
                         i + 1, k->id);
                goto fail;
            }
        }
        kr->n++;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return kr;
fail:
    if (kr != NULL)
        kr->n = cap; /* wipe every slot, the one that failed half-decoded included */
    secrets_keyring_free(kr);
    return NULL;
}

void secrets_keyring_free(struct secrets_keyring *kr)
{
    if (kr == NULL)
        return;
    OPENSSL_cleanse(kr->keys, kr->n * sizeof kr->keys[0]);
    free(kr);
}

size_t secrets_keyring_count(const struct secrets_keyring *kr)
{
    return kr->n;
}

const char *secrets_keyring_id(const struct secrets_keyring *kr, size_t i)
{
    return i < kr->n ? kr->keys[i].id : NULL;
}

static const struct secrets_key *find_key(const struct secrets_keyring *kr, const char *id)
{
    for (size_t i = 0; i < kr->n; i++) {
        if (strcmp(kr->keys[i].id, id) == 0)
            return &kr->keys[i];
    }
    return NULL;
}

int secrets_keyring_has(const struct secrets_keyring *kr, const char *id)
{
    return id != NULL && find_key(kr, id) != NULL;
}

/* ------------------------------------------------------------------ associated data */

static void put_member(unsigned char *out, size_t *at, const char *s, size_t len)
{
    out[(*at)++] = (unsigned char)(len >> 24);
    out[(*at)++] = (unsigned char)(len >> 16);
    out[(*at)++] = (unsigned char)(len >> 8);
    out[(*at)++] = (unsigned char)len;
    memcpy(out + *at, s, len);
    *at += len;
}

/* The associated data: the format version, then kind, ns, owner and field, each as a 4-byte
 * big-endian length and its bytes. Returns a new buffer (caller frees) with *len, or NULL
 * when a member is NULL or too long. */
static unsigned char *aad_encode(const struct secrets_aad *aad, size_t *len)
{
    const char *m[] = {SECRETS_VERSION, aad->kind, aad->ns, aad->owner, aad->field};
    size_t lens[sizeof m / sizeof m[0]], total = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (m[i] == NULL || (lens[i] = strlen(m[i])) > AAD_MEMBER_MAX)
            return NULL;
        total += 4 + lens[i];
    }
    unsigned char *out = xmalloc(total);
    size_t at = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        put_member(out, &at, m[i], lens[i]);
    *len = at;
    return out;
}

/* ------------------------------------------------------------------ the cipher */

/* AES-256-GCM of in[0..len) with aad into out (len bytes) and tag. Returns 0 or -1. */
static int gcm_seal(const unsigned char *key_, const unsigned char *nonce, const unsigned char *aad,
                    size_t aad_len, const unsigned char *in, size_t len, unsigned char *out,
                    unsigned char *tag)
{
    int ret = -1, n = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key_, nonce) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
        goto cleanup;
    if (len > 0 && EVP_EncryptUpdate(ctx, out, &n, in, (int)len) != 1)
        goto cleanup;
    if (EVP_EncryptFinal_ex(ctx, out + (len > 0 ? n : 0), &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRETS_TAG_LEN, tag) != 1)
        goto cleanup;
    ret = 0;
cleanup:
    EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
    return ret;
}

/* The inverse of gcm_seal: 0 when the tag verifies (out holds the plaintext), else -1. */
static int gcm_open(const unsigned char *key_, const unsigned char *nonce, const unsigned char *aad,
                    size_t aad_len, const unsigned char *in, size_t len, const unsigned char *tag,
                    unsigned char *out)
{
    int ret = -1, n = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key_, nonce) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
        goto cleanup;
    if (len > 0 && EVP_DecryptUpdate(ctx, out, &n, in, (int)len) != 1)
        goto cleanup;
    /* The tag is only read, but OpenSSL's ctrl takes a void *. */
    unsigned char tag_copy[SECRETS_TAG_LEN];
    memcpy(tag_copy, tag, sizeof tag_copy);
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRETS_TAG_LEN, tag_copy) != 1 ||
        EVP_DecryptFinal_ex(ctx, out + (len > 0 ? n : 0), &n) != 1)
        goto cleanup;
    ret = 0;
cleanup:
    EVP_CIPHER_CTX_free(ctx);
    return ret;
}

char *secrets_encrypt(const struct secrets_keyring *kr, const struct secrets_aad *aad,
                      const char *secret_, size_t len)
{
    char *stored = NULL;
    unsigned char *blob = NULL, *ad = NULL;
    size_t ad_len = 0;
    if (len > SECRETS_VALUE_MAX || (secret_ == NULL && len > 0) ||
        (ad = aad_encode(aad, &ad_len)) == NULL)
        goto cleanup;
    const struct secrets_key *k = &kr->keys[0];
    blob = xmalloc(len + OVERHEAD); /* nonce | ciphertext | tag: nothing in it is secret */
    if (RAND_bytes(blob, SECRETS_NONCE_LEN) != 1 ||
        gcm_seal(k->key_, blob, ad, ad_len, (const unsigned char *)secret_, len,
                 blob + SECRETS_NONCE_LEN, blob + SECRETS_NONCE_LEN + len) != 0)
        goto cleanup;
    size_t id_len = strlen(k->id);
    stored = xmalloc(PREFIX_LEN + id_len + 1 + BASE64_ENCODED_LEN(len + OVERHEAD) + 1);
    memcpy(stored, PREFIX, PREFIX_LEN);
    memcpy(stored + PREFIX_LEN, k->id, id_len);
    stored[PREFIX_LEN + id_len] = ':';
    base64_encode(blob, len + OVERHEAD, stored + PREFIX_LEN + id_len + 1);
cleanup:
    free(blob);
    free(ad);
    return stored;
}

/* Splits a stored form into its key id (copied to id) and its base64 part (*b64, borrowed).
 * Returns 0 or -1. */
static int split_stored(const char *stored, char *id, size_t idlen, const char **b64)
{
    if (stored == NULL || strncmp(stored, PREFIX, PREFIX_LEN) != 0)
        return -1;
    const char *s = stored + PREFIX_LEN;
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : 0;
    if (colon == NULL || !id_valid(s, n) || n >= idlen)
        return -1;
    memcpy(id, s, n);
    id[n] = '\0';
    *b64 = colon + 1;
    return 0;
}

int secrets_stored_key_id(const char *stored, char *id, size_t idlen)
{
    const char *b64 = NULL;
    return split_stored(stored, id, idlen, &b64);
}

int secrets_decrypt(const struct secrets_keyring *kr, const struct secrets_aad *aad,
                    const char *stored, char **secret_out, size_t *len_out, char *err,
                    size_t errlen)
{
    int ret = -1;
    char id[SECRETS_KEY_ID_MAX + 1];
    const char *b64 = NULL;
    unsigned char *blob = NULL, *ad = NULL;
    char *secret_ = NULL;
    size_t blob_len = 0, ad_len = 0;
    *secret_out = NULL;
    *len_out = 0;
    size_t max_b64 = BASE64_ENCODED_LEN(SECRETS_VALUE_MAX + OVERHEAD);
    if (split_stored(stored, id, sizeof id, &b64) != 0 || strlen(b64) > max_b64) {
        snprintf(err, errlen, "the stored secret is not of the form v1:<key id>:<base64>");
        goto cleanup;
    }
    const struct secrets_key *k = find_key(kr, id);
    if (k == NULL) {
        snprintf(err, errlen, "no such key \"%s\" in AAM_SECRET_KEYS", id);
        goto cleanup;
    }
    blob = xmalloc(SECRETS_VALUE_MAX + OVERHEAD);
    if (base64_decode(b64, strlen(b64), blob, SECRETS_VALUE_MAX + OVERHEAD, &blob_len) != 0 ||
        blob_len < OVERHEAD) {
        snprintf(err, errlen, "the stored secret under key \"%s\" is not valid base64 of a value",
                 id);
        goto cleanup;
    }
    if ((ad = aad_encode(aad, &ad_len)) == NULL) {
        snprintf(err, errlen, "the secret's binding (tenant, owner, field) is incomplete");
        goto cleanup;
    }
    size_t len = blob_len - OVERHEAD;
    secret_ = xmalloc(len + 1);
    if (gcm_open(k->key_, blob, ad, ad_len, blob + SECRETS_NONCE_LEN, len,
                 blob + SECRETS_NONCE_LEN + len, (unsigned char *)secret_) != 0) {
        snprintf(err, errlen,
                 "the stored secret does not decrypt under key \"%s\" (it belongs to another "
                 "row or field, was altered, or this key is not the one it was written with)",
                 id);
        goto cleanup;
    }
    secret_[len] = '\0';
    *secret_out = secret_;
    *len_out = len;
    secret_ = NULL;
    ret = 0;
cleanup:
    if (secret_ != NULL) /* a failed open may have written unauthenticated plaintext */
        secrets_value_free(secret_, blob_len - OVERHEAD);
    free(blob);
    free(ad);
    return ret;
}

void secrets_value_free(char *secret_, size_t len)
{
    if (secret_ == NULL)
        return;
    OPENSSL_cleanse(secret_, len);
    free(secret_);
}
