/* db/probe: a postgres connector's check connection. It is the one libpq connection this
 * service makes to a server that is not its own database, so it lives in db/ (the only code
 * that includes libpq-fe.h) but shares nothing with the pool: a fresh connection, made
 * asynchronously under one deadline (connect, TLS, authentication and the query together),
 * pinned to an address the caller has already checked (libpq `hostaddr`), never reading a
 * password file, then `SELECT 1` in a read-only transaction, and closed. */
#ifndef AAM_DB_PROBE_H
#define AAM_DB_PROBE_H

#include <stddef.h>

/* Everything borrowed for the call. */
struct db_probe_target {
    const char *host;     /* the name from the config: libpq uses it for TLS verification */
    const char *hostaddr; /* the checked address to connect to (outbound_pg_hostaddr) */
    const char *port;     /* decimal */
    const char *dbname, *user;
    const char *sslmode;          /* libpq's values; NULL: prefer */
    const char *secret_password;  /* NULL: none. Never copied into a message */
    const char *application_name; /* "aam-check" */
    int timeout_ms;               /* the whole probe; libpq's connect_timeout gets it too */
};

/* How far the probe got. */
enum db_probe_stage {
    DB_PROBE_CONNECT = 0, /* the connection (TCP, TLS, authentication) failed */
    DB_PROBE_QUERY,       /* connected; the read-only SELECT 1 failed */
    DB_PROBE_DONE,        /* connected and SELECT 1 ran in a read-only transaction */
};

struct db_probe_result {
    enum db_probe_stage stage;
    int timed_out;           /* the deadline passed (at stage) */
    int tls;                 /* 1 when the connection used TLS */
    char server_version[32]; /* the server's server_version, "" before connecting */
    char message[256];       /* why it failed: libpq's or the server's words, on one line, with
                              * every occurrence of the password replaced by "***" */
};

/* Runs the probe. Never fails as a function: the outcome is in *out. Thread-safe. */
void db_probe(const struct db_probe_target *t, struct db_probe_result *out);

/* Copies src into dst[size] on one line (control characters become spaces, runs of spaces
 * one), dropping libpq's "connection to server at ... failed: " preamble and a leading
 * "FATAL:"/"ERROR:", with every occurrence of secret_ (when not NULL or "") replaced by "***".
 * For tests and for db_probe itself. */
void db_probe_clean_message(char *dst, size_t size, const char *src, const char *secret_);

#endif
