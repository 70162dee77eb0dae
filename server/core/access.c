/* access: the one table of which role and which scope grants which right (see access.h).
 * viewer reads; editor also writes and checks connectors; admin also manages members, webhooks
 * and service clients. A client holds what its scopes name, never members or clients. */
#include "server/core/access.h"

#include <stdio.h>
#include <string.h>

#define BIT(r) (1u << (r))

static const struct {
    const char *name;
    unsigned bit;
} SCOPES[] = {
    {"connectors:read", ACCESS_SCOPE_CONNECTORS_READ},
    {"connectors:write", ACCESS_SCOPE_CONNECTORS_WRITE},
    {"connectors:check", ACCESS_SCOPE_CONNECTORS_CHECK},
    {"events:read", ACCESS_SCOPE_EVENTS_READ},
    {"webhooks:write", ACCESS_SCOPE_WEBHOOKS_WRITE},
};
#define N_SCOPES (sizeof SCOPES / sizeof SCOPES[0])

#define RIGHTS_VIEWER                                                                              \
    (BIT(ACCESS_ANY) | BIT(ACCESS_CONNECTORS_READ) | BIT(ACCESS_EVENTS_READ) |                     \
     BIT(ACCESS_MEMBERS_READ))
#define RIGHTS_EDITOR (RIGHTS_VIEWER | BIT(ACCESS_CONNECTORS_WRITE) | BIT(ACCESS_CONNECTORS_CHECK))
#define RIGHTS_ADMIN                                                                               \
    (RIGHTS_EDITOR | BIT(ACCESS_WEBHOOKS) | BIT(ACCESS_MEMBERS_ADMIN) | BIT(ACCESS_CLIENTS_ADMIN))

enum access_role access_role_parse(const char *s)
{
    if (s == NULL)
        return ACCESS_ROLE_NONE;
    if (strcmp(s, "admin") == 0)
        return ACCESS_ROLE_ADMIN;
    if (strcmp(s, "editor") == 0)
        return ACCESS_ROLE_EDITOR;
    if (strcmp(s, "viewer") == 0)
        return ACCESS_ROLE_VIEWER;
    return ACCESS_ROLE_NONE;
}

const char *access_role_name(enum access_role role)
{
    switch (role) {
    case ACCESS_ROLE_ADMIN:
        return "admin";
    case ACCESS_ROLE_EDITOR:
        return "editor";
    case ACCESS_ROLE_VIEWER:
        return "viewer";
    default:
        return "";
    }
}

unsigned access_scope_bit(const char *s, size_t len)
{
    for (size_t i = 0; i < N_SCOPES; i++)
        if (strlen(SCOPES[i].name) == len && memcmp(SCOPES[i].name, s, len) == 0)
            return SCOPES[i].bit;
    return 0;
}

unsigned access_scopes_parse(const char *s, const char *seps, char *bad, size_t bad_size)
{
    unsigned bits = 0;
    if (bad != NULL && bad_size > 0)
        bad[0] = '\0';
    if (s == NULL)
        return 0;
    while (*s != '\0') {
        size_t len = strcspn(s, seps);
        if (len > 0) {
            unsigned bit = access_scope_bit(s, len);
            if (bit == 0) {
                if (bad != NULL && bad_size > 0)
                    snprintf(bad, bad_size, "%.*s", (int)(len < 64 ? len : 64), s);
                return 0;
            }
            bits |= bit;
        }
        s += len;
        if (*s != '\0')
            s++;
    }
    return bits;
}

void access_scopes_format(unsigned bits, char *out, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < N_SCOPES; i++) {
        if (!(bits & SCOPES[i].bit))
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? " " : "", SCOPES[i].name);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

/* The rights of a set of scopes. */
static unsigned scope_rights(unsigned scopes)
{
    unsigned r = BIT(ACCESS_ANY);
    if (scopes & (ACCESS_SCOPE_CONNECTORS_READ | ACCESS_SCOPE_CONNECTORS_WRITE))
        r |= BIT(ACCESS_CONNECTORS_READ);
    if (scopes & ACCESS_SCOPE_CONNECTORS_WRITE)
        r |= BIT(ACCESS_CONNECTORS_WRITE);
    if (scopes & ACCESS_SCOPE_CONNECTORS_CHECK)
        r |= BIT(ACCESS_CONNECTORS_CHECK);
    if (scopes & ACCESS_SCOPE_EVENTS_READ)
        r |= BIT(ACCESS_EVENTS_READ);
    if (scopes & ACCESS_SCOPE_WEBHOOKS_WRITE)
        r |= BIT(ACCESS_WEBHOOKS);
    return r;
}

unsigned access_rights(const struct jwt_identity *who)
{
    if (who == NULL)
        return 0;
    if (who->is_client)
        return scope_rights(who->scopes);
    switch (access_role_parse(who->role)) {
    case ACCESS_ROLE_ADMIN:
        return RIGHTS_ADMIN;
    case ACCESS_ROLE_EDITOR:
        return RIGHTS_EDITOR;
    case ACCESS_ROLE_VIEWER:
        return RIGHTS_VIEWER;
    default:
        /* No role and no scope: minted before roles existed (by login, a client or `aam token`),
         * alive for at most one access-token lifetime. It keeps what it could do then, the
         * connector routes, and gains nothing that came with roles. */
        return scope_rights(ACCESS_SCOPES_ALL);
    }
}

int access_allows(const struct jwt_identity *who, enum access_right right)
{
    if (right <= ACCESS_UNDECLARED || right >= ACCESS_N_RIGHTS)
        return 0;
    return (access_rights(who) & BIT(right)) != 0;
}

const char *access_right_describe(enum access_right right)
{
    switch (right) {
    case ACCESS_ANY:
        return "use the API";
    case ACCESS_CONNECTORS_READ:
        return "read connectors";
    case ACCESS_CONNECTORS_WRITE:
        return "create, change or delete connectors";
    case ACCESS_CONNECTORS_CHECK:
        return "check connectors";
    case ACCESS_EVENTS_READ:
        return "read the event feed";
    case ACCESS_WEBHOOKS:
        return "manage webhooks";
    case ACCESS_MEMBERS_READ:
        return "list the members";
    case ACCESS_MEMBERS_ADMIN:
        return "manage members";
    case ACCESS_CLIENTS_ADMIN:
        return "manage service clients";
    default:
        return "use this route";
    }
}
