/* check: the steps of each connector type's check, the report and its summary (see check.h).
 * Messages name what to fix ("no file in the folder matches \"*.csv\"", "password
 * authentication failed for user \"app\"", "host db.example resolves to 10.0.0.5, outside
 * AAM_OUTBOUND_NETS"); none holds a secret: each is scrubbed of every secret value of the
 * check before the report is handed on. */
#include "server/core/check.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "db/connectors.h"
#include "db/probe.h"
#include "server/core/config.h"
#include "server/core/connector_json.h"
#include "server/core/csvfile.h"
#include "server/core/jsonbuf.h"
#include "server/core/schema.h"
#include "server/core/secrets.h"
#include "server/core/sources.h"
#include "server/core/types.h"
#include "util/mono.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* The one text for a folder that is missing, not a folder, outside the root or not the
 * tenant's: a check must not tell these apart any more than a write does. */
#define FOLDER_REFUSED                                                                             \
    "the folder is gone, outside the sources root (AAM_SOURCES_ROOT) or not this tenant's: an "    \
    "operator grants folders with `aam sources grant`"

static const char *const TYPES[CHECK_TYPES] = {"filesource", "postgres", "rest_api"};

static int type_index(const char *type)
{
    for (int i = 0; i < CHECK_TYPES; i++)
        if (type != NULL && strcmp(type, TYPES[i]) == 0)
            return i;
    return -1;
}

int check_supported(const char *type)
{
    return type_index(type) >= 0;
}

/* ------------------------------------------------------------------ secrets */

size_t check_secrets_take(const struct schema *s, json_t *config, struct check_secrets *out)
{
    size_t taken = 0;
    for (size_t i = 0; i < schema_count(s) && out->n < CHECK_SECRETS_MAX; i++) {
        const char *field = schema_property(s, i);
        json_t *v = schema_property_secret(s, i) ? json_object_get(config, field) : NULL;
        if (json_is_string(v)) {
            size_t len = json_string_length(v);
            char *secret_ = xmalloc(len + 1);
            memcpy(secret_, json_string_value(v), len + 1);
            out->v[out->n].field = field;
            out->v[out->n].secret_ = secret_;
            out->v[out->n].len = len;
            out->n++;
            taken++;
        }
        if (schema_property_secret(s, i))
            json_object_del(config, field);
    }
    return taken;
}

/* The schema's own spelling of field (lives for the process), or NULL when it is no secret. */
static const char *secret_field(const struct schema *s, const char *field)
{
    for (size_t i = 0; i < schema_count(s); i++)
        if (schema_property_secret(s, i) && strcmp(schema_property(s, i), field) == 0)
            return schema_property(s, i);
    return NULL;
}

int check_secrets_open(const struct secrets_keyring *kr, const struct schema *s, const char *ns,
                       const char *id, const char *secrets_json, struct check_secrets *out,
                       char *err, size_t errlen)
{
    json_t *doc = secrets_json != NULL ? json_loads(secrets_json, 0, NULL) : NULL;
    const char *key;
    json_t *v;
    int ret = 0;
    json_object_foreach(doc, key, v) {
        const char *field = secret_field(s, key);
        char why[256];
        if (field == NULL || !json_is_string(v) || out->n >= CHECK_SECRETS_MAX)
            continue; /* a field the type no longer has: nothing uses it */
        if (kr == NULL) {
            snprintf(err, errlen, "secret %s: AAM_SECRET_KEYS is not set", field);
            ret = -1;
            break;
        }
        const struct secrets_aad aad = {SECRETS_KIND_CONNECTOR, ns, id, field};
        char *secret_ = NULL;
        size_t len = 0;
        if (secrets_decrypt(kr, &aad, json_string_value(v), &secret_, &len, why, sizeof why) != 0) {
            snprintf(err, errlen, "secret %s does not decrypt: %s", field, why);
            ret = -1;
            break;
        }
        out->v[out->n].field = field;
        out->v[out->n].secret_ = secret_;
        out->v[out->n].len = len;
        out->n++;
    }
    json_decref(doc);
    if (ret != 0)
        check_secrets_free(out);
    return ret;
}

void check_secrets_free(struct check_secrets *sec)
{
    for (size_t i = 0; i < sec->n; i++) {
        secrets_value_free(sec->v[i].secret_, sec->v[i].len);
        sec->v[i].secret_ = NULL;
    }
    sec->n = 0;
}

static const char *secret_get(const struct check_secrets *sec, const char *field)
{
    for (size_t i = 0; sec != NULL && i < sec->n; i++)
        if (strcmp(sec->v[i].field, field) == 0)
            return sec->v[i].secret_;
    return NULL;
}

/* ------------------------------------------------------------------ report */

static struct check_step *step_add(struct check_report *r, const char *name, int ok,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct check_step *step_add(struct check_report *r, const char *name, int ok,
                                   const char *fmt, ...)
{
    struct check_step *s = &r->steps[r->n_steps < CHECK_STEPS_MAX ? r->n_steps++ : 0];
    char raw[CHECK_MESSAGE_MAX];
    va_list ap;
    s->name = name;
    s->ok = ok;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    utf8_copy_sanitized(s->message, sizeof s->message, raw); /* server text, cut anywhere */
    return s;
}

static const char *str_of(const json_t *config, const char *key, const char *def)
{
    const char *v = json_string_value(json_object_get(config, key));
    return v != NULL ? v : def;
}

/* ------------------------------------------------------------------ filesource */

/* The folder step: opened inside the root, the tenant's, listable. Returns the directory
 * descriptor (the caller closes it) with the matching files in *files, or -1. */
static int fs_folder(const struct check_env *env, const char *ns, const json_t *config,
                     const char *pattern, struct sources_file **files, size_t *n,
                     struct check_report *r)
{
    char real[4096];
    int fd = -1, owned = 0;
    struct db_error err = {0};
    enum sources_status st = sources_open_folder(env->cfg->sources_root, str_of(config, "path", ""),
                                                 &fd, real, sizeof real);
    if (st == SOURCES_DENIED) {
        step_add(r, "folder", 0, "the server may not open the folder (permission denied)");
        return -1;
    }
    const char *rel = st == SOURCES_OK ? sources_relative(env->cfg->sources_root, real) : NULL;
    if (rel == NULL) {
        step_add(r, "folder", 0, "%s", FOLDER_REFUSED);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (db_connectors_folder_owned(env->db, ns, rel, &owned, &err) != 0 || !owned) {
        if (err.status != DB_OK)
            step_add(r, "folder", 0,
                     "the database could not say whether the folder is this "
                     "tenant's; try again");
        else
            step_add(r, "folder", 0, "%s", FOLDER_REFUSED);
        close(fd);
        return -1;
    }
    if (sources_list(fd, pattern, files, n) != 0) {
        step_add(r, "folder", 0, "the server may not list the folder (permission denied)");
        close(fd);
        return -1;
    }
    step_add(r, "folder", 1, "the folder is this tenant's and readable");
    return fd;
}

/* The headers step: the first CHECK_FILES_MAX files' headers parse. */
static void fs_headers(int dirfd, const char *pattern, const struct sources_file *files, size_t n,
                       struct check_report *r)
{
    int more = n > CHECK_FILES_MAX; /* only the first ones are read */
    size_t upto = more ? CHECK_FILES_MAX : n;
    for (size_t i = 0; i < upto; i++) {
        struct csvfile_page page = {0};
        int fd = sources_open_file(dirfd, pattern, files[i].name);
        if (fd < 0) {
            step_add(r, "headers", 0, "file %s could not be opened for reading", files[i].name);
            return;
        }
        int rc = csvfile_read(fd, NULL, 0, 0, 0, &page);
        close(fd);
        if (rc != 0 || page.n_columns == 0) {
            step_add(r, "headers", 0, "file %s: %s", files[i].name,
                     rc != 0 ? page.error : "empty, no header row");
            csvfile_page_free(&page);
            return;
        }
        csvfile_page_free(&page);
    }
    if (more)
        step_add(r, "headers", 1, "the headers of the first %zu of %zu files parse", upto, n);
    else
        step_add(r, "headers", 1, "the header of %s parses", n == 1 ? "the file" : "every file");
}

static void check_filesource(const struct check_env *env, const char *ns, const json_t *config,
                             struct check_report *r)
{
    const char *pattern = str_of(config, "pattern", CONNECTOR_DEFAULT_PATTERN);
    struct sources_file *files = NULL;
    size_t n = 0;
    int dirfd = fs_folder(env, ns, config, pattern, &files, &n, r);
    if (dirfd < 0)
        return;
    if (n == 0)
        step_add(r, "files", 0, "no file in the folder matches \"%s\"", pattern);
    else
        step_add(r, "files", 1, "%zu file%s match%s \"%s\"", n, n == 1 ? "" : "s",
                 n == 1 ? "es" : "", pattern);
    if (n > 0)
        fs_headers(dirfd, pattern, files, n, r);
    sources_files_free(files, n);
    close(dirfd);
}

/* ------------------------------------------------------------------ postgres */

static long long left_ms(long long deadline)
{
    long long left = deadline - mono_ms();
    return left > 0 ? left : 0;
}

static void check_postgres(const struct check_env *env, const json_t *config,
                           const struct check_secrets *sec, struct check_report *r)
{
    long long deadline = mono_ms() + CHECK_TIMEOUT_MS;
    const char *host = str_of(config, "host", "");
    const char *user = str_of(config, "user", "");
    char hostaddr[NETADDR_TEXT_MAX], port[24], err[256];
    enum outbound_fail why = OUTBOUND_OK;
    json_int_t p = json_integer_value(json_object_get(config, "port"));
    snprintf(port, sizeof port, "%lld", (long long)(p > 0 ? p : 5432));
    if (outbound_pg_hostaddr(env->policy, host, (int)left_ms(deadline), hostaddr, sizeof hostaddr,
                             &why, err, sizeof err) != 0) {
        step_add(r, "resolve", 0, "%s", err);
        return;
    }
    step_add(r, "resolve", 1, "host %s resolves to %s, inside AAM_OUTBOUND_NETS", host, hostaddr);
    const struct db_probe_target t = {
        .host = host,
        .hostaddr = hostaddr,
        .port = port,
        .dbname = str_of(config, "database", ""),
        .user = user,
        .sslmode = str_of(config, "sslmode", "prefer"),
        .secret_password = secret_get(sec, "password"),
        .application_name = CHECK_APPLICATION_NAME,
        .timeout_ms = (int)left_ms(deadline),
    };
    struct db_probe_result pr;
    db_probe(&t, &pr);
    if (pr.stage == DB_PROBE_CONNECT) {
        if (pr.timed_out)
            step_add(r, "connect", 0, "no answer from %s port %s within %d s", hostaddr, port,
                     CHECK_TIMEOUT_MS / 1000);
        else
            step_add(r, "connect", 0, "%s", pr.message);
        return;
    }
    step_add(r, "connect", 1, "connected to PostgreSQL %s at %s port %s as %s (%s)",
             pr.server_version, hostaddr, port, user, pr.tls ? "TLS" : "no TLS");
    if (pr.stage == DB_PROBE_QUERY)
        step_add(r, "query", 0, "%s", pr.timed_out ? "SELECT 1 got no answer in time" : pr.message);
    else
        step_add(r, "query", 1, "SELECT 1 ran in a read-only transaction on PostgreSQL %s",
                 pr.server_version);
}

/* ------------------------------------------------------------------ rest_api */

/* "<header>: Bearer <token>" for Authorization, "<header>: <token>" otherwise, in a buffer of
 * its own (*len bytes to wipe); NULL when there is no token. */
static char *auth_line(const char *header, const char *token, size_t *len)
{
    const char *bearer = strcasecmp(header, "Authorization") == 0 ? "Bearer " : "";
    if (token == NULL)
        return NULL;
    *len = strlen(header) + strlen(bearer) + strlen(token) + 3;
    char *line_ = xmalloc(*len);
    snprintf(line_, *len, "%s: %s%s", header, bearer, token);
    return line_;
}

static void request_step(const struct outbound_response *res, struct check_report *r)
{
    long s = res->status;
    if (s >= 200 && s <= 299)
        step_add(r, "request", 1, "GET answered %ld in %lld ms", s, res->duration_ms);
    else if (s >= 300 && s <= 399)
        step_add(r, "request", 0,
                 "GET answered %ld, a redirect, which is not followed: set "
                 "base_url to the address it points to",
                 s);
    else if (s == 401 || s == 403)
        step_add(r, "request", 0,
                 "GET answered %ld: the API refused the token (check token and "
                 "auth_header)",
                 s);
    else
        step_add(r, "request", 0, "GET answered %ld, not a 2xx success", s);
}

static void check_rest(const struct check_env *env, const json_t *config,
                       const struct check_secrets *sec, struct check_report *r)
{
    size_t line_len = 0;
    char err[256] = "";
    char *line_ = auth_line(str_of(config, "auth_header", "Authorization"),
                            secret_get(sec, "token"), &line_len);
    const char *headers[] = {line_, NULL};
    const struct outbound_request req = {
        .method = "GET",
        .url = str_of(config, "base_url", ""),
        .headers = line_ != NULL ? headers : NULL,
        .timeout_ms = CHECK_TIMEOUT_MS,
    };
    struct outbound_response res;
    int rc = outbound_http_request(env->policy, &req, &res, err, sizeof err);
    secrets_value_free(line_, line_len);
    if (rc != 0 && res.addr[0] == '\0' && res.why != OUTBOUND_FAIL_CONNECT &&
        res.why != OUTBOUND_FAIL_TLS && res.why != OUTBOUND_FAIL_TRANSFER) {
        step_add(r, "resolve", 0, "%s", err);
    } else {
        step_add(r, "resolve", 1, "the host resolves to %s, inside AAM_OUTBOUND_NETS",
                 res.addr[0] ? res.addr : "checked addresses");
        if (rc != 0 && res.why == OUTBOUND_FAIL_TIMEOUT)
            step_add(r, "request", 0, "no answer within %d s", CHECK_TIMEOUT_MS / 1000);
        else if (rc != 0)
            step_add(r, "request", 0, "%s", err);
        else
            request_step(&res, r);
    }
    outbound_response_free(&res);
}

/* ------------------------------------------------------------------ running */

static _Atomic unsigned long st_passed[CHECK_TYPES], st_failed[CHECK_TYPES];
static _Atomic unsigned long st_bucket[CHECK_TYPES][CHECK_BUCKETS], st_count[CHECK_TYPES];
static _Atomic unsigned long long st_sum_us[CHECK_TYPES];
const double check_bucket_le[CHECK_BUCKETS] = {0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

static void count(int ti, const struct check_report *r)
{
    if (ti < 0)
        return;
    atomic_fetch_add_explicit(r->ok ? &st_passed[ti] : &st_failed[ti], 1, memory_order_relaxed);
    double s = (double)r->duration_ms / 1000.0;
    for (int b = 0; b < CHECK_BUCKETS; b++)
        if (s <= check_bucket_le[b])
            atomic_fetch_add_explicit(&st_bucket[ti][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st_count[ti], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st_sum_us[ti], (unsigned long long)r->duration_ms * 1000,
                              memory_order_relaxed);
}

void check_stats_get(struct check_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < CHECK_TYPES; i++) {
        out->type[i] = TYPES[i];
        out->passed[i] = atomic_load_explicit(&st_passed[i], memory_order_relaxed);
        out->failed[i] = atomic_load_explicit(&st_failed[i], memory_order_relaxed);
        for (int b = 0; b < CHECK_BUCKETS; b++)
            out->bucket[i][b] = atomic_load_explicit(&st_bucket[i][b], memory_order_relaxed);
        out->count[i] = atomic_load_explicit(&st_count[i], memory_order_relaxed);
        out->sum_s[i] = (double)atomic_load_explicit(&st_sum_us[i], memory_order_relaxed) / 1e6;
    }
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Every message loses every secret value (a server may quote what it was sent). */
static void scrub_report(struct check_report *r, const struct check_secrets *sec)
{
    for (size_t i = 0; i < r->n_steps; i++)
        for (size_t k = 0; sec != NULL && k < sec->n; k++)
            if (sec->v[k].len > 0 && strstr(r->steps[i].message, sec->v[k].secret_) != NULL)
                db_probe_clean_message(r->steps[i].message, sizeof r->steps[i].message,
                                       r->steps[i].message, sec->v[k].secret_);
}

static void begin(struct check_report *out, struct timespec *t0)
{
    memset(out, 0, sizeof *out);
    out->checked_at_us = wall_us();
    *t0 = mono_now();
}

static void end(struct check_report *out, const struct timespec *t0, int ti,
                const struct check_secrets *sec)
{
    out->ok = out->n_steps > 0;
    for (size_t i = 0; i < out->n_steps; i++)
        out->ok &= out->steps[i].ok;
    out->duration_ms = (long long)mono_elapsed_ms(t0);
    scrub_report(out, sec);
    count(ti, out);
}

void check_run(const struct check_env *env, const char *ns, const char *type, const json_t *config,
               const struct check_secrets *sec, struct check_report *out)
{
    struct timespec t0;
    struct outbound_policy policy = {.allow = env->cfg->outbound_nets};
    struct check_env e = *env;
    int ti = type_index(type);
    if (e.policy == NULL)
        e.policy = &policy;
    begin(out, &t0);
    if (ti == 0)
        check_filesource(&e, ns, config, out);
    else if (ti == 1)
        check_postgres(&e, config, sec, out);
    else if (ti == 2)
        check_rest(&e, config, sec, out);
    else
        step_add(out, "type", 0, "connectors of type \"%s\" cannot be checked", type);
    end(out, &t0, ti, sec);
}

void check_stored(const struct check_env *env, const char *ns, const char *id,
                  const struct db_result *r, struct check_report *out)
{
    const char *type = db_result_get(r, 0, DB_CHECK_TYPE);
    const struct types_type *t = types_find(type);
    json_t *config = json_loads(db_result_get(r, 0, DB_CHECK_CONFIG), 0, NULL);
    struct check_secrets sec = {0};
    char err[300];
    if (t == NULL || !json_is_object(config) || !check_supported(type)) {
        struct timespec t0;
        begin(out, &t0);
        step_add(out, "config", 0, "the stored config is not a valid %s config: PATCH it",
                 type ? type : "connector");
        end(out, &t0, type_index(type), NULL);
    } else if (check_secrets_open(env->cfg->secret_keys, types_schema(t), ns, id,
                                  db_result_get(r, 0, DB_CHECK_SECRETS), &sec, err,
                                  sizeof err) != 0) {
        struct timespec t0;
        begin(out, &t0);
        step_add(out, "secrets", 0, "%s", err);
        end(out, &t0, type_index(type), NULL);
    } else {
        schema_apply_defaults(types_schema(t), config);
        check_run(env, ns, type, config, &sec, out);
    }
    check_secrets_free(&sec);
    json_decref(config);
}

void check_summary(const struct check_report *report, char *buf, size_t size)
{
    for (size_t i = 0; i < report->n_steps; i++)
        if (!report->steps[i].ok) {
            snprintf(buf, size, "%s: %s", report->steps[i].name, report->steps[i].message);
            return;
        }
    if (report->n_steps > 0)
        snprintf(buf, size, "%s", report->steps[report->n_steps - 1].message);
    else
        snprintf(buf, size, "no step ran");
}

int check_record(const struct check_env *env, const char *ns, const char *id,
                 const struct check_report *report, int64_t updated_us,
                 const struct db_check_actor *actor, int release_lease, char *from, char *to,
                 struct db_error *err)
{
    char summary[CHECK_MESSAGE_MAX + 32];
    check_summary(report, summary, sizeof summary);
    const struct db_check_result res = {
        .ok = report->ok,
        .checked_at_us = report->checked_at_us,
        .message = summary,
        .updated_us = updated_us,
        .release_lease = release_lease,
    };
    return db_checks_record(env->db, ns, id, &res, actor, from, to, err);
}

char *check_report_json(const struct check_report *report, size_t *len)
{
    struct jsonbuf b;
    jsonbuf_init(&b, 256 + report->n_steps * 400);
    jsonbuf_append_cstr(&b, report->ok ? "{\"ok\":true" : "{\"ok\":false");
    jsonbuf_append_cstr(&b, ",\"checked_at\":");
    jsonbuf_append_timestamp_us(&b, report->checked_at_us);
    jsonbuf_append_cstr(&b, ",\"duration_ms\":");
    jsonbuf_append_int64(&b, report->duration_ms);
    jsonbuf_append_cstr(&b, ",\"steps\":[");
    for (size_t i = 0; i < report->n_steps; i++) {
        const struct check_step *s = &report->steps[i];
        jsonbuf_append_cstr(&b, i > 0 ? ",{\"name\":" : "{\"name\":");
        jsonbuf_append_json_string(&b, s->name, strlen(s->name));
        jsonbuf_append_cstr(&b, s->ok ? ",\"ok\":true,\"message\":" : ",\"ok\":false,\"message\":");
        jsonbuf_append_json_string(&b, s->message, strlen(s->message));
        jsonbuf_append_cstr(&b, "}");
    }
    jsonbuf_append_cstr(&b, "]}");
    return jsonbuf_finish(&b, len);
}
