/* db/webhooks: a tenant's webhook endpoints, the deliveries owed to them and their attempts
 * (migration 0013). The API's statements run in the token's namespace and name it in their
 * WHERE; the delivery worker claims across tenants only through the owner's SECURITY DEFINER
 * aam_webhook_claim and reports each attempt in the delivery's own namespace. Secrets pass
 * through here only as secrets.c ciphertext. */
#ifndef AAM_DB_WEBHOOKS_H
#define AAM_DB_WEBHOOKS_H

#include <stddef.h>

#include "db/db.h"

/* The columns of one webhook in the rows the API functions return. */
enum db_webhook_col {
    DB_WEBHOOK_ID,
    DB_WEBHOOK_URL,
    DB_WEBHOOK_EVENTS, /* a JSON array text */
    DB_WEBHOOK_DESCRIPTION,
    DB_WEBHOOK_ACTIVE, /* "t" / "f" */
    DB_WEBHOOK_CREATED_US,
    DB_WEBHOOK_UPDATED_US,
    DB_WEBHOOK_LAST_SUCCESS_US,  /* NULL when none */
    DB_WEBHOOK_DISABLED_US,      /* NULL unless disabled for failing 24 h */
    DB_WEBHOOK_ROTATION_ENDS_US, /* NULL unless the previous secret still signs */
    DB_WEBHOOK_NCOLS
};

/* What db_webhooks_create did. */
enum db_webhooks_created {
    DB_WEBHOOKS_CREATED = 0,
    DB_WEBHOOKS_QUOTA,     /* ns already holds max webhooks: nothing written */
    DB_WEBHOOKS_NO_TENANT, /* ns has no tenants row: nothing written */
};

/* Creates webhook id in ns (events_json a JSON array of event type names; secret the
 * ciphertext), unless ns holds max webhooks already: the tenant's row is locked first, so two
 * creates at once cannot both pass the count. On 0, *out says what happened and, when created,
 * *row holds the new webhook (columns above; the caller frees it). Returns -1 with *err. Every
 * string is borrowed for the call. */
int db_webhooks_create(struct db_pool *pool, const char *ns, const char *id, const char *url,
                       const char *events_json, const char *description, const char *secret,
                       int max, enum db_webhooks_created *out, struct db_result **row,
                       struct db_error *err) __attribute__((warn_unused_result));

/* The webhooks of ns, oldest first (at most the quota, so no paging). *out: the rows (the caller
 * frees). Returns 0, or -1 with *err. */
int db_webhooks_list(struct db_pool *pool, const char *ns, struct db_result **out,
                     struct db_error *err) __attribute__((warn_unused_result));

/* Webhook id of ns: *out holds 0 or 1 row (the caller frees). Returns 0, or -1 with *err. */
int db_webhooks_get(struct db_pool *pool, const char *ns, const char *id, struct db_result **out,
                    struct db_error *err) __attribute__((warn_unused_result));

/* What a PATCH changes: NULL members are left as they are. */
struct db_webhook_patch {
    const char *url;
    const char *events_json;
    const char *description;
    const char *active; /* "true" / "false": activating clears the failure clock; deactivating
                         * fails the pending deliveries */
};

/* Applies *p to webhook id of ns. *out: 0 or 1 row, the webhook afterwards. Returns 0, or -1. */
int db_webhooks_patch(struct db_pool *pool, const char *ns, const char *id,
                      const struct db_webhook_patch *p, struct db_result **out,
                      struct db_error *err) __attribute__((warn_unused_result));

/* Deletes webhook id of ns with its deliveries. *deleted: 1 or 0 (none). Returns 0, or -1. */
int db_webhooks_delete(struct db_pool *pool, const char *ns, const char *id, int *deleted,
                       struct db_error *err) __attribute__((warn_unused_result));

/* Makes secret (ciphertext) the signing secret of webhook id of ns; the one it replaces keeps
 * signing next to it for 24 h. *out: 0 or 1 row. Returns 0, or -1 with *err. */
int db_webhooks_rotate(struct db_pool *pool, const char *ns, const char *id, const char *secret,
                       struct db_result **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Queues a "webhook.test" delivery to webhook id of ns, if it exists and is active. *msg_id
 * (size bytes): its webhook-id, "" when nothing was queued. Returns 0, or -1 with *err. */
int db_webhooks_test(struct db_pool *pool, const char *ns, const char *id, char *msg_id,
                     size_t size, struct db_error *err) __attribute__((warn_unused_result));

/* The columns of db_webhooks_deliveries' rows. */
enum db_delivery_col {
    DB_DELIVERY_ID,
    DB_DELIVERY_MSG_ID,
    DB_DELIVERY_TYPE,
    DB_DELIVERY_EVENT_ID, /* NULL for a test event */
    DB_DELIVERY_STATUS,
    DB_DELIVERY_ATTEMPTS_N,
    DB_DELIVERY_CREATED_US,
    DB_DELIVERY_NEXT_US,      /* NULL unless pending */
    DB_DELIVERY_DELIVERED_US, /* NULL unless succeeded */
    DB_DELIVERY_LAST_CODE,    /* NULL when none */
    DB_DELIVERY_LAST_ERROR,   /* NULL when none */
    DB_DELIVERY_ATTEMPTS,     /* JSON array text: [{"at","status_code","error","duration_ms"}] */
    DB_DELIVERY_NCOLS
};

/* Up to limit deliveries of webhook id of ns, newest first, with ids below before (0: from the
 * newest). *exists: whether the webhook exists. *out: the rows (the caller frees). */
int db_webhooks_deliveries(struct db_pool *pool, const char *ns, const char *id, long long before,
                           int limit, struct db_result **out, int *exists, struct db_error *err)
    __attribute__((warn_unused_result));

/* The columns of db_webhooks_claim's rows. */
enum db_claim_col {
    DB_CLAIM_ID,
    DB_CLAIM_NS,
    DB_CLAIM_WEBHOOK_ID,
    DB_CLAIM_CLAIM,
    DB_CLAIM_MSG_ID,
    DB_CLAIM_PAYLOAD,
    DB_CLAIM_ATTEMPTS,
    DB_CLAIM_URL,
    DB_CLAIM_SECRET,
    DB_CLAIM_PREVIOUS_SECRET, /* NULL unless in a rotation window */
    DB_CLAIM_CREATED_EPOCH,
    DB_CLAIM_NCOLS
};

/* Claims up to limit due deliveries of every tenant for lease_s seconds, at most inflight per
 * endpoint at once (FOR UPDATE SKIP LOCKED in one short transaction). *out: the rows (the caller
 * frees). Returns 0, or -1 with *err. */
int db_webhooks_claim(struct db_pool *pool, int limit, int lease_s, int inflight,
                      struct db_result **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Records an attempt of claim `claim` of delivery id (namespace ns): status code (0: no
 * answer), error (NULL on success), duration. outcome[size] receives what the database decided:
 * "succeeded", "retry", "failed", "disabled" or "stale" (see migration 0013). Returns 0, or -1. */
int db_webhooks_record(struct db_pool *pool, const char *ns, long long id, long long claim,
                       int code, const char *error, long long duration_ms, char *outcome,
                       size_t size, struct db_error *err) __attribute__((warn_unused_result));

/* Pending deliveries of every tenant and the age in seconds of the oldest. Returns 0, or -1. */
int db_webhooks_queue_stats(struct db_pool *pool, long long *pending, double *oldest_s,
                            struct db_error *err) __attribute__((warn_unused_result));

/* Deletes up to batch deliveries older than days (>= 1), of every tenant, through the owner's
 * aam_prune_webhook_deliveries. *deleted: how many. Returns 0, or -1 with *err. */
int db_webhooks_prune(struct db_pool *pool, int days, int batch, long long *deleted,
                      struct db_error *err) __attribute__((warn_unused_result));

#endif
