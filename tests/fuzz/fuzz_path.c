/* libFuzzer target: request-path normalisation and query decoding. Invariants checked on
 * every input: no crash, and an accepted path is canonical (starts with '/', has no "//",
 * no trailing '/', no "." or ".." segment) and is a fixed point of a second normalisation
 * when it has no '%' left to decode. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/path.h"
#include "tests/fuzz/fuzz_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = malloc(size + 2);
    if (out == NULL)
        return 0;
    if (path_normalize((const char *)data, size, out, size + 2) == 0) {
        ref_check_canonical(out);
        if (strchr(out, '%') == NULL) {
            char again[4096];
            size_t len = strlen(out);
            if (len + 2 <= sizeof again) {
                assert(path_normalize(out, len, again, sizeof again) == 0);
                assert(strcmp(out, again) == 0);
            }
        }
    }
    free(out);
    free(path_decode_component((const char *)data, size));
    return 0;
}
