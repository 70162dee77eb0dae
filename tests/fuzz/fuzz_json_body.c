/* libFuzzer target: the JSON body parser every write route uses (http_req_json_object).
 * Invariant: it either returns an object or leaves an error (400/415/422) in the response,
 * never both, never a crash or leak. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/http_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size + 1);
    if (body == NULL)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';
    struct http_req req = {.method = "POST",
                           .path = "/x",
                           .content_type = "application/json",
                           .body = body,
                           .body_len = size};
    struct http_res res = HTTP_RES_INIT;
    json_t *doc = http_req_json_object(&req, &res);
    if (doc != NULL) {
        assert(json_is_object(doc) && res.err == APP_OK);
        json_decref(doc);
    } else {
        assert(res.err == APP_ERR_BAD_REQUEST || res.err == APP_ERR_VALIDATION);
    }
    http_res_free(&res);
    free(body);
    return 0;
}
