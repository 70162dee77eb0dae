#!/usr/bin/env bash
# Connector types and secrets end to end (issue 21), over a real `aam serve` through PgBouncer:
# POST/PATCH judged against the type's spec (one errors[] entry per violation, nothing written,
# an unknown type 422 on "type", rows of a type from before the registry readable and patchable
# by name); a secret never in a 201/200 body, the list, the server's log, /metrics or a pg_dump;
# PATCH keeps an absent secret, replaces a string, clears null; a ciphertext moved to another
# row by SQL does not decrypt (rotate names the connector and field, never the value);
# `aam keys status` (exit 1 when a key is missing); `aam keys rotate` while the server serves
# reads (no request fails), killed mid-way and run again; `aam migrate` encrypting a plain
# secret planted in connector_config; seeds with {"env": NAME}.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

TMP=$(mktemp -d /tmp/aam-secrets.XXXXXX)
LOAD_PID=""
ROT_PID=""
cleanup() {
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
  [ -n "$ROT_PID" ] && kill -9 "$ROT_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }  # superuser: row-level security hides nothing
dump_has() { "$PGBIN/pg_dump" -h "$STACK_DIR/sock" -p "$PG_PORT" -U postgres "$TEST_DB" | grep -qF -- "$1"; }
export -f dump_has
KEY_OLD=$AAM_SECRET_KEYS                          # test:<base64>, the run's key
KEY_NEW="new:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
PW="pw-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"   # the secret we look for
PW2="${PW}-second"
TOKEN_V="tok-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"

need_migrated
for ns in sec other bulk; do need "tenants create $ns" "$AAM_BIN" tenants create --namespace "$ns" --name "$ns"; done
server_start || give_up "server start"
TS=$("$AAM_BIN" token --namespace sec --sub alice)
A=(-H "Authorization: Bearer $TS")
JSON=(-H 'Content-Type: application/json')
C=/api/v1/aam/connectors
post() { req POST "$C" "${A[@]}" "${JSON[@]}" --data-binary "$1"; }
patch() { req PATCH "$C/$1" "${A[@]}" "${JSON[@]}" --data-binary "$2"; }
rows() { sql "SELECT count(*) FROM connections WHERE namespace = 'sec'"; }
no_secret_in_body() { ! printf '%s' "$BODY" | grep -qF -- "$PW"; }

# --- create, read: the secret is never shown
post '{"id":"pg1","name":"Warehouse","type":"postgres","config":{"host":"db.example.com","database":"dw","user":"etl","password":"'"$PW"'"}}'
expect_status 201 "create a postgres connector with a password"
check "…the 201 body does not hold the password" no_secret_in_body
expect_jq '.secrets | tojson' '["password"]' "…secrets names the field that holds a value"
expect_jq '.config | tojson' '{"host":"db.example.com","port":5432,"user":"etl","sslmode":"prefer","database":"dw"}' \
  "…config leaves the password out and stores the spec's defaults (port, sslmode)"
req GET "$C/pg1" "${A[@]}"
expect_status 200 "GET the connector"
check "…its body does not hold the password" no_secret_in_body
expect_jq '(.secrets | tojson) + " " + (.config | has("password") | tostring)' '["password"] false' "…secrets [\"password\"], no password in config"
read_config=$(jq -c .config <<<"$BODY")
req GET "$C" "${A[@]}"
check "the list does not hold the password" no_secret_in_body
expect_jq '[.connectors[] | .secrets | tojson] | join(" ")' '["password"]' "…and lists secrets per connector"
stored=$(sql "SELECT secrets ->> 'password' FROM connections WHERE namespace = 'sec' AND id = 'pg1'")
check "the stored value is v1:test:<base64>" grep -Eq '^v1:test:[A-Za-z0-9+/=]+$' <<<"$stored"
check "…and connector_config holds no password" test "$(sql "SELECT connector_config ? 'password' FROM connections WHERE id = 'pg1'")" = f

# --- PATCH: absent keeps, string replaces, null clears; the config read can be sent back
patch pg1 "{\"config\":$read_config}"
expect_status 200 "PATCH back the config that was read"
expect_jq '.secrets | tojson' '["password"]' "…keeps the password"
check "…not even re-encrypted (the row is unchanged)" test "$(sql "SELECT secrets ->> 'password' FROM connections WHERE id = 'pg1'")" = "$stored"
patch pg1 '{"config":{"host":"db2.example.com","database":"dw","user":"etl","password":"'"$PW2"'"}}'
expect_status 200 "PATCH with a new password"
check "…the body holds neither password" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$PW'" _ "$BODY"
check "…the stored value changed" test "$(sql "SELECT secrets ->> 'password' FROM connections WHERE id = 'pg1'")" != "$stored"
expect_jq '.config.host' db2.example.com "…and the other fields replaced"
patch pg1 '{"config":{"host":"db2.example.com","database":"dw","user":"etl","password":null}}'
expect_status 200 "PATCH with password null"
expect_jq '.secrets | tojson' '[]' "…clears it: secrets []"
check "…and the column no longer has it" test "$(sql "SELECT secrets FROM connections WHERE id = 'pg1'")" = "{}"
patch pg1 '{"config":{"host":"db2.example.com","database":"dw","user":"etl","password":"'"$PW"'"}}'
expect_status 200 "PATCH sets it again"
patch pg1 '{"name":"Warehouse 2"}'
expect_status 200 "PATCH of the name only"
expect_jq '.secrets | tojson' '["password"]' "…keeps the password"
post '{"id":"api1","name":"API","type":"rest_api","config":{"base_url":"https://api.example.com/v1","token":"'"$TOKEN_V"'"}}'
expect_status 201 "create a rest_api connector with a token"
expect_jq '(.secrets | tojson) + " " + .config.auth_header' '["token"] Authorization' "…token secret, auth_header default"
post '{"id":"s3a","name":"Bucket","type":"s3","config":{"bucket":"my-bucket","region":"eu-central-1","access_key_id":"AKIA1","secret_access_key":"'"$PW"'"}}'
expect_status 201 "create an s3 connector with a secret access key"
check "…not in the body" no_secret_in_body
expect_jq '(.secrets | tojson) + " " + .config.access_key_id' '["secret_access_key"] AKIA1' "…secret_access_key secret, access_key_id shown"

# --- validation: one entry per violation, config.<property>, nothing written
before=$(rows)
fields_are() { printf '%s' "$BODY" | jq -e --arg f "$1" '[.errors[].field] | sort | join(",") == $f' >/dev/null; }
while IFS='|' read -r want body; do
  [ -z "$want" ] && continue
  post "$body"
  check "422 with errors on exactly $want: $body" sh -c "test '$STATUS' = 422 && printf '%s' \"\$1\" | jq -e --arg f '$want' '[.errors[].field] | sort | join(\",\") == \$f' >/dev/null" _ "$BODY"
  check "…the message does not quote a refused secret" no_secret_in_body
done <<EOF2
type|{"id":"v1","name":"v","type":"mysql","config":{}}
config.port|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","port":"5432"}}
config.port|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","port":5432.5}}
config.port|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","port":0}}
config.port|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","port":65536}}
config.sslmode|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","sslmode":"maybe"}}
config.database,config.host|{"id":"v1","name":"v","type":"postgres","config":{"user":"u"}}
config.host|{"id":"v1","name":"v","type":"postgres","config":{"host":"not a host!","database":"d","user":"u"}}
config.database|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"$(printf 'd%.0s' {1..64})","user":"u"}}
config.user|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":""}}
config.extra|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","extra":1}}
config.password|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","password":12345}}
config.password|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","password":"$(printf 'p%.0s' {1..1025})"}}
config.port,config.sslmode|{"id":"v1","name":"v","type":"postgres","config":{"host":"h","database":"d","user":"u","port":-1,"sslmode":"x"}}
config.bucket|{"id":"v1","name":"v","type":"s3","config":{"bucket":"Bad_Bucket","region":"eu-central-1"}}
config.endpoint|{"id":"v1","name":"v","type":"s3","config":{"bucket":"bkt","region":"r","endpoint":"minio.local:9000"}}
config.region|{"id":"v1","name":"v","type":"s3","config":{"bucket":"bkt","region":"$(printf 'r%.0s' {1..33})"}}
config.region|{"id":"v1","name":"v","type":"s3","config":{"bucket":"bkt"}}
config.base_url|{"id":"v1","name":"v","type":"rest_api","config":{"base_url":"ftp://x.example"}}
config.base_url,config.base_url|{"id":"v1","name":"v","type":"rest_api","config":{"base_url":"not a uri"}}
config.auth_header|{"id":"v1","name":"v","type":"rest_api","config":{"base_url":"https://x.example","auth_header":"Bad Header"}}
config.token|{"id":"v1","name":"v","type":"rest_api","config":{"base_url":"https://x.example","token":true}}
config.path|{"id":"v1","name":"v","type":"filesource","config":{"pattern":"*.csv"}}
config.pattern|{"id":"v1","name":"v","type":"filesource","config":{"path":"$TMP","pattern":"a/b"}}
config.path|{"id":"v1","name":"v","type":"filesource","config":{"path":"$TMP"}}
EOF2
check "nothing was written by any refused POST" test "$(rows)" = "$before"
post '{"id":"fs","name":"v","type":"filesource","config":{"path":"/nonexistent-folder"}}'
expect_jq '.errors[0].message' "must name an existing folder inside the sources root (AAM_SOURCES_ROOT) that this tenant owns" \
  "a filesource folder refusal keeps its one text"
# the other way: every keyword satisfied at its bounds
while read -r body; do
  [ -z "$body" ] && continue
  post "$body"
  check "201 at the bounds: $body" test "$STATUS" = 201
done <<EOF2
{"id":"b1","name":"v","type":"postgres","config":{"host":"h","database":"$(printf 'd%.0s' {1..63})","user":"u","port":1,"sslmode":"verify-full"}}
{"id":"b2","name":"v","type":"postgres","config":{"host":"10.1.2.3","database":"d","user":"u","port":65535,"password":"$(printf 'p%.0s' {1..1024})"}}
{"id":"b3","name":"v","type":"s3","config":{"bucket":"a.b-c","region":"$(printf 'r%.0s' {1..32})","endpoint":"http://minio.local:9000","prefix":""}}
{"id":"b4","name":"v","type":"rest_api","config":{"base_url":"http://x.example","auth_header":"X-Api-Key"}}
EOF2
# PATCH: the stored type's rules, nothing written on a refusal
upd=$(sql "SELECT updated_at FROM connections WHERE id = 'pg1'")
patch pg1 '{"config":{"host":"h","database":"d","user":"u","port":0,"sslmode":"x"}}'
check "PATCH with two violations: 422 on both" sh -c "test '$STATUS' = 422 && printf '%s' \"\$1\" | jq -e '[.errors[].field] | sort == [\"config.port\",\"config.sslmode\"]' >/dev/null" _ "$BODY"
check "…and the row is as it was" test "$(sql "SELECT updated_at FROM connections WHERE id = 'pg1'")" = "$upd"
# a row written before the registry: readable, patchable by name, its config only made valid
sql "INSERT INTO connections (namespace, id, name, source_type, status, connector_config) VALUES ('sec', 'legacy', 'Old', 'kafka', 'ACTIVE', '{\"brokers\":\"b:9092\"}')" >/dev/null
req GET "$C/legacy" "${A[@]}"
expect_status 200 "a row of a type the registry lacks stays readable"
expect_jq '(.secrets | tojson) + " " + .config.brokers' '[] b:9092' "…with its config and secrets []"
patch legacy '{"name":"Old 2"}'
expect_status 200 "…a PATCH of its name works"
patch legacy '{"config":{"brokers":"c:9092"}}'
expect_status 422 "…a PATCH of its config is 422"
expect_jq '[.errors[].field] | join(",")' type "…on type"

# --- never in the log, /metrics or a dump
metrics=$(curl -s "$ADMIN_URL/metrics")
check "/metrics does not hold a secret" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$PW'" _ "$metrics"
check "the server's log does not hold a secret" sh -c "! grep -qF -- '$PW' '$SERVER_LOG' && ! grep -qF -- '$TOKEN_V' '$SERVER_LOG'"
check "pg_dump of the database holds the ciphertexts" dump_has "v1:test:"
check "…and no secret in clear" sh -c "! \"$PGBIN/pg_dump\" -h '$STACK_DIR/sock' -p '$PG_PORT' -U postgres '$TEST_DB' | grep -qF -e '$PW' -e '$TOKEN_V'"

# --- aam migrate encrypts a plain secret planted in connector_config
sql "UPDATE connections SET connector_config = connector_config || '{\"token\":\"planted-$TOKEN_V\"}' WHERE namespace = 'sec' AND id = 'b4'" >/dev/null
check "(planted: a rest_api token in clear in connector_config)" dump_has "planted-$TOKEN_V"
out=$("$AAM_BIN" migrate 2>&1); rc=$?
check "aam migrate with a plain secret exits 0" test "$rc" = 0
check "…says it encrypted one value" grep -q "secrets: 1 plain secret values of 1 connectors encrypted" <<<"$out"
check "…without printing it" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$TOKEN_V'" _ "$out"
check "…the config no longer holds it" test "$(sql "SELECT connector_config ? 'token' FROM connections WHERE id = 'b4'")" = f
check "…the secrets column does, encrypted" grep -Eq '^v1:test:' <<<"$(sql "SELECT secrets ->> 'token' FROM connections WHERE id = 'b4'")"
check "…and pg_dump no longer shows it" sh -c "! \"$PGBIN/pg_dump\" -h '$STACK_DIR/sock' -p '$PG_PORT' -U postgres '$TEST_DB' | grep -qF 'planted-$TOKEN_V'"
out=$("$AAM_BIN" migrate 2>&1)
check "a second aam migrate finds nothing to encrypt" sh -c "! printf '%s' \"\$1\" | grep -q '^secrets:'" _ "$out"
req GET "$C/b4" "${A[@]}"
expect_jq '.secrets | tojson' '["token"]' "the API shows the moved token as set"

# --- keys status
out=$(AAM_SECRET_KEYS="$KEY_NEW,$KEY_OLD" "$AAM_BIN" keys status 2>&1); rc=$?
check "keys status with both keys exits 0" test "$rc" = 0
check "…counts the values under each key id" grep -Eq '^connector	test	[0-9]+	held$' <<<"$out"
check "…and shows a key that encrypts nothing yet" grep -Eq '^connector	new	0	first$' <<<"$out"
out=$(AAM_SECRET_KEYS="$KEY_NEW" "$AAM_BIN" keys status 2>&1); rc=$?
check "keys status without a key some values use exits 1" test "$rc" = 1
check "…marking that key id missing" grep -Eq '^connector	test	[0-9]+	missing$' <<<"$out"
check "…and prints no key" sh -c "! printf '%s' \"\$1\" | grep -qF -- '${KEY_OLD#*:}'" _ "$out"

# --- a ciphertext moved to another row does not decrypt
TO=$("$AAM_BIN" token --namespace other --sub bob)
req POST "$C" -H "Authorization: Bearer $TO" "${JSON[@]}" --data-binary '{"id":"victim","name":"V","type":"postgres","config":{"host":"h","database":"d","user":"u","password":"other-pass"}}'
expect_status 201 "another tenant's postgres connector"
sql "UPDATE connections SET secrets = (SELECT secrets FROM connections WHERE namespace = 'sec' AND id = 'pg1') WHERE namespace = 'other' AND id = 'victim'" >/dev/null
out=$(AAM_SECRET_KEYS="$KEY_NEW,$KEY_OLD" "$AAM_BIN" keys rotate 2>&1); rc=$?
check "rotate with a moved ciphertext exits 1" test "$rc" = 1
check "…naming the connector and field it could not decrypt" grep -q 'connector other/victim, field password' <<<"$out"
check "…and the key id" grep -q 'key \\"test\\"\|key "test"' <<<"$out"
check "…never the value" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$PW'" _ "$out"
sql "DELETE FROM connections WHERE namespace = 'other'" >/dev/null

# --- seeds with {"env": NAME}
mkdir -p "$TMP/seeds"
{
  printf '{"tenants":[{"namespace":"bulk","name":"bulk","connectors":['
  for i in $(seq 1 1500); do
    ((i > 1)) && printf ','
    printf '{"id":"c%04d","name":"C %d","type":"postgres","status":"ACTIVE","config":{"host":"h","database":"d","user":"u","password":{"env":"SEED_PW"}}}' "$i" "$i"
  done
  printf ']}]}\n'
} >"$TMP/seeds/bulk.json"
out=$(AAM_SEEDS_DIR="$TMP/seeds" "$AAM_BIN" seed 2>&1); rc=$?
check "a seed naming an unset variable for a secret fails" sh -c "test $rc = 1 && printf '%s' \"\$1\" | grep -q 'SEED_PW, which is not set'" _ "$out"
out=$(SEED_PW="$PW" AAM_SEEDS_DIR="$TMP/seeds" "$AAM_BIN" seed 2>&1); rc=$?
check "seed with {\"env\":\"SEED_PW\"} exits 0" test "$rc" = 0
check "…without printing it" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$PW'" _ "$out"
check "…1500 connectors hold an encrypted password" test "$(sql "SELECT count(*) FROM connections WHERE namespace = 'bulk' AND secrets ->> 'password' LIKE 'v1:test:%'")" = 1500
snap=$(sql "SELECT md5(string_agg(secrets::text, ',' ORDER BY id)) FROM connections WHERE namespace = 'bulk'")
out=$(SEED_PW="$PW" AAM_SEEDS_DIR="$TMP/seeds" "$AAM_BIN" seed 2>&1); rc=$?
check "the same seed again changes nothing" sh -c "test $rc = 0 && printf '%s' \"\$1\" | grep -q '0 updated, 1500 unchanged' && test '$snap' = \"\$(printf '%s' \"\$2\")\"" _ "$out" "$(sql "SELECT md5(string_agg(secrets::text, ',' ORDER BY id)) FROM connections WHERE namespace = 'bulk'")"
mkdir -p "$TMP/seeds2"
echo '{"tenants":[{"namespace":"bulk","name":"bulk","connectors":[{"id":"lit","name":"L","type":"postgres","status":"ACTIVE","config":{"host":"h","database":"d","user":"u","password":"'"$PW"'"}}]}]}' >"$TMP/seeds2/x.json"
out=$(AAM_SEEDS_DIR="$TMP/seeds2" "$AAM_BIN" seed 2>&1); rc=$?
check "a seed holding a secret in clear is refused (exit 1)" test "$rc" = 1
check "…naming the field, not the value" sh -c "printf '%s' \"\$1\" | grep -q 'config.password is a secret' && ! printf '%s' \"\$1\" | grep -qF -- '$PW'" _ "$out"

# --- rotation while the server serves reads; killed mid-way, then run again
TK=$("$AAM_BIN" token --namespace bulk --sub reader)
: >"$TMP/load.txt"
( while :; do
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TK" "$BASE_URL$C?limit=500" >>"$TMP/load.txt"
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TK" "$BASE_URL$C/c0750" >>"$TMP/load.txt"
  done ) &
LOAD_PID=$!
under_new() { sql "SELECT count(*) FROM connections c, jsonb_each_text(c.secrets) e WHERE split_part(e.value, ':', 2) = 'new'"; }
AAM_SECRET_KEYS="$KEY_NEW,$KEY_OLD" "$AAM_BIN" keys rotate --batch 1 >"$TMP/rot1.txt" 2>&1 &
ROT_PID=$!
poll_until 60 bash -c "test \"\$(\"$PGBIN/psql\" -X -Atq -h '$STACK_DIR/sock' -p '$PG_PORT' -U postgres -d '$TEST_DB' -c \"SELECT count(*) FROM connections c, jsonb_each_text(c.secrets) e WHERE split_part(e.value, ':', 2) = 'new'\")\" -ge 20"
kill -9 "$ROT_PID" 2>/dev/null; wait "$ROT_PID" 2>/dev/null; ROT_PID=""
done_part=$(under_new)
total=$(sql "SELECT count(*) FROM connections c, jsonb_each_text(c.secrets) e")
check "rotate killed mid-way left part done ($done_part of $total under the new key)" test "$done_part" -gt 0 -a "$done_part" -lt "$total"
out=$(AAM_SECRET_KEYS="$KEY_NEW,$KEY_OLD" "$AAM_BIN" keys rotate 2>&1); rc=$?
check "rotate run again finishes (exit 0)" test "$rc" = 0
check "…every value is under the new key" test "$(under_new)" = "$total"
kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null; LOAD_PID=""
n_req=$(wc -l <"$TMP/load.txt")
check "the server answered every read during rotation with 200 ($n_req requests)" \
  sh -c "test $n_req -gt 10 && ! grep -qv '^200$' '$TMP/load.txt'"
out=$(AAM_SECRET_KEYS="$KEY_NEW" "$AAM_BIN" keys status 2>&1); rc=$?
check "after rotation the old key can go: status with the new key alone exits 0" test "$rc" = 0
out=$(AAM_SECRET_KEYS="$KEY_NEW" "$AAM_BIN" keys rotate 2>&1); rc=$?
check "rotate again changes nothing" sh -c "test $rc = 0 && printf '%s' \"\$1\" | grep -q 'rotate: 0 secret values'" _ "$out"
req GET "$C/c0750" -H "Authorization: Bearer $TK"
expect_jq '.secrets | tojson' '["password"]' "a rotated connector still lists its secret"
check "the server's log never held a secret" sh -c "! grep -qF -- '$PW' '$SERVER_LOG'"

server_stop
finish
