#!/usr/bin/env bash
# Only grants own folders (issue 20), through PgBouncer in transaction mode:
# - migration 0007 on a database an older release left: a tenant whose connectors used
#   AAM_SOURCES_ROOT/<ns>/ by its name only gets an explicit grant (logged) and keeps reading;
#   a by-name use of a folder another tenant holds the grant on is not converted (logged, 409);
# - the audit's attack, step by step: the operator grants mock_sources/finance/ to demo, a
#   stranger registers namespace finance, its connector on mock_sources/finance is 422 with the
#   one refusal text and no row of the payroll is readable;
# - a folder named like a namespace is reached through a grant on the root, until the operator
#   grants it to its tenant, which shields it from the root grant;
# - `aam sources list` shows every grant there is.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

TMP=$(mktemp -d /tmp/aam-grants.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
TMP=$(realpath "$TMP")
cd "$TMP" || exit 1
for d in acme acme/q1 contested globex; do
  mkdir -p "mock_sources/$d"
  printf 'k,v\n%s,SECRET-%s\n' "$d" "${d//\//-}" >"mock_sources/$d/data.csv"
done
export AAM_SOURCES_ROOT=mock_sources AAM_SEEDS_DIR=$REPO_ROOT/seeds AAM_MIGRATIONS_DIR=$REPO_ROOT/migrations \
  AAM_DEMO_PASSWORD=demo-$RANDOM$RANDOM

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }  # superuser: row-level security hides nothing
C=/api/v1/aam/connectors
JSON=(-H 'Content-Type: application/json')
tok() { "$AAM_BIN" token --namespace "$1" --sub "$1-caller"; }
post() {  # TOKEN ID PATH
  req POST "$C" -H "Authorization: Bearer $1" "${JSON[@]}" --data-binary \
    "{\"id\":\"$2\",\"name\":\"$2\",\"type\":\"filesource\",\"config\":{\"path\":\"$3\",\"pattern\":\"*.csv\"}}"
}
lacks() { ! grep -qF "$1" <<<"$BODY"; }  # WORD: the last response does not carry it
rows() { req GET "$C/$2/files/${3:-data.csv}/rows" -H "Authorization: Bearer $1"; }

# --- the state an older release left: migrations before 0007, connectors used by name
mkdir mig-old
for f in "$REPO_ROOT"/migrations/*.sql; do
  v=$(basename "$f" | cut -d_ -f1)
  ((10#$v < 7)) && cp "$f" mig-old/
done
need "aam migrate up to 0006" env AAM_MIGRATIONS_DIR="$TMP/mig-old" "$AAM_BIN" migrate
sql "INSERT INTO tenants (namespace, name) VALUES ('acme', 'Acme'), ('contested', 'Contested'),
       ('holder', 'Holder'), ('oldrow', 'Old Row');
     INSERT INTO source_grants (namespace, folder) VALUES ('holder', 'contested');
     INSERT INTO connections (namespace, id, name, source_type, status, connector_config, source_folder)
     VALUES ('acme', 'acme_files', 'Acme', 'filesource', 'ACTIVE',
             '{\"path\":\"mock_sources/acme\",\"pattern\":\"*.csv\"}', 'acme'),
            ('acme', 'acme_q1', 'Acme Q1', 'filesource', 'ACTIVE',
             '{\"path\":\"mock_sources/acme/q1\",\"pattern\":\"*.csv\"}', 'acme/q1'),
            ('contested', 'mine', 'Mine', 'filesource', 'ACTIVE',
             '{\"path\":\"mock_sources/contested\",\"pattern\":\"*.csv\"}', 'contested'),
            ('oldrow', 'pre0003', 'Old', 'filesource', 'ACTIVE',
             '{\"path\":\"mock_sources/oldrow\",\"pattern\":\"*.csv\"}', NULL)" >/dev/null
check "before 0007, acme owns mock_sources/acme by its name alone (no grant row)" \
  test "$(sql "SELECT aam_folder_owned('acme', 'acme/q1'), count(*) FROM source_grants WHERE namespace = 'acme'")" = "t|0"
check "…and contested shares the folder the operator granted to holder" \
  test "$(sql "SELECT aam_folder_owned('contested', 'contested')")" = t

out=$("$AAM_BIN" migrate 2>&1); rc=$?
check "aam migrate through 0007: exit 0" test "$rc" = 0
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
check "…logs the grant it made for acme, naming its connectors" \
  grep -q 'granted folder .\?"acme.\?" to namespace .\?"acme.\?".*connectors: acme_files, acme_q1' <<<"$out"
check "…logs that the contested folder was not converted, naming the holder" \
  grep -q 'namespace .\?"contested.\?" used folder .\?"contested.\?" by its name only, but holder holds the grant' <<<"$out"
check "…and names the connector it cannot judge (no recorded folder)" grep -q 'oldrow.*pre0003' <<<"$out"
check "exactly one grant was added (acme's)" \
  test "$(sql "SELECT string_agg(namespace || ':' || folder, ' ' ORDER BY folder) FROM source_grants")" = "acme:acme holder:contested"
out=$("$AAM_BIN" migrate 2>&1); rc=$?
check "a second aam migrate converts nothing more" test "$rc-$(grep -c 'granted folder' <<<"$out")" = 0-0

server_start || give_up "server start"
TACME=$(tok acme) TCON=$(tok contested)
rows "$TACME" acme_files
expect_status 200 "acme's connector on its folder keeps working after the migration"
expect_jq '.rows[0].v' SECRET-acme "…and reads it"
rows "$TACME" acme_q1
expect_jq '.rows[0].v' SECRET-acme-q1 "…so does the one on a subfolder"
rows "$TCON" mine
expect_status 409 "the by-name use of holder's folder answers 409"
check "…without a byte of it" lacks SECRET

# --- the audit's attack, step by step
need "aam seed (tenant demo, granted mock_sources/)" "$AAM_BIN" seed
mkdir -p mock_sources/finance
printf 'employee,salary\nalice,PAYROLL-91234\n' >mock_sources/finance/payroll.csv
out=$("$AAM_BIN" sources grant --namespace demo mock_sources/finance/ 2>&1); rc=$?
check "1. the operator grants mock_sources/finance/ to demo" test "$rc-$out" = "0-granted demo: finance"
req POST /api/v1/auth/register "${JSON[@]}" --data-binary \
  '{"email":"eve@example.com","password":"correct horse battery","namespace":"finance"}'
expect_status 201 "2. a stranger registers namespace finance"
TFIN=$(jq -r .access_token <<<"$BODY")
check "…which grants it nothing" test "$("$AAM_BIN" sources list --namespace finance)" = ""
post "$TFIN" nosuch mock_sources/no-such-folder
REF=$BODY
post "$TFIN" steal mock_sources/finance
expect_status 422 "3. as finance, a connector on mock_sources/finance is refused"
check "…with the one refusal text (the body a missing folder gets)" test "$BODY" = "$REF"
expect_jq '.errors[0].field' config.path "…on config.path"
post "$TFIN" steal mock_sources/finance/
expect_status 422 "…also spelled with a trailing slash"
rows "$TFIN" steal payroll.csv
expect_status 404 "…and there is no connector to read rows through"
check "…no byte of the payroll" lacks PAYROLL
req GET "$C" -H "Authorization: Bearer $TFIN"
expect_jq .total 0 "finance holds no connector"
check "…and the database holds none for it" test "$(sql "SELECT count(*) FROM connections WHERE namespace = 'finance'")" = 0
TDEMO=$(tok demo)
post "$TDEMO" payroll mock_sources/finance
expect_status 201 "demo, the grantee, uses the folder (control)"
rows "$TDEMO" payroll payroll.csv
expect_jq '.rows[0].salary' PAYROLL-91234 "…and reads the payroll"

# --- a folder named like a namespace: reached through the root grant until granted to its tenant
need "tenants create globex" "$AAM_BIN" tenants create --namespace globex --name Globex
TGLOBEX=$(tok globex)
check "creating a tenant grants nothing" test "$("$AAM_BIN" sources list --namespace globex)" = ""
post "$TGLOBEX" own mock_sources/globex
expect_status 422 "globex may not use mock_sources/globex without a grant"
post "$TDEMO" viaroot mock_sources/globex
expect_status 201 "demo's grant on the root reaches mock_sources/globex"
rows "$TDEMO" viaroot
expect_jq '.rows[0].v' SECRET-globex "…and reads it"
post "$TDEMO" acme mock_sources/acme
expect_status 422 "…but not mock_sources/acme, granted to acme by the migration"
check "the operator grants globex its folder" "$AAM_BIN" sources grant --namespace globex mock_sources/globex/
post "$TGLOBEX" own mock_sources/globex
expect_status 201 "now globex uses it"
rows "$TDEMO" viaroot
expect_status 409 "…and demo's connector through the root grant answers 409"
check "…without a byte of it" lacks SECRET
post "$TDEMO" viaroot2 mock_sources/globex
expect_status 422 "…and demo cannot create another one there"

# --- every grant, listed
out=$("$AAM_BIN" sources list); rc=$?
check "aam sources list shows every grant: seeded, converted, operator-made" \
  test "$rc|$out" = "0|$(printf '%s\n' 'demo	.' 'acme	acme' 'holder	contested' 'demo	finance' 'globex	globex')"

finish
