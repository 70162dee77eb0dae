#!/usr/bin/env bash
# Limits and hostile input (the contract's section of that name), against a real server through
# PgBouncer: the login throttle's key is the database's lower() of the email (Kelvin sign and
# dotted capital I on a C.UTF-8 database get the same 429), parallel wrong guesses each take
# their own failure slot, registrations are throttled per address before hashing, the
# connector quota holds under a race, configs are capped, database text never reaches a client,
# X-Forwarded-For is believed only from AAM_TRUSTED_PROXIES, and a bad CIDR stops the start.
# Distinct client addresses come from binding curl to other loopback addresses (127.0.0.N).
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

TMP=$(mktemp -d /tmp/aam-hostile.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
JSON=(-H 'Content-Type: application/json')
sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }

# burst N CMD...: runs CMD N times in parallel with $i set, waits for exactly those (a bare
# `wait` would also wait for the server). CMD is eval'd.
burst() {
  local n=$1 i pids=()
  shift
  for i in $(seq 1 "$n"); do eval "$*" & pids+=($!); done
  wait "${pids[@]}"
}

# statuses DIR: the sorted "CODExN" tally of the status files a parallel burst wrote.
statuses() { local f; for f in "$1"/*; do cat "$f"; echo; done | sort | uniq -c | awk '{printf "%sx%s ", $2, $1}'; }

# A C.UTF-8 database: there lower() folds the Kelvin sign to k and U+0130 to i, as on the
# Docker image's database; the harness's own databases use the C locale.
UDB="${TEST_DB}_utf8"
stack_psql_super -d postgres -c "CREATE DATABASE \"$UDB\" OWNER $STACK_OWNER_USER TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'" >/dev/null
UURL=$(stack_url "$UDB")
need "aam migrate (C.UTF-8 database)" env DATABASE_URL="$UURL" AAM_MIGRATE_DATABASE_URL="$(stack_owner_url "$UDB")" \
  "$AAM_BIN" migrate
need_migrated
usql() { stack_psql_super -d "$UDB" -Atc "$1"; }

check "the C.UTF-8 database folds the Kelvin sign and dotted capital I" \
  test "$(usql "SELECT lower(U&'\\212Aelly') || lower(U&'v\\0130ctim')")" = "kellyvictim"

# ------------------------------------------------------------------ email normalisation
server_start DATABASE_URL="$UURL" AAM_LOGIN_MAX_FAILURES=3 AAM_LOGIN_WINDOW_S=120 || give_up "server start (C.UTF-8)"
login() {  # ADDR EMAIL(JSON-escaped) PASSWORD
  req POST /api/v1/auth/login --interface "$1" "${JSON[@]}" \
    --data-binary "{\"email\":\"$2\",\"password\":\"$3\"}"
}
req POST /api/v1/auth/register "${JSON[@]}" \
  --data-binary '{"email":"kelly@example.org","password":"kelly-password","namespace":"kelly"}'
expect_status 201 "register kelly@example.org"
req POST /api/v1/auth/register "${JSON[@]}" \
  --data-binary '{"email":"victim@example.org","password":"victim-password","namespace":"victim"}'
expect_status 201 "register victim@example.org"

login 127.0.0.2 '\u212Aelly@example.org' kelly-password
expect_status 200 "the Kelvin-sign spelling finds the same user (the lookup uses lower())"
for a in 127.0.0.3 127.0.0.4 127.0.0.5; do
  login $a kelly@example.org wrong-password
  expect_status 401 "wrong password for kelly from $a"
done
login 127.0.0.6 '\u212Aelly@example.org' kelly-password
expect_status 429 "after 3 failures the Kelvin-sign spelling gets the same 429 (no fresh budget)"
check "…with Retry-After" test -n "$(hdr Retry-After)"
login 127.0.0.6 'KELLY@EXAMPLE.ORG' kelly-password
expect_status 429 "…and so does the upper-case spelling"

for a in 127.0.0.7 127.0.0.8 127.0.0.9; do
  login $a 'v\u0130ctim@example.org' wrong-password
  expect_status 401 "wrong password for the dotted-I spelling of victim from $a"
done
login 127.0.0.10 victim@example.org victim-password
expect_status 429 "the plain spelling is throttled by failures made with the dotted capital I"
check "one counter row for victim, keyed by lower()" \
  test "$(usql "SELECT key || '=' || failures FROM login_failures WHERE key LIKE 'email:%victim%'")" = \
  "email:victim@example.org=3"
server_stop; rm -f "$SERVER_LOG"

# ------------------------------------------------------------------ parallel guesses
# A per-address budget of 5: the flood below then hashes 5 times, not 100.
server_start AAM_LOGIN_MAX_FAILURES=3 AAM_LOGIN_MAX_FAILURES_PER_ADDRESS=5 AAM_LOGIN_WINDOW_S=120 ||
  give_up "server start"
req POST /api/v1/auth/register --interface 127.0.0.20 "${JSON[@]}" \
  --data-binary '{"email":"race@example.org","password":"race-password","namespace":"race"}'
expect_status 201 "register race@example.org"
mkdir -p "$TMP/guess"
# shellcheck disable=SC2016 # expanded by burst's eval, once per request
burst 10 'curl -s -o /dev/null -w "%{http_code}" --max-time 60 --interface "127.0.0.$((30 + i))" \
  "${JSON[@]}" --data-binary "{\"email\":\"race@example.org\",\"password\":\"wrong-password\"}" \
  "$BASE_URL/api/v1/auth/login" >"$TMP/guess/$i"'
got=$(statuses "$TMP/guess")
check "10 parallel wrong guesses at a budget of 3: exactly three 401, seven 429 (got: $got)" \
  test "$got" = "401x3 429x7 "

# 100 concurrent wrong logins from one address: every one answered, 401/429/503 only.
mkdir -p "$TMP/flood"
# shellcheck disable=SC2016 # expanded by burst's eval, once per request
burst 100 'curl -s -o /dev/null -w "%{http_code}" --max-time 60 --interface 127.0.0.50 \
  "${JSON[@]}" --data-binary "{\"email\":\"flood$i@example.org\",\"password\":\"wrong-password\"}" \
  "$BASE_URL/api/v1/auth/login" >"$TMP/flood/$i"'
got=$(statuses "$TMP/flood")
check "100 concurrent wrong logins all answered with 401, 429 or 503 (got: $got)" \
  sh -c "printf '%s' '$got' | grep -qxE '((401|429|503)x[0-9]+ )+' &&
         test \$(printf '%s' '$got' | tr ' ' '\n' | awk -Fx 'NF == 2 {s += \$2} END {print s}') = 100"

# ------------------------------------------------------------------ database text
TOK=$("$AAM_BIN" token --namespace race --sub race-user)
req GET '/api/v1/aam/connectors?type=%ff' -H "Authorization: Bearer $TOK"
check "a query value that is not UTF-8 is refused with 400/422 (got $STATUS)" \
  sh -c "test '$STATUS' = 400 || test '$STATUS' = 422"
check "…and the detail carries no database text" \
  sh -c "! printf '%s' '$BODY' | grep -qiE 'database|UTF8|encoding|byte sequence|sqlstate'"
server_stop; rm -f "$SERVER_LOG"

# ------------------------------------------------------------------ register throttle
server_start AAM_REGISTER_MAX_PER_ADDRESS=3 || give_up "server start (register throttle)"
for i in 1 2 3; do
  req POST /api/v1/auth/register --interface 127.0.0.60 "${JSON[@]}" \
    --data-binary "{\"email\":\"reg$i@example.org\",\"password\":\"reg-password\",\"namespace\":\"reg$i\"}"
  expect_status 201 "registration $i of 3 from 127.0.0.60"
done
req POST /api/v1/auth/register --interface 127.0.0.60 "${JSON[@]}" \
  --data-binary '{"email":"reg4@example.org","password":"reg-password","namespace":"reg4"}'
expect_status 429 "a 4th registration from the same address within the hour"
ra=$(hdr Retry-After)
check "…with Retry-After in 1..3600 (got '$ra')" sh -c "test -n '$ra' && test '$ra' -ge 1 && test '$ra' -le 3600"
check "…and nothing was written" test "$(sql "SELECT count(*) FROM tenants WHERE namespace = 'reg4'")" = 0
req POST /api/v1/auth/register --interface 127.0.0.61 "${JSON[@]}" \
  --data-binary '{"email":"reg4@example.org","password":"reg-password","namespace":"reg4"}'
expect_status 201 "another address may still register"
check "the throttled attempt was not counted (the row stays at the limit + 1 at most)" \
  test "$(sql "SELECT attempts FROM register_attempts WHERE address = '127.0.0.60'")" -le 4
server_stop; rm -f "$SERVER_LOG"

# ------------------------------------------------------------------ connector quota and config cap
server_start AAM_MAX_CONNECTORS_PER_TENANT=5 || give_up "server start (quota)"
req POST /api/v1/auth/register --interface 127.0.0.70 "${JSON[@]}" \
  --data-binary '{"email":"quota@example.org","password":"quota-password","namespace":"quota"}'
expect_status 201 "register the quota tenant"
QT=$(printf '%s' "$BODY" | jq -r .access_token)
QA=(-H "Authorization: Bearer $QT")
C=/api/v1/aam/connectors
for i in 1 2 3 4; do
  req POST "$C" "${QA[@]}" "${JSON[@]}" --data-binary "{\"id\":\"c$i\",\"name\":\"C$i\",\"type\":\"rest_api\",\"config\":{\"base_url\":\"https://x.example\"}}"
  expect_status 201 "create c$i of a quota of 5"
done
mkdir -p "$TMP/quota"
# shellcheck disable=SC2016 # expanded by burst's eval, once per request
burst 10 'curl -s -o "$TMP/quota-body-$i" -w "%{http_code}" --max-time 60 "${QA[@]}" "${JSON[@]}" \
  --data-binary "{\"id\":\"r$i\",\"name\":\"R$i\",\"type\":\"rest_api\",\"config\":{\"base_url\":\"https://x.example\"}}" \
  "$BASE_URL$C" >"$TMP/quota/$i"'
got=$(statuses "$TMP/quota")
check "10 parallel creates at quota - 1: exactly one 201, nine 409 (got: $got)" test "$got" = "201x1 409x9 "
check "…the tenant holds exactly 5 connectors" \
  test "$(sql "SELECT count(*) FROM connections WHERE namespace = 'quota'")" = 5
check "…every refusal names the quota in its problem type" \
  sh -c "cat $TMP/quota-body-* | jq -r 'select(.status == 409) | .type' | sort -u | grep -qx 'urn:aam:problem:connector-quota' &&
         test \$(cat $TMP/quota-body-* | jq -r 'select(.status == 409) | .type' | sort -u | wc -l) = 1"
req POST "$C" "${QA[@]}" "${JSON[@]}" --data-binary '{"id":"c1","name":"again","type":"rest_api","config":{"base_url":"https://x.example"}}'
expect_status 409 "a taken id at the quota is still the plain 409"
expect_jq .type about:blank "…without the quota type"
req DELETE "$C/c1" "${QA[@]}"
expect_status 204 "delete one"
req POST "$C" "${QA[@]}" "${JSON[@]}" --data-binary '{"id":"after","name":"After","type":"rest_api","config":{"base_url":"https://x.example"}}'
expect_status 201 "below the quota again, a create succeeds"

big=$(head -c 70000 /dev/zero | tr '\0' 'x')
printf '{"id":"big","name":"Big","type":"rest_api","config":{"blob":"%s"}}' "$big" >"$TMP/big.json"
req DELETE "$C/c2" "${QA[@]}"
req POST "$C" "${QA[@]}" "${JSON[@]}" --data-binary "@$TMP/big.json"
expect_status 422 "a config over 64 KiB is refused"
expect_jq '[.errors[].field] | index("config") != null' true "…naming the config field"
check "…and nothing was written" test "$(sql "SELECT count(*) FROM connections WHERE id = 'big'")" = 0
printf '{"config":{"blob":"%s"}}' "$big" >"$TMP/big-patch.json"
req PATCH "$C/c3" "${QA[@]}" "${JSON[@]}" --data-binary "@$TMP/big-patch.json"
expect_status 422 "a PATCH to a config over 64 KiB is refused"
check "…and the stored config is unchanged" \
  test "$(sql "SELECT connector_config::text FROM connections WHERE namespace = 'quota' AND id = 'c3'")" = \
  '{"base_url": "https://x.example", "auth_header": "Authorization"}'
server_stop; rm -f "$SERVER_LOG"

# ------------------------------------------------------------------ X-Forwarded-For
# The client address shows in the login throttle's per-address key.
server_start AAM_TRUSTED_PROXIES="127.0.0.1/32, 10.0.0.0/8" || give_up "server start (proxies)"
sql "DELETE FROM login_failures" >/dev/null
login_xff() {  # ADDR XFF
  req POST /api/v1/auth/login --interface "$1" -H "X-Forwarded-For: $2" "${JSON[@]}" \
    --data-binary '{"email":"nobody@example.org","password":"wrong-password"}'
}
login_xff 127.0.0.1 "6.6.6.6, 198.51.100.7"
expect_status 401 "a wrong login through the trusted proxy"
check "…is counted against the first untrusted hop from the right" \
  test "$(sql "SELECT count(*) FROM login_failures WHERE key = 'addr:198.51.100.7'")" = 1
check "…not against the hop the client wrote" \
  test "$(sql "SELECT count(*) FROM login_failures WHERE key = 'addr:6.6.6.6'")" = 0
login_xff 127.0.0.80 "198.51.100.8"
expect_status 401 "a wrong login from an untrusted peer that sends X-Forwarded-For"
check "…is counted against the peer itself" \
  test "$(sql "SELECT count(*) FROM login_failures WHERE key = 'addr:127.0.0.80'")" = 1
check "…the header is ignored" \
  test "$(sql "SELECT count(*) FROM login_failures WHERE key = 'addr:198.51.100.8'")" = 0
server_stop; rm -f "$SERVER_LOG"

out=$(AAM_TRUSTED_PROXIES="10.0.0.0/8, 10.0.0.1/33" PORT=1 "$AAM_BIN" serve 2>&1)
rc=$?
check "a bad CIDR in AAM_TRUSTED_PROXIES stops the start with exit 2 (got $rc)" test "$rc" = 2
check "…with one line naming the setting (got: $out)" \
  sh -c "test \$(printf '%s\n' '$out' | wc -l) = 1 && printf '%s' '$out' | grep -q AAM_TRUSTED_PROXIES"

stack_psql_super -d postgres -c "DROP DATABASE \"$UDB\" WITH (FORCE)" >/dev/null 2>&1
finish
