/* handlers/auth: register, login, me and accept-invite. Register, login and accept-invite hash
 * passwords and run on the hashing lane; me runs on the database lane. */
#ifndef AAM_HANDLERS_AUTH_H
#define AAM_HANDLERS_AUTH_H

#include "server/http/http_model.h"

void auth_register(const struct http_req *req, struct http_res *res);
void auth_login(const struct http_req *req, struct http_res *res);
void auth_me(const struct http_req *req, struct http_res *res);
/* POST /api/v1/auth/accept-invite {"invite_token","password"}: 201 with login's body (the new
 * user signed in with the invite's role); 400 urn:aam:problem:invite-invalid (unknown, used or
 * replaced) or urn:aam:problem:invite-expired; 409 when the email has an account already. */
void auth_accept_invite(const struct http_req *req, struct http_res *res);

#endif
