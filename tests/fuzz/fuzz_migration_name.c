/* libFuzzer target: the migration file name parser (db_migration_parse_name) and the checksum
 * recorded for a file (db_sha256_hex). The input is a file name and, after the first NUL, the
 * file's contents. Invariants: a name is accepted exactly when it is NNNN_word.sql with 4 to
 * 9 digits and a non-empty word of [A-Za-z0-9_.-], and then the version is the digits' value;
 * the checksum is 64 lower-case hex digits, the same for the same bytes, different when a
 * byte changes. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ref_accepts(const char *name, long *version)
{
    size_t len = strlen(name), d = 0;
    long v = 0;
    while (d < len && name[d] >= '0' && name[d] <= '9') {
        if (d < 9)
            v = v * 10 + (name[d] - '0');
        d++;
    }
    if (d < 4 || d > 9 || name[d] != '_' || len < d + 1 + 1 + 4 || strcmp(name + len - 4, ".sql"))
        return 0;
    for (size_t i = d + 1; i < len - 4; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    *version = v;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t nlen = nul ? (size_t)(nul - data) : size;
    char *name = strndup((const char *)data, nlen);
    long version = -1, want = -1;
    int ok = db_migration_parse_name(name, &version) == 0;
    int ref_ok = ref_accepts(name, &want);
    assert(ok == ref_ok);
    assert(!ok || version == want);

    const uint8_t *body = nul ? nul + 1 : data + size;
    size_t blen = (size_t)(data + size - body);
    char a[65], b[65];
    db_sha256_hex(body, blen, a);
    assert(strlen(a) == 64 && strspn(a, "0123456789abcdef") == 64);
    db_sha256_hex(body, blen, b);
    assert(strcmp(a, b) == 0);
    if (blen > 0) {
        uint8_t *edited = malloc(blen);
        memcpy(edited, body, blen);
        edited[blen / 2] ^= 1;
        db_sha256_hex(edited, blen, b);
        assert(strcmp(a, b) != 0);
        free(edited);
    }
    free(name);
    return 0;
}
