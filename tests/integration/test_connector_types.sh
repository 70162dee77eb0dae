#!/usr/bin/env bash
# The connector type registry and its key setting over a real `aam serve`: serve, seed and
# migrate refuse to start without AAM_SECRET_KEYS or with a broken one (exit 2, one line naming
# it, never a key), commands that hold no secret do not need it, --help never shows it; the
# types routes need a token, list the four built-in types, serve one, and answer 404
# problem+json for a type that does not exist.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=

# --- the setting
for cmd in serve seed migrate; do
  out=$(env -u AAM_SECRET_KEYS "$AAM_BIN" "$cmd" 2>&1); rc=$?
  check "$cmd without AAM_SECRET_KEYS exits 2" test "$rc" = 2
  check "…with one line naming it" test "$out" = "aam $cmd: AAM_SECRET_KEYS is required"
done
out=$(AAM_SECRET_KEYS="k1:$KEY,k1:$KEY" "$AAM_BIN" serve 2>&1); rc=$?
check "serve with a repeated key id exits 2 naming AAM_SECRET_KEYS" \
  sh -c "test $rc = 2 && test \$(printf '%s\n' \"\$1\" | wc -l) = 1 && printf '%s' \"\$1\" | grep -q '^aam serve: AAM_SECRET_KEYS'" _ "$out"
check "…and never prints the key" sh -c "! printf '%s' \"\$1\" | grep -q AAECAwQF" _ "$out"
out=$(AAM_SECRET_KEYS="k1:${KEY}QUJD" "$AAM_BIN" migrate 2>&1); rc=$?
check "migrate with a 35-byte key exits 2 naming AAM_SECRET_KEYS, not the key" \
  sh -c "test $rc = 2 && printf '%s' \"\$1\" | grep -q 'AAM_SECRET_KEYS' && ! printf '%s' \"\$1\" | grep -q AAECAwQF" _ "$out"
out=$(AAM_SECRET_KEYS="$KEY" "$AAM_BIN" seed 2>&1); rc=$?
check "seed with a key but no id exits 2, not printing it" \
  sh -c "test $rc = 2 && ! printf '%s' \"\$1\" | grep -q AAECAwQF" _ "$out"
tok=$(env -u AAM_SECRET_KEYS "$AAM_BIN" token --namespace ops --sub x 2>/dev/null); rc=$?
check "aam token needs no AAM_SECRET_KEYS" sh -c "test $rc = 0 && test -n '$tok'"
help=$(AAM_SECRET_KEYS="k1:$KEY" "$AAM_BIN" --help); rc=$?
check "--help lists AAM_SECRET_KEYS as required and never shows its value" \
  sh -c "test $rc = 0 && printf '%s' \"\$1\" | grep -Eq '^  AAM_SECRET_KEYS +required ' && ! printf '%s' \"\$1\" | grep -q AAECAwQF" _ "$help"

# --- the routes
need_migrated
server_start || give_up "server start"
check "the server's log never holds the key" sh -c "! grep -qF \"\${AAM_SECRET_KEYS#*:}\" '$SERVER_LOG'"
T=$("$AAM_BIN" token --namespace demo --sub reader)
A=(-H "Authorization: Bearer $T")

req GET /api/v1/aam/connector-types
expect_status 401 "the list needs a token"
req GET /api/v1/aam/connector-types/postgres
expect_status 401 "one type needs a token"
req GET /api/v1/aam/connector-types "${A[@]}"
expect_status 200 "GET /connector-types"
expect_jq '[.types[].type] | join(",")' "filesource,postgres,s3,rest_api" "…lists the four built-in types"
expect_jq '[.types[] | select(.title and .description and .spec.properties)] | length' 4 \
  "…each with title, description and spec"
expect_jq '[.types[].spec.properties | to_entries[] | select(.value.writeOnly) | .key] | join(",")' \
  "password,secret_access_key,token" "…and the secrets marked writeOnly"
req GET /api/v1/aam/connector-types/postgres/ "${A[@]}"
expect_status 200 "GET /connector-types/postgres (a trailing slash is the same route)"
expect_jq '.type + " " + (.spec.properties.port.default | tostring) + " " + (.spec.required | join(","))' \
  "postgres 5432 host,database,user" "…with port's default and the required fields"
req GET /api/v1/aam/connector-types/mysql "${A[@]}"
expect_status 404 "an unknown type is 404"
check "…as problem+json" sh -c "hdr() { grep -i '^content-type:' '$HDRS'; }; hdr | grep -q 'application/problem+json'"
expect_jq '.status' 404 "…with status 404 in the body"

server_stop
finish
