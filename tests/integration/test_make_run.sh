#!/usr/bin/env bash
# `make run` in a scratch copy of the repository, with a normal user's PATH (no /usr/sbin, no
# PostgreSQL bin folder), while other processes hold TCP 55432 and 56432 (its old ports, inside
# the kernel's ephemeral range) and 5432/6432: PostgreSQL and PgBouncer must listen on Unix
# sockets in .run/ only. Then: the URL line last, DATABASE_URL with the socket folder as host=
# (accepted by the aam commands, password redacted in their log), tests/smoke.sh and the
# README's curl walk-through against it, Ctrl-C (SIGTERM) stopping everything, a second start
# reusing the data and the password, and a busy API port named in one line.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/makerun.sh"

SMOKE=$REPO_ROOT/tests/smoke.sh
RL=$(mktemp -d /tmp/aam-makerun.XXXXXX)
HOLDER_PID=""
cleanup() {
  mr_stop >/dev/null 2>&1
  [ -n "$HOLDER_PID" ] && kill "$HOLDER_PID" 2>/dev/null
  [ -L "$RL/repo/.run" ] && rm -rf "$(readlink -f "$RL/repo/.run")"
  rm -rf "$RL"
}
trap cleanup EXIT

listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# Hold the ports; a port someone else already holds is held all the same.
python3 -c '
import socket, sys, time
held = []
# 55432 and 56432 lie in the ephemeral range: a client socket of another program (or one in
# TIME_WAIT) may hold one for a moment. SO_REUSEADDR binds over TIME_WAIT; retry a few seconds.
for p in map(int, sys.argv[1:]):
    for _ in range(50):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", p)); s.listen(); held.append(s); break
        except OSError:
            s.close()
            time.sleep(0.1)
print("holding", flush=True)
time.sleep(3600)' 55432 56432 5432 6432 >"$RL.holder" 2>&1 &
HOLDER_PID=$!
for _ in $(seq 300); do grep -q holding "$RL.holder" 2>/dev/null && break; sleep 0.1; done
rm -f "$RL.holder"
all_held() { listening 55432 && listening 56432 && listening 5432 && listening 6432; }
check "precondition: TCP 55432, 56432, 5432 and 6432 are all held by other processes" all_held

mr_copy "$RL/repo"
mr_free_port PORT_API || give_up "reserve a port"

if mr_start 1 PORT="$PORT_API" AAM_ADMIN_ADDR=off; then
  out=$MR_DIR/out-1.log
  check "make run comes up with a normal user's PATH ($MR_PATH) while those ports are held" true
  last=$(grep -v '^$' "$out" | tail -1)
  check "its last line is the URL: 'AAM is running: http://localhost:$PORT_API …'" \
    grep -q "^AAM is running: http://localhost:$PORT_API " <<<"$last"
  check "it says the API listens on 127.0.0.1 only" grep -q "the API listens on 127.0.0.1 only" "$out"
  check "…and the API does not answer on another address of this machine (127.0.0.2)" \
    sh -c "! curl -s -m 5 -o /dev/null http://127.0.0.2:$PORT_API/health"
  pw1=$(cat "$MR_DIR/.run/demo-password" 2>/dev/null)
  check "the line before it is the demo login with the password kept in .run/demo-password (mode 600)" \
    sh -c "grep -v '^\$' '$out' | tail -2 | head -1 | grep -qF 'demo login: demo@autonomos.local / $pw1' &&
      test \"\$(stat -c %a '$MR_DIR/.run/demo-password')\" = 600"

  RUN=$(readlink -f "$MR_DIR/.run")  # .run, or where it links to when postgres cannot enter the copy
  pg_pid=$(head -1 "$MR_DIR/.run/pgdata/postmaster.pid" 2>/dev/null)
  pgb_pid=$(cat "$MR_DIR/.run/pgbouncer/pgbouncer.pid" 2>/dev/null)
  check "PostgreSQL and PgBouncer are running (pids $pg_pid, $pgb_pid)" \
    sh -c "kill -0 ${pg_pid:-none} && kill -0 ${pgb_pid:-none}"
  tcp=$(ss -Hltnp 2>/dev/null | grep -E "pid=(${pg_pid:-x}|${pgb_pid:-x}),")
  [ -n "$tcp" ] && printf '#   %s\n' "$tcp"
  check "neither listens on any TCP port" test -z "$tcp"
  unix=$(ss -Hlxp 2>/dev/null | grep -E "pid=(${pg_pid:-x}|${pgb_pid:-x}),")
  both_sockets() { grep -qF "$RUN/sock/.s.PGSQL.5432 " <<<"$unix" && grep -qF "$RUN/sock/.s.PGSQL.6432 " <<<"$unix"; }
  check "both listen on Unix sockets in .run/sock (.s.PGSQL.5432, .s.PGSQL.6432)" both_sockets
  check "the socket folder is closed to other users (mode 700)" test "$(stat -c %a "$RUN/sock")" = 700
  check "its PgBouncer runs in transaction mode with no TCP listener configured" \
    sh -c "grep -q '^pool_mode = transaction' '$MR_DIR/.run/pgbouncer/pgbouncer.ini' &&
      grep -q '^listen_addr = \$' '$MR_DIR/.run/pgbouncer/pgbouncer.ini'"

  # DATABASE_URL, as make run hands it to the aam commands (.run/env)
  # shellcheck source=/dev/null  # written by make run
  url=$(. "$MR_DIR/.run/env" && printf '%s' "$DATABASE_URL")
  app_pw=$(cat "$MR_DIR/.run/app-password")
  check "DATABASE_URL names the socket folder as host= (${url/$app_pw/***})" \
    grep -q "^postgresql://aam_app:$app_pw@/aam?host=$RUN/sock&port=6432\$" <<<"$url"
  # shellcheck source=/dev/null  # written by make run
  keys=$(. "$MR_DIR/.run/env" && printf '%s' "$AAM_SECRET_KEYS")
  check "make run keeps AAM_SECRET_KEYS in .run/secret-keys (mode 600) and hands it on in .run/env" \
    sh -c 'test "$(stat -c %a "$1")" = 600 && test "$(cat "$1")" = "$2" &&
      printf "%s" "$2" | grep -Eq "^k1:[A-Za-z0-9+/]{43}=\$"' _ "$MR_DIR/.run/secret-keys" "$keys"
  # shellcheck source=/dev/null  # written by make run
  owner_url=$(. "$MR_DIR/.run/env" && printf '%s' "$AAM_MIGRATE_DATABASE_URL")
  owner_pw=$(cat "$MR_DIR/.run/owner-password")
  check "AAM_MIGRATE_DATABASE_URL names the owner role aam_owner, the same socket" \
    grep -q "^postgresql://aam_owner:$owner_pw@/aam?host=$RUN/sock&port=6432\$" <<<"$owner_url"
  mig=$(cd "$MR_DIR" && env -i PATH="$MR_PATH" DATABASE_URL="$url" AAM_MIGRATE_DATABASE_URL="$owner_url" \
    AAM_SECRET_KEYS="$keys" "$AAM_BIN" migrate 2>&1); rc=$?
  check "aam migrate accepts them and reaches the database through PgBouncer's socket (exit 0)" test "$rc" = 0
  redacted() {
    grep -qF "$RUN/sock:6432/aam user=aam_owner (password ***)" <<<"$mig" &&
      ! grep -qF "$app_pw" <<<"$mig" && ! grep -qF "$owner_pw" <<<"$mig" && ! grep -qF "${keys#k1:}" <<<"$mig"
  }
  check "…its log shows the socket folder and the password redacted (***), never a password or key" redacted
  su=$(pgs_psql_super "$RUN/sock" 5432 -d postgres -Atc \
    "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'aam_app'" 2>&1)
  check "the app role is neither superuser nor BYPASSRLS (RLS binds it)" test "$su" = f
  owns=$(pgs_psql_super "$RUN/sock" 5432 -d aam -Atc "SELECT pg_get_userbyid(d.datdba) || '|' ||
    (SELECT count(*) FROM pg_class c WHERE c.relowner = 'aam_app'::regrole) FROM pg_database d
    WHERE d.datname = 'aam'" 2>&1)
  check "aam_owner owns the database and the app role owns no table ($owns)" test "$owns" = "aam_owner|0"

  SMOKE_OUT=$(BASE_URL="http://127.0.0.1:$PORT_API" AAM_DEMO_PASSWORD=$pw1 bash "$SMOKE" 2>&1)
  rc=$?
  printf '%s\n' "$SMOKE_OUT" | sed 's/^/#   /'
  check "tests/smoke.sh passes against it" test "$rc" = 0
  mr_walk "http://127.0.0.1:$PORT_API"
else
  check "make run comes up with a normal user's PATH while 55432/56432 are held" false
fi
mr_stop; rc=$?
check "SIGTERM (Ctrl-C) stops make run with status 0" test "$rc" = 0
gone() {  # PID: 0 once no such process (polls: an exiting process is reaped by init a moment later)
  [ -n "$1" ] || return 1
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
check "PostgreSQL is stopped afterwards" gone "${pg_pid:-}"
check "PgBouncer is stopped afterwards" gone "${pgb_pid:-}"

if mr_start 2 PORT="$PORT_API" AAM_ADMIN_ADDR=off; then
  check "make run again: no new initdb (the data is reused)" sh -c "! grep -q initialising '$MR_DIR/out-2.log'"
  check "make run again: the same demo password" grep -qF "demo@autonomos.local / ${pw1:-none}" "$MR_DIR/out-2.log"
  SMOKE_OUT=$(BASE_URL="http://127.0.0.1:$PORT_API" AAM_DEMO_PASSWORD=${pw1:-none} bash "$SMOKE" 2>&1)
  check "make run again: tests/smoke.sh passes (demo user kept)" test "$?" = 0
else
  check "make run: second start" false
fi
mr_stop; rc=$?
check "make run again: stopped with status 0" test "$rc" = 0

# A busy API port: one line naming the port, what holds it when we may know, and what to do.
busy=""
mr_free_port busy || give_up "reserve a port"
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("0.0.0.0",int(sys.argv[1]))); s.listen(); print("up",flush=True); time.sleep(600)' \
  "$busy" >"$RL/busy.out" 2>&1 &
busy_pid=$!
for _ in $(seq 50); do grep -q up "$RL/busy.out" 2>/dev/null && break; sleep 0.1; done
err=$(mr_as PORT="$busy" AAM_ADMIN_ADDR=off "$MR_DIR/scripts/run-local.sh" "$AAM_BIN" 2>&1 >/dev/null); rc=$?
kill "$busy_pid" 2>/dev/null; wait "$busy_pid" 2>/dev/null
printf '#   %s\n' "$err"
check "a busy API port stops make run (exit 1)" test "$rc" = 1
one_line() { [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && grep -q "port $busy (the API) is busy" <<<"$err" && grep -q "$2" <<<"$err"; }
check "…with one line naming the port and the variable to change" one_line "$busy" 'PORT=8090 make run'
# The admin listener's port (AAM_ADMIN_ADDR), the same way.
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); print("up",flush=True); time.sleep(600)' \
  "$busy" >"$RL/busy.out" 2>&1 &
busy_pid=$!
for _ in $(seq 50); do grep -q up "$RL/busy.out" 2>/dev/null && break; sleep 0.1; done
api_port=""
mr_free_port api_port || give_up "reserve a port"
err=$(mr_as PORT="$api_port" AAM_ADMIN_ADDR="127.0.0.1:$busy" "$MR_DIR/scripts/run-local.sh" "$AAM_BIN" 2>&1 >/dev/null); rc=$?
kill "$busy_pid" 2>/dev/null; wait "$busy_pid" 2>/dev/null
printf '#   %s\n' "$err"
admin_line() { [ "$rc" = 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && grep -q "port $busy (the admin listener) is busy" <<<"$err"; }
check "a busy admin port (AAM_ADMIN_ADDR) stops make run with one line naming it" admin_line

finish
