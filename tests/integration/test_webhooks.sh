#!/usr/bin/env bash
# Webhooks (contract, Webhooks; issue 25), loopback only: a receiver started here checks every
# delivery with the real npm `standardwebhooks` package, and this script checks each again by
# hand (Python hmac). Covered: the save-time outbound rule (public refuses loopback, a CIDR
# allows it), the events and their bodies (no connector secret in any), retries with the same
# webhook-id, a rotation's two signatures, the 24 h disabling and giving up (rows scheduled in
# the past: no waiting), a redirect not followed, an address that changed after saving, a
# kill -9 with a delivery in flight, two replicas under a small write load (each event
# delivered; duplicates counted; latency reported), retention, metrics, no secret in any log.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
T=$(mktemp -d /tmp/aam-webhooks.XXXXXX)
RECV_PID="" B_PID=""
cleanup() {
  [ -n "$RECV_PID" ] && kill -TERM "$RECV_PID" 2>/dev/null && wait "$RECV_PID" 2>/dev/null
  [ -n "$B_PID" ] && kill -TERM "$B_PID" 2>/dev/null && wait "$B_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
# the superuser, whom row-level security does not bind: the test's fake clock moves rows in time
sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }
# until_is SECONDS OP WANT command...: re-runs the command every 0.05 s until its output OP
# (= or -ge) WANT holds, or the deadline passes (1).
until_is() {
  local deadline=$((SECONDS + $1)) op=$2 want=$3; shift 3
  until test "$("$@" 2>/dev/null)" "$op" "$want"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.05
  done
}

: >"$T/secrets"
: >"$T/log"
node "$REPO_ROOT/tests/harness/webhook_receiver.mjs" "$T/port" "$T/log" "$T/secrets" &
RECV_PID=$!
poll_until 10 test -s "$T/port" || give_up "the receiver did not start"
RP=$(cat "$T/port")
RURL="http://127.0.0.1:$RP"

NS=wh$RANDOM
need "a tenant" "$AAM_BIN" tenants create --namespace "$NS" --name "Webhooks"
TOKEN=$("$AAM_BIN" token --namespace "$NS" --sub tester) || give_up "aam token"
AUTH=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')
ENV=(AAM_OUTBOUND_NETS=127.0.0.0/8 AAM_WEBHOOK_POLL_MS=50)

# --- the save-time rule, on a replica with the default AAM_OUTBOUND_NETS=public (sends nothing)
echo "# section 1 at ${SECONDS}s"
server_start AAM_WEBHOOK_WORKERS=0 || give_up "server (public) start"
PUBLIC_PID=$SERVER_PID PUBLIC_LOG=$SERVER_LOG
for u in "$RURL/ok" "http://localhost:$RP/ok" "http://2130706433:$RP/ok" "http://[::ffff:127.0.0.1]:$RP/ok"; do
  req POST /api/v1/aam/webhooks "${AUTH[@]}" -d "{\"url\":\"$u\",\"events\":[\"connector.created\"]}"
  expect_status 422 "public: $u is refused when saved"
  expect_jq '.errors[0].field' url "…on the field url"
done
kill -TERM "$PUBLIC_PID"; wait "$PUBLIC_PID"
cat "$PUBLIC_LOG" >>"$T/server.log"; rm -f "$PUBLIC_LOG"

server_start "${ENV[@]}" || give_up "server start"
A_PID=$SERVER_PID A_LOG=$SERVER_LOG
for bad in '{"url":"ftp://127.0.0.1/x","events":["connector.created"]}' \
  "{\"url\":\"http://u:p@127.0.0.1:$RP/ok\",\"events\":[\"connector.created\"]}" \
  "{\"url\":\"$RURL/ok\",\"events\":[]}" "{\"url\":\"$RURL/ok\",\"events\":[\"connector.nope\"]}" \
  "{\"url\":\"$RURL/ok\",\"events\":[\"connector.created\"],\"description\":\"a\\u202eb\"}"; do
  req POST /api/v1/aam/webhooks "${AUTH[@]}" -d "$bad"
  expect_status 422 "refused: $bad"
done

create_hook() {  # PATH EVENTS-JSON: creates a webhook; HOOK_ID, HOOK_SECRET
  req POST /api/v1/aam/webhooks "${AUTH[@]}" -d "{\"url\":\"$RURL$1\",\"events\":$2,\"description\":\"test $1\"}"
  HOOK_ID=$(jq -r .id <<<"$BODY") HOOK_SECRET=$(jq -r .secret <<<"$BODY")
  [ "$STATUS" = 201 ] && echo "$HOOK_SECRET" >>"$T/secrets"
}
ALL='["connector.created","connector.updated","connector.deleted","connector.status_changed","connector.check_failed"]'
create_hook /ok "$ALL"
expect_status 201 "a webhook with 127.0.0.0/8 allowed"
OK_ID=$HOOK_ID OK_SECRET=$HOOK_SECRET
check "its secret is whsec_ and 32 bytes of base64" grep -qE '^whsec_[A-Za-z0-9+/]{43}=$' <<<"$OK_SECRET"
req GET "/api/v1/aam/webhooks/$OK_ID" "${AUTH[@]}"
expect_jq 'has("secret")' false "GET shows no secret"
req GET /api/v1/aam/webhooks "${AUTH[@]}"
expect_jq '.total' 1 "the list holds it"

# The secret fields the trigger strips are the registry's writeOnly fields.
req GET /api/v1/aam/connector-types "${AUTH[@]}"
for ty in postgres s3 rest_api filesource; do
  want=$(jq -c --arg t "$ty" '[.types[] | select(.type == $t) | .spec.properties | to_entries[] | select(.value.writeOnly == true) | .key] | sort' <<<"$BODY")
  got=$(sql "SELECT to_jsonb(ARRAY(SELECT unnest(aam_connector_secret_fields('$ty')) ORDER BY 1))")
  check "secret fields of $ty: SQL $got = registry $want" test "$(jq -c . <<<"$got")" = "$want"
done

# --- events and bodies: created, updated + status_changed, deleted; a password in the config
echo "# section 2 at ${SECONDS}s"
PW="hunter2-pw-$RANDOM$RANDOM"
req POST /api/v1/aam/connectors "${AUTH[@]}" -d "{\"id\":\"pg1\",\"name\":\"PG\",\"type\":\"postgres\",\"config\":{\"host\":\"db.example\",\"database\":\"d\",\"user\":\"u\",\"password\":\"$PW\"}}"
expect_status 201 "a postgres connector with a password"
req PATCH /api/v1/aam/connectors/pg1 "${AUTH[@]}" -d '{"status":"INACTIVE"}'
expect_status 200 "its status changed"
req DELETE /api/v1/aam/connectors/pg1 "${AUTH[@]}"
expect_status 204 "deleted"
got_types() { jq -rs '[.[] | select(.path == "/ok") | (.body | fromjson | .type)] | sort | join(",")' "$T/log"; }
until_is 10 = "connector.created,connector.deleted,connector.status_changed,connector.updated" got_types
check "the four events arrived ($(got_types))" test "$(got_types)" = "connector.created,connector.deleted,connector.status_changed,connector.updated"
check "standardwebhooks verified every delivery" test "$(jq -s '[.[] | select(.verified == [])] | length' "$T/log")" = 0
check "no delivery body holds the password" bash -c "! grep -q '$PW' '$T/log'"
check "created: config without the password, secrets [password]" test \
  "$(jq -rs '[.[] | .body | fromjson | select(.type == "connector.created") | .data | (.config | has("password") | not) and .secrets == ["password"] and .id == "pg1" and .status == "PENDING"] | all' "$T/log")" = true
check "deleted: data is {id}" test "$(jq -rs '[.[] | .body | fromjson | select(.type == "connector.deleted") | .data] | .[0] | tojson' "$T/log")" = '{"id":"pg1"}'
# By hand: HMAC-SHA256 of id.timestamp.body under the decoded key.
cat >"$T/sig_check.py" <<'EOF'
import base64, hashlib, hmac, json, sys
secrets = [base64.b64decode(s.strip()[6:]) for s in open(sys.argv[2]) if s.strip()]
bad = 0
for line in open(sys.argv[1]):
    d = json.loads(line); h = d["headers"]
    msg = (h["webhook-id"] + "." + h["webhook-timestamp"] + "." + d["body"]).encode()
    sigs = [s.split(",", 1)[1] for s in h["webhook-signature"].split(" ")]
    ok = any(base64.b64encode(hmac.new(k, msg, hashlib.sha256).digest()).decode() in sigs for k in secrets)
    bad += not ok
print(bad)
EOF
check "python hmac verifies every delivery too" test "$(python3 "$T/sig_check.py" "$T/log" "$T/secrets")" = 0

# --- retries keep the webhook-id (500, 500, 200). The waits between are 5 s and 30 s: the test
echo "# section 3 at ${SECONDS}s"
# makes each retry due at once (the row scheduled in the past) after checking the schedule.
create_hook /flaky '["connector.created"]'
FLAKY_ID=$HOOK_ID
req POST /api/v1/aam/connectors "${AUTH[@]}" -d '{"id":"f1","name":"F","type":"rest_api","config":{"base_url":"https://example.com"}}'
flaky_n() { jq -s '[.[] | select(.path == "/flaky")] | length' "$T/log"; }
due_now() { sql "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE webhook_id = '$FLAKY_ID' AND status = 'pending'" >/dev/null; }
until_is 10 -ge 1 flaky_n
until_is 5 = 1 sql "SELECT attempts FROM webhook_deliveries WHERE webhook_id = '$FLAKY_ID' AND next_attempt_at > now()"
delay=$(sql "SELECT round(extract(epoch FROM next_attempt_at - last_attempt_at)) FROM webhook_deliveries WHERE webhook_id = '$FLAKY_ID'")
check "after the first failure the next attempt is 5 s later (got $delay)" test "$delay" = 5
due_now
until_is 10 -ge 2 flaky_n
until_is 5 = 2 sql "SELECT attempts FROM webhook_deliveries WHERE webhook_id = '$FLAKY_ID' AND next_attempt_at > now()"
delay=$(sql "SELECT round(extract(epoch FROM next_attempt_at - last_attempt_at)) FROM webhook_deliveries WHERE webhook_id = '$FLAKY_ID'")
check "after the second, 30 s (got $delay)" test "$delay" = 30
due_now
until_is 10 -ge 3 flaky_n
check "three arrivals, one webhook-id" test "$(jq -rs '[.[] | select(.path == "/flaky") | .headers["webhook-id"]] | unique | length' "$T/log")" = 1
req GET "/api/v1/aam/webhooks/$FLAKY_ID/deliveries" "${AUTH[@]}"
poll_until 5 bash -c "curl -s ${AUTH[*]@Q} $BASE_URL/api/v1/aam/webhooks/$FLAKY_ID/deliveries | jq -e '.deliveries[0].status == \"succeeded\"'"
req GET "/api/v1/aam/webhooks/$FLAKY_ID/deliveries" "${AUTH[@]}"
expect_jq '[.deliveries[0].attempts[].status_code] | tojson' '[500,500,204]' "the deliveries log shows each attempt"
expect_jq '.deliveries[0].attempts | all(has("at") and has("duration_ms"))' true "…with its time and duration"

# --- rotation: two signatures, each verifies
echo "# section 4 at ${SECONDS}s"
req POST "/api/v1/aam/webhooks/$OK_ID/rotate-secret" "${AUTH[@]}"
expect_status 200 "rotate-secret"
NEW_SECRET=$(jq -r .secret <<<"$BODY")
check "a new secret, shown once" test "$NEW_SECRET" != "$OK_SECRET" -a "${NEW_SECRET:0:6}" = whsec_
echo "$NEW_SECRET" >>"$T/secrets"
req POST "/api/v1/aam/webhooks/$OK_ID/test" "${AUTH[@]}"
expect_status 202 "send a test event"
TEST_MSG=$(jq -r .webhook_id <<<"$BODY")
poll_until 10 grep -q "$TEST_MSG" "$T/log"
line=$(grep "$TEST_MSG" "$T/log" | head -1)
check "during the rotation the header holds two v1 signatures" test "$(jq -r '.headers["webhook-signature"] | split(" ") | length' <<<"$line")" = 2
ni=$(($(wc -l <"$T/secrets") - 1))
check "…verified by the old and the new secret" test "$(jq -c '.verified' <<<"$line")" = "[0,$ni]"

# --- the address changed after saving (as a DNS answer could): that attempt fails, nothing sent
echo "# section 5 at ${SECONDS}s"
create_hook /ok '["connector.updated"]'
MOVED_ID=$HOOK_ID
sql "UPDATE webhooks SET url = 'http://10.1.2.3:9/ok' WHERE id = '$MOVED_ID'" >/dev/null
req PATCH /api/v1/aam/connectors/f1 "${AUTH[@]}" -d '{"name":"F2"}'
moved_err() { sql "SELECT last_error FROM webhook_deliveries WHERE webhook_id = '$MOVED_ID'"; }
until_is 10 = t sql "SELECT last_error IS NOT NULL FROM webhook_deliveries WHERE webhook_id = '$MOVED_ID'"
check "a target now outside AAM_OUTBOUND_NETS fails at send ($(moved_err))" grep -q 'outside AAM_OUTBOUND_NETS' <<<"$(moved_err)"

# --- a redirect (to the admin port) is not followed
echo "# section 6 at ${SECONDS}s"
create_hook "/redirect?to=${ADMIN_URL}/metrics" '["connector.updated"]'
REDIR_ID=$HOOK_ID
sql "UPDATE webhooks SET events = '{connector.check_failed}' WHERE id IN ('$MOVED_ID')" >/dev/null
req PATCH /api/v1/aam/connectors/f1 "${AUTH[@]}" -d '{"name":"F3"}'
until_is 10 = 302 sql "SELECT last_status_code FROM webhook_deliveries WHERE webhook_id = '$REDIR_ID'"
check "the 302 is a failed attempt, not followed" test "$(sql "SELECT status || ' ' || last_error FROM webhook_deliveries WHERE webhook_id = '$REDIR_ID'")" = "pending HTTP 302"
sql "DELETE FROM webhooks WHERE id IN ('$REDIR_ID', '$MOVED_ID')" >/dev/null

# --- 24 h: giving up on a delivery, and disabling an endpoint that failed for a day
echo "# section 7 at ${SECONDS}s"
create_hook /fail '["connector.updated"]'
FAIL_ID=$HOOK_ID
req PATCH /api/v1/aam/connectors/f1 "${AUTH[@]}" -d '{"name":"F4"}'
until_is 10 = 1 sql "SELECT attempts FROM webhook_deliveries WHERE webhook_id = '$FAIL_ID' AND last_attempt_at IS NOT NULL"
sql "UPDATE webhook_deliveries SET created_at = now() - interval '23 hours 59 minutes 58 seconds', next_attempt_at = now() WHERE webhook_id = '$FAIL_ID'" >/dev/null
until_is 10 = failed sql "SELECT status FROM webhook_deliveries WHERE webhook_id = '$FAIL_ID'"
check "a delivery whose next retry would fall past 24 h after its event fails for good" test "$(sql "SELECT status FROM webhook_deliveries WHERE webhook_id = '$FAIL_ID'")" = failed
req GET "/api/v1/aam/webhooks/$FAIL_ID" "${AUTH[@]}"
expect_jq .active true "…the endpoint stays active (it has failed for seconds, not a day)"
req PATCH /api/v1/aam/connectors/f1 "${AUTH[@]}" -d '{"name":"F5"}'
until_is 10 = 1 sql "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '$FAIL_ID' AND attempts = 1 AND status = 'pending' AND last_attempt_at IS NOT NULL"
sql "UPDATE webhooks SET failing_since = now() - interval '24 hours 1 second' WHERE id = '$FAIL_ID'; UPDATE webhook_deliveries SET next_attempt_at = now() WHERE webhook_id = '$FAIL_ID' AND status = 'pending'" >/dev/null
until_is 10 = f sql "SELECT active FROM webhooks WHERE id = '$FAIL_ID'"
req GET "/api/v1/aam/webhooks/$FAIL_ID" "${AUTH[@]}"
expect_jq '.active' false "an endpoint with no success for 24 h is set active:false"
expect_jq '.disabled_at != null' true "…with disabled_at"
check "…and its pending deliveries failed" test "$(sql "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = '$FAIL_ID' AND status = 'pending'")" = 0
req DELETE "/api/v1/aam/webhooks/$FAIL_ID" "${AUTH[@]}"
expect_status 204 "delete a webhook"
req DELETE "/api/v1/aam/webhooks/$FLAKY_ID" "${AUTH[@]}"

# --- kill -9 with a delivery in flight: the lease runs out, a restarted server sends it again
echo "# section 8 at ${SECONDS}s"
create_hook /slow '["connector.updated"]'
SLOW_ID=$HOOK_ID
req PATCH /api/v1/aam/connectors/f1 "${AUTH[@]}" -d '{"name":"F6"}'
slow_n() { jq -s '[.[] | select(.path == "/slow")] | length' "$T/log"; }
until_is 10 -ge 1 slow_n
kill -9 "$A_PID"; wait "$A_PID" 2>/dev/null
cat "$A_LOG" >>"$T/server.log"; rm -f "$A_LOG"; SERVER_PID="" SERVER_LOG=""
st=$(sql "SELECT status || ' ' || (claimed_until > now()) FROM webhook_deliveries WHERE webhook_id = '$SLOW_ID'")
check "the delivery is still claimed after the kill ($st)" test "$st" = "pending true"
# 30 s lease: the test lets it run out now instead of waiting
sql "UPDATE webhook_deliveries SET claimed_until = now() WHERE webhook_id = '$SLOW_ID'" >/dev/null
server_start "${ENV[@]}" || give_up "restart"
until_is 15 = succeeded sql "SELECT status FROM webhook_deliveries WHERE webhook_id = '$SLOW_ID'"
check "delivered after the restart" test "$(sql "SELECT status FROM webhook_deliveries WHERE webhook_id = '$SLOW_ID'")" = succeeded
check "…again with the same webhook-id" test "$(jq -rs '[.[] | select(.path == "/slow") | .headers["webhook-id"]] | unique | length' "$T/log")" = 1
req DELETE "/api/v1/aam/webhooks/$SLOW_ID" "${AUTH[@]}"

# --- two replicas, a small write load through both: every event delivered once or more
echo "# section 9 at ${SECONDS}s"
B_PORT="" B_ADMIN=""
port_lock B_PORT && port_lock B_ADMIN
env PORT="$B_PORT" AAM_ADMIN_ADDR="127.0.0.1:$B_ADMIN" "${ENV[@]}" "$AAM_BIN" serve >"$T/b.log" 2>&1 &
B_PID=$!
poll_until 10 curl -fs "http://127.0.0.1:$B_PORT/health" || give_up "replica b"
N=60
: >"$T/load.log"
for i in $(seq 1 $N); do
  url=$BASE_URL; ((i % 2)) && url="http://127.0.0.1:$B_PORT"
  curl -s -o /dev/null -w '%{http_code}\n' -X PATCH "${AUTH[@]}" "$url/api/v1/aam/connectors/f1" -d "{\"name\":\"load $i\"}" >>"$T/load.log"
  sleep 0.02
done
check "the load's writes succeeded" test "$(grep -c '^200$' "$T/load.log")" = $N
loaded() { jq -rs '[.[] | select(.path == "/ok") | .body | fromjson | select(.type == "connector.updated" and (.data.name | startswith("load ")))] | map(.data.name) | unique | length' "$T/log"; }
until_is 20 = $N loaded
check "each of the $N events delivered" test "$(loaded)" = $N
dups=$(jq -rs '[.[] | select(.path == "/ok") | .headers["webhook-id"]] | (length - (unique | length))' "$T/log")
check "duplicates are rare ($dups)" test "$dups" -le 2
echo "# duplicates with two replicas: $dups of $N"
both=$(grep -hc 'delivered (HTTP' "$T/b.log" "$SERVER_LOG" | tr '\n' ' ')
echo "# deliveries per replica: $both"
# Latency: the event's timestamp (taken in its transaction) to the receiver's arrival.
jq -rs '[.[] | select(.path == "/ok") | . as $d | ($d.body | fromjson) | select(.type == "connector.updated" and (.data.name | startswith("load "))) | ($d.arrived - ((.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) * 1000 + ((.timestamp | capture("\\.(?<f>[0-9]+)Z").f | tonumber) / 1000)))] | sort | "# latency ms with two replicas: median \(.[length/2|floor] | floor), p99 \(.[(length*0.99)|floor] | floor), max \(.[-1] | floor)"' "$T/log"

# --- metrics, retention, secrets in logs
echo "# section 10 at ${SECONDS}s"
curl -s "$ADMIN_URL/metrics" >"$T/metrics"
check "metrics: attempts by result" grep -q '^aam_webhook_attempts_total{result="succeeded"} [1-9]' "$T/metrics"
check "metrics: queue depth and oldest pending age" grep -qE '^aam_webhook_oldest_pending_seconds [0-9.]+$' "$T/metrics"
sql "UPDATE webhook_deliveries SET created_at = now() - interval '91 days' WHERE id = (SELECT min(id) FROM webhook_deliveries)" >/dev/null
check "retention: deliveries older than AAM_HISTORY_DAYS are pruned" test "$(sql "SELECT aam_prune_webhook_deliveries(90, 100)")" = 1
kill -TERM "$B_PID"; wait "$B_PID"; B_PID=""
server_stop
cat "$T/b.log" "$SERVER_LOG" >>"$T/server.log"
leaks=0
while read -r s; do
  [ -n "$s" ] || continue
  grep -qF -- "$s" "$T/server.log" && leaks=$((leaks + 1))
  grep -qF -- "${s#whsec_}" "$T/server.log" && leaks=$((leaks + 1))
done <"$T/secrets"
check "no endpoint secret in any server log" test "$leaks" = 0
check "no connector password in any server log" bash -c "! grep -q '$PW' '$T/server.log'"
check "the database holds no webhook secret in clear" test "$(sql "SELECT count(*) FROM webhooks WHERE secret LIKE 'whsec_%' OR previous_secret LIKE 'whsec_%'")" = 0
finish
