#!/usr/bin/env bash
# The HTTP core over a real `aam serve` on the harness's PgBouncer: health, problem+json for
# 404/405/400/413, path normalisation before auth, X-Request-Id, configuration errors (exit 2
# with one line naming the setting, no secret printed), a redacted startup line, requests
# that really pass through PgBouncer, and a clean exit 0 on SIGTERM.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

"$AAM_BIN" migrate >/dev/null 2>&1 || echo "# migrate failed"

# --- configuration errors: exit 2, one line naming the setting, never the secret
out=$(env -u JWT_SECRET "$AAM_BIN" serve 2>&1); rc=$?
check "serve without JWT_SECRET exits 2" test "$rc" = 2
check "…and names JWT_SECRET in one line" test "$(printf '%s\n' "$out" | wc -l)" = 1 -a -n "$(printf '%s' "$out" | grep JWT_SECRET)"
out=$(JWT_SECRET=tooshort-secret-value "$AAM_BIN" serve 2>&1); rc=$?
check "a 15-byte JWT_SECRET exits 2" test "$rc" = 2
check "…with 'JWT_SECRET must be at least 32 bytes'" grep -q 'JWT_SECRET must be at least 32 bytes' <<<"$out"
check "…and does not print the secret" sh -c "! grep -q tooshort-secret-value <<'X'
$out
X"
out=$(PORT=notaport "$AAM_BIN" serve 2>&1); rc=$?
check "PORT=notaport exits 2 naming PORT" sh -c "test $rc = 2 && echo '$out' | grep -q PORT"
out=$(env -u DATABASE_URL "$AAM_BIN" migrate 2>&1); rc=$?
check "migrate without DATABASE_URL exits 2 naming it" sh -c "test $rc = 2 && echo '$out' | grep -q DATABASE_URL"
out=$(AAM_DB_POOL_SIZE=-3 "$AAM_BIN" serve 2>&1); rc=$?
check "AAM_DB_POOL_SIZE=-3 exits 2 naming it" sh -c "test $rc = 2 && echo '$out' | grep -q AAM_DB_POOL_SIZE"
"$AAM_BIN" frobnicate >/dev/null 2>&1; rc=$?
check "an unknown command exits 2" test "$rc" = 2

server_start || { echo "not ok - server start"; finish; exit 1; }

# --- the startup line: effective settings, password redacted
db_pass=$(sed -n 's|^postgresql://[^:]*:\([^@]*\)@.*|\1|p' <<<"$DATABASE_URL")
check "startup log names the pool and 'unnamed statements only'" grep -q 'unnamed statements only' "$SERVER_LOG"
check "startup log shows the password as ***" grep -q '\*\*\*' "$SERVER_LOG"
check "the database password appears nowhere in the log" sh -c "! grep -qF '$db_pass' '$SERVER_LOG'"

# --- health, unknown paths, wrong methods
req GET /health
expect_status 200 "GET /health"
expect_jq .status ok "/health says ok"
check "/health is application/json" grep -qi '^content-type: application/json' "$HDRS"
req GET //health/
expect_status 200 "//health/ is the same route"
req GET /no/such/thing
expect_status 404 "unknown path"
check "404 is problem+json" grep -qi '^content-type: application/problem+json' "$HDRS"
expect_jq '.status' 404 "problem body carries status"
expect_jq '.title | length > 0' true "problem body carries a title"
expect_jq 'has("type") and has("detail")' true "problem body carries type and detail"
req DELETE /health
expect_status 405 "DELETE /health"
check "405 lists Allow: GET, HEAD" test "$(hdr Allow)" = "GET, HEAD"
expect_jq .status 405 "405 is problem+json"

# --- normalisation happens before auth: no spelling reaches a protected handler without a token
for p in /api/v1/aam/connectors /api/v1/aam/connectors/ //api/v1/aam/connectors \
  /api//v1/aam/connectors /api/v1/aam/connectors/x/files /api/v1/auth/me /api/v1/nothing-here; do
  req GET "$p"
  expect_status 401 "GET $p without a token"
done
check "401 carries WWW-Authenticate: Bearer" grep -qi '^www-authenticate: Bearer' "$HDRS"
for p in "/api/v1/auth/login/../../aam/connectors" "/api/v1/aam/%2e%2e/aam/connectors" \
  "/api/v1/aam%2fconnectors" "/api/v1/aam/./connectors" "/api/v1/aam/connectors%00"; do
  req GET "$p"
  expect_status 400 "GET $p is refused as malformed"
done
req GET /API/V1/AAM/CONNECTORS
check "GET /API/V1/AAM/CONNECTORS does not reach the handler" test "$STATUS" != 200

# --- request ids
req GET /health -H 'X-Request-Id: smoke-42.a:b'
check "a sane X-Request-Id is echoed" test "$(hdr X-Request-Id)" = "smoke-42.a:b"
req GET /health -H 'X-Request-Id: <script>alert(1)</script>'
rid=$(hdr X-Request-Id)
check "an insane X-Request-Id is replaced" sh -c "test -n '$rid' && test '$rid' != '<script>alert(1)</script>'"
req GET /nope
check "errors carry X-Request-Id too" test -n "$(hdr X-Request-Id)"

# --- bodies: size cap and JSON
head -c 1100000 /dev/zero | tr '\0' 'a' >"$BODY_FILE.big"
req POST /api/v1/auth/login -H 'Content-Type: application/json' --data-binary @"$BODY_FILE.big"
expect_status 413 "a body over 1 MiB"
req POST /api/v1/auth/login -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$BODY_FILE.big"
expect_status 413 "a chunked body over 1 MiB"
rm -f "$BODY_FILE.big"
req POST /api/v1/auth/login -H 'Content-Type: application/json' -d '{"email": '
expect_status 400 "truncated JSON"
expect_jq .status 400 "…as problem+json"

# --- the API really goes through PgBouncer
q0=$(stack_pgb_admin "SHOW STATS" | awk -F'|' -v db="$TEST_DB" '$1 == db {print $3}')
"$AAM_BIN" tenants create --namespace core-test --name "Core test" >/dev/null || echo "# tenants create failed"
TOKEN=$("$AAM_BIN" token --namespace core-test --sub tester)
for _ in 1 2 3 4 5; do req GET /api/v1/aam/connectors -H "Authorization: Bearer $TOKEN"; done
expect_status 200 "an authorised list"
q1=$(stack_pgb_admin "SHOW STATS" | awk -F'|' -v db="$TEST_DB" '$1 == db {print $3}')
check "PgBouncer counted this server's transactions ($q0 -> $q1)" test "${q1:-0}" -gt "${q0:-0}"
req GET /ready
expect_status 200 "/ready with the database up"
expect_jq .db.ok true "/ready reports db.ok"
expect_jq '.db.pool.size' 16 "/ready reports the pool size"

# --- SIGTERM: clean exit 0
server_stop; rc=$?
check "SIGTERM stops the server with exit 0" test "$rc" = 0
check "the log says it stopped" grep -q '"stopped"' "$SERVER_LOG"

# --- SIGTERM while a request outlives the grace period: exit 0 at once, nothing freed under it.
# The request is a login whose body is half-sent when the signal comes (so it is surely begun).
server_start AAM_SHUTDOWN_GRACE_S=0 || echo "not ok - grace server start"
pid=$SERVER_PID
python3 "$REPO_ROOT/tests/harness/httpload.py" half-body 127.0.0.1 "${BASE_URL##*:}" /api/v1/auth/login \
  '{"email":"nobody@example.com","password":"grace-zero"}' "$SERVER_LOG" "$pid" >/dev/null
rc=0; wait "$pid" || rc=$?; SERVER_PID=""
check "SIGTERM with a request still running past the grace exits 0" test "$rc" = 0
check "…and says what it did not wait for" grep -q '1 requests still running after 0 s' "$SERVER_LOG"
finish
