/* app: the service's route table, the one place that knows every handler. cmd_serve passes it
 * to http_start, so the HTTP core and the router depend on no handler. To add a route, add a
 * row here (and its operation to docs/openapi.json: test_openapi compares the two). */
#ifndef AAM_APP_H
#define AAM_APP_H

#include "server/router.h"

/* The table (static; lives for the process). */
const struct router_table *app_routes(void);

#endif
