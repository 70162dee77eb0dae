/* schema: the JSON Schema (2020-12) subset a connector type's spec is written in, compiled once
 * and checked against configs. A spec is an object schema:
 *
 *   {"type":"object", "properties":{NAME:{...}, ...}, "required":[NAME...],
 *    "additionalProperties":false, "$schema", "title", "description"}
 *
 * and each property takes "type" ("string", "integer" or "boolean"; one, required), "title",
 * "description", "enum", "default", "minimum"/"maximum" (integers), "minLength"/"maxLength"
 * (strings, counted in Unicode code points as 2020-12 says), "pattern", "format" ("uri":
 * a URI with a scheme, RFC 3986 section 3; "hostname": RFC 1123 host name) and "writeOnly"
 * (true marks a secret: a string, never required, never with a default). Any other keyword is
 * refused when the spec is compiled, so a typo in a spec is an error rather than a rule that
 * silently never applies.
 *
 * Where we differ from the full standard, on purpose:
 *   - "pattern" is a POSIX extended regular expression (regcomp REG_EXTENDED), searched
 *     unanchored as ECMA-262 patterns are. Patterns come only from our own built-in specs, which
 *     keep to the syntax both dialects share (no \d, no lookaround, no lazy quantifiers).
 *   - "integer" accepts JSON integers only: 5432.0 is refused, not read as 5432.
 *   - a string value holding U+0000 is refused (configs reach C strings and libpq).
 * Messages never quote the value that was refused (it may be a secret); they quote the spec. */
#ifndef AAM_SCHEMA_H
#define AAM_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "util/field_errors.h"

/* More properties than this in one spec are refused (ours have at most eight). */
#define SCHEMA_MAX_PROPERTIES 64

struct schema; /* opaque, immutable once compiled: shareable by threads */

/* Compiles spec (borrowed; the schema keeps its own reference). Returns a new schema (free with
 * schema_free), or NULL with one line in err naming what is wrong ("properties.port.minimum:
 * must be an integer"). Every default must satisfy its own property's rules. */
struct schema *schema_compile(const json_t *spec, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Frees a compiled schema; NULL-safe. */
void schema_free(struct schema *s);

/* The spec it was compiled from (borrowed; lives as long as s). */
const json_t *schema_spec(const struct schema *s);

/* Checks config against s, adding one entry to fe per violation, in spec order then the
 * config's order for unknown members: field "config" when config is not an object, else
 * "config.<property>" ("is required", "must be an integer", "must be at most 65535", "is not a
 * setting of this type", ...). A property can fail several rules at once (too short and not
 * matching the pattern): one entry each; a value of the wrong type gets only the type's entry.
 * Returns 0 when config is valid (nothing added), else -1. */
int schema_validate(const struct schema *s, const json_t *config, struct field_errors *fe)
    __attribute__((warn_unused_result));

/* Sets each absent property that has a "default" to (a copy of) it. Returns the number of
 * members added, or -1 when config is not an object. */
int schema_apply_defaults(const struct schema *s, json_t *config);

/* Properties, in the order the spec lists them (jansson keeps insertion order). */
size_t schema_count(const struct schema *s);
/* The name of property i, or NULL past the end (borrowed from s). */
const char *schema_property(const struct schema *s, size_t i);
/* 1 when property i is a secret ("writeOnly": true), else 0 (also past the end). */
int schema_property_secret(const struct schema *s, size_t i);

/* 1 when s has a secret property called name, else 0. */
int schema_is_secret(const struct schema *s, const char *name);

/* The names of the secret properties, in spec order: a new array (caller json_decref's). */
json_t *schema_secret_names(const struct schema *s);

/* A new object holding config's members except the secret properties (values shared, not
 * copied): what a response may show. NULL when config is not an object. */
json_t *schema_public_config(const struct schema *s, const json_t *config);

#endif
