#!/usr/bin/env bash
# The demo's acceptance (tests/smoke.sh) against `aam migrate && aam seed && aam serve` on the
# harness's PgBouncer. Negative controls show the smoke script can fail. (make run's own stack
# is checked by test_make_run.sh and test_any_user.sh.)
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

SMOKE=$REPO_ROOT/tests/smoke.sh
DEMO_PW=smoke-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

smoke() {  # BASE_URL PASSWORD: runs tests/smoke.sh, output in SMOKE_OUT, status in SMOKE_RC
  SMOKE_OUT=$(BASE_URL=$1 AAM_DEMO_PASSWORD=$2 bash "$SMOKE" 2>&1)
  SMOKE_RC=$?
  printf '%s\n' "$SMOKE_OUT" | sed 's/^/#   /'
}
count() { printf '%s\n' "$SMOKE_OUT" | grep -c "^$1 " ; }

# --- part 1: the commands by hand, as the deploy pipeline runs them
check "aam migrate on an empty database" "$AAM_BIN" migrate
check "aam seed with AAM_DEMO_PASSWORD" env AAM_DEMO_PASSWORD="$DEMO_PW" "$AAM_BIN" seed
check "aam seed again (idempotent), with another AAM_DEMO_PASSWORD" \
  env AAM_DEMO_PASSWORD=other-password-123 "$AAM_BIN" seed
# shellcheck disable=SC2119  # no extra environment for this server
server_start || { echo "not ok - server start"; finish; exit 1; }

smoke "$BASE_URL" "$DEMO_PW"
check "tests/smoke.sh passes against the seeded demo (exit 0)" test "$SMOKE_RC" = 0
check "…with 4 steps marked ✓ and none ✗" test "$(count ✓)" = 4 -a "$(count ✗)" = 0

# The seed keeps an existing user's password: the second seed's password must not log in.
smoke "$BASE_URL" other-password-123
check "a later seed did not change the demo password (smoke fails with it)" test "$SMOKE_RC" != 0
check "…the login step is the one marked ✗" grep -q '^✗ POST /api/v1/auth/login' <<<"$SMOKE_OUT"
check "…the 401 and /ready steps still pass" test "$(count ✓)" = 2

out=$(env -u AAM_DEMO_PASSWORD BASE_URL="$BASE_URL" bash "$SMOKE" 2>&1); rc=$?
check "smoke.sh without AAM_DEMO_PASSWORD exits 2 with a usage line" test "$rc" = 2 -a -n "$(grep usage <<<"$out")"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
smoke "http://127.0.0.1:$port" "$DEMO_PW"
check "smoke.sh against a port nothing listens on fails every step" \
  test "$SMOKE_RC" != 0 -a "$(count ✗)" = 4 -a "$(count ✓)" = 0
server_stop

finish
