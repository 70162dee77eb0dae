#!/usr/bin/env bash
# The tenant boundary (issue 9), through PgBouncer in transaction mode:
# - a namespace belongs to its tenant: migration 0003 gives namespaces that held rows but no
#   tenant a tenant (no row lost); a token for a namespace without a tenant is refused (403,
#   nothing stored) and registering that namespace afterwards inherits nothing; a direct INSERT
#   as the application role for a namespace without a tenant fails in the database;
# - a folder belongs to the tenants granted it (only grants decide, issue 20): a folder named
#   like the tenant is refused until it is granted; another tenant's folder is refused with the very same 422 body as /etc, a missing folder, a file and a folder outside
#   the root; a grant makes it usable, a revoke turns the files routes into 409 without a byte
#   of the files; the nearest granted ancestor decides; a grant on the root does not reach a
#   folder granted to a tenant; several tenants share one grant; a symlinked folder that moves is
#   judged where it now points;
# - the commands: `aam tenants create|list`, `aam sources grant|revoke|list` with bad paths
#   (exit 2), unknown namespaces (exit 1), idempotent grants and their exact list output.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

TMP=$(mktemp -d /tmp/aam-tenant.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
TMP=$(realpath "$TMP")
R=$TMP/src
mkdir -p "$R/shared/x" "$R/shared/open" "$R/t-own/v1" "$R/t-own/v2" "$R/pub" "$TMP/outside"
for d in shared shared/x shared/open t-own t-own/v1 t-own/v2 pub; do
  printf 'k,v\n%s,SECRET-%s\n' "$d" "$(basename "$d")" >"$R/$d/data.csv"
done
echo 'a,b' >"$R/file.csv"
echo 'TOPSECRET,1' >"$TMP/outside/o.csv"
ln -s ../outside "$R/escape"
ln -s v1 "$R/t-own/cur"

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }  # superuser: row-level security does not hide rows
app_sql() {  # as the application role, straight to PostgreSQL; prints psql's stderr
  PGPASSWORD=$STACK_APP_PASSWORD "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$DIRECT_DATABASE_URL" -c "$1" 2>&1
}

# --- migration 0003 on a database that already holds tenant-less rows
mkdir -p "$TMP/mig-old"
cp "$REPO_ROOT"/migrations/0001_*.sql "$REPO_ROOT"/migrations/0002_*.sql "$TMP/mig-old/"
need "aam migrate to 0002" env AAM_MIGRATIONS_DIR="$TMP/mig-old" "$AAM_BIN" migrate
sql "INSERT INTO connections (namespace, id, name, source_type) VALUES
       ('legacy-svc', 'c1', 'one', 'custom'), ('legacy-svc', 'c2', 'two', 'custom');
     INSERT INTO tenants (namespace, name) VALUES ('has-tenant', 'Has Tenant');
     INSERT INTO connections (namespace, id, name, source_type) VALUES ('has-tenant', 'h1', 'h', 'custom')" >/dev/null
out=$("$AAM_BIN" migrate 2>&1); rc=$?
check "migrate over tenant-less rows exits 0" test "$rc" = 0
check "…and logs the tenant it created for legacy-svc" grep -q 'legacy-svc' <<<"$out"
check "legacy-svc got a tenant named after the namespace" \
  test "$(sql "SELECT name FROM tenants WHERE namespace='legacy-svc'")" = legacy-svc
check "…no row was lost" test "$(sql "SELECT count(*) FROM connections")" = 3
check "…an existing tenant kept its name" test "$(sql "SELECT name FROM tenants WHERE namespace='has-tenant'")" = "Has Tenant"
check "row-level security is forced again on tenants and connections" \
  test "$(sql "SELECT count(*) FROM pg_class WHERE relname IN ('tenants','connections','source_grants') AND relforcerowsecurity")" = 3

export AAM_SOURCES_ROOT=$R
server_start || give_up "server start"
C=/api/v1/aam/connectors
JSON=(-H 'Content-Type: application/json')
tok() { "$AAM_BIN" token --namespace "$1" --sub "$1-caller"; }
post() {  # TOKEN ID PATH [TYPE]: a filesource over PATH, or a rest_api (TYPE rest_api; PATH unused)
  local config="{\"path\":\"$3\",\"pattern\":\"*.csv\"}"
  [ "${4:-filesource}" = rest_api ] && config='{"base_url":"https://x.example"}'
  req POST "$C" -H "Authorization: Bearer $1" "${JSON[@]}" --data-binary \
    "{\"id\":\"$2\",\"name\":\"$2\",\"type\":\"${4:-filesource}\",\"config\":$config}"
}
files() { req GET "$C/$2/files" -H "Authorization: Bearer $1"; }
rows() { req GET "$C/$2/files/data.csv/rows" -H "Authorization: Bearer $1"; }
no_secret() { ! grep -q 'SECRET' <<<"$BODY"; }

TLEG=$(tok legacy-svc)
req GET "$C" -H "Authorization: Bearer $TLEG"
expect_jq .total 2 "legacy-svc's token still lists its two connectors after the migration"

# --- the takeover scenario: a token for a namespace without a tenant
TSVC=$(tok svc-etl)
post "$TSVC" secrets x rest_api
expect_status 403 "create with a token for a namespace without a tenant is refused"
expect_jq '.detail | test("tenant \"svc-etl\" does not exist")' true "…saying the tenant does not exist"
check "…as problem+json" grep -qi '^content-type: application/problem+json' "$HDRS"
check "…and nothing was stored" test "$(sql "SELECT count(*) FROM connections WHERE namespace='svc-etl'")" = 0
req GET "$C" -H "Authorization: Bearer $TSVC"
expect_status 403 "the list for that token says the tenant does not exist"
req GET "$C/secrets" -H "Authorization: Bearer $TSVC"
expect_status 403 "…and so does a get"
req PATCH "$C/secrets" -H "Authorization: Bearer $TSVC" "${JSON[@]}" --data-binary '{"name":"n"}'
expect_status 403 "…a patch"
req DELETE "$C/secrets" -H "Authorization: Bearer $TSVC"
expect_status 403 "…a delete"
files "$TSVC" secrets
expect_status 403 "…and the files route"
out=$(app_sql "BEGIN; SELECT set_config('aam.namespace', 'svc-etl', true);
  INSERT INTO connections (namespace, id, name, source_type) VALUES ('svc-etl', 'direct', 'd', 'custom'); COMMIT;")
check "a direct INSERT as the app role for a tenant-less namespace fails (foreign key)" \
  grep -q 'connections_namespace_fkey' <<<"$out"
check "…and stored nothing" test "$(sql "SELECT count(*) FROM connections WHERE namespace='svc-etl'")" = 0
out=$(app_sql "BEGIN; SELECT set_config('aam.namespace', 'svc-etl', true);
  INSERT INTO source_grants (namespace, folder) VALUES ('svc-etl', 'shared'); COMMIT;")
check "a direct grant as the app role fails too (only the owner's operator commands grant)" \
  grep -q 'permission denied for table source_grants' <<<"$out"
out=$("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$(stack_owner_url "$TEST_DB" direct)" -c "BEGIN;
  SELECT set_config('aam.namespace', 'svc-etl', true);
  INSERT INTO source_grants (namespace, folder) VALUES ('svc-etl', 'shared'); COMMIT;" 2>&1)
check "…and as the owner, for a tenant-less namespace, the foreign key refuses it" \
  grep -q 'source_grants_namespace_fkey' <<<"$out"
req POST /api/v1/auth/register "${JSON[@]}" --data-binary \
  '{"email":"mallory@example.com","password":"correct horse battery","namespace":"svc-etl"}'
expect_status 201 "registering the namespace the service used"
TREG=$(jq -r .access_token <<<"$BODY")
req GET "$C" -H "Authorization: Bearer $TREG"
expect_status 200 "the new user lists connectors"
expect_jq '.total' 0 "…and inherits nothing"
req POST /api/v1/auth/register "${JSON[@]}" --data-binary \
  '{"email":"mallory2@example.com","password":"correct horse battery","namespace":"legacy-svc"}'
expect_status 409 "registering a namespace the migration gave a tenant is refused"

# --- tenants for the folder tests, made by the command
for ns in t-demo t-x t-own t-a t-b intruder; do
  need "tenants create $ns" "$AAM_BIN" tenants create --namespace "$ns" --name "Tenant $ns"
done
TDEMO=$(tok t-demo) TX=$(tok t-x) TOWN=$(tok t-own) TA=$(tok t-a) TB=$(tok t-b) TI=$(tok intruder)

# --- a folder named like the tenant is not its own until it is granted
post "$TOWN" own "$R/t-own"
expect_status 422 "a tenant may not use AAM_SOURCES_ROOT/<its namespace>/ without a grant"
check "grant t-own its folder" "$AAM_BIN" sources grant --namespace t-own "$R/t-own"
post "$TOWN" own "$R/t-own"
expect_status 201 "once granted, the tenant uses it"
files "$TOWN" own
expect_jq '[.files[].name] | join(",")' data.csv "…and lists its files"

# --- every refusal: the same 422 body
"$AAM_BIN" sources grant --namespace t-demo "$R/shared" >/dev/null
post "$TI" steal "$R/shared"
expect_status 422 "another tenant's folder is refused"
REF=$BODY
expect_jq '.errors[0].field' config.path "…on config.path"
for p in /etc "$R/missing" "$R/file.csv" "$TMP/outside" "$R/escape" "$R/t-own" /etc/shadow "$R/../outside"; do
  post "$TI" steal "$p"
  [ "$STATUS" = 422 ] && [ "$BODY" = "$REF" ]
  t__report $? "$p: 422 with a body identical to another tenant's folder's"
done
check "…and nothing was stored for the intruder" test "$(sql "SELECT count(*) FROM connections WHERE namespace='intruder'")" = 0
post "$TI" mine x rest_api
req PATCH "$C/mine" -H "Authorization: Bearer $TI" "${JSON[@]}" --data-binary "{\"name\":\"n\"}"
expect_status 200 "a rest_api connector of the intruder (control)"
post "$TI" fs "$R/t-own"
expect_status 422 "…cannot use t-own's folder either"

# --- grant, then revoke: 409 on the files routes, nothing read
check "grant intruder the shared folder" "$AAM_BIN" sources grant --namespace intruder "$R/shared"
post "$TI" fs "$R/shared"
expect_status 201 "after the grant the intruder may use it"
files "$TI" fs
expect_status 200 "…and list its files"
req PATCH "$C/fs" -H "Authorization: Bearer $TI" "${JSON[@]}" --data-binary \
  "{\"config\":{\"path\":\"$R/t-own\",\"pattern\":\"*.csv\"}}"
expect_status 422 "a PATCH to another tenant's folder is refused"
check "…with the same body" test "$BODY" = "$REF"
check "…and the stored config is unchanged" \
  test "$(sql "SELECT connector_config->>'path' FROM connections WHERE namespace='intruder' AND id='fs'")" = "$R/shared"
check "revoke it" "$AAM_BIN" sources revoke --namespace intruder "$R/shared"
files "$TI" fs
expect_status 409 "after the revoke the files list answers 409"
check "…without a byte of the files" no_secret
rows "$TI" fs
expect_status 409 "…and so do the rows"
check "…without a byte of the files" no_secret
req PATCH "$C/fs" -H "Authorization: Bearer $TI" "${JSON[@]}" --data-binary "{\"name\":\"renamed\"}"
expect_status 200 "a PATCH without config still works on the orphaned connector"

# --- the nearest granted ancestor decides
check "grant t-x the folder shared/x inside t-demo's shared" "$AAM_BIN" sources grant --namespace t-x "$R/shared/x"
post "$TX" xs "$R/shared/x"
expect_status 201 "t-x may use shared/x"
rows "$TX" xs
expect_jq '.rows[0].v' SECRET-x "…and read it"
post "$TDEMO" dx "$R/shared/x"
expect_status 422 "t-demo may not use shared/x (the nearer grant is t-x's)"
check "…same body" test "$BODY" = "$REF"
post "$TDEMO" dopen "$R/shared/open/"
expect_status 201 "t-demo may use shared/open (nearest granted ancestor: shared)"
post "$TX" xshared "$R/shared"
expect_status 422 "t-x may not use shared itself"
check "grant t-demo the whole root" "$AAM_BIN" sources grant --namespace t-demo "$R"
post "$TDEMO" droot "$R"
expect_status 201 "t-demo may use the root"
post "$TDEMO" downfolder "$R/t-own"
expect_status 422 "…but the root grant does not reach the folder granted to t-own"
post "$TDEMO" dpub "$R/pub"
expect_status 201 "…and does reach a first-level folder nobody was granted"

# --- a shared grant
check "grant pub to t-a" "$AAM_BIN" sources grant --namespace t-a "$R/pub"
check "grant pub to t-b" "$AAM_BIN" sources grant --namespace t-b "$R/pub"
post "$TA" pa "$R/pub"
expect_status 201 "t-a uses the shared folder"
post "$TB" pb "$R/pub"
expect_status 201 "t-b uses the shared folder"
rows "$TB" pb
expect_jq '.rows[0].v' SECRET-pub "…and reads it"
check "revoking t-a leaves t-b's share" "$AAM_BIN" sources revoke --namespace t-a "$R/pub"
files "$TA" pa
expect_status 409 "t-a's files are 409"
files "$TB" pb
expect_status 200 "t-b's still 200"

# --- a symlinked folder is judged where it points now
post "$TOWN" cur "$R/t-own/cur"
expect_status 201 "a folder through a symlink inside t-own"
rows "$TOWN" cur
expect_jq '.rows[0].v' SECRET-v1 "…reads v1"
ln -sfn v2 "$R/t-own/cur"
rows "$TOWN" cur
expect_jq '.rows[0].v' SECRET-v2 "after the symlink moved to v2 (still t-own's) it reads v2"
ln -sfn ../shared/x "$R/t-own/cur"
rows "$TOWN" cur
expect_status 409 "after it moved to t-x's folder: 409"
check "…nothing read" no_secret
ln -sfn ../../outside "$R/t-own/cur"
files "$TOWN" cur
expect_status 409 "after it moved outside the root: 409"

# --- the commands
out=$("$AAM_BIN" tenants create --namespace t-x --name "Tenant t-x" 2>&1); rc=$?
check "tenants create again: exit 0" test "$rc" = 0
check "…unchanged" test "$out" = "tenant t-x: unchanged"
out=$("$AAM_BIN" tenants create --namespace svc-new --name "Service" 2>&1)
check "tenants create: created" test "$out" = "tenant svc-new: created"
out=$("$AAM_BIN" tenants create --namespace svc-new --name "Service Two" 2>&1)
check "tenants create with another name: updated" test "$out" = "tenant svc-new: updated (name)"
"$AAM_BIN" tenants create --namespace 'Bad NS' --name x >/dev/null 2>&1; rc=$?
check "tenants create with a bad namespace: exit 2" test "$rc" = 2
"$AAM_BIN" tenants create --namespace ok-ns --name '   ' >/dev/null 2>&1; rc=$?
check "tenants create with a blank name: exit 2" test "$rc" = 2
"$AAM_BIN" tenants create --namespace ok-ns >/dev/null 2>&1; rc=$?
check "tenants create without --name: exit 2" test "$rc" = 2
check "…none of them wrote a tenant" test "$(sql "SELECT count(*) FROM tenants WHERE namespace='ok-ns'")" = 0
env -u DATABASE_URL "$AAM_BIN" tenants list >/dev/null 2>&1; rc=$?
check "tenants list without DATABASE_URL: exit 2" test "$rc" = 2
out=$("$AAM_BIN" tenants list); rc=$?
check "tenants list: exit 0" test "$rc" = 0
check "…one line per tenant, namespace<TAB>name, by namespace" \
  test "$out" = "$(printf '%s\n' 'has-tenant	Has Tenant' 'intruder	Tenant intruder' 'legacy-svc	legacy-svc' \
    'svc-etl	svc-etl' 'svc-new	Service Two' 't-a	Tenant t-a' 't-b	Tenant t-b' 't-demo	Tenant t-demo' \
    't-own	Tenant t-own' 't-x	Tenant t-x')"
TSVCNEW=$(tok svc-new)
post "$TSVCNEW" after x rest_api
expect_status 201 "a service token works once its tenant exists"

grants() { sql "SELECT count(*) FROM source_grants"; }
before=$(grants)
for p in /etc "$R/missing" "$R/file.csv" "$R/escape" "$TMP/outside" "$R/.."; do
  err=$("$AAM_BIN" sources grant --namespace t-a "$p" 2>&1 >/dev/null); rc=$?
  check "sources grant $p: exit 2" test "$rc" = 2
  check "…with one line naming AAM_SOURCES_ROOT" test "$(grep -c '' <<<"$err")-$(grep -c AAM_SOURCES_ROOT <<<"$err")" = 1-1
done
err=$("$AAM_BIN" sources grant --namespace nobody "$R/pub" 2>&1); rc=$?
check "sources grant to an unknown namespace: exit 1" test "$rc" = 1
check "…saying there is no such tenant" grep -q 'no tenant "nobody"' <<<"$err"
"$AAM_BIN" sources grant --namespace 'Bad NS' "$R/pub" >/dev/null 2>&1; rc=$?
check "sources grant with an invalid namespace: exit 2" test "$rc" = 2
"$AAM_BIN" sources grant --namespace t-a >/dev/null 2>&1; rc=$?
check "sources grant without PATH: exit 2" test "$rc" = 2
"$AAM_BIN" sources revoke --namespace nobody "$R/pub" >/dev/null 2>&1; rc=$?
check "sources revoke for an unknown namespace: exit 1" test "$rc" = 1
check "no refusal wrote a grant" test "$(grants)" = "$before"
out=$("$AAM_BIN" sources grant --namespace t-b "$R/pub/" 2>&1); rc=$?
check "granting again (another spelling of the same folder): exit 0" test "$rc" = 0
check "…already granted" test "$out" = "already granted t-b: pub"
check "…still one row" test "$(grants)" = "$before"
out=$(cd "$R/shared" && "$AAM_BIN" sources grant --namespace t-a open 2>&1); rc=$?
check "a relative PATH resolves against the working directory" test "$out" = "granted t-a: shared/open"
out=$("$AAM_BIN" sources list)
check "sources list: namespace<TAB>folder, by folder, '.' for the root" \
  test "$out" = "$(printf '%s\n' 't-demo	.' 't-b	pub' 't-demo	shared' 't-a	shared/open' 't-x	shared/x' 't-own	t-own')"
out=$("$AAM_BIN" sources list --namespace t-demo)
check "sources list --namespace t-demo" test "$out" = "$(printf '%s\n' 't-demo	.' 't-demo	shared')"
out=$("$AAM_BIN" sources list --namespace intruder); rc=$?
check "sources list for a tenant with no grant: exit 0, empty" test "$rc-$out" = 0-
"$AAM_BIN" sources list --namespace nobody >/dev/null 2>&1; rc=$?
check "sources list for an unknown namespace: exit 1" test "$rc" = 1
out=$("$AAM_BIN" sources revoke --namespace t-a "$R/shared/open"); rc=$?
check "revoke: exit 0" test "$rc-$out" = "0-revoked t-a: shared/open"
out=$("$AAM_BIN" sources revoke --namespace t-a "$R/shared/open"); rc=$?
check "revoke again: exit 0, nothing to revoke" test "$rc-$out" = "0-not granted (nothing to revoke) t-a: shared/open"

mkdir -p "$R/pub/gone"
check "grant t-a a folder that is deleted afterwards" "$AAM_BIN" sources grant --namespace t-a "$R/pub/gone"
rm -rf "$R/pub/gone"
out=$("$AAM_BIN" sources revoke --namespace t-a "$R/pub/./gone/" 2>&1); rc=$?
check "its grant can still be revoked by its path: exit 0" test "$rc-$out" = "0-revoked t-a: pub/gone"
"$AAM_BIN" sources revoke --namespace t-a "$R/../outside-gone" >/dev/null 2>&1; rc=$?
check "…but a missing path outside the root is still exit 2" test "$rc" = 2
"$AAM_BIN" sources grant --namespace t-a "$R/pub/gone" >/dev/null 2>&1; rc=$?
check "…and granting a missing folder is exit 2" test "$rc" = 2

# The operator-only policy setting is never set by the server.
check "no server code but the operator commands sets aam.operator" \
  test -z "$(grep -rl "'aam.operator'" "$REPO_ROOT/server" | grep -v -e cmd_tenants.c -e cmd_sources.c -e cmd_clients.c)"

finish
