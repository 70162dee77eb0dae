#!/usr/bin/env bash
# smoke.sh: the demo's acceptance, against any deployment. Needs curl and jq.
#   BASE_URL=http://localhost:8080 AAM_DEMO_PASSWORD=... tests/smoke.sh
# Checks: the connector list refuses a request without a token (401), the demo user logs in,
# the list then holds "FilesSource Demo" (filesource, ACTIVE), and /ready says 200.
# Prints one line per step (✓ or ✗); exits 0 only when every step passed.
set -u

BASE_URL=${BASE_URL:-http://localhost:8080}
BASE_URL=${BASE_URL%/}
EMAIL=${AAM_DEMO_EMAIL:-demo@autonomos.local}
if [ -z "${AAM_DEMO_PASSWORD:-}" ]; then
  echo "usage: BASE_URL=http://host:port AAM_DEMO_PASSWORD=... $0" >&2
  echo "(make run prints the demo password and keeps it in .run/demo-password)" >&2
  exit 2
fi
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "smoke: $tool is required" >&2; exit 2; }
done

PASS=0 FAIL=0
BODY=$(mktemp /tmp/aam-smoke.XXXXXX)
HDRS=$(mktemp /tmp/aam-smoke-h.XXXXXX)
trap 'rm -f "$BODY" "$HDRS"' EXIT

ok() { PASS=$((PASS + 1)); printf '✓ %s\n' "$1"; }
bad() { FAIL=$((FAIL + 1)); printf '✗ %s\n' "$1"; [ -n "${2:-}" ] && printf '    %s\n' "$2"; return 0; }

# call METHOD PATH [curl args]: sets STATUS; the body is in $BODY, the headers in $HDRS
call() {
  local method=$1 path=$2; shift 2
  STATUS=$(curl -s -o "$BODY" -D "$HDRS" -w '%{http_code}' --max-time 15 -X "$method" "$@" \
    "$BASE_URL$path" 2>/dev/null) || STATUS=${STATUS:-000}
}
got() { printf 'HTTP %s %s' "$STATUS" "$(head -c 300 "$BODY" | tr -d '\n')"; }

echo "smoke test of $BASE_URL"

call GET /api/v1/aam/connectors
if [ "$STATUS" = 401 ] && grep -qi '^www-authenticate: *bearer' "$HDRS"; then
  ok "GET /api/v1/aam/connectors without a token: 401 with WWW-Authenticate: Bearer"
else
  bad "GET /api/v1/aam/connectors without a token should be 401 with WWW-Authenticate: Bearer" "$(got)"
fi

TOKEN=""
login=$(jq -cn --arg e "$EMAIL" --arg p "$AAM_DEMO_PASSWORD" '{email: $e, password: $p}')
call POST /api/v1/auth/login -H 'Content-Type: application/json' --data-binary "$login"
if [ "$STATUS" = 200 ]; then
  TOKEN=$(jq -r '.access_token // empty' "$BODY" 2>/dev/null)
fi
if [ -n "$TOKEN" ] && [ "$(jq -r .token_type "$BODY")" = bearer ]; then
  ok "POST /api/v1/auth/login as $EMAIL: 200 with a bearer token"
else
  bad "POST /api/v1/auth/login as $EMAIL should be 200 with an access_token" "$(got)"
fi

if [ -n "$TOKEN" ]; then
  call GET /api/v1/aam/connectors -H "Authorization: Bearer $TOKEN"
  demo='.connectors[]? | select(.id == "filesource_demo" and .name == "FilesSource Demo"
        and .type == "filesource" and .status == "ACTIVE" and .namespace == "demo")'
  if [ "$STATUS" = 200 ] && [ -n "$(jq -c "$demo" "$BODY" 2>/dev/null)" ]; then
    ok "GET /api/v1/aam/connectors with the token: 200, lists FilesSource Demo (filesource, ACTIVE)"
  else
    bad "GET /api/v1/aam/connectors with the token should be 200 and list FilesSource Demo (filesource, ACTIVE)" "$(got)"
  fi
else
  bad "GET /api/v1/aam/connectors with the token: skipped, no token (counted as failed)"
fi

call GET /ready
if [ "$STATUS" = 200 ] && [ "$(jq -r .status "$BODY" 2>/dev/null)" = ok ]; then
  ok "GET /ready: 200, the database answers"
else
  bad "GET /ready should be 200" "$(got)"
fi

echo "smoke: $PASS of $((PASS + FAIL)) steps passed"
[ "$FAIL" -eq 0 ]
