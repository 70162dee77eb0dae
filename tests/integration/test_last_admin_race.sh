#!/usr/bin/env bash
# The last-admin race (issue 24): a tenant with two admins, each demoting the other at the same
# moment. Without the tenant lock both see two admins and both demotions pass, leaving none.
# Each round resets both to admin (directly in the table: their tokens say admin regardless, as
# a role change shows only at a refresh) and fires both PATCHes with
# tests/harness/twin_request.py; afterwards exactly one admin must remain, and one of the two
# requests must have been refused with 409. Then the same for two removals.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

ROUNDS=${AAM_RACE_ROUNDS:-60}
need_migrated
trap 'server_stop >/dev/null 2>&1' EXIT

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }
post_json() { req POST "$1" -H 'Content-Type: application/json' --data-binary "$2" "${@:3}"; }

server_start AAM_WORKERS=4 || give_up "server start"
PORT=${BASE_URL##*:}

post_json /api/v1/auth/register '{"email":"ann@example.com","password":"ann-password-1","namespace":"racers"}'
expect_status 201 "register"
ANN=$(jq -r .access_token <<<"$BODY")
post_json /api/v1/aam/members '{"email":"ben@example.com","role":"admin"}' -H "Authorization: Bearer $ANN"
expect_status 201 "invite a second admin"
post_json /api/v1/auth/accept-invite "{\"invite_token\":\"$(jq -r .invite_token <<<"$BODY")\",\"password\":\"ben-password-1\"}"
expect_status 201 "…who accepts"
BEN=$(jq -r .access_token <<<"$BODY")
ANN_ID=$(sql "SELECT id FROM users WHERE email = 'ann@example.com'")
BEN_ID=$(sql "SELECT id FROM users WHERE email = 'ben@example.com'")
admins() { sql "SELECT count(*) FROM users WHERE namespace = 'racers' AND role = 'admin'"; }
check "two admins to start with" test "$(admins)" = 2

race() {  # METHOD BODY ROUNDS -> BAD (rounds that did not leave exactly one admin), ODD
  local method=$1 body=$2 n=$3 round statuses
  BAD="" ODD=""
  for round in $(seq 1 "$n"); do
    sql "UPDATE users SET role = 'admin' WHERE namespace = 'racers'" >/dev/null
    statuses=$(python3 "$REPO_ROOT/tests/harness/twin_request.py" "$PORT" \
      "$method" "/api/v1/aam/members/$BEN_ID" "$ANN" "$body" \
      "$method" "/api/v1/aam/members/$ANN_ID" "$BEN" "$body" | sort | tr '\n' ' ')
    [ "$(admins)" = 1 ] || BAD+=" r$round:$(admins)"
    case $statuses in "200 409 " | "204 409 ") ;; *) ODD+=" r$round:[$statuses]" ;; esac
    [ "$method" = DELETE ] && [ "$(sql "SELECT count(*) FROM users WHERE namespace = 'racers'")" != 1 ] && BAD+=" r$round:users"
    [ "$method" = DELETE ] && restore
  done
}
restore() {  # puts back whichever admin was removed (same id: the tokens keep working)
  sql "INSERT INTO users (id, email, namespace, password_hash, role)
       SELECT v.id::uuid, v.email, 'racers', 'x', 'admin'
       FROM (VALUES ('$ANN_ID', 'ann@example.com'), ('$BEN_ID', 'ben@example.com')) v(id, email)
       ON CONFLICT DO NOTHING" >/dev/null
}

race PATCH '{"role":"viewer"}' "$ROUNDS"
check "in each of $ROUNDS rounds of two simultaneous demotions exactly one admin is left (${BAD:-all})" test -z "$BAD"
check "…one demotion passed (200) and the other was refused (409) (${ODD:-all})" test -z "$ODD"
race DELETE '' "$ROUNDS"
check "in each of $ROUNDS rounds of two simultaneous removals exactly one admin is left (${BAD:-all})" test -z "$BAD"
check "…one removal passed (204) and the other was refused (409) (${ODD:-all})" test -z "$ODD"
finish
