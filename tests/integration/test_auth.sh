#!/usr/bin/env bash
# Authentication over HTTP through PgBouncer (transaction mode): register -> login -> me,
# case-insensitive emails, 409s that leave nothing behind, a 20-way registration race, form
# logins, 422s, identical 401s for unknown email and wrong password, hash upgrade on login,
# bearer-token refusals (expired, alg none, HS384, bad signature), `aam token`, protected path
# spellings without a token, and CORS. The login throttle has its own file (test_auth_throttle).
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
TMP=$(mktemp -d /tmp/aam-auth.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# mint CLAIMS_JSON [ALG] [KEY]: a JWT made outside the server (as PyJWT lays it out).
mint() {
  python3 - "$1" "${2:-HS256}" "${3:-$JWT_SECRET}" <<'PY'
import base64, hashlib, hmac, json, sys, time
claims, alg, key = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
now = int(time.time())
for k, v in list(claims.items()):          # "now+N" / "now-N" relative times
    if isinstance(v, str) and v.startswith("now"):
        claims[k] = now + int(v[3:] or 0)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
body = b64(json.dumps(claims, separators=(",", ":")).encode())
digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}.get(alg)
sig = b64(hmac.new(key, f"{head}.{body}".encode(), digest).digest()) if digest else ""
print(f"{head}.{body}.{sig}")
PY
}

# sql QUERY: one value, read as the superuser (row-level security does not hide it).
sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }

post_json() {  # PATH JSON [curl args]
  local path=$1 body=$2; shift 2
  req POST "$path" -H 'Content-Type: application/json' --data-binary "$body" "$@"
}

# ------------------------------------------------------------------ aam token (no database)
out=$(env -u JWT_SECRET "$AAM_BIN" token --namespace ops --sub deployer 2>&1); rc=$?
check "aam token without JWT_SECRET exits 2" test "$rc" = 2
check "…with one line naming JWT_SECRET" sh -c "test \$(printf '%s\n' \"\$1\" | wc -l) = 1 && printf '%s' \"\$1\" | grep -q JWT_SECRET" _ "$out"
out=$("$AAM_BIN" token --namespace ops 2>&1); rc=$?
check "aam token without --sub exits 2 with the usage line" sh -c "test $rc = 2 && printf '%s' \"\$1\" | grep -q '^usage: aam token'" _ "$out"
out=$("$AAM_BIN" token --namespace 'Bad NS' --sub x 2>&1); rc=$?
check "aam token with an invalid namespace exits 2" sh -c "test $rc = 2 && printf '%s' \"\$1\" | grep -q usage" _ "$out"
out=$("$AAM_BIN" token --namespace ops --sub x --ttl 0 2>&1); rc=$?
check "aam token --ttl 0 exits 2" test "$rc" = 2
"$AAM_BIN" token --namespace ops --sub x --bogus >/dev/null 2>&1; rc=$?
check "aam token with an unknown option exits 2" test "$rc" = 2
SVC_TOKEN=$(env -u DATABASE_URL "$AAM_BIN" token --namespace ops-svc --sub deploy-bot --ttl 600 \
  --email bot@ops.example 2>"$TMP/err"); rc=$?
check "aam token exits 0 without any database" test "$rc" = 0
check "…printing one line, the token, and nothing on stderr" sh -c \
  "test \$(printf '%s\n' \"\$1\" | wc -l) = 1 && test \$(printf '%s' \"\$1\" | tr -cd . | wc -c) = 2 && test ! -s '$TMP/err'" _ "$SVC_TOKEN"

server_start AAM_CORS_ORIGINS=http://ui.example AAM_LOGIN_MAX_FAILURES=1000 AAM_REGISTER_MAX_PER_ADDRESS=1000 ||
  give_up "server start"

# ------------------------------------------------------------------ register -> login -> me
post_json /api/v1/auth/register \
  '{"email":"Alice@Example.COM","password":"alice-password-1","namespace":"alice-co","tenant_name":"Alice & Co"}'
expect_status 201 "register a new tenant and its first user"
expect_jq .user.email alice@example.com "the email is stored lower-cased"
expect_jq .user.namespace alice-co "the user belongs to the new namespace"
expect_jq .token_type bearer "token_type is bearer"
expect_jq .expires_in 3600 "expires_in is JWT_TTL_SECONDS"
expect_jq '.user.id | test("^[0-9a-f-]{36}$")' true "the user id is a uuid"
ALICE_ID=$(jq -r .user.id <<<"$BODY")
REG_TOKEN=$(jq -r .access_token <<<"$BODY")
check "the tenant row exists with its name" test "$(sql "SELECT name FROM tenants WHERE namespace='alice-co'")" = "Alice & Co"
check "the stored hash is PBKDF2 with 600000 iterations" \
  grep -q '^pbkdf2-sha256\$600000\$' <<<"$(sql "SELECT password_hash FROM users WHERE email='alice@example.com'")"

req GET /api/v1/auth/me -H "Authorization: Bearer $REG_TOKEN"
expect_status 200 "me with the registration token"
expect_jq .id "$ALICE_ID" "me: id is the user id"
expect_jq .email alice@example.com "me: email"
expect_jq .namespace alice-co "me: namespace"
expect_jq .tenant_id "$(sql "SELECT id FROM tenants WHERE namespace='alice-co'")" "me: tenant_id from the tenants table"

post_json /api/v1/auth/login '{"email":"ALICE@example.com","password":"alice-password-1"}'
expect_status 200 "login with the email in another case"
expect_jq .user.id "$ALICE_ID" "login returns the same user"
expect_jq .user.namespace alice-co "login: user.namespace"
expect_jq .token_type bearer "login: token_type"
expect_jq .expires_in 3600 "login: expires_in"
LOGIN_TOKEN=$(jq -r .access_token <<<"$BODY")
req GET /api/v1/auth/me -H "authorization: bearer $LOGIN_TOKEN"
expect_status 200 "me with the login token (scheme in lower case)"
expect_jq .email alice@example.com "…is alice"

req POST /api/v1/auth/login -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-binary 'grant_type=password&username=alice%40example.com&password=alice-password-1&scope='
expect_status 200 "login with an OAuth2 password-grant form"
expect_jq .user.email alice@example.com "form login: the user"

# tenant_name defaults to the namespace
post_json /api/v1/auth/register '{"email":"bob@example.com","password":"bob-password-1","namespace":"bob-co"}'
expect_status 201 "register without tenant_name"
check "…the tenant is named after its namespace" test "$(sql "SELECT name FROM tenants WHERE namespace='bob-co'")" = bob-co

# ------------------------------------------------------------------ conflicts
post_json /api/v1/auth/register '{"email":"ALICE@EXAMPLE.COM","password":"another-pass","namespace":"fresh-ns"}'
expect_status 409 "an existing email in any case is 409"
check "409 is problem+json" grep -qi '^content-type: application/problem+json' "$HDRS"
expect_jq '.detail | test("email")' true "…saying the email is taken"
check "…and the new namespace was not created (one transaction)" test "$(sql "SELECT count(*) FROM tenants WHERE namespace='fresh-ns'")" = 0
post_json /api/v1/auth/register '{"email":"carol@example.com","password":"carol-password","namespace":"alice-co"}'
expect_status 409 "an existing namespace is 409 (joining a tenant is not public)"
expect_jq '.detail | test("namespace")' true "…saying the namespace is taken"
check "…and no user carol was created" test "$(sql "SELECT count(*) FROM users WHERE email='carol@example.com'")" = 0
post_json /api/v1/auth/register '{"email":"carol@example.com","password":"carol-password","namespace":"fresh-ns"}'
expect_status 201 "the refused email's namespace is still free"

# 20 concurrent registrations of one email: exactly one 201, the rest 409, none 500.
pids=()
for i in $(seq 1 20); do
  curl -s -o /dev/null -w '%{http_code}' --max-time 60 -X POST "$BASE_URL/api/v1/auth/register" \
    -H 'Content-Type: application/json' \
    -d "{\"email\":\"race@example.com\",\"password\":\"race-password\",\"namespace\":\"race-$i\"}" \
    >"$TMP/race.$i" &
  pids+=($!)
done
wait "${pids[@]}"
codes=$(cat "$TMP"/race.* | fold -w3 | sort | uniq -c | awk '{print $2"x"$1}' | tr '\n' ' ')
check "20 racing registrations of one email: one 201, nineteen 409 (got: $codes)" \
  test "$codes" = "201x1 409x19 "
check "…one user and one tenant exist afterwards" \
  test "$(sql "SELECT count(*) FROM users WHERE email='race@example.com'"),$(sql "SELECT count(*) FROM tenants WHERE namespace LIKE 'race-%'")" = "1,1"

# and 20 racing for one namespace with different emails
pids=()
for i in $(seq 1 20); do
  curl -s -o /dev/null -w '%{http_code}' --max-time 60 -X POST "$BASE_URL/api/v1/auth/register" \
    -H 'Content-Type: application/json' \
    -d "{\"email\":\"ns-race-$i@example.com\",\"password\":\"race-password\",\"namespace\":\"contested\"}" \
    >"$TMP/nsrace.$i" &
  pids+=($!)
done
wait "${pids[@]}"
codes=$(cat "$TMP"/nsrace.* | fold -w3 | sort | uniq -c | awk '{print $2"x"$1}' | tr '\n' ' ')
check "20 racing registrations of one namespace: one 201, nineteen 409 (got: $codes)" \
  test "$codes" = "201x1 409x19 "

# ------------------------------------------------------------------ validation
post_json /api/v1/auth/register '{"email":"nope","password":"short","namespace":"Bad NS","tenant_name":""}'
expect_status 422 "invalid fields are 422"
expect_jq '[.errors[].field] | sort | join(",")' "email,namespace,password,tenant_name" "…naming every bad field"
post_json /api/v1/auth/register '{"email":"dave@example.com","password":12345678,"namespace":"dave"}'
expect_status 422 "a password of the wrong JSON type is 422"
expect_jq '.errors[0].field' password "…on the password field"
post_json /api/v1/auth/register "{\"email\":\"dave@example.com\",\"password\":\"$(printf 'p%.0s' $(seq 1 1025))\",\"namespace\":\"dave\"}"
expect_status 422 "a 1025-byte password is 422"
post_json /api/v1/auth/register "{\"email\":\"dave@example.com\",\"password\":\"dave-password\",\"namespace\":\"dave\",\"tenant_name\":\"$(printf 'n%.0s' $(seq 1 201))\"}"
expect_status 422 "a 201-character tenant_name is 422"
post_json /api/v1/auth/register "{\"email\":\"$(printf 'e%.0s' $(seq 1 250))@x.io\",\"password\":\"dave-password\",\"namespace\":\"dave\"}"
expect_status 422 "a 255-byte email is 422"
post_json /api/v1/auth/register 'not json'
expect_status 400 "a body that is not JSON is 400"
req POST /api/v1/auth/register -H 'Content-Type: application/json'
expect_status 400 "a missing body is 400"
post_json /api/v1/auth/login '{"email":"alice@example.com"}'
expect_status 422 "login without a password is 422"
req POST /api/v1/auth/login -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'username=a%zz'
expect_status 400 "a form with a bad escape is 400"
check "the refused registrations created nothing" test "$(sql "SELECT count(*) FROM tenants WHERE namespace='dave'")" = 0

# ------------------------------------------------------------------ 401s that say nothing
post_json /api/v1/auth/login '{"email":"nobody@example.com","password":"whatever-password"}'
expect_status 401 "login with an unknown email"
unknown_body=$BODY
post_json /api/v1/auth/login '{"email":"alice@example.com","password":"wrong-password"}'
expect_status 401 "login with a wrong password"
check "unknown email and wrong password get the same body" test "$unknown_body" = "$BODY"
check "…and the body names neither cause" bash -c '! printf "%s" "$1" | grep -qiE "unknown|not found|no such|wrong password"' _ "$BODY"

# ------------------------------------------------------------------ hash upgrade on login
old_hash=$(python3 -c '
import base64, hashlib, os
s = os.urandom(16)
k = hashlib.pbkdf2_hmac("sha256", b"legacy-password", s, 1000, 32)
print("pbkdf2-sha256$1000$" + base64.b64encode(s).decode() + "$" + base64.b64encode(k).decode())')
sql "INSERT INTO tenants (namespace, name) VALUES ('legacy', 'Legacy');
     INSERT INTO users (email, namespace, password_hash) VALUES ('old@example.com', 'legacy', '$old_hash')" >/dev/null
post_json /api/v1/auth/login '{"email":"old@example.com","password":"legacy-password"}'
expect_status 200 "login with a hash made with 1000 iterations"
check "…re-hashes it with 600000 iterations" \
  grep -q '^pbkdf2-sha256\$600000\$' <<<"$(sql "SELECT password_hash FROM users WHERE email='old@example.com'")"
post_json /api/v1/auth/login '{"email":"old@example.com","password":"legacy-password"}'
expect_status 200 "…and the upgraded hash still logs in"
post_json /api/v1/auth/login '{"email":"old@example.com","password":"legacy-passwore"}'
expect_status 401 "…and still refuses a wrong password"

# ------------------------------------------------------------------ tokens
req GET /api/v1/auth/me -H "Authorization: Bearer $SVC_TOKEN"
expect_status 200 "an 'aam token' token for an unregistered namespace works"
expect_jq '[.id, .namespace, .email, .tenant_id] | tostring' '["deploy-bot","ops-svc","bot@ops.example",null]' \
  "…me: its sub, namespace, email and a null tenant_id"
tok=$(mint '{"namespace":"alice-co","sub":"bench-user","iss":"aam","iat":"now","exp":"now+600"}')
req GET /api/v1/auth/me -H "Authorization: Bearer $tok"
expect_status 200 "a PyJWT-style token with only namespace/sub/iss/iat/exp"
expect_jq '.tenant_id != null and .email == null' true "…gets the tenant's id and a null email"

refuse() {  # DESC TOKEN
  req GET /api/v1/aam/connectors -H "Authorization: Bearer $2"
  expect_status 401 "$1"
  check "…with WWW-Authenticate: Bearer" sh -c "grep -i '^www-authenticate:' '$HDRS' | grep -q Bearer"
}
refuse "an expired token" "$(mint '{"namespace":"alice-co","sub":"u","iss":"aam","iat":"now-7200","exp":"now-3600"}')"
refuse "an alg none token" "$(mint '{"namespace":"alice-co","sub":"u","iss":"aam","iat":"now","exp":"now+600"}' none)"
refuse "an HS384 token signed with the same secret" \
  "$(mint '{"namespace":"alice-co","sub":"u","iss":"aam","iat":"now","exp":"now+600"}' HS384)"
refuse "a token signed with another secret" \
  "$(mint '{"namespace":"alice-co","sub":"u","iss":"aam","iat":"now","exp":"now+600"}' HS256 another-secret-0123456789abcdef01234)"
refuse "a token from another issuer" "$(mint '{"namespace":"alice-co","sub":"u","iss":"other","iat":"now","exp":"now+600"}')"
refuse "a token without a namespace" "$(mint '{"sub":"u","iss":"aam","iat":"now","exp":"now+600"}')"
refuse "a token not valid yet (nbf)" "$(mint '{"namespace":"alice-co","sub":"u","iss":"aam","nbf":"now+600","exp":"now+1200"}')"
refuse "a tampered token" "${LOGIN_TOKEN%?????}AAAAA"
req GET /api/v1/auth/me -H "Authorization: Basic $(printf 'alice@example.com:alice-password-1' | base64)"
expect_status 401 "Basic credentials are refused"

# ------------------------------------------------------------------ no spelling gets in without a token
for p in /api/v1/aam/connectors //api/v1/aam/connectors /api/v1/aam/connectors/ \
  /api/v1/aam/%2e%2e/connectors /api/v1/aam/connectors/%2e%2e /api/v1/auth/login/../../aam/connectors \
  /API/V1/AAM/CONNECTORS /api/v1/auth/me/ //api//v1/auth/me; do
  req GET "$p"
  check "GET $p without a token is refused (HTTP $STATUS)" sh -c "case $STATUS in 401|400|404) exit 0;; *) exit 1;; esac"
done

# ------------------------------------------------------------------ CORS
req GET /api/v1/auth/me -H "Authorization: Bearer $LOGIN_TOKEN" -H 'Origin: http://ui.example'
expect_status 200 "a call from the allowed origin"
check "…echoes Access-Control-Allow-Origin" test "$(hdr Access-Control-Allow-Origin)" = http://ui.example
check "…with Vary: Origin" sh -c "grep -i '^vary:' '$HDRS' | grep -qi origin"
req OPTIONS /api/v1/aam/connectors -H 'Origin: http://ui.example' \
  -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: authorization, content-type'
check "a preflight needs no token (HTTP $STATUS)" sh -c "case $STATUS in 200|204) exit 0;; *) exit 1;; esac"
check "…allows the origin" test "$(hdr Access-Control-Allow-Origin)" = http://ui.example
check "…allows Authorization" sh -c "grep -i '^access-control-allow-headers:' '$HDRS' | grep -qi authorization"
check "…allows Content-Type" sh -c "grep -i '^access-control-allow-headers:' '$HDRS' | grep -qi content-type"
req GET /api/v1/auth/me -H "Authorization: Bearer $LOGIN_TOKEN" -H 'Origin: http://evil.example'
check "another origin gets no Access-Control-Allow-Origin" test -z "$(hdr Access-Control-Allow-Origin)"
req OPTIONS /api/v1/aam/connectors -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: GET'
check "…nor on a preflight" test -z "$(hdr Access-Control-Allow-Origin)"

check "no password or token appears in the server log" sh -c \
  "! grep -qE 'alice-password-1|legacy-password|${LOGIN_TOKEN: -20}' '$SERVER_LOG'"
finish
