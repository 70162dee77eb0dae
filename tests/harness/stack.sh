#!/usr/bin/env bash
# stack.sh: a throwaway PostgreSQL 15 + PgBouncer (pool_mode=transaction) for the tests.
# Source it, call stack_start; everything lives under $STACK_DIR. The bootstrap (initdb,
# pg_hba, pgbouncer.ini, running as `postgres` when root) is scripts/pgstack.sh, shared with
# `make run`; here both servers also listen on 127.0.0.1 (free ports), so tests can point any
# client at them, and PgBouncer reaches PostgreSQL over its Unix socket.
# Two roles, as in production: the owner (aam_owner) owns every test database and the schema
# `aam migrate` makes in it (AAM_MIGRATE_DATABASE_URL); the application role (aam_app, DATABASE_URL)
# owns nothing and gets DML only, so row-level security binds it and it cannot ALTER a table.

. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/pgstack.sh"

STACK_APP_USER=aam_app
STACK_OWNER_USER=aam_owner
STACK_PGB_POOL_SIZE=${STACK_PGB_POOL_SIZE:-4}  # fewer server connections than test threads, on purpose

. "$(dirname "${BASH_SOURCE[0]}")/port.sh"

stack__wait() {  # seconds command...: retry until it succeeds
  local n=$(( $1 * 10 )); shift
  while ((n-- > 0)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

stack_psql_super() {  # psql as the superuser over the unix socket; args passed on
  pgs_psql_super "$STACK_DIR/sock" "$PG_PORT" "$@"
}

stack_psql_app() {  # DB [psql args]: psql as the app role straight to PostgreSQL
  local db=$1; shift
  PGPASSWORD=$STACK_APP_PASSWORD "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
    -U "$STACK_APP_USER" -d "$db" "$@"
}

stack_pgb_admin() {  # "SHOW STATS" etc. on PgBouncer's admin console
  PGPASSWORD=$STACK_APP_PASSWORD "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGB_PORT" -U "$STACK_APP_USER" \
    -d pgbouncer -Atc "$1"
}

stack_url() {  # DB [direct]: the app role's URL for DB, through PgBouncer unless "direct"
  local port=$PGB_PORT
  [ "${2:-}" = direct ] && port=$PG_PORT
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$STACK_APP_USER" "$STACK_APP_PASSWORD" "$port" "$1"
}

stack_owner_url() {  # DB [direct]: the owner's URL for DB (AAM_MIGRATE_DATABASE_URL), as stack_url
  local port=$PGB_PORT
  [ "${2:-}" = direct ] && port=$PG_PORT
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$STACK_OWNER_USER" "$STACK_OWNER_PASSWORD" "$port" "$1"
}

stack_new_db() {  # NAME: an empty database owned by the owner role; echoes the app role's PgBouncer URL
  stack_psql_super -d postgres -c "CREATE DATABASE \"$1\" OWNER $STACK_OWNER_USER" >&2 || return 1
  stack_url "$1"
}

stack_pg_start() { pgs_pg_start "$STACK_DIR/pgdata" "$STACK_DIR/postgres.log"; }
stack_pg_stop() { pgs_pg_stop "$STACK_DIR/pgdata"; }
stack_pg_restart() {
  pgs_as_owner "$PGBIN/pg_ctl" -D "$STACK_DIR/pgdata" -l "$STACK_DIR/postgres.log" -m fast -w -t 30 restart >/dev/null
}

stack_pgb_start() {
  pgs_pgb_start "$STACK_DIR" >/dev/null 2>&1
  stack__wait 10 stack_pgb_admin "SHOW VERSION"
}
stack_pgb_pid() { pgs_pgb_pid "$STACK_DIR"; }
stack_pgb_kill() { pgs_pgb_stop "$STACK_DIR" KILL; }  # no goodbye to anyone, as a crash or an OOM kill would do

stack_start() {  # exports STACK_DIR PG_PORT PGB_PORT STACK_*_PASSWORD DATABASE_URL DIRECT_DATABASE_URL AAM_MIGRATE_DATABASE_URL
  pgs_require "the test stack" || return 1
  STACK_DIR=$(mktemp -d /tmp/aam-stack.XXXXXX)
  chmod 755 "$STACK_DIR"
  mkdir -p "$STACK_DIR/sock"
  chmod 700 "$STACK_DIR/sock"
  pgs_chown "$STACK_DIR" "$STACK_DIR/sock"
  { port_lock PG_PORT && port_lock PGB_PORT; } || return 1
  STACK_APP_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  STACK_OWNER_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  export STACK_DIR PG_PORT PGB_PORT STACK_APP_PASSWORD STACK_APP_USER STACK_OWNER_PASSWORD STACK_OWNER_USER
  pgs_initdb "$STACK_DIR/pgdata" "$STACK_DIR/initdb.log" || return 1
  # Durability off: the data is thrown away after the run. Every test has a database of its
  # own, and each database its own PgBouncer server pool, so PgBouncer closes idle server
  # connections after 5 s (not 10 min): a finished test's servers (with their webhook and
  # check threads) would otherwise hold PostgreSQL's connection slots for the tests after it.
  pgs_configure "$STACK_DIR/pgdata" "$STACK_DIR/sock" 127.0.0.1 "$PG_PORT" \
    'fsync = off' 'full_page_writes = off' 'max_connections = 200'
  stack_pg_start || return 1
  pgs_roles "$STACK_DIR/sock" "$PG_PORT" "$STACK_OWNER_USER" "$STACK_OWNER_PASSWORD" \
    "$STACK_APP_USER" "$STACK_APP_PASSWORD" aam >/dev/null || return 1
  pgs_pgbouncer_ini "$STACK_DIR" "$STACK_APP_USER $STACK_OWNER_USER" "$STACK_DIR/sock" "$PG_PORT" 127.0.0.1 "$PGB_PORT" '' \
    "$STACK_PGB_POOL_SIZE" 500 "admin_users = $STACK_APP_USER" 'server_idle_timeout = 5' || return 1
  stack_pgb_start || { tail -20 "$STACK_DIR/pgbouncer.log" >&2; return 1; }
  DATABASE_URL=$(stack_url aam)
  DIRECT_DATABASE_URL=$(stack_url aam direct)
  AAM_MIGRATE_DATABASE_URL=$(stack_owner_url aam)
  export DATABASE_URL DIRECT_DATABASE_URL AAM_MIGRATE_DATABASE_URL
}

stack_stop() {  # stops both servers and removes STACK_DIR (kept with AAM_TEST_KEEP=1)
  [ -n "${STACK_DIR:-}" ] && [ -d "$STACK_DIR" ] || return 0
  pgs_pgb_stop "$STACK_DIR"
  pgs_pg_stop "$STACK_DIR/pgdata" immediate
  if [ "${AAM_TEST_KEEP:-0}" = 1 ]; then echo "# kept $STACK_DIR" >&2; else rm -rf "$STACK_DIR"; fi
}
