# shellcheck shell=bash
# pgstack.sh: the one bootstrap of a PostgreSQL 15 + PgBouncer (transaction mode) pair, sourced
# by scripts/run-local.sh (`make run`: Unix sockets only) and tests/harness/stack.sh (the test
# stack: 127.0.0.1 on free ports). It only defines functions and finds programs; the caller
# chooses the folders, ports and what listens where.
#
# Programs are looked up where Debian installs them, not only on PATH: a normal user's PATH
# (/usr/local/bin:/usr/bin:/bin) has neither /usr/sbin (pgbouncer) nor
# /usr/lib/postgresql/15/bin (initdb, pg_ctl). PGBIN and PGBOUNCER override the lookup.
# PostgreSQL and PgBouncer refuse to run as root: as root, both run as the `postgres` OS user.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGBOUNCER=${PGBOUNCER:-$(command -v pgbouncer 2>/dev/null ||
  for d in /usr/sbin /usr/local/sbin /sbin; do [ -x "$d/pgbouncer" ] && { echo "$d/pgbouncer"; break; }; done)}

# pgs_missing: prints what is missing to run the pair, as "program (package)" words; empty when
# all is there. The packages are the ones scripts/deps.sh installs.
pgs_missing() {
  local p out=""
  for p in initdb pg_ctl psql; do
    [ -x "$PGBIN/$p" ] || out="$out $PGBIN/$p(postgresql-15)"
  done
  [ -n "$PGBOUNCER" ] && [ -x "$PGBOUNCER" ] || out="$out pgbouncer(pgbouncer)"
  if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null 2>&1 || out="$out setpriv(util-linux)"
    id postgres >/dev/null 2>&1 || out="$out user-postgres(postgresql)"
  fi
  printf '%s' "${out# }"
}

# pgs_require WHO: stops with one line saying what is missing and what to run.
pgs_require() {
  local miss
  miss=$(pgs_missing)
  [ -z "$miss" ] && return 0
  local fix="scripts/deps.sh"
  [ "$(id -u)" = 0 ] || fix="sudo scripts/deps.sh"
  printf '%s: missing %s; run: %s\n' "$1" "$miss" "$fix" >&2
  return 1
}

# pgs_as_owner CMD...: runs CMD as the OS user that owns the servers (postgres when we are
# root, else ourselves), from / so that initdb and pg_ctl do not trip over a current folder
# that user cannot enter.
pgs_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
  else
    "$@"
  fi
}

pgs_chown() {  # FILE...: hand files to the servers' owner when we are root
  [ "$(id -u)" = 0 ] || return 0
  chown postgres:postgres "$@"
}

# pgs_initdb DATA LOG: a new cluster, superuser `postgres`.
pgs_initdb() {
  local data=$1 log=$2
  mkdir -p "$data" && chmod 700 "$data" && pgs_chown "$data" || return 1
  pgs_as_owner "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$log" 2>&1 ||
    { cat "$log" >&2; return 1; }
}

# pgs_configure DATA SOCKDIR LISTEN PORT [EXTRA-LINE...]: the settings this project needs, in
# DATA/aam.conf (rewritten every start, so a changed socket folder or port takes effect).
# LISTEN '' = no TCP at all (Unix socket only); PORT also names the socket (.s.PGSQL.PORT).
pgs_configure() {
  local data=$1 sock=$2 listen=$3 port=$4 line
  shift 4
  {
    printf "listen_addresses = '%s'\n" "$listen"
    printf 'port = %s\n' "$port"
    printf "unix_socket_directories = '%s'\n" "$sock"
    printf 'unix_socket_permissions = 0700\n'
    printf 'password_encryption = scram-sha-256\n'
    printf 'max_connections = 100\n'
    printf 'synchronous_commit = off\n'
    for line in "$@"; do printf '%s\n' "$line"; done
  } >"$data/aam.conf"
  # The superuser `postgres` logs in over the socket without a password (the socket folder's
  # mode keeps everyone else out); every other role logs in with SCRAM, over the socket and
  # (when TCP is on) from 127.0.0.1 only. Rewritten too, so an older cluster gets these rules.
  cat >"$data/pg_hba.conf" <<HBA
local all postgres trust
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
HBA
  grep -q "^include_if_exists = 'aam.conf'" "$data/postgresql.conf" ||
    printf "\ninclude_if_exists = 'aam.conf'\n" >>"$data/postgresql.conf"
  pgs_chown "$data/aam.conf" "$data/pg_hba.conf"
}

pgs_pg_running() { pgs_as_owner "$PGBIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

pgs_pg_start() {  # DATA LOG
  touch "$2" && pgs_chown "$2"
  pgs_as_owner "$PGBIN/pg_ctl" -D "$1" -l "$2" -w -t 60 start >/dev/null ||
    { tail -20 "$2" >&2; return 1; }
}

pgs_pg_stop() {  # DATA [MODE]
  pgs_as_owner "$PGBIN/pg_ctl" -D "$1" -m "${2:-fast}" -w stop >/dev/null 2>&1
}

# pgs_psql_super SOCKDIR PORT [psql args]: psql as the superuser over the Unix socket.
pgs_psql_super() {
  local sock=$1 port=$2
  shift 2
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres "$@"
}

# pgs_login_role SOCKDIR PORT ROLE PASSWORD: a login role that is no superuser and has no
# BYPASSRLS (row-level security binds it), with this password. Idempotent.
pgs_login_role() {
  local sock=$1 port=$2 role=$3 pw=${4//\'/\'\'}
  if [ -z "$(pgs_psql_super "$sock" "$port" -d postgres -Atc "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]; then
    pgs_psql_super "$sock" "$port" -d postgres -c "CREATE ROLE $role LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE" || return 1
  fi
  pgs_psql_super "$sock" "$port" -d postgres -c "ALTER ROLE $role LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '$pw'"
}

# pgs_roles SOCKDIR PORT OWNER OWNER-PASSWORD APP APP-PASSWORD DB: the two roles of the service.
# OWNER owns database DB, so `aam migrate` (AAM_MIGRATE_DATABASE_URL) creates and owns the schema;
# APP is what `aam serve` logs in as (DATABASE_URL): it owns nothing, and `aam migrate` grants it
# DML only. A database an older `make run` made, owned by APP, is handed to OWNER with all that
# APP owned in it. Idempotent.
pgs_roles() {
  local sock=$1 port=$2 owner=$3 owner_pw=$4 app=$5 app_pw=$6 db=$7
  pgs_login_role "$sock" "$port" "$owner" "$owner_pw" || return 1
  pgs_login_role "$sock" "$port" "$app" "$app_pw" || return 1
  pgs_db_owner "$sock" "$port" "$owner" "$app" "$db"
}

# pgs_db_owner SOCKDIR PORT OWNER APP DB: database DB exists and OWNER owns it; when APP owned
# it (one role did everything before), everything APP owned in it becomes OWNER's.
pgs_db_owner() {
  local sock=$1 port=$2 owner=$3 app=$4 db=$5 dba
  dba=$(pgs_psql_super "$sock" "$port" -d postgres -Atc \
    "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$db'") || return 1
  if [ -z "$dba" ]; then
    pgs_psql_super "$sock" "$port" -d postgres -c "CREATE DATABASE \"$db\" OWNER $owner" || return 1
  elif [ "$dba" = "$app" ]; then
    pgs_psql_super "$sock" "$port" -d "$db" -c "ALTER DATABASE \"$db\" OWNER TO $owner" \
      -c "REASSIGN OWNED BY $app TO $owner" || return 1
  fi
}

# pgs_pgbouncer_ini DIR ROLES PG-SOCKDIR PG-PORT LISTEN-ADDR LISTEN-PORT SOCKDIR POOL MAXCLIENT [EXTRA...]
# Writes DIR/pgbouncer.ini and DIR/userlist.txt (each role's SCRAM secret, read from
# PostgreSQL; ROLES is space-separated) for a PgBouncer in transaction mode that forwards every database to PostgreSQL
# over its Unix socket (both run as the same OS user). LISTEN-ADDR '' = no TCP; SOCKDIR '' =
# no Unix socket.
# Pid file and log: DIR/pgbouncer.pid, DIR/pgbouncer.log.
pgs_pgbouncer_ini() {
  local dir=$1 roles=$2 pgsock=$3 pgport=$4 addr=$5 lport=$6 sock=$7 pool=$8 maxc=$9 scram line role
  shift 9
  (umask 077 && : >"$dir/userlist.txt")
  for role in $roles; do
    scram=$(pgs_psql_super "$pgsock" "$pgport" -d postgres -Atc \
      "SELECT rolpassword FROM pg_authid WHERE rolname = '$role'") || return 1
    [ -n "$scram" ] || { echo "pgstack: role $role has no password" >&2; return 1; }
    printf '"%s" "%s"\n' "$role" "$scram" >>"$dir/userlist.txt"
  done
  {
    printf '[databases]\n* = host=%s port=%s\n\n[pgbouncer]\n' "$pgsock" "$pgport"
    printf 'listen_addr = %s\nlisten_port = %s\nunix_socket_dir = %s\nunix_socket_mode = 0700\n' \
      "$addr" "$lport" "$sock"
    printf 'auth_type = scram-sha-256\nauth_file = %s/userlist.txt\n' "$dir"
    printf 'pool_mode = transaction\ndefault_pool_size = %s\nmax_client_conn = %s\n' "$pool" "$maxc"
    # After a failed server login PgBouncer waits server_login_retry (15 s by default) before
    # trying again, failing every client meanwhile: a query that arrives while PostgreSQL
    # restarts (a webhook or check poll) would hold the whole service at 503 that long.
    printf 'server_login_retry = 1\n'
    printf 'logfile = %s/pgbouncer.log\npidfile = %s/pgbouncer.pid\n' "$dir" "$dir"
    for line in "$@"; do printf '%s\n' "$line"; done
  } >"$dir/pgbouncer.ini"
  pgs_chown "$dir/userlist.txt" "$dir/pgbouncer.ini"
}

pgs_pgb_pid() { cat "$1/pgbouncer.pid" 2>/dev/null; }

# pgs_pgb_start DIR: starts PgBouncer in the background (-d); 0 once its pid file names a
# live pgbouncer process.
pgs_pgb_start() {
  local dir=$1 pid
  touch "$dir/pgbouncer.log" && pgs_chown "$dir/pgbouncer.log"
  pgs_as_owner "$PGBOUNCER" -d "$dir/pgbouncer.ini" >/dev/null 2>&1 || { tail -5 "$dir/pgbouncer.log" >&2; return 1; }
  for _ in $(seq 100); do
    pid=$(pgs_pgb_pid "$dir")
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pgbouncer ] && return 0
    sleep 0.1
  done
  echo "pgstack: PgBouncer wrote no pid file; its log:" >&2
  tail -5 "$dir/pgbouncer.log" >&2
  return 1
}

# pgs_pgb_stop DIR [SIGNAL]: stops the PgBouncer whose pid file is in DIR and waits for it.
pgs_pgb_stop() {
  local dir=$1 pid
  pid=$(pgs_pgb_pid "$dir")
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pgbouncer ]; then
    kill "-${2:-TERM}" "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$dir/pgbouncer.pid"
}
