/* connector_json: field rules and body parsing for the connectors API. Rules are written out
 * as small character-class loops rather than regexes: they are short, allocation-free and
 * exactly the documented patterns. */
#include "server/core/connector_json.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/core/sources.h"
#include "server/core/types.h"
#include "util/utf8.h"

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int connector_json_id_valid(const char *id)
{
    if (id == NULL || !is_alnum(id[0]))
        return 0;
    size_t n = 1;
    for (; id[n] != '\0'; n++) {
        char c = id[n];
        if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
            return 0;
    }
    return n <= CONNECTOR_ID_MAX;
}

int connector_json_type_valid(const char *type)
{
    if (type == NULL || type[0] < 'a' || type[0] > 'z')
        return 0;
    size_t n = 1;
    for (; type[n] != '\0'; n++) {
        char c = type[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return n <= CONNECTOR_TYPE_MAX;
}

int connector_json_status_valid(const char *status)
{
    static const char *const all[] = {"ACTIVE", "INACTIVE", "PENDING", "ERROR"};
    for (size_t i = 0; status != NULL && i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(status, all[i]) == 0)
            return 1;
    }
    return 0;
}

/* jansson only hands out valid UTF-8, so counting the bytes that do not continue a
 * sequence counts characters (code points). People read the name (the UI, the commands): no
 * control or bidirectional formatting character (utf8_is_display_safe). */
int connector_json_name_valid(const char *name)
{
    if (name == NULL)
        return 0;
    size_t chars = utf8_count(name, strlen(name));
    int blank = name[strspn(name, " \t\n\r")] == '\0';
    return chars >= 1 && chars <= CONNECTOR_NAME_MAX_CHARS && !blank &&
           utf8_is_display_safe(name, strlen(name));
}

/* ------------------------------------------------------------------ config */

/* Adds config.path's error when path is not a directory inside root; returns 0 when it is,
 * with folder (when non-NULL) set to it relative to the root. Every refusal gets the same
 * text: what the caller may learn is only "usable or not". */
static int path_check(const char *path, const char *root, struct connector_folder *folder,
                      struct field_errors *fe)
{
    char real[PATH_MAX];
    int fd = -1;
    enum sources_status st = sources_open_folder(root, path, &fd, real, sizeof real);
    const char *rel = st == SOURCES_OK ? sources_relative(root, real) : NULL;
    if (fd >= 0)
        close(fd);
    if (rel == NULL || strlen(rel) >= sizeof folder->rel) {
        field_errors_add(fe, "config.path", CONNECTOR_PATH_REFUSED);
        return -1;
    }
    if (folder != NULL) {
        folder->set = 1;
        memcpy(folder->rel, rel, strlen(rel) + 1);
    }
    return 0;
}

/* JSON may carry "\u0000"; C strings, libpq parameters and PostgreSQL text cannot. A value
 * with a NUL would be checked and stored cut short at it (found by fuzz_connector:
 * {"status":"ACTIVE\u0000x"} passed as ACTIVE), so it is refused. */
#define NUL_MESSAGE "must not contain a NUL character (\\u0000)"
static int has_nul(const json_t *s)
{
    return json_is_string(s) && memchr(json_string_value(s), '\0', json_string_length(s)) != NULL;
}

static int check_filesource(const json_t *config, const char *root, struct connector_folder *folder,
                            struct field_errors *fe)
{
    int ok = 1;
    const json_t *path = json_object_get(config, "path");
    const json_t *pattern = json_object_get(config, "pattern");
    if (!json_is_string(path) || json_string_length(path) == 0) {
        field_errors_add(fe, "config.path",
                         "required: a directory (string) inside the sources root");
        ok = 0;
    } else if (has_nul(path)) {
        field_errors_add(fe, "config.path", NUL_MESSAGE);
        ok = 0;
    } else if (json_string_length(path) >= PATH_MAX) {
        field_errors_add(fe, "config.path", "is too long");
        ok = 0;
    } else if (path_check(json_string_value(path), root, folder, fe) != 0) {
        ok = 0;
    }
    if (pattern != NULL &&
        (has_nul(pattern) || !sources_pattern_valid(json_string_value(pattern)))) {
        field_errors_add(fe, "config.pattern",
                         "must be a file-name glob such as \"*.csv\" (1-255 bytes, no '/')");
        ok = 0;
    }
    if (!ok && folder != NULL)
        folder->set = 0;
    return ok ? 0 : -1;
}

int connector_json_config_size_ok(const json_t *config, struct field_errors *fe)
{
    /* Compact JSON text is within a few bytes of what jsonb stores and sends back. */
    if (config == NULL || json_dumpb(config, NULL, 0, JSON_COMPACT) <= CONNECTOR_CONFIG_MAX)
        return 1;
    field_errors_add(fe, "config", "must be at most 65536 bytes of JSON");
    return 0;
}

int connector_json_check_filesource(const json_t *config, const char *sources_root,
                                    struct connector_folder *folder, struct field_errors *fe)
{
    if (folder != NULL) {
        folder->set = 0;
        folder->rel[0] = '\0';
    }
    return check_filesource(config, sources_root, folder, fe);
}

/* A copy of config without the secret members given as null (null clears a stored secret: it
 * is not a value the spec judges). A new reference. */
static json_t *without_null_secrets(const struct schema *sc, const json_t *config)
{
    json_t *copy = json_copy((json_t *)(uintptr_t)config);
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(copy, tmp, key, value) {
        if (json_is_null(value) && schema_is_secret(sc, key))
            json_object_del(copy, key);
    }
    return copy;
}

/* 1 when fe[from..] names field. */
static int has_field_error(const struct field_errors *fe, size_t from, const char *field)
{
    for (size_t i = from; i < fe->n; i++) {
        if (strcmp(fe->items[i].field, field) == 0)
            return 1;
    }
    return 0;
}

int connector_json_check_config(const char *type, const json_t *config, const char *sources_root,
                                struct connector_folder *folder, struct field_errors *fe)
{
    size_t before = fe->n;
    if (folder != NULL) {
        folder->set = 0;
        folder->rel[0] = '\0';
    }
    const struct types_type *t = types_find(type);
    if (type != NULL && t == NULL)
        field_errors_add(fe, "type", CONNECTOR_TYPE_UNKNOWN);
    if (!json_is_object(config)) {
        field_errors_add(fe, "config", "required: a JSON object");
        return -1;
    }
    if (!connector_json_config_size_ok(config, fe) || t == NULL)
        return -1;
    json_t *judged = without_null_secrets(types_schema(t), config);
    int bad = schema_validate(types_schema(t), judged, fe) != 0; /* the errors are in fe */
    json_decref(judged);
    /* The folder rules only for a path and pattern the spec accepted: one entry per field. */
    if (strcmp(type, CONNECTOR_TYPE_FILESOURCE) == 0 &&
        !(bad && has_field_error(fe, before, "config.path")) &&
        !has_field_error(fe, before, "config.pattern"))
        (void)check_filesource(config, sources_root, folder, fe);
    if (fe->n != before && folder != NULL)
        folder->set = 0;
    return fe->n == before ? 0 : -1;
}

/* ------------------------------------------------------------------ bodies */

/* Returns the string member key, NULL when absent; a non-string adds an error. */
static const char *get_string(const json_t *body, const char *key, int required,
                              struct field_errors *fe)
{
    const json_t *v = json_object_get(body, key);
    char msg[96];
    if (v == NULL && !required)
        return NULL;
    if (!json_is_string(v)) {
        snprintf(msg, sizeof msg, "%s: a string", v == NULL ? "required" : "must be");
        field_errors_add(fe, key, msg);
        return NULL;
    }
    if (has_nul(v)) {
        field_errors_add(fe, key, NUL_MESSAGE);
        return NULL;
    }
    return json_string_value(v);
}

static int field_known(const char *key, const char *const *known)
{
    for (size_t i = 0; known[i] != NULL; i++) {
        if (strcmp(key, known[i]) == 0)
            return 1;
    }
    return 0;
}

/* Adds an error for every member of body not listed in allowed nor in ignored. */
static void reject_unknown(const json_t *body, const char *const *allowed,
                           const char *const *ignored, const char *why, struct field_errors *fe)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)(uintptr_t)body, key, value) {
        (void)value;
        if (!field_known(key, allowed) && !(ignored && field_known(key, ignored)))
            field_errors_add(fe, key, why);
    }
}

static void check_common(const char *name, const char *status, struct field_errors *fe)
{
    if (name != NULL && !connector_json_name_valid(name))
        field_errors_add(fe, "name",
                         "must be 1-200 characters, not only spaces, and hold no control or "
                         "bidirectional formatting characters");
    if (status != NULL && !connector_json_status_valid(status))
        field_errors_add(fe, "status", "must be one of ACTIVE, INACTIVE, PENDING, ERROR");
}

int connector_json_parse_create(const json_t *body, const char *sources_root,
                                struct connector_create *out, struct field_errors *fe)
{
    static const char *const allowed[] = {"id", "name", "type", "status", "config", NULL};
    static const char *const read_only[] = {"namespace", "created_at", "updated_at", NULL};
    size_t before = fe->n;
    memset(out, 0, sizeof *out);
    reject_unknown(body, allowed, read_only, "unknown field", fe);
    out->id = get_string(body, "id", 1, fe);
    out->name = get_string(body, "name", 1, fe);
    out->type = get_string(body, "type", 1, fe);
    out->status = get_string(body, "status", 0, fe);
    if (out->id != NULL && !connector_json_id_valid(out->id))
        field_errors_add(fe, "id", "must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$");
    if (out->type != NULL && !connector_json_type_valid(out->type))
        field_errors_add(fe, "type", "must match ^[a-z][a-z0-9_]{0,63}$");
    check_common(out->name, out->status, fe);
    if (out->status == NULL)
        out->status = CONNECTOR_DEFAULT_STATUS;
    out->config = json_object_get(body, "config");
    int type_ok = out->type != NULL && connector_json_type_valid(out->type);
    if (!type_ok) {
        /* the type's own error is given: only the config's shape is judged */
        if (!json_is_object(out->config))
            field_errors_add(fe, "config", "required: a JSON object");
        out->config = NULL;
    } else if (connector_json_check_config(out->type, out->config, sources_root, &out->folder,
                                           fe) != 0) {
        out->config = NULL;
    }
    return fe->n == before ? 0 : -1;
}

int connector_json_parse_patch(const json_t *body, struct connector_patch *out,
                               struct field_errors *fe)
{
    static const char *const allowed[] = {"name", "status", "config", NULL};
    size_t before = fe->n;
    memset(out, 0, sizeof *out);
    reject_unknown(body, allowed, NULL, "cannot be changed (PATCH takes name, status, config)", fe);
    out->name = get_string(body, "name", 0, fe);
    out->status = get_string(body, "status", 0, fe);
    check_common(out->name, out->status, fe);
    out->config = json_object_get(body, "config");
    if (out->config != NULL && !json_is_object(out->config))
        field_errors_add(fe, "config", "must be a JSON object");
    else if (!connector_json_config_size_ok(out->config, fe))
        out->config = NULL;
    if (json_object_size(body) == 0)
        field_errors_add(fe, "body", "nothing to change: give name, status or config");
    return fe->n == before ? 0 : -1;
}

int connector_json_query_long(const char *raw, const char *name, long def, long min, long max,
                              long *out, struct field_errors *fe)
{
    char msg[96];
    *out = def;
    if (raw == NULL)
        return 0;
    char *end = NULL;
    errno = 0;
    long v = strtol(raw, &end, 10);
    int digits_only = raw[0] != '\0' && strspn(raw, "0123456789") == strlen(raw);
    if (!digits_only || errno != 0 || *end != '\0' || v < min || v > max) {
        if (max == LONG_MAX)
            snprintf(msg, sizeof msg, "must be an integer >= %ld", min);
        else
            snprintf(msg, sizeof msg, "must be an integer from %ld to %ld", min, max);
        field_errors_add(fe, name, msg);
        return -1;
    }
    *out = v;
    return 0;
}

int connector_json_paging(const char *limit_raw, const char *offset_raw, long limit_default,
                          long *limit, long *offset, struct field_errors *fe)
{
    int bad = connector_json_query_long(limit_raw, "limit", limit_default, 1, CONNECTOR_LIMIT_MAX,
                                        limit, fe) != 0;
    bad |= connector_json_query_long(offset_raw, "offset", 0, 0, LONG_MAX, offset, fe) != 0;
    return bad ? -1 : 0;
}
