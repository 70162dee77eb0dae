/* webhooks: the endpoint rules (see webhooks.h). */
#include "server/core/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "server/core/config.h"
#include "server/core/outbound.h"
#include "util/field_errors.h"
#include "util/utf8.h"

const char *const webhooks_event_types[] = {
    "connector.created",        "connector.updated",      "connector.deleted",
    "connector.status_changed", "connector.check_failed", NULL,
};

int webhooks_id_valid(const char *s)
{
    if (s == NULL || strlen(s) != WEBHOOKS_ID_LEN || strncmp(s, "wh_", 3) != 0)
        return 0;
    for (const char *p = s + 3; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int webhooks_new_id(char *out, size_t size)
{
    unsigned char raw[12];
    static const char digits[] = "0123456789abcdef";
    if (size < WEBHOOKS_ID_LEN + 1 || RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    memcpy(out, "wh_", 3);
    for (size_t i = 0; i < sizeof raw; i++) {
        out[3 + 2 * i] = digits[raw[i] >> 4];
        out[4 + 2 * i] = digits[raw[i] & 15];
    }
    out[WEBHOOKS_ID_LEN] = '\0';
    return 0;
}

/* The host of url when it is an acceptable http(s) URL, else NULL with *why. curl_free it. */
static char *url_host(const char *url, const char **why)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
    *why = "must be an absolute http:// or https:// URL";
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] != '\0') {
        if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
            curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK) {
            *why = "must not hold a user name or password";
            curl_free(host);
            host = NULL;
        }
    } else if (host != NULL) {
        curl_free(host);
        host = NULL;
    }
    curl_free(scheme);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return host;
}

int webhooks_check_url(const struct cfg *cfg, const char *url, struct field_errors *fe)
{
    const char *why = NULL;
    char err[256];
    size_t n = 0;
    struct sockaddr_storage addrs[OUTBOUND_ADDRS_MAX];
    enum outbound_fail fail = OUTBOUND_OK;
    if (url == NULL || url[0] == '\0' || strlen(url) > WEBHOOKS_URL_MAX ||
        !utf8_valid(url, strlen(url))) {
        field_errors_add(fe, "url", "must be an http:// or https:// URL of at most 2048 bytes");
        return -1;
    }
    char *host = url_host(url, &why);
    if (host == NULL) {
        field_errors_add(fe, "url", why);
        return -1;
    }
    /* IPv6 literals come back bracketed; outbound_resolve reads either spelling. */
    const struct outbound_policy policy = {.allow = cfg->outbound_nets};
    int rc = outbound_resolve(&policy, host, WEBHOOKS_RESOLVE_TIMEOUT_MS, addrs, OUTBOUND_ADDRS_MAX,
                              &n, &fail, err, sizeof err);
    curl_free(host);
    if (rc == 0)
        return 0;
    field_errors_add(fe, "url",
                     fail == OUTBOUND_FAIL_REFUSED
                         ? "its host resolves to an address outside AAM_OUTBOUND_NETS"
                         : "its host does not resolve");
    return -1;
}

int webhooks_check_events(const json_t *events, char **out_json, struct field_errors *fe)
{
    size_t i, j;
    const json_t *v;
    *out_json = NULL;
    if (!json_is_array(events) || json_array_size(events) == 0 || json_array_size(events) > 16) {
        field_errors_add(fe, "events", "must be a non-empty array of event types");
        return -1;
    }
    json_array_foreach(events, i, v) {
        int known = 0;
        for (j = 0; json_is_string(v) && webhooks_event_types[j] != NULL; j++)
            known |= strcmp(json_string_value(v), webhooks_event_types[j]) == 0;
        for (j = 0; known && j < i; j++)
            known = !json_equal(json_array_get(events, j), v);
        if (!known) {
            field_errors_add(fe, "events",
                             "each must be one of connector.created, connector.updated, "
                             "connector.deleted, connector.status_changed, "
                             "connector.check_failed, and appear once");
            return -1;
        }
    }
    *out_json = json_dumps(events, JSON_COMPACT);
    return *out_json != NULL ? 0 : -1;
}

int webhooks_check_description(const json_t *v, const char **out, struct field_errors *fe)
{
    *out = NULL;
    if (!json_is_string(v) || json_string_length(v) > 4 * WEBHOOKS_DESCRIPTION_MAX ||
        utf8_count(json_string_value(v), json_string_length(v)) > WEBHOOKS_DESCRIPTION_MAX) {
        field_errors_add(fe, "description", "must be a string of at most 500 characters");
        return -1;
    }
    if (!utf8_is_display_safe(json_string_value(v), json_string_length(v))) {
        field_errors_add(fe, "description",
                         "must not hold control characters or bidirectional overrides");
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}
