#!/usr/bin/env bash
# History and concurrency (issue 23) over HTTP through PgBouncer (transaction mode): every
# action and actor kind appends its event in the writing transaction (user and client through
# the API, system through `aam seed`, a check and a background status change standing in as the
# owner), secrets only as {"changed":true}; the history survives deletion and is 404 only for
# an id that never existed; the application role cannot UPDATE or DELETE events (42501);
# ETags, If-Match (412, nothing written) and If-None-Match (304) on one connector and the list;
# two concurrent PATCHes with one If-Match: one 200, one 412; tenant B's list ETag unmoved by A;
# forged, foreign and broken cursors are 400; retention prunes only what is old.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

TMP=$(mktemp -d /tmp/aam-hist.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
need_migrated
for ns in hist-a hist-b; do
  need "tenants create $ns" "$AAM_BIN" tenants create --namespace "$ns" --name "$ns"
done
out=$("$AAM_BIN" clients create --namespace hist-a --name "History job" 2>/dev/null)
CID=$(sed -n 's/^client_id=//p' <<<"$out"); CSECRET=$(sed -n 's/^client_secret=//p' <<<"$out")
[ -n "$CID" ] || give_up "clients create printed a client id"

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }  # superuser: sees every tenant
# owner_tx NS SQL: as the tables' owner (row-level security binds it: FORCE), scoped to NS.
owner_tx() {
  printf "BEGIN;\n\\o /dev/null\nSELECT set_config('aam.namespace', '%s', true);\n\\o\n%s;\nCOMMIT;\n" "$1" "$2" |
    PGPASSWORD=$STACK_OWNER_PASSWORD "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
      "$AAM_MIGRATE_DATABASE_URL" -f - 2>&1
}
# app_sql SQL: as the application role, straight to PostgreSQL, scoped to hist-a.
app_sql() {
  printf "BEGIN;\n\\o /dev/null\nSELECT set_config('aam.namespace', 'hist-a', true);\n\\o\n%s;\nCOMMIT;\n" "$1" |
    PGPASSWORD=$STACK_APP_PASSWORD "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
      "$DIRECT_DATABASE_URL" -f - 2>&1
}

server_start || give_up "server start"
TA=$("$AAM_BIN" token --namespace hist-a --sub alice --email alice@example.com)
TB=$("$AAM_BIN" token --namespace hist-b --sub bob)
A=(-H "Authorization: Bearer $TA")
B=(-H "Authorization: Bearer $TB")
JSON=(-H 'Content-Type: application/json')
C=/api/v1/aam/connectors
newest() { req GET "$C/$1/history?limit=1" "${A[@]}"; }  # the connector's newest event
expect_json() {  # filter expected desc: the filter's output as compact JSON with sorted keys
  local got
  got=$(printf '%s' "$BODY" | jq -S -c "$1" 2>/dev/null)
  if [ "$got" = "$2" ]; then t__report 0 "$3"; else t__report 1 "$3 ($1: expected '$2', got '$got')"; fi
}

# --- created, by a user, with its request id and every field as changes
req POST "$C" "${A[@]}" "${JSON[@]}" -H 'X-Request-Id: req-create-1' \
  --data-binary '{"id":"c1","name":"First","type":"rest_api","config":{"base_url":"https://x.example","auth_header":"X-Key"}}'
expect_status 201 "create c1"
E1=$(hdr ETag)
check "201 carries a strong ETag \"v<version>\"" grep -Eq '^"v[0-9]+"$' <<<"$E1"
newest c1
expect_status 200 "history of c1"
expect_jq '.events[0] | [.action, .actor.type, .actor.id, .actor.email, .request_id, .connector_id] | join(",")' \
  "created,user,alice,alice@example.com,req-create-1,c1" "the created event names the user, the request and the connector"
expect_jq '.events[0].changes | keys | join(",")' "config.auth_header,config.base_url,name,status,type" "created: name, type, status and each config key"
expect_json '.events[0].changes.name' '{"from":null,"to":"First"}' "created: name from null"
expect_jq '.events[0].at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' true "at is RFC 3339 UTC"

# --- ETag on GET, If-None-Match 304
req GET "$C/c1" "${A[@]}"
check "GET carries the same ETag as the create" test "$(hdr ETag)" = "$E1"
: >"$BODY_FILE"  # curl leaves the file alone when no body comes
req GET "$C/c1" "${A[@]}" -H "If-None-Match: $E1"
expect_status 304 "GET with the current ETag in If-None-Match"
check "…with its ETag and no body" test "$(hdr ETag)" = "$E1" -a -z "$BODY"

# --- updated with If-Match: only the changed field
req PATCH "$C/c1" "${A[@]}" "${JSON[@]}" -H "If-Match: $E1" --data-binary '{"name":"Second"}'
expect_status 200 "PATCH with the current ETag"
E2=$(hdr ETag)
check "the ETag changed with the change" test -n "$E2" -a "$E2" != "$E1"
newest c1
expect_json '.events[0] | [.action, .changes]' '["updated",{"name":{"from":"First","to":"Second"}}]' \
  "the updated event holds exactly the changed field"
req GET "$C/c1" "${A[@]}" -H "If-None-Match: $E1"
expect_status 200 "GET with the old ETag in If-None-Match is a full answer"

# --- 412: stale If-Match writes nothing
n_before=$(sql "SELECT count(*) FROM connector_events WHERE namespace = 'hist-a'")
req PATCH "$C/c1" "${A[@]}" "${JSON[@]}" -H "If-Match: $E1" --data-binary '{"name":"Lost"}'
expect_status 412 "PATCH with a stale If-Match"
check "…as problem+json" grep -qi '^content-type: application/problem+json' "$HDRS"
req DELETE "$C/c1" "${A[@]}" -H "If-Match: $E1"
expect_status 412 "DELETE with a stale If-Match"
req DELETE "$C/c1" "${A[@]}" -H 'If-Match: W/"v1", "nonsense"'
expect_status 412 "DELETE with only a weak or foreign tag in If-Match"
check "nothing was written: no event, the name kept" \
  test "$(sql "SELECT count(*) FROM connector_events WHERE namespace = 'hist-a'"):$(sql "SELECT name FROM connections WHERE namespace = 'hist-a' AND id = 'c1'")" = "$n_before:Second"
req PATCH "$C/nope" "${A[@]}" "${JSON[@]}" -H "If-Match: $E1" --data-binary '{"name":"x"}'
expect_status 404 "If-Match on a connector that does not exist is still 404"

# --- two PATCHes with the same If-Match at once: exactly one wins
racers=()
for i in 1 2; do
  curl -s -o /dev/null -w '%{http_code}\n' -X PATCH "${A[@]}" "${JSON[@]}" -H "If-Match: $E2" \
    --data-binary "{\"name\":\"Racer $i\"}" "$BASE_URL$C/c1" >"$TMP/race.$i" &
  racers+=($!)
done
wait "${racers[@]}"  # not a bare wait: the server is a child too
check "two concurrent PATCHes with one If-Match: one 200, one 412" \
  test "$(sort "$TMP"/race.* | tr '\n' ' ')" = "200 412 "

# --- a check with a stale If-Match: 412, and the tenant's check budget is not charged
req POST "$C/c1/check" "${A[@]}" -H "If-Match: $E1"
expect_status 412 "a check with a stale If-Match"
check "…charged nothing to the check budget" \
  test "$(sql "SELECT coalesce(sum(starts), 0) FROM check_starts WHERE namespace = 'hist-a'")" = 0

# --- the application role cannot change events (a grant, not a policy)
for stmt in "UPDATE connector_events SET action = 'deleted'" "DELETE FROM connector_events"; do
  out=$(app_sql "$stmt")
  check "the application role: ${stmt%% *} on connector_events is a permission error (42501)" grep -q 42501 <<<"$out"
done
check "control: the application role reads its events" test "$(app_sql "SELECT count(*) > 0 FROM connector_events")" = t

# --- client actor through client_credentials
TOKC=$(curl -s -X POST "$BASE_URL/api/v1/auth/token" -d grant_type=client_credentials \
  -d "client_id=$CID" -d "client_secret=$CSECRET" | jq -r .access_token)
req POST "$C" -H "Authorization: Bearer $TOKC" "${JSON[@]}" \
  --data-binary '{"id":"c2","name":"By client","type":"rest_api","config":{"base_url":"https://y.example"}}'
expect_status 201 "a service client creates c2"
newest c2
expect_jq '.events[0] | [.action, .actor.type, .actor.id, (.actor | has("email"))] | join(",")' \
  "created,client,$CID,false" "the event names the client, with no email"

# --- system, through aam seed (and a second seed that changes nothing writes no event)
mkdir -p "$TMP/seeds"
cat >"$TMP/seeds/h.json" <<'EOF'
{"tenants":[{"namespace":"hist-a","name":"hist-a","connectors":[
  {"id":"seeded","name":"Seeded","type":"rest_api","status":"ACTIVE","config":{"base_url":"https://s.example"}}]}]}
EOF
need "aam seed" env AAM_SEEDS_DIR="$TMP/seeds" "$AAM_BIN" seed
newest seeded
expect_jq '.events[0] | [.action, .actor.type, .actor.id, .request_id] | join(",")' "created,system,aam seed," \
  "a seeded connector's event names the system (aam seed)"
n_before=$(sql "SELECT count(*) FROM connector_events")
need "aam seed again" env AAM_SEEDS_DIR="$TMP/seeds" "$AAM_BIN" seed
check "a seed that changes nothing appends nothing" test "$(sql "SELECT count(*) FROM connector_events")" = "$n_before"
sed -i 's/"Seeded"/"Seeded 2"/' "$TMP/seeds/h.json"
need "aam seed with a new name" env AAM_SEEDS_DIR="$TMP/seeds" "$AAM_BIN" seed
newest seeded
expect_json '.events[0] | [.action, .actor.id, .changes]' \
  '["updated","aam seed",{"name":{"from":"Seeded","to":"Seeded 2"}}]' "the seed's change is an updated event"

# --- a check (issue 22's contract) and a background status change, standing in as the owner
sql "ALTER TABLE connections ADD COLUMN IF NOT EXISTS secrets jsonb" >/dev/null
req GET "$C" "${A[@]}"
L1=$(hdr ETag)
owner_tx hist-a "SELECT set_config('aam.action', 'checked', true), set_config('aam.actor_id', 'check', true);
  UPDATE connections SET last_check_ok = false, last_check_at = now(), last_check_message = 'no', status = 'ERROR' WHERE id = 'seeded'" >/dev/null
req GET "$C/seeded/history?limit=2" "${A[@]}"
expect_jq '[.events[] | .action] | join(",")' "status_changed,checked" "a check that turns the status appends checked, then status_changed"
expect_json '.events[1].changes' '{"ok":{"from":null,"to":false}}' "checked: ok from the previous result (none) to false"
expect_json '.events[0] | [.actor.type, .actor.id, .changes]' \
  '["system","check",{"status":{"from":"ACTIVE","to":"ERROR"}}]' "status_changed: the status, by the system"
req GET "$C" "${A[@]}" -H "If-None-Match: $L1"
expect_status 200 "the list's ETag moved with the check"
L2=$(hdr ETag)
owner_tx hist-a "UPDATE connections SET status = 'ACTIVE' WHERE id = 'seeded'" >/dev/null
newest seeded
expect_json '.events[0] | [.action, .actor.type, .actor.id, .changes]' \
  '["updated","system","system",{"status":{"from":"ERROR","to":"ACTIVE"}}]' "a background status change without settings: updated, by the system"
req GET "$C" "${A[@]}" -H "If-None-Match: $L2"
expect_status 200 "the list's ETag moved with the background status change"
owner_tx hist-a "UPDATE connections SET secrets = '{\"password\": \"CIPHERTEXT-1\"}' WHERE id = 'seeded'" >/dev/null
newest seeded
expect_json '.events[0].changes' '{"config.password":{"changed":true}}' "a secret field only as {\"changed\":true}"
check "no ciphertext in any event" test "$(sql "SELECT count(*) FROM connector_events WHERE changes::text LIKE '%CIPHERTEXT%'")" = 0
n_before=$(sql "SELECT count(*) FROM connector_events")
owner_tx hist-a "SELECT set_config('aam.action', 'rekeyed', true);
  UPDATE connections SET secrets = '{\"password\": \"CIPHERTEXT-2\"}' WHERE id = 'seeded'" >/dev/null
check "a re-encryption under another key (aam.action = rekeyed) appends no event" \
  test "$(sql "SELECT count(*) FROM connector_events")" = "$n_before"

# --- deleted; the history survives; 404 only for an id that never existed
req GET "$C/c1" "${A[@]}"
req DELETE "$C/c1" "${A[@]}" -H "If-Match: $(hdr ETag)"
expect_status 204 "DELETE with the current ETag"
req GET "$C/c1/history" "${A[@]}"
expect_status 200 "the history of a deleted connector"
expect_jq '[.events[] | .action] | join(",")' "deleted,updated,updated,created" "…newest first, deleted on top"
expect_jq '.next_cursor' null "…and next_cursor null on its last page"
req GET "$C/never/history" "${A[@]}"
expect_status 404 "the history of an id that never existed"
req GET "$C/c1/history" "${B[@]}"
expect_status 404 "another tenant's connector's history"

# --- list ETags: per query, per tenant, 304 by the revision
req GET "$C" "${A[@]}"; LA=$(hdr ETag)
req GET "$C?limit=1" "${A[@]}"; LA1=$(hdr ETag)
req GET "$C" "${B[@]}"; LB=$(hdr ETag)
check "the list carries an ETag, different per query and per tenant" \
  test -n "$LA" -a "$LA" != "$LA1" -a "$LA" != "$LB"
req GET "$C" "${A[@]}" -H "If-None-Match: $LA"
expect_status 304 "an unchanged list with its ETag"
req GET "$C?limit=1" "${A[@]}" -H "If-None-Match: $LA"
expect_status 200 "another query does not take this query's ETag"
req POST "$C" "${A[@]}" "${JSON[@]}" --data-binary '{"id":"c3","name":"Three","type":"rest_api","config":{"base_url":"https://z.example"}}'
req GET "$C" "${B[@]}" -H "If-None-Match: $LB"
expect_status 304 "tenant A's change leaves tenant B's list ETag as it was"
req GET "$C" "${A[@]}" -H "If-None-Match: $LA"
expect_status 200 "…and moves tenant A's"

# --- property: random writes of every kind (API create, patch, delete; the owner's direct
# status change; aam seed) interleaved with conditional reads: a 304 never hides a change, and
# a list unchanged since its ETag always answers 304
stale=0; changes=0; hits=0
ids=(p1 p2 p3)
req GET "$C" "${A[@]}"; ETAG=$(hdr ETag); LIST=$BODY
for step in $(seq 1 40); do
  id=${ids[RANDOM % 3]}
  case $((RANDOM % 6)) in
    0) req POST "$C" "${A[@]}" "${JSON[@]}" --data-binary "{\"id\":\"$id\",\"name\":\"n$step\",\"type\":\"rest_api\",\"config\":{\"base_url\":\"https://z.example\"}}" ;;
    1) req PATCH "$C/$id" "${A[@]}" "${JSON[@]}" --data-binary "{\"name\":\"n$step\",\"config\":{\"s\":$step}}" ;;
    2) req DELETE "$C/$id" "${A[@]}" ;;
    3) owner_tx hist-a "UPDATE connections SET status = CASE status WHEN 'ACTIVE' THEN 'ERROR' ELSE 'ACTIVE' END WHERE id = '$id'" >/dev/null ;;
    4) printf '{"tenants":[{"namespace":"hist-a","name":"hist-a","connectors":[{"id":"%s","name":"s%s","type":"rest_api","status":"ACTIVE","config":{"base_url":"https://z.example"}}]}]}' \
         "$id" "$step" >"$TMP/seeds/h.json"
       env AAM_SEEDS_DIR="$TMP/seeds" "$AAM_BIN" seed >/dev/null 2>&1 ;;
    5) : ;;  # no write
  esac
  req GET "$C" "${A[@]}" -H "If-None-Match: $ETAG"; COND=$STATUS
  req GET "$C" "${A[@]}"; NEW=$(hdr ETag)
  if [ "$BODY" != "$LIST" ]; then
    changes=$((changes + 1))
    [ "$COND" = 304 ] && { stale=$((stale + 1)); echo "# step $step: 304 although the list changed"; }
  fi
  req GET "$C" "${A[@]}" -H "If-None-Match: $NEW"
  if [ "$STATUS" = 304 ]; then hits=$((hits + 1)); else stale=$((stale + 1)); echo "# step $step: no 304 for an unchanged list"; fi
  ETAG=$NEW; LIST=$BODY
  req GET "$C" "${A[@]}"; LIST=$BODY
done
check "random writes and conditional reads: never a stale 304 ($changes changes, $hits 304s)" \
  test "$stale" = 0 -a "$changes" -gt 5

# --- the feed: walks every event exactly once while events are being added
req GET "/api/v1/aam/events?limit=2" "${B[@]}"
expect_status 200 "the feed of a tenant with no events"
expect_jq '(.events | length), (.next_cursor | type)' "0
string" "…has no events and still a cursor to resume from"
(for i in $(seq 1 30); do
   curl -s -o /dev/null -X POST "${A[@]}" "${JSON[@]}" \
     --data-binary "{\"id\":\"w$i\",\"name\":\"W$i\",\"type\":\"rest_api\",\"config\":{\"base_url\":\"https://z.example\"}}" "$BASE_URL$C"
   curl -s -o /dev/null -X PATCH "${A[@]}" "${JSON[@]}" --data-binary '{"status":"ACTIVE"}' "$BASE_URL$C/w$i" &
   curl -s -o /dev/null -X PATCH "${A[@]}" "${JSON[@]}" --data-binary '{"name":"renamed"}' "$BASE_URL$C/w$((i - 1))" &
   wait
 done) &
WRITER=$!
cursor=""; : >"$TMP/seen"
walk() {  # one page from $cursor; appends its ids; sets cursor
  req GET "/api/v1/aam/events?limit=3${cursor:+&after=$cursor}" "${A[@]}"
  [ "$STATUS" = 200 ] || return 1
  printf '%s' "$BODY" | jq -r '.events[].id' >>"$TMP/seen"
  cursor=$(printf '%s' "$BODY" | jq -r .next_cursor)
  [ "$(printf '%s' "$BODY" | jq '.events | length')" -gt 0 ]
}
pages=0
while kill -0 "$WRITER" 2>/dev/null; do walk; pages=$((pages + 1)); done
wait "$WRITER"
while walk; do pages=$((pages + 1)); done
sql "SELECT id FROM connector_events WHERE namespace = 'hist-a' ORDER BY id" >"$TMP/all"
check "the feed, paged while events were added ($pages pages), returned every event exactly once, in order" \
  cmp -s "$TMP/seen" "$TMP/all"
check "…and the last page still gave a cursor" test -n "$cursor" -a "$cursor" != null
req GET "/api/v1/aam/events?after=$cursor" "${A[@]}"
expect_jq '(.events | length), .next_cursor' "0
$cursor" "resuming from the last cursor gives nothing new, and the same cursor"

# history pages: every event of a connector exactly once, newest first
: >"$TMP/hseen"; hc=""
while :; do
  req GET "$C/w5/history?limit=1${hc:+&cursor=$hc}" "${A[@]}"
  printf '%s' "$BODY" | jq -r '.events[].id' >>"$TMP/hseen"
  hc=$(printf '%s' "$BODY" | jq -r .next_cursor)
  [ "$hc" != null ] || break
done
sql "SELECT id FROM connector_events WHERE namespace = 'hist-a' AND connector_id = 'w5' ORDER BY id DESC" >"$TMP/hall"
check "a connector's history pages through every event once, newest first" cmp -s "$TMP/hseen" "$TMP/hall"

# --- cursors: forged, foreign, broken -> 400 problem+json that says nothing more
req GET "$C/w5/history?limit=1" "${A[@]}"; HC=$(printf '%s' "$BODY" | jq -r .next_cursor)
req GET "/api/v1/aam/events?limit=1" "${A[@]}"; FC=$(printf '%s' "$BODY" | jq -r .next_cursor)
req GET "/api/v1/aam/events?limit=1" "${B[@]}"; FB=$(printf '%s' "$BODY" | jq -r .next_cursor)
flip() { local s=$1 c=${1: -1}; [ "$c" = A ] && c=B || c=A; printf '%s' "${s%?}$c"; }
bad=0
for url in "/api/v1/aam/events?after=$FB" "/api/v1/aam/events?after=$HC" "/api/v1/aam/events?after=$(flip "$FC")" \
  "/api/v1/aam/events?after=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "/api/v1/aam/events?after=%25%00" \
  "/api/v1/aam/events?after=" "$C/w6/history?cursor=$HC" "$C/w5/history?cursor=$FC" "$C/w5/history?cursor=12345"; do
  req GET "$url" "${A[@]}"
  if [ "$STATUS" != 400 ] || ! grep -qi 'application/problem+json' "$HDRS" || grep -q '"events"' <<<"$BODY"; then
    bad=$((bad + 1)); echo "# $url -> $STATUS $BODY"
  fi
done
check "forged, foreign (another tenant's, list's or connector's) and broken cursors: 400 problem+json" test "$bad" = 0
req GET "/api/v1/aam/events?limit=101" "${A[@]}"
expect_status 422 "a limit over 100"

# --- retention: only events older than AAM_HISTORY_DAYS go, by the owner's function
sql "INSERT INTO connector_events (namespace, at, actor_type, actor_id, action, connector_id)
     VALUES ('hist-a', now() - interval '100 days', 'system', 'old', 'updated', 'c1'),
            ('hist-a', now() - interval '10 days', 'system', 'recent', 'updated', 'c1')" >/dev/null
out=$(app_sql "SELECT aam_prune_events(0, 10)")
check "the application role cannot prune younger than a day" grep -q 'at least 1' <<<"$out"
server_stop
server_start AAM_HISTORY_DAYS=30 || give_up "server restart"
poll_until 10 test "$(sql "SELECT count(*) FROM connector_events WHERE actor_id = 'old'")" = 0
check "aam serve prunes events older than AAM_HISTORY_DAYS at start" \
  test "$(sql "SELECT count(*) FROM connector_events WHERE actor_id = 'old'")" = 0
check "…and keeps the younger ones" \
  test "$(sql "SELECT count(*) FROM connector_events WHERE actor_id = 'recent'")" = 1

finish
