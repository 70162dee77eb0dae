/* libFuzzer target: the connector config validator (server/core/schema.c) and spec compiler.
 * First byte < 0xC0: a config built straight from the fuzz bytes (keys from the built-in
 * types' property names or raw bytes; values of every JSON type) is checked against a built-in
 * type's compiled spec, and every field's verdict is recomputed here from the spec's JSON by an
 * independent reference (type, enum, code-point lengths, bounds, pattern, uri and hostname).
 * Otherwise: the rest is JSON text [spec, config] (or a spec alone) that is compiled and, when
 * it compiles, checked; "pattern" values are swapped for the built-in specs' own patterns,
 * which are the only ones the server ever compiles (glibc's regex engine is not ours to fuzz).
 * Invariants: no crash or leak; 0 returned exactly when no error was added; every field is
 * "config" or "config.<a property or a config member>"; messages are non-empty UTF-8 (ASCII
 * for the built-in specs, so no non-ASCII value can be echoed); defaults keep a valid config
 * valid; the public config holds every member but the secrets. */
#include <assert.h>
#include <jansson.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/schema.h"
#include "server/core/types.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static const char *const WORDS[] = {"path",
                                    "pattern",
                                    "host",
                                    "port",
                                    "database",
                                    "user",
                                    "password",
                                    "sslmode",
                                    "bucket",
                                    "region",
                                    "prefix",
                                    "endpoint",
                                    "access_key_id",
                                    "secret_access_key",
                                    "base_url",
                                    "auth_header",
                                    "token",
                                    "",
                                    "*.csv",
                                    "a/b",
                                    "disable",
                                    "prefer",
                                    "verify-full",
                                    "db.example.com",
                                    "-db",
                                    "a..b",
                                    "my-bucket",
                                    "eu-central-1",
                                    "https://api.example.com/v1",
                                    "http://x/%zz",
                                    "urn:a",
                                    "Authorization",
                                    "X-Api-Key",
                                    "x y",
                                    "\xc3\xa9",
                                    "5432"};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

static json_t *build_string(struct rd *r)
{
    int b = take(r);
    if (b < 0)
        return json_string("");
    if (b < 0xA0)
        return json_string(WORDS[b % N_WORDS]);
    size_t len = (size_t)(b - 0xA0) * 4 + (size_t)(take(r) & 3);
    if (len > r->n)
        len = r->n;
    json_t *s = json_stringn((const char *)r->p, len); /* NULL when not UTF-8 */
    r->p += len, r->n -= len;
    return s;
}

static json_t *build_value(struct rd *r)
{
    int b = take(r);
    switch (b < 0 ? 0 : b % 8) {
    case 0:
    case 1:
        return build_string(r);
    case 2: {
        json_int_t v = 0;
        for (int i = 0, n = take(r) & 7; i <= n; i++)
            v = (json_int_t)(((uint64_t)v << 8) | (uint8_t)take(r));
        return json_integer(v);
    }
    case 3:
        return json_integer(take(r) - 16);
    case 4:
        return json_boolean(take(r) & 1);
    case 5:
        return json_null();
    case 6:
        return json_real(5432.0);
    default:
        return (take(r) & 1) ? json_array() : json_object();
    }
}

static json_t *build_config(struct rd *r)
{
    json_t *o = json_object();
    int n = take(r);
    for (int i = 0; n > 0 && i < n % 12; i++) {
        json_t *key = build_string(r), *v = build_value(r);
        if (key != NULL && v != NULL)
            json_object_set(o, json_string_value(key), v); /* a key stops at its first NUL */
        json_decref(key);
        json_decref(v);
    }
    return o;
}

/* ------------------------------------------------------------------ the reference */

static size_t ref_code_points(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int ref_hostname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253)
        return 0;
    const char *label = s;
    for (;;) {
        const char *dot = strchr(label, '.');
        size_t n = dot ? (size_t)(dot - label) : strlen(label);
        if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-')
            return 0;
        for (size_t i = 0; i < n; i++) {
            char c = label[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-'))
                return 0;
        }
        if (dot == NULL)
            return 1;
        label = dot + 1;
    }
}

static int ref_uri(const char *s)
{
    static const char scheme_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";
    static const char uri_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789-._~:/?#[]@!$&'()*+,;=";
    size_t sl = strspn(s, scheme_chars);
    if (sl == 0 || s[sl] != ':' || !((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z'))
        return 0;
    for (const char *p = s + sl + 1; *p; p++) {
        if (*p == '%') {
            if (!p[1] || !p[2] || !strchr("0123456789abcdefABCDEF", p[1]) ||
                !strchr("0123456789abcdefABCDEF", p[2]))
                return 0;
            p += 2;
        } else if (!strchr(uri_chars, *p)) {
            return 0;
        }
    }
    return 1;
}

/* How many errors the property spec def must give value v (present). */
static size_t ref_errors(const json_t *def, const json_t *v)
{
    const char *type = json_string_value(json_object_get(def, "type"));
    int typed = !strcmp(type, "string")    ? json_is_string(v)
                : !strcmp(type, "integer") ? json_is_integer(v)
                                           : json_is_boolean(v);
    if (!typed)
        return 1;
    size_t bad = 0, i;
    const json_t *e, *en = json_object_get(def, "enum");
    if (en != NULL) {
        int found = 0;
        json_array_foreach(en, i, e)
            found |= json_equal(e, v);
        bad += !found;
    }
    if (json_is_integer(v)) {
        const json_t *min = json_object_get(def, "minimum"), *max = json_object_get(def, "maximum");
        bad += (min && json_integer_value(v) < json_integer_value(min)) ||
               (max && json_integer_value(v) > json_integer_value(max));
    }
    if (!json_is_string(v))
        return bad;
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return bad + 1; /* NUL: that error alone */
    size_t cp = ref_code_points(s, json_string_length(v));
    const json_t *minl = json_object_get(def, "minLength"),
                 *maxl = json_object_get(def, "maxLength");
    bad += minl && cp < (size_t)json_integer_value(minl);
    bad += maxl && cp > (size_t)json_integer_value(maxl);
    const char *pat = json_string_value(json_object_get(def, "pattern"));
    if (pat != NULL) {
        regex_t re;
        assert(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0);
        bad += regexec(&re, s, 0, NULL, 0) != 0;
        regfree(&re);
    }
    const char *fmt = json_string_value(json_object_get(def, "format"));
    if (fmt != NULL)
        bad += !strcmp(fmt, "uri") ? !ref_uri(s) : !ref_hostname(s);
    return bad;
}

static int in_required(const json_t *spec, const char *name)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(spec, "required"), i, v) {
        if (!strcmp(json_string_value(v), name))
            return 1;
    }
    return 0;
}

/* Errors fe holds for field "config.<name>". */
static size_t errors_for(const struct field_errors *fe, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < fe->n; i++)
        n += !strncmp(fe->items[i].field, "config.", 7) && !strcmp(fe->items[i].field + 7, name);
    return n;
}

static void check_against_reference(const struct schema *s, const json_t *config,
                                    const struct field_errors *fe)
{
    const json_t *spec = schema_spec(s);
    const json_t *props = json_object_get(spec, "properties");
    const char *key;
    json_t *v, *def;
    size_t total = 0;
    json_object_foreach((json_t *)(uintptr_t)props, key, def) {
        const json_t *got = json_object_get(config, key);
        size_t want = got ? ref_errors(def, got) : (size_t)in_required(spec, key);
        assert(errors_for(fe, key) == want);
        total += want;
    }
    json_object_foreach((json_t *)(uintptr_t)config, key, v) {
        if (json_object_get(props, key) == NULL) {
            assert(errors_for(fe, key) == 1); /* additionalProperties: false in every type */
            total++;
        }
    }
    assert(fe->n == total);
}

/* ------------------------------------------------------------------ invariants */

static void check_one(const struct schema *s, json_t *config, int builtin)
{
    struct field_errors fe = FIELD_ERRORS_INIT;
    int rc = schema_validate(s, config, &fe);
    assert((rc == 0) == (fe.n == 0));
    for (size_t i = 0; i < fe.n; i++) {
        const char *f = fe.items[i].field, *m = fe.items[i].message;
        assert(!strcmp(f, "config") || !strncmp(f, "config.", 7));
        if (f[6] == '.') {
            int known = json_object_get(config, f + 7) != NULL;
            for (size_t p = 0; !known && p < schema_count(s); p++)
                known = !strcmp(schema_property(s, p), f + 7);
            assert(known);
        }
        assert(m[0] != '\0' && utf8_valid(m, strlen(m)));
        for (const char *c = m; builtin && *c; c++)
            assert(*c >= 0x20 && *c < 0x7f);
    }
    if (builtin && json_is_object(config))
        check_against_reference(s, config, &fe);
    field_errors_free(&fe);
    if (!json_is_object(config))
        return;
    json_t *pub = schema_public_config(s, config);
    size_t secrets = 0;
    const char *key;
    json_t *v;
    json_object_foreach(config, key, v) {
        secrets += schema_is_secret(s, key);
        assert((json_object_get(pub, key) == NULL) == schema_is_secret(s, key));
    }
    assert(json_object_size(pub) + secrets == json_object_size(config));
    json_decref(pub);
    if (rc == 0) {
        assert(schema_apply_defaults(s, config) >= 0);
        assert(schema_validate(s, config, &fe) == 0 && fe.n == 0);
    }
}

/* Swaps every "pattern" keyword's value in a spec for one of the built-in patterns. */
static void tame_patterns(json_t *spec)
{
    static const char *const patterns[] = {"^[^/]+$", "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                                           "^[a-z0-9-]+$", "^https?://",
                                           "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"};
    const char *name;
    json_t *def;
    json_object_foreach(json_object_get(spec, "properties"), name, def) {
        json_t *p = json_object_get(def, "pattern");
        if (json_is_string(p))
            json_object_set_new(def, "pattern", json_string(patterns[json_string_length(p) % 5]));
    }
}

static void fuzz_spec(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (doc == NULL)
        return;
    json_t *spec = json_is_array(doc) ? json_array_get(doc, 0) : doc;
    json_t *config = json_is_array(doc) ? json_array_get(doc, 1) : NULL;
    if (json_is_object(spec))
        tame_patterns(spec);
    char err[256] = "";
    struct schema *s = spec ? schema_compile(spec, err, sizeof err) : NULL;
    assert(s != NULL || spec == NULL || err[0] != '\0');
    if (s != NULL && config != NULL)
        check_one(s, config, 0);
    schema_free(s);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] >= 0xC0) {
        fuzz_spec(data + 1, size - 1);
        return 0;
    }
    struct rd r = {data + 1, size - 1};
    const struct types_type *t = types_at(data[0] % types_count());
    json_t *config = build_config(&r);
    check_one(types_schema(t), config, 1);
    json_decref(config);
    return 0;
}
