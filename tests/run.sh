#!/usr/bin/env bash
# run.sh BUILD: every test. Unit tests (Check binaries) first, then the integration suite against
# one PostgreSQL 15 + PgBouncer (transaction mode) that this script starts and always stops.
# Each integration test gets its own empty database, reached through PgBouncer, in DATABASE_URL.
#   AAM_TEST_ONLY=unit|integration   AAM_TEST_FILTER=substring   AAM_TEST_KEEP=1 (keep the stack dir)
set -u
BUILD=${1:-build}
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT" || exit 2
export REPO_ROOT AAM_BIN="$REPO_ROOT/$BUILD/aam"
ONLY=${AAM_TEST_ONLY:-all}
FILTER=${AAM_TEST_FILTER:-}
PASSED=0 FAILED=0 BROKEN=()

tally_check() {  # file: sum Check's "Checks: N, Failures: F, Errors: E" lines
  local n f e
  while read -r n f e; do
    PASSED=$((PASSED + n - f - e)); FAILED=$((FAILED + f + e))
  done < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$1")
}
tally_tap() {  # file: sum our "# N passed, M failed" lines
  local p f
  while read -r p f; do PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); done \
    < <(sed -n 's/^# \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$1")
}

run_one() {  # kind name command...: run, show output, tally; a non-zero exit counts as a failure
  local kind=$1 name=$2 out rc before_fail=$FAILED
  shift 2
  out=$(mktemp /tmp/aam-test-out.XXXXXX)
  echo "## $kind: $name"
  "$@" >"$out" 2>&1
  rc=$?
  cat "$out"
  tally_check "$out"
  tally_tap "$out"
  if ((rc != 0)); then
    BROKEN+=("$name (exit $rc)")
    ((FAILED == before_fail)) && FAILED=$((FAILED + 1))
  fi
  rm -f "$out"
}

if [[ $ONLY != integration ]]; then
  while IFS= read -r bin; do
    [[ -n $FILTER && $bin != *"$FILTER"* ]] && continue
    if [[ ${AAM_VALGRIND:-0} == 1 ]]; then
      run_one unit "${bin#"$BUILD"/}" valgrind -q --error-exitcode=9 --leak-check=full "$bin"
    else
      run_one unit "${bin#"$BUILD"/}" "$bin"
    fi
  done < <(find "$BUILD/tests/unit" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort)
fi

if [[ $ONLY != unit ]]; then
  . "$REPO_ROOT/tests/harness/stack.sh"
  trap stack_stop EXIT
  trap 'exit 130' INT TERM
  echo "## starting PostgreSQL + PgBouncer (transaction mode)"
  if ! stack_start; then
    echo "not ok - the test stack did not start"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "# PostgreSQL on 127.0.0.1:$PG_PORT, PgBouncer on 127.0.0.1:$PGB_PORT (pool_mode=transaction)"
  tests=()
  while IFS= read -r t; do tests+=("$t"); done < <(
    { ls tests/integration/test_*.sh 2>/dev/null; find "$BUILD/tests/integration" -type f -name 'test_*' \
        -perm -u+x 2>/dev/null; } | sort)
  for t in "${tests[@]}"; do
    [[ -n $FILTER && $t != *"$FILTER"* ]] && continue
    name=$(basename "$t"); name=${name%.sh}
    db="it_${name#test_}_$RANDOM"
    if ! url=$(stack_new_db "$db"); then
      BROKEN+=("$name (no database)"); FAILED=$((FAILED + 1)); continue
    fi
    if [[ $t == *.sh ]]; then
      run_one integration "$name" env DATABASE_URL="$url" DIRECT_DATABASE_URL="$(stack_url "$db" direct)" \
        TEST_DB="$db" bash "$t"
    else
      run_one integration "$name" env DATABASE_URL="$url" DIRECT_DATABASE_URL="$(stack_url "$db" direct)" \
        TEST_DB="$db" "$t"
    fi
  done
  # The pooler rule, checked over the whole run: no "prepared statement" error in either server's
  # log except the ones the negative-control test provokes on purpose (its statement is named so).
  stray=$(grep -hi 'prepared statement' "$STACK_DIR/postgres.log" "$STACK_DIR/pgbouncer.log" 2>/dev/null |
    grep -vc 'aam_negative_control')
  if [[ $stray == 0 ]]; then
    PASSED=$((PASSED + 1)); echo "ok - no stray 'prepared statement' error in the PostgreSQL or PgBouncer logs"
  else
    FAILED=$((FAILED + 1)); echo "not ok - $stray 'prepared statement' error lines in the server logs"
  fi
fi

echo
((${#BROKEN[@]})) && printf 'failed: %s\n' "${BROKEN[@]}"
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
