/* connector_json: the request side of the connectors API. Field rules for a connector (id,
 * name, type, status, config and the per-type config rules), the parsing of create and patch
 * bodies, and the paging parameters shared by every list route. Every failure is added to a
 * struct field_errors, one per offending field; this module knows nothing of HTTP (the caller
 * turns the list into a 422). */
#ifndef AAM_CONNECTOR_JSON_H
#define AAM_CONNECTOR_JSON_H

#include <limits.h>

#include <jansson.h>

#include "db/connectors.h"
#include "util/field_errors.h"

#define CONNECTOR_ID_MAX 128         /* ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$ */
#define CONNECTOR_NAME_MAX_CHARS 200 /* UTF-8 characters, not bytes */
#define CONNECTOR_TYPE_MAX 64        /* ^[a-z][a-z0-9_]{0,63}$ */
#define CONNECTOR_DEFAULT_STATUS "PENDING"
/* One spelling: the patch statement (db/connectors.c) tests the stored type against it. */
#define CONNECTOR_TYPE_FILESOURCE DB_CONNECTOR_TYPE_FILESOURCE
/* The one config.path message for every refused folder (missing, not a folder, outside the
 * root, another tenant's), so a caller learns nothing about the filesystem from it. */
#define CONNECTOR_PATH_REFUSED                                                                     \
    "must name an existing folder inside the sources root (AAM_SOURCES_ROOT) that this tenant owns"
/* The "type" message for a type the registry does not hold (server/core/types.h). */
#define CONNECTOR_TYPE_UNKNOWN                                                                     \
    "is not a connector type (GET /api/v1/aam/connector-types lists them)"
/* A filesource config without "pattern" lists CSV files. */
#define CONNECTOR_DEFAULT_PATTERN "*.csv"

/* Paging for list routes: limit 1..500 (default 50), offset >= 0 (default 0). */
#define CONNECTOR_LIMIT_DEFAULT 50
#define CONNECTOR_LIMIT_MAX 500
/* A connector's config, as compact JSON: a list page of 500 connectors then stays near
 * 32 MiB at worst, where 1 MiB configs made it 500 MiB. */
#define CONNECTOR_CONFIG_MAX (64 * 1024)

/* Where a filesource config's path resolves, relative to AAM_SOURCES_ROOT ("" = the root). */
struct connector_folder {
    int set; /* 1 for a valid filesource config, else 0 (rel is "") */
    char rel[PATH_MAX];
};

int connector_json_id_valid(const char *id);
int connector_json_type_valid(const char *type);
int connector_json_status_valid(const char *status); /* ACTIVE, INACTIVE, PENDING, ERROR */
/* 1..200 UTF-8 characters and not only white space. */
int connector_json_name_valid(const char *name);

/* 1 when config (NULL counts as absent) is at most CONNECTOR_CONFIG_MAX bytes of compact
 * JSON; else 0 after adding a "config" field error (422). */
int connector_json_config_size_ok(const json_t *config, struct field_errors *fe);

/* Checks config (must be a JSON object, at most CONNECTOR_CONFIG_MAX) against the spec of type
 * in the registry (server/core/types.h), adding one field error per violation to fe: "type"
 * (CONNECTOR_TYPE_UNKNOWN) for a type the registry lacks (type NULL: not judged), "config" for
 * a config that is not an object, else "config.<property>" (schema_validate). A secret field
 * given as null is not judged (PATCH: null clears it). For "filesource", a path and pattern the
 * spec accepted must also resolve, symlinks followed, to a directory inside sources_root
 * (relative paths against the working directory), refused with CONNECTOR_PATH_REFUSED
 * otherwise; ownership is the database's to judge: folder (when non-NULL) receives where a
 * valid filesource path resolves, for the caller to pass to aam_folder_owned() in its
 * statement (migrations/0003_tenant_boundary.sql). Returns 0 when valid, else -1. */
int connector_json_check_config(const char *type, const json_t *config, const char *sources_root,
                                struct connector_folder *folder, struct field_errors *fe)
    __attribute__((warn_unused_result));

/* The "filesource" rules of connector_json_check_config alone, for a config already known to
 * be a JSON object within CONNECTOR_CONFIG_MAX (connector_json_parse_patch checked both): PATCH
 * learns the stored type only from the database, so it asks for this verdict up front without
 * measuring the config a second time. Same folder and fe contract; returns 0 or -1. */
int connector_json_check_filesource(const json_t *config, const char *sources_root,
                                    struct connector_folder *folder, struct field_errors *fe)
    __attribute__((warn_unused_result));

/* A validated create body. Strings and config are borrowed from the body they came from. */
struct connector_create {
    const char *id, *name, *type, *status; /* status defaults to CONNECTOR_DEFAULT_STATUS */
    const json_t *config;
    struct connector_folder folder; /* a filesource's folder, for the ownership check */
};

/* Validates a POST body: id, name, type and config required, status optional. Read-only
 * fields of the connector representation ("namespace", "created_at", "updated_at") are
 * ignored, so a fetched connector can be posted back; any other unknown field is an error.
 * The namespace always comes from the token, never from a body. Returns 0 or -1 (errors added to fe). */
int connector_json_parse_create(const json_t *body, const char *sources_root,
                                struct connector_create *out, struct field_errors *fe)
    __attribute__((warn_unused_result));

/* A validated PATCH body; NULL members were not given. Borrowed from the body. */
struct connector_patch {
    const char *name, *status;
    const json_t *config; /* replaces the stored config as a whole */
};

/* Validates a PATCH body: at least one of name, status, config; every other field (id, type
 * and namespace included: they cannot change) is an error. config must be an object of at most
 * CONNECTOR_CONFIG_MAX; the type-specific rules are checked against the stored type by the
 * caller (connector_json_check_config). Returns 0 or -1. */
int connector_json_parse_patch(const json_t *body, struct connector_patch *out,
                               struct field_errors *fe) __attribute__((warn_unused_result));

/* Reads raw (a query argument called name; NULL when absent) as an integer in [min, max], or
 * def when absent. A value that is empty, not a decimal integer or out of range adds a field
 * error and returns -1. */
int connector_json_query_long(const char *raw, const char *name, long def, long min, long max,
                              long *out, struct field_errors *fe)
    __attribute__((warn_unused_result));

/* The paging pair every list route takes: limit 1..CONNECTOR_LIMIT_MAX (default
 * limit_default) and offset >= 0 (default 0). Returns 0, or -1 after adding the errors. */
int connector_json_paging(const char *limit_raw, const char *offset_raw, long limit_default,
                          long *limit, long *offset, struct field_errors *fe)
    __attribute__((warn_unused_result));

#endif
