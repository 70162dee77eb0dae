#!/usr/bin/env bash
# Any user, not only root. As root (as CI runs), everything here runs as an unprivileged user
# (aam-test, created when absent) in a copy of the repository it owns; otherwise as ourselves.
# Always with a normal user's PATH (/usr/local/bin:/usr/bin:/bin): pgbouncer is in /usr/sbin and
# initdb/pg_ctl in /usr/lib/postgresql/15/bin, neither on it. Checked: the test harness starts
# and `aam migrate` runs through its PgBouncer; `make run` comes up and passes tests/smoke.sh;
# scripts/deps.sh, when a package is missing, names the exact command to run and exits 1
# (installing needs root) instead of failing later with something cryptic.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"

if [ "$(id -u)" = 0 ]; then
  if ! id aam-test >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin aam-test
  fi
  MR_USER=aam-test
fi
. "$REPO_ROOT/tests/harness/makerun.sh"
WHO=${MR_USER:-$(id -un)}
echo "# running as $WHO (uid $(id -u "$WHO")), PATH=$MR_PATH"

RL=$(mktemp -d /tmp/aam-anyuser.XXXXXX)
cleanup() {
  mr_stop >/dev/null 2>&1
  [ -L "$RL/repo/.run" ] && rm -rf "$(readlink -f "$RL/repo/.run")"
  rm -rf "$RL"
}
trap cleanup EXIT
mr_copy "$RL/repo"

# --- the test harness (tests/harness/stack.sh), as tests/run.sh uses it
# shellcheck disable=SC2016  # expanded by the inner bash
out=$(mr_as bash -c '. tests/harness/stack.sh || exit 9
  trap stack_stop EXIT
  stack_start || exit 8
  echo "pgbouncer-owner=$(ps -o user= -p "$(stack_pgb_pid)")"
  echo "postgres-owner=$(ps -o user= -p "$(head -1 "$STACK_DIR/pgdata/postmaster.pid")")"
  AAM_SECRET_KEYS=$2 "$1" migrate' _ "$MR_DIR/$MR_BUILD/aam" "$AAM_SECRET_KEYS" 2>&1)
rc=$?
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check "the test harness starts as $WHO with a normal PATH, and aam migrate runs through its PgBouncer" test "$rc" = 0
check "…its PgBouncer and PostgreSQL run as $WHO" \
  grep -qx "pgbouncer-owner=$WHO" <<<"$out"
check "…its PostgreSQL runs as $WHO" grep -qx "postgres-owner=$WHO" <<<"$out"

# --- make run
mr_free_port PORT_API || give_up "reserve a port"
if mr_start 1 PORT="$PORT_API" AAM_ADMIN_ADDR=off; then
  pgb_pid=$(cat "$MR_DIR/.run/pgbouncer/pgbouncer.pid" 2>/dev/null)
  check "make run comes up as $WHO with a normal PATH" true
  check "…its PgBouncer runs as $WHO" test "$(ps -o user= -p "${pgb_pid:-1}")" = "$WHO"
  SMOKE_OUT=$(BASE_URL="http://127.0.0.1:$PORT_API" AAM_DEMO_PASSWORD="$(cat "$MR_DIR/.run/demo-password")" \
    bash "$REPO_ROOT/tests/smoke.sh" 2>&1)
  rc=$?
  [ "$rc" = 0 ] || printf '%s\n' "$SMOKE_OUT" | sed 's/^/#   /'
  check "…and tests/smoke.sh passes against it" test "$rc" = 0
else
  check "make run comes up as $WHO with a normal PATH" false
fi
mr_stop; rc=$?
check "…SIGTERM stops it with status 0" test "$rc" = 0

# --- what deps.sh says when something is missing (a package that does not exist stands in)
err=$(mr_as env AAM_DEPS_ALSO=aam-no-such-package "$MR_DIR/scripts/deps.sh" </dev/null 2>&1); rc=$?
printf '%s\n' "$err" | sed 's/^/#   /'
if [ "$(id -u "$WHO")" = 0 ]; then
  check "deps.sh as root tries to install the missing package (and fails: it does not exist)" test "$rc" != 0
else
  check "deps.sh as $WHO with a package missing exits 1 without running apt-get" \
    sh -c "test $rc = 1 && ! grep -q 'deps: installing' <<EOT
$err
EOT"
  check "…and prints the exact install line for it" \
    grep -Eq "install them with:  (sudo )?apt-get install --no-install-recommends aam-no-such-package\$" <<<"$err"
  check "…and the deps.sh line" grep -Eq "or with:  (sudo )?scripts/deps.sh\$" <<<"$err"
fi
# …and what make run and the harness say when a program is not where it should be.
if [ "$(id -u "$WHO")" = 0 ]; then fix="scripts/deps.sh"; else fix="sudo scripts/deps.sh"; fi
err=$(mr_as PGBOUNCER=/nonexistent/pgbouncer PORT="$(mr_free_port)" AAM_ADMIN_ADDR=off \
  "$MR_DIR/scripts/run-local.sh" "$MR_DIR/$MR_BUILD/aam" 2>&1 >/dev/null); rc=$?
printf '#   %s\n' "$err"
check "make run without pgbouncer: exit 1, one line naming it and what to run" \
  test "$rc" = 1 -a "$err" = "make run: missing pgbouncer(pgbouncer); run: $fix"
# shellcheck disable=SC2016  # expanded by the inner bash
err=$(mr_as PGBIN=/nonexistent bash -c '. tests/harness/stack.sh && stack_start' 2>&1); rc=$?
printf '#   %s\n' "$err"
check "the harness without PostgreSQL 15: fails, one line naming initdb and what to run" \
  test "$rc" != 0 -a "$(head -1 <<<"$err")" = \
  "the test stack: missing /nonexistent/initdb(postgresql-15) /nonexistent/pg_ctl(postgresql-15) /nonexistent/psql(postgresql-15); run: $fix"
out=$(mr_as "$MR_DIR/scripts/deps.sh" </dev/null 2>&1); rc=$?
check "deps.sh as $WHO with everything installed: exit 0, silent (no apt-get)" test "$rc" = 0 -a -z "$out"

finish
