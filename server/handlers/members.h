/* handlers/members: a tenant's members and invites (db/members.h). Every member may list them;
 * only admins invite, change roles and remove (the route table's rights, checked before these
 * run). The last admin of a tenant can be neither demoted nor removed: 409. */
#ifndef AAM_HANDLERS_MEMBERS_H
#define AAM_HANDLERS_MEMBERS_H

#include "server/http/http_model.h"

/* An invite is valid this long (7 days). */
#define MEMBERS_INVITE_TTL_S (7 * 24 * 3600)

/* GET /api/v1/aam/members: 200 {"members":[{"id","email","role","created_at"}],"total",
 * "invites":[{"email","role","created_at","expires_at"}]} (pending invites, never a token). */
void members_list(const struct http_req *req, struct http_res *res);

/* POST /api/v1/aam/members {"email","role"}: 201 {"email","role","invite_token","created_at",
 * "expires_at"}; the token is shown only here. 409 when the email is a member already; a
 * pending invite of the same email is replaced. */
void members_invite(const struct http_req *req, struct http_res *res);

/* PATCH /api/v1/aam/members/{user_id} {"role"}: 200 the member; 404; 409 for the last admin.
 * The user's tokens carry the new role from its next refresh on. */
void members_patch(const struct http_req *req, struct http_res *res);

/* DELETE /api/v1/aam/members/{user_id}: 204; 404; 409 for the last admin. The user is deleted:
 * its password no longer signs in and its refresh tokens stop at once. */
void members_delete(const struct http_req *req, struct http_res *res);

#endif
