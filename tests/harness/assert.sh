#!/usr/bin/env bash
# assert.sh: a small TAP-style assertion kit for HTTP tests.
#   req METHOD PATH [curl args...]  -> STATUS, BODY, HDRS (a file with the response headers)
#   check "desc" command...         -> ok/not ok, by the command's exit status
#   expect_status CODE "desc"; expect_jq 'filter' 'expected' "desc"; hdr Name; finish
#   need "desc" command... / give_up "desc" (a precondition: stops the test as a failure)
#   poll_until SECONDS command... (wait for an event with a deadline)

# The stack controls (stack_pgb_admin, stack_pg_restart, …) for tests that need them.
. "$(dirname "${BASH_SOURCE[0]}")/stack.sh"

T_PASS=0
T_FAIL=0
HDRS=$(mktemp /tmp/aam-hdrs.XXXXXX)
BODY_FILE=$(mktemp /tmp/aam-body.XXXXXX)

req() {
  local method=$1 path=$2; shift 2
  STATUS=$(curl -s -o "$BODY_FILE" -D "$HDRS" -w '%{http_code}' --path-as-is -X "$method" \
    --max-time 30 "$@" "$BASE_URL$path")
  BODY=$(cat "$BODY_FILE")
}

hdr() {  # the value of response header $1 (case-insensitive), without CR
  grep -i "^$1:" "$HDRS" | head -1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'
}

t__report() {  # status desc
  if [ "$1" = 0 ]; then
    T_PASS=$((T_PASS + 1)); echo "ok - $2"
  else
    T_FAIL=$((T_FAIL + 1)); echo "not ok - $2"
    [ -n "${STATUS:-}" ] && echo "#   last response: HTTP $STATUS $(printf '%s' "${BODY:-}" | head -c 400)"
  fi
}

check() {
  local desc=$1; shift
  "$@" >/dev/null 2>&1
  t__report $? "$desc"
}

expect_status() {
  [ "$STATUS" = "$1" ]
  t__report $? "$2 (HTTP $1)"
}

expect_jq() {  # filter expected desc
  local got
  got=$(printf '%s' "$BODY" | jq -r "$1" 2>/dev/null)
  if [ "$got" = "$2" ]; then t__report 0 "$3"; else t__report 1 "$3 ($1: expected '$2', got '$got')"; fi
}

# need "desc" command...: a precondition. When the command fails the test reports "not ok",
# shows the command's output, and stops with a failure: what follows would check nothing.
need() {
  local desc=$1 out rc; shift
  out=$("$@" 2>&1); rc=$?
  t__report "$rc" "$desc"
  ((rc == 0)) && return 0
  printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
  finish; exit 1
}

# give_up "desc": a precondition that failed: report it and stop the test as a failure.
give_up() { t__report 1 "$1"; finish; exit 1; }

# need_migrated: the schema is in place (aam migrate on DATABASE_URL), or the test stops.
need_migrated() { need "aam migrate applies the migrations" "$AAM_BIN" migrate; }

# poll_until SECONDS command...: runs the command every 0.05 s until it succeeds (0) or the
# deadline passes (1). For waiting on an event, where a fixed sleep would only guess.
poll_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.05
  done
}

finish() {
  rm -f "$HDRS" "$BODY_FILE"
  if [ "$T_FAIL" -gt 0 ] && [ -n "${SERVER_LOG:-}" ] && [ -f "$SERVER_LOG" ]; then
    echo "# server log (last 40 lines):"
    tail -40 "$SERVER_LOG" | sed 's/^/#   /'
  fi
  [ -n "${SERVER_PID:-}" ] && server_stop
  [ -n "${SERVER_LOG:-}" ] && rm -f "$SERVER_LOG"
  echo "# $T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
