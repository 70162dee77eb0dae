/* webhooks: the rules of a tenant's webhook endpoints, apart from HTTP and SQL: which event
 * types exist, what a URL must be (http or https, no user or password, a host that resolves
 * only into AAM_OUTBOUND_NETS when saved), what a description may hold, and the fresh ids and
 * secrets. Field errors name the field and never quote the refused value. */
#ifndef AAM_WEBHOOKS_H
#define AAM_WEBHOOKS_H

#include <stddef.h>

#include <jansson.h>

struct cfg;
struct field_errors;

#define WEBHOOKS_MAX_PER_TENANT 20 /* endpoints one tenant may hold */
#define WEBHOOKS_URL_MAX 2048
#define WEBHOOKS_DESCRIPTION_MAX 500 /* characters */
#define WEBHOOKS_ID_LEN 27           /* "wh_" + 24 hex digits */
/* How long the save-time resolution may take: a request worker waits on it. */
#define WEBHOOKS_RESOLVE_TIMEOUT_MS 3000

/* The event types a webhook may subscribe to, NULL-terminated (static). */
extern const char *const webhooks_event_types[];

/* 1 when s is a webhook id of the form this module makes, else 0. */
int webhooks_id_valid(const char *s);

/* Writes a new webhook id into out (WEBHOOKS_ID_LEN + 1 bytes). Returns 0, or -1 when the
 * random generator fails. */
int webhooks_new_id(char *out, size_t size) __attribute__((warn_unused_result));

/* Checks url for field "url": http or https, a host, no user or password, at most
 * WEBHOOKS_URL_MAX bytes, and every address of its host inside cfg->outbound_nets (resolved
 * now, within WEBHOOKS_RESOLVE_TIMEOUT_MS). Adds one field error to fe when it fails. Returns 0
 * when acceptable, else -1. */
int webhooks_check_url(const struct cfg *cfg, const char *url, struct field_errors *fe);

/* Checks events (a JSON value) for field "events": a non-empty array of known types, none
 * twice. On 0, *out_json is the array as compact JSON text (the caller frees). Else -1 with a
 * field error. */
int webhooks_check_events(const json_t *events, char **out_json, struct field_errors *fe);

/* Checks a description (a JSON value) for field "description": a string of at most
 * WEBHOOKS_DESCRIPTION_MAX characters, display-safe (no control or bidi characters). Returns 0
 * with *out borrowed from the value, else -1 with a field error. */
int webhooks_check_description(const json_t *v, const char **out, struct field_errors *fe);

#endif
