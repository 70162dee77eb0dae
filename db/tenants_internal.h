/* db/tenants_internal: what other db/ files use of tenants.c. Register (db/users.c) inserts
 * the tenant in the transaction that also inserts its first user, so it needs the statement. */
#ifndef AAM_DB_TENANTS_INTERNAL_H
#define AAM_DB_TENANTS_INTERNAL_H

/* INSERT of tenant $1 (namespace) named $2, returning its id. */
extern const char db_tenants_sql_insert[];

#endif
