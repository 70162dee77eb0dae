/* secrets: the keyring from AAM_SECRET_KEYS and the cipher that keeps connector (and webhook)
 * secrets at rest. AES-256-GCM (OpenSSL EVP), a fresh 96-bit nonce from RAND_bytes for every
 * value, and the value's identity (what kind of thing owns it, tenant namespace, owner id, field
 * name) as associated data, so a ciphertext copied to another row, field or tenant does not
 * decrypt. The stored form is one text value:
 *
 *     v1:<key id>:<base64(nonce[12] | ciphertext | tag[16])>
 *
 * (the key id is readable without a key, for `aam keys status` and rotation, e.g. with
 * split_part(value, ':', 2) in SQL). Key material and decrypted values live only in buffers
 * this module allocates and wipes (OPENSSL_cleanse) before freeing; no message this module
 * writes ever holds either: errors name key ids, positions and reasons only. */
#ifndef AAM_SECRETS_H
#define AAM_SECRETS_H

#include <stddef.h>

#define SECRETS_KEY_LEN 32    /* AES-256 */
#define SECRETS_KEY_ID_MAX 32 /* [A-Za-z0-9_-]{1,32} */
#define SECRETS_NONCE_LEN 12  /* 96 bits, GCM's native IV size (NIST SP 800-38D 8.2.2) */
#define SECRETS_TAG_LEN 16
/* The longest plaintext encrypted: a connector config is at most 64 KiB of JSON. */
#define SECRETS_VALUE_MAX (64 * 1024)
#define SECRETS_VERSION "v1"

/* What owns a value: the owner-kind part of the associated data, so a connector and a
 * webhook with the same id never share a binding. */
#define SECRETS_KIND_CONNECTOR "connector"
#define SECRETS_KIND_WEBHOOK "webhook"

/* Where a value belongs. Every member is required (non-NULL, may be ""); they are borrowed for
 * the call only. Encoded as associated data with a length before each member, so no two
 * different tuples give the same bytes ("a","bc" vs "ab","c"). */
struct secrets_aad {
    const char *kind;  /* SECRETS_KIND_CONNECTOR, ... */
    const char *ns;    /* the tenant namespace */
    const char *owner; /* the connector id (webhook id) */
    const char *field; /* the config property ("password") */
};

struct secrets_keyring; /* opaque: the parsed keys, immutable once built, shareable by threads */

/* Parses AAM_SECRET_KEYS: comma-separated "id:base64(32 bytes)" entries (spaces around an
 * entry are ignored), ids [A-Za-z0-9_-]{1,32} and distinct, at least one entry. The first key
 * encrypts; every key decrypts. Returns a new keyring (free with secrets_keyring_free), or NULL
 * with one line in err ("AAM_SECRET_KEYS: key 2 ...") that names positions, never a value. */
struct secrets_keyring *secrets_keyring_parse(const char *spec, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Wipes every key (OPENSSL_cleanse) and frees the keyring; NULL-safe. */
void secrets_keyring_free(struct secrets_keyring *kr);

/* Keys held (>= 1). */
size_t secrets_keyring_count(const struct secrets_keyring *kr);

/* The id of key i (0 = the encrypting key), or NULL past the end. Borrowed from kr. */
const char *secrets_keyring_id(const struct secrets_keyring *kr, size_t i);

/* 1 when kr holds a key with this id, else 0. */
int secrets_keyring_has(const struct secrets_keyring *kr, const char *id);

/* Encrypts secret_[0..len) (len <= SECRETS_VALUE_MAX) under kr's first key, bound to *aad.
 * Returns the stored form (caller frees; it is not secret), or NULL when len is too large, an
 * aad member is NULL, or OpenSSL fails (RAND_bytes included). */
char *secrets_encrypt(const struct secrets_keyring *kr, const struct secrets_aad *aad,
                      const char *secret_, size_t len) __attribute__((warn_unused_result));

/* Decrypts a stored form bound to *aad. Returns 0 with *secret_out (allocated for it,
 * NUL-terminated, free with secrets_value_free(*secret_out, *len_out)) and *len_out; or -1 with
 * *secret_out NULL and one line in err: the form is not v1:<id>:<base64>, "no such key" naming
 * the key id when kr lacks it, or naming the key id when the value does not open under it (a
 * moved or tampered value, or another key under the same id). */
int secrets_decrypt(const struct secrets_keyring *kr, const struct secrets_aad *aad,
                    const char *stored, char **secret_out, size_t *len_out, char *err,
                    size_t errlen) __attribute__((warn_unused_result));

/* Copies the key id of a stored form into id[SECRETS_KEY_ID_MAX + 1] without decrypting.
 * Returns 0, or -1 when stored is not of the v1 form. */
int secrets_stored_key_id(const char *stored, char *id, size_t idlen)
    __attribute__((warn_unused_result));

/* Wipes secret_[0..len) and frees it; NULL-safe. For values from secrets_decrypt and any other
 * buffer allocated to hold a secret. */
void secrets_value_free(char *secret_, size_t len);

#endif
