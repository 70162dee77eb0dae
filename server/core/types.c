/* types: the built-in connector types (see types.h). The specs are written here as the JSON
 * the API serves, and compiled by schema_compile on first use; a spec that does not compile is
 * a bug in this file (tests/unit/server/core/test_types.c compiles each) and stops the process
 * with a message rather than serving a registry with a hole in it. */
#include "server/core/types.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_2020_12 "\"$schema\":\"https://json-schema.org/draft/2020-12/schema\""

struct types_def {
    const char *name, *title, *description, *spec;
};

static const struct types_def DEFS[] = {
    {"filesource", "Files (CSV)", "CSV files in a folder of the server's sources root.",
     "{" SCHEMA_2020_12 ",\"type\":\"object\",\"properties\":{"
     "\"path\":{\"type\":\"string\",\"title\":\"Folder\",\"description\":\"A folder inside the "
     "sources root (AAM_SOURCES_ROOT) granted to this tenant, such as mock_sources/\","
     "\"minLength\":1,\"maxLength\":4095},"
     "\"pattern\":{\"type\":\"string\",\"title\":\"File pattern\",\"description\":\"A file-name "
     "glob without '/', such as *.csv\",\"default\":\"*.csv\",\"minLength\":1,\"maxLength\":255,"
     "\"pattern\":\"^[^/]+$\"}},"
     "\"required\":[\"path\"],\"additionalProperties\":false}"},
    {"postgres", "PostgreSQL", "A PostgreSQL database, reached over the network.",
     "{" SCHEMA_2020_12 ",\"type\":\"object\",\"properties\":{"
     "\"host\":{\"type\":\"string\",\"title\":\"Host\",\"description\":\"Host name or IPv4 "
     "address of the server\",\"format\":\"hostname\",\"maxLength\":253},"
     "\"port\":{\"type\":\"integer\",\"title\":\"Port\",\"default\":5432,\"minimum\":1,"
     "\"maximum\":65535},"
     "\"database\":{\"type\":\"string\",\"title\":\"Database\",\"minLength\":1,\"maxLength\":63},"
     "\"user\":{\"type\":\"string\",\"title\":\"User\",\"minLength\":1,\"maxLength\":63},"
     "\"password\":{\"type\":\"string\",\"title\":\"Password\",\"description\":\"Stored "
     "encrypted; never shown again\",\"maxLength\":1024,\"writeOnly\":true},"
     "\"sslmode\":{\"type\":\"string\",\"title\":\"SSL mode\",\"description\":\"libpq sslmode\","
     "\"enum\":[\"disable\",\"allow\",\"prefer\",\"require\",\"verify-ca\",\"verify-full\"],"
     "\"default\":\"prefer\"}},"
     "\"required\":[\"host\",\"database\",\"user\"],\"additionalProperties\":false}"},
    {"s3", "Amazon S3", "Objects in an S3 bucket, or in an S3-compatible store.",
     "{" SCHEMA_2020_12 ",\"type\":\"object\",\"properties\":{"
     "\"bucket\":{\"type\":\"string\",\"title\":\"Bucket\",\"description\":\"3-63 characters: "
     "lower-case letters, digits, '.' and '-'\",\"pattern\":\"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$\"},"
     "\"region\":{\"type\":\"string\",\"title\":\"Region\",\"description\":\"such as "
     "eu-central-1\",\"pattern\":\"^[a-z0-9-]+$\",\"maxLength\":32},"
     "\"prefix\":{\"type\":\"string\",\"title\":\"Key prefix\",\"description\":\"Only objects "
     "whose key starts with this, such as exports/\",\"maxLength\":1024},"
     "\"endpoint\":{\"type\":\"string\",\"title\":\"Endpoint\",\"description\":\"The service URL "
     "of an S3-compatible store (MinIO, R2, ...); leave out for AWS\",\"format\":\"uri\","
     "\"pattern\":\"^https?://\",\"maxLength\":2048},"
     "\"access_key_id\":{\"type\":\"string\",\"title\":\"Access key ID\",\"maxLength\":128},"
     "\"secret_access_key\":{\"type\":\"string\",\"title\":\"Secret access key\","
     "\"description\":\"Stored encrypted; never shown again\",\"maxLength\":1024,"
     "\"writeOnly\":true}},"
     "\"required\":[\"bucket\",\"region\"],\"additionalProperties\":false}"},
    {"rest_api", "REST API", "An HTTP API, called with a token.",
     "{" SCHEMA_2020_12 ",\"type\":\"object\",\"properties\":{"
     "\"base_url\":{\"type\":\"string\",\"title\":\"Base URL\",\"description\":\"http:// or "
     "https:// URL the check calls with GET\",\"format\":\"uri\",\"pattern\":\"^https?://\","
     "\"maxLength\":2048},"
     "\"auth_header\":{\"type\":\"string\",\"title\":\"Auth header\",\"description\":\"The header "
     "that carries the token (Authorization sends Bearer <token>)\",\"default\":\"Authorization\","
     "\"pattern\":\"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$\",\"maxLength\":128},"
     "\"token\":{\"type\":\"string\",\"title\":\"Token\",\"description\":\"Stored encrypted; "
     "never shown again\",\"maxLength\":4096,\"writeOnly\":true}},"
     "\"required\":[\"base_url\"],\"additionalProperties\":false}"},
};

#define N_TYPES (sizeof DEFS / sizeof DEFS[0])

struct types_type {
    const struct types_def *def;
    struct schema *schema;
};

static struct types_type registry[N_TYPES];
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void on_registry_init(void)
{
    for (size_t i = 0; i < N_TYPES; i++) {
        char err[256];
        json_error_t jerr;
        json_t *spec = json_loads(DEFS[i].spec, JSON_REJECT_DUPLICATES, &jerr);
        registry[i].def = &DEFS[i];
        registry[i].schema = spec ? schema_compile(spec, err, sizeof err) : NULL;
        json_decref(spec);
        if (registry[i].schema == NULL) {
            fprintf(stderr, "aam: the built-in type %s has a broken spec: %s\n", DEFS[i].name,
                    spec ? err : jerr.text);
            abort();
        }
    }
}

static void ensure_registry(void)
{
    pthread_once(&registry_once, on_registry_init);
}

size_t types_count(void)
{
    return N_TYPES;
}

const struct types_type *types_at(size_t i)
{
    ensure_registry();
    return i < N_TYPES ? &registry[i] : NULL;
}

const struct types_type *types_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_TYPES; i++) {
        if (strcmp(DEFS[i].name, name) == 0)
            return types_at(i);
    }
    return NULL;
}

const char *types_name(const struct types_type *t)
{
    return t->def->name;
}

const char *types_title(const struct types_type *t)
{
    return t->def->title;
}

const struct schema *types_schema(const struct types_type *t)
{
    return t->schema;
}

json_t *types_json(const struct types_type *t)
{
    return json_pack("{s:s, s:s, s:s, s:O}", "type", t->def->name, "title", t->def->title,
                     "description", t->def->description, "spec", schema_spec(t->schema));
}

json_t *types_list_json(void)
{
    json_t *list = json_array();
    for (size_t i = 0; i < N_TYPES; i++)
        json_array_append_new(list, types_json(types_at(i)));
    return json_pack("{s:o}", "types", list);
}
