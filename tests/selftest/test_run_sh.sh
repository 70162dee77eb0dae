#!/usr/bin/env bash
# run.sh's self-test: the runner must not report success for a test that failed or checked
# nothing. It runs tests/run.sh over tests/selftest/fixtures (one passing script as the control,
# and one for each way a test can fail: a "not ok" under a summary that claims success, a
# non-zero exit, no output, a "0 passed" summary, Check failures and errors) and checks what
# the runner says about each one, its totals and its exit status.
set -u
cd "$(dirname "$0")/../.." || exit 1
PASS=0 FAIL=0
check() {  # desc command...
  local desc=$1; shift
  if "$@"; then PASS=$((PASS + 1)); echo "ok - $desc"; else FAIL=$((FAIL + 1)); echo "not ok - $desc"; fi
}

out=$(AAM_TEST_FIXTURES=tests/selftest/fixtures AAM_TEST_ONLY=none bash tests/run.sh 2>&1)
rc=$?
failed_line() { grep -qxF "failed: $1" <<<"$out"; }

check "run.sh exits non-zero when a test failed (exit $rc)" test "$rc" -ne 0
check "a passing script is not listed as failed" bash -c '! grep -q "^failed: passes " <<<"$1"' _ "$out"
check "every \"not ok\" counts, even under a summary that claims none" failed_line "prints_not_ok (2 not ok)"
check "a script that exits 1 fails though every line says ok" failed_line "exits_1 (exit 1)"
check "a script that prints nothing fails" failed_line "prints_nothing (no test passed)"
check "a \"# 0 passed, 0 failed\" summary fails" failed_line "summary_only (no test passed)"
check "Check failures and errors count" failed_line "check_failure (2 not ok)"
check "the totals: 6 passed, 7 failed" grep -qx "6 passed, 7 failed" <<<"$out"

# An empty run (nothing selected) is a failure too, not "0 passed, 0 failed" and exit 0.
out=$(AAM_TEST_ONLY=none bash tests/run.sh 2>&1)
rc=$?
check "a run in which no test ran exits non-zero (exit $rc)" test "$rc" -ne 0
check "…and says so" grep -q "^not ok - no test ran" <<<"$out"

if ((FAIL)); then echo "# run.sh said:"; while IFS= read -r line; do echo "#   $line"; done <<<"$out"; fi
echo "# $PASS passed, $FAIL failed"
((FAIL == 0))
