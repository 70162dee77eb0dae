#!/usr/bin/env bash
# run.sh BUILD: every test. Unit tests (Check binaries) first, then the integration suite against
# one PostgreSQL 15 + PgBouncer (transaction mode) that this script starts and always stops.
# Each integration test gets its own empty database, reached through PgBouncer: DATABASE_URL as the
# application role, AAM_MIGRATE_DATABASE_URL as the role that owns it.
#   AAM_TEST_ONLY=unit|fuzz|integration   AAM_TEST_FILTER=substring   AAM_TEST_KEEP=1 (keep the stack dir)
set -u
BUILD=${1:-build}
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT" || exit 2
export REPO_ROOT AAM_BIN="$REPO_ROOT/$BUILD/aam"
# serve, seed and migrate need the keys that encrypt connector secrets: one test key for every
# test (a test that wants none unsets it), new for each run.
AAM_SECRET_KEYS=${AAM_SECRET_KEYS:-test:$(head -c 32 /dev/urandom | base64 | tr -d '\n')}
export AAM_SECRET_KEYS
ONLY=${AAM_TEST_ONLY:-all}
FILTER=${AAM_TEST_FILTER:-}
PASSED=0 FAILED=0 BROKEN=()

# tally FILE: sets T_OK and T_BAD for one test's output. Nothing a test says about itself is
# trusted over what it printed: every "not ok" line counts, and so does every Check failure or
# error; passes are the "ok" lines and the passed Check tests. A "# N passed, M failed" summary
# can only add failures (a summary that claims fewer failures than the lines show is ignored).
tally() {
  local n f e sum_fail=0
  T_OK=$(grep -cE '^[[:space:]]*ok([[:space:]]|$)' "$1")
  T_BAD=$(grep -cE '^[[:space:]]*not ok([[:space:]]|$)' "$1")
  while read -r n f e; do
    T_OK=$((T_OK + n - f - e)); T_BAD=$((T_BAD + f + e))
  done < <(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$1")
  while read -r f; do sum_fail=$((sum_fail + f)); done \
    < <(sed -n 's/^# [0-9]* passed, \([0-9]*\) failed$/\1/p' "$1")
  ((sum_fail > T_BAD)) && T_BAD=$sum_fail
  return 0
}

# stack_check_after name: a test must leave PostgreSQL and PgBouncer as it found them. If one is
# down, the test that left it so fails, and the server is brought back for the next test.
stack_check_after() {
  local down=()
  stack_psql_super -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 || down+=(PostgreSQL)
  stack_pgb_admin "SHOW VERSION" >/dev/null 2>&1 || down+=(PgBouncer)
  ((${#down[@]})) || return 0
  echo "not ok - $1 left ${down[*]} down (restarting it for the next test)"
  BROKEN+=("$1 (left ${down[*]} down)"); FAILED=$((FAILED + 1))
  [[ ${down[*]} == *PostgreSQL* ]] && stack_pg_start
  [[ ${down[*]} == *PgBouncer* ]] && stack_pgb_start
  return 0
}

# run_one kind name command...: runs one test, shows its output and tallies it. The test fails
# when it exits non-zero, prints any "not ok", or reports no passed test at all.
run_one() {
  local kind=$1 name=$2 out rc why=()
  shift 2
  out=$(mktemp /tmp/aam-test-out.XXXXXX)
  echo "## $kind: $name"
  "$@" >"$out" 2>&1
  rc=$?
  cat "$out"
  tally "$out"
  rm -f "$out"
  ((rc != 0)) && why+=("exit $rc")
  ((T_BAD > 0)) && why+=("$T_BAD not ok")
  ((T_OK == 0)) && why+=("no test passed")
  PASSED=$((PASSED + T_OK)); FAILED=$((FAILED + T_BAD))
  if ((${#why[@]})); then
    local joined; joined=$(printf '%s, ' "${why[@]}")
    BROKEN+=("$name (${joined%, })")
    ((T_BAD == 0)) && FAILED=$((FAILED + 1))
  fi
  return 0
}

# AAM_TEST_FIXTURES=dir: run only the scripts in dir, for run.sh's own self-test
# (tests/selftest/test_run_sh.sh), which checks that a failing or empty test fails the run.
if [[ -n ${AAM_TEST_FIXTURES:-} ]]; then
  for t in "$AAM_TEST_FIXTURES"/*.sh; do run_one fixture "$(basename "$t" .sh)" bash "$t"; done
  ONLY=none
fi

if [[ $ONLY == all || $ONLY == unit ]] && [[ -z $FILTER || selftest/test_run_sh == *"$FILTER"* ]]; then
  run_one self run.sh bash tests/selftest/test_run_sh.sh
fi

if [[ $ONLY == all || $ONLY == unit ]]; then
  while IFS= read -r bin; do
    [[ -n $FILTER && $bin != *"$FILTER"* ]] && continue
    [[ -e ${bin#"$BUILD"/}.c ]] || continue # a binary left behind by a moved or deleted test
    if [[ ${AAM_VALGRIND:-0} == 1 ]]; then
      run_one unit "${bin#"$BUILD"/}" valgrind -q --error-exitcode=9 --leak-check=full "$bin"
    else
      run_one unit "${bin#"$BUILD"/}" "$bin"
    fi
  done < <(find "$BUILD/tests/unit" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort)
fi

# The fuzz targets replay their committed corpora once (no new inputs): a crash fixed once
# stays fixed. AAM_FUZZ_BUILD is the tree `make fuzz-bin` built them in.
if [[ ($ONLY == all || $ONLY == fuzz) && -n ${AAM_FUZZ_BUILD:-} ]] && [[ -z $FILTER || fuzz == *"$FILTER"* ]]; then
  run_one fuzz "corpus regression" bash tests/fuzz/regress.sh "$AAM_FUZZ_BUILD"
fi

if [[ $ONLY == all || $ONLY == integration ]]; then
  . "$REPO_ROOT/tests/harness/stack.sh"
  trap stack_stop EXIT
  trap 'exit 130' INT TERM
  echo "## starting PostgreSQL + PgBouncer (transaction mode)"
  tests=()
  if ! stack_start; then
    echo "not ok - the test stack did not start"
    BROKEN+=("the test stack (PostgreSQL + PgBouncer) did not start"); FAILED=$((FAILED + 1))
  else
    echo "# PostgreSQL on 127.0.0.1:$PG_PORT, PgBouncer on 127.0.0.1:$PGB_PORT (pool_mode=transaction)"
    while IFS= read -r t; do tests+=("$t"); done < <(
    { ls tests/integration/test_*.sh 2>/dev/null; find "$BUILD/tests/integration" -type f -name 'test_*' \
        -perm -u+x 2>/dev/null; } | sort)
  fi
  for t in "${tests[@]}"; do
    [[ -n $FILTER && $t != *"$FILTER"* ]] && continue
    name=$(basename "$t"); name=${name%.sh}
    db="it_${name#test_}_$RANDOM"
    if ! url=$(stack_new_db "$db"); then
      BROKEN+=("$name (no database)"); FAILED=$((FAILED + 1)); continue
    fi
    if [[ $t == *.sh ]]; then
      run_one integration "$name" env DATABASE_URL="$url" DIRECT_DATABASE_URL="$(stack_url "$db" direct)" \
        AAM_MIGRATE_DATABASE_URL="$(stack_owner_url "$db")" TEST_DB="$db" bash "$t"
    else
      run_one integration "$name" env DATABASE_URL="$url" DIRECT_DATABASE_URL="$(stack_url "$db" direct)" \
        AAM_MIGRATE_DATABASE_URL="$(stack_owner_url "$db")" TEST_DB="$db" "$t"
    fi
    stack_check_after "$name"
  done
  # The pooler rule, checked over the whole run: no "prepared statement" error in either server's
  # log except the ones the negative-control test provokes on purpose (its statement is named so).
  stray=$(grep -hi 'prepared statement' "$STACK_DIR/postgres.log" "$STACK_DIR/pgbouncer.log" 2>/dev/null |
    grep -vc 'aam_negative_control')
  if ((${#tests[@]} == 0)); then
    :  # the stack did not start (already counted) or nothing was found: no log to judge
  elif [[ $stray == 0 ]]; then
    PASSED=$((PASSED + 1)); echo "ok - no stray 'prepared statement' error in the PostgreSQL or PgBouncer logs"
  else
    FAILED=$((FAILED + 1)); echo "not ok - $stray 'prepared statement' error lines in the server logs"
  fi
fi

echo
((${#BROKEN[@]})) && printf 'failed: %s\n' "${BROKEN[@]}"
if ((PASSED == 0 && FAILED == 0)); then
  FAILED=1; echo "not ok - no test ran (AAM_TEST_ONLY=$ONLY, AAM_TEST_FILTER=$FILTER, build $BUILD)"
fi
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
