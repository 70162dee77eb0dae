/* handlers/docs: serves docs/openapi.json, embedded into the binary at build time so the
 * document and the router ship together and cannot drift apart on disk. */
#include "server/handlers/docs.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* .incbin keeps the JSON out of C string literals; the Makefile makes this object depend on
 * the file. The trailing NUL makes it a C string. */
__asm__(".section .rodata\n"
        ".global docs_openapi_start\n"
        "docs_openapi_start:\n"
        ".incbin \"docs/openapi.json\"\n"
        ".byte 0\n"
        ".previous\n");

extern const char docs_openapi_start[];

void docs_openapi(const struct http_req *req, struct http_res *res)
{
    (void)req;
    size_t len = strlen(docs_openapi_start);
    char *copy = xstrdup(docs_openapi_start);
    http_res_raw_json(res, 200, copy, len);
}
