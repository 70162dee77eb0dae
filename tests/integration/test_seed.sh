#!/usr/bin/env bash
# `aam seed` through PgBouncer: the demo tenant, user and FilesSource connector; a second run
# writes nothing (rows byte-identical, xmin included); a drifted seed-owned field is reconciled
# and reported; the password is set only at creation; five seeds at once on an empty database
# leave one of each and print a generated password exactly once; bad seed files exit 1 and
# write nothing; and the contract's smoke test (401, login as demo, the demo connector, its
# mock CSV files) against the seeded database.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

TMP=$(mktemp -d /tmp/aam-seed.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
SUMMARY_FRESH='tenants: 1 created, 0 unchanged; users: 1 created, 0 unchanged; connectors: 1 created, 0 updated, 0 unchanged; grants: 1 created, 0 unchanged'
SUMMARY_SAME='tenants: 0 created, 1 unchanged; users: 0 created, 1 unchanged; connectors: 0 created, 0 updated, 1 unchanged; grants: 0 created, 1 unchanged'
export AAM_DEMO_PASSWORD=demo-password-for-tests

# dump DB: every seeded row with its xmin (a write of identical values still changes xmin)
dump() {
  stack_psql_super -d "$1" -Atc "SELECT 'tenant', xmin, row_to_json(t) FROM tenants t ORDER BY namespace" \
    -c "SELECT 'user', xmin, row_to_json(u) FROM users u ORDER BY email" \
    -c "SELECT 'connector', xmin, row_to_json(c) FROM connections c ORDER BY namespace, id" \
    -c "SELECT 'grant', xmin, row_to_json(g) FROM source_grants g ORDER BY folder, namespace"
}
count() { stack_psql_super -d "$1" -Atc "SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM users), (SELECT count(*) FROM connections)"; }

# --- configuration
out=$(env -u DATABASE_URL "$AAM_BIN" seed 2>&1); rc=$?
check "seed without DATABASE_URL exits 2" test "$rc" = 2
check "…with one line naming DATABASE_URL" test "$(wc -l <<<"$out")" = 1 -a -n "$(grep DATABASE_URL <<<"$out")"

need_migrated

# --- first and second run
out=$("$AAM_BIN" seed 2>/dev/null); rc=$?
check "first seed exits 0" test "$rc" = 0
check "…and reports everything created" grep -qF "$SUMMARY_FRESH" <<<"$out"
check "…without printing the password" sh -c "! grep -qF '$AAM_DEMO_PASSWORD' <<'X'
$out
X"
check "one tenant, one user, one connector" test "$(count "$TEST_DB")" = "1|1|1"
check "the demo rows are as the contract says" test "$(stack_psql_super -d "$TEST_DB" -Atc \
  "SELECT t.namespace, t.name, u.email, u.namespace, c.id, c.name, c.source_type, c.status, c.connector_config::text, c.namespace
   FROM tenants t, users u, connections c")" = \
  'demo|Demo|demo@autonomos.local|demo|filesource_demo|FilesSource Demo|filesource|ACTIVE|{"path": "mock_sources/", "pattern": "*.csv"}|demo'
dump "$TEST_DB" >"$TMP/first"
check "the dump holds the four seeded rows" test "$(grep -c '' "$TMP/first")" = 4
check "…demo owns mock_sources/ (the root) by a grant" test "$("$AAM_BIN" sources list)" = "$(printf 'demo\t.')"
check "…the demo connector knows its folder" \
  test "$(stack_psql_super -d "$TEST_DB" -Atc "SELECT source_folder FROM connections WHERE id = 'filesource_demo'")" = ""
out=$(AAM_DEMO_PASSWORD=a-different-password "$AAM_BIN" seed 2>/dev/null); rc=$?
check "second seed exits 0" test "$rc" = 0
check "…and reports everything unchanged: '$SUMMARY_SAME'" grep -qxF "$SUMMARY_SAME" <<<"$out"
dump "$TEST_DB" >"$TMP/second"
check "…and wrote nothing: rows byte-identical, xmin and password hash included" cmp -s "$TMP/first" "$TMP/second"

# --- reconciliation of seed-owned fields
stack_psql_super -d "$TEST_DB" -qc "UPDATE connections SET name = 'Renamed', status = 'INACTIVE' WHERE id = 'filesource_demo'" \
  -c "UPDATE tenants SET name = 'Old name' WHERE namespace = 'demo'"
before=$(stack_psql_super -d "$TEST_DB" -Atc "SELECT updated_at FROM connections WHERE id = 'filesource_demo'")
out=$("$AAM_BIN" seed 2>/dev/null); rc=$?
check "seed over drifted rows exits 0" test "$rc" = 0
check "…reports the connector updated" grep -qF 'connectors: 0 created, 1 updated, 0 unchanged' <<<"$out"
check "…names the fields it reconciled" grep -qF 'connector demo/filesource_demo: updated (name, status)' <<<"$out"
check "…reports the tenant updated" grep -qF 'tenants: 0 created, 1 updated, 0 unchanged' <<<"$out"
check "…and restored them" test "$(stack_psql_super -d "$TEST_DB" -Atc \
  "SELECT c.name || '/' || c.status || '/' || t.name FROM connections c, tenants t")" = "FilesSource Demo/ACTIVE/Demo"
check "…bumping updated_at" test "$(stack_psql_super -d "$TEST_DB" -Atc "SELECT updated_at > '$before' FROM connections WHERE id = 'filesource_demo'")" = t
stack_psql_super -d "$TEST_DB" -qc "DELETE FROM connections WHERE id = 'filesource_demo'"
out=$("$AAM_BIN" seed 2>/dev/null)
check "a deleted demo connector is created again" grep -qF 'connectors: 1 created, 0 updated, 0 unchanged' <<<"$out"

# --- bad seed files: exit 1 with the reason, nothing written
mkdir -p "$TMP/empty" "$TMP/broken" "$TMP/badconn" "$TMP/taken" "$TMP/badgrant"
AAM_SEEDS_DIR="$TMP/empty" "$AAM_BIN" seed >/dev/null 2>"$TMP/err"; rc=$?
check "no seed files: exit 1" test "$rc" = 1
check "…saying so" grep -q 'no seed files' "$TMP/err"
echo '{"tenants": [' >"$TMP/broken/x.json"
AAM_SEEDS_DIR="$TMP/broken" "$AAM_BIN" seed >/dev/null 2>"$TMP/err"; rc=$?
check "a file that is not JSON: exit 1 naming it" sh -c "test $rc = 1 && grep -q 'x.json' '$TMP/err'"
echo '{"tenants":[{"namespace":"t2","name":"T2","connectors":[{"id":"bad id","name":"x","type":"custom","status":"ACTIVE","config":{}}]}]}' >"$TMP/badconn/x.json"
AAM_SEEDS_DIR="$TMP/badconn" "$AAM_BIN" seed >/dev/null 2>"$TMP/err"; rc=$?
check "an invalid connector id: exit 1" test "$rc" = 1
echo '{"tenants":[{"namespace":"t4","name":"T4","grants":["/etc"]}]}' >"$TMP/badgrant/x.json"
AAM_SEEDS_DIR="$TMP/badgrant" "$AAM_BIN" seed >/dev/null 2>"$TMP/err"; rc=$?
check "a grant outside AAM_SOURCES_ROOT: exit 1" test "$rc" = 1
check "…naming AAM_SOURCES_ROOT" grep -q 'AAM_SOURCES_ROOT' "$TMP/err"
check "…and tenant t4 was not written" test "$(stack_psql_super -d "$TEST_DB" -Atc "SELECT count(*) FROM tenants WHERE namespace = 't4'")" = 0
check "…and tenant t2 was not written" test "$(stack_psql_super -d "$TEST_DB" -Atc "SELECT count(*) FROM tenants WHERE namespace = 't2'")" = 0
echo '{"tenants":[{"namespace":"t3","name":"T3","users":[{"email":"demo@autonomos.local"}],"connectors":[{"id":"c","name":"C","type":"postgres","status":"ACTIVE","config":{"host":"h","database":"d","user":"u"}}]}]}' >"$TMP/taken/x.json"
AAM_SEEDS_DIR="$TMP/taken" "$AAM_BIN" seed >/dev/null 2>"$TMP/err"; rc=$?
check "a user that belongs to another tenant: exit 1" test "$rc" = 1
check "…saying so" grep -q 'another tenant' "$TMP/err"
check "…and the whole tenant t3 was rolled back" test "$(stack_psql_super -d "$TEST_DB" -Atc \
  "SELECT (SELECT count(*) FROM tenants WHERE namespace = 't3') + (SELECT count(*) FROM connections WHERE namespace = 't3')")" = 0

# --- the contract's smoke test on the seeded database (server in the repository root)
server_start || give_up "server start"
req GET /api/v1/aam/connectors
expect_status 401 "connectors without a token"
req POST /api/v1/auth/login -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"demo@autonomos.local\",\"password\":\"$AAM_DEMO_PASSWORD\"}"
expect_status 200 "login as the demo user with AAM_DEMO_PASSWORD"
TOKEN=$(jq -r .access_token <<<"$BODY")
req GET /api/v1/aam/connectors -H "Authorization: Bearer $TOKEN"
expect_status 200 "connectors with the demo token"
expect_jq '[.total, .connectors[0].id, .connectors[0].name, .connectors[0].type, .connectors[0].status] | map(tostring) | join("|")' \
  "1|filesource_demo|FilesSource Demo|filesource|ACTIVE" "the demo connector, total 1"
req GET /api/v1/aam/connectors/filesource_demo/files -H "Authorization: Bearer $TOKEN"
expect_status 200 "the demo connector's files"
expect_jq "[.files[].name] | join(\",\")" "$(cd "$REPO_ROOT/mock_sources" && printf '%s\n' ./*.csv | sed 's|^\./||' | LC_ALL=C sort | paste -sd,)" \
  "…are the mock CSV sources"
expect_jq '[.files[] | select(.row_count > 0 and (.columns | length) > 1)] | length' "$(find "$REPO_ROOT/mock_sources" -maxdepth 1 -name '*.csv' -type f | grep -c .)" \
  "…each with columns and rows"
req GET /api/v1/aam/connectors/filesource_demo/files/contacts.csv/rows -H "Authorization: Bearer $TOKEN"
expect_status 200 "rows of contacts.csv"
expect_jq '[.rows[] | select(.notes | test("\n"))] | length > 0' true "…a note keeps its embedded newline"
server_stop

# --- five seeds at once on an empty database, password generated
url2=$(stack_new_db "${TEST_DB}_five")
owner2=$(stack_owner_url "${TEST_DB}_five")
need "aam migrate on the second database" env DATABASE_URL="$url2" AAM_MIGRATE_DATABASE_URL="$owner2" "$AAM_BIN" migrate
for i in 1 2 3 4 5; do
  (env -u AAM_DEMO_PASSWORD DATABASE_URL="$url2" AAM_MIGRATE_DATABASE_URL="$owner2" "$AAM_BIN" seed >"$TMP/five.$i" 2>&1; echo $? >"$TMP/five.$i.rc") &
done
wait
check "five concurrent seeds all exit 0" test "$(cat "$TMP"/five.*.rc | sort -u)" = 0
check "…leave exactly one tenant, one user, one connector" test "$(count "${TEST_DB}_five")" = "1|1|1"
check "…and one grant" test "$(stack_psql_super -d "${TEST_DB}_five" -Atc "SELECT count(*) FROM source_grants")" = 1
check "…exactly one created the grant" test "$(grep -l 'grants: 1 created' "$TMP"/five.? | wc -l)" = 1
check "…exactly one created the tenant" test "$(grep -l 'tenants: 1 created' "$TMP"/five.? | wc -l)" = 1
check "…exactly one created the connector" test "$(grep -l 'connectors: 1 created' "$TMP"/five.? | wc -l)" = 1
check "…exactly one printed a generated password" test "$(cat "$TMP"/five.? | grep -c 'generated password')" = 1
gen=$(grep -h 'generated password' "$TMP"/five.? | sed -n 's/.*generated password \([A-Za-z0-9_-]*\).*/\1/p')
server_start DATABASE_URL="$url2" || give_up "server start (second database)"
req POST /api/v1/auth/login -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"demo@autonomos.local\",\"password\":\"$gen\"}"
expect_status 200 "the printed password logs the demo user in"

finish
