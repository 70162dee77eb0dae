/* types: the built-in connector type registry. Each type has a name (the connector's "type"),
 * a title and description for people, and a spec: the JSON Schema subset of schema.h for its
 * config, with secrets marked "writeOnly". Built in: filesource, postgres, s3, rest_api.
 *
 * Required fields, chosen as the least a connector can be checked with: filesource: path;
 * postgres: host, database, user (a server may need no password; port and sslmode have
 * defaults); s3: bucket, region (credentials may come from the host's role; endpoint only for
 * S3-compatible stores); rest_api: base_url. A secret is never required.
 *
 * The registry is compiled once, on first use (thread-safe), and lives for the process; every
 * pointer it hands out is borrowed and valid until exit. */
#ifndef AAM_TYPES_H
#define AAM_TYPES_H

#include <stddef.h>

#include <jansson.h>

#include "server/core/schema.h"

struct types_type; /* opaque */

/* The type called name, or NULL when there is none (name NULL included). */
const struct types_type *types_find(const char *name);

/* How many types there are, and type i (NULL past the end), in a fixed order. */
size_t types_count(void);
const struct types_type *types_at(size_t i);

/* A type's name ("postgres"), title ("PostgreSQL") and compiled spec. Borrowed. */
const char *types_name(const struct types_type *t);
const char *types_title(const struct types_type *t);
const struct schema *types_schema(const struct types_type *t);

/* {"type","title","description","spec"}: a new reference the caller json_decref's. */
json_t *types_json(const struct types_type *t);

/* {"types":[types_json(t)...]}: a new reference the caller json_decref's. */
json_t *types_list_json(void);

#endif
