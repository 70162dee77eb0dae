/* db/sessions_internal: what other db/ files use of sessions.c. Register (db/users.c) starts
 * a family inside its own transaction, so it needs the statement rather than a function. */
#ifndef AAM_DB_SESSIONS_INTERNAL_H
#define AAM_DB_SESSIONS_INTERNAL_H

/* The INSERT that stores $1 (a token's hash) as the first of a new family for the user whose
 * email is lower($3), expiring in $2 seconds. */
extern const char db_sessions_sql_issue_for_email[];

#endif
