#!/usr/bin/env bash
# Connector checks over a real `aam serve`, against real targets this test starts on loopback:
# folders (owned, not owned, no match, a bad header, unreadable), the harness's PostgreSQL (a
# role of its own, right and wrong password), an HTTP stub (200, 401, 302, a slow answer). The
# outbound rule through the API (public refuses loopback, by address and by name), no secret in
# any answer or log, the per-tenant budget (31st → 429), the queue bound (503), the status
# transitions and last_check, and two servers re-checking in the background every second:
# each connector about once per interval in total, never twice in one interval.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
TMP=$(mktemp -d /tmp/aam-checks.XXXXXX)
TMP=$(realpath "$TMP")
STUB_PID=""
PGROLE=aam_check_probe PGPW="pw-S3cret-$RANDOM-xyz" TOKEN="tok-S3cret-$RANDOM-abc"
SERVERS=()
cleanup() {
  [ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null
  for p in "${SERVERS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  stack_psql_super -d postgres -c "DROP ROLE IF EXISTS $PGROLE" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }
BODIES=$TMP/bodies  # every answer, for the no-secret check at the end
: >"$BODIES"
reqk() { req "$@"; printf '%s\n' "$BODY" >>"$BODIES"; }

# --- targets: folders, a database role, an HTTP stub
SRC=$TMP/src
mkdir -p "$SRC"/{ok,nomatch,badhdr,empty,unowned,unreadable,stored,bg}
printf 'id,name\n1,a\n' >"$SRC/ok/a.csv"; printf 'x,y\n' >"$SRC/ok/b.csv"
echo 'not csv' >"$SRC/nomatch/notes.txt"
python3 -c "print(','.join('c%d' % i for i in range(5000)))" >"$SRC/badhdr/wide.csv"
: >"$SRC/empty/empty.csv"
printf 'a\n1\n' >"$SRC/unowned/a.csv"; printf 'a\n1\n' >"$SRC/unreadable/a.csv"
printf 'a\n1\n' >"$SRC/stored/a.csv"; printf 'a\n1\n' >"$SRC/bg/a.csv"
chmod 000 "$SRC/unreadable"
export AAM_SOURCES_ROOT=$SRC
for ns in chk-a chk-rate chk-q chk-bg; do
  need "tenants create $ns" "$AAM_BIN" tenants create --namespace "$ns" --name "$ns"
done
for f in ok nomatch badhdr empty unreadable stored bg; do
  need "grant $f" "$AAM_BIN" sources grant --namespace chk-a "$SRC/$f"
done
need "grant bg to chk-bg" "$AAM_BIN" sources grant --namespace chk-bg "$SRC/bg"
need "grant ok to chk-rate" "$AAM_BIN" sources grant --namespace chk-rate "$SRC/ok"
need "a database role for the postgres check" \
  stack_psql_super -d postgres -c "CREATE ROLE $PGROLE LOGIN PASSWORD '$PGPW'"
python3 "$REPO_ROOT/tests/integration/check_stub.py" "$TMP/stub.port" "$TMP/stub.log" "$TOKEN" 3 &
STUB_PID=$!
poll_until 10 test -s "$TMP/stub.port" || give_up "the HTTP stub did not start"
STUB="http://127.0.0.1:$(cat "$TMP/stub.port")"

# --- one server whose checks may reach loopback, with a check lane of one worker and a queue
# of one, and no background checks
server_start AAM_OUTBOUND_NETS=127.0.0.0/8 AAM_CHECK_INTERVAL_S=0 AAM_CHECK_WORKERS=1 \
  AAM_CHECK_QUEUE=1 || give_up "server start"
SERVERS+=("$SERVER_PID")
TA=$("$AAM_BIN" token --namespace chk-a --sub alice)
A=(-H "Authorization: Bearer $TA" -H 'Content-Type: application/json')
TC=/api/v1/aam/connector-types C=/api/v1/aam/connectors
pre() { reqk POST "$TC/$1/check" "${A[@]}" --data-binary "{\"config\":$2}"; }
step() { printf '%s' "$BODY" | jq -r ".steps[] | select(.name == \"$1\") | (.ok | tostring) + \" \" + .message"; }

# filesource
pre filesource "{\"path\":\"$SRC/ok\"}"
expect_status 200 "a filesource config is checked before it is saved"
expect_jq '[.ok, ([.steps[].name] | join(",")), ([.steps[].ok] | all), (.checked_at | test("Z$")), (.duration_ms >= 0)] | map(tostring) | join(" ")' \
  "true folder,files,headers true true true" "…owned folder, 2 matching files, headers parse: ok"
pre filesource "{\"path\":\"$SRC/unowned\"}"
expect_status 422 "a folder the tenant does not own is refused like a POST refuses it"
expect_jq '.errors[0].field + ": " + .errors[0].message' \
  "config.path: must name an existing folder inside the sources root (AAM_SOURCES_ROOT) that this tenant owns" \
  "…with the one refusal text"
pre filesource "{\"path\":\"$SRC/nomatch\"}"
expect_status 200 "a folder where nothing matches answers 200"
expect_jq '.ok' false "…not ok"
check "…the files step says no file matches the pattern" \
  grep -q '^false no file in the folder matches "\*.csv"$' <<<"$(step files)"
pre filesource "{\"path\":\"$SRC/badhdr\"}"
expect_jq '.ok' false "a file whose header does not parse fails the check"
check "…its headers step names the file" grep -q '^false file wide.csv: ' <<<"$(step headers)"
pre filesource "{\"path\":\"$SRC/empty\"}"
check "an empty file fails the headers step" grep -q '^false file empty.csv: empty, no header row' <<<"$(step headers)"
if [ "$(id -u)" = 0 ]; then
  echo "ok - an unreadable folder fails the folder step # SKIP root reads a mode-000 folder (test_any_user runs the suite unprivileged)"
else
  pre filesource "{\"path\":\"$SRC/unreadable\"}"
  check "an unreadable folder fails the folder step" grep -q '^false .*permission denied' <<<"$(step folder)"
fi
pre s3 '{"bucket":"abc","region":"eu-1"}'
expect_status 422 "a type without a check is 422"
expect_jq '.type' "urn:aam:problem:no-check" "…with problem type urn:aam:problem:no-check"
pre nosuchtype '{}'
expect_status 404 "an unknown type is 404"
pre postgres '{"host":"127.0.0.1"}'
expect_status 422 "a config the spec refuses is 422"
expect_jq '[.errors[].field] | sort | join(",")' "config.database,config.user" "…naming each missing field"

# postgres: the harness's PostgreSQL, straight (not through PgBouncer)
PGC="\"host\":\"127.0.0.1\",\"port\":$PG_PORT,\"database\":\"postgres\",\"user\":\"$PGROLE\",\"sslmode\":\"disable\""
pre postgres "{$PGC,\"password\":\"$PGPW\"}"
expect_status 200 "postgres: the right password"
expect_jq '[.ok, ([.steps[].name] | join(","))] | map(tostring) | join(" ")' "true resolve,connect,query" "…passes resolve, connect, query"
check "…the connect step names the server version" grep -Eq '^true connected to PostgreSQL 15\.[0-9]+.* at 127\.0\.0\.1' <<<"$(step connect)"
check "…the query ran read-only" grep -q '^true SELECT 1 ran in a read-only transaction' <<<"$(step query)"
pre postgres "{$PGC,\"password\":\"wrong-$PGPW\"}"
expect_jq '.ok' false "postgres: a wrong password fails"
check "…with the server's words" grep -q "^false password authentication failed for user \"$PGROLE\"" <<<"$(step connect)"
pre postgres "{\"host\":\"127.0.0.1\",\"port\":1,\"database\":\"x\",\"user\":\"u\",\"sslmode\":\"disable\"}"
check "postgres: nothing listening fails the connect step" grep -q '^false ' <<<"$(step connect)"

# rest_api
pre rest_api "{\"base_url\":\"$STUB/ok\",\"token\":\"$TOKEN\"}"
expect_jq '[.ok, ([.steps[].name] | join(","))] | map(tostring) | join(" ")' "true resolve,request" "rest_api: 200 with Bearer <token> passes"
check "…the stub saw Authorization: Bearer <token>" grep -q "^/ok auth=Bearer $TOKEN key=\$" "$TMP/stub.log"
pre rest_api "{\"base_url\":\"$STUB/ok\",\"auth_header\":\"X-Api-Key\",\"token\":\"$TOKEN\"}"
expect_jq '.ok' true "rest_api: another header carries the token alone"
check "…the stub saw X-Api-Key: <token>" grep -q "^/ok auth= key=$TOKEN\$" "$TMP/stub.log"
pre rest_api "{\"base_url\":\"$STUB/ok\",\"token\":\"wrong\"}"
check "rest_api: 401 fails, saying the token was refused" grep -q '^false GET answered 401: the API refused the token' <<<"$(step request)"
pre rest_api "{\"base_url\":\"$STUB/redirect\"}"
check "rest_api: 302 fails and is not followed" grep -q '^false GET answered 302, a redirect, which is not followed' <<<"$(step request)"
check "…the stub never saw the redirect's target" sh -c "! grep -q elsewhere '$TMP/stub.log'"

# --- stored connectors: last_check and the status transitions
create() { reqk POST "$C" "${A[@]}" --data-binary "$1"; }
status_of() { reqk GET "$C/$1" "${A[@]}"; printf '%s' "$BODY" | jq -r '.status + " " + (.last_check.ok | tostring)'; }
create "{\"id\":\"fs1\",\"name\":\"fs1\",\"type\":\"filesource\",\"config\":{\"path\":\"$SRC/stored\"}}"
expect_status 201 "a filesource connector (PENDING)"
expect_jq '.last_check' null "…has last_check null before its first check"
reqk POST "$C/fs1/check" "${A[@]}"
expect_status 200 "POST /connectors/fs1/check"
expect_jq '.ok' true "…passes"
check "a passing check turns PENDING into ACTIVE and keeps last_check" test "$(status_of fs1)" = "ACTIVE true"
reqk GET "$C/fs1" "${A[@]}"
expect_jq '.last_check.message' "the header of the file parses" "…last_check.message is the last step's message"
rm "$SRC/stored/a.csv"
reqk POST "$C/fs1/check" "${A[@]}"
expect_jq '.ok' false "the same connector with no file fails"
check "a failing check turns ACTIVE into ERROR" test "$(status_of fs1)" = "ERROR false"
reqk GET "$C/fs1" "${A[@]}"
expect_jq '.last_check.message' 'files: no file in the folder matches "*.csv"' "…last_check.message names the failed step"
reqk PATCH "$C/fs1" "${A[@]}" --data-binary '{"status":"INACTIVE"}'
reqk POST "$C/fs1/check" "${A[@]}"
check "INACTIVE stays INACTIVE after a failing check" test "$(status_of fs1)" = "INACTIVE false"
printf 'a\n1\n' >"$SRC/stored/a.csv"
reqk POST "$C/fs1/check" "${A[@]}"
check "…and after a passing one" test "$(status_of fs1)" = "INACTIVE true"
reqk PATCH "$C/fs1" "${A[@]}" --data-binary '{"status":"ERROR"}'
reqk POST "$C/fs1/check" "${A[@]}"
check "a passing check turns ERROR into ACTIVE" test "$(status_of fs1)" = "ACTIVE true"
reqk PATCH "$C/fs1" "${A[@]}" --data-binary '{"status":"PENDING"}'
rm "$SRC/stored/a.csv"
reqk POST "$C/fs1/check" "${A[@]}"
check "a failing check turns PENDING into ERROR" test "$(status_of fs1)" = "ERROR false"
reqk GET "$C" "${A[@]}"
expect_jq '.connectors[] | select(.id == "fs1") | .last_check.ok' false "the list shows last_check"
reqk POST "$C/nosuch/check" "${A[@]}"
expect_status 404 "checking a connector that does not exist is 404"
TB=$("$AAM_BIN" token --namespace chk-rate --sub bob)
req POST "$C/fs1/check" -H "Authorization: Bearer $TB"
expect_status 404 "…and so is another tenant's"
req POST "$C/fs1/check"
expect_status 401 "the check routes need a token"

# a stored postgres connector: its password comes from the secrets column, encrypted
create "{\"id\":\"pg1\",\"name\":\"pg1\",\"type\":\"postgres\",\"status\":\"ACTIVE\",\"config\":{$PGC}}"
expect_status 201 "a postgres connector"
sql "ALTER TABLE connections ADD COLUMN IF NOT EXISTS secrets jsonb" >/dev/null  # until issue 21's 0009
KID=${AAM_SECRET_KEYS%%:*} KB64=${AAM_SECRET_KEYS#*:}; KB64=${KB64%%,*}
put_secret() {  # KEYID VALUE
  local v; v=$(python3 "$REPO_ROOT/tests/integration/check_secret.py" "$1" "$KB64" chk-a pg1 password "$2")
  sql "UPDATE connections SET secrets = jsonb_build_object('password', '$v') WHERE namespace = 'chk-a' AND id = 'pg1'" >/dev/null
}
put_secret "$KID" "$PGPW"
reqk POST "$C/pg1/check" "${A[@]}"
expect_jq '.ok' true "a stored postgres connector checks with its decrypted password"
put_secret "$KID" "wrong-$PGPW"
reqk POST "$C/pg1/check" "${A[@]}"
expect_jq '.ok' false "…and fails with a wrong one"
check "…turning ACTIVE into ERROR" test "$(status_of pg1)" = "ERROR false"
put_secret gone "$PGPW"
reqk POST "$C/pg1/check" "${A[@]}"
check "a secret under a key AAM_SECRET_KEYS lacks fails, naming the key id" \
  grep -q '^false secret password does not decrypt: .*gone' <<<"$(step secrets)"

# --- the budget: 30 checks a minute per tenant, pre-create ones included
TR=$("$AAM_BIN" token --namespace chk-rate --sub r)
R=(-H "Authorization: Bearer $TR" -H 'Content-Type: application/json')
n200=0
for _ in $(seq 30); do
  req POST "$TC/filesource/check" "${R[@]}" --data-binary "{\"config\":{\"path\":\"$SRC/ok\"}}"
  [ "$STATUS" = 200 ] && n200=$((n200 + 1))
done
check "30 checks in a minute are answered" test "$n200" = 30
req POST "$TC/filesource/check" "${R[@]}" --data-binary "{\"config\":{\"path\":\"$SRC/ok\"}}"
expect_status 429 "the 31st is refused"
check "…with Retry-After" sh -c "r=\$(grep -i '^retry-after:' '$HDRS' | tr -dc 0-9); test \"\${r:-0}\" -ge 1 && test \"\$r\" -le 60"

# --- the queue: one check worker, one waiting; the third is 503
TQ=$("$AAM_BIN" token --namespace chk-q --sub q)
slow() { curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TQ" -H 'Content-Type: application/json' \
  --data-binary "{\"config\":{\"base_url\":\"$STUB/slow\"}}" "$BASE_URL$TC/rest_api/check" >"$1"; }
queued() { curl -s "$ADMIN_URL/metrics" | grep -q '^aam_lane_queue_depth{lane="check"} 1$'; }
slow "$TMP/q1" & q1=$!
poll_until 10 grep -q '^/slow' "$TMP/stub.log" || give_up "the first slow check did not reach the stub"
slow "$TMP/q2" & q2=$!
poll_until 10 queued || give_up "the second slow check did not queue"
req POST "$TC/rest_api/check" -H "Authorization: Bearer $TQ" -H 'Content-Type: application/json' \
  --data-binary "{\"config\":{\"base_url\":\"$STUB/slow\"}}"
expect_status 503 "a check beyond the queue bound is refused at once"
check "…with Retry-After" test -n "$(hdr Retry-After)"
wait "$q1" "$q2"
check "…while the running and the queued one complete" test "$(cat "$TMP/q1")-$(cat "$TMP/q2")" = 200-200
req GET /health
check "checks never held a request worker: /metrics shows the check lane" sh -c "curl -s '$ADMIN_URL/metrics' | grep -q '^aam_lane_workers{lane=\"check\"} 1$'"
check "metrics count checks by type and result" sh -c "curl -s '$ADMIN_URL/metrics' | grep -Eq '^aam_checks_total\{type=\"filesource\",result=\"ok\"\} [1-9]'"
check "…and their durations" sh -c "curl -s '$ADMIN_URL/metrics' | grep -Eq '^aam_check_duration_seconds_count\{type=\"postgres\"\} [1-9]'"
server_stop; SERVERS=()

# --- the outbound rule with the default AAM_OUTBOUND_NETS (public)
server_start AAM_CHECK_INTERVAL_S=0 || give_up "server start (public)"
SERVERS+=("$SERVER_PID")
pre postgres "{$PGC,\"password\":\"$PGPW\"}"
check "public: a loopback address is refused, naming it" \
  grep -q '^false host 127.0.0.1 resolves to 127.0.0.1, outside AAM_OUTBOUND_NETS' <<<"$(step resolve)"
pre postgres "{\"host\":\"localhost\",\"port\":$PG_PORT,\"database\":\"postgres\",\"user\":\"$PGROLE\",\"password\":\"$PGPW\"}"
check "public: a name resolving to loopback is refused, naming the address" \
  grep -Eq '^false host localhost resolves to (127\.0\.0\.1|::1), outside AAM_OUTBOUND_NETS' <<<"$(step resolve)"
pre rest_api "{\"base_url\":\"http://localhost:${STUB##*:}/ok\",\"token\":\"$TOKEN\"}"
check "public: rest_api to a loopback name is refused" grep -q '^false .*outside AAM_OUTBOUND_NETS' <<<"$(step resolve)"
server_stop; SERVERS=()

# --- no secret in any answer or log
check "no answer held a password or token" sh -c "! grep -qF -e '$PGPW' -e '$TOKEN' '$BODIES'"
check "no server log held them" sh -c "! grep -qF -e '$PGPW' -e '$TOKEN' /tmp/aam-server.*.log 2>/dev/null || ! grep -lF -e '$PGPW' -e '$TOKEN' $SERVER_LOG"

# --- background: two replicas, a 1 s interval, about 10 s
TG=$("$AAM_BIN" token --namespace chk-bg --sub g)
G=(-H "Authorization: Bearer $TG" -H 'Content-Type: application/json')
sql "CREATE TABLE check_log (namespace text, id text, at timestamptz, done timestamptz DEFAULT clock_timestamp());
     GRANT INSERT ON check_log TO $STACK_APP_USER;
     CREATE FUNCTION check_log_add() RETURNS trigger LANGUAGE plpgsql AS \$\$
       BEGIN INSERT INTO check_log (namespace, id, at) VALUES (NEW.namespace, NEW.id, NEW.last_check_at); RETURN NULL; END \$\$;
     CREATE TRIGGER check_log AFTER UPDATE OF last_check_at ON connections FOR EACH ROW
       WHEN (NEW.namespace = 'chk-bg') EXECUTE FUNCTION check_log_add();" >/dev/null
server_start AAM_OUTBOUND_NETS=127.0.0.0/8 AAM_CHECK_INTERVAL_S=0 || give_up "server start (bg setup)"
for i in 1 2 3; do
  req POST "$C" "${G[@]}" --data-binary "{\"id\":\"bg$i\",\"name\":\"bg$i\",\"type\":\"filesource\",\"config\":{\"path\":\"$SRC/bg\"}}"
done
req POST "$C" "${G[@]}" --data-binary "{\"id\":\"bgoff\",\"name\":\"off\",\"type\":\"filesource\",\"status\":\"INACTIVE\",\"config\":{\"path\":\"$SRC/bg\"}}"
req POST "$C" "${G[@]}" --data-binary '{"id":"bgs3","name":"s3","type":"s3","config":{"bucket":"abc","region":"eu-1"}}'
server_stop
# Nothing else may be due in the meantime: only chk-bg's connectors are scheduled from now on.
sql "DELETE FROM check_schedule WHERE namespace <> 'chk-bg'" >/dev/null
server_start AAM_OUTBOUND_NETS=127.0.0.0/8 AAM_CHECK_INTERVAL_S=1 || give_up "replica 1"
R1_PID=$SERVER_PID R1_ADMIN=$ADMIN_URL R1_LOG=$SERVER_LOG; SERVERS+=("$R1_PID")
server_start AAM_OUTBOUND_NETS=127.0.0.0/8 AAM_CHECK_INTERVAL_S=1 || give_up "replica 2"
R2_PID=$SERVER_PID R2_ADMIN=$ADMIN_URL; SERVERS+=("$R2_PID")
# The window is measured on the database's clock from the moment both replicas are up: each
# connector keeps its phase, so a 10 s window holds about 10 of its checks.
w0=$(sql "SELECT now()")
window_done() { test "$(sql "SELECT now() >= '$w0'::timestamptz + interval '10.5 s'")" = t; }
poll_until 20 window_done
bgc() { curl -s "$1/metrics" | awk '/^aam_checks_total\{type="filesource"/ {n += $2} END {print n + 0}'; }
c1=$(bgc "$R1_ADMIN") c2=$(bgc "$R2_ADMIN")
SERVER_PID=$R2_PID; server_stop; SERVER_PID=$R1_PID; server_stop; SERVERS=()
IN_WINDOW="FROM check_log WHERE at >= '$w0'::timestamptz AND at < '$w0'::timestamptz + interval '10 s'"
counts=$(sql "SELECT string_agg(id || '=' || n, ' ' ORDER BY id) FROM (SELECT id, count(*) n $IN_WINDOW GROUP BY id) s")
echo "# background checks in ~10 s: $counts (replica 1: $c1, replica 2: $c2)"
check "each of the 3 connectors was checked about 10 times in 10 s across both replicas" \
  test "$(sql "SELECT count(*) FROM (SELECT id, count(*) n $IN_WINDOW GROUP BY id) s WHERE n BETWEEN 9 AND 11")" = 3
check "…by both replicas" sh -c "test '$c1' -ge 1 && test '$c2' -ge 1"
check "…never twice in one interval (consecutive checks of a connector >= 0.5 s apart)" \
  test "$(sql "SELECT count(*) FROM (SELECT at - lag(at) OVER (PARTITION BY id ORDER BY at) gap FROM check_log) s WHERE gap < interval '0.5 s'")" = 0
check "…never at once (each check ended before the next began)" \
  test "$(sql "SELECT count(*) FROM (SELECT at, lag(done) OVER (PARTITION BY id ORDER BY at) prev FROM check_log) s WHERE at < prev")" = 0
check "an INACTIVE and an s3 connector are not checked in the background" \
  test "$(sql "SELECT count(*) FROM check_log WHERE id IN ('bgoff', 'bgs3')")" = 0
check "the background checks turned PENDING into ACTIVE" \
  test "$(sql "SELECT string_agg(status, ',' ORDER BY id) FROM connections WHERE namespace = 'chk-bg' AND id LIKE 'bg_'")" = "ACTIVE,ACTIVE,ACTIVE"
check "no lease is left behind" test "$(sql "SELECT count(*) FROM check_schedule WHERE claimed_until IS NOT NULL")" = 0
SERVER_LOG=$R1_LOG
finish
