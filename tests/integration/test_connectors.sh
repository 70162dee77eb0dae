#!/usr/bin/env bash
# The connector registry over HTTP through PgBouncer (transaction mode): create/get/list/patch/
# delete with their status codes, 422 per field (never 500), paging and filters with correct
# totals, PATCH that changes nothing writing nothing, config numbers kept exactly, filesource
# path rules on write, two tenants owning the same id without seeing or touching each other's,
# and the list statement's plan on a tenant with 10,000 connectors (auto_explain: the plan of
# the statement the server really runs must use an index, not a sequential scan).
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

TMP=$(mktemp -d /tmp/aam-conn.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
TMP=$(realpath "$TMP")
mkdir -p "$TMP/src/data" "$TMP/outside"
ln -s ../outside "$TMP/src/escape"

# auto_explain for this database only (nested statements too: the list runs inside
# aam_list_connectors), set before anything connects (PgBouncer keeps server
# connections, and session_preload_libraries applies when one is opened).
stack_psql_super -d postgres -c "ALTER DATABASE \"$TEST_DB\" SET session_preload_libraries = 'auto_explain'" \
  -c "ALTER DATABASE \"$TEST_DB\" SET auto_explain.log_min_duration = 0" \
  -c "ALTER DATABASE \"$TEST_DB\" SET auto_explain.log_nested_statements = on" >/dev/null
need_migrated

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }  # superuser: row-level security does not hide rows

# Tenants own their namespaces (nothing is stored in a namespace without one), and tenant-a
# is granted the folder its filesources use (the rules themselves: test_tenant_boundary.sh).
export AAM_SOURCES_ROOT=$TMP/src
for ns in tenant-a tenant-b big other1 other2 other3 other4 other5 other6 other7 other8 other9; do
  need "tenants create $ns" "$AAM_BIN" tenants create --namespace "$ns" --name "$ns"
done
need "sources grant" "$AAM_BIN" sources grant --namespace tenant-a "$TMP/src/data"
server_start || give_up "server start"
TA=$("$AAM_BIN" token --namespace tenant-a --sub alice)
TB=$("$AAM_BIN" token --namespace tenant-b --sub bob)
TBIG=$("$AAM_BIN" token --namespace big --sub load)
A=(-H "Authorization: Bearer $TA")
B=(-H "Authorization: Bearer $TB")
JSON=(-H 'Content-Type: application/json')
C=/api/v1/aam/connectors
TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}Z$'

post() { local tok=$1 body=$2; shift 2; req POST "$C" -H "Authorization: Bearer $tok" "${JSON[@]}" --data-binary "$body" "$@"; }
patch() { local tok=$1 id=$2 body=$3; req PATCH "$C/$id" -H "Authorization: Bearer $tok" "${JSON[@]}" --data-binary "$body"; }
has_error_for() { printf '%s' "$BODY" | jq -e --arg f "$1" '[.errors[]?.field] | index($f) != null' >/dev/null; }

# --- no token, empty list
req GET "$C"
expect_status 401 "list without a token"
req GET "$C" "${A[@]}"
expect_status 200 "empty list"
expect_jq '. | tojson' '{"connectors":[],"total":0}' "an empty tenant lists nothing, total 0"

# --- create
post "$TA" '{"id":"c1","name":"First","type":"rest_api","config":{"base_url":"https://x.example","auth_header":"X-Key"}}'
expect_status 201 "create c1"
check "Location names the new connector" test "$(hdr Location)" = "$C/c1"
expect_jq '[.id,.name,.type,.status,.namespace] | join(",")' "c1,First,rest_api,PENDING,tenant-a" \
  "the connector has id, name, type, default status PENDING and the token's namespace"
expect_jq '.config == {"base_url":"https://x.example","auth_header":"X-Key"}' true "config is returned as given"
expect_jq "(.created_at | test(\"$TS_RE\")) and (.updated_at | test(\"$TS_RE\"))" true \
  "timestamps are RFC 3339 UTC with microseconds"
expect_jq '.created_at == .updated_at' true "a new connector's updated_at equals created_at"
expect_jq 'keys | sort | join(",")' "config,created_at,id,last_check,name,namespace,secrets,status,type,updated_at" \
  "exactly the contract's fields"
c1_created=$(jq -r .created_at <<<"$BODY")

post "$TA" '{"id":"c1","name":"Again","type":"rest_api","config":{"base_url":"https://x.example"}}'
expect_status 409 "the same id again"
check "409 is problem+json" grep -qi '^content-type: application/problem+json' "$HDRS"
req GET "$C/c1" "${A[@]}"
expect_jq .name First "the first c1 is untouched by the refused create"

post "$TA" '{"id":"nums","name":"Numbers","type":"postgres","config":{"host":"h","database":"d","user":"u","port":65535}}'
expect_status 201 "create with an integer in config"
check "65535 is stored and shown as the integer it was" grep -q '"port": 65535[,}]' <<<"$BODY"

post "$TA" '{"id":"ns-in-body","name":"N","type":"rest_api","config":{"base_url":"https://x.example"},"namespace":"tenant-b"}'
expect_status 201 "a namespace in the body is ignored"
expect_jq .namespace tenant-a "…the connector lands in the token's namespace"

# --- 422 per field, never 500
long201=$(printf 'x%.0s' $(seq 1 201))
accented200=$(printf 'é%.0s' $(seq 1 200))
post "$TA" "{\"id\":\"accented\",\"name\":\"$accented200\",\"type\":\"rest_api\",\"config\":{\"base_url\":\"https://x.example\"}}"
expect_status 201 "a 200-character name of 2-byte characters is accepted"
bad_cases=(
  'id|{"id":"-bad","name":"n","type":"rest_api","config":{"base_url":"https://x.example"}}'
  'id|{"id":"a/b","name":"n","type":"rest_api","config":{"base_url":"https://x.example"}}'
  'id|{"name":"n","type":"rest_api","config":{"base_url":"https://x.example"}}'
  "name|{\"id\":\"x1\",\"name\":\"$long201\",\"type\":\"rest_api\",\"config\":{\"base_url\":\"https://x.example\"}}"
  'name|{"id":"x1","name":"","type":"rest_api","config":{"base_url":"https://x.example"}}'
  'type|{"id":"x1","name":"n","type":"Custom","config":{}}'
  'type|{"id":"x1","name":"n","type":"","config":{}}'
  'status|{"id":"x1","name":"n","type":"rest_api","status":"RUNNING","config":{"base_url":"https://x.example"}}'
  'config|{"id":"x1","name":"n","type":"rest_api","config":"nope"}'
  'config|{"id":"x1","name":"n","type":"rest_api"}'
  'color|{"id":"x1","name":"n","type":"rest_api","config":{"base_url":"https://x.example"},"color":"red"}'
)
for c in "${bad_cases[@]}"; do
  field=${c%%|*}; body=${c#*|}
  post "$TA" "$body"
  expect_status 422 "invalid $field: $(head -c 60 <<<"$body")"
  check "…errors[] names $field" has_error_for "$field"
done
post "$TA" '{"id":"x1",'
expect_status 400 "a body that is not JSON"
post "$TA" '[1,2]'
expect_status 422 "a body that is not an object"

# --- filesource rules on write
rel=$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1]))' "$TMP/src/data")
post "$TA" "{\"id\":\"fs\",\"name\":\"Files\",\"type\":\"filesource\",\"status\":\"ACTIVE\",\"config\":{\"path\":\"$TMP/src/data\",\"pattern\":\"*.csv\"}}"
expect_status 201 "a filesource inside the sources root"
post "$TA" "{\"id\":\"fs-rel\",\"name\":\"Relative\",\"type\":\"filesource\",\"config\":{\"path\":\"$rel\",\"pattern\":\"*.csv\"}}"
expect_status 201 "a relative path resolves against the server's working directory"
for p in /etc "$TMP/outside" "$TMP/src/../outside" "$TMP/src/escape" "$TMP/src/missing" "$TMP/src/data/../../outside"; do
  post "$TA" "{\"id\":\"fs-bad\",\"name\":\"Bad\",\"type\":\"filesource\",\"config\":{\"path\":\"$p\",\"pattern\":\"*.csv\"}}"
  expect_status 422 "filesource path $p is refused"
  check "…on config.path" has_error_for config.path
done
post "$TA" "{\"id\":\"fs-bad\",\"name\":\"Bad\",\"type\":\"filesource\",\"config\":{\"path\":\"$TMP/src/data\",\"pattern\":\"../*.csv\"}}"
expect_status 422 "a pattern with '/' is refused"
check "…on config.pattern" has_error_for config.pattern
post "$TA" '{"id":"fs-bad","name":"Bad","type":"filesource","config":{"pattern":"*.csv"}}'
expect_status 422 "a filesource without a path"
check "…names config.path" has_error_for config.path
post "$TA" "{\"id\":\"fs-nopat\",\"name\":\"No pattern\",\"type\":\"filesource\",\"config\":{\"path\":\"$TMP/src/data\"}}"
expect_status 201 "a filesource without a pattern (it lists *.csv)"

# --- get
req GET "$C/c1" "${A[@]}"
expect_status 200 "get c1"
expect_jq .id c1 "get returns c1"
req GET "$C/nope" "${A[@]}"
expect_status 404 "get a missing id"
req GET "$C/has%20space" "${A[@]}"
expect_status 404 "get an id that breaks the id rule"

# --- paging and filters over 25 more connectors
for i in $(seq -w 1 25); do
  st=ACTIVE; [ $((10#$i % 3)) = 0 ] && st=ERROR; [ $((10#$i % 5)) = 0 ] && st=INACTIVE
  ty=rest_api cf="{\"base_url\":\"https://api$i.example\"}"
  [ $((10#$i % 2)) = 0 ] && ty=postgres cf="{\"host\":\"h\",\"database\":\"d$i\",\"user\":\"u\"}"
  post "$TA" "{\"id\":\"p$i\",\"name\":\"P $i\",\"type\":\"$ty\",\"status\":\"$st\",\"config\":$cf}" >/dev/null
done
n_all=$(sql "SELECT count(*) FROM connections WHERE namespace='tenant-a'")
n_active=$(sql "SELECT count(*) FROM connections WHERE namespace='tenant-a' AND status='ACTIVE'")
n_beta=$(sql "SELECT count(*) FROM connections WHERE namespace='tenant-a' AND source_type='postgres'")
n_active_beta=$(sql "SELECT count(*) FROM connections WHERE namespace='tenant-a' AND source_type='postgres' AND status='ACTIVE'")
ids_sorted=$(sql "SELECT string_agg(id, ',' ORDER BY id) FROM connections WHERE namespace='tenant-a'")
req GET "$C" "${A[@]}"
expect_jq .total "$n_all" "total counts every connector of the tenant ($n_all)"
expect_jq '.connectors | length' "$((n_all < 50 ? n_all : 50))" "the default page holds up to 50"
req GET "$C?limit=10" "${A[@]}"
expect_jq '.connectors | length' 10 "limit=10 gives 10"
req GET "$C?limit=500" "${A[@]}"
expect_jq '[.connectors[].id] | join(",")' "$ids_sorted" "the list is ordered by id"
req GET "$C?limit=5&offset=3" "${A[@]}"
expect_jq '[.connectors[].id] | join(",")' "$(cut -d, -f4-8 <<<"$ids_sorted")" "limit=5&offset=3 is the 4th to 8th"
expect_jq .total "$n_all" "…with the unpaged total"
req GET "$C?offset=1000" "${A[@]}"
expect_status 200 "offset past the end"
expect_jq '"\(.connectors | length) \(.total)"' "0 $n_all" "…is an empty page with the right total"
req GET "$C?status=ACTIVE&limit=500" "${A[@]}"
expect_jq .total "$n_active" "status=ACTIVE total"
expect_jq '[.connectors[] | select(.status != "ACTIVE")] | length' 0 "…only ACTIVE connectors"
req GET "$C?type=postgres&limit=2" "${A[@]}"
expect_jq .total "$n_beta" "type=postgres total (with limit=2)"
expect_jq '.connectors | length' 2 "…two on the page"
req GET "$C?type=postgres&status=ACTIVE&limit=500" "${A[@]}"
expect_jq .total "$n_active_beta" "type and status together"
expect_jq '[.connectors[] | select(.status != "ACTIVE" or .type != "postgres")] | length' 0 "…both filters hold"
req GET "$C?type=nosuchtype" "${A[@]}"
expect_jq '. | tojson' '{"connectors":[],"total":0}' "an unused type lists nothing"
req GET "$C?type=Not-A-Type" "${A[@]}"
expect_jq '. | tojson' '{"connectors":[],"total":0}' "a type no connector can have lists nothing"
for q in limit=0 limit=501 limit=abc limit= limit=-1 limit=1.5 offset=-1 offset=x offset=99999999999999999999 status=active status=DELETED status= type=; do
  req GET "$C?$q" "${A[@]}"
  expect_status 422 "?$q"
  check "…errors[] names ${q%%=*}" has_error_for "${q%%=*}"
done

# --- patch
# updated_at must move past created_at: wait until the database's clock has (microseconds).
clock_past() { test "$(stack_psql_super -d "$TEST_DB" -Atc "SELECT clock_timestamp() > '$1'::timestamptz")" = t; }
check "the database clock has moved past the create" poll_until 10 clock_past "$c1_created"
patch "$TA" c1 '{"name":"Renamed"}'
expect_status 200 "patch name"
expect_jq .name Renamed "name changed"
expect_jq .created_at "$c1_created" "created_at is kept"
expect_jq ".updated_at > \"$c1_created\"" true "updated_at moved forward"
c1_updated=$(jq -r .updated_at <<<"$BODY")
xmin_before=$(sql "SELECT xmin FROM connections WHERE namespace='tenant-a' AND id='c1'")
patch "$TA" c1 '{"name":"Renamed","status":"PENDING","config":{"auth_header":"X-Key","base_url":"https://x.example"}}'
expect_status 200 "a patch that changes nothing"
expect_jq .updated_at "$c1_updated" "…leaves updated_at alone"
check "…and did not write the row (xmin unchanged)" test "$(sql "SELECT xmin FROM connections WHERE namespace='tenant-a' AND id='c1'")" = "$xmin_before"
patch "$TA" c1 '{}'
expect_status 422 "an empty patch (nothing to change)"
patch "$TA" c1 '{"status":"ACTIVE","config":{"base_url":"https://y.example"}}'
expect_status 200 "patch status and config"
expect_jq '[.status, .config] == ["ACTIVE",{"base_url":"https://y.example","auth_header":"Authorization"}]' true \
  "config is replaced as a whole (auth_header back to its default)"
for c in 'id|{"id":"other"}' 'type|{"type":"beta"}' 'namespace|{"namespace":"tenant-b"}' 'created_at|{"created_at":"x"}' \
  'status|{"status":"on"}' 'name|{"name":""}' 'config|{"config":[1]}' 'bogus|{"bogus":1}'; do
  patch "$TA" c1 "${c#*|}"
  expect_status 422 "patch ${c#*|}"
  check "…errors[] names ${c%%|*}" has_error_for "${c%%|*}"
done
patch "$TA" missing '{"name":"x"}'
expect_status 404 "patch a missing connector"
patch "$TA" fs "{\"config\":{\"path\":\"$TMP/src/data/\",\"pattern\":\"*.tsv\"}}"
expect_status 200 "patch a filesource's config"
expect_jq '[.config.path, .config.pattern] | join(" ")' "$TMP/src/data/ *.tsv" "…the new config is stored"
patch "$TA" fs '{"config":{"pattern":"*.csv"}}'
expect_status 422 "a filesource config without a path (config is replaced whole)"
check "…on config.path" has_error_for config.path
patch "$TA" fs "{\"config\":{\"path\":\"$TMP/src/escape\"}}"
expect_status 422 "patch a filesource's path through a symlink out of the root"
check "…on config.path" has_error_for config.path
patch "$TA" fs '{"config":{"path":null}}'
expect_status 422 "patch that removes a filesource's path"
req GET "$C/fs" "${A[@]}"
expect_jq '.config.path' "$TMP/src/data/" "the refused patches changed nothing"
patch "$TA" c1 '{"config":{"path":"/etc"}}'
expect_status 422 "a rest_api config is held to its own spec, not the filesource's"
check "…config.path is not one of its settings" has_error_for config.path

# --- delete
req DELETE "$C/nums" "${A[@]}"
expect_status 204 "delete"
check "204 has no body" test -z "$BODY"
req DELETE "$C/nums" "${A[@]}"
expect_status 404 "delete again"
req GET "$C/nums" "${A[@]}"
expect_status 404 "the deleted connector is gone"

# --- two tenants, same id
post "$TB" '{"id":"c1","name":"Bob c1","type":"rest_api","config":{"base_url":"https://bob.example"}}'
expect_status 201 "tenant-b creates its own c1"
expect_jq .namespace tenant-b "…in tenant-b"
req GET "$C/c1" "${A[@]}"
expect_jq .name Renamed "tenant-a still sees its own c1"
req GET "$C/c1" "${B[@]}"
expect_jq .name "Bob c1" "tenant-b sees its own c1"
req GET "$C" "${B[@]}"
expect_jq '[.total, [.connectors[].id]] | tojson' '[1,["c1"]]' "tenant-b lists only its connector"
req GET "$C/p01" "${B[@]}"
expect_status 404 "tenant-b cannot get tenant-a's p01"
patch "$TB" p01 '{"name":"hijacked"}'
expect_status 404 "tenant-b cannot patch tenant-a's p01"
req DELETE "$C/p01" "${B[@]}"
expect_status 404 "tenant-b cannot delete tenant-a's p01"
req GET "$C/p01" "${A[@]}"
expect_jq .name "P 01" "tenant-a's p01 is untouched"
req DELETE "$C/c1" "${B[@]}"
expect_status 204 "tenant-b deletes its c1"
req GET "$C/c1" "${A[@]}"
expect_status 200 "tenant-a's c1 survives tenant-b's delete"
check "the database holds each tenant's rows under its namespace" \
  test "$(sql "SELECT count(*) FROM connections WHERE namespace='tenant-b'")" = 0

# --- the plan of the list statement with 10,000 connectors in one tenant
PGPASSWORD=$STACK_APP_PASSWORD "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$DIRECT_DATABASE_URL" >/dev/null <<'SQL'
BEGIN;
SELECT set_config('aam.namespace', 'big', true);
INSERT INTO connections (namespace, id, name, source_type, status, connector_config)
SELECT 'big', format('conn-%s', lpad(g::text, 5, '0')), format('Connector %s', g),
       CASE WHEN g % 10 = 0 THEN 'filesource' ELSE 'custom' END,
       (ARRAY['ACTIVE','INACTIVE','PENDING','ERROR'])[1 + g % 4], jsonb_build_object('n', g)
FROM generate_series(1, 10000) g;
COMMIT;
-- Nine more tenants of 10,000 each: the big tenant is a tenth of the table, as one of many.
DO $$
BEGIN
  FOR t IN 1..9 LOOP
    PERFORM set_config('aam.namespace', 'other' || t, true);
    INSERT INTO connections (namespace, id, name, source_type, status)
    SELECT 'other' || t, format('o-%s', g), 'o', 'custom', 'ACTIVE' FROM generate_series(1, 10000) g;
  END LOOP;
END $$;
SQL
# Statistics, as autovacuum would gather them: the owner's job (the application role may not).
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$(stack_owner_url "$TEST_DB" direct)" -c "VACUUM ANALYZE connections" >/dev/null
PGLOG="$STACK_DIR/postgres.log"
plan_of() {  # QUERY-STRING: request the list as tenant big; $PLAN = the plan PostgreSQL logged for it
  local start; start=$(stat -c %s "$PGLOG")
  req GET "$C$1" -H "Authorization: Bearer $TBIG"
  # auto_explain writes the plan when the statement ends, which may be after the response;
  # wait for it to reach the log (up to 10 s) instead of guessing how long that takes.
  PLAN_START=$start
  poll_until 10 plan_logged
  PLAN=$(plan_text)
}
plan_text() {
  tail -c +"$((PLAN_START + 1))" "$PGLOG" | sed -En '/FROM connections c WHERE c.namespace = (\$1|p_ns)/,$p' |
    grep -E 'Scan|Index|Aggregate|Limit' | head -60
}
plan_logged() { plan_text | grep -q .; }
no_seq_scan() { ! grep -q 'Seq Scan on connections' <<<"$PLAN"; }
plan_of ""
expect_jq .total 10000 "10,000 connectors: total 10000"
expect_jq '.connectors | length' 50 "…one page of 50"
check "the list statement's plan was logged" test -n "$PLAN"
check "…uses the primary key index" grep -q 'connections_pkey' <<<"$PLAN"
check "…and never a sequential scan of connections" no_seq_scan
echo "# list plan (10,000 connectors in the tenant, 100,000 in the table, no filter):"
while IFS= read -r line; do echo "#   $line"; done <<<"$PLAN"
plan_of "?status=ERROR"
expect_jq .total 2500 "status filter on 10,000: 2500"
check "the status filter uses connections_status_idx" grep -q 'connections_status_idx' <<<"$PLAN"
check "…and no sequential scan" no_seq_scan
plan_of "?type=filesource&offset=990"
expect_jq '"\(.total) \(.connectors | length)"' "1000 10" "type filter with offset 990: 1000 in all, 10 on the page"
check "the type filter uses connections_type_idx" grep -q 'connections_type_idx' <<<"$PLAN"
check "…and no sequential scan" no_seq_scan

stack_psql_super -d postgres -c "ALTER DATABASE \"$TEST_DB\" RESET ALL" >/dev/null
finish
