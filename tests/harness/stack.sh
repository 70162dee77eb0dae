#!/usr/bin/env bash
# stack.sh: a throwaway PostgreSQL 15 + PgBouncer (pool_mode=transaction) for the tests.
# Source it, call stack_start; everything lives under $STACK_DIR and listens on 127.0.0.1 only.
# The application role is a non-superuser that owns its databases, so row-level security binds it.
# PostgreSQL refuses to run as root: as root, both servers run as the `postgres` OS user.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
STACK_APP_USER=aam_app
STACK_PGB_POOL_SIZE=${STACK_PGB_POOL_SIZE:-4}  # fewer server connections than test threads, on purpose

stack__as_owner() {  # run a command as the user that owns the servers
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

. "$(dirname "${BASH_SOURCE[0]}")/port.sh"

stack__wait() {  # seconds command...: retry until it succeeds
  local n=$(( $1 * 10 )); shift
  while ((n-- > 0)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

stack_psql_super() {  # psql as the superuser over the unix socket; args passed on
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$STACK_DIR/sock" -p "$PG_PORT" -U postgres "$@"
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

stack_new_db() {  # NAME: an empty database owned by the app role; echoes its PgBouncer URL
  stack_psql_super -d postgres -c "CREATE DATABASE \"$1\" OWNER $STACK_APP_USER" >&2 || return 1
  stack_url "$1"
}

stack_pg_start() {
  stack__as_owner "$PGBIN/pg_ctl" -D "$STACK_DIR/pgdata" -l "$STACK_DIR/postgres.log" -w -t 30 start >/dev/null
}
stack_pg_stop() { stack__as_owner "$PGBIN/pg_ctl" -D "$STACK_DIR/pgdata" -m fast -w stop >/dev/null; }
stack_pg_restart() {
  stack__as_owner "$PGBIN/pg_ctl" -D "$STACK_DIR/pgdata" -l "$STACK_DIR/postgres.log" -m fast -w -t 30 restart >/dev/null
}

stack_pgb_start() {
  stack__as_owner pgbouncer -d "$STACK_DIR/pgbouncer.ini" >/dev/null 2>&1 || true
  stack__wait 10 stack_pgb_admin "SHOW VERSION"
}
stack_pgb_pid() { cat "$STACK_DIR/pgbouncer.pid" 2>/dev/null; }
stack_pgb_kill() {  # SIGKILL: no goodbye to anyone, as a crash or an OOM kill would do
  local pid; pid=$(stack_pgb_pid)
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  stack__wait 5 sh -c "! kill -0 $pid"
  rm -f "$STACK_DIR/pgbouncer.pid"
}

stack__write_pgbouncer_ini() {
  local scram
  scram=$(stack_psql_super -d postgres -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = '$STACK_APP_USER'")
  printf '"%s" "%s"\n' "$STACK_APP_USER" "$scram" >"$STACK_DIR/userlist.txt"
  cat >"$STACK_DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $STACK_DIR/userlist.txt
admin_users = $STACK_APP_USER
pool_mode = transaction
default_pool_size = $STACK_PGB_POOL_SIZE
max_client_conn = 500
logfile = $STACK_DIR/pgbouncer.log
pidfile = $STACK_DIR/pgbouncer.pid
INI
  chown postgres:postgres "$STACK_DIR/userlist.txt" "$STACK_DIR/pgbouncer.ini" 2>/dev/null
  chmod 600 "$STACK_DIR/userlist.txt"
}

stack_start() {  # exports STACK_DIR PG_PORT PGB_PORT STACK_APP_PASSWORD DATABASE_URL DIRECT_DATABASE_URL
  STACK_DIR=$(mktemp -d /tmp/aam-stack.XXXXXX)
  chmod 755 "$STACK_DIR"
  mkdir -p "$STACK_DIR/sock"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$STACK_DIR"
  port_lock PG_PORT && port_lock PGB_PORT || return 1
  STACK_APP_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  export STACK_DIR PG_PORT PGB_PORT STACK_APP_PASSWORD STACK_APP_USER
  stack__as_owner "$PGBIN/initdb" -D "$STACK_DIR/pgdata" -U postgres -A trust -E UTF8 \
    --no-locale >"$STACK_DIR/initdb.log" 2>&1 || { cat "$STACK_DIR/initdb.log" >&2; return 1; }
  cat >>"$STACK_DIR/pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$STACK_DIR/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
password_encryption = scram-sha-256
CONF
  # Local superuser over the socket only; TCP clients (the app, PgBouncer) authenticate with SCRAM.
  cat >"$STACK_DIR/pgdata/pg_hba.conf" <<HBA
local all postgres trust
host  all all 127.0.0.1/32 scram-sha-256
HBA
  stack_pg_start || { tail -20 "$STACK_DIR/postgres.log" >&2; return 1; }
  stack_psql_super -d postgres \
    -c "CREATE ROLE $STACK_APP_USER LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB PASSWORD '$STACK_APP_PASSWORD'" \
    -c "CREATE DATABASE aam OWNER $STACK_APP_USER" >/dev/null || return 1
  stack__write_pgbouncer_ini
  stack_pgb_start || { tail -20 "$STACK_DIR/pgbouncer.log" >&2; return 1; }
  DATABASE_URL=$(stack_url aam)
  DIRECT_DATABASE_URL=$(stack_url aam direct)
  export DATABASE_URL DIRECT_DATABASE_URL
}

stack_stop() {  # stops both servers and removes STACK_DIR (kept with AAM_TEST_KEEP=1)
  [ -n "${STACK_DIR:-}" ] && [ -d "$STACK_DIR" ] || return 0
  local pid; pid=$(stack_pgb_pid)
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  stack__as_owner "$PGBIN/pg_ctl" -D "$STACK_DIR/pgdata" -m immediate -w stop >/dev/null 2>&1
  if [ "${AAM_TEST_KEEP:-0}" = 1 ]; then echo "# kept $STACK_DIR" >&2; else rm -rf "$STACK_DIR"; fi
}
