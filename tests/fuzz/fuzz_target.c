/* libFuzzer target: the request target as a client sends it, "/path?query#fragment", through
 * http_parse_target (path_normalize for the path, the query split and decoded with
 * path_decode_component). The input is the target (cut at a NUL: libmicrohttpd hands over a C
 * string). Invariants: no crash or leak; an accepted path is canonical (starts with '/', no
 * "//", no trailing '/', no "." or ".." segment, UTF-8); the query arguments are exactly what a small
 * reference decoder, written apart from the code under test, finds in the query text, in order;
 * a refused target leaves no arguments behind. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/http_model.h"
#include "tests/fuzz/fuzz_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ref_decode, NUL-terminated (out has room for n + 1 bytes); -1 also for text that is not
 * UTF-8. */
static long ref_decode_utf8(const char *s, size_t n, char *out)
{
    long o = ref_decode(s, n, out);
    if (o < 0)
        return -1;
    out[o] = '\0';
    return utf8_ok(out) ? o : -1;
}

/* http_parse_target also promises UTF-8, which path_normalize alone does not. */
static void check_canonical(const char *p)
{
    assert(utf8_ok(p));
    ref_check_canonical(p);
}

/* The query text of target (after the first '?' before any '#'), or NULL when there is none. */
static const char *query_text(const char *target, size_t *len)
{
    size_t plen = strcspn(target, "?#");
    if (target[plen] != '?')
        return NULL;
    *len = strcspn(target + plen + 1, "#");
    return target + plen + 1;
}

/* Walks the query text pair by pair and compares with what the parser returned: the same
 * pairs in the same order. Returns 0 when every escape was good, -1 at the first bad one. */
static int ref_compare(const char *q, size_t len, const struct http_kv *kv, size_t n, int ok,
                       char *scratch)
{
    size_t i = 0, at = 0;
    while (at < len) {
        const char *p = q + at;
        const char *amp = memchr(p, '&', len - at);
        if (amp == p) { /* an empty pair ("&&") */
            at++;
            continue;
        }
        size_t plen = amp ? (size_t)(amp - p) : len - at;
        at += plen + 1;
        const char *eq = memchr(p, '=', plen);
        size_t klen = eq ? (size_t)(eq - p) : plen;
        char *name = scratch, *value = scratch + klen + 1;
        if (ref_decode_utf8(p, klen, name) < 0)
            return -1;
        if (eq == NULL)
            value[0] = '\0';
        else if (ref_decode_utf8(eq + 1, plen - klen - 1, value) < 0)
            return -1;
        if (ok) {
            assert(i < n && strcmp(kv[i].name, name) == 0 && strcmp(kv[i].value, value) == 0);
            i++;
        }
    }
    assert(!ok || i == n);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *target = malloc(size + 1), *scratch = malloc(size + 2);
    memcpy(target, data, size);
    target[size] = '\0'; /* anything after an embedded NUL is not seen, as with MHD */
    char *path = NULL;
    struct http_kv *kv = NULL;
    size_t n = 0, qlen = 0;
    int rc = http_parse_target(target, &path, &kv, &n);
    const char *q = query_text(target, &qlen);
    if (rc == 0) {
        check_canonical(path);
        assert(q != NULL || (kv == NULL && n == 0));
        if (q != NULL)
            assert(ref_compare(q, qlen, kv, n, 1, scratch) == 0);
    } else {
        assert(kv == NULL && n == 0);
        /* a path is left only when it was good and the query was not */
        if (path != NULL) {
            check_canonical(path);
            assert(q != NULL && ref_compare(q, qlen, NULL, 0, 0, scratch) == -1);
        }
    }
    free(path);
    http_kv_free(kv, n);
    free(scratch);
    free(target);
    return 0;
}
