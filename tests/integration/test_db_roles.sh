#!/usr/bin/env bash
# The two database roles (issue 20): `aam migrate` runs as the owner (AAM_MIGRATE_DATABASE_URL)
# and grants the application role (DATABASE_URL, AAM_APP_ROLE) DML only. As the application
# role, straight to PostgreSQL, every way to gain rights is refused with a permission error
# (42501): ALTER TABLE, DROP POLICY, DROP TABLE, CREATE TABLE, TRUNCATE, setting aam.operator
# to read another tenant's rows, UPDATE/DELETE on an append-only table (schema_migrations: only
# `aam migrate` appends to it), granting itself a folder. The operator commands, which use the
# owner's URL, still read every tenant; run as the application role they are refused. A
# single-role database (before the split) migrates with a warning, and make run's hand-over plus
# a migrate with both URLs splits it.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"

need_migrated
need "tenants create mine" "$AAM_BIN" tenants create --namespace mine --name Mine
need "tenants create other" "$AAM_BIN" tenants create --namespace other --name Other
need "clients create for other" "$AAM_BIN" clients create --namespace other --name "Other's client"
stack_psql_super -d "$TEST_DB" -c "INSERT INTO connections (namespace, id, name, source_type)
  VALUES ('other', 'secret-conn', 'Other secret', 'custom'), ('mine', 'mine-conn', 'Mine', 'custom');
  INSERT INTO source_grants (namespace, folder) VALUES ('other', 'other')" >/dev/null

# app SQL: runs SQL as the application role in one transaction scoped to tenant "mine"; prints
# psql's output and errors with their SQLSTATE.
app() {
  printf "BEGIN;\n\\o /dev/null\nSELECT set_config('aam.namespace', 'mine', true);\n\\o\n%s;\nCOMMIT;\n" "$1" |
    PGPASSWORD=$STACK_APP_PASSWORD "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
      "$DIRECT_DATABASE_URL" -f - 2>&1
}
refused() {  # DESC SQL: the statement fails with SQLSTATE 42501 (insufficient privilege)
  local out
  out=$(app "$2")
  grep -q '42501' <<<"$out"
  t__report $? "$1"
  grep -q '42501' <<<"$out" || printf '%s\n' "$out" | head -3 | sed 's/^/#   /'
}

check "control: the application role reads its own tenant's connector" \
  test "$(app "SELECT id FROM connections")" = mine-conn
check "control: …and writes it" \
  test "$(app "UPDATE connections SET name = 'Mine 2' WHERE id = 'mine-conn' RETURNING id")" = mine-conn

refused "ALTER TABLE ... DISABLE ROW LEVEL SECURITY is refused" \
  "ALTER TABLE connections DISABLE ROW LEVEL SECURITY"
refused "ALTER TABLE ... NO FORCE ROW LEVEL SECURITY is refused" \
  "ALTER TABLE connections NO FORCE ROW LEVEL SECURITY"
refused "ALTER TABLE ... ADD COLUMN is refused" "ALTER TABLE tenants ADD COLUMN x int"
refused "DROP POLICY is refused" "DROP POLICY connections_isolation ON connections"
refused "CREATE POLICY is refused" "CREATE POLICY open ON connections USING (true)"
refused "DROP TABLE is refused" "DROP TABLE connections"
refused "CREATE TABLE in the schema is refused" "CREATE TABLE mine_now (i int)"
refused "TRUNCATE is refused" "TRUNCATE connections"
refused "setting aam.operator to read every tenant is refused (tenants)" \
  "SELECT set_config('aam.operator', 'on', true); SELECT namespace FROM tenants"
refused "…and to read another tenant's clients" \
  "SELECT set_config('aam.operator', 'on', true); SELECT namespace FROM clients"
refused "…and another tenant's grants" \
  "SELECT set_config('aam.operator', 'on', true); SELECT namespace FROM source_grants"
refused "UPDATE of the append-only schema_migrations is refused" \
  "UPDATE schema_migrations SET checksum = 'x'"
refused "DELETE from it is refused" "DELETE FROM schema_migrations"
refused "INSERT into it is refused (only aam migrate appends)" \
  "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'x', 'x')"
refused "the application role cannot grant its tenant a folder" \
  "INSERT INTO source_grants (namespace, folder) VALUES ('mine', '')"
refused "…nor delete a tenant" "DELETE FROM tenants"
check "nothing of it happened: the other tenant's row is there, schema_migrations intact" \
  test "$(stack_psql_super -d "$TEST_DB" -Atc "SELECT count(*) FROM connections WHERE namespace = 'other'")-$(
    stack_psql_super -d "$TEST_DB" -Atc "SELECT count(*) FROM schema_migrations WHERE checksum = 'x'")" = 1-0

# The operator commands use the owner's URL, whose aam.operator counts.
out=$("$AAM_BIN" tenants list); rc=$?
check "aam tenants list (the owner's URL) lists every tenant" test "$rc|$out" = "0|$(printf 'mine\tMine\nother\tOther')"
out=$(env AAM_MIGRATE_DATABASE_URL="$DATABASE_URL" "$AAM_BIN" tenants list 2>&1); rc=$?
check "…run as the application role it fails (exit 1)" test "$rc" = 1
check "…saying aam.operator does not count for that role" grep -q 'aam.operator counts only for the owner' <<<"$out"

# aam migrate refuses an application role that the split would not bind.
out=$(env AAM_APP_ROLE=no_such_role "$AAM_BIN" migrate 2>&1); rc=$?
check "aam migrate with AAM_APP_ROLE naming no role: exit 1" test "$rc" = 1
check "…naming the role" grep -q 'no_such_role.*does not exist' <<<"$out"
out=$(env AAM_APP_ROLE="$STACK_OWNER_USER" "$AAM_BIN" migrate 2>&1); rc=$?
check "aam migrate with AAM_APP_ROLE naming the owner: exit 1, it could ALTER tables" \
  test "$rc-$(grep -q 'could ALTER tables' <<<"$out"; echo $?)" = 1-0
out=$(env AAM_APP_ROLE='Bad Role' "$AAM_BIN" migrate 2>&1); rc=$?
check "AAM_APP_ROLE that is no role name: exit 2 naming the setting" test "$rc-$(grep -q AAM_APP_ROLE <<<"$out"; echo $?)" = 2-0
refused "after those runs the application role still cannot ALTER a table" \
  "ALTER TABLE connections DISABLE ROW LEVEL SECURITY"

# A database from before the split (one role owned everything), as an older make run left it:
# migrate warns; make run's hand-over (pgs_db_owner) and a migrate with both URLs split it.
old=${TEST_DB}_single
stack_psql_super -d postgres -c "CREATE DATABASE \"$old\" OWNER $STACK_APP_USER" >/dev/null
out=$(env -u AAM_MIGRATE_DATABASE_URL DATABASE_URL="$(stack_url "$old" direct)" "$AAM_BIN" migrate 2>&1); rc=$?
check "single role: aam migrate exits 0, warning that the application role owns the tables" \
  test "$rc-$(grep -q 'AAM_MIGRATE_DATABASE_URL is not set' <<<"$out"; echo $?)" = 0-0
owned() { stack_psql_super -d "$old" -Atc "SELECT count(*) FROM pg_class WHERE relowner = '$STACK_APP_USER'::regrole"; }
check "…and it does own them" test "$(owned)" -gt 0
check "make run's hand-over gives the database and its tables to the owner" \
  pgs_db_owner "$STACK_DIR/sock" "$PG_PORT" "$STACK_OWNER_USER" "$STACK_APP_USER" "$old"
out=$(env DATABASE_URL="$(stack_url "$old" direct)" AAM_MIGRATE_DATABASE_URL="$(stack_owner_url "$old" direct)" \
  "$AAM_BIN" migrate 2>&1); rc=$?
check "…then aam migrate with both URLs grants the application role (exit 0)" \
  test "$rc-$(grep -q '^grants: role aam_app' <<<"$out"; echo $?)" = 0-0
check "…which owns nothing any more" test "$(owned)" = 0
out=$(PGPASSWORD=$STACK_APP_PASSWORD "$PGBIN/psql" -X -q "$(stack_url "$old" direct)" \
  -c "ALTER TABLE connections NO FORCE ROW LEVEL SECURITY" 2>&1)
check "…and cannot ALTER a table" grep -q 'must be owner' <<<"$out"
stack_psql_super -d postgres -c "DROP DATABASE \"$old\" WITH (FORCE)" >/dev/null 2>&1

finish
