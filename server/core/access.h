/* access: who may do what. A user's token carries a role (admin, editor, viewer); a service
 * client's token carries scopes (RFC 6749 `scope`, space-separated). Each route of the table
 * declares the one right it needs (server/handlers/routes.c, `.right`); the HTTP core asks
 * access_allows once, after authentication and routing, and answers 403
 * urn:aam:problem:forbidden on a missing right before any handler runs, so nothing is written.
 * This file is the only place that says which role or scope grants which right. */
#ifndef AAM_ACCESS_H
#define AAM_ACCESS_H

#include <stddef.h>

#include "server/core/jwt.h"

/* The rights a route may need. ACCESS_UNDECLARED (0, what a route that forgot its `.right`
 * gets) is held by nobody: such a route answers 403 to every token, and the route-table test
 * fails on it. */
enum access_right {
    ACCESS_UNDECLARED = 0,
    ACCESS_ANY,              /* any valid token: who am I, log out */
    ACCESS_CONNECTORS_READ,  /* connectors, types, files and rows, a connector's history */
    ACCESS_CONNECTORS_WRITE, /* create, change, delete connectors */
    ACCESS_CONNECTORS_CHECK, /* both check routes */
    ACCESS_EVENTS_READ,      /* the tenant's event feed */
    ACCESS_WEBHOOKS,         /* every webhooks route (list, create, change, delete, rotate...) */
    ACCESS_MEMBERS_READ,     /* list the members (every member; no client) */
    ACCESS_MEMBERS_ADMIN,    /* invite, change a role, remove (admins) */
    ACCESS_CLIENTS_ADMIN,    /* the tenant's service clients (admins; never a client) */
    ACCESS_N_RIGHTS
};

/* Roles, least first. */
enum access_role {
    ACCESS_ROLE_NONE = 0,
    ACCESS_ROLE_VIEWER,
    ACCESS_ROLE_EDITOR,
    ACCESS_ROLE_ADMIN
};

/* Service-client scopes, as bits of jwt_identity.scopes. */
#define ACCESS_SCOPE_CONNECTORS_READ 0x01u
#define ACCESS_SCOPE_CONNECTORS_WRITE 0x02u /* implies connectors:read */
#define ACCESS_SCOPE_CONNECTORS_CHECK 0x04u
#define ACCESS_SCOPE_EVENTS_READ 0x08u
#define ACCESS_SCOPE_WEBHOOKS_WRITE 0x10u
#define ACCESS_SCOPES_ALL 0x1fu /* a client created without --scope (or "scopes") */

/* The longest scope list access_scopes_format writes, with its NUL. */
#define ACCESS_SCOPES_TEXT_MAX 96

/* The role named s ("admin", "editor", "viewer"; exact, lower case), or ACCESS_ROLE_NONE. */
enum access_role access_role_parse(const char *s);

/* "admin", "editor", "viewer", or "" for ACCESS_ROLE_NONE. A static string. */
const char *access_role_name(enum access_role role);

/* The bit of one scope name ("connectors:read", ...), or 0 for a word that is not a scope. */
unsigned access_scope_bit(const char *s, size_t len);

/* Parses a scope list: words separated by any of the bytes in seps (" " for a token's claim,
 * "," for `--scope`), empty words skipped. Returns the bits, or 0 when a word is unknown (the
 * first one is copied into bad, bad_size bytes, when bad is not NULL) or there is none. */
unsigned access_scopes_parse(const char *s, const char *seps, char *bad, size_t bad_size);

/* Writes the scopes of bits, space-separated in the contract's order, into out (at least
 * ACCESS_SCOPES_TEXT_MAX bytes). "" for 0. */
void access_scopes_format(unsigned bits, char *out, size_t size);

/* The rights who holds, as a bit set (1u << right): a user's role's, a client's scopes', or,
 * for a token with neither claim (minted before roles existed), what such a token could do
 * then: the five scopes' rights, never members or clients. NULL holds nothing. */
unsigned access_rights(const struct jwt_identity *who);

/* 1 when who holds right, else 0 (always 0 for ACCESS_UNDECLARED and for who NULL). */
int access_allows(const struct jwt_identity *who, enum access_right right);

/* A few words naming what right lets one do ("change connectors"), for the 403's detail. */
const char *access_right_describe(enum access_right right);

#endif
