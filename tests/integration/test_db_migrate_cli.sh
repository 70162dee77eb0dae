#!/usr/bin/env bash
# `aam migrate` as separate processes through PgBouncer (transaction mode): four at once on an
# empty database all exit 0 and apply each migration exactly once; a later run is a no-op; the
# log carries the redacted target line (the owner role), never the password; an edited applied
# migration makes it exit 1 naming the file.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"

files=$(find "$REPO_ROOT/migrations" -maxdepth 1 -type f -printf '%f\n' | grep -cE '^[0-9]{4,9}_[A-Za-z0-9_.-]+\.sql$')
tmp=$(mktemp -d /tmp/aam-migrate-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

pids=()
for i in 1 2 3 4; do
  "$AAM_BIN" migrate >"$tmp/out$i" 2>"$tmp/err$i" &
  pids+=($!)
done
fails=0
for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
check "four concurrent 'aam migrate' processes all exit 0" test "$fails" = 0
applied=$(cat "$tmp"/out* | sed -n 's/^migrations: \([0-9]*\) applied.*/\1/p' | paste -sd+ | bc)
check "between them they applied each of the $files migrations once (applied $applied)" test "$applied" = "$files"
rows=$(stack_psql_app "$TEST_DB" -Atc "SELECT count(*), count(DISTINCT version) FROM schema_migrations")
check "schema_migrations has one row per migration ($rows)" test "$rows" = "$files|$files"

out=$("$AAM_BIN" migrate 2>"$tmp/err5"); rc=$?
check "a second run exits 0" test "$rc" = 0
check "…and applies nothing" grep -q '^migrations: 0 applied' <<<"$out"
db_pass=$(sed -n 's|^postgresql://[^:]*:\([^@]*\)@.*|\1|p' <<<"$AAM_MIGRATE_DATABASE_URL")
check "the log names the target, the owner role (AAM_MIGRATE_DATABASE_URL), with the password as ***" \
  grep -q 'user=aam_owner (password \*\*\*), pool 1, unnamed statements only' "$tmp/err5"
check "the password appears in no output" sh -c "! grep -qF '$db_pass' $tmp/out* $tmp/err*"
check "…and it grants the application role its rights again" grep -q '^grants: role aam_app ' <<<"$out"

mkdir "$tmp/edited"
cp "$REPO_ROOT"/migrations/*.sql "$tmp/edited/"
printf '\n-- an edit after the fact\n' >>"$tmp/edited/0001_init.sql"
out=$(AAM_MIGRATIONS_DIR="$tmp/edited" "$AAM_BIN" migrate 2>&1); rc=$?
check "an edited applied migration: exit 1" test "$rc" = 1
check "…naming the file" grep -q '0001_init.sql' <<<"$out"
finish
