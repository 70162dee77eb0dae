#!/usr/bin/env bash
# The demo's acceptance (tests/smoke.sh) twice: first against `aam migrate && aam seed && aam
# serve` on the harness's PgBouncer, then against `make run`'s own stack (scripts/run-local.sh
# in a scratch copy of the repository), stopped and started again to show the data and the
# demo password survive. Negative controls show the smoke script can fail.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

SMOKE=$REPO_ROOT/tests/smoke.sh
DEMO_PW=smoke-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

smoke() {  # BASE_URL PASSWORD: runs tests/smoke.sh, output in SMOKE_OUT, status in SMOKE_RC
  SMOKE_OUT=$(BASE_URL=$1 AAM_DEMO_PASSWORD=$2 bash "$SMOKE" 2>&1)
  SMOKE_RC=$?
  printf '%s\n' "$SMOKE_OUT" | sed 's/^/#   /'
}
count() { printf '%s\n' "$SMOKE_OUT" | grep -c "^$1 " ; }

# --- part 1: the commands by hand, as the deploy pipeline runs them
check "aam migrate on an empty database" "$AAM_BIN" migrate
check "aam seed with AAM_DEMO_PASSWORD" env AAM_DEMO_PASSWORD="$DEMO_PW" "$AAM_BIN" seed
check "aam seed again (idempotent), with another AAM_DEMO_PASSWORD" \
  env AAM_DEMO_PASSWORD=other-password-123 "$AAM_BIN" seed
# shellcheck disable=SC2119  # no extra environment for this server
server_start || { echo "not ok - server start"; finish; exit 1; }

smoke "$BASE_URL" "$DEMO_PW"
check "tests/smoke.sh passes against the seeded demo (exit 0)" test "$SMOKE_RC" = 0
check "…with 4 steps marked ✓ and none ✗" test "$(count ✓)" = 4 -a "$(count ✗)" = 0

# The seed keeps an existing user's password: the second seed's password must not log in.
smoke "$BASE_URL" other-password-123
check "a later seed did not change the demo password (smoke fails with it)" test "$SMOKE_RC" != 0
check "…the login step is the one marked ✗" grep -q '^✗ POST /api/v1/auth/login' <<<"$SMOKE_OUT"
check "…the 401 and /ready steps still pass" test "$(count ✓)" = 2

out=$(env -u AAM_DEMO_PASSWORD BASE_URL="$BASE_URL" bash "$SMOKE" 2>&1); rc=$?
check "smoke.sh without AAM_DEMO_PASSWORD exits 2 with a usage line" test "$rc" = 2 -a -n "$(grep usage <<<"$out")"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
smoke "http://127.0.0.1:$port" "$DEMO_PW"
check "smoke.sh against a port nothing listens on fails every step" \
  test "$SMOKE_RC" != 0 -a "$(count ✗)" = 4 -a "$(count ✓)" = 0
server_stop

# --- part 2: make run's stack (scripts/run-local.sh) in a scratch copy of the repository
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RL=$(mktemp -d /tmp/aam-runlocal.XXXXXX)
chmod 755 "$RL"
mkdir -p "$RL/scripts"
cp "$REPO_ROOT/scripts/run-local.sh" "$RL/scripts/"
for d in migrations seeds mock_sources; do [ -d "$REPO_ROOT/$d" ] && cp -r "$REPO_ROOT/$d" "$RL/"; done
RL_PORT=$(free_port) RL_PG=$(free_port) RL_PGB=$(free_port)
RL_PID=""

run_local_start() {  # starts run-local.sh in the background; 0 once it prints its banner
  (cd "$RL" && exec env -u DATABASE_URL -u JWT_SECRET -u AAM_DEMO_PASSWORD PORT="$RL_PORT" \
    AAM_RUN_PG_PORT="$RL_PG" AAM_RUN_PGBOUNCER_PORT="$RL_PGB" AAM_ADMIN_ADDR="127.0.0.1:$(free_port)" \
    scripts/run-local.sh "$AAM_BIN" \
    >"$RL/out-$1.log" 2>&1) &
  RL_PID=$!
  local n=900
  while ((n-- > 0)); do
    grep -q 'Ctrl-C stops' "$RL/out-$1.log" 2>/dev/null && return 0
    kill -0 "$RL_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "# run-local.sh did not come up; its output:"; sed 's/^/#   /' "$RL/out-$1.log"
  return 1
}
run_local_stop() {  # SIGTERM (what Ctrl-C does, for a background job); returns its status
  local rc=0
  [ -n "$RL_PID" ] || return 0
  kill -TERM "$RL_PID" 2>/dev/null
  wait "$RL_PID" || rc=$?
  RL_PID=""
  return "$rc"
}
pg_down() { ! setpriv_if_root "/usr/lib/postgresql/15/bin/pg_ctl" -D "$RL/.run/pgdata" status >/dev/null 2>&1; }
setpriv_if_root() {
  if [ "$(id -u)" = 0 ]; then (cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"); else "$@"; fi
}

if run_local_start 1; then
  check "make run: first start prints the URL" grep -q "http://localhost:$RL_PORT" "$RL/out-1.log"
  pw1=$(cat "$RL/.run/demo-password" 2>/dev/null)
  check "make run: the demo password is kept in .run/demo-password, mode 600" \
    test -n "$pw1" -a "$(stat -c %a "$RL/.run/demo-password")" = 600
  check "make run: the banner shows the demo login and a curl line" \
    sh -c "grep -q 'demo@autonomos.local / $pw1' '$RL/out-1.log' && grep -q 'curl -s -X POST' '$RL/out-1.log'"
  smoke "http://127.0.0.1:$RL_PORT" "$pw1"
  check "make run: tests/smoke.sh passes against it" test "$SMOKE_RC" = 0
  pgb_pid=$(cat "$RL/.run/pgbouncer/pgbouncer.pid" 2>/dev/null)
  check "make run: its PgBouncer runs in transaction mode" \
    grep -q '^pool_mode = transaction' "$RL/.run/pgbouncer/pgbouncer.ini"
  su=$(/usr/lib/postgresql/15/bin/psql -X -h "$RL/.run/sock" -p "$RL_PG" -U postgres -d postgres -Atc \
    "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'aam_app'" 2>&1)
  check "make run: the app role is neither superuser nor BYPASSRLS (RLS binds it)" test "$su" = f
else
  check "make run: first start" false
fi
run_local_stop; rc=$?
check "make run: SIGTERM stops it with status 0" test "$rc" = 0
check "make run: PostgreSQL is stopped afterwards" pg_down
check "make run: PgBouncer is stopped afterwards" sh -c "! kill -0 ${pgb_pid:-0} 2>/dev/null"

if run_local_start 2; then
  check "make run again: no new initdb (the data is reused)" sh -c "! grep -q initialising '$RL/out-2.log'"
  check "make run again: the same demo password" grep -q "demo@autonomos.local / ${pw1:-none}" "$RL/out-2.log"
  smoke "http://127.0.0.1:$RL_PORT" "${pw1:-none}"
  check "make run again: tests/smoke.sh passes (demo user kept)" test "$SMOKE_RC" = 0
else
  check "make run: second start" false
fi
run_local_stop
check "make run again: PostgreSQL is stopped afterwards" pg_down
rm -rf "$RL"

finish
