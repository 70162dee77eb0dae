#!/usr/bin/env bash
# makerun.sh: `make run` in a scratch copy of the repository, for the tests of make run itself.
# Source it after assert.sh. The copy takes the built tree along (mtimes kept), so make finds
# everything up to date and `make run` only checks deps and starts the stack.
#   mr_copy DIR                  the repository (without .git, .run, other build trees) into DIR
#   mr_start NAME [VAR=value...] `make run` in MR_DIR as MR_USER (empty: us), normal user's PATH;
#                                0 once it printed its last line ("AAM is running: URL")
#   mr_stop                      SIGTERM to make run's script (what Ctrl-C does); its status
#   mr_walk BASE_URL             the README's curl walk-through, checked step by step
#   mr_as CMD...                 CMD as MR_USER with a normal user's environment

MR_PATH=/usr/local/bin:/usr/bin:/bin  # a normal user's PATH: no /usr/sbin, no postgresql bin
MR_USER=${MR_USER:-}
MR_MAKE_PID=""
MR_BUILD=$(dirname "$AAM_BIN")
MR_BUILD=${MR_BUILD#"$REPO_ROOT"/}

mr_copy() {
  local dir=$1
  mkdir -p "$dir"
  tar -C "$REPO_ROOT" --exclude=./.git --exclude=./.run --exclude='./build*' \
    -cf - . | tar -C "$dir" -xf -
  mkdir -p "$dir/$(dirname "$MR_BUILD")"
  cp -a "$REPO_ROOT/$MR_BUILD" "$dir/$MR_BUILD"
  chmod 755 "$dir" "$(dirname "$dir")"  # the postgres user (when we are root) must enter it
  if [ -n "$MR_USER" ]; then chown -R "$MR_USER:" "$dir"; fi
  MR_DIR=$dir
}

mr_as() {  # CMD...: as MR_USER (when set), with only a normal user's environment
  local home=${MR_DIR:-/tmp}
  if [ -n "$MR_USER" ]; then
    (cd "$home" && setpriv --reuid="$MR_USER" --regid="$MR_USER" --init-groups -- \
      env -i PATH="$MR_PATH" HOME="$home" LANG=C.UTF-8 USER="$MR_USER" "$@")
  else
    (cd "$home" && env -i PATH="$MR_PATH" HOME="$home" LANG=C.UTF-8 USER="$(id -un)" "$@")
  fi
}

mr_free_port() {  # a free TCP port outside the kernel's ephemeral range (below 32768)
  python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p)); s.close(); print(p); break
    except OSError:
        s.close()
PY
}

mr_start() {  # NAME [VAR=value ...]
  local name=$1 out
  shift
  out=$MR_DIR/out-$name.log
  # its own admin port: the default 9090 may be taken by another server on this machine
  mr_as AAM_ADMIN_ADDR="127.0.0.1:$(mr_free_port)" "$@" make -C "$MR_DIR" --no-print-directory run BUILD="$MR_BUILD" >"$out" 2>&1 &
  MR_MAKE_PID=$!
  local n=1200
  while ((n-- > 0)); do
    grep -q '^AAM is running: ' "$out" 2>/dev/null && return 0
    kill -0 "$MR_MAKE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "# make run did not come up; its output:"
  sed 's/^/#   /' "$out"
  return 1
}

mr_script_pid() {  # run-local.sh's pid: below make, which may sit below setpriv/env
  local p=$MR_MAKE_PID
  for _ in 1 2 3 4 5 6; do
    [ -n "$p" ] || return 1
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'run-local\.sh'; then echo "$p"; return 0; fi
    p=$(pgrep -P "$p" | head -1)
  done
  return 1
}

mr_stop() {
  local rc=0 pid
  [ -n "$MR_MAKE_PID" ] || return 0
  pid=$(mr_script_pid) && kill -TERM "$pid" 2>/dev/null
  wait "$MR_MAKE_PID" || rc=$?
  MR_MAKE_PID=""
  return "$rc"
}

# The walk-through of the README ("A walk through the API"), each step's status checked.
mr_walk() {
  local B=$1 saved=${BASE_URL:-} tok email ns
  BASE_URL=$B
  email=ada-$RANDOM@example.com
  ns=acme$RANDOM
  req GET /api/v1/aam/connectors
  expect_status 401 "walk: the list without a token"
  req POST /api/v1/auth/register -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"correct horse battery\",\"namespace\":\"$ns\",\"tenant_name\":\"Acme Ltd\"}"
  expect_status 201 "walk: register a tenant and its first user"
  # mock_sources/ is demo's (the seed grants it): the operator shares it with the new tenant.
  check "walk: the operator grants mock_sources/ to the new tenant" \
    mr_as sh -c '. .run/env && exec "$0" sources grant --namespace "$1" mock_sources/' "$AAM_BIN" "$ns"
  req POST /api/v1/auth/login -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}"
  expect_status 200 "walk: login"
  tok=$(printf '%s' "$BODY" | jq -r .access_token)
  local H="Authorization: Bearer $tok"
  req GET /api/v1/auth/me -H "$H"
  expect_jq .email "$email" "walk: /auth/me names the user"
  req GET /api/v1/aam/connectors -H "$H"
  expect_jq .total 0 "walk: a new tenant has no connectors"
  req POST /api/v1/aam/connectors -H "$H" -H 'Content-Type: application/json' \
    -d '{"id":"crm_exports","name":"CRM exports","type":"filesource","status":"ACTIVE","config":{"path":"mock_sources/","pattern":"*.csv"}}'
  expect_status 201 "walk: create a filesource connector"
  req GET /api/v1/aam/connectors/crm_exports/files -H "$H"
  expect_jq '[.files[].name] | index("accounts.csv") != null' true "walk: its files include accounts.csv"
  req GET "/api/v1/aam/connectors/crm_exports/files/accounts.csv/rows?limit=2" -H "$H"
  expect_jq '.rows | length' 2 "walk: two rows of accounts.csv"
  req PATCH /api/v1/aam/connectors/crm_exports -H "$H" -H 'Content-Type: application/json' -d '{"status":"INACTIVE"}'
  expect_jq .status INACTIVE "walk: PATCH the status"
  req GET "/api/v1/aam/connectors?status=ACTIVE&limit=10&offset=0" -H "$H"
  expect_jq .total 0 "walk: no ACTIVE connector left"
  req DELETE /api/v1/aam/connectors/crm_exports -H "$H"
  expect_status 204 "walk: DELETE"
  BASE_URL=$saved
}
