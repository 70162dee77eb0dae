/* handlers/auth: register, login and me. Register and login hash passwords and run on the
 * hashing lane; me runs on the database lane. */
#ifndef AAM_HANDLERS_AUTH_H
#define AAM_HANDLERS_AUTH_H

#include "server/http/http_model.h"

void auth_register(const struct http_req *req, struct http_res *res);
void auth_login(const struct http_req *req, struct http_res *res);
void auth_me(const struct http_req *req, struct http_res *res);

#endif
