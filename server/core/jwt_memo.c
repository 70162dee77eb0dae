/* jwt_memo: a small direct-mapped table per thread (see jwt_memo.h). The slot comes from the
 * token's signature, which is an HMAC output and so spreads evenly; the comparison is
 * CRYPTO_memcmp over the whole token, which takes the same time however many bytes match. The
 * table is allocated on a thread's first token and freed when the thread exits. */
#include "server/core/jwt_memo.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

#define MEMO_SLOTS 32 /* per thread: an I/O thread serves many clients, each with one token */

struct memo_slot {
    uint64_t secret_id;
    size_t len; /* 0: empty */
    struct jwt_identity id;
    struct jwt_times times;
    char tok[JWT_MEMO_MAX_TOKEN];
};

static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static _Thread_local struct memo_slot *memo; /* this thread's table, or NULL */

static void make_key(void)
{
    /* free() runs at thread exit with the thread's table. Without a key there is no memo:
     * tokens are then verified every time, which is correct, only slower. */
    if (pthread_key_create(&memo_key, free) != 0)
        memo_key = (pthread_key_t)-1;
}

static struct memo_slot *thread_table(void)
{
    if (memo == NULL) {
        pthread_once(&memo_once, make_key);
        if (memo_key == (pthread_key_t)-1)
            return NULL;
        struct memo_slot *t = xcalloc(MEMO_SLOTS, sizeof *t);
        if (pthread_setspecific(memo_key, t) != 0) {
            free(t);
            return NULL;
        }
        memo = t;
    }
    return memo;
}

/* The hash of the last 16 bytes (the end of the signature). */
static size_t slot_of(const char *tok, size_t len)
{
    size_t from = len > 16 ? len - 16 : 0;
    return (size_t)(hash_fnv1a(HASH_FNV1A_INIT, tok + from, len - from) % MEMO_SLOTS);
}

uint64_t jwt_memo_secret_id(const char *secret, size_t secret_len)
{
    return hash_fnv1a(HASH_FNV1A_INIT ^ secret_len, secret, secret_len);
}

int jwt_memo_get(const char *tok, size_t len, uint64_t secret_id, struct jwt_identity *id,
                 struct jwt_times *times)
{
    if (len == 0 || len > JWT_MEMO_MAX_TOKEN || memo == NULL)
        return 0;
    const struct memo_slot *s = &memo[slot_of(tok, len)];
    if (s->len != len || s->secret_id != secret_id || CRYPTO_memcmp(s->tok, tok, len) != 0)
        return 0;
    *id = s->id;
    *times = s->times;
    return 1;
}

void jwt_memo_put(const char *tok, size_t len, uint64_t secret_id, const struct jwt_identity *id,
                  const struct jwt_times *times)
{
    struct memo_slot *t = len > 0 && len <= JWT_MEMO_MAX_TOKEN ? thread_table() : NULL;
    if (t == NULL)
        return;
    struct memo_slot *s = &t[slot_of(tok, len)];
    s->secret_id = secret_id;
    s->len = len;
    s->id = *id;
    s->times = *times;
    memcpy(s->tok, tok, len);
}
