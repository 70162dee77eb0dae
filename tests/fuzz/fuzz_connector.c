/* libFuzzer target: connector validation (server/connector_json.c), create and patch bodies
 * and the field rules. The JSON object is built straight from the fuzz bytes (a key from a
 * dictionary or from the input, a value type, its bytes), not parsed by jansson: the time goes
 * to our validation, not to an uninstrumented library. filesource paths are resolved for real
 * inside a scratch sources root (a directory, a file, a symlink out of the root, one back in;
 * relative paths resolve against the working directory, outside the root).
 * Invariants: no crash or leak; a refused body carries at least one field error, each with a
 * field and a message; an accepted body's values are the body's own strings, whole (no
 * embedded NUL cut short), and each satisfies its rule, checked here independently. */
#include <assert.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/core/connector_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[PATH_MAX];
/* Absolute paths into the scratch root, for the dictionary (libFuzzer keeps the working
 * directory: it reads the corpus by relative paths). */
static char abs_paths[6][PATH_MAX + 16];

static void make_root(void)
{
    char tmpl[] = "/tmp/aam-fuzz-root.XXXXXX";
    static const char *const names[] = {"", "/sub", "/sub/dir", "/in", "/out", "/file.csv"};
    if (mkdtemp(tmpl) == NULL || realpath(tmpl, root) == NULL)
        abort();
    for (size_t i = 0; i < 6; i++)
        snprintf(abs_paths[i], sizeof abs_paths[i], "%s%s", root, names[i]);
    if (mkdir(abs_paths[1], 0700) != 0 || mkdir(abs_paths[2], 0700) != 0 ||
        symlink("sub", abs_paths[3]) != 0 || symlink("/", abs_paths[4]) != 0)
        abort();
    FILE *f = fopen(abs_paths[5], "w");
    if (f == NULL || fclose(f) != 0)
        abort();
}

/* The scratch sources root: a directory, a file, a symlink out of the root, one back in. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    make_root();
    return 0;
}

struct rd {
    const uint8_t *p;
    size_t n;
};

static int take(struct rd *r)
{
    if (r->n == 0)
        return -1;
    r->n--;
    return *r->p++;
}

static const char *const WORDS[] = {"id",         "name",       "type",
                                    "status",     "config",     "namespace",
                                    "created_at", "updated_at", "path",
                                    "pattern",    "filesource", "custom",
                                    "ACTIVE",     "INACTIVE",   "PENDING",
                                    "ERROR",      "sub",        "sub/dir",
                                    "in",         "out",        "file.csv",
                                    "..",         "../..",      "/",
                                    "/tmp",       "*.csv",      "a/b",
                                    "",           " ",          "x",
                                    "0",          "A-b.c_d",    "\xc3\xa9t\xc3\xa9"};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

/* A string: a dictionary word, or up to 255 raw bytes (possibly with NULs; NULL when they
 * are not UTF-8, as jansson's parser would refuse them too). */
static json_t *build_string(struct rd *r)
{
    int b = take(r);
    if (b < 0)
        return json_string("");
    if (b >= 0xB8 && b < 0xC0)
        return json_string(abs_paths[(b - 0xB8) % 6]);
    if (b < 0xB8)
        return json_string(WORDS[b % N_WORDS]);
    size_t len = (size_t)(b - 0xC0) * 8 + (size_t)(take(r) & 7);
    if (len > r->n)
        len = r->n;
    json_t *s = json_stringn((const char *)r->p, len);
    r->p += len, r->n -= len;
    return s;
}

static json_t *build_value(struct rd *r, int depth);

static json_t *build_object(struct rd *r, int depth)
{
    json_t *o = json_object();
    int n = take(r);
    for (int i = 0; n > 0 && i < n % 8; i++) {
        json_t *key = build_string(r);
        json_t *v = build_value(r, depth + 1);
        if (key != NULL && v != NULL)
            json_object_set(o, json_string_value(key), v); /* a key stops at its first NUL */
        json_decref(key);
        json_decref(v);
    }
    return o;
}

static json_t *build_value(struct rd *r, int depth)
{
    switch (take(r) % 8) {
    case 0:
    case 1:
        return build_string(r);
    case 2:
        return json_integer(take(r) - 128);
    case 3:
        return json_real(0.5);
    case 4:
        return json_boolean(take(r) & 1);
    case 5:
        return json_null();
    case 6:
        return depth < 3 ? build_object(r, depth) : json_null();
    default:
        return json_array();
    }
}

static int ref_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
            return 0;
    }
    return 1;
}

static int ref_type(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64 || s[0] < 'a' || s[0] > 'z')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int ref_status(const char *s)
{
    return !strcmp(s, "ACTIVE") || !strcmp(s, "INACTIVE") || !strcmp(s, "PENDING") ||
           !strcmp(s, "ERROR");
}

/* The body's member key is a string whose value is exactly got, not a prefix of it. */
static void assert_whole(const json_t *body, const char *key, const char *got)
{
    const json_t *v = json_object_get(body, key);
    assert(json_is_string(v) && json_string_value(v) == got);
    assert(strlen(got) == json_string_length(v));
}

static void assert_errors(const struct field_errors *fe)
{
    assert(fe->n >= 1);
    for (size_t i = 0; i < fe->n; i++)
        assert(fe->items[i].field != NULL && fe->items[i].message[0] != '\0'); /* "" is a key too */
}

/* An accepted filesource config: path a directory inside the root, pattern without '/'. */
static void assert_filesource(const json_t *config)
{
    const char *path = json_string_value(json_object_get(config, "path"));
    char real[PATH_MAX];
    struct stat st;
    assert(path != NULL && strlen(path) == json_string_length(json_object_get(config, "path")));
    assert(realpath(path, real) != NULL && stat(real, &st) == 0 && S_ISDIR(st.st_mode));
    size_t rn = strlen(root);
    assert(strncmp(real, root, rn) == 0 && (real[rn] == '\0' || real[rn] == '/'));
    const json_t *pattern = json_object_get(config, "pattern");
    assert(pattern == NULL || (json_is_string(pattern) && !strchr(json_string_value(pattern), '/')));
}

static void fuzz_create(const json_t *body)
{
    struct field_errors fe = FIELD_ERRORS_INIT;
    struct connector_create c;
    if (connector_json_parse_create(body, root, &c, &fe) == 0) {
        assert(fe.n == 0);
        assert_whole(body, "id", c.id);
        assert_whole(body, "name", c.name);
        assert_whole(body, "type", c.type);
        assert(ref_id(c.id) && ref_type(c.type) && ref_status(c.status));
        assert(connector_json_name_valid(c.name));
        if (json_object_get(body, "status") != NULL)
            assert_whole(body, "status", c.status);
        assert(json_is_object(c.config) && c.config == json_object_get(body, "config"));
        if (strcmp(c.type, CONNECTOR_TYPE_FILESOURCE) == 0)
            assert_filesource(c.config);
    } else {
        assert_errors(&fe);
    }
    field_errors_free(&fe);
    field_errors_free(&fe); /* safe twice */
}

static void fuzz_patch(const json_t *body)
{
    struct field_errors fe = FIELD_ERRORS_INIT;
    struct connector_patch p;
    if (connector_json_parse_patch(body, &p, &fe) == 0) {
        assert(fe.n == 0 && json_object_size(body) >= 1);
        assert(p.name || p.status || p.config);
        if (p.name)
            assert_whole(body, "name", p.name);
        if (p.status)
            assert_whole(body, "status", p.status), assert(ref_status(p.status));
        assert(p.config == NULL || json_is_object(p.config));
    } else {
        assert_errors(&fe);
    }
    field_errors_free(&fe);
}

/* The field rules on raw text, against the reference rules above. */
static void fuzz_fields(const uint8_t *data, size_t size)
{
    char *s = strndup((const char *)data, size);
    assert(connector_json_id_valid(s) == ref_id(s));
    assert(connector_json_type_valid(s) == ref_type(s));
    assert(connector_json_status_valid(s) == ref_status(s));
    (void)connector_json_name_valid(s);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct rd r = {data + 1, size - 1};
    json_t *body = NULL;
    switch (data[0] % 4) {
    case 0:
    case 1:
        body = build_object(&r, 0);
        fuzz_create(body);
        break;
    case 2:
        body = build_object(&r, 0);
        fuzz_patch(body);
        break;
    default:
        fuzz_fields(data + 1, size - 1);
    }
    json_decref(body);
    return 0;
}
