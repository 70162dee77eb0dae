#!/usr/bin/env bash
# run-local.sh BIN: the demo on this machine, no Docker. Starts PostgreSQL 15 and PgBouncer
# (transaction mode) with their data under .run/ (kept between runs), runs `aam migrate` and
# `aam seed` through PgBouncer as the owner role aam_owner, then `aam serve` on PORT (8080) as the
# application role aam_app, which owns nothing (README "Database roles"). Ctrl-C stops all three.
# PostgreSQL and PgBouncer listen on Unix sockets in .run/sock only (mode 700): no TCP port,
# so nothing on the machine can collide with them or connect to them. The bootstrap is
# scripts/pgstack.sh, shared with the test harness. As root, PostgreSQL and PgBouncer run as
# the `postgres` OS user (both refuse to run as root).
set -u -o pipefail

BIN=${1:?usage: scripts/run-local.sh path/to/aam}
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT" || exit 1
[[ $BIN == /* ]] || BIN=$REPO_ROOT/$BIN

. "$REPO_ROOT/scripts/pgstack.sh"

PORT=${PORT:-8080}
# The API on this machine only: the demo account's password is printed below, and a root
# `make run` on every interface would offer it to the network. AAM_LISTEN_ADDR=0.0.0.0 opts out.
LISTEN=${AAM_LISTEN_ADDR:-127.0.0.1}
# Unix sockets only: these numbers just name the socket files (.s.PGSQL.5432, .s.PGSQL.6432).
PG_PORT=5432
PGB_PORT=6432
APP_ROLE=aam_app      # aam serve (DATABASE_URL): rows only
OWNER_ROLE=aam_owner  # aam migrate and the operator commands (AAM_MIGRATE_DATABASE_URL): owns the schema
APP_DB=aam
DEMO_EMAIL=demo@autonomos.local
RUN_LINK=$REPO_ROOT/.run

# What this run started, so cleanup stops exactly that.
STARTED_PG=0
PGB_PID=""
SERVER_PID=""

say() { printf '%s\n' "$*"; }
die() { printf 'make run: %s\n' "$*" >&2; exit 1; }

# The one TCP port left, the API's: 8080 lies outside the kernel's ephemeral range (32768-60999
# here, /proc/sys/net/ipv4/ip_local_port_range), so a burst of outgoing connections cannot hold it.
port_holder() {  # PORT: "what holds it" when something listens there, else nothing
  local line
  if command -v ss >/dev/null 2>&1 || [ -x /usr/bin/ss ] || [ -x /bin/ss ]; then
    line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -1)
    [ -n "$line" ] || return 1
    # users:(("nginx",pid=12,fd=6)) when we may see it (our own process, or root)
    printf '%s' "$(printf '%s' "$line" | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p')"
    return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

need_free_port() {  # PORT WHAT EXAMPLE-SETTING
  local who
  who=$(port_holder "$1") || return 0
  die "port $1 ($2) is busy${who:+, held by $who}; stop that or choose another port: $3 make run"
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

# The keys connector secrets are encrypted under: one, "k1:" and the base64 of 32 random bytes.
# Kept in .run/secret-keys: the data in .run/ stays readable only with it. To rotate, put a new
# key first in that file (k2:...,k1:...), restart and run `aam keys rotate`.
# shellcheck disable=SC2317  # called through kept_secret
secret_keys_new() { printf 'k1:%s' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')"; }

# shellcheck disable=SC2317  # called through kept_secret
demo_password_new() { printf '%s' "$(head -c 24 /dev/urandom | base64 | tr -d '+/=\n' | cut -c1-20)"; }

# ------------------------------------------------------------------ the run directory

# shellcheck disable=SC2016  # $1 is expanded by the inner sh, on purpose
owner_can_enter() { pgs_as_owner sh -c 'cd "$1"' _ "$1" 2>/dev/null; }

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
  # Only the servers' owner (and root) may enter: the sockets are the only way in.
  chmod 700 "$SOCK_DIR"
  pgs_chown "$RUN_DIR/pgbouncer" "$SOCK_DIR"
}

take_lock() {  # one `make run` per .run/ at a time
  exec 9>"$RUN_DIR/lock"
  flock -n 9 || die "another 'make run' is already using $RUN_DIR; stop it first (Ctrl-C in its terminal)"
}

# ------------------------------------------------------------------ PostgreSQL

pg_start() {
  if [ ! -s "$RUN_DIR/pgdata/PG_VERSION" ]; then
    say "initialising PostgreSQL 15 in $RUN_DIR/pgdata (first run only)"
    pgs_initdb "$RUN_DIR/pgdata" "$RUN_DIR/initdb.log" || die "initdb failed"
  fi
  if pgs_pg_running "$RUN_DIR/pgdata"; then
    say "PostgreSQL from an earlier run is still up; restarting it with this run's settings"
    pgs_pg_stop "$RUN_DIR/pgdata" 9>&- || die "could not stop the PostgreSQL left running in $RUN_DIR/pgdata"
  fi
  # listen_addresses = '': no TCP at all.
  rm -f "$RUN_DIR/pgdata/conf.d-aam.conf"  # an older make run's TCP settings
  pgs_configure "$RUN_DIR/pgdata" "$SOCK_DIR" '' "$PG_PORT"
  STARTED_PG=1
  pgs_pg_start "$RUN_DIR/pgdata" "$RUN_DIR/postgres.log" 9>&- || die "PostgreSQL did not start"
}

# ------------------------------------------------------------------ PgBouncer

pgb_start() {
  local dir=$RUN_DIR/pgbouncer
  if [ -n "$(pgs_pgb_pid "$dir")" ]; then  # a PgBouncer left by a run that was killed
    say "stopping the PgBouncer an earlier run left behind"
    pgs_pgb_stop "$dir"
  fi
  # listen_addr empty: the Unix socket in SOCK_DIR only.
  pgs_pgbouncer_ini "$dir" "$APP_ROLE $OWNER_ROLE" "$SOCK_DIR" "$PG_PORT" '' "$PGB_PORT" "$SOCK_DIR" 10 200 ||
    die "cannot write the PgBouncer configuration"
  pgs_pgb_start "$dir" 9>&- || die "PgBouncer did not start ($dir/pgbouncer.log)"
  PGB_PID=$(pgs_pgb_pid "$dir")
}

# ------------------------------------------------------------------ the service

serve() {
  say "starting aam serve on $LISTEN port $PORT"
  env PORT="$PORT" AAM_LISTEN_ADDR="$LISTEN" "$BIN" serve 9>&- &
  SERVER_PID=$!
  local host=${LISTEN#[}; host=${host%]}  # where to ask: the bound address, loopback for "any"
  case $host in 0.0.0.0) host=127.0.0.1 ;; ::) host='[::1]' ;; *:*) host="[$host]" ;; esac
  for _ in $(seq 100); do
    curl -fs -o /dev/null "http://$host:$PORT/health" 2>/dev/null && return 0
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

# Ends with the URL line (scripts and people look for "AAM is running: ").
banner() {
  local url="http://localhost:$PORT" pw=$1
  cat <<EOF

  try it:
    curl -i $url/api/v1/aam/connectors     # 401: a token is needed
    TOKEN=\$(curl -s -X POST $url/api/v1/auth/login -H 'Content-Type: application/json' \\
      -d $(login_body "$pw") | jq -r .access_token)
    curl -s -H "Authorization: Bearer \$TOKEN" $url/api/v1/aam/connectors | jq
  acceptance check: BASE_URL=$url AAM_DEMO_PASSWORD='$pw' tests/smoke.sh
  PostgreSQL and PgBouncer (transaction mode) on Unix sockets in $SOCK_DIR, no TCP port;
  data in .run/; the aam commands' settings (DATABASE_URL as aam_app, AAM_MIGRATE_DATABASE_URL as
  aam_owner, JWT_SECRET, AAM_SECRET_KEYS): . .run/env
  the API listens on $LISTEN only (AAM_LISTEN_ADDR; AAM_LISTEN_ADDR=0.0.0.0 make run serves the network)
  Ctrl-C stops the server, PgBouncer and PostgreSQL.

demo login: $DEMO_EMAIL / $pw   (kept in .run/demo-password)
AAM is running: $url   (open it in a browser: the Connections tab; API: $url/openapi.json)
EOF
}

cleanup() {
  trap - EXIT INT TERM
  local rc=${1:-0}
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$PGB_PID" ]; then
    pgs_pgb_stop "$RUN_DIR/pgbouncer"
    say "stopped PgBouncer"
  fi
  if [ "$STARTED_PG" = 1 ]; then
    pgs_pg_stop "$RUN_DIR/pgdata" && say "stopped PostgreSQL (data kept in .run/)"
  fi
  exit "$rc"
}

main() {
  [ -x "$BIN" ] || die "$BIN is not built; run make"
  pgs_require "make run" || exit 1
  command -v jq >/dev/null || die "jq is not installed; run: $( [ "$(id -u)" = 0 ] || printf 'sudo ')scripts/deps.sh"
  need_free_port "$PORT" "the API" PORT=8090
  # The admin listener (/metrics), 127.0.0.1:9090 unless AAM_ADMIN_ADDR says otherwise or off.
  local admin=${AAM_ADMIN_ADDR:-127.0.0.1:9090}
  if [ "$admin" != off ] && [[ ${admin##*:} =~ ^[0-9]+$ ]]; then
    need_free_port "${admin##*:}" "the admin listener" "AAM_ADMIN_ADDR=127.0.0.1:9091 (or off)"
  fi
  choose_run_dir
  prepare_run_dir
  take_lock
  trap 'cleanup $?' EXIT
  trap 'cleanup 0' INT TERM

  local app_pw owner_pw demo_pw
  app_pw=$(kept_secret "$RUN_DIR/app-password" random_hex 18)
  owner_pw=$(kept_secret "$RUN_DIR/owner-password" random_hex 18)
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
  AAM_SECRET_KEYS=${AAM_SECRET_KEYS:-$(kept_secret "$RUN_DIR/secret-keys" secret_keys_new)}
  if [ -z "$app_pw" ] || [ -z "$owner_pw" ] || [ -z "$demo_pw" ] || [ -z "$JWT_SECRET" ] || [ -z "$AAM_SECRET_KEYS" ]; then
    die "cannot keep secrets in $RUN_DIR"
  fi

  pg_start
  pgs_roles "$SOCK_DIR" "$PG_PORT" "$OWNER_ROLE" "$owner_pw" "$APP_ROLE" "$app_pw" "$APP_DB" >/dev/null ||
    die "could not create the database roles and the database"
  pgb_start

  # libpq's URI form with the socket folder as host= (percent-encoded unless it is plain).
  local host=$SOCK_DIR
  [[ $host =~ ^[A-Za-z0-9/._-]+$ ]] || host=$(jq -rn --arg s "$SOCK_DIR" '$s|@uri')
  export DATABASE_URL="postgresql://$APP_ROLE:$app_pw@/$APP_DB?host=$host&port=$PGB_PORT"
  export AAM_MIGRATE_DATABASE_URL="postgresql://$OWNER_ROLE:$owner_pw@/$APP_DB?host=$host&port=$PGB_PORT"
  export AAM_APP_ROLE=$APP_ROLE JWT_SECRET AAM_SECRET_KEYS
  # For `aam token`, `aam keys`, `aam sources`, psql or a second `aam serve` by hand: `. .run/env`.
  (umask 077 && printf 'export DATABASE_URL=%q\nexport AAM_MIGRATE_DATABASE_URL=%q\nexport AAM_APP_ROLE=%q\nexport JWT_SECRET=%q\nexport AAM_SECRET_KEYS=%q\n' \
    "$DATABASE_URL" "$AAM_MIGRATE_DATABASE_URL" "$APP_ROLE" "$JWT_SECRET" "$AAM_SECRET_KEYS" >"$RUN_DIR/env") ||
    die "cannot write $RUN_DIR/env"
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
