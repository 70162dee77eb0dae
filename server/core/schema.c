/* schema: compiles a spec of the JSON Schema subset in schema.h into a flat array of property
 * rules (regexes compiled, enum message prebuilt), so checking a config is a hash lookup and a
 * few comparisons per property, with no allocation unless a rule fails. */
#include "server/core/schema.h"

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "util/xalloc.h"

enum schema_type { SCHEMA_STRING, SCHEMA_INTEGER, SCHEMA_BOOLEAN };
enum schema_format { SCHEMA_FORMAT_NONE, SCHEMA_FORMAT_URI, SCHEMA_FORMAT_HOSTNAME };

struct schema_prop {
    char *name;
    enum schema_type type;
    enum schema_format format;
    int required, secret;
    int has_minimum, has_maximum, has_max_length, has_pattern;
    json_int_t minimum, maximum;
    size_t min_length, max_length; /* code points */
    regex_t re;
    const json_t *enum_values; /* borrowed from the schema's spec; NULL: no enum */
    const json_t *def;         /* borrowed from the schema's spec; NULL: no default */
    char *enum_message;        /* "must be one of: a, b, c" */
    char *pattern_message;     /* "must match the pattern ^[a-z]+$" */
};

struct schema {
    json_t *spec; /* our own copy */
    int additional_ok;
    size_t n;
    struct schema_prop *props;
};

/* The longest enum list quoted in full in a message; longer ones end in "...". */
#define ENUM_MESSAGE_MAX 400
/* Host names: RFC 1123 2.1 / RFC 1035 2.3.4. */
#define HOSTNAME_MAX 253
#define LABEL_MAX 63

/* ------------------------------------------------------------------ value rules */

static int is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 URI (JSON Schema's "uri": a scheme is required), by its characters: scheme ":"
 * then only unreserved, reserved and %HH; no space, control, non-ASCII or other byte. */
static int uri_valid(const char *s, size_t len)
{
    static const char allowed[] = "-._~:/?#[]@!$&'()*+,;=";
    size_t i = 0;
    if (len == 0 || !is_alpha((unsigned char)s[0]))
        return 0;
    while (i < len && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
                       s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= len || s[i] != ':')
        return 0;
    for (i++; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= len || !is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2]))
                return 0;
            i += 2;
        } else if (!is_alpha(c) && !is_digit(c) && (c == '\0' || strchr(allowed, c) == NULL)) {
            return 0;
        }
    }
    return 1;
}

/* RFC 1123 2.1 host name: dot-separated labels of letters, digits and '-', 1-63 characters,
 * neither starting nor ending with '-'; 253 characters in all. */
static int hostname_valid(const char *s, size_t len)
{
    if (len == 0 || len > HOSTNAME_MAX)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)s[i] : '.';
        if (c == '.') {
            if (label == 0 || label > LABEL_MAX || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if (is_alpha(c) || is_digit(c) || (c == '-' && label > 0)) {
            label++;
        } else {
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------------ checking */

/* "config.<name>" in buf, or a new allocation for a long name (*heap, caller frees). */
static const char *field_name(const char *name, char *buf, size_t size, char **heap)
{
    size_t n = strlen(name);
    *heap = NULL;
    if (n + 8 <= size) {
        memcpy(buf, "config.", 7);
        memcpy(buf + 7, name, n + 1);
        return buf;
    }
    *heap = xmalloc(n + 8);
    memcpy(*heap, "config.", 7);
    memcpy(*heap + 7, name, n + 1);
    return *heap;
}

static void add(struct field_errors *fe, const struct schema_prop *p, const char *message)
{
    char buf[96], *heap = NULL;
    field_errors_add(fe, field_name(p->name, buf, sizeof buf, &heap), message);
    free(heap);
}

static int enum_ok(const struct schema_prop *p, const json_t *v)
{
    size_t i;
    const json_t *e;
    if (p->enum_values == NULL)
        return 1;
    json_array_foreach(p->enum_values, i, e) {
        if (json_equal(e, v))
            return 1;
    }
    return 0;
}

/* Adds the string rules' errors; returns how many. */
static int check_string(const struct schema_prop *p, const json_t *v, struct field_errors *fe)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    char msg[128];
    int bad = 0;
    if (memchr(s, '\0', len) != NULL) {
        add(fe, p, "must not contain a NUL character (\\u0000)");
        return 1; /* the other rules would read the string cut short */
    }
    size_t chars = utf8_count(s, len);
    if (chars < p->min_length) {
        snprintf(msg, sizeof msg, "must be at least %zu characters", p->min_length);
        add(fe, p, msg), bad++;
    }
    if (p->has_max_length && chars > p->max_length) {
        snprintf(msg, sizeof msg, "must be at most %zu characters", p->max_length);
        add(fe, p, msg), bad++;
    }
    if (p->has_pattern && regexec(&p->re, s, 0, NULL, 0) != 0)
        add(fe, p, p->pattern_message), bad++;
    if (p->format == SCHEMA_FORMAT_URI && !uri_valid(s, len))
        add(fe, p, "must be a URI (RFC 3986) such as https://host/path"), bad++;
    if (p->format == SCHEMA_FORMAT_HOSTNAME && !hostname_valid(s, len))
        add(fe, p, "must be a host name (RFC 1123) such as db.example.com"), bad++;
    return bad;
}

static int check_integer(const struct schema_prop *p, const json_t *v, struct field_errors *fe)
{
    json_int_t n = json_integer_value(v);
    char msg[96];
    if (p->has_minimum && n < p->minimum) {
        snprintf(msg, sizeof msg, "must be at least %" JSON_INTEGER_FORMAT, p->minimum);
        add(fe, p, msg);
        return 1;
    }
    if (p->has_maximum && n > p->maximum) {
        snprintf(msg, sizeof msg, "must be at most %" JSON_INTEGER_FORMAT, p->maximum);
        add(fe, p, msg);
        return 1;
    }
    return 0;
}

/* Every rule of p against v (present); returns the number of errors added. */
static int check_value(const struct schema_prop *p, const json_t *v, struct field_errors *fe)
{
    static const char *const type_message[] = {
        [SCHEMA_STRING] = "must be a string",
        [SCHEMA_INTEGER] = "must be an integer",
        [SCHEMA_BOOLEAN] = "must be true or false",
    };
    int typed = p->type == SCHEMA_STRING    ? json_is_string(v)
                : p->type == SCHEMA_INTEGER ? json_is_integer(v)
                                            : json_is_boolean(v);
    if (!typed) {
        add(fe, p, type_message[p->type]);
        return 1;
    }
    int bad = 0;
    if (!enum_ok(p, v))
        add(fe, p, p->enum_message), bad++;
    if (p->type == SCHEMA_STRING)
        bad += check_string(p, v, fe);
    else if (p->type == SCHEMA_INTEGER)
        bad += check_integer(p, v, fe);
    return bad;
}

static const struct schema_prop *find_prop(const struct schema *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->props[i].name, name) == 0)
            return &s->props[i];
    }
    return NULL;
}

int schema_validate(const struct schema *s, const json_t *config, struct field_errors *fe)
{
    int bad = 0;
    if (!json_is_object(config)) {
        field_errors_add(fe, "config", "must be a JSON object");
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct schema_prop *p = &s->props[i];
        const json_t *v = json_object_get(config, p->name);
        if (v == NULL && p->required)
            add(fe, p, "is required"), bad++;
        else if (v != NULL)
            bad += check_value(p, v, fe);
    }
    if (!s->additional_ok && json_object_size(config) > 0) {
        const char *key;
        json_t *v;
        /* jansson's iterator takes a non-const object; nothing here writes to it. */
        json_object_foreach((json_t *)(uintptr_t)config, key, v) {
            if (find_prop(s, key) == NULL) {
                char buf[96], *heap = NULL;
                field_errors_add(fe, field_name(key, buf, sizeof buf, &heap),
                                 "is not a setting of this type");
                free(heap);
                bad++;
            }
        }
    }
    return bad == 0 ? 0 : -1;
}

int schema_apply_defaults(const struct schema *s, json_t *config)
{
    int added = 0;
    if (!json_is_object(config))
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        const struct schema_prop *p = &s->props[i];
        if (p->def != NULL && json_object_get(config, p->name) == NULL) {
            json_object_set_new(config, p->name, json_deep_copy(p->def));
            added++;
        }
    }
    return added;
}

/* ------------------------------------------------------------------ accessors */

const json_t *schema_spec(const struct schema *s)
{
    return s->spec;
}

size_t schema_count(const struct schema *s)
{
    return s->n;
}

const char *schema_property(const struct schema *s, size_t i)
{
    return i < s->n ? s->props[i].name : NULL;
}

int schema_property_secret(const struct schema *s, size_t i)
{
    return i < s->n && s->props[i].secret;
}

int schema_is_secret(const struct schema *s, const char *name)
{
    const struct schema_prop *p = name ? find_prop(s, name) : NULL;
    return p != NULL && p->secret;
}

json_t *schema_secret_names(const struct schema *s)
{
    json_t *names = json_array();
    for (size_t i = 0; i < s->n; i++) {
        if (s->props[i].secret)
            json_array_append_new(names, json_string(s->props[i].name));
    }
    return names;
}

json_t *schema_public_config(const struct schema *s, const json_t *config)
{
    const char *key;
    json_t *v;
    if (!json_is_object(config))
        return NULL;
    json_t *out = json_object();
    json_object_foreach((json_t *)(uintptr_t)config, key, v) {
        if (!schema_is_secret(s, key))
            json_object_set(out, key, v);
    }
    return out;
}

/* ------------------------------------------------------------------ compiling */

struct compile {
    char *err;
    size_t errlen;
};

/* Writes "<where>: <what>" as the one error line; returns -1. */
static int refuse(struct compile *c, const char *where, const char *name, const char *what)
{
    snprintf(c->err, c->errlen, "%s%s%s: %s", where, name ? "." : "", name ? name : "", what);
    return -1;
}

static int key_in(const char *key, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(key, list[i]) == 0)
            return 1;
    }
    return 0;
}

/* A non-negative JSON integer into *out; -1 when it is not one. */
static int read_count(const json_t *v, size_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (size_t)json_integer_value(v);
    return 0;
}

static int compile_type(struct schema_prop *p, const json_t *def, struct compile *c)
{
    const char *t = json_string_value(json_object_get(def, "type"));
    if (t != NULL && strcmp(t, "string") == 0)
        p->type = SCHEMA_STRING;
    else if (t != NULL && strcmp(t, "integer") == 0)
        p->type = SCHEMA_INTEGER;
    else if (t != NULL && strcmp(t, "boolean") == 0)
        p->type = SCHEMA_BOOLEAN;
    else
        return refuse(c, "properties", p->name,
                      "type must be \"string\", \"integer\" or \"boolean\"");
    return 0;
}

/* minimum/maximum (integers) and minLength/maxLength (strings). */
static int compile_bounds(struct schema_prop *p, const json_t *def, struct compile *c)
{
    const json_t *min = json_object_get(def, "minimum"), *max = json_object_get(def, "maximum");
    const json_t *minl = json_object_get(def, "minLength"),
                 *maxl = json_object_get(def, "maxLength");
    if ((min || max) && p->type != SCHEMA_INTEGER)
        return refuse(c, "properties", p->name, "minimum/maximum apply to integers only");
    if ((minl || maxl) && p->type != SCHEMA_STRING)
        return refuse(c, "properties", p->name, "minLength/maxLength apply to strings only");
    if ((min && !json_is_integer(min)) || (max && !json_is_integer(max)))
        return refuse(c, "properties", p->name, "minimum and maximum must be integers");
    if ((minl && read_count(minl, &p->min_length) != 0) ||
        (maxl && read_count(maxl, &p->max_length) != 0))
        return refuse(c, "properties", p->name,
                      "minLength and maxLength must be non-negative integers");
    p->has_minimum = min != NULL;
    p->has_maximum = max != NULL;
    p->has_max_length = maxl != NULL;
    p->minimum = json_integer_value(min);
    p->maximum = json_integer_value(max);
    if ((min && max && p->minimum > p->maximum) || (minl && maxl && p->min_length > p->max_length))
        return refuse(c, "properties", p->name, "a lower bound exceeds its upper bound");
    return 0;
}

static int compile_enum(struct schema_prop *p, const json_t *def, struct compile *c)
{
    const json_t *e = json_object_get(def, "enum"), *v;
    size_t i;
    if (e == NULL)
        return 0;
    if (!json_is_array(e) || json_array_size(e) == 0)
        return refuse(c, "properties", p->name, "enum must be a non-empty array");
    char *msg = xmalloc(ENUM_MESSAGE_MAX + 8);
    size_t at = (size_t)snprintf(msg, ENUM_MESSAGE_MAX, "must be one of: ");
    json_array_foreach(e, i, v) {
        int typed = p->type == SCHEMA_STRING    ? json_is_string(v)
                    : p->type == SCHEMA_INTEGER ? json_is_integer(v)
                                                : json_is_boolean(v);
        if (!typed) {
            free(msg);
            return refuse(c, "properties", p->name,
                          "every enum value must be of the property's type");
        }
        char one[ENUM_MESSAGE_MAX];
        if (json_is_string(v))
            snprintf(one, sizeof one, "%s%s", i ? ", " : "", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(one, sizeof one, "%s%" JSON_INTEGER_FORMAT, i ? ", " : "",
                     json_integer_value(v));
        else
            snprintf(one, sizeof one, "%s%s", i ? ", " : "", json_is_true(v) ? "true" : "false");
        size_t n = strlen(one);
        if (at + n >= ENUM_MESSAGE_MAX) {
            memcpy(msg + at, ", ...", 6);
            at += 5;
            break;
        }
        memcpy(msg + at, one, n + 1);
        at += n;
    }
    /* A cut may fall inside a multi-byte value: keep the message valid UTF-8. */
    msg[utf8_cut(msg, at)] = '\0';
    p->enum_values = e;
    p->enum_message = msg;
    return 0;
}

static int compile_string_rules(struct schema_prop *p, const json_t *def, struct compile *c)
{
    const json_t *pat = json_object_get(def, "pattern"), *fmt = json_object_get(def, "format");
    if ((pat || fmt) && p->type != SCHEMA_STRING)
        return refuse(c, "properties", p->name, "pattern and format apply to strings only");
    if (fmt != NULL) {
        const char *f = json_string_value(fmt);
        if (f != NULL && strcmp(f, "uri") == 0)
            p->format = SCHEMA_FORMAT_URI;
        else if (f != NULL && strcmp(f, "hostname") == 0)
            p->format = SCHEMA_FORMAT_HOSTNAME;
        else
            return refuse(c, "properties", p->name, "format must be \"uri\" or \"hostname\"");
    }
    if (pat == NULL)
        return 0;
    const char *re = json_string_value(pat);
    if (re == NULL || memchr(re, '\0', json_string_length(pat)) != NULL ||
        regcomp(&p->re, re, REG_EXTENDED | REG_NOSUB) != 0)
        return refuse(c, "properties", p->name,
                      "pattern must be a POSIX extended regular expression");
    p->has_pattern = 1;
    size_t len = strlen(re) + sizeof "must match the pattern ";
    p->pattern_message = xmalloc(len);
    snprintf(p->pattern_message, len, "must match the pattern %s", re);
    return 0;
}

static int compile_flags(struct schema_prop *p, const json_t *def, struct compile *c)
{
    const json_t *wo = json_object_get(def, "writeOnly");
    const json_t *title = json_object_get(def, "title"),
                 *desc = json_object_get(def, "description");
    if ((title && !json_is_string(title)) || (desc && !json_is_string(desc)))
        return refuse(c, "properties", p->name, "title and description must be strings");
    if (wo != NULL && !json_is_boolean(wo))
        return refuse(c, "properties", p->name, "writeOnly must be true or false");
    p->secret = json_is_true(wo);
    if (p->secret && p->type != SCHEMA_STRING)
        return refuse(c, "properties", p->name, "a secret (writeOnly) must be a string");
    p->def = json_object_get(def, "default");
    if (p->secret && p->def != NULL)
        return refuse(c, "properties", p->name, "a secret (writeOnly) has no default");
    return 0;
}

static int compile_prop(struct schema_prop *p, const json_t *def, struct compile *c)
{
    static const char *const known[] = {"type",      "title",   "description", "enum",
                                        "default",   "minimum", "maximum",     "minLength",
                                        "maxLength", "pattern", "format",      "writeOnly",
                                        NULL};
    const char *key;
    json_t *v;
    if (!json_is_object(def))
        return refuse(c, "properties", p->name, "must be an object");
    json_object_foreach((json_t *)(uintptr_t)def, key, v) {
        if (!key_in(key, known)) {
            char what[128];
            snprintf(what, sizeof what, "unsupported keyword \"%.60s\"", key);
            return refuse(c, "properties", p->name, what);
        }
    }
    if (compile_type(p, def, c) != 0 || compile_bounds(p, def, c) != 0 ||
        compile_enum(p, def, c) != 0 || compile_string_rules(p, def, c) != 0 ||
        compile_flags(p, def, c) != 0)
        return -1;
    if (p->def != NULL) {
        struct field_errors fe = FIELD_ERRORS_INIT;
        int bad = check_value(p, p->def, &fe);
        field_errors_free(&fe);
        if (bad)
            return refuse(c, "properties", p->name, "default does not satisfy its own rules");
    }
    return 0;
}

static int compile_required(struct schema *s, const json_t *req, struct compile *c)
{
    size_t i;
    const json_t *v;
    if (req == NULL)
        return 0;
    if (!json_is_array(req))
        return refuse(c, "required", NULL, "must be an array of property names");
    json_array_foreach(req, i, v) {
        struct schema_prop *p = NULL;
        for (size_t j = 0; json_is_string(v) && j < s->n; j++) {
            if (strcmp(s->props[j].name, json_string_value(v)) == 0)
                p = &s->props[j];
        }
        if (p == NULL)
            return refuse(c, "required", NULL, "names a property the spec does not have");
        if (p->required)
            return refuse(c, "required", p->name, "is listed twice");
        if (p->secret)
            return refuse(c, "required", p->name, "a secret (writeOnly) is never required");
        p->required = 1;
    }
    return 0;
}

static int compile_root(struct schema *s, const json_t *spec, struct compile *c)
{
    static const char *const known[] = {"$schema", "$id",        "title",    "description",
                                        "type",    "properties", "required", "additionalProperties",
                                        NULL};
    const char *key;
    json_t *v;
    if (!json_is_object(spec))
        return refuse(c, "spec", NULL, "must be a JSON object");
    json_object_foreach((json_t *)(uintptr_t)spec, key, v) {
        if (!key_in(key, known)) {
            char what[128];
            snprintf(what, sizeof what, "unsupported keyword \"%.60s\"", key);
            return refuse(c, "spec", NULL, what);
        }
    }
    const char *type = json_string_value(json_object_get(spec, "type"));
    if (type == NULL || strcmp(type, "object") != 0)
        return refuse(c, "type", NULL, "must be \"object\"");
    const json_t *ap = json_object_get(spec, "additionalProperties");
    if (ap != NULL && !json_is_boolean(ap))
        return refuse(c, "additionalProperties", NULL, "must be true or false");
    s->additional_ok = ap == NULL || json_is_true(ap);
    const json_t *title = json_object_get(spec, "title"),
                 *desc = json_object_get(spec, "description");
    if ((title && !json_is_string(title)) || (desc && !json_is_string(desc)))
        return refuse(c, "spec", NULL, "title and description must be strings");
    const json_t *props = json_object_get(spec, "properties");
    if (!json_is_object(props))
        return refuse(c, "properties", NULL, "must be an object");
    if (json_object_size(props) > SCHEMA_MAX_PROPERTIES)
        return refuse(c, "properties", NULL, "too many properties");
    s->props = xcalloc(json_object_size(props) + 1, sizeof s->props[0]);
    json_object_foreach((json_t *)(uintptr_t)props, key, v) {
        struct schema_prop *p = &s->props[s->n++];
        p->name = xstrdup(key);
        if (compile_prop(p, v, c) != 0)
            return -1;
    }
    return compile_required(s, json_object_get(spec, "required"), c);
}

struct schema *schema_compile(const json_t *spec, char *err, size_t errlen)
{
    struct compile c = {err, errlen};
    struct schema *s = xcalloc(1, sizeof *s);
    s->spec = json_deep_copy(spec); /* the rules borrow enum and default values from it */
    if (s->spec == NULL || compile_root(s, s->spec, &c) != 0) {
        if (s->spec == NULL)
            refuse(&c, "spec", NULL, "must be a JSON object");
        schema_free(s);
        return NULL;
    }
    return s;
}

void schema_free(struct schema *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct schema_prop *p = &s->props[i];
        if (p->has_pattern)
            regfree(&p->re);
        free(p->name);
        free(p->enum_message);
        free(p->pattern_message);
    }
    free(s->props);
    json_decref(s->spec);
    free(s);
}
