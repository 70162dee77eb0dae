#!/usr/bin/env bash
# Sessions through PgBouncer (transaction mode): refresh tokens from login/register, rotation,
# reuse detection (the family dies), concurrent refreshes of one token (exactly one wins),
# logout of one session and of all, expiry, a deleted user, service clients (`aam clients`,
# client_credentials by HTTP Basic and by the body, wrong secret, revoked client), the RFC 6749
# error shapes, Cache-Control: no-store, secrets absent from the logs and stored only hashed
# (table dump), row-level security on the new tables, a refresh on a second server process,
# and the shared throttle.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

"$AAM_BIN" migrate >/dev/null 2>&1 || echo "# migrate failed"
TMP=$(mktemp -d /tmp/aam-sessions.XXXXXX)
S2_PID=""
trap 'rm -rf "$TMP"; [ -n "$S2_PID" ] && kill "$S2_PID" 2>/dev/null' EXIT
SECRETS="$TMP/secrets"   # every refresh token and client secret handed out, one a line
: >"$SECRETS"

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
remember() { [ -n "$1" ] && [ "$1" != null ] && printf '%s\n' "$1" >>"$SECRETS"; }

post_json() { local path=$1 body=$2; shift 2
  req POST "$path" -H 'Content-Type: application/json' --data-binary "$body" "$@"; }
token_form() { req POST /api/v1/auth/token -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-binary "$1" "${@:2}"; }
refresh() { token_form "grant_type=refresh_token&refresh_token=$1"; }
login() {  # EMAIL PASSWORD -> sets RT (refresh token) and AT (access token)
  post_json /api/v1/auth/login "{\"email\":\"$1\",\"password\":\"$2\"}"
  RT=$(jq -r .refresh_token <<<"$BODY"); AT=$(jq -r .access_token <<<"$BODY"); remember "$RT"; }
me_status() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "${2:-$BASE_URL}/api/v1/auth/me"; }
is_invalid_grant() { [ "$STATUS" = 400 ] && [ "$(jq -r .error <<<"$BODY")" = invalid_grant ]; }

server_start AAM_REFRESH_TTL_SECONDS=7200 || { echo "not ok - server start"; finish; exit 1; }

# ------------------------------------------------------------------ register and login hand out refresh tokens
post_json /api/v1/auth/register '{"email":"alice@example.com","password":"alice-password-1","namespace":"alice-co"}'
expect_status 201 "register"
REG_RT=$(jq -r .refresh_token <<<"$BODY"); remember "$REG_RT"
check "register returns a refresh token of 43 base64url characters" grep -Eq '^[A-Za-z0-9_-]{43}$' <<<"$REG_RT"
post_json /api/v1/auth/register '{"email":"bob@example.com","password":"bob-password-1","namespace":"bob-co"}'
expect_status 201 "register a second tenant"

login alice@example.com alice-password-1
expect_status 200 "login"
check "login returns a refresh token of 43 base64url characters" grep -Eq '^[A-Za-z0-9_-]{43}$' <<<"$RT"
check "…different from register's" test "$RT" != "$REG_RT"
expect_jq '.access_token | split(".") | length' 3 "…and an access token"
check "login's row expires after AAM_REFRESH_TTL_SECONDS (7200 s)" test \
  "$(sql "SELECT extract(epoch FROM expires_at - created_at)::int FROM refresh_tokens WHERE token_hash='$(sha256 "$RT")'")" = 7200
R1=$RT

# ------------------------------------------------------------------ rotation
refresh "$R1"
expect_status 200 "refresh (form body)"
R2=$(jq -r .refresh_token <<<"$BODY"); A2=$(jq -r .access_token <<<"$BODY"); remember "$R2"
check "the refresh token rotated" sh -c "test -n '$R2' && test '$R2' != '$R1' && test '$R2' != null"
expect_jq .token_type bearer "token_type bearer"
expect_jq .expires_in 3600 "expires_in is JWT_TTL_SECONDS"
expect_jq .user.email alice@example.com "the refreshed session is alice's"
check "Cache-Control: no-store on the token answer" test "$(hdr Cache-Control)" = no-store
check "the new access token works (me 200)" test "$(me_status "$A2")" = 200
check "the two tokens are one family in the table" test \
  "$(sql "SELECT count(DISTINCT family_id) || '/' || count(*) FROM refresh_tokens WHERE token_hash IN ('$(sha256 "$R1")','$(sha256 "$R2")')")" = "1/2"
post_json /api/v1/auth/token "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"$R2\"}"
expect_status 200 "refresh (JSON body)"
R3=$(jq -r .refresh_token <<<"$BODY"); remember "$R3"

# ------------------------------------------------------------------ reuse detection
FAMILY=$(sql "SELECT family_id FROM refresh_tokens WHERE token_hash='$(sha256 "$R3")'")
refresh "$R1"
check "presenting a spent token: 400 invalid_grant" is_invalid_grant
check "…and the whole family is gone from the table" test "$(sql "SELECT count(*) FROM refresh_tokens WHERE family_id='$FAMILY'")" = 0
refresh "$R3"
check "…so the family's newest token fails too (the thief and the victim are signed out)" is_invalid_grant
check "register's session (another family) is untouched" sh -c \
  "test \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'grant_type=refresh_token&refresh_token=$REG_RT' $BASE_URL/api/v1/auth/token)\" = 200"

# ------------------------------------------------------------------ concurrent refreshes of one token
race() {  # N: N simultaneous refreshes of one fresh token; prints "<200s> <invalid_grants>"
  login alice@example.com alice-password-1
  local i ok=0 bad=0
  for i in $(seq 1 "$1"); do
    curl -s -o "$TMP/race.$i" -w '%{http_code}' -X POST --data-binary "grant_type=refresh_token&refresh_token=$RT" \
      "$BASE_URL/api/v1/auth/token" >"$TMP/race.$i.code" &
  done
  wait
  for i in $(seq 1 "$1"); do
    case "$(cat "$TMP/race.$i.code")/$(jq -r .error "$TMP/race.$i" 2>/dev/null)" in
      200/null) ok=$((ok + 1)); remember "$(jq -r .refresh_token "$TMP/race.$i")" ;;
      400/invalid_grant) bad=$((bad + 1)) ;;
    esac
  done
  echo "$ok $bad"
}
for round in 1 2 3 4 5; do
  out=$(race 2)
  check "two simultaneous refreshes of one token (round $round): one 200, one invalid_grant (got $out)" test "$out" = "1 1"
done
out=$(race 8)
check "eight simultaneous refreshes of one token: exactly one 200, seven invalid_grant (got $out)" test "$out" = "1 7"

# ------------------------------------------------------------------ logout
login alice@example.com alice-password-1; L1=$RT; L1_AT=$AT
login alice@example.com alice-password-1; L2=$RT
post_json /api/v1/auth/logout "{\"refresh_token\":\"$L1\"}" -H "Authorization: Bearer $L1_AT"
expect_status 204 "logout one session"
refresh "$L1"
check "…its refresh token is dead" is_invalid_grant
refresh "$L2"
expect_status 200 "…another session of the same user lives on"
L2=$(jq -r .refresh_token <<<"$BODY"); remember "$L2"

post_json /api/v1/auth/login '{"email":"bob@example.com","password":"bob-password-1"}'
BOB_AT=$(jq -r .access_token <<<"$BODY"); BOB_RT=$(jq -r .refresh_token <<<"$BODY"); remember "$BOB_RT"
post_json /api/v1/auth/logout "{\"refresh_token\":\"$L2\"}" -H "Authorization: Bearer $BOB_AT"
expect_status 204 "bob logging out alice's token answers 204 (nothing tells him it exists)"
refresh "$L2"
expect_status 200 "…and alice's session is untouched"
L2=$(jq -r .refresh_token <<<"$BODY"); remember "$L2"

login alice@example.com alice-password-1; L3=$RT
post_json /api/v1/auth/logout '{"all":true}' -H "Authorization: Bearer $AT"
expect_status 204 "logout all"
check "…no refresh token of alice is left" test \
  "$(sql "SELECT count(*) FROM refresh_tokens r JOIN users u ON u.id = r.user_id WHERE u.email='alice@example.com'")" = 0
refresh "$L2"; check "…session 1 dead" is_invalid_grant
refresh "$L3"; check "…session 2 dead" is_invalid_grant
refresh "$BOB_RT"
expect_status 200 "…bob's session lives on"
BOB_RT=$(jq -r .refresh_token <<<"$BODY"); remember "$BOB_RT"

req POST /api/v1/auth/logout -H 'Content-Type: application/json' --data-binary '{"all":true}'
expect_status 401 "logout without a bearer token"
post_json /api/v1/auth/logout '{}' -H "Authorization: Bearer $BOB_AT"
expect_status 422 "logout with neither refresh_token nor all"
post_json /api/v1/auth/logout '{"all":"yes"}' -H "Authorization: Bearer $BOB_AT"
expect_status 422 "logout with a non-boolean all"
post_json /api/v1/auth/logout 'not json' -H "Authorization: Bearer $BOB_AT"
expect_status 400 "logout with a body that is not JSON"

# ------------------------------------------------------------------ expiry, deleted user
login alice@example.com alice-password-1
sql "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash='$(sha256 "$RT")'" >/dev/null
refresh "$RT"
check "an expired refresh token: invalid_grant" is_invalid_grant
expired() { sql "SELECT count(*) FROM refresh_tokens WHERE namespace='alice-co' AND expires_at <= now()"; }
sql "INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at, created_at)
     SELECT encode(sha256(('old' || i)::bytea), 'hex'), gen_random_uuid(), u.id, 'alice-co',
            now() - interval '1 day', now() - interval '31 days'
     FROM generate_series(1, 60) i, users u WHERE u.email = 'alice@example.com'" >/dev/null
check "60 expired rows of alice's tenant to clean up (the one expired above went with its refresh)" test "$(expired)" = 60
login alice@example.com alice-password-1
check "a login deletes a bounded batch of the tenant's expired rows (50)" test "$(expired)" = 10
refresh "$RT"
check "…and so does a refresh (the rest)" test "$(expired)" = 0
post_json /api/v1/auth/register '{"email":"carol@example.com","password":"carol-password-1","namespace":"carol-co"}'
login carol@example.com carol-password-1
sql "DELETE FROM users WHERE email='carol@example.com'" >/dev/null
refresh "$RT"
check "a deleted user's refresh token: invalid_grant" is_invalid_grant
check "…and the user's refresh rows went with the user" test \
  "$(sql "SELECT count(*) FROM refresh_tokens WHERE namespace='carol-co'")" = 0

# ------------------------------------------------------------------ aam clients
out=$("$AAM_BIN" clients create --namespace alice-co --name "ETL job" 2>"$TMP/create.err"); rc=$?
check "aam clients create exits 0" test "$rc" = 0
CID=$(sed -n 's/^client_id=//p' <<<"$out"); CSECRET=$(sed -n 's/^client_secret=//p' <<<"$out"); remember "$CSECRET"
check "…printing client_id (A-Z a-z 0-9 - _)" grep -Eq '^[A-Za-z0-9_-]{1,64}$' <<<"$CID"
check "…and client_secret (43 base64url characters)" grep -Eq '^[A-Za-z0-9_-]{43}$' <<<"$CSECRET"
check "…the secret is not on stderr" sh -c "! grep -qF -- '$CSECRET' '$TMP/create.err'"
"$AAM_BIN" clients create --namespace nobody-here --name x >/dev/null 2>"$TMP/err"; rc=$?
check "create for a namespace without a tenant exits 1" test "$rc" = 1
check "…saying the tenant is missing" grep -q "no tenant" "$TMP/err"
check "…and writes nothing" test "$(sql "SELECT count(*) FROM clients WHERE namespace='nobody-here'")" = 0
"$AAM_BIN" clients create --namespace 'Bad NS' --name x >/dev/null 2>&1; rc=$?
check "create with an invalid namespace exits 2" test "$rc" = 2
"$AAM_BIN" clients create --namespace alice-co >/dev/null 2>&1; rc=$?
check "create without --name exits 2" test "$rc" = 2
"$AAM_BIN" clients create --namespace alice-co --name "$(printf 'a\tb')" >/dev/null 2>&1; rc=$?
check "create with a control character in the name exits 2" test "$rc" = 2
"$AAM_BIN" clients revoke 'no/such' >/dev/null 2>&1; rc=$?
check "revoke with an id outside the alphabet exits 2" test "$rc" = 2
"$AAM_BIN" clients frob >/dev/null 2>&1; rc=$?
check "an unknown subcommand exits 2" test "$rc" = 2
env -u DATABASE_URL "$AAM_BIN" clients list >/dev/null 2>"$TMP/err"; rc=$?
check "list without DATABASE_URL exits 2 naming it" sh -c "test $rc = 2 && grep -q DATABASE_URL '$TMP/err'"
out=$("$AAM_BIN" clients create --namespace bob-co --name "Bob's bot" 2>/dev/null); BOB_CID=$(sed -n 's/^client_id=//p' <<<"$out")
BOB_SECRET=$(sed -n 's/^client_secret=//p' <<<"$out"); remember "$BOB_SECRET"
list=$("$AAM_BIN" clients list); rc=$?
check "aam clients list exits 0" test "$rc" = 0
check "…lists both tenants' clients with their namespace and name" sh -c \
  "printf '%s\n' \"\$1\" | grep -q \"^$CID	alice-co	ETL job	\" && printf '%s\n' \"\$1\" | grep -q \"^$BOB_CID	bob-co	\"" _ "$list"
check "…and no secret" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$CSECRET'" _ "$list"
check "list --namespace shows only that tenant's" sh -c \
  "test \"\$('$AAM_BIN' clients list --namespace bob-co | tail -n +2 | cut -f1)\" = '$BOB_CID'"

# ------------------------------------------------------------------ client credentials
token_form "grant_type=client_credentials" -u "$CID:$CSECRET"
expect_status 200 "client credentials by HTTP Basic"
CAT=$(jq -r .access_token <<<"$BODY")
expect_jq 'has("refresh_token")' false "…no refresh token for a client"
expect_jq .token_type bearer "…token_type bearer"
check "…Cache-Control: no-store" test "$(hdr Cache-Control)" = no-store
req GET /api/v1/auth/me -H "Authorization: Bearer $CAT"
expect_jq .id "$CID" "the client's token has sub = the client id"
expect_jq .namespace alice-co "…and the client's namespace"
req GET /api/v1/aam/connectors -H "Authorization: Bearer $CAT"
expect_status 200 "…and reads the tenant's connectors"
enc_id=${CID//_/%5F}
token_form "grant_type=client_credentials" -H "Authorization: Basic $(printf '%s:%s' "$enc_id" "$CSECRET" | base64 -w0)"
expect_status 200 "Basic credentials form-encoded before base64 (RFC 6749 2.3.1) are decoded"
token_form "grant_type=client_credentials&client_id=$CID&client_secret=$CSECRET"
expect_status 200 "client credentials in the form body"
post_json /api/v1/auth/token "{\"grant_type\":\"client_credentials\",\"client_id\":\"$CID\",\"client_secret\":\"$CSECRET\"}"
expect_status 200 "client credentials in a JSON body"
WRONG=$(printf '%s' "$CSECRET" | tr 'A-Za-z' 'B-ZAb-za')
token_form "grant_type=client_credentials" -u "$CID:$WRONG"
expect_status 401 "a wrong secret"
expect_jq .error invalid_client "…is invalid_client"
check "…with WWW-Authenticate: Basic" grep -q '^Basic' <<<"$(hdr WWW-Authenticate)"
check "…as application/json" grep -q '^application/json' <<<"$(hdr Content-Type)"
token_form "grant_type=client_credentials&client_id=$CID&client_secret=$WRONG"
expect_status 401 "a wrong secret in the body: 401 invalid_client too"
token_form "grant_type=client_credentials" -u "cl_unknown:$CSECRET"
expect_status 401 "an unknown client: 401"
token_form "grant_type=client_credentials"
expect_status 401 "no client credentials at all: 401 invalid_client"
token_form "grant_type=client_credentials&client_secret=$CSECRET" -u "$CID:$CSECRET"
expect_status 400 "Basic and a body secret together: 400"
expect_jq .error invalid_request "…invalid_request"
"$AAM_BIN" clients revoke "$CID" >/dev/null 2>&1; rc=$?
check "aam clients revoke exits 0" test "$rc" = 0
token_form "grant_type=client_credentials" -u "$CID:$CSECRET"
expect_status 401 "a revoked client: 401"
expect_jq .error invalid_client "…invalid_client"
"$AAM_BIN" clients revoke "$CID" >/dev/null 2>&1; rc=$?
check "revoking it again exits 1 (no such client)" test "$rc" = 1

# ------------------------------------------------------------------ error shapes (RFC 6749 5.2)
token_form "grant_type=password&username=a&password=b"
expect_status 400 "an unsupported grant type"
expect_jq .error unsupported_grant_type "…unsupported_grant_type"
expect_jq '.error_description | length > 0' true "…with an error_description"
token_form "refresh_token=x"
expect_jq .error invalid_request "no grant_type: invalid_request"
token_form "grant_type=refresh_token"
expect_jq .error invalid_request "refresh grant without refresh_token: invalid_request"
token_form "grant_type=refresh_token&grant_type=refresh_token&refresh_token=$BOB_RT"
expect_jq .error invalid_request "a parameter given twice: invalid_request"
token_form "grant_type=refresh_token&refresh_token=%zz"
expect_jq .error invalid_request "a malformed escape: invalid_request"
post_json /api/v1/auth/token '["grant_type"]'
expect_jq .error invalid_request "a JSON body that is not an object: invalid_request"
post_json /api/v1/auth/token '{"grant_type":"refresh_token","refresh_token":7}'
expect_jq .error invalid_request "a JSON parameter that is not a string: invalid_request"
refresh "not-a-token"
check "a malformed refresh token: invalid_grant" is_invalid_grant
check "…Cache-Control: no-store on errors too" test "$(hdr Cache-Control)" = no-store
req POST /api/v1/auth/token -H 'Content-Type: text/plain' --data-binary 'grant_type=refresh_token'
expect_status 415 "another Content-Type: 415"

# ------------------------------------------------------------------ row-level security on the new tables
check "the app role sees no refresh token without a tenant setting" test \
  "$(stack_psql_app "$TEST_DB" -Atc 'SELECT count(*) FROM refresh_tokens')" = 0
check "…nor any client" test "$(stack_psql_app "$TEST_DB" -Atc 'SELECT count(*) FROM clients')" = 0
check "…and only its own tenant's with one" test "$(stack_psql_app "$TEST_DB" -At -c BEGIN \
  -c "SELECT set_config('aam.namespace','bob-co',true)" \
  -c "SELECT count(*) FILTER (WHERE namespace <> 'bob-co') || '/' || count(*) FROM refresh_tokens" -c COMMIT | tail -1)" \
  = "0/$(sql "SELECT count(*) FROM refresh_tokens WHERE namespace='bob-co'")"
check "…and cannot write a token into another tenant" sh -c "! stack_psql_app '$TEST_DB' -c \"BEGIN; SELECT set_config('aam.namespace','bob-co',true); \
  INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at) SELECT repeat('a',64), gen_random_uuid(), id, 'alice-co', now() FROM users LIMIT 1; COMMIT;\""

# ------------------------------------------------------------------ a second server process
S1_URL=$BASE_URL S1_PID=$SERVER_PID S1_LOG=$SERVER_LOG
server_start AAM_REFRESH_TTL_SECONDS=7200 || echo "not ok - second server start"
S2_URL=$BASE_URL S2_PID=$SERVER_PID S2_LOG=$SERVER_LOG
BASE_URL=$S1_URL SERVER_PID=$S1_PID SERVER_LOG=$S1_LOG
refresh "$BOB_RT"
expect_status 200 "refresh on server 1"
BOB_RT=$(jq -r .refresh_token <<<"$BODY"); remember "$BOB_RT"
check "server 2 accepts the access token from server 1's refresh" test "$(me_status "$(jq -r .access_token <<<"$BODY")" "$S2_URL")" = 200
BASE_URL=$S2_URL
refresh "$BOB_RT"
expect_status 200 "server 2 rotates the refresh token server 1 issued"
BOB_RT2=$(jq -r .refresh_token <<<"$BODY"); remember "$BOB_RT2"
BASE_URL=$S1_URL
refresh "$BOB_RT"
check "server 1 then sees that token as spent" is_invalid_grant
kill -TERM "$S2_PID" 2>/dev/null; wait "$S2_PID"; rc=$?; S2_PID=""
check "server 2 exits 0 on SIGTERM with no sanitizer report (make sanitize)" sh -c "test $rc = 0 && ! grep -q Sanitizer '$S2_LOG'"

# ------------------------------------------------------------------ stored only hashed, absent from logs
login bob@example.com bob-password-1; LIVE_RT=$RT
# The dump: every column of both tables, read as the superuser (row-level security hides nothing).
stack_psql_super -d "$TEST_DB" -Atc "SELECT * FROM refresh_tokens" -c "SELECT * FROM clients" >"$TMP/dump.sql"
n_secrets=$(sort -u "$SECRETS" | grep -c .)
check "the dump has rows to look at ($n_secrets secrets handed out)" sh -c "test $n_secrets -ge 20 && test -s '$TMP/dump.sql'"
check "no refresh token or client secret appears in the table dump" sh -c "! grep -qF -f '$SECRETS' '$TMP/dump.sql'"
check "a live refresh token is stored as its SHA-256" grep -q "^$(sha256 "$LIVE_RT")|" "$TMP/dump.sql"
check "bob's client secret is stored as its SHA-256" test \
  "$(sql "SELECT secret_hash FROM clients WHERE id='$BOB_CID'")" = "$(sha256 "$BOB_SECRET")"
check "no refresh token or client secret appears in either server's log" sh -c \
  "! grep -qF -f '$SECRETS' '$SERVER_LOG' '$S2_LOG'"
check "…nor in PostgreSQL's log" sh -c "! cat '$STACK_DIR'/pgdata/log/* '$STACK_DIR'/*.log 2>/dev/null | grep -qF -f '$SECRETS'"
rm -f "$S2_LOG"

# ------------------------------------------------------------------ the shared throttle (last: it locks 127.0.0.1 out)
server_stop; rc=$?
check "server 1 exits 0 on SIGTERM with no sanitizer report (make sanitize)" sh -c "test $rc = 0 && ! grep -q Sanitizer '$SERVER_LOG'"
server_start AAM_LOGIN_MAX_FAILURES_PER_ADDRESS=3 || echo "not ok - throttled server start"
for i in 1 2 3; do refresh "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$i"; done
refresh "$LIVE_RT"
expect_status 429 "after 3 failed token requests from one address, the next gets 429"
check "…with Retry-After" test -n "$(hdr Retry-After)"
post_json /api/v1/auth/login '{"email":"bob@example.com","password":"bob-password-1"}'
expect_status 429 "…and login from that address shares the budget"

finish
