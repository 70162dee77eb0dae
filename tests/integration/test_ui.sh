#!/usr/bin/env bash
# The Connections tab in a real browser. The static files' HTTP side first (curl: types, CSP
# and the other security headers, ETag + 304, HEAD, 404 problem+json for an unknown file),
# then tests/ui/ui.test.mjs drives Debian's chromium through playwright-core against this
# test's own migrated and seeded database: the seed's scenario, create/edit/delete, files and
# rows, paging, sign-out, wrong password, 429 and 503 messages, keyboard-only sign-in, the
# generated type forms and write-only secrets, checks, ETags and history, members and roles
# (invites accepted through the real routes), webhooks delivered to a receiver the browser test
# starts on 127.0.0.1, axe-core on each screen, and screenshots under build/ui/.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

UI_DIR=$REPO_ROOT/tests/ui
CHROMIUM=${AAM_CHROMIUM:-/usr/bin/chromium}
export AAM_DEMO_PASSWORD=demo-password-for-ui
CSP="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

need_migrated
need "seed" "$AAM_BIN" seed

# The server runs in a scratch directory holding a copy of mock_sources/, so the seed's relative
# path resolves as in the repository while the test may delete a folder of its own (the 409).
WORK=$(mktemp -d /tmp/aam-ui.XXXXXX)
DOWN_PID=""
cleanup() {
  [ -n "$DOWN_PID" ] && kill -TERM "$DOWN_PID" 2>/dev/null && wait "$DOWN_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
cp -r "$REPO_ROOT/mock_sources" "$WORK/mock_sources"
mkdir -p "$WORK/mock_sources/ui_vanishing"
printf 'a,b\n1,2\n' >"$WORK/mock_sources/ui_vanishing/v.csv"
cd "$WORK" || exit 1
# A first-level folder named like a namespace belongs to that namespace; the demo's root grant
# does not reach it, so the operator grants it to demo (test_tenant_boundary.sh has the rules).
need "sources grant" env AAM_SOURCES_ROOT="$WORK/mock_sources" "$AAM_BIN" sources grant --namespace demo \
  mock_sources/ui_vanishing

# A tenant of its own whose one connector was written before the type registry existed (type
# kafka, which no registered type names): the UI shows its config read-only. Its admin comes
# from `aam users add`; the browser test redeems the invite.
need "tenants create uilegacy" "$AAM_BIN" tenants create --namespace uilegacy --name 'Legacy Tenant'
LEGACY_INVITE=$("$AAM_BIN" users add --namespace uilegacy --email legacy@example.com --role admin 2>/dev/null) ||
  give_up "aam users add for the legacy tenant"
need "a connector row of an unregistered type" stack_psql_super -d "$TEST_DB" -Atc \
  "INSERT INTO connections (namespace, id, name, source_type, status, connector_config) VALUES ('uilegacy', 'legacy', 'Legacy Row', 'kafka', 'ACTIVE', '{\"brokers\":\"b:9092\"}')"

# Checks and webhooks may reach this host (the failing check's closed port, the test's webhook
# receiver); no background re-check changes a status under the test's feet. Exported: the browser
# test restarts the server with the same environment.
export AAM_OUTBOUND_NETS=127.0.0.0/8 AAM_CHECK_INTERVAL_S=0

# A second server whose database cannot be reached: what a person sees on a 503.
server_start DATABASE_URL='postgresql://aam_app:x@127.0.0.1:1/none?connect_timeout=2' ||
  give_up "the server without a database did not start"
DOWN_URL=$BASE_URL DOWN_PID=$SERVER_PID DOWN_LOG=$SERVER_LOG
SERVER_PID="" SERVER_LOG=""

server_start AAM_LOGIN_MAX_FAILURES=2 || give_up "server start"

# --- the static files over HTTP
req GET /
expect_status 200 "GET / serves the UI"
check "…as text/html; charset=utf-8" test "$(hdr Content-Type)" = "text/html; charset=utf-8"
check "…with the exact Content-Security-Policy" test "$(hdr Content-Security-Policy)" = "$CSP"
check "…X-Content-Type-Options: nosniff" test "$(hdr X-Content-Type-Options)" = nosniff
check "…Referrer-Policy: no-referrer" test "$(hdr Referrer-Policy)" = no-referrer
check "…Cache-Control: no-cache (revalidate with the ETag)" test "$(hdr Cache-Control)" = no-cache
ETAG=$(hdr ETag)
check "…and a strong ETag" grep -qE '^"[0-9a-f]{16}"$' <<<"$ETAG"
check "…the page loads its script as a module from this origin" grep -q '<script type="module" src="/assets/app.js">' <<<"$BODY"
check "…with no inline script" test "$(grep -c '<script>' <<<"$BODY")" = 0
check "…and nothing from another origin" test "$(grep -cE '(src|href)="(https?:)?//' <<<"$BODY")" = 0
check "the bytes served are web/index.html's" cmp -s "$BODY_FILE" "$REPO_ROOT/web/index.html"

: >"$BODY_FILE"  # curl leaves the file as it was when a response has no body
req GET / -H "If-None-Match: $ETAG"
expect_status 304 "If-None-Match with the ETag gets 304"
check "…with an empty body" test -z "$BODY"
check "…still carrying the ETag and the CSP" test "$(hdr ETag)" = "$ETAG" -a "$(hdr Content-Security-Policy)" = "$CSP"
req GET / -H "If-None-Match: \"0000000000000000\", W/$ETAG"
expect_status 304 "…also when it is one of a list, weak-prefixed"
req GET / -H 'If-None-Match: "0000000000000000"'
expect_status 200 "a different ETag gets the file"

for f in app.js api.js connections.js dom.js files.js form.js history.js members.js ui.js webhooks.js; do
  req GET "/assets/$f"
  check "/assets/$f: 200 text/javascript, the file's bytes" \
    test "$STATUS" = 200 -a "$(hdr Content-Type)" = "text/javascript; charset=utf-8" -a "$(cmp -s "$BODY_FILE" "$REPO_ROOT/web/$f"; echo $?)" = 0
done
req GET /assets/style.css
check "/assets/style.css: text/css; charset=utf-8" test "$STATUS" = 200 -a "$(hdr Content-Type)" = "text/css; charset=utf-8"
req GET /assets/favicon.svg
check "/assets/favicon.svg: image/svg+xml" test "$STATUS" = 200 -a "$(hdr Content-Type)" = "image/svg+xml"
# shellcheck disable=SC2016  # expanded by the inner sh, on purpose
check "every file of web/ is served (none forgotten in the embed list)" sh -c '
  for f in "$1"/web/*; do
    code=$(curl -s -o /dev/null -w "%{http_code}" "$2/assets/$(basename "$f")"); [ "$code" = 200 ] || exit 1
  done' _ "$REPO_ROOT" "$BASE_URL"
SIZE=$(cat "$REPO_ROOT"/web/* | wc -c)
check "everything the page needs weighs at most 150 KB ($SIZE bytes)" test "$SIZE" -le 153600

# HEAD over a raw socket: curl cannot show that no body follows the headers.
head_reply() {
  local port=${BASE_URL##*:}
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'HEAD /assets/app.js HTTP/1.0\r\nHost: x\r\n\r\n' >&3
  timeout 10 cat <&3
  exec 3<&-
}
HEAD_REPLY=$(head_reply | tr -d '\r')
check "HEAD /assets/app.js: 200 with the file's Content-Length" \
  grep -qx "Content-Length: $(wc -c <"$REPO_ROOT/web/app.js")" <<<"$HEAD_REPLY"
check "…and no body after the headers" test -z "$(sed '1,/^$/d' <<<"$HEAD_REPLY")"
check "…status 200" grep -q '^HTTP/1.[01] 200' <<<"$HEAD_REPLY"
req GET /assets/nope.js
expect_status 404 "an unknown static file is 404"
check "…as problem+json" test "$(hdr Content-Type)" = application/problem+json
check "…with the CSP too" test "$(hdr Content-Security-Policy)" = "$CSP"
req GET /assets/
expect_status 404 "/assets/ itself is 404"
req POST /
expect_status 405 "POST / is 405"
req GET /api/v1/aam/connectors
check "API responses carry nosniff too" test "$(hdr X-Content-Type-Options)" = nosniff

# --- the browser
if [ ! -x "$CHROMIUM" ]; then
  check "chromium is installed ($CHROMIUM; make deps installs it)" false
elif [ ! -d "$UI_DIR/node_modules/playwright-core" ] || [ ! -d "$UI_DIR/node_modules/axe-core" ]; then
  check "tests/ui/node_modules is installed (make deps runs npm ci there)" false
else
  SHOTS=$(dirname "$AAM_BIN")/ui
  mkdir -p "$SHOTS"
  BASE_URL=$BASE_URL DOWN_URL=$DOWN_URL CHROMIUM=$CHROMIUM SHOTS=$SHOTS \
    VANISHING_DIR="$WORK/mock_sources/ui_vanishing" DEMO_PASSWORD=$AAM_DEMO_PASSWORD \
    SERVER_PID=$SERVER_PID RESTART_LOG="$SERVER_LOG" LEGACY_INVITE=$LEGACY_INVITE \
    timeout -k 5 260 node "$UI_DIR/ui.test.mjs"
  rc=$?
  check "the browser tests ran to their end (exit $rc)" test "$rc" = 0
fi

kill -TERM "$DOWN_PID" 2>/dev/null && wait "$DOWN_PID" 2>/dev/null
DOWN_PID=""
[ "$T_FAIL" -gt 0 ] && [ -f "$DOWN_LOG" ] && { echo "# the database-less server's log:"; tail -5 "$DOWN_LOG" | sed 's/^/#   /'; }
rm -f "$DOWN_LOG"
finish
