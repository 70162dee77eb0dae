#!/usr/bin/env bash
# The login throttle over HTTP: repeated failures for one email, and from one client address,
# get 429 with Retry-After; a throttled email is refused even with the right password; success
# clears the email's count but not the address's; a window that has passed no longer counts;
# and a second server on the same database sees the same counts. Distinct client addresses
# come from binding curl to other loopback addresses (127.0.0.N).
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }

server_start AAM_LOGIN_MAX_FAILURES=3 AAM_LOGIN_MAX_FAILURES_PER_ADDRESS=3 AAM_LOGIN_WINDOW_S=120 || give_up "server start"

login() {  # ADDR EMAIL PASSWORD: a JSON login from client address ADDR
  req POST /api/v1/auth/login --interface "$1" -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$2\",\"password\":\"$3\"}"
}
register() {  # EMAIL PASSWORD NAMESPACE
  req POST /api/v1/auth/register -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$1\",\"password\":\"$2\",\"namespace\":\"$3\"}"
  expect_status 201 "register $1"
}
expect_429() {  # DESC
  expect_status 429 "$1"
  local ra
  ra=$(hdr Retry-After)
  check "…with Retry-After in 1..120 (got '$ra')" sh -c "test -n '$ra' && test '$ra' -ge 1 && test '$ra' -le 120"
}

register target@example.com target-password target
register other@example.com other-password other
register cleared@example.com cleared-password cleared

# ------------------------------------------------------------------ per email
for a in 127.0.0.2 127.0.0.3 127.0.0.4; do
  login $a target@example.com wrong-password
  expect_status 401 "wrong password for target from $a"
done
login 127.0.0.5 Target@Example.com target-password
expect_429 "a 4th attempt at the same email (any case, new address) is throttled, right password or not"
expect_jq .status 429 "…as problem+json"
check "…and the counters are in the database" \
  test "$(sql "SELECT failures FROM login_failures WHERE key='email:target@example.com'")" = 3
login 127.0.0.5 other@example.com other-password
expect_status 200 "the same address can still log in to another account"

# A second server on the same database sees the same count (replicas agree).
FIRST=("$SERVER_PID" "$BASE_URL" "$SERVER_LOG")
server_start AAM_LOGIN_MAX_FAILURES=3 AAM_LOGIN_MAX_FAILURES_PER_ADDRESS=3 AAM_LOGIN_WINDOW_S=120 || give_up "second server start"
login 127.0.0.6 target@example.com target-password
expect_429 "a second server throttles the same email"
server_stop; rm -f "$SERVER_LOG"
SERVER_PID=${FIRST[0]} BASE_URL=${FIRST[1]} SERVER_LOG=${FIRST[2]}

# A window that has passed no longer counts.
sql "UPDATE login_failures SET window_start = now() - interval '1 hour' WHERE key = 'email:target@example.com'" >/dev/null
login 127.0.0.7 target@example.com target-password
expect_status 200 "after the window the email can log in again"

# ------------------------------------------------------------------ per address
for e in nobody1 nobody2 nobody3; do
  login 127.0.0.10 $e@example.com some-password
  expect_status 401 "unknown email $e from 127.0.0.10"
done
login 127.0.0.10 nobody4@example.com some-password
expect_429 "a 4th failure-prone attempt from the same address, with a fresh email, is throttled"
login 127.0.0.10 other@example.com other-password
expect_status 429 "…even for a valid account and password"
login 127.0.0.11 nobody4@example.com some-password
expect_status 401 "another address is not throttled"

# ------------------------------------------------------------------ success clears the email's count
login 127.0.0.20 cleared@example.com wrong-password
expect_status 401 "cleared: 1st failure"
login 127.0.0.21 cleared@example.com wrong-password
expect_status 401 "cleared: 2nd failure"
login 127.0.0.22 cleared@example.com cleared-password
expect_status 200 "cleared: success"
login 127.0.0.23 cleared@example.com wrong-password
expect_status 401 "cleared: a failure after the success"
login 127.0.0.24 cleared@example.com wrong-password
expect_status 401 "cleared: a second one is still 401 (the count restarted at the success)"
login 127.0.0.25 cleared@example.com cleared-password
expect_status 200 "cleared: and the right password still works"
# The address of a success keeps its failures: one good login buys no fresh guesses.
login 127.0.0.30 nobody5@example.com x-password
login 127.0.0.30 nobody6@example.com x-password
login 127.0.0.30 other@example.com other-password
expect_status 200 "a success from an address with 2 failures"
login 127.0.0.30 nobody7@example.com x-password
expect_status 401 "…its 3rd failure"
login 127.0.0.30 nobody8@example.com x-password
expect_429 "…and then the address is throttled: the success did not reset it"

# ------------------------------------------------------------------ defaults
# By default an address may fail far more often than one email: locking one account out must
# not lock out everyone behind the same address (an office NAT, or a test client on loopback).
server_stop
server_start AAM_LOGIN_MAX_FAILURES=3 AAM_LOGIN_WINDOW_S=120 || give_up "third server start"
for _ in 1 2 3; do login 127.0.0.40 defaults@example.com wrong-password; done
login 127.0.0.40 defaults@example.com wrong-password
expect_429 "defaults: the email is throttled after 3 failures"
login 127.0.0.40 other@example.com other-password
expect_status 200 "defaults: the same address still logs in to another account (per-address limit 100)"

finish
