/* handlers/files: a FilesSource connector's CSV files and their rows. */
#ifndef AAM_HANDLERS_FILES_H
#define AAM_HANDLERS_FILES_H

#include "server/http/http_model.h"

void files_list(const struct http_req *req, struct http_res *res);
void files_rows(const struct http_req *req, struct http_res *res);

#endif
