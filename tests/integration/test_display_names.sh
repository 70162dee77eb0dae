#!/usr/bin/env bash
# Names people read hold no control or bidirectional formatting characters (the contract's
# "Limits and hostile input"): register's tenant_name, a connector's name (POST and PATCH),
# `aam tenants create --name` and `aam clients create --name` refuse a C1 control (U+009B, a
# terminal's CSI) and a right-to-left override (U+202E), and nothing is written; letters of any
# script still pass. What the commands list is printed escaped, never as raw control bytes,
# also for a name or a folder that got in some other way.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
TMP=$(mktemp -d /tmp/aam-names.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
TMP=$(realpath "$TMP")
JSON=(-H 'Content-Type: application/json')
sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }
# raw_controls FILE: 0 when FILE holds a C0 control other than tab and line feed, DEL, a C1
# control (as UTF-8: C2 80-9F) or a bidirectional formatting character (E2 80 AA-AE,
# E2 81 A6-A9, E2 80 8E-8F, D8 9C).
raw_controls() {
  LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c' "$1"
}
no_raw_controls() { ! raw_controls "$1"; }

CSI=$'\xc2\x9b' RLO=$'\xe2\x80\xae'
export AAM_SOURCES_ROOT=$TMP

server_start || give_up "server start"

# ------------------------------------------------------------------ register's tenant_name
register() {  # NAMESPACE TENANT_NAME(JSON-escaped)
  req POST /api/v1/auth/register "${JSON[@]}" --data-binary \
    "{\"email\":\"$1@example.org\",\"password\":\"$1-password\",\"namespace\":\"$1\",\"tenant_name\":\"$2\"}"
}
for n in 'Acme \u009b2J' 'Acme \u202egpj.exe' 'Acme \u2066x\u2069' 'Acme \u200f' 'Acme\u0085'; do
  register names-bad "$n"
  expect_status 422 "register with tenant_name \"$n\""
  expect_jq '[.errors[].field] | join(",")' tenant_name "…the error is on tenant_name"
done
check "…and no tenant was created" test "$(sql "SELECT count(*) FROM tenants WHERE namespace = 'names-bad'")" = 0
register names-ok 'Z\u00fcrich \u05e9\u05dc\u05d5\u05dd \ud83d\ude80'
expect_status 201 "register with a tenant_name of Latin, Hebrew and an emoji"

# ------------------------------------------------------------------ connector names
need "tenants create names-c" "$AAM_BIN" tenants create --namespace names-c --name "Names C"
TOK=$("$AAM_BIN" token --namespace names-c --sub carol)
A=(-H "Authorization: Bearer $TOK")
C=/api/v1/aam/connectors
connector() {  # ID NAME(JSON-escaped)
  req POST "$C" "${A[@]}" "${JSON[@]}" --data-binary \
    "{\"id\":\"$1\",\"name\":\"$2\",\"type\":\"rest_api\",\"config\":{\"base_url\":\"https://x.example\"}}"
}
for n in 'CRM \u009b31m' 'invoice\u202efdp.exe' 'a\u2067b' 'tab\tname'; do
  connector bad "$n"
  expect_status 422 "a connector named \"$n\""
  expect_jq '[.errors[].field] | join(",")' name "…the error is on name"
done
req GET "$C/bad" "${A[@]}"
expect_status 404 "…and nothing was written"
connector good 'Z\u00fcrich \u05e9\u05dc\u05d5\u05dd'
expect_status 201 "a connector named in Latin and Hebrew"
req PATCH "$C/good" "${A[@]}" "${JSON[@]}" --data-binary '{"name":"x\u009by"}'
expect_status 422 "PATCH a connector's name to hold U+009B"
expect_jq '[.errors[].field] | join(",")' name "…the error is on name"
req GET "$C/good" "${A[@]}"
expect_jq .name 'Zürich שלום' "…and the name is unchanged"

# ------------------------------------------------------------------ the commands
out=$("$AAM_BIN" tenants create --namespace names-d --name "${RLO}gpj.exe" 2>&1); rc=$?
check "aam tenants create --name with U+202E exits 2 (got $rc)" test "$rc" = 2
check "…naming --name" grep -q -- --name <<<"$out"
"$AAM_BIN" tenants create --namespace names-d --name "x${CSI}2J" >/dev/null 2>&1; rc=$?
check "aam tenants create --name with U+009B exits 2 (got $rc)" test "$rc" = 2
check "…and no tenant was created" test "$(sql "SELECT count(*) FROM tenants WHERE namespace = 'names-d'")" = 0
"$AAM_BIN" clients create --namespace names-c --name "job${RLO}" >/dev/null 2>&1; rc=$?
check "aam clients create --name with U+202E exits 2 (got $rc)" test "$rc" = 2

# Rows written before the rule, or folders anyone may name: listed escaped, columns intact.
sql "UPDATE tenants SET name = E'Old\\u009b2J\\u202e\\x1b[31m\\tname' WHERE namespace = 'names-c'" >/dev/null
"$AAM_BIN" tenants list >"$TMP/tenants.out" 2>&1; rc=$?
check "aam tenants list exits 0" test "$rc" = 0
check "…prints no raw control or bidirectional character" no_raw_controls "$TMP/tenants.out"
check "…shows them escaped, in two columns" grep -qxF 'names-c	Old\u009B2J\u202E\u001B[31m\u0009name' "$TMP/tenants.out"
check "…and other names as they are" grep -qxF 'names-ok	Zürich שלום 🚀' "$TMP/tenants.out"
mkdir "$TMP/evil${CSI}2J${RLO}"
need "sources grant of a folder whose name holds controls" \
  "$AAM_BIN" sources grant --namespace names-c "$TMP/evil${CSI}2J${RLO}"
"$AAM_BIN" sources list >"$TMP/sources.out" 2>&1; rc=$?
check "aam sources list exits 0" test "$rc" = 0
check "…prints no raw control or bidirectional character" no_raw_controls "$TMP/sources.out"
check "…shows the folder escaped" grep -qxF 'names-c	evil\u009B2J\u202E' "$TMP/sources.out"
need "clients create" "$AAM_BIN" clients create --namespace names-c --name "ETL"
sql "UPDATE clients SET name = E'ETL\\u009b2J' WHERE namespace = 'names-c'" >/dev/null
"$AAM_BIN" clients list >"$TMP/clients.out" 2>&1; rc=$?
check "aam clients list exits 0" test "$rc" = 0
check "…prints no raw control character" no_raw_controls "$TMP/clients.out"
check "…shows the name escaped" grep -qF '	ETL\u009B2J	' "$TMP/clients.out"

finish
