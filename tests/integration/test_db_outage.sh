#!/usr/bin/env bash
# The seeds' "half-initialised engine, every request 503" failure, made impossible: the server
# starts while the database path is down, answers /health, gives API routes 503 problem+json
# with Retry-After, and recovers by itself when the database returns. Then PgBouncer is killed
# and restarted, and PostgreSQL restarted, while the pool holds connections. Both with a kept
# pool (16) and with AAM_DB_POOL_SIZE=0 (a connection per request).
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

"$AAM_BIN" migrate >/dev/null 2>&1 || echo "# migrate failed"
"$AAM_BIN" tenants create --namespace outage --name Outage >/dev/null || echo "# tenants create failed"
TOKEN=$("$AAM_BIN" token --namespace outage --sub ops)
AUTH=(-H "Authorization: Bearer $TOKEN")

list_until_200() {  # retries for up to ~10 s: recovery must happen without a restart
  local n=50
  while ((n-- > 0)); do
    req GET /api/v1/aam/connectors "${AUTH[@]}"
    [ "$STATUS" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}

for pool in 16 0; do
  stack_pgb_kill
  server_start AAM_DB_POOL_SIZE=$pool AAM_DB_CONNECT_TIMEOUT_S=2 || { echo "not ok - start"; break; }
  req GET /health
  expect_status 200 "pool $pool: /health answers while the database is unreachable"
  req GET /api/v1/aam/connectors "${AUTH[@]}"
  expect_status 503 "pool $pool: an API route answers 503 while the database is unreachable"
  check "pool $pool: the 503 is problem+json" grep -qi '^content-type: application/problem+json' "$HDRS"
  check "pool $pool: the 503 carries Retry-After" test -n "$(hdr Retry-After)"
  req GET /ready
  expect_status 503 "pool $pool: /ready is 503 while the database is unreachable"
  expect_jq .db.ok false "pool $pool: /ready says db.ok false"

  stack_pgb_start
  check "pool $pool: the API recovers without a restart once PgBouncer is back" list_until_200
  check "pool $pool: it is the same process" kill -0 "$SERVER_PID"
  # warm the pool: several connections open at once (wait for the curls only, not the server)
  pids=()
  for _ in 1 2 3 4 5 6 7 8; do curl -s -o /dev/null "${AUTH[@]}" "$BASE_URL/api/v1/aam/connectors" & pids+=($!); done
  wait "${pids[@]}"

  stack_pgb_kill; stack_pgb_start
  check "pool $pool: PgBouncer killed and restarted under a warm pool: requests succeed again" list_until_200
  stack_pg_restart
  check "pool $pool: PostgreSQL restarted (-m fast): requests succeed again" list_until_200
  ok=0
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    req GET /api/v1/aam/connectors "${AUTH[@]}"; [ "$STATUS" = 200 ] && ok=$((ok + 1))
  done
  check "pool $pool: the next 10 requests all succeed ($ok/10)" test "$ok" = 10
  req GET /ready
  expect_jq '.db.pool.in_use' 0 "pool $pool: no connection left checked out"
  server_stop; rc=$?
  check "pool $pool: the process never crashed and exits 0 on SIGTERM" test "$rc" = 0
done
finish
