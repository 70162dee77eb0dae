/* db/probe: a postgres connector's check connection (see probe.h). libpq's connect_timeout
 * bounds only its blocking connect, per host, so the probe connects asynchronously
 * (PQconnectStartParams + PQconnectPoll) and waits with poll(2) against one deadline that also
 * covers the query. */
#include "db/probe.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mono.h"
#include "util/xalloc.h"

static void set_message(struct db_probe_result *out, const char *text, const char *secret_)
{
    db_probe_clean_message(out->message, sizeof out->message, text, secret_);
}

/* Waits until conn's socket is ready for reading (or writing) or the deadline passes.
 * Returns 1 when ready, 0 on timeout, -1 on a poll failure. */
static int wait_socket(PGconn *conn, int for_write, long long deadline_ms)
{
    struct pollfd p = {.fd = PQsocket(conn), .events = for_write ? POLLOUT : POLLIN};
    for (;;) {
        long long left = deadline_ms - mono_ms();
        if (left <= 0)
            return 0;
        if (p.fd < 0)
            return -1;
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
    }
}

/* Drives PQconnectPoll to the end. Returns 0 when connected, -1 on failure (message set). */
static int connect_async(PGconn *conn, const struct db_probe_target *t, long long deadline_ms,
                         struct db_probe_result *out)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    if (PQstatus(conn) == CONNECTION_BAD) {
        set_message(out, PQerrorMessage(conn), t->secret_password);
        return -1;
    }
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED) {
            set_message(out, PQerrorMessage(conn), t->secret_password);
            return -1;
        }
        int ready = wait_socket(conn, st == PGRES_POLLING_WRITING, deadline_ms);
        if (ready <= 0) {
            out->timed_out = ready == 0;
            set_message(out, ready == 0 ? "no answer in time" : "waiting for the server failed",
                        NULL);
            return -1;
        }
        st = PQconnectPoll(conn);
    }
    return 0;
}

/* Sends the read-only SELECT 1 and reads every result. Returns 0 when all succeeded. */
static int query_async(PGconn *conn, const struct db_probe_target *t, long long deadline_ms,
                       struct db_probe_result *out)
{
    static const char sql[] = "START TRANSACTION READ ONLY; SELECT 1; COMMIT";
    int ok = 1, got_one = 0;
    if (!PQsendQuery(conn, sql)) {
        set_message(out, PQerrorMessage(conn), t->secret_password);
        return -1;
    }
    for (;;) {
        while (PQisBusy(conn)) {
            int ready = wait_socket(conn, 0, deadline_ms);
            if (ready <= 0 || !PQconsumeInput(conn)) {
                out->timed_out = ready == 0;
                set_message(out, ready == 0 ? "no answer in time" : PQerrorMessage(conn),
                            t->secret_password);
                return -1;
            }
        }
        PGresult *r = PQgetResult(conn);
        if (r == NULL)
            break;
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_TUPLES_OK && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "1") == 0)
            got_one = 1;
        else if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && ok) {
            ok = 0;
            set_message(out, PQresultErrorMessage(r), t->secret_password);
        }
        PQclear(r);
    }
    if (ok && !got_one)
        set_message(out, "SELECT 1 did not answer 1", NULL);
    return ok && got_one ? 0 : -1;
}

void db_probe(const struct db_probe_target *t, struct db_probe_result *out)
{
    char timeout_s[16];
    long long deadline_ms = mono_ms() + t->timeout_ms;
    memset(out, 0, sizeof *out);
    snprintf(timeout_s, sizeof timeout_s, "%d", (t->timeout_ms + 999) / 1000);
    /* passfile /dev/null: a config without a password must not pick up one of this host's
     * password files; expand_dbname 0: no value is parsed as a connection string. */
    const char *keys[] = {"host",
                          "hostaddr",
                          "port",
                          "dbname",
                          "user",
                          "sslmode",
                          "connect_timeout",
                          "application_name",
                          "passfile",
                          "gssencmode",
                          "password",
                          NULL};
    const char *vals[] = {t->host,
                          t->hostaddr,
                          t->port,
                          t->dbname,
                          t->user,
                          t->sslmode ? t->sslmode : "prefer",
                          timeout_s,
                          t->application_name,
                          "/dev/null",
                          "disable",
                          t->secret_password,
                          NULL};
    if (t->secret_password == NULL)
        keys[10] = NULL;
    PGconn *conn = PQconnectStartParams(keys, vals, 0);
    if (conn == NULL) {
        set_message(out, "out of memory", NULL);
        return;
    }
    out->stage = DB_PROBE_CONNECT;
    if (connect_async(conn, t, deadline_ms, out) != 0)
        goto cleanup;
    const char *version = PQparameterStatus(conn, "server_version");
    snprintf(out->server_version, sizeof out->server_version, "%s", version ? version : "?");
    out->tls = PQsslInUse(conn);
    out->stage = DB_PROBE_QUERY;
    if (query_async(conn, t, deadline_ms, out) != 0)
        goto cleanup;
    out->stage = DB_PROBE_DONE;
cleanup:
    PQfinish(conn);
}

/* Replaces every occurrence of secret_ in s (NUL-terminated) by "***" in place when the secret
 * is at least 3 bytes; a shorter one is masked with as many '*'. */
static void scrub(char *s, const char *secret_)
{
    size_t n = secret_ != NULL ? strlen(secret_) : 0;
    char *p = s;
    if (n == 0)
        return;
    while ((p = strstr(p, secret_)) != NULL) {
        if (n >= 3) {
            memmove(p + 3, p + n, strlen(p + n) + 1);
            memcpy(p, "***", 3);
            p += 3;
        } else {
            memset(p, '*', n);
            p += n;
        }
    }
}

/* The cleaning happens on a full copy and the secret is replaced before the copy is cut to
 * size: a cut can never leave the start of a secret that the whole text would have shown. */
void db_probe_clean_message(char *dst, size_t size, const char *src, const char *secret_)
{
    static const char *const preambles[] = {"FATAL:", "ERROR:"};
    size_t o = 0;
    if (size == 0)
        return;
    if (src == NULL)
        src = "";
    const char *failed = strncmp(src, "connection to server", 20) == 0 ? strstr(src, "failed: ")
                                                                       : NULL;
    if (failed != NULL)
        src = failed + 8;
    while (*src == ' ')
        src++;
    for (size_t i = 0; i < sizeof preambles / sizeof preambles[0]; i++)
        if (strncmp(src, preambles[i], strlen(preambles[i])) == 0)
            src += strlen(preambles[i]);
    char *tmp = xmalloc(strlen(src) + 1);
    for (; *src != '\0'; src++) {
        unsigned char c = (unsigned char)*src;
        int space = c < 0x20 || c == 0x7f || c == ' ';
        if (space && (o == 0 || tmp[o - 1] == ' '))
            continue;
        tmp[o++] = space ? ' ' : (char)c;
    }
    while (o > 0 && tmp[o - 1] == ' ')
        o--;
    tmp[o] = '\0';
    scrub(tmp, secret_);
    snprintf(dst, size, "%s", tmp);
    explicit_bzero(tmp, o); /* server text may have quoted the secret */
    free(tmp);
}
