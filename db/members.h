/* db/members: a tenant's members (the users table's role column) and its invites (migration
 * 0011), as the members routes, accept-invite and `aam users add` use them. Callers pass hashes,
 * never invite tokens. Each function is one db_run (one transaction, one round trip). Emails
 * are passed as sent; every statement applies lower(). Roles are "admin", "editor", "viewer"
 * (the table's CHECK refuses anything else: DB_ERR_INVALID). */
#ifndef AAM_DB_MEMBERS_H
#define AAM_DB_MEMBERS_H

#include <stddef.h>

#include "db/db.h"

/* The most members (and, separately, pending invites) one list returns. */
#define DB_MEMBERS_LIST_MAX 1000

/* What a members write did. */
enum db_members_outcome {
    DB_MEMBERS_DONE = 0,      /* done; the result row is filled */
    DB_MEMBERS_NO_TENANT,     /* ns has no tenants row: nothing written */
    DB_MEMBERS_IS_MEMBER,     /* invite: the email is already a member of ns */
    DB_MEMBERS_NOT_FOUND,     /* no such user in ns */
    DB_MEMBERS_LAST_ADMIN,    /* the change would leave ns without an admin: nothing written */
    DB_MEMBERS_INVITE_GONE,   /* accept: no such invite (never made, already used, replaced) */
    DB_MEMBERS_INVITE_EXPIRED /* accept: the invite's 7 days are over */
};

/* The columns of a member row (list, set_role). */
enum db_members_col {
    DB_MEMBERS_ID,
    DB_MEMBERS_EMAIL,
    DB_MEMBERS_ROLE,
    DB_MEMBERS_CREATED_AT, /* RFC 3339, UTC, whole seconds */
};

/* The columns of a pending invite row (list) and of db_members_invite's row. */
enum db_members_invite_col {
    DB_MEMBERS_INVITE_EMAIL,
    DB_MEMBERS_INVITE_ROLE,
    DB_MEMBERS_INVITE_CREATED_AT,
    DB_MEMBERS_INVITE_EXPIRES_AT,
};

/* The members of ns (by creation time, at most DB_MEMBERS_LIST_MAX) and its pending invites
 * (not expired; never a token or its hash), read-only. On 0, *members and *invites hold the
 * rows (see the column enums; the caller frees both) and *total the number of members. On -1,
 * *err is set and both are NULL. */
int db_members_list(struct db_pool *pool, const char *ns, struct db_result **members,
                    struct db_result **invites, long *total, struct db_error *err)
    __attribute__((warn_unused_result));

/* Invites email into ns with role: stores token_hash (hex SHA-256 of the token), expiring in
 * ttl_s, replacing a pending invite of the same email (its token then stops working), and prunes
 * the tenant's expired invites. invited_by says who asked (a user id, or "operator"). *out:
 * DB_MEMBERS_DONE (*row holds one invite row: see enum db_members_invite_col; caller frees),
 * DB_MEMBERS_NO_TENANT or DB_MEMBERS_IS_MEMBER (nothing written, *row NULL). Returns 0, or -1
 * with *err and nothing written. */
int db_members_invite(struct db_pool *pool, const char *ns, const char *email, const char *role,
                      const char *token_hash, const char *invited_by, int ttl_s,
                      enum db_members_outcome *out, struct db_result **row, struct db_error *err)
    __attribute__((warn_unused_result));

/* Gives user_id (a uuid) of ns the role. The tenant's row is locked (FOR NO KEY UPDATE) before
 * the admins are counted, in the same transaction: concurrent role changes and removals in one
 * tenant are serialised, so demoting admins in parallel always leaves one. *out:
 * DB_MEMBERS_DONE (*row holds the member row after the change; caller frees),
 * DB_MEMBERS_NOT_FOUND, or DB_MEMBERS_LAST_ADMIN (nothing written, *row NULL). Returns 0, or
 * -1 with *err. */
int db_members_set_role(struct db_pool *pool, const char *ns, const char *user_id, const char *role,
                        enum db_members_outcome *out, struct db_result **row, struct db_error *err)
    __attribute__((warn_unused_result));

/* Deletes user_id (a uuid) of ns, locked and counted as above; its refresh tokens go with it
 * (ON DELETE CASCADE), so its sessions end at once. *out: DB_MEMBERS_DONE,
 * DB_MEMBERS_NOT_FOUND or DB_MEMBERS_LAST_ADMIN. Returns 0, or -1 with *err. */
int db_members_remove(struct db_pool *pool, const char *ns, const char *user_id,
                      enum db_members_outcome *out, struct db_error *err)
    __attribute__((warn_unused_result));

/* What accept-invite stores, all borrowed for the call. */
struct db_members_acceptance {
    const char *invite_hash;   /* hex SHA-256 of the presented invite token */
    const char *password_hash; /* server/core/password.h's encoding */
    const char *refresh_hash;  /* the new user's first refresh token's hash */
    int refresh_ttl_s;
};

/* The columns of db_members_accept's row. */
enum db_members_accept_col {
    DB_MEMBERS_ACCEPT_ID,
    DB_MEMBERS_ACCEPT_EMAIL,
    DB_MEMBERS_ACCEPT_NS,
    DB_MEMBERS_ACCEPT_ROLE,
    DB_MEMBERS_ACCEPT_TENANT_ID,
};

/* Spends the invite whose hash is a->invite_hash and, in the same transaction, creates its
 * user (the invite's email, namespace and role) with the password hash and a first refresh
 * token. The invite is found before its tenant is known (aam.invite_hash shows that one row).
 * *out: DB_MEMBERS_DONE (*row holds one row: enum db_members_accept_col; caller frees),
 * DB_MEMBERS_INVITE_GONE or DB_MEMBERS_INVITE_EXPIRED (nothing written). A user with that
 * email anywhere: -1 with DB_ERR_UNIQUE, constraint "users_email_key", and the invite kept.
 * Returns 0, or -1 with *err and nothing written. */
int db_members_accept(struct db_pool *pool, const struct db_members_acceptance *a,
                      enum db_members_outcome *out, struct db_result **row, struct db_error *err)
    __attribute__((warn_unused_result));

#endif
