#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2153  # server_start takes optional VAR=value arguments; BODY comes from assert.sh
# Shutdown that drains (contract, Operations): SIGTERM while keep-alive clients loop on /ready
# and on an authenticated list, several times over; every request sent is answered, the
# process exits 0 (never an abort), the listener refuses new connections at once, and a login
# whose body is half-sent when the signal arrives still gets its answer.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

LOAD="$REPO_ROOT/tests/harness/httpload.py"
need_migrated
TMP=$(mktemp -d /tmp/aam-shutdown.XXXXXX)

server_start || give_up "server start"
req POST /api/v1/auth/register -H 'Content-Type: application/json' \
  --data-binary '{"email":"drain@example.com","password":"drain-password-1","namespace":"drain"}'
expect_status 201 "register the test user"
req POST /api/v1/auth/login -H 'Content-Type: application/json' \
  --data-binary '{"email":"drain@example.com","password":"drain-password-1"}'
TOKEN=$(printf '%s' "$BODY" | jq -r .access_token)
check "login gives a token" test -n "$TOKEN" -a "$TOKEN" != null
server_stop; rm -f "$SERVER_LOG"

# waits until the server has answered at least N requests (its access log), so the signal
# lands in the middle of the traffic, not before it
wait_traffic() {  # N
  local n=200
  while ((n-- > 0)); do
    (($(grep -c '"status":200' "$SERVER_LOG" 2>/dev/null || echo 0) >= $1)) && return 0
    sleep 0.05
  done
  return 1
}

# One round: C keep-alive clients on PATH until the listener refuses them; SIGTERM once traffic
# flows; then the verdicts. Several rounds, because the abort this replaces was a race.
round() {  # NAME PATH [--header H]
  local name=$1 path=$2; shift 2
  server_start || { t__report 1 "$name: server start"; return; }
  python3 "$LOAD" loop "$BASE_URL$path" --clients 4 --until-refused --max-seconds 30 "$@" \
    >"$TMP/load.json" 2>"$TMP/load.err" &
  local load=$!
  wait_traffic 40 || echo "# $name: little traffic before the signal"
  local t0 pid=$SERVER_PID rc=0
  t0=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  local ms=$((($(date +%s%N) - t0) / 1000000))
  SERVER_PID=""
  wait "$load"
  local sum
  sum=$(cat "$TMP/load.json")
  check "$name: exit status 0 after SIGTERM under keep-alive load (got $rc, in $ms ms)" test "$rc" = 0
  check "$name: no abort in the log" sh -c "! grep -qiE 'fatal error|abort|suspended connections' '$SERVER_LOG'"
  check "$name: exited within 10 s ($ms ms)" test "$ms" -lt 10000
  check "$name: the load really ran ($(jq -c '{sent,answered,by_status,closed_by_server,refused}' <<<"$sum"))" \
    test "$(jq .answered <<<"$sum")" -ge 40
  check "$name: every request sent was answered (lost: $(jq -c .lost_detail <<<"$sum"))" \
    test "$(jq .lost <<<"$sum")" = 0 -a "$(jq .sent <<<"$sum")" = "$(jq .answered <<<"$sum")"
  check "$name: every answer was 200 (unexpected: $(jq -c .unexpected_detail <<<"$sum"))" \
    test "$(jq .unexpected <<<"$sum")" = 0
  check "$name: clients were told Connection: close or refused, none hung" \
    test "$(jq '.closed_by_server + .refused' <<<"$sum")" -ge 4
  [ -s "$TMP/load.err" ] && sed 's/^/#   load: /' "$TMP/load.err"
  if [ "$T_FAIL" -gt 0 ]; then tail -20 "$SERVER_LOG" | sed 's/^/#   /'; fi
  rm -f "$SERVER_LOG"
}

for i in 1 2 3; do
  round "/ready #$i" /ready --expect 200
  round "list #$i" /api/v1/aam/connectors --expect 200 --header "Authorization: Bearer $TOKEN"
done

# --- a login whose body is still arriving when SIGTERM comes is answered
server_start || give_up "server start"
port=${BASE_URL##*:}
body='{"email":"drain@example.com","password":"drain-password-1"}'
pid=$SERVER_PID
out=$(python3 "$LOAD" half-body 127.0.0.1 "$port" /api/v1/auth/login "$body" "$SERVER_LOG" "$pid")
rc=0; wait "$pid" || rc=$?; SERVER_PID=""
check "half-sent login: the server had begun the request (100 Continue) before the signal" \
  test "$(jq -r .continued <<<"$out")" = true
check "half-sent login: the server logged the signal while the body was arriving" \
  test "$(jq -r .signal_seen <<<"$out")" = true
check "half-sent login: a new connection is refused while it drains" \
  test "$(jq -r .new_connection_refused <<<"$out")" = true
check "half-sent login: answered 200 once the rest of the body came ($(jq -r .status_line <<<"$out"))" \
  grep -q "^HTTP/1.1 200" <<<"$(jq -r .status_line <<<"$out")"
check "half-sent login: …with Connection: close" test "$(jq -r .connection_close <<<"$out")" = true
check "half-sent login: exit status 0 (got $rc)" test "$rc" = 0
rm -f "$SERVER_LOG"; SERVER_LOG=""

rm -rf "$TMP"
finish
