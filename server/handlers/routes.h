/* routes: the service's route table, the one place that knows every handler. cmd_serve passes it
 * to http_start (and the admin table to admin_start), so the HTTP core and the router depend on no handler. To add a route, add a
 * row here (and its operation to docs/openapi.json: test_openapi compares the two). */
#ifndef AAM_ROUTES_H
#define AAM_ROUTES_H

#include "server/http/router.h"

/* The public listener's table (static; lives for the process). */
const struct router_table *routes_table(void);

/* The admin listener's table: /health and /ready (static; lives for the process). */
const struct router_table *routes_admin_table(void);

#endif
