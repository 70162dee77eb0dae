/* events: a connector's history and the tenant's change feed (migration 0010 writes the events
 * in the transaction of every change). Both page by keyset on the event id with opaque cursors
 * (server/core/cursor.h): a forged, foreign or broken cursor is 400 and says nothing more. */
#ifndef AAM_EVENTS_H
#define AAM_EVENTS_H

#include "server/http/http_model.h"

/* Events of one page: 1..EVENTS_LIMIT_MAX, default EVENTS_LIMIT_DEFAULT. An event holds a
 * config's changes (up to twice 64 KiB), so a page stays far below the bodies a list may hold. */
#define EVENTS_LIMIT_DEFAULT 50
#define EVENTS_LIMIT_MAX 100

/* GET /api/v1/aam/connectors/{id}/history?limit=&cursor= -> {"events":[…],"next_cursor"},
 * newest first; next_cursor is null on the last page. Also after the connector was deleted;
 * 404 only for an id with neither a connector nor an event in the tenant. */
void events_history(const struct http_req *req, struct http_res *res);

/* GET /api/v1/aam/events?after=&limit= -> {"events":[…],"next_cursor"}, oldest first; the
 * cursor is always there, also on the last (or an empty) page, to resume from later. */
void events_feed(const struct http_req *req, struct http_res *res);

#endif
