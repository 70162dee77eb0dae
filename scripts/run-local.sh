#!/usr/bin/env bash
# run-local.sh BIN: the demo on this machine, no Docker. Starts PostgreSQL 15 and PgBouncer
# (transaction mode) with their data under .run/ (kept between runs), runs `aam migrate` and
# `aam seed` through PgBouncer, then `aam serve` on PORT (8080). Ctrl-C stops all three.
# As root, PostgreSQL and PgBouncer run as the `postgres` OS user (both refuse to run as root).
set -u -o pipefail

BIN=${1:?usage: scripts/run-local.sh path/to/aam}
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT" || exit 1
[[ $BIN == /* ]] || BIN=$REPO_ROOT/$BIN

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-8080}
PG_PORT=${AAM_RUN_PG_PORT:-55432}
PGB_PORT=${AAM_RUN_PGBOUNCER_PORT:-56432}
APP_ROLE=aam_app
APP_DB=aam
DEMO_EMAIL=demo@autonomos.local
RUN_LINK=$REPO_ROOT/.run

# What this run started, so cleanup stops exactly that.
STARTED_PG=0
PGB_PID=""
SERVER_PID=""

say() { printf '%s\n' "$*"; }
die() { printf 'make run: %s\n' "$*" >&2; exit 1; }

# From a directory that user can enter: initdb and pg_ctl complain when the current one is not.
as_owner() {  # run a command as the OS user that owns the database servers
  if [ "$(id -u)" = 0 ]; then
    (cd "${RUN_DIR:-/}" && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
  else
    "$@"
  fi
}

port_busy() {  # PORT: 0 when something listens on it (any address)
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

need_free_port() {  # PORT WHAT VAR
  port_busy "$1" || return 0
  die "port $1 ($2) is already in use by another process; free it or set $3 to another port"
}

# shellcheck disable=SC2317  # called through kept_secret
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# A secret kept in RUN_DIR with mode 600: the file's value, else a new one written there.
kept_secret() {  # FILE GENERATOR-ARGS...
  local file=$1; shift
  if [ ! -s "$file" ]; then
    (umask 077 && "$@" >"$file") || die "cannot write $file"
  fi
  chmod 600 "$file"
  tr -d '\n' <"$file"
}

# shellcheck disable=SC2317  # called through kept_secret
demo_password_new() { printf '%s' "$(head -c 24 /dev/urandom | base64 | tr -d '+/=\n' | cut -c1-20)"; }

psql_super() {  # psql as the superuser over the unix socket
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$PG_PORT" -U postgres -d postgres "$@"
}

# ------------------------------------------------------------------ the run directory

# shellcheck disable=SC2016  # $1 is expanded by the inner sh, on purpose
owner_can_enter() { as_owner sh -c 'cd "$1"' _ "$1" 2>/dev/null; }

choose_run_dir() {
  if [ -L "$RUN_LINK" ]; then
    RUN_DIR=$(readlink -f "$RUN_LINK")
    mkdir -p "$RUN_DIR" || die "cannot create $RUN_DIR"
    say "data: $RUN_DIR (.run is a symlink to it: postgres cannot enter $REPO_ROOT)"
    return
  fi
  if [ -d "$RUN_LINK" ] || owner_can_enter "$REPO_ROOT"; then
    RUN_DIR=$RUN_LINK
    mkdir -p "$RUN_DIR" || die "cannot create $RUN_DIR"
    return
  fi
  # The postgres user cannot reach the repository (say, under /root with mode 700): keep the
  # data where it can, and point .run/ at it so the data is still found next time.
  RUN_DIR=/var/tmp/aam-run-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)
  mkdir -p "$RUN_DIR" || die "cannot create $RUN_DIR"
  ln -s "$RUN_DIR" "$RUN_LINK" || die "cannot create the symlink $RUN_LINK"
  say "data: $RUN_DIR, linked as .run/ (the postgres user cannot enter $REPO_ROOT)"
}

prepare_run_dir() {
  chmod 755 "$RUN_DIR"
  mkdir -p "$RUN_DIR/pgbouncer" "$RUN_DIR/sock"
  SOCK_DIR=$RUN_DIR/sock
  # A unix socket path is limited to 107 bytes; a deep checkout gets a short one in /tmp.
  if [ ${#SOCK_DIR} -gt 80 ]; then
    SOCK_DIR=/tmp/aam-sock-$(printf '%s' "$RUN_DIR" | sha256sum | cut -c1-12)
    mkdir -p "$SOCK_DIR"
  fi
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$RUN_DIR/pgbouncer" "$SOCK_DIR"
  fi
}

take_lock() {  # one `make run` per .run/ at a time
  exec 9>"$RUN_DIR/lock"
  flock -n 9 || die "another 'make run' is already using $RUN_DIR; stop it first (Ctrl-C in its terminal)"
}

# ------------------------------------------------------------------ PostgreSQL

pg_running() { as_owner "$PGBIN/pg_ctl" -D "$RUN_DIR/pgdata" status >/dev/null 2>&1; }

pg_init() {
  say "initialising PostgreSQL 15 in $RUN_DIR/pgdata (first run only)"
  [ -x "$PGBIN/initdb" ] || die "PostgreSQL 15 is not installed ($PGBIN/initdb missing); run make deps"
  [ "$(id -u)" = 0 ] && { mkdir -p "$RUN_DIR/pgdata" && chown postgres:postgres "$RUN_DIR/pgdata"; }
  as_owner "$PGBIN/initdb" -D "$RUN_DIR/pgdata" -U postgres -A trust -E UTF8 --no-locale \
    >"$RUN_DIR/initdb.log" 2>&1 || { cat "$RUN_DIR/initdb.log" >&2; die "initdb failed"; }
  # The superuser over the local socket only; TCP clients (PgBouncer, the app) use SCRAM.
  cat >"$RUN_DIR/pgdata/pg_hba.conf" <<HBA
local all postgres trust
host  all all 127.0.0.1/32 scram-sha-256
HBA
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$RUN_DIR/pgdata/pg_hba.conf"
}

pg_configure() {  # rewritten every run, so a changed port or socket dir takes effect
  cat >"$RUN_DIR/pgdata/conf.d-aam.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCK_DIR'
password_encryption = scram-sha-256
max_connections = 100
synchronous_commit = off
CONF
  grep -q "^include_if_exists = 'conf.d-aam.conf'" "$RUN_DIR/pgdata/postgresql.conf" ||
    printf "\ninclude_if_exists = 'conf.d-aam.conf'\n" >>"$RUN_DIR/pgdata/postgresql.conf"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$RUN_DIR/pgdata/conf.d-aam.conf"
  touch "$RUN_DIR/postgres.log"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$RUN_DIR/postgres.log"
  return 0
}

pg_start() {
  [ -s "$RUN_DIR/pgdata/PG_VERSION" ] || pg_init
  if pg_running; then
    say "PostgreSQL from an earlier run is still up; restarting it with this run's settings"
    as_owner "$PGBIN/pg_ctl" -D "$RUN_DIR/pgdata" -m fast -w stop >/dev/null 2>&1 9>&- ||
      die "could not stop the PostgreSQL left running in $RUN_DIR/pgdata"
  fi
  need_free_port "$PG_PORT" "local PostgreSQL" AAM_RUN_PG_PORT
  pg_configure
  STARTED_PG=1
  as_owner "$PGBIN/pg_ctl" -D "$RUN_DIR/pgdata" -l "$RUN_DIR/postgres.log" -w -t 60 start \
    >/dev/null 9>&- || { tail -20 "$RUN_DIR/postgres.log" >&2; die "PostgreSQL did not start"; }
}

# The application role: not a superuser and not BYPASSRLS, so row-level security binds it; it
# owns the database, so `aam migrate` can create the schema.
pg_ensure_app_role() {
  local pw=$1 sql_pw=${1//\'/\'\'}
  if [ -z "$(psql_super -Atc "SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE'")" ]; then
    psql_super -c "CREATE ROLE $APP_ROLE LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB" || return 1
  fi
  psql_super -c "ALTER ROLE $APP_ROLE LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '$sql_pw'" || return 1
  if [ -z "$(psql_super -Atc "SELECT 1 FROM pg_database WHERE datname = '$APP_DB'")" ]; then
    psql_super -c "CREATE DATABASE $APP_DB OWNER $APP_ROLE" || return 1
  fi
}

# ------------------------------------------------------------------ PgBouncer

pgb_stop_stale() {  # a PgBouncer left by a run that was killed: stop it (its config may differ)
  local pid
  pid=$(cat "$RUN_DIR/pgbouncer/pgbouncer.pid" 2>/dev/null) || return 0
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pgbouncer ]; then
    say "stopping the PgBouncer an earlier run left behind (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$RUN_DIR/pgbouncer/pgbouncer.pid"
}

pgb_start() {
  local dir=$RUN_DIR/pgbouncer scram
  command -v pgbouncer >/dev/null || die "pgbouncer is not installed; run make deps"
  pgb_stop_stale
  need_free_port "$PGB_PORT" "local PgBouncer" AAM_RUN_PGBOUNCER_PORT
  scram=$(psql_super -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = '$APP_ROLE'") ||
    die "cannot read the app role's SCRAM secret"
  (umask 077 && printf '"%s" "%s"\n' "$APP_ROLE" "$scram" >"$dir/userlist.txt")
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
$APP_DB = host=127.0.0.1 port=$PG_PORT dbname=$APP_DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 10
max_client_conn = 200
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/userlist.txt" "$dir/pgbouncer.ini"
  as_owner pgbouncer -d "$dir/pgbouncer.ini" >/dev/null 2>&1 9>&- ||
    { tail -5 "$dir/pgbouncer.log" >&2 2>/dev/null; die "PgBouncer did not start"; }
  for _ in $(seq 50); do
    PGB_PID=$(cat "$dir/pgbouncer.pid" 2>/dev/null) && [ -n "$PGB_PID" ] && break
    sleep 0.1
  done
  [ -n "$PGB_PID" ] || die "PgBouncer did not write its pid file ($dir/pgbouncer.log)"
}

# ------------------------------------------------------------------ the service

serve() {
  say "starting aam serve on port $PORT"
  env PORT="$PORT" "$BIN" serve 9>&- &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/health" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { SERVER_PID=""; die "aam serve exited (see its log above)"; }
    sleep 0.1
  done
  die "aam serve did not answer /health within 10 s"
}

# A paste-able JSON login body, single-quoted unless the password itself has a quote.
login_body() {
  local json
  json=$(jq -cn --arg e "$DEMO_EMAIL" --arg p "$1" '{email: $e, password: $p}')
  if [[ $json == *"'"* ]]; then printf '%q' "$json"; else printf "'%s'" "$json"; fi
}

banner() {
  local url="http://localhost:$PORT" pw=$1
  cat <<EOF

AAM is running: $url   (API description: $url/openapi.json)
  demo login: $DEMO_EMAIL / $pw   (kept in .run/demo-password)
  try it:
    curl -i $url/api/v1/aam/connectors     # 401: a token is needed
    TOKEN=\$(curl -s -X POST $url/api/v1/auth/login -H 'Content-Type: application/json' \\
      -d $(login_body "$pw") | jq -r .access_token)
    curl -s -H "Authorization: Bearer \$TOKEN" $url/api/v1/aam/connectors | jq
  acceptance check: BASE_URL=$url AAM_DEMO_PASSWORD='$pw' tests/smoke.sh
  PostgreSQL 127.0.0.1:$PG_PORT and PgBouncer 127.0.0.1:$PGB_PORT (transaction mode), data in .run/
Ctrl-C stops the server, PgBouncer and PostgreSQL.

EOF
}

cleanup() {
  trap - EXIT INT TERM
  local rc=${1:-0}
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$PGB_PID" ] && kill -TERM "$PGB_PID" 2>/dev/null; then
    # Wait for it to go, so an immediate `make run` finds the port free.
    for _ in $(seq 50); do kill -0 "$PGB_PID" 2>/dev/null || break; sleep 0.1; done
    say "stopped PgBouncer"
  fi
  if [ "$STARTED_PG" = 1 ]; then
    as_owner "$PGBIN/pg_ctl" -D "$RUN_DIR/pgdata" -m fast -w stop >/dev/null 2>&1 &&
      say "stopped PostgreSQL (data kept in .run/)"
  fi
  exit "$rc"
}

main() {
  [ -x "$BIN" ] || die "$BIN is not built; run make"
  command -v jq >/dev/null || die "jq is not installed; run make deps"
  need_free_port "$PORT" "the API" PORT
  choose_run_dir
  prepare_run_dir
  take_lock
  trap 'cleanup $?' EXIT
  trap 'cleanup 0' INT TERM

  local app_pw demo_pw
  app_pw=$(kept_secret "$RUN_DIR/app-password" random_hex 18)
  # The seed sets the demo password only when it creates the user, so the password that
  # works is the one stored when the data was made; AAM_DEMO_PASSWORD chooses it on a first run.
  if [ -s "$RUN_DIR/demo-password" ]; then
    demo_pw=$(kept_secret "$RUN_DIR/demo-password" false)
    if [ -n "${AAM_DEMO_PASSWORD:-}" ] && [ "$AAM_DEMO_PASSWORD" != "$demo_pw" ]; then
      say "note: AAM_DEMO_PASSWORD differs from the password the demo user was created with;"
      say "      the seed never changes an existing user's password (remove .run/ to start over)"
    fi
  elif [ -n "${AAM_DEMO_PASSWORD:-}" ]; then
    demo_pw=$(kept_secret "$RUN_DIR/demo-password" printf '%s' "$AAM_DEMO_PASSWORD")
  else
    demo_pw=$(kept_secret "$RUN_DIR/demo-password" demo_password_new)
  fi
  JWT_SECRET=${JWT_SECRET:-$(kept_secret "$RUN_DIR/jwt-secret" random_hex 32)}
  if [ -z "$app_pw" ] || [ -z "$demo_pw" ] || [ -z "$JWT_SECRET" ]; then
    die "cannot keep secrets in $RUN_DIR"
  fi

  pg_start
  pg_ensure_app_role "$app_pw" || die "could not create the application role and database"
  pgb_start

  export DATABASE_URL="postgresql://$APP_ROLE:$app_pw@127.0.0.1:$PGB_PORT/$APP_DB"
  export JWT_SECRET
  "$BIN" migrate 9>&- || die "aam migrate failed"
  AAM_DEMO_PASSWORD=$demo_pw "$BIN" seed 9>&- || die "aam seed failed"
  serve
  banner "$demo_pw"
  wait "$SERVER_PID"
  local rc=$?
  SERVER_PID=""
  say "aam serve exited with status $rc"
  cleanup "$rc"
}

main "$@"
