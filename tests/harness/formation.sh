# shellcheck shell=bash
# formation.sh: a pg_auto_failover formation for the failover test, beside the test stack:
# a monitor and two PostgreSQL 15 nodes (primary + synchronous standby), each node with its own
# PgBouncer (transaction mode), everything on 127.0.0.1 free ports under $FORM_DIR. Source it,
# call formation_start; formation_stop always cleans up. Up in a few seconds: the monitor's
# timeouts are tuned down (as README "Running on more than one database machine" says) and
# node1 runs CHECKPOINT before node2 joins, so pg_basebackup does not wait for a spread one.
# As root, every server runs as the `postgres` OS user (scripts/pgstack.sh's pgs_as_owner).
#   formation_missing               what is not installed ("" when everything is)
#   formation_start                 FORM_DIR, FORM_MON_PORT, FORM_PORT[1,2], FORM_PGB_PORT[1,2]
#   formation_primary               1 or 2: the node the monitor reports as primary ("" if none)
#   formation_wait_states S1 S2 SECONDS   both nodes' reported states, e.g. primary secondary
#   formation_writable N            0 when node N takes writes (out of recovery, not read-only)
#   formation_kill N                SIGKILL node N's pg_autoctl and postgres (a crash)
#   formation_psql N [psql args]    psql as the superuser on node N (Unix socket)
#   formation_autoctl ARGS...       pg_autoctl ARGS against the monitor (perform switchover, show state)

. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/pgstack.sh"
. "$(dirname "${BASH_SOURCE[0]}")/port.sh"

PG_AUTOCTL=${PG_AUTOCTL:-$(command -v pg_autoctl 2>/dev/null || echo /usr/bin/pg_autoctl)}
FORM_APP_USER=${FORM_APP_USER:-aam_app}
FORM_DB=aam

formation_missing() {
  local out
  out=$(pgs_missing)
  [ -x "$PG_AUTOCTL" ] || out="$out pg_autoctl(pg-auto-failover-cli)"
  [ -f "$("$PGBIN/pg_config" --pkglibdir 2>/dev/null)/pgautofailover.so" ] ||
    out="$out pgautofailover.so(postgresql-15-auto-failover)"
  printf '%s' "${out# }"
}

# pg_autoctl keeps its state and pid files under XDG_*: inside FORM_DIR, none in a home folder
# or in /tmp/pg_autoctl.
form__as() {
  pgs_as_owner env XDG_CONFIG_HOME="$FORM_DIR/xdg" XDG_DATA_HOME="$FORM_DIR/xdg" XDG_RUNTIME_DIR="$FORM_DIR/xdg" \
    PG_REGRESS_SOCK_DIR="$FORM_DIR/sock" PGHOST="$FORM_DIR/sock" "$@"
}

form__wait() {  # seconds command...: every 0.1 s until it succeeds
  local n=$(($1 * 10))
  shift
  while ((n-- > 0)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

formation_psql() {  # N [psql args]
  local port=${FORM_PORT[$1]}
  shift
  pgs_psql_super "$FORM_DIR/sock" "$port" "$@"
}

formation_autoctl() {
  form__as "$PG_AUTOCTL" "$@" --pgdata "$FORM_DIR/monitor"
}

form__monitor_sql() {
  pgs_psql_super "$FORM_DIR/sock" "$FORM_MON_PORT" -d pg_auto_failover -Atc "$1"
}

# form__run NAME: `pg_autoctl run` for FORM_DIR/NAME in the background, log in FORM_DIR/NAME.log.
form__run() {
  touch "$FORM_DIR/$1.log" && pgs_chown "$FORM_DIR/$1.log"
  form__as "$PG_AUTOCTL" run --pgdata "$FORM_DIR/$1" >>"$FORM_DIR/$1.log" 2>&1 &
}

# The pid of NAME's `pg_autoctl run` (its own pid file, written once it runs).
form__autoctl_pid() {
  head -1 "$FORM_DIR/xdg/pg_autoctl$FORM_DIR/$1/pg_autoctl.pid" 2>/dev/null
}

form__state() {  # N: the monitor's reported state for node N
  form__monitor_sql "SELECT reportedstate FROM pgautofailover.node WHERE nodename = 'node$1'" 2>/dev/null
}

form__states_are() { [ "$(form__state 1)" = "$1" ] && [ "$(form__state 2)" = "$2" ]; }

formation_wait_states() {  # S1 S2 SECONDS
  form__wait "$3" form__states_are "$1" "$2"
}

formation_primary() {
  local n
  for n in 1 2; do
    case $(form__state "$n") in primary | wait_primary | single) echo "$n"; return 0 ;; esac
  done
}

# Out of recovery is not enough: while the old primary may still be up, pg_auto_failover keeps
# the promoted node at default_transaction_read_only = on.
formation_writable() {  # N
  [ "$(formation_psql "$1" -d postgres -Atc \
    "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'" 2>/dev/null)" = t ]
}

# The monitor's timeouts, from 20 s health / 20 s unhealthy / 30 s demote down to 1 / 3 / 5 s:
# a crashed primary is replaced in about ten seconds instead of about fifty.
form__tune_monitor() {
  local s
  for s in 'health_check_period = 1000' 'health_check_timeout = 1000' 'health_check_max_retries = 1' \
    'health_check_retry_delay = 500' 'node_considered_unhealthy_timeout = 3000' \
    'primary_demote_timeout = 5000'; do
    form__monitor_sql "ALTER SYSTEM SET pgautofailover.$s" >/dev/null || return 1
  done
  form__monitor_sql "SELECT pg_reload_conf()" >/dev/null
}

form__create_monitor() {
  form__as "$PG_AUTOCTL" create monitor --pgdata "$FORM_DIR/monitor" --pgport "$FORM_MON_PORT" \
    --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl --pgctl "$PGBIN/pg_ctl" \
    >"$FORM_DIR/monitor.create.log" 2>&1 || { tail -20 "$FORM_DIR/monitor.create.log" >&2; return 1; }
  form__run monitor
  form__wait 30 form__monitor_sql "SELECT 1" || { tail -20 "$FORM_DIR/monitor.log" >&2; return 1; }
  form__tune_monitor
}

form__create_node() {  # N
  local n=$1 muri="postgres://autoctl_node@127.0.0.1:$FORM_MON_PORT/pg_auto_failover?sslmode=disable"
  form__as "$PG_AUTOCTL" create postgres --pgdata "$FORM_DIR/node$n" --pgport "${FORM_PORT[$n]}" \
    --hostname 127.0.0.1 --listen 127.0.0.1 --name "node$n" --dbname "$FORM_DB" --monitor "$muri" \
    --auth trust --no-ssl --pgctl "$PGBIN/pg_ctl" >"$FORM_DIR/node$n.create.log" 2>&1 ||
    { tail -20 "$FORM_DIR/node$n.create.log" >&2; return 1; }
  form__run "node$n"
}

# The app role (password as the test stack's: PgBouncer's userlist takes its SCRAM secret), owning
# the formation's database, so `aam migrate` can create the schema. On node1, before node2 copies it.
form__app_role() {
  local pw=${STACK_APP_PASSWORD//\'/\'\'}
  formation_psql 1 -d postgres -c "CREATE ROLE $FORM_APP_USER LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '$pw'" &&
    formation_psql 1 -d postgres -c "ALTER DATABASE $FORM_DB OWNER TO $FORM_APP_USER"
}

form__pgbouncer() {  # N: PgBouncer N on FORM_PGB_PORT[N], in front of node N only
  local n=$1 dir=$FORM_DIR/pgb$1
  mkdir -p "$dir" && pgs_chown "$dir"
  pgs_pgbouncer_ini "$dir" "$FORM_APP_USER" "$FORM_DIR/sock" "${FORM_PORT[$n]}" 127.0.0.1 \
    "${FORM_PGB_PORT[$n]}" '' 4 200 "admin_users = $FORM_APP_USER" || return 1
  pgs_pgb_start "$dir"
}

formation_start() {
  local n
  FORM_DIR=$(mktemp -d /tmp/aam-formation.XXXXXX)
  chmod 755 "$FORM_DIR"
  mkdir -p "$FORM_DIR/sock" "$FORM_DIR/xdg" && chmod 700 "$FORM_DIR/sock"
  pgs_chown "$FORM_DIR" "$FORM_DIR/sock" "$FORM_DIR/xdg"
  FORM_PORT=() FORM_PGB_PORT=()
  port_lock FORM_MON_PORT || return 1
  for n in 1 2; do
    port_lock "FORM_PORT[$n]" && port_lock "FORM_PGB_PORT[$n]" || return 1
  done
  STACK_APP_PASSWORD=${STACK_APP_PASSWORD:-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}
  form__create_monitor || return 1
  form__create_node 1 || return 1
  # `run` restarts the postgres that `create` stopped: wait for the state and the server.
  if ! formation_wait_states single '' 30 || ! form__wait 30 formation_psql 1 -d postgres -c 'SELECT 1'; then
    tail -20 "$FORM_DIR/node1.log" >&2
    return 1
  fi
  form__app_role >/dev/null || return 1
  formation_psql 1 -d postgres -c CHECKPOINT >/dev/null || return 1
  form__create_node 2 || return 1
  formation_wait_states primary secondary 60 || { tail -20 "$FORM_DIR/node2.log" >&2; return 1; }
  for n in 1 2; do form__pgbouncer "$n" || return 1; done
}

# formation_url direct|pgbouncer DB: the multi-host URL the service is given, node1 first.
formation_url() {
  local p1=${FORM_PORT[1]} p2=${FORM_PORT[2]}
  [ "$1" = pgbouncer ] && { p1=${FORM_PGB_PORT[1]}; p2=${FORM_PGB_PORT[2]}; }
  printf 'postgresql://%s:%s@127.0.0.1:%s,127.0.0.1:%s/%s?target_session_attrs=read-write' \
    "$FORM_APP_USER" "$STACK_APP_PASSWORD" "$p1" "$p2" "$2"
}

formation_kill() {  # N: no goodbye from anything on that node, as a power cut would do
  local n=$1 pid pm
  pid=$(form__autoctl_pid "node$n")
  pm=$(head -1 "$FORM_DIR/node$n/postmaster.pid" 2>/dev/null)
  [ -n "$pid" ] && kill -KILL "$pid" $(pgrep -P "$pid") 2>/dev/null
  [ -n "$pm" ] && kill -KILL "$pm" 2>/dev/null
  [ -z "$pm" ] || form__wait 10 eval "! kill -0 $pm"
}

formation_stop() {
  [ -n "${FORM_DIR:-}" ] && [ -d "$FORM_DIR" ] || return 0
  local name pid pm
  for name in pgb1 pgb2; do [ -d "$FORM_DIR/$name" ] && pgs_pgb_stop "$FORM_DIR/$name"; done
  for name in node2 node1 monitor; do
    pid=$(form__autoctl_pid "$name")
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  done
  for name in node2 node1 monitor; do
    pid=$(form__autoctl_pid "$name")
    [ -n "$pid" ] && form__wait 15 eval "! kill -0 $pid"
    pm=$(head -1 "$FORM_DIR/$name/postmaster.pid" 2>/dev/null)
    [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null && pgs_pg_stop "$FORM_DIR/$name" immediate
  done
  if [ "${AAM_TEST_KEEP:-0}" = 1 ]; then echo "# kept $FORM_DIR" >&2; else rm -rf "$FORM_DIR"; fi
}
